//! Random access to an object by ranged GETs, so Parquet can read its footer and then one row
//! group's column chunks at a time instead of downloading the whole object first.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};
use tokio::runtime::Handle;

use super::Store;

/// How much one sequential read fetches at a time.
const READ_CHUNK: u64 = 1 << 20;

/// A blocking view of one object for decoders that run on a blocking thread; each read is a
/// ranged GET driven on the runtime.
#[derive(Clone)]
pub struct RangeReader {
    store: Arc<dyn Store>,
    key: String,
    len: u64,
    runtime: Handle,
}

impl RangeReader {
    /// Must be created inside the runtime (it keeps its handle) and used off it.
    pub fn new(store: Arc<dyn Store>, key: &str, len: u64) -> RangeReader {
        RangeReader {
            store,
            key: key.to_string(),
            len,
            runtime: Handle::current(),
        }
    }

    fn fetch(&self, start: u64, len: u64) -> io::Result<Bytes> {
        let len = len.min(self.len.saturating_sub(start));
        if len == 0 {
            return Ok(Bytes::new());
        }
        self.runtime
            .block_on(self.store.get_range(&self.key, start, len))
            .map_err(|e| io::Error::other(e.to_string()))
    }
}

impl Length for RangeReader {
    fn len(&self) -> u64 {
        self.len
    }
}

/// A sequential reader from an offset that fetches a chunk at a time.
pub struct RangeRead {
    source: RangeReader,
    pos: u64,
    buf: Bytes,
}

impl Read for RangeRead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buf.is_empty() {
            self.buf = self.source.fetch(self.pos, READ_CHUNK)?;
            if self.buf.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf.split_to(n));
        self.pos += n as u64;
        Ok(n)
    }
}

impl ChunkReader for RangeReader {
    type T = RangeRead;

    fn get_read(&self, start: u64) -> parquet::errors::Result<RangeRead> {
        Ok(RangeRead {
            source: self.clone(),
            pos: start,
            buf: Bytes::new(),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let b = self
            .fetch(start, length as u64)
            .map_err(|e| ParquetError::External(Box::new(e)))?;
        if b.len() != length {
            return Err(ParquetError::EOF(format!(
                "wanted {length} bytes at {start}, the object gave {}",
                b.len()
            )));
        }
        Ok(b)
    }
}
