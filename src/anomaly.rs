//! Anomalies: what went wrong on a connection, with the frame where it shows.
//!
//! Each kind has a stable kebab-case id (printed in every output format and
//! used by policies), a severity, a one-line description and the RFC section
//! it rests on. An occurrence records the frame, the endpoint concerned and the
//! numbers involved; [`Anomaly::describe`] turns them into a sentence.

use crate::vocab::Role;
use serde::Serialize;

/// How bad an anomaly is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; not a fault.
    Info,
    /// Suspicious: something the hosts recovered from, or should not do.
    Warning,
    /// A fault: a connection failed or a host misbehaved.
    Error,
}

impl Severity {
    /// The name printed everywhere: `info`, `warning`, `error`.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

macro_rules! anomalies {
    ($( $(#[$doc:meta])* $variant:ident = $id:literal, $sev:ident, $rfc:literal, $desc:literal; )*) => {
        /// The kinds of anomaly `tcpstate` recognises.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum AnomalyKind { $( $(#[$doc])* $variant, )* }

        impl AnomalyKind {
            /// Every kind, in catalog order.
            pub const ALL: &'static [AnomalyKind] = &[ $( AnomalyKind::$variant, )* ];

            /// The stable kebab-case id.
            pub const fn id(self) -> &'static str {
                match self { $( AnomalyKind::$variant => $id, )* }
            }
            /// How bad it is.
            pub const fn severity(self) -> Severity {
                match self { $( AnomalyKind::$variant => Severity::$sev, )* }
            }
            /// The RFC section the anomaly rests on.
            pub const fn rfc(self) -> &'static str {
                match self { $( AnomalyKind::$variant => $rfc, )* }
            }
            /// A one-line description.
            pub const fn description(self) -> &'static str {
                match self { $( AnomalyKind::$variant => $desc, )* }
            }
        }
    };
}

anomalies! {
    // ---- opening ----------------------------------------------------------
    /// The client's SYN was never answered (no SYN,ACK and no RST), though
    /// an answer was due before the capture ended (see [`answer_due_ns`]).
    UnansweredSyn = "unanswered-syn", Error, "RFC 9293 3.8.3, RFC 6298 2",
        "a SYN was never answered (no SYN,ACK, no RST) though the capture went on past its retransmission timeout (max(1 s, 3 x RTT)) or the client retransmitted it";
    /// The client sent its SYN more than once.
    SynRetransmitted = "syn-retransmitted", Warning, "RFC 9293 3.8.1, RFC 6298 5.7",
        "a SYN was retransmitted: the first one or its answer was lost or slow";
    /// An ICMP destination unreachable (protocol or port: a hard error)
    /// answered the SYN: the connection attempt failed.
    IcmpUnreachable = "icmp-unreachable", Error, "RFC 1122 4.2.3.9, RFC 792, RFC 4443",
        "the SYN was answered by an ICMP destination unreachable (protocol or port): a hard error, the connection attempt failed";
    /// Another ICMP error about one of the connection's segments.
    IcmpError = "icmp-error", Warning, "RFC 1122 4.2.3.9, RFC 5461",
        "an ICMP error (unreachable, time exceeded, parameter problem, packet too big) concerned one of the connection's segments";
    /// The SYN was answered by an RST: nothing listened on the port.
    ConnectionRefused = "connection-refused", Error, "RFC 9293 3.10.7.1",
        "the SYN was answered by an RST: no connection was listening (refused)";
    /// An RST reached an endpoint in SYN_RECEIVED.
    RstInSynReceived = "rst-in-syn-received", Error, "RFC 9293 3.10.7.4",
        "an RST reached an endpoint in SYN_RECEIVED: the handshake was aborted";
    /// The originator sent its SYN, then an RST, with no SYN,ACK seen.
    HandshakeAborted = "handshake-aborted", Warning, "RFC 9293 3.10.5",
        "the originator reset its own connection attempt before any SYN,ACK";
    /// The SYN,ACK does not acknowledge the SYN (SEG.ACK != ISN + 1).
    SynAckWrongAck = "syn-ack-wrong-ack", Error, "RFC 9293 3.10.7.3",
        "a SYN,ACK does not acknowledge the SYN it answers";
    /// The handshake's third segment does not acknowledge the SYN,ACK.
    HandshakeNotSynchronized = "handshake-not-synchronized", Error, "RFC 9293 3.10.7.4",
        "the ACK completing the handshake does not acknowledge the SYN,ACK (SND.UNA < SEG.ACK =< SND.NXT fails)";
    /// The last FIN of a close, or the SYN,ACK of a handshake, was never
    /// acknowledged, though the acknowledgment was due before the capture
    /// ended (see [`answer_due_ns`]).
    MissingFinalAck = "missing-final-ack", Error, "RFC 9293 3.5, 3.6, RFC 6298 2",
        "a FIN (or a SYN,ACK) was never acknowledged though the capture went on past its retransmission timeout (max(1 s, 3 x RTT)) or its sender retransmitted it: the final ACK is missing";
    /// Both endpoints sent a SYN before receiving the other's.
    SimultaneousOpen = "simultaneous-open", Info, "RFC 9293 3.5 (Figure 7)",
        "both endpoints sent a SYN before receiving the other's (simultaneous open)";
    /// A SYN carried data (e.g. TCP Fast Open).
    SynWithData = "syn-with-data", Info, "RFC 9293 3.10.7.2, RFC 7413",
        "a SYN carried data (TCP Fast Open or a non-standard stack)";
    /// Data sent by an endpoint that was not yet ESTABLISHED.
    DataBeforeEstablished = "data-before-established", Warning, "RFC 9293 3.10.2",
        "data was sent before the handshake completed";
    // ---- closing ----------------------------------------------------------
    /// Both endpoints sent a FIN before receiving the other's.
    SimultaneousClose = "simultaneous-close", Info, "RFC 9293 3.6 (Figure 13)",
        "both endpoints sent a FIN before receiving the other's (simultaneous close)";
    /// One endpoint sent a FIN; the other never closed its side.
    HalfClosed = "half-closed", Info, "RFC 9293 3.6",
        "one endpoint closed its side; the other never sent a FIN";
    /// An endpoint was still in CLOSE_WAIT at the end of the capture.
    StuckCloseWait = "stuck-close-wait", Warning, "RFC 9293 3.6",
        "an endpoint received the peer's FIN but had not closed (CLOSE_WAIT) when the capture ended";
    /// An endpoint was still in LAST_ACK at the end of the capture.
    StuckLastAck = "stuck-last-ack", Warning, "RFC 9293 3.6",
        "an endpoint's FIN was still unacknowledged (LAST_ACK) when the capture ended";
    /// The passive closer retransmitted its FIN from LAST_ACK: the final ACK was lost.
    FinRetransmittedInLastAck = "fin-retransmitted-in-last-ack", Warning, "RFC 9293 3.6, 3.10.7.4",
        "the passive closer retransmitted its FIN in LAST_ACK: the final ACK was lost (the case TIME_WAIT exists for)";
    /// A retransmitted FIN was answered by an RST: the active closer kept no TIME_WAIT state.
    FinAnsweredByRst = "fin-answered-by-rst", Error, "RFC 9293 3.6, 3.10.7.1",
        "a FIN was answered by an RST: the active closer no longer held the connection (no TIME_WAIT)";
    /// New data from an endpoint after its own FIN.
    DataAfterFin = "data-after-fin", Error, "RFC 9293 3.10.2",
        "an endpoint sent new data after its own FIN";
    // ---- resets -----------------------------------------------------------
    /// An RST reached an endpoint in TIME_WAIT.
    TimeWaitAssassination = "time-wait-assassination", Warning, "RFC 1337, RFC 9293 3.10.7.4",
        "an RST reached an endpoint in TIME_WAIT and ended it early (RFC 1337 says it must not)";
    /// Data sent on a connection after an RST ended it.
    DataAfterRst = "data-after-rst", Warning, "RFC 9293 3.10.7.1",
        "data was sent after an RST ended the connection";
    /// An RST carrying payload (diagnostic text).
    RstWithData = "rst-with-data", Info, "RFC 9293 3.5.3",
        "an RST carried data (diagnostic text)";
    /// One endpoint is gone (reset or vanished) while the other stays
    /// ESTABLISHED and keeps sending.
    HalfOpen = "half-open", Error, "RFC 9293 3.5.2",
        "one endpoint no longer has the connection while the other stays ESTABLISHED and keeps sending (half-open)";
    // ---- reuse of the 4-tuple ---------------------------------------------
    /// A new incarnation on a 4-tuple used earlier in the capture.
    PortReuse = "port-reuse", Info, "RFC 9293 3.4.1",
        "a new connection reused the 4-tuple of an earlier one";
    /// A new SYN arrived while the previous incarnation was within 2×MSL (TIME_WAIT).
    TimeWaitReuse = "time-wait-reuse", Warning, "RFC 9293 3.6.1, RFC 1122 4.2.2.13, RFC 6191",
        "a new SYN reused the 4-tuple while the previous connection was still in TIME_WAIT";
    // ---- segments ---------------------------------------------------------
    /// A SYN in a synchronized state.
    SynInEstablished = "syn-in-established", Warning, "RFC 9293 3.10.7.4, RFC 5961 4",
        "a SYN arrived on a synchronized connection (answered by a challenge ACK)";
    /// A segment the receiver would not accept (it changes no state).
    UnacceptableSegment = "unacceptable-segment", Warning, "RFC 9293 3.10.7.4, RFC 5961",
        "a segment its receiver would not accept; it changed no state";
    /// An ACK acknowledges data the capture never showed.
    AckOfUnseenData = "ack-of-unseen-data", Warning, "RFC 9293 3.10.7.4",
        "an ACK acknowledges data the capture never showed (capture loss)";
    /// An impossible flag combination.
    InvalidFlags = "invalid-flags", Error, "RFC 9293 3.1, 3.10.7",
        "an invalid combination of flags (SYN+FIN, SYN+RST, FIN+RST, no flags or all flags)";
    // ---- the capture ------------------------------------------------------
    /// The capture joined the connection after its handshake.
    MidStream = "mid-stream", Info, "RFC 9293 3.5",
        "the capture starts after the handshake: initial states are inferred";
    /// Only one direction of the connection was captured.
    OneSided = "one-sided", Warning, "RFC 9293 3.5",
        "only one direction of the connection was captured";
    /// The SYN,ACK was captured before the SYN.
    DirectionFlipped = "direction-flipped", Info, "RFC 9293 3.5",
        "the SYN,ACK was captured before the SYN it answers";
    /// The capture ended after the client's SYN, before an answer was due:
    /// what would be `unanswered-syn` is not the hosts' fault.
    UnansweredSynCutOff = "unanswered-syn-cut-off", Info, "RFC 6298 2, RFC 9293 3.8.1",
        "a SYN had no answer yet when the capture ended, before one was due (max(1 s, 3 x RTT) after it, and not retransmitted)";
    /// The capture ended after a FIN or SYN,ACK, before its acknowledgment
    /// was due: what would be `missing-final-ack` is not the hosts' fault.
    MissingFinalAckCutOff = "missing-final-ack-cut-off", Info, "RFC 6298 2, RFC 9293 3.8.1",
        "a FIN (or a SYN,ACK) had no acknowledgment yet when the capture ended, before one was due (max(1 s, 3 x RTT) after it, and not retransmitted)";
}

/// Marks, in the second value of a `missing-final-ack-cut-off`, that the
/// segment left unacknowledged is a SYN,ACK (not a FIN).
pub const CUT_OFF_SYN_ACK: u64 = 1 << 63;

/// When an answer to a segment is due: the retransmission timeout its
/// sender would use, RFC 6298's RTO. Before any RTT measurement it is 1 s
/// (2.1); after the first measurement R it is R + 4 x R/2 = 3R (2.2),
/// rounded up to 1 s (2.4). So an answer (a SYN,ACK, an RST, an ACK) is due
/// `max(1 s, 3R)` after the segment, where R is the connection's handshake
/// RTT seen in the capture (SYN to the ACK of the SYN,ACK, taken only when
/// neither was retransmitted: Karn's rule, RFC 6298 3), or 1 s without one.
/// Linux arms the same 1 s initial RTO (and never goes below 200 ms), so a
/// capture that ends sooner has not given the hosts the time they give
/// themselves. A sender that retransmitted has shown by itself that its
/// timer expired unanswered: the answer was due whatever the capture's end.
pub fn answer_due_ns(rtt_ns: Option<i64>) -> i64 {
    const SECOND: i64 = 1_000_000_000;
    rtt_ns.map_or(SECOND, |r| r.saturating_mul(3).max(SECOND))
}

/// One occurrence of an anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anomaly {
    /// What happened.
    pub kind: AnomalyKind,
    /// The frame where it shows.
    pub frame: u64,
    /// The endpoint it concerns, when one does.
    pub endpoint: Option<Role>,
    /// The numbers involved; their meaning depends on `kind` (see `describe`).
    pub values: [u64; 2],
}

impl Anomaly {
    /// An occurrence of `kind` at `frame`.
    pub fn new(kind: AnomalyKind, frame: u64, endpoint: Option<Role>, values: [u64; 2]) -> Anomaly {
        Anomaly {
            kind,
            frame,
            endpoint,
            values,
        }
    }

    /// A sentence saying what happened, with the numbers involved.
    pub fn describe(&self) -> String {
        use AnomalyKind::*;
        let who = self.endpoint.map(Role::name).unwrap_or("connection");
        let peer = self.endpoint.map(|r| r.peer().name()).unwrap_or("peer");
        let [a, b] = self.values;
        match self.kind {
            IcmpUnreachable | IcmpError => {
                let what = crate::decode::icmp::describe(a >> 8 == 1, (a & 0xff) as u8, b as u8);
                let v = if a >> 8 == 1 { "ICMPv6" } else { "ICMP" };
                if self.kind == IcmpUnreachable {
                    format!(
                        "an {v} {what} answered the {who}'s SYN: the connection attempt failed (a hard error)"
                    )
                } else {
                    format!(
                        "an {v} {what} concerned one of the {who}'s segments (a soft error for TCP: it keeps trying; Linux gives up a connection attempt on it)"
                    )
                }
            }
            UnansweredSyn => format!(
                "the {who} sent {a} SYN(s) over {b} ms; none was answered (the capture cannot tell whether the {peer} got them: SYN_RECEIVED with its answers lost, or still LISTEN)"
            ),
            SynRetransmitted => format!(
                "the {who}'s SYN was sent again ({a} transmissions so far), {b} ms after the first"
            ),
            ConnectionRefused => format!(
                "the {who}'s SYN (frame {a}) was answered by an RST from the {peer}: nothing listened"
            ),
            RstInSynReceived => format!(
                "the {who} was in SYN_RECEIVED when an RST (relative seq {a}) reset the handshake"
            ),
            HandshakeAborted => format!(
                "the {who} reset its own connection attempt (SYN at frame {a}) before any SYN,ACK"
            ),
            SynAckWrongAck => format!(
                "the {peer}'s SYN,ACK acknowledges {a}, but the {who}'s SYN needs {b} (ISN + 1)"
            ),
            HandshakeNotSynchronized => format!(
                "the {peer}'s ACK acknowledges {a}, but the {who}'s SYN,ACK needs {b} (ISN + 1)"
            ),
            MissingFinalAck => {
                if b == 1 {
                    format!(
                        "the {who}'s SYN,ACK (frame {a}) was never acknowledged: the handshake's third ACK is missing"
                    )
                } else {
                    format!(
                        "the {who}'s FIN (frame {a}) was never acknowledged: the final ACK is missing"
                    )
                }
            }
            SimultaneousOpen => format!(
                "the {who} received the peer's SYN while in SYN_SENT (its own SYN was frame {a})"
            ),
            SynWithData => format!("the {who}'s SYN carried {a} bytes of data"),
            DataBeforeEstablished => {
                format!("the {who} sent {a} bytes before the handshake completed")
            }
            SimultaneousClose => format!(
                "the {who} received the peer's FIN while its own FIN (frame {a}) was unacknowledged"
            ),
            HalfClosed => {
                format!("the {who} closed its side (FIN at frame {a}); the {peer} never sent a FIN")
            }
            StuckCloseWait => format!(
                "the {who} was still in CLOSE_WAIT {b} ms after the peer's FIN (frame {a}) when the capture ended"
            ),
            StuckLastAck => format!(
                "the {who} was still in LAST_ACK {b} ms after its FIN (frame {a}) when the capture ended"
            ),
            FinRetransmittedInLastAck => format!(
                "the {who} retransmitted its FIN (first sent at frame {a}) from LAST_ACK: the final ACK was lost"
            ),
            FinAnsweredByRst => format!(
                "the {who} answered the FIN of frame {a} with an RST: it no longer held the connection"
            ),
            DataAfterFin => {
                format!("the {who} sent {a} bytes of new data after its FIN (frame {b})")
            }
            TimeWaitAssassination => {
                format!("an RST ended the {who}'s TIME_WAIT {a} ms after it began")
            }
            DataAfterRst => format!("the {who} sent {a} bytes after the RST of frame {b}"),
            RstWithData => format!("the {who}'s RST carried {a} bytes of data"),
            HalfOpen => format!(
                "the {who} kept sending ({b} segments) although the {peer} had no connection since frame {a}"
            ),
            PortReuse => format!("the 4-tuple was last used at frame {a}, {b} ms earlier"),
            TimeWaitReuse => format!(
                "the new SYN came {a} ms into the previous connection's TIME_WAIT; its ISN is {} the old sequence space (RFC 1122 4.2.2.13 reopens only above it; RFC 6191 also on a newer timestamp)",
                if b == 1 { "above" } else { "not above" }
            ),
            SynInEstablished => {
                format!("the {who} received a SYN (relative seq {a}) while synchronized")
            }
            UnacceptableSegment => format!(
                "the {who} would not accept this segment (relative seq {a}, expected {b}); it changed no state"
            ),
            AckOfUnseenData => {
                format!("the ACK covers {a} bytes from the {peer} that the capture never showed")
            }
            InvalidFlags => format!(
                "the {who} sent the invalid flag combination {}",
                crate::decode::TcpFlags(a as u16)
            ),
            MidStream => "no SYN was captured; the connection was joined mid-stream".to_string(),
            OneSided => format!(
                "only the {} direction was captured ({a} segments)",
                if b == 0 {
                    "client-to-server"
                } else {
                    "server-to-client"
                }
            ),
            DirectionFlipped => {
                format!("the SYN,ACK (frame {a}) was captured before the SYN it answers")
            }
            UnansweredSynCutOff => format!(
                "the {who}'s SYN had no answer yet when the capture ended {a} ms after it; an answer was due only after {b} ms (RTO): cut off by the end of the capture"
            ),
            MissingFinalAckCutOff => {
                let what = if b & CUT_OFF_SYN_ACK != 0 {
                    "SYN,ACK"
                } else {
                    "FIN"
                };
                let due = b & !CUT_OFF_SYN_ACK;
                format!(
                    "the {who}'s {what} had no acknowledgment yet when the capture ended {a} ms after it; one was due only after {due} ms (RTO): cut off by the end of the capture"
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_the_endpoint_concerned() {
        use crate::vocab::Role;
        let a = Anomaly::new(AnomalyKind::HandshakeAborted, 2, Some(Role::Client), [1, 0]);
        assert_eq!(
            a.describe(),
            "the client reset its own connection attempt (SYN at frame 1) before any SYN,ACK"
        );
        let a = Anomaly::new(
            AnomalyKind::ConnectionRefused,
            2,
            Some(Role::Client),
            [1, 0],
        );
        assert_eq!(
            a.describe(),
            "the client's SYN (frame 1) was answered by an RST from the server: nothing listened"
        );
        for k in AnomalyKind::ALL {
            for e in [None, Some(Role::Client), Some(Role::Server)] {
                assert!(!Anomaly::new(*k, 1, e, [1, 1]).describe().is_empty());
            }
        }
    }

    #[test]
    fn ids_are_unique_kebab_case_and_cite_an_rfc() {
        let mut seen = std::collections::HashSet::new();
        for k in AnomalyKind::ALL {
            assert!(seen.insert(k.id()), "duplicate id {}", k.id());
            assert!(
                k.id().chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not kebab-case",
                k.id()
            );
            assert!(k.rfc().starts_with("RFC "), "{} cites no RFC", k.id());
            assert!(!k.description().is_empty());
        }
    }
}
