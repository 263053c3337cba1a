//! What each fuzz target checks, as plain functions of the input bytes: the
//! targets in `fuzz_targets/` call them under libFuzzer, and
//! `tests/fuzz_regressions.rs` calls them on every input a campaign found
//! (`fuzz/regressions/TARGET/`), so that a finding stays fixed in a plain
//! `cargo test`. A check panics when the property does not hold.
#![allow(dead_code)]

use std::io::Read;
use tcpstate::capture::{Batch, CaptureReader, LinkType, Next};
use tcpstate::decode::{self, Packet};
use tcpstate::policy::Layer;
use tcpstate::select::Selection;

/// A reader that returns at most a few bytes per call, the sizes chosen
/// from a generator seeded by the input's length.
struct Chunky {
    data: Vec<u8>,
    pos: usize,
    state: u64,
}

impl Read for Chunky {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let want = 1 + (self.state % 4096) as usize;
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

type Frame = (u64, i64, u32, u32, u32, u32, u64, Vec<u8>);

/// Every frame of `r`, and how the capture ended.
fn frames(mut r: CaptureReader, sizes: &[usize]) -> (Vec<Frame>, String) {
    let mut batch = Batch::new();
    let mut out = Vec::new();
    for k in 0.. {
        let next = r.next_batch(&mut batch, sizes[k % sizes.len()]);
        for f in batch.frames() {
            out.push((
                f.number,
                f.ts_ns,
                f.interface,
                f.link_type.0,
                f.caplen,
                f.orig_len,
                f.file_offset,
                batch.frame_bytes(f).to_vec(),
            ));
        }
        match next {
            Next::Frames => {}
            Next::End => return (out, "end".into()),
            Next::Damaged(e) => return (out, format!("{:?} {} {:?}", e.frame, e.offset, e.kind)),
        }
    }
    unreachable!()
}

/// The pcap and pcapng framers, and the in-memory reader against the
/// streaming one: the same bytes framed from a slice and from a reader that
/// hands them over in chunks of 1 to 4,096 bytes, in batches of 1, 3 or 64
/// frames, give the same frames, the same bytes and the same end (clean, or
/// damaged at the same frame and offset).
pub fn framer(data: &[u8]) {
    let whole = CaptureReader::from_bytes("fuzz", data.to_vec());
    let chunky = Chunky {
        data: data.to_vec(),
        pos: 0,
        state: 0x9E37_79B9_7F4A_7C15 ^ data.len() as u64,
    };
    let stream = CaptureReader::from_read("fuzz", Box::new(chunky));
    match (whole, stream) {
        (Ok(w), Ok(s)) => {
            let a = frames(w, &[64, 1, 3]);
            let b = frames(s, &[3, 64, 1]);
            assert_eq!(a.1, b.1, "the two readers end differently");
            assert_eq!(a.0.len(), b.0.len(), "the two readers frame differently");
            assert!(a.0 == b.0, "the two readers give different frames");
        }
        (Err(w), Err(s)) => assert_eq!(format!("{:?}", w.kind), format!("{:?}", s.kind)),
        (w, s) => panic!(
            "one reader opens the input, the other does not: {:?} / {:?}",
            w.err().map(|e| e.kind),
            s.err().map(|e| e.kind)
        ),
    }
}

/// The link types the decoder reads (README, Captures it reads).
const LINKS: &[u32] = &[
    0, 1, 9, 10, 12, 14, 50, 101, 104, 105, 108, 113, 119, 127, 163, 178, 192, 228, 229, 239, 276,
];

/// The frame decoder on raw bytes, for every link type it reads (and any
/// other): the first byte picks the link type, the second the options, the
/// rest is the frame.
pub fn decode(data: &[u8]) {
    let [pick, opts, frame @ ..] = data else {
        return;
    };
    let link = match LINKS.get(*pick as usize) {
        Some(&l) => LinkType(l),
        None => LinkType(u32::from(*pick) << 1),
    };
    let verify = opts & 1 != 0;
    // The length on the wire: as captured, or longer (a short snaplen).
    let orig_len = if opts & 2 != 0 {
        frame.len() as u32 + u32::from(*opts)
    } else {
        frame.len() as u32
    };
    let layers = decode::decode_layers(link, frame, orig_len, verify);
    if let Packet::Tcp(seg) = &layers.packet {
        // What the segment says about itself stays within what the wire
        // could hold.
        assert!(seg.payload_len as u64 <= u64::from(orig_len).max(65_535 + 40));
    }
    let _ = decode::decode(link, frame, orig_len, verify);
}

/// The policy file parser (`tcpstate check --policy FILE`).
pub fn policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Layer::from_toml(text, "fuzz.toml");
    }
}

/// The selection-expression parser (`--where`).
pub fn select(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(s) = Selection::parse(text) {
            let _ = s.only_streams();
        }
    }
}
