//! Rows read back from JSON Lines (`connection` and `capture` objects, as
//! `summary --format jsonl` writes them), each error naming the key.

use super::names::{anomaly, basis, conn_state, flag_name, outcome, role, state};
use super::{
    AnomalyRow, CaptureInfo, ConnectionRow, Endpoint, IcmpRow, TransitionRow, TunnelRow, ZeekPiece,
};
use crate::state::TcpState;
use crate::vocab::Role;
use crate::wireshark::Flag;
use serde_json::Value;
use std::net::IpAddr;

impl ConnectionRow {
    /// Parses a JSON `connection` object (schema version 2, with the keys
    /// added within it that the report needs: `lifecycle[].ts_ns`,
    /// `revisions`, `initial_rtt_ns`).
    pub fn from_json(v: &Value) -> Result<ConnectionRow, String> {
        let ep = |k: &str| -> Result<Endpoint, String> {
            let e = get(v, k)?;
            let ip = str_of(e, "ip")?
                .parse::<IpAddr>()
                .map_err(|_| format!("`{k}.ip` is not an IP address"))?;
            let port = u16::try_from(u64_of(e, "port")?)
                .map_err(|_| format!("`{k}.port` is not a port"))?;
            Ok(Endpoint { ip, port })
        };
        let pair_u64 = |k: &str| -> Result<[u64; 2], String> {
            let p = get(v, k)?;
            Ok([u64_of(p, "c2s")?, u64_of(p, "s2c")?])
        };
        let states = |k: &str| -> Result<[TcpState; 2], String> {
            let p = get(v, k)?;
            Ok([state_of(p, "client")?, state_of(p, "server")?])
        };
        let final_state_uncertain = match v.get("final_state_uncertain") {
            None | Some(Value::Null) => [None, None],
            Some(u) => [opt_state(u.get("client"))?, opt_state(u.get("server"))?],
        };
        let zeek_pieces = array_of(v, "zeek_pieces")?
            .iter()
            .map(|z| {
                Ok(ZeekPiece {
                    first_frame: u64_of(z, "first_frame")?,
                    conn_state: conn_state(str_of(z, "conn_state")?)?,
                    history: str_of(z, "history")?.to_string(),
                    missed_bytes: u64_of(z, "missed_bytes")?,
                    last_frame: u64_of(z, "last_frame")?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let lifecycle = array_of(v, "lifecycle")?
            .iter()
            .map(transition_from_json)
            .collect::<Result<Vec<_>, String>>()?;
        let counts = get(v, "analysis_counts")?
            .as_object()
            .ok_or("`analysis_counts` is not an object")?;
        let mut analysis_counts = Vec::with_capacity(counts.len());
        for (name, n) in counts {
            let f = Flag::from_name(name)
                .ok_or_else(|| format!("unknown tcp.analysis verdict `{name}`"))?;
            let n = n
                .as_u64()
                .ok_or_else(|| format!("`analysis_counts.{name}` is not a count"))?;
            analysis_counts.push((f, n));
        }
        analysis_counts.sort_by_key(|(f, _)| *f as usize);
        Ok(ConnectionRow {
            stream: u64_of(v, "stream")?,
            client: ep("client")?,
            server: ep("server")?,
            roles_guessed: bool_of(v, "roles_guessed")?,
            mid_stream: bool_of(v, "mid_stream")?,
            first_frame: u64_of(v, "first_frame")?,
            last_frame: u64_of(v, "last_frame")?,
            start_ns: i64_of(v, "start_ns")?,
            duration_ns: i64_of(v, "duration_ns")?,
            packets: pair_u64("packets")?,
            bytes: pair_u64("bytes")?,
            initial_state: states("initial_state")?,
            final_state: states("final_state")?,
            final_state_uncertain,
            active_closer: opt_role(v.get("active_closer"))?,
            outcome: outcome(str_of(v, "outcome")?)?,
            zeek_pieces,
            anomalies: anomalies_from_json(v)?,
            anomalies_dropped: u64_of(v, "anomalies_dropped")?,
            lifecycle,
            analysis_counts,
            revisions: u64_of(v, "revisions")?,
            tunnels: array_of(v, "tunnels")?
                .iter()
                .map(tunnel_from_json)
                .collect::<Result<_, _>>()?,
            icmp_errors: array_of(v, "icmp_errors")?
                .iter()
                .map(icmp_from_json)
                .collect::<Result<_, _>>()?,
            initial_rtt_ns: match get(v, "initial_rtt_ns")? {
                Value::Null => None,
                n => Some(n.as_i64().ok_or("`initial_rtt_ns` is not an integer")?),
            },
        })
    }
}

impl CaptureInfo {
    /// Parquet files keep the same object in their metadata). A capture that
    /// could not be opened has `unreadable` (the reason) and no totals.
    pub fn from_json(v: &Value) -> Result<CaptureInfo, String> {
        let file = str_of(v, "file")?.to_string();
        let selection = match v.get("selection") {
            None | Some(Value::Null) => None,
            Some(s) => Some(s.as_str().ok_or("`selection` is not a string")?.to_string()),
        };
        if let Some(why) = v.get("unreadable") {
            let why = why.as_str().ok_or("`unreadable` is not a string")?;
            return Ok(CaptureInfo::unreadable(&file, why, selection.as_deref()));
        }
        let opt_ts = |k: &str| -> Result<Option<i64>, String> {
            match get(v, k)? {
                Value::Null => Ok(None),
                n => Ok(Some(
                    n.as_i64()
                        .ok_or_else(|| format!("`{k}` is not an integer"))?,
                )),
            }
        };
        Ok(CaptureInfo {
            frames: u64_of(v, "frames")?,
            tcp_segments: u64_of(v, "tcp_segments")?,
            connections: u64_of(v, "connections")?,
            first_ts_ns: opt_ts("first_ts_ns")?,
            last_ts_ns: opt_ts("last_ts_ns")?,
            error: match get(v, "error")? {
                Value::Null => None,
                e => Some(str_of(e, "message")?.to_string()),
            },
            unreadable: None,
            selection,
            file,
        })
    }

    /// The JSON object [`CaptureInfo::from_json`] reads, for a capture that
    /// could not be opened.
    pub fn unreadable_json(&self) -> String {
        let mut o = serde_json::Map::new();
        o.insert("type".into(), "capture".into());
        o.insert("schema".into(), crate::output::SCHEMA_VERSION.into());
        o.insert("file".into(), self.file.clone().into());
        o.insert(
            "unreadable".into(),
            self.unreadable.clone().unwrap_or_default().into(),
        );
        if let Some(s) = &self.selection {
            o.insert("selection".into(), s.clone().into());
        }
        Value::Object(o).to_string()
    }
}

fn get<'a>(v: &'a Value, k: &str) -> Result<&'a Value, String> {
    v.get(k).ok_or_else(|| format!("`{k}` is missing"))
}

fn u64_of(v: &Value, k: &str) -> Result<u64, String> {
    get(v, k)?
        .as_u64()
        .ok_or_else(|| format!("`{k}` is not a non-negative integer"))
}

fn i64_of(v: &Value, k: &str) -> Result<i64, String> {
    get(v, k)?
        .as_i64()
        .ok_or_else(|| format!("`{k}` is not an integer"))
}

fn bool_of(v: &Value, k: &str) -> Result<bool, String> {
    get(v, k)?
        .as_bool()
        .ok_or_else(|| format!("`{k}` is not a boolean"))
}

fn str_of<'a>(v: &'a Value, k: &str) -> Result<&'a str, String> {
    get(v, k)?
        .as_str()
        .ok_or_else(|| format!("`{k}` is not a string"))
}

fn array_of<'a>(v: &'a Value, k: &str) -> Result<&'a Vec<Value>, String> {
    get(v, k)?
        .as_array()
        .ok_or_else(|| format!("`{k}` is not an array"))
}

fn state_of(v: &Value, k: &str) -> Result<TcpState, String> {
    state(str_of(v, k)?)
}

fn opt_state(v: Option<&Value>) -> Result<Option<TcpState>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(s) => Ok(Some(state(s.as_str().ok_or("a state is not a string")?)?)),
    }
}

fn opt_role(v: Option<&Value>) -> Result<Option<Role>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(s) => Ok(Some(role(s.as_str().ok_or("a role is not a string")?)?)),
    }
}

fn transition_from_json(t: &Value) -> Result<TransitionRow, String> {
    Ok(TransitionRow {
        frame: u64_of(t, "frame")?,
        ts_ns: i64_of(t, "ts_ns")?,
        endpoint: role(str_of(t, "endpoint")?)?,
        from: state_of(t, "from")?,
        to: state_of(t, "to")?,
        basis: basis(str_of(t, "basis")?)?,
    })
}

fn ip_of(v: &Value, k: &str) -> Result<IpAddr, String> {
    str_of(v, k)?
        .parse()
        .map_err(|_| format!("`{k}` is not an IP address"))
}

fn small<T: TryFrom<u64>>(v: &Value, k: &str) -> Result<T, String> {
    T::try_from(u64_of(v, k)?).map_err(|_| format!("`{k}` is out of range"))
}

fn tunnel_from_json(t: &Value) -> Result<TunnelRow, String> {
    Ok(TunnelRow {
        path: array_of(t, "path")?
            .iter()
            .map(|k| {
                k.as_str()
                    .map(str::to_string)
                    .ok_or("a tunnel kind is not a string")
            })
            .collect::<Result<_, _>>()?,
        depth: small(t, "depth")?,
        src: ip_of(t, "src")?,
        dst: ip_of(t, "dst")?,
        id: match get(t, "id")? {
            Value::Null => None,
            _ => Some(small(t, "id")?),
        },
        packets: match t.get("packets") {
            None => 0,
            Some(_) => u64_of(t, "packets")?,
        },
    })
}
fn icmp_from_json(e: &Value) -> Result<IcmpRow, String> {
    let quoted = get(e, "quoted")?;
    Ok(IcmpRow {
        frame: u64_of(e, "frame")?,
        version: small(e, "version")?,
        icmp_type: small(e, "type")?,
        code: small(e, "code")?,
        description: str_of(e, "description")?.to_string(),
        from: ip_of(e, "from")?,
        about: role(str_of(e, "about")?)?,
        flags: array_of(quoted, "flags")?
            .iter()
            .map(|f| flag_name(f.as_str().ok_or("a flag is not a string")?))
            .collect::<Result<_, _>>()?,
        seq: small(quoted, "seq")?,
    })
}

fn anomalies_from_json(v: &Value) -> Result<Vec<AnomalyRow>, String> {
    array_of(v, "anomalies")?
        .iter()
        .map(|a| {
            Ok(AnomalyRow {
                id: anomaly(str_of(a, "id")?)?,
                frame: u64_of(a, "frame")?,
                endpoint: opt_role(a.get("endpoint"))?,
                description: str_of(a, "description")?.to_string(),
            })
        })
        .collect()
}
