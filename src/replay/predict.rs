//! Header prediction: the segment nearly every connection is made of.
//!
//! Both endpoints are ESTABLISHED and the segment is an acknowledgment,
//! with or without data, that the receiver accepts: no SYN, FIN or RST, a
//! checksum not known to be bad, a sequence number in the receiver's
//! window, an acknowledgment of nothing the capture has not seen. RFC 9293
//! 3.10.2 and 3.10.7.4 ("the ACK updates the send window only"): such a
//! segment changes no state, only sequence variables. The phases of
//! [`Connection::process_into`] then reduce to what they change, which
//! [`Connection::predicted`] does without running the others (each would
//! look at the segment and find nothing to do). The idea, and the name,
//! are Van Jacobson's (BSD's `tcp_input`): take the common case first.
//!
//! [`Connection::predictable`] is the whole list of conditions, each named
//! by the phase that would otherwise act. No state is written: the send
//! and receive events leave ESTABLISHED where it is in
//! [`crate::state::step`] (the one place states are written; a test there
//! checks both arms), so they are not stepped. In builds with debug
//! assertions (the tests, the fuzz targets) every predicted segment is
//! replayed in full as well and the two results compared (see
//! `process_into`).

use super::accept;
use super::*;

impl Connection {
    /// Whether the segment `seg` from `x` is one [`Connection::predicted`]
    /// replays: everything the other phases look at says they have nothing
    /// to do.
    #[inline]
    pub(super) fn predictable(&self, x: Role, seg: &TcpSegment) -> bool {
        let f = seg.flags;
        // Phase 2: a bad checksum stops the replay; phases 2 to 7: every
        // control bit has rules of its own.
        if !f.contains(TcpFlags::ACK)
            || f.intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST)
            || seg.checksum == ChecksumStatus::Bad
        {
            return false;
        }
        let (ex, ey) = (&self.ep[x.index()], &self.ep[x.peer().index()]);
        let a = seg.seg_ack();
        // Both synchronized and open: no timer runs, no receipt of a FIN
        // (or data after one) to judge, no half-open peer.
        ex.state == TcpState::Established
            && ey.state == TcpState::Established
            && ex.fin.is_none()
            && ey.fin.is_none()
            // Phase 2: data after an RST is flagged.
            && self.reset_frame.is_none()
            // Phase 2: relative numbers start at the first segment seen.
            && ex.base.is_some()
            && ey.base.is_some()
            // Phase 3: a previous incarnation's ACKs prove nothing; an
            // assumed receipt of a SYN or FIN is confirmed or withdrawn.
            && !ex.carried
            && ex.unconfirmed.is_empty()
            // Phase 3: an ACK beyond what the peer was seen to send
            // reveals unseen data; one of the peer's SYN not yet
            // acknowledged gives the handshake's round-trip time.
            && ey.snd_nxt.is_none_or(|n| !a.gt(n))
            && (ey.isn.is_none() || ey.syn_acked)
            // Phase 6: the receiver accepts it (3.10.7.4, first check).
            && ey
                .rcv_nxt
                .is_none_or(|r| accept::acceptable(seg.seg_seq(), seg.seq_len, r, ey.rcv_wnd))
    }

    /// Replays a segment [`Connection::predictable`] accepted, after its
    /// row was begun: what phases 2 to 7 change for it, in their order.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn predicted(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        frame: u64,
        ts: i64,
        now: i64,
        cfg: &Config,
        out: &mut SegmentOutcome,
    ) {
        let y = x.peer();
        let (xi, yi) = (x.index(), y.index());
        // 2. Counters and clock; relative numbers (both bases are known).
        let ts = self.account(x, seg, frame, ts, now);
        let s = Seg::new(seg, frame, ts);
        let a = seg.seg_ack();
        if let (Some(bx), Some(by)) = (self.ep[xi].base, self.ep[yi].base) {
            out.rel_seq = seg.seg_seq().since(bx);
            out.rel_ack = a.since(by);
        }
        // 3. What the acknowledgment shows the sender has received
        //    (`ack_evidence`, with no receipt unconfirmed and nothing about
        //    the peer's SYN or FIN left to learn), and lacks.
        let ex = &mut self.ep[xi];
        if ex.assumed.is_some_and(|u| a.ge(u.ack_end)) {
            ex.assumed = None;
        }
        match ex.rcv_nxt {
            Some(r) if a.gt(r) && a.since(r) < UNKNOWN_WINDOW => ex.rcv_nxt = Some(a),
            None => ex.rcv_nxt = Some(a),
            _ => {}
        }
        ex.max_ack_sent = Some(ex.max_ack_sent.map_or(a, |p| p.max(a)));
        self.lack_evidence(x, seg);
        // 5. The send event: ESTABLISHED stays (`state::step`, 3.10.2), and
        //    stepping disarms TIME-WAIT's timer, as any state but TIME-WAIT
        //    does (`arm_on_step`).
        self.update_sender(x, &s, cfg);
        self.ep[xi].time_wait_deadline = None;
        // 6. The receiver accepts it: the receipt; the receive event, on
        //    which ESTABLISHED stays too (3.10.7.4, fifth check); RCV.NXT.
        out.verdict = Verdict::Accepted;
        let ey = &mut self.ep[yi];
        ey.last_receipt = Some(Receipt {
            frame,
            state_before: ey.state,
            origin_before: ey.origin,
            rcv_nxt_before: ey.rcv_nxt,
            wants_ack: seg.payload_len > 0,
            carried_data: seg.payload_len > 0,
        });
        ey.last_receipt_ts = ts;
        ey.time_wait_deadline = None;
        self.update_receiver(y, seg, Verdict::Accepted, false, false, s.seg_len);
        // 7. Nothing to flag; the states after.
        out.state = self.state();
        out.uncertain = self.uncertain();
    }
}
