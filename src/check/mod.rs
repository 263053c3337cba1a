//! `tcpstate check`: the verdict a CI pipeline gates on.
//!
//! Every capture is analysed (several in parallel), its connections' anomalies
//! are judged against a [`Policy`], and the result is one [`CaptureResult`]
//! per capture, in the order the files were given:
//!
//! * for each anomaly id in the policy's scope ([`Policy::scope`]), the
//!   occurrences in the capture, in frame order; those beyond the id's
//!   tolerated count (0, or N for `max ID=N`) are [`Violation`]s;
//! * with `expect-closed`, each connection that was not [`cleanly_closed`]
//!   is a violation at its last frame.
//!
//! A capture that cannot be opened, is not a capture, or is damaged or
//! truncated is an input problem (exit status 2), which outranks violations
//! (exit status 1): the verdict on a capture that was not read to its end
//! is incomplete. What was read of a damaged capture is still judged and
//! its violations are reported.
//!
//! Nothing in a result depends on the order of the files or on the number of
//! threads: each capture is judged on its own, the engine's output does not
//! depend on threads, and violations are sorted by (frame, stream, rule).

pub mod junit;
pub mod render;

use crate::anomaly::{Anomaly, AnomalyKind, Severity};
use crate::capture::{CaptureError, CaptureReader};
use crate::consumer::{ConnectionSummary, Outcome};
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord, Totals};
use crate::output;
use crate::policy::{Limit, Policy};
use crate::report::Status;
use crate::state::TcpState;
use crate::vocab::Role;
use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// What a violation breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleId {
    /// An anomaly id in the policy's scope.
    Anomaly(AnomalyKind),
    /// `expect-closed`: every connection cleanly closed.
    ExpectClosed,
}

impl RuleId {
    /// The anomaly id, or `expect-closed`.
    pub fn id(self) -> &'static str {
        match self {
            RuleId::Anomaly(k) => k.id(),
            RuleId::ExpectClosed => "expect-closed",
        }
    }

    /// The anomaly's severity (none for expect-closed).
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleId::Anomaly(k) => Some(k.severity()),
            RuleId::ExpectClosed => None,
        }
    }
}

/// Why an occurrence is a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Its severity is at least fail-on.
    Severity,
    /// Its id is denied.
    Denied,
    /// It is occurrence `nth` of its id in the capture, beyond `max`.
    OverMax {
        /// Which occurrence (1 is the first).
        nth: u64,
        /// The occurrences tolerated.
        max: u64,
    },
    /// The connection was not cleanly closed.
    NotClosed,
}

impl Why {
    /// `severity`, `deny`, `max` or `expect-closed`.
    pub fn name(self) -> &'static str {
        match self {
            Why::Severity => "severity",
            Why::Denied => "deny",
            Why::OverMax { .. } => "max",
            Why::NotClosed => "expect-closed",
        }
    }
}

/// One violation of the policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule it breaks.
    pub rule: RuleId,
    /// Why it counts as a violation.
    pub why: Why,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// Wireshark's `frame.number`: where the anomaly shows, or a connection's
    /// last frame for expect-closed.
    pub frame: u64,
    /// The endpoint concerned, when one is.
    pub endpoint: Option<Role>,
    /// What happened, as a sentence with the numbers involved.
    pub description: String,
}

impl Violation {
    /// A Wireshark display filter that selects the violation's frame.
    pub fn display_filter(&self) -> String {
        format!(
            "tcp.stream eq {} && frame.number == {}",
            self.stream, self.frame
        )
    }
}

/// How one rule fared on one capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleResult {
    /// The rule.
    pub rule: RuleId,
    /// Occurrences in the capture (connections not cleanly closed, for
    /// expect-closed).
    pub occurrences: u64,
    /// Occurrences that are violations.
    pub violations: u64,
}

/// The verdict on one capture.
#[derive(Debug)]
pub struct CaptureResult {
    /// The name given on the command line.
    pub file: String,
    /// Why the capture could not be opened or was not read to its end.
    pub problem: Option<CaptureError>,
    /// Whether the capture was opened (so its rules were judged, if only on
    /// the part before damage).
    pub opened: bool,
    /// Frames read (up to the damage, if any).
    pub frames: u64,
    /// TCP segments among them.
    pub tcp_segments: u64,
    /// Connections (Wireshark's streams).
    pub connections: u64,
    /// Anomaly occurrences of every kind, in scope or not.
    pub anomalies: u64,
    /// Occurrences not kept because a connection had too many
    /// ([`crate::consumer::MAX_CONNECTION_ANOMALIES`]): counts are lower
    /// bounds when this is not 0.
    pub anomalies_dropped: u64,
    /// One per rule in scope: anomaly ids in catalog order, then
    /// expect-closed (empty when the capture could not be opened).
    pub rules: Vec<RuleResult>,
    /// Sorted by (frame, stream, rule).
    pub violations: Vec<Violation>,
    /// The capture's totals, for the problems reported on stderr.
    totals: Option<Totals>,
}

impl CaptureResult {
    /// Exit status for this capture alone.
    pub fn status(&self) -> Status {
        if self.problem.is_some() {
            Status::InputProblem
        } else if !self.violations.is_empty() {
            Status::PolicyViolated
        } else {
            Status::Ok
        }
    }
}

/// The verdict on all captures.
#[derive(Debug)]
pub struct Verdict {
    /// The policy the captures were judged against.
    pub policy: Policy,
    /// In the order the files were given.
    pub captures: Vec<CaptureResult>,
}

impl Verdict {
    /// 2 if any capture has an input problem, else 1 if any has a
    /// violation, else 0.
    pub fn status(&self) -> Status {
        let mut s = Status::Ok;
        for c in &self.captures {
            match c.status() {
                Status::InputProblem => return Status::InputProblem,
                Status::PolicyViolated => s = Status::PolicyViolated,
                Status::Ok => {}
            }
        }
        s
    }

    /// Violations over all captures.
    pub fn violations(&self) -> usize {
        self.captures.iter().map(|c| c.violations.len()).sum()
    }
}

/// Whether a connection ended cleanly closed: its outcome is `closed` (both
/// endpoints sent a FIN, each FIN was acknowledged, no RST was accepted)
/// and, at the end of the capture, each endpoint is CLOSED or TIME_WAIT.
pub fn cleanly_closed(c: &ConnectionSummary) -> bool {
    c.outcome == Outcome::Closed
        && c.state()
            .iter()
            .all(|s| matches!(s, TcpState::Closed | TcpState::TimeWait))
}

/// The rules a policy judges, in order: anomaly ids in catalog order, then
/// expect-closed.
pub fn rules(policy: &Policy) -> Vec<(RuleId, Option<Limit>)> {
    let mut v: Vec<(RuleId, Option<Limit>)> = policy
        .scope()
        .into_iter()
        .map(|(k, l)| (RuleId::Anomaly(k), Some(l)))
        .collect();
    if policy.expect_closed {
        v.push((RuleId::ExpectClosed, None));
    }
    v
}

/// `check`'s judge as a [`Consumer`]: collects what the policy needs from
/// finished connections, and [`Judge::finish`] turns it into the verdict on
/// the capture. [`check_capture`] and [`check_reader`] run an analysis of
/// their own into one; a caller that also wants the capture's other
/// outputs (its timeline, its summary) can feed a judge from the same
/// analysis instead, beside its other consumers (a [`crate::engine::Tee`]),
/// and gets the same verdict: the judge reads only finished connections,
/// which do not depend on whether segment rows are asked for.
///
/// ```
/// use tcpstate::capture::CaptureReader;
/// use tcpstate::check::Judge;
/// use tcpstate::engine::{self, Collector, Options, Tee};
/// use tcpstate::policy::{Layer, Policy};
///
/// let policy = Policy::new(Layer::default(), Layer::default());
/// let bytes = std::fs::read("testdata/real/07-refused.pcap")?;
/// let capture = CaptureReader::from_bytes("07-refused.pcap", bytes)?;
/// let (mut rows, mut judge) = (Collector::default(), Judge::new(&policy));
/// let totals = engine::analyze_here(capture, &Options::timeline(), &mut Tee(&mut rows, &mut judge));
/// let result = judge.finish("07-refused.pcap", totals);
/// assert_eq!(rows.segments.len(), 2);
/// assert_eq!((result.connections, result.frames), (1, 2));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Judge<'a> {
    policy: &'a Policy,
    /// Occurrences per kind (index: position in [`AnomalyKind::ALL`]).
    counts: Vec<u64>,
    /// Occurrences of kinds in scope, with their stream.
    in_scope: Vec<(u64, Anomaly)>,
    not_closed: Vec<Violation>,
    anomalies: u64,
    dropped: u64,
}

fn kind_index(k: AnomalyKind) -> usize {
    k as usize
}

impl Consumer for Judge<'_> {
    fn capture_start(&mut self, _: i64) {}

    fn segments(&mut self, _: &[SegmentRecord]) -> io::Result<()> {
        Ok(())
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        for r in records {
            let c: &ConnectionSummary = r;
            for a in &c.anomalies {
                self.counts[kind_index(a.kind)] += 1;
                if self.policy.limit(a.kind).is_some() {
                    self.in_scope.push((r.stream, *a));
                }
            }
            self.anomalies += c.anomalies.len() as u64;
            self.dropped += c.anomalies_dropped;
            if self.policy.expect_closed && !cleanly_closed(c) {
                let [cl, sv] = c.state();
                // An uncertain state ends with `?` and names its alternative.
                let unsure = c.uncertain();
                let name =
                    |s: crate::state::TcpState, alt: Option<crate::state::TcpState>| match alt {
                        Some(a) => format!("{}? (or {})", s.name(), a.name()),
                        None => s.name().to_string(),
                    };
                self.not_closed.push(Violation {
                    rule: RuleId::ExpectClosed,
                    why: Why::NotClosed,
                    stream: r.stream,
                    frame: c.last_frame,
                    endpoint: None,
                    description: format!(
                        "not cleanly closed: outcome {}, client {}, server {} at the end (expected outcome closed, each endpoint CLOSED or TIME_WAIT)",
                        c.outcome.name(),
                        name(cl, unsure[0]),
                        name(sv, unsure[1])
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Judges one capture.
pub fn check_capture(
    path: &Path,
    policy: &Policy,
    opts: &engine::Options,
    progress: Option<Arc<AtomicU64>>,
) -> CaptureResult {
    let file = path.display().to_string();
    match CaptureReader::open(path) {
        Ok(reader) => judge(file, policy, |sink| {
            engine::analyze(reader, opts, sink, progress)
        }),
        Err(e) => CaptureResult {
            problem: Some(e),
            ..CaptureResult::empty(file)
        },
    }
}

/// Judges one capture already open (one held in memory, say) on the
/// calling thread, with [`engine::analyze_here`]: the verdict
/// [`check_capture`] gives for the same bytes.
pub fn check_reader(
    name: &str,
    reader: CaptureReader,
    policy: &Policy,
    opts: &engine::Options,
) -> CaptureResult {
    judge(name.to_string(), policy, |sink| {
        engine::analyze_here(reader, opts, sink)
    })
}

impl CaptureResult {
    /// A capture not read yet.
    fn empty(file: String) -> CaptureResult {
        CaptureResult {
            file,
            problem: None,
            opened: false,
            frames: 0,
            tcp_segments: 0,
            connections: 0,
            anomalies: 0,
            anomalies_dropped: 0,
            rules: Vec::new(),
            violations: Vec::new(),
            totals: None,
        }
    }
}

/// Runs `analyze` into a [`Judge`] and judges what it found.
fn judge(
    file: String,
    policy: &Policy,
    analyze: impl FnOnce(&mut Judge<'_>) -> std::io::Result<engine::Totals>,
) -> CaptureResult {
    let mut judge = Judge::new(policy);
    let totals = analyze(&mut judge);
    judge.finish(file, totals)
}

impl<'a> Judge<'a> {
    /// A judge for `policy`, given nothing yet.
    pub fn new(policy: &'a Policy) -> Judge<'a> {
        Judge {
            policy,
            counts: vec![0; AnomalyKind::ALL.len()],
            in_scope: Vec::new(),
            not_closed: Vec::new(),
            anomalies: 0,
            dropped: 0,
        }
    }

    /// The verdict on the capture named `file` (the name results and
    /// problems give), from what the judge was given and the analysis'
    /// outcome: its totals, or the consumer error that stopped it.
    pub fn finish(self, file: impl Into<String>, analysis: io::Result<Totals>) -> CaptureResult {
        verdict(file.into(), self, analysis)
    }
}

/// The verdict on `file` from what `sink` was given and the analysis'
/// outcome (see [`Judge::finish`]).
fn verdict(file: String, mut sink: Judge<'_>, analysis: io::Result<Totals>) -> CaptureResult {
    let policy = sink.policy;
    let mut result = CaptureResult {
        opened: true,
        ..CaptureResult::empty(file)
    };
    let totals = match analysis {
        Ok(t) => t,
        // Another consumer fed by the same analysis failed (a judge never
        // does): the capture was not read to its end.
        Err(e) => {
            result.problem = Some(CaptureError {
                file: result.file.clone(),
                frame: None,
                offset: 0,
                kind: crate::capture::CaptureErrorKind::Io(e.to_string()),
            });
            return result;
        }
    };
    result.problem = totals.error.clone();
    result.frames = totals.frames;
    result.tcp_segments = totals.tcp_segments;
    result.connections = totals.connections;
    result.anomalies = sink.anomalies;
    result.anomalies_dropped = sink.dropped;
    result.totals = Some(totals);

    // Occurrences in frame order; per id, those beyond the tolerated count
    // are violations.
    sink.in_scope
        .sort_by_key(|(stream, a)| (a.frame, *stream, a.kind));
    let mut seen = vec![0u64; AnomalyKind::ALL.len()];
    for (stream, a) in &sink.in_scope {
        let limit = policy.limit(a.kind).expect("kept only kinds in scope");
        let nth = &mut seen[kind_index(a.kind)];
        *nth += 1;
        if *nth <= limit.tolerated() {
            continue;
        }
        result.violations.push(Violation {
            rule: RuleId::Anomaly(a.kind),
            why: match limit {
                Limit::Severity => Why::Severity,
                Limit::Denied => Why::Denied,
                Limit::Max(max) => Why::OverMax { nth: *nth, max },
            },
            stream: *stream,
            frame: a.frame,
            endpoint: a.endpoint,
            description: a.describe(),
        });
    }
    for (rule, limit) in rules(policy) {
        let occurrences = match rule {
            RuleId::Anomaly(k) => sink.counts[kind_index(k)],
            RuleId::ExpectClosed => sink.not_closed.len() as u64,
        };
        let tolerated = limit.map_or(0, Limit::tolerated);
        result.rules.push(RuleResult {
            rule,
            occurrences,
            violations: occurrences.saturating_sub(tolerated),
        });
    }
    result.violations.append(&mut sink.not_closed);
    result
        .violations
        .sort_by_key(|v| (v.frame, v.stream, v.rule));
    result
}

/// Judges every capture (in parallel), results in the order given.
pub fn check(
    files: &[PathBuf],
    policy: &Policy,
    opts: &engine::Options,
    progress: Option<Arc<AtomicU64>>,
) -> Verdict {
    let captures = files
        .par_iter()
        .map(|f| check_capture(f, policy, opts, progress.clone()))
        .collect();
    Verdict {
        policy: policy.clone(),
        captures,
    }
}

/// How `check` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One line per violation and a closing line.
    Text,
    /// One JSON document (`src/check/schema.json`).
    Json,
}

/// What `tcpstate check` is asked to do besides the policy.
#[derive(Clone, Debug)]
pub struct Options {
    /// What the engine computes.
    pub engine: engine::Options,
    /// How the verdict is written.
    pub format: Format,
    /// ANSI colours in text output.
    pub color: bool,
    /// Where to write a JUnit XML report.
    pub junit: Option<PathBuf>,
    /// Kept up to date with the bytes consumed (see [`crate::report::Settings`]).
    pub progress: Option<Arc<AtomicU64>>,
}

/// `tcpstate check FILE...`: judges the captures, prints the violations
/// and a closing line (or the JSON document) on `out`, the input problems
/// on `err`, writes the JUnit report if asked, and returns the exit status.
pub fn run(
    files: &[PathBuf],
    policy: &Policy,
    opts: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let (files, inputs_ok) = crate::report::expand_inputs(files, err)?;
    let verdict = check(&files, policy, &opts.engine, opts.progress.clone());
    for c in &verdict.captures {
        match &c.totals {
            Some(t) => output::report_problems(&c.file, t, err)?,
            None => {
                if let Some(p) = &c.problem {
                    writeln!(err, "tcpstate: {p}")?;
                }
            }
        }
        if c.anomalies_dropped > 0 {
            writeln!(
                err,
                "tcpstate: {}: {} anomalies beyond {} per connection were not kept: counts are lower bounds",
                c.file,
                c.anomalies_dropped,
                crate::consumer::MAX_CONNECTION_ANOMALIES
            )?;
        }
    }
    let mut status = verdict.status();
    if !inputs_ok {
        status = Status::InputProblem;
    }
    if let Some(path) = &opts.junit {
        if let Err(e) = junit::write_file(&verdict, path) {
            writeln!(
                err,
                "tcpstate: cannot write the JUnit report {}: {e}",
                path.display()
            )?;
            status = Status::InputProblem;
        }
    }
    let mut buf = Vec::new();
    match opts.format {
        Format::Text => render::text(&verdict, status, opts.color, &mut buf),
        Format::Json => render::json(&verdict, status, &mut buf),
    }
    out.write_all(&buf)?;
    out.flush()?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_indexes_are_catalog_positions() {
        for (i, k) in AnomalyKind::ALL.iter().enumerate() {
            assert_eq!(kind_index(*k), i, "{}", k.id());
        }
    }

    #[test]
    fn rules_are_the_scope_then_expect_closed() {
        let mut p = Policy::default();
        assert!(rules(&p).iter().all(|(r, _)| *r != RuleId::ExpectClosed));
        p.expect_closed = true;
        let r = rules(&p);
        assert_eq!(r.last(), Some(&(RuleId::ExpectClosed, None)));
        assert_eq!(r.len(), p.scope().len() + 1);
    }

    #[test]
    fn an_input_problem_outranks_a_violation() {
        let capture = |problem: bool, violation: bool| CaptureResult {
            file: "f".into(),
            problem: problem.then(|| CaptureError {
                file: "f".into(),
                frame: None,
                offset: 0,
                kind: crate::capture::CaptureErrorKind::Io("gone".into()),
            }),
            opened: !problem,
            frames: 0,
            tcp_segments: 0,
            connections: 0,
            anomalies: 0,
            anomalies_dropped: 0,
            rules: Vec::new(),
            violations: if violation {
                vec![Violation {
                    rule: RuleId::ExpectClosed,
                    why: Why::NotClosed,
                    stream: 3,
                    frame: 17,
                    endpoint: None,
                    description: String::new(),
                }]
            } else {
                Vec::new()
            },
            totals: None,
        };
        let verdict = |c: Vec<CaptureResult>| Verdict {
            policy: Policy::default(),
            captures: c,
        };
        assert_eq!(verdict(vec![]).status(), Status::Ok);
        assert_eq!(
            verdict(vec![capture(false, false), capture(false, true)]).status(),
            Status::PolicyViolated
        );
        assert_eq!(
            verdict(vec![capture(false, true), capture(true, false)]).status(),
            Status::InputProblem
        );
        assert_eq!(
            capture(false, true).violations[0].display_filter(),
            "tcp.stream eq 3 && frame.number == 17"
        );
    }
}
