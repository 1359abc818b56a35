//! The partition tree, walked one folder level at a time (S3's delimiter listing) and pruned by the
//! scope as it goes: trawl never lists a whole bucket flat.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt};

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

/// Walks every source down to its objects, level by level, `concurrency` listings at a time.
pub async fn walk(sources: &[Source], scope: &Scope, concurrency: usize) -> Walk {
    let mut out = Walk::default();
    let mut frontier: Vec<(usize, String)> = Vec::new();
    for (i, src) in sources.iter().enumerate() {
        match &src.object {
            Some(meta) => out.objects.push(ObjectRef {
                source: i,
                store: src.store.clone(),
                meta: meta.clone(),
                partition: Partition::of_key(&meta.key),
            }),
            None => frontier.push((i, src.prefix.clone())),
        }
    }
    for _depth in 0..MAX_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let listings: Vec<_> = stream::iter(frontier.drain(..))
            .map(|(i, prefix)| {
                let store = sources[i].store.clone();
                async move { (i, store.list_level(&prefix).await) }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        for (i, listing) in listings {
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
                    frontier.push((i, folder));
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
    }
    // Never a silent limit: what lies deeper is named.
    const NAMED: usize = 3;
    for (i, prefix) in frontier.iter().take(NAMED) {
        out.skipped.push(format!(
            "{}: not read: folders deeper than {MAX_DEPTH} levels are not followed",
            sources[*i].store.uri(prefix)
        ));
    }
    if frontier.len() > NAMED {
        out.skipped.push(format!(
            "{} more folders deeper than {MAX_DEPTH} levels not read",
            frontier.len() - NAMED
        ));
    }
    out.objects
        .sort_by(|a, b| (a.source, &a.meta.key).cmp(&(b.source, &b.meta.key)));
    out.iceberg_tables.sort();
    out.iceberg_tables
        .dedup_by(|a, b| a.0 == b.0 && a.1.starts_with(&b.1));
    out
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
