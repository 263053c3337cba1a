//! The reduce step: the report over results written earlier, instead of
//! over the captures.
//!
//! A results directory holds what `tcpstate summary` wrote: Parquet
//! (`connections.parquet`, one per capture, usually under Hive-style
//! `capture=NAME/` partitions) or JSON Lines (`*.jsonl`, `*.ndjson`: the
//! `connection` rows and each capture's closing `capture` object). Each
//! connection row is counted by the same code that counts a replayed
//! connection (`CaptureAcc` in [`super`]), and the capture's totals come from
//! its `capture` object (kept in the Parquet file's metadata), so the
//! report equals the report over the captures, byte for byte in JSON.
//!
//! The captures of one results input are listed by path, as a directory's
//! captures are: `tcpstate report RESULTS` equals `tcpstate report` over the
//! same captures given in that order (one directory of them, say).

use super::{CaptureAcc, CaptureReport};
use crate::output::rows::{CaptureInfo, ConnectionRow};
use crate::report::Settings;
use rayon::prelude::*;
use serde_json::Value;
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// A file of results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResultsFile {
    /// A `connections.parquet`.
    Parquet(PathBuf),
    /// JSON Lines summary output.
    Jsonl(PathBuf),
    /// Timeline results (`segments.parquet`): no connection rows, ignored.
    Segments(PathBuf),
}

/// What kind of results file `p` is, by its name.
pub fn results_file(p: &Path) -> Option<ResultsFile> {
    let name = p.file_name()?.to_str()?;
    if name.starts_with('.') {
        return None; // a temporary file (a write in progress, or a crash)
    }
    let lower = name.to_ascii_lowercase();
    if name == "connections.parquet" {
        Some(ResultsFile::Parquet(p.to_path_buf()))
    } else if name == "segments.parquet" {
        Some(ResultsFile::Segments(p.to_path_buf()))
    } else if lower.ends_with(".jsonl") || lower.ends_with(".ndjson") {
        Some(ResultsFile::Jsonl(p.to_path_buf()))
    } else {
        None
    }
}

/// The results files under directory `dir` (recursively, sorted by path).
pub fn results_in(dir: &Path) -> Vec<ResultsFile> {
    fn walk(dir: &Path, out: &mut Vec<ResultsFile>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if let Some(r) = results_file(&p) {
                out.push(r);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}

/// One capture's report from results, and the `--where` its rows were
/// written with.
type FromResults = (CaptureReport, Option<String>);

/// Reads one results input (the files of a directory, or one file): the
/// captures' reports sorted by path, and the problems met.
pub(super) fn read(
    files: &[ResultsFile],
    settings: &Settings,
    max_refs: usize,
) -> (Vec<FromResults>, Vec<String>) {
    let parts: Vec<Result<Vec<FromResults>, String>> = files
        .par_iter()
        .map(|f| match f {
            ResultsFile::Parquet(p) => parquet(p, settings, max_refs).map(|r| vec![r]),
            ResultsFile::Jsonl(p) => jsonl(p, settings, max_refs),
            ResultsFile::Segments(_) => Ok(Vec::new()),
        })
        .collect();
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for p in parts {
        match p {
            Ok(v) => out.extend(v),
            Err(e) => problems.push(e),
        }
    }
    if out.is_empty() && problems.is_empty() {
        let where_ = files.first().map_or_else(String::new, |f| match f {
            ResultsFile::Parquet(p) | ResultsFile::Jsonl(p) | ResultsFile::Segments(p) => {
                format!("{}: ", p.display())
            }
        });
        problems.push(format!(
            "{where_}no connection rows in these results (timeline's segments.parquet has none: the report reads summary's results)"
        ));
    }
    out.sort_by(|a, b| Path::new(&a.0.file).cmp(Path::new(&b.0.file)));
    (out, problems)
}

#[cfg(feature = "parquet")]
fn parquet(path: &Path, settings: &Settings, max_refs: usize) -> Result<FromResults, String> {
    let at = |e: String| format!("{}: {e}", path.display());
    let file = crate::output::parquet::ConnectionsFile::open(path).map_err(at)?;
    let info = file.info.clone();
    let mut acc = CaptureAcc::new(&info.file, settings.select.clone(), max_refs);
    if let Some(t) = info.first_ts_ns {
        acc.start(t);
    }
    file.for_each_row(|row| acc.count(&row)).map_err(at)?;
    let selection = info.selection.clone();
    Ok((acc.finish(Ok(&info)), selection))
}

#[cfg(not(feature = "parquet"))]
fn parquet(path: &Path, _: &Settings, _: usize) -> Result<FromResults, String> {
    Err(format!("{}: {}", path.display(), crate::output::NO_PARQUET))
}

/// The `capture` objects of a JSON Lines file, and the connection rows
/// counted into their captures (two passes: a capture's totals come last,
/// and the chart needs its first timestamp before the rows).
fn jsonl(path: &Path, settings: &Settings, max_refs: usize) -> Result<Vec<FromResults>, String> {
    let at = |n: usize, e: &dyn std::fmt::Display| format!("{}: line {}: {e}", path.display(), n);
    let lines = |f: &mut dyn FnMut(usize, &str) -> Result<(), String>| -> Result<(), String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| at(i + 1, &e))?;
            if !line.trim().is_empty() {
                f(i + 1, &line)?;
            }
        }
        Ok(())
    };
    // First pass: the captures.
    let mut captures: Vec<(CaptureAcc, CaptureInfo)> = Vec::new();
    lines(&mut |n, line| {
        if !line.contains("\"type\":\"capture\"") {
            return Ok(());
        }
        let v: Value = serde_json::from_str(line).map_err(|e| at(n, &e))?;
        if v.get("type").and_then(Value::as_str) != Some("capture") {
            return Ok(());
        }
        let info = CaptureInfo::from_json(&v).map_err(|e| at(n, &e))?;
        if captures.iter().any(|(_, c)| c.file == info.file) {
            return Err(at(n, &format!("capture {} appears twice", info.file)));
        }
        let mut a = CaptureAcc::new(&info.file, settings.select.clone(), max_refs);
        if let Some(t) = info.first_ts_ns {
            a.start(t);
        }
        captures.push((a, info));
        Ok(())
    })?;
    // Second pass: the rows.
    lines(&mut |n, line| {
        let v: Value = serde_json::from_str(line).map_err(|e| at(n, &e))?;
        match v.get("type").and_then(Value::as_str) {
            Some("connection") => {
                let file = v
                    .get("file")
                    .and_then(Value::as_str)
                    .ok_or_else(|| at(n, &"a connection without `file` (not JSON Lines output)"))?;
                let row = ConnectionRow::from_json(&v).map_err(|e| at(n, &e))?;
                let (acc, _) = captures
                    .iter_mut()
                    .find(|(_, c)| c.file == file)
                    .ok_or_else(|| {
                        at(
                            n,
                            &format!(
                                "rows of {file} but no `capture` line for it: the results end early"
                            ),
                        )
                    })?;
                acc.count(&row);
                Ok(())
            }
            Some("capture" | "segment") => Ok(()),
            _ => Err(at(n, &"not a tcpstate JSON Lines object (no known `type`)")),
        }
    })?;
    Ok(captures
        .into_iter()
        .map(|(a, info)| {
            let selection = info.selection.clone();
            (a.finish(Ok(&info)), selection)
        })
        .collect())
}
