//! The command line end to end: formats and their schema, determinism across
//! thread counts and input paths, exit codes, damaged input, colour.

mod common;

use common::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tcpstate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tcpstate"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("run tcpstate")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn recordings() -> Vec<PathBuf> {
    captures_in(&repo().join("testdata/real"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../src/output/schema.json")).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn assert_valid(v: &jsonschema::Validator, doc: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not follow the schema: {errors:#?}"
    );
}

#[test]
fn json_and_jsonl_follow_the_schema() {
    let v = validator();
    for cmd in ["summary", "timeline"] {
        for f in recordings() {
            let o = tcpstate(&[cmd, "-f", "json", s(&f)]);
            assert!(o.status.success(), "{cmd} {}: {}", f.display(), stderr(&o));
            let doc: serde_json::Value =
                serde_json::from_slice(&o.stdout).expect("one JSON document");
            assert_valid(&v, &doc, &format!("{cmd} -f json {}", f.display()));
            let o = tcpstate(&[cmd, "-f", "jsonl", s(&f)]);
            let text = stdout(&o);
            let mut types = Vec::new();
            for line in text.lines() {
                let obj: serde_json::Value =
                    serde_json::from_str(line).expect("one object per line");
                assert_valid(
                    &v,
                    &obj,
                    &format!("{cmd} -f jsonl {} line {line}", f.display()),
                );
                types.push(obj["type"].as_str().expect("type").to_string());
            }
            assert_eq!(
                types.last().map(String::as_str),
                Some("capture"),
                "totals come last"
            );
        }
    }
}

#[test]
fn the_schema_rejects_what_it_should() {
    // The schema must be able to fail: a connection without its stream, or
    // with a state that is not an RFC 9293 state, is rejected.
    let v = validator();
    let f = repo().join("testdata/real/01-close-client-first.pcap");
    let o = tcpstate(&["summary", "-f", "jsonl", s(&f)]);
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().expect("a row")).expect("json");
    assert!(v.is_valid(&first));
    let mut no_stream = first.clone();
    no_stream.as_object_mut().expect("object").remove("stream");
    assert!(!v.is_valid(&no_stream));
    let mut bad_state = first.clone();
    bad_state["final_state"]["client"] = "TIMEWAIT".into();
    assert!(!v.is_valid(&bad_state));
}

#[test]
fn the_json_keys_the_issue_promises_are_there() {
    let f = repo().join("testdata/real/01-close-client-first.pcap");
    let o = tcpstate(&["summary", "-f", "jsonl", s(&f)]);
    let c: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().expect("row")).expect("json");
    assert_eq!(c["stream"], 0);
    assert_eq!(c["client"]["ip"], "10.77.0.1");
    assert_eq!(c["server"]["port"], 8080);
    assert_eq!(c["first_frame"], 1);
    assert_eq!(c["final_state"]["client"], "TIME_WAIT");
    assert_eq!(c["final_state"]["server"], "CLOSED");
    assert_eq!(c["active_closer"], "client");
    assert!(c["anomalies"].as_array().expect("array").is_empty());
    let o = tcpstate(&["timeline", "-f", "jsonl", s(&f)]);
    let segs: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(segs[0]["frame"], 1);
    assert_eq!(segs[0]["direction"], "c2s");
    assert_eq!(segs[0]["flags"], serde_json::json!(["SYN"]));
    assert_eq!(
        segs[0]["state"],
        serde_json::json!({"client": "SYN_SENT", "server": "SYN_RECEIVED"})
    );
    let t = &segs[0]["transitions"][0];
    assert_eq!(
        (&t["endpoint"], &t["from"], &t["to"]),
        (&"client".into(), &"CLOSED".into(), &"SYN_SENT".into())
    );
}

/// Output is byte-identical whatever the thread count.
fn assert_thread_independent(files: &[PathBuf]) {
    for f in files {
        for cmd in ["summary", "timeline"] {
            for fmt in ["text", "jsonl"] {
                let one = tcpstate(&[cmd, "-f", fmt, "-j", "1", s(f)]);
                let four = tcpstate(&[cmd, "-f", fmt, "-j", "4", s(f)]);
                let dflt = tcpstate(&[cmd, "-f", fmt, s(f)]);
                assert_eq!(
                    one.stdout,
                    four.stdout,
                    "{cmd} -f {fmt} {}: -j 1 vs -j 4",
                    f.display()
                );
                assert_eq!(
                    one.stdout,
                    dflt.stdout,
                    "{cmd} -f {fmt} {}: -j 1 vs default",
                    f.display()
                );
                assert_eq!(one.status.code(), four.status.code());
            }
        }
    }
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    assert_thread_independent(&recordings());
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn output_does_not_depend_on_the_thread_count_on_the_corpus() {
    assert_thread_independent(&captures_in(&corpus()));
}

#[test]
fn several_files_in_parallel_give_the_same_rows_as_one_by_one() {
    let files = recordings();
    let mut args = vec!["summary", "-f", "jsonl"];
    args.extend(files.iter().map(|f| s(f)));
    let all = stdout(&tcpstate(&args));
    let mut one_by_one = String::new();
    for f in &files {
        one_by_one.push_str(&stdout(&tcpstate(&["summary", "-f", "jsonl", s(f)])));
    }
    assert_eq!(all, one_by_one);
    let text = stdout(&tcpstate(&["summary", s(&files[0]), s(&files[1])]));
    assert!(
        text.lines().next().expect("header").starts_with("FILE"),
        "rows name their file"
    );
}

#[test]
fn standard_input_gives_the_same_output_as_the_file() {
    for f in recordings() {
        let bytes = std::fs::read(&f).expect("read");
        for cmd in ["summary", "timeline"] {
            let mut child = Command::new(env!("CARGO_BIN_EXE_tcpstate"))
                .args([cmd, "-f", "jsonl", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn");
            let mut stdin = child.stdin.take().expect("stdin");
            let input = bytes.clone();
            let writer = std::thread::spawn(move || stdin.write_all(&input));
            let piped = child.wait_with_output().expect("output");
            writer.join().expect("writer").expect("write stdin");
            let from_file = tcpstate(&[cmd, "-f", "jsonl", s(&f)]);
            let name = format!("\"file\":{}", serde_json::to_string(s(&f)).expect("json"));
            let normalised = stdout(&from_file).replace(&name, "\"file\":\"-\"");
            assert_eq!(
                stdout(&piped),
                normalised,
                "{cmd} of {} via stdin",
                f.display()
            );
        }
    }
}

#[test]
fn exit_codes() {
    let good = repo().join("testdata/real/01-close-client-first.pcap");
    assert_eq!(tcpstate(&[s(&good)]).status.code(), Some(0));
    assert_eq!(tcpstate(&["summary", s(&good)]).status.code(), Some(0));
    assert_eq!(tcpstate(&["timeline", s(&good)]).status.code(), Some(0));
    // A file that does not exist; a file that is not a capture; no file.
    let o = tcpstate(&["summary", "/nonexistent/x.pcap"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/x.pcap"), "{}", stderr(&o));
    let o = tcpstate(&["summary", s(&repo().join("Cargo.toml"))]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(tcpstate(&[]).status.code(), Some(2));
    // Bad usage.
    assert_eq!(
        tcpstate(&["summary", "--format", "xml", s(&good)])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        tcpstate(&["summary", "--msl", "-1", s(&good)])
            .status
            .code(),
        Some(2)
    );
    // --help documents them.
    let help = stdout(&tcpstate(&["--help"]));
    assert!(
        help.contains("Exit status") && help.contains("  2  "),
        "{help}"
    );
}

#[test]
fn a_truncated_capture_is_analysed_up_to_the_damage_and_the_error_names_frame_and_offset() {
    // Cut the recording of a clean close inside frame 9's record.
    let src = repo().join("testdata/real/01-close-client-first.pcap");
    let bytes = std::fs::read(&src).expect("read");
    let mut offsets = Vec::new();
    let mut off = 24;
    while off + 16 <= bytes.len() {
        offsets.push(off);
        let caplen =
            u32::from_le_bytes(bytes[off + 8..off + 12].try_into().expect("4 bytes")) as usize;
        off += 16 + caplen;
    }
    assert!(offsets.len() >= 10, "the recording has at least 10 frames");
    let cut = offsets[8] + 20; // 20 bytes into frame 9's record
    let dir = std::env::temp_dir().join(format!("tcpstate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let damaged = dir.join("damaged.pcap");
    std::fs::write(&damaged, &bytes[..cut]).expect("write");

    let o = tcpstate(&["timeline", "-f", "jsonl", s(&damaged)]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("damaged.pcap"), "names the file: {err}");
    assert!(err.contains("frame 9"), "names the frame: {err}");
    assert!(
        err.contains(&format!("offset {}", offsets[8])),
        "names the byte offset: {err}"
    );
    let frames: Vec<u64> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "segment")
        .map(|v| v["frame"].as_u64().expect("frame"))
        .collect();
    assert_eq!(
        frames,
        (1..=8).collect::<Vec<_>>(),
        "every frame before the damage is analysed"
    );
    let o = tcpstate(&["summary", "-f", "jsonl", s(&damaged)]);
    assert_eq!(o.status.code(), Some(2));
    let last: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().last().expect("totals")).expect("json");
    assert_eq!(last["error"]["frame"], 9);
    assert_eq!(last["frames"], 8);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_and_never_with_no_color() {
    let f = repo().join("testdata/real/05-simultaneous-close.pcap");
    let esc = |o: &Output| o.stdout.contains(&0x1b);
    assert!(
        !esc(&tcpstate(&["timeline", s(&f)])),
        "not a terminal: no colour"
    );
    assert!(esc(&tcpstate(&["timeline", "--color", "always", s(&f)])));
    let o = Command::new(env!("CARGO_BIN_EXE_tcpstate"))
        .args(["timeline", "--color", "always", s(&f)])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert!(!esc(&o), "NO_COLOR wins");
    assert!(
        !esc(&tcpstate(&[
            "timeline",
            "-f",
            "jsonl",
            "--color",
            "always",
            s(&f)
        ])),
        "never in JSON"
    );
}

#[test]
fn the_timeline_filters_streams() {
    let f = repo().join("testdata/real/10-time-wait-reuse.pcap");
    let o = tcpstate(&["timeline", "-f", "jsonl", "--stream", "1", s(&f)]);
    let streams: Vec<u64> = stdout(&o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "segment")
        .map(|v| v["stream"].as_u64().expect("stream"))
        .collect();
    assert!(
        !streams.is_empty() && streams.iter().all(|&s| s == 1),
        "{streams:?}"
    );
}

#[test]
fn the_summary_shows_every_piece_zeek_splits_a_connection_into() {
    // Zeek's attempt timer ends the first piece of 04 after its lone SYN
    // (S0), and the rest is a second Zeek connection (SF): the summary's
    // ZEEK and HISTORY columns and the JSON pieces list both, in the order
    // of the conn.log rows `--format zeek` writes.
    let f = repo().join("testdata/real/04-simultaneous-open.pcap");
    let zeek = stdout(&tcpstate(&["summary", "--format", "zeek", s(&f)]));
    let rows: Vec<(String, String)> = zeek
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let v: Vec<&str> = l.split('\t').collect();
            (v[11].to_string(), v[15].to_string())
        })
        .collect();
    assert!(rows.len() > 1, "the capture is split: {zeek}");
    let json = stdout(&tcpstate(&["summary", "--format", "json", s(&f)]));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let conns: Vec<&serde_json::Value> = doc["captures"][0]["connections"]
        .as_array()
        .expect("connections")
        .iter()
        .collect();
    assert_eq!(conns.len(), 1, "{json}");
    let pieces: Vec<(String, String)> = conns[0]["zeek_pieces"]
        .as_array()
        .expect("zeek_pieces")
        .iter()
        .map(|p| {
            (
                p["conn_state"].as_str().expect("str").to_string(),
                p["history"].as_str().expect("str").to_string(),
            )
        })
        .collect();
    assert_eq!(pieces, rows);
    assert_eq!(conns[0]["zeek_conn_state"], rows[0].0.as_str());
    let text = stdout(&tcpstate(&["summary", s(&f)]));
    let states = rows
        .iter()
        .map(|r| r.0.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let hist = rows
        .iter()
        .map(|r| r.1.as_str())
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        text.contains(&format!("  {states}  {hist}  ")),
        "{states} {hist}:\n{text}"
    );
}
