//! In memory on the calling thread, streamed on one thread, in memory on
//! two: byte-identical output (see `checks::differential`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::differential(data));
