//! `--format parquet` (built with `--features parquet`): every value read
//! back with Arrow's own reader equals the JSON output of the same capture,
//! the columns are typed, dictionary-encoded and compressed as documented,
//! the dataset is laid out and written as documented, and the report over
//! the Parquet results is the report over the captures, byte for byte.

mod common;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampNanosecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use common::*;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

fn tcpstate(args: &[&str]) -> Output {
    tcpstate_in_repo(args)
}

fn tmp(name: &str) -> PathBuf {
    fresh_dir("parquet", name)
}

/// Runs a command that may meet damaged captures (status 2 then).
fn run_ok(args: &[&str]) -> Output {
    let out = tcpstate(args);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Any Arrow value as JSON, generically: numbers, strings (dictionary or
/// not), timestamps as their integer, structs as objects, lists as arrays,
/// maps as objects.
fn value(a: &dyn Array, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        DataType::Int32 => a.as_primitive::<Int32Type>().value(i).into(),
        DataType::Boolean => a.as_boolean().value(i).into(),
        DataType::Utf8 => a.as_string::<i32>().value(i).into(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            a.as_primitive::<TimestampNanosecondType>().value(i).into()
        }
        DataType::Dictionary(_, _) => {
            let d = a.as_dictionary::<Int32Type>();
            value(d.values().as_ref(), d.keys().value(i) as usize)
        }
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let mut o = Map::new();
            for (f, c) in fields.iter().zip(s.columns()) {
                o.insert(f.name().clone(), value(c.as_ref(), i));
            }
            Value::Object(o)
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let o = l.value_offsets();
            (o[i] as usize..o[i + 1] as usize)
                .map(|j| value(l.values().as_ref(), j))
                .collect::<Vec<_>>()
                .into()
        }
        DataType::Map(_, _) => {
            let m = a.as_map();
            let o = m.value_offsets();
            let mut out = Map::new();
            for j in o[i] as usize..o[i + 1] as usize {
                let Value::String(k) = value(m.keys().as_ref(), j) else {
                    panic!("map keys are strings")
                };
                out.insert(k, value(m.values().as_ref(), j));
            }
            Value::Object(out)
        }
        t => panic!("unexpected type {t}"),
    }
}

fn batches(path: &Path) -> (Vec<RecordBatch>, parquet::file::metadata::ParquetMetaData) {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let b = ParquetRecordBatchReaderBuilder::try_new(f).expect("a Parquet file");
    let meta = (**b.metadata()).clone();
    let batches = b.build().unwrap().map(|b| b.unwrap()).collect();
    (batches, meta)
}

fn rows(path: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for b in batches(path).0 {
        let s: arrow_array::StructArray = b.into();
        for i in 0..s.len() {
            out.push(value(&s, i));
        }
    }
    out
}

fn meta(m: &parquet::file::metadata::ParquetMetaData, key: &str) -> Option<String> {
    m.file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
}

/// `"client"`/`"server"` alternatives as Parquet has them: a struct with
/// both sides, null when both states are certain.
fn uncertain(v: Option<&Value>) -> Value {
    match v {
        None => Value::Null,
        Some(u) => json!({"client": u.get("client").cloned().unwrap_or(Value::Null),
                          "server": u.get("server").cloned().unwrap_or(Value::Null)}),
    }
}

/// Seconds with nine decimals, as the JSON line writes them under `key`,
/// exactly in ns (a double would round a 19-digit value).
fn seconds_ns(line: &str, key: &str) -> Value {
    let pat = format!("\"{key}\":");
    let Some(at) = line.find(&pat) else {
        return Value::Null;
    };
    let text: String = line[at + pat.len()..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
        .collect();
    let (neg, text) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text.as_str()),
    };
    let (int, frac) = text.split_once('.').expect("nine decimals");
    assert_eq!(frac.len(), 9, "{key}: {text}");
    let ns = int.parse::<i64>().unwrap() * 1_000_000_000 + frac.parse::<i64>().unwrap();
    json!(if neg { -ns } else { ns })
}

/// A JSON Lines object as the README says Parquet keeps it.
fn expected(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["start", "start_epoch", "duration", "time", "time_epoch"] {
        o.remove(k);
    }
    if o["type"] == "connection" {
        o.remove("type");
        let u = uncertain(o.get("final_state_uncertain"));
        o.insert("final_state_uncertain".into(), u);
    } else {
        // Keys a row does not have are null (an ICMP error's row has no
        // direction, flags, numbers or verdict; a segment's no icmp; an
        // event row has none of those, nor anomalies or analysis).
        for k in [
            "anomalies",
            "analysis",
            "icmp",
            "quoted",
            "direction",
            "flags",
            "seq",
            "ack",
            "len",
            "verdict",
            "tunnel",
        ] {
            o.entry(k).or_insert(Value::Null);
        }
        o.entry("short_header").or_insert(Value::Bool(false));
        let u = uncertain(o.get("state_uncertain"));
        o.insert("state_uncertain".into(), u);
        let Some(a) = o.get("analysis").and_then(Value::as_object).cloned() else {
            return v;
        };
        o.insert(
            "analysis".into(),
            json!({
                "flags": a["flags"],
                "duplicate_ack": a.get("duplicate_ack").cloned().unwrap_or(Value::Null),
                "acks_frame": a.get("acks_frame").cloned().unwrap_or(Value::Null),
                "ack_rtt_ns": seconds_ns(line, "ack_rtt"),
                "initial_rtt_ns": seconds_ns(line, "initial_rtt"),
            }),
        );
    }
    v
}

/// The JSON Lines objects of one type, as text.
fn jsonl(cmd: &str, file: &str, kind: &str) -> Vec<String> {
    let out = run_ok(&[cmd, "-f", "jsonl", file]);
    let tag = format!("{{\"type\":\"{kind}\"");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| {
            l.starts_with(&tag)
                || kind == "segment"
                    && (l.starts_with("{\"type\":\"icmp\"") || l.starts_with("{\"type\":\"event\""))
        })
        .map(str::to_string)
        .collect()
}

/// Compares every row; says which kinds of timeline rows were compared.
fn every_value_equals_the_json(
    files: &[PathBuf],
    name: &str,
) -> std::collections::BTreeSet<String> {
    let mut kinds = std::collections::BTreeSet::new();
    let files = relative_sorted(files);
    let dir = tmp(name);
    let d = dir.to_str().unwrap();
    let mut args = vec!["summary", "-f", "parquet", "--hive", "-o", d];
    args.extend(files.iter().map(String::as_str));
    run_ok(&args);
    args[0] = "timeline";
    run_ok(&args);
    let mut compared = [0usize; 2];
    for f in &files {
        let part = dir.join(tcpstate::output::dataset::partition_name(f.as_bytes()));
        for (cmd, table, kind, n) in [
            ("summary", "connections.parquet", "connection", 0),
            ("timeline", "segments.parquet", "segment", 1),
        ] {
            let want: Vec<Value> = jsonl(cmd, f, kind).iter().map(|l| expected(l)).collect();
            let got = rows(&part.join(table));
            assert_eq!(got.len(), want.len(), "{f} {table}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g, w, "{f} {table}");
                if let Some(k) = g.get("type").and_then(Value::as_str) {
                    kinds.insert(k.to_string());
                }
            }
            compared[n] += got.len();
            // The capture's object is the one JSON Lines ends it with.
            let (_, m) = batches(&part.join(table));
            let capture: Value =
                serde_json::from_str(&meta(&m, "tcpstate.capture").unwrap()).unwrap();
            if capture.get("unreadable").is_none() {
                let last = jsonl(cmd, f, "capture").pop().unwrap();
                assert_eq!(
                    capture,
                    serde_json::from_str::<Value>(&last).unwrap(),
                    "{f}"
                );
            }
        }
    }
    assert!(compared[0] > 0 && compared[1] > compared[0], "{compared:?}");
    std::fs::remove_dir_all(&dir).unwrap();
    kinds
}

#[test]
fn every_value_read_back_equals_the_json_output() {
    let kinds = every_value_equals_the_json(&captures_in(&repo().join("testdata/real")), "real");
    // Timers' transitions between segments are rows of their own.
    assert!(
        kinds.contains("segment") && kinds.contains("event"),
        "{kinds:?}"
    );
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn every_value_read_back_equals_the_json_output_on_the_corpus() {
    every_value_equals_the_json(&captures_in(&corpus()), "corpus");
}

/// Tunnels, ICMP errors (the connections' lists and the timeline's `icmp`
/// rows), short headers.
#[test]
fn tunnels_icmp_errors_and_short_headers_read_back_equal_the_json() {
    let dir = tmp("encapsulated");
    let f = dir.join("encapsulated.pcap");
    std::fs::write(&f, encapsulated_capture()).unwrap();
    let kinds = every_value_equals_the_json(std::slice::from_ref(&f), "encapsulated-out");
    assert!(kinds.contains("icmp"), "{kinds:?}");
    // What was compared had them.
    let out = tmp("encapsulated-rows");
    let o = out.to_str().unwrap();
    run_ok(&["timeline", "-f", "parquet", "-o", o, f.to_str().unwrap()]);
    run_ok(&["summary", "-f", "parquet", "-o", o, f.to_str().unwrap()]);
    let segs = rows(&out.join("segments.parquet"));
    assert!(
        segs.iter()
            .any(|r| r["type"] == "icmp" && r["icmp"]["type"] == 3)
    );
    assert!(segs.iter().any(|r| r["tunnel"]["path"][0] == "gre"));
    assert!(segs.iter().any(|r| r["short_header"] == true));
    let conns = rows(&out.join("connections.parquet"));
    assert_eq!(conns[0]["tunnels"][0]["packets"], 1);
    assert_eq!(
        conns[0]["icmp_errors"][0]["quoted"]["flags"],
        json!(["SYN"])
    );
    for d in [dir, out] {
        std::fs::remove_dir_all(&d).unwrap();
    }
}

/// Tunnels and ICMP errors: the connections' lists and the timeline's
/// `icmp` rows.
#[test]
#[ignore = "needs ../shared/corpus-encap"]
fn every_value_read_back_equals_the_json_output_on_the_tunnel_and_icmp_corpus() {
    let encap = repo().join("../shared/corpus-encap");
    assert!(
        encap.join("SOURCES.md").is_file(),
        "{} is missing",
        encap.display()
    );
    every_value_equals_the_json(&captures_in(&encap), "encap");
    same_report_from_parquet(&captures_in(&encap), "report-encap");
}

#[test]
fn columns_are_typed_dictionary_encoded_compressed_and_versioned() {
    let dir = tmp("types");
    let d = dir.to_str().unwrap();
    run_ok(&[
        "summary",
        "-f",
        "parquet",
        "-o",
        d,
        "testdata/real/09-lost-final-ack.pcap",
    ]);
    let (b, m) = batches(&dir.join("connections.parquet"));
    let schema = b[0].schema();
    let ty = |name: &str| schema.field_with_name(name).unwrap().data_type().clone();
    assert_eq!(
        ty("start_ns"),
        DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    assert_eq!(ty("outcome"), dict);
    assert_eq!(ty("stream"), DataType::Int64);
    let DataType::Struct(f) = ty("final_state") else {
        panic!()
    };
    assert_eq!(f[0].data_type(), &dict);
    let DataType::Struct(f) = ty("client") else {
        panic!()
    };
    assert_eq!(f[0].data_type(), &DataType::Utf8);
    assert_eq!(f[1].data_type(), &DataType::Int32);
    let DataType::List(item) = ty("lifecycle") else {
        panic!()
    };
    let DataType::Struct(f) = item.data_type() else {
        panic!()
    };
    assert_eq!(
        f.iter().map(|f| f.name().as_str()).collect::<Vec<_>>(),
        ["frame", "ts_ns", "endpoint", "from", "to", "basis"]
    );
    assert!(matches!(ty("analysis_counts"), DataType::Map(_, _)));
    assert_eq!(meta(&m, "tcpstate.schema").as_deref(), Some("2"));
    assert_eq!(meta(&m, "tcpstate.table").as_deref(), Some("connections"));
    assert!(
        m.file_metadata()
            .created_by()
            .unwrap()
            .starts_with("tcpstate ")
    );
    // Every column chunk compressed; the states dictionary-encoded.
    let rg = m.row_group(0);
    for c in rg.columns() {
        assert_eq!(c.compression(), Compression::SNAPPY, "{}", c.column_path());
    }
    let outcome = rg
        .columns()
        .iter()
        .find(|c| c.column_path().string() == "outcome")
        .unwrap();
    assert!(outcome.encodings().any(|e| e == Encoding::RLE_DICTIONARY));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn one_capture_one_file_several_hive_partitions_written_whole() {
    let dir = tmp("layout");
    let d = dir.to_str().unwrap();
    let a = "testdata/real/09-lost-final-ack.pcap";
    let b = "testdata/real/07-refused.pcap";
    run_ok(&["summary", "-f", "parquet", "-o", d, a]);
    assert!(dir.join("connections.parquet").is_file());
    run_ok(&["summary", "-f", "parquet", "--hive", "-o", d, a]);
    run_ok(&["timeline", "-f", "parquet", "-o", d, a, b]);
    run_ok(&["summary", "-f", "parquet", "-o", d, a, b]);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "capture=testdata%2Freal%2F07-refused.pcap",
            "capture=testdata%2Freal%2F09-lost-final-ack.pcap",
            "connections.parquet"
        ]
    );
    for n in &names[..2] {
        let mut files: Vec<String> = std::fs::read_dir(dir.join(n))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        // No temporary file left behind.
        assert_eq!(files, ["connections.parquet", "segments.parquet"], "{n}");
    }
    // The same whatever the threads: byte for byte.
    let one = tmp("j1");
    let two = tmp("j2");
    run_ok(&[
        "summary",
        "-j",
        "1",
        "-f",
        "parquet",
        "-o",
        one.to_str().unwrap(),
        a,
        b,
    ]);
    run_ok(&[
        "summary",
        "-j",
        "2",
        "-f",
        "parquet",
        "-o",
        two.to_str().unwrap(),
        a,
        b,
    ]);
    for n in &names[..2] {
        let read = |d: &Path| std::fs::read(d.join(n).join("connections.parquet")).unwrap();
        assert!(read(&one) == read(&two), "{n}");
    }
    for d in [dir, one, two] {
        std::fs::remove_dir_all(&d).unwrap();
    }
}

#[test]
fn a_capture_given_twice_is_written_once_and_named() {
    // Two captures of one file name in different directories get two
    // partitions (the whole path is the name); the same capture twice would
    // write one partition twice over: it is written once, and the second is
    // an input problem (status 2), for summary and timeline alike.
    let dir = tmp("twice");
    let d = dir.to_str().unwrap();
    let a = "testdata/real/09-lost-final-ack.pcap";
    let b = "testdata/real/07-refused.pcap";
    for cmd in ["summary", "timeline"] {
        let out = tcpstate(&[cmd, "-f", "parquet", "-o", d, a, b, a]);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("tcpstate: {a}: given again (as {a})")),
            "{cmd}: {err}"
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "capture=testdata%2Freal%2F07-refused.pcap",
            "capture=testdata%2Freal%2F09-lost-final-ack.pcap",
        ]
    );
    for n in &names {
        let mut files: Vec<String> = std::fs::read_dir(dir.join(n))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files, ["connections.parquet", "segments.parquet"], "{n}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

fn same_report_from_parquet(files: &[PathBuf], name: &str) {
    let dir = tmp(name);
    // A file that is not a capture is reported as unreadable by both.
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"not a capture\n").unwrap();
    let results = dir.join("results");
    let mut files = relative_sorted(files);
    files.push(junk.display().to_string());
    files.sort_by(|a, b| Path::new(a).cmp(Path::new(b)));
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let mut args = vec!["summary", "-f", "parquet", "-o", results.to_str().unwrap()];
    args.extend(&names);
    let s = run_ok(&args);
    assert_eq!(s.status.code(), Some(2), "the junk is an input problem");
    let mut args = vec!["report", "-f", "json"];
    args.extend(&names);
    let want = run_ok(&args);
    let got = run_ok(&["report", "-f", "json", results.to_str().unwrap()]);
    assert!(
        got.stdout == want.stdout,
        "{}",
        String::from_utf8_lossy(&got.stderr)
    );
    assert_eq!(got.stderr, want.stderr);
    assert_eq!(got.status.code(), want.status.code());
    let v: Value = serde_json::from_slice(&got.stdout).unwrap();
    assert!(
        v["captures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["status"] == "unreadable")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_report_over_parquet_results_is_the_report_over_the_captures() {
    same_report_from_parquet(&captures_in(&repo().join("testdata/real")), "report-real");
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn the_report_over_parquet_results_is_the_report_over_the_corpus() {
    same_report_from_parquet(&captures_in(&corpus()), "report-corpus");
}

#[test]
fn a_damaged_parquet_file_is_an_error_naming_it() {
    let dir = tmp("damaged");
    let d = dir.to_str().unwrap();
    run_ok(&[
        "summary",
        "-f",
        "parquet",
        "-o",
        d,
        "testdata/real/09-lost-final-ack.pcap",
    ]);
    let p = dir.join("connections.parquet");
    let bytes = std::fs::read(&p).unwrap();
    for cut in [4, bytes.len() / 2, bytes.len() - 3] {
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let out = tcpstate(&["report", "-f", "json", d]);
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("connections.parquet"), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
