//! The columns of `segments.parquet`: one row per segment, ICMP error or
//! event, filled from [`SegmentRow`]s.

use super::builders::{
    Anomalies, Dict, DictList, IcmpCols, Pair, Transitions, TunnelCols, arc, i, next_offset, nulls,
    struct_of,
};
use super::schema::{analysis_fields, dict, duplicate_ack_fields, item, segments_schema};
use super::table::{Columns, batch, file_column};
use crate::output::rows::SegmentRow;
use arrow_array::builder::{BooleanBuilder, Int64Builder, TimestampNanosecondBuilder};
use arrow_array::{ArrayRef, ListArray, RecordBatch};
use arrow_buffer::{OffsetBuffer, ScalarBuffer};
use arrow_schema::SchemaRef;
use std::io;

pub(crate) struct SegColumns {
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

pub(super) fn dict_list(offsets: &mut Vec<i32>, values: &mut Dict) -> ArrayRef {
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
