//! The two bottom lines: the status line (breadcrumb, what is loading, records in scope, failures)
//! and the hint line (keys to try, a message, or the text being typed).

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{fit, human_bytes, plural, thousands, SPINNER};
use crate::escape::for_terminal;
use crate::tui::app::{App, InputKind, Overlay};
use crate::tui::keymap::Action;
use crate::tui::tree::Listed;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    let mut right = String::new();
    if let Some(l) = &app.load {
        if !l.done {
            let spin = SPINNER[app.tick % SPINNER.len()];
            match l.planned {
                Some((objects, bytes)) => right.push_str(&format!(
                    "{spin} loaded {} of {}, {} of {} · {} ",
                    thousands(l.objects_done),
                    plural(objects, "object", "objects"),
                    human_bytes(l.bytes_done),
                    human_bytes(bytes),
                    plural(l.records, "record", "records"),
                )),
                None => right.push_str(&format!("{spin} listing… ")),
            }
        } else if l.cancelled {
            right.push_str(&format!(
                "{} (cancelled) ",
                plural(app.records.rows.len(), "record", "records")
            ));
        }
    }
    let failed = app.failed_count();
    if failed > 0 {
        right.push_str(&format!("· {failed} failed (!) "));
    }
    // The zone of the times shown; with no times on screen the room goes to the message.
    if !app.records.rows.is_empty() || app.pivots.active {
        right.push_str(&format!("· {} ", app.settings.zone.label()));
    }
    // The breadcrumb of the pivots when one is shown, else of what the list holds, else of the
    // tree's cursor; a failed folder says why instead.
    let left = match app.tree.selected() {
        _ if app.pivots.active => super::pivot::breadcrumb(app).unwrap_or_default(),
        _ if app.focus != crate::tui::app::Focus::Tree && app.load.is_some() => app
            .load
            .as_ref()
            .map(|l| format!(" {}", for_terminal(&l.label)))
            .unwrap_or_default(),
        Some(i) => match &app.tree.node(i).listed {
            Listed::Failed(why) => format!(" ✗ {}", for_terminal(why)),
            _ => format!(" {}", for_terminal(&app.tree.path(i).join(" › "))),
        },
        None => String::new(),
    };
    let width = area.width as usize;
    let right_w = right.chars().count().min(width);
    let left = fit(&left, width.saturating_sub(right_w + 1));
    let pad = width.saturating_sub(left.chars().count() + right_w);
    let failed_style = if failed > 0 {
        Style::default().fg(theme.c.error)
    } else {
        Style::default()
    };
    let line = Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(pad)),
        Span::styled(right, failed_style.add_modifier(Modifier::BOLD)),
    ]);
    f.render_widget(Paragraph::new(line).style(theme.status()), area);
}

/// The keys worth knowing where the focus is: what the eye is on decides what is hinted.
fn pane_hints(app: &App) -> Vec<(Action, &'static str)> {
    use crate::tui::app::Focus;
    let pivot = app.pivots.active;
    match app.focus {
        Focus::Tree => vec![
            (Action::Open, "open/read"),
            (Action::Read, "read folder"),
            (Action::ReadAdd, "add"),
            (Action::Palette, "jump"),
            (Action::NextPane, "list"),
            (Action::Help, "help"),
            (Action::Quit, "quit"),
        ],
        Focus::Records if pivot => vec![
            (Action::Pivot, "pivot again"),
            (Action::PivotBack, "back"),
            (Action::Widen, "wider"),
            (Action::Athena, "Athena"),
            (Action::Filter, "filter"),
            (Action::Count, "counts"),
            (Action::Back, "list"),
            (Action::Help, "help"),
        ],
        Focus::Records => vec![
            (Action::Pivot, "pivot"),
            (Action::Filter, "filter"),
            (Action::Find, "find"),
            (Action::Count, "counts"),
            (Action::Sort, "sort"),
            (Action::Export, "export"),
            (Action::Left, "partitions"),
            (Action::Help, "help"),
        ],
        Focus::Preview => vec![
            (Action::Copy, "copy"),
            (Action::Find, "find"),
            (Action::Toggle, "fold"),
            (Action::Zoom, "zoom"),
            (Action::Pivot, "pivot"),
            (Action::Back, "list"),
            (Action::Help, "help"),
        ],
    }
}

pub fn hints(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if let Some(Overlay::Input {
        kind, text, error, ..
    }) = &app.overlay
    {
        let label = match kind {
            InputKind::Filter if app.pivots.active => "filter the pivot: ",
            InputKind::Filter => "filter: ",
            InputKind::Find if app.pivots.active => "find in the pivot: ",
            InputKind::Find => "find: ",
            InputKind::FindInRecord => "find in record (regex): ",
            InputKind::Export => "export to: ",
        };
        let typed = for_terminal(text).into_owned();
        let mut spans = vec![Span::styled(
            label,
            Style::default()
                .fg(theme.c.title)
                .add_modifier(Modifier::BOLD),
        )];
        match error {
            // The part at fault stands out where it was typed.
            Some(e) if e.at <= text.len() && text.is_char_boundary(e.at) => {
                let end = (e.at + e.len.max(1)).min(text.len());
                let end = (end..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(text.len());
                spans.push(Span::raw(for_terminal(&text[..e.at]).into_owned()));
                spans.push(Span::styled(
                    for_terminal(&text[e.at..end]).into_owned(),
                    Style::default()
                        .fg(theme.c.error)
                        .add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
                ));
                spans.push(Span::raw(for_terminal(&text[end..]).into_owned()));
            }
            _ => spans.push(Span::raw(typed)),
        }
        spans.push(Span::styled("▏", Style::default().fg(theme.c.border_focus)));
        if let Some(e) = error {
            spans.push(Span::styled(
                format!("  {}", for_terminal(&e.message)),
                Style::default().fg(theme.c.error),
            ));
        } else if let Some(m) = &app.message {
            spans.push(Span::styled(
                format!("  {}", for_terminal(m)),
                Style::default().fg(theme.c.error),
            ));
        } else if *kind == InputKind::Filter && !app.filters_as_typed() {
            spans.push(Span::styled(
                format!(
                    "  Enter filters the {} records · ip:X event:X sev:>=7 /re/ -not",
                    crate::text::thousands(app.filtered_rows())
                ),
                Style::default().fg(theme.c.hint),
            ));
        } else if matches!(kind, InputKind::Filter | InputKind::Find) {
            spans.push(Span::styled(
                "  words ip:X event:X error:X sev:>=7 /re/ a OR b -not · ? lists fields",
                Style::default().fg(theme.c.hint),
            ));
        } else if *kind == InputKind::Export {
            spans.push(Span::styled(
                "  .jsonl or .csv · a .sha256 beside it · Enter writes · Esc",
                Style::default().fg(theme.c.hint),
            ));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Some(m) = &app.message {
        let p = Paragraph::new(fit(&for_terminal(m), area.width as usize))
            .style(Style::default().fg(theme.c.warning));
        f.render_widget(p, area);
        return;
    }
    let km = &app.keymap;
    let mut spans = Vec::new();
    let mut used = 0;
    for (action, what) in pane_hints(app) {
        let key = km.hint(action);
        let n = key.chars().count() + what.len() + 3;
        if used + n > area.width as usize {
            break;
        }
        used += n;
        spans.push(Span::styled(
            key,
            Style::default()
                .fg(theme.c.title)
                .add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::styled(
            format!(" {what}  "),
            Style::default().fg(theme.c.hint),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}
