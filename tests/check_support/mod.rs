//! Helpers shared by the `tcpstate check` end-to-end tests: running the
//! built binary, the real-stack recordings in testdata/real, scratch
//! directories, and captures crafted with etherparse.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::pcap::{PcapPacket, PcapWriter};

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The violation lines (everything on stdout but the closing line).
    pub fn violations(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.stdout.lines().collect();
        let last = v.pop().expect("a closing line");
        assert!(last.starts_with("tcpstate check: "), "closing line: {last}");
        v
    }

    pub fn closing(&self) -> &str {
        self.stdout.lines().last().expect("a closing line")
    }
}

/// Runs `tcpstate ARGS` (no colours, whatever the environment).
pub fn tcpstate<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_tcpstate"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run tcpstate");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// `tcpstate check ARGS`.
pub fn check<S: AsRef<str>>(args: &[S]) -> Run {
    let mut v = vec!["check".to_string()];
    v.extend(args.iter().map(|s| s.as_ref().to_string()));
    tcpstate(&v)
}

/// A recording in testdata/real (e.g. `08-rst-in-syn-received.pcapng`).
pub fn real(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/real")
        .join(name);
    assert!(p.is_file(), "recording {} is missing", p.display());
    p.display().to_string()
}

/// Every recording, sorted by name.
pub fn all_real() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/real");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .expect("testdata/real")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    assert!(
        v.len() >= 18,
        "expected the 18 recordings, found {}",
        v.len()
    );
    v
}

/// A fresh scratch directory for one test.
pub fn scratch(test: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("check")
        .join(test);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// The catalog as (id, severity), from `tcpstate anomalies --format json`.
pub fn catalog() -> Vec<(String, String)> {
    let r = tcpstate(&["anomalies", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON");
    doc["anomalies"]
        .as_array()
        .expect("anomalies array")
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Every catalog id but `except`, comma-separated: with `--allow`, a policy
/// that holds whatever the detector finds, except for the ids under test.
pub fn all_ids_except(except: &[&str]) -> String {
    catalog()
        .into_iter()
        .map(|(id, _)| id)
        .filter(|id| !except.contains(&id.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Writes a pcap of `n` connections joined mid-stream (no SYN), each a
/// request, its ACK, and a clean FIN/FIN/ACK close. The connections are
/// interleaved step by step, so they start and finish in different orders.
pub fn mid_stream_capture(path: &Path, n: u16) {
    let file = std::fs::File::create(path).expect("create capture");
    let mut w = PcapWriter::new(std::io::BufWriter::new(file)).expect("pcap header");
    let client = [10, 0, 0, 1];
    let server = [10, 0, 0, 2];
    let mut t = Duration::from_secs(1_700_000_000);
    let seg = |c2s: bool, port: u16, seq: u32, ack: u32, flags: &str, len: usize| {
        let (src, dst, sp, dp) = if c2s {
            (client, server, port, 80)
        } else {
            (server, client, 80, port)
        };
        let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 64240)
            .ack(ack);
        for f in flags.chars() {
            b = match f {
                'P' => b.psh(),
                'F' => b.fin(),
                _ => b,
            };
        }
        let mut out = Vec::new();
        b.write(&mut out, &vec![b'x'; len]).expect("build segment");
        out
    };
    // (c2s, seq offset, ack offset, flags, payload) per step; client ISN
    // region at 1000, server at 5000.
    let steps: [(bool, u32, u32, &str, usize); 5] = [
        (true, 1000, 5000, "P", 10),
        (false, 5000, 1010, "", 0),
        (true, 1010, 5000, "F", 0),
        (false, 5000, 1011, "F", 0),
        (true, 1011, 5001, "", 0),
    ];
    for (step, &(c2s, seq, ack, flags, len)) in steps.iter().enumerate() {
        // Later connections run their steps in the opposite order of
        // ports on odd steps, so frames interleave irregularly.
        let ports: Vec<u16> = if step % 2 == 0 {
            (0..n).collect()
        } else {
            (0..n).rev().collect()
        };
        for i in ports {
            let data = seg(c2s, 40000 + i, seq, ack, flags, len);
            t += Duration::from_micros(100);
            w.write_packet(&PcapPacket::new(t, data.len() as u32, &data))
                .expect("write packet");
        }
    }
}
