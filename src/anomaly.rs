//! Anomalies: what went wrong on a connection, with the frame where it shows.
//!
//! Each kind has a stable kebab-case id (printed in every output format and
//! used by policies), a severity, a one-line description and the RFC section
//! it rests on. An occurrence records the frame, the endpoint concerned and the
//! numbers involved; [`Anomaly::describe`] turns them into a sentence.

use crate::connection::Role;
use serde::Serialize;

/// How bad an anomaly is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
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
    /// An RST reached an endpoint in SYN_RECEIVED.
    RstInSynReceived = "rst-in-syn-received", Error, "RFC 9293 3.10.7.4",
        "an RST reached an endpoint in SYN_RECEIVED: the handshake was aborted";
    /// The last FIN of a close, or the SYN,ACK of a handshake, was never acknowledged in the capture.
    MissingFinalAck = "missing-final-ack", Error, "RFC 9293 3.5, 3.6",
        "a FIN (or a SYN,ACK) was never acknowledged in the capture: the final ACK is missing";
    /// Both endpoints sent a SYN before receiving the other's.
    SimultaneousOpen = "simultaneous-open", Info, "RFC 9293 3.5 (Figure 7)",
        "both endpoints sent a SYN before receiving the other's (simultaneous open)";
    /// Both endpoints sent a FIN before receiving the other's.
    SimultaneousClose = "simultaneous-close", Info, "RFC 9293 3.6 (Figure 13)",
        "both endpoints sent a FIN before receiving the other's (simultaneous close)";
    /// A segment the receiver would not accept (it changes no state).
    UnacceptableSegment = "unacceptable-segment", Warning, "RFC 9293 3.10.7.4, RFC 5961",
        "a segment its receiver would not accept; it changed no state";
    /// The capture joined the connection after its handshake.
    MidStream = "mid-stream", Info, "RFC 9293 3.5",
        "the capture starts after the handshake: initial states are inferred";
}

/// One occurrence of an anomaly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    /// The frame where it shows.
    pub frame: u64,
    /// The endpoint it concerns, when one does.
    pub endpoint: Option<Role>,
    /// The numbers involved; their meaning depends on `kind` (see `describe`).
    pub values: [u64; 2],
}

impl Anomaly {
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
        let who = self.endpoint.map(Role::name).unwrap_or("the connection");
        let [a, b] = self.values;
        match self.kind {
            AnomalyKind::RstInSynReceived => {
                format!(
                    "the {who} was in SYN_RECEIVED when an RST (relative seq {a}) reset the handshake"
                )
            }
            AnomalyKind::MissingFinalAck => {
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
            AnomalyKind::SimultaneousOpen => {
                format!(
                    "the {who} received the peer's SYN while in SYN_SENT (its own SYN was frame {a})"
                )
            }
            AnomalyKind::SimultaneousClose => {
                format!(
                    "the {who} received the peer's FIN while its own FIN (frame {a}) was unacknowledged"
                )
            }
            AnomalyKind::UnacceptableSegment => {
                format!(
                    "the {who} would not accept this segment (relative seq {a}, expected {b}); it changed no state"
                )
            }
            AnomalyKind::MidStream => {
                "no SYN was captured; the connection was joined mid-stream".to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
