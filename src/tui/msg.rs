//! The one message type background work sends back to the screen: every answer is typed, and the
//! screen only ever changes state when the UI loop handles one.

use crate::load::ObjectResult;
use crate::source::{Listing, StoreError};
use crate::walk::LsRow;

/// Which load a message belongs to: a newer load makes older answers stale, and they are dropped.
pub type LoadGen = u64;

#[derive(Debug)]
pub enum Msg {
    /// One folder level of the partition tree was listed (or failed).
    Listed {
        node: usize,
        /// The prefix that was listed; a node whose prefix moved on ignores the answer.
        prefix: String,
        result: Result<Listing, StoreError>,
    },
    /// A load knows what it will read.
    LoadPlanned {
        gen: LoadGen,
        objects: usize,
        bytes: u64,
    },
    /// A load could not even find its objects.
    LoadFailed { gen: LoadGen, error: StoreError },
    /// One object of a load was read (its records, and any problems with it).
    ObjectRead {
        gen: LoadGen,
        result: ObjectResult,
        bytes: u64,
    },
    /// A load ended: every object read, or cancelled.
    LoadDone { gen: LoadGen, cancelled: bool },
    /// The partition index (every day folder of every source) that the palette searches.
    Indexed {
        rows: Vec<(usize, LsRow)>,
        failures: Vec<StoreError>,
    },
}
