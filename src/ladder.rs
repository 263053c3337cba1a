//! `tcpstate ladder`: one connection as a ladder (sequence) diagram.
//!
//! Two time lines, client and server; one arrow per segment from its sender
//! to its receiver, labelled with flags, relative seq/ack and length; beside
//! each line the endpoint's state after the segment (the timeline row's
//! state, never re-derived), emphasised where it changed, in italics where
//! the change rests on inference or a timer. Anomalies and Wireshark's
//! verdicts are written on their segment. Time runs down; the gap before a
//! segment takes room that grows with the logarithm of its length, so long
//! idle periods are compressed and marked with their duration.

use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord};
use crate::output::{self, flags_tcpdump};
use crate::report::{Settings, Status};
use crate::state::{Basis, TcpState};
use crate::vocab::{Direction, Role};
use maud::{Markup, html};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// `ladder` options.
#[derive(Clone, Debug)]
pub struct Options {
    /// The connection (`tcp.stream`); `None` with a `--where` selection.
    pub stream: Option<u64>,
    /// Where the SVG goes (`None`: a text ladder on standard output).
    pub output: Option<PathBuf>,
    /// The terminal's width, when standard output is one (the text ladder
    /// fits it; `COLUMNS` overrides it; 120 when neither says).
    pub width: Option<usize>,
}

/// One connection's segments, as the timeline gives them.
#[derive(Clone, Debug)]
pub struct Ladder {
    /// The capture.
    pub file: String,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The client's address and port.
    pub client: (IpAddr, u16),
    /// The server's address and port.
    pub server: (IpAddr, u16),
    /// States before the first segment.
    pub initial: [TcpState; 2],
    /// Its segments (the first [`MAX_SEGMENTS`] or the report's cap).
    pub rows: Vec<SegmentRecord>,
    /// Segments not drawn (past the cap).
    pub more: u64,
    /// Anomalies the connection raised that no segment row carries (those
    /// found when it finished), `(frame, id)`.
    pub late_anomalies: Vec<(u64, &'static str)>,
}

struct Collect<'a> {
    want: &'a [(u64, u64)],
    cap: usize,
    rows: Vec<(u64, Vec<SegmentRecord>, u64)>,
    conns: Vec<ConnectionRecord>,
    /// Stop once rows past every wanted stream's last frame arrived.
    stop_after: Option<u64>,
}

#[derive(Debug)]
struct Enough;
impl std::fmt::Display for Enough {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("enough segments read")
    }
}
impl std::error::Error for Enough {}

impl Consumer for Collect<'_> {
    fn capture_start(&mut self, _: i64) {}

    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        for r in records {
            if let Some(slot) = self.rows.iter_mut().find(|x| x.0 == r.stream) {
                if slot.1.len() < self.cap {
                    slot.1.push(r.clone());
                } else {
                    slot.2 += 1;
                }
            }
        }
        match (self.stop_after, records.last()) {
            (Some(f), Some(r)) if r.frame > f => Err(io::Error::other(Enough)),
            _ => Ok(()),
        }
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        if self.stop_after.is_none() {
            self.conns.extend(
                records
                    .iter()
                    .filter(|r| self.want.iter().any(|w| w.0 == r.stream))
                    .cloned(),
            );
        }
        Ok(())
    }
}

/// The rows of the given streams (`(stream, last frame)`) of one capture,
/// at most `cap` each; reading stops once they are all past.
/// Rows per wanted stream (with the count past the cap), the finished
/// connections, and the capture's damage.
type Rows = (
    Vec<(u64, Vec<SegmentRecord>, u64)>,
    Vec<ConnectionRecord>,
    Option<String>,
);

fn rows_of(
    file: &Path,
    want: &[(u64, u64)],
    cap: usize,
    stop_early: bool,
    settings: &Settings,
) -> Result<Rows, String> {
    let reader = crate::capture::CaptureReader::open(file).map_err(|e| e.to_string())?;
    let mut opts = settings.engine.clone();
    opts.segments = true;
    let mut c = Collect {
        want,
        cap,
        rows: want.iter().map(|w| (w.0, Vec::new(), 0)).collect(),
        conns: Vec::new(),
        stop_after: stop_early.then(|| want.iter().map(|w| w.1).max().unwrap_or(0)),
    };
    let damage = match engine::analyze(reader, &opts, &mut c, None) {
        Ok(t) => t.error.map(|e| e.to_string()),
        Err(e) if e.get_ref().is_some_and(|x| x.is::<Enough>()) => None,
        Err(e) => return Err(e.to_string()),
    };
    Ok((c.rows, c.conns, damage))
}

fn initial_states(rows: &[SegmentRecord]) -> [TcpState; 2] {
    let mut s = rows
        .first()
        .map_or([TcpState::Closed; 2], |r| r.outcome.state);
    if let Some(r) = rows.first() {
        // Before the first segment: the `from` of its first transitions.
        for role in [Role::Client, Role::Server] {
            if let Some(t) = r.outcome.transitions.iter().find(|t| t.endpoint == role) {
                s[role.index()] = t.from;
            }
        }
    }
    s
}

/// A connection whose ladder the report draws.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LadderRef {
    /// The capture.
    pub file: String,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// Its error-severity anomaly ids.
    pub anomalies: Vec<&'static str>,
    #[serde(skip)]
    /// Its last frame (the ladder needs the capture up to there).
    pub last_frame: u64,
    #[serde(skip)]
    /// Client and server (address, port).
    pub ends: [(std::net::IpAddr, u16); 2],
}

/// The ladders of the report: the rows of each connection named, read
/// again from its capture (only as far as needed).
pub fn collect_for_report(refs: &[LadderRef], settings: &Settings, cap: usize) -> Vec<Ladder> {
    let mut files: Vec<&str> = Vec::new();
    for r in refs {
        if !files.contains(&r.file.as_str()) {
            files.push(&r.file);
        }
    }
    let mut out = Vec::new();
    // Standard input cannot be read again.
    for f in files.into_iter().filter(|f| *f != "-") {
        let mine: Vec<&LadderRef> = refs.iter().filter(|r| r.file == f).collect();
        let want: Vec<(u64, u64)> = mine.iter().map(|r| (r.stream, r.last_frame)).collect();
        let Ok((rows, _, _)) = rows_of(Path::new(f), &want, cap, true, settings) else {
            continue;
        };
        for (r, (stream, rows, more)) in mine.iter().zip(rows) {
            out.push(Ladder {
                file: f.to_string(),
                stream,
                client: r.ends[0],
                server: r.ends[1],
                initial: initial_states(&rows),
                rows,
                more,
                late_anomalies: Vec::new(),
            });
        }
    }
    // In the order the report lists them.
    out.sort_by_key(|l| {
        refs.iter()
            .position(|r| r.file == l.file && r.stream == l.stream)
            .unwrap_or(usize::MAX)
    });
    out
}

/// The ladder of one stream of a capture.
pub fn build(
    file: &Path,
    stream: u64,
    cap: usize,
    settings: &Settings,
) -> Result<(Ladder, Option<String>), String> {
    let (mut rows, conns, damage) = rows_of(file, &[(stream, u64::MAX)], cap, false, settings)?;
    let conn = conns
        .into_iter()
        .find(|c| c.stream == stream)
        .ok_or_else(|| format!("{}: no stream {stream} (tcp.stream)", file.display()))?;
    let (_, rows, more) = rows.remove(0);
    let on_rows: Vec<(u64, &'static str)> = rows
        .iter()
        .flat_map(|r| r.outcome.anomalies.iter().map(|a| (a.frame, a.kind.id())))
        .collect();
    let late = conn
        .anomalies
        .iter()
        .map(|a| (a.frame, a.kind.id()))
        .filter(|a| !on_rows.contains(a))
        .collect();
    let c = &conn;
    Ok((
        Ladder {
            file: file.display().to_string(),
            stream,
            client: (c.ends[0].addr, c.ends[0].port),
            server: (c.ends[1].addr, c.ends[1].port),
            initial: c.initial_state(),
            rows,
            more,
            late_anomalies: late,
        },
        damage,
    ))
}

/// A segment's label: flags, relative seq and ack, length. An event row (no
/// segment: a timer expired, or a new SYN reopened the 4-tuple) says which.
pub fn segment_label(r: &SegmentRecord) -> String {
    if r.event {
        let timer = r
            .outcome
            .transitions
            .iter()
            .any(|t| t.basis == Basis::Timer);
        return if timer {
            "timer expired (no segment)".to_string()
        } else {
            "4-tuple reopened by a new SYN".to_string()
        };
    }
    let mut f = String::new();
    flags_tcpdump(r.flags, &mut f);
    format!(
        "[{f}] seq {} ack {} len {}",
        r.outcome.rel_seq, r.outcome.rel_ack, r.payload_len
    )
}

/// What is written beside a segment: anomalies, then Wireshark's verdicts.
pub fn notes(r: &SegmentRecord) -> Vec<String> {
    let mut v: Vec<String> = r
        .outcome
        .anomalies
        .iter()
        .map(|a| format!("⚠ {}", a.kind.id()))
        .collect();
    for f in r.analysis.flags.iter() {
        v.push(format!("[{}]", f.label()));
    }
    v
}

/// At most two lines of notes beside a segment (the room between two
/// segments): the second says how many more there are.
fn two_lines(mut v: Vec<String>) -> Vec<String> {
    if v.len() > 2 {
        let more = v.len() - 1;
        v.truncate(1);
        v.push(format!("+{more} more (tcpstate timeline)"));
    }
    v
}

/// How the state of `role` after row `r` is known: the basis of its
/// transition on that row (`None`: unchanged).
fn change(r: &SegmentRecord, role: Role) -> Option<Basis> {
    r.outcome
        .transitions
        .iter()
        .rev()
        .find(|t| t.endpoint == role)
        .map(|t| t.basis)
}

fn addr((ip, port): (IpAddr, u16)) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        v4 => format!("{v4}:{port}"),
    }
}

/// Vertical layout: the y of each segment's arrow start.
fn layout(rows: &[SegmentRecord]) -> (Vec<f64>, Vec<Option<i64>>) {
    let mut ys = Vec::with_capacity(rows.len());
    let mut gaps = Vec::with_capacity(rows.len());
    let mut y = 90.0;
    let mut prev: Option<i64> = None;
    for r in rows {
        let gap = prev.map_or(0, |p| (r.ts_ns - p).max(0));
        // Room grows with the log of the gap: 1 µs and less adds nothing,
        // each factor of ten 9 px more, at most 60 px.
        let extra = if gap > 1_000 {
            ((gap as f64 / 1_000.0).log10() * 9.0).min(60.0)
        } else {
            0.0
        };
        // Whole pixels: coordinates print short and exact.
        y += if prev.is_some() {
            (34.0 + extra).round()
        } else {
            0.0
        };
        ys.push(y);
        gaps.push((gap >= 1_000_000_000).then_some(gap));
        prev = Some(r.ts_ns);
    }
    (ys, gaps)
}

/// Width of the drawing.
pub const W: f64 = 1100.0;
const CX: f64 = 300.0;
const SX: f64 = 620.0;

fn seconds(ns: i64) -> String {
    let mut v = Vec::new();
    output::seconds(ns, &mut v);
    String::from_utf8_lossy(&v).into_owned()
}

/// The ladder as an SVG element (styled by [`CSS`]).
pub fn svg(l: &Ladder) -> Markup {
    let (ys, gaps) = layout(&l.rows);
    let bottom = ys.last().copied().unwrap_or(90.0) + 60.0 + 14.0 * l.late_anomalies.len() as f64;
    let t0 = l.rows.first().map_or(0, |r| r.ts_ns);
    let prev_of = |i: usize| {
        if i == 0 {
            l.initial
        } else {
            l.rows[i - 1].outcome.state
        }
    };
    let prev = l.initial;
    // Marker ids are unique in a page that holds several ladders.
    let head_id = format!("lhead-{:x}", fnv(&l.file, l.stream));
    let head_url = format!("url(#{head_id})");
    html! {
        svg class="ladder" xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (W) " " (bottom)} width=(W) height=(bottom)
            role="img" aria-label={"Ladder of tcp.stream " (l.stream)} data-stream=(l.stream) {
            text class="title" x="10" y="18" { (l.file) " · tcp.stream eq " (l.stream) }
            text class="who client" x=(CX + 20.0) y="32" text-anchor="end" { "client" }
            text class="addr client" x=(CX + 20.0) y="46" text-anchor="end" { (addr(l.client)) }
            text class="who server" x=(SX - 20.0) y="32" { "server" }
            text class="addr server" x=(SX - 20.0) y="46" { (addr(l.server)) }
            text class="state" x=(CX - 12.0) y="70" text-anchor="end" { (prev[0].name()) }
            text class="state" x=(SX + 12.0) y="70" { (prev[1].name()) }
            line class="life client" x1=(CX) y1="54" x2=(CX) y2=(bottom - 20.0) {}
            line class="life server" x1=(SX) y1="54" x2=(SX) y2=(bottom - 20.0) {}
            @for (i, r) in l.rows.iter().enumerate() {
                @let y = ys[i];
                @let c2s = r.outcome.direction == Direction::ClientToServer;
                @let (x1, x2) = if c2s { (CX, SX) } else { (SX, CX) };
                @let notes = two_lines(notes(r));
                @let states = r.outcome.state;
                @if let Some(g) = gaps[i] {
                    text class="gap" x=((CX + SX) / 2.0) y=(y - 20.0) text-anchor="middle" { "≈ " (seconds(g)) " s later" }
                }
                g class={"segment " (if c2s { "c2s" } else { "s2c" })} data-frame=(r.frame) {
                    text class="frame" x="10" y=(y + 10.0) { "#" (r.frame) }
                    text class="time" x="10" y=(y + 22.0) { "+" (seconds(r.ts_ns - t0)) }
                    @if !r.event {
                        line class={"arrow " (if c2s { "client" } else { "server" })} x1=(x1) y1=(y) x2=(x2) y2=(y + 16.0) marker-end=(head_url) {}
                    }
                    text class="label" x=((CX + SX) / 2.0) y=(y - 3.0) text-anchor="middle" { (segment_label(r)) }
                    @for (k, role) in [Role::Client, Role::Server].into_iter().enumerate() {
                        @let changed = states[k] != prev_of(i)[k] || change(r, role).is_some();
                        @let basis = change(r, role);
                        @let soft = matches!(basis, Some(Basis::Inferred | Basis::Timer | Basis::Revised));
                        @let cls = if changed { if soft { "state changed soft" } else { "state changed" } } else { "state" };
                        @let (x, anchor) = if k == 0 { (CX - 12.0, "end") } else { (SX + 12.0, "start") };
                        @let unsure = r.outcome.uncertain[k];
                        text class=(if unsure.is_some() { format!("{cls} uncertain") } else { cls.to_string() }) x=(x) y=(y + 14.0) text-anchor=(anchor) {
                            title { @if let Some(alt) = unsure { "uncertain: rests only on an assumed receipt the peer's retransmission speaks against; else " (alt.name()) } }
                            (states[k].name()) @if unsure.is_some() { "?" }
                            @if changed { @if let Some(b) = basis { @if soft { " (" (b.name()) ")" } } }
                        }
                    }
                    @for (j, n) in notes.iter().enumerate() {
                        text class={"note" (if n.starts_with('⚠') { " anomaly" } else { "" })} x=(SX + 165.0) y=(y + 4.0 + 13.0 * j as f64) { (n) }
                    }
                }
            }
            @if l.more > 0 {
                text class="gap" x=((CX + SX) / 2.0) y=(bottom - 30.0 - 14.0 * l.late_anomalies.len() as f64) text-anchor="middle" { "… " (l.more) " more segments (tcpstate ladder -s " (l.stream) ")" }
            }
            @for (j, (frame, id)) in l.late_anomalies.iter().enumerate() {
                text class="note anomaly" x="10" y=(bottom - 30.0 - 14.0 * (l.late_anomalies.len() - 1 - j) as f64 + 14.0) { "⚠ " (id) " (frame " (frame) ", found when the connection ended)" }
            }
            defs {
                marker id=(head_id) viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse" {
                    path class="lhead" d="M0,0 L10,5 L0,10 z" {}
                }
            }
        }
    }
}

/// A short hash of a ladder's file and stream (FNV-1a), for element ids.
fn fnv(file: &str, stream: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in file.bytes().chain(stream.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The ladder's style (colour-blind-safe, light and dark).
pub const CSS: &str = r#"
svg.ladder text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11px; fill: var(--fg); }
svg.ladder .label, svg.ladder .gap { paint-order: stroke; stroke: var(--bg); stroke-width: 4px; stroke-linejoin: round; }
svg.ladder .title { font-weight: 700; font-size: 12px; }
svg.ladder .who { font-weight: 700; font-size: 12px; }
svg.ladder .who.client, svg.ladder .addr.client { fill: var(--client); } svg.ladder .who.server, svg.ladder .addr.server { fill: var(--server); }
svg.ladder line.life { stroke: var(--muted); stroke-width: 2; }
svg.ladder line.arrow { stroke-width: 1.5; }
svg.ladder line.arrow.client { stroke: var(--client); } svg.ladder line.arrow.server { stroke: var(--server); }
svg.ladder .lhead { fill: var(--fg); }
svg.ladder .state { fill: var(--muted); }
svg.ladder .state.changed { fill: var(--fg); font-weight: 700; }
svg.ladder .state.soft { font-style: italic; font-weight: 400; fill: var(--inferred); }
svg.ladder .state.uncertain { text-decoration: underline dotted; }
svg.ladder .note { fill: var(--muted); } svg.ladder .note.anomaly { fill: var(--unusual); font-weight: 700; }
svg.ladder .frame, svg.ladder .time, svg.ladder .gap { fill: var(--muted); }
"#;

/// A standalone SVG file.
pub fn standalone(l: &Ladder) -> String {
    let inner = svg(l).into_string();
    let style = format!(
        "<style>{}{}svg {{ background: var(--bg); }}</style>",
        crate::output::picture::CSS.replace(":root", "svg"),
        CSS
    );
    match inner.find('>') {
        Some(i) => format!("{}{}{}", &inner[..=i], style, &inner[i + 1..]),
        None => inner,
    }
}

/// The text ladder, fitting `width` columns.
pub fn text(l: &Ladder, width: usize) -> String {
    let width = width.max(60);
    let mut out = format!(
        "{} · tcp.stream eq {}\nclient {}  ⇄  server {}\n",
        l.file,
        l.stream,
        addr(l.client),
        addr(l.server)
    );
    let sw = 14; // state column
    let t0 = l.rows.first().map_or(0, |r| r.ts_ns);
    let mut prev = l.initial;
    let fixed = 8 + 1 + sw + 2 + 2 + sw;
    let mid = width.saturating_sub(fixed).clamp(20, 44);
    for r in &l.rows {
        let st = r.outcome.state;
        let mark = |k: usize, role: Role| -> String {
            let soft = matches!(
                change(r, role),
                Some(Basis::Inferred | Basis::Timer | Basis::Revised)
            );
            let s = st[k].name();
            if r.outcome.uncertain[k].is_some() {
                // The timeline's mark: it rests only on an assumed receipt
                // with evidence against it.
                format!("{s}?")
            } else if st[k] != prev[k] || change(r, role).is_some() {
                if soft {
                    format!("{s}~")
                } else {
                    format!("{s}*")
                }
            } else {
                s.to_string()
            }
        };
        let label = segment_label(r);
        let label: String = label.chars().take(mid.saturating_sub(4)).collect();
        let pad = mid.saturating_sub(label.chars().count() + 2);
        let (l1, l2) = (pad / 2, pad - pad / 2);
        let arrow = if r.event {
            format!("{}{label}{}", "┄".repeat(l1 + 1), "┄".repeat(l2 + 1))
        } else if r.outcome.direction == Direction::ClientToServer {
            format!("{}{label}{}▶", "─".repeat(l1 + 1), "─".repeat(l2))
        } else {
            format!("◀{}{label}{}", "─".repeat(l1), "─".repeat(l2 + 1))
        };
        let mut line = format!(
            "{:>8} {:>sw$} {arrow} {:<sw$}",
            format!("#{}", r.frame),
            mark(0, Role::Client),
            mark(1, Role::Server),
        );
        let n = notes(r).join(" ");
        let room = width.saturating_sub(line.chars().count() + 1);
        if !n.is_empty() && room > 3 {
            line.push(' ');
            line.extend(n.chars().take(room));
        }
        out.push_str(line.trim_end());
        out.push('\n');
        let _ = seconds(r.ts_ns - t0);
        prev = st;
    }
    if l.more > 0 {
        out.push_str(&format!("… {} more segments\n", l.more));
    }
    for (f, id) in &l.late_anomalies {
        out.push_str(&format!(
            "⚠ {id} (frame {f}, found when the connection ended)\n"
        ));
    }
    out.push_str("* changed, seen on the wire   ~ changed, inferred or by a timer   ? uncertain\n");
    // Nothing wider than the terminal.
    out.lines()
        .map(|l| l.chars().take(width).collect::<String>() + "\n")
        .collect()
}

/// Segments drawn at most by `tcpstate ladder`.
pub const MAX_SEGMENTS: usize = 5000;

/// `tcpstate ladder FILE -s N [-o FILE]`.
pub fn run(
    file: &Path,
    opts: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let stream = match (opts.stream, settings.select.as_deref()) {
        (Some(s), _) => s,
        (None, Some(sel)) => match crate::select::matching_streams(file, sel, &settings.engine) {
            Ok(v) if !v.is_empty() => {
                if v.len() > 1 {
                    writeln!(
                        err,
                        "tcpstate: {} connections match; drawing tcp.stream {} (use -s for another)",
                        v.len(),
                        v[0]
                    )?;
                }
                v[0]
            }
            Ok(_) => {
                writeln!(
                    err,
                    "tcpstate: no connection matches --where '{}'",
                    sel.text()
                )?;
                return Ok(Status::InputProblem);
            }
            Err(e) => {
                writeln!(err, "tcpstate: {e}")?;
                return Ok(Status::InputProblem);
            }
        },
        (None, None) => {
            writeln!(err, "tcpstate: ladder needs -s STREAM or --where EXPR")?;
            return Ok(Status::InputProblem);
        }
    };
    let (ladder, damage) = match build(file, stream, MAX_SEGMENTS, settings) {
        Ok(l) => l,
        Err(e) => {
            writeln!(err, "tcpstate: {e}")?;
            return Ok(Status::InputProblem);
        }
    };
    let status = if let Some(d) = damage {
        writeln!(err, "tcpstate: {d}")?;
        Status::InputProblem
    } else {
        Status::Ok
    };
    match &opts.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, standalone(&ladder)) {
                writeln!(err, "tcpstate: cannot write {}: {e}", p.display())?;
                return Ok(Status::InputProblem);
            }
        }
        None => {
            let width = std::env::var("COLUMNS")
                .ok()
                .and_then(|c| c.parse().ok())
                .or(opts.width)
                .unwrap_or(120);
            out.write_all(text(&ladder, width).as_bytes())?;
            out.flush()?;
        }
    }
    Ok(status)
}
