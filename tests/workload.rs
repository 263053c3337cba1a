//! The answers check at a small size: a generated capture goes through
//! `tcpstate summary --format jsonl` (the library call behind it), and every
//! connection's final states must be the ones the generator planted.

use std::path::PathBuf;
use tcpstate::output::Format;
use tcpstate::report::{self, Settings, Status};
use tcpstate_workload::{self as workload, Check, Config, Format as CaptureFormat};

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tcpstate-workload-{}-{name}", std::process::id()))
}

/// Generates, runs the summary, and checks.
fn answers(cfg: &Config, name: &str) -> (Check, workload::Stats) {
    let path = temp_path(name);
    let mut capture = Vec::new();
    let mut truth = Vec::new();
    let stats = workload::generate(cfg, &mut capture, &mut truth).expect("generate");
    std::fs::write(&path, &capture).expect("write the capture");
    let settings = Settings {
        engine: tcpstate::engine::Options::default(),
        format: Format::Jsonl,
        ..Settings::default()
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = report::summary(std::slice::from_ref(&path), &settings, &mut out, &mut err);
    let _ = std::fs::remove_file(&path);
    assert_eq!(
        status.expect("summary"),
        Status::Ok,
        "{}",
        String::from_utf8_lossy(&err)
    );
    let planted = workload::read_truth(&truth[..]).expect("truth");
    let observed = workload::read_summary_jsonl(&out[..]).expect("jsonl");
    assert_eq!(planted.len() as u64, stats.connections);
    (Check::new(&planted, &observed), stats)
}

/// Every connection has the planted final states, stream number and roles.
fn assert_all_match(check: &Check) {
    let report = check.render();
    let found = check.disagreements();
    assert!(found.is_empty(), "{report}");
    assert_eq!(check.extra, 0, "{report}");
    assert_eq!(check.stream_mismatches, 0, "{report}");
    assert_eq!(check.roles_swapped, 0, "{report}");
}

#[test]
fn tcpstate_finds_the_planted_final_states() {
    // About 1,000 connections over more than 4 minutes: long enough for
    // TIME_WAIT and R2 to run out for some, not for others.
    let cfg = Config {
        seed: 20_240_115,
        packets: Some(30_000),
        concurrency: 30,
        ..Config::default()
    };
    let (check, stats) = answers(&cfg, "pcap");
    assert!(stats.last_us - stats.first_us > 200_000_000, "{stats:?}");
    assert!(check.planted() > 500, "{}", check.render());
    for g in [
        "mid-stream/client-close",
        "syn/client-close",
        "syn/client-close-fin-ack",
        "syn/server-close",
        "syn/server-close-fin-ack",
        "syn/half-close",
        "syn/simultaneous-close",
        "syn/client-reset",
        "syn/server-reset",
        "syn/refused",
        "syn/unanswered",
        "syn/lost-final-ack",
        "syn/reopened",
        "reuse/client-close",
    ] {
        assert!(
            check.groups.get(g).is_some_and(|x| x.planted > 0),
            "no {g} planted\n{}",
            check.render()
        );
    }
    for s in ["TIME_WAIT/CLOSED", "CLOSED/CLOSED", "CLOSED/TIME_WAIT"] {
        assert!(stats.by_final.contains_key(s), "{stats:?}");
    }
    assert_all_match(&check);
}

#[test]
fn pcapng_and_syn_started_populations_check_too() {
    let cfg = Config {
        seed: 5,
        packets: Some(8_000),
        concurrency: 12,
        format: CaptureFormat::PcapNg,
        mid_stream: false,
        ipv6_percent: 50,
        ..Config::default()
    };
    let (check, _) = answers(&cfg, "pcapng");
    assert!(check.planted() > 100, "{}", check.render());
    assert_all_match(&check);
}

#[test]
fn a_connection_count_ends_when_they_are_all_done() {
    let cfg = Config {
        seed: 9,
        packets: None,
        connections: Some(150),
        concurrency: 10,
        ..Config::default()
    };
    let (check, stats) = answers(&cfg, "connections");
    assert_eq!(stats.connections, 150);
    assert_eq!(
        stats.by_final.get("ESTABLISHED/ESTABLISHED"),
        None,
        "{stats:?}"
    );
    assert_all_match(&check);
}

#[test]
fn the_same_seed_writes_the_same_bytes() {
    let cfg = Config {
        seed: 77,
        packets: Some(5_000),
        concurrency: 50,
        ..Config::default()
    };
    let run = || {
        let (mut c, mut t) = (Vec::new(), Vec::new());
        workload::generate(&cfg, &mut c, &mut t).unwrap();
        (c, t)
    };
    let a = run();
    assert!(a == run());
    let other = Config {
        seed: 78,
        ..cfg.clone()
    };
    let (mut c, mut t) = (Vec::new(), Vec::new());
    workload::generate(&other, &mut c, &mut t).unwrap();
    assert!(c != a.0);
    // 24-byte header, then records of at most 16 + 96 bytes.
    assert!(a.0.len() <= 24 + 5_000 * 112 && a.0.len() > 24 + 5_000 * 70);
}

/// A 60,000-packet capture of the generator with 6,000 connections open at
/// once, and its statistics.
fn sixty_thousand_packets(seed: u64) -> (Vec<u8>, workload::Stats) {
    let cfg = Config {
        seed,
        packets: Some(60_000),
        concurrency: 6_000,
        ..Config::default()
    };
    let (mut capture, mut truth) = (Vec::new(), Vec::new());
    let stats = workload::generate(&cfg, &mut capture, &mut truth).expect("generate");
    (capture, stats)
}

/// Asserts that two runs handed out the same segment rows and connection
/// records, in the same order.
fn assert_same_records(a: &tcpstate::engine::Collector, b: &tcpstate::engine::Collector) {
    assert_eq!(a.segments.len(), b.segments.len());
    for (x, y) in a.segments.iter().zip(&b.segments) {
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
    assert_eq!(a.connections.len(), b.connections.len());
    for (x, y) in a.connections.iter().zip(&b.connections) {
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
}

/// Many batches, rows handed out while the capture goes on (after
/// `ROW_HOLD_FRAMES`), and more connections still open at its end than one
/// chunk of them: the parallel path (six shards whose rows are merged,
/// each end chunk handed out while the next is finished) gives the rows
/// and records of the sequential one (one shard, nothing merged), in the
/// same order.
#[test]
fn six_shards_give_the_rows_and_records_of_one() {
    use tcpstate::capture::CaptureReader;
    use tcpstate::engine::{self, Collector, Options};
    let (capture, stats) = sixty_thousand_packets(31);
    // Held at the end: all but those closed with nothing left to wait for
    // (3 s of capture: TIME_WAIT has not run out); more than one chunk
    // (4,096 streams) of them.
    let held_at_end: u64 = stats
        .by_final
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "CLOSED/CLOSED" | "CLOSED/LISTEN"))
        .map(|(_, n)| n)
        .sum();
    assert!(held_at_end > 4_096, "{stats:?}");
    let opts = Options {
        batch_frames: 1_000,
        ..Options::timeline()
    };
    let reader = || CaptureReader::from_bytes("w.pcap", capture.clone()).expect("reader");
    let mut one = Collector::default();
    engine::analyze_here(reader(), &opts, &mut one).expect("sequential");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .expect("pool");
    let mut six = Collector::default();
    pool.install(|| engine::analyze(reader(), &opts, &mut six, None))
        .expect("parallel");
    assert!(one.segments.len() >= 60_000);
    assert_eq!(one.connections.len() as u64, stats.connections);
    assert_same_records(&one, &six);
}

/// Thousands of connections open at once are memory pressure for a
/// tracker that looks for idle connections past 256 (more than 512
/// whole): every connection nothing happened to since the last look is
/// frozen, open ones too, and thawed by its next segment or timer. That
/// changes nothing: the rows and records of a tracker that never freezes.
#[test]
fn open_connections_frozen_under_memory_pressure_change_nothing() {
    use tcpstate::capture::CaptureReader;
    use tcpstate::engine::{self, Collector, Options};
    let (capture, _) = sixty_thousand_packets(7);
    let run = |idle_sweep: usize| {
        let opts = Options {
            batch_frames: 1_000,
            idle_sweep,
            ..Options::timeline()
        };
        let reader = CaptureReader::from_bytes("w.pcap", capture.clone()).expect("reader");
        let mut c = Collector::default();
        engine::analyze_here(reader, &opts, &mut c).expect("in memory");
        c
    };
    let (whole, pressed) = (run(usize::MAX), run(256));
    assert!(whole.segments.len() >= 60_000);
    assert_same_records(&whole, &pressed);
}
