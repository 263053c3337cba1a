//! Capture reading and decoding checked against the third-party corpus in
//! `../shared/corpus` (see its SOURCES.md), with tshark (run at test time)
//! and the tcpdump `.out` baselines shipped with the corpus as oracles.
//!
//! These tests are `#[ignore]`d because they need the corpus and tshark; CI
//! runs them with `--include-ignored`. They fail loudly when either is
//! missing.

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

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcapng_big_endian() {
    let r = check("pcap-parser__test001-be.pcapng", Format::PcapNg, &[1], 0);
    assert_eq!(r.frames.len(), 4);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcapng_with_several_interfaces() {
    let r = check(
        "zeek__pcapng-multi-interface.pcapng",
        Format::PcapNg,
        &[1],
        0,
    );
    assert_eq!(r.interfaces.len(), 2);
    let r = check(
        "pcapplusplus__many_interfaces-1.pcapng",
        Format::PcapNg,
        &[1, 0],
        1,
    );
    assert_eq!(r.interfaces.len(), 11);
    let links: BTreeSet<u32> = r.interfaces.iter().map(|i| i.link_type.0).collect();
    assert_eq!(links, BTreeSet::from([0, 1, 12]));
    // Interface 1 has a timestamp far beyond 2262: it saturates (tshark
    // shows 18446744073204.126329 s, which no i64 of nanoseconds can hold).
    let r = check(
        "pcapplusplus__pcapng-example.pcapng",
        Format::PcapNg,
        &[1, 113],
        50,
    );
    assert!(
        r.frames
            .iter()
            .any(|f| f.interface() == 1 && f.ts_ns() == i64::MAX)
    );
    let r = check(
        "zeek__ldap__gap-data-missing.pcapng",
        Format::PcapNg,
        &[1],
        10,
    );
    assert!(
        r.interfaces.len() > 100,
        "{} interfaces",
        r.interfaces.len()
    );
}

// ---------------------------------------------------------------- link types

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_linux_cooked_v1() {
    check("zeek__tls__irc-starttls.pcap", PCAP_LE_US, &[113], 20);
    check("tcpdump__resp_1_benchmark.pcap", PCAP_LE_US, &[113], 150);
    check(
        "suricata-verify__issue-3341-tcphdr-01__urgent11_cve_2019_12260.pcap",
        PCAP_LE_US,
        &[113],
        8,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_linux_cooked_v2() {
    check("pcapplusplus__sll2.pcap", PCAP_LE_US, &[276], 3);
    check(
        "suricata-verify__decode-sll2-01__input.pcap",
        PCAP_LE_US,
        &[276],
        5,
    );
    check(
        "zeek__tls__openjdk-25.0.2-zeek.org.pcap",
        PCAP_LE_US,
        &[276],
        6,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ip_101() {
    check("pcapplusplus__raw_ip.pcap", PCAP_LE_US, &[101], 92);
    check("tcpdump__mptcp-tcprst.pcap", PCAP_LE_US, &[101], 2);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ip_12_carrying_ipv6() {
    let r = check(
        "pcapplusplus__four_ipv6_http_streams.pcap",
        PCAP_LE_US,
        &[12],
        81,
    );
    assert!(
        r.frames
            .iter()
            .all(|f| matches!(f.decode(), Decoded::Tcp(s) if s.src.is_ipv6()))
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ipv4_228() {
    check(
        "zeek__http__261__variant-04-te_cl_desync.pcap",
        PCAP_LE_US,
        &[228],
        8,
    );
    check("arkime__adb.pcap", PCAP_LE_US, &[228], 13);
    check("tcpdump__scps_invalid.pcap", PCAP_LE_US, &[228], 2);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ipv6_229() {
    check("pcapplusplus__linktype_ipv6.pcap", PCAP_LE_US, &[229], 1);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_bsd_null_loopback() {
    check("zeek__tls__pop3-starttls.pcap", PCAP_LE_US, &[0], 33);
    check("arkime__http-empty-useragent.pcap", PCAP_LE_US, &[0], 16);
    check("pcapplusplus__null_loopback.pcap", PCAP_LE_US, &[0], 1);
    check("tcpdump__tcp_rst_diag_payload.pcap", PCAP_LE_US, &[0], 1);
    check(
        "zeek__redis__start-with-server.pcapng",
        Format::PcapNg,
        &[0],
        6,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_nflog() {
    check("arkime__nflog.pcap", PCAP_LE_US, &[239], 10);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_802_1q_vlan() {
    check("zeek__http-vlan-0.pcap", PCAP_LE_US, &[1], 14);
    check("suricata-verify__bug-814__input.pcap", PCAP_LE_US, &[1], 7);
    check(
        "suricata-verify__bug-4376__syn_retransmit_with_ts.pcap",
        PCAP_LE_US,
        &[1],
        254,
    );
    check("arkime__no-syn-ack.pcap", PCAP_LE_US, &[1], 10);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_qinq_double_tag() {
    check("arkime__twovlan.pcap", PCAP_LE_US, &[1], 6);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_mpls_and_vlan_mixed() {
    check("zeek__mixed-vlan-mpls.pcap", PCAP_LE_US, &[1], 47);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pppoe_in_double_vlan() {
    check(
        "pcapplusplus__one_http_stream_rst.pcap",
        PCAP_LE_US,
        &[1],
        10,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_ipv6() {
    check("zeek__ftp__ipv6.pcap", PCAP_LE_US, &[1], 136);
    check(
        "suricata-verify__community-id-ipv6__input.pcap",
        PCAP_LE_US,
        &[1],
        70,
    );
    check("arkime__v6-http.pcap", PCAP_LE_US, &[1], 10);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_ethernet_padding_is_not_payload() {
    let r = check("zeek__tcp-http-with-padding.pcap", PCAP_LE_US, &[1], 25);
    // Some frames are longer than their datagrams; payload lengths were
    // checked against tshark above.
    assert!(r.frames.iter().any(|f| match f.decode() {
        Decoded::Tcp(s) => f.caplen() as usize > 14 + s.ip_len as usize,
        _ => false,
    }));
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_bad_checksum_is_reported() {
    let r = check("zeek__tcp__syn-bad.pcap", PCAP_LE_US, &[1], 1);
    assert!(matches!(r.frames[0].decode(), Decoded::Tcp(s) if s.checksum == ChecksumStatus::Bad));
}

/// Every capture of the corpus, whatever its format, agrees with tshark
/// (the damaged ones up to their damage).
#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_every_capture_agrees_with_tshark_frame_by_frame() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".cap"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 70,
        "only {} captures in the corpus",
        names.len()
    );
    for name in &names {
        let read = read_corpus(name);
        let shark = tshark(name);
        // tshark reads a second frame of the fuzzed file through its
        // heuristics for non-standard pcap variants; we stop at the damage
        // (see corpus_damaged_files_deliver_the_frames_before_the_damage).
        let comparable = if name.contains("bug-6875-01") {
            1
        } else {
            shark.len()
        };
        assert_eq!(read.frames.len(), comparable, "{name}: frame count");
        for (f, t) in read.frames.iter().zip(&shark) {
            let n = f.number();
            assert_eq!(Some(n), t.num("frame.number"), "{name}");
            let tshark_ns = epoch_ns(t.first("frame.time_epoch").unwrap());
            assert_eq!(
                f.ts_ns(),
                tshark_ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                "{name}: frame {n}: timestamp"
            );
            match (f.decode(), t.first("tcp.seq_raw").is_some()) {
                (Decoded::Tcp(s), true) => compare_segment(name, n, &s, t),
                (Decoded::Skipped(_), false) => {}
                (d, _) => panic!("{name}: frame {n}: {d:?} vs tshark {:?}", t.0),
            }
        }
    }
}

// ---------------------------------------------------------------- damage

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_damaged_files_deliver_the_frames_before_the_damage() {
    // A garbage record header (caplen 4325376) after 6 good records.
    let r = read_corpus("suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap");
    assert_eq!(r.frames.len(), 6);
    let e = r.damage.expect("damage expected");
    assert_eq!((e.frame, e.offset), (Some(7), 5035));
    assert_eq!(
        e.kind,
        CaptureErrorKind::Corrupt(
            "record claims 4325376 captured bytes, more than the 262144-byte maximum".into()
        )
    );
    let shark = tshark("suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap");
    assert_eq!(shark.len(), 6, "tshark also stops after 6 frames");

    // A fuzzed file: one good record, then a header claiming ~1.4 GB.
    let r = read_corpus("suricata-verify__bug-6875-01__fuzz.pcap");
    assert_eq!(r.frames.len(), 1);
    let e = r.damage.expect("damage expected");
    assert_eq!((e.frame, e.offset), (Some(2), 228));
    assert!(
        e.to_string()
            .contains("record claims 1409179648 captured bytes"),
        "{e}"
    );

    // caplen 8 > snaplen 1: tolerated, one frame; its Ethernet header is cut.
    let r = read_corpus("zeek__trunc__trunc-hdr.pcap");
    assert!(r.damage.is_none());
    assert_eq!(r.frames.len(), 1);
    assert_eq!(r.frames[0].caplen(), 8);
    assert_eq!(r.frames[0].decode(), Decoded::Skipped(Skip::Malformed));

    // A valid header and no packets.
    let r = read_corpus("zeek__empty.pcap");
    assert!(r.damage.is_none() && r.frames.is_empty());
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_truncated_tcp_headers_are_skipped() {
    let r = read_corpus("tcpdump__tcp_header_heapoverflow.pcap");
    assert_eq!(r.frames.len(), 1);
    assert_eq!(
        r.frames[0].decode(),
        Decoded::Skipped(Skip::TruncatedTcpHeader)
    );
}

// ---------------------------------------------------------------- tcpdump baselines

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// "HH:MM:SS.fraction" as nanoseconds since midnight.
fn time_of_day_ns(t: &str) -> i64 {
    let mut parts = t.split(':');
    let h: i64 = parts.next().unwrap().parse().unwrap();
    let m: i64 = parts.next().unwrap().parse().unwrap();
    let s = epoch_ns(parts.next().unwrap()) as i64;
    (h * 3600 + m * 60) * 1_000_000_000 + s
}

/// What one tcpdump line says about a TCP packet.
#[derive(Debug, Default)]
struct Dump {
    number: u64,
    /// The line is about a TCP segment.
    tcp: bool,
    /// Full epoch ns (-tttt) or ns since midnight (time-of-day formats).
    ts_ns: i64,
    time_of_day_only: bool,
    ports: Option<(u16, u16)>,
    flags: Option<TcpFlags>,
    window: Option<u16>,
    length: Option<u32>,
    mss: Option<u16>,
    wscale: Option<u8>,
    sack_ok: bool,
    ts: Option<(u32, u32)>,
}

fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.find(key).map(|i| &line[i + key.len()..])
}

fn leading_number<T: std::str::FromStr>(s: &str) -> Option<T> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

fn parse_tcpdump(text: &str) -> Vec<Dump> {
    let mut out = Vec::new();
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(number) = tokens.first().and_then(|t| t.parse::<u64>().ok()) else {
            continue; // continuation line
        };
        let mut d = Dump {
            number,
            ..Default::default()
        };
        d.tcp = line.contains("Flags [") || line.contains(": tcp ");
        let rest_at;
        if tokens[1].contains('-') {
            let mut ymd = tokens[1].split('-').map(|x| x.parse::<i64>().unwrap());
            let (y, m, day) = (
                ymd.next().unwrap(),
                ymd.next().unwrap(),
                ymd.next().unwrap(),
            );
            d.ts_ns = days_from_civil(y, m, day) * 86_400_000_000_000 + time_of_day_ns(tokens[2]);
            rest_at = 3;
        } else {
            d.ts_ns = time_of_day_ns(tokens[1]);
            d.time_of_day_only = true;
            rest_at = 2;
        }
        if tokens.get(rest_at) == Some(&"IP") || tokens.get(rest_at) == Some(&"IP6") {
            if let (Some(src), Some(dst)) = (tokens.get(rest_at + 1), tokens.get(rest_at + 3)) {
                let port = |a: &str| {
                    a.trim_end_matches(':')
                        .rsplit('.')
                        .next()
                        .and_then(|p| p.parse().ok())
                };
                if let (Some(s), Some(t)) = (port(src), port(dst)) {
                    d.ports = Some((s, t));
                }
            }
        }
        if let Some(f) = after(line, "Flags [") {
            let letters = &f[..f.find(']').unwrap()];
            let mut flags = TcpFlags::default();
            if letters != "none" {
                for c in letters.chars() {
                    flags |= match c {
                        'S' => TcpFlags::SYN,
                        'F' => TcpFlags::FIN,
                        'R' => TcpFlags::RST,
                        'P' => TcpFlags::PSH,
                        'U' => TcpFlags::URG,
                        'E' => TcpFlags::ECE,
                        'W' => TcpFlags::CWR,
                        'e' => TcpFlags::AE,
                        '.' => TcpFlags::ACK,
                        other => panic!("tcpdump flag letter {other:?}"),
                    };
                }
            }
            d.flags = Some(flags);
        }
        d.window = after(line, ", win ").and_then(leading_number);
        d.length = after(line, ", length ")
            .or_else(|| after(line, ": tcp "))
            .and_then(leading_number);
        if let Some(opts) = after(line, "options [") {
            let opts = &opts[..opts.find(']').unwrap_or(opts.len())];
            d.mss = after(opts, "mss ").and_then(leading_number);
            d.wscale = after(opts, "wscale ").and_then(leading_number);
            d.sack_ok = opts.contains("sackOK");
            if let Some(ts) = after(opts, "TS val ") {
                let val = leading_number(ts).unwrap();
                let ecr = after(ts, "ecr ").and_then(leading_number).unwrap();
                d.ts = Some((val, ecr));
            }
        }
        out.push(d);
    }
    out
}

#[test]
#[ignore = "needs the capture corpus"]
fn corpus_frames_agree_with_the_tcpdump_baselines() {
    let dir = corpus_dir();
    let mut outs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with("tcpdump__") && n.ends_with(".out")
        })
        .collect();
    outs.sort();
    assert!(outs.len() >= 9, "tcpdump baselines missing: {outs:?}");
    let mut checked_segments = 0;
    for out in outs {
        let file = out.file_name().unwrap().to_str().unwrap();
        let capture = &file[..file.find(".pcap").unwrap() + 5];
        let dumps = parse_tcpdump(&std::fs::read_to_string(&out).unwrap());
        let read = read_corpus(capture);
        assert!(read.damage.is_none(), "{capture}");
        assert_eq!(
            read.frames.len(),
            dumps.len(),
            "{capture}: frame count vs {file}"
        );
        for (f, d) in read.frames.iter().zip(&dumps) {
            let n = f.number();
            assert_eq!(n, d.number, "{capture}");
            let ts = if d.time_of_day_only {
                f.ts_ns().rem_euclid(86_400_000_000_000)
            } else {
                f.ts_ns()
            };
            assert_eq!(ts, d.ts_ns, "{capture}: frame {n}: timestamp");
            let s = match f.decode() {
                Decoded::Tcp(s) if d.tcp => s,
                Decoded::Skipped(Skip::TruncatedTcpHeader) if line_is_cut(&out, n) => continue,
                Decoded::Skipped(_) if !d.tcp => continue,
                other => panic!("{capture}: frame {n}: {other:?}, tcpdump: {d:?}"),
            };
            checked_segments += 1;
            if let Some(p) = d.ports {
                assert_eq!((s.src_port, s.dst_port), p, "{capture}: frame {n}: ports");
            }
            if let Some(flags) = d.flags {
                assert_eq!(s.flags, flags, "{capture}: frame {n}: flags");
            }
            if let Some(w) = d.window {
                assert_eq!(s.window, w, "{capture}: frame {n}: window");
            }
            if let Some(l) = d.length {
                assert_eq!(s.payload_len, l, "{capture}: frame {n}: length");
            }
            if d.flags.is_some() {
                // Full (not -q) lines list every option tcpdump decoded.
                assert_eq!(s.options.mss, d.mss, "{capture}: frame {n}: mss");
                assert_eq!(
                    s.options.window_scale, d.wscale,
                    "{capture}: frame {n}: wscale"
                );
                assert_eq!(
                    s.options.sack_permitted, d.sack_ok,
                    "{capture}: frame {n}: sackOK"
                );
                assert_eq!(s.options.timestamps, d.ts, "{capture}: frame {n}: TS");
            }
        }
    }
    assert!(
        checked_segments > 190,
        "{checked_segments} segments checked"
    );
}

/// The baseline shows `[|tcp]` for this frame (a cut TCP header).
fn line_is_cut(out: &PathBuf, number: u64) -> bool {
    let text = std::fs::read_to_string(out).unwrap();
    let mut in_frame = false;
    for line in text.lines() {
        if let Some(n) = line
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
        {
            in_frame = n == number;
        }
        if in_frame && line.contains("[|tcp]") {
            return true;
        }
    }
    false
}
