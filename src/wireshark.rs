//! Wireshark's per-segment TCP analysis (`tcp.analysis.*`), computed the way
//! TShark 4.0 computes it.
//!
//! HOOK: the replay calls [`Analyzer::segment`] for every segment of a
//! connection (a connection is exactly a Wireshark `tcp.stream`), in frame
//! order, and stores the result in `SegmentOutcome::analysis`.

use crate::connection::Direction;
use crate::decode::TcpSegment;

/// The `tcp.analysis` verdicts of one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// Bit set of verdicts (to be defined).
    pub flags: u32,
}

/// Per-connection analysis state.
#[derive(Clone, Debug, Default)]
pub struct Analyzer {}

impl Analyzer {
    pub fn new() -> Analyzer {
        Analyzer::default()
    }

    /// Analyses one segment. `ts` is its raw capture timestamp.
    pub fn segment(
        &mut self,
        _seg: &TcpSegment,
        _dir: Direction,
        _frame: u64,
        _ts: i64,
    ) -> Verdicts {
        Verdicts::default()
    }
}
