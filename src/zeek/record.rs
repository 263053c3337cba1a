//! What a consumer gets of Zeek's analysis: one [`ZeekRecord`] per Zeek
//! connection, the `conn.log` row's values, taken out of the bookkeeping
//! when the connection is finished.

use super::{ConnState, Zeek, ZeekConn};
use std::net::IpAddr;

/// One Zeek connection, as its `conn.log` row has it: the values, without
/// the analyzer's bookkeeping.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZeekRecord {
    /// The originator's address and port (`id.orig_h`, `id.orig_p`).
    pub orig: (IpAddr, u16),
    /// The responder's (`id.resp_h`, `id.resp_p`).
    pub resp: (IpAddr, u16),
    /// `ts`: the first packet's timestamp (ns).
    pub start_ns: i64,
    /// `duration` (ns): to the last packet before both sides had closed.
    pub duration_ns: i64,
    /// The frame of its first packet.
    pub first_frame: u64,
    /// The frame of its last packet.
    pub last_frame: u64,
    /// `conn_state`.
    pub conn_state: ConnState,
    /// `history` (empty when none).
    pub history: String,
    /// `missed_bytes`.
    pub missed_bytes: u64,
    /// `orig_bytes`: payload bytes by sequence space.
    pub orig_bytes: u64,
    /// `resp_bytes`.
    pub resp_bytes: u64,
    /// `orig_pkts`, `orig_ip_bytes`.
    pub orig_packets: (u64, u64),
    /// `resp_pkts`, `resp_ip_bytes`.
    pub resp_packets: (u64, u64),
}

impl ZeekConn {
    /// Its row's values (the history moves out).
    fn take_record(&mut self) -> ZeekRecord {
        ZeekRecord {
            orig: self.orig(),
            resp: self.resp(),
            start_ns: self.start_ns(),
            duration_ns: self.duration_ns(),
            first_frame: self.first_frame(),
            last_frame: self.last_frame(),
            conn_state: self.conn_state(),
            missed_bytes: self.missed_bytes(),
            orig_bytes: self.orig_bytes(),
            resp_bytes: self.resp_bytes(),
            orig_packets: self.orig_packets(),
            resp_packets: self.resp_packets(),
            history: std::mem::take(&mut self.history),
        }
    }
}

impl Zeek {
    /// Zeek's connections for this one, in order, as records (see
    /// [`Zeek::rows`]); their histories move out, leaving them empty.
    pub fn take_records(&mut self) -> Vec<ZeekRecord> {
        let mut v = Vec::with_capacity(self.done.len() + usize::from(self.cur.is_some()));
        v.extend(
            self.done
                .iter_mut()
                .chain(self.cur.as_mut())
                .map(ZeekConn::take_record),
        );
        v
    }
}
