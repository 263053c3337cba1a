//! The timers: TIME-WAIT's 2×MSL, the R2 limit on an unanswered
//! handshake, and the linger period after which a closed connection is
//! done.

use super::*;

impl Connection {
    /// Lets timers fire that expired by `now` (the timestamp of `frame`, or
    /// the end of the capture). Their transitions are reported on this
    /// connection's next segment.
    pub fn advance_clock(&mut self, now: i64, frame: u64, cfg: &Config) {
        let due = |ep: &Endpoint| match ep.state {
            TcpState::TimeWait => ep.time_wait_deadline.is_some_and(|d| now >= d),
            TcpState::SynSent | TcpState::SynReceived => {
                ep.handshake_deadline.is_some_and(|d| now >= d)
            }
            _ => false,
        };
        if !self.ep.iter().any(due) {
            // The common case, on every segment: nothing to fire.
            return;
        }
        let mut buf: ArrayVec<Transition, MAX_TRANSITIONS> = ArrayVec::new();
        for role in [Role::Client, Role::Server] {
            let ep = &self.ep[role.index()];
            if let Some(d) = ep
                .time_wait_deadline
                .filter(|&d| ep.state == TcpState::TimeWait && now >= d)
            {
                // The timer expired at its deadline; `frame` only shows it.
                self.apply(
                    role,
                    Event::TimeWaitTimeout,
                    Basis::Timer,
                    frame,
                    d,
                    cfg,
                    &mut buf,
                );
            }
            let ep = &self.ep[role.index()];
            if let Some(d) = ep.handshake_deadline.filter(|&d| {
                matches!(ep.state, TcpState::SynSent | TcpState::SynReceived) && now >= d
            }) {
                self.apply(
                    role,
                    Event::SynTimeout,
                    Basis::Timer,
                    frame,
                    d,
                    cfg,
                    &mut buf,
                );
            }
        }
        for t in &buf {
            if self.pending.len() < MAX_PENDING {
                self.pending.push(*t);
            }
        }
    }

    /// The next capture time at which something happens to this connection
    /// without a segment: a timer expires, or (both endpoints closed) the
    /// linger period ends and it is done. `None` while it is open.
    pub fn deadline(&self, cfg: &Config) -> Option<i64> {
        let mut d: Option<i64> = None;
        for ep in &self.ep {
            let t = match ep.state {
                TcpState::TimeWait => ep.time_wait_deadline,
                TcpState::SynSent | TcpState::SynReceived => ep.handshake_deadline,
                _ => None,
            };
            if let Some(t) = t {
                d = Some(d.map_or(t, |x| x.min(t)));
            }
        }
        if self.ep.iter().all(|e| e.state.is_terminal()) {
            let t = self.last_clock.saturating_add(cfg.linger_ns());
            d = Some(d.map_or(t, |x| x.min(t)));
        }
        d
    }

    /// Whether both endpoints hold no connection any more: the connection
    /// only lingers, waiting for late segments.
    pub fn is_lingering(&self) -> bool {
        self.ep.iter().all(|e| e.state.is_terminal())
    }

    /// Releases the spare capacity of the connection's buffers. Called when
    /// it starts to linger: most connections held are lingering ones, and
    /// they rarely grow again.
    pub fn shrink(&mut self) {
        self.lifecycle.shrink_to_fit();
        self.anomalies.shrink_to_fit();
        self.pending.shrink_to_fit();
        self.pending_anomalies.shrink_to_fit();
        self.wireshark.shrink();
        self.zeek.shrink();
    }

    /// Whether the connection is over at `now`: both endpoints hold no
    /// connection and the linger period since its last segment has passed.
    pub fn is_done(&self, now: i64, cfg: &Config) -> bool {
        self.ep.iter().all(|e| e.state.is_terminal())
            && now >= self.last_clock.saturating_add(cfg.linger_ns())
    }

    /// The outcome of a row at `frame` before its segment: the timers due
    /// by the clock `now` fired, with their transitions and anomalies.
    /// Always inlined: the outcome is large, and built in place this way.
    #[inline(always)]
    pub(super) fn timers_until(
        &mut self,
        dir: Direction,
        frame: u64,
        now: i64,
        cfg: &Config,
    ) -> SegmentOutcome {
        let mut out = SegmentOutcome {
            direction: dir,
            rel_seq: 0,
            rel_ack: 0,
            state: self.state(),
            transitions: ArrayVec::new(),
            verdict: Verdict::Accepted,
            anomalies: ArrayVec::new(),
            rewrite: None,
            uncertain: [None, None],
            analysis: crate::wireshark::Verdicts::default(),
        };
        self.advance_clock(now, frame, cfg);
        for t in self.pending.drain(..) {
            let _ = out.transitions.try_push(t);
        }
        for a in self.pending_anomalies.drain(..) {
            let _ = out.anomalies.try_push(a);
        }
        out
    }

    /// Transitions that happened between segments (a timer expired, a new
    /// SYN reopened the 4-tuple) and no segment row has shown yet, as a row
    /// of their own: the states after them, and them. `None` when there are
    /// none. The timeline takes them at the frame that showed them, so that
    /// a TIME_WAIT that ends with no later segment of its connection still
    /// shows.
    pub fn take_event(&mut self) -> Option<SegmentOutcome> {
        if self.pending.is_empty() {
            return None;
        }
        Some(SegmentOutcome {
            direction: Direction::ClientToServer,
            rel_seq: 0,
            rel_ack: 0,
            state: self.state(),
            transitions: self.pending.drain(..).collect(),
            verdict: Verdict::Accepted,
            anomalies: ArrayVec::new(),
            analysis: crate::wireshark::Verdicts::default(),
            rewrite: None,
            uncertain: self.uncertain(),
        })
    }
}
