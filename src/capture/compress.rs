//! Compressed captures: gzip, zstd and lz4, the formats Wireshark reads.
//!
//! A compressed input is recognised by its magic number (never by its
//! name) and decompressed on a thread of its own, which hands the
//! decompressed bytes over in recycled chunks: the capture reader frames
//! chunk N while chunk N+1 is decompressed, and the analysis runs beside
//! both. The reader sees an ordinary byte stream ([`Decompressed`]).
//!
//! Damage: a corrupt or truncated compressed stream ends the decompressed
//! stream with an error ([`DecompressError`]) after every byte decoded
//! before it; the capture reader turns that into a located capture error,
//! so everything before the damage is analysed. The decoders are
//! pure-Rust crates that decode into bounded buffers, whatever the
//! headers claim: flate2 (miniz_oxide backend), zstd (libzstd, which hands
//! out what it decodes at once instead of holding back a window) and
//! lz4_flex (whose unit of decoding is a block).

use std::fmt;
use std::io::{self, BufReader, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};

/// A compression format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952), one member or several.
    Gzip,
    /// Zstandard (RFC 8878), one frame or several.
    Zstd,
    /// The LZ4 frame format.
    Lz4,
}

impl Compression {
    /// The format's usual name.
    pub fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
            Compression::Lz4 => "lz4",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
const LZ4_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];

/// The compression of an input that starts with `head`, if any.
pub fn detect(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&GZIP_MAGIC) {
        Some(Compression::Gzip)
    } else if head.starts_with(&ZSTD_MAGIC) {
        Some(Compression::Zstd)
    } else if head.starts_with(&LZ4_MAGIC) {
        Some(Compression::Lz4)
    } else {
        None
    }
}

/// A corrupt or truncated compressed stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecompressError {
    /// The compression of the stream.
    pub format: Compression,
    /// Compressed bytes read when the damage was found (the decoders read
    /// ahead, so the damage lies at or before this offset).
    pub compressed_offset: u64,
    /// What the decoder found.
    pub message: String,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} stream damaged at or before compressed byte {}: {}",
            self.format, self.compressed_offset, self.message
        )
    }
}

impl std::error::Error for DecompressError {}

/// Decompressed bytes per chunk handed from the decompressing thread.
const CHUNK: usize = 1 << 20;
/// Chunks decompressed ahead of the reader.
const AHEAD: usize = 4;

enum Msg {
    Data(Vec<u8>),
    End,
    Failed(DecompressError),
}

/// The decompressed stream of a compressed input, decoded on its own thread.
pub struct Decompressed {
    rx: Receiver<Msg>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: Option<Result<(), DecompressError>>,
    compressed_read: Arc<AtomicU64>,
    format: Compression,
}

impl Decompressed {
    /// Starts decompressing `input` (which starts with the magic number of
    /// `format`) on a new thread.
    pub fn spawn(format: Compression, input: Box<dyn Read + Send>) -> io::Result<Decompressed> {
        let (tx, rx) = mpsc::sync_channel::<Msg>(AHEAD);
        let (recycle, spare) = mpsc::sync_channel::<Vec<u8>>(AHEAD + 2);
        let compressed_read = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&compressed_read);
        std::thread::Builder::new()
            .name(format!("{format} decompression"))
            .spawn(move || {
                let source = BufReader::with_capacity(
                    256 * 1024,
                    Counting {
                        inner: input,
                        count: counter,
                        error: None,
                    },
                );
                let mut sink = Sink {
                    tx,
                    spare,
                    buf: Vec::new(),
                };
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decode(format, source, &mut sink)
                }));
                let msg = match result {
                    Ok(Ok(())) => match sink.flush() {
                        Ok(()) => Msg::End,
                        Err(Stop) => return,
                    },
                    Ok(Err(Failure::Stop)) => return,
                    Ok(Err(Failure::Damaged(message, offset))) => {
                        if sink.flush().is_err() {
                            return;
                        }
                        Msg::Failed(DecompressError {
                            format,
                            compressed_offset: offset,
                            message,
                        })
                    }
                    Err(_) => {
                        if sink.flush().is_err() {
                            return;
                        }
                        Msg::Failed(DecompressError {
                            format,
                            compressed_offset: 0,
                            message: "the decoder failed on this input".into(),
                        })
                    }
                };
                let _ = sink.tx.send(msg);
            })?;
        Ok(Decompressed {
            rx,
            recycle,
            current: Vec::new(),
            pos: 0,
            done: None,
            compressed_read,
            format,
        })
    }

    /// Compressed bytes read so far (for progress).
    pub fn compressed_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.compressed_read)
    }

    /// Takes the next chunk: waits for one when `block`, else only takes
    /// one already there. `false` when none was taken.
    fn next_chunk(&mut self, block: bool) -> bool {
        if self.done.is_some() {
            return false;
        }
        let msg = if block {
            self.rx.recv().ok()
        } else {
            match self.rx.try_recv() {
                Ok(m) => Some(m),
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => None,
            }
        };
        match msg {
            Some(Msg::Data(chunk)) => {
                let old = std::mem::replace(&mut self.current, chunk);
                let _ = self.recycle.try_send(old);
                self.pos = 0;
                true
            }
            Some(Msg::End) => {
                self.done = Some(Ok(()));
                false
            }
            Some(Msg::Failed(e)) => {
                self.done = Some(Err(e));
                false
            }
            None => {
                self.done = Some(Err(DecompressError {
                    format: self.format,
                    compressed_offset: self.compressed_read.load(Ordering::Relaxed),
                    message: "the decompressing thread stopped".into(),
                }));
                false
            }
        }
    }
}

impl Read for Decompressed {
    /// Copies as much as is decompressed already (waiting only when
    /// nothing is), so that a read is as large as the buffer allows.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            if self.pos == self.current.len() && !self.next_chunk(n == 0) {
                break;
            }
            let k = (self.current.len() - self.pos).min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&self.current[self.pos..self.pos + k]);
            self.pos += k;
            n += k;
        }
        if n == 0 {
            if let Some(Err(e)) = &self.done {
                return Err(io::Error::new(io::ErrorKind::InvalidData, e.clone()));
            }
        }
        Ok(n)
    }
}

/// Counts the compressed bytes read, and reads whole buffers: a read
/// returns less than asked only at the end of the input (or before an
/// error). So the decoder is handed the same input in the same steps
/// however the input's own reads are cut (a pipe's, a socket's), and what it
/// recovers before damage is the same from a file, a pipe or memory.
struct Counting {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
    /// An error met after some bytes were read: returned by the next read.
    error: Option<io::Error>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut n = 0;
        while n < buf.len() {
            match self.inner.read(&mut buf[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // What was read goes first, the error with the next read.
                Err(e) if n > 0 => {
                    self.error = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The reader went away: stop quietly.
struct Stop;

enum Failure {
    Stop,
    /// (what, compressed bytes read)
    Damaged(String, u64),
}

/// Where the decoders write: fills chunks and sends them.
struct Sink {
    tx: SyncSender<Msg>,
    spare: Receiver<Vec<u8>>,
    buf: Vec<u8>,
}

impl Sink {
    fn flush(&mut self) -> Result<(), Stop> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.buf);
        self.tx.send(Msg::Data(chunk)).map_err(|_| Stop)
    }

    /// Room to decode into directly: the unused part of the current chunk.
    fn room(&mut self) -> &mut Vec<u8> {
        if self.buf.capacity() == 0 {
            self.buf = self.spare.try_recv().unwrap_or_default();
            self.buf.clear();
            self.buf.reserve_exact(CHUNK);
        }
        &mut self.buf
    }
}

/// Compressed bytes the decoder has taken from `source`.
fn compressed(source: &BufReader<Counting>) -> u64 {
    source.get_ref().count.load(Ordering::Relaxed) - source.buffer().len() as u64
}

/// Runs the decoder of `format` over `source` into `sink`.
fn decode(
    format: Compression,
    source: BufReader<Counting>,
    sink: &mut Sink,
) -> Result<(), Failure> {
    match format {
        Compression::Gzip => {
            let mut d = flate2::bufread::MultiGzDecoder::new(source);
            pump(&mut d, sink, |d| compressed(d.get_ref()))
        }
        Compression::Lz4 => {
            let mut d = lz4_flex::frame::FrameDecoder::new(source);
            pump(&mut d, sink, |d| compressed(d.get_ref()))
        }
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(source)
                .map_err(|e| Failure::Damaged(e.to_string(), 0))?;
            // The decoder's default limit, stated: a frame header cannot
            // make it allocate a larger window than 128 MiB.
            d.window_log_max(27)
                .map_err(|e| Failure::Damaged(e.to_string(), 0))?;
            // libzstd takes in a whole block before it reports damage in
            // it: what it has taken bounds where the damage is (and, unlike
            // what was read from the input, does not depend on how the
            // input's reads were cut).
            pump(&mut d, sink, |d| compressed(d.get_ref()))
        }
    }
}

/// Decompressed bytes asked of a decoder per call. A decoder that finds
/// damage drops what it decoded in that call: small calls keep what is
/// lost before the damage small (the cost per call is negligible).
const STEP: usize = 4096;

/// Reads a decoder to its end into the sink.
fn pump<R: Read>(d: &mut R, sink: &mut Sink, offset: impl Fn(&R) -> u64) -> Result<(), Failure> {
    loop {
        let buf = sink.room();
        let len = buf.len();
        buf.resize((len + STEP).min(CHUNK), 0);
        let r = loop {
            match d.read(&mut buf[len..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r,
            }
        };
        match r {
            Ok(0) => {
                buf.truncate(len);
                return Ok(());
            }
            Ok(n) => {
                buf.truncate(len + n);
                if buf.len() >= CHUNK {
                    sink.flush().map_err(|_| Failure::Stop)?;
                }
            }
            Err(e) => {
                buf.truncate(len);
                return Err(Failure::Damaged(describe(&e), offset(d)));
            }
        }
    }
}

fn describe(e: &io::Error) -> String {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        "the compressed data ends early (the file is truncated)".into()
    } else {
        e.to_string()
    }
}
