//! One endpoint's sequence variables (RFC 9293 3.3.1: ISN, SND.NXT,
//! RCV.NXT, the FIN's number, the window and its scale) and how segments
//! update them: [`Endpoint`], what the sender's own segment shows
//! (`update_sender`), what the receiver accepted in order
//! (`update_receiver`), and what an acknowledgment proves the sender has
//! or lacks (`ack_evidence`, `lack_evidence`).

use super::*;

/// One endpoint: its state and sequence variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Its address.
    pub addr: IpAddr,
    /// Its port.
    pub port: u16,
    /// Its RFC 9293 state.
    pub state: TcpState,
    /// How it began: as the active or the passive opener, or joined mid-stream.
    pub origin: Origin,
    // ---- as a sender: its own sequence space ----
    /// Base for relative sequence numbers: the ISN, or (joined mid-stream)
    /// one less than the first sequence number seen, as Wireshark does.
    pub base: Option<SeqNumber>,
    /// Initial send sequence number, from its SYN.
    pub isn: Option<SeqNumber>,
    /// The sequence number of the SYN that created the connection (known
    /// before the SYN is replayed).
    pub(super) isn_hint: Option<SeqNumber>,
    /// One past the highest sequence number it has sent (SND.NXT), as seen or
    /// as its peer's acknowledgments reveal.
    pub snd_nxt: Option<SeqNumber>,
    /// Sequence number of its FIN and the frame that first carried it.
    pub fin: Option<(SeqNumber, u64)>,
    /// Frame of its last FIN transmission.
    pub last_fin_frame: u64,
    /// When its FIN was first sent (capture clock).
    pub(super) first_fin_ts: i64,
    /// Whether its FIN has been acknowledged (ACK of FIN seq + 1).
    pub fin_acked: bool,
    /// Frame of its first SYN or SYN,ACK, and of its last transmission.
    pub syn_frame: Option<u64>,
    /// The frame of its last SYN (or SYN,ACK) transmission.
    pub last_syn_frame: u64,
    /// Whether its SYN has been acknowledged.
    pub syn_acked: bool,
    /// Window scale shift it offered on its SYN.
    pub wscale_offered: Option<u8>,
    /// Its receive window (RCV.WND) in sequence space, from its last segment:
    /// scaled when both SYNs negotiated a scale (RFC 7323 2.2), unknown when
    /// a SYN was not captured.
    pub rcv_wnd: u32,
    /// Whether any segment of it was seen.
    pub seen: bool,
    // ---- as a receiver: the peer's sequence space ----
    /// RCV.NXT: the next in-order sequence number it expects.
    pub rcv_nxt: Option<SeqNumber>,
    /// Whether it has processed the peer's FIN.
    pub peer_fin_processed: bool,
    /// The peer's FIN it holds behind a gap, waiting for the missing data.
    pub(super) held_fin: bool,
    /// Assumed receipts awaiting confirmation (SYN, FIN).
    pub(super) unconfirmed: ArrayVec<Unconfirmed, 2>,
    /// The state before it processed the peer's FIN, kept after confirmation
    /// in case its own FIN, sent earlier, is captured later.
    pub(super) fin_receipt: Option<Unconfirmed>,
    /// The last segment it received from the peer, and when.
    pub(super) last_receipt: Option<Receipt>,
    pub(super) last_receipt_ts: i64,
    /// Its SYN (or SYN,ACK) transmissions, first and last times.
    pub syn_count: u32,
    pub(super) first_syn_ts: i64,
    pub(super) last_syn_ts: i64,
    /// When it entered its current state (capture clock) and at which frame.
    pub state_since: i64,
    /// The frame at which it entered its current state.
    pub state_frame: u64,
    /// The highest acknowledgment it has sent.
    pub(super) max_ack_sent: Option<SeqNumber>,
    /// Its last pure acknowledgment (ACK, window) and how many times in a
    /// row it sent it: RFC 5681's duplicate ACKs.
    pub(super) last_pure_ack: Option<(SeqNumber, u16)>,
    pub(super) dup_acks: u8,
    /// Blocks of the peer's data it reported holding above RCV.NXT (its last
    /// SACK option, RFC 2018): RCV.NXT jumps over them when the hole below
    /// fills.
    pub(super) held: [(SeqNumber, SeqNumber); 4],
    pub(super) held_count: u8,
    /// A listening socket stands behind it (it accepted a connection from
    /// LISTEN): once its connection is gone, a new SYN goes to the listener.
    pub listener: bool,
    /// It is the previous incarnation's connection, carried into this one
    /// (a new SYN reached it while it was still synchronized): its sequence
    /// numbers belong to the old connection.
    pub(super) carried: bool,
    /// The peer's last FIN segment to reach it (frame, that segment's ACK),
    /// until it sends something: an RST <SEQ=that ACK> is its answer.
    pub(super) fin_in: Option<(u64, SeqNumber)>,
    /// When it entered TIME_WAIT.
    pub(super) time_wait_since: i64,
    /// The first frame of new data it received after sending its FIN (RFC
    /// 1122 4.2.2.13: a closed endpoint answers that with an RST).
    pub(super) data_after_close: Option<(u64, i64)>,
    /// The acknowledgment of the last segment it found unacceptable (an RST
    /// it sends with this sequence number is the RFC's reply, not an abort).
    pub(super) last_bad_ack: Option<SeqNumber>,
    /// The last receipt of the peer's SYN, SYN,ACK or FIN that moved it
    /// and that its own acknowledgment has not confirmed yet.
    pub(super) assumed: Option<Assumed>,
    // ---- timers ----
    /// When TIME_WAIT ends (2×MSL after entering it or the last FIN retransmission).
    pub(super) time_wait_deadline: Option<i64>,
    /// When an unanswered handshake gives up (R2 after its last SYN activity).
    pub(super) handshake_deadline: Option<i64>,
}

impl Endpoint {
    /// Moves the endpoint through the state machine ([`state::step`]): the
    /// one place its state is written.
    pub(super) fn take(&mut self, event: Event) -> state::Step {
        let step = state::step(self.state, self.origin, event);
        self.state = step.to;
        step
    }

    pub(super) fn new(addr: IpAddr, port: u16, state: TcpState, origin: Origin) -> Endpoint {
        Endpoint {
            addr,
            port,
            state,
            origin,
            base: None,
            isn: None,
            isn_hint: None,
            snd_nxt: None,
            fin: None,
            last_fin_frame: 0,
            first_fin_ts: 0,
            fin_acked: false,
            syn_frame: None,
            last_syn_frame: 0,
            syn_acked: false,
            wscale_offered: None,
            rcv_wnd: UNKNOWN_WINDOW,
            seen: false,
            rcv_nxt: None,
            peer_fin_processed: false,
            held_fin: false,
            unconfirmed: ArrayVec::new(),
            fin_receipt: None,
            last_receipt: None,
            last_receipt_ts: 0,
            syn_count: 0,
            first_syn_ts: 0,
            last_syn_ts: 0,
            state_since: 0,
            state_frame: 0,
            fin_in: None,
            max_ack_sent: None,
            last_pure_ack: None,
            dup_acks: 0,
            held: [(SeqNumber(0), SeqNumber(0)); 4],
            held_count: 0,
            listener: false,
            carried: false,
            time_wait_since: 0,
            data_after_close: None,
            last_bad_ack: None,
            assumed: None,
            time_wait_deadline: None,
            handshake_deadline: None,
        }
    }
}

impl Connection {
    /// Updates the sender's own sequence variables from its segment: a SYN
    /// (not one with FIN or RST) sets its ISN, a FIN (not on an RST) its
    /// FIN's number.
    pub(super) fn update_sender(&mut self, x: Role, s: &Seg, cfg: &Config) {
        let Seg {
            seg,
            frame,
            ts,
            seg_len,
            fin_seq,
            ..
        } = *s;
        let syn = s.syn && !s.rst && !s.syn_fin;
        let fin = s.fin && !s.rst;
        let negotiated = self.window_scale_negotiated();
        let handshake_seen = self.ep[0].isn.is_some() && self.ep[1].isn.is_some();
        let ex = &mut self.ep[x.index()];
        ex.seen = true;
        if syn {
            if ex.isn.is_none() {
                ex.isn = Some(seg.seg_seq());
                ex.syn_frame = Some(frame);
                ex.wscale_offered = seg.options.window_scale;
                ex.first_syn_ts = ts;
            }
            if ex.isn == Some(seg.seg_seq()) {
                ex.syn_count += 1;
                ex.last_syn_ts = ts;
                ex.last_syn_frame = frame;
            }
            // R2 counts from the last SYN transmission (RFC 9293 3.8.3).
            ex.arm_handshake(ts, cfg);
        }
        // RCV.WND as this endpoint advertises it. Windows on SYNs are never
        // scaled (RFC 7323 2.2).
        ex.rcv_wnd = if syn {
            u32::from(seg.window)
        } else if let Some(shift) = negotiated.then_some(ex.wscale_offered).flatten() {
            u32::from(seg.window) << shift.min(14)
        } else if handshake_seen {
            u32::from(seg.window)
        } else {
            UNKNOWN_WINDOW
        };
        if !seg.flags.contains(TcpFlags::RST) {
            let end = seg.seg_seq().add(seg_len);
            ex.snd_nxt = Some(ex.snd_nxt.map_or(end, |n| n.max(end)));
        }
        if fin {
            match ex.fin {
                Some((old, first)) if fin_seq.gt(old) => ex.fin = Some((fin_seq, first)),
                Some(_) => {}
                None => {
                    ex.fin = Some((fin_seq, frame));
                    ex.first_fin_ts = ts;
                }
            }
            ex.last_fin_frame = frame;
        }
    }

    /// Window scaling is in effect when both SYNs carried the option.
    pub(super) fn window_scale_negotiated(&self) -> bool {
        self.ep
            .iter()
            .all(|e| e.isn.is_some() && e.wscale_offered.is_some())
    }

    /// Reads the sender's acknowledgment `a` as evidence of what it has
    /// received: confirms or withdraws assumed receipts, delivers controls
    /// it shows arrived, and reveals data the capture did not see.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ack_evidence(
        &mut self,
        x: Role,
        a: SeqNumber,
        frame: u64,
        ts: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
        redeliver: &mut ArrayVec<(Control, u64), 2>,
    ) {
        let (xi, yi) = (x.index(), x.peer().index());
        let y = x.peer();
        if self.ep[xi].carried {
            return; // its ACKs are about the previous incarnation's numbers
        }
        if self.ep[xi].assumed.is_some_and(|u| a.ge(u.ack_end)) {
            self.ep[xi].assumed = None; // its own ACK confirms the receipt
        }
        // Assumed receipts: confirmed when the acknowledgment covers them.
        // A FIN's receipt is withdrawn when the acknowledgment covers
        // everything the receiver had before but not the FIN (the FIN had
        // not arrived when the segment was sent: they crossed); an older
        // acknowledgment is stale and proves nothing. A SYN's receipt is
        // withdrawn only by a bare SYN (see `process`): an acknowledgment
        // that misses the SYN is simply wrong (3.10.7.3), not evidence.
        let mut withdrawn: Option<Unconfirmed> = None;
        let mut kept: ArrayVec<Unconfirmed, 2> = ArrayVec::new();
        for u in std::mem::take(&mut self.ep[xi].unconfirmed) {
            let fresh = u.rcv_nxt_before.is_none_or(|r| a.ge(r));
            if a.ge(u.ack_end) {
                continue;
            } else if u.control == Control::Fin && (fresh || withdrawn.is_some()) {
                withdrawn.get_or_insert(u);
                let _ = redeliver.try_push((u.control, u.frame));
            } else {
                let _ = kept.try_push(u);
            }
        }
        self.ep[xi].unconfirmed = kept;
        if let Some(u) = withdrawn {
            self.revert(x, u, frame, out);
        }
        // RCV.NXT: x has received at least what it acknowledges.
        let ex = &mut self.ep[xi];
        match ex.rcv_nxt {
            Some(r) if a.gt(r) && a.since(r) < UNKNOWN_WINDOW => ex.rcv_nxt = Some(a),
            None => ex.rcv_nxt = Some(a),
            _ => {}
        }
        // A FIN held behind a gap is processed once x acknowledges it.
        if self.ep[xi].held_fin && self.ep[yi].fin.is_some_and(|(fs, _)| a.gt(fs)) {
            self.ep[xi].held_fin = false;
            self.receive_fin_late(x, frame, frame, ts, cfg, out, Basis::Inferred);
        }
        // The peer must have sent what x acknowledges.
        let prev_ack = self.ep[xi].max_ack_sent;
        self.ep[xi].max_ack_sent = Some(prev_ack.map_or(a, |p| p.max(a)));
        // An acknowledgment exactly one past everything x had acknowledged
        // and everything seen from y, from an endpoint that has sent its
        // FIN: that one sequence number is y's FIN, which the capture did not
        // show (a one-sided capture, or capture loss). y sent it; x got it.
        if let Some(p) = prev_ack {
            let nothing_new = self.ep[yi].snd_nxt.is_none_or(|n| n.le(p));
            if a == p.add(1)
                && nothing_new
                && self.ep[xi].fin.is_some()
                && self.ep[yi].fin.is_none()
            {
                let ey = &mut self.ep[yi];
                ey.fin = Some((p, frame));
                ey.last_fin_frame = frame;
                ey.snd_nxt = Some(a);
                self.apply(
                    y,
                    Event::SendFin,
                    Basis::Inferred,
                    frame,
                    ts,
                    cfg,
                    &mut out.transitions,
                );
                if self.ep[yi].peer_fin_processed {
                    // Sent after y had x's FIN, y's FIN acknowledged it.
                    self.ep[xi].fin_acked = true;
                }
                self.receive_fin_late(x, frame, frame, ts, cfg, out, Basis::Inferred);
            }
        }
        if let Some(n) = self.ep[yi].snd_nxt {
            if a.gt(n) && a.since(n) < UNKNOWN_WINDOW {
                self.ep[yi].snd_nxt = Some(a);
                let unseen = u64::from(a.since(n));
                self.flag(
                    Anomaly::new(AnomalyKind::AckOfUnseenData, frame, Some(x), [unseen, 0]),
                    Some(out),
                );
            }
        }
        let ey = &mut self.ep[yi];
        if ey.isn.is_some_and(|isn| a.gt(isn)) {
            if !ey.syn_acked && x == Role::Client && ey.syn_count == 1 {
                let c = &self.ep[xi];
                if c.syn_count == 1 && c.isn.is_some() {
                    self.rtt_ns = Some(ts.saturating_sub(c.first_syn_ts).max(0));
                }
            }
            let ey = &mut self.ep[yi];
            ey.syn_acked = true;
        }
        let ey = &mut self.ep[yi];
        // A FIN counts as acknowledged only by an ACK of FIN seq + 1.
        if ey.fin.is_some_and(|(fs, _)| a.gt(fs)) {
            ey.fin_acked = true;
        }
    }

    /// What `x`'s own acknowledgment shows it lacks. By default `x` is
    /// assumed to have got every segment the capture saw, but the capture
    /// may have seen segments that never reached it. Its ACK `a` below the
    /// assumed RCV.NXT says so when
    ///
    /// * it carries SACK blocks above `a` (RFC 2018 3: the receiver holds
    ///   those bytes and not the ones from `a` to the first block), or
    /// * it is the third duplicate ACK in a row (RFC 5681 3.2: a receiver
    ///   repeats its ACK for every segment that arrives above a hole; three
    ///   is the threshold at which the sender itself concludes a loss).
    ///
    /// Then RCV.NXT is really `a`: a retransmission carrying those bytes is
    /// new data for `x`, not an old duplicate. The SACKed blocks are kept
    /// so that RCV.NXT jumps over them once the hole fills. Not done once
    /// `x` has processed the peer's FIN (its withdrawal has its own rule).
    pub(super) fn lack_evidence(&mut self, x: Role, seg: &TcpSegment) {
        let ex = &mut self.ep[x.index()];
        let a = seg.seg_ack();
        let pure = seg.payload_len == 0
            && !seg
                .flags
                .intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST);
        if pure {
            if ex.last_pure_ack == Some((a, seg.window)) {
                ex.dup_acks = ex.dup_acks.saturating_add(1);
            } else {
                ex.last_pure_ack = Some((a, seg.window));
                ex.dup_acks = 0;
            }
        } else {
            ex.last_pure_ack = None;
            ex.dup_acks = 0;
        }
        let Some(r) = ex.rcv_nxt else { return };
        if ex.carried || ex.peer_fin_processed || !a.lt(r) {
            return;
        }
        // Blocks above the ACK (one at or below it is a D-SACK, RFC 2883,
        // reporting a duplicate: no hole) and not beyond what was assumed.
        let mut held = [(SeqNumber(0), SeqNumber(0)); 4];
        let mut n = 0usize;
        for &(le, re) in seg.options.sack() {
            let (le, re) = (SeqNumber(le), SeqNumber(re));
            if le.gt(a) && le.lt(re) && re.le(r) && n < held.len() {
                held[n] = (le, re);
                n += 1;
            }
        }
        if n == 0 && !(pure && ex.dup_acks >= 3) {
            return;
        }
        ex.rcv_nxt = Some(a);
        ex.held = held;
        ex.held_count = n as u8;
    }

    /// Advances the receiver's RCV.NXT over what it accepted in order.
    pub(super) fn update_receiver(
        &mut self,
        y: Role,
        seg: &TcpSegment,
        verdict: Verdict,
        syn: bool,
        rst: bool,
        seg_len: u32,
    ) {
        if rst || !matches!(verdict, Verdict::Accepted | Verdict::FinHeld) {
            return;
        }
        let ey = &mut self.ep[y.index()];
        let end = seg.seg_seq().add(seg_len);
        match ey.rcv_nxt {
            // The first segment seen from the peer (or its SYN) defines RCV.NXT.
            None => {
                ey.rcv_nxt = Some(if verdict == Verdict::FinHeld {
                    seg.seg_seq()
                } else {
                    end
                })
            }
            Some(_) if syn => ey.rcv_nxt = Some(end),
            Some(_) if verdict == Verdict::FinHeld => ey.held_fin = true,
            Some(r) if seg.seg_seq().le(r) => {
                let mut next = r.max(end);
                // Blocks it reported holding (SACK) that now join up.
                let mut joined = true;
                while joined {
                    joined = false;
                    for &(le, re) in &ey.held[..usize::from(ey.held_count)] {
                        if le.le(next) && re.gt(next) {
                            next = re;
                            joined = true;
                        }
                    }
                }
                ey.rcv_nxt = Some(next);
            }
            Some(_) => {}
        }
    }
}
