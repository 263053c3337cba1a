//! Column builders shared by both tables: the helpers that turn Rust values
//! into Arrow arrays, and the builders of the nested columns (state pairs,
//! lists of anomalies and transitions, lists of dictionary strings,
//! tunnels, ICMP errors).

use super::schema::{
    anomaly_fields, dict, icmp_fields, item, quoted_fields, states_fields, transition_fields,
    tunnel_fields,
};
use crate::output::rows::{AnomalyRow, IcmpRow, TransitionRow, TunnelRow};
use arrow_array::builder::{
    Int32Builder, Int64Builder, StringBuilder, StringDictionaryBuilder, TimestampNanosecondBuilder,
};
use arrow_array::types::Int32Type;
use arrow_array::{Array, ArrayRef, ListArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Fields};
use std::sync::Arc;

pub(super) type Dict = StringDictionaryBuilder<Int32Type>;

/// Counts as Parquet's signed 64-bit integers (never beyond 2^63 in practice).
pub(super) fn i(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn arc(a: impl Array + 'static) -> ArrayRef {
    Arc::new(a)
}

pub(super) fn struct_of(
    fields: Fields,
    arrays: Vec<ArrayRef>,
    nulls: Option<NullBuffer>,
) -> ArrayRef {
    arc(StructArray::new(fields, arrays, nulls))
}

pub(super) fn list(fields: Fields, offsets: &mut Vec<i32>, values: Vec<ArrayRef>) -> ArrayRef {
    list_with_nulls(fields, offsets, values, None)
}

pub(super) fn list_with_nulls(
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

pub(super) fn next_offset(offsets: &mut Vec<i32>, n: usize) {
    let last = offsets.last().copied().unwrap_or(0);
    offsets.push(last.saturating_add(i32::try_from(n).unwrap_or(i32::MAX)));
}

pub(super) fn nulls(valid: &mut Vec<bool>) -> Option<NullBuffer> {
    let v = std::mem::take(valid);
    v.iter().any(|b| !b).then(|| NullBuffer::from(v))
}

/// Client and server states (a struct of two dictionary strings).
#[derive(Default)]
pub(super) struct Pair {
    client: Dict,
    server: Dict,
    valid: Vec<bool>,
}

impl Pair {
    pub(super) fn push(&mut self, s: [crate::state::TcpState; 2]) {
        self.client.append_value(s[0].name());
        self.server.append_value(s[1].name());
        self.valid.push(true);
    }
    pub(super) fn push_uncertain(&mut self, u: [Option<crate::state::TcpState>; 2]) {
        self.client.append_option(u[0].map(|s| s.name()));
        self.server.append_option(u[1].map(|s| s.name()));
        self.valid.push(u.iter().any(Option::is_some));
    }
    pub(super) fn finish(&mut self, nullable: bool) -> ArrayRef {
        let arrays = vec![arc(self.client.finish()), arc(self.server.finish())];
        let n = nulls(&mut self.valid);
        struct_of(states_fields(nullable), arrays, n)
    }
}

/// Lists of anomalies.
pub(super) struct Anomalies {
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
    pub(super) fn push(&mut self, v: Option<&[AnomalyRow]>) {
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
    pub(super) fn finish(&mut self) -> ArrayRef {
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
pub(super) struct Transitions {
    with_rule: bool,
    pub(super) offsets: Vec<i32>,
    frame: Int64Builder,
    ts: TimestampNanosecondBuilder,
    endpoint: Dict,
    from: Dict,
    to: Dict,
    basis: Dict,
    pub(super) rule: Dict,
}

impl Transitions {
    pub(super) fn new(with_rule: bool) -> Transitions {
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
    pub(super) fn one(&mut self, t: &TransitionRow) {
        self.frame.append_value(i(t.frame));
        self.ts.append_value(t.ts_ns);
        self.endpoint.append_value(t.endpoint.name());
        self.from.append_value(t.from.name());
        self.to.append_value(t.to.name());
        self.basis.append_value(t.basis.name());
    }
    pub(super) fn finish(&mut self) -> ArrayRef {
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
pub(super) struct DictList {
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
    pub(super) fn push<S: AsRef<str>>(&mut self, v: Option<&[S]>) {
        let items = v.unwrap_or(&[]);
        for x in items {
            self.values.append_value(x.as_ref());
        }
        next_offset(&mut self.offsets, items.len());
        self.valid.push(v.is_some());
    }
    pub(super) fn finish(&mut self) -> ArrayRef {
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
pub(super) fn push_ip(col: &mut StringBuilder, ip: Option<std::net::IpAddr>) {
    if let Some(ip) = ip {
        // Formatted straight into the column's buffer; the empty append
        // ends the value.
        let _ = std::fmt::Write::write_fmt(col, format_args!("{ip}"));
    }
    col.append_value("");
}

/// Tunnels: a list per connection, or one (or none) per segment.
pub(super) struct TunnelCols {
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
    pub(super) fn new(in_connection: bool) -> TunnelCols {
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
    pub(super) fn one(&mut self, t: Option<&TunnelRow>) {
        self.path.push(Some(t.map_or(&[][..], |t| &t.path[..])));
        self.depth.append_value(t.map_or(0, |t| i32::from(t.depth)));
        push_ip(&mut self.src, t.map(|t| t.src));
        push_ip(&mut self.dst, t.map(|t| t.dst));
        self.id.append_option(t.and_then(|t| t.id).map(i64::from));
        self.packets.append_value(t.map_or(0, |t| i(t.packets)));
        self.valid.push(t.is_some());
    }
    pub(super) fn push_list(&mut self, v: &[TunnelRow]) {
        for t in v {
            self.one(Some(t));
        }
        next_offset(&mut self.offsets, v.len());
    }
    pub(super) fn finish(&mut self) -> ArrayRef {
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
pub(super) struct IcmpCols {
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
    pub(super) fn new(in_connection: bool) -> IcmpCols {
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
    pub(super) fn one(&mut self, e: Option<&IcmpRow>) {
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
    pub(super) fn push_list(&mut self, v: &[IcmpRow]) {
        for e in v {
            self.one(Some(e));
        }
        next_offset(&mut self.offsets, v.len());
    }
    /// The errors (a list per connection; per segment row, a struct) and
    /// the segments they quote (per segment row; in a connection's list,
    /// inside each error).
    pub(super) fn finish(&mut self) -> (ArrayRef, ArrayRef) {
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
