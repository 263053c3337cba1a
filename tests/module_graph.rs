//! The library's modules import one another without circles: the tree reads
//! like the pipeline (capture → decode → track → replay → analyzers →
//! anomalies → output), each layer using only the ones below it.
//!
//! The check reads the sources: every `crate::NAME` path (in `use` lines and
//! inline) in a file of module NAME' is an edge NAME' → NAME between
//! top-level modules of `src/`; inside a folder module, `super::NAME` and
//! `crate::FOLDER::NAME` paths are edges between its children. Comments and
//! the `#[cfg(test)]` parts of a file (test modules, which may use anything)
//! are left out. Any circle fails the test, naming it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).expect("src readable") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file below `src/`: `engine.rs` → [engine],
/// `replay/accept.rs` → [replay, accept], `replay/mod.rs` → [replay].
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without what follows a
/// `#[cfg(test)]` attribute at the start of a line (inline test modules come
/// last in this project's files; a `#[cfg(test)] mod tests;` line is only
/// skipped itself).
fn code(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            // `#[cfg(test)] mod tests;` declares a file of its own (read
            // as a file of its folder): only that line goes, not the rest
            // of this file.
            if lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod ") && n.trim_end().ends_with(';'))
            {
                lines.next();
                continue;
            }
            break;
        }
        let t = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        out.push_str(t);
        out.push('\n');
    }
    out
}

/// The identifiers that follow `prefix` in `code` (`crate::` → `engine`),
/// with the identifier after that when there is one (`crate::replay::accept`).
fn paths_after<'a>(code: &'a str, prefix: &str) -> Vec<(&'a str, Option<&'a str>)> {
    let ident = |s: &'a str| {
        let n = s
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        &s[..n]
    };
    let mut v = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        // Not the tail of a longer path (`foo::crate::`), nor `$crate::`.
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == ':') {
            continue;
        }
        let first = ident(rest);
        let after = &rest[first.len()..];
        let second = after
            .strip_prefix("::")
            .map(ident)
            .filter(|s| !s.is_empty());
        if !first.is_empty() {
            v.push((first, second));
        }
    }
    v
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The import graphs: the top-level one, and one per folder module among
/// its children.
fn graphs() -> BTreeMap<String, Graph> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut top: BTreeSet<String> = BTreeSet::new();
    let mut mods: Vec<(Vec<String>, String)> = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let m = module_of(rel);
        // The crate roots, and the binary's own module (`cli.rs`, its
        // arguments: not part of the library).
        if m.len() == 1 && (m[0] == "main" || m[0] == "lib" || m[0] == "cli") {
            continue;
        }
        top.insert(m[0].clone());
        mods.push((m, code(&fs::read_to_string(f).expect("readable"))));
    }
    let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, _) in &mods {
        if m.len() >= 2 {
            children
                .entry(m[0].clone())
                .or_default()
                .insert(m[1].clone());
        }
    }
    let is_child = |folder: &str, c: &str| children.get(folder).is_some_and(|s| s.contains(c));
    let mut gs: BTreeMap<String, Graph> = BTreeMap::new();
    for (m, code) in &mods {
        let from = &m[0];
        for (first, second) in paths_after(code, "crate::") {
            if top.contains(first) && first != from {
                gs.entry(String::new())
                    .or_default()
                    .entry(from.clone())
                    .or_default()
                    .insert(first.to_string());
            }
            // Inside one folder: crate::FOLDER::CHILD from FOLDER::OTHER.
            if first == from && m.len() >= 2 {
                if let Some(child) = second.filter(|c| *c != m[1] && is_child(from, c)) {
                    gs.entry(from.clone())
                        .or_default()
                        .entry(m[1].clone())
                        .or_default()
                        .insert(child.to_string());
                }
            }
        }
        if m.len() >= 2 {
            for (child, _) in paths_after(code, "super::") {
                if child != m[1] && is_child(from, child) {
                    gs.entry(from.clone())
                        .or_default()
                        .entry(m[1].clone())
                        .or_default()
                        .insert(child.to_string());
                }
            }
        }
    }
    gs
}

/// A circle in `g`, if there is one, as the modules along it.
fn circle(g: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        n: &str,
        g: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(n) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let i = path.iter().position(|p| p == n).expect("on the path");
                let mut c = path[i..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            None => {}
        }
        marks.insert(n.to_string(), Mark::Open);
        path.push(n.to_string());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, marks, path) {
                return Some(c);
            }
        }
        path.pop();
        marks.insert(n.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for n in g.keys() {
        if let Some(c) = visit(n, g, &mut marks, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn no_module_imports_itself_through_others() {
    let gs = graphs();
    assert!(
        gs.get("").is_some_and(|g| g.len() > 5),
        "the top-level graph was read"
    );
    let mut circles = Vec::new();
    for (scope, g) in &gs {
        if let Some(c) = circle(g) {
            let scope = if scope.is_empty() { "crate" } else { scope };
            circles.push(format!("{scope}: {}", c.join(" → ")));
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_checker_finds_a_circle() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert!(circle(&g).is_none());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        circle(&g).expect("circle"),
        ["a", "b", "c", "a"].map(String::from)
    );
    let code = "use crate::engine::{x};\n let y = crate::replay::accept::f(); foo::crate::no;";
    assert_eq!(
        paths_after(code, "crate::"),
        [("engine", None), ("replay", Some("accept"))]
    );
}

/// Prints the graph (`cargo test --test module_graph -- --nocapture print`).
#[test]
fn print() {
    for (scope, g) in graphs() {
        println!("[{}]", if scope.is_empty() { "crate" } else { &scope });
        for (from, to) in g {
            println!(
                "  {from} → {}",
                to.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
    }
}

/// The modules that turn results into output: they are the library's own
/// consumers, and read only what any consumer gets.
const OUTPUT_SIDE: [&str; 7] = [
    "output",
    "report",
    "aggregate",
    "check",
    "netstat",
    "ladder",
    "select",
];

/// What the output side may name of the modules that compute the results:
/// `(module, items allowed, None = nothing at all)`.
///
/// The output side reads the records the [`Consumer`] is given
/// (`crate::consumer`, re-exported by `crate::engine`): a
/// `ConnectionSummary` per finished connection, a `SegmentRecord` per
/// timeline row. Their vocabulary comes from the modules below the
/// pipeline (`crate::vocab`'s `Role` and `Direction`, `crate::state`'s
/// states and bases, `crate::anomaly`'s catalog, `crate::decode`'s flags
/// and tunnels), which stay open. The replay's own record types that the
/// records carry (`Transition`, `Outcome`, `SegmentOutcome`, `Verdict`)
/// are named through `crate::consumer`, so the replay itself
/// (`crate::replay`: its `Connection`, `Endpoint`, timers), the tracker
/// and the analyzers' slot (`crate::analyzers`) are not named at all. Of
/// Wireshark's and Zeek's analyzers, only their documented verdict and
/// record types: a segment's `Verdicts` and its `Flag`s, a connection's
/// `Counts`, Zeek's `ConnState` and `ZeekRecord` (a `conn.log` row), never
/// the analyzer state (`Analyzer`, `Zeek`, `ZeekConn`). Nor the consumer
/// module's crate-private `Tracked` (the replay and the analyzers as the
/// tracker keeps them), which records no longer carry.
///
/// [`Consumer`]: tcpstate::engine::Consumer
const CLOSED_TO_OUTPUTS: [(&str, Option<&[&str]>); 5] = [
    ("replay", None),
    ("tracker", None),
    ("analyzers", None),
    (
        "wireshark",
        Some(&["Flag", "Counts", "Verdicts", "DuplicateAck"]),
    ),
    ("zeek", Some(&["ConnState", "ZeekRecord"])),
];

/// The items named after each `crate::MODULE` in `code`: `X` of
/// `crate::MODULE::X`, each of `crate::MODULE::{X, Y as Z, w::V}` (first
/// segment), and `""` for the module itself (`crate::MODULE` alone, or
/// `crate::MODULE::{self}`).
fn items_of(code: &str, module: &str) -> Vec<String> {
    let prefix = format!("crate::{module}");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(&prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == ':')
            || rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let Some(after) = rest.strip_prefix("::") else {
            out.push(String::new());
            continue;
        };
        let ident = |s: &str| {
            let s = s.trim_start();
            let n = s
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(s.len());
            s[..n].to_string()
        };
        if let Some(group) = after.strip_prefix('{') {
            // The top-level parts of the group.
            let mut depth = 0;
            let mut start = 0;
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth > 0 => depth -= 1,
                    ',' | '}' if depth == 0 => {
                        let part = ident(&group[start..k]);
                        if !part.is_empty() {
                            out.push(if part == "self" { String::new() } else { part });
                        }
                        start = k + 1;
                        if c == '}' {
                            break;
                        }
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(after));
        }
    }
    out
}

/// The output side names nothing of the replay, the tracker or the
/// analyzers' slot, and of Wireshark's and Zeek's analyzers only their
/// verdict and record types (see [`CLOSED_TO_OUTPUTS`]): what a consumer
/// is given is the contract, not the replay's internals. Test modules are
/// left out, as for the circles.
#[test]
fn the_output_side_reads_only_the_records() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut seen = 0;
    let mut bad = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src");
        let m = module_of(rel);
        if !OUTPUT_SIDE.contains(&m[0].as_str()) {
            continue;
        }
        seen += 1;
        let code = code(&fs::read_to_string(f).expect("readable"));
        if items_of(&code, "consumer").iter().any(|i| i == "Tracked") {
            bad.push(format!("{}: crate::consumer::Tracked", rel.display()));
        }
        for (module, allowed) in CLOSED_TO_OUTPUTS {
            for item in items_of(&code, module) {
                if !allowed.is_some_and(|a| a.contains(&item.as_str())) {
                    let what = if item.is_empty() {
                        format!("crate::{module}")
                    } else {
                        format!("crate::{module}::{item}")
                    };
                    bad.push(format!("{}: {what}", rel.display()));
                }
            }
        }
    }
    assert!(seen > 20, "the output side was read ({seen} files)");
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "the output side reaches into the replay or the analyzers:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_checker_reads_items() {
    let code = "use crate::replay::{Role, x::{A, B}, self};\nlet z = crate::replay::f();\n\
                use crate::replay;\nuse crate::replayed::No;\nuse foo::crate::replay::No;";
    assert_eq!(
        items_of(code, "replay"),
        ["Role", "x", "", "f", ""].map(String::from)
    );
}
