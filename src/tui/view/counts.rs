//! The counts window (`t`): the top values of one column over the list or the pivot, each with
//! its count, first and last seen and a sparkline of when; `h`/`l` change the column.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::overlay::{centered, window};
use super::{fit, plural, thousands};
use crate::count::sparkline;
use crate::escape::for_terminal;
use crate::tui::app::{App, Overlay};
use crate::tui::counts::FIELDS;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some(Overlay::Counts(c)) = &app.overlay else {
        return;
    };
    let theme = &app.theme;
    let zone = app.settings.zone;
    let width = area.width.saturating_sub(2).min(120);
    let r = centered(area, width, area.height.saturating_sub(2));
    let what = if app.pivots.active {
        "the pivot"
    } else {
        "the list"
    };
    let inner = window(
        f,
        r,
        app,
        &format!(" top values of {what} · h/l column · Enter filters · p pivots · Esc "),
    );
    let w = inner.width as usize;
    let tabs: Vec<Span> = FIELDS
        .iter()
        .enumerate()
        .flat_map(|(i, field)| {
            let style = if i == c.field {
                Style::default()
                    .fg(theme.c.title)
                    .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
            } else {
                theme.fg(theme.c.dim)
            };
            [
                Span::styled(field.name().into_owned(), style),
                Span::raw("  "),
            ]
        })
        .collect();
    let mut lines = vec![Line::from(tabs)];
    let counts = &c.counts;
    lines.push(Line::styled(
        fit(
            &format!(
                "{} over {}{}",
                plural(counts.values.len(), "value", "values"),
                plural(counts.records, "record", "records"),
                if counts.without > 0 {
                    format!(" ({} without it)", thousands(counts.without))
                } else {
                    String::new()
                }
            ),
            w,
        ),
        theme.fg(theme.c.dim),
    ));
    let spark_w = 16;
    let time_w = 11;
    let count_w = 7;
    let value_w = w.saturating_sub(count_w + 2 * time_w + spark_w + 5).max(8);
    lines.push(Line::styled(
        format!(
            "{:<value_w$} {:>count_w$} {:<time_w$} {:<time_w$} when ({})",
            "value",
            "count",
            "first",
            "last",
            zone.label()
        ),
        Style::default()
            .fg(theme.c.dim)
            .add_modifier(Modifier::BOLD),
    ));
    let rows = (inner.height as usize).saturating_sub(lines.len());
    let start = c.cursor.saturating_sub(rows.saturating_sub(1));
    let when = |t: &Option<chrono::DateTime<chrono::Utc>>| {
        t.map_or("-".to_string(), |t| zone.format(&t, "%m-%d %H:%M"))
    };
    for (pos, v) in counts.values.iter().enumerate().skip(start).take(rows) {
        let mut line = Line::from(vec![
            Span::raw(format!(
                "{:<value_w$} ",
                fit(&for_terminal(&v.value), value_w)
            )),
            Span::styled(
                format!("{:>count_w$} ", thousands(v.count)),
                theme.fg(theme.c.title),
            ),
            Span::styled(
                format!("{:<time_w$} {:<time_w$} ", when(&v.first), when(&v.last)),
                theme.fg(theme.c.dim),
            ),
            Span::styled(sparkline(&v.histogram), theme.fg(theme.c.title)),
        ]);
        if pos == c.cursor {
            line = line.style(theme.selected(true));
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
