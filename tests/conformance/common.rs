//! What the oracle checks share: the corpus, running tcpstate, and the list
//! of known differences in `DIFFERENCES.md`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use tcpstate::capture::{Batch, CaptureReader, Next};
use tcpstate::decode::{Decoded, decode};
use tcpstate::engine::{self, ConnectionRecord};

pub fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
    assert!(
        dir.join("SOURCES.md").is_file(),
        "the capture corpus is missing: expected it at {} (the conformance tests must not pass without it)",
        dir.display()
    );
    dir
}

pub fn corpus_file(name: &str) -> PathBuf {
    let path = corpus_dir().join(name);
    assert!(path.is_file(), "corpus file {} is missing", path.display());
    path
}

pub fn read_corpus(name: &str) -> String {
    std::fs::read_to_string(corpus_file(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Every connection of a capture, replayed by the engine.
pub fn connections(name: &str, verify_checksums: bool) -> Vec<ConnectionRecord> {
    let reader = CaptureReader::open(&corpus_file(name)).expect("capture opens");
    let opts = engine::Options {
        verify_checksums,
        ..engine::Options::default()
    };
    let mut c = engine::Collector::default();
    engine::analyze(reader, &opts, &mut c, None).expect("analysis runs");
    c.connections.sort_by_key(|r| r.stream);
    c.connections
}

/// One way our result differs from an oracle's.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// Which oracle value: file, connection or packet, field.
    pub key: String,
    pub ours: String,
    pub oracle: String,
}

impl Difference {
    pub fn new(key: impl Into<String>, ours: impl ToString, oracle: impl ToString) -> Difference {
        Difference {
            key: key.into(),
            ours: ours.to_string(),
            oracle: oracle.to_string(),
        }
    }
}

/// The differences listed under `## <section>` in DIFFERENCES.md: lines
/// `` - `key`: ours `x`, oracle `y` — reason ``.
pub fn listed(section: &str) -> BTreeSet<Difference> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/DIFFERENCES.md"
    );
    let text = std::fs::read_to_string(path).expect("tests/conformance/DIFFERENCES.md");
    let heading = format!("## {section}");
    let mut inside = false;
    let mut found = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line.trim_end() == heading;
            found |= inside;
            continue;
        }
        if !inside || !line.starts_with("- `") {
            continue;
        }
        let ticks: Vec<&str> = line.split('`').collect();
        // - `key`: ours `x`, oracle `y` ...
        assert!(
            ticks.len() >= 6 && ticks[2].contains("ours") && ticks[4].contains("oracle"),
            "DIFFERENCES.md, {section}: malformed entry: {line}"
        );
        out.insert(Difference::new(ticks[1], ticks[3], ticks[5]));
    }
    assert!(found, "DIFFERENCES.md has no section {heading:?}");
    out
}

/// Asserts that what we found is exactly what the section lists.
pub fn assert_listed(section: &str, found: &[Difference]) {
    let found: BTreeSet<Difference> = found.iter().cloned().collect();
    let listed = listed(section);
    let new: Vec<_> = found.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&found).collect();
    let show = |v: &[&Difference]| {
        v.iter()
            .map(|d| format!("  - `{}`: ours `{}`, oracle `{}`", d.key, d.ours, d.oracle))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        new.is_empty() && gone.is_empty(),
        "{section}: the differences from the oracles are not those listed in DIFFERENCES.md\n\
         new (fix them, or list them with the reason):\n{}\n\
         listed but no longer found (remove them):\n{}",
        show(&new),
        show(&gone)
    );
}

/// Prints an oracle's agreement line.
pub fn agreement(oracle: &str, what: &str, matched: usize, total: usize) {
    println!("{oracle}: {matched}/{total} {what} agree");
}

/// One frame of a capture, decoded by our decoder.
pub struct Frame {
    pub number: u64,
    pub ts_ns: i64,
    pub caplen: u32,
    pub decoded: Decoded,
}

/// Every frame of a capture (checksums not verified).
pub fn frames(name: &str) -> Vec<Frame> {
    let mut reader = CaptureReader::open(&corpus_file(name)).expect("capture opens");
    let mut batch = Batch::new();
    let mut out = Vec::new();
    loop {
        let next = reader.next_batch(&mut batch, 4096);
        for f in batch.frames() {
            out.push(Frame {
                number: f.number,
                ts_ns: f.ts_ns,
                caplen: f.caplen,
                decoded: decode(f.link_type, batch.frame_bytes(f), f.orig_len, false),
            });
        }
        if !matches!(next, Next::Frames) {
            return out;
        }
    }
}
