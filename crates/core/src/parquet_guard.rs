//! Parquet objects are attacker-controlled, and the parquet crate asserts (panics) on some forged
//! metadata: check what it asserts before it reads, and turn any other panic of its into a
//! problem with the object, so a hostile file costs that file and never the reader's thread.

use std::any::Any;
use std::cell::Cell;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use std::io::Read;

use bytes::{Buf, Bytes};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, Length};

use crate::decoded::{Item, Problem, Sink};

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

/// Deepest nesting of groups read: OCSF nests a handful of levels (a list adds two). The parquet
/// crate builds its schema, readers and rows recursively, level by level, so a forged schema a
/// thousand levels deep overflows the thread's stack, which no `catch_unwind` can stop: the
/// footer is checked before the crate parses it.
pub const MAX_SCHEMA_DEPTH: usize = 64;

/// Most leaf columns read: each one gets a reader and a buffer per row group.
pub const MAX_COLUMNS: usize = 10_000;

/// The tail fetched at once: the footer of most files fits, so a remote file costs one request.
const TAIL: u64 = 64 << 10;

/// A Parquet file whose footer has been read and checked; reads of the footer are served from
/// what was fetched for the check.
pub struct Checked<R> {
    inner: R,
    tail_start: u64,
    tail: Bytes,
}

/// Reads the footer of `input` and checks its schema's depth and width without building it.
pub fn check_footer<R: ChunkReader>(input: R) -> Result<Checked<R>, String> {
    let len = input.len();
    if len < 12 {
        return Err(format!("{len} bytes is too short for a Parquet file"));
    }
    let tail_start = len - TAIL.min(len);
    let fetch = |start: u64, n: u64| {
        input
            .get_bytes(start, n as usize)
            .map_err(|e| format!("its footer could not be read ({e})"))
    };
    let mut tail = fetch(tail_start, len - tail_start)?;
    let mut tail_start = tail_start;
    let end = &tail[tail.len() - 8..];
    if &end[4..] != b"PAR1" {
        // Encrypted footers and other oddities are left to the crate, which refuses them.
        return Ok(Checked {
            inner: input,
            tail_start,
            tail,
        });
    }
    let meta_len = u64::from(u32::from_le_bytes(end[..4].try_into().expect("4 bytes")));
    let meta_start = (len - 8)
        .checked_sub(meta_len)
        .filter(|&s| s >= 4)
        .ok_or_else(|| format!("its footer claims {meta_len} bytes of a {len}-byte file"))?;
    if meta_start < tail_start {
        tail = fetch(meta_start, len - meta_start)?;
        tail_start = meta_start;
    }
    let meta = &tail[(meta_start - tail_start) as usize..tail.len() - 8];
    let (depth, columns) =
        thrift::schema_shape(meta).map_err(|e| format!("its footer is malformed ({e})"))?;
    if depth > MAX_SCHEMA_DEPTH {
        return Err(format!(
            "its schema is nested {depth} levels deep; at most {MAX_SCHEMA_DEPTH} are read"
        ));
    }
    if columns > MAX_COLUMNS {
        return Err(format!(
            "its schema has {columns} columns; at most {MAX_COLUMNS} are read"
        ));
    }
    Ok(Checked {
        inner: input,
        tail_start,
        tail,
    })
}

impl<R: ChunkReader> Length for Checked<R> {
    fn len(&self) -> u64 {
        self.inner.len()
    }
}

impl<R: ChunkReader> ChunkReader for Checked<R> {
    type T = Either<bytes::buf::Reader<Bytes>, R::T>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        if start >= self.tail_start {
            let from = ((start - self.tail_start) as usize).min(self.tail.len());
            return Ok(Either::Tail(self.tail.slice(from..).reader()));
        }
        self.inner.get_read(start).map(Either::Inner)
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        if start >= self.tail_start {
            let from = (start - self.tail_start) as usize;
            if let Some(to) = from.checked_add(length).filter(|&t| t <= self.tail.len()) {
                return Ok(self.tail.slice(from..to));
            }
        }
        self.inner.get_bytes(start, length)
    }
}

/// A read of the fetched tail or of the file.
pub enum Either<A, B> {
    Tail(A),
    Inner(B),
}

impl<A: Read, B: Read> Read for Either<A, B> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Either::Tail(a) => a.read(buf),
            Either::Inner(b) => b.read(buf),
        }
    }
}

/// Just enough of Thrift's compact protocol to read the schema's shape from `FileMetaData`:
/// field 2 is the schema, a flat list of elements in depth-first order, each naming its number
/// of children (field 5). Everything else is skipped, with a bound on nesting of its own.
mod thrift {
    pub fn schema_shape(buf: &[u8]) -> Result<(usize, usize), String> {
        let mut r = Reader { buf, pos: 0 };
        let mut last = 0i16;
        loop {
            let (id, ty) = r.field_header(&mut last)?;
            match (id, ty) {
                (_, STOP) => return Err("no schema".into()),
                (2, LIST) => return schema(&mut r),
                _ => r.skip(ty, 0)?,
            }
        }
    }

    const STOP: u8 = 0;
    const LIST: u8 = 9;
    const STRUCT: u8 = 12;
    /// How deep a skipped value may nest (the metadata's own structs nest three or four).
    const SKIP_DEPTH: usize = 32;

    fn schema(r: &mut Reader) -> Result<(usize, usize), String> {
        let (n, ty) = r.list_header()?;
        if ty != STRUCT {
            return Err("the schema is not a list of elements".into());
        }
        // Children still expected by each open group, innermost last.
        let mut open: Vec<u64> = Vec::new();
        let (mut deepest, mut leaves) = (0, 0);
        for i in 0..n {
            let children = element(r)?;
            if let Some(top) = open.last_mut() {
                *top -= 1;
            } else if i > 0 {
                break; // past the root's children: the crate says what is wrong
            }
            if children > 0 {
                open.push(children);
                // Groups inside the root.
                deepest = deepest.max(open.len() - 1);
            } else if i > 0 {
                leaves += 1;
            }
            while open.last() == Some(&0) {
                open.pop();
            }
        }
        Ok((deepest, leaves))
    }

    /// One `SchemaElement`: its `num_children`, 0 for a leaf.
    fn element(r: &mut Reader) -> Result<u64, String> {
        let mut last = 0i16;
        let mut children = 0;
        loop {
            let (id, ty) = r.field_header(&mut last)?;
            match (id, ty) {
                (_, STOP) => return Ok(children),
                (5, 5) => children = u64::try_from(r.zigzag()?).unwrap_or(0),
                _ => r.skip(ty, 1)?,
            }
        }
    }

    struct Reader<'a> {
        buf: &'a [u8],
        pos: usize,
    }

    impl Reader<'_> {
        fn byte(&mut self) -> Result<u8, String> {
            let b = *self.buf.get(self.pos).ok_or("it ends early")?;
            self.pos += 1;
            Ok(b)
        }

        fn varint(&mut self) -> Result<u64, String> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let b = self.byte()?;
                v |= u64::from(b & 0x7f) << shift;
                if b & 0x80 == 0 {
                    return Ok(v);
                }
            }
            Err("a number runs on".into())
        }

        fn zigzag(&mut self) -> Result<i64, String> {
            let v = self.varint()?;
            Ok((v >> 1) as i64 ^ -((v & 1) as i64))
        }

        fn advance(&mut self, n: u64) -> Result<(), String> {
            let end = usize::try_from(n)
                .ok()
                .and_then(|n| self.pos.checked_add(n))
                .filter(|&e| e <= self.buf.len())
                .ok_or("it ends early")?;
            self.pos = end;
            Ok(())
        }

        fn field_header(&mut self, last: &mut i16) -> Result<(i16, u8), String> {
            let b = self.byte()?;
            let ty = b & 0x0f;
            if ty == STOP {
                return Ok((0, STOP));
            }
            let delta = i16::from(b >> 4);
            *last = if delta == 0 {
                i16::try_from(self.zigzag()?).map_err(|_| "a field id out of range")?
            } else {
                last.wrapping_add(delta)
            };
            Ok((*last, ty))
        }

        fn list_header(&mut self) -> Result<(u64, u8), String> {
            let b = self.byte()?;
            let n = match b >> 4 {
                15 => self.varint()?,
                n => u64::from(n),
            };
            Ok((n, b & 0x0f))
        }

        fn skip(&mut self, ty: u8, depth: usize) -> Result<(), String> {
            if depth > SKIP_DEPTH {
                return Err("nested too deep".into());
            }
            match ty {
                1 | 2 => Ok(()),
                3 => self.advance(1),
                4..=6 => self.varint().map(drop),
                7 => self.advance(8),
                8 => {
                    let n = self.varint()?;
                    self.advance(n)
                }
                9 | 10 => {
                    let (n, elem) = self.list_header()?;
                    for _ in 0..n {
                        // Booleans in a list take a byte each.
                        if matches!(elem, 1 | 2) {
                            self.advance(1)?;
                        } else {
                            self.skip(elem, depth + 1)?;
                        }
                    }
                    Ok(())
                }
                11 => {
                    let n = self.varint()?;
                    if n == 0 {
                        return Ok(());
                    }
                    let kv = self.byte()?;
                    for _ in 0..n {
                        self.skip(kv >> 4, depth + 1)?;
                        self.skip(kv & 0x0f, depth + 1)?;
                    }
                    Ok(())
                }
                STRUCT => {
                    let mut last = 0i16;
                    loop {
                        let (_, t) = self.field_header(&mut last)?;
                        if t == STOP {
                            return Ok(());
                        }
                        self.skip(t, depth + 1)?;
                    }
                }
                other => Err(format!("unknown type {other}")),
            }
        }
    }
}

thread_local! {
    /// Set while this thread runs a guarded decoder: a panic there is caught and reported as a
    /// problem, so the panic hooks must say nothing (and the screen's must not restore the
    /// terminal under the running screen).
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a panic on this thread now will be caught by [`guarded`].
pub fn catching() -> bool {
    CATCHING.with(Cell::get)
}

/// Wraps the panic hook installed now so that it stays silent for panics [`guarded`] catches.
/// Called once by the first guarded decode, and by a front end after it installs a hook of its
/// own (the screen's restores the terminal).
pub fn quiet_caught_panics() {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !catching() {
            hook(info)
        }
    }));
}

/// Runs a Parquet decoder; a panic inside it becomes a fatal problem at the row it reached.
pub fn guarded<R>(
    input: R,
    sink: &mut Sink<'_>,
    decode: fn(R, &mut Sink<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    static QUIET: Once = Once::new();
    QUIET.call_once(quiet_caught_panics);
    let mut last_row = 0;
    let outer = CATCHING.with(|c| c.replace(true));
    let caught = panic::catch_unwind(AssertUnwindSafe(|| {
        decode(input, &mut |item| {
            if let Item::Value(_, row) = &item {
                last_row = *row;
            }
            sink(item)
        })
    }));
    CATCHING.with(|c| c.set(outer));
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
