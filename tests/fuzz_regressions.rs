//! Every input a fuzzing campaign found (`fuzz/regressions/TARGET/`, each
//! named after what it broke), run through the same check as its fuzz
//! target (`fuzz/checks.rs`), so that a fixed finding stays fixed in a
//! plain `cargo test`; and the checks on the captures of `testdata/`, which
//! seed the campaigns.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// The inputs under `fuzz/regressions/TARGET`, in name order.
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, Vec<u8>)> = entries
        .map(|e| {
            let p = e.expect("a directory entry").path();
            (
                p.display().to_string(),
                std::fs::read(&p).expect("readable"),
            )
        })
        .collect();
    out.sort();
    out
}

fn run(target: &str, check: fn(&[u8])) -> usize {
    let inputs = regressions(target);
    for (name, bytes) in &inputs {
        if std::panic::catch_unwind(|| check(bytes)).is_err() {
            panic!("{target}: the regression input {name} fails its check again");
        }
    }
    inputs.len()
}

#[test]
fn framer_findings_stay_fixed() {
    // Four findings so far: see fuzz/regressions/framer/.
    assert!(run("framer", checks::framer) >= 4);
}

#[test]
fn decode_policy_and_select_findings_stay_fixed() {
    run("pipeline", |d| drop(checks::pipeline(d)));
    run("differential", checks::differential);
    run("decode", checks::decode);
    run("policy", checks::policy);
    run("select", checks::select);
}

/// The seeds: every capture of testdata/ frames the same in memory and as a
/// stream, and each of its cut points too (a damaged capture ends at the
/// same frame and offset either way); and gives the same output, rendered
/// in every format, analysed here, streamed on one thread and on two, and
/// the same verdict judged beside the renderers as by `check_reader`.
#[test]
fn testdata_frames_and_renders_the_same_every_way_in() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/real");
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("testdata/real") {
        let p = e.expect("entry").path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "pcap" && ext != "pcapng" {
            continue;
        }
        let bytes = std::fs::read(&p).expect("readable");
        checks::framer(&bytes);
        checks::differential(&bytes);
        // The pipeline target renders rows, connections and the verdict.
        let out = String::from_utf8(checks::pipeline(&bytes)).expect("UTF-8");
        for part in [
            "\"type\":\"segment\"",
            "\"type\":\"connection\"",
            "#fields",
            "\"verdict\"",
        ] {
            assert!(
                out.contains(part),
                "{}: no {part} in the output",
                p.display()
            );
        }
        for cut in (0..bytes.len()).step_by(97) {
            checks::framer(&bytes[..cut]);
        }
        n += 1;
    }
    assert!(n >= 20, "only {n} captures in testdata/real");
}
