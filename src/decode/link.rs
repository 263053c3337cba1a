//! Link layers: from the start of a frame to the start of its IP datagram.
//!
//! Ethernet and 802.1Q tags are read with etherparse's header slices. What
//! etherparse does not cover is read here: MPLS label stacks, Linux cooked
//! captures (etherparse's SLL parser refuses ARPHRD types such as loopback,
//! `NONE` or PPP, which real "any"-interface captures contain, and it has no
//! SLL2), BSD NULL/LOOP, NFLOG, the raw-IP link types, and PPPoE sessions
//! (found in the corpus inside QinQ).

use etherparse::{EtherType, Ethernet2HeaderSlice, SingleVlanHeaderSlice};

use super::Skip;
use crate::capture::LinkType;

/// Which IP version the link layer announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Expect {
    V4,
    V6,
    /// Decide from the first nibble.
    Any,
}

/// The IP datagram of a frame.
#[derive(Debug)]
pub(super) struct IpStart<'a> {
    /// Captured bytes from the start of the IP header to the end of what can
    /// belong to the datagram (may include link-layer trailers).
    pub(super) bytes: &'a [u8],
    /// Upper bound for the datagram's length on the wire (frame length
    /// minus link-layer header), used when the IP length field is zero.
    pub(super) wire_len: usize,
    pub(super) expect: Expect,
}

const ETHERTYPE_MPLS_UNICAST: u16 = 0x8847;
const ETHERTYPE_MPLS_MULTICAST: u16 = 0x8848;
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const PPP_IPV4: u16 = 0x0021;
const PPP_IPV6: u16 = 0x0057;
/// Some vendors' QinQ tag.
const ETHERTYPE_QINQ_9200: u16 = 0x9200;

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

/// Finds the IP datagram in `data` (a frame of link type `link` whose
/// original length was `orig_len`).
#[inline]
pub(super) fn ip_start(link: LinkType, data: &[u8], orig_len: usize) -> Result<IpStart<'_>, Skip> {
    let (offset, expect, end) = match link.0 {
        1 => ethernet(data)?,
        113 => sll(data)?,
        276 => sll2(data)?,
        101 | 12 | 14 => (0, Expect::Any, data.len()),
        228 => (0, Expect::V4, data.len()),
        229 => (0, Expect::V6, data.len()),
        0 => null(data)?,
        108 => loopback(data)?,
        239 => return nflog(data),
        _ => return Err(Skip::UnsupportedLink),
    };
    let wire_len = orig_len.max(data.len()).saturating_sub(offset);
    Ok(IpStart {
        bytes: &data[offset..end],
        wire_len,
        expect,
    })
}

/// (offset of the IP header, expected version, end of the usable bytes)
type Found = (usize, Expect, usize);

fn ethernet(data: &[u8]) -> Result<Found, Skip> {
    let eth = Ethernet2HeaderSlice::from_slice(data).map_err(|_| Skip::Malformed)?;
    ether_payload(data, eth.slice().len(), eth.ether_type().0)
}

/// Follows VLAN tags and MPLS labels from an ethertype at `offset`.
fn ether_payload(data: &[u8], mut offset: usize, mut ether_type: u16) -> Result<Found, Skip> {
    loop {
        match EtherType(ether_type) {
            EtherType::IPV4 => return Ok((offset, Expect::V4, data.len())),
            EtherType::IPV6 => return Ok((offset, Expect::V6, data.len())),
            EtherType::VLAN_TAGGED_FRAME
            | EtherType::PROVIDER_BRIDGING
            | EtherType::VLAN_DOUBLE_TAGGED_FRAME
            | EtherType(ETHERTYPE_QINQ_9200) => {
                let tag = SingleVlanHeaderSlice::from_slice(&data[offset..])
                    .map_err(|_| Skip::Malformed)?;
                ether_type = tag.ether_type().0;
                offset += tag.slice().len();
            }
            EtherType(ETHERTYPE_MPLS_UNICAST | ETHERTYPE_MPLS_MULTICAST) => {
                return mpls(data, offset);
            }
            EtherType(ETHERTYPE_PPPOE_SESSION) => return pppoe_session(data, offset),
            _ => return Err(Skip::NotIp),
        }
    }
}

/// Pops MPLS labels (4 bytes each) to the bottom of the stack; the payload is
/// IPv4 or IPv6 by its first nibble (anything else, e.g. a pseudowire, is
/// not IP).
fn mpls(data: &[u8], mut offset: usize) -> Result<Found, Skip> {
    loop {
        let entry = data.get(offset..offset + 4).ok_or(Skip::Malformed)?;
        offset += 4;
        let bottom_of_stack = entry[2] & 0x01 != 0;
        if bottom_of_stack {
            break;
        }
    }
    match data.get(offset).map(|b| b >> 4) {
        Some(4) => Ok((offset, Expect::V4, data.len())),
        Some(6) => Ok((offset, Expect::V6, data.len())),
        Some(_) => Err(Skip::NotIp),
        None => Err(Skip::TruncatedIpHeader),
    }
}

/// PPPoE session stage: version/type (1), code (1), session id (2), payload
/// length (2), then the PPP protocol (2).
fn pppoe_session(data: &[u8], offset: usize) -> Result<Found, Skip> {
    let hdr = data.get(offset..offset + 8).ok_or(Skip::Malformed)?;
    let payload_len = u16::from_be_bytes([hdr[4], hdr[5]]) as usize;
    let end = (offset + 6 + payload_len).min(data.len());
    let expect = match u16::from_be_bytes([hdr[6], hdr[7]]) {
        PPP_IPV4 => Expect::V4,
        PPP_IPV6 => Expect::V6,
        _ => return Err(Skip::NotIp),
    };
    if end < offset + 8 {
        return Err(Skip::Malformed);
    }
    Ok((offset + 8, expect, end))
}

/// Linux cooked capture v1: packet type (2), ARPHRD type (2), address length
/// (2), address (8), protocol (2).
fn sll(data: &[u8]) -> Result<Found, Skip> {
    let hdr = data.get(..16).ok_or(Skip::Malformed)?;
    let hatype = u16::from_be_bytes([hdr[2], hdr[3]]);
    let protocol = u16::from_be_bytes([hdr[14], hdr[15]]);
    sll_payload(data, 16, hatype, protocol)
}

/// Linux cooked capture v2: protocol (2), reserved (2), interface index (4),
/// ARPHRD type (2), packet type (1), address length (1), address (8).
fn sll2(data: &[u8]) -> Result<Found, Skip> {
    let hdr = data.get(..20).ok_or(Skip::Malformed)?;
    let protocol = u16::from_be_bytes([hdr[0], hdr[1]]);
    let hatype = u16::from_be_bytes([hdr[8], hdr[9]]);
    sll_payload(data, 20, hatype, protocol)
}

fn sll_payload(data: &[u8], offset: usize, hatype: u16, protocol: u16) -> Result<Found, Skip> {
    match hatype {
        ARPHRD_NETLINK | ARPHRD_IEEE80211_RADIOTAP | ARPHRD_FRAD => Err(Skip::NotIp),
        // Below 0x0600 the protocol is one of Linux's pseudo-protocols
        // (802.2 LLC, 802.3, CAN, ...), not an ethertype.
        _ if protocol < 0x0600 => Err(Skip::NotIp),
        _ => ether_payload(data, offset, protocol),
    }
}

/// BSD loopback: 4-byte address family in the capturing host's byte order.
fn null(data: &[u8]) -> Result<Found, Skip> {
    let hdr = data.get(..4).ok_or(Skip::Malformed)?;
    let mut family = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]);
    if family & 0xFFFF_0000 != 0 {
        // Written by a host of the other byte order.
        family = family.swap_bytes();
    }
    family_payload(data, family)
}

/// OpenBSD loopback: 4-byte address family, big-endian.
fn loopback(data: &[u8]) -> Result<Found, Skip> {
    let hdr = data.get(..4).ok_or(Skip::Malformed)?;
    family_payload(data, u32::from_be_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]))
}

fn family_payload(data: &[u8], family: u32) -> Result<Found, Skip> {
    if family == AF_INET {
        Ok((4, Expect::V4, data.len()))
    } else if AF_INET6.contains(&family) {
        Ok((4, Expect::V6, data.len()))
    } else {
        Err(Skip::NotIp)
    }
}

/// Linux NFLOG: family (1), version (1), resource id (2, big-endian), then
/// TLVs: length (2) and type (2) in the capturing host's byte order, value,
/// padding to 4 bytes. The IP packet is the value of the payload TLV.
fn nflog(data: &[u8]) -> Result<IpStart<'_>, Skip> {
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
            let start = offset + 4;
            let end = (offset + len).min(data.len());
            let expect = if family == AF_INET {
                Expect::V4
            } else if AF_INET6.contains(&family) {
                Expect::V6
            } else {
                Expect::Any
            };
            return Ok(IpStart {
                bytes: &data[start..end],
                wire_len: len - 4,
                expect,
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
