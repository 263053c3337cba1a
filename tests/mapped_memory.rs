//! A memory-mapped capture's pages are given back as the reading moves on:
//! the process's resident memory does not grow with the file (the page
//! cache keeps the file; the process need not). Alone in its test binary,
//! so that no other test's memory moves the figures.

/// Resident memory of this process, in bytes (Linux).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kb * 1024
}

#[test]
#[cfg(target_os = "linux")]
fn reading_a_mapped_capture_keeps_resident_memory_flat() {
    use tcpstate::capture::{Batch, CaptureReader, Next};
    // 160 MB: 1,250,000 records of 112 bytes.
    let dir = std::env::temp_dir().join(format!("tcpstate-mapped-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("big.pcap");
    {
        use std::io::Write;
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        for v in [0xA1B2_C3D4u32, 0x0004_0002, 0, 0, 65535, 1] {
            w.write_all(&v.to_le_bytes()).expect("write");
        }
        let frame = [0x5Au8; 112];
        for i in 0..1_250_000u32 {
            for v in [i / 1000, i % 1000, 112, 112] {
                w.write_all(&v.to_le_bytes()).expect("write");
            }
            w.write_all(&frame).expect("write");
        }
    }
    let size = std::fs::metadata(&path).expect("size").len();
    let before = rss();
    let mut r = CaptureReader::open(&path).expect("a capture");
    let mut batch = Batch::new();
    let (mut frames, mut peak) = (0u64, 0u64);
    loop {
        let next = r.next_batch(&mut batch, 32 * 1024);
        // Every byte of every frame is read, as decoding reads them.
        let sum: u64 = batch
            .frames()
            .iter()
            .map(|f| batch.frame_bytes(f)[111] as u64)
            .sum();
        assert_eq!(sum, 0x5A * batch.frames().len() as u64);
        frames += batch.frames().len() as u64;
        peak = peak.max(rss());
        match next {
            Next::Frames => {}
            Next::End => break,
            Next::Damaged(e) => panic!("{e}"),
        }
    }
    drop(r);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(frames, 1_250_000);
    let grew = peak.saturating_sub(before);
    assert!(
        grew < size / 3,
        "resident memory grew by {} MB reading a {} MB capture",
        grew >> 20,
        size >> 20
    );
}
