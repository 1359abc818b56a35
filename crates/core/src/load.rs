//! Reads objects into records: bounded parallel GETs, streaming decoding on blocking threads, and
//! every failure kept with the object it belongs to while the rest keeps loading.

use std::io::{BufRead, BufReader, Read};
use std::ops::ControlFlow;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

use futures::stream::{self, StreamExt};

use crate::decode::{self, Item, Limits, Problem};
use crate::detect::RuleSet;
use crate::layout::Partition;
use crate::record::{Origin, Record};
use crate::scope::Scope;
use crate::source::RangeReader;
use crate::walk::ObjectRef;

#[derive(Clone)]
pub struct LoadOptions {
    /// Objects read at once.
    pub concurrency: usize,
    pub limits: Limits,
    pub scope: Scope,
    /// Set to stop every load in flight (Esc on screen).
    pub cancel: CancellationToken,
    /// Keeps only the records a caller wants (a pivot's), so the rest is never held.
    pub keep: Option<Keep>,
    /// A test on a record's raw text that every wanted record passes; others are not parsed.
    pub prefilter: Option<RawFilter>,
    /// Detection rules run on each record in scope, its hits kept in `Record::detections`.
    pub rules: Option<Arc<RuleSet>>,
    /// Packs each object's texts once it is read (see `raw`): for callers that hold what they
    /// load rather than print it.
    pub pack_texts: bool,
}

pub type Keep = Arc<dyn Fn(&Record) -> bool + Send + Sync>;
pub type RawFilter = Arc<dyn Fn(&[u8]) -> bool + Send + Sync>;

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            concurrency: 8,
            limits: Limits::default(),
            scope: Scope::default(),
            cancel: CancellationToken::new(),
            keep: None,
            prefilter: None,
            rules: None,
            pack_texts: false,
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

impl ObjectResult {
    /// Packs its records' texts together (see `raw`) and has its records share one copy of
    /// each value they name: for records that are held, once what is read from every record's
    /// text as it arrives has been read.
    pub fn pack_texts(&mut self) {
        crate::raw::pack(self.records.iter_mut().map(|r| &mut r.raw));
        let mut values: rustc_hash::FxHashSet<Arc<str>> = Default::default();
        let mut share = |text: &mut Arc<str>| match values.get(&**text) {
            Some(shared) => *text = shared.clone(),
            None => {
                values.insert(text.clone());
            }
        };
        for r in &mut self.records {
            r.entities.iter_mut().for_each(|e| share(&mut e.value));
            share(&mut r.event);
            let texts = [&mut r.account, &mut r.region, &mut r.principal, &mut r.ip];
            texts.into_iter().flatten().for_each(&mut share);
        }
    }
}

/// How far a load has come: what the screen's status line and `--progress` show.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub failed: usize,
    /// Stored (compressed) bytes of the objects done.
    pub bytes: u64,
    pub total_bytes: u64,
    pub records: usize,
    /// Requests sent to the stores so far (S3 GETs, HEADs and listings; none for a folder).
    pub requests: u64,
    pub elapsed: std::time::Duration,
}

impl Progress {
    /// Stored bytes read per second so far.
    pub fn rate(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    /// Time left at the rate so far, by bytes when sizes are known, else by objects.
    pub fn eta(&self) -> Option<std::time::Duration> {
        let fraction = if self.total_bytes > 0 {
            self.bytes as f64 / self.total_bytes as f64
        } else if self.total > 0 {
            self.done as f64 / self.total as f64
        } else {
            return None;
        };
        (fraction > 0.0).then(|| self.elapsed.mul_f64((1.0 - fraction).max(0.0) / fraction))
    }

    pub fn line(&self) -> String {
        let mut s = format!(
            "{}/{} objects, {:.1} MB, {} records, {:.1} MB/s",
            self.done,
            self.total,
            self.bytes as f64 / 1e6,
            self.records,
            self.rate() / 1e6
        );
        if self.requests > 0 {
            s.push_str(&format!(", {} requests", self.requests));
        }
        if let Some(eta) = self.eta().filter(|_| self.done < self.total) {
            s.push_str(&format!(", {:.0}s left", eta.as_secs_f64().ceil()));
        }
        if self.failed > 0 {
            s.push_str(&format!(", {} failed", self.failed));
        }
        s
    }
}

/// Reads `objects` (at most `concurrency` at once), returning results in the objects' order.
pub async fn load_all(objects: &[ObjectRef], opts: &LoadOptions) -> Vec<ObjectResult> {
    load_all_with(objects, opts, |_| {}).await
}

/// Like [`load_all`], telling `on_progress` after each object.
pub async fn load_all_with(
    objects: &[ObjectRef],
    opts: &LoadOptions,
    mut on_progress: impl FnMut(&Progress),
) -> Vec<ObjectResult> {
    let started = std::time::Instant::now();
    let mut progress = Progress {
        total: objects.len(),
        total_bytes: objects.iter().map(|o| o.meta.size.unwrap_or(0)).sum(),
        ..Progress::default()
    };
    let stores = crate::source::distinct_stores(objects.iter().map(|o| &o.store));
    let sent_before = crate::source::requests_of(&stores);
    let concurrency = decode_concurrency(objects, opts.concurrency, 0);
    let mut stream = stream::iter(objects.iter().enumerate())
        .map(|(i, o)| async move { (i, read_object(o, opts).await) })
        .buffer_unordered(concurrency);
    let mut results: Vec<(usize, ObjectResult)> = Vec::with_capacity(objects.len());
    while let Some((i, r)) = stream.next().await {
        progress.done += 1;
        progress.bytes += objects[i].meta.size.unwrap_or(0);
        progress.records += r.records.len();
        progress.failed += usize::from(!r.complete);
        progress.requests = crate::source::requests_of(&stores) - sent_before;
        progress.elapsed = started.elapsed();
        on_progress(&progress);
        results.push((i, r));
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Reads `objects` in turn order, as many at once as [`decode_concurrency`] allows (`reserved`
/// cores kept free for a screen), and hands each to `on` as it finishes, in any order. No new
/// object is started once `opts.cancel` is cancelled or `on` says break; the ones in flight stop
/// at their next record. Returns whether it stopped early.
pub async fn read_each(
    objects: Vec<ObjectRef>,
    opts: &LoadOptions,
    reserved: usize,
    mut on: impl FnMut(ObjectRef, ObjectResult) -> ControlFlow<()>,
) -> bool {
    let concurrency = decode_concurrency(&objects, opts.concurrency, reserved);
    let cancel = opts.cancel.clone();
    let mut results = stream::iter(objects)
        .take_while(|_| std::future::ready(!cancel.is_cancelled()))
        .map(|o| async move {
            let r = read_object(&o, opts).await;
            (o, r)
        })
        .buffer_unordered(concurrency);
    while let Some((o, r)) = results.next().await {
        if on(o, r).is_break() {
            return true;
        }
    }
    opts.cancel.is_cancelled()
}

/// How many of `objects` to read at once. Local objects are decoded, not waited for: more at
/// once than there are cores (less `reserved`, kept for a screen) only adds buffers of a few
/// megabytes each. Remote ones wait on the network, where `wanted` keeps the pipe full.
pub fn decode_concurrency(objects: &[ObjectRef], wanted: usize, reserved: usize) -> usize {
    let local = objects
        .first()
        .is_some_and(|o| o.store.local_path(&o.meta.key).is_some());
    let n = if local {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        wanted.min(cores.saturating_sub(reserved))
    } else {
        wanted
    };
    n.max(1)
}

/// Memory is counted in units of this many bytes.
const UNIT: u64 = 16 << 20;

/// Units of memory that objects in flight may take together: half of what the machine (or the
/// control group trawl runs in) has available when first asked, the rest left for the records
/// already loaded.
struct Budget {
    units: tokio::sync::Semaphore,
    total: u32,
}

fn budget() -> &'static Budget {
    static BUDGET: std::sync::OnceLock<Budget> = std::sync::OnceLock::new();
    BUDGET.get_or_init(|| {
        let max = tokio::sync::Semaphore::MAX_PERMITS.min(u32::MAX as usize) as u64;
        let total = available_memory().map_or(max, |m| (m / 2 / UNIT).clamp(1, max));
        Budget {
            units: tokio::sync::Semaphore::new(total as usize),
            total: total as u32,
        }
    })
}

/// Units one object may need: its expanded text and the records made from it may each reach
/// the object limit.
pub fn object_units(limits: Limits) -> u64 {
    limits
        .max_object_bytes
        .saturating_mul(2)
        .div_ceil(UNIT)
        .max(1)
}

/// Objects that fit in `available` bytes at once, each as large as the limits allow (at least one).
pub fn objects_in_flight(available: u64, limits: Limits) -> u64 {
    (available / 2 / UNIT / object_units(limits)).max(1)
}

/// Bytes available to trawl: `MemAvailable`, lowered to the control group's limit when it has
/// one. `None` where neither can be read.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok().and_then(|t| {
        t.lines()
            .find_map(|l| l.strip_prefix("MemAvailable:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    });
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
    };
    let cgroup = read("/sys/fs/cgroup/memory.max")
        .map(|max| max.saturating_sub(read("/sys/fs/cgroup/memory.current").unwrap_or(0)));
    match (meminfo, cgroup) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Units of memory to reserve first for an object of `size` stored bytes that is not Parquet:
/// room for records of about 40 times its size (CloudTrail gzip expands about 15 times, and a
/// loaded record takes about twice its text). An object that holds more raises its reservation
/// to the whole limit as it goes ([`Reservation::raise_to_worst`]), so a gzip bomb is still
/// counted in full, while an organization day of 20 KB objects is read many at a time.
pub fn sized_units(size: Option<u64>, limits: Limits) -> u64 {
    let worst = object_units(limits);
    match size {
        Some(size) => size.saturating_mul(40).div_ceil(UNIT).clamp(1, worst),
        None => worst,
    }
}

/// The memory an object in flight may hold.
pub(crate) struct Reservation {
    permit: Option<tokio::sync::SemaphorePermit<'static>>,
    held: u32,
    worst: u32,
}

impl Reservation {
    /// Bytes reserved.
    fn bytes(&self) -> u64 {
        u64::from(self.held) * UNIT
    }

    /// Raises the reservation to the whole limit, from a decoding (blocking) thread. What was
    /// held is given back first, so that two objects never wait on each other's units.
    fn raise_to_worst(&mut self) {
        if self.held >= self.worst {
            return;
        }
        self.permit = None;
        let units = &budget().units;
        self.permit = futures::executor::block_on(units.acquire_many(self.worst)).ok();
        self.held = self.worst;
    }
}

/// Reads one object through its store, decoding on a blocking thread. Parquet is read by ranges
/// (footer, then a row group at a time); everything else is streamed. However many objects
/// callers read at once, only as many as memory holds are in flight ([`sized_units`],
/// [`objects_in_flight`]).
pub async fn read_object(obj: &ObjectRef, opts: &LoadOptions) -> ObjectResult {
    let budget = budget();
    // One object alone may always be read, however large its limits.
    let cap = |u: u64| u32::try_from(u).unwrap_or(u32::MAX).min(budget.total);
    let worst = cap(object_units(opts.limits));
    let want = if obj.meta.key.ends_with(".parquet") {
        worst
    } else {
        cap(sized_units(obj.meta.size, opts.limits))
    };
    let permit = budget.units.acquire_many(want).await.ok();
    let reservation = Reservation {
        permit,
        held: want,
        worst,
    };
    read_object_now(obj, opts, reservation).await
}

async fn read_object_now(
    obj: &ObjectRef,
    opts: &LoadOptions,
    reservation: Reservation,
) -> ObjectResult {
    let uri: Arc<str> = Arc::from(obj.uri());
    let mut collector = Collector::new(uri.clone(), obj.partition.clone(), opts);
    collector.reservation = Some(reservation);
    let limits = opts.limits;
    let local = obj.store.local_path(&obj.meta.key);
    let named_parquet = obj.meta.key.ends_with(".parquet");
    let task = if let Some(path) = local {
        tokio::task::spawn_blocking(move || {
            let file = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) => return collector.fail(format!("cannot open: {e}")),
            };
            let mut head = [0u8; 4];
            // Read in place: the decoder that follows must see the file from its start.
            let is_parquet = std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0).is_ok()
                && decode::is_parquet(&head);
            if is_parquet {
                collector.parquet(file)
            } else {
                collector.stream(Box::new(file), limits)
            }
        })
    } else if named_parquet && obj.meta.size.is_some() && starts_plain_parquet(obj).await {
        let size = obj.meta.size.unwrap_or_default();
        let reader = RangeReader::new(obj.store.clone(), &obj.meta.key, size);
        tokio::task::spawn_blocking(move || collector.parquet(reader))
    } else {
        match obj.store.get(&obj.meta.key).await {
            Ok(stream) => {
                // The bridge blocks on the runtime from the decoding thread, never on the runtime.
                let input = Box::new(tokio_util::io::SyncIoBridge::new(stream));
                tokio::task::spawn_blocking(move || collector.stream(input, limits))
            }
            Err(e) => return failed(uri, e.reason()),
        }
    };
    task.await
        .unwrap_or_else(|e| failed(uri, format!("decoder crashed: {e}")))
}

/// Whether the object's first bytes are Parquet's, unencrypted: then row groups can be read by
/// range. Anything else (client-side encrypted, misnamed) takes the whole-object path.
async fn starts_plain_parquet(obj: &ObjectRef) -> bool {
    obj.store
        .get_range(&obj.meta.key, 0, 4)
        .await
        .is_ok_and(|head| decode::is_parquet(&head))
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

/// Turns decoded values into records of one object, keeping problems and honouring cancel.
struct Collector {
    result: ObjectResult,
    /// Memory the records kept so far take, and how much they may.
    held: usize,
    max_held: usize,
    /// Stopped for holding too much: incomplete, but not cancelled.
    refused: bool,
    partition: Option<Partition>,
    scope: Scope,
    cancel: CancellationToken,
    keep: Option<Keep>,
    prefilter: Option<RawFilter>,
    rules: Option<Arc<RuleSet>>,
    pack_texts: bool,
    /// The memory this object may use, when it is read as one of many.
    reservation: Option<Reservation>,
}

impl Collector {
    fn new(uri: Arc<str>, partition: Option<Partition>, opts: &LoadOptions) -> Collector {
        Collector {
            result: ObjectResult {
                uri,
                records: Vec::new(),
                problems: Vec::new(),
                complete: true,
                cancelled: false,
            },
            held: 0,
            max_held: usize::try_from(opts.limits.max_object_bytes).unwrap_or(usize::MAX),
            refused: false,
            partition,
            scope: opts.scope.clone(),
            cancel: opts.cancel.clone(),
            keep: opts.keep.clone(),
            prefilter: opts.prefilter.clone(),
            rules: opts.rules.clone(),
            pack_texts: opts.pack_texts,
            reservation: None,
        }
    }

    fn push(&mut self, item: Item) -> ControlFlow<()> {
        if self.cancel.is_cancelled() || self.refused {
            return ControlFlow::Break(());
        }
        match item {
            Item::Value(v, position) => self.value(v, position),
            Item::CloudTrailText(text, position) => {
                let origin = Origin {
                    object: self.result.uri.clone(),
                    position,
                };
                match Record::from_cloudtrail_text(text, origin, self.partition.as_ref()) {
                    Ok(r) => self.keep(r),
                    // Not an event after all: parsed whole, as any other value.
                    Err((text, _)) => match serde_json::from_str(&text) {
                        Ok(v) => self.value(v, position),
                        Err(e) => self.result.problems.push(Problem {
                            line: Some(position),
                            message: decode::syntax_message(&e),
                            fatal: false,
                        }),
                    },
                }
            }
            Item::Problem(p) => {
                if p.fatal {
                    self.result.complete = false;
                }
                self.result.problems.push(p);
            }
        }
        if let Some(r) = &mut self.reservation {
            if self.held as u64 > r.bytes() {
                r.raise_to_worst();
            }
        }
        if self.held > self.max_held {
            // Millions of tiny records from a small object: its text was within the limit, the
            // records it makes are not. What was read is kept, and said to be incomplete.
            self.refused = true;
            self.result.complete = false;
            self.result.problems.push(Problem {
                line: None,
                message: format!(
                    "refused: its records take more than {} bytes of memory after {} records (raise --max-object-bytes)",
                    self.max_held,
                    self.result.records.len()
                ),
                fatal: true,
            });
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn value(&mut self, v: serde_json::Value, position: u64) {
        let origin = Origin {
            object: self.result.uri.clone(),
            position,
        };
        let why = not_a_record_if_unknown(&v);
        match Record::from_value(v, origin, self.partition.as_ref()) {
            Some(r) => self.keep(r),
            None => self.result.problems.push(Problem {
                line: Some(position),
                message: why.unwrap_or_default(),
                fatal: false,
            }),
        }
    }

    fn keep(&mut self, mut r: Record) {
        if !self.scope.admits(&r) {
            return;
        }
        // Before `keep`, so that a caller may keep records by their hits.
        if let Some(rules) = &self.rules {
            r.detections = rules.evaluate(&r);
        }
        if self.keep.as_ref().is_none_or(|k| k(&r)) {
            self.held += r.footprint();
            self.result.records.push(r);
        }
    }

    fn finish(mut self, flow: ControlFlow<()>) -> ObjectResult {
        if flow.is_break() && !self.refused {
            self.result.cancelled = true;
            self.result.complete = false;
        }
        if self.pack_texts {
            self.result.pack_texts();
        }
        self.result
    }

    fn fail(self, message: String) -> ObjectResult {
        failed(self.result.uri, message)
    }

    fn parquet<R: parquet::file::reader::ChunkReader + 'static>(
        mut self,
        input: R,
    ) -> ObjectResult {
        if let Some(r) = &mut self.reservation {
            r.raise_to_worst();
        }
        if let Some(kind) = self.partition.as_ref().and_then(|p| p.kind) {
            if kind != crate::layout::Kind::SecurityLake {
                // Read by its content, but say so: the name promised something else.
                self.result.problems.push(Problem {
                    line: None,
                    message: format!(
                        "holds Parquet, not the JSON a {kind} key names; read as Parquet"
                    ),
                    fatal: false,
                });
            }
        }
        let flow = decode::decode_parquet(input, &mut |item| self.push(item));
        self.finish(flow)
    }

    /// Any JSON form, gzip or not; a Parquet file that arrives as a stream is held (bounded) first.
    fn stream(mut self, input: Box<dyn Read + Send>, limits: Limits) -> ObjectResult {
        let mut reader = BufReader::with_capacity(256 << 10, input);
        let is_parquet = reader.fill_buf().map(decode::is_parquet).unwrap_or(false);
        if !is_parquet {
            let prefilter = self.prefilter.clone();
            let flow =
                decode::decode_json_with(reader, limits, prefilter.as_deref(), &mut |item| {
                    self.push(item)
                });
            return self.finish(flow);
        }
        if let Some(r) = &mut self.reservation {
            r.raise_to_worst();
        }
        let mut bytes = Vec::new();
        let flow = match reader
            .take(limits.max_object_bytes + 1)
            .read_to_end(&mut bytes)
        {
            Ok(n) if n as u64 > limits.max_object_bytes => self.push(Item::Problem(Problem {
                line: None,
                message: format!(
                    "refused: Parquet object larger than {} bytes",
                    limits.max_object_bytes
                ),
                fatal: true,
            })),
            Ok(_) => decode::decode_parquet(bytes::Bytes::from(bytes), &mut |item| self.push(item)),
            Err(e) => self.push(Item::Problem(Problem {
                line: None,
                message: format!("read failed: {e}"),
                fatal: true,
            })),
        };
        self.finish(flow)
    }
}

/// Decodes a stream of any supported format into records, on the calling thread.
pub fn decode_object(
    input: Box<dyn Read + Send>,
    uri: Arc<str>,
    partition: Option<Partition>,
    opts: &LoadOptions,
) -> ObjectResult {
    Collector::new(uri, partition, opts).stream(input, opts.limits)
}

fn not_a_record_if_unknown(v: &serde_json::Value) -> Option<String> {
    crate::record::RecordKind::detect(v)
        .is_none()
        .then(|| not_a_record(v))
}

#[cfg(test)]
mod tests {
    use super::{objects_in_flight, Limits, Progress};
    use std::time::Duration;

    #[test]
    fn objects_in_flight_fit_in_memory() {
        let limits = Limits::default();
        assert_eq!(
            limits.max_object_bytes,
            512 << 20,
            "a small machine's limit"
        );
        const GIB: u64 = 1 << 30;
        // Each object may hold its text and its records: 1 GiB; half the memory is for them.
        assert_eq!(objects_in_flight(2 * GIB, limits), 1);
        assert_eq!(objects_in_flight(8 * GIB, limits), 4);
        assert_eq!(objects_in_flight(24 * GIB, limits), 12);
        // Never none: one object is always read.
        assert_eq!(objects_in_flight(GIB / 4, limits), 1);
        let small = Limits {
            max_object_bytes: 64 << 20,
            ..limits
        };
        assert_eq!(objects_in_flight(2 * GIB, small), 8);
    }

    #[test]
    fn progress_tells_rate_and_time_left_by_bytes() {
        let p = Progress {
            done: 10,
            total: 50,
            failed: 1,
            bytes: 20_000_000,
            total_bytes: 100_000_000,
            records: 42_000,
            requests: 0,
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(p.rate(), 10_000_000.0);
        assert_eq!(p.eta(), Some(Duration::from_secs(8)));
        assert_eq!(
            p.line(),
            "10/50 objects, 20.0 MB, 42000 records, 10.0 MB/s, 8s left, 1 failed"
        );
        // From S3, the requests sent so far (a folder sends none, and says nothing of them).
        let s3 = Progress { requests: 14, ..p };
        assert_eq!(
            s3.line(),
            "10/50 objects, 20.0 MB, 42000 records, 10.0 MB/s, 14 requests, 8s left, 1 failed"
        );
    }

    #[test]
    fn small_objects_reserve_by_their_size_and_unknown_ones_the_whole_limit() {
        let limits = Limits::default();
        let worst = super::object_units(limits);
        assert_eq!(
            worst, 64,
            "a 512 MiB object may hold its text and its records"
        );
        // A CloudTrail object of 20 KB: one unit of 16 MiB, so many are read at once.
        assert_eq!(super::sized_units(Some(20_000), limits), 1);
        assert_eq!(super::sized_units(Some(4 << 20), limits), 10);
        assert_eq!(super::sized_units(Some(0), limits), 1);
        // Never more than the limit, and the limit when the size is not known.
        assert_eq!(super::sized_units(Some(1 << 40), limits), worst);
        assert_eq!(super::sized_units(None, limits), worst);
    }
}
