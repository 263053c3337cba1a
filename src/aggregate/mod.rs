//! `tcpstate report`: one aggregate over many captures, as a self-contained
//! HTML page ([`html`]) or JSON (schema: `schema.json` beside this file,
//! version [`SCHEMA_VERSION`]).
//!
//! The report aggregates as connections finish and keeps none of them:
//! memory is what the engine holds (the connections open at once) plus
//! fixed-size counters and histograms per capture. Its numbers are the
//! replay's own: every diagram edge counts the transitions of the
//! connections' lifecycles (each with its basis), the same transitions a
//! timeline shows on its rows.

pub mod diagram;
pub mod html;
pub mod results;

use crate::anomaly::Severity;
use crate::capture::CaptureReader;
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord};
use crate::netstat::Series;
use crate::output::rows::{CaptureInfo, ConnectionRow};
use crate::report::{Settings, Status};
use crate::state::{Basis, TcpState};
use crate::vocab::Role;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Version of the report's JSON schema; additions keep it.
pub const SCHEMA_VERSION: u32 = 1;

/// Examples kept per diagram edge.
pub const EXAMPLES_PER_EDGE: usize = 3;

/// Samples of the states-over-time chart, at most.
pub const CHART_SAMPLES: usize = 600;

/// How many segments a report's ladder draws.
pub const LADDER_SEGMENTS: usize = 80;

/// `report` options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Ladders drawn for connections with an error-severity anomaly.
    pub ladders: usize,
    /// Where the page goes (standard output when `None`).
    pub output: Option<PathBuf>,
    /// Also write the state diagram alone (SVG).
    pub diagram: Option<PathBuf>,
}

/// Transitions of one edge by one endpoint role, by basis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BasisCounts {
    /// The endpoint's own segment.
    pub sent: u64,
    /// A segment it is assumed to have received.
    pub received: u64,
    /// Implied by a segment not captured.
    pub inferred: u64,
    /// A timer (2×MSL, the SYN timeout).
    pub timer: u64,
}

impl BasisCounts {
    /// All of them.
    pub fn total(&self) -> u64 {
        self.sent + self.received + self.inferred + self.timer
    }
    /// Seen on the wire: the endpoint's own segment or one it received.
    pub fn wire(&self) -> u64 {
        self.sent + self.received
    }
    fn add(&mut self, b: Basis) {
        match b {
            Basis::Sent => self.sent += 1,
            Basis::Received => self.received += 1,
            Basis::Inferred => self.inferred += 1,
            // Withdrawn receipts never reach a lifecycle (see Connection::revisions).
            Basis::Timer | Basis::Revised => self.timer += 1,
        }
    }
    fn merge(&mut self, o: &BasisCounts) {
        self.sent += o.sent;
        self.received += o.received;
        self.inferred += o.inferred;
        self.timer += o.timer;
    }
}

/// A connection that shows an edge: where to look in Wireshark.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Example {
    /// The capture, as named on the command line.
    pub file: String,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The frame of the transition (Wireshark's `frame.number`).
    pub frame: u64,
    /// The endpoint that made it.
    pub endpoint: Role,
    /// What it rests on.
    pub basis: Basis,
    /// A Wireshark display filter for the segment.
    pub filter: String,
}

/// One edge of the state diagram, as observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The state left.
    pub from: TcpState,
    /// The state entered.
    pub to: TcpState,
    /// Transitions of client endpoints.
    pub client: BasisCounts,
    /// Transitions of server endpoints.
    pub server: BasisCounts,
    /// Up to [`EXAMPLES_PER_EDGE`] connections that made it.
    pub examples: Vec<Example>,
}

impl Edge {
    fn new(from: TcpState, to: TcpState) -> Edge {
        Edge {
            from,
            to,
            client: BasisCounts::default(),
            server: BasisCounts::default(),
            examples: Vec::new(),
        }
    }
    /// Transitions of either endpoint.
    pub fn total(&self) -> u64 {
        self.client.total() + self.server.total()
    }
}

/// Upper bounds of the histogram bins, ns: 1-2-5 steps from 1 µs to
/// 5000 s; a last bin holds the rest.
pub const BIN_EDGES_NS: [i64; 30] = {
    let mut e = [0i64; 30];
    let mut decade = 1_000i64;
    let mut i = 0;
    while i < 30 {
        e[i] = decade;
        e[i + 1] = decade * 2;
        e[i + 2] = decade * 5;
        decade *= 10;
        i += 3;
    }
    e
};

/// A distribution of durations (fixed bins, exact count, min, max, sum).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Histogram {
    /// Values counted.
    pub count: u64,
    /// The smallest value.
    pub min_ns: Option<i64>,
    /// The largest value.
    pub max_ns: Option<i64>,
    /// The sum of the values (for the mean).
    pub sum_ns: i128,
    /// `bins[i]`: values below `BIN_EDGES_NS[i]` (and at least the edge
    /// before); the last, values of at least the last edge.
    pub bins: Vec<u64>,
    /// Stays still running when the capture ended (not in the bins).
    pub open_at_end: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            count: 0,
            min_ns: None,
            max_ns: None,
            sum_ns: 0,
            bins: vec![0; BIN_EDGES_NS.len() + 1],
            open_at_end: 0,
        }
    }
}

impl Histogram {
    /// Counts one value (ns; negative counts as 0).
    pub fn add(&mut self, ns: i64) {
        let ns = ns.max(0);
        self.count += 1;
        self.sum_ns += i128::from(ns);
        self.min_ns = Some(self.min_ns.map_or(ns, |m| m.min(ns)));
        self.max_ns = Some(self.max_ns.map_or(ns, |m| m.max(ns)));
        let i = BIN_EDGES_NS.partition_point(|&e| e <= ns);
        self.bins[i] += 1;
    }
    fn merge(&mut self, o: &Histogram) {
        self.count += o.count;
        self.sum_ns += o.sum_ns;
        self.open_at_end += o.open_at_end;
        self.min_ns = match (self.min_ns, o.min_ns) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max_ns = match (self.max_ns, o.max_ns) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (a, b) in self.bins.iter_mut().zip(&o.bins) {
            *a += b;
        }
    }
    /// The upper edge of the bin holding the q-quantile (`None` when empty
    /// or in the last, open bin).
    pub fn quantile_bound(&self, q: f64) -> Option<i64> {
        if self.count == 0 {
            return None;
        }
        let want = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.bins.iter().enumerate() {
            seen += n;
            if seen >= want {
                return BIN_EDGES_NS.get(i).copied();
            }
        }
        None
    }
}

/// The distributions that matter for TCP state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Distributions {
    /// Time an endpoint spent in TIME_WAIT, CLOSE_WAIT, FIN_WAIT_2 (stays
    /// the capture shows ending; those still running at its end are counted
    /// in `open_at_end`).
    pub time_wait: Histogram,
    /// Time in CLOSE_WAIT.
    pub close_wait: Histogram,
    /// Time in FIN_WAIT_2.
    pub fin_wait_2: Histogram,
    /// The handshake's round trip (Wireshark's tcp.analysis.initial_rtt).
    pub handshake_rtt: Histogram,
    /// First to last segment of each connection.
    pub duration: Histogram,
}

/// Anomalies of one id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AnomalyCount {
    /// The id's severity.
    pub severity: Severity,
    /// How many times it was raised.
    pub occurrences: u64,
    /// How many connections raised it.
    pub connections: u64,
}

/// Counts of the connections' active closer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Closers {
    /// The client sent the first FIN.
    pub client: u64,
    /// The server sent the first FIN.
    pub server: u64,
    /// No FIN was sent.
    pub none: u64,
}

/// Everything counted over a set of connections.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Aggregate {
    /// Connections counted.
    pub connections: u64,
    /// Frames of the captures (every packet record).
    pub frames: u64,
    /// TCP segments of the captures.
    pub tcp_segments: u64,
    /// Connections by outcome.
    pub outcomes: BTreeMap<&'static str, u64>,
    /// `"CLIENT SERVER"` final-state pairs.
    pub final_states: BTreeMap<String, u64>,
    /// `final_states` while counting, by state index (see [`Aggregate::finish`]).
    #[serde(skip)]
    pairs: Box<[[u64; 22]; 22]>,
    /// Who closed first.
    pub active_closer: Closers,
    /// Anomalies by id.
    pub anomalies: BTreeMap<&'static str, AnomalyCount>,
    /// Zeek's `conn_state` of each Zeek connection.
    pub zeek_conn_state: BTreeMap<&'static str, u64>,
    /// Wireshark's `tcp.analysis` verdicts, summed.
    pub wireshark: BTreeMap<&'static str, u64>,
    /// Receipts assumed and later withdrawn (not in the edges).
    pub revisions: u64,
    /// Every edge the replay can take (the diagram's), then any other seen.
    pub edges: Vec<Edge>,
    /// Durations that matter for TCP state.
    pub distributions: Distributions,
}

impl Default for Aggregate {
    fn default() -> Aggregate {
        Aggregate {
            connections: 0,
            frames: 0,
            tcp_segments: 0,
            outcomes: BTreeMap::new(),
            final_states: BTreeMap::new(),
            pairs: Box::new([[0; 22]; 22]),
            active_closer: Closers::default(),
            anomalies: BTreeMap::new(),
            zeek_conn_state: BTreeMap::new(),
            wireshark: BTreeMap::new(),
            revisions: 0,
            edges: diagram::EDGES
                .iter()
                .map(|e| Edge::new(e.from, e.to))
                .collect(),
            distributions: Distributions::default(),
        }
    }
}

impl Aggregate {
    fn edge(&mut self, from: TcpState, to: TcpState) -> &mut Edge {
        let i = match self.edges.iter().position(|e| e.from == from && e.to == to) {
            Some(i) => i,
            None => {
                self.edges.push(Edge::new(from, to));
                self.edges.len() - 1
            }
        };
        &mut self.edges[i]
    }

    /// Counts one finished connection, a row of capture `file`'s results.
    ///
    /// Nothing counted depends on the order of the rows: each edge keeps as
    /// examples the connections with the lowest stream numbers, so that a
    /// report over results (in whatever order they were written) equals the
    /// report over the captures.
    pub fn add(&mut self, file: &str, c: &ConnectionRow) {
        self.connections += 1;
        *self.outcomes.entry(c.outcome.name()).or_default() += 1;
        // An uncertain final state counts apart, marked `?` as in summary.
        let unsure = c.final_state_uncertain;
        let at =
            |i: usize| state_index(c.final_state[i]) + if unsure[i].is_some() { 11 } else { 0 };
        self.pairs[at(0)][at(1)] += 1;
        match c.active_closer {
            Some(Role::Client) => self.active_closer.client += 1,
            Some(Role::Server) => self.active_closer.server += 1,
            None => self.active_closer.none += 1,
        }
        let mut seen: Vec<crate::anomaly::AnomalyKind> = Vec::new();
        for a in &c.anomalies {
            let e = self.anomalies.entry(a.id.id()).or_insert(AnomalyCount {
                severity: a.id.severity(),
                occurrences: 0,
                connections: 0,
            });
            e.occurrences += 1;
            if !seen.contains(&a.id) {
                seen.push(a.id);
                e.connections += 1;
            }
        }
        for z in &c.zeek_pieces {
            *self.zeek_conn_state.entry(z.conn_state.name()).or_default() += 1;
        }
        for (f, n) in &c.analysis_counts {
            *self.wireshark.entry(f.name()).or_default() += n;
        }
        self.revisions += c.revisions;
        let stream = c.stream;
        for t in &c.lifecycle {
            let edge = self.edge(t.from, t.to);
            match t.endpoint {
                Role::Client => edge.client.add(t.basis),
                Role::Server => edge.server.add(t.basis),
            }
            let ex = &mut edge.examples;
            let fits = ex.len() < EXAMPLES_PER_EDGE || ex.last().is_some_and(|x| stream < x.stream);
            if fits && !ex.iter().any(|x| x.stream == stream && x.file == file) {
                let i = ex.partition_point(|x| x.stream < stream);
                ex.insert(
                    i,
                    Example {
                        file: file.to_string(),
                        stream,
                        frame: t.frame,
                        endpoint: t.endpoint,
                        basis: t.basis,
                        filter: format!("tcp.stream eq {stream} && frame.number == {}", t.frame),
                    },
                );
                ex.truncate(EXAMPLES_PER_EDGE);
            }
        }
        let d = &mut self.distributions;
        c.for_each_stay(|_, state, from, to| {
            let h = match state {
                TcpState::TimeWait => &mut d.time_wait,
                TcpState::CloseWait => &mut d.close_wait,
                TcpState::FinWait2 => &mut d.fin_wait_2,
                _ => return,
            };
            match to {
                Some(to) => h.add(to - from),
                None => h.open_at_end += 1,
            }
        });
        if let Some(rtt) = c.initial_rtt_ns {
            d.handshake_rtt.add(rtt);
        }
        d.duration.add(c.duration_ns);
    }

    /// Puts the edges beyond the diagram's in a fixed order (by the states'
    /// order), whatever order they were first seen in.
    fn sort_extra_edges(&mut self) {
        let n = diagram::EDGES.len().min(self.edges.len());
        self.edges[n..].sort_by_key(|e| (state_index(e.from), state_index(e.to)));
    }

    /// Moves what was counted by index into the maps.
    fn finish(&mut self) {
        self.sort_extra_edges();
        for (i, row) in self.pairs.iter_mut().enumerate() {
            for (j, n) in row.iter_mut().enumerate() {
                if *n > 0 {
                    let name = |k: usize| {
                        format!(
                            "{}{}",
                            TcpState::ALL[k % 11].name(),
                            if k >= 11 { "?" } else { "" }
                        )
                    };
                    let k = format!("{} {}", name(i), name(j));
                    *self.final_states.entry(k).or_default() += *n;
                    *n = 0;
                }
            }
        }
    }

    /// Adds another aggregate (captures in the order given).
    pub fn merge(&mut self, o: &Aggregate) {
        self.connections += o.connections;
        self.frames += o.frames;
        self.tcp_segments += o.tcp_segments;
        for (k, v) in &o.outcomes {
            *self.outcomes.entry(k).or_default() += v;
        }
        for (k, v) in &o.final_states {
            *self.final_states.entry(k.clone()).or_default() += v;
        }
        self.active_closer.client += o.active_closer.client;
        self.active_closer.server += o.active_closer.server;
        self.active_closer.none += o.active_closer.none;
        for (k, v) in &o.anomalies {
            let e = self.anomalies.entry(k).or_insert(AnomalyCount {
                severity: v.severity,
                occurrences: 0,
                connections: 0,
            });
            e.occurrences += v.occurrences;
            e.connections += v.connections;
        }
        for (k, v) in &o.zeek_conn_state {
            *self.zeek_conn_state.entry(k).or_default() += v;
        }
        for (k, v) in &o.wireshark {
            *self.wireshark.entry(k).or_default() += v;
        }
        self.revisions += o.revisions;
        for e in &o.edges {
            let mine = self.edge(e.from, e.to);
            mine.client.merge(&e.client);
            mine.server.merge(&e.server);
            for x in &e.examples {
                if mine.examples.len() < EXAMPLES_PER_EDGE {
                    mine.examples.push(x.clone());
                }
            }
        }
        let (d, od) = (&mut self.distributions, &o.distributions);
        d.time_wait.merge(&od.time_wait);
        d.close_wait.merge(&od.close_wait);
        d.fin_wait_2.merge(&od.fin_wait_2);
        d.handshake_rtt.merge(&od.handshake_rtt);
        d.duration.merge(&od.duration);
        self.sort_extra_edges();
    }
}

/// The states-over-time series of one capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Chart {
    /// The capture's first timestamp (sample 0).
    pub t0_ns: i64,
    /// Time between samples.
    pub width_ns: i64,
    /// `samples[k]` is the moment `t0 + k·width`: per role, the count of
    /// endpoints in each of [`crate::netstat::CHART_STATES`].
    pub samples: Vec<[[u64; 9]; 2]>,
}

pub use crate::ladder::LadderRef;

/// One capture's part of the report.
#[derive(Clone, Debug, Serialize)]
pub struct CaptureReport {
    /// The capture, as named (or found in a directory).
    pub file: String,
    /// `ok`, `damaged` (read up to the damage) or `unreadable`.
    pub status: &'static str,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// Its first timestamp (ns since the epoch).
    pub first_ts_ns: Option<i64>,
    /// Its last timestamp (the capture clock at the end).
    pub last_ts_ns: Option<i64>,
    /// Everything counted in it.
    pub aggregate: Aggregate,
    /// The endpoints in each state over time.
    pub chart: Option<Chart>,
    /// Connections with an error-severity anomaly (all of them counted).
    pub error_connections: u64,
    #[serde(skip)]
    error_refs: Vec<LadderRef>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// [`SCHEMA_VERSION`].
    pub schema: u32,
    /// The tool and its version.
    pub tool: String,
    /// The `--where` expression, if any.
    pub selection: Option<String>,
    /// Over every capture.
    pub overall: Aggregate,
    /// Each capture, in the order given (directories sorted).
    pub captures: Vec<CaptureReport>,
    /// The connections with a ladder (at most `--ladders`), and how many
    /// other connections had an error-severity anomaly.
    pub ladders: Vec<LadderRef>,
    /// Connections with an error-severity anomaly not drawn.
    pub ladders_omitted: u64,
    /// Results that could not be read (or were given twice): not in the
    /// report, each said on stderr, and the status is 2.
    #[serde(skip)]
    pub problems: Vec<String>,
}

/// One capture's part of the report while its connections are counted:
/// the same whether the rows come from a replay or from results.
pub(crate) struct CaptureAcc {
    file: String,
    select: Option<std::sync::Arc<crate::select::Selection>>,
    agg: Aggregate,
    series: Option<Series>,
    error_connections: u64,
    error_refs: Vec<LadderRef>,
    max_refs: usize,
}

impl CaptureAcc {
    pub(crate) fn new(
        file: &str,
        select: Option<std::sync::Arc<crate::select::Selection>>,
        max_refs: usize,
    ) -> CaptureAcc {
        CaptureAcc {
            file: file.to_string(),
            select,
            agg: Aggregate::default(),
            series: None,
            error_connections: 0,
            error_refs: Vec::new(),
            max_refs,
        }
    }

    /// The capture's first timestamp: the chart starts there.
    pub(crate) fn start(&mut self, first_ts: i64) {
        self.series = Some(Series::adaptive(first_ts, CHART_SAMPLES));
    }

    /// Counts one connection (if the selection takes it).
    pub(crate) fn count(&mut self, row: &ConnectionRow) {
        if let Some(sel) = &self.select {
            if !sel.matches_subject(row.stream, row) {
                return;
            }
        }
        self.agg.add(&self.file, row);
        if let Some(s) = self.series.as_mut() {
            s.add_row(row);
        }
        let mut ids: Vec<&'static str> = row
            .anomalies
            .iter()
            .filter(|a| a.id.severity() == Severity::Error)
            .map(|a| a.id.id())
            .collect();
        if !ids.is_empty() {
            self.error_connections += 1;
            ids.dedup();
            self.error_refs.push(LadderRef {
                file: self.file.clone(),
                stream: row.stream,
                anomalies: ids,
                last_frame: row.last_frame,
                ends: [
                    (row.client.ip, row.client.port),
                    (row.server.ip, row.server.port),
                ],
            });
            // Those that end first are kept (the report reads the capture
            // again only up to their last frame).
            if self.error_refs.len() > 2 * self.max_refs.max(1) {
                self.error_refs.sort_by_key(|x| (x.last_frame, x.stream));
                self.error_refs.truncate(self.max_refs);
            }
        }
    }

    /// The capture's report, given what its totals say (`Err`: the replay
    /// failed; it is `unreadable`, with what was counted).
    pub(crate) fn finish(self, info: Result<&CaptureInfo, String>) -> CaptureReport {
        let CaptureAcc {
            file,
            mut agg,
            series,
            error_connections,
            mut error_refs,
            max_refs,
            ..
        } = self;
        agg.finish();
        error_refs.sort_by_key(|x| (x.last_frame, x.stream));
        error_refs.truncate(max_refs);
        match info {
            Ok(t) if t.unreadable.is_none() => {
                agg.frames = t.frames;
                agg.tcp_segments = t.tcp_segments;
                let chart = series.map(|mut s| {
                    if let Some(last) = t.last_ts_ns {
                        s.cover(last);
                    }
                    Chart {
                        t0_ns: s.t0,
                        width_ns: s.width_ns,
                        samples: s.samples().into_iter().map(|x| x.1).collect(),
                    }
                });
                CaptureReport {
                    file,
                    status: if t.error.is_some() { "damaged" } else { "ok" },
                    error: t.error.clone(),
                    first_ts_ns: t.first_ts_ns,
                    last_ts_ns: t.last_ts_ns,
                    aggregate: agg,
                    chart,
                    error_connections,
                    error_refs,
                }
            }
            why => CaptureReport {
                file,
                status: "unreadable",
                error: why.map_or_else(Some, |t| t.unreadable.clone()),
                first_ts_ns: None,
                last_ts_ns: None,
                aggregate: agg,
                chart: None,
                error_connections,
                error_refs,
            },
        }
    }
}

struct Sink(CaptureAcc);

impl Consumer for Sink {
    fn capture_start(&mut self, first_ts: i64) {
        self.0.start(first_ts);
    }

    fn segments(&mut self, _: &[SegmentRecord]) -> io::Result<()> {
        Ok(())
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        for r in records {
            if let Some(sel) = &self.0.select {
                if !sel.matches(r.stream, r) {
                    continue;
                }
            }
            self.0.count(&ConnectionRow::from_record(r));
        }
        Ok(())
    }
}

fn analyse_one(path: &Path, settings: &Settings, max_refs: usize) -> CaptureReport {
    let file = path.display().to_string();
    let acc = CaptureAcc::new(&file, settings.select.clone(), max_refs);
    let reader = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => return acc.finish(Err(e.to_string())),
    };
    let mut sink = Sink(acc);
    let result = engine::analyze(
        reader,
        &settings.engine,
        &mut sink,
        settings.progress.clone(),
    );
    match result {
        Ok(t) => sink
            .0
            .finish(Ok(&CaptureInfo::from_totals(&file, &t, None))),
        Err(e) => sink.0.finish(Err(e.to_string())),
    }
}

fn state_index(s: TcpState) -> usize {
    TcpState::ALL.iter().position(|&x| x == s).unwrap_or(0)
}

/// What one input of `report` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A capture to replay.
    Capture(PathBuf),
    /// Results written earlier (a results directory's files, or one file).
    Results(Vec<results::ResultsFile>),
}

/// The inputs of `report`: results (a directory holding any results file
/// is a results directory: its `connections.parquet` and `*.jsonl` files
/// are read, and nothing else in it; such a file given alone) and captures
/// (directories expanded as every command expands them, see
/// [`crate::report::expand_inputs`], which says on `err` what it skipped).
/// `false`: a directory could not be read or held no capture.
pub fn classify_inputs(inputs: &[PathBuf], err: &mut dyn Write) -> io::Result<(Vec<Input>, bool)> {
    let mut out = Vec::new();
    let mut ok = true;
    for i in inputs {
        let results = if i.is_dir() {
            results::results_in(i)
        } else {
            results::results_file(i).into_iter().collect()
        };
        if !results.is_empty() {
            out.push(Input::Results(results));
            continue;
        }
        let (files, fine) = crate::report::expand_inputs(std::slice::from_ref(i), err)?;
        ok &= fine;
        out.extend(files.into_iter().map(Input::Capture));
    }
    Ok((out, ok))
}

/// Analyses every capture (in parallel, as summary does) and aggregates.
/// `files` are captures, not directories (see
/// [`crate::report::expand_inputs`]).
pub fn build(files: &[PathBuf], settings: &Settings, ladders: usize) -> Report {
    let items: Vec<Input> = files.iter().cloned().map(Input::Capture).collect();
    build_from(&items, settings, ladders)
}

/// Analyses every capture (in parallel, as summary does), reads every
/// results input, and aggregates, in the order of `items`.
pub fn build_from(items: &[Input], settings: &Settings, ladders: usize) -> Report {
    // Each input's captures, the --where their results were written with,
    // and the problems met.
    type Part = (Vec<CaptureReport>, Vec<Option<String>>, Vec<String>);
    let parts: Vec<Part> = items
        .par_iter()
        .map(|item| match item {
            Input::Capture(f) => (vec![analyse_one(f, settings, ladders)], vec![None], vec![]),
            Input::Results(files) => {
                let (caps, problems) = results::read(files, settings, ladders);
                let (caps, sels) = caps.into_iter().unzip();
                (caps, sels, problems)
            }
        })
        .collect();
    let mut captures = Vec::new();
    let mut problems = Vec::new();
    let mut written_with: Vec<Option<String>> = Vec::new();
    let mut from_results = std::collections::BTreeSet::new();
    for ((caps, sels, probs), item) in parts.into_iter().zip(items) {
        problems.extend(probs);
        for (c, sel) in caps.into_iter().zip(sels) {
            if matches!(item, Input::Results(_)) {
                if !from_results.insert(c.file.clone()) {
                    problems.push(format!(
                        "{}: its results appear twice in the inputs; counted once",
                        c.file
                    ));
                    continue;
                }
                if !written_with.contains(&sel) {
                    written_with.push(sel);
                }
            }
            captures.push(c);
        }
    }
    // Results written with --where hold the selected rows only: the
    // report says so, as a report with that --where would.
    let mut selection = settings.select.as_ref().map(|s| s.text().to_string());
    match written_with.as_slice() {
        [] | [None] => {}
        [Some(w)] if selection.is_none() => selection = Some(w.clone()),
        [Some(w)] => problems.push(format!(
            "the results were written with --where '{w}': select when writing them, not again in the report"
        )),
        _ => problems.push(
            "the results were written with different --where selections (or some with one and some without)"
                .to_string(),
        ),
    }
    let mut overall = Aggregate::default();
    let mut refs = Vec::new();
    let mut errors = 0u64;
    for c in &captures {
        overall.merge(&c.aggregate);
        errors += c.error_connections;
        refs.extend(c.error_refs.iter().cloned());
    }
    refs.truncate(ladders);
    Report {
        schema: SCHEMA_VERSION,
        tool: format!("tcpstate {}", env!("CARGO_PKG_VERSION")),
        selection,
        ladders_omitted: errors - refs.len() as u64,
        ladders: refs,
        overall,
        captures,
        problems,
    }
}

/// `tcpstate report CAPTURE|DIR... [-o FILE]`.
pub fn run(
    inputs: &[PathBuf],
    opts: &Options,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    use crate::output::Format;
    if matches!(settings.format, Format::Jsonl | Format::Zeek) {
        writeln!(
            err,
            "tcpstate: report writes HTML (the default) or --format json"
        )?;
        return Ok(Status::InputProblem);
    }
    // Directories are read as every command reads them: recursively,
    // captures recognised by their content (compressed ones too); results
    // directories are read as results.
    let (items, inputs_ok) = classify_inputs(inputs, err)?;
    let report = build_from(&items, settings, opts.ladders);
    let mut status = if inputs_ok {
        Status::Ok
    } else {
        Status::InputProblem
    };
    for p in &report.problems {
        writeln!(err, "tcpstate: {p}")?;
        status = Status::InputProblem;
    }
    for c in &report.captures {
        if let Some(e) = &c.error {
            writeln!(err, "tcpstate: {e}")?;
            status = Status::InputProblem;
        }
    }
    if report.captures.is_empty() {
        writeln!(err, "tcpstate: no capture found in the inputs given")?;
        status = Status::InputProblem;
    }
    if let Some(p) = &opts.diagram {
        if let Err(e) = std::fs::write(p, diagram::standalone(&report.overall)) {
            writeln!(err, "tcpstate: cannot write {}: {e}", p.display())?;
            return Ok(Status::InputProblem);
        }
    }
    let bytes = match settings.format {
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(&report).map_err(io::Error::other)?;
            v.push(b'\n');
            v
        }
        _ => {
            let ladders =
                crate::ladder::collect_for_report(&report.ladders, settings, LADDER_SEGMENTS);
            html::page(&report, &ladders).into_bytes()
        }
    };
    match &opts.output {
        Some(p) => {
            if let Err(e) = std::fs::write(p, &bytes) {
                writeln!(err, "tcpstate: cannot write {}: {e}", p.display())?;
                return Ok(Status::InputProblem);
            }
        }
        None => {
            out.write_all(&bytes)?;
            out.flush()?;
        }
    }
    Ok(status)
}
