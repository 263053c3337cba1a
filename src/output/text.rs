//! Aligned text for people.
//!
//! The summary is a table whose column widths come from its first rows (up
//! to [`Table::SAMPLE`]); later rows reuse them, so output streams. The
//! timeline uses fixed widths. Colours only when [`Style::color`].

use super::time::{TimeColumn, TimeFormat};
use super::{Style, flags_tcpdump};
use crate::anomaly::Severity;
use crate::consumer::Verdict;
use crate::engine::{ConnectionRecord, ConnectionSummary, SegmentRecord};
use crate::state::TcpState;
use crate::wireshark::{Counts, Flag, Verdicts};
use crate::zeek::ZeekRecord;
use anstyle::{AnsiColor, Effects, Style as Ansi};
use std::fmt::Write as _;
use std::io::{self, Write};

fn state_style(s: TcpState) -> Ansi {
    match s {
        TcpState::Established => Ansi::new().fg_color(Some(AnsiColor::Green.into())),
        TcpState::Closed => Ansi::new().effects(Effects::DIMMED),
        TcpState::TimeWait => Ansi::new().fg_color(Some(AnsiColor::Cyan.into())),
        TcpState::Listen | TcpState::SynSent | TcpState::SynReceived => {
            Ansi::new().fg_color(Some(AnsiColor::Blue.into()))
        }
        _ => Ansi::new().fg_color(Some(AnsiColor::Yellow.into())),
    }
}

fn severity_style(s: Severity) -> Ansi {
    match s {
        Severity::Error => Ansi::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .effects(Effects::BOLD),
        Severity::Warning => Ansi::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Info => Ansi::new().fg_color(Some(AnsiColor::Cyan.into())),
    }
}

/// How a cell is coloured (when colours are on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// No colour.
    Plain,
    /// The colour of a state.
    State(TcpState),
    /// The colour of the worst anomaly's severity.
    Severity(Severity),
    /// Bold (the header).
    Bold,
}

impl Tone {
    fn style(self) -> Option<Ansi> {
        match self {
            Tone::Plain => None,
            Tone::State(s) => Some(state_style(s)),
            Tone::Severity(s) => Some(severity_style(s)),
            Tone::Bold => Some(Ansi::new().effects(Effects::BOLD)),
        }
    }

    /// One byte, for [`encode_row`].
    fn code(self) -> u8 {
        match self {
            Tone::Plain => 0,
            Tone::Bold => 1,
            Tone::Severity(s) => 2 + s as u8,
            Tone::State(s) => 8 + s as u8,
        }
    }

    fn from_code(c: u8) -> Tone {
        match c {
            1 => Tone::Bold,
            2 => Tone::Severity(Severity::Info),
            3 => Tone::Severity(Severity::Warning),
            4 => Tone::Severity(Severity::Error),
            8..=18 => Tone::State(TcpState::ALL[usize::from(c - 8)]),
            _ => Tone::Plain,
        }
    }
}

/// A row of cells, in one string: a row is made with one allocation or
/// two, not one per cell (a summary writes a row per connection). Cells
/// are written through [`std::fmt::Write`], each closed by [`Cells::end`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cells {
    text: String,
    /// Where each cell ends in `text`, and its colour.
    ends: Vec<(u32, Tone)>,
}

impl Cells {
    /// An empty row with room for `n` cells.
    pub fn with_capacity(n: usize) -> Cells {
        Cells {
            text: String::with_capacity(16 * n),
            ends: Vec::with_capacity(n),
        }
    }

    /// Ends the cell written since the previous one, in `tone`.
    pub fn end(&mut self, tone: Tone) {
        self.ends.push((self.text.len() as u32, tone));
    }

    /// A whole cell.
    pub fn push(&mut self, text: &str, tone: Tone) {
        self.text.push_str(text);
        self.end(tone);
    }

    /// The cells: text and colour.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Tone)> + '_ {
        let mut from = 0usize;
        self.ends.iter().map(move |&(end, tone)| {
            let cell = &self.text[from..end as usize];
            from = end as usize;
            (cell, tone)
        })
    }

    /// How many cells.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether it has no cell.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The bytes its text takes.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }
}

impl std::fmt::Write for Cells {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.text.push_str(s);
        Ok(())
    }
}

/// A row of cells as bytes (so that rows can wait on disk in a
/// [`super::order::StreamOrder`] or a [`super::order::Spool`]): per cell, its
/// tone, the length of its text (4 bytes) and the text.
pub fn encode_row(row: &Cells, out: &mut Vec<u8>) {
    for (text, tone) in row.iter() {
        out.push(tone.code());
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
}

/// The cells of a row written by [`encode_row`]: their texts copied into
/// one string, checked as UTF-8 once (this runs for every row that waited
/// on disk).
pub fn decode_row(mut b: &[u8]) -> Cells {
    let mut text = Vec::with_capacity(b.len());
    let mut ends = Vec::with_capacity(18);
    while b.len() >= 5 {
        let tone = Tone::from_code(b[0]);
        let len = u32::from_le_bytes([b[1], b[2], b[3], b[4]]) as usize;
        let end = len.saturating_add(5).min(b.len());
        text.extend_from_slice(&b[5..end]);
        ends.push((text.len() as u32, tone));
        b = &b[end..];
    }
    match String::from_utf8(text) {
        Ok(text) => Cells { text, ends },
        // Not bytes `encode_row` wrote (a cell cut inside a character):
        // each cell on its own, with U+FFFD where it is not UTF-8.
        Err(e) => {
            let bytes = e.into_bytes();
            let mut row = Cells::with_capacity(ends.len());
            let mut from = 0;
            for (end, tone) in ends {
                row.push(&String::from_utf8_lossy(&bytes[from..end as usize]), tone);
                from = end as usize;
            }
            row
        }
    }
}

/// A streaming table: widths from the first rows, then fixed.
pub struct Table {
    header: Vec<&'static str>,
    /// Right-aligned columns (numbers).
    right: Vec<bool>,
    widths: Option<Vec<usize>>,
    pending: Vec<Cells>,
    color: bool,
    /// The line being written, reused.
    line: Vec<u8>,
}

impl Table {
    /// Rows sampled before the widths are fixed.
    pub const SAMPLE: usize = 1000;

    /// A table with these column names; `right` marks right-aligned columns.
    pub fn new(header: Vec<&'static str>, right: Vec<bool>, color: bool) -> Table {
        Table {
            header,
            right,
            widths: None,
            pending: Vec::new(),
            color,
            line: Vec::new(),
        }
    }

    /// Adds a row (written at once when the widths are fixed).
    pub fn push(&mut self, row: Cells, out: &mut dyn Write) -> io::Result<()> {
        if self.widths.is_some() {
            return self.write_row(&row, out);
        }
        self.pending.push(row);
        if self.pending.len() >= Self::SAMPLE {
            self.flush(out)?;
        }
        Ok(())
    }

    /// Fixes the widths (if not yet) and writes what is pending. A table
    /// that never had a row writes nothing, not even its header.
    pub fn flush(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.widths.is_none() && self.pending.is_empty() {
            return Ok(());
        }
        if self.widths.is_none() {
            let mut w: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
            for row in &self.pending {
                for (i, (text, _)) in row.iter().enumerate() {
                    w[i] = w[i].max(text.chars().count());
                }
            }
            self.widths = Some(w);
            let mut header = Cells::with_capacity(self.header.len());
            for h in &self.header {
                header.push(h, Tone::Bold);
            }
            self.write_row(&header, out)?;
        }
        for row in std::mem::take(&mut self.pending) {
            self.write_row(&row, out)?;
        }
        Ok(())
    }

    fn write_row(&mut self, row: &Cells, out: &mut dyn Write) -> io::Result<()> {
        let widths = self.widths.as_ref().expect("widths fixed");
        let line = &mut self.line;
        line.clear();
        // A cell's width is its characters; in an ASCII row (nearly every
        // one), its bytes, without counting them one by one.
        let ascii = row.text.is_ascii();
        let last = row.len().saturating_sub(1);
        if ascii && !self.color {
            // Over a line of spaces, each cell's text copied to its place:
            // one copy a cell, no padding written.
            let n = row.len();
            let full = widths[..n.min(widths.len())].iter().sum::<usize>() + 2 * last;
            line.resize(full, b' ');
            let mut at = 0;
            for (i, (text, _)) in row.iter().enumerate() {
                let pad = widths[i].saturating_sub(text.len());
                if i > 0 {
                    at += 2;
                }
                if self.right[i] {
                    at += pad;
                }
                let end = at + text.len();
                if end > line.len() {
                    // A cell wider than its column pushes the rest right.
                    line.resize(end, b' ');
                }
                line[at..end].copy_from_slice(text.as_bytes());
                at = end;
                if !self.right[i] && i != last {
                    at += pad;
                }
            }
            line.truncate(at);
            line.push(b'\n');
            return out.write_all(line);
        }
        for (i, (text, tone)) in row.iter().enumerate() {
            let chars = if ascii {
                text.len()
            } else {
                text.chars().count()
            };
            let pad = widths[i].saturating_sub(chars);
            if i > 0 {
                line.extend_from_slice(b"  ");
            }
            if self.right[i] {
                spaces(line, pad);
            }
            match (self.color, tone.style()) {
                (true, Some(s)) => {
                    let _ = write!(line, "{s}{text}{s:#}");
                }
                _ => line.extend_from_slice(text.as_bytes()),
            }
            if !self.right[i] && i != last {
                spaces(line, pad);
            }
        }
        line.push(b'\n');
        out.write_all(line)
    }
}

/// `n` spaces, a slice at a time (a summary row pads most of its cells).
fn spaces(line: &mut Vec<u8>, mut n: usize) {
    const SPACES: &[u8] = b"                                ";
    while n > 0 {
        let k = n.min(SPACES.len());
        line.extend_from_slice(&SPACES[..k]);
        n -= k;
    }
}

/// The summary table's columns.
pub fn summary_table(style: &Style) -> Table {
    let mut header = vec![
        "STREAM",
        "CLIENT",
        "SERVER",
        "FRAMES",
        "START",
        "DURATION",
        "PKTS>",
        "PKTS<",
        "BYTES>",
        "BYTES<",
        "CLIENT-STATE",
        "SERVER-STATE",
        "CLOSER",
        "OUTCOME",
        "ZEEK",
        "HISTORY",
        "ANOMALIES",
        "TCP-ANALYSIS",
    ];
    let mut right = vec![
        true, false, false, false, true, true, true, true, true, true, false, false, false, false,
        false, false, false, false,
    ];
    if style.with_file {
        header.insert(0, "FILE");
        right.insert(0, false);
    }
    Table::new(header, right, style.color)
}

/// Seconds with six decimals (truncated), however large.
fn secs6(out: &mut impl std::fmt::Write, ns: i128) {
    let mut int = itoa::Buffer::new();
    let (secs, micros) = super::secs_micros(ns.unsigned_abs(), &mut int);
    if ns < 0 {
        let _ = out.write_char('-');
    }
    let _ = out.write_str(secs);
    // A point and digits: always UTF-8.
    let _ = out.write_str(std::str::from_utf8(&super::fraction::<7>(micros)).unwrap_or(".000000"));
}

/// A number, in a cell being written (itoa: on every summary row).
fn uint(row: &mut Cells, n: u64) {
    row.text.push_str(itoa::Buffer::new().format(n));
}

/// An endpoint as `ADDR:PORT` (`[ADDR]:PORT` for IPv6).
fn write_addr(out: &mut impl std::fmt::Write, ip: std::net::IpAddr, port: u16) {
    let _ = match ip {
        std::net::IpAddr::V4(a) => out.write_str(super::ipv4(a, &mut [0; 15])),
        std::net::IpAddr::V6(a) => write!(out, "[{a}]"),
    };
    let _ = out.write_char(':');
    let _ = out.write_str(itoa::Buffer::new().format(port));
}

/// The cells of one summary row; `time` writes its START.
pub fn summary_row(r: &ConnectionRecord, time: &mut TimeColumn, file: Option<&str>) -> Cells {
    let c: &ConnectionSummary = r;
    let [cl, sv] = &c.ends;
    let mut row = Cells::with_capacity(18);
    let plain = Tone::Plain;
    if let Some(f) = file {
        row.push(f, plain);
    }
    let guessed = if c.roles_guessed { "?" } else { "" };
    uint(&mut row, r.stream);
    row.end(plain);
    for e in [cl, sv] {
        write_addr(&mut row, e.addr, e.port);
        row.push(guessed, plain);
    }
    uint(&mut row, c.first_frame);
    row.text.push('-');
    uint(&mut row, c.last_frame);
    row.end(plain);
    let mut v = Vec::with_capacity(32);
    time.write(c.first_ts, None, &mut v);
    row.push(String::from_utf8_lossy(&v).trim_start(), plain);
    secs6(&mut row, i128::from(c.last_ts) - i128::from(c.first_ts));
    row.end(plain);
    for n in [
        c.packets[0],
        c.packets[1],
        c.payload_bytes[0],
        c.payload_bytes[1],
    ] {
        uint(&mut row, n);
        row.end(plain);
    }
    // An uncertain final state ends with `?` (see `Connection::uncertain`).
    for e in [cl, sv] {
        row.text.push_str(e.state.name());
        row.push(
            if e.uncertain.is_some() { "?" } else { "" },
            Tone::State(e.state),
        );
    }
    row.push(c.active_closer.map_or("-", |r| r.name()), plain);
    row.push(c.outcome.name(), plain);
    // Zeek's conn_state and history: every Zeek connection this one makes
    // (Zeek's timers can split it; `--format zeek` lists each), joined by
    // commas in order.
    zeek_pieces(&mut row, &c.zeek, |z| z.conn_state.name());
    row.end(plain);
    zeek_pieces(&mut row, &c.zeek, |z| &z.history);
    row.end(plain);
    let mut worst: Option<Severity> = None;
    for (i, a) in c.anomalies.iter().enumerate() {
        if i > 0 {
            row.text.push(',');
        }
        row.text.push_str(a.kind.id());
        row.text.push('@');
        uint(&mut row, a.frame);
        worst = worst.max(Some(a.kind.severity()));
    }
    if c.anomalies_dropped > 0 {
        let _ = write!(row, ",+{} more", c.anomalies_dropped);
    }
    if c.anomalies.is_empty() && c.anomalies_dropped == 0 {
        row.text.push('-');
    }
    row.end(worst.map_or(plain, Tone::Severity));
    write_analysis_counts(&mut row, &c.analysis_counts);
    row.end(plain);
    row
}

/// A state's name, with `?` when it is uncertain.
pub fn state_name(s: TcpState, uncertain: bool) -> String {
    if uncertain {
        format!("{}?", s.name())
    } else {
        s.name().to_string()
    }
}

/// One field of each Zeek connection of `zeek`, joined by commas (`-` for an
/// empty field, or when there is none).
fn zeek_pieces<'a>(
    out: &mut Cells,
    zeek: &'a [ZeekRecord],
    field: impl Fn(&'a ZeekRecord) -> &'a str,
) {
    for (i, z) in zeek.iter().enumerate() {
        if i > 0 {
            out.text.push(',');
        }
        match field(z) {
            "" => out.text.push('-'),
            f => out.text.push_str(f),
        }
    }
    if zeek.is_empty() {
        out.text.push('-');
    }
}

/// The timeline header line.
pub fn timeline_header(style: &Style, time: TimeFormat, out: &mut Vec<u8>) {
    let h = format!(
        "{}{:>7}  {:>tw$}  {:>6}  {:3}  {:5}  {:>10}  {:>10}  {:>6}  {:13}  {:13}  {}\n",
        if style.with_file {
            format!("{:fw$}  ", "FILE", fw = style.file_width)
        } else {
            String::new()
        },
        "FRAME",
        "TIME",
        "STREAM",
        "DIR",
        "FLAGS",
        "SEQ",
        "ACK",
        "LEN",
        "CLIENT",
        "SERVER",
        "CHANGES / NOTES",
        tw = time.width(),
    );
    if style.color {
        let b = Ansi::new().effects(Effects::BOLD);
        let _ = writeln!(out, "{b}{}{b:#}", h.trim_end());
    } else {
        out.extend_from_slice(h.as_bytes());
    }
}

/// One timeline row. `time` writes its TIME; `prev_segment` is the
/// timestamp of the capture's previous TCP segment (for `-t d`).
pub fn timeline_row(
    r: &SegmentRecord,
    time: &mut TimeColumn,
    prev_segment: Option<i64>,
    style: &Style,
    file: Option<&str>,
    out: &mut Vec<u8>,
) {
    // Written straight into `out` (small fields through stack buffers):
    // nothing is allocated per row.
    let o = &r.outcome;
    let mut flags = arrayvec::ArrayString::<16>::new();
    flags_tcpdump(r.flags, &mut flags);
    let flags = flags.as_str();
    if let Some(f) = file {
        let _ = write!(out, "{f:fw$}  ", fw = style.file_width);
    }
    let _ = write!(out, "{:>7}  ", r.frame);
    time.write(r.ts_ns, prev_segment, out);
    if r.event {
        // Not a segment: transitions between segments (a timer, a reopened
        // 4-tuple), shown at the frame that showed them.
        let _ = write!(
            out,
            "  {:>6}  {:3}  {:5}  {:>10}  {:>10}  {:>6}  ",
            r.stream, "-", "", "", "", ""
        );
    } else {
        let _ = write!(
            out,
            "  {:>6}  {:3}  {:5}  {:>10}  {:>10}  {:>6}  ",
            r.stream,
            o.direction.name(),
            flags,
            o.rel_seq,
            o.rel_ack,
            r.payload_len
        );
    }
    for (s, alt) in o.state.into_iter().zip(o.uncertain) {
        // An uncertain state (see `Connection::uncertain`) ends with `?`.
        let mut name = arrayvec::ArrayString::<16>::new();
        name.push_str(s.name());
        if alt.is_some() {
            name.push('?');
        }
        if style.color {
            let st = state_style(s);
            let _ = write!(out, "{st}{:13}{st:#}  ", name.as_str());
        } else {
            let _ = write!(out, "{:13}  ", name.as_str());
        }
    }
    // The notes: transitions, then the receiver's verdict, the anomalies
    // and Wireshark's analysis, each group after a separator.
    let notes_at = out.len();
    let sep = |out: &mut Vec<u8>, s: &[u8]| {
        if out.len() > notes_at {
            out.extend_from_slice(s);
        }
    };
    if let Some(e) = &r.icmp {
        let _ = write!(
            out,
            "{} from {} about the {}'s segment",
            e.describe(),
            e.from,
            e.about.name()
        );
    }
    if r.short_header {
        out.extend_from_slice(b"header cut inside its options");
    }
    for t in &o.transitions {
        sep(out, b", ");
        let _ = write!(
            out,
            "{} {}\u{2192}{}",
            t.endpoint.name(),
            t.from.name(),
            t.to.name()
        );
        match t.basis {
            crate::state::Basis::Inferred => out.extend_from_slice(b" (inferred)"),
            crate::state::Basis::Timer => out.extend_from_slice(b" (timer)"),
            crate::state::Basis::Revised => out.extend_from_slice(b" (revised)"),
            _ => {}
        }
    }
    for (e, alt) in o.uncertain.iter().enumerate() {
        if let Some(alt) = alt {
            sep(out, b"; ");
            let who = if e == 0 { "client" } else { "server" };
            let _ = write!(
                out,
                "{who} {}? or {}: it never acknowledged what moved it there, and the {} sent that again",
                o.state[e].name(),
                alt.name(),
                if e == 0 { "server" } else { "client" }
            );
        }
    }
    if o.verdict != Verdict::Accepted {
        sep(out, b"; ");
        // How the receiver treats it (JSON `verdict`); Wireshark's own
        // verdicts follow in brackets, as Wireshark writes them.
        let _ = write!(out, "receiver: {}", o.verdict.name());
    }
    for a in &o.anomalies {
        sep(out, b"; ");
        if style.color {
            let st = severity_style(a.kind.severity());
            let _ = write!(out, "{st}{}{st:#}", a.kind.id());
        } else {
            out.extend_from_slice(a.kind.id().as_bytes());
        }
    }
    if !r.analysis.is_empty() {
        sep(out, b"; ");
        let st = Ansi::new().fg_color(Some(AnsiColor::Magenta.into()));
        if style.color {
            let _ = write!(out, "{st}");
        }
        analysis_notes(&r.analysis, out);
        if style.color {
            let _ = write!(out, "{st:#}");
        }
    }
    // Trim the padding of the last columns when there are no notes.
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out.push(b'\n');
}

/// Wireshark's analysis of a segment the way its Info column shows it:
/// `[TCP Dup ACK 17#2]`, `[TCP Retransmission]`... (one label for the
/// retransmission family, the most specific).
pub fn analysis_notes(v: &Verdicts, out: &mut Vec<u8>) {
    let mut first = true;
    for f in v.flags.iter() {
        let generic = f == Flag::Retransmission
            && (v.flags.contains(Flag::FastRetransmission)
                || v.flags.contains(Flag::SpuriousRetransmission));
        if generic {
            continue;
        }
        if !first {
            out.push(b' ');
        }
        first = false;
        out.push(b'[');
        out.extend_from_slice(f.label().as_bytes());
        if let (Flag::DuplicateAck, Some(d)) = (f, v.duplicate_ack) {
            let _ = write!(out, " {}#{}", d.frame.unwrap_or(0), d.number);
        }
        out.push(b']');
    }
}

/// A connection's analysis counts for the summary:
/// `retransmission=3,duplicate_ack=5`, or `-`.
pub fn analysis_counts(c: &Counts) -> String {
    let mut s = String::new();
    write_analysis_counts(&mut s, c);
    s
}

/// [`analysis_counts`], written to `out`.
fn write_analysis_counts(out: &mut impl std::fmt::Write, c: &Counts) {
    let mut any = false;
    for (f, n) in c.nonzero() {
        let _ = write!(out, "{}{}={n}", if any { "," } else { "" }, f.name());
        any = true;
    }
    if !any {
        let _ = out.write_char('-');
    }
}

/// The closing line of a text summary for one capture: what it contained.
pub fn totals_line(file: &str, t: &crate::engine::Totals) -> String {
    let n = |k: u64, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    let mut s = format!(
        "# {file}: {}, {}, {}",
        n(t.frames, "frame", "frames"),
        n(t.tcp_segments, "TCP segment", "TCP segments"),
        n(t.connections, "connection", "connections")
    );
    let skipped: Vec<String> = crate::engine::SKIP_KINDS
        .iter()
        .zip(t.skipped)
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{n} {}", crate::engine::skip_name(*k).replace('_', " ")))
        .collect();
    if t.icmp_quotes > 0 {
        s.push_str(&format!("; {} ICMP errors quoting TCP", t.icmp_quotes));
    }
    if t.reassembly.datagrams > 0 {
        s.push_str(&format!(
            "; {} datagrams reassembled from {} fragments",
            t.reassembly.datagrams, t.reassembly.fragments
        ));
    }
    if t.short_headers > 0 {
        s.push_str(&format!(
            "; {} TCP headers cut inside their options",
            t.short_headers
        ));
    }
    if !skipped.is_empty() {
        s.push_str("; not analysed: ");
        s.push_str(&skipped.join(", "));
    }
    if t.error.is_some() {
        s.push_str("; capture damaged (see stderr)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_row() -> Cells {
        let mut row = Cells::with_capacity(4);
        row.push("12", Tone::Plain);
        row.push("", Tone::Bold);
        row.push("ESTABLISHED→CLOSED é", Tone::State(TcpState::Established));
        row.push("lost final ACK", Tone::Severity(Severity::Warning));
        row
    }

    /// The table's lines as `format!` pads them (by characters): right- or
    /// left-aligned in the column's width, two spaces between, the last
    /// cell unpadded, a cell wider than its column pushing the rest right.
    fn padded_by_std(cells: &[&str], widths: &[usize], right: &[bool]) -> String {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let w = widths[i];
            s.push_str(&match (right[i], i == last) {
                (true, _) => format!("{c:>w$}"),
                (false, false) => format!("{c:<w$}"),
                (false, true) => c.to_string(),
            });
        }
        s + "\n"
    }

    /// Without colour (ASCII rows take the one-copy-a-cell path) and with
    /// it (the general path: plain cells carry no escapes).
    #[test]
    fn rows_are_padded_as_std_formatting_pads_them() {
        for color in [false, true] {
            rows_are_padded_with(color);
        }
    }

    fn rows_are_padded_with(color: bool) {
        let right = vec![true, false, false, true, false];
        let mut table = Table::new(
            vec!["N", "NAME", "STATE", "PKTS", "NOTE"],
            right.clone(),
            color,
        );
        let sample: [&[&str]; 2] = [
            &["1", "alpha", "ESTABLISHED", "10", "x"],
            &["22", "b", "CLOSED", "3", "a longer note"],
        ];
        let widths = [2, 5, 11, 4, 13];
        let later: [&[&str]; 6] = [
            &["333", "wider-than-its-column", "", "12345", "end"],
            &["4", "", "SYN_SENT", "", ""],
            &["5", "é→ü", "TIME_WAIT", "7", "ünïcode"],
            &["6", "x"],
            &[],
            &["7", "y", "z", "8", "w"],
        ];
        let mut out = Vec::new();
        let mut expected = padded_by_std(&["N", "NAME", "STATE", "PKTS", "NOTE"], &widths, &right);
        let row = |cells: &[&str]| {
            let mut r = Cells::with_capacity(cells.len());
            for c in cells {
                r.push(c, Tone::Plain);
            }
            r
        };
        for cells in sample {
            table.push(row(cells), &mut out).unwrap();
            expected += &padded_by_std(cells, &widths, &right);
        }
        table.flush(&mut out).unwrap();
        for cells in later {
            table.push(row(cells), &mut out).unwrap();
            expected += &padded_by_std(cells, &widths, &right);
        }
        let mut got = String::from_utf8(out).unwrap();
        if color {
            // Only the header is styled (bold): its escapes take no room.
            assert!(
                got.starts_with(" \u{1b}[1mN\u{1b}[0m  \u{1b}[1mNAME"),
                "{got:?}"
            );
            got = got.replace("\u{1b}[1m", "").replace("\u{1b}[0m", "");
        }
        assert_eq!(got, expected);
    }

    /// A row that waited on disk comes back as it was: every cell's text
    /// (empty, ASCII, not ASCII) and colour.
    #[test]
    fn rows_come_back_from_their_bytes_unchanged() {
        let row = a_row();
        let mut bytes = Vec::new();
        encode_row(&row, &mut bytes);
        assert_eq!(decode_row(&bytes), row);
        let mut none = Vec::new();
        encode_row(&Cells::default(), &mut none);
        assert_eq!(decode_row(&none), Cells::default());
    }

    /// Damaged bytes (a cell cut inside a character, a length past the
    /// end) still give cells, with U+FFFD where the text is not UTF-8.
    #[test]
    fn damaged_row_bytes_give_cells_without_panicking() {
        let mut bytes = Vec::new();
        encode_row(&a_row(), &mut bytes);
        // The third cell's text starts at byte 17 (a cell is its tone, its
        // length in 4 bytes, its text); its "→" (3 bytes) 11 bytes in. Cut
        // after the first byte of the arrow, length included.
        let third = (1 + 4 + 2) + (1 + 4) + (1 + 4);
        let mut cut = bytes[..third + 12].to_vec();
        cut[third - 4..third].copy_from_slice(&12u32.to_le_bytes());
        let row = decode_row(&cut);
        let texts: Vec<&str> = row.iter().map(|(t, _)| t).collect();
        assert_eq!(texts, ["12", "", "ESTABLISHED\u{fffd}"]);
        for n in 0..bytes.len() {
            let row = decode_row(&bytes[..n]);
            assert!(row.len() <= 4);
        }
    }

    /// `secs6` writes what the standard library's formatting writes in
    /// 128 bits, for times of every magnitude and both signs.
    #[test]
    fn durations_are_written_as_std_formatting_writes_them() {
        for ns in crate::output::times_of_every_magnitude() {
            let mut s = String::new();
            super::secs6(&mut s, ns);
            let abs = ns.unsigned_abs();
            let sign = if ns < 0 { "-" } else { "" };
            let expected = format!(
                "{sign}{}.{:06}",
                abs / 1_000_000_000,
                abs % 1_000_000_000 / 1000
            );
            assert_eq!(s, expected, "{ns}");
        }
    }
}
