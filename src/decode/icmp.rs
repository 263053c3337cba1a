//! TCP headers quoted in ICMP and ICMPv6 errors.
//!
//! An ICMP error quotes the start of the datagram that caused it: its IP
//! header and at least 8 bytes of what followed (RFC 792), usually more
//! (RFC 1812 4.3.2.3, RFC 4443 2.4). Wireshark decodes the quoted TCP
//! header and attributes it to the quoted connection's stream when at
//! least 16 of its bytes are there (ports, sequence and acknowledgment
//! numbers, offset and flags, window), for destination unreachable, source
//! quench, time exceeded and parameter problem (ICMPv6: destination
//! unreachable, packet too big, time exceeded, parameter problem); it
//! gives a redirect's quote no stream. Checked against TShark 4.0.
//!
//! The quote is not a segment: nothing here is replayed. See
//! [`IcmpQuote`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{IcmpQuote, Packet, Skip, TcpFlags, TcpSegment, options};

/// Quoted TCP bytes Wireshark needs to give a quote a stream.
pub const MIN_QUOTED_TCP: usize = 16;

/// The ICMP message at the start of `b` (the payload of an IP header from
/// `outer.0` to `outer.1`).
pub(super) fn quote(b: &[u8], v6: bool, outer: (IpAddr, IpAddr)) -> Result<Packet, Skip> {
    let Some(h) = b.get(..8) else {
        return Err(Skip::NotTcp);
    };
    let (icmp_type, code) = (h[0], h[1]);
    let error = if v6 {
        matches!(icmp_type, 1..=4)
    } else {
        matches!(icmp_type, 3 | 4 | 11 | 12)
    };
    if !error {
        return Err(Skip::NotTcp);
    }
    let q = &b[8..];
    let (src, dst, proto, ip_header, datagram_len) = if v6 {
        quoted_ipv6(q).ok_or(Skip::NotTcp)?
    } else {
        quoted_ipv4(q).ok_or(Skip::NotTcp)?
    };
    if proto != 6 {
        return Err(Skip::NotTcp);
    }
    let t = &q[ip_header..];
    if t.len() < MIN_QUOTED_TCP {
        return Err(Skip::NotTcp);
    }
    let header_len = (t[12] >> 4) as usize * 4;
    let have = header_len.min(t.len());
    let opts = if have > 20 {
        let mut o = options(&t[20..have]);
        o.truncated = have < header_len;
        o
    } else {
        super::TcpOptions {
            truncated: header_len > 20,
            ..Default::default()
        }
    };
    let seg = TcpSegment {
        src,
        dst,
        src_port: u16::from_be_bytes([t[0], t[1]]),
        dst_port: u16::from_be_bytes([t[2], t[3]]),
        seq: u32::from_be_bytes([t[4], t[5], t[6], t[7]]),
        ack: u32::from_be_bytes([t[8], t[9], t[10], t[11]]),
        flags: TcpFlags(u16::from_be_bytes([t[12] & 0x01, t[13]])),
        window: u16::from_be_bytes([t[14], t[15]]),
        urgent_ptr: t
            .get(18..20)
            .map_or(0, |u| u16::from_be_bytes([u[0], u[1]])),
        header_len: header_len as u8,
        payload_len: datagram_len
            .saturating_sub(ip_header + header_len)
            .min(u32::MAX as usize) as u32,
        captured_payload_len: t.len().saturating_sub(header_len) as u32,
        ip_len: datagram_len.min(u32::MAX as usize) as u32,
        options: opts,
        checksum: super::ChecksumStatus::NotChecked,
        control: crate::vocab::Control::None,
        seq_len: 0,
    }
    .classify();
    Ok(Packet::Icmp(IcmpQuote {
        seg,
        icmp_type,
        code,
        v6,
        from: outer.0,
    }))
}

/// (source, destination, protocol, header length, datagram length) of a
/// quoted IPv4 header, when it is the first fragment (or no fragment).
fn quoted_ipv4(q: &[u8]) -> Option<(IpAddr, IpAddr, u8, usize, usize)> {
    let h = q.get(..20)?;
    if h[0] >> 4 != 4 {
        return None;
    }
    let ihl = (h[0] & 0x0F) as usize * 4;
    if ihl < 20 || q.len() < ihl {
        return None;
    }
    if u16::from_be_bytes([h[6], h[7]]) & 0x1FFF != 0 {
        return None;
    }
    let src = IpAddr::V4(Ipv4Addr::new(h[12], h[13], h[14], h[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(h[16], h[17], h[18], h[19]));
    let total = u16::from_be_bytes([h[2], h[3]]) as usize;
    Some((src, dst, h[9], ihl, total))
}

/// The same for a quoted IPv6 header and its extension headers.
fn quoted_ipv6(q: &[u8]) -> Option<(IpAddr, IpAddr, u8, usize, usize)> {
    let h = q.get(..40)?;
    if h[0] >> 4 != 6 {
        return None;
    }
    let addr = |o: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&h[o..o + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let mut proto = h[6];
    let mut off = 40;
    loop {
        let len = match proto {
            0 | 43 | 60 | 135 | 139 | 140 => (*q.get(off + 1)? as usize + 1) * 8,
            51 => (*q.get(off + 1)? as usize + 2) * 4,
            44 => {
                let f = q.get(off..off + 8)?;
                if u16::from_be_bytes([f[2], f[3]]) & 0xFFF8 != 0 {
                    return None;
                }
                8
            }
            _ => break,
        };
        proto = *q.get(off)?;
        off += len;
        if off > q.len() {
            return None;
        }
    }
    let total = 40 + u16::from_be_bytes([h[4], h[5]]) as usize;
    Some((addr(8), addr(24), proto, off, total))
}

/// Whether an error is a hard one for TCP (RFC 1122 4.2.3.9): destination
/// unreachable with protocol unreachable (2) or port unreachable (3) in
/// ICMP, port unreachable (4) in ICMPv6 (RFC 4443 3.1), and ICMPv6's
/// parameter problem "unrecognized next header" (RFC 4443 3.4, the
/// equivalent of protocol unreachable). Fragmentation needed (ICMP code 4)
/// and packet too big are path MTU signals (RFC 1191, RFC 8201), not errors
/// that end a connection; the rest are soft errors.
pub fn is_hard_error(v6: bool, icmp_type: u8, code: u8) -> bool {
    if v6 {
        matches!((icmp_type, code), (1, 4) | (4, 1))
    } else {
        icmp_type == 3 && matches!(code, 2 | 3)
    }
}

/// A short description of an ICMP (or ICMPv6) error: "destination
/// unreachable (port unreachable)".
pub fn describe(v6: bool, icmp_type: u8, code: u8) -> String {
    let (what, detail): (&str, Option<&str>) = if v6 {
        match icmp_type {
            1 => (
                "destination unreachable",
                match code {
                    0 => Some("no route"),
                    1 => Some("administratively prohibited"),
                    2 => Some("beyond scope of source address"),
                    3 => Some("address unreachable"),
                    4 => Some("port unreachable"),
                    5 => Some("source address failed policy"),
                    6 => Some("reject route"),
                    _ => None,
                },
            ),
            2 => ("packet too big", None),
            3 => (
                "time exceeded",
                match code {
                    0 => Some("hop limit exceeded"),
                    1 => Some("fragment reassembly time exceeded"),
                    _ => None,
                },
            ),
            4 => ("parameter problem", None),
            _ => ("error", None),
        }
    } else {
        match icmp_type {
            3 => (
                "destination unreachable",
                match code {
                    0 => Some("network unreachable"),
                    1 => Some("host unreachable"),
                    2 => Some("protocol unreachable"),
                    3 => Some("port unreachable"),
                    4 => Some("fragmentation needed"),
                    5 => Some("source route failed"),
                    9 | 10 | 13 => Some("administratively prohibited"),
                    _ => None,
                },
            ),
            4 => ("source quench", None),
            11 => (
                "time exceeded",
                match code {
                    0 => Some("TTL exceeded in transit"),
                    1 => Some("fragment reassembly time exceeded"),
                    _ => None,
                },
            ),
            12 => ("parameter problem", None),
            _ => ("error", None),
        }
    };
    let proto = if v6 { "ICMPv6" } else { "ICMP" };
    match detail {
        Some(d) => format!("{proto} {what} ({d})"),
        None => format!("{proto} {what} (type {icmp_type}, code {code})"),
    }
}
