//! Athena: table DDL with partition projection over the real layouts, the pivot as SQL pruned to
//! a window, and queries run, paged and cancelled, with results turned back into records.

pub mod client;
pub mod cost;
pub mod ddl;
pub mod pivot;
pub mod read_only;
pub mod results;
pub mod run;
