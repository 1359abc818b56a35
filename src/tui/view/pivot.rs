//! The pivot drawn: the entity chooser window, and the pivot view that takes the record pane's
//! place (a header with the entity, counts per kind and a histogram over time, a key's identity
//! chain, then the timeline of the records that name it).

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row};
use ratatui::Frame;

use super::overlay::{centered, window};
use super::records::{bookmarked, record_table};
use super::{fit, scroll_to, thousands};
use crate::entity::Entity;
use crate::escape::for_terminal;
use crate::pivot::overview;
use crate::tui::app::{App, Overlay};
use crate::tui::records::SortKey;

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
        " pivot on · records sharing it · j/k Enter · Esc ",
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
            let kind = format!("{:<13}", e.kind.as_str());
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

pub fn draw(f: &mut Frame, area: Rect, app: &mut App, focused: bool) {
    let theme = &app.theme;
    let Some(frame) = app.pivots.current() else {
        return;
    };
    let title = format!(
        " pivot {}/{} · {} · {} records {}",
        app.pivots.at + 1,
        app.pivots.history.len(),
        fit(&entity_label(&frame.target), 60),
        thousands(frame.rows.len()),
        if app.athena.widened.is_some() {
            "· with Athena "
        } else {
            "· a widens to Athena "
        }
    );
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
        .title_style(theme.fg(theme.c.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let recs = &app.records;
    let shared = frame.rows.iter().map(|&i| &recs.rows[i as usize].rec);
    let o = overview(shared, w.saturating_sub(2).clamp(1, 120));
    let bold = Style::default()
        .fg(theme.c.title)
        .add_modifier(Modifier::BOLD);
    let mut head = vec![
        Line::from(vec![Span::styled(
            fit(&entity_label(&frame.target), w),
            bold,
        )]),
        Line::from(vec![
            Span::styled(
                format!("GuardDuty {}", thousands(o.guardduty)),
                theme.fg(theme.c.guardduty),
            ),
            Span::raw(" · "),
            Span::styled(
                format!("CloudTrail {}", thousands(o.cloudtrail)),
                theme.fg(theme.c.cloudtrail),
            ),
            Span::raw(" · "),
            Span::styled(
                format!("OCSF {}", thousands(o.ocsf)),
                theme.fg(theme.c.ocsf),
            ),
        ]),
    ];
    if let (Some(first), Some(last)) = (o.first, o.last) {
        head.push(Line::styled(
            format!(" {} ", sparkline(&o.buckets)),
            theme.fg(theme.c.title),
        ));
        head.push(Line::styled(
            fit(
                &format!(
                    " {} … {}",
                    first.format("%m-%d %H:%M:%S"),
                    last.format("%m-%d %H:%M:%S")
                ),
                w,
            ),
            theme.fg(theme.c.dim),
        ));
    }
    // Chain lines are long (ARNs, the object they are written in): wrapped, a few lines each
    // when the pane is tall, one when it is short (80x24) so the timeline keeps its rows.
    let per_link = if inner.height >= 20 { 3 } else { 1 };
    for link in &frame.chain {
        let text = format!("⛓ {}", for_terminal(link));
        let chars: Vec<char> = text.chars().collect();
        let first = w.max(8);
        let rest = first.saturating_sub(2).max(1);
        let mut at = 0;
        for n in 0..per_link {
            if at >= chars.len() {
                break;
            }
            let take = if n == 0 { first } else { rest };
            let piece: String = chars[at..(at + take).min(chars.len())].iter().collect();
            at += take;
            let piece = if n + 1 == per_link && at < chars.len() {
                fit(&format!("{piece}…"), take)
            } else {
                piece
            };
            head.push(Line::raw(if n == 0 { piece } else { format!("  {piece}") }));
        }
    }
    // The header never takes the whole pane: the timeline keeps at least a few rows.
    let head_h = (head.len() as u16).min(inner.height.saturating_sub(4));
    let [head_area, table_area] =
        ratatui::layout::Layout::vertical([Constraint::Length(head_h), Constraint::Fill(1)])
            .areas(inner);
    f.render_widget(Paragraph::new(head), head_area);

    let height = table_area.height.saturating_sub(1) as usize;
    app.records_page = height;
    let theme = &app.theme;
    let Some(frame) = app.pivots.current_mut() else {
        return;
    };
    scroll_to(&mut frame.offset, frame.cursor, height);
    let tw = table_area.width;
    // What and when first; the event (finding types are long) before the principal.
    const EVENT_MIN: u16 = 26;
    let mut cols: Vec<(SortKey, &str, u16)> = vec![
        (SortKey::Time, "time", 14),
        (SortKey::Kind, "", 4),
        (SortKey::Event, "event / finding", EVENT_MIN),
    ];
    let mut used = 14 + 4 + EVENT_MIN + 2;
    for (k, name, width) in [
        (SortKey::Ip, "ip", 15),
        (SortKey::Principal, "principal", 18),
        (SortKey::Account, "account", 12),
    ] {
        if used + 1 + width > tw {
            break;
        }
        cols.push((k, name, width));
        used += width + 1;
    }
    let mut spare = tw.saturating_sub(used);
    let grow = spare.min(56 - EVENT_MIN);
    cols[2].2 += grow;
    spare -= grow;
    match cols.iter_mut().find(|c| c.0 == SortKey::Principal) {
        Some(c) => c.2 += spare,
        None => cols[2].2 += spare,
    }
    let header = Row::new(cols.iter().map(|(_, name, _)| {
        ratatui::widgets::Cell::from(name.to_string()).style(
            Style::default()
                .fg(theme.c.dim)
                .add_modifier(Modifier::BOLD),
        )
    }));
    let recs = &app.records;
    let visible = (frame.offset..(frame.offset + height).min(frame.rows.len())).map(|pos| {
        (
            &recs.rows[frame.rows[pos] as usize].rec,
            pos == frame.cursor,
        )
    });
    let marked = bookmarked(&app.bookmarks);
    f.render_widget(
        record_table(visible, &cols, header, theme, focused, &marked),
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
