//! Results as owned, typed rows: one per connection (what `summary` writes),
//! one per segment (what `timeline` writes), and the capture's totals.
//!
//! This is the one module that reads the replay's records for results
//! ([`ConnectionRow::from_record`], [`SegmentRow::from_record`],
//! [`CaptureInfo::from_totals`]). The Parquet writer turns the rows into
//! columns, and `tcpstate report` aggregates rows, whether they come from a
//! replay or back from results written earlier (Parquet, or JSON Lines read
//! with [`ConnectionRow::from_json`]): one aggregation, whatever the source,
//! so that a report from results equals the report from the captures.
//!
//! Every value a row holds is one the JSON output (`src/output/schema.json`)
//! has under the same name; a row read back from JSON Lines or Parquet is
//! equal to the row it was written from.

use crate::anomaly::{AnomalyKind, Severity};
use crate::connection::{Direction, Outcome, Role};
use crate::engine::{ConnectionRecord, SegmentRecord, Totals};
use crate::output::order::Spill;
use crate::select::OUTCOMES;
use crate::state::{Basis, TcpState};
use crate::wireshark::Flag;
use crate::zeek::ConnState;
use serde_json::Value;
use std::net::IpAddr;

/// Every basis a transition can rest on.
pub const BASES: [Basis; 5] = [
    Basis::Sent,
    Basis::Received,
    Basis::Inferred,
    Basis::Timer,
    Basis::Revised,
];

/// Zeek's conn_state values.
pub const CONN_STATES: [ConnState; 13] = [
    ConnState::S0,
    ConnState::S1,
    ConnState::SF,
    ConnState::REJ,
    ConnState::S2,
    ConnState::S3,
    ConnState::RSTO,
    ConnState::RSTR,
    ConnState::RSTOS0,
    ConnState::RSTRH,
    ConnState::SH,
    ConnState::SHR,
    ConnState::OTH,
];

/// The roles, client first.
pub const ROLES: [Role; 2] = [Role::Client, Role::Server];

/// One endpoint's address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Its IP address.
    pub ip: IpAddr,
    /// Its port.
    pub port: u16,
}

/// One Zeek connection of a connection (JSON `zeek_pieces`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeekPiece {
    /// Its first frame.
    pub first_frame: u64,
    /// Zeek's `conn_state`.
    pub conn_state: ConnState,
    /// Zeek's `history`.
    pub history: String,
    /// Zeek's `missed_bytes`.
    pub missed_bytes: u64,
    /// Its last frame.
    pub last_frame: u64,
}

/// One anomaly occurrence (its severity is its id's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnomalyRow {
    /// The anomaly.
    pub id: AnomalyKind,
    /// Where it shows.
    pub frame: u64,
    /// The endpoint it concerns, if one.
    pub endpoint: Option<Role>,
    /// The sentence with its numbers.
    pub description: String,
}

/// One state change of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransitionRow {
    /// The frame that caused it (for a timer, the first frame after it expired).
    pub frame: u64,
    /// When it happened (a timer's: when it expired), ns since the epoch.
    pub ts_ns: i64,
    /// Whose state changed.
    pub endpoint: Role,
    /// The state left.
    pub from: TcpState,
    /// The state entered.
    pub to: TcpState,
    /// What it rests on.
    pub basis: Basis,
}

/// A tunnel segments rode in (JSON `tunnels` items, a segment's `tunnel`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TunnelRow {
    /// Its kinds, from the outermost in (`gre`, `vxlan`, ...).
    pub path: Vec<String>,
    /// Encapsulations in all.
    pub depth: u8,
    /// Source of the IP header the innermost tunnel travelled in.
    pub src: IpAddr,
    /// Its destination.
    pub dst: IpAddr,
    /// The innermost tunnel's identifier.
    pub id: Option<u32>,
    /// Segments that rode in it (a connection's tunnels; 0 on a segment).
    pub packets: u64,
}

/// An ICMP error quoting a segment (JSON `icmp_errors` items, an `icmp`
/// row's `icmp` and `quoted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpRow {
    /// The frame of the error.
    pub frame: u64,
    /// 4 (ICMP) or 6 (ICMPv6).
    pub version: u8,
    /// The ICMP type.
    pub icmp_type: u8,
    /// Its code.
    pub code: u8,
    /// What the type and code mean.
    pub description: String,
    /// Who sent the error.
    pub from: IpAddr,
    /// Who sent the quoted segment.
    pub about: Role,
    /// The quoted segment's control bits' names.
    pub flags: Vec<&'static str>,
    /// The quoted segment's relative sequence number.
    pub seq: u32,
}

/// One connection, as `summary` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionRow {
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The client.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// Roles decided from the ports.
    pub roles_guessed: bool,
    /// Joined mid-stream.
    pub mid_stream: bool,
    /// Its first frame.
    pub first_frame: u64,
    /// Its last frame.
    pub last_frame: u64,
    /// Its first timestamp, ns since the epoch.
    pub start_ns: i64,
    /// First to last timestamp, ns.
    pub duration_ns: i64,
    /// Packets client to server, server to client.
    pub packets: [u64; 2],
    /// Payload bytes client to server, server to client.
    pub bytes: [u64; 2],
    /// Client's and server's first state.
    pub initial_state: [TcpState; 2],
    /// Client's and server's last state.
    pub final_state: [TcpState; 2],
    /// For an uncertain final state, the alternative.
    pub final_state_uncertain: [Option<TcpState>; 2],
    /// Who sent the first FIN.
    pub active_closer: Option<Role>,
    /// How it ended.
    pub outcome: Outcome,
    /// Zeek's connections, in order.
    pub zeek_pieces: Vec<ZeekPiece>,
    /// Its anomalies, in order.
    pub anomalies: Vec<AnomalyRow>,
    /// Anomalies beyond the per-connection limit.
    pub anomalies_dropped: u64,
    /// Its state changes, in order.
    pub lifecycle: Vec<TransitionRow>,
    /// Wireshark's verdict counts (nonzero ones, in [`Flag::ALL`] order).
    pub analysis_counts: Vec<(Flag, u64)>,
    /// Receipts assumed and later withdrawn.
    pub revisions: u64,
    /// The tunnels its segments rode in.
    pub tunnels: Vec<TunnelRow>,
    /// ICMP errors quoting its segments.
    pub icmp_errors: Vec<IcmpRow>,
    /// The handshake's RTT, ns.
    pub initial_rtt_ns: Option<i64>,
}

/// Wireshark's analysis of one segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalysisRow {
    /// The verdicts.
    pub flags: Vec<Flag>,
    /// `(number, frame)` of a duplicate ACK.
    pub duplicate_ack: Option<(u32, Option<u64>)>,
    /// The frame acknowledged exactly.
    pub acks_frame: Option<u64>,
    /// Time since that frame, ns.
    pub ack_rtt_ns: Option<i64>,
    /// The handshake's RTT, ns, on the frames Wireshark shows it.
    pub initial_rtt_ns: Option<i64>,
}

/// One segment, as `timeline` reports it (or an ICMP error quoting one:
/// JSON `type` `icmp`, with `icmp` set and no direction, flags, numbers or
/// verdict of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentRow {
    /// Not a segment: transitions between segments (a timer that ran out,
    /// an incarnation a new SYN ended), JSON `type` `event`, with neither
    /// segment fields, anomalies nor analysis.
    pub event: bool,
    /// The ICMP error this row is, if it is one.
    pub icmp: Option<IcmpRow>,
    /// The segment's TCP header was cut short.
    pub short_header: bool,
    /// The tunnel it rode in.
    pub tunnel: Option<TunnelRow>,
    /// Wireshark's `frame.number`.
    pub frame: u64,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// Its timestamp, ns since the epoch.
    pub ts_ns: i64,
    /// Who sent it.
    pub direction: Direction,
    /// Its control bits' names, in header order.
    pub flags: Vec<&'static str>,
    /// Relative sequence number.
    pub seq: u32,
    /// Relative acknowledgment number.
    pub ack: u32,
    /// Payload length.
    pub len: u32,
    /// Client's and server's state after it.
    pub state: [TcpState; 2],
    /// For an uncertain state, the alternative.
    pub state_uncertain: [Option<TcpState>; 2],
    /// The transitions it caused, each with the rule applied.
    pub transitions: Vec<(TransitionRow, &'static str)>,
    /// What the receiver made of it.
    pub verdict: &'static str,
    /// Its anomalies.
    pub anomalies: Vec<AnomalyRow>,
    /// Wireshark's verdicts.
    pub analysis: AnalysisRow,
}

/// What a capture's results say about the capture itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureInfo {
    /// The capture, as named when the results were written.
    pub file: String,
    /// Every packet record.
    pub frames: u64,
    /// TCP segments.
    pub tcp_segments: u64,
    /// Connections (streams numbered).
    pub connections: u64,
    /// The first frame's timestamp.
    pub first_ts_ns: Option<i64>,
    /// The capture clock at the last frame.
    pub last_ts_ns: Option<i64>,
    /// The damage that ended reading early.
    pub error: Option<String>,
    /// Why the capture could not be opened at all (no rows then).
    pub unreadable: Option<String>,
    /// The `--where` expression the rows were selected with.
    pub selection: Option<String>,
}

fn transition_row(t: &crate::connection::Transition) -> TransitionRow {
    TransitionRow {
        frame: t.frame,
        ts_ns: t.ts,
        endpoint: t.endpoint,
        from: t.from,
        to: t.to,
        basis: t.basis,
    }
}

fn flag_names(f: crate::decode::TcpFlags) -> Vec<&'static str> {
    super::FLAG_NAMES
        .iter()
        .filter(|(bit, _)| f.contains(*bit))
        .map(|(_, name)| *name)
        .collect()
}

fn tunnel_row(t: &crate::decode::Tunnel, packets: u64) -> TunnelRow {
    TunnelRow {
        path: t.path().map(|k| k.name().to_string()).collect(),
        depth: t.depth,
        src: t.src,
        dst: t.dst,
        id: t.id,
        packets,
    }
}

fn icmp_row(e: &crate::engine::IcmpError) -> IcmpRow {
    IcmpRow {
        frame: e.frame,
        version: if e.v6 { 6 } else { 4 },
        icmp_type: e.icmp_type,
        code: e.code,
        description: e.describe(),
        from: e.from,
        about: e.about,
        flags: flag_names(e.flags),
        seq: e.rel_seq,
    }
}

fn anomaly_row(a: &crate::anomaly::Anomaly) -> AnomalyRow {
    AnomalyRow {
        id: a.kind,
        frame: a.frame,
        endpoint: a.endpoint,
        description: a.describe(),
    }
}

impl ConnectionRow {
    /// The row of a finished connection (what the JSON connection object says).
    pub fn from_record(r: &ConnectionRecord) -> ConnectionRow {
        let c = &r.conn;
        let [cl, sv] = &c.ep;
        ConnectionRow {
            stream: r.stream,
            client: Endpoint {
                ip: cl.addr,
                port: cl.port,
            },
            server: Endpoint {
                ip: sv.addr,
                port: sv.port,
            },
            roles_guessed: c.roles_guessed,
            mid_stream: c.mid_stream,
            first_frame: c.first_frame,
            last_frame: c.last_frame,
            start_ns: c.first_ts,
            duration_ns: c.last_ts.saturating_sub(c.first_ts),
            packets: c.packets,
            bytes: c.payload_bytes,
            initial_state: c.initial_state,
            final_state: [cl.state, sv.state],
            final_state_uncertain: c.uncertain(),
            active_closer: c.active_closer,
            outcome: c.outcome(),
            zeek_pieces: c
                .zeek
                .rows()
                .map(|z| ZeekPiece {
                    first_frame: z.first_frame(),
                    conn_state: z.conn_state(),
                    history: z.history().to_string(),
                    missed_bytes: z.missed_bytes(),
                    last_frame: z.last_frame(),
                })
                .collect(),
            anomalies: c.anomalies.iter().map(anomaly_row).collect(),
            anomalies_dropped: c.anomalies_dropped,
            lifecycle: c.lifecycle.iter().map(transition_row).collect(),
            analysis_counts: c.wireshark.counts().nonzero().collect(),
            revisions: u64::from(c.revisions),
            tunnels: r
                .tunnels
                .iter()
                .map(|u| tunnel_row(&u.tunnel, u.packets))
                .collect(),
            icmp_errors: r.icmp.iter().map(icmp_row).collect(),
            initial_rtt_ns: c.wireshark.initial_rtt_ns(),
        }
    }

    /// Calls `f(role, state, from, to)` for every stay of an endpoint in one
    /// state (see [`crate::netstat::stays`]).
    pub fn for_each_stay(&self, f: impl FnMut(Role, TcpState, i64, Option<i64>)) {
        crate::netstat::stays(
            self.initial_state,
            self.start_ns,
            self.lifecycle.iter().map(|t| (t.endpoint, t.to, t.ts_ns)),
            f,
        );
    }

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

impl SegmentRow {
    /// The row of one segment (what the JSON segment object says).
    pub fn from_record(r: &SegmentRecord) -> SegmentRow {
        let o = &r.outcome;
        let v = &o.analysis;
        SegmentRow {
            event: r.event,
            icmp: r.icmp.as_ref().map(icmp_row),
            short_header: r.short_header,
            tunnel: r.tunnel.as_ref().map(|t| tunnel_row(t, 0)),
            frame: r.frame,
            stream: r.stream,
            ts_ns: r.ts_ns,
            direction: o.direction,
            flags: flag_names(r.flags),
            seq: o.rel_seq,
            ack: o.rel_ack,
            len: r.payload_len,
            state: o.state,
            state_uncertain: o.uncertain,
            transitions: o
                .transitions
                .iter()
                .map(|t| (transition_row(t), t.rule))
                .collect(),
            verdict: o.verdict.name(),
            anomalies: o.anomalies.iter().map(anomaly_row).collect(),
            analysis: AnalysisRow {
                flags: v.flags.iter().collect(),
                duplicate_ack: v.duplicate_ack.map(|d| (d.number, d.frame)),
                acks_frame: v.acks_frame,
                ack_rtt_ns: v.ack_rtt_ns,
                initial_rtt_ns: v.initial_rtt_ns,
            },
        }
    }
}

impl CaptureInfo {
    /// What a replay's totals say about capture `file`.
    pub fn from_totals(file: &str, t: &Totals, selection: Option<&str>) -> CaptureInfo {
        CaptureInfo {
            file: file.to_string(),
            frames: t.frames,
            tcp_segments: t.tcp_segments,
            connections: t.connections,
            first_ts_ns: t.first_ts,
            last_ts_ns: t.last_ts,
            error: t.error.as_ref().map(|e| e.to_string()),
            unreadable: None,
            selection: selection.map(str::to_string),
        }
    }

    /// A capture that could not be opened.
    pub fn unreadable(file: &str, why: &str, selection: Option<&str>) -> CaptureInfo {
        CaptureInfo {
            file: file.to_string(),
            unreadable: Some(why.to_string()),
            selection: selection.map(str::to_string),
            ..CaptureInfo::default()
        }
    }

    /// Parses a JSON `capture` object (as JSON Lines end each capture with;
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
        o.insert("schema".into(), super::SCHEMA_VERSION.into());
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

/// A control bit's name, as the JSON writes it.
pub fn flag_name(s: &str) -> Result<&'static str, String> {
    super::FLAG_NAMES
        .iter()
        .map(|(_, n)| *n)
        .find(|n| *n == s)
        .ok_or_else(|| format!("unknown TCP flag `{s}`"))
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

/// The state named `s` (`FIN_WAIT_1`, ...).
pub fn state(s: &str) -> Result<TcpState, String> {
    TcpState::from_name(s).ok_or_else(|| format!("unknown TCP state `{s}`"))
}

/// The role named `s`.
pub fn role(s: &str) -> Result<Role, String> {
    ROLES
        .into_iter()
        .find(|r| r.name() == s)
        .ok_or_else(|| format!("unknown endpoint `{s}`"))
}

/// The basis named `s`.
pub fn basis(s: &str) -> Result<Basis, String> {
    BASES
        .into_iter()
        .find(|b| b.name() == s)
        .ok_or_else(|| format!("unknown basis `{s}`"))
}

/// The outcome named `s`.
pub fn outcome(s: &str) -> Result<Outcome, String> {
    OUTCOMES
        .into_iter()
        .find(|o| o.name() == s)
        .ok_or_else(|| format!("unknown outcome `{s}`"))
}

/// The anomaly whose id is `s`.
pub fn anomaly(s: &str) -> Result<AnomalyKind, String> {
    AnomalyKind::ALL
        .iter()
        .copied()
        .find(|k| k.id() == s)
        .ok_or_else(|| format!("unknown anomaly id `{s}`"))
}

/// Zeek's conn_state named `s`.
pub fn conn_state(s: &str) -> Result<ConnState, String> {
    CONN_STATES
        .into_iter()
        .find(|c| c.name() == s)
        .ok_or_else(|| format!("unknown Zeek conn_state `{s}`"))
}

/// What `--where` looks at, from a row.
impl crate::select::Subject for ConnectionRow {
    fn ends(&self) -> [(IpAddr, u16, TcpState); 2] {
        [
            (self.client.ip, self.client.port, self.final_state[0]),
            (self.server.ip, self.server.port, self.final_state[1]),
        ]
    }
    fn outcome(&self) -> Outcome {
        self.outcome
    }
    fn anomalies(&self) -> Vec<(AnomalyKind, Severity)> {
        self.anomalies
            .iter()
            .map(|a| (a.id, a.id.severity()))
            .collect()
    }
    fn closer(&self) -> Option<Role> {
        self.active_closer
    }
}

// Rows waiting for stream order may spill to a temporary file: a compact
// binary form, read back only by this process.

struct Enc<'a>(&'a mut Vec<u8>);

impl Enc<'_> {
    fn u(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn i(&mut self, n: i64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn b(&mut self, x: u8) {
        self.0.push(x);
    }
    fn s(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_i(&mut self, n: Option<i64>) {
        self.b(u8::from(n.is_some()));
        self.i(n.unwrap_or(0));
    }
    fn opt_small(&mut self, n: Option<usize>) {
        self.b(n.map_or(u8::MAX, |n| n as u8));
    }
    fn ip(&mut self, ip: IpAddr) {
        self.s(&ip.to_string());
    }
}

struct Dec<'a>(&'a [u8]);

impl Dec<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    fn u(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let t = self.take(8);
        b[..t.len()].copy_from_slice(t);
        u64::from_le_bytes(b)
    }
    fn i(&mut self) -> i64 {
        self.u() as i64
    }
    fn b(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn s(&mut self) -> String {
        let n = usize::try_from(self.u()).unwrap_or(usize::MAX);
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
    fn opt_i(&mut self) -> Option<i64> {
        let some = self.b() == 1;
        let n = self.i();
        some.then_some(n)
    }
    fn opt_small(&mut self) -> Option<usize> {
        let n = self.b();
        (n != u8::MAX).then_some(usize::from(n))
    }
    fn ip(&mut self) -> IpAddr {
        self.s()
            .parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }
}

fn index_of<T: PartialEq>(all: &[T], x: &T) -> usize {
    all.iter().position(|y| y == x).unwrap_or(0)
}

fn nth<T: Copy>(all: &[T], i: usize) -> T {
    all.get(i).copied().unwrap_or(all[0])
}

fn enc_state(e: &mut Enc, s: TcpState) {
    e.b(index_of(&TcpState::ALL, &s) as u8);
}

fn dec_state(d: &mut Dec) -> TcpState {
    nth(&TcpState::ALL, usize::from(d.b()))
}

impl Spill for ConnectionRow {
    fn size(&self) -> usize {
        std::mem::size_of::<ConnectionRow>()
            + self.zeek_pieces.len() * 64
            + self
                .anomalies
                .iter()
                .map(|a| a.description.len() + 48)
                .sum::<usize>()
            + self.lifecycle.len() * std::mem::size_of::<TransitionRow>()
            + self.analysis_counts.len() * 16
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut e = Enc(out);
        e.u(self.stream);
        for ep in [self.client, self.server] {
            e.ip(ep.ip);
            e.u(u64::from(ep.port));
        }
        e.b(u8::from(self.roles_guessed));
        e.b(u8::from(self.mid_stream));
        e.u(self.first_frame);
        e.u(self.last_frame);
        e.i(self.start_ns);
        e.i(self.duration_ns);
        for n in self.packets.iter().chain(&self.bytes) {
            e.u(*n);
        }
        for s in self.initial_state.iter().chain(&self.final_state) {
            enc_state(&mut e, *s);
        }
        for u in self.final_state_uncertain {
            e.opt_small(u.map(|s| index_of(&TcpState::ALL, &s)));
        }
        e.opt_small(self.active_closer.map(Role::index));
        e.b(index_of(&OUTCOMES, &self.outcome) as u8);
        e.u(self.zeek_pieces.len() as u64);
        for z in &self.zeek_pieces {
            e.u(z.first_frame);
            e.b(index_of(&CONN_STATES, &z.conn_state) as u8);
            e.s(&z.history);
            e.u(z.missed_bytes);
            e.u(z.last_frame);
        }
        e.u(self.anomalies.len() as u64);
        for a in &self.anomalies {
            e.u(index_of(AnomalyKind::ALL, &a.id) as u64);
            e.u(a.frame);
            e.opt_small(a.endpoint.map(Role::index));
            e.s(&a.description);
        }
        e.u(self.anomalies_dropped);
        e.u(self.lifecycle.len() as u64);
        for t in &self.lifecycle {
            e.u(t.frame);
            e.i(t.ts_ns);
            e.b(t.endpoint.index() as u8);
            enc_state(&mut e, t.from);
            enc_state(&mut e, t.to);
            e.b(index_of(&BASES, &t.basis) as u8);
        }
        e.u(self.analysis_counts.len() as u64);
        for (f, n) in &self.analysis_counts {
            e.b(*f as u8);
            e.u(*n);
        }
        e.u(self.revisions);
        e.u(self.tunnels.len() as u64);
        for t in &self.tunnels {
            e.u(t.path.len() as u64);
            for k in &t.path {
                e.s(k);
            }
            e.b(t.depth);
            e.ip(t.src);
            e.ip(t.dst);
            e.opt_i(t.id.map(i64::from));
            e.u(t.packets);
        }
        e.u(self.icmp_errors.len() as u64);
        for x in &self.icmp_errors {
            e.u(x.frame);
            e.b(x.version);
            e.b(x.icmp_type);
            e.b(x.code);
            e.s(&x.description);
            e.ip(x.from);
            e.b(x.about.index() as u8);
            e.u(x.flags.len() as u64);
            for f in &x.flags {
                e.s(f);
            }
            e.u(u64::from(x.seq));
        }
        e.opt_i(self.initial_rtt_ns);
    }

    fn decode(bytes: &[u8]) -> ConnectionRow {
        let mut d = Dec(bytes);
        let stream = d.u();
        let mut ends = [Endpoint {
            ip: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            port: 0,
        }; 2];
        for ep in &mut ends {
            ep.ip = d.ip();
            ep.port = d.u() as u16;
        }
        let roles_guessed = d.b() == 1;
        let mid_stream = d.b() == 1;
        let first_frame = d.u();
        let last_frame = d.u();
        let start_ns = d.i();
        let duration_ns = d.i();
        let packets = [d.u(), d.u()];
        let bytes = [d.u(), d.u()];
        let initial_state = [dec_state(&mut d), dec_state(&mut d)];
        let final_state = [dec_state(&mut d), dec_state(&mut d)];
        let final_state_uncertain = [
            d.opt_small().map(|i| nth(&TcpState::ALL, i)),
            d.opt_small().map(|i| nth(&TcpState::ALL, i)),
        ];
        let active_closer = d.opt_small().map(|i| nth(&ROLES, i));
        let outcome = nth(&OUTCOMES, usize::from(d.b()));
        // Lengths are capped by what is left, so a damaged spill cannot ask
        // for a huge allocation.
        let count = |d: &mut Dec| (d.u() as usize).min(d.0.len());
        let n = count(&mut d);
        let zeek_pieces = (0..n)
            .map(|_| ZeekPiece {
                first_frame: d.u(),
                conn_state: nth(&CONN_STATES, usize::from(d.b())),
                history: d.s(),
                missed_bytes: d.u(),
                last_frame: d.u(),
            })
            .collect();
        let n = count(&mut d);
        let anomalies = (0..n)
            .map(|_| AnomalyRow {
                id: nth(AnomalyKind::ALL, d.u() as usize),
                frame: d.u(),
                endpoint: d.opt_small().map(|i| nth(&ROLES, i)),
                description: d.s(),
            })
            .collect();
        let anomalies_dropped = d.u();
        let n = count(&mut d);
        let lifecycle = (0..n)
            .map(|_| TransitionRow {
                frame: d.u(),
                ts_ns: d.i(),
                endpoint: nth(&ROLES, usize::from(d.b())),
                from: dec_state(&mut d),
                to: dec_state(&mut d),
                basis: nth(&BASES, usize::from(d.b())),
            })
            .collect();
        let n = count(&mut d);
        let analysis_counts = (0..n)
            .map(|_| (nth(&Flag::ALL, usize::from(d.b())), d.u()))
            .collect();
        ConnectionRow {
            stream,
            client: ends[0],
            server: ends[1],
            roles_guessed,
            mid_stream,
            first_frame,
            last_frame,
            start_ns,
            duration_ns,
            packets,
            bytes,
            initial_state,
            final_state,
            final_state_uncertain,
            active_closer,
            outcome,
            zeek_pieces,
            anomalies,
            anomalies_dropped,
            lifecycle,
            analysis_counts,
            revisions: d.u(),
            tunnels: {
                let n = count(&mut d);
                (0..n)
                    .map(|_| {
                        let k = count(&mut d);
                        TunnelRow {
                            path: (0..k).map(|_| d.s()).collect(),
                            depth: d.b(),
                            src: d.ip(),
                            dst: d.ip(),
                            id: d.opt_i().and_then(|x| u32::try_from(x).ok()),
                            packets: d.u(),
                        }
                    })
                    .collect()
            },
            icmp_errors: {
                let n = count(&mut d);
                (0..n)
                    .map(|_| IcmpRow {
                        frame: d.u(),
                        version: d.b(),
                        icmp_type: d.b(),
                        code: d.b(),
                        description: d.s(),
                        from: d.ip(),
                        about: nth(&ROLES, usize::from(d.b())),
                        flags: {
                            let k = count(&mut d);
                            (0..k).filter_map(|_| flag_name(&d.s()).ok()).collect()
                        },
                        seq: d.u() as u32,
                    })
                    .collect()
            },
            initial_rtt_ns: d.opt_i(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::CaptureReader;
    use crate::engine::{self, Collector, Options};

    fn rows(file: &str) -> (Vec<ConnectionRow>, Vec<u8>) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let reader = CaptureReader::open(&path).expect("opens");
        let mut c = Collector::default();
        engine::analyze(reader, &Options::default(), &mut c, None).expect("analyses");
        let mut json = Vec::new();
        let rows = c
            .by_stream()
            .into_iter()
            .map(|r| {
                super::super::json::connection(&mut json, None, r);
                json.push(b'\n');
                ConnectionRow::from_record(r)
            })
            .collect();
        (rows, json)
    }

    #[test]
    fn rows_read_back_from_json_and_from_a_spill_are_the_rows_written() {
        for f in [
            "testdata/real/09-lost-final-ack.pcap",
            "testdata/real/04-simultaneous-open.pcap",
            "testdata/real/11-unanswered-syn.pcap",
            "testdata/real/15-half-close-server-first-v6.pcap",
        ] {
            let (rows, json) = rows(f);
            assert!(!rows.is_empty(), "{f}");
            for (row, line) in rows.iter().zip(json.split(|&b| b == b'\n')) {
                let v: Value = serde_json::from_slice(line).expect("JSON");
                assert_eq!(&ConnectionRow::from_json(&v).expect("parses"), row, "{f}");
                let mut b = Vec::new();
                row.encode(&mut b);
                assert_eq!(&ConnectionRow::decode(&b), row, "{f}");
            }
        }
    }

    #[test]
    fn a_damaged_spill_decodes_without_panicking() {
        let (rows, _) = rows("testdata/real/09-lost-final-ack.pcap");
        let mut b = Vec::new();
        rows[0].encode(&mut b);
        for cut in 0..b.len() {
            let _ = ConnectionRow::decode(&b[..cut]);
        }
        let mut junk = vec![0xff; 64];
        junk[0] = 7;
        let _ = ConnectionRow::decode(&junk);
    }

    #[test]
    fn bad_json_is_an_error_naming_the_key() {
        let (_, json) = rows("testdata/real/09-lost-final-ack.pcap");
        let line = json.split(|&b| b == b'\n').next().unwrap();
        let mut v: Value = serde_json::from_slice(line).unwrap();
        v["outcome"] = "exploded".into();
        assert_eq!(
            ConnectionRow::from_json(&v).unwrap_err(),
            "unknown outcome `exploded`"
        );
        v.as_object_mut().unwrap().remove("lifecycle");
        v["outcome"] = "closed".into();
        assert_eq!(
            ConnectionRow::from_json(&v).unwrap_err(),
            "`lifecycle` is missing"
        );
    }
}
