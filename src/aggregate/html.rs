//! The report as one self-contained HTML page: inline CSS and SVG, a few
//! lines of script for sorting tables; nothing is fetched.
//!
//! Templates are maud's: checked at compile time, escaped by default, and
//! compiled to plain string pushes (no template files to ship).

use super::diagram::{self, count, edge_id};
use super::{Aggregate, BIN_EDGES_NS, CaptureReport, Chart, Histogram, Report};
use crate::ladder::{self, Ladder};
use crate::netstat::CHART_STATES;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// Colours of the nine charted states: Paul Tol's "muted" scheme, designed
/// to stay distinct under the common colour-vision deficiencies.
pub const STATE_COLOURS: [&str; 9] = [
    "#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
    "#AA4499",
];

const PAGE_CSS: &str = r#"
body { background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px; padding: 16px 24px 64px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid var(--grid); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.muted { color: var(--muted); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0; }
.card { background: var(--box); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--grid); text-align: left; vertical-align: top; }
th { cursor: pointer; user-select: none; } td.n, th.n { text-align: right; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
.sev-error { color: var(--unusual); font-weight: 700; } .sev-warning { color: var(--server); } .sev-info { color: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 8px 0; font-size: 13px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.legend svg { vertical-align: middle; }
.scroll { overflow-x: auto; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 8px 24px; }
details { margin: 6px 0; } summary { cursor: pointer; }
svg.chart text, svg.hist text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 10px; fill: var(--muted); }
svg.chart line.axis, svg.hist line.axis { stroke: var(--muted); }
svg.hist rect { fill: var(--client); }
.client { color: var(--client); } .server { color: var(--server); }
"#;

const SCRIPT: &str = r#"
document.querySelectorAll('table.sortable th').forEach(function (th, i) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var col = Array.prototype.indexOf.call(th.parentNode.children, th);
    var desc = th.dataset.desc !== '1'; th.dataset.desc = desc ? '1' : '0';
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent, y = b.cells[col].dataset.v || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return desc ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"#;

fn duration(ns: i64) -> String {
    let s = ns as f64 / 1e9;
    if ns < 1_000_000 {
        format!("{:.0} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else if s < 120.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} min", s / 60.0)
    }
}

fn bin_label(i: usize) -> String {
    match BIN_EDGES_NS.get(i) {
        Some(&e) => format!("<{}", duration(e)),
        None => format!("≥{}", duration(BIN_EDGES_NS[BIN_EDGES_NS.len() - 1])),
    }
}

fn counts_table(title: &str, key: &str, rows: Vec<(String, u64)>) -> Markup {
    html! {
        div {
            h3 { (title) }
            @if rows.is_empty() { p.muted { "none" } } @else {
                table.sortable data-table=(key) {
                    thead { tr { th { (key) } th.n { "count" } } }
                    tbody { @for (k, n) in &rows { tr { td { code { (k) } } td.n data-v=(n) { (n) } } } }
                }
            }
        }
    }
}

fn sorted(v: impl IntoIterator<Item = (String, u64)>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = v.into_iter().filter(|x| x.1 > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn histogram(name: &str, h: &Histogram) -> Markup {
    // Only the bins between the first and last non-empty one.
    let first = h.bins.iter().position(|&n| n > 0);
    let last = h.bins.iter().rposition(|&n| n > 0);
    let max = h.bins.iter().copied().max().unwrap_or(0).max(1);
    html! {
        div.hist data-name=(name) {
            h3 { (name) }
            p.muted {
                (h.count) " measured"
                @if let (Some(a), Some(b)) = (h.min_ns, h.max_ns) { " · min " (duration(a)) " · max " (duration(b)) " · mean " (duration((h.sum_ns / i128::from(h.count.max(1))) as i64)) }
                @if let Some(q) = h.quantile_bound(0.5) { " · median " (bin_label(BIN_EDGES_NS.partition_point(|&e| e < q))) }
                @if h.open_at_end > 0 { " · " (h.open_at_end) " still running at the end" }
            }
            @if let (Some(a), Some(b)) = (first, last) {
                @let n = b - a + 1;
                svg.hist xmlns="http://www.w3.org/2000/svg" width="330" height=(n * 16 + 6) role="img" aria-label=(name) {
                    @for (k, i) in (a..=b).enumerate() {
                        @let y = k * 16 + 2;
                        @let w = (h.bins[i] as f64 / max as f64 * 180.0).max(if h.bins[i] > 0 { 1.0 } else { 0.0 });
                        text x="84" y=(y + 11) text-anchor="end" { (bin_label(i)) }
                        rect x="90" y=(y + 2) width=(format!("{w:.1}")) height="11" {}
                        text x=(format!("{:.1}", 95.0 + w)) y=(y + 11) data-bin=(i) { (h.bins[i]) }
                    }
                }
            }
        }
    }
}

/// The outline of state `s`'s band in the stacked chart.
fn stack_points(
    totals: &[[u64; 9]],
    s: usize,
    x: &dyn Fn(usize) -> f64,
    y: &dyn Fn(u64) -> f64,
) -> String {
    let mut pts = String::new();
    for (k, t) in totals.iter().enumerate() {
        let top: u64 = t[..=s].iter().sum();
        pts.push_str(&format!("{:.1},{:.1} ", x(k), y(top)));
    }
    for (k, t) in totals.iter().enumerate().rev() {
        let base: u64 = t[..s].iter().sum();
        pts.push_str(&format!("{:.1},{:.1} ", x(k), y(base)));
    }
    pts.trim_end().to_string()
}

/// The states-over-time chart: the endpoints in each state (both roles
/// stacked), one sample per `width`.
fn chart(c: &Chart, first_ts: i64) -> Markup {
    let (w, h, left, bottom) = (900.0, 220.0, 56.0, 24.0);
    let n = c.samples.len();
    let totals: Vec<[u64; 9]> = c
        .samples
        .iter()
        .map(|s| std::array::from_fn(|i| s[0][i] + s[1][i]))
        .collect();
    let peak = totals
        .iter()
        .map(|t| t.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let x = |k: usize| left + (w - left - 10.0) * (k as f64) / ((n.max(2) - 1) as f64);
    let y = |v: u64| 8.0 + (h - bottom - 8.0) * (1.0 - v as f64 / peak as f64);
    let span = c.width_ns.saturating_mul(n.saturating_sub(1) as i64);
    html! {
        svg.chart xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (w) " " (h)} width=(w) height=(h) role="img"
            aria-label="Endpoints in each state over time" data-width-ns=(c.width_ns) data-t0-ns=(c.t0_ns) {
            @for s in (0..9).rev() {
                @if totals.iter().any(|t| t[s] > 0) {
                    @let pts = stack_points(&totals, s, &x, &y);
                    polygon points=(pts) fill=(STATE_COLOURS[s]) fill-opacity="0.85" data-state=(CHART_STATES[s].name()) {
                        title { (CHART_STATES[s].name()) }
                    }
                }
            }
            line.axis x1=(left) y1=(h - bottom) x2=(w - 10.0) y2=(h - bottom) {}
            line.axis x1=(left) y1="8" x2=(left) y2=(h - bottom) {}
            text x=(left - 4.0) y="16" text-anchor="end" { (peak) }
            text x=(left - 4.0) y=(h - bottom) text-anchor="end" { "0" }
            text x=(left) y=(h - 8.0) { "+" (duration(c.t0_ns - first_ts)) }
            text x=(w - 10.0) y=(h - 8.0) text-anchor="end" { "+" (duration(c.t0_ns - first_ts + span)) }
            text x=((w + left) / 2.0) y=(h - 8.0) text-anchor="middle" { "one sample every " (duration(c.width_ns)) }
        }
    }
}

fn chart_legend() -> Markup {
    html! {
        div.legend {
            @for (i, s) in CHART_STATES.iter().enumerate() {
                span { svg width="14" height="14" { rect width="14" height="14" fill=(STATE_COLOURS[i]) {} } (s.name()) }
            }
        }
    }
}

fn diagram_legend() -> Markup {
    let line = |cls: &str| -> Markup {
        html! { svg width="46" height="12" { path class=(cls) d="M2,6 L44,6" stroke-width="2.5" {} } }
    };
    html! {
        div.legend {
            span { (line("wire")) "seen on the wire (a segment sent or received)" }
            span { (line("inferred")) "inferred (a segment not captured)" }
            span { (line("timer")) "timer (2MSL, SYN timeout)" }
            span { (line("unseen")) "never observed" }
            span { (line("wire unusual")) "a transition people trip over" }
            span { b.client { "C n" } " client endpoints" }
            span { b.server { "S n" } " server endpoints" }
        }
    }
}

fn anomalies_by_severity(a: &Aggregate) -> Vec<(&&'static str, &super::AnomalyCount)> {
    let mut v: Vec<_> = a.anomalies.iter().collect();
    v.sort_by(|x, y| {
        y.1.severity
            .cmp(&x.1.severity)
            .then(y.1.occurrences.cmp(&x.1.occurrences))
            .then(x.0.cmp(y.0))
    });
    v
}

fn aggregate_tables(a: &Aggregate) -> Markup {
    html! {
        div.grid2 {
            (counts_table("Outcomes", "outcome", sorted(a.outcomes.iter().map(|(k, v)| (k.to_string(), *v)))))
            (counts_table("Final states (client server)", "final states", sorted(a.final_states.iter().map(|(k, v)| (k.clone(), *v)))))
            (counts_table("Active closer", "closer", sorted([("client".to_string(), a.active_closer.client), ("server".to_string(), a.active_closer.server), ("none".to_string(), a.active_closer.none)])))
            (counts_table("Zeek conn_state", "conn_state", sorted(a.zeek_conn_state.iter().map(|(k, v)| (k.to_string(), *v)))))
            (counts_table("Wireshark tcp.analysis verdicts", "verdict", sorted(a.wireshark.iter().map(|(k, v)| (k.to_string(), *v)))))
            div {
                h3 { "Anomalies" }
                @if a.anomalies.is_empty() { p.muted { "none" } } @else {
                    table.sortable data-table="anomalies" {
                        thead { tr { th { "anomaly" } th { "severity" } th.n { "occurrences" } th.n { "connections" } } }
                        tbody {
                            @for (id, c) in anomalies_by_severity(a) {
                                tr { td { code { (id) } } td class={"sev-" (c.severity.name())} data-v=(c.severity as u8) { (c.severity.name()) } td.n data-v=(c.occurrences) { (c.occurrences) } td.n data-v=(c.connections) { (c.connections) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn edges_table(a: &Aggregate) -> Markup {
    html! {
        table.sortable data-table="edges" {
            thead { tr { th { "transition" } th.n { "client" } th.n { "server" } th.n { "on the wire" } th.n { "inferred" } th.n { "timer" } th { "examples (file, tcp.stream, frame, display filter)" } } }
            tbody {
                @for e in a.edges.iter().filter(|e| e.total() > 0) {
                    tr id=(edge_id(e.from, e.to)) data-from=(e.from.name()) data-to=(e.to.name()) {
                        td { code { (e.from.name()) " → " (e.to.name()) } }
                        td.n.client data-v=(e.client.total()) { (e.client.total()) }
                        td.n.server data-v=(e.server.total()) { (e.server.total()) }
                        td.n { (e.client.wire() + e.server.wire()) }
                        td.n { (e.client.inferred + e.server.inferred) }
                        td.n { (e.client.timer + e.server.timer) }
                        td { @for x in &e.examples { div { code { (x.file) } " stream " (x.stream) " frame " (x.frame) " (" (x.endpoint.name()) ", " (x.basis.name()) "): " code { (x.filter) } } } }
                    }
                }
            }
        }
    }
}

fn captures_table(r: &Report) -> Markup {
    html! {
        table.sortable data-table="captures" {
            thead { tr { th { "capture" } th { "status" } th.n { "frames" } th.n { "TCP segments" } th.n { "connections" } th.n { "with an error" } } }
            tbody {
                @for c in &r.captures {
                    tr {
                        td { code { (c.file) } }
                        td class=(if c.status == "ok" { "" } else { "sev-error" }) { (c.status) }
                        td.n data-v=(c.aggregate.frames) { (c.aggregate.frames) }
                        td.n data-v=(c.aggregate.tcp_segments) { (c.aggregate.tcp_segments) }
                        td.n data-v=(c.aggregate.connections) { (c.aggregate.connections) }
                        td.n data-v=(c.error_connections) { (c.error_connections) }
                    }
                }
            }
        }
    }
}

fn capture_section(c: &CaptureReport, open: bool) -> Markup {
    html! {
        details open[open] {
            summary { code { (c.file) } " — " (c.aggregate.connections) " connections" @if c.status != "ok" { " · " span.sev-error { (c.status) } } }
            @if let (Some(ch), Some(t0)) = (&c.chart, c.first_ts_ns) {
                @if ch.samples.iter().any(|s| s.iter().flatten().any(|&n| n > 0)) { (chart(ch, t0)) } @else { p.muted { "no endpoint held a connection at any sample" } }
            }
            (aggregate_tables(&c.aggregate))
        }
    }
}

/// The whole page.
pub fn page(r: &Report, ladders: &[Ladder]) -> String {
    let a = &r.overall;
    let damaged = r.captures.iter().filter(|c| c.status != "ok").count();
    let d = &a.distributions;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { "tcpstate report" }
                style { (PreEscaped(diagram::CSS)) (PreEscaped(PAGE_CSS)) (PreEscaped(ladder::CSS)) }
            }
            body {
                h1 { "TCP states in " (r.captures.len()) " capture" @if r.captures.len() != 1 { "s" } }
                p.muted { (r.tool) @if let Some(s) = &r.selection { " · --where " code { (s) } } " · schema " (r.schema) }
                div.cards {
                    div.card { b data-key="connections" { (a.connections) } "connections" }
                    div.card { b data-key="tcp_segments" { (a.tcp_segments) } "TCP segments" }
                    div.card { b data-key="captures" { (r.captures.len()) } "captures" }
                    div.card { b data-key="damaged" { (damaged) } "damaged or unreadable" }
                    div.card { b data-key="error_connections" { (r.ladders.len() as u64 + r.ladders_omitted) } "connections with an error" }
                }
                h2 id="diagram" { "The state diagram, from the traffic" }
                p.muted { "RFC 9293's figure; each arrow counts the transitions the replay made (C: client endpoints, S: server endpoints). Click an arrow for example connections." }
                (diagram_legend())
                div.scroll { (diagram::svg(a)) }
                @if a.revisions > 0 { p.muted { (a.revisions) " assumed receipts were later withdrawn (a crossing SYN or FIN, an RST from a vanished endpoint); what they had moved is not counted." } }
                h2 id="transitions" { "Transitions and where to see them" }
                div.scroll { (edges_table(a)) }
                h2 id="tables" { "All captures" }
                (aggregate_tables(a))
                h3 id="damaged" { "Damaged or unreadable captures" }
                @if damaged == 0 { p.muted { "none" } } @else {
                    table data-table="damaged" {
                        thead { tr { th { "capture" } th { "status" } th { "what was wrong (everything before it was analysed)" } } }
                        tbody { @for c in r.captures.iter().filter(|c| c.status != "ok") { tr { td { code { (c.file) } } td.sev-error { (c.status) } td { @if let Some(e) = &c.error { (e) } } } } }
                    }
                }
                h2 id="distributions" { "Durations" }
                div.grid2 {
                    (histogram("time in TIME_WAIT", &d.time_wait))
                    (histogram("time in CLOSE_WAIT", &d.close_wait))
                    (histogram("time in FIN_WAIT_2", &d.fin_wait_2))
                    (histogram("handshake RTT", &d.handshake_rtt))
                    (histogram("connection duration", &d.duration))
                }
                h2 id="captures" { "Per capture" }
                div.scroll { (captures_table(r)) }
                h3 { "States over time" }
                p.muted { "Endpoints holding a connection, by state (client and server stacked), as " code { "tcpstate netstat --every" } " gives them." }
                (chart_legend())
                @for (i, c) in r.captures.iter().enumerate() { (capture_section(c, i < 3)) }
                h2 id="ladders" { "Connections with an error-severity anomaly" }
                @if ladders.is_empty() { p.muted { "none" } }
                @for l in ladders {
                    @let refd = r.ladders.iter().find(|x| x.file == l.file && x.stream == l.stream);
                    h3 { code { (l.file) } " tcp.stream eq " (l.stream) @if let Some(x) = refd { " — " @for id in &x.anomalies { span.sev-error { (id) } " " } } }
                    div.scroll { (ladder::svg(l)) }
                }
                @if r.ladders_omitted > 0 { p { (r.ladders_omitted) " more connections with an error-severity anomaly are not drawn (raise --ladders, or " code { "tcpstate ladder FILE -s STREAM" } ")." } }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    let _ = count;
    markup.into_string()
}
