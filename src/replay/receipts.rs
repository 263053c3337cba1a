//! The assumed-receipt log. By default a receiver is assumed to have got
//! what the capture saw; a receipt of a SYN or FIN is held as
//! *unconfirmed* until the receiver's own acknowledgment covers it
//! (confirm), and withdrawn when its own segment shows it had not arrived
//! (withdraw), to be delivered again later.

use super::*;

/// What an endpoint was before it received a segment from its peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Receipt {
    pub(super) frame: u64,
    pub(super) state_before: TcpState,
    pub(super) origin_before: Origin,
    pub(super) rcv_nxt_before: Option<SeqNumber>,
    /// Whether the segment carried a FIN or data (a live connection would
    /// acknowledge it).
    pub(super) wants_ack: bool,
    /// Whether it carried data.
    pub(super) carried_data: bool,
}

/// A receipt assumed but not yet confirmed by the receiver's acknowledgment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Unconfirmed {
    pub(super) control: Control,
    /// The acknowledgment that confirms it (SYN or FIN sequence number + 1).
    pub(super) ack_end: SeqNumber,
    pub(super) state_before: TcpState,
    pub(super) origin_before: Origin,
    pub(super) rcv_nxt_before: Option<SeqNumber>,
    /// The frame whose receipt was assumed.
    pub(super) frame: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Control {
    Syn,
    Fin,
}

/// What a receipt took in (a SYN or SYN,ACK; a FIN).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sent {
    Syn,
    Fin,
}

/// A receipt that moved an endpoint, not yet confirmed by its own
/// acknowledgment (see [`Connection::uncertain`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Assumed {
    pub(super) control: Sent,
    /// The acknowledgment that confirms it.
    pub(super) ack_end: SeqNumber,
    pub(super) frame: u64,
    pub(super) state_before: TcpState,
}

impl Connection {
    /// The endpoints whose state the capture cannot vouch for, each with
    /// the state it would be in otherwise.
    ///
    /// A receipt is assumed when the capture shows a segment sent; the
    /// receiver's own acknowledgment later confirms it. A state rests only
    /// on an assumed receipt when it was entered on receiving the peer's
    /// SYN, SYN,ACK or FIN, nothing has moved it since, and the receiver
    /// has acknowledged nothing that covers it. The capture holds evidence
    /// against that receipt when the peer then sends the same SYN, SYN,ACK
    /// or FIN again, as a sender does whose retransmission timer expired
    /// without an answer (RFC 9293 3.8.1, RFC 6298). The wire cannot tell
    /// a segment lost on its way to the receiver from an answer lost on its
    /// way back (testdata/real/11-unanswered-syn: the server was in
    /// SYN-RECEIVED, its SYN,ACKs dropped on the way out; a SYN dropped
    /// before the server's TCP looks the same): the state is shown with the
    /// alternative, the state before that receipt.
    pub fn uncertain(&self) -> [Option<TcpState>; 2] {
        let one = |e: usize| {
            let (ep, peer) = (&self.ep[e], &self.ep[e ^ 1]);
            let a = ep.assumed?;
            if ep.state_frame != a.frame || ep.state == a.state_before {
                return None;
            }
            let again = match a.control {
                Sent::Syn => peer.syn_count > 1 && peer.last_syn_frame > a.frame,
                Sent::Fin => peer.last_fin_frame > a.frame,
            };
            again.then_some(a.state_before)
        };
        [one(0), one(1)]
    }

    /// Withdraws the assumed receipt of the peer's `control` by `x`.
    pub(super) fn withdraw(
        &mut self,
        x: Role,
        control: Control,
        frame: u64,
        out: &mut SegmentOutcome,
        redeliver: &mut ArrayVec<(Control, u64), 2>,
    ) {
        let xi = x.index();
        if let Some(i) = self.ep[xi]
            .unconfirmed
            .iter()
            .position(|u| u.control == control)
        {
            let u = self.ep[xi].unconfirmed[i];
            for later in self.ep[xi].unconfirmed.drain(i..) {
                let _ = redeliver.try_push((later.control, later.frame));
            }
            self.revert(x, u, frame, out);
        }
    }

    /// Puts `x` back in the state it had before an assumed receipt.
    pub(super) fn revert(&mut self, x: Role, u: Unconfirmed, frame: u64, out: &mut SegmentOutcome) {
        let why = match u.control {
            Control::Syn => Withdrawal::SynNotArrived,
            Control::Fin => Withdrawal::FinNotArrived,
        };
        let ex = &mut self.ep[x.index()];
        if u.control == Control::Fin {
            ex.peer_fin_processed = false;
            ex.fin_receipt = None;
        }
        let r = Receipt {
            frame: u.frame,
            state_before: u.state_before,
            origin_before: u.origin_before,
            rcv_nxt_before: u.rcv_nxt_before,
            wants_ack: true,
            carried_data: false,
        };
        self.restore(x, r, frame, why, out);
    }

    /// Restores `x` to what it was before receipt `r` and records the
    /// withdrawal.
    pub(super) fn restore(
        &mut self,
        x: Role,
        r: Receipt,
        frame: u64,
        why: Withdrawal,
        out: &mut SegmentOutcome,
    ) {
        let ex = &mut self.ep[x.index()];
        let from = ex.state;
        let rule = ex
            .take(Event::Withdrawn {
                to: r.state_before,
                why,
            })
            .rule;
        ex.origin = r.origin_before;
        ex.rcv_nxt = r.rcv_nxt_before;
        ex.disarm_time_wait();
        out.rewrite = Some(Rewrite {
            frame: r.frame,
            endpoint: x,
            replace: true,
        });
        if from != r.state_before {
            let t = Transition {
                endpoint: x,
                from,
                to: r.state_before,
                basis: Basis::Revised,
                rule,
                frame,
                ts: self.last_ts,
            };
            // The row shows the revision; the lifecycle forgets what it
            // withdraws, so that it tells what really happened.
            let _ = out.transitions.try_push(t);
            self.revisions = self.revisions.saturating_add(1);
            self.lifecycle
                .retain(|t| !(t.endpoint == x && t.frame >= r.frame));
        }
    }

    /// Delivers to `x` the peer's SYN or FIN again (after withdrawing its
    /// assumed receipt). `orig` is the frame that carried it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn deliver(
        &mut self,
        x: Role,
        c: Control,
        frame: u64,
        orig: u64,
        ts: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        match c {
            Control::Syn => {
                self.apply(
                    x,
                    Event::RecvSyn,
                    Basis::Received,
                    frame,
                    ts,
                    cfg,
                    &mut out.transitions,
                );
                if let Some(isn) = self.ep[yi].isn {
                    let ex = &mut self.ep[xi];
                    let next = isn.add(1);
                    ex.rcv_nxt = Some(ex.rcv_nxt.map_or(next, |r| r.max(next)));
                }
            }
            Control::Fin => self.receive_fin_late(x, frame, orig, ts, cfg, out, Basis::Received),
        }
    }

    /// `x` processes the peer's FIN now (it was held behind a gap or in flight).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn receive_fin_late(
        &mut self,
        x: Role,
        frame: u64,
        fin_frame: u64,
        ts: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
        basis: Basis,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        if self.ep[xi].peer_fin_processed {
            return;
        }
        let ev = Event::RecvFin {
            acks_our_syn: self.ep[xi].syn_acked || self.ep[xi].isn.is_none(),
            acks_our_fin: self.ep[xi].fin_acked,
        };
        let before = self.ep[xi].state;
        let step = self.apply(x, ev, basis, frame, ts, cfg, &mut out.transitions);
        self.ep[xi].peer_fin_processed = true;
        if let Some((fs, _)) = self.ep[yi].fin {
            let ex = &mut self.ep[xi];
            let next = fs.add(1);
            ex.rcv_nxt = Some(ex.rcv_nxt.map_or(next, |r| r.max(next)));
        }
        if before == TcpState::FinWait1 && step.to == TcpState::Closing {
            self.flag_simultaneous_close(x, fin_frame, out);
        }
    }

    /// Bookkeeping after a receive event: unconfirmed receipts, anomalies.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn after_receive(
        &mut self,
        y: Role,
        ev: Event,
        (before, origin_before, rcv_before): (TcpState, Origin, Option<SeqNumber>),
        after: TcpState,
        seg: &TcpSegment,
        frame: u64,
        out: &mut SegmentOutcome,
    ) {
        let yi = y.index();
        let unconfirmed = |control, ack_end| Unconfirmed {
            control,
            ack_end,
            state_before: before,
            origin_before,
            rcv_nxt_before: rcv_before,
            frame,
        };
        match ev {
            Event::RecvSyn => {
                if before == TcpState::SynSent && after == TcpState::SynReceived {
                    self.flag_simultaneous_open(y, frame, out);
                }
                if before == TcpState::Listen && after == TcpState::SynReceived {
                    self.ep[yi].listener = true;
                }
                if after != before {
                    let u = unconfirmed(Control::Syn, seg.seg_seq().add(1));
                    let _ = self.ep[yi].unconfirmed.try_push(u);
                }
            }
            Event::RecvFin { .. } if !self.ep[yi].peer_fin_processed => {
                self.ep[yi].peer_fin_processed = true;
                if after != before {
                    let end = self.ep[y.peer().index()]
                        .fin
                        .map_or(seg.seg_seq(), |(s, _)| s.add(1));
                    let u = unconfirmed(Control::Fin, end);
                    let _ = self.ep[yi].unconfirmed.try_push(u);
                    self.ep[yi].fin_receipt = Some(u);
                }
                if before == TcpState::FinWait1 && after == TcpState::Closing {
                    self.flag_simultaneous_close(y, frame, out);
                }
            }
            Event::RecvRst => {
                if before == TcpState::TimeWait {
                    let since = self.ep[yi].time_wait_since;
                    let ms = (self.last_clock.saturating_sub(since).max(0) / 1_000_000) as u64;
                    self.flag(
                        Anomaly::new(AnomalyKind::TimeWaitAssassination, frame, Some(y), [ms, 0]),
                        Some(out),
                    );
                }
                // (Only when its SYN,ACK was seen: otherwise SYN_RECEIVED was
                // only assumed, and the originator's own abort is reported
                // as handshake-aborted.)
                if before == TcpState::SynReceived && self.ep[yi].syn_frame.is_some() {
                    let rel = u64::from(out.rel_seq);
                    self.flag(
                        Anomaly::new(AnomalyKind::RstInSynReceived, frame, Some(y), [rel, 0]),
                        Some(out),
                    );
                }
                if self.reset_by.is_none() && after != before {
                    self.reset_by = Some(y.peer());
                    self.reset_frame = Some(frame);
                }
            }
            _ => {}
        }
    }
}
