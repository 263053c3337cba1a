use super::*;
use TcpState::*;

const C: (IpAddr, u16) = (IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)), 40000);
const S: (IpAddr, u16) = (IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)), 80);
const F: TcpFlags = TcpFlags::FIN;
const SY: TcpFlags = TcpFlags::SYN;
const R: TcpFlags = TcpFlags::RST;
const A: TcpFlags = TcpFlags::ACK;

fn seg(from_client: bool, flags: TcpFlags, seq: u32, ack: u32, len: u32) -> TcpSegment {
    let (src, dst) = if from_client { (C, S) } else { (S, C) };
    TcpSegment::new(src, dst, flags, seq, ack, len)
}

/// Replays `(from_client, flags, seq, ack, len, seconds)` and returns the
/// connection and the states after each segment.
fn replay(
    segs: &[(bool, TcpFlags, u32, u32, u32, i64)],
) -> (Connection, Vec<[TcpState; 2]>, Vec<SegmentOutcome>) {
    let cfg = Config::default();
    let first = seg(segs[0].0, segs[0].1, segs[0].2, segs[0].3, segs[0].4);
    let mut conn = Connection::new(&first, 1, segs[0].5 * NS, segs[0].5 * NS);
    let mut states = Vec::new();
    let mut outs = Vec::new();
    for (i, &(c, fl, sq, ak, len, t)) in segs.iter().enumerate() {
        let o = conn.process(&seg(c, fl, sq, ak, len), i as u64 + 1, t * NS, t * NS, &cfg);
        states.push(o.state);
        outs.push(o);
    }
    (conn, states, outs)
}

fn kinds(conn: &Connection) -> Vec<&'static str> {
    conn.anomalies.iter().map(|a| a.kind.id()).collect()
}

#[test]
fn handshake_then_client_closes_first() {
    let (mut conn, st, _) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        (true, A, 101, 501, 10, 0),
        (false, A, 501, 111, 0, 0),
        (true, F | A, 111, 501, 0, 1),
        (false, A, 501, 112, 0, 1),
        (false, F | A, 501, 112, 0, 1),
        (true, A, 112, 502, 0, 1),
    ]);
    assert_eq!(
        st,
        [
            [SynSent, SynReceived],
            [Established, SynReceived],
            [Established, Established],
            [Established, Established],
            [Established, Established],
            [FinWait1, CloseWait],
            [FinWait2, CloseWait],
            [TimeWait, LastAck],
            [TimeWait, Closed],
        ]
    );
    conn.finish(NS, 9, &Config::default(), true);
    assert_eq!(conn.active_closer, Some(Role::Client));
    assert_eq!(conn.outcome(), Outcome::Closed);
    assert!(conn.anomalies.is_empty(), "{:?}", kinds(&conn));
    // Still within 2×MSL at the end of the capture: TIME_WAIT stays.
    assert_eq!(conn.state(), [TimeWait, Closed]);
}

#[test]
fn fin_and_ack_of_ours_in_one_segment_goes_from_fin_wait_1_to_time_wait() {
    let (_, st, outs) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        (false, F | A, 501, 101, 0, 0),
        (true, F | A, 101, 502, 0, 0),
        (false, A, 502, 102, 0, 0),
    ]);
    assert_eq!(st[3], [CloseWait, FinWait1]);
    assert_eq!(st[4], [LastAck, TimeWait]);
    let t: Vec<_> = outs[4]
        .transitions
        .iter()
        .map(|t| (t.endpoint, t.from, t.to))
        .collect();
    assert_eq!(
        t,
        [
            (Role::Client, CloseWait, LastAck),
            (Role::Server, FinWait1, TimeWait)
        ]
    );
    assert_eq!(st[5], [Closed, TimeWait]);
}

#[test]
fn crossing_fins_are_a_simultaneous_close_and_both_end_in_time_wait() {
    // The client's FIN is captured first; the server's FIN acknowledges
    // only up to the client's FIN: it was sent before that FIN arrived.
    let (mut conn, st, outs) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        (true, F | A, 101, 501, 0, 1),
        (false, F | A, 501, 101, 0, 1),
        (true, A, 102, 502, 0, 1),
        (false, A, 502, 102, 0, 1),
    ]);
    assert_eq!(
        st[3],
        [FinWait1, CloseWait],
        "receipt assumed when captured"
    );
    assert_eq!(
        st[4],
        [Closing, Closing],
        "the server's FIN withdraws that assumption; the client's FIN arrives right after"
    );
    assert!(
        outs[4]
            .transitions
            .iter()
            .any(|t| t.basis == Basis::Revised)
    );
    assert_eq!(st[5], [Closing, TimeWait]);
    assert_eq!(st[6], [TimeWait, TimeWait]);
    conn.finish(NS, 7, &Config::default(), true);
    assert_eq!(kinds(&conn), ["simultaneous-close"]);
    assert_eq!(conn.outcome(), Outcome::Closed);
}

#[test]
fn a_fin_captured_after_the_ack_it_preceded_is_replayed_in_sending_order() {
    // zeek__mysql__tls-13-amazon-rds.pcap frames 29-33: the server's ACK
    // of the client's FIN (seq 3778) is captured before the server's FIN
    // (seq 3777, which does not acknowledge the client's FIN): the FINs
    // crossed, and the server's FIN is later retransmitted.
    let (mut conn, st, outs) = replay(&[
        (true, SY, 1000, 0, 0, 0),
        (false, SY | A, 3000, 1001, 0, 0),
        (true, A, 1001, 3001, 0, 0),
        (true, F | A, 1001, 3001, 0, 1),
        (false, A, 3002, 1002, 0, 1),
        (false, F | A, 3001, 1001, 0, 1),
        (false, F | A, 3001, 1002, 0, 2),
        (true, A, 1002, 3002, 0, 2),
    ]);
    assert_eq!(st[4], [FinWait2, CloseWait]);
    assert_eq!(st[5], [TimeWait, Closing]);
    let server: Vec<_> = outs[5]
        .transitions
        .iter()
        .filter(|t| t.endpoint == Role::Server)
        .map(|t| (t.from, t.to, t.basis))
        .collect();
    assert_eq!(
        server,
        [
            (CloseWait, Established, Basis::Revised),
            (Established, FinWait1, Basis::Sent),
            (FinWait1, Closing, Basis::Received)
        ]
    );
    assert_eq!(st[6], [TimeWait, Closing]);
    assert_eq!(st[7], [TimeWait, TimeWait]);
    conn.finish(2 * NS, 8, &Config::default(), true);
    assert_eq!(kinds(&conn), ["simultaneous-close"]);
}

#[test]
fn an_rst_answering_a_fin_in_fin_wait_2_shows_the_connection_was_gone() {
    // testdata/real/16: the client's orphaned FIN-WAIT-2 timed out; the
    // server's late FIN is answered by <SEQ=SEG.ACK><CTL=RST>.
    let (mut conn, st, outs) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        (true, F | A, 101, 501, 0, 1),
        (false, A, 501, 102, 0, 1),
        (false, F | A, 501, 102, 0, 6),
        (true, R, 102, 0, 0, 6),
    ]);
    assert_eq!(st[5], [TimeWait, LastAck], "receipt assumed");
    assert_eq!(st[6], [Closed, Closed]);
    assert_eq!(
        outs[6].rewrite,
        Some(Rewrite {
            frame: 6,
            endpoint: Role::Client,
            replace: true
        })
    );
    let client: Vec<_> = outs[6]
        .transitions
        .iter()
        .filter(|t| t.endpoint == Role::Client)
        .map(|t| (t.from, t.to, t.basis))
        .collect();
    assert_eq!(
        client,
        [
            (TimeWait, FinWait2, Basis::Revised),
            (FinWait2, Closed, Basis::Inferred)
        ]
    );
    conn.finish(6 * NS, 8, &Config::default(), true);
    let path: Vec<_> = conn
        .lifecycle
        .iter()
        .filter(|t| t.endpoint == Role::Client)
        .map(|t| t.to)
        .collect();
    assert_eq!(path, [SynSent, Established, FinWait1, FinWait2, Closed]);
}

#[test]
fn crossing_syns_are_a_simultaneous_open() {
    let (mut conn, st, _) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY, 500, 0, 0, 0),
        (true, SY | A, 100, 501, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
    ]);
    assert_eq!(st[0], [SynSent, SynReceived]);
    // The server's bare SYN shows it had not received the client's: it
    // opened actively (LISTEN→SYN_SENT), then the client's SYN arrives.
    assert_eq!(st[1], [SynReceived, SynReceived]);
    assert_eq!(st[2], [SynReceived, Established]);
    assert_eq!(st[3], [Established, Established]);
    conn.finish(0, 4, &Config::default(), true);
    assert_eq!(kinds(&conn), ["simultaneous-open"]);
}

#[test]
fn rst_in_syn_received_returns_a_passive_endpoint_to_listen() {
    let (mut conn, st, _) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, R, 101, 0, 0, 0),
    ]);
    assert_eq!(st[2], [Closed, Listen]);
    conn.finish(0, 3, &Config::default(), true);
    assert_eq!(kinds(&conn), ["rst-in-syn-received"]);
    assert_eq!(conn.outcome(), Outcome::Reset);
}

#[test]
fn a_closed_port_refuses() {
    let (mut conn, st, _) = replay(&[(true, SY, 100, 0, 0, 0), (false, R | A, 0, 101, 0, 0)]);
    assert_eq!(st, [[SynSent, SynReceived], [Closed, Closed]]);
    conn.finish(0, 2, &Config::default(), true);
    assert_eq!(conn.outcome(), Outcome::Refused);
}

#[test]
fn lost_final_ack_is_answered_again_from_time_wait_and_restarts_the_timer() {
    let (mut conn, st, outs) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        (true, F | A, 101, 501, 0, 10),
        (false, A, 501, 102, 0, 10),
        (false, F | A, 501, 102, 0, 10),
        // the client's final ACK was lost; the server retransmits its FIN
        (false, F | A, 501, 102, 0, 50),
        (true, A, 102, 502, 0, 50),
    ]);
    assert_eq!(st[5], [TimeWait, LastAck]);
    assert_eq!(outs[6].verdict, Verdict::Retransmission);
    assert_eq!(st[6], [TimeWait, LastAck]);
    assert_eq!(st[7], [TimeWait, Closed]);
    // TIME_WAIT restarted at t=50: still there at t=100, gone at t=110.
    assert_eq!(conn.ep[0].timer(), Timer::TimeWait(110 * NS));
    conn.advance_clock(100 * NS, 9, &Config::default());
    assert_eq!(conn.state()[0], TimeWait);
    conn.finish(110 * NS, 10, &Config::default(), true);
    assert_eq!(conn.state(), [Closed, Closed]);
}

#[test]
fn an_rst_not_at_rcv_nxt_only_draws_a_challenge_ack() {
    let (mut conn, st, outs) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        (false, R, 600, 0, 0, 0),
        (false, R, 501, 0, 0, 0),
    ]);
    assert_eq!(outs[3].verdict, Verdict::ChallengeAck);
    assert_eq!(st[3], [Established, Closed]);
    assert_eq!(st[4], [Closed, Closed]);
    conn.finish(0, 5, &Config::default(), true);
    assert_eq!(kinds(&conn), ["unacceptable-segment"]);
}

#[test]
fn joined_mid_stream_on_a_fin() {
    let (mut conn, st, _) = replay(&[
        (false, F | A, 9000, 7000, 5, 0),
        (true, A, 7000, 9006, 0, 0),
    ]);
    assert!(conn.mid_stream && conn.roles_guessed);
    assert_eq!(conn.initial_state, [Established, Established]);
    assert_eq!(st, [[CloseWait, FinWait1], [CloseWait, FinWait2]]);
    conn.finish(0, 2, &Config::default(), true);
    assert_eq!(conn.active_closer, Some(Role::Server));
    assert_eq!(kinds(&conn), ["half-closed", "mid-stream"]);
    assert_eq!(conn.outcome(), Outcome::HalfClosed);
}

#[test]
fn a_syn_ack_first_infers_the_missing_syn() {
    let (conn, st, outs) = replay(&[(false, SY | A, 500, 101, 0, 0), (true, A, 101, 501, 0, 0)]);
    assert!(!conn.roles_guessed);
    assert_eq!(conn.initial_state, [SynSent, Listen]);
    assert_eq!(st, [[Established, SynReceived], [Established, Established]]);
    assert!(
        outs[0]
            .transitions
            .iter()
            .any(|t| t.basis == Basis::Inferred && t.to == SynReceived)
    );
}

#[test]
fn a_fin_after_a_capture_gap_waits_for_the_receivers_acknowledgment() {
    let (_, st, outs) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (false, SY | A, 500, 101, 0, 0),
        (true, A, 101, 501, 0, 0),
        // 1000 bytes from the server were not captured
        (false, F | A, 1501, 101, 0, 0),
        (true, A, 101, 1502, 0, 0),
    ]);
    assert_eq!(outs[3].verdict, Verdict::FinHeld);
    assert_eq!(st[3], [Established, FinWait1]);
    assert_eq!(st[4], [CloseWait, FinWait2]);
}

#[test]
fn unanswered_syn_times_out_after_r2() {
    let cfg = Config::default();
    let (mut conn, st, _) = replay(&[
        (true, SY, 100, 0, 0, 0),
        (true, SY, 100, 0, 0, 1),
        (true, SY, 100, 0, 0, 3),
    ]);
    assert_eq!(st[2], [SynSent, SynReceived]);
    assert_eq!(conn.deadline(&cfg), Some(183 * NS));
    conn.finish(200 * NS, 4, &cfg, true);
    assert_eq!(conn.state(), [Closed, Closed]);
    assert_eq!(conn.outcome(), Outcome::Unanswered);
}

/// `(from_client, flags, seq, ack, len, SACK blocks)`.
type SackSeg = (bool, TcpFlags, u32, u32, u32, &'static [(u32, u32)]);

/// A handshake (client ISN 100, server ISN 500), the server's first
/// `n` segments of 100 bytes from 501, then `rest`.
fn sent(n: u32, rest: &[SackSeg]) -> Vec<SackSeg> {
    let mut v: Vec<SackSeg> = vec![
        (true, SY, 100, 0, 0, &[]),
        (false, SY | A, 500, 101, 0, &[]),
        (true, A, 101, 501, 0, &[]),
    ];
    v.extend((0..n).map(|i| -> SackSeg { (false, A, 501 + 100 * i, 101, 100, &[]) }));
    v.extend_from_slice(rest);
    v
}

/// Replays segments like `replay`, with the SACK blocks given.
fn replay_sack(segs: &[SackSeg]) -> Vec<SegmentOutcome> {
    let cfg = Config::default();
    let mk = |&(c, fl, sq, ak, len, sack): &(bool, TcpFlags, u32, u32, u32, &[(u32, u32)])| {
        let mut s = seg(c, fl, sq, ak, len);
        for (i, b) in sack.iter().enumerate() {
            s.options.sack_blocks[i] = *b;
        }
        s.options.sack_count = sack.len() as u8;
        s
    };
    let mut conn = Connection::new(&mk(&segs[0]), 1, 0, 0);
    segs.iter()
        .enumerate()
        .map(|(i, x)| conn.process(&mk(x), i as u64 + 1, 0, 0, &cfg))
        .collect()
}

#[test]
fn the_receivers_sack_shows_what_it_lacks() {
    // The capture saw the server's three segments 501-601-701-801, but
    // the client's ACK of 601 with SACK 701-801 says 601-701 never
    // reached it (RFC 2018): the retransmission of 601-701 is new data
    // to it, not an old duplicate; afterwards it holds up to 801.
    let o = replay_sack(&sent(
        3,
        &[
            (true, A, 101, 601, 0, &[(701, 801)]),
            (false, A, 601, 101, 100, &[]),
            (false, A, 501, 101, 100, &[]),
            (false, A, 701, 101, 100, &[]),
        ],
    ));
    assert_eq!(o[7].verdict, Verdict::Accepted, "the missing bytes");
    assert_eq!(o[8].verdict, Verdict::OldDuplicate, "acknowledged before");
    assert_eq!(
        o[9].verdict,
        Verdict::OldDuplicate,
        "SACKed and now below RCV.NXT"
    );
    // A D-SACK (a block at or below the ACK, RFC 2883) reports a
    // duplicate, not a hole: nothing is withdrawn.
    let o = replay_sack(&sent(
        2,
        &[
            (true, A, 101, 601, 0, &[(501, 601)]),
            (false, A, 501, 101, 100, &[]),
        ],
    ));
    assert_eq!(o[6].verdict, Verdict::OldDuplicate);
}

#[test]
fn three_duplicate_acks_show_what_the_receiver_lacks() {
    // Without SACK, RFC 5681's third duplicate ACK: the receiver keeps
    // acknowledging 601 while the capture saw 601-901 sent.
    let mut segs = sent(
        4,
        &[
            (true, A, 101, 601, 0, &[]),
            (true, A, 101, 601, 0, &[]),
            (true, A, 101, 601, 0, &[]),
        ],
    );
    // Two duplicates are not yet evidence (reordering, RFC 5681 3.2).
    let o = replay_sack(&[segs.clone(), vec![(false, A, 601, 101, 100, &[])]].concat());
    assert_eq!(o[10].verdict, Verdict::OldDuplicate);
    segs.push((true, A, 101, 601, 0, &[]));
    segs.push((false, A, 601, 101, 100, &[]));
    let o = replay_sack(&segs);
    assert_eq!(o[11].verdict, Verdict::Accepted);
}

/// Header prediction (`predict.rs`) takes the data and acknowledgments
/// between two ESTABLISHED endpoints and nothing else: not the handshake's
/// last ACK (the server is still in SYN-RECEIVED), not a FIN, not a
/// segment the receiver would find unacceptable, not an ACK of data the
/// capture did not show. (Builds with debug assertions, as the tests are,
/// replay every predicted segment in full as well and compare.)
#[test]
fn prediction_takes_in_order_data_and_acks_between_established_endpoints() {
    let cfg = Config::default();
    let script: &[(bool, TcpFlags, u32, u32, u32, bool)] = &[
        (true, SY, 100, 0, 0, false),
        (false, SY | A, 500, 101, 0, false),
        // The handshake's last ACK: the server leaves SYN-RECEIVED.
        (true, A, 101, 501, 0, false),
        (true, A | TcpFlags::PSH, 101, 501, 10, true),
        (false, A, 501, 111, 0, true),
        (false, A, 501, 111, 20, true),
        // Already received: an old duplicate.
        (true, A, 101, 501, 10, false),
        // Acknowledges 5 bytes of the server's the capture never showed.
        (true, A, 111, 526, 0, false),
        (true, A, 111, 526, 0, true),
        (true, F | A, 111, 526, 0, false),
        // The server in CLOSE_WAIT: its data (which acknowledges the FIN)
        // is not predicted any more.
        (false, A, 526, 112, 5, false),
    ];
    let first = seg(true, SY, 100, 0, 0);
    let mut conn = Connection::new(&first, 1, 0, 0);
    let mut out = SegmentOutcome::blank(Direction::ClientToServer);
    for (i, &(c, fl, sq, ak, len, predicted)) in script.iter().enumerate() {
        let s = seg(c, fl, sq, ak, len);
        let x = conn.direction_of(&s).sender();
        assert_eq!(conn.predictable(x, &s), predicted, "segment {}", i + 1);
        conn.process_into(&s, i as u64 + 1, 0, 0, &cfg, &mut out);
    }
    assert_eq!(conn.state(), [FinWait2, CloseWait]);
    assert_eq!(kinds(&conn), ["ack-of-unseen-data"]);
}
