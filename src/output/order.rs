//! Rendered rows put in order, in bounded memory.
//!
//! The engine hands over a connection when it is finished, so rows come in
//! completion order, while people (and tshark's conversation table) expect
//! them by stream number. A connection open from the first frame to the last
//! holds back every row after it: [`StreamOrder`] keeps the rows it cannot
//! write yet in memory up to a limit, then spills them to a temporary file as
//! a sorted run, and merges memory and runs as the missing streams arrive.
//! Memory therefore stays bounded by the limit (plus one row per run), not by
//! the capture.
//!
//! [`Spool`] keeps one capture's rows while captures are analysed in
//! parallel, until the captures before it are written; it spills the same
//! way.
//!
//! Temporary files are created in [`std::env::temp_dir`] (`TMPDIR`) and
//! unlinked at once: nothing is left behind, even on a crash.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Bytes of rows kept in memory before they are spilled to a file.
pub const SPILL_BYTES: usize = 8 << 20;
/// Runs merged into one when there are more.
const MAX_RUNS: usize = 32;

/// A row that can wait on disk: it says its size and turns into bytes and
/// back. Rows are only encoded when they are spilled.
pub trait Spill: Sized {
    /// About how many bytes it holds in memory.
    fn size(&self) -> usize;
    /// Appends its bytes.
    fn encode(&self, out: &mut Vec<u8>);
    /// The row [`Spill::encode`] wrote.
    fn decode(bytes: &[u8]) -> Self;
}

impl Spill for Vec<u8> {
    fn size(&self) -> usize {
        self.len()
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self);
    }
    fn decode(bytes: &[u8]) -> Self {
        bytes.to_vec()
    }
}

/// Where ordered rows go.
pub type Emit<'a, T> = dyn FnMut(T) -> io::Result<()> + 'a;

/// Rows keyed by stream number, written in stream order.
///
/// Every stream from 0 up must be pushed exactly once (`None` for a stream
/// that shows nothing): a row is written as soon as every stream before it
/// has been.
pub struct StreamOrder<T> {
    next: u64,
    mem: BTreeMap<u64, Option<T>>,
    mem_bytes: usize,
    runs: Vec<Run>,
    limit: usize,
    buf: Vec<u8>,
}

impl<T: Spill> Default for StreamOrder<T> {
    fn default() -> StreamOrder<T> {
        StreamOrder::with_limit(SPILL_BYTES)
    }
}

impl<T: Spill> StreamOrder<T> {
    /// Spills when more than `limit` bytes of rows wait in memory.
    pub fn with_limit(limit: usize) -> StreamOrder<T> {
        StreamOrder {
            next: 0,
            mem: BTreeMap::new(),
            mem_bytes: 0,
            runs: Vec::new(),
            limit,
            buf: Vec::new(),
        }
    }

    /// Takes the row of `stream`, and writes every row now in order.
    pub fn push(&mut self, stream: u64, row: Option<T>, emit: &mut Emit<T>) -> io::Result<()> {
        if stream == self.next && self.runs.is_empty() {
            self.next += 1;
            if let Some(row) = row {
                emit(row)?;
            }
        } else {
            self.mem_bytes += row.as_ref().map_or(0, Spill::size) + 32;
            self.mem.insert(stream, row);
        }
        self.release(emit, false)?;
        if self.mem_bytes > self.limit {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes every row left, in stream order (streams never pushed are
    /// skipped).
    pub fn finish(&mut self, emit: &mut Emit<T>) -> io::Result<()> {
        self.release(emit, true)
    }

    /// Writes rows while the smallest one waiting is the next stream (or,
    /// with `all`, whatever it is).
    fn release(&mut self, emit: &mut Emit<T>, all: bool) -> io::Result<()> {
        loop {
            let mem_head = self.mem.first_key_value().map(|(s, _)| *s);
            let mut best: Option<(u64, Option<usize>)> = mem_head.map(|s| (s, None));
            for (i, r) in self.runs.iter().enumerate() {
                if let Some((s, _)) = &r.head {
                    if best.is_none_or(|(b, _)| *s < b) {
                        best = Some((*s, Some(i)));
                    }
                }
            }
            let Some((stream, from)) = best else {
                return Ok(());
            };
            if stream != self.next && !all {
                return Ok(());
            }
            let row = match from {
                None => {
                    let row = self.mem.pop_first().expect("head").1;
                    self.mem_bytes -= row.as_ref().map_or(0, Spill::size) + 32;
                    row
                }
                Some(i) => {
                    let bytes = self.runs[i].head.take().expect("head").1;
                    self.runs[i].advance()?;
                    if self.runs[i].head.is_none() {
                        self.runs.swap_remove(i);
                    }
                    // A row spilled as `None` is written as no bytes at all.
                    (!bytes.is_empty()).then(|| T::decode(&bytes[1..]))
                }
            };
            self.next = stream + 1;
            if let Some(row) = row {
                emit(row)?;
            }
        }
    }

    /// Moves the rows in memory to a new sorted run on disk.
    fn spill(&mut self) -> io::Result<()> {
        let mut w = BufWriter::new(temp_file()?);
        for (s, row) in std::mem::take(&mut self.mem) {
            self.buf.clear();
            if let Some(row) = row {
                // A marker byte, so that an empty row is not taken for none.
                self.buf.push(1);
                row.encode(&mut self.buf);
            }
            write_record(&mut w, s, &self.buf)?;
        }
        self.mem_bytes = 0;
        self.runs.push(Run::open(w)?);
        if self.runs.len() > MAX_RUNS {
            self.merge_runs()?;
        }
        Ok(())
    }

    /// Merges every run into one.
    fn merge_runs(&mut self) -> io::Result<()> {
        let mut w = BufWriter::new(temp_file()?);
        loop {
            let mut best: Option<(u64, usize)> = None;
            for (i, r) in self.runs.iter().enumerate() {
                if let Some((s, _)) = &r.head {
                    if best.is_none_or(|(b, _)| *s < b) {
                        best = Some((*s, i));
                    }
                }
            }
            let Some((s, i)) = best else { break };
            let (_, row) = self.runs[i].head.take().expect("head");
            write_record(&mut w, s, &row)?;
            self.runs[i].advance()?;
        }
        self.runs.clear();
        self.runs.push(Run::open(w)?);
        Ok(())
    }
}

/// A sorted run of rows in a temporary file, read one row ahead.
struct Run {
    reader: BufReader<File>,
    head: Option<(u64, Vec<u8>)>,
}

impl Run {
    fn open(w: BufWriter<File>) -> io::Result<Run> {
        let mut f = w.into_inner().map_err(|e| e.into_error())?;
        f.seek(SeekFrom::Start(0))?;
        let mut r = Run {
            reader: BufReader::new(f),
            head: None,
        };
        r.advance()?;
        Ok(r)
    }

    fn advance(&mut self) -> io::Result<()> {
        self.head = read_record(&mut self.reader)?;
        Ok(())
    }
}

fn write_record(w: &mut impl Write, stream: u64, row: &[u8]) -> io::Result<()> {
    w.write_all(&stream.to_le_bytes())?;
    w.write_all(&(row.len() as u64).to_le_bytes())?;
    w.write_all(row)
}

fn read_record(r: &mut impl Read) -> io::Result<Option<(u64, Vec<u8>)>> {
    let mut head = [0u8; 16];
    match r.read_exact(&mut head) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let stream = u64::from_le_bytes(head[..8].try_into().expect("8 bytes"));
    let len = u64::from_le_bytes(head[8..].try_into().expect("8 bytes"));
    // Room for the row at once (not grown as it is read), within reason
    // should the length be damaged.
    let mut row = Vec::with_capacity(len.min(1 << 20) as usize);
    r.take(len).read_to_end(&mut row)?;
    if row.len() as u64 != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "a spilled row was cut short",
        ));
    }
    Ok(Some((stream, row)))
}

/// A new temporary file, already unlinked.
fn temp_file() -> io::Result<File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir();
    for _ in 0..100 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = dir.join(format!(
            ".tcpstate-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        match File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(f) => {
                let _ = std::fs::remove_file(&path);
                return Ok(f);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot create a temporary file in {}: {e}", dir.display()),
                ));
            }
        }
    }
    Err(io::Error::other("cannot create a temporary file"))
}

/// One capture's rows, kept until they can be written: in memory up to a
/// limit, then in a temporary file.
pub struct Spool<T> {
    mem: Vec<u8>,
    file: Option<BufWriter<File>>,
    limit: usize,
    buf: Vec<u8>,
    rows: std::marker::PhantomData<T>,
}

impl<T: Spill> Default for Spool<T> {
    fn default() -> Spool<T> {
        Spool::with_limit(SPILL_BYTES)
    }
}

impl<T: Spill> Spool<T> {
    /// Spills beyond `limit` bytes.
    pub fn with_limit(limit: usize) -> Spool<T> {
        Spool {
            mem: Vec::new(),
            file: None,
            limit,
            buf: Vec::new(),
            rows: std::marker::PhantomData,
        }
    }

    /// Keeps one row.
    pub fn push(&mut self, row: &T) -> io::Result<()> {
        self.buf.clear();
        row.encode(&mut self.buf);
        if let Some(f) = &mut self.file {
            return write_record(f, 0, &self.buf);
        }
        write_record(&mut self.mem, 0, &self.buf)?;
        if self.mem.len() > self.limit {
            let mut f = BufWriter::new(temp_file()?);
            f.write_all(&self.mem)?;
            self.mem = Vec::new();
            self.file = Some(f);
        }
        Ok(())
    }

    /// Hands every row kept, in order, to `emit`.
    pub fn drain(self, emit: &mut Emit<T>) -> io::Result<()> {
        let mut read = |r: &mut dyn Read| -> io::Result<()> {
            let mut r = r;
            while let Some((_, row)) = read_record(&mut r)? {
                emit(T::decode(&row))?;
            }
            Ok(())
        };
        match self.file {
            None => read(&mut &self.mem[..]),
            Some(f) => {
                let mut f = f.into_inner().map_err(|e| e.into_error())?;
                f.seek(SeekFrom::Start(0))?;
                read(&mut BufReader::new(f))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(order: &[u64], limit: usize) -> Vec<u64> {
        let mut so = StreamOrder::with_limit(limit);
        let mut got = Vec::new();
        let mut emit = |b: Vec<u8>| {
            got.push(u64::from_le_bytes(b[..].try_into().unwrap()));
            Ok(())
        };
        for &s in order {
            // Every 7th stream shows nothing.
            let row = (s % 7 != 3).then(|| s.to_le_bytes().to_vec());
            so.push(s, row, &mut emit).unwrap();
        }
        so.finish(&mut emit).unwrap();
        got
    }

    #[test]
    fn rows_come_out_by_stream_whatever_the_completion_order() {
        // Stream 0 lives longest: everything waits for it.
        let mut order: Vec<u64> = (1..5000).collect();
        order.push(0);
        let want: Vec<u64> = (0..5000).filter(|s| s % 7 != 3).collect();
        assert_eq!(ordered(&order, usize::MAX), want);
        // The same with a tiny limit: hundreds of spilled runs, merged.
        assert_eq!(ordered(&order, 100), want);
    }

    #[test]
    fn interleaved_completions_with_spills_keep_the_order() {
        // A scrambled but complete permutation.
        let n = 3000u64;
        let order: Vec<u64> = (0..n).map(|i| (i * 1237) % n).collect();
        let want: Vec<u64> = (0..n).filter(|s| s % 7 != 3).collect();
        assert_eq!(ordered(&order, 64), want);
    }

    #[test]
    fn rows_are_written_as_soon_as_their_turn_comes() {
        let mut so = StreamOrder::with_limit(usize::MAX);
        let mut got = Vec::new();
        so.push(1, Some(b"b".to_vec()), &mut |r| {
            got.push(r);
            Ok(())
        })
        .unwrap();
        assert!(got.is_empty(), "stream 1 waits for stream 0");
        so.push(0, Some(b"a".to_vec()), &mut |r| {
            got.push(r);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, [b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn a_spool_gives_back_its_rows_from_memory_or_disk() {
        for limit in [usize::MAX, 10] {
            let mut sp = Spool::with_limit(limit);
            for i in 0..1000u32 {
                sp.push(&i.to_le_bytes().to_vec()).unwrap();
            }
            let mut got = Vec::new();
            sp.drain(&mut |r: Vec<u8>| {
                got.push(u32::from_le_bytes(r[..].try_into().unwrap()));
                Ok(())
            })
            .unwrap();
            assert_eq!(got, (0..1000).collect::<Vec<_>>(), "limit {limit}");
        }
    }
}
