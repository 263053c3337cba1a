//! `--format parquet -o DIR`: results as typed, compressed columns that
//! Spark, DuckDB, Trino or Polars query (built with the `parquet` feature).
//!
//! `summary` writes `connections.parquet`, one row per connection;
//! `timeline` writes `segments.parquet`, one row per segment. Column names
//! are the JSON schema's keys (`src/output/schema.json`, version
//! [`super::SCHEMA_VERSION`]), nested as in the JSON; where the JSON gives one
//! value several ways the Parquet file keeps the exact one: times are
//! nanosecond timestamps (`start_ns`, `ts_ns`: UTC), durations integer
//! nanoseconds (`duration_ns`; `ack_rtt_ns` and `initial_rtt_ns` for the
//! JSON's seconds `ack_rtt` and `initial_rtt`), and the renderings (`start`,
//! `start_epoch`, `duration`, `time`, `time_epoch`) are left out. Zeek's
//! verdict keeps conn.log's names (`zeek_conn_state`, `zeek_history`,
//! `zeek_missed_bytes`, and `conn_state`, `history`, `missed_bytes` in
//! `zeek_pieces`). States, roles, outcomes, anomaly ids and every other name
//! from a fixed set are dictionary-encoded strings; counts, frames and
//! streams are signed 64-bit integers (Spark, Hive and Trino have no
//! unsigned types), ports 32-bit. Pages are Snappy-compressed.
//!
//! The file's key-value metadata holds `tcpstate.schema` (the schema
//! version), `tcpstate.table` (`connections` or `segments`) and
//! `tcpstate.capture`: the JSON `capture` object that ends a capture in JSON
//! Lines (totals, first and last timestamps, damage), or, for a capture that
//! could not be opened (a file with no rows), `{"file", "unreadable"}`.
//!
//! Rows are written in batches as connections finish (or, in stream order,
//! as soon as every stream before them has been), and a row group is closed
//! every [`ROW_GROUP_ROWS`] rows: memory stays bounded whatever the capture.
//!
//! All reading of rows happens through [`crate::output::rows`]: this module
//! only turns rows into columns and back.

use super::dataset::{Pending, partition_name, path_bytes};
use super::order::StreamOrder;
use super::rows::{
    AnomalyRow, CaptureInfo, ConnectionRow, IcmpRow, SegmentRow, TransitionRow, TunnelRow,
};
use crate::capture::CaptureReader;
use crate::engine::{self, ConnectionRecord, Consumer, SegmentRecord, Totals};
use crate::report::{Order, Settings, Status, StreamFilter};
use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, StringDictionaryBuilder,
    TimestampNanosecondBuilder,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampNanosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, Int64Array, ListArray, MapArray,
    RecordBatch, StringArray, StructArray, TimestampNanosecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rows per row group (each group is written as soon as it is full).
pub const ROW_GROUP_ROWS: usize = 32_768;

/// Rows gathered before they are handed to the writer as one batch.
const BATCH_ROWS: usize = 8_192;

/// The file of connection rows.
pub const CONNECTIONS: &str = "connections.parquet";

/// The file of segment rows.
pub const SEGMENTS: &str = "segments.parquet";

// ---- schema ---------------------------------------------------------------

fn dict() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

fn f(name: &str, t: DataType, nullable: bool) -> Field {
    Field::new(name, t, nullable)
}

fn list_of(fields: Fields) -> DataType {
    DataType::List(item(DataType::Struct(fields)))
}

fn item(t: DataType) -> FieldRef {
    Arc::new(Field::new("item", t, false))
}

fn endpoint_fields() -> Fields {
    Fields::from(vec![
        f("ip", DataType::Utf8, false),
        f("port", DataType::Int32, false),
    ])
}

fn direction_fields() -> Fields {
    Fields::from(vec![
        f("c2s", DataType::Int64, false),
        f("s2c", DataType::Int64, false),
    ])
}

fn states_fields(nullable: bool) -> Fields {
    Fields::from(vec![
        f("client", dict(), nullable),
        f("server", dict(), nullable),
    ])
}

fn zeek_piece_fields() -> Fields {
    Fields::from(vec![
        f("first_frame", DataType::Int64, false),
        f("conn_state", dict(), false),
        f("history", DataType::Utf8, false),
        f("missed_bytes", DataType::Int64, false),
        f("last_frame", DataType::Int64, false),
    ])
}

fn anomaly_fields() -> Fields {
    Fields::from(vec![
        f("id", dict(), false),
        f("severity", dict(), false),
        f("frame", DataType::Int64, false),
        f("endpoint", dict(), true),
        f("description", DataType::Utf8, false),
    ])
}

fn transition_fields(with_rule: bool) -> Fields {
    let mut v = vec![
        f("frame", DataType::Int64, false),
        f("ts_ns", ts(), false),
        f("endpoint", dict(), false),
        f("from", dict(), false),
        f("to", dict(), false),
        f("basis", dict(), false),
    ];
    if with_rule {
        v.push(f("rule", dict(), false));
    }
    Fields::from(v)
}

fn tunnel_fields(with_packets: bool) -> Fields {
    let mut v = vec![
        f("path", DataType::List(item(dict())), false),
        f("depth", DataType::Int32, false),
        f("src", DataType::Utf8, false),
        f("dst", DataType::Utf8, false),
        f("id", DataType::Int64, true),
    ];
    if with_packets {
        v.push(f("packets", DataType::Int64, false));
    }
    Fields::from(v)
}

fn quoted_fields() -> Fields {
    Fields::from(vec![
        f("flags", DataType::List(item(dict())), false),
        f("seq", DataType::Int64, false),
    ])
}

fn icmp_fields(in_connection: bool) -> Fields {
    let mut v = Vec::new();
    if in_connection {
        v.push(f("frame", DataType::Int64, false));
    }
    v.extend([
        f("version", DataType::Int32, false),
        f("type", DataType::Int32, false),
        f("code", DataType::Int32, false),
        f("description", DataType::Utf8, false),
        f("from", DataType::Utf8, false),
        f("about", dict(), false),
    ]);
    if in_connection {
        v.push(f("quoted", DataType::Struct(quoted_fields()), false));
    }
    Fields::from(v)
}

fn counts_entries() -> FieldRef {
    Arc::new(Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            f("key", DataType::Utf8, false),
            f("value", DataType::Int64, false),
        ])),
        false,
    ))
}

/// The schema of `connections.parquet`.
pub fn connections_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("file", dict(), false),
        f("stream", DataType::Int64, false),
        f("client", DataType::Struct(endpoint_fields()), false),
        f("server", DataType::Struct(endpoint_fields()), false),
        f("roles_guessed", DataType::Boolean, false),
        f("mid_stream", DataType::Boolean, false),
        f("first_frame", DataType::Int64, false),
        f("last_frame", DataType::Int64, false),
        f("start_ns", ts(), false),
        f("duration_ns", DataType::Int64, false),
        f("packets", DataType::Struct(direction_fields()), false),
        f("bytes", DataType::Struct(direction_fields()), false),
        f(
            "initial_state",
            DataType::Struct(states_fields(false)),
            false,
        ),
        f("final_state", DataType::Struct(states_fields(false)), false),
        f(
            "final_state_uncertain",
            DataType::Struct(states_fields(true)),
            true,
        ),
        f("active_closer", dict(), true),
        f("outcome", dict(), false),
        f("zeek_conn_state", dict(), true),
        f("zeek_history", DataType::Utf8, true),
        f("zeek_missed_bytes", DataType::Int64, true),
        f("zeek_pieces", list_of(zeek_piece_fields()), false),
        f("anomalies", list_of(anomaly_fields()), false),
        f("anomalies_dropped", DataType::Int64, false),
        f("lifecycle", list_of(transition_fields(false)), false),
        f(
            "analysis_counts",
            DataType::Map(counts_entries(), false),
            false,
        ),
        f("tunnels", list_of(tunnel_fields(true)), false),
        f("icmp_errors", list_of(icmp_fields(true)), false),
        f("revisions", DataType::Int64, false),
        f("initial_rtt_ns", DataType::Int64, true),
    ]))
}

fn duplicate_ack_fields() -> Fields {
    Fields::from(vec![
        f("number", DataType::Int64, false),
        f("frame", DataType::Int64, true),
    ])
}

fn analysis_fields() -> Fields {
    Fields::from(vec![
        f("flags", DataType::List(item(dict())), false),
        f(
            "duplicate_ack",
            DataType::Struct(duplicate_ack_fields()),
            true,
        ),
        f("acks_frame", DataType::Int64, true),
        f("ack_rtt_ns", DataType::Int64, true),
        f("initial_rtt_ns", DataType::Int64, true),
    ])
}

/// The schema of `segments.parquet`.
pub fn segments_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        f("file", dict(), false),
        f("type", dict(), false),
        f("frame", DataType::Int64, false),
        f("stream", DataType::Int64, false),
        f("ts_ns", ts(), false),
        f("icmp", DataType::Struct(icmp_fields(false)), true),
        f("quoted", DataType::Struct(quoted_fields()), true),
        f("direction", dict(), true),
        f("flags", DataType::List(item(dict())), true),
        f("seq", DataType::Int64, true),
        f("ack", DataType::Int64, true),
        f("len", DataType::Int64, true),
        f("state", DataType::Struct(states_fields(false)), false),
        f(
            "state_uncertain",
            DataType::Struct(states_fields(true)),
            true,
        ),
        f("transitions", list_of(transition_fields(true)), false),
        f("verdict", dict(), true),
        f("anomalies", list_of(anomaly_fields()), true),
        f("analysis", DataType::Struct(analysis_fields()), true),
        f("short_header", DataType::Boolean, false),
        f("tunnel", DataType::Struct(tunnel_fields(false)), true),
    ]))
}

// ---- columns --------------------------------------------------------------

type Dict = StringDictionaryBuilder<Int32Type>;

/// Counts as Parquet's signed 64-bit integers (never beyond 2^63 in practice).
fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn arc(a: impl Array + 'static) -> ArrayRef {
    Arc::new(a)
}

fn struct_of(fields: Fields, arrays: Vec<ArrayRef>, nulls: Option<NullBuffer>) -> ArrayRef {
    arc(StructArray::new(fields, arrays, nulls))
}

fn list(fields: Fields, offsets: &mut Vec<i32>, values: Vec<ArrayRef>) -> ArrayRef {
    list_with_nulls(fields, offsets, values, None)
}

fn list_with_nulls(
    fields: Fields,
    offsets: &mut Vec<i32>,
    values: Vec<ArrayRef>,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    let offsets = std::mem::replace(offsets, vec![0]);
    let values = StructArray::new(fields.clone(), values, None);
    arc(ListArray::new(
        item(DataType::Struct(fields)),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        arc(values),
        nulls,
    ))
}

fn next_offset(offsets: &mut Vec<i32>, n: usize) {
    let last = offsets.last().copied().unwrap_or(0);
    offsets.push(last.saturating_add(i32::try_from(n).unwrap_or(i32::MAX)));
}

fn nulls(valid: &mut Vec<bool>) -> Option<NullBuffer> {
    let v = std::mem::take(valid);
    v.iter().any(|b| !b).then(|| NullBuffer::from(v))
}

/// Client and server states (a struct of two dictionary strings).
#[derive(Default)]
struct Pair {
    client: Dict,
    server: Dict,
    valid: Vec<bool>,
}

impl Pair {
    fn push(&mut self, s: [crate::state::TcpState; 2]) {
        self.client.append_value(s[0].name());
        self.server.append_value(s[1].name());
        self.valid.push(true);
    }
    fn push_uncertain(&mut self, u: [Option<crate::state::TcpState>; 2]) {
        self.client.append_option(u[0].map(|s| s.name()));
        self.server.append_option(u[1].map(|s| s.name()));
        self.valid.push(u.iter().any(Option::is_some));
    }
    fn finish(&mut self, nullable: bool) -> ArrayRef {
        let arrays = vec![arc(self.client.finish()), arc(self.server.finish())];
        let n = nulls(&mut self.valid);
        struct_of(states_fields(nullable), arrays, n)
    }
}

/// Lists of anomalies.
struct Anomalies {
    offsets: Vec<i32>,
    valid: Vec<bool>,
    id: Dict,
    severity: Dict,
    frame: Int64Builder,
    endpoint: Dict,
    description: StringBuilder,
}

impl Default for Anomalies {
    fn default() -> Anomalies {
        Anomalies {
            offsets: vec![0],
            valid: Vec::new(),
            id: Dict::new(),
            severity: Dict::new(),
            frame: Int64Builder::new(),
            endpoint: Dict::new(),
            description: StringBuilder::new(),
        }
    }
}

impl Anomalies {
    /// One list (`None`: a null list).
    fn push(&mut self, v: Option<&[AnomalyRow]>) {
        self.valid.push(v.is_some());
        let v = v.unwrap_or(&[]);
        for a in v {
            self.id.append_value(a.id.id());
            self.severity.append_value(a.id.severity().name());
            self.frame.append_value(i(a.frame));
            self.endpoint.append_option(a.endpoint.map(|r| r.name()));
            self.description.append_value(&a.description);
        }
        next_offset(&mut self.offsets, v.len());
    }
    fn finish(&mut self) -> ArrayRef {
        let values = vec![
            arc(self.id.finish()),
            arc(self.severity.finish()),
            arc(self.frame.finish()),
            arc(self.endpoint.finish()),
            arc(self.description.finish()),
        ];
        let n = nulls(&mut self.valid);
        list_with_nulls(anomaly_fields(), &mut self.offsets, values, n)
    }
}

/// Lists of transitions (with the rule, for segments).
struct Transitions {
    with_rule: bool,
    offsets: Vec<i32>,
    frame: Int64Builder,
    ts: TimestampNanosecondBuilder,
    endpoint: Dict,
    from: Dict,
    to: Dict,
    basis: Dict,
    rule: Dict,
}

impl Transitions {
    fn new(with_rule: bool) -> Transitions {
        Transitions {
            with_rule,
            offsets: vec![0],
            frame: Int64Builder::new(),
            ts: TimestampNanosecondBuilder::new(),
            endpoint: Dict::new(),
            from: Dict::new(),
            to: Dict::new(),
            basis: Dict::new(),
            rule: Dict::new(),
        }
    }
    fn one(&mut self, t: &TransitionRow) {
        self.frame.append_value(i(t.frame));
        self.ts.append_value(t.ts_ns);
        self.endpoint.append_value(t.endpoint.name());
        self.from.append_value(t.from.name());
        self.to.append_value(t.to.name());
        self.basis.append_value(t.basis.name());
    }
    fn finish(&mut self) -> ArrayRef {
        let mut values = vec![
            arc(self.frame.finish()),
            arc(self.ts.finish().with_timezone("UTC")),
            arc(self.endpoint.finish()),
            arc(self.from.finish()),
            arc(self.to.finish()),
            arc(self.basis.finish()),
        ];
        if self.with_rule {
            values.push(arc(self.rule.finish()));
        }
        list(transition_fields(self.with_rule), &mut self.offsets, values)
    }
}

/// Lists of dictionary strings (control bits, tunnel kinds).
struct DictList {
    offsets: Vec<i32>,
    values: Dict,
    valid: Vec<bool>,
}

impl Default for DictList {
    fn default() -> DictList {
        DictList {
            offsets: vec![0],
            values: Dict::new(),
            valid: Vec::new(),
        }
    }
}

impl DictList {
    /// One list (`None`: a null list).
    fn push<S: AsRef<str>>(&mut self, v: Option<&[S]>) {
        let items = v.unwrap_or(&[]);
        for x in items {
            self.values.append_value(x.as_ref());
        }
        next_offset(&mut self.offsets, items.len());
        self.valid.push(v.is_some());
    }
    fn finish(&mut self) -> ArrayRef {
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        arc(ListArray::new(
            item(dict()),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            arc(self.values.finish()),
            nulls(&mut self.valid),
        ))
    }
}

/// Appends an address's text to a string column.
fn push_ip(col: &mut StringBuilder, ip: Option<std::net::IpAddr>) {
    if let Some(ip) = ip {
        // Formatted straight into the column's buffer; the empty append
        // ends the value.
        let _ = std::fmt::Write::write_fmt(col, format_args!("{ip}"));
    }
    col.append_value("");
}

/// Tunnels: a list per connection, or one (or none) per segment.
struct TunnelCols {
    in_connection: bool,
    offsets: Vec<i32>,
    valid: Vec<bool>,
    path: DictList,
    depth: Int32Builder,
    src: StringBuilder,
    dst: StringBuilder,
    id: Int64Builder,
    packets: Int64Builder,
}

impl TunnelCols {
    fn new(in_connection: bool) -> TunnelCols {
        TunnelCols {
            in_connection,
            offsets: vec![0],
            valid: Vec::new(),
            path: DictList::default(),
            depth: Int32Builder::new(),
            src: StringBuilder::new(),
            dst: StringBuilder::new(),
            id: Int64Builder::new(),
            packets: Int64Builder::new(),
        }
    }
    /// One tunnel (`None`: a segment that rode in none).
    fn one(&mut self, t: Option<&TunnelRow>) {
        self.path.push(Some(t.map_or(&[][..], |t| &t.path[..])));
        self.depth.append_value(t.map_or(0, |t| i32::from(t.depth)));
        push_ip(&mut self.src, t.map(|t| t.src));
        push_ip(&mut self.dst, t.map(|t| t.dst));
        self.id.append_option(t.and_then(|t| t.id).map(i64::from));
        self.packets.append_value(t.map_or(0, |t| i(t.packets)));
        self.valid.push(t.is_some());
    }
    fn push_list(&mut self, v: &[TunnelRow]) {
        for t in v {
            self.one(Some(t));
        }
        next_offset(&mut self.offsets, v.len());
    }
    fn finish(&mut self) -> ArrayRef {
        let mut values = vec![
            self.path.finish(),
            arc(self.depth.finish()),
            arc(self.src.finish()),
            arc(self.dst.finish()),
            arc(self.id.finish()),
        ];
        let packets = arc(self.packets.finish());
        if self.in_connection {
            values.push(packets);
            self.valid.clear();
            list(tunnel_fields(true), &mut self.offsets, values)
        } else {
            struct_of(tunnel_fields(false), values, nulls(&mut self.valid))
        }
    }
}

/// ICMP errors: a list per connection, or one (or none) per segment row.
struct IcmpCols {
    in_connection: bool,
    offsets: Vec<i32>,
    valid: Vec<bool>,
    frame: Int64Builder,
    version: Int32Builder,
    icmp_type: Int32Builder,
    code: Int32Builder,
    description: StringBuilder,
    from: StringBuilder,
    about: Dict,
    flags: DictList,
    seq: Int64Builder,
}

impl IcmpCols {
    fn new(in_connection: bool) -> IcmpCols {
        IcmpCols {
            in_connection,
            offsets: vec![0],
            valid: Vec::new(),
            frame: Int64Builder::new(),
            version: Int32Builder::new(),
            icmp_type: Int32Builder::new(),
            code: Int32Builder::new(),
            description: StringBuilder::new(),
            from: StringBuilder::new(),
            about: Dict::new(),
            flags: DictList::default(),
            seq: Int64Builder::new(),
        }
    }
    /// One error (`None`: a row that is not one).
    fn one(&mut self, e: Option<&IcmpRow>) {
        self.frame.append_value(e.map_or(0, |e| i(e.frame)));
        self.version
            .append_value(e.map_or(0, |e| i32::from(e.version)));
        self.icmp_type
            .append_value(e.map_or(0, |e| i32::from(e.icmp_type)));
        self.code.append_value(e.map_or(0, |e| i32::from(e.code)));
        self.description
            .append_value(e.map_or("", |e| e.description.as_str()));
        push_ip(&mut self.from, e.map(|e| e.from));
        self.about
            .append_value(e.map_or("client", |e| e.about.name()));
        self.flags.push(Some(e.map_or(&[][..], |e| &e.flags[..])));
        self.seq.append_value(e.map_or(0, |e| i64::from(e.seq)));
        self.valid.push(e.is_some());
    }
    fn push_list(&mut self, v: &[IcmpRow]) {
        for e in v {
            self.one(Some(e));
        }
        next_offset(&mut self.offsets, v.len());
    }
    /// The errors (a list per connection; per segment row, a struct) and
    /// the segments they quote (per segment row; in a connection's list,
    /// inside each error).
    fn finish(&mut self) -> (ArrayRef, ArrayRef) {
        let frame = arc(self.frame.finish());
        let fields = vec![
            arc(self.version.finish()),
            arc(self.icmp_type.finish()),
            arc(self.code.finish()),
            arc(self.description.finish()),
            arc(self.from.finish()),
            arc(self.about.finish()),
        ];
        let quoted = vec![self.flags.finish(), arc(self.seq.finish())];
        if self.in_connection {
            self.valid.clear();
            let q = struct_of(quoted_fields(), quoted, None);
            let mut values = vec![frame];
            values.extend(fields);
            values.push(q.clone());
            (list(icmp_fields(true), &mut self.offsets, values), q)
        } else {
            let n = nulls(&mut self.valid);
            (
                struct_of(icmp_fields(false), fields, n.clone()),
                struct_of(quoted_fields(), quoted, n),
            )
        }
    }
}

/// A table's columns, filled row by row and taken as a batch.
trait Columns: Default {
    type Row;
    /// `tcpstate.table` in the metadata.
    const TABLE: &'static str;
    fn schema() -> SchemaRef;
    fn push(&mut self, row: &Self::Row);
    fn len(&self) -> usize;
    /// The rows pushed since the last batch, as one (with `file` on each).
    fn batch(&mut self, file: &str) -> io::Result<RecordBatch>;
}

fn file_column(file: &str, n: usize) -> ArrayRef {
    let keys = Int32Array::from(vec![0; n]);
    arc(DictionaryArray::<Int32Type>::new(
        keys,
        arc(StringArray::from(vec![file])),
    ))
}

fn batch(schema: SchemaRef, columns: Vec<ArrayRef>) -> io::Result<RecordBatch> {
    RecordBatch::try_new(schema, columns).map_err(io::Error::other)
}

struct ConnColumns {
    n: usize,
    stream: Int64Builder,
    ends: [(StringBuilder, Int32Builder); 2],
    roles_guessed: BooleanBuilder,
    mid_stream: BooleanBuilder,
    first_frame: Int64Builder,
    last_frame: Int64Builder,
    start: TimestampNanosecondBuilder,
    duration: Int64Builder,
    packets: [Int64Builder; 2],
    bytes: [Int64Builder; 2],
    initial_state: Pair,
    final_state: Pair,
    uncertain: Pair,
    active_closer: Dict,
    outcome: Dict,
    zeek_conn_state: Dict,
    zeek_history: StringBuilder,
    zeek_missed_bytes: Int64Builder,
    zeek_offsets: Vec<i32>,
    zeek_first: Int64Builder,
    zeek_state: Dict,
    zeek_hist: StringBuilder,
    zeek_missed: Int64Builder,
    zeek_last: Int64Builder,
    anomalies: Anomalies,
    anomalies_dropped: Int64Builder,
    lifecycle: Transitions,
    counts_offsets: Vec<i32>,
    counts_key: StringBuilder,
    counts_value: Int64Builder,
    tunnels: TunnelCols,
    icmp_errors: IcmpCols,
    revisions: Int64Builder,
    initial_rtt: Int64Builder,
}

impl Default for ConnColumns {
    fn default() -> ConnColumns {
        ConnColumns {
            n: 0,
            stream: Int64Builder::new(),
            ends: Default::default(),
            roles_guessed: BooleanBuilder::new(),
            mid_stream: BooleanBuilder::new(),
            first_frame: Int64Builder::new(),
            last_frame: Int64Builder::new(),
            start: TimestampNanosecondBuilder::new(),
            duration: Int64Builder::new(),
            packets: Default::default(),
            bytes: Default::default(),
            initial_state: Pair::default(),
            final_state: Pair::default(),
            uncertain: Pair::default(),
            active_closer: Dict::new(),
            outcome: Dict::new(),
            zeek_conn_state: Dict::new(),
            zeek_history: StringBuilder::new(),
            zeek_missed_bytes: Int64Builder::new(),
            zeek_offsets: vec![0],
            zeek_first: Int64Builder::new(),
            zeek_state: Dict::new(),
            zeek_hist: StringBuilder::new(),
            zeek_missed: Int64Builder::new(),
            zeek_last: Int64Builder::new(),
            anomalies: Anomalies::default(),
            anomalies_dropped: Int64Builder::new(),
            lifecycle: Transitions::new(false),
            counts_offsets: vec![0],
            counts_key: StringBuilder::new(),
            counts_value: Int64Builder::new(),
            tunnels: TunnelCols::new(true),
            icmp_errors: IcmpCols::new(true),
            revisions: Int64Builder::new(),
            initial_rtt: Int64Builder::new(),
        }
    }
}

impl Columns for ConnColumns {
    type Row = ConnectionRow;
    const TABLE: &'static str = "connections";

    fn schema() -> SchemaRef {
        connections_schema()
    }

    fn len(&self) -> usize {
        self.n
    }

    fn push(&mut self, r: &ConnectionRow) {
        self.n += 1;
        self.stream.append_value(i(r.stream));
        for (col, ep) in self.ends.iter_mut().zip([r.client, r.server]) {
            // Formatted straight into the column's buffer; the empty append
            // ends the value.
            let _ = std::fmt::Write::write_fmt(&mut col.0, format_args!("{}", ep.ip));
            col.0.append_value("");
            col.1.append_value(i32::from(ep.port));
        }
        self.roles_guessed.append_value(r.roles_guessed);
        self.mid_stream.append_value(r.mid_stream);
        self.first_frame.append_value(i(r.first_frame));
        self.last_frame.append_value(i(r.last_frame));
        self.start.append_value(r.start_ns);
        self.duration.append_value(r.duration_ns);
        for k in 0..2 {
            self.packets[k].append_value(i(r.packets[k]));
            self.bytes[k].append_value(i(r.bytes[k]));
        }
        self.initial_state.push(r.initial_state);
        self.final_state.push(r.final_state);
        self.uncertain.push_uncertain(r.final_state_uncertain);
        self.active_closer
            .append_option(r.active_closer.map(|c| c.name()));
        self.outcome.append_value(r.outcome.name());
        let first = r.zeek_pieces.first();
        self.zeek_conn_state
            .append_option(first.map(|z| z.conn_state.name()));
        self.zeek_history
            .append_option(first.map(|z| z.history.as_str()));
        self.zeek_missed_bytes
            .append_option(first.map(|z| i(z.missed_bytes)));
        for z in &r.zeek_pieces {
            self.zeek_first.append_value(i(z.first_frame));
            self.zeek_state.append_value(z.conn_state.name());
            self.zeek_hist.append_value(&z.history);
            self.zeek_missed.append_value(i(z.missed_bytes));
            self.zeek_last.append_value(i(z.last_frame));
        }
        next_offset(&mut self.zeek_offsets, r.zeek_pieces.len());
        self.anomalies.push(Some(&r.anomalies));
        self.anomalies_dropped.append_value(i(r.anomalies_dropped));
        for t in &r.lifecycle {
            self.lifecycle.one(t);
        }
        next_offset(&mut self.lifecycle.offsets, r.lifecycle.len());
        for (flag, n) in &r.analysis_counts {
            self.counts_key.append_value(flag.name());
            self.counts_value.append_value(i(*n));
        }
        next_offset(&mut self.counts_offsets, r.analysis_counts.len());
        self.tunnels.push_list(&r.tunnels);
        self.icmp_errors.push_list(&r.icmp_errors);
        self.revisions.append_value(i(r.revisions));
        self.initial_rtt.append_option(r.initial_rtt_ns);
    }

    fn batch(&mut self, file: &str) -> io::Result<RecordBatch> {
        let n = std::mem::take(&mut self.n);
        let ends: Vec<ArrayRef> = self
            .ends
            .iter_mut()
            .map(|(ip, port)| {
                struct_of(
                    endpoint_fields(),
                    vec![arc(ip.finish()), arc(port.finish())],
                    None,
                )
            })
            .collect();
        let per_dir = |b: &mut [Int64Builder; 2]| {
            struct_of(
                direction_fields(),
                vec![arc(b[0].finish()), arc(b[1].finish())],
                None,
            )
        };
        let zeek = list(
            zeek_piece_fields(),
            &mut self.zeek_offsets,
            vec![
                arc(self.zeek_first.finish()),
                arc(self.zeek_state.finish()),
                arc(self.zeek_hist.finish()),
                arc(self.zeek_missed.finish()),
                arc(self.zeek_last.finish()),
            ],
        );
        let entries = counts_entries();
        let DataType::Struct(entry_fields) = entries.data_type().clone() else {
            return Err(io::Error::other("the map's entries are a struct"));
        };
        let counts = MapArray::try_new(
            entries,
            OffsetBuffer::new(ScalarBuffer::from(std::mem::replace(
                &mut self.counts_offsets,
                vec![0],
            ))),
            StructArray::new(
                entry_fields,
                vec![
                    arc(self.counts_key.finish()),
                    arc(self.counts_value.finish()),
                ],
                None,
            ),
            None,
            false,
        )
        .map_err(io::Error::other)?;
        let columns = vec![
            file_column(file, n),
            arc(self.stream.finish()),
            ends[0].clone(),
            ends[1].clone(),
            arc(self.roles_guessed.finish()),
            arc(self.mid_stream.finish()),
            arc(self.first_frame.finish()),
            arc(self.last_frame.finish()),
            arc(self.start.finish().with_timezone("UTC")),
            arc(self.duration.finish()),
            per_dir(&mut self.packets),
            per_dir(&mut self.bytes),
            self.initial_state.finish(false),
            self.final_state.finish(false),
            self.uncertain.finish(true),
            arc(self.active_closer.finish()),
            arc(self.outcome.finish()),
            arc(self.zeek_conn_state.finish()),
            arc(self.zeek_history.finish()),
            arc(self.zeek_missed_bytes.finish()),
            zeek,
            self.anomalies.finish(),
            arc(self.anomalies_dropped.finish()),
            self.lifecycle.finish(),
            arc(counts),
            self.tunnels.finish(),
            self.icmp_errors.finish().0,
            arc(self.revisions.finish()),
            arc(self.initial_rtt.finish()),
        ];
        batch(connections_schema(), columns)
    }
}

struct SegColumns {
    n: usize,
    kind: Dict,
    frame: Int64Builder,
    stream: Int64Builder,
    ts: TimestampNanosecondBuilder,
    icmp: IcmpCols,
    direction: Dict,
    flags: DictList,
    short_header: BooleanBuilder,
    tunnel: TunnelCols,
    seq: Int64Builder,
    ack: Int64Builder,
    len: Int64Builder,
    state: Pair,
    uncertain: Pair,
    transitions: Transitions,
    verdict: Dict,
    anomalies: Anomalies,
    an_offsets: Vec<i32>,
    an_flags: Dict,
    dup_number: Int64Builder,
    dup_frame: Int64Builder,
    dup_valid: Vec<bool>,
    an_valid: Vec<bool>,
    acks_frame: Int64Builder,
    ack_rtt: Int64Builder,
    initial_rtt: Int64Builder,
}

impl Default for SegColumns {
    fn default() -> SegColumns {
        SegColumns {
            n: 0,
            kind: Dict::new(),
            frame: Int64Builder::new(),
            stream: Int64Builder::new(),
            ts: TimestampNanosecondBuilder::new(),
            icmp: IcmpCols::new(false),
            direction: Dict::new(),
            flags: DictList::default(),
            short_header: BooleanBuilder::new(),
            tunnel: TunnelCols::new(false),
            seq: Int64Builder::new(),
            ack: Int64Builder::new(),
            len: Int64Builder::new(),
            state: Pair::default(),
            uncertain: Pair::default(),
            transitions: Transitions::new(true),
            verdict: Dict::new(),
            anomalies: Anomalies::default(),
            an_offsets: vec![0],
            an_flags: Dict::new(),
            dup_number: Int64Builder::new(),
            dup_frame: Int64Builder::new(),
            dup_valid: Vec::new(),
            an_valid: Vec::new(),
            acks_frame: Int64Builder::new(),
            ack_rtt: Int64Builder::new(),
            initial_rtt: Int64Builder::new(),
        }
    }
}

fn dict_list(offsets: &mut Vec<i32>, values: &mut Dict) -> ArrayRef {
    let offsets = std::mem::replace(offsets, vec![0]);
    arc(ListArray::new(
        item(dict()),
        OffsetBuffer::new(ScalarBuffer::from(offsets)),
        arc(values.finish()),
        None,
    ))
}

impl Columns for SegColumns {
    type Row = SegmentRow;
    const TABLE: &'static str = "segments";

    fn schema() -> SchemaRef {
        segments_schema()
    }

    fn len(&self) -> usize {
        self.n
    }

    fn push(&mut self, r: &SegmentRow) {
        self.n += 1;
        // An ICMP error's row has no segment fields of its own, an event
        // row neither, nor anomalies or analysis.
        let seg = r.icmp.is_none() && !r.event;
        self.kind.append_value(match (&r.icmp, r.event) {
            (Some(_), _) => "icmp",
            (None, true) => "event",
            (None, false) => "segment",
        });
        self.frame.append_value(i(r.frame));
        self.stream.append_value(i(r.stream));
        self.ts.append_value(r.ts_ns);
        self.icmp.one(r.icmp.as_ref());
        self.direction
            .append_option(seg.then(|| r.direction.name()));
        self.flags.push(seg.then_some(&r.flags[..]));
        self.seq.append_option(seg.then_some(i64::from(r.seq)));
        self.ack.append_option(seg.then_some(i64::from(r.ack)));
        self.len.append_option(seg.then_some(i64::from(r.len)));
        self.short_header.append_value(r.short_header);
        self.tunnel.one(r.tunnel.as_ref());
        self.state.push(r.state);
        self.uncertain.push_uncertain(r.state_uncertain);
        for (t, rule) in &r.transitions {
            self.transitions.one(t);
            self.transitions.rule.append_value(rule);
        }
        next_offset(&mut self.transitions.offsets, r.transitions.len());
        self.verdict.append_option(seg.then_some(r.verdict));
        self.anomalies.push((!r.event).then_some(&r.anomalies[..]));
        self.an_valid.push(!r.event);
        let a = &r.analysis;
        for fl in &a.flags {
            self.an_flags.append_value(fl.name());
        }
        next_offset(&mut self.an_offsets, a.flags.len());
        self.dup_number
            .append_value(a.duplicate_ack.map_or(0, |d| i64::from(d.0)));
        self.dup_frame
            .append_option(a.duplicate_ack.and_then(|d| d.1).map(i));
        self.dup_valid.push(a.duplicate_ack.is_some());
        self.acks_frame.append_option(a.acks_frame.map(i));
        self.ack_rtt.append_option(a.ack_rtt_ns);
        self.initial_rtt.append_option(a.initial_rtt_ns);
    }

    fn batch(&mut self, file: &str) -> io::Result<RecordBatch> {
        let n = std::mem::take(&mut self.n);
        let dup = struct_of(
            duplicate_ack_fields(),
            vec![arc(self.dup_number.finish()), arc(self.dup_frame.finish())],
            nulls(&mut self.dup_valid),
        );
        let analysis = struct_of(
            analysis_fields(),
            vec![
                dict_list(&mut self.an_offsets, &mut self.an_flags),
                dup,
                arc(self.acks_frame.finish()),
                arc(self.ack_rtt.finish()),
                arc(self.initial_rtt.finish()),
            ],
            nulls(&mut self.an_valid),
        );
        let (icmp, quoted) = self.icmp.finish();
        let columns = vec![
            file_column(file, n),
            arc(self.kind.finish()),
            arc(self.frame.finish()),
            arc(self.stream.finish()),
            arc(self.ts.finish().with_timezone("UTC")),
            icmp,
            quoted,
            arc(self.direction.finish()),
            self.flags.finish(),
            arc(self.seq.finish()),
            arc(self.ack.finish()),
            arc(self.len.finish()),
            self.state.finish(false),
            self.uncertain.finish(true),
            self.transitions.finish(),
            arc(self.verdict.finish()),
            self.anomalies.finish(),
            analysis,
            arc(self.short_header.finish()),
            self.tunnel.finish(),
        ];
        batch(segments_schema(), columns)
    }
}

// ---- writing ----------------------------------------------------------------

/// One Parquet file being written: rows in, batches out, row groups as they
/// fill; in place only once [`Table::finish`] succeeds.
struct Table<C: Columns> {
    file: String,
    cols: C,
    writer: ArrowWriter<File>,
    handle: File,
    pending: Pending,
}

impl<C: Columns> Table<C> {
    fn create(dest: &Path, file: &str) -> io::Result<Table<C>> {
        let (pending, handle) = Pending::create(dest)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("tcpstate {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                KeyValue::new(
                    "tcpstate.schema".to_string(),
                    super::SCHEMA_VERSION.to_string(),
                ),
                KeyValue::new("tcpstate.table".to_string(), C::TABLE.to_string()),
            ]))
            .build();
        let writer = ArrowWriter::try_new(handle.try_clone()?, C::schema(), Some(props))
            .map_err(io::Error::other)?;
        Ok(Table {
            file: file.to_string(),
            cols: C::default(),
            writer,
            handle,
            pending,
        })
    }

    fn push(&mut self, row: &C::Row) -> io::Result<()> {
        self.cols.push(row);
        if self.cols.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.cols.len() > 0 {
            let b = self.cols.batch(&self.file)?;
            self.writer.write(&b).map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// Writes what is left and the footer (with `capture`, the capture's
    /// JSON object), and puts the file in place.
    fn finish(mut self, capture: String) -> io::Result<()> {
        self.flush()?;
        self.writer
            .append_key_value_metadata(KeyValue::new("tcpstate.capture".to_string(), capture));
        self.writer.into_inner().map_err(io::Error::other)?;
        self.pending.commit(self.handle)
    }
}

/// The capture's JSON object for the metadata.
fn capture_json(file: &str, totals: &Totals, selection: Option<&str>) -> String {
    let mut name = Vec::new();
    super::json::string(&mut name, file);
    let mut out = Vec::new();
    super::json::capture(&mut out, &name, totals, selection);
    String::from_utf8_lossy(&out).into_owned()
}

/// Where capture `path`'s files go under `dir`.
pub fn capture_dir(dir: &Path, path: &Path, hive: bool) -> PathBuf {
    if hive {
        dir.join(partition_name(&path_bytes(path)))
    } else {
        dir.to_path_buf()
    }
}

/// Writes the files of a capture that could not be opened: no rows, and
/// the reason in the metadata (so that the report over the results lists
/// it, as the report over the captures does).
fn write_unreadable<C: Columns>(
    dest: &Path,
    file: &str,
    why: &str,
    sel: Option<&str>,
) -> io::Result<()> {
    let t: Table<C> = Table::create(dest, file)?;
    t.finish(CaptureInfo::unreadable(file, why, sel).unreadable_json())
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
                .is_none_or(|s| s.matches(r.stream, &r.conn));
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
                super::report_problems(&name, &t, err)?;
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
    if let Err(e) = crate::report::check_inputs(files) {
        writeln!(err, "tcpstate: {e}")?;
        return Ok(Status::InputProblem);
    }
    // Directories are read as every command reads them.
    let (files, inputs_ok) = &crate::report::expand_inputs(files, err)?;
    let hive = hive || files.len() > 1;
    let outcomes: Vec<io::Result<Outcome>> = files
        .par_iter()
        .map(|p| summarize_one(p, dir, hive, settings))
        .collect();
    let status = report_outcomes(files, outcomes, err)?;
    Ok(if *inputs_ok {
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
    if let Err(e) = crate::report::check_inputs(files) {
        writeln!(err, "tcpstate: {e}")?;
        return Ok(Status::InputProblem);
    }
    let (files, inputs_ok) = &crate::report::expand_inputs(files, err)?;
    let hive = hive || files.len() > 1;
    let mut engine_opts = settings.engine.clone();
    engine_opts.segments = true;
    let sel = settings.select.as_deref().map(|s| s.text());
    let mut status = if *inputs_ok {
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
                let narrowed =
                    match crate::select::narrow_streams(path, filter.streams.clone(), settings) {
                        Ok(streams) => StreamFilter { streams },
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

// ---- reading ----------------------------------------------------------------

/// A `connections.parquet` opened for reading: the capture it describes,
/// then its rows.
pub struct ConnectionsFile {
    /// What the file's metadata says about its capture.
    pub info: CaptureInfo,
    reader: ParquetRecordBatchReader,
}

/// A string column: dictionary-encoded (as written) or plain (as another
/// tool may have rewritten it).
enum Strs<'a> {
    Dict(&'a DictionaryArray<Int32Type>, &'a StringArray),
    Plain(&'a StringArray),
}

impl<'a> Strs<'a> {
    fn of(a: &'a dyn Array, name: &str) -> Result<Strs<'a>, String> {
        if let Some(d) = a.as_dictionary_opt::<Int32Type>() {
            let v = d
                .values()
                .as_string_opt::<i32>()
                .ok_or_else(|| format!("column `{name}`: dictionary values are not strings"))?;
            return Ok(Strs::Dict(d, v));
        }
        a.as_string_opt::<i32>()
            .map(Strs::Plain)
            .ok_or_else(|| format!("column `{name}` is {}, not strings", a.data_type()))
    }
    fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Strs::Dict(d, v) => {
                if d.is_null(i) {
                    return None;
                }
                let k = usize::try_from(d.keys().value(i)).ok()?;
                (k < v.len() && v.is_valid(k)).then(|| v.value(k))
            }
            Strs::Plain(a) => a.is_valid(i).then(|| a.value(i)),
        }
    }
    fn req(&self, i: usize, name: &str) -> Result<&'a str, String> {
        self.get(i)
            .ok_or_else(|| format!("column `{name}`: null in row {i}"))
    }
}

fn col<'a>(s: &'a StructArray, name: &str) -> Result<&'a ArrayRef, String> {
    s.column_by_name(name)
        .ok_or_else(|| format!("column `{name}` is missing"))
}

fn i64s<'a>(a: &'a ArrayRef, name: &str) -> Result<&'a Int64Array, String> {
    a.as_primitive_opt::<Int64Type>()
        .ok_or_else(|| format!("column `{name}` is {}, not Int64", a.data_type()))
}

fn opt_i64(a: &Int64Array, i: usize) -> Option<i64> {
    a.is_valid(i).then(|| a.value(i))
}

fn u(a: &Int64Array, i: usize, name: &str) -> Result<u64, String> {
    u64::try_from(a.value(i)).map_err(|_| format!("column `{name}`: negative in row {i}"))
}

fn i32s<'a>(a: &'a ArrayRef, name: &str) -> Result<&'a Int32Array, String> {
    a.as_primitive_opt::<Int32Type>()
        .ok_or_else(|| format!("column `{name}` is {}, not Int32", a.data_type()))
}

/// A column of lists of strings.
fn str_lists<'a>(a: &'a ArrayRef, name: &str) -> Result<(&'a ListArray, Strs<'a>), String> {
    let l = a
        .as_list_opt::<i32>()
        .ok_or_else(|| format!("column `{name}` is {}, not a list", a.data_type()))?;
    Ok((l, Strs::of(l.values().as_ref(), name)?))
}

fn small<T: TryFrom<i64>>(n: i64, name: &str) -> Result<T, String> {
    T::try_from(n).map_err(|_| format!("column `{name}`: {n} is out of range"))
}

fn structs<'a>(a: &'a ArrayRef, name: &str) -> Result<&'a StructArray, String> {
    a.as_struct_opt()
        .ok_or_else(|| format!("column `{name}` is {}, not a struct", a.data_type()))
}

fn lists<'a>(a: &'a ArrayRef, name: &str) -> Result<(&'a ListArray, &'a StructArray), String> {
    let l = a
        .as_list_opt::<i32>()
        .ok_or_else(|| format!("column `{name}` is {}, not a list", a.data_type()))?;
    let v = l
        .values()
        .as_struct_opt()
        .ok_or_else(|| format!("column `{name}`: items are not structs"))?;
    Ok((l, v))
}

fn range(l: &ListArray, i: usize) -> std::ops::Range<usize> {
    let o = l.value_offsets();
    let a = usize::try_from(o[i]).unwrap_or(0);
    let b = usize::try_from(o[i + 1]).unwrap_or(a);
    a..b.max(a)
}

/// The columns of a pair of states.
fn pair<'a>(s: &'a StructArray, name: &str) -> Result<[Strs<'a>; 2], String> {
    Ok([
        Strs::of(col(s, "client")?, name)?,
        Strs::of(col(s, "server")?, name)?,
    ])
}

fn rows_of(b: &RecordBatch) -> Result<Vec<ConnectionRow>, String> {
    use super::rows::{self as r, Endpoint, ZeekPiece};
    let s: StructArray = b.clone().into();
    let s = &s;
    let stream = i64s(col(s, "stream")?, "stream")?;
    let ends = [
        structs(col(s, "client")?, "client")?,
        structs(col(s, "server")?, "server")?,
    ];
    let ips = [
        Strs::of(col(ends[0], "ip")?, "client.ip")?,
        Strs::of(col(ends[1], "ip")?, "server.ip")?,
    ];
    let ports: Vec<&Int32Array> = ends
        .iter()
        .map(|e| {
            col(e, "port")?
                .as_primitive_opt::<Int32Type>()
                .ok_or_else(|| "column `port` is not Int32".to_string())
        })
        .collect::<Result<_, _>>()?;
    let bools = |name: &str| -> Result<&BooleanArray, String> {
        col(s, name)?
            .as_boolean_opt()
            .ok_or_else(|| format!("column `{name}` is not Boolean"))
    };
    let roles_guessed = bools("roles_guessed")?;
    let mid_stream = bools("mid_stream")?;
    let first_frame = i64s(col(s, "first_frame")?, "first_frame")?;
    let last_frame = i64s(col(s, "last_frame")?, "last_frame")?;
    let start: &TimestampNanosecondArray = col(s, "start_ns")?
        .as_primitive_opt::<TimestampNanosecondType>()
        .ok_or("column `start_ns` is not a nanosecond timestamp")?;
    let duration = i64s(col(s, "duration_ns")?, "duration_ns")?;
    let dirs = |name: &str| -> Result<[&Int64Array; 2], String> {
        let d = structs(col(s, name)?, name)?;
        Ok([i64s(col(d, "c2s")?, name)?, i64s(col(d, "s2c")?, name)?])
    };
    let packets = dirs("packets")?;
    let bytes = dirs("bytes")?;
    let initial = pair(
        structs(col(s, "initial_state")?, "initial_state")?,
        "initial_state",
    )?;
    let fin = pair(
        structs(col(s, "final_state")?, "final_state")?,
        "final_state",
    )?;
    let unsure_s = structs(col(s, "final_state_uncertain")?, "final_state_uncertain")?;
    let unsure = pair(unsure_s, "final_state_uncertain")?;
    let closer = Strs::of(col(s, "active_closer")?, "active_closer")?;
    let outcome = Strs::of(col(s, "outcome")?, "outcome")?;
    let (zl, zv) = lists(col(s, "zeek_pieces")?, "zeek_pieces")?;
    let z_first = i64s(col(zv, "first_frame")?, "zeek_pieces.first_frame")?;
    let z_state = Strs::of(col(zv, "conn_state")?, "zeek_pieces.conn_state")?;
    let z_hist = Strs::of(col(zv, "history")?, "zeek_pieces.history")?;
    let z_missed = i64s(col(zv, "missed_bytes")?, "zeek_pieces.missed_bytes")?;
    let z_last = i64s(col(zv, "last_frame")?, "zeek_pieces.last_frame")?;
    let (al, av) = lists(col(s, "anomalies")?, "anomalies")?;
    let a_id = Strs::of(col(av, "id")?, "anomalies.id")?;
    let a_frame = i64s(col(av, "frame")?, "anomalies.frame")?;
    let a_ep = Strs::of(col(av, "endpoint")?, "anomalies.endpoint")?;
    let a_desc = Strs::of(col(av, "description")?, "anomalies.description")?;
    let dropped = i64s(col(s, "anomalies_dropped")?, "anomalies_dropped")?;
    let (ll, lv) = lists(col(s, "lifecycle")?, "lifecycle")?;
    let l_frame = i64s(col(lv, "frame")?, "lifecycle.frame")?;
    let l_ts: &TimestampNanosecondArray = col(lv, "ts_ns")?
        .as_primitive_opt::<TimestampNanosecondType>()
        .ok_or("column `lifecycle.ts_ns` is not a nanosecond timestamp")?;
    let l_ep = Strs::of(col(lv, "endpoint")?, "lifecycle.endpoint")?;
    let l_from = Strs::of(col(lv, "from")?, "lifecycle.from")?;
    let l_to = Strs::of(col(lv, "to")?, "lifecycle.to")?;
    let l_basis = Strs::of(col(lv, "basis")?, "lifecycle.basis")?;
    let counts: &MapArray = col(s, "analysis_counts")?
        .as_map_opt()
        .ok_or("column `analysis_counts` is not a map")?;
    let c_key = Strs::of(counts.keys(), "analysis_counts.key")?;
    let c_val = counts
        .values()
        .as_primitive_opt::<Int64Type>()
        .ok_or("column `analysis_counts.value` is not Int64")?;
    let (tl, tv) = lists(col(s, "tunnels")?, "tunnels")?;
    let (t_path, t_kinds) = str_lists(col(tv, "path")?, "tunnels.path")?;
    let t_depth = i32s(col(tv, "depth")?, "tunnels.depth")?;
    let t_src = Strs::of(col(tv, "src")?, "tunnels.src")?;
    let t_dst = Strs::of(col(tv, "dst")?, "tunnels.dst")?;
    let t_id = i64s(col(tv, "id")?, "tunnels.id")?;
    let t_packets = i64s(col(tv, "packets")?, "tunnels.packets")?;
    let (il, iv) = lists(col(s, "icmp_errors")?, "icmp_errors")?;
    let i_frame = i64s(col(iv, "frame")?, "icmp_errors.frame")?;
    let i_version = i32s(col(iv, "version")?, "icmp_errors.version")?;
    let i_type = i32s(col(iv, "type")?, "icmp_errors.type")?;
    let i_code = i32s(col(iv, "code")?, "icmp_errors.code")?;
    let i_desc = Strs::of(col(iv, "description")?, "icmp_errors.description")?;
    let i_from = Strs::of(col(iv, "from")?, "icmp_errors.from")?;
    let i_about = Strs::of(col(iv, "about")?, "icmp_errors.about")?;
    let quoted = structs(col(iv, "quoted")?, "icmp_errors.quoted")?;
    let (q_flags, q_names) = str_lists(col(quoted, "flags")?, "icmp_errors.quoted.flags")?;
    let q_seq = i64s(col(quoted, "seq")?, "icmp_errors.quoted.seq")?;
    let revisions = i64s(col(s, "revisions")?, "revisions")?;
    let rtt = i64s(col(s, "initial_rtt_ns")?, "initial_rtt_ns")?;

    let mut out = Vec::with_capacity(b.num_rows());
    for k in 0..b.num_rows() {
        let ep = |e: usize| -> Result<Endpoint, String> {
            let ip = ips[e]
                .req(k, "ip")?
                .parse()
                .map_err(|_| format!("row {k}: not an IP address"))?;
            let port =
                u16::try_from(ports[e].value(k)).map_err(|_| format!("row {k}: not a port"))?;
            Ok(Endpoint { ip, port })
        };
        let states = |p: &[Strs; 2], name: &str| -> Result<[crate::state::TcpState; 2], String> {
            Ok([r::state(p[0].req(k, name)?)?, r::state(p[1].req(k, name)?)?])
        };
        let maybe = |x: Option<&str>| x.map(r::state).transpose();
        let final_state_uncertain = if unsure_s.is_null(k) {
            [None, None]
        } else {
            [maybe(unsure[0].get(k))?, maybe(unsure[1].get(k))?]
        };
        let zeek_pieces = range(zl, k)
            .map(|j| {
                Ok(ZeekPiece {
                    first_frame: u(z_first, j, "zeek_pieces.first_frame")?,
                    conn_state: r::conn_state(z_state.req(j, "conn_state")?)?,
                    history: z_hist.req(j, "history")?.to_string(),
                    missed_bytes: u(z_missed, j, "zeek_pieces.missed_bytes")?,
                    last_frame: u(z_last, j, "zeek_pieces.last_frame")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let anomalies = range(al, k)
            .map(|j| {
                Ok(AnomalyRow {
                    id: r::anomaly(a_id.req(j, "anomalies.id")?)?,
                    frame: u(a_frame, j, "anomalies.frame")?,
                    endpoint: a_ep.get(j).map(r::role).transpose()?,
                    description: a_desc.req(j, "anomalies.description")?.to_string(),
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let lifecycle = range(ll, k)
            .map(|j| {
                Ok(TransitionRow {
                    frame: u(l_frame, j, "lifecycle.frame")?,
                    ts_ns: l_ts.value(j),
                    endpoint: r::role(l_ep.req(j, "lifecycle.endpoint")?)?,
                    from: r::state(l_from.req(j, "lifecycle.from")?)?,
                    to: r::state(l_to.req(j, "lifecycle.to")?)?,
                    basis: r::basis(l_basis.req(j, "lifecycle.basis")?)?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let c_range = {
            let o = counts.value_offsets();
            usize::try_from(o[k]).unwrap_or(0)..usize::try_from(o[k + 1]).unwrap_or(0)
        };
        let mut analysis_counts = c_range
            .map(|j| {
                let name = c_key.req(j, "analysis_counts.key")?;
                let flag = crate::wireshark::Flag::from_name(name)
                    .ok_or_else(|| format!("unknown tcp.analysis verdict `{name}`"))?;
                Ok((flag, u(c_val, j, "analysis_counts.value")?))
            })
            .collect::<Result<Vec<_>, String>>()?;
        analysis_counts.sort_by_key(|(f, _)| *f as usize);
        let ip = |a: &Strs, j: usize, name: &str| -> Result<std::net::IpAddr, String> {
            a.req(j, name)?
                .parse()
                .map_err(|_| format!("column `{name}`: not an IP address"))
        };
        let tunnels = range(tl, k)
            .map(|j| {
                Ok(TunnelRow {
                    path: range(t_path, j)
                        .map(|x| t_kinds.req(x, "tunnels.path").map(str::to_string))
                        .collect::<Result<_, String>>()?,
                    depth: small(i64::from(t_depth.value(j)), "tunnels.depth")?,
                    src: ip(&t_src, j, "tunnels.src")?,
                    dst: ip(&t_dst, j, "tunnels.dst")?,
                    id: opt_i64(t_id, j)
                        .map(|x| small(x, "tunnels.id"))
                        .transpose()?,
                    packets: u(t_packets, j, "tunnels.packets")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let icmp_errors = range(il, k)
            .map(|j| {
                Ok(IcmpRow {
                    frame: u(i_frame, j, "icmp_errors.frame")?,
                    version: small(i64::from(i_version.value(j)), "icmp_errors.version")?,
                    icmp_type: small(i64::from(i_type.value(j)), "icmp_errors.type")?,
                    code: small(i64::from(i_code.value(j)), "icmp_errors.code")?,
                    description: i_desc.req(j, "icmp_errors.description")?.to_string(),
                    from: ip(&i_from, j, "icmp_errors.from")?,
                    about: r::role(i_about.req(j, "icmp_errors.about")?)?,
                    flags: range(q_flags, j)
                        .map(|x| r::flag_name(q_names.req(x, "quoted.flags")?))
                        .collect::<Result<_, String>>()?,
                    seq: small(q_seq.value(j), "icmp_errors.quoted.seq")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        out.push(ConnectionRow {
            stream: u(stream, k, "stream")?,
            client: ep(0)?,
            server: ep(1)?,
            roles_guessed: roles_guessed.value(k),
            mid_stream: mid_stream.value(k),
            first_frame: u(first_frame, k, "first_frame")?,
            last_frame: u(last_frame, k, "last_frame")?,
            start_ns: start.value(k),
            duration_ns: duration.value(k),
            packets: [u(packets[0], k, "packets")?, u(packets[1], k, "packets")?],
            bytes: [u(bytes[0], k, "bytes")?, u(bytes[1], k, "bytes")?],
            initial_state: states(&initial, "initial_state")?,
            final_state: states(&fin, "final_state")?,
            final_state_uncertain,
            active_closer: closer.get(k).map(r::role).transpose()?,
            outcome: r::outcome(outcome.req(k, "outcome")?)?,
            zeek_pieces,
            anomalies,
            anomalies_dropped: u(dropped, k, "anomalies_dropped")?,
            lifecycle,
            analysis_counts,
            revisions: u(revisions, k, "revisions")?,
            tunnels,
            icmp_errors,
            initial_rtt_ns: opt_i64(rtt, k),
        });
    }
    Ok(out)
}

/// The key-value metadata `key` of a Parquet file.
pub fn metadata_value(
    meta: &parquet::file::metadata::ParquetMetaData,
    key: &str,
) -> Option<String> {
    meta.file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.clone())
}

impl ConnectionsFile {
    /// Opens `path` and reads its metadata.
    pub fn open(path: &Path) -> Result<ConnectionsFile, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| format!("not a readable Parquet file: {e}"))?;
        let meta = builder.metadata().clone();
        match metadata_value(&meta, "tcpstate.table").as_deref() {
            Some("connections") => {}
            _ => return Err("not tcpstate's connections (no tcpstate.table metadata)".into()),
        }
        let schema = metadata_value(&meta, "tcpstate.schema");
        if schema.as_deref() != Some(&super::SCHEMA_VERSION.to_string()) {
            return Err(format!(
                "written with schema version {}, this tcpstate reads {}",
                schema.as_deref().unwrap_or("?"),
                super::SCHEMA_VERSION
            ));
        }
        let capture =
            metadata_value(&meta, "tcpstate.capture").ok_or("no tcpstate.capture metadata")?;
        let v: serde_json::Value =
            serde_json::from_str(&capture).map_err(|e| format!("tcpstate.capture: {e}"))?;
        let info = CaptureInfo::from_json(&v).map_err(|e| format!("tcpstate.capture: {e}"))?;
        let reader = builder
            .with_batch_size(BATCH_ROWS)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ConnectionsFile { info, reader })
    }

    /// Calls `f` with every row, in file order.
    pub fn for_each_row(self, mut f: impl FnMut(ConnectionRow)) -> Result<(), String> {
        for batch in self.reader {
            let batch = batch.map_err(|e| e.to_string())?;
            for row in rows_of(&batch)? {
                f(row);
            }
        }
        Ok(())
    }
}
