//! `tcpstate` reconstructs TCP connection state from packet captures.
//!
//! For every TCP segment of a pcap or pcapng capture it infers the RFC 9293
//! state of **both** endpoints after the segment, and for every connection its
//! whole lifecycle, who closed it, how it ended and what went wrong.
//!
//! Both endpoints' states after every segment of a capture, in a few lines:
//!
//! ```
//! use tcpstate::capture::CaptureReader;
//! use tcpstate::engine::{self, Collector, Options};
//! use tcpstate::state::TcpState;
//!
//! // A close whose final ACK was lost: the server resends its FIN from
//! // LAST_ACK and the client, in TIME_WAIT, acknowledges it again.
//! let capture = CaptureReader::open("testdata/real/09-lost-final-ack.pcap".as_ref())?;
//! let mut rows = Collector::default();
//! let totals = engine::analyze(capture, &Options::timeline(), &mut rows, None)?;
//! for s in &rows.segments {
//!     let [client, server] = s.outcome.state;
//!     println!("frame {:>2}  stream {}  client {client:<12} server {server}", s.frame, s.stream);
//! }
//! let last = rows.segments.last().expect("segments");
//! assert_eq!(last.outcome.state, [TcpState::TimeWait, TcpState::Closed]);
//! assert_eq!(totals.connections, 1);
//!
//! // Each finished connection comes with its summary.
//! let conn = &rows.connections[0];
//! assert_eq!(conn.state(), [TcpState::TimeWait, TcpState::Closed]);
//! println!("closed by {:?}: {}", conn.active_closer, conn.outcome.name());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`engine::analyze`] streams: a [`engine::Consumer`] receives segment rows
//! ([`engine::SegmentRecord`]) and finished connections batch by batch, in
//! memory bounded by the connections open at once; [`engine::Collector`]
//! simply keeps them all. A finished connection is a
//! [`engine::ConnectionSummary`], computed once when it ends: endpoints,
//! states, lifecycle, outcome, anomalies, Wireshark's and Zeek's verdicts.
//! That and the segment record are the contract: the outputs of this crate
//! read nothing else, and neither need yours.
//! Damage in a capture is not an error: everything before it is analysed and
//! [`engine::Totals::error`] says where it was.
//!
//! The library is layered, one module per idea:
//!
//! * [`vocab`]: the shared words: roles, directions, sequence numbers
//!   compared modulo 2^32, a segment's control;
//! * [`capture`]: reading pcap and pcapng files (or standard input) into frames;
//! * [`clock`]: the capture clock timers run on, robust to corrupt timestamps;
//! * [`decode`]: link layer, IPv4/IPv6 and TCP header decoding of one frame;
//! * [`flow`]: the 4-tuple key segments are demultiplexed by, and the rule
//!   that starts a new incarnation on it;
//! * [`tracker`]: one shard's connections in capture order: demultiplexing,
//!   incarnations, timers, the rows held for rewriting, idle connections
//!   kept frozen into bytes (the private `frozen` module);
//! * [`state`]: the RFC 9293 endpoint state machine, one `match` on (state, event);
//! * [`replay`]: the replay of one connection through two endpoint machines;
//! * [`anomaly`]: the anomalies the replay flags;
//! * [`engine`]: the streaming, parallel pipeline that ties them together:
//!   reads, decodes, runs the trackers on a thread pool and merges;
//! * [`consumer`]: the records the pipeline hands out and the trait that
//!   receives them;
//! * [`output`]: text, JSON and JSONL renderings;
//! * [`policy`] and [`check`]: the verdict of `tcpstate check` for CI;
//! * [`analyzers`]: beside the replay, the per-connection slot that feeds
//!   [`wireshark`] and [`zeek`] the same segments: the verdicts of those
//!   tools, computed their way;
//! * [`aggregate`]: `report`, one page over many captures (state diagram,
//!   tables, states over time); [`ladder`]: one connection as a ladder;
//! * [`select`]: the `--where` expressions that pick connections;
//! * [`netstat`]: endpoints' states at a moment, and their counts over time.
//!
//! Synthetic captures with planted ground truth, for benchmarks and answer
//! checks at scale, come from the `tcpstate-workload` crate of this
//! workspace (`workload/`), a developer tool that does not depend on this one.

#![warn(missing_docs)]

pub mod aggregate;
pub mod analyzers;
pub mod anomaly;
pub mod capture;
pub mod check;
pub mod clock;
pub mod consumer;
pub mod decode;
pub mod engine;
pub mod flow;
pub(crate) mod frozen;
pub mod ladder;
pub mod netstat;
pub mod output;
pub mod policy;
pub(crate) mod prefetch;
pub mod reassembly;
pub mod replay;
pub mod report;
pub mod select;
pub mod state;
pub mod tracker;
pub mod vocab;
pub mod wireshark;
pub mod zeek;

/// Numbers for tests that try many inputs: Marsaglia's xorshift, the same
/// sequence for the same seed (not 0) on every run.
#[cfg(test)]
pub(crate) fn xorshift64(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}
