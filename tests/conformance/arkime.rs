//! Arkime: the sessions Arkime's capture writes for a pcap (its test
//! harness output), against sessions computed here from our decoder's
//! segments with Arkime's rules: how it splits a 4-tuple into sessions and
//! segments, which side is the source, and how it counts TCP flags.
//!
//! Arkime's rules, as restated in the research notes (not Arkime code):
//! * one session per 4-tuple; the source is the first packet's sender,
//!   except that a session starting with a SYN,ACK takes the SYN,ACK's
//!   receiver as source;
//! * a SYN (no ACK) with a new sequence number starts a new session once the
//!   current one has seen a FIN or RST;
//! * timers are judged, before a packet is processed, against the previous
//!   packet's timestamp: a session idle for 480 s ends; a session older than
//!   480 s (since its start or last save) is saved as a segment and goes on
//!   with fresh counters (`segmentCnt` + 1); a closing session (an RST, or
//!   both FINs acknowledged) ends 5 s after;
//! * per packet: a zero window (not on an RST) counts `srcZero`/`dstZero`;
//!   URG/ECE/CWR/AE their own counter; a SYN counts `syn` or `syn-ack` and
//!   nothing else; then `rst`, `fin`, `ack` (only when ACK is the only one of
//!   FIN RST PSH SYN ACK), `psh`; bytes are whole captured frames.

use crate::common::{Difference, agreement, assert_listed, frames, read_corpus};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use tcpstate::decode::{Decoded, TcpFlags, TcpSegment};
use tcpstate::flow::FlowKey;

const ORACLES: &[(&str, &str)] = &[
    ("arkime__adb.pcap.adb.test", "arkime__adb.pcap"),
    (
        "arkime__http-empty-useragent.pcap.http-empty-useragent.test",
        "arkime__http-empty-useragent.pcap",
    ),
    (
        "arkime__http-syn-ack.pcap.http-syn-ack.test",
        "arkime__http-syn-ack.pcap",
    ),
    (
        "arkime__long-session.pcap.long-session.test",
        "arkime__long-session.pcap",
    ),
    ("arkime__nflog.pcap.nflog.test", "arkime__nflog.pcap"),
    (
        "arkime__no-syn-ack.pcap.no-syn-ack.test",
        "arkime__no-syn-ack.pcap",
    ),
    ("arkime__twovlan.pcap.twovlan.test", "arkime__twovlan.pcap"),
    ("arkime__v6-http.pcap.v6-http.test", "arkime__v6-http.pcap"),
];

const NS: i64 = 1_000_000_000;
const TCP_TIMEOUT: i64 = 480 * NS;
const TCP_SAVE_TIMEOUT: i64 = 480 * NS;
const TCP_CLOSING_TIMEOUT: i64 = 5 * NS;

const FLAG_KEYS: [&str; 12] = [
    "syn", "syn-ack", "ack", "psh", "fin", "rst", "urg", "ece", "cwr", "ae", "srcZero", "dstZero",
];

/// One session record (a whole session or one saved segment of it).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Record {
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    segment: u64,
    packets: [u64; 2],
    bytes: [u64; 2],
    flags: BTreeMap<String, u64>,
}

#[derive(Clone, Debug)]
struct Session {
    rec: Record,
    last_ts: i64,
    save_from: i64,
    syn_seq: Option<u32>,
    saw_fin_or_rst: bool,
    /// Sequence number of each side's FIN (0: source), and whether acked.
    fin: [Option<u32>; 2],
    fin_acked: [bool; 2],
    closing_at: Option<i64>,
}

impl Session {
    fn new(seg: &TcpSegment, ts: i64) -> Session {
        let from = (seg.src, seg.src_port);
        let to = (seg.dst, seg.dst_port);
        let synack = seg.flags.contains(TcpFlags::SYN | TcpFlags::ACK);
        let (src, dst) = if synack { (to, from) } else { (from, to) };
        Session {
            rec: Record {
                src,
                dst,
                segment: 1,
                packets: [0; 2],
                bytes: [0; 2],
                flags: FLAG_KEYS.iter().map(|k| (k.to_string(), 0)).collect(),
            },
            last_ts: ts,
            save_from: ts,
            syn_seq: None,
            saw_fin_or_rst: false,
            fin: [None; 2],
            fin_acked: [false; 2],
            closing_at: None,
        }
    }

    fn count(&mut self, seg: &TcpSegment, caplen: u32, ts: i64) {
        let d = usize::from((seg.src, seg.src_port) != self.rec.src);
        self.rec.packets[d] += 1;
        self.rec.bytes[d] += u64::from(caplen);
        self.last_ts = ts;
        let f = seg.flags;
        let mut bump = |k: &str| *self.rec.flags.get_mut(k).expect("flag key") += 1;
        if seg.window == 0 && !f.contains(TcpFlags::RST) {
            bump(if d == 0 { "srcZero" } else { "dstZero" });
        }
        for (bit, k) in [
            (TcpFlags::URG, "urg"),
            (TcpFlags::ECE, "ece"),
            (TcpFlags::CWR, "cwr"),
            (TcpFlags::AE, "ae"),
        ] {
            if f.contains(bit) {
                bump(k);
            }
        }
        if f.contains(TcpFlags::SYN) {
            if f.contains(TcpFlags::ACK) {
                bump("syn-ack");
            } else {
                bump("syn");
                self.syn_seq = Some(seg.seq);
            }
            return;
        }
        if f.contains(TcpFlags::RST) {
            bump("rst");
            self.saw_fin_or_rst = true;
            self.closing_at.get_or_insert(ts);
        }
        if f.contains(TcpFlags::FIN) {
            bump("fin");
            self.saw_fin_or_rst = true;
            self.fin[d] = Some(seg.seq.wrapping_add(seg.payload_len));
        }
        let main = TcpFlags::FIN | TcpFlags::RST | TcpFlags::PSH | TcpFlags::SYN | TcpFlags::ACK;
        if f & main == TcpFlags::ACK {
            bump("ack");
        }
        if f.contains(TcpFlags::PSH) {
            bump("psh");
        }
        // Both FINs acknowledged: the session closes.
        if f.contains(TcpFlags::ACK) {
            if let Some(fs) = self.fin[1 - d] {
                if seg.ack.wrapping_sub(fs) as i32 > 0 {
                    self.fin_acked[1 - d] = true;
                }
            }
        }
        if self.fin_acked == [true, true] {
            self.closing_at.get_or_insert(ts);
        }
    }
}

/// Arkime's sessions for the TCP segments of a capture.
fn sessions(capture: &str) -> Vec<Record> {
    let mut out = Vec::new();
    let mut live: HashMap<FlowKey, Session> = HashMap::new();
    let mut clock: Option<i64> = None;
    for f in frames(capture) {
        let prev = clock.replace(f.ts_ns).unwrap_or(f.ts_ns);
        let Decoded::Tcp(seg) = f.decoded else {
            continue;
        };
        let key = FlowKey::of(&seg);
        if let Some(s) = live.get_mut(&key) {
            let ended = s
                .closing_at
                .is_some_and(|t| prev >= t + TCP_CLOSING_TIMEOUT)
                || prev - s.last_ts >= TCP_TIMEOUT;
            let f = seg.flags;
            let reused = f.contains(TcpFlags::SYN)
                && !f.contains(TcpFlags::ACK)
                && s.saw_fin_or_rst
                && s.syn_seq != Some(seg.seq);
            if ended || reused {
                out.push(live.remove(&key).expect("live").rec);
            } else if prev - s.save_from >= TCP_SAVE_TIMEOUT {
                // Saved as a segment; goes on with fresh counters.
                out.push(s.rec.clone());
                s.rec.segment += 1;
                s.rec.packets = [0; 2];
                s.rec.bytes = [0; 2];
                s.rec.flags.values_mut().for_each(|v| *v = 0);
                s.save_from = prev;
            }
        }
        live.entry(key)
            .or_insert_with(|| Session::new(&seg, f.ts_ns))
            .count(&seg, f.caplen, f.ts_ns);
    }
    out.extend(live.into_values().map(|s| s.rec));
    out
}

fn endpoint(v: &serde_json::Value) -> (IpAddr, u16) {
    (
        v["ip"].as_str().expect("ip").parse().expect("an address"),
        v["port"].as_u64().expect("port") as u16,
    )
}

/// The TCP sessions of an Arkime test file.
fn oracle(name: &str) -> Vec<Record> {
    let v: serde_json::Value = serde_json::from_str(&read_corpus(name)).expect("JSON");
    v["sessions3"]
        .as_array()
        .expect("sessions3")
        .iter()
        .map(|s| &s["body"])
        .filter(|b| b["ipProtocol"].as_u64() == Some(6))
        .map(|b| Record {
            src: endpoint(&b["source"]),
            dst: endpoint(&b["destination"]),
            segment: b["segmentCnt"].as_u64().unwrap_or(1),
            packets: [
                b["source"]["packets"].as_u64().expect("packets"),
                b["destination"]["packets"].as_u64().expect("packets"),
            ],
            bytes: [
                b["source"]["bytes"].as_u64().expect("bytes"),
                b["destination"]["bytes"].as_u64().expect("bytes"),
            ],
            flags: FLAG_KEYS
                .iter()
                .map(|k| (k.to_string(), b["tcpflags"][*k].as_u64().unwrap_or(0)))
                .collect(),
        })
        .collect()
}

#[test]
#[ignore = "needs the capture corpus"]
fn arkime_sessions() {
    let mut diffs = Vec::new();
    let (mut matched, mut total) = (0, 0);
    for &(name, capture) in ORACLES {
        let expected = oracle(name);
        let mut got = sessions(capture);
        for e in &expected {
            total += 1;
            let label = format!(
                "{capture} {}:{} > {}:{} segment {}",
                e.src.0, e.src.1, e.dst.0, e.dst.1, e.segment
            );
            let Some(i) = got
                .iter()
                .position(|g| (g.src, g.dst, g.segment) == (e.src, e.dst, e.segment))
            else {
                diffs.push(Difference::new(
                    format!("{label} session"),
                    "none",
                    "a session",
                ));
                continue;
            };
            let g = got.remove(i);
            let mut same = true;
            let mut cmp = |what: &str, ours: String, theirs: String| {
                if ours != theirs {
                    same = false;
                    diffs.push(Difference::new(format!("{label} {what}"), ours, theirs));
                }
            };
            cmp(
                "packets",
                format!("{:?}", g.packets),
                format!("{:?}", e.packets),
            );
            cmp("bytes", format!("{:?}", g.bytes), format!("{:?}", e.bytes));
            for k in FLAG_KEYS {
                cmp(
                    &format!("tcpflags.{k}"),
                    g.flags[k].to_string(),
                    e.flags[k].to_string(),
                );
            }
            matched += usize::from(same);
        }
        for g in got {
            diffs.push(Difference::new(
                format!(
                    "{capture} {}:{} > {}:{} segment {} session",
                    g.src.0, g.src.1, g.dst.0, g.dst.1, g.segment
                ),
                "a session",
                "none",
            ));
        }
    }
    agreement(
        "Arkime",
        "sessions (split, packets, bytes, tcpflags)",
        matched,
        total,
    );
    assert_listed("Arkime", &diffs);
}
