//! The part of Zeek's TCP reassembler that decides content gaps and when an
//! endpoint's data are all delivered.
//!
//! Zeek keeps, per endpoint, the blocks of payload it captured (relative
//! sequence numbers, 1 = the first byte after the SYN), delivers them in
//! order, and holds delivered blocks until the peer acknowledges them. When
//! an acknowledgment covers bytes that were never delivered, those bytes are
//! a *content gap*. Only the coverage matters here, so blocks are kept as
//! merged intervals (a sorted vector: there are rarely more than a few, and
//! its allocation is kept when acknowledgments empty it).

/// Zeek's `tcp_max_initial_window`: delivered data are released without an
/// acknowledgment once this much was sent and nothing was acknowledged.
pub(super) const MAX_INITIAL_WINDOW: u64 = 16 * 1024;
/// `tcp_max_above_hole_without_any_acks`.
pub(super) const MAX_ABOVE_HOLE_WITHOUT_ACKS: u64 = 16 * 1024;
/// `tcp_excessive_data_without_further_acks`.
pub(super) const EXCESSIVE_DATA_WITHOUT_ACKS: u64 = 10 * 1024 * 1024;

/// One endpoint's reassembly state.
#[derive(Clone, Debug)]
pub(super) struct Reassembler {
    /// Everything below has been delivered (or given up as a gap).
    pub last_reassem: u64,
    /// Everything below has been acknowledged and released.
    pub trim: u64,
    /// Captured payload held: (start, end), sorted, disjoint, not adjacent.
    blocks: Vec<(u64, u64)>,
    /// Delivery abandoned (too much data above a hole, or without acks).
    pub skip: bool,
    /// End of the endpoint's data reported.
    pub did_eof: bool,
}

impl Default for Reassembler {
    fn default() -> Reassembler {
        Reassembler {
            last_reassem: 1,
            trim: 1,
            blocks: Vec::new(),
            skip: false,
            did_eof: false,
        }
    }
}

impl Reassembler {
    /// Releases spare capacity.
    pub fn shrink(&mut self) {
        self.blocks.shrink_to_fit();
    }

    /// Whether any payload is held (delivered or not).
    pub fn has_blocks(&self) -> bool {
        !self.blocks.is_empty()
    }

    /// Bytes held above what was delivered.
    pub fn undelivered_bytes(&self) -> u64 {
        self.blocks
            .last()
            .map_or(0, |&(_, end)| end.saturating_sub(self.last_reassem))
    }

    /// Bytes held.
    pub fn data_size(&self) -> u64 {
        self.blocks.iter().map(|&(a, b)| b - a).sum()
    }

    pub fn clear(&mut self) {
        self.blocks.clear();
    }

    /// Adds the captured payload `[seq, seq + len)` and delivers what
    /// became contiguous. `release` says whether the initial-window rule
    /// releases delivered data at once.
    pub fn new_block(&mut self, seq: u64, len: u64, release: bool) {
        if len == 0 {
            return;
        }
        let upper = seq.saturating_add(len);
        if upper <= self.trim {
            return; // old data
        }
        let seq = seq.max(self.trim);
        self.insert(seq, upper);
        self.deliver(release);
    }

    fn insert(&mut self, a: u64, b: u64) {
        // Merge with every interval that overlaps or touches [a, b).
        let first = self.blocks.partition_point(|&(_, e)| e < a);
        let last = self.blocks.partition_point(|&(s, _)| s <= b);
        if first == last {
            self.blocks.insert(first, (a, b));
        } else {
            let merged = (a.min(self.blocks[first].0), b.max(self.blocks[last - 1].1));
            self.blocks.drain(first + 1..last);
            self.blocks[first] = merged;
        }
    }

    /// The interval holding `seq`, if any.
    fn holding(&self, seq: u64) -> Option<(u64, u64)> {
        let i = self.blocks.partition_point(|&(s, _)| s <= seq);
        i.checked_sub(1)
            .map(|i| self.blocks[i])
            .filter(|&(_, e)| e > seq)
    }

    /// Delivers the held data that continue what was delivered.
    fn deliver(&mut self, release: bool) {
        let Some((_, end)) = self.holding(self.last_reassem) else {
            return;
        };
        self.last_reassem = end;
        if release {
            // Nothing acknowledged yet much was sent: the peer's acks are
            // presumably not seen; delivered data are not held further.
            self.release_below(self.last_reassem);
            self.trim = self.trim.max(self.last_reassem);
        }
    }

    fn release_below(&mut self, seq: u64) {
        let n = self.blocks.partition_point(|&(_, e)| e <= seq);
        self.blocks.drain(..n);
    }

    /// The peer acknowledged everything below `seq`: releases it, and
    /// returns the content gaps found (how many, a gap may be empty, and
    /// their bytes: what Zeek's gap events add up; counted, not listed, so
    /// that an ACK allocates nothing).
    /// `partial`: the connection began without a SYN (Zeek ignores a missing
    /// first byte or two then).
    pub fn trim_to(&mut self, seq: u64, partial: bool, release: bool) -> Gaps {
        let gaps = if seq > self.last_reassem {
            self.undelivered(seq, partial, release)
        } else {
            Gaps::default()
        };
        self.release_below(seq);
        if self
            .blocks
            .first()
            .is_some_and(|&(s, e)| s <= self.last_reassem && self.last_reassem < e)
        {
            self.deliver(release);
        }
        self.trim = self.trim.max(seq);
        gaps
    }

    /// Everything up to `up_to` is acknowledged though not all was
    /// delivered: held blocks below it are delivered, with a gap before
    /// each, and a final gap up to `up_to`.
    fn undelivered(&mut self, up_to: u64, partial: bool, release: bool) -> Gaps {
        let mut gaps = Gaps::default();
        if up_to <= 2 && partial {
            return gaps;
        }
        if !self.skip {
            loop {
                let i = self.blocks.partition_point(|&(s, _)| s < self.last_reassem);
                let Some(&(s, _)) = self.blocks.get(i) else {
                    break;
                };
                if s >= up_to {
                    break;
                }
                gaps.add(s - self.last_reassem);
                self.last_reassem = s;
                self.deliver(release);
            }
            if up_to > self.last_reassem {
                gaps.add(up_to - self.last_reassem);
            }
        }
        self.last_reassem = self.last_reassem.max(up_to);
        gaps
    }
}

/// Content gaps found by an acknowledgment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gaps {
    /// How many (each is one Zeek gap event).
    pub count: u64,
    /// Their bytes in all.
    pub bytes: u64,
}

impl Gaps {
    fn add(&mut self, len: u64) {
        self.count += 1;
        self.bytes += len;
    }
}

crate::frozen::frozen_struct!(Reassembler {
    last_reassem,
    trim,
    blocks,
    skip,
    did_eof,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_data_are_delivered_and_released_by_acks() {
        let mut r = Reassembler::default();
        r.new_block(1, 100, false);
        r.new_block(101, 50, false);
        assert_eq!(r.last_reassem, 151);
        assert!(r.has_blocks(), "held until acknowledged");
        assert_eq!(r.trim_to(151, false, false), Gaps::default());
        assert!(!r.has_blocks());
    }

    #[test]
    fn an_ack_past_a_hole_reports_the_hole_and_delivers_what_follows() {
        let mut r = Reassembler::default();
        r.new_block(1, 100, false);
        r.new_block(201, 100, false); // [101, 201) missing
        assert_eq!(r.last_reassem, 101);
        assert_eq!(r.undelivered_bytes(), 200);
        // The ack covers the hole and the block and 50 bytes never seen.
        assert_eq!(
            r.trim_to(351, false, false),
            Gaps {
                count: 2,
                bytes: 150
            }
        );
        assert_eq!(r.last_reassem, 351);
    }

    #[test]
    fn a_partial_connection_ignores_its_first_missing_bytes() {
        let mut r = Reassembler::default();
        assert_eq!(r.trim_to(2, true, false), Gaps::default());
        assert_eq!((r.trim, r.last_reassem), (2, 1), "released, not delivered");
        let mut r = Reassembler::default();
        assert_eq!(r.trim_to(3, true, false), Gaps { count: 1, bytes: 2 });
    }

    #[test]
    fn blocks_merge_across_holes_once_filled() {
        let mut r = Reassembler::default();
        r.new_block(21, 10, false);
        r.new_block(41, 10, false);
        r.new_block(61, 10, false);
        assert_eq!(r.data_size(), 30);
        r.new_block(25, 40, false); // [25, 65) bridges the three
        assert_eq!(r.data_size(), 50);
        assert_eq!(r.last_reassem, 1, "a hole below");
        r.new_block(1, 20, false);
        assert_eq!(r.last_reassem, 71);
    }

    #[test]
    fn coverage_matches_a_byte_map() {
        // Random blocks (a fixed LCG) against a byte-by-byte model.
        let mut x: u64 = 7;
        let mut rnd = |n: u64| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) % n
        };
        for _ in 0..50 {
            let mut r = Reassembler::default();
            let mut held = [false; 400];
            for _ in 0..20 {
                let (a, len) = (2 + rnd(350), 1 + rnd(40));
                r.insert(a, a + len);
                for b in a..a + len {
                    held[b as usize] = true;
                }
                let mut want = Vec::new();
                for (i, &h) in held.iter().enumerate() {
                    match (h, want.last_mut()) {
                        (true, Some((_, e))) if *e == i as u64 => *e += 1,
                        (true, _) => want.push((i as u64, i as u64 + 1)),
                        _ => {}
                    }
                }
                assert_eq!(r.blocks, want);
            }
        }
    }

    #[test]
    fn retransmitted_data_add_nothing() {
        let mut r = Reassembler::default();
        r.new_block(1, 100, false);
        r.new_block(1, 100, false);
        r.new_block(50, 20, false);
        assert_eq!(r.data_size(), 100);
        assert_eq!(r.last_reassem, 101);
    }
}
