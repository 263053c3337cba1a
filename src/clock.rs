//! The capture clock: the time against which timers run.
//!
//! A capture's timestamps are the only clock there is: TIME_WAIT's 2×MSL,
//! SYN timeouts and the linger period are judged against the timestamps of
//! later packets, and a connection's duration is the time between its first
//! and last segment. Timestamps can be wrong: merged captures go backwards a
//! little, and a corrupt record or an interface with a broken clock can jump
//! by years. [`Clock`] keeps timers safe from such outliers, and [`trusted`]
//! keeps connection times safe from them.

/// The capture clock: the latest timestamp seen, robust to outliers.
///
/// Timers (TIME_WAIT's 2×MSL, SYN timeouts, the linger period) are judged
/// against the timestamps of later packets. Timestamps may go backwards a
/// little (merged captures); the clock is their running maximum. But one
/// absurd timestamp (a corrupt record, an interface with a broken clock)
/// must not expire every connection: a jump ahead by more than
/// [`Clock::MAX_JUMP_NS`] counts only once the next frame confirms it.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// The clock: the latest confirmed timestamp.
    pub now: i64,
    pending: Option<i64>,
}

impl Default for Clock {
    fn default() -> Clock {
        Clock {
            now: i64::MIN,
            pending: None,
        }
    }
}

impl Clock {
    /// One day.
    pub const MAX_JUMP_NS: i64 = 86_400 * 1_000_000_000;

    /// Observes the next frame's timestamp and returns the clock at it.
    pub fn observe(&mut self, ts: i64) -> i64 {
        if self.now == i64::MIN {
            self.now = ts;
            return ts;
        }
        if let Some(p) = self.pending.take() {
            // Confirmed when this frame lies near the pending jump too.
            if ts.saturating_sub(p).abs() <= Self::MAX_JUMP_NS || ts > p {
                self.now = self.now.max(p);
            }
        }
        if ts.saturating_sub(self.now) > Self::MAX_JUMP_NS {
            self.pending = Some(ts);
        } else if ts > self.now {
            self.now = ts;
        }
        self.now
    }
}

/// The time a frame stamped `ts` counts for in a connection's times (its
/// start, end and duration), given the clock `now` at that frame: its own
/// timestamp, unless that lies ahead of the clock (a jump the next frame has
/// not confirmed) or more than [`Clock::MAX_JUMP_NS`] behind it; then the
/// clock. So one corrupt timestamp cannot stretch a connection over years.
pub fn trusted(ts: i64, now: i64) -> i64 {
    if ts > now || ts < now.saturating_sub(Clock::MAX_JUMP_NS) {
        now
    } else {
        ts
    }
}

#[cfg(test)]
mod tests {
    use super::{Clock, trusted};

    const DAY: i64 = Clock::MAX_JUMP_NS;

    #[test]
    fn the_clock_is_the_running_maximum() {
        let mut c = Clock::default();
        assert_eq!(c.observe(100), 100);
        assert_eq!(c.observe(90), 100);
        assert_eq!(c.observe(150), 150);
    }

    #[test]
    fn a_lone_absurd_timestamp_does_not_move_the_clock() {
        let mut c = Clock::default();
        c.observe(1_000);
        assert_eq!(c.observe(1_000 + 50 * 365 * DAY), 1_000, "pending");
        assert_eq!(c.observe(2_000), 2_000, "back to normal: it was an outlier");
        assert_eq!(c.observe(3_000), 3_000);
    }

    #[test]
    fn a_confirmed_jump_moves_the_clock_one_frame_late() {
        let mut c = Clock::default();
        c.observe(0);
        let t = 3 * DAY;
        assert_eq!(c.observe(t), 0);
        assert_eq!(c.observe(t + 5), t + 5);
    }

    #[test]
    fn connection_times_ignore_what_the_clock_ignores() {
        assert_eq!(trusted(100, 100), 100);
        assert_eq!(trusted(90, 100), 90, "a little backwards is real");
        assert_eq!(trusted(5 * DAY, 1_000), 1_000, "an unconfirmed jump ahead");
        assert_eq!(trusted(0, 3 * DAY), 3 * DAY, "more than a day behind");
        assert_eq!(trusted(i64::MIN, 0), 0);
    }
}
