//! CloudTrail log file integrity validation: proves that a CloudTrail object is the one CloudTrail
//! delivered, from the hourly digest files CloudTrail signs and delivers beside the logs.
//!
//! Each digest lists the log objects of its hour with the SHA-256 of their uncompressed content,
//! names the digest before it (its key, SHA-256 and signature), and is signed (SHA256withRSA) by
//! a regional key whose public half CloudTrail's `ListPublicKeys` returns. Following AWS's
//! "custom implementation" document: a digest must sit where it says it was delivered, its
//! signature must verify over the string to sign, and only then do the hashes it lists count.
//! The signature of a digest is its S3 metadata (`x-amz-meta-signature`); a local copy has lost
//! it, so offline a digest is checked with the signature the next digest of the chain records,
//! and the newest one cannot be checked (which is said, and is no failure).
//!
//! Every CloudTrail object in scope gets a [`Status`]; [`verify_scope`] serves the command line,
//! [`verify_objects`] the screen (the objects it opened).

pub mod digest;
mod engine;
pub mod keys;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::decode::Limits;
use crate::layout::Kind;
use crate::scope::Scope;
use crate::source::Source;
use crate::walk::{self, ObjectRef};

pub use keys::{CloudTrailKeys, KeyFiles, KeySource, PublicKeyEntry};

/// What validation says of one object.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A log whose hash matches a digest whose signature verified; a digest whose signature verified.
    Valid,
    /// Offline, the newest digest of a chain (its signature is only in S3 metadata), and the logs
    /// it lists (their hashes match it). Not a failure.
    Unverifiable,
    /// A log delivered after the newest digest: the next digest will list it. Not a failure.
    Pending,
    /// A log whose content differs from the hash its digest records.
    Tampered,
    /// A log a digest lists that is not there.
    Deleted,
    /// A log no digest lists.
    NotListed,
    /// A digest whose signature does not verify (or is missing, or names an unknown key, or the
    /// digest is not where it was delivered), and the logs it lists.
    SignatureInvalid,
    /// A digest missing from the chain, or altered (its hash is not the one the next digest
    /// records), and the logs it lists.
    ChainBroken,
    /// Could not be checked (a read failed, no public key could be had): nothing is known.
    Error,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Valid,
        Status::Unverifiable,
        Status::Pending,
        Status::Tampered,
        Status::Deleted,
        Status::NotListed,
        Status::SignatureInvalid,
        Status::ChainBroken,
        Status::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Unverifiable => "unverifiable",
            Status::Pending => "pending",
            Status::Tampered => "tampered",
            Status::Deleted => "deleted",
            Status::NotListed => "not_listed",
            Status::SignatureInvalid => "signature_invalid",
            Status::ChainBroken => "chain_broken",
            Status::Error => "error",
        }
    }

    /// Words for people (summaries, the screen).
    pub fn label(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Unverifiable => "unverifiable offline",
            Status::Pending => "pending (newer than the newest digest)",
            Status::Tampered => "tampered",
            Status::Deleted => "deleted",
            Status::NotListed => "not listed by any digest",
            Status::SignatureInvalid => "digest signature invalid",
            Status::ChainBroken => "chain broken",
            Status::Error => "could not be checked",
        }
    }

    /// Whether this status fails a verification (exit status 1, `!` on the screen).
    pub fn is_failure(self) -> bool {
        !matches!(self, Status::Valid | Status::Unverifiable | Status::Pending)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a checked object is a log or a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Log,
    Digest,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Log => "log",
            ObjectKind::Digest => "digest",
        }
    }
}

/// One object and what validation says of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Checked {
    /// `s3://bucket/key` or a local path, as every other output names objects.
    pub object: String,
    pub kind: ObjectKind,
    pub status: Status,
    /// Why, in words (which digest, which hash, which key).
    pub detail: String,
    pub account: Option<String>,
    pub region: Option<String>,
    /// For a log, the digest that lists it.
    pub digest: Option<String>,
    /// The fingerprint of the public key that signs the digest (the log's digest, or this digest).
    pub fingerprint: Option<String>,
}

/// Everything checked, and what could not even be listed.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Sorted by object.
    pub objects: Vec<Checked>,
    /// Folder listings that failed: their objects are not in `objects`.
    pub problems: Vec<String>,
}

impl Report {
    /// How many objects of `kind` have each status (every status present, zeros included).
    pub fn counts(&self, kind: ObjectKind) -> BTreeMap<Status, usize> {
        let mut out: BTreeMap<Status, usize> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for c in self.objects.iter().filter(|c| c.kind == kind) {
            *out.entry(c.status).or_default() += 1;
        }
        out
    }

    /// Whether anything failed: a failing status, or a listing that could not be read.
    pub fn failed(&self) -> bool {
        !self.problems.is_empty() || self.objects.iter().any(|c| c.status.is_failure())
    }

    /// Each object's result by the name records and listings give it.
    pub fn by_object(&self) -> HashMap<&str, &Checked> {
        self.objects
            .iter()
            .map(|c| (c.object.as_str(), c))
            .collect()
    }

    /// What the evidence export writes beside each CloudTrail record of these objects.
    pub fn integrities(&self) -> Integrities {
        self.objects
            .iter()
            .filter(|c| c.kind == ObjectKind::Log)
            .map(|c| {
                (
                    Arc::from(c.object.as_str()),
                    Integrity {
                        status: c.status,
                        digest: c.digest.clone(),
                        fingerprint: c.fingerprint.clone(),
                    },
                )
            })
            .collect()
    }
}

/// What log file integrity validation said of a CloudTrail object, as the evidence export
/// writes it beside each of its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integrity {
    pub status: Status,
    /// The digest that lists the object.
    pub digest: Option<String>,
    /// The fingerprint of the public key that signs that digest.
    pub fingerprint: Option<String>,
}

/// Integrity by the URI records name their object with (see [`Report::integrities`]).
pub type Integrities = HashMap<Arc<str>, Integrity>;

/// How to verify: where keys come from, how much an object may expand, how many reads at once.
#[derive(Clone)]
pub struct Options {
    pub keys: Arc<dyn KeySource>,
    pub limits: Limits,
    pub concurrency: usize,
}

/// The days whose log objects are reported (`YYYY-MM-DD`, inclusive); `None` is every day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Window {
    pub first: Option<String>,
    pub last: Option<String>,
}

impl Window {
    pub fn admits_day(&self, day: Option<&str>) -> bool {
        let Some(day) = day else {
            return true;
        };
        self.first.as_deref().is_none_or(|f| day >= f)
            && self.last.as_deref().is_none_or(|l| day <= l)
    }
}

/// Verifies every CloudTrail object of `sources` in `scope` (the command line's `trawl verify`).
/// Digests are read a day past `--until`, since the last hour of a day is listed by a digest
/// delivered the next; the logs reported are those of the scope's days.
pub async fn verify_scope(sources: &[Source], scope: &Scope, opts: &Options) -> Report {
    use crate::record::RecordKind;
    if !scope.kinds.is_empty() && !scope.kinds.contains(&RecordKind::CloudTrail) {
        return Report {
            objects: Vec::new(),
            problems: vec!["nothing to verify: --kind leaves out cloudtrail".to_string()],
        };
    }
    // Digests are no record kind: the walk must not prune them for `--kind cloudtrail`.
    let mut walk_scope = scope.clone();
    walk_scope.kinds.clear();
    let walked = walk::walk(sources, &walk_scope, opts.concurrency.max(1) * 2).await;
    let window = Window {
        first: scope.since.map(|t| t.format("%Y-%m-%d").to_string()),
        last: scope.until.map(|t| t.format("%Y-%m-%d").to_string()),
    };
    let mut digests = Vec::new();
    let mut logs = Vec::new();
    for o in walked.objects {
        match o.partition.as_ref().and_then(|p| p.kind) {
            Some(Kind::CloudTrailDigest) => digests.push(o),
            Some(Kind::CloudTrail)
                if window.admits_day(o.partition.as_ref().and_then(|p| p.date()).as_deref()) =>
            {
                logs.push(o)
            }
            _ => {}
        }
    }
    let mut report = engine::check(sources, digests, logs, &window, opts).await;
    report
        .problems
        .extend(walked.failures.iter().map(|f| f.to_string()));
    report
}

/// Verifies `logs` (CloudTrail objects the screen opened, from `sources`): lists the digest
/// folders of their days and the day after, and checks them with every log those digests list
/// on the same days (so a deleted object of those days shows too). Run it in the background:
/// it reads every object it checks.
pub async fn verify_objects(sources: &[Source], logs: &[ObjectRef], opts: &Options) -> Report {
    let mut folders: BTreeMap<(usize, String), ()> = BTreeMap::new();
    let mut days: Vec<String> = Vec::new();
    for o in logs {
        let Some(p) = o.partition.as_ref() else {
            continue;
        };
        if p.kind != Some(Kind::CloudTrail) {
            continue;
        }
        let Some(day) = p.date() else { continue };
        for f in engine::digest_folders(&o.meta.key, &day) {
            folders.insert((o.source, f), ());
        }
        days.push(day);
    }
    days.sort();
    let window = Window {
        first: days.first().cloned(),
        last: days.last().cloned(),
    };
    let mut digests = Vec::new();
    let mut problems = Vec::new();
    for (source, prefix) in folders.into_keys() {
        let store = sources[source].store.clone();
        match store.list_level(&prefix).await {
            Ok(l) => digests.extend(l.objects.into_iter().filter_map(|meta| {
                let partition = crate::layout::Partition::of_key(&meta.key)?;
                (partition.kind == Some(Kind::CloudTrailDigest)).then(|| ObjectRef {
                    source,
                    store: store.clone(),
                    meta,
                    partition: Some(partition),
                })
            })),
            // No digest folder for a day: the logs will say they are not listed.
            Err(e) if e.kind == crate::source::FailureKind::NotFound => {}
            Err(e) => problems.push(e.to_string()),
        }
    }
    let logs: Vec<ObjectRef> = logs
        .iter()
        .filter(|o| o.partition.as_ref().and_then(|p| p.kind) == Some(Kind::CloudTrail))
        .cloned()
        .collect();
    let mut report = engine::check(sources, digests, logs, &window, opts).await;
    report.problems.extend(problems);
    report
}
