//! Allocation behaviour of capture reading and decoding, measured with a
//! counting global allocator (per thread, so parallel tests do not mix).

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;
use std::io::Read;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapHeader, PcapWriter, RawPcapPacket};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
use pcap_file::{DataLink, Endianness};
use tcpstate::capture::{Batch, CaptureReader, Next};
use tcpstate::decode::{Decoded, decode};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(allocation: bool, delta: isize) {
    let _ = ALLOCATIONS.try_with(|a| a.set(a.get() + allocation as u64));
    let _ = LIVE.try_with(|l| {
        l.set(l.get() + delta);
        let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
    });
}

// SAFETY: forwards to the system allocator; the bookkeeping allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(true, layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(true, layout.size() as isize);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note(false, -(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(true, new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|a| a.get())
}

fn packet(i: u32) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(1000, 80, i, 512)
        .ack(1)
        .write(&mut out, &vec![0x55; (i % 300) as usize])
        .unwrap();
    out
}

fn pcap(n: u32) -> Vec<u8> {
    let header = PcapHeader {
        endianness: Endianness::Little,
        ..Default::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).unwrap();
    for i in 0..n {
        let data = packet(i);
        w.write_raw_packet(&RawPcapPacket {
            ts_sec: i,
            ts_frac: 0,
            incl_len: data.len() as u32,
            orig_len: data.len() as u32,
            data: Cow::Owned(data),
        })
        .unwrap();
    }
    w.into_writer()
}

fn pcapng(n: u32) -> Vec<u8> {
    let mut w = PcapNgWriter::with_endianness(Vec::new(), Endianness::Big).unwrap();
    w.write_pcapng_block(InterfaceDescriptionBlock::new(DataLink::ETHERNET, 0))
        .unwrap();
    for i in 0..n {
        let data = packet(i);
        w.write_pcapng_block(EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_micros(i as u64),
            original_len: data.len() as u32,
            data: Cow::Owned(data),
            options: vec![],
        })
        .unwrap();
    }
    w.into_inner()
}

/// Hands out bytes in reads of varying sizes, without allocating.
struct Chunky {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Chunky {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = (self.step * 7 + 5) % 70_000 + 1;
        let n = self.step.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads and decodes every batch; returns the allocations made after the
/// first `warm_up` batches, and the number of frames.
fn steady_state_allocations(mut r: CaptureReader, warm_up: usize) -> (u64, usize) {
    let mut batch = Batch::new();
    let mut calls = 0;
    let mut before = 0;
    let mut frames = 0;
    loop {
        if calls == warm_up {
            before = allocations();
        }
        calls += 1;
        let next = r.next_batch(&mut batch, 512);
        for f in batch.frames() {
            match decode(f.link_type, batch.frame_bytes(f), f.orig_len, true) {
                Decoded::Tcp(s) => assert_eq!(s.seq as u64 + 1, f.number),
                Decoded::Skipped(why) => panic!("{why:?}"),
            }
            frames += 1;
        }
        match next {
            Next::Frames => {}
            Next::End => break,
            Next::Damaged(e) => panic!("{e}"),
        }
    }
    assert!(calls > warm_up + 20, "too few batches to judge: {calls}");
    (allocations() - before, frames)
}

#[test]
fn framing_and_decoding_allocate_nothing_once_buffers_are_warm() {
    for (name, bytes) in [("pcap", pcap(40_000)), ("pcapng", pcapng(40_000))] {
        let r = CaptureReader::from_bytes(name, bytes.clone()).unwrap();
        let (allocs, frames) = steady_state_allocations(r, 2);
        assert_eq!(frames, 40_000);
        assert_eq!(allocs, 0, "{name}, in memory: allocations per batch");

        let r = CaptureReader::from_read(
            name,
            Box::new(Chunky {
                data: bytes,
                pos: 0,
                step: 0,
            }),
        )
        .unwrap();
        let (allocs, frames) = steady_state_allocations(r, 4);
        assert_eq!(frames, 40_000);
        // The recycled buffers may still grow a few times to the largest
        // carry-over seen (capacity doubles), but nothing scales with the
        // number of packets or batches.
        assert!(
            allocs <= 4,
            "{name}, streamed: {allocs} allocations for {frames} frames"
        );
    }
}

#[test]
fn a_stream_never_allocates_what_a_header_merely_claims() {
    // A block header claiming 15 MiB (below the 16 MiB cap), then the
    // stream ends after a few bytes.
    let mut bytes = pcapng(3);
    bytes.extend_from_slice(&6u32.to_be_bytes());
    bytes.extend_from_slice(&(15u32 << 20).to_be_bytes());
    bytes.extend_from_slice(&[0u8; 100]);
    let live_before = LIVE.with(|l| l.get());
    PEAK.with(|p| p.set(live_before));
    let mut r = CaptureReader::from_read(
        "-",
        Box::new(Chunky {
            data: bytes,
            pos: 0,
            step: 0,
        }),
    )
    .unwrap();
    let mut batch = Batch::new();
    let mut frames = 0;
    let damaged = loop {
        let next = r.next_batch(&mut batch, 100);
        frames += batch.frames().len();
        match next {
            Next::Frames => {}
            Next::End => break None,
            Next::Damaged(e) => break Some(e),
        }
    };
    assert_eq!(frames, 3);
    assert!(damaged.is_some(), "the stream ends inside the block");
    let peak = PEAK.with(|p| p.get()) - live_before;
    assert!(
        peak < 2 << 20,
        "peak memory {peak} bytes for a 15 MiB claim"
    );
}
