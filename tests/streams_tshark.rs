//! Our stream numbers are Wireshark's `tcp.stream`, and frame numbers are
//! Wireshark's `frame.number`, on every TCP frame of every capture in
//! testdata/ and ../shared/corpus (tshark is run on the same file).

mod common;

use common::*;
use std::path::PathBuf;

fn compare(files: &[PathBuf]) {
    assert!(!files.is_empty(), "no captures to compare");
    let mut frames = 0;
    let mut failures = Vec::new();
    for f in files {
        let theirs = tshark_streams(f);
        // Segment rows only: event rows (timers) are no frames of tshark's.
        let ours: Vec<(u64, u64)> = run_file(f)
            .segments
            .iter()
            .filter(|s| !s.event)
            .map(|s| (s.frame, s.stream))
            .collect();
        frames += theirs.len();
        if ours != theirs {
            let first = ours.iter().zip(&theirs).find(|(a, b)| a != b);
            failures.push(format!(
                "{}: {} frames ours, {} tshark's; first difference (frame, stream) ours vs tshark: {first:?}",
                f.display(),
                ours.len(),
                theirs.len()
            ));
        }
    }
    println!(
        "stream numbers: {} captures, {frames} TCP frames compared with tshark",
        files.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
#[ignore = "needs tshark"]
fn stream_numbers_equal_tshark_on_testdata() {
    compare(&captures_in(&repo().join("testdata/real")));
}

#[test]
#[ignore = "needs ../shared/corpus and tshark"]
fn stream_numbers_equal_tshark_on_the_corpus() {
    compare(&captures_in(&corpus()));
}

#[test]
#[ignore = "needs ../shared/corpus-encap and tshark"]
fn stream_numbers_equal_tshark_on_the_tunnel_and_icmp_corpus() {
    let dir = corpus().join("../corpus-encap");
    assert!(
        dir.join("SOURCES.md").is_file(),
        "../shared/corpus-encap is missing"
    );
    compare(&captures_in(&dir));
}
