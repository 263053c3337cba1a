//! Tests of `tcpstate::decode` on packets built with etherparse's
//! `PacketBuilder` (link-layer headers etherparse cannot build are assembled
//! from their fields by the helpers below). Expected values are the ones the
//! packets were built with.

#[path = "decode/more.rs"]
mod more;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    ArpHardwareId, EtherType, Ethernet2Header, IpFragOffset, IpHeaders, IpNumber, Ipv4Extensions,
    Ipv4Header, Ipv4Options, Ipv6Extensions, Ipv6FragmentHeader, Ipv6Header, Ipv6RawExtHeader,
    Ipv6RoutingExtensions, LinuxSllHeader, LinuxSllPacketType, LinuxSllProtocolType, PacketBuilder,
    SingleVlanHeader, TcpOptionElement, VlanId, VlanPcp,
};
mod common;

use tcpstate::capture::LinkType;
use tcpstate::decode::{ChecksumStatus, Decoded, Skip, TcpFlags, TcpSegment, decode};

const SRC4: [u8; 4] = [192, 0, 2, 1];
const DST4: [u8; 4] = [198, 51, 100, 7];
const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];

fn src6() -> [u8; 16] {
    "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets()
}
fn dst6() -> [u8; 16] {
    "2001:db8:ffff::2".parse::<Ipv6Addr>().unwrap().octets()
}

const SPORT: u16 = 40_000;
const DPORT: u16 = 443;
const SEQ: u32 = 0xDEAD_BEEF;
const ACK: u32 = 0x0102_0304;
const WIN: u16 = 29_200;

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + 3) as u8).collect()
}

/// IPv4 + TCP (PSH|ACK) with `n` payload bytes, no link layer.
fn ipv4_tcp(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut out, &payload(n))
        .unwrap();
    out
}

/// IPv6 + TCP (PSH|ACK) with `n` payload bytes, no link layer.
fn ipv6_tcp(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ipv6(src6(), dst6(), 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut out, &payload(n))
        .unwrap();
    out
}

/// Ethernet + IPv4 + TCP with `n` payload bytes.
fn eth_ipv4_tcp(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut out, &payload(n))
        .unwrap();
    out
}

fn ethernet_header(ether_type: u16) -> Vec<u8> {
    Ethernet2Header {
        source: MAC_A,
        destination: MAC_B,
        ether_type: EtherType(ether_type),
    }
    .to_bytes()
    .to_vec()
}

fn vlan_tag(id: u16, inner_ether_type: u16) -> Vec<u8> {
    SingleVlanHeader {
        pcp: VlanPcp::ZERO,
        drop_eligible_indicator: false,
        vlan_id: VlanId::try_new(id).unwrap(),
        ether_type: EtherType(inner_ether_type),
    }
    .to_bytes()
    .to_vec()
}

/// One MPLS label stack entry: label (20 bits), traffic class (3), bottom of
/// stack (1), TTL (8).
fn mpls_entry(label: u32, bottom: bool, ttl: u8) -> [u8; 4] {
    ((label << 12) | ((bottom as u32) << 8) | ttl as u32).to_be_bytes()
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn tcp_of(d: Decoded) -> TcpSegment {
    match d {
        Decoded::Tcp(s) => s,
        Decoded::Skipped(why) => panic!("expected a TCP segment, got Skipped({why:?})"),
    }
}

fn dec(link: u32, frame: &[u8]) -> Decoded {
    decode(LinkType(link), frame, frame.len() as u32, true)
}

fn assert_v4_segment(s: &TcpSegment, payload_len: u32) {
    assert_eq!(s.src, IpAddr::V4(Ipv4Addr::from(SRC4)));
    assert_eq!(s.dst, IpAddr::V4(Ipv4Addr::from(DST4)));
    assert_eq!(
        (s.src_port, s.dst_port, s.seq, s.ack, s.window),
        (SPORT, DPORT, SEQ, ACK, WIN)
    );
    assert_eq!(s.flags, TcpFlags::PSH | TcpFlags::ACK);
    assert_eq!(s.header_len, 20);
    assert_eq!(s.payload_len, payload_len);
    assert_eq!(s.ip_len, 20 + 20 + payload_len);
}

fn assert_v6_segment(s: &TcpSegment, payload_len: u32) {
    assert_eq!(s.src, IpAddr::V6(Ipv6Addr::from(src6())));
    assert_eq!(s.dst, IpAddr::V6(Ipv6Addr::from(dst6())));
    assert_eq!(
        (s.src_port, s.dst_port, s.seq, s.ack, s.window),
        (SPORT, DPORT, SEQ, ACK, WIN)
    );
    assert_eq!(s.flags, TcpFlags::PSH | TcpFlags::ACK);
    assert_eq!(s.payload_len, payload_len);
    assert_eq!(s.ip_len, 40 + 20 + payload_len);
}

// ---------------------------------------------------------------- fields

#[test]
fn ethernet_ipv4_segment_fields_are_the_ones_built() {
    let mut frame = Vec::new();
    let data = payload(100);
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .syn()
        .ack(ACK)
        .urg(77)
        .options(&[
            TcpOptionElement::MaximumSegmentSize(1460),
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            TcpOptionElement::Timestamp(111, 222),
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(7),
        ])
        .unwrap()
        .write(&mut frame, &data)
        .unwrap();
    let s = tcp_of(dec(1, &frame));
    assert_eq!(s.src, IpAddr::V4(Ipv4Addr::from(SRC4)));
    assert_eq!(s.dst, IpAddr::V4(Ipv4Addr::from(DST4)));
    assert_eq!((s.src_port, s.dst_port), (SPORT, DPORT));
    assert_eq!((s.seq, s.ack, s.window, s.urgent_ptr), (SEQ, ACK, WIN, 77));
    assert_eq!(s.flags, TcpFlags::SYN | TcpFlags::ACK | TcpFlags::URG);
    assert_eq!(s.header_len, 40, "20 bytes of options were built");
    assert_eq!(s.payload_len, 100);
    assert_eq!(s.captured_payload_len, 100);
    assert_eq!(s.ip_len, 20 + 40 + 100);
    assert_eq!(s.options.mss, Some(1460));
    assert!(s.options.sack_permitted);
    assert_eq!(s.options.timestamps, Some((111, 222)));
    assert_eq!(s.options.window_scale, Some(7));
    assert_eq!(s.options.sack_count, 0);
    assert!(!s.options.malformed);
    assert_eq!(s.checksum, ChecksumStatus::Good);
}

#[test]
fn ethernet_ipv6_segment_fields_are_the_ones_built() {
    let frame = cat(&[&ethernet_header(0x86DD), &ipv6_tcp(33)]);
    let s = tcp_of(dec(1, &frame));
    assert_v6_segment(&s, 33);
    assert_eq!(s.captured_payload_len, 33);
    assert_eq!(s.checksum, ChecksumStatus::Good);
}

#[test]
fn each_of_the_nine_tcp_flags_is_decoded_alone() {
    type Setter = fn(
        etherparse::PacketBuilderStep<etherparse::TcpHeader>,
    ) -> etherparse::PacketBuilderStep<etherparse::TcpHeader>;
    let cases: [(Setter, TcpFlags); 9] = [
        (|b| b.fin(), TcpFlags::FIN),
        (|b| b.syn(), TcpFlags::SYN),
        (|b| b.rst(), TcpFlags::RST),
        (|b| b.psh(), TcpFlags::PSH),
        (|b| b.ack(1), TcpFlags::ACK),
        (|b| b.urg(1), TcpFlags::URG),
        (|b| b.ece(), TcpFlags::ECE),
        (|b| b.cwr(), TcpFlags::CWR),
        (|b| b.ns(), TcpFlags::AE),
    ];
    for (set, flag) in cases {
        let mut frame = Vec::new();
        set(PacketBuilder::ipv4(SRC4, DST4, 64).tcp(1, 2, 3, 4))
            .write(&mut frame, &[])
            .unwrap();
        let s = tcp_of(dec(101, &frame));
        assert_eq!(s.flags, flag, "built only {flag}");
        assert!(s.flags.contains(flag));
    }
    let mut frame = Vec::new();
    PacketBuilder::ipv4(SRC4, DST4, 64)
        .tcp(1, 2, 3, 4)
        .write(&mut frame, &[])
        .unwrap();
    assert!(tcp_of(dec(101, &frame)).flags.is_empty());
}

#[test]
fn tcp_flags_helpers() {
    let f = TcpFlags::SYN | TcpFlags::ACK;
    assert!(f.contains(TcpFlags::SYN) && f.contains(TcpFlags::ACK));
    assert!(f.contains(TcpFlags::SYN | TcpFlags::ACK));
    assert!(!f.contains(TcpFlags::SYN | TcpFlags::FIN));
    assert!(!f.contains(TcpFlags::empty()));
    assert!(f.intersects(TcpFlags::SYN | TcpFlags::FIN));
    assert_eq!(f.difference(TcpFlags::ACK), TcpFlags::SYN);
    assert_eq!(f.to_string(), "SYN|ACK");
    assert_eq!(TcpFlags::default().to_string(), "none");
    assert_eq!(TcpFlags::AE.bits(), 0x100);
}

// ---------------------------------------------------------------- Ethernet tags

#[test]
fn single_802_1q_tag() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .single_vlan(VlanId::try_new(100).unwrap())
        .ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut frame, &payload(10))
        .unwrap();
    assert_eq!(u16::from_be_bytes([frame[12], frame[13]]), 0x8100);
    assert_v4_segment(&tcp_of(dec(1, &frame)), 10);
}

#[test]
fn double_tag_built_by_etherparse() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .double_vlan(VlanId::try_new(201).unwrap(), VlanId::try_new(200).unwrap())
        .ipv6(src6(), dst6(), 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut frame, &payload(10))
        .unwrap();
    assert_v6_segment(&tcp_of(dec(1, &frame)), 10);
}

#[test]
fn qinq_with_802_1ad_0x9100_0x9200_and_three_tags() {
    for outer in [0x88A8u16, 0x9100, 0x9200, 0x8100] {
        let frame = cat(&[
            &ethernet_header(outer),
            &vlan_tag(10, 0x8100),
            &vlan_tag(20, 0x0800),
            &ipv4_tcp(5),
        ]);
        assert_v4_segment(&tcp_of(dec(1, &frame)), 5);
    }
    let frame = cat(&[
        &ethernet_header(0x88A8),
        &vlan_tag(1, 0x88A8),
        &vlan_tag(2, 0x8100),
        &vlan_tag(3, 0x86DD),
        &ipv6_tcp(5),
    ]);
    assert_v6_segment(&tcp_of(dec(1, &frame)), 5);
}

#[test]
fn mpls_label_stacks_are_popped_to_bottom_of_stack() {
    // One label, IPv4 below.
    let frame = cat(&[
        &ethernet_header(0x8847),
        &mpls_entry(16, true, 64),
        &ipv4_tcp(9),
    ]);
    assert_v4_segment(&tcp_of(dec(1, &frame)), 9);
    // Three labels (multicast ethertype), IPv6 below.
    let frame = cat(&[
        &ethernet_header(0x8848),
        &mpls_entry(1000, false, 64),
        &mpls_entry(2000, false, 64),
        &mpls_entry(3000, true, 64),
        &ipv6_tcp(9),
    ]);
    assert_v6_segment(&tcp_of(dec(1, &frame)), 9);
    // MPLS inside a VLAN tag.
    let frame = cat(&[
        &ethernet_header(0x8100),
        &vlan_tag(4093, 0x8847),
        &mpls_entry(42, true, 1),
        &ipv4_tcp(1),
    ]);
    assert_v4_segment(&tcp_of(dec(1, &frame)), 1);
}

#[test]
fn mpls_payload_that_is_not_ip_or_is_cut() {
    // An Ethernet pseudowire with a control word (0) below the labels: its
    // frame is read (Wireshark's heuristic does so when the addresses
    // belong to registered manufacturers; see DIFFERENCES.md).
    let pw = cat(&[&[0u8; 4], &eth_ipv4_tcp(1)]);
    let frame = cat(&[&ethernet_header(0x8847), &mpls_entry(5, true, 1), &pw]);
    assert_v4_segment(&tcp_of(dec(1, &frame)), 1);
    // A payload that is neither IP nor Ethernet.
    let frame = cat(&[
        &ethernet_header(0x8847),
        &mpls_entry(5, true, 1),
        &[0x10; 40],
    ]);
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::NotIp));
    // Label stack without bottom of stack, cut.
    let frame = cat(&[
        &ethernet_header(0x8847),
        &mpls_entry(5, false, 1),
        &[0u8; 2],
    ]);
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::Malformed));
}

#[test]
fn pppoe_session_carrying_ipv4() {
    let ip = ipv4_tcp(12);
    let mut pppoe = vec![0x11, 0x00];
    pppoe.extend_from_slice(&0x1234u16.to_be_bytes());
    pppoe.extend_from_slice(&((ip.len() + 2) as u16).to_be_bytes());
    pppoe.extend_from_slice(&0x0021u16.to_be_bytes());
    let frame = cat(&[&ethernet_header(0x8864), &pppoe, &ip]);
    assert_v4_segment(&tcp_of(dec(1, &frame)), 12);
}

#[test]
fn ethernet_non_ip_is_not_ip() {
    let frame = cat(&[&ethernet_header(0x0806), &[0u8; 28]]);
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::NotIp));
    // 802.3 length field + LLC.
    let frame = cat(&[&ethernet_header(46), &[0xAAu8; 46]]);
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::NotIp));
}

#[test]
fn ethernet_padding_and_trailer_after_the_datagram_are_ignored() {
    let mut frame = eth_ipv4_tcp(2);
    assert!(frame.len() < 60);
    frame.resize(60, 0); // minimum frame padding
    frame.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]); // FCS / vendor trailer
    let s = tcp_of(dec(1, &frame));
    assert_v4_segment(&s, 2);
    assert_eq!(s.captured_payload_len, 2);
    assert_eq!(
        s.checksum,
        ChecksumStatus::Good,
        "trailer bytes must not enter the checksum"
    );
}

// ---------------------------------------------------------------- other link types

#[test]
fn linux_cooked_v1_with_ethernet_and_loopback_hardware_types() {
    let mut frame = Vec::new();
    PacketBuilder::linux_sll(LinuxSllPacketType::OUTGOING, 6, [2, 0, 0, 0, 0, 1, 0, 0])
        .ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut frame, &payload(3))
        .unwrap();
    assert_v4_segment(&tcp_of(dec(113, &frame)), 3);

    // The loopback ("any" device) hardware type, which etherparse's own SLL
    // parser refuses.
    for hatype in [
        ArpHardwareId::LOOPBACK,
        ArpHardwareId::NONE,
        ArpHardwareId::PPP,
    ] {
        let sll = LinuxSllHeader {
            packet_type: LinuxSllPacketType::HOST,
            arp_hrd_type: hatype,
            sender_address_valid_length: 0,
            sender_address: [0; 8],
            protocol_type: LinuxSllProtocolType::EtherType(EtherType::IPV6),
        };
        let frame = cat(&[&sll.to_bytes(), &ipv6_tcp(4)]);
        assert_v6_segment(&tcp_of(dec(113, &frame)), 4);
    }

    let netlink = LinuxSllHeader {
        packet_type: LinuxSllPacketType::HOST,
        arp_hrd_type: ArpHardwareId::NETLINK,
        sender_address_valid_length: 0,
        sender_address: [0; 8],
        protocol_type: LinuxSllProtocolType::NetlinkProtocolType(0),
    };
    let frame = cat(&[&netlink.to_bytes(), &[0u8; 20]]);
    assert_eq!(dec(113, &frame), Decoded::Skipped(Skip::NotIp));
    assert_eq!(dec(113, &frame[..10]), Decoded::Skipped(Skip::Malformed));
}

/// Linux cooked v2 header from its fields.
fn sll2_header(protocol: u16, hatype: u16) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&protocol.to_be_bytes());
    h.extend_from_slice(&0u16.to_be_bytes()); // reserved
    h.extend_from_slice(&3u32.to_be_bytes()); // interface index
    h.extend_from_slice(&hatype.to_be_bytes());
    h.push(4); // packet type: outgoing
    h.push(6); // address length
    h.extend_from_slice(&[2, 0, 0, 0, 0, 9, 0, 0]);
    h
}

#[test]
fn linux_cooked_v2() {
    let frame = cat(&[&sll2_header(0x0800, 1), &ipv4_tcp(8)]);
    assert_v4_segment(&tcp_of(dec(276, &frame)), 8);
    let frame = cat(&[&sll2_header(0x86DD, 772), &ipv6_tcp(8)]);
    assert_v6_segment(&tcp_of(dec(276, &frame)), 8);
    let frame = cat(&[&sll2_header(0x0806, 1), &[0u8; 28]]);
    assert_eq!(dec(276, &frame), Decoded::Skipped(Skip::NotIp));
    assert_eq!(dec(276, &frame[..19]), Decoded::Skipped(Skip::Malformed));
}

#[test]
fn raw_ip_link_types_take_the_version_from_the_first_nibble() {
    for link in [101, 12, 14] {
        assert_v4_segment(&tcp_of(dec(link, &ipv4_tcp(6))), 6);
        assert_v6_segment(&tcp_of(dec(link, &ipv6_tcp(6))), 6);
        assert_eq!(dec(link, &[0x10; 40]), Decoded::Skipped(Skip::NotIp));
        assert_eq!(dec(link, &[]), Decoded::Skipped(Skip::TruncatedIpHeader));
    }
    assert_v4_segment(&tcp_of(dec(228, &ipv4_tcp(6))), 6);
    assert_v6_segment(&tcp_of(dec(229, &ipv6_tcp(6))), 6);
    assert_eq!(dec(228, &ipv6_tcp(6)), Decoded::Skipped(Skip::Malformed));
    assert_eq!(dec(229, &ipv4_tcp(6)), Decoded::Skipped(Skip::Malformed));
}

#[test]
fn bsd_null_loopback_in_either_host_byte_order_and_every_ipv6_family() {
    let ip4 = ipv4_tcp(7);
    let ip6 = ipv6_tcp(7);
    for family_bytes in [2u32.to_le_bytes(), 2u32.to_be_bytes()] {
        let frame = cat(&[&family_bytes, &ip4]);
        assert_v4_segment(&tcp_of(dec(0, &frame)), 7);
    }
    for family in [10u32, 24, 28, 30] {
        for family_bytes in [family.to_le_bytes(), family.to_be_bytes()] {
            let frame = cat(&[&family_bytes, &ip6]);
            assert_v6_segment(&tcp_of(dec(0, &frame)), 7);
        }
    }
    // AF_APPLETALK and friends are not IP.
    let frame = cat(&[&16u32.to_le_bytes(), &ip4]);
    assert_eq!(dec(0, &frame), Decoded::Skipped(Skip::NotIp));
    assert_eq!(dec(0, &[2, 0]), Decoded::Skipped(Skip::Malformed));
}

#[test]
fn openbsd_loop_family_is_big_endian() {
    let frame = cat(&[&2u32.to_be_bytes(), &ipv4_tcp(7)]);
    assert_v4_segment(&tcp_of(dec(108, &frame)), 7);
    let frame = cat(&[&24u32.to_be_bytes(), &ipv6_tcp(7)]);
    assert_v6_segment(&tcp_of(dec(108, &frame)), 7);
    // Little-endian AF_INET read big-endian is 0x02000000: not an address family.
    let frame = cat(&[&2u32.to_le_bytes(), &ipv4_tcp(7)]);
    assert_eq!(dec(108, &frame), Decoded::Skipped(Skip::NotIp));
}

/// An NFLOG TLV: length (incl. the 4-byte TLV header) and type in the given
/// byte order, value, padding to 4 bytes.
fn nflog_tlv(big_endian: bool, tlv_type: u16, value: &[u8]) -> Vec<u8> {
    let len = (4 + value.len()) as u16;
    let mut t = Vec::new();
    if big_endian {
        t.extend_from_slice(&len.to_be_bytes());
        t.extend_from_slice(&tlv_type.to_be_bytes());
    } else {
        t.extend_from_slice(&len.to_le_bytes());
        t.extend_from_slice(&tlv_type.to_le_bytes());
    }
    t.extend_from_slice(value);
    while t.len() % 4 != 0 {
        t.push(0);
    }
    t
}

fn nflog_frame(big_endian: bool, family: u8, ip: &[u8]) -> Vec<u8> {
    let header = [family, 0, 0, 1]; // family, version 0, resource id 1 (big-endian)
    cat(&[
        &header,
        &nflog_tlv(big_endian, 1, &[0x08, 0x00, 3, 0]), // NFULA_PACKET_HDR
        &nflog_tlv(big_endian, 10, b"prefix!"),         // NFULA_PREFIX (odd length: padded)
        &nflog_tlv(big_endian, 9, ip),                  // NFULA_PAYLOAD
    ])
}

#[test]
fn nflog_payload_tlv_in_either_byte_order() {
    for big in [false, true] {
        let frame = nflog_frame(big, 2, &ipv4_tcp(11));
        let s = tcp_of(dec(239, &frame));
        assert_v4_segment(&s, 11);
        assert_eq!(s.checksum, ChecksumStatus::Good);
        let frame = nflog_frame(big, 10, &ipv6_tcp(11));
        assert_v6_segment(&tcp_of(dec(239, &frame)), 11);
    }
}

#[test]
fn nflog_without_payload_or_cut_before_it() {
    let frame = cat(&[&[2, 0, 0, 1], &nflog_tlv(false, 10, b"prefix")]);
    assert_eq!(dec(239, &frame), Decoded::Skipped(Skip::NotIp));
    let frame = nflog_frame(false, 2, &ipv4_tcp(11));
    // Cut inside the prefix TLV: the payload is not reachable.
    assert_eq!(
        decode(LinkType(239), &frame[..14], frame.len() as u32, false),
        Decoded::Skipped(Skip::TruncatedIpHeader)
    );
    // Cut inside the payload: lengths still come from the IP header. (A
    // 52-byte datagram needs no TLV padding, so the frame ends with it.)
    let frame = nflog_frame(false, 2, &ipv4_tcp(12));
    let cut = frame.len() - 5;
    let s = tcp_of(decode(
        LinkType(239),
        &frame[..cut],
        frame.len() as u32,
        true,
    ));
    assert_eq!((s.payload_len, s.captured_payload_len), (12, 7));
    assert_eq!(s.checksum, ChecksumStatus::Unverifiable);
}
