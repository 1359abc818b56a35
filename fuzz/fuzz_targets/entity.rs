//! Fuzz target: entity extraction and record normalization over any JSON (see harness.rs).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::entities(data));
