//! Times in text output, in tshark's `-t` formats.
//!
//! | format | shows | example |
//! |---|---|---|
//! | `r` (default) | seconds since the capture's first frame | `0.938401` |
//! | `a` | local time of day | `02:41:55.940753` |
//! | `ad` | local date and time | `2026-11-24 02:41:55.940753` |
//! | `adoy` | local year/day of year and time | `2026/328 02:41:55.940753` |
//! | `d` | seconds since the previous TCP segment of the capture | `0.000126` |
//! | `dd` | seconds since the previous row shown | `0.000126` |
//! | `e` | seconds since the epoch (1970-01-01 UTC) | `1795488115.940753` |
//! | `u`, `ud`, `udoy` | as `a`, `ad`, `adoy`, in UTC | |
//!
//! Local time is the system's time zone (`TZ` is honoured). Times are
//! truncated to microseconds, as tshark prints them by default; JSON keeps
//! nanoseconds. Every format has a fixed width, so that a huge or negative
//! time (a corrupt timestamp) never shifts the columns after it: seconds that
//! do not fit lose decimals first, and in the end are written in exponent
//! form (`~1.84e13`).
//!
//! tshark's `d` counts from the previous frame of any protocol; rows here are
//! TCP segments only, so `d` counts from the previous TCP segment.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::io::Write;

/// tshark's `-t` formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TimeFormat {
    /// `r`: seconds since the first frame.
    #[default]
    Relative,
    /// `a`: local time of day.
    Absolute,
    /// `ad`: local date and time.
    AbsoluteDate,
    /// `adoy`: local year, day of year and time.
    AbsoluteDoy,
    /// `d`: seconds since the previous TCP segment.
    Delta,
    /// `dd`: seconds since the previous row shown.
    DeltaDisplayed,
    /// `e`: seconds since the epoch.
    Epoch,
    /// `u`: UTC time of day.
    Utc,
    /// `ud`: UTC date and time.
    UtcDate,
    /// `udoy`: UTC year, day of year and time.
    UtcDoy,
}

impl TimeFormat {
    /// Every format with its tshark name.
    pub const ALL: [(TimeFormat, &'static str); 10] = [
        (TimeFormat::Relative, "r"),
        (TimeFormat::Absolute, "a"),
        (TimeFormat::AbsoluteDate, "ad"),
        (TimeFormat::AbsoluteDoy, "adoy"),
        (TimeFormat::Delta, "d"),
        (TimeFormat::DeltaDisplayed, "dd"),
        (TimeFormat::Epoch, "e"),
        (TimeFormat::Utc, "u"),
        (TimeFormat::UtcDate, "ud"),
        (TimeFormat::UtcDoy, "udoy"),
    ];

    /// Parses tshark's name of a format.
    pub fn from_name(name: &str) -> Option<TimeFormat> {
        Self::ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The width of the column.
    pub const fn width(self) -> usize {
        match self {
            TimeFormat::Relative | TimeFormat::Delta | TimeFormat::DeltaDisplayed => 13,
            TimeFormat::Epoch => 17,
            TimeFormat::Absolute | TimeFormat::Utc => 15,
            TimeFormat::AbsoluteDate | TimeFormat::UtcDate => 26,
            TimeFormat::AbsoluteDoy | TimeFormat::UtcDoy => 24,
        }
    }

    /// Whether the format shows a time of day (and needs a time zone).
    const fn clock(self) -> Option<bool> {
        match self {
            TimeFormat::Absolute | TimeFormat::AbsoluteDate | TimeFormat::AbsoluteDoy => Some(true),
            TimeFormat::Utc | TimeFormat::UtcDate | TimeFormat::UtcDoy => Some(false),
            _ => None,
        }
    }
}

/// Writes one time column, row after row.
#[derive(Clone, Debug)]
pub struct TimeColumn {
    format: TimeFormat,
    first_ts: i64,
    zone: TimeZone,
    /// The previous row's timestamp (for `dd`), when there was one.
    prev_shown: Option<i64>,
}

impl TimeColumn {
    /// A column for a capture whose first frame is at `first_ts`.
    pub fn new(format: TimeFormat, first_ts: i64) -> TimeColumn {
        let zone = match format.clock() {
            Some(true) => TimeZone::try_system().unwrap_or(TimeZone::UTC),
            _ => TimeZone::UTC,
        };
        TimeColumn {
            format,
            first_ts,
            zone,
            prev_shown: None,
        }
    }

    /// The same column, continuing after a row shown at `prev_shown` (for
    /// `dd` when rows are written in several pieces).
    pub fn after(mut self, prev_shown: Option<i64>) -> TimeColumn {
        self.prev_shown = prev_shown;
        self
    }

    /// The format.
    pub fn format(&self) -> TimeFormat {
        self.format
    }

    /// Writes the time of a row at `ts`, padded to the column's width
    /// (right-aligned). `prev_segment` is the timestamp of the previous TCP
    /// segment of the capture (for `d`; the row itself if none).
    pub fn write(&mut self, ts: i64, prev_segment: Option<i64>, out: &mut Vec<u8>) {
        let width = self.format.width();
        let since = |base: i64| i128::from(ts) - i128::from(base);
        match self.format {
            TimeFormat::Relative => fit_seconds(since(self.first_ts), width, out),
            TimeFormat::Delta => fit_seconds(since(prev_segment.unwrap_or(ts)), width, out),
            TimeFormat::DeltaDisplayed => {
                fit_seconds(since(self.prev_shown.unwrap_or(ts)), width, out)
            }
            TimeFormat::Epoch => fit_seconds(i128::from(ts), width, out),
            f => {
                let t = Timestamp::from_nanosecond(i128::from(ts)).unwrap_or(Timestamp::MIN);
                let z = t.to_zoned_datetime(self.zone.clone());
                let date = match f {
                    TimeFormat::AbsoluteDate | TimeFormat::UtcDate => "%Y-%m-%d ",
                    TimeFormat::AbsoluteDoy | TimeFormat::UtcDoy => "%Y/%j ",
                    _ => "",
                };
                let _ = write!(
                    out,
                    "{:>width$}",
                    format!("{}{:06}", z.strftime(&format!("{date}%H:%M:%S.")), {
                        z.subsec_nanosecond() / 1000
                    })
                );
            }
        }
        self.prev_shown = Some(ts);
    }
}

/// Seconds with up to six decimals (truncated), right-aligned in `width`
/// characters: decimals are dropped until the number fits, then it is
/// written as `~M.MMeE`.
pub fn fit_seconds(ns: i128, width: usize, out: &mut Vec<u8>) {
    let neg = ns < 0;
    let abs = ns.unsigned_abs();
    let mut int = itoa::Buffer::new();
    let (secs, micros) = super::secs_micros(abs, &mut int);
    let int_len = secs.len() + usize::from(neg);
    for decimals in (0..=6usize).rev() {
        let len = int_len + if decimals > 0 { 1 + decimals } else { 0 };
        if len <= width {
            out.resize(out.len() + (width - len), b' ');
            if neg {
                out.push(b'-');
            }
            out.extend_from_slice(secs.as_bytes());
            if decimals > 0 {
                // Truncated: the first digits of the six.
                out.extend_from_slice(&super::fraction::<7>(micros)[..=decimals]);
            }
            return;
        }
    }
    let mut s = format!("{:.2e}", (abs / 1_000_000_000) as f64);
    if neg {
        s.insert(0, '-');
    }
    s.insert(0, '~');
    let _ = write!(out, "{s:>width$}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(ns: i128, width: usize) -> String {
        let mut v = Vec::new();
        fit_seconds(ns, width, &mut v);
        String::from_utf8(v).unwrap()
    }

    /// How `fit_seconds` wrote every time before itoa and its 64-bit
    /// division: with the standard library's formatting, in 128 bits.
    fn fit_with_std(ns: i128, width: usize) -> String {
        let neg = ns < 0;
        let abs = ns.unsigned_abs();
        let secs = abs / 1_000_000_000;
        let micros = (abs % 1_000_000_000 / 1000) as u32;
        let int_len = secs.to_string().len() + usize::from(neg);
        for decimals in (0..=6u32).rev() {
            let len = int_len
                + if decimals > 0 {
                    1 + decimals as usize
                } else {
                    0
                };
            if len <= width {
                let mut s = format!("{:>pad$}", "", pad = width - len);
                if neg {
                    s.push('-');
                }
                s.push_str(&secs.to_string());
                if decimals > 0 {
                    let frac = micros / 10u32.pow(6 - decimals);
                    s.push_str(&format!(".{frac:0d$}", d = decimals as usize));
                }
                return s;
            }
        }
        let mut s = format!("{:.2e}", secs as f64);
        if neg {
            s.insert(0, '-');
        }
        s.insert(0, '~');
        format!("{s:>width$}")
    }

    #[test]
    fn times_are_written_as_std_formatting_writes_them() {
        for ns in crate::output::times_of_every_magnitude() {
            for width in [1, 4, 8, 9, 10, 13, 15, 20, 26, 45] {
                assert_eq!(fit(ns, width), fit_with_std(ns, width), "{ns} in {width}");
            }
        }
    }

    #[test]
    fn seconds_keep_the_column_width_whatever_their_size() {
        assert_eq!(fit(938_401_000, 13), "     0.938401");
        assert_eq!(fit(-5_000, 13), "    -0.000005");
        assert_eq!(fit(123_456_789_123_456_789, 13), "123456789.123");
        assert_eq!(fit(18_446_744_073_204_277_451_000, 13), "     ~1.84e13");
        for ns in [
            0,
            1,
            -1,
            i128::from(i64::MAX),
            i128::from(i64::MIN),
            10i128.pow(30),
        ] {
            assert_eq!(fit(ns, 13).len(), 13, "{ns}");
        }
    }

    #[test]
    fn tshark_names_round_trip() {
        for (f, n) in TimeFormat::ALL {
            assert_eq!(TimeFormat::from_name(n), Some(f));
        }
        assert_eq!(TimeFormat::from_name("x"), None);
    }

    #[test]
    fn utc_formats_are_fixed_width_dates() {
        // 2026-11-24T02:41:55.002352789Z
        let ts = 1_795_488_115_002_352_789;
        let show = |f| {
            let mut c = TimeColumn::new(f, ts);
            let mut v = Vec::new();
            c.write(ts, None, &mut v);
            String::from_utf8(v).unwrap()
        };
        assert_eq!(show(TimeFormat::Utc), "02:41:55.002352");
        assert_eq!(show(TimeFormat::UtcDate), "2026-11-24 02:41:55.002352");
        assert_eq!(show(TimeFormat::UtcDoy), "2026/328 02:41:55.002352");
        assert_eq!(show(TimeFormat::Epoch), "1795488115.002352");
        assert_eq!(show(TimeFormat::Relative), "     0.000000");
    }

    #[test]
    fn deltas_count_from_the_previous_segment_or_row() {
        let mut c = TimeColumn::new(TimeFormat::DeltaDisplayed, 0);
        let mut v = Vec::new();
        c.write(1_000_000_000, Some(900_000_000), &mut v);
        c.write(1_500_000_000, Some(1_400_000_000), &mut v);
        assert_eq!(String::from_utf8(v).unwrap(), "     0.000000     0.500000");
        let mut c = TimeColumn::new(TimeFormat::Delta, 0);
        let mut v = Vec::new();
        c.write(1_500_000_000, Some(1_400_000_000), &mut v);
        assert_eq!(String::from_utf8(v).unwrap(), "     0.100000");
    }
}
