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
//! only turns rows into columns and back. Its files:
//!
//! * `schema.rs`: both tables' Arrow schemas;
//! * `builders.rs`: the column builders both tables share (state pairs,
//!   lists of anomalies and transitions, tunnels, ICMP errors);
//! * `connections.rs`, `segments.rs`: each table's columns, row by row;
//! * `table.rs`: one file being written (batches, row groups, metadata,
//!   put in place when whole);
//! * `read.rs`: `connections.parquet` read back into rows.
//!
//! Running `summary` and `timeline` into these files over the captures is
//! a command's work: [`crate::report`]'s `parquet` module.

mod builders;
mod connections;
mod read;
mod schema;
mod segments;
mod table;

pub(crate) use connections::ConnColumns;
pub use read::{ConnectionsFile, metadata_value};
pub use schema::{connections_schema, segments_schema};
pub(crate) use segments::SegColumns;
pub(crate) use table::{Table, capture_json, write_unreadable};

/// Rows per row group (each group is written as soon as it is full).
pub const ROW_GROUP_ROWS: usize = 32_768;

/// Rows gathered before they are handed to the writer as one batch.
const BATCH_ROWS: usize = 8_192;

/// The file of connection rows.
pub const CONNECTIONS: &str = "connections.parquet";

/// The file of segment rows.
pub const SEGMENTS: &str = "segments.parquet";
