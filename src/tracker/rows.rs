//! The timeline rows a tracker holds (see [`super::ROW_HOLD_FRAMES`]),
//! in one chunk per batch, compact, each row's key beside it.
//!
//! A [`SegmentRecord`] is 704 bytes, most of them room for the transitions
//! and anomalies a segment rarely has. Rows are held four batches, well
//! past what the cache keeps, so each byte held is a byte written to
//! memory and read back. A chunk holds a row as a [`Held`] instead (about
//! 250 bytes): the record without those lists, which are in the chunk, one
//! after another. The merge makes the record whole again in the batch the
//! consumer gets, a buffer reused from batch to batch.
//!
//! A chunk is handed out as it is, and comes back empty, with its
//! allocations, for a later batch. Only a chunk partly ready (a batch
//! whose frames are not all old enough; rare, see
//! [`RowQueue::take_front`]) is split.
//!
//! What the tracker and the merge look up (frame, stream, ...) is kept
//! apart, in a [`Key`] of 40 bytes: naming a batch's streams, the merge's
//! order and the searches for where a row goes read those, not the rows.

use crate::anomaly::Anomaly;
use crate::consumer::{IcmpError, SegmentRecord};
use crate::decode::{TcpFlags, Tunnel};
use crate::replay::{Rewrite, SegmentOutcome, Transition, Verdict};
use crate::state::TcpState;
use crate::vocab::Direction;
use crate::wireshark::Verdicts;
use std::collections::VecDeque;

/// What orders and identifies a held row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    /// The row's frame.
    pub(crate) frame: u64,
    /// The row's connection, by creation (see `Slot::creation`).
    pub(crate) creation: u64,
    /// Its stream (named at the end of the batch that made it).
    pub(crate) stream: Option<u64>,
    /// A row of timer events (see [`SegmentRecord::event`]).
    pub(crate) event: bool,
}

/// A row held: a [`SegmentRecord`] but for its stream (in its [`Key`])
/// and its outcome's transitions and anomalies (in its [`Chunk`]).
#[derive(Clone, Copy)]
pub(crate) struct Held {
    frame: u64,
    ts_ns: i64,
    flags: TcpFlags,
    payload_len: u32,
    direction: Direction,
    rel_seq: u32,
    rel_ack: u32,
    state: [TcpState; 2],
    verdict: Verdict,
    rewrite: Option<Rewrite>,
    uncertain: [Option<TcpState>; 2],
    /// Where its transitions are in the chunk's, and how many.
    transitions: (u32, u32),
    /// Where its anomalies are in the chunk's, and how many.
    anomalies: (u32, u32),
    analysis: Verdicts,
    tunnel: Option<Tunnel>,
    short_header: bool,
    icmp: Option<IcmpError>,
    event: bool,
}

/// The rows of one batch, each with its key, and their lists.
#[derive(Default)]
pub(crate) struct Chunk {
    keys: Vec<Key>,
    rows: Vec<Held>,
    transitions: Vec<Transition>,
    anomalies: Vec<Anomaly>,
}

impl Chunk {
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub(crate) fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Empties the chunk, keeping its allocations.
    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.rows.clear();
        self.transitions.clear();
        self.anomalies.clear();
    }

    /// Row `j` whole again, with its stream, written over `out` field by
    /// field: of its lists' room, only what they hold is written.
    pub(crate) fn record_into(&self, j: usize, out: &mut SegmentRecord) {
        let stream = self.keys[j].stream.expect("stream assigned");
        fill(
            &self.rows[j],
            stream,
            &self.transitions,
            &self.anomalies,
            out,
        );
    }

    /// `r` as a row held in this chunk, its lists added to the chunk's (or
    /// written over `old`'s lists, where they fit).
    fn hold(&mut self, r: &SegmentRecord, old: Option<&Held>) -> Held {
        let o = &r.outcome;
        Held {
            frame: r.frame,
            ts_ns: r.ts_ns,
            flags: r.flags,
            payload_len: r.payload_len,
            direction: o.direction,
            rel_seq: o.rel_seq,
            rel_ack: o.rel_ack,
            state: o.state,
            verdict: o.verdict,
            rewrite: o.rewrite,
            uncertain: o.uncertain,
            transitions: put(
                &mut self.transitions,
                &o.transitions,
                old.map(|h| h.transitions),
            ),
            anomalies: put(&mut self.anomalies, &o.anomalies, old.map(|h| h.anomalies)),
            analysis: r.analysis,
            tunnel: r.tunnel,
            short_header: r.short_header,
            icmp: r.icmp,
            event: r.event,
        }
    }
}

/// A record to be written over ([`Chunk::record_into`]).
pub(crate) fn blank() -> SegmentRecord {
    SegmentRecord {
        frame: 0,
        ts_ns: 0,
        stream: 0,
        flags: TcpFlags(0),
        payload_len: 0,
        outcome: SegmentOutcome::blank(Direction::ClientToServer),
        analysis: Verdicts::default(),
        tunnel: None,
        short_header: false,
        icmp: None,
        event: false,
    }
}

/// Writes the record `h` holds, with `stream`, over `out`; its lists are
/// in `transitions` and `anomalies`.
fn fill(
    h: &Held,
    stream: u64,
    transitions: &[Transition],
    anomalies: &[Anomaly],
    out: &mut SegmentRecord,
) {
    let list = |(at, n): (u32, u32)| at as usize..(at + n) as usize;
    out.frame = h.frame;
    out.ts_ns = h.ts_ns;
    out.stream = stream;
    out.flags = h.flags;
    out.payload_len = h.payload_len;
    let o = &mut out.outcome;
    o.direction = h.direction;
    o.rel_seq = h.rel_seq;
    o.rel_ack = h.rel_ack;
    o.state = h.state;
    o.transitions.clear();
    o.transitions
        .extend(transitions[list(h.transitions)].iter().copied());
    o.verdict = h.verdict;
    o.anomalies.clear();
    o.anomalies
        .extend(anomalies[list(h.anomalies)].iter().copied());
    o.rewrite = h.rewrite;
    o.uncertain = h.uncertain;
    out.analysis = h.analysis;
    out.tunnel = h.tunnel;
    out.short_header = h.short_header;
    out.icmp = h.icmp;
    out.event = h.event;
}

/// Puts `items` in `list`: over `old` (where and how many) if they fit
/// there, or else at its end. Returns where they are, and how many.
fn put<T: Copy>(list: &mut Vec<T>, items: &[T], old: Option<(u32, u32)>) -> (u32, u32) {
    let n = items.len() as u32;
    if n == 0 {
        return (0, 0);
    }
    if let Some((at, _)) = old.filter(|&(_, room)| n <= room) {
        list[at as usize..(at + n) as usize].copy_from_slice(items);
        return (at, n);
    }
    let at = u32::try_from(list.len()).expect("a batch's lists under 4G");
    list.extend_from_slice(items);
    (at, n)
}

/// Rows in merge order, indexed as one sequence.
#[derive(Default)]
pub(super) struct RowQueue {
    /// Never an empty chunk but the last.
    chunks: VecDeque<Chunk>,
    len: usize,
    /// Empty chunks, with their allocations.
    spare: Vec<Chunk>,
}

impl RowQueue {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Rows pushed from now on go into a new chunk (the current one
    /// continues if it is empty).
    pub(super) fn begin_batch(&mut self) {
        if self.chunks.back().is_none_or(|c| !c.is_empty()) {
            let c = self.spare.pop().unwrap_or_default();
            self.chunks.push_back(c);
        }
    }

    pub(super) fn push(&mut self, key: Key, row: &SegmentRecord) {
        if self.chunks.is_empty() {
            self.begin_batch();
        }
        let c = self.chunks.back_mut().expect("a chunk");
        let held = c.hold(row, None);
        c.keys.push(key);
        c.rows.push(held);
        self.len += 1;
    }

    pub(super) fn front_key(&self) -> Option<&Key> {
        self.chunks.iter().find_map(|c| c.keys.first())
    }

    /// The chunk holding row `i`, and the row's index in it.
    fn locate(&self, i: usize) -> (usize, usize) {
        // Rows are mostly sought near the end: counted from the back.
        let mut end = self.len;
        for (k, c) in self.chunks.iter().enumerate().rev() {
            let start = end - c.len();
            if i >= start {
                return (k, i - start);
            }
            end = start;
        }
        panic!("row {i} of {}", self.len)
    }

    pub(super) fn key(&self, i: usize) -> &Key {
        let (k, j) = self.locate(i);
        &self.chunks[k].keys[j]
    }

    /// Row `i` whole (its stream as 0 if not named yet), to be changed
    /// and put back with [`RowQueue::set`]: for the rare rewrites.
    pub(super) fn get(&self, i: usize) -> SegmentRecord {
        let (k, j) = self.locate(i);
        let c = &self.chunks[k];
        let mut row = blank();
        let stream = c.keys[j].stream.unwrap_or(0);
        fill(&c.rows[j], stream, &c.transitions, &c.anomalies, &mut row);
        row
    }

    /// Replaces row `i` (all but its key) with `row`.
    pub(super) fn set(&mut self, i: usize, row: &SegmentRecord) {
        let (k, j) = self.locate(i);
        let c = &mut self.chunks[k];
        let old = c.rows[j];
        c.rows[j] = c.hold(row, Some(&old));
    }

    /// Inserts a row at `i` (at most [`RowQueue::len`]), in the chunk of
    /// the row it goes before, or at the end of the last one.
    pub(super) fn insert(&mut self, i: usize, key: Key, row: &SegmentRecord) {
        if i == self.len {
            return self.push(key, row);
        }
        let (k, j) = self.locate(i);
        let c = &mut self.chunks[k];
        let held = c.hold(row, None);
        c.keys.insert(j, key);
        c.rows.insert(j, held);
        self.len += 1;
    }

    /// The number of rows before the first whose key `pred` is false for
    /// (the rows being partitioned by it).
    pub(super) fn partition_point(&self, mut pred: impl FnMut(&Key) -> bool) -> usize {
        let mut before = 0;
        for c in &self.chunks {
            match c.keys.last() {
                Some(last) if pred(last) => before += c.len(),
                Some(_) => return before + c.keys.partition_point(&mut pred),
                None => {}
            }
        }
        before
    }

    /// The keys from `from` to the end, in order.
    pub(super) fn keys_mut(&mut self, from: usize) -> impl Iterator<Item = &mut Key> {
        let (k, j) = match from < self.len {
            true => self.locate(from),
            false => (self.chunks.len(), 0),
        };
        let mut skip = j;
        self.chunks.iter_mut().skip(k).flat_map(move |c| {
            let at = std::mem::take(&mut skip);
            c.keys[at..].iter_mut()
        })
    }

    /// Takes out the first `n` rows into `out`, as chunks: whole chunks as
    /// they are, and of a chunk only partly taken, its first rows moved
    /// into a chunk of their own.
    pub(super) fn take_front(&mut self, mut n: usize, out: &mut Vec<Chunk>) {
        self.len -= n.min(self.len);
        while n > 0 {
            let Some(c) = self.chunks.front_mut() else {
                break;
            };
            if c.len() <= n {
                n -= c.len();
                out.push(self.chunks.pop_front().expect("a chunk"));
            } else {
                // The lists stay whole in both (the rows taken out keep
                // their places in them).
                let mut part = self.spare.pop().unwrap_or_default();
                part.keys.extend(c.keys.drain(..n));
                part.rows.extend(c.rows.drain(..n));
                part.transitions.extend_from_slice(&c.transitions);
                part.anomalies.extend_from_slice(&c.anomalies);
                out.push(part);
                n = 0;
            }
        }
    }

    /// Takes back emptied chunks, for their allocations.
    pub(super) fn give_back(&mut self, chunks: &mut Vec<Chunk>) {
        for c in chunks.drain(..) {
            debug_assert!(c.is_empty(), "a chunk given back empty");
            if c.rows.capacity() > 0 {
                self.spare.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anomaly::AnomalyKind;
    use crate::state::Basis;
    use crate::vocab::Role;

    fn key(frame: u64) -> Key {
        Key {
            frame,
            creation: frame,
            stream: Some(frame * 10),
            event: false,
        }
    }

    /// A row at `frame` with `t` transitions and `a` anomalies, told apart
    /// by their frames.
    fn row(frame: u64, t: usize, a: usize) -> SegmentRecord {
        let mut r = SegmentRecord {
            frame,
            ts_ns: frame as i64 * 1000,
            stream: 0,
            flags: TcpFlags(0x12),
            payload_len: 7,
            outcome: SegmentOutcome::blank(Direction::ServerToClient),
            analysis: Verdicts::default(),
            tunnel: None,
            short_header: true,
            icmp: None,
            event: false,
        };
        for k in 0..t as u64 {
            r.outcome.transitions.push(Transition {
                endpoint: Role::Server,
                from: TcpState::Listen,
                to: TcpState::SynReceived,
                basis: Basis::Received,
                rule: "rule",
                frame: frame * 100 + k,
                ts: 0,
            });
        }
        for k in 0..a as u64 {
            let kind = AnomalyKind::ALL[0];
            r.outcome
                .anomalies
                .push(Anomaly::new(kind, frame * 100 + k, None, [k, 0]));
        }
        r
    }

    /// What tells two rows apart here, and shows where their lists went.
    fn sig(r: &SegmentRecord) -> (u64, u64, Vec<u64>, Vec<u64>) {
        let o = &r.outcome;
        (
            r.frame,
            r.stream,
            o.transitions.iter().map(|t| t.frame).collect(),
            o.anomalies.iter().map(|a| a.frame).collect(),
        )
    }

    /// Row `j` of `c` whole, written over a record that held another.
    fn whole(c: &Chunk, j: usize) -> SegmentRecord {
        let mut r = row(999, 8, 4);
        r.event = true;
        r.short_header = false;
        r.analysis.acks_frame = Some(5);
        c.record_into(j, &mut r);
        r
    }

    fn push(q: &mut RowQueue, frame: u64) {
        q.push(
            key(frame),
            &row(frame, (frame % 3) as usize, (frame % 2) as usize),
        );
    }

    fn frames(q: &RowQueue) -> Vec<u64> {
        let v: Vec<u64> = (0..q.len()).map(|i| q.key(i).frame).collect();
        let rows: Vec<u64> = (0..q.len()).map(|i| q.get(i).frame).collect();
        assert_eq!(v, rows, "keys beside their rows");
        v
    }

    #[test]
    fn a_row_held_is_the_row_again_whole() {
        let mut q = RowQueue::default();
        q.begin_batch();
        for (f, t, a) in [(1, 0, 0), (2, 3, 1), (3, 8, 4), (4, 1, 0)] {
            q.push(key(f), &row(f, t, a));
        }
        for (i, (f, t, a)) in [(1, 0, 0), (2, 3, 1), (3, 8, 4), (4, 1, 0)]
            .iter()
            .enumerate()
        {
            let mut want = row(*f, *t, *a);
            want.stream = f * 10;
            // Read back for a rewrite, and into a record that held another
            // (as the merged batch's records do).
            for got in [q.get(i), whole(&q.chunks[0], i)] {
                assert_eq!(sig(&got), sig(&want));
                assert_eq!(got.outcome, want.outcome);
                let fields = (got.ts_ns, got.flags, got.payload_len);
                assert_eq!(fields, (want.ts_ns, want.flags, 7));
                assert_eq!(
                    (got.analysis, got.tunnel, got.icmp),
                    (want.analysis, None, None)
                );
                assert!(got.short_header && !got.event);
            }
        }
    }

    #[test]
    fn a_row_set_again_keeps_its_neighbours_lists() {
        let mut q = RowQueue::default();
        q.begin_batch();
        for f in 1..=3 {
            q.push(key(f), &row(f, 2, 1));
        }
        // Fewer transitions: written where they were.
        let mut r = q.get(1);
        r.outcome.transitions.pop();
        q.set(1, &r);
        // More than it had room for: written after the others.
        let mut r = q.get(0);
        r.outcome.transitions.push(r.outcome.transitions[0]);
        r.outcome.anomalies.clear();
        q.set(0, &r);
        let got: Vec<_> = (0..3).map(|i| sig(&q.get(i))).collect();
        assert_eq!(
            got,
            [
                (1, 10, vec![100, 101, 100], vec![]),
                (2, 20, vec![200], vec![200]),
                (3, 30, vec![300, 301], vec![300]),
            ]
        );
    }

    #[test]
    fn indexes_across_chunks_as_one_sequence() {
        let mut q = RowQueue::default();
        for (batch, fs) in [[1, 2, 3], [4, 5, 6], [7, 8, 9]].iter().enumerate() {
            q.begin_batch();
            for &f in fs {
                push(&mut q, f);
            }
            assert_eq!(q.len(), 3 * (batch + 1));
        }
        assert_eq!(frames(&q), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(q.partition_point(|k| k.frame < 5), 4);
        assert_eq!(q.partition_point(|k| k.frame < 7), 6);
        assert_eq!(q.partition_point(|k| k.frame < 100), 9);
        assert_eq!(q.partition_point(|k| k.frame < 1), 0);
        q.insert(3, key(35), &row(35, 1, 1));
        q.insert(10, key(95), &row(95, 0, 0));
        assert_eq!(frames(&q), [1, 2, 3, 35, 4, 5, 6, 7, 8, 9, 95]);
        assert_eq!(sig(&q.get(3)), (35, 350, vec![3500], vec![3500]));
        let seen: Vec<u64> = q.keys_mut(5).map(|k| k.frame).collect();
        assert_eq!(seen, [5, 6, 7, 8, 9, 95]);
        assert_eq!(q.keys_mut(11).count(), 0);
        assert_eq!(q.front_key().map(|k| k.frame), Some(1));
    }

    #[test]
    fn hands_out_whole_chunks_and_splits_a_partial_one() {
        let mut q = RowQueue::default();
        for fs in [[1, 2], [3, 4], [5, 6]] {
            q.begin_batch();
            for f in fs {
                push(&mut q, f);
            }
        }
        let want = |f: u64| {
            let mut r = row(f, (f % 3) as usize, (f % 2) as usize);
            r.stream = f * 10;
            sig(&r)
        };
        let mut out = Vec::new();
        q.take_front(3, &mut out);
        let got: Vec<Vec<_>> = out
            .iter()
            .map(|c| (0..c.len()).map(|j| sig(&whole(c, j))).collect())
            .collect();
        assert_eq!(got, [vec![want(1), want(2)], vec![want(3)]]);
        assert_eq!(frames(&q), [4, 5, 6]);
        assert_eq!(
            sig(&q.get(0)),
            want(4),
            "the rest of a split chunk keeps its lists"
        );
        out.iter_mut().for_each(Chunk::clear);
        q.give_back(&mut out);
        assert!(out.is_empty());
        // A new batch takes a chunk given back.
        q.begin_batch();
        push(&mut q, 7);
        assert_eq!(q.spare.len(), 1);
        q.take_front(4, &mut out);
        assert_eq!(q.len(), 0);
        assert_eq!(out.iter().map(Chunk::len).sum::<usize>(), 4);
    }
}
