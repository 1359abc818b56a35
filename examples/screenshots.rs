//! Screenshots of the demo, made by trawl itself: each screen is rendered into a TestBackend and
//! written to `screenshots/` as text (`.txt`) and as a coloured SVG (`.svg`).
//!
//!     cargo run --example screenshots [OUT_DIR]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use ratatui::Terminal;
use trawl::demo::{self, story};
use trawl::source::{self, AwsOptions};
use trawl::tui::app::Overlay;
use trawl::tui::widen::Stage;
use trawl::tui::{buffer_text, view, Session};

const FG: &str = "#dcdfe4";
const BG: &str = "#1e2127";

fn hex(c: Color, default: &str) -> String {
    let named = |i: u8| -> (u8, u8, u8) {
        const BASE: [(u8, u8, u8); 16] = [
            (0, 0, 0),
            (205, 49, 49),
            (13, 188, 121),
            (229, 229, 16),
            (36, 114, 200),
            (188, 63, 188),
            (17, 168, 205),
            (229, 229, 229),
            (102, 102, 102),
            (241, 76, 76),
            (35, 209, 139),
            (245, 245, 67),
            (59, 142, 234),
            (214, 112, 214),
            (41, 184, 219),
            (255, 255, 255),
        ];
        match i {
            0..=15 => BASE[i as usize],
            16..=231 => {
                let i = i - 16;
                let v = |x: u8| if x == 0 { 0 } else { 55 + 40 * x };
                (v(i / 36), v(i / 6 % 6), v(i % 6))
            }
            _ => {
                let g = 8 + 10 * (i - 232);
                (g, g, g)
            }
        }
    };
    let (r, g, b) = match c {
        Color::Reset => return default.to_string(),
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => named(i),
        Color::Black => named(0),
        Color::Red => named(1),
        Color::Green => named(2),
        Color::Yellow => named(3),
        Color::Blue => named(4),
        Color::Magenta => named(5),
        Color::Cyan => named(6),
        Color::Gray => named(7),
        Color::DarkGray => named(8),
        Color::LightRed => named(9),
        Color::LightGreen => named(10),
        Color::LightYellow => named(11),
        Color::LightBlue => named(12),
        Color::LightMagenta => named(13),
        Color::LightCyan => named(14),
        Color::White => named(15),
    };
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The buffer as an SVG: one rectangle per background run, one text span per cell.
fn svg(buf: &Buffer) -> String {
    let (cw, ch) = (8.4, 17.0);
    let (w, h) = (buf.area.width as f64 * cw, buf.area.height as f64 * ch);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"{BG}\"/>\n\
         <g font-family=\"DejaVu Sans Mono, Menlo, monospace\" font-size=\"14\" xml:space=\"preserve\">\n"
    );
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            let cell = &buf[(x, y)];
            let reversed = cell.modifier.contains(Modifier::REVERSED);
            let (mut fg, mut bg) = (hex(cell.fg, FG), hex(cell.bg, BG));
            if reversed {
                std::mem::swap(&mut fg, &mut bg);
            }
            let (px, py) = (x as f64 * cw, y as f64 * ch);
            if bg != BG {
                let _ = writeln!(out, "<rect x=\"{px:.1}\" y=\"{py:.1}\" width=\"{cw}\" height=\"{ch}\" fill=\"{bg}\"/>");
            }
            let sym = cell.symbol();
            if !sym.trim().is_empty() {
                let bold = if cell.modifier.contains(Modifier::BOLD) {
                    " font-weight=\"bold\""
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "<text x=\"{px:.1}\" y=\"{:.1}\" fill=\"{fg}\"{bold}>{}</text>",
                    py + ch - 4.0,
                    esc(sym)
                );
            }
        }
    }
    out.push_str("</g>\n</svg>\n");
    out
}

fn shoot(s: &mut Session, out: &Path, name: &str, w: u16, h: u16) -> anyhow::Result<()> {
    let mut terminal = Terminal::new(TestBackend::new(w, h))?;
    {
        let area = terminal.get_frame().area();
        view::prepare(&mut s.app, area);
        terminal.draw(|f| view::draw(f, &s.app))?;
    }
    let buf = terminal.backend().buffer();
    std::fs::write(out.join(format!("{name}.txt")), buffer_text(buf))?;
    std::fs::write(out.join(format!("{name}.svg")), svg(buf))?;
    println!("{}", out.join(format!("{name}.svg")).display());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "screenshots".into()),
    );
    std::fs::create_dir_all(&out)?;
    let lake = tempfile::tempdir()?;
    demo::write_demo_lake(lake.path())?;
    // The three sources `trawl demo` opens.
    let specs = [
        story::ORG_TRAIL_BUCKET,
        story::GUARDDUTY_BUCKET,
        "security-lake",
    ]
    .map(|b| lake.path().join(b).display().to_string());
    let sources = source::open_all(&specs, &AwsOptions::default()).await?;
    let mut s = Session::open(sources);
    s.settle().await;
    shoot(&mut s, &out, "start", 120, 36)?;
    // The story, as the README walks it: the screen opens on the newest findings.
    s.app.open_at_alerts();
    s.settle().await;
    shoot(&mut s, &out, "alerts-80x24", 80, 24)?;
    // 1-2: p, Enter: the attacker's address, every source scanned around the finding.
    s.keys(&["p"]);
    shoot(&mut s, &out, "chooser-80x24", 80, 24)?;
    s.keys(&["enter"]);
    s.settle().await;
    shoot(&mut s, &out, "pivot-80x24", 80, 24)?;
    shoot(&mut s, &out, "pivot", 160, 48)?;
    // 3-5: p, j, Enter: the stolen key, with the role it was issued to.
    s.keys(&["p", "j", "enter"]);
    s.settle().await;
    shoot(&mut s, &out, "pivot-key-80x24", 80, 24)?;
    // 6-8: f, the query, Enter: what the key created.
    s.keys(&["f"]);
    s.type_text("event:Create");
    s.keys(&["enter"]);
    shoot(&mut s, &out, "pivot-key-created-80x24", 80, 24)?;
    shoot(&mut s, &out, "pivot-key-created", 160, 48)?;
    // Athena widening held at its confirmation (a budget of one byte), which needs no network.
    s.keys(&["esc", "["]);
    s.app.athena.config.byte_budget = Some(1);
    s.keys(&["a", "enter"]);
    s.until(|app| {
        matches!(&app.overlay, Some(Overlay::Athena(w)) if matches!(w.stage, Stage::Confirm(..)))
    })
    .await;
    shoot(&mut s, &out, "athena-widen", 160, 48)?;
    s.keys(&["esc", "esc", "esc"]);
    // A trail's day: who, from where, what result and on what, at 80 columns; then its counts.
    s.keys(&[":"]);
    s.type_text("1111 use1 0502 cloudtrail org");
    s.settle().await;
    shoot(&mut s, &out, "palette", 120, 36)?;
    s.keys(&["enter"]);
    s.settle().await;
    s.keys(&["f"]);
    s.type_text("error:AccessDenied OR level:>=medium");
    s.keys(&["enter"]);
    shoot(&mut s, &out, "trail-day-80x24", 80, 24)?;
    s.keys(&["esc", "t"]);
    shoot(&mut s, &out, "counts-80x24", 80, 24)?;
    // The detections of the day: level marks in the list, the rules above the record.
    s.keys(&["esc", "f"]);
    s.type_text("level:>=medium");
    s.keys(&["enter"]);
    let high = (0..s.app.records.view.len())
        .find(|&p| {
            s.app
                .records
                .get(p)
                .is_some_and(|r| r.event.as_ref() == "AttachUserPolicy")
        })
        .unwrap_or(0);
    s.app.records.cursor = high;
    s.app.records.moved = true;
    shoot(&mut s, &out, "detections", 160, 48)?;
    s.keys(&["esc"]);
    s.keys(&["esc", "?"]);
    shoot(&mut s, &out, "help", 120, 36)?;
    Ok(())
}
