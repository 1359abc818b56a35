//! The one message type background work sends back to the screen: every answer is typed, and the
//! screen only ever changes state when the UI loop handles one.

use crate::load::ObjectResult;
use crate::source::{Listing, ObjectMeta, StoreError};
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
        /// What the listing said of the object (ETag, size, time), kept for evidence export.
        meta: ObjectMeta,
        /// Each record's identity (`dedup::identity`), found by the reading thread.
        ids: Vec<crate::tui::records::Identified>,
    },
    /// A load ended: every object read, or cancelled.
    LoadDone { gen: LoadGen, cancelled: bool },
    /// Log file integrity of CloudTrail objects read (by their URI), and what could not be
    /// checked.
    Verified {
        integrities: crate::verify::Integrities,
        problems: Vec<String>,
    },
    /// What a widened pivot's window holds under the opened sources.
    Estimated {
        gen: u64,
        estimate: crate::tui::widen::Estimate,
    },
    /// A line of an Athena run's progress (query started, state, bytes scanned).
    AthenaProgress { gen: u64, line: String },
    /// The Athena queries of a widened pivot ended.
    AthenaDone {
        gen: u64,
        result: Result<crate::athena::run::PivotRun, crate::tui::widen::WidenError>,
    },
    /// A pivot's scan knows what its window holds under the opened sources.
    ScanPlanned {
        gen: u64,
        objects: usize,
        bytes: u64,
        /// Folders that could not be listed.
        unlisted: Vec<StoreError>,
    },
    /// One object of a pivot's scan was read: the records in it that name the entity.
    ScanFound {
        gen: u64,
        found: crate::scan::Found,
        progress: crate::scan::Progress,
    },
    /// A pivot's scan ended: every object read, or stopped.
    ScanDone { gen: u64, stopped: bool },
    /// The partition index (every day folder of every source) that the palette searches.
    Indexed {
        rows: Vec<(usize, LsRow)>,
        failures: Vec<StoreError>,
    },
}
