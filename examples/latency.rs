//! Key-to-frame latency while a day of 50,000 CloudTrail records loads.
//!
//! Writes a synthetic day (100 objects of 500 events, gzip JSON as CloudTrail delivers it), opens it
//! in the real UI loop (`trawl::tui::event_loop`) drawing into a 160x48 TestBackend, presses `r` to
//! read the day, then moves up and down the record list every 10 ms for as long as the load runs.
//! Each key's latency is from the moment it was sent to the end of the frame that shows it.
//!
//!     cargo run --example latency [RECORDS]

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use serde_json::json;
use tokio::sync::mpsc;
use trawl::source::{self, AwsOptions};
use trawl::tui::msg::Msg;
use trawl::tui::{event_loop, Input, Latency, Session};

fn write_day(dir: &std::path::Path, records: usize) -> std::io::Result<()> {
    let day = dir.join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02");
    std::fs::create_dir_all(&day)?;
    let per_object = 500;
    for o in 0..records.div_ceil(per_object) {
        let n = per_object.min(records - o * per_object);
        let events: Vec<_> = (0..n)
            .map(|i| {
                let s = (o * per_object + i) % 86_400;
                let name = ["DescribeInstances", "GetObject", "AssumeRole", "PutObject"][i % 4];
                json!({
                    "eventVersion": "1.08",
                    "userIdentity": {"type": "AssumedRole", "arn": format!("arn:aws:sts::111122223333:assumed-role/app-{}/i-0{:015x}", i % 17, o),
                        "accountId": "111122223333", "accessKeyId": format!("ASIAQNZGKR3X{:08}", i)},
                    "eventTime": format!("2024-05-02T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60),
                    "eventSource": "ec2.amazonaws.com",
                    "eventName": name,
                    "awsRegion": "us-east-1",
                    "sourceIPAddress": format!("10.{}.{}.{}", o % 256, i / 256, i % 256),
                    "userAgent": "aws-sdk-go/1.44",
                    "requestParameters": {"instancesSet": {"items": [{"instanceId": format!("i-{:017x}", i)}]}},
                    "responseElements": null,
                    "requestID": format!("{:08x}-0000-4000-8000-{:012x}", o, i),
                    "eventID": format!("{:08x}-1111-4000-8000-{:012x}", o, i),
                    "readOnly": true,
                    "eventType": "AwsApiCall",
                    "recipientAccountId": "111122223333"
                })
            })
            .collect();
        let name = format!(
            "111122223333_CloudTrail_us-east-1_20240502T{:04}Z_{:016}.json.gz",
            o, o
        );
        let mut gz = GzEncoder::new(
            std::fs::File::create(day.join(name))?,
            flate2::Compression::fast(),
        );
        serde_json::to_writer(&mut gz, &json!({ "Records": events }))?;
        gz.finish()?.flush()?;
    }
    Ok(())
}

fn key(c: KeyCode) -> Input {
    Input {
        at: Instant::now(),
        event: Event::Key(KeyEvent::new(c, KeyModifiers::NONE)),
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let records: usize = std::env::args().nth(1).map_or(Ok(50_000), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let t = Instant::now();
    write_day(dir.path(), records)?;
    println!("wrote {records} records in {:.1?}", t.elapsed());

    let spec = dir.path().display().to_string();
    let sources = source::open_all(&[spec], &AwsOptions::default()).await?;
    let Session { mut app, rx } = Session::open(sources);

    // Forward the background's messages, noting when the load is done.
    let done = Arc::new(AtomicBool::new(false));
    let (ftx, frx) = mpsc::unbounded_channel::<Msg>();
    let seen = done.clone();
    tokio::spawn(async move {
        let mut rx = rx;
        while let Some(m) = rx.recv().await {
            if matches!(m, Msg::LoadDone { .. }) {
                seen.store(true, Ordering::Relaxed);
            }
            if ftx.send(m).is_err() {
                break;
            }
        }
    });

    let (ktx, krx) = mpsc::unbounded_channel();
    let keys_done = done.clone();
    let presser = tokio::spawn(async move {
        // The tree opens straight onto the day (its lone parents are skipped): read it, go to the list.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let _ = ktx.send(key(KeyCode::Char('r')));
        let mut n = 0u32;
        while !keys_done.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(10)).await;
            let c = if n % 2 == 0 { 'j' } else { 'k' };
            let _ = ktx.send(key(KeyCode::Char(c)));
            n += 1;
        }
        let load = started.elapsed();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = ktx.send(key(KeyCode::Char('q')));
        (load, n)
    });

    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    let mut latency = Latency::default();
    event_loop(&mut terminal, &mut app, krx, frx, &mut latency).await?;
    let (load, keys) = presser.await?;
    let (p50, p95, max) = latency.summary().expect("keys were pressed");
    println!(
        "profile: {}",
        if cfg!(debug_assertions) {
            "debug (unoptimized)"
        } else {
            "release"
        }
    );
    println!(
        "loaded {} records from {} objects in {:.2?} while pressing {keys} keys",
        app.records.rows.len(),
        app.load.as_ref().map_or(0, |l| l.objects_done),
        load
    );
    println!(
        "key-to-frame latency over {} keys: p50 {:.1?}, p95 {:.1?}, max {:.1?}",
        latency.samples.len(),
        p50,
        p95,
        max
    );
    // One frame of the loaded screen, drawn alone (no load competing for the cores).
    let t = Instant::now();
    for i in 0..50 {
        app.records.cursor = i;
        terminal.draw(|f| trawl::tui::view::draw(f, &app))?;
    }
    println!(
        "a frame of the loaded screen alone: {:.1?}",
        t.elapsed() / 50
    );
    println!(
        "the loop spent {:.2?} drawing {} frames ({:.1?} each) and {:.2?} handling background messages",
        latency.drawing,
        latency.frames,
        latency.drawing / latency.frames.max(1) as u32,
        latency.handling
    );
    Ok(())
}
