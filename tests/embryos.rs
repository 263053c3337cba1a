//! Connections that have seen a single segment are kept as that segment
//! (an "embryo", see the tracker) once enough younger ones are, and replayed
//! again when more happens to them. That must change nothing: every capture
//! gives the same records with every connection made an embryo at once
//! (`keep_whole: 0`) as with the default: every segment row and every
//! connection's summary, field by field.

mod common;

use common::{captures_in, corpus, repo};
use std::path::Path;
use tcpstate::capture::CaptureReader;
use tcpstate::engine::{self, Collector, Options};

/// Everything the pipeline hands out for `path`, as text.
fn records(path: &Path, keep_whole: usize, batch_frames: usize) -> String {
    let bytes = std::fs::read(path).expect("a capture");
    let Ok(reader) = CaptureReader::from_bytes("x", bytes) else {
        return String::new();
    };
    let opts = Options {
        keep_whole,
        batch_frames,
        ..Options::timeline()
    };
    let mut c = Collector::default();
    let totals = engine::analyze_here(reader, &opts, &mut c).expect("in memory");
    format!("{:?}\n{:?}\n{:?}", c.segments, c.connections, totals)
}

fn same_either_way(dir: &Path) -> usize {
    let mut n = 0;
    for path in captures_in(dir) {
        let whole = records(&path, usize::MAX, 32 * 1024);
        let embryos = records(&path, 0, 7);
        assert!(
            whole == embryos,
            "{}: records differ when connections are kept as embryos",
            path.display()
        );
        n += 1;
    }
    n
}

#[test]
fn embryos_change_nothing_in_testdata() {
    let n = same_either_way(&repo().join("testdata/real"));
    assert!(n >= 25, "only {n} captures compared");
}

#[test]
#[ignore = "needs ../shared/corpus (CI runs it)"]
fn embryos_change_nothing_in_the_corpus() {
    let n = same_either_way(&corpus()) + same_either_way(&corpus().join("../corpus-encap"));
    assert!(n >= 100, "only {n} captures compared");
}
