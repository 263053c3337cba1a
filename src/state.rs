//! The RFC 9293 endpoint state machine.
//!
//! One machine runs per endpoint. Everything a segment does to an endpoint is
//! reduced (by [`crate::replay`], which owns the sequence-number checks) to
//! one [`Event`], and [`step`] is the single `match` on `(state, event)` that
//! says where the endpoint goes. Each arm names the rule of RFC 9293 (or of the
//! RFCs it defers to) that it implements. This is the one place to read to find
//! out, say, how FIN_WAIT_1 is left.
//!
//! Conventions:
//! * A segment is a *send* event for its sender, applied first, then a
//!   *receive* event for its receiver. Receive events are produced only for
//!   segments the receiver would accept (RFC 9293 3.10.7.4 "first, check
//!   sequence number", and RFC 5961 for RSTs); an unacceptable segment changes
//!   no state and never reaches this machine.
//! * Send events carry evidence: an endpoint that emits a segment shows the
//!   state it must be in. When that evidence contradicts what the capture let
//!   us infer (because a segment was not captured), the arm moves the endpoint
//!   and marks the step [`Basis::Inferred`].

use serde::Serialize;
use std::fmt;

/// The eleven connection states of RFC 9293 section 3.3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TcpState {
    /// No connection (the model's start for an active opener).
    Closed,
    /// Waiting for a SYN (the model's start for a passive opener).
    Listen,
    /// Sent a SYN, waiting for the peer's.
    SynSent,
    #[serde(rename = "SYN_RECEIVED")]
    /// Received a SYN and sent one, waiting for it to be acknowledged.
    SynReceived,
    /// Open: data flows both ways.
    Established,
    #[serde(rename = "FIN_WAIT_1")]
    /// Sent a FIN, not yet acknowledged.
    FinWait1,
    #[serde(rename = "FIN_WAIT_2")]
    /// Its FIN acknowledged, waiting for the peer's.
    FinWait2,
    /// Received the peer's FIN, has not sent its own.
    CloseWait,
    /// Sent a FIN and received the peer's before its own was acknowledged.
    Closing,
    /// Sent its FIN after the peer's, waiting for it to be acknowledged.
    LastAck,
    /// Both FINs done; waits 2×MSL before the 4-tuple may be reused.
    TimeWait,
}

impl TcpState {
    /// All states, in the order of RFC 9293 section 3.3.2.
    pub const ALL: [TcpState; 11] = [
        TcpState::Closed,
        TcpState::Listen,
        TcpState::SynSent,
        TcpState::SynReceived,
        TcpState::Established,
        TcpState::FinWait1,
        TcpState::FinWait2,
        TcpState::CloseWait,
        TcpState::Closing,
        TcpState::LastAck,
        TcpState::TimeWait,
    ];

    /// The name printed everywhere (`FIN_WAIT_1`, `TIME_WAIT`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            TcpState::Closed => "CLOSED",
            TcpState::Listen => "LISTEN",
            TcpState::SynSent => "SYN_SENT",
            TcpState::SynReceived => "SYN_RECEIVED",
            TcpState::Established => "ESTABLISHED",
            TcpState::FinWait1 => "FIN_WAIT_1",
            TcpState::FinWait2 => "FIN_WAIT_2",
            TcpState::CloseWait => "CLOSE_WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST_ACK",
            TcpState::TimeWait => "TIME_WAIT",
        }
    }

    /// Parses a printed name back (used by tests and policy files).
    pub fn from_name(name: &str) -> Option<TcpState> {
        TcpState::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The synchronized states of RFC 9293 section 3.5: both ISNs are known.
    pub const fn is_synchronized(self) -> bool {
        matches!(
            self,
            TcpState::Established
                | TcpState::FinWait1
                | TcpState::FinWait2
                | TcpState::CloseWait
                | TcpState::Closing
                | TcpState::LastAck
                | TcpState::TimeWait
        )
    }

    /// States in which the endpoint holds no connection any more.
    pub const fn is_terminal(self) -> bool {
        matches!(self, TcpState::Closed | TcpState::Listen)
    }
}

impl fmt::Display for TcpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// How the endpoint's connection was opened, which decides where an RST in
/// SYN_RECEIVED sends it (RFC 9293 3.10.7.4, second check).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The endpoint sent the first SYN (OPEN active).
    Active,
    /// The endpoint answered a SYN (OPEN passive, from LISTEN).
    Passive,
}

/// What happened to one endpoint. Send events come from the segments the
/// endpoint emitted, receive events from acceptable segments it got, timer
/// events from the passage of time judged against later packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// Sent a SYN without ACK.
    SendSyn,
    /// Sent a SYN with ACK.
    SendSynAck,
    /// Sent a FIN (not with SYN or RST).
    SendFin,
    /// Sent an RST. `reply` is true when the RST is the answer RFC 9293
    /// prescribes to a segment the endpoint could not accept (3.10.7.1-3, and
    /// the bad ACK in SYN-RECEIVED of 3.10.7.4), so it aborts nothing.
    SendRst {
        /// The RST answers a segment the endpoint could not accept.
        reply: bool,
    },
    /// Sent anything else (data and/or ACK).
    SendAck,
    /// Received an acceptable SYN without ACK.
    RecvSyn,
    /// Received a SYN,ACK; `acks_our_syn` when SND.UNA < SEG.ACK =< SND.NXT.
    RecvSynAck {
        /// SND.UNA < SEG.ACK =< SND.NXT.
        acks_our_syn: bool,
    },
    /// Received an acceptable segment with ACK and without SYN, FIN or RST.
    RecvAck {
        /// SND.UNA < SEG.ACK =< SND.NXT covers our SYN.
        acks_our_syn: bool,
        /// SEG.ACK covers our FIN (its sequence number + 1).
        acks_our_fin: bool,
    },
    /// Received an acceptable FIN (the ACK fields describe the same segment).
    RecvFin {
        /// SND.UNA < SEG.ACK =< SND.NXT covers our SYN.
        acks_our_syn: bool,
        /// SEG.ACK covers our FIN (its sequence number + 1).
        acks_our_fin: bool,
    },
    /// Received an acceptable RST (RFC 9293 3.10.7 and RFC 5961 3.2).
    RecvRst,
    /// 2×MSL elapsed in TIME_WAIT.
    TimeWaitTimeout,
    /// A SYN was retransmitted for R2 without an answer (RFC 9293 3.8.3).
    SynTimeout,
    /// A new SYN reopened the 4-tuple while this endpoint was in TIME_WAIT
    /// (RFC 1122 4.2.2.13, RFC 6191): this incarnation is over.
    Reopened,
    /// An ICMP hard error (destination unreachable: protocol or port; RFC
    /// 1122 4.2.3.9) about the endpoint's own segment reached it.
    IcmpHardError,
    /// Data arrived after the endpoint's user called CLOSE: it answers with
    /// an RST and aborts (RFC 1122 4.2.2.13).
    DataAfterClose,
    /// The endpoint had lost its connection without the capture showing how
    /// (a local timeout such as Linux's limit on orphaned FIN-WAIT-2, an
    /// abort whose RST was lost, a restart): shown by the RST it sends as the
    /// reply of an endpoint without a connection.
    Vanished,
    /// A receipt assumed from the capture is withdrawn: the endpoint goes
    /// back to `to`, the state it was in before that receipt, for the
    /// reason `why`. (The replay, not the endpoint, changes its mind: the
    /// capture point saw the segment before the endpoint did, or the
    /// endpoint never got it.)
    Withdrawn {
        /// The state before the withdrawn receipt.
        to: TcpState,
        /// What shows the receipt did not happen as assumed.
        why: Withdrawal,
    },
    /// A new SYN reaches the listening socket behind an endpoint whose
    /// connection is gone: a new connection starts from LISTEN.
    Relisten,
}

/// What shows that a receipt assumed from the capture did not happen as
/// assumed (see [`Event::Withdrawn`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Withdrawal {
    /// The endpoint's own bare SYN: it had not received the peer's SYN.
    SynNotArrived,
    /// The endpoint's own acknowledgment stops short of the peer's FIN.
    FinNotArrived,
    /// Its RST answering the peer's segment is the reply of an endpoint
    /// without a connection.
    NoConnection,
    /// Data reached it after its CLOSE and it aborted then: what it
    /// received after that data never reached a connection.
    AbortedOnData,
}

impl Withdrawal {
    /// The rule a withdrawal applies.
    pub const fn rule(self) -> &'static str {
        match self {
            Withdrawal::SynNotArrived => {
                "the endpoint's own segment shows the peer's SYN had not arrived when it was sent: the receipt assumed from the capture is withdrawn"
            }
            Withdrawal::FinNotArrived => {
                "the endpoint's own acknowledgment shows the peer's FIN had not arrived when it was sent: the receipt assumed from the capture is withdrawn"
            }
            Withdrawal::NoConnection => {
                "the RST answering the peer's segment shows the endpoint had no connection when it arrived: the receipt assumed from the capture is withdrawn"
            }
            Withdrawal::AbortedOnData => {
                "RFC 1122 4.2.2.13: the endpoint aborted when new data reached it after its CLOSE: the receipts after that data are withdrawn"
            }
        }
    }
}

/// Why a transition is believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// The endpoint itself sent the segment.
    Sent,
    /// The receiver is assumed to have got the segment the capture saw.
    Received,
    /// Implied by what an endpoint sent, though the segment that caused it
    /// was not captured.
    Inferred,
    /// A timer, judged against the timestamps of later packets.
    Timer,
    /// A receipt assumed earlier is withdrawn: the endpoint's own segment
    /// shows the peer's SYN or FIN had not arrived yet when it sent it.
    Revised,
}

impl Basis {
    /// The name printed everywhere: `sent`, `received`, `inferred`, `timer`, `revised`.
    pub const fn name(self) -> &'static str {
        match self {
            Basis::Sent => "sent",
            Basis::Received => "received",
            Basis::Inferred => "inferred",
            Basis::Timer => "timer",
            Basis::Revised => "revised",
        }
    }
}

/// The outcome of one event on one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// The state after the event (may equal the state before).
    pub to: TcpState,
    /// An intermediate state the endpoint passed through within the same
    /// segment (e.g. SYN_RECEIVED → ESTABLISHED → CLOSE_WAIT on an ACK+FIN).
    pub via: Option<TcpState>,
    /// The rule applied, citing the RFC.
    pub rule: &'static str,
    /// Inferred rather than directly sent/received.
    pub inferred: bool,
}

const fn stay(state: TcpState, rule: &'static str) -> Step {
    Step {
        to: state,
        via: None,
        rule,
        inferred: false,
    }
}
const fn go(to: TcpState, rule: &'static str) -> Step {
    Step {
        to,
        via: None,
        rule,
        inferred: false,
    }
}
const fn go_via(via: TcpState, to: TcpState, rule: &'static str) -> Step {
    Step {
        to,
        via: Some(via),
        rule,
        inferred: false,
    }
}
const fn infer(to: TcpState, rule: &'static str) -> Step {
    Step {
        to,
        via: None,
        rule,
        inferred: true,
    }
}
const fn infer_via(via: TcpState, to: TcpState, rule: &'static str) -> Step {
    Step {
        to,
        via: Some(via),
        rule,
        inferred: true,
    }
}

/// The state machine: where `event` takes an endpoint in `state`.
///
/// `origin` is how the endpoint's connection was opened (it only matters for
/// an RST received in SYN_RECEIVED).
pub fn step(state: TcpState, origin: Origin, event: Event) -> Step {
    use Event::*;
    use TcpState::*;
    match (state, event) {
        // ---- Sending a SYN ------------------------------------------------
        (Closed, SendSyn) => go(
            SynSent,
            "RFC 9293 3.10.1: OPEN (active) in CLOSED sends SYN, enters SYN-SENT",
        ),
        (Listen, SendSyn) => go(
            SynSent,
            "RFC 9293 3.10.2: SEND in LISTEN sends SYN, enters SYN-SENT",
        ),
        (SynSent | SynReceived, SendSyn) => {
            stay(state, "RFC 9293 3.8.1: retransmission of the SYN")
        }
        (_, SendSyn) => stay(
            state,
            "RFC 9293 3.10.7.4: a SYN in a synchronized state changes nothing (RFC 5961 4)",
        ),

        // ---- Sending a SYN,ACK -------------------------------------------
        (Listen | Closed, SendSynAck) => infer(
            SynReceived,
            "RFC 9293 3.10.7.2: only a SYN received in LISTEN is answered by SYN,ACK; that SYN was not captured",
        ),
        (SynSent, SendSynAck) => infer(
            SynReceived,
            "RFC 9293 3.10.7.3: SYN-SENT answers a crossing SYN with SYN,ACK and enters SYN-RECEIVED; that SYN was not captured",
        ),
        (SynReceived, SendSynAck) => stay(
            state,
            "RFC 9293 3.10.7.2/3.8.1: SYN,ACK sent or retransmitted in SYN-RECEIVED",
        ),
        (_, SendSynAck) => stay(state, "RFC 9293 3.8.1: retransmission of the SYN,ACK"),

        // ---- Sending a FIN (CLOSE) ----------------------------------------
        (Established, SendFin) => go(
            FinWait1,
            "RFC 9293 3.10.4: CLOSE in ESTABLISHED sends FIN, enters FIN-WAIT-1",
        ),
        (SynReceived, SendFin) => go(
            FinWait1,
            "RFC 9293 3.10.4: CLOSE in SYN-RECEIVED sends FIN, enters FIN-WAIT-1",
        ),
        (CloseWait, SendFin) => go(
            LastAck,
            "RFC 9293 3.10.4: CLOSE in CLOSE-WAIT sends FIN, enters LAST-ACK",
        ),
        (SynSent, SendFin) => infer_via(
            Established,
            FinWait1,
            "RFC 9293 3.10.4: only a synchronized endpoint sends FIN; the SYN,ACK that established it was not captured",
        ),
        (FinWait1 | FinWait2 | Closing | LastAck | TimeWait, SendFin) => {
            stay(state, "RFC 9293 3.8.1: retransmission of the FIN")
        }
        (Closed | Listen, SendFin) => stay(
            state,
            "RFC 9293 3.10.4: an endpoint without a connection cannot close it",
        ),

        // ---- Sending an RST -----------------------------------------------
        (Closed, SendRst { .. }) => stay(
            Closed,
            "RFC 9293 3.10.7.1: CLOSED answers any segment but an RST with an RST",
        ),
        (Listen, SendRst { .. }) => stay(
            Listen,
            "RFC 9293 3.10.7.2: LISTEN answers an ACK with an RST",
        ),
        (SynSent | SynReceived, SendRst { reply: true }) => stay(
            state,
            "RFC 9293 3.10.7.3/3.10.7.4: an unacceptable ACK is answered by an RST <SEQ=SEG.ACK>",
        ),
        (SynReceived, SendRst { reply: false }) => go(
            Closed,
            "RFC 9293 3.10.5/3.10.7.1: an RST that is not a reply aborts the connection (or shows none existed), enters CLOSED",
        ),
        (SynSent, SendRst { reply: false }) => {
            go(Closed, "RFC 9293 3.10.5: ABORT in SYN-SENT, enters CLOSED")
        }
        (_, SendRst { .. }) => go(Closed, "RFC 9293 3.10.5: ABORT sends RST, enters CLOSED"),

        // ---- Sending data or an ACK ---------------------------------------
        (SynSent, SendAck) => infer(
            Established,
            "RFC 9293 3.10.7.3: SYN-SENT acknowledges only after a SYN,ACK (→ ESTABLISHED); that SYN,ACK was not captured",
        ),
        (_, SendAck) => stay(
            state,
            "RFC 9293 3.10.2: data and acknowledgments do not change the state",
        ),

        // ---- Receiving a SYN (no ACK) -------------------------------------
        (Closed, RecvSyn) => stay(
            Closed,
            "RFC 9293 3.10.7.1: CLOSED answers a SYN with RST,ACK",
        ),
        (Listen, RecvSyn) => go(
            SynReceived,
            "RFC 9293 3.10.7.2: LISTEN + SYN sends SYN,ACK, enters SYN-RECEIVED",
        ),
        (SynSent, RecvSyn) => go(
            SynReceived,
            "RFC 9293 3.10.7.3: SYN-SENT + SYN without ACK (simultaneous open) sends SYN,ACK, enters SYN-RECEIVED",
        ),
        (SynReceived, RecvSyn) => match origin {
            Origin::Passive => go(
                Listen,
                "RFC 9293 3.10.7.4 (fourth): SYN in SYN-RECEIVED from a passive OPEN returns to LISTEN",
            ),
            Origin::Active => stay(
                SynReceived,
                "RFC 9293 3.10.7.4 (fourth), RFC 5961 4.2: SYN answered by a challenge ACK",
            ),
        },
        (_, RecvSyn) => stay(
            state,
            "RFC 9293 3.10.7.4 (fourth), RFC 5961 4.2: SYN in a synchronized state is answered by a challenge ACK",
        ),

        // ---- Receiving a SYN,ACK ------------------------------------------
        (SynSent, RecvSynAck { acks_our_syn: true }) => go(
            Established,
            "RFC 9293 3.10.7.3: SYN-SENT + SYN,ACK acknowledging our SYN sends ACK, enters ESTABLISHED",
        ),
        (
            SynSent,
            RecvSynAck {
                acks_our_syn: false,
            },
        ) => stay(
            SynSent,
            "RFC 9293 3.10.7.3: a SYN,ACK not acknowledging our SYN is answered by RST",
        ),
        (SynReceived, RecvSynAck { acks_our_syn: true }) => go(
            Established,
            "RFC 9293 3.10.7.4 (fifth), Figure 7: SYN-RECEIVED + ACK of our SYN (simultaneous open) enters ESTABLISHED",
        ),
        (
            SynReceived,
            RecvSynAck {
                acks_our_syn: false,
            },
        ) => stay(
            SynReceived,
            "RFC 9293 3.10.7.4 (fifth): an unacceptable ACK in SYN-RECEIVED is answered by RST",
        ),
        (Closed | Listen, RecvSynAck { .. }) => stay(
            state,
            "RFC 9293 3.10.7.1/3.10.7.2: an ACK without a connection is answered by RST",
        ),
        (_, RecvSynAck { .. }) => stay(
            state,
            "RFC 9293 3.10.7.4: a retransmitted SYN,ACK is acknowledged again",
        ),

        // ---- Receiving an ACK (no SYN, FIN, RST) ---------------------------
        (
            SynReceived,
            RecvAck {
                acks_our_syn: true, ..
            },
        ) => go(
            Established,
            "RFC 9293 3.10.7.4 (fifth): SYN-RECEIVED + SND.UNA < SEG.ACK =< SND.NXT enters ESTABLISHED",
        ),
        (
            SynReceived,
            RecvAck {
                acks_our_syn: false,
                ..
            },
        ) => stay(
            SynReceived,
            "RFC 9293 3.10.7.4 (fifth): an unacceptable ACK in SYN-RECEIVED is answered by RST",
        ),
        (
            FinWait1,
            RecvAck {
                acks_our_fin: true, ..
            },
        ) => go(
            FinWait2,
            "RFC 9293 3.10.7.4 (fifth): FIN-WAIT-1, our FIN now acknowledged, enters FIN-WAIT-2",
        ),
        (
            Closing,
            RecvAck {
                acks_our_fin: true, ..
            },
        ) => go(
            TimeWait,
            "RFC 9293 3.10.7.4 (fifth): CLOSING, our FIN now acknowledged, enters TIME-WAIT",
        ),
        (
            LastAck,
            RecvAck {
                acks_our_fin: true, ..
            },
        ) => go(
            Closed,
            "RFC 9293 3.10.7.4 (fifth): LAST-ACK, our FIN acknowledged, enters CLOSED",
        ),
        (SynSent, RecvAck { .. }) => stay(
            SynSent,
            "RFC 9293 3.10.7.3: an ACK without SYN or RST in SYN-SENT is dropped",
        ),
        (_, RecvAck { .. }) => stay(
            state,
            "RFC 9293 3.10.7.4 (fifth): the ACK updates the send window only",
        ),

        // ---- Receiving a FIN ----------------------------------------------
        (
            SynReceived,
            RecvFin {
                acks_our_syn: true, ..
            },
        ) => go_via(
            Established,
            CloseWait,
            "RFC 9293 3.10.7.4: the ACK completes the handshake (fifth), the FIN then enters CLOSE-WAIT (eighth)",
        ),
        (
            SynReceived,
            RecvFin {
                acks_our_syn: false,
                ..
            },
        ) => stay(
            SynReceived,
            "RFC 9293 3.10.7.4 (fifth): a segment without an acceptable ACK is dropped before its FIN",
        ),
        (Established, RecvFin { .. }) => go(
            CloseWait,
            "RFC 9293 3.10.7.4 (eighth): FIN in ESTABLISHED enters CLOSE-WAIT",
        ),
        (
            FinWait1,
            RecvFin {
                acks_our_fin: true, ..
            },
        ) => go(
            TimeWait,
            "RFC 9293 3.10.7.4 (eighth): FIN in FIN-WAIT-1 with our FIN acknowledged (perhaps in this segment) enters TIME-WAIT",
        ),
        (
            FinWait1,
            RecvFin {
                acks_our_fin: false,
                ..
            },
        ) => go(
            Closing,
            "RFC 9293 3.10.7.4 (eighth): FIN in FIN-WAIT-1 with our FIN not acknowledged (simultaneous close) enters CLOSING",
        ),
        (FinWait2, RecvFin { .. }) => go(
            TimeWait,
            "RFC 9293 3.10.7.4 (eighth): FIN in FIN-WAIT-2 enters TIME-WAIT",
        ),
        (
            Closing,
            RecvFin {
                acks_our_fin: true, ..
            },
        ) => go(
            TimeWait,
            "RFC 9293 3.10.7.4 (fifth): CLOSING, our FIN now acknowledged, enters TIME-WAIT",
        ),
        (
            LastAck,
            RecvFin {
                acks_our_fin: true, ..
            },
        ) => go(
            Closed,
            "RFC 9293 3.10.7.4 (fifth): LAST-ACK, our FIN acknowledged, enters CLOSED",
        ),
        (CloseWait | Closing | LastAck, RecvFin { .. }) => stay(
            state,
            "RFC 9293 3.10.7.4 (eighth): remain (retransmitted FIN)",
        ),
        (TimeWait, RecvFin { .. }) => stay(
            TimeWait,
            "RFC 9293 3.10.7.4 (eighth): TIME-WAIT acknowledges the retransmitted FIN and restarts the 2 MSL timeout",
        ),
        (Closed | Listen | SynSent, RecvFin { .. }) => stay(
            state,
            "RFC 9293 3.10.7.4 (eighth): a FIN is not processed in CLOSED, LISTEN or SYN-SENT",
        ),

        // ---- Receiving an acceptable RST ----------------------------------
        (SynSent, RecvRst) => go(
            Closed,
            "RFC 9293 3.10.7.3: RST acknowledging our SYN: connection refused, enters CLOSED",
        ),
        (SynReceived, RecvRst) => match origin {
            Origin::Passive => go(
                Listen,
                "RFC 9293 3.10.7.4 (second): RST in SYN-RECEIVED from a passive OPEN returns to LISTEN",
            ),
            Origin::Active => go(
                Closed,
                "RFC 9293 3.10.7.4 (second): RST in SYN-RECEIVED from an active OPEN enters CLOSED",
            ),
        },
        (Established | FinWait1 | FinWait2 | CloseWait, RecvRst) => go(
            Closed,
            "RFC 9293 3.10.7.4 (second): RST in a synchronized state: connection reset, enters CLOSED",
        ),
        (Closing | LastAck, RecvRst) => go(
            Closed,
            "RFC 9293 3.10.7.4 (second): RST in CLOSING or LAST-ACK enters CLOSED",
        ),
        (TimeWait, RecvRst) => go(
            Closed,
            "RFC 9293 3.10.7.4 (second): RST in TIME-WAIT enters CLOSED (the TIME-WAIT assassination RFC 1337 warns of)",
        ),
        (Listen, RecvRst) => stay(Listen, "RFC 9293 3.10.7.2: an RST in LISTEN is ignored"),
        (Closed, RecvRst) => stay(Closed, "RFC 9293 3.10.7.1: an RST in CLOSED is discarded"),

        // ---- Timers -------------------------------------------------------
        (TimeWait, TimeWaitTimeout) => go(
            Closed,
            "RFC 9293 3.10.8: time-wait timeout (2×MSL) enters CLOSED",
        ),
        (_, TimeWaitTimeout) => stay(
            state,
            "RFC 9293 3.10.8: no time-wait timer outside TIME-WAIT",
        ),
        (SynSent | SynReceived, SynTimeout) => go(
            Closed,
            "RFC 9293 3.8.3: the SYN went unanswered for R2 (at least 3 minutes); the connection is closed",
        ),
        (_, SynTimeout) => stay(state, "RFC 9293 3.8.3: no SYN is outstanding"),
        (TimeWait, Reopened) => go(
            Closed,
            "RFC 1122 4.2.2.13, RFC 6191: a new SYN reopened the 4-tuple from TIME-WAIT; this incarnation ends",
        ),
        (_, Reopened) => stay(
            state,
            "RFC 9293 3.5: a new incarnation of the 4-tuple began",
        ),
        (SynSent, IcmpHardError) => go(
            Closed,
            "RFC 1122 4.2.3.9: a hard error (protocol or port unreachable) about the SYN aborts the connection attempt (Linux and the BSDs do)",
        ),
        (_, IcmpHardError) => stay(
            state,
            "RFC 1122 4.2.3.9 (RFC 5461): a synchronized connection keeps trying; only the user learns of the error",
        ),
        (FinWait1 | FinWait2 | Closing | LastAck | TimeWait, DataAfterClose) => infer(
            Closed,
            "RFC 1122 4.2.2.13: new data received after CLOSE is answered by an RST, and the connection is aborted (the RST that follows shows it)",
        ),
        (_, DataAfterClose) => stay(state, "RFC 1122 4.2.2.13: CLOSE was not called"),
        (Closed, Vanished) => stay(Closed, "RFC 9293 3.10.7.1: already without a connection"),
        (_, Vanished) => infer(
            Closed,
            "RFC 9293 3.10.7.1: its RST <SEQ=SEG.ACK> answering this segment is the reply of an endpoint without a connection: it had lost it without the capture showing how (a local timeout, 3.10.8; an abort whose RST was lost; a restart)",
        ),
        // ---- The replay's own corrections ---------------------------------
        (_, Withdrawn { to, why }) => go(to, why.rule()),
        (Closed, Relisten) => go(
            Listen,
            "RFC 9293 3.10.7.2: its connection gone, the listening socket behind the endpoint takes the new SYN (a new connection from LISTEN)",
        ),
        (_, Relisten) => stay(
            state,
            "RFC 9293 3.10.7.2: only an endpoint without a connection returns to its listener",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Event::*;
    use TcpState::*;

    fn to(s: TcpState, e: Event) -> TcpState {
        step(s, Origin::Active, e).to
    }

    #[test]
    fn names_round_trip_and_are_the_rfc_names() {
        let names: Vec<&str> = TcpState::ALL.iter().map(|s| s.name()).collect();
        assert_eq!(
            names,
            [
                "CLOSED",
                "LISTEN",
                "SYN_SENT",
                "SYN_RECEIVED",
                "ESTABLISHED",
                "FIN_WAIT_1",
                "FIN_WAIT_2",
                "CLOSE_WAIT",
                "CLOSING",
                "LAST_ACK",
                "TIME_WAIT"
            ]
        );
        for s in TcpState::ALL {
            assert_eq!(TcpState::from_name(s.name()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.name())
            );
        }
    }

    /// Every arrow of the RFC 9293 state diagram (section 3.3.2, Figure 5),
    /// plus the simultaneous open and close edges.
    #[test]
    fn every_edge_of_the_rfc_9293_diagram() {
        let edges: &[(TcpState, Event, Origin, TcpState)] = &[
            (Closed, SendSyn, Origin::Active, SynSent),
            (Listen, SendSyn, Origin::Passive, SynSent),
            (Listen, RecvSyn, Origin::Passive, SynReceived),
            (SynSent, RecvSyn, Origin::Active, SynReceived),
            (
                SynSent,
                RecvSynAck { acks_our_syn: true },
                Origin::Active,
                Established,
            ),
            (
                SynReceived,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: false,
                },
                Origin::Passive,
                Established,
            ),
            (SynReceived, RecvRst, Origin::Passive, Listen),
            (SynReceived, RecvRst, Origin::Active, Closed),
            (SynReceived, SendFin, Origin::Passive, FinWait1),
            (Established, SendFin, Origin::Active, FinWait1),
            (
                Established,
                RecvFin {
                    acks_our_syn: true,
                    acks_our_fin: false,
                },
                Origin::Active,
                CloseWait,
            ),
            (
                FinWait1,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: true,
                },
                Origin::Active,
                FinWait2,
            ),
            (
                FinWait1,
                RecvFin {
                    acks_our_syn: true,
                    acks_our_fin: false,
                },
                Origin::Active,
                Closing,
            ),
            (
                FinWait1,
                RecvFin {
                    acks_our_syn: true,
                    acks_our_fin: true,
                },
                Origin::Active,
                TimeWait,
            ),
            (
                FinWait2,
                RecvFin {
                    acks_our_syn: true,
                    acks_our_fin: false,
                },
                Origin::Active,
                TimeWait,
            ),
            (
                Closing,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: true,
                },
                Origin::Active,
                TimeWait,
            ),
            (CloseWait, SendFin, Origin::Passive, LastAck),
            (
                LastAck,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: true,
                },
                Origin::Passive,
                Closed,
            ),
            (TimeWait, TimeWaitTimeout, Origin::Active, Closed),
            (SynSent, RecvRst, Origin::Active, Closed),
        ];
        for &(from, event, origin, expected) in edges {
            let s = step(from, origin, event);
            assert_eq!(
                s.to, expected,
                "{from:?} + {event:?} ({origin:?}): {}",
                s.rule
            );
            assert!(!s.inferred, "{from:?} + {event:?} is a direct edge");
            assert!(
                s.rule.starts_with("RFC "),
                "rule must cite an RFC: {}",
                s.rule
            );
        }
    }

    #[test]
    fn a_fin_not_acknowledging_ours_does_not_skip_closing() {
        assert_eq!(
            to(
                FinWait1,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: false
                }
            ),
            FinWait1
        );
        assert_eq!(
            to(
                Closing,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: false
                }
            ),
            Closing
        );
        assert_eq!(
            to(
                LastAck,
                RecvAck {
                    acks_our_syn: true,
                    acks_our_fin: false
                }
            ),
            LastAck
        );
    }

    #[test]
    fn unacceptable_acks_in_the_handshake_change_nothing() {
        assert_eq!(
            to(
                SynSent,
                RecvSynAck {
                    acks_our_syn: false
                }
            ),
            SynSent
        );
        assert_eq!(
            step(
                SynReceived,
                Origin::Passive,
                RecvAck {
                    acks_our_syn: false,
                    acks_our_fin: false
                }
            )
            .to,
            SynReceived
        );
    }

    #[test]
    fn rsts_sent_as_replies_do_not_abort() {
        assert_eq!(to(SynSent, SendRst { reply: true }), SynSent);
        assert_eq!(to(SynReceived, SendRst { reply: true }), SynReceived);
        assert_eq!(to(Listen, SendRst { reply: false }), Listen);
        assert_eq!(to(Established, SendRst { reply: false }), Closed);
        assert_eq!(to(TimeWait, SendRst { reply: true }), Closed);
    }

    #[test]
    fn inferred_steps_are_marked() {
        let s = step(SynSent, Origin::Active, SendAck);
        assert_eq!((s.to, s.inferred), (Established, true));
        let s = step(Listen, Origin::Passive, SendSynAck);
        assert_eq!((s.to, s.inferred), (SynReceived, true));
        let s = step(
            SynReceived,
            Origin::Passive,
            RecvFin {
                acks_our_syn: true,
                acks_our_fin: false,
            },
        );
        assert_eq!(
            (s.via, s.to, s.inferred),
            (Some(Established), CloseWait, false)
        );
    }

    /// What header prediction (`replay/predict.rs`) rests on: in
    /// ESTABLISHED, sending or receiving data and acknowledgments moves
    /// nothing, whichever side opened, whatever the ACK covers, with no
    /// intermediate state.
    #[test]
    fn established_stays_on_data_and_acknowledgments() {
        for origin in [Origin::Active, Origin::Passive] {
            let mut events = vec![SendAck];
            for acks_our_syn in [false, true] {
                for acks_our_fin in [false, true] {
                    events.push(RecvAck {
                        acks_our_syn,
                        acks_our_fin,
                    });
                }
            }
            for e in events {
                let s = step(Established, origin, e);
                assert_eq!(
                    (s.to, s.via, s.inferred),
                    (Established, None, false),
                    "{origin:?} {e:?}"
                );
            }
        }
    }

    #[test]
    fn time_wait_survives_everything_but_its_timer_an_rst_or_a_reopen() {
        for e in [
            RecvFin {
                acks_our_syn: true,
                acks_our_fin: true,
            },
            RecvAck {
                acks_our_syn: true,
                acks_our_fin: true,
            },
            RecvSyn,
            SendAck,
            SendFin,
            SynTimeout,
        ] {
            assert_eq!(to(TimeWait, e), TimeWait, "{e:?}");
        }
        assert_eq!(to(TimeWait, RecvRst), Closed);
        assert_eq!(to(TimeWait, Reopened), Closed);
        assert_eq!(to(TimeWait, TimeWaitTimeout), Closed);
    }
}
