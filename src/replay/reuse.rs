//! A 4-tuple used again: what the new incarnation learns of the previous
//! one ([`ReuseInfo`]) and how the previous one ends.

use super::*;

/// The previous incarnation of a reused 4-tuple (see [`Connection::reuse_info`]).
#[derive(Clone, Debug)]
pub struct ReuseInfo {
    /// The new SYN's receiver in the previous incarnation, when it was still
    /// synchronized (and not in TIME-WAIT): its connection, not a new one,
    /// receives the SYN (RFC 9293 3.5.2 Figure 9; RFC 5961 4.2).
    pub carry: Option<Endpoint>,
    /// The frame of its last segment.
    pub last_frame: u64,
    /// Time since its last segment.
    pub idle_ms: u64,
    /// The endpoint (address, port) still in TIME_WAIT, and for how long.
    pub time_wait: Option<((IpAddr, u16), u64)>,
    /// SND.NXT of each endpoint, by (address, port).
    pub snd_nxt: [((IpAddr, u16), Option<SeqNumber>); 2],
}

impl Connection {
    /// What a new incarnation of this connection's 4-tuple needs to know
    /// about this one, at the clock `now` of the new SYN.
    pub fn reuse_info(&self, now: i64, receiver: (IpAddr, u16)) -> ReuseInfo {
        let tw = self.ep.iter().find(|e| e.state == TcpState::TimeWait);
        let carry = self
            .ep
            .iter()
            .find(|e| {
                (e.addr, e.port) == receiver
                    && e.state.is_synchronized()
                    && e.state != TcpState::TimeWait
            })
            .cloned();
        ReuseInfo {
            carry,
            last_frame: self.last_frame,
            idle_ms: (now.saturating_sub(self.last_clock).max(0) / 1_000_000) as u64,
            time_wait: tw.map(|e| {
                (
                    (e.addr, e.port),
                    (now.saturating_sub(e.time_wait_since).max(0) / 1_000_000) as u64,
                )
            }),
            snd_nxt: [
                ((self.ep[0].addr, self.ep[0].port), self.ep[0].snd_nxt),
                ((self.ep[1].addr, self.ep[1].port), self.ep[1].snd_nxt),
            ],
        }
    }

    /// Flags what the reuse of the 4-tuple shows, on the new incarnation's
    /// first frame: port-reuse, and time-wait-reuse if the previous one was
    /// still in TIME_WAIT (with whether the new ISN lies above the old
    /// sequence space, which RFC 6191 and RFC 1122 4.2.2.13 require for a
    /// TIME-WAIT endpoint to accept it).
    pub fn note_reuse(&mut self, prev: &ReuseInfo) {
        let f = self.first_frame;
        if let Some(old) = &prev.carry {
            let server = &mut self.ep[Role::Server.index()];
            if (old.addr, old.port) == (server.addr, server.port) {
                *server = old.clone();
                // Wireshark numbers the new stream afresh.
                server.base = None;
                server.carried = true;
                server.listener |= server.origin == Origin::Passive;
                self.initial_state[Role::Server.index()] = server.state;
            }
        }
        let a = match prev.time_wait {
            // The more specific kind: reuse while TIME_WAIT lasted.
            Some((holder, ms)) => {
                let client = (self.ep[0].addr, self.ep[0].port);
                let role = if holder == client {
                    Role::Client
                } else {
                    Role::Server
                };
                let old_space = prev
                    .snd_nxt
                    .iter()
                    .find(|(who, _)| *who == client)
                    .and_then(|(_, n)| *n);
                let above = match (self.ep[0].isn_hint, old_space) {
                    (Some(isn), Some(old)) => u64::from(isn.gt(old)),
                    _ => 0,
                };
                Anomaly::new(AnomalyKind::TimeWaitReuse, f, Some(role), [ms, above])
            }
            None => Anomaly::new(
                AnomalyKind::PortReuse,
                f,
                None,
                [prev.last_frame, prev.idle_ms],
            ),
        };
        self.flag(a, None);
        if self.pending_anomalies.len() < MAX_PENDING_ANOMALIES {
            self.pending_anomalies.push(a);
        }
    }

    /// Ends this incarnation because a new SYN reopened its 4-tuple: an
    /// endpoint in TIME_WAIT leaves it (RFC 1122 4.2.2.13, RFC 6191).
    pub fn reopened(&mut self, frame: u64, ts: i64, cfg: &Config) {
        self.advance_clock(ts, frame, cfg);
        let mut buf: ArrayVec<Transition, MAX_TRANSITIONS> = ArrayVec::new();
        for role in [Role::Client, Role::Server] {
            if self.ep[role.index()].state == TcpState::TimeWait {
                self.apply(
                    role,
                    Event::Reopened,
                    Basis::Received,
                    frame,
                    ts,
                    cfg,
                    &mut buf,
                );
            }
        }
        // No later segment of this incarnation will carry them: they make
        // a row of their own (see `take_event`).
        for t in buf {
            if self.pending.len() < MAX_PENDING {
                self.pending.push(t);
            }
        }
    }
}
