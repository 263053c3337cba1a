//! Shared test helpers: running the engine, and crafting captures.
//!
//! Crafted captures are only for what the real stack cannot be made to do;
//! their packets are built with etherparse and written with pcap-file, never
//! typed as bytes.

#![allow(dead_code)]

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, TsResolution};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tcpstate::capture::CaptureReader;
use tcpstate::engine::{self, ConnectionRecord, Options, SegmentRecord, Totals};
use tcpstate::state::TcpState;

/// Everything the engine produced for one capture.
pub struct Run {
    pub segments: Vec<SegmentRecord>,
    pub connections: Vec<ConnectionRecord>,
    pub totals: Totals,
}

impl Run {
    /// The connection with this stream number.
    pub fn stream(&self, n: u64) -> &ConnectionRecord {
        self.connections
            .iter()
            .find(|c| c.stream == n)
            .unwrap_or_else(|| panic!("no stream {n}"))
    }

    /// `(kind id, frame)` of every anomaly of every connection, by stream.
    pub fn anomalies(&self) -> Vec<(u64, &'static str, u64)> {
        let mut v: Vec<_> = self
            .connections
            .iter()
            .flat_map(|c| {
                c.anomalies
                    .iter()
                    .map(move |a| (c.stream, a.kind.id(), a.frame))
            })
            .collect();
        v.sort();
        v
    }
}

/// Runs the engine (timeline and summary) over a reader.
pub fn run_reader(reader: CaptureReader) -> Run {
    run_reader_with(reader, false)
}

/// The same, verifying checksums or not.
pub fn run_reader_with(reader: CaptureReader, verify_checksums: bool) -> Run {
    let opts = Options {
        segments: true,
        verify_checksums,
        ..Options::default()
    };
    let mut c = engine::Collector::default();
    let totals = engine::analyze(reader, &opts, &mut c, None).expect("collecting cannot fail");
    Run {
        segments: c.segments,
        connections: c.connections,
        totals,
    }
}

pub fn run_file(path: &Path) -> Run {
    run_reader(CaptureReader::open(path).unwrap_or_else(|e| panic!("{e}")))
}

pub fn run_bytes(bytes: Vec<u8>) -> Run {
    run_reader(CaptureReader::from_bytes("crafted.pcap", bytes).expect("a pcap"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The third-party corpus; panics (so the test fails loudly) if missing.
pub fn corpus() -> PathBuf {
    let p = repo().join("../shared/corpus");
    assert!(
        p.join("SOURCES.md").is_file(),
        "the corpus is missing at {}: these tests need ../shared/corpus beside the repository",
        p.display()
    );
    p
}

/// Every capture file in a directory, sorted.
pub fn captures_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".cap")
        })
        .collect();
    v.sort();
    v
}

/// tshark's `frame.number -> tcp.stream` for every frame that has one.
pub fn tshark_streams(path: &Path) -> Vec<(u64, u64)> {
    let out = std::process::Command::new("tshark")
        .args(["-r"])
        .arg(path)
        .args(["-T", "fields", "-e", "frame.number", "-e", "tcp.stream"])
        .output()
        .expect("tshark must be installed for this test (CI installs it): apt-get install tshark");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut it = l.split('\t');
            let f = it.next()?.trim().parse().ok()?;
            let s = it.next()?.trim().parse().ok()?;
            Some((f, s))
        })
        .collect()
}

// ---- crafting ---------------------------------------------------------------

pub const C: ([u8; 4], u16) = ([10, 1, 0, 1], 40000);
pub const S: ([u8; 4], u16) = ([10, 1, 0, 2], 80);

/// TCP flags for crafted segments.
#[derive(Clone, Copy, Debug, Default)]
pub struct F {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub urg: bool,
}

pub const SYN: F = F {
    syn: true,
    ack: false,
    fin: false,
    rst: false,
    psh: false,
    urg: false,
};
pub const SYN_ACK: F = F {
    syn: true,
    ack: true,
    fin: false,
    rst: false,
    psh: false,
    urg: false,
};
pub const ACK: F = F {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
    psh: false,
    urg: false,
};
pub const FIN_ACK: F = F {
    syn: false,
    ack: true,
    fin: true,
    rst: false,
    psh: false,
    urg: false,
};
pub const RST: F = F {
    syn: false,
    ack: false,
    fin: false,
    rst: true,
    psh: false,
    urg: false,
};
pub const RST_ACK: F = F {
    syn: false,
    ack: true,
    fin: false,
    rst: true,
    psh: false,
    urg: false,
};
pub const PSH_ACK: F = F {
    syn: false,
    ack: true,
    fin: false,
    rst: false,
    psh: true,
    urg: false,
};
pub const NONE: F = F {
    syn: false,
    ack: false,
    fin: false,
    rst: false,
    psh: false,
    urg: false,
};

/// A pcap written segment by segment: Ethernet, IPv4, TCP. Tests write
/// their segments with [`Ladder`]; its segment-adding methods are private
/// to this kit.
pub struct Craft {
    packets: Vec<(Duration, Vec<u8>)>,
    /// The client's address and port for the segments added next.
    client: ([u8; 4], u16),
}

impl Default for Craft {
    fn default() -> Self {
        Self::new()
    }
}

impl Craft {
    pub fn new() -> Craft {
        Craft {
            packets: Vec::new(),
            client: C,
        }
    }

    /// Segments added from now on belong to the client port `port` (another
    /// connection between the same hosts).
    fn client_port(mut self, port: u16) -> Craft {
        self.client = (C.0, port);
        self
    }

    /// A segment from the client (`c2s`) or the server, at `ms` milliseconds.
    #[allow(clippy::too_many_arguments)]
    fn seg(mut self, c2s: bool, f: F, seq: u32, ack: u32, payload: usize, ms: u64) -> Craft {
        let ((sa, sp), (da, dp)) = if c2s {
            (self.client, S)
        } else {
            (S, self.client)
        };
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]).ipv4(sa, da, 64);
        let mut t = b.tcp(sp, dp, seq, 65535);
        if f.syn {
            t = t.syn();
        }
        if f.ack {
            t = t.ack(ack);
        }
        if f.fin {
            t = t.fin();
        }
        if f.rst {
            t = t.rst();
        }
        if f.psh {
            t = t.psh();
        }
        if f.urg {
            t = t.urg(0);
        }
        let data = vec![b'x'; payload];
        let mut buf = Vec::with_capacity(t.size(payload));
        t.write(&mut buf, &data).expect("write to a Vec");
        self.packets
            .push((Duration::from_millis(1_700_000_000_000 + ms), buf));
        self
    }

    /// A UDP datagram of no connection at `ms` milliseconds: it only shows
    /// that the capture went on until then.
    pub fn udp(mut self, ms: u64) -> Craft {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([10, 1, 0, 9], [10, 1, 0, 10], 64)
            .udp(5353, 5353);
        let mut buf = Vec::with_capacity(b.size(4));
        b.write(&mut buf, b"tick").expect("write to a Vec");
        self.packets
            .push((Duration::from_millis(1_700_000_000_000 + ms), buf));
        self
    }

    /// An ICMP error (`icmp_type`, `code`) from `from` to the sender of the
    /// last segment added, quoting that segment's IP header and whole TCP
    /// header (as routers and hosts do: at least the first 8 bytes of the
    /// payload, RFC 792, and today usually more, RFC 1812 4.3.2.3).
    fn icmp_about_last(mut self, from: [u8; 4], icmp_type: u8, code: u8, ms: u64) -> Craft {
        let (_, last) = self.packets.last().expect("a segment to quote");
        let ip = &last[14..];
        let quote = &ip[..40];
        let to = [ip[12], ip[13], ip[14], ip[15]];
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 3], [2, 0, 0, 0, 0, 1])
            .ipv4(from, to, 64)
            .icmpv4_raw(icmp_type, code, [0; 4]);
        let mut buf = Vec::with_capacity(b.size(quote.len()));
        b.write(&mut buf, quote).expect("write to a Vec");
        self.packets
            .push((Duration::from_millis(1_700_000_000_000 + ms), buf));
        self
    }

    /// Writes the classic pcap bytes to a file.
    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.pcap()).expect("write the crafted capture");
    }

    /// The classic pcap bytes.
    pub fn pcap(&self) -> Vec<u8> {
        let header = PcapHeader {
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::MicroSecond,
            ..PcapHeader::default()
        };
        let mut w = PcapWriter::with_header(Vec::new(), header).expect("pcap header");
        for (ts, data) in &self.packets {
            w.write_packet(&PcapPacket::new(*ts, data.len() as u32, data))
                .expect("pcap record");
        }
        w.into_writer()
    }

    pub fn run(&self) -> Run {
        run_bytes(self.pcap())
    }

    /// Runs it with `--verify-checksums`.
    pub fn run_verified(&self) -> Run {
        let reader = CaptureReader::from_bytes("crafted.pcap", self.pcap()).expect("a pcap");
        run_reader_with(reader, true)
    }

    /// Corrupts the TCP checksum of the last segment added (Ethernet, IPv4
    /// without options: the checksum is at byte 14 + 20 + 16).
    fn bad_checksum(mut self) -> Craft {
        let (_, buf) = self.packets.last_mut().expect("a segment to corrupt");
        buf[14 + 20 + 16] ^= 0x5a;
        self
    }
}

/// One `.ss` line of testdata/real (format in its README): when, which
/// socket, what the kernel said.
pub struct SsSnapshot {
    pub ts: i64,
    pub local: std::net::SocketAddr,
    pub peer: std::net::SocketAddr,
    pub state: tcpstate::state::TcpState,
    pub documented_difference: bool,
    pub line: String,
}

pub fn ss_snapshots(capture: &Path) -> Vec<SsSnapshot> {
    let text = std::fs::read_to_string(capture.with_extension("ss")).expect(".ss file");
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (data, comment) = l.split_once('#').unwrap_or((l, ""));
            let w: Vec<&str> = data.split_whitespace().collect();
            let addr = |s: &str| -> std::net::SocketAddr {
                s.parse()
                    .or_else(|_| {
                        let (ip, port) = s.rsplit_once(':').expect("addr:port");
                        Ok::<_, ()>(std::net::SocketAddr::new(
                            ip.parse().expect("ip"),
                            port.parse().expect("port"),
                        ))
                    })
                    .expect("address")
            };
            let state = match w[4] {
                "ESTAB" => tcpstate::state::TcpState::Established,
                "SYN-SENT" => tcpstate::state::TcpState::SynSent,
                "SYN-RECV" => tcpstate::state::TcpState::SynReceived,
                "FIN-WAIT-1" => tcpstate::state::TcpState::FinWait1,
                "FIN-WAIT-2" => tcpstate::state::TcpState::FinWait2,
                "CLOSE-WAIT" => tcpstate::state::TcpState::CloseWait,
                "CLOSING" => tcpstate::state::TcpState::Closing,
                "LAST-ACK" => tcpstate::state::TcpState::LastAck,
                "TIME-WAIT" => tcpstate::state::TcpState::TimeWait,
                "LISTEN" => tcpstate::state::TcpState::Listen,
                "CLOSED" => tcpstate::state::TcpState::Closed,
                other => panic!("unknown ss state {other}"),
            };
            SsSnapshot {
                ts: w[0].parse().expect("ts_ns"),
                local: addr(w[2]),
                peer: addr(w[3]),
                state,
                documented_difference: comment.contains("model-differs:"),
                line: l.to_string(),
            }
        })
        .collect()
}

/// A capture with what the newer keys describe: a segment in GRE, an ICMP
/// error quoting it, a segment in two IPv4 fragments, a header cut inside
/// its options. Packets by etherparse; GRE, ICMP and the fragments are
/// assembled from their fields.
pub fn encapsulated_capture() -> Vec<u8> {
    use etherparse::{IpNumber, Ipv4Header, PacketBuilder};
    let tcp = |seq: u32, syn: bool, payload: &[u8]| {
        let b = PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).tcp(40000, 80, seq, 1000);
        let b = if syn {
            b.syn()
                .options(&[etherparse::TcpOptionElement::MaximumSegmentSize(1460)])
                .unwrap()
        } else {
            b.ack(1)
        };
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    };
    let outer = |proto: u8, payload: &[u8], id: u16, offset: u16, more: bool| {
        let mut h = Ipv4Header::new(
            payload.len() as u16,
            64,
            IpNumber(proto),
            [192, 0, 2, 1],
            [192, 0, 2, 2],
        )
        .unwrap();
        h.identification = id;
        h.more_fragments = more;
        h.fragment_offset = etherparse::IpFragOffset::try_new(offset / 8).unwrap();
        h.header_checksum = h.calc_header_checksum();
        [
            &[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0][..],
            &h.to_bytes(),
            payload,
        ]
        .concat()
    };
    let syn = tcp(100, true, b"");
    let gre = [&[0u8, 0, 8, 0][..], &syn].concat();
    let mut icmp = [&[3u8, 1, 0, 0, 0, 0, 0, 0][..], &syn].concat();
    let sum = etherparse::checksum::Sum16BitWords::new()
        .add_slice(&icmp)
        .ones_complement();
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    let data = tcp(101, false, &[b'x'; 40]);
    let ip = |p: &[u8]| [&[2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0][..], p].concat();
    // The data segment's payload (TCP header and 40 bytes) in two pieces:
    // its own header with the protocol, as the fragments' outer header.
    let frag = |offset: u16, more: bool, piece: &[u8]| {
        let mut h = Ipv4Header::from_slice(&data[..20]).unwrap().0;
        h.total_len = (20 + piece.len()) as u16;
        h.more_fragments = more;
        h.dont_fragment = false;
        h.fragment_offset = etherparse::IpFragOffset::try_new(offset / 8).unwrap();
        h.header_checksum = h.calc_header_checksum();
        ip(&[&h.to_bytes()[..], piece].concat())
    };
    let frames: Vec<(Vec<u8>, usize)> = vec![
        (outer(47, &gre, 1, 0, false), usize::MAX),
        (ip(&outer(1, &icmp, 2, 0, false)[14..]), usize::MAX),
        (frag(0, true, &data[20..44]), usize::MAX),
        (frag(24, false, &data[44..]), usize::MAX),
        // The SYN again, cut inside its options.
        (ip(&syn), 14 + 20 + 22),
    ];
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for (i, (f, cut)) in frames.iter().enumerate() {
        let cap = f.len().min(*cut);
        for v in [1_700_000_000 + i as u32, 0, cap as u32, f.len() as u32] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&f[..cap]);
    }
    out
}

/// Runs the tcpstate binary in the repository, so that captures are named
/// as someone working there names them (`testdata/real/...`).
pub fn tcpstate_in_repo(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tcpstate"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("runs tcpstate")
}

/// A new, empty directory for one test (`what`: the test binary, `name`:
/// the test), in the system's temporary directory.
pub fn fresh_dir(what: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tcpstate-{what}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Paths relative to the repository, sorted as a directory's captures are
/// (component by component).
pub fn relative_sorted(files: &[PathBuf]) -> Vec<String> {
    let root = repo();
    let mut v: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(&root).unwrap_or(f).to_path_buf())
        .collect();
    v.sort();
    v.iter().map(|p| p.display().to_string()).collect()
}

/// A small deterministic generator (xorshift64*) for the tests that try
/// many pseudo-random inputs: the same seed, the same inputs.
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// In `0..n` (`n` > 0; slightly biased, which is fine for tests).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    /// One of `v`.
    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

/// A crafted capture written like a ladder diagram: each segment (who sends
/// it, its flags and numbers, when), then the states both endpoints must be
/// in after it. [`Ladder::run`] replays it and checks every row of the
/// timeline: segment rows, ICMP rows ([`Ladder::icmp_error`]) and event
/// rows ([`Ladder::event`]), in order.
///
/// ```ignore
/// let run = Ladder::new()
///     .client(SYN, 1000, 0).then(SynSent, SynReceived)
///     .server(SYN_ACK, 5000, 1001).at_ms(1).then(Established, SynReceived)
///     .client(ACK, 1001, 5001).at_ms(2).then(Established, Established)
///     .run();
/// ```
pub struct Ladder {
    craft: Craft,
    ms: u64,
    rows: Vec<(Row, [TcpState; 2])>,
}

/// What a timeline row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    /// A segment of the connection.
    Segment,
    /// An ICMP error quoting one.
    Icmp,
    /// Transitions between segments (a timer that expired...).
    Event,
}

impl Row {
    fn of(s: &SegmentRecord) -> Row {
        if s.event {
            Row::Event
        } else if s.icmp.is_some() {
            Row::Icmp
        } else {
            Row::Segment
        }
    }
}

/// One rung being written: a segment (or an ICMP error), until
/// [`Rung::then`] states what it leads to.
pub struct Rung {
    ladder: Ladder,
    packet: Packet,
}

enum Packet {
    Segment {
        c2s: bool,
        f: F,
        seq: u32,
        ack: u32,
        len: usize,
        bad_checksum: bool,
    },
    Icmp {
        from: [u8; 4],
        icmp_type: u8,
        code: u8,
    },
}

impl Default for Ladder {
    fn default() -> Self {
        Self::new()
    }
}

impl Ladder {
    pub fn new() -> Ladder {
        Ladder {
            craft: Craft::new(),
            ms: 0,
            rows: Vec::new(),
        }
    }
    /// A complete handshake (client ISN 1000 at 0 ms, server ISN 5000 at
    /// 1 ms, the third ACK at 2 ms), both ends ESTABLISHED after it.
    pub fn handshake() -> Ladder {
        use TcpState::*;
        Ladder::new()
            .client(SYN, 1000, 0)
            .then(SynSent, SynReceived)
            .server(SYN_ACK, 5000, 1001)
            .at_ms(1)
            .then(Established, SynReceived)
            .client(ACK, 1001, 5001)
            .at_ms(2)
            .then(Established, Established)
    }

    /// A segment from the client.
    pub fn client(self, f: F, seq: u32, ack: u32) -> Rung {
        self.rung(true, f, seq, ack)
    }
    /// A segment from the server.
    pub fn server(self, f: F, seq: u32, ack: u32) -> Rung {
        self.rung(false, f, seq, ack)
    }
    fn rung(self, c2s: bool, f: F, seq: u32, ack: u32) -> Rung {
        Rung {
            ladder: self,
            packet: Packet::Segment {
                c2s,
                f,
                seq,
                ack,
                len: 0,
                bad_checksum: false,
            },
        }
    }
    /// An ICMP error (`icmp_type`, `code`) from `from` to the sender of the
    /// segment of the rung before, quoting it (see [`Craft::icmp_about_last`]).
    /// Its row shows the states after it.
    pub fn icmp_error(self, from: [u8; 4], icmp_type: u8, code: u8) -> Rung {
        Rung {
            ladder: self,
            packet: Packet::Icmp {
                from,
                icmp_type,
                code,
            },
        }
    }
    /// The rungs from now on belong to the client port `port` (another
    /// connection between the same hosts; the states are that connection's).
    pub fn client_port(mut self, port: u16) -> Ladder {
        self.craft = self.craft.client_port(port);
        self
    }
    /// An event row (transitions between segments: a timer that expired, an
    /// incarnation ended) comes here, leaving the client and the server in
    /// these states. It is shown by the frame after it, so it adds no packet.
    pub fn event(mut self, client: TcpState, server: TcpState) -> Ladder {
        self.rows.push((Row::Event, [client, server]));
        self
    }
    /// A UDP datagram of no connection at `ms`: the capture went on until
    /// then (no rung: it is no segment of the connection).
    pub fn udp(mut self, ms: u64) -> Ladder {
        self.craft = self.craft.udp(ms);
        self
    }
    /// The capture, for what a ladder does not say.
    pub fn craft(self) -> Craft {
        self.craft
    }
    /// Replays the capture and checks the rows and their states.
    pub fn run(self) -> Run {
        let run = self.craft.run();
        self.check(&run);
        run
    }
    /// The same, with `--verify-checksums`.
    pub fn run_verified(self) -> Run {
        let run = self.craft.run_verified();
        self.check(&run);
        run
    }
    /// Replays the capture, checks its rows, and writes it to `path` (for
    /// the tests that give it to the binary).
    pub fn write(self, path: &Path) {
        self.check(&self.craft.run());
        self.craft.write(path);
    }
    fn check(&self, run: &Run) {
        let got: Vec<(Row, [TcpState; 2])> = run
            .segments
            .iter()
            .map(|s| (Row::of(s), s.outcome.state))
            .collect();
        assert_eq!(
            got, self.rows,
            "the rows and the states after each [client, server]"
        );
    }
}

impl Rung {
    /// Carries `n` bytes of payload.
    pub fn len(mut self, n: usize) -> Rung {
        match &mut self.packet {
            Packet::Segment { len, .. } => *len = n,
            Packet::Icmp { .. } => panic!("an ICMP error has no payload here"),
        }
        self
    }
    /// Its TCP checksum is wrong (see [`Craft::bad_checksum`]).
    pub fn bad_checksum(mut self) -> Rung {
        match &mut self.packet {
            Packet::Segment { bad_checksum, .. } => *bad_checksum = true,
            Packet::Icmp { .. } => panic!("only a segment's checksum is corrupted"),
        }
        self
    }
    /// Sent at `ms` milliseconds (default: when the rung before was).
    pub fn at_ms(mut self, ms: u64) -> Rung {
        self.ladder.ms = ms;
        self
    }
    /// The states of the client and the server after the segment.
    pub fn then(self, client: TcpState, server: TcpState) -> Ladder {
        let mut l = self.ladder;
        let row = match self.packet {
            Packet::Segment {
                c2s,
                f,
                seq,
                ack,
                len,
                bad_checksum,
            } => {
                l.craft = l.craft.seg(c2s, f, seq, ack, len, l.ms);
                if bad_checksum {
                    l.craft = l.craft.bad_checksum();
                }
                Row::Segment
            }
            Packet::Icmp {
                from,
                icmp_type,
                code,
            } => {
                l.craft = l.craft.icmp_about_last(from, icmp_type, code, l.ms);
                Row::Icmp
            }
        };
        l.rows.push((row, [client, server]));
        l
    }
}
