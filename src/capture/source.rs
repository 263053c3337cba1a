//! Where the bytes come from: a memory map or vector holding the whole input,
//! or a byte stream read in chunks into recycled buffers.

use std::io::{ErrorKind, Read};
use std::ops::Deref;

use super::{Batch, Cursor, Damage, Framer, Status};

/// The whole input, in memory.
pub(crate) enum Backing {
    Mmap(memmap2::Mmap),
    Vec(Vec<u8>),
}

impl Backing {
    /// Maps a regular file; `None` if the operating system refuses.
    pub(crate) fn map(file: &std::fs::File) -> Option<Backing> {
        // SAFETY: the map is only ever read. As with every memory-mapped
        // reader, a file truncated by another process while we read it can
        // fault; captures being analysed are not expected to change.
        let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
        #[cfg(unix)]
        {
            // Framing reads the file front to back; a failed hint is harmless.
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        Some(Backing::Mmap(map))
    }
}

impl Backing {
    /// Gives the pages of `data[start..start + len]` back: the file is done
    /// with there. Without this, every page of the file read so far counts
    /// as the process's resident memory (the page cache keeps the file; the
    /// process need not), and the reported peak grows with the file.
    pub(crate) fn release(&self, start: usize, len: usize) {
        #[cfg(unix)]
        if let Backing::Mmap(m) = self {
            let len = len.min(m.len().saturating_sub(start));
            if len > 0 {
                // SAFETY: the map is a private, read-only file mapping: a
                // page given back reads the same file bytes again if it is
                // ever touched, so no reference into it can see a change.
                let _ = unsafe {
                    m.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len)
                };
            }
        }
        #[cfg(not(unix))]
        let _ = (start, len);
    }

    /// Maps the page tables of `data[start..start + len]` in one go where
    /// the system supports it (Linux 5.14+), instead of one page fault per
    /// few pages while framing. A failure only costs the page faults.
    pub(crate) fn prefault(&self, start: usize, len: usize) {
        #[cfg(target_os = "linux")]
        if let Backing::Mmap(m) = self {
            let len = len.min(m.len().saturating_sub(start));
            if len > 0 {
                let _ = m.advise_range(memmap2::Advice::PopulateRead, start, len);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (start, len);
    }
}

impl Deref for Backing {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Backing::Mmap(m) => m,
            Backing::Vec(v) => v,
        }
    }
}

/// Bytes asked of the stream per read call once a batch has frames.
const READ_CHUNK: usize = 256 * 1024;
/// A read returning fewer bytes than this (and than asked) ends the batch.
const SLOW_READ: usize = 16 * 1024;
/// A batch stops growing its buffer past this many bytes once it has frames.
const TARGET_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// A byte stream read in chunks.
///
/// Each batch owns a buffer (recycled across calls). Complete records are
/// framed in place; the tail of the last chunk that holds only part of a
/// record is moved to the front of the next batch's buffer.
pub(crate) struct StreamInput {
    reader: Box<dyn Read + Send>,
    /// Bytes read but not yet framed (the start of the next record).
    carry: Vec<u8>,
    /// Input offset of `carry[0]`.
    carry_offset: u64,
    eof: bool,
}

impl StreamInput {
    pub(crate) fn new(reader: Box<dyn Read + Send>) -> StreamInput {
        StreamInput {
            reader,
            carry: Vec::new(),
            carry_offset: 0,
            eof: false,
        }
    }

    /// Reads until `n` bytes are pending or the stream ends.
    pub(crate) fn fill_to(&mut self, n: usize) -> std::io::Result<()> {
        let mut chunk = [0u8; 64];
        while self.carry.len() < n && !self.eof {
            let want = (n - self.carry.len()).min(chunk.len());
            match self.reader.read(&mut chunk[..want]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.carry.extend_from_slice(&chunk[..k]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The bytes read so far and the rest of the stream.
    pub(crate) fn into_parts(self) -> (Vec<u8>, Box<dyn Read + Send>) {
        (self.carry, self.reader)
    }

    /// Bytes read but not framed yet.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.carry
    }

    /// Bytes read so far.
    pub(crate) fn filled(&self) -> usize {
        self.carry.len()
    }

    /// Drops the file header (already parsed by the probe).
    pub(crate) fn consume_header(&mut self, n: usize) {
        let n = n.min(self.carry.len());
        self.carry.drain(..n);
        self.carry_offset += n as u64;
    }

    /// Input offset up to which records have been framed.
    pub(crate) fn consumed(&self) -> u64 {
        self.carry_offset
    }

    /// One batch. `Ok(true)`: frames, more may follow; `Ok(false)`: clean end.
    pub(crate) fn next_batch(
        &mut self,
        framer: &mut Framer,
        batch: &mut Batch,
        max_frames: usize,
    ) -> Result<bool, Damage> {
        // The batch's buffer is kept at its full (initialised) length and
        // `filled` tracks the valid part, so reads never re-zero memory.
        let buf = &mut batch.owned;
        let mut filled = self.carry.len();
        if buf.len() < filled.max(READ_CHUNK) {
            buf.resize(filled.max(READ_CHUNK), 0);
        }
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut base = self.carry_offset;
        let mut pos = 0usize;
        let mut last_read_short = false;

        let outcome = loop {
            let mut c = Cursor {
                buf: &buf[..filled],
                pos,
                base,
                frames: &mut batch.frames,
                max_frames,
            };
            let status = framer.run(&mut c);
            pos = c.pos;
            match status {
                Status::Full => break Ok(true),
                Status::Damaged(d) => break Err(d),
                Status::NeedMore(_) => {}
            }
            if self.eof {
                if pos == filled {
                    break Ok(false);
                }
                break Err(framer.truncation(&buf[pos..filled], base + pos as u64));
            }
            let have_frames = !batch.frames.is_empty();
            if have_frames && (last_read_short || filled >= TARGET_BATCH_BYTES) {
                break Ok(true);
            }
            if !have_frames && pos > 0 {
                // Nothing in this batch refers to the consumed bytes (they were
                // non-packet blocks): drop them instead of growing the buffer.
                buf.copy_within(pos..filled, 0);
                filled -= pos;
                base += pos as u64;
                pos = 0;
            }
            // Room for one more chunk. The buffer grows only as the data
            // arrives, never to what a (possibly damaged) header claims: an
            // incomplete record costs at most its real size plus a chunk,
            // and its claimed length was already capped by the framer.
            let want = filled + READ_CHUNK;
            if buf.len() < want {
                buf.resize(want, 0);
            }
            let space = buf.len() - filled;
            match read_some(&mut self.reader, &mut buf[filled..]) {
                Ok(0) => self.eof = true,
                Ok(k) => {
                    // A read that found little waiting means the writer is
                    // slower than we are (a live capture): hand over what
                    // we have. A pipe's reads are capped by its buffer
                    // (64 KiB on Linux) however far ahead the writer is, so
                    // only a read well below that counts: ending a batch at
                    // every capped read made batches of a few hundred frames.
                    last_read_short = k < space.min(SLOW_READ);
                    filled += k;
                }
                Err(e) => {
                    break Err(match super::io_kind(e) {
                        // A damaged compressed stream: the record being read
                        // is where the capture stops.
                        kind @ super::CaptureErrorKind::Decompress(_) => Damage {
                            kind,
                            ..framer.truncation(&buf[pos..filled], base + pos as u64)
                        },
                        kind => Damage {
                            frame: None,
                            offset: base + filled as u64,
                            kind,
                        },
                    });
                }
            }
        };

        batch.shared = None;
        batch.start = 0;
        batch.end = pos;
        self.carry.extend_from_slice(&buf[pos..filled]);
        self.carry_offset = base + pos as u64;
        outcome
    }
}

fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}
