//! Drawing: a pure function of the state into a ratatui frame (so tests render into a
//! `TestBackend`). Three panes side by side when the screen is wide, the record pane over the
//! preview when it is not (80x24 stays usable), then the status and hint lines.

mod counts;
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

/// Where everything goes on a screen of one size.
#[derive(Debug, Clone, Copy)]
pub struct Areas {
    /// The partitions; `None` while hidden (after a load on a narrow screen: `h` or Tab
    /// brings them back).
    pub tree: Option<Rect>,
    pub list: Rect,
    pub detail: Rect,
    pub status: Rect,
    pub hints: Rect,
    /// Where windows over the panes go.
    pub main: Rect,
}

/// The panes of a screen of `area`'s size for this state: a pure function, so the update step
/// (sizes, scroll positions) and drawing agree.
pub fn areas(app: &App, area: Rect) -> Areas {
    let [main, status, hints] = Layout::vertical([
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if app.preview.zoom {
        return Areas {
            tree: None,
            list: Rect::default(),
            detail: main,
            status,
            hints,
            main,
        };
    }
    let loaded = !app.records.rows.is_empty() || app.pivots.active;
    let wide = main.width >= 140;
    // Once records are in, the partitions step aside unless they have focus: at 80 columns the
    // list needs every column for who, from where, what result and on what.
    let hide_tree = loaded && app.focus != Focus::Tree && !wide;
    let (tree, rest) = if hide_tree {
        (None, main)
    } else {
        let tree_w = if wide {
            if loaded && app.focus != Focus::Tree {
                24
            } else {
                32
            }
        } else {
            (main.width / 4).clamp(16, 30)
        };
        let [t, rest] =
            Layout::horizontal([Constraint::Length(tree_w), Constraint::Fill(1)]).areas(main);
        (Some(t), rest)
    };
    let (list, detail) = if wide {
        let [r, p] =
            Layout::horizontal([Constraint::Percentage(62), Constraint::Fill(1)]).areas(rest);
        (r, p)
    } else {
        let [r, p] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(rest);
        (r, p)
    };
    Areas {
        tree,
        list,
        detail,
        status,
        hints,
        main,
    }
}

/// The update step's part of drawing: page sizes and scroll positions for a screen of `area`.
pub fn layout(app: &mut App, area: Rect) {
    let a = areas(app, area);
    let inner = |r: Rect| r.height.saturating_sub(2) as usize;
    if let Some(t) = a.tree {
        app.pages.tree = inner(t);
        scroll_to(&mut app.tree.offset, app.tree.cursor, inner(t));
    }
    let list_rows = match app.pivots.current() {
        Some(f) => inner(a.list)
            .saturating_sub(pivot::head_height(app, f, a.list))
            .saturating_sub(1),
        None => inner(a.list).saturating_sub(1),
    };
    app.pages.records = list_rows;
    if let Some(f) = app.pivots.current_mut() {
        scroll_to(&mut f.offset, f.cursor, list_rows);
    } else {
        scroll_to(&mut app.records.offset, app.records.cursor, list_rows);
    }
    let detail_rows = preview::body_height(app, a.detail);
    app.pages.preview = detail_rows;
    app.preview.page = detail_rows;
    app.preview.scroll_into_view();
}

/// Draws the state; reads it only (sizes and scroll positions were set by [`layout`]).
pub fn draw(f: &mut Frame, app: &App) {
    let a = areas(app, f.area());
    if app.preview.zoom {
        preview::draw(f, a.detail, app, true);
    } else {
        if let Some(t) = a.tree {
            partitions::draw(f, t, app, app.focus == Focus::Tree);
        }
        if app.pivots.active {
            pivot::draw(f, a.list, app, app.focus == Focus::Records);
        } else {
            records::draw(f, a.list, app, app.focus == Focus::Records);
        }
        preview::draw(f, a.detail, app, app.focus == Focus::Preview);
    }
    status::draw(f, a.status, app);
    status::hints(f, a.hints, app);
    overlay::draw(f, a.main, app);
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

/// `1 record`, `2 records`: a count with its noun, singular or plural.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// Words of `text` laid into lines of at most `width` characters, cut between words (a word
/// longer than a line is cut where the line ends).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let (n, w) = (line.chars().count(), word.chars().count());
        if n > 0 && n + 1 + w > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            let tail: String = line.chars().skip(width).collect();
            lines.push(head);
            line = tail;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_cuts_between_words() {
        assert_eq!(
            wrap("AssumeRole by arn:aws:iam::1:user/bob at 05-02", 16),
            ["AssumeRole by", "arn:aws:iam::1:u", "ser/bob at 05-02"]
        );
        assert_eq!(wrap("a bc d", 4), ["a bc", "d"]);
        assert_eq!(plural(1, "record", "records"), "1 record");
        assert_eq!(plural(2282, "match", "matches"), "2,282 matches");
    }
}
