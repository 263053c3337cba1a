//! Ground truth from the real Linux TCP stack (testdata/real, recorded by
//! testdata/real/record.sh in network namespaces).
//!
//! For every recording: the states of both endpoints after every TCP frame
//! equal the `.expect` file (reasoned from RFC 9293, independently of this
//! tool), and our state at every `ss -tan` snapshot equals the kernel's own
//! view, except where the `.ss` file documents why the capture cannot show
//! it (`model-differs:`: the kernel acted on packets held off the wire).

mod common;

use common::*;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use tcpstate::capture::{Batch, CaptureReader, Next};
use tcpstate::decode::{Decoded, decode};
use tcpstate::flow::{FlowKey, starts_new_incarnation};
use tcpstate::replay::{Config, Connection};
use tcpstate::state::TcpState;

fn real(stem: &str) -> PathBuf {
    let dir = repo().join("testdata/real");
    captures_in(&dir)
        .into_iter()
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(stem))
        .unwrap_or_else(|| panic!("no capture {stem} in {}", dir.display()))
}

/// `(frame, stream, client, server, event)` lines of an .expect file. A line
/// starting with `@` is an event row: transitions between segments (a timer
/// expiring, a 4-tuple reopened) at the frame that showed them.
fn expected(capture: &Path) -> Vec<(u64, u64, TcpState, TcpState, bool)> {
    let text = std::fs::read_to_string(capture.with_extension("expect")).expect(".expect file");
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let st =
                |s: &str| TcpState::from_name(s).unwrap_or_else(|| panic!("bad state {s} in {l}"));
            let event = w[0].starts_with('@');
            (
                w[0].trim_start_matches('@').parse().expect("frame"),
                w[1].parse().expect("stream"),
                st(w[2]),
                st(w[3]),
                event,
            )
        })
        .collect()
}

fn check_frames(stem: &str) {
    let path = real(stem);
    let run = run_file(&path);
    assert!(run.totals.error.is_none(), "{stem}: {:?}", run.totals.error);
    let got: Vec<_> = run
        .segments
        .iter()
        .map(|s| {
            (
                s.frame,
                s.stream,
                s.outcome.state[0],
                s.outcome.state[1],
                s.event,
            )
        })
        .collect();
    let want = expected(&path);
    assert!(!want.is_empty(), "{stem}: empty .expect");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(
            g, w,
            "{stem}: frame {} (got stream/client/server vs .expect)",
            w.0
        );
    }
    assert_eq!(got.len(), want.len(), "{stem}: TCP frames vs .expect lines");
}

/// Our model's state of the endpoint `local` (talking to `peer`) at time
/// `at`: the capture replayed up to `at`, then the timers `at` shows
/// expired. `None` when no connection of that 4-tuple had begun.
fn state_at(capture: &Path, local: SocketAddr, peer: SocketAddr, at: i64) -> Option<TcpState> {
    let cfg = Config::default();
    let mut reader = CaptureReader::open(capture).expect("capture");
    let mut batch = Batch::new();
    let mut conns: HashMap<FlowKey, Connection> = HashMap::new();
    let mut last_frame = 0;
    'read: loop {
        let next = reader.next_batch(&mut batch, 1024);
        for f in batch.frames() {
            if f.ts_ns > at {
                break 'read;
            }
            last_frame = f.number;
            if let Decoded::Tcp(seg) = decode(f.link_type, batch.frame_bytes(f), f.orig_len, false)
            {
                let key = FlowKey::of(&seg);
                let renew = conns.get(&key).is_some_and(|c| {
                    starts_new_incarnation(&seg, c.ep[c.direction_of(&seg).sender().index()].base)
                });
                if renew || !conns.contains_key(&key) {
                    conns.insert(key, Connection::new(&seg, f.number, f.ts_ns, f.ts_ns));
                }
                let c = conns.get_mut(&key).expect("connection");
                c.process(&seg, f.number, f.ts_ns, f.ts_ns, &cfg);
            }
        }
        if !matches!(next, Next::Frames) {
            break;
        }
    }
    let c = conns.values_mut().find(|c| {
        let ends: Vec<(IpAddr, u16)> = c.ep.iter().map(|e| (e.addr, e.port)).collect();
        ends.contains(&(local.ip(), local.port())) && ends.contains(&(peer.ip(), peer.port()))
    })?;
    c.advance_clock(at, last_frame, &cfg);
    c.ep.iter()
        .find(|e| (e.addr, e.port) == (local.ip(), local.port()))
        .map(|e| e.state)
}

/// Exactly the anomalies listed in the recording's `.anomalies` file fire
/// (`stream kind frame endpoint`, reasoned from the catalog's definitions).
fn check_anomalies(stem: &str) {
    let path = real(stem);
    let text = std::fs::read_to_string(path.with_extension("anomalies")).expect(".anomalies file");
    let mut want: Vec<(u64, String, u64, String)> = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (
                w[0].parse().expect("stream"),
                w[1].to_string(),
                w[2].parse().expect("frame"),
                w[3].to_string(),
            )
        })
        .collect();
    let run = run_file(&path);
    let mut got: Vec<(u64, String, u64, String)> = run
        .connections
        .iter()
        .flat_map(|c| {
            c.anomalies.iter().map(move |a| {
                let who = a.endpoint.map_or("-", |r| r.name()).to_string();
                (c.stream, a.kind.id().to_string(), a.frame, who)
            })
        })
        .collect();
    want.sort();
    got.sort();
    assert_eq!(
        got, want,
        "{stem}: anomalies (stream, kind, frame, endpoint)"
    );
}

fn check_snapshots(stem: &str) {
    let path = real(stem);
    let mut compared = 0;
    for s in ss_snapshots(&path) {
        let Some(ours) = state_at(&path, s.local, s.peer, s.ts) else {
            continue; // taken before the connection's first frame
        };
        // ss lists no socket once the connection is gone; a server whose
        // connection ended may be back to its listener.
        let agree = ours == s.state || (s.state == TcpState::Closed && ours == TcpState::Listen);
        if s.documented_difference {
            assert!(
                !agree,
                "{stem}: documented difference no longer differs: {}",
                s.line
            );
        } else {
            assert!(
                agree,
                "{stem}: we say {ours} where the kernel said {}: {}",
                s.state, s.line
            );
            compared += 1;
        }
    }
    assert!(compared > 0, "{stem}: no snapshot compared");
}

macro_rules! recordings {
    ($($name:ident => $stem:literal),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn states_after_every_frame_equal_the_rfc_reasoning() {
                    super::check_frames($stem);
                }
                #[test]
                fn states_at_every_ss_snapshot_equal_the_kernels() {
                    super::check_snapshots($stem);
                }
                #[test]
                fn exactly_the_expected_anomalies_fire() {
                    super::check_anomalies($stem);
                }
            }
        )*

        #[test]
        fn every_recording_is_tested() {
            let tested = [$($stem),*];
            for p in captures_in(&repo().join("testdata/real")) {
                let stem = p.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
                assert!(tested.contains(&stem.as_str()), "{stem} has no test");
            }
        }
    };
}

recordings! {
    close_client_first => "01-close-client-first",
    close_server_first => "02-close-server-first",
    half_close => "03-half-close",
    simultaneous_open => "04-simultaneous-open",
    simultaneous_close => "05-simultaneous-close",
    abort_linger0 => "06-abort-linger0",
    refused => "07-refused",
    rst_in_syn_received => "08-rst-in-syn-received",
    lost_final_ack => "09-lost-final-ack",
    time_wait_reuse => "10-time-wait-reuse",
    unanswered_syn => "11-unanswered-syn",
    time_wait_expiry => "12-time-wait-expiry",
    fin_ack_close_v6 => "13-fin-ack-close-v6",
    rst_challenge_ack => "14-rst-challenge-ack",
    half_close_server_first_v6 => "15-half-close-server-first-v6",
    orphan_fin_wait_2 => "16-orphan-fin-wait-2",
    close_in_syn_received => "17-close-in-syn-received",
    rst_in_syn_received_active => "18-rst-in-syn-received-active",
    stuck_close_wait => "19-stuck-close-wait",
    stuck_last_ack => "20-stuck-last-ack",
    unacked_syn_ack => "21-unacked-syn-ack",
    fast_open => "22-fast-open",
    time_wait_assassination => "23-time-wait-assassination",
    data_after_rst => "24-data-after-rst",
    one_sided => "25-one-sided",
    mid_stream => "26-mid-stream",
    ack_of_unseen_data => "27-ack-of-unseen-data",
    port_reuse_after_reset => "28-port-reuse-after-reset",
    half_open => "29-half-open",
    syn_in_established => "30-syn-in-established",
}

// ---- what the wire cannot tell ------------------------------------------------

/// `(frame, [client alternative, server alternative])` of every segment.
fn uncertain_rows(stem: &str) -> Vec<(u64, [Option<TcpState>; 2])> {
    run_file(&real(stem))
        .segments
        .iter()
        .map(|s| (s.frame, s.outcome.uncertain))
        .collect()
}

#[test]
fn a_state_resting_on_a_receipt_the_peer_repeats_is_uncertain() {
    use TcpState::*;
    // 11: the kernel said SYN-RECV (its SYN,ACKs were dropped on the way
    // out), but SYNs dropped before the server's TCP (LISTEN) look the same
    // on the wire: from the first retransmission on, SYN_RECEIVED is shown
    // uncertain with LISTEN as the alternative (3.10.7.2: LISTEN before the
    // SYN). Frame 1 alone is no evidence against its receipt.
    assert_eq!(
        uncertain_rows("11-unanswered-syn"),
        [
            (1, [None, None]),
            (2, [None, Some(Listen)]),
            (3, [None, Some(Listen)]),
            (4, [None, Some(Listen)]),
        ]
    );
    // 21: the client never ACKs the SYN,ACK (its ACKs were dropped on its
    // output; the kernel said ESTAB), and the server sends it again: the
    // client's ESTABLISHED is uncertain, SYN_SENT otherwise.
    assert_eq!(
        uncertain_rows("21-unacked-syn-ack"),
        [
            (1, [None, None]),
            (2, [None, None]),
            (3, [Some(SynSent), None]),
            (4, [Some(SynSent), None]),
        ]
    );
    // 20: the server's FIN is retransmitted from frame 11 on and the client
    // never acknowledges it (the kernel said TIME-WAIT): FIN_WAIT_2 is the
    // alternative to its TIME_WAIT.
    for (f, u) in uncertain_rows("20-stuck-last-ack") {
        let want = if f >= 11 { Some(FinWait2) } else { None };
        assert_eq!(u, [want, None], "frame {f}");
    }
    // 09: the client's ACK of the server's FIN was lost, the server sends
    // its FIN again (frame 11): TIME_WAIT is uncertain there, until the
    // client's ACK of frame 12 confirms the receipt.
    let rows = uncertain_rows("09-lost-final-ack");
    for (f, u) in rows {
        let want = if f == 11 { Some(FinWait2) } else { None };
        assert_eq!(u, [want, None], "frame {f}");
    }
    // Every receipt acknowledged: nothing uncertain.
    for stem in ["01-close-client-first", "02-close-server-first"] {
        assert!(
            uncertain_rows(stem).iter().all(|(_, u)| *u == [None, None]),
            "{stem}"
        );
    }
}
