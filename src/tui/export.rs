//! Evidence on screen: `e` writes what the record pane shows (the filtered list, or the pivot
//! timeline) with each record's provenance, and `m` bookmarks records so they are found again,
//! here with `'` and after a dropped connection with `trawl --resume`.

use std::collections::BTreeSet;

use crate::record::Record;

/// Bookmarks name a record by its object and position, so they outlive a reload.
pub(crate) fn bookmark_key(r: &Record) -> (String, u64) {
    (r.origin.object.to_string(), r.origin.position)
}

/// Whether `r` is among `bookmarks` (the list draws with this too, while the app is borrowed).
pub fn bookmarked(bookmarks: &BTreeSet<(String, u64)>, r: &Record) -> bool {
    !bookmarks.is_empty() && bookmarks.contains(&bookmark_key(r))
}
