//! What the pipeline hands out: a [`SegmentRecord`] per timeline row and a
//! [`ConnectionRecord`] per finished connection, delivered batch by batch
//! to a [`Consumer`] on the caller's thread (see [`crate::engine::analyze`]).
//!
//! This is where the library meets its users: the outputs
//! ([`crate::output`], [`crate::aggregate`], [`crate::netstat`], ...) are
//! consumers, and the [`Collector`] is the consumer to use when the whole
//! result fits in memory (small captures, tests). The records are built by
//! the [`crate::tracker`]; the engine only moves them to the consumer in
//! order.
//!
//! The records are the contract, not the replay: a connection's record
//! reads as its [`ConnectionSummary`], computed once when the connection
//! finished (its [`EndpointSummary`]s, lifecycle, outcome, anomalies,
//! Wireshark's counts and Zeek's [`ZeekRecord`]s), and the replay's
//! `Connection` and the analyzers' state are not reachable from it. The
//! replay's record types that the records carry are re-exported here.

use crate::analyzers::Analyzers;
use crate::anomaly::Anomaly;
use crate::decode::{self, TcpFlags, Tunnel};
use crate::replay::{Connection, Timer};
use crate::state::{Origin, TcpState};
use crate::vocab::Role;
use crate::wireshark::{Counts, Verdicts};
use crate::zeek::ZeekRecord;
use std::io;
use std::net::IpAddr;

/// The replay's record types, part of what a consumer is given: a segment's
/// [`SegmentOutcome`] (with its [`Transition`]s and receiver's
/// [`Verdict`]), a connection's [`Outcome`], the per-connection anomaly
/// limit, and [`stays`] over a lifecycle. Outputs name them from here.
pub use crate::replay::{
    MAX_CONNECTION_ANOMALIES, Outcome, SegmentOutcome, Transition, Verdict, stays,
};

/// One timeline row: a segment and what it did.
#[derive(Clone, Debug)]
pub struct SegmentRecord {
    /// Wireshark's `frame.number`.
    pub frame: u64,
    /// Timestamp, nanoseconds since the epoch.
    pub ts_ns: i64,
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The segment's control bits.
    pub flags: TcpFlags,
    /// Payload length (from the IP length).
    pub payload_len: u32,
    /// What the segment did: states after it, transitions, verdicts.
    pub outcome: SegmentOutcome,
    /// Wireshark's `tcp.analysis` verdicts for the segment (see
    /// [`crate::analyzers`]; none on event rows).
    pub analysis: Verdicts,
    /// The tunnels the segment rode in.
    pub tunnel: Option<Tunnel>,
    /// The capture cut the segment's header inside its options (it was
    /// analysed with the options before the cut).
    pub short_header: bool,
    /// Set when the row is not a segment but an ICMP error quoting one
    /// (`flags`, `outcome.rel_seq` and `rel_ack` are the quoted segment's;
    /// nothing was replayed).
    pub icmp: Option<IcmpError>,
    /// Set when the row is not a segment but transitions that happened
    /// between segments: a timer that expired (TIME_WAIT's 2×MSL, a SYN
    /// given up after R2) or an incarnation ended by a new SYN on its
    /// 4-tuple, at the frame whose timestamp or arrival showed it. Its
    /// `flags`, `payload_len`, `rel_seq`, `rel_ack` and `direction` mean
    /// nothing. At one frame, such rows come before the segment's row, in
    /// stream order.
    pub event: bool,
}

/// An ICMP error about a connection: which error, from whom, about which
/// of its segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpError {
    /// The frame of the error.
    pub frame: u64,
    /// Its timestamp.
    pub ts_ns: i64,
    /// ICMPv6 (else ICMP).
    pub v6: bool,
    /// The ICMP (or ICMPv6) type.
    pub icmp_type: u8,
    /// Its code.
    pub code: u8,
    /// The sender of the error.
    pub from: std::net::IpAddr,
    /// Who sent the quoted segment.
    pub about: crate::replay::Role,
    /// The quoted segment's flags.
    pub flags: TcpFlags,
    /// The quoted segment's sequence number, relative.
    pub rel_seq: u32,
}

impl IcmpError {
    /// "destination unreachable (port unreachable)" and the like.
    pub fn describe(&self) -> String {
        decode::icmp::describe(self.v6, self.icmp_type, self.code)
    }
}

/// A tunnel a connection's segments rode in, and how many did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TunnelUse {
    /// The tunnel.
    pub tunnel: Tunnel,
    /// Segments that rode in it.
    pub packets: u64,
}

/// A connection whose replay is finished: its stream and its summary (the
/// record reads as its [`ConnectionSummary`]: `record.first_frame`,
/// `record.anomalies`).
#[derive(Clone, Debug)]
pub struct ConnectionRecord {
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// What the replay, the analyzers and the tracker concluded (boxed:
    /// records move in batches).
    pub summary: Box<ConnectionSummary>,
}

impl std::ops::Deref for ConnectionRecord {
    type Target = ConnectionSummary;
    /// The record reads as its summary.
    fn deref(&self) -> &ConnectionSummary {
        &self.summary
    }
}

/// One endpoint of a finished connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointSummary {
    /// Its address.
    pub addr: IpAddr,
    /// Its port.
    pub port: u16,
    /// The state the capture first saw it in.
    pub initial_state: TcpState,
    /// The state it ended in.
    pub state: TcpState,
    /// Set when the final state is uncertain: it rests on a receipt the
    /// replay assumed, and this is the state it would be in had that
    /// receipt not happened (see the README's "Uncertain states").
    pub uncertain: Option<TcpState>,
    /// Whether it opened actively or passively (what its timeouts lead to).
    pub origin: Origin,
    /// Its initial sequence number, from its SYN (none when no SYN of its
    /// was seen).
    pub isn: Option<u32>,
    /// When its TIME-WAIT timer expires, if it ended in TIME-WAIT with the
    /// timer running.
    pub time_wait_deadline: Option<i64>,
}

/// What the replay and the analyzers concluded about one connection,
/// computed once when it finished: everything the outputs print of it.
#[derive(Clone, Debug)]
pub struct ConnectionSummary {
    /// Client and server (index: [`Role::index`]).
    pub ends: [EndpointSummary; 2],
    /// Roles decided from the ports (no handshake said who opened).
    pub roles_guessed: bool,
    /// Joined mid-stream (its first segment was not a SYN).
    pub mid_stream: bool,
    /// Its first frame.
    pub first_frame: u64,
    /// Its last frame.
    pub last_frame: u64,
    /// Its first timestamp, ns since the epoch.
    pub first_ts: i64,
    /// Its last timestamp (never before `first_ts`).
    pub last_ts: i64,
    /// Segments client to server, server to client.
    pub packets: [u64; 2],
    /// Payload bytes client to server, server to client.
    pub payload_bytes: [u64; 2],
    /// Who sent the first FIN.
    pub active_closer: Option<Role>,
    /// Who sent the RST that was accepted, if one was.
    pub reset_by: Option<Role>,
    /// How it ended.
    pub outcome: Outcome,
    /// Its anomalies, in frame order (at most [`MAX_CONNECTION_ANOMALIES`]).
    pub anomalies: Vec<Anomaly>,
    /// Anomalies beyond the limit.
    pub anomalies_dropped: u64,
    /// Every state change of either endpoint, in order.
    pub lifecycle: Vec<Transition>,
    /// Receipts assumed and later withdrawn.
    pub revisions: u32,
    /// Zeek's connections for this one, in order (Zeek's timers can split
    /// a connection).
    pub zeek: Vec<ZeekRecord>,
    /// Wireshark's `tcp.analysis` verdict counts.
    pub analysis_counts: Counts,
    /// Wireshark's `tcp.analysis.initial_rtt`, ns.
    pub initial_rtt_ns: Option<i64>,
    /// The tunnels its segments rode in, in the order first seen (empty
    /// when none was tunnelled; segments not counted here came directly).
    pub tunnels: Vec<TunnelUse>,
    /// The ICMP errors that quoted its segments, in frame order.
    pub icmp: Vec<IcmpError>,
}

impl ConnectionSummary {
    /// The summary of a finished connection, with the tunnels and ICMP
    /// errors the tracker counted (its vectors move out, leaving them
    /// empty; taken in place: a `Tracked` is large).
    pub(crate) fn take(
        t: &mut Tracked,
        tunnels: Vec<TunnelUse>,
        icmp: Vec<IcmpError>,
    ) -> ConnectionSummary {
        let Tracked { conn, analyzers } = t;
        let unsure = conn.uncertain();
        let outcome = conn.outcome();
        let ends = [0, 1].map(|i| {
            let e = &conn.ep[i];
            EndpointSummary {
                addr: e.addr,
                port: e.port,
                initial_state: conn.initial_state[i],
                state: e.state,
                uncertain: unsure[i],
                origin: e.origin,
                isn: e.isn.map(|s| s.0),
                time_wait_deadline: match e.timer() {
                    Timer::TimeWait(d) => Some(d),
                    _ => None,
                },
            }
        });
        ConnectionSummary {
            ends,
            roles_guessed: conn.roles_guessed,
            mid_stream: conn.mid_stream,
            first_frame: conn.first_frame,
            last_frame: conn.last_frame,
            first_ts: conn.first_ts,
            last_ts: conn.last_ts,
            packets: conn.packets,
            payload_bytes: conn.payload_bytes,
            active_closer: conn.active_closer,
            reset_by: conn.reset_by,
            outcome,
            anomalies: std::mem::take(&mut conn.anomalies),
            anomalies_dropped: conn.anomalies_dropped,
            lifecycle: std::mem::take(&mut conn.lifecycle),
            revisions: conn.revisions,
            analysis_counts: *analyzers.wireshark.counts(),
            initial_rtt_ns: analyzers.wireshark.initial_rtt_ns(),
            zeek: analyzers.zeek.take_records(),
            tunnels,
            icmp,
        }
    }

    /// Client's and server's first state.
    pub fn initial_state(&self) -> [TcpState; 2] {
        self.ends.each_ref().map(|e| e.initial_state)
    }

    /// Client's and server's last state.
    pub fn state(&self) -> [TcpState; 2] {
        self.ends.each_ref().map(|e| e.state)
    }

    /// For each endpoint whose last state is uncertain, the alternative.
    pub fn uncertain(&self) -> [Option<TcpState>; 2] {
        self.ends.each_ref().map(|e| e.uncertain)
    }

    /// Calls `f(role, state, from, to)` for every stay of an endpoint in
    /// one state: from the first timestamp in its initial state, then from
    /// each transition. `to` is `None` for the last stay of an endpoint (it
    /// lasted to the end of what the capture shows).
    pub fn for_each_stay(&self, f: impl FnMut(Role, TcpState, i64, Option<i64>)) {
        stays(
            self.initial_state(),
            self.first_ts,
            self.lifecycle.iter().map(|t| (t.endpoint, t.to, t.ts)),
            f,
        );
    }
}

/// A connection as the tracker keeps it: the replay and, beside it, the
/// other tools' analyzers, in one allocation.
#[derive(Clone, Debug)]
pub(crate) struct Tracked {
    /// The replayed connection.
    pub(crate) conn: Connection,
    /// Wireshark's and Zeek's analyses of it.
    pub(crate) analyzers: Analyzers,
}

crate::frozen::frozen_struct!(Tracked { conn, analyzers });

/// Receives the results, on the caller's thread, batch by batch. Every
/// method has a default that ignores what it is given: implement the ones
/// you need, or use the [`Collector`].
pub trait Consumer {
    /// Called once, before any record, with the capture's first timestamp.
    fn capture_start(&mut self, first_ts: i64) {
        let _ = first_ts;
    }
    /// Segment rows of one batch, in frame order (only with
    /// [`Options::segments`](crate::engine::Options::segments)).
    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        let _ = records;
        Ok(())
    }
    /// Connections finished during one batch, in completion order.
    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        let _ = records;
        Ok(())
    }
}

/// A [`Consumer`] that keeps everything it is given: every segment row (with
/// [`Options::segments`](crate::engine::Options::segments)) and every connection. Its memory grows with the
/// capture: for small captures and tests; a long capture wants a consumer
/// that handles each batch and lets it go.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    /// The capture's first timestamp (`None` when it has no frame).
    pub first_ts: Option<i64>,
    /// Every segment row, in frame order.
    pub segments: Vec<SegmentRecord>,
    /// Every connection, in completion order (see [`Collector::by_stream`]).
    pub connections: Vec<ConnectionRecord>,
}

impl Collector {
    /// The connections in stream order.
    pub fn by_stream(&self) -> Vec<&ConnectionRecord> {
        let mut v: Vec<&ConnectionRecord> = self.connections.iter().collect();
        v.sort_by_key(|c| c.stream);
        v
    }
}

impl Consumer for Collector {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = Some(first_ts);
    }
    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        self.segments.extend_from_slice(records);
        Ok(())
    }
    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        self.connections.extend_from_slice(records);
        Ok(())
    }
}

/// A [`Consumer`] that hands everything to two others, the first then the
/// second: one analysis feeding, say, a renderer and `check`'s
/// [`Judge`](crate::check::Judge). An error of the first stops the second
/// from being given that call's records (the analysis stops on it anyway).
pub struct Tee<'a>(pub &'a mut dyn Consumer, pub &'a mut dyn Consumer);

impl Consumer for Tee<'_> {
    fn capture_start(&mut self, first_ts: i64) {
        self.0.capture_start(first_ts);
        self.1.capture_start(first_ts);
    }

    fn segments(&mut self, records: &[SegmentRecord]) -> io::Result<()> {
        self.0.segments(records)?;
        self.1.segments(records)
    }

    fn connections(&mut self, records: &[ConnectionRecord]) -> io::Result<()> {
        self.0.connections(records)?;
        self.1.connections(records)
    }
}
