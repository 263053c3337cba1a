//! The whole pipeline on an in-memory capture, every output format
//! rendered (see `checks::pipeline`).
#![no_main]

#[path = "../checks.rs"]
mod checks;

use std::cell::RefCell;

thread_local! {
    /// Output buffers kept from one input to the next.
    static BUFS: RefCell<checks::Buffers> = RefCell::default();
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    BUFS.with_borrow_mut(|bufs| checks::pipeline_into(data, bufs));
});
