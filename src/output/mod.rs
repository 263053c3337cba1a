//! Output formats: aligned text for people, JSON and JSON Lines for
//! programs (schema: `src/output/schema.json`, version [`SCHEMA_VERSION`]).
//!
//! Formatting is hand-written (integers with `itoa`, fixed strings) because
//! the timeline can be millions of rows; it never allocates per row except
//! for the text table's cells.

pub mod dataset;
pub mod guard;
pub mod json;
pub mod order;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod picture;
pub mod progress;
pub mod rows;
pub mod text;
pub mod time;
pub mod zeek;

use crate::anomaly::Anomaly;
use crate::capture::CaptureError;
use crate::decode::TcpFlags;
use crate::engine::Totals;
use std::io::{self, Write};

/// The version of the JSON schema. Bumped on any incompatible change;
/// additions of keys keep the version.
///
/// * 1: the first.
/// * 2: one name per idea: an anomaly's id is `id` everywhere (it was `kind`
///   in connections and segments, `rule` in `check`'s rules and violations).
pub const SCHEMA_VERSION: u32 = 2;

/// What `--format parquet` says when the binary was built without it.
pub const NO_PARQUET: &str = "this tcpstate was built without Parquet support: \
     install it with `cargo install --path . --features parquet`";

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people.
    Text,
    /// One JSON document.
    Json,
    /// JSON Lines: one object per line.
    Jsonl,
    /// A Zeek conn.log (summary only; see [`zeek`]).
    Zeek,
}

/// Options shared by the renderers.
#[derive(Clone, Debug)]
pub struct Style {
    /// ANSI colours (text only; only on a terminal, never with NO_COLOR).
    pub color: bool,
    /// Name each row's file (several files).
    pub with_file: bool,
    /// The width of the file column (the longest name), when rows name it.
    pub file_width: usize,
}

/// TCP flags the way tcpdump prints them: `S`, `S.`, `.`, `P.`, `F.`, `R.`.
pub fn flags_tcpdump(f: TcpFlags, out: &mut impl std::fmt::Write) {
    let mut any = false;
    for (bit, c) in [
        (TcpFlags::SYN, 'S'),
        (TcpFlags::FIN, 'F'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'W'),
        (TcpFlags::AE, 'e'),
        (TcpFlags::ACK, '.'),
    ] {
        if f.contains(bit) {
            let _ = out.write_char(c);
            any = true;
        }
    }
    if !any {
        let _ = out.write_str("none");
    }
}

/// An IPv4 address in dotted decimal, as `Display` writes it, into `buf`
/// (every summary row and JSON record has two: `Display` through the
/// formatting machinery was 3% of a summary's instructions).
pub fn ipv4(a: std::net::Ipv4Addr, buf: &mut [u8; 15]) -> &str {
    let mut n = 0;
    for (i, o) in a.octets().into_iter().enumerate() {
        if i > 0 {
            buf[n] = b'.';
            n += 1;
        }
        if o >= 100 {
            buf[n] = b'0' + o / 100;
            n += 1;
        }
        if o >= 10 {
            buf[n] = b'0' + o / 10 % 10;
            n += 1;
        }
        buf[n] = b'0' + o % 10;
        n += 1;
    }
    // Digits and dots only: always UTF-8.
    std::str::from_utf8(&buf[..n]).unwrap_or_default()
}

/// Seconds with nine decimals, from integer nanoseconds (exact).
pub fn seconds(ns: i64, out: &mut Vec<u8>) {
    if ns < 0 {
        out.push(b'-');
    }
    let abs = ns.unsigned_abs();
    out.extend_from_slice(itoa::Buffer::new().format(abs / 1_000_000_000).as_bytes());
    out.extend_from_slice(&fraction::<10>((abs % 1_000_000_000) as u32));
}

/// A point then `n` in `N - 1` digits, zeros first: a time's fraction, in
/// one write (a timeline row has several times; every summary row has
/// two). `n` has at most `N - 1` digits.
pub(crate) fn fraction<const N: usize>(mut n: u32) -> [u8; N] {
    let mut f = [b'0'; N];
    f[0] = b'.';
    // Two digits at a time from the right, in place: their count is
    // fixed, so nothing is measured or copied (with itoa's digits and a
    // copy of their length, `seconds` took 176 instructions, 132 so).
    let mut end = N;
    while end > 2 && n > 0 {
        let d = (n % 100) as usize * 2;
        f[end - 2..end].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
        n /= 100;
        end -= 2;
    }
    if end == 2 && n > 0 {
        f[1] = b'0' + (n % 10) as u8;
    }
    f
}

/// "00", "01", ... "99" end to end.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// A time's magnitude in nanoseconds as whole seconds (their digits, in
/// `int`) and microseconds (truncated). Divided in 64 bits when it fits, as
/// every real capture's times do, in 128 otherwise.
pub(crate) fn secs_micros(abs: u128, int: &mut itoa::Buffer) -> (&str, u32) {
    match u64::try_from(abs) {
        Ok(abs) => (
            int.format(abs / 1_000_000_000),
            (abs % 1_000_000_000 / 1000) as u32,
        ),
        Err(_) => (
            int.format(abs / 1_000_000_000),
            (abs % 1_000_000_000 / 1000) as u32,
        ),
    }
}

/// An RFC 3339 UTC timestamp with nanoseconds.
pub fn timestamp(ns: i64) -> String {
    match jiff::Timestamp::from_nanosecond(i128::from(ns)) {
        Ok(t) => format!("{t:.9}"),
        Err(_) => format!("@{ns}ns"),
    }
}

/// One line on stderr per problem the capture showed: its damage and the
/// packets on unsupported link types.
pub fn report_problems(file: &str, totals: &Totals, err: &mut dyn Write) -> io::Result<()> {
    for u in &totals.unsupported {
        writeln!(
            err,
            "tcpstate: {file}: link type {} on interface {} is not supported: {} packets skipped",
            u.link_type.0, u.interface, u.packets
        )?;
    }
    let t = &totals.timestamps;
    if let Some(f) = t.first_out_of_range {
        writeln!(
            err,
            "tcpstate: {file}: {} frame(s) (the first: frame {f}) carry timestamps beyond 64-bit nanoseconds (before 1677-09-21 or after 2262-04-11): they count as that limit",
            t.out_of_range
        )?;
    }
    if let Some(f) = t.first_ignored {
        writeln!(
            err,
            "tcpstate: {file}: {} frame(s) (the first: frame {f}) carry a timestamp more than a day away from the frames around them: timers and connection durations ignore it",
            t.ignored
        )?;
    }
    if let Some(e) = &totals.error {
        writeln!(err, "tcpstate: {}", describe_error(e))?;
    }
    Ok(())
}

/// The one-line description of a capture error.
pub fn describe_error(e: &CaptureError) -> String {
    e.to_string()
}

/// The sentence for an anomaly occurrence.
pub fn anomaly_sentence(a: &Anomaly) -> String {
    a.describe()
}

/// Times in nanoseconds of every magnitude and both signs, with the edges
/// of 64 and 128 bits: what the time-writing tests compare on.
#[cfg(test)]
pub(crate) fn times_of_every_magnitude() -> Vec<i128> {
    let mut values: Vec<i128> = vec![0, 1, -1, 999, 1_000, 999_999_999, 1_000_000_000];
    values.extend([i64::MAX, i64::MIN].map(i128::from));
    values.extend([u64::MAX, u64::MAX - 1].map(i128::from));
    values.extend([u64::MAX, u64::MAX - 1].map(|v| -i128::from(v)));
    values.extend([
        i128::from(u64::MAX) + 1,
        10i128.pow(30),
        i128::MAX,
        i128::MIN,
    ]);
    values.extend([-10i128.pow(25) - 123_456_789]);
    let mut next = crate::xorshift64(0x9e37_79b9_7f4a_7c15);
    for _ in 0..20_000 {
        let x = next();
        // Every magnitude up to 2^64, and some above.
        let v = i128::from(x >> (x % 64)) << (if x % 8 == 0 { x % 60 } else { 0 });
        values.push(if x & 1 == 0 { v } else { -v });
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_is_written_as_display_writes_it() {
        let mut buf = [0; 15];
        let mut x: u32 = 0x9e37_79b9;
        let mut addrs = vec![0, u32::MAX, 0x0a00_6409, 0x6464_6464, 0x0909_0909];
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            addrs.push(x);
        }
        for a in addrs {
            let a = std::net::Ipv4Addr::from(a);
            assert_eq!(ipv4(a, &mut buf), a.to_string());
        }
    }

    /// A fraction's fixed digits, six or nine, are the zero-padded
    /// integer: every length, every digit in every place.
    #[test]
    fn fractions_are_zero_padded() {
        let mut n = 0u32;
        while n < 1_000_000_000 {
            let nine = fraction::<10>(n);
            assert_eq!(std::str::from_utf8(&nine).unwrap(), format!(".{n:09}"));
            if n < 1_000_000 {
                let six = fraction::<7>(n);
                assert_eq!(std::str::from_utf8(&six).unwrap(), format!(".{n:06}"));
            }
            n = n * 3 + 7;
        }
        for n in [999_999_999, 100_000_000, 99_999_999, 10, 9] {
            assert_eq!(
                std::str::from_utf8(&fraction::<10>(n)).unwrap(),
                format!(".{n:09}")
            );
        }
        for n in [999_999, 100_000, 99_999, 10, 9, 0] {
            assert_eq!(
                std::str::from_utf8(&fraction::<7>(n)).unwrap(),
                format!(".{n:06}")
            );
        }
    }

    #[test]
    fn seconds_are_exact() {
        let mut v = Vec::new();
        seconds(1_500_000_007, &mut v);
        assert_eq!(v, b"1.500000007");
        v.clear();
        seconds(-5, &mut v);
        assert_eq!(v, b"-0.000000005");
        v.clear();
        seconds(i64::MIN, &mut v);
        assert_eq!(v, b"-9223372036.854775808");
        v.clear();
        seconds(1_000_000_000, &mut v);
        assert_eq!(v, b"1.000000000");
        // Against the standard library's zero-padded integer formatting:
        // every length of fraction.
        for ns in [
            1,
            12,
            123,
            1_234,
            12_345,
            123_456,
            1_234_567,
            12_345_678,
            123_456_789,
        ] {
            for secs in [0i64, 7, 1_700_000_000] {
                let n = secs * 1_000_000_000 + ns;
                v.clear();
                seconds(n, &mut v);
                let expected = format!("{secs}.{:09}", ns);
                assert_eq!(std::str::from_utf8(&v).unwrap(), expected);
            }
        }
    }

    #[test]
    fn timestamps_are_rfc3339_utc_with_nanoseconds() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            timestamp(1_700_000_000_123_456_789),
            "2023-11-14T22:13:20.123456789Z"
        );
    }

    #[test]
    fn flags_print_like_tcpdump() {
        let f = |bits| {
            let mut s = String::new();
            flags_tcpdump(bits, &mut s);
            s
        };
        assert_eq!(f(TcpFlags::SYN), "S");
        assert_eq!(f(TcpFlags::SYN | TcpFlags::ACK), "S.");
        assert_eq!(f(TcpFlags::FIN | TcpFlags::PSH | TcpFlags::ACK), "FP.");
        assert_eq!(f(TcpFlags::ACK), ".");
        assert_eq!(f(TcpFlags(0)), "none");
    }
}
