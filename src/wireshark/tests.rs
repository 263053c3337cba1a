//! Each verdict on a hand-built segment sequence. The expected values are
//! worked out from Wireshark's rules (see the module documentation), not
//! taken from our output.

use super::*;
use crate::decode::{ChecksumStatus, TcpOptions};
use std::net::{IpAddr, Ipv4Addr};

/// Client's and server's initial sequence numbers.
const CI: u32 = 100;
const SI: u32 = 500;
/// Times are milliseconds after this (time 0 would mean "none" to
/// Wireshark).
const T0: i64 = 1_700_000_000_000_000_000;

/// A connection fed segment by segment, numbering frames from 1.
struct Conn {
    a: Analyzer,
    frame: u64,
}

/// One segment: who sends, when (ms, fractions allowed via `us`), flags,
/// raw seq/ack, payload length, raw window.
struct S {
    client: bool,
    us: i64,
    flags: TcpFlags,
    seq: u32,
    ack: u32,
    len: u32,
    win: u16,
    ws: Option<u8>,
}

fn flags(s: &str) -> TcpFlags {
    let mut f = TcpFlags::empty();
    for c in s.chars() {
        f |= match c {
            'S' => TcpFlags::SYN,
            'A' => TcpFlags::ACK,
            'F' => TcpFlags::FIN,
            'R' => TcpFlags::RST,
            'P' => TcpFlags::PSH,
            _ => panic!("flag {c}"),
        };
    }
    f
}

/// Client to server at `ms`.
fn c(ms: i64, f: &str, seq: u32, ack: u32, len: u32, win: u16) -> S {
    S {
        client: true,
        us: ms * 1000,
        flags: flags(f),
        seq,
        ack,
        len,
        win,
        ws: None,
    }
}

/// Server to client at `ms`.
fn s(ms: i64, f: &str, seq: u32, ack: u32, len: u32, win: u16) -> S {
    S {
        client: false,
        ..c(ms, f, seq, ack, len, win)
    }
}

impl S {
    fn ws(mut self, shift: u8) -> S {
        self.ws = Some(shift);
        self
    }
    fn at_us(mut self, us: i64) -> S {
        self.us = us;
        self
    }
    fn segment(&self) -> TcpSegment {
        let (a, b) = (
            (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000),
            (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80),
        );
        let (src, dst) = if self.client { (a, b) } else { (b, a) };
        TcpSegment {
            window: self.win,
            options: TcpOptions {
                window_scale: self.ws,
                ..TcpOptions::default()
            },
            ..TcpSegment::new(src, dst, self.flags, self.seq, self.ack, self.len)
        }
    }
}

impl Conn {
    fn new() -> Conn {
        Conn {
            a: Analyzer::new(),
            frame: 0,
        }
    }

    fn send(&mut self, seg: S) -> Verdicts {
        self.frame += 1;
        let dir = if seg.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        self.a
            .segment(&seg.segment(), dir, self.frame, T0 + seg.us * 1000)
    }

    /// Sends each segment and returns the verdict names of each.
    fn run(&mut self, segs: Vec<S>) -> Vec<Vec<&'static str>> {
        segs.into_iter().map(|s| names(&self.send(s))).collect()
    }

    /// The handshake at 0, 10 and 20 ms (initial RTT 20 ms), windows 1000.
    fn handshake() -> Conn {
        let mut k = Conn::new();
        let v = k.run(vec![
            c(0, "S", CI, 0, 0, 1000),
            s(10, "SA", SI, CI + 1, 0, 1000),
            c(20, "A", CI + 1, SI + 1, 0, 1000),
        ]);
        assert!(v.iter().all(Vec::is_empty), "clean handshake: {v:?}");
        k
    }
}

fn names(v: &Verdicts) -> Vec<&'static str> {
    v.flags.iter().map(Flag::name).collect()
}

const NONE: [&str; 0] = [];

#[test]
fn a_segment_resent_later_is_a_retransmission() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 101, SI + 1, 100, 1000),
        // 200 ms later, beyond the 20 ms initial RTT: not out of order; the
        // server acknowledged nothing: not spurious; no duplicate ACKs: not
        // fast.
        c(231, "PA", CI + 1, SI + 1, 100, 1000),
    ]);
    assert_eq!(v, [NONE.to_vec(), vec![], vec!["retransmission"]]);
}

#[test]
fn a_segment_filling_a_gap_soon_after_is_out_of_order() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 201, SI + 1, 100, 1000),
        // 5 ms after the highest segment, within the initial RTT, and not
        // ending at the next expected number.
        c(36, "PA", CI + 101, SI + 1, 100, 1000),
    ]);
    assert_eq!(v, [vec![], vec!["lost_segment"], vec!["out_of_order"]]);
}

#[test]
fn without_an_initial_rtt_the_out_of_order_window_is_three_milliseconds() {
    // No handshake: the window is 3 ms, and exactly 3 ms is not within it.
    let run = |late_us: i64| {
        let mut k = Conn::new();
        k.run(vec![
            c(0, "PA", CI + 1, SI + 1, 100, 1000),
            c(1, "PA", CI + 201, SI + 1, 100, 1000),
            c(0, "PA", CI + 101, SI + 1, 100, 1000).at_us(1000 + late_us),
        ])
        .pop()
        .unwrap()
    };
    assert_eq!(run(2999), ["out_of_order"]);
    assert_eq!(run(3000), ["retransmission"]);
}

#[test]
fn an_exact_copy_of_the_latest_segment_is_never_out_of_order() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 1, SI + 1, 100, 1000),
    ]);
    assert_eq!(v[1], ["retransmission"]);
}

#[test]
fn a_timestamp_going_backwards_is_never_within_a_window() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 201, SI + 1, 100, 1000),
        c(29, "PA", CI + 101, SI + 1, 100, 1000),
    ]);
    assert_eq!(v[2], ["retransmission"]);
}

#[test]
fn duplicate_acks_count_up_and_name_the_frame_they_repeat() {
    let mut k = Conn::handshake();
    let v: Vec<Verdicts> = [
        c(30, "PA", CI + 1, SI + 1, 100, 1000),   // 4
        s(31, "A", SI + 1, CI + 101, 0, 1000),    // 5: new ack
        c(32, "PA", CI + 201, SI + 1, 100, 1000), // 6: gap
        s(33, "A", SI + 1, CI + 101, 0, 1000),    // 7: dup #1 of 5
        c(34, "PA", CI + 301, SI + 1, 100, 1000), // 8
        s(35, "A", SI + 1, CI + 101, 0, 1000),    // 9: dup #2 of 5
        s(36, "A", SI + 1, CI + 101, 0, 2000),    // 10: window update, counter kept
        s(37, "A", SI + 1, CI + 101, 0, 2000),    // 11: dup #3 of 5
    ]
    .into_iter()
    .map(|x| k.send(x))
    .collect();
    let dup = |v: &Verdicts| v.duplicate_ack.map(|d| (d.number, d.frame));
    assert_eq!(names(&v[3]), ["duplicate_ack"]);
    assert_eq!(dup(&v[3]), Some((1, Some(5))));
    assert_eq!(dup(&v[5]), Some((2, Some(5))));
    assert_eq!(names(&v[6]), ["window_update"]);
    assert_eq!(dup(&v[6]), None);
    assert_eq!(dup(&v[7]), Some((3, Some(5))));
    assert_eq!(k.a.counts().get(Flag::DuplicateAck), 3);
}

#[test]
fn a_pure_ack_after_the_flows_own_data_is_already_a_duplicate() {
    // Nothing requires an earlier pure ACK: same seq (the next expected),
    // same ack and window as the flow's previous segment.
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "A", CI + 101, SI + 1, 0, 1000),
    ]);
    assert_eq!(v[1], ["duplicate_ack"]);
}

#[test]
fn a_duplicate_ack_with_no_earlier_change_of_ack_names_no_frame() {
    let mut k = Conn::new();
    // A first segment with seq 0 and ack 0: Wireshark's "nothing seen yet"
    // values (next seq 0, last ack 0, window all ones) make it a window
    // update; the repeat is a duplicate of no frame (the ack never changed
    // from 0).
    let v: Vec<Verdicts> = [s(0, "", 0, 0, 0, 1000), s(1, "", 0, 0, 0, 1000)]
        .into_iter()
        .map(|x| k.send(x))
        .collect();
    assert_eq!(names(&v[0]), ["window_update"]);
    assert_eq!(names(&v[1]), ["duplicate_ack"]);
    assert_eq!(
        v[1].duplicate_ack,
        Some(DuplicateAck {
            number: 1,
            frame: None
        })
    );
}

#[test]
fn a_resend_within_20_ms_of_two_duplicate_acks_is_a_fast_retransmission() {
    // `resend_ms` after the last duplicate ACK (or the ACK), long after the
    // client's highest segment (so never out of order).
    let run = |dups: i64, resend_ms: i64| {
        let mut k = Conn::handshake();
        k.run(vec![
            c(21, "PA", CI + 1, SI + 1, 100, 1000),
            c(22, "PA", CI + 101, SI + 1, 100, 1000),
            c(23, "PA", CI + 201, SI + 1, 100, 1000),
            s(100, "A", SI + 1, CI + 101, 0, 1000),
        ]);
        for i in 1..=dups {
            let v = k.send(s(100 + i, "A", SI + 1, CI + 101, 0, 1000));
            assert_eq!(names(&v), ["duplicate_ack"]);
        }
        let v = k.send(c(100 + dups + resend_ms, "PA", CI + 101, SI + 1, 100, 1000));
        names(&v)
    };
    assert_eq!(run(2, 5), ["retransmission", "fast_retransmission"]);
    assert_eq!(run(3, 19), ["retransmission", "fast_retransmission"]);
    assert_eq!(run(2, 20), ["retransmission"], "20 ms is too late");
    assert_eq!(run(1, 5), ["retransmission"], "one duplicate is not enough");
}

#[test]
fn data_the_peer_already_acknowledged_is_a_spurious_retransmission() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 101, SI + 1, 100, 1000),
        s(40, "A", SI + 1, CI + 201, 0, 1000),
        c(300, "PA", CI + 101, SI + 1, 100, 1000),
    ]);
    assert_eq!(v[3], ["retransmission", "spurious_retransmission"]);
    assert_eq!(k.a.counts().get(Flag::Retransmission), 1);
    assert_eq!(k.a.counts().get(Flag::SpuriousRetransmission), 1);
}

#[test]
fn spurious_needs_no_step_back_and_can_come_with_a_gap() {
    // The server acknowledged past everything the client was seen to send;
    // the client's next segment jumps ahead (a gap) yet ends before that
    // acknowledgment.
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        s(31, "A", SI + 1, CI + 1001, 0, 1000),
        c(32, "PA", CI + 201, SI + 1, 100, 1000),
    ]);
    assert_eq!(v[1], ["ack_lost_segment"]);
    assert_eq!(
        v[2],
        ["retransmission", "spurious_retransmission", "lost_segment"]
    );
}

#[test]
fn a_gap_is_a_previous_segment_not_captured_but_not_for_an_rst() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 1001, SI + 1, 100, 1000),
        c(32, "RA", CI + 5001, SI + 1, 0, 1000),
    ]);
    assert_eq!(v, [vec![], vec!["lost_segment"], vec![]]);
}

#[test]
fn acknowledging_beyond_what_was_seen_is_reported_once_per_gap() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        s(31, "A", SI + 1, CI + 201, 0, 1000),
        // Same again: no new data from the client; the client's counter was
        // 0, it is now the marker, so no second verdict (and the repeat is a
        // duplicate ACK).
        s(32, "A", SI + 1, CI + 201, 0, 1000),
        // The client sends past the hole (a gap to us), the server
        // acknowledges beyond that too: a new verdict.
        c(33, "PA", CI + 201, SI + 1, 100, 1000),
        s(34, "A", SI + 1, CI + 401, 0, 1000),
    ]);
    assert_eq!(
        v,
        [
            vec![],
            vec!["ack_lost_segment"],
            vec!["duplicate_ack"],
            vec!["lost_segment"],
            vec!["ack_lost_segment"],
        ]
    );
}

#[test]
fn the_acked_unseen_marker_passes_for_two_duplicate_acks() {
    // The duplicate ACK counter is unsigned and the "ACKed unseen" marker
    // is its largest value, so it satisfies "at least two duplicates": a
    // resend of the server's data within 20 ms of the client's last segment
    // is then a fast retransmission.
    let run = |with_unseen: bool| {
        let mut k = Conn::handshake();
        let mut segs = vec![
            s(100, "PA", SI + 1, CI + 1, 50, 1000),
            c(130, "PA", CI + 1, SI + 1, 100, 1000),
        ];
        if with_unseen {
            segs.push(s(131, "A", SI + 51, CI + 201, 0, 1000));
        }
        // 35 ms after the server's data: outside the 20 ms initial RTT.
        segs.push(s(135, "PA", SI + 1, CI + 1, 50, 1000));
        k.run(segs).pop().unwrap()
    };
    assert_eq!(run(true), ["retransmission", "fast_retransmission"]);
    assert_eq!(run(false), ["retransmission"]);
}

#[test]
fn a_zero_window_its_probe_and_the_probes_ack() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        s(31, "A", SI + 1, CI + 101, 0, 0),
        // One byte at the next expected number while the peer's window is 0.
        c(500, "PA", CI + 101, SI + 1, 1, 1000),
        // Repeating ack and zero window after the probe.
        s(501, "A", SI + 1, CI + 101, 0, 0),
        // The window opens; the probe did not move the next expected
        // number, so the real segment at the same number is clean.
        s(600, "A", SI + 1, CI + 101, 0, 1000),
        c(601, "PA", CI + 101, SI + 1, 100, 1000),
    ]);
    assert_eq!(
        v,
        [
            vec![],
            vec!["zero_window"],
            vec!["zero_window_probe"],
            vec!["zero_window", "zero_window_probe_ack"],
            vec!["window_update"],
            vec![],
        ]
    );
}

#[test]
fn a_zero_window_needs_no_ack_flag_but_no_syn_fin_or_rst() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        s(30, "", SI + 1, 0, 0, 0),
        s(31, "FA", SI + 1, CI + 1, 0, 0),
    ]);
    assert_eq!(v[0], ["zero_window"]);
    assert!(!v[1].contains(&"zero_window"));
}

#[test]
fn a_keep_alive_and_its_ack() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        s(31, "A", SI + 1, CI + 101, 0, 1000),
        // One number before the next expected, no data (or one byte).
        c(10_000, "A", CI + 100, SI + 1, 0, 1000),
        s(10_001, "A", SI + 1, CI + 101, 0, 1000),
        c(20_000, "A", CI + 100, SI + 1, 1, 1000),
        s(20_001, "A", SI + 1, CI + 101, 0, 1000),
        // Still answering a keep-alive (the client sent nothing since).
        s(20_002, "A", SI + 1, CI + 101, 0, 1000),
    ]);
    assert_eq!(
        v[2..],
        [
            vec!["keep_alive"],
            vec!["keep_alive_ack"],
            vec!["keep_alive"],
            vec!["keep_alive_ack"],
            vec!["keep_alive_ack"],
        ]
    );
}

#[test]
fn a_keep_alive_with_a_byte_is_not_a_retransmission_but_a_fin_there_is() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(10_000, "A", CI + 100, SI + 1, 1, 1000),
        c(20_000, "FA", CI + 100, SI + 1, 0, 1000),
    ]);
    assert_eq!(v[1], ["keep_alive"]);
    assert_eq!(v[2], ["retransmission"]);
}

#[test]
fn two_bytes_at_the_next_number_minus_one_are_new_data() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(10_000, "PA", CI + 100, SI + 1, 2, 1000),
    ]);
    assert_eq!(v[1], NONE);
}

#[test]
fn a_window_update_is_a_repeat_with_another_window() {
    let mut k = Conn::handshake();
    let v = k.run(vec![
        s(30, "A", SI + 1, CI + 1, 0, 2000),
        s(31, "A", SI + 1, CI + 1, 0, 0),
        s(32, "A", SI + 1, CI + 1, 0, 3000),
    ]);
    // The first ACK of the server after its SYN-ACK changes the window.
    assert_eq!(
        v,
        [
            vec!["window_update"],
            vec!["zero_window"],
            vec!["window_update"]
        ]
    );
}

#[test]
fn data_up_to_the_edge_of_the_scaled_window_fills_it() {
    // Both sides offer window scaling: the server's shift 3 applies once it
    // has sent a segment with ACK and without SYN.
    let mut k = Conn::new();
    let v = k.run(vec![
        c(0, "S", CI, 0, 0, 1000).ws(2),
        s(10, "SA", SI, CI + 1, 0, 1000).ws(3),
        c(20, "A", CI + 1, SI + 1, 0, 1000),
        s(21, "A", SI + 1, CI + 1, 0, 100),
        c(30, "PA", CI + 1, SI + 1, 799, 1000),
        c(31, "PA", CI + 800, SI + 1, 1, 1000),
        c(32, "PA", CI + 801, SI + 1, 10, 1000),
    ]);
    // Window 100 << 3 = 800 bytes from ack CI+1: the segment ending at CI+801
    // fills it; going past the edge is not flagged.
    assert_eq!(v[3], ["window_update"]);
    assert_eq!(v[4..], [vec![], vec!["window_full"], vec![]]);
}

#[test]
fn before_the_peers_first_ack_its_window_is_not_scaled() {
    let mut k = Conn::new();
    let v = k.run(vec![
        c(0, "S", CI, 0, 0, 1000).ws(2),
        s(10, "SA", SI, CI + 1, 0, 1000).ws(3),
        c(20, "PA", CI + 1, SI + 1, 1000, 1000),
    ]);
    assert_eq!(v[2], ["window_full"]);
}

#[test]
fn a_syn_without_window_scale_means_no_scaling_either_way() {
    let mut k = Conn::new();
    let v = k.run(vec![
        c(0, "S", CI, 0, 0, 1000),
        s(10, "SA", SI, CI + 1, 0, 100).ws(3),
        c(20, "A", CI + 1, SI + 1, 0, 1000),
        s(21, "A", SI + 1, CI + 1, 0, 100),
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
    ]);
    assert_eq!(v[4], ["window_full"], "raw window 100, not 800");
}

#[test]
fn an_unknown_window_scale_means_no_window_full() {
    // No handshake seen: the server's scale is unknown.
    let mut k = Conn::new();
    let v = k.run(vec![
        s(0, "A", SI + 1, CI + 1, 0, 100),
        c(1, "PA", CI + 1, SI + 1, 100, 1000),
    ]);
    assert_eq!(v[1], NONE);
}

#[test]
fn a_syn_ack_with_a_new_sequence_number_reuses_the_ports() {
    let mut k = Conn::handshake();
    let v = k.run(vec![s(1000, "SA", SI + 7777, CI + 1, 0, 1000)]);
    // A new base for the server; its jump ahead is a gap.
    assert_eq!(v[0], ["lost_segment", "reused_ports"]);
    // The same SYN-ACK again is only a retransmission.
    let v = k.run(vec![s(2000, "SA", SI + 7777, CI + 1, 0, 1000)]);
    assert_eq!(v[0], ["retransmission"]);
}

#[test]
fn the_syn_that_split_a_stream_reuses_the_ports_and_starts_afresh() {
    let mut k = Conn::new();
    k.a.split_from_earlier();
    let v = k.run(vec![
        c(0, "S", CI, 0, 0, 1000),
        s(10, "SA", SI, CI + 1, 0, 1000),
    ]);
    assert_eq!(v, [vec!["reused_ports"], vec![]]);
}

#[test]
fn a_syn_with_another_number_than_the_base_starts_afresh() {
    // The engine would have split the stream; if it did not, the analysis
    // still starts over like Wireshark's new stream.
    let mut k = Conn::handshake();
    k.run(vec![c(30, "PA", CI + 1, SI + 1, 100, 1000)]);
    let v = k.run(vec![
        c(5000, "S", 9000, 0, 0, 1000),
        s(5010, "SA", 7000, 9001, 0, 1000),
        c(5020, "A", 9001, 7001, 0, 1000),
    ]);
    assert_eq!(v, [vec!["reused_ports"], vec![], vec![]]);
    assert_eq!(k.a.counts().get(Flag::ReusedPorts), 1);
}

#[test]
fn a_repeated_syn_is_a_retransmission() {
    let mut k = Conn::new();
    let v = k.run(vec![
        c(0, "S", CI, 0, 0, 1000),
        c(1000, "S", CI, 0, 0, 1000),
        c(3000, "S", CI, 0, 0, 1000),
    ]);
    assert_eq!(v, [vec![], vec!["retransmission"], vec!["retransmission"]]);
}

#[test]
fn a_syn_at_the_base_sets_the_next_number_back() {
    // After the client's data, a SYN at its ISN: Wireshark resets the next
    // expected number to the end of in-order data, so the SYN (which ends
    // before it) is a retransmission rather than a step back past data.
    let mut k = Conn::handshake();
    k.run(vec![
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 301, SI + 1, 100, 1000),
    ]);
    // In-order data ends at CI+101; the SYN brings nextseq back there, so a
    // segment at CI+101 afterwards is not a retransmission.
    let v = k.run(vec![
        c(1000, "S", CI, 0, 0, 1000),
        c(1001, "PA", CI + 101, SI + 1, 100, 1000),
    ]);
    assert_eq!(v, [vec!["retransmission"], vec![]]);
}

#[test]
fn the_initial_rtt_shows_on_frames_with_an_analysis_record() {
    let mut k = Conn::new();
    let v: Vec<Verdicts> = [
        c(0, "S", CI, 0, 0, 1000),
        s(10, "SA", SI, CI + 1, 0, 1000),
        // Acknowledges the SYN-ACK exactly: a record.
        c(20, "A", CI + 1, SI + 1, 0, 1000),
        c(30, "PA", CI + 1, SI + 1, 100, 1000),
        c(31, "PA", CI + 101, SI + 1, 100, 1000),
        // Acknowledges part of the data: no record, nothing shown.
        s(40, "A", SI + 1, CI + 51, 0, 1000),
        // Acknowledges the second segment exactly.
        s(41, "A", SI + 1, CI + 201, 0, 1000),
    ]
    .into_iter()
    .map(|x| k.send(x))
    .collect();
    let rtt: Vec<Option<i64>> = v.iter().map(|v| v.initial_rtt_ns).collect();
    let r = Some(20_000_000);
    assert_eq!(rtt, [None, None, r, r, r, None, r]);
    assert_eq!(v[1].acks_frame, Some(1));
    assert_eq!(v[1].ack_rtt_ns, Some(10_000_000));
    assert_eq!(v[2].acks_frame, Some(2));
    assert_eq!(v[5].acks_frame, None);
    assert_eq!(v[6].acks_frame, Some(5));
    assert_eq!(k.a.initial_rtt_ns(), Some(20_000_000));
}

#[test]
fn the_initial_rtt_runs_from_the_latest_syn_to_the_first_ack_of_either_side() {
    let mut k = Conn::new();
    let v = [
        c(0, "S", CI, 0, 0, 1000),
        c(1000, "S", CI, 0, 0, 1000),
        s(1010, "SA", SI, CI + 1, 0, 1000),
        // The server's data with ACK comes first.
        s(1015, "PA", SI + 1, CI + 1, 10, 1000),
        c(1020, "A", CI + 1, SI + 11, 0, 1000),
    ]
    .into_iter()
    .map(|x| k.send(x))
    .collect::<Vec<_>>();
    assert_eq!(v[3].initial_rtt_ns, Some(15_000_000));
    assert_eq!(v[4].initial_rtt_ns, Some(15_000_000));
}

#[test]
fn a_lone_syn_ack_gives_no_initial_rtt() {
    let mut k = Conn::new();
    k.run(vec![
        s(10, "SA", SI, CI + 1, 0, 1000),
        c(20, "A", CI + 1, SI + 1, 0, 1000),
    ]);
    assert_eq!(k.a.initial_rtt_ns(), None);
}

#[test]
fn a_syn_at_time_zero_counts_as_no_syn() {
    let mut k = Conn::new();
    let t0 = -T0 / 1000; // in µs: the epoch itself
    k.send(c(0, "S", CI, 0, 0, 1000).at_us(t0));
    k.send(s(0, "SA", SI, CI + 1, 0, 1000).at_us(t0 + 10_000));
    k.send(c(0, "A", CI + 1, SI + 1, 0, 1000).at_us(t0 + 20_000));
    assert_eq!(k.a.initial_rtt_ns(), None);
}

#[test]
fn when_the_unacked_list_is_full_a_fin_takes_no_sequence_number() {
    // The server never acknowledges: after UNACKED_CAPACITY segments the
    // client's list is full, the FIN is not recorded and does not count
    // one number, so the client's next segment (correctly one past the
    // FIN) looks like a gap to Wireshark.
    let run = |segments: u32| {
        let mut k = Conn::handshake();
        // 7 bytes each: no segment ends at the edge of the server's window
        // (CI + 1001), which would be "window full".
        for i in 0..segments {
            let v = k.send(c(30, "PA", CI + 1 + 7 * i, SI + 1, 7, 1000));
            assert!(v.is_empty(), "segment {i}: {v:?}");
        }
        let end = CI + 1 + 7 * segments;
        k.run(vec![
            c(40, "FA", end, SI + 1, 0, 1000),
            c(41, "A", end + 1, SI + 1, 0, 1000),
        ])
    };
    let full = UNACKED_CAPACITY as u32;
    // With room, the ACK after the FIN sits at the next number, repeating
    // the client's ack and window: a duplicate ACK.
    assert_eq!(run(full - 1), [NONE.to_vec(), vec!["duplicate_ack"]]);
    assert_eq!(run(full), [NONE.to_vec(), vec!["lost_segment"]]);
}

#[test]
fn segments_past_the_list_capacity_are_not_acked_by_frame() {
    let mut k = Conn::handshake();
    let full = UNACKED_CAPACITY as u32;
    for i in 0..=full {
        k.send(c(30, "PA", CI + 1 + 10 * i, SI + 1, 10, 1000));
    }
    // Frames 4.. hold the segments; the one past the capacity (the last) was
    // not recorded, the one before it was.
    let v = k.send(s(40, "A", SI + 1, CI + 1 + 10 * full, 0, 1000));
    assert_eq!(v.acks_frame, Some(3 + u64::from(full)));
    let v = k.send(s(41, "A", SI + 1, CI + 1 + 10 * (full + 1), 0, 1000));
    assert_eq!(v.acks_frame, None);
}

#[test]
fn checksums_do_not_matter() {
    let segs = || {
        vec![
            c(0, "S", CI, 0, 0, 1000),
            s(10, "SA", SI, CI + 1, 0, 1000),
            c(20, "A", CI + 1, SI + 1, 0, 1000),
            c(30, "PA", CI + 1, SI + 1, 100, 1000),
            c(300, "PA", CI + 1, SI + 1, 100, 1000),
        ]
    };
    let mut plain = Conn::new();
    let mut bad = Conn::new();
    for (i, x) in segs().into_iter().enumerate() {
        let mut seg = x.segment();
        seg.checksum = ChecksumStatus::Bad;
        bad.frame += 1;
        let dir = if x.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let b = bad.a.segment(&seg, dir, bad.frame, T0 + x.us * 1000);
        let p = plain.send(x);
        assert_eq!(b, p, "segment {i}");
    }
    assert_eq!(bad.a.counts().get(Flag::Retransmission), 1);
}

#[test]
fn flags_and_counts() {
    let all: Flags = Flag::ALL.into_iter().collect();
    assert_eq!(all.iter().count(), 15);
    for f in Flag::ALL {
        assert_eq!(Flag::from_name(f.name()), Some(f));
    }
    let mut counts = Counts::default();
    counts.add(
        [Flag::Retransmission, Flag::FastRetransmission]
            .into_iter()
            .collect(),
    );
    assert_eq!(
        counts.nonzero().collect::<Vec<_>>(),
        [(Flag::Retransmission, 1), (Flag::FastRetransmission, 1)]
    );
}
