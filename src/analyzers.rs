//! The other tools' analyses, run beside the replay: the per-connection
//! slot that feeds Wireshark's ([`crate::wireshark`]) and Zeek's
//! ([`crate::zeek`]) analyzers the same decoded segment the replay
//! ([`crate::replay`]) gets.
//!
//! The analyzers are siblings of the replay, not part of it: neither reads
//! the replay's state nor the other's, and the replay knows nothing of
//! them. The [`crate::tracker`] keeps one [`Analyzers`] next to each
//! [`crate::replay::Connection`], hands every segment to both, puts
//! Wireshark's verdicts on the segment's row
//! ([`crate::consumer::SegmentRecord::analysis`]) and, when the connection
//! is finished, their conclusions in its summary
//! ([`crate::consumer::ConnectionSummary::zeek`],
//! [`analysis_counts`](crate::consumer::ConnectionSummary::analysis_counts)).

use crate::decode::TcpSegment;
use crate::vocab::Direction;
use crate::wireshark::{self, Verdicts};
use crate::zeek::Zeek;

/// Wireshark's and Zeek's bookkeeping for one connection (one Wireshark
/// `tcp.stream`).
#[derive(Clone, Debug)]
pub struct Analyzers {
    /// Wireshark's per-segment analysis state and verdict counts.
    pub wireshark: wireshark::Analyzer,
    /// Zeek's conn_state/history bookkeeping.
    pub zeek: Zeek,
}

impl Default for Analyzers {
    fn default() -> Analyzers {
        Analyzers::new()
    }
}

impl Analyzers {
    /// The bookkeeping of a new connection.
    pub fn new() -> Analyzers {
        Analyzers {
            wireshark: wireshark::Analyzer::new(),
            zeek: Zeek::new(),
        }
    }

    /// One segment of the connection, sent in direction `dir`: both
    /// analyzers account for it; Wireshark's verdicts on it are returned.
    /// `ts` is its raw timestamp, `now` the capture clock at its frame.
    #[inline]
    pub fn segment(
        &mut self,
        seg: &TcpSegment,
        dir: Direction,
        frame: u64,
        ts: i64,
        now: i64,
    ) -> Verdicts {
        let v = self.wireshark.segment(seg, dir, frame, ts);
        self.zeek.segment(seg, frame, ts, now);
        v
    }

    /// A segment quoted by an ICMP error: Wireshark analyses the quote
    /// (see [`wireshark::Analyzer::quote`]); Zeek does not count it.
    pub fn quote(&mut self, seg: &TcpSegment, dir: Direction, ts: i64) -> Verdicts {
        self.wireshark.quote(seg, dir, ts)
    }

    /// The connection was split by a SYN from an earlier one on the same
    /// 4-tuple (Wireshark's "port numbers reused").
    pub fn split_from_earlier(&mut self) {
        self.wireshark.split_from_earlier();
    }

    /// Releases spare capacity (the connection only lingers now).
    pub fn shrink(&mut self) {
        self.wireshark.shrink();
        self.zeek.shrink();
    }
}

crate::frozen::frozen_struct!(Analyzers { wireshark, zeek });
