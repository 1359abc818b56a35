//! Windows over the panes: help (rendered from the keymap table), the failures list, the
//! palette, and the pivot's entity chooser (drawn in pivot.rs).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::fit;
use crate::escape::for_terminal;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::DEFAULT;

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let [_, mid, _] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(w),
        Constraint::Fill(1),
    ])
    .areas(area);
    let [_, r, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(h),
        Constraint::Fill(1),
    ])
    .areas(mid);
    r
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    match &app.overlay {
        Some(Overlay::Help { scroll }) => help(f, area, app, *scroll),
        Some(Overlay::Failures { scroll }) => failures(f, area, app, *scroll),
        Some(Overlay::Palette(_)) => palette(f, area, app),
        Some(Overlay::Chooser(_)) => super::pivot::chooser(f, area, app),
        Some(Overlay::Counts(_)) => super::counts::draw(f, area, app),
        Some(Overlay::Athena(_)) => super::pivot::widen(f, area, app),
        _ => {}
    }
}

pub(super) fn window(f: &mut Frame, r: Rect, app: &App, title: &str) -> Rect {
    let block = Block::bordered()
        .title(title.to_string())
        .border_style(app.theme.border(true))
        .title_style(app.theme.fg(app.theme.c.title));
    let inner = block.inner(r);
    f.render_widget(Clear, r);
    f.render_widget(block, r);
    inner
}

/// The help page: every binding of the table (as the config may have changed it), each section
/// once, in the order sections first appear, over the whole width of the screen.
pub(super) fn help_lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let mut sections: Vec<&str> = Vec::new();
    for b in DEFAULT {
        if !sections.contains(&b.section) {
            sections.push(b.section);
        }
    }
    let key_w = 22.min(width / 3);
    let mut lines = Vec::new();
    for section in sections {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(
            section_title(section),
            Style::default()
                .fg(app.theme.c.title)
                .add_modifier(Modifier::BOLD),
        ));
        for b in DEFAULT.iter().filter(|b| b.section == section) {
            let keys = app.keymap.keys_of(b.action).join(" ");
            // A description longer than the line continues under itself, never cut.
            let desc_w = width.saturating_sub(key_w + 2).max(16);
            for (n, piece) in super::wrap(b.desc, desc_w).into_iter().enumerate() {
                let k = if n == 0 {
                    format!("  {:<key_w$}", fit(&keys, key_w.saturating_sub(1)))
                } else {
                    " ".repeat(key_w + 2)
                };
                lines.push(Line::from(vec![
                    Span::styled(k, Style::default().fg(app.theme.c.folder)),
                    Span::raw(piece),
                ]));
            }
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Queries (f, /, trawl records --where): words and \"quoted words\" anywhere in the record, field:value (ip: key: principal: principal_id: user: role: account: event: kind: region: error: bucket: resource: ua: sev:>=7 rule: level:>=high attack:T1098), any JSON path (requestParameters.userName:bob), /regex/, OR between terms, -term for not.",
        Style::default().fg(app.theme.c.dim),
    ));
    lines.push(Line::styled(
        "Ctrl-C always quits. Keys can be changed in [keys] of $TRAWL_CONFIG or ~/.config/trawl/config.toml.",
        Style::default().fg(app.theme.c.dim),
    ));
    lines
}

fn section_title(section: &str) -> &str {
    match section {
        "Copy" => "Copy (after y in the record)",
        "Prompts" => "Prompts and the palette",
        "Questions" => "Questions (past the budget?)",
        "Record" => "Record (the JSON pane)",
        s => s,
    }
}

fn help(f: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let r = centered(
        area,
        area.width.saturating_sub(2),
        area.height.saturating_sub(1),
    );
    let inner = window(f, r, app, " keys · j/k scroll · any other key closes ");
    let lines: Vec<Line> = help_lines(app, inner.width as usize)
        .into_iter()
        .flat_map(|l| {
            // Long prose lines wrap at word boundaries too.
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            if l.spans.len() == 1 && text.chars().count() > inner.width as usize {
                let style = l.style.patch(l.spans[0].style);
                super::wrap(&text, inner.width as usize)
                    .into_iter()
                    .map(|p| Line::styled(p, style))
                    .collect::<Vec<_>>()
            } else {
                vec![l]
            }
        })
        .collect();
    let scroll = scroll.min(lines.len().saturating_sub(inner.height as usize));
    f.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), inner);
}

fn failures(f: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let r = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let inner = window(
        f,
        r,
        app,
        &format!(
            " {} failures (j/k scroll, any other key closes) ",
            app.failures.len()
        ),
    );
    if app.failures.is_empty() {
        f.render_widget(
            Paragraph::new("Nothing failed.").style(app.theme.fg(app.theme.c.dim)),
            inner,
        );
        return;
    }
    let mut lines = Vec::new();
    for fl in app.failures.iter().skip(scroll) {
        lines.push(Line::styled(
            for_terminal(&fl.what).into_owned(),
            Style::default().fg(if fl.fatal {
                app.theme.c.error
            } else {
                app.theme.c.warning
            }),
        ));
        lines.push(Line::raw(format!("  {}", for_terminal(&fl.reason))));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

fn palette(f: &mut Frame, area: Rect, app: &App) {
    let Some(Overlay::Palette(p)) = &app.overlay else {
        return;
    };
    let r = centered(area, 76, area.height.saturating_sub(2).min(20));
    let r = Rect { y: area.y + 1, ..r };
    let title = if p.indexing {
        " palette · indexing partitions… "
    } else {
        " palette · Enter runs or jumps · Esc "
    };
    let inner = window(f, r, app, title);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            ": ",
            Style::default()
                .fg(app.theme.c.title)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(for_terminal(&p.input).into_owned()),
        Span::styled("▏", Style::default().fg(app.theme.c.border_focus)),
    ])];
    let height = inner.height.saturating_sub(1) as usize;
    let start = p.cursor.saturating_sub(height.saturating_sub(1));
    let w = inner.width as usize;
    for (pos, &i) in p.matches.iter().enumerate().skip(start).take(height) {
        let item = p.item(i);
        let key_w = item.key.chars().count();
        let text = fit(&for_terminal(&item.text), w.saturating_sub(4 + key_w));
        let pad = w.saturating_sub(3 + text.chars().count() + key_w);
        let mut line = Line::from(vec![
            Span::raw(format!("  {text}{}", " ".repeat(pad))),
            Span::styled(item.key.clone(), Style::default().fg(app.theme.c.folder)),
        ]);
        if pos == p.cursor {
            line = line.style(app.theme.selected(true));
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
