//! How fast the record pane opens and scrolls a huge record: a document of one million rows and
//! a 50 MB record, drawn through the real view into a 160x48 TestBackend.
//!
//!     cargo run --example json_bench
//!
//! "open" is parsing the JSON text, making the record (summary and entities) and building the flat
//! rows; "scroll" draws one frame per half-page step through the whole document.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use serde_json::{json, Value};
use trawl::record::{Origin, Record};
use trawl::tui::{view, Session};

fn event(payload: Value) -> String {
    json!({
        "eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "ListObjects",
        "eventTime": "2024-05-02T03:00:00Z", "sourceIPAddress": "203.0.113.66",
        "responseElements": payload
    })
    .to_string()
}

fn bench(name: &str, text: &str, frames: usize) -> anyhow::Result<()> {
    let t = Instant::now();
    let value: Value = serde_json::from_str(text)?;
    let parsed = t.elapsed();
    let rec = Record::from_value(
        value,
        Origin {
            object: Arc::from("mem://bench"),
            position: 1,
        },
        None,
    )
    .expect("a CloudTrail event");
    let recorded = t.elapsed() - parsed;

    let mut s = Session::open(Vec::new());
    s.app.records.push(vec![rec]);
    s.app.records.rebuild();
    let mut terminal = Terminal::new(TestBackend::new(160, 48))?;
    let t1 = Instant::now();
    // Zooming shows the record: its flat rows are built here.
    s.keys(&["z"]);
    terminal.draw(|f| view::draw(f, &s.app))?;
    let first = t1.elapsed();
    let rows = s.app.preview.doc.len();

    let mut worst = Duration::ZERO;
    let t2 = Instant::now();
    for _ in 0..frames {
        let t = Instant::now();
        s.app
            .on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
        terminal.draw(|f| view::draw(f, &s.app))?;
        worst = worst.max(t.elapsed());
    }
    let scrolled = t2.elapsed();
    // Folding everything and jumping to the end are index walks too.
    let t3 = Instant::now();
    s.keys(&["1", "G", "g", "E"]);
    terminal.draw(|f| view::draw(f, &s.app))?;
    let fold = t3.elapsed();
    println!(
        "{name}: {:.1} MB, {rows} rows · open {:.2?} (parse {:.2?}, record {:.2?}, rows+first frame {:.2?}) · \
         scroll {frames} frames at {:.0} fps (worst {:.1?}) · fold/jump/unfold {:.1?}",
        text.len() as f64 / 1e6,
        parsed + recorded + first,
        parsed,
        recorded,
        first,
        frames as f64 / scrolled.as_secs_f64(),
        worst,
        fold
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!(
        "profile: {}",
        if cfg!(debug_assertions) {
            "debug (unoptimized)"
        } else {
            "release"
        }
    );
    // One million rows: 100,000 objects of 8 members (plus their brackets).
    let items: Vec<Value> = (0..100_000)
        .map(|i| json!({"key": format!("logs/2024/05/02/{i:08}.json.gz"), "size": i * 37, "etag": format!("{i:032x}"),
            "storageClass": "STANDARD", "owner": "111122223333", "restore": null, "versioned": i % 2 == 0, "checksum": ["CRC32"]}))
        .collect();
    bench(
        "one million rows",
        &event(json!({ "contents": items })),
        300,
    )?;
    // About 50 MB: 120,000 objects holding longer strings.
    let items: Vec<Value> = (0..120_000)
        .map(|i| json!({"arn": format!("arn:aws:s3:::bucket-{i}/{}", "x".repeat(300)), "n": i, "ok": true}))
        .collect();
    bench("50 MB record", &event(json!({ "contents": items })), 300)?;
    Ok(())
}
