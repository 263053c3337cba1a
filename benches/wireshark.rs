//! Cost of Wireshark's analysis per segment (`Analyzer::segment`), on
//! segment sequences built in memory: a bulk transfer acknowledged every
//! other segment, the same with losses and retransmissions (which make the
//! unacknowledged list fall back to walking), and pure ACK ping-pong.
//!
//! The sequences are small enough to stay in cache, as a segment does in
//! the engine between its decoding and its replay: what is measured is the
//! analysis. `cargo bench --bench wireshark`; the throughput line gives
//! segments/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use tcpstate::decode::{TcpFlags, TcpSegment};
use tcpstate::replay::Direction;
use tcpstate::wireshark::Analyzer;

fn seg(client: bool, flags: TcpFlags, seq: u32, ack: u32, len: u32) -> (TcpSegment, Direction) {
    let c = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000);
    let s = (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 443);
    let ((src, sp), (dst, dp), dir) = if client {
        (c, s, Direction::ClientToServer)
    } else {
        (s, c, Direction::ServerToClient)
    };
    (
        TcpSegment {
            window: 4096,
            header_len: 32,
            captured_payload_len: 0,
            ip_len: 52 + len,
            ..TcpSegment::new((src, sp), (dst, dp), flags, seq, ack, len)
        },
        dir,
    )
}

/// Server sends `n` MSS segments, the client acknowledges every second
/// one; with `loss`, every 97th segment is missing and resent after three
/// duplicate ACKs.
fn bulk(n: u32, loss: bool) -> Vec<(TcpSegment, Direction)> {
    let a = TcpFlags::ACK;
    let (ci, si) = (1_000u32, 4_000_000_000u32);
    let mut v = vec![
        seg(true, TcpFlags::SYN, ci, 0, 0),
        seg(false, TcpFlags::SYN | a, si, ci + 1, 0),
        seg(true, a, ci + 1, si + 1, 0),
    ];
    let mss = 1448u32;
    let mut acked = si + 1;
    let mut lost: Option<u32> = None;
    for i in 0..n {
        let s = si + 1 + i * mss;
        if loss && i % 97 == 50 {
            lost = Some(s);
        } else {
            v.push(seg(false, a, s, ci + 1, mss));
        }
        if i % 2 == 1 {
            match lost {
                Some(hole) if i % 97 == 53 => {
                    for _ in 0..3 {
                        v.push(seg(true, a, ci + 1, si.wrapping_add(0) + (hole - si), 0));
                    }
                    v.push(seg(false, a, hole, ci + 1, mss));
                    lost = None;
                    acked = s + mss;
                    v.push(seg(true, a, ci + 1, acked, 0));
                }
                Some(hole) => v.push(seg(true, a, ci + 1, hole, 0)),
                None => {
                    acked = s + mss;
                    v.push(seg(true, a, ci + 1, acked, 0));
                }
            }
        }
    }
    let _ = acked;
    v
}

/// Request/response: one small segment each way, each acknowledging the
/// other.
fn ping_pong(n: u32) -> Vec<(TcpSegment, Direction)> {
    let a = TcpFlags::ACK | TcpFlags::PSH;
    let (mut c, mut s) = (1_000u32, 9_000u32);
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(seg(true, a, c, s, 100));
        c += 100;
        v.push(seg(false, a, s, c, 200));
        s += 200;
    }
    v
}

fn run(c: &mut Criterion, name: &str, segs: &[(TcpSegment, Direction)]) {
    let mut g = c.benchmark_group("wireshark");
    g.throughput(Throughput::Elements(segs.len() as u64));
    g.bench_function(name, |b| {
        b.iter(|| {
            let mut an = Analyzer::new();
            let mut flags = 0u32;
            for (i, (s, d)) in segs.iter().enumerate() {
                let v = an.segment(
                    s,
                    *d,
                    i as u64 + 1,
                    1_700_000_000_000_000_000 + i as i64 * 1000,
                );
                flags += u32::from(v.flags.bits());
            }
            black_box(flags)
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    run(c, "bulk", &bulk(6_000, false));
    run(c, "bulk_with_loss", &bulk(6_000, true));
    run(c, "ping_pong", &ping_pong(3_000));
}

criterion_group!(wireshark, benches);
criterion_main!(wireshark);
