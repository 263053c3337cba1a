//! Link layers: from the start of a frame to its first network-layer
//! header, for each link type read (see [`start`]).
//!
//! Ethernet, 802.11 and what they carry are followed by the layer walk
//! ([`super::walk`]); here are the link types' own headers: Linux cooked
//! captures (etherparse's SLL parser refuses ARPHRD types such as loopback,
//! `NONE` or PPP, which real "any"-interface captures contain, and it has
//! no SLL2), BSD NULL/LOOP, NFLOG, the raw-IP link types, FDDI, PPP, Cisco
//! HDLC, Juniper's Ethernet encapsulation, and the radio headers in front
//! of 802.11 (radiotap, PPI, Prism, AVS).

use super::Skip;
use super::walk::{Expect, Layer};
use crate::capture::LinkType;

/// Where decoding starts: the first layer and its offset, and the end of
/// the bytes that belong to the frame (an FCS excluded).
pub(super) struct Start {
    pub(super) layer: Layer,
    pub(super) at: usize,
    pub(super) end: usize,
}

/// Address families that mean IPv6 in the BSD loopback header (Linux,
/// NetBSD/OpenBSD, FreeBSD, Darwin).
const AF_INET: u32 = 2;
const AF_INET6: [u32; 4] = [10, 24, 28, 30];

/// NFLOG TLV type of the packet payload.
const NFULA_PAYLOAD: u16 = 9;

/// Linux ARPHRD values whose SLL protocol field is not an ethertype.
const ARPHRD_NETLINK: u16 = 824;
const ARPHRD_IEEE80211_RADIOTAP: u16 = 803;
const ARPHRD_FRAD: u16 = 770;

/// The first layer of a frame of link type `link`.
#[inline]
pub(super) fn start(link: LinkType, data: &[u8]) -> Result<Start, Skip> {
    let whole = |layer, at| {
        Ok(Start {
            layer,
            at,
            end: data.len(),
        })
    };
    match link.0 {
        // The common case straight to IP: Ethernet II carrying IPv4 or IPv6.
        1 => match data.get(12..14) {
            Some([0x08, 0x00]) => whole(Layer::Ip(Expect::V4), 14),
            Some([0x86, 0xDD]) => whole(Layer::Ip(Expect::V6), 14),
            _ => whole(Layer::Ethernet, 0),
        },
        113 => sll(data),
        276 => sll2(data),
        101 | 12 | 14 => whole(Layer::Ip(Expect::Any), 0),
        228 => whole(Layer::Ip(Expect::V4), 0),
        229 => whole(Layer::Ip(Expect::V6), 0),
        0 => family(data, null_family(data)?),
        108 => family(data, loop_family(data)?),
        239 => nflog(data),
        10 => fddi(data),
        9 | 50 => whole(Layer::Ppp, 0),
        104 => whole(Layer::Chdlc, 0),
        105 => whole(Layer::Wlan, 0),
        127 => radiotap(data),
        192 => ppi(data),
        119 => prism(data),
        163 => avs(data),
        178 => juniper_ether(data),
        _ => Err(Skip::UnsupportedLink),
    }
}

/// Linux cooked capture v1: packet type (2), ARPHRD type (2), address length
/// (2), address (8), protocol (2).
fn sll(data: &[u8]) -> Result<Start, Skip> {
    let hdr = data.get(..16).ok_or(Skip::Malformed)?;
    let hatype = u16::from_be_bytes([hdr[2], hdr[3]]);
    let protocol = u16::from_be_bytes([hdr[14], hdr[15]]);
    sll_payload(data, 16, hatype, protocol)
}

/// Linux cooked capture v2: protocol (2), reserved (2), interface index (4),
/// ARPHRD type (2), packet type (1), address length (1), address (8).
fn sll2(data: &[u8]) -> Result<Start, Skip> {
    let hdr = data.get(..20).ok_or(Skip::Malformed)?;
    let protocol = u16::from_be_bytes([hdr[0], hdr[1]]);
    let hatype = u16::from_be_bytes([hdr[8], hdr[9]]);
    sll_payload(data, 20, hatype, protocol)
}

fn sll_payload(data: &[u8], at: usize, hatype: u16, protocol: u16) -> Result<Start, Skip> {
    match hatype {
        ARPHRD_NETLINK | ARPHRD_IEEE80211_RADIOTAP | ARPHRD_FRAD => Err(Skip::NotIp),
        // Below 0x0600 the protocol is one of Linux's pseudo-protocols
        // (802.2 LLC, 802.3, CAN, ...), not an ethertype.
        _ if protocol < 0x0600 => Err(Skip::NotIp),
        _ => Ok(Start {
            layer: Layer::EtherType(protocol),
            at,
            end: data.len(),
        }),
    }
}

/// BSD loopback: 4-byte address family in the capturing host's byte order.
fn null_family(data: &[u8]) -> Result<u32, Skip> {
    let hdr = data.get(..4).ok_or(Skip::Malformed)?;
    let family = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    // Written by a host of the other byte order.
    Ok(if family & 0xFFFF_0000 != 0 {
        family.swap_bytes()
    } else {
        family
    })
}

/// OpenBSD loopback: 4-byte address family, big-endian.
fn loop_family(data: &[u8]) -> Result<u32, Skip> {
    let hdr = data.get(..4).ok_or(Skip::Malformed)?;
    Ok(u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]))
}

fn family(data: &[u8], family: u32) -> Result<Start, Skip> {
    let expect = if family == AF_INET {
        Expect::V4
    } else if AF_INET6.contains(&family) {
        Expect::V6
    } else {
        return Err(Skip::NotIp);
    };
    Ok(Start {
        layer: Layer::Ip(expect),
        at: 4,
        end: data.len(),
    })
}

/// Linux NFLOG: family (1), version (1), resource id (2, big-endian), then
/// TLVs: length (2) and type (2) in the capturing host's byte order, value,
/// padding to 4 bytes. The IP packet is the value of the payload TLV.
fn nflog(data: &[u8]) -> Result<Start, Skip> {
    let hdr = data.get(..4).ok_or(Skip::Malformed)?;
    let family = hdr[0] as u32;
    let mut offset = 4;
    // The TLV byte order is the writer's; TLV types are small numbers, which
    // tells the two orders apart.
    let mut big_endian: Option<bool> = None;
    let mut last_end = offset;
    while let Some(tlv) = data.get(offset..offset + 4) {
        let big = *big_endian.get_or_insert_with(|| {
            let le_type = u16::from_le_bytes([tlv[2], tlv[3]]);
            let be_type = u16::from_be_bytes([tlv[2], tlv[3]]);
            be_type < le_type
        });
        let (len, tlv_type) = if big {
            (
                u16::from_be_bytes([tlv[0], tlv[1]]),
                u16::from_be_bytes([tlv[2], tlv[3]]),
            )
        } else {
            (
                u16::from_le_bytes([tlv[0], tlv[1]]),
                u16::from_le_bytes([tlv[2], tlv[3]]),
            )
        };
        let len = len as usize;
        if len < 4 {
            return Err(Skip::Malformed);
        }
        if tlv_type & 0x7FFF == NFULA_PAYLOAD {
            let expect = if family == AF_INET {
                Expect::V4
            } else if AF_INET6.contains(&family) {
                Expect::V6
            } else {
                Expect::Any
            };
            return Ok(Start {
                layer: Layer::Ip(expect),
                at: offset + 4,
                end: (offset + len).min(data.len()),
            });
        }
        last_end = offset + len;
        offset += (len + 3) & !3;
    }
    if last_end <= data.len() && offset >= data.len() {
        // Every TLV is complete and none is the payload.
        Err(Skip::NotIp)
    } else {
        // The TLVs were cut (snaplen) before the payload.
        Err(Skip::TruncatedIpHeader)
    }
}

/// FDDI: frame control (1), destination (6), source (6), then 802.2 LLC.
fn fddi(data: &[u8]) -> Result<Start, Skip> {
    if data.len() < 13 {
        return Err(Skip::Malformed);
    }
    // Only LLC frames (frame control 0b01010xxx) carry data.
    if data[0] & 0xF8 != 0x50 {
        return Err(Skip::NotIp);
    }
    Ok(Start {
        layer: Layer::Llc,
        at: 13,
        end: data.len(),
    })
}

/// Radiotap: version (1), pad (1), length (2, little-endian), present
/// flags; the Flags field (bit 1 of the first present word) says whether
/// the 802.11 frame ends with an FCS.
fn radiotap(data: &[u8]) -> Result<Start, Skip> {
    let h = data.get(..8).ok_or(Skip::Malformed)?;
    let len = u16::from_le_bytes([h[2], h[3]]) as usize;
    if len < 8 || len > data.len() {
        return Err(Skip::Malformed);
    }
    let present = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let mut fcs = false;
    if present & 0x02 != 0 {
        // Fields follow the present words (more when bit 31 is set); the
        // TSFT (8 bytes, aligned to 8) may come before Flags.
        let mut at = 8;
        let mut word = present;
        while word & 0x8000_0000 != 0 {
            let w = data.get(at..at + 4).ok_or(Skip::Malformed)?;
            word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            at += 4;
        }
        if present & 0x01 != 0 {
            at = at.next_multiple_of(8) + 8;
        }
        if let Some(&flags) = data.get(at).filter(|_| at < len) {
            fcs = flags & 0x10 != 0;
        }
    }
    let end = if fcs {
        data.len().checked_sub(4).ok_or(Skip::Malformed)?
    } else {
        data.len()
    };
    Ok(Start {
        layer: Layer::Wlan,
        at: len,
        end: end.max(len),
    })
}

/// PPI: version (1), flags (1), length (2, LE), link type of what follows
/// (4, LE): 802.11 or Ethernet.
fn ppi(data: &[u8]) -> Result<Start, Skip> {
    let h = data.get(..8).ok_or(Skip::Malformed)?;
    let len = u16::from_le_bytes([h[2], h[3]]) as usize;
    if len < 8 || len > data.len() {
        return Err(Skip::Malformed);
    }
    let layer = match u32::from_le_bytes([h[4], h[5], h[6], h[7]]) {
        105 => Layer::Wlan,
        1 => Layer::Ethernet,
        _ => return Err(Skip::UnsupportedLink),
    };
    Ok(Start {
        layer,
        at: len,
        end: data.len(),
    })
}

/// Prism monitoring header: message code (4) and length (4) in the host's
/// byte order (usually 144 bytes), then 802.11.
fn prism(data: &[u8]) -> Result<Start, Skip> {
    let h = data.get(..8).ok_or(Skip::Malformed)?;
    let le = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let be = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let len = if (8..=data.len()).contains(&le) {
        le
    } else if (8..=data.len()).contains(&be) {
        be
    } else {
        return Err(Skip::Malformed);
    };
    Ok(Start {
        layer: Layer::Wlan,
        at: len,
        end: data.len(),
    })
}

/// AVS capture header: version (4) and length (4), big-endian.
fn avs(data: &[u8]) -> Result<Start, Skip> {
    let h = data.get(..8).ok_or(Skip::Malformed)?;
    let len = u32::from_be_bytes([h[4], h[5], h[6], h[7]]) as usize;
    if len < 8 || len > data.len() {
        return Err(Skip::Malformed);
    }
    Ok(Start {
        layer: Layer::Wlan,
        at: len,
        end: data.len(),
    })
}

/// Juniper's Ethernet encapsulation: magic "MGC" (3), flags (1); with the
/// extension flag, a 2-byte length and that many bytes of TLVs; then the
/// Ethernet frame (unless the no-L2 flag says there is none).
fn juniper_ether(data: &[u8]) -> Result<Start, Skip> {
    let h = data.get(..4).ok_or(Skip::Malformed)?;
    if &h[..3] != b"MGC" {
        return Err(Skip::Malformed);
    }
    let flags = h[3];
    let mut at = 4;
    if flags & 0x80 != 0 {
        let l = data.get(4..6).ok_or(Skip::Malformed)?;
        at = 6 + u16::from_be_bytes([l[0], l[1]]) as usize;
    }
    if at > data.len() {
        return Err(Skip::Malformed);
    }
    let layer = if flags & 0x02 != 0 {
        // No layer 2: a 4-byte protocol family precedes the IP packet.
        at += 4;
        Layer::Ip(Expect::Any)
    } else {
        Layer::Ethernet
    };
    Ok(Start {
        layer,
        at,
        end: data.len(),
    })
}
