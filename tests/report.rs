//! `tcpstate report` and `tcpstate ladder`: the numbers drawn are the
//! aggregate's, the aggregate's edges are the timeline's transitions, and
//! no text overlaps at the sizes produced.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tcpstate::aggregate::{self, Report};
use tcpstate::output::Format;
use tcpstate::report::Settings;

fn settings(format: Format) -> Settings {
    Settings {
        format,
        ..Settings::default()
    }
}

fn real() -> Vec<PathBuf> {
    captures_in(&repo().join("testdata/real"))
}

fn json_of(cmd: &str, file: &Path) -> serde_json::Value {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let s = settings(Format::Json);
    match cmd {
        "timeline" => tcpstate::report::timeline(
            &[file.to_path_buf()],
            &tcpstate::report::StreamFilter::default(),
            &s,
            &mut out,
            &mut err,
        ),
        _ => tcpstate::report::summary(&[file.to_path_buf()], &s, &mut out, &mut err),
    }
    .expect("runs");
    serde_json::from_slice(&out).expect("JSON")
}

type EdgeKey = (String, String, String);

/// Transitions per (endpoint, from, to) in the timeline JSON: segment
/// rows, and event rows for what happened between segments (a timer, a
/// reopened 4-tuple).
fn expected_edges(file: &Path) -> BTreeMap<EdgeKey, u64> {
    let mut want: BTreeMap<EdgeKey, u64> = BTreeMap::new();
    let t = json_of("timeline", file);
    for seg in t["captures"][0]["segments"].as_array().unwrap() {
        for tr in seg["transitions"].as_array().unwrap() {
            if tr["basis"] == "revised" {
                continue;
            }
            let k = (
                tr["endpoint"].as_str().unwrap().to_string(),
                tr["from"].as_str().unwrap().to_string(),
                tr["to"].as_str().unwrap().to_string(),
            );
            *want.entry(k).or_default() += 1;
        }
    }
    want
}

fn report_of(files: &[PathBuf]) -> Report {
    aggregate::build(files, &settings(Format::Text), 12)
}

fn report_edges(r: &Report) -> BTreeMap<EdgeKey, u64> {
    let mut got = BTreeMap::new();
    for e in &r.overall.edges {
        for (role, n) in [("client", e.client.total()), ("server", e.server.total())] {
            if n > 0 {
                got.insert(
                    (
                        role.to_string(),
                        e.from.name().to_string(),
                        e.to.name().to_string(),
                    ),
                    n,
                );
            }
        }
    }
    got
}

fn check_edges_against_timeline(files: &[PathBuf]) {
    for f in files {
        let r = report_of(std::slice::from_ref(f));
        if r.captures[0].status == "unreadable" {
            continue;
        }
        assert_eq!(report_edges(&r), expected_edges(f), "{}", f.display());
    }
}

#[test]
fn edge_counts_equal_the_timeline_transitions() {
    check_edges_against_timeline(&real());
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn edge_counts_equal_the_timeline_transitions_on_the_corpus() {
    check_edges_against_timeline(&captures_in(&corpus()));
}

/// The `<svg ...>...</svg>` elements of a page with this class.
fn svgs<'a>(html: &'a str, class: &str) -> Vec<&'a str> {
    let mut v = Vec::new();
    let open = format!("<svg class=\"{class}\"");
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let end = rest[i..].find("</svg>").expect("closed svg") + i + 6;
        v.push(&rest[i..end]);
        rest = &rest[end..];
    }
    v
}

fn parse_count(s: &str) -> u64 {
    s.trim().parse().unwrap_or_else(|_| panic!("count {s:?}"))
}

#[test]
fn the_numbers_drawn_are_the_aggregates() {
    let files = real();
    let r = report_of(&files);
    let html = aggregate::html::page(&r, &[]);
    let diagram = svgs(&html, "diagram");
    assert_eq!(diagram.len(), 1);
    let doc = roxmltree::Document::parse(diagram[0]).expect("the diagram is well-formed XML");
    let mut drawn = 0;
    for g in doc.descendants().filter(|n| {
        n.has_tag_name("g") && n.attribute("class").is_some_and(|c| c.starts_with("edge "))
    }) {
        let (from, to) = (
            g.attribute("data-from").unwrap(),
            g.attribute("data-to").unwrap(),
        );
        let counts = g
            .descendants()
            .find(|n| n.has_tag_name("text") && n.attribute("class") == Some("counts"));
        let json = r
            .overall
            .edges
            .iter()
            .find(|e| e.from.name() == from && e.to.name() == to);
        match (counts, json.filter(|e| e.total() > 0)) {
            (Some(t), Some(e)) => {
                let spans: Vec<&str> = t
                    .descendants()
                    .filter(|n| n.has_tag_name("tspan"))
                    .map(|n| n.text().unwrap_or(""))
                    .collect();
                assert_eq!(spans.len(), 2);
                assert_eq!(
                    parse_count(spans[0].trim_start_matches("C ")),
                    e.client.total(),
                    "{from}→{to}"
                );
                assert_eq!(
                    parse_count(spans[1].trim_start_matches("S ")),
                    e.server.total(),
                    "{from}→{to}"
                );
                assert!(!g.attribute("class").unwrap().contains("unseen"));
                drawn += 1;
            }
            (None, None) => {
                assert!(
                    g.attribute("class").unwrap().contains("unseen"),
                    "{from}→{to} unobserved is faint"
                );
            }
            (t, e) => panic!(
                "{from}→{to}: drawn {:?}, aggregate {:?}",
                t.map(|t| t.text()),
                e.map(|e| e.total())
            ),
        }
    }
    let observed = r.overall.edges.iter().filter(|e| e.total() > 0).count();
    assert_eq!(drawn, observed, "every observed edge is drawn");
    // The headline numbers.
    let card = |key: &str| -> u64 {
        let pat = format!("data-key=\"{key}\">");
        let at = html.find(&pat).expect(key) + pat.len();
        parse_count(&html[at..at + html[at..].find('<').unwrap()])
    };
    assert_eq!(card("connections"), r.overall.connections);
    assert_eq!(card("tcp_segments"), r.overall.tcp_segments);
    assert_eq!(card("captures"), files.len() as u64);
    // The overall total equals the captures' summaries.
    let mut conns = 0;
    for f in &files {
        let s = json_of("summary", f);
        conns += s["captures"][0]["connections"].as_array().unwrap().len() as u64;
    }
    assert_eq!(r.overall.connections, conns);
}

#[test]
fn the_chart_is_netstats_series() {
    let f = repo().join("testdata/real/20-stuck-last-ack.pcap");
    let r = report_of(std::slice::from_ref(&f));
    let chart = r.captures[0].chart.as_ref().expect("chart");
    let opts = tcpstate::netstat::Options {
        at: None,
        every_ns: Some(chart.width_ns),
        all: false,
    };
    let mut out = Vec::new();
    tcpstate::netstat::run(
        &f,
        &opts,
        &settings(Format::Jsonl),
        &mut out,
        &mut Vec::new(),
    )
    .unwrap();
    let lines: Vec<serde_json::Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), chart.samples.len());
    for (l, s) in lines.iter().zip(&chart.samples) {
        for (k, role) in ["client", "server"].iter().enumerate() {
            for (i, st) in tcpstate::netstat::CHART_STATES.iter().enumerate() {
                assert_eq!(l[role][st.name()].as_u64().unwrap_or(0), s[k][i], "{l}");
            }
        }
    }
}

/// A text element's box: monospace, 0.6 em per character, baseline at y.
#[derive(Debug, Clone)]
struct TextBox {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    text: String,
}

fn text_boxes(svg: &str) -> (Vec<TextBox>, Vec<TextBox>) {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let mut texts = Vec::new();
    let mut rects = Vec::new();
    for n in doc.descendants() {
        if n.has_tag_name("text") {
            let s: String = n
                .descendants()
                // A <title> is a tooltip, not drawn.
                .filter(|d| d.is_text() && !d.parent().is_some_and(|p| p.has_tag_name("title")))
                .filter_map(|d| d.text())
                .collect::<String>();
            if s.is_empty() {
                continue;
            }
            let cls = n.attribute("class").unwrap_or("");
            let in_node = n.ancestors().any(|a| a.attribute("class") == Some("node"));
            let size = if in_node {
                13.0
            } else if cls.contains("marker-text") {
                10.0
            } else if cls.contains("title") || cls.contains("who") {
                12.0
            } else {
                11.0
            };
            let w = s.chars().count() as f64 * size * 0.6;
            let x: f64 = n.attribute("x").unwrap().parse().unwrap();
            let y: f64 = n.attribute("y").unwrap().parse().unwrap();
            let x0 = match n.attribute("text-anchor") {
                Some("middle") => x - w / 2.0,
                Some("end") => x - w,
                _ => x,
            };
            texts.push(TextBox {
                x0,
                x1: x0 + w,
                y0: y - size * 0.8,
                y1: y + size * 0.2,
                text: s,
            });
        } else if n.has_tag_name("rect")
            && n.ancestors().any(|a| a.attribute("class") == Some("node"))
        {
            let f = |k| n.attribute(k).unwrap().parse::<f64>().unwrap();
            rects.push(TextBox {
                x0: f("x"),
                x1: f("x") + f("width"),
                y0: f("y"),
                y1: f("y") + f("height"),
                text: "box".into(),
            });
        }
    }
    (texts, rects)
}

fn overlaps(a: &TextBox, b: &TextBox) -> bool {
    a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

fn assert_no_overlap(svg: &str, what: &str, width: f64) {
    let (texts, rects) = text_boxes(svg);
    let doc = roxmltree::Document::parse(svg).unwrap();
    let height: f64 = doc
        .root_element()
        .attribute("height")
        .unwrap()
        .parse()
        .unwrap();
    let mut problems = Vec::new();
    for (i, a) in texts.iter().enumerate() {
        if a.x0 < 0.0 || a.x1 > width || a.y0 < 0.0 || a.y1 > height {
            problems.push(format!(
                "{:?} leaves the drawing ({:.0}..{:.0})",
                a.text, a.x0, a.x1
            ));
        }
        for b in &texts[i + 1..] {
            if overlaps(a, b) {
                problems.push(format!("{:?} overlaps {:?}", a.text, b.text));
            }
        }
        for r in &rects {
            let inside = a.x0 >= r.x0 && a.x1 <= r.x1 && a.y0 >= r.y0 - 1.0 && a.y1 <= r.y1 + 1.0;
            if !inside && overlaps(a, r) {
                problems.push(format!("{:?} overlaps a state box", a.text));
            }
        }
    }
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

fn check_readable(files: &[PathBuf]) {
    // Each capture alone (labels change with its counts), and all together.
    let mut sets: Vec<Vec<PathBuf>> = files.iter().map(|f| vec![f.clone()]).collect();
    sets.push(files.to_vec());
    for set in sets {
        let r = report_of(&set);
        let svg = aggregate::diagram::svg(&r.overall).into_string();
        assert_no_overlap(
            &svg,
            &format!("diagram of {:?}", set.first()),
            aggregate::diagram::SIZE.0 as f64,
        );
    }
    for f in files {
        let run = run_file(f);
        for c in run.connections.iter().take(3) {
            let s = settings(Format::Text);
            let Ok((l, _)) = tcpstate::ladder::build(f, c.stream, 200, &s) else {
                continue;
            };
            let svg = tcpstate::ladder::svg(&l).into_string();
            assert_no_overlap(
                &svg,
                &format!("ladder of {} stream {}", f.display(), c.stream),
                tcpstate::ladder::W,
            );
        }
    }
}

#[test]
fn no_text_overlaps_on_the_real_captures() {
    check_readable(&real());
}

#[test]
#[ignore = "needs ../shared/corpus"]
fn no_text_overlaps_on_the_corpus() {
    check_readable(&captures_in(&corpus()));
}

#[test]
fn the_json_follows_its_schema() {
    let r = report_of(&real());
    let v = serde_json::to_value(&r).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../src/aggregate/schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&v)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(v["schema"], aggregate::SCHEMA_VERSION);
}

#[test]
fn a_damaged_capture_is_listed_and_the_rest_reported() {
    let dir = std::env::temp_dir().join(format!("tcpstate-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = repo().join("testdata/real/01-close-client-first.pcap");
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(dir.join("cut.pcap"), &bytes[..bytes.len() - 7]).unwrap();
    // In a directory, a file that is not a capture is skipped with a note;
    // named on the command line, it is reported as unreadable.
    std::fs::write(dir.join("junk.pcap"), b"not a capture at all").unwrap();
    let junk = std::env::temp_dir().join(format!("tcpstate-report-junk-{}", std::process::id()));
    std::fs::write(&junk, b"not a capture at all").unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let opts = aggregate::Options {
        ladders: 2,
        output: None,
        diagram: None,
    };
    let st = aggregate::run(
        &[dir.clone(), junk.clone(), good],
        &opts,
        &settings(Format::Json),
        &mut out,
        &mut err,
    )
    .unwrap();
    assert_eq!(st, tcpstate::report::Status::InputProblem);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let status: Vec<&str> = v["captures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["damaged", "unreadable", "ok"]);
    assert!(v["overall"]["connections"].as_u64().unwrap() >= 2);
    let err = String::from_utf8_lossy(&err);
    assert!(
        err.contains("junk.pcap"),
        "the skipped file is noted: {err}"
    );
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_file(&junk).ok();
}
