//! The command line of report, ladder, netstat and --where.

mod common;

use common::*;
use std::process::{Command, Output};

fn tcpstate(args: &[&str]) -> Output {
    tcpstate_env(args, &[])
}

fn tcpstate_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tcpstate"));
    c.args(args).current_dir(repo());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run tcpstate")
}

fn jsonl(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

#[test]
fn a_bad_where_is_a_usage_error_pointing_at_the_mistake() {
    let o = tcpstate(&[
        "summary",
        "--where",
        "port == 443 and sever == error",
        "testdata/real/01-close-client-first.pcap",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean `severity`"), "{err}");
    assert!(
        err.contains("\n  port == 443 and sever == error\n                  ^^^^^"),
        "{err}"
    );
}

#[test]
fn where_selects_connections_in_summary_and_timeline() {
    let f = "testdata/real/10-time-wait-reuse.pcap";
    let o = tcpstate(&["summary", "-f", "jsonl", "--where", "tcp.stream eq 1", f]);
    assert_eq!(o.status.code(), Some(0));
    let streams: Vec<u64> = jsonl(&o)
        .iter()
        .filter(|v| v["type"] == "connection")
        .map(|v| v["stream"].as_u64().unwrap())
        .collect();
    assert_eq!(streams, [1]);
    // A selection on the replay's verdicts: the server ended in TIME_WAIT
    // only in stream 0 (it closed first, then the port was reused).
    let o = tcpstate(&[
        "timeline",
        "-f",
        "jsonl",
        "--where",
        "server.state == TIME_WAIT or closer == server and stream == 0",
        f,
    ]);
    let rows = jsonl(&o);
    assert!(
        rows.iter()
            .filter(|v| v["type"] == "segment")
            .all(|v| v["stream"] == 0)
    );
    assert!(rows.iter().any(|v| v["type"] == "segment"));
    let o = tcpstate(&[
        "summary",
        "-f",
        "jsonl",
        "--where",
        "anomaly == rst-in-syn-received",
        "testdata/real/08-rst-in-syn-received.pcapng",
        "testdata/real/01-close-client-first.pcap",
    ]);
    let conns: Vec<serde_json::Value> = jsonl(&o)
        .into_iter()
        .filter(|v| v["type"] == "connection")
        .collect();
    assert_eq!(conns.len(), 1);
    assert!(
        conns[0]["anomalies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "rst-in-syn-received")
    );
}

#[test]
fn netstat_jsonl_has_stream_local_peer_state_and_basis() {
    let f = "testdata/real/09-lost-final-ack.pcap";
    let o = tcpstate(&["netstat", "-f", "jsonl", f, "--frame", "10"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = jsonl(&o);
    assert_eq!(v.len(), 2);
    for e in &v {
        assert_eq!(e["stream"], 0);
        assert!(e["local"]["ip"].is_string() && e["local"]["port"].is_u64());
        assert!(e["peer"]["ip"].is_string() && e["peer"]["port"].is_u64());
        assert!(e["basis"].is_string());
    }
    // After frame 10 (the server's FIN): the .expect says TIME_WAIT LAST_ACK.
    assert_eq!(v[0]["state"], "TIME_WAIT");
    assert_eq!(v[1]["state"], "LAST_ACK");
    assert_eq!(v[1]["ss_state"], "LAST-ACK");
}

#[test]
fn netstat_times_in_three_spellings_are_the_same_moment() {
    let f = "testdata/real/09-lost-final-ack.pcap";
    let run = run_file(&repo().join(f));
    let t0 = run.totals.first_ts.unwrap();
    let at = t0 + 800_000_000;
    let epoch = format!("{}.{:09}", at / 1_000_000_000, at % 1_000_000_000);
    let iso = tcpstate::output::timestamp(at);
    let a = tcpstate(&["netstat", "-f", "jsonl", f, "--at", &epoch]);
    let b = tcpstate(&["netstat", "-f", "jsonl", f, "--at", &iso]);
    let c = tcpstate(&["netstat", "-f", "jsonl", f, "--at", "+0.8"]);
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(a.stdout, c.stdout);
    assert!(!a.stdout.is_empty());
    let bad = tcpstate(&["netstat", f, "--at", "noon"]);
    assert_eq!(bad.status.code(), Some(2));
    let none = tcpstate(&["netstat", f]);
    assert_eq!(none.status.code(), Some(2));
}

#[test]
fn the_text_ladder_fits_the_width() {
    for cols in ["80", "120"] {
        let o = tcpstate_env(
            &["ladder", "testdata/real/20-stuck-last-ack.pcap", "-s", "0"],
            &[("COLUMNS", cols)],
        );
        assert_eq!(o.status.code(), Some(0));
        let text = String::from_utf8_lossy(&o.stdout);
        let w: usize = cols.parse().unwrap();
        assert!(text.lines().count() > 10);
        for l in text.lines() {
            assert!(l.chars().count() <= w, "{} > {w}: {l}", l.chars().count());
        }
    }
    let o = tcpstate(&["ladder", "testdata/real/20-stuck-last-ack.pcap", "-s", "9"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn the_report_does_not_depend_on_the_thread_count() {
    for fmt in ["json", "html"] {
        let one = tcpstate(&["report", "-f", fmt, "-j", "1", "testdata/real"]);
        let four = tcpstate(&["report", "-f", fmt, "-j", "4", "testdata/real"]);
        assert_eq!(one.status.code(), Some(0));
        assert!(one.stdout == four.stdout, "report -f {fmt} differs with -j");
    }
    let o = tcpstate(&["report", "-f", "jsonl", "testdata/real"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn netstat_jsonl_follows_its_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../src/netstat.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let f = "testdata/real/05-simultaneous-close.pcap";
    let mut lines = Vec::new();
    for args in [
        &["netstat", "-f", "jsonl", f, "--frame", "9"][..],
        &["netstat", "-f", "jsonl", f, "--at", "+0.1", "--all"],
        &["netstat", "-f", "jsonl", f, "--every", "50ms"],
    ] {
        let o = tcpstate(args);
        assert_eq!(o.status.code(), Some(0));
        lines.extend(jsonl(&o));
    }
    assert!(lines.iter().any(|v| v["type"] == "endpoint"));
    assert!(lines.iter().any(|v| v["type"] == "sample"));
    for v in &lines {
        let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{v}: {}", errors.join("; "));
    }
}
