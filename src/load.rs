//! Reads objects into records: bounded parallel GETs, streaming decoding on blocking threads, and
//! every failure kept with the object it belongs to while the rest keeps loading.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures::stream::{self, StreamExt};

use crate::decode::{self, Item, Limits, Problem};
use crate::layout::Partition;
use crate::record::{Origin, Record};
use crate::scope::Scope;
use crate::walk::ObjectRef;

#[derive(Clone)]
pub struct LoadOptions {
    /// Objects read at once.
    pub concurrency: usize,
    pub limits: Limits,
    pub scope: Scope,
    /// Set to stop every load in flight (Esc on screen).
    pub cancel: Arc<AtomicBool>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            concurrency: 8,
            limits: Limits::default(),
            scope: Scope::default(),
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// What one object yielded.
#[derive(Debug)]
pub struct ObjectResult {
    pub uri: Arc<str>,
    pub records: Vec<Record>,
    pub problems: Vec<Problem>,
    /// Read to its end. An incomplete object's records are kept but never presented as all it held.
    pub complete: bool,
    pub cancelled: bool,
}

/// Reads `objects` (at most `concurrency` at once), returning results in the objects' order.
pub async fn load_all(objects: &[ObjectRef], opts: &LoadOptions) -> Vec<ObjectResult> {
    let mut results: Vec<(usize, ObjectResult)> = stream::iter(objects.iter().enumerate())
        .map(|(i, o)| async move { (i, read_object(o, opts).await) })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Reads one object through its store, decoding on a blocking thread.
pub async fn read_object(obj: &ObjectRef, opts: &LoadOptions) -> ObjectResult {
    let uri: Arc<str> = Arc::from(obj.uri());
    let partition = obj.partition.clone();
    let limits = opts.limits;
    let scope = opts.scope.clone();
    let cancel = opts.cancel.clone();
    let input: Box<dyn Read + Send> = if let Some(path) = obj.store.local_path(&obj.meta.key) {
        match std::fs::File::open(&path) {
            Ok(f) => Box::new(f),
            Err(e) => return failed(uri, format!("cannot open: {e}")),
        }
    } else {
        match obj.store.get(&obj.meta.key).await {
            // The bridge blocks on the runtime from the decoding thread, never on the runtime itself.
            Ok(stream) => Box::new(tokio_util::io::SyncIoBridge::new(stream)),
            Err(e) => return failed(uri, e.reason()),
        }
    };
    let task_uri = uri.clone();
    tokio::task::spawn_blocking(move || {
        decode_object(input, task_uri, partition.as_ref(), limits, &scope, &cancel)
    })
    .await
    .unwrap_or_else(|e| failed(uri, format!("decoder crashed: {e}")))
}

fn failed(uri: Arc<str>, message: String) -> ObjectResult {
    ObjectResult {
        uri,
        records: Vec::new(),
        problems: vec![Problem {
            line: None,
            message,
            fatal: true,
        }],
        complete: false,
        cancelled: false,
    }
}

/// Why a value is not a record, in a way that helps: digests and empty shapes are named.
fn not_a_record(v: &serde_json::Value) -> String {
    if v.get("digestStartTime").is_some() && v.get("logFiles").is_some() {
        return "a CloudTrail digest, not events".to_string();
    }
    let keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().take(5).map(String::as_str).collect())
        .unwrap_or_default();
    if keys.is_empty() {
        "not a GuardDuty finding, CloudTrail event or OCSF record".to_string()
    } else {
        format!(
            "not a GuardDuty finding, CloudTrail event or OCSF record (keys: {})",
            keys.join(", ")
        )
    }
}

/// Decodes an object's bytes (any supported format) into records, on the calling thread.
pub fn decode_object(
    input: Box<dyn Read + Send>,
    uri: Arc<str>,
    partition: Option<&Partition>,
    limits: Limits,
    scope: &Scope,
    cancel: &AtomicBool,
) -> ObjectResult {
    let mut result = ObjectResult {
        uri: uri.clone(),
        records: Vec::new(),
        problems: Vec::new(),
        complete: true,
        cancelled: false,
    };
    let mut sink = |item: Item| {
        if cancel.load(Ordering::Relaxed) {
            return ControlFlow::Break(());
        }
        match item {
            Item::Value(v, position) => {
                let origin = Origin {
                    object: uri.clone(),
                    position,
                };
                let why = not_a_record_if_unknown(&v);
                match Record::from_value(v, origin, partition) {
                    Some(r) => {
                        if scope.admits(&r) {
                            result.records.push(r);
                        }
                    }
                    None => result.problems.push(Problem {
                        line: Some(position),
                        message: why.unwrap_or_default(),
                        fatal: false,
                    }),
                }
            }
            Item::Problem(p) => {
                if p.fatal {
                    result.complete = false;
                }
                result.problems.push(p);
            }
        }
        ControlFlow::Continue(())
    };
    let mut reader = BufReader::with_capacity(256 << 10, input);
    let parquet = reader.fill_buf().map(decode::is_parquet).unwrap_or(false);
    let flow = if parquet {
        // Parquet needs its footer first: hold the (bounded) object, then read row groups.
        let mut bytes = Vec::new();
        match reader
            .take(limits.max_object_bytes + 1)
            .read_to_end(&mut bytes)
        {
            Ok(n) if n as u64 > limits.max_object_bytes => sink(Item::Problem(Problem {
                line: None,
                message: format!(
                    "refused: Parquet object larger than {} bytes",
                    limits.max_object_bytes
                ),
                fatal: true,
            })),
            Ok(_) => decode::decode_parquet(bytes::Bytes::from(bytes), &mut sink),
            Err(e) => sink(Item::Problem(Problem {
                line: None,
                message: format!("read failed: {e}"),
                fatal: true,
            })),
        }
    } else {
        decode::decode_json(reader, limits, &mut sink)
    };
    if flow.is_break() {
        result.cancelled = true;
        result.complete = false;
    }
    result
}

fn not_a_record_if_unknown(v: &serde_json::Value) -> Option<String> {
    crate::record::RecordKind::detect(v)
        .is_none()
        .then(|| not_a_record(v))
}
