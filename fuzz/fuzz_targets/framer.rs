//! The pcap and pcapng framers; the in-memory reader against the streaming
//! one (see `checks::framer`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::framer(data));
