//! `tcpstate check` end to end, with the built binary: exit statuses, the
//! violation lines, every policy rule (flags and policy file), usage errors
//! and unreadable input. Captures: the real-stack recordings in
//! testdata/real (see their .expect files) and captures crafted with
//! etherparse.
//!
//! Tests of a rule do not assume that other kinds stay silent on a
//! recording: policies that must hold allow every id except the ones under
//! test, so they stay true as detection changes. What the default policy
//! makes of the recordings is pinned separately.

mod check_support;

use check_support::{
    all_ids_except, all_real, catalog, check, mid_stream_capture, real, scratch, tcpstate,
};

const CLEAN: &str = "01-close-client-first.pcap";
const RST_IN_SYN_RECEIVED: &str = "08-rst-in-syn-received.pcapng";

// ---- exit statuses ----------------------------------------------------------

#[test]
fn a_clean_capture_passes() {
    let r = check(&[real(CLEAN)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.violations().is_empty(), "{r:?}");
    assert!(
        r.closing()
            .starts_with("tcpstate check: PASS: no violation in 1 capture; 1 connection"),
        "{}",
        r.closing()
    );
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

#[test]
fn an_error_severity_anomaly_fails() {
    let r = check(&[real(RST_IN_SYN_RECEIVED)]);
    assert_eq!(r.code, 1, "{r:?}");
    let line = format!(
        "{}: stream 0, frame 3: rst-in-syn-received (error): the server was in SYN_RECEIVED when an RST (relative seq 1) reset the handshake  [tcp.stream eq 0 && frame.number == 3]",
        real(RST_IN_SYN_RECEIVED)
    );
    assert!(r.violations().contains(&line.as_str()), "{r:?}");
    assert!(
        r.closing().starts_with("tcpstate check: FAIL: "),
        "{}",
        r.closing()
    );
    assert!(
        r.closing().contains("rst-in-syn-received 1"),
        "{}",
        r.closing()
    );
}

#[test]
fn the_active_open_rst_case_fails_too() {
    let r = check(&[real("18-rst-in-syn-received-active.pcap")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.violations()
            .iter()
            .any(|l| l.contains(": stream 0, frame 4: rst-in-syn-received (error): the client ")),
        "{r:?}"
    );
}

#[test]
fn a_missing_file_is_exit_2() {
    let d = scratch("missing");
    let missing = d.join("nope.pcap").display().to_string();
    let r = check(&[&missing]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("nope.pcap"), "{}", r.stderr);
    assert!(
        r.closing()
            .starts_with("tcpstate check: ERROR: 1 of 1 capture could not be read"),
        "{}",
        r.closing()
    );
}

#[test]
fn a_file_that_is_not_a_capture_is_exit_2() {
    let d = scratch("not_a_capture");
    let p = d.join("notes.pcap");
    std::fs::write(&p, "this is not a capture\n").unwrap();
    let r = check(&[p.display().to_string()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("not a pcap or pcapng capture"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_truncated_capture_is_exit_2_and_what_was_read_is_judged() {
    let d = scratch("truncated");
    let bytes = std::fs::read(real(CLEAN)).unwrap();
    let p = d.join("cut.pcap");
    // The last record (frame 11, the final ACK) loses its last 7 bytes.
    std::fs::write(&p, &bytes[..bytes.len() - 7]).unwrap();
    let r = check(&[p.display().to_string()]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("cut.pcap: frame 11 at byte offset"),
        "{}",
        r.stderr
    );
    assert!(
        r.closing()
            .starts_with("tcpstate check: ERROR: 1 of 1 capture could not be read to the end"),
        "{}",
        r.closing()
    );
    // Frames 1-10 were judged (one connection).
    assert!(
        r.closing().ends_with("; 1 connection, 1 anomaly")
            || r.closing().contains("; 1 connection,"),
        "{}",
        r.closing()
    );
}

#[test]
fn an_input_problem_outranks_violations_which_are_still_printed() {
    let d = scratch("outranks");
    let missing = d.join("nope.pcap").display().to_string();
    let r = check(&[real(RST_IN_SYN_RECEIVED), missing]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(r.violations().len(), 1, "{r:?}");
    assert!(r.violations()[0].contains("rst-in-syn-received"));
    assert!(
        r.closing()
            .starts_with("tcpstate check: ERROR: 1 of 2 captures could not be read"),
        "{}",
        r.closing()
    );
    assert!(
        r.closing()
            .contains("1 violation (rst-in-syn-received 1) in 1 of 2 captures"),
        "{}",
        r.closing()
    );
}

#[test]
fn violations_are_listed_file_by_file_in_the_order_given() {
    let a = real(RST_IN_SYN_RECEIVED);
    let b = real("18-rst-in-syn-received-active.pcap");
    for (first, second) in [(&a, &b), (&b, &a)] {
        let r = check(&[first, second, &real(CLEAN)]);
        assert_eq!(r.code, 1);
        let v = r.violations();
        let pos = |f: &str| v.iter().position(|l| l.starts_with(f)).expect("listed");
        assert!(pos(first) < pos(second), "{v:?}");
    }
}

// ---- the policy, from flags ---------------------------------------------------

#[test]
fn allow_exempts_an_id() {
    let r = check(&["--allow", "rst-in-syn-received", &real(RST_IN_SYN_RECEIVED)]);
    assert!(!r.stdout.contains("rst-in-syn-received ("), "{r:?}");
    // Whatever else fires, allowing every id passes.
    let r = check(&["--allow", &all_ids_except(&[]), &real(RST_IN_SYN_RECEIVED)]);
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn deny_fails_an_id_whatever_its_severity() {
    let f = real("05-simultaneous-close.pcap");
    let allow = all_ids_except(&["simultaneous-close"]);
    let r = check(&["--allow", &allow, &f]);
    assert_eq!(r.code, 0, "simultaneous-close is info: {r:?}");
    let r = check(&["--allow", &allow, "--deny", "simultaneous-close", &f]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.violations().len(), 1, "{r:?}");
    assert!(
        // Frame 8: the server's FIN reached the client in FIN-WAIT-1 (see
        // testdata/real/05-simultaneous-close.anomalies for the reasoning).
        r.violations()[0].contains(": stream 0, frame 8: simultaneous-close (info, denied): ")
            && r.violations()[0].ends_with("[tcp.stream eq 0 && frame.number == 8]"),
        "{r:?}"
    );
}

#[test]
fn fail_on_lowers_the_bar() {
    let f = real("05-simultaneous-close.pcap");
    let r = check(&["--fail-on", "warning", &f]);
    assert!(
        !r.stdout.contains("simultaneous-close ("),
        "info is below warning: {r:?}"
    );
    let r = check(&["--fail-on", "info", &f]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.violations()
            .iter()
            .any(|l| l.contains("simultaneous-close (info): ")),
        "{r:?}"
    );
    // A warning kind, from the challenge-ACK recording.
    let f = real("14-rst-challenge-ack.pcap");
    let r = check(&["--fail-on", "warning", &f]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.violations()
            .iter()
            .any(|l| l.contains("frame 8: unacceptable-segment (warning): ")),
        "{r:?}"
    );
}

#[test]
fn max_tolerates_the_first_n_occurrences_of_each_capture() {
    let d = scratch("max");
    let p = d.join("mid.pcap");
    mid_stream_capture(&p, 5);
    let p = p.display().to_string();
    let allow = all_ids_except(&["mid-stream"]);
    let r = check(&["--allow", &allow, "--max", "mid-stream=5", &p]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = check(&["--allow", &allow, "--max", "mid-stream=3", &p]);
    assert_eq!(r.code, 1, "{r:?}");
    // Occurrences count in frame order: streams 0..4 show at frames 1..5.
    assert_eq!(
        r.violations(),
        vec![
            format!(
                "{p}: stream 3, frame 4: mid-stream (info, occurrence 4 > max 3): no SYN was captured; the connection was joined mid-stream  [tcp.stream eq 3 && frame.number == 4]"
            ),
            format!(
                "{p}: stream 4, frame 5: mid-stream (info, occurrence 5 > max 3): no SYN was captured; the connection was joined mid-stream  [tcp.stream eq 4 && frame.number == 5]"
            ),
        ]
    );
    // Per capture: two captures of 5 each pass max 5.
    let q = d.join("mid2.pcap");
    mid_stream_capture(&q, 5);
    let r = check(&[
        "--allow",
        &allow,
        "--max",
        "mid-stream=5",
        &p,
        &q.display().to_string(),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    // max relaxes an error kind as well.
    let f = real(RST_IN_SYN_RECEIVED);
    let r = check(&["--max", "rst-in-syn-received=1", &f]);
    assert!(!r.stdout.contains("rst-in-syn-received ("), "{r:?}");
    let r = check(&["--max", "rst-in-syn-received=0", &f]);
    assert!(
        r.violations()
            .iter()
            .any(|l| l.contains("rst-in-syn-received (error, occurrence 1 > max 0)")),
        "{r:?}"
    );
}

#[test]
fn expect_closed_fails_connections_not_cleanly_closed() {
    let allow = all_ids_except(&[]);
    for (name, closed) in [
        ("01-close-client-first.pcap", true),
        ("02-close-server-first.pcap", true),
        ("03-half-close.pcapng", true),
        ("05-simultaneous-close.pcap", true),
        ("06-abort-linger0.pcap", false),
        ("07-refused.pcap", false),
        ("11-unanswered-syn.pcap", false),
    ] {
        let r = check(&["--allow", &allow, "--expect-closed", &real(name)]);
        assert_eq!(r.code, if closed { 0 } else { 1 }, "{name}: {r:?}");
    }
    let r = check(&[
        "--allow",
        &allow,
        "--expect-closed",
        &real("06-abort-linger0.pcap"),
    ]);
    assert_eq!(
        r.violations(),
        vec![format!(
            "{}: stream 0, frame 8: expect-closed: not cleanly closed: outcome reset, client CLOSED, server CLOSED at the end (expected outcome closed, each endpoint CLOSED or TIME_WAIT)  [tcp.stream eq 0 && frame.number == 8]",
            real("06-abort-linger0.pcap")
        )]
    );
    // Without the flag, the same capture passes.
    let r = check(&["--allow", &allow, &real("06-abort-linger0.pcap")]);
    assert_eq!(r.code, 0, "{r:?}");
}

// ---- the policy file ------------------------------------------------------------

#[test]
fn a_policy_file_holds_the_same_rules() {
    let d = scratch("policy_file");
    let allow: Vec<String> = catalog()
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| id != "simultaneous-close" && id != "mid-stream")
        .map(|id| format!("\"{id}\""))
        .collect();
    let policy = d.join("tcpstate.toml");
    std::fs::write(
        &policy,
        format!(
            "# what this repository tolerates\nfail-on = \"warning\"\nexpect-closed = true\nallow = [{}]\ndeny = [\"simultaneous-close\"]\n\n[max]\nmid-stream = 4\n",
            allow.join(", ")
        ),
    )
    .unwrap();
    let policy = policy.display().to_string();
    let mid = d.join("mid.pcap");
    mid_stream_capture(&mid, 5);
    let mid = mid.display().to_string();

    // deny
    let r = check(&["--policy", &policy, &real("05-simultaneous-close.pcap")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.violations()[0].contains("simultaneous-close (info, denied)"),
        "{r:?}"
    );
    // max
    let r = check(&["--policy", &policy, &mid]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.violations().len(), 1, "{r:?}");
    assert!(
        r.violations()[0].contains("stream 4, frame 5: mid-stream (info, occurrence 5 > max 4)"),
        "{r:?}"
    );
    // expect-closed
    let r = check(&["--policy", &policy, &real("07-refused.pcap")]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.violations()[0].contains("expect-closed: not cleanly closed: outcome refused"),
        "{r:?}"
    );
    // allow, and the file's fail-on: the healthy capture passes.
    let r = check(&["--policy", &policy, &real(CLEAN)]);
    assert_eq!(r.code, 0, "{r:?}");

    // Flags override the file id by id.
    let r = check(&[
        "--policy",
        &policy,
        "--allow",
        "simultaneous-close",
        &real("05-simultaneous-close.pcap"),
    ]);
    assert_eq!(r.code, 0, "--allow replaces the file's deny: {r:?}");
    let r = check(&["--policy", &policy, "--max", "mid-stream=5", &mid]);
    assert_eq!(r.code, 0, "--max replaces the file's max: {r:?}");
    let r = check(&[
        "--policy",
        &policy,
        "--no-expect-closed",
        &real("07-refused.pcap"),
    ]);
    assert!(!r.stdout.contains("expect-closed:"), "{r:?}");
    // ... and extend it.
    let r = check(&[
        "--policy",
        &policy,
        "--deny",
        "connection-refused",
        &real(CLEAN),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = check(&[
        "--policy",
        &policy,
        "--fail-on",
        "error",
        "--deny",
        "mid-stream",
        &mid,
    ]);
    assert_eq!(r.violations().len(), 5, "{r:?}");
}

#[test]
fn bad_policy_files_are_exit_2() {
    let d = scratch("bad_policy");
    for (name, text, expect) in [
        (
            "unknown-id.toml",
            "deny = [\"rst-syn-received\"]\n",
            "did you mean 'rst-in-syn-received'?",
        ),
        ("typo-key.toml", "fail_on = \"error\"\n", "unknown field"),
        (
            "bad-severity.toml",
            "fail-on = \"fatal\"\n",
            "expected error, warning or info",
        ),
        ("negative.toml", "[max]\nmid-stream = -1\n", "policy file"),
        (
            "conflict.toml",
            "allow = [\"mid-stream\"]\ndeny = [\"mid-stream\"]\n",
            "two rules",
        ),
        ("not-toml.toml", "deny = [\n", "policy file"),
    ] {
        let p = d.join(name);
        std::fs::write(&p, text).unwrap();
        let r = check(&["--policy", &p.display().to_string(), &real(CLEAN)]);
        assert_eq!(r.code, 2, "{name}: {r:?}");
        assert!(r.stderr.contains(expect), "{name}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{name}: nothing judged: {}", r.stdout);
    }
    let r = check(&[
        "--policy",
        &d.join("absent.toml").display().to_string(),
        &real(CLEAN),
    ]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("absent.toml"), "{}", r.stderr);
}

// ---- usage ---------------------------------------------------------------------

#[test]
fn unknown_ids_are_exit_2_with_a_suggestion() {
    let r = check(&["--deny", "rst-syn-received", &real(CLEAN)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr
            .contains("unknown anomaly id 'rst-syn-received' in --deny"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("did you mean 'rst-in-syn-received'?"),
        "{}",
        r.stderr
    );
    let r = check(&["--allow", "mid-stream,refused", &real(CLEAN)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("did you mean 'connection-refused'?"),
        "{}",
        r.stderr
    );
    let r = check(&["--max", "zzzzzz=1", &real(CLEAN)]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("tcpstate anomalies"), "{}", r.stderr);
}

#[test]
fn bad_flags_are_exit_2() {
    let f = real(CLEAN);
    for args in [
        vec!["--max", "mid-stream", f.as_str()],
        vec!["--max", "mid-stream=many", f.as_str()],
        vec!["--allow", "mid-stream", "--deny", "mid-stream", f.as_str()],
        vec!["--fail-on", "fatal", f.as_str()],
        vec!["--no-such-flag", f.as_str()],
        vec!["--format", "jsonl", f.as_str()],
        vec![],
    ] {
        let r = check(&args);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
        assert!(!r.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn every_recording_is_checked_with_the_default_policy() {
    let files = all_real();
    let r = check(&files);
    assert_ne!(r.code, 2, "every recording is readable: {}", r.stderr);
    assert_eq!(r.code, 1, "the rst-in-syn-received recordings fail: {r:?}");
    assert!(
        r.closing()
            .contains(&format!("of {} captures", files.len())),
        "{}",
        r.closing()
    );
    for l in r.violations() {
        // Only error-severity ids fail by default.
        let id = l.split(": ").nth(2).unwrap().split(' ').next().unwrap();
        let sev = catalog().into_iter().find(|(i, _)| i == id).map(|(_, s)| s);
        assert_eq!(sev.as_deref(), Some("error"), "{l}");
    }
}

// ---- tcpstate anomalies ---------------------------------------------------------

#[test]
fn anomalies_lists_the_catalog() {
    let r = tcpstate(&["anomalies"]);
    assert_eq!(r.code, 0, "{r:?}");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID ")
            && lines[0].contains("SEVERITY")
            && lines[0].contains("RFC")
            && lines[0].ends_with("DESCRIPTION")
    );
    assert_eq!(lines.len(), 1 + tcpstate::anomaly::AnomalyKind::ALL.len());
    for (k, l) in tcpstate::anomaly::AnomalyKind::ALL.iter().zip(&lines[1..]) {
        assert!(l.starts_with(&format!("{} ", k.id())), "{l}");
        assert!(l.contains(&format!(" {} ", k.severity().name())), "{l}");
        assert!(l.contains(k.rfc()) && l.ends_with(k.description()), "{l}");
    }
    let cat = catalog();
    assert_eq!(cat.len(), tcpstate::anomaly::AnomalyKind::ALL.len());
    assert_eq!(cat[0].0, tcpstate::anomaly::AnomalyKind::ALL[0].id());
}

#[test]
fn the_default_policy_fails_the_recordings_with_error_anomalies() {
    // Per the .expect files: refused, RST in SYN_RECEIVED (twice),
    // unanswered SYN, and a FIN answered by an RST.
    for (name, id) in [
        ("07-refused.pcap", "connection-refused"),
        ("08-rst-in-syn-received.pcapng", "rst-in-syn-received"),
        ("11-unanswered-syn.pcap", "unanswered-syn"),
        ("16-orphan-fin-wait-2.pcap", "fin-answered-by-rst"),
        ("18-rst-in-syn-received-active.pcap", "rst-in-syn-received"),
    ] {
        let r = check(&[real(name)]);
        assert_eq!(r.code, 1, "{name}: {r:?}");
        assert!(
            r.violations()
                .iter()
                .any(|l| l.contains(&format!(": {id} (error): "))),
            "{name}: {r:?}"
        );
    }
    for name in [
        "01-close-client-first.pcap",
        "02-close-server-first.pcap",
        "03-half-close.pcapng",
        "05-simultaneous-close.pcap",
        "13-fin-ack-close-v6.pcapng",
    ] {
        let r = check(&[real(name)]);
        assert_eq!(r.code, 0, "{name}: {r:?}");
    }
}

#[test]
fn the_readme_policy_example_is_a_valid_policy() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let start = readme.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let len = readme[start..].find("```").expect("its end");
    let d = scratch("readme_policy");
    let p = d.join("tcpstate-policy.toml");
    std::fs::write(&p, &readme[start..start + len]).unwrap();
    let p = p.display().to_string();
    let r = check(&["--policy", &p, &real(CLEAN)]);
    assert_eq!(r.code, 0, "{r:?}");
    let r = check(&["--policy", &p, &real("05-simultaneous-close.pcap")]);
    assert_eq!(r.code, 1, "it denies simultaneous-close: {r:?}");
    let r = check(&[
        "--policy",
        &p,
        "--allow",
        "simultaneous-close",
        &real("05-simultaneous-close.pcap"),
    ]);
    assert_eq!(r.code, 0, "as the README says: {r:?}");
}

#[test]
#[ignore = "needs the capture corpus"]
fn captures_that_simply_end_pass_the_default_policy() {
    // Each ends right after a SYN or a FIN (0 ms later): nothing had time to
    // answer (RFC 6298's RTO is at least 1 s), so the silence is reported as
    // cut off by the end of the capture, an info the default policy passes.
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    for (name, id) in [
        (
            "pcapplusplus__nanosecs_big_endian.pcap",
            "missing-final-ack-cut-off",
        ),
        ("arkime__v6-http.pcap", "missing-final-ack-cut-off"),
        ("zeek__tcp__syn-bad.pcap", "unanswered-syn-cut-off"),
    ] {
        let p = corpus.join(name).display().to_string();
        let r = check(&[p.as_str()]);
        assert_eq!(r.code, 0, "{name}: {r:?}");
        // A policy can still deny the cut-off kind explicitly.
        let r = check(&["--deny", id, p.as_str()]);
        assert_eq!(r.code, 1, "{name}: {r:?}");
        assert!(
            r.violations()
                .iter()
                .any(|l| l.contains(&format!(": {id} (info, denied): "))),
            "{name}: {r:?}"
        );
    }
}

#[test]
fn check_names_an_uncertain_state_and_its_alternative() {
    let r = check(&[
        "--allow",
        "unanswered-syn,syn-retransmitted",
        "--expect-closed",
        &real("11-unanswered-syn.pcap"),
    ]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.violations()
            .iter()
            .any(|l| l.contains("server SYN_RECEIVED? (or LISTEN) at the end")),
        "{r:?}"
    );
}
