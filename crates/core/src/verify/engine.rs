//! The checks, in the order AWS's document gives them: read each digest and check that it sits
//! where it says CloudTrail delivered it; link it to the digest before it (that digest's SHA-256
//! must be the one recorded); verify its signature with the key its fingerprint names; then hash
//! every log object it lists. Logs in scope that no digest lists are said so.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use futures::stream::{self, StreamExt};
use tokio::io::AsyncReadExt;

use super::digest::{self, ContentError, DigestFile, SIGNATURE_ALGORITHM};
use super::{Checked, ObjectKind, Options, Report, Status, Window};
use crate::layout::Partition;
use crate::source::{parse_s3_url, FailureKind, Source, Store};
use crate::walk::ObjectRef;

/// How long after the newest digest a log may arrive and still wait for the next digest: digests
/// come hourly, and a little late.
const PENDING_FOR: i64 = 2 * 3600;

/// Splits `…/AWSLogs/[o-…/]<acct>/<kind>/<region>/YYYY/MM/DD/<file>` into the part before the
/// kind, the kind, the region and the day folder (`YYYY/MM/DD`).
fn split(key: &str) -> Option<(&str, &str, &str, String)> {
    let mut it = key.rsplitn(6, '/');
    let (_file, d, m, y, region, rest) = (
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    );
    let (base, kind) = match rest.rfind('/') {
        Some(i) => (&rest[..=i], &rest[i + 1..]),
        None => ("", rest),
    };
    Some((base, kind, region, format!("{y}/{m}/{d}")))
}

/// The digest folders that list the logs of `day` under `log_key`'s account and region: that
/// day's and the next (the last hour of a day is listed by a digest delivered after midnight).
pub(super) fn digest_folders(log_key: &str, day: &str) -> Vec<String> {
    let Some((base, _, region, _)) = split(log_key) else {
        return Vec::new();
    };
    let Ok(d) = NaiveDate::parse_from_str(day, "%Y-%m-%d") else {
        return Vec::new();
    };
    [d, d + Duration::days(1)]
        .iter()
        .map(|d| format!("{base}CloudTrail-Digest/{region}/{}/", d.format("%Y/%m/%d")))
        .collect()
}

/// Logs and digests of one account and region in one bucket belong together.
fn group_of(bucket: &str, object: &str) -> Option<String> {
    let (base, _, region, _) = split(object)?;
    Some(format!("{bucket}\u{0}{base}\u{0}{region}"))
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// When a log was delivered: the `YYYYMMDDTHHmmZ` of its name, else the listing's time.
fn delivered(o: &ObjectRef) -> Option<DateTime<Utc>> {
    let name = o.meta.key.rsplit('/').next()?;
    name.split('_')
        .find_map(|part| NaiveDateTime::parse_from_str(part, "%Y%m%dT%H%MZ").ok())
        .map(|t| t.and_utc())
        .or_else(|| o.meta.last_modified.as_deref().and_then(parse_time))
}

/// Where the keys a digest names are found among the sources: an S3 source is its bucket; a
/// local copy is placed by the first digest read from it (its key is the tail of the key the
/// digest records, and the rest is the copy's root in the bucket).
struct Places {
    by_source: HashMap<usize, (String, String)>,
    by_bucket: HashMap<String, Vec<(usize, String)>>,
}

impl Places {
    fn new(sources: &[Source]) -> Places {
        let mut p = Places {
            by_source: HashMap::new(),
            by_bucket: HashMap::new(),
        };
        for (i, s) in sources.iter().enumerate() {
            if let Some((bucket, _)) = parse_s3_url(&s.store.uri("")) {
                p.learn(i, &bucket, "");
            }
        }
        p
    }

    fn learn(&mut self, source: usize, bucket: &str, root: &str) {
        self.by_source
            .insert(source, (bucket.to_string(), root.to_string()));
        self.by_bucket
            .entry(bucket.to_string())
            .or_default()
            .push((source, root.to_string()));
    }

    /// The bucket and key an object of `source` had in S3.
    fn claimed(&self, source: usize, key: &str) -> Option<(String, String)> {
        self.by_source
            .get(&source)
            .map(|(b, root)| (b.clone(), format!("{root}{key}")))
    }

    /// The source and key where `bucket/object` is found.
    fn locate(&self, bucket: &str, object: &str) -> Option<(usize, String)> {
        self.by_bucket.get(bucket)?.iter().find_map(|(s, root)| {
            object
                .strip_prefix(root.as_str())
                .map(|k| (*s, k.to_string()))
        })
    }
}

/// Why a read gave no content.
enum Miss {
    Absent,
    Failed(String),
}

async fn fetch_whole(store: &Arc<dyn Store>, key: &str, max: u64) -> Result<Vec<u8>, Miss> {
    let mut reader = match store.get(key).await {
        Ok(r) => r,
        Err(e) if e.kind == FailureKind::NotFound => return Err(Miss::Absent),
        Err(e) => return Err(Miss::Failed(e.reason())),
    };
    let mut out = Vec::new();
    (&mut reader)
        .take(max + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|e| Miss::Failed(format!("read failed: {e}")))?;
    if out.len() as u64 > max {
        return Err(Miss::Failed(format!(
            "larger than {max} bytes: not a digest"
        )));
    }
    Ok(out)
}

/// What hashing a log gave.
enum Hashed {
    Sha(String),
    Absent,
    Failed(String),
    Corrupt(String),
}

async fn hash_object(store: Arc<dyn Store>, key: String, max: u64) -> Hashed {
    let done = |r: Result<String, ContentError>| match r {
        Ok(h) => Hashed::Sha(h),
        Err(ContentError::Read(e)) => Hashed::Failed(format!("read failed: {e}")),
        Err(ContentError::Corrupt(e)) => Hashed::Corrupt(e),
        Err(ContentError::TooLarge(n)) => Hashed::Failed(format!(
            "expands past {n} bytes (--max-object-bytes): not hashed"
        )),
    };
    let task = if let Some(path) = store.local_path(&key) {
        tokio::task::spawn_blocking(move || match std::fs::File::open(&path) {
            Ok(f) => done(digest::content_sha256(f, max)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Hashed::Absent,
            Err(e) => Hashed::Failed(format!("cannot open: {e}")),
        })
    } else {
        match store.get(&key).await {
            Ok(stream) => {
                let input = tokio_util::io::SyncIoBridge::new(stream);
                tokio::task::spawn_blocking(move || done(digest::content_sha256(input, max)))
            }
            Err(e) if e.kind == FailureKind::NotFound => return Hashed::Absent,
            Err(e) => return Hashed::Failed(e.reason()),
        }
    };
    task.await
        .unwrap_or_else(|e| Hashed::Failed(format!("hashing crashed: {e}")))
}

/// A log to hash: its store, key and name, its partition, the digest that lists it and the hash
/// recorded there.
type HashJob = (
    Arc<dyn Store>,
    String,
    String,
    Option<Partition>,
    usize,
    String,
);

/// One digest read from the sources, and what is known of it so far.
struct Node {
    obj: ObjectRef,
    uri: String,
    file: Option<DigestFile>,
    sha256: String,
    /// The object's metadata, when its store keeps any.
    meta: Option<HashMap<String, String>>,
    /// Whether it sits where it says it was delivered (then the chain can find it).
    placed: bool,
    /// The digest after it, and the signature that digest records for it.
    next: Option<(String, Option<String>)>,
    verdict: Option<(Status, String)>,
}

/// How bad a digest's status is: the worst reason wins.
fn rank(s: Status) -> u8 {
    match s {
        Status::ChainBroken => 5,
        Status::SignatureInvalid => 4,
        Status::Error => 3,
        Status::Unverifiable => 1,
        _ => 0,
    }
}

impl Node {
    fn worsen(&mut self, status: Status, detail: String) {
        if self
            .verdict
            .as_ref()
            .is_none_or(|(s, _)| rank(status) > rank(*s))
        {
            self.verdict = Some((status, detail));
        }
    }

    fn status(&self) -> Status {
        self.verdict.as_ref().map_or(Status::Valid, |v| v.0)
    }
}

async fn read_node(obj: ObjectRef) -> Node {
    let uri = obj.uri();
    let mut node = Node {
        uri,
        file: None,
        sha256: String::new(),
        meta: None,
        placed: false,
        next: None,
        verdict: None,
        obj,
    };
    let bytes = match fetch_whole(
        &node.obj.store,
        &node.obj.meta.key,
        digest::MAX_DIGEST_BYTES,
    )
    .await
    {
        Ok(b) => b,
        Err(Miss::Absent) => {
            node.worsen(Status::Error, "vanished after it was listed".into());
            return node;
        }
        Err(Miss::Failed(e)) => {
            node.worsen(Status::Error, e);
            return node;
        }
    };
    match digest::expand_digest(&bytes) {
        Ok((json, sha)) => {
            node.sha256 = sha;
            match DigestFile::parse(&json) {
                Ok(f) => node.file = Some(f),
                Err(e) => node.worsen(Status::ChainBroken, format!("altered: {e}")),
            }
        }
        Err(e) => node.worsen(Status::ChainBroken, format!("altered: {e}")),
    }
    match node.obj.store.user_metadata(&node.obj.meta.key).await {
        Ok(m) => node.meta = m,
        Err(e) => node.worsen(Status::Error, format!("its metadata: {}", e.reason())),
    }
    node
}

fn extra_row(uri: String, status: Status, detail: String, object: &str) -> Checked {
    let p = Partition::of_key(object);
    Checked {
        object: uri,
        kind: ObjectKind::Digest,
        status,
        detail,
        account: p.as_ref().and_then(|p| p.account.clone()),
        region: p.as_ref().and_then(|p| p.region.clone()),
        digest: None,
        fingerprint: None,
    }
}

pub(super) async fn check(
    sources: &[Source],
    digests: Vec<ObjectRef>,
    logs: Vec<ObjectRef>,
    window: &Window,
    opts: &Options,
) -> Report {
    let concurrency = opts.concurrency.max(1);
    let mut places = Places::new(sources);
    let mut nodes: Vec<Node> = stream::iter(digests)
        .map(read_node)
        .buffer_unordered(concurrency)
        .collect()
        .await;
    nodes.sort_by(|a, b| (a.obj.source, &a.obj.meta.key).cmp(&(b.obj.source, &b.obj.meta.key)));

    // A. Each digest where CloudTrail delivered it.
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (i, n) in nodes.iter_mut().enumerate() {
        let Some(f) = &n.file else { continue };
        let key = &n.obj.meta.key;
        let placed = match places.by_source.get(&n.obj.source) {
            Some((bucket, root)) => f.bucket == *bucket && f.object == format!("{root}{key}"),
            None => {
                let root = if f.object == *key {
                    Some("")
                } else {
                    f.object
                        .strip_suffix(key.as_str())
                        .filter(|r| r.ends_with('/'))
                };
                if let Some(root) = root {
                    places.learn(n.obj.source, &f.bucket, root);
                }
                root.is_some()
            }
        };
        if placed {
            n.placed = true;
            index.insert((f.bucket.clone(), f.object.clone()), i);
        } else {
            let claim = format!("s3://{}/{}", f.bucket, f.object);
            n.worsen(
                Status::SignatureInvalid,
                format!("not where CloudTrail delivered it: it names {claim}"),
            );
        }
    }

    // The newest digest end and the first digest day of each account and region.
    let mut newest: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut first_day: HashMap<String, String> = HashMap::new();
    for n in nodes.iter().filter(|n| n.placed) {
        let f = n.file.as_ref().expect("placed digests parsed");
        let Some(g) = group_of(&f.bucket, &f.object) else {
            continue;
        };
        if let Some(end) = parse_time(&f.digest_end_time) {
            let e = newest.entry(g.clone()).or_insert(end);
            *e = (*e).max(end);
        }
        if let Some((_, _, _, day)) = split(&f.object) {
            let d = first_day.entry(g).or_insert(day.clone());
            if day < *d {
                *d = day;
            }
        }
    }

    // G. The chain: each digest names the one before it, its SHA-256 and its signature.
    let mut edges: Vec<(usize, String, String, String)> = Vec::new();
    for i in 0..nodes.len() {
        let Some(f) = nodes[i].file.clone() else {
            continue;
        };
        let Some((pb, po)) = f.previous() else {
            continue;
        };
        let Some(expected) = f.previous_hash.clone() else {
            nodes[i].worsen(
                Status::ChainBroken,
                "names the digest before it without its SHA-256".into(),
            );
            continue;
        };
        let this = nodes[i].uri.clone();
        match index.get(&(pb.to_string(), po.to_string())) {
            Some(&j) => {
                let prev = &mut nodes[j];
                if let Some((other, _)) = &prev.next {
                    let detail =
                        format!("two digests name it as the one before them: {other} and {this}");
                    prev.worsen(Status::ChainBroken, detail);
                    continue;
                }
                prev.next = Some((this.clone(), f.previous_signature.clone()));
                if !digest::same_hash(&prev.sha256, &expected) {
                    let detail = format!(
                        "altered: its SHA-256 is {} but the next digest {this} records {expected}",
                        prev.sha256
                    );
                    prev.worsen(Status::ChainBroken, detail);
                }
            }
            None => edges.push((i, pb.to_string(), po.to_string(), expected)),
        }
    }
    let mut extra: Vec<Checked> = Vec::new();
    let edge_checks: Vec<_> = edges
        .into_iter()
        .filter_map(|(i, pb, po, expected)| {
            let (source, key) = places.locate(&pb, &po)?;
            let store = sources[source].store.clone();
            let before_scope = match (group_of(&pb, &po), split(&po)) {
                (Some(g), Some((_, _, _, day))) => first_day.get(&g).is_some_and(|f| day < *f),
                _ => false,
            };
            Some((nodes[i].uri.clone(), store, key, po, expected, before_scope))
        })
        .collect();
    let edge_results: Vec<_> = stream::iter(edge_checks)
        .map(
            |(next, store, key, po, expected, before_scope)| async move {
                let got = fetch_whole(&store, &key, digest::MAX_DIGEST_BYTES).await;
                (next, store.uri(&key), po, expected, before_scope, got)
            },
        )
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (next, uri, po, expected, before_scope, got) in edge_results {
        match got {
            Ok(bytes) => {
                let sha = digest::expand_digest(&bytes)
                    .map(|(_, s)| s)
                    .unwrap_or_default();
                if !digest::same_hash(&sha, &expected) {
                    let detail = format!("altered: its SHA-256 is {sha} but the next digest {next} records {expected}");
                    extra.push(extra_row(uri, Status::ChainBroken, detail, &po));
                }
            }
            // Older digests than the scope may have expired (a lifecycle rule): the chain read
            // starts after them. Inside the scope, a gap is a digest removed.
            Err(Miss::Absent) if before_scope => {}
            Err(Miss::Absent) => {
                let detail = format!("missing: {next} names it as the digest before it");
                extra.push(extra_row(uri, Status::ChainBroken, detail, &po));
            }
            Err(Miss::Failed(e)) => extra.push(extra_row(uri, Status::Error, e, &po)),
        }
    }

    // A-E. Signatures: from S3 metadata, else from the next digest; checked with the key the
    // digest's fingerprint names, in the digest's region.
    let mut to_verify: Vec<(usize, (String, String), String)> = Vec::new();
    for (i, n) in nodes.iter_mut().enumerate() {
        let Some(f) = n.file.as_ref() else { continue };
        let fingerprint = f.fingerprint.clone();
        match signature_of(n) {
            Ok(sig) => to_verify.push((i, sig, fingerprint)),
            Err((status, detail)) => n.worsen(status, detail),
        }
    }
    // Keys by region, for the time the digests of that region span.
    let mut spans: BTreeMap<String, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    let region_of = |n: &Node| -> String {
        n.obj
            .partition
            .as_ref()
            .and_then(|p| p.region.clone())
            .or_else(|| {
                n.file
                    .as_ref()
                    .and_then(|f| Partition::of_key(&f.object)?.region)
            })
            .unwrap_or_default()
    };
    for (i, _, _) in &to_verify {
        let n = &nodes[*i];
        let f = n.file.as_ref().expect("parsed");
        // A backfill digest (`…_backfill.json.gz`) is signed when it is made, later than its hour.
        let backfill = n
            .meta
            .as_ref()
            .and_then(|m| m.get("backfill-generation-timestamp"))
            .and_then(|t| parse_time(t));
        let times: Vec<DateTime<Utc>> = [&f.digest_start_time, &f.digest_end_time]
            .into_iter()
            .filter_map(|t| parse_time(t))
            .chain(backfill)
            .collect();
        let (Some(lo), Some(hi)) = (times.iter().min(), times.iter().max()) else {
            spans
                .entry(region_of(n))
                .or_insert((Utc::now(), Utc::now()));
            continue;
        };
        let span = spans.entry(region_of(n)).or_insert((*lo, *hi));
        span.0 = span.0.min(*lo);
        span.1 = span.1.max(*hi);
    }
    let mut keys_by_region: HashMap<String, Result<HashMap<String, rsa::PublicKey>, String>> =
        HashMap::new();
    for (region, (start, end)) in spans {
        let got = opts
            .keys
            .keys(
                &region,
                start - Duration::hours(1),
                end + Duration::hours(1),
            )
            .await
            .map(|list| list.into_iter().map(|k| (k.fingerprint, k.key)).collect());
        keys_by_region.insert(region, got);
    }
    let source_of_keys = opts.keys.describe();
    let mut jobs = Vec::new();
    for (i, signature, fingerprint) in to_verify {
        let n = &mut nodes[i];
        match keys_by_region.get(&region_of(n)) {
            Some(Ok(keys)) => match keys.get(&fingerprint) {
                Some(key) => {
                    let f = n.file.as_ref().expect("parsed");
                    jobs.push((i, key.clone(), f.string_to_sign(&n.sha256), signature));
                }
                None => n.worsen(
                    Status::SignatureInvalid,
                    format!("signed by a key that {source_of_keys} does not list (fingerprint {fingerprint})"),
                ),
            },
            Some(Err(e)) => n.worsen(Status::Error, format!("no public key: {e}")),
            None => n.worsen(Status::Error, "no public key".into()),
        }
    }
    let results = tokio::task::spawn_blocking(move || {
        jobs.into_iter()
            .map(|(i, key, message, (sig, whence))| {
                (i, digest::verify_signature(&key, &message, &sig), whence)
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for (i, result, whence) in results {
        let n = &mut nodes[i];
        match result {
            Ok(()) => n.worsen(Status::Valid, format!("signature verified ({whence})")),
            Err(e) => n.worsen(Status::SignatureInvalid, format!("{e} ({whence})")),
        }
    }

    // F. The logs each digest lists, and the logs in scope none lists.
    let mut listed: HashMap<(String, String), (usize, String)> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for l in n.file.iter().flat_map(|f| &f.log_files) {
            listed
                .entry((l.bucket.clone(), l.object.clone()))
                .or_insert((i, l.hash_value.clone()));
        }
    }
    let mut rows: Vec<Checked> = Vec::new();
    let mut hash_jobs: Vec<HashJob> = Vec::new();
    for o in &logs {
        let claimed = places.claimed(o.source, &o.meta.key);
        match claimed.as_ref().and_then(|c| listed.remove(c)) {
            Some((i, hash)) => hash_jobs.push((
                o.store.clone(),
                o.meta.key.clone(),
                o.uri(),
                o.partition.clone(),
                i,
                hash,
            )),
            None => rows.push(unlisted(o, claimed.as_ref(), &newest)),
        }
    }
    let mut rest: Vec<_> = listed.into_iter().collect();
    rest.sort();
    for ((bucket, object), (i, hash)) in rest {
        let partition = Partition::of_key(&object);
        if !window.admits_day(partition.as_ref().and_then(|p| p.date()).as_deref()) {
            continue;
        }
        match places.locate(&bucket, &object) {
            Some((s, key)) => {
                let store = sources[s].store.clone();
                let uri = store.uri(&key);
                hash_jobs.push((store, key, uri, partition, i, hash));
            }
            None => rows.push(Checked {
                object: format!("s3://{bucket}/{object}"),
                kind: ObjectKind::Log,
                status: Status::Error,
                detail: format!(
                    "listed by {}, but in none of the sources given",
                    nodes[i].uri
                ),
                account: partition.as_ref().and_then(|p| p.account.clone()),
                region: partition.as_ref().and_then(|p| p.region.clone()),
                digest: Some(nodes[i].uri.clone()),
                fingerprint: nodes[i].file.as_ref().map(|f| f.fingerprint.clone()),
            }),
        }
    }
    let max = opts.limits.max_object_bytes;
    let hashed: Vec<_> = stream::iter(hash_jobs)
        .map(|(store, key, uri, partition, i, hash)| async move {
            let got = hash_object(store, key, max).await;
            (uri, partition, i, hash, got)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (uri, partition, i, expected, got) in hashed {
        rows.push(log_row(uri, partition, &nodes[i], &expected, got));
    }

    for n in &nodes {
        let (status, detail) = n.verdict.clone().unwrap_or((Status::Valid, String::new()));
        rows.push(Checked {
            object: n.uri.clone(),
            kind: ObjectKind::Digest,
            status,
            detail,
            account: n.obj.partition.as_ref().and_then(|p| p.account.clone()),
            region: n.obj.partition.as_ref().and_then(|p| p.region.clone()),
            digest: None,
            fingerprint: n.file.as_ref().map(|f| f.fingerprint.clone()),
        });
    }
    rows.extend(extra);
    rows.sort_by(|a, b| a.object.cmp(&b.object).then(a.kind.cmp(&b.kind)));
    Report {
        objects: rows,
        problems: Vec::new(),
    }
}

/// The signature to check a digest with, and where it came from: its S3 metadata (online), else
/// what the next digest records (offline); the newest digest of a local copy has none.
fn signature_of(n: &Node) -> Result<(String, String), (Status, String)> {
    let f = n.file.as_ref().expect("parsed");
    if let Some(alg) = f.signature_algorithm.as_deref() {
        if !alg.eq_ignore_ascii_case(SIGNATURE_ALGORITHM) {
            return Err((
                Status::SignatureInvalid,
                format!("signed with {alg}, which CloudTrail does not use"),
            ));
        }
    }
    if let Some(meta) = &n.meta {
        if let Some(alg) = meta
            .get("signature-algorithm")
            .filter(|a| !a.eq_ignore_ascii_case(SIGNATURE_ALGORITHM))
        {
            return Err((
                Status::SignatureInvalid,
                format!("x-amz-meta-signature-algorithm is {alg}, not {SIGNATURE_ALGORITHM}"),
            ));
        }
        return match meta.get("signature") {
            Some(sig) => Ok((sig.clone(), "x-amz-meta-signature".to_string())),
            None => Err((
                Status::SignatureInvalid,
                "no x-amz-meta-signature: not the object CloudTrail delivered".to_string(),
            )),
        };
    }
    match &n.next {
        Some((next, Some(sig))) => Ok((sig.clone(), format!("the signature {next} records"))),
        _ => Err((
            Status::Unverifiable,
            "the newest digest of its chain here: its signature is only in the S3 object's metadata (x-amz-meta-signature), which a local copy does not keep".to_string(),
        )),
    }
}

/// A log no digest lists: waiting for the next digest, or not listed.
fn unlisted(
    o: &ObjectRef,
    claimed: Option<&(String, String)>,
    newest: &HashMap<String, DateTime<Utc>>,
) -> Checked {
    let group = claimed.and_then(|(b, k)| group_of(b, k));
    let end = group.as_ref().and_then(|g| newest.get(g));
    let at = delivered(o);
    let (status, detail) = match (end, at) {
        (None, _) => (
            Status::NotListed,
            "no digest of its account and region is in scope: log file validation is off for its trail, or its digests were not read".to_string(),
        ),
        (Some(end), Some(at))
            if at + Duration::seconds(60) > *end && at <= *end + Duration::seconds(PENDING_FOR) =>
        {
            (
                Status::Pending,
                format!(
                    "delivered after the newest digest (which ends {}): the next digest lists it",
                    end.format("%Y-%m-%dT%H:%M:%SZ")
                ),
            )
        }
        (Some(end), _) => (
            Status::NotListed,
            format!(
                "no digest lists it (the digests read end at {})",
                end.format("%Y-%m-%dT%H:%M:%SZ")
            ),
        ),
    };
    let p = o.partition.as_ref();
    Checked {
        object: o.uri(),
        kind: ObjectKind::Log,
        status,
        detail,
        account: p.and_then(|p| p.account.clone()),
        region: p.and_then(|p| p.region.clone()),
        digest: None,
        fingerprint: None,
    }
}

/// A listed log's status: absent, unreadable, as good as the digest that lists it, or its hash.
fn log_row(
    uri: String,
    partition: Option<Partition>,
    node: &Node,
    expected: &str,
    got: Hashed,
) -> Checked {
    let by = &node.uri;
    let matched = match &got {
        Hashed::Sha(h) => Some(digest::same_hash(h, expected)),
        Hashed::Corrupt(_) => Some(false),
        _ => None,
    };
    let hash_note = match matched {
        Some(true) => "its hash matches",
        _ => "its hash differs",
    };
    let digest_detail = node
        .verdict
        .as_ref()
        .map(|v| v.1.clone())
        .unwrap_or_default();
    let (status, detail) = match (&got, node.status()) {
        (Hashed::Absent, _) => (Status::Deleted, format!("listed by {by}, but not there")),
        (Hashed::Failed(e), _) => (Status::Error, e.clone()),
        (_, s @ (Status::ChainBroken | Status::SignatureInvalid)) => (
            s,
            format!("listed by {by}, which fails: {digest_detail} ({hash_note})"),
        ),
        (_, Status::Error) => (
            Status::Error,
            format!("listed by {by}, which could not be checked: {digest_detail}"),
        ),
        (Hashed::Corrupt(e), _) => (
            Status::Tampered,
            format!("not the gzip CloudTrail delivered ({e}); {by} lists it"),
        ),
        (Hashed::Sha(h), _) if matched == Some(false) => (
            Status::Tampered,
            format!("its content's SHA-256 is {h}, but {by} records {expected}"),
        ),
        (_, Status::Unverifiable) => (
            Status::Unverifiable,
            format!("its hash matches {by}, the newest digest, whose signature a local copy does not keep"),
        ),
        _ => (Status::Valid, format!("its hash matches {by}")),
    };
    Checked {
        object: uri,
        kind: ObjectKind::Log,
        status,
        detail,
        account: partition.as_ref().and_then(|p| p.account.clone()),
        region: partition.as_ref().and_then(|p| p.region.clone()),
        digest: Some(by.clone()),
        fingerprint: node.file.as_ref().map(|f| f.fingerprint.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_folders_are_the_day_and_the_next_under_the_same_trail_root() {
        let key = "logs/AWSLogs/o-abc123/111122223333/CloudTrail/eu-west-1/2024/05/31/111122223333_CloudTrail_eu-west-1_20240531T2355Z_abc.json.gz";
        assert_eq!(
            digest_folders(key, "2024-05-31"),
            vec![
                "logs/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/05/31/",
                "logs/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/06/01/",
            ]
        );
        let digest =
            "logs/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/06/01/x.json.gz";
        assert_eq!(group_of("b", key), group_of("b", digest));
        assert_ne!(group_of("b", key), group_of("other", digest));
    }

    #[test]
    fn a_local_copy_is_placed_by_its_digests() {
        let mut p = Places {
            by_source: HashMap::new(),
            by_bucket: HashMap::new(),
        };
        p.learn(0, "trail-bucket", "AWSLogs/o-abc123/");
        assert_eq!(
            p.claimed(0, "111/CloudTrail/x"),
            Some((
                "trail-bucket".into(),
                "AWSLogs/o-abc123/111/CloudTrail/x".into()
            ))
        );
        assert_eq!(
            p.locate("trail-bucket", "AWSLogs/o-abc123/222/CloudTrail/y"),
            Some((0, "222/CloudTrail/y".into()))
        );
        assert_eq!(
            p.locate("trail-bucket", "AWSLogs/o-other/222/CloudTrail/y"),
            None
        );
        assert_eq!(p.locate("another-bucket", "AWSLogs/o-abc123/y"), None);
    }
}
