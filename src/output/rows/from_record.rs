//! Rows from the records a consumer is given (a connection's summary, a
//! segment's record).

use super::{
    AnalysisRow, AnomalyRow, CaptureInfo, ConnectionRow, Endpoint, IcmpRow, SegmentRow,
    TransitionRow, TunnelRow, ZeekPiece,
};
use crate::engine::{ConnectionRecord, SegmentRecord, Totals};

fn transition_row(t: &crate::consumer::Transition) -> TransitionRow {
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
    crate::decode::TcpFlags::NAMES
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
        let c: &crate::engine::ConnectionSummary = r;
        let [cl, sv] = &c.ends;
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
            initial_state: c.initial_state(),
            final_state: [cl.state, sv.state],
            final_state_uncertain: c.uncertain(),
            active_closer: c.active_closer,
            outcome: c.outcome,
            zeek_pieces: c
                .zeek
                .iter()
                .map(|z| ZeekPiece {
                    first_frame: z.first_frame,
                    conn_state: z.conn_state,
                    history: z.history.clone(),
                    missed_bytes: z.missed_bytes,
                    last_frame: z.last_frame,
                })
                .collect(),
            anomalies: c.anomalies.iter().map(anomaly_row).collect(),
            anomalies_dropped: c.anomalies_dropped,
            lifecycle: c.lifecycle.iter().map(transition_row).collect(),
            analysis_counts: c.analysis_counts.nonzero().collect(),
            revisions: u64::from(c.revisions),
            tunnels: r
                .tunnels
                .iter()
                .map(|u| tunnel_row(&u.tunnel, u.packets))
                .collect(),
            icmp_errors: r.icmp.iter().map(icmp_row).collect(),
            initial_rtt_ns: c.initial_rtt_ns,
        }
    }
}

impl SegmentRow {
    /// The row of one segment (what the JSON segment object says).
    pub fn from_record(r: &SegmentRecord) -> SegmentRow {
        let o = &r.outcome;
        let v = &r.analysis;
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
}
