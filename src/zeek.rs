//! Zeek's view of a connection: `conn_state`, `history` and `missed_bytes`,
//! computed by Zeek's documented rules.
//!
//! HOOK: the replay calls [`Zeek::segment`] for every segment of a
//! connection, in frame order; the summary reads the results.

use crate::connection::Direction;
use crate::decode::TcpSegment;

/// Per-connection Zeek bookkeeping.
#[derive(Clone, Debug, Default)]
pub struct Zeek {}

impl Zeek {
    pub fn new() -> Zeek {
        Zeek::default()
    }

    /// Accounts for one segment. `ts` is its raw capture timestamp.
    pub fn segment(&mut self, _seg: &TcpSegment, _dir: Direction, _frame: u64, _ts: i64) {}
}
