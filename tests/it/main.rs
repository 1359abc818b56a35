//! Every integration test, in one binary: it links the crate once and shares one moto server
//! (S3, KMS, Athena) that the harness in `common` installs and starts on a free loopback port.
//! Each module is one story of the user's, named after what it covers.

mod common;

mod athena;
mod bad_input;
mod bench;
mod cache;
mod config;
mod corpus;
mod detect;
mod encryption;
mod fanout;
mod faults;
mod fuzz_regressions;
mod hardening;
mod hostile;
mod pivot;
mod query;
mod s3;
mod security_lake;
mod tui;
mod tui_json;
mod tui_pivot;
mod tui_scan;
mod tui_tmux;
mod verify;
mod whois;
