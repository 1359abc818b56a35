//! trawl: a terminal investigator for AWS security logs.
//!
//! The core (`config`, `source`, `layout`, `decode`, `record`, `entity`, `scope`, `walk`, `load`,
//! `pivot`) knows nothing about terminals; `cli` and `tui` are the front ends over it.

pub mod athena;
pub mod base64;
pub mod bench;
pub mod cli;
pub mod config;
pub mod decode;
pub mod demo;
pub mod entity;
pub mod escape;
pub mod evidence;
pub mod layout;
pub mod load;
pub mod output;
pub mod parquet_guard;
pub mod parquet_json;
pub mod pivot;
pub mod record;
pub mod scope;
pub mod source;
pub mod tui;
pub mod verify;
pub mod walk;
