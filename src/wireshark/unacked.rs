//! The segments a direction has sent that the peer has not acknowledged yet.
//!
//! Wireshark keeps one list per direction and, for every segment of the
//! opposite direction, walks all of it with that segment's acknowledgment
//! number: an entry whose end equals the acknowledgment is the segment it
//! "ACKs" (the oldest such entry wins), entries ending at or before it are
//! dropped, the rest stay. The list holds at most [`CAPACITY`] entries; a
//! segment sent while it is full is not recorded (and a SYN or FIN then does
//! not add its phantom byte to the direction's next sequence number: see
//! [`Analyzer`](super::Analyzer)).
//!
//! Only the end of each entry matters for what we report (Wireshark also
//! trims the start of partly acknowledged entries, which only feeds its
//! bytes-in-flight figure). The entries live in a ring buffer in sending
//! order that grows with the number of unacknowledged segments, up to
//! [`CAPACITY`], and is reused for the life of the connection: no
//! allocation per segment once it has reached its working size.
//!
//! Walking every entry for every acknowledgment costs as much as there are
//! segments in flight. In the usual case the entries' ends increase in
//! sending order, and then the ones an acknowledgment removes are a run at
//! one end of the ring (sequence space is circular: see [`Unacked::ack`]), so
//! they are popped without looking at the others. Only after a segment was
//! sent out of order (a retransmission, a reordering) is the whole ring
//! walked, until acknowledgments have removed the disorder.

use crate::vocab::SeqNumber;
use std::collections::VecDeque;

/// Wireshark's limit on unacknowledged segments per direction
/// (`TCP_MAX_UNACKED_SEGMENTS`).
pub const CAPACITY: usize = 10_000;

/// One unacknowledged segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    /// Sequence number just past the segment (plus one for SYN or FIN).
    end: u32,
    frame: u64,
    ts: i64,
}

/// The segment an acknowledgment matched exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acked {
    pub frame: u64,
    /// The capture timestamp of that segment.
    pub ts: i64,
}

/// The unacknowledged segments of one direction, oldest first.
#[derive(Clone, Debug)]
pub struct Unacked {
    ring: VecDeque<Entry>,
    /// The ends strictly increase from front to back (in sequence space)
    /// and the back is less than 2^31 ahead of the front.
    ordered: bool,
}

impl Default for Unacked {
    fn default() -> Unacked {
        Unacked {
            ring: VecDeque::new(),
            ordered: true,
        }
    }
}

#[inline]
fn le(a: u32, b: u32) -> bool {
    SeqNumber(a).le(SeqNumber(b))
}

/// `a` lies after both `b` and `c` (a positive signed distance from each).
#[inline]
fn after_both(a: u32, b: u32, c: u32) -> bool {
    SeqNumber(a).delta(SeqNumber(b)) > 0 && SeqNumber(a).delta(SeqNumber(c)) > 0
}

impl Unacked {
    /// Releases spare capacity.
    pub fn shrink(&mut self) {
        self.ring.shrink_to_fit();
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    #[inline]
    pub fn is_full(&self) -> bool {
        self.ring.len() >= CAPACITY
    }

    /// Records a segment ending at `end`. The caller checks
    /// [`is_full`](Self::is_full) first.
    #[inline]
    pub fn push(&mut self, end: u32, frame: u64, ts: i64) {
        debug_assert!(!self.is_full());
        if let (Some(front), Some(back)) = (self.ring.front(), self.ring.back()) {
            self.ordered &= after_both(end, back.end, front.end);
        } else {
            self.ordered = true;
        }
        self.ring.push_back(Entry { end, frame, ts });
    }

    /// Applies an acknowledgment number: drops every entry ending at or
    /// before `ack` (in sequence space) and returns the oldest entry that
    /// ended exactly at `ack`, if any.
    #[inline]
    pub fn ack(&mut self, ack: u32) -> Option<Acked> {
        if self.ring.is_empty() {
            return None;
        }
        if self.ordered {
            self.ack_ordered(ack)
        } else {
            self.ack_walk(ack)
        }
    }

    /// With ordered ends, the entries `ack` covers are a run at the front
    /// (`ack` ahead of them) or at the back (the ring crosses the point
    /// 2^31 past `ack`, which then counts as behind it); a run in the middle
    /// would need the ring to span 2^31 or more. The ends are distinct, so
    /// at most one matches.
    fn ack_ordered(&mut self, ack: u32) -> Option<Acked> {
        // The last entry covered at the front, or the first at the back, is
        // the only one that can end exactly at `ack`.
        let front = self.ring.iter().take_while(|e| le(e.end, ack)).count();
        let candidate = if front > 0 {
            let e = self.ring[front - 1];
            self.ring.drain(..front);
            e
        } else {
            let back = self
                .ring
                .iter()
                .rev()
                .take_while(|e| le(e.end, ack))
                .count();
            if back == 0 {
                return None;
            }
            let keep = self.ring.len() - back;
            let e = self.ring[keep];
            self.ring.truncate(keep);
            e
        };
        (candidate.end == ack).then_some(Acked {
            frame: candidate.frame,
            ts: candidate.ts,
        })
    }

    /// Every entry is looked at; the order of the rest is found again on the
    /// way.
    #[cold]
    fn ack_walk(&mut self, ack: u32) -> Option<Acked> {
        let mut matched = None;
        let mut ordered = true;
        let mut first: Option<u32> = None;
        let mut prev: Option<u32> = None;
        self.ring.retain(|e| {
            if le(e.end, ack) {
                if e.end == ack && matched.is_none() {
                    matched = Some(Acked {
                        frame: e.frame,
                        ts: e.ts,
                    });
                }
                return false;
            }
            if let (Some(f), Some(p)) = (first, prev) {
                ordered &= after_both(e.end, p, f);
            } else {
                first = Some(e.end);
            }
            prev = Some(e.end);
            true
        });
        self.ordered = ordered;
        matched
    }
}

crate::frozen::frozen_struct!(Entry { end, frame, ts });
crate::frozen::frozen_struct!(Unacked { ring, ordered });

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: Wireshark's walk over every entry.
    #[derive(Default)]
    struct Naive(Vec<Entry>);

    impl Naive {
        fn push(&mut self, end: u32, frame: u64) {
            self.0.push(Entry { end, frame, ts: 0 });
        }
        fn ack(&mut self, ack: u32) -> Option<u64> {
            let m = self.0.iter().find(|e| e.end == ack).map(|e| e.frame);
            self.0.retain(|e| !le(e.end, ack));
            m
        }
    }

    fn check(ops: &[(bool, u32)]) {
        let mut u = Unacked::default();
        let mut n = Naive::default();
        for (i, &(push, v)) in ops.iter().enumerate() {
            if push {
                u.push(v, i as u64, 0);
                n.push(v, i as u64);
            } else {
                assert_eq!(u.ack(v).map(|a| a.frame), n.ack(v), "op {i}: ack {v}");
            }
            let ends: Vec<u32> = u.ring.iter().map(|e| e.end).collect();
            let expect: Vec<u32> = n.0.iter().map(|e| e.end).collect();
            assert_eq!(ends, expect, "op {i}");
        }
    }

    #[test]
    fn in_order_segments_are_popped_from_the_front() {
        check(&[
            (true, 100),
            (true, 200),
            (true, 300),
            (false, 200),
            (false, 250),
            (false, 300),
        ]);
    }

    #[test]
    fn the_oldest_of_equal_ends_is_the_one_acked() {
        let mut u = Unacked::default();
        u.push(100, 1, 10);
        u.push(100, 2, 20);
        assert!(!u.ordered);
        assert_eq!(u.ack(100), Some(Acked { frame: 1, ts: 10 }));
        assert!(u.is_empty());
    }

    #[test]
    fn a_retransmission_out_of_order_falls_back_to_the_walk_and_recovers() {
        check(&[
            (true, 100),
            (true, 200),
            (true, 300),
            (true, 150),
            (false, 150),
            (false, 210),
            (true, 400),
            (false, 400),
        ]);
    }

    #[test]
    fn an_ack_half_the_sequence_space_away_drops_the_back() {
        // Entries 100 .. 100 + 2^31 - 2: an ack of 0 is ahead of those
        // past 2^31 and behind the others.
        let far = 100u32 + (1 << 31) - 2;
        check(&[
            (true, 100),
            (true, 1 << 30),
            (true, far),
            (false, 0),
            (false, 99),
        ]);
        check(&[(true, 5), (true, 6), (false, 6u32.wrapping_add(1 << 31))]);
    }

    #[test]
    fn pseudo_random_operations_agree_with_the_full_walk() {
        let mut rnd = crate::xorshift64(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let mut ops = Vec::new();
            let mut next: u32 = rnd() as u32;
            for _ in 0..60 {
                let r = rnd();
                match r % 8 {
                    0..=3 => {
                        next = next.wrapping_add((r >> 8) as u32 % 1500 + 1);
                        ops.push((true, next));
                    }
                    4 => ops.push((true, next.wrapping_sub((r >> 8) as u32 % 3000))),
                    5 => ops.push((true, (r >> 8) as u32)),
                    6 => ops.push((false, next.wrapping_sub((r >> 8) as u32 % 4000))),
                    _ => ops.push((false, (r >> 8) as u32)),
                }
            }
            check(&ops);
        }
    }
}
