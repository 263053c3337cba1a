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

/// A capture with what the newer keys describe: a segment in GRE, an ICMP
/// error quoting it, a segment in two IPv4 fragments, a header cut inside
/// its options. Packets by etherparse; GRE, ICMP and the fragments are
/// assembled from their fields.
fn encapsulated_capture() -> Vec<u8> {
    use etherparse::{IpNumber, Ipv4Header, PacketBuilder};
    let tcp = |seq: u32, syn: bool, payload: &[u8]| {
        let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).tcp(40000, 80, seq, 1000);
        let b = if syn {
            b.syn()
                .options(&[etherparse::TcpOptionElement::MaximumSegmentSize(1460)])
                .unwrap()
        } else {
            b.ack(1)
        };
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    };
    let outer = |proto: u8, payload: &[u8], id: u16, offset: u16, more: bool| {
        let mut h = Ipv4Header::new(
            payload.len() as u16,
            64,
            IpNumber(proto),
            [192, 0, 2, 1],
            [192, 0, 2, 2],
        )
        .unwrap();
        h.identification = id;
        h.more_fragments = more;
        h.fragment_offset = etherparse::IpFragOffset::try_new(offset / 8).unwrap();
        h.header_checksum = h.calc_header_checksum();
        [
            &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0][..],
            &h.to_bytes(),
            payload,
        ]
        .concat()
    };
    let syn = tcp(100, true, b"");
    let gre = [&[0u8, 0, 8, 0][..], &syn].concat();
    let mut icmp = [&[3u8, 1, 0, 0, 0, 0, 0, 0][..], &syn].concat();
    let sum = etherparse::checksum::Sum16BitWords::new()
        .add_slice(&icmp)
        .ones_complement();
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let data = tcp(101, false, &[b'x'; 40]);
    let ip = |p: &[u8]| [&[2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0][..], p].concat();
    // The data segment's payload (TCP header and 40 bytes) in two pieces:
    // its own header with the protocol, as the fragments' outer header.
    let frag = |offset: u16, more: bool, piece: &[u8]| {
        let mut h = Ipv4Header::from_slice(&data[..20]).unwrap().0;
        h.total_len = (20 + piece.len()) as u16;
        h.more_fragments = more;
        h.dont_fragment = false;
        h.fragment_offset = etherparse::IpFragOffset::try_new(offset / 8).unwrap();
        h.header_checksum = h.calc_header_checksum();
        ip(&[&h.to_bytes()[..], piece].concat())
    };
    let frames: Vec<(Vec<u8>, usize)> = vec![
        (outer(47, &gre, 1, 0, false), usize::MAX),
        (ip(&outer(1, &icmp, 2, 0, false)[14..]), usize::MAX),
        (frag(0, true, &data[20..44]), usize::MAX),
        (frag(24, false, &data[44..]), usize::MAX),
        // The SYN again, cut inside its options.
        (ip(&syn), 14 + 20 + 22),
    ];
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for (i, (f, cut)) in frames.iter().enumerate() {
        let cap = f.len().min(*cut);
        for v in [1_700_000_000 + i as u32, 0, cap as u32, f.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&f[..cap]);
    }
    out
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
