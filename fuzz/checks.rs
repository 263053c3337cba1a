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

use tcpstate::engine::{self, ConnectionRecord, Consumer, Options, SegmentRecord};
use tcpstate::output::time::{TimeColumn, TimeFormat};
use tcpstate::output::{Style, json, text, zeek};

/// Renders everything the engine hands over in every output format: what
/// `timeline` prints (segment rows, in frame order) into `out`, what
/// `summary` prints (connections, in completion order) into `done`. (How
/// rows and connections interleave depends on where batches end, which is
/// no part of the output.)
#[derive(Default)]
pub struct Render {
    pub out: Vec<u8>,
    done: Vec<u8>,
    first_ts: i64,
    prev_segment: Option<i64>,
}

impl Render {
    /// A renderer writing into `bufs`' memory (cleared), which
    /// [`Render::give_back`] returns.
    fn reusing(bufs: &mut Buffers) -> Render {
        let (mut out, mut done) = (
            std::mem::take(&mut bufs.out),
            std::mem::take(&mut bufs.done),
        );
        out.clear();
        done.clear();
        Render {
            out,
            done,
            ..Render::default()
        }
    }

    /// Both outputs, and the capture's totals.
    fn finish(mut self, totals: &engine::Totals) -> Vec<u8> {
        self.close(totals);
        self.out
    }

    fn close(&mut self, totals: &engine::Totals) {
        self.out.append(&mut self.done);
        self.out
            .extend_from_slice(text::totals_line("fuzz", totals).as_bytes());
        json::capture(&mut self.out, b"\"f\"", totals, None);
        zeek::footer(&mut self.out, totals.last_ts.unwrap_or(0));
    }

    /// The output (in `bufs.out`) and the memory of both buffers.
    fn give_back(self, bufs: &mut Buffers) {
        bufs.out = self.out;
        bufs.done = self.done;
    }
}

/// Output buffers kept from one input to the next by a caller that renders
/// many (the pipeline target), as the CLI's buffered writer is: a run then
/// writes into memory it already has instead of growing fresh buffers
/// (which, under ASan, maps, copies and unmaps every large one as it grows).
#[derive(Default)]
pub struct Buffers {
    /// The output of the last input.
    pub out: Vec<u8>,
    done: Vec<u8>,
}

impl Consumer for Render {
    fn capture_start(&mut self, first_ts: i64) {
        self.first_ts = first_ts;
        zeek::header(&mut self.out, first_ts);
    }

    fn segments(&mut self, rows: &[SegmentRecord]) -> std::io::Result<()> {
        let style = Style {
            color: false,
            with_file: false,
            file_width: 0,
        };
        let mut time = TimeColumn::new(TimeFormat::Relative, self.first_ts);
        for r in rows {
            text::timeline_row(r, &mut time, self.prev_segment, &style, None, &mut self.out);
            json::segment(&mut self.out, Some(b"\"f\""), r, self.first_ts);
            self.prev_segment = Some(r.ts_ns);
        }
        Ok(())
    }

    fn connections(&mut self, done: &[ConnectionRecord]) -> std::io::Result<()> {
        let mut time = TimeColumn::new(TimeFormat::AbsoluteDate, self.first_ts);
        for r in done {
            for (cell, _) in text::summary_row(r, &mut time, None).iter() {
                self.done.extend_from_slice(cell.as_bytes());
            }
            json::connection(&mut self.done, Some(b"\"f\""), r);
            zeek::rows(&mut self.done, r);
        }
        Ok(())
    }
}

/// The policy the pipeline judges by: every rule, every anomaly a violation.
fn policy_every_rule() -> &'static tcpstate::policy::Policy {
    use std::sync::OnceLock;
    static POLICY: OnceLock<tcpstate::policy::Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let file = Layer::from_toml("fail-on = \"info\"\nexpect-closed = true\n", "fuzz.toml")
            .expect("a policy");
        tcpstate::policy::Policy::new(file, Layer::default())
    })
}

/// `check`'s verdict on one capture, in text and in JSON, after `out`.
fn verdict(result: tcpstate::check::CaptureResult, out: &mut Vec<u8>) {
    use tcpstate::check::{Verdict, render};
    let verdict = Verdict {
        policy: policy_every_rule().clone(),
        captures: vec![result],
    };
    let status = verdict.status();
    render::text(&verdict, status, false, out);
    render::json(&verdict, status, out);
}

/// One capture analysed on the calling thread (`engine::analyze_here`):
/// every output format rendered, and `check`'s verdict from a
/// `check::Judge` fed by the same analysis (as a library user rendering
/// and judging a capture would): the rendering in `bufs.out`, the
/// judgement returned; `None` (and `bufs.out` as it was) if it is no
/// capture.
fn rendered_here(data: &[u8], bufs: &mut Buffers) -> Option<tcpstate::check::CaptureResult> {
    use tcpstate::check::Judge;
    let reader = CaptureReader::from_bytes("fuzz", data.to_vec()).ok()?;
    let (mut r, mut judge) = (Render::reusing(bufs), Judge::new(policy_every_rule()));
    let totals = engine::analyze_here(
        reader,
        &Options::timeline(),
        &mut engine::Tee(&mut r, &mut judge),
    )
    .expect("in memory");
    r.close(&totals);
    r.give_back(bufs);
    Some(judge.finish("fuzz", Ok(totals)))
}

/// The whole pipeline on an in-memory capture, on the calling thread:
/// reader, decode, demultiplexing, replay, analyzers, every renderer, the
/// totals' lines, and `check`'s verdict (text and JSON) under a policy that
/// judges every rule, from the same analysis. Returns the output. (That
/// the verdict is the one `check_reader`, with an analysis of its own,
/// gives is for the differential target to check.)
pub fn pipeline(data: &[u8]) -> Vec<u8> {
    let mut bufs = Buffers::default();
    pipeline_into(data, &mut bufs);
    bufs.out
}

/// [`pipeline`], its output in `bufs.out`, in memory kept from the inputs
/// before (see [`Buffers`]).
pub fn pipeline_into(data: &[u8], bufs: &mut Buffers) {
    match rendered_here(data, bufs) {
        Some(result) => verdict(result, &mut bufs.out),
        None => bufs.out.clear(),
    }
}

/// The same bytes through the three ways in: on the calling thread from
/// memory, on a 1-thread pool from the streaming reader (reads cut at 1 to
/// 4,096 bytes) with every connection frozen into bytes between its
/// segments (`idle_sweep: 0`, made whole again when needed), on a 2-thread
/// pool from memory with every connection that has seen one segment kept
/// as an embryo (`keep_whole: 0`, replayed again when needed):
/// byte-identical output in every format. And `check`'s two
/// ways to judge: its verdict from the timeline's analysis (a `check::Judge`
/// beside the renderers, as the pipeline target has it) is the one
/// `check_reader` gives with an analysis of its own, without segment rows,
/// as `tcpstate check` runs it.
pub fn differential(data: &[u8]) {
    use std::sync::OnceLock;
    static POOLS: OnceLock<[rayon::ThreadPool; 2]> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("a pool")
        };
        [pool(1), pool(2)]
    });
    let mut bufs = Buffers::default();
    let judged = rendered_here(data, &mut bufs).map(|result| {
        let mut v = Vec::new();
        verdict(result, &mut v);
        v
    });
    let here = judged.map(|judged| (bufs.out, judged));
    let threaded = |pool: &rayon::ThreadPool, reader: CaptureReader, keep: (usize, usize)| {
        pool.install(|| {
            let mut r = Render::default();
            let opts = Options {
                keep_whole: keep.0,
                idle_sweep: keep.1,
                ..Options::timeline()
            };
            let totals = engine::analyze(reader, &opts, &mut r, None).expect("in memory");
            r.finish(&totals)
        })
    };
    let chunky = Chunky {
        data: data.to_vec(),
        pos: 0,
        state: 0x9E37_79B9_7F4A_7C15 ^ data.len() as u64,
    };
    let streamed = CaptureReader::from_read("fuzz", Box::new(chunky))
        .ok()
        .map(|reader| threaded(&pools[0], reader, (Options::default().keep_whole, 0)));
    let two = CaptureReader::from_bytes("fuzz", data.to_vec())
        .ok()
        .map(|reader| threaded(&pools[1], reader, (0, Options::default().idle_sweep)));
    let (Some((here, judged)), Some(streamed), Some(two)) = (here, streamed, two) else {
        // The framer target checks that the ways in open the same inputs.
        return;
    };
    let reader = CaptureReader::from_bytes("fuzz", data.to_vec()).expect("opened once already");
    let mut alone = Vec::new();
    verdict(
        tcpstate::check::check_reader("fuzz", reader, policy_every_rule(), &Options::default()),
        &mut alone,
    );
    assert!(
        judged == alone,
        "check's verdict from the timeline's analysis differs from check_reader's:\n{}",
        diff(&judged, &alone)
    );
    assert!(
        here == streamed,
        "streamed on 1 thread differs from in memory here:\n{}",
        diff(&here, &streamed)
    );
    assert!(
        here == two,
        "2 threads, embryos at once, differ from 1:\n{}",
        diff(&here, &two)
    );
}

/// The first difference, with some context.
fn diff(a: &[u8], b: &[u8]) -> String {
    let at = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let from = at.saturating_sub(200);
    format!(
        "at byte {at}:\n--- {}\n+++ {}",
        String::from_utf8_lossy(&a[from..(at + 200).min(a.len())]),
        String::from_utf8_lossy(&b[from..(at + 200).min(b.len())])
    )
}
