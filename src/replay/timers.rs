//! The timers: TIME-WAIT's 2×MSL, the R2 limit on an unanswered
//! handshake, and the linger period after which a closed connection is
//! done.
//!
//! An endpoint runs at most one timer, and which one its state decides:
//! [`Endpoint::timer`] is the one place that says so. Each timer keeps its
//! own deadline while it is not live (an R2 deadline armed in SYN-RECEIVED
//! must still be there if a withdrawn receipt puts the endpoint back in
//! SYN-RECEIVED), so the endpoint stores the two deadlines and the enum
//! [`Timer`] is what runs.

use super::*;

/// The timer running for an endpoint, with its deadline (capture clock, ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// None: the endpoint's state has no timer (or none was armed).
    Idle,
    /// TIME-WAIT's 2×MSL (RFC 9293 3.10.7.4, restarted by a retransmitted FIN).
    TimeWait(i64),
    /// R2 for a SYN (RFC 9293 3.8.3): in SYN-SENT or SYN-RECEIVED, counted
    /// from the last SYN (or SYN,ACK) sent or received.
    Handshake(i64),
}

impl Timer {
    /// Its deadline, if it runs.
    pub const fn deadline(self) -> Option<i64> {
        match self {
            Timer::Idle => None,
            Timer::TimeWait(d) | Timer::Handshake(d) => Some(d),
        }
    }
    /// The timer if its deadline passes `keep`, else [`Timer::Idle`].
    pub fn filter(self, keep: impl FnOnce(i64) -> bool) -> Timer {
        match self.deadline() {
            Some(d) if keep(d) => self,
            _ => Timer::Idle,
        }
    }
    /// The event its expiry causes.
    const fn expiry(self) -> Option<Event> {
        match self {
            Timer::Idle => None,
            Timer::TimeWait(_) => Some(Event::TimeWaitTimeout),
            Timer::Handshake(_) => Some(Event::SynTimeout),
        }
    }
}

impl Endpoint {
    /// The timer that runs in the endpoint's state: the rule of which timer
    /// is live where, written once.
    pub fn timer(&self) -> Timer {
        let armed = match self.state {
            TcpState::TimeWait => self.time_wait_deadline.map(Timer::TimeWait),
            TcpState::SynSent | TcpState::SynReceived => {
                self.handshake_deadline.map(Timer::Handshake)
            }
            _ => None,
        };
        armed.unwrap_or(Timer::Idle)
    }

    /// Arms the timers a step from `from` to `to` on `event` starts at `ts`:
    /// entering TIME-WAIT starts 2×MSL, a retransmitted FIN received in
    /// TIME-WAIT restarts it (RFC 9293 3.10.7.4); any other state drops it.
    /// Entering SYN-RECEIVED starts R2.
    pub(super) fn arm_on_step(
        &mut self,
        from: TcpState,
        event: Event,
        to: TcpState,
        ts: i64,
        cfg: &Config,
    ) {
        if to == TcpState::TimeWait {
            if from != TcpState::TimeWait || matches!(event, Event::RecvFin { .. }) {
                self.time_wait_deadline = Some(ts.saturating_add(cfg.time_wait_ns()));
            }
        } else {
            self.time_wait_deadline = None;
        }
        if to == TcpState::SynReceived && from != TcpState::SynReceived {
            self.arm_handshake(ts, cfg);
        }
    }

    /// (Re)starts R2 at `ts`: a SYN sent (RFC 9293 3.8.3 counts from the
    /// last transmission), or a repeated SYN received in SYN-RECEIVED (it is
    /// answered by a repeated SYN,ACK).
    pub(super) fn arm_handshake(&mut self, ts: i64, cfg: &Config) {
        self.handshake_deadline = Some(ts.saturating_add(cfg.syn_timeout_ns));
    }

    /// Drops TIME-WAIT's timer (a receipt that led there is withdrawn).
    pub(super) fn disarm_time_wait(&mut self) {
        self.time_wait_deadline = None;
    }
}

impl Connection {
    /// Lets timers fire that expired by `now` (the timestamp of `frame`, or
    /// the end of the capture). Their transitions are reported on this
    /// connection's next segment.
    pub fn advance_clock(&mut self, now: i64, frame: u64, cfg: &Config) {
        let due = |ep: &Endpoint| ep.timer().deadline().is_some_and(|d| now >= d);
        if !self.ep.iter().any(due) {
            // The common case, on every segment: nothing to fire.
            return;
        }
        let mut buf: ArrayVec<Transition, MAX_TRANSITIONS> = ArrayVec::new();
        for role in [Role::Client, Role::Server] {
            // TIME-WAIT's timer first, then R2 in the state that left:
            // each fires at most once per call.
            for kind in [Event::TimeWaitTimeout, Event::SynTimeout] {
                let timer = self.ep[role.index()].timer();
                if let (Some(d), Some(ev)) = (timer.deadline(), timer.expiry()) {
                    if ev == kind && now >= d {
                        // The timer expired at its deadline; `frame` only shows it.
                        self.apply(role, ev, Basis::Timer, frame, d, cfg, &mut buf);
                    }
                }
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
            if let Some(t) = ep.timer().deadline() {
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
    }

    /// Whether the connection is over at `now`: both endpoints hold no
    /// connection and the linger period since its last segment has passed.
    pub fn is_done(&self, now: i64, cfg: &Config) -> bool {
        self.ep.iter().all(|e| e.state.is_terminal())
            && now >= self.last_clock.saturating_add(cfg.linger_ns())
    }

    /// Starts the outcome of a row at `frame`, before its segment: `out` is
    /// reset, then the timers due by the clock `now` fire, with their
    /// transitions and anomalies. The outcome is large (about 500 bytes):
    /// it is filled where the caller keeps it, never returned by value.
    #[inline(always)]
    pub(super) fn begin_row(
        &mut self,
        dir: Direction,
        frame: u64,
        now: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        *out = SegmentOutcome::blank(dir);
        out.state = self.state();
        self.advance_clock(now, frame, cfg);
        for t in self.pending.drain(..) {
            let _ = out.transitions.try_push(t);
        }
        for a in self.pending_anomalies.drain(..) {
            let _ = out.anomalies.try_push(a);
        }
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
            rewrite: None,
            uncertain: self.uncertain(),
        })
    }
}
