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
//! [`analyze_here`] runs the same steps on the calling thread, one after the
//! other, with one shard: for many small captures.
//!
//! Output is therefore identical whatever the thread count. Memory is
//! bounded by the batch size and the connections open at once: a finished
//! connection is handed to the consumer and freed.

use crate::capture::{Batch, CaptureError, CaptureReader, FrameDesc, LinkType, Next};
pub use crate::clock::Clock;
pub use crate::consumer::{
    Collector, ConnectionRecord, ConnectionSummary, Consumer, EndpointSummary, IcmpError,
    SegmentRecord, Tee, TunnelUse,
};
use crate::decode::{self, Packet, Skip, Tunnel};
use crate::flow::{self, FlowHasher, FlowKey};
use crate::reassembly::{self, Reassembler};
use crate::replay::Config;
pub use crate::tracker::ROW_HOLD_FRAMES;
use crate::tracker::{Chunk, DecodedFrame, Extras, Key, Tracker};
use rayon::prelude::*;
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
    /// Frames per batch (default 8,192). Two batches are in flight, with
    /// their decoded frames and, for a timeline, their rows (about 700
    /// bytes each): 32,768 cost 84 MB more max RSS on a timeline than
    /// 8,192, for no speed.
    pub batch_frames: usize,
    /// How many connections that have seen a single segment each shard
    /// keeps whole (the most recent ones). Older ones are kept as that
    /// segment, about 80 bytes instead of about 2 KB, and replayed again
    /// when more happens to them: the results are the same, only memory
    /// and time differ. 0 keeps none whole (the least memory; slower, as
    /// every answered SYN is then replayed twice).
    pub keep_whole: usize,
    /// How many connections each tracker (one per shard) holds before it
    /// looks for idle ones, and how many of its segments, at least, pass
    /// between two looks. A connection nothing happened to since the last
    /// look, closed (TIME_WAIT, or no connection left; one closed by FINs
    /// is frozen at the segment that closed it) or without a
    /// segment for 2×MSL, is then kept as bytes (a few hundred, see the
    /// `frozen` module) instead of its whole replay and analyzers (about
    /// 2.5 KB), and made whole again when something happens to it: the
    /// results are the same, only memory and time differ. While more than
    /// twice this many of a tracker's connections are whole (many open at
    /// once), every one nothing happened to since the last look is frozen,
    /// open or not, and the looks come 8 times as often; should more than a
    /// quarter of the segments between two looks thaw a connection (more
    /// connections active at once than that), up to 16 times this many
    /// are kept whole instead. 0 freezes every connection between its
    /// segments (for tests); `usize::MAX` never freezes.
    pub idle_sweep: usize,
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
            batch_frames: 8 * 1024,
            keep_whole: crate::tracker::KEEP_WHOLE,
            idle_sweep: crate::tracker::IDLE_SWEEP,
        }
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

/// How many stream numbers' worth of connections open at the end of a
/// capture are finished and handed out at a time.
const END_CHUNK: u64 = 4096;

/// The state of one capture's analysis between batches.
struct Pipeline {
    router: Router,
    shards: Vec<Tracker>,
    totals: Totals,
    next_stream: u64,
    unsupported: Vec<(u32, LinkType, u64)>,
    reassembler: Reassembler,
    /// The capture's last frame so far.
    last_frame: u64,
    clock: Clock,
    /// The row buffers of the batch before, reused (rows are large): the
    /// merged rows, and each shard's chunks, emptied (see [`Output`]).
    spare_rows: Vec<SegmentRecord>,
    spare_chunks: Vec<Vec<Chunk>>,
}

impl Pipeline {
    fn new(nshards: usize, opts: &Options) -> Pipeline {
        let hasher = FlowHasher::default();
        Pipeline {
            shards: (0..nshards)
                .map(|_| Tracker::new(opts.keep_whole, opts.idle_sweep, hasher.clone()))
                .collect(),
            router: Router { nshards, hasher },
            totals: Totals::default(),
            next_stream: 0,
            unsupported: Vec::new(),
            reassembler: Reassembler::new(reassembly::Limits::default()),
            last_frame: 0,
            clock: Clock::default(),
            spare_rows: Vec::new(),
            spare_chunks: Vec::new(),
        }
    }

    /// Counts a batch's frames; returns whether the capture had started
    /// before it.
    fn admit(&mut self, batch: &Batch) -> bool {
        let frames = batch.frames();
        self.totals.frames += frames.len() as u64;
        if let Some(f) = frames.last() {
            self.last_frame = f.number;
        }
        self.totals.first_ts.is_some()
    }

    /// The decoding of a batch (frames, clock, each shard's segments),
    /// and the trackers: apart, so that one batch is decoded while the
    /// one before it is replayed.
    fn split(&mut self) -> (DecodeWork<'_>, &mut [Tracker]) {
        (
            DecodeWork {
                router: &self.router,
                clock: &mut self.clock,
                totals: &mut self.totals,
                unsupported: &mut self.unsupported,
                reassembler: &mut self.reassembler,
            },
            &mut self.shards,
        )
    }

    /// What the batch just replayed, whose last frame is `last_frame`,
    /// produced, for the consumer (see [`collect`]).
    fn collect(&mut self, last_frame: u64, end: bool, parallel: bool) -> Output {
        let mut emptied = std::mem::take(&mut self.spare_chunks);
        emptied.resize_with(self.shards.len(), Vec::new);
        let ready = (0..self.shards.len()).map(|_| Vec::new()).collect();
        collect(
            &mut self.shards,
            &mut self.next_stream,
            last_frame,
            end,
            parallel,
            Output {
                ready,
                emptied,
                rows: std::mem::take(&mut self.spare_rows),
                done: Vec::new(),
            },
        )
    }

    /// Takes back the buffers of an output handed out.
    fn recycle(&mut self, out: Output) {
        self.spare_rows = out.rows;
        self.spare_chunks = out.emptied;
    }

    /// Finishes the connections still open at the end of the capture and
    /// hands them out, then the rows still held. They go out in chunks of
    /// [`END_CHUNK`] stream numbers, finished in parallel (or on this
    /// thread) chunk by chunk, each handed out while the next is finished:
    /// memory holds two chunks' records, not a
    /// record for every connection open at the end (a SYN flood's million
    /// embryos would each become 2 KB at once).
    fn finish_open(
        &mut self,
        cfg: &Config,
        parallel: bool,
        consumer: &mut dyn Consumer,
    ) -> io::Result<()> {
        let last = self.last_frame;
        for sh in &mut self.shards {
            sh.begin_end(last);
        }
        let mut done = Vec::new();
        // Each chunk is handed to the consumer while the pool finishes the
        // next one (the consumer's work is serial; see `analyze`).
        let mut pending: Vec<ConnectionRecord> = Vec::new();
        while let Some(lo) = self.shards.iter().filter_map(Tracker::next_ending).min() {
            let limit = lo.saturating_add(END_CHUNK);
            let finish = |sh: &mut Tracker| sh.finish_below(limit, cfg);
            let mut delivered = Ok(());
            if parallel {
                let shards = &mut self.shards;
                rayon::in_place_scope(|scope| {
                    scope.spawn(move |_| shards.par_iter_mut().for_each(finish));
                    if !pending.is_empty() {
                        delivered = consumer.connections(&pending);
                    }
                });
            } else {
                self.shards.iter_mut().for_each(finish);
                if !pending.is_empty() {
                    delivered = consumer.connections(&pending);
                }
            }
            delivered?;
            pending.clear();
            for sh in &mut self.shards {
                sh.take_done(&[], &mut done);
            }
            done.sort_unstable_by_key(|(_, r)| r.stream);
            pending.extend(done.drain(..).map(|d| d.1));
        }
        if !pending.is_empty() {
            consumer.connections(&pending)?;
        }
        let mut out = self.collect(self.last_frame, true, parallel);
        out.deliver(consumer)
    }

    fn finish(mut self) -> Totals {
        self.totals.connections = self.next_stream;
        self.totals.reassembly = self.reassembler.finish();
        self.totals.unsupported = self
            .unsupported
            .into_iter()
            .map(|(interface, link_type, packets)| UnsupportedLink {
                interface,
                link_type,
                packets,
            })
            .collect();
        self.totals.unsupported.sort_by_key(|u| u.interface);
        self.totals
    }
}

/// Analyses one capture, handing results to `consumer` as they are final.
/// `progress`, if given, is increased by the bytes consumed as they are read.
///
/// A reader thread frames batches ahead while the rayon pool (the global
/// one, or the one this is called in) decodes one batch and replays the
/// one before it, and this thread hands the results of the one before
/// that to `consumer`. For many small captures, [`analyze_here`] does the
/// same work without either.
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
    let mut p = Pipeline::new(nshards, opts);
    let cfg = opts.replay;
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

    // Three things at once: the pool decodes batch N+1 and replays batch N
    // (different state: the decoding's clock and counts, the trackers),
    // and this thread hands batch N-1's results to the consumer (its work,
    // rendering and freeing finished connections, is serial). Without the
    // overlap each batch would end with the pool waiting on its slowest
    // shard, and the decoding's serial part.
    let nshards = p.shards.len();
    let mut spare = Some(Decoded::new(nshards));
    // Decoded, to be replayed next, with the batch's damage.
    let mut waiting: Option<(Decoded, Option<CaptureError>)> = None;
    let mut reading = true;
    let mut pending: Option<Output> = None;
    let mut result = Ok(());
    loop {
        let next = if reading { full_rx.recv().ok() } else { None };
        if next.is_none() && waiting.is_none() {
            break;
        }
        let had_start = next.as_ref().map(|(batch, ..)| p.admit(batch));
        let mut into = spare.take().unwrap_or_else(|| Decoded::new(nshards));
        let mut delivered = Ok(());
        let mut spare_out = None;
        {
            let (mut decode, shards) = p.split();
            let (to_replay, into) = (waiting.as_ref().map(|w| &w.0), &mut into);
            let batch = next.as_ref().map(|n| &n.0);
            rayon::in_place_scope(|scope| {
                if let Some(d) = to_replay {
                    scope.spawn(move |_| replay(shards, d, &cfg, opts.segments, true));
                }
                if let Some(batch) = batch {
                    scope.spawn(move |_| decode.run(batch, into, verify, true));
                }
                if let Some(mut out) = pending.take() {
                    delivered = out.deliver(consumer);
                    spare_out = Some(out);
                }
            });
        }
        if let Some(out) = spare_out {
            p.recycle(out);
        }
        // The batch replayed: its results, handed out during the next
        // round.
        if let Some((d, err)) = waiting.take() {
            pending = Some(p.collect(d.last_frame, false, true));
            if let Some(e) = err {
                p.totals.error = Some(e);
            }
            spare = Some(d);
        }
        // The batch decoded: replayed during the next round. Its frames
        // are decoded, so its bytes go back to the reader.
        match next {
            Some((batch, err, end)) => {
                if let (Some(false), Some(ts)) = (had_start, p.totals.first_ts) {
                    consumer.capture_start(ts);
                }
                into.last_frame = p.last_frame;
                drop(batch_return(&empty_tx, batch));
                reading = !end;
                waiting = Some((into, err));
            }
            None => spare = Some(into),
        }
        if delivered.is_err() {
            result = delivered;
            pending = None;
            break;
        }
    }
    if let Some(mut out) = pending.take() {
        result = out.deliver(consumer);
    }
    if result.is_ok() {
        result = p.finish_open(&cfg, true, consumer);
    }
    drop(empty_tx);
    drop(full_rx);
    let _ = reader_thread.join();
    result.map(|()| p.finish())
}

/// Analyses one capture on the calling thread: the same results as
/// [`analyze`], in the same order, without starting a thread or touching a
/// thread pool. For many small captures (a capture held in memory, a test,
/// a fuzzer, a service analysing uploads) this is the entry point: the
/// cost of a call is the work on its frames. For one large capture,
/// [`analyze`] is faster (it reads, decodes and replays in parallel).
///
/// ```
/// use tcpstate::capture::CaptureReader;
/// use tcpstate::engine::{self, Collector, Options};
/// use tcpstate::state::TcpState::{Closed, SynReceived, SynSent};
///
/// let bytes = std::fs::read("testdata/real/07-refused.pcap")?;
/// let capture = CaptureReader::from_bytes("07-refused.pcap", bytes)?;
/// let mut rows = Collector::default();
/// let totals = engine::analyze_here(capture, &Options::timeline(), &mut rows)?;
/// assert_eq!(totals.connections, 1);
/// // The SYN, then the RST,ACK that refuses it (testdata/real/07-refused.expect).
/// let states: Vec<_> = rows.segments.iter().map(|s| s.outcome.state).collect();
/// assert_eq!(states, [[SynSent, SynReceived], [Closed, Closed]]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn analyze_here(
    mut reader: CaptureReader,
    opts: &Options,
    consumer: &mut dyn Consumer,
) -> io::Result<Totals> {
    let mut p = Pipeline::new(1, opts);
    let batch_frames = opts.batch_frames.max(1);
    let mut batch = Batch::new();
    let mut decoded = Decoded::new(1);
    loop {
        let (err, end) = match reader.next_batch(&mut batch, batch_frames) {
            Next::Frames => (None, false),
            Next::End => (None, true),
            Next::Damaged(e) => (Some(e), true),
        };
        let had_start = p.admit(&batch);
        let (mut decode, _) = p.split();
        decode.run(&batch, &mut decoded, opts.verify_checksums, false);
        replay(&mut p.shards, &decoded, &opts.replay, opts.segments, false);
        if let (false, Some(ts)) = (had_start, p.totals.first_ts) {
            consumer.capture_start(ts);
        }
        let mut out = p.collect(p.last_frame, false, false);
        if let Some(e) = err {
            p.totals.error = Some(e);
        }
        out.deliver(consumer)?;
        p.recycle(out);
        if end {
            p.finish_open(&opts.replay, false, consumer)?;
            return Ok(p.finish());
        }
    }
}

/// One batch decoded, waiting for its replay: its frames, the clock at
/// each, and each shard's segments.
struct Decoded {
    frames: Vec<DecodedFrame>,
    /// Per shard, the indexes in `frames` of its segments.
    own: Vec<Vec<u32>>,
    /// The clock at each frame of the batch (never decreasing).
    nows: Vec<i64>,
    extras: Extras,
    /// The batch's last frame.
    last_frame: u64,
}

impl Decoded {
    fn new(nshards: usize) -> Decoded {
        Decoded {
            frames: Vec::new(),
            own: vec![Vec::new(); nshards],
            nows: Vec::new(),
            extras: Extras::default(),
            last_frame: 0,
        }
    }
}

/// The decoding of batches: what it keeps from one batch to the next.
struct DecodeWork<'a> {
    router: &'a Router,
    clock: &'a mut Clock,
    totals: &'a mut Totals,
    unsupported: &'a mut Vec<(u32, LinkType, u64)>,
    reassembler: &'a mut Reassembler,
}

impl DecodeWork<'_> {
    /// Decodes `batch` into `into` (in parallel on the pool, or on this
    /// thread), then reads the clock at each frame, reassembles fragments
    /// and gives each shard its segments.
    fn run(&mut self, batch: &Batch, into: &mut Decoded, verify: bool, parallel: bool) {
        let DecodeWork {
            router,
            clock,
            totals,
            unsupported,
            reassembler,
        } = self;
        let router: &Router = router;
        let Decoded {
            frames: decoded,
            own,
            nows,
            extras,
            ..
        } = into;
        let frames = batch.frames();
        // Decode in parallel chunks.
        decoded.clear();
        decoded.resize(
            frames.len(),
            DecodedFrame {
                frame: 0,
                ts: 0,
                now: 0,
                shard: NOT_TCP,
                hash: 0,
                packet: Packet::Skipped(Skip::NotIp),
            },
        );
        let decode_chunk = |(c, (out, fr)): (usize, (&mut [DecodedFrame], &[FrameDesc]))| {
            let mut st = DecodeStats::default();
            for (k, (o, f)) in out.iter_mut().zip(fr).enumerate() {
                o.frame = f.number;
                o.ts = f.ts_ns;
                let bytes = batch.frame_bytes(f);
                let tunnel =
                    decode::decode_into(f.link_type, bytes, f.orig_len, verify, &mut o.packet);
                st.count(&o.packet);
                (o.shard, o.hash) = router.route(&o.packet);
                if o.packet == Packet::Skipped(Skip::UnsupportedLink) {
                    add_unsupported(&mut st.unsupported, f.interface, f.link_type, 1);
                }
                if tunnel.is_some() {
                    st.extras.push(((c * 1024 + k) as u32, tunnel));
                }
            }
            st
        };
        let stats = if parallel {
            decoded
                .par_chunks_mut(1024)
                .zip(frames.par_chunks(1024))
                .enumerate()
                .map(decode_chunk)
                .reduce(DecodeStats::default, DecodeStats::merge)
        } else {
            decoded
                .chunks_mut(1024)
                .zip(frames.chunks(1024))
                .enumerate()
                .map(decode_chunk)
                .fold(DecodeStats::default(), DecodeStats::merge)
        };
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
        own.resize_with(router.nshards, Vec::new);
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
                        reassemble(d, &f, bytes, tunnel, reassembler, verify, router, totals)
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
    }
}

/// Replays a decoded batch: one task per shard (on the pool, or on this
/// thread).
fn replay(shards: &mut [Tracker], d: &Decoded, cfg: &Config, want_rows: bool, parallel: bool) {
    let (decoded, nows, extras) = (&d.frames[..], &d.nows[..], &d.extras);
    let replay = |(sh, own): (&mut Tracker, &Vec<u32>)| {
        sh.run(decoded, nows, own, extras, cfg, want_rows);
    };
    if parallel {
        shards.par_iter_mut().zip(&d.own[..]).for_each(replay);
    } else {
        shards.iter_mut().zip(&d.own[..]).for_each(replay);
    }
}

/// The order in which segment rows are handed out: by frame; at one frame,
/// the rows of timer events (by stream) before the segment's row. Each
/// tracker holds its rows in this order; [`Output::deliver`] merges them.
fn merge_key(k: &Key) -> (u64, bool, u64) {
    let stream = k.stream.expect("stream assigned");
    (k.frame, !k.event, stream)
}

/// What one batch produced, for the consumer.
struct Output {
    /// Each shard's rows ready to be handed out, in merge order
    /// ([`merge_key`]), in the chunks its tracker held them in: taken out
    /// as they are, so that a row is made whole once, in `rows`.
    ready: Vec<Vec<Chunk>>,
    /// Each shard's chunks once emptied into `rows`, kept with their
    /// allocations (a chunk is over a megabyte) to go back to the shard.
    emptied: Vec<Vec<Chunk>>,
    /// The rows of all shards merged (by [`Output::deliver`]).
    rows: Vec<SegmentRecord>,
    /// The finished connections, in completion order.
    done: Vec<ConnectionRecord>,
}

impl Output {
    /// Hands the rows, merged into frame order, then the finished
    /// connections to `consumer`. The merge is done here rather than in
    /// [`collect`] so that it runs beside the next batch's work: its order
    /// is read from the rows' keys on this thread, and the rows are made
    /// whole in that order (most of its cost) on the pool, or here when
    /// the pool has one thread.
    fn deliver(&mut self, consumer: &mut dyn Consumer) -> io::Result<()> {
        let total: usize = self.ready.iter().flatten().map(Chunk::len).sum();
        if total > 0 {
            // The order first, from the keys alone; then each row is made
            // whole once. A shard's keys are read through a cursor: its
            // chunk, and the key in it.
            let mut order: Vec<(u32, u32, u32)> = Vec::with_capacity(total);
            let mut at = vec![(0usize, 0usize); self.ready.len()];
            loop {
                let mut next: Option<((u64, bool, u64), usize)> = None;
                for (i, chunks) in self.ready.iter().enumerate() {
                    let (c, j) = &mut at[i];
                    while chunks.get(*c).is_some_and(|x| *j == x.len()) {
                        (*c, *j) = (*c + 1, 0);
                    }
                    if let Some(key) = chunks.get(*c).map(|x| &x.keys()[*j]) {
                        let k = merge_key(key);
                        if next.is_none_or(|(n, _)| k < n) {
                            next = Some((k, i));
                        }
                    }
                }
                let Some((_, i)) = next else { break };
                order.push((i as u32, at[i].0 as u32, at[i].1 as u32));
                at[i].1 += 1;
            }
            // Each row made whole in its place in the merged batch: on the
            // pool, beside the replay, when it has threads to spare (at one
            // thread, this thread is the one beside it). The batch's
            // records are written over those of the batch before, field
            // by field (a record is 704 bytes, mostly room for lists).
            if self.rows.len() < total {
                self.rows.resize_with(total, crate::tracker::blank);
            }
            let ready = &self.ready;
            let whole = |(out, &(i, c, j)): (&mut SegmentRecord, &(u32, u32, u32))| {
                ready[i as usize][c as usize].record_into(j as usize, out);
            };
            let rows = &mut self.rows[..total];
            if rayon::current_num_threads() > 1 {
                let pairs = rows.par_iter_mut().zip(order.par_iter());
                pairs.with_min_len(512).for_each(whole);
            } else {
                rows.iter_mut().zip(&order).for_each(whole);
            }
            self.ready.iter_mut().flatten().for_each(Chunk::clear);
            consumer.segments(&self.rows[..total])?;
        }
        for (ready, emptied) in self.ready.iter_mut().zip(&mut self.emptied) {
            emptied.append(ready);
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
    shards: &mut [Tracker],
    next_stream: &mut u64,
    last_frame: u64,
    last_batch: bool,
    parallel: bool,
    mut out: Output,
) -> Output {
    // 1. Stream numbers: connections in the order of their first frame.
    let mut new: Vec<(u64, usize, usize)> = Vec::new();
    for (i, sh) in shards.iter().enumerate() {
        new.extend(sh.created().map(|(frame, k)| (frame, i, k)));
    }
    new.sort_unstable();
    let mut batch_streams: Vec<Vec<u64>> = shards
        .iter()
        .map(|sh| vec![0; sh.created_count()])
        .collect();
    for (frame_order, &(_, i, k)) in new.iter().enumerate() {
        batch_streams[i][k] = *next_stream + frame_order as u64;
    }
    *next_stream += new.len() as u64;
    for (sh, streams) in shards.iter_mut().zip(&batch_streams) {
        sh.name_streams(streams);
    }

    // 2. Segment rows held for ROW_HOLD_FRAMES (all at the end of the
    //    capture): each tracker's, taken out in parallel. Each tracker's rows
    //    are in merge order already (frame; at one frame, rows of timer
    //    events by stream, then the segment's): they are merged, not
    //    sorted, by [`Output::deliver`], beside the next batch's work.
    let take = |(sh, (ready, emptied)): (&mut Tracker, (&mut Vec<Chunk>, &mut Vec<Chunk>))| {
        sh.take_ready(last_frame, last_batch, emptied, ready);
    };
    // (Without rows, the pool is not woken for nothing.)
    let any = shards.iter().any(|sh| sh.has_ready(last_frame, last_batch));
    if parallel && any {
        let to = out.ready.par_iter_mut().zip(&mut out.emptied[..]);
        shards.par_iter_mut().zip(to).for_each(take);
    } else if any {
        let to = out.ready.iter_mut().zip(&mut out.emptied[..]);
        shards.iter_mut().zip(to).for_each(take);
    }

    // 3. Finished connections, in completion order.
    let mut done: Vec<(u64, ConnectionRecord)> = Vec::new();
    for (sh, streams) in shards.iter_mut().zip(&batch_streams) {
        sh.take_done(streams, &mut done);
    }
    done.sort_unstable_by_key(|(frame, r)| (*frame, r.stream));
    out.done = done.into_iter().map(|d| d.1).collect();
    out
}

/// Which tracker replays a frame.
#[derive(Clone)]
struct Router {
    nshards: usize,
    /// The capture's (see [`FlowHasher`]).
    hasher: FlowHasher,
}

impl Router {
    /// The shard of a frame's segment or quoted segment, and its key's hash
    /// (which the shard's tracker uses too).
    #[inline]
    fn route(&self, p: &Packet) -> (u32, u64) {
        let h = match p {
            Packet::Tcp(seg) => FlowKey::hash_of(seg, &self.hasher),
            Packet::Icmp(q) => FlowKey::hash_of(&q.seg, &self.hasher),
            _ => return (NOT_TCP, 0),
        };
        (flow::shard_of_hash(h, self.nshards) as u32, h)
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
    d: &mut DecodedFrame,
    f: &decode::Fragment,
    bytes: &[u8],
    tunnel: Option<Tunnel>,
    r: &mut Reassembler,
    verify: bool,
    router: &Router,
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
    (d.shard, d.hash) = router.route(&l.packet);
    d.packet = l.packet;
    // The datagram's tunnels (its first fragment's), not this fragment's.
    Some(l.tunnel)
}
