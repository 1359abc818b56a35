//! An organization trail at scale: 100 accounts × 3 regions of day folders. The walk lists its
//! folders as a work queue (every finished listing starts its sub-folders' at once) and finds
//! exactly what listing one folder after another finds, with exactly one request per folder;
//! a load says how many requests it sent.
//!
//! Against moto the day holds 24 objects per account and region, not the 288 of a real day:
//! moto stores about 190 objects a second (5.3 ms each from 16 parallel clients, measured), so
//! 86,400 objects would take 7 to 8 minutes to upload, and the listings (one page per day
//! folder either way) are the same. The full 100 × 3 × 288 is walked in a local folder.

use crate::common;

use std::sync::Arc;
use std::time::Instant;

use common::*;
use futures::stream::{self, StreamExt};
use trawl::load::{self, LoadOptions};
use trawl::scope::Scope;
use trawl::source::{LocalStore, ReadOptions, S3Store, Source, Store};
use trawl::tui::note;
use trawl::walk;

const ORG: &str = "o-a1b2c3d4e5";
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
const ACCOUNTS: usize = 100;

fn account(a: usize) -> String {
    format!("{:012}", 100_000_000_000 + a)
}

/// The keys of one organization day: `per_day` objects per account and region.
fn org_day_keys(per_day: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for a in 0..ACCOUNTS {
        let acct = account(a);
        for region in REGIONS {
            for o in 0..per_day {
                let minute = o * 5;
                keys.push(format!(
                    "AWSLogs/{ORG}/{acct}/CloudTrail/{region}/2024/05/02/{acct}_CloudTrail_{region}_20240502T{:02}{:02}Z_{o:016}.json.gz",
                    minute / 60,
                    minute % 60
                ));
            }
        }
    }
    keys
}

/// A small CloudTrail object: two events of the account and region its key names.
fn object_body(key: &str) -> Vec<u8> {
    let parts: Vec<&str> = key.split('/').collect();
    let (acct, region) = (parts[2], parts[4]);
    let events: Vec<_> = (0..2)
        .map(|i| {
            serde_json::json!({
                "eventVersion": "1.08",
                "userIdentity": {"type": "AssumedRole", "accountId": acct,
                    "arn": format!("arn:aws:sts::{acct}:assumed-role/ci/{i}")},
                "eventTime": "2024-05-02T10:00:00Z",
                "eventSource": "ec2.amazonaws.com",
                "eventName": "DescribeInstances",
                "awsRegion": region,
                "sourceIPAddress": "198.51.100.7",
                "eventID": format!("{key}-{i}"),
                "recipientAccountId": acct
            })
        })
        .collect();
    gzip(
        serde_json::to_string(&serde_json::json!({ "Records": events }))
            .unwrap()
            .as_bytes(),
    )
}

/// Folders an organization day is listed with: the root, `AWSLogs/`, the organization, each
/// account and its `CloudTrail/`, then each region's year, month and day.
fn listings(accounts: usize) -> u64 {
    (3 + accounts * 2 + accounts * REGIONS.len() * 4) as u64
}

/// Walks and returns (object keys, requests, seconds).
async fn timed_walk(
    sources: &[Source],
    store: &Arc<dyn Store>,
    scope: &Scope,
    concurrency: usize,
) -> (Vec<String>, u64, f64) {
    let before = store.requests();
    let t = Instant::now();
    let w = walk::walk(sources, scope, concurrency).await;
    let secs = t.elapsed().as_secs_f64();
    assert!(w.failures.is_empty(), "{:?}", w.failures);
    let keys = w.objects.into_iter().map(|o| o.meta.key).collect();
    (keys, store.requests() - before, secs)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organization_day_is_listed_as_a_work_queue_with_one_request_per_folder() {
    // A server of its own: thousands of uploads and listings must not slow other tests' moto.
    let Some(m) = private_moto(&[]) else { return };
    let aws = aws(&m).await;
    let bucket = unique_bucket("org-day");
    aws.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let mut keys = org_day_keys(24);
    keys.sort();
    let t = Instant::now();
    let uploaded = stream::iter(keys.clone())
        .map(|key| {
            let s3 = aws.s3.clone();
            let bucket = bucket.clone();
            async move {
                s3.put_object()
                    .bucket(bucket)
                    .key(&key)
                    .body(object_body(&key).into())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("put {key}: {e}"));
            }
        })
        .buffer_unordered(32)
        .count()
        .await;
    assert_eq!(uploaded, 7_200);
    note(&format!(
        "uploaded {uploaded} objects to moto in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    let s3: Arc<dyn Store> = Arc::new(S3Store::from_clients(
        aws.s3.clone(),
        aws.kms.clone(),
        &bucket,
        ReadOptions::default(),
    ));
    let sources = vec![Source {
        store: s3.clone(),
        prefix: String::new(),
        object: None,
        name: format!("s3://{bucket}"),
    }];
    let all = Scope::default();
    let (one_by_one, seq_requests, seq_secs) = timed_walk(&sources, &s3, &all, 1).await;
    let (fanned, fan_requests, fan_secs) =
        timed_walk(&sources, &s3, &all, walk::list_concurrency(32)).await;
    note(&format!(
        "org day of {} objects: one folder after another {seq_requests} requests in {seq_secs:.2} s; \
         fan-out ({} at once) {fan_requests} requests in {fan_secs:.2} s",
        keys.len(),
        walk::list_concurrency(32)
    ));
    // The same objects, in the same order, and each folder listed once: no listing is repeated
    // or lost however the listings interleave.
    assert_eq!(one_by_one, keys);
    assert_eq!(fanned, keys);
    assert_eq!(seq_requests, listings(ACCOUNTS));
    assert_eq!(fan_requests, listings(ACCOUNTS));

    // An account in scope: the other 99 are never listed.
    let one = Scope {
        accounts: vec![account(42)],
        ..Scope::default()
    };
    let (in_scope, requests, _) = timed_walk(&sources, &s3, &one, 64).await;
    assert_eq!(requests, listings(1));
    assert_eq!(in_scope.len(), REGIONS.len() * 24);
    assert!(in_scope.iter().all(|k| k.contains(&account(42))));

    // Loading them: one GET per object, and progress says so with objects and bytes.
    let walked = walk::walk(&sources, &one, 64).await;
    let opts = LoadOptions {
        concurrency: 32,
        ..LoadOptions::default()
    };
    let mut last = load::Progress::default();
    let results = load::load_all_with(&walked.objects, &opts, |p| last = p.clone()).await;
    assert!(results.iter().all(|r| r.complete), "every object read");
    let records: usize = results.iter().map(|r| r.records.len()).sum();
    assert_eq!(records, 2 * REGIONS.len() * 24);
    assert_eq!(last.done, 72);
    assert_eq!(last.requests, 72, "one GET per object");
    let stored: u64 = walked.objects.iter().filter_map(|o| o.meta.size).sum();
    assert_eq!(last.bytes, stored);
    let line = last.line();
    assert!(
        line.starts_with(&format!(
            "72/72 objects, {:.1} MB, 144 records",
            stored as f64 / 1e6
        )) && line.contains(", 72 requests"),
        "{line}"
    );

    // The command line's progress counts the requests of its load the same way.
    let r = run(trawl().args([
        "records",
        "--progress",
        "--format",
        "jsonl",
        "--account",
        &account(42),
        "--endpoint-url",
        &m.endpoint,
        &format!("s3://{bucket}"),
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 144);
    let last = r.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("72/72 objects") && last.contains(", 72 requests"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_organization_day_in_a_folder_walks_the_same_one_by_one_and_fanned_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut keys = org_day_keys(288);
    keys.sort();
    let t = Instant::now();
    for key in &keys {
        let path = dir.path().join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, b"").unwrap();
    }
    note(&format!(
        "wrote {} empty objects in {:.1} s",
        keys.len(),
        t.elapsed().as_secs_f64()
    ));
    let source = LocalStore::open_source(dir.path().to_str().unwrap()).unwrap();
    let store = source.store.clone();
    let sources = vec![source];
    let all = Scope::default();
    let (one_by_one, _, seq_secs) = timed_walk(&sources, &store, &all, 1).await;
    let (fanned, _, fan_secs) = timed_walk(&sources, &store, &all, 64).await;
    note(&format!(
        "org day of {} objects in a folder: walked one folder after another in {seq_secs:.2} s, \
         fanned out in {fan_secs:.2} s",
        keys.len()
    ));
    assert_eq!(keys.len(), 86_400);
    assert_eq!(one_by_one, keys);
    assert_eq!(fanned, keys);

    // With S3's round trip (about 25 ms a listing in the same region; moto answers slower but
    // serves one request at a time), for ten accounts: one folder after another waits for
    // every round trip in turn, the work queue for about one per level.
    let far: Arc<dyn Store> = Arc::new(Distant {
        inner: store,
        listings: Default::default(),
    });
    let sources = vec![Source {
        store: far.clone(),
        ..sources[0].clone()
    }];
    let ten = Scope {
        accounts: (0..10).map(account).collect(),
        ..Scope::default()
    };
    let (one_by_one, seq_requests, seq_secs) = timed_walk(&sources, &far, &ten, 1).await;
    let (fanned, fan_requests, fan_secs) = timed_walk(&sources, &far, &ten, 64).await;
    note(&format!(
        "10 accounts 25 ms away: one folder after another {seq_requests} listings in {seq_secs:.2} s, \
         fanned out {fan_requests} listings in {fan_secs:.2} s"
    ));
    assert_eq!(one_by_one.len(), 10 * REGIONS.len() * 288);
    assert_eq!(fanned, one_by_one);
    assert_eq!(seq_requests, listings(10));
    assert_eq!(fan_requests, listings(10));
}

/// A store 25 ms away: each listing waits a round trip, and is counted.
struct Distant {
    inner: Arc<dyn Store>,
    listings: std::sync::atomic::AtomicU64,
}

#[async_trait::async_trait]
impl Store for Distant {
    fn uri(&self, key: &str) -> String {
        self.inner.uri(key)
    }
    fn requests(&self) -> u64 {
        self.listings.load(std::sync::atomic::Ordering::Relaxed)
    }
    async fn list_level(
        &self,
        prefix: &str,
    ) -> Result<trawl::source::Listing, trawl::source::StoreError> {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        self.listings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.list_level(prefix).await
    }
    async fn list_all(
        &self,
        prefix: &str,
    ) -> Result<Vec<trawl::source::ObjectMeta>, trawl::source::StoreError> {
        self.inner.list_all(prefix).await
    }
    async fn head(
        &self,
        key: &str,
    ) -> Result<trawl::source::ObjectMeta, trawl::source::StoreError> {
        self.inner.head(key).await
    }
    async fn get(&self, key: &str) -> Result<trawl::source::ByteReader, trawl::source::StoreError> {
        self.inner.get(key).await
    }
    async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> Result<bytes::Bytes, trawl::source::StoreError> {
        self.inner.get_range(key, start, len).await
    }
}
