//! A folder on disk laid out like a bucket (for instance a copy made with `aws s3 sync`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::{ByteReader, FailureKind, Listing, ObjectMeta, Source, Store, StoreError};

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// A local SOURCE: a folder becomes the store's root; a file is one object in its folder.
    pub fn open_source(spec: &str) -> anyhow::Result<Source> {
        let path = Path::new(spec);
        let meta =
            std::fs::metadata(path).map_err(|e| anyhow::anyhow!("{spec}: {}", describe_io(&e)))?;
        // A FIFO would block the read for ever, and a device is no log.
        if !meta.is_dir() && !meta.is_file() {
            anyhow::bail!("{spec}: {}", not_a_file(&meta));
        }
        if meta.is_dir() {
            return Ok(Source {
                store: Arc::new(LocalStore::new(path)),
                prefix: String::new(),
                object: None,
                name: spec.to_string(),
            });
        }
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path.file_name().map(readable).unwrap_or_default();
        let store = LocalStore::new(parent);
        Ok(Source {
            object: Some(store.meta_of(&name, &meta)),
            store: Arc::new(store),
            prefix: String::new(),
            name: spec.to_string(),
        })
    }

    fn path_of(&self, key: &str) -> PathBuf {
        // Empty segments (a doubled `/`) cannot exist on disk; skip them as S3 copies do.
        let mut p = self.root.clone();
        for seg in key.split('/').filter(|s| !s.is_empty() && *s != "..") {
            p.push(segment_name(seg));
        }
        p
    }

    /// Why the folder symlink at `path` (listed under `prefix`) is not followed, if it is not:
    /// one that leads back into the source is read where it really is (following it would read
    /// it twice, or forever for `l -> .`); one that leads out is followed unless it leads to a
    /// folder it lies in (a loop through folders outside the source).
    fn loops_back(&self, prefix: &str, path: &Path) -> Option<String> {
        let target = match std::fs::canonicalize(path) {
            Ok(t) => t,
            Err(e) => return Some(describe_io(&e)),
        };
        let root = std::fs::canonicalize(&self.root).ok()?;
        if target.starts_with(&root) {
            return Some(format!(
                "a link back into the source (to {}), read where it is",
                readable(target.as_os_str())
            ));
        }
        // The folders the link lies in, as the walk reached them (through links too).
        let mut at = self.root.clone();
        let mut within = vec![root];
        for seg in prefix.split('/').filter(|s| !s.is_empty() && *s != "..") {
            at.push(segment_name(seg));
            within.extend(std::fs::canonicalize(&at).ok());
        }
        within
            .iter()
            .any(|w| w.starts_with(&target))
            .then(|| format!("a symlink loop (to {})", readable(target.as_os_str())))
    }

    fn meta_of(&self, key: &str, m: &std::fs::Metadata) -> ObjectMeta {
        let last_modified = m.modified().ok().map(|t| {
            chrono::DateTime::<chrono::Utc>::from(t)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
        ObjectMeta {
            key: key.to_string(),
            size: Some(m.len()),
            etag: None,
            last_modified,
        }
    }

    fn err(&self, key: &str, e: &std::io::Error) -> StoreError {
        let kind = match e.kind() {
            std::io::ErrorKind::NotFound => FailureKind::NotFound,
            std::io::ErrorKind::PermissionDenied => FailureKind::AccessDenied,
            _ => FailureKind::Other,
        };
        StoreError::new(self.uri(key), kind, e.to_string())
    }
}

/// What a path that is neither a folder nor a regular file is.
fn not_a_file(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO, not a regular file"
    } else if t.is_socket() {
        "a socket, not a regular file"
    } else if t.is_block_device() || t.is_char_device() {
        "a device, not a regular file"
    } else {
        "not a regular file"
    }
}

/// A file name as a key: UTF-8 as it is; any byte that is not UTF-8 as `\xHH`, so the name
/// stays readable and distinct (and [`LocalStore::path_of`] finds the file again).
fn readable(name: &OsStr) -> String {
    let bytes = name.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// A key segment back to its file name: `\xHH` escapes are bytes again when they are what
/// made the name unreadable (a valid UTF-8 name that happens to hold `\x41` is left alone).
fn segment_name(seg: &str) -> OsString {
    if !seg.contains("\\x") {
        return OsString::from(seg);
    }
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex.filter(|_| b[i] == b'\\' && b.get(i + 1) == Some(&b'x')) {
            Some(h) if u8::from_str_radix(h, 16).is_ok() => {
                out.push(u8::from_str_radix(h, 16).expect("checked"));
                i += 4;
            }
            _ => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    if std::str::from_utf8(&out).is_ok() {
        OsString::from(seg)
    } else {
        OsString::from_vec(out)
    }
}

fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[async_trait]
impl Store for LocalStore {
    fn uri(&self, key: &str) -> String {
        readable(self.path_of(key).as_os_str())
    }

    async fn list_level(&self, prefix: &str) -> Result<Listing, StoreError> {
        let dir = self.path_of(prefix);
        let this = self.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            let mut listing = Listing::default();
            let entries = std::fs::read_dir(&dir).map_err(|e| this.err(&prefix, &e))?;
            for entry in entries {
                let entry = entry.map_err(|e| this.err(&prefix, &e))?;
                let name = readable(&entry.file_name());
                let path = entry.path();
                let key = format!("{prefix}{name}");
                let link = entry.file_type().is_ok_and(|t| t.is_symlink());
                // Follow symlinks: a lake assembled from links should read like the real thing.
                let meta = match std::fs::metadata(&path) {
                    Ok(m) => m,
                    Err(e) => {
                        let why = if link {
                            "a symlink to nothing".to_string()
                        } else {
                            describe_io(&e)
                        };
                        listing
                            .skipped
                            .push(format!("{}: not read: {why}", this.uri(&key)));
                        continue;
                    }
                };
                if meta.is_dir() {
                    match link.then(|| this.loops_back(&prefix, &path)).flatten() {
                        Some(why) => listing
                            .skipped
                            .push(format!("{}/: not followed: {why}", this.uri(&key))),
                        None => listing.folders.push(format!("{key}/")),
                    }
                } else if meta.is_file() {
                    listing.objects.push(this.meta_of(&key, &meta));
                } else {
                    listing.skipped.push(format!(
                        "{}: not read: {}",
                        this.uri(&key),
                        not_a_file(&meta)
                    ));
                }
            }
            listing.folders.sort();
            listing.objects.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(listing)
        })
        .await
        .map_err(|e| StoreError::new(self.uri(""), FailureKind::Other, e.to_string()))?
    }

    async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut out = Vec::new();
        let mut stack = vec![prefix.to_string()];
        while let Some(p) = stack.pop() {
            let l = self.list_level(&p).await?;
            out.extend(l.objects);
            stack.extend(l.folders.into_iter().rev());
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let m = tokio::fs::metadata(self.path_of(key))
            .await
            .map_err(|e| self.err(key, &e))?;
        if !m.is_file() {
            return Err(StoreError::new(
                self.uri(key),
                FailureKind::NotFound,
                "not a file",
            ));
        }
        Ok(self.meta_of(key, &m))
    }

    async fn get(&self, key: &str) -> Result<ByteReader, StoreError> {
        let f = tokio::fs::File::open(self.path_of(key))
            .await
            .map_err(|e| self.err(key, &e))?;
        Ok(Box::pin(f))
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<bytes::Bytes, StoreError> {
        use tokio::io::{AsyncReadExt, AsyncSeekExt};
        let mut f = tokio::fs::File::open(self.path_of(key))
            .await
            .map_err(|e| self.err(key, &e))?;
        f.seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| self.err(key, &e))?;
        let mut buf = Vec::new();
        f.take(len)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| self.err(key, &e))?;
        Ok(buf.into())
    }

    fn local_path(&self, key: &str) -> Option<PathBuf> {
        Some(self.path_of(key))
    }
}
