//! The reduce step: `tcpstate report` over results (JSON Lines here; the
//! Parquet ones in tests/parquet.rs) gives the report of the captures, byte
//! for byte in JSON, and says what is wrong with results it cannot use.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;

fn tcpstate(args: &[&str]) -> Output {
    tcpstate_in_repo(args)
}

fn tmp(name: &str) -> PathBuf {
    fresh_dir("results", name)
}

fn report_json(inputs: &[&str], extra: &[&str]) -> (Vec<u8>, Output) {
    let mut args = vec!["report", "-f", "json"];
    args.extend_from_slice(extra);
    args.extend_from_slice(inputs);
    let out = tcpstate(&args);
    (out.stdout.clone(), out)
}

fn summary_jsonl(files: &[String], extra: &[&str], to: &Path) {
    let mut args = vec!["summary", "-f", "jsonl"];
    args.extend_from_slice(extra);
    args.extend(files.iter().map(String::as_str));
    let out = tcpstate(&args);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(to, &out.stdout).unwrap();
}

fn same_report_from_jsonl(files: &[PathBuf], name: &str) {
    // JSON Lines has no line for a capture that cannot be opened (Parquet
    // results have a file for it): compare over the others.
    let all = relative_sorted(files);
    let names: Vec<&str> = all.iter().map(String::as_str).collect();
    let (whole, _) = report_json(&names, &[]);
    let whole: serde_json::Value = serde_json::from_slice(&whole).unwrap();
    let unreadable: Vec<&str> = whole["captures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "unreadable")
        .map(|c| c["file"].as_str().unwrap())
        .collect();
    let files: Vec<String> = all
        .iter()
        .filter(|f| !unreadable.contains(&f.as_str()))
        .cloned()
        .collect();
    let dir = tmp(name);
    let results = dir.join("summary.jsonl");
    summary_jsonl(&files, &[], &results);
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let (want, w) = report_json(&names, &[]);
    let (got, g) = report_json(&[results.to_str().unwrap()], &[]);
    assert!(!want.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&want),
        "report over results differs; stderr: {}",
        String::from_utf8_lossy(&g.stderr)
    );
    // Damaged captures are damaged in both (status 2), said the same way.
    assert_eq!(w.status.code(), g.status.code());
    assert_eq!(w.stderr, g.stderr);
    // In any order: rows in completion order, the lines reversed.
    summary_jsonl(&files, &["--order", "completion"], &results);
    let text = std::fs::read_to_string(&results).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.reverse();
    std::fs::write(&results, lines.join("\n")).unwrap();
    let (got, _) = report_json(&[results.to_str().unwrap()], &[]);
    assert!(got == want, "rows in another order give another report");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_over_json_lines_results_is_the_report_over_the_captures() {
    same_report_from_jsonl(&captures_in(&repo().join("testdata/real")), "real");
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_report_over_json_lines_results_is_the_report_over_the_corpus() {
    same_report_from_jsonl(&captures_in(&corpus()), "corpus");
}

#[test]
fn results_written_with_where_give_the_report_with_that_where() {
    let files = relative_sorted(&captures_in(&repo().join("testdata/real")));
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let dir = tmp("where");
    let results = dir.join("r.jsonl");
    let sel = "outcome == reset or anomaly == half-closed";
    summary_jsonl(&files, &["--where", sel], &results);
    let (want, _) = report_json(&names, &["--where", sel]);
    let (got, _) = report_json(&[results.to_str().unwrap()], &[]);
    assert!(got == want, "{}", String::from_utf8_lossy(&got));
    let v: serde_json::Value = serde_json::from_slice(&got).unwrap();
    assert_eq!(v["selection"], sel);
    // Selecting again in the report is refused (the rows are already a part).
    let (_, out) = report_json(&[results.to_str().unwrap()], &["--where", "port == 80"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("written with --where"));
    // A --where in the report over complete results is the report's own.
    let all = dir.join("all.jsonl");
    summary_jsonl(&files, &[], &all);
    let (got, out) = report_json(&[all.to_str().unwrap()], &["--where", sel]);
    assert_eq!(out.status.code(), Some(0));
    assert!(got == want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn results_that_end_early_or_are_not_results_are_errors_naming_the_line() {
    let dir = tmp("bad");
    let results = dir.join("r.jsonl");
    summary_jsonl(
        &["testdata/real/09-lost-final-ack.pcap".to_string()],
        &[],
        &results,
    );
    let text = std::fs::read_to_string(&results).unwrap();
    let r = results.to_str().unwrap();
    // Cut before the capture line: its rows have no totals.
    let first = text.lines().next().unwrap();
    std::fs::write(&results, format!("{first}\n")).unwrap();
    let (_, out) = report_json(&[r], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1") && err.contains("end early"), "{err}");
    // A row that is not a row.
    std::fs::write(&results, text.replacen("\"outcome\":", "\"outcom\":", 1)).unwrap();
    let (_, out) = report_json(&[r], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 1: `outcome` is missing"), "{err}");
    // Not JSON at all.
    std::fs::write(&results, "hello\n").unwrap();
    let (_, out) = report_json(&[r], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 1"));
    // The same capture's results twice count once, and say so.
    std::fs::write(&results, &text).unwrap();
    let copy = dir.join("copy.jsonl");
    std::fs::write(&copy, &text).unwrap();
    let (got, out) = report_json(&[r, copy.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("appear twice"));
    let v: serde_json::Value = serde_json::from_slice(&got).unwrap();
    assert_eq!(v["captures"].as_array().unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_directory_of_results_is_read_as_results() {
    let dir = tmp("dir");
    summary_jsonl(
        &["testdata/real/09-lost-final-ack.pcap".to_string()],
        &[],
        &dir.join("a.jsonl"),
    );
    summary_jsonl(
        &["testdata/real/07-refused.pcap".to_string()],
        &[],
        &dir.join("sub").join("b.ndjson").tap_mkdir(),
    );
    let (got, out) = report_json(&[dir.to_str().unwrap()], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (want, _) = report_json(
        &[
            "testdata/real/07-refused.pcap",
            "testdata/real/09-lost-final-ack.pcap",
        ],
        &[],
    );
    assert!(got == want);
    std::fs::remove_dir_all(&dir).unwrap();
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for PathBuf {
    /// Creates the parent directory, and gives the path back.
    fn tap_mkdir(self) -> PathBuf {
        std::fs::create_dir_all(self.parent().unwrap()).unwrap();
        self
    }
}

#[test]
fn parquet_options_are_usage_errors_where_they_do_not_apply() {
    let f = "testdata/real/09-lost-final-ack.pcap";
    let out = tcpstate(&["summary", "-f", "jsonl", "-o", "x", f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("-o and --hive go with --format parquet")
    );
    let out = tcpstate(&["timeline", "-f", "parquet", f]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("-o DIR"));
}

#[cfg(not(feature = "parquet"))]
#[test]
fn without_the_parquet_feature_parquet_is_refused_with_how_to_get_it() {
    let dir = tmp("nofeature");
    let out = tcpstate(&[
        "summary",
        "-f",
        "parquet",
        "-o",
        dir.to_str().unwrap(),
        "testdata/real/09-lost-final-ack.pcap",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--features parquet"), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::write(dir.join("connections.parquet"), b"PAR1").unwrap();
    let (_, out) = report_json(&[dir.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--features parquet"));
    std::fs::remove_dir_all(&dir).unwrap();
}
