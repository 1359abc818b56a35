//! The left pane: the partition tree, one row per visible node, with what each folder holds once
//! known, a spinner while it is listed, and the error on a folder that failed.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{fit, human_bytes, SPINNER};
use crate::escape::for_terminal;
use crate::tui::app::App;
use crate::tui::tree::Listed;

pub fn draw(f: &mut Frame, area: Rect, app: &App, focused: bool) {
    let theme = &app.theme;
    let block = Block::bordered()
        .title(" partitions ")
        .border_style(theme.border(focused))
        .title_style(theme.fg(theme.c.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let height = inner.height as usize;
    let tree = &app.tree;
    let width = inner.width as usize;
    let mut lines = Vec::with_capacity(height);
    for (pos, &i) in tree.rows.iter().enumerate().skip(tree.offset).take(height) {
        let n = &tree.nodes[i];
        let marker = match (&n.listed, n.is_folder()) {
            (Listed::Listing, _) => SPINNER[app.tick % SPINNER.len()],
            (Listed::Failed(_), _) => "✗",
            (_, false) => " ",
            (_, true) if n.expanded => "▾",
            _ => "▸",
        };
        let label = for_terminal(&n.label);
        // Sizes where they say something: a day's objects, or an object's bytes.
        let info = match (&n.object, n.objects) {
            (Some(o), _) => o.size.map(human_bytes).unwrap_or_default(),
            (None, Some((count, bytes))) if count > 0 => format!("{count} {}", human_bytes(bytes)),
            _ => String::new(),
        };
        let indent = n.depth.min(8);
        let room = width.saturating_sub(indent + 2);
        let info_w = if info.is_empty() || room < label.chars().count() + info.len() + 1 {
            0
        } else {
            info.len() + 1
        };
        let text = fit(&label, room.saturating_sub(info_w));
        let color = if matches!(n.listed, Listed::Failed(_)) {
            app.theme.c.error
        } else if !n.is_folder() {
            app.theme.c.object
        } else if n.is_day() {
            app.theme.c.day
        } else {
            app.theme.c.folder
        };
        let mut spans = vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(
                format!("{marker} "),
                Style::default().fg(if n.listed == Listed::Listing {
                    app.theme.c.spinner
                } else {
                    color
                }),
            ),
            Span::styled(text.clone(), Style::default().fg(color)),
        ];
        if info_w > 0 {
            let pad = room - text.chars().count() - info.len();
            spans.push(Span::raw(" ".repeat(pad)));
            spans.push(Span::styled(info, Style::default().fg(app.theme.c.dim)));
        }
        let mut line = Line::from(spans);
        if pos == tree.cursor {
            line = line.style(app.theme.selected(focused));
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
