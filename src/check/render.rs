//! Text and JSON renderings of a [`Verdict`], and of the anomaly catalog.
//!
//! Text: one line per violation,
//!
//! ```text
//! FILE: stream S, frame F: ID (WHY): DESCRIPTION  [tcp.stream eq S && frame.number == F]
//! ```
//!
//! then one closing line, `tcpstate check: PASS|FAIL|ERROR: ...`, with the
//! counts. JSON: one document, schema `src/check/schema.json` (an addition
//! to the output schema, same version).

use super::{CaptureResult, RuleId, Verdict, Violation, Why};
use crate::anomaly::{AnomalyKind, Severity};
use crate::output::SCHEMA_VERSION;
use crate::report::Status;
use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;
use std::fmt::Write as _;

fn severity_style(s: Option<Severity>) -> Style {
    match s {
        Some(Severity::Error) => Style::new()
            .fg_color(Some(AnsiColor::Red.into()))
            .effects(Effects::BOLD),
        Some(Severity::Warning) => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Some(Severity::Info) => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        None => Style::new().fg_color(Some(AnsiColor::Magenta.into())),
    }
}

/// `error`, `warning, denied`, `info, occurrence 4 > max 3`, or nothing
/// for expect-closed.
fn why_text(v: &Violation) -> String {
    let sev = v.rule.severity().map_or("", Severity::name);
    match v.why {
        Why::Severity => sev.to_string(),
        Why::Denied => format!("{sev}, denied"),
        Why::OverMax { nth, max } => format!("{sev}, occurrence {nth} > max {max}"),
        Why::NotClosed => String::new(),
    }
}

/// One violation line, without the newline.
pub fn violation_line(file: &str, v: &Violation, color: bool) -> String {
    let mut s = format!("{file}: stream {}, frame {}: ", v.stream, v.frame);
    let id = v.rule.id();
    if color {
        let st = severity_style(v.rule.severity());
        let _ = write!(s, "{st}{id}{st:#}");
    } else {
        s.push_str(id);
    }
    let why = why_text(v);
    if !why.is_empty() {
        let _ = write!(s, " ({why})");
    }
    let _ = write!(s, ": {}  [{}]", v.description, v.display_filter());
    s
}

/// Per-rule violation counts: `rst-in-syn-received 2, expect-closed 1`.
fn per_rule(verdict: &Verdict) -> String {
    let mut counts: Vec<(RuleId, usize)> = Vec::new();
    for v in verdict.captures.iter().flat_map(|c| &c.violations) {
        match counts.iter_mut().find(|(r, _)| *r == v.rule) {
            Some(c) => c.1 += 1,
            None => counts.push((v.rule, 1)),
        }
    }
    counts.sort();
    counts
        .iter()
        .map(|(r, n)| format!("{} {n}", r.id()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The closing line, without the newline.
pub fn closing_line(verdict: &Verdict, status: Status, color: bool) -> String {
    let n = verdict.captures.len();
    let failed = verdict
        .captures
        .iter()
        .filter(|c| !c.violations.is_empty())
        .count();
    let unreadable = verdict
        .captures
        .iter()
        .filter(|c| c.problem.is_some())
        .count();
    let violations = verdict.violations();
    let connections: u64 = verdict.captures.iter().map(|c| c.connections).sum();
    let anomalies: u64 = verdict.captures.iter().map(|c| c.anomalies).sum();
    let (word, style) = match status {
        Status::Ok => ("PASS", Style::new().fg_color(Some(AnsiColor::Green.into()))),
        Status::PolicyViolated => ("FAIL", severity_style(Some(Severity::Error))),
        Status::InputProblem => ("ERROR", severity_style(Some(Severity::Error))),
    };
    let mut s = String::from("tcpstate check: ");
    if color {
        let _ = write!(s, "{style}{word}{style:#}: ");
    } else {
        let _ = write!(s, "{word}: ");
    }
    if unreadable > 0 {
        let _ = write!(
            s,
            "{unreadable} of {} could not be read to the end (see stderr); ",
            plural(n, "capture", "captures")
        );
    } else if status == Status::InputProblem {
        s.push_str("the JUnit report could not be written (see stderr); ");
    }
    if violations == 0 {
        let _ = write!(s, "no violation in {}", plural(n, "capture", "captures"));
    } else {
        let _ = write!(
            s,
            "{} ({}) in {failed} of {}",
            plural(violations, "violation", "violations"),
            per_rule(verdict),
            plural(n, "capture", "captures")
        );
    }
    let _ = write!(
        s,
        "; {}, {}",
        plural(connections as usize, "connection", "connections"),
        plural(anomalies as usize, "anomaly", "anomalies")
    );
    s
}

/// The text rendering: violation lines, in the order of the files, then the
/// closing line.
pub fn text(verdict: &Verdict, status: Status, color: bool, out: &mut Vec<u8>) {
    for c in &verdict.captures {
        for v in &c.violations {
            out.extend_from_slice(violation_line(&c.file, v, color).as_bytes());
            out.push(b'\n');
        }
    }
    out.extend_from_slice(closing_line(verdict, status, color).as_bytes());
    out.push(b'\n');
}

// ---- JSON ------------------------------------------------------------------

#[derive(Serialize)]
struct JsonDoc<'a> {
    schema: u32,
    #[serde(rename = "type")]
    ty: &'static str,
    verdict: &'static str,
    exit_code: u8,
    policy: JsonPolicy,
    captures: Vec<JsonCapture<'a>>,
    totals: JsonTotals,
}

#[derive(Serialize)]
struct JsonPolicy {
    fail_on: &'static str,
    expect_closed: bool,
    allow: Vec<&'static str>,
    rules: Vec<JsonRule>,
}

#[derive(Serialize)]
struct JsonRule {
    id: &'static str,
    severity: Option<&'static str>,
    why: &'static str,
    tolerated: u64,
}

#[derive(Serialize)]
struct JsonError {
    frame: Option<u64>,
    offset: u64,
    message: String,
}

#[derive(Serialize)]
struct JsonCapture<'a> {
    file: &'a str,
    verdict: &'static str,
    error: Option<JsonError>,
    frames: u64,
    tcp_segments: u64,
    connections: u64,
    anomalies: u64,
    anomalies_dropped: u64,
    rules: Vec<JsonRuleResult>,
    violations: Vec<JsonViolation<'a>>,
}

#[derive(Serialize)]
struct JsonRuleResult {
    id: &'static str,
    passed: bool,
    occurrences: u64,
    violations: u64,
}

#[derive(Serialize)]
struct JsonViolation<'a> {
    id: &'static str,
    severity: Option<&'static str>,
    why: &'static str,
    stream: u64,
    frame: u64,
    endpoint: Option<&'static str>,
    description: &'a str,
    filter: String,
}

#[derive(Serialize)]
struct JsonTotals {
    captures: usize,
    failed: usize,
    unreadable: usize,
    connections: u64,
    anomalies: u64,
    violations: usize,
}

fn verdict_name(s: Status) -> &'static str {
    match s {
        Status::Ok => "pass",
        Status::PolicyViolated => "fail",
        Status::InputProblem => "error",
    }
}

fn json_capture(c: &CaptureResult) -> JsonCapture<'_> {
    JsonCapture {
        file: &c.file,
        verdict: verdict_name(c.status()),
        error: c.problem.as_ref().map(|e| JsonError {
            frame: e.frame,
            offset: e.offset,
            message: e.kind.to_string(),
        }),
        frames: c.frames,
        tcp_segments: c.tcp_segments,
        connections: c.connections,
        anomalies: c.anomalies,
        anomalies_dropped: c.anomalies_dropped,
        rules: c
            .rules
            .iter()
            .map(|r| JsonRuleResult {
                id: r.rule.id(),
                passed: r.violations == 0,
                occurrences: r.occurrences,
                violations: r.violations,
            })
            .collect(),
        violations: c
            .violations
            .iter()
            .map(|v| JsonViolation {
                id: v.rule.id(),
                severity: v.rule.severity().map(Severity::name),
                why: v.why.name(),
                stream: v.stream,
                frame: v.frame,
                endpoint: v.endpoint.map(|r| r.name()),
                description: &v.description,
                filter: v.display_filter(),
            })
            .collect(),
    }
}

/// The JSON rendering: one document and a newline.
pub fn json(verdict: &Verdict, status: Status, out: &mut Vec<u8>) {
    let p = &verdict.policy;
    let mut rules: Vec<JsonRule> = p
        .scope()
        .into_iter()
        .map(|(k, l)| JsonRule {
            id: k.id(),
            severity: Some(k.severity().name()),
            why: l.name(),
            tolerated: l.tolerated(),
        })
        .collect();
    if p.expect_closed {
        rules.push(JsonRule {
            id: "expect-closed",
            severity: None,
            why: "expect-closed",
            tolerated: 0,
        });
    }
    let doc = JsonDoc {
        schema: SCHEMA_VERSION,
        ty: "check",
        verdict: verdict_name(status),
        exit_code: status as u8,
        policy: JsonPolicy {
            fail_on: p.fail_on.name(),
            expect_closed: p.expect_closed,
            allow: p.allowed().iter().map(|k| k.id()).collect(),
            rules,
        },
        captures: verdict.captures.iter().map(json_capture).collect(),
        totals: JsonTotals {
            captures: verdict.captures.len(),
            failed: verdict
                .captures
                .iter()
                .filter(|c| !c.violations.is_empty())
                .count(),
            unreadable: verdict
                .captures
                .iter()
                .filter(|c| c.problem.is_some())
                .count(),
            connections: verdict.captures.iter().map(|c| c.connections).sum(),
            anomalies: verdict.captures.iter().map(|c| c.anomalies).sum(),
            violations: verdict.violations(),
        },
    };
    serde_json::to_writer(&mut *out, &doc).expect("writing to a Vec cannot fail");
    out.push(b'\n');
}

// ---- the catalog -------------------------------------------------------------

/// `tcpstate anomalies`: the catalog as an aligned table.
pub fn catalog_text(out: &mut Vec<u8>) {
    let header = ["ID", "SEVERITY", "RFC", "DESCRIPTION"];
    let rows: Vec<[&str; 4]> = AnomalyKind::ALL
        .iter()
        .map(|k| [k.id(), k.severity().name(), k.rfc(), k.description()])
        .collect();
    let mut widths = header.map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    for r in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i == 3 {
                line.push_str(c);
            } else {
                let _ = write!(line, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
}

#[derive(Serialize)]
struct JsonCatalog {
    schema: u32,
    #[serde(rename = "type")]
    ty: &'static str,
    anomalies: Vec<JsonKind>,
}

#[derive(Serialize)]
struct JsonKind {
    id: &'static str,
    severity: &'static str,
    description: &'static str,
    rfc: &'static str,
}

/// `tcpstate anomalies --format json`: one document and a newline.
pub fn catalog_json(out: &mut Vec<u8>) {
    let doc = JsonCatalog {
        schema: SCHEMA_VERSION,
        ty: "anomalies",
        anomalies: AnomalyKind::ALL
            .iter()
            .map(|k| JsonKind {
                id: k.id(),
                severity: k.severity().name(),
                description: k.description(),
                rfc: k.rfc(),
            })
            .collect(),
    };
    serde_json::to_writer(&mut *out, &doc).expect("writing to a Vec cannot fail");
    out.push(b'\n');
}
