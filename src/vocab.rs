//! The words every stage shares: which end ([`Role`]), which way
//! ([`Direction`]), sequence numbers compared modulo 2^32 ([`SeqNumber`]),
//! and what a segment does in sequence space ([`Control`]).
//!
//! This module is the bottom of the library: it imports nothing of the
//! project, and everything above it (decode, the replay, the Wireshark and
//! Zeek analyzers, the anomaly catalog, the outputs) speaks in its terms.
//! Sequence arithmetic lives here and nowhere else: every comparison of
//! sequence or acknowledgment numbers goes through [`SeqNumber`], so that
//! the wrap at 2^32 (RFC 9293 3.4) is handled in one place.

use serde::Serialize;
use std::cmp::Ordering;

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

/// A sequence (or acknowledgment) number: arithmetic and comparisons are
/// modulo 2^32 (RFC 9293 3.4). `a < b` means `b` lies less than 2^31
/// ahead of `a`; numbers exactly 2^31 apart compare as less in both
/// directions' signed sense, as the C idiom `(int)(a - b) < 0` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The signed distance from `other` to `self` (positive: `self` ahead).
    #[inline]
    pub const fn delta(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
    /// How far `self` lies past `base`, modulo 2^32 (relative numbering,
    /// as Wireshark's `tcp.seq`; a length).
    #[inline]
    pub const fn since(self, base: SeqNumber) -> u32 {
        self.0.wrapping_sub(base.0)
    }
    /// `self + n`, modulo 2^32.
    #[inline]
    pub const fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
    /// `self - n`, modulo 2^32.
    #[inline]
    pub const fn sub(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n))
    }
    /// `self` before `other`.
    #[inline]
    pub const fn lt(self, other: SeqNumber) -> bool {
        self.delta(other) < 0
    }
    /// `self` before or at `other`.
    #[inline]
    pub const fn le(self, other: SeqNumber) -> bool {
        self.delta(other) <= 0
    }
    /// `self` after `other`.
    #[inline]
    pub const fn gt(self, other: SeqNumber) -> bool {
        other.lt(self)
    }
    /// `self` at or after `other`.
    #[inline]
    pub const fn ge(self, other: SeqNumber) -> bool {
        other.le(self)
    }
    /// The later of the two.
    #[inline]
    pub const fn max(self, other: SeqNumber) -> SeqNumber {
        if self.gt(other) { self } else { other }
    }
    /// Whether `self` lies in `[start, start + len)`.
    #[inline]
    pub const fn in_window(self, start: SeqNumber, len: u32) -> bool {
        self.ge(start) && self.lt(start.add(len))
    }
}

impl PartialOrd for SeqNumber {
    /// Wrapping order: see [`SeqNumber`]. Not a total order (it is not
    /// transitive over more than half the space), so there is no `Ord`.
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        Some(self.delta(*other).cmp(&0))
    }
}

impl From<u32> for SeqNumber {
    fn from(n: u32) -> SeqNumber {
        SeqNumber(n)
    }
}

impl std::fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a segment's control bits make of it in sequence space and in the
/// state machine. The ACK bit is separate: any of these may carry it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Control {
    /// No SYN, FIN or RST: data or a bare acknowledgment.
    #[default]
    None,
    /// A SYN (or SYN,ACK): takes one sequence number.
    Syn,
    /// A SYN that also carries a FIN. No RFC 9293 transition sends it (only
    /// packet generators do): it moves no state of its sender, its FIN is
    /// never processed, and it takes one sequence number, the SYN's.
    SynFin,
    /// A FIN: takes one sequence number, after the data.
    Fin,
    /// An RST, whatever else is set: takes no sequence number (RFC 9293 3.4).
    Rst,
}

impl Control {
    /// The control of a segment with these flag bits (see `TcpFlags`):
    /// `syn`, `fin`, `rst` as set in the header.
    #[inline]
    pub const fn of(syn: bool, fin: bool, rst: bool) -> Control {
        if rst {
            Control::Rst
        } else if syn && fin {
            Control::SynFin
        } else if syn {
            Control::Syn
        } else if fin {
            Control::Fin
        } else {
            Control::None
        }
    }
    /// The sequence numbers a segment with this control and `payload`
    /// bytes occupies (RFC 9293 3.4: SYN and FIN each take one).
    #[inline]
    pub const fn seq_len(self, payload: u32) -> u32 {
        match self {
            Control::None | Control::Rst => payload,
            Control::Syn | Control::SynFin | Control::Fin => payload.wrapping_add(1),
        }
    }
    /// A SYN (with or without a FIN), not an RST.
    #[inline]
    pub const fn is_syn(self) -> bool {
        matches!(self, Control::Syn | Control::SynFin)
    }
    /// A FIN that counts: not on a SYN, not on an RST.
    #[inline]
    pub const fn is_fin(self) -> bool {
        matches!(self, Control::Fin)
    }
    /// An RST.
    #[inline]
    pub const fn is_rst(self) -> bool {
        matches!(self, Control::Rst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons_wrap_at_2_to_the_32() {
        let a = SeqNumber(u32::MAX - 1);
        let b = a.add(3); // 1, past the wrap
        assert_eq!(b, SeqNumber(1));
        assert!(a < b && a.lt(b) && a.le(b) && b.gt(a) && b.ge(a));
        assert!(b >= a && !b.lt(a));
        assert_eq!(b.since(a), 3);
        assert_eq!(b.delta(a), 3);
        assert_eq!(a.delta(b), -3);
        assert_eq!(a.max(b), b);
        assert_eq!(b.sub(3), a);
        assert!(b.in_window(a, 4) && !b.in_window(a, 3));
    }

    #[test]
    fn controls_take_their_sequence_numbers() {
        assert_eq!(Control::of(true, false, false).seq_len(0), 1);
        assert_eq!(Control::of(true, true, false), Control::SynFin);
        assert_eq!(Control::SynFin.seq_len(2), 3);
        assert_eq!(Control::of(false, true, false).seq_len(5), 6);
        assert_eq!(Control::of(true, true, true), Control::Rst);
        assert_eq!(Control::Rst.seq_len(7), 7);
        assert_eq!(Control::of(false, false, false).seq_len(7), 7);
        assert!(Control::SynFin.is_syn() && !Control::SynFin.is_fin());
    }
}
