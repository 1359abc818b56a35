//! `trawl bench --scale N`: an organization's day of N million CloudTrail events (accounts × 3
//! regions × 288 objects, five minutes apart, as an organization trail delivers them), read by
//! `zcat`, `zcat | jq`, trawl's load, its command line and its screen. Each of trawl's loads
//! runs in a child process, so the peak memory it reports is that load's alone.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use serde_json::json;

use super::{event_of, shell, Rng, NEEDLE_IP};
use crate::entity::{Entity, EntityKind};
use crate::load::{self, LoadOptions};
use crate::pivot::PivotIndex;
use crate::record::Record;
use crate::scope::Scope;
use crate::source::{self, AwsOptions, LocalStore};
use crate::tui::msg::Msg;
use crate::tui::{event_loop, Input, Latency, Session};
use crate::walk;

const ORG: &str = "o-a1b2c3d4e5";
const REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];
/// Objects an account delivers per region and day: one every five minutes.
const PER_DAY: usize = 288;
/// About as many events as a busy account's five minutes hold.
const EVENTS_PER_OBJECT: u64 = 145;

/// The organization day of `millions` million events.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub events: u64,
    pub accounts: usize,
}

impl Shape {
    pub fn of(millions: f64) -> anyhow::Result<Shape> {
        if !(millions > 0.0 && millions <= 100.0) {
            bail!("--scale takes millions of events, more than 0 and at most 100");
        }
        let events = (millions * 1e6).round().max(1.0) as u64;
        let per_account = (REGIONS.len() * PER_DAY) as u64 * EVENTS_PER_OBJECT;
        let accounts = events.div_ceil(per_account) as usize;
        Ok(Shape { events, accounts })
    }

    pub fn objects(&self) -> usize {
        self.accounts * REGIONS.len() * PER_DAY
    }

    /// Events of object `i` and the number of its first event: the events spread evenly.
    fn events_of(&self, i: usize) -> (u64, u64) {
        let n = self.objects() as u64;
        let (base, rest) = (self.events / n, self.events % n);
        let i = i as u64;
        (base + u64::from(i < rest), i * base + i.min(rest))
    }
}

fn account(a: usize) -> String {
    format!("{:012}", 210_000_000_000 + a as u64)
}

/// Object `i`'s path under the lake, its account and region, and the hour it was delivered in.
fn object_path(lake: &Path, i: usize) -> (PathBuf, String, &'static str, u64) {
    let o = i % PER_DAY;
    let region = REGIONS[i / PER_DAY % REGIONS.len()];
    let acct = account(i / PER_DAY / REGIONS.len());
    let minute = o * 5;
    let path = lake.join(format!(
        "AWSLogs/{ORG}/{acct}/CloudTrail/{region}/2024/05/02/{acct}_CloudTrail_{region}_20240502T{:02}{:02}Z_{o:016}.json.gz",
        minute / 60,
        minute % 60
    ));
    (path, acct, region, (minute / 60) as u64)
}

/// Writes the organization day under `dir/lake` (once: a complete one is reused), on every
/// core. Returns the lake and its objects.
pub fn generate(dir: &Path, shape: Shape) -> anyhow::Result<(PathBuf, Vec<PathBuf>)> {
    let lake = dir.join("lake");
    let files: Vec<PathBuf> = (0..shape.objects())
        .map(|i| object_path(&lake, i).0)
        .collect();
    let marker = dir.join(format!("complete-{}", shape.events));
    if marker.exists() {
        return Ok((lake, files));
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let lake = &lake;
                s.spawn(move || -> anyhow::Result<()> {
                    for i in (t..shape.objects()).step_by(threads) {
                        write_object(lake, shape, i)?;
                    }
                    Ok(())
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("generator crashed"))??;
        }
        Ok(())
    })?;
    std::fs::write(&marker, b"")?;
    Ok((lake, files))
}

fn write_object(lake: &Path, shape: Shape, i: usize) -> anyhow::Result<()> {
    let (path, acct, region, hour) = object_path(lake, i);
    let (count, first) = shape.events_of(i);
    // Every object its own stream, so that the day is the same whatever the threads.
    let mut rng = Rng(0x5eed_1234_abcd_ef01 ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let records: Vec<_> = (0..count)
        .map(|k| event_of(&mut rng, (first + k) as usize, hour, &acct, region))
        .collect();
    std::fs::create_dir_all(path.parent().context("a day folder")?)?;
    let mut gz = flate2::write::GzEncoder::new(
        std::io::BufWriter::new(std::fs::File::create(&path)?),
        flate2::Compression::default(),
    );
    serde_json::to_writer(&mut gz, &json!({ "Records": records }))?;
    gz.finish()?.flush()?;
    Ok(())
}

/// What `trawl bench --scale` measured.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ScaleReport {
    pub events_asked: u64,
    pub accounts: usize,
    pub regions: usize,
    pub objects: usize,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    pub records: usize,
    pub needle_records: usize,
    pub zcat_s: f64,
    pub zcat_jq_s: f64,
    /// Load + index in one process (what opening the day does, without the screen).
    pub load_index_s: f64,
    pub ratio_load_to_zcat: f64,
    pub speedup_load_vs_jq: f64,
    /// Peak resident memory of that process, and the resident memory the loaded records and
    /// their index hold, per record.
    pub load_peak_rss_bytes: u64,
    pub load_rss_per_record: u64,
    /// What one loaded record holds by its own count (`Record::footprint`), the index apart.
    pub footprint_per_record: u64,
    /// `trawl records --format jsonl > /dev/null`.
    pub records_jsonl_s: f64,
    pub ratio_records_to_zcat: f64,
    /// `trawl pivot --format jsonl LAKE IP`.
    pub pivot_s: f64,
    pub ratio_pivot_to_zcat: f64,
    /// The screen (its real loop, drawing into a 160x48 test terminal): from opening the
    /// sources to the first frame drawn.
    pub screen_first_frame_ms: f64,
    /// From `r` on the organization to the first records received, and to the screen holding
    /// the last.
    pub screen_first_records_ms: f64,
    pub screen_load_s: f64,
    pub screen_records: usize,
    pub screen_peak_rss_bytes: u64,
    pub screen_rss_per_record: u64,
    /// Key-to-frame latency of `j`/`k` pressed every 10 ms while the day loads.
    pub keys: usize,
    pub key_p50_ms: f64,
    pub key_p95_ms: f64,
    pub key_max_ms: f64,
}

/// A figure of this process from `/proc/self/status` (`VmHWM`, `VmRSS`), in bytes.
fn status_bytes(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The child process of a measurement: `load` or `screen` over `lake`; prints one JSON line.
pub async fn child(which: &str, lake: &Path) -> anyhow::Result<()> {
    let out = match which {
        "load" => child_load(lake).await?,
        "screen" => child_screen(lake).await?,
        _ => bail!("unknown bench child {which}"),
    };
    println!("{out}");
    Ok(())
}

async fn child_load(lake: &Path) -> anyhow::Result<serde_json::Value> {
    let rss_before = status_bytes("VmRSS");
    let t = Instant::now();
    let source = LocalStore::open_source(lake.to_str().context("path is not UTF-8")?)?;
    let sources = [source];
    let walked = walk::walk(&sources, &Scope::default(), walk::list_concurrency(32)).await;
    // Held as the screen holds them.
    let opts = LoadOptions {
        pack_texts: true,
        ..LoadOptions::default()
    };
    let results = load::load_all(&walked.objects, &opts).await;
    let mut records = Vec::with_capacity(results.iter().map(|r| r.records.len()).sum());
    for r in results {
        if !r.complete {
            bail!("{}: {:?}", r.uri, r.problems);
        }
        records.extend(r.records);
    }
    let index = PivotIndex::build(&records);
    let secs = t.elapsed().as_secs_f64();
    let needle = index.lookup(&Entity::new(EntityKind::Ip, NEEDLE_IP)).len();
    let footprint: usize = records.iter().map(Record::footprint).sum();
    let n = records.len().max(1) as u64;
    let held = status_bytes("VmRSS").saturating_sub(rss_before);
    Ok(json!({
        "secs": secs,
        "records": records.len(),
        "needle": needle,
        "footprint_per_record": footprint as u64 / n,
        "rss_per_record": held / n,
        "peak_rss": status_bytes("VmHWM"),
    }))
}

fn key(c: KeyCode) -> Input {
    Input {
        at: Instant::now(),
        event: Event::Key(KeyEvent::new(c, KeyModifiers::NONE)),
    }
}

/// The screen's own loop over the lake: `r` on the organization, then `j`/`k` every 10 ms
/// until the day is loaded, then `q`.
async fn child_screen(lake: &Path) -> anyhow::Result<serde_json::Value> {
    let opened = Instant::now();
    let sources = source::open_all(&[lake.display().to_string()], &AwsOptions::default()).await?;
    let Session { mut app, rx } = Session::open(sources);
    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    crate::tui::view::prepare(&mut app, ratatui::layout::Rect::new(0, 0, 160, 48));
    terminal
        .draw(|f| crate::tui::view::draw(f, &app))
        .map_err(|e| anyhow::anyhow!("drawing: {e}"))?;
    let first_frame = opened.elapsed();
    let rss_before = status_bytes("VmRSS");

    // Forward the background's messages, noting when the first records arrive. The load's end
    // is followed by a marker the screen ignores and drops: keys come before messages in its
    // loop, so only the marker's drop says that the screen has taken every record read.
    let done = Arc::new(AtomicBool::new(false));
    let first_records: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let (ftx, frx) = tokio::sync::mpsc::unbounded_channel::<Msg>();
    let (seen, first) = (done.clone(), first_records.clone());
    let marker: Arc<str> = Arc::from("bench://marker");
    let mut sent_marker = Some(marker.clone());
    tokio::spawn(async move {
        let mut rx = rx;
        while let Some(m) = rx.recv().await {
            let end = matches!(m, Msg::LoadDone { .. });
            if let Msg::ObjectRead { result, .. } = &m {
                if !result.records.is_empty() {
                    first
                        .lock()
                        .expect("not poisoned")
                        .get_or_insert_with(Instant::now);
                }
            }
            if ftx.send(m).is_err() {
                break;
            }
            if end {
                if let Some(m) = sent_marker.take() {
                    let _ = ftx.send(end_marker(m));
                }
                seen.store(true, Ordering::Relaxed);
                break;
            }
        }
        // Later messages (none are expected) still reach the screen.
        while let Some(m) = rx.recv().await {
            if ftx.send(m).is_err() {
                break;
            }
        }
    });
    let (ktx, krx) = tokio::sync::mpsc::unbounded_channel();
    let keys_done = done.clone();
    let presser = tokio::spawn(async move {
        // The root's listing arrives first, as when a person looks before pressing.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let _ = ktx.send(key(KeyCode::Char('r')));
        let mut n = 0u32;
        while !keys_done.load(Ordering::Relaxed) || Arc::strong_count(&marker) > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let c = if n % 2 == 0 { 'j' } else { 'k' };
            let _ = ktx.send(key(KeyCode::Char(c)));
            n += 1;
        }
        let load = started.elapsed();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = ktx.send(key(KeyCode::Char('q')));
        (started, load, n)
    });
    let mut latency = Latency::default();
    event_loop(&mut terminal, &mut app, krx, frx, &mut latency).await?;
    let (started, load, _) = presser.await?;
    let records = app.records.rows.len();
    let held = status_bytes("VmRSS").saturating_sub(rss_before);
    let (p50, p95, max) = latency.summary().unwrap_or_default();
    let first_records = first_records
        .lock()
        .expect("not poisoned")
        .map_or(0.0, |t| (t - started).as_secs_f64() * 1000.0);
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    Ok(json!({
        "first_frame_ms": ms(first_frame),
        "first_records_ms": first_records,
        "load_secs": load.as_secs_f64(),
        "records": records,
        "rss_per_record": held / records.max(1) as u64,
        "peak_rss": status_bytes("VmHWM"),
        "keys": latency.samples.len(),
        "p50_ms": ms(p50),
        "p95_ms": ms(p95),
        "max_ms": ms(max),
    }))
}

/// A message for a load that never ran (the screen drops it unread), holding `marker`.
fn end_marker(marker: Arc<str>) -> Msg {
    Msg::ObjectRead {
        gen: u64::MAX,
        result: load::ObjectResult {
            uri: marker,
            records: Vec::new(),
            problems: Vec::new(),
            complete: true,
            cancelled: false,
        },
        bytes: 0,
        meta: crate::source::ObjectMeta {
            key: String::new(),
            size: None,
            etag: None,
            last_modified: None,
        },
        ids: Vec::new(),
    }
}

/// Runs this program's `bench --child WHICH` over the lake and reads its JSON line.
fn run_child(which: &str, dir: &Path, millions: f64) -> anyhow::Result<serde_json::Value> {
    let exe = std::env::current_exe()?;
    let out = Command::new(exe)
        .args([
            "bench",
            "--scale",
            &millions.to_string(),
            "--child",
            which,
            "--dir",
        ])
        .arg(dir)
        .stdin(Stdio::null())
        .output()
        .context("running the measuring child")?;
    if !out.status.success() {
        bail!(
            "bench child {which} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().context("the child printed nothing")?;
    serde_json::from_str(line).with_context(|| format!("the child printed {line}"))
}

fn timed(script: &str) -> anyhow::Result<(f64, String)> {
    let t = Instant::now();
    let out = shell(script)?;
    Ok((t.elapsed().as_secs_f64(), out))
}

pub async fn run(dir: &Path, millions: f64) -> anyhow::Result<ScaleReport> {
    let shape = Shape::of(millions)?;
    let (lake, files) = tokio::task::spawn_blocking({
        let dir = dir.to_path_buf();
        move || generate(&dir, shape)
    })
    .await??;
    // Too many objects for one command line: the list goes to xargs.
    let list = dir.join("objects.list");
    let mut names = Vec::new();
    for f in &files {
        names.extend_from_slice(f.to_str().context("path is not UTF-8")?.as_bytes());
        names.push(0);
    }
    std::fs::write(&list, names)?;
    let all = format!("xargs -0 zcat < '{}'", list.display());
    let compressed: u64 = files
        .iter()
        .map(|f| f.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    let uncompressed: u64 = shell(&format!("{all} | wc -c"))?.parse()?;
    let (zcat, _) = timed(&format!("{all} > /dev/null"))?;
    let jq_filter = format!(".Records[] | select(.sourceIPAddress == \"{NEEDLE_IP}\")");
    let (zcat_jq, jq_hits) = timed(&format!("{all} | jq -c '{jq_filter}' | wc -l"))?;
    let jq_hits: usize = jq_hits.parse()?;

    let loaded = run_child("load", dir, millions)?;
    let screen = run_child("screen", dir, millions)?;
    let f = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(0.0);
    let u = |v: &serde_json::Value, k: &str| v[k].as_u64().unwrap_or(0);
    let records = u(&loaded, "records") as usize;
    if records as u64 != shape.events || u(&loaded, "needle") as usize != jq_hits {
        bail!(
            "trawl loaded {records} records ({} with {NEEDLE_IP}); the day holds {} (jq finds {jq_hits} with it)",
            u(&loaded, "needle"),
            shape.events
        );
    }
    let exe = std::env::current_exe()?;
    let (records_jsonl, _) = timed(&format!(
        "'{}' records --format jsonl '{}' > /dev/null",
        exe.display(),
        lake.display()
    ))?;
    let (pivot, pivot_lines) = timed(&format!(
        "'{}' pivot --format jsonl '{}' {NEEDLE_IP} | wc -l",
        exe.display(),
        lake.display()
    ))?;
    if pivot_lines.parse::<usize>()? != jq_hits {
        bail!("trawl pivot printed {pivot_lines} records, jq {jq_hits}");
    }
    let load = f(&loaded, "secs");
    Ok(ScaleReport {
        events_asked: shape.events,
        accounts: shape.accounts,
        regions: REGIONS.len(),
        objects: files.len(),
        compressed_bytes: compressed,
        uncompressed_bytes: uncompressed,
        records,
        needle_records: jq_hits,
        zcat_s: zcat,
        zcat_jq_s: zcat_jq,
        load_index_s: load,
        ratio_load_to_zcat: load / zcat,
        speedup_load_vs_jq: zcat_jq / load,
        load_peak_rss_bytes: u(&loaded, "peak_rss"),
        load_rss_per_record: u(&loaded, "rss_per_record"),
        footprint_per_record: u(&loaded, "footprint_per_record"),
        records_jsonl_s: records_jsonl,
        ratio_records_to_zcat: records_jsonl / zcat,
        pivot_s: pivot,
        ratio_pivot_to_zcat: pivot / zcat,
        screen_first_frame_ms: f(&screen, "first_frame_ms"),
        screen_first_records_ms: f(&screen, "first_records_ms"),
        screen_load_s: f(&screen, "load_secs"),
        screen_records: u(&screen, "records") as usize,
        screen_peak_rss_bytes: u(&screen, "peak_rss"),
        screen_rss_per_record: u(&screen, "rss_per_record"),
        keys: u(&screen, "keys") as usize,
        key_p50_ms: f(&screen, "p50_ms"),
        key_p95_ms: f(&screen, "p95_ms"),
        key_max_ms: f(&screen, "max_ms"),
    })
}

impl ScaleReport {
    pub fn table(&self) -> String {
        let mb = |b: u64| b as f64 / 1e6;
        format!(
            "organization day: {} accounts x {} regions x {PER_DAY} objects = {} objects, {:.1} MB gzip, \
             {:.1} MB JSON, {} records ({} with {NEEDLE_IP}); one run each\n\
             {:<44} {:>9.2}s\n\
             {:<44} {:>9.2}s\n\
             {:<44} {:>9.2}s  ratio to zcat {:.2}, {:.1}x faster than zcat|jq\n\
             {:<44} {:>9.2}s  ratio to zcat {:.2}\n\
             {:<44} {:>9.2}s  ratio to zcat {:.2}\n\
             {:<44} {:>8.0} MB  {} B per record resident, {} B by Record::footprint\n\
             {:<44} {:>8.1}ms\n\
             {:<44} {:>8.1}ms\n\
             {:<44} {:>9.2}s  {} records\n\
             {:<44} {:>8.0} MB  {} B per record resident\n\
             {:<44} {:>8.1}ms  p50 {:.1} ms, max {:.1} ms, over {} keys\n",
            self.accounts,
            self.regions,
            self.objects,
            mb(self.compressed_bytes),
            mb(self.uncompressed_bytes),
            self.records,
            self.needle_records,
            "zcat (decompress only)",
            self.zcat_s,
            "zcat | jq select(ip)",
            self.zcat_jq_s,
            "trawl load + index (in process)",
            self.load_index_s,
            self.ratio_load_to_zcat,
            self.speedup_load_vs_jq,
            "trawl records --format jsonl > /dev/null",
            self.records_jsonl_s,
            self.ratio_records_to_zcat,
            "trawl pivot (command line)",
            self.pivot_s,
            self.ratio_pivot_to_zcat,
            "load + index: peak RSS",
            mb(self.load_peak_rss_bytes),
            self.load_rss_per_record,
            self.footprint_per_record,
            "screen: first frame",
            self.screen_first_frame_ms,
            "screen: r to first records",
            self.screen_first_records_ms,
            "screen: r to the whole day loaded",
            self.screen_load_s,
            self.screen_records,
            "screen: peak RSS",
            mb(self.screen_peak_rss_bytes),
            self.screen_rss_per_record,
            "screen: key-to-frame p95 while loading",
            self.key_p95_ms,
            self.key_p50_ms,
            self.key_max_ms,
            self.keys,
        )
    }
}
