//! The second half of the corpus reading tests (helpers in the parent).

use super::*;

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcapng_big_endian() {
    let r = check("pcap-parser__test001-be.pcapng", Format::PcapNg, &[1], 0);
    assert_eq!(r.frames.len(), 4);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pcapng_with_several_interfaces() {
    let r = check(
        "zeek__pcapng-multi-interface.pcapng",
        Format::PcapNg,
        &[1],
        0,
    );
    assert_eq!(r.interfaces.len(), 2);
    let r = check(
        "pcapplusplus__many_interfaces-1.pcapng",
        Format::PcapNg,
        &[1, 0],
        1,
    );
    assert_eq!(r.interfaces.len(), 11);
    let links: BTreeSet<u32> = r.interfaces.iter().map(|i| i.link_type.0).collect();
    assert_eq!(links, BTreeSet::from([0, 1, 12]));
    // Interface 1 has a timestamp far beyond 2262: it saturates (tshark
    // shows 18446744073204.126329 s, which no i64 of nanoseconds can hold).
    let r = check(
        "pcapplusplus__pcapng-example.pcapng",
        Format::PcapNg,
        &[1, 113],
        50,
    );
    assert!(
        r.frames
            .iter()
            .any(|f| f.interface() == 1 && f.ts_ns() == i64::MAX)
    );
    let r = check(
        "zeek__ldap__gap-data-missing.pcapng",
        Format::PcapNg,
        &[1],
        10,
    );
    assert!(
        r.interfaces.len() > 100,
        "{} interfaces",
        r.interfaces.len()
    );
}

// ---------------------------------------------------------------- link types

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_linux_cooked_v1() {
    check("zeek__tls__irc-starttls.pcap", PCAP_LE_US, &[113], 20);
    check("tcpdump__resp_1_benchmark.pcap", PCAP_LE_US, &[113], 150);
    check(
        "suricata-verify__issue-3341-tcphdr-01__urgent11_cve_2019_12260.pcap",
        PCAP_LE_US,
        &[113],
        8,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_linux_cooked_v2() {
    check("pcapplusplus__sll2.pcap", PCAP_LE_US, &[276], 3);
    check(
        "suricata-verify__decode-sll2-01__input.pcap",
        PCAP_LE_US,
        &[276],
        5,
    );
    check(
        "zeek__tls__openjdk-25.0.2-zeek.org.pcap",
        PCAP_LE_US,
        &[276],
        6,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ip_101() {
    check("pcapplusplus__raw_ip.pcap", PCAP_LE_US, &[101], 92);
    check("tcpdump__mptcp-tcprst.pcap", PCAP_LE_US, &[101], 2);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ip_12_carrying_ipv6() {
    let r = check(
        "pcapplusplus__four_ipv6_http_streams.pcap",
        PCAP_LE_US,
        &[12],
        81,
    );
    assert!(
        r.frames
            .iter()
            .all(|f| matches!(f.decode(), Decoded::Tcp(s) if s.src.is_ipv6()))
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ipv4_228() {
    check(
        "zeek__http__261__variant-04-te_cl_desync.pcap",
        PCAP_LE_US,
        &[228],
        8,
    );
    check("arkime__adb.pcap", PCAP_LE_US, &[228], 13);
    check("tcpdump__scps_invalid.pcap", PCAP_LE_US, &[228], 2);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_raw_ipv6_229() {
    check("pcapplusplus__linktype_ipv6.pcap", PCAP_LE_US, &[229], 1);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_bsd_null_loopback() {
    check("zeek__tls__pop3-starttls.pcap", PCAP_LE_US, &[0], 33);
    check("arkime__http-empty-useragent.pcap", PCAP_LE_US, &[0], 16);
    check("pcapplusplus__null_loopback.pcap", PCAP_LE_US, &[0], 1);
    check("tcpdump__tcp_rst_diag_payload.pcap", PCAP_LE_US, &[0], 1);
    check(
        "zeek__redis__start-with-server.pcapng",
        Format::PcapNg,
        &[0],
        6,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_nflog() {
    check("arkime__nflog.pcap", PCAP_LE_US, &[239], 10);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_802_1q_vlan() {
    check("zeek__http-vlan-0.pcap", PCAP_LE_US, &[1], 14);
    check("suricata-verify__bug-814__input.pcap", PCAP_LE_US, &[1], 7);
    check(
        "suricata-verify__bug-4376__syn_retransmit_with_ts.pcap",
        PCAP_LE_US,
        &[1],
        254,
    );
    check("arkime__no-syn-ack.pcap", PCAP_LE_US, &[1], 10);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_qinq_double_tag() {
    check("arkime__twovlan.pcap", PCAP_LE_US, &[1], 6);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_mpls_and_vlan_mixed() {
    check("zeek__mixed-vlan-mpls.pcap", PCAP_LE_US, &[1], 47);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_pppoe_in_double_vlan() {
    check(
        "pcapplusplus__one_http_stream_rst.pcap",
        PCAP_LE_US,
        &[1],
        10,
    );
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_ipv6() {
    check("zeek__ftp__ipv6.pcap", PCAP_LE_US, &[1], 136);
    check(
        "suricata-verify__community-id-ipv6__input.pcap",
        PCAP_LE_US,
        &[1],
        70,
    );
    check("arkime__v6-http.pcap", PCAP_LE_US, &[1], 10);
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_ethernet_padding_is_not_payload() {
    let r = check("zeek__tcp-http-with-padding.pcap", PCAP_LE_US, &[1], 25);
    // Some frames are longer than their datagrams; payload lengths were
    // checked against tshark above.
    assert!(r.frames.iter().any(|f| match f.decode() {
        Decoded::Tcp(s) => f.caplen() as usize > 14 + s.ip_len as usize,
        _ => false,
    }));
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_bad_checksum_is_reported() {
    let r = check("zeek__tcp__syn-bad.pcap", PCAP_LE_US, &[1], 1);
    assert!(matches!(r.frames[0].decode(), Decoded::Tcp(s) if s.checksum == ChecksumStatus::Bad));
}

/// Every capture of the corpus, whatever its format, agrees with tshark
/// (the damaged ones up to their damage).
#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_every_capture_agrees_with_tshark_frame_by_frame() {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".cap"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 70,
        "only {} captures in the corpus",
        names.len()
    );
    for name in &names {
        let read = read_corpus(name);
        let shark = tshark(name);
        // tshark reads a second frame of the fuzzed file through its
        // heuristics for non-standard pcap variants; we stop at the damage
        // (see corpus_damaged_files_deliver_the_frames_before_the_damage).
        let comparable = if name.contains("bug-6875-01") {
            1
        } else {
            shark.len()
        };
        assert_eq!(read.frames.len(), comparable, "{name}: frame count");
        for (f, t) in read.frames.iter().zip(&shark) {
            let n = f.number();
            assert_eq!(Some(n), t.num("frame.number"), "{name}");
            let tshark_ns = epoch_ns(t.first("frame.time_epoch").unwrap());
            assert_eq!(
                f.ts_ns(),
                tshark_ns.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
                "{name}: frame {n}: timestamp"
            );
            match (f.decode(), t.first("tcp.seq_raw").is_some()) {
                (Decoded::Tcp(s), true) => compare_segment(name, n, &s, t),
                (Decoded::Skipped(_), false) => {}
                (d, _) => panic!("{name}: frame {n}: {d:?} vs tshark {:?}", t.0),
            }
        }
    }
}

// ---------------------------------------------------------------- damage

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_damaged_files_deliver_the_frames_before_the_damage() {
    // A garbage record header (caplen 4325376) after 6 good records.
    let r = read_corpus("suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap");
    assert_eq!(r.frames.len(), 6);
    let e = r.damage.expect("damage expected");
    assert_eq!((e.frame, e.offset), (Some(7), 5035));
    assert_eq!(
        e.kind,
        CaptureErrorKind::Corrupt(
            "record claims 4325376 captured bytes, more than the 262144-byte maximum".into()
        )
    );
    let shark = tshark("suricata-verify__bug-1450-04__tls_DER-incomplete-header.pcap");
    assert_eq!(shark.len(), 6, "tshark also stops after 6 frames");

    // A fuzzed file: one good record, then a header claiming ~1.4 GB.
    let r = read_corpus("suricata-verify__bug-6875-01__fuzz.pcap");
    assert_eq!(r.frames.len(), 1);
    let e = r.damage.expect("damage expected");
    assert_eq!((e.frame, e.offset), (Some(2), 228));
    assert!(
        e.to_string()
            .contains("record claims 1409179648 captured bytes"),
        "{e}"
    );

    // caplen 8 > snaplen 1: tolerated, one frame; its Ethernet header is cut.
    let r = read_corpus("zeek__trunc__trunc-hdr.pcap");
    assert!(r.damage.is_none());
    assert_eq!(r.frames.len(), 1);
    assert_eq!(r.frames[0].caplen(), 8);
    assert_eq!(r.frames[0].decode(), Decoded::Skipped(Skip::Malformed));

    // A valid header and no packets.
    let r = read_corpus("zeek__empty.pcap");
    assert!(r.damage.is_none() && r.frames.is_empty());
}

#[test]
#[ignore = "needs the capture corpus and tshark"]
fn corpus_truncated_tcp_headers_are_skipped() {
    let r = read_corpus("tcpdump__tcp_header_heapoverflow.pcap");
    assert_eq!(r.frames.len(), 1);
    assert_eq!(
        r.frames[0].decode(),
        Decoded::Skipped(Skip::TruncatedTcpHeader)
    );
}

// ---------------------------------------------------------------- tcpdump baselines

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// "HH:MM:SS.fraction" as nanoseconds since midnight.
fn time_of_day_ns(t: &str) -> i64 {
    let mut parts = t.split(':');
    let h: i64 = parts.next().unwrap().parse().unwrap();
    let m: i64 = parts.next().unwrap().parse().unwrap();
    let s = epoch_ns(parts.next().unwrap()) as i64;
    (h * 3600 + m * 60) * 1_000_000_000 + s
}

/// What one tcpdump line says about a TCP packet.
#[derive(Debug, Default)]
struct Dump {
    number: u64,
    /// The line is about a TCP segment.
    tcp: bool,
    /// Full epoch ns (-tttt) or ns since midnight (time-of-day formats).
    ts_ns: i64,
    time_of_day_only: bool,
    ports: Option<(u16, u16)>,
    flags: Option<TcpFlags>,
    window: Option<u16>,
    length: Option<u32>,
    mss: Option<u16>,
    wscale: Option<u8>,
    sack_ok: bool,
    ts: Option<(u32, u32)>,
}

fn after<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.find(key).map(|i| &line[i + key.len()..])
}

fn leading_number<T: std::str::FromStr>(s: &str) -> Option<T> {
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

fn parse_tcpdump(text: &str) -> Vec<Dump> {
    let mut out = Vec::new();
    for line in text.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let Some(number) = tokens.first().and_then(|t| t.parse::<u64>().ok()) else {
            continue; // continuation line
        };
        let mut d = Dump {
            number,
            ..Default::default()
        };
        d.tcp = line.contains("Flags [") || line.contains(": tcp ");
        let rest_at;
        if tokens[1].contains('-') {
            let mut ymd = tokens[1].split('-').map(|x| x.parse::<i64>().unwrap());
            let (y, m, day) = (
                ymd.next().unwrap(),
                ymd.next().unwrap(),
                ymd.next().unwrap(),
            );
            d.ts_ns = days_from_civil(y, m, day) * 86_400_000_000_000 + time_of_day_ns(tokens[2]);
            rest_at = 3;
        } else {
            d.ts_ns = time_of_day_ns(tokens[1]);
            d.time_of_day_only = true;
            rest_at = 2;
        }
        if tokens.get(rest_at) == Some(&"IP") || tokens.get(rest_at) == Some(&"IP6") {
            if let (Some(src), Some(dst)) = (tokens.get(rest_at + 1), tokens.get(rest_at + 3)) {
                let port = |a: &str| {
                    a.trim_end_matches(':')
                        .rsplit('.')
                        .next()
                        .and_then(|p| p.parse().ok())
                };
                if let (Some(s), Some(t)) = (port(src), port(dst)) {
                    d.ports = Some((s, t));
                }
            }
        }
        if let Some(f) = after(line, "Flags [") {
            let letters = &f[..f.find(']').unwrap()];
            let mut flags = TcpFlags::default();
            if letters != "none" {
                for c in letters.chars() {
                    flags |= match c {
                        'S' => TcpFlags::SYN,
                        'F' => TcpFlags::FIN,
                        'R' => TcpFlags::RST,
                        'P' => TcpFlags::PSH,
                        'U' => TcpFlags::URG,
                        'E' => TcpFlags::ECE,
                        'W' => TcpFlags::CWR,
                        'e' => TcpFlags::AE,
                        '.' => TcpFlags::ACK,
                        other => panic!("tcpdump flag letter {other:?}"),
                    };
                }
            }
            d.flags = Some(flags);
        }
        d.window = after(line, ", win ").and_then(leading_number);
        d.length = after(line, ", length ")
            .or_else(|| after(line, ": tcp "))
            .and_then(leading_number);
        if let Some(opts) = after(line, "options [") {
            let opts = &opts[..opts.find(']').unwrap_or(opts.len())];
            d.mss = after(opts, "mss ").and_then(leading_number);
            d.wscale = after(opts, "wscale ").and_then(leading_number);
            d.sack_ok = opts.contains("sackOK");
            if let Some(ts) = after(opts, "TS val ") {
                let val = leading_number(ts).unwrap();
                let ecr = after(ts, "ecr ").and_then(leading_number).unwrap();
                d.ts = Some((val, ecr));
            }
        }
        out.push(d);
    }
    out
}

#[test]
#[ignore = "needs the capture corpus"]
fn corpus_frames_agree_with_the_tcpdump_baselines() {
    let dir = corpus_dir();
    let mut outs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_str().unwrap();
            n.starts_with("tcpdump__") && n.ends_with(".out")
        })
        .collect();
    outs.sort();
    assert!(outs.len() >= 9, "tcpdump baselines missing: {outs:?}");
    let mut checked_segments = 0;
    for out in outs {
        let file = out.file_name().unwrap().to_str().unwrap();
        let capture = &file[..file.find(".pcap").unwrap() + 5];
        let dumps = parse_tcpdump(&std::fs::read_to_string(&out).unwrap());
        let read = read_corpus(capture);
        assert!(read.damage.is_none(), "{capture}");
        assert_eq!(
            read.frames.len(),
            dumps.len(),
            "{capture}: frame count vs {file}"
        );
        for (f, d) in read.frames.iter().zip(&dumps) {
            let n = f.number();
            assert_eq!(n, d.number, "{capture}");
            let ts = if d.time_of_day_only {
                f.ts_ns().rem_euclid(86_400_000_000_000)
            } else {
                f.ts_ns()
            };
            assert_eq!(ts, d.ts_ns, "{capture}: frame {n}: timestamp");
            let s = match f.decode() {
                Decoded::Tcp(s) if d.tcp => s,
                Decoded::Skipped(Skip::TruncatedTcpHeader) if line_is_cut(&out, n) => continue,
                Decoded::Skipped(_) if !d.tcp => continue,
                other => panic!("{capture}: frame {n}: {other:?}, tcpdump: {d:?}"),
            };
            checked_segments += 1;
            if let Some(p) = d.ports {
                assert_eq!((s.src_port, s.dst_port), p, "{capture}: frame {n}: ports");
            }
            if let Some(flags) = d.flags {
                assert_eq!(s.flags, flags, "{capture}: frame {n}: flags");
            }
            if let Some(w) = d.window {
                assert_eq!(s.window, w, "{capture}: frame {n}: window");
            }
            if let Some(l) = d.length {
                assert_eq!(s.payload_len, l, "{capture}: frame {n}: length");
            }
            if d.flags.is_some() {
                // Full (not -q) lines list every option tcpdump decoded.
                assert_eq!(s.options.mss, d.mss, "{capture}: frame {n}: mss");
                assert_eq!(
                    s.options.window_scale, d.wscale,
                    "{capture}: frame {n}: wscale"
                );
                assert_eq!(
                    s.options.sack_permitted, d.sack_ok,
                    "{capture}: frame {n}: sackOK"
                );
                assert_eq!(s.options.timestamps, d.ts, "{capture}: frame {n}: TS");
            }
        }
    }
    assert!(
        checked_segments > 190,
        "{checked_segments} segments checked"
    );
}

/// The baseline shows `[|tcp]` for this frame (a cut TCP header).
fn line_is_cut(out: &PathBuf, number: u64) -> bool {
    let text = std::fs::read_to_string(out).unwrap();
    let mut in_frame = false;
    for line in text.lines() {
        if let Some(n) = line
            .split_whitespace()
            .next()
            .and_then(|t| t.parse::<u64>().ok())
        {
            in_frame = n == number;
        }
        if in_frame && line.contains("[|tcp]") {
            return true;
        }
    }
    false
}
