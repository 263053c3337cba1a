//! Results as owned, typed rows: one per connection (what `summary` writes),
//! one per segment (what `timeline` writes), and the capture's totals.
//!
//! Rows are made from the records a consumer is given ([`crate::consumer`]:
//! [`ConnectionRow::from_record`], [`SegmentRow::from_record`]) and from
//! the totals ([`CaptureInfo::from_totals`]). The Parquet writer turns the rows into
//! columns, and `tcpstate report` aggregates rows, whether they come from a
//! replay or back from results written earlier (Parquet, or JSON Lines read
//! with [`ConnectionRow::from_json`]): one aggregation, whatever the source,
//! so that a report from results equals the report from the captures.
//!
//! Every value a row holds is one the JSON output (`src/output/schema.json`)
//! has under the same name; a row read back from JSON Lines or Parquet is
//! equal to the row it was written from.
//!
//! Its files: this one, what a row is; `from_record.rs`, rows from the
//! consumer's records; `json.rs`, rows read back from JSON Lines; `names.rs`,
//! values from the names the JSON and Parquet write; `spill.rs`, rows
//! waiting for stream order, spilled to a temporary file.

mod from_record;
mod json;
mod names;
mod spill;
#[cfg(test)]
mod tests;

pub use names::{
    BASES, CONN_STATES, ROLES, anomaly, basis, conn_state, flag_name, outcome, role, state,
};

use crate::anomaly::{AnomalyKind, Severity};
use crate::consumer::Outcome;
use crate::state::{Basis, TcpState};
use crate::vocab::{Direction, Role};
use crate::wireshark::Flag;
use crate::zeek::ConnState;
use std::net::IpAddr;

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
impl ConnectionRow {
    /// Calls `f(role, state, from, to)` for every stay of an endpoint in one
    /// state (see [`crate::consumer::stays`]).
    pub fn for_each_stay(&self, f: impl FnMut(Role, TcpState, i64, Option<i64>)) {
        crate::consumer::stays(
            self.initial_state,
            self.start_ns,
            self.lifecycle.iter().map(|t| (t.endpoint, t.to, t.ts_ns)),
            f,
        );
    }
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
