//! Link layer, IPv4/IPv6 and TCP header decoding of one frame.
//!
//! [`decode`] turns the captured bytes of one frame into a [`TcpSegment`]
//! (addresses, ports, sequence numbers, flags, window, options, lengths and
//! optionally checksum status) or says why the frame was skipped. It never
//! allocates and never panics, whatever the bytes.
//!
//! The headers are read here, field by field from their bytes (the link
//! layers in [`link`](self), a private module, the layer walk in `walk`);
//! etherparse sums the checksums.
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

use crate::capture::LinkType;
pub use crate::vocab::Control;
use crate::vocab::SeqNumber;

pub mod icmp;
mod link;
mod tunnel;
pub(crate) mod udp_ports;
mod walk;

pub use tunnel::{TUNNEL_PATH, Tunnel, TunnelKind};
pub use walk::MAX_LAYERS;
use walk::Walk;

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
    /// More than [`MAX_LAYERS`] headers (tunnels in tunnels...): not
    /// followed to the end.
    TooDeep,
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
            Skip::TooDeep => "too many nested headers",
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
    /// What its SYN, FIN and RST bits make of it, decided once here.
    pub control: Control,
    /// The sequence numbers it occupies: the payload, and one for a SYN or
    /// a FIN (none for an RST).
    pub seq_len: u32,
}

impl TcpSegment {
    /// A segment built by hand (tests, benchmarks, tools that synthesise
    /// traffic): from `src` to `dst` (address, port), with these flags,
    /// sequence and acknowledgment numbers and `payload_len` bytes of
    /// payload, all captured; a 20-byte header without options, a window
    /// of 65535 and no checksum verdict. Other fields are set with struct
    /// update syntax (`TcpSegment { window: 0, ..TcpSegment::new(...) }`).
    pub fn new(
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        payload_len: u32,
    ) -> TcpSegment {
        TcpSegment {
            src: src.0,
            dst: dst.0,
            src_port: src.1,
            dst_port: dst.1,
            seq,
            ack,
            flags,
            window: 65535,
            urgent_ptr: 0,
            header_len: 20,
            payload_len,
            captured_payload_len: payload_len,
            ip_len: 40 + payload_len,
            options: TcpOptions::default(),
            checksum: ChecksumStatus::NotChecked,
            control: Control::None,
            seq_len: 0,
        }
        .classify()
    }
    /// SEG.SEQ, for sequence arithmetic.
    #[inline]
    pub const fn seg_seq(&self) -> SeqNumber {
        SeqNumber(self.seq)
    }
    /// SEG.ACK, for sequence arithmetic (meaningful with the ACK flag).
    #[inline]
    pub const fn seg_ack(&self) -> SeqNumber {
        SeqNumber(self.ack)
    }
    /// Sets [`TcpSegment::control`] and [`TcpSegment::seq_len`] from the
    /// flags and the payload length (decoding does; a segment built by hand
    /// calls this once its fields are set).
    pub fn classify(mut self) -> TcpSegment {
        let f = self.flags;
        self.control = Control::of(
            f.contains(TcpFlags::SYN),
            f.contains(TcpFlags::FIN),
            f.contains(TcpFlags::RST),
        );
        self.seq_len = self.control.seq_len(self.payload_len);
        self
    }
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
    /// Every flag with its name, in the order of the header bits (as
    /// `Display` and the JSON outputs list them).
    pub const NAMES: [(TcpFlags, &'static str); 9] = [
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
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        for (flag, name) in TcpFlags::NAMES {
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
    /// The header was captured only in part: the snapshot length (or an
    /// ICMP quote) cut it inside its options, and only the options before
    /// the cut were read. The 20 fixed bytes are all there.
    pub truncated: bool,
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
///
/// The TCP segment of the frame, if it has one of its own; fragments and
/// quotes in ICMP errors are skipped (see [`decode_layers`] for those).
#[inline]
pub fn decode(link: LinkType, data: &[u8], orig_len: u32, verify_checksums: bool) -> Decoded {
    let mut packet = Packet::Skipped(Skip::NotIp);
    decode_into(link, data, orig_len, verify_checksums, &mut packet);
    match packet {
        Packet::Tcp(seg) => Decoded::Tcp(seg),
        Packet::Fragment(_) => Decoded::Skipped(Skip::Fragment),
        Packet::Icmp(_) => Decoded::Skipped(Skip::NotTcp),
        Packet::Skipped(s) => Decoded::Skipped(s),
    }
}

/// What one frame holds, for the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Packet {
    /// A TCP segment.
    Tcp(TcpSegment),
    /// A TCP header quoted in an ICMP or ICMPv6 error.
    Icmp(IcmpQuote),
    /// An IP fragment, to be reassembled (see [`crate::reassembly`]).
    Fragment(Fragment),
    /// Nothing to analyse, and why.
    Skipped(Skip),
}

/// A decoded frame: what it holds and the tunnels it rode in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layers {
    /// What the frame holds.
    pub packet: Packet,
    /// `None` for a packet that was not tunnelled.
    pub tunnel: Option<Tunnel>,
}

/// A TCP header quoted in an ICMP error: the segment that caused the error
/// as far as it was quoted (at least its first 16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpQuote {
    /// The quoted header. `payload_len` and `ip_len` come from the quoted IP
    /// header; `options.truncated` when the quote ends inside the options.
    pub seg: TcpSegment,
    /// The ICMP (or ICMPv6) type.
    pub icmp_type: u8,
    /// Its code.
    pub code: u8,
    /// ICMPv6 (else ICMP).
    pub v6: bool,
    /// Who sent the error.
    pub from: IpAddr,
}

/// What identifies the fragments of one datagram (with the protocol, which
/// Wireshark mixes into its key too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FragmentKey {
    /// Source of the datagram.
    pub src: IpAddr,
    /// Its destination.
    pub dst: IpAddr,
    /// IPv4 identification or IPv6 fragment identification.
    pub id: u32,
    /// The protocol of the datagram's payload.
    pub proto: u8,
}

/// One IP fragment of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// The datagram it belongs to.
    pub key: FragmentKey,
    /// Offset of this fragment's data in the datagram's payload, in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    /// Where the captured part of its data is in the frame.
    /// Offset of its data in the frame's captured bytes.
    pub start: u32,
    /// Bytes of its data captured.
    pub len: u32,
    /// Its length per the IP header (more than `len` when the snapshot
    /// length cut it).
    pub wire_len: u32,
    /// Length of its IP header (with options or extension headers).
    pub header_len: u16,
}

/// Decodes one frame: link layer, tags, labels, tunnels, IP, and TCP (or a
/// fragment, or a quote in an ICMP error).
#[inline]
pub fn decode_layers(link: LinkType, data: &[u8], orig_len: u32, verify: bool) -> Layers {
    let mut packet = Packet::Skipped(Skip::NotIp);
    let tunnel = decode_into(link, data, orig_len, verify, &mut packet);
    Layers { packet, tunnel }
}

/// [`decode_layers`] writing the packet into `out` (where the caller keeps
/// it: no copy of the segment on the way) and returning the tunnels.
#[inline]
pub fn decode_into(
    link: LinkType,
    data: &[u8],
    orig_len: u32,
    verify: bool,
    out: &mut Packet,
) -> Option<Tunnel> {
    let mut w = Walk::new(data, verify, out);
    let r = match link::start(link, data) {
        Ok(s) => {
            let wire_end = (orig_len as usize).max(data.len()).min(
                // A link layer that ends before the frame (NFLOG's TLV,
                // an FCS) ends the wire there too.
                if s.end < data.len() {
                    s.end
                } else {
                    usize::MAX
                },
            );
            w.run(s.layer, s.at, s.end, wire_end)
        }
        Err(e) => Err(e),
    };
    w.finish(r)
}

/// Decodes the payload of a reassembled datagram (`data`, whose fragments
/// had the key `key` and a first IP header of `header_len` bytes, and rode
/// in `tunnel`).
pub fn decode_reassembled(
    key: &FragmentKey,
    data: &[u8],
    header_len: usize,
    tunnel: Option<Tunnel>,
    verify: bool,
) -> Layers {
    walk::reassembled(key, data, header_len, tunnel, verify)
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
/// segment whose length per the IP header is `segment_len`) of a segment
/// from `src` to `dst`.
#[inline]
fn tcp(
    out: &mut Packet,
    bytes: &[u8],
    segment_len: usize,
    ip_len: usize,
    src: IpAddr,
    dst: IpAddr,
) -> Result<(), Skip> {
    if segment_len < 20 || bytes.len() < 20 {
        return Err(Skip::TruncatedTcpHeader);
    }
    let header_len = (bytes[12] >> 4) as usize * 4;
    if header_len < 20 {
        return Err(Skip::Malformed);
    }
    if header_len > segment_len {
        return Err(Skip::TruncatedTcpHeader);
    }
    // Every option is there, or the capture cut the header inside them
    // (by the snapshot length): the fixed 20 bytes are there either way,
    // and so are the options before the cut.
    let (options, captured_payload_len) = match bytes.get(20..header_len) {
        Some(o) => (options(o), (bytes.len() - header_len) as u32),
        None => {
            let cut = TcpOptions {
                truncated: true,
                ..options(&bytes[20..])
            };
            (cut, 0)
        }
    };
    let b = |i: usize| bytes[i];
    *out = Packet::Tcp(
        TcpSegment {
            src,
            dst,
            src_port: u16::from_be_bytes([b(0), b(1)]),
            dst_port: u16::from_be_bytes([b(2), b(3)]),
            seq: u32::from_be_bytes([b(4), b(5), b(6), b(7)]),
            ack: u32::from_be_bytes([b(8), b(9), b(10), b(11)]),
            flags: TcpFlags(u16::from_be_bytes([b(12) & 0x01, b(13)])),
            window: u16::from_be_bytes([b(14), b(15)]),
            urgent_ptr: u16::from_be_bytes([b(18), b(19)]),
            header_len: header_len as u8,
            payload_len: (segment_len - header_len) as u32,
            captured_payload_len,
            ip_len: ip_len.min(u32::MAX as usize) as u32,
            options,
            checksum: ChecksumStatus::NotChecked,
            control: Control::None,
            seq_len: 0,
        }
        .classify(),
    );
    Ok(())
}

/// Reads the options the state machine uses (MSS, window scale, SACK
/// permitted, SACK blocks, timestamps) and steps over the others by their
/// length byte. Reading stops at an end-of-options, and (marking the
/// options `malformed`) at an option whose length is not its kind's or
/// runs past the header. On every segment: read here byte by byte rather
/// than with etherparse's iterator, which returned each option as a
/// `Result` and stopped at the kinds it does not know.
#[inline]
pub(crate) fn options(bytes: &[u8]) -> TcpOptions {
    let mut out = TcpOptions::default();
    // What nearly every segment of a connection with timestamps carries:
    // two NOPs and the timestamps, read at once.
    if let &[1, 1, 8, 10, v0, v1, v2, v3, e0, e1, e2, e3] = bytes {
        out.timestamps = Some((
            u32::from_be_bytes([v0, v1, v2, v3]),
            u32::from_be_bytes([e0, e1, e2, e3]),
        ));
        return out;
    }
    let mut rest = bytes;
    while let Some(&kind) = rest.first() {
        // An option of a kind with one length: its bytes, when whole.
        let fixed = |len: usize| (rest.len() >= len && usize::from(rest[1]) == len).then_some(rest);
        let be32 = |o: &[u8], i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
        let len = match kind {
            0 => break,
            1 => 1,
            2 => match fixed(4) {
                Some(o) => {
                    out.mss = Some(u16::from_be_bytes([o[2], o[3]]));
                    4
                }
                None => 0,
            },
            3 => match fixed(3) {
                Some(o) => {
                    out.window_scale = Some(o[2]);
                    3
                }
                None => 0,
            },
            4 => match fixed(2) {
                Some(_) => {
                    out.sack_permitted = true;
                    2
                }
                None => 0,
            },
            5 => match rest.get(1).map(|&l| usize::from(l)) {
                // One to four blocks of 8 bytes.
                Some(len @ (10 | 18 | 26 | 34)) if rest.len() >= len => {
                    for at in (2..len).step_by(8) {
                        if let Some(slot) = out.sack_blocks.get_mut(usize::from(out.sack_count)) {
                            *slot = (be32(rest, at), be32(rest, at + 4));
                            out.sack_count += 1;
                        }
                    }
                    len
                }
                _ => 0,
            },
            8 => match fixed(10) {
                Some(o) => {
                    out.timestamps = Some((be32(o, 2), be32(o, 6)));
                    10
                }
                None => 0,
            },
            // Any other kind: stepped over.
            _ => match rest.get(1).map(|&l| usize::from(l)) {
                Some(len) if len >= 2 && len <= rest.len() => len,
                _ => 0,
            },
        };
        if len == 0 {
            out.malformed = true;
            break;
        }
        rest = &rest[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{TcpOptionElement, TcpOptionReadError, TcpOptionsIterator};

    /// How the options were read before `options`: with etherparse's
    /// iterator, stepping over the kinds it does not know by their length.
    fn options_by_etherparse(bytes: &[u8]) -> TcpOptions {
        let mut out = TcpOptions::default();
        let mut it = TcpOptionsIterator::from_slice(bytes);
        loop {
            let at = it.rest();
            match it.next() {
                None => break,
                Some(Ok(option)) => match option {
                    TcpOptionElement::Noop => {}
                    TcpOptionElement::MaximumSegmentSize(v) => out.mss = Some(v),
                    TcpOptionElement::WindowScale(v) => out.window_scale = Some(v),
                    TcpOptionElement::SelectiveAcknowledgementPermitted => {
                        out.sack_permitted = true
                    }
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

    /// Options as etherparse reads them, on 300,000 option areas made of
    /// every kind read here and others, with their lengths right, off by
    /// one, or anything, cut anywhere: the real layouts (a SYN's MSS, SACK
    /// permitted, timestamps and window scale; NOPs and timestamps; SACK
    /// blocks) and the damaged ones.
    #[test]
    fn options_are_read_as_etherparse_reads_them() {
        let mut next = crate::xorshift64(0x2545_f491_4f6c_dd1d);
        let real: [&[u8]; 3] = [
            &[
                2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
            ],
            &[1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8],
            &[1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4],
        ];
        for r in real {
            let o = options(r);
            assert_eq!(o, options_by_etherparse(r));
            assert!(!o.malformed, "{r:?}");
        }
        let mut counts = [0u32; 2];
        for _ in 0..300_000 {
            let mut bytes = Vec::new();
            for _ in 0..next() % 6 {
                let r = next();
                let kind = [0, 1, 2, 3, 4, 5, 8, 30, 34, 254, (r >> 8) as u8][(r % 11) as usize];
                let right = match kind {
                    2 => 4,
                    3 => 3,
                    4 => 2,
                    5 => 2 + 8 * (1 + (r >> 16) % 4) as u8,
                    8 => 10,
                    _ => 2 + (r >> 16) as u8 % 8,
                };
                let len = match (r >> 24) % 8 {
                    0 => right.wrapping_sub(1),
                    1 => right + 1,
                    2 => (r >> 32) as u8,
                    _ => right,
                };
                bytes.push(kind);
                if kind > 1 {
                    bytes.push(len);
                    bytes.extend((2..right).map(|i| (r >> (i % 56)) as u8));
                }
            }
            let cut =
                bytes.len() - (next() % 4 == 0) as usize * (next() as usize % (bytes.len() + 1));
            let b = &bytes[..cut];
            let o = options(b);
            assert_eq!(o, options_by_etherparse(b), "{b:?}");
            counts[o.malformed as usize] += 1;
        }
        // Both sides were exercised.
        assert!(counts.iter().all(|&n| n > 50_000), "{counts:?}");
    }
}
