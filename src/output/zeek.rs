//! `--format zeek`: the summary as a Zeek `conn.log` (Zeek's ASCII log
//! format, tab-separated), readable by `zeek-cut` and by tools that load
//! conn.log.
//!
//! One log per capture: the header (`#separator`, `#set_separator`,
//! `#empty_field`, `#unset_field`, `#path conn`, `#open`, `#fields`,
//! `#types`), one row per Zeek connection, then `#close`. The columns are
//! those of Zeek 7/8's conn.log: `ts uid id.orig_h id.orig_p id.resp_h
//! id.resp_p proto service duration orig_bytes resp_bytes conn_state
//! local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes
//! resp_pkts resp_ip_bytes tunnel_parents ip_proto`.
//!
//! The values are Zeek's ([`crate::zeek`]): its originator and responder,
//! its connection splitting (one of our connections can be several rows),
//! sequence-space byte counts. Like Zeek, `duration`, `orig_bytes` and
//! `resp_bytes` are unset (`-`) when the duration is zero, and `history` when
//! empty. What Zeek learns from protocol analysis is not reproduced:
//! `service` is always unset. `local_orig`/`local_resp` follow Zeek's default
//! (private address space is local). Rows come in the order connections
//! finish (Zeek's is its removal order; neither is sorted by `ts`).
//!
//! Deterministic output: `uid` is `C` followed by the base-62 form of a
//! 96-bit FNV-1a hash of the row's start time, 4-tuple, stream number and
//! place among the stream's rows, so the same capture always gives the same
//! uids; `#open` and `#close` are the capture's first and last packet times
//! (UTC), not the time of the run.

use crate::engine::ConnectionRecord;
use crate::zeek::ZeekRecord;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};

const FIELDS: [(&str, &str); 22] = [
    ("ts", "time"),
    ("uid", "string"),
    ("id.orig_h", "addr"),
    ("id.orig_p", "port"),
    ("id.resp_h", "addr"),
    ("id.resp_p", "port"),
    ("proto", "enum"),
    ("service", "string"),
    ("duration", "interval"),
    ("orig_bytes", "count"),
    ("resp_bytes", "count"),
    ("conn_state", "string"),
    ("local_orig", "bool"),
    ("local_resp", "bool"),
    ("missed_bytes", "count"),
    ("history", "string"),
    ("orig_pkts", "count"),
    ("orig_ip_bytes", "count"),
    ("resp_pkts", "count"),
    ("resp_ip_bytes", "count"),
    ("tunnel_parents", "set[string]"),
    ("ip_proto", "count"),
];

/// Zeek's `#open`/`#close` time format, UTC.
fn log_time(ns: i64) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(t) => t.strftime("%Y-%m-%d-%H-%M-%S").to_string(),
        Err(_) => "1970-01-01-00-00-00".to_string(),
    }
}

/// The header, up to `#types`. `open_ns`: the capture's first timestamp.
pub fn header(out: &mut Vec<u8>, open_ns: i64) {
    out.extend_from_slice(b"#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n");
    out.extend_from_slice(b"#unset_field\t-\n#path\tconn\n");
    let _ = writeln!(out, "#open\t{}", log_time(open_ns));
    out.extend_from_slice(b"#fields");
    for (name, _) in FIELDS {
        out.push(b'\t');
        out.extend_from_slice(name.as_bytes());
    }
    out.extend_from_slice(b"\n#types");
    for (_, ty) in FIELDS {
        out.push(b'\t');
        out.extend_from_slice(ty.as_bytes());
    }
    out.push(b'\n');
}

/// The closing line. `close_ns`: the capture's last timestamp.
pub fn footer(out: &mut Vec<u8>, close_ns: i64) {
    let _ = writeln!(out, "#close\t{}", log_time(close_ns));
}

/// Seconds with six decimals (Zeek's `%.6f`), rounded from nanoseconds.
fn secs6(out: &mut Vec<u8>, ns: i64) {
    let us = if ns >= 0 {
        (i128::from(ns) + 500) / 1000
    } else {
        (i128::from(ns) - 500) / 1000
    };
    if us < 0 {
        out.push(b'-');
    }
    let us = us.unsigned_abs();
    out.extend_from_slice(itoa::Buffer::new().format(us / 1_000_000).as_bytes());
    out.extend_from_slice(&super::fraction::<7>((us % 1_000_000) as u32));
}

fn count(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.push(if b { b'T' } else { b'F' });
}

/// Every row of one connection.
pub fn rows(out: &mut Vec<u8>, r: &ConnectionRecord) {
    for (i, z) in r.zeek.iter().enumerate() {
        row(out, z, &uid(z, r.stream, i as u64));
    }
}

/// One conn.log row.
pub fn row(out: &mut Vec<u8>, z: &ZeekRecord, uid: &str) {
    let (oh, op) = z.orig;
    let (rh, rp) = z.resp;
    secs6(out, z.start_ns);
    let _ = write!(out, "\t{uid}\t{oh}\t{op}\t{rh}\t{rp}\ttcp\t-\t");
    let duration = z.duration_ns;
    if duration > 0 {
        secs6(out, duration);
        out.push(b'\t');
        count(out, z.orig_bytes);
        out.push(b'\t');
        count(out, z.resp_bytes);
    } else {
        out.extend_from_slice(b"-\t-\t-");
    }
    let _ = write!(out, "\t{}\t", z.conn_state.name());
    boolean(out, is_local(oh));
    out.push(b'\t');
    boolean(out, is_local(rh));
    out.push(b'\t');
    count(out, z.missed_bytes);
    out.push(b'\t');
    if z.history.is_empty() {
        out.push(b'-');
    } else {
        out.extend_from_slice(z.history.as_bytes());
    }
    let (op, ob) = z.orig_packets;
    let (rp, rb) = z.resp_packets;
    for n in [op, ob, rp, rb] {
        out.push(b'\t');
        count(out, n);
    }
    out.extend_from_slice(b"\t-\t6\n");
}

/// The row's uid: `C` and 96 bits of FNV-1a over what identifies it.
pub fn uid(z: &ZeekRecord, stream: u64, index: u64) -> String {
    let mut key = Vec::with_capacity(64);
    let (oh, op) = z.orig;
    let (rh, rp) = z.resp;
    for (ip, port) in [(oh, op), (rh, rp)] {
        match ip {
            IpAddr::V4(a) => key.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => key.extend_from_slice(&a.octets()),
        }
        key.extend_from_slice(&port.to_be_bytes());
    }
    key.extend_from_slice(&z.start_ns.to_be_bytes());
    key.extend_from_slice(&stream.to_be_bytes());
    key.extend_from_slice(&index.to_be_bytes());
    let fnv = |seed: u64| {
        key.iter().fold(seed, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x8422_2325_cbf2_9ce4);
    let mut v = (u128::from(hi) << 32) | u128::from(lo >> 32);
    const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut s = Vec::with_capacity(18);
    while v > 0 {
        s.push(DIGITS[(v % 62) as usize]);
        v /= 62;
    }
    s.push(b'C');
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

/// Zeek's default `Site::is_local_addr`: the private address space
/// (`Site::private_address_space_is_local`), IPv6 6to4 images included.
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => local_v4(a),
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return local_v4(v4);
            }
            let s = a.segments();
            let o = a.octets();
            let in_prefix = |p: [u16; 8], bits: u32| {
                let x = u128::from(a);
                let y = u128::from(std::net::Ipv6Addr::from(p));
                bits == 0 || (x ^ y) >> (128 - bits) == 0
            };
            if s[0] == 0x2002 {
                // 6to4: the embedded IPv4 address.
                return local_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
            }
            in_prefix([0; 8], 128)
                || in_prefix([0, 0, 0, 0, 0, 0, 0, 1], 128)
                || in_prefix([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48)
                || in_prefix([0x100, 0, 0, 0, 0, 0, 0, 0], 64)
                || in_prefix([0x2001, 0, 0, 0, 0, 0, 0, 0], 23)
                || in_prefix([0x2001, 2, 0, 0, 0, 0, 0, 0], 48)
                || in_prefix([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32)
                || in_prefix([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7)
                || in_prefix([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10)
                || in_prefix([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10)
        }
    }
}

fn local_v4(a: Ipv4Addr) -> bool {
    const NETS: [([u8; 4], u32); 16] = [
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([100, 64, 0, 0], 10),
        ([127, 0, 0, 0], 8),
        ([169, 254, 0, 0], 16),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 24),
        ([192, 0, 2, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([224, 0, 0, 0], 24),
        ([239, 0, 0, 0], 8),
        ([240, 0, 0, 0], 4),
        ([255, 255, 255, 255], 32),
    ];
    let x = u32::from(a);
    NETS.iter()
        .any(|&(net, bits)| (x ^ u32::from(Ipv4Addr::from(net))) >> (32 - bits) == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_local() {
        for a in ["10.1.2.3", "192.168.4.149", "172.31.0.1", "127.0.0.1"] {
            assert!(is_local(a.parse().unwrap()), "{a}");
        }
        for a in ["141.42.64.125", "8.8.8.8", "172.32.0.1", "192.169.0.1"] {
            assert!(!is_local(a.parse().unwrap()), "{a}");
        }
        assert!(is_local("fe80::1".parse().unwrap()));
        assert!(is_local("::1".parse().unwrap()));
        assert!(
            is_local("2002:c0a8:0101::1".parse().unwrap()),
            "6to4 of 192.168.1.1"
        );
        assert!(!is_local("2001:470:4867:99::21".parse().unwrap()));
        assert!(!is_local("2001:4860:4860::8888".parse().unwrap()));
    }

    #[test]
    fn times_have_six_decimals_rounded() {
        let f = |ns| {
            let mut v = Vec::new();
            secs6(&mut v, ns);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(f(1_258_535_653_624_211_000), "1258535653.624211");
        assert_eq!(f(1_500), "0.000002");
        assert_eq!(f(1_499), "0.000001");
        assert_eq!(f(0), "0.000000");
        assert_eq!(f(-1_500), "-0.000002");
        assert_eq!(f(i64::MAX), "9223372036.854776");
        assert_eq!(f(i64::MIN), "-9223372036.854776");
    }

    #[test]
    fn log_times_are_zeek_formatted() {
        assert_eq!(log_time(0), "1970-01-01-00-00-00");
        assert_eq!(log_time(1_700_000_000_000_000_000), "2023-11-14-22-13-20");
    }
}
