//! `tcpstate netstat`: every endpoint's state at one moment, as `ss -tan`
//! would list it on each host, and the series of state counts over time
//! that the report's chart is drawn from.
//!
//! Nothing is re-derived here: an endpoint's state at a moment is the `to`
//! of the replay's last transition of that endpoint at or before it (each
//! transition carries its frame and its time, a timer's being the moment it
//! expired), or the state the capture first saw it in. A TIME_WAIT still
//! running when the capture ended ends at the deadline the replay set, by
//! the state machine's own timeout step.

use crate::consumer::Transition;
use crate::engine::ConnectionSummary;
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord};
use crate::output::{self, json};
use crate::report::{Settings, Status};
use crate::state::{self, Basis, Event, TcpState};
use crate::vocab::Role;
use std::io::{self, Write};
use std::path::Path;

/// A moment of the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    /// Capture time, ns since the epoch.
    Time(i64),
    /// Seconds after the first frame, in ns (`+SECONDS`).
    AfterStart(i64),
    /// Just after this frame (Wireshark's `frame.number`).
    Frame(u64),
}

/// Parses `--at`: epoch seconds with a fraction (`1700000000.25`), an ISO
/// 8601 time (`2023-11-14T22:13:20.25Z`), or `+SECONDS` after the first frame.
pub fn parse_time(s: &str) -> Result<Moment, String> {
    let bad = || {
        format!(
            "--at {s}: expected epoch seconds (1700000000.25), an ISO 8601 time \
             (2023-11-14T22:13:20.25Z) or +SECONDS after the first frame"
        )
    };
    if let Some(rel) = s.strip_prefix('+') {
        return seconds_ns(rel).map(Moment::AfterStart).ok_or_else(bad);
    }
    if let Some(ns) = seconds_ns(s) {
        return Ok(Moment::Time(ns));
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return i64::try_from(t.as_nanosecond())
            .map(Moment::Time)
            .map_err(|_| bad());
    }
    Err(bad())
}

/// Decimal seconds (no exponent) to ns, exactly.
fn seconds_ns(s: &str) -> Option<i64> {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 9
    {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut f: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..9 {
        f *= 10;
    }
    whole.checked_mul(1_000_000_000)?.checked_add(f)
}

/// Parses `--every`: a number with a unit (`ns`, `us`, `ms`, `s`, `m`,
/// `h`; seconds without one), as ns.
pub fn parse_interval(s: &str) -> Result<i64, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mul: i64 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "" | "s" => 1_000_000_000,
        "m" | "min" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => {
            return Err(format!(
                "--every {s}: unknown unit `{unit}` (ns, us, ms, s, m, h)"
            ));
        }
    };
    let ns = seconds_ns(num)
        .and_then(|n| i128::from(n).checked_mul(i128::from(mul)))
        .map(|n| n / 1_000_000_000)
        .and_then(|n| i64::try_from(n).ok());
    match ns {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "--every {s}: expected a positive interval such as 1s or 250ms"
        )),
    }
}

/// One endpoint at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointAt {
    /// Client or server.
    pub role: Role,
    /// Its state at the moment.
    pub state: TcpState,
    /// How its state is known: the basis of the transition into it; `None`
    /// when it is the state the capture first saw it in (inferred from the
    /// first segment).
    pub basis: Option<Basis>,
    /// When it entered the state (capture time; the connection's first
    /// timestamp for a state it was first seen in).
    pub since_ns: i64,
    /// Set when the state is uncertain (see
    /// [`EndpointSummary::uncertain`](crate::engine::EndpointSummary::uncertain)): the state it would be in had the receipt
    /// it rests on not happened.
    pub uncertain: Option<TcpState>,
}

/// The states of client and server of `c` just after moment `m` (a
/// [`Moment::AfterStart`] must be resolved to a time first). `None` when the
/// connection had not begun.
pub fn states_at(c: &ConnectionSummary, m: Moment) -> Option<[EndpointAt; 2]> {
    let upto = |x: &Transition| match m {
        Moment::Time(t) | Moment::AfterStart(t) => x.ts <= t,
        Moment::Frame(f) => x.frame <= f,
    };
    let begun = match m {
        Moment::Time(t) | Moment::AfterStart(t) => c.first_ts <= t,
        Moment::Frame(f) => c.first_frame <= f,
    };
    if !begun {
        return None;
    }
    let mut out = [Role::Client, Role::Server].map(|role| EndpointAt {
        role,
        state: c.ends[role.index()].initial_state,
        basis: None,
        since_ns: c.first_ts,
        uncertain: None,
    });
    let mut all = [true, true];
    for t in &c.lifecycle {
        let e = t.endpoint.index();
        if upto(t) {
            out[e].state = t.to;
            out[e].basis = Some(t.basis);
            out[e].since_ns = t.ts;
        } else {
            all[e] = false;
        }
    }
    // The endpoint's last state may be uncertain; the replay says so of the
    // state it ended in.
    for i in 0..2 {
        if all[i] && out[i].state == c.ends[i].state {
            out[i].uncertain = c.ends[i].uncertain;
        }
    }
    // A TIME_WAIT the capture ended in expires at the deadline the replay set.
    if let Moment::Time(t) | Moment::AfterStart(t) = m {
        for (i, ep) in c.ends.iter().enumerate() {
            if all[i] && out[i].state == TcpState::TimeWait {
                if let Some(d) = ep.time_wait_deadline.filter(|&d| d <= t) {
                    let step = state::step(TcpState::TimeWait, ep.origin, Event::TimeWaitTimeout);
                    out[i].state = step.to;
                    out[i].basis = Some(Basis::Timer);
                    out[i].since_ns = d;
                    out[i].uncertain = None;
                }
            }
        }
    }
    Some(out)
}

/// Whether an endpoint in `s` holds a connection (`ss -tan` lists it).
pub fn holds_connection(s: TcpState) -> bool {
    !s.is_terminal()
}

/// The state as `ss` prints it.
pub fn ss_name(s: TcpState) -> &'static str {
    match s {
        TcpState::Closed => "CLOSED",
        TcpState::Listen => "LISTEN",
        TcpState::SynSent => "SYN-SENT",
        TcpState::SynReceived => "SYN-RECV",
        TcpState::Established => "ESTAB",
        TcpState::FinWait1 => "FIN-WAIT-1",
        TcpState::FinWait2 => "FIN-WAIT-2",
        TcpState::CloseWait => "CLOSE-WAIT",
        TcpState::Closing => "CLOSING",
        TcpState::LastAck => "LAST-ACK",
        TcpState::TimeWait => "TIME-WAIT",
    }
}

/// The basis as printed: how the state is known.
pub fn basis_name(b: Option<Basis>) -> &'static str {
    b.map_or("first-seen", Basis::name)
}

/// The states a chart counts: those of an endpoint holding a connection.
pub const CHART_STATES: [TcpState; 9] = [
    TcpState::SynSent,
    TcpState::SynReceived,
    TcpState::Established,
    TcpState::FinWait1,
    TcpState::FinWait2,
    TcpState::CloseWait,
    TcpState::Closing,
    TcpState::LastAck,
    TcpState::TimeWait,
];

fn chart_index(s: TcpState) -> Option<usize> {
    CHART_STATES.iter().position(|&x| x == s)
}

/// Counts of endpoints per role and state, sampled every `width_ns` from
/// the capture's first timestamp: sample k is the state at `t0 + k·width`.
///
/// Kept as differences between consecutive samples, so that a connection
/// adds its stays as it finishes (in any order) and memory is bounded by
/// the number of samples. With [`Series::adaptive`], the width doubles
/// whenever more than `max_samples` would be needed; a doubled series is
/// exactly the finer one sampled at every other point.
#[derive(Clone, Debug)]
pub struct Series {
    /// The moment of sample 0 (the capture's first timestamp).
    pub t0: i64,
    /// Time between samples.
    pub width_ns: i64,
    adaptive: bool,
    max_samples: usize,
    /// `delta[k][role][state]`: change from sample k-1 to sample k.
    delta: Vec<[[i64; 9]; 2]>,
}

/// One sample: the time and the counts `[role][CHART_STATES index]`.
pub type Sample = (i64, [[u64; 9]; 2]);

impl Series {
    /// Fixed width (`--every`); errors past `max_samples` samples.
    pub fn fixed(t0: i64, width_ns: i64, max_samples: usize) -> Series {
        Series {
            t0,
            width_ns: width_ns.max(1),
            adaptive: false,
            max_samples,
            delta: Vec::new(),
        }
    }

    /// Starts at 1 ms and doubles as needed to stay within `max_samples`.
    pub fn adaptive(t0: i64, max_samples: usize) -> Series {
        Series {
            t0,
            width_ns: 1_000_000,
            adaptive: true,
            max_samples: max_samples.max(2),
            delta: Vec::new(),
        }
    }

    /// The index of the first sample at or after `t`.
    fn index(&self, t: i64) -> u64 {
        let d = i128::from(t) - i128::from(self.t0);
        if d <= 0 {
            return 0;
        }
        let w = i128::from(self.width_ns);
        ((d + w - 1) / w) as u64
    }

    /// Makes sample `k` addressable; false when a fixed series would exceed
    /// its limit.
    fn reach(&mut self, t: i64) -> bool {
        loop {
            let k = self.index(t);
            if (k as usize) < self.delta.len() {
                return true;
            }
            if k < self.max_samples as u64 {
                self.delta.resize(k as usize + 1, [[0; 9]; 2]);
                return true;
            }
            if !self.adaptive {
                return false;
            }
            self.coarsen();
        }
    }

    fn coarsen(&mut self) {
        let old = std::mem::take(&mut self.delta);
        let mut new = vec![[[0i64; 9]; 2]; old.len() / 2 + 1];
        for (k, d) in old.iter().enumerate() {
            let j = k.div_ceil(2);
            for r in 0..2 {
                for s in 0..9 {
                    new[j][r][s] += d[r][s];
                }
            }
        }
        self.delta = new;
        self.width_ns = self.width_ns.saturating_mul(2);
    }

    /// Extends the series to cover `t` (the capture's last timestamp).
    pub fn cover(&mut self, t: i64) -> bool {
        self.reach(t)
    }

    /// Adds one stay of `role` in `state` over `[from, to)` (`to`: `None`
    /// for a stay that lasts to the end).
    fn stay(&mut self, role: Role, state: TcpState, from: i64, to: Option<i64>) -> bool {
        let Some(s) = chart_index(state) else {
            return true;
        };
        if to.is_some_and(|to| to <= from) {
            return true;
        }
        if !self.reach(from) || to.is_some_and(|to| !self.reach(to)) {
            return false;
        }
        let a = self.index(from);
        let b = to.map(|to| self.index(to));
        if b == Some(a) {
            return true; // between two samples: never seen by one
        }
        self.delta[a as usize][role.index()][s] += 1;
        if let Some(b) = b {
            self.delta[b as usize][role.index()][s] -= 1;
        }
        true
    }

    /// Adds a finished connection's stays. False when a fixed series would
    /// need more than its samples.
    pub fn add(&mut self, c: &ConnectionSummary) -> bool {
        let mut ok = true;
        for_each_stay(c, |role, state, from, to| {
            ok &= self.stay(role, state, from, to);
        });
        ok
    }

    /// Adds a connection's stays from its row of results (as [`Series::add`]).
    pub fn add_row(&mut self, c: &crate::output::rows::ConnectionRow) -> bool {
        let mut ok = true;
        c.for_each_stay(|role, state, from, to| {
            ok &= self.stay(role, state, from, to);
        });
        ok
    }

    /// The samples.
    pub fn samples(&self) -> Vec<Sample> {
        let mut cur = [[0i64; 9]; 2];
        self.delta
            .iter()
            .enumerate()
            .map(|(k, d)| {
                for r in 0..2 {
                    for s in 0..9 {
                        cur[r][s] += d[r][s];
                    }
                }
                let t = self
                    .t0
                    .saturating_add((k as i64).saturating_mul(self.width_ns));
                (t, cur.map(|r| r.map(|n| n.max(0) as u64)))
            })
            .collect()
    }
}

/// Calls `f(role, state, from, to)` for every stay of an endpoint of `c` in
/// one state: from the connection's first timestamp in its initial state,
/// then from each transition. `to` is `None` for the last stay of an
/// endpoint (it lasted to the end of what the capture shows).
pub fn for_each_stay(c: &ConnectionSummary, f: impl FnMut(Role, TcpState, i64, Option<i64>)) {
    c.for_each_stay(f);
}

/// What `netstat` lists: the endpoints of one connection at the moment.
#[derive(Clone, Debug)]
struct Row {
    stream: u64,
    conn_first_frame: u64,
    local: (std::net::IpAddr, u16),
    peer: (std::net::IpAddr, u16),
    at: EndpointAt,
    /// Listed (it holds a connection, or `--all` and not yet forgotten).
    listed: bool,
}

/// `netstat` options.
#[derive(Clone, Debug)]
pub struct Options {
    /// The moment (`--at`, `--frame`).
    pub at: Option<Moment>,
    /// The interval of a series (`--every`), ns.
    pub every_ns: Option<i64>,
    /// Also list endpoints without a connection (CLOSED, LISTEN).
    pub all: bool,
}

/// Collects connections' endpoints at a moment, or the series.
struct Sink<'a> {
    opts: &'a Options,
    first_ts: Option<i64>,
    rows: Vec<Row>,
    /// Connections that begin after the moment: the rest cannot matter
    /// until a `+SECONDS` moment is resolved.
    pending: Vec<ConnectionRecord>,
    series: Option<Series>,
    too_many: bool,
}

const MAX_SAMPLES: usize = 1_000_000;

impl<'a> Sink<'a> {
    fn new(opts: &'a Options) -> Sink<'a> {
        Sink {
            opts,
            first_ts: None,
            rows: Vec::new(),
            pending: Vec::new(),
            series: None,
            too_many: false,
        }
    }

    fn moment(&self) -> Option<Moment> {
        match self.opts.at? {
            Moment::AfterStart(d) => self.first_ts.map(|t| Moment::Time(t.saturating_add(d))),
            m => Some(m),
        }
    }

    fn take(&mut self, r: &ConnectionRecord, m: Moment) {
        let Some(eps) = states_at(r, m) else {
            return;
        };
        let linger_over = match m {
            Moment::Time(t) | Moment::AfterStart(t) => {
                r.last_ts <= t
                    && eps.iter().all(|e| e.state.is_terminal())
                    && r.lifecycle.iter().all(|x| x.ts <= t)
            }
            Moment::Frame(f) => r.last_frame <= f && eps.iter().all(|e| e.state.is_terminal()),
        };
        for e in eps {
            let listed = holds_connection(e.state) || self.opts.all && !linger_over;
            let me = &r.ends[e.role.index()];
            let peer = &r.ends[e.role.peer().index()];
            self.rows.push(Row {
                stream: r.stream,
                conn_first_frame: r.first_frame,
                local: (me.addr, me.port),
                peer: (peer.addr, peer.port),
                at: e,
                listed,
            });
        }
    }
}

impl Consumer for Sink<'_> {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = Some(first_ts);
        if let Some(w) = self.opts.every_ns {
            self.series = Some(Series::fixed(first_ts, w, MAX_SAMPLES));
        }
    }

    fn segments(&mut self, _: &[SegmentRecord]) -> io::Result<()> {
        Ok(())
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        for r in records {
            if let Some(s) = self.series.as_mut() {
                if !s.add(r) {
                    self.too_many = true;
                }
            }
            if let Some(m) = self.moment() {
                self.take(r, m);
            } else if self.opts.at.is_some() {
                self.pending.push(r.clone());
            }
        }
        Ok(())
    }
}

/// The rows of `netstat --at`: every endpoint of every connection the
/// capture knows at the moment, ordered by stream, client first.
pub fn endpoints_at(
    file: &Path,
    at: Moment,
    all: bool,
    settings: &Settings,
) -> Result<(Vec<EndpointRow>, engine::Totals), String> {
    let reader = crate::capture::CaptureReader::open(file).map_err(|e| e.to_string())?;
    let opts = Options {
        at: Some(at),
        every_ns: None,
        all,
    };
    let mut sink = Sink::new(&opts);
    let totals = engine::analyze(
        reader,
        &settings.engine,
        &mut sink,
        settings.progress.clone(),
    )
    .map_err(|e| e.to_string())?;
    let rows = finish_rows(&mut sink);
    Ok((rows, totals))
}

/// One endpoint listed by `netstat`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointRow {
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The endpoint's own address and port.
    pub local: (std::net::IpAddr, u16),
    /// Its peer's address and port.
    pub peer: (std::net::IpAddr, u16),
    /// Its state, and how it is known.
    pub at: EndpointAt,
}

fn finish_rows(sink: &mut Sink) -> Vec<EndpointRow> {
    if let Some(m) = sink.moment() {
        for r in std::mem::take(&mut sink.pending) {
            sink.take(&r, m);
        }
    }
    let mut rows = std::mem::take(&mut sink.rows);
    // One incarnation per 4-tuple endpoint: the latest begun (a new
    // incarnation ends the one before; the replay retires it).
    rows.sort_by_key(|r| (r.local, r.peer, std::cmp::Reverse(r.conn_first_frame)));
    rows.dedup_by_key(|r| (r.local, r.peer));
    rows.retain(|r| r.listed);
    rows.sort_by_key(|r| (r.stream, r.at.role));
    rows.into_iter()
        .map(|r| EndpointRow {
            stream: r.stream,
            local: r.local,
            peer: r.peer,
            at: r.at,
        })
        .collect()
}

/// Left-aligned columns, two spaces apart, under a header.
pub fn columns(header: &[&str], rows: &[Vec<String>], out: &mut Vec<u8>) {
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            w[i] = w[i].max(c.chars().count());
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            l.push_str(c);
            if i + 1 < w.len() {
                l.extend(std::iter::repeat_n(' ', w[i] - c.chars().count()));
            }
        }
        out.extend_from_slice(l.trim_end().as_bytes());
        out.push(b'\n');
    };
    line(&mut header.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
}

fn addr(a: &(std::net::IpAddr, u16)) -> String {
    match a.0 {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", a.1),
        ip => format!("{ip}:{}", a.1),
    }
}

/// `tcpstate netstat FILE --at TIME|--frame N|--every INTERVAL`.
pub fn run(
    file: &Path,
    opts: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let jsonl = match settings.format {
        output::Format::Text => false,
        output::Format::Jsonl => true,
        _ => {
            writeln!(err, "tcpstate: netstat writes --format text or jsonl")?;
            return Ok(Status::InputProblem);
        }
    };
    let name = file.display().to_string();
    let mut file_json = Vec::new();
    json::string(&mut file_json, &name);
    let reader = match crate::capture::CaptureReader::open(file) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "tcpstate: {e}")?;
            return Ok(Status::InputProblem);
        }
    };
    let mut sink = Sink::new(opts);
    let totals = engine::analyze(
        reader,
        &settings.engine,
        &mut sink,
        settings.progress.clone(),
    )?;
    let status = if totals.error.is_some() {
        Status::InputProblem
    } else {
        Status::Ok
    };
    if opts.every_ns.is_some() {
        if sink.too_many {
            writeln!(
                err,
                "tcpstate: --every: more than {MAX_SAMPLES} samples; choose a longer interval"
            )?;
            return Ok(Status::InputProblem);
        }
        let mut series = sink.series.take();
        if let (Some(s), Some(last)) = (series.as_mut(), totals.last_ts) {
            s.cover(last);
        }
        let samples = series.map(|s| s.samples()).unwrap_or_default();
        let t0 = totals.first_ts.unwrap_or(0);
        let mut buf = Vec::new();
        if jsonl {
            for s in &samples {
                sample_json(&mut buf, Some(&file_json), s, t0);
                buf.push(b'\n');
            }
        } else {
            sample_header(&mut buf);
            for s in &samples {
                sample_text(&mut buf, s, t0);
            }
        }
        out.write_all(&buf)?;
    } else {
        let rows = finish_rows(&mut sink);
        let mut buf = Vec::new();
        if jsonl {
            for r in &rows {
                endpoint_json(&mut buf, Some(&file_json), r);
                buf.push(b'\n');
            }
        } else {
            let t0 = totals.first_ts.unwrap_or(0);
            let mut table: Vec<Vec<String>> = Vec::new();
            for r in &rows {
                let mut since = Vec::new();
                output::seconds(r.at.since_ns - t0, &mut since);
                table.push(vec![
                    r.stream.to_string(),
                    r.at.role.name().to_string(),
                    format!(
                        "{}{}",
                        r.at.state.name(),
                        if r.at.uncertain.is_some() { "?" } else { "" }
                    ),
                    ss_name(r.at.state).to_string(),
                    addr(&r.local),
                    addr(&r.peer),
                    basis_name(r.at.basis).to_string(),
                    format!("+{}", String::from_utf8_lossy(&since)),
                ]);
            }
            columns(
                &[
                    "STREAM", "SIDE", "STATE", "SS", "LOCAL", "PEER", "BASIS", "SINCE",
                ],
                &table,
                &mut buf,
            );
        }
        out.write_all(&buf)?;
    }
    out.flush()?;
    output::report_problems(&name, &totals, err)?;
    Ok(status)
}

/// One endpoint as a JSON object (no newline).
pub fn endpoint_json(out: &mut Vec<u8>, file_json: Option<&[u8]>, r: &EndpointRow) {
    out.extend_from_slice(b"{\"type\":\"endpoint\"");
    if let Some(f) = file_json {
        out.extend_from_slice(b",\"file\":");
        out.extend_from_slice(f);
    }
    let _ = write!(
        out,
        ",\"stream\":{},\"side\":\"{}\",\"local\":{{\"ip\":\"{}\",\"port\":{}}},\"peer\":{{\"ip\":\"{}\",\"port\":{}}},\"state\":\"{}\",\"ss_state\":\"{}\",\"basis\":\"{}\",\"since_ns\":{}}}",
        r.stream,
        r.at.role.name(),
        r.local.0,
        r.local.1,
        r.peer.0,
        r.peer.1,
        r.at.state.name(),
        ss_name(r.at.state),
        basis_name(r.at.basis),
        r.at.since_ns,
    );
    if let Some(alt) = r.at.uncertain {
        // As the timeline's `state_uncertain`: the alternative.
        out.pop();
        let _ = write!(out, ",\"state_uncertain\":\"{}\"}}", alt.name());
    }
}

/// One sample as a JSON object (no newline): `{"type":"sample", "time",
/// "ts_ns", "client": {STATE: n}, "server": {...}}` (zero counts left out).
pub fn sample_json(out: &mut Vec<u8>, file_json: Option<&[u8]>, s: &Sample, t0: i64) {
    out.extend_from_slice(b"{\"type\":\"sample\"");
    if let Some(f) = file_json {
        out.extend_from_slice(b",\"file\":");
        out.extend_from_slice(f);
    }
    out.extend_from_slice(b",\"time\":");
    output::seconds(s.0 - t0, out);
    let _ = write!(out, ",\"ts_ns\":{}", s.0);
    for role in [Role::Client, Role::Server] {
        let _ = write!(out, ",\"{}\":{{", role.name());
        let mut first = true;
        for (i, st) in CHART_STATES.iter().enumerate() {
            let n = s.1[role.index()][i];
            if n > 0 {
                if !first {
                    out.push(b',');
                }
                first = false;
                let _ = write!(out, "\"{}\":{n}", st.name());
            }
        }
        out.push(b'}');
    }
    out.push(b'}');
}

const SHORT: [&str; 9] = [
    "SYN-SENT",
    "SYN-RECV",
    "ESTAB",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "CLOSE-WAIT",
    "CLOSING",
    "LAST-ACK",
    "TIME-WAIT",
];

fn sample_header(out: &mut Vec<u8>) {
    let _ = write!(out, "{:>14}", "TIME");
    for s in SHORT {
        let _ = write!(out, " {s:>10}");
    }
    out.push(b'\n');
}

fn sample_text(out: &mut Vec<u8>, s: &Sample, t0: i64) {
    let mut t = Vec::new();
    output::seconds(s.0 - t0, &mut t);
    let _ = write!(out, "{:>14}", String::from_utf8_lossy(&t));
    for i in 0..9 {
        let _ = write!(out, " {:>10}", s.1[0][i] + s.1[1][i]);
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_exactly() {
        assert_eq!(
            parse_time("1700000000.25"),
            Ok(Moment::Time(1_700_000_000_250_000_000))
        );
        assert_eq!(parse_time("+1.5"), Ok(Moment::AfterStart(1_500_000_000)));
        assert_eq!(
            parse_time("2023-11-14T22:13:20.25Z"),
            Ok(Moment::Time(1_700_000_000_250_000_000))
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("1.0000000001").is_err());
    }

    #[test]
    fn intervals_parse_with_units() {
        assert_eq!(parse_interval("1s"), Ok(1_000_000_000));
        assert_eq!(parse_interval("250ms"), Ok(250_000_000));
        assert_eq!(parse_interval("0.5"), Ok(500_000_000));
        assert_eq!(parse_interval("2m"), Ok(120_000_000_000));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("1 parsec").is_err());
    }

    #[test]
    fn a_coarser_series_is_the_finer_sampled_at_every_other_point() {
        let mut fine = Series::fixed(0, 1_000_000, 1000);
        let mut coarse = Series::adaptive(0, 4);
        for (a, b) in [
            (0, 3_500_000),
            (1_200_000, 7_000_000),
            (2_000_000, 2_500_000),
        ] {
            for s in [&mut fine, &mut coarse] {
                assert!(s.stay(Role::Client, TcpState::Established, a, Some(b)));
            }
        }
        fine.cover(8_000_000);
        coarse.cover(8_000_000);
        let f = fine.samples();
        let c = coarse.samples();
        assert_eq!(coarse.width_ns, 4_000_000);
        for (k, s) in c.iter().enumerate() {
            assert_eq!(*s, f[k * 4], "sample {k}");
        }
    }
}
