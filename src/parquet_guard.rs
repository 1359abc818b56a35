//! Parquet objects are attacker-controlled, and the parquet crate asserts (panics) on some forged
//! metadata: check what it asserts before it reads, and turn any other panic of its into a
//! problem with the object, so a hostile file costs that file and never the reader's thread.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use parquet::file::metadata::ParquetMetaData;

/// Every column chunk must lie inside the file: negative offsets or sizes make the parquet crate
/// panic, and ranges past the end would only fail later with a vaguer message.
pub fn check_metadata(meta: &ParquetMetaData, file_len: u64) -> Result<(), String> {
    for (g, group) in meta.row_groups().iter().enumerate() {
        if group.num_rows() < 0 {
            return Err(format!("row group {g} claims {} rows", group.num_rows()));
        }
        for (c, col) in group.columns().iter().enumerate() {
            let start = col
                .dictionary_page_offset()
                .unwrap_or_else(|| col.data_page_offset());
            let len = col.compressed_size();
            let inside = start >= 0
                && len >= 0
                && (start as u64)
                    .checked_add(len as u64)
                    .is_some_and(|end| end <= file_len);
            if !inside {
                return Err(format!(
                    "column {c} of row group {g} claims bytes {start}..+{len} of a {file_len}-byte file"
                ));
            }
        }
    }
    Ok(())
}

/// Runs `f`, turning a panic into its message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| panic_text(&*p))
}

fn panic_text(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a malformed file".to_string())
}
