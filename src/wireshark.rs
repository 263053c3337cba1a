//! Wireshark's per-segment TCP analysis (`tcp.analysis.*`), computed the way
//! TShark 4.0 computes it in a single pass with its default preferences.
//!
//! The tracker calls [`Analyzer::segment`] (through [`crate::analyzers`])
//! for every segment of a connection (a connection is exactly a Wireshark
//! `tcp.stream`), in frame order, and stores the result in the segment's
//! row ([`crate::consumer::SegmentRecord::analysis`]). It calls
//! [`Analyzer::split_from_earlier`] on a connection that a SYN split from
//! an earlier one on the same 4-tuple (Wireshark's "port numbers reused").
//!
//! # The rules
//!
//! Each direction ("flow") keeps: the next sequence number expected
//! (`nextseq`, the highest end seen; **0 means unknown**), the highest end
//! of in-order data (`maxseqtobeacked`, 0 = unknown), its last raw window
//! (initially `u32::MAX`), its last raw acknowledgment field (stored whether
//! or not the ACK bit is set; initially 0) with its time, a duplicate-ACK
//! counter (32-bit unsigned, with `u32::MAX` as a marker, see below), the
//! frame of its last segment whose acknowledgment changed, the verdicts of
//! its last segment, its window scale (unknown, "none", or a shift), and the
//! segments it sent that were not acknowledged yet. Windows are compared raw
//! (unscaled), except for "window full".
//!
//! The unacknowledged list is bounded like Wireshark's: at most
//! [`UNACKED_CAPACITY`] (10 000) segments per direction, kept in a ring that
//! grows with use and is reused for the connection's life. Past the cap we
//! do what Wireshark does: a segment sent while the list is full is not
//! recorded (no `acks_frame` will name it), and a SYN or FIN sent then does
//! not count its sequence number in `nextseq` — which changes later
//! verdicts, so a smaller cap would not be Wireshark's analysis. Memory is
//! at most 24 bytes per listed segment.
//!
//! For a segment of `len` payload bytes, with `fwd` its direction and `rev`
//! the other, in this order:
//!
//! 1. **zero window probe**: `len == 1`, `seq == fwd.nextseq` and the peer's
//!    last window is 0. Skips steps 2-9.
//! 2. **zero window**: window 0, none of SYN, FIN, RST.
//! 3. **previous segment not captured** (`lost_segment`): `fwd.nextseq`
//!    known, `seq` beyond it, not RST.
//! 4. **keep-alive**: `len` 0 or 1, `seq == fwd.nextseq - 1`, none of SYN,
//!    FIN, RST.
//! 5. Steps 5-9 need a *repeat*: `len == 0`, `seq == fwd.nextseq`, `ack ==
//!    fwd.lastack`, none of SYN, FIN, RST. **Window update**: a repeat with a
//!    non-zero window different from the last.
//! 6. **window full**: `len > 0`, the peer's window scale known, none of SYN,
//!    FIN, RST, and the segment ends exactly at the edge of the window the
//!    peer last advertised: its last ack plus its window, shifted by its
//!    scale if that is a shift and the peer has sent a segment with ACK and
//!    without SYN since its last SYN.
//! 7. **keep-alive ACK**: a repeat with the same non-zero window, answering a
//!    peer whose last segment was a keep-alive. Skips 8-9.
//! 8. **zero window probe ACK**: a repeat with window 0, as before,
//!    answering a peer whose last segment was a zero window probe. Skips 9.
//! 9. **duplicate ACK**: a repeat with the same non-zero window. The counter
//!    goes up (from the marker to 1); the verdict carries its value and the
//!    frame of the flow's last segment whose acknowledgment changed.
//! 10. If the acknowledgment changed: that frame is remembered and the
//!     counter reset.
//! 11. **ACKed unseen segment** (`ack_lost_segment`): ACK bit, the peer's
//!     `maxseqtobeacked` known and `ack` beyond it. If the peer sent more than
//!     that, it moves up to the peer's `nextseq` and the verdict is given;
//!     otherwise the verdict is given only if the peer's counter is 0, and
//!     the counter becomes the marker — which, being `u32::MAX`, also passes
//!     the "at least two duplicate ACKs" test of step 12.
//! 12. For data, SYN or FIN (not after a keep-alive verdict), at most one of:
//!     **spurious retransmission** (`len > 0` and the data ends at or before
//!     the peer's last acknowledgment, if non-zero); **fast retransmission**
//!     (the sequence number does not advance, the peer sent two duplicate
//!     ACKs or more, acknowledging exactly this `seq`, less than 20 ms ago);
//!     **out-of-order** (does not advance, less than the initial RTT — 3 ms
//!     if unknown — since `fwd.nextseq` last moved, and does not end exactly
//!     at it); **retransmission** (does not advance). "Does not advance":
//!     `fwd.nextseq` known and `seq` before it, except a segment of more than
//!     one byte starting at `nextseq - 1`. Time differences are unsigned:
//!     negative ones never count as short.
//! 13. The segment (its end counting SYN and FIN) is added to the
//!     unacknowledged list if there is room; `fwd.nextseq` moves to its end
//!     if that is beyond (or `nextseq` was unknown), `fwd.maxseqtobeacked`
//!     follows if the segment started at it (or it was unknown), neither for
//!     a zero window probe; window, acknowledgment, time and verdicts are
//!     remembered; the acknowledgment removes the peer's segments it covers
//!     and names the one it matches exactly (`acks_frame`).
//!
//! Before the analysis, a SYN without ACK at the direction's base sequence
//! number (its `base`: what relative numbers count from) resets its `nextseq` to
//! `maxseqtobeacked` (one at another number starts a new stream); a SYN-ACK
//! at another
//! sequence number than the direction's base makes it the new base and is
//! flagged **reused ports**. After it: the time of the latest SYN without ACK
//! is kept, and the first segment with ACK and without SYN fixes the
//! initial RTT; window scale options are recorded, and a SYN without one
//! means no scaling for both directions.
//!
//! Wireshark prints its analysis record (and so the initial RTT) only for
//! frames that have one: frames with a verdict, a SYN at the base, a
//! segment acknowledging past the peer's in-order data, an exact
//! acknowledgment of a captured segment, or data while bytes in flight are
//! tracked. [`Verdicts::initial_rtt_ns`] follows that.
//!
//! Checksums play no part: Wireshark does not verify them by default, and
//! its analysis runs whatever their status, so segments are analysed the
//! same with or without `--verify-checksums`.

use crate::decode::{TcpFlags, TcpSegment};
use crate::vocab::{Direction, SeqNumber};

mod frozen;
mod unacked;

pub use unacked::CAPACITY as UNACKED_CAPACITY;
use unacked::Unacked;

#[cfg(test)]
mod tests;

/// One `tcp.analysis` verdict. The names are the suffixes of Wireshark's
/// fields (`tcp.analysis.<name>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Flag {
    /// Also set on every fast and spurious retransmission, as in Wireshark's
    /// display filter `tcp.analysis.retransmission`.
    Retransmission,
    /// `tcp.analysis.fast_retransmission`.
    FastRetransmission,
    /// `tcp.analysis.spurious_retransmission`.
    SpuriousRetransmission,
    /// `tcp.analysis.out_of_order`.
    OutOfOrder,
    /// "Previous segment(s) not captured".
    LostSegment,
    /// "ACKed segment that wasn't captured".
    AckLostSegment,
    /// `tcp.analysis.duplicate_ack`.
    DuplicateAck,
    /// `tcp.analysis.zero_window`.
    ZeroWindow,
    /// `tcp.analysis.zero_window_probe`.
    ZeroWindowProbe,
    /// `tcp.analysis.zero_window_probe_ack`.
    ZeroWindowProbeAck,
    /// `tcp.analysis.window_full`.
    WindowFull,
    /// `tcp.analysis.window_update`.
    WindowUpdate,
    /// `tcp.analysis.keep_alive`.
    KeepAlive,
    /// `tcp.analysis.keep_alive_ack`.
    KeepAliveAck,
    /// `tcp.analysis.reused_ports`.
    ReusedPorts,
}

impl Flag {
    /// Every verdict, in the order they are listed.
    pub const ALL: [Flag; 15] = [
        Flag::Retransmission,
        Flag::FastRetransmission,
        Flag::SpuriousRetransmission,
        Flag::OutOfOrder,
        Flag::LostSegment,
        Flag::AckLostSegment,
        Flag::DuplicateAck,
        Flag::ZeroWindow,
        Flag::ZeroWindowProbe,
        Flag::ZeroWindowProbeAck,
        Flag::WindowFull,
        Flag::WindowUpdate,
        Flag::KeepAlive,
        Flag::KeepAliveAck,
        Flag::ReusedPorts,
    ];

    /// The name of Wireshark's field, without `tcp.analysis.`.
    pub const fn name(self) -> &'static str {
        match self {
            Flag::Retransmission => "retransmission",
            Flag::FastRetransmission => "fast_retransmission",
            Flag::SpuriousRetransmission => "spurious_retransmission",
            Flag::OutOfOrder => "out_of_order",
            Flag::LostSegment => "lost_segment",
            Flag::AckLostSegment => "ack_lost_segment",
            Flag::DuplicateAck => "duplicate_ack",
            Flag::ZeroWindow => "zero_window",
            Flag::ZeroWindowProbe => "zero_window_probe",
            Flag::ZeroWindowProbeAck => "zero_window_probe_ack",
            Flag::WindowFull => "window_full",
            Flag::WindowUpdate => "window_update",
            Flag::KeepAlive => "keep_alive",
            Flag::KeepAliveAck => "keep_alive_ack",
            Flag::ReusedPorts => "reused_ports",
        }
    }

    /// The verdict with this name.
    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The label Wireshark's Info column shows. The generic retransmission
    /// label is not shown next to the fast or spurious one.
    pub const fn label(self) -> &'static str {
        match self {
            Flag::Retransmission => "TCP Retransmission",
            Flag::FastRetransmission => "TCP Fast Retransmission",
            Flag::SpuriousRetransmission => "TCP Spurious Retransmission",
            Flag::OutOfOrder => "TCP Out-Of-Order",
            Flag::LostSegment => "TCP Previous segment not captured",
            Flag::AckLostSegment => "TCP ACKed unseen segment",
            Flag::DuplicateAck => "TCP Dup ACK",
            Flag::ZeroWindow => "TCP ZeroWindow",
            Flag::ZeroWindowProbe => "TCP ZeroWindowProbe",
            Flag::ZeroWindowProbeAck => "TCP ZeroWindowProbeAck",
            Flag::WindowFull => "TCP Window Full",
            Flag::WindowUpdate => "TCP Window Update",
            Flag::KeepAlive => "TCP Keep-Alive",
            Flag::KeepAliveAck => "TCP Keep-Alive ACK",
            Flag::ReusedPorts => "TCP Port numbers reused",
        }
    }

    const fn bit(self) -> u16 {
        1 << self as u8
    }
}

/// A set of verdicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Flags(u16);

impl Flags {
    /// No verdict.
    pub const EMPTY: Flags = Flags(0);

    #[inline]
    /// Whether `f` is set.
    pub const fn contains(self, f: Flag) -> bool {
        self.0 & f.bit() != 0
    }

    #[inline]
    /// Sets `f`.
    pub fn insert(&mut self, f: Flag) {
        self.0 |= f.bit();
    }

    #[inline]
    /// Whether no verdict is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The raw bit set (bit `n` is `Flag::ALL[n]`).
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// The verdicts present, in [`Flag::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Flags {
        let mut s = Flags::EMPTY;
        for f in iter {
            s.insert(f);
        }
        s
    }
}

/// A duplicate ACK's place in its run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DuplicateAck {
    /// 1 for the first duplicate (`tcp.analysis.duplicate_ack_num`).
    pub number: u32,
    /// The frame duplicated: the flow's last segment whose acknowledgment
    /// number changed (`tcp.analysis.duplicate_ack_frame`); `None` if none
    /// did (Wireshark shows 0).
    pub frame: Option<u64>,
}

/// The `tcp.analysis` of one segment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdicts {
    /// The verdicts set.
    pub flags: Flags,
    /// On duplicate ACKs.
    pub duplicate_ack: Option<DuplicateAck>,
    /// The captured segment of the peer this segment acknowledges exactly
    /// (`tcp.analysis.acks_frame`).
    pub acks_frame: Option<u64>,
    /// Time since that segment, when not zero (`tcp.analysis.ack_rtt`).
    pub ack_rtt_ns: Option<i64>,
    /// The connection's initial RTT, on the frames Wireshark shows it
    /// (`tcp.analysis.initial_rtt`): those with an analysis record once the
    /// handshake's last ACK (the first segment with ACK and without SYN
    /// after a SYN without ACK) has been seen. May be negative when
    /// timestamps go backwards.
    pub initial_rtt_ns: Option<i64>,
}

impl Verdicts {
    /// Whether the segment has any verdict.
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty()
    }
}

/// How many segments of a connection got each verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub [u64; 15]);

impl Counts {
    /// How many segments had `f`.
    pub fn get(&self, f: Flag) -> u64 {
        self.0[f as usize]
    }

    /// The verdicts with a non-zero count, in [`Flag::ALL`] order.
    pub fn nonzero(&self) -> impl Iterator<Item = (Flag, u64)> + '_ {
        Flag::ALL
            .into_iter()
            .map(|f| (f, self.get(f)))
            .filter(|&(_, n)| n > 0)
    }

    /// Whether every count is zero.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&n| n == 0)
    }

    #[inline]
    fn add(&mut self, flags: Flags) {
        let mut bits = flags.0;
        while bits != 0 {
            self.0[bits.trailing_zeros() as usize] += 1;
            bits &= bits - 1;
        }
    }
}

// Window scale of a flow.
const SCALE_UNKNOWN: i8 = -1;
const SCALE_NONE: i8 = -2;
/// Wireshark's largest shift (RFC 7323 2.3).
const MAX_SHIFT: u8 = 14;
/// The duplicate ACK counter's marker after an "ACKed unseen segment".
const DUP_MARKER: u32 = u32::MAX;
/// A retransmission this soon after the peer's duplicate ACKs is fast.
const FAST_RETRANSMISSION_NS: u64 = 20_000_000;
/// The out-of-order window when the initial RTT is unknown.
const OUT_OF_ORDER_NS: u64 = 3_000_000;

#[inline]
fn seq_lt(a: u32, b: u32) -> bool {
    SeqNumber(a).lt(SeqNumber(b))
}
#[inline]
fn seq_le(a: u32, b: u32) -> bool {
    SeqNumber(a).le(SeqNumber(b))
}
#[inline]
fn seq_gt(a: u32, b: u32) -> bool {
    SeqNumber(a).gt(SeqNumber(b))
}

/// The analysis state of one direction.
#[derive(Clone, Debug)]
struct Flow {
    /// Base sequence number (what relative numbers count from).
    base: Option<u32>,
    /// [`SCALE_UNKNOWN`], [`SCALE_NONE`] or a shift.
    win_scale: i8,
    /// Last raw window.
    window: u32,
    /// A SYN was sent and no segment with ACK and without SYN since.
    is_first_ack: bool,
    /// Highest end sent; 0 = unknown.
    nextseq: u32,
    nextseq_time: i64,
    /// End of the in-order data; 0 = unknown.
    maxseqtobeacked: u32,
    /// Last raw acknowledgment field, ACK bit or not.
    lastack: u32,
    lastack_time: i64,
    /// Last frame whose acknowledgment differed from the one before it.
    lastnondupack: u64,
    dupacknum: u32,
    /// Verdicts of the last segment.
    last_flags: Flags,
    /// Bytes in flight are being tracked (Wireshark stops after a gap until
    /// the peer acknowledges something).
    valid_bif: bool,
    unacked: Unacked,
}

impl Default for Flow {
    fn default() -> Flow {
        Flow {
            base: None,
            win_scale: SCALE_UNKNOWN,
            window: u32::MAX,
            is_first_ack: false,
            nextseq: 0,
            nextseq_time: 0,
            maxseqtobeacked: 0,
            lastack: 0,
            lastack_time: 0,
            lastnondupack: 0,
            dupacknum: 0,
            last_flags: Flags::EMPTY,
            valid_bif: true,
            unacked: Unacked::default(),
        }
    }
}

/// Per-connection analysis state.
#[derive(Clone, Debug, Default)]
pub struct Analyzer {
    /// Indexed by the sender's role (client, server).
    flows: [Flow; 2],
    /// Time of the latest SYN without ACK; 0 = none.
    mru_syn: i64,
    /// Initial RTT; 0 = not known yet.
    first_rtt: i64,
    /// The next segment is the SYN that split this connection from an
    /// earlier one on the same 4-tuple.
    split: bool,
    /// Allocated at the first verdict: most connections never get one.
    counts: Option<Box<Counts>>,
}

/// The record Wireshark keeps for a frame while analysing it.
#[derive(Default)]
struct Record {
    /// Whether Wireshark would have one (and so print its analysis tree).
    exists: bool,
    v: Verdicts,
}

impl Record {
    #[inline]
    fn flag(&mut self, f: Flag) {
        self.exists = true;
        self.v.flags.insert(f);
    }
    #[inline]
    fn has(&self, f: Flag) -> bool {
        self.v.flags.contains(f)
    }
}

impl Analyzer {
    /// An analyzer for a new connection.
    pub fn new() -> Analyzer {
        Analyzer::default()
    }

    /// Says that this connection was started by a SYN whose sequence number
    /// differed from the base of its direction in the previous connection on
    /// the same 4-tuple: its next segment (that SYN) is flagged
    /// [`Flag::ReusedPorts`].
    pub fn split_from_earlier(&mut self) {
        self.split = true;
    }

    /// How many segments so far got each verdict.
    pub fn counts(&self) -> &Counts {
        static NONE: Counts = Counts([0; 15]);
        self.counts.as_deref().unwrap_or(&NONE)
    }

    /// Releases spare capacity (for a connection that only lingers now).
    pub fn shrink(&mut self) {
        for f in &mut self.flows {
            f.unacked.shrink();
        }
    }

    /// The initial RTT, once known (0 counts as unknown, as in Wireshark).
    pub fn initial_rtt_ns(&self) -> Option<i64> {
        (self.first_rtt != 0).then_some(self.first_rtt)
    }

    /// Analyses one segment. `ts` is its raw capture timestamp.
    pub fn segment(&mut self, seg: &TcpSegment, dir: Direction, frame: u64, ts: i64) -> Verdicts {
        self.observe(seg, dir, frame, ts, false)
    }

    /// A segment, or (`quoted`) a TCP header quoted in an ICMP error.
    /// Inlined into both callers, so that the segment path carries no test
    /// of `quoted`.
    #[inline(always)]
    fn observe(
        &mut self,
        seg: &TcpSegment,
        dir: Direction,
        frame: u64,
        ts: i64,
        quoted: bool,
    ) -> Verdicts {
        let f = seg.flags;
        let syn = f.contains(TcpFlags::SYN);
        let ack_bit = f.contains(TcpFlags::ACK);
        let (x, y) = match dir {
            Direction::ClientToServer => (0, 1),
            Direction::ServerToClient => (1, 0),
        };
        let mut rec = Record::default();

        // Stream bookkeeping before the analysis.
        if std::mem::take(&mut self.split) {
            rec.flag(Flag::ReusedPorts);
        }
        if syn && !ack_bit {
            if let Some(base) = self.flows[x].base {
                if seg.seq == base {
                    let fw = &mut self.flows[x];
                    fw.nextseq = fw.maxseqtobeacked;
                    rec.exists = true;
                } else {
                    // Wireshark would have started a new stream here. The
                    // engine splits on the same rule with the same base, so
                    // this is only a safeguard: should the two ever differ,
                    // the analysis still restarts as Wireshark's would.
                    let counts = self.counts.take();
                    *self = Analyzer {
                        counts,
                        ..Analyzer::default()
                    };
                    rec.flag(Flag::ReusedPorts);
                }
            }
        } else if syn {
            let fw = &mut self.flows[x];
            if fw.base.is_some_and(|b| b != seg.seq) {
                fw.base = Some(seg.seq);
                rec.flag(Flag::ReusedPorts);
            }
        }
        // A quote's sequence numbers are not analysed.
        if !quoted {
            if self.flows[x].base.is_none() {
                self.flows[x].base = Some(if syn {
                    seg.seq
                } else {
                    seg.seq.wrapping_sub(1)
                });
            }
            if ack_bit && self.flows[y].base.is_none() {
                self.flows[y].base = Some(seg.ack.wrapping_sub(1));
            }
            self.analyse(seg, x, frame, ts, &mut rec);
        }

        // After the analysis: the handshake's times and window scaling.
        if syn {
            if !ack_bit {
                self.mru_syn = ts;
            }
        } else if ack_bit && self.mru_syn != 0 && self.first_rtt == 0 {
            self.first_rtt = ts.wrapping_sub(self.mru_syn);
        }
        if !quoted && (syn || ack_bit) {
            self.flows[x].is_first_ack = syn;
        }
        if let Some(shift) = seg.options.window_scale {
            self.flows[x].win_scale = shift.min(MAX_SHIFT) as i8;
        }
        if rec.exists && self.first_rtt != 0 {
            rec.v.initial_rtt_ns = Some(self.first_rtt);
        }
        // Wireshark settles a SYN's window scaling after reading all its
        // options: never for a SYN whose options the capture cut (a quote
        // cut there is read without that stop).
        let cut = seg.options.truncated && !quoted;
        if syn && !cut {
            if self.flows[x].win_scale == SCALE_UNKNOWN {
                self.flows[x].win_scale = SCALE_NONE;
                self.flows[y].win_scale = SCALE_NONE;
            } else if ack_bit && self.flows[y].win_scale == SCALE_NONE {
                self.flows[x].win_scale = SCALE_NONE;
            }
        }

        if cut {
            // A header cut inside its options: Wireshark's dissector stops
            // at the cut, after the analysis has run but before it shows
            // its verdicts (checked with TShark 4.0).
            return Verdicts::default();
        }
        if !rec.v.flags.is_empty() {
            self.counts.get_or_insert_default().add(rec.v.flags);
        }
        rec.v
    }

    /// A TCP header quoted in an ICMP error. Wireshark does not analyse
    /// the quote's sequence numbers (it gets no verdict, and no segment
    /// after it is judged differently), but its dissector still does its
    /// bookkeeping with it (checked against TShark 4.0): the port-reuse
    /// flag of a quote that started this connection, the time of a quoted
    /// SYN (the start of the initial RTT), and a quoted SYN's window
    /// scale option.
    pub fn quote(&mut self, seg: &TcpSegment, dir: Direction, ts: i64) -> Verdicts {
        self.observe(seg, dir, 0, ts, true)
    }

    /// Steps 1-13 of the module documentation.
    #[inline]
    fn analyse(&mut self, seg: &TcpSegment, x: usize, frame: u64, ts: i64, rec: &mut Record) {
        let f = seg.flags;
        let seq = seg.seq;
        let ack = seg.ack;
        let len = seg.payload_len;
        let win = u32::from(seg.window);
        let syn_fin = f.intersects(TcpFlags::SYN | TcpFlags::FIN);
        let control = f.intersects(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST);
        let ack_bit = f.contains(TcpFlags::ACK);
        let ooo_ns = self.out_of_order_ns();
        let [fwd, rev] = if x == 0 {
            let [a, b] = &mut self.flows;
            [a, b]
        } else {
            let [a, b] = &mut self.flows;
            [b, a]
        };

        if ack_bit {
            rev.valid_bif = true;
        }

        'window: {
            if len == 1 && seq == fwd.nextseq && rev.window == 0 {
                rec.flag(Flag::ZeroWindowProbe);
                break 'window;
            }
            if win == 0 && !control {
                rec.flag(Flag::ZeroWindow);
            }
            if fwd.nextseq != 0 && seq_gt(seq, fwd.nextseq) && !f.contains(TcpFlags::RST) {
                rec.flag(Flag::LostSegment);
                fwd.valid_bif = false;
            }
            if len <= 1 && seq == fwd.nextseq.wrapping_sub(1) && !control {
                rec.flag(Flag::KeepAlive);
            }
            let repeat = len == 0 && seq == fwd.nextseq && ack == fwd.lastack && !control;
            if repeat && win != 0 && win != fwd.window {
                rec.flag(Flag::WindowUpdate);
            }
            if len > 0 && rev.win_scale != SCALE_UNKNOWN && !control {
                let shift = if rev.is_first_ack || rev.win_scale == SCALE_NONE {
                    0
                } else {
                    rev.win_scale as u32
                };
                let edge = rev.lastack.wrapping_add(rev.window << shift);
                if seq.wrapping_add(len) == edge {
                    rec.flag(Flag::WindowFull);
                }
            }
            if !repeat {
                break 'window;
            }
            if win != 0 && win == fwd.window && rev.last_flags.contains(Flag::KeepAlive) {
                rec.flag(Flag::KeepAliveAck);
                break 'window;
            }
            if win == 0 && fwd.window == 0 && rev.last_flags.contains(Flag::ZeroWindowProbe) {
                rec.flag(Flag::ZeroWindowProbeAck);
                break 'window;
            }
            if win != 0 && win == fwd.window {
                fwd.dupacknum = if fwd.dupacknum == DUP_MARKER {
                    1
                } else {
                    fwd.dupacknum.wrapping_add(1)
                };
                rec.flag(Flag::DuplicateAck);
                rec.v.duplicate_ack = Some(DuplicateAck {
                    number: fwd.dupacknum,
                    frame: (fwd.lastnondupack != 0).then_some(fwd.lastnondupack),
                });
            }
        }

        if ack != fwd.lastack {
            fwd.lastnondupack = frame;
            fwd.dupacknum = 0;
        }

        if rev.maxseqtobeacked != 0 && seq_gt(ack, rev.maxseqtobeacked) && ack_bit {
            rec.exists = true;
            if seq_lt(rev.maxseqtobeacked, rev.nextseq) {
                rev.maxseqtobeacked = rev.nextseq;
                rec.flag(Flag::AckLostSegment);
            } else {
                if rev.dupacknum == 0 {
                    rec.flag(Flag::AckLostSegment);
                }
                rev.dupacknum = DUP_MARKER;
            }
        }

        if (len > 0 || syn_fin) && !rec.has(Flag::KeepAlive) {
            let not_advanced = fwd.nextseq != 0
                && seq_lt(seq, fwd.nextseq)
                && !(len > 1 && seq == fwd.nextseq.wrapping_sub(1));
            if len > 0 && rev.lastack != 0 && seq_le(seq.wrapping_add(len), rev.lastack) {
                rec.flag(Flag::Retransmission);
                rec.flag(Flag::SpuriousRetransmission);
            } else if not_advanced
                && rev.dupacknum >= 2
                && rev.lastack == seq
                && (ts.wrapping_sub(rev.lastack_time) as u64) < FAST_RETRANSMISSION_NS
            {
                rec.flag(Flag::Retransmission);
                rec.flag(Flag::FastRetransmission);
            } else if not_advanced
                && (ts.wrapping_sub(fwd.nextseq_time) as u64) < ooo_ns
                && fwd.nextseq != seq.wrapping_add(len).wrapping_add(u32::from(syn_fin))
            {
                rec.flag(Flag::OutOfOrder);
            } else if not_advanced {
                rec.flag(Flag::Retransmission);
            }
        }

        // 13. State updates.
        let mut end = seq.wrapping_add(len);
        if (len > 0 || syn_fin) && !fwd.unacked.is_full() {
            end = end.wrapping_add(u32::from(syn_fin));
            fwd.unacked.push(end, frame, ts);
        }
        let probe = rec.has(Flag::ZeroWindowProbe);
        if (seq_gt(end, fwd.nextseq) || fwd.nextseq == 0) && !probe {
            fwd.nextseq = end;
            fwd.nextseq_time = ts;
        }
        if (seq == fwd.maxseqtobeacked || fwd.maxseqtobeacked == 0) && !probe {
            fwd.maxseqtobeacked = fwd.nextseq;
        }
        fwd.window = win;
        fwd.lastack = ack;
        fwd.lastack_time = ts;
        fwd.last_flags = rec.v.flags;
        if let Some(acked) = rev.unacked.ack(ack) {
            rec.exists = true;
            rec.v.acks_frame = Some(acked.frame);
            let rtt = ts.wrapping_sub(acked.ts);
            rec.v.ack_rtt_ns = (rtt != 0).then_some(rtt);
        }
        // Bytes in flight are computed (and the record made) for data while
        // tracking is valid.
        if len > 0 && !fwd.unacked.is_empty() && fwd.valid_bif {
            rec.exists = true;
        }
    }

    /// The out-of-order window: the initial RTT if known (as an unsigned
    /// number of nanoseconds, so a negative one is huge), else 3 ms.
    #[inline]
    fn out_of_order_ns(&self) -> u64 {
        if self.first_rtt != 0 {
            self.first_rtt as u64
        } else {
            OUT_OF_ORDER_NS
        }
    }
}
