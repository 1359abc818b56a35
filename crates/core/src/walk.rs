//! The partition tree, walked one folder level at a time (S3's delimiter listing) and pruned by the
//! scope as it goes: trawl never lists a whole bucket flat.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{self, FuturesUnordered, StreamExt};

use crate::layout::{Kind, Partition};
use crate::scope::Scope;
use crate::source::{ObjectMeta, Source, Store, StoreError};

/// Folders deeper than this are not followed (a symlink loop on disk, a hostile bucket).
const MAX_DEPTH: usize = 24;

/// One object found in scope.
#[derive(Clone)]
pub struct ObjectRef {
    /// Index of the SOURCE argument it was found under.
    pub source: usize,
    pub store: Arc<dyn Store>,
    pub meta: ObjectMeta,
    /// `None` outside every known layout: such objects are recognized by their content.
    pub partition: Option<Partition>,
}

impl ObjectRef {
    pub fn uri(&self) -> String {
        self.store.uri(&self.meta.key)
    }

    /// Whether decoding it can yield records (digests and Iceberg metadata cannot).
    pub fn has_records(&self) -> bool {
        // An S3 Encryption Client instruction file is read with its object, never on its own.
        if self.meta.key.ends_with(".instruction") {
            return false;
        }
        match &self.partition {
            Some(p) => p.kind.is_some_and(Kind::has_records) && !p.iceberg,
            None => true,
        }
    }
}

#[derive(Default)]
pub struct Walk {
    pub objects: Vec<ObjectRef>,
    /// Folders that could not be listed; the rest of the tree was still walked.
    pub failures: Vec<StoreError>,
    /// Security Lake source version 2 tables (Iceberg), which are read through Athena.
    pub iceberg_tables: Vec<(usize, String)>,
    /// What was found but not read, and why (symlink loops, FIFOs, folders past the depth
    /// limit): for warnings.
    pub skipped: Vec<String>,
}

/// Listings at once for `concurrency` objects read at once: listing is all round trips (an
/// organization trail is accounts × regions × days of folders), so it runs wider than reading.
pub fn list_concurrency(concurrency: usize) -> usize {
    concurrency.saturating_mul(4).clamp(16, MAX_LISTINGS)
}

/// Most listings at once: what the command line's default `--concurrency` gives.
pub const MAX_LISTINGS: usize = 64;

/// Walks every source down to its objects, `concurrency` listings at once. The folders form a
/// work queue, not levels: each finished listing starts its sub-folders' listings at once, so
/// no folder waits for the slowest listing of the level above (an organization trail is
/// accounts × regions × years × months × days of folders, each a round trip).
/// With `concurrency` 1 it lists one folder after another.
pub async fn walk(sources: &[Source], scope: &Scope, concurrency: usize) -> Walk {
    let mut out = Walk::default();
    // Folders waiting to be listed, with their depth below the source; taken last in, first
    // out, so the queue stays short and the first objects are found early.
    let mut queue: Vec<(usize, String, usize)> = Vec::new();
    let mut too_deep: Vec<(usize, String)> = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        match &src.object {
            Some(meta) => out.objects.push(ObjectRef {
                source: i,
                store: src.store.clone(),
                meta: meta.clone(),
                partition: Partition::of_key(&meta.key),
            }),
            None => queue.push((i, src.prefix.clone(), 0)),
        }
    }
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < concurrency.max(1) {
            let Some((i, prefix, depth)) = queue.pop() else {
                break;
            };
            let store = sources[i].store.clone();
            running.push(async move { (i, depth, store.list_level(&prefix).await) });
        }
        let Some((i, depth, listing)) = running.next().await else {
            break;
        };
        let listing = match listing {
            Ok(l) => l,
            Err(e) => {
                out.failures.push(e);
                continue;
            }
        };
        out.skipped.extend(listing.skipped);
        for folder in listing.folders {
            let p = Partition::of_prefix(&folder);
            if p.iceberg {
                out.iceberg_tables.push((i, folder));
            } else if scope.admits_partition(&p) {
                if depth + 1 >= MAX_DEPTH {
                    too_deep.push((i, folder));
                } else {
                    queue.push((i, folder, depth + 1));
                }
            }
        }
        for meta in listing.objects {
            let partition = Partition::of_key(&meta.key);
            if partition
                .as_ref()
                .is_some_and(|p| !scope.admits_partition(p))
            {
                continue;
            }
            out.objects.push(ObjectRef {
                source: i,
                store: sources[i].store.clone(),
                meta,
                partition,
            });
        }
    }
    // The order listings finish in is the network's: what is reported is sorted.
    too_deep.sort();
    out.failures.sort_by(|a, b| a.uri.cmp(&b.uri));
    out.skipped.sort();
    // Never a silent limit: what lies deeper is named.
    const NAMED: usize = 3;
    for (i, prefix) in too_deep.iter().take(NAMED) {
        out.skipped.push(format!(
            "{}: not read: folders deeper than {MAX_DEPTH} levels are not followed",
            sources[*i].store.uri(prefix)
        ));
    }
    if too_deep.len() > NAMED {
        out.skipped.push(format!(
            "{} more folders deeper than {MAX_DEPTH} levels not read",
            too_deep.len() - NAMED
        ));
    }
    out.objects
        .sort_by(|a, b| (a.source, &a.meta.key).cmp(&(b.source, &b.meta.key)));
    out.iceberg_tables.sort();
    out.iceberg_tables
        .dedup_by(|a, b| a.0 == b.0 && a.1.starts_with(&b.1));
    out
}

/// Folders `days_held` lists at most: past this it gives up rather than walk a whole bucket.
const DAYS_HELD_BUDGET: usize = 4096;

/// A folder with a day range (`YYYY-MM-DD` strings), waiting to be listed by `days_held`.
#[derive(Clone)]
struct Dated {
    source: usize,
    prefix: String,
    first: String,
    last: String,
    /// A whole day: the folder of one day holds records of it (S3 has no empty folders).
    day: bool,
}

/// The first and last day (`YYYY-MM-DD`) the sources hold, in the scope's accounts, regions
/// and kinds but whatever its time window: what an empty window is told. Folders without days
/// (accounts, regions) are listed; of the dated ones only those that can hold the earliest or
/// the latest day, so it costs a few listings per account and region, not a walk of every day.
/// `None` when the sources hold no dated folder or object, or a listing failed.
pub async fn days_held(
    sources: &[Source],
    scope: &Scope,
    concurrency: usize,
) -> Option<(String, String)> {
    let scope = Scope {
        since: None,
        until: None,
        ..scope.clone()
    };
    let mut budget = DAYS_HELD_BUDGET;
    let mut held: Vec<String> = Vec::new();
    let mut dated: Vec<Dated> = Vec::new();
    let mut frontier: Vec<(usize, String)> = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        match &src.object {
            Some(meta) => held.extend(Partition::of_key(&meta.key).and_then(|p| p.date())),
            None => frontier.push((i, src.prefix.clone())),
        }
    }
    // Undated folders, level by level; dated ones are set aside.
    for _depth in 0..MAX_DEPTH {
        if frontier.is_empty() {
            break;
        }
        budget = budget.checked_sub(frontier.len())?;
        let listings = list_all_of(sources, std::mem::take(&mut frontier), concurrency).await?;
        for (i, listing) in listings {
            sort_listing(i, listing, &scope, &mut frontier, &mut dated, &mut held);
        }
    }
    let first = extreme(
        sources,
        &scope,
        &dated,
        &held,
        false,
        &mut budget,
        concurrency,
    )
    .await?;
    let last = extreme(
        sources,
        &scope,
        &dated,
        &held,
        true,
        &mut budget,
        concurrency,
    )
    .await?;
    Some((first, last))
}

async fn list_all_of(
    sources: &[Source],
    folders: Vec<(usize, String)>,
    concurrency: usize,
) -> Option<Vec<(usize, crate::source::Listing)>> {
    let listings: Vec<_> = stream::iter(folders)
        .map(|(i, prefix)| {
            let store = sources[i].store.clone();
            async move { (i, store.list_level(&prefix).await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    listings
        .into_iter()
        .map(|(i, l)| l.ok().map(|l| (i, l)))
        .collect()
}

/// Puts a listing's folders where `days_held` wants them: undated ones on the frontier, dated
/// ones aside; dated objects are days held.
fn sort_listing(
    i: usize,
    listing: crate::source::Listing,
    scope: &Scope,
    frontier: &mut Vec<(usize, String)>,
    dated: &mut Vec<Dated>,
    held: &mut Vec<String>,
) {
    let wanted = |p: &Partition| {
        scope.admits_partition(p) && p.kind.is_none_or(Kind::has_records) && !p.iceberg
    };
    for folder in listing.folders {
        let p = Partition::of_prefix(&folder);
        if !wanted(&p) {
            continue;
        }
        match p.day.range() {
            Some((first, last)) => dated.push(Dated {
                source: i,
                day: p.date().is_some(),
                prefix: folder,
                first,
                last,
            }),
            None => frontier.push((i, folder)),
        }
    }
    for meta in listing.objects {
        if let Some(p) = Partition::of_key(&meta.key).filter(|p| wanted(p)) {
            held.extend(p.date());
        }
    }
}

/// The earliest (or the latest) day among `held` and what the dated folders hold: the folders
/// that could hold an earlier (later) day than the best so far are listed, nearest first.
async fn extreme(
    sources: &[Source],
    scope: &Scope,
    dated: &[Dated],
    held: &[String],
    latest: bool,
    budget: &mut usize,
    concurrency: usize,
) -> Option<String> {
    let better = |a: &str, b: &str| if latest { a > b } else { a < b };
    let mut best: Option<String> = held.iter().fold(None, |best, d| match best {
        Some(b) if !better(d, &b) => Some(b),
        _ => Some(d.clone()),
    });
    let bound = |d: &Dated| {
        if latest {
            d.last.clone()
        } else {
            d.first.clone()
        }
    };
    let mut open: Vec<Dated> = dated.to_vec();
    loop {
        // Only folders whose bound beats the best so far can change it.
        open.retain(|d| best.as_deref().is_none_or(|b| better(&bound(d), b)));
        let Some(nearest) = open
            .iter()
            .map(bound)
            .reduce(|a, b| if better(&b, &a) { b } else { a })
        else {
            return best;
        };
        let (round, rest): (Vec<Dated>, Vec<Dated>) =
            open.into_iter().partition(|d| bound(d) == nearest);
        open = rest;
        if let Some(day) = round.iter().find(|d| d.day) {
            best = Some(if latest {
                day.last.clone()
            } else {
                day.first.clone()
            });
            continue;
        }
        *budget = budget.checked_sub(round.len())?;
        let folders = round.into_iter().map(|d| (d.source, d.prefix)).collect();
        let mut frontier = Vec::new();
        let mut held = Vec::new();
        for (i, listing) in list_all_of(sources, folders, concurrency).await? {
            sort_listing(i, listing, scope, &mut frontier, &mut open, &mut held);
        }
        for d in held {
            if best.as_deref().is_none_or(|b| better(&d, b)) {
                best = Some(d);
            }
        }
    }
}

/// One line of `trawl ls`: a day (or other leaf folder) and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LsRow {
    pub source: String,
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub day: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lake_source: Option<String>,
    pub objects: u64,
    pub bytes: u64,
    /// The folder, so that a person can go and look.
    pub prefix: String,
}

fn folder_of(key: &str) -> &str {
    key.rfind('/').map_or("", |i| &key[..=i])
}

/// Groups the objects of a walk into one row per partition day (or per folder outside the layout).
pub fn ls_rows(sources: &[Source], walk: &Walk) -> Vec<LsRow> {
    let mut rows: BTreeMap<(usize, String), LsRow> = BTreeMap::new();
    for o in &walk.objects {
        let folder = folder_of(&o.meta.key).to_string();
        let row = rows.entry((o.source, folder.clone())).or_insert_with(|| {
            let p = o.partition.clone().unwrap_or_default();
            LsRow {
                source: sources[o.source].name.clone(),
                kind: p.kind.map_or("other", Kind::as_str).to_string(),
                org: p.org.clone(),
                account: p.account.clone(),
                region: p.region.clone(),
                day: p.date(),
                lake_source: p.lake_source.clone(),
                objects: 0,
                bytes: 0,
                prefix: folder,
            }
        });
        row.objects += 1;
        row.bytes += o.meta.size.unwrap_or(0);
    }
    let mut out: Vec<LsRow> = rows.into_values().collect();
    for (i, prefix) in &walk.iceberg_tables {
        let p = Partition::of_prefix(prefix);
        out.push(LsRow {
            source: sources[*i].name.clone(),
            kind: "securitylake-v2 (Iceberg: read it through Athena)".to_string(),
            org: None,
            account: None,
            region: None,
            day: None,
            lake_source: p.lake_source,
            objects: 0,
            bytes: 0,
            prefix: prefix.clone(),
        });
    }
    out
}
