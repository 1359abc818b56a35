//! A folder on disk laid out like a bucket (for instance a copy made with `aws s3 sync`).

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
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
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
            p.push(seg);
        }
        p
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
        self.path_of(key).display().to_string()
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
                let name = entry.file_name().to_string_lossy().into_owned();
                // Follow symlinks: a lake assembled from links should read like the real thing.
                let Ok(meta) = std::fs::metadata(entry.path()) else {
                    continue;
                };
                if meta.is_dir() {
                    listing.folders.push(format!("{prefix}{name}/"));
                } else if meta.is_file() {
                    listing
                        .objects
                        .push(this.meta_of(&format!("{prefix}{name}"), &meta));
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
