//! Micro and pipeline benchmarks, reported per packet (criterion's
//! `Throughput::Elements`: time per element and elements per second).
//!
//! * `decode`: one frame of a few shapes (IPv4 over Ethernet cut at 96 bytes,
//!   IPv6 in a VLAN, IPv4 in Linux cooked capture, a SYN with options);
//! * `state`: `state::step` over every (state, event) pair, and
//!   `Connection::process` on an established connection's data and ACKs, and
//!   on whole short connections (creation included);
//! * `framing`: `CaptureReader::next_batch` over a generated capture (pcap
//!   memory-mapped and streamed, pcapng);
//! * `analyze`: a whole generated capture through `engine::analyze`
//!   (summary without output, summary as JSONL, timeline as JSONL, the
//!   last two into a sink);
//! * `workload`: the generator itself.
//!
//! `cargo bench -- --quick` runs them all in about ten seconds (once
//! built), a full `cargo bench` in about a minute and a half.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use etherparse::{LinuxSllPacketType, PacketBuilder, TcpOptionElement, VlanId};
use std::hint::black_box;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tcpstate::capture::{Batch, CaptureReader, LinkType, Next};
use tcpstate::decode::{TcpFlags, TcpOptions, TcpSegment, decode};
use tcpstate::engine::{self, ConnectionRecord, Consumer, SegmentRecord};
use tcpstate::output::Format;
use tcpstate::replay::{Config as Replay, Connection};
use tcpstate::report::{self, Settings};
use tcpstate::state::{Event, Origin, TcpState, step};
use tcpstate_workload::{self as workload, Config, Format as CaptureFormat};

// ---- decode ---------------------------------------------------------------

const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// (name, link type, captured bytes (at most 96), length on the wire)
fn frames() -> Vec<(&'static str, LinkType, Vec<u8>, u32)> {
    let ts = [
        TcpOptionElement::Noop,
        TcpOptionElement::Noop,
        TcpOptionElement::Timestamp(7, 9),
    ];
    let payload = vec![0u8; 1448];
    let cut = |mut v: Vec<u8>| {
        let wire = v.len() as u32;
        v.truncate(96);
        (v, wire)
    };
    let mut out = Vec::new();

    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1_000, 501)
        .ack(2_000)
        .options(&ts)
        .expect("options fit");
    let mut v = Vec::new();
    b.write(&mut v, &payload).expect("build");
    let (v, wire) = cut(v);
    out.push(("ipv4-ethernet", LinkType::ETHERNET, v, wire));

    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .single_vlan(VlanId::try_new(100).expect("vlan id"))
        .ipv6([0xfd; 16], [0x20; 16], 64)
        .tcp(40000, 443, 1_000, 501)
        .ack(2_000)
        .options(&ts)
        .expect("options fit");
    let mut v = Vec::new();
    b.write(&mut v, &payload).expect("build");
    let (v, wire) = cut(v);
    out.push(("ipv6-vlan", LinkType::ETHERNET, v, wire));

    let b = PacketBuilder::linux_sll(LinuxSllPacketType::HOST, 6, [2, 0, 0, 0, 0, 1, 0, 0])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1_000, 501)
        .ack(2_000)
        .options(&ts)
        .expect("options fit");
    let mut v = Vec::new();
    b.write(&mut v, &payload).expect("build");
    let (v, wire) = cut(v);
    out.push(("ipv4-sll", LinkType::LINUX_SLL, v, wire));

    let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 443, 1_000, 64_240)
        .syn()
        .options(&[
            TcpOptionElement::MaximumSegmentSize(1460),
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            TcpOptionElement::Timestamp(7, 0),
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(7),
        ])
        .expect("options fit");
    let mut v = Vec::new();
    b.write(&mut v, &[]).expect("build");
    let (v, wire) = cut(v);
    out.push(("ipv4-syn-options", LinkType::ETHERNET, v, wire));
    out
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(1));
    for (name, link, bytes, wire) in frames() {
        assert!(matches!(
            decode(link, &bytes, wire, false),
            tcpstate::decode::Decoded::Tcp(_)
        ));
        g.bench_function(name, |b| {
            b.iter(|| decode(black_box(link), black_box(&bytes), black_box(wire), false))
        });
    }
    let (_, link, bytes, wire) = &frames()[3];
    g.bench_function("ipv4-syn-options-checksums", |b| {
        b.iter(|| decode(black_box(*link), black_box(bytes), black_box(*wire), true))
    });
    g.finish();
}

// ---- state machine and replay ---------------------------------------------

fn events() -> Vec<Event> {
    use Event::*;
    let mut v = vec![
        SendSyn,
        SendSynAck,
        SendFin,
        SendRst { reply: false },
        SendRst { reply: true },
        SendAck,
        RecvSyn,
        RecvRst,
        TimeWaitTimeout,
        SynTimeout,
        Reopened,
        Vanished,
        DataAfterClose,
    ];
    for a in [false, true] {
        v.push(RecvSynAck { acks_our_syn: a });
        for b in [false, true] {
            v.push(RecvAck {
                acks_our_syn: a,
                acks_our_fin: b,
            });
            v.push(RecvFin {
                acks_our_syn: a,
                acks_our_fin: b,
            });
        }
    }
    v
}

const C: (IpAddr, u16) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
const S: (IpAddr, u16) = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 443);

fn seg(from_client: bool, flags: TcpFlags, seq: u32, ack: u32, len: u32) -> TcpSegment {
    let (src, dst) = if from_client { (C, S) } else { (S, C) };
    TcpSegment {
        window: 501,
        header_len: 32,
        captured_payload_len: len.min(30),
        ip_len: 52 + len,
        options: TcpOptions {
            timestamps: Some((7, 9)),
            ..TcpOptions::default()
        },
        ..TcpSegment::new(src, dst, flags, seq, ack, len)
    }
}

const A: TcpFlags = TcpFlags::ACK;
const NS_PER_US: i64 = 1_000;

/// A handshake, `n` request/response exchanges and a client close, with
/// capture times in µs.
fn short_connection(n: u32) -> Vec<(TcpSegment, i64)> {
    let (mut c, mut s) = (1_000u32, 9_000u32);
    let mut v = vec![
        (seg(true, TcpFlags::SYN, c, 0, 0), 0),
        (seg(false, TcpFlags::SYN | A, s, c + 1, 0), 500),
        (seg(true, A, c + 1, s + 1, 0), 520),
    ];
    c += 1;
    s += 1;
    let mut t = 600;
    for _ in 0..n {
        v.push((seg(true, A | TcpFlags::PSH, c, s, 300), t));
        c += 300;
        v.push((seg(false, A, s, c, 1448), t + 500));
        s += 1448;
        v.push((seg(false, A | TcpFlags::PSH, s, c, 700), t + 510));
        s += 700;
        v.push((seg(true, A, c, s, 0), t + 530));
        t += 10_000;
    }
    v.push((seg(true, TcpFlags::FIN | A, c, s, 0), t));
    v.push((seg(false, A, s, c + 1, 0), t + 500));
    v.push((seg(false, TcpFlags::FIN | A, s, c + 1, 0), t + 510));
    v.push((seg(true, A, c + 1, s + 1, 0), t + 530));
    v
}

fn bench_state(c: &mut Criterion) {
    let mut g = c.benchmark_group("state");
    let pairs: Vec<(TcpState, Origin, Event)> = TcpState::ALL
        .iter()
        .flat_map(|&s| {
            events().into_iter().flat_map(move |e| {
                [Origin::Active, Origin::Passive]
                    .into_iter()
                    .map(move |o| (s, o, e))
            })
        })
        .collect();
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("step-every-state-event", |b| {
        b.iter(|| {
            for &(s, o, e) in &pairs {
                black_box(step(black_box(s), o, e));
            }
        })
    });

    // An established connection, then data and ACKs (steady state).
    let cfg = Replay::default();
    let hs = short_connection(0);
    let mut template = Connection::new(&hs[0].0, 1, 0, 0);
    for (i, (s, t)) in hs[..3].iter().enumerate() {
        template.process(s, i as u64 + 1, t * NS_PER_US, t * NS_PER_US, &cfg);
    }
    let (mut cs, mut ss) = (1_001u32, 9_001u32);
    let mut steady = Vec::new();
    for i in 0..512u32 {
        steady.push(seg(true, A | TcpFlags::PSH, cs, ss, 300));
        cs += 300;
        steady.push(seg(false, A, ss, cs, if i % 2 == 0 { 1448 } else { 0 }));
        if i % 2 == 0 {
            ss += 1448;
        }
    }
    g.throughput(Throughput::Elements(steady.len() as u64));
    g.bench_function("process-established-data", |b| {
        b.iter_batched_ref(
            || template.clone(),
            |conn| {
                for (i, s) in steady.iter().enumerate() {
                    let t = (1_000 + i as i64) * NS_PER_US;
                    black_box(conn.process(s, 4 + i as u64, t, t, &cfg));
                }
            },
            BatchSize::SmallInput,
        )
    });

    // Whole connections: creation, handshake, 4 exchanges, close, finish.
    let conn = short_connection(4);
    g.throughput(Throughput::Elements(conn.len() as u64));
    g.bench_function("process-whole-connection", |b| {
        b.iter(|| {
            let mut c = Connection::new(&conn[0].0, 1, 0, 0);
            for (i, (s, t)) in conn.iter().enumerate() {
                black_box(c.process(s, i as u64 + 1, t * NS_PER_US, t * NS_PER_US, &cfg));
            }
            c.finish(1_000_000_000, conn.len() as u64, &cfg, true);
            black_box(c)
        })
    });
    g.finish();
}

// ---- framing and whole captures -------------------------------------------

struct TempCapture {
    path: PathBuf,
    packets: u64,
}

impl Drop for TempCapture {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Generates a workload capture into a temporary file.
fn capture(name: &str, packets: u64, concurrency: u32, format: CaptureFormat) -> TempCapture {
    let path = std::env::temp_dir().join(format!("tcpstate-bench-{}-{name}", std::process::id()));
    let cfg = Config {
        seed: 42,
        packets: Some(packets),
        concurrency,
        format,
        ..Config::default()
    };
    let file = std::fs::File::create(&path).expect("create a temporary capture");
    let stats = workload::generate(&cfg, file, io::sink()).expect("generate");
    TempCapture {
        path,
        packets: stats.packets,
    }
}

/// Frames a whole capture; returns the frame count.
fn frame_all(mut r: CaptureReader, batch: &mut Batch) -> u64 {
    let mut n = 0;
    loop {
        let next = r.next_batch(batch, 32 * 1024);
        n += batch.frames().len() as u64;
        match next {
            Next::Frames => {}
            Next::End => return n,
            Next::Damaged(e) => panic!("{e}"),
        }
    }
}

fn bench_framing(c: &mut Criterion) {
    let pcap = capture("framing.pcap", 200_000, 2_000, CaptureFormat::Pcap);
    let pcapng = capture("framing.pcapng", 200_000, 2_000, CaptureFormat::PcapNg);
    let mut g = c.benchmark_group("framing");
    g.throughput(Throughput::Elements(pcap.packets));
    let mut batch = Batch::new();
    let open = |p: &Path| CaptureReader::open(p).expect("open");
    g.bench_function("pcap-mmap", |b| {
        b.iter(|| frame_all(open(&pcap.path), &mut batch))
    });
    g.bench_function("pcap-stream", |b| {
        b.iter(|| {
            let f = std::fs::File::open(&pcap.path).expect("open");
            frame_all(
                CaptureReader::from_read("-", Box::new(f)).expect("pcap"),
                &mut batch,
            )
        })
    });
    g.bench_function("pcapng-mmap", |b| {
        b.iter(|| frame_all(open(&pcapng.path), &mut batch))
    });
    g.finish();
}

/// A summary consumer that formats nothing.
struct Count(u64);

impl Consumer for Count {
    fn capture_start(&mut self, _: i64) {}
    fn segments(&mut self, r: &[SegmentRecord]) -> io::Result<()> {
        self.0 += r.len() as u64;
        Ok(())
    }
    fn connections(&mut self, r: &[ConnectionRecord]) -> io::Result<()> {
        self.0 += r.len() as u64;
        Ok(())
    }
}

/// The engine over a whole capture, its results counted, not rendered.
fn engine_summary(path: &std::path::Path) -> u64 {
    let r = CaptureReader::open(path).expect("open");
    let mut count = Count(0);
    engine::analyze(r, &engine::Options::default(), &mut count, None).expect("analyze");
    count.0
}

fn bench_analyze(c: &mut Criterion) {
    let cap = capture("analyze.pcap", 100_000, 1_000, CaptureFormat::Pcap);
    let mut g = c.benchmark_group("analyze");
    g.throughput(Throughput::Elements(cap.packets));
    g.sample_size(10);
    g.bench_function("engine-summary", |b| b.iter(|| engine_summary(&cap.path)));
    let settings = Settings {
        engine: engine::Options::default(),
        format: Format::Jsonl,
        ..Settings::default()
    };
    let files = [cap.path.clone()];
    g.bench_function("summary-jsonl", |b| {
        b.iter(|| report::summary(&files, &settings, &mut io::sink(), &mut io::sink()))
    });
    g.bench_function("timeline-jsonl", |b| {
        b.iter(|| {
            report::timeline(
                &files,
                &Default::default(),
                &settings,
                &mut io::sink(),
                &mut io::sink(),
            )
        })
    });
    g.finish();
    // The shape of compare.sh's workload: 5,600 connections open at once
    // and tens of thousands lingering, more than the caches hold, so that
    // what a segment costs includes fetching its connection from memory
    // (the 100k capture above, 1,000 open, stays in the caches).
    let cap = capture(
        "analyze-many-open.pcap",
        500_000,
        5_600,
        CaptureFormat::Pcap,
    );
    let mut g = c.benchmark_group("analyze-many-open");
    g.throughput(Throughput::Elements(cap.packets));
    g.sample_size(10);
    g.bench_function("engine-summary", |b| b.iter(|| engine_summary(&cap.path)));
    g.finish();
}

fn bench_workload(c: &mut Criterion) {
    let mut g = c.benchmark_group("workload");
    let packets = 50_000;
    g.throughput(Throughput::Elements(packets));
    g.sample_size(10);
    for format in [CaptureFormat::Pcap, CaptureFormat::PcapNg] {
        let cfg = Config {
            packets: Some(packets),
            concurrency: 1_000,
            format,
            ..Config::default()
        };
        g.bench_with_input(
            BenchmarkId::new("generate", format!("{format:?}")),
            &cfg,
            |b, cfg| b.iter(|| workload::generate(cfg, io::sink(), io::sink()).expect("generate")),
        );
    }
    g.finish();
}

/// Plots are off: rendering them (plotters, no gnuplot here) takes far
/// longer than measuring. Shorter default times keep a full run near a
/// minute; `--measurement-time` and `--warm-up-time` override them.
fn config() -> Criterion {
    Criterion::default()
        .without_plots()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_decode, bench_state, bench_framing, bench_analyze, bench_workload
}
criterion_main!(benches);
