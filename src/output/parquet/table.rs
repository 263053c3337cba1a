//! One Parquet file being written: the [`Columns`] of a table filled row by
//! row, handed to the writer in batches, row groups closed as they fill,
//! the file's metadata (schema version, table, capture), and the file put
//! in place only when whole.

use super::builders::arc;
use super::{BATCH_ROWS, ROW_GROUP_ROWS};
use crate::engine::Totals;
use crate::output::dataset::Pending;
use crate::output::rows::CaptureInfo;
use arrow_array::types::Int32Type;
use arrow_array::{ArrayRef, DictionaryArray, Int32Array, RecordBatch, StringArray};
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::fs::File;
use std::io;
use std::path::Path;

/// A table's columns, filled row by row and taken as a batch.
pub(crate) trait Columns: Default {
    type Row;
    /// `tcpstate.table` in the metadata.
    const TABLE: &'static str;
    fn schema() -> SchemaRef;
    fn push(&mut self, row: &Self::Row);
    fn len(&self) -> usize;
    /// The rows pushed since the last batch, as one (with `file` on each).
    fn batch(&mut self, file: &str) -> io::Result<RecordBatch>;
}

pub(crate) fn file_column(file: &str, n: usize) -> ArrayRef {
    let keys = Int32Array::from(vec![0; n]);
    arc(DictionaryArray::<Int32Type>::new(
        keys,
        arc(StringArray::from(vec![file])),
    ))
}

pub(crate) fn batch(schema: SchemaRef, columns: Vec<ArrayRef>) -> io::Result<RecordBatch> {
    RecordBatch::try_new(schema, columns).map_err(io::Error::other)
}

/// One Parquet file being written: rows in, batches out, row groups as they
/// fill; in place only once [`Table::finish`] succeeds.
pub(crate) struct Table<C: Columns> {
    file: String,
    cols: C,
    writer: ArrowWriter<File>,
    handle: File,
    pending: Pending,
}

impl<C: Columns> Table<C> {
    pub(crate) fn create(dest: &Path, file: &str) -> io::Result<Table<C>> {
        let (pending, handle) = Pending::create(dest)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by(format!("tcpstate {}", env!("CARGO_PKG_VERSION")))
            .set_key_value_metadata(Some(vec![
                KeyValue::new(
                    "tcpstate.schema".to_string(),
                    crate::output::SCHEMA_VERSION.to_string(),
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

    pub(crate) fn push(&mut self, row: &C::Row) -> io::Result<()> {
        self.cols.push(row);
        if self.cols.len() >= BATCH_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        if self.cols.len() > 0 {
            let b = self.cols.batch(&self.file)?;
            self.writer.write(&b).map_err(io::Error::other)?;
        }
        Ok(())
    }

    /// Writes what is left and the footer (with `capture`, the capture's
    /// JSON object), and puts the file in place.
    pub(crate) fn finish(mut self, capture: String) -> io::Result<()> {
        self.flush()?;
        self.writer
            .append_key_value_metadata(KeyValue::new("tcpstate.capture".to_string(), capture));
        self.writer.into_inner().map_err(io::Error::other)?;
        self.pending.commit(self.handle)
    }
}

/// The capture's JSON object for the metadata.
pub(crate) fn capture_json(file: &str, totals: &Totals, selection: Option<&str>) -> String {
    let mut name = Vec::new();
    crate::output::json::string(&mut name, file);
    let mut out = Vec::new();
    crate::output::json::capture(&mut out, &name, totals, selection);
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes the files of a capture that could not be opened: no rows, and
/// the reason in the metadata (so that the report over the results lists
/// it, as the report over the captures does).
pub(crate) fn write_unreadable<C: Columns>(
    dest: &Path,
    file: &str,
    why: &str,
    sel: Option<&str>,
) -> io::Result<()> {
    let t: Table<C> = Table::create(dest, file)?;
    t.finish(CaptureInfo::unreadable(file, why, sel).unreadable_json())
}
