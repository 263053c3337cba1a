//! Compressed captures (gzip, zstd, lz4) and directories of captures, end
//! to end through the binary: the output of a compressed capture is the
//! plain file's byte for byte (from a file and from standard input); a
//! damaged compressed stream is analysed up to the damage, named in one
//! error line, and exits 2; a directory is read recursively in sorted
//! order, its captures recognised by content.
//!
//! The compressed files are made here with the same crates' encoders (and
//! with the command-line tools too, where installed: their framing is the
//! one users' files have).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tcpstate(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tcpstate"));
    c.args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().expect("tcpstate runs");
    if let Some(b) = stdin {
        let mut i = child.stdin.take().unwrap();
        let b = b.to_vec();
        std::thread::spawn(move || {
            let _ = i.write_all(&b);
        });
    }
    child.wait_with_output().unwrap()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn zstd(b: &[u8]) -> Vec<u8> {
    zstd::encode_all(b, 3).unwrap()
}

/// lz4 frames of 64 KiB blocks: a block is the unit of decoding, so the
/// damage tests need several.
fn lz4(b: &[u8]) -> Vec<u8> {
    let info = lz4_flex::frame::FrameInfo::new().block_size(lz4_flex::frame::BlockSize::Max64KB);
    let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

type Compressor = (&'static str, fn(&[u8]) -> Vec<u8>);
const COMPRESSORS: [Compressor; 3] = [("gz", gzip), ("zst", zstd), ("lz4", lz4)];

/// The output of `args` on `plain`, with the file name replaced by `name`
/// (so that outputs of differently named files compare).
fn output_as(args: &[&str], file: &Path, name: &str) -> (Vec<u8>, i32) {
    let f = file.to_str().unwrap();
    let mut a: Vec<&str> = args.to_vec();
    a.push(f);
    let o = tcpstate(&a, None);
    let text = String::from_utf8(o.stdout).unwrap().replace(f, name);
    (text.into_bytes(), o.status.code().unwrap_or(-1))
}

/// Summary, timeline and JSON of every compressed variant equal the plain
/// file's, from a file and from standard input.
fn compare_variants(plain: &Path, dir: &Path) -> usize {
    let bytes = std::fs::read(plain).unwrap();
    let mut compared = 0;
    for args in [
        &["summary"][..],
        &["timeline", "-f", "jsonl"][..],
        &["summary", "-f", "json"][..],
    ] {
        let (want, want_code) = output_as(args, plain, "CAPTURE");
        for (ext, compress) in COMPRESSORS {
            let c = dir.join(format!(
                "{}.{ext}",
                plain.file_name().unwrap().to_str().unwrap()
            ));
            let cb = compress(&bytes);
            std::fs::write(&c, &cb).unwrap();
            let (got, code) = output_as(args, &c, "CAPTURE");
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{} {args:?}",
                c.display()
            );
            assert_eq!(code, want_code, "{}", c.display());
            // Standard input: the file name is `-`.
            let mut a = args.to_vec();
            a.push("-");
            let o = tcpstate(&a, Some(&cb));
            let (want_stdin, _) = {
                let o2 = tcpstate(&a, Some(&bytes));
                (o2.stdout, ())
            };
            assert_eq!(o.stdout, want_stdin, "{} from standard input", c.display());
            compared += 1;
        }
    }
    compared
}

#[test]
fn compressed_variants_give_the_plain_output() {
    let dir = tmp("compressed-testdata");
    let mut n = 0;
    for name in [
        "09-lost-final-ack.pcap",
        "03-half-close.pcapng",
        "05-simultaneous-close.pcap",
    ] {
        n += compare_variants(&repo().join("testdata/real").join(name), &dir);
    }
    assert_eq!(n, 27);
}

#[test]
#[ignore = "needs ../shared/corpus and ../shared/corpus-encap"]
fn compressed_variants_of_every_corpus_capture_give_the_plain_output() {
    let dir = tmp("compressed-corpus");
    let mut files = Vec::new();
    for d in ["../shared/corpus", "../shared/corpus-encap"] {
        let d = repo().join(d);
        assert!(d.join("SOURCES.md").is_file(), "{} is missing", d.display());
        let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                let n = p.to_str().unwrap();
                n.ends_with(".pcap") || n.ends_with(".pcapng") || n.ends_with(".cap")
            })
            .collect();
        v.sort();
        files.extend(v);
    }
    assert!(files.len() > 100);
    for f in &files {
        compare_variants(f, &dir);
    }
}

#[test]
fn the_command_line_tools_files_read_too() {
    // Files written by gzip, zstd and lz4 themselves (multi-member gzip,
    // zstd frames with checksums, lz4's block sizes), where installed.
    let dir = tmp("compressed-tools");
    let plain = repo().join("testdata/real/09-lost-final-ack.pcap");
    let (want, _) = output_as(&["summary"], &plain, "CAPTURE");
    for (tool, args, ext) in [
        ("gzip", &["-c"][..], "gz"),
        ("zstd", &["-c", "-q", "--check"][..], "zst"),
        ("lz4", &["-c", "-q"][..], "lz4"),
    ] {
        let Ok(o) = Command::new(tool).args(args).arg(&plain).output() else {
            continue;
        };
        if !o.status.success() {
            continue;
        }
        let mut bytes = o.stdout;
        if tool == "gzip" {
            // Two members, as `cat a.gz b.gz` makes: one decompressed stream.
            let half = std::fs::read(&plain).unwrap();
            let (a, b) = half.split_at(100);
            bytes = [gzip(a), gzip(b)].concat();
        }
        let f = dir.join(format!("c.pcap.{ext}"));
        std::fs::write(&f, bytes).unwrap();
        let (got, code) = output_as(&["summary"], &f, "CAPTURE");
        assert_eq!(code, 0, "{tool}");
        assert_eq!(got, want, "{tool}");
    }
}

/// A damaged compressed stream: what came before is printed, one error
/// line names the file, the frame and the offsets, the status is 2.
#[test]
fn damaged_compressed_captures_exit_2_after_the_frames_before_the_damage() {
    let dir = tmp("compressed-damaged");
    // A capture large enough for several compressed blocks.
    let plain = repo().join("testdata/real/09-lost-final-ack.pcap");
    let one = std::fs::read(&plain).unwrap();
    let mut big = one.clone();
    let records = &one[24..];
    for _ in 0..4000 {
        big.extend_from_slice(records);
    }
    let frames_total = 12 * 4001;
    for (ext, compress) in COMPRESSORS {
        let c = compress(&big);
        for (what, damaged) in [
            ("truncated", c[..c.len() * 2 / 3].to_vec()),
            ("corrupt", {
                let mut d = c.clone();
                let at = d.len() * 2 / 3;
                for b in &mut d[at..at + 16] {
                    *b ^= 0x5A;
                }
                d
            }),
        ] {
            let f = dir.join(format!("{what}.pcap.{ext}"));
            std::fs::write(&f, &damaged).unwrap();
            let o = tcpstate(&["timeline", "-f", "jsonl", f.to_str().unwrap()], None);
            assert_eq!(o.status.code(), Some(2), "{}", f.display());
            let err = String::from_utf8(o.stderr).unwrap();
            let lines: Vec<&str> = err.lines().collect();
            assert_eq!(lines.len(), 1, "{}: {err}", f.display());
            assert!(
                lines[0].contains(f.to_str().unwrap())
                    && lines[0].contains(" frame ")
                    && lines[0].contains("byte offset"),
                "{}: {err}",
                f.display()
            );
            // A truncated stream is named as such. Corrupt data may instead
            // decompress to garbage (deflate checks its CRC only at the
            // end), which the capture reader then finds damaged.
            if what == "truncated" {
                assert!(
                    lines[0].contains(compressor_name(ext)) && lines[0].contains("truncated"),
                    "{err}"
                );
            }
            let out = String::from_utf8(o.stdout).unwrap();
            let segments = out.lines().filter(|l| l.contains("\"segment\"")).count();
            // Something before the damage was analysed, not everything.
            assert!(
                segments > 0 && segments < frames_total,
                "{}: {segments} segments",
                f.display()
            );
        }
    }
}

fn compressor_name(ext: &str) -> &'static str {
    match ext {
        "gz" => "gzip",
        "zst" => "zstd",
        _ => "lz4",
    }
}

#[test]
fn compressed_data_that_is_not_a_capture_is_refused() {
    let dir = tmp("compressed-not-capture");
    let f = dir.join("notes.txt.gz");
    std::fs::write(&f, gzip(b"not a capture at all")).unwrap();
    let o = tcpstate(&[f.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("gzip-compressed data that is not a capture"),
        "{err}"
    );
}

#[test]
fn a_directory_is_read_recursively_in_sorted_order_by_content() {
    let dir = tmp("directory");
    let real = repo().join("testdata/real");
    std::fs::create_dir_all(dir.join("b/deeper")).unwrap();
    std::fs::create_dir_all(dir.join("a")).unwrap();
    let copy = |from: &str, to: &str| {
        std::fs::copy(real.join(from), dir.join(to)).unwrap();
    };
    copy(
        "01-close-client-first.pcap",
        "b/deeper/capture-without-extension",
    );
    copy("03-half-close.pcapng", "a/z.pcapng");
    std::fs::write(
        dir.join("a/y.pcap.gz"),
        gzip(&std::fs::read(real.join("07-refused.pcap")).unwrap()),
    )
    .unwrap();
    std::fs::write(dir.join("README.md"), "notes").unwrap();
    std::fs::write(dir.join("b/data.gz"), gzip(b"plain text")).unwrap();
    let o = tcpstate(&["summary", "-f", "jsonl", dir.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    let files: Vec<String> = out
        .lines()
        .filter(|l| l.contains("\"type\":\"capture\""))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["file"].as_str().unwrap().to_string()
        })
        .collect();
    let d = dir.to_str().unwrap();
    assert_eq!(
        files,
        [
            format!("{d}/a/y.pcap.gz"),
            format!("{d}/a/z.pcapng"),
            format!("{d}/b/deeper/capture-without-extension"),
        ]
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one note: {err}");
    assert!(
        err.contains("2 files skipped") && err.contains("README.md") && err.contains("b/data.gz"),
        "{err}"
    );
    // An empty directory is an input problem.
    let empty = tmp("directory-empty");
    let o = tcpstate(&[empty.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(2));
}
