//! Zeek: our `--format zeek` conn.log against the conn.log rows (and the
//! printed history/conn_state lines) of Zeek's own test suite.
//!
//! Connections are matched by 4-tuple and start order (by position when the
//! oracle omits the addresses). `conn_state` and `history` are the verdict;
//! every other column the oracle logs is compared too, except `ts`/`uid`
//! (masked or random in the baselines) and `service` (Zeek's protocol
//! detection, which we do not do).

use crate::common::{Difference, agreement, assert_listed, corpus_file, read_corpus};
use std::collections::BTreeMap;
use tcpstate::output::Format;
use tcpstate::report::{self, Settings};

/// How an oracle file shows its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A conn.log (`#fields` header).
    ConnLog,
    /// A zeek-cut extract: a line of column names, then rows.
    Cut,
    /// A printed line `<history>, <conn_state>`.
    Line,
    /// `REMOVE:, [orig_h=..., ...], <history>` lines.
    Remove,
    /// A weird.log: the packets make no TCP connection.
    NoConnection,
}

/// (oracle file, capture, checksums verified by the Zeek run, kind).
/// Zeek runs with `-C` ignore checksums; we then do not verify them.
const ORACLES: &[(&str, &str, bool, Kind)] = &[
    (
        "zeek__tcp__single-rst.pcap.scripts.base.protocols.conn.conn_state-RST-behavior__out.line1",
        "zeek__tcp__single-rst.pcap",
        false,
        Kind::Line,
    ),
    (
        "zeek__tcp__syn-then-rst.pcap.scripts.base.protocols.conn.conn_state-RST-behavior__out.line2",
        "zeek__tcp__syn-then-rst.pcap",
        false,
        Kind::Line,
    ),
    (
        "zeek__tcp__syn-then-stuff-then-rst.pcap.scripts.base.protocols.conn.conn_state-RST-behavior__out.line4",
        "zeek__tcp__syn-then-stuff-then-rst.pcap",
        false,
        Kind::Line,
    ),
    (
        "zeek__tcp__syn-bad.pcap.core.tcp.bad-checksum-syn__conn.log",
        "zeek__tcp__syn-bad.pcap",
        true,
        Kind::Cut,
    ),
    (
        "zeek__tcp__missing-syn.pcap.core.tcp.missing-syn__conn.log",
        "zeek__tcp__missing-syn.pcap",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__tcp__miss_end_data.pcap.core.tcp.miss-end-data__conn.log",
        "zeek__tcp__miss_end_data.pcap",
        true,
        Kind::ConnLog,
    ),
    (
        "zeek__tcp__retransmit-fast009.pcap.core.tcp.rxmit-history__conn-1.log",
        "zeek__tcp__retransmit-fast009.pcap",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__tcp__one-sided-2745.pcap.core.conn-size-flip__conn.log.one-sided",
        "zeek__tcp__one-sided-2745.pcap",
        false,
        Kind::Cut,
    ),
    (
        "zeek__http__get.pcap.core.tcp.reassembly-known-ports__conn.log",
        "zeek__http__get.pcap",
        true,
        Kind::ConnLog,
    ),
    (
        "zeek__mysql__tls-13-amazon-rds.pcap.scripts.base.protocols.mysql.encrypted-aws-rds__tls-13.conn.log",
        "zeek__mysql__tls-13-amazon-rds.pcap",
        true,
        Kind::ConnLog,
    ),
    (
        "zeek__ftp__ipv6.pcap.scripts.base.protocols.ftp.ftp-ipv6__conn.log",
        "zeek__ftp__ipv6.pcap",
        true,
        Kind::ConnLog,
    ),
    (
        "zeek__tls__irc-starttls.pcap.scripts.base.protocols.irc.starttls__conn.log",
        "zeek__tls__irc-starttls.pcap",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__tls__pop3-starttls.pcap.scripts.base.protocols.pop3.starttls__conn.log",
        "zeek__tls__pop3-starttls.pcap",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__http__261__variant-04-te_cl_desync.pcap.scripts.base.protocols.http.261.te-cl-desync__conn.log",
        "zeek__http__261__variant-04-te_cl_desync.pcap",
        true,
        Kind::Cut,
    ),
    (
        "zeek__mixed-vlan-mpls.pcap.core.vlan-mpls__conn.log",
        "zeek__mixed-vlan-mpls.pcap",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__tcp-http-with-padding.pcap.core.tcp-padding__conn.log",
        "zeek__tcp-http-with-padding.pcap",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__tcp__ssh-dups.pcap.core.tcp.tcp-dups__out",
        "zeek__tcp__ssh-dups.pcap",
        false,
        Kind::Remove,
    ),
    (
        "zeek__http-vlan-0.pcap.scripts.base.protocols.vlan.vlan-0__conn.log.cut",
        "zeek__http-vlan-0.pcap",
        false,
        Kind::Cut,
    ),
    (
        "zeek__pcapng-multi-interface.pcapng.core.pcapng-pktsrc__conn.log",
        "zeek__pcapng-multi-interface.pcapng",
        false,
        Kind::ConnLog,
    ),
    (
        "zeek__trunc__trunc-hdr.pcap.core.truncation__output.block5",
        "zeek__trunc__trunc-hdr.pcap",
        true,
        Kind::NoConnection,
    ),
    (
        "zeek__trunc__ip-discarder-truncated-tcp-oob.pcapng.core.truncation__output.block9",
        "zeek__trunc__ip-discarder-truncated-tcp-oob.pcapng",
        false,
        Kind::NoConnection,
    ),
];

/// The columns compared besides conn_state and history.
const OTHER: &[&str] = &[
    "proto",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
    "ip_proto",
];

type Row = BTreeMap<String, String>;

/// A zeek-cut equivalent: the rows of a Zeek ASCII log, by column name.
/// Checks the header a conn.log reader relies on.
fn parse_log(text: &str) -> Vec<Row> {
    let mut fields: Option<Vec<String>> = None;
    let mut types = 0;
    let mut rows = Vec::new();
    let mut closed = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("#fields\t") {
            fields = Some(rest.split('\t').map(String::from).collect());
        } else if let Some(rest) = line.strip_prefix("#types\t") {
            types = rest.split('\t').count();
        } else if line.starts_with("#close") {
            closed = true;
        } else if !line.starts_with('#') && !line.is_empty() {
            let f = fields.as_ref().expect("a data line before #fields");
            let v: Vec<&str> = line.split('\t').collect();
            assert_eq!(
                v.len(),
                f.len(),
                "row with {} values for {} fields: {line}",
                v.len(),
                f.len()
            );
            rows.push(
                f.iter()
                    .cloned()
                    .zip(v.into_iter().map(String::from))
                    .collect(),
            );
        }
    }
    let f = fields.expect("a #fields line");
    assert_eq!(types, f.len(), "#types and #fields differ in length");
    assert!(closed || text.contains("#close"), "no #close line");
    rows
}

/// A zeek-cut extract (after the btest banner): names, then rows.
fn parse_cut(text: &str) -> Vec<Row> {
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let names: Vec<&str> = lines.next().expect("a header").split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            names
                .iter()
                .map(|n| n.to_string())
                .zip(l.split('\t').map(String::from))
                .collect()
        })
        .collect()
}

fn parse_oracle(kind: Kind, text: &str) -> Vec<Row> {
    match kind {
        Kind::ConnLog => parse_log(text)
            .into_iter()
            .filter(|r| r.get("proto").map(String::as_str) == Some("tcp"))
            .collect(),
        Kind::Cut => parse_cut(text),
        Kind::Line => text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (h, s) = l.split_once(", ").expect("history, conn_state");
                Row::from([
                    ("history".to_string(), h.to_string()),
                    ("conn_state".to_string(), s.to_string()),
                ])
            })
            .collect(),
        Kind::Remove => text
            .lines()
            .filter_map(|l| l.strip_prefix("REMOVE:, "))
            .map(|l| {
                let get = |k: &str| {
                    let at = l.find(&format!("{k}=")).expect(k) + k.len() + 1;
                    let v = &l[at..];
                    let end = v.find([',', ']']).expect("end of value");
                    v[..end].trim_end_matches("/tcp").to_string()
                };
                let history = l.rsplit(", ").next().expect("history").to_string();
                Row::from([
                    ("id.orig_h".to_string(), get("orig_h")),
                    ("id.orig_p".to_string(), get("orig_p")),
                    ("id.resp_h".to_string(), get("resp_h")),
                    ("id.resp_p".to_string(), get("resp_p")),
                    ("history".to_string(), history),
                ])
            })
            .collect(),
        Kind::NoConnection => Vec::new(),
    }
}

/// Our conn.log for a capture, through `summary --format zeek`.
fn ours(capture: &str, verify_checksums: bool) -> Vec<Row> {
    let mut settings = Settings {
        engine: tcpstate::engine::Options::default(),
        format: Format::Zeek,
        ..Settings::default()
    };
    settings.engine.verify_checksums = verify_checksums;
    let mut out = Vec::new();
    let mut err = Vec::new();
    report::summary(&[corpus_file(capture)], &settings, &mut out, &mut err).expect("summary");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(
        text.starts_with("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t"),
        "conn.log header: {text}"
    );
    let mut rows = parse_log(&text);
    rows.sort_by(|a, b| a["ts"].cmp(&b["ts"]));
    rows
}

fn id(r: &Row) -> Option<String> {
    Some(format!(
        "{}:{} > {}:{}",
        r.get("id.orig_h")?,
        r.get("id.orig_p")?,
        r.get("id.resp_h")?,
        r.get("id.resp_p")?
    ))
}

#[test]
#[ignore = "needs the capture corpus"]
fn zeek_conn_logs() {
    let mut diffs = Vec::new();
    let (mut verdicts, mut verdicts_total) = (0, 0);
    let (mut full, mut full_total) = (0, 0);
    for &(oracle, capture, verify, kind) in ORACLES {
        let expected = parse_oracle(kind, &read_corpus(oracle));
        let got = ours(capture, verify);
        let short = capture;
        if expected.is_empty() {
            // No TCP connection in the oracle: none in ours either.
            verdicts_total += 1;
            if got.is_empty() {
                verdicts += 1;
            } else {
                diffs.push(Difference::new(
                    format!("{short} connections"),
                    got.len(),
                    0,
                ));
            }
            continue;
        }
        // Match by 4-tuple and start order, or by position.
        let keyed = expected.iter().all(|r| id(r).is_some());
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut used = vec![false; got.len()];
        for (n, e) in expected.iter().enumerate() {
            verdicts_total += 1;
            let (label, mine) = if keyed {
                let k = id(e).expect("id");
                let nth = seen.entry(k.clone()).or_default();
                let label = format!("{short} {k} #{}", *nth + 1);
                let m = got
                    .iter()
                    .enumerate()
                    .filter(|(_, g)| id(g).as_deref() == Some(k.as_str()))
                    .nth(*nth);
                *nth += 1;
                (label, m)
            } else {
                (format!("{short} #{}", n + 1), got.iter().enumerate().nth(n))
            };
            let Some((i, mine)) = mine else {
                diffs.push(Difference::new(format!("{label} row"), "none", "a row"));
                continue;
            };
            used[i] = true;
            let mut verdict_ok = true;
            for f in ["conn_state", "history"] {
                if let Some(v) = e.get(f) {
                    if &mine[f] != v {
                        verdict_ok = false;
                        diffs.push(Difference::new(format!("{label} {f}"), &mine[f], v));
                    }
                }
            }
            verdicts += usize::from(verdict_ok);
            let mut row_ok = true;
            let mut compared = false;
            for &f in OTHER {
                if let Some(v) = e.get(f) {
                    compared = true;
                    if &mine[f] != v {
                        row_ok = false;
                        diffs.push(Difference::new(format!("{label} {f}"), &mine[f], v));
                    }
                }
            }
            if compared {
                full_total += 1;
                full += usize::from(row_ok);
            }
        }
        // Rows of ours the oracle does not have.
        for (i, g) in got.iter().enumerate() {
            if !used[i] {
                diffs.push(Difference::new(
                    format!("{short} {} extra row", id(g).unwrap_or_default()),
                    "a row",
                    "none",
                ));
            }
        }
    }
    diffs.sort();
    diffs.dedup();
    agreement(
        "Zeek",
        "connections (conn_state and history)",
        verdicts,
        verdicts_total,
    );
    agreement("Zeek", "rows (every other logged column)", full, full_total);
    assert_listed("Zeek", &diffs);
}
