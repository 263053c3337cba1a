//! Deterministic synthetic captures with planted ground truth, for
//! benchmarks and for checking tcpstate's answers at scale.
//!
//! [`generate`] writes an Ethernet capture (pcap or pcapng, snapshot length
//! 96 by default) of many interleaved connections, and beside it a TSV file
//! (the *truth*, see [`HEADER`]) with, per connection, its scenario, its
//! 4-tuple, its first and last frame and the final states of both endpoints.
//! The same seed gives the same bytes.
//!
//! The reference workload ([`Config::default`]) is 5 million packets, about
//! 121,000 connections of which about 5,600 are open at any time, 10% over
//! IPv6, about 494 MB. The capture starts with the population already open
//! (joined mid-stream); every connection that ends is replaced by a new one
//! opened with a SYN (or, for a reopened 4-tuple, by its next incarnation).
//! Lifecycles are mixed ([`Lifecycle`]): closes from either side (with the
//! server's FIN alone or together with its ACK), half-closes, simultaneous
//! closes, resets from either side, refused and unanswered SYNs, a lost final
//! ACK answered by a retransmitted FIN, a 4-tuple reopened from TIME_WAIT;
//! about 3% of request/response exchanges lose a segment after the capture
//! point and retransmit it.
//!
//! The final states come from each scenario's own semantics, written down
//! segment by segment in the scenario code (`conn.rs` explains the time
//! model); nothing here runs tcpstate's state machine. Timers are judged at
//! the capture's last timestamp: TIME_WAIT ends 2×MSL after the segment that
//! (re)started it, both ends of an unanswered SYN give up R2 after its last
//! SYN (RFC 9293 3.8.3: R2 covers the SYN,ACK the server retransmits too).
//! The capture never ends inside a group of segments whose meaning depends on
//! a later one (a SYN and the RST refusing it, two crossing FINs): such a
//! connection stops before the group instead, so that what the capture shows
//! determines the states.
//!
//! Memory is bounded by the concurrency, not by the size: connections are
//! planned a phase at a time, frames are built into one reused buffer, and a
//! truth row is written as soon as the connection's final states are certain
//! (rows are therefore not in stream order).

mod conn;
mod frame;
mod rng;
mod state;
mod truth;

pub use state::TcpState;
pub use truth::{Check, Group, HEADER, Observed, Planted, read_summary_jsonl, read_truth};

use conn::{Conn, Seg, Truth, Tuple};
use rng::Rng;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::io::{self, BufWriter, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// How a connection ends (or would have, had the capture gone on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lifecycle {
    /// The client closes first; the server ACKs, then sends its FIN.
    ClientClose,
    /// The client closes first; the server's FIN carries the ACK of the client's.
    ClientCloseFinAck,
    /// The server closes first; the client ACKs, then sends its FIN.
    ServerClose,
    /// The server closes first; the client's FIN carries the ACK.
    ServerCloseFinAck,
    /// The client shuts down its side; the server keeps sending, then closes.
    HalfClose,
    /// Both FINs cross on the wire.
    SimultaneousClose,
    /// The client aborts with an RST.
    ClientReset,
    /// The server aborts with an RST.
    ServerReset,
    /// The SYN is answered by RST,ACK: nothing listens.
    Refused,
    /// Every SYN,ACK the (listening) server sends is dropped before the
    /// capture point: the client keeps retransmitting its SYN.
    Unanswered,
    /// A client close whose final ACK is lost before the capture point: the
    /// server retransmits its FIN, which restarts the client's TIME_WAIT.
    LostFinalAck,
    /// A server close whose 4-tuple the client reopens (new SYN, larger ISN)
    /// while the server is in TIME_WAIT (RFC 1122 4.2.2.13).
    Reopened,
}

impl Lifecycle {
    pub const ALL: [Lifecycle; 12] = [
        Lifecycle::ClientClose,
        Lifecycle::ClientCloseFinAck,
        Lifecycle::ServerClose,
        Lifecycle::ServerCloseFinAck,
        Lifecycle::HalfClose,
        Lifecycle::SimultaneousClose,
        Lifecycle::ClientReset,
        Lifecycle::ServerReset,
        Lifecycle::Refused,
        Lifecycle::Unanswered,
        Lifecycle::LostFinalAck,
        Lifecycle::Reopened,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Lifecycle::ClientClose => "client-close",
            Lifecycle::ClientCloseFinAck => "client-close-fin-ack",
            Lifecycle::ServerClose => "server-close",
            Lifecycle::ServerCloseFinAck => "server-close-fin-ack",
            Lifecycle::HalfClose => "half-close",
            Lifecycle::SimultaneousClose => "simultaneous-close",
            Lifecycle::ClientReset => "client-reset",
            Lifecycle::ServerReset => "server-reset",
            Lifecycle::Refused => "refused",
            Lifecycle::Unanswered => "unanswered",
            Lifecycle::LostFinalAck => "lost-final-ack",
            Lifecycle::Reopened => "reopened",
        }
    }

    pub fn from_name(name: &str) -> Option<Lifecycle> {
        Lifecycle::ALL.into_iter().find(|l| l.name() == name)
    }
}

/// How a connection begins in the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Start {
    /// With the client's SYN.
    Syn,
    /// Already established when the capture began.
    MidStream,
    /// With a SYN on the 4-tuple of a connection that closed (a new
    /// incarnation, which starts a new stream).
    Reuse,
}

impl Start {
    pub const fn name(self) -> &'static str {
        match self {
            Start::Syn => "syn",
            Start::MidStream => "mid-stream",
            Start::Reuse => "reuse",
        }
    }

    pub fn from_name(name: &str) -> Option<Start> {
        [Start::Syn, Start::MidStream, Start::Reuse]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// The capture container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap, microsecond timestamps, little-endian.
    Pcap,
    /// pcapng, one section, one Ethernet interface, nanosecond timestamps.
    PcapNg,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct Config {
    pub seed: u64,
    /// Stop after this many packets.
    pub packets: Option<u64>,
    /// Start at most this many connections (the capture then ends when the
    /// last one has sent its last segment).
    pub connections: Option<u64>,
    /// Connections in progress at once (the initial population, kept by
    /// replacing every connection that ends).
    pub concurrency: u32,
    /// Share of connections over IPv6, in percent.
    pub ipv6_percent: u32,
    pub format: Format,
    pub snaplen: u32,
    /// The initial population joined mid-stream (otherwise it starts with
    /// SYNs like every later connection).
    pub mid_stream: bool,
    /// The initial population's first segments are spread over this long.
    pub ramp_us: i64,
    /// TIME_WAIT's length, 2×MSL (tcpstate's default MSL is 30 s).
    pub time_wait_us: i64,
    /// R2 for SYNs (RFC 9293 3.8.3: at least 3 minutes).
    pub syn_timeout_us: i64,
    /// Timestamp of the capture's start, microseconds since the epoch.
    pub start_us: i64,
}

impl Default for Config {
    /// The reference workload.
    fn default() -> Config {
        Config {
            seed: 1,
            packets: Some(5_000_000),
            connections: None,
            concurrency: 5_600,
            ipv6_percent: 10,
            format: Format::Pcap,
            snaplen: 96,
            mid_stream: true,
            ramp_us: 2_000_000,
            time_wait_us: 60_000_000,
            syn_timeout_us: 180_000_000,
            // 2024-01-15T09:00:00Z
            start_us: 1_705_309_200_000_000,
        }
    }
}

/// What was generated.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub packets: u64,
    /// Bytes of the capture file.
    pub bytes: u64,
    /// Connections with at least one frame (= truth rows).
    pub connections: u64,
    pub ipv6_connections: u64,
    /// Most connections in progress at once.
    pub peak_open: u64,
    pub first_us: i64,
    pub last_us: i64,
    /// Truth rows by `start/scenario`.
    pub by_group: BTreeMap<String, u64>,
    /// Truth rows by final `client/server` states.
    pub by_final: BTreeMap<String, u64>,
}

/// Writes the capture to `capture` and the truth to `truth` (both are
/// buffered here).
pub fn generate<W: Write, T: Write>(cfg: &Config, capture: W, truth: T) -> io::Result<Stats> {
    if cfg.packets.is_none() && cfg.connections.is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "give a number of packets or of connections",
        ));
    }
    let frames = frame::Frames::new(
        BufWriter::with_capacity(1 << 20, capture),
        cfg.format,
        cfg.snaplen,
    )?;
    let mut truth = BufWriter::with_capacity(1 << 16, truth);
    truth::write_header(&mut truth)?;
    let mut g = Gen {
        cfg: cfg.clone(),
        rng: Rng::new(cfg.seed),
        slots: Vec::new(),
        free: Vec::new(),
        pool: Vec::new(),
        heap: BinaryHeap::new(),
        order: 0,
        frames,
        truth,
        row: Vec::with_capacity(256),
        pending: HashMap::new(),
        deadlines: BinaryHeap::new(),
        emitted: 0,
        committed: 0,
        next_stream: 0,
        started: 0,
        next_tuple: 0,
        now: cfg.start_us,
        open: 0,
        stats: Stats::default(),
    };
    g.run()?;
    let Gen {
        frames,
        truth,
        mut stats,
        ..
    } = g;
    let (_, bytes) = frames.finish()?;
    stats.bytes = bytes;
    truth.into_inner().map_err(|e| e.into_error())?.flush()?;
    Ok(stats)
}

/// Lifecycle weights of connections opened with a SYN.
const SYN_LIVES: [(Lifecycle, u32); 12] = [
    (Lifecycle::ClientClose, 22),
    (Lifecycle::ClientCloseFinAck, 14),
    (Lifecycle::ServerClose, 12),
    (Lifecycle::ServerCloseFinAck, 10),
    (Lifecycle::HalfClose, 6),
    (Lifecycle::SimultaneousClose, 3),
    (Lifecycle::ClientReset, 7),
    (Lifecycle::ServerReset, 4),
    (Lifecycle::Refused, 8),
    (Lifecycle::Unanswered, 4),
    (Lifecycle::LostFinalAck, 4),
    (Lifecycle::Reopened, 4),
];

/// ... of connections joined mid-stream and of reopened 4-tuples.
const ESTABLISHED_LIVES: [(Lifecycle, u32); 9] = [
    (Lifecycle::ClientClose, 30),
    (Lifecycle::ClientCloseFinAck, 20),
    (Lifecycle::ServerClose, 15),
    (Lifecycle::ServerCloseFinAck, 10),
    (Lifecycle::HalfClose, 8),
    (Lifecycle::SimultaneousClose, 3),
    (Lifecycle::ClientReset, 8),
    (Lifecycle::ServerReset, 6),
    (Lifecycle::LostFinalAck, 4),
];

const SERVER_PORTS: [(u16, u32); 7] = [
    (443, 50),
    (80, 25),
    (22, 5),
    (25, 4),
    (993, 4),
    (8080, 6),
    (5432, 6),
];

/// Client hosts (a prime, so that consecutive connections spread over them);
/// each uses ports 32768..60999, so 4-tuples are unique for the first 115
/// million connections.
const CLIENT_HOSTS: u64 = 4093;
const CLIENT_PORTS: u64 = 28_231;
const SERVERS: u64 = 200;

fn pick<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> T {
    let mut weights = [0u32; 16];
    for (w, (_, x)) in weights.iter_mut().zip(table) {
        *w = *x;
    }
    table[rng.pick(&weights[..table.len()])].0
}

/// A connection whose segments are all out, waiting for a timer (or a
/// reopening SYN) to settle its final states.
struct Finished {
    tuple: Tuple,
    start: Start,
    life: Lifecycle,
    reopened: bool,
    truth: Truth,
}

struct Gen<W: Write, T: Write> {
    cfg: Config,
    rng: Rng,
    slots: Vec<Option<Conn>>,
    free: Vec<u32>,
    /// Recycled plan buffers.
    pool: Vec<Vec<Seg>>,
    /// (time of the next segment, insertion order, slot)
    heap: BinaryHeap<Reverse<(i64, u64, u32)>>,
    order: u64,
    frames: frame::Frames<BufWriter<W>>,
    truth: BufWriter<T>,
    row: Vec<u8>,
    /// By stream.
    pending: HashMap<u64, Finished>,
    /// (deadline, stream); stale entries are skipped.
    deadlines: BinaryHeap<Reverse<(i64, u64)>>,
    emitted: u64,
    /// Frames of started groups not yet emitted.
    committed: u64,
    next_stream: u64,
    started: u64,
    next_tuple: u64,
    now: i64,
    open: u64,
    stats: Stats,
}

/// When the final states of `t` next change with time, if ever.
fn deadline(t: &Truth, cfg: &Config) -> Option<i64> {
    let mut d: Option<i64> = None;
    let mut at = |x: i64| d = Some(d.map_or(x, |y| y.min(x)));
    for r in 0..2 {
        if t.states[r] == TcpState::TimeWait {
            if let Some(s) = t.time_wait_since[r] {
                at(s + cfg.time_wait_us);
            }
        }
    }
    if t.states[0] == TcpState::SynSent || t.states[1] == TcpState::SynReceived {
        if let Some(s) = t.syn_since {
            at(s + cfg.syn_timeout_us);
        }
    }
    d
}

/// Lets the timers of `t` that have run out by `now` fire.
fn expire(t: &mut Truth, now: i64, cfg: &Config) {
    for r in 0..2 {
        if t.states[r] == TcpState::TimeWait
            && t.time_wait_since[r].is_some_and(|s| now >= s + cfg.time_wait_us)
        {
            // RFC 9293 3.10.8: the time-wait timeout deletes the TCB.
            t.states[r] = TcpState::Closed;
        }
    }
    if t.states[0] == TcpState::SynSent
        && t.syn_since.is_some_and(|s| now >= s + cfg.syn_timeout_us)
    {
        // RFC 9293 3.8.3: R2 ran out for the SYN; the connection is closed.
        t.states[0] = TcpState::Closed;
    }
    if t.states[1] == TcpState::SynReceived
        && t.syn_since.is_some_and(|s| now >= s + cfg.syn_timeout_us)
    {
        // R2 ran out for the SYN,ACK the server sent in answer to the last
        // SYN (3.8.3); the user timeout closes the connection (3.10.8).
        t.states[1] = TcpState::Closed;
    }
}

fn addr(t: &Tuple, i: usize) -> IpAddr {
    let b = t.ip[i];
    if t.v6 {
        IpAddr::V6(Ipv6Addr::from(b))
    } else {
        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
}

impl<W: Write, T: Write> Gen<W, T> {
    fn limit_reached(&self) -> bool {
        self.cfg.packets.is_some_and(|n| self.emitted >= n)
    }

    fn may_start(&self) -> bool {
        self.cfg.connections.is_none_or(|n| self.started < n)
    }

    fn new_tuple(&mut self, rng: &mut Rng) -> Tuple {
        let u = self.next_tuple;
        self.next_tuple += 1;
        let host = u % CLIENT_HOSTS;
        let port = 32_768 + ((u / CLIENT_HOSTS) % CLIENT_PORTS) as u16;
        let v6 = rng.below(100) < u64::from(self.cfg.ipv6_percent);
        let server = rng.below(SERVERS) as u8 + 1;
        let sport = pick(rng, &SERVER_PORTS);
        let (h1, h0) = ((host >> 8) as u8, host as u8);
        let mut ip = [[0u8; 16]; 2];
        if v6 {
            ip[0] = [0xfd, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, h1, h0];
            ip[1] = [
                0x20, 0x01, 0x0d, 0xb8, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, server,
            ];
        } else {
            ip[0][..4].copy_from_slice(&[10, 20, h1, h0]);
            ip[1][..4].copy_from_slice(&[198, 18, 0, server]);
        }
        Tuple {
            v6,
            ip,
            port: [port, sport],
            mac: [[0x02, 0, 0x0a, 0x14, h1, h0], [0x02, 0, 0x5e, 0, 0, 0x01]],
        }
    }

    /// Starts a connection due at `at`; `pred` is the connection whose
    /// 4-tuple it reopens.
    fn spawn(&mut self, start: Start, at: i64, pred: Option<(u64, Tuple, u32)>) {
        let mut rng = self.rng.fork();
        let life = match start {
            Start::Syn => pick(&mut rng, &SYN_LIVES),
            Start::MidStream | Start::Reuse => pick(&mut rng, &ESTABLISHED_LIVES),
        };
        let tuple = match pred {
            Some((_, t, _)) => t,
            None => self.new_tuple(&mut rng),
        };
        let chunk = self.pool.pop().unwrap_or_default();
        let mut c = Conn::new(rng, life, start, tuple, at, chunk);
        if let Some((stream, _, client_nxt)) = pred {
            // A new incarnation must start above the old one's sequence
            // space (RFC 1122 4.2.2.13, RFC 6191).
            let jump = c.rng.range(100_000, 100_000_000) as u32;
            c.set_client_isn(client_nxt.wrapping_add(jump));
            c.pred = Some(stream);
        }
        self.started += 1;
        let planned = c.next_chunk();
        debug_assert!(planned, "every plan has a first segment");
        let when = c.chunk[0].at;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(c);
                s
            }
            None => {
                self.slots.push(Some(c));
                (self.slots.len() - 1) as u32
            }
        };
        self.schedule(when, slot);
        self.open += 1;
        self.stats.peak_open = self.stats.peak_open.max(self.open);
    }

    fn schedule(&mut self, at: i64, slot: u32) {
        self.order += 1;
        self.heap.push(Reverse((at, self.order, slot)));
    }

    fn run(&mut self) -> io::Result<()> {
        let initial = match self.cfg.connections {
            Some(n) => n.min(u64::from(self.cfg.concurrency)),
            None => u64::from(self.cfg.concurrency),
        };
        let t0 = self.cfg.start_us;
        for _ in 0..initial {
            let at = t0 + self.rng.range(0, self.cfg.ramp_us.max(0));
            let start = if self.cfg.mid_stream {
                Start::MidStream
            } else {
                Start::Syn
            };
            self.spawn(start, at, None);
        }
        while let Some(Reverse((at, _, slot))) = self.heap.pop() {
            if self.limit_reached() {
                break;
            }
            let conn = self.slots[slot as usize].as_mut().expect("scheduled slot");
            let seg = conn.chunk[conn.pos];
            if let Some(n) = self.cfg.packets {
                if !seg.cont {
                    let need = u64::from(seg.group.max(1));
                    if self.emitted + self.committed + need > n {
                        // The capture ends before this connection's next
                        // step (see the module documentation).
                        conn.stalled = true;
                        continue;
                    }
                    self.committed += need;
                }
                self.committed -= 1;
            }
            self.emitted += 1;
            let frame = self.emitted;
            self.frames.write(conn, &seg)?;
            let first = conn.truth.packets == 0;
            conn.record(&seg, frame);
            let mut reopens = None;
            if first {
                conn.truth.stream = Some(self.next_stream);
                self.next_stream += 1;
                reopens = conn.pred;
            }
            conn.pos += 1;
            let more = conn.pos < conn.chunk.len() || conn.next_chunk();
            let next = more.then(|| conn.chunk[conn.pos].at);
            if frame == 1 {
                self.stats.first_us = at;
            }
            self.now = at;
            if let Some(p) = reopens {
                self.reopen(p)?;
            }
            self.resolve()?;
            match next {
                Some(t) => self.schedule(t, slot),
                None => self.finish(slot)?,
            }
        }
        // The capture ends here: settle everything at its last timestamp.
        let end = self.now;
        self.stats.last_us = end;
        for slot in 0..self.slots.len() {
            if let Some(c) = self.slots[slot].take() {
                if c.truth.stream.is_some() {
                    let f = Finished {
                        tuple: c.tuple,
                        start: c.start,
                        life: c.life,
                        reopened: false,
                        truth: c.truth,
                    };
                    self.write(f, end)?;
                }
            }
        }
        let mut rest: Vec<(u64, Finished)> = self.pending.drain().collect();
        rest.sort_unstable_by_key(|(s, _)| *s);
        for (_, f) in rest {
            self.write(f, end)?;
        }
        self.stats.packets = self.emitted;
        Ok(())
    }

    /// A connection sent its last segment.
    fn finish(&mut self, slot: u32) -> io::Result<()> {
        let mut c = self.slots[slot as usize].take().expect("live slot");
        self.free.push(slot);
        self.open -= 1;
        self.pool.push(std::mem::take(&mut c.chunk));
        let f = Finished {
            tuple: c.tuple,
            start: c.start,
            life: c.life,
            reopened: false,
            truth: c.truth,
        };
        let stream = c.truth.stream.expect("a finished connection has frames");
        if let Some(d) = deadline(&f.truth, &self.cfg) {
            self.pending.insert(stream, f);
            self.deadlines.push(Reverse((d, stream)));
        } else {
            self.write(f, self.now)?;
        }
        if !self.may_start() {
            return Ok(());
        }
        if c.life == Lifecycle::Reopened {
            let at = self.now + self.rng.range(50_000, 40_000_000);
            self.spawn(
                Start::Reuse,
                at,
                Some((stream, c.tuple, c.client_snd_nxt())),
            );
        } else {
            let at = self.now + 1 + self.rng.exp(20_000.0) as i64;
            self.spawn(Start::Syn, at, None);
        }
        Ok(())
    }

    /// The SYN of a new incarnation reached the server of `stream` in
    /// TIME_WAIT: that incarnation is over (RFC 1122 4.2.2.13).
    fn reopen(&mut self, stream: u64) -> io::Result<()> {
        let Some(f) = self.pending.get_mut(&stream) else {
            return Ok(()); // its TIME_WAIT had already run out
        };
        for r in 0..2 {
            if f.truth.states[r] == TcpState::TimeWait {
                f.truth.states[r] = TcpState::Closed;
                f.truth.time_wait_since[r] = None;
            }
        }
        f.reopened = true;
        if deadline(&f.truth, &self.cfg).is_none() {
            let f = self.pending.remove(&stream).expect("present");
            self.write(f, self.now)?;
        }
        Ok(())
    }

    /// Settles the finished connections whose timers ran out by now.
    fn resolve(&mut self) -> io::Result<()> {
        while let Some(&Reverse((d, stream))) = self.deadlines.peek() {
            if d > self.now {
                break;
            }
            self.deadlines.pop();
            let Some(f) = self.pending.get_mut(&stream) else {
                continue;
            };
            if deadline(&f.truth, &self.cfg) != Some(d) {
                continue;
            }
            expire(&mut f.truth, self.now, &self.cfg);
            match deadline(&f.truth, &self.cfg) {
                Some(next) => self.deadlines.push(Reverse((next, stream))),
                None => {
                    let f = self.pending.remove(&stream).expect("present");
                    self.write(f, self.now)?;
                }
            }
        }
        Ok(())
    }

    /// Writes the truth row of `f`, its timers judged at `now`.
    fn write(&mut self, mut f: Finished, now: i64) -> io::Result<()> {
        expire(&mut f.truth, now, &self.cfg);
        let t = &f.truth;
        let scenario = if f.life == Lifecycle::Reopened && !f.reopened {
            Lifecycle::ServerClose
        } else {
            f.life
        };
        let p = Planted {
            stream: t.stream.expect("written connections have frames"),
            first_frame: t.first_frame,
            last_frame: t.last_frame,
            packets: t.packets,
            start: f.start,
            scenario,
            client: (addr(&f.tuple, 0), f.tuple.port[0]),
            server: (addr(&f.tuple, 1), f.tuple.port[1]),
            states: t.states,
            rexmits: t.rexmits,
        };
        self.row.clear();
        p.write_tsv(&mut self.row);
        self.truth.write_all(&self.row)?;
        self.stats.connections += 1;
        self.stats.ipv6_connections += u64::from(f.tuple.v6);
        *self.stats.by_group.entry(p.group()).or_default() += 1;
        *self
            .stats
            .by_final
            .entry(format!("{}/{}", p.states[0].name(), p.states[1].name()))
            .or_default() += 1;
        Ok(())
    }
}
