//! The layer walk: from the first header of a frame, one header after the
//! other, through link layers, tags, labels and tunnels, to the TCP header
//! (or the reason there is none).
//!
//! The walk is a loop over [`Layer`]s, not recursion: each header names the
//! next, and a frame may nest tunnels in tunnels. The number of headers is
//! bounded ([`MAX_LAYERS`]): a frame nesting more is skipped as
//! [`Skip::TooDeep`], whatever its size.
//!
//! Lengths: `end` is where the captured bytes of the current layer stop
//! (an IP or UDP length, a PPPoE or 802.3 length, the frame's end minus an
//! FCS), `wire_end` where they stop on the wire (the frame's original
//! length, then the IP lengths): a segment cut by the snapshot length keeps
//! the length its IP header gives.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::tunnel::{self, Inner, TunnelKind, Tunnels, UdpTunnel};
use super::{ChecksumStatus, Fragment, FragmentKey, Layers, Packet, Skip, icmp, status, tcp};
use etherparse::checksum::Sum16BitWords;

/// Which IP version a header announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    V4,
    V6,
    /// Decide from the first nibble.
    Any,
}

/// A header to decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layer {
    /// An Ethernet (or 802.3) header.
    Ethernet,
    /// The payload of an ethertype.
    EtherType(u16),
    /// An 802.2 LLC header (and SNAP).
    Llc,
    /// A PPP protocol field, with or without address and control bytes.
    Ppp,
    /// Cisco HDLC: address, control, ethertype.
    Chdlc,
    /// An IEEE 802.11 frame.
    Wlan,
    /// An MPLS label stack.
    Mpls,
    /// A Network Service Header.
    Nsh,
    /// An IP header.
    Ip(Expect),
}

/// More headers than any real frame has: VLAN stacks, label stacks and a
/// few tunnels in tunnels stay far below it.
pub const MAX_LAYERS: u32 = 64;

pub(super) struct Walk<'a, 'o> {
    data: &'a [u8],
    verify: bool,
    tunnels: Tunnels,
    /// Addresses of the last IP header (the outer ends of a tunnel).
    outer: Option<(IpAddr, IpAddr)>,
    /// What the walk found, written straight into the caller's place
    /// (moving a segment up through the layers' return values and into
    /// its place costs more than decoding it).
    packet: &'o mut Packet,
}

/// An IP header, read.
struct Ip {
    src: IpAddr,
    dst: IpAddr,
    v6: bool,
    proto: u8,
    header_len: usize,
    /// Offset of the payload (after options and extension headers).
    payload_at: usize,
    /// Length of the datagram per its header (or the frame's, when 0).
    ip_len: usize,
    /// The length came from the frame (offloaded segmentation).
    len_from_frame: bool,
    /// Where the datagram ends on the wire (`wire_end` limited by its
    /// length), and in the captured bytes.
    wire_end: usize,
    end: usize,
    /// (identification, offset in bytes, more fragments).
    fragment: Option<(u32, u32, bool)>,
    /// Where the IP header starts (for its checksum).
    start: usize,
}

impl<'a, 'o> Walk<'a, 'o> {
    pub(super) fn new(data: &'a [u8], verify: bool, packet: &'o mut Packet) -> Walk<'a, 'o> {
        Walk {
            data,
            verify,
            tunnels: Tunnels::default(),
            outer: None,
            packet,
        }
    }

    /// Continues a walk inside a reassembled datagram, whose first
    /// fragment rode in `tunnel`.
    pub(super) fn resumed(
        data: &'a [u8],
        verify: bool,
        tunnel: Option<super::Tunnel>,
        packet: &'o mut Packet,
    ) -> Walk<'a, 'o> {
        Walk {
            data,
            verify,
            tunnels: Tunnels::from(tunnel),
            outer: None,
            packet,
        }
    }

    /// Ends the walk: a skip goes where the packet would have, and the
    /// tunnels found are returned.
    #[inline]
    pub(super) fn finish(self, r: Result<(), Skip>) -> Option<super::Tunnel> {
        if let Err(s) = r {
            *self.packet = Packet::Skipped(s);
        }
        self.tunnels.get()
    }

    /// Walks from `layer` at `at`; the frame's bytes end at `end`, on the
    /// wire at `wire_end`.
    #[inline]
    pub(super) fn run(
        &mut self,
        mut layer: Layer,
        mut at: usize,
        mut end: usize,
        mut wire_end: usize,
    ) -> Result<(), Skip> {
        let data = self.data;
        let mut steps = 0;
        loop {
            steps += 1;
            if steps > MAX_LAYERS {
                return Err(Skip::TooDeep);
            }
            match layer {
                Layer::Ethernet => {
                    let h = data.get(at..at + 14).filter(|_| at + 14 <= end);
                    let h = h.ok_or(Skip::Malformed)?;
                    let t = u16::from_be_bytes([h[12], h[13]]);
                    at += 14;
                    if t <= 1500 {
                        // 802.3: a length, then LLC.
                        end = end.min(at + t as usize);
                        wire_end = wire_end.min(at + t as usize);
                        layer = Layer::Llc;
                    } else {
                        layer = Layer::EtherType(t);
                    }
                }
                Layer::EtherType(t) => {
                    let tag = |n: usize| {
                        data.get(at..at + n)
                            .filter(|_| at + n <= end)
                            .ok_or(Skip::Malformed)
                    };
                    match t {
                        0x0800 => layer = Layer::Ip(Expect::V4),
                        0x86DD => layer = Layer::Ip(Expect::V6),
                        // 802.1Q, 802.1ad and the older QinQ types.
                        0x8100 | 0x88A8 | 0x9100 | 0x9200 => {
                            let h = tag(4)?;
                            let next = u16::from_be_bytes([h[2], h[3]]);
                            at += 4;
                            layer = if next <= 1500 {
                                Layer::Llc
                            } else {
                                Layer::EtherType(next)
                            };
                        }
                        0x8847 | 0x8848 => layer = Layer::Mpls,
                        0x8864 => {
                            // PPPoE session: version/type, code, session
                            // id, payload length, then PPP.
                            let h = tag(8)?;
                            let len = u16::from_be_bytes([h[4], h[5]]) as usize;
                            if len < 2 {
                                return Err(Skip::Malformed);
                            }
                            at += 6;
                            end = end.min(at + len);
                            wire_end = wire_end.min(at + len);
                            layer = Layer::Ppp;
                        }
                        // 802.1BR E-tag: 6 bytes, then the ethertype.
                        0x893F => {
                            let h = tag(8)?;
                            layer = Layer::EtherType(u16::from_be_bytes([h[6], h[7]]));
                            at += 8;
                        }
                        // Cisco VN-Tag: 4 bytes, then the ethertype.
                        0x8926 => {
                            let h = tag(6)?;
                            layer = Layer::EtherType(u16::from_be_bytes([h[4], h[5]]));
                            at += 6;
                        }
                        // 802.1ah I-tag (4 bytes), then the customer's frame.
                        0x88E7 => {
                            tag(4)?;
                            at += 4;
                            layer = Layer::Ethernet;
                        }
                        // Cisco FabricPath: FTag and TTL (2), then the
                        // classic Ethernet frame; the frame ends with its
                        // FCS (Wireshark always takes the last 4 bytes for
                        // it).
                        0x8903 => {
                            tag(2)?;
                            at += 2;
                            end = end.saturating_sub(4).max(at);
                            wire_end = wire_end.saturating_sub(4).max(at);
                            layer = Layer::Ethernet;
                        }
                        0x6558 => layer = Layer::Ethernet,
                        0x894F => layer = Layer::Nsh,
                        _ => return Err(Skip::NotIp),
                    }
                }
                Layer::Llc => {
                    let h = data
                        .get(at..at + 3)
                        .filter(|_| at + 3 <= end)
                        .ok_or(Skip::Malformed)?;
                    match (h[0], h[1], h[2]) {
                        (0xAA, 0xAA, 0x03) => {
                            let s = data
                                .get(at + 3..at + 8)
                                .filter(|_| at + 8 <= end)
                                .ok_or(Skip::Malformed)?;
                            // SNAP with an encapsulated ethertype (RFC 1042,
                            // 802.1H).
                            if s[..3] != [0, 0, 0] && s[..3] != [0, 0, 0xF8] {
                                return Err(Skip::NotIp);
                            }
                            layer = Layer::EtherType(u16::from_be_bytes([s[3], s[4]]));
                            at += 8;
                        }
                        // The IP SAP, unnumbered information.
                        (0x06, _, 0x03) => {
                            layer = Layer::Ip(Expect::V4);
                            at += 3;
                        }
                        _ => return Err(Skip::NotIp),
                    }
                }
                Layer::Ppp => {
                    let mut b = data.get(at..end).unwrap_or(&[]);
                    match b.first() {
                        None => return Err(Skip::Malformed),
                        // Cisco HDLC framing in a PPP link type.
                        Some(0x0F | 0x8F) => {
                            layer = Layer::Chdlc;
                            continue;
                        }
                        _ => {}
                    }
                    if b.starts_with(&[0xFF, 0x03]) {
                        at += 2;
                        b = &b[2..];
                    }
                    // Protocol-field compression: an odd first byte is the
                    // whole field.
                    let (proto, n) = match b {
                        [p, ..] if p & 1 == 1 => (u16::from(*p), 1),
                        [a, c, ..] => (u16::from_be_bytes([*a, *c]), 2),
                        _ => return Err(Skip::Malformed),
                    };
                    at += n;
                    layer = match proto {
                        0x0021 => Layer::Ip(Expect::V4),
                        0x0057 => Layer::Ip(Expect::V6),
                        0x0281 | 0x0283 => Layer::Mpls,
                        _ => return Err(Skip::NotIp),
                    };
                }
                Layer::Chdlc => {
                    let h = data
                        .get(at..at + 4)
                        .filter(|_| at + 4 <= end)
                        .ok_or(Skip::Malformed)?;
                    layer = Layer::EtherType(u16::from_be_bytes([h[2], h[3]]));
                    at += 4;
                }
                Layer::Wlan => {
                    let h = data
                        .get(at..at + 24)
                        .filter(|_| at + 24 <= end)
                        .ok_or(Skip::Malformed)?;
                    let (fc, flags) = (h[0], h[1]);
                    // Data frames (type 2) with a body (subtypes without
                    // the "no data" bit), not protected (encrypted).
                    if (fc >> 2) & 0x03 != 2 || fc & 0x40 != 0 || flags & 0x40 != 0 {
                        return Err(Skip::NotIp);
                    }
                    let mut len = 24;
                    if flags & 0x03 == 0x03 {
                        len += 6; // a fourth address
                    }
                    let qos = fc & 0x80 != 0;
                    if qos {
                        let q = data.get(at + len).ok_or(Skip::Malformed)?;
                        if q & 0x80 != 0 {
                            // An A-MSDU: several packets in one frame.
                            return Err(Skip::NotIp);
                        }
                        len += 2;
                        if flags & 0x80 != 0 {
                            len += 4; // HT control
                        }
                    }
                    at += len;
                    layer = Layer::Llc;
                }
                Layer::Mpls => {
                    loop {
                        let e = data
                            .get(at..at + 4)
                            .filter(|_| at + 4 <= end)
                            .ok_or(Skip::Malformed)?;
                        at += 4;
                        if e[2] & 0x01 != 0 {
                            let label = u32::from_be_bytes([0, e[0], e[1], e[2]]) >> 4;
                            self.tunnels.set_mpls_label(label);
                            break;
                        }
                    }
                    // IPv4 or IPv6 by the first nibble; when it is 0, an
                    // Ethernet pseudowire, without or with a control word
                    // (Wireshark's heuristic looks the MAC addresses up in
                    // its manufacturer list; this one looks for an
                    // ethertype where Ethernet has one).
                    layer = match data.get(at).filter(|_| at < end).map(|b| b >> 4) {
                        Some(4) => Layer::Ip(Expect::V4),
                        Some(6) => Layer::Ip(Expect::V6),
                        Some(0) if pw_ethertype(data, at, end) => Layer::Ethernet,
                        Some(0) if pw_ethertype(data, at + 4, end) => {
                            at += 4;
                            Layer::Ethernet
                        }
                        Some(_) => return Err(Skip::NotIp),
                        None => return Err(Skip::TruncatedIpHeader),
                    };
                }
                Layer::Nsh => {
                    let h = data
                        .get(at..at + 4)
                        .filter(|_| at + 4 <= end)
                        .ok_or(Skip::Malformed)?;
                    let len = (h[1] & 0x3F) as usize * 4;
                    if len < 4 {
                        return Err(Skip::Malformed);
                    }
                    layer = match h[3] {
                        1 => Layer::Ip(Expect::V4),
                        2 => Layer::Ip(Expect::V6),
                        3 => Layer::Ethernet,
                        5 => Layer::Mpls,
                        _ => return Err(Skip::NotIp),
                    };
                    at += len;
                }
                Layer::Ip(expect) => {
                    let ip = self.ip(expect, at, end, wire_end)?;
                    if let Some((id, offset, more)) = ip.fragment {
                        return self.fragment(&ip, id, offset, more);
                    }
                    match self.transport(&ip)? {
                        Next::Done => return Ok(()),
                        Next::Layer(l, a, e, w) => {
                            (layer, at, end, wire_end) = (l, a, e, w);
                        }
                    }
                }
            }
        }
    }

    /// Reads the IP header at `at`.
    #[inline]
    fn ip(&self, expect: Expect, at: usize, end: usize, wire_end: usize) -> Result<Ip, Skip> {
        let b = self.data.get(at..end).unwrap_or(&[]);
        let version = match b.first() {
            Some(v) => v >> 4,
            None => return Err(Skip::TruncatedIpHeader),
        };
        match (expect, version) {
            (Expect::V4 | Expect::Any, 4) => ipv4(b, at, end, wire_end),
            (Expect::V6 | Expect::Any, 6) => ipv6(b, at, end, wire_end),
            (Expect::Any, _) => Err(Skip::NotIp),
            _ => Err(Skip::Malformed),
        }
    }

    /// A fragment: handed to reassembly with what it needs.
    fn fragment(&mut self, ip: &Ip, id: u32, offset: u32, more: bool) -> Result<(), Skip> {
        let start = ip.payload_at.min(ip.end);
        let wire_len = ip.wire_end.saturating_sub(ip.payload_at);
        *self.packet = Packet::Fragment(Fragment {
            key: FragmentKey {
                src: ip.src,
                dst: ip.dst,
                id,
                proto: ip.proto,
            },
            offset,
            more,
            start: start as u32,
            len: (ip.end - start) as u32,
            wire_len: wire_len as u32,
            header_len: ip.header_len as u16,
        });
        Ok(())
    }

    /// The protocol after an IP header.
    #[inline]
    fn transport(&mut self, ip: &Ip) -> Result<Next, Skip> {
        let (at, end, wire_end) = (ip.payload_at, ip.end, ip.wire_end);
        let payload = self.data.get(at..end).unwrap_or(&[]);
        if ip.proto == 6 {
            // The common case, first: the addresses are read once, into
            // the segment.
            let segment_len = wire_end.checked_sub(at).ok_or(Skip::Malformed)?;
            tcp(self.packet, payload, segment_len, ip.ip_len, ip.src, ip.dst)?;
            if self.verify {
                let status = self.checksum(ip, payload, segment_len);
                if let Packet::Tcp(seg) = &mut *self.packet {
                    seg.checksum = status;
                }
            }
            return Ok(Next::Done);
        }
        let outer = (ip.src, ip.dst);
        self.outer = Some(outer);
        match ip.proto {
            17 => {
                let Some(u) = payload.get(..8) else {
                    return Err(Skip::NotTcp);
                };
                let (sport, dport) = (
                    u16::from_be_bytes([u[0], u[1]]),
                    u16::from_be_bytes([u[2], u[3]]),
                );
                let Some(t) = UdpTunnel::of(sport, dport) else {
                    return Err(Skip::NotTcp);
                };
                let udp_len = u16::from_be_bytes([u[4], u[5]]) as usize;
                let (mut end, mut wire_end) = (end, wire_end);
                if udp_len >= 8 {
                    end = end.min(at + udp_len);
                    wire_end = wire_end.min(at + udp_len);
                }
                let body = self.data.get(at + 8..end).unwrap_or(&[]);
                let (len, inner, kind, id) = tunnel::udp(t, body)?;
                self.tunnels.push(kind, outer, id);
                self.inner(inner, at + 8 + len, end, wire_end)
            }
            47 => {
                let (len, inner, kind, id) = tunnel::gre(payload)?;
                self.tunnels.push(kind, outer, id);
                self.inner(inner, at + len, end, wire_end)
            }
            4 => {
                self.tunnels.push(TunnelKind::IpInIp, outer, None);
                Ok(Next::Layer(Layer::Ip(Expect::V4), at, end, wire_end))
            }
            41 => {
                self.tunnels.push(TunnelKind::IpInIp, outer, None);
                Ok(Next::Layer(Layer::Ip(Expect::V6), at, end, wire_end))
            }
            97 => {
                // EtherIP: a 2-byte header (version 3), then Ethernet.
                if payload.len() < 2 {
                    return Err(Skip::TruncatedIpHeader);
                }
                self.tunnels.push(TunnelKind::EtherIp, outer, None);
                Ok(Next::Layer(Layer::Ethernet, at + 2, end, wire_end))
            }
            137 => {
                self.tunnels.push(TunnelKind::Mpls, outer, None);
                Ok(Next::Layer(Layer::Mpls, at, end, wire_end))
            }
            1 | 58 if (ip.proto == 58) == ip.v6 => {
                *self.packet = icmp::quote(payload, ip.v6, outer)?;
                Ok(Next::Done)
            }
            _ => Err(Skip::NotTcp),
        }
    }

    /// The layer a tunnel header announces.
    fn inner(
        &mut self,
        inner: Inner,
        at: usize,
        end: usize,
        wire_end: usize,
    ) -> Result<Next, Skip> {
        let layer = match inner {
            Inner::EtherType(t) => Layer::EtherType(t),
            Inner::Ethernet => Layer::Ethernet,
            Inner::Ppp => Layer::Ppp,
            Inner::Ip => Layer::Ip(Expect::Any),
            Inner::Ipv4 => Layer::Ip(Expect::V4),
            Inner::Ipv6 => Layer::Ip(Expect::V6),
            Inner::Mpls => {
                if self.tunnels.innermost() != Some(TunnelKind::Mpls) {
                    if let Some(outer) = self.outer {
                        self.tunnels.push(TunnelKind::Mpls, outer, None);
                    }
                }
                Layer::Mpls
            }
            Inner::Nsh => Layer::Nsh,
            Inner::Other => return Err(Skip::NotIp),
        };
        Ok(Next::Layer(layer, at, end, wire_end))
    }

    /// The TCP checksum (and the IPv4 header's).
    fn checksum(&self, ip: &Ip, captured: &[u8], segment_len: usize) -> ChecksumStatus {
        if ip.len_from_frame {
            // Offloaded segmentation: the host had not filled in the
            // lengths or the checksums yet.
            return ChecksumStatus::Unverifiable;
        }
        // The IPv4 header's own checksum (a reassembled datagram's header
        // is not at hand: its fragments' headers were not checked).
        let header = (!ip.v6)
            .then(|| self.data.get(ip.start..ip.start + ip.header_len))
            .flatten();
        if header.is_some_and(|h| Sum16BitWords::new().add_slice(h).ones_complement() != 0) {
            return ChecksumStatus::Bad;
        }
        if captured.len() < segment_len || ip.wire_end < ip.payload_at + segment_len {
            return ChecksumStatus::Unverifiable;
        }
        let mut sum = Sum16BitWords::new();
        match (ip.src, ip.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                sum = sum
                    .add_4bytes(s.octets())
                    .add_4bytes(d.octets())
                    .add_2bytes([0, 6])
                    .add_2bytes((segment_len as u16).to_be_bytes());
            }
            (s, d) => {
                sum = sum
                    .add_16bytes(v6(s).octets())
                    .add_16bytes(v6(d).octets())
                    .add_4bytes((segment_len as u32).to_be_bytes())
                    .add_4bytes([0, 0, 0, 6]);
            }
        }
        status(sum.add_slice(&captured[..segment_len]))
    }
}

/// Whether an Ethernet pseudowire at `at` has a common ethertype where
/// Ethernet has one.
fn pw_ethertype(data: &[u8], at: usize, end: usize) -> bool {
    data.get(at + 12..at + 14)
        .filter(|_| at + 14 <= end)
        .is_some_and(|t| {
            matches!(
                u16::from_be_bytes([t[0], t[1]]),
                0x0800 | 0x86DD | 0x8100 | 0x88A8 | 0x8847 | 0x0806
            )
        })
}

fn v6(a: IpAddr) -> Ipv6Addr {
    match a {
        IpAddr::V6(a) => a,
        IpAddr::V4(a) => a.to_ipv6_mapped(),
    }
}

/// What follows a transport header.
enum Next {
    /// Found (in `Walk::packet`).
    Done,
    Layer(Layer, usize, usize, usize),
}

/// IPv4 at `b` (which starts at offset `at` of the frame).
#[inline]
fn ipv4(b: &[u8], at: usize, end: usize, wire_end: usize) -> Result<Ip, Skip> {
    if b.len() < 20 {
        return Err(Skip::TruncatedIpHeader);
    }
    let header_len = (b[0] & 0x0F) as usize * 4;
    if header_len < 20 {
        return Err(Skip::Malformed);
    }
    if b.len() < header_len {
        return Err(Skip::TruncatedIpHeader);
    }
    let total = u16::from_be_bytes([b[2], b[3]]) as usize;
    let wire_len = wire_end.saturating_sub(at);
    let (ip_len, len_from_frame) = if total == 0 {
        (wire_len, true)
    } else if total < header_len {
        return Err(Skip::Malformed);
    } else {
        (total, false)
    };
    let frag = u16::from_be_bytes([b[6], b[7]]);
    let offset = u32::from(frag & 0x1FFF) * 8;
    let more = frag & 0x2000 != 0;
    // A total length beyond the frame cannot be true: like Wireshark, only
    // the bytes the frame carried count.
    let wire_end = at + ip_len.min(wire_len);
    let end = end.min(wire_end);
    let src = IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19]));
    let mut proto = b[9];
    let mut payload_at = at + header_len;
    let fragment = (more || offset != 0).then_some((
        u32::from(u16::from_be_bytes([b[4], b[5]])),
        offset,
        more,
    ));
    if fragment.is_none() && proto == 51 {
        // An authentication header: (length + 2) * 4 bytes.
        let ah = b
            .get(header_len..header_len + 2)
            .ok_or(Skip::TruncatedIpHeader)?;
        let len = (ah[1] as usize + 2) * 4;
        if b.len() < header_len + len {
            return Err(Skip::TruncatedIpHeader);
        }
        proto = ah[0];
        payload_at += len;
    }
    if payload_at > wire_end {
        return Err(Skip::Malformed);
    }
    Ok(Ip {
        start: at,
        src,
        dst,
        v6: false,
        proto,
        header_len,
        payload_at,
        ip_len,
        len_from_frame,
        wire_end,
        end,
        fragment,
    })
}

/// IPv6 at `b`, with its extension headers.
#[inline]
fn ipv6(b: &[u8], at: usize, end: usize, wire_end: usize) -> Result<Ip, Skip> {
    if b.len() < 40 {
        return Err(Skip::TruncatedIpHeader);
    }
    let payload_length = u16::from_be_bytes([b[4], b[5]]) as usize;
    let wire_len = wire_end.saturating_sub(at);
    let (ip_len, len_from_frame) = if payload_length == 0 {
        // Jumbogram or offloaded segmentation: the frame gives the length.
        (wire_len, true)
    } else {
        (40 + payload_length, false)
    };
    let wire_end = at + ip_len.min(wire_len);
    let end = end.min(wire_end);
    let addr = |o: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[o..o + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let (src, dst) = (addr(8), addr(24));
    let mut proto = b[6];
    let mut off = 40;
    let mut fragment = None;
    let limit = end - at;
    loop {
        let len = match proto {
            0 | 43 | 60 | 135 | 139 | 140 => {
                let h = b.get(off..off + 2).filter(|_| off + 2 <= limit);
                (h.ok_or(Skip::TruncatedIpHeader)?[1] as usize + 1) * 8
            }
            51 => {
                let h = b.get(off..off + 2).filter(|_| off + 2 <= limit);
                (h.ok_or(Skip::TruncatedIpHeader)?[1] as usize + 2) * 4
            }
            44 => {
                let h = b.get(off..off + 8).filter(|_| off + 8 <= limit);
                let h = h.ok_or(Skip::TruncatedIpHeader)?;
                let fo = u16::from_be_bytes([h[2], h[3]]);
                let (offset, more) = (u32::from(fo & 0xFFF8), fo & 0x01 != 0);
                if offset != 0 || more {
                    fragment = Some((u32::from_be_bytes([h[4], h[5], h[6], h[7]]), offset, more));
                }
                8
            }
            _ => break,
        };
        let next = b[off];
        if off + len > limit {
            return Err(Skip::TruncatedIpHeader);
        }
        off += len;
        proto = next;
        if fragment.is_some() {
            break;
        }
    }
    Ok(Ip {
        src,
        dst,
        v6: true,
        proto,
        header_len: off,
        payload_at: at + off,
        ip_len,
        len_from_frame,
        wire_end,
        end,
        fragment,
        start: at,
    })
}

/// A TCP segment of a reassembled datagram: its payload is `data`.
pub(super) fn reassembled(
    key: &FragmentKey,
    data: &[u8],
    header_len: usize,
    tunnel: Option<super::Tunnel>,
    verify: bool,
) -> Layers {
    let mut packet = Packet::Skipped(Skip::NotIp);
    let mut w = Walk::resumed(data, verify, tunnel, &mut packet);
    let ip = Ip {
        src: key.src,
        dst: key.dst,
        v6: key.src.is_ipv6(),
        proto: key.proto,
        header_len,
        payload_at: 0,
        ip_len: header_len + data.len(),
        len_from_frame: false,
        wire_end: data.len(),
        end: data.len(),
        fragment: None,
        start: usize::MAX,
    };
    w.outer = Some((key.src, key.dst));
    let r = match w.transport(&ip) {
        Ok(Next::Done) => Ok(()),
        Ok(Next::Layer(l, a, e, we)) => w.run(l, a, e, we),
        Err(s) => Err(s),
    };
    let tunnel = w.finish(r);
    Layers { packet, tunnel }
}

impl From<Option<super::Tunnel>> for Tunnels {
    fn from(t: Option<super::Tunnel>) -> Tunnels {
        Tunnels::restore(t)
    }
}
