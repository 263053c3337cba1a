//! Zeek's verdict from segment sequences. Every expectation is reasoned from
//! Zeek's documented rules (cited per test: the conn_state table, the history
//! letters and their repeat rules), not taken from our output.

use super::state::syn_then_reset;
use super::*;
use std::net::Ipv4Addr;

const A: (u8, u16) = (1, 40000);
const B: (u8, u16) = (2, 80);
const ISN_A: u32 = 1000;
const ISN_B: u32 = 5000;

/// Flags from tcpdump-like letters: S F R P and `.` for ACK.
fn flags(s: &str) -> TcpFlags {
    let mut f = TcpFlags::empty();
    for c in s.chars() {
        f |= match c {
            'S' => TcpFlags::SYN,
            'F' => TcpFlags::FIN,
            'R' => TcpFlags::RST,
            'P' => TcpFlags::PSH,
            '.' => TcpFlags::ACK,
            _ => panic!("flag {c}"),
        };
    }
    f
}

/// A segment from `from` to the other host.
fn seg(from: (u8, u16), f: &str, seq: u32, ack: u32, len: u32) -> TcpSegment {
    let to = if from == A { B } else { A };
    let host = |(h, port): (u8, u16)| (IpAddr::V4(Ipv4Addr::new(10, 0, 0, h)), port);
    TcpSegment::new(host(from), host(to), flags(f), seq, ack, len)
}

/// Feeds segments at `ms` milliseconds.
fn run(segs: &[(u64, TcpSegment)]) -> Zeek {
    let mut z = Zeek::new();
    for (i, (ms, s)) in segs.iter().enumerate() {
        let ts = *ms as i64 * 1_000_000;
        z.segment(s, i as u64 + 1, ts, ts);
    }
    z
}

fn only(z: &Zeek) -> &ZeekConn {
    let rows: Vec<&ZeekConn> = z.rows().collect();
    assert_eq!(rows.len(), 1, "one Zeek connection");
    rows[0]
}

fn verdict(segs: &[(u64, TcpSegment)]) -> (String, &'static str) {
    let z = run(segs);
    let c = only(&z);
    (c.history().to_string(), c.conn_state().name())
}

/// SYN, SYN,ACK, ACK from A.
fn handshake() -> Vec<(u64, TcpSegment)> {
    vec![
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (2, seg(A, ".", ISN_A + 1, ISN_B + 1, 0)),
    ]
}

#[test]
fn a_normal_connection_is_sf_with_one_letter_per_event() {
    // S: SYN without ACK; h: the responder's SYN,ACK; A: pure ACK; D/d:
    // payload; a: the responder's pure ACK; F/f: FINs. Both sides CLOSED
    // (each sent a FIN) -> SF.
    let mut p = handshake();
    p.extend([
        (3, seg(A, "P.", ISN_A + 1, ISN_B + 1, 100)),
        (4, seg(B, ".", ISN_B + 1, ISN_A + 101, 0)),
        (5, seg(B, "P.", ISN_B + 1, ISN_A + 101, 200)),
        (6, seg(A, "F.", ISN_A + 101, ISN_B + 201, 0)),
        (7, seg(B, "F.", ISN_B + 201, ISN_A + 102, 0)),
        (8, seg(A, ".", ISN_A + 102, ISN_B + 202, 0)),
    ]);
    assert_eq!(verdict(&p), ("ShADadFf".into(), "SF"));
    let z = run(&p);
    let c = only(&z);
    // Sizes from sequence space, less SYN and FIN.
    assert_eq!((c.orig_bytes(), c.resp_bytes()), (100, 200));
    assert_eq!(c.orig_packets(), (5, 5 * 40 + 100));
    assert_eq!(c.resp_packets(), (4, 4 * 40 + 200));
    // The last ACK came after both sides closed: not in the duration.
    assert_eq!(c.duration_ns(), 7_000_000);
    assert_eq!(c.missed_bytes(), 0);
}

#[test]
fn ack_and_data_letters_are_recorded_once_per_direction() {
    // a, d, i, q: at most once per direction.
    let mut p = handshake();
    for i in 0..5 {
        p.push((
            3 + i,
            seg(A, "P.", ISN_A + 1 + 10 * i as u32, ISN_B + 1, 10),
        ));
        p.push((3 + i, seg(B, ".", ISN_B + 1, ISN_A + 11 + 10 * i as u32, 0)));
    }
    assert_eq!(verdict(&p), ("ShADa".into(), "S1"));
}

#[test]
fn a_repeated_syn_or_syn_ack_on_the_same_connection_adds_nothing() {
    // s, h: again only when the relative sequence number differs. A
    // retransmitted SYN (same ISN: not a reuse) is at the same number. A
    // SYN,ACK with a new ISN re-bases its sender's sequence space (Zeek's
    // endpoint initialisation on a SYN), so it too is at relative 0.
    let p = vec![
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1000, seg(A, "S", ISN_A, 0, 0)),
        (1001, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (1002, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (1003, seg(B, "S.", ISN_B + 77, ISN_A + 1, 0)),
    ];
    assert_eq!(verdict(&p), ("Sh".into(), "S1"));
}

#[test]
fn a_retransmitted_fin_adds_nothing_but_a_fin_further_on_does() {
    let mut p = handshake();
    p.extend([
        (3, seg(A, "F.", ISN_A + 1, ISN_B + 1, 0)),
        (4, seg(A, "F.", ISN_A + 1, ISN_B + 1, 0)),
    ]);
    assert_eq!(verdict(&p), ("ShAF".into(), "S2"));
    // A FIN whose position (after its data) differs is a new letter.
    let mut p = handshake();
    p.extend([
        (3, seg(A, "F.", ISN_A + 1, ISN_B + 1, 0)),
        (4, seg(A, "FP.", ISN_A + 1, ISN_B + 1, 10)),
    ]);
    assert_eq!(verdict(&p).0, "ShAFF");
}

#[test]
fn rst_letters_repeat_with_a_new_sequence_number() {
    // A connection known only from RSTs: the first creates it (orig RESET,
    // resp INACTIVE, history not S...R) -> OTH. A second RST at another
    // sequence number is a second R; the same number again is nothing.
    let p = vec![
        (0, seg(A, "R", 100, 0, 0)),
        (1, seg(A, "R", 100, 0, 0)),
        (2, seg(A, "R", 300, 0, 0)),
    ];
    assert_eq!(verdict(&p), ("RR".into(), "OTH"));
}

#[test]
fn retransmissions_are_counted_logarithmically() {
    // t: payload that does not extend the highest sequence number seen;
    // the letter at the 1st, 10th, 100th occurrence.
    let mut p = handshake();
    p.push((3, seg(A, "P.", ISN_A + 1, ISN_B + 1, 50)));
    for i in 0..12 {
        p.push((4 + i, seg(A, "P.", ISN_A + 1, ISN_B + 1, 50)));
    }
    assert_eq!(verdict(&p).0, "ShADTT");
    let mut p = handshake();
    p.push((3, seg(B, "P.", ISN_B + 1, ISN_A + 1, 50)));
    for i in 0..9 {
        p.push((4 + i, seg(B, "P.", ISN_B + 1, ISN_A + 1, 50)));
    }
    assert_eq!(verdict(&p).0, "ShAdt", "9 retransmissions: one letter");
}

#[test]
fn a_zero_window_is_w_but_not_on_an_rst() {
    // w: a zero window, unless the segment is an RST (or the peer closed).
    let mut p = handshake();
    let mut z0 = seg(B, ".", ISN_B + 1, ISN_A + 1, 0);
    z0.window = 0;
    p.push((3, z0));
    let mut r0 = seg(A, "R.", ISN_A + 1, ISN_B + 1, 0);
    r0.window = 0;
    p.push((4, r0));
    // RST from the originator of an established connection -> RSTO.
    assert_eq!(verdict(&p), ("ShAawR".into(), "RSTO"));
}

#[test]
fn a_bad_checksum_is_c_and_the_segment_is_otherwise_ignored() {
    // c: checksum failure (logarithmic); the segment changes nothing else,
    // so a lone bad SYN leaves both sides INACTIVE -> OTH, no packets.
    let mut s = seg(A, "S", ISN_A, 0, 0);
    s.checksum = ChecksumStatus::Bad;
    let z = run(&[(0, s)]);
    let c = only(&z);
    assert_eq!((c.history(), c.conn_state().name()), ("C", "OTH"));
    assert_eq!((c.orig_packets(), c.resp_packets()), ((0, 0), (0, 0)));
    // Without verification (like zeek -C) the same SYN is an attempt: S0.
    let z = run(&[(0, seg(A, "S", ISN_A, 0, 0))]);
    assert_eq!(only(&z).conn_state(), ConnState::S0);
    // The responder's is lower case.
    let mut p = handshake();
    let mut bad = seg(B, "P.", ISN_B + 1, ISN_A + 1, 10);
    bad.checksum = ChecksumStatus::Bad;
    p.push((3, bad));
    assert_eq!(verdict(&p), ("ShAc".into(), "S1"));
}

#[test]
fn a_missed_syn_flips_the_roles() {
    // ^: the connection began with a SYN,ACK (its sender taken as
    // originator, history H) and goes on with an ACK: the SYN was missed;
    // the roles swap and the SYN,ACK becomes the responder's h.
    let p = vec![
        (0, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (1, seg(A, ".", ISN_A + 1, ISN_B + 1, 0)),
        (2, seg(A, "P.", ISN_A + 1, ISN_B + 1, 20)),
        (3, seg(A, "F.", ISN_A + 21, ISN_B + 1, 0)),
        (4, seg(B, "F.", ISN_B + 1, ISN_A + 22, 0)),
    ];
    // Before the FINs: Zeek takes the SYN,ACK's sender as the responder
    // (its port is a likely server port), so UpdateInactiveState makes it
    // ESTABLISHED on its SYN,ACK; the originator's first segment, an ACK,
    // then meets "ACK and peer ESTABLISHED" and is ESTABLISHED too rather
    // than PARTIAL: both ESTABLISHED, S1 (not OTH).
    let z = run(&p[..3]);
    let c = only(&z);
    assert_eq!(
        c.states(),
        (EndpointState::Established, EndpointState::Established)
    );
    assert_eq!((c.history(), c.conn_state()), ("^hAD", ConnState::S1));
    let z = run(&p);
    let c = only(&z);
    assert_eq!(c.history(), "^hADFf");
    assert_eq!(c.orig(), (IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), A.1));
    // Both sides sent a FIN: SF even without the SYN.
    assert_eq!(c.conn_state(), ConnState::SF);
    // The SYN,ACK moved to the responder's counters with its sender.
    assert_eq!(c.orig_packets().0, 3);
    assert_eq!(c.resp_packets().0, 2);
}

#[test]
fn a_syn_ack_answered_by_an_rst_is_not_flipped() {
    // Only an ACK or data after the lone H flips (stealth scans draw RSTs).
    // The responder's RST while the originator is SYN_ACK_SENT -> REJ.
    let p = vec![
        (0, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (1, seg(A, "R", ISN_A + 1, 0, 0)),
    ];
    assert_eq!(verdict(&p), ("Hr".into(), "REJ"));
}

#[test]
fn conn_states_of_attempts() {
    // S0: SYN_SENT originator, INACTIVE responder.
    assert_eq!(
        verdict(&[(0, seg(A, "S", ISN_A, 0, 0))]),
        ("S".into(), "S0")
    );
    // REJ: the responder resets while the originator is SYN_SENT.
    let p = [
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1, seg(B, "R.", 0, ISN_A + 1, 0)),
    ];
    assert_eq!(verdict(&p), ("Sr".into(), "REJ"));
    // RSTOS0: SYN then the originator's own RST, no SYN,ACK: history
    // matches ^?S[^HAFGIQ]*R.*
    let p = [
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1, seg(A, "R", ISN_A + 1, 0, 0)),
    ];
    assert_eq!(verdict(&p), ("SR".into(), "RSTOS0"));
    // SH: SYN then FIN from the originator, nothing back.
    let p = [
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1, seg(A, "F", ISN_A + 1, 0, 0)),
    ];
    assert_eq!(verdict(&p), ("SF".into(), "SH"));
    // An ACK of the SYN before any SYN,ACK keeps the responder INACTIVE;
    // the originator's F between S and R makes it OTH rather than RSTOS0.
    let p = [
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1, seg(B, ".", 7, ISN_A + 1, 0)),
        (2, seg(A, "F", ISN_A + 1, 0, 0)),
        (3, seg(A, "R", ISN_A + 2, 0, 0)),
    ];
    assert_eq!(verdict(&p), ("SaFR".into(), "OTH"));
}

#[test]
fn conn_states_of_established_connections() {
    // S1: both ESTABLISHED.
    assert_eq!(verdict(&handshake()), ("ShA".into(), "S1"));
    // S2: the originator's FIN, no reply; S3: the responder's.
    let mut p = handshake();
    p.push((3, seg(A, "F.", ISN_A + 1, ISN_B + 1, 0)));
    assert_eq!(verdict(&p).1, "S2");
    let mut p = handshake();
    p.push((3, seg(B, "F.", ISN_B + 1, ISN_A + 1, 0)));
    assert_eq!(verdict(&p), ("ShAf".into(), "S3"));
    // RSTR: the responder aborts.
    let mut p = handshake();
    p.push((3, seg(B, "R.", ISN_B + 1, ISN_A + 1, 0)));
    assert_eq!(verdict(&p), ("ShAr".into(), "RSTR"));
    // FIN+RST is I (once per side); the RST wins: RSTO.
    let mut p = handshake();
    p.push((3, seg(A, "FR.", ISN_A + 1, ISN_B + 1, 0)));
    assert_eq!(verdict(&p), ("ShAI".into(), "RSTO"));
}

#[test]
fn conn_states_without_a_handshake() {
    // OTH: midstream traffic, both PARTIAL.
    let p = [
        (0, seg(A, "P.", 100, 900, 10)),
        (1, seg(B, "P.", 900, 110, 10)),
    ];
    assert_eq!(verdict(&p), ("Dd".into(), "OTH"));
    // RSTRH: the responder resets, the originator never sent a SYN.
    let p = [
        (0, seg(A, "P.", 100, 900, 10)),
        (1, seg(B, "R.", 900, 110, 0)),
    ];
    assert_eq!(verdict(&p), ("Dr".into(), "RSTRH"));
    // SHR: the responder's SYN,ACK and FIN, nothing from the originator
    // (the responder's own ACK after its SYN,ACK flips the roles).
    let p = [
        (0, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (1, seg(B, ".", ISN_B + 1, ISN_A + 1, 0)),
        (2, seg(B, "F.", ISN_B + 1, ISN_A + 1, 0)),
    ];
    assert_eq!(verdict(&p), ("^haf".into(), "SHR"));
    // Q: SYN+FIN (a multi-flag segment): SYN_SENT then CLOSED -> SH.
    assert_eq!(
        verdict(&[(0, seg(A, "SF", ISN_A, 0, 0))]),
        ("Q".into(), "SH")
    );
}

#[test]
fn an_rst_after_both_fins_keeps_sf() {
    // Once both sides closed, a later RST changes no state (r is recorded).
    let mut p = handshake();
    p.extend([
        (3, seg(A, "F.", ISN_A + 1, ISN_B + 1, 0)),
        (4, seg(B, "F.", ISN_B + 1, ISN_A + 2, 0)),
        (5, seg(B, "R", ISN_B + 2, 0, 0)),
        (6, seg(B, "R", ISN_B + 2, 0, 0)),
    ]);
    assert_eq!(verdict(&p), ("ShAFfr".into(), "SF"));
}

#[test]
fn acknowledged_bytes_never_captured_are_a_gap() {
    // g: the originator acknowledges 300 bytes of which 100 were captured;
    // both sides established -> a clean gap: letter and missed_bytes 200.
    let mut p = handshake();
    p.extend([
        (3, seg(B, "P.", ISN_B + 1, ISN_A + 1, 100)),
        (4, seg(A, ".", ISN_A + 1, ISN_B + 301, 0)),
    ]);
    let z = run(&p);
    let c = only(&z);
    assert_eq!(c.history(), "ShAdg");
    assert_eq!(c.missed_bytes(), 200);
    // The responder's size counts what was acknowledged.
    assert_eq!(c.resp_bytes(), 300);
}

#[test]
fn gaps_of_a_partial_connection_are_not_counted() {
    // Not both established (both are PARTIAL): no letter and, with
    // report_gaps_for_partial off, no missed bytes. B sent first: it is
    // the originator (D), A's pure ACK is the responder's (a).
    let p = [
        (0, seg(B, "P.", 900, 100, 10)),
        (1, seg(A, ".", 100, 1500, 0)),
    ];
    let z = run(&p);
    let c = only(&z);
    assert_eq!((c.history(), c.missed_bytes()), ("Da", 0));
}

#[test]
fn an_unanswered_syn_retransmitted_after_five_seconds_is_a_new_connection() {
    // tcp_attempt_delay (5 s): an attempt still unanswered is removed; a
    // later SYN starts a new connection (two S0 rows). Within 5 s it is one.
    let z = run(&[
        (0, seg(A, "S", ISN_A, 0, 0)),
        (1000, seg(A, "S", ISN_A, 0, 0)),
        (7000, seg(A, "S", ISN_A, 0, 0)),
    ]);
    let rows: Vec<_> = z.rows().collect();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!((r.history(), r.conn_state()), ("S", ConnState::S0));
    }
    assert_eq!(rows[0].orig_packets().0, 2);
    assert_eq!(rows[1].start_ns(), 7_000_000_000);
}

#[test]
fn a_closed_connection_is_removed_five_seconds_later() {
    // tcp_close_delay (5 s) after both sides closed: a late ACK is a new,
    // midstream connection (A, OTH).
    let mut p = handshake();
    p.extend([
        (3, seg(A, "F.", ISN_A + 1, ISN_B + 1, 0)),
        (4, seg(B, "F.", ISN_B + 1, ISN_A + 2, 0)),
        (10_000, seg(A, ".", ISN_A + 2, ISN_B + 2, 0)),
    ]);
    let z = run(&p);
    let rows: Vec<_> = z.rows().collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].history(), rows[0].conn_state()),
        ("ShAFf", ConnState::SF)
    );
    assert_eq!(
        (rows[1].history(), rows[1].conn_state()),
        ("A", ConnState::OTH)
    );
}

#[test]
fn a_syn_on_a_closed_connection_starts_a_new_one() {
    // IsReuse: after a close any SYN begins a new connection.
    let mut p = handshake();
    p.extend([
        (3, seg(A, "R.", ISN_A + 1, ISN_B + 1, 0)),
        (4, seg(A, "S", ISN_A + 999, 0, 0)),
    ]);
    let z = run(&p);
    let v: Vec<_> = z
        .rows()
        .map(|r| (r.history().to_string(), r.conn_state()))
        .collect();
    assert_eq!(
        v,
        [
            ("ShAR".to_string(), ConnState::RSTO),
            ("S".to_string(), ConnState::S0)
        ]
    );
}

#[test]
fn a_long_idle_connection_is_split_by_the_inactivity_timeout() {
    // tcp_inactivity_timeout (5 min) once established.
    let mut p = handshake();
    p.push((400_000, seg(A, "P.", ISN_A + 1, ISN_B + 1, 5)));
    let z = run(&p);
    let v: Vec<_> = z.rows().map(|r| r.history().to_string()).collect();
    assert_eq!(v, ["ShA", "D"]);
}

#[test]
fn the_rstos0_pattern() {
    assert!(syn_then_reset("SR"));
    assert!(syn_then_reset("^SdR"));
    assert!(syn_then_reset("SaRF"), "anything after the R");
    assert!(!syn_then_reset("SFR"), "an originator F before the R");
    assert!(!syn_then_reset("R"));
    assert!(syn_then_reset("ShR"), "the responder's h is allowed");
    assert!(!syn_then_reset("ShAR"), "the originator's A is not");
}

#[test]
fn a_syn_captured_after_its_syn_ack_flips_the_roles_there() {
    // The SYN,ACK's sender was taken as originator (H); the SYN that it
    // answers arrives next (same ISN as the SYN,ACK acknowledged): not a
    // reuse; the roles are swapped at that point (s, then ^) and both sides
    // are established.
    let p = [
        (0, seg(B, "S.", ISN_B, ISN_A + 1, 0)),
        (1, seg(A, "S", ISN_A, 0, 0)),
        (2, seg(A, ".", ISN_A + 1, ISN_B + 1, 0)),
    ];
    let z = run(&p);
    let c = only(&z);
    assert_eq!((c.history(), c.conn_state()), ("Hs^A", ConnState::S1));
    assert_eq!(c.orig().1, A.1);
    // The SYN is counted for the role its sender had when it arrived.
    assert_eq!((c.orig_packets().0, c.resp_packets().0), (1, 2));
}

#[test]
fn absurd_timestamps_neither_hang_nor_split() {
    // The SYN,ACK stamped at the end of time while the capture clock stays
    // put (an outlier): nothing expires, one connection.
    let mut z = Zeek::new();
    for (i, (ms, s)) in handshake().iter().enumerate() {
        let now = *ms as i64 * 1_000_000;
        let ts = if i == 1 { i64::MAX } else { now };
        z.segment(s, i as u64 + 1, ts, now);
    }
    assert_eq!(only(&z).history(), "ShA");
    // Every timestamp saturated, clock included: deadlines there never come.
    let mut z = Zeek::new();
    for (i, (_, s)) in handshake().iter().enumerate() {
        z.segment(s, i as u64 + 1, i64::MAX, i64::MAX);
    }
    assert_eq!(only(&z).conn_state(), ConnState::S1);
}
