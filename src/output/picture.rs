//! The style the pictures share: the report's state diagram and page and
//! the ladders (standalone or inside the report) use one palette. Here,
//! below both `aggregate` and `ladder`, so that neither imports the other
//! for it.

/// The CSS shared by the report's page, its diagram and the standalone SVGs: colour-blind-safe
/// (Okabe and Ito's palette), light and dark.
pub const CSS: &str = r#"
:root { --bg:#ffffff; --fg:#1a1a1a; --muted:#6b6b6b; --faint:#c8c8c8; --box:#f4f4f4;
  --client:#0072B2; --server:#D55E00; --unusual:#AA3377; --wire:#1a1a1a; --inferred:#0072B2; --timer:#009E73; --grid:#e3e3e3; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#15171a; --fg:#e8e8e8; --muted:#a0a0a0; --faint:#4a4d52; --box:#23262b;
    --client:#56B4E9; --server:#E69F00; --unusual:#EE99CC; --wire:#e8e8e8; --inferred:#56B4E9; --timer:#2FC39A; --grid:#30333a; }
}
svg text { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11px; fill: var(--fg); }
svg .edge text { paint-order: stroke; stroke: var(--bg); stroke-width: 4px; stroke-linejoin: round; }
svg .node rect { fill: var(--box); stroke: var(--fg); stroke-width: 1.5; }
svg .node text { font-size: 13px; font-weight: 700; }
svg path.wire, svg path.inferred, svg path.timer, svg path.unseen { fill: none; }
svg path.wire { stroke: var(--wire); }
svg path.inferred { stroke: var(--inferred); stroke-dasharray: 7 4; }
svg path.timer { stroke: var(--timer); stroke-dasharray: 2 3; }
svg path.unusual { stroke: var(--unusual); }
svg path.unseen { stroke: var(--faint); stroke-dasharray: 3 3; }
svg .head { fill: var(--wire); } svg .head.unusual { fill: var(--unusual); } svg .head.unseen { fill: var(--faint); }
svg text.unseen, svg .edge.unseen text { fill: var(--muted); opacity: .75; }
svg .edge.unusual text.event { fill: var(--unusual); font-weight: 700; }
svg .counts { font-weight: 700; }
svg tspan.client { fill: var(--client); } svg tspan.server { fill: var(--server); }
svg .note { fill: var(--muted); font-style: italic; }
svg rect.marker { fill: var(--bg); stroke: var(--fg); stroke-width: 1; }
svg rect.marker.unseen { stroke: var(--faint); }
svg .marker-text { font-size: 10px; }
svg a:hover text.event, svg a:focus text.event { text-decoration: underline; }
"#;
