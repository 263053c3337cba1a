//! Wireshark's `tcp.analysis` as we compute it, checked frame by frame
//! against TShark 4.0 (run at test time) on every capture under `testdata/`,
//! every capture of the third-party corpus (`../shared/corpus`, see its
//! SOURCES.md) and captures generated here to exercise every verdict.
//!
//! Compared for each frame: `tcp.stream`, the set of the fifteen verdicts,
//! the duplicate ACK's number and frame, `acks_frame`, `ack_rtt` and
//! `initial_rtt`. A disagreement fails the test unless the section
//! "## Wireshark tcp.analysis" of `tests/conformance/DIFFERENCES.md` lists it
//! with its reason; a listed difference that no longer occurs fails too.
//!
//! The cross-checks are `#[ignore]`d because they need tshark and the corpus;
//! CI runs them with `--include-ignored`. They fail loudly when either is
//! missing. Run with `--nocapture` to see the agreement per verdict.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use tcpstate::capture::CaptureReader;
use tcpstate::engine::{self, Consumer, SegmentRecord};
use tcpstate::wireshark::{Flag, Verdicts};

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The preferences the oracle runs with, pinned so that a user profile
/// cannot change it (the defaults of 4.0.17).
const PREFS: [&str; 10] = [
    "tcp.analyze_sequence_numbers:TRUE",
    "tcp.relative_sequence_numbers:TRUE",
    "tcp.track_bytes_in_flight:TRUE",
    "tcp.calculate_timestamps:TRUE",
    "tcp.check_checksum:FALSE",
    "tcp.fastrt_supersedes_ooo:TRUE",
    "tcp.default_window_scaling:-1",
    "tcp.reassemble_out_of_order:FALSE",
    "ip.defragment:TRUE",
    "ipv6.defragment:TRUE",
];

/// The values compared besides the verdicts.
const EXTRA_FIELDS: [&str; 4] = [
    "tcp.analysis.duplicate_ack_num",
    "tcp.analysis.duplicate_ack_frame",
    "tcp.analysis.acks_frame",
    "tcp.analysis.initial_rtt",
];
const ACK_RTT: &str = "tcp.analysis.ack_rtt";

/// One frame's analysis, from either side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Row {
    stream: u64,
    flags: u16,
    /// (number, frame); frame 0 when none.
    duplicate_ack: Option<(u32, u64)>,
    acks_frame: Option<u64>,
    ack_rtt_ns: Option<i64>,
    initial_rtt_ns: Option<i64>,
}

/// The names of the fields that can disagree (see DIFFERENCES.md).
fn field_names() -> Vec<&'static str> {
    let mut v = vec!["presence", "stream"];
    v.extend(Flag::ALL.iter().map(|f| f.name()));
    v.extend(["duplicate_ack", "acks_frame", "ack_rtt", "initial_rtt"]);
    v
}

/// The fields on which two rows disagree.
fn disagreements(ours: Option<&Row>, theirs: Option<&Row>) -> Vec<&'static str> {
    let (o, t) = match (ours, theirs) {
        (Some(o), Some(t)) => (o, t),
        (None, None) => return vec![],
        _ => return vec!["presence"],
    };
    let mut d = Vec::new();
    if o.stream != t.stream {
        d.push("stream");
    }
    for f in Flag::ALL {
        let bit = 1u16 << f as u8;
        if o.flags & bit != t.flags & bit {
            d.push(f.name());
        }
    }
    if o.duplicate_ack != t.duplicate_ack {
        d.push("duplicate_ack");
    }
    if o.acks_frame != t.acks_frame {
        d.push("acks_frame");
    }
    if o.ack_rtt_ns != t.ack_rtt_ns {
        d.push("ack_rtt");
    }
    if o.initial_rtt_ns != t.initial_rtt_ns {
        d.push("initial_rtt");
    }
    d
}

// ---------------------------------------------------------------- ours

struct Collect(BTreeMap<u64, Row>);

impl Consumer for Collect {
    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        // Event rows (timers, not segments) have no analysis of their own.
        for r in records.iter().filter(|r| !r.event) {
            self.0.insert(r.frame, row_of(r.stream, &r.analysis));
        }
        Ok(())
    }
}

fn row_of(stream: u64, v: &Verdicts) -> Row {
    Row {
        stream,
        flags: v.flags.bits(),
        duplicate_ack: v.duplicate_ack.map(|d| (d.number, d.frame.unwrap_or(0))),
        acks_frame: v.acks_frame,
        ack_rtt_ns: v.ack_rtt_ns,
        initial_rtt_ns: v.initial_rtt_ns,
    }
}

fn ours(path: &Path) -> BTreeMap<u64, Row> {
    ours_with(path, false)
}

fn ours_with(path: &Path, verify_checksums: bool) -> BTreeMap<u64, Row> {
    let mut c = Collect(BTreeMap::new());
    // A file that is not a capture has no frames (tshark agrees or the
    // comparison says so).
    if let Ok(reader) = CaptureReader::open(path) {
        let opts = engine::Options {
            segments: true,
            verify_checksums,
            ..engine::Options::default()
        };
        engine::analyze(reader, &opts, &mut c, None).expect("collecting cannot fail");
    }
    c.0
}

// ---------------------------------------------------------------- tshark

fn require_tshark() {
    let out = Command::new("tshark").arg("--version").output();
    let out = out.unwrap_or_else(|e| {
        panic!("tshark is required for the Wireshark cross-check (CI installs it) but could not be run: {e}")
    });
    let version = String::from_utf8_lossy(&out.stdout);
    let first = version.lines().next().unwrap_or("");
    assert!(
        first.contains(" 4.0."),
        "the Wireshark cross-check needs TShark 4.0 (the rules were taken from 4.0.17; later \
         versions changed them), found {first:?}"
    );
}

/// "0.020000000" or "-1.5" as nanoseconds.
fn parse_ns(s: &str) -> i64 {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut digits = frac.to_string();
    digits.truncate(9);
    while digits.len() < 9 {
        digits.push('0');
    }
    let v = int.parse::<i64>().unwrap() * 1_000_000_000 + digits.parse::<i64>().unwrap();
    if neg { -v } else { v }
}

fn theirs(path: &Path) -> BTreeMap<u64, Row> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(path).args(["-Y", "tcp"]);
    for p in PREFS {
        cmd.args(["-o", p]);
    }
    cmd.args(["-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]);
    cmd.args(["-e", "frame.number", "-e", "tcp.stream"]);
    let verdict_fields: Vec<String> = Flag::ALL
        .iter()
        .map(|f| format!("tcp.analysis.{}", f.name()))
        .collect();
    for f in verdict_fields
        .iter()
        .map(String::as_str)
        .chain(EXTRA_FIELDS)
        .chain([ACK_RTT])
    {
        cmd.args(["-e", f]);
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("tshark could not be run on {}: {e}", path.display()));
    // tshark exits non-zero on damaged files after printing the good frames.
    let text = String::from_utf8(out.stdout).expect("tshark prints UTF-8");
    let mut rows = BTreeMap::new();
    for line in text.lines() {
        let c: Vec<&str> = line.split('\t').collect();
        assert_eq!(
            c.len(),
            2 + 15 + 5,
            "{}: tshark line {line:?}",
            path.display()
        );
        if c[1].is_empty() {
            continue; // a TCP header too short for a stream: no analysis
        }
        let mut flags = 0u16;
        for (i, f) in Flag::ALL.iter().enumerate() {
            if !c[2 + i].is_empty() {
                flags |= 1 << *f as u8;
            }
        }
        let x = &c[17..];
        let num = |s: &str| (!s.is_empty()).then(|| s.parse::<u64>().unwrap());
        rows.insert(
            c[0].parse().unwrap(),
            Row {
                stream: c[1].parse().unwrap(),
                flags,
                duplicate_ack: num(x[0]).map(|n| (n as u32, num(x[1]).unwrap_or(0))),
                acks_frame: num(x[2]),
                initial_rtt_ns: (!x[3].is_empty()).then(|| parse_ns(x[3])),
                ack_rtt_ns: (!x[4].is_empty()).then(|| parse_ns(x[4])),
            },
        );
    }
    rows
}

// ---------------------------------------------------------------- differences

/// A listed difference: a file (by name), a frame range, a field.
#[derive(Debug)]
struct Listed {
    file: String,
    first: u64,
    last: u64,
    field: String,
    line: String,
}

/// Reads this test's section of DIFFERENCES.md. Entries are list items
/// of the form "- `FILE` frames FIRST-LAST `FIELD`: reason" (or "frame N").
fn listed_differences() -> Vec<Listed> {
    let path = PathBuf::from(MANIFEST).join("tests/conformance/DIFFERENCES.md");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    let mut in_section = false;
    let mut found = false;
    let mut out = Vec::new();
    let fields = field_names();
    for line in text.lines() {
        if line.starts_with("## ") {
            in_section = line.trim() == "## Wireshark tcp.analysis";
            found |= in_section;
            continue;
        }
        if !in_section || !line.starts_with("- `") {
            continue;
        }
        let bad = || panic!("DIFFERENCES.md: cannot read the entry {line:?}");
        let rest = &line[3..];
        let Some((file, rest)) = rest.split_once('`') else {
            bad()
        };
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix("frames ")
            .or_else(|| rest.strip_prefix("frame "))
            .unwrap_or_else(|| bad());
        let Some((range, rest)) = rest.split_once(' ') else {
            bad()
        };
        let (a, b) = range.split_once('-').unwrap_or((range, range));
        let (Ok(first), Ok(last)) = (a.parse::<u64>(), b.parse::<u64>()) else {
            bad()
        };
        let Some(field) = rest
            .strip_prefix('`')
            .and_then(|r| r.split_once('`'))
            .map(|(f, _)| f)
        else {
            bad()
        };
        assert!(
            fields.contains(&field),
            "DIFFERENCES.md: unknown field `{field}` in {line:?} (known: {fields:?})"
        );
        let reason = rest.split_once(':').map_or("", |(_, r)| r.trim());
        assert!(
            !reason.is_empty(),
            "DIFFERENCES.md: {line:?} gives no reason"
        );
        out.push(Listed {
            file: file.to_string(),
            first,
            last,
            field: field.to_string(),
            line: line.to_string(),
        });
    }
    assert!(
        found,
        "{} has no section \"## Wireshark tcp.analysis\"",
        path.display()
    );
    out
}

// ---------------------------------------------------------------- the check

#[derive(Default)]
struct Tally {
    /// Per field: (frames where both agree, frames compared) — for verdicts,
    /// frames flagged by both / flagged by either.
    agree: BTreeMap<&'static str, (u64, u64)>,
    /// Per verdict: (tshark, ours).
    flagged: BTreeMap<&'static str, (u64, u64)>,
    frames: u64,
    files: u64,
    /// (file, frame, field, tshark, ours)
    differences: Vec<(String, u64, &'static str, String, String)>,
}

fn compare_file(path: &Path, tally: &Mutex<Tally>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let o = ours(path);
    let t = theirs(path);
    let mut tl = tally.lock().unwrap();
    tl.files += 1;
    let mut frames: Vec<u64> = o.keys().chain(t.keys()).copied().collect();
    frames.sort_unstable();
    frames.dedup();
    for n in frames {
        let (ro, rt) = (o.get(&n), t.get(&n));
        tl.frames += 1;
        let diff = disagreements(ro, rt);
        for f in field_names() {
            let e = tl.agree.entry(f).or_default();
            if let Some(flag) = Flag::from_name(f) {
                let bit = 1u16 << flag as u8;
                let (a, b) = (
                    ro.is_some_and(|r| r.flags & bit != 0),
                    rt.is_some_and(|r| r.flags & bit != 0),
                );
                if a || b {
                    e.1 += 1;
                    e.0 += u64::from(a && b);
                }
                let c = tl.flagged.entry(f).or_default();
                c.0 += u64::from(b);
                c.1 += u64::from(a);
            } else {
                e.1 += 1;
                e.0 += u64::from(!diff.contains(&f));
            }
        }
        for f in diff {
            tl.differences
                .push((name.clone(), n, f, format!("{rt:?}"), format!("{ro:?}")));
        }
    }
}

/// Compares every file, prints the agreement, and fails on differences
/// not listed (or listed ones that did not occur) for these files.
fn check(files: &[PathBuf], what: &str) -> Tally {
    require_tshark();
    assert!(!files.is_empty(), "{what}: no captures to check");
    let tally = Mutex::new(Tally::default());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    compare_file(f, &tally);
                }
            });
        }
    });
    let tally = tally.into_inner().unwrap();

    println!(
        "{what}: {} files, {} TCP frames compared with tshark",
        tally.files, tally.frames
    );
    for (f, (ok, n)) in &tally.agree {
        let flagged = tally
            .flagged
            .get(f)
            .map(|(t, o)| format!("  (tshark {t}, ours {o})"))
            .unwrap_or_default();
        println!("  {f:<24} {ok}/{n} frames agree{flagged}");
    }

    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let listed: Vec<Listed> = listed_differences()
        .into_iter()
        .filter(|l| names.contains(&l.file))
        .collect();
    let mut used = vec![false; listed.len()];
    let mut unexplained = Vec::new();
    for (file, frame, field, t, o) in &tally.differences {
        let hit = listed.iter().position(|l| {
            &l.file == file && l.field == *field && (l.first..=l.last).contains(frame)
        });
        match hit {
            Some(i) => used[i] = true,
            None => unexplained.push(format!(
                "{file} frame {frame} `{field}`: tshark {t}, ours {o}"
            )),
        }
    }
    let stale: Vec<&str> = listed
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(l, _)| l.line.as_str())
        .collect();
    println!(
        "  {} differing (frame, field) pairs, {} listed in DIFFERENCES.md",
        tally.differences.len(),
        tally.differences.len() - unexplained.len()
    );
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "{what}: {} disagreement(s) with tshark not listed in tests/conformance/DIFFERENCES.md:\n{}\n\
         listed differences that no longer occur:\n{}",
        unexplained.len(),
        unexplained
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
        stale.join("\n")
    );
    tally
}

/// Capture files under `dir`, recursively, sorted.
fn captures_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(captures_under(&p));
        } else if p
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| matches!(x, "pcap" | "pcapng" | "cap"))
        {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_encap_corpus_and_testdata_agree_with_tshark() {
    let corpus = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
    assert!(
        corpus.join("SOURCES.md").is_file(),
        "the capture corpus is missing: expected it at {} (this test must not pass without it)",
        corpus.display()
    );
    let mut files = captures_under(&corpus);
    let encap = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus-encap"
    ));
    assert!(
        encap.join("SOURCES.md").is_file(),
        "the tunnel and ICMP corpus is missing: expected it at {}",
        encap.display()
    );
    let encap = captures_under(&encap);
    println!("corpus-encap: {} captures", encap.len());
    files.extend(encap);
    let testdata = captures_under(&PathBuf::from(MANIFEST).join("testdata"));
    println!("testdata: {} captures", testdata.len());
    files.extend(testdata);
    check(&files, "corpus + testdata");
}

#[test]
#[ignore = "needs tshark"]
fn generated_captures_agree_with_tshark() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wireshark-conformance");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for seed in 1..=64u64 {
        let backwards = seed % 4 == 0;
        let path = dir.join(format!("generated-{seed:02}.pcap"));
        std::fs::write(&path, synth::capture(seed, 160, backwards)).unwrap();
        files.push(path);
    }
    let tally = check(&files, "generated");
    // The generated captures are there to exercise every verdict.
    for f in Flag::ALL {
        let (t, _) = tally.flagged.get(f.name()).copied().unwrap_or_default();
        assert!(
            t >= 5,
            "the generated captures gave tshark only {t} {}",
            f.name()
        );
    }
}

#[test]
fn a_syn_that_splits_a_stream_has_reused_ports() {
    // Through the engine: the second SYN (another ISN on the same 4-tuple)
    // starts stream 1 and is flagged, like Wireshark's.
    let c = [10, 0, 0, 1];
    let s = [10, 0, 0, 2];
    let frames = vec![
        (
            1,
            synth::packet(c, s, 1111, 80, 100, 0, synth::SYN, 1000, None, 0),
        ),
        (
            2,
            synth::packet(
                s,
                c,
                80,
                1111,
                500,
                101,
                synth::SYN | synth::ACK,
                1000,
                None,
                0,
            ),
        ),
        (
            3,
            synth::packet(
                c,
                s,
                1111,
                80,
                101,
                501,
                synth::RST | synth::ACK,
                0,
                None,
                0,
            ),
        ),
        (
            4,
            synth::packet(c, s, 1111, 80, 9000, 0, synth::SYN, 1000, None, 0),
        ),
        (
            5,
            synth::packet(
                s,
                c,
                80,
                1111,
                700,
                9001,
                synth::SYN | synth::ACK,
                1000,
                None,
                0,
            ),
        ),
    ];
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("wireshark-split.pcap");
    let frames: Vec<(i64, Vec<u8>)> = frames
        .into_iter()
        .map(|(ms, p)| (1_700_000_000_000_000_000 + ms * 1_000_000, p))
        .collect();
    std::fs::write(&path, synth::pcap(&frames)).unwrap();
    let rows = ours(&path);
    let got: Vec<(u64, Vec<&str>)> = rows
        .values()
        .map(|r| {
            (
                r.stream,
                Flag::ALL
                    .iter()
                    .filter(|f| r.flags & (1 << **f as u8) != 0)
                    .map(|f| f.name())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (0, vec![]),
            (0, vec![]),
            (0, vec![]),
            (1, vec!["reused_ports"]),
            (1, vec![]),
        ]
    );
}

#[test]
fn checksums_change_no_analysis() {
    // tshark does not verify checksums by default, and its analysis runs
    // whatever they say: so must ours, with or without verification.
    let bytes = synth::capture(7, 160, false);
    let mut frames = synth::frames(&bytes);
    for (i, (_, f)) in frames.iter_mut().enumerate() {
        if i % 3 == 0 {
            f[14 + 20 + 16] ^= 0x5a; // the TCP checksum
        }
    }
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wireshark-bad-checksums.pcap");
    std::fs::write(&path, synth::pcap(&frames)).unwrap();
    let plain = ours_with(&path, false);
    let verified = ours_with(&path, true);
    assert_eq!(plain.len(), frames.len());
    assert!(plain.values().any(|r| r.flags != 0));
    assert_eq!(plain, verified);
}

#[test]
fn the_differences_document_parses() {
    let listed = listed_differences();
    for l in &listed {
        assert!(l.first <= l.last, "{}", l.line);
    }
}

mod common;

#[path = "wireshark_conformance/encap.rs"]
mod encap;

/// The tunnels our engine reports for each segment row of `path`, and the
/// number of rows.
fn rows_and_tunnels(path: &Path) -> Vec<(u64, Vec<String>, bool)> {
    struct Rows(Vec<(u64, Vec<String>, bool)>);
    impl Consumer for Rows {
        fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
            for r in records.iter().filter(|r| !r.event) {
                let path = r
                    .tunnel
                    .map(|t| t.path().map(|k| k.name().to_string()).collect())
                    .unwrap_or_default();
                self.0.push((r.frame, path, r.icmp.is_some()));
            }
            Ok(())
        }
    }
    let mut c = Rows(Vec::new());
    let reader = CaptureReader::open(path).expect("a capture");
    let opts = engine::Options {
        segments: true,
        ..engine::Options::default()
    };
    engine::analyze(reader, &opts, &mut c, None).expect("collecting cannot fail");
    c.0
}

fn tmp(dir: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(dir);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn every_encapsulation_and_link_type_decodes_with_its_tunnel() {
    let dir = tmp("encap-decode");
    for case in encap::cases() {
        let (bytes, n) = encap::capture(&case, 1, 60);
        let path = dir.join(format!("{}.pcap", case.name));
        std::fs::write(&path, bytes).unwrap();
        let rows = rows_and_tunnels(&path);
        assert_eq!(rows.len(), n, "{}: every frame is a segment", case.name);
        for (frame, path, _) in rows {
            assert_eq!(path, case.path, "{} frame {frame}", case.name);
        }
    }
}

#[test]
#[ignore = "needs tshark"]
fn encapsulations_and_link_types_agree_with_tshark() {
    let dir = tmp("encap-tshark");
    let mut files = Vec::new();
    for case in encap::cases() {
        for seed in [2u64, 3] {
            let (bytes, n) = encap::capture(&case, seed, 120);
            let path = dir.join(format!("{}-{seed}.pcap", case.name));
            std::fs::write(&path, bytes).unwrap();
            // tshark must see every frame as TCP: the encapsulation is
            // really one it decodes, not one both sides skip.
            assert_eq!(
                theirs(&path).len(),
                n,
                "{}: tshark's TCP frames",
                path.display()
            );
            files.push(path);
        }
    }
    check(&files, "encapsulations and link types");
}

/// Captures whose datagrams are fragmented: IPv4 in order, IPv4 in reverse
/// order, IPv4 inside GRE whose outer datagram is fragmented, and IPv6.
fn fragmented_captures(dir: &Path) -> Vec<(PathBuf, usize)> {
    let mut out = Vec::new();
    for (name, seed) in [
        ("v4", 4u64),
        ("v4-reversed", 5),
        ("gre-outer", 6),
        ("v6", 7),
    ] {
        let frames = synth::frames(&synth::capture(seed, 120, false));
        let mut fr = Vec::new();
        for (ts, f) in &frames {
            let ip = &f[14..];
            let pieces = match name {
                "v4" => encap::ipv4_fragments(ip, 24, false),
                "v4-reversed" => encap::ipv4_fragments(ip, 16, true),
                "gre-outer" => {
                    let outer = encap::ipv4(47, &[&encap::gre(0, 0x0800, &[]), ip].concat());
                    encap::ipv4_fragments(&outer, 32, false)
                }
                _ => encap::ipv6_fragments(&encap::to_ipv6(ip), 24),
            };
            for (i, p) in pieces.into_iter().enumerate() {
                fr.push((*ts + i as i64 * 1000, p));
            }
        }
        let path = dir.join(format!("fragments-{name}.pcap"));
        std::fs::write(&path, encap::pcap(1, &fr, 262_144)).unwrap();
        out.push((path, frames.len()));
    }
    out
}

#[test]
fn fragmented_segments_are_reassembled() {
    let dir = tmp("fragments-decode");
    for (path, n) in fragmented_captures(&dir) {
        let rows = rows_and_tunnels(&path);
        assert_eq!(
            rows.len(),
            n,
            "{}: one segment per datagram",
            path.display()
        );
    }
}

#[test]
#[ignore = "needs tshark"]
fn fragmented_segments_agree_with_tshark() {
    let dir = tmp("fragments-tshark");
    let files: Vec<PathBuf> = fragmented_captures(&dir)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    check(&files, "fragments");
}

/// A conversation with ICMP errors quoting some of its segments: every
/// error type that gives a quote a stream, redirects (which do not),
/// quotes of 8, 16 and 28 TCP bytes, errors quoting SYNs (which can split
/// a stream).
fn icmp_capture(seed: u64) -> (Vec<u8>, usize) {
    let frames = synth::frames(&synth::capture(seed, 160, false));
    let mut out = Vec::new();
    let mut quotes = 0;
    for (i, (ts, f)) in frames.iter().enumerate() {
        out.push((*ts, f.clone()));
        if i % 5 == 2 {
            let ip = &f[14..];
            let (t, code) = [(3, 3), (3, 1), (11, 0), (4, 0), (12, 0), (5, 1)][i % 6];
            let quoted = [28, 36, 48, 60][i % 4];
            out.push((*ts + 1000, encap::icmp_error(ip, t, code, quoted)));
            quotes += usize::from(t != 5 && quoted >= 36);
        }
    }
    (encap::pcap(1, &out, 262_144), frames.len() + quotes)
}

#[test]
fn icmp_errors_are_attributed_to_their_streams() {
    let dir = tmp("icmp-decode");
    let (bytes, n) = icmp_capture(8);
    let path = dir.join("icmp.pcap");
    std::fs::write(&path, bytes).unwrap();
    let rows = rows_and_tunnels(&path);
    assert_eq!(rows.len(), n, "segments and the quotes of 16+ TCP bytes");
    assert!(rows.iter().any(|r| r.2));
}

#[test]
#[ignore = "needs tshark"]
fn icmp_errors_agree_with_tshark() {
    let dir = tmp("icmp-tshark");
    let mut files = Vec::new();
    for seed in [9u64, 10, 11] {
        let path = dir.join(format!("icmp-{seed}.pcap"));
        std::fs::write(&path, icmp_capture(seed).0).unwrap();
        files.push(path);
    }
    check(&files, "ICMP errors");
}

/// The generated conversations captured with a snapshot length that cuts
/// the SYNs' window scale option (Ethernet 14 + IP 20 + TCP 20 + 2).
fn short_header_capture(seed: u64) -> Vec<u8> {
    let frames = synth::frames(&synth::capture(seed, 160, false));
    encap::pcap(1, &frames, 56)
}

#[test]
#[ignore = "needs tshark"]
fn short_headers_agree_with_tshark() {
    let dir = tmp("short-tshark");
    let mut files = Vec::new();
    for seed in [12u64, 13] {
        let path = dir.join(format!("short-{seed}.pcap"));
        std::fs::write(&path, short_header_capture(seed)).unwrap();
        files.push(path);
    }
    check(&files, "short headers");
}

/// Generated captures: Ethernet/IPv4/TCP conversations with the
/// perturbations that lead to each verdict.
#[path = "wireshark_conformance/synth.rs"]
mod synth;
