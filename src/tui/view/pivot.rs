//! The pivot drawn: the entity chooser window, and the pivot view that takes the record pane's
//! place (a header with the entity, counts per kind and a histogram over time, a key's identity
//! chain, then the timeline of the records that name it).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::records::{columns, table};
use super::{centered, window};
use super::{fit, human_bytes, plural, thousands, wrap};
use crate::entity::Entity;
use crate::escape::for_terminal;
use crate::pivot::overview;
use crate::record::Record;
use crate::tui::app::{App, Overlay};
use crate::tui::pivot_view::{Frame as Pivot, Stage};

/// Eighths of a cell, for the histogram.
const BLOCKS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `ip 203.0.113.66`, escaped: the value comes from the logs.
pub fn entity_label(e: &Entity) -> String {
    format!("{} {}", e.kind.as_str(), for_terminal(&e.value))
}

/// The histogram of `buckets` as block characters, the tallest bucket a full block.
pub fn sparkline(buckets: &[usize]) -> String {
    let max = buckets.iter().copied().max().unwrap_or(0).max(1);
    buckets
        .iter()
        .map(|&n| {
            // Any record at all shows, however small next to the tallest.
            let h = if n == 0 {
                0
            } else {
                (n * 8).div_ceil(max).max(1)
            };
            BLOCKS[h.min(8)]
        })
        .collect()
}

pub fn chooser(f: &mut Frame, area: Rect, app: &App) {
    let Some(Overlay::Chooser(c)) = &app.overlay else {
        return;
    };
    let h = (c.items.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = centered(area, 96.min(area.width.saturating_sub(4)), h);
    let inner = window(
        f,
        r,
        app,
        &format!(
            " pivot on · how many in {} · Enter scans every source · Esc ",
            c.over
        ),
    );
    let height = inner.height as usize;
    let start = c.cursor.saturating_sub(height.saturating_sub(1));
    let w = inner.width as usize;
    let lines: Vec<Line> = c
        .items
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(pos, (e, n))| {
            let count = format!("{:>7}", thousands(*n));
            // What the entity is, and the part it plays when it is not the caller's.
            let kind = if e.role.is_actor() {
                format!("{:<13}", e.kind.as_str())
            } else {
                fit(&format!("{} ({})", e.kind.as_str(), e.role.as_str()), 13) + " "
            };
            let value = fit(&for_terminal(&e.value), w.saturating_sub(count.len() + 16));
            let mut line = Line::from(vec![
                Span::styled(format!(" {kind}"), app.theme.fg(app.theme.c.dim)),
                Span::raw(format!(
                    "{value:<width$}",
                    width = w.saturating_sub(count.len() + 16)
                )),
                Span::styled(count, app.theme.fg(app.theme.c.title)),
            ]);
            if pos == c.cursor {
                line = line.style(app.theme.selected(true));
            }
            line
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// The header's lines: the entity, the window and what the scan has read, the counts per kind,
/// the histogram and its ends, the identity chain (wrapped between words).
/// The pivot's header: what, where and how far the scan is, the count per kind, the shape of the
/// timeline and, for a key, who is behind it. `short` (a small terminal) drops the sparkline's
/// time axis so that the timeline keeps its rows.
fn head(app: &App, frame: &Pivot, w: usize, short: bool) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let zone = app.settings.zone;
    let bold = Style::default()
        .fg(theme.c.title)
        .add_modifier(Modifier::BOLD);
    let dim = theme.fg(theme.c.dim);
    let (gd, ct, oc) = frame.counts();
    let counts = [
        (format!("GuardDuty {}", thousands(gd)), theme.c.guardduty),
        (format!("CloudTrail {}", thousands(ct)), theme.c.cloudtrail),
        (format!("OCSF {}", thousands(oc)), theme.c.ocsf),
    ];
    let counts_w: usize = counts.iter().map(|(t, _)| t.chars().count() + 3).sum();
    let mut first = vec![Span::styled(
        fit(
            &entity_label(&frame.target),
            w.saturating_sub(counts_w).max(12),
        ),
        bold,
    )];
    for (text, color) in counts {
        first.push(Span::raw(" · "));
        first.push(Span::styled(text, theme.fg(color)));
    }
    let mut head = vec![Line::from(first)];
    let window = match frame.window {
        // The year once: the end's is the start's but at the turn of a year.
        Some((a, b)) => format!(
            "{} to {} {} ±{}",
            zone.format(&a, "%Y-%m-%d %H:%M"),
            zone.format(
                &b,
                if zone.format(&a, "%Y") == zone.format(&b, "%Y") {
                    "%m-%d %H:%M"
                } else {
                    "%Y-%m-%d %H:%M"
                }
            ),
            zone.label(),
            span_text(frame.around)
        ),
        None => "everything the sources hold".into(),
    };
    let scan = match &frame.scan {
        None => "not scanned".to_string(),
        Some(s) => {
            let p = &s.progress;
            let secs = match s.stage {
                Stage::Running | Stage::Planning => s.started.elapsed().as_secs_f64(),
                _ => p.elapsed.as_secs_f64(),
            };
            match (&s.stage, s.planned) {
                (Stage::Planning, _) => "listing the window…".into(),
                (Stage::Asking { objects, bytes }, _) => format!(
                    "holds {}, {}",
                    plural(*objects, "object", "objects"),
                    human_bytes(*bytes)
                ),
                (Stage::Running, Some((_, b))) => format!(
                    "{} of {} · {secs:.1}s",
                    human_bytes(p.bytes_done),
                    human_bytes(b)
                ),
                (Stage::Done, Some((o, b))) => format!(
                    "scanned {}, {} in {secs:.1}s",
                    plural(o, "object", "objects"),
                    human_bytes(b)
                ),
                (Stage::Stopped, Some((o, _))) => format!(
                    "stopped after {} of {} objects",
                    thousands(p.objects_done),
                    thousands(o)
                ),
                (Stage::Stopped, None) => "stopped".into(),
                (_, None) => String::new(),
            }
        }
    };
    let failed = frame
        .scan
        .as_ref()
        .map_or(0, |s| s.progress.failed + s.unlisted);
    let mut scan_line = vec![Span::styled(fit(&format!("{window} · {scan}"), w), dim)];
    if failed > 0 {
        scan_line.push(Span::styled(
            format!(" · {failed} failed (!)"),
            theme.fg(theme.c.error),
        ));
    }
    head.push(Line::from(scan_line));
    if let Some(Stage::Asking { .. }) = frame.scan.as_ref().map(|s| &s.stage) {
        head.push(Line::styled(
            fit(
                &format!(
                    "past the scan budget ({}): read it all? y scans it · n keeps what was read",
                    human_bytes(app.settings.scan_budget)
                ),
                w,
            ),
            theme.fg(theme.c.warning).add_modifier(Modifier::BOLD),
        ));
    }
    let o = overview(frame.records.iter(), w.saturating_sub(2).clamp(1, 120));
    if o.first.is_some() && o.last.is_some() {
        head.push(Line::styled(
            format!(" {} ", sparkline(&o.buckets)),
            theme.fg(theme.c.title),
        ));
    }
    if let (Some(first), Some(last), false) = (o.first, o.last, short) {
        head.push(Line::styled(
            fit(
                &format!(
                    " {} to {} {}",
                    zone.format(&first, "%Y-%m-%d %H:%M:%S"),
                    zone.format(&last, "%Y-%m-%d %H:%M:%S"),
                    zone.label()
                ),
                w,
            ),
            dim,
        ));
    }
    for link in &frame.chain {
        for (n, piece) in wrap(&format!("⛓ {}", for_terminal(link)), w.saturating_sub(2))
            .into_iter()
            .enumerate()
        {
            head.push(Line::raw(if n == 0 { piece } else { format!("  {piece}") }));
        }
    }
    head
}

/// `24h`, `2d`: how far a window reaches either way.
fn span_text(d: chrono::Duration) -> String {
    if d.num_hours() % 24 == 0 && d.num_hours() >= 48 {
        format!("{}d", d.num_days())
    } else if d.num_minutes() % 60 == 0 {
        format!("{}h", d.num_hours())
    } else {
        format!("{}m", d.num_minutes())
    }
}

/// Rows the header takes in a pivot pane of `area`: never so many that the timeline has fewer
/// than four rows.
pub fn head_height(app: &App, frame: &Pivot, area: Rect) -> usize {
    let inner = area.height.saturating_sub(2) as usize;
    head(
        app,
        frame,
        area.width.saturating_sub(2) as usize,
        short(area),
    )
    .len()
    .min(inner.saturating_sub(4))
}

/// A pane too low for the whole header.
fn short(area: Rect) -> bool {
    area.height < 20
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, focused: bool) {
    let theme = &app.theme;
    let Some(frame) = app.pivots.current() else {
        return;
    };
    // The title says where the scan stands; the header below says what and where.
    let mut title = format!(
        " pivot {}/{} · {}",
        app.pivots.at + 1,
        app.pivots.history.len(),
        plural(frame.records.len(), "record", "records"),
    );
    if frame.rows.len() != frame.records.len() {
        title.push_str(&format!(" ({} shown)", thousands(frame.rows.len())));
    }
    if !frame.filter_text.is_empty() {
        title.push_str(&format!(" · f: {}", for_terminal(&frame.filter_text)));
    }
    let spin = super::SPINNER[app.tick % super::SPINNER.len()];
    let stage = frame.scan.as_ref().map(|s| (&s.stage, s.planned));
    title.push_str(&match stage {
        Some((Stage::Planning, _)) => format!(" · {spin} listing · Esc stops "),
        Some((Stage::Running, planned)) => format!(
            " · {spin} scanning {}/{} objects · Esc stops ",
            thousands(frame.scan.as_ref().map_or(0, |s| s.progress.objects_done)),
            planned.map_or("?".into(), |(o, _)| thousands(o)),
        ),
        Some((Stage::Asking { .. }, _)) => " · past the scan budget: y or n ".into(),
        Some((Stage::Stopped, _)) => " · stopped · w scans wider ".into(),
        _ if frame.widened.is_some() => " · with Athena ".into(),
        _ => " · w wider · a Athena ".into(),
    });
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
        .title_style(theme.fg(theme.c.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let lines = head(app, frame, w, short(area));
    let head_h = head_height(app, frame, area) as u16;
    let [head_area, table_area] =
        ratatui::layout::Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)])
            .areas(inner);
    f.render_widget(Paragraph::new(lines), head_area);
    if frame.rows.is_empty() {
        let msg = if !frame.records.is_empty() {
            "the filter leaves none of them: Esc clears it"
        } else if frame.scanning() {
            "nothing yet…"
        } else {
            "nothing in the window names it: w scans wider, a asks Athena"
        };
        f.render_widget(Paragraph::new(msg).style(theme.fg(theme.c.dim)), table_area);
        return;
    }
    let height = table_area.height.saturating_sub(1) as usize;
    let end = (frame.offset + height).min(frame.rows.len());
    let visible: Vec<&Record> = frame.rows[frame.offset..end]
        .iter()
        .map(|&i| &frame.records[i as usize])
        .collect();
    let years = crate::tui::records::Years::of(frame.records.iter()).many();
    let cols = columns(&visible, table_area.width, years);
    let cursor = frame.cursor.checked_sub(frame.offset);
    f.render_widget(
        table(&visible, cursor, &cols, app, focused, None, years),
        table_area,
    );
}

/// The status line's breadcrumb: `pivot: 203.0.113.66 › ASIAQNZGKR3X…` up to the current pivot.
pub fn breadcrumb(app: &App) -> Option<String> {
    if !app.pivots.active {
        return None;
    }
    let steps: Vec<String> = app.pivots.history[..=app.pivots.at]
        .iter()
        .map(|f| fit(&for_terminal(&f.target.value), 24))
        .collect();
    Some(format!(" pivot: {}", steps.join(" › ")))
}

/// The widening window: the window typed, the queries planned, the estimate, then progress.
pub fn widen(f: &mut Frame, area: Rect, app: &App) {
    use crate::athena::cost;
    use crate::tui::widen::Stage;
    let Some(Overlay::Athena(wd)) = &app.overlay else {
        return;
    };
    let theme = &app.theme;
    let dim = theme.fg(theme.c.dim);
    let width = 100.min(area.width.saturating_sub(4));
    let w = width.saturating_sub(2) as usize;
    let mut lines = vec![Line::from(vec![
        Span::styled(" window: ", theme.fg(theme.c.title)),
        Span::raw(for_terminal(&wd.text).into_owned()),
        Span::styled(
            if matches!(wd.stage, Stage::Window(_)) {
                "▏"
            } else {
                ""
            },
            theme.fg(theme.c.border_focus),
        ),
    ])];
    let plan = match &wd.stage {
        Stage::Window(err) => {
            lines.push(Line::styled(
                " FROM..TO (2024-05-01..2024-05-03, or RFC 3339) or a span back from now (7d)",
                dim,
            ));
            if let Some(e) = err {
                lines.push(Line::styled(
                    fit(&format!(" {}", for_terminal(e)), w),
                    theme.fg(theme.c.error),
                ));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!(
                    " Enter plans it and lists what the window holds; up to {} runs at once, more asks first.",
                    crate::text::human_bytes(app.athena.budget())
                ),
                dim,
            ));
            lines.push(Line::styled(" Esc closes.", dim));
            None
        }
        Stage::Estimating(p) => Some((p, None)),
        Stage::Confirm(p, e) => Some((p, Some(e))),
        Stage::Running { plan, estimate, .. } => Some((plan, Some(estimate))),
    };
    if let Some((plan, estimate)) = plan {
        for q in &plan.queries {
            lines.push(Line::styled(
                fit(
                    &format!(
                        " {:<24} {} · {} days {}…{}",
                        q.label,
                        q.table,
                        q.days.len(),
                        q.days[0],
                        q.days.last().expect("a day at least")
                    ),
                    w,
                ),
                dim,
            ));
        }
        match estimate {
            None => lines.push(Line::styled(
                format!(" {} listing the window…", super::SPINNER[app.tick % 8]),
                theme.fg(theme.c.spinner),
            )),
            Some(e) => {
                let mut t = format!(
                    " estimate: {} objects, {} in the window under the opened sources ≈ ${:.6} at most",
                    thousands(e.objects),
                    crate::text::human_bytes(e.bytes),
                    cost::usd(e.bytes)
                );
                if e.unlisted > 0 {
                    t.push_str(&format!(" ({} folders could not be listed)", e.unlisted));
                }
                lines.push(Line::styled(fit(&t, w), theme.fg(theme.c.title)));
            }
        }
    }
    match &wd.stage {
        Stage::Confirm(..) => {
            lines.push(Line::styled(
                format!(
                    " above the byte budget ({}): y runs it, Esc goes back",
                    crate::text::human_bytes(app.athena.budget())
                ),
                theme.fg(theme.c.warning).add_modifier(Modifier::BOLD),
            ));
        }
        Stage::Running {
            lines: progress, ..
        } => {
            let room = (area.height as usize)
                .saturating_sub(lines.len() + 5)
                .min(8);
            let skip = progress.len().saturating_sub(room);
            for l in &progress[skip..] {
                lines.push(Line::raw(fit(&format!(" {}", for_terminal(l)), w)));
            }
            lines.push(Line::styled(
                format!(
                    " {} running on Athena · Esc stops the query",
                    super::SPINNER[app.tick % 8]
                ),
                theme.fg(theme.c.spinner),
            ));
        }
        _ => {}
    }
    let r = centered(area, width, lines.len() as u16 + 2);
    let inner = window(
        f,
        r,
        app,
        &format!(
            " Athena · widen the pivot on {} ",
            fit(&entity_label(&wd.target), 50)
        ),
    );
    f.render_widget(Paragraph::new(lines), inner);
}
