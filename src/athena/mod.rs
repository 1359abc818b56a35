//! Athena: table DDL with partition projection over the real layouts, the pivot as SQL pruned to
//! a window, and queries run, paged and cancelled, with results turned back into records.
//!
//! The on-screen `a` key (widen the current pivot to Athena, with an estimate and a byte budget
//! from `[athena] byte_budget`) is left for the TUI: it can call `pivot::plan` and
//! `client::run_query` as the command line does.

pub mod client;
pub mod command;
pub mod config;
pub mod cost;
pub mod ddl;
pub mod pivot;
pub mod results;

pub use command::{run, AthenaCommand};
