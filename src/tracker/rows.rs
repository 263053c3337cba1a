//! The timeline rows a tracker holds (see [`super::ROW_HOLD_FRAMES`]),
//! in one chunk per batch, each row's key beside it.
//!
//! A row is over 700 bytes. Held in one queue, the rows of a batch old
//! enough to be handed out were moved out of it into the engine's hands,
//! then once more into the merged batch the consumer gets. Held a batch
//! to a chunk, a whole chunk is handed out as it is, and comes back
//! empty, with its allocations, for a later batch: each row is moved once,
//! by the merge. Only a chunk partly ready (a batch whose frames are not
//! all old enough; rare, see [`RowQueue::take_front`]) is split.
//!
//! What the tracker and the merge look up (frame, stream, ...) is kept
//! apart from the rows, in a [`Key`] of 40 bytes: naming a batch's
//! streams, the merge's order and the searches for where a row goes read
//! those, not a cache line or two of every row (held four batches, rows
//! are out of the cache when they are handed out).

use crate::consumer::SegmentRecord;
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

/// The rows of one batch, each with its key.
#[derive(Default)]
pub(crate) struct Chunk {
    pub(crate) keys: Vec<Key>,
    pub(crate) rows: Vec<SegmentRecord>,
}

impl Chunk {
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Takes out every row, with its key, keeping the allocations.
    pub(crate) fn drain(
        &mut self,
    ) -> std::iter::Zip<std::vec::Drain<'_, Key>, std::vec::Drain<'_, SegmentRecord>> {
        self.keys.drain(..).zip(self.rows.drain(..))
    }
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

    pub(super) fn push(&mut self, key: Key, row: SegmentRecord) {
        if self.chunks.is_empty() {
            self.begin_batch();
        }
        let c = self.chunks.back_mut().expect("a chunk");
        c.keys.push(key);
        c.rows.push(row);
        self.len += 1;
    }

    /// The row pushed last.
    pub(super) fn last_mut(&mut self) -> Option<&mut SegmentRecord> {
        self.chunks.back_mut().and_then(|c| c.rows.last_mut())
    }

    pub(super) fn pop(&mut self) -> Option<(Key, SegmentRecord)> {
        let c = self.chunks.back_mut()?;
        let (key, row) = (c.keys.pop()?, c.rows.pop()?);
        self.len -= 1;
        Some((key, row))
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

    pub(super) fn row_mut(&mut self, i: usize) -> &mut SegmentRecord {
        let (k, j) = self.locate(i);
        &mut self.chunks[k].rows[j]
    }

    /// Inserts a row at `i` (at most [`RowQueue::len`]), in the chunk of
    /// the row it goes before, or at the end of the last one.
    pub(super) fn insert(&mut self, i: usize, key: Key, row: SegmentRecord) {
        if i == self.len {
            return self.push(key, row);
        }
        let (k, j) = self.locate(i);
        self.chunks[k].keys.insert(j, key);
        self.chunks[k].rows.insert(j, row);
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

    /// The rows from `from` to the end, in order, with their keys.
    pub(super) fn range_mut(
        &mut self,
        from: usize,
    ) -> impl Iterator<Item = (&mut Key, &mut SegmentRecord)> {
        let (k, j) = match from < self.len {
            true => self.locate(from),
            false => (self.chunks.len(), 0),
        };
        let mut skip = j;
        self.chunks.iter_mut().skip(k).flat_map(move |c| {
            let at = std::mem::take(&mut skip);
            c.keys[at..].iter_mut().zip(&mut c.rows[at..])
        })
    }

    /// The keys from `from` to the end, in order.
    pub(super) fn keys_mut(&mut self, from: usize) -> impl Iterator<Item = &mut Key> {
        self.range_mut(from).map(|(k, _)| k)
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
                let mut part = self.spare.pop().unwrap_or_default();
                part.keys.extend(c.keys.drain(..n));
                part.rows.extend(c.rows.drain(..n));
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

    fn key(frame: u64) -> Key {
        Key {
            frame,
            creation: frame,
            stream: None,
            event: false,
        }
    }

    fn row(frame: u64) -> SegmentRecord {
        use crate::decode::TcpFlags;
        use crate::replay::SegmentOutcome;
        use crate::vocab::Direction;
        SegmentRecord {
            frame,
            ts_ns: 0,
            stream: 0,
            flags: TcpFlags(0),
            payload_len: 0,
            outcome: SegmentOutcome::blank(Direction::ClientToServer),
            analysis: Default::default(),
            tunnel: None,
            short_header: false,
            icmp: None,
            event: false,
        }
    }

    fn push(q: &mut RowQueue, frame: u64) {
        q.push(key(frame), row(frame));
    }

    /// Each row's frame, from its key and from the row.
    fn frames(q: &mut RowQueue) -> Vec<u64> {
        let v: Vec<u64> = (0..q.len()).map(|i| q.key(i).frame).collect();
        let rows: Vec<u64> = (0..q.len()).map(|i| q.row_mut(i).frame).collect();
        assert_eq!(v, rows, "keys beside their rows");
        v
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
        assert_eq!(frames(&mut q), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(q.partition_point(|k| k.frame < 5), 4);
        assert_eq!(q.partition_point(|k| k.frame < 7), 6);
        assert_eq!(q.partition_point(|k| k.frame < 100), 9);
        assert_eq!(q.partition_point(|k| k.frame < 1), 0);
        q.insert(3, key(35), row(35));
        q.insert(10, key(95), row(95));
        assert_eq!(frames(&mut q), [1, 2, 3, 35, 4, 5, 6, 7, 8, 9, 95]);
        let seen: Vec<(u64, u64)> = q.range_mut(5).map(|(k, r)| (k.frame, r.frame)).collect();
        assert_eq!(seen, [(5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (95, 95)]);
        assert_eq!(q.range_mut(11).count(), 0);
        assert_eq!(q.keys_mut(9).map(|k| k.frame).collect::<Vec<_>>(), [9, 95]);
        assert_eq!(q.pop().map(|(k, r)| (k.frame, r.frame)), Some((95, 95)));
        assert_eq!(q.last_mut().map(|r| r.frame), Some(9));
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
        let mut out = Vec::new();
        q.take_front(3, &mut out);
        let got: Vec<Vec<u64>> = out
            .iter()
            .map(|c| c.rows.iter().map(|r| r.frame).collect())
            .collect();
        assert_eq!(got, [vec![1, 2], vec![3]]);
        assert_eq!(frames(&mut q), [4, 5, 6]);
        for c in &mut out {
            c.keys.clear();
            c.rows.clear();
        }
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
