//! The second half of the capture format tests (helpers in the parent).

use super::*;

#[test]
fn pcapng_simple_packet_blocks_take_their_length_from_original_length_snaplen_and_body() {
    let mut ng = Ng::new(Endianness::Little);
    ng.idb(1, 64, vec![]);
    let p = packet(30); // longer than 64 bytes
    assert!(p.len() > 64);
    let short = packet(0);
    assert!(
        short.len() < 64 && short.len() % 4 != 0,
        "padding must follow the data"
    );
    ng.epb(0, 1_000_000, &p[..64], p.len() as u32);
    // Whole packet shorter than the snaplen: original length (padding excluded).
    ng.frame(SimplePacketBlock {
        original_len: short.len() as u32,
        data: Cow::Owned(short.clone()),
    });
    // Snaplen applies.
    ng.frame(SimplePacketBlock {
        original_len: p.len() as u32,
        data: Cow::Owned(p[..64].to_vec()),
    });
    // Body shorter than both.
    ng.frame(SimplePacketBlock {
        original_len: 1000,
        data: Cow::Owned(p[..20].to_vec()),
    });
    let (frames, err) = first_batch(&ng.bytes());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[1].bytes, short);
    assert_eq!(
        (frames[1].caplen, frames[1].orig_len),
        (short.len() as u32, short.len() as u32)
    );
    assert_eq!(frames[2].bytes, p[..64].to_vec());
    assert_eq!(frames[2].orig_len, p.len() as u32);
    assert_eq!(frames[3].bytes, p[..20].to_vec());
    assert_eq!(frames[3].orig_len, 1000);
    // No timestamp of their own: the previous packet's.
    assert!(
        frames[1..]
            .iter()
            .all(|f| f.ts_ns == 1_000_000_000 && f.interface == 0)
    );
    assert_eq!(
        frames.iter().map(|f| f.number).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
}

#[test]
fn pcapng_obsolete_packet_blocks() {
    use InterfaceDescriptionOption::IfTsResol;
    let mut ng = Ng::new(Endianness::Big);
    ng.idb(1, 0, vec![]);
    ng.idb(113, 0, vec![IfTsResol(9)]);
    let p = packet(5);
    ng.frame(PacketBlock {
        interface_id: 1,
        drop_count: 3,
        timestamp: 1_234_000_000_777,
        captured_len: p.len() as u32,
        original_len: p.len() as u32 + 1,
        data: Cow::Owned(p.clone()),
        options: vec![],
    });
    let (frames, err) = first_batch(&ng.bytes());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(
        (frames[0].interface, frames[0].link_type),
        (1, LinkType(113))
    );
    assert_eq!(frames[0].ts_ns, 1_234_000_000_777);
    assert_eq!(frames[0].bytes, p);
    assert_eq!(frames[0].orig_len, p.len() as u32 + 1);
}

/// Two little-endian-section interfaces and packets, then a big-endian
/// section with its own interface list, then a third section; with
/// non-packet blocks in between.
fn multi_section() -> (Vec<u8>, Vec<usize>, Vec<usize>) {
    use InterfaceDescriptionOption::{IfName, IfTsResol};
    let mut a = Ng::new(Endianness::Little);
    a.idb(1, 0, vec![IfName("a0".into())])
        .idb(101, 0, vec![IfName("a1".into()), IfTsResol(9)]);
    a.epb(1, 5_000_000_001, &packet(1), 60)
        .epb(0, 7, &packet(2), 60);
    a.block(NameResolutionBlock {
        records: vec![],
        options: vec![],
    });
    a.block(InterfaceStatisticsBlock {
        interface_id: 0,
        timestamp: 9,
        options: vec![],
    });
    let mut bytes = a.bytes();
    let mut b = Ng::continuing(Endianness::Big, bytes.len());
    b.idb(113, 0, vec![IfName("b0".into())]);
    b.raw(0x0000_0BAD, &[0, 0, 0x7E, 0x7E, 1, 2, 3, 4]); // custom block
    b.raw(0x4242_4242, &[9; 12]); // unknown block type
    b.epb(0, 11, &packet(3), 60);
    b.frame(SimplePacketBlock {
        original_len: 10,
        data: Cow::Owned(packet(4)[..10].to_vec()),
    });
    bytes.extend(b.bytes());
    let mut c = Ng::continuing(Endianness::Little, bytes.len());
    c.idb(276, 0, vec![]).epb(0, 13, &packet(5), 60);
    bytes.extend(c.bytes());
    let block_ends = [a.block_ends, b.block_ends, c.block_ends].concat();
    let frame_ends = [a.frame_ends, b.frame_ends, c.frame_ends].concat();
    (bytes, block_ends, frame_ends)
}

#[test]
fn pcapng_sections_restart_interface_ids_while_global_ids_keep_counting() {
    let (bytes, _, _) = multi_section();
    let mut r = CaptureReader::from_bytes("multi.pcapng", bytes.clone()).unwrap();
    let mut all = Vec::new();
    let mut batch = Batch::new();
    loop {
        let next = r.next_batch(&mut batch, 2);
        all.extend(batch.frames().iter().map(|f| got(&batch, f)));
        match next {
            Next::Frames => {}
            Next::End => break,
            Next::Damaged(e) => panic!("{e}"),
        }
    }
    let summary: Vec<(u64, u32, u32, i64)> = all
        .iter()
        .map(|f| (f.number, f.interface, f.link_type.0, f.ts_ns))
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, 1, 101, 5_000_000_001),
            (2, 0, 1, 7_000),
            (3, 2, 113, 11_000),
            (4, 2, 113, 11_000), // SPB: interface 0 of its section, previous timestamp
            (5, 3, 276, 13_000),
        ]
    );
    assert_eq!(all[3].bytes, packet(4)[..10].to_vec());
    let names: Vec<(u32, u32, Option<String>)> = r
        .interfaces()
        .iter()
        .map(|i| (i.id, i.link_type.0, i.name.clone()))
        .collect();
    assert_eq!(
        names,
        vec![
            (0, 1, Some("a0".into())),
            (1, 101, Some("a1".into())),
            (2, 113, Some("b0".into())),
            (3, 276, None)
        ]
    );
    assert_eq!(read_stream(&bytes, 1), (all, None));
}

#[test]
fn pcapng_journal_entries_count_as_frames_like_wireshark() {
    // tshark 4.0 numbers a systemd journal export block as a frame of its own
    // (checked by hand: EPB, journal, EPB -> frames 1, 2, 3).
    let mut ng = Ng::new(Endianness::Little);
    ng.idb(1, 0, vec![]).epb(0, 1, &packet(1), 60);
    ng.raw(9, b"__REALTIME_TIMESTAMP=1000000\nMESSAGE=hi\n");
    ng.epb(0, 2, &packet(2), 60);
    let (frames, err) = first_batch(&ng.bytes());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        frames.iter().map(|f| f.number).collect::<Vec<_>>(),
        vec![1, 3]
    );
}

#[test]
fn pcapng_interfaces_of_unsupported_link_types_are_still_framed() {
    let mut ng = Ng::new(Endianness::Little);
    ng.idb(147, 0, vec![]).epb(0, 1, &packet(1), 60);
    let (frames, err) = first_batch(&ng.bytes());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].link_type, LinkType(147));
    assert_eq!(
        decode(frames[0].link_type, &frames[0].bytes, 60, false),
        Decoded::Skipped(Skip::UnsupportedLink)
    );
}

#[test]
fn pcapng_idb_that_pcap_file_rejects_is_read_leniently() {
    // if_tzone (code 10, 4 bytes) and no opt_endofopt: Wireshark reads it.
    let mut body = Vec::new();
    body.extend_from_slice(&113u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    for (code, value) in [
        (10u16, &[0u8, 0, 0, 0][..]),
        (9, &[9u8][..]),
        (2, &b"any"[..]),
    ] {
        body.extend_from_slice(&code.to_le_bytes());
        body.extend_from_slice(&(value.len() as u16).to_le_bytes());
        body.extend_from_slice(value);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let mut ng = Ng::new(Endianness::Little);
    // (Written raw: pcap-file's writer only knows interfaces it wrote.)
    let p = packet(1);
    let mut epb = epb_body(0, &p, p.len() as u32);
    epb[4..8].copy_from_slice(&0u32.to_le_bytes()); // timestamp, high word
    epb[8..12].copy_from_slice(&123u32.to_le_bytes()); // timestamp, low word
    ng.raw(1, &body).raw(6, &epb);
    let bytes = ng.bytes();
    let (frames, err) = first_batch(&bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!((frames[0].link_type, frames[0].ts_ns), (LinkType(113), 123));
    let mut r = CaptureReader::from_bytes("i", bytes).unwrap();
    r.next_batch(&mut Batch::new(), 10);
    assert_eq!(r.interfaces()[0].name.as_deref(), Some("any"));
}

fn epb_body(iface: u32, data: &[u8], caplen: u32) -> Vec<u8> {
    let mut body = Vec::new();
    EnhancedPacketBlock {
        interface_id: iface,
        timestamp: Duration::from_nanos(5),
        original_len: data.len() as u32,
        data: Cow::Borrowed(data),
        options: vec![],
    }
    .write_to::<byteorder_slice::LittleEndian, _>(&mut body)
    .unwrap();
    body[12..16].copy_from_slice(&caplen.to_le_bytes());
    body
}

#[test]
fn pcapng_damage_is_reported_after_the_frames_before_it() {
    let p = packet(3);
    let base = || {
        let mut ng = Ng::new(Endianness::Little);
        ng.idb(1, 0, vec![])
            .epb(0, 1, &packet(1), 60)
            .epb(0, 2, &packet(2), 60);
        ng
    };
    let good = base();
    let good_frames = first_batch(&good.bytes()).0;
    assert_eq!(good_frames.len(), 2);
    let at = good.end() as u64;

    // (damaged file, expected frame field, expected message fragment)
    let mut cases: Vec<(Vec<u8>, Option<u64>, String)> = Vec::new();
    // A packet for an interface the section does not have.
    let mut ng = base();
    ng.raw(6, &epb_body(1, &p, p.len() as u32));
    cases.push((
        ng.bytes(),
        Some(3),
        "refers to interface 1, but its section has 1 interface".into(),
    ));
    // Captured length beyond the block.
    let mut ng = base();
    ng.raw(6, &epb_body(0, &p, p.len() as u32 + 100));
    cases.push((ng.bytes(), Some(3), "but its block holds only".into()));
    // Captured length beyond the 262144-byte maximum.
    let mut ng = base();
    ng.raw(6, &epb_body(0, &p, 300_000));
    cases.push((
        ng.bytes(),
        Some(3),
        "more than the 262144-byte maximum".into(),
    ));
    // A block length over 16 MiB, not a multiple of 4, below 12, trailer mismatch.
    for (len, msg) in [
        (16 * 1024 * 1024 + 4, "more than the 16777216-byte maximum"),
        (30, "not a multiple of 4"),
        (8, "less than the 12-byte minimum"),
    ] {
        let mut bytes = base().bytes();
        bytes.extend_from_slice(&6u32.to_le_bytes());
        bytes.extend_from_slice(&(len as u32).to_le_bytes());
        bytes.extend_from_slice(&[0u8; 64]);
        cases.push((bytes, Some(3), msg.into()));
    }
    let mut bytes = base().bytes();
    let start = bytes.len();
    let mut more = Ng::new(Endianness::Little);
    more.idb(1, 0, vec![]).epb(0, 3, &p, 60);
    let epb = more.bytes()[more.block_ends[1]..].to_vec();
    bytes.extend_from_slice(&epb);
    let trailer = bytes.len() - 4;
    bytes[trailer] ^= 0x10;
    assert!(bytes.len() > start);
    cases.push((bytes, Some(3), "block trailer says".into()));
    // An SPB in a section without interfaces.
    let mut ng = Ng::new(Endianness::Little);
    ng.frame(SimplePacketBlock {
        original_len: 4,
        data: Cow::Owned(vec![1, 2, 3, 4]),
    });
    cases.push((ng.bytes(), Some(1), "section without interfaces".into()));

    for (i, (bytes, frame, msg)) in cases.iter().enumerate() {
        for (frames, err) in [read_bytes(bytes, 100), read_stream(bytes, 1)] {
            let e = damage(&err);
            assert!(e.to_string().contains(msg.as_str()), "case {i}: {e}");
            assert_eq!(e.frame, *frame, "case {i}: {e}");
            if *frame == Some(3) {
                assert_eq!(frames, good_frames, "case {i}");
                assert_eq!(e.offset, at, "case {i}");
            }
        }
    }
}

// ---------------------------------------------------------------- streams and files

#[test]
fn streamed_input_gives_the_same_frames_as_in_memory_input() {
    let mut big = recs(3);
    big[1].data = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    big[1].orig_len = 200_000;
    let files = vec![
        pcap_bytes(
            Endianness::Little,
            TsResolution::MicroSecond,
            262144,
            1,
            &recs(40),
        ),
        pcap_bytes(Endianness::Big, TsResolution::NanoSecond, 262144, 1, &big),
        modified_pcap_bytes(true, &recs(9)),
        multi_section().0,
    ];
    for bytes in files {
        let whole = read_bytes(&bytes, 1 << 14);
        assert!(whole.1.is_none());
        for max in [1, 2, 7, 1000] {
            assert_eq!(read_stream(&bytes, max), whole, "max_frames {max}");
        }
    }
}

/// An endless stream: the given bytes, then zeros forever, counting reads.
struct Endless {
    head: Vec<u8>,
    pos: usize,
    served: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(65536);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = self.head.get(self.pos + i).copied().unwrap_or(0);
        }
        self.pos += n;
        self.served
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

#[test]
fn stream_buffers_never_grow_to_what_a_damaged_header_claims() {
    // A pcapng block claiming 2 GiB, then an endless stream: the reader must
    // refuse it without reading on.
    let mut head = Ng::new(Endianness::Little).idb(1, 0, vec![]).bytes();
    let block_at = head.len() as u64;
    head.extend_from_slice(&6u32.to_le_bytes());
    head.extend_from_slice(&0x8000_0000u32.to_le_bytes());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let endless = Endless {
        head,
        pos: 0,
        served: served.clone(),
    };
    let (frames, err) = read_all(
        CaptureReader::from_read("-", Box::new(endless)).unwrap(),
        10,
    );
    assert!(frames.is_empty());
    let e = damage(&err);
    assert_eq!(e.offset, block_at);
    assert!(
        e.to_string()
            .contains("more than the 16777216-byte maximum"),
        "{e}"
    );
    assert!(served.load(std::sync::atomic::Ordering::Relaxed) < 4 << 20);

    // A pcap record claiming more than 262144 bytes, likewise.
    let mut head = pcap_bytes(
        Endianness::Little,
        TsResolution::MicroSecond,
        65535,
        1,
        &recs(1),
    );
    head.extend_from_slice(&[0u8; 8]);
    head.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    head.extend_from_slice(&0u32.to_le_bytes());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let endless = Endless {
        head,
        pos: 0,
        served: served.clone(),
    };
    let (frames, err) = read_all(
        CaptureReader::from_read("-", Box::new(endless)).unwrap(),
        10,
    );
    assert_eq!(frames.len(), 1);
    assert_eq!(damage(&err).frame, Some(2));
    assert!(served.load(std::sync::atomic::Ordering::Relaxed) < 4 << 20);
}

fn temp_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "tcpstate-capture-test-{}-{name}",
        std::process::id()
    ))
}

#[test]
fn open_memory_maps_files_and_reports_sizes_and_errors() {
    let bytes = multi_section().0;
    let path = temp_path("multi.pcapng");
    std::fs::write(&path, &bytes).unwrap();
    let r = CaptureReader::open(&path).unwrap();
    assert_eq!(r.name(), path.display().to_string());
    assert_eq!(r.total_len(), Some(bytes.len() as u64));
    let from_file = read_all(r, 2);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(from_file, read_bytes(&bytes, 2));

    // A zero-length file is not a capture.
    let empty = temp_path("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let r = CaptureReader::open(&empty);
    std::fs::remove_file(&empty).unwrap();
    assert!(matches!(
        r,
        Err(CaptureError {
            kind: CaptureErrorKind::NotACapture(_),
            ..
        })
    ));

    let missing = temp_path("missing.pcap");
    match CaptureReader::open(&missing) {
        Err(
            e @ CaptureError {
                kind: CaptureErrorKind::Open(_),
                ..
            },
        ) => {
            assert!(
                e.to_string().starts_with(&missing.display().to_string()),
                "{e}"
            );
        }
        Err(e) => panic!("expected an error opening it, got {e}"),
        Ok(_) => panic!("opened a missing file"),
    }
}

#[cfg(unix)]
#[test]
fn open_reads_fifos_as_streams() {
    let path = temp_path("fifo");
    let _ = std::fs::remove_file(&path);
    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .expect("mkfifo must be installed");
    assert!(status.success(), "mkfifo failed");
    let bytes = pcap_bytes(
        Endianness::Little,
        TsResolution::MicroSecond,
        65535,
        1,
        &recs(25),
    );
    let writer = {
        let (path, bytes) = (path.clone(), bytes.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            for chunk in bytes.chunks(100) {
                f.write_all(chunk).unwrap();
            }
        })
    };
    let r = CaptureReader::open(&path).unwrap();
    assert_eq!(r.total_len(), None);
    let from_fifo = read_all(r, 4);
    writer.join().unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(from_fifo, read_bytes(&bytes, 100));
}

#[test]
fn batches_are_send_and_sync_and_readers_are_send() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Batch>();
    send::<CaptureReader>();
    // And frames of one batch can be decoded on other threads.
    let bytes = pcap_bytes(
        Endianness::Little,
        TsResolution::MicroSecond,
        65535,
        1,
        &recs(8),
    );
    let mut r = CaptureReader::from_bytes("t", bytes).unwrap();
    let mut batch = Batch::new();
    r.next_batch(&mut batch, 100);
    let batch = &batch;
    let ports: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = batch
            .frames()
            .iter()
            .map(|f| {
                s.spawn(
                    move || match decode(f.link_type, batch.frame_bytes(f), f.orig_len, true) {
                        Decoded::Tcp(seg) => seg.src_port,
                        Decoded::Skipped(k) => panic!("{k:?}"),
                    },
                )
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(ports, (1000..1008).collect::<Vec<u16>>());
}

// ---------------------------------------------------------------- damage everywhere

/// A sample file with the end offset of every block/record and of every
/// frame, and the size of the part a reader must see before framing.
struct Sample {
    name: &'static str,
    bytes: Vec<u8>,
    block_ends: Vec<usize>,
    frame_ends: Vec<usize>,
    header: usize,
}

fn pcap_sample(name: &'static str, bytes: Vec<u8>, records: &[Rec], record_header: u64) -> Sample {
    let frame_ends: Vec<usize> = expected_pcap_frames(records, 1, 1, record_header)
        .iter()
        .map(|f| f.file_offset as usize + record_header as usize + f.caplen as usize)
        .collect();
    let block_ends = [vec![24], frame_ends.clone()].concat();
    Sample {
        name,
        bytes,
        block_ends,
        frame_ends,
        header: 24,
    }
}

fn samples() -> Vec<Sample> {
    let records = recs(6);
    let (ng, block_ends, frame_ends) = multi_section();
    vec![
        pcap_sample(
            "pcap-le-us",
            pcap_bytes(
                Endianness::Little,
                TsResolution::MicroSecond,
                65535,
                1,
                &records,
            ),
            &records,
            16,
        ),
        pcap_sample(
            "pcap-be-ns",
            pcap_bytes(
                Endianness::Big,
                TsResolution::NanoSecond,
                65535,
                1,
                &records,
            ),
            &records,
            16,
        ),
        pcap_sample(
            "modified",
            modified_pcap_bytes(false, &records[..4]),
            &records[..4],
            24,
        ),
        Sample {
            name: "pcapng-multi",
            bytes: ng,
            block_ends,
            frame_ends,
            header: 12,
        },
    ]
}

#[test]
fn cutting_a_file_at_every_byte_keeps_every_frame_before_the_cut() {
    for Sample {
        name,
        bytes,
        block_ends,
        frame_ends,
        header,
    } in samples()
    {
        let (all, err) = read_bytes(&bytes, 1 << 14);
        assert!(err.is_none(), "{name}: {err:?}");
        assert_eq!(all.len(), frame_ends.len());
        for cut in 0..bytes.len() {
            let opened = CaptureReader::from_bytes(name, bytes[..cut].to_vec());
            let r = match opened {
                Ok(r) => r,
                Err(e) => {
                    assert!(cut < header, "{name}: cut at {cut} refused: {e}");
                    continue;
                }
            };
            let complete = frame_ends.iter().filter(|&&e| e <= cut).count();
            let at_boundary = block_ends.contains(&cut);
            let streams = cut % 5 == 0;
            let runs = if streams {
                vec![read_all(r, 3), read_stream(&bytes[..cut], 2)]
            } else {
                vec![read_all(r, 3)]
            };
            for (frames, err) in runs {
                assert_eq!(frames, all[..complete], "{name}: cut at {cut}");
                match (&err, at_boundary) {
                    (None, true) => {}
                    (Some(e), false) => {
                        assert!(
                            matches!(e.kind, CaptureErrorKind::Truncated { .. }),
                            "{name}: cut at {cut}: {e}"
                        );
                        assert_eq!(
                            e.offset as usize,
                            block_ends
                                .iter()
                                .filter(|&&b| b <= cut)
                                .max()
                                .copied()
                                .unwrap_or(0),
                            "{name}: cut at {cut}"
                        );
                    }
                    (e, _) => panic!("{name}: cut at {cut}: unexpected outcome {e:?}"),
                }
            }
        }
    }
}

#[test]
fn flipped_bytes_never_panic_and_frames_before_them_are_intact() {
    for Sample {
        name,
        bytes,
        frame_ends,
        ..
    } in samples()
    {
        let (all, _) = read_bytes(&bytes, 1 << 14);
        for i in 0..bytes.len() {
            for mask in [0x01u8, 0x80, 0xFF] {
                let mut damaged = bytes.clone();
                damaged[i] ^= mask;
                let intact = frame_ends.iter().filter(|&&e| e <= i).count();
                let mut runs = Vec::new();
                if let Ok(r) = CaptureReader::from_bytes(name, damaged.clone()) {
                    runs.push(read_all(r, 4));
                }
                if i % 3 == 0 {
                    if let Ok(r) = CaptureReader::from_read(name, chunky(&damaged)) {
                        runs.push(read_all(r, 2));
                    }
                }
                for (frames, _) in runs {
                    assert!(
                        frames.len() >= intact,
                        "{name}: byte {i} ^ {mask:#x}: lost earlier frames"
                    );
                    assert_eq!(
                        frames[..intact],
                        all[..intact],
                        "{name}: byte {i} ^ {mask:#x}"
                    );
                    for f in &frames {
                        // Whatever was framed, its bytes lie inside the file.
                        assert!(f.caplen as usize <= damaged.len());
                    }
                }
            }
        }
    }
}

#[test]
fn error_messages_name_file_frame_offset_and_problem() {
    let e = CaptureError {
        file: "x.pcap".into(),
        frame: Some(3),
        offset: 200,
        kind: CaptureErrorKind::Truncated {
            needed: 114,
            available: 56,
        },
    };
    assert_eq!(
        e.to_string(),
        "x.pcap: frame 3 at byte offset 200: file ends inside the record (114 bytes needed, 56 present)"
    );
    let e = CaptureError {
        file: "y.pcapng".into(),
        frame: None,
        offset: 0,
        kind: CaptureErrorKind::NotACapture("unknown magic number 47 45 54 20".into()),
    };
    assert_eq!(
        e.to_string(),
        "y.pcapng: not a pcap or pcapng capture: unknown magic number 47 45 54 20",
        "what a file is needs no byte offset"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(e);
    assert!(boxed.to_string().contains("y.pcapng"));
}
