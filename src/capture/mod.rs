//! Capture reading: pcap and pcapng files (memory-mapped) or standard input
//! (read in chunks), framed into batches of [`FrameDesc`]s.
//!
//! The reader only *frames* the input: it finds every packet record, works out
//! its timestamp, interface and link type, and records where its captured
//! bytes are. It never copies packet bytes on the memory-mapped path, and on
//! the streaming path it copies each byte once, into a buffer owned by the
//! [`Batch`] that is reused from call to call.
//!
//! Framing is strictly sequential and cheap; decoding the frames of a batch
//! (see [`crate::decode`]) can then run on several threads because a `Batch`
//! is `Send + Sync`.
//!
//! Damage handling mirrors Wireshark: a record whose header claims more than
//! [`MAX_CAPLEN`] captured bytes, a pcapng block longer than
//! [`MAX_BLOCK_LEN`], an inconsistent block, or a file that ends inside a
//! record stops reading with [`Next::Damaged`], after every valid frame before
//! the damage has been delivered.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub mod compress;
pub mod inputs;
mod pcap;
mod pcapng;
mod source;

pub use compress::{Compression, DecompressError};
use source::{Backing, StreamInput};

/// A link-layer header type, as a `LINKTYPE_*` value of the tcpdump.org registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II (and 802.3).
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP as written by some BSDs (`DLT_RAW` = 12 there).
    pub const RAW_BSD12: LinkType = LinkType(12);
    /// Raw IP as written by OpenBSD (`DLT_RAW` = 14 there).
    pub const RAW_BSD14: LinkType = LinkType(14);
    /// Raw IP, version from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family, big-endian.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux netfilter NFLOG.
    pub const NFLOG: LinkType = LinkType(239);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0 => "NULL",
            1 => "EN10MB",
            12 | 14 | 101 => "RAW",
            108 => "LOOP",
            113 => "LINUX_SLL",
            228 => "IPV4",
            229 => "IPV6",
            239 => "NFLOG",
            276 => "LINUX_SLL2",
            _ => return write!(f, "linktype {}", self.0),
        };
        write!(f, "{name} ({})", self.0)
    }
}

/// Largest captured length accepted for one packet (Wireshark's limit for
/// ordinary link types). A record claiming more is treated as corrupt, so a
/// damaged header never makes the reader allocate or skip gigabytes.
pub const MAX_CAPLEN: u32 = 262_144;

/// Largest pcapng block accepted (16 MiB). A block header claiming more is
/// treated as corrupt.
pub const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;

/// Interfaces one pcapng section may describe. An Interface Description
/// Block past it is treated as damage: packets name their interface by its
/// index in the section, so the framer must keep every one (about 40 bytes
/// each).
pub const MAX_SECTION_INTERFACES: usize = 65_536;

/// Interfaces listed by [`CaptureReader::interfaces`]: the first ones of the
/// file; later ones are still read, and counted by
/// [`CaptureReader::unlisted_interfaces`].
pub const MAX_LISTED_INTERFACES: usize = 4_096;

/// Bytes of an interface's `if_name` kept (cut at a character boundary).
pub const MAX_IF_NAME: usize = 128;

/// The container format of a capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Classic libpcap format.
    Pcap {
        /// Header and record fields are big-endian.
        big_endian: bool,
        /// Timestamps have nanosecond resolution (magic `a1b23c4d`).
        nanosecond: bool,
        /// The "modified" (Alexey Kuznetsov) variant, magic `a1b2cd34`, with
        /// 24-byte record headers.
        modified: bool,
    },
    /// pcapng (possibly several sections, each with its own byte order).
    PcapNg,
}

/// One capture interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// Global index across sections, like Wireshark's `frame.interface_id`
    /// (0 for classic pcap).
    pub id: u32,
    /// Link-layer header type of this interface's packets.
    pub link_type: LinkType,
    /// Snapshot length (0 = unlimited in pcapng).
    pub snaplen: u32,
    /// `if_name` option, when present.
    pub name: Option<String>,
}

/// Where one packet is, and what the capture file says about it.
#[derive(Clone, Copy, Debug)]
pub struct FrameDesc {
    /// 1-based; counts every packet record/block of the file (EPB, SPB,
    /// obsolete PB, pcap records) like Wireshark's `frame.number`. Wireshark
    /// also numbers pcapng systemd journal blocks, which are not delivered,
    /// so numbers can skip one there.
    pub number: u64,
    /// Exact integer nanoseconds since the epoch (truncated for resolutions
    /// finer than 1 ns; saturated beyond the `i64` range). A pcapng Simple
    /// Packet Block has no timestamp and gets the previous packet's.
    pub ts_ns: i64,
    /// Global interface id (0 for classic pcap).
    pub interface: u32,
    /// Link type of the interface the packet was captured on.
    pub link_type: LinkType,
    /// Offset of the captured bytes inside [`Batch::data`].
    pub data_start: u32,
    /// Number of captured bytes.
    pub caplen: u32,
    /// Length of the packet on the wire, as recorded.
    pub orig_len: u32,
    /// Byte offset of this record's header/block in the input.
    pub file_offset: u64,
}

/// A reusable batch of frames plus the bytes they point into.
///
/// On the memory-mapped path the bytes are a window of the shared map; on the
/// streaming path they are a buffer owned by the batch and recycled from one
/// [`CaptureReader::next_batch`] call to the next.
#[derive(Default)]
pub struct Batch {
    frames: Vec<FrameDesc>,
    shared: Option<Arc<Backing>>,
    start: usize,
    end: usize,
    owned: Vec<u8>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Batch {
        Batch::default()
    }

    /// The frames, in file order.
    pub fn frames(&self) -> &[FrameDesc] {
        &self.frames
    }

    /// The bytes that [`FrameDesc::data_start`] indexes into.
    pub fn data(&self) -> &[u8] {
        match &self.shared {
            Some(b) => b.get(self.start..self.end).unwrap_or(&[]),
            None => self.owned.get(..self.end).unwrap_or(&[]),
        }
    }

    /// The captured bytes of `f` (empty if `f` does not belong to this batch).
    pub fn frame_bytes(&self, f: &FrameDesc) -> &[u8] {
        let start = f.data_start as usize;
        let end = start + f.caplen as usize;
        self.data().get(start..end).unwrap_or(&[])
    }

    fn reset(&mut self) {
        self.frames.clear();
        self.shared = None;
        self.start = 0;
        self.end = 0;
    }
}

/// Result of [`CaptureReader::next_batch`].
#[derive(Debug)]
pub enum Next {
    /// The batch holds at least one frame; more may follow.
    Frames,
    /// Clean end of input; the batch may hold the last frames.
    End,
    /// The input is corrupt or truncated at the given place; the batch holds
    /// every valid frame before the damage. Later calls return `End`.
    Damaged(CaptureError),
}

/// A capture-reading error, located in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureError {
    /// Name of the input (path, or `-` for standard input).
    pub file: String,
    /// Frame number of the damaged record, when the damage is in one.
    pub frame: Option<u64>,
    /// Byte offset of the damaged record/block (or of the error) in the input.
    pub offset: u64,
    /// What went wrong.
    pub kind: CaptureErrorKind,
}

/// What went wrong while reading a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureErrorKind {
    /// The input could not be opened (it does not exist, is a directory, ...).
    Open(String),
    /// The operating system reported an error.
    Io(String),
    /// The input is not a pcap or pcapng capture.
    NotACapture(String),
    /// The input ends inside a header or record.
    Truncated {
        /// Bytes the record (or header) needs.
        needed: u64,
        /// Bytes actually present.
        available: u64,
    },
    /// A header or record is inconsistent.
    Corrupt(String),
    /// The compressed stream the capture is read from is corrupt or
    /// truncated (byte offsets then count decompressed bytes).
    Decompress(DecompressError),
}

impl fmt::Display for CaptureErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureErrorKind::Open(e) => write!(f, "cannot open it: {e}"),
            CaptureErrorKind::Io(e) => write!(f, "read error: {e}"),
            CaptureErrorKind::NotACapture(why) => write!(f, "not a pcap or pcapng capture: {why}"),
            CaptureErrorKind::Truncated { needed, available } => write!(
                f,
                "file ends inside the record ({needed} bytes needed, {available} present)"
            ),
            CaptureErrorKind::Corrupt(why) => f.write_str(why),
            CaptureErrorKind::Decompress(e) => {
                write!(f, "{e} (byte offsets count decompressed bytes)")
            }
        }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // What the file is, or why it cannot be opened, needs no offset.
        if self.offset == 0
            && matches!(
                self.kind,
                CaptureErrorKind::Open(_) | CaptureErrorKind::NotACapture(_)
            )
        {
            return write!(f, "{}: {}", self.file, self.kind);
        }
        match self.frame {
            Some(n) => write!(
                f,
                "{}: frame {} at byte offset {}: {}",
                self.file, n, self.offset, self.kind
            ),
            None => write!(
                f,
                "{}: at byte offset {}: {}",
                self.file, self.offset, self.kind
            ),
        }
    }
}

impl std::error::Error for CaptureError {}

/// Damage found by a framer; the reader adds the file name.
#[derive(Debug)]
struct Damage {
    frame: Option<u64>,
    offset: u64,
    kind: CaptureErrorKind,
}

/// What a framer stopped on.
#[derive(Debug)]
enum Status {
    /// `max_frames` frames are in the batch.
    Full,
    /// The next record (at the current position) needs this many bytes from
    /// the current position; fewer are available.
    NeedMore(usize),
    /// The record at the current position is corrupt.
    Damaged(Damage),
}

/// What one call of a framer works on: records of `buf` from `pos`
/// (advanced past every complete record consumed) are framed into
/// `frames`, until `max_frames` frames are there or the next record is
/// incomplete or damaged. `base` is the input offset of `buf[0]`; `buf`
/// must be shorter than 4 GiB.
pub(crate) struct Cursor<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) base: u64,
    pub(crate) frames: &'a mut Vec<FrameDesc>,
    pub(crate) max_frames: usize,
}

/// The format-specific framer.
enum Framer {
    Pcap(pcap::PcapFramer),
    PcapNg(pcapng::PcapNgFramer),
}

impl Framer {
    /// Frames what `c` holds (see [`Cursor`]).
    fn run(&mut self, c: &mut Cursor<'_>) -> Status {
        match self {
            Framer::Pcap(p) => p.run(c),
            Framer::PcapNg(p) => p.run(c),
        }
    }

    /// The damage to report when the input ends at `offset` with only `rest`
    /// left of the record there.
    fn truncation(&self, rest: &[u8], offset: u64) -> Damage {
        match self {
            Framer::Pcap(p) => p.truncation(rest, offset),
            Framer::PcapNg(p) => p.truncation(rest, offset),
        }
    }

    fn interfaces(&self) -> &[InterfaceInfo] {
        match self {
            Framer::Pcap(p) => p.interfaces(),
            Framer::PcapNg(p) => p.interfaces(),
        }
    }
}

enum Input {
    /// The whole input is in memory (memory map or `from_bytes`).
    Whole {
        data: Arc<Backing>,
        pos: usize,
        /// The map's page tables are populated up to here.
        prefaulted: usize,
        /// The map before this offset has been given back
        /// ([`Backing::release`]).
        released: usize,
        /// Largest window handed out in one batch.
        window: usize,
    },
    /// The input is read in chunks.
    Stream(StreamInput),
}

/// Reads a pcap or pcapng capture batch by batch.
pub struct CaptureReader {
    name: String,
    format: Format,
    framer: Framer,
    input: Input,
    total_len: Option<u64>,
    finished: bool,
    /// The compression the capture was read through, if any, and the
    /// compressed bytes read so far.
    compression: Option<(Compression, Arc<AtomicU64>)>,
}

/// Standard input, when it is a pipe, is given a 1 MiB buffer (Linux's
/// default limit for a process without privileges) instead of 64 KiB: a
/// read returns at most what the pipe holds, so `cat F | tcpstate summary
/// -` took a read, and the writer a wake-up, for every 64 KiB. Elsewhere,
/// or if the system refuses, the pipe stays as it is.
fn widen_stdin_pipe() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: fstat and fcntl on descriptor 0 with a valid buffer and
        // integer arguments; they change nothing but the pipe's capacity.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(libc::STDIN_FILENO, &mut st) == 0
                && st.st_mode & libc::S_IFMT == libc::S_IFIFO
            {
                libc::fcntl(libc::STDIN_FILENO, libc::F_SETPIPE_SZ, 1 << 20);
            }
        }
    }
}

/// Bytes read before the format is recognised: a classic pcap header needs
/// 24, and an input that is no capture is described from its first 64
/// ([`describe_content`]) whether it is a file or a stream, however the
/// stream's reads are cut.
const PROBE_LEN: usize = 64;

impl CaptureReader {
    /// Opens a capture file; `-` is standard input (on Linux, a piped one
    /// is given a 1 MiB pipe buffer, see `widen_stdin_pipe`).
    ///
    /// Regular files are memory-mapped (or read in chunks if mapping fails);
    /// pipes, FIFOs and standard input are read in chunks.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        let name = path.display().to_string();
        if path.as_os_str() == "-" {
            widen_stdin_pipe();
            return CaptureReader::from_read(name, Box::new(std::io::stdin()));
        }
        let open_err = |why: String| CaptureError {
            file: name.clone(),
            frame: None,
            offset: 0,
            kind: CaptureErrorKind::Open(why),
        };
        let file = std::fs::File::open(path).map_err(|e| open_err(os_error(&e)))?;
        let meta = file.metadata().map_err(|e| open_err(os_error(&e)))?;
        if meta.is_dir() {
            return Err(open_err("it is a directory".into()));
        }
        if meta.is_file() {
            if meta.len() > 0 {
                if let Some(backing) = Backing::map(&file) {
                    if compress::detect(&backing).is_none() {
                        return CaptureReader::from_backing(name, Arc::new(backing));
                    }
                    // Compressed: decompressed as a stream from the file.
                }
            }
            let mut r = CaptureReader::from_read(name, Box::new(file))?;
            r.total_len = Some(meta.len());
            return Ok(r);
        }
        CaptureReader::from_read(name, Box::new(file))
    }

    /// Reads a capture from any byte stream, in chunks.
    pub fn from_read(
        name: impl Into<String>,
        r: Box<dyn Read + Send>,
    ) -> Result<CaptureReader, CaptureError> {
        let name = name.into();
        let mut input = StreamInput::new(r);
        let fill = |input: &mut StreamInput, name: &str| {
            input.fill_to(PROBE_LEN).map_err(|e| CaptureError {
                file: name.to_string(),
                frame: None,
                offset: input.filled() as u64,
                kind: io_kind(e),
            })
        };
        fill(&mut input, &name)?;
        let mut compression = None;
        if let Some(c) = compress::detect(input.pending()) {
            // The bytes read so far go first, then the rest of the stream.
            let (head, rest) = input.into_parts();
            let whole = Box::new(std::io::Cursor::new(head).chain(rest));
            let d = compress::Decompressed::spawn(c, whole).map_err(|e| CaptureError {
                file: name.clone(),
                frame: None,
                offset: 0,
                kind: CaptureErrorKind::Io(e.to_string()),
            })?;
            compression = Some((c, d.compressed_counter()));
            input = StreamInput::new(Box::new(d));
            fill(&mut input, &name)?;
        }
        let (format, framer, header_len) = match probe(input.pending()) {
            Ok(x) => x,
            Err(kind) => {
                let kind = match (kind, &compression) {
                    (CaptureErrorKind::NotACapture(why), Some((c, _))) => {
                        CaptureErrorKind::NotACapture(format!(
                            "{c}-compressed data that is not a capture ({why})"
                        ))
                    }
                    (kind, _) => kind,
                };
                return Err(CaptureError {
                    file: name,
                    frame: None,
                    offset: 0,
                    kind,
                });
            }
        };
        input.consume_header(header_len);
        Ok(CaptureReader {
            name,
            format,
            framer,
            input: Input::Stream(input),
            total_len: None,
            finished: false,
            compression,
        })
    }

    /// The compression the capture is read through, if any.
    pub fn compression(&self) -> Option<Compression> {
        self.compression.as_ref().map(|(c, _)| *c)
    }

    /// Reads a capture held in memory; a compressed one is decompressed as
    /// it is read, as from a file.
    pub fn from_bytes(
        name: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Result<CaptureReader, CaptureError> {
        if compress::detect(&bytes).is_some() {
            let len = bytes.len() as u64;
            let mut r = CaptureReader::from_read(name, Box::new(std::io::Cursor::new(bytes)))?;
            r.total_len = Some(len);
            return Ok(r);
        }
        CaptureReader::from_backing(name.into(), Arc::new(Backing::Vec(bytes)))
    }

    fn from_backing(name: String, data: Arc<Backing>) -> Result<CaptureReader, CaptureError> {
        let (format, framer, header_len) = match probe(&data) {
            Ok(x) => x,
            Err(kind) => {
                return Err(CaptureError {
                    file: name,
                    frame: None,
                    offset: 0,
                    kind,
                });
            }
        };
        let total_len = Some(data.len() as u64);
        Ok(CaptureReader {
            name,
            format,
            framer,
            input: Input::Whole {
                data,
                pos: header_len,
                prefaulted: 0,
                released: 0,
                window: MAX_WINDOW,
            },
            total_len,
            finished: false,
            compression: None,
        })
    }

    /// Clears `batch` and fills it with up to `max_frames` frames in file order
    /// (`max_frames` 0 counts as 1).
    ///
    /// * `Frames`: the batch holds at least one frame, more may follow.
    /// * `End`: clean end of input (the batch may hold the last frames).
    /// * `Damaged(e)`: the input is corrupt or truncated at `e.frame`/`e.offset`;
    ///   the batch holds every valid frame before the damage; later calls
    ///   return `End`.
    pub fn next_batch(&mut self, batch: &mut Batch, max_frames: usize) -> Next {
        let returned_end = match (&batch.shared, &self.input) {
            (Some(b), Input::Whole { data, .. }) if Arc::ptr_eq(b, data) => batch.end,
            _ => 0,
        };
        batch.reset();
        if self.finished {
            return Next::End;
        }
        let max_frames = max_frames.max(1);
        let result = match &mut self.input {
            Input::Whole {
                data,
                pos,
                prefaulted,
                released,
                window,
            } => {
                // The batch handed back is done with, and so is every batch
                // before it (batches come back in the order they were
                // framed): its pages go back, up to the page it ends in
                // (the next batch, still in use, starts there).
                if returned_end > *released + RELEASE_STEP {
                    let upto = returned_end & !(RELEASE_STEP - 1);
                    data.release(*released, upto - *released);
                    *released = upto;
                }
                // Keep the page tables of the map populated some way ahead.
                if *prefaulted < *pos + PREFAULT_AHEAD / 2 {
                    let from = (*prefaulted).max(*pos);
                    data.prefault(from, *pos + PREFAULT_AHEAD - from);
                    *prefaulted = *pos + PREFAULT_AHEAD;
                }
                next_whole(&mut self.framer, data, pos, *window, batch, max_frames)
            }
            Input::Stream(s) => s.next_batch(&mut self.framer, batch, max_frames),
        };
        match result {
            Ok(true) => Next::Frames,
            Ok(false) => {
                self.finished = true;
                Next::End
            }
            Err(d) => {
                self.finished = true;
                Next::Damaged(CaptureError {
                    file: self.name.clone(),
                    frame: d.frame,
                    offset: d.offset,
                    kind: d.kind,
                })
            }
        }
    }

    /// Name of the input (as given to `open`, `from_read` or `from_bytes`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Container format of the input.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Every interface seen so far (all sections of a pcapng file, in
    /// order), up to [`MAX_LISTED_INTERFACES`], names cut to
    /// [`MAX_IF_NAME`] bytes.
    pub fn interfaces(&self) -> &[InterfaceInfo] {
        self.framer.interfaces()
    }

    /// Interfaces read but not listed by [`CaptureReader::interfaces`]
    /// (past [`MAX_LISTED_INTERFACES`]).
    pub fn unlisted_interfaces(&self) -> u64 {
        match &self.framer {
            Framer::Pcap(_) => 0,
            Framer::PcapNg(p) => p.unlisted_interfaces(),
        }
    }

    /// Bytes of the input framed so far (for progress reporting); for a
    /// compressed input, the compressed bytes decompressed so far.
    pub fn bytes_consumed(&self) -> u64 {
        if let Some((_, read)) = &self.compression {
            return read.load(std::sync::atomic::Ordering::Relaxed);
        }
        match &self.input {
            Input::Whole { pos, .. } => *pos as u64,
            Input::Stream(s) => s.consumed(),
        }
    }

    /// Size of the input, when known.
    pub fn total_len(&self) -> Option<u64> {
        self.total_len
    }
}

/// How far ahead of the framing position a memory map's page tables are
/// populated: a few batches' worth (a batch of the 5M-packet workload is
/// about 800 KB). Every populated page counts in the process's RSS; 16 MiB
/// ahead showed as 14 MB more max RSS than 2 MiB, and was no faster.
const PREFAULT_AHEAD: usize = 2 * 1024 * 1024;

/// Pages of the map are given back in steps of this many bytes (a power of
/// two, a multiple of the page size).
const RELEASE_STEP: usize = 2 * 1024 * 1024;

/// Largest window of an in-memory input handed out in one batch, so that
/// `FrameDesc::data_start` (u32) can index it.
const MAX_WINDOW: usize = u32::MAX as usize;

/// One batch from an in-memory input. `Ok(true)`: frames, more may follow;
/// `Ok(false)`: clean end.
fn next_whole(
    framer: &mut Framer,
    data: &Arc<Backing>,
    pos: &mut usize,
    max_window: usize,
    batch: &mut Batch,
    max_frames: usize,
) -> Result<bool, Damage> {
    let len = data.len();
    let mut start = *pos;
    batch.shared = Some(Arc::clone(data));
    loop {
        let window_end = len.min(start.saturating_add(max_window));
        let window = &data[start..window_end];
        let mut c = Cursor {
            buf: window,
            pos: *pos - start,
            base: start as u64,
            frames: &mut batch.frames,
            max_frames,
        };
        let status = framer.run(&mut c);
        *pos = start + c.pos;
        batch.start = start;
        batch.end = *pos;
        match status {
            Status::Full => return Ok(*pos < len),
            Status::Damaged(d) => return Err(d),
            Status::NeedMore(_) if window_end == len => {
                if *pos == len {
                    return Ok(false);
                }
                return Err(framer.truncation(&data[*pos..], *pos as u64));
            }
            Status::NeedMore(needed) => {
                // The 4 GiB window is exhausted.
                if !batch.frames.is_empty() {
                    return Ok(true);
                }
                if *pos == start {
                    // A record larger than a whole window (impossible with
                    // the length caps; checked so that this cannot spin).
                    return Err(Damage {
                        frame: None,
                        offset: *pos as u64,
                        kind: CaptureErrorKind::Corrupt(format!(
                            "record of {needed} bytes does not fit a {max_window}-byte window"
                        )),
                    });
                }
                start = *pos;
            }
        }
    }
}

/// An I/O error while reading the input; the decompressing reader's errors
/// say where the compressed stream is damaged.
pub(crate) fn io_kind(e: std::io::Error) -> CaptureErrorKind {
    match e
        .get_ref()
        .and_then(|x| x.downcast_ref::<DecompressError>())
    {
        Some(d) => CaptureErrorKind::Decompress(d.clone()),
        None => CaptureErrorKind::Io(e.to_string()),
    }
}

/// An operating system error without Rust's "(os error N)" suffix.
fn os_error(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What the first bytes of an input that is not a capture show it to be.
pub(crate) fn describe_content(head: &[u8]) -> String {
    const COMPRESSED: [(&[u8], &str); 6] = [
        (&[0x1f, 0x8b], "gzip"),
        (&[0x28, 0xb5, 0x2f, 0xfd], "zstd"),
        (&[0x04, 0x22, 0x4d, 0x18], "lz4"),
        (b"BZh", "bzip2"),
        (&[0xfd, b'7', b'z', b'X', b'Z', 0], "xz"),
        (b"PK\x03\x04", "zip"),
    ];
    if head.is_empty() {
        return "it is empty".into();
    }
    if let Some((_, name)) = COMPRESSED.iter().find(|(m, _)| head.starts_with(m)) {
        return format!("it is {name}-compressed (decompress it first, e.g. with {name} -dc)");
    }
    let sample = &head[..head.len().min(64)];
    let text = std::str::from_utf8(sample)
        .or_else(|e| std::str::from_utf8(&sample[..e.valid_up_to()]))
        .unwrap_or("");
    if text.len() + 4 >= sample.len()
        && text
            .chars()
            .all(|c| !c.is_control() || c.is_ascii_whitespace())
    {
        let first_line = text.lines().next().unwrap_or("").trim();
        let shown: String = first_line.chars().take(40).collect();
        return format!("it is a text file (it begins \"{shown}\")");
    }
    let shown: Vec<String> = head.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("unknown magic number {}", shown.join(" "))
}

/// Recognises the format from the first bytes of the input. Returns the
/// format, its framer and how many bytes the file header takes (the pcapng
/// section header is framed as an ordinary block, so 0 there).
fn probe(head: &[u8]) -> Result<(Format, Framer, usize), CaptureErrorKind> {
    if head.is_empty() {
        return Err(CaptureErrorKind::NotACapture(describe_content(head)));
    }
    if head.len() >= 4 && head[..4] == pcapng::SHB_TYPE_BYTES {
        let framer = pcapng::PcapNgFramer::probe(head)?;
        return Ok((Format::PcapNg, Framer::PcapNg(framer), 0));
    }
    let framer = pcap::PcapFramer::probe(head)?;
    let format = framer.format();
    Ok((format, Framer::Pcap(framer), pcap::FILE_HEADER_LEN))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pcap file of `n` records of increasing sizes (10..) whose bytes
    /// encode their record number.
    fn pcap(n: u32) -> Vec<u8> {
        let mut out = Vec::new();
        for v in [0xA1B2_C3D4u32, 0x0004_0002, 0, 0, 65535, 1] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for i in 0..n {
            let len = 10 + i;
            for v in [i, 0, len, len] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend(std::iter::repeat_n(i as u8, len as usize));
        }
        out
    }

    /// Files larger than 4 GiB are handed out in windows that `u32`
    /// `data_start`s can index; a small window limit exercises the same code.
    #[test]
    fn windows_of_a_large_input_keep_every_frame_addressable() {
        let bytes = pcap(60);
        let mut r = CaptureReader::from_bytes("w", bytes).unwrap();
        if let Input::Whole { window, .. } = &mut r.input {
            *window = 200; // a few records per window, records straddle it
        }
        let mut batch = Batch::new();
        let mut seen = 0u32;
        loop {
            let next = r.next_batch(&mut batch, 1000);
            assert!(batch.data().len() <= 200);
            for f in batch.frames() {
                assert_eq!(f.number, seen as u64 + 1);
                let data = batch.frame_bytes(f);
                assert_eq!(data.len(), 10 + seen as usize);
                assert!(data.iter().all(|&b| b == seen as u8));
                seen += 1;
            }
            match next {
                Next::Frames => assert!(!batch.frames().is_empty()),
                Next::End => break,
                Next::Damaged(e) => panic!("{e}"),
            }
        }
        assert_eq!(seen, 60);
    }
}
