//! Tests of `tcpstate::capture` on pcap and pcapng files written in the test
//! with pcap-file's writers (blocks pcap-file cannot write are assembled from
//! their fields by the helpers). Expected values are the ones written.

#[path = "capture_formats/more.rs"]
mod more;

use std::borrow::Cow;
use std::io::Read;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapWriter, RawPcapPacket};
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::interface_statistics::InterfaceStatisticsBlock;
use pcap_file::pcapng::blocks::name_resolution::NameResolutionBlock;
use pcap_file::pcapng::blocks::packet::PacketBlock;
use pcap_file::pcapng::blocks::section_header::SectionHeaderBlock;
use pcap_file::pcapng::blocks::simple_packet::SimplePacketBlock;
use pcap_file::pcapng::{PcapNgBlock, PcapNgWriter, RawBlock};
use pcap_file::{DataLink, Endianness, TsResolution};
use tcpstate::capture::{
    Batch, CaptureError, CaptureErrorKind, CaptureReader, Format, FrameDesc, LinkType, Next,
};
use tcpstate::decode::{Decoded, Skip, decode};

// ---------------------------------------------------------------- helpers

/// An Ethernet/IPv4/TCP frame whose bytes depend on `i`.
fn packet(i: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let payload: Vec<u8> = (0..(i % 37) as u8).collect();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(1000 + i as u16, 80, i.wrapping_mul(7919), 512)
        .write(&mut out, &payload)
        .unwrap();
    out
}

/// A frame as read, with its bytes copied out of the batch.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Got {
    number: u64,
    ts_ns: i64,
    interface: u32,
    link_type: LinkType,
    caplen: u32,
    orig_len: u32,
    file_offset: u64,
    bytes: Vec<u8>,
}

fn got(batch: &Batch, f: &FrameDesc) -> Got {
    Got {
        number: f.number,
        ts_ns: f.ts_ns,
        interface: f.interface,
        link_type: f.link_type,
        caplen: f.caplen,
        orig_len: f.orig_len,
        file_offset: f.file_offset,
        bytes: batch.frame_bytes(f).to_vec(),
    }
}

/// Reads every frame; the error is the damage report, if any. Also checks
/// that `End` and `Damaged` are final.
fn read_all(mut r: CaptureReader, max_frames: usize) -> (Vec<Got>, Option<CaptureError>) {
    let mut batch = Batch::new();
    let mut frames = Vec::new();
    let mut last_consumed = 0;
    loop {
        let next = r.next_batch(&mut batch, max_frames);
        assert!(batch.frames().len() <= max_frames.max(1));
        assert!(r.bytes_consumed() >= last_consumed);
        last_consumed = r.bytes_consumed();
        for f in batch.frames() {
            assert_eq!(batch.frame_bytes(f).len(), f.caplen as usize);
            frames.push(got(&batch, f));
        }
        let outcome = match next {
            Next::Frames => {
                assert!(!batch.frames().is_empty(), "Frames with an empty batch");
                continue;
            }
            Next::End => None,
            Next::Damaged(e) => Some(e),
        };
        for _ in 0..2 {
            assert!(matches!(r.next_batch(&mut batch, max_frames), Next::End));
            assert!(batch.frames().is_empty());
        }
        return (frames, outcome);
    }
}

fn read_bytes(bytes: &[u8], max_frames: usize) -> (Vec<Got>, Option<CaptureError>) {
    read_all(
        CaptureReader::from_bytes("test.cap", bytes.to_vec()).expect("open"),
        max_frames,
    )
}

/// A reader that hands out its bytes in small, varying chunks.
struct Chunky {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Chunky {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 13 + 1;
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn chunky(bytes: &[u8]) -> Box<dyn Read + Send> {
    Box::new(Chunky {
        data: bytes.to_vec(),
        pos: 0,
        step: 0,
    })
}

fn read_stream(bytes: &[u8], max_frames: usize) -> (Vec<Got>, Option<CaptureError>) {
    read_all(
        CaptureReader::from_read("-", chunky(bytes)).expect("open"),
        max_frames,
    )
}

struct Rec {
    ts_sec: u32,
    ts_frac: u32,
    data: Vec<u8>,
    orig_len: u32,
}

fn recs(n: u32) -> Vec<Rec> {
    (0..n)
        .map(|i| {
            let data = packet(i);
            let orig_len = data.len() as u32;
            Rec {
                ts_sec: 1_700_000_000 + i * 3,
                ts_frac: 1000 * i + 7,
                data,
                orig_len,
            }
        })
        .collect()
}

fn pcap_header(endianness: Endianness, res: TsResolution, snaplen: u32, link: u32) -> PcapHeader {
    PcapHeader {
        version_major: 2,
        version_minor: 4,
        ts_correction: 0,
        ts_accuracy: 0,
        snaplen,
        datalink: DataLink::from(link),
        ts_resolution: res,
        endianness,
    }
}

/// A classic pcap file written by pcap-file (raw records: no validation).
fn pcap_bytes(
    endianness: Endianness,
    res: TsResolution,
    snaplen: u32,
    link: u32,
    records: &[Rec],
) -> Vec<u8> {
    let mut w =
        PcapWriter::with_header(Vec::new(), pcap_header(endianness, res, snaplen, link)).unwrap();
    for r in records {
        w.write_raw_packet(&RawPcapPacket {
            ts_sec: r.ts_sec,
            ts_frac: r.ts_frac,
            incl_len: r.data.len() as u32,
            orig_len: r.orig_len,
            data: Cow::Borrowed(&r.data),
        })
        .unwrap();
    }
    w.into_writer()
}

/// A "modified" pcap file (magic a1b2cd34, 24-byte record headers), which
/// pcap-file cannot write: its header is pcap-file's with the magic replaced;
/// records are assembled from their fields.
fn modified_pcap_bytes(big_endian: bool, records: &[Rec]) -> Vec<u8> {
    let endianness = if big_endian {
        Endianness::Big
    } else {
        Endianness::Little
    };
    let mut out = Vec::new();
    pcap_header(endianness, TsResolution::MicroSecond, 65535, 1)
        .write_to(&mut out)
        .unwrap();
    let u32b = |v: u32| {
        if big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    out[..4].copy_from_slice(&u32b(0xA1B2_CD34));
    for r in records {
        out.extend_from_slice(&u32b(r.ts_sec));
        out.extend_from_slice(&u32b(r.ts_frac));
        out.extend_from_slice(&u32b(r.data.len() as u32));
        out.extend_from_slice(&u32b(r.orig_len));
        out.extend_from_slice(&u32b(2)); // interface index
        out.extend_from_slice(
            &(if big_endian {
                0x0800u16.to_be_bytes()
            } else {
                0x0800u16.to_le_bytes()
            }),
        );
        out.push(0); // packet type
        out.push(0); // padding
        out.extend_from_slice(&r.data);
    }
    out
}

fn expected_pcap_frames(records: &[Rec], frac_ns: i64, link: u32, header_len: u64) -> Vec<Got> {
    let mut offset = 24u64;
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let g = Got {
                number: i as u64 + 1,
                ts_ns: r.ts_sec as i64 * 1_000_000_000 + r.ts_frac as i64 * frac_ns,
                interface: 0,
                link_type: LinkType(link),
                caplen: r.data.len() as u32,
                orig_len: r.orig_len,
                file_offset: offset,
                bytes: r.data.clone(),
            };
            offset += header_len + r.data.len() as u64;
            g
        })
        .collect()
}

/// A pcapng section being written, remembering where every block ends.
struct Ng {
    w: PcapNgWriter<Vec<u8>>,
    base: usize,
    /// End offset of every block written (including the section header).
    block_ends: Vec<usize>,
    /// End offset of the blocks that are frames, in order.
    frame_ends: Vec<usize>,
}

impl Ng {
    fn new(endianness: Endianness) -> Ng {
        Ng::continuing(endianness, 0)
    }

    /// A section that will be appended after `base` bytes of other sections.
    fn continuing(endianness: Endianness, base: usize) -> Ng {
        let shb = SectionHeaderBlock {
            endianness,
            ..Default::default()
        };
        let w = PcapNgWriter::with_section_header(Vec::new(), shb).unwrap();
        let end = base + w.get_ref().len();
        Ng {
            w,
            base,
            block_ends: vec![end],
            frame_ends: vec![],
        }
    }

    fn end(&self) -> usize {
        self.base + self.w.get_ref().len()
    }

    fn block<'a>(&mut self, b: impl PcapNgBlock<'a>) -> &mut Ng {
        self.w.write_pcapng_block(b).unwrap();
        self.block_ends.push(self.end());
        self
    }

    fn frame<'a>(&mut self, b: impl PcapNgBlock<'a>) -> &mut Ng {
        self.block(b);
        self.frame_ends.push(self.end());
        self
    }

    /// A block written as given (the body is zero-padded to 4 bytes).
    fn raw(&mut self, type_: u32, body: &[u8]) -> &mut Ng {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let body = &body[..];
        let len = 12 + body.len() as u32;
        self.w
            .write_raw_block(&RawBlock {
                type_,
                initial_len: len,
                body: Cow::Borrowed(body),
                trailer_len: len,
            })
            .unwrap();
        self.block_ends.push(self.end());
        self
    }

    fn idb(
        &mut self,
        link: u32,
        snaplen: u32,
        options: Vec<InterfaceDescriptionOption<'static>>,
    ) -> &mut Ng {
        self.block(InterfaceDescriptionBlock {
            linktype: DataLink::from(link),
            snaplen,
            options,
        })
    }

    fn epb(&mut self, iface: u32, ts_raw: u64, data: &[u8], orig_len: u32) -> &mut Ng {
        self.frame(EnhancedPacketBlock {
            interface_id: iface,
            // pcap-file writes the Duration's nanoseconds as the raw 64-bit value.
            timestamp: Duration::from_nanos(ts_raw),
            original_len: orig_len,
            data: Cow::Owned(data.to_vec()),
            options: vec![],
        })
    }

    fn bytes(&self) -> Vec<u8> {
        self.w.get_ref().clone()
    }
}

fn first_batch(bytes: &[u8]) -> (Vec<Got>, Option<CaptureError>) {
    read_bytes(bytes, 1 << 14)
}

fn damage(e: &Option<CaptureError>) -> &CaptureError {
    e.as_ref().expect("the input should be reported damaged")
}

// ---------------------------------------------------------------- classic pcap

#[test]
fn pcap_in_both_byte_orders_and_both_resolutions() {
    let records = recs(6);
    for (endianness, big) in [(Endianness::Little, false), (Endianness::Big, true)] {
        for (res, nano, frac_ns) in [
            (TsResolution::MicroSecond, false, 1000),
            (TsResolution::NanoSecond, true, 1),
        ] {
            let bytes = pcap_bytes(endianness, res, 65535, 1, &records);
            let r = CaptureReader::from_bytes("x.pcap", bytes.clone()).unwrap();
            assert_eq!(
                r.format(),
                Format::Pcap {
                    big_endian: big,
                    nanosecond: nano,
                    modified: false
                }
            );
            assert_eq!(r.interfaces().len(), 1);
            assert_eq!(
                (r.interfaces()[0].id, r.interfaces()[0].link_type),
                (0, LinkType(1))
            );
            assert_eq!(r.interfaces()[0].snaplen, 65535);
            assert_eq!(r.total_len(), Some(bytes.len() as u64));
            let (frames, err) = read_all(r, 4);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(frames, expected_pcap_frames(&records, frac_ns, 1, 16));
        }
    }
}

#[test]
fn pcap_records_whose_original_length_exceeds_the_snaplen_are_normal() {
    let mut records = recs(3);
    for r in &mut records {
        r.orig_len = 1514;
        r.data.truncate(40);
    }
    let bytes = pcap_bytes(
        Endianness::Little,
        TsResolution::MicroSecond,
        40,
        1,
        &records,
    );
    let (frames, err) = first_batch(&bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames, expected_pcap_frames(&records, 1000, 1, 16));
    assert!(frames.iter().all(|f| f.orig_len == 1514 && f.caplen == 40));
}

#[test]
fn pcap_captured_length_above_the_snaplen_is_tolerated() {
    // As zeek's trunc-hdr.pcap: snaplen 1, an 8-byte record.
    let records = vec![Rec {
        ts_sec: 1,
        ts_frac: 2,
        data: vec![1, 2, 3, 4, 5, 6, 7, 8],
        orig_len: 8,
    }];
    let bytes = pcap_bytes(
        Endianness::Little,
        TsResolution::MicroSecond,
        1,
        1,
        &records,
    );
    let (frames, err) = first_batch(&bytes);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].bytes, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    // And the decoder sees a cut Ethernet header.
    assert_eq!(
        decode(frames[0].link_type, &frames[0].bytes, 8, false),
        Decoded::Skipped(Skip::Malformed)
    );
}

#[test]
fn pcap_link_type_upper_bits_carry_fcs_information_and_are_masked() {
    // Bits 28..31 = FCS length in 16-bit units, bit 26 = "FCS length present".
    let field = 0x2400_0000 | 113;
    let bytes = pcap_bytes(
        Endianness::Big,
        TsResolution::MicroSecond,
        65535,
        field,
        &recs(2),
    );
    let r = CaptureReader::from_bytes("x.pcap", bytes).unwrap();
    assert_eq!(r.interfaces()[0].link_type, LinkType(113));
    let (frames, _) = read_all(r, 10);
    assert!(frames.iter().all(|f| f.link_type == LinkType(113)));
}

#[test]
fn modified_pcap_in_both_byte_orders() {
    let records = recs(5);
    for big in [false, true] {
        let bytes = modified_pcap_bytes(big, &records);
        let r = CaptureReader::from_bytes("m.pcap", bytes.clone()).unwrap();
        assert_eq!(
            r.format(),
            Format::Pcap {
                big_endian: big,
                nanosecond: false,
                modified: true
            }
        );
        let (frames, err) = read_all(r, 2);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames, expected_pcap_frames(&records, 1000, 1, 24));
        assert_eq!(read_stream(&bytes, 3), (frames, None));
    }
}

#[test]
fn header_only_pcap_is_a_clean_end_without_frames() {
    for endianness in [Endianness::Little, Endianness::Big] {
        let bytes = pcap_bytes(endianness, TsResolution::NanoSecond, 262144, 1, &[]);
        assert_eq!(bytes.len(), 24);
        let mut r = CaptureReader::from_bytes("empty.pcap", bytes.clone()).unwrap();
        let mut batch = Batch::new();
        assert!(matches!(r.next_batch(&mut batch, 100), Next::End));
        assert!(batch.frames().is_empty());
        assert_eq!(read_stream(&bytes, 10), (vec![], None));
    }
}

#[test]
fn empty_or_foreign_inputs_are_not_captures() {
    let not_a_capture = |bytes: &[u8]| {
        for r in [
            CaptureReader::from_bytes("f", bytes.to_vec()),
            CaptureReader::from_read("f", chunky(bytes)),
        ] {
            match r {
                Err(CaptureError {
                    kind: CaptureErrorKind::NotACapture(_),
                    file,
                    ..
                }) => {
                    assert_eq!(file, "f")
                }
                Err(e) => panic!(
                    "{:?}: expected NotACapture, got {e}",
                    &bytes[..bytes.len().min(8)]
                ),
                Ok(_) => panic!("{:?}: accepted", &bytes[..bytes.len().min(8)]),
            }
        }
    };
    not_a_capture(b"");
    not_a_capture(b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
    not_a_capture(&[0u8; 100]);
    // A pcapng section header type with a bad byte-order magic.
    let mut ng = Ng::new(Endianness::Little).bytes();
    ng[8..12].copy_from_slice(&[1, 2, 3, 4]);
    not_a_capture(&ng);
    // A valid magic but no complete file header is a truncation.
    let bytes = pcap_bytes(Endianness::Little, TsResolution::MicroSecond, 65535, 1, &[]);
    match CaptureReader::from_bytes("short.pcap", bytes[..10].to_vec()) {
        Err(e) => assert_eq!(
            e.kind,
            CaptureErrorKind::Truncated {
                needed: 24,
                available: 10
            }
        ),
        Ok(_) => panic!("a 10-byte pcap was accepted"),
    }
}

#[test]
fn a_record_claiming_more_than_262144_bytes_is_corrupt_after_the_earlier_frames() {
    let records = recs(3);
    let mut bytes = pcap_bytes(
        Endianness::Little,
        TsResolution::MicroSecond,
        65535,
        1,
        &records,
    );
    let bad_at = bytes.len() as u64;
    bytes.extend_from_slice(&[0u8; 8]);
    bytes.extend_from_slice(&4_325_376u32.to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    bytes.extend_from_slice(&[0xAB; 645]);
    for (frames, err) in [read_bytes(&bytes, 100), read_stream(&bytes, 2)] {
        assert_eq!(frames, expected_pcap_frames(&records, 1000, 1, 16));
        let e = damage(&err);
        assert_eq!((e.frame, e.offset), (Some(4), bad_at));
        assert_eq!(
            e.to_string(),
            format!(
                "{}: frame 4 at byte offset {bad_at}: record claims 4325376 captured bytes, \
                 more than the 262144-byte maximum",
                e.file
            )
        );
    }
}

#[test]
fn a_file_ending_inside_a_record_is_truncated() {
    let records = recs(4);
    let bytes = pcap_bytes(
        Endianness::Big,
        TsResolution::MicroSecond,
        65535,
        1,
        &records,
    );
    let expected = expected_pcap_frames(&records, 1000, 1, 16);
    let third = expected[2].file_offset as usize;
    // Cut inside the data of record 3, then inside its header.
    let cut_data = third + 16 + 10;
    let (frames, err) = read_bytes(&bytes[..cut_data], 100);
    assert_eq!(frames, expected[..2]);
    let e = damage(&err);
    assert_eq!((e.frame, e.offset), (Some(3), third as u64));
    let record_len = 16 + records[2].data.len() as u64;
    assert_eq!(
        e.kind,
        CaptureErrorKind::Truncated {
            needed: record_len,
            available: 26
        }
    );
    assert!(
        e.to_string().starts_with(&format!(
            "test.cap: frame 3 at byte offset {third}: file ends inside the record"
        )),
        "{e}"
    );
    let (frames, err) = read_stream(&bytes[..third + 5], 1);
    assert_eq!(frames, expected[..2]);
    assert_eq!(
        damage(&err).kind,
        CaptureErrorKind::Truncated {
            needed: 16,
            available: 5
        }
    );
}

#[test]
fn batches_hold_at_most_max_frames_and_the_batch_is_reused() {
    let records = recs(10);
    let bytes = pcap_bytes(
        Endianness::Little,
        TsResolution::NanoSecond,
        65535,
        1,
        &records,
    );
    let expected = expected_pcap_frames(&records, 1, 1, 16);
    for from_stream in [false, true] {
        let mut r = if from_stream {
            CaptureReader::from_read("-", chunky(&bytes)).unwrap()
        } else {
            CaptureReader::from_bytes("b", bytes.clone()).unwrap()
        };
        let mut batch = Batch::new();
        let mut sizes = Vec::new();
        let mut all = Vec::new();
        loop {
            let next = r.next_batch(&mut batch, 3);
            sizes.push(batch.frames().len());
            all.extend(batch.frames().iter().map(|f| got(&batch, f)));
            match next {
                Next::Frames => {}
                Next::End => break,
                Next::Damaged(e) => panic!("{e}"),
            }
        }
        assert_eq!(all, expected);
        assert!(sizes.iter().all(|&n| n <= 3));
        assert_eq!(sizes.iter().sum::<usize>(), 10);
        assert_eq!(r.bytes_consumed(), bytes.len() as u64);
    }
}

// ---------------------------------------------------------------- pcapng

#[test]
fn pcapng_enhanced_packets_in_both_byte_orders_default_to_microseconds() {
    for endianness in [Endianness::Little, Endianness::Big] {
        let mut ng = Ng::new(endianness);
        ng.idb(
            1,
            0,
            vec![InterfaceDescriptionOption::IfName("eth0".into())],
        );
        let pkts: Vec<Vec<u8>> = (0..4).map(packet).collect();
        for (i, p) in pkts.iter().enumerate() {
            ng.epb(0, 1_600_000_000_123_456 + i as u64, p, p.len() as u32 + 100);
        }
        let bytes = ng.bytes();
        let r = CaptureReader::from_bytes("x.pcapng", bytes.clone()).unwrap();
        assert_eq!(r.format(), Format::PcapNg);
        let (frames, err) = read_all(r, 3);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames.len(), 4);
        for (i, f) in frames.iter().enumerate() {
            assert_eq!(f.number, i as u64 + 1);
            assert_eq!(f.ts_ns, (1_600_000_000_123_456 + i as i64) * 1000);
            assert_eq!((f.interface, f.link_type), (0, LinkType(1)));
            assert_eq!(f.bytes, pkts[i]);
            assert_eq!(f.orig_len, pkts[i].len() as u32 + 100);
            assert_eq!(f.file_offset as usize, ng.block_ends[i + 1]);
        }
        let mut r = CaptureReader::from_bytes("x.pcapng", bytes).unwrap();
        r.next_batch(&mut Batch::new(), 1);
        assert_eq!(r.interfaces()[0].name.as_deref(), Some("eth0"));
    }
}

#[test]
fn pcapng_timestamp_resolutions_in_powers_of_ten_and_two() {
    use InterfaceDescriptionOption::IfTsResol;
    let mut ng = Ng::new(Endianness::Little);
    let cases: [(u8, u64, i64); 8] = [
        (9, 1_234_567_890_123_456_789, 1_234_567_890_123_456_789), // ns
        (3, 1_500, 1_500_000_000),                                 // ms: 1.5 s
        (0, 42, 42_000_000_000),                                   // s
        (6, 7, 7_000),                                             // us, explicit
        (0x80 | 10, 5 * 1024 + 256, 5_250_000_000),                // 2^-10: 5.25 s
        (0x80, 3, 3_000_000_000),                                  // 2^0
        (12, 1_234_567_891_999, 1_234_567_891),                    // ps: finer than ns, truncated
        (0x80 | 30, 3 * (1 << 30) + 1, 3_000_000_000),             // 2^-30: finer than ns
    ];
    for (i, &(resol, _, _)) in cases.iter().enumerate() {
        ng.idb(if i % 2 == 0 { 1 } else { 101 }, 0, vec![IfTsResol(resol)]);
    }
    let p = packet(1);
    for (i, &(_, raw, _)) in cases.iter().enumerate() {
        ng.epb(i as u32, raw, &p, p.len() as u32);
    }
    let (frames, err) = first_batch(&ng.bytes());
    assert!(err.is_none(), "{err:?}");
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(
            f.ts_ns, cases[i].2,
            "if_tsresol {:#x}, raw {}",
            cases[i].0, cases[i].1
        );
        assert_eq!(f.interface, i as u32);
        assert_eq!(f.link_type, LinkType(if i % 2 == 0 { 1 } else { 101 }));
    }
}

#[test]
fn pcapng_timestamp_offset_is_added_in_seconds() {
    use InterfaceDescriptionOption::{IfTsOffset, IfTsResol};
    let mut ng = Ng::new(Endianness::Big);
    ng.idb(1, 0, vec![IfTsOffset(1_000_000_000)]);
    ng.idb(1, 0, vec![IfTsResol(9), IfTsOffset((-5i64) as u64)]);
    let p = packet(2);
    ng.epb(0, 250_000, &p, p.len() as u32);
    ng.epb(1, 7_000_000_001, &p, p.len() as u32);
    let (frames, err) = first_batch(&ng.bytes());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames[0].ts_ns, 1_000_000_000 * 1_000_000_000 + 250_000_000);
    assert_eq!(frames[1].ts_ns, 2_000_000_001);
}
