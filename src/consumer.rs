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

use crate::analyzers::Analyzers;
use crate::decode::{self, TcpFlags, Tunnel};
use crate::replay::{Connection, SegmentOutcome};
use crate::wireshark::Verdicts;
use std::io;

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

/// A connection whose replay is finished.
#[derive(Clone, Debug)]
pub struct ConnectionRecord {
    /// Wireshark's `tcp.stream`.
    pub stream: u64,
    /// The replayed connection and the analyzers' view of it; its fields
    /// read through the record (`record.conn`, `record.analyzers`).
    pub t: Box<Tracked>,
    /// The tunnels its segments rode in, in the order first seen (empty
    /// when none was tunnelled; segments not counted here came directly).
    pub tunnels: Vec<TunnelUse>,
    /// The ICMP errors that quoted its segments, in frame order.
    pub icmp: Vec<IcmpError>,
}

/// A connection as the tracker keeps it: the replay and, beside it, the
/// other tools' analyzers, in one allocation.
#[derive(Clone, Debug)]
pub struct Tracked {
    /// The replayed connection.
    pub conn: Connection,
    /// Wireshark's and Zeek's analyses of it.
    pub analyzers: Analyzers,
}

impl std::ops::Deref for ConnectionRecord {
    type Target = Tracked;
    /// The record reads as its connection: `record.conn`,
    /// `record.analyzers`.
    fn deref(&self) -> &Tracked {
        &self.t
    }
}

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
