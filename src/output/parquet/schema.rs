//! The two tables' Arrow schemas: `connections.parquet` and
//! `segments.parquet`, field by field, with the nested structs and lists
//! both share (endpoints, state pairs, anomalies, transitions, tunnels,
//! ICMP errors).

use arrow_schema::{DataType, Field, FieldRef, Fields, Schema, SchemaRef, TimeUnit};
use std::sync::Arc;

pub(super) fn dict() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

pub(super) fn ts() -> DataType {
    DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
}

pub(super) fn f(name: &str, t: DataType, nullable: bool) -> Field {
    Field::new(name, t, nullable)
}

pub(super) fn list_of(fields: Fields) -> DataType {
    DataType::List(item(DataType::Struct(fields)))
}

pub(super) fn item(t: DataType) -> FieldRef {
    Arc::new(Field::new("item", t, false))
}

pub(super) fn endpoint_fields() -> Fields {
    Fields::from(vec![
        f("ip", DataType::Utf8, false),
        f("port", DataType::Int32, false),
    ])
}

pub(super) fn direction_fields() -> Fields {
    Fields::from(vec![
        f("c2s", DataType::Int64, false),
        f("s2c", DataType::Int64, false),
    ])
}

pub(super) fn states_fields(nullable: bool) -> Fields {
    Fields::from(vec![
        f("client", dict(), nullable),
        f("server", dict(), nullable),
    ])
}

pub(super) fn zeek_piece_fields() -> Fields {
    Fields::from(vec![
        f("first_frame", DataType::Int64, false),
        f("conn_state", dict(), false),
        f("history", DataType::Utf8, false),
        f("missed_bytes", DataType::Int64, false),
        f("last_frame", DataType::Int64, false),
    ])
}

pub(super) fn anomaly_fields() -> Fields {
    Fields::from(vec![
        f("id", dict(), false),
        f("severity", dict(), false),
        f("frame", DataType::Int64, false),
        f("endpoint", dict(), true),
        f("description", DataType::Utf8, false),
    ])
}

pub(super) fn transition_fields(with_rule: bool) -> Fields {
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

pub(super) fn tunnel_fields(with_packets: bool) -> Fields {
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

pub(super) fn quoted_fields() -> Fields {
    Fields::from(vec![
        f("flags", DataType::List(item(dict())), false),
        f("seq", DataType::Int64, false),
    ])
}

pub(super) fn icmp_fields(in_connection: bool) -> Fields {
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

pub(super) fn counts_entries() -> FieldRef {
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

pub(super) fn duplicate_ack_fields() -> Fields {
    Fields::from(vec![
        f("number", DataType::Int64, false),
        f("frame", DataType::Int64, true),
    ])
}

pub(super) fn analysis_fields() -> Fields {
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
