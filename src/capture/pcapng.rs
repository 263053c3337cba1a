//! pcapng: block framing, sections, interfaces and packet blocks.
//!
//! Block framing (length, trailer and section byte-order checks) is done by
//! `pcap_file::pcapng::RawBlock`, and Section Header and Interface
//! Description Blocks are parsed by pcap-file's block parsers. What pcap-file
//! 2.0.0 does not do is handled here:
//!
//! * Enhanced Packet Block timestamps are turned into a `Duration` as if they
//!   were always nanoseconds, ignoring `if_tsresol` and `if_tsoffset`;
//!   timestamps are converted here with each interface's resolution and
//!   offset.
//! * Its EPB and PB parsers collect the options of every packet into a `Vec`,
//!   and its SPB keeps the block padding as packet data; the fixed fields of
//!   EPB, SPB and PB are therefore read here straight from the block body,
//!   which keeps the per-packet path free of allocation.
//! * It puts no limit on block lengths; blocks longer than [`MAX_BLOCK_LEN`]
//!   and packets claiming more than [`MAX_CAPLEN`] bytes are rejected here,
//!   before any more input is read for them.
//! * Its IDB parser rejects interfaces that Wireshark reads: option lists not
//!   closed by `opt_endofopt`, `if_tzone` (it requires length 1 and then reads
//!   4 bytes), non-UTF-8 strings, a non-zero reserved field. When it fails,
//!   the fixed fields and the options needed here are read leniently.
//! * Likewise an SHB whose options pcap-file rejects is accepted from its
//!   fixed fields.
//! * `PcapNgParser::next_raw_block` does the same framing but also parses
//!   every SHB and IDB itself and fails the whole stream when it rejects
//!   one (see above), so `RawBlock::from_slice` is called directly, with the
//!   section's byte order tracked here.
//!
//! Frame numbers follow Wireshark: besides packet blocks, a systemd journal
//! export block counts as a frame (it is not delivered, having no link-layer
//! data). A Simple Packet Block has no timestamp; it gets the previous
//! packet's, so that time never jumps back to the epoch.

use byteorder_slice::{BigEndian, ByteOrder, LittleEndian};
use pcap_file::PcapError;
use pcap_file::pcapng::RawBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::SectionHeaderBlock;
use pcap_file::pcapng::blocks::{
    ENHANCED_PACKET_BLOCK, INTERFACE_DESCRIPTION_BLOCK, PACKET_BLOCK, PcapNgBlock,
    SECTION_HEADER_BLOCK, SIMPLE_PACKET_BLOCK, SYSTEMD_JOURNAL_EXPORT_BLOCK,
};

use super::pcap::Prefetcher;
use super::{
    CaptureErrorKind, Cursor, Damage, FrameDesc, InterfaceInfo, LinkType, MAX_BLOCK_LEN,
    MAX_CAPLEN, MAX_IF_NAME, MAX_LISTED_INTERFACES, MAX_SECTION_INTERFACES, Status,
};

/// The Section Header Block type, as it appears in the file (a palindrome,
/// so the same in both byte orders).
pub(crate) const SHB_TYPE_BYTES: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];

const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Block header (type + length) plus trailer (length).
const BLOCK_OVERHEAD: usize = 12;

/// How one interface's raw timestamps become nanoseconds.
#[derive(Clone, Copy, Debug)]
struct TsConv {
    /// Timestamp units per second.
    units_per_sec: u128,
    /// `if_tsoffset`, in nanoseconds.
    offset_ns: i128,
}

impl TsConv {
    #[inline]
    fn to_ns(self, raw: u64) -> i64 {
        if self.offset_ns == 0 {
            // The common cases, exact in 64-bit arithmetic.
            if self.units_per_sec == 1_000_000 && raw <= (i64::MAX / 1000) as u64 {
                return raw as i64 * 1000;
            }
            if self.units_per_sec == 1_000_000_000 && raw <= i64::MAX as u64 {
                return raw as i64;
            }
        }
        self.to_ns_slow(raw)
    }

    #[cold]
    fn to_ns_slow(self, raw: u64) -> i64 {
        // raw * 10^9 < 2^94 and units_per_sec <= 10^38 < 2^127: no overflow.
        let ns = (raw as u128 * 1_000_000_000 / self.units_per_sec) as i128 + self.offset_ns;
        ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }
}

/// An interface of the current section.
#[derive(Clone, Copy, Debug)]
struct SectionIface {
    global_id: u32,
    link_type: LinkType,
    snaplen: u32,
    ts: TsConv,
}

/// What the framer needs from an Interface Description Block.
struct IdbFields {
    link_type: u32,
    snaplen: u32,
    tsresol: Option<u8>,
    tsoffset: Option<u64>,
    name: Option<String>,
}

pub(crate) struct PcapNgFramer {
    /// Byte order of the current section.
    big_endian: bool,
    /// A Section Header Block has been read.
    in_section: bool,
    /// Interfaces of the current section, by section-local id.
    section: Vec<SectionIface>,
    /// The interfaces of the file, by global id: the first
    /// [`MAX_LISTED_INTERFACES`].
    interfaces: Vec<InterfaceInfo>,
    /// The global id of the next interface.
    next_global_id: u32,
    /// Interfaces read past [`MAX_LISTED_INTERFACES`].
    unlisted: u64,
    /// Number of the next packet record.
    next_number: u64,
    /// Timestamp of the last packet (used for Simple Packet Blocks, which
    /// carry none).
    last_ts_ns: i64,
}

enum Inner {
    Done(Status),
    /// A Section Header Block was consumed; the byte order may have changed.
    NewSection,
}

impl PcapNgFramer {
    /// Checks the start of the first Section Header Block.
    pub(crate) fn probe(head: &[u8]) -> Result<PcapNgFramer, CaptureErrorKind> {
        if head.len() < BLOCK_OVERHEAD {
            return Err(CaptureErrorKind::Truncated {
                needed: BLOCK_OVERHEAD as u64,
                available: head.len() as u64,
            });
        }
        let big_endian = match section_byte_order(&head[8..12]) {
            Some(b) => b,
            None => {
                return Err(CaptureErrorKind::NotACapture(
                    "pcapng section header block with an invalid byte-order magic".into(),
                ));
            }
        };
        Ok(PcapNgFramer {
            big_endian,
            in_section: false,
            section: Vec::new(),
            interfaces: Vec::new(),
            next_global_id: 0,
            unlisted: 0,
            next_number: 1,
            last_ts_ns: 0,
        })
    }

    pub(crate) fn interfaces(&self) -> &[InterfaceInfo] {
        &self.interfaces
    }

    pub(crate) fn unlisted_interfaces(&self) -> u64 {
        self.unlisted
    }

    pub(crate) fn run(&mut self, c: &mut Cursor<'_>) -> Status {
        loop {
            let inner = if self.big_endian {
                self.run_inner::<BigEndian>(c)
            } else {
                self.run_inner::<LittleEndian>(c)
            };
            match inner {
                Inner::Done(status) => return status,
                Inner::NewSection => continue,
            }
        }
    }

    #[inline(never)]
    fn run_inner<B: ByteOrder>(&mut self, c: &mut Cursor<'_>) -> Inner {
        let (buf, base, max_frames) = (c.buf, c.base, c.max_frames);
        let frames = &mut *c.frames;
        // No more blocks than the bytes at hand can hold: a small capture
        // (one held in memory, say) does not get a batch-sized frame list.
        let room = max_frames
            .saturating_sub(frames.len())
            .min(buf.len().saturating_sub(c.pos) / BLOCK_OVERHEAD + 1);
        frames.reserve(room.min(1 << 16));
        let mut p = c.pos;
        let mut ahead = Prefetcher::new(p);
        let inner = loop {
            if frames.len() >= max_frames {
                break Inner::Done(Status::Full);
            }
            ahead.advance(buf, p);
            let offset = base + p as u64;
            let rest = &buf[p..];
            if rest.len() < BLOCK_OVERHEAD {
                break Inner::Done(Status::NeedMore(BLOCK_OVERHEAD));
            }
            let block_type = B::read_u32(&rest[0..4]);
            let block_len = match self.block_len::<B>(rest) {
                Ok(n) => n,
                Err(why) => break Inner::Done(self.corrupt(block_type, offset, why)),
            };
            if rest.len() < block_len {
                break Inner::Done(Status::NeedMore(block_len));
            }
            let raw = match RawBlock::from_slice::<B>(rest) {
                Ok((_, raw)) => raw,
                Err(e) => {
                    let why = self.framing_error::<B>(rest, block_len, e);
                    break Inner::Done(self.corrupt(block_type, offset, why));
                }
            };
            let body: &[u8] = &raw.body;
            // Offset of the body inside `buf`.
            let body_at = p + 8;

            if block_type == ENHANCED_PACKET_BLOCK && self.in_section {
                // The hot path.
                match self.packet_block::<B, false>(body, body_at, offset) {
                    Ok(f) => {
                        self.next_number += 1;
                        self.last_ts_ns = f.ts_ns;
                        frames.push(f);
                        p += block_len;
                        continue;
                    }
                    Err(e) => {
                        break Inner::Done(self.corrupt(block_type, offset, e.describe(self)));
                    }
                }
            }
            if block_type == SECTION_HEADER_BLOCK {
                if let Err(why) = self.section_header(body) {
                    break Inner::Done(self.corrupt(block_type, offset, why));
                }
                p += block_len;
                break Inner::NewSection;
            }
            if !self.in_section {
                break Inner::Done(self.corrupt(
                    block_type,
                    offset,
                    "block outside any section (no section header block before it)".into(),
                ));
            }
            let frame = match block_type {
                SIMPLE_PACKET_BLOCK => self.simple_packet::<B>(body, body_at, offset).map(Some),
                PACKET_BLOCK => self
                    .packet_block::<B, true>(body, body_at, offset)
                    .map(Some),
                INTERFACE_DESCRIPTION_BLOCK => match self.interface_description::<B>(body) {
                    Ok(()) => Ok(None),
                    Err(why) => break Inner::Done(self.corrupt(block_type, offset, why)),
                },
                SYSTEMD_JOURNAL_EXPORT_BLOCK => {
                    // Wireshark makes a frame (without link-layer data) of
                    // each journal entry; count it so that frame numbers
                    // stay aligned with Wireshark's.
                    self.next_number += 1;
                    Ok(None)
                }
                // Name resolution, interface statistics, decryption secrets,
                // custom and unknown blocks carry no packets.
                _ => Ok(None),
            };
            match frame {
                Ok(Some(f)) => {
                    self.next_number += 1;
                    self.last_ts_ns = f.ts_ns;
                    frames.push(f);
                }
                Ok(None) => {}
                Err(e) => break Inner::Done(self.corrupt(block_type, offset, e.describe(self))),
            }
            p += block_len;
        };
        c.pos = p;
        inner
    }

    /// Total length of the block at the start of `rest` (at least 12 bytes),
    /// validated against the format's rules and [`MAX_BLOCK_LEN`].
    #[inline(always)]
    fn block_len<B: ByteOrder>(&self, rest: &[u8]) -> Result<usize, String> {
        let block_type = B::read_u32(&rest[0..4]);
        let len = if block_type == SECTION_HEADER_BLOCK {
            // A new section may switch byte order: its own magic decides.
            match section_byte_order(&rest[8..12]) {
                Some(true) => BigEndian::read_u32(&rest[4..8]),
                Some(false) => LittleEndian::read_u32(&rest[4..8]),
                None => {
                    return Err("section header block with an invalid byte-order magic".into());
                }
            }
        } else {
            B::read_u32(&rest[4..8])
        };
        if len % 4 != 0 {
            return Err(format!("block length {len} is not a multiple of 4"));
        }
        if (len as usize) < BLOCK_OVERHEAD {
            return Err(format!(
                "block length {len} is less than the 12-byte minimum"
            ));
        }
        if len > MAX_BLOCK_LEN {
            return Err(format!(
                "block claims {len} bytes, more than the {MAX_BLOCK_LEN}-byte maximum"
            ));
        }
        Ok(len as usize)
    }

    /// Explains why pcap-file refused to frame a complete block.
    #[cold]
    fn framing_error<B: ByteOrder>(&self, rest: &[u8], block_len: usize, e: PcapError) -> String {
        let block_type = B::read_u32(&rest[0..4]);
        let big = if block_type == SECTION_HEADER_BLOCK {
            section_byte_order(&rest[8..12]).unwrap_or(self.big_endian)
        } else {
            self.big_endian
        };
        let trailer_bytes = &rest[block_len - 4..block_len];
        let trailer = if big {
            BigEndian::read_u32(trailer_bytes)
        } else {
            LittleEndian::read_u32(trailer_bytes)
        };
        if trailer as usize != block_len {
            format!("block trailer says {trailer} bytes but its header says {block_len}")
        } else {
            format!("bad block: {e}")
        }
    }

    fn corrupt(&self, block_type: u32, offset: u64, why: String) -> Status {
        Status::Damaged(Damage {
            frame: is_packet_block(block_type).then_some(self.next_number),
            offset,
            kind: CaptureErrorKind::Corrupt(why),
        })
    }

    fn section_header(&mut self, body: &[u8]) -> Result<(), String> {
        let (big_endian, major, minor) = match SectionHeaderBlock::from_slice::<BigEndian>(body) {
            Ok((_, shb)) => (
                shb.endianness.is_big(),
                shb.major_version,
                shb.minor_version,
            ),
            // pcap-file rejected the options: the fixed fields are enough.
            Err(_) if body.len() >= 16 => {
                let big = section_byte_order(&body[0..4]).ok_or_else(|| {
                    "section header block with an invalid byte-order magic".to_string()
                })?;
                let (major, minor) = if big {
                    (
                        BigEndian::read_u16(&body[4..6]),
                        BigEndian::read_u16(&body[6..8]),
                    )
                } else {
                    (
                        LittleEndian::read_u16(&body[4..6]),
                        LittleEndian::read_u16(&body[6..8]),
                    )
                };
                (big, major, minor)
            }
            Err(_) => return Err("section header block is too short".into()),
        };
        if major != 1 {
            return Err(format!("unsupported pcapng version {major}.{minor}"));
        }
        self.big_endian = big_endian;
        self.in_section = true;
        self.section.clear();
        Ok(())
    }

    fn interface_description<B: ByteOrder>(&mut self, body: &[u8]) -> Result<(), String> {
        let idb = match InterfaceDescriptionBlock::from_slice::<B>(body) {
            Ok((_, idb)) => {
                let mut fields = IdbFields {
                    link_type: u32::from(idb.linktype),
                    snaplen: idb.snaplen,
                    tsresol: None,
                    tsoffset: None,
                    name: None,
                };
                for opt in &idb.options {
                    match opt {
                        InterfaceDescriptionOption::IfTsResol(r) => fields.tsresol = Some(*r),
                        InterfaceDescriptionOption::IfTsOffset(o) => fields.tsoffset = Some(*o),
                        InterfaceDescriptionOption::IfName(n) => fields.name = Some(n.to_string()),
                        _ => {}
                    }
                }
                fields
            }
            Err(_) => lenient_idb::<B>(body)?,
        };
        let units_per_sec = match idb.tsresol {
            None => 1_000_000,
            Some(r) if r & 0x80 != 0 => 1u128 << (r & 0x7F),
            Some(r) if r <= 38 => 10u128.pow(r as u32),
            Some(r) => {
                return Err(format!(
                    "interface timestamp resolution 10^-{r} is out of range"
                ));
            }
        };
        // if_tsoffset is a signed number of seconds.
        let offset_ns = idb.tsoffset.map_or(0, |o| o as i64 as i128 * 1_000_000_000);
        if self.section.len() >= MAX_SECTION_INTERFACES {
            return Err(format!(
                "more than {MAX_SECTION_INTERFACES} interfaces in one section"
            ));
        }
        let global_id = self.next_global_id;
        self.next_global_id = self.next_global_id.saturating_add(1);
        let link_type = LinkType(idb.link_type);
        self.section.push(SectionIface {
            global_id,
            link_type,
            snaplen: idb.snaplen,
            ts: TsConv {
                units_per_sec,
                offset_ns,
            },
        });
        if self.interfaces.len() < MAX_LISTED_INTERFACES {
            self.interfaces.push(InterfaceInfo {
                id: global_id,
                link_type,
                snaplen: idb.snaplen,
                name: idb.name.map(|mut n| {
                    if n.len() > MAX_IF_NAME {
                        let mut cut = MAX_IF_NAME;
                        while !n.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        n.truncate(cut);
                        n.shrink_to_fit();
                    }
                    n
                }),
            });
        } else {
            self.unlisted += 1;
        }
        Ok(())
    }

    /// Enhanced Packet Block (`OBSOLETE` false): interface (4), timestamp
    /// (8), captured length (4), original length (4), data, options. The
    /// Obsolete Packet Block (`OBSOLETE` true) differs only in its first
    /// word: interface (2), drops (2).
    #[inline(always)]
    fn packet_block<B: ByteOrder, const OBSOLETE: bool>(
        &self,
        body: &[u8],
        body_at: usize,
        offset: u64,
    ) -> Result<FrameDesc, PacketError> {
        if body.len() < 20 {
            return Err(PacketError::TooShort(if OBSOLETE {
                "packet block"
            } else {
                "enhanced packet block"
            }));
        }
        let local_id = if OBSOLETE {
            B::read_u16(&body[0..2]) as u32
        } else {
            B::read_u32(&body[0..4])
        };
        let ts_raw = (B::read_u32(&body[4..8]) as u64) << 32 | B::read_u32(&body[8..12]) as u64;
        let caplen = B::read_u32(&body[12..16]);
        let orig_len = B::read_u32(&body[16..20]);
        let room = body.len() - 20;
        let iface = self
            .section
            .get(local_id as usize)
            .ok_or(PacketError::NoInterface(local_id))?;
        if caplen > MAX_CAPLEN {
            return Err(PacketError::TooBig(caplen));
        }
        if caplen as usize > room {
            return Err(PacketError::BeyondBlock { caplen, room });
        }
        Ok(FrameDesc {
            number: self.next_number,
            ts_ns: iface.ts.to_ns(ts_raw),
            interface: iface.global_id,
            link_type: iface.link_type,
            data_start: (body_at + 20) as u32,
            caplen,
            orig_len,
            file_offset: offset,
        })
    }

    /// Simple Packet Block: original length (4), data. Captured length is
    /// the original length limited by interface 0's snaplen and the body.
    /// It has no timestamp: the previous packet's is used.
    fn simple_packet<B: ByteOrder>(
        &self,
        body: &[u8],
        body_at: usize,
        offset: u64,
    ) -> Result<FrameDesc, PacketError> {
        if body.len() < 4 {
            return Err(PacketError::TooShort("simple packet block"));
        }
        let iface = self.section.first().ok_or(PacketError::NoInterfaceForSpb)?;
        let orig_len = B::read_u32(&body[0..4]);
        let mut caplen = orig_len.min((body.len() - 4) as u32);
        if iface.snaplen != 0 {
            caplen = caplen.min(iface.snaplen);
        }
        if caplen > MAX_CAPLEN {
            return Err(PacketError::TooBig(caplen));
        }
        Ok(FrameDesc {
            number: self.next_number,
            ts_ns: self.last_ts_ns,
            interface: iface.global_id,
            link_type: iface.link_type,
            data_start: (body_at + 4) as u32,
            caplen,
            orig_len,
            file_offset: offset,
        })
    }

    pub(crate) fn truncation(&self, rest: &[u8], offset: u64) -> Damage {
        let (block_type, needed) = if rest.len() < BLOCK_OVERHEAD {
            let t = if rest.len() >= 4 {
                self.read_u32(&rest[0..4])
            } else {
                0
            };
            (t, BLOCK_OVERHEAD as u64)
        } else {
            let t = self.read_u32(&rest[0..4]);
            let len = if self.big_endian {
                self.block_len::<BigEndian>(rest)
            } else {
                self.block_len::<LittleEndian>(rest)
            };
            (t, len.map_or(BLOCK_OVERHEAD as u64, |l| l as u64))
        };
        Damage {
            frame: is_packet_block(block_type).then_some(self.next_number),
            offset,
            kind: CaptureErrorKind::Truncated {
                needed,
                available: rest.len() as u64,
            },
        }
    }

    fn read_u32(&self, b: &[u8]) -> u32 {
        if self.big_endian {
            BigEndian::read_u32(b)
        } else {
            LittleEndian::read_u32(b)
        }
    }
}

/// Why a packet block is unusable (turned into a message only when
/// reported, to keep the per-packet path free of allocation).
#[derive(Debug)]
enum PacketError {
    TooShort(&'static str),
    NoInterface(u32),
    NoInterfaceForSpb,
    TooBig(u32),
    BeyondBlock { caplen: u32, room: usize },
}

impl PacketError {
    #[cold]
    fn describe(&self, framer: &PcapNgFramer) -> String {
        match *self {
            PacketError::TooShort(what) => format!("{what} is too short"),
            PacketError::NoInterface(id) => format!(
                "packet refers to interface {id}, but its section has {} interface(s)",
                framer.section.len()
            ),
            PacketError::NoInterfaceForSpb => {
                "simple packet block in a section without interfaces".into()
            }
            PacketError::TooBig(caplen) => format!(
                "packet claims {caplen} captured bytes, more than the {MAX_CAPLEN}-byte maximum"
            ),
            PacketError::BeyondBlock { caplen, room } => {
                format!("packet claims {caplen} captured bytes but its block holds only {room}")
            }
        }
    }
}

fn is_packet_block(block_type: u32) -> bool {
    matches!(
        block_type,
        ENHANCED_PACKET_BLOCK | SIMPLE_PACKET_BLOCK | PACKET_BLOCK
    )
}

/// Byte order announced by a section's byte-order magic (`Some(true)` = big).
fn section_byte_order(magic: &[u8]) -> Option<bool> {
    let m = BigEndian::read_u32(magic);
    if m == BYTE_ORDER_MAGIC {
        Some(true)
    } else if m.swap_bytes() == BYTE_ORDER_MAGIC {
        Some(false)
    } else {
        None
    }
}

/// Reads an IDB that pcap-file's parser refused: link type (2), reserved (2),
/// snaplen (4), then options (code, length, value padded to 4 bytes) until
/// `opt_endofopt` or the end of the body; a damaged option list ends it.
fn lenient_idb<B: ByteOrder>(body: &[u8]) -> Result<IdbFields, String> {
    if body.len() < 8 {
        return Err("interface description block is too short".into());
    }
    let mut fields = IdbFields {
        link_type: B::read_u16(&body[0..2]) as u32,
        snaplen: B::read_u32(&body[4..8]),
        tsresol: None,
        tsoffset: None,
        name: None,
    };
    let mut opts = &body[8..];
    while opts.len() >= 4 {
        let code = B::read_u16(&opts[0..2]);
        let len = B::read_u16(&opts[2..4]) as usize;
        if code == 0 || opts.len() < 4 + len {
            break;
        }
        let value = &opts[4..4 + len];
        match code {
            2 => fields.name = Some(String::from_utf8_lossy(value).into_owned()),
            9 if len >= 1 => fields.tsresol = Some(value[0]),
            14 if len >= 8 => fields.tsoffset = Some(B::read_u64(&value[..8])),
            _ => {}
        }
        let padded = (4 + len + 3) & !3;
        opts = &opts[padded.min(opts.len())..];
    }
    Ok(fields)
}
