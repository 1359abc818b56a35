//! Fuzz target: a Sigma rule file's text, read and run (see harness.rs).
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::sigma_rule(data));
