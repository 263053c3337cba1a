//! tcpdump: its expected decode (`.out`, one line per packet) against our
//! decoder, packet by packet: addresses and ports, flags, sequence and
//! acknowledgment numbers (relative the way tcpdump prints them), window,
//! payload length, timestamp; a truncated TCP header and a malformed option
//! must be recognised as such.
//!
//! tcpdump's relative numbering, restated: only segments with the ACK flag
//! take part; the first one of a conversation, and any SYN,ACK, is printed
//! with absolute numbers and sets the bases (the sender's sequence number,
//! and the acknowledgment − 1 for the other side); later ones print their
//! numbers less the bases. Segments without ACK are printed absolute.

use crate::common::{Difference, agreement, assert_listed, frames, read_corpus};
use std::collections::HashMap;
use tcpstate::decode::{Decoded, Skip, TcpFlags, TcpSegment};
use tcpstate::flow::FlowKey;

/// (oracle, capture, nanosecond `-q` output without date).
const ORACLES: &[(&str, &str, bool)] = &[
    (
        "tcpdump__dns_tcp.pcap.dns_tcp.out",
        "tcpdump__dns_tcp.pcap",
        false,
    ),
    (
        "tcpdump__mptcp-tcprst.pcap.mptcp-tcprst.out",
        "tcpdump__mptcp-tcprst.pcap",
        false,
    ),
    ("tcpdump__pptp.pcap.pptp.out", "tcpdump__pptp.pcap", false),
    (
        "tcpdump__resp_1_benchmark.pcap.resp_1.out",
        "tcpdump__resp_1_benchmark.pcap",
        false,
    ),
    (
        "tcpdump__scps_invalid.pcap.scps_invalid.out",
        "tcpdump__scps_invalid.pcap",
        false,
    ),
    (
        "tcpdump__tcp-handshake-nano.pcap.tcp-handshake-nano.out",
        "tcpdump__tcp-handshake-nano.pcap",
        true,
    ),
    (
        "tcpdump__tcp_header_heapoverflow.pcap.tcp_header_heapoverflow.out",
        "tcpdump__tcp_header_heapoverflow.pcap",
        false,
    ),
    (
        "tcpdump__tcp_rst_data.pcap.tcp_rst_data.out",
        "tcpdump__tcp_rst_data.pcap",
        false,
    ),
    (
        "tcpdump__tcp_rst_diag_payload.pcap.tcp_rst_diag_payload.out",
        "tcpdump__tcp_rst_diag_payload.pcap",
        false,
    ),
];

/// The comparable facts of one packet line, as text.
type Facts = Vec<(&'static str, String)>;

/// Packet number and facts of every line of a `.out` file.
fn parse(text: &str) -> Vec<(u64, Facts)> {
    // Join continuation lines (`-v` output) to their packet line.
    let mut packets: Vec<(u64, String)> = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        match t
            .split_once("  ")
            .and_then(|(n, rest)| Some((n.parse().ok()?, rest)))
        {
            Some((n, rest)) => packets.push((n, rest.to_string())),
            None => {
                if let Some(last) = packets.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(t);
                }
            }
        }
    }
    packets
        .into_iter()
        .map(|(n, line)| (n, facts_of_line(&line)))
        .collect()
}

fn facts_of_line(line: &str) -> Facts {
    let mut f = Facts::new();
    let (time, rest) = line.split_once(" IP").expect("an IP packet line");
    f.push(("time", time.to_string()));
    let rest = rest.trim_start_matches('6');
    // Skip the `-v` IP header details.
    let rest = match rest.trim_start().strip_prefix('(') {
        Some(r) => {
            let mut depth = 1;
            let end = r
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .expect("closing parenthesis")
                .0;
            &r[end + 1..]
        }
        None => rest,
    };
    let (addrs, tail) = rest.split_once(": ").expect("addresses");
    let tail = tail.trim();
    if tail.contains("[|tcp]") {
        // A TCP header cut short: only that is compared.
        f.push(("tcp", "truncated header".into()));
        return f;
    }
    if !tail.starts_with("Flags [") && !tail.starts_with("tcp ") {
        // Another protocol (GRE in pptp.pcap): not a TCP segment.
        f.push(("tcp", "not TCP".into()));
        return f;
    }
    f.push(("addresses", addrs.trim().to_string()));
    if let Some(n) = tail.strip_prefix("tcp ") {
        f.push(("length", n.trim().to_string()));
        return f;
    }
    let flags = tail
        .strip_prefix("Flags [")
        .and_then(|t| t.split_once(']'))
        .unwrap_or_else(|| panic!("no flags: {line}"));
    f.push(("flags", flags.0.to_string()));
    for field in flags.1.split(", ") {
        let field = field.trim_start_matches(',').trim();
        let mut words = field.split(' ');
        let first = words.next();
        if let Some(k) = ["seq", "ack", "win", "urg"]
            .into_iter()
            .find(|k| first == Some(k))
        {
            f.push((k, words.next().unwrap_or("").to_string()));
            continue;
        }
        match first {
            Some("length") => {
                let n = words.next().unwrap_or("");
                f.push(("length", n.trim_end_matches(':').to_string()));
            }
            Some("options") if field.contains("[bad opt]") => {
                f.push(("options", "malformed".into()));
            }
            _ => {}
        }
    }
    f
}

/// tcpdump's flag letters, in its order.
fn flag_letters(fl: TcpFlags) -> String {
    let mut s = String::new();
    for (bit, c) in [
        (TcpFlags::FIN, 'F'),
        (TcpFlags::SYN, 'S'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::ACK, '.'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'W'),
        (TcpFlags::AE, 'e'),
    ] {
        if fl.contains(bit) {
            s.push(c);
        }
    }
    if s.is_empty() {
        s.push_str("none");
    }
    s
}

fn timestamp(ns: i64, nano: bool) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let sub = ns.rem_euclid(1_000_000_000);
    let t = jiff::Timestamp::from_second(secs).expect("a valid time");
    if nano {
        format!("{}.{sub:09}", t.strftime("%H:%M:%S"))
    } else {
        format!("{}.{:06}", t.strftime("%Y-%m-%d %H:%M:%S"), sub / 1000)
    }
}

/// Per conversation: (the lower endpoint's base, the other's base).
type Bases = HashMap<FlowKey, (u32, u32)>;

/// The facts tcpdump would print for one of our decoded segments.
fn facts_of_segment(s: &TcpSegment, bases: &mut Bases, quiet: bool) -> Facts {
    let mut f = Facts::new();
    f.push((
        "addresses",
        format!("{}.{} > {}.{}", s.src, s.src_port, s.dst, s.dst_port),
    ));
    if quiet {
        f.push(("length", s.payload_len.to_string()));
        return f;
    }
    f.push(("flags", flag_letters(s.flags)));
    let (mut seq, mut ack) = (s.seq, s.ack);
    let ack_flag = s.flags.contains(TcpFlags::ACK);
    if ack_flag {
        let key = FlowKey::of(s);
        let sender_is_lo = (s.src, s.src_port) == key.lo;
        match bases.get(&key) {
            Some(&(lo, hi)) if !s.flags.contains(TcpFlags::SYN) => {
                let (mine, theirs) = if sender_is_lo { (lo, hi) } else { (hi, lo) };
                seq = seq.wrapping_sub(mine);
                ack = ack.wrapping_sub(theirs);
            }
            _ => {
                let (mine, theirs) = (s.seq, s.ack.wrapping_sub(1));
                let entry = if sender_is_lo {
                    (mine, theirs)
                } else {
                    (theirs, mine)
                };
                bases.insert(key, entry);
            }
        }
    }
    if s.payload_len > 0
        || s.flags
            .intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST)
    {
        f.push((
            "seq",
            if s.payload_len > 0 {
                format!("{seq}:{}", seq.wrapping_add(s.payload_len))
            } else {
                seq.to_string()
            },
        ));
    }
    if ack_flag {
        f.push(("ack", ack.to_string()));
    }
    f.push(("win", s.window.to_string()));
    if s.flags.contains(TcpFlags::URG) {
        f.push(("urg", s.urgent_ptr.to_string()));
    }
    if s.options.malformed {
        // A malformed option ends tcpdump's decode before the length.
        f.push(("options", "malformed".into()));
    } else {
        f.push(("length", s.payload_len.to_string()));
    }
    f
}

#[test]
#[ignore = "needs the capture corpus"]
fn tcpdump_packets() {
    let mut diffs = Vec::new();
    let (mut matched, mut total) = (0, 0);
    for &(oracle, capture, nano) in ORACLES {
        let frames = frames(capture);
        let mut bases = Bases::new();
        let mut ours: HashMap<u64, Facts> = HashMap::new();
        for fr in &frames {
            let mut facts = match &fr.decoded {
                Decoded::Tcp(s) => facts_of_segment(s, &mut bases, nano),
                Decoded::Skipped(Skip::TruncatedTcpHeader) => {
                    vec![("tcp", "truncated header".to_string())]
                }
                // An IP packet that is not TCP, or a tunnel that carries
                // no IP (PPTP's PPP control messages): tcpdump decodes
                // either as something else than TCP.
                Decoded::Skipped(Skip::NotTcp | Skip::NotIp) => {
                    vec![("tcp", "not TCP".to_string())]
                }
                Decoded::Skipped(k) => vec![("tcp", format!("skipped: {k}"))],
            };
            facts.push(("time", timestamp(fr.ts_ns, nano)));
            ours.insert(fr.number, facts);
        }
        for (n, expected) in parse(&read_corpus(oracle)) {
            total += 1;
            let label = format!("{capture} #{n}");
            let Some(mine) = ours.get(&n) else {
                diffs.push(Difference::new(
                    format!("{label} packet"),
                    "none",
                    "a packet",
                ));
                continue;
            };
            let mut same = true;
            for (k, v) in &expected {
                let m = mine
                    .iter()
                    .find(|(mk, _)| mk == k)
                    .map(|(_, mv)| mv.as_str());
                if m != Some(v.as_str()) {
                    same = false;
                    diffs.push(Difference::new(format!("{label} {k}"), m.unwrap_or("-"), v));
                }
            }
            matched += usize::from(same);
        }
    }
    agreement(
        "tcpdump",
        "packets (flags, seq, ack and the rest of the line)",
        matched,
        total,
    );
    assert_listed("tcpdump", &diffs);
}
