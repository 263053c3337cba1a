//! The sequential tracker: one per shard of the 4-tuple space, it owns the
//! connections of its shard and everything that happens to them between
//! the decoder and the consumer, in capture order:
//!
//! * demultiplexing: the live connection of a segment's 4-tuple
//!   ([`crate::flow::FlowKey`]), created at its first segment;
//! * incarnations: a new SYN on a 4-tuple in use ends one connection and
//!   starts the next, as Wireshark splits `tcp.stream`
//!   ([`crate::flow::starts_new_incarnation`], [`crate::replay::ReuseInfo`]);
//! * timers: each connection's next deadline (TIME_WAIT, R2, the linger
//!   period) in a heap, fired at the frame whose clock reaches it;
//! * row rewrites: timeline rows are held for [`ROW_HOLD_FRAMES`] so that a
//!   later segment that withdraws an assumed receipt can correct them.
//! * embryos: a connection that has seen a single segment is kept as that
//!   segment (about 80 bytes, not about 2 KB) once [`KEEP_WHOLE`] younger
//!   ones are, and replayed again when more happens to it (the `embryo`
//!   module), so that a SYN flood costs under 200 bytes per half-open
//!   connection;
//! * idle connections: past [`IDLE_SWEEP`] connections held, one that
//!   nothing happened to for a while (most are closed ones waiting out
//!   TIME_WAIT) is kept frozen into bytes, about 800 rather than 2.5 KB
//!   (the crate's `frozen` module), and made whole again when something
//!   happens to it;
//! * the end of the capture: the connections still open are finished in
//!   stream order, a chunk at a time (`Tracker::begin_end`).
//!
//! It hands each segment to the connection's replay
//! ([`crate::replay::Connection::process`]) and, beside it, to the
//! connection's Wireshark and Zeek analyzers ([`crate::analyzers`]), and
//! builds the records the
//! consumer gets ([`crate::consumer`]). The [`crate::engine`] runs one
//! tracker per shard on the thread pool and merges what they produce into
//! frame order; a tracker itself knows nothing of threads.

mod embryo;
mod rows;

use crate::analyzers::Analyzers;
use crate::consumer::{
    ConnectionRecord, ConnectionSummary, IcmpError, SegmentRecord, Tracked, TunnelUse,
};
use crate::decode::{self, Packet, TcpFlags, TcpSegment, Tunnel};
use crate::flow::{self, FlowHasher, FlowKey};
use crate::frozen::{Frozen, Reader, Writer};
use crate::prefetch;
use crate::replay::{Config, Connection, Rewrite, SegmentOutcome};
use crate::state::Basis;
use crate::vocab::Direction;
use crate::wireshark::Verdicts;
use embryo::Embryo;
use rows::RowQueue;
pub(crate) use rows::{Chunk, Key, blank};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A decoded frame. Kept small (the replay reads one per segment): the
/// tunnel the few tunnelled frames rode in is kept aside ([`Extras`]).
#[derive(Clone, Copy)]
pub(crate) struct DecodedFrame {
    /// Wireshark's `frame.number`.
    pub(crate) frame: u64,
    /// Its timestamp.
    pub(crate) ts: i64,
    /// The capture clock at this frame (see [`crate::clock::Clock`]).
    pub(crate) now: i64,
    /// The tracker of the segment or quote (its shard), or none.
    pub(crate) shard: u32,
    /// The hash of the segment's or quote's [`FlowKey`], by the capture's
    /// [`FlowHasher`] (computed once, while decoding in parallel).
    pub(crate) hash: u64,
    /// What the frame holds.
    pub(crate) packet: Packet,
}

/// The tunnels of the tunnelled frames of a batch, by frame index: those
/// the decode found (in order), then those of reassembled datagrams (in
/// order too; a reassembled frame's entry there replaces its own).
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) decoded: Vec<(u32, Option<Tunnel>)>,
    pub(crate) reassembled: Vec<(u32, Option<Tunnel>)>,
}

impl Extras {
    #[inline]
    pub(crate) fn tunnel(&self, i: u32) -> Option<Tunnel> {
        if self.decoded.is_empty() && self.reassembled.is_empty() {
            return None;
        }
        let find =
            |v: &[(u32, Option<Tunnel>)]| v.binary_search_by_key(&i, |e| e.0).ok().map(|k| v[k].1);
        find(&self.reassembled)
            .or_else(|| find(&self.decoded))
            .flatten()
    }

    pub(crate) fn clear(&mut self) {
        self.decoded.clear();
        self.reassembled.clear();
    }
}

/// A live connection of a tracker.
struct Slot {
    body: Body,
    key: FlowKey,
    creation: u64,
    /// Its stream ([`NO_STREAM`] until named).
    stream_or: u64,
    /// The deadline currently scheduled (if [`SCHEDULED`]).
    scheduled_at: i64,
    /// Its key in the timer heap (if [`IN_HEAP`]; see [`Tracker::schedule`]);
    /// other entries of the slot in the heap are stale.
    heap_key: i64,
    /// The tunnels and ICMP errors of the few connections that have them.
    side: Option<Box<Side>>,
    /// [`SCHEDULED`], [`IN_HEAP`], [`FRESH`]. A slot is kept small: a SYN
    /// flood holds a million of them.
    bits: u8,
    /// Set by a look for idle connections that found this one open and not
    /// idle long enough: until the clock reaches it (see [`coarse`]),
    /// later looks pass it by without reading the connection (a cache miss
    /// each), unless it was woken meanwhile (which clears it). 0: not set.
    idle_until: u32,
}

const NO_STREAM: u64 = u64::MAX;
const SCHEDULED: u8 = 1;
const IN_HEAP: u8 = 2;
/// Made by its first segment alone, and nothing happened to it since: it
/// may become an embryo (see [`embryo`]).
const FRESH: u8 = 4;
/// Woken since the last look for idle connections ([`Tracker::sweep`]).
const TOUCHED: u8 = 8;

/// What a tracker holds of a connection.
enum Body {
    /// The replay and, beside it, the analyzers (one allocation).
    Full(Box<Tracked>),
    /// The one segment it has seen, to replay again when it is needed.
    Embryo(Embryo),
    /// Idle: the replay and analyzers as bytes ([`crate::frozen`]), made
    /// whole again when it is needed.
    Frozen(Box<[u8]>),
}

impl Body {
    /// The connection's replay and analyzers; an embryo must have been
    /// woken ([`Tracker::wake`]) first.
    #[inline]
    fn t(&mut self) -> &mut Tracked {
        match self {
            Body::Full(t) => t,
            Body::Embryo(_) | Body::Frozen(_) => {
                unreachable!("an embryo or a frozen connection is woken before use")
            }
        }
    }
}

impl Slot {
    /// Freezes a whole connection into bytes written through `scratch`
    /// (see [`freeze`]), keeping its allocation in `pool` for the next
    /// thaw. Returns whether it was whole.
    #[allow(clippy::vec_box, reason = "the boxes are the allocations reused")]
    fn freeze(&mut self, scratch: &mut Vec<u8>, pool: &mut Vec<Box<Tracked>>) -> bool {
        let Body::Full(t) = &self.body else {
            return false;
        };
        let (bytes, buf) = freeze(t, std::mem::take(scratch));
        *scratch = buf;
        if let Body::Full(t) = std::mem::replace(&mut self.body, Body::Frozen(bytes)) {
            if pool.len() < POOL {
                pool.push(t);
            }
        }
        true
    }

    /// See [`Body::t`].
    #[inline]
    fn t(&mut self) -> &mut Tracked {
        self.body.t()
    }

    #[inline]
    fn stream(&self) -> Option<u64> {
        (self.stream_or != NO_STREAM).then_some(self.stream_or)
    }

    #[inline]
    fn scheduled(&self) -> Option<i64> {
        (self.bits & SCHEDULED != 0).then_some(self.scheduled_at)
    }

    #[inline]
    fn key_in_heap(&self) -> Option<i64> {
        (self.bits & IN_HEAP != 0).then_some(self.heap_key)
    }

    #[inline]
    fn set_timer(&mut self, scheduled: Option<i64>, key_in_heap: Option<i64>) {
        self.bits &= !(SCHEDULED | IN_HEAP);
        if let Some(d) = scheduled {
            self.bits |= SCHEDULED;
            self.scheduled_at = d;
        }
        if let Some(k) = key_in_heap {
            self.bits |= IN_HEAP;
            self.heap_key = k;
        }
    }

    #[inline]
    fn fresh(&self) -> bool {
        self.bits & FRESH != 0
    }

    #[inline]
    fn touched(&mut self) {
        self.bits &= !FRESH;
    }

    /// Notes that it was needed whole (see [`Tracker::sweep`]).
    #[inline]
    fn woken(&mut self) {
        self.bits |= TOUCHED;
        self.idle_until = 0;
    }
}

#[derive(Default)]
struct Side {
    tunnels: Vec<TunnelUse>,
    icmp: Vec<IcmpError>,
}

/// How many connections that have seen one segment each tracker keeps
/// whole by default: the most recent ones, which are the ones a second
/// segment (the SYN's answer) usually comes for soon. Older ones become
/// embryos (see `tracker::embryo`).
pub const KEEP_WHOLE: usize = 256;

/// How many connections each tracker holds before it looks for idle ones,
/// and how many of its segments, at least, it replays between two looks,
/// by default ([`crate::engine::Options::idle_sweep`]). Below that, memory
/// is no concern (about 10 MB a tracker) and nothing is frozen.
pub const IDLE_SWEEP: usize = 4096;

/// Under memory pressure (more connections of a tracker whole than its
/// budget, twice [`IDLE_SWEEP`] at first), a tracker looks for idle
/// connections this many times as often: every `live / PRESSED_SWEEPS`
/// segments instead of every `live` (see [`Tracker::sweep`]).
const PRESSED_SWEEPS: usize = 8;

/// The most connections of a tracker kept whole under memory pressure, in
/// units of [`IDLE_SWEEP`] (or `idle_sweep`): 16 × 4,096, about 160 MB.
/// Past it, memory is bounded before time.
const MAX_BUDGET: usize = 16;

/// How many allocations of whole connections a tracker keeps for reuse.
const POOL: usize = 64;

/// The clock `t` in units of 2^26 ns (67 ms) from `base`, within `u32`
/// (see [`Slot::idle_until`]). It never decreases as `t` grows, so a clock
/// whose value is below a deadline's is before that deadline.
#[inline]
fn coarse(t: i64, base: i64) -> u32 {
    (t.saturating_sub(base) >> 26).clamp(0, u32::MAX as i64) as u32
}

/// A connection finished during the current batch.
struct Done {
    /// The frame that finished it (`u64::MAX`: the end of the capture).
    frame: u64,
    creation: u64,
    stream: Option<u64>,
    /// What the consumer gets of it, made here: on the shard's thread, not
    /// in the serial merge.
    summary: Box<ConnectionSummary>,
}

/// How many frames a timeline row is held before it is handed out, so that a
/// later segment can still correct it: when an endpoint's own segment shows
/// it had not received a segment the capture saw earlier (crossing FINs or
/// SYNs, an RST from a port without a connection), the row of that earlier
/// segment is rewritten with what really happened. A fixed count of frames
/// keeps the result independent of batching and threads.
pub const ROW_HOLD_FRAMES: u64 = 32 * 1024;

/// Whether a row at `frame` may be handed out once the batch ending at
/// `last_frame` is replayed: it has been held for [`ROW_HOLD_FRAMES`], or the
/// capture ended. Rows are held in the engine's merge order (frame, then
/// timer events' rows by stream, then the segment's).
#[inline]
fn hand_out(frame: u64, last_frame: u64, last_batch: bool) -> bool {
    last_batch || frame.saturating_add(ROW_HOLD_FRAMES) <= last_frame
}

/// A sequential tracker: the connections whose 4-tuples hash to its shard,
/// replayed in capture order.
pub(crate) struct Tracker {
    /// The live connection of each 4-tuple: slot indexes, hashed by their
    /// slot's key (the keys are not kept twice).
    flows: hashbrown::HashTable<u32>,
    /// The capture's, which hashed each frame's key ([`DecodedFrame::hash`]).
    hasher: FlowHasher,
    slots: Vec<Option<Slot>>,
    /// Connections made by one segment, most recent last, with that segment:
    /// past `keep_whole` of them, the oldest becomes an embryo if nothing
    /// happened to it since.
    young: VecDeque<(u32, u64, Embryo)>,
    keep_whole: usize,
    /// See [`IDLE_SWEEP`].
    idle_sweep: usize,
    /// Segments replayed since the last [`Tracker::sweep`].
    since_sweep: usize,
    /// Reused to freeze connections into.
    scratch: Vec<u8>,
    /// The allocations of connections frozen or finished, reused to thaw
    /// others into (at most [`POOL`]).
    #[allow(clippy::vec_box, reason = "the boxes are the allocations reused")]
    pool: Vec<Box<Tracked>>,
    /// With `idle_sweep` 0: the slots woken since the last sweep.
    recent: Vec<u32>,
    /// At the end of the capture: the slots of the connections still open,
    /// by stream, the lowest last.
    ending: Vec<u32>,
    free: Vec<u32>,
    /// Slots freed this batch, reusable from the next one (rows and done
    /// records of this batch still name their creation).
    to_free: Vec<u32>,
    timers: BinaryHeap<Reverse<(i64, u32)>>,
    live: usize,
    /// The slots whose connection is whole ([`Body::Full`]).
    whole: Whole,
    /// Past this many whole connections, the tracker is under memory
    /// pressure (see [`Tracker::sweep`]).
    budget: usize,
    /// Connections thawed since the last look for idle ones.
    thaws: usize,
    creations: u64,
    batch_first_creation: u64,
    clock: i64,
    new: Vec<(u64, u64, u32)>,
    /// Rows held for [`ROW_HOLD_FRAMES`], in frame order.
    rows: RowQueue,
    /// Index in `rows` of the first row of the current batch.
    batch_first_row: usize,
    done: Vec<Done>,
    /// Timeline rows are wanted (set for each batch).
    want_rows: bool,
    /// The capture's last frame and the clock there (set at its end).
    last: (u64, i64),
    /// The clock at the first look for idle connections: [`Slot::idle_until`]
    /// counts from it.
    sweep_base: Option<i64>,
}

impl Tracker {
    pub(crate) fn new(keep_whole: usize, idle_sweep: usize, hasher: FlowHasher) -> Tracker {
        Tracker {
            flows: hashbrown::HashTable::new(),
            hasher,
            slots: Vec::new(),
            young: VecDeque::new(),
            keep_whole,
            idle_sweep,
            since_sweep: 0,
            scratch: Vec::new(),
            pool: Vec::new(),
            recent: Vec::new(),
            ending: Vec::new(),
            free: Vec::new(),
            to_free: Vec::new(),
            timers: BinaryHeap::new(),
            live: 0,
            whole: Whole::default(),
            budget: idle_sweep.saturating_mul(2),
            thaws: 0,
            creations: 0,
            batch_first_creation: 0,
            clock: i64::MIN,
            new: Vec::new(),
            rows: RowQueue::default(),
            batch_first_row: 0,
            done: Vec::new(),
            want_rows: false,
            last: (0, 0),
            sweep_base: None,
        }
    }

    /// Replays this tracker's frames of a batch. `own` indexes its segments in
    /// `frames`; the other frames only move the clock, and what they would
    /// fire is found by binary search on the clock (see [`Tracker::fire_until`])
    /// instead of walking every frame of the batch in every shard.
    pub(crate) fn run(
        &mut self,
        frames: &[DecodedFrame],
        nows: &[i64],
        own: &[u32],
        extras: &Extras,
        cfg: &Config,
        want_rows: bool,
    ) {
        self.free.append(&mut self.to_free);
        self.batch_first_creation = self.creations;
        self.batch_first_row = self.rows.len();
        if want_rows {
            self.rows.begin_batch();
        }
        self.want_rows = want_rows;
        let mut guessed = [u32::MAX; GUESSES];
        for (k, &i) in own.iter().enumerate() {
            self.prefetch_ahead(frames, own, k, &mut guessed);
            let d = &frames[i as usize];
            self.since_sweep += 1;
            if (self.since_sweep > self.idle_sweep.max(self.sweep_period())
                && self.live > self.idle_sweep)
                || self.idle_sweep == 0
            {
                self.sweep(cfg);
            }
            self.fire_until(frames, nows, d.now, cfg);
            self.clock = self.clock.max(d.now);
            self.segment(d, extras.tunnel(i), cfg, want_rows);
        }
        if let Some(last) = frames.last() {
            self.fire_until(frames, nows, last.now, cfg);
            self.clock = self.clock.max(last.now);
        }
    }

    /// Starts loading what the segments a few places ahead of `own[k]`
    /// will read, in three stages, each needing what the one before
    /// loaded: the frame; then its connection's slot, found by the first
    /// entry of the flow table with its hash's tag (a wrong guess only
    /// loads the wrong lines), kept in `guessed`; then the whole of that
    /// connection, replay and analyzers (2,008 bytes): a segment reads
    /// lines all over it, and prefetching only the first lines of each
    /// part gave half the gain.
    #[inline(always)]
    fn prefetch_ahead(
        &self,
        frames: &[DecodedFrame],
        own: &[u32],
        k: usize,
        guessed: &mut [u32; GUESSES],
    ) {
        if let Some(&j) = own.get(k + FRAME_AHEAD) {
            prefetch::value(&frames[j as usize]);
        }
        // Guessed at k - GUESSES, for k + CONNECTION_AHEAD.
        let g = std::mem::replace(&mut guessed[k % GUESSES], u32::MAX);
        if let Some(&j) = own.get(k + SLOT_AHEAD) {
            if let Some(&s) = self.flows.find(frames[j as usize].hash, |_| true) {
                guessed[k % GUESSES] = s;
                // Its address only: the slot itself is not read yet.
                let p = self.slots.as_ptr().wrapping_add(s as usize);
                prefetch::lines(p.cast(), std::mem::size_of::<Option<Slot>>());
            }
        }
        if let Some(Some(Slot {
            body: Body::Full(t),
            ..
        })) = self.slots.get(g as usize)
        {
            prefetch::value::<Tracked>(t);
        }
    }

    /// More connections are whole than the budget allows (twice
    /// [`IDLE_SWEEP`], or `idle_sweep`, at first): see [`Tracker::sweep`].
    #[inline]
    fn pressed(&self) -> bool {
        self.whole.count > self.budget
    }

    /// How many segments pass between two looks for idle connections, at
    /// least (see [`Tracker::sweep`]).
    #[inline]
    fn sweep_period(&self) -> usize {
        match self.pressed() {
            true => self.live / PRESSED_SWEEPS,
            false => self.live,
        }
    }

    /// Fires the timers that expire by the clock value `limit` (reached in
    /// this batch), each at the frame where a frame-by-frame walk would
    /// fire it: the first frame whose clock reaches its key. The clock
    /// never goes backwards, so that frame is found by binary search. Keys
    /// are pushed by [`Tracker::schedule`] so that a timer that is already due
    /// when scheduled waits for the next advance of the clock, as it would
    /// in the walk (timers are only looked at when the clock advances).
    fn fire_until(&mut self, frames: &[DecodedFrame], nows: &[i64], limit: i64, cfg: &Config) {
        let mut at = 0usize;
        while let Some(&Reverse((key, s))) = self.timers.peek() {
            if key > limit {
                break;
            }
            self.timers.pop();
            let Some(slot) = self.slots[s as usize].as_ref() else {
                continue;
            };
            if slot.key_in_heap() != Some(key) {
                continue; // stale entry
            }
            // Timers rescheduled while firing may be due already: they fire
            // at the same frame, never an earlier one.
            at = at.max(nows.partition_point(|&n| n < key));
            let Some(f) = frames.get(at) else { break };
            self.clock = self.clock.max(f.now);
            let (frame, clock) = (f.frame, self.clock);
            let slot = self.wake(s, cfg);
            slot.set_timer(None, None);
            slot.t().conn.advance_clock(clock, frame, cfg);
            self.event_row(s, frame, f.ts);
            let slot = self.slots[s as usize].as_mut().expect("live slot");
            if slot.t().conn.is_done(self.clock, cfg) {
                self.retire(s, frame, cfg, false);
            } else {
                self.schedule(s, cfg, false);
            }
        }
        if self.timers.len() > 2 * self.live + 4096 {
            self.compact_timers();
        }
    }

    fn compact_timers(&mut self) {
        let entries: Vec<_> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref()
                    .and_then(|s| s.key_in_heap())
                    .map(|k| Reverse((k, i as u32)))
            })
            .collect();
        self.timers = BinaryHeap::from(entries);
    }

    /// (Re)schedules a connection's timer. `after_segment`: called after a
    /// segment was replayed at the current clock; a deadline already reached
    /// then waits for the next advance of the clock (its heap key is made
    /// later than the clock). Called while firing, it fires in the same
    /// round.
    fn schedule(&mut self, s: u32, cfg: &Config, after_segment: bool) {
        let clock = self.clock;
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        let scheduled = slot.scheduled();
        let t = slot.body.t();
        let d = t.conn.deadline(cfg);
        if d != scheduled {
            if t.conn.is_lingering() {
                // Most connections held are lingering ones.
                t.conn.shrink();
                t.analyzers.shrink();
            }
            let key_in_heap = match d {
                // A clock at its maximum never advances again: nothing
                // scheduled after a segment then fires.
                Some(_) if after_segment && clock == i64::MAX => None,
                Some(d) if after_segment => Some(d.max(clock + 1)),
                d => d,
            };
            slot.set_timer(d, key_in_heap);
            if let Some(k) = key_in_heap {
                self.timers.push(Reverse((k, s)));
            }
        }
    }

    /// Finishes a connection at `frame` and frees its slot.
    fn retire(&mut self, s: u32, frame: u64, cfg: &Config, at_end: bool) {
        let clock = self.clock;
        self.wake(s, cfg).t().conn.finish(clock, frame, cfg, at_end);
        // What expired as it finished: at the last frame of the capture, or
        // at the frame that finished it.
        let (row_frame, row_ts) = match at_end {
            true => self.last,
            false => (frame, self.clock),
        };
        self.event_row(s, row_frame, row_ts);
        let slot = self.slots[s as usize].take().expect("live slot");
        let stream = slot.stream();
        let hash = slot.key.hash_with(&self.hasher);
        if let Ok(entry) = self.flows.find_entry(hash, |&x| x == s) {
            entry.remove();
        }
        self.live -= 1;
        self.whole.remove(s);
        self.to_free.push(s);
        let Body::Full(mut t) = slot.body else {
            unreachable!("woken above")
        };
        let side = slot.side.map(|b| *b).unwrap_or_default();
        let summary = Box::new(ConnectionSummary::take(&mut t, side.tunnels, side.icmp));
        // Kept for thawing while connections are being frozen.
        if self.live >= self.idle_sweep && self.pool.len() < POOL {
            self.pool.push(t);
        }
        self.done.push(Done {
            frame,
            creation: slot.creation,
            stream,
            summary,
        });
    }

    /// Makes the connection in slot `s` whole again if it is an embryo, by
    /// replaying its segment as when it came, and notes that something
    /// happened to it.
    #[inline]
    fn wake(&mut self, s: u32, cfg: &Config) -> &mut Slot {
        if self.idle_sweep == 0 {
            self.recent.push(s);
        }
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        slot.touched();
        slot.woken();
        match &slot.body {
            Body::Full(_) => {}
            Body::Embryo(e) => {
                let seg = e.segment(&slot.key);
                slot.body = Body::Full(first_segment(&seg, e.frame, e.ts, e.now, cfg));
                self.whole.insert(s);
            }
            Body::Frozen(bytes) => {
                slot.body = Body::Full(thaw(bytes, &mut self.pool));
                self.whole.insert(s);
                self.thaws += 1;
            }
        }
        slot
    }

    /// Looks for idle connections: one not woken since the last look is
    /// frozen into bytes (see [`crate::frozen`]) if its endpoints are done
    /// (in TIME_WAIT, or without a connection: it rarely wakes again
    /// before it expires; one closed by FINs was frozen already, by
    /// [`Tracker::freeze_closed`]), or if it is open but has seen no segment for
    /// the linger period (2×MSL of capture time: a connection between
    /// bursts would be thawed again soon, at a cost). Called every `live`
    /// segments while more than [`IDLE_SWEEP`] connections are held, so
    /// it costs a bounded amount per segment (the CLOCK algorithm of page
    /// replacement: a bit per slot, cleared at each look; only the slots
    /// holding a whole connection are looked at, from [`Whole`]).
    ///
    /// Under memory pressure (more connections whole than the budget,
    /// twice [`IDLE_SWEEP`] at first: many open at once), every connection
    /// not woken since the last look is frozen, open or not, and the looks
    /// come [`PRESSED_SWEEPS`] times as often: a connection then stays
    /// whole only while segments come for it, and memory follows the
    /// frozen size (about 600 bytes for an open connection) rather than
    /// the whole one (2,008). A million connections open at once took
    /// 2,521 bytes each without it, 917 with it, and 23% more time
    /// (thawing and freezing again those that see another segment: about
    /// one segment in nine thawed a connection). When more than a quarter
    /// of the segments since the last look thawed one, the pressure is
    /// thrashing (more connections are active at once than the budget
    /// holds, each thawed at its next segment, and a thaw and a freeze
    /// cost about three segments): the budget goes to its maximum,
    /// [`MAX_BUDGET`], for the rest of the capture.
    ///
    /// Connections made by one segment are left to become embryos.
    ///
    /// With `idle_sweep` 0 (for tests), it freezes the connections woken
    /// since the last look instead, before every segment.
    fn sweep(&mut self, cfg: &Config) {
        if self.pressed() && self.thaws.saturating_mul(4) > self.since_sweep {
            // Thrashing: more than a quarter of the segments since the
            // last look thawed a connection, which the pressure will
            // freeze again.
            self.budget = self.idle_sweep.saturating_mul(MAX_BUDGET);
        }
        self.thaws = 0;
        self.since_sweep = 0;
        let clock = self.clock;
        let base = *self.sweep_base.get_or_insert(self.clock);
        let now = coarse(self.clock, base);
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut pool = std::mem::take(&mut self.pool);
        let test = self.idle_sweep == 0;
        let pressed = self.pressed();
        // Whether it froze the connection (whole) in `slot`.
        let mut each = |slot: &mut Slot| -> bool {
            let touched = slot.bits & TOUCHED != 0;
            slot.bits &= !TOUCHED;
            if touched || slot.fresh() || (now < slot.idle_until && !pressed) {
                return false;
            }
            let Body::Full(t) = &slot.body else {
                return false;
            };
            let done = ended(t);
            // Idle for the linger period: as `Connection::is_done` puts it.
            let idle_at = t.conn.last_clock.saturating_add(cfg.linger_ns());
            if !(done || clock >= idle_at || test || pressed) {
                slot.idle_until = coarse(idle_at, base);
                return false;
            }
            slot.freeze(&mut scratch, &mut pool)
        };
        // Checked where it costs a walk every `live` segments, not before
        // every segment (the tests' `idle_sweep` 0).
        debug_assert!(
            test || (self.slots.iter().flatten())
                .filter(|x| matches!(x.body, Body::Full(_)))
                .count()
                == self.whole.count,
            "the whole connections are the ones noted"
        );
        if test {
            for s in std::mem::take(&mut self.recent) {
                if let Some(slot) = self.slots[s as usize].as_mut() {
                    slot.bits &= !TOUCHED;
                    if each(slot) {
                        self.whole.remove(s);
                    }
                }
            }
        } else {
            // The whole ones only, in slot order: a slot frozen, an
            // embryo or free has nothing to freeze (its TOUCHED bit is
            // left as it is: it is set again when the slot is made whole).
            let slots = &mut self.slots;
            self.whole
                .retain(|s| !each(slots[s as usize].as_mut().expect("whole slot")));
        }
        self.scratch = scratch;
        self.pool = pool;
    }

    /// Notes that the connection in slot `s` was made by `seg` alone: once
    /// [`Tracker::keep_whole`] younger ones are, it becomes an embryo if
    /// nothing happened to it meanwhile.
    fn note_young(&mut self, s: u32, seg: &TcpSegment, d: &DecodedFrame) {
        let slot = self.slots[s as usize].as_ref().expect("live slot");
        let Some(e) = Embryo::of(seg, &slot.key, d.frame, d.ts, d.now) else {
            return;
        };
        self.young.push_back((s, slot.creation, e));
        while self.young.len() > self.keep_whole {
            let Some((s, creation, e)) = self.young.pop_front() else {
                break;
            };
            if let Some(slot) = self.slots[s as usize].as_mut() {
                if slot.creation == creation && slot.fresh() {
                    slot.touched();
                    slot.body = Body::Embryo(e);
                    self.whole.remove(s);
                }
            }
        }
    }

    fn create(&mut self, key: FlowKey, seg: &TcpSegment, d: &DecodedFrame, fresh: bool) -> u32 {
        let t = unreplayed(seg, d.frame, d.ts, d.now);
        let frame = d.frame;
        let creation = self.creations;
        self.creations += 1;
        let slot = Slot {
            body: Body::Full(t),
            key,
            creation,
            stream_or: NO_STREAM,
            scheduled_at: 0,
            heap_key: 0,
            side: None,
            bits: if fresh { FRESH } else { 0 },
            idle_until: 0,
        };
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(slot);
                s
            }
            None => {
                // Grown by an eighth rather than doubled: the array is
                // most of a tracker's own memory besides the connections
                // (160 bytes a slot), and doubling would leave up to half
                // of it unused at the peak.
                if self.slots.len() == self.slots.capacity() {
                    self.slots.reserve_exact((self.slots.len() / 8).max(1024));
                }
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        };
        self.live += 1;
        self.whole.insert(s);
        let (slots, hasher) = (&self.slots, &self.hasher);
        let rehash =
            |&x: &u32| (slots[x as usize].as_ref().expect("live slot").key).hash_with(hasher);
        self.flows.insert_unique(d.hash, s, rehash);
        self.new.push((frame, creation, s));
        s
    }

    /// The live slot of a 4-tuple.
    #[inline(always)]
    fn find(&self, key: &FlowKey, hash: u64) -> Option<u32> {
        let slots = &self.slots;
        self.flows
            .find(hash, |&s| {
                slots[s as usize].as_ref().is_some_and(|x| x.key == *key)
            })
            .copied()
    }

    /// The connection a segment (or quoted segment) belongs to, created
    /// or split off an earlier one on the same 4-tuple as Wireshark does.
    /// Returns whether it was made by this segment alone (made, and not
    /// split off an earlier connection).
    #[inline(always)]
    fn slot_for(&mut self, seg: &TcpSegment, d: &DecodedFrame, cfg: &Config) -> (u32, bool) {
        let key = FlowKey::of(seg);
        let Some(s) = self.find(&key, d.hash) else {
            return (self.create(key, seg, d, true), true);
        };
        let conn = &self.wake(s, cfg).t().conn;
        let sender = conn.direction_of(seg).sender();
        if !flow::starts_new_incarnation(seg, conn.ep[sender.index()].base) {
            return (s, false);
        }
        let prev = conn.reuse_info(d.now, (seg.dst, seg.dst_port));
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        slot.t().conn.reopened(d.frame, d.now, cfg);
        self.retire(s, d.frame, cfg, false);
        let s = self.create(key, seg, d, false);
        let t = self.slots[s as usize].as_mut().expect("live slot").t();
        t.conn.note_reuse(&prev);
        t.analyzers.split_from_earlier();
        (s, false)
    }

    fn segment(&mut self, d: &DecodedFrame, tunnel: Option<Tunnel>, cfg: &Config, want_rows: bool) {
        let seg = match &d.packet {
            Packet::Tcp(seg) => seg,
            Packet::Icmp(q) => return self.quote(d, q, tunnel, cfg, want_rows),
            _ => return,
        };
        let (s, made) = self.slot_for(seg, d, cfg);
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        if let Some(t) = tunnel {
            count_tunnel(&mut slot.side.get_or_insert_default().tunnels, t);
            slot.touched();
        }
        // The same segment to the replay and to the analyzers (which read
        // nothing of the replay but the segment's direction), as
        // `first_segment` does.
        let (young, creation) = (made && slot.fresh(), slot.creation);
        if want_rows {
            // The row is made here (the stack is in the cache), then held
            // compact (see the `rows` module).
            let key = Key {
                frame: d.frame,
                creation,
                stream: slot.stream(),
                event: false,
            };
            let mut row = SegmentRecord {
                frame: d.frame,
                ts_ns: d.ts,
                stream: 0,
                flags: seg.flags,
                payload_len: seg.payload_len,
                outcome: SegmentOutcome::blank(Direction::ClientToServer),
                analysis: Verdicts::default(),
                tunnel,
                short_header: seg.options.truncated,
                icmp: None,
                event: false,
            };
            let t = slot.t();
            let outcome = &mut row.outcome;
            t.conn.process_into(seg, d.frame, d.ts, d.now, cfg, outcome);
            row.analysis = t
                .analyzers
                .segment(seg, outcome.direction, d.frame, d.ts, d.now);
            if let Some(rw) = row.outcome.rewrite {
                // Rare: the rewrite changes rows before this one.
                self.rewrite(creation, rw, d.frame, &mut row.outcome);
            }
            self.rows.push(key, &row);
        } else {
            // The summary: the outcome is not kept (a blank one is cheap;
            // a row would not be).
            let t = slot.t();
            let mut outcome = SegmentOutcome::blank(Direction::ClientToServer);
            t.conn
                .process_into(seg, d.frame, d.ts, d.now, cfg, &mut outcome);
            t.analyzers
                .segment(seg, outcome.direction, d.frame, d.ts, d.now);
        }
        self.schedule(s, cfg, true);
        if young {
            self.note_young(s, seg, d);
        } else if self.live > self.idle_sweep && self.idle_sweep > 0 {
            self.freeze_closed(s);
        }
    }

    /// Freezes the connection in slot `s` now if the segment just
    /// replayed closed it (an endpoint in TIME_WAIT, the other too or
    /// without a connection), while trackers freeze at all (more than
    /// `idle_sweep` connections held): it would be frozen at the next
    /// look for idle connections anyway (see [`Tracker::sweep`]), and now
    /// its 2 KB are in the cache. Frozen there, a look read them again
    /// from memory, one cold connection after another: on the 5M
    /// workload at -j 2, the 543 looks took 17% of the shards' replay
    /// time (about 1 ms each, in one shard's turn of one batch, while the
    /// other thread waited at the batch's end); 7% with this. A
    /// connection reset (both endpoints without one) is left to the look:
    /// refused SYNs retried on one 4-tuple would be frozen and thawed
    /// in turn.
    fn freeze_closed(&mut self, s: u32) {
        use crate::state::TcpState::TimeWait;
        let Some(slot) = self.slots[s as usize].as_mut() else {
            return;
        };
        let Body::Full(t) = &slot.body else {
            return;
        };
        let closed = ended(t) && t.conn.ep.iter().any(|e| e.state == TimeWait);
        if closed && slot.freeze(&mut self.scratch, &mut self.pool) {
            self.whole.remove(s);
        }
    }

    /// With rows wanted, the transitions of the connection in slot `s`
    /// that happened between segments become a row at `frame` (see
    /// [`SegmentRecord::event`]). Rows at one frame are kept in the order
    /// the merge needs: events by creation (which within a shard is stream
    /// order), then the segment.
    fn event_row(&mut self, s: u32, frame: u64, ts: i64) {
        if !self.want_rows {
            return;
        }
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        let Some(outcome) = slot.t().conn.take_event() else {
            return;
        };
        let creation = slot.creation;
        let key = Key {
            frame,
            creation,
            stream: slot.stream(),
            event: true,
        };
        let row = SegmentRecord {
            frame,
            ts_ns: ts,
            stream: 0,
            flags: TcpFlags(0),
            payload_len: 0,
            outcome,
            analysis: Verdicts::default(),
            tunnel: None,
            short_header: false,
            icmp: None,
            event: true,
        };
        let mut at = self.rows.len();
        while at > 0 {
            let k = self.rows.key(at - 1);
            if k.frame == frame && (!k.event || k.creation > creation) {
                at -= 1;
            } else {
                break;
            }
        }
        self.rows.insert(at, key, &row);
    }
    /// Holds a timeline row of the connection in slot `s`.
    fn push_row(&mut self, s: u32, record: SegmentRecord) {
        let slot = self.slots[s as usize].as_ref().expect("live slot");
        let key = Key {
            frame: record.frame,
            creation: slot.creation,
            stream: slot.stream(),
            event: record.event,
        };
        self.rows.push(key, &record);
    }

    /// An ICMP error quoting a segment: attributed to the connection, not
    /// replayed.
    fn quote(
        &mut self,
        d: &DecodedFrame,
        q: &decode::IcmpQuote,
        tunnel: Option<Tunnel>,
        cfg: &Config,
        want_rows: bool,
    ) {
        let seg = q.seg;
        let (s, _) = self.slot_for(&seg, d, cfg);
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        slot.touched();
        let t = slot.t();
        let outcome = t
            .conn
            .icmp_error(&seg, (q.v6, q.icmp_type, q.code), d.frame, d.now, cfg);
        let analysis = t.analyzers.quote(&seg, outcome.direction, d.ts);
        let error = IcmpError {
            frame: d.frame,
            ts_ns: d.ts,
            v6: q.v6,
            icmp_type: q.icmp_type,
            code: q.code,
            from: q.from,
            about: outcome.direction.sender(),
            flags: seg.flags,
            rel_seq: outcome.rel_seq,
        };
        slot.side.get_or_insert_default().icmp.push(error);
        if want_rows {
            let row = SegmentRecord {
                frame: d.frame,
                ts_ns: d.ts,
                stream: 0,
                flags: seg.flags,
                payload_len: 0,
                outcome,
                analysis,
                tunnel,
                short_header: false,
                icmp: Some(error),
                event: false,
            };
            self.push_row(s, row);
        }
        self.schedule(s, cfg, true);
    }

    /// Corrects held rows of a connection after `outcome` withdrew the
    /// receipt its endpoint was assumed to have made at `rw.frame`: that
    /// row gets the endpoint's real transitions (moved from `outcome`), and
    /// it and the connection's later held rows get its real state.
    ///
    /// Only a row less than [`ROW_HOLD_FRAMES`] before `frame` (the
    /// segment's) is corrected. Rows are handed out at batch ends, so an
    /// older one may or may not still be held, depending on where the
    /// batches end (a file is read in larger batches than a pipe): judging
    /// by the distance keeps the timeline the same either way.
    fn rewrite(&mut self, creation: u64, rw: Rewrite, frame: u64, outcome: &mut SegmentOutcome) {
        if rw.frame.saturating_add(ROW_HOLD_FRAMES) <= frame {
            return; // handed out, or might have been: this row shows the revision
        }
        // The segment's row at that frame (event rows may share the frame).
        let from = self.rows.partition_point(|k| k.frame < rw.frame);
        let Some(first) = (from..self.rows.len())
            .map(|i| (i, self.rows.key(i)))
            .take_while(|(_, k)| k.frame == rw.frame)
            .find(|(_, k)| !k.event && k.creation == creation)
            .map(|(i, _)| i)
        else {
            return; // already handed out: the row of this segment shows the revision
        };
        let e = rw.endpoint;
        let real = outcome.state[e.index()];
        let mut row = self.rows.get(first);
        let fixed = &mut row.outcome;
        if rw.replace {
            fixed.transitions.retain(|t| t.endpoint != e);
        }
        for t in outcome
            .transitions
            .iter()
            .filter(|t| t.endpoint == e && t.basis != Basis::Revised)
        {
            let _ = fixed.transitions.try_push(*t);
        }
        outcome.transitions.retain(|t| t.endpoint != e);
        // Anomalies that happened at that frame go there too.
        for a in outcome.anomalies.iter().filter(|a| a.frame == rw.frame) {
            let _ = fixed.anomalies.try_push(*a);
        }
        outcome.anomalies.retain(|a| a.frame != rw.frame);
        self.rows.set(first, &row);
        for i in first..self.rows.len() {
            if self.rows.key(i).creation == creation {
                let mut row = self.rows.get(i);
                let r = &mut row.outcome;
                r.state[e.index()] = real;
                // The endpoint's own segment settled what it had received.
                r.uncertain[e.index()] = None;
                if i > first {
                    // What the rows in between said of it did not happen.
                    r.transitions.retain(|t| t.endpoint != e);
                }
                self.rows.set(i, &row);
            }
        }
    }

    /// The capture ended at `frame`: lists the connections still open, to
    /// be finished by [`Tracker::finish_below`] in stream order.
    pub(crate) fn begin_end(&mut self, frame: u64) {
        self.last = (frame, self.clock);
        self.young.clear();
        // Nothing is looked up any more: the table goes at once rather than
        // entry by entry as each connection finishes (a random probe each).
        self.flows = hashbrown::HashTable::new();
        // No batch any more: nothing is created, every row held is named.
        self.batch_first_creation = self.creations;
        self.batch_first_row = self.rows.len();
        self.rows.begin_batch();
        self.ending = (self.slots.iter().enumerate())
            .filter_map(|(s, x)| x.as_ref().map(|_| s as u32))
            .collect();
        let slots = &self.slots;
        let stream = |s: &u32| slots[*s as usize].as_ref().map_or(0, |x| x.stream_or);
        self.ending
            .sort_unstable_by_key(|s| std::cmp::Reverse(stream(s)));
        self.ending.shrink_to_fit();
    }

    /// The stream of the next connection [`Tracker::finish_below`] would
    /// finish.
    pub(crate) fn next_ending(&self) -> Option<u64> {
        let s = *self.ending.last()?;
        self.slots[s as usize].as_ref().map(|x| x.stream_or)
    }

    /// Finishes the connections open at the end of the capture whose
    /// streams are below `limit` (see [`Tracker::begin_end`]).
    pub(crate) fn finish_below(&mut self, limit: u64, cfg: &Config) {
        let frame = self.last.0;
        while let Some(stream) = self.next_ending() {
            if stream >= limit {
                break;
            }
            let s = self.ending.last().copied().expect("an ending slot");
            self.ending.pop();
            let clock = self.clock;
            self.wake(s, cfg).t().conn.advance_clock(clock, frame, cfg);
            self.retire(s, u64::MAX, cfg, true);
        }
    }

    // ---- what the merge takes out at the end of a batch ----

    /// The connections created during this batch: their first frame and
    /// their index in the batch's creation order.
    pub(crate) fn created(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.new
            .iter()
            .map(|&(frame, creation, _)| (frame, (creation - self.batch_first_creation) as usize))
    }

    /// How many connections were created during this batch.
    pub(crate) fn created_count(&self) -> usize {
        self.new.len()
    }

    /// Gives the connections created during this batch their streams
    /// (`streams[i]`: the i-th created), and the batch's rows theirs.
    pub(crate) fn name_streams(&mut self, streams: &[u64]) {
        let first = self.batch_first_creation;
        for &(_, creation, s) in &self.new {
            if let Some(slot) = self.slots[s as usize].as_mut() {
                if slot.creation == creation {
                    slot.stream_or = streams[(creation - first) as usize];
                }
            }
        }
        self.new.clear();
        for k in self.rows.keys_mut(self.batch_first_row) {
            if k.stream.is_none() {
                k.stream = Some(streams[(k.creation - first) as usize]);
            }
        }
    }

    /// Whether the first row held may be handed out (see [`hand_out`]).
    #[inline]
    pub(crate) fn has_ready(&self, last_frame: u64, last_batch: bool) -> bool {
        self.rows
            .front_key()
            .is_some_and(|k| hand_out(k.frame, last_frame, last_batch))
    }

    /// Takes out the rows that may be handed out (see [`hand_out`]), in
    /// order, into `out`: the chunks they are held in, as they are (see
    /// the `rows` module). `spare` is emptied chunks handed back, taken
    /// for their allocations.
    pub(crate) fn take_ready(
        &mut self,
        last_frame: u64,
        last_batch: bool,
        spare: &mut Vec<Chunk>,
        out: &mut Vec<Chunk>,
    ) {
        self.rows.give_back(spare);
        // Rows are held in frame order: the ready ones come first.
        let n = self
            .rows
            .partition_point(|k| hand_out(k.frame, last_frame, last_batch));
        self.rows.take_front(n, out);
    }

    /// Takes out the connections finished during this batch, each with the
    /// frame that finished it. `streams`: as for [`Tracker::name_streams`].
    pub(crate) fn take_done(&mut self, streams: &[u64], out: &mut Vec<(u64, ConnectionRecord)>) {
        let first = self.batch_first_creation;
        for d in std::mem::take(&mut self.done) {
            let stream = d
                .stream
                .unwrap_or_else(|| streams[(d.creation - first) as usize]);
            let summary = d.summary;
            out.push((d.frame, ConnectionRecord { stream, summary }));
        }
    }
}

/// The slots that hold a whole connection: a bit each, and how many.
/// The look for idle connections visits only these: on the 5M workload
/// about a fifth of the slots, the others frozen, embryos or free (it
/// walked them all before, 112 bytes a slot through the cache).
#[derive(Default)]
struct Whole {
    bits: Vec<u64>,
    count: usize,
}

impl Whole {
    /// Notes that slot `s` holds a whole connection.
    #[inline]
    fn insert(&mut self, s: u32) {
        let (w, b) = ((s / 64) as usize, s % 64);
        if w >= self.bits.len() {
            self.bits.resize(w + 1, 0);
        }
        debug_assert!(self.bits[w] & 1 << b == 0, "slot {s} noted whole twice");
        self.bits[w] |= 1 << b;
        self.count += 1;
    }

    /// Notes that slot `s` no longer does.
    #[inline]
    fn remove(&mut self, s: u32) {
        let (w, b) = ((s / 64) as usize, s % 64);
        debug_assert!(self.bits[w] & 1 << b != 0, "slot {s} was not whole");
        self.bits[w] &= !(1 << b);
        self.count -= 1;
    }

    /// Keeps the slots for which `keep` holds, visited in slot order.
    fn retain(&mut self, mut keep: impl FnMut(u32) -> bool) {
        for (i, word) in self.bits.iter_mut().enumerate() {
            let mut left = *word;
            while left != 0 {
                let b = left.trailing_zeros();
                left &= left - 1;
                if !keep(i as u32 * 64 + b) {
                    *word &= !(1 << b);
                    self.count -= 1;
                }
            }
        }
    }
}

/// Both endpoints of `t` are done: in TIME_WAIT, or without a connection.
fn ended(t: &Tracked) -> bool {
    use crate::state::TcpState::TimeWait;
    t.conn
        .ep
        .iter()
        .all(|e| e.state == TimeWait || e.state.is_terminal())
}

/// `t` frozen (see [`crate::frozen`]), written through `scratch`, which is
/// handed back for reuse.
fn freeze(t: &Tracked, scratch: Vec<u8>) -> (Box<[u8]>, Vec<u8>) {
    let mut w = Writer::new(scratch, t.conn.first_ts);
    t.put(&mut w);
    let bytes: Box<[u8]> = w.bytes().into();
    debug_assert!(
        {
            let again = thaw(&bytes, &mut Vec::new());
            let mut w2 = Writer::new(Vec::new(), t.conn.first_ts);
            again.put(&mut w2);
            w2.bytes() == &bytes[..]
        },
        "a frozen connection thaws into the same connection"
    );
    (bytes, w.into_buf())
}

/// How many of a tracker's segments ahead [`Tracker::prefetch_ahead`]
/// loads the frame, the slot and the connection.
const FRAME_AHEAD: usize = 12;
const SLOT_AHEAD: usize = 8;
const CONNECTION_AHEAD: usize = 4;
const GUESSES: usize = SLOT_AHEAD - CONNECTION_AHEAD;

/// A connection [`freeze`] froze, whole again: in an allocation of `pool`
/// if there is one.
#[allow(clippy::vec_box, reason = "the boxes are the allocations reused")]
fn thaw(bytes: &[u8], pool: &mut Vec<Box<Tracked>>) -> Box<Tracked> {
    let mut r = Reader::new(bytes);
    let t = match pool.pop() {
        Some(mut t) => {
            t.take_into(&mut r);
            t
        }
        None => Box::new(Tracked::take(&mut r)),
    };
    debug_assert!(r.is_done(), "a frozen connection is read to its end");
    t
}

/// A connection made by `seg`, before it is replayed.
fn unreplayed(seg: &TcpSegment, frame: u64, ts: i64, now: i64) -> Box<Tracked> {
    Box::new(Tracked {
        conn: Connection::new(seg, frame, ts, now),
        analyzers: Analyzers::new(),
    })
}

/// A connection made by `seg` alone, replayed as [`Tracker::segment`]
/// replays a connection's first segment: an embryo made whole again.
fn first_segment(seg: &TcpSegment, frame: u64, ts: i64, now: i64, cfg: &Config) -> Box<Tracked> {
    let mut t = unreplayed(seg, frame, ts, now);
    let mut outcome = SegmentOutcome::blank(Direction::ClientToServer);
    t.conn.process_into(seg, frame, ts, now, cfg, &mut outcome);
    t.analyzers.segment(seg, outcome.direction, frame, ts, now);
    t
}

/// Counts a segment that rode in `t`.
fn count_tunnel(v: &mut Vec<TunnelUse>, t: Tunnel) {
    match v.iter_mut().find(|u| u.tunnel == t) {
        Some(u) => u.packets += 1,
        None => v.push(TunnelUse {
            tunnel: t,
            packets: 1,
        }),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::TcpState;
    use std::net::{IpAddr, Ipv4Addr};

    const SERVER: (IpAddr, u16) = (IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)), 80);

    fn client(i: u32) -> (IpAddr, u16) {
        let a = Ipv4Addr::new(10, 1 + (i / 50_000) as u8, 0, 1);
        (IpAddr::V4(a), 10_000 + (i % 50_000) as u16)
    }

    /// Frames of `n` connections opened one after the other (SYN, SYN-ACK,
    /// ACK), then `rounds` rounds in which each of the first `active`
    /// sends 100 bytes and is acknowledged, in turn; 20 µs apart.
    fn round_robin(n: u32, active: u32, rounds: u32, hasher: &FlowHasher) -> Vec<DecodedFrame> {
        let mut segs = Vec::new();
        let isn = |i: u32| i.wrapping_mul(2_654_435_761);
        for i in 0..n {
            let (c, s) = (isn(i), !isn(i));
            segs.push(TcpSegment::new(client(i), SERVER, TcpFlags::SYN, c, 0, 0));
            let syn_ack = TcpFlags(TcpFlags::SYN.0 | TcpFlags::ACK.0);
            let (c1, s1) = (c.wrapping_add(1), s.wrapping_add(1));
            segs.push(TcpSegment::new(SERVER, client(i), syn_ack, s, c1, 0));
            segs.push(TcpSegment::new(client(i), SERVER, TcpFlags::ACK, c1, s1, 0));
        }
        for k in 0..rounds {
            for i in 0..active {
                let c = isn(i).wrapping_add(1 + k * 100);
                let s = (!isn(i)).wrapping_add(1);
                let psh_ack = TcpFlags(TcpFlags::PSH.0 | TcpFlags::ACK.0);
                segs.push(TcpSegment::new(client(i), SERVER, psh_ack, c, s, 100));
                let acked = c.wrapping_add(100);
                segs.push(TcpSegment::new(
                    SERVER,
                    client(i),
                    TcpFlags::ACK,
                    s,
                    acked,
                    0,
                ));
            }
        }
        segs.into_iter()
            .enumerate()
            .map(|(f, seg)| {
                let ts = 1_000_000_000 + f as i64 * 20_000;
                DecodedFrame {
                    frame: f as u64 + 1,
                    ts,
                    now: ts,
                    shard: 0,
                    hash: FlowKey::of(&seg).hash_with(hasher),
                    packet: Packet::Tcp(seg),
                }
            })
            .collect()
    }

    /// Replays `frames` through a tracker that looks for idle connections
    /// past 64 (budget 128 whole, at most 1,024), in batches of 1,000.
    fn replayed(frames: &[DecodedFrame], hasher: FlowHasher) -> Tracker {
        let mut t = Tracker::new(KEEP_WHOLE, 64, hasher);
        let cfg = Config::default();
        for batch in frames.chunks(1_000) {
            let nows: Vec<i64> = batch.iter().map(|d| d.now).collect();
            let own: Vec<u32> = (0..batch.len() as u32).collect();
            t.run(batch, &nows, &own, &Extras::default(), &cfg, false);
            t.done.clear();
        }
        t
    }

    /// 600 connections open, 20 of them active: the other 580 are frozen
    /// under memory pressure and stay frozen; the budget stays as it was.
    #[test]
    fn idle_open_connections_are_frozen_under_pressure() {
        let hasher = FlowHasher::default();
        let t = replayed(&round_robin(600, 20, 40, &hasher), hasher);
        assert_eq!(t.live, 600);
        assert_eq!(t.budget, 128);
        assert!(t.whole.count <= 128, "{} whole", t.whole.count);
        let frozen = t.slots.iter().flatten();
        let frozen = frozen.filter(|s| matches!(s.body, Body::Frozen(_))).count();
        assert!(frozen >= 600 - 128, "{frozen} frozen");
    }

    /// 600 connections open and all active in turn: each would be thawed
    /// at its next segment and frozen again at the next look. The budget
    /// goes to its maximum (1,024), and they are all kept whole.
    #[test]
    fn pressure_that_thrashes_raises_the_budget() {
        let hasher = FlowHasher::default();
        let t = replayed(&round_robin(600, 600, 6, &hasher), hasher);
        assert_eq!(t.live, 600);
        assert_eq!(t.budget, 1_024);
        assert_eq!(t.whole.count, 600);
    }

    /// 3,000 connections active in turn, more than the largest budget:
    /// memory stays bounded (the budget, and what the segments since the
    /// last look, every live / 8, thawed).
    #[test]
    fn the_largest_budget_still_bounds_memory() {
        let hasher = FlowHasher::default();
        let frames = round_robin(3_000, 3_000, 3, &hasher);
        let t = replayed(&frames, hasher);
        assert_eq!(t.live, 3_000);
        assert_eq!(t.budget, 1_024);
        assert!(
            t.whole.count <= 1_024 + 3_000 / 8 + 1,
            "{} whole",
            t.whole.count
        );
    }

    /// While a tracker freezes connections (more held than idle_sweep),
    /// one closed by FINs is frozen at the segment that closed it, before
    /// any look; one closed by a RST is left whole for the look.
    #[test]
    fn a_connection_is_frozen_at_the_segment_that_closed_it() {
        let hasher = FlowHasher::default();
        let mut frames = round_robin(100, 0, 0, &hasher);
        let isn = |i: u32| i.wrapping_mul(2_654_435_761);
        let (c, s) = (isn(0).wrapping_add(1), (!isn(0)).wrapping_add(1));
        let fin_ack = TcpFlags(TcpFlags::FIN.0 | TcpFlags::ACK.0);
        let rst = TcpSegment::new(
            client(1),
            SERVER,
            TcpFlags::RST,
            isn(1).wrapping_add(1),
            0,
            0,
        );
        let close = [
            TcpSegment::new(client(0), SERVER, fin_ack, c, s, 0),
            TcpSegment::new(SERVER, client(0), TcpFlags::ACK, s, c.wrapping_add(1), 0),
            TcpSegment::new(SERVER, client(0), fin_ack, s, c.wrapping_add(1), 0),
            rst,
            TcpSegment::new(
                client(0),
                SERVER,
                TcpFlags::ACK,
                c.wrapping_add(1),
                s.wrapping_add(1),
                0,
            ),
        ];
        let mut ts = frames.last().map_or(0, |d| d.ts);
        for seg in close {
            ts += 20_000;
            frames.push(DecodedFrame {
                frame: frames.len() as u64 + 1,
                ts,
                now: ts,
                shard: 0,
                hash: FlowKey::of(&seg).hash_with(&hasher),
                packet: Packet::Tcp(seg),
            });
        }
        let t = replayed(&frames, hasher);
        let body = |i: u32| {
            let key = FlowKey::of(&TcpSegment::new(client(i), SERVER, TcpFlags::ACK, 0, 0, 0));
            let slot = t
                .slots
                .iter()
                .flatten()
                .find(|s| s.key == key)
                .expect("held");
            match &slot.body {
                Body::Full(t) => Some([t.conn.ep[0].state, t.conn.ep[1].state]),
                _ => None,
            }
        };
        // Both were touched by their last segments: no look froze them.
        assert_eq!(body(0), None, "closed by FINs: frozen");
        assert_eq!(body(1), Some([TcpState::Closed; 2]), "reset: whole");
        assert_eq!(t.live, 100);
    }

    /// What a connection that has seen one segment costs in its tracker's
    /// slot array, the largest part of its memory (README "Limits": with
    /// the hash table's and the timer heap's entries, under 200 bytes).
    #[test]
    fn an_embryo_slot_is_small() {
        assert!(std::mem::size_of::<super::Embryo>() <= 72);
        assert!(std::mem::size_of::<Option<super::Slot>>() <= 160);
    }
}
