//! JSON and JSON Lines rendering (schema in `schema.json` beside this file).
//!
//! Every object carries `"type"`: `"connection"`, `"segment"` or
//! `"capture"` (the per-file totals), so a JSON Lines stream can be filtered
//! with `jq 'select(.type == "connection")'`. In `json` format the same
//! objects are grouped in one document:
//! `{"schema": 2, "captures": [{"file", "connections"|"segments", "totals"}]}`.

use super::{SCHEMA_VERSION, seconds, timestamp};
use crate::anomaly::Anomaly;
use crate::consumer::Transition;
use crate::decode::Tunnel;
use crate::engine::{
    ConnectionRecord, ConnectionSummary, IcmpError, SKIP_KINDS, SegmentRecord, Totals, TunnelUse,
    skip_name,
};
use crate::vocab::Role;
use crate::wireshark::Verdicts;
use crate::zeek::ZeekRecord;
use std::net::IpAddr;

/// Appends `s` as a JSON string.
pub fn string(out: &mut Vec<u8>, s: &str) {
    // What JSON escapes (RFC 8259 7; serde_json escapes exactly these):
    // quote, backslash, control characters. Most strings have none (every
    // transition's rule is one), and are copied as they are.
    if needs_no_escape(s.as_bytes()) {
        static_str(out, s);
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    }
}

/// Whether no byte of `b` is a quote, a backslash or below 0x20: eight
/// bytes at a time (a transition's rule, on every timeline row that has
/// one, is a sentence).
fn needs_no_escape(b: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether some byte of `x` is below `n` (`n` <= 0x80): its high bit is
    // set by the subtraction where it was clear before. Exact as a "some".
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH != 0;
    let mut words = b.chunks_exact(8);
    for w in words.by_ref() {
        let x = u64::from_ne_bytes(w.try_into().expect("eight bytes"));
        if below(x, 0x20) || below(x ^ (ONES * 0x22), 1) || below(x ^ (ONES * 0x5c), 1) {
            return false;
        }
    }
    words
        .remainder()
        .iter()
        .all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

fn uint(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn int(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

fn opt_int(out: &mut Vec<u8>, n: Option<i64>) {
    match n {
        Some(n) => int(out, n),
        None => out.extend_from_slice(b"null"),
    }
}

/// Seconds since the epoch as a string with nine decimals: exact for jq,
/// whose numbers are doubles (a 19-digit `ts_ns` loses its last digits).
fn epoch(out: &mut Vec<u8>, ns: i64) {
    out.push(b'"');
    seconds(ns, out);
    out.push(b'"');
}

fn static_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

fn endpoint(out: &mut Vec<u8>, ip: IpAddr, port: u16) {
    out.extend_from_slice(b"{\"ip\":\"");
    match ip {
        IpAddr::V4(a) => out.extend_from_slice(super::ipv4(a, &mut [0; 15]).as_bytes()),
        IpAddr::V6(a) => {
            let _ = std::io::Write::write_fmt(out, format_args!("{a}"));
        }
    }
    out.extend_from_slice(b"\",\"port\":");
    uint(out, u64::from(port));
    out.push(b'}');
}

fn pair(out: &mut Vec<u8>, a: &str, b: &str, x: &str, y: &str) {
    out.push(b'{');
    key(out, a);
    static_str(out, x);
    out.push(b',');
    key(out, b);
    static_str(out, y);
    out.push(b'}');
}

fn opt_role(out: &mut Vec<u8>, r: Option<Role>) {
    match r {
        Some(r) => static_str(out, r.name()),
        None => out.extend_from_slice(b"null"),
    }
}

/// `,"PREFIXconn_state":..,"PREFIXhistory":..,"PREFIXmissed_bytes":..` of
/// one Zeek connection.
fn zeek_verdict(out: &mut Vec<u8>, z: &ZeekRecord, prefix: &str) {
    for (key, i) in [("conn_state", 0), ("history", 1), ("missed_bytes", 2)] {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        match i {
            0 => static_str(out, z.conn_state.name()),
            1 => string(out, &z.history),
            _ => uint(out, z.missed_bytes),
        }
    }
}

/// `,"KEY":{"server":"LISTEN"}`: the endpoints whose state is uncertain,
/// each with the alternative (see `Connection::uncertain`); nothing when
/// both states are certain.
fn uncertain(out: &mut Vec<u8>, key: &[u8], alt: &[Option<crate::state::TcpState>; 2]) {
    if alt.iter().all(Option::is_none) {
        return;
    }
    out.extend_from_slice(b",\"");
    out.extend_from_slice(key);
    out.extend_from_slice(b"\":{");
    let mut first = true;
    for (who, a) in ["client", "server"].iter().zip(alt) {
        if let Some(a) = a {
            if !first {
                out.push(b',');
            }
            first = false;
            static_str(out, who);
            out.push(b':');
            static_str(out, a.name());
        }
    }
    out.push(b'}');
}

fn anomaly(out: &mut Vec<u8>, a: &Anomaly) {
    out.extend_from_slice(b"{\"id\":");
    static_str(out, a.kind.id());
    out.extend_from_slice(b",\"severity\":");
    static_str(out, a.kind.severity().name());
    out.extend_from_slice(b",\"frame\":");
    uint(out, a.frame);
    out.extend_from_slice(b",\"endpoint\":");
    opt_role(out, a.endpoint);
    out.extend_from_slice(b",\"description\":");
    string(out, &a.describe());
    out.push(b'}');
}

fn transition(out: &mut Vec<u8>, t: &Transition, with_rule: bool) {
    out.extend_from_slice(b"{\"frame\":");
    uint(out, t.frame);
    out.extend_from_slice(b",\"ts_ns\":");
    int(out, t.ts);
    out.extend_from_slice(b",\"endpoint\":");
    static_str(out, t.endpoint.name());
    out.extend_from_slice(b",\"from\":");
    static_str(out, t.from.name());
    out.extend_from_slice(b",\"to\":");
    static_str(out, t.to.name());
    out.extend_from_slice(b",\"basis\":");
    static_str(out, t.basis.name());
    if with_rule {
        out.extend_from_slice(b",\"rule\":");
        string(out, t.rule);
    }
    out.push(b'}');
}

/// A connection object (no trailing newline).
pub fn connection(out: &mut Vec<u8>, file_json: Option<&[u8]>, r: &ConnectionRecord) {
    let c: &ConnectionSummary = r;
    let [cl, sv] = &c.ends;
    out.extend_from_slice(b"{\"type\":\"connection\"");
    if let Some(f) = file_json {
        out.extend_from_slice(b",\"file\":");
        out.extend_from_slice(f);
    }
    out.extend_from_slice(b",\"stream\":");
    uint(out, r.stream);
    out.extend_from_slice(b",\"client\":");
    endpoint(out, cl.addr, cl.port);
    out.extend_from_slice(b",\"server\":");
    endpoint(out, sv.addr, sv.port);
    out.extend_from_slice(b",\"roles_guessed\":");
    out.extend_from_slice(if c.roles_guessed { b"true" } else { b"false" });
    out.extend_from_slice(b",\"mid_stream\":");
    out.extend_from_slice(if c.mid_stream { b"true" } else { b"false" });
    out.extend_from_slice(b",\"first_frame\":");
    uint(out, c.first_frame);
    out.extend_from_slice(b",\"last_frame\":");
    uint(out, c.last_frame);
    out.extend_from_slice(b",\"start\":");
    static_str(out, &timestamp(c.first_ts));
    out.extend_from_slice(b",\"start_ns\":");
    int(out, c.first_ts);
    out.extend_from_slice(b",\"start_epoch\":");
    epoch(out, c.first_ts);
    let duration = c.last_ts.saturating_sub(c.first_ts);
    out.extend_from_slice(b",\"duration\":");
    seconds(duration, out);
    out.extend_from_slice(b",\"duration_ns\":");
    int(out, duration);
    out.extend_from_slice(b",\"packets\":{\"c2s\":");
    uint(out, c.packets[0]);
    out.extend_from_slice(b",\"s2c\":");
    uint(out, c.packets[1]);
    out.extend_from_slice(b"},\"bytes\":{\"c2s\":");
    uint(out, c.payload_bytes[0]);
    out.extend_from_slice(b",\"s2c\":");
    uint(out, c.payload_bytes[1]);
    out.extend_from_slice(b"},\"initial_state\":");
    pair(
        out,
        "client",
        "server",
        cl.initial_state.name(),
        sv.initial_state.name(),
    );
    out.extend_from_slice(b",\"final_state\":");
    pair(out, "client", "server", cl.state.name(), sv.state.name());
    uncertain(out, b"final_state_uncertain", &c.uncertain());
    out.extend_from_slice(b",\"active_closer\":");
    opt_role(out, c.active_closer);
    out.extend_from_slice(b",\"outcome\":");
    static_str(out, c.outcome.name());
    // Zeek's verdict on the Zeek connection this one begins with.
    match c.zeek.first() {
        Some(z) => zeek_verdict(out, z, "zeek_"),
        None => out.extend_from_slice(
            b",\"zeek_conn_state\":null,\"zeek_history\":null,\"zeek_missed_bytes\":null",
        ),
    }
    // Every Zeek connection this one makes, in order (the keys above are
    // the first's): Zeek's timers can split a connection.
    out.extend_from_slice(b",\"zeek_pieces\":[");
    for (i, z) in c.zeek.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"first_frame\":");
        uint(out, z.first_frame);
        zeek_verdict(out, z, "");
        out.extend_from_slice(b",\"last_frame\":");
        uint(out, z.last_frame);
        out.push(b'}');
    }
    out.push(b']');
    out.extend_from_slice(b",\"anomalies\":[");
    for (i, a) in c.anomalies.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        anomaly(out, a);
    }
    out.extend_from_slice(b"],\"anomalies_dropped\":");
    uint(out, c.anomalies_dropped);
    out.extend_from_slice(b",\"lifecycle\":[");
    for (i, t) in c.lifecycle.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        transition(out, t, false);
    }
    out.extend_from_slice(b"],\"analysis_counts\":{");
    for (i, (f, n)) in c.analysis_counts.nonzero().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        key(out, f.name());
        uint(out, n);
    }
    out.extend_from_slice(b"},\"tunnels\":");
    array(out, &r.tunnels, tunnel_use);
    out.extend_from_slice(b",\"icmp_errors\":");
    array(out, &r.icmp, |out, e| icmp_error(out, e, true));
    out.extend_from_slice(b",\"revisions\":");
    uint(out, u64::from(c.revisions));
    out.extend_from_slice(b",\"initial_rtt_ns\":");
    opt_int(out, c.initial_rtt_ns);
    out.push(b'}');
}

/// A JSON array of `items`, each written by `item`.
fn array<T>(out: &mut Vec<u8>, items: &[T], item: impl Fn(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, x);
    }
    out.push(b']');
}

/// A tunnel: its kinds from the outermost in, the innermost one's outer
/// addresses and identifier.
fn tunnel(out: &mut Vec<u8>, t: &Tunnel) {
    out.extend_from_slice(b"{\"path\":[");
    for (i, k) in t.path().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        static_str(out, k.name());
    }
    out.extend_from_slice(b"],\"depth\":");
    uint(out, u64::from(t.depth));
    out.extend_from_slice(b",\"src\":\"");
    let _ = std::io::Write::write_fmt(out, format_args!("{}", t.src));
    out.extend_from_slice(b"\",\"dst\":\"");
    let _ = std::io::Write::write_fmt(out, format_args!("{}", t.dst));
    out.extend_from_slice(b"\",\"id\":");
    match t.id {
        Some(id) => uint(out, u64::from(id)),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

fn tunnel_use(out: &mut Vec<u8>, u: &TunnelUse) {
    tunnel(out, &u.tunnel);
    out.pop();
    out.extend_from_slice(b",\"packets\":");
    uint(out, u.packets);
    out.push(b'}');
}

/// An ICMP error's fields (`with_frame`: also its frame and the quoted
/// segment's flags and sequence number, as listed in a connection).
fn icmp_error(out: &mut Vec<u8>, e: &IcmpError, with_frame: bool) {
    out.push(b'{');
    if with_frame {
        out.extend_from_slice(b"\"frame\":");
        uint(out, e.frame);
        out.push(b',');
    }
    out.extend_from_slice(b"\"version\":");
    out.extend_from_slice(if e.v6 { b"6" } else { b"4" });
    out.extend_from_slice(b",\"type\":");
    uint(out, u64::from(e.icmp_type));
    out.extend_from_slice(b",\"code\":");
    uint(out, u64::from(e.code));
    out.extend_from_slice(b",\"description\":");
    string(out, &e.describe());
    out.extend_from_slice(b",\"from\":\"");
    let _ = std::io::Write::write_fmt(out, format_args!("{}", e.from));
    out.extend_from_slice(b"\",\"about\":");
    static_str(out, e.about.name());
    if with_frame {
        out.extend_from_slice(b",\"quoted\":");
        quoted(out, e);
    }
    out.push(b'}');
}

fn quoted(out: &mut Vec<u8>, e: &IcmpError) {
    out.extend_from_slice(b"{\"flags\":");
    flag_list(out, e.flags);
    out.extend_from_slice(b",\"seq\":");
    uint(out, u64::from(e.rel_seq));
    out.push(b'}');
}

fn flag_list(out: &mut Vec<u8>, flags: crate::decode::TcpFlags) {
    // Every combination of the nine named flags, rendered once: on every
    // timeline row.
    static ARRAYS: std::sync::LazyLock<Vec<Vec<u8>>> = std::sync::LazyLock::new(|| {
        (0..1u16 << crate::decode::TcpFlags::NAMES.len())
            .map(|bits| {
                let mut a = Vec::new();
                flag_list_of(&mut a, crate::decode::TcpFlags(bits));
                a
            })
            .collect()
    });
    let named = (1u16 << crate::decode::TcpFlags::NAMES.len()) - 1;
    out.extend_from_slice(&ARRAYS[usize::from(flags.bits() & named)]);
}

/// The JSON array of the names of the flags set in `flags`, in header order.
fn flag_list_of(out: &mut Vec<u8>, flags: crate::decode::TcpFlags) {
    out.push(b'[');
    let mut first = true;
    for (bit, name) in crate::decode::TcpFlags::NAMES {
        if flags.contains(bit) {
            if !first {
                out.push(b',');
            }
            first = false;
            static_str(out, name);
        }
    }
    out.push(b']');
}

/// A segment object (no trailing newline), or for a row of an ICMP error
/// quoting a segment, an `icmp` object. `first_ts` is the capture's first
/// timestamp (for `time`, relative seconds like Wireshark's
/// frame.time_relative).
pub fn segment(out: &mut Vec<u8>, file_json: Option<&[u8]>, r: &SegmentRecord, first_ts: i64) {
    let o = &r.outcome;
    out.extend_from_slice(match (&r.icmp, r.event) {
        (Some(_), _) => b"{\"type\":\"icmp\"",
        (None, true) => b"{\"type\":\"event\"",
        (None, false) => b"{\"type\":\"segment\"",
    });
    if let Some(f) = file_json {
        out.extend_from_slice(b",\"file\":");
        out.extend_from_slice(f);
    }
    out.extend_from_slice(b",\"frame\":");
    uint(out, r.frame);
    out.extend_from_slice(b",\"stream\":");
    uint(out, r.stream);
    out.extend_from_slice(b",\"time\":");
    seconds(r.ts_ns - first_ts, out);
    ts_ns_and_epoch(out, r.ts_ns);
    if let Some(e) = &r.icmp {
        out.extend_from_slice(b",\"icmp\":");
        icmp_error(out, e, false);
        out.extend_from_slice(b",\"quoted\":");
        quoted(out, e);
    } else if r.event {
        // Not a segment: nothing of one to show.
    } else {
        out.extend_from_slice(b",\"direction\":");
        static_str(out, o.direction.name());
        out.extend_from_slice(b",\"flags\":");
        flag_list(out, r.flags);
        out.extend_from_slice(b",\"seq\":");
        uint(out, u64::from(o.rel_seq));
        out.extend_from_slice(b",\"ack\":");
        uint(out, u64::from(o.rel_ack));
        out.extend_from_slice(b",\"len\":");
        uint(out, u64::from(r.payload_len));
    }
    state_pair(out, o.state);
    uncertain(out, b"state_uncertain", &o.uncertain);
    out.extend_from_slice(b",\"transitions\":[");
    for (i, t) in o.transitions.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        transition(out, t, true);
    }
    out.push(b']');
    if r.event {
        out.push(b'}');
        return;
    }
    if r.icmp.is_none() {
        out.extend_from_slice(b",\"verdict\":");
        static_str(out, o.verdict.name());
    }
    out.extend_from_slice(b",\"anomalies\":[");
    for (i, a) in o.anomalies.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        anomaly(out, a);
    }
    out.extend_from_slice(b"],\"analysis\":");
    analysis(out, &r.analysis);
    if r.short_header {
        out.extend_from_slice(b",\"short_header\":true");
    }
    if let Some(t) = &r.tunnel {
        out.extend_from_slice(b",\"tunnel\":");
        tunnel(out, t);
    }
    out.push(b'}');
}

/// `,"ts_ns":N,"time_epoch":"S.NNNNNNNNN"`: the epoch string is the
/// integer's digits with a point before the last nine, so they are made
/// once (every timeline row has both).
fn ts_ns_and_epoch(out: &mut Vec<u8>, ns: i64) {
    out.extend_from_slice(b",\"ts_ns\":");
    let at = out.len();
    int(out, ns);
    let digits = at..out.len();
    out.extend_from_slice(b",\"time_epoch\":");
    match digits.len().checked_sub(9) {
        // At least a second after the epoch: no sign, no zeros to add.
        Some(point) if point > 0 && ns > 0 => {
            out.push(b'"');
            out.extend_from_within(digits.start..digits.start + point);
            out.push(b'.');
            out.extend_from_within(digits.start + point..digits.end);
            out.push(b'"');
        }
        _ => epoch(out, ns),
    }
}

/// `,"state":{"client":"..","server":".."}`, each of the 121 made once:
/// on every timeline row.
fn state_pair(out: &mut Vec<u8>, state: [crate::state::TcpState; 2]) {
    use crate::state::TcpState;
    static PAIRS: std::sync::LazyLock<Vec<Vec<u8>>> = std::sync::LazyLock::new(|| {
        let mut all = Vec::new();
        for c in TcpState::ALL {
            for s in TcpState::ALL {
                let mut v = b",\"state\":".to_vec();
                pair(&mut v, "client", "server", c.name(), s.name());
                all.push(v);
            }
        }
        all
    });
    // ALL is in declaration order: a state's discriminant is its place.
    out.extend_from_slice(&PAIRS[state[0] as usize * TcpState::ALL.len() + state[1] as usize]);
}

/// Wireshark's `tcp.analysis` of a segment: the verdicts, then the values
/// Wireshark shows with them, each key only when it has one.
fn analysis(out: &mut Vec<u8>, v: &Verdicts) {
    out.extend_from_slice(b"{\"flags\":[");
    for (i, f) in v.flags.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        static_str(out, f.name());
    }
    out.push(b']');
    if let Some(d) = v.duplicate_ack {
        out.extend_from_slice(b",\"duplicate_ack\":{\"number\":");
        uint(out, u64::from(d.number));
        out.extend_from_slice(b",\"frame\":");
        match d.frame {
            Some(f) => uint(out, f),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    if let Some(f) = v.acks_frame {
        out.extend_from_slice(b",\"acks_frame\":");
        uint(out, f);
    }
    if let Some(ns) = v.ack_rtt_ns {
        out.extend_from_slice(b",\"ack_rtt\":");
        seconds(ns, out);
    }
    if let Some(ns) = v.initial_rtt_ns {
        out.extend_from_slice(b",\"initial_rtt\":");
        seconds(ns, out);
    }
    out.push(b'}');
}

/// The per-capture totals object; `selection` is the `--where` expression
/// the rows were selected with, if any.
pub fn capture(out: &mut Vec<u8>, file_json: &[u8], t: &Totals, selection: Option<&str>) {
    out.extend_from_slice(b"{\"type\":\"capture\",\"schema\":");
    uint(out, u64::from(SCHEMA_VERSION));
    out.extend_from_slice(b",\"file\":");
    out.extend_from_slice(file_json);
    out.extend_from_slice(b",\"frames\":");
    uint(out, t.frames);
    out.extend_from_slice(b",\"tcp_segments\":");
    uint(out, t.tcp_segments);
    out.extend_from_slice(b",\"connections\":");
    uint(out, t.connections);
    out.extend_from_slice(b",\"icmp_quotes\":");
    uint(out, t.icmp_quotes);
    out.extend_from_slice(b",\"short_headers\":");
    uint(out, t.short_headers);
    out.extend_from_slice(b",\"reassembly\":{\"datagrams\":");
    uint(out, t.reassembly.datagrams);
    out.extend_from_slice(b",\"fragments\":");
    uint(out, t.reassembly.fragments);
    out.extend_from_slice(b",\"incomplete_datagrams\":");
    uint(out, t.reassembly.incomplete_datagrams);
    out.extend_from_slice(b",\"unused_fragments\":");
    uint(out, t.reassembly.unused_fragments);
    out.push(b'}');
    out.extend_from_slice(b",\"skipped\":{");
    for (i, k) in SKIP_KINDS.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        key(out, skip_name(*k));
        uint(out, t.skipped[i]);
    }
    out.extend_from_slice(b"},\"unsupported_link_types\":[");
    for (i, u) in t.unsupported.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"interface\":");
        uint(out, u64::from(u.interface));
        out.extend_from_slice(b",\"link_type\":");
        uint(out, u64::from(u.link_type.0));
        out.extend_from_slice(b",\"packets\":");
        uint(out, u.packets);
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"timestamps\":{\"out_of_range\":");
    uint(out, t.timestamps.out_of_range);
    out.extend_from_slice(b",\"ignored\":");
    uint(out, t.timestamps.ignored);
    out.extend_from_slice(b"},\"first_ts_ns\":");
    opt_int(out, t.first_ts);
    out.extend_from_slice(b",\"last_ts_ns\":");
    opt_int(out, t.last_ts);
    if let Some(s) = selection {
        out.extend_from_slice(b",\"selection\":");
        string(out, s);
    }
    out.extend_from_slice(b",\"error\":");
    match &t.error {
        None => out.extend_from_slice(b"null"),
        Some(e) => {
            out.extend_from_slice(b"{\"frame\":");
            match e.frame {
                Some(f) => uint(out, f),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"offset\":");
            uint(out, e.offset);
            out.extend_from_slice(b",\"message\":");
            string(out, &e.to_string());
            out.push(b'}');
        }
    }
    out.push(b'}');
}

#[cfg(test)]
mod tests {
    /// The copy-as-is path of `string` writes what serde_json writes, for
    /// strings that need escaping and strings that do not.
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        for s in [
            "RFC 9293 3.10.7.4: FIN received in TIME-WAIT",
            "",
            "quote \" here",
            "back\\slash",
            "tab\there, newline\n, nul\0, unit separator\u{1f}",
            "DEL \u{7f}, é, \u{2028}, 🦀",
        ] {
            let mut out = Vec::new();
            super::string(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
    }

    /// The eight-bytes-at-a-time test finds every byte JSON escapes at
    /// every position of a word, and passes every other byte: each byte
    /// value at each position of a 17-byte string (two words and a rest),
    /// against serde_json's own escaping.
    #[test]
    fn every_byte_that_needs_escaping_is_found_at_every_position() {
        for b in 0..=0x7fu8 {
            for at in 0..17 {
                let mut bytes = vec![b'a'; 17];
                bytes[at] = b;
                let s = std::str::from_utf8(&bytes).expect("ASCII");
                let plain = serde_json::to_vec(s).unwrap()[1..].len() == s.len() + 1;
                assert_eq!(super::needs_no_escape(&bytes), plain, "byte {b:#x} at {at}");
            }
        }
        // Bytes of multi-byte UTF-8 characters (0x80 and over) need none.
        assert!(super::needs_no_escape("é🦀\u{2028}ÿÿÿÿÿÿ".as_bytes()));
    }

    /// The table of flag arrays gives, for every value of the flags field
    /// (the bits above the nine named ones included), the names of the
    /// flags set, in header order.
    #[test]
    fn flag_arrays_name_the_flags_set() {
        use crate::decode::TcpFlags;
        for bits in 0..=u16::MAX {
            let mut out = Vec::new();
            super::flag_list(&mut out, TcpFlags(bits));
            let names: Vec<String> = serde_json::from_slice(&out).expect("a JSON array");
            let expected: Vec<&str> =
                ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"]
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, n)| *n)
                    .collect();
            assert_eq!(names, expected, "{bits:#x}");
        }
    }

    /// Every pair of states, from its table, is the object serde_json
    /// writes for the two names.
    #[test]
    fn state_pairs_from_the_table_are_the_states_named() {
        use crate::state::TcpState;
        for c in TcpState::ALL {
            for s in TcpState::ALL {
                let mut v = Vec::new();
                super::state_pair(&mut v, [c, s]);
                let expected = serde_json::json!({"client": c.name(), "server": s.name()});
                assert_eq!(
                    std::str::from_utf8(&v).unwrap(),
                    format!(",\"state\":{expected}"),
                    "{c:?} {s:?}"
                );
            }
        }
    }

    /// The epoch string made from ts_ns's digits is the one made by
    /// dividing: around every power of ten, a second, zero and negatives.
    #[test]
    fn epoch_from_the_digits_is_the_epoch_divided() {
        let mut times = vec![0i64, 1, -1, i64::MAX, i64::MIN, 1_705_309_200_001_207_000];
        for p in 0..19 {
            let t = 10i64.pow(p);
            times.extend([t - 1, t, t + 1, -t, -t + 1, -t - 1]);
        }
        for ns in times {
            let mut v = Vec::new();
            super::ts_ns_and_epoch(&mut v, ns);
            let mut epoch = Vec::new();
            crate::output::seconds(ns, &mut epoch);
            let expected = format!(
                ",\"ts_ns\":{ns},\"time_epoch\":\"{}\"",
                std::str::from_utf8(&epoch).unwrap()
            );
            assert_eq!(std::str::from_utf8(&v).unwrap(), expected, "{ns}");
        }
    }
}
