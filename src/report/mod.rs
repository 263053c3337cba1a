//! The commands: run the engine over the given captures and render.
//!
//! Kept in the library so that the binary only parses arguments, and so
//! that tests can run a command end to end into a buffer.
//!
//! Output goes to `out`, problems to `err`. The status says what was found
//! ([`Status`]); a caller that must not lose it when `out` fails wraps `out`
//! in [`crate::output::guard::Guarded`] (as the binary does), so that every
//! input is still read to its end.

#[cfg(feature = "parquet")]
pub mod parquet;

use crate::capture::{CaptureReader, inputs};
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord, Totals};
use crate::output::order::{Spill, Spool, StreamOrder};
use crate::output::time::{TimeColumn, TimeFormat};
use crate::output::{self, Format, Style, json, text, zeek};
use rayon::prelude::*;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Exit status of a command (documented in the README and `--help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
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

/// The order of summary rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Order {
    /// By stream number, as tshark's conversation table (the default). Rows
    /// wait until every stream before them is finished; in bounded memory
    /// (see [`crate::output::order`]).
    #[default]
    Stream,
    /// As connections finish: each row as soon as it is final.
    Completion,
}

/// What the commands share.
#[derive(Clone, Debug)]
pub struct Settings {
    /// What the engine computes.
    pub engine: engine::Options,
    /// How rows are written.
    pub format: Format,
    /// ANSI colours in text output.
    pub color: bool,
    /// How text output shows times (tshark's `-t`).
    pub time_format: TimeFormat,
    /// The order of summary rows.
    pub order: Order,
    /// Increased by the bytes consumed as they are read, for a progress display.
    pub progress: Option<Arc<AtomicU64>>,
    /// Only the connections this `--where` expression selects.
    pub select: Option<Arc<crate::select::Selection>>,
}

/// Expands directories among the inputs (see [`inputs::expand`]), notes
/// the files skipped and reports directories that could not be read or
/// held no capture (`false`: there was such a problem).
pub fn expand_inputs(files: &[PathBuf], err: &mut dyn Write) -> io::Result<(Vec<PathBuf>, bool)> {
    let expanded = inputs::expand(files);
    for n in &expanded.notes {
        writeln!(err, "tcpstate: note: {n}")?;
    }
    for p in &expanded.problems {
        writeln!(err, "tcpstate: {p}")?;
    }
    Ok((expanded.files, expanded.problems.is_empty()))
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            engine: engine::Options::default(),
            format: Format::Text,
            color: false,
            time_format: TimeFormat::default(),
            order: Order::default(),
            progress: None,
            select: None,
        }
    }
}

/// Refuses inputs that cannot all be read: standard input named twice.
pub fn check_inputs(files: &[PathBuf]) -> Result<(), String> {
    if files.iter().filter(|f| f.as_os_str() == "-").count() > 1 {
        return Err("standard input (-) can be read only once".into());
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.display().to_string()
}

fn json_string(s: &str) -> Vec<u8> {
    let mut v = Vec::new();
    json::string(&mut v, s);
    v
}

/// A rendered summary row: text cells, or bytes (JSON, Zeek).
enum Row {
    Cells(text::Cells),
    Bytes(Vec<u8>),
}

/// A piece of a capture's summary: a row, or a raw piece around the rows
/// (a header or a footer).
enum Piece {
    Row(Row),
    Raw(Vec<u8>),
}

impl Spill for Row {
    fn size(&self) -> usize {
        match self {
            Row::Cells(c) => c.text_len() + 32 * c.len(),
            Row::Bytes(b) => b.len(),
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Row::Cells(c) => {
                out.push(b'C');
                text::encode_row(c, out);
            }
            Row::Bytes(b) => {
                out.push(b'B');
                out.extend_from_slice(b);
            }
        }
    }
    fn decode(bytes: &[u8]) -> Row {
        match bytes.split_first() {
            Some((b'C', cells)) => Row::Cells(text::decode_row(cells)),
            Some((_, b)) => Row::Bytes(b.to_vec()),
            None => Row::Bytes(Vec::new()),
        }
    }
}

impl Spill for Piece {
    fn size(&self) -> usize {
        match self {
            Piece::Row(r) => r.size(),
            Piece::Raw(b) => b.len(),
        }
    }
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Piece::Row(r) => r.encode(out),
            Piece::Raw(b) => {
                out.push(b'W');
                out.extend_from_slice(b);
            }
        }
    }
    fn decode(bytes: &[u8]) -> Piece {
        match bytes.split_first() {
            Some((b'W', raw)) => Piece::Raw(raw.to_vec()),
            _ => Piece::Row(Row::decode(bytes)),
        }
    }
}

/// Where the pieces of a summary go: straight to the output, or into a
/// spool until the captures before are written.
trait Pieces {
    fn row(&mut self, row: Row) -> io::Result<()>;
    fn raw(&mut self, bytes: &[u8]) -> io::Result<()>;
}

/// Writes pieces to the output: text rows into the table, JSON rows with
/// the commas between them.
struct Writer<'a> {
    format: Format,
    out: &'a mut dyn Write,
    table: &'a mut text::Table,
    /// A row was written since the last raw piece (JSON needs a comma).
    after_row: bool,
}

impl Pieces for Writer<'_> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        match row {
            Row::Cells(cells) => self.table.push(cells, self.out)?,
            Row::Bytes(b) => {
                if self.format == Format::Json && self.after_row {
                    self.out.write_all(b",")?;
                }
                self.out.write_all(&b)?;
            }
        }
        self.after_row = true;
        Ok(())
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.after_row = false;
        self.out.write_all(bytes)
    }
}

impl Pieces for Spool<Piece> {
    fn row(&mut self, row: Row) -> io::Result<()> {
        self.push(&Piece::Row(row))
    }

    fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.push(&Piece::Raw(bytes.to_vec()))
    }
}

fn replay(spool: Spool<Piece>, to: &mut dyn Pieces) -> io::Result<()> {
    spool.drain(&mut |piece| match piece {
        Piece::Row(r) => to.row(r),
        Piece::Raw(b) => to.raw(&b),
    })
}

/// Summary rows of one capture, rendered as connections finish.
struct SummarySink<'a> {
    format: Format,
    file_json: Vec<u8>,
    file: Option<String>,
    time: TimeColumn,
    time_format: TimeFormat,
    first_ts: i64,
    /// `None`: completion order.
    order: Option<StreamOrder<Row>>,
    to: &'a mut dyn Pieces,
    /// Only the connections this selects (`--where`).
    select: Option<Arc<crate::select::Selection>>,
}

impl SummarySink<'_> {
    fn render(&mut self, r: &ConnectionRecord) -> Row {
        match self.format {
            Format::Text => Row::Cells(text::summary_row(r, &mut self.time, self.file.as_deref())),
            Format::Json | Format::Jsonl => {
                let mut b = Vec::with_capacity(1024);
                let file = (self.format == Format::Jsonl).then_some(&self.file_json[..]);
                json::connection(&mut b, file, r);
                if self.format == Format::Jsonl {
                    b.push(b'\n');
                }
                Row::Bytes(b)
            }
            Format::Zeek => {
                let mut b = Vec::with_capacity(256);
                zeek::rows(&mut b, r);
                Row::Bytes(b)
            }
        }
    }
}

impl Consumer for SummarySink<'_> {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = first_ts;
        self.time = TimeColumn::new(self.time_format, first_ts);
        if self.format == Format::Zeek {
            let mut h = Vec::new();
            zeek::header(&mut h, first_ts);
            // A failed write shows again, and is returned, at the first row.
            let _ = self.to.raw(&h);
        }
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        for r in records {
            let selected = self.select.as_ref().is_none_or(|s| s.matches(r.stream, r));
            // An unselected stream still takes its place in stream order.
            let row = selected.then(|| self.render(r));
            match &mut self.order {
                None => {
                    if let Some(row) = row {
                        self.to.row(row)?;
                    }
                }
                Some(o) => {
                    let to = &mut *self.to;
                    o.push(r.stream, row, &mut |row| to.row(row))?;
                }
            }
        }
        Ok(())
    }
}

/// What ends a capture's rows in JSON (its totals, closing its object) and
/// JSON Lines (the `capture` object).
fn json_tail(settings: &Settings, file_json: &[u8], totals: &Totals, out: &mut Vec<u8>) {
    let selection = settings.select.as_deref().map(|s| s.text());
    match settings.format {
        Format::Json => {
            out.extend_from_slice(b"],\"totals\":");
            json::capture(out, file_json, totals, selection);
            out.push(b'}');
        }
        Format::Jsonl => {
            json::capture(out, file_json, totals, selection);
            out.push(b'\n');
        }
        Format::Text | Format::Zeek => {}
    }
}

/// How one capture went.
struct FileResult {
    /// Why it could not be opened.
    problem: Option<String>,
    totals: Option<Totals>,
}

/// Summarises one capture into `to`.
fn summarize_one(
    path: &Path,
    settings: &Settings,
    with_file: bool,
    to: &mut dyn Pieces,
) -> io::Result<FileResult> {
    let name = file_name(path);
    let reader = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => {
            return Ok(FileResult {
                problem: Some(e.to_string()),
                totals: None,
            });
        }
    };
    let file_json = json_string(&name);
    if settings.format == Format::Json {
        let mut h = b"{\"file\":".to_vec();
        h.extend_from_slice(&file_json);
        h.extend_from_slice(b",\"connections\":[");
        to.raw(&h)?;
    }
    let mut sink = SummarySink {
        format: settings.format,
        file_json: file_json.clone(),
        file: with_file.then(|| name.clone()),
        time: TimeColumn::new(settings.time_format, 0),
        time_format: settings.time_format,
        first_ts: 0,
        order: (settings.order == Order::Stream).then(StreamOrder::default),
        to,
        select: settings.select.clone(),
    };
    let totals = engine::analyze(
        reader,
        &settings.engine,
        &mut sink,
        settings.progress.clone(),
    )?;
    if let Some(mut o) = sink.order.take() {
        let to = &mut *sink.to;
        o.finish(&mut |row| to.row(row))?;
    }
    let first_ts = sink.first_ts;
    let to = sink.to;
    let mut tail = Vec::new();
    json_tail(settings, &file_json, &totals, &mut tail);
    match settings.format {
        Format::Zeek => {
            if totals.first_ts.is_none() {
                zeek::header(&mut tail, first_ts);
            }
            zeek::footer(&mut tail, totals.last_ts.unwrap_or(first_ts));
        }
        Format::Text | Format::Json | Format::Jsonl => {}
    }
    to.raw(&tail)?;
    Ok(FileResult {
        problem: None,
        totals: Some(totals),
    })
}

/// `tcpstate summary FILE...`: one row per connection, in stream order (or
/// completion order, see [`Order`]). Several files are analysed in
/// parallel; their rows come out in the order the files were given, each
/// naming its file.
pub fn summary(
    files: &[PathBuf],
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    if let Err(e) = check_inputs(files) {
        writeln!(err, "tcpstate: {e}")?;
        return Ok(Status::InputProblem);
    }
    let (files, inputs_ok) = &expand_inputs(files, err)?;
    let with_file = files.len() > 1;
    let style = Style {
        color: settings.color,
        with_file,
        file_width: 0,
    };
    let mut table = text::summary_table(&style);
    if settings.format == Format::Json {
        write!(
            out,
            "{{\"schema\":{},\"captures\":[",
            output::SCHEMA_VERSION
        )?;
    }
    let mut status = if *inputs_ok {
        Status::Ok
    } else {
        Status::InputProblem
    };
    let mut footers: Vec<(String, Totals)> = Vec::new();
    let mut opened = 0usize;
    // The first capture streams straight to the output; the others are
    // analysed in parallel meanwhile, into spools written after it.
    let (first, rest) = match files.split_first() {
        Some((f, r)) => (Some(f), r),
        None => (None, &[][..]),
    };
    let mut results: Vec<(Spool<Piece>, io::Result<FileResult>)> = Vec::new();
    let mut first_result = None;
    rayon::in_place_scope(|scope| {
        let results = &mut results;
        scope.spawn(move |_| {
            *results = rest
                .par_iter()
                .map(|f| {
                    let mut spool = Spool::default();
                    let r = summarize_one(f, settings, with_file, &mut spool);
                    (spool, r)
                })
                .collect();
        });
        if let Some(f) = first {
            let mut w = Writer {
                format: settings.format,
                out: &mut *out,
                table: &mut table,
                after_row: false,
            };
            first_result = Some(summarize_one(f, settings, with_file, &mut w));
        }
    });
    let mut w = Writer {
        format: settings.format,
        out,
        table: &mut table,
        after_row: false,
    };
    let all = first_result
        .into_iter()
        .map(|r| (None, r))
        .chain(results.into_iter().map(|(s, r)| (Some(s), r)));
    for (path, (spool, r)) in files.iter().zip(all) {
        let r = r?;
        if let Some(spool) = spool {
            if settings.format == Format::Json && opened > 0 && r.totals.is_some() {
                w.raw(b",")?;
            }
            replay(spool, &mut w)?;
        }
        if r.totals.is_some() {
            opened += 1;
        }
        if let Some(p) = &r.problem {
            writeln!(err, "tcpstate: {p}")?;
            status = Status::InputProblem;
        }
        if let Some(t) = r.totals {
            output::report_problems(&file_name(path), &t, err)?;
            if t.error.is_some() {
                status = Status::InputProblem;
            }
            footers.push((file_name(path), t));
        }
    }
    if settings.format == Format::Text {
        w.table.flush(w.out)?;
        for (name, t) in &footers {
            writeln!(w.out, "{}", text::totals_line(name, t))?;
        }
    }
    if settings.format == Format::Json {
        w.out.write_all(b"]}\n")?;
    }
    w.out.flush()?;
    Ok(status)
}

/// The streams a timeline shows.
#[derive(Clone, Debug, Default)]
pub struct StreamFilter {
    /// `None`: every stream.
    pub streams: Option<Vec<u64>>,
}

impl StreamFilter {
    fn wants(&self, s: u64) -> bool {
        self.streams.as_ref().is_none_or(|v| v.contains(&s))
    }

    /// The streams of the capture at `path` this shows once `--where`
    /// (`settings.select`) has narrowed it.
    pub(crate) fn narrowed(
        &self,
        path: &Path,
        settings: &Settings,
    ) -> Result<StreamFilter, String> {
        let streams = self.streams.clone();
        let sel = settings.select.as_deref();
        crate::select::narrow_streams(path, streams, sel, &settings.engine)
            .map(|streams| StreamFilter { streams })
    }
}

/// Timeline rows of one capture.
struct TimelineSink<'a> {
    format: Format,
    style: Style,
    filter: &'a StreamFilter,
    file_json: Vec<u8>,
    /// The file's name, on every text row when several files are shown.
    file: Option<String>,
    time_format: TimeFormat,
    first_ts: i64,
    /// The timestamp of the capture's previous segment, and of the previous
    /// row shown.
    prev_segment: Option<i64>,
    prev_shown: Option<i64>,
    out: &'a mut dyn Write,
    wrote_one: bool,
    /// Rendering buffers kept for the next batch (at most
    /// [`SPARE_BUFFERS`]).
    spare: Vec<Vec<u8>>,
    /// Bytes per row rendered so far (at least): each chunk's buffer is
    /// reserved from it, so that it is not grown by copying (a JSON row is
    /// over 400 bytes, a text row about 110).
    row_bytes: usize,
}

/// Rendering buffers a timeline keeps between batches: a batch of 8,192
/// frames is rendered in chunks of 2,048 rows.
const SPARE_BUFFERS: usize = 8;

impl Consumer for TimelineSink<'_> {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = first_ts;
    }

    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        // Rows are formatted in parallel chunks, then written in order. Each
        // chunk starts from the times of the rows before it (for `-t d` and
        // `-t dd`), found in one pass first.
        const CHUNK: usize = 2048;
        let filter = self.filter;
        let mut starts = Vec::with_capacity(records.len() / CHUNK + 1);
        for chunk in records.chunks(CHUNK) {
            starts.push((self.prev_segment, self.prev_shown));
            if let Some(last) = chunk.last() {
                self.prev_segment = Some(last.ts_ns);
            }
            if let Some(last) = chunk.iter().rev().find(|r| filter.wants(r.stream)) {
                self.prev_shown = Some(last.ts_ns);
            }
        }
        let (format, style, file_json, first_ts, time_format) = (
            self.format,
            &self.style,
            &self.file_json,
            self.first_ts,
            self.time_format,
        );
        let file = self.file.as_deref();
        let row_bytes = self.row_bytes;
        // The buffers of earlier batches, reused: freed, a buffer's pages
        // would be given back to the OS and faulted in again.
        let mut bufs = std::mem::take(&mut self.spare);
        bufs.resize_with(records.len().div_ceil(CHUNK), Vec::new);
        let chunks: Vec<Vec<u8>> = records
            .par_chunks(CHUNK)
            .zip(starts)
            .zip(bufs)
            .map(|((chunk, (mut prev_segment, prev_shown)), mut b)| {
                b.clear();
                b.reserve(chunk.len() * row_bytes);
                let mut time = TimeColumn::new(time_format, first_ts).after(prev_shown);
                for r in chunk {
                    if filter.wants(r.stream) {
                        match format {
                            Format::Text => {
                                text::timeline_row(r, &mut time, prev_segment, style, file, &mut b)
                            }
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
                    prev_segment = Some(r.ts_ns);
                }
                b
            })
            .collect();
        let bytes: usize = chunks.iter().map(Vec::len).sum();
        // A little over the mean, for the next batch's rows.
        self.row_bytes = self.row_bytes.max(bytes / records.len().max(1) * 9 / 8);
        for buf in chunks {
            let mut c = &buf[..];
            if self.format == Format::Json && !self.wrote_one && !c.is_empty() {
                c = &c[1..]; // no comma before the first element
            }
            if !c.is_empty() {
                self.wrote_one = true;
            }
            self.out.write_all(c)?;
            // As many as a batch of the usual size needs (the end of the
            // capture hands out larger ones).
            if self.spare.len() < SPARE_BUFFERS {
                self.spare.push(buf);
            }
        }
        Ok(())
    }

    fn connections(&mut self, _: &[ConnectionRecord]) -> io::Result<()> {
        Ok(())
    }
}

/// `tcpstate timeline FILE... [-s N,...]`: one row per segment, file after
/// file; in text, each capture ends with the summary's footer line.
pub fn timeline(
    files: &[PathBuf],
    filter: &StreamFilter,
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<Status> {
    if settings.format == Format::Zeek {
        writeln!(
            err,
            "tcpstate: --format zeek is a summary format (a conn.log)"
        )?;
        return Ok(Status::InputProblem);
    }
    if let Err(e) = check_inputs(files) {
        writeln!(err, "tcpstate: {e}")?;
        return Ok(Status::InputProblem);
    }
    let (files, inputs_ok) = &expand_inputs(files, err)?;
    let style = Style {
        color: settings.color,
        with_file: files.len() > 1,
        file_width: files
            .iter()
            .map(|f| file_name(f).chars().count())
            .max()
            .unwrap_or(0),
    };
    let mut status = if *inputs_ok {
        Status::Ok
    } else {
        Status::InputProblem
    };
    let mut head = Vec::new();
    match settings.format {
        Format::Text => text::timeline_header(&style, settings.time_format, &mut head),
        Format::Json => {
            let _ = write!(
                head,
                "{{\"schema\":{},\"captures\":[",
                output::SCHEMA_VERSION
            );
        }
        Format::Jsonl | Format::Zeek => {}
    }
    let mut wrote_head = false;
    let mut opened = 0usize;
    // Streams asked for, and whether any capture had them.
    let mut found: Vec<(u64, bool)> = filter
        .streams
        .iter()
        .flatten()
        .map(|&s| (s, false))
        .collect();
    let mut engine_opts = settings.engine.clone();
    engine_opts.segments = true;
    for path in files {
        let name = file_name(path);
        let reader = match CaptureReader::open(path) {
            Ok(r) => r,
            Err(e) => {
                writeln!(err, "tcpstate: {e}")?;
                status = Status::InputProblem;
                continue;
            }
        };
        // `--where`: the streams of this capture it selects.
        let narrowed = match filter.narrowed(path, settings) {
            Ok(f) => f,
            Err(e) => {
                writeln!(err, "tcpstate: {e}")?;
                status = Status::InputProblem;
                continue;
            }
        };
        if !wrote_head {
            out.write_all(&head)?;
            wrote_head = true;
        }
        let file_json = json_string(&name);
        if settings.format == Format::Json {
            if opened > 0 {
                out.write_all(b",")?;
            }
            out.write_all(b"{\"file\":")?;
            out.write_all(&file_json)?;
            out.write_all(b",\"segments\":[")?;
        }
        opened += 1;
        let mut sink = TimelineSink {
            format: settings.format,
            style: style.clone(),
            filter: &narrowed,
            file_json: file_json.clone(),
            file: style.with_file.then(|| name.clone()),
            time_format: settings.time_format,
            first_ts: 0,
            prev_segment: None,
            prev_shown: None,
            out: &mut *out,
            wrote_one: false,
            spare: Vec::new(),
            row_bytes: 128,
        };
        let totals = engine::analyze(reader, &engine_opts, &mut sink, settings.progress.clone())?;
        let mut tail = Vec::new();
        json_tail(settings, &file_json, &totals, &mut tail);
        if settings.format == Format::Text {
            tail.extend_from_slice(text::totals_line(&name, &totals).as_bytes());
            tail.push(b'\n');
        }
        out.write_all(&tail)?;
        output::report_problems(&name, &totals, err)?;
        if totals.error.is_some() {
            status = Status::InputProblem;
        }
        for (s, seen) in &mut found {
            *seen |= *s < totals.connections;
        }
    }
    if settings.format == Format::Json && wrote_head {
        out.write_all(b"]}\n")?;
    }
    out.flush()?;
    if opened > 0 {
        for (s, seen) in found {
            if !seen {
                let what = if files.len() == 1 {
                    "the capture has"
                } else {
                    "no capture has"
                };
                writeln!(err, "tcpstate: no stream {s}: {what} no such tcp.stream")?;
                status = Status::InputProblem;
            }
        }
    }
    Ok(status)
}
