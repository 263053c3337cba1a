//! The whole pipeline on an in-memory capture, every output format
//! rendered (see `checks::pipeline`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::pipeline(data);
});
