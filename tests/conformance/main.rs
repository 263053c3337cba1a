//! Conformance with third-party oracles: the expected outputs that Zeek,
//! Suricata, Arkime and tcpdump ship with their test suites, for the
//! captures of `../shared/corpus` (see its SOURCES.md).
//!
//! Each oracle's check compares what we compute with what the tool's test
//! suite expects, prints the agreement, and asserts that the differences are
//! exactly those listed (with their reason) in the oracle's section of
//! `tests/conformance/DIFFERENCES.md`: a new difference fails, and so does a
//! listed one that no longer occurs.
//!
//! `#[ignore]`d because they need the corpus; CI runs them with
//! `--include-ignored`, and they fail loudly when the corpus is missing.
//! Run one with its agreement lines:
//! `cargo test --test conformance -- --include-ignored --nocapture zeek`.

mod arkime;
mod common;
mod suricata;
mod tcpdump;
mod zeek;
