//! Where records are read from: a local folder or an S3 bucket, behind one read-only store trait.
//!
//! A store lists one folder level at a time (S3's delimiter listing), lists under a prefix, heads
//! and streams objects. Nothing here writes: trawl never changes a bucket.

mod body;
mod cache;
pub mod cse;
mod local;
mod ranged;
mod s3;

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::AsyncRead;

pub use body::error_chain;
pub use cache::CachedStore;
pub use local::LocalStore;
pub use ranged::RangeReader;
pub use s3::{
    grant_statement, AwsOptions, ReadOptions, S3Store, SseCustomerKey, DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_SECS,
};

/// One object as a listing or a head request describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: Option<u64>,
    pub etag: Option<String>,
    /// RFC 3339, UTC.
    pub last_modified: Option<String>,
}

/// One level of a folder: its sub-folders (full prefixes ending in `/`) and its objects.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    pub folders: Vec<String>,
    pub objects: Vec<ObjectMeta>,
    /// What the level holds that is not read, each with why (a symlink loop, a dangling link,
    /// a FIFO or device): said, never silently dropped.
    pub skipped: Vec<String>,
}

pub type ByteReader = Pin<Box<dyn AsyncRead + Send>>;

/// Why a store request failed, in words an on-call engineer can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    NotFound,
    AccessDenied,
    Throttled,
    Timeout,
    NoCredentials,
    Other,
}

#[derive(Debug, Clone)]
pub struct StoreError {
    pub uri: String,
    pub kind: FailureKind,
    pub detail: String,
}

impl StoreError {
    pub fn new(uri: impl Into<String>, kind: FailureKind, detail: impl Into<String>) -> Self {
        StoreError {
            uri: uri.into(),
            kind,
            detail: detail.into(),
        }
    }
}

impl StoreError {
    /// What went wrong without the object's name, for lists that already show it.
    pub fn reason(&self) -> String {
        let full = self.to_string();
        full.strip_prefix(&format!("{}: ", self.uri))
            .map(str::to_string)
            .unwrap_or(full)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            FailureKind::NotFound => "not found",
            FailureKind::AccessDenied => "access denied",
            FailureKind::Throttled => "throttled",
            FailureKind::Timeout => "timed out",
            FailureKind::NoCredentials => "no AWS credentials",
            FailureKind::Other => "failed",
        };
        write!(f, "{}: {what}", self.uri)?;
        if !self.detail.is_empty() {
            write!(f, " ({})", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for StoreError {}

/// A read-only view of a bucket or a folder. Keys use `/` on every platform.
#[async_trait]
pub trait Store: Send + Sync {
    /// How a key is shown to people and in output (`s3://bucket/key`, or a local path).
    fn uri(&self, key: &str) -> String;

    /// One level below `prefix` (which is empty or ends in `/`).
    async fn list_level(&self, prefix: &str) -> Result<Listing, StoreError>;

    /// Every object under `prefix`, however deep, following pagination.
    async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError>;

    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError>;

    /// The object's bytes as a stream, as stored (S3 removes SSE-KMS/SSE-S3 on the way).
    async fn get(&self, key: &str) -> Result<ByteReader, StoreError>;

    /// `len` bytes from `start` (fewer at the end of the object).
    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<bytes::Bytes, StoreError>;

    /// Requests sent to the service so far (a local folder sends none): what progress shows
    /// and what listing at scale costs.
    fn requests(&self) -> u64 {
        0
    }

    /// The file behind a key when the store is local, so decoders can read it without a runtime.
    fn local_path(&self, _key: &str) -> Option<PathBuf> {
        None
    }

    /// The object's user metadata (`x-amz-meta-NAME`, by NAME in lower case), where CloudTrail
    /// keeps a digest's signature. `None` when the store keeps no metadata (a local copy).
    async fn user_metadata(
        &self,
        _key: &str,
    ) -> Result<Option<std::collections::HashMap<String, String>>, StoreError> {
        Ok(None)
    }
}

/// One SOURCE argument, opened: a store, and either a folder prefix or one object in it.
#[derive(Clone)]
pub struct Source {
    pub store: Arc<dyn Store>,
    /// Folder prefix inside the store (empty or ending in `/`).
    pub prefix: String,
    /// Set when the argument named one object rather than a folder.
    pub object: Option<ObjectMeta>,
    /// The argument as the user gave it, for messages and the tree's root.
    pub name: String,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("object", &self.object)
            .finish()
    }
}

/// The distinct stores among `stores` (several sources or objects share one), whose
/// [`Store::requests`] add up to what was sent.
pub fn distinct_stores<'a>(
    stores: impl IntoIterator<Item = &'a Arc<dyn Store>>,
) -> Vec<Arc<dyn Store>> {
    let mut out: Vec<Arc<dyn Store>> = Vec::new();
    for s in stores {
        if !out.iter().any(|o| Arc::ptr_eq(o, s)) {
            out.push(s.clone());
        }
    }
    out
}

/// Requests sent so far by `stores` (distinct ones: see [`distinct_stores`]).
pub fn requests_of(stores: &[Arc<dyn Store>]) -> u64 {
    stores.iter().map(|s| s.requests()).sum()
}

/// Said in place of a failure to get credentials.
pub const NO_CREDENTIALS: &str = "none found in the environment, profiles, SSO or instance metadata; try --profile, or --no-sign-request for a public bucket";

/// A failure's detail without what a credential provider printed: `credential_process` output
/// (its stderr can hold tokens or secrets) is echoed into the SDK's error, so a failure to get
/// credentials is said in fixed words, on every path that reports AWS errors.
pub fn credential_free(detail: String) -> String {
    if detail.contains("credentials") || detail.contains("credential_process") {
        format!("no AWS credentials: {NO_CREDENTIALS}")
    } else {
        detail
    }
}

/// A parsed `s3://bucket/prefix` URL.
pub fn parse_s3_url(s: &str) -> Option<(String, String)> {
    let rest = s.strip_prefix("s3://")?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), key.to_string()))
}

/// Opens every SOURCE argument; S3 sources share one AWS configuration.
pub async fn open_all(specs: &[String], aws: &AwsOptions) -> anyhow::Result<Vec<Source>> {
    let mut out = Vec::with_capacity(specs.len());
    let mut shared = None;
    for spec in specs {
        if let Some((bucket, key)) = parse_s3_url(spec) {
            if shared.is_none() {
                shared = Some((aws.load().await, aws.read_options()?));
            }
            let (conf, read) = shared.as_ref().expect("loaded above");
            let s3: Arc<dyn Store> = Arc::new(S3Store::connect(conf, aws, read, &bucket).await?);
            let store: Arc<dyn Store> = match &aws.cache_dir {
                Some(dir) => Arc::new(CachedStore::new(s3, dir, aws.cache_max_bytes)?),
                None => s3,
            };
            out.push(open_in_store(store, spec, &key).await?);
        } else {
            out.push(LocalStore::open_source(spec)?);
        }
    }
    Ok(out)
}

/// Decides whether `key` in an S3 store is one object or a folder.
async fn open_in_store(store: Arc<dyn Store>, spec: &str, key: &str) -> anyhow::Result<Source> {
    if !key.is_empty() && !key.ends_with('/') {
        match store.head(key).await {
            Ok(meta) => {
                return Ok(Source {
                    store,
                    prefix: String::new(),
                    object: Some(meta),
                    name: spec.to_string(),
                })
            }
            // A folder has no object of its own: 404 (or 403 without ListBucket) means "try as folder".
            Err(e) if matches!(e.kind, FailureKind::NotFound | FailureKind::AccessDenied) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let prefix = if key.is_empty() || key.ends_with('/') {
        key.to_string()
    } else {
        format!("{key}/")
    };
    Ok(Source {
        store,
        prefix,
        object: None,
        name: spec.to_string(),
    })
}
