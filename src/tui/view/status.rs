//! The two bottom lines: the status line (breadcrumb, what is loading, records in scope, failures)
//! and the hint line (keys to try, a message, or the text being typed).

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::{fit, human_bytes, thousands, SPINNER};
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
            let secs = l.started.elapsed().as_secs_f64().max(0.001);
            match l.planned {
                Some((objects, bytes)) => right.push_str(&format!(
                    "{spin} {}/{} obj {}/{} · {} rec · {}/s ",
                    l.objects_done,
                    objects,
                    human_bytes(l.bytes_done),
                    human_bytes(bytes),
                    thousands(l.records),
                    thousands((l.records as f64 / secs) as usize),
                )),
                None => right.push_str(&format!("{spin} listing… ")),
            }
        } else {
            right.push_str(&format!(
                "{} records{} ",
                thousands(app.records.rows.len()),
                if l.cancelled { " (cancelled)" } else { "" }
            ));
        }
    }
    let failed = app.failed_count();
    if failed > 0 {
        right.push_str(&format!("· {failed} failed (!) "));
    }
    // The breadcrumb of the pivots when one is shown, else of the tree's cursor; a failed folder
    // says why instead.
    let left = match app.tree.selected() {
        _ if app.pivots.active => super::pivot::breadcrumb(app).unwrap_or_default(),
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

pub fn hints(f: &mut Frame, area: Rect, app: &App) {
    let theme = &app.theme;
    if let Some(Overlay::Input { kind, text, .. }) = &app.overlay {
        let label = match kind {
            InputKind::Filter => "filter: ",
            InputKind::Find => "find: ",
            InputKind::FindInRecord => "find in record (regex): ",
            InputKind::Export => "export to: ",
        };
        let mut spans = vec![
            Span::styled(
                label,
                Style::default()
                    .fg(theme.c.title)
                    .add_modifier(Modifier::BOLD),
            ),
            Span::raw(for_terminal(text).into_owned()),
            Span::styled("▏", Style::default().fg(theme.c.border_focus)),
        ];
        if let Some(m) = &app.message {
            spans.push(Span::styled(
                format!("  {}", for_terminal(m)),
                Style::default().fg(theme.c.error),
            ));
        } else if *kind == InputKind::Filter {
            spans.push(Span::styled(
                "  words, event:X ip:X sev:>=7 -word · Enter keeps · Esc",
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
    for (action, what) in [
        (Action::Help, "help"),
        (Action::Palette, "palette"),
        (Action::Filter, "filter"),
        (Action::Find, "find"),
        (Action::Sort, "sort"),
        (Action::NextPane, "pane"),
        (Action::Failures, "failures"),
        (Action::Quit, "quit"),
    ] {
        spans.push(Span::styled(
            km.hint(action),
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
