//! The object cache: reopening what was read costs no download, an entry is only used for the
//! ETag it was stored under, and `--no-cache` reads S3 every time.

use crate::common;

use common::*;

fn lines(n: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(corpus("test-guardduty.log")).unwrap();
    let kept: Vec<&str> = text.lines().take(n).collect();
    gzip(format!("{}\n", kept.join("\n")).as_bytes())
}

/// A cache entry as trawl writes it: the SHA-256 of the object, then the object.
fn entry(object: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    let mut out = sha2::Sha256::digest(object).to_vec();
    out.extend_from_slice(object);
    out
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("objects"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_object_is_served_for_its_etag_only() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("cache");
    let key = aws.kms_bucket(&bucket).await;
    let obj = "AWSLogs/123412341234/GuardDuty/us-east-1/2022/11/22/a.jsonl.gz";
    aws.put_kms(&bucket, obj, lines(5), &key).await;
    let cache = tempfile::tempdir().unwrap();
    let url = format!("s3://{bucket}");
    let records = |extra: &[&str]| {
        let r = run(trawl()
            .args([
                "records",
                "--format",
                "jsonl",
                "--endpoint-url",
                &m.endpoint,
                "--cache-dir",
            ])
            .arg(cache.path())
            .args(extra)
            .arg(&url));
        assert_eq!(r.status, 0, "{}", r.stderr);
        json_lines(&r.stdout).len()
    };

    assert_eq!(records(&[]), 5);
    let stored = entries(cache.path());
    assert_eq!(
        stored.len(),
        1,
        "one complete entry, no partial file: {stored:?}"
    );
    assert!(!stored[0].to_string_lossy().ends_with(".part"));

    // Proof that the second read is not a download: an entry replaced by another whole entry (its
    // own hash heading it) is what it shows, since the object's ETag did not change.
    std::fs::write(&stored[0], entry(&lines(1))).unwrap();
    assert_eq!(records(&[]), 1);
    assert_eq!(records(&["--no-cache"]), 5, "--no-cache reads S3");

    // An entry edited behind trawl's back no longer matches its hash: it is downloaded again.
    let mut edited = std::fs::read(&stored[0]).unwrap();
    let last = edited.len() - 1;
    edited[last] ^= 1;
    std::fs::write(&stored[0], edited).unwrap();
    assert_eq!(records(&[]), 5, "a damaged entry is never served");
    assert_eq!(std::fs::read(&stored[0]).unwrap(), entry(&lines(5)));

    // A new version of the object has a new ETag: the old entry is never shown for it.
    aws.put_kms(&bucket, obj, lines(3), &key).await;
    assert_eq!(records(&[]), 3);
    assert_eq!(entries(cache.path()).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_stays_under_its_cap() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("cap");
    let key = aws.kms_bucket(&bucket).await;
    for day in ["20", "21", "22"] {
        let obj = format!("AWSLogs/123412341234/GuardDuty/us-east-1/2022/11/{day}/a.jsonl.gz");
        aws.put_kms(&bucket, &obj, lines(5), &key).await;
    }
    let cache = tempfile::tempdir().unwrap();
    let one = lines(5).len() as u64;
    let r = run(trawl()
        .args([
            "records",
            "--format",
            "jsonl",
            "--endpoint-url",
            &m.endpoint,
            "--cache-dir",
        ])
        .arg(cache.path())
        .args(["--cache-max-bytes", &(2 * one + one / 2).to_string()])
        .arg(format!("s3://{bucket}")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    // Three identical findings files: newest-export dedup leaves 5 findings.
    assert_eq!(json_lines(&r.stdout).len(), 5);
    let total: u64 = entries(cache.path())
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum();
    assert!(total <= 2 * one + one / 2, "{total} bytes cached");
    assert_eq!(entries(cache.path()).len(), 2);
}

/// Reads every object of a fresh bucket at once (`--concurrency`) into a cache that holds `fit`
/// of them: whatever order they finish in, exactly `fit` entries stay.
async fn read_all_at_once(m: &Moto, objects: usize, fit: u64) -> (tempfile::TempDir, u64) {
    let aws = aws(m).await;
    let bucket = unique_bucket("race");
    let key = aws.kms_bucket(&bucket).await;
    for n in 0..objects {
        let obj = format!("AWSLogs/123412341234/GuardDuty/us-east-1/2022/11/22/{n:02}.jsonl.gz");
        aws.put_kms(&bucket, &obj, lines(5), &key).await;
    }
    let cache = tempfile::tempdir().unwrap();
    let one = entry(&lines(5)).len() as u64;
    let r = run(trawl()
        .args([
            "records",
            "--format",
            "jsonl",
            "--endpoint-url",
            &m.endpoint,
        ])
        .args(["--concurrency", &objects.to_string(), "--cache-dir"])
        .arg(cache.path())
        .args(["--cache-max-bytes", &(fit * one + one / 2).to_string()])
        .arg(format!("s3://{bucket}")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(
        json_lines(&r.stdout).len(),
        5,
        "one finding file, {objects} copies"
    );
    (cache, one)
}

#[tokio::test(flavor = "multi_thread")]
async fn objects_finishing_together_leave_exactly_what_fits() {
    let Some(m) = moto() else { return };
    for _ in 0..3 {
        let (cache, one) = read_all_at_once(m, 8, 3).await;
        let kept = entries(cache.path());
        assert_eq!(kept.len(), 3, "{kept:?}");
        for p in &kept {
            assert_eq!(p.metadata().unwrap().len(), one);
        }
    }
}

/// The same race without a network: the in-process store finishes every object in the same
/// instant, which is when two evictions used to remove one entry too many.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_evictions_keep_exactly_what_fits() {
    use std::sync::Arc;
    use tokio::io::AsyncReadExt;
    use trawl::source::{CachedStore, Store};

    let dir = tempfile::tempdir().unwrap();
    let body = lines(5);
    let one = entry(&body).len() as u64;
    let inner: Arc<dyn Store> = Arc::new(Memory::new(16, body.clone()));
    let cache = Arc::new(CachedStore::new(inner, dir.path(), 5 * one + one / 2).unwrap());
    let start = Arc::new(tokio::sync::Barrier::new(16));
    let mut tasks = Vec::new();
    for n in 0..16 {
        let (cache, start) = (cache.clone(), start.clone());
        tasks.push(tokio::spawn(async move {
            let mut r = cache.get(&format!("{n}")).await.unwrap();
            let mut got = Vec::new();
            start.wait().await;
            r.read_to_end(&mut got).await.unwrap();
            got
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), body);
    }
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 5, "{kept:?}");
}

#[test]
fn a_cache_directory_another_user_could_redirect_is_refused() {
    use std::sync::Arc;
    use trawl::source::{CachedStore, Store};

    let base = tempfile::tempdir().unwrap();
    let victim = base.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("notes.txt"), "keep me").unwrap();
    let link = base.path().join("objects");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let inner: Arc<dyn Store> = Arc::new(Memory::new(0, Vec::new()));
    let err = CachedStore::new(inner.clone(), &link, 0)
        .err()
        .expect("a symbolic link is refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");

    // A real cache directory with a zero cap: eviction removes cache entries, nothing else.
    let dir = base.path().join("cache");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "keep me").unwrap();
    std::fs::write(dir.join("a".repeat(64)), entry(b"old")).unwrap();
    CachedStore::new(inner, &dir, 0).unwrap();
    assert!(
        dir.join("notes.txt").exists(),
        "not a cache entry: never removed"
    );
    assert!(
        !dir.join("a".repeat(64)).exists(),
        "an entry over the cap is evicted"
    );
}

/// An in-process store of `n` objects named `0`, `1`, … with the same bytes and their own ETags.
struct Memory {
    n: usize,
    body: Vec<u8>,
}

impl Memory {
    fn new(n: usize, body: Vec<u8>) -> Memory {
        Memory { n, body }
    }

    fn meta(&self, key: &str) -> trawl::source::ObjectMeta {
        trawl::source::ObjectMeta {
            key: key.to_string(),
            size: Some(self.body.len() as u64),
            etag: Some(format!("\"etag-{key}\"")),
            last_modified: None,
        }
    }
}

#[async_trait::async_trait]
impl trawl::source::Store for Memory {
    fn uri(&self, key: &str) -> String {
        format!("memory://{key}")
    }

    async fn list_level(
        &self,
        _prefix: &str,
    ) -> Result<trawl::source::Listing, trawl::source::StoreError> {
        Ok(trawl::source::Listing {
            folders: Vec::new(),
            objects: (0..self.n).map(|n| self.meta(&n.to_string())).collect(),
            skipped: Vec::new(),
        })
    }

    async fn list_all(
        &self,
        prefix: &str,
    ) -> Result<Vec<trawl::source::ObjectMeta>, trawl::source::StoreError> {
        Ok(self.list_level(prefix).await?.objects)
    }

    async fn head(
        &self,
        key: &str,
    ) -> Result<trawl::source::ObjectMeta, trawl::source::StoreError> {
        Ok(self.meta(key))
    }

    async fn get(
        &self,
        _key: &str,
    ) -> Result<trawl::source::ByteReader, trawl::source::StoreError> {
        Ok(Box::pin(std::io::Cursor::new(self.body.clone())))
    }

    async fn get_range(
        &self,
        _key: &str,
        start: u64,
        len: u64,
    ) -> Result<bytes::Bytes, trawl::source::StoreError> {
        let end = (start + len).min(self.body.len() as u64) as usize;
        Ok(bytes::Bytes::copy_from_slice(
            &self.body[start as usize..end],
        ))
    }
}
