//! What the replay says about a segment and a connection: the
//! [`Transition`]s it caused, the receiver's [`Verdict`], the
//! [`SegmentOutcome`] of a row, the [`Rewrite`] of an earlier row, and the
//! connection's [`Outcome`]; the stays in each state that a lifecycle
//! makes ([`stays`]).

use super::*;

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
    /// Set when this segment withdrew a receipt assumed at an earlier frame:
    /// the rows from that frame to this one showed `endpoint` in a state it
    /// never was in (see [`Rewrite`]).
    pub rewrite: Option<Rewrite>,
    /// For each endpoint (client, server) whose state after the segment is
    /// uncertain (see [`Connection::uncertain`]), the state it would be in
    /// had the receipt it rests on not happened.
    pub uncertain: [Option<TcpState>; 2],
}

impl SegmentOutcome {
    /// An outcome with nothing in it yet, for a segment sent in `direction`
    /// (what [`super::Connection::process_into`] fills).
    pub fn blank(direction: Direction) -> SegmentOutcome {
        SegmentOutcome {
            direction,
            rel_seq: 0,
            rel_ack: 0,
            state: [TcpState::Closed; 2],
            transitions: ArrayVec::new(),
            verdict: Verdict::Accepted,
            anomalies: ArrayVec::new(),
            rewrite: None,
            uncertain: [None, None],
        }
    }
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

/// Calls `f(role, state, from, to)` for every stay of an endpoint in one
/// state, from what a lifecycle rests on: the initial states, the first
/// timestamp and the transitions' `(endpoint, state entered, when)`. `to`
/// is `None` for the last stay of an endpoint (see
/// [`crate::consumer::ConnectionSummary::for_each_stay`], which reads a
/// finished connection's summary).
pub fn stays<I>(
    initial: [TcpState; 2],
    first_ts: i64,
    lifecycle: I,
    mut f: impl FnMut(Role, TcpState, i64, Option<i64>),
) where
    I: Iterator<Item = (Role, TcpState, i64)> + Clone,
{
    for role in [Role::Client, Role::Server] {
        let mut state = initial[role.index()];
        let mut since = first_ts;
        for (_, to, ts) in lifecycle.clone().filter(|t| t.0 == role) {
            let at = ts.max(since);
            f(role, state, since, Some(at));
            state = to;
            since = at;
        }
        f(role, state, since, None);
    }
}
