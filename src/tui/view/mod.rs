//! Drawing: a pure function of the state into a ratatui frame (so tests render into a
//! `TestBackend`). Three panes side by side when the screen is wide, the record pane over the
//! preview when it is not (80x24 stays usable), then the status and hint lines.

mod overlay;
mod partitions;
mod pivot;
mod preview;
mod records;
mod status;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

use super::app::{App, Focus};

pub const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

pub fn draw(f: &mut Frame, app: &mut App) {
    app.before_draw();
    let [main, status_line, hint_line] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    if app.preview.zoom {
        preview::draw(f, main, app, true);
    } else {
        let (tree, list, detail) = panes(main);
        partitions::draw(f, tree, app, app.focus == Focus::Tree);
        if app.pivots.active {
            pivot::draw(f, list, app, app.focus == Focus::Records);
        } else {
            records::draw(f, list, app, app.focus == Focus::Records);
        }
        preview::draw(f, detail, app, app.focus == Focus::Preview);
    }
    status::draw(f, status_line, app);
    status::hints(f, hint_line, app);
    overlay::draw(f, main, app);
}

/// Where the three panes go on a screen of this size.
fn panes(area: Rect) -> (Rect, Rect, Rect) {
    if area.width >= 140 {
        let [t, r, p] = Layout::horizontal([
            Constraint::Length(32),
            Constraint::Percentage(55),
            Constraint::Fill(1),
        ])
        .areas(area);
        (t, r, p)
    } else {
        let tree_w = (area.width / 4).clamp(16, 30);
        let [t, right] =
            Layout::horizontal([Constraint::Length(tree_w), Constraint::Fill(1)]).areas(area);
        let [r, p] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(right);
        (t, r, p)
    }
}

pub use crate::output::human_bytes;

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Cut to `width` characters with an ellipsis; log text is escaped before it gets here.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Keeps `cursor` visible in a window of `height` rows starting at `offset`.
pub fn scroll_to(offset: &mut usize, cursor: usize, height: usize) {
    if height == 0 {
        return;
    }
    if cursor < *offset {
        *offset = cursor;
    } else if cursor >= *offset + height {
        *offset = cursor + 1 - height;
    }
}
