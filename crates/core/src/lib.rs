//! The core of trawl, a terminal investigator for AWS security logs. It knows no terminal and no
//! command line (the compiler keeps it so: this crate depends on neither); the `trawl` binary's
//! `cli` and `tui` are the front ends over it.

pub mod athena;
pub mod config;
pub mod count;
pub mod decode;
pub mod decoded;
pub mod dedup;
pub mod demo;
pub mod detect;
pub mod entity;
pub mod escape;
pub mod evidence;
pub mod identity;
pub mod layout;
pub mod load;
pub mod parquet_guard;
pub mod parquet_json;
pub mod pivot;
pub mod private_file;
pub mod query;
pub mod raw;
pub mod record;
pub mod scan;
pub mod scope;
pub mod source;
pub mod text;
pub mod verify;
pub mod walk;
