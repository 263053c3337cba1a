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
fn records(path: &Path, keep_whole: usize, idle_sweep: usize, batch_frames: usize) -> String {
    let bytes = std::fs::read(path).expect("a capture");
    let Ok(reader) = CaptureReader::from_bytes("x", bytes) else {
        return String::new();
    };
    let opts = Options {
        keep_whole,
        idle_sweep,
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
        let whole = records(&path, usize::MAX, usize::MAX, 32 * 1024);
        let embryos = records(&path, 0, usize::MAX, 7);
        assert!(
            whole == embryos,
            "{}: records differ when connections are kept as embryos",
            path.display()
        );
        let frozen = records(&path, usize::MAX, 0, 7);
        assert!(
            whole == frozen,
            "{}: records differ when idle connections are frozen",
            path.display()
        );
        // More than 4 connections whole is memory pressure: every
        // connection nothing happened to since the last look is frozen,
        // open ones too, in looks every live / 8 segments.
        let pressed = records(&path, usize::MAX, 2, 7);
        assert!(
            whole == pressed,
            "{}: records differ when open connections are frozen under memory pressure",
            path.display()
        );
        let both = records(&path, 0, 0, 32 * 1024);
        assert!(
            whole == both,
            "{}: records differ with embryos and frozen connections",
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

/// Single-segment connections meeting each thing that wakes an embryo: an
/// answer, retransmissions of the SYN, a new SYN that starts another
/// incarnation on the 4-tuple, and a timer (R2) that fires for a SYN never
/// answered, shown by a frame ten minutes later. The same records with
/// every one of them kept as an embryo, with none, and with one kept whole.
#[test]
fn embryos_woken_by_answers_retransmissions_reuse_and_timers() {
    let capture = woken().craft().pcap();
    woken().run();
    let dir = std::env::temp_dir().join(format!("tcpstate-embryos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("woken.pcap");
    std::fs::write(&path, capture).expect("write");
    let whole = records(&path, usize::MAX, usize::MAX, 32 * 1024);
    for keep in [0, 1, 2] {
        assert!(
            whole == records(&path, keep, usize::MAX, 1 + keep),
            "records differ with {keep} kept whole"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The capture of [`embryos_woken_by_answers_retransmissions_reuse_and_timers`],
/// as a ladder: the states after each segment.
fn woken() -> common::Ladder {
    use common::{ACK, Ladder, SYN, SYN_ACK};
    use tcpstate::state::TcpState::*;
    Ladder::new()
        // Never answered: its R2 fires at the last frame.
        .client_port(1001)
        .client(SYN, 1000, 0)
        .then(SynSent, SynReceived)
        // Answered 50 ms later.
        .client_port(1002)
        .client(SYN, 2000, 0)
        .at_ms(1)
        .then(SynSent, SynReceived)
        .server(SYN_ACK, 7000, 2001)
        .at_ms(50)
        .then(Established, SynReceived)
        .client(ACK, 2001, 7001)
        .at_ms(51)
        .then(Established, Established)
        // Retransmitted after 1 s and 3 s, never answered.
        .client_port(1004)
        .client(SYN, 4000, 0)
        .at_ms(60)
        .then(SynSent, SynReceived)
        .client(SYN, 4000, 0)
        .at_ms(1060)
        .then(SynSent, SynReceived)
        .client(SYN, 4000, 0)
        .at_ms(3060)
        .then(SynSent, SynReceived)
        // A new SYN with another ISN: a new incarnation.
        .client_port(1005)
        .client(SYN, 5000, 0)
        .at_ms(70)
        .then(SynSent, SynReceived)
        .client(SYN, 9000, 0)
        .at_ms(5070)
        .then(SynSent, SynReceived)
        // Ten minutes on, R2 (at least 3 minutes for a SYN, RFC 9293
        // 3.8.3) has given up the three SYNs never answered: the frame
        // shows it, in stream order, before its own row.
        .event(Closed, Closed)
        .event(Closed, Closed)
        .event(Closed, Closed)
        .client_port(1007)
        .client(SYN, 1, 0)
        .at_ms(600_000)
        .then(SynSent, SynReceived)
}
