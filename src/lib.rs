//! trawl: a terminal investigator for AWS security logs. The core (`trawl-core`, re-exported here
//! under its own module names) knows nothing about terminals; `cli` and `tui` are the front ends
//! over it.

pub use trawl_core::{
    athena, config, count, decode, dedup, demo, detect, entity, escape, evidence, identity, layout,
    load, parquet_guard, parquet_json, pivot, private_file, query, record, scan, scope, source,
    text, verify, walk,
};

pub mod cli;
pub mod output;
pub mod tui;
