//! A local, size-capped cache of S3 objects keyed by bucket, key and ETag, so that reopening a day
//! costs no download. An entry is only ever served for the ETag it was stored under, only once the
//! whole object arrived (a partial download is thrown away, never shown), and only while its bytes
//! still hash to what was stored: an entry changed behind trawl's back is downloaded again.
//!
//! The cache's size is kept in memory, updated as entries come and go, so finishing an object
//! costs no directory rescan, and one lock makes one eviction at a time: two objects finishing
//! together can never both remove the same oldest entry and then one more.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, ReadBuf};

use super::{ByteReader, Listing, ObjectMeta, Store, StoreError};

/// Each entry starts with the SHA-256 of the object bytes that follow it.
const HEADER: usize = 32;

/// A store in front of another (S3) store, caching whole objects on disk.
pub struct CachedStore {
    inner: Arc<dyn Store>,
    /// Distinguishes buckets in the cache (the inner store's URI of the empty key).
    scope: String,
    dir: PathBuf,
    /// ETags seen in listings, so that a cached read needs no extra request.
    etags: Mutex<HashMap<String, String>>,
    index: Arc<Mutex<Index>>,
}

/// What the cache directory holds, least recently used first.
struct Index {
    max_bytes: u64,
    total: u64,
    /// Entry name → (last use, size).
    entries: HashMap<String, (u64, u64)>,
    /// Last use → entry name: the eviction order.
    by_use: BTreeMap<u64, String>,
    clock: u64,
}

impl Index {
    fn touch(&mut self, name: &str) {
        self.clock += 1;
        let now = self.clock;
        if let Some((used, _)) = self.entries.get_mut(name) {
            self.by_use.remove(used);
            *used = now;
            self.by_use.insert(now, name.to_string());
        }
    }

    fn insert(&mut self, name: &str, size: u64) {
        self.forget(name);
        self.clock += 1;
        self.entries.insert(name.to_string(), (self.clock, size));
        self.by_use.insert(self.clock, name.to_string());
        self.total += size;
    }

    fn forget(&mut self, name: &str) {
        if let Some((used, size)) = self.entries.remove(name) {
            self.by_use.remove(&used);
            self.total -= size;
        }
    }

    /// Removes least recently used entries until the cache fits its cap.
    fn evict(&mut self, dir: &Path) {
        while self.total > self.max_bytes {
            let Some((_, name)) = self.by_use.pop_first() else {
                break;
            };
            // The entry leaves the index whether or not another process removed it first: its
            // bytes are not ours to count either way.
            let _ = std::fs::remove_file(dir.join(&name));
            if let Some((_, size)) = self.entries.remove(&name) {
                self.total -= size;
            }
        }
    }
}

/// Only names of this shape are cache entries: nothing else in the directory is ever removed.
fn is_entry_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Creates the cache directory private to its owner, or refuses one that another user could
/// redirect: a symbolic link, or a directory owned by someone else.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    let refuse = |why: &str| {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "refusing the cache directory {}: {why} (choose another with --cache-dir, or --no-cache)",
                dir.display()
            ),
        )
    };
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() {
        return Err(refuse("it is a symbolic link"));
    }
    if !meta.is_dir() {
        return Err(refuse("it is not a directory"));
    }
    // Cached objects are decrypted evidence: only their owner may read them.
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        // SAFETY: geteuid has no preconditions and cannot fail.
        if meta.uid() != unsafe { libc::geteuid() } {
            return Err(refuse("another user owns it"));
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The entries already on disk, oldest first by modification time.
fn scan(dir: &Path, max_bytes: u64) -> Index {
    let mut found: Vec<(std::time::SystemTime, String, u64)> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let m = e.metadata().ok()?;
            (is_entry_name(&name) && m.is_file()).then_some(())?;
            Some((m.modified().ok()?, name, m.len()))
        })
        .collect();
    found.sort();
    let mut index = Index {
        max_bytes,
        total: 0,
        entries: HashMap::new(),
        by_use: BTreeMap::new(),
        clock: 0,
    };
    for (_, name, size) in found {
        index.insert(&name, size);
    }
    index
}

/// The object bytes of an entry, if they still hash to what the entry says.
fn open_verified(path: &Path) -> Option<File> {
    let mut f = File::open(path).ok()?;
    let mut stored = [0u8; HEADER];
    f.read_exact(&mut stored).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    if h.finalize().as_slice() != stored {
        return None;
    }
    f.seek(SeekFrom::Start(HEADER as u64)).ok()?;
    Some(f)
}

impl CachedStore {
    pub fn new(inner: Arc<dyn Store>, dir: &Path, max_bytes: u64) -> std::io::Result<CachedStore> {
        private_dir(dir)?;
        let mut index = scan(dir, max_bytes);
        index.evict(dir);
        Ok(CachedStore {
            scope: inner.uri(""),
            inner,
            dir: dir.to_path_buf(),
            etags: Mutex::new(HashMap::new()),
            index: Arc::new(Mutex::new(index)),
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

    fn entry_name(&self, key: &str, etag: &str) -> String {
        let mut h = Sha256::new();
        for part in [self.scope.as_str(), key, etag] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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

    /// The cached bytes of an entry, checked against its hash; a damaged entry is removed.
    async fn cached(&self, name: &str) -> Option<File> {
        let path = self.dir.join(name);
        let checked = path.clone();
        let file = tokio::task::spawn_blocking(move || open_verified(&checked))
            .await
            .ok()
            .flatten();
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        match file {
            Some(f) => {
                index.touch(name);
                // Recency on disk too, for the next process that scans the directory.
                let _ = std::fs::OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .and_then(|w| w.set_modified(std::time::SystemTime::now()));
                Some(f)
            }
            None => {
                if path.exists() {
                    let _ = std::fs::remove_file(&path);
                }
                index.forget(name);
                None
            }
        }
    }
}

/// Copies what passes through into a temporary file, which becomes the cache entry only when the
/// stream ends cleanly.
struct Tee {
    inner: ByteReader,
    file: Option<File>,
    hash: Sha256,
    written: u64,
    part: PathBuf,
    name: String,
    dir: PathBuf,
    index: Arc<Mutex<Index>>,
}

impl Tee {
    /// End of the object: seal the entry with its hash, publish it, and keep the cache under its cap.
    fn finish(&mut self) {
        let Some(mut f) = self.file.take() else {
            return;
        };
        let digest = std::mem::take(&mut self.hash).finalize();
        let sealed = f
            .seek(SeekFrom::Start(0))
            .and_then(|_| f.write_all(&digest))
            .and_then(|_| f.sync_all());
        let done = self.dir.join(&self.name);
        if sealed.is_err() || std::fs::rename(&self.part, &done).is_err() {
            let _ = std::fs::remove_file(&self.part);
            return;
        }
        let mut index = self.index.lock().unwrap_or_else(|e| e.into_inner());
        index.insert(&self.name, HEADER as u64 + self.written);
        index.evict(&self.dir);
    }
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
            let this = &mut *self;
            let fresh = &buf.filled()[before..];
            if fresh.is_empty() {
                this.finish();
            } else if let Some(f) = this.file.as_mut() {
                // A cache that cannot be written is no reason to fail the read.
                if f.write_all(fresh).is_ok() {
                    this.hash.update(fresh);
                    this.written += fresh.len() as u64;
                } else {
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

    fn requests(&self) -> u64 {
        self.inner.requests()
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
        let name = self.entry_name(key, &etag);
        if let Some(f) = self.cached(&name).await {
            return Ok(Box::pin(tokio::fs::File::from_std(f)));
        }
        let inner = self.inner.get(key).await?;
        // Two readers of one object (a day's load and a preview) must not share a part file.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let part = self
            .dir
            .join(format!("{name}.{}-{n}.part", std::process::id()));
        // The hash is written over this placeholder once the object is whole.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)
            .and_then(|mut f| f.write_all(&[0; HEADER]).map(|_| f))
            .ok();
        Ok(Box::pin(Tee {
            inner,
            file,
            hash: Sha256::new(),
            written: 0,
            part,
            name,
            dir: self.dir.clone(),
            index: self.index.clone(),
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
