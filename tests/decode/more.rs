//! The second half of the decoding tests (helpers in the parent).

use super::*;

#[test]
fn unknown_link_types_are_unsupported() {
    let frame = eth_ipv4_tcp(1);
    for link in [147u32, 200, 0xFFFF] {
        assert_eq!(
            dec(link, &frame),
            Decoded::Skipped(Skip::UnsupportedLink),
            "link {link}"
        );
    }
}

// ---------------------------------------------------------------- IP layer

#[test]
fn non_tcp_datagrams_are_not_tcp() {
    let mut udp = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(SRC4, DST4, 64)
        .udp(53, 5353)
        .write(&mut udp, &[1, 2, 3])
        .unwrap();
    assert_eq!(dec(1, &udp), Decoded::Skipped(Skip::NotTcp));
    let mut icmp6 = Vec::new();
    PacketBuilder::ipv6(src6(), dst6(), 64)
        .icmpv6_echo_request(1, 2)
        .write(&mut icmp6, &[1, 2, 3])
        .unwrap();
    assert_eq!(dec(101, &icmp6), Decoded::Skipped(Skip::NotTcp));
}

#[test]
fn ipv4_options_move_the_tcp_header() {
    let mut header = Ipv4Header::new(0, 64, IpNumber::TCP, SRC4, DST4).unwrap();
    // Router alert (4 bytes) + 4 NOPs/EOL: 8 bytes of options, IHL 7.
    header.options =
        Ipv4Options::try_from(&[0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00][..]).unwrap();
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ip(IpHeaders::Ipv4(header, Ipv4Extensions::default()))
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut frame, &payload(20))
        .unwrap();
    assert_eq!(frame[14] & 0x0F, 7, "IHL");
    let s = tcp_of(dec(1, &frame));
    assert_eq!(
        (s.src_port, s.dst_port, s.seq, s.ack),
        (SPORT, DPORT, SEQ, ACK)
    );
    assert_eq!(s.payload_len, 20);
    assert_eq!(s.ip_len, 28 + 20 + 20);
    assert_eq!(s.checksum, ChecksumStatus::Good);
}

fn ipv6_with_extensions(exts: Ipv6Extensions, n: usize) -> Vec<u8> {
    let header = Ipv6Header {
        traffic_class: 0,
        flow_label: Default::default(),
        payload_length: 0,
        next_header: IpNumber::TCP,
        hop_limit: 64,
        source: src6(),
        destination: dst6(),
    };
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ip(IpHeaders::Ipv6(header, exts))
        .tcp(SPORT, DPORT, SEQ, WIN)
        .ack(ACK)
        .psh()
        .write(&mut frame, &payload(n))
        .unwrap();
    frame
}

#[test]
fn ipv6_extension_headers_are_skipped_to_tcp() {
    let raw = |n: usize| Ipv6RawExtHeader::new_raw(IpNumber::TCP, &vec![1u8; n]).unwrap();
    let exts = Ipv6Extensions {
        hop_by_hop_options: Some(raw(6)),
        destination_options: Some(raw(14)),
        routing: Some(Ipv6RoutingExtensions {
            routing: raw(22),
            final_destination_options: Some(raw(6)),
        }),
        fragment: None,
        auth: None,
    };
    let frame = ipv6_with_extensions(exts, 30);
    let s = tcp_of(dec(1, &frame));
    assert_eq!(
        (s.src_port, s.dst_port, s.seq, s.ack),
        (SPORT, DPORT, SEQ, ACK)
    );
    assert_eq!(s.payload_len, 30);
    assert_eq!(s.ip_len, 40 + (8 + 16 + 24 + 8) + 20 + 30);
    assert_eq!(s.checksum, ChecksumStatus::Good);
    // Cut inside the extension headers.
    assert_eq!(
        decode(
            LinkType(1),
            &frame[..14 + 40 + 10],
            frame.len() as u32,
            false
        ),
        Decoded::Skipped(Skip::TruncatedIpHeader)
    );
}

#[test]
fn ipv6_fragment_header_that_fragments_is_a_fragment_but_an_atomic_one_is_not() {
    let frag = |offset: u16, more: bool| Ipv6Extensions {
        fragment: Some(Ipv6FragmentHeader::new(
            IpNumber::TCP,
            IpFragOffset::try_new(offset).unwrap(),
            more,
            0x1234,
        )),
        ..Default::default()
    };
    assert_eq!(
        dec(1, &ipv6_with_extensions(frag(0, true), 8)),
        Decoded::Skipped(Skip::Fragment)
    );
    assert_eq!(
        dec(1, &ipv6_with_extensions(frag(100, false), 8)),
        Decoded::Skipped(Skip::Fragment)
    );
    // RFC 6946: an atomic fragment (offset 0, no more fragments) is a whole packet.
    let s = tcp_of(dec(1, &ipv6_with_extensions(frag(0, false), 8)));
    assert_eq!(s.payload_len, 8);
}

#[test]
fn ipv4_fragments_are_skipped() {
    let build = |more: bool, offset: u16, dont_fragment: bool| {
        let mut header = Ipv4Header::new(0, 64, IpNumber::TCP, SRC4, DST4).unwrap();
        header.more_fragments = more;
        header.fragment_offset = IpFragOffset::try_new(offset).unwrap();
        header.dont_fragment = dont_fragment;
        let mut frame = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ip(IpHeaders::Ipv4(header, Ipv4Extensions::default()))
            .tcp(SPORT, DPORT, SEQ, WIN)
            .write(&mut frame, &payload(8))
            .unwrap();
        frame
    };
    assert_eq!(
        dec(1, &build(true, 0, false)),
        Decoded::Skipped(Skip::Fragment)
    );
    assert_eq!(
        dec(1, &build(false, 185, false)),
        Decoded::Skipped(Skip::Fragment)
    );
    assert_eq!(
        tcp_of(dec(1, &build(false, 0, true))).payload_len,
        8,
        "DF alone is no fragment"
    );
}

#[test]
fn bad_ip_headers_are_malformed() {
    // Ethertype says IPv4, version nibble says 6.
    let mut frame = eth_ipv4_tcp(4);
    frame[14] = 0x65;
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::Malformed));
    // IHL below 5.
    let mut frame = eth_ipv4_tcp(4);
    frame[14] = 0x44;
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::Malformed));
    // Total length (non-zero) smaller than the header.
    let mut frame = eth_ipv4_tcp(4);
    frame[16..18].copy_from_slice(&12u16.to_be_bytes());
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::Malformed));
    // Ethernet header cut.
    assert_eq!(dec(1, &frame[..13]), Decoded::Skipped(Skip::Malformed));
}

// ---------------------------------------------------------------- lengths

#[test]
fn snaplen_cuts_at_every_length_keep_ip_lengths() {
    for (frame, ip_start, tcp_start) in [
        (eth_ipv4_tcp(50), 14usize, 34usize),
        (cat(&[&ethernet_header(0x86DD), &ipv6_tcp(50)]), 14, 54),
        (
            cat(&[
                &ethernet_header(0x8100),
                &vlan_tag(7, 0x0800),
                &ipv4_tcp(50),
            ]),
            18,
            38,
        ),
    ] {
        let full = frame.len();
        for cut in 0..=full {
            let got = decode(LinkType(1), &frame[..cut], full as u32, true);
            let expected_skip = if cut < ip_start {
                Some(Skip::Malformed)
            } else if cut < tcp_start {
                Some(Skip::TruncatedIpHeader)
            } else if cut < tcp_start + 20 {
                Some(Skip::TruncatedTcpHeader)
            } else {
                None
            };
            match (expected_skip, got) {
                (Some(skip), got) => assert_eq!(got, Decoded::Skipped(skip), "cut at {cut}"),
                (None, Decoded::Tcp(s)) => {
                    assert_eq!(s.payload_len, 50, "cut at {cut}: length from the IP header");
                    assert_eq!(
                        s.captured_payload_len as usize,
                        cut - tcp_start - 20,
                        "cut at {cut}"
                    );
                    let want = if cut == full {
                        ChecksumStatus::Good
                    } else {
                        ChecksumStatus::Unverifiable
                    };
                    assert_eq!(s.checksum, want, "cut at {cut}");
                }
                (None, got) => panic!("cut at {cut}: expected a segment, got {got:?}"),
            }
        }
    }
}

#[test]
fn tcp_header_longer_than_the_ip_length_is_truncated() {
    let mut frame = Vec::new();
    PacketBuilder::ethernet2(MAC_A, MAC_B)
        .ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .options(&[
            TcpOptionElement::Timestamp(1, 2),
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
        ])
        .unwrap()
        .write(&mut frame, &[])
        .unwrap();
    // Claim only 20 + 24 bytes of datagram: the 32-byte TCP header does not fit.
    frame[16..18].copy_from_slice(&44u16.to_be_bytes());
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::TruncatedTcpHeader));
    // Claim less than a minimal TCP header.
    frame[16..18].copy_from_slice(&30u16.to_be_bytes());
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::TruncatedTcpHeader));
}

#[test]
fn tcp_data_offset_below_five_is_malformed() {
    let mut frame = eth_ipv4_tcp(8);
    frame[34 + 12] = 0x40;
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::Malformed));
}

#[test]
fn zero_ipv4_total_length_from_segmentation_offload_uses_the_frame_length() {
    let mut frame = eth_ipv4_tcp(1000);
    frame[16..18].copy_from_slice(&0u16.to_be_bytes());
    let full = frame.len();
    // Captured in full.
    let s = tcp_of(decode(LinkType(1), &frame, full as u32, true));
    assert_eq!((s.payload_len, s.ip_len), (1000, 1040));
    assert_eq!(s.checksum, ChecksumStatus::Unverifiable);
    // Captured with a 128-byte snaplen: the original length still gives it.
    let s = tcp_of(decode(LinkType(1), &frame[..128], full as u32, true));
    assert_eq!((s.payload_len, s.captured_payload_len), (1000, 128 - 54));
}

#[test]
fn zero_ipv6_payload_length_uses_the_frame_length() {
    let mut frame = cat(&[&ethernet_header(0x86DD), &ipv6_tcp(300)]);
    frame[14 + 4..14 + 6].copy_from_slice(&0u16.to_be_bytes());
    let s = tcp_of(dec(1, &frame));
    assert_eq!((s.payload_len, s.ip_len), (300, 360));
    assert_eq!(s.checksum, ChecksumStatus::Unverifiable);
}

#[test]
fn ip_length_beyond_the_frame_is_limited_to_the_frame() {
    // As Wireshark: a total length claiming more than the frame carried on
    // the wire counts only the bytes that were there.
    let mut frame = eth_ipv4_tcp(6);
    frame[16..18].copy_from_slice(&1500u16.to_be_bytes());
    let s = tcp_of(decode(LinkType(1), &frame, frame.len() as u32, true));
    assert_eq!((s.payload_len, s.ip_len), (6, 1500));
    // With a larger original length (snaplen cut) the header is trusted.
    let s = tcp_of(decode(LinkType(1), &frame, 1514, true));
    assert_eq!(s.payload_len, 1460);
}

// ---------------------------------------------------------------- checksums

#[test]
fn checksums_good_bad_and_not_checked() {
    let frame = eth_ipv4_tcp(64);
    assert_eq!(tcp_of(dec(1, &frame)).checksum, ChecksumStatus::Good);
    assert_eq!(
        tcp_of(decode(LinkType(1), &frame, frame.len() as u32, false)).checksum,
        ChecksumStatus::NotChecked
    );
    // A payload byte changed: TCP checksum wrong.
    let mut bad = frame.clone();
    *bad.last_mut().unwrap() ^= 0x40;
    assert_eq!(tcp_of(dec(1, &bad)).checksum, ChecksumStatus::Bad);
    // The IPv4 header checksum field changed.
    let mut bad = frame.clone();
    bad[24] ^= 0x01;
    assert_eq!(tcp_of(dec(1, &bad)).checksum, ChecksumStatus::Bad);
    // IPv6 (no header checksum; pseudo-header with 128-bit addresses).
    let frame6 = cat(&[&ethernet_header(0x86DD), &ipv6_tcp(65)]);
    assert_eq!(tcp_of(dec(1, &frame6)).checksum, ChecksumStatus::Good);
    let mut bad6 = frame6.clone();
    bad6[14 + 8] ^= 0x80; // source address
    assert_eq!(tcp_of(dec(1, &bad6)).checksum, ChecksumStatus::Bad);
}

// ---------------------------------------------------------------- options

fn options_of(raw: &[u8]) -> tcpstate::decode::TcpOptions {
    let mut frame = Vec::new();
    PacketBuilder::ipv4(SRC4, DST4, 64)
        .tcp(SPORT, DPORT, SEQ, WIN)
        .options_raw(raw)
        .unwrap()
        .write(&mut frame, &[])
        .unwrap();
    tcp_of(dec(101, &frame)).options
}

/// Encodes option elements with etherparse.
fn encoded(elements: &[TcpOptionElement]) -> Vec<u8> {
    etherparse::TcpOptions::try_from_elements(elements)
        .unwrap()
        .as_slice()
        .to_vec()
}

/// An option etherparse has no element for: kind, length byte, filler value.
fn other_option(kind: u8, len: u8) -> Vec<u8> {
    let mut o = vec![kind, len];
    o.resize(len as usize, 0x5A);
    o
}

fn padded(mut o: Vec<u8>) -> Vec<u8> {
    while o.len() % 4 != 0 {
        o.push(1); // NOP
    }
    o
}

#[test]
fn sack_blocks_one_to_four() {
    let blocks = [(1u32, 2u32), (30, 40), (500, 600), (7000, 8000)];
    for n in 1..=3usize {
        let more: [Option<(u32, u32)>; 3] =
            std::array::from_fn(|i| if i + 1 < n { Some(blocks[i + 1]) } else { None });
        let o = options_of(&encoded(&[
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
            TcpOptionElement::SelectiveAcknowledgement(blocks[0], more),
        ]));
        assert_eq!(o.sack(), &blocks[..n]);
        assert!(!o.malformed);
    }
    // Four blocks (34 bytes) leave no room for a timestamp: 2 NOPs + 34 = 36.
    let o = options_of(&encoded(&[
        TcpOptionElement::Noop,
        TcpOptionElement::Noop,
        TcpOptionElement::SelectiveAcknowledgement(
            blocks[0],
            [Some(blocks[1]), Some(blocks[2]), Some(blocks[3])],
        ),
    ]));
    assert_eq!(o.sack_count, 4);
    assert_eq!(o.sack_blocks, blocks);
}

#[test]
fn options_after_unknown_kinds_are_still_read() {
    // Experimental (254), MPTCP (30) and a Fast Open cookie request (34)
    // in front of the options the state machine needs.
    // (etherparse pads each encoded group with EOL, so groups are 4-byte
    // multiples.)
    let raw = cat(&[
        &other_option(254, 4),
        &encoded(&[TcpOptionElement::MaximumSegmentSize(1400)]),
        &other_option(30, 8),
        &encoded(&[TcpOptionElement::Noop, TcpOptionElement::WindowScale(9)]),
        &encoded(&[
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
        ]),
        &padded(other_option(34, 2)),
        &encoded(&[
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
            TcpOptionElement::Timestamp(0xAABB_CCDD, 5),
        ]),
    ]);
    assert_eq!(raw.len(), 40);
    let o = options_of(&raw);
    assert_eq!(o.mss, Some(1400));
    assert_eq!(o.window_scale, Some(9));
    assert!(o.sack_permitted);
    assert_eq!(o.timestamps, Some((0xAABB_CCDD, 5)));
    assert!(!o.malformed);
}

#[test]
fn malformed_option_lengths_are_flagged() {
    // Unknown kind with a length below 2.
    let o = options_of(&padded(cat(&[
        &[77u8, 1],
        &encoded(&[TcpOptionElement::WindowScale(3)]),
    ])));
    assert!(o.malformed);
    assert_eq!(o.window_scale, None, "nothing after the damage is read");
    // MSS with length 3.
    let o = options_of(&padded(vec![2, 3, 5]));
    assert!(o.malformed);
    // Timestamp running past the end of the header.
    let o = options_of(&padded(vec![1, 1, 8, 10, 0, 0, 0, 1]));
    assert!(o.malformed);
    assert_eq!(o.timestamps, None);
    // Unknown option running past the end.
    let o = options_of(&padded(vec![1, 1, 99, 30]));
    assert!(o.malformed);
}

#[test]
fn end_of_option_list_stops_parsing() {
    let raw = cat(&[
        &encoded(&[TcpOptionElement::MaximumSegmentSize(536)]),
        &[0, 0, 0, 0], // EOL + padding
        &encoded(&[TcpOptionElement::WindowScale(4), TcpOptionElement::Noop]),
    ]);
    let o = options_of(&raw);
    assert_eq!(o.mss, Some(536));
    assert_eq!(o.window_scale, None);
    assert!(!o.malformed);
}

// ---------------------------------------------------------------- robustness

use common::Rng;

#[test]
fn arbitrary_bytes_never_panic_on_any_link_type() {
    let links = [0u32, 1, 12, 14, 101, 108, 113, 228, 229, 239, 276];
    let seeds = [
        eth_ipv4_tcp(40),
        cat(&[&ethernet_header(0x86DD), &ipv6_tcp(40)]),
        nflog_frame(false, 2, &ipv4_tcp(40)),
        cat(&[&sll2_header(0x0800, 1), &ipv4_tcp(40)]),
        cat(&[
            &ethernet_header(0x8847),
            &mpls_entry(1, false, 1),
            &mpls_entry(2, true, 1),
            &ipv4_tcp(4),
        ]),
        cat(&[&2u32.to_le_bytes(), &ipv6_tcp(40)]),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut decoded = 0usize;
    for seed in &seeds {
        for _ in 0..3000 {
            let mut f = seed.clone();
            for _ in 0..(rng.next() % 6 + 1) {
                let i = (rng.next() % f.len() as u64) as usize;
                f[i] = rng.next() as u8;
            }
            let cut = (rng.next() % (f.len() as u64 + 1)) as usize;
            let orig = (rng.next() % 3000) as u32;
            for &link in &links {
                if let Decoded::Tcp(s) = decode(LinkType(link), &f[..cut], orig, true) {
                    assert!(s.captured_payload_len <= s.payload_len);
                    assert!(s.header_len >= 20);
                    decoded += 1;
                }
            }
        }
    }
    assert!(
        decoded > 1000,
        "mutations should leave many decodable segments ({decoded})"
    );
}

// ---------------------------------------------------------------- nesting

/// `depth` IPv4 headers (by etherparse), each carrying the next as
/// IP-in-IP (protocol 4), around an IPv4/TCP packet, in Ethernet.
fn nested_ip_in_ip(depth: usize) -> Vec<u8> {
    let mut packet = ipv4_tcp(10);
    for _ in 0..depth {
        let mut h = etherparse::Ipv4Header::new(
            packet.len() as u16,
            64,
            etherparse::IpNumber(4),
            [192, 0, 2, 1],
            [192, 0, 2, 2],
        )
        .unwrap();
        h.header_checksum = h.calc_header_checksum();
        packet = cat(&[&h.to_bytes(), &packet]);
    }
    cat(&[&ethernet_header(0x0800), &packet])
}

#[test]
fn nested_tunnels_are_followed_up_to_the_bound() {
    let frame = nested_ip_in_ip(50);
    let l = tcpstate::decode::decode_layers(LinkType(1), &frame, frame.len() as u32, false);
    let tunnel = l.tunnel.expect("tunnelled");
    assert_eq!(tunnel.depth, 50);
    assert_eq!(
        tunnel.path().map(|k| k.name()).collect::<Vec<_>>(),
        ["ip-in-ip"; tcpstate::decode::TUNNEL_PATH]
    );
    assert!(matches!(l.packet, tcpstate::decode::Packet::Tcp(_)));
}

#[test]
fn a_thousand_nested_tunnels_are_a_counted_skip() {
    let frame = nested_ip_in_ip(1000);
    assert_eq!(dec(1, &frame), Decoded::Skipped(Skip::TooDeep));
    // Through the engine: counted, not analysed, nothing else disturbed.
    let mut pcap = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, 1] {
        pcap.extend_from_slice(&v.to_le_bytes());
    }
    for f in [&frame, &eth_ipv4_tcp(5)] {
        for v in [1u32, 0, f.len() as u32, f.len() as u32] {
            pcap.extend_from_slice(&v.to_le_bytes());
        }
        pcap.extend_from_slice(f);
    }
    let reader = tcpstate::capture::CaptureReader::from_bytes("deep", pcap).unwrap();
    struct Nothing;
    impl tcpstate::engine::Consumer for Nothing {
        fn capture_start(&mut self, _: i64) {}
        fn segments(&mut self, _: &[tcpstate::engine::SegmentRecord]) -> std::io::Result<()> {
            Ok(())
        }
        fn connections(&mut self, _: &[tcpstate::engine::ConnectionRecord]) -> std::io::Result<()> {
            Ok(())
        }
    }
    let t = tcpstate::engine::analyze(reader, &Default::default(), &mut Nothing, None).unwrap();
    assert_eq!(t.skipped(Skip::TooDeep), 1);
    assert_eq!(t.tcp_segments, 1);
}
