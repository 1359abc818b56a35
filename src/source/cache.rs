//! A local, size-capped cache of S3 objects keyed by bucket, key and ETag, so that reopening a day
//! costs no download. An entry is only ever served for the ETag it was stored under, and only once
//! the whole object arrived: a partial download is thrown away, never shown.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, ReadBuf};

use super::{ByteReader, Listing, ObjectMeta, Store, StoreError};

/// A store in front of another (S3) store, caching whole objects on disk.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    /// Distinguishes buckets in the cache (the inner store's URI of the empty key).
    scope: String,
    dir: PathBuf,
    max_bytes: u64,
    /// ETags seen in listings, so that a cached read needs no extra request.
    etags: Mutex<HashMap<String, String>>,
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>, dir: &Path, max_bytes: u64) -> std::io::Result<CachedStore> {
        std::fs::create_dir_all(dir)?;
        // Cached objects are decrypted evidence: only their owner may read them.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(CachedStore {
            scope: inner.uri(""),
            inner,
            dir: dir.to_path_buf(),
            max_bytes,
            etags: Mutex::new(HashMap::new()),
        })
    }

    fn remember(&self, objects: &[ObjectMeta]) {
        let mut etags = self.etags.lock().unwrap_or_else(|e| e.into_inner());
        for o in objects {
            if let Some(e) = &o.etag {
                etags.insert(o.key.clone(), e.clone());
            }
        }
    }

    fn entry(&self, key: &str, etag: &str) -> PathBuf {
        let mut h = Sha256::new();
        for part in [self.scope.as_str(), key, etag] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let name: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(name)
    }

    async fn etag_of(&self, key: &str) -> Result<Option<String>, StoreError> {
        let known = self
            .etags
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned();
        match known {
            Some(e) => Ok(Some(e)),
            None => Ok(self.inner.head(key).await?.etag),
        }
    }

    /// Keeps the cache under its cap by removing the least recently used entries.
    fn evict(dir: &Path, max_bytes: u64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut files: Vec<(std::time::SystemTime, u64, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let m = e.metadata().ok()?;
                let complete = m.is_file() && !e.file_name().to_string_lossy().ends_with(".part");
                complete.then_some(())?;
                Some((m.modified().ok()?, m.len(), e.path()))
            })
            .collect();
        let mut total: u64 = files.iter().map(|f| f.1).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= max_bytes {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// Copies what passes through into a temporary file, which becomes the cache entry only when the
/// stream ends cleanly.
struct Tee {
    inner: ByteReader,
    file: Option<File>,
    part: PathBuf,
    done: PathBuf,
    dir: PathBuf,
    max_bytes: u64,
}

impl AsyncRead for Tee {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = self.inner.as_mut().poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &polled {
            let fresh = buf.filled()[before..].to_vec();
            let this = &mut *self;
            if fresh.is_empty() {
                // End of the object: the entry is complete.
                if let Some(f) = this.file.take() {
                    if f.sync_all().is_ok() && std::fs::rename(&this.part, &this.done).is_ok() {
                        CachedStore::evict(&this.dir, this.max_bytes);
                    }
                }
            } else if let Some(f) = this.file.as_mut() {
                // A cache that cannot be written is no reason to fail the read.
                if f.write_all(&fresh).is_err() {
                    this.file = None;
                    let _ = std::fs::remove_file(&this.part);
                }
            }
        }
        polled
    }
}

impl Drop for Tee {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

#[async_trait]
impl Store for CachedStore {
    fn uri(&self, key: &str) -> String {
        self.inner.uri(key)
    }

    async fn list_level(&self, prefix: &str) -> Result<Listing, StoreError> {
        let l = self.inner.list_level(prefix).await?;
        self.remember(&l.objects);
        Ok(l)
    }

    async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let l = self.inner.list_all(prefix).await?;
        self.remember(&l);
        Ok(l)
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let m = self.inner.head(key).await?;
        self.remember(std::slice::from_ref(&m));
        Ok(m)
    }

    async fn get(&self, key: &str) -> Result<ByteReader, StoreError> {
        let Some(etag) = self.etag_of(key).await? else {
            return self.inner.get(key).await;
        };
        let done = self.entry(key, &etag);
        if let Ok(f) = tokio::fs::File::open(&done).await {
            // Touch it, so eviction sees it as recently used.
            let _ = std::fs::OpenOptions::new()
                .append(true)
                .open(&done)
                .and_then(|w| w.set_modified(std::time::SystemTime::now()));
            return Ok(Box::pin(f));
        }
        let inner = self.inner.get(key).await?;
        // Two readers of one object (a day's load and a preview) must not share a part file.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let part = done.with_extension(format!("{}-{n}.part", std::process::id()));
        let file = File::create(&part).ok();
        Ok(Box::pin(Tee {
            inner,
            file,
            part,
            done,
            dir: self.dir.clone(),
            max_bytes: self.max_bytes,
        }))
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<bytes::Bytes, StoreError> {
        self.inner.get_range(key, start, len).await
    }

    async fn user_metadata(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, String>>, StoreError> {
        self.inner.user_metadata(key).await
    }
}
