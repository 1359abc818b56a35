//! Background work for the screen: listing one tree level, indexing partitions for the palette, and
//! loading records, all on tokio tasks that answer with a [`Msg`] and never block the UI loop.
//!
//! Loads are newest-wins (gitui's async job): requests go through a `watch` channel that keeps only
//! the latest, and a newer request cancels the one running, so moving fast over the tree starts at
//! most one extra load however many rows were passed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::msg::{LoadGen, Msg};
use crate::athena::client::{QueryError, QueryRequest};
use crate::athena::cost;
use crate::athena::pivot::PivotQuery;
use crate::athena::run::{run_pivot, Event};
use crate::decode::Limits;
use crate::entity::Entity;
use crate::layout::Partition;
use crate::load::{self, LoadOptions};
use crate::scope::Scope;
use crate::source::AwsOptions;
use crate::source::{ObjectMeta, Source};
use crate::tui::widen::{Estimate, WidenError};
use crate::walk::{self, ObjectRef};
use tokio_util::sync::CancellationToken;

pub type Tx = mpsc::UnboundedSender<Msg>;

/// What to read: everything under a folder, or one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    pub source: usize,
    pub prefix: String,
    pub object: Option<ObjectMeta>,
}

#[derive(Clone)]
struct Job {
    gen: LoadGen,
    /// The partitions or objects read together into one list.
    reqs: Vec<LoadRequest>,
    cancel: CancellationToken,
    /// Log file integrity validation of the CloudTrail objects read, when keys are to be had.
    verify: Option<crate::verify::Options>,
}

/// The screen's handle on background work.
pub struct Loader {
    sources: Vec<Source>,
    tx: Tx,
    jobs: watch::Sender<Option<Job>>,
    gen: LoadGen,
    /// Every piece of background work runs under a child of this token: when the screen goes,
    /// all of it stops.
    root: CancellationToken,
    /// The load in flight.
    cancel: CancellationToken,
    /// Loads actually started by the worker (requests it skipped as stale are not counted).
    pub started: Arc<AtomicUsize>,
    concurrency: usize,
    limits: Limits,
    /// Detection rules run on every record as it loads (its level mark, `rule:` filters).
    rules: Option<Arc<crate::detect::RuleSet>>,
    /// The load worker's copy of the rules, replaced with them.
    worker_rules: watch::Sender<Option<Arc<crate::detect::RuleSet>>>,
    /// How CloudTrail objects read are validated against their digests (`None`: they are not).
    verify: Option<crate::verify::Options>,
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.root.cancel();
    }
}

impl Loader {
    /// Starts the load worker; must be called inside a tokio runtime.
    pub fn new(sources: Vec<Source>, tx: Tx, concurrency: usize, limits: Limits) -> Loader {
        let (jobs, rx) = watch::channel(None);
        let (worker_rules, rules_rx) = watch::channel(None);
        let started = Arc::new(AtomicUsize::new(0));
        tokio::spawn(worker(
            rx,
            sources.clone(),
            tx.clone(),
            started.clone(),
            concurrency,
            limits,
            rules_rx,
        ));
        let root = CancellationToken::new();
        Loader {
            sources,
            tx,
            jobs,
            gen: 0,
            cancel: root.child_token(),
            root,
            started,
            concurrency,
            limits,
            rules: None,
            worker_rules,
            verify: None,
        }
    }

    /// Runs these detection rules on every record loaded or scanned from now on.
    pub fn set_rules(&mut self, rules: Arc<crate::detect::RuleSet>) {
        self.rules = Some(rules.clone());
        let _ = self.worker_rules.send(Some(rules));
    }

    /// Validates the CloudTrail objects of every load from now on, in the background.
    pub fn set_verify(&mut self, opts: crate::verify::Options) {
        self.verify = Some(opts);
    }

    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Lists one level of the tree in the background.
    pub fn list(&self, node: usize, source: usize, prefix: String) {
        let store = self.sources[source].store.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = store.list_level(&prefix).await;
            let _ = tx.send(Msg::Listed {
                node,
                prefix,
                result,
            });
        });
    }

    /// Walks every source for the palette's partition index (listing only, no object is read).
    pub fn index(&self) {
        let sources = self.sources.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let walked = walk::walk(&sources, &Scope::default(), 16).await;
            let rows = walk::ls_rows(&sources, &walked);
            // ls_rows names sources; keep the index so a jump knows which tree root to open.
            let rows = rows
                .into_iter()
                .map(|r| {
                    let i = sources.iter().position(|s| s.name == r.source).unwrap_or(0);
                    (i, r)
                })
                .collect();
            let _ = tx.send(Msg::Indexed {
                rows,
                failures: walked.failures,
            });
        });
    }

    /// Lists what a widened pivot's window holds under the opened sources (no object is read).
    pub fn estimate(&self, gen: u64, scope: Scope) {
        let sources = self.sources.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let walked = walk::walk(&sources, &scope, 16).await;
            let objects: Vec<&ObjectRef> =
                walked.objects.iter().filter(|o| o.has_records()).collect();
            let estimate = Estimate {
                objects: objects.len(),
                bytes: objects.iter().filter_map(|o| o.meta.size).sum(),
                unlisted: walked.failures.len(),
            };
            let _ = tx.send(Msg::Estimated { gen, estimate });
        });
    }

    /// Scans every opened source for `target` over `scope` (objects nearest `center` first): the
    /// plan is sent first; above `budget` bytes the scan waits for `go` before it reads.
    pub fn scan(
        &self,
        gen: u64,
        target: Entity,
        scope: Scope,
        center: Option<chrono::DateTime<chrono::Utc>>,
        budget: u64,
    ) -> (CancellationToken, tokio::sync::oneshot::Sender<()>) {
        let cancel = self.root.child_token();
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let run = crate::scan::Scan {
            target,
            scope,
            concurrency: self.concurrency,
            limits: self.limits,
            // Every core: a scan skips most records by their raw text, so the screen keeps
            // its turn between objects (`trawl bench`: key to frame p95 stays in milliseconds).
            reserved: 0,
            cancel: cancel.clone(),
            rules: self.rules.clone(),
        };
        let sources = self.sources.clone();
        let tx = self.tx.clone();
        let verify = self.verify.clone();
        tokio::spawn(async move {
            let plan = crate::scan::plan(&sources, &run.scope, center).await;
            let (objects, bytes) = (plan.objects.len(), plan.bytes);
            let _ = tx.send(Msg::ScanPlanned {
                gen,
                objects,
                bytes,
                unlisted: plan.failures,
            });
            if bytes > budget {
                tokio::select! {
                    go = go_rx => if go.is_err() { return },
                    _ = run.cancel.cancelled() => {
                        let _ = tx.send(Msg::ScanDone { gen, stopped: true });
                        return;
                    }
                }
            }
            // The CloudTrail objects that gave records are validated once the scan ends.
            let planned = plan.objects.clone();
            let mut matched: std::collections::HashSet<Arc<str>> = Default::default();
            let stopped = crate::scan::run(&run, plan.objects, |found, progress| {
                if !found.matches.is_empty() {
                    matched.insert(found.uri.clone());
                }
                match tx.send(Msg::ScanFound {
                    gen,
                    found,
                    progress: progress.clone(),
                }) {
                    Ok(()) => std::ops::ControlFlow::Continue(()),
                    Err(_) => std::ops::ControlFlow::Break(()),
                }
            })
            .await;
            let _ = tx.send(Msg::ScanDone { gen, stopped });
            if let Some(vopts) = verify {
                let found = planned
                    .iter()
                    .filter(|o| matched.contains(o.uri().as_str()));
                validate(&sources, found, vopts, &tx, run.cancel.clone());
            }
        });
        (cancel, go_tx)
    }

    /// Runs a widened pivot's queries on Athena; `cancel` stops them.
    #[allow(clippy::too_many_arguments)]
    pub fn athena(
        &self,
        gen: u64,
        aws: AwsOptions,
        queries: Vec<PivotQuery>,
        base: QueryRequest,
        target: Entity,
        scope: Scope,
        cancel: CancellationToken,
    ) {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let conf = aws.load().await;
            let result = if conf.region().is_none() {
                Err(WidenError {
                    cancelled: false,
                    message: "no AWS region for Athena: pass --region or set AWS_REGION".into(),
                })
            } else {
                let client = aws_sdk_athena::Client::new(&conf);
                let progress = tx.clone();
                let mut on = move |e: Event<'_>| {
                    let line = match e {
                        Event::Started(q) => format!(
                            "{}: {} days from {} in {}",
                            q.label,
                            q.days.len(),
                            q.days[0],
                            q.table
                        ),
                        Event::Progress(p) => format!(
                            "query {} {} after {:.1}s, {}",
                            p.id,
                            p.state,
                            p.elapsed.as_secs_f64(),
                            cost::describe(p.scanned_bytes)
                        ),
                        Event::Finished(r) => format!(
                            "query {} SUCCEEDED in {:.1}s: {} rows, {}",
                            r.id,
                            r.elapsed.as_secs_f64(),
                            r.rows.len(),
                            cost::describe(r.scanned_bytes)
                        ),
                    };
                    let _ = progress.send(Msg::AthenaProgress { gen, line });
                };
                run_pivot(&client, &queries, &base, &target, &scope, &cancel, &mut on)
                    .await
                    .map_err(|e| match e {
                        QueryError::Cancelled { id, scanned_bytes } => WidenError {
                            cancelled: true,
                            message: format!(
                                "query {id} stopped (StopQueryExecution) after scanning {}",
                                cost::describe(scanned_bytes)
                            ),
                        },
                        e => WidenError {
                            cancelled: false,
                            message: e.to_string(),
                        },
                    })
            };
            let _ = tx.send(Msg::AthenaDone { gen, result });
        });
    }

    /// Asks for a load of these partitions or objects together; the one running (if any) is
    /// cancelled. Returns the load's generation.
    pub fn load(&mut self, reqs: Vec<LoadRequest>) -> LoadGen {
        self.cancel.cancel();
        self.cancel = self.root.child_token();
        self.gen += 1;
        let _ = self.jobs.send(Some(Job {
            gen: self.gen,
            reqs,
            cancel: self.cancel.clone(),
            verify: self.verify.clone(),
        }));
        self.gen
    }

    /// Stops the load in flight (Esc).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A token for new background work (an Athena query), stopped with the screen.
    pub fn token(&self) -> CancellationToken {
        self.root.child_token()
    }

    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }
}

async fn worker(
    mut rx: watch::Receiver<Option<Job>>,
    sources: Vec<Source>,
    tx: Tx,
    started: Arc<AtomicUsize>,
    concurrency: usize,
    limits: Limits,
    rules: watch::Receiver<Option<Arc<crate::detect::RuleSet>>>,
) {
    while rx.changed().await.is_ok() {
        // borrow_and_update takes the newest request; every one sent meanwhile is skipped.
        let Some(job) = rx.borrow_and_update().clone() else {
            continue;
        };
        if job.cancel.is_cancelled() {
            continue;
        }
        started.fetch_add(1, Ordering::Relaxed);
        let rules = rules.borrow().clone();
        run(&job, &sources, &tx, concurrency, limits, rules).await;
    }
}

/// Validates the CloudTrail logs among `objects` against their digests, in the background, and
/// sends what it finds (`Msg::Verified`); `cancel` drops it.
fn validate<'a>(
    sources: &[Source],
    objects: impl Iterator<Item = &'a ObjectRef>,
    vopts: crate::verify::Options,
    tx: &Tx,
    cancel: CancellationToken,
) {
    let logs: Vec<ObjectRef> = objects
        .filter(|o| {
            o.partition.as_ref().and_then(|p| p.kind) == Some(crate::layout::Kind::CloudTrail)
        })
        .cloned()
        .collect();
    if logs.is_empty() {
        return;
    }
    let sources = sources.to_vec();
    let tx = tx.clone();
    // On a blocking thread of its own: the verification future is not `Send` (its closures
    // borrow for any lifetime), and it must not hold up the load.
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        handle.block_on(async move {
            let report = tokio::select! {
                r = crate::verify::verify_objects(&sources, &logs, &vopts) => r,
                () = cancel.cancelled() => return,
            };
            let _ = tx.send(Msg::Verified {
                integrities: report.integrities(),
                problems: report.problems.clone(),
            });
        });
    });
}

async fn run(
    job: &Job,
    sources: &[Source],
    tx: &Tx,
    concurrency: usize,
    limits: Limits,
    rules: Option<Arc<crate::detect::RuleSet>>,
) {
    let mut objects: Vec<ObjectRef> = Vec::new();
    for req in &job.reqs {
        let Some(src) = sources.get(req.source) else {
            continue;
        };
        let metas = match &req.object {
            Some(meta) => vec![meta.clone()],
            None => match src.store.list_all(&req.prefix).await {
                Ok(m) => m,
                Err(error) => {
                    let _ = tx.send(Msg::LoadFailed {
                        gen: job.gen,
                        error,
                    });
                    continue;
                }
            },
        };
        objects.extend(
            metas
                .into_iter()
                .map(|meta| ObjectRef {
                    source: req.source,
                    store: src.store.clone(),
                    partition: Partition::of_key(&meta.key),
                    meta,
                })
                .filter(ObjectRef::has_records),
        );
    }
    let _ = tx.send(Msg::LoadPlanned {
        gen: job.gen,
        objects: objects.len(),
        bytes: objects.iter().filter_map(|o| o.meta.size).sum(),
    });
    let opts = LoadOptions {
        concurrency,
        limits,
        cancel: job.cancel.clone(),
        rules,
        ..LoadOptions::default()
    };
    // Validation reads digests and every log again: it runs beside the load, never before it.
    if let Some(vopts) = job.verify.clone() {
        validate(sources, objects.iter(), vopts, tx, job.cancel.clone());
    }
    // A core is left to the screen so keys stay quick while local objects decode.
    load::read_each(objects, &opts, 1, |o, mut result| {
        let ids = result.records.iter().map(crate::dedup::identity).collect();
        result.pack_texts();
        let sent = tx.send(Msg::ObjectRead {
            gen: job.gen,
            result,
            bytes: o.meta.size.unwrap_or(0),
            meta: o.meta,
            ids,
        });
        match sent {
            Ok(()) => std::ops::ControlFlow::Continue(()),
            Err(_) => std::ops::ControlFlow::Break(()),
        }
    })
    .await;
    let _ = tx.send(Msg::LoadDone {
        gen: job.gen,
        cancelled: job.cancel.is_cancelled(),
    });
}
