//! `tcpstate` reconstructs TCP connection state from packet captures.
//!
//! For every TCP segment of a pcap or pcapng capture it infers the RFC 9293
//! state of **both** endpoints after the segment, and for every connection its
//! whole lifecycle, who closed it, how it ended and what went wrong.
//!
//! The library is layered, one module per idea:
//!
//! * [`capture`]: reading pcap and pcapng files (or standard input) into frames;
//! * [`decode`]: link layer, IPv4/IPv6 and TCP header decoding of one frame;
//! * [`flow`]: demultiplexing segments into connections (4-tuple + incarnation,
//!   numbered like Wireshark's `tcp.stream`);
//! * [`state`]: the RFC 9293 endpoint state machine, one `match` on (state, event);
//! * [`connection`]: the replay of one connection through two endpoint machines;
//! * [`anomaly`]: the anomalies the replay flags;
//! * [`engine`]: the streaming, parallel pipeline that ties them together;
//! * [`output`]: text, JSON and JSONL renderings;
//! * [`policy`] and [`check`]: the verdict of `tcpstate check` for CI;
//! * [`wireshark`] and [`zeek`]: the verdicts of those tools, computed their way;
//! * [`aggregate`]: `report`, one page over many captures (state diagram,
//!   tables, states over time); [`ladder`]: one connection as a ladder;
//! * [`select`]: the `--where` expressions that pick connections;
//! * [`netstat`]: endpoints' states at a moment, and their counts over time;
//! * [`workload`]: synthetic captures with planted ground truth, for
//!   benchmarks and answer checks at scale.

pub mod aggregate;
pub mod anomaly;
pub mod capture;
pub mod check;
pub mod connection;
pub mod decode;
pub mod engine;
pub mod flow;
pub mod ladder;
pub mod netstat;
pub mod output;
pub mod policy;
pub mod report;
pub mod select;
pub mod state;
pub mod wireshark;
pub mod workload;
pub mod zeek;
