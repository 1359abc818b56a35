//! The record pane: the selected record as a JSON tree drawn from its flat rows, only the rows on
//! screen; collapsed containers show what they hold, entity values stand out, search matches are
//! marked, and the cursor's path is on the bottom border.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{fit, thousands};
use crate::escape::for_terminal;
use crate::tui::app::App;
use crate::tui::json::{Container, RowKind};
use crate::tui::preview::Preview;
use crate::tui::theme::Theme;

/// Lines over the JSON: the record's detections (rule, level, ATT&CK) and the objects it was
/// delivered in besides its own.
fn above(app: &App, w: usize) -> Vec<Line<'static>> {
    let Some(r) = app.selected() else {
        return Vec::new();
    };
    let theme = &app.theme;
    let mut lines = Vec::new();
    for hit in &r.detections {
        let attack = if hit.attack.is_empty() {
            String::new()
        } else {
            format!(" · {}", hit.attack.join(" "))
        };
        // Rules of others are shown with their author, as their licence asks.
        let author = if hit.author.is_empty() || hit.file.starts_with("builtin/") {
            String::new()
        } else {
            format!(" · by {}", for_terminal(&hit.author))
        };
        let text = format!(
            "{} {}{attack}{author}",
            hit.level.as_str(),
            for_terminal(&hit.rule)
        );
        lines.push(Line::from(vec![
            super::records::level_mark(Some(hit.level), theme),
            Span::styled(
                fit(&format!(" {text}"), w.saturating_sub(1)),
                theme.fg(theme.c.warning),
            ),
        ]));
    }
    if let Some(who) = &app.who {
        for (n, piece) in super::wrap(&format!("who: {}", for_terminal(who)), w)
            .into_iter()
            .enumerate()
            .take(2)
        {
            lines.push(Line::styled(
                if n == 0 { piece } else { format!("  {piece}") },
                theme.fg(theme.c.title),
            ));
        }
    }
    if let Some(i) = app.integrity.get(&r.origin.object) {
        let digest = i
            .digest
            .as_deref()
            .map(|d| d.rsplit('/').next().unwrap_or(d))
            .map_or(String::new(), |d| format!(" · digest {}", for_terminal(d)));
        let bad = i.status.is_failure();
        lines.push(Line::from(vec![
            super::records::integrity_mark(Some(i), theme),
            Span::styled(
                fit(
                    &format!(" integrity: {}{digest}", i.status),
                    w.saturating_sub(1),
                ),
                theme.fg(if bad { theme.c.error } else { theme.c.dim }),
            ),
        ]));
    }
    if !r.also.is_empty() {
        lines.push(Line::styled(
            fit(
                &format!(
                    "also delivered in {}",
                    r.also
                        .iter()
                        .map(
                            |o| for_terminal(o.object.rsplit('/').next().unwrap_or(&o.object))
                                .into_owned()
                        )
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                w,
            ),
            theme.fg(theme.c.dim),
        ));
    }
    lines
}

/// Rows of JSON the record pane shows in `area` (the lines over it apart).
pub fn body_height(app: &App, area: Rect) -> usize {
    let inner = area.height.saturating_sub(2) as usize;
    let over = above(app, area.width.saturating_sub(2) as usize).len();
    inner.saturating_sub(over.min(inner / 2))
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, focused: bool) {
    let theme = &app.theme;
    // In the pivot view the record shown is the pivot's row, counted within the pivot.
    let (pos, len) = match app.pivots.current() {
        Some(f) => (f.cursor, f.rows.len()),
        None => (app.records.cursor, app.records.view.len()),
    };
    let mut title = match app.selected() {
        Some(r) => {
            let object = r
                .origin
                .object
                .rsplit('/')
                .next()
                .unwrap_or(&r.origin.object);
            format!(
                " record {}/{} · {}:{} ",
                thousands(pos + 1),
                thousands(len),
                for_terminal(object),
                r.origin.position
            )
        }
        None => " record ".to_string(),
    };
    let p = &app.preview;
    if !p.search.is_empty() {
        title = format!(
            " /{} {} ·{title}",
            for_terminal(&p.search),
            super::plural(p.matches.len(), "match", "matches")
        );
    }
    let mut block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
        .title_style(theme.fg(theme.c.title));
    if !p.is_empty() {
        let path = p.doc.path_dot(p.cursor);
        let path = if path.is_empty() {
            "(the record)".to_string()
        } else {
            path
        };
        let hint = if p.pending_copy {
            " y: y value · p path · q jq path · r record "
        } else {
            ""
        };
        block = block.title_bottom(Line::styled(
            format!(
                " {} {hint}",
                fit(&path, area.width.saturating_sub(8) as usize)
            ),
            theme.fg(theme.c.dim),
        ));
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    if p.is_empty() {
        return;
    }
    let over = above(app, inner.width as usize);
    let over_h = over.len().min(inner.height as usize / 2) as u16;
    let [over_area, inner] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(over_h),
        ratatui::layout::Constraint::Fill(1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(over), over_area);
    let mut lines = Vec::with_capacity(inner.height as usize);
    let mut i = Some(p.top);
    while let Some(row) = i {
        if lines.len() >= inner.height as usize {
            break;
        }
        let mut line = json_line(p, row, theme, inner.width as usize);
        if row == p.cursor {
            line = line.style(theme.selected(focused));
        }
        lines.push(line);
        i = p.doc.next_visible(row);
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// One row: indent, `"key": `, the value or bracket (a collapsed container says what it holds),
/// and the comma when a sibling follows.
fn json_line(p: &Preview, i: u32, t: &Theme, width: usize) -> Line<'static> {
    let doc = &p.doc;
    let r = &doc.rows[i as usize];
    let matched = p.matches.binary_search(&i).is_ok();
    let mut spans = vec![Span::raw("  ".repeat(r.depth.min(40) as usize))];
    if let Some(k) = &r.key {
        let key = for_terminal(&serde_json::to_string(&**k).unwrap_or_default()).into_owned();
        let mut style = Style::default().fg(t.c.json_key);
        if matched {
            style = style.patch(t.matched());
        }
        spans.push(Span::styled(key, style));
        spans.push(Span::styled(": ", Style::default().fg(t.c.json_punct)));
    }
    let punct = Style::default().fg(t.c.json_punct);
    // A closing bracket carries the comma of the container it closes.
    let has_next = match r.kind {
        RowKind::Close(_) => doc.rows[r.pair as usize].next.is_some(),
        RowKind::Open(_) if !doc.is_collapsed(i) => false,
        _ => r.next.is_some(),
    };
    match r.kind {
        RowKind::Open(c) if doc.is_collapsed(i) => {
            spans.push(Span::styled(collapsed_preview(p, i, c, width), punct));
        }
        RowKind::Open(Container::Object) => spans.push(Span::styled("{", punct)),
        RowKind::Open(Container::Array) => spans.push(Span::styled("[", punct)),
        RowKind::Close(Container::Object) => spans.push(Span::styled("}", punct)),
        RowKind::Close(Container::Array) => spans.push(Span::styled("]", punct)),
        kind => {
            let color = match kind {
                RowKind::Str => t.c.json_string,
                RowKind::Num => t.c.json_number,
                _ => t.c.json_literal,
            };
            let mut style = Style::default().fg(color);
            if p.is_entity(i) {
                style = Style::default()
                    .fg(t.c.entity)
                    .add_modifier(Modifier::UNDERLINED);
            }
            if matched {
                style = style.patch(t.matched());
            }
            spans.push(Span::styled(r.shown_text(), style));
        }
    }
    if has_next {
        spans.push(Span::styled(",", punct));
    }
    Line::from(spans)
}

/// `{…12 keys: schemaVersion, accountId, region…}` or `[…3]`.
fn collapsed_preview(p: &Preview, i: u32, c: Container, width: usize) -> String {
    let r = &p.doc.rows[i as usize];
    match c {
        Container::Array if r.len == 0 => "[]".into(),
        Container::Object if r.len == 0 => "{}".into(),
        Container::Array => format!("[…{}]", r.len),
        Container::Object => {
            let mut keys = Vec::new();
            let mut child = (r.len > 0).then_some(i + 1);
            while let Some(k) = child {
                if keys.len() == 4 {
                    break;
                }
                if let Some(name) = &p.doc.rows[k as usize].key {
                    keys.push(for_terminal(name).into_owned());
                }
                child = p.doc.rows[k as usize].next;
            }
            let n = if r.len == 1 {
                "1 key".to_string()
            } else {
                format!("{} keys", r.len)
            };
            if keys.is_empty() {
                format!("{{…{n}}}")
            } else {
                let more = if r.len as usize > keys.len() {
                    ", …"
                } else {
                    ""
                };
                fit(
                    &format!("{{…{n}: {}{more}}}", keys.join(", ")),
                    width.max(12),
                )
            }
        }
    }
}
