//! Zeek's verdict on a connection: the endpoint states (`TCP_INACTIVE` ...
//! `TCP_RESET`) and the `conn_state` decided from the final pair, by the
//! rules of Zeek's base/protocols/conn.

use super::*;

/// A Zeek TCP endpoint state (`TCP_INACTIVE` ... `TCP_RESET`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndpointState {
    /// `TCP_INACTIVE`: nothing seen yet.
    Inactive,
    /// `TCP_SYN_SENT`: sent a SYN.
    SynSent,
    /// `TCP_SYN_ACK_SENT`: sent a SYN,ACK.
    SynAckSent,
    /// Seen without a SYN (joined mid-stream).
    Partial,
    /// `TCP_ESTABLISHED`.
    Established,
    /// Sent a FIN.
    Closed,
    /// Sent an RST.
    Reset,
}

impl EndpointState {
    pub(super) fn in_handshake(self) -> bool {
        matches!(
            self,
            EndpointState::Inactive | EndpointState::SynSent | EndpointState::SynAckSent
        )
    }

    pub(super) fn inactive(self) -> bool {
        matches!(self, EndpointState::Inactive | EndpointState::Partial)
    }
}

/// Zeek's `conn_state` summary of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnState {
    /// Attempt seen, no reply.
    S0,
    /// Established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Attempt rejected.
    REJ,
    /// Established; the originator's close attempt seen, no reply.
    S2,
    /// Established; the responder's close attempt seen, no reply.
    S3,
    /// Established; the originator aborted (RST).
    RSTO,
    /// The responder sent an RST.
    RSTR,
    /// The originator sent a SYN then an RST; no SYN,ACK.
    RSTOS0,
    /// The responder sent a SYN,ACK then an RST; no SYN from the originator.
    RSTRH,
    /// The originator sent a SYN then a FIN; no SYN,ACK.
    SH,
    /// The responder sent a SYN,ACK then a FIN; no SYN from the originator.
    SHR,
    /// No SYN seen, midstream traffic.
    OTH,
}

impl ConnState {
    /// Zeek's name of the state.
    pub const fn name(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }
}

impl fmt::Display for ConnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl ZeekConn {
    /// `conn_state`, decided from the final endpoint states (Zeek's
    /// `conn_state()` in base/protocols/conn: the first rule that matches).
    pub fn conn_state(&self) -> ConnState {
        use EndpointState::*;
        let (os, rs) = self.states();
        if rs == Reset {
            if matches!(os, SynSent | SynAckSent)
                || (os == Reset && self.orig_bytes() == 0 && self.resp_bytes() == 0)
            {
                ConnState::REJ
            } else if os.inactive() {
                ConnState::RSTRH
            } else {
                ConnState::RSTR
            }
        } else if os == Reset {
            if !rs.inactive() {
                ConnState::RSTO
            } else if syn_then_reset(&self.history) {
                ConnState::RSTOS0
            } else {
                ConnState::OTH
            }
        } else if rs == Closed && os == Closed {
            ConnState::SF
        } else if os == Closed {
            if rs.inactive() {
                ConnState::SH
            } else {
                ConnState::S2
            }
        } else if rs == Closed {
            if os.inactive() {
                ConnState::SHR
            } else {
                ConnState::S3
            }
        } else if os == SynSent && rs == Inactive {
            ConnState::S0
        } else if os == Established && rs == Established {
            ConnState::S1
        } else {
            ConnState::OTH
        }
    }
}

/// Whether `history` is, in full, an optional `^`, an `S`, letters other
/// than the originator's `H A F G I Q`, an `R`, then anything (Zeek's test
/// for RSTOS0).
pub(super) fn syn_then_reset(history: &str) -> bool {
    let h = history.strip_prefix('^').unwrap_or(history);
    let Some(rest) = h.strip_prefix('S') else {
        return false;
    };
    // Some R reachable through allowed letters (the pattern may backtrack to
    // any R, so the first disallowed letter bounds the search).
    for c in rest.chars() {
        if c == 'R' {
            return true;
        }
        if "HAFGIQ".contains(c) {
            return false;
        }
    }
    false
}
