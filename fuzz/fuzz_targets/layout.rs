//! Fuzz target: S3 keys and folder prefixes → partitions (see harness.rs).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::layout(data));
