//! Exit codes never lie: every way the real binary can exit, with a working,
//! a closed, a full and a missing standard output.
//!
//! The status is what the analysis found (0, 1 for `check`'s verdict, 2 for
//! an input problem) whatever happens to stdout: a closed pipe is not an
//! error of ours and is never reported, it just ends the output; a full disk
//! is an error (2); a stdout closed before the start is an error (2).

mod common;

use common::repo;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tcpstate"));
    c.env_remove("NO_COLOR");
    c
}

fn real(name: &str) -> PathBuf {
    repo().join("testdata/real").join(name)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs with stdout a pipe whose reading end is closed before anything is
/// written (`| true`; `| head -1` once head has its line).
fn closed_pipe(args: &[&str]) -> Output {
    let mut child = bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

/// Runs with stdout on /dev/full (every write fails with ENOSPC).
fn full_disk(args: &[&str]) -> Output {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    bin()
        .args(args)
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .expect("run")
}

/// Runs with stdout closed before the start (`>&-`).
fn closed_stdout(args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" \"$@\" >&-")
        .arg(env!("CARGO_BIN_EXE_tcpstate"))
        .args(args)
        .stderr(Stdio::piped())
        .output()
        .expect("run sh")
}

/// Every recording, so that the output is larger than a pipe's buffer.
fn all_recordings() -> Vec<String> {
    let mut v: Vec<String> = common::captures_in(&repo().join("testdata/real"))
        .iter()
        .map(|p| s(p).to_string())
        .collect();
    v.sort();
    v
}

fn assert_quiet(o: &Output, what: &str) {
    let err = stderr(o);
    assert!(
        !err.contains("Broken pipe") && !err.contains("panicked"),
        "{what}: no noise on stderr: {err}"
    );
}

#[test]
fn a_closed_pipe_keeps_the_status_of_the_analysis() {
    let good = real("01-close-client-first.pcap");
    let mut args = vec!["timeline".to_string()];
    args.extend(all_recordings());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // Everything readable: 0, silently.
    let o = closed_pipe(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_quiet(&o, "timeline | true");
    // An unreadable input among them: still 2, and still named.
    let o = closed_pipe(&["summary", s(&good), "/nonexistent/x.pcap"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("/nonexistent/x.pcap"), "{}", stderr(&o));
    assert_quiet(&o, "summary | true");
    let o = closed_pipe(&["/nonexistent/x.pcap", s(&good)]);
    assert_eq!(o.status.code(), Some(2), "the default command too");
}

#[test]
fn checks_verdict_survives_a_closed_pipe_and_the_junit_report_is_written() {
    let bad = real("07-refused.pcap");
    let dir = std::env::temp_dir().join(format!("tcpstate-exit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let junit = dir.join("junit.xml");
    let o = closed_pipe(&["check", "--junit", s(&junit), s(&bad)]);
    assert_eq!(o.status.code(), Some(1), "the verdict: {}", stderr(&o));
    assert_quiet(&o, "check | true");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    assert!(xml.contains("<failure"), "it records the failure: {xml}");
    // 2 still outranks 1.
    let o = closed_pipe(&["check", s(&bad), "/nonexistent/x.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_damage_line_reaches_stderr_when_stdout_is_gone() {
    // Cut the recording of a clean close inside its 9th record.
    let bytes = std::fs::read(real("01-close-client-first.pcap")).expect("read");
    let mut off = 24;
    for _ in 0..8 {
        let caplen = u32::from_le_bytes(bytes[off + 8..off + 12].try_into().unwrap()) as usize;
        off += 16 + caplen;
    }
    let dir = std::env::temp_dir().join(format!("tcpstate-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let damaged = dir.join("damaged.pcap");
    std::fs::write(&damaged, &bytes[..off + 20]).expect("write");
    for cmd in ["timeline", "summary", "check"] {
        let o = closed_pipe(&[cmd, s(&damaged)]);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("damaged.pcap: frame 9 at byte offset"),
            "{cmd}: the damage is named: {err}"
        );
        assert_quiet(&o, cmd);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_full_disk_is_an_error() {
    let good = real("01-close-client-first.pcap");
    for args in [
        &["summary", s(&good)][..],
        &["timeline", s(&good)],
        &["check", s(&good)],
        &["anomalies"],
    ] {
        let o = full_disk(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("cannot write the output"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // A failing check stays failed: 2 outranks 1.
    let o = full_disk(&["check", s(&real("07-refused.pcap"))]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_stdout_closed_before_the_start_is_an_error() {
    let good = real("01-close-client-first.pcap");
    for args in [
        &["summary", s(&good)][..],
        &["check", s(&good)],
        &["anomalies"],
    ] {
        let o = closed_stdout(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("standard output is closed"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn inputs_that_are_not_captures_get_one_line_each_and_no_table() {
    let dir = std::env::temp_dir().join(format!("tcpstate-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let empty = dir.join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.join("notes.pcap");
    std::fs::write(&text, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n").unwrap();
    let gz = dir.join("capture.pcap.gz");
    std::fs::write(&gz, [0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3]).unwrap();
    let zst = dir.join("capture.pcapng.zst");
    std::fs::write(&zst, [0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00]).unwrap();
    let cases = [
        (s(&empty).to_string(), "it is empty"),
        (
            s(&text).to_string(),
            "it is a text file (it begins \"GET / HTTP/1.1\")",
        ),
        // Compressed captures are read: these streams end early.
        (
            s(&gz).to_string(),
            "gzip stream damaged at or before compressed byte 10: the compressed data ends early",
        ),
        (
            s(&zst).to_string(),
            "zstd stream damaged at or before compressed byte 6",
        ),
        (
            "/nonexistent/x.pcap".to_string(),
            "cannot open it: No such file or directory",
        ),
        // A directory is read for the captures in it: these are not.
        (
            s(&dir).to_string(),
            "no pcap or pcapng capture in this directory (4 other files)",
        ),
    ];
    for (file, what) in &cases {
        for cmd in ["summary", "timeline", "check"] {
            let o = bin().args([cmd, file]).output().expect("run");
            assert_eq!(o.status.code(), Some(2), "{cmd} {file}");
            let err = stderr(&o);
            assert_eq!(err.lines().count(), 1, "{cmd} {file}: one line: {err}");
            assert!(
                err.starts_with(&format!("tcpstate: {file}: ")) && err.contains(what),
                "{cmd} {file}: names the file and what it is: {err}"
            );
            if cmd != "check" {
                assert!(o.stdout.is_empty(), "{cmd} {file}: no empty table");
            }
        }
    }
    // Standard input can be read only once.
    let o = bin().args(["-", "-"]).output().expect("run");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard input (-) can be read only once"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn usage_errors_exit_2() {
    let good = real("01-close-client-first.pcap");
    for args in [
        &["summary", "--format", "xml", s(&good)][..],
        &["summary", "--msl", "-1", s(&good)],
        &[],
        // Each command takes only the options it uses.
        &["anomalies", "--msl", "5"],
        &["anomalies", "-j", "3"],
        &["check", "-f", "jsonl", s(&good)],
        &["timeline", "-f", "zeek", s(&good)],
        &["summary", "-t", "dd", s(&good)],
        &["--msl", "5", "anomalies"],
    ] {
        let o = bin().args(args).output().expect("run");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}: nothing on stdout");
        assert!(!stderr(&o).is_empty(), "{args:?}: says why");
    }
}
