//! IP fragment reassembly (IPv4 and IPv6), as Wireshark does it by
//! default, in bounded memory.
//!
//! Fragments are keyed by source, destination, identification and
//! protocol. A datagram is complete once its last fragment (more-fragments
//! clear) has given its length and fragments cover every byte before it;
//! it is then analysed at the frame that completed it, like Wireshark's
//! single pass ("reassembled in" that frame). Overlapping fragments are
//! laid down in the order of their offsets (the earlier arrival first for
//! equal offsets), each adding only the bytes not laid down yet: where
//! fragments disagree, the one at the lower offset, or the earlier one,
//! wins, as in Wireshark (checked with TShark 4.0). Once complete, the key
//! is free: a later fragment with the same key starts a new datagram.
//!
//! Bounds (Wireshark has none but memory): at most [`Limits::datagrams`]
//! datagrams in flight and [`Limits::bytes`] bytes held, the oldest given
//! up first; a datagram longer than [`Limits::datagram_len`] is given up;
//! a datagram whose first fragment is older than [`Limits::timeout_ns`] on
//! the capture clock is given up. Fragments cut by the snapshot length
//! cannot be reassembled (Wireshark does not either). Everything given up
//! or left at the end is counted ([`Stats`]).

use std::collections::{HashMap, VecDeque};

use crate::decode::{Fragment, FragmentKey, Tunnel};

/// The bounds of reassembly.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Datagrams being reassembled at once.
    pub datagrams: usize,
    /// Bytes of fragments held in all.
    pub bytes: usize,
    /// Largest datagram payload (IPv4's and IPv6's limit).
    pub datagram_len: usize,
    /// A datagram still incomplete this long after its first fragment (on
    /// the capture clock) is given up.
    pub timeout_ns: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            datagrams: 4096,
            bytes: 64 << 20,
            datagram_len: 65_535,
            timeout_ns: 60_000_000_000,
        }
    }
}

/// What reassembly did over a capture.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Datagrams reassembled.
    pub datagrams: u64,
    /// Fragments that went into them.
    pub fragments: u64,
    /// Datagrams given up (timed out, over a limit, left at the end).
    pub incomplete_datagrams: u64,
    /// Fragments of those, and fragments that could not be used at all
    /// (cut by the snapshot length, beyond the largest datagram, past the
    /// end a last fragment gave).
    pub unused_fragments: u64,
}

/// One fragment held: where its bytes are in the datagram's store.
#[derive(Clone, Copy, Debug)]
struct Piece {
    offset: u32,
    len: u32,
    at: u32,
    arrival: u32,
}

struct Pending {
    first_ts: i64,
    serial: u64,
    pieces: Vec<Piece>,
    store: Vec<u8>,
    /// Length of the payload, once the last fragment came.
    total: Option<u32>,
    header_len: u16,
    tunnel: Option<Tunnel>,
}

/// A reassembled datagram: its payload and what to decode it with.
pub struct Datagram<'a> {
    /// Its fragments' key.
    pub key: FragmentKey,
    /// The reassembled payload (after the IP header).
    pub payload: &'a [u8],
    /// The first fragment's IP header length.
    pub header_len: usize,
    /// The tunnels its first fragment rode in.
    pub tunnel: Option<Tunnel>,
}

/// The reassembly table of one capture.
pub struct Reassembler {
    limits: Limits,
    table: HashMap<FragmentKey, Pending, foldhash::fast::RandomState>,
    /// Keys in the order their datagrams started (entries whose serial no
    /// longer matches are stale).
    order: VecDeque<(FragmentKey, u64)>,
    serial: u64,
    held: usize,
    /// Stores recycled from finished datagrams.
    spare: Vec<Vec<u8>>,
    out: Vec<u8>,
    stats: Stats,
}

impl Reassembler {
    /// An empty table with these bounds.
    pub fn new(limits: Limits) -> Reassembler {
        Reassembler {
            limits,
            table: HashMap::default(),
            order: VecDeque::new(),
            serial: 0,
            held: 0,
            spare: Vec::new(),
            out: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// What was done so far, counting the datagrams still incomplete as
    /// given up (call at the end of the capture).
    pub fn finish(&mut self) -> Stats {
        for (_, p) in self.table.drain() {
            self.stats.incomplete_datagrams += 1;
            self.stats.unused_fragments += p.pieces.len() as u64;
        }
        self.order.clear();
        self.held = 0;
        self.stats
    }

    /// Adds a fragment (`bytes` are the captured bytes of its frame) seen at
    /// capture clock `now`. Returns the datagram it completes.
    pub fn add(
        &mut self,
        f: &Fragment,
        bytes: &[u8],
        tunnel: Option<Tunnel>,
        now: i64,
    ) -> Option<Datagram<'_>> {
        self.expire(now);
        let data = bytes.get(f.start as usize..(f.start + f.len) as usize)?;
        let end = f.offset as usize + f.wire_len as usize;
        if f.len < f.wire_len || end > self.limits.datagram_len {
            self.stats.unused_fragments += 1;
            return None;
        }
        if !self.table.contains_key(&f.key) {
            while self.table.len() >= self.limits.datagrams {
                self.give_up_oldest();
            }
            self.serial += 1;
            let store = self.spare.pop().unwrap_or_default();
            self.table.insert(
                f.key,
                Pending {
                    first_ts: now,
                    serial: self.serial,
                    pieces: Vec::new(),
                    store,
                    total: None,
                    header_len: f.header_len,
                    tunnel,
                },
            );
            self.order.push_back((f.key, self.serial));
        }
        while self.held + data.len() > self.limits.bytes && self.order.len() > 1 {
            if !self.give_up_oldest_except(&f.key) {
                break;
            }
        }
        let p = self.table.get_mut(&f.key).expect("inserted above");
        if let Some(total) = p.total {
            if end > total as usize {
                self.stats.unused_fragments += 1;
                return None;
            }
        }
        if !f.more {
            let end = end as u32;
            // Bytes already held beyond the end cannot belong to it.
            if p.pieces.iter().any(|x| x.offset + x.len > end) {
                self.stats.unused_fragments += 1;
                return None;
            }
            p.total = Some(end);
        }
        if f.offset == 0 {
            p.header_len = f.header_len;
            p.tunnel = tunnel;
        }
        let arrival = p.pieces.len() as u32;
        p.pieces.push(Piece {
            offset: f.offset,
            len: f.len,
            at: p.store.len() as u32,
            arrival,
        });
        p.store.extend_from_slice(data);
        self.held += data.len();
        let total = p.total?;
        // Complete when the pieces, by offset, leave no hole before the end.
        p.pieces.sort_unstable_by_key(|x| (x.offset, x.arrival));
        let mut covered = 0u32;
        for x in &p.pieces {
            if x.offset > covered {
                return None;
            }
            covered = covered.max(x.offset + x.len);
        }
        if covered < total {
            return None;
        }
        let p = self.table.remove(&f.key).expect("present");
        self.held -= p.store.len();
        self.out.clear();
        self.out.resize(total as usize, 0);
        let mut filled = 0u32;
        for x in &p.pieces {
            let end = x.offset + x.len;
            if end > filled {
                let skip = filled.saturating_sub(x.offset);
                let from = (x.at + skip) as usize;
                let n = (end - x.offset.max(filled)) as usize;
                self.out[x.offset.max(filled) as usize..][..n]
                    .copy_from_slice(&p.store[from..from + n]);
                filled = end;
            }
        }
        self.stats.datagrams += 1;
        self.stats.fragments += p.pieces.len() as u64;
        let mut store = p.store;
        store.clear();
        if store.capacity() <= 2 * self.limits.datagram_len {
            self.spare.push(store);
        }
        Some(Datagram {
            key: f.key,
            payload: &self.out,
            header_len: p.header_len as usize,
            tunnel: p.tunnel,
        })
    }

    /// Gives up the datagrams whose first fragment is older than the
    /// timeout.
    fn expire(&mut self, now: i64) {
        while let Some(&(key, serial)) = self.order.front() {
            match self.table.get(&key) {
                Some(p) if p.serial == serial => {
                    if now.saturating_sub(p.first_ts) <= self.limits.timeout_ns {
                        return;
                    }
                    self.give_up_oldest();
                }
                _ => {
                    self.order.pop_front();
                }
            }
        }
    }

    fn give_up_oldest(&mut self) {
        while let Some((key, serial)) = self.order.pop_front() {
            if self.table.get(&key).is_some_and(|p| p.serial == serial) {
                self.give_up(&key);
                return;
            }
        }
    }

    /// Gives up the oldest datagram other than `keep`; false if there is
    /// none.
    fn give_up_oldest_except(&mut self, keep: &FragmentKey) -> bool {
        let pos = self
            .order
            .iter()
            .position(|(k, s)| k != keep && self.table.get(k).is_some_and(|p| p.serial == *s));
        match pos.and_then(|i| self.order.remove(i)) {
            Some((k, _)) => {
                self.give_up(&k);
                true
            }
            None => false,
        }
    }

    fn give_up(&mut self, key: &FragmentKey) {
        if let Some(p) = self.table.remove(key) {
            self.held -= p.store.len();
            self.stats.incomplete_datagrams += 1;
            self.stats.unused_fragments += p.pieces.len() as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn key(id: u32) -> FragmentKey {
        FragmentKey {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            id,
            proto: 6,
        }
    }

    /// A fragment of datagram `id` whose data is all of `bytes`.
    fn frag(id: u32, offset: u32, more: bool, bytes: &[u8]) -> Fragment {
        Fragment {
            key: key(id),
            offset,
            more,
            start: 0,
            len: bytes.len() as u32,
            wire_len: bytes.len() as u32,
            header_len: 20,
        }
    }

    fn add(
        r: &mut Reassembler,
        id: u32,
        offset: u32,
        more: bool,
        b: &[u8],
        now: i64,
    ) -> Option<Vec<u8>> {
        r.add(&frag(id, offset, more, b), b, None, now)
            .map(|d| d.payload.to_vec())
    }

    #[test]
    fn in_any_order_and_the_lower_offset_or_earlier_fragment_wins_overlaps() {
        let mut r = Reassembler::new(Limits::default());
        assert_eq!(add(&mut r, 1, 16, false, b"CCCCCCCC", 0), None);
        assert_eq!(add(&mut r, 1, 8, true, b"XXXXXXXX", 0), None);
        // Overlaps 8..16 with other bytes: the lower offset's stay.
        let got = add(&mut r, 1, 0, true, b"AAAAAAAAAAAAAAAA", 0);
        assert_eq!(got.as_deref(), Some(&b"AAAAAAAAAAAAAAAACCCCCCCC"[..]));
        // Equal offsets: the earlier fragment's bytes stay.
        assert_eq!(add(&mut r, 2, 0, true, b"EEEEEEEE", 0), None);
        assert_eq!(add(&mut r, 2, 0, true, b"LLLLLLLL", 0), None);
        let got = add(&mut r, 2, 8, false, b"ZZZZZZZZ", 0);
        assert_eq!(got.as_deref(), Some(&b"EEEEEEEEZZZZZZZZ"[..]));
        let s = r.finish();
        assert_eq!(
            (s.datagrams, s.fragments, s.incomplete_datagrams),
            (2, 6, 0)
        );
    }

    #[test]
    fn bounds_give_up_the_oldest_and_count_it() {
        let limits = Limits {
            datagrams: 2,
            timeout_ns: 10,
            ..Limits::default()
        };
        let mut r = Reassembler::new(limits);
        add(&mut r, 1, 0, true, b"11111111", 0);
        add(&mut r, 2, 0, true, b"22222222", 1);
        add(&mut r, 3, 0, true, b"33333333", 2); // datagram 1 given up
        // A new datagram 1 (its first fragment was given up): 2 goes.
        assert_eq!(add(&mut r, 1, 8, false, b"11111111", 3), None);
        // At 20, 3 and the new 1 are too old (timeout 10); 2 starts anew.
        assert_eq!(add(&mut r, 2, 8, false, b"22222222", 20), None);
        let s = r.finish();
        assert_eq!(s.datagrams, 0);
        assert_eq!(s.incomplete_datagrams, 5);
        assert_eq!(s.unused_fragments, 5);
    }

    #[test]
    fn fragments_cut_by_the_snapshot_length_or_beyond_the_largest_datagram_are_unused() {
        let mut r = Reassembler::new(Limits::default());
        let mut f = frag(1, 0, true, b"12345678");
        f.wire_len = 100;
        assert!(r.add(&f, b"12345678", None, 0).is_none());
        let f = frag(2, 65_532, false, b"12345678");
        assert!(r.add(&f, b"12345678", None, 0).is_none());
        assert_eq!(r.finish().unused_fragments, 2);
    }
}
