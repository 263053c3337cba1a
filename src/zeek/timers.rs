//! Zeek's connection timers (`tcp_SYN_timeout`, `tcp_session_timer`,
//! `tcp_connection_linger`, `tcp_attempt_delay`, `tcp_close_delay`,
//! `tcp_inactivity_timeout`): when each is set and what firing it does.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// Removes an idle connection that closed, or never started.
    Expire,
    /// Removes an unanswered connection attempt.
    Attempt,
    /// Removes a connection after its close.
    Delete,
}

impl ZeekConn {
    pub(super) fn add_timer(&mut self, at: i64, t: Timer) {
        if self.timers.try_push((at, t)).is_err() {
            // Cannot happen (see `timers`); keep the earliest deadlines.
            if let Some(late) = self.timers.iter_mut().max_by_key(|(d, _)| *d) {
                if at < late.0 {
                    *late = (at, t);
                }
            }
        }
    }

    /// Fires the timers due by `now`. Nothing changed this connection since
    /// its last packet, so each timer's outcome is known at once, whatever
    /// the time elapsed. True if Zeek removed the connection.
    pub(super) fn expire(&mut self, now: i64) -> bool {
        loop {
            let next = self
                .timers
                .iter()
                .enumerate()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(i, &(at, t))| (i, at, t));
            let timer_at = next.map_or(i64::MAX, |(_, at, _)| at);
            // A deadline saturated at the end of time never comes.
            let first = self.inactivity_at.min(timer_at);
            if first > now || first == i64::MAX {
                return false;
            }
            if self.inactivity_at < timer_at {
                // Removed if idle for the timeout by then; else checked again
                // when it would be.
                let idle_until = self.last_active.saturating_add(self.inactivity_timeout);
                if idle_until <= self.inactivity_at {
                    return true;
                }
                self.inactivity_at = idle_until;
                continue;
            }
            if let Some((i, at, t)) = next {
                self.timers.swap_remove(i);
                if self.fire(t, at, now) {
                    return true;
                }
            }
        }
    }

    /// A timer due at `t` (<= `now`); true if it removes the connection.
    pub(super) fn fire(&mut self, timer: Timer, t: i64, now: i64) -> bool {
        use EndpointState::*;
        let (os, rs) = self.states();
        match timer {
            Timer::Delete => true,
            Timer::Attempt => {
                if self.is_active && matches!(os, SynSent | SynAckSent) && rs == Inactive {
                    self.is_active = false;
                    true
                } else {
                    false
                }
            }
            Timer::Expire => {
                if !self.is_active {
                    return false;
                }
                // Removes once idle for tcp_connection_linger if the states
                // allow it; else it is checked again every tcp_session_timer.
                let (oc, rc) = (self.o().did_close, self.r().did_close);
                let removable = ((oc || rc)
                    && ((oc && rc)
                        || os == Reset
                        || rs == Reset
                        || os == Inactive
                        || rs == Inactive))
                    || (os == Inactive && rs == Inactive);
                let idle_from = self.last_active.saturating_add(TCP_CONNECTION_LINGER);
                // The first check after `idle_from` (the checks are t, t + 6 s, ...).
                let first_idle = if t > idle_from {
                    t
                } else {
                    let steps = (idle_from - t) / TCP_SESSION_TIMER + 1;
                    t.saturating_add(steps.saturating_mul(TCP_SESSION_TIMER))
                };
                if removable && first_idle <= now {
                    return true;
                }
                let next = if removable {
                    first_idle
                } else {
                    // The first check after `now`.
                    let steps = (now - t) / TCP_SESSION_TIMER + 1;
                    t.saturating_add(steps.saturating_mul(TCP_SESSION_TIMER))
                };
                self.add_timer(next, Timer::Expire);
                false
            }
        }
    }
}
