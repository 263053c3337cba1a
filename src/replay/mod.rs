//! The replay of one connection through two endpoint state machines.
//!
//! A [`Connection`] owns the client's and the server's [`Endpoint`]: their
//! RFC 9293 states and the sequence variables the RFC's acceptance tests need
//! (ISN, SND.NXT, RCV.NXT, the FIN's sequence number, the window and its
//! scale). For each captured segment, [`Connection::process`] runs these
//! phases, each a method of its own:
//!
//! 1. timers that the segment's timestamp shows have expired fire
//!    (TIME_WAIT's 2×MSL, the R2 limit on unanswered SYNs: `timers.rs`);
//! 2. the connection's counters, the anomalies the segment shows by itself
//!    (`detect.rs`), its relative sequence numbers;
//! 3. the sender's acknowledgment is read as evidence of what the sender
//!    has received: it confirms, or withdraws, receipts we assumed earlier
//!    (`receipts.rs`), and reveals data the capture missed (`endpoint.rs`);
//! 4. an RST that answers what the sender had just received shows it had
//!    no connection any more;
//! 5. the *send* event is applied to the sender;
//! 6. the receiver judges the segment (RFC 9293 3.10.7, RFC 5961 for RSTs:
//!    `accept.rs`, pure functions of the receiver and the segment) and, if
//!    it would accept it, the *receive* event is applied;
//! 7. the anomalies of the exchange, from the receiver's state before, the
//!    segment, the verdict and the states after (`detect.rs`).
//!
//! The state changes themselves are all in [`crate::state::step`]: every
//! write of an endpoint's state goes through it (`Endpoint::take`).
//! Incarnations of a 4-tuple (`reuse.rs`) and the outcome types
//! (`outcome.rs`) complete the folder. The replay knows nothing of
//! demultiplexing, threads or the other tools' analyses: the
//! [`crate::tracker`] hands it the segments of one connection, and runs
//! Wireshark's and Zeek's analyzers beside it ([`crate::analyzers`]).
//!
//! By default the receiver is assumed to have got what the capture saw. Every
//! transition records the basis it rests on, and a receipt of a SYN or FIN is
//! held as *unconfirmed* until the receiver's own acknowledgment covers it. If
//! the receiver instead sends a segment whose acknowledgment shows the SYN or
//! FIN had not arrived (the two crossed on the wire: simultaneous open or
//! close), the assumed receipt is withdrawn and the SYN or FIN is delivered
//! later, when the receiver acknowledges it or the next segment reaches it.

use crate::anomaly::{Anomaly, AnomalyKind};
use crate::decode::{ChecksumStatus, TcpFlags, TcpSegment};
use crate::state::{self, Basis, Event, Origin, TcpState, Withdrawal};
use crate::vocab::SeqNumber;
use arrayvec::ArrayVec;
use serde::Serialize;
use std::net::IpAddr;

pub use crate::vocab::{Direction, Role};

mod accept;
mod detect;
mod endpoint;
mod frozen;
mod outcome;
mod predict;
mod receipts;
mod reuse;
#[cfg(test)]
mod tests;
mod timers;

pub use endpoint::Endpoint;
pub use outcome::{
    MAX_CONNECTION_ANOMALIES, MAX_SEGMENT_ANOMALIES, MAX_TRANSITIONS, Outcome, Rewrite,
    SegmentOutcome, Transition, Verdict, stays,
};
use receipts::{Assumed, Control, Receipt, Sent, Unconfirmed};
pub use reuse::ReuseInfo;
pub use timers::Timer;

/// Replay parameters.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// Maximum segment lifetime in nanoseconds; TIME_WAIT lasts 2×MSL.
    pub msl_ns: i64,
    /// R2 for SYN segments (RFC 9293 3.8.3: at least 3 minutes).
    pub syn_timeout_ns: i64,
    /// An endpoint still in CLOSE_WAIT or LAST_ACK this long before the end
    /// of the capture is reported as stuck there.
    pub stuck_ns: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            msl_ns: 30 * NS,
            syn_timeout_ns: 180 * NS,
            stuck_ns: NS,
        }
    }
}

impl Config {
    /// How long TIME_WAIT lasts: 2×MSL.
    pub fn time_wait_ns(&self) -> i64 {
        self.msl_ns.saturating_mul(2)
    }
    /// How long a connection whose endpoints are both closed is kept, so that
    /// late segments (retransmissions, stray RSTs) are still attributed to it:
    /// 2×MSL, the time a segment may still be in the network.
    pub fn linger_ns(&self) -> i64 {
        self.time_wait_ns()
    }
}

const NS: i64 = 1_000_000_000;

/// Timer transitions held for the next segment's row.
const MAX_PENDING: usize = 4;
/// Anomalies held for the next segment's row.
const MAX_PENDING_ANOMALIES: usize = 2;

/// A connection: one incarnation of a 4-tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// `[client, server]`.
    pub ep: [Endpoint; 2],
    /// Roles decided from the ports, not from a SYN or SYN,ACK.
    pub roles_guessed: bool,
    /// No SYN or SYN,ACK began the capture of this connection.
    pub mid_stream: bool,
    /// The states the endpoints were in when the capture first saw them.
    pub initial_state: [TcpState; 2],
    /// The frame of its first segment.
    pub first_frame: u64,
    /// The frame of its last segment.
    pub last_frame: u64,
    /// Its first segment's timestamp, as [`crate::clock::trusted`] counts it.
    pub first_ts: i64,
    /// Its last segment's timestamp, as [`crate::clock::trusted`] counts it.
    pub last_ts: i64,
    /// The capture clock (see [`crate::engine`]) at the last segment: timers
    /// and the linger period are judged against it, never against a raw
    /// timestamp, so that one absurd timestamp cannot expire everything.
    pub last_clock: i64,
    /// Segments sent by client and server.
    pub packets: [u64; 2],
    /// Payload bytes sent by client and server (from IP lengths).
    pub payload_bytes: [u64; 2],
    /// The side whose FIN came first.
    pub active_closer: Option<Role>,
    /// The frame of an ICMP hard error that ended the client's connection
    /// attempt (RFC 1122 4.2.3.9), if one did.
    pub icmp_refused: Option<u64>,
    /// Who sent the RST that was accepted first, if any, and its frame.
    pub reset_by: Option<Role>,
    /// The frame of that RST.
    pub reset_frame: Option<u64>,
    /// Kinds already reported that are reported once per connection.
    once: u64,
    /// The handshake's round-trip time seen from the capture point: the
    /// client's SYN to its ACK of the SYN,ACK, when neither was
    /// retransmitted (Karn's rule, RFC 6298 3).
    pub rtt_ns: Option<i64>,
    /// Half-open: the frame the peer went away, and segments sent since.
    half_open: Option<(u64, u64)>,
    /// Every anomaly flagged (up to [`MAX_CONNECTION_ANOMALIES`]), in the order found.
    pub anomalies: Vec<Anomaly>,
    /// Anomalies not kept because of [`MAX_CONNECTION_ANOMALIES`].
    pub anomalies_dropped: u64,
    /// Every transition of either endpoint, in order.
    pub lifecycle: Vec<Transition>,
    /// Receipts assumed from the capture and later withdrawn (a `revised`
    /// step on a timeline row): what they had moved is not in `lifecycle`.
    pub revisions: u32,
    /// Timer transitions applied between segments, reported on the next row.
    /// (At most [`MAX_PENDING`]; a Vec, empty and unallocated most of the
    /// time, rather than an inline buffer in every connection.)
    pending: Vec<Transition>,
    /// Anomalies found before the next segment, reported on its row (at
    /// most [`MAX_PENDING_ANOMALIES`]).
    pending_anomalies: Vec<Anomaly>,
    /// Whether `finish` ran.
    finished: bool,
}

/// A window assumed when the receiver's is unknown (no segment from it yet,
/// or its scale was never negotiated in the capture): as large as TCP allows
/// (RFC 7323 2.3: 2^30), so that no segment is wrongly found unacceptable.
const UNKNOWN_WINDOW: u32 = 1 << 30;

/// Picks the server by the ports when no SYN says: a well-known port (below
/// 1024) against an ephemeral one, else the lower port; on a tie, the
/// destination.
fn server_is_destination(seg: &TcpSegment) -> bool {
    let (s, d) = (seg.src_port, seg.dst_port);
    match (s < 1024, d < 1024) {
        (false, true) => true,
        (true, false) => false,
        _ => d <= s,
    }
}

/// One segment as the phases of [`Connection::process`] read it: the
/// decoded segment, where and when it is replayed, and its control bits as
/// the replay counts them.
#[derive(Clone, Copy)]
struct Seg<'a> {
    seg: &'a TcpSegment,
    frame: u64,
    /// The time deadlines start from (see `Connection::account`).
    ts: i64,
    syn: bool,
    ack: bool,
    /// A FIN the replay counts: not on a SYN (see `syn_fin`); it may be on
    /// an RST.
    fin: bool,
    rst: bool,
    /// A SYN carrying a FIN, not an RST.
    syn_fin: bool,
    /// The sequence space the segment occupies.
    seg_len: u32,
    /// The sequence number its FIN would have.
    fin_seq: SeqNumber,
}

impl<'a> Seg<'a> {
    fn new(seg: &'a TcpSegment, frame: u64, ts: i64) -> Seg<'a> {
        let f = seg.flags;
        let rst = f.contains(TcpFlags::RST);
        let syn = f.contains(TcpFlags::SYN);
        let ack = f.contains(TcpFlags::ACK);
        // A SYN carrying a FIN (invalid-flags) is sent by no transition of
        // RFC 9293 (3.10.4: a CLOSE in SYN-SENT deletes the TCB, one in
        // SYN-RECEIVED sends its FIN after the handshake), only by packet
        // generators: it moves no state of its sender. Real receivers never
        // process its FIN: Linux discards the whole segment in LISTEN
        // (tcp_rcv_state_process) and, in SYN-SENT, takes a SYN,ACK's SYN
        // and ACK but not its FIN (RCV.NXT = SEG.SEQ + 1, only URG of the
        // sixth step); FreeBSD drops it whole with net.inet.tcp.drop_synfin,
        // and otherwise strips the FIN of a segment carrying SYN in the
        // handshake states. Here: dropped in LISTEN, its FIN ignored
        // elsewhere.
        let syn_fin = syn && !rst && f.contains(TcpFlags::FIN);
        let fin = f.contains(TcpFlags::FIN) && !syn_fin;
        // The sequence space the segment occupies (RFC 9293 3.4: SYN and FIN
        // each take one number; an RST takes none).
        let seg_len = if rst {
            seg.payload_len
        } else {
            seg.payload_len + u32::from(syn) + u32::from(fin)
        };
        let fin_seq = seg.seg_seq().add(u32::from(syn)).add(seg.payload_len);

        Seg {
            seg,
            frame,
            ts,
            syn,
            ack,
            fin,
            rst,
            syn_fin,
            seg_len,
            fin_seq,
        }
    }
}

impl Connection {
    /// Starts a connection at its first captured segment. Roles come from a
    /// SYN (its sender is the client) or a SYN,ACK (its sender is the
    /// server), otherwise from the ports (marked as guessed).
    pub fn new(seg: &TcpSegment, frame: u64, ts: i64, now: i64) -> Connection {
        // Its times: see `crate::clock::trusted`.
        let at = crate::clock::trusted(ts, now);
        let now = now.max(ts);
        let f = seg.flags;
        let syn = f.contains(TcpFlags::SYN) && !f.contains(TcpFlags::RST);
        let ack = f.contains(TcpFlags::ACK);
        let (client_is_src, guessed) = if syn && !ack {
            (true, false)
        } else if syn {
            (false, false)
        } else {
            (server_is_destination(seg), true)
        };
        let (c, s) = if client_is_src {
            ((seg.src, seg.src_port), (seg.dst, seg.dst_port))
        } else {
            ((seg.dst, seg.dst_port), (seg.src, seg.src_port))
        };
        // Initial states: what the first segment implies. A SYN: client
        // CLOSED, server LISTEN. A SYN,ACK: the client's SYN was not captured,
        // so the client is in SYN_SENT (the server's SYN,ACK itself moves the
        // server out of LISTEN). Anything else: joined mid-stream, both
        // ESTABLISHED (a FIN or RST then moves them on as usual).
        let (cs, ss) = if syn && !ack {
            (TcpState::Closed, TcpState::Listen)
        } else if syn {
            (TcpState::SynSent, TcpState::Listen)
        } else {
            (TcpState::Established, TcpState::Established)
        };
        let mid_stream = !syn;
        let mut conn = Connection {
            ep: [
                Endpoint::new(c.0, c.1, cs, Origin::Active),
                Endpoint::new(s.0, s.1, ss, Origin::Passive),
            ],
            roles_guessed: guessed,
            mid_stream,
            initial_state: [cs, ss],
            first_frame: frame,
            last_frame: frame,
            first_ts: at,
            last_ts: at,
            last_clock: now,
            packets: [0; 2],
            payload_bytes: [0; 2],
            active_closer: None,
            icmp_refused: None,
            reset_by: None,
            reset_frame: None,
            once: 0,
            rtt_ns: None,
            half_open: None,
            anomalies: Vec::new(),
            anomalies_dropped: 0,
            lifecycle: Vec::new(),
            revisions: 0,
            pending: Vec::new(),
            pending_anomalies: Vec::new(),
            finished: false,
        };
        if syn && !ack {
            conn.ep[0].isn_hint = Some(seg.seg_seq());
        }
        if mid_stream {
            conn.flag(
                Anomaly::new(AnomalyKind::MidStream, frame, None, [0, 0]),
                None,
            );
        }
        conn
    }

    /// The direction of a segment of this connection.
    pub fn direction_of(&self, seg: &TcpSegment) -> Direction {
        let c = &self.ep[Role::Client.index()];
        if seg.src == c.addr && seg.src_port == c.port {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    /// The states of client and server.
    pub fn state(&self) -> [TcpState; 2] {
        [self.ep[0].state, self.ep[1].state]
    }

    /// Whether `finish` has run.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn flag(&mut self, a: Anomaly, out: Option<&mut SegmentOutcome>) {
        if let Some(out) = out {
            let _ = out.anomalies.try_push(a);
        }
        if self.anomalies.len() < MAX_CONNECTION_ANOMALIES {
            self.anomalies.push(a);
        } else {
            self.anomalies_dropped += 1;
        }
    }

    /// Flags `a` unless its kind was already reported on this connection.
    fn flag_once(&mut self, a: Anomaly, out: Option<&mut SegmentOutcome>) {
        let bit = 1u64 << (a.kind as u32);
        if self.once & bit == 0 {
            self.once |= bit;
            self.flag(a, out);
        }
    }

    fn record(&mut self, t: Transition, out: &mut ArrayVec<Transition, MAX_TRANSITIONS>) {
        self.lifecycle.push(t);
        let _ = out.try_push(t);
    }

    /// Applies one event to one endpoint through the state machine and
    /// records the transition(s). Returns the state machine's step.
    #[allow(clippy::too_many_arguments)]
    fn apply(
        &mut self,
        role: Role,
        event: Event,
        basis: Basis,
        frame: u64,
        ts: i64,
        cfg: &Config,
        out: &mut ArrayVec<Transition, MAX_TRANSITIONS>,
    ) -> state::Step {
        let from = self.ep[role.index()].state;
        let step = self.ep[role.index()].take(event);
        let basis = if step.inferred {
            Basis::Inferred
        } else {
            basis
        };
        let t = |from, to| Transition {
            endpoint: role,
            from,
            to,
            basis,
            rule: step.rule,
            frame,
            ts,
        };
        if let Some(via) = step.via {
            self.record(t(from, via), out);
            self.record(t(via, step.to), out);
        } else if step.to != from {
            self.record(t(from, step.to), out);
        }
        let ep = &mut self.ep[role.index()];
        if step.to != from {
            ep.state_since = ts;
            ep.state_frame = frame;
            if step.to == TcpState::TimeWait {
                ep.time_wait_since = ts;
            }
        }
        ep.arm_on_step(from, event, step.to, ts, cfg);
        step
    }

    /// An ICMP error quoting a segment of this connection (`seg`, the
    /// quoted header) at `frame`. Nothing is replayed: the endpoints'
    /// states do not change, as the capture cannot show whether the sender
    /// took the error as a reason to give up. The row shows the states at
    /// that frame (timers that expired by then included); Wireshark's
    /// verdicts on the quote are the analyzers' (see
    /// [`crate::analyzers::Analyzers::quote`]).
    pub fn icmp_error(
        &mut self,
        seg: &TcpSegment,
        error: (bool, u8, u8),
        frame: u64,
        now: i64,
        cfg: &Config,
    ) -> SegmentOutcome {
        let dir = self.direction_of(seg);
        let x = dir.sender();
        let (xi, yi) = (x.index(), x.peer().index());
        let mut out = SegmentOutcome::blank(dir);
        self.begin_row(dir, frame, now, cfg, &mut out);
        out.rel_seq = seg
            .seg_seq()
            .since(self.ep[xi].base.unwrap_or(seg.seg_seq()));
        if seg.flags.contains(TcpFlags::ACK) {
            out.rel_ack = seg
                .seg_ack()
                .since(self.ep[yi].base.unwrap_or(seg.seg_ack()));
        }
        // What the error does to the quoted segment's sender, which it
        // reached (RFC 1122 4.2.3.9): a hard error about its SYN in
        // SYN-SENT aborts the attempt; any other error only tells the user.
        let (v6, icmp_type, code) = error;
        let values = [u64::from(icmp_type) | (u64::from(v6) << 8), u64::from(code)];
        let syn = seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK);
        let about_our_syn = syn && self.ep[xi].isn.is_none_or(|isn| isn == seg.seg_seq());
        if crate::decode::icmp::is_hard_error(v6, icmp_type, code)
            && about_our_syn
            && self.ep[xi].state == TcpState::SynSent
        {
            let mut buf: ArrayVec<Transition, MAX_TRANSITIONS> = ArrayVec::new();
            self.apply(
                x,
                Event::IcmpHardError,
                Basis::Received,
                frame,
                now,
                cfg,
                &mut buf,
            );
            for t in buf {
                let _ = out.transitions.try_push(t);
            }
            self.icmp_refused.get_or_insert(frame);
            let a = Anomaly::new(AnomalyKind::IcmpUnreachable, frame, Some(x), values);
            self.flag(a, Some(&mut out));
        } else {
            let a = Anomaly::new(AnomalyKind::IcmpError, frame, Some(x), values);
            self.flag(a, Some(&mut out));
        }
        out.state = self.state();
        out.uncertain = self.uncertain();
        self.last_frame = self.last_frame.max(frame);
        out
    }

    /// Replays one segment of this connection. `ts` is its timestamp, `now`
    /// the capture clock at its frame (timers are judged against `now`).
    /// [`Connection::process_into`] does the same into an outcome the caller
    /// keeps (no copy of it: what the tracker does for every segment).
    pub fn process(
        &mut self,
        seg: &TcpSegment,
        frame: u64,
        ts: i64,
        now: i64,
        cfg: &Config,
    ) -> SegmentOutcome {
        let mut out = SegmentOutcome::blank(self.direction_of(seg));
        self.process_into(seg, frame, ts, now, cfg, &mut out);
        out
    }

    /// Replays one segment of this connection into `out` (overwritten).
    ///
    /// The phases, in the order a segment acts (see the module docs):
    pub fn process_into(
        &mut self,
        seg: &TcpSegment,
        frame: u64,
        ts: i64,
        now: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        let dir = self.direction_of(seg);
        let x = dir.sender();
        // 1. Timers this segment's timestamp shows have expired (and any
        //    that expired at earlier frames of other connections); the
        //    states before the segment.
        self.begin_row(dir, frame, now, cfg, out);
        // The segment nearly every connection is made of, both endpoints
        // ESTABLISHED: phases 2 to 7 reduced to what they change (see
        // `predict.rs`). Checked against the whole replay in builds with
        // debug assertions (the tests, the fuzz targets).
        if self.predictable(x, seg) {
            #[cfg(debug_assertions)]
            let shadow = (self.clone(), out.clone());
            self.predicted(x, seg, frame, ts, now, cfg, out);
            #[cfg(debug_assertions)]
            {
                let (mut whole, mut full) = shadow;
                whole.replay(x, seg, frame, ts, now, cfg, &mut full);
                assert!(
                    whole == *self && full == *out,
                    "header prediction differs from the whole replay at frame {frame}:\n{whole:?}\n{full:?}\n{self:?}\n{out:?}"
                );
            }
            return;
        }
        self.replay(x, seg, frame, ts, now, cfg, out);
    }

    /// Phases 2 to 7 of [`Connection::process_into`], after the row is
    /// begun.
    #[allow(clippy::too_many_arguments)]
    fn replay(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        frame: u64,
        ts: i64,
        now: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        let before = out.state;
        // 2. The connection's counters and clock; what the segment shows by
        //    itself; its relative numbers. A bad checksum stops here.
        let ts = self.account(x, seg, frame, ts, now);
        let s = Seg::new(seg, frame, ts);
        self.detect_sent(x, seg, frame, ts, out);
        self.number(x, &s, out);
        if seg.checksum == ChecksumStatus::Bad {
            out.verdict = Verdict::BadChecksum;
            return;
        }
        // 3. What the sender's own segment shows it has received. Receipts
        //    it withdraws are delivered again right after its send event:
        //    the capture saw them earlier, so they arrive next.
        let redeliver = self.read_ack(x, &s, cfg, out);
        // 4. An RST that answers what the sender received: it had no
        //    connection any more.
        self.read_rst_answer(x, &s, cfg, out);
        // 5. The send event, and the receipts to deliver again.
        self.send(x, &s, redeliver, cfg, out);
        // 6. The receiver: whether it would accept the segment, and the
        //    receive event.
        self.ready_receiver(x.peer(), &s);
        let verdict = self.receive(x.peer(), &s, cfg, out);
        // 7. Anomalies: the states before, the segment, the verdict, the
        //    states after.
        self.detect_received(x, &s, before[x.peer().index()], verdict, out);
        out.state = self.state();
        out.uncertain = self.uncertain();
    }

    /// Phase 2: the connection's counters and clock. Returns the time
    /// deadlines start from: the later of the segment's timestamp and the
    /// clock (an outlier ahead postpones them, one behind cannot expire them
    /// at once; expiry is always judged against the clock).
    fn account(&mut self, x: Role, seg: &TcpSegment, frame: u64, ts: i64, now: i64) -> i64 {
        let xi = x.index();
        self.last_frame = frame;
        self.last_ts = self.last_ts.max(crate::clock::trusted(ts, now));
        let ts = ts.max(now);
        self.last_clock = self.last_clock.max(ts);
        self.packets[xi] += 1;
        self.payload_bytes[xi] += u64::from(seg.payload_len);
        ts
    }

    /// Phase 2: relative numbering (Wireshark's tcp.seq/tcp.ack): the ISN,
    /// or one less than the first number seen when the SYN was not captured.
    fn number(&mut self, x: Role, s: &Seg, out: &mut SegmentOutcome) {
        let (xi, yi) = (x.index(), x.peer().index());
        let Seg { seg, syn, ack, .. } = *s;
        if self.ep[xi].base.is_none() {
            self.ep[xi].base = Some(if syn {
                seg.seg_seq()
            } else {
                seg.seg_seq().sub(1)
            });
        }
        if syn && ack && self.ep[xi].base.is_some_and(|b| b != seg.seg_seq()) {
            // Wireshark: a SYN,ACK with a new sequence number resets the
            // base of its direction (no new stream).
            self.ep[xi].base = Some(seg.seg_seq());
        }
        if ack && self.ep[yi].base.is_none() {
            self.ep[yi].base = Some(seg.seg_ack().sub(1));
        }
        out.rel_seq = seg
            .seg_seq()
            .since(self.ep[xi].base.unwrap_or(seg.seg_seq()));
        if ack {
            out.rel_ack = seg
                .seg_ack()
                .since(self.ep[yi].base.unwrap_or(seg.seg_ack()));
        }
    }

    /// Phase 3: what the sender's acknowledgment shows it has received (or
    /// lacks), and the receipts it withdraws, to deliver again after its
    /// send event.
    fn read_ack(
        &mut self,
        x: Role,
        s: &Seg,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) -> ArrayVec<(Control, u64), 2> {
        let (xi, yi) = (x.index(), x.peer().index());
        let Seg {
            seg,
            frame,
            ts,
            syn,
            ack,
            fin,
            rst,
            ..
        } = *s;
        let mut redeliver: ArrayVec<(Control, u64), 2> = ArrayVec::new();
        if ack {
            self.ack_evidence(x, seg.seg_ack(), frame, ts, cfg, out, &mut redeliver);
            if !rst {
                self.lack_evidence(x, seg);
            }
        } else if syn && !rst {
            // A bare SYN shows its sender had not received the peer's SYN
            // (it would have answered with SYN,ACK).
            self.withdraw(x, Control::Syn, frame, out, &mut redeliver);
        }

        // A FIN whose acknowledgment does not cover the peer's FIN, from an
        // endpoint that already acknowledged that FIN in a segment captured
        // earlier: the two were captured out of the order they were sent
        // (the FIN left first). Replay them in sending order.
        if fin && ack && !syn && !rst && self.ep[xi].fin.is_none() && self.ep[xi].peer_fin_processed
        {
            if let (Some(snap), Some((fs, _))) = (self.ep[xi].fin_receipt, self.ep[yi].fin) {
                if seg.seg_ack().le(fs) {
                    self.revert(x, snap, frame, out);
                    let _ = redeliver.try_push((Control::Fin, snap.frame));
                }
            }
        }
        redeliver
    }

    /// Phase 4: an RST <SEQ=SEG.ACK> without ACK that answers what the
    /// sender had just received: the sender had no connection any more.
    fn read_rst_answer(&mut self, x: Role, s: &Seg, cfg: &Config, out: &mut SegmentOutcome) {
        let y = x.peer();
        let (xi, yi) = (x.index(), y.index());
        let Seg {
            seg,
            frame,
            ack,
            rst,
            ..
        } = *s;
        // An RST <SEQ=SEG.ACK> without ACK, answering the FIN or data the
        // sender just received while we believed it in FIN-WAIT-2 or
        // TIME-WAIT: a live connection would have acknowledged it. Only an
        // endpoint without a connection answers so (3.10.7.1): it had
        // deleted the connection before that segment arrived (a local
        // timeout, e.g. Linux's limit on orphaned FIN-WAIT-2).
        let closed_side = matches!(
            self.ep[xi].state,
            TcpState::FinWait1
                | TcpState::FinWait2
                | TcpState::Closing
                | TcpState::LastAck
                | TcpState::TimeWait
        );
        let answers = rst && !ack && self.ep[xi].snd_nxt == Some(seg.seg_seq());
        let mut aborted_on_data = false;
        if answers && closed_side && self.ep[xi].fin.is_some() {
            if let Some((k, k_ts)) = self.ep[xi].data_after_close {
                aborted_on_data = true;
                // New data reached it after its CLOSE: the RST is the abort
                // RFC 1122 4.2.2.13 prescribes, when that data arrived.
                if let Some(r) = self.ep[xi].last_receipt.filter(|r| r.frame > k) {
                    let ex = &mut self.ep[xi];
                    ex.take(Event::Withdrawn {
                        to: r.state_before,
                        why: Withdrawal::AbortedOnData,
                    });
                    ex.rcv_nxt = r.rcv_nxt_before;
                    ex.disarm_time_wait();
                }
                self.lifecycle.retain(|t| !(t.endpoint == x && t.frame > k));
                self.apply(
                    x,
                    Event::DataAfterClose,
                    Basis::Inferred,
                    k,
                    k_ts,
                    cfg,
                    &mut out.transitions,
                );
                out.rewrite = Some(Rewrite {
                    frame: k,
                    endpoint: x,
                    replace: false,
                });
            }
        }

        // An RST <SEQ=SEG.ACK> answering the peer's FIN: the sender no longer
        // held the connection (no TIME_WAIT to acknowledge it from).
        if let Some((fin_frame, fin_ack)) = self.ep[xi].fin_in.take() {
            if rst
                && !ack
                && seg.seg_seq() == fin_ack
                && self.reset_frame.is_none()
                && !aborted_on_data
            {
                let a = Anomaly::new(
                    AnomalyKind::FinAnsweredByRst,
                    frame,
                    Some(x),
                    [fin_frame, 0],
                );
                self.flag(a, Some(out));
            }
        }

        // An RST <SEQ=SEG.ACK> without ACK answering data or a FIN that a
        // live connection would have acknowledged: only an endpoint without a
        // connection answers so (3.10.7.1; real stacks send their own aborts
        // with the ACK bit). It had lost the connection before that segment
        // arrived, without the capture showing how (Linux's limit on
        // orphaned FIN-WAIT-2, an abort whose RST was lost, a restart).
        if answers && !aborted_on_data && self.ep[xi].state.is_synchronized() {
            if let Some(r) = self.ep[xi].last_receipt.filter(|r| r.wants_ack) {
                self.restore(x, r, frame, Withdrawal::NoConnection, out);
                let ex = &mut self.ep[xi];
                if ex.fin_receipt.is_some_and(|u| u.frame == r.frame) {
                    ex.peer_fin_processed = false;
                    ex.fin_receipt = None;
                }
                self.lifecycle
                    .retain(|t| !(t.endpoint == x && t.frame >= r.frame));
                self.apply(
                    x,
                    Event::Vanished,
                    Basis::Inferred,
                    r.frame,
                    self.ep[xi].last_receipt_ts,
                    cfg,
                    &mut out.transitions,
                );
                // The peer sent data to an endpoint without a connection.
                let peer_open = matches!(
                    self.ep[yi].state,
                    TcpState::Established | TcpState::CloseWait
                );
                if peer_open && r.carried_data {
                    let a = Anomaly::new(AnomalyKind::HalfOpen, r.frame, Some(y), [r.frame, 1]);
                    self.half_open = Some((r.frame, 1));
                    self.flag_once(a, Some(out));
                }
            }
        }
    }

    /// Phase 5: the send event, then the receipts withdrawn in phase 3,
    /// delivered again.
    fn send(
        &mut self,
        x: Role,
        s: &Seg,
        redeliver: ArrayVec<(Control, u64), 2>,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        let Seg {
            seg,
            frame,
            ts,
            syn,
            ack,
            fin,
            rst,
            syn_fin,
            ..
        } = *s;
        let event = if rst {
            // An RST with SEQ = the ACK of a segment the sender found
            // unacceptable is the RFC's reply to it, not an abort.
            let reply = matches!(self.ep[xi].state, TcpState::SynSent | TcpState::SynReceived)
                && self.ep[xi].last_bad_ack == Some(seg.seg_seq());
            Event::SendRst { reply }
        } else if syn && !ack {
            Event::SendSyn
        } else if syn {
            Event::SendSynAck
        } else if fin {
            Event::SendFin
        } else {
            Event::SendAck
        };
        self.update_sender(x, s, cfg);
        let before = self.ep[xi].state;
        let to = if syn_fin {
            before // not its TCP's segment: no send event (see `syn_fin`)
        } else {
            self.apply(x, event, Basis::Sent, frame, ts, cfg, &mut out.transitions)
                .to
        };
        for (c, orig) in redeliver {
            let before = (self.ep[xi].state, self.ep[xi].origin, self.ep[xi].rcv_nxt);
            self.deliver(x, c, frame, orig, ts, cfg, out);
            // Delivered again, the receipt is again an assumption: the
            // endpoint's next segment may show it had still not arrived.
            let ack_end = match c {
                Control::Syn => self.ep[yi].isn.map(|s| s.add(1)),
                Control::Fin => self.ep[yi].fin.map(|(s, _)| s.add(1)),
            };
            if let Some(ack_end) = ack_end {
                let u = Unconfirmed {
                    control: c,
                    ack_end,
                    state_before: before.0,
                    origin_before: before.1,
                    rcv_nxt_before: before.2,
                    frame: orig,
                };
                let ex = &mut self.ep[xi];
                let _ = ex.unconfirmed.try_push(u);
                if c == Control::Fin {
                    ex.fin_receipt = Some(u);
                }
            }
        }
        if event == Event::SendFin && self.active_closer.is_none() {
            self.active_closer = Some(x);
        }
        if rst && self.reset_by.is_none() && to == TcpState::Closed && before != TcpState::Closed {
            self.reset_by = Some(x);
            self.reset_frame = Some(frame);
        }
    }

    /// Phase 6, before the judgement: what the segment changes of the
    /// receiver whatever it makes of it.
    fn ready_receiver(&mut self, y: Role, s: &Seg) {
        let yi = y.index();
        let Seg {
            seg,
            frame,
            ts,
            syn,
            ack,
            rst,
            ..
        } = *s;
        // New data reaching an endpoint that has sent its FIN.
        if seg.payload_len > 0
            && !rst
            && self.ep[yi].fin.is_some()
            && self.ep[yi].data_after_close.is_none()
        {
            let new = self.ep[yi]
                .rcv_nxt
                .is_none_or(|r| seg.seg_seq().add(seg.payload_len).gt(r));
            if new && self.ep[yi].state != TcpState::Closed {
                self.ep[yi].data_after_close = Some((frame, ts));
            }
        }

        // Its connection gone, a new SYN reaches the listener behind it: a new
        // server-side connection starts from LISTEN (3.10.7.2).
        if syn && !ack && !rst && self.ep[yi].state == TcpState::Closed && self.ep[yi].listener {
            let old = &self.ep[yi];
            let mut fresh = Endpoint::new(old.addr, old.port, old.state, Origin::Passive);
            fresh.take(Event::Relisten);
            fresh.listener = true;
            fresh.base = old.base;
            self.ep[yi] = fresh;
            self.reset_by = None;
            self.reset_frame = None;
        }
    }

    /// Phase 6: whether the receiver would accept the segment (see
    /// [`accept::judge`]) and, if so, the receive event and what follows
    /// from it. Returns the verdict.
    fn receive(&mut self, y: Role, s: &Seg, cfg: &Config, out: &mut SegmentOutcome) -> Verdict {
        let (xi, yi) = (y.peer().index(), y.index());
        let Seg {
            seg,
            frame,
            ts,
            syn,
            ack,
            fin,
            rst,
            seg_len,
            ..
        } = *s;
        // A SYN with FIN is discarded in LISTEN: see `Seg::syn_fin` and
        // `accept`.
        let (verdict, recv) = accept::judge(&self.ep[yi], &self.ep[xi], seg);
        out.verdict = verdict;
        if verdict == Verdict::BadAck {
            self.ep[yi].last_bad_ack = Some(seg.seg_ack());
        }
        if verdict.processed() {
            self.ep[yi].last_receipt = Some(Receipt {
                frame,
                state_before: self.ep[yi].state,
                origin_before: self.ep[yi].origin,
                rcv_nxt_before: self.ep[yi].rcv_nxt,
                wants_ack: fin || seg.payload_len > 0,
                carried_data: seg.payload_len > 0,
            });
            self.ep[yi].last_receipt_ts = ts;
        }
        if let Some(ev) = recv {
            let snapshot = (self.ep[yi].state, self.ep[yi].origin, self.ep[yi].rcv_nxt);
            let step = self.apply(y, ev, Basis::Received, frame, ts, cfg, &mut out.transitions);
            let took = match ev {
                Event::RecvSyn | Event::RecvSynAck { .. } => Some(Sent::Syn),
                Event::RecvFin { .. } => Some(Sent::Fin),
                _ => None,
            };
            if let (Some(control), true) = (took, step.to != snapshot.0) {
                self.ep[yi].assumed = Some(Assumed {
                    control,
                    ack_end: seg.seg_seq().add(seg_len),
                    frame,
                    state_before: snapshot.0,
                });
            }
            self.after_receive(y, ev, snapshot, step.to, seg, frame, out);
            if fin
                && matches!(ev, Event::RecvSynAck { acks_our_syn: true })
                && step.to == TcpState::Established
            {
                // 3.10.7.3: "if there are other controls or text in the
                // segment, continue processing at the sixth step": the FIN.
                let acks_our_fin = self.ep[yi].fin.is_some_and(|(fs, _)| seg.seg_ack().gt(fs));
                let ev = Event::RecvFin {
                    acks_our_syn: true,
                    acks_our_fin,
                };
                let snapshot = (self.ep[yi].state, self.ep[yi].origin, self.ep[yi].rcv_nxt);
                let step = self.apply(y, ev, Basis::Received, frame, ts, cfg, &mut out.transitions);
                self.after_receive(y, ev, snapshot, step.to, seg, frame, out);
            }
        }
        self.update_receiver(y, seg, verdict, syn && !rst, rst, seg_len);
        if syn && !ack && !rst && self.ep[yi].state == TcpState::SynReceived {
            // A repeated SYN keeps the passive handshake alive (it is
            // answered by a repeated SYN,ACK): R2 restarts.
            self.ep[yi].arm_handshake(ts, cfg);
        }

        if fin && !rst {
            self.ep[yi].fin_in = Some((frame, seg.seg_ack()));
        }
        verdict
    }

    /// How the connection ended, or where it stood when the capture ended.
    pub fn outcome(&self) -> Outcome {
        let [c, s] = &self.ep;
        // The SYN answered by an ICMP hard error (port or protocol
        // unreachable: connect() returns ECONNREFUSED), and nothing else.
        if self.icmp_refused.is_some() && self.reset_by.is_none() && self.packets[1] == 0 {
            return Outcome::Refused;
        }
        if let Some(by) = self.reset_by {
            // The client's SYN answered by the server's RST, no SYN,ACK.
            return if by == Role::Server
                && c.isn.is_some()
                && s.isn.is_none()
                && self.packets[1] <= 2
            {
                Outcome::Refused
            } else {
                Outcome::Reset
            };
        }
        match (c.fin.is_some(), s.fin.is_some()) {
            (true, true) if c.fin_acked && s.fin_acked => return Outcome::Closed,
            (true, true) => return Outcome::Closing,
            (true, false) | (false, true) => return Outcome::HalfClosed,
            (false, false) => {}
        }
        if c.isn.is_some() && self.packets[1] == 0 && u64::from(c.syn_count) == self.packets[0] {
            return Outcome::Unanswered;
        }
        if !(c.state.is_synchronized() && s.state.is_synchronized()) {
            return Outcome::Incomplete;
        }
        Outcome::Open
    }
}
