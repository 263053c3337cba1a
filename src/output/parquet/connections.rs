//! The columns of `connections.parquet`: one row per connection, filled
//! from [`ConnectionRow`]s.

use super::builders::{
    Anomalies, Dict, IcmpCols, Pair, Transitions, TunnelCols, arc, i, list, next_offset, struct_of,
};
use super::schema::{
    connections_schema, counts_entries, direction_fields, endpoint_fields, zeek_piece_fields,
};
use super::table::{Columns, batch, file_column};
use crate::output::rows::ConnectionRow;
use arrow_array::builder::{
    BooleanBuilder, Int32Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use arrow_array::{ArrayRef, MapArray, RecordBatch, StructArray};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, SchemaRef};
use std::io;

pub(crate) struct ConnColumns {
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
