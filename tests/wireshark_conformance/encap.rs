//! Captures of every encapsulation and link type the decoder reads, made
//! here: the generated conversations of [`super::synth`] (which exercise
//! every `tcp.analysis` verdict), each IP packet wrapped in the
//! encapsulation under test. The inner IP and TCP headers come from the
//! generator (IPv6 ones are rebuilt with etherparse's `PacketBuilder`);
//! outer IP headers are written by etherparse; the headers etherparse
//! cannot build (tunnels, link layers) are assembled from their fields by
//! the helpers below, each named after its specification.

use etherparse::{IpNumber, Ipv4Header, Ipv6Header, PacketBuilder, TcpHeader};

/// Link types.
pub const ETHERNET: u32 = 1;

/// The outer addresses of every tunnel.
pub const OUTER4: ([u8; 4], [u8; 4]) = ([192, 0, 2, 1], [192, 0, 2, 2]);
pub const OUTER6: ([u8; 16], [u8; 16]) = (
    [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
);

/// An encapsulation under test: its name, link type, the tunnel path the
/// decoder must report, and how an inner packet (IPv4, or IPv6 when
/// `v6`) is wrapped into a frame.
pub struct Case {
    pub name: &'static str,
    pub link: u32,
    pub v6: bool,
    pub path: &'static [&'static str],
    pub wrap: fn(&[u8]) -> Vec<u8>,
}

/// An Ethernet II header.
pub fn ether(ether_type: u16) -> Vec<u8> {
    let mut v = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    v.extend_from_slice(&ether_type.to_be_bytes());
    v
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// An outer IPv4 header (by etherparse) carrying `payload` as `proto`.
pub fn ipv4(proto: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = Ipv4Header::new(
        payload.len() as u16,
        64,
        IpNumber(proto),
        OUTER4.0,
        OUTER4.1,
    )
    .expect("payload fits");
    h.header_checksum = h.calc_header_checksum();
    let mut v = h.to_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

/// An outer IPv6 header carrying `payload` as `next`.
pub fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let h = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: payload.len() as u16,
        next_header: IpNumber(next),
        hop_limit: 64,
        source: OUTER6.0,
        destination: OUTER6.1,
    };
    let mut v = h.to_bytes().to_vec();
    v.extend_from_slice(payload);
    v
}

/// A UDP header (checksum 0: none, as tunnels send it) and its payload.
pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&sport.to_be_bytes());
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn eth_ip4(proto: u8, payload: &[u8]) -> Vec<u8> {
    cat(&[&ether(0x0800), &ipv4(proto, payload)])
}

fn eth_udp(dport: u16, payload: &[u8]) -> Vec<u8> {
    eth_ip4(17, &udp(49_152, dport, payload))
}

/// RFC 2784/2890: flags and version (2), protocol type (2), then the
/// checksum and reserved word, key, sequence number as the flags say.
pub fn gre(flags: u16, proto: u16, fields: &[u32]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&flags.to_be_bytes());
    v.extend_from_slice(&proto.to_be_bytes());
    for f in fields {
        v.extend_from_slice(&f.to_be_bytes());
    }
    v
}

/// The inner packet as an Ethernet frame (for the tunnels that carry one).
fn inner_ether(ip: &[u8]) -> Vec<u8> {
    let t = if ip[0] >> 4 == 6 { 0x86DD } else { 0x0800 };
    cat(&[&ether(t), ip])
}

/// The Ethernet frame of a pseudowire (RFC 4448), between two Cisco
/// addresses.
fn pw_frame(ip: &[u8]) -> Vec<u8> {
    cat(&[
        &[0, 0, 0x0C, 1, 2, 3],
        &[0, 0, 0x0C, 4, 5, 6],
        &[0x08, 0],
        ip,
    ])
}

/// An MPLS label stack entry with the bottom-of-stack bit.
fn mpls(label: u32, bottom: bool) -> [u8; 4] {
    (label << 12 | u32::from(bottom) << 8 | 64).to_be_bytes()
}

/// RFC 1042 LLC/SNAP with an ethertype.
fn snap(ether_type: u16) -> Vec<u8> {
    cat(&[&[0xAA, 0xAA, 0x03, 0, 0, 0], &ether_type.to_be_bytes()])
}

/// An 802.11 data frame header to the distribution system (24 bytes).
fn wlan_data() -> Vec<u8> {
    cat(&[&[0x08, 0x01, 0, 0], &[2; 6], &[4; 6], &[6; 6], &[0x10, 0]])
}

/// An 802.11 QoS data frame from the distribution system.
fn wlan_qos() -> Vec<u8> {
    cat(&[
        &[0x88, 0x02, 0, 0],
        &[2; 6],
        &[4; 6],
        &[6; 6],
        &[0x10, 0],
        &[0, 0],
    ])
}

/// A GTP-U T-PDU (TS 29.281): flags (version 1, PT, E), type 255, length,
/// TEID, then sequence, N-PDU, next extension type and one PDU session
/// container extension.
fn gtpu(ip: &[u8]) -> Vec<u8> {
    let ext: &[u8] = &[0, 0, 0, 0x85, 1, 0x10, 0x05, 0];
    let mut v = vec![0x34, 0xFF];
    v.extend_from_slice(&((ext.len() + ip.len()) as u16).to_be_bytes());
    v.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    v.extend_from_slice(ext);
    v.extend_from_slice(ip);
    v
}

/// Geneve (RFC 8926): version and option length (in 4-byte words),
/// flags, protocol type, VNI, reserved, then one 8-byte option.
fn geneve(proto: u16, payload: &[u8]) -> Vec<u8> {
    let opt: &[u8] = &[0x01, 0x03, 0x80, 0x01, 1, 2, 3, 4];
    cat(&[
        &[(opt.len() / 4) as u8, 0],
        &proto.to_be_bytes(),
        &[0, 0x12, 0x34, 0],
        opt,
        payload,
    ])
}

/// The cases: every encapsulation and link type read.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "gre",
            link: ETHERNET,
            v6: false,
            path: &["gre"],
            wrap: |ip| eth_ip4(47, &cat(&[&gre(0, 0x0800, &[]), ip])),
        },
        Case {
            name: "gre-checksum-key-sequence",
            link: ETHERNET,
            v6: false,
            path: &["gre"],
            wrap: |ip| eth_ip4(47, &cat(&[&gre(0xB000, 0x0800, &[0, 42, 7]), ip])),
        },
        Case {
            name: "gre-routing",
            link: ETHERNET,
            v6: false,
            path: &["gre"],
            // Routing present: checksum/offset word, one IPv4 source route
            // entry (family, offset, length, two addresses), the null entry.
            wrap: |ip| {
                let sre = cat(&[
                    &[0x08, 0x00, 0, 8],
                    &[10, 1, 1, 1, 10, 1, 1, 2],
                    &[0, 0, 0, 0],
                ]);
                eth_ip4(47, &cat(&[&gre(0x4000, 0x0800, &[0]), &sre, ip]))
            },
        },
        Case {
            name: "gre-ipv6-inner",
            link: ETHERNET,
            v6: true,
            path: &["gre"],
            wrap: |ip| eth_ip4(47, &cat(&[&gre(0, 0x86DD, &[]), ip])),
        },
        Case {
            name: "gre-over-ipv6",
            link: ETHERNET,
            v6: false,
            path: &["gre"],
            wrap: |ip| cat(&[&ether(0x86DD), &ipv6(47, &cat(&[&gre(0, 0x0800, &[]), ip]))]),
        },
        Case {
            name: "gre-ethernet",
            link: ETHERNET,
            v6: false,
            path: &["gre"],
            wrap: |ip| eth_ip4(47, &cat(&[&gre(0x2000, 0x6558, &[9]), &inner_ether(ip)])),
        },
        Case {
            name: "erspan-type1",
            link: ETHERNET,
            v6: false,
            path: &["erspan"],
            wrap: |ip| eth_ip4(47, &cat(&[&gre(0, 0x88BE, &[]), &inner_ether(ip)])),
        },
        Case {
            name: "erspan-type2",
            link: ETHERNET,
            v6: false,
            path: &["erspan"],
            // Version 1, VLAN 5; COS/En/T and session 3; index.
            wrap: |ip| {
                let e = cat(&[&[0x10, 0x05, 0x00, 0x03], &[0, 0, 0, 1]]);
                eth_ip4(
                    47,
                    &cat(&[&gre(0x1000, 0x88BE, &[1]), &e, &inner_ether(ip)]),
                )
            },
        },
        Case {
            name: "erspan-type3",
            link: ETHERNET,
            v6: false,
            path: &["erspan"],
            // Version 2, VLAN, session 3, timestamp, SGT, flags with O set,
            // then the 8-byte platform-specific subheader.
            wrap: |ip| {
                let e = cat(&[
                    &[0x20, 0x05, 0x00, 0x03],
                    &[0, 0, 0, 9],
                    &[0, 0, 0, 1],
                    &[0; 8],
                ]);
                eth_ip4(
                    47,
                    &cat(&[&gre(0x1000, 0x22EB, &[1]), &e, &inner_ether(ip)]),
                )
            },
        },
        Case {
            name: "pptp",
            link: ETHERNET,
            v6: false,
            path: &["pptp"],
            // RFC 2637 enhanced GRE: key (payload length, call id),
            // sequence, acknowledgment; then PPP with address and control.
            wrap: |ip| {
                let ppp = cat(&[&[0xFF, 0x03, 0x00, 0x21], ip]);
                let key = (ppp.len() as u32) << 16 | 77;
                eth_ip4(47, &cat(&[&gre(0x3081, 0x880B, &[key, 1, 2]), &ppp]))
            },
        },
        Case {
            name: "wccp",
            link: ETHERNET,
            v6: false,
            path: &["wccp"],
            wrap: |ip| eth_ip4(47, &cat(&[&gre(0, 0x883E, &[0x0005_0102]), ip])),
        },
        Case {
            name: "mpls-in-gre",
            link: ETHERNET,
            v6: false,
            path: &["gre", "mpls"],
            wrap: |ip| {
                eth_ip4(
                    47,
                    &cat(&[
                        &gre(0, 0x8847, &[]),
                        &mpls(100, false),
                        &mpls(200, true),
                        ip,
                    ]),
                )
            },
        },
        Case {
            name: "gre-in-udp",
            link: ETHERNET,
            v6: false,
            path: &["gre"],
            wrap: |ip| eth_udp(4754, &cat(&[&gre(0, 0x0800, &[]), ip])),
        },
        Case {
            name: "vxlan",
            link: ETHERNET,
            v6: false,
            path: &["vxlan"],
            wrap: |ip| {
                eth_udp(
                    4789,
                    &cat(&[&[0x08, 0, 0, 0, 0, 0x12, 0x34, 0], &inner_ether(ip)]),
                )
            },
        },
        Case {
            name: "vxlan-gpe",
            link: ETHERNET,
            v6: false,
            path: &["vxlan-gpe"],
            wrap: |ip| eth_udp(4790, &cat(&[&[0x0C, 0, 0, 1, 0, 0x12, 0x34, 0], ip])),
        },
        Case {
            name: "geneve-ethernet-options",
            link: ETHERNET,
            v6: false,
            path: &["geneve"],
            wrap: |ip| eth_udp(6081, &geneve(0x6558, &inner_ether(ip))),
        },
        Case {
            name: "geneve-ipv6",
            link: ETHERNET,
            v6: true,
            path: &["geneve"],
            wrap: |ip| eth_udp(6081, &geneve(0x86DD, ip)),
        },
        Case {
            name: "gtp-u-extension-header",
            link: ETHERNET,
            v6: false,
            path: &["gtp-u"],
            wrap: |ip| eth_udp(2152, &gtpu(ip)),
        },
        Case {
            name: "gtp-u-ipv6",
            link: ETHERNET,
            v6: true,
            path: &["gtp-u"],
            wrap: |ip| eth_udp(2152, &gtpu(ip)),
        },
        Case {
            name: "teredo-origin-indication",
            link: ETHERNET,
            v6: true,
            path: &["teredo"],
            // RFC 4380 5.1.1: origin indication (type 0, port, address).
            wrap: |ip| eth_udp(3544, &cat(&[&[0, 0, 0x12, 0x34, 1, 2, 3, 4], ip])),
        },
        Case {
            name: "ayiya",
            link: ETHERNET,
            v6: true,
            path: &["ayiya"],
            // Identity 16 bytes (length 2^4, type 1), signature 20 bytes
            // (5 words, SHA-1), authentication 1, opcode 1 (forward), next
            // header 41, epoch.
            wrap: |ip| {
                eth_udp(
                    5072,
                    &cat(&[&[0x41, 0x52, 0x11, 41], &[0; 4], &[0; 16], &[0; 20], ip]),
                )
            },
        },
        Case {
            name: "mpls-in-udp",
            link: ETHERNET,
            v6: false,
            path: &["mpls"],
            wrap: |ip| eth_udp(6635, &cat(&[&mpls(300, true), ip])),
        },
        Case {
            name: "mpls-in-ip",
            link: ETHERNET,
            v6: false,
            path: &["mpls"],
            wrap: |ip| eth_ip4(137, &cat(&[&mpls(300, true), ip])),
        },
        Case {
            name: "l2tp",
            link: ETHERNET,
            v6: false,
            path: &["l2tp"],
            // RFC 2661: data message with length, tunnel and session ids,
            // then PPP.
            wrap: |ip| {
                let ppp = cat(&[&[0xFF, 0x03, 0x00, 0x21], ip]);
                let len = (12 + ppp.len()) as u16;
                let h = cat(&[&[0x40, 0x02], &len.to_be_bytes(), &[0, 1, 0, 2]]);
                eth_udp(1701, &cat(&[&h, &ppp]))
            },
        },
        Case {
            name: "lisp",
            link: ETHERNET,
            v6: false,
            path: &["lisp"],
            wrap: |ip| eth_udp(4341, &cat(&[&[0x80, 0, 0, 1, 0, 0, 0, 1], ip])),
        },
        Case {
            name: "ip-in-ip-4in4",
            link: ETHERNET,
            v6: false,
            path: &["ip-in-ip"],
            wrap: |ip| eth_ip4(4, ip),
        },
        Case {
            name: "ip-in-ip-6in4",
            link: ETHERNET,
            v6: true,
            path: &["ip-in-ip"],
            wrap: |ip| eth_ip4(41, ip),
        },
        Case {
            name: "ip-in-ip-4in6",
            link: ETHERNET,
            v6: false,
            path: &["ip-in-ip"],
            wrap: |ip| cat(&[&ether(0x86DD), &ipv6(4, ip)]),
        },
        Case {
            name: "ip-in-ip-6in6",
            link: ETHERNET,
            v6: true,
            path: &["ip-in-ip"],
            wrap: |ip| cat(&[&ether(0x86DD), &ipv6(41, ip)]),
        },
        Case {
            name: "etherip",
            link: ETHERNET,
            v6: false,
            path: &["etherip"],
            wrap: |ip| eth_ip4(97, &cat(&[&[0x30, 0], &inner_ether(ip)])),
        },
        Case {
            name: "nested-gre-in-vxlan-in-gre",
            link: ETHERNET,
            v6: false,
            path: &["gre", "vxlan", "gre"],
            wrap: |ip| {
                let g = cat(&[&ether(0x0800), &ipv4(47, &cat(&[&gre(0, 0x0800, &[]), ip]))]);
                let v = udp(49_152, 4789, &cat(&[&[0x08, 0, 0, 0, 0, 0, 1, 0], &g]));
                eth_ip4(47, &cat(&[&gre(0, 0x0800, &[]), &ipv4(17, &v)]))
            },
        },
        Case {
            name: "ethernet-802.3-llc-snap",
            link: ETHERNET,
            v6: false,
            path: &[],
            // 802.3 carries at most 1500 bytes: larger packets go as
            // Ethernet II, as a host would send them.
            wrap: |ip| {
                let body = cat(&[&snap(0x0800), ip]);
                if body.len() <= 1500 {
                    cat(&[&ether(body.len() as u16), &body])
                } else {
                    cat(&[&ether(0x0800), ip])
                }
            },
        },
        Case {
            name: "ethernet-e-tag",
            link: ETHERNET,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&ether(0x893F), &[0, 0, 0, 5, 0, 0], &[0x08, 0], ip]),
        },
        Case {
            name: "ethernet-vn-tag",
            link: ETHERNET,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&ether(0x8926), &[0, 5, 0, 0], &[0x08, 0], ip]),
        },
        Case {
            name: "ethernet-pbb",
            link: ETHERNET,
            v6: false,
            path: &[],
            wrap: |ip| {
                cat(&[
                    &ether(0x88A8),
                    &[0, 5],
                    &[0x88, 0xE7],
                    &[0, 0, 1, 0],
                    &inner_ether(ip),
                ])
            },
        },
        Case {
            name: "ethernet-fabricpath",
            link: ETHERNET,
            v6: false,
            path: &[],
            // Outer header, FTag and TTL, the frame, its FCS.
            wrap: |ip| cat(&[&ether(0x8903), &[0, 1], &inner_ether(ip), &[0; 4]]),
        },
        Case {
            name: "ethernet-mpls-pseudowire",
            link: ETHERNET,
            v6: false,
            path: &[],
            // Addresses with registered manufacturer prefixes: Wireshark's
            // heuristic takes the payload for plain Ethernet only then.
            wrap: |ip| cat(&[&ether(0x8847), &mpls(16, true), &pw_frame(ip)]),
        },
        Case {
            name: "ethernet-mpls-pseudowire-control-word",
            link: ETHERNET,
            v6: false,
            path: &[],
            wrap: |ip| {
                cat(&[
                    &ether(0x8847),
                    &mpls(16, true),
                    &[0, 0, 0, 1],
                    &pw_frame(ip),
                ])
            },
        },
        Case {
            name: "fddi",
            link: 10,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&[0x50], &[2; 6], &[4; 6], &snap(0x0800), ip]),
        },
        Case {
            name: "ppp",
            link: 9,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&[0xFF, 0x03, 0x00, 0x21], ip]),
        },
        Case {
            name: "ppp-hdlc",
            link: 50,
            v6: true,
            path: &[],
            wrap: |ip| cat(&[&[0xFF, 0x03, 0x00, 0x57], ip]),
        },
        Case {
            name: "cisco-hdlc",
            link: 104,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&[0x0F, 0x00, 0x08, 0x00], ip]),
        },
        Case {
            name: "ieee802.11",
            link: 105,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&wlan_data(), &snap(0x0800), ip]),
        },
        Case {
            name: "ieee802.11-radiotap-fcs",
            link: 127,
            v6: false,
            path: &[],
            // Radiotap: version, pad, length 9, present = flags; flags say
            // the frame ends with an FCS.
            wrap: |ip| {
                cat(&[
                    &[0, 0, 9, 0, 2, 0, 0, 0, 0x10],
                    &wlan_qos(),
                    &snap(0x0800),
                    ip,
                    &[0xDE, 0xAD, 0xBE, 0xEF],
                ])
            },
        },
        Case {
            name: "ieee802.11-ppi",
            link: 192,
            v6: false,
            path: &[],
            wrap: |ip| cat(&[&[0, 0, 8, 0, 105, 0, 0, 0], &wlan_data(), &snap(0x0800), ip]),
        },
        Case {
            name: "ieee802.11-prism",
            link: 119,
            v6: false,
            path: &[],
            wrap: |ip| {
                let mut prism = vec![0u8; 144];
                prism[..4].copy_from_slice(&0x41u32.to_le_bytes());
                prism[4..8].copy_from_slice(&144u32.to_le_bytes());
                cat(&[&prism, &wlan_data(), &snap(0x0800), ip])
            },
        },
        Case {
            name: "ieee802.11-avs",
            link: 163,
            v6: false,
            path: &[],
            wrap: |ip| {
                let mut avs = vec![0u8; 64];
                avs[..4].copy_from_slice(&0x8021_1001u32.to_be_bytes());
                avs[4..8].copy_from_slice(&64u32.to_be_bytes());
                cat(&[&avs, &wlan_data(), &snap(0x0800), ip])
            },
        },
        Case {
            name: "juniper-ethernet",
            link: 178,
            v6: false,
            path: &[],
            // Magic "MGC", flags with the extension bit, extension length
            // and one TLV, then Ethernet.
            wrap: |ip| {
                cat(&[
                    b"MGC",
                    &[0x81],
                    &[0, 4],
                    &[1, 2, 0xAB, 0xCD],
                    &inner_ether(ip),
                ])
            },
        },
    ]
}

/// The same segment as an IPv6 packet (addresses 10.0.0.x become
/// 2001:db8::x), rebuilt by etherparse.
pub fn to_ipv6(ip4: &[u8]) -> Vec<u8> {
    let ihl = (ip4[0] & 0x0F) as usize * 4;
    let (tcp, rest) = TcpHeader::from_slice(&ip4[ihl..]).expect("a TCP header");
    let six = |a: &[u8]| {
        let mut v = [0u8; 16];
        v[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        v[15] = a[3];
        v
    };
    let b = PacketBuilder::ipv6(six(&ip4[12..16]), six(&ip4[16..20]), 64).tcp_header(tcp);
    let mut out = Vec::new();
    b.write(&mut out, rest).expect("writing to a Vec");
    out
}

/// A nanosecond pcap file of link type `link`, whose frames may be cut to
/// `snaplen` bytes.
pub fn pcap(link: u32, frames: &[(i64, Vec<u8>)], snaplen: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&(snaplen as u32).to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for (ts, f) in frames {
        let cap = f.len().min(snaplen);
        out.extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((ts % 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(cap as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&f[..cap]);
    }
    out
}

/// A generated conversation (seed `seed`), each packet wrapped by `case`.
pub fn capture(case: &Case, seed: u64, events: usize) -> (Vec<u8>, usize) {
    let frames = super::synth::frames(&super::synth::capture(seed, events, seed % 3 == 0));
    let wrapped: Vec<(i64, Vec<u8>)> = frames
        .iter()
        .map(|(ts, f)| {
            let ip = &f[14..];
            let ip = if case.v6 { to_ipv6(ip) } else { ip.to_vec() };
            (*ts, (case.wrap)(&ip))
        })
        .collect();
    (pcap(case.link, &wrapped, 262_144), wrapped.len())
}

/// Fragments of one IPv4 packet: its payload cut at `cut` (a multiple of
/// 8), the pieces sent in the order given.
pub fn ipv4_fragments(ip: &[u8], cut: usize, reverse: bool) -> Vec<Vec<u8>> {
    let ihl = (ip[0] & 0x0F) as usize * 4;
    let payload = &ip[ihl..];
    if payload.len() <= cut {
        return vec![cat(&[&ether(0x0800), ip])];
    }
    let mut out = Vec::new();
    for (i, piece) in payload.chunks(cut).enumerate() {
        let offset = i * cut;
        let more = offset + piece.len() < payload.len();
        let mut h = Ipv4Header::from_slice(&ip[..ihl])
            .expect("an IPv4 header")
            .0;
        h.total_len = (ihl + piece.len()) as u16;
        h.more_fragments = more;
        h.dont_fragment = false;
        h.fragment_offset = etherparse::IpFragOffset::try_new((offset / 8) as u16).expect("fits");
        h.identification = 0x4242;
        h.header_checksum = h.calc_header_checksum();
        out.push(cat(&[&ether(0x0800), &h.to_bytes(), piece]));
    }
    if reverse {
        out.reverse();
    }
    out
}

/// Fragments of one IPv6 packet, with a fragment header (RFC 8200 4.5).
pub fn ipv6_fragments(ip: &[u8], cut: usize) -> Vec<Vec<u8>> {
    let payload = &ip[40..];
    if payload.len() <= cut {
        return vec![cat(&[&ether(0x86DD), ip])];
    }
    let mut out = Vec::new();
    for (i, piece) in payload.chunks(cut).enumerate() {
        let offset = i * cut;
        let more = offset + piece.len() < payload.len();
        let mut h = Ipv6Header::from_slice(&ip[..40]).expect("an IPv6 header").0;
        h.payload_length = (8 + piece.len()) as u16;
        let next = h.next_header;
        h.next_header = IpNumber(44);
        let frag = cat(&[
            &[next.0, 0],
            &((offset as u16) | u16::from(more)).to_be_bytes(),
            &0x0000_4242u32.to_be_bytes(),
        ]);
        out.push(cat(&[&ether(0x86DD), &h.to_bytes(), &frag, piece]));
    }
    out
}

/// An ICMP error (RFC 792: type, code, checksum, unused) quoting the
/// start of `ip`, sent to its source from 10.9.9.9.
pub fn icmp_error(ip: &[u8], icmp_type: u8, code: u8, quoted: usize) -> Vec<u8> {
    let q = &ip[..quoted.min(ip.len())];
    let mut msg = cat(&[&[icmp_type, code, 0, 0, 0, 0, 0, 0], q]);
    let sum = etherparse::checksum::Sum16BitWords::new()
        .add_slice(&msg)
        .ones_complement();
    msg[2..4].copy_from_slice(&sum.to_be_bytes());
    let src = [10, 9, 9, 9];
    let dst = [ip[12], ip[13], ip[14], ip[15]];
    let mut h = Ipv4Header::new(msg.len() as u16, 64, IpNumber(1), src, dst).expect("fits");
    h.header_checksum = h.calc_header_checksum();
    cat(&[&ether(0x0800), &h.to_bytes(), &msg])
}
