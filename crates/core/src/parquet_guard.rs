//! Parquet objects are attacker-controlled, and the parquet crate asserts (panics) on some forged
//! metadata: check what it asserts before it reads, and turn any other panic of its into a
//! problem with the object, so a hostile file costs that file and never the reader's thread.

use std::any::Any;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};

use parquet::file::metadata::ParquetMetaData;

use crate::decode::{Item, Problem, Sink};

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

/// Runs a Parquet decoder; a panic inside it becomes a fatal problem at the row it reached.
pub fn guarded<R>(
    input: R,
    sink: &mut Sink<'_>,
    decode: fn(R, &mut Sink<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut last_row = 0;
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        decode(input, &mut |item| {
            if let Item::Value(_, row) = &item {
                last_row = *row;
            }
            sink(item)
        })
    }));
    caught.unwrap_or_else(|p| {
        sink(Item::Problem(Problem {
            line: Some(last_row + 1),
            message: format!(
                "Parquet file not readable (the reader failed: {})",
                panic_text(&*p)
            ),
            fatal: true,
        }))
    })
}

fn panic_text(p: &(dyn Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a malformed file".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panics_after_one_row(_: (), sink: &mut Sink<'_>) -> ControlFlow<()> {
        sink(Item::Value(serde_json::json!({"row": 1}), 1))?;
        panic!("index out of bounds: the len is 0 but the index is 7")
    }

    #[test]
    fn a_panicking_reader_is_a_problem_at_the_row_it_reached() {
        let mut items = Vec::new();
        let flow = guarded(
            (),
            &mut |i| {
                items.push(i);
                ControlFlow::Continue(())
            },
            panics_after_one_row,
        );
        assert!(flow.is_continue());
        assert_eq!(items.len(), 2);
        let Item::Problem(p) = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(p.line, Some(2));
        assert!(p.fatal);
        assert!(
            p.message.contains("the reader failed: index out of bounds"),
            "{}",
            p.message
        );
    }
}
