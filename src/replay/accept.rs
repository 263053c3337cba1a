//! The acceptability judgement: whether the receiver would accept a segment
//! (RFC 9293 3.10.7, RFC 5961 for RSTs), and the receive event it causes.
//!
//! [`judge`] is a pure function of the receiver, what it knows of its peer
//! and the segment, in the style of [`crate::state::step`]: it changes
//! nothing, and each branch names the check of the RFC it applies. The
//! replay applies the event it returns through `step`.

use super::endpoint::Endpoint;
use super::outcome::Verdict;
use crate::decode::{TcpFlags, TcpSegment};
use crate::state::{Event, TcpState};
use crate::vocab::{Control, SeqNumber};

/// What the receiver makes of a segment: its verdict and, if it processes
/// anything, the receive event.
pub(super) type Judgement = (Verdict, Option<Event>);

/// What the segment's acknowledgment covers of the receiver's own sequence
/// space.
#[derive(Clone, Copy)]
struct Acks {
    /// The ACK bit is set.
    ack: bool,
    /// SND.UNA < SEG.ACK =< SND.NXT for the receiver's SYN (an unknown ISN,
    /// i.e. a SYN not captured, gets the benefit of the doubt).
    our_syn: bool,
    /// SEG.ACK covers the receiver's FIN: only an ACK of FIN seq + 1 does.
    our_fin: bool,
}

impl Acks {
    fn of(rcv: &Endpoint, seg: &TcpSegment) -> Acks {
        let ack = seg.flags.contains(TcpFlags::ACK);
        let a = seg.seg_ack();
        Acks {
            ack,
            our_syn: ack
                && match (rcv.isn, rcv.snd_nxt) {
                    (Some(isn), Some(nxt)) => a.gt(isn) && a.le(nxt),
                    _ => true,
                },
            our_fin: ack && rcv.fin.is_some_and(|(fs, _)| a.gt(fs)),
        }
    }
    fn recv_ack(self) -> Event {
        Event::RecvAck {
            acks_our_syn: self.our_syn,
            acks_our_fin: self.our_fin,
        }
    }
    fn recv_fin(self) -> Event {
        Event::RecvFin {
            acks_our_syn: self.our_syn,
            acks_our_fin: self.our_fin,
        }
    }
}

/// Whether `rcv` would accept `seg`, sent by `peer` (RFC 9293 3.10.7), and
/// the event it causes.
pub(super) fn judge(rcv: &Endpoint, peer: &Endpoint, seg: &TcpSegment) -> Judgement {
    let acks = Acks::of(rcv, seg);
    let c = seg.control;
    match rcv.state {
        // 3.10.7.1: no connection. An RST is discarded, anything else
        // answered by an RST.
        TcpState::Closed if c.is_rst() => (Verdict::Dropped, None),
        TcpState::Closed => (Verdict::NoConnection, None),
        TcpState::Listen => in_listen(c, acks),
        TcpState::SynSent => in_syn_sent(c, acks),
        _ => in_synchronized(rcv, peer, seg, acks),
    }
}

/// 3.10.7.2, LISTEN: an RST is ignored, an ACK answered by an RST, a SYN
/// accepted, anything else dropped. A SYN that carries a FIN is discarded
/// whole, as Linux does (see [`Control::SynFin`]).
fn in_listen(c: Control, acks: Acks) -> Judgement {
    match c {
        Control::SynFin | Control::Rst => (Verdict::Dropped, None),
        _ if acks.ack => (Verdict::NoConnection, None),
        Control::Syn => (Verdict::Accepted, Some(Event::RecvSyn)),
        _ => (Verdict::Dropped, None),
    }
}

/// 3.10.7.3, SYN-SENT: first the ACK, then the RST, then the SYN.
fn in_syn_sent(c: Control, acks: Acks) -> Judgement {
    if acks.ack && !acks.our_syn {
        // "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
        // the RST bit is set, if so drop the segment)".
        return match c {
            Control::Rst => (Verdict::Dropped, None),
            _ => (Verdict::BadAck, None),
        };
    }
    match c {
        Control::Rst if acks.ack => (Verdict::Accepted, Some(Event::RecvRst)),
        Control::Rst => (Verdict::Dropped, None),
        Control::Syn | Control::SynFin if acks.ack => (
            Verdict::Accepted,
            Some(Event::RecvSynAck { acks_our_syn: true }),
        ),
        Control::Syn | Control::SynFin => (Verdict::Accepted, Some(Event::RecvSyn)),
        _ => (Verdict::Dropped, None),
    }
}

/// 3.10.7.4: SYN-RECEIVED and the synchronized states.
fn in_synchronized(rcv: &Endpoint, peer: &Endpoint, seg: &TcpSegment, acks: Acks) -> Judgement {
    let c = seg.control;
    // RFC 5961 4.2 (adopted by 3.10.7.4, fourth check): a SYN in a
    // synchronized state draws a challenge ACK whatever its sequence
    // number, and changes nothing.
    if c.is_syn() && !acks.ack && rcv.state.is_synchronized() {
        return (Verdict::ChallengeAck, Some(Event::RecvSyn));
    }
    let Some(rcv_nxt) = rcv.rcv_nxt else {
        // Nothing known of the peer's sequence space (joined mid-stream):
        // the first segment defines RCV.NXT.
        return controls(rcv, seg, acks);
    };
    let seq = seg.seg_seq();
    if !acceptable(seq, seg.seq_len, rcv_nxt, rcv.rcv_wnd) {
        return unacceptable(rcv, peer, seg, rcv_nxt, acks);
    }
    if c.is_rst() {
        // Second, the RST: RFC 5961 3.2 resets only on an exact match with
        // RCV.NXT; otherwise a challenge ACK.
        return if seq == rcv_nxt {
            (Verdict::Accepted, Some(Event::RecvRst))
        } else {
            (Verdict::ChallengeAck, None)
        };
    }
    controls(rcv, seg, acks)
}

/// First check of 3.10.7.4: the sequence number. A segment starting exactly
/// at RCV.NXT is accepted even with a zero window ("special allowance ...
/// to accept valid ACKs, URGs, and RSTs"); otherwise its first or last
/// sequence number must lie in the window.
pub(super) fn acceptable(seq: SeqNumber, len: u32, rcv_nxt: SeqNumber, wnd: u32) -> bool {
    seq == rcv_nxt
        || (wnd > 0
            && (seq.in_window(rcv_nxt, wnd)
                || (len > 0 && seq.add(len - 1).in_window(rcv_nxt, wnd))))
}

/// A segment that fails the sequence check: an RST outside the window is
/// dropped silently, anything else is answered by an ACK and dropped, except
/// a repetition of a control the receiver already has, whose ACK counts.
fn unacceptable(
    rcv: &Endpoint,
    peer: &Endpoint,
    seg: &TcpSegment,
    rcv_nxt: SeqNumber,
    acks: Acks,
) -> Judgement {
    let c = seg.control;
    if c.is_rst() {
        return (Verdict::RstOutOfWindow, None);
    }
    let seq = seg.seg_seq();
    // The peer's FIN again, already processed: the only thing that can
    // arrive in TIME-WAIT; it is acknowledged and the timer restarted
    // (eighth check), and its ACK counts.
    let fin_seq = seq.add(seg.payload_len);
    let peer_fin = peer.fin.map(|(s, _)| s);
    if c.is_fin() && acks.ack && rcv.peer_fin_processed && peer_fin == Some(fin_seq) {
        return (Verdict::Retransmission, Some(acks.recv_fin()));
    }
    // Figure 7: in a simultaneous open the peer's SYN,ACK repeats the SYN
    // SYN-RECEIVED already has; its ACK counts.
    if c.is_syn() && acks.ack && rcv.state == TcpState::SynReceived && peer.isn == Some(seq) {
        return (
            Verdict::Retransmission,
            Some(Event::RecvSynAck {
                acks_our_syn: acks.our_syn,
            }),
        );
    }
    if seq.add(seg.seq_len).le(rcv_nxt) {
        (Verdict::OldDuplicate, None)
    } else {
        (Verdict::OutOfWindow, None)
    }
}

/// 3.10.7.4 after the sequence and RST checks: the SYN (fourth), ACK (fifth)
/// and FIN (eighth) checks.
fn controls(rcv: &Endpoint, seg: &TcpSegment, acks: Acks) -> Judgement {
    match seg.control {
        Control::Rst => (Verdict::Accepted, Some(Event::RecvRst)),
        Control::Syn | Control::SynFin if acks.ack => (
            Verdict::Accepted,
            Some(Event::RecvSynAck {
                acks_our_syn: acks.our_syn,
            }),
        ),
        Control::Syn | Control::SynFin => (Verdict::Accepted, Some(Event::RecvSyn)),
        _ if !acks.ack => (Verdict::Dropped, None),
        // Fifth check, SYN-RECEIVED: an ACK outside SND.UNA < SEG.ACK =<
        // SND.NXT is answered by <SEQ=SEG.ACK><CTL=RST> and dropped.
        _ if rcv.state == TcpState::SynReceived && !acks.our_syn => (Verdict::BadAck, None),
        // A FIN is processed once everything before it has arrived.
        Control::Fin if rcv.rcv_nxt.is_some_and(|r| seg.seg_seq().gt(r)) => {
            (Verdict::FinHeld, Some(acks.recv_ack()))
        }
        Control::Fin => (Verdict::Accepted, Some(acks.recv_fin())),
        Control::None => (Verdict::Accepted, Some(acks.recv_ack())),
    }
}
