//! `tcpstate netstat` against the kernel: every `ss -tan` snapshot of
//! testdata/real (taken at its `ts_ns`) equals netstat at that instant, for
//! every side whose state the wire can show. The wire cannot show a state
//! the kernel reached on a packet held off the wire (`model-differs:` in
//! the `.ss` file, each explained in testdata/real/README.md), nor a
//! socket before the connection's first frame.

mod common;

use common::*;
use std::net::SocketAddr;
use std::path::Path;
use tcpstate::netstat::{self, Moment};
use tcpstate::report::Settings;
use tcpstate::state::TcpState;

fn settings() -> Settings {
    Settings {
        format: tcpstate::output::Format::Jsonl,
        ..Settings::default()
    }
}

/// The first timestamp of each connection of the capture, by 4-tuple.
fn first_seen(capture: &Path) -> Vec<(SocketAddr, SocketAddr, i64)> {
    let run = run_file(capture);
    run.connections
        .iter()
        .map(|c| {
            let [a, b] = &c.ends;
            (
                SocketAddr::new(a.addr, a.port),
                SocketAddr::new(b.addr, b.port),
                c.first_ts,
            )
        })
        .collect()
}

#[derive(Default, Debug)]
struct Tally {
    snapshots: usize,
    agree: usize,
    model_differs: usize,
    before_first_frame: usize,
}

fn compare(capture: &Path, tally: &mut Tally) -> Vec<String> {
    let mut problems = Vec::new();
    let seen = first_seen(capture);
    for s in ss_snapshots(capture) {
        tally.snapshots += 1;
        let begun = seen.iter().any(|&(a, b, t)| {
            t <= s.ts && ((a, b) == (s.local, s.peer) || (b, a) == (s.local, s.peer))
        });
        if !begun {
            tally.before_first_frame += 1;
            continue;
        }
        let (rows, _) = netstat::endpoints_at(capture, Moment::Time(s.ts), false, &settings())
            .expect("netstat");
        let ours = rows
            .iter()
            .find(|r| {
                SocketAddr::new(r.local.0, r.local.1) == s.local
                    && SocketAddr::new(r.peer.0, r.peer.1) == s.peer
            })
            .map(|r| r.at.state);
        // netstat lists, as ss does, only endpoints holding a connection:
        // one not listed is CLOSED (or back to its listener) for ss.
        let agree = match ours {
            Some(st) => st == s.state,
            None => matches!(s.state, TcpState::Closed | TcpState::Listen),
        };
        if s.documented_difference {
            tally.model_differs += 1;
            if agree {
                problems.push(format!(
                    "documented difference no longer differs: {}",
                    s.line
                ));
            }
        } else if agree {
            tally.agree += 1;
        } else {
            problems.push(format!(
                "netstat says {ours:?}, the kernel {}: {}",
                s.state, s.line
            ));
        }
    }
    problems
}

#[test]
fn every_kernel_snapshot_equals_netstat_at_its_instant() {
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    let captures = captures_in(&repo().join("testdata/real"));
    assert!(captures.len() >= 30, "the real-stack recordings");
    for c in &captures {
        for p in compare(c, &mut tally) {
            problems.push(format!("{}: {p}", c.display()));
        }
    }
    eprintln!("netstat vs ss: {tally:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // Every snapshot is either compared and equal, or one the wire cannot show.
    assert_eq!(
        tally.agree + tally.model_differs + tally.before_first_frame,
        tally.snapshots
    );
    assert!(tally.agree >= 180, "{tally:?}");
}

#[test]
fn frame_moments_follow_the_timeline() {
    // After every frame, netstat --frame N lists the timeline's states of
    // the endpoints holding a connection.
    let path = repo().join("testdata/real/09-lost-final-ack.pcap");
    let run = run_file(&path);
    for seg in &run.segments {
        let (rows, _) =
            netstat::endpoints_at(&path, Moment::Frame(seg.frame), false, &settings()).unwrap();
        let mine: Vec<(usize, TcpState)> = rows
            .iter()
            .filter(|r| r.stream == seg.stream)
            .map(|r| (r.at.role.index(), r.at.state))
            .collect();
        let want: Vec<(usize, TcpState)> = seg
            .outcome
            .state
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_terminal())
            .map(|(i, s)| (i, *s))
            .collect();
        assert_eq!(mine, want, "frame {}", seg.frame);
    }
}
