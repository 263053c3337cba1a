//! Reading `connections.parquet` back into [`ConnectionRow`]s (for
//! `tcpstate report` over results): the metadata checked first (table,
//! schema version, capture), then the rows batch by batch. String columns
//! are read whether dictionary-encoded (as written) or plain (as another
//! tool may have rewritten them).

use super::BATCH_ROWS;
use crate::output::rows::{
    AnomalyRow, CaptureInfo, ConnectionRow, IcmpRow, TransitionRow, TunnelRow,
};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, TimestampNanosecondType};
use arrow_array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, Int64Array, ListArray, MapArray,
    RecordBatch, StringArray, StructArray, TimestampNanosecondArray,
};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use std::fs::File;
use std::path::Path;

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
    use crate::output::rows::{self as r, Endpoint, ZeekPiece};
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
        if schema.as_deref() != Some(&crate::output::SCHEMA_VERSION.to_string()) {
            return Err(format!(
                "written with schema version {}, this tcpstate reads {}",
                schema.as_deref().unwrap_or("?"),
                crate::output::SCHEMA_VERSION
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
