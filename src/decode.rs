//! Link layer, IPv4/IPv6 and TCP header decoding of one frame.
//!
//! [`decode`] turns the captured bytes of one frame into a [`TcpSegment`]
//! (addresses, ports, sequence numbers, flags, window, options, lengths and
//! optionally checksum status) or says why the frame was skipped. It never
//! allocates and never panics, whatever the bytes.
//!
//! IP and TCP are parsed with etherparse (`LaxIpv4Slice`, `LaxIpv6Slice`,
//! `TcpSlice`, `TcpOptionsIterator`); link layers etherparse lacks are in
//! [`link`](self) (private module).
//!
//! Lengths follow the IP header, never the captured byte count: a segment cut
//! by the snapshot length keeps its real `payload_len`, and Ethernet padding
//! or trailers after the datagram are ignored. An IPv4 total length of 0 (or
//! an IPv6 payload length of 0), as written by hosts capturing their own
//! segmentation-offloaded packets, is replaced by the frame's length. An IP
//! length larger than the frame's original length is limited to it, as
//! Wireshark does (`ip_len` still reports the header's value).

use std::fmt;
use std::net::IpAddr;

use etherparse::checksum::Sum16BitWords;
use etherparse::err::{ip_auth, ipv4, ipv6, ipv6_exts};
use etherparse::{
    IpNumber, LaxIpv4Slice, LaxIpv6Slice, TcpOptionElement, TcpOptionReadError, TcpOptionsIterator,
    TcpSlice,
};

use crate::capture::LinkType;

mod link;

use link::{Expect, IpStart};

/// Outcome of decoding one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A TCP segment.
    Tcp(TcpSegment),
    /// Not analysed, and why.
    Skipped(Skip),
}

/// Why a frame was not decoded as a TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Skip {
    /// The link type is not one this decoder knows.
    UnsupportedLink,
    /// The frame does not carry IPv4 or IPv6 (ARP, LLC, other ethertypes...).
    NotIp,
    /// An IP datagram that is not TCP.
    NotTcp,
    /// An IP fragment (IPv4 MF or offset != 0, IPv6 fragment header that
    /// fragments); fragments are not reassembled.
    Fragment,
    /// The IP header (or an IPv6 extension header, or the link-layer data
    /// leading to it) is cut short.
    TruncatedIpHeader,
    /// The TCP header is cut short, by the snapshot length or by the IP
    /// length.
    TruncatedTcpHeader,
    /// A header is inconsistent (bad IP version, header length below the
    /// minimum, IPv4 total length below its header length, link-layer header
    /// shorter than its fixed size...).
    Malformed,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Skip::UnsupportedLink => "unsupported link type",
            Skip::NotIp => "not IP",
            Skip::NotTcp => "not TCP",
            Skip::Fragment => "IP fragment",
            Skip::TruncatedIpHeader => "truncated IP header",
            Skip::TruncatedTcpHeader => "truncated TCP header",
            Skip::Malformed => "malformed header",
        })
    }
}

/// The TCP header fields and lengths of one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number (SEG.SEQ).
    pub seq: u32,
    /// Acknowledgment number (SEG.ACK; meaningful with the ACK flag).
    pub ack: u32,
    /// Control bits.
    pub flags: TcpFlags,
    /// Window field, unscaled (SEG.WND before RFC 7323 scaling).
    pub window: u16,
    /// Urgent pointer.
    pub urgent_ptr: u16,
    /// TCP header length in bytes (data offset * 4).
    pub header_len: u8,
    /// Payload length from the IP length fields, never from the captured
    /// byte count.
    pub payload_len: u32,
    /// Payload bytes actually present in the capture.
    pub captured_payload_len: u32,
    /// Length of the whole IP datagram per its header (IPv4 total length;
    /// IPv6 40 + payload length), or the frame's when that field is 0.
    pub ip_len: u32,
    /// The options the replay and the analyzers use.
    pub options: TcpOptions,
    /// Whether the checksums were verified, and how they fared.
    pub checksum: ChecksumStatus,
}

/// TCP flag bits (the low 9 bits of header bytes 12-13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// No more data from the sender.
    pub const FIN: TcpFlags = TcpFlags(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: TcpFlags = TcpFlags(0x002);
    /// Reset the connection.
    pub const RST: TcpFlags = TcpFlags(0x004);
    /// Push.
    pub const PSH: TcpFlags = TcpFlags(0x008);
    /// The acknowledgment field is significant.
    pub const ACK: TcpFlags = TcpFlags(0x010);
    /// The urgent pointer is significant.
    pub const URG: TcpFlags = TcpFlags(0x020);
    /// ECN-Echo (RFC 3168).
    pub const ECE: TcpFlags = TcpFlags(0x040);
    /// Congestion Window Reduced (RFC 3168).
    pub const CWR: TcpFlags = TcpFlags(0x080);
    /// Accurate ECN (formerly NS).
    pub const AE: TcpFlags = TcpFlags(0x100);

    /// No flag at all.
    pub const fn empty() -> TcpFlags {
        TcpFlags(0)
    }

    /// The raw bits.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Every flag of `f` is set (and `f` is not empty).
    pub const fn contains(self, f: TcpFlags) -> bool {
        f.0 != 0 && self.0 & f.0 == f.0
    }

    /// At least one flag of `f` is set.
    pub const fn intersects(self, f: TcpFlags) -> bool {
        self.0 & f.0 != 0
    }

    /// No flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self` with the flags of `f` added.
    pub const fn union(self, f: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | f.0)
    }

    /// `self` without the flags of `f`.
    pub const fn difference(self, f: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 & !f.0)
    }
}

impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        self.union(rhs)
    }
}

impl std::ops::BitOrAssign for TcpFlags {
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        self.0 |= rhs.0;
    }
}

impl std::ops::BitAnd for TcpFlags {
    type Output = TcpFlags;
    fn bitand(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 & rhs.0)
    }
}

impl fmt::Display for TcpFlags {
    /// Names joined by `|` (e.g. `SYN|ACK`), `none` when empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(TcpFlags, &str); 9] = [
            (TcpFlags::FIN, "FIN"),
            (TcpFlags::SYN, "SYN"),
            (TcpFlags::RST, "RST"),
            (TcpFlags::PSH, "PSH"),
            (TcpFlags::ACK, "ACK"),
            (TcpFlags::URG, "URG"),
            (TcpFlags::ECE, "ECE"),
            (TcpFlags::CWR, "CWR"),
            (TcpFlags::AE, "AE"),
        ];
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        for (flag, name) in NAMES {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

/// The TCP options the state machine cares about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpOptions {
    /// Maximum segment size (kind 2).
    pub mss: Option<u16>,
    /// Window scale shift (kind 3, RFC 7323).
    pub window_scale: Option<u8>,
    /// SACK permitted (kind 4, RFC 2018).
    pub sack_permitted: bool,
    /// (TSval, TSecr)
    pub timestamps: Option<(u32, u32)>,
    /// (left edge, right edge) of the first `sack_count` SACK blocks.
    pub sack_blocks: [(u32, u32); 4],
    /// How many of `sack_blocks` are set.
    pub sack_count: u8,
    /// An option had an impossible length or ran past the header; options
    /// after it were not read.
    pub malformed: bool,
}

impl TcpOptions {
    /// The SACK blocks present.
    pub fn sack(&self) -> &[(u32, u32)] {
        &self.sack_blocks[..(self.sack_count as usize).min(4)]
    }
}

/// Result of checksum verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChecksumStatus {
    /// Verification was not asked for.
    #[default]
    NotChecked,
    /// The IPv4 header checksum (if any) and the TCP checksum are right.
    Good,
    /// The IPv4 header checksum or the TCP checksum is wrong.
    Bad,
    /// The segment was not captured whole (snaplen), or its length came from
    /// the frame (offloaded segmentation), so the TCP checksum cannot be
    /// checked.
    Unverifiable,
}

/// Decodes one frame of link type `link`: `data` are its captured bytes,
/// `orig_len` its length on the wire. With `verify_checksums`, the IPv4
/// header checksum and the TCP checksum are checked.
#[inline]
pub fn decode(link: LinkType, data: &[u8], orig_len: u32, verify_checksums: bool) -> Decoded {
    match decode_tcp(link, data, orig_len, verify_checksums) {
        Ok(seg) => Decoded::Tcp(seg),
        Err(skip) => Decoded::Skipped(skip),
    }
}

fn decode_tcp(
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    verify: bool,
) -> Result<TcpSegment, Skip> {
    let ip = link::ip_start(link, data, orig_len as usize)?;
    let version = match ip.bytes.first() {
        Some(b) => b >> 4,
        None => return Err(Skip::TruncatedIpHeader),
    };
    match (ip.expect, version) {
        (Expect::V4 | Expect::Any, 4) => ipv4_tcp(&ip, verify),
        (Expect::V6 | Expect::Any, 6) => ipv6_tcp(&ip, verify),
        (Expect::Any, _) => Err(Skip::NotIp),
        _ => Err(Skip::Malformed),
    }
}

fn ipv4_tcp(ip: &IpStart<'_>, verify: bool) -> Result<TcpSegment, Skip> {
    let (lax, auth_err) = LaxIpv4Slice::from_slice(ip.bytes).map_err(|e| match e {
        ipv4::HeaderSliceError::Len(_) => Skip::TruncatedIpHeader,
        ipv4::HeaderSliceError::Content(_) => Skip::Malformed,
    })?;
    let header = lax.header();
    let header_len = header.slice().len();
    let total_len = header.total_len() as usize;
    let (ip_len, len_from_frame) = if total_len == 0 {
        (ip.wire_len, true)
    } else if total_len < header_len {
        return Err(Skip::Malformed);
    } else {
        (total_len, false)
    };
    if header.is_fragmenting_payload() {
        return Err(Skip::Fragment);
    }
    if let Some(e) = auth_err {
        return Err(match e {
            ip_auth::HeaderSliceError::Len(_) => Skip::TruncatedIpHeader,
            ip_auth::HeaderSliceError::Content(_) => Skip::Malformed,
        });
    }
    let payload = lax.payload();
    if payload.ip_number != IpNumber::TCP {
        return Err(Skip::NotTcp);
    }
    let auth_len = lax.extensions().auth.map_or(0, |a| a.slice().len());
    // A total length beyond the frame cannot be true: like Wireshark, only
    // the bytes the frame carried count.
    let clamped = ip_len > ip.wire_len;
    let segment_len = ip_len
        .min(ip.wire_len)
        .checked_sub(header_len + auth_len)
        .ok_or(Skip::Malformed)?;
    let captured = &payload.payload[..payload.payload.len().min(segment_len)];
    let src = header.source();
    let dst = header.destination();
    let mut seg = tcp(captured, segment_len, ip_len)?;
    seg.src = IpAddr::from(src);
    seg.dst = IpAddr::from(dst);
    if verify {
        let header_ok = Sum16BitWords::new()
            .add_slice(header.slice())
            .ones_complement()
            == 0;
        seg.checksum = if len_from_frame {
            // Offloaded segmentation: the host had not filled in the
            // lengths or the checksums yet.
            ChecksumStatus::Unverifiable
        } else if !header_ok {
            ChecksumStatus::Bad
        } else if clamped || captured.len() < segment_len {
            ChecksumStatus::Unverifiable
        } else {
            let sum = Sum16BitWords::new()
                .add_4bytes(src)
                .add_4bytes(dst)
                .add_2bytes([0, IpNumber::TCP.0])
                .add_2bytes((segment_len as u16).to_be_bytes())
                .add_slice(captured);
            status(sum)
        };
    }
    Ok(seg)
}

fn ipv6_tcp(ip: &IpStart<'_>, verify: bool) -> Result<TcpSegment, Skip> {
    let (lax, ext_err) = LaxIpv6Slice::from_slice(ip.bytes).map_err(|e| match e {
        ipv6::HeaderSliceError::Len(_) => Skip::TruncatedIpHeader,
        ipv6::HeaderSliceError::Content(_) => Skip::Malformed,
    })?;
    let header = lax.header();
    let payload_length = header.payload_length() as usize;
    let (ip_len, len_from_frame) = if payload_length == 0 {
        // Jumbogram or offloaded segmentation: the frame gives the length.
        (ip.wire_len, true)
    } else {
        (40 + payload_length, false)
    };
    if lax.is_payload_fragmented() {
        return Err(Skip::Fragment);
    }
    if let Some((e, _)) = ext_err {
        return Err(match e {
            ipv6_exts::HeaderSliceError::Len(_) => Skip::TruncatedIpHeader,
            ipv6_exts::HeaderSliceError::Content(_) => Skip::Malformed,
        });
    }
    let payload = lax.payload();
    if payload.ip_number != IpNumber::TCP {
        return Err(Skip::NotTcp);
    }
    let ext_len = lax.extensions().slice().len();
    let clamped = ip_len > ip.wire_len;
    let segment_len = ip_len
        .min(ip.wire_len)
        .checked_sub(40 + ext_len)
        .ok_or(Skip::Malformed)?;
    let captured = &payload.payload[..payload.payload.len().min(segment_len)];
    let src = header.source();
    let dst = header.destination();
    let mut seg = tcp(captured, segment_len, ip_len)?;
    seg.src = IpAddr::from(src);
    seg.dst = IpAddr::from(dst);
    if verify {
        seg.checksum = if len_from_frame || clamped || captured.len() < segment_len {
            ChecksumStatus::Unverifiable
        } else {
            let sum = Sum16BitWords::new()
                .add_16bytes(src)
                .add_16bytes(dst)
                .add_4bytes((segment_len as u32).to_be_bytes())
                .add_4bytes([0, 0, 0, IpNumber::TCP.0])
                .add_slice(captured);
            status(sum)
        };
    }
    Ok(seg)
}

/// A one's-complement sum over data that includes its checksum field is
/// all ones when the checksum is right.
fn status(sum: Sum16BitWords) -> ChecksumStatus {
    if sum.ones_complement() == 0 {
        ChecksumStatus::Good
    } else {
        ChecksumStatus::Bad
    }
}

/// Decodes the TCP header at the start of `bytes` (the captured part of a
/// segment whose length per the IP header is `segment_len`). Addresses are
/// left unspecified for the caller.
#[inline]
fn tcp(bytes: &[u8], segment_len: usize, ip_len: usize) -> Result<TcpSegment, Skip> {
    if segment_len < 20 || bytes.len() < 20 {
        return Err(Skip::TruncatedTcpHeader);
    }
    let header_len = (bytes[12] >> 4) as usize * 4;
    if header_len < 20 {
        return Err(Skip::Malformed);
    }
    if header_len > segment_len || header_len > bytes.len() {
        return Err(Skip::TruncatedTcpHeader);
    }
    let tcp = TcpSlice::from_slice(bytes).map_err(|_| Skip::Malformed)?;
    let h = tcp.header_slice();
    Ok(TcpSegment {
        src: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        dst: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        src_port: tcp.source_port(),
        dst_port: tcp.destination_port(),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: TcpFlags(u16::from_be_bytes([h[12] & 0x01, h[13]])),
        window: tcp.window_size(),
        urgent_ptr: tcp.urgent_pointer(),
        header_len: header_len as u8,
        payload_len: (segment_len - header_len) as u32,
        captured_payload_len: (bytes.len() - header_len) as u32,
        ip_len: ip_len.min(u32::MAX as usize) as u32,
        options: options(tcp.options()),
        checksum: ChecksumStatus::NotChecked,
    })
}

/// Reads the options with etherparse's iterator. It stops at option kinds it
/// does not know (MPTCP, Fast Open, MD5, experimental...); those are stepped
/// over here by their length byte and iteration resumes after them.
#[inline]
fn options(bytes: &[u8]) -> TcpOptions {
    let mut out = TcpOptions::default();
    if bytes.is_empty() {
        return out;
    }
    let mut it = TcpOptionsIterator::from_slice(bytes);
    loop {
        let at = it.rest();
        match it.next() {
            None => break,
            Some(Ok(option)) => match option {
                TcpOptionElement::Noop => {}
                TcpOptionElement::MaximumSegmentSize(v) => out.mss = Some(v),
                TcpOptionElement::WindowScale(v) => out.window_scale = Some(v),
                TcpOptionElement::SelectiveAcknowledgementPermitted => out.sack_permitted = true,
                TcpOptionElement::SelectiveAcknowledgement(first, more) => {
                    for block in std::iter::once(first).chain(more.into_iter().flatten()) {
                        if (out.sack_count as usize) < out.sack_blocks.len() {
                            out.sack_blocks[out.sack_count as usize] = block;
                            out.sack_count += 1;
                        }
                    }
                }
                TcpOptionElement::Timestamp(val, ecr) => out.timestamps = Some((val, ecr)),
            },
            Some(Err(TcpOptionReadError::UnknownId(_))) => match at.get(1) {
                Some(&len) if len >= 2 && len as usize <= at.len() => {
                    it = TcpOptionsIterator::from_slice(&at[len as usize..]);
                }
                _ => {
                    out.malformed = true;
                    break;
                }
            },
            Some(Err(_)) => {
                out.malformed = true;
                break;
            }
        }
    }
    out
}
