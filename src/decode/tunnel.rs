//! Tunnels that carry IP or Ethernet inside IP: their headers, and the
//! record of the tunnels a packet rode in ([`Tunnel`]).
//!
//! Recognised as Wireshark 4.0 recognises them with its default
//! preferences: GRE (IP protocol 47; checksum, offset, key, sequence and
//! routing fields; version 1, PPTP's enhanced GRE) by its protocol type,
//! and the UDP encapsulations by port, the lower port of a datagram first
//! (see [`udp_ports`](super::udp_ports)).

use std::fmt;
use std::net::IpAddr;

use super::Skip;

/// An encapsulation a packet rode in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelKind {
    /// GRE (RFC 2784/2890), over IP or UDP (RFC 8086).
    Gre,
    /// Cisco ERSPAN (types I, II and III), in GRE.
    Erspan,
    /// PPTP's enhanced GRE (RFC 2637), carrying PPP.
    Pptp,
    /// WCCP redirection in GRE.
    Wccp,
    /// An IP header directly inside IP (4in4, 6in4, 4in6, 6in6).
    IpInIp,
    /// EtherIP (RFC 3378).
    EtherIp,
    /// VXLAN (RFC 7348).
    Vxlan,
    /// VXLAN-GPE.
    VxlanGpe,
    /// Geneve (RFC 8926).
    Geneve,
    /// GTP-U (3GPP TS 29.281), and GTP' carrying a T-PDU.
    GtpU,
    /// Teredo (RFC 4380).
    Teredo,
    /// AYIYA.
    Ayiya,
    /// L2TP version 2 (RFC 2661) data.
    L2tp,
    /// LISP data (RFC 9300).
    Lisp,
    /// An MPLS label stack inside IP, UDP or GRE.
    Mpls,
    /// Network Service Header (RFC 8300).
    Nsh,
}

impl TunnelKind {
    /// The name in the JSON output.
    pub fn name(self) -> &'static str {
        match self {
            TunnelKind::Gre => "gre",
            TunnelKind::Erspan => "erspan",
            TunnelKind::Pptp => "pptp",
            TunnelKind::Wccp => "wccp",
            TunnelKind::IpInIp => "ip-in-ip",
            TunnelKind::EtherIp => "etherip",
            TunnelKind::Vxlan => "vxlan",
            TunnelKind::VxlanGpe => "vxlan-gpe",
            TunnelKind::Geneve => "geneve",
            TunnelKind::GtpU => "gtp-u",
            TunnelKind::Teredo => "teredo",
            TunnelKind::Ayiya => "ayiya",
            TunnelKind::L2tp => "l2tp",
            TunnelKind::Lisp => "lisp",
            TunnelKind::Mpls => "mpls",
            TunnelKind::Nsh => "nsh",
        }
    }
}

impl fmt::Display for TunnelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How many encapsulations a [`Tunnel`] names (the outermost ones; its
/// `depth` counts them all).
pub const TUNNEL_PATH: usize = 4;

/// The tunnels a packet rode in: their kinds from the outermost in, and
/// the innermost one's outer addresses and identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tunnel {
    path: [Option<TunnelKind>; TUNNEL_PATH],
    /// Encapsulations in all.
    pub depth: u8,
    /// Source of the IP header the innermost tunnel travelled in.
    pub src: IpAddr,
    /// Its destination.
    pub dst: IpAddr,
    /// The innermost tunnel's identifier: GRE key, ERSPAN session, PPTP
    /// call id, VXLAN/Geneve VNI, GTP TEID, L2TP session, MPLS label.
    pub id: Option<u32>,
}

impl Tunnel {
    /// The kinds, from the outermost in (at most [`TUNNEL_PATH`]).
    pub fn path(&self) -> impl Iterator<Item = TunnelKind> + '_ {
        self.path.iter().map_while(|k| *k)
    }
}

/// The tunnels found so far while decoding one packet.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Tunnels {
    t: Option<Tunnel>,
}

impl Tunnels {
    /// Enters a tunnel of `kind` carried by the IP header `outer`.
    #[inline]
    pub(super) fn push(&mut self, kind: TunnelKind, outer: (IpAddr, IpAddr), id: Option<u32>) {
        let t = self.t.get_or_insert(Tunnel {
            path: [None; TUNNEL_PATH],
            depth: 0,
            src: outer.0,
            dst: outer.1,
            id,
        });
        if let Some(slot) = t.path.get_mut(t.depth as usize) {
            *slot = Some(kind);
        }
        t.depth = t.depth.saturating_add(1);
        t.src = outer.0;
        t.dst = outer.1;
        t.id = id;
    }

    /// The identifier of the innermost tunnel, learnt after it was entered.
    #[inline]
    pub(super) fn set_id(&mut self, id: u32) {
        if let Some(t) = &mut self.t {
            t.id = Some(id);
        }
    }

    /// An MPLS tunnel's identifier: its bottom label.
    #[inline]
    pub(super) fn set_mpls_label(&mut self, label: u32) {
        if self.innermost() == Some(TunnelKind::Mpls) {
            self.set_id(label);
        }
    }

    /// The innermost tunnel's kind, when the path names it.
    pub(super) fn innermost(&self) -> Option<TunnelKind> {
        let t = self.t.as_ref()?;
        t.path
            .get((t.depth as usize).checked_sub(1)?)
            .copied()
            .flatten()
    }

    pub(super) fn get(self) -> Option<Tunnel> {
        self.t
    }

    pub(super) fn restore(t: Option<Tunnel>) -> Tunnels {
        Tunnels { t }
    }
}

/// What a tunnel header says comes next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Inner {
    /// A payload of this ethertype.
    EtherType(u16),
    /// An Ethernet frame.
    Ethernet,
    /// PPP (protocol field, with or without address and control).
    Ppp,
    /// IPv4 or IPv6 by the first nibble.
    Ip,
    Ipv4,
    Ipv6,
    Mpls,
    Nsh,
    /// Nothing that can carry TCP.
    Other,
}

const GRE_CSUM: u16 = 0x8000;
const GRE_ROUTING: u16 = 0x4000;
const GRE_KEY: u16 = 0x2000;
const GRE_SEQ: u16 = 0x1000;
const GRE_ACK: u16 = 0x0080;
const GRE_VERSION: u16 = 0x0007;

const ETHERTYPE_ERSPAN_2: u16 = 0x88BE;
const ETHERTYPE_ERSPAN_3: u16 = 0x22EB;
const ETHERTYPE_TEB: u16 = 0x6558;
const ETHERTYPE_PPP: u16 = 0x880B;
const ETHERTYPE_WCCP: u16 = 0x883E;

/// A GRE header at the start of `b`: (header length, what follows, the
/// kind of tunnel, its identifier).
pub(super) fn gre(b: &[u8]) -> Result<(usize, Inner, TunnelKind, Option<u32>), Skip> {
    let h = b.get(..4).ok_or(Skip::TruncatedIpHeader)?;
    let flags = u16::from_be_bytes([h[0], h[1]]);
    let proto = u16::from_be_bytes([h[2], h[3]]);
    let mut len = 4;
    let mut id = None;
    let pptp = flags & GRE_VERSION == 1;
    if flags & (GRE_CSUM | GRE_ROUTING) != 0 {
        len += 4;
    }
    if flags & GRE_KEY != 0 {
        let k = b.get(len..len + 4).ok_or(Skip::TruncatedIpHeader)?;
        id = Some(if pptp {
            // Payload length (2), call id (2).
            u32::from(u16::from_be_bytes([k[2], k[3]]))
        } else {
            u32::from_be_bytes([k[0], k[1], k[2], k[3]])
        });
        len += 4;
    }
    if flags & GRE_SEQ != 0 {
        len += 4;
    }
    if pptp && flags & GRE_ACK != 0 {
        len += 4;
    }
    if flags & GRE_ROUTING != 0 {
        // Source route entries: address family (2), offset (1), length
        // (1), information; a null entry (family 0, length 0) ends them.
        loop {
            let sre = b.get(len..len + 4).ok_or(Skip::TruncatedIpHeader)?;
            let family = u16::from_be_bytes([sre[0], sre[1]]);
            let sre_len = sre[3] as usize;
            len += 4 + sre_len;
            if family == 0 && sre_len == 0 {
                break;
            }
        }
    }
    if b.len() < len {
        return Err(Skip::TruncatedIpHeader);
    }
    let seq_present = flags & GRE_SEQ != 0;
    Ok(match proto {
        ETHERTYPE_ERSPAN_2 => {
            // Type I has no header of its own and comes without a GRE
            // sequence number; type II has an 8-byte header.
            let erspan_len = if seq_present { 8 } else { 0 };
            let session = if seq_present {
                let e = b.get(len..len + 4).ok_or(Skip::TruncatedIpHeader)?;
                Some(u32::from(u16::from_be_bytes([e[2], e[3]]) & 0x03FF))
            } else {
                None
            };
            (
                len + erspan_len,
                Inner::Ethernet,
                TunnelKind::Erspan,
                session,
            )
        }
        ETHERTYPE_ERSPAN_3 => {
            // Type III: 12 bytes, then an 8-byte platform-specific
            // subheader when its O bit is set.
            let e = b.get(len..len + 12).ok_or(Skip::TruncatedIpHeader)?;
            let session = u32::from(u16::from_be_bytes([e[2], e[3]]) & 0x03FF);
            let optional = e[11] & 0x01 != 0;
            let l = len + 12 + if optional { 8 } else { 0 };
            (l, Inner::Ethernet, TunnelKind::Erspan, Some(session))
        }
        ETHERTYPE_TEB => (len, Inner::Ethernet, TunnelKind::Gre, id),
        ETHERTYPE_PPP => {
            let kind = if pptp {
                TunnelKind::Pptp
            } else {
                TunnelKind::Gre
            };
            (len, Inner::Ppp, kind, id)
        }
        ETHERTYPE_WCCP => {
            // WCCP v2 adds a 4-byte redirect header, which an IPv4 header
            // cannot be mistaken for (Wireshark tells them apart so).
            let first = *b.get(len).ok_or(Skip::TruncatedIpHeader)?;
            let l = if first & 0xF0 == 0x40 { len } else { len + 4 };
            (l, Inner::Ipv4, TunnelKind::Wccp, id)
        }
        0x0800 => (len, Inner::Ipv4, TunnelKind::Gre, id),
        0x86DD => (len, Inner::Ipv6, TunnelKind::Gre, id),
        0x8847 | 0x8848 => (len, Inner::Mpls, TunnelKind::Gre, id),
        0x894F => (len, Inner::Nsh, TunnelKind::Gre, id),
        _ => (len, Inner::Other, TunnelKind::Gre, id),
    })
}

/// The UDP encapsulations Wireshark decodes by default, by port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UdpTunnel {
    Gre,
    Vxlan,
    VxlanGpe,
    Geneve,
    Gtp,
    Teredo,
    Ayiya,
    Mpls,
    L2tp,
    Lisp,
}

impl UdpTunnel {
    fn of_port(port: u16) -> Option<UdpTunnel> {
        Some(match port {
            4754 => UdpTunnel::Gre,
            4789 => UdpTunnel::Vxlan,
            4790 => UdpTunnel::VxlanGpe,
            6081 => UdpTunnel::Geneve,
            2152 | 2123 | 3386 => UdpTunnel::Gtp,
            3544 => UdpTunnel::Teredo,
            5072 => UdpTunnel::Ayiya,
            6635 => UdpTunnel::Mpls,
            1701 => UdpTunnel::L2tp,
            4341 => UdpTunnel::Lisp,
            _ => return None,
        })
    }

    /// The encapsulation a datagram between these ports is decoded as:
    /// Wireshark tries the lower port, then the higher one; a port some
    /// other dissector is registered on takes the datagram.
    #[inline]
    pub(super) fn of(src: u16, dst: u16) -> Option<UdpTunnel> {
        let (lo, hi) = if src <= dst { (src, dst) } else { (dst, src) };
        for p in [lo, hi] {
            if p == 0 {
                continue;
            }
            if let Some(t) = UdpTunnel::of_port(p) {
                return Some(t);
            }
            if super::udp_ports::registered(p) {
                return None;
            }
        }
        None
    }
}

/// The header of a UDP encapsulation at the start of `b`: (its length,
/// what follows, the tunnel kind, its identifier).
pub(super) fn udp(t: UdpTunnel, b: &[u8]) -> Result<(usize, Inner, TunnelKind, Option<u32>), Skip> {
    let need = |n: usize| b.get(..n).ok_or(Skip::TruncatedIpHeader);
    match t {
        UdpTunnel::Gre => {
            let (len, inner, kind, id) = gre(b)?;
            Ok((len, inner, kind, id))
        }
        UdpTunnel::Vxlan => {
            let h = need(8)?;
            let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
            Ok((8, Inner::Ethernet, TunnelKind::Vxlan, Some(vni)))
        }
        UdpTunnel::VxlanGpe => {
            let h = need(8)?;
            let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
            let inner = match h[3] {
                1 => Inner::Ipv4,
                2 => Inner::Ipv6,
                3 => Inner::Ethernet,
                4 => Inner::Nsh,
                5 => Inner::Mpls,
                _ => Inner::Other,
            };
            Ok((8, inner, TunnelKind::VxlanGpe, Some(vni)))
        }
        UdpTunnel::Geneve => {
            let h = need(8)?;
            let len = 8 + (h[0] & 0x3F) as usize * 4;
            need(len)?;
            let vni = u32::from_be_bytes([0, h[4], h[5], h[6]]);
            let proto = u16::from_be_bytes([h[2], h[3]]);
            Ok((len, ether_inner(proto), TunnelKind::Geneve, Some(vni)))
        }
        UdpTunnel::Gtp => gtp(b),
        UdpTunnel::Teredo => {
            // Optional authentication (type 1) and origin indication
            // (type 0) headers before the IPv6 packet.
            let mut at = 0;
            if b.get(..2) == Some(&[0, 1]) {
                let h = need(4)?;
                at = 4 + h[2] as usize + h[3] as usize + 8 + 1;
            }
            if b.get(at..at + 2) == Some(&[0, 0]) {
                at += 8;
            }
            need(at + 1)?;
            Ok((at, Inner::Ipv6, TunnelKind::Teredo, None))
        }
        UdpTunnel::Ayiya => {
            let h = need(8)?;
            let id_len = 1usize << (h[0] >> 4);
            let sig_len = (h[1] >> 4) as usize * 4;
            let opcode = h[2] & 0x0F;
            let len = 8 + id_len + sig_len;
            need(len)?;
            let inner = match (opcode, h[3]) {
                (1, 4) => Inner::Ipv4,
                (1, 41) => Inner::Ipv6,
                _ => Inner::Other,
            };
            Ok((len, inner, TunnelKind::Ayiya, None))
        }
        UdpTunnel::Mpls => Ok((0, Inner::Mpls, TunnelKind::Mpls, None)),
        UdpTunnel::L2tp => l2tp(b),
        UdpTunnel::Lisp => {
            need(8)?;
            Ok((8, Inner::Ip, TunnelKind::Lisp, None))
        }
    }
}

/// What an ethertype-typed tunnel payload is.
pub(super) fn ether_inner(proto: u16) -> Inner {
    match proto {
        ETHERTYPE_TEB => Inner::Ethernet,
        other => Inner::EtherType(other),
    }
}

/// GTP version 1 (GTP-U, and GTP' when it uses the version 1 header): a
/// T-PDU (message type 255) carries an IP packet after the header, its
/// optional fields and extension headers.
fn gtp(b: &[u8]) -> Result<(usize, Inner, TunnelKind, Option<u32>), Skip> {
    let h = b.get(..8).ok_or(Skip::TruncatedIpHeader)?;
    let flags = h[0];
    let teid = u32::from_be_bytes([h[4], h[5], h[6], h[7]]);
    if flags >> 5 != 1 || flags & 0x10 == 0 || h[1] != 0xFF {
        return Ok((8, Inner::Other, TunnelKind::GtpU, Some(teid)));
    }
    let mut len = 8;
    if flags & 0x07 != 0 {
        // Sequence number (2), N-PDU number (1), next extension type (1).
        let opt = b.get(8..12).ok_or(Skip::TruncatedIpHeader)?;
        len = 12;
        let mut next = if flags & 0x04 != 0 { opt[3] } else { 0 };
        while next != 0 {
            // Extension: length in 4-byte units (1), content, next type.
            let units = *b.get(len).ok_or(Skip::TruncatedIpHeader)? as usize;
            if units == 0 {
                return Err(Skip::Malformed);
            }
            let end = len + units * 4;
            next = *b.get(end - 1).ok_or(Skip::TruncatedIpHeader)?;
            len = end;
        }
    }
    Ok((len, Inner::Ip, TunnelKind::GtpU, Some(teid)))
}

/// L2TP version 2 data messages (control messages carry no packets).
fn l2tp(b: &[u8]) -> Result<(usize, Inner, TunnelKind, Option<u32>), Skip> {
    let h = b.get(..2).ok_or(Skip::TruncatedIpHeader)?;
    let flags = u16::from_be_bytes([h[0], h[1]]);
    if flags & 0x000F != 2 || flags & 0x8000 != 0 {
        return Ok((2, Inner::Other, TunnelKind::L2tp, None));
    }
    let mut len = 2;
    if flags & 0x4000 != 0 {
        len += 2; // length
    }
    let ids = b.get(len..len + 4).ok_or(Skip::TruncatedIpHeader)?;
    let session = u32::from(u16::from_be_bytes([ids[2], ids[3]]));
    len += 4;
    if flags & 0x0800 != 0 {
        len += 4; // Ns, Nr
    }
    if flags & 0x0200 != 0 {
        let o = b.get(len..len + 2).ok_or(Skip::TruncatedIpHeader)?;
        len += 2 + u16::from_be_bytes([o[0], o[1]]) as usize;
    }
    if b.len() < len {
        return Err(Skip::TruncatedIpHeader);
    }
    Ok((len, Inner::Ppp, TunnelKind::L2tp, Some(session)))
}
