//! The streaming, parallel pipeline.
//!
//! ```text
//!  reader thread          rayon pool                         caller's thread
//!  ─────────────          ─────────────────────────────────  ────────────────
//!  frame batches  ──▶  decode (parallel chunks)
//!                      replay (parallel, one task per shard) ──▶ merge ──▶ Consumer
//! ```
//!
//! * A reader thread frames the capture into batches (memory-mapped files
//!   or chunked standard input) while the previous batch is processed.
//! * Each batch is decoded in parallel chunks; every TCP segment gets the
//!   shard of its canonical 4-tuple.
//! * Each shard replays its connections in capture order. Every shard sees
//!   every frame's timestamp, so timers (TIME_WAIT, SYN timeouts, the linger
//!   period after which a closed connection is finished and freed) fire at
//!   the same frame whatever the number of shards.
//! * The merge, on the caller's thread, numbers new connections in frame
//!   order (Wireshark's `tcp.stream`), puts segment rows back in frame order
//!   and finished connections in completion order (the frame that finished
//!   them, then stream; those still open at the end by stream).
//!
//! Output is therefore identical whatever the thread count. Memory is
//! bounded by the batch size and the connections open at once: a finished
//! connection is handed to the consumer and freed.

use crate::capture::{Batch, CaptureError, CaptureReader, LinkType, Next};
pub use crate::clock::Clock;
use crate::connection::{Config, Connection, Rewrite, SegmentOutcome};
use crate::decode::{self, Packet, Skip, TcpFlags, TcpSegment, Tunnel};
use crate::flow::{self, FlowKey};
use crate::reassembly::{self, Reassembler};
use crate::state::Basis;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

/// What to compute.
#[derive(Clone, Debug)]
pub struct Options {
    /// Replay parameters (MSL, timeouts).
    pub replay: Config,
    /// Verify IPv4 and TCP checksums while decoding.
    pub verify_checksums: bool,
    /// Produce one [`SegmentRecord`] per TCP segment (the timeline).
    pub segments: bool,
    /// Frames per batch.
    pub batch_frames: usize,
}

impl Options {
    /// The defaults, with one [`SegmentRecord`] per segment (a timeline).
    pub fn timeline() -> Options {
        Options {
            segments: true,
            ..Options::default()
        }
    }
}

impl Default for Options {
    fn default() -> Options {
        Options {
            replay: Config::default(),
            verify_checksums: false,
            segments: false,
            batch_frames: 32 * 1024,
        }
    }
}

/// One timeline row: a segment and what it did.
#[derive(Clone, Debug)]
pub struct SegmentRecord {
    /// Wireshark's `frame.number`.
    pub frame: u64,
    /// Timestamp, nanoseconds since the epoch.
    pub ts_ns: i64,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The segment's control bits.
    pub flags: TcpFlags,
    /// Payload length (from the IP length).
    pub payload_len: u32,
    /// What the segment did: states after it, transitions, verdicts.
    pub outcome: SegmentOutcome,
    /// The tunnels the segment rode in.
    pub tunnel: Option<Tunnel>,
    /// The capture cut the segment's header inside its options (it was
    /// analysed with the options before the cut).
    pub short_header: bool,
    /// Set when the row is not a segment but an ICMP error quoting one
    /// (`flags`, `outcome.rel_seq` and `rel_ack` are the quoted segment's;
    /// nothing was replayed).
    pub icmp: Option<IcmpError>,
    /// Set when the row is not a segment but transitions that happened
    /// between segments: a timer that expired (TIME_WAIT's 2×MSL, a SYN
    /// given up after R2) or an incarnation ended by a new SYN on its
    /// 4-tuple, at the frame whose timestamp or arrival showed it. Its
    /// `flags`, `payload_len`, `rel_seq`, `rel_ack` and `direction` mean
    /// nothing. At one frame, such rows come before the segment's row, in
    /// stream order.
    pub event: bool,
}

/// An ICMP error about a connection: which error, from whom, about which
/// of its segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError {
    /// The frame of the error.
    pub frame: u64,
    /// Its timestamp.
    pub ts_ns: i64,
    /// ICMPv6 (else ICMP).
    pub v6: bool,
    /// The ICMP (or ICMPv6) type.
    pub icmp_type: u8,
    /// Its code.
    pub code: u8,
    /// The sender of the error.
    pub from: std::net::IpAddr,
    /// Who sent the quoted segment.
    pub about: crate::connection::Role,
    /// The quoted segment's flags.
    pub flags: TcpFlags,
    /// The quoted segment's sequence number, relative.
    pub rel_seq: u32,
}

impl IcmpError {
    /// "destination unreachable (port unreachable)" and the like.
    pub fn describe(&self) -> String {
        decode::icmp::describe(self.v6, self.icmp_type, self.code)
    }
}

/// A tunnel a connection's segments rode in, and how many did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelUse {
    /// The tunnel.
    pub tunnel: Tunnel,
    /// Segments that rode in it.
    pub packets: u64,
}

/// A connection whose replay is finished.
#[derive(Clone, Debug)]
pub struct ConnectionRecord {
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The replayed connection.
    pub conn: Box<Connection>,
    /// The tunnels its segments rode in, in the order first seen (empty
    /// when none was tunnelled; segments not counted here came directly).
    pub tunnels: Vec<TunnelUse>,
    /// The ICMP errors that quoted its segments, in frame order.
    pub icmp: Vec<IcmpError>,
}

/// Receives the results, on the caller's thread, batch by batch. Every
/// method has a default that ignores what it is given: implement the ones
/// you need, or use the [`Collector`].
pub trait Consumer {
    /// Called once, before any record, with the capture's first timestamp.
    fn capture_start(&mut self, first_ts: i64) {
        let _ = first_ts;
    }
    /// Segment rows of one batch, in frame order (only with
    /// [`Options::segments`]).
    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        let _ = records;
        Ok(())
    }
    /// Connections finished during one batch, in completion order.
    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        let _ = records;
        Ok(())
    }
}

/// A [`Consumer`] that keeps everything it is given: every segment row (with
/// [`Options::segments`]) and every connection. Its memory grows with the
/// capture: for small captures and tests; a long capture wants a consumer
/// that handles each batch and lets it go.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    /// The capture's first timestamp (`None` when it has no frame).
    pub first_ts: Option<i64>,
    /// Every segment row, in frame order.
    pub segments: Vec<SegmentRecord>,
    /// Every connection, in completion order (see [`Collector::by_stream`]).
    pub connections: Vec<ConnectionRecord>,
}

impl Collector {
    /// The connections in stream order.
    pub fn by_stream(&self) -> Vec<&ConnectionRecord> {
        let mut v: Vec<&ConnectionRecord> = self.connections.iter().collect();
        v.sort_by_key(|c| c.stream);
        v
    }
}

impl Consumer for Collector {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = Some(first_ts);
    }
    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        self.segments.extend_from_slice(records);
        Ok(())
    }
    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        self.connections.extend_from_slice(records);
        Ok(())
    }
}

/// Why packets were not analysed.
pub const SKIP_KINDS: [Skip; 8] = [
    Skip::UnsupportedLink,
    Skip::NotIp,
    Skip::NotTcp,
    Skip::Fragment,
    Skip::TruncatedIpHeader,
    Skip::TruncatedTcpHeader,
    Skip::Malformed,
    Skip::TooDeep,
];

fn skip_index(s: Skip) -> usize {
    match s {
        Skip::UnsupportedLink => 0,
        Skip::NotIp => 1,
        Skip::NotTcp => 2,
        Skip::Fragment => 3,
        Skip::TruncatedIpHeader => 4,
        Skip::TruncatedTcpHeader => 5,
        Skip::Malformed => 6,
        Skip::TooDeep => 7,
    }
}

/// The key under which a skip reason is reported.
pub fn skip_name(s: Skip) -> &'static str {
    match s {
        Skip::UnsupportedLink => "unsupported_link",
        Skip::NotIp => "not_ip",
        Skip::NotTcp => "not_tcp",
        Skip::Fragment => "ip_fragments",
        Skip::TruncatedIpHeader => "truncated_ip_header",
        Skip::TruncatedTcpHeader => "truncated_tcp_header",
        Skip::Malformed => "malformed",
        Skip::TooDeep => "too_deep",
    }
}

/// Packets on an interface whose link type is not supported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsupportedLink {
    /// The pcapng interface (0 in a pcap).
    pub interface: u32,
    /// Its link type.
    pub link_type: LinkType,
    /// Packets skipped on it.
    pub packets: u64,
}

/// What a whole capture contained.
#[derive(Debug, Default)]
pub struct Totals {
    /// Every packet record of the file.
    pub frames: u64,
    /// TCP segments decoded.
    pub tcp_segments: u64,
    /// Connections (streams numbered).
    pub connections: u64,
    /// ICMP errors quoting a TCP header (attributed to its connection).
    pub icmp_quotes: u64,
    /// TCP segments whose header the capture cut inside its options
    /// (analysed with the options before the cut).
    pub short_headers: u64,
    /// Packets not analysed, by reason (see [`SKIP_KINDS`]). A fragment
    /// frame counts under `ip_fragments` unless it completed a datagram.
    pub skipped: [u64; 8],
    /// IP fragment reassembly.
    pub reassembly: reassembly::Stats,
    /// Interfaces whose link type is not supported.
    pub unsupported: Vec<UnsupportedLink>,
    /// The first frame's timestamp.
    pub first_ts: Option<i64>,
    /// The capture clock at the last frame (see [`Clock`]).
    pub last_ts: Option<i64>,
    /// Timestamps that could not be used as they are.
    pub timestamps: TimestampNotes,
    /// The damage that ended reading early, if any: everything before it
    /// was analysed.
    pub error: Option<CaptureError>,
}

/// Frames whose timestamps could not be used as they are (reported on
/// stderr, and in the JSON totals).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimestampNotes {
    /// Frames stamped outside what 64-bit nanoseconds since the epoch hold
    /// (before 1677-09-21 or after 2262-04-11; pcapng allows them): they
    /// count as that limit.
    pub out_of_range: u64,
    /// The first of them.
    pub first_out_of_range: Option<u64>,
    /// Frames whose timestamp jumped more than a day away from the capture
    /// clock without the next frame confirming it (see [`Clock`]): timers and
    /// connection times use the clock instead (see [`crate::clock::trusted`]).
    pub ignored: u64,
    /// The first of them.
    pub first_ignored: Option<u64>,
}

impl Totals {
    /// Packets not analysed for reason `s`.
    pub fn skipped(&self, s: Skip) -> u64 {
        self.skipped[skip_index(s)]
    }
}

/// A decoded frame. Kept small (the replay reads one per segment): the
/// tunnel the few tunnelled frames rode in is kept aside ([`Extras`]).
#[derive(Clone, Copy)]
struct Decoded1 {
    frame: u64,
    ts: i64,
    /// The capture clock at this frame (see [`Clock`]).
    now: i64,
    /// Shard of the segment or quote, or `NOT_TCP`.
    shard: u32,
    packet: Packet,
}

/// The tunnels of the tunnelled frames of a batch, by frame index: those
/// the decode found (in order), then those of reassembled datagrams (in
/// order too; a reassembled frame's entry there replaces its own).
#[derive(Default)]
struct Extras {
    decoded: Vec<(u32, Option<Tunnel>)>,
    reassembled: Vec<(u32, Option<Tunnel>)>,
}

impl Extras {
    #[inline]
    fn tunnel(&self, i: u32) -> Option<Tunnel> {
        if self.decoded.is_empty() && self.reassembled.is_empty() {
            return None;
        }
        let find =
            |v: &[(u32, Option<Tunnel>)]| v.binary_search_by_key(&i, |e| e.0).ok().map(|k| v[k].1);
        find(&self.reassembled)
            .or_else(|| find(&self.decoded))
            .flatten()
    }

    fn clear(&mut self) {
        self.decoded.clear();
        self.reassembled.clear();
    }
}

const NOT_TCP: u32 = u32::MAX;

/// Per-chunk decode statistics.
#[derive(Default)]
struct DecodeStats {
    tcp: u64,
    icmp: u64,
    short: u64,
    fragments: u64,
    skipped: [u64; 8],
    unsupported: Vec<(u32, LinkType, u64)>,
    /// Tunnels of the chunk's tunnelled frames, by index in the batch.
    extras: Vec<(u32, Option<Tunnel>)>,
}

impl DecodeStats {
    /// Counts what a frame turned out to hold.
    #[inline]
    fn count(&mut self, p: &Packet) {
        match p {
            Packet::Tcp(s) => {
                self.tcp += 1;
                self.short += u64::from(s.options.truncated);
            }
            Packet::Icmp(_) => self.icmp += 1,
            Packet::Fragment(_) => self.fragments += 1,
            Packet::Skipped(s) => self.skipped[skip_index(*s)] += 1,
        }
    }

    fn merge(mut self, other: DecodeStats) -> DecodeStats {
        self.tcp += other.tcp;
        self.icmp += other.icmp;
        self.short += other.short;
        self.fragments += other.fragments;
        self.extras.extend(other.extras);
        for (a, b) in self.skipped.iter_mut().zip(other.skipped) {
            *a += b;
        }
        for (i, l, n) in other.unsupported {
            add_unsupported(&mut self.unsupported, i, l, n);
        }
        self
    }
}

fn add_unsupported(v: &mut Vec<(u32, LinkType, u64)>, iface: u32, link: LinkType, n: u64) {
    match v.iter_mut().find(|(i, l, _)| *i == iface && *l == link) {
        Some(e) => e.2 += n,
        None => v.push((iface, link, n)),
    }
}

/// A live connection in a shard.
struct Slot {
    conn: Box<Connection>,
    key: FlowKey,
    creation: u64,
    stream: Option<u64>,
    /// The deadline currently scheduled.
    scheduled: Option<i64>,
    /// Its key in the timer heap (see [`Shard::schedule`]); other entries
    /// of the slot in the heap are stale.
    key_in_heap: Option<i64>,
    tunnels: Vec<TunnelUse>,
    icmp: Vec<IcmpError>,
}

/// A connection finished during the current batch.
struct Done {
    /// The frame that finished it (`u64::MAX`: the end of the capture).
    frame: u64,
    creation: u64,
    stream: Option<u64>,
    conn: Box<Connection>,
    tunnels: Vec<TunnelUse>,
    icmp: Vec<IcmpError>,
}

/// How many frames a timeline row is held before it is handed out, so that a
/// later segment can still correct it: when an endpoint's own segment shows
/// it had not received a segment the capture saw earlier (crossing FINs or
/// SYNs, an RST from a port without a connection), the row of that earlier
/// segment is rewritten with what really happened. A fixed count of frames
/// keeps the result independent of batching and threads.
pub const ROW_HOLD_FRAMES: u64 = 32 * 1024;

/// A segment row produced by a shard.
struct Row {
    creation: u64,
    stream: Option<u64>,
    record: SegmentRecord,
}

/// One shard: the connections whose 4-tuples hash to it.
struct Shard {
    flows: HashMap<FlowKey, u32, foldhash::fast::RandomState>,
    slots: Vec<Option<Slot>>,
    free: Vec<u32>,
    /// Slots freed this batch, reusable from the next one (rows and done
    /// records of this batch still name their creation).
    to_free: Vec<u32>,
    timers: BinaryHeap<Reverse<(i64, u32)>>,
    live: usize,
    creations: u64,
    batch_first_creation: u64,
    clock: i64,
    new: Vec<(u64, u64, u32)>,
    /// Rows held for [`ROW_HOLD_FRAMES`], in frame order.
    rows: std::collections::VecDeque<Row>,
    /// Index in `rows` of the first row of the current batch.
    batch_first_row: usize,
    done: Vec<Done>,
    /// Timeline rows are wanted (set for each batch).
    want_rows: bool,
    /// The capture's last frame and the clock there (set at its end).
    last: (u64, i64),
}

impl Shard {
    fn new() -> Shard {
        Shard {
            flows: HashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            to_free: Vec::new(),
            timers: BinaryHeap::new(),
            live: 0,
            creations: 0,
            batch_first_creation: 0,
            clock: i64::MIN,
            new: Vec::new(),
            rows: std::collections::VecDeque::new(),
            batch_first_row: 0,
            done: Vec::new(),
            want_rows: false,
            last: (0, 0),
        }
    }

    /// Replays this shard's frames of a batch. `own` indexes its segments in
    /// `frames`; the other frames only move the clock, and what they would
    /// fire is found by binary search on the clock (see [`Shard::fire_until`])
    /// instead of walking every frame of the batch in every shard.
    fn run(
        &mut self,
        frames: &[Decoded1],
        nows: &[i64],
        own: &[u32],
        extras: &Extras,
        cfg: &Config,
        want_rows: bool,
    ) {
        self.free.append(&mut self.to_free);
        self.batch_first_creation = self.creations;
        self.batch_first_row = self.rows.len();
        self.want_rows = want_rows;
        for &i in own {
            let d = &frames[i as usize];
            self.fire_until(frames, nows, d.now, cfg);
            self.clock = self.clock.max(d.now);
            self.segment(d, extras.tunnel(i), cfg, want_rows);
        }
        if let Some(last) = frames.last() {
            self.fire_until(frames, nows, last.now, cfg);
            self.clock = self.clock.max(last.now);
        }
    }

    /// Fires the timers that expire by the clock value `limit` (reached in
    /// this batch), each at the frame where a frame-by-frame walk would
    /// fire it: the first frame whose clock reaches its key. The clock
    /// never goes backwards, so that frame is found by binary search. Keys
    /// are pushed by [`Shard::schedule`] so that a timer that is already due
    /// when scheduled waits for the next advance of the clock, as it would
    /// in the walk (timers are only looked at when the clock advances).
    fn fire_until(&mut self, frames: &[Decoded1], nows: &[i64], limit: i64, cfg: &Config) {
        let mut at = 0usize;
        while let Some(&Reverse((key, s))) = self.timers.peek() {
            if key > limit {
                break;
            }
            self.timers.pop();
            let Some(slot) = self.slots[s as usize].as_ref() else {
                continue;
            };
            if slot.key_in_heap != Some(key) {
                continue; // stale entry
            }
            // Timers rescheduled while firing may be due already: they fire
            // at the same frame, never an earlier one.
            at = at.max(nows.partition_point(|&n| n < key));
            let Some(f) = frames.get(at) else { break };
            self.clock = self.clock.max(f.now);
            let frame = f.frame;
            let slot = self.slots[s as usize].as_mut().expect("live slot");
            slot.scheduled = None;
            slot.key_in_heap = None;
            slot.conn.advance_clock(self.clock, frame, cfg);
            self.event_row(s, frame, f.ts);
            let slot = self.slots[s as usize].as_mut().expect("live slot");
            if slot.conn.is_done(self.clock, cfg) {
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
                    .and_then(|s| s.key_in_heap)
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
        let d = slot.conn.deadline(cfg);
        if d != slot.scheduled {
            if slot.conn.is_lingering() {
                // Most connections held are lingering ones.
                slot.conn.shrink();
            }
            slot.scheduled = d;
            slot.key_in_heap = match d {
                // A clock at its maximum never advances again: nothing
                // scheduled after a segment then fires.
                Some(_) if after_segment && clock == i64::MAX => None,
                Some(d) if after_segment => Some(d.max(clock + 1)),
                d => d,
            };
            if let Some(k) = slot.key_in_heap {
                self.timers.push(Reverse((k, s)));
            }
        }
    }

    /// Finishes a connection at `frame` and frees its slot.
    fn retire(&mut self, s: u32, frame: u64, cfg: &Config, at_end: bool) {
        self.slots[s as usize]
            .as_mut()
            .expect("live slot")
            .conn
            .finish(self.clock, frame, cfg, at_end);
        // What expired as it finished: at the last frame of the capture, or
        // at the frame that finished it.
        let (row_frame, row_ts) = match at_end {
            true => self.last,
            false => (frame, self.clock),
        };
        self.event_row(s, row_frame, row_ts);
        let slot = self.slots[s as usize].take().expect("live slot");
        if self.flows.get(&slot.key) == Some(&s) {
            self.flows.remove(&slot.key);
        }
        self.live -= 1;
        self.to_free.push(s);
        self.done.push(Done {
            frame,
            creation: slot.creation,
            stream: slot.stream,
            conn: slot.conn,
            tunnels: slot.tunnels,
            icmp: slot.icmp,
        });
    }

    fn create(&mut self, key: FlowKey, seg: &TcpSegment, frame: u64, ts: i64, now: i64) -> u32 {
        let conn = Box::new(Connection::new(seg, frame, ts, now));
        let creation = self.creations;
        self.creations += 1;
        let slot = Slot {
            conn,
            key,
            creation,
            stream: None,
            scheduled: None,
            key_in_heap: None,
            tunnels: Vec::new(),
            icmp: Vec::new(),
        };
        let s = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(slot);
                s
            }
            None => {
                self.slots.push(Some(slot));
                (self.slots.len() - 1) as u32
            }
        };
        self.live += 1;
        self.flows.insert(key, s);
        self.new.push((frame, creation, s));
        s
    }

    /// The connection a segment (or quoted segment) belongs to, created
    /// or split off an earlier one on the same 4-tuple as Wireshark does.
    #[inline(always)]
    fn slot_for(&mut self, seg: &TcpSegment, d: &Decoded1, cfg: &Config) -> u32 {
        let key = FlowKey::of(seg);
        match self.flows.get(&key).copied() {
            Some(s) => {
                let conn = &self.slots[s as usize].as_ref().expect("live slot").conn;
                let sender = conn.direction_of(seg).sender();
                if flow::starts_new_incarnation(seg, conn.ep[sender.index()].base) {
                    let prev = conn.reuse_info(d.now, (seg.dst, seg.dst_port));
                    self.slots[s as usize]
                        .as_mut()
                        .expect("live slot")
                        .conn
                        .reopened(d.frame, d.now, cfg);
                    self.retire(s, d.frame, cfg, false);
                    let s = self.create(key, seg, d.frame, d.ts, d.now);
                    self.slots[s as usize]
                        .as_mut()
                        .expect("live slot")
                        .conn
                        .note_reuse(&prev);
                    let slot = self.slots[s as usize].as_mut().expect("live slot");
                    slot.conn.wireshark.split_from_earlier();
                    s
                } else {
                    s
                }
            }
            None => self.create(key, seg, d.frame, d.ts, d.now),
        }
    }

    fn segment(&mut self, d: &Decoded1, tunnel: Option<Tunnel>, cfg: &Config, want_rows: bool) {
        let seg = match &d.packet {
            Packet::Tcp(seg) => seg,
            Packet::Icmp(q) => return self.quote(d, q, tunnel, cfg, want_rows),
            _ => return,
        };
        let s = self.slot_for(seg, d, cfg);
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        if let Some(t) = tunnel {
            count_tunnel(&mut slot.tunnels, t);
        }
        let mut outcome = slot.conn.process(seg, d.frame, d.ts, d.now, cfg);
        if want_rows {
            let creation = slot.creation;
            if let Some(rw) = outcome.rewrite {
                self.rewrite(creation, rw, d.frame, &mut outcome);
            }
            let row = SegmentRecord {
                frame: d.frame,
                ts_ns: d.ts,
                stream: 0,
                flags: seg.flags,
                payload_len: seg.payload_len,
                outcome,
                tunnel,
                short_header: seg.options.truncated,
                icmp: None,
                event: false,
            };
            self.push_row(s, row);
        }
        self.schedule(s, cfg, true);
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
        let Some(outcome) = slot.conn.take_event() else {
            return;
        };
        let creation = slot.creation;
        let row = Row {
            creation,
            stream: slot.stream,
            record: SegmentRecord {
                frame,
                ts_ns: ts,
                stream: 0,
                flags: TcpFlags(0),
                payload_len: 0,
                outcome,
                tunnel: None,
                short_header: false,
                icmp: None,
                event: true,
            },
        };
        let mut at = self.rows.len();
        while at > 0 {
            let r = &self.rows[at - 1];
            if r.record.frame == frame && (!r.record.event || r.creation > creation) {
                at -= 1;
            } else {
                break;
            }
        }
        self.rows.insert(at, row);
    }

    /// Holds a timeline row of the connection in slot `s`.
    fn push_row(&mut self, s: u32, record: SegmentRecord) {
        let slot = self.slots[s as usize].as_ref().expect("live slot");
        self.rows.push_back(Row {
            creation: slot.creation,
            stream: slot.stream,
            record,
        });
    }

    /// An ICMP error quoting a segment: attributed to the connection, not
    /// replayed.
    fn quote(
        &mut self,
        d: &Decoded1,
        q: &decode::IcmpQuote,
        tunnel: Option<Tunnel>,
        cfg: &Config,
        want_rows: bool,
    ) {
        let seg = q.seg;
        let s = self.slot_for(&seg, d, cfg);
        let slot = self.slots[s as usize].as_mut().expect("live slot");
        let outcome =
            slot.conn
                .icmp_error(&seg, (q.v6, q.icmp_type, q.code), d.frame, d.ts, d.now, cfg);
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
        slot.icmp.push(error);
        if want_rows {
            let row = SegmentRecord {
                frame: d.frame,
                ts_ns: d.ts,
                stream: 0,
                flags: seg.flags,
                payload_len: 0,
                outcome,
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
        let from = self.rows.partition_point(|r| r.record.frame < rw.frame);
        let Some(first) = (from..self.rows.len())
            .take_while(|&i| self.rows[i].record.frame == rw.frame)
            .find(|&i| !self.rows[i].record.event && self.rows[i].creation == creation)
        else {
            return; // already handed out: the row of this segment shows the revision
        };
        let e = rw.endpoint;
        let real = outcome.state[e.index()];
        let row = &mut self.rows[first].record.outcome;
        if rw.replace {
            row.transitions.retain(|t| t.endpoint != e);
        }
        for t in outcome
            .transitions
            .iter()
            .filter(|t| t.endpoint == e && t.basis != Basis::Revised)
        {
            let _ = row.transitions.try_push(*t);
        }
        outcome.transitions.retain(|t| t.endpoint != e);
        // Anomalies that happened at that frame go there too.
        for a in outcome.anomalies.iter().filter(|a| a.frame == rw.frame) {
            let _ = self.rows[first].record.outcome.anomalies.try_push(*a);
        }
        outcome.anomalies.retain(|a| a.frame != rw.frame);
        for (i, r) in self.rows.range_mut(first..).enumerate() {
            if r.creation == creation {
                r.record.outcome.state[e.index()] = real;
                // The endpoint's own segment settled what it had received.
                r.record.outcome.uncertain[e.index()] = None;
                if i > 0 {
                    // What the rows in between said of it did not happen.
                    r.record.outcome.transitions.retain(|t| t.endpoint != e);
                }
            }
        }
    }

    /// Finishes every connection still live at the end of the capture.
    fn finish_all(&mut self, frame: u64, cfg: &Config) {
        self.last = (frame, self.clock);
        for s in 0..self.slots.len() {
            if self.slots[s].is_some() {
                let slot = self.slots[s].as_mut().expect("live slot");
                slot.conn.advance_clock(self.clock, frame, cfg);
                self.retire(s as u32, u64::MAX, cfg, true);
            }
        }
    }

    /// The stream of a connection created by this shard.
    fn stream_of(&self, creation: u64, known: Option<u64>, batch_streams: &[u64]) -> u64 {
        known.unwrap_or_else(|| batch_streams[(creation - self.batch_first_creation) as usize])
    }
}

/// Analyses one capture, handing results to `consumer` as they are final.
/// `progress`, if given, is increased by the bytes consumed as they are read.
///
/// Damage in the capture is not an `Err`: everything before it is analysed
/// and the damage is reported in [`Totals::error`]. `Err` is an I/O error of
/// the consumer (e.g. a closed pipe).
pub fn analyze(
    reader: CaptureReader,
    opts: &Options,
    consumer: &mut dyn Consumer,
    progress: Option<Arc<AtomicU64>>,
) -> io::Result<Totals> {
    let nshards = (rayon::current_num_threads() * 2).clamp(1, 256);
    let mut shards: Vec<Shard> = (0..nshards).map(|_| Shard::new()).collect();
    let cfg = opts.replay;
    let mut totals = Totals::default();
    let mut next_stream: u64 = 0;
    let mut decoded: Vec<Decoded1> = Vec::new();
    // Per shard, the indexes in `decoded` of its segments.
    let mut own: Vec<Vec<u32>> = vec![Vec::new(); nshards];
    // The clock at each frame of the batch (never decreasing).
    let mut nows: Vec<i64> = Vec::new();
    let mut unsupported: Vec<(u32, LinkType, u64)> = Vec::new();
    let mut reassembler = Reassembler::new(reassembly::Limits::default());
    let mut extras = Extras::default();
    let mut last_frame = 0u64;
    let mut clock = Clock::default();
    let batch_frames = opts.batch_frames.max(1);
    let verify = opts.verify_checksums;

    // The reader thread: frames batches ahead of processing. Two batches
    // circulate between it and us.
    let (full_tx, full_rx) = mpsc::sync_channel::<(Batch, Option<CaptureError>, bool)>(1);
    let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
    for _ in 0..2 {
        let _ = empty_tx.send(Batch::new());
    }
    let reader_thread = std::thread::spawn(move || {
        let mut reader = reader;
        let mut reported = 0u64;
        while let Ok(mut batch) = empty_rx.recv() {
            let (err, end) = match reader.next_batch(&mut batch, batch_frames) {
                Next::Frames => (None, false),
                Next::End => (None, true),
                Next::Damaged(e) => (Some(e), true),
            };
            if let Some(p) = &progress {
                // Several files may share one counter: add what was read.
                let now = reader.bytes_consumed();
                p.fetch_add(now.saturating_sub(reported), Ordering::Relaxed);
                reported = now;
            }
            if full_tx.send((batch, err, end)).is_err() || end {
                break;
            }
        }
    });

    // The results of batch N are handed to the consumer (on this thread)
    // while the pool decodes and replays batch N+1: the consumer's work
    // (rendering, freeing finished connections) is serial, and would
    // otherwise leave the workers idle.
    let mut pending: Option<Output> = None;
    // The row buffer of the batch before, reused (rows are large).
    let mut spare_rows: Vec<SegmentRecord> = Vec::new();
    let mut result = Ok(());
    while let Ok((batch, err, end)) = full_rx.recv() {
        let frames = batch.frames();
        totals.frames += frames.len() as u64;
        if let Some(f) = frames.last() {
            last_frame = f.number;
        }
        let had_start = totals.first_ts.is_some();
        let mut delivered = Ok(());
        rayon::in_place_scope(|scope| {
            let work = BatchWork {
                batch: &batch,
                decoded: &mut decoded,
                own: &mut own,
                nows: &mut nows,
                shards: &mut shards,
                clock: &mut clock,
                totals: &mut totals,
                unsupported: &mut unsupported,
                reassembler: &mut reassembler,
                extras: &mut extras,
            };
            scope.spawn(move |_| work.run(nshards, verify, &cfg, opts.segments, end, last_frame));
            if let Some(out) = pending.take() {
                delivered = out.deliver(consumer);
                spare_rows = out.rows;
            }
        });
        if let (false, Some(ts)) = (had_start, totals.first_ts) {
            consumer.capture_start(ts);
        }
        drop(batch_return(&empty_tx, batch));
        pending = Some(collect(
            &mut shards,
            &mut next_stream,
            last_frame,
            end,
            std::mem::take(&mut spare_rows),
        ));
        if let Some(e) = err {
            totals.error = Some(e);
        }
        if delivered.is_err() {
            result = delivered;
            pending = None;
            break;
        }
        if end {
            break;
        }
    }
    if let Some(out) = pending.take() {
        result = out.deliver(consumer);
    }
    drop(empty_tx);
    drop(full_rx);
    let _ = reader_thread.join();
    totals.connections = next_stream;
    totals.reassembly = reassembler.finish();
    totals.unsupported = unsupported
        .into_iter()
        .map(|(interface, link_type, packets)| UnsupportedLink {
            interface,
            link_type,
            packets,
        })
        .collect();
    totals.unsupported.sort_by_key(|u| u.interface);
    result.map(|()| totals)
}

/// The pool's share of one batch: decode, clock, replay.
struct BatchWork<'a> {
    batch: &'a Batch,
    decoded: &'a mut Vec<Decoded1>,
    own: &'a mut Vec<Vec<u32>>,
    nows: &'a mut Vec<i64>,
    shards: &'a mut Vec<Shard>,
    clock: &'a mut Clock,
    totals: &'a mut Totals,
    unsupported: &'a mut Vec<(u32, LinkType, u64)>,
    reassembler: &'a mut Reassembler,
    extras: &'a mut Extras,
}

impl BatchWork<'_> {
    fn run(
        self,
        nshards: usize,
        verify: bool,
        cfg: &Config,
        want_rows: bool,
        end: bool,
        last_frame: u64,
    ) {
        let BatchWork {
            batch,
            decoded,
            own,
            nows,
            shards,
            clock,
            totals,
            unsupported,
            reassembler,
            extras,
        } = self;
        let frames = batch.frames();
        // Decode in parallel chunks.
        decoded.clear();
        decoded.resize(
            frames.len(),
            Decoded1 {
                frame: 0,
                ts: 0,
                now: 0,
                shard: NOT_TCP,
                packet: Packet::Skipped(Skip::NotIp),
            },
        );
        let stats = decoded
            .par_chunks_mut(1024)
            .zip(frames.par_chunks(1024))
            .enumerate()
            .map(|(c, (out, fr))| {
                let mut st = DecodeStats::default();
                for (k, (o, f)) in out.iter_mut().zip(fr).enumerate() {
                    o.frame = f.number;
                    o.ts = f.ts_ns;
                    let bytes = batch.frame_bytes(f);
                    let tunnel =
                        decode::decode_into(f.link_type, bytes, f.orig_len, verify, &mut o.packet);
                    st.count(&o.packet);
                    o.shard = shard_of(&o.packet, nshards);
                    if o.packet == Packet::Skipped(Skip::UnsupportedLink) {
                        add_unsupported(&mut st.unsupported, f.interface, f.link_type, 1);
                    }
                    if tunnel.is_some() {
                        st.extras.push(((c * 1024 + k) as u32, tunnel));
                    }
                }
                st
            })
            .reduce(DecodeStats::default, DecodeStats::merge);
        totals.tcp_segments += stats.tcp;
        totals.icmp_quotes += stats.icmp;
        totals.short_headers += stats.short;
        for (a, b) in totals.skipped.iter_mut().zip(stats.skipped) {
            *a += b;
        }
        let fragments = stats.fragments > 0;
        for (i, l, n) in stats.unsupported {
            add_unsupported(unsupported, i, l, n);
        }
        extras.clear();
        extras.decoded = stats.extras;
        // The clock, and each shard's segments.
        for o in own.iter_mut() {
            o.clear();
        }
        nows.clear();
        for (i, d) in decoded.iter_mut().enumerate() {
            if totals.first_ts.is_none() {
                totals.first_ts = Some(d.ts);
            }
            d.now = clock.observe(d.ts);
            nows.push(d.now);
            if fragments {
                if let Packet::Fragment(f) = d.packet {
                    let bytes = batch.frame_bytes(&frames[i]);
                    let tunnel = extras.tunnel(i as u32);
                    if let Some(t) =
                        reassemble(d, &f, bytes, tunnel, reassembler, verify, nshards, totals)
                    {
                        extras.reassembled.push((i as u32, t));
                    }
                }
            }
            let notes = &mut totals.timestamps;
            if d.ts == i64::MAX || d.ts == i64::MIN {
                notes.out_of_range += 1;
                notes.first_out_of_range.get_or_insert(d.frame);
            }
            if crate::clock::trusted(d.ts, d.now) != d.ts {
                notes.ignored += 1;
                notes.first_ignored.get_or_insert(d.frame);
            }
            if let Some(o) = own.get_mut(d.shard as usize) {
                o.push(i as u32);
            }
        }
        if !decoded.is_empty() {
            totals.last_ts = Some(clock.now);
        }
        // Replay, one task per shard.
        let (decoded, nows) = (&decoded[..], &nows[..]);
        shards
            .par_iter_mut()
            .zip(&own[..])
            .for_each(|(sh, own)| sh.run(decoded, nows, own, extras, cfg, want_rows));
        if end {
            shards
                .par_iter_mut()
                .for_each(|sh| sh.finish_all(last_frame, cfg));
        }
    }
}

/// What one batch produced, in the consumer's order.
struct Output {
    rows: Vec<SegmentRecord>,
    done: Vec<ConnectionRecord>,
}

impl Output {
    fn deliver(&self, consumer: &mut dyn Consumer) -> io::Result<()> {
        if !self.rows.is_empty() {
            consumer.segments(&self.rows)?;
        }
        if !self.done.is_empty() {
            consumer.connections(&self.done)?;
        }
        Ok(())
    }
}

fn batch_return(tx: &mpsc::Sender<Batch>, batch: Batch) -> Result<(), mpsc::SendError<Batch>> {
    tx.send(batch)
}

/// Numbers this batch's new connections in frame order, then takes out
/// the rows in frame order and the finished connections in completion
/// order.
fn collect(
    shards: &mut [Shard],
    next_stream: &mut u64,
    last_frame: u64,
    last_batch: bool,
    mut rows: Vec<SegmentRecord>,
) -> Output {
    // 1. Stream numbers: connections in the order of their first frame.
    let mut new: Vec<(u64, usize, u64)> = Vec::new();
    for (i, sh) in shards.iter().enumerate() {
        new.extend(
            sh.new
                .iter()
                .map(|&(frame, creation, _)| (frame, i, creation)),
        );
    }
    new.sort_unstable();
    let mut batch_streams: Vec<Vec<u64>> = shards.iter().map(|sh| vec![0; sh.new.len()]).collect();
    for (frame_order, &(_, i, creation)) in new.iter().enumerate() {
        let sh = &shards[i];
        batch_streams[i][(creation - sh.batch_first_creation) as usize] =
            *next_stream + frame_order as u64;
    }
    *next_stream += new.len() as u64;
    for (sh, streams) in shards.iter_mut().zip(&batch_streams) {
        for &(_, creation, s) in &sh.new {
            if let Some(slot) = sh.slots[s as usize].as_mut() {
                if slot.creation == creation {
                    slot.stream = Some(streams[(creation - sh.batch_first_creation) as usize]);
                }
            }
        }
        sh.new.clear();
    }

    // 2. Segment rows, in frame order, once held for ROW_HOLD_FRAMES (all
    //    at the end of the capture).
    //    Each shard's rows are in frame order already: they are merged, not
    //    sorted (a row is over 500 bytes; moving them is most of the cost).
    rows.clear();
    for (sh, streams) in shards.iter_mut().zip(&batch_streams) {
        let first_new = sh.batch_first_row;
        for r in sh.rows.range_mut(first_new..) {
            if r.stream.is_none() {
                r.stream = Some(sh_stream(
                    sh.batch_first_creation,
                    r.creation,
                    None,
                    streams,
                ));
            }
        }
    }
    let releasable =
        |r: &Row| last_batch || r.record.frame.saturating_add(ROW_HOLD_FRAMES) <= last_frame;
    // At one frame: rows of timer events (by stream), then the segment's.
    let key = |r: &Row| {
        (
            r.record.frame,
            !r.record.event,
            r.stream.expect("stream assigned"),
        )
    };
    loop {
        let mut next: Option<((u64, bool, u64), usize)> = None;
        for (i, sh) in shards.iter().enumerate() {
            if let Some(r) = sh.rows.front().filter(|r| releasable(r)) {
                let k = key(r);
                if next.is_none_or(|(n, _)| k < n) {
                    next = Some((k, i));
                }
            }
        }
        let Some((_, i)) = next else { break };
        let mut r = shards[i].rows.pop_front().expect("front row");
        r.record.stream = r.stream.expect("stream assigned");
        rows.push(r.record);
    }

    // 3. Finished connections, in completion order.
    let mut done: Vec<(u64, ConnectionRecord)> = Vec::new();
    for (sh, streams) in shards.iter_mut().zip(&batch_streams) {
        for d in std::mem::take(&mut sh.done) {
            let stream = sh.stream_of(d.creation, d.stream, streams);
            done.push((
                d.frame,
                ConnectionRecord {
                    stream,
                    conn: d.conn,
                    tunnels: d.tunnels,
                    icmp: d.icmp,
                },
            ));
        }
    }
    done.sort_unstable_by_key(|(frame, r)| (*frame, r.stream));
    Output {
        rows,
        done: done.into_iter().map(|d| d.1).collect(),
    }
}

/// The shard of a frame's segment or quoted segment.
#[inline]
fn shard_of(p: &Packet, nshards: usize) -> u32 {
    match p {
        Packet::Tcp(seg) => FlowKey::of(seg).shard(nshards) as u32,
        Packet::Icmp(q) => FlowKey::of(&q.seg).shard(nshards) as u32,
        _ => NOT_TCP,
    }
}

/// Most fragments nested in reassembled datagrams that are reassembled in
/// turn (a fragmented tunnel carrying fragments).
const MAX_NESTED_REASSEMBLY: usize = 4;

/// Hands a fragment (which rode in `tunnel`) to reassembly. The frame that
/// completes a datagram gets what the datagram holds (a segment, a quote,
/// ...) and returns its tunnels; every other fragment frame counts as a
/// fragment not analysed.
#[allow(clippy::too_many_arguments)]
fn reassemble(
    d: &mut Decoded1,
    f: &decode::Fragment,
    bytes: &[u8],
    tunnel: Option<Tunnel>,
    r: &mut Reassembler,
    verify: bool,
    nshards: usize,
    totals: &mut Totals,
) -> Option<Option<Tunnel>> {
    let mut scratch: Vec<u8> = Vec::new();
    let mut f = *f;
    let mut tunnel = tunnel;
    let mut bytes = bytes;
    let mut layers = None;
    for _ in 0..MAX_NESTED_REASSEMBLY {
        let Some(dg) = r.add(&f, bytes, tunnel, d.now) else {
            break;
        };
        let l = decode::decode_reassembled(&dg.key, dg.payload, dg.header_len, dg.tunnel, verify);
        match l.packet {
            Packet::Fragment(inner) => {
                scratch.clear();
                scratch.extend_from_slice(dg.payload);
                bytes = &scratch;
                f = inner;
                tunnel = l.tunnel;
            }
            _ => {
                layers = Some(l);
                break;
            }
        }
    }
    let Some(l) = layers else {
        totals.skipped[skip_index(Skip::Fragment)] += 1;
        return None;
    };
    match &l.packet {
        Packet::Tcp(s) => {
            totals.tcp_segments += 1;
            totals.short_headers += u64::from(s.options.truncated);
        }
        Packet::Icmp(_) => totals.icmp_quotes += 1,
        Packet::Fragment(_) => totals.skipped[skip_index(Skip::Fragment)] += 1,
        Packet::Skipped(s) => totals.skipped[skip_index(*s)] += 1,
    }
    d.shard = shard_of(&l.packet, nshards);
    d.packet = l.packet;
    // The datagram's tunnels (its first fragment's), not this fragment's.
    Some(l.tunnel)
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

fn sh_stream(first: u64, creation: u64, known: Option<u64>, streams: &[u64]) -> u64 {
    known.unwrap_or_else(|| streams[(creation - first) as usize])
}
