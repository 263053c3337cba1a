//! Suricata: the `tcp.state` of the flow records that suricata-verify's
//! tests check, against the state our endpoint states map to.
//!
//! Suricata keeps one state per TCP session where we keep one per endpoint.
//! The mapping (documented in DIFFERENCES.md, section Suricata):
//!
//! * an RST that the receiver accepted ended it: `closed`;
//! * the client in SYN-SENT and no SYN,ACK seen: `syn_sent` (the client's
//!   state; our server is already SYN-RECEIVED on the SYN's assumed receipt);
//! * otherwise the server's RFC 9293 state: SYN-RECEIVED `syn_recv`,
//!   ESTABLISHED `established`, CLOSE-WAIT `close_wait`, LAST-ACK
//!   `last_ack`, FIN-WAIT-1 `fin_wait1`, FIN-WAIT-2 `fin_wait2`, CLOSING
//!   `closing`, TIME-WAIT `time_wait`, CLOSED `closed`;
//! * except that the session is `closed` as soon as either endpoint is
//!   CLOSED after the handshake (the final ACK of the side in LAST-ACK).

use crate::common::{Difference, agreement, assert_listed, connections, read_corpus};
use std::collections::BTreeMap;
use std::net::IpAddr;
use tcpstate::engine::ConnectionSummary;
use tcpstate::state::TcpState;

/// (oracle, capture) of every suricata-verify test that checks tcp.state.
const ORACLES: &[(&str, &str)] = &[
    (
        "suricata-verify__app-layer-template__input.pcap.app-layer-template__test.yaml",
        "suricata-verify__app-layer-template__input.pcap",
    ),
    (
        "suricata-verify__bug-4376__syn_retransmit_with_ts.pcap.bug-4376__test.yaml",
        "suricata-verify__bug-4376__syn_retransmit_with_ts.pcap",
    ),
    (
        "suricata-verify__bug-4702-01__input.pcap.bug-4702-01__test.yaml",
        "suricata-verify__bug-4702-01__input.pcap",
    ),
    (
        "suricata-verify__bug-6733-syn-packet-flow-output__input.pcap.bug-6733-syn-packet-flow-output__test.yaml",
        "suricata-verify__bug-6733-syn-packet-flow-output__input.pcap",
    ),
    (
        "suricata-verify__bug-814__input.pcap.bug-814__test.yaml",
        "suricata-verify__bug-814__input.pcap",
    ),
    (
        "suricata-verify__community-id-ipv6__input.pcap.community-id-ipv6__test.yaml",
        "suricata-verify__community-id-ipv6__input.pcap",
    ),
    (
        "suricata-verify__stream-async__http__stream-async-6063-cli-01__http-request-header-async-cli.pcap.stream-async__http__stream-async-6063-cli-01__test.yaml",
        "suricata-verify__stream-async__http__stream-async-6063-cli-01__http-request-header-async-cli.pcap",
    ),
    (
        "suricata-verify__tcp-fastopen-06__tfo-s1.pcap.tcp-fastopen-06__test.yaml",
        "suricata-verify__tcp-fastopen-06__tfo-s1.pcap",
    ),
];

/// Suricata's single session state for one of our connections.
pub fn suricata_state(c: &ConnectionSummary) -> &'static str {
    use TcpState::*;
    let [client, server] = &c.ends;
    if c.reset_by.is_some() {
        return "closed";
    }
    if server.isn.is_none() && client.state == SynSent {
        // No SYN,ACK: the client's attempt.
        return "syn_sent";
    }
    if client.state == Closed || server.state == Closed {
        return "closed";
    }
    match server.state {
        SynReceived => "syn_recv",
        Established => "established",
        CloseWait => "close_wait",
        LastAck => "last_ack",
        FinWait1 => "fin_wait1",
        FinWait2 => "fin_wait2",
        Closing => "closing",
        TimeWait => "time_wait",
        Closed => "closed",
        Listen | SynSent => "none",
    }
}

/// The `match:` maps of a test.yaml's checks (a small reader for the
/// subset of YAML these files use: nested maps of `key: value`).
fn matches(yaml: &str) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, BTreeMap<String, String>)> = None;
    for line in yaml.lines() {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if let Some((at, m)) = cur.take() {
            if indent > at {
                if let Some((k, v)) = body.split_once(':') {
                    let v = v.trim().trim_matches(['"', '\'']);
                    let mut m = m;
                    m.insert(k.trim().to_string(), v.to_string());
                    cur = Some((at, m));
                    continue;
                }
                cur = Some((at, m));
                continue;
            }
            out.push(m);
        }
        if body == "match:" {
            cur = Some((indent, BTreeMap::new()));
        }
    }
    out.extend(cur.map(|(_, m)| m));
    out
}

#[test]
#[ignore = "needs the capture corpus"]
fn suricata_tcp_state() {
    let mut diffs = Vec::new();
    let (mut matched, mut total) = (0, 0);
    for &(oracle, capture) in ORACLES {
        let conns = connections(capture, false);
        let checks: Vec<_> = matches(&read_corpus(oracle))
            .into_iter()
            .filter(|m| m.contains_key("tcp.state"))
            .collect();
        assert!(!checks.is_empty(), "{oracle}: no tcp.state check");
        for m in checks {
            total += 1;
            let endpoint = |ip: &str, port: &str| -> Option<(IpAddr, u16)> {
                Some((m.get(ip)?.parse().ok()?, m.get(port)?.parse().ok()?))
            };
            let (src, dst) = (
                endpoint("src_ip", "src_port"),
                endpoint("dest_ip", "dest_port"),
            );
            let label = match (src, dst) {
                (Some(s), Some(d)) => format!("{capture} {}:{} > {}:{}", s.0, s.1, d.0, d.1),
                _ => capture.to_string(),
            };
            // The flow: by its addresses (src = the client), else the only one.
            let found: Vec<_> = conns
                .iter()
                .filter(|r| {
                    let [c, s] = &r.ends;
                    src.is_none_or(|x| x == (c.addr, c.port))
                        && dst.is_none_or(|x| x == (s.addr, s.port))
                })
                .collect();
            let expected = &m["tcp.state"];
            match found.as_slice() {
                [r] => {
                    let ours = suricata_state(r);
                    if ours == expected {
                        matched += 1;
                    } else {
                        diffs.push(Difference::new(
                            format!("{label} tcp.state"),
                            ours,
                            expected,
                        ));
                    }
                }
                other => diffs.push(Difference::new(format!("{label} flows"), other.len(), 1)),
            }
        }
    }
    agreement("Suricata", "flows (tcp.state)", matched, total);
    assert_listed("Suricata", &diffs);
}
