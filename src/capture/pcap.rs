//! Classic libpcap format: file header and record framing.
//!
//! The file header is parsed by `pcap_file::pcap::PcapHeader` and standard
//! record headers by `pcap_file::pcap::RawPcapPacket`. What pcap-file 2.0.0
//! does not do is handled here:
//!
//! * `PcapPacket::try_from_raw_packet` rejects records whose original length
//!   exceeds the snapshot length, which is what every snaplen-truncated
//!   capture contains, so records are taken as `RawPcapPacket`s and only
//!   checked against [`MAX_CAPLEN`].
//! * pcap-file puts no limit on the captured length a record header claims;
//!   the limit is applied here (Wireshark's 262144 bytes).
//! * The "modified" format (magic `a1b2cd34`, 24-byte record headers) is not
//!   recognised by pcap-file: its file header is handed to pcap-file with the
//!   standard microsecond magic, and its record headers are read here.

use byteorder_slice::{BigEndian, ByteOrder, LittleEndian};
use pcap_file::pcap::{PcapHeader, RawPcapPacket};
use pcap_file::{Endianness, PcapError, TsResolution};

use super::{
    CaptureErrorKind, Cursor, Damage, Format, FrameDesc, InterfaceInfo, LinkType, MAX_CAPLEN,
    Status,
};

/// Size of the classic pcap file header.
pub(crate) const FILE_HEADER_LEN: usize = 24;

const MAGIC_MICRO: u32 = 0xA1B2_C3D4;
const MAGIC_NANO: u32 = 0xA1B2_3C4D;
const MAGIC_MODIFIED: u32 = 0xA1B2_CD34;

pub(crate) struct PcapFramer {
    big_endian: bool,
    nanosecond: bool,
    modified: bool,
    link_type: LinkType,
    interfaces: [InterfaceInfo; 1],
    /// Number of the next record.
    next_number: u64,
}

impl PcapFramer {
    /// Parses the file header at the start of `head`.
    pub(crate) fn probe(head: &[u8]) -> Result<PcapFramer, CaptureErrorKind> {
        let magic_be = match head.get(..4) {
            Some(m) => u32::from_be_bytes([m[0], m[1], m[2], m[3]]),
            None => return Err(not_a_capture(head)),
        };
        let (modified, big_endian) = match magic_be {
            MAGIC_MICRO | MAGIC_NANO => (false, true),
            m if m.swap_bytes() == MAGIC_MICRO || m.swap_bytes() == MAGIC_NANO => (false, false),
            MAGIC_MODIFIED => (true, true),
            m if m.swap_bytes() == MAGIC_MODIFIED => (true, false),
            _ => return Err(not_a_capture(head)),
        };
        if head.len() < FILE_HEADER_LEN {
            return Err(CaptureErrorKind::Truncated {
                needed: FILE_HEADER_LEN as u64,
                available: head.len() as u64,
            });
        }
        let mut header_bytes = [0u8; FILE_HEADER_LEN];
        header_bytes.copy_from_slice(&head[..FILE_HEADER_LEN]);
        if modified {
            // pcap-file does not know the modified magic; its file header is
            // otherwise the standard microsecond one.
            let magic = if big_endian {
                MAGIC_MICRO.to_be_bytes()
            } else {
                MAGIC_MICRO.to_le_bytes()
            };
            header_bytes[..4].copy_from_slice(&magic);
        }
        let header = match PcapHeader::from_slice(&header_bytes) {
            Ok((_, h)) => h,
            Err(e) => {
                return Err(CaptureErrorKind::NotACapture(format!(
                    "bad pcap header: {e}"
                )));
            }
        };
        debug_assert_eq!(header.endianness == Endianness::Big, big_endian);
        // The upper 16 bits of the link-type field can carry FCS information.
        let link_type = LinkType(u32::from(header.datalink) & 0xFFFF);
        Ok(PcapFramer {
            big_endian,
            nanosecond: header.ts_resolution == TsResolution::NanoSecond,
            modified,
            link_type,
            interfaces: [InterfaceInfo {
                id: 0,
                link_type,
                snaplen: header.snaplen,
                name: None,
            }],
            next_number: 1,
        })
    }

    pub(crate) fn format(&self) -> Format {
        Format::Pcap {
            big_endian: self.big_endian,
            nanosecond: self.nanosecond,
            modified: self.modified,
        }
    }

    pub(crate) fn interfaces(&self) -> &[InterfaceInfo] {
        &self.interfaces
    }

    pub(crate) fn run(&mut self, c: &mut Cursor<'_>) -> Status {
        match (self.big_endian, self.modified) {
            (true, false) => self.run_standard::<BigEndian>(c),
            (false, false) => self.run_standard::<LittleEndian>(c),
            (true, true) => self.run_modified::<BigEndian>(c),
            (false, true) => self.run_modified::<LittleEndian>(c),
        }
    }

    /// Standard 16-byte record headers, parsed by pcap-file.
    #[inline(never)]
    fn run_standard<B: ByteOrder>(&mut self, c: &mut Cursor<'_>) -> Status {
        let (buf, base, max_frames) = (c.buf, c.base, c.max_frames);
        let frames = &mut *c.frames;
        const HDR: usize = 16;
        let frac_ns: i64 = if self.nanosecond { 1 } else { 1000 };
        // No more records than the bytes at hand can hold: a small capture
        // (one held in memory, say) does not get a batch-sized frame list.
        let room = max_frames
            .saturating_sub(frames.len())
            .min(buf.len().saturating_sub(c.pos) / HDR + 1);
        frames.reserve(room.min(1 << 16));
        let mut p = c.pos;
        let mut ahead = Prefetcher::new(p);
        let status = loop {
            if frames.len() >= max_frames {
                break Status::Full;
            }
            ahead.advance(buf, p);
            let rest = &buf[p..];
            let raw = match RawPcapPacket::from_slice::<B>(rest) {
                Ok((_, raw)) => raw,
                Err(PcapError::IncompleteBuffer) => {
                    if rest.len() < HDR {
                        break Status::NeedMore(HDR);
                    }
                    let caplen = B::read_u32(&rest[8..12]);
                    if caplen > MAX_CAPLEN {
                        break Status::Damaged(self.too_big(caplen, base + p as u64));
                    }
                    break Status::NeedMore(HDR + caplen as usize);
                }
                Err(e) => {
                    break Status::Damaged(Damage {
                        frame: Some(self.next_number),
                        offset: base + p as u64,
                        kind: CaptureErrorKind::Corrupt(format!("bad record header: {e}")),
                    });
                }
            };
            if raw.incl_len > MAX_CAPLEN {
                break Status::Damaged(self.too_big(raw.incl_len, base + p as u64));
            }
            frames.push(FrameDesc {
                number: self.next_number,
                ts_ns: raw.ts_sec as i64 * 1_000_000_000 + raw.ts_frac as i64 * frac_ns,
                interface: 0,
                link_type: self.link_type,
                data_start: (p + HDR) as u32,
                caplen: raw.incl_len,
                orig_len: raw.orig_len,
                file_offset: base + p as u64,
            });
            self.next_number += 1;
            p += HDR + raw.incl_len as usize;
        };
        c.pos = p;
        status
    }

    /// Modified-format records: the standard fields followed by interface
    /// index (4), protocol (2), packet type (1) and padding (1).
    #[inline(never)]
    fn run_modified<B: ByteOrder>(&mut self, c: &mut Cursor<'_>) -> Status {
        let (buf, base, max_frames) = (c.buf, c.base, c.max_frames);
        let frames = &mut *c.frames;
        const HDR: usize = 24;
        let mut p = c.pos;
        let status = loop {
            if frames.len() >= max_frames {
                break Status::Full;
            }
            let rest = &buf[p..];
            if rest.len() < HDR {
                break Status::NeedMore(HDR);
            }
            let ts_sec = B::read_u32(&rest[0..4]);
            let ts_usec = B::read_u32(&rest[4..8]);
            let caplen = B::read_u32(&rest[8..12]);
            let orig_len = B::read_u32(&rest[12..16]);
            if caplen > MAX_CAPLEN {
                break Status::Damaged(self.too_big(caplen, base + p as u64));
            }
            if rest.len() < HDR + caplen as usize {
                break Status::NeedMore(HDR + caplen as usize);
            }
            frames.push(FrameDesc {
                number: self.next_number,
                ts_ns: ts_sec as i64 * 1_000_000_000 + ts_usec as i64 * 1000,
                interface: 0,
                link_type: self.link_type,
                data_start: (p + HDR) as u32,
                caplen,
                orig_len,
                file_offset: base + p as u64,
            });
            self.next_number += 1;
            p += HDR + caplen as usize;
        };
        c.pos = p;
        status
    }

    fn too_big(&self, caplen: u32, offset: u64) -> Damage {
        Damage {
            frame: Some(self.next_number),
            offset,
            kind: CaptureErrorKind::Corrupt(format!(
                "record claims {caplen} captured bytes, more than the {MAX_CAPLEN}-byte maximum"
            )),
        }
    }

    pub(crate) fn truncation(&self, rest: &[u8], offset: u64) -> Damage {
        let hdr = if self.modified { 24 } else { 16 };
        let (needed, available) = if rest.len() < hdr {
            (hdr as u64, rest.len() as u64)
        } else {
            let caplen = if self.big_endian {
                BigEndian::read_u32(&rest[8..12])
            } else {
                LittleEndian::read_u32(&rest[8..12])
            };
            (hdr as u64 + caplen as u64, rest.len() as u64)
        };
        Damage {
            frame: Some(self.next_number),
            offset,
            kind: CaptureErrorKind::Truncated { needed, available },
        }
    }
}

fn not_a_capture(head: &[u8]) -> CaptureErrorKind {
    CaptureErrorKind::NotACapture(super::describe_content(head))
}

/// Streams the input into the CPU cache ahead of the framing position.
///
/// Finding a record needs the previous record's length, so each header read
/// waits for the one before; on a large memory-mapped file every cache miss
/// would stall the loop. Prefetching every cache line some distance ahead
/// keeps the loads in flight instead.
pub(crate) struct Prefetcher {
    /// Next offset to prefetch.
    next: usize,
}

/// How far ahead of the record being framed the input is prefetched.
const PREFETCH_AHEAD: usize = 4096;

impl Prefetcher {
    pub(crate) fn new(pos: usize) -> Prefetcher {
        Prefetcher {
            next: pos + PREFETCH_AHEAD,
        }
    }

    /// Prefetches up to `PREFETCH_AHEAD` bytes past `pos`.
    #[inline(always)]
    pub(crate) fn advance(&mut self, buf: &[u8], pos: usize) {
        let target = (pos + PREFETCH_AHEAD).min(buf.len());
        while self.next < target {
            crate::prefetch::line(buf.as_ptr().wrapping_add(self.next));
            self.next += crate::prefetch::LINE;
        }
    }
}
