//! The right pane: the selected record as pretty JSON with its keys, strings and numbers coloured.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::thousands;
use crate::escape::for_terminal;
use crate::tui::app::App;
use crate::tui::theme::Theme;

pub fn draw(f: &mut Frame, area: Rect, app: &mut App, focused: bool) {
    let theme = &app.theme;
    let title = match app.records.selected() {
        Some(r) => {
            let object = r
                .origin
                .object
                .rsplit('/')
                .next()
                .unwrap_or(&r.origin.object);
            format!(
                " record {}/{} · {}:{} ",
                thousands(app.records.cursor + 1),
                thousands(app.records.view.len()),
                for_terminal(object),
                r.origin.position
            )
        }
        None => " record ".to_string(),
    };
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
        .title_style(theme.fg(theme.c.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let p = &mut app.preview;
    p.page = inner.height as usize;
    p.scroll_by(0);
    let lines: Vec<Line> = p
        .lines
        .iter()
        .skip(p.scroll)
        .take(inner.height as usize)
        .map(|l| json_line(l, theme))
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// Colours one line of pretty JSON: `  "key": value,` (already escaped for the terminal).
fn json_line<'a>(line: &'a str, t: &Theme) -> Line<'a> {
    let body = line.trim_start();
    let indent = &line[..line.len() - body.len()];
    let mut spans = vec![Span::raw(indent)];
    let mut value = body;
    if body.starts_with('"') {
        if let Some(end) = key_end(body) {
            if body[end..].starts_with(": ") {
                spans.push(Span::styled(
                    &body[..end],
                    Style::default().fg(t.c.json_key),
                ));
                spans.push(Span::styled(": ", Style::default().fg(t.c.json_punct)));
                value = &body[end + 2..];
            }
        }
    }
    let (v, comma) = match value.strip_suffix(',') {
        Some(v) => (v, ","),
        None => (value, ""),
    };
    let color = match v.chars().next() {
        Some('"') => t.c.json_string,
        Some('-' | '0'..='9') => t.c.json_number,
        Some('t' | 'f' | 'n') => t.c.json_literal,
        _ => t.c.json_punct,
    };
    spans.push(Span::styled(v, Style::default().fg(color)));
    spans.push(Span::styled(comma, Style::default().fg(t.c.json_punct)));
    Line::from(spans)
}

/// The byte just past a JSON string that starts at 0 (escapes skipped).
fn key_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}
