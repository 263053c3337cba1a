//! `tcpstate check`'s machine outputs end to end: the JSON document against
//! its schema (src/check/schema.json), the JUnit report read back with an
//! independent JUnit parser, and output that depends neither on the thread
//! count nor on the order of the files.

mod check_support;

use check_support::{
    Run, all_ids_except, all_real, check, mid_stream_capture, real, scratch, tcpstate,
};
use serde_json::Value;

fn schema() -> jsonschema::Validator {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/check/schema.json"
    ))
    .unwrap();
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("a valid JSON Schema")
}

fn valid(doc: &Value) {
    let v = schema();
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

#[test]
fn json_output_follows_its_schema() {
    let d = scratch("json");
    let missing = d.join("nope.pcap").display().to_string();
    let mut files = all_real();
    files.push(missing.clone());
    let mut args = vec![
        "--format".to_string(),
        "json".into(),
        "--expect-closed".into(),
        "--max".into(),
        "simultaneous-open=1".into(),
        "--allow".into(),
        "mid-stream".into(),
    ];
    args.extend(files.iter().cloned());
    let r = check(&args);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let doc = json(&r);
    valid(&doc);
    assert_eq!(doc["type"], "check");
    assert_eq!(doc["verdict"], "error");
    assert_eq!(doc["exit_code"], 2);
    assert_eq!(doc["policy"]["allow"], serde_json::json!(["mid-stream"]));
    let captures = doc["captures"].as_array().unwrap();
    assert_eq!(captures.len(), files.len());
    for (c, f) in captures.iter().zip(&files) {
        assert_eq!(c["file"], f.as_str(), "in the order given");
    }
    let last = captures.last().unwrap();
    assert_eq!(last["verdict"], "error");
    assert!(
        last["error"]["message"]
            .as_str()
            .unwrap()
            .contains("No such file")
    );
    assert_eq!(last["rules"], serde_json::json!([]));
    let rst = &captures[files.iter().position(|f| f.contains("/08-")).unwrap()];
    assert_eq!(rst["verdict"], "fail");
    let v = rst["violations"].as_array().unwrap();
    let first = v
        .iter()
        .find(|v| v["id"] == "rst-in-syn-received")
        .expect("rst-in-syn-received");
    assert_eq!(first["frame"], 3);
    assert_eq!(first["stream"], 0);
    assert_eq!(first["severity"], "error");
    assert_eq!(first["why"], "severity");
    assert_eq!(first["endpoint"], "server");
    assert_eq!(first["filter"], "tcp.stream eq 0 && frame.number == 3");
    let rule = rst["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "rst-in-syn-received")
        .unwrap();
    assert_eq!(rule["passed"], false);
    // The rules end with expect-closed, as in the policy.
    let rules = doc["policy"]["rules"].as_array().unwrap();
    assert_eq!(rules.last().unwrap()["id"], "expect-closed");
    let totals = &doc["totals"];
    assert_eq!(totals["captures"], files.len());
    assert_eq!(totals["unreadable"], 1);
    let n: usize = captures
        .iter()
        .map(|c| c["violations"].as_array().unwrap().len())
        .sum();
    assert_eq!(totals["violations"], n);
}

#[test]
fn json_verdicts_match_the_exit_status() {
    let allow = all_ids_except(&[]);
    for (args, code, verdict) in [
        (vec![real("01-close-client-first.pcap")], 0, "pass"),
        (vec![real("08-rst-in-syn-received.pcapng")], 1, "fail"),
        (
            vec![
                "--allow".into(),
                allow.clone(),
                real("08-rst-in-syn-received.pcapng"),
            ],
            0,
            "pass",
        ),
    ] {
        let mut a = vec!["-f".to_string(), "json".into()];
        a.extend(args);
        let r = check(&a);
        assert_eq!(r.code, code, "{r:?}");
        let doc = json(&r);
        valid(&doc);
        assert_eq!(doc["verdict"], verdict);
        assert_eq!(doc["exit_code"], code);
    }
}

#[test]
fn the_anomaly_catalog_json_follows_the_schema() {
    let r = tcpstate(&["anomalies", "--format", "json"]);
    assert_eq!(r.code, 0);
    let doc = json(&r);
    valid(&doc);
    assert_eq!(
        doc["anomalies"].as_array().unwrap().len(),
        tcpstate::anomaly::AnomalyKind::ALL.len()
    );
}

/// The text of a `<failure>`, read with quick-junit's deserializer:
/// junit-parser 1.6 loses characters written as entities (`&amp;`, `&gt;`)
/// in text nodes, and the violation lines carry `&&` and `>`.
fn failure_text(path: &std::path::Path, suite: usize, case: &str) -> String {
    let xml = std::fs::read_to_string(path).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml).expect("well-formed JUnit");
    let case = report.test_suites[suite]
        .test_cases
        .iter()
        .find(|c| c.name.as_str() == case)
        .unwrap_or_else(|| panic!("{case}"));
    match &case.status {
        quick_junit::TestCaseStatus::NonSuccess {
            kind: quick_junit::NonSuccessKind::Failure,
            description: Some(d),
            ..
        } => d.as_str().to_string(),
        other => panic!(
            "{} is not a failure with text: {other:?}",
            case.name.as_str()
        ),
    }
}

fn junit(path: &std::path::Path) -> junit_parser::TestSuites {
    let f = std::fs::File::open(path).expect("the JUnit report was written");
    junit_parser::from_reader(std::io::BufReader::new(f))
        .expect("JUnit XML that a JUnit reader accepts")
}

#[test]
fn the_junit_report_has_a_test_case_per_capture_and_rule() {
    let d = scratch("junit");
    let report = d.join("report.xml");
    let missing = d.join("nope.pcap").display().to_string();
    let files = [
        real("01-close-client-first.pcap"),
        real("08-rst-in-syn-received.pcapng"),
        real("06-abort-linger0.pcap"),
        missing.clone(),
    ];
    let mut args = vec![
        "--expect-closed".to_string(),
        "--junit".into(),
        report.display().to_string(),
    ];
    args.extend(files.iter().cloned());
    let r = check(&args);
    assert_eq!(r.code, 2, "{r:?}");
    let t = junit(&report);
    assert_eq!(t.name, "tcpstate check");
    assert_eq!(t.suites.len(), files.len());
    // read + each error-severity id + expect-closed.
    let errors = tcpstate::anomaly::AnomalyKind::ALL
        .iter()
        .filter(|k| k.severity() == tcpstate::anomaly::Severity::Error)
        .count();
    let per_capture = 1 + errors + 1;
    for (s, f) in t.suites.iter().zip(&files) {
        assert_eq!(&s.name, f);
        assert_eq!(s.cases.len(), per_capture, "{}", s.name);
        assert_eq!(s.tests as usize, per_capture);
        assert_eq!(s.cases[0].original_name, "read");
        assert_eq!(s.cases.last().unwrap().original_name, "expect-closed");
        for c in &s.cases {
            assert_eq!(c.classname.as_deref(), Some(f.as_str()));
            assert_eq!(c.file.as_deref(), Some(f.as_str()));
        }
    }
    let case = |suite: usize, name: &str| {
        t.suites[suite]
            .cases
            .iter()
            .find(|c| c.original_name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    // The clean capture passes everything.
    assert!(t.suites[0].cases.iter().all(|c| c.status.is_success()));
    assert_eq!(t.suites[0].failures, 0);
    // The rst-in-syn-received one fails that rule, with the violation line.
    let c = case(1, "rst-in-syn-received");
    assert!(c.status.is_failure());
    let failure = c.status.failure_as_ref();
    assert_eq!(failure.failure_type, "rst-in-syn-received");
    assert!(
        failure
            .message
            .starts_with("rst-in-syn-received occurred 1x (error severity)"),
        "{}",
        failure.message
    );
    let text = failure_text(&report, 1, "rst-in-syn-received");
    let line = format!(
        "{}: stream 0, frame 3: rst-in-syn-received (error): the server was in SYN_RECEIVED when an RST (relative seq 1) reset the handshake  [tcp.stream eq 0 && frame.number == 3]",
        files[1]
    );
    assert_eq!(text, line, "the violation line, as printed");
    assert!(r.stdout.contains(&line));
    assert!(case(1, "read").status.is_success());
    // The reset one fails expect-closed only (for that rule).
    let c = case(2, "expect-closed");
    assert!(c.status.is_failure());
    assert!(failure_text(&report, 2, "expect-closed").contains("outcome reset"));
    // The missing one: an error for reading, the rules skipped.
    assert!(case(3, "read").status.is_error());
    assert!(
        case(3, "read")
            .status
            .error_as_ref()
            .message
            .contains("nope.pcap")
    );
    assert!(t.suites[3].cases[1..].iter().all(|c| c.status.is_skipped()));
    assert_eq!(t.errors, 1);
    assert_eq!(t.skipped as usize, per_capture - 1);
    assert_eq!(t.tests as usize, per_capture * files.len());
}

#[test]
fn the_junit_report_shows_tolerated_occurrences_and_denied_ids() {
    let d = scratch("junit_max");
    let mid = d.join("mid.pcap");
    mid_stream_capture(&mid, 5);
    let report = d.join("report.xml");
    let allow = all_ids_except(&["mid-stream", "simultaneous-close"]);
    let r = check(&[
        "--allow",
        &allow,
        "--max",
        "mid-stream=2",
        "--deny",
        "simultaneous-close",
        "--junit",
        &report.display().to_string(),
        &mid.display().to_string(),
        &real("05-simultaneous-close.pcap"),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    let t = junit(&report);
    let names: Vec<&str> = t.suites[0]
        .cases
        .iter()
        .map(|c| c.original_name.as_str())
        .collect();
    assert_eq!(
        names,
        ["read", "simultaneous-close", "mid-stream"],
        "catalog order"
    );
    let mid_case = &t.suites[0].cases[2];
    let f = mid_case.status.failure_as_ref();
    assert_eq!(f.message, "mid-stream occurred 5x, 3 over max 2");
    let text = failure_text(&report, 0, "mid-stream");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].ends_with("stream 2, frame 3: mid-stream (info, occurrence 3 > max 2): no SYN was captured; the connection was joined mid-stream  [tcp.stream eq 2 && frame.number == 3]"),
        "{text}"
    );
    assert_eq!(
        mid_case.system_out.as_deref(),
        Some("2 of 5 occurrences tolerated (max 2)")
    );
    let f = t.suites[1].cases[1].status.failure_as_ref();
    assert_eq!(f.message, "simultaneous-close occurred 1x (denied)");
    assert!(t.suites[1].cases[2].status.is_success());
}

#[test]
fn an_unwritable_junit_path_is_exit_2() {
    let d = scratch("junit_unwritable");
    let r = check(&[
        "--junit",
        &d.join("no/such/dir/report.xml").display().to_string(),
        &real("01-close-client-first.pcap"),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("cannot write the JUnit report"),
        "{}",
        r.stderr
    );
    assert!(
        r.closing()
            .starts_with("tcpstate check: ERROR: the JUnit report could not be written"),
        "{}",
        r.closing()
    );
}

/// Everything `check` writes for `args`, with `-j threads`.
fn outputs(
    args: &[String],
    threads: Option<usize>,
    dir: &std::path::Path,
) -> (i32, String, String, String, String) {
    let report = dir.join(format!("report-{threads:?}.xml"));
    let mut text = args.to_vec();
    let mut json = vec!["--format".to_string(), "json".into()];
    json.extend(args.iter().cloned());
    json.push("--junit".into());
    json.push(report.display().to_string());
    if let Some(n) = threads {
        text.extend(["-j".to_string(), n.to_string()]);
        json.extend(["-j".to_string(), n.to_string()]);
    }
    let t = check(&text);
    let j = check(&json);
    assert_eq!(t.code, j.code);
    (
        t.code,
        t.stdout,
        t.stderr,
        j.stdout,
        std::fs::read_to_string(&report).unwrap(),
    )
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let d = scratch("threads");
    let big = d.join("many.pcap");
    mid_stream_capture(&big, 3000);
    let mut args = vec![
        "--expect-closed".to_string(),
        "--fail-on".into(),
        "info".into(),
        "--max".into(),
        "mid-stream=2500".into(),
    ];
    args.extend(all_real());
    args.push(big.display().to_string());
    args.push(d.join("nope.pcap").display().to_string());
    let one = outputs(&args, Some(1), &d);
    assert_eq!(one.0, 2);
    assert!(
        one.1.contains("occurrence 3000 > max 2500"),
        "the big capture is judged"
    );
    for n in [None, Some(2), Some(4)] {
        let other = outputs(&args, n, &d);
        assert!(one == other, "-j 1 and -j {n:?} differ");
    }
}

#[test]
fn the_verdict_does_not_depend_on_the_order_of_the_files() {
    let files = all_real();
    let mut reversed = files.clone();
    reversed.reverse();
    let mut a = vec![
        "-f".to_string(),
        "json".into(),
        "--fail-on".into(),
        "info".into(),
        "--expect-closed".into(),
    ];
    let mut b = a.clone();
    a.extend(files);
    b.extend(reversed);
    let (ra, rb) = (check(&a), check(&b));
    assert_eq!(ra.code, rb.code);
    let (ja, jb) = (json(&ra), json(&rb));
    assert_eq!(ja["totals"], jb["totals"]);
    let mut ca = ja["captures"].as_array().unwrap().clone();
    let mut cb = jb["captures"].as_array().unwrap().clone();
    cb.reverse();
    assert_eq!(
        ca, cb,
        "each capture's result is the same, listed in the order given"
    );
    ca.clear();
}
