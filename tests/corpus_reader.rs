//! Capture reading and decoding checked against the third-party corpus in
//! `../shared/corpus` (see its SOURCES.md), with tshark (run at test time)
//! and the tcpdump `.out` baselines shipped with the corpus as oracles.
//!
//! These tests are `#[ignore]`d because they need the corpus and tshark; CI
//! runs them with `--include-ignored`. They fail loudly when either is
//! missing.

#[path = "corpus_reader/more.rs"]
mod more;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use tcpstate::capture::{
    Batch, CaptureError, CaptureErrorKind, CaptureReader, Format, FrameDesc, InterfaceInfo,
    LinkType, Next,
};
use tcpstate::decode::{ChecksumStatus, Decoded, Skip, TcpFlags, TcpSegment, decode};

fn corpus_dir() -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus"));
    assert!(
        dir.join("SOURCES.md").is_file(),
        "the capture corpus is missing: expected it at {} (these tests must not pass without it)",
        dir.display()
    );
    dir
}

fn corpus_file(name: &str) -> PathBuf {
    let path = corpus_dir().join(name);
    assert!(path.is_file(), "corpus file {} is missing", path.display());
    path
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Frame {
    desc: (u64, i64, u32, LinkType, u32, u32, u64),
    bytes: Vec<u8>,
}

impl Frame {
    fn new(batch: &Batch, f: &FrameDesc) -> Frame {
        Frame {
            desc: (
                f.number,
                f.ts_ns,
                f.interface,
                f.link_type,
                f.caplen,
                f.orig_len,
                f.file_offset,
            ),
            bytes: batch.frame_bytes(f).to_vec(),
        }
    }
    fn number(&self) -> u64 {
        self.desc.0
    }
    fn ts_ns(&self) -> i64 {
        self.desc.1
    }
    fn interface(&self) -> u32 {
        self.desc.2
    }
    fn link_type(&self) -> LinkType {
        self.desc.3
    }
    fn caplen(&self) -> u32 {
        self.desc.4
    }
    fn orig_len(&self) -> u32 {
        self.desc.5
    }
    fn decode(&self) -> Decoded {
        decode(self.link_type(), &self.bytes, self.orig_len(), true)
    }
}

struct Read {
    format: Format,
    interfaces: Vec<InterfaceInfo>,
    frames: Vec<Frame>,
    damage: Option<CaptureError>,
}

fn drain(mut r: CaptureReader, max_frames: usize) -> Read {
    let mut batch = Batch::new();
    let mut frames = Vec::new();
    let damage = loop {
        let next = r.next_batch(&mut batch, max_frames);
        frames.extend(batch.frames().iter().map(|f| Frame::new(&batch, f)));
        match next {
            Next::Frames => {}
            Next::End => break None,
            Next::Damaged(e) => break Some(e),
        }
    };
    Read {
        format: r.format(),
        interfaces: r.interfaces().to_vec(),
        frames,
        damage,
    }
}

/// Reads a corpus file memory-mapped, and again as a stream in small
/// batches; both must agree.
fn read_corpus(name: &str) -> Read {
    let path = corpus_file(name);
    let mapped = drain(
        CaptureReader::open(&path).unwrap_or_else(|e| panic!("{e}")),
        16384,
    );
    let file = std::fs::File::open(&path).unwrap();
    let streamed = drain(CaptureReader::from_read(name, Box::new(file)).unwrap(), 3);
    assert_eq!(
        mapped.frames, streamed.frames,
        "{name}: stream and map disagree"
    );
    assert_eq!(
        mapped
            .damage
            .as_ref()
            .map(|e| (e.frame, e.offset, e.kind.clone())),
        streamed
            .damage
            .as_ref()
            .map(|e| (e.frame, e.offset, e.kind.clone())),
        "{name}: stream and map report different damage"
    );
    mapped
}

const FIELDS: [&str; 21] = [
    "frame.number",
    "frame.time_epoch",
    "frame.interface_id",
    "frame.len",
    "frame.cap_len",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.len",
    "tcp.window_size_value",
    "tcp.hdr_len",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "tcp.checksum.status",
    "ip.checksum.status",
];

/// One frame as tshark sees it: every field's values (all occurrences).
struct Shark(Vec<Vec<String>>);

impl Shark {
    fn all(&self, field: &str) -> &[String] {
        let i = FIELDS
            .iter()
            .position(|f| *f == field)
            .expect("known field");
        &self.0[i]
    }
    fn first(&self, field: &str) -> Option<&str> {
        self.all(field).first().map(|s| s.as_str())
    }
    fn num(&self, field: &str) -> Option<u64> {
        self.first(field).map(|s| {
            if let Some(hex) = s.strip_prefix("0x") {
                u64::from_str_radix(hex, 16).unwrap()
            } else {
                s.parse().unwrap_or_else(|_| panic!("{field}={s}"))
            }
        })
    }
}

/// Runs tshark on a corpus file. Sequence numbers raw, checksums verified.
fn tshark(name: &str) -> Vec<Shark> {
    let path = corpus_file(name);
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(&path);
    for pref in [
        "tcp.relative_sequence_numbers:FALSE",
        "tcp.check_checksum:TRUE",
        "ip.check_checksum:TRUE",
    ] {
        cmd.args(["-o", pref]);
    }
    cmd.args([
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
    ]);
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("tshark is required for the corpus tests (CI installs it) but could not be run: {e}")
    });
    // tshark exits non-zero on damaged files after printing the good frames.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let cols: Vec<Vec<String>> = line
                .split('\t')
                .map(|c| {
                    if c.is_empty() {
                        vec![]
                    } else {
                        c.split('|').map(String::from).collect()
                    }
                })
                .collect();
            assert_eq!(
                cols.len(),
                FIELDS.len(),
                "{name}: unexpected tshark line {line:?}"
            );
            Shark(cols)
        })
        .collect()
}

/// "1362692526.869344000" (or negative) as integer nanoseconds.
fn epoch_ns(s: &str) -> i128 {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (secs, frac) = s.split_once('.').unwrap_or((s, ""));
    let mut frac = frac.to_string();
    assert!(frac.len() <= 9, "{s}");
    while frac.len() < 9 {
        frac.push('0');
    }
    let v = secs.parse::<i128>().unwrap() * 1_000_000_000 + frac.parse::<i128>().unwrap();
    if neg { -v } else { v }
}

fn checksum_of(tcp_status: Option<u64>, ip_status: Option<u64>) -> ChecksumStatus {
    // tshark: 0 = bad, 1 = good, 2 = unverified.
    if tcp_status == Some(0) || ip_status == Some(0) {
        ChecksumStatus::Bad
    } else if tcp_status == Some(1) {
        ChecksumStatus::Good
    } else {
        ChecksumStatus::Unverifiable
    }
}

/// Compares one of our TCP segments with tshark's view of the frame.
fn compare_segment(name: &str, n: u64, s: &TcpSegment, t: &Shark) {
    let ctx = |field: &str| format!("{name}: frame {n}: {field}");
    assert_eq!(
        Some(s.src_port as u64),
        t.num("tcp.srcport"),
        "{}",
        ctx("source port")
    );
    assert_eq!(
        Some(s.dst_port as u64),
        t.num("tcp.dstport"),
        "{}",
        ctx("destination port")
    );
    assert_eq!(
        Some(s.seq as u64),
        t.num("tcp.seq_raw"),
        "{}",
        ctx("sequence number")
    );
    assert_eq!(
        Some(s.ack as u64),
        t.num("tcp.ack_raw"),
        "{}",
        ctx("acknowledgment number")
    );
    assert_eq!(
        Some(s.flags.0 as u64),
        t.num("tcp.flags").map(|f| f & 0x1FF),
        "{}",
        ctx("flags")
    );
    assert_eq!(
        Some(s.payload_len as u64),
        t.num("tcp.len"),
        "{}",
        ctx("payload length")
    );
    assert_eq!(
        Some(s.window as u64),
        t.num("tcp.window_size_value"),
        "{}",
        ctx("window")
    );
    assert_eq!(
        Some(s.header_len as u64),
        t.num("tcp.hdr_len"),
        "{}",
        ctx("header length")
    );
    assert_eq!(
        s.options.mss.map(u64::from),
        t.num("tcp.options.mss_val"),
        "{}",
        ctx("MSS")
    );
    assert_eq!(
        s.options.window_scale.map(u64::from),
        t.num("tcp.options.wscale.shift"),
        "{}",
        ctx("window scale")
    );
    assert_eq!(
        s.options.timestamps.map(|(v, e)| (v as u64, e as u64)),
        t.num("tcp.options.timestamp.tsval")
            .zip(t.num("tcp.options.timestamp.tsecr")),
        "{}",
        ctx("timestamps")
    );
    let sack: Vec<(u64, u64)> = t
        .all("tcp.options.sack_le")
        .iter()
        .zip(t.all("tcp.options.sack_re"))
        .map(|(l, r)| (l.parse().unwrap(), r.parse().unwrap()))
        .collect();
    let ours: Vec<(u64, u64)> = s
        .options
        .sack()
        .iter()
        .map(|&(l, r)| (l as u64, r as u64))
        .collect();
    assert_eq!(ours, sack, "{}", ctx("SACK blocks"));
    assert_eq!(
        s.checksum,
        checksum_of(t.num("tcp.checksum.status"), t.num("ip.checksum.status")),
        "{}",
        ctx("checksum status")
    );
}

/// What a corpus file is expected to be, beyond agreeing with tshark.
struct Expect {
    format: Format,
    /// Link types of the frames (every one must appear).
    links: &'static [u32],
    /// Minimum number of TCP segments decoded.
    min_tcp: usize,
}

const PCAP_LE_US: Format = Format::Pcap {
    big_endian: false,
    nanosecond: false,
    modified: false,
};
const PCAP_BE_US: Format = Format::Pcap {
    big_endian: true,
    nanosecond: false,
    modified: false,
};
const PCAP_LE_NS: Format = Format::Pcap {
    big_endian: false,
    nanosecond: true,
    modified: false,
};
const PCAP_BE_NS: Format = Format::Pcap {
    big_endian: true,
    nanosecond: true,
    modified: false,
};

/// Reads a clean corpus file and checks every frame against tshark: frame
/// numbers, exact timestamps, lengths, interfaces, and for TCP frames every
/// header field, option and checksum verdict. Returns what was read.
fn check_against_tshark(name: &str, expect: &Expect) -> Read {
    let read = read_corpus(name);
    assert!(read.damage.is_none(), "{name}: {:?}", read.damage);
    assert_eq!(read.format, expect.format, "{name}: format");
    let shark = tshark(name);
    assert_eq!(
        read.frames.len(),
        shark.len(),
        "{name}: frame count (tshark says {})",
        shark.len()
    );
    let mut tcp = 0;
    for (f, t) in read.frames.iter().zip(&shark) {
        let n = f.number();
        assert_eq!(Some(n), t.num("frame.number"), "{name}: frame numbering");
        let tshark_ns = epoch_ns(t.first("frame.time_epoch").expect("timestamp"));
        // Timestamps beyond the i64 nanosecond range saturate.
        let expected_ns = tshark_ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        assert_eq!(f.ts_ns(), expected_ns, "{name}: frame {n}: timestamp");
        assert_eq!(
            Some(f.orig_len() as u64),
            t.num("frame.len"),
            "{name}: frame {n}: length"
        );
        assert_eq!(
            Some(f.caplen() as u64),
            t.num("frame.cap_len"),
            "{name}: frame {n}: captured"
        );
        if let Some(id) = t.num("frame.interface_id") {
            assert_eq!(f.interface() as u64, id, "{name}: frame {n}: interface");
        }
        match (
            f.decode(),
            t.first("tcp.srcport").is_some(),
            t.first("tcp.seq_raw").is_some(),
        ) {
            (Decoded::Tcp(s), true, true) => {
                compare_segment(name, n, &s, t);
                tcp += 1;
            }
            // tshark shows the ports of a TCP header that is cut short.
            (Decoded::Skipped(Skip::TruncatedTcpHeader), true, false) => {}
            (Decoded::Skipped(_), false, _) => {}
            (d, ..) => panic!(
                "{name}: frame {n}: we decoded {d:?}, tshark's TCP fields: {:?}",
                t.0
            ),
        }
    }
    assert!(tcp >= expect.min_tcp, "{name}: only {tcp} TCP segments");
    let links: BTreeSet<u32> = read.frames.iter().map(|f| f.link_type().0).collect();
    for l in expect.links {
        assert!(
            links.contains(l),
            "{name}: no frame of link type {l} (saw {links:?})"
        );
    }
    read
}

fn check(name: &str, format: Format, links: &'static [u32], min_tcp: usize) -> Read {
    check_against_tshark(
        name,
        &Expect {
            format,
            links,
            min_tcp,
        },
    )
}

// ---------------------------------------------------------------- formats

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcap_little_endian_microseconds() {
    check("zeek__http__get.pcap", PCAP_LE_US, &[1], 14);
    check(
        "pcapplusplus__three_http_streams.pcap",
        PCAP_LE_US,
        &[1],
        28,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcap_big_endian_microseconds() {
    check("tcpdump__pptp.pcap", PCAP_BE_US, &[1], 22);
    check(
        "zeek__smb__dssetup_DsRoleGetPrimaryDomainInformation_standalone_workstation.cap",
        PCAP_BE_US,
        &[1],
        9,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcap_nanoseconds_little_endian() {
    check("zeek__http__get-to-ssh-server.pcap", PCAP_LE_NS, &[1], 9);
    check("tcpdump__tcp-handshake-nano.pcap", PCAP_LE_NS, &[113], 3);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcap_nanoseconds_big_endian() {
    let r = check(
        "pcapplusplus__nanosecs_big_endian.pcap",
        PCAP_BE_NS,
        &[1],
        10,
    );
    assert!(
        r.frames.iter().any(|f| f.ts_ns() % 1000 != 0),
        "nanosecond digits expected"
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_modified_pcap() {
    let r = check(
        "pcap-parser__modified-format.pcap",
        Format::Pcap {
            big_endian: false,
            nanosecond: false,
            modified: true,
        },
        &[1],
        0,
    );
    assert_eq!(r.frames.len(), 1);
    assert_eq!(
        r.frames[0].desc.6, 24,
        "first record right after the file header"
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcapng_little_endian() {
    check(
        "pcap-parser__err-buffertoosmall.pcapng",
        Format::PcapNg,
        &[1],
        27,
    );
    check(
        "zeek__trunc__ip-discarder-truncated-tcp-oob.pcapng",
        Format::PcapNg,
        &[1],
        0,
    );
}
