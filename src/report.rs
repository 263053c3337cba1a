//! The commands: run the engine over the given captures and render.
//!
//! Kept in the library so that the binary only parses arguments, and so
//! that tests can run a command end to end into a buffer.

use crate::capture::CaptureReader;
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord, Totals};
use crate::output::{self, Format, Style, json, text, zeek};
use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Exit status of a command (documented in the README and `--help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything was read and analysed.
    Ok = 0,
    /// `check`: the policy does not hold.
    PolicyViolated = 1,
    /// Bad usage, or an input could not be opened, is not a capture, or is
    /// damaged or truncated (what came before the damage was analysed and
    /// printed).
    InputProblem = 2,
}

/// What the commands share.
#[derive(Clone, Debug)]
pub struct Settings {
    pub engine: engine::Options,
    pub format: Format,
    pub color: bool,
    /// Called with (file, bytes consumed, total) for progress display.
    pub progress: Option<Arc<AtomicU64>>,
    /// Only the connections this `--where` expression selects.
    pub select: Option<Arc<crate::select::Selection>>,
}

/// Summary of one capture, rendered into a buffer or streamed.
struct SummarySink<'a> {
    format: Format,
    file_json: Vec<u8>,
    file: Option<String>,
    first_ts: i64,
    table: Option<&'a mut text::Table>,
    cells: Vec<Vec<text::Cell>>,
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    wrote_one: bool,
    /// `--format zeek`: the conn.log header is written.
    zeek_header: bool,
    select: Option<Arc<crate::select::Selection>>,
}

impl Consumer for SummarySink<'_> {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = first_ts;
    }

    fn segments(&mut self, _: &[SegmentRecord]) -> io::Result<()> {
        Ok(())
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        let select = self.select.clone();
        let selected =
            |r: &&ConnectionRecord| select.as_ref().is_none_or(|s| s.matches(r.stream, &r.conn));
        let records: Vec<&ConnectionRecord> = records.iter().filter(selected).collect();
        match self.format {
            Format::Text => {
                for r in records {
                    let row = text::summary_row(r, self.first_ts, self.file.as_deref());
                    match self.table.as_deref_mut() {
                        Some(t) => t.push(row, self.out)?,
                        None => self.cells.push(row),
                    }
                }
                Ok(())
            }
            Format::Json | Format::Jsonl => {
                self.buf.clear();
                for r in records {
                    if self.format == Format::Json && self.wrote_one {
                        self.buf.push(b',');
                    }
                    self.wrote_one = true;
                    let file = if self.format == Format::Jsonl {
                        Some(&self.file_json[..])
                    } else {
                        None
                    };
                    json::connection(&mut self.buf, file, r);
                    if self.format == Format::Jsonl {
                        self.buf.push(b'\n');
                    }
                }
                self.out.write_all(&self.buf)
            }
            Format::Zeek => {
                self.buf.clear();
                if !self.zeek_header {
                    zeek::header(&mut self.buf, self.first_ts);
                    self.zeek_header = true;
                }
                for r in records {
                    zeek::rows(&mut self.buf, r);
                }
                self.out.write_all(&self.buf)
            }
        }
    }
}

fn open(path: &Path) -> Result<CaptureReader, crate::capture::CaptureError> {
    CaptureReader::open(path)
}

fn file_name(path: &Path) -> String {
    path.display().to_string()
}

fn json_string(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    json::string(&mut v, s);
    v
}

/// The result of summarising one file.
struct FileSummary {
    status: Status,
    /// Rendered output (JSON / JSONL), or text cells.
    bytes: Vec<u8>,
    cells: Vec<Vec<text::Cell>>,
    totals: Option<Totals>,
    problem: Option<String>,
}

fn summarize_one(
    path: &Path,
    settings: &Settings,
    with_file: bool,
    out: Option<(&mut dyn Write, Option<&mut text::Table>)>,
) -> io::Result<FileSummary> {
    let name = file_name(path);
    let reader = match open(path) {
        Ok(r) => r,
        Err(e) => {
            return Ok(FileSummary {
                status: Status::InputProblem,
                bytes: Vec::new(),
                cells: Vec::new(),
                totals: None,
                problem: Some(e.to_string()),
            });
        }
    };
    let mut buf_out: Vec<u8> = Vec::new();
    let (writer, table): (&mut dyn Write, Option<&mut text::Table>) = match out {
        Some((w, t)) => (w, t),
        None => (&mut buf_out, None),
    };
    let file_json = json_string(&name);
    if settings.format == Format::Json {
        writer.write_all(b"{\"file\":")?;
        writer.write_all(&file_json)?;
        writer.write_all(b",\"connections\":[")?;
    }
    let mut sink = SummarySink {
        format: settings.format,
        file_json: file_json.clone(),
        file: with_file.then(|| name.clone()),
        first_ts: 0,
        table,
        cells: Vec::new(),
        out: writer,
        buf: Vec::new(),
        wrote_one: false,
        zeek_header: false,
        select: settings.select.clone(),
    };
    let totals = engine::analyze(
        reader,
        &settings.engine,
        &mut sink,
        settings.progress.clone(),
    )?;
    let cells = std::mem::take(&mut sink.cells);
    let zeek_header = sink.zeek_header;
    let first_ts = sink.first_ts;
    let writer = sink.out;
    let mut tail = Vec::new();
    match settings.format {
        Format::Json => {
            tail.extend_from_slice(b"],\"totals\":");
            json::capture(&mut tail, &file_json, &totals);
            tail.push(b'}');
        }
        Format::Jsonl => {
            json::capture(&mut tail, &file_json, &totals);
            tail.push(b'\n');
        }
        Format::Zeek => {
            if !zeek_header {
                zeek::header(&mut tail, first_ts);
            }
            zeek::footer(&mut tail, totals.last_ts.unwrap_or(first_ts));
        }
        Format::Text => {}
    }
    writer.write_all(&tail)?;
    let status = if totals.error.is_some() {
        Status::InputProblem
    } else {
        Status::Ok
    };
    Ok(FileSummary {
        status,
        bytes: buf_out,
        cells,
        totals: Some(totals),
        problem: None,
    })
}

/// `tcpstate summary FILE...`: one row per connection. Several files are
/// analysed in parallel; their rows come out in the order the files were
/// given, each naming its file.
pub fn summary(
    files: &[PathBuf],
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let with_file = files.len() > 1;
    let style = Style {
        color: settings.color,
        with_file,
    };
    let mut table = text::summary_table(&style);
    let mut status = Status::Ok;
    if settings.format == Format::Json {
        write!(
            out,
            "{{\"schema\":{},\"captures\":[",
            output::SCHEMA_VERSION
        )?;
    }
    let results: Vec<io::Result<FileSummary>> = if files.len() == 1 {
        let t = (settings.format == Format::Text).then_some(&mut table);
        vec![summarize_one(&files[0], settings, false, Some((out, t)))]
    } else {
        files
            .par_iter()
            .map(|f| summarize_one(f, settings, true, None))
            .collect()
    };
    let mut totals_line: Vec<(String, Totals)> = Vec::new();
    for (i, (path, r)) in files.iter().zip(results).enumerate() {
        let r = r?;
        if settings.format == Format::Json && i > 0 && (r.totals.is_some() || !r.bytes.is_empty()) {
            out.write_all(b",")?;
        }
        out.write_all(&r.bytes)?;
        for row in r.cells {
            table.push(row, out)?;
        }
        if let Some(p) = &r.problem {
            writeln!(err, "tcpstate: {p}")?;
        }
        if let Some(t) = r.totals {
            output::report_problems(&file_name(path), &t, err)?;
            totals_line.push((file_name(path), t));
        }
        if r.status != Status::Ok {
            status = Status::InputProblem;
        }
    }
    if settings.format == Format::Text {
        table.flush(out)?;
        for (name, t) in &totals_line {
            writeln!(out, "{}", text::totals_line(name, t))?;
        }
    }
    if settings.format == Format::Json {
        out.write_all(b"]}\n")?;
    }
    out.flush()?;
    Ok(status)
}

/// Timeline rows of one capture.
struct TimelineSink<'a> {
    format: Format,
    style: Style,
    streams: Option<Vec<u64>>,
    file_json: Vec<u8>,
    first_ts: i64,
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    wrote_one: bool,
}

impl Consumer for TimelineSink<'_> {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = first_ts;
    }

    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        // Rows are formatted in parallel chunks, then written in order.
        let (format, style, file_json, first_ts) =
            (self.format, &self.style, &self.file_json, self.first_ts);
        let streams = self.streams.as_deref();
        let wanted = |s: u64| streams.is_none_or(|v| v.contains(&s));
        let chunks: Vec<Vec<u8>> = records
            .par_chunks(2048)
            .map(|chunk| {
                let mut b = Vec::with_capacity(chunk.len() * 256);
                for r in chunk.iter().filter(|r| wanted(r.stream)) {
                    match format {
                        Format::Text => text::timeline_row(r, first_ts, style, None, &mut b),
                        Format::Jsonl => {
                            json::segment(&mut b, Some(file_json), r, first_ts);
                            b.push(b'\n');
                        }
                        Format::Json => {
                            b.push(b',');
                            json::segment(&mut b, None, r, first_ts);
                        }
                        Format::Zeek => {}
                    }
                }
                b
            })
            .collect();
        for c in chunks {
            let mut c = &c[..];
            if self.format == Format::Json && !self.wrote_one && !c.is_empty() {
                c = &c[1..]; // no comma before the first element
            }
            if !c.is_empty() {
                self.wrote_one = true;
            }
            self.out.write_all(c)?;
        }
        Ok(())
    }

    fn connections(&mut self, _: &[ConnectionRecord]) -> io::Result<()> {
        Ok(())
    }
}

/// `tcpstate timeline FILE [--stream N]...`: one row per segment.
pub fn timeline(
    file: &Path,
    streams: Option<Vec<u64>>,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    let name = file_name(file);
    if settings.format == Format::Zeek {
        writeln!(
            err,
            "tcpstate: --format zeek is a summary format (a conn.log)"
        )?;
        return Ok(Status::InputProblem);
    }
    let reader = match open(file) {
        Ok(r) => r,
        Err(e) => {
            writeln!(err, "tcpstate: {e}")?;
            return Ok(Status::InputProblem);
        }
    };
    let file_json = json_string(&name);
    let style = Style {
        color: settings.color,
        with_file: false,
    };
    let mut head = Vec::new();
    match settings.format {
        Format::Text => text::timeline_header(&style, &mut head),
        Format::Json => {
            let _ = write!(
                head,
                "{{\"schema\":{},\"captures\":[{{\"file\":",
                output::SCHEMA_VERSION
            );
            head.extend_from_slice(&file_json);
            head.extend_from_slice(b",\"segments\":[");
        }
        Format::Jsonl | Format::Zeek => {}
    }
    out.write_all(&head)?;
    let mut engine_opts = settings.engine.clone();
    engine_opts.segments = true;
    let mut sink = TimelineSink {
        format: settings.format,
        style,
        streams,
        file_json: file_json.clone(),
        first_ts: 0,
        out,
        buf: Vec::new(),
        wrote_one: false,
    };
    let totals = engine::analyze(reader, &engine_opts, &mut sink, settings.progress.clone())?;
    let out = sink.out;
    let _ = sink.buf;
    let mut tail = Vec::new();
    match settings.format {
        Format::Text | Format::Zeek => {}
        Format::Json => {
            tail.extend_from_slice(b"],\"totals\":");
            json::capture(&mut tail, &file_json, &totals);
            tail.extend_from_slice(b"}]}\n");
        }
        Format::Jsonl => {
            json::capture(&mut tail, &file_json, &totals);
            tail.push(b'\n');
        }
    }
    out.write_all(&tail)?;
    out.flush()?;
    output::report_problems(&name, &totals, err)?;
    Ok(if totals.error.is_some() {
        Status::InputProblem
    } else {
        Status::Ok
    })
}
