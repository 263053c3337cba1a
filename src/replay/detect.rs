//! The anomalies the replay flags, from one segment and from the whole
//! connection when it ends.

use super::*;

impl Connection {
    /// Anomalies of a segment the receiver has judged: `before` is the
    /// receiver's state before the segment, `verdict` what it made of it,
    /// and the connection as it stands now the state after.
    pub(super) fn detect_received(
        &mut self,
        x: Role,
        s: &Seg,
        before: TcpState,
        verdict: Verdict,
        out: &mut SegmentOutcome,
    ) {
        let y = x.peer();
        let (xi, yi) = (x.index(), y.index());
        let Seg {
            seg,
            frame,
            syn,
            ack,
            rst,
            ..
        } = *s;
        // The client's first SYN, on a connection the capture began with the
        // server's SYN,ACK: the two were captured in reverse order.
        let late_syn = syn
            && !ack
            && !rst
            && x == Role::Client
            && self.ep[xi].syn_count == 1
            && self.initial_state == [TcpState::SynSent, TcpState::Listen];
        if late_syn {
            let f = self.ep[yi].syn_frame.unwrap_or(0);
            self.flag_once(
                Anomaly::new(AnomalyKind::DirectionFlipped, frame, None, [f, 0]),
                Some(out),
            );
        } else if syn && !ack && !rst && before.is_synchronized() {
            let a = Anomaly::new(
                AnomalyKind::SynInEstablished,
                frame,
                Some(y),
                [u64::from(out.rel_seq), 0],
            );
            self.flag(a, Some(out));
        }
        if verdict == Verdict::BadAck {
            let expected = u64::from(self.ep[yi].isn.map_or(0, |i| i.add(1).0));
            let kind = match (before, syn) {
                (TcpState::SynSent, true) => AnomalyKind::SynAckWrongAck,
                (TcpState::SynReceived, _) => AnomalyKind::HandshakeNotSynchronized,
                _ => AnomalyKind::UnacceptableSegment,
            };
            let values = if kind == AnomalyKind::UnacceptableSegment {
                [u64::from(out.rel_seq), u64::from(out.rel_seq)]
            } else {
                [u64::from(seg.ack), expected]
            };
            self.flag(Anomaly::new(kind, frame, Some(y), values), Some(out));
        }
        self.detect_half_open(x, seg, frame, out);

        let unacceptable = match verdict {
            Verdict::OutOfWindow | Verdict::RstOutOfWindow => true,
            // A SYN's challenge ACK is reported as syn-in-established.
            Verdict::ChallengeAck => !syn,
            // An old duplicate is an ordinary retransmission unless it
            // carries a control bit the receiver has not processed.
            Verdict::OldDuplicate => rst,
            _ => false,
        };
        if unacceptable {
            let base = self.ep[xi].base.unwrap_or(SeqNumber(0));
            let expected = self.ep[yi].rcv_nxt.map_or(0, |r| r.since(base));
            let a = Anomaly::new(
                AnomalyKind::UnacceptableSegment,
                frame,
                Some(y),
                [u64::from(out.rel_seq), u64::from(expected)],
            );
            self.flag(a, Some(out));
        }
    }

    /// Anomalies that the sender's segment shows by itself, judged before it
    /// updates the sender's state.
    pub(super) fn detect_sent(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        frame: u64,
        now: i64,
        out: &mut SegmentOutcome,
    ) {
        let ex = &self.ep[x.index()];
        let (isn, syn_count, first_syn_ts, state, own_fin) =
            (ex.isn, ex.syn_count, ex.first_syn_ts, ex.state, ex.fin);
        let f = seg.flags;
        let (syn, ack, fin, rst) = (
            f.contains(TcpFlags::SYN),
            f.contains(TcpFlags::ACK),
            f.contains(TcpFlags::FIN),
            f.contains(TcpFlags::RST),
        );
        let len = seg.payload_len;
        let main_bits = TcpFlags::FIN
            | TcpFlags::SYN
            | TcpFlags::RST
            | TcpFlags::PSH
            | TcpFlags::ACK
            | TcpFlags::URG;
        // RFC 9293 3.1/3.10.7: SYN with FIN or RST, FIN with RST, no control
        // bit at all (the "null" segment), or every bit (the "Xmas" segment).
        let pairs = u8::from(syn) + u8::from(fin) + u8::from(rst);
        if pairs >= 2 || (f & main_bits).bits() == 0 {
            let a = Anomaly::new(
                AnomalyKind::InvalidFlags,
                frame,
                Some(x),
                [u64::from(f.bits()), 0],
            );
            self.flag(a, Some(out));
        }
        if rst && len > 0 {
            self.flag(
                Anomaly::new(
                    AnomalyKind::RstWithData,
                    frame,
                    Some(x),
                    [u64::from(len), 0],
                ),
                Some(out),
            );
        }
        if syn && !rst && len > 0 {
            self.flag(
                Anomaly::new(
                    AnomalyKind::SynWithData,
                    frame,
                    Some(x),
                    [u64::from(len), 0],
                ),
                Some(out),
            );
        }
        if syn && !ack && !rst && !fin && isn == Some(seg.seg_seq()) {
            let n = u64::from(syn_count) + 1;
            let ms = (now.saturating_sub(first_syn_ts).max(0) / 1_000_000) as u64;
            self.flag(
                Anomaly::new(AnomalyKind::SynRetransmitted, frame, Some(x), [n, ms]),
                Some(out),
            );
        }
        if len > 0 && !syn && !rst && state == TcpState::SynReceived {
            let a = Anomaly::new(
                AnomalyKind::DataBeforeEstablished,
                frame,
                Some(x),
                [u64::from(len), 0],
            );
            self.flag_once(a, Some(out));
        }
        if let Some((fs, ff)) = own_fin {
            let end = seg.seg_seq().add(len);
            if len > 0 && !rst && end.gt(fs) {
                let beyond = u64::from(end.since(fs).min(len));
                self.flag_once(
                    Anomaly::new(AnomalyKind::DataAfterFin, frame, Some(x), [beyond, ff]),
                    Some(out),
                );
            }
            if fin && !rst && state == TcpState::LastAck {
                self.flag_once(
                    Anomaly::new(
                        AnomalyKind::FinRetransmittedInLastAck,
                        frame,
                        Some(x),
                        [ff, 0],
                    ),
                    Some(out),
                );
            }
        }
        if let Some(r) = self.reset_frame {
            if len > 0 && !rst {
                self.flag_once(
                    Anomaly::new(
                        AnomalyKind::DataAfterRst,
                        frame,
                        Some(x),
                        [u64::from(len), r],
                    ),
                    Some(out),
                );
            }
        }
    }

    /// Half-open: the sender still believes the connection open and sends
    /// data while the peer no longer has it.
    pub(super) fn detect_half_open(
        &mut self,
        x: Role,
        seg: &TcpSegment,
        frame: u64,
        out: &mut SegmentOutcome,
    ) {
        let open = matches!(
            self.ep[x.index()].state,
            TcpState::Established | TcpState::CloseWait
        );
        let gone = self.ep[x.peer().index()].state.is_terminal();
        if !(open && gone) || seg.flags.contains(TcpFlags::RST) {
            return;
        }
        // Count every segment sent since the peer went away; report at the
        // first one carrying data (a lone ACK may just answer a challenge).
        let since = self.ep[x.peer().index()].state_frame;
        let n = match self.half_open {
            Some((s, n)) if s == since => n + 1,
            _ => 1,
        };
        self.half_open = Some((since, n));
        if seg.payload_len > 0 {
            self.flag_once(
                Anomaly::new(AnomalyKind::HalfOpen, frame, Some(x), [since, n]),
                Some(out),
            );
        }
    }

    pub(super) fn flag_simultaneous_open(&mut self, x: Role, frame: u64, out: &mut SegmentOutcome) {
        if !self
            .anomalies
            .iter()
            .any(|a| a.kind == AnomalyKind::SimultaneousOpen)
        {
            let own = self.ep[x.index()].syn_frame.unwrap_or(0);
            self.flag(
                Anomaly::new(AnomalyKind::SimultaneousOpen, frame, Some(x), [own, 0]),
                Some(out),
            );
        }
    }

    pub(super) fn flag_simultaneous_close(
        &mut self,
        x: Role,
        frame: u64,
        out: &mut SegmentOutcome,
    ) {
        if !self
            .anomalies
            .iter()
            .any(|a| a.kind == AnomalyKind::SimultaneousClose)
        {
            let own = self.ep[x.index()].fin.map_or(0, |(_, f)| f);
            self.flag(
                Anomaly::new(AnomalyKind::SimultaneousClose, frame, Some(x), [own, 0]),
                Some(out),
            );
        }
    }

    /// Ends the replay (the connection is done, was reopened, or the capture
    /// ended): lets timers expire against `now` and flags what only the whole
    /// connection shows.
    pub fn finish(&mut self, now: i64, frame: u64, cfg: &Config, at_end: bool) {
        if self.finished {
            return;
        }
        self.finished = true;
        // With a whole direction missing, what that direction would show
        // (acknowledgments, FINs) is unknown: those kinds are not reported.
        let one_sided = self.packets[0] == 0 || self.packets[1] == 0;
        if at_end && !one_sided {
            // Stuck: still in CLOSE_WAIT or LAST_ACK when the capture ended,
            // for `stuck_ns` at least. LAST_ACK waits for an ACK: it is stuck
            // only once that ACK was due, as for missing-final-ack.
            let ack_due = crate::anomaly::answer_due_ns(self.rtt_ns);
            for role in [Role::Client, Role::Server] {
                let ep = &self.ep[role.index()];
                let ms = now.saturating_sub(ep.state_since).max(0);
                let (kind, limit) = match ep.state {
                    TcpState::CloseWait => (AnomalyKind::StuckCloseWait, cfg.stuck_ns),
                    TcpState::LastAck => (AnomalyKind::StuckLastAck, cfg.stuck_ns.max(ack_due)),
                    _ => continue,
                };
                if ms < limit {
                    continue;
                }
                let ms = (ms / 1_000_000) as u64;
                let f = ep.state_frame;
                self.flag(Anomaly::new(kind, f, Some(role), [f, ms]), None);
            }
        }
        // What expires now is left for `take_event`.
        self.advance_clock(now, frame, cfg);
        if let Some((since, n)) = self.half_open {
            if let Some(a) = self
                .anomalies
                .iter_mut()
                .find(|a| a.kind == AnomalyKind::HalfOpen)
            {
                a.values = [since, n];
            }
        }
        // Whether an answer to a segment first sent at `first` was due
        // before the capture ended (see `answer_due_ns`): `None` if it was,
        // else how long the capture went on after it and when the answer
        // would have been due, both in ms. A connection finished before the
        // end of the capture (reopened, or done) was followed further.
        let due = crate::anomaly::answer_due_ns(self.rtt_ns);
        let cut_off = |first: i64, retransmitted: bool| -> Option<[u64; 2]> {
            let after = now.saturating_sub(first).max(0);
            (at_end && !retransmitted && after < due)
                .then_some([(after / 1_000_000) as u64, (due / 1_000_000) as u64])
        };
        let [c, s] = &self.ep;
        let (c_syn, s_syn) = (c.syn_frame, s.syn_frame);
        match self.outcome() {
            Outcome::Unanswered => {
                let (n, ms) = (
                    u64::from(c.syn_count),
                    ((c.last_syn_ts - c.first_syn_ts).max(0) / 1_000_000) as u64,
                );
                let f = c_syn.unwrap_or(self.first_frame);
                let a = match cut_off(c.first_syn_ts, c.syn_count > 1) {
                    Some(v) => {
                        Anomaly::new(AnomalyKind::UnansweredSynCutOff, f, Some(Role::Client), v)
                    }
                    None => {
                        Anomaly::new(AnomalyKind::UnansweredSyn, f, Some(Role::Client), [n, ms])
                    }
                };
                self.flag(a, None);
            }
            // Refused by an ICMP error: `icmp-unreachable` said so.
            Outcome::Refused if self.icmp_refused.is_some() && self.reset_by.is_none() => {}
            Outcome::Refused => {
                let f = self.reset_frame.unwrap_or(self.last_frame);
                let syn = c_syn.unwrap_or(self.first_frame);
                self.flag(
                    Anomaly::new(
                        AnomalyKind::ConnectionRefused,
                        f,
                        Some(Role::Client),
                        [syn, 0],
                    ),
                    None,
                );
            }
            Outcome::HalfClosed if !one_sided => {
                for role in [Role::Client, Role::Server] {
                    if let Some((_, ff)) = self.ep[role.index()].fin {
                        self.flag(
                            Anomaly::new(AnomalyKind::HalfClosed, ff, Some(role), [ff, 0]),
                            None,
                        );
                    }
                }
            }
            _ => {}
        }
        // The originator reset its own attempt before any SYN,ACK.
        if self.reset_by == Some(Role::Client) && c_syn.is_some() && s_syn.is_none() {
            let f = self.reset_frame.unwrap_or(self.last_frame);
            let syn = c_syn.unwrap_or(self.first_frame);
            self.flag(
                Anomaly::new(
                    AnomalyKind::HandshakeAborted,
                    f,
                    Some(Role::Client),
                    [syn, 0],
                ),
                None,
            );
        }
        // Only one direction captured (an unanswered SYN is reported as such).
        let outcome = self.outcome();
        // (an unanswered SYN is reported as such, one refused by an ICMP
        // error too: the answer came, just not in TCP).
        let icmp_answered = outcome == Outcome::Refused && self.icmp_refused.is_some();
        if (self.packets[0] == 0 || self.packets[1] == 0)
            && outcome != Outcome::Unanswered
            && !icmp_answered
        {
            let dir = u64::from(self.packets[0] == 0);
            let n = self.packets[0] + self.packets[1];
            self.flag(
                Anomaly::new(AnomalyKind::OneSided, self.first_frame, None, [n, dir]),
                None,
            );
        }
        if self.reset_by.is_none() && !one_sided {
            // missing-final-ack: a FIN never acknowledged in the capture.
            for role in [Role::Client, Role::Server] {
                let ep = &self.ep[role.index()];
                if let (Some((_, first)), false) = (ep.fin, ep.fin_acked) {
                    let f = ep.last_fin_frame;
                    let a = match cut_off(ep.first_fin_ts, f != first) {
                        Some(v) => {
                            Anomaly::new(AnomalyKind::MissingFinalAckCutOff, f, Some(role), v)
                        }
                        None => Anomaly::new(AnomalyKind::MissingFinalAck, f, Some(role), [f, 0]),
                    };
                    self.flag(a, None);
                }
            }
            // ... or a handshake whose third ACK never came.
            let s = &self.ep[Role::Server.index()];
            if let (Some(_), false, true) = (s.syn_frame, s.syn_acked, self.ep[0].isn.is_some()) {
                // The last transmission of the SYN,ACK, as for a FIN.
                let f = s.last_syn_frame;
                let a = match cut_off(s.first_syn_ts, s.syn_count > 1) {
                    Some([ms, due]) => Anomaly::new(
                        AnomalyKind::MissingFinalAckCutOff,
                        f,
                        Some(Role::Server),
                        [ms, due | crate::anomaly::CUT_OFF_SYN_ACK],
                    ),
                    None => {
                        Anomaly::new(AnomalyKind::MissingFinalAck, f, Some(Role::Server), [f, 1])
                    }
                };
                self.flag(a, None);
            }
        }
        self.anomalies.sort_by_key(|a| (a.frame, a.kind));
    }
}
