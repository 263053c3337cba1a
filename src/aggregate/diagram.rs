//! The RFC 9293 state diagram (section 3.3.2, Figure 5) drawn from traffic.
//!
//! The layout is the classic figure's, fixed: every edge the replay can
//! take (every `(from, to)` that [`crate::state::step`] produces, and the
//! figure's passive OPEN, which no segment shows) has its own path and its
//! own label slot, so labels never move with the data and never overlap
//! (tests check the drawn text boxes on the corpus). Transitions into CLOSED
//! that the figure leaves implicit (resets, aborts, timeouts from any
//! state) end in a small CLOSED marker beside their state.

use super::{Aggregate, Edge};
use crate::state::TcpState;
use crate::state::TcpState::*;
use maud::{Markup, PreEscaped, html};

/// Width and height of the drawing.
pub const SIZE: (i32, i32) = (1120, 900);
const BOX: (i32, i32) = (140, 40);
/// Font size of edge labels; text is monospace, 0.6 em per character.
pub const FONT: f64 = 11.0;

/// A state box: its state and centre. CLOSED is drawn twice, as in the
/// figure: at the top (where connections start and aborts end) and at the
/// bottom right (where orderly closes end).
pub const NODES: [(TcpState, i32, i32); 12] = [
    (Closed, 550, 50),
    (Listen, 550, 180),
    (SynReceived, 250, 320),
    (SynSent, 850, 320),
    (Established, 550, 450),
    (FinWait1, 250, 580),
    (CloseWait, 850, 580),
    (FinWait2, 250, 720),
    (Closing, 550, 720),
    (LastAck, 850, 720),
    (TimeWait, 550, 850),
    (Closed, 850, 850),
];

/// How an edge is drawn.
pub struct EdgeShape {
    /// The state the edge leaves.
    pub from: TcpState,
    /// The state the edge enters.
    pub to: TcpState,
    /// What the figure writes on it.
    pub event: &'static str,
    /// SVG path.
    pub path: &'static str,
    /// Label anchor and alignment (`start`, `middle`, `end`).
    pub label: (i32, i32, &'static str),
    /// One of the transitions people trip over: highlighted when seen.
    pub unusual: bool,
    /// Drawn as a CLOSED marker beside the state (the figure leaves it
    /// implicit); the marker's centre.
    pub marker: Option<(i32, i32)>,
}

const fn e(
    from: TcpState,
    to: TcpState,
    event: &'static str,
    path: &'static str,
    label: (i32, i32, &'static str),
    unusual: bool,
) -> EdgeShape {
    EdgeShape {
        from,
        to,
        event,
        path,
        label,
        unusual,
        marker: None,
    }
}

const fn m(from: TcpState, event: &'static str, path: &'static str, at: (i32, i32)) -> EdgeShape {
    EdgeShape {
        from,
        to: Closed,
        event,
        path,
        label: (at.0, at.1 + 24, "middle"),
        unusual: false,
        marker: Some(at),
    }
}

/// Every edge the replay can take, in a fixed order.
pub const EDGES: [EdgeShape; 27] = [
    e(
        Closed,
        SynSent,
        "active OPEN, snd SYN",
        "M620,45 C760,45 840,150 830,300",
        (690, 82, "start"),
        false,
    ),
    e(
        Closed,
        SynReceived,
        "snd SYN,ACK (SYN unseen)",
        "M480,45 C300,45 240,150 240,300",
        (470, 82, "end"),
        false,
    ),
    e(
        Listen,
        Closed,
        "CLOSE",
        "M530,160 L530,70",
        (522, 112, "end"),
        false,
    ),
    e(
        Listen,
        SynReceived,
        "rcv SYN, snd SYN,ACK",
        "M490,200 C420,215 330,250 300,300",
        (395, 245, "end"),
        false,
    ),
    e(
        Listen,
        SynSent,
        "SEND, snd SYN",
        "M610,200 C680,215 770,250 800,300",
        (705, 245, "start"),
        false,
    ),
    e(
        SynReceived,
        Listen,
        "rcv RST (passive open)",
        "M200,300 C190,190 330,175 480,178",
        (185, 200, "end"),
        true,
    ),
    e(
        SynSent,
        SynReceived,
        "rcv SYN (crossing SYNs)",
        "M780,318 L320,318",
        (550, 300, "middle"),
        true,
    ),
    e(
        SynSent,
        Closed,
        "RST / ABORT / timeout",
        "M905,300 C990,140 900,22 620,32",
        (975, 200, "start"),
        false,
    ),
    e(
        SynReceived,
        Established,
        "rcv ACK of SYN",
        "M300,340 C330,400 470,400 515,430",
        (385, 393, "end"),
        false,
    ),
    e(
        SynSent,
        Established,
        "rcv SYN,ACK, snd ACK",
        "M800,340 C770,400 630,400 585,430",
        (715, 393, "start"),
        false,
    ),
    e(
        SynReceived,
        FinWait1,
        "CLOSE, snd FIN",
        "M250,340 L250,560",
        (242, 460, "end"),
        false,
    ),
    e(
        Established,
        FinWait1,
        "CLOSE, snd FIN",
        "M500,470 C450,540 380,575 320,578",
        (430, 530, "end"),
        false,
    ),
    e(
        Established,
        CloseWait,
        "rcv FIN, snd ACK",
        "M600,470 C650,540 720,575 780,578",
        (670, 530, "start"),
        false,
    ),
    e(
        CloseWait,
        LastAck,
        "CLOSE, snd FIN",
        "M850,600 L850,700",
        (860, 640, "start"),
        false,
    ),
    e(
        FinWait1,
        FinWait2,
        "rcv ACK of FIN",
        "M250,600 L250,700",
        (242, 640, "end"),
        false,
    ),
    e(
        FinWait1,
        Closing,
        "rcv FIN (crossing FINs)",
        "M305,600 C380,640 440,700 480,712",
        (330, 622, "start"),
        true,
    ),
    e(
        FinWait1,
        TimeWait,
        "rcv FIN+ACK of FIN, one segment",
        "M280,600 C330,700 380,830 480,842",
        (470, 668, "end"),
        true,
    ),
    e(
        FinWait2,
        TimeWait,
        "rcv FIN, snd ACK",
        "M250,740 C250,820 380,858 480,858",
        (240, 800, "end"),
        false,
    ),
    e(
        Closing,
        TimeWait,
        "rcv ACK of FIN",
        "M550,740 L550,830",
        (560, 776, "start"),
        false,
    ),
    e(
        LastAck,
        Closed,
        "rcv ACK of FIN / RST",
        "M850,740 L850,830",
        (860, 776, "start"),
        false,
    ),
    e(
        TimeWait,
        Closed,
        "2MSL timeout / RST / reopen",
        "M620,850 L780,850",
        (700, 818, "middle"),
        true,
    ),
    m(
        SynReceived,
        "RST / ABORT / timeout",
        "M180,320 L115,320",
        (80, 320),
    ),
    m(Established, "RST / ABORT", "M620,450 L665,450", (700, 450)),
    m(FinWait1, "RST / ABORT", "M180,580 L115,580", (80, 580)),
    m(FinWait2, "RST / ABORT", "M180,720 L115,720", (80, 720)),
    m(CloseWait, "RST / ABORT", "M920,580 L985,580", (1020, 580)),
    m(Closing, "RST / ABORT", "M620,720 L665,720", (700, 720)),
];

/// The figure's CLOSED → LISTEN (passive OPEN), drawn faint: a capture
/// cannot show it.
const PASSIVE_OPEN: (&str, (i32, i32, &str)) = ("M570,70 L570,160", (578, 112, "start"));

/// A count as drawn: exact up to 9,999,999, then with a suffix.
pub fn count(n: u64) -> String {
    if n < 10_000_000 {
        n.to_string()
    } else if n < 10_000_000_000 {
        format!("{:.1}M", n as f64 / 1e6)
    } else {
        format!("{:.1}G", n as f64 / 1e9)
    }
}

fn edge_of<'a>(agg: &'a Aggregate, s: &EdgeShape) -> Option<&'a Edge> {
    agg.edges.iter().find(|x| x.from == s.from && x.to == s.to)
}

/// The edge's anchor id in the page.
pub fn edge_id(from: TcpState, to: TcpState) -> String {
    format!("edge-{}-{}", from.name(), to.name())
}

fn stroke_class(edge: Option<&Edge>, unusual: bool) -> &'static str {
    let Some(x) = edge.filter(|x| x.total() > 0) else {
        return "unseen";
    };
    let wire = x.client.wire() + x.server.wire();
    let inferred = x.client.inferred + x.server.inferred;
    let base = if wire > 0 {
        "wire"
    } else if inferred > 0 {
        "inferred"
    } else {
        "timer"
    };
    match (unusual, base) {
        (true, "wire") => "wire unusual",
        (true, "inferred") => "inferred unusual",
        (true, _) => "timer unusual",
        (false, b) => b,
    }
}

fn width(n: u64) -> f64 {
    (1.2 + 0.9 * ((1 + n) as f64).log10()).min(5.0)
}

/// The lines of an edge's label: what the figure says, the counts by
/// endpoint, and what part rests on inference or a timer.
pub fn label_lines(
    shape: &EdgeShape,
    edge: Option<&Edge>,
) -> (String, Option<(String, String)>, Option<String>) {
    let Some(x) = edge.filter(|x| x.total() > 0) else {
        return (shape.event.to_string(), None, None);
    };
    let counts = (
        format!("C {}", count(x.client.total())),
        format!("S {}", count(x.server.total())),
    );
    let inferred = x.client.inferred + x.server.inferred;
    let timer = x.client.timer + x.server.timer;
    let wire = x.client.wire() + x.server.wire();
    let note = match (inferred, timer) {
        (0, 0) => None,
        (i, 0) if wire == 0 => Some(format!("all inferred ({})", count(i))),
        (0, t) if wire == 0 => Some(format!("all by timer ({})", count(t))),
        (i, t) => {
            let mut v = Vec::new();
            if i > 0 {
                v.push(format!("{} inferred", count(i)));
            }
            if t > 0 {
                v.push(format!("{} timer", count(t)));
            }
            Some(v.join(", "))
        }
    };
    (shape.event.to_string(), Some(counts), note)
}

/// The diagram as an inline SVG element (styled by the page's CSS classes;
/// [`standalone`] adds the style for a file of its own).
pub fn svg(agg: &Aggregate) -> Markup {
    let (w, h) = SIZE;
    let (bw, bh) = BOX;
    html! {
        svg class="diagram" xmlns="http://www.w3.org/2000/svg" viewBox={"0 0 " (w) " " (h)} width=(w) height=(h) role="img" aria-label="RFC 9293 TCP state diagram with the transitions observed" {
            defs {
                @for (id, cls) in [("arrow", "head"), ("arrow-unusual", "head unusual"), ("arrow-unseen", "head unseen")] {
                    marker id=(id) viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="10" orient="auto-start-reverse" {
                        path class=(cls) d="M0,0 L10,5 L0,10 z" {}
                    }
                }
            }
            g class="edge unseen passive-open" data-from="CLOSED" data-to="LISTEN" {
                path class="unseen" d=(PASSIVE_OPEN.0) marker-end="url(#arrow-unseen)" {}
                text class="event unseen" x=(PASSIVE_OPEN.1.0) y=(PASSIVE_OPEN.1.1) text-anchor=(PASSIVE_OPEN.1.2) { "passive OPEN" }
                text class="event unseen" x=(PASSIVE_OPEN.1.0) y=(PASSIVE_OPEN.1.1 + 13) text-anchor=(PASSIVE_OPEN.1.2) { "(no segment)" }
            }
            @for s in &EDGES {
                @let edge = edge_of(agg, s);
                @let cls = stroke_class(edge, s.unusual);
                @let n = edge.map_or(0, Edge::total);
                @let head = if cls == "unseen" { "url(#arrow-unseen)" } else if s.unusual { "url(#arrow-unusual)" } else { "url(#arrow)" };
                @let (event, counts, note) = label_lines(s, edge);
                @let (lx, ly, anchor) = s.label;
                a href={"#" (edge_id(s.from, s.to))} {
                    g class={"edge " (cls)} data-from=(s.from.name()) data-to=(s.to.name())
                        data-client=(edge.map_or(0, |x| x.client.total())) data-server=(edge.map_or(0, |x| x.server.total())) {
                        title { (s.from.name()) " → " (s.to.name()) ": " (event) @if let Some(x) = edge { " (client " (x.client.total()) ", server " (x.server.total()) ")" } }
                        path class=(cls) d=(s.path) stroke-width=(format!("{:.1}", if n > 0 { width(n) } else { 1.2 })) marker-end=(head) {}
                        @if let Some((mx, my)) = s.marker {
                            rect class={"marker " (cls)} x=(mx - 35) y=(my - 11) width="70" height="22" rx="11" {}
                            text class="marker-text" x=(mx) y=(my + 4) text-anchor="middle" { "CLOSED" }
                        }
                        text class="event" x=(lx) y=(ly) text-anchor=(anchor) { (event) }
                        @if let Some((c, sv)) = &counts {
                            text class="counts" x=(lx) y=(ly + 13) text-anchor=(anchor) {
                                tspan class="client" { (c) } " · " tspan class="server" { (sv) }
                            }
                        }
                        @if let Some(note) = &note {
                            text class="note" x=(lx) y=(ly + 26) text-anchor=(anchor) { (note) }
                        }
                    }
                }
            }
            @for (state, x, y) in NODES {
                g class="node" data-state=(state.name()) {
                    rect x=(x - bw / 2) y=(y - bh / 2) width=(bw) height=(bh) rx="6" {}
                    text x=(x) y=(y + 5) text-anchor="middle" { (state.name()) }
                }
            }
        }
    }
}

pub use crate::output::picture::CSS;

/// The diagram as a file of its own (for the README), with its style.
pub fn standalone(agg: &Aggregate) -> String {
    let inner = svg(agg).into_string();
    let style = format!(
        "<style>{}svg {{ background: var(--bg); }}</style>",
        CSS.replace(":root", "svg")
    );
    // The style goes inside the root element, after its start tag.
    match inner.find('>') {
        Some(i) => format!("{}{}{}", &inner[..=i], style, &inner[i + 1..]),
        None => inner,
    }
}

/// Raw HTML passthrough for pre-rendered parts.
pub fn raw(s: String) -> PreEscaped<String> {
    PreEscaped(s)
}
