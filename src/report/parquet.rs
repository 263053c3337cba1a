//! `summary` and `timeline` with `--format parquet` (the `parquet`
//! feature): each capture replayed
//! into its table, under `-o DIR` or its Hive partition, and what went
//! wrong with each capture said in the order given.

use super::{Order, Settings, Status, StreamFilter};
use crate::capture::CaptureReader;
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord, Totals};
use crate::output::dataset::{partition_name, path_bytes};
use crate::output::order::StreamOrder;
use crate::output::parquet::{
    CONNECTIONS, ConnColumns, SEGMENTS, SegColumns, Table, capture_json, write_unreadable,
};
use crate::output::rows::{ConnectionRow, SegmentRow};
use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The captures a Parquet command writes.
struct Inputs {
    /// Directories read as every command reads them; a capture given twice
    /// once.
    files: Vec<PathBuf>,
    /// One partition per capture: asked for, or several captures.
    hive: bool,
    /// Every input was read and distinct.
    inputs_ok: bool,
}

/// The captures `files` name, or `None` (said on `err`) when they cannot be
/// read at all.
fn inputs(files: &[PathBuf], hive: bool, err: &mut dyn Write) -> io::Result<Option<Inputs>> {
    if let Err(e) = super::check_inputs(files) {
        writeln!(err, "tcpstate: {e}")?;
        return Ok(None);
    }
    let (files, expanded_ok) = super::expand_inputs(files, err)?;
    let hive = hive || files.len() > 1;
    let (files, distinct) = distinct_partitions(&files, hive, err)?;
    Ok(Some(Inputs {
        files,
        hive,
        inputs_ok: expanded_ok && distinct,
    }))
}

/// Where capture `path`'s files go under `dir`.
pub fn capture_dir(dir: &Path, path: &Path, hive: bool) -> PathBuf {
    if hive {
        dir.join(partition_name(&path_bytes(path)))
    } else {
        dir.to_path_buf()
    }
}

/// The captures whose files go to distinct places: a capture given twice
/// (or two names escaping to one partition) would have its results written
/// twice over the same file, the last rename silently winning. Each later
/// one is named as an input problem and left out; `false` if there was one.
fn distinct_partitions(
    files: &[PathBuf],
    hive: bool,
    err: &mut dyn Write,
) -> io::Result<(Vec<PathBuf>, bool)> {
    if !hive {
        return Ok((files.to_vec(), true));
    }
    let mut seen: std::collections::HashMap<String, &PathBuf> = Default::default();
    let mut kept = Vec::with_capacity(files.len());
    let mut ok = true;
    for f in files {
        let part = partition_name(&path_bytes(f));
        match seen.get(&part) {
            Some(first) => {
                ok = false;
                writeln!(
                    err,
                    "tcpstate: {}: given again (as {}): its results go to {part} once, not twice",
                    f.display(),
                    first.display()
                )?;
            }
            None => {
                seen.insert(part, f);
                kept.push(f.clone());
            }
        }
    }
    Ok((kept, ok))
}

/// Summary rows into a table, in stream or completion order.
struct SummarySink<'a> {
    table: &'a mut Table<ConnColumns>,
    order: Option<StreamOrder<ConnectionRow>>,
    settings: &'a Settings,
}

impl Consumer for SummarySink<'_> {
    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        for r in records {
            let selected = self
                .settings
                .select
                .as_ref()
                .is_none_or(|s| s.matches(r.stream, r));
            let row = selected.then(|| ConnectionRow::from_record(r));
            let table = &mut *self.table;
            match &mut self.order {
                None => {
                    if let Some(row) = row {
                        table.push(&row)?;
                    }
                }
                // An unselected stream still takes its place in stream order.
                Some(o) => o.push(r.stream, row, &mut |row| table.push(&row))?,
            }
        }
        Ok(())
    }
}

/// How one capture went: why it could not be opened, or its totals.
type Outcome = Result<Totals, String>;

fn summarize_one(path: &Path, dir: &Path, hive: bool, settings: &Settings) -> io::Result<Outcome> {
    let name = path.display().to_string();
    let dest = capture_dir(dir, path, hive).join(CONNECTIONS);
    let sel = settings.select.as_deref().map(|s| s.text());
    let reader = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            let why = e.to_string();
            write_unreadable::<ConnColumns>(&dest, &name, &why, sel)?;
            return Ok(Err(why));
        }
    };
    let mut table: Table<ConnColumns> = Table::create(&dest, &name)?;
    let mut sink = SummarySink {
        table: &mut table,
        order: (settings.order == Order::Stream).then(StreamOrder::default),
        settings,
    };
    let totals = engine::analyze(
        reader,
        &settings.engine,
        &mut sink,
        settings.progress.clone(),
    )?;
    if let Some(mut o) = sink.order.take() {
        let table = &mut *sink.table;
        o.finish(&mut |row| table.push(&row))?;
    }
    table.finish(capture_json(&name, &totals, sel))?;
    Ok(Ok(totals))
}

/// Says what went wrong with each capture, in the order given.
fn report_outcomes(
    files: &[PathBuf],
    outcomes: Vec<io::Result<Outcome>>,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let mut status = Status::Ok;
    for (path, r) in files.iter().zip(outcomes) {
        let name = path.display().to_string();
        match r {
            Err(e) => {
                writeln!(err, "tcpstate: {name}: cannot write its results: {e}")?;
                status = Status::InputProblem;
            }
            Ok(Err(why)) => {
                writeln!(err, "tcpstate: {why}")?;
                status = Status::InputProblem;
            }
            Ok(Ok(t)) => {
                crate::output::report_problems(&name, &t, err)?;
                if t.error.is_some() {
                    status = Status::InputProblem;
                }
            }
        }
    }
    Ok(status)
}

/// `tcpstate summary --format parquet -o DIR FILE...`: `DIR/connections.parquet`
/// for one capture, `DIR/capture=NAME/connections.parquet` for each of
/// several (or with `hive`). Captures are analysed in parallel; each file
/// appears whole or not at all.
pub fn summary(
    files: &[PathBuf],
    settings: &Settings,
    dir: &Path,
    hive: bool,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let Some(Inputs {
        files,
        hive,
        inputs_ok,
    }) = inputs(files, hive, err)?
    else {
        return Ok(Status::InputProblem);
    };
    let files = &files;
    let outcomes: Vec<io::Result<Outcome>> = files
        .par_iter()
        .map(|p| summarize_one(p, dir, hive, settings))
        .collect();
    let status = report_outcomes(files, outcomes, err)?;
    Ok(if inputs_ok {
        status
    } else {
        Status::InputProblem
    })
}

/// Segment rows of the streams shown into a table.
struct TimelineSink<'a> {
    table: &'a mut Table<SegColumns>,
    filter: &'a StreamFilter,
}

impl Consumer for TimelineSink<'_> {
    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        for r in records {
            if self
                .filter
                .streams
                .as_ref()
                .is_none_or(|s| s.contains(&r.stream))
            {
                self.table.push(&SegmentRow::from_record(r))?;
            }
        }
        Ok(())
    }
}

/// `tcpstate timeline --format parquet -o DIR FILE...`: `segments.parquet`,
/// laid out as [`summary`] lays out `connections.parquet`.
pub fn timeline(
    files: &[PathBuf],
    filter: &StreamFilter,
    settings: &Settings,
    dir: &Path,
    hive: bool,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let Some(Inputs {
        files,
        hive,
        inputs_ok,
    }) = inputs(files, hive, err)?
    else {
        return Ok(Status::InputProblem);
    };
    let files = &files;
    let mut engine_opts = settings.engine.clone();
    engine_opts.segments = true;
    let sel = settings.select.as_deref().map(|s| s.text());
    let mut status = if inputs_ok {
        Status::Ok
    } else {
        Status::InputProblem
    };
    let mut found: Vec<(u64, bool)> = filter
        .streams
        .iter()
        .flatten()
        .map(|&s| (s, false))
        .collect();
    for path in files {
        let name = path.display().to_string();
        let dest = capture_dir(dir, path, hive).join(SEGMENTS);
        let outcome = match CaptureReader::open(path) {
            Err(e) => {
                let why = e.to_string();
                write_unreadable::<SegColumns>(&dest, &name, &why, sel).map(|_| Err(why))
            }
            Ok(reader) => {
                let narrowed = match filter.narrowed(path, settings) {
                    Ok(f) => f,
                    Err(e) => {
                        writeln!(err, "tcpstate: {e}")?;
                        status = Status::InputProblem;
                        continue;
                    }
                };
                let run = || -> io::Result<Totals> {
                    let mut table: Table<SegColumns> = Table::create(&dest, &name)?;
                    let mut sink = TimelineSink {
                        table: &mut table,
                        filter: &narrowed,
                    };
                    let totals = engine::analyze(
                        reader,
                        &engine_opts,
                        &mut sink,
                        settings.progress.clone(),
                    )?;
                    table.finish(capture_json(&name, &totals, sel))?;
                    Ok(totals)
                };
                run().map(Ok)
            }
        };
        if let Ok(Ok(t)) = &outcome {
            for (s, seen) in &mut found {
                *seen |= *s < t.connections;
            }
        }
        let one = report_outcomes(std::slice::from_ref(path), vec![outcome], err)?;
        status = status.max(one);
    }
    for (s, seen) in found {
        if !seen {
            writeln!(
                err,
                "tcpstate: no stream {s}: no capture has such a tcp.stream"
            )?;
            status = Status::InputProblem;
        }
    }
    Ok(status)
}
