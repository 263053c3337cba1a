//! Connections that have seen one segment, kept small.
//!
//! A SYN flood, a port scan or a capture of unanswered connection attempts
//! holds a great many connections that have seen a single segment, each
//! waiting minutes for R2 or the linger period. The replay and analyzers
//! of such a connection are a function of that one segment: the tracker
//! keeps the segment ([`Embryo`], about 80 bytes) instead of their state
//! (about 2 KB), and replays it again when anything more happens to the
//! connection (a second segment, a timer, the end of the capture). Its
//! output is the same either way; only memory differs.
//!
//! Only connections with nothing else to their name become embryos: made
//! by their segment alone (not split off an earlier connection on the same
//! 4-tuple, not tunnelled, not quoted by an ICMP error), with nothing
//! pending, and a segment that [`Embryo::of`] can keep exactly.

use crate::decode::{ChecksumStatus, TcpFlags, TcpOptions, TcpSegment};
use crate::flow::FlowKey;
use crate::vocab::Control;

/// One segment, with the frame it came in, minus its 4-tuple (the
/// connection's key) and anything a segment that opens a connection does
/// not carry (SACK blocks).
#[derive(Clone, Copy, Debug)]
pub(super) struct Embryo {
    pub(super) frame: u64,
    pub(super) ts: i64,
    pub(super) now: i64,
    seq: u32,
    ack: u32,
    payload_len: u32,
    captured_payload_len: u32,
    ip_len: u32,
    seq_len: u32,
    /// TSval, TSecr.
    timestamps: (u32, u32),
    flags: TcpFlags,
    window: u16,
    urgent_ptr: u16,
    mss: u16,
    header_len: u8,
    window_scale: u8,
    /// Which options were present: MSS, window scale, timestamps, SACK
    /// permitted; malformed, truncated; and whether the sender is the
    /// key's lower endpoint.
    bits: u8,
    checksum: ChecksumStatus,
    control: Control,
}

const MSS: u8 = 1;
const WSCALE: u8 = 2;
const TIMESTAMPS: u8 = 4;
const SACK_PERMITTED: u8 = 8;
const MALFORMED: u8 = 16;
const TRUNCATED: u8 = 32;
const FROM_LO: u8 = 64;

impl Embryo {
    /// `seg`, sent on `key`'s connection at `frame`, kept whole; `None` if it
    /// carries what an embryo does not keep.
    pub(super) fn of(
        seg: &TcpSegment,
        key: &FlowKey,
        frame: u64,
        ts: i64,
        now: i64,
    ) -> Option<Embryo> {
        let o = &seg.options;
        if o.sack_count != 0 || o.sack_blocks != [(0, 0); 4] {
            return None;
        }
        let flag = |on: bool, bit: u8| if on { bit } else { 0 };
        let e = Embryo {
            frame,
            ts,
            now,
            seq: seg.seq,
            ack: seg.ack,
            payload_len: seg.payload_len,
            captured_payload_len: seg.captured_payload_len,
            ip_len: seg.ip_len,
            seq_len: seg.seq_len,
            timestamps: o.timestamps.unwrap_or((0, 0)),
            flags: seg.flags,
            window: seg.window,
            urgent_ptr: seg.urgent_ptr,
            mss: o.mss.unwrap_or(0),
            header_len: seg.header_len,
            window_scale: o.window_scale.unwrap_or(0),
            bits: flag(o.mss.is_some(), MSS)
                | flag(o.window_scale.is_some(), WSCALE)
                | flag(o.timestamps.is_some(), TIMESTAMPS)
                | flag(o.sack_permitted, SACK_PERMITTED)
                | flag(o.malformed, MALFORMED)
                | flag(o.truncated, TRUNCATED)
                | flag((seg.src, seg.src_port) == key.lo, FROM_LO),
            checksum: seg.checksum,
            control: seg.control,
        };
        debug_assert_eq!(e.segment(key), *seg);
        Some(e)
    }

    /// The segment again.
    pub(super) fn segment(&self, key: &FlowKey) -> TcpSegment {
        let has = |bit: u8| self.bits & bit != 0;
        let ((src, src_port), (dst, dst_port)) = match has(FROM_LO) {
            true => (key.lo, key.hi),
            false => (key.hi, key.lo),
        };
        TcpSegment {
            src,
            dst,
            src_port,
            dst_port,
            seq: self.seq,
            ack: self.ack,
            flags: self.flags,
            window: self.window,
            urgent_ptr: self.urgent_ptr,
            header_len: self.header_len,
            payload_len: self.payload_len,
            captured_payload_len: self.captured_payload_len,
            ip_len: self.ip_len,
            options: TcpOptions {
                mss: has(MSS).then_some(self.mss),
                window_scale: has(WSCALE).then_some(self.window_scale),
                sack_permitted: has(SACK_PERMITTED),
                timestamps: has(TIMESTAMPS).then_some(self.timestamps),
                sack_blocks: [(0, 0); 4],
                sack_count: 0,
                malformed: has(MALFORMED),
                truncated: has(TRUNCATED),
            },
            checksum: self.checksum,
            control: self.control,
            seq_len: self.seq_len,
        }
    }
}
