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
fn tunnels_icmp_rows_fragments_and_short_headers_follow_the_schema() {
    let v = validator();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let f = dir.join("schema-encapsulated.pcap");
    std::fs::write(&f, encapsulated_capture()).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for cmd in ["summary", "timeline"] {
        let o = tcpstate(&[cmd, "-f", "json", s(&f)]);
        assert!(o.status.success(), "{cmd}: {}", stderr(&o));
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_valid(&v, &doc, cmd);
        let o = tcpstate(&[cmd, "-f", "jsonl", s(&f)]);
        for line in String::from_utf8(o.stdout).unwrap().lines() {
            let obj: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_valid(&v, &obj, line);
            for k in ["tunnel", "short_header", "icmp"] {
                if obj.get(k).is_some() {
                    seen.insert(k.to_string());
                }
            }
            if obj["type"] == "capture" {
                assert_eq!(obj["reassembly"]["datagrams"], 1);
                assert_eq!(obj["icmp_quotes"], 1);
                assert_eq!(obj["short_headers"], 1);
                assert_eq!(obj["tcp_segments"], 3);
            }
            if obj["type"] == "connection" {
                assert_eq!(obj["tunnels"][0]["path"][0], "gre");
                assert_eq!(obj["tunnels"][0]["packets"], 1);
                assert_eq!(obj["icmp_errors"][0]["type"], 3);
            }
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
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

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tcpstate-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn options_may_come_before_the_command() {
    let f = repo().join("testdata/real/09-lost-final-ack.pcap");
    let after = tcpstate(&["timeline", "-j", "4", "-f", "jsonl", s(&f)]);
    let before = tcpstate(&["-j", "4", "-f", "jsonl", "timeline", s(&f)]);
    assert_eq!(before.status.code(), Some(0), "{}", stderr(&before));
    assert_eq!(before.stdout, after.stdout);
    assert!(stdout(&before).contains("\"type\":\"segment\""));
    // An option the command does not take fails at once and names it.
    let o = tcpstate(&["--msl", "5", "anomalies"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--msl"), "{}", stderr(&o));
}

/// Two connections: stream 0 opens first and lives long; stream 1 opens
/// and closes early, and is finished (after its 2×MSL linger) while stream 0
/// still runs. So stream 1 completes first.
fn two_connections(path: &Path) {
    use tcpstate::state::TcpState::*;
    Ladder::handshake()
        // Stream 1 (the states of the rungs below are its own).
        .client_port(40001)
        .client(SYN, 7000, 0)
        .at_ms(10)
        .then(SynSent, SynReceived)
        .server(SYN_ACK, 9000, 7001)
        .at_ms(11)
        .then(Established, SynReceived)
        .client(ACK, 7001, 9001)
        .at_ms(12)
        .then(Established, Established)
        .client(FIN_ACK, 7001, 9001)
        .at_ms(20)
        .then(FinWait1, CloseWait)
        .server(FIN_ACK, 9001, 7002)
        .at_ms(21)
        .then(TimeWait, LastAck)
        .client(ACK, 7002, 9002)
        .at_ms(22)
        .then(TimeWait, Closed)
        // Its TIME-WAIT (2 x the default 30 s MSL) ends at 60.022 s, shown
        // by the next frame.
        .event(Closed, Closed)
        // Stream 0 again.
        .client_port(C.1)
        .client(PSH_ACK, 1001, 5001)
        .len(10)
        .at_ms(100_000)
        .then(Established, Established)
        .server(ACK, 5001, 1011)
        .at_ms(100_001)
        .then(Established, Established)
        .client(FIN_ACK, 1011, 5001)
        .at_ms(100_010)
        .then(FinWait1, CloseWait)
        .server(FIN_ACK, 5001, 1012)
        .at_ms(100_011)
        .then(TimeWait, LastAck)
        .client(ACK, 1012, 5002)
        .at_ms(100_012)
        .then(TimeWait, Closed)
        .write(path);
}

fn streams_in(o: &Output) -> Vec<u64> {
    stdout(o)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "connection")
        .map(|v| v["stream"].as_u64().expect("stream"))
        .collect()
}

#[test]
fn summary_rows_come_in_stream_order_unless_completion_order_is_asked() {
    let dir = temp_dir("order");
    let f = dir.join("two.pcap");
    two_connections(&f);
    let by_stream = tcpstate(&["summary", "-f", "jsonl", s(&f)]);
    assert_eq!(streams_in(&by_stream), [0, 1]);
    let done = tcpstate(&["summary", "-f", "jsonl", "--order", "completion", s(&f)]);
    assert_eq!(streams_in(&done), [1, 0], "stream 1 finished first");
    // Text and JSON follow the same order.
    let text = stdout(&tcpstate(&["summary", s(&f)]));
    let first_cells: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(first_cells, ["0", "1"]);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_timeline_takes_several_files_stream_lists_and_ends_each_with_a_footer() {
    let a = repo().join("testdata/real/10-time-wait-reuse.pcap");
    let b = repo().join("testdata/real/01-close-client-first.pcap");
    let o = tcpstate(&["timeline", "-s", "0,1", s(&a), s(&b)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    let footers: Vec<&str> = text.lines().filter(|l| l.starts_with("# ")).collect();
    assert_eq!(footers.len(), 2, "{text}");
    assert!(footers[0].starts_with(&format!("# {}: ", s(&a))));
    assert!(footers[1].starts_with(&format!("# {}: ", s(&b))));
    // The footer is the summary's.
    let summary = stdout(&tcpstate(&["summary", s(&a)]));
    assert_eq!(footers[0], summary.lines().last().unwrap());
    // Rows of several files name their file.
    assert!(text.lines().next().unwrap().starts_with("FILE"), "{text}");
    // -s 0,1 is -s 0 -s 1.
    let list = tcpstate(&["timeline", "-f", "jsonl", "-s", "0,1", s(&a)]);
    let repeated = tcpstate(&["timeline", "-f", "jsonl", "-s", "0", "-s", "1", s(&a)]);
    assert_eq!(list.stdout, repeated.stdout);
    // A stream that does not exist is named, and the status says so.
    let o = tcpstate(&["timeline", "-s", "0,99", s(&b)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no stream 99"), "{}", stderr(&o));
}

/// The first record's timestamp of a classic little-endian microsecond pcap.
fn first_record_time(path: &Path) -> (i64, u32) {
    let b = std::fs::read(path).expect("read");
    assert_eq!(
        &b[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian, microseconds"
    );
    let secs = u32::from_le_bytes(b[24..28].try_into().unwrap());
    let micros = u32::from_le_bytes(b[28..32].try_into().unwrap());
    (i64::from(secs), micros)
}

#[test]
fn times_take_tsharks_formats() {
    let f = repo().join("testdata/real/09-lost-final-ack.pcap");
    let (secs, micros) = first_record_time(&f);
    let first_time = |args: &[&str]| -> String {
        let mut a = vec!["timeline"];
        a.extend_from_slice(args);
        a.push(s(&f));
        let o = Command::new(env!("CARGO_BIN_EXE_tcpstate"))
            .args(&a)
            .env("TZ", "UTC")
            .output()
            .expect("run");
        assert_eq!(o.status.code(), Some(0), "{a:?}: {}", stderr(&o));
        let text = stdout(&o);
        text.lines().nth(1).expect("a row").to_string()
    };
    let t = jiff::Timestamp::new(secs, (micros * 1000) as i32).expect("a time");
    let utc = t.strftime("%Y-%m-%d %H:%M:%S").to_string();
    assert!(first_time(&["-t", "e"]).contains(&format!(" {secs}.{micros:06} ")));
    assert!(first_time(&["-t", "ud"]).contains(&format!(" {utc}.{micros:06} ")));
    assert!(first_time(&["-t", "u"]).contains(&format!(" {}.{micros:06} ", &utc[11..])));
    // With TZ=UTC, local time is UTC.
    assert!(first_time(&["-t", "ad"]).contains(&format!(" {utc}.{micros:06} ")));
    assert!(first_time(&["-t", "r"]).contains(" 0.000000 "));
    // Every format keeps the columns: FRAME and STREAM at the same place
    // in every row.
    for fmt in ["r", "a", "ad", "adoy", "d", "dd", "e", "u", "ud", "udoy"] {
        let o = tcpstate(&["timeline", "-t", fmt, s(&f)]);
        let text = stdout(&o);
        let mut lines = text.lines().filter(|l| !l.starts_with('#'));
        let header = lines.next().unwrap();
        let at = header.find("STREAM").unwrap() + "STREAM".len();
        for l in lines {
            assert_eq!(&l[at - 1..at], "0", "-t {fmt}: {l}");
        }
    }
}

#[test]
fn a_dumb_terminal_gets_no_colour() {
    // A real terminal (a pty made by script(1)): colours by default, none
    // with TERM=dumb or NO_COLOR.
    let f = repo().join("testdata/real/05-simultaneous-close.pcap");
    let run = |term: &str, no_color: Option<&str>| -> Vec<u8> {
        let cmd = format!("{} timeline {}", env!("CARGO_BIN_EXE_tcpstate"), s(&f));
        let mut c = Command::new("script");
        c.args(["-qec", &cmd, "/dev/null"]).env("TERM", term);
        match no_color {
            Some(v) => c.env("NO_COLOR", v),
            None => c.env_remove("NO_COLOR"),
        };
        let o = c.output().expect("script(1) from util-linux");
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    assert!(run("xterm", None).contains(&0x1b), "a terminal gets colour");
    assert!(!run("dumb", None).contains(&0x1b), "TERM=dumb gets none");
    assert!(!run("xterm", Some("1")).contains(&0x1b), "NO_COLOR wins");
}

#[test]
fn an_uncertain_state_is_marked_in_every_output() {
    // 11-unanswered-syn: the client sends its SYN four times and nothing
    // comes back, so whether the server got it (SYN_RECEIVED, as its kernel
    // said) or not (LISTEN) the wire cannot tell.
    let f = repo().join("testdata/real/11-unanswered-syn.pcap");
    let text = stdout(&tcpstate(&["timeline", s(&f)]));
    let row = |n: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{n} ")))
            .unwrap_or_else(|| panic!("row {n}: {text}"))
            .to_string()
    };
    assert!(!row("1").contains('?'), "{}", row("1"));
    assert!(
        row("2").contains("SYN_RECEIVED?") && row("2").contains("or LISTEN"),
        "{}",
        row("2")
    );
    let jsonl = stdout(&tcpstate(&["timeline", "--format", "jsonl", s(&f)]));
    let v = validator();
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .filter(|r: &serde_json::Value| r["type"] == "segment")
        .collect();
    assert!(rows[0].get("state_uncertain").is_none());
    assert_eq!(rows[1]["state"]["server"], "SYN_RECEIVED");
    assert_eq!(
        rows[1]["state_uncertain"],
        serde_json::json!({"server": "LISTEN"})
    );
    let sum = stdout(&tcpstate(&["summary", s(&f)]));
    assert!(sum.contains("SYN_RECEIVED?"), "{sum}");
    let json = stdout(&tcpstate(&["summary", "--format", "json", s(&f)]));
    let doc: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_valid(&v, &doc, "11 summary");
    let c = &doc["captures"][0]["connections"][0];
    assert_eq!(c["final_state"]["server"], "SYN_RECEIVED");
    assert_eq!(
        c["final_state_uncertain"],
        serde_json::json!({"server": "LISTEN"})
    );
    // A clean close has no uncertain state: no key at all.
    let f = repo().join("testdata/real/01-close-client-first.pcap");
    let json = stdout(&tcpstate(&["summary", "--format", "json", s(&f)]));
    assert!(!json.contains("uncertain"), "{json}");
}

#[test]
fn one_corrupt_timestamp_does_not_stretch_a_connection() {
    // A clean connection lasting 3 s, one of whose segments is stamped
    // 2^31 s (68 years) later than its neighbours.
    let dir = temp_dir("corrupt-ts");
    let f = dir.join("corrupt.pcap");
    {
        use tcpstate::state::TcpState::*;
        Ladder::handshake()
            .client(PSH_ACK, 1001, 5001)
            .len(10)
            .at_ms((1u64 << 31) * 1000)
            .then(Established, Established)
            .server(ACK, 5001, 1011)
            .at_ms(1_000)
            .then(Established, Established)
            .client(FIN_ACK, 1011, 5001)
            .at_ms(2_000)
            .then(FinWait1, CloseWait)
            .server(FIN_ACK, 5001, 1012)
            .at_ms(2_500)
            .then(TimeWait, LastAck)
            .client(ACK, 1012, 5002)
            .at_ms(3_000)
            .then(TimeWait, Closed)
            .write(&f);
    }
    let o = tcpstate(&["summary", "-f", "jsonl", s(&f)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(
        lines[0]["duration_ns"], 3_000_000_000u64,
        "first to last trusted segment"
    );
    assert_eq!(
        lines[0]["final_state"]["client"], "TIME_WAIT",
        "no timer fired early"
    );
    assert_eq!(lines[1]["timestamps"]["ignored"], 1);
    assert!(
        stderr(&o)
            .contains("1 frame(s) (the first: frame 4) carry a timestamp more than a day away"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
#[ignore = "needs ../shared/corpus and tshark"]
fn timestamps_beyond_2262_are_reported_not_silently_clamped() {
    // pcapng allows 64-bit timestamps: frames 60-159 of this capture are
    // stamped about 584 million years after 1970 (tshark shows
    // 18446744073204.126329), frame 2 jumps 46 years ahead of frames 1 and 3.
    let f = corpus().join("pcapplusplus__pcapng-example.pcapng");
    let o = tcpstate(&["summary", "-f", "jsonl", s(&f)]);
    let err = stderr(&o);
    assert!(
        err.contains(
            "100 frame(s) (the first: frame 60) carry timestamps beyond 64-bit nanoseconds"
        ),
        "{err}"
    );
    assert!(
        err.contains("(the first: frame 2) carry a timestamp more than a day away"),
        "{err}"
    );
    // Stream 0's duration is that of its trusted frames, as tshark shows
    // them: frame 1 to frame 59.
    let epoch = |frame: &str| -> i128 {
        let out = Command::new("tshark")
            .args(["-r", s(&f), "-T", "fields", "-e", "frame.time_epoch", "-Y"])
            .arg(format!("frame.number == {frame}"))
            .output()
            .expect("tshark");
        let t = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let (a, b) = t.split_once('.').expect("seconds.fraction");
        a.parse::<i128>().unwrap() * 1_000_000_000 + b[..9].parse::<i128>().unwrap()
    };
    let first: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().next().unwrap()).unwrap();
    assert_eq!(first["stream"], 0);
    assert_eq!(
        i128::from(first["duration_ns"].as_i64().unwrap()),
        epoch("59") - epoch("1")
    );
}
