//! The pivot as a question asked of the sources, not of a list: walk every opened source's
//! partitions pruned to a scope (time window, accounts, regions, kinds), read each object in it
//! through the raw-text prefilter, and hand over the records that name the entity as each object
//! finishes, with what the scan has cost so far. `trawl pivot` and the screen both run it.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};

use crate::decode::{Limits, Problem};
use crate::entity::{Entity, EntityKind};
use crate::layout::Partition;
use crate::load::{self, LoadOptions};
use crate::pivot;
use crate::record::Record;
use crate::scope::Scope;
use crate::source::{ObjectMeta, Source, StoreError};
use crate::walk::{self, ObjectRef};

/// What a scope holds under the opened sources: the objects a scan would read, nearest to its
/// centre first.
pub struct Plan {
    pub objects: Vec<ObjectRef>,
    /// Stored bytes of those objects.
    pub bytes: u64,
    /// Folders that could not be listed (the rest was still walked).
    pub failures: Vec<StoreError>,
    /// What was found but not read, and why.
    pub skipped: Vec<String>,
    /// Security Lake source version 2 tables (Iceberg), which are read through Athena.
    pub iceberg_tables: Vec<(usize, String)>,
}

/// Lists what `scope` holds under `sources`. With a `center`, the objects whose day is nearest
/// to it come first, so a scan finds what lies around the record it started from first.
pub async fn plan(sources: &[Source], scope: &Scope, center: Option<DateTime<Utc>>) -> Plan {
    plan_with(sources, scope, center, walk::MAX_LISTINGS).await
}

/// [`plan`] with `listings` folders listed at once (see [`walk::list_concurrency`]).
pub async fn plan_with(
    sources: &[Source],
    scope: &Scope,
    center: Option<DateTime<Utc>>,
    listings: usize,
) -> Plan {
    let walked = walk::walk(sources, scope, listings).await;
    let mut objects: Vec<ObjectRef> = walked
        .objects
        .into_iter()
        .filter(ObjectRef::has_records)
        .collect();
    if let Some(c) = center {
        let day = c.date_naive();
        // Stable: objects of one day keep the walk's order.
        objects.sort_by_key(|o| distance(o.partition.as_ref(), day));
    }
    Plan {
        bytes: objects.iter().filter_map(|o| o.meta.size).sum(),
        objects,
        failures: walked.failures,
        skipped: walked.skipped,
        iceberg_tables: walked.iceberg_tables,
    }
}

/// Days between an object's partition day and `day`; objects without a day go last.
fn distance(p: Option<&Partition>, day: NaiveDate) -> i64 {
    p.and_then(Partition::date)
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
        .map_or(i64::MAX, |d| (d - day).num_days().abs())
}

/// How far a scan has come.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub objects_done: usize,
    pub objects: usize,
    /// Stored bytes read, and in all.
    pub bytes_done: u64,
    pub bytes: u64,
    /// Records that name the entity so far (copies included; see `dedup`).
    pub found: usize,
    /// Objects that could not be read completely.
    pub failed: usize,
    pub elapsed: Duration,
}

/// One object read by a scan: the records in it that name the entity, and for a key the events
/// that hand out keys (its identity chain), apart.
#[derive(Debug)]
pub struct Found {
    pub uri: Arc<str>,
    pub meta: ObjectMeta,
    pub matches: Vec<Record>,
    /// Credential-issuing events that do not name the entity themselves.
    pub issuers: Vec<Record>,
    pub problems: Vec<Problem>,
    pub complete: bool,
}

/// A scan's settings beside its plan.
#[derive(Clone)]
pub struct Scan {
    pub target: Entity,
    pub scope: Scope,
    pub concurrency: usize,
    pub limits: Limits,
    /// Cores kept free while decoding (the screen keeps one for its keys).
    pub reserved: usize,
    pub cancel: tokio_util::sync::CancellationToken,
    /// Detection rules run on what the scan finds (the screen's level marks).
    pub rules: Option<Arc<crate::detect::RuleSet>>,
}

/// Reads the plan's objects and hands each one's matches to `on`, with the progress so far;
/// `on` may stop the scan. Returns whether it stopped early (cancelled or told to).
pub async fn run(
    scan: &Scan,
    objects: Vec<ObjectRef>,
    mut on: impl FnMut(Found, &Progress) -> ControlFlow<()>,
) -> bool {
    let (keep, prefilter) = pivot::load_filters(&scan.target);
    let opts = LoadOptions {
        concurrency: scan.concurrency,
        limits: scan.limits,
        scope: scan.scope.clone(),
        cancel: scan.cancel.clone(),
        keep: Some(keep),
        prefilter,
        rules: scan.rules.clone(),
        // A pivot's matches are few, and `trawl pivot` prints them as they come.
        pack_texts: false,
    };
    let started = Instant::now();
    let mut progress = Progress {
        objects: objects.len(),
        bytes: objects.iter().filter_map(|o| o.meta.size).sum(),
        ..Progress::default()
    };
    let target = scan.target.clone();
    load::read_each(objects, &opts, scan.reserved, |o, r| {
        let (matches, issuers): (Vec<Record>, Vec<Record>) =
            r.records.into_iter().partition(|rec| names(rec, &target));
        progress.objects_done += 1;
        progress.bytes_done += o.meta.size.unwrap_or(0);
        progress.found += matches.len();
        progress.failed += usize::from(!r.complete && !r.cancelled);
        progress.elapsed = started.elapsed();
        on(
            Found {
                uri: r.uri,
                meta: o.meta,
                matches,
                issuers,
                problems: r.problems,
                complete: r.complete,
            },
            &progress,
        )
    })
    .await
}

/// Whether a record names the entity (a role also names its sessions).
pub fn names(r: &Record, target: &Entity) -> bool {
    r.entities.iter().any(|e| crate::entity::matches(target, e))
}

/// Whether a scan on `target` also gathers the events of its identity chain.
pub fn gathers_chain(target: &Entity) -> bool {
    target.kind == EntityKind::Key
}
