//! Flow demultiplexing: which connection a segment belongs to.
//!
//! A connection is a 4-tuple plus an incarnation. The 4-tuple is kept in a
//! canonical order ([`FlowKey`]) so both directions find the same entry. A
//! new incarnation starts where Wireshark starts a new `tcp.stream`, so that
//! our stream numbers are Wireshark's: on a SYN without ACK whose sequence
//! number differs from the base sequence number already recorded for its
//! direction (see [`starts_new_incarnation`]). That covers a SYN with a new
//! ISN after the previous incarnation closed, was reset or timed out, while
//! retransmitted SYNs (same ISN), FINs and RSTs never start one.
//!
//! Connections are sharded by a hash of the canonical 4-tuple, so every
//! incarnation of a 4-tuple is replayed by the same shard, in capture order.

use crate::decode::{TcpFlags, TcpSegment};
use crate::vocab::SeqNumber;
use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;

/// A canonical 4-tuple: the lower (address, port) first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowKey {
    /// The lower (address, port) of the two.
    pub lo: (IpAddr, u16),
    /// The higher one.
    pub hi: (IpAddr, u16),
}

impl std::hash::Hash for FlowKey {
    /// As a few whole words rather than field by field (the addresses' enum
    /// tags, bytes and lengths): every segment is hashed. Equal keys give
    /// equal words.
    #[inline(always)]
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        hash_words(h, (&self.lo.0, self.lo.1), (&self.hi.0, self.hi.1));
    }
}

/// The words a key is hashed as, its lower endpoint `lo` first: a few
/// whole words rather than field by field (the addresses' enum tags, bytes
/// and lengths), as every segment is hashed.
#[inline(always)]
fn hash_words<H: Hasher>(h: &mut H, lo: (&IpAddr, u16), hi: (&IpAddr, u16)) {
    match (lo.0, hi.0) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            h.write_u64(u64::from(a.to_bits()) << 32 | u64::from(b.to_bits()));
        }
        (a, b) => {
            let word = |x: &IpAddr| match x {
                IpAddr::V4(v) => u128::from(v.to_bits()),
                IpAddr::V6(v) => v.to_bits(),
            };
            h.write_u128(word(a));
            h.write_u128(word(b));
        }
    }
    h.write_u32(u32::from(lo.1) << 16 | u32::from(hi.1));
}

impl FlowKey {
    /// The key of a segment.
    #[inline]
    pub fn of(seg: &TcpSegment) -> FlowKey {
        let a = (seg.src, seg.src_port);
        let b = (seg.dst, seg.dst_port);
        if endpoint_le((&a.0, a.1), (&b.0, b.1)) {
            FlowKey { lo: a, hi: b }
        } else {
            FlowKey { lo: b, hi: a }
        }
    }

    /// The key's hash under `h`.
    #[inline]
    pub fn hash_with(&self, h: &FlowHasher) -> u64 {
        h.hash_one(self)
    }

    /// The hash under `h` of the key of `seg`, `FlowKey::of(seg).hash_with(h)`,
    /// without making the key: every segment is hashed so, in the parallel
    /// decode, and the key made on the stack (two 17-byte address enums,
    /// stored in pieces and read back whole) cost 113 instructions a
    /// segment and a stall on each read.
    #[inline]
    pub fn hash_of(seg: &TcpSegment, h: &FlowHasher) -> u64 {
        let a = (&seg.src, seg.src_port);
        let b = (&seg.dst, seg.dst_port);
        let (lo, hi) = if endpoint_le(a, b) { (a, b) } else { (b, a) };
        let mut s = h.build_hasher();
        hash_words(&mut s, lo, hi);
        s.finish()
    }
}

/// `a <= b` in the order of `(IpAddr, u16)` (an IPv4 address before an
/// IPv6 one, addresses by their bytes, then ports), with two addresses of
/// one family compared as one integer each, address and port together: the
/// key of every segment is made with it, and the derived comparison, byte
/// by byte through the enum, cost 29 instructions a segment more (the 500k
/// workload).
#[inline(always)]
fn endpoint_le(a: (&IpAddr, u16), b: (&IpAddr, u16)) -> bool {
    match (a.0, b.0) {
        (IpAddr::V4(x), IpAddr::V4(y)) => {
            let word = |ip: &std::net::Ipv4Addr, port: u16| {
                u64::from(ip.to_bits()) << 16 | u64::from(port)
            };
            word(x, a.1) <= word(y, b.1)
        }
        (IpAddr::V6(x), IpAddr::V6(y)) => (x.to_bits(), a.1) <= (y.to_bits(), b.1),
        _ => a <= b,
    }
}

/// The hasher of flow keys: one per capture, randomly seeded (so that no
/// capture can be made for its keys to collide), shared by the decoding,
/// which hashes each segment's key once, and the trackers, whose tables use
/// that hash.
pub type FlowHasher = foldhash::fast::RandomState;

/// The shard, out of `n`, that replays the 4-tuple whose key hashes to `h`.
/// The hash is mixed again first: a tracker's table indexes by its low bits
/// and tags by its top ones, which would otherwise be the same for every key
/// of a shard. Results never depend on the shard.
#[inline]
pub fn shard_of_hash(h: u64, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    ((h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % n as u64) as usize
}

/// Wireshark's rule for a new conversation on a known 4-tuple (checked
/// against TShark 4.0): a SYN without ACK whose sequence number differs from
/// the base sequence number of its direction. `sender_base` is that base in
/// the current incarnation (`None` if the sender has not been seen).
#[inline]
pub fn starts_new_incarnation(seg: &TcpSegment, sender_base: Option<SeqNumber>) -> bool {
    let f = seg.flags;
    f.contains(TcpFlags::SYN)
        && !f.contains(TcpFlags::ACK)
        && sender_base.is_some_and(|b| b != seg.seg_seq())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn seg(src: u8, sport: u16, dst: u8, dport: u16, flags: TcpFlags, seq: u32) -> TcpSegment {
        let host = |h| IpAddr::V4(Ipv4Addr::new(10, 0, 0, h));
        TcpSegment {
            window: 0,
            ..TcpSegment::new((host(src), sport), (host(dst), dport), flags, seq, 0, 0)
        }
    }

    #[test]
    fn both_directions_share_a_key_and_a_shard() {
        let a = seg(1, 40000, 2, 80, TcpFlags::SYN, 1);
        let b = seg(2, 80, 1, 40000, TcpFlags::SYN | TcpFlags::ACK, 9);
        assert_eq!(FlowKey::of(&a), FlowKey::of(&b));
        let h = FlowHasher::default();
        let shard = |s: &TcpSegment, n| shard_of_hash(FlowKey::of(s).hash_with(&h), n);
        for n in 1..8 {
            assert_eq!(shard(&a, n), shard(&b, n));
            assert!(shard(&a, n) < n);
        }
        assert_ne!(
            FlowKey::of(&a),
            FlowKey::of(&seg(1, 40001, 2, 80, TcpFlags::SYN, 1))
        );
    }

    #[test]
    fn endpoints_are_ordered_as_the_derived_order_orders_them() {
        use std::net::Ipv6Addr;
        // Addresses and ports that differ in their first byte, their last,
        // or not at all, of both families.
        let v4 = [
            [10, 0, 0, 1],
            [10, 0, 0, 2],
            [9, 255, 255, 255],
            [192, 168, 1, 0],
            [0; 4],
            [255; 4],
        ];
        let mut ips: Vec<IpAddr> = v4.iter().map(|&o| IpAddr::V4(Ipv4Addr::from(o))).collect();
        for v in [0u128, 1, 2, 1 << 120, u128::MAX, 0xffff_0a00_0001] {
            ips.push(IpAddr::V6(Ipv6Addr::from_bits(v)));
        }
        let ports = [0u16, 1, 80, 255, 256, 40000, u16::MAX];
        let eps: Vec<(IpAddr, u16)> = ips
            .iter()
            .flat_map(|&ip| ports.iter().map(move |&p| (ip, p)))
            .collect();
        for &a in &eps {
            for &b in &eps {
                assert_eq!(
                    endpoint_le((&a.0, a.1), (&b.0, b.1)),
                    a <= b,
                    "{a:?} <= {b:?}"
                );
            }
        }
    }

    /// The decode's hash of a segment is the one the trackers' tables
    /// compute from the key when they grow: were they to differ, a
    /// connection would not be found again. Every pair of the endpoints
    /// above, both families, in both directions, under two seeds.
    #[test]
    fn a_segment_hashes_as_its_key_does() {
        use std::net::Ipv6Addr;
        let mut ips: Vec<IpAddr> = [[10, 0, 0, 1], [10, 0, 0, 2], [0; 4], [255; 4]]
            .iter()
            .map(|&o| IpAddr::V4(Ipv4Addr::from(o)))
            .collect();
        for v in [0u128, 1, u128::MAX, 0xffff_0a00_0001] {
            ips.push(IpAddr::V6(Ipv6Addr::from_bits(v)));
        }
        let ports = [0u16, 1, 80, 40000, u16::MAX];
        let eps: Vec<(IpAddr, u16)> = ips
            .iter()
            .flat_map(|&ip| ports.iter().map(move |&p| (ip, p)))
            .collect();
        for h in [FlowHasher::default(), FlowHasher::default()] {
            for &a in &eps {
                for &b in &eps {
                    let s = TcpSegment::new(a, b, TcpFlags::ACK, 1, 1, 0);
                    assert_eq!(
                        FlowKey::hash_of(&s, &h),
                        FlowKey::of(&s).hash_with(&h),
                        "{a:?} -> {b:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_a_syn_with_a_new_sequence_number_starts_an_incarnation() {
        let syn = |seq| seg(1, 40000, 2, 80, TcpFlags::SYN, seq);
        assert!(
            !starts_new_incarnation(&syn(100), None),
            "first sight of the sender"
        );
        assert!(
            !starts_new_incarnation(&syn(100), Some(SeqNumber(100))),
            "retransmitted SYN"
        );
        assert!(
            starts_new_incarnation(&syn(5000), Some(SeqNumber(100))),
            "new ISN"
        );
        let synack = seg(1, 40000, 2, 80, TcpFlags::SYN | TcpFlags::ACK, 5000);
        assert!(
            !starts_new_incarnation(&synack, Some(SeqNumber(100))),
            "SYN,ACK never does"
        );
        for flags in [TcpFlags::FIN | TcpFlags::ACK, TcpFlags::RST, TcpFlags::ACK] {
            assert!(!starts_new_incarnation(
                &seg(1, 40000, 2, 80, flags, 5000),
                Some(SeqNumber(100))
            ));
        }
    }
}
