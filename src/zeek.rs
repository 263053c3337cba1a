//! Zeek's view of a connection: the `conn.log` row(s) Zeek would write for
//! it, with `conn_state`, `history` and `missed_bytes`, computed by the rules
//! of Zeek's TCP analyzer (restated here, not copied).
//!
//! The tracker calls [`Zeek::segment`] (through [`crate::analyzers`]) for
//! every segment of a connection, in frame order. Zeek's own logic is kept whole, because it differs from ours:
//!
//! * **Roles.** Zeek's originator is the sender of the first packet it saw,
//!   not necessarily our client. It swaps the roles (history `^`) when a
//!   connection that began with a SYN,ACK continues with an ACK or data (the
//!   SYN was missed), or when the SYN arrives after the SYN,ACK. (Zeek's
//!   port heuristic, `likely_server_ports`, is empty in bare mode and not
//!   applied.)
//! * **Endpoint states.** Each side is INACTIVE, SYN_SENT, SYN_ACK_SENT,
//!   PARTIAL (seen without a SYN), ESTABLISHED, CLOSED (sent a FIN) or RESET
//!   (sent an RST), moved by what that side *sends*; `conn_state` is decided
//!   from the final pair ([`ConnState`]).
//! * **History.** One letter per event, upper case for the originator:
//!   `s` SYN, `h` SYN,ACK, `a` pure ACK, `d` data, `f` FIN, `r` RST, `i`
//!   FIN+RST, `q` other multi-flag (SYN+FIN, SYN+RST), `c` bad checksum, `t`
//!   retransmitted payload, `w` zero window, `g` content gap, `^` flip.
//!   `a d i q` are recorded once per side; `s h f r` again only when the
//!   relative sequence number differs from the last one recorded (a SYN
//!   re-bases its sender's numbering, so in practice `s` and `h` repeat only
//!   after the sender closed); `c t w g` when their count reaches 1, 10,
//!   100, ...
//! * **Sizes.** `orig_bytes`/`resp_bytes` come from sequence space (highest
//!   sequence number seen or acknowledged), not from counted payload;
//!   `missed_bytes` are acknowledged bytes that were never captured (content
//!   gaps), counted only while both sides are established or closed from
//!   established.
//! * **Checksums.** A segment with a bad checksum (only known with
//!   `--verify-checksums`; decode's [`ChecksumStatus::Bad`]) adds the `c`
//!   letter and is otherwise ignored, as Zeek does; without verification we
//!   behave like `zeek -C`. Decode has one status for the IPv4 header and
//!   TCP checksums; Zeek drops a packet with a bad IPv4 header checksum
//!   before TCP sees it (no `c`), which is not distinguished here.
//! * **Splitting.** Zeek removes a connection on timers (an unanswered SYN
//!   after 5 s, 5 s after both sides closed or one reset, 5 min of
//!   inactivity, ...) and on a SYN that reuses the 4-tuple; a later packet
//!   then starts a new connection. So one of our connections can be several
//!   Zeek connections ([`Zeek::rows`]). Zeek's clock is the latest packet
//!   time of the whole capture; here timers are judged when this
//!   connection's next segment comes, against the replay's capture clock
//!   (robust to absurd timestamps, which Zeek is not), and a timer is taken
//!   to run at its due time.
//!
//! Not modelled: Zeek's port heuristic above; the timers Zeek sets only for
//! script event handlers (`connection_reset`, `connection_partial_close`);
//! the `x` letter (analysis given up); options other than the defaults
//! (`report_gaps_for_partial` off, no VLAN in connection keys); protocol
//! detection (conn.log's `service`).

use crate::decode::{ChecksumStatus, TcpFlags, TcpSegment};
use crate::vocab::SeqNumber;
use arrayvec::ArrayVec;
use std::fmt;
use std::net::IpAddr;

mod frozen;
mod history;
mod reassembly;
mod record;
mod state;
mod timers;

pub use record::ZeekRecord;
pub use state::{ConnState, EndpointState};
use timers::Timer;
#[cfg(test)]
mod tests;

use reassembly::{
    EXCESSIVE_DATA_WITHOUT_ACKS, Gaps, MAX_ABOVE_HOLE_WITHOUT_ACKS, MAX_INITIAL_WINDOW, Reassembler,
};

const NS: i64 = 1_000_000_000;
// Zeek's defaults (init-bare.zeek).
const TCP_SYN_TIMEOUT: i64 = 5 * NS;
const TCP_SESSION_TIMER: i64 = 6 * NS;
const TCP_CONNECTION_LINGER: i64 = 5 * NS;
const TCP_ATTEMPT_DELAY: i64 = 5 * NS;
const TCP_CLOSE_DELAY: i64 = 5 * NS;
const TCP_INACTIVITY_TIMEOUT: i64 = 300 * NS;
/// The inactivity timeout of a TCP connection still in its handshake.
const UDP_INACTIVITY_TIMEOUT: i64 = 60 * NS;
/// A SYN or RST whose sequence number jumps further is not trusted.
const TOO_LARGE_SEQ_DELTA: i32 = 1_048_576;
/// Zeek's `report_gaps_for_partial` (default F).
const REPORT_GAPS_FOR_PARTIAL: bool = false;

// History bits, one per letter kind; the responder's are shifted by 16.

/// A logarithmically recorded event: its letter is added when the count
/// reaches 1, 10, 100, ...
#[derive(Clone, Copy, Debug)]
struct Scaled {
    count: u32,
    threshold: u32,
}

impl Default for Scaled {
    fn default() -> Scaled {
        Scaled {
            count: 0,
            threshold: 1,
        }
    }
}

impl Scaled {
    /// Counts one event; true when its letter is due.
    fn hit(&mut self) -> bool {
        self.count = self.count.wrapping_add(1);
        if self.count != self.threshold {
            return false;
        }
        let next = self.threshold.wrapping_mul(10);
        if next <= self.threshold {
            self.count = 0; // wrapped: keep the threshold
        } else {
            self.threshold = next;
        }
        true
    }
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Checksum,
    Retransmission,
    ZeroWindow,
    Gap,
}

/// One side of a Zeek connection.
#[derive(Clone, Debug)]
struct Endpoint {
    addr: IpAddr,
    port: u16,
    state: EndpointState,
    prev_state: EndpointState,
    /// Sequence number before the first byte (the ISN, or one less than the
    /// first sequence number seen); always a 32-bit value.
    start_seq: i64,
    last_seq: u32,
    ack_seq: u32,
    seq_wraps: u32,
    ack_wraps: u32,
    fin_cnt: u32,
    /// Relative sequence number just past the FIN.
    fin_seq: u64,
    did_close: bool,
    hist_last_syn: u64,
    hist_last_fin: u64,
    hist_last_rst: u64,
    events: [Scaled; 4],
    /// Sent at least one processed segment.
    done_something: bool,
    pkts: u64,
    ip_bytes: u64,
    reasm: Reassembler,
}

impl Endpoint {
    fn new(addr: IpAddr, port: u16) -> Endpoint {
        Endpoint {
            addr,
            port,
            state: EndpointState::Inactive,
            prev_state: EndpointState::Inactive,
            start_seq: 0,
            last_seq: 0,
            ack_seq: 0,
            seq_wraps: 0,
            ack_wraps: 0,
            fin_cnt: 0,
            fin_seq: 0,
            did_close: false,
            hist_last_syn: 0,
            hist_last_fin: 0,
            hist_last_rst: 0,
            events: [Scaled::default(); 4],
            done_something: false,
            pkts: 0,
            ip_bytes: 0,
            reasm: Reassembler::default(),
        }
    }

    fn start32(&self) -> u32 {
        self.start_seq as u32
    }

    fn full(seq: u32, wraps: u32) -> u64 {
        (u64::from(wraps) << 32) + u64::from(seq)
    }

    /// Nothing but (at most) the SYN acknowledged.
    fn no_data_acked(&self) -> bool {
        let ack = Self::full(self.ack_seq, self.ack_wraps);
        let start = self.start_seq as u64;
        ack == start || ack == start.wrapping_add(1)
    }

    fn reinit(&mut self, start: u32, last: u32) {
        self.start_seq = i64::from(start);
        self.ack_seq = start;
        self.last_seq = last;
    }

    fn update_last_seq(&mut self, seq: u32) {
        if seq < self.last_seq {
            self.seq_wraps += 1;
        }
        self.last_seq = seq;
    }

    fn update_ack_seq(&mut self, seq: u32) {
        if seq < self.ack_seq {
            self.ack_wraps += 1;
        }
        self.ack_seq = seq;
    }
}

/// Sequence-number difference `a - b` (32-bit, signed).
fn seq_delta(a: u32, b: u32) -> i32 {
    SeqNumber(a).delta(SeqNumber(b))
}

/// `cur` relative to `start_seq`, following 32-bit wraps from `last`;
/// `true` when it lies before the start.
fn relative(start_seq: i64, cur: u32, last: u32, mut wraps: u32) -> (u64, bool) {
    let delta = seq_delta(cur, last);
    if delta < 0 {
        if wraps != 0 && cur > last {
            wraps -= 1;
        }
    } else if delta > 0 && cur < last {
        wraps += 1;
    }
    if wraps == 0 {
        let d = seq_delta(cur, start_seq as u32);
        return (d as i64 as u64, d < 0);
    }
    (
        Endpoint::full(cur, wraps).wrapping_sub(start_seq as u64),
        false,
    )
}

const ORIG_SEEN: u8 = 1;
const RESP_SEEN: u8 = 2;

/// One connection as Zeek tracks it: one `conn.log` row.
#[derive(Clone, Debug)]
pub struct ZeekConn {
    /// Indexed by sender of the first packet (0) and its peer (1).
    ep: [Endpoint; 2],
    /// Which of `ep` is the originator.
    orig: usize,
    start_ns: i64,
    last_ns: i64,
    /// The capture clock at `last_ns` (what timers count from).
    last_active: i64,
    first_frame: u64,
    last_frame: u64,
    history: String,
    hist_seen: u32,
    missed_bytes: u64,
    is_partial: bool,
    first_packet_seen: u8,
    is_active: bool,
    close_deferred: bool,
    deferred_gen_event: bool,
    inactivity_timeout: i64,
    /// When the inactivity timer is next checked.
    inactivity_at: i64,
    /// Pending timers: at most the constructor's Expire, an Attempt and a
    /// close's Expire, or a Delete alone.
    timers: ArrayVec<(i64, Timer), 4>,
    /// The packet being processed (for timers set during it).
    now: i64,
}

impl ZeekConn {
    fn new(seg: &TcpSegment, frame: u64, ts: i64, now: i64) -> ZeekConn {
        ZeekConn {
            ep: [
                Endpoint::new(seg.src, seg.src_port),
                Endpoint::new(seg.dst, seg.dst_port),
            ],
            orig: 0,
            start_ns: ts,
            last_ns: ts,
            last_active: now,
            first_frame: frame,
            last_frame: frame,
            history: String::new(),
            hist_seen: 0,
            missed_bytes: 0,
            is_partial: false,
            first_packet_seen: 0,
            is_active: true,
            close_deferred: false,
            deferred_gen_event: false,
            inactivity_timeout: UDP_INACTIVITY_TIMEOUT,
            inactivity_at: now.saturating_add(UDP_INACTIVITY_TIMEOUT),
            timers: [(now.saturating_add(TCP_SYN_TIMEOUT), Timer::Expire)]
                .into_iter()
                .collect(),
            now,
        }
    }

    // ---- the row ----

    fn o(&self) -> &Endpoint {
        &self.ep[self.orig]
    }
    fn r(&self) -> &Endpoint {
        &self.ep[self.orig ^ 1]
    }

    /// The originator's address and port (`id.orig_h`, `id.orig_p`).
    pub fn orig(&self) -> (IpAddr, u16) {
        (self.o().addr, self.o().port)
    }
    /// The responder's address and port.
    pub fn resp(&self) -> (IpAddr, u16) {
        (self.r().addr, self.r().port)
    }
    /// `ts`: the first packet's timestamp (ns).
    pub fn start_ns(&self) -> i64 {
        self.start_ns
    }
    /// `duration` (ns): to the last packet before both sides had closed.
    pub fn duration_ns(&self) -> i64 {
        self.last_ns - self.start_ns
    }
    /// The frame of its first packet.
    pub fn first_frame(&self) -> u64 {
        self.first_frame
    }
    /// The frame of its last packet.
    pub fn last_frame(&self) -> u64 {
        self.last_frame
    }
    /// `history`.
    pub fn history(&self) -> &str {
        &self.history
    }
    /// `missed_bytes`.
    pub fn missed_bytes(&self) -> u64 {
        self.missed_bytes
    }
    /// `orig_bytes`: payload bytes by sequence space.
    pub fn orig_bytes(&self) -> u64 {
        self.size(self.orig)
    }
    /// `resp_bytes`.
    pub fn resp_bytes(&self) -> u64 {
        self.size(self.orig ^ 1)
    }
    /// `orig_pkts`, `orig_ip_bytes`.
    pub fn orig_packets(&self) -> (u64, u64) {
        (self.o().pkts, self.o().ip_bytes)
    }
    /// `resp_pkts`, `resp_ip_bytes`.
    pub fn resp_packets(&self) -> (u64, u64) {
        (self.r().pkts, self.r().ip_bytes)
    }
    /// The final endpoint states (originator, responder).
    pub fn states(&self) -> (EndpointState, EndpointState) {
        (self.o().state, self.r().state)
    }

    /// Payload size of endpoint `e` in sequence space (Zeek's
    /// `TCP_Endpoint::Size`).
    fn size(&self, e: usize) -> u64 {
        let ep = &self.ep[e];
        let peer = &self.ep[e ^ 1];
        if ep.prev_state == EndpointState::SynSent
            && ep.state == EndpointState::Reset
            && peer.state == EndpointState::Inactive
            && !ep.no_data_acked()
        {
            // A half-open connection found and aborted.
            return 0;
        }
        let last = Endpoint::full(ep.last_seq, ep.seq_wraps);
        let ack = Endpoint::full(ep.ack_seq, ep.ack_wraps);
        // Less the SYN (or the one before the first number seen), and the FIN.
        let mut size = last
            .max(ack)
            .wrapping_sub(ep.start_seq as u64)
            .saturating_sub(1);
        if ep.fin_cnt > 0 && size != 0 {
            size -= 1;
        }
        size
    }

    // ---- history ----

    fn is_orig(&self, e: usize) -> bool {
        e == self.orig
    }

    fn set_state(&mut self, e: usize, new: EndpointState) {
        let old = self.ep[e].state;
        if new == old {
            return;
        }
        if !new.in_handshake() && old.in_handshake() && self.ep[e ^ 1].state.in_handshake() {
            // The handshake is over: the TCP inactivity timeout applies,
            // counted from the connection's last activity.
            if self.inactivity_timeout != TCP_INACTIVITY_TIMEOUT {
                self.inactivity_timeout = TCP_INACTIVITY_TIMEOUT;
                self.inactivity_at = self.last_active.saturating_add(TCP_INACTIVITY_TIMEOUT);
            }
        }
        let ep = &mut self.ep[e];
        ep.prev_state = old;
        ep.state = new;
    }

    fn set_partial_status(&mut self, f: TcpFlags, is_orig: bool) {
        let syn = f.contains(TcpFlags::SYN);
        if is_orig {
            if self.first_packet_seen & ORIG_SEEN == 0 {
                self.is_partial = !syn || f.contains(TcpFlags::ACK);
            }
        } else if self.first_packet_seen & RESP_SEEN == 0 && !self.is_partial {
            self.is_partial = !syn;
        }
    }

    // ---- one packet ----

    /// A packet of this connection; `e` is its sender.
    fn packet(&mut self, seg: &TcpSegment, frame: u64, ts: i64, now: i64) {
        self.last_frame = frame;
        self.now = now;
        let e = usize::from(!(seg.src == self.ep[0].addr && seg.src_port == self.ep[0].port));
        if seg.checksum == ChecksumStatus::Bad {
            // Counted as a checksum error, otherwise ignored.
            self.event(e, Event::Checksum);
            return;
        }
        let f = seg.flags;
        let controls = f.intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST);
        if self.history == "H" && !controls && (seg.payload_len > 0 || f.contains(TcpFlags::ACK)) {
            self.flip_missed_syn();
        }
        // Packet and IP byte counters go to the role the packet had when
        // processing began (a flip during it does not move this packet).
        let counted_as_orig = self.is_orig(e);
        self.process(e, seg, ts);
        let c = if counted_as_orig {
            self.orig
        } else {
            self.orig ^ 1
        };
        self.ep[c].pkts += 1;
        self.ep[c].ip_bytes += u64::from(seg.ip_len);
    }

    /// Zeek's per-segment processing (`TCPSessionAdapter::Process`).
    fn process(&mut self, e: usize, seg: &TcpSegment, ts: i64) {
        let p = e ^ 1;
        let f = seg.flags;
        let syn = f.contains(TcpFlags::SYN);
        let fin = f.contains(TcpFlags::FIN);
        let rst = f.contains(TcpFlags::RST);
        let ack = f.contains(TcpFlags::ACK);
        let len = seg.payload_len;
        let is_orig = self.is_orig(e);
        self.set_partial_status(f, is_orig);

        // RST payload is not part of the stream.
        let seg_len = if rst {
            u32::from(syn) + u32::from(fin)
        } else {
            len.wrapping_add(u32::from(syn) + u32::from(fin))
        };
        let past = seg.seq.wrapping_add(seg_len);
        self.init_endpoint(e, f, seg.seq, past);
        let ep = &self.ep[e];
        let (rel_seq, underflow) = relative(ep.start_seq, seg.seq, ep.last_seq, ep.seq_wraps);
        self.update_history(e, f, rel_seq, len);
        if seg.window == 0
            && !rst
            && self.ep[p].state != EndpointState::Closed
            && self.ep[e].state != EndpointState::Reset
        {
            self.event(e, Event::ZeroWindow);
        }
        if !(self.ep[0].did_close && self.ep[1].did_close) {
            self.last_ns = ts;
            self.last_active = self.now;
        }
        if fin {
            let ep = &mut self.ep[e];
            ep.fin_cnt += 1;
            ep.fin_seq = rel_seq.wrapping_add(u64::from(seg_len));
        }
        let mut rel_ack = 0;
        if ack {
            if self.ep[p].state == EndpointState::Inactive {
                // Number the silent side as if its SYN had been seen.
                rel_ack = 1;
                let start = seg.ack.wrapping_sub(1);
                self.ep[p].reinit(start, start);
            } else {
                let peer = &self.ep[p];
                let (r, under) = relative(peer.start_seq, seg.ack, peer.ack_seq, peer.ack_wraps);
                if !under {
                    rel_ack = r;
                    if !rst {
                        let d = seq_delta(seg.ack, peer.ack_seq);
                        if !(seg.ack == 0 && d > TOO_LARGE_SEQ_DELTA) && d > 0 {
                            self.ep[p].update_ack_seq(seg.ack);
                        }
                    }
                }
            }
        }
        self.update_last_seq(e, past, f, len);
        self.ep[e].done_something = true;

        let (do_close, gen_event) = self.state_machine(e, seg.seq, len, is_orig, f);

        if ack {
            self.ack_received(p, rel_ack);
        }
        let rel_data_seq = if syn {
            rel_seq.wrapping_add(1)
        } else {
            rel_seq
        };
        if len > 0 && seg.captured_payload_len >= len && !rst && !underflow {
            self.data_sent(e, rel_data_seq, u64::from(len));
        }
        self.first_packet_seen |= if is_orig { ORIG_SEEN } else { RESP_SEEN };
        self.check_eof(e);
        if do_close {
            self.connection_closed(e, gen_event);
        }
    }

    fn init_endpoint(&mut self, e: usize, f: TcpFlags, first: u32, last: u32) {
        let syn = f.contains(TcpFlags::SYN);
        let ep = &mut self.ep[e];
        match ep.state {
            EndpointState::Inactive => {
                if syn {
                    ep.reinit(first, last);
                } else {
                    // As though a SYN had been seen just before.
                    ep.reinit(first.wrapping_sub(1), first);
                }
            }
            EndpointState::SynSent | EndpointState::SynAckSent => {
                if syn && first != ep.start32() {
                    ep.reinit(first, last);
                }
            }
            EndpointState::Established | EndpointState::Partial => {
                if syn {
                    ep.reinit(first, last);
                }
            }
            EndpointState::Reset => {
                if syn && ep.prev_state == EndpointState::Inactive {
                    ep.reinit(first, last);
                }
            }
            EndpointState::Closed => {}
        }
    }

    fn update_last_seq(&mut self, e: usize, last: u32, f: TcpFlags, len: u32) {
        let ep = &mut self.ep[e];
        let delta = seq_delta(last, ep.last_seq);
        if f.intersects(TcpFlags::SYN | TcpFlags::RST)
            && !(-TOO_LARGE_SEQ_DELTA..=TOO_LARGE_SEQ_DELTA).contains(&delta)
        {
            // An implausible jump: not trusted.
        } else if f.contains(TcpFlags::FIN) && ep.last_seq == ep.start32().wrapping_add(1) {
            ep.update_last_seq(last);
        } else if ep.state == EndpointState::Reset {
            // Nothing after an RST is trusted.
        } else if delta > 0 {
            ep.update_last_seq(last);
        } else if len > 0 {
            // Payload that does not extend the stream: a retransmission.
            self.event(e, Event::Retransmission);
        }
    }

    /// Zeek's `UpdateStateMachine`; returns (do_close, gen_event).
    fn state_machine(
        &mut self,
        e: usize,
        base_seq: u32,
        len: u32,
        is_orig: bool,
        f: TcpFlags,
    ) -> (bool, bool) {
        use EndpointState::*;
        let p = e ^ 1;
        let syn = f.contains(TcpFlags::SYN);
        let fin = f.contains(TcpFlags::FIN);
        let rst = f.contains(TcpFlags::RST);
        let ack = f.contains(TcpFlags::ACK);
        let (mut do_close, mut gen_event) = (false, false);
        match self.ep[e].state {
            Inactive => {
                if syn {
                    if is_orig {
                        self.set_state(e, if ack { SynAckSent } else { SynSent });
                        self.add_timer(self.now.saturating_add(TCP_ATTEMPT_DELAY), Timer::Attempt);
                    } else {
                        if !ack
                            && self.ep[p].state == SynAckSent
                            && base_seq == self.ep[e].start32()
                        {
                            // The SYN captured after the SYN,ACK: reversed.
                            self.is_partial = false;
                            self.flip_roles();
                            self.set_state(p, Established);
                            self.first_packet_seen |= ORIG_SEEN;
                        }
                        if self.ep[p].state == SynSent {
                            self.set_state(p, Established);
                        }
                        self.set_state(e, Established);
                    }
                }
                if fin {
                    self.set_state(e, Closed);
                    do_close = true;
                    gen_event = true;
                }
                if rst {
                    self.set_state(e, Reset);
                    let reject = if is_orig {
                        self.ep[p].state == Established
                    } else {
                        matches!(self.ep[p].state, SynSent | SynAckSent)
                    };
                    do_close = true;
                    gen_event = !reject;
                }
                if self.ep[e].state == Inactive {
                    if !is_orig && len == 0 && self.o().state == SynSent {
                        // An ACK of the SYN before any SYN,ACK: not partial.
                    } else if ack && self.ep[p].state == Established {
                        // The SYN,ACK was seen, the SYN missed.
                        self.set_state(e, Established);
                        self.is_partial = false;
                        self.first_packet_seen |= if is_orig { ORIG_SEEN } else { RESP_SEEN };
                    } else {
                        self.set_state(e, Partial);
                    }
                }
            }
            SynSent | SynAckSent => {
                if fin {
                    self.set_state(e, Closed);
                    do_close = true;
                    gen_event = true;
                }
                if rst {
                    self.set_state(e, Reset);
                    self.is_active = false;
                    do_close = true;
                }
            }
            Established | Partial => {
                if syn && self.ep[e].state == Partial && self.ep[p].state == Inactive && !ack {
                    self.set_state(e, SynSent);
                }
                if fin && !rst {
                    self.set_state(e, Closed);
                    if self.ep[p].state == Reset && self.ep[p].prev_state == Closed {
                        // The peer's FIN then RST was a normal close.
                        self.set_state(p, Closed);
                    }
                    do_close = true;
                    gen_event = true;
                }
                if rst {
                    self.set_state(e, Reset);
                    do_close = true;
                    if self.ep[p].state != Reset || self.ep[p].prev_state != Established {
                        self.is_active = false;
                    }
                }
            }
            Closed => {
                // After both FINs, an RST changes nothing.
                if rst && self.ep[p].state != Closed {
                    self.set_state(e, Reset);
                    if !self.ep[e].did_close {
                        do_close = true;
                    }
                }
            }
            Reset => {}
        }
        (do_close, gen_event)
    }

    // ---- reassembly, gaps, close ----

    /// Whether endpoint `e` may release delivered data unacknowledged.
    fn release(&self, e: usize) -> bool {
        self.ep[e].no_data_acked() && self.size(e) > MAX_INITIAL_WINDOW
    }

    fn data_sent(&mut self, e: usize, seq: u64, len: u64) {
        if self.ep[e].reasm.skip {
            return;
        }
        let release = self.release(e);
        let no_ack = self.ep[e].no_data_acked();
        let r = &mut self.ep[e].reasm;
        r.new_block(seq, len, release);
        if (no_ack && r.undelivered_bytes() > MAX_ABOVE_HOLE_WITHOUT_ACKS)
            || r.data_size() > EXCESSIVE_DATA_WITHOUT_ACKS
        {
            r.clear();
            r.skip = true;
        }
    }

    /// The peer acknowledged endpoint `e`'s stream up to `seq`.
    fn ack_received(&mut self, e: usize, seq: u64) {
        let ep = &self.ep[e];
        let seq = if ep.fin_cnt > 0 && seq >= ep.fin_seq {
            ep.fin_seq.wrapping_sub(1)
        } else {
            seq
        };
        if seq <= ep.reasm.trim {
            return;
        }
        let release = self.release(e);
        let partial = self.is_partial;
        let gaps = self.ep[e].reasm.trim_to(seq, partial, release);
        if gaps.count > 0 {
            self.gaps(e, gaps);
        }
        self.check_eof(e);
    }

    /// Content gaps in endpoint `e`'s stream: one gap event each.
    fn gaps(&mut self, e: usize, gaps: Gaps) {
        let clean = |ep: &Endpoint| {
            ep.state == EndpointState::Established
                || (ep.state == EndpointState::Closed
                    && ep.prev_state == EndpointState::Established)
        };
        let clean = clean(&self.ep[e]) && clean(&self.ep[e ^ 1]);
        if clean {
            for _ in 0..gaps.count {
                self.event(e, Event::Gap);
            }
        }
        if REPORT_GAPS_FOR_PARTIAL || clean {
            self.missed_bytes += gaps.bytes;
        }
    }

    /// Data of `e` still to be delivered or acknowledged before its close
    /// counts.
    fn data_pending(&self, e: usize) -> bool {
        let ep = &self.ep[e];
        if ep.reasm.skip {
            return false;
        }
        let delivered = (ep.start_seq as u64).wrapping_add(ep.reasm.last_reassem);
        let last = Endpoint::full(ep.last_seq, ep.seq_wraps);
        if last < delivered {
            return false;
        }
        if delivered != last.wrapping_sub(1) && delivered != last {
            return true;
        }
        ep.state != EndpointState::Reset && self.ep[e ^ 1].reasm.has_blocks()
    }

    fn check_eof(&mut self, e: usize) {
        let ep = &self.ep[e];
        if !ep.reasm.did_eof
            && (ep.fin_cnt > 0 || matches!(ep.state, EndpointState::Closed | EndpointState::Reset))
            && !self.data_pending(e)
        {
            self.ep[e].reasm.did_eof = true;
            if self.close_deferred {
                let gen_event = self.deferred_gen_event;
                self.connection_closed(e, gen_event);
                self.close_deferred = false;
            }
        }
    }

    fn connection_closed(&mut self, e: usize, mut gen_event: bool) {
        if self.data_pending(e) {
            self.close_deferred = true;
            if !self.deferred_gen_event {
                self.deferred_gen_event = gen_event;
            }
            return;
        }
        self.close_deferred = false;
        if self.ep[e].did_close {
            return;
        }
        self.ep[e].did_close = true;
        let p = e ^ 1;
        let complete = self.ep[e].state == EndpointState::Reset
            || self.ep[p].did_close
            || self.ep[p].state == EndpointState::Inactive;
        if complete {
            if self.ep[e].prev_state != EndpointState::Inactive
                || self.ep[p].state != EndpointState::Inactive
            {
                if self.deferred_gen_event {
                    gen_event = true;
                    self.deferred_gen_event = false;
                }
                if gen_event {
                    self.is_active = false; // finished
                }
            }
            self.timers.clear();
            self.add_timer(
                self.last_active.saturating_add(TCP_CLOSE_DELAY),
                Timer::Delete,
            );
        } else if self.ep[e].prev_state != EndpointState::Inactive {
            // Wait for the other side to close too.
            self.add_timer(
                self.last_active.saturating_add(TCP_SESSION_TIMER),
                Timer::Expire,
            );
        }
    }

    /// Whether a SYN reuses the 4-tuple: Zeek ends this connection and
    /// starts a new one with it.
    fn is_reuse(&self, seg: &TcpSegment) -> bool {
        let f = seg.flags;
        if !f.contains(TcpFlags::SYN) {
            return false;
        }
        let mut conn_orig = self.orig;
        if f.contains(TcpFlags::ACK) {
            if self.o().state != EndpointState::Inactive {
                return false;
            }
            conn_orig ^= 1;
        }
        if self.ep[0].did_close || self.ep[1].did_close {
            return true;
        }
        let o = &self.ep[conn_orig];
        if seg.seq == o.start32() {
            return false; // a retransmitted SYN
        }
        // The SYN of a connection whose SYN,ACK came first.
        !(!f.contains(TcpFlags::ACK)
            && o.state == EndpointState::SynAckSent
            && self.r().state == EndpointState::Inactive
            && seg.seq == self.r().start32())
    }
}

/// Per-connection Zeek bookkeeping: the Zeek connections (conn.log rows)
/// this connection makes, in order.
#[derive(Clone, Debug, Default)]
pub struct Zeek {
    done: Vec<ZeekConn>,
    cur: Option<ZeekConn>,
}

impl Zeek {
    /// The bookkeeping of a new connection.
    pub fn new() -> Zeek {
        Zeek::default()
    }

    /// Accounts for one segment. `ts` is its raw capture timestamp (Zeek's
    /// `ts` and `duration` come from these); `now` is the capture clock at
    /// it (see [`crate::engine::Clock`]), against which Zeek's timers are
    /// judged, so that one absurd timestamp does not expire them all.
    pub fn segment(&mut self, seg: &TcpSegment, frame: u64, ts: i64, now: i64) {
        // Timers set now start from the later of the two (like the
        // replay's own timers).
        let at = ts.max(now);
        if let Some(c) = &mut self.cur {
            if c.expire(now) || c.is_reuse(seg) {
                self.done.extend(self.cur.take());
            }
        }
        self.cur
            .get_or_insert_with(|| ZeekConn::new(seg, frame, ts, at))
            .packet(seg, frame, ts, at);
    }

    /// Zeek's connections for this one, in order (at least one once a
    /// segment was seen).
    pub fn rows(&self) -> impl Iterator<Item = &ZeekConn> {
        self.done.iter().chain(self.cur.as_ref())
    }

    /// Releases spare capacity (for a connection that only lingers now).
    pub fn shrink(&mut self) {
        self.done.shrink_to_fit();
        for c in self.done.iter_mut().chain(self.cur.as_mut()) {
            c.history.shrink_to_fit();
            for e in &mut c.ep {
                e.reasm.shrink();
            }
        }
    }

    /// The Zeek connection that began with this connection's first segment.
    pub fn first(&self) -> Option<&ZeekConn> {
        self.rows().next()
    }
}
