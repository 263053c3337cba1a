//! The acceptability judgement: whether the receiver would accept a
//! segment (RFC 9293 3.10.7, RFC 5961 for RSTs), and the event it causes.

use super::*;

impl Connection {
    /// Whether receiver `y` would accept the segment (RFC 9293 3.10.7), and
    /// the event it causes.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn judge(
        &self,
        y: Role,
        seg: &TcpSegment,
        syn: bool,
        ack: bool,
        fin: bool,
        rst: bool,
        seg_len: u32,
        fin_seq: u32,
    ) -> (Verdict, Option<Event>) {
        let (yi, xi) = (y.index(), y.peer().index());
        let ey = &self.ep[yi];
        let a = seg.ack;
        // SND.UNA < SEG.ACK =< SND.NXT for the receiver's SYN (an unknown ISN,
        // i.e. a SYN not captured, gets the benefit of the doubt).
        let acks_our_syn = ack
            && match (ey.isn, ey.snd_nxt) {
                (Some(isn), Some(nxt)) => seq_gt(a, isn) && seq_le(a, nxt),
                _ => true,
            };
        // A FIN counts as acknowledged only by an ACK of FIN seq + 1.
        let acks_our_fin = ack && ey.fin.is_some_and(|(fs, _)| seq_gt(a, fs));
        match ey.state {
            // RFC 9293 3.10.7.1: no connection. An RST is discarded, anything
            // else answered by an RST.
            TcpState::Closed => (
                if rst {
                    Verdict::Dropped
                } else {
                    Verdict::NoConnection
                },
                None,
            ),
            // RFC 9293 3.10.7.2: an RST is ignored, an ACK answered by an
            // RST, a SYN accepted, anything else dropped.
            TcpState::Listen => {
                if rst {
                    (Verdict::Dropped, None)
                } else if ack {
                    (Verdict::NoConnection, None)
                } else if syn {
                    (Verdict::Accepted, Some(Event::RecvSyn))
                } else {
                    (Verdict::Dropped, None)
                }
            }
            // RFC 9293 3.10.7.3: first the ACK, then the RST, then the SYN.
            TcpState::SynSent => {
                if ack && !acks_our_syn {
                    (
                        if rst {
                            Verdict::Dropped
                        } else {
                            Verdict::BadAck
                        },
                        None,
                    )
                } else if rst {
                    if ack {
                        (Verdict::Accepted, Some(Event::RecvRst))
                    } else {
                        (Verdict::Dropped, None)
                    }
                } else if syn && ack {
                    (
                        Verdict::Accepted,
                        Some(Event::RecvSynAck { acks_our_syn: true }),
                    )
                } else if syn {
                    (Verdict::Accepted, Some(Event::RecvSyn))
                } else {
                    (Verdict::Dropped, None)
                }
            }
            // RFC 9293 3.10.7.4: SYN-RECEIVED and the synchronized states.
            _ => {
                // RFC 5961 4.2 (adopted by 3.10.7.4, fourth check): a SYN in a
                // synchronized state draws a challenge ACK whatever its
                // sequence number, and changes nothing.
                if syn && !ack && !rst && ey.state.is_synchronized() {
                    return (Verdict::ChallengeAck, Some(Event::RecvSyn));
                }
                let Some(rcv_nxt) = ey.rcv_nxt else {
                    // Nothing known of the peer's sequence space (joined
                    // mid-stream): the first segment defines RCV.NXT.
                    return Self::judge_controls(
                        ey,
                        syn,
                        ack,
                        fin,
                        rst,
                        acks_our_syn,
                        acks_our_fin,
                        seg.seq,
                    );
                };
                // First, check sequence number. A segment starting exactly at
                // RCV.NXT is accepted even with a zero window ("special
                // allowance ... to accept valid ACKs, URGs, and RSTs").
                let wnd = ey.rcv_wnd;
                let in_wnd = |s: u32| seq_ge(s, rcv_nxt) && seq_lt(s, rcv_nxt.wrapping_add(wnd));
                let acceptable = seg.seq == rcv_nxt
                    || if seg_len == 0 {
                        wnd > 0 && in_wnd(seg.seq)
                    } else {
                        wnd > 0 && (in_wnd(seg.seq) || in_wnd(seg.seq.wrapping_add(seg_len - 1)))
                    };
                if !acceptable {
                    if rst {
                        return (Verdict::RstOutOfWindow, None);
                    }
                    // The peer's FIN again, already processed: the only thing
                    // that can arrive in TIME-WAIT; it is acknowledged and the
                    // timer restarted (eighth check), and its ACK counts.
                    let peer_fin = self.ep[xi].fin.map(|(s, _)| s);
                    if fin && !syn && ack && ey.peer_fin_processed && peer_fin == Some(fin_seq) {
                        return (
                            Verdict::Retransmission,
                            Some(Event::RecvFin {
                                acks_our_syn,
                                acks_our_fin,
                            }),
                        );
                    }
                    // Figure 7: in a simultaneous open the peer's SYN,ACK
                    // repeats the SYN SYN-RECEIVED already has; its ACK counts.
                    if syn
                        && ack
                        && ey.state == TcpState::SynReceived
                        && self.ep[xi].isn == Some(seg.seq)
                    {
                        return (
                            Verdict::Retransmission,
                            Some(Event::RecvSynAck { acks_our_syn }),
                        );
                    }
                    let old = seq_le(seg.seq.wrapping_add(seg_len), rcv_nxt);
                    return (
                        if old {
                            Verdict::OldDuplicate
                        } else {
                            Verdict::OutOfWindow
                        },
                        None,
                    );
                }
                if rst {
                    // Second, the RST: RFC 5961 3.2 resets only on an exact
                    // match with RCV.NXT; otherwise a challenge ACK.
                    return if seg.seq == rcv_nxt {
                        (Verdict::Accepted, Some(Event::RecvRst))
                    } else {
                        (Verdict::ChallengeAck, None)
                    };
                }
                Self::judge_controls(ey, syn, ack, fin, rst, acks_our_syn, acks_our_fin, seg.seq)
            }
        }
    }

    /// RFC 9293 3.10.7.4 after the sequence check: the SYN (fourth), ACK
    /// (fifth) and FIN (eighth) checks.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn judge_controls(
        ey: &Endpoint,
        syn: bool,
        ack: bool,
        fin: bool,
        rst: bool,
        acks_our_syn: bool,
        acks_our_fin: bool,
        seq: u32,
    ) -> (Verdict, Option<Event>) {
        if rst {
            return (Verdict::Accepted, Some(Event::RecvRst));
        }
        if syn {
            return if ack {
                (Verdict::Accepted, Some(Event::RecvSynAck { acks_our_syn }))
            } else {
                (Verdict::Accepted, Some(Event::RecvSyn))
            };
        }
        if !ack {
            return (Verdict::Dropped, None);
        }
        // Fifth check, SYN-RECEIVED: an ACK outside SND.UNA < SEG.ACK =<
        // SND.NXT is answered by <SEQ=SEG.ACK><CTL=RST> and dropped.
        if ey.state == TcpState::SynReceived && !acks_our_syn {
            return (Verdict::BadAck, None);
        }
        if fin {
            // A FIN is processed once everything before it has arrived.
            if ey.rcv_nxt.is_some_and(|r| seq_gt(seq, r)) {
                return (
                    Verdict::FinHeld,
                    Some(Event::RecvAck {
                        acks_our_syn,
                        acks_our_fin,
                    }),
                );
            }
            return (
                Verdict::Accepted,
                Some(Event::RecvFin {
                    acks_our_syn,
                    acks_our_fin,
                }),
            );
        }
        (
            Verdict::Accepted,
            Some(Event::RecvAck {
                acks_our_syn,
                acks_our_fin,
            }),
        )
    }
}
