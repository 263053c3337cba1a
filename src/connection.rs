//! The replay of one connection through two endpoint state machines.
//!
//! A [`Connection`] owns the client's and the server's [`Endpoint`]: their
//! RFC 9293 states and the sequence variables the RFC's acceptance tests need
//! (ISN, SND.NXT, RCV.NXT, the FIN's sequence number, the window and its
//! scale). For each captured segment, [`Connection::process`]
//!
//! 1. lets timers fire that the segment's timestamp shows have expired
//!    (TIME_WAIT's 2×MSL, the R2 limit on unanswered SYNs);
//! 2. reads the sender's acknowledgment as evidence of what the sender has
//!    received: it confirms, or withdraws, receipts we assumed earlier, and
//!    reveals data the capture missed;
//! 3. applies the *send* event to the sender;
//! 4. judges whether the receiver would accept the segment (RFC 9293 3.10.7,
//!    RFC 5961 for RSTs) and, if so, applies the *receive* event.
//!
//! The state changes themselves are all in [`crate::state::step`].
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
use crate::state::{self, Basis, Event, Origin, TcpState};
use arrayvec::ArrayVec;
use serde::Serialize;
use std::net::IpAddr;

/// Which end of the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The endpoint that sent the first SYN (the active opener).
    Client,
    /// The endpoint that answered: the passive opener (or guessed from the ports).
    Server,
}

impl Role {
    /// 0 for the client, 1 for the server (the index in `[client, server]` pairs).
    pub const fn index(self) -> usize {
        self as usize
    }
    /// The other end.
    pub const fn peer(self) -> Role {
        match self {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        }
    }
    /// `client` or `server`.
    pub const fn name(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Server => "server",
        }
    }
}

/// The direction of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Direction {
    #[serde(rename = "c2s")]
    /// From the client to the server.
    ClientToServer,
    #[serde(rename = "s2c")]
    /// From the server to the client.
    ServerToClient,
}

impl Direction {
    /// The endpoint that sent a segment going this way.
    pub const fn sender(self) -> Role {
        match self {
            Direction::ClientToServer => Role::Client,
            Direction::ServerToClient => Role::Server,
        }
    }
    /// `c2s` or `s2c`.
    pub const fn name(self) -> &'static str {
        match self {
            Direction::ClientToServer => "c2s",
            Direction::ServerToClient => "s2c",
        }
    }
}

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

/// One state change of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// The endpoint that changed state.
    pub endpoint: Role,
    /// The state before.
    pub from: TcpState,
    /// The state after.
    pub to: TcpState,
    /// What it rests on: the segment sent or received, an inference, a timer.
    pub basis: Basis,
    /// The RFC rule it applies.
    pub rule: &'static str,
    /// The frame at which the change happened (for timers: the first frame
    /// whose timestamp showed the timer had expired).
    pub frame: u64,
    /// When it happened (capture time, ns): the timestamp of `frame`, and for
    /// a timer the moment it expired (which `frame` only revealed).
    pub ts: i64,
}

/// What the receiver made of a segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Acceptable; processed.
    Accepted,
    /// A retransmission of the SYN or FIN the receiver already has; only its
    /// control bit and acknowledgment are processed (RFC 9293 3.10.7.4:
    /// TIME-WAIT's "acknowledge it, and restart the 2 MSL timeout", Figure 7).
    Retransmission,
    /// Entirely old: already received. Answered by an ACK, dropped.
    OldDuplicate,
    /// Outside the receive window. Answered by an ACK, dropped.
    OutOfWindow,
    /// An RST in the window but not at RCV.NXT: answered by a challenge ACK
    /// (RFC 5961 3.2), dropped.
    ChallengeAck,
    /// An RST outside the window: silently dropped.
    RstOutOfWindow,
    /// An ACK that does not acknowledge our SYN in SYN-SENT or SYN-RECEIVED:
    /// answered by an RST, dropped.
    BadAck,
    /// The receiver has no connection (CLOSED, or LISTEN and not a SYN).
    NoConnection,
    /// Dropped without reply (e.g. no ACK bit, an RST without ACK in SYN-SENT).
    Dropped,
    /// Acceptable, but a gap precedes its FIN: the FIN is held until the
    /// missing data arrives (RFC 9293 3.10.7.4: segments are processed in
    /// sequence).
    FinHeld,
    /// The checksum is wrong (known only with `--verify-checksums`): the
    /// receiver discards it (RFC 9293 3.1, MUST-2/MUST-3), and as its fields
    /// cannot be trusted, it is no evidence of what its sender did either.
    BadChecksum,
}

impl Verdict {
    /// The name printed everywhere (`old-duplicate`, `challenge-ack`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Retransmission => "retransmission",
            Verdict::OldDuplicate => "old-duplicate",
            Verdict::OutOfWindow => "out-of-window",
            Verdict::ChallengeAck => "challenge-ack",
            Verdict::RstOutOfWindow => "rst-out-of-window",
            Verdict::BadAck => "bad-ack",
            Verdict::NoConnection => "no-connection",
            Verdict::Dropped => "dropped",
            Verdict::FinHeld => "fin-held",
            Verdict::BadChecksum => "bad-checksum",
        }
    }

    /// Whether the receiver processed anything of the segment.
    pub const fn processed(self) -> bool {
        matches!(
            self,
            Verdict::Accepted | Verdict::Retransmission | Verdict::FinHeld
        )
    }
}

/// Up to this many transitions are reported per segment (a segment can move
/// both endpoints, with timer expiries and withdrawn receipts before).
pub const MAX_TRANSITIONS: usize = 8;
/// Up to this many anomalies are reported per segment.
pub const MAX_SEGMENT_ANOMALIES: usize = 4;
/// Anomalies kept per connection; further ones are counted only.
pub const MAX_CONNECTION_ANOMALIES: usize = 256;

/// The result of replaying one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentOutcome {
    /// Which way it went.
    pub direction: Direction,
    /// Sequence number relative to the sender's base (Wireshark's `tcp.seq`).
    pub rel_seq: u32,
    /// Acknowledgment number relative to the receiver's base (`tcp.ack`); 0
    /// without the ACK flag.
    pub rel_ack: u32,
    /// States of the client and the server after the segment.
    pub state: [TcpState; 2],
    /// The transitions it caused (timers that expired before it first).
    pub transitions: ArrayVec<Transition, MAX_TRANSITIONS>,
    /// What the receiver made of it.
    pub verdict: Verdict,
    /// The anomalies that show at this segment.
    pub anomalies: ArrayVec<Anomaly, MAX_SEGMENT_ANOMALIES>,
    /// Wireshark's `tcp.analysis` verdicts for the segment.
    pub analysis: crate::wireshark::Verdicts,
    /// Set when this segment withdrew a receipt assumed at an earlier frame:
    /// the rows from that frame to this one showed `endpoint` in a state it
    /// never was in (see [`Rewrite`]).
    pub rewrite: Option<Rewrite>,
    /// For each endpoint (client, server) whose state after the segment is
    /// uncertain (see [`Connection::uncertain`]), the state it would be in
    /// had the receipt it rests on not happened.
    pub uncertain: [Option<TcpState>; 2],
}

/// A withdrawn receipt. The endpoint's transitions on this segment (other
/// than the `Revised` one) are what really happened when the earlier frame
/// arrived; a timeline that still holds that row moves them there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rewrite {
    /// The frame whose receipt was withdrawn (or revised).
    pub frame: u64,
    /// The endpoint whose receipt it was.
    pub endpoint: Role,
    /// Whether the endpoint's transitions on that row are replaced (the
    /// receipt never happened as assumed) or added to (it did, and more
    /// followed).
    pub replace: bool,
}

/// The previous incarnation of a reused 4-tuple (see [`Connection::reuse_info`]).
#[derive(Clone, Debug)]
pub struct ReuseInfo {
    /// The new SYN's receiver in the previous incarnation, when it was still
    /// synchronized (and not in TIME-WAIT): its connection, not a new one,
    /// receives the SYN (RFC 9293 3.5.2 Figure 9; RFC 5961 4.2).
    pub carry: Option<Endpoint>,
    /// The frame of its last segment.
    pub last_frame: u64,
    /// Time since its last segment.
    pub idle_ms: u64,
    /// The endpoint (address, port) still in TIME_WAIT, and for how long.
    pub time_wait: Option<((IpAddr, u16), u64)>,
    /// SND.NXT of each endpoint, by (address, port).
    pub snd_nxt: [((IpAddr, u16), Option<u32>); 2],
}

/// What an endpoint was before it received a segment from its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Receipt {
    frame: u64,
    state_before: TcpState,
    origin_before: Origin,
    rcv_nxt_before: Option<u32>,
    /// Whether the segment carried a FIN or data (a live connection would
    /// acknowledge it).
    wants_ack: bool,
    /// Whether it carried data.
    carried_data: bool,
}

/// A receipt assumed but not yet confirmed by the receiver's acknowledgment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Unconfirmed {
    control: Control,
    /// The acknowledgment that confirms it (SYN or FIN sequence number + 1).
    ack_end: u32,
    state_before: TcpState,
    origin_before: Origin,
    rcv_nxt_before: Option<u32>,
    /// The frame whose receipt was assumed.
    frame: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Control {
    Syn,
    Fin,
}

/// What a receipt took in (a SYN or SYN,ACK; a FIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    Syn,
    Fin,
}

/// A receipt that moved an endpoint, not yet confirmed by its own
/// acknowledgment (see [`Connection::uncertain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Assumed {
    control: Sent,
    /// The acknowledgment that confirms it.
    ack_end: u32,
    frame: u64,
    state_before: TcpState,
}

/// One endpoint: its state and sequence variables.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// Its address.
    pub addr: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its RFC 9293 state.
    pub state: TcpState,
    /// How it began: as the active or the passive opener, or joined mid-stream.
    pub origin: Origin,
    // ---- as a sender: its own sequence space ----
    /// Base for relative sequence numbers: the ISN, or (joined mid-stream)
    /// one less than the first sequence number seen, as Wireshark does.
    pub base: Option<u32>,
    /// Initial send sequence number, from its SYN.
    pub isn: Option<u32>,
    /// The sequence number of the SYN that created the connection (known
    /// before the SYN is replayed).
    isn_hint: Option<u32>,
    /// One past the highest sequence number it has sent (SND.NXT), as seen or
    /// as its peer's acknowledgments reveal.
    pub snd_nxt: Option<u32>,
    /// Sequence number of its FIN and the frame that first carried it.
    pub fin: Option<(u32, u64)>,
    /// Frame of its last FIN transmission.
    pub last_fin_frame: u64,
    /// When its FIN was first sent (capture clock).
    first_fin_ts: i64,
    /// Whether its FIN has been acknowledged (ACK of FIN seq + 1).
    pub fin_acked: bool,
    /// Frame of its first SYN or SYN,ACK, and of its last transmission.
    pub syn_frame: Option<u64>,
    /// The frame of its last SYN (or SYN,ACK) transmission.
    pub last_syn_frame: u64,
    /// Whether its SYN has been acknowledged.
    pub syn_acked: bool,
    /// Window scale shift it offered on its SYN.
    pub wscale_offered: Option<u8>,
    /// Its receive window (RCV.WND) in sequence space, from its last segment:
    /// scaled when both SYNs negotiated a scale (RFC 7323 2.2), unknown when
    /// a SYN was not captured.
    pub rcv_wnd: u32,
    /// Whether any segment of it was seen.
    pub seen: bool,
    // ---- as a receiver: the peer's sequence space ----
    /// RCV.NXT: the next in-order sequence number it expects.
    pub rcv_nxt: Option<u32>,
    /// Whether it has processed the peer's FIN.
    pub peer_fin_processed: bool,
    /// The peer's FIN it holds behind a gap, waiting for the missing data.
    held_fin: bool,
    /// Assumed receipts awaiting confirmation (SYN, FIN).
    unconfirmed: ArrayVec<Unconfirmed, 2>,
    /// The state before it processed the peer's FIN, kept after confirmation
    /// in case its own FIN, sent earlier, is captured later.
    fin_receipt: Option<Unconfirmed>,
    /// The last segment it received from the peer, and when.
    last_receipt: Option<Receipt>,
    last_receipt_ts: i64,
    /// Its SYN (or SYN,ACK) transmissions, first and last times.
    pub syn_count: u32,
    first_syn_ts: i64,
    last_syn_ts: i64,
    /// When it entered its current state (capture clock) and at which frame.
    pub state_since: i64,
    /// The frame at which it entered its current state.
    pub state_frame: u64,
    /// The highest acknowledgment it has sent.
    max_ack_sent: Option<u32>,
    /// Its last pure acknowledgment (ACK, window) and how many times in a
    /// row it sent it: RFC 5681's duplicate ACKs.
    last_pure_ack: Option<(u32, u16)>,
    dup_acks: u8,
    /// Blocks of the peer's data it reported holding above RCV.NXT (its last
    /// SACK option, RFC 2018): RCV.NXT jumps over them when the hole below
    /// fills.
    held: [(u32, u32); 4],
    held_count: u8,
    /// A listening socket stands behind it (it accepted a connection from
    /// LISTEN): once its connection is gone, a new SYN goes to the listener.
    pub listener: bool,
    /// It is the previous incarnation's connection, carried into this one
    /// (a new SYN reached it while it was still synchronized): its sequence
    /// numbers belong to the old connection.
    carried: bool,
    /// The peer's last FIN segment to reach it (frame, that segment's ACK),
    /// until it sends something: an RST <SEQ=that ACK> is its answer.
    fin_in: Option<(u64, u32)>,
    /// When it entered TIME_WAIT.
    time_wait_since: i64,
    /// The first frame of new data it received after sending its FIN (RFC
    /// 1122 4.2.2.13: a closed endpoint answers that with an RST).
    data_after_close: Option<(u64, i64)>,
    /// The acknowledgment of the last segment it found unacceptable (an RST
    /// it sends with this sequence number is the RFC's reply, not an abort).
    last_bad_ack: Option<u32>,
    /// The last receipt of the peer's SYN, SYN,ACK or FIN that moved it
    /// and that its own acknowledgment has not confirmed yet.
    assumed: Option<Assumed>,
    // ---- timers ----
    /// When TIME_WAIT ends (2×MSL after entering it or the last FIN retransmission).
    pub time_wait_deadline: Option<i64>,
    /// When an unanswered handshake gives up (R2 after its last SYN activity).
    handshake_deadline: Option<i64>,
}

impl Endpoint {
    fn new(addr: IpAddr, port: u16, state: TcpState, origin: Origin) -> Endpoint {
        Endpoint {
            addr,
            port,
            state,
            origin,
            base: None,
            isn: None,
            isn_hint: None,
            snd_nxt: None,
            fin: None,
            last_fin_frame: 0,
            first_fin_ts: 0,
            fin_acked: false,
            syn_frame: None,
            last_syn_frame: 0,
            syn_acked: false,
            wscale_offered: None,
            rcv_wnd: UNKNOWN_WINDOW,
            seen: false,
            rcv_nxt: None,
            peer_fin_processed: false,
            held_fin: false,
            unconfirmed: ArrayVec::new(),
            fin_receipt: None,
            last_receipt: None,
            last_receipt_ts: 0,
            syn_count: 0,
            first_syn_ts: 0,
            last_syn_ts: 0,
            state_since: 0,
            state_frame: 0,
            fin_in: None,
            max_ack_sent: None,
            last_pure_ack: None,
            dup_acks: 0,
            held: [(0, 0); 4],
            held_count: 0,
            listener: false,
            carried: false,
            time_wait_since: 0,
            data_after_close: None,
            last_bad_ack: None,
            assumed: None,
            time_wait_deadline: None,
            handshake_deadline: None,
        }
    }
}

/// How a connection ended (or where it stood when the capture ended).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Both endpoints closed with FINs and every FIN was acknowledged.
    Closed,
    /// Both endpoints sent a FIN but a FIN was never acknowledged.
    Closing,
    /// One endpoint sent a FIN; the other never did.
    HalfClosed,
    /// An RST ended an established (or establishing) connection.
    Reset,
    /// The SYN was answered by an RST: nothing listened.
    Refused,
    /// The SYN was never answered.
    Unanswered,
    /// The handshake started but never completed, without an RST.
    Incomplete,
    /// Established and still open when the capture ended.
    Open,
}

impl Outcome {
    /// The name printed everywhere: `closed`, `half-closed`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Outcome::Closed => "closed",
            Outcome::Closing => "closing",
            Outcome::HalfClosed => "half-closed",
            Outcome::Reset => "reset",
            Outcome::Refused => "refused",
            Outcome::Unanswered => "unanswered",
            Outcome::Incomplete => "incomplete",
            Outcome::Open => "open",
        }
    }
}

/// Timer transitions held for the next segment's row.
const MAX_PENDING: usize = 4;
/// Anomalies held for the next segment's row.
const MAX_PENDING_ANOMALIES: usize = 2;

/// A connection: one incarnation of a 4-tuple.
#[derive(Clone, Debug)]
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
    /// Wireshark's per-segment analysis state.
    pub wireshark: crate::wireshark::Analyzer,
    /// Zeek's conn_state/history bookkeeping.
    pub zeek: crate::zeek::Zeek,
    /// Whether `finish` ran.
    finished: bool,
}

// ---- sequence-number arithmetic (RFC 9293 3.4: modulo 2^32) ----
#[inline]
fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
#[inline]
fn seq_le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}
#[inline]
fn seq_gt(a: u32, b: u32) -> bool {
    seq_lt(b, a)
}
#[inline]
fn seq_ge(a: u32, b: u32) -> bool {
    seq_le(b, a)
}
#[inline]
fn seq_max(a: u32, b: u32) -> u32 {
    if seq_gt(a, b) { a } else { b }
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
            wireshark: crate::wireshark::Analyzer::new(),
            zeek: crate::zeek::Zeek::new(),
            finished: false,
        };
        if syn && !ack {
            conn.ep[0].isn_hint = Some(seg.seq);
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
        let ep = &self.ep[role.index()];
        let from = ep.state;
        let step = state::step(from, ep.origin, event);
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
        ep.state = step.to;
        if step.to == TcpState::TimeWait {
            if from != TcpState::TimeWait || matches!(event, Event::RecvFin { .. }) {
                // Entering TIME-WAIT starts the 2×MSL timer; a retransmitted
                // FIN received in TIME-WAIT restarts it (RFC 9293 3.10.7.4).
                ep.time_wait_deadline = Some(ts.saturating_add(cfg.time_wait_ns()));
            }
        } else {
            ep.time_wait_deadline = None;
        }
        if step.to == TcpState::SynReceived && from != TcpState::SynReceived {
            ep.handshake_deadline = Some(ts.saturating_add(cfg.syn_timeout_ns));
        }
        step
    }

    /// Lets timers fire that expired by `now` (the timestamp of `frame`, or
    /// the end of the capture). Their transitions are reported on this
    /// connection's next segment.
    pub fn advance_clock(&mut self, now: i64, frame: u64, cfg: &Config) {
        let due = |ep: &Endpoint| match ep.state {
            TcpState::TimeWait => ep.time_wait_deadline.is_some_and(|d| now >= d),
            TcpState::SynSent | TcpState::SynReceived => {
                ep.handshake_deadline.is_some_and(|d| now >= d)
            }
            _ => false,
        };
        if !self.ep.iter().any(due) {
            // The common case, on every segment: nothing to fire.
            return;
        }
        let mut buf: ArrayVec<Transition, MAX_TRANSITIONS> = ArrayVec::new();
        for role in [Role::Client, Role::Server] {
            let ep = &self.ep[role.index()];
            if let Some(d) = ep
                .time_wait_deadline
                .filter(|&d| ep.state == TcpState::TimeWait && now >= d)
            {
                // The timer expired at its deadline; `frame` only shows it.
                self.apply(
                    role,
                    Event::TimeWaitTimeout,
                    Basis::Timer,
                    frame,
                    d,
                    cfg,
                    &mut buf,
                );
            }
            let ep = &self.ep[role.index()];
            if let Some(d) = ep.handshake_deadline.filter(|&d| {
                matches!(ep.state, TcpState::SynSent | TcpState::SynReceived) && now >= d
            }) {
                self.apply(
                    role,
                    Event::SynTimeout,
                    Basis::Timer,
                    frame,
                    d,
                    cfg,
                    &mut buf,
                );
            }
        }
        for t in &buf {
            if self.pending.len() < MAX_PENDING {
                self.pending.push(*t);
            }
        }
    }

    /// The next capture time at which something happens to this connection
    /// without a segment: a timer expires, or (both endpoints closed) the
    /// linger period ends and it is done. `None` while it is open.
    pub fn deadline(&self, cfg: &Config) -> Option<i64> {
        let mut d: Option<i64> = None;
        for ep in &self.ep {
            let t = match ep.state {
                TcpState::TimeWait => ep.time_wait_deadline,
                TcpState::SynSent | TcpState::SynReceived => ep.handshake_deadline,
                _ => None,
            };
            if let Some(t) = t {
                d = Some(d.map_or(t, |x| x.min(t)));
            }
        }
        if self.ep.iter().all(|e| e.state.is_terminal()) {
            let t = self.last_clock.saturating_add(cfg.linger_ns());
            d = Some(d.map_or(t, |x| x.min(t)));
        }
        d
    }

    /// Whether both endpoints hold no connection any more: the connection
    /// only lingers, waiting for late segments.
    pub fn is_lingering(&self) -> bool {
        self.ep.iter().all(|e| e.state.is_terminal())
    }

    /// Releases the spare capacity of the connection's buffers. Called when
    /// it starts to linger: most connections held are lingering ones, and
    /// they rarely grow again.
    pub fn shrink(&mut self) {
        self.lifecycle.shrink_to_fit();
        self.anomalies.shrink_to_fit();
        self.pending.shrink_to_fit();
        self.pending_anomalies.shrink_to_fit();
        self.wireshark.shrink();
        self.zeek.shrink();
    }

    /// Whether the connection is over at `now`: both endpoints hold no
    /// connection and the linger period since its last segment has passed.
    pub fn is_done(&self, now: i64, cfg: &Config) -> bool {
        self.ep.iter().all(|e| e.state.is_terminal())
            && now >= self.last_clock.saturating_add(cfg.linger_ns())
    }

    /// The outcome of a row at `frame` before its segment: the timers due
    /// by the clock `now` fired, with their transitions and anomalies.
    /// Always inlined: the outcome is large, and built in place this way.
    #[inline(always)]
    fn timers_until(
        &mut self,
        dir: Direction,
        frame: u64,
        now: i64,
        cfg: &Config,
    ) -> SegmentOutcome {
        let mut out = SegmentOutcome {
            direction: dir,
            rel_seq: 0,
            rel_ack: 0,
            state: self.state(),
            transitions: ArrayVec::new(),
            verdict: Verdict::Accepted,
            anomalies: ArrayVec::new(),
            rewrite: None,
            uncertain: [None, None],
            analysis: crate::wireshark::Verdicts::default(),
        };
        self.advance_clock(now, frame, cfg);
        for t in self.pending.drain(..) {
            let _ = out.transitions.try_push(t);
        }
        for a in self.pending_anomalies.drain(..) {
            let _ = out.anomalies.try_push(a);
        }
        out
    }

    /// An ICMP error quoting a segment of this connection (`seg`, the
    /// quoted header) at `frame`. Nothing is replayed: the endpoints'
    /// states do not change, as the capture cannot show whether the sender
    /// took the error as a reason to give up. The row shows the states at
    /// that frame (timers that expired by then included) and Wireshark's
    /// bookkeeping for the quote (see [`crate::wireshark::Analyzer::quote`]).
    #[allow(clippy::too_many_arguments)]
    pub fn icmp_error(
        &mut self,
        seg: &TcpSegment,
        error: (bool, u8, u8),
        frame: u64,
        ts: i64,
        now: i64,
        cfg: &Config,
    ) -> SegmentOutcome {
        let dir = self.direction_of(seg);
        let x = dir.sender();
        let (xi, yi) = (x.index(), x.peer().index());
        let mut out = self.timers_until(dir, frame, now, cfg);
        out.rel_seq = seg.seq.wrapping_sub(self.ep[xi].base.unwrap_or(seg.seq));
        if seg.flags.contains(TcpFlags::ACK) {
            out.rel_ack = seg.ack.wrapping_sub(self.ep[yi].base.unwrap_or(seg.ack));
        }
        out.analysis = self.wireshark.quote(seg, dir, ts);
        // What the error does to the quoted segment's sender, which it
        // reached (RFC 1122 4.2.3.9): a hard error about its SYN in
        // SYN-SENT aborts the attempt; any other error only tells the user.
        let (v6, icmp_type, code) = error;
        let values = [u64::from(icmp_type) | (u64::from(v6) << 8), u64::from(code)];
        let syn = seg.flags.contains(TcpFlags::SYN) && !seg.flags.contains(TcpFlags::ACK);
        let about_our_syn = syn && self.ep[xi].isn.is_none_or(|isn| isn == seg.seq);
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
    pub fn process(
        &mut self,
        seg: &TcpSegment,
        frame: u64,
        ts: i64,
        now: i64,
        cfg: &Config,
    ) -> SegmentOutcome {
        let dir = self.direction_of(seg);
        let x = dir.sender();
        let y = x.peer();
        let (xi, yi) = (x.index(), y.index());
        // 1. Timers this segment's timestamp shows have expired (and any
        //    that expired at earlier frames of other connections).
        let mut out = self.timers_until(dir, frame, now, cfg);

        out.analysis = self.wireshark.segment(seg, dir, frame, ts);
        self.zeek.segment(seg, dir, frame, ts, now);

        self.last_frame = frame;
        self.last_ts = self.last_ts.max(crate::clock::trusted(ts, now));
        // Deadlines start from the later of the segment's timestamp and the
        // clock: an outlier ahead postpones them, one behind cannot expire
        // them at once. Expiry is always judged against the clock.
        let ts = ts.max(now);
        self.last_clock = self.last_clock.max(ts);
        self.packets[xi] += 1;
        self.payload_bytes[xi] += u64::from(seg.payload_len);

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
        let fin_seq = seg
            .seq
            .wrapping_add(u32::from(syn))
            .wrapping_add(seg.payload_len);

        self.detect_sent(x, seg, frame, ts, &mut out);

        // Relative numbering (Wireshark's tcp.seq/tcp.ack): the ISN, or one
        // less than the first number seen when the SYN was not captured.
        if self.ep[xi].base.is_none() {
            self.ep[xi].base = Some(if syn {
                seg.seq
            } else {
                seg.seq.wrapping_sub(1)
            });
        }
        if syn && ack && self.ep[xi].base.is_some_and(|b| b != seg.seq) {
            // Wireshark: a SYN,ACK with a new sequence number resets the
            // base of its direction (no new stream).
            self.ep[xi].base = Some(seg.seq);
        }
        if ack && self.ep[yi].base.is_none() {
            self.ep[yi].base = Some(seg.ack.wrapping_sub(1));
        }
        out.rel_seq = seg.seq.wrapping_sub(self.ep[xi].base.unwrap_or(seg.seq));
        if ack {
            out.rel_ack = seg.ack.wrapping_sub(self.ep[yi].base.unwrap_or(seg.ack));
        }
        if seg.checksum == ChecksumStatus::Bad {
            out.verdict = Verdict::BadChecksum;
            return out;
        }

        // 2. What the sender's own segment shows it has received. Receipts
        //    it withdraws are delivered again right after its send event:
        //    the capture saw them earlier, so they arrive next.
        let mut redeliver: ArrayVec<(Control, u64), 2> = ArrayVec::new();
        if ack {
            self.ack_evidence(x, seg.ack, frame, ts, cfg, &mut out, &mut redeliver);
            if !rst {
                self.lack_evidence(x, seg);
            }
        } else if syn && !rst {
            // A bare SYN shows its sender had not received the peer's SYN
            // (it would have answered with SYN,ACK).
            self.withdraw(x, Control::Syn, frame, &mut out, &mut redeliver);
        }

        // A FIN whose acknowledgment does not cover the peer's FIN, from an
        // endpoint that already acknowledged that FIN in a segment captured
        // earlier: the two were captured out of the order they were sent
        // (the FIN left first). Replay them in sending order.
        if fin && ack && !syn && !rst && self.ep[xi].fin.is_none() && self.ep[xi].peer_fin_processed
        {
            if let (Some(snap), Some((fs, _))) = (self.ep[xi].fin_receipt, self.ep[yi].fin) {
                if seq_le(seg.ack, fs) {
                    self.revert(x, snap, frame, &mut out);
                    let _ = redeliver.try_push((Control::Fin, snap.frame));
                }
            }
        }

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
        let answers = rst && !ack && self.ep[xi].snd_nxt == Some(seg.seq);
        let mut aborted_on_data = false;
        if answers && closed_side && self.ep[xi].fin.is_some() {
            if let Some((k, k_ts)) = self.ep[xi].data_after_close {
                aborted_on_data = true;
                // New data reached it after its CLOSE: the RST is the abort
                // RFC 1122 4.2.2.13 prescribes, when that data arrived.
                if let Some(r) = self.ep[xi].last_receipt.filter(|r| r.frame > k) {
                    let ex = &mut self.ep[xi];
                    ex.state = r.state_before;
                    ex.rcv_nxt = r.rcv_nxt_before;
                    ex.time_wait_deadline = None;
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
            if rst && !ack && seg.seq == fin_ack && self.reset_frame.is_none() && !aborted_on_data {
                let a = Anomaly::new(
                    AnomalyKind::FinAnsweredByRst,
                    frame,
                    Some(x),
                    [fin_frame, 0],
                );
                self.flag(a, Some(&mut out));
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
                let rule = "the RST answering the peer's segment shows the endpoint had no connection when it arrived: the receipt assumed from the capture is withdrawn";
                self.restore(x, r, frame, rule, &mut out);
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
                    self.flag_once(a, Some(&mut out));
                }
            }
        }

        // 3. The send event.
        let event = if rst {
            // An RST with SEQ = the ACK of a segment the sender found
            // unacceptable is the RFC's reply to it, not an abort.
            let reply = matches!(self.ep[xi].state, TcpState::SynSent | TcpState::SynReceived)
                && self.ep[xi].last_bad_ack == Some(seg.seq);
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
        self.update_sender(
            x,
            seg,
            syn && !rst && !syn_fin,
            fin && !rst,
            seg_len,
            fin_seq,
            frame,
            ts,
            cfg,
        );
        let before = self.ep[xi].state;
        let to = if syn_fin {
            before // not its TCP's segment: no send event (see `syn_fin`)
        } else {
            self.apply(x, event, Basis::Sent, frame, ts, cfg, &mut out.transitions)
                .to
        };
        for (c, orig) in redeliver {
            let before = (self.ep[xi].state, self.ep[xi].origin, self.ep[xi].rcv_nxt);
            self.deliver(x, c, frame, orig, ts, cfg, &mut out);
            // Delivered again, the receipt is again an assumption: the
            // endpoint's next segment may show it had still not arrived.
            let ack_end = match c {
                Control::Syn => self.ep[yi].isn.map(|s| s.wrapping_add(1)),
                Control::Fin => self.ep[yi].fin.map(|(s, _)| s.wrapping_add(1)),
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

        // New data reaching an endpoint that has sent its FIN.
        if seg.payload_len > 0
            && !rst
            && self.ep[yi].fin.is_some()
            && self.ep[yi].data_after_close.is_none()
        {
            let new = self.ep[yi]
                .rcv_nxt
                .is_none_or(|r| seq_gt(seg.seq.wrapping_add(seg.payload_len), r));
            if new && self.ep[yi].state != TcpState::Closed {
                self.ep[yi].data_after_close = Some((frame, ts));
            }
        }

        // Its connection gone, a new SYN reaches the listener behind it: a new
        // server-side connection starts from LISTEN (3.10.7.2).
        if syn && !ack && !rst && self.ep[yi].state == TcpState::Closed && self.ep[yi].listener {
            let old = &self.ep[yi];
            let mut fresh = Endpoint::new(old.addr, old.port, TcpState::Listen, Origin::Passive);
            fresh.listener = true;
            fresh.base = old.base;
            self.ep[yi] = fresh;
            self.reset_by = None;
            self.reset_frame = None;
        }

        // 4. The receiver, if it would accept the segment (a SYN with FIN
        //    is discarded in LISTEN: see `syn_fin`).
        let (verdict, recv) = if syn_fin && self.ep[yi].state == TcpState::Listen {
            (Verdict::Dropped, None)
        } else {
            self.judge(y, seg, syn, ack, fin, rst, seg_len, fin_seq)
        };
        out.verdict = verdict;
        if verdict == Verdict::BadAck {
            self.ep[yi].last_bad_ack = Some(seg.ack);
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
                    ack_end: seg.seq.wrapping_add(seg_len),
                    frame,
                    state_before: snapshot.0,
                });
            }
            self.after_receive(y, ev, snapshot, step.to, seg, frame, &mut out);
            if fin
                && matches!(ev, Event::RecvSynAck { acks_our_syn: true })
                && step.to == TcpState::Established
            {
                // 3.10.7.3: "if there are other controls or text in the
                // segment, continue processing at the sixth step": the FIN.
                let acks_our_fin = self.ep[yi].fin.is_some_and(|(fs, _)| seq_gt(seg.ack, fs));
                let ev = Event::RecvFin {
                    acks_our_syn: true,
                    acks_our_fin,
                };
                let snapshot = (self.ep[yi].state, self.ep[yi].origin, self.ep[yi].rcv_nxt);
                let step = self.apply(y, ev, Basis::Received, frame, ts, cfg, &mut out.transitions);
                self.after_receive(y, ev, snapshot, step.to, seg, frame, &mut out);
            }
        }
        self.update_receiver(y, seg, verdict, syn && !rst, rst, seg_len);
        if syn && !ack && !rst && self.ep[yi].state == TcpState::SynReceived {
            // A repeated SYN keeps the passive handshake alive (it is
            // answered by a repeated SYN,ACK): R2 restarts.
            self.ep[yi].handshake_deadline = Some(ts.saturating_add(cfg.syn_timeout_ns));
        }

        if fin && !rst {
            self.ep[yi].fin_in = Some((frame, seg.ack));
        }
        let y_before = out.state[yi];
        // The client's first SYN, on a connection the capture began with the
        // server's SYN,ACK: the two were captured in reverse order.
        let late_syn = syn
            && !ack
            && !rst
            && x == Role::Client
            && self.ep[xi].syn_count == 1
            && self.initial_state == [TcpState::SynSent, TcpState::Listen];
        if late_syn {
            let f = self.ep[yi].syn_frame.unwrap_or(0);
            self.flag_once(
                Anomaly::new(AnomalyKind::DirectionFlipped, frame, None, [f, 0]),
                Some(&mut out),
            );
        } else if syn && !ack && !rst && y_before.is_synchronized() {
            let a = Anomaly::new(
                AnomalyKind::SynInEstablished,
                frame,
                Some(y),
                [u64::from(out.rel_seq), 0],
            );
            self.flag(a, Some(&mut out));
        }
        if verdict == Verdict::BadAck {
            let expected = u64::from(self.ep[yi].isn.map_or(0, |i| i.wrapping_add(1)));
            let kind = match (y_before, syn) {
                (TcpState::SynSent, true) => AnomalyKind::SynAckWrongAck,
                (TcpState::SynReceived, _) => AnomalyKind::HandshakeNotSynchronized,
                _ => AnomalyKind::UnacceptableSegment,
            };
            let values = if kind == AnomalyKind::UnacceptableSegment {
                [u64::from(out.rel_seq), u64::from(out.rel_seq)]
            } else {
                [u64::from(seg.ack), expected]
            };
            self.flag(Anomaly::new(kind, frame, Some(y), values), Some(&mut out));
        }
        self.detect_half_open(x, seg, frame, &mut out);

        let unacceptable = match verdict {
            Verdict::OutOfWindow | Verdict::RstOutOfWindow => true,
            // A SYN's challenge ACK is reported as syn-in-established.
            Verdict::ChallengeAck => !syn,
            // An old duplicate is an ordinary retransmission unless it
            // carries a control bit the receiver has not processed.
            Verdict::OldDuplicate => rst,
            _ => false,
        };
        if unacceptable {
            let base = self.ep[xi].base.unwrap_or(0);
            let expected = self.ep[yi].rcv_nxt.map_or(0, |r| r.wrapping_sub(base));
            let a = Anomaly::new(
                AnomalyKind::UnacceptableSegment,
                frame,
                Some(y),
                [u64::from(out.rel_seq), u64::from(expected)],
            );
            self.flag(a, Some(&mut out));
        }

        out.state = self.state();
        out.uncertain = self.uncertain();
        out
    }

    /// The endpoints whose state the capture cannot vouch for, each with
    /// the state it would be in otherwise.
    ///
    /// A receipt is assumed when the capture shows a segment sent; the
    /// receiver's own acknowledgment later confirms it. A state rests only
    /// on an assumed receipt when it was entered on receiving the peer's
    /// SYN, SYN,ACK or FIN, nothing has moved it since, and the receiver
    /// has acknowledged nothing that covers it. The capture holds evidence
    /// against that receipt when the peer then sends the same SYN, SYN,ACK
    /// or FIN again, as a sender does whose retransmission timer expired
    /// without an answer (RFC 9293 3.8.1, RFC 6298). The wire cannot tell
    /// a segment lost on its way to the receiver from an answer lost on its
    /// way back (testdata/real/11-unanswered-syn: the server was in
    /// SYN-RECEIVED, its SYN,ACKs dropped on the way out; a SYN dropped
    /// before the server's TCP looks the same): the state is shown with the
    /// alternative, the state before that receipt.
    pub fn uncertain(&self) -> [Option<TcpState>; 2] {
        let one = |e: usize| {
            let (ep, peer) = (&self.ep[e], &self.ep[e ^ 1]);
            let a = ep.assumed?;
            if ep.state_frame != a.frame || ep.state == a.state_before {
                return None;
            }
            let again = match a.control {
                Sent::Syn => peer.syn_count > 1 && peer.last_syn_frame > a.frame,
                Sent::Fin => peer.last_fin_frame > a.frame,
            };
            again.then_some(a.state_before)
        };
        [one(0), one(1)]
    }

    /// Anomalies that the sender's segment shows by itself, judged before it
    /// updates the sender's state.
    fn detect_sent(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        frame: u64,
        now: i64,
        out: &mut SegmentOutcome,
    ) {
        let ex = &self.ep[x.index()];
        let (isn, syn_count, first_syn_ts, state, own_fin) =
            (ex.isn, ex.syn_count, ex.first_syn_ts, ex.state, ex.fin);
        let f = seg.flags;
        let (syn, ack, fin, rst) = (
            f.contains(TcpFlags::SYN),
            f.contains(TcpFlags::ACK),
            f.contains(TcpFlags::FIN),
            f.contains(TcpFlags::RST),
        );
        let len = seg.payload_len;
        let main_bits = TcpFlags::FIN
            | TcpFlags::SYN
            | TcpFlags::RST
            | TcpFlags::PSH
            | TcpFlags::ACK
            | TcpFlags::URG;
        // RFC 9293 3.1/3.10.7: SYN with FIN or RST, FIN with RST, no control
        // bit at all (the "null" segment), or every bit (the "Xmas" segment).
        let pairs = u8::from(syn) + u8::from(fin) + u8::from(rst);
        if pairs >= 2 || (f & main_bits).bits() == 0 {
            let a = Anomaly::new(
                AnomalyKind::InvalidFlags,
                frame,
                Some(x),
                [u64::from(f.bits()), 0],
            );
            self.flag(a, Some(out));
        }
        if rst && len > 0 {
            self.flag(
                Anomaly::new(
                    AnomalyKind::RstWithData,
                    frame,
                    Some(x),
                    [u64::from(len), 0],
                ),
                Some(out),
            );
        }
        if syn && !rst && len > 0 {
            self.flag(
                Anomaly::new(
                    AnomalyKind::SynWithData,
                    frame,
                    Some(x),
                    [u64::from(len), 0],
                ),
                Some(out),
            );
        }
        if syn && !ack && !rst && !fin && isn == Some(seg.seq) {
            let n = u64::from(syn_count) + 1;
            let ms = (now.saturating_sub(first_syn_ts).max(0) / 1_000_000) as u64;
            self.flag(
                Anomaly::new(AnomalyKind::SynRetransmitted, frame, Some(x), [n, ms]),
                Some(out),
            );
        }
        if len > 0 && !syn && !rst && state == TcpState::SynReceived {
            let a = Anomaly::new(
                AnomalyKind::DataBeforeEstablished,
                frame,
                Some(x),
                [u64::from(len), 0],
            );
            self.flag_once(a, Some(out));
        }
        if let Some((fs, ff)) = own_fin {
            let end = seg.seq.wrapping_add(len);
            if len > 0 && !rst && seq_gt(end, fs) {
                let beyond = u64::from(end.wrapping_sub(fs).min(len));
                self.flag_once(
                    Anomaly::new(AnomalyKind::DataAfterFin, frame, Some(x), [beyond, ff]),
                    Some(out),
                );
            }
            if fin && !rst && state == TcpState::LastAck {
                self.flag_once(
                    Anomaly::new(
                        AnomalyKind::FinRetransmittedInLastAck,
                        frame,
                        Some(x),
                        [ff, 0],
                    ),
                    Some(out),
                );
            }
        }
        if let Some(r) = self.reset_frame {
            if len > 0 && !rst {
                self.flag_once(
                    Anomaly::new(
                        AnomalyKind::DataAfterRst,
                        frame,
                        Some(x),
                        [u64::from(len), r],
                    ),
                    Some(out),
                );
            }
        }
    }

    /// Half-open: the sender still believes the connection open and sends
    /// data while the peer no longer has it.
    fn detect_half_open(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        frame: u64,
        out: &mut SegmentOutcome,
    ) {
        let open = matches!(
            self.ep[x.index()].state,
            TcpState::Established | TcpState::CloseWait
        );
        let gone = self.ep[x.peer().index()].state.is_terminal();
        if !(open && gone) || seg.flags.contains(TcpFlags::RST) {
            return;
        }
        // Count every segment sent since the peer went away; report at the
        // first one carrying data (a lone ACK may just answer a challenge).
        let since = self.ep[x.peer().index()].state_frame;
        let n = match self.half_open {
            Some((s, n)) if s == since => n + 1,
            _ => 1,
        };
        self.half_open = Some((since, n));
        if seg.payload_len > 0 {
            self.flag_once(
                Anomaly::new(AnomalyKind::HalfOpen, frame, Some(x), [since, n]),
                Some(out),
            );
        }
    }

    /// Updates the sender's own sequence variables from its segment.
    #[allow(clippy::too_many_arguments)]
    fn update_sender(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        syn: bool,
        fin: bool,
        seg_len: u32,
        fin_seq: u32,
        frame: u64,
        ts: i64,
        cfg: &Config,
    ) {
        let negotiated = self.window_scale_negotiated();
        let handshake_seen = self.ep[0].isn.is_some() && self.ep[1].isn.is_some();
        let ex = &mut self.ep[x.index()];
        ex.seen = true;
        if syn {
            if ex.isn.is_none() {
                ex.isn = Some(seg.seq);
                ex.syn_frame = Some(frame);
                ex.wscale_offered = seg.options.window_scale;
                ex.first_syn_ts = ts;
            }
            if ex.isn == Some(seg.seq) {
                ex.syn_count += 1;
                ex.last_syn_ts = ts;
                ex.last_syn_frame = frame;
            }
            // R2 counts from the last SYN transmission (RFC 9293 3.8.3).
            ex.handshake_deadline = Some(ts.saturating_add(cfg.syn_timeout_ns));
        }
        // RCV.WND as this endpoint advertises it. Windows on SYNs are never
        // scaled (RFC 7323 2.2).
        ex.rcv_wnd = if syn {
            u32::from(seg.window)
        } else if let Some(shift) = negotiated.then_some(ex.wscale_offered).flatten() {
            u32::from(seg.window) << shift.min(14)
        } else if handshake_seen {
            u32::from(seg.window)
        } else {
            UNKNOWN_WINDOW
        };
        if !seg.flags.contains(TcpFlags::RST) {
            let end = seg.seq.wrapping_add(seg_len);
            ex.snd_nxt = Some(ex.snd_nxt.map_or(end, |n| seq_max(n, end)));
        }
        if fin {
            match ex.fin {
                Some((old, first)) if seq_gt(fin_seq, old) => ex.fin = Some((fin_seq, first)),
                Some(_) => {}
                None => {
                    ex.fin = Some((fin_seq, frame));
                    ex.first_fin_ts = ts;
                }
            }
            ex.last_fin_frame = frame;
        }
    }

    /// Window scaling is in effect when both SYNs carried the option.
    fn window_scale_negotiated(&self) -> bool {
        self.ep
            .iter()
            .all(|e| e.isn.is_some() && e.wscale_offered.is_some())
    }

    /// Reads the sender's acknowledgment `a` as evidence of what it has
    /// received: confirms or withdraws assumed receipts, delivers controls
    /// it shows arrived, and reveals data the capture did not see.
    #[allow(clippy::too_many_arguments)]
    fn ack_evidence(
        &mut self,
        x: Role,
        a: u32,
        frame: u64,
        ts: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
        redeliver: &mut ArrayVec<(Control, u64), 2>,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        let y = x.peer();
        if self.ep[xi].carried {
            return; // its ACKs are about the previous incarnation's numbers
        }
        if self.ep[xi].assumed.is_some_and(|u| seq_ge(a, u.ack_end)) {
            self.ep[xi].assumed = None; // its own ACK confirms the receipt
        }
        // Assumed receipts: confirmed when the acknowledgment covers them.
        // A FIN's receipt is withdrawn when the acknowledgment covers
        // everything the receiver had before but not the FIN (the FIN had
        // not arrived when the segment was sent: they crossed); an older
        // acknowledgment is stale and proves nothing. A SYN's receipt is
        // withdrawn only by a bare SYN (see `process`): an acknowledgment
        // that misses the SYN is simply wrong (3.10.7.3), not evidence.
        let mut withdrawn: Option<Unconfirmed> = None;
        let mut kept: ArrayVec<Unconfirmed, 2> = ArrayVec::new();
        for u in std::mem::take(&mut self.ep[xi].unconfirmed) {
            let fresh = u.rcv_nxt_before.is_none_or(|r| seq_ge(a, r));
            if seq_ge(a, u.ack_end) {
                continue;
            } else if u.control == Control::Fin && (fresh || withdrawn.is_some()) {
                withdrawn.get_or_insert(u);
                let _ = redeliver.try_push((u.control, u.frame));
            } else {
                let _ = kept.try_push(u);
            }
        }
        self.ep[xi].unconfirmed = kept;
        if let Some(u) = withdrawn {
            self.revert(x, u, frame, out);
        }
        // RCV.NXT: x has received at least what it acknowledges.
        let ex = &mut self.ep[xi];
        match ex.rcv_nxt {
            Some(r) if seq_gt(a, r) && a.wrapping_sub(r) < UNKNOWN_WINDOW => ex.rcv_nxt = Some(a),
            None => ex.rcv_nxt = Some(a),
            _ => {}
        }
        // A FIN held behind a gap is processed once x acknowledges it.
        if self.ep[xi].held_fin && self.ep[yi].fin.is_some_and(|(fs, _)| seq_gt(a, fs)) {
            self.ep[xi].held_fin = false;
            self.receive_fin_late(x, frame, frame, ts, cfg, out, Basis::Inferred);
        }
        // The peer must have sent what x acknowledges.
        let prev_ack = self.ep[xi].max_ack_sent;
        self.ep[xi].max_ack_sent = Some(prev_ack.map_or(a, |p| seq_max(p, a)));
        // An acknowledgment exactly one past everything x had acknowledged
        // and everything seen from y, from an endpoint that has sent its
        // FIN: that one sequence number is y's FIN, which the capture did not
        // show (a one-sided capture, or capture loss). y sent it; x got it.
        if let Some(p) = prev_ack {
            let nothing_new = self.ep[yi].snd_nxt.is_none_or(|n| seq_le(n, p));
            if a == p.wrapping_add(1)
                && nothing_new
                && self.ep[xi].fin.is_some()
                && self.ep[yi].fin.is_none()
            {
                let ey = &mut self.ep[yi];
                ey.fin = Some((p, frame));
                ey.last_fin_frame = frame;
                ey.snd_nxt = Some(a);
                self.apply(
                    y,
                    Event::SendFin,
                    Basis::Inferred,
                    frame,
                    ts,
                    cfg,
                    &mut out.transitions,
                );
                if self.ep[yi].peer_fin_processed {
                    // Sent after y had x's FIN, y's FIN acknowledged it.
                    self.ep[xi].fin_acked = true;
                }
                self.receive_fin_late(x, frame, frame, ts, cfg, out, Basis::Inferred);
            }
        }
        if let Some(n) = self.ep[yi].snd_nxt {
            if seq_gt(a, n) && a.wrapping_sub(n) < UNKNOWN_WINDOW {
                self.ep[yi].snd_nxt = Some(a);
                let unseen = u64::from(a.wrapping_sub(n));
                self.flag(
                    Anomaly::new(AnomalyKind::AckOfUnseenData, frame, Some(x), [unseen, 0]),
                    Some(out),
                );
            }
        }
        let ey = &mut self.ep[yi];
        if ey.isn.is_some_and(|isn| seq_gt(a, isn)) {
            if !ey.syn_acked && x == Role::Client && ey.syn_count == 1 {
                let c = &self.ep[xi];
                if c.syn_count == 1 && c.isn.is_some() {
                    self.rtt_ns = Some(ts.saturating_sub(c.first_syn_ts).max(0));
                }
            }
            let ey = &mut self.ep[yi];
            ey.syn_acked = true;
        }
        let ey = &mut self.ep[yi];
        // A FIN counts as acknowledged only by an ACK of FIN seq + 1.
        if ey.fin.is_some_and(|(fs, _)| seq_gt(a, fs)) {
            ey.fin_acked = true;
        }
    }

    /// What `x`'s own acknowledgment shows it lacks. By default `x` is
    /// assumed to have got every segment the capture saw, but the capture
    /// may have seen segments that never reached it. Its ACK `a` below the
    /// assumed RCV.NXT says so when
    ///
    /// * it carries SACK blocks above `a` (RFC 2018 3: the receiver holds
    ///   those bytes and not the ones from `a` to the first block), or
    /// * it is the third duplicate ACK in a row (RFC 5681 3.2: a receiver
    ///   repeats its ACK for every segment that arrives above a hole; three
    ///   is the threshold at which the sender itself concludes a loss).
    ///
    /// Then RCV.NXT is really `a`: a retransmission carrying those bytes is
    /// new data for `x`, not an old duplicate. The SACKed blocks are kept
    /// so that RCV.NXT jumps over them once the hole fills. Not done once
    /// `x` has processed the peer's FIN (its withdrawal has its own rule).
    fn lack_evidence(&mut self, x: Role, seg: &TcpSegment) {
        let ex = &mut self.ep[x.index()];
        let a = seg.ack;
        let pure = seg.payload_len == 0
            && !seg
                .flags
                .intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST);
        if pure {
            if ex.last_pure_ack == Some((a, seg.window)) {
                ex.dup_acks = ex.dup_acks.saturating_add(1);
            } else {
                ex.last_pure_ack = Some((a, seg.window));
                ex.dup_acks = 0;
            }
        } else {
            ex.last_pure_ack = None;
            ex.dup_acks = 0;
        }
        let Some(r) = ex.rcv_nxt else { return };
        if ex.carried || ex.peer_fin_processed || !seq_lt(a, r) {
            return;
        }
        // Blocks above the ACK (one at or below it is a D-SACK, RFC 2883,
        // reporting a duplicate: no hole) and not beyond what was assumed.
        let mut held = [(0u32, 0u32); 4];
        let mut n = 0usize;
        for &(le, re) in seg.options.sack() {
            if seq_gt(le, a) && seq_lt(le, re) && seq_le(re, r) && n < held.len() {
                held[n] = (le, re);
                n += 1;
            }
        }
        if n == 0 && !(pure && ex.dup_acks >= 3) {
            return;
        }
        ex.rcv_nxt = Some(a);
        ex.held = held;
        ex.held_count = n as u8;
    }

    /// Withdraws the assumed receipt of the peer's `control` by `x`.
    fn withdraw(
        &mut self,
        x: Role,
        control: Control,
        frame: u64,
        out: &mut SegmentOutcome,
        redeliver: &mut ArrayVec<(Control, u64), 2>,
    ) {
        let xi = x.index();
        if let Some(i) = self.ep[xi]
            .unconfirmed
            .iter()
            .position(|u| u.control == control)
        {
            let u = self.ep[xi].unconfirmed[i];
            for later in self.ep[xi].unconfirmed.drain(i..) {
                let _ = redeliver.try_push((later.control, later.frame));
            }
            self.revert(x, u, frame, out);
        }
    }

    /// Puts `x` back in the state it had before an assumed receipt.
    fn revert(&mut self, x: Role, u: Unconfirmed, frame: u64, out: &mut SegmentOutcome) {
        let rule = match u.control {
            Control::Syn => {
                "the endpoint's own segment shows the peer's SYN had not arrived when it was sent: the receipt assumed from the capture is withdrawn"
            }
            Control::Fin => {
                "the endpoint's own acknowledgment shows the peer's FIN had not arrived when it was sent: the receipt assumed from the capture is withdrawn"
            }
        };
        let ex = &mut self.ep[x.index()];
        if u.control == Control::Fin {
            ex.peer_fin_processed = false;
            ex.fin_receipt = None;
        }
        let r = Receipt {
            frame: u.frame,
            state_before: u.state_before,
            origin_before: u.origin_before,
            rcv_nxt_before: u.rcv_nxt_before,
            wants_ack: true,
            carried_data: false,
        };
        self.restore(x, r, frame, rule, out);
    }

    /// Restores `x` to what it was before receipt `r` and records the
    /// withdrawal.
    fn restore(
        &mut self,
        x: Role,
        r: Receipt,
        frame: u64,
        rule: &'static str,
        out: &mut SegmentOutcome,
    ) {
        let ex = &mut self.ep[x.index()];
        let from = ex.state;
        ex.state = r.state_before;
        ex.origin = r.origin_before;
        ex.rcv_nxt = r.rcv_nxt_before;
        ex.time_wait_deadline = None;
        out.rewrite = Some(Rewrite {
            frame: r.frame,
            endpoint: x,
            replace: true,
        });
        if from != r.state_before {
            let t = Transition {
                endpoint: x,
                from,
                to: r.state_before,
                basis: Basis::Revised,
                rule,
                frame,
                ts: self.last_ts,
            };
            // The row shows the revision; the lifecycle forgets what it
            // withdraws, so that it tells what really happened.
            let _ = out.transitions.try_push(t);
            self.revisions = self.revisions.saturating_add(1);
            self.lifecycle
                .retain(|t| !(t.endpoint == x && t.frame >= r.frame));
        }
    }

    /// Delivers to `x` the peer's SYN or FIN again (after withdrawing its
    /// assumed receipt). `orig` is the frame that carried it.
    #[allow(clippy::too_many_arguments)]
    fn deliver(
        &mut self,
        x: Role,
        c: Control,
        frame: u64,
        orig: u64,
        ts: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        match c {
            Control::Syn => {
                self.apply(
                    x,
                    Event::RecvSyn,
                    Basis::Received,
                    frame,
                    ts,
                    cfg,
                    &mut out.transitions,
                );
                if let Some(isn) = self.ep[yi].isn {
                    let ex = &mut self.ep[xi];
                    let next = isn.wrapping_add(1);
                    ex.rcv_nxt = Some(ex.rcv_nxt.map_or(next, |r| seq_max(r, next)));
                }
            }
            Control::Fin => self.receive_fin_late(x, frame, orig, ts, cfg, out, Basis::Received),
        }
    }

    /// `x` processes the peer's FIN now (it was held behind a gap or in flight).
    #[allow(clippy::too_many_arguments)]
    fn receive_fin_late(
        &mut self,
        x: Role,
        frame: u64,
        fin_frame: u64,
        ts: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
        basis: Basis,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        if self.ep[xi].peer_fin_processed {
            return;
        }
        let ev = Event::RecvFin {
            acks_our_syn: self.ep[xi].syn_acked || self.ep[xi].isn.is_none(),
            acks_our_fin: self.ep[xi].fin_acked,
        };
        let before = self.ep[xi].state;
        let step = self.apply(x, ev, basis, frame, ts, cfg, &mut out.transitions);
        self.ep[xi].peer_fin_processed = true;
        if let Some((fs, _)) = self.ep[yi].fin {
            let ex = &mut self.ep[xi];
            let next = fs.wrapping_add(1);
            ex.rcv_nxt = Some(ex.rcv_nxt.map_or(next, |r| seq_max(r, next)));
        }
        if before == TcpState::FinWait1 && step.to == TcpState::Closing {
            self.flag_simultaneous_close(x, fin_frame, out);
        }
    }

    fn flag_simultaneous_open(&mut self, x: Role, frame: u64, out: &mut SegmentOutcome) {
        if !self
            .anomalies
            .iter()
            .any(|a| a.kind == AnomalyKind::SimultaneousOpen)
        {
            let own = self.ep[x.index()].syn_frame.unwrap_or(0);
            self.flag(
                Anomaly::new(AnomalyKind::SimultaneousOpen, frame, Some(x), [own, 0]),
                Some(out),
            );
        }
    }

    fn flag_simultaneous_close(&mut self, x: Role, frame: u64, out: &mut SegmentOutcome) {
        if !self
            .anomalies
            .iter()
            .any(|a| a.kind == AnomalyKind::SimultaneousClose)
        {
            let own = self.ep[x.index()].fin.map_or(0, |(_, f)| f);
            self.flag(
                Anomaly::new(AnomalyKind::SimultaneousClose, frame, Some(x), [own, 0]),
                Some(out),
            );
        }
    }

    /// Whether receiver `y` would accept the segment (RFC 9293 3.10.7), and
    /// the event it causes.
    #[allow(clippy::too_many_arguments)]
    fn judge(
        &self,
        y: Role,
        seg: &TcpSegment,
        syn: bool,
        ack: bool,
        fin: bool,
        rst: bool,
        seg_len: u32,
        fin_seq: u32,
    ) -> (Verdict, Option<Event>) {
        let (yi, xi) = (y.index(), y.peer().index());
        let ey = &self.ep[yi];
        let a = seg.ack;
        // SND.UNA < SEG.ACK =< SND.NXT for the receiver's SYN (an unknown ISN,
        // i.e. a SYN not captured, gets the benefit of the doubt).
        let acks_our_syn = ack
            && match (ey.isn, ey.snd_nxt) {
                (Some(isn), Some(nxt)) => seq_gt(a, isn) && seq_le(a, nxt),
                _ => true,
            };
        // A FIN counts as acknowledged only by an ACK of FIN seq + 1.
        let acks_our_fin = ack && ey.fin.is_some_and(|(fs, _)| seq_gt(a, fs));
        match ey.state {
            // RFC 9293 3.10.7.1: no connection. An RST is discarded, anything
            // else answered by an RST.
            TcpState::Closed => (
                if rst {
                    Verdict::Dropped
                } else {
                    Verdict::NoConnection
                },
                None,
            ),
            // RFC 9293 3.10.7.2: an RST is ignored, an ACK answered by an
            // RST, a SYN accepted, anything else dropped.
            TcpState::Listen => {
                if rst {
                    (Verdict::Dropped, None)
                } else if ack {
                    (Verdict::NoConnection, None)
                } else if syn {
                    (Verdict::Accepted, Some(Event::RecvSyn))
                } else {
                    (Verdict::Dropped, None)
                }
            }
            // RFC 9293 3.10.7.3: first the ACK, then the RST, then the SYN.
            TcpState::SynSent => {
                if ack && !acks_our_syn {
                    (
                        if rst {
                            Verdict::Dropped
                        } else {
                            Verdict::BadAck
                        },
                        None,
                    )
                } else if rst {
                    if ack {
                        (Verdict::Accepted, Some(Event::RecvRst))
                    } else {
                        (Verdict::Dropped, None)
                    }
                } else if syn && ack {
                    (
                        Verdict::Accepted,
                        Some(Event::RecvSynAck { acks_our_syn: true }),
                    )
                } else if syn {
                    (Verdict::Accepted, Some(Event::RecvSyn))
                } else {
                    (Verdict::Dropped, None)
                }
            }
            // RFC 9293 3.10.7.4: SYN-RECEIVED and the synchronized states.
            _ => {
                // RFC 5961 4.2 (adopted by 3.10.7.4, fourth check): a SYN in a
                // synchronized state draws a challenge ACK whatever its
                // sequence number, and changes nothing.
                if syn && !ack && !rst && ey.state.is_synchronized() {
                    return (Verdict::ChallengeAck, Some(Event::RecvSyn));
                }
                let Some(rcv_nxt) = ey.rcv_nxt else {
                    // Nothing known of the peer's sequence space (joined
                    // mid-stream): the first segment defines RCV.NXT.
                    return Self::judge_controls(
                        ey,
                        syn,
                        ack,
                        fin,
                        rst,
                        acks_our_syn,
                        acks_our_fin,
                        seg.seq,
                    );
                };
                // First, check sequence number. A segment starting exactly at
                // RCV.NXT is accepted even with a zero window ("special
                // allowance ... to accept valid ACKs, URGs, and RSTs").
                let wnd = ey.rcv_wnd;
                let in_wnd = |s: u32| seq_ge(s, rcv_nxt) && seq_lt(s, rcv_nxt.wrapping_add(wnd));
                let acceptable = seg.seq == rcv_nxt
                    || if seg_len == 0 {
                        wnd > 0 && in_wnd(seg.seq)
                    } else {
                        wnd > 0 && (in_wnd(seg.seq) || in_wnd(seg.seq.wrapping_add(seg_len - 1)))
                    };
                if !acceptable {
                    if rst {
                        return (Verdict::RstOutOfWindow, None);
                    }
                    // The peer's FIN again, already processed: the only thing
                    // that can arrive in TIME-WAIT; it is acknowledged and the
                    // timer restarted (eighth check), and its ACK counts.
                    let peer_fin = self.ep[xi].fin.map(|(s, _)| s);
                    if fin && !syn && ack && ey.peer_fin_processed && peer_fin == Some(fin_seq) {
                        return (
                            Verdict::Retransmission,
                            Some(Event::RecvFin {
                                acks_our_syn,
                                acks_our_fin,
                            }),
                        );
                    }
                    // Figure 7: in a simultaneous open the peer's SYN,ACK
                    // repeats the SYN SYN-RECEIVED already has; its ACK counts.
                    if syn
                        && ack
                        && ey.state == TcpState::SynReceived
                        && self.ep[xi].isn == Some(seg.seq)
                    {
                        return (
                            Verdict::Retransmission,
                            Some(Event::RecvSynAck { acks_our_syn }),
                        );
                    }
                    let old = seq_le(seg.seq.wrapping_add(seg_len), rcv_nxt);
                    return (
                        if old {
                            Verdict::OldDuplicate
                        } else {
                            Verdict::OutOfWindow
                        },
                        None,
                    );
                }
                if rst {
                    // Second, the RST: RFC 5961 3.2 resets only on an exact
                    // match with RCV.NXT; otherwise a challenge ACK.
                    return if seg.seq == rcv_nxt {
                        (Verdict::Accepted, Some(Event::RecvRst))
                    } else {
                        (Verdict::ChallengeAck, None)
                    };
                }
                Self::judge_controls(ey, syn, ack, fin, rst, acks_our_syn, acks_our_fin, seg.seq)
            }
        }
    }

    /// RFC 9293 3.10.7.4 after the sequence check: the SYN (fourth), ACK
    /// (fifth) and FIN (eighth) checks.
    #[allow(clippy::too_many_arguments)]
    fn judge_controls(
        ey: &Endpoint,
        syn: bool,
        ack: bool,
        fin: bool,
        rst: bool,
        acks_our_syn: bool,
        acks_our_fin: bool,
        seq: u32,
    ) -> (Verdict, Option<Event>) {
        if rst {
            return (Verdict::Accepted, Some(Event::RecvRst));
        }
        if syn {
            return if ack {
                (Verdict::Accepted, Some(Event::RecvSynAck { acks_our_syn }))
            } else {
                (Verdict::Accepted, Some(Event::RecvSyn))
            };
        }
        if !ack {
            return (Verdict::Dropped, None);
        }
        // Fifth check, SYN-RECEIVED: an ACK outside SND.UNA < SEG.ACK =<
        // SND.NXT is answered by <SEQ=SEG.ACK><CTL=RST> and dropped.
        if ey.state == TcpState::SynReceived && !acks_our_syn {
            return (Verdict::BadAck, None);
        }
        if fin {
            // A FIN is processed once everything before it has arrived.
            if ey.rcv_nxt.is_some_and(|r| seq_gt(seq, r)) {
                return (
                    Verdict::FinHeld,
                    Some(Event::RecvAck {
                        acks_our_syn,
                        acks_our_fin,
                    }),
                );
            }
            return (
                Verdict::Accepted,
                Some(Event::RecvFin {
                    acks_our_syn,
                    acks_our_fin,
                }),
            );
        }
        (
            Verdict::Accepted,
            Some(Event::RecvAck {
                acks_our_syn,
                acks_our_fin,
            }),
        )
    }

    /// Bookkeeping after a receive event: unconfirmed receipts, anomalies.
    #[allow(clippy::too_many_arguments)]
    fn after_receive(
        &mut self,
        y: Role,
        ev: Event,
        (before, origin_before, rcv_before): (TcpState, Origin, Option<u32>),
        after: TcpState,
        seg: &TcpSegment,
        frame: u64,
        out: &mut SegmentOutcome,
    ) {
        let yi = y.index();
        let unconfirmed = |control, ack_end| Unconfirmed {
            control,
            ack_end,
            state_before: before,
            origin_before,
            rcv_nxt_before: rcv_before,
            frame,
        };
        match ev {
            Event::RecvSyn => {
                if before == TcpState::SynSent && after == TcpState::SynReceived {
                    self.flag_simultaneous_open(y, frame, out);
                }
                if before == TcpState::Listen && after == TcpState::SynReceived {
                    self.ep[yi].listener = true;
                }
                if after != before {
                    let u = unconfirmed(Control::Syn, seg.seq.wrapping_add(1));
                    let _ = self.ep[yi].unconfirmed.try_push(u);
                }
            }
            Event::RecvFin { .. } if !self.ep[yi].peer_fin_processed => {
                self.ep[yi].peer_fin_processed = true;
                if after != before {
                    let end = self.ep[y.peer().index()]
                        .fin
                        .map_or(seg.seq, |(s, _)| s.wrapping_add(1));
                    let u = unconfirmed(Control::Fin, end);
                    let _ = self.ep[yi].unconfirmed.try_push(u);
                    self.ep[yi].fin_receipt = Some(u);
                }
                if before == TcpState::FinWait1 && after == TcpState::Closing {
                    self.flag_simultaneous_close(y, frame, out);
                }
            }
            Event::RecvRst => {
                if before == TcpState::TimeWait {
                    let since = self.ep[yi].time_wait_since;
                    let ms = (self.last_clock.saturating_sub(since).max(0) / 1_000_000) as u64;
                    self.flag(
                        Anomaly::new(AnomalyKind::TimeWaitAssassination, frame, Some(y), [ms, 0]),
                        Some(out),
                    );
                }
                // (Only when its SYN,ACK was seen: otherwise SYN_RECEIVED was
                // only assumed, and the originator's own abort is reported
                // as handshake-aborted.)
                if before == TcpState::SynReceived && self.ep[yi].syn_frame.is_some() {
                    let rel = u64::from(out.rel_seq);
                    self.flag(
                        Anomaly::new(AnomalyKind::RstInSynReceived, frame, Some(y), [rel, 0]),
                        Some(out),
                    );
                }
                if self.reset_by.is_none() && after != before {
                    self.reset_by = Some(y.peer());
                    self.reset_frame = Some(frame);
                }
            }
            _ => {}
        }
    }

    /// Advances the receiver's RCV.NXT over what it accepted in order.
    fn update_receiver(
        &mut self,
        y: Role,
        seg: &TcpSegment,
        verdict: Verdict,
        syn: bool,
        rst: bool,
        seg_len: u32,
    ) {
        if rst || !matches!(verdict, Verdict::Accepted | Verdict::FinHeld) {
            return;
        }
        let ey = &mut self.ep[y.index()];
        let end = seg.seq.wrapping_add(seg_len);
        match ey.rcv_nxt {
            // The first segment seen from the peer (or its SYN) defines RCV.NXT.
            None => {
                ey.rcv_nxt = Some(if verdict == Verdict::FinHeld {
                    seg.seq
                } else {
                    end
                })
            }
            Some(_) if syn => ey.rcv_nxt = Some(end),
            Some(_) if verdict == Verdict::FinHeld => ey.held_fin = true,
            Some(r) if seq_le(seg.seq, r) => {
                let mut next = seq_max(r, end);
                // Blocks it reported holding (SACK) that now join up.
                let mut joined = true;
                while joined {
                    joined = false;
                    for &(le, re) in &ey.held[..usize::from(ey.held_count)] {
                        if seq_le(le, next) && seq_gt(re, next) {
                            next = re;
                            joined = true;
                        }
                    }
                }
                ey.rcv_nxt = Some(next);
            }
            Some(_) => {}
        }
    }

    /// What a new incarnation of this connection's 4-tuple needs to know
    /// about this one, at the clock `now` of the new SYN.
    pub fn reuse_info(&self, now: i64, receiver: (IpAddr, u16)) -> ReuseInfo {
        let tw = self.ep.iter().find(|e| e.state == TcpState::TimeWait);
        let carry = self
            .ep
            .iter()
            .find(|e| {
                (e.addr, e.port) == receiver
                    && e.state.is_synchronized()
                    && e.state != TcpState::TimeWait
            })
            .cloned();
        ReuseInfo {
            carry,
            last_frame: self.last_frame,
            idle_ms: (now.saturating_sub(self.last_clock).max(0) / 1_000_000) as u64,
            time_wait: tw.map(|e| {
                (
                    (e.addr, e.port),
                    (now.saturating_sub(e.time_wait_since).max(0) / 1_000_000) as u64,
                )
            }),
            snd_nxt: [
                ((self.ep[0].addr, self.ep[0].port), self.ep[0].snd_nxt),
                ((self.ep[1].addr, self.ep[1].port), self.ep[1].snd_nxt),
            ],
        }
    }

    /// Flags what the reuse of the 4-tuple shows, on the new incarnation's
    /// first frame: port-reuse, and time-wait-reuse if the previous one was
    /// still in TIME_WAIT (with whether the new ISN lies above the old
    /// sequence space, which RFC 6191 and RFC 1122 4.2.2.13 require for a
    /// TIME-WAIT endpoint to accept it).
    pub fn note_reuse(&mut self, prev: &ReuseInfo) {
        let f = self.first_frame;
        if let Some(old) = &prev.carry {
            let server = &mut self.ep[Role::Server.index()];
            if (old.addr, old.port) == (server.addr, server.port) {
                *server = old.clone();
                // Wireshark numbers the new stream afresh.
                server.base = None;
                server.carried = true;
                server.listener |= server.origin == Origin::Passive;
                self.initial_state[Role::Server.index()] = server.state;
            }
        }
        let a = match prev.time_wait {
            // The more specific kind: reuse while TIME_WAIT lasted.
            Some((holder, ms)) => {
                let client = (self.ep[0].addr, self.ep[0].port);
                let role = if holder == client {
                    Role::Client
                } else {
                    Role::Server
                };
                let old_space = prev
                    .snd_nxt
                    .iter()
                    .find(|(who, _)| *who == client)
                    .and_then(|(_, n)| *n);
                let above = match (self.ep[0].isn_hint, old_space) {
                    (Some(isn), Some(old)) => u64::from(seq_gt(isn, old)),
                    _ => 0,
                };
                Anomaly::new(AnomalyKind::TimeWaitReuse, f, Some(role), [ms, above])
            }
            None => Anomaly::new(
                AnomalyKind::PortReuse,
                f,
                None,
                [prev.last_frame, prev.idle_ms],
            ),
        };
        self.flag(a, None);
        if self.pending_anomalies.len() < MAX_PENDING_ANOMALIES {
            self.pending_anomalies.push(a);
        }
    }

    /// Ends this incarnation because a new SYN reopened its 4-tuple: an
    /// endpoint in TIME_WAIT leaves it (RFC 1122 4.2.2.13, RFC 6191).
    pub fn reopened(&mut self, frame: u64, ts: i64, cfg: &Config) {
        self.advance_clock(ts, frame, cfg);
        let mut buf: ArrayVec<Transition, MAX_TRANSITIONS> = ArrayVec::new();
        for role in [Role::Client, Role::Server] {
            if self.ep[role.index()].state == TcpState::TimeWait {
                self.apply(
                    role,
                    Event::Reopened,
                    Basis::Received,
                    frame,
                    ts,
                    cfg,
                    &mut buf,
                );
            }
        }
        // No later segment of this incarnation will carry them: they make
        // a row of their own (see `take_event`).
        for t in buf {
            if self.pending.len() < MAX_PENDING {
                self.pending.push(t);
            }
        }
    }

    /// Transitions that happened between segments (a timer expired, a new
    /// SYN reopened the 4-tuple) and no segment row has shown yet, as a row
    /// of their own: the states after them, and them. `None` when there are
    /// none. The timeline takes them at the frame that showed them, so that
    /// a TIME_WAIT that ends with no later segment of its connection still
    /// shows.
    pub fn take_event(&mut self) -> Option<SegmentOutcome> {
        if self.pending.is_empty() {
            return None;
        }
        Some(SegmentOutcome {
            direction: Direction::ClientToServer,
            rel_seq: 0,
            rel_ack: 0,
            state: self.state(),
            transitions: self.pending.drain(..).collect(),
            verdict: Verdict::Accepted,
            anomalies: ArrayVec::new(),
            analysis: crate::wireshark::Verdicts::default(),
            rewrite: None,
            uncertain: self.uncertain(),
        })
    }

    /// Ends the replay (the connection is done, was reopened, or the capture
    /// ended): lets timers expire against `now` and flags what only the whole
    /// connection shows.
    pub fn finish(&mut self, now: i64, frame: u64, cfg: &Config, at_end: bool) {
        if self.finished {
            return;
        }
        self.finished = true;
        // With a whole direction missing, what that direction would show
        // (acknowledgments, FINs) is unknown: those kinds are not reported.
        let one_sided = self.packets[0] == 0 || self.packets[1] == 0;
        if at_end && !one_sided {
            // Stuck: still in CLOSE_WAIT or LAST_ACK when the capture ended,
            // for `stuck_ns` at least. LAST_ACK waits for an ACK: it is stuck
            // only once that ACK was due, as for missing-final-ack.
            let ack_due = crate::anomaly::answer_due_ns(self.rtt_ns);
            for role in [Role::Client, Role::Server] {
                let ep = &self.ep[role.index()];
                let ms = now.saturating_sub(ep.state_since).max(0);
                let (kind, limit) = match ep.state {
                    TcpState::CloseWait => (AnomalyKind::StuckCloseWait, cfg.stuck_ns),
                    TcpState::LastAck => (AnomalyKind::StuckLastAck, cfg.stuck_ns.max(ack_due)),
                    _ => continue,
                };
                if ms < limit {
                    continue;
                }
                let ms = (ms / 1_000_000) as u64;
                let f = ep.state_frame;
                self.flag(Anomaly::new(kind, f, Some(role), [f, ms]), None);
            }
        }
        // What expires now is left for `take_event`.
        self.advance_clock(now, frame, cfg);
        if let Some((since, n)) = self.half_open {
            if let Some(a) = self
                .anomalies
                .iter_mut()
                .find(|a| a.kind == AnomalyKind::HalfOpen)
            {
                a.values = [since, n];
            }
        }
        // Whether an answer to a segment first sent at `first` was due
        // before the capture ended (see `answer_due_ns`): `None` if it was,
        // else how long the capture went on after it and when the answer
        // would have been due, both in ms. A connection finished before the
        // end of the capture (reopened, or done) was followed further.
        let due = crate::anomaly::answer_due_ns(self.rtt_ns);
        let cut_off = |first: i64, retransmitted: bool| -> Option<[u64; 2]> {
            let after = now.saturating_sub(first).max(0);
            (at_end && !retransmitted && after < due)
                .then_some([(after / 1_000_000) as u64, (due / 1_000_000) as u64])
        };
        let [c, s] = &self.ep;
        let (c_syn, s_syn) = (c.syn_frame, s.syn_frame);
        match self.outcome() {
            Outcome::Unanswered => {
                let (n, ms) = (
                    u64::from(c.syn_count),
                    ((c.last_syn_ts - c.first_syn_ts).max(0) / 1_000_000) as u64,
                );
                let f = c_syn.unwrap_or(self.first_frame);
                let a = match cut_off(c.first_syn_ts, c.syn_count > 1) {
                    Some(v) => {
                        Anomaly::new(AnomalyKind::UnansweredSynCutOff, f, Some(Role::Client), v)
                    }
                    None => {
                        Anomaly::new(AnomalyKind::UnansweredSyn, f, Some(Role::Client), [n, ms])
                    }
                };
                self.flag(a, None);
            }
            // Refused by an ICMP error: `icmp-unreachable` said so.
            Outcome::Refused if self.icmp_refused.is_some() && self.reset_by.is_none() => {}
            Outcome::Refused => {
                let f = self.reset_frame.unwrap_or(self.last_frame);
                let syn = c_syn.unwrap_or(self.first_frame);
                self.flag(
                    Anomaly::new(
                        AnomalyKind::ConnectionRefused,
                        f,
                        Some(Role::Client),
                        [syn, 0],
                    ),
                    None,
                );
            }
            Outcome::HalfClosed if !one_sided => {
                for role in [Role::Client, Role::Server] {
                    if let Some((_, ff)) = self.ep[role.index()].fin {
                        self.flag(
                            Anomaly::new(AnomalyKind::HalfClosed, ff, Some(role), [ff, 0]),
                            None,
                        );
                    }
                }
            }
            _ => {}
        }
        // The originator reset its own attempt before any SYN,ACK.
        if self.reset_by == Some(Role::Client) && c_syn.is_some() && s_syn.is_none() {
            let f = self.reset_frame.unwrap_or(self.last_frame);
            let syn = c_syn.unwrap_or(self.first_frame);
            self.flag(
                Anomaly::new(
                    AnomalyKind::HandshakeAborted,
                    f,
                    Some(Role::Client),
                    [syn, 0],
                ),
                None,
            );
        }
        // Only one direction captured (an unanswered SYN is reported as such).
        let outcome = self.outcome();
        // (an unanswered SYN is reported as such, one refused by an ICMP
        // error too: the answer came, just not in TCP).
        let icmp_answered = outcome == Outcome::Refused && self.icmp_refused.is_some();
        if (self.packets[0] == 0 || self.packets[1] == 0)
            && outcome != Outcome::Unanswered
            && !icmp_answered
        {
            let dir = u64::from(self.packets[0] == 0);
            let n = self.packets[0] + self.packets[1];
            self.flag(
                Anomaly::new(AnomalyKind::OneSided, self.first_frame, None, [n, dir]),
                None,
            );
        }
        if self.reset_by.is_none() && !one_sided {
            // missing-final-ack: a FIN never acknowledged in the capture.
            for role in [Role::Client, Role::Server] {
                let ep = &self.ep[role.index()];
                if let (Some((_, first)), false) = (ep.fin, ep.fin_acked) {
                    let f = ep.last_fin_frame;
                    let a = match cut_off(ep.first_fin_ts, f != first) {
                        Some(v) => {
                            Anomaly::new(AnomalyKind::MissingFinalAckCutOff, f, Some(role), v)
                        }
                        None => Anomaly::new(AnomalyKind::MissingFinalAck, f, Some(role), [f, 0]),
                    };
                    self.flag(a, None);
                }
            }
            // ... or a handshake whose third ACK never came.
            let s = &self.ep[Role::Server.index()];
            if let (Some(_), false, true) = (s.syn_frame, s.syn_acked, self.ep[0].isn.is_some()) {
                // The last transmission of the SYN,ACK, as for a FIN.
                let f = s.last_syn_frame;
                let a = match cut_off(s.first_syn_ts, s.syn_count > 1) {
                    Some([ms, due]) => Anomaly::new(
                        AnomalyKind::MissingFinalAckCutOff,
                        f,
                        Some(Role::Server),
                        [ms, due | crate::anomaly::CUT_OFF_SYN_ACK],
                    ),
                    None => {
                        Anomaly::new(AnomalyKind::MissingFinalAck, f, Some(Role::Server), [f, 1])
                    }
                };
                self.flag(a, None);
            }
        }
        self.anomalies.sort_by_key(|a| (a.frame, a.kind));
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::TcpOptions;
    use TcpState::*;

    const C: (IpAddr, u16) = (IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)), 40000);
    const S: (IpAddr, u16) = (IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)), 80);
    const F: TcpFlags = TcpFlags::FIN;
    const SY: TcpFlags = TcpFlags::SYN;
    const R: TcpFlags = TcpFlags::RST;
    const A: TcpFlags = TcpFlags::ACK;

    fn seg(from_client: bool, flags: TcpFlags, seq: u32, ack: u32, len: u32) -> TcpSegment {
        let (src, dst) = if from_client { (C, S) } else { (S, C) };
        TcpSegment {
            src: src.0,
            dst: dst.0,
            src_port: src.1,
            dst_port: dst.1,
            seq,
            ack,
            flags,
            window: 65535,
            urgent_ptr: 0,
            header_len: 20,
            payload_len: len,
            captured_payload_len: len,
            ip_len: 40 + len,
            options: TcpOptions::default(),
            checksum: ChecksumStatus::NotChecked,
        }
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
        assert_eq!(conn.ep[0].time_wait_deadline, Some(110 * NS));
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
        let (conn, st, outs) =
            replay(&[(false, SY | A, 500, 101, 0, 0), (true, A, 101, 501, 0, 0)]);
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
}
