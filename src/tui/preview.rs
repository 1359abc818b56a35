//! The record pane's state: the selected record as a flat JSON document with a cursor, collapsed
//! containers, a window onto it, search matches and copying (OSC 52, so it works over SSH).

use std::collections::HashSet;

use serde_json::Value;

use super::json::{FlatJson, RowKind};
use crate::escape::for_terminal;
use crate::record::Record;

/// OSC 52 payloads past this many bytes are refused by many terminals (and tmux): such copies go
/// to a file instead.
pub const OSC52_LIMIT: usize = 74_994;

pub struct Preview {
    /// Which record is shown: its object and position, whichever list holds it.
    pub shown: Option<(std::sync::Arc<str>, u64)>,
    pub doc: FlatJson,
    /// Entity values of the record (IPs, keys, ARNs, accounts), highlighted where they appear.
    pub entities: HashSet<String>,
    pub cursor: u32,
    pub top: u32,
    /// Rows visible at the last draw, for paging.
    pub page: usize,
    /// The record fills the screen.
    pub zoom: bool,
    pub search: String,
    pub matches: Vec<u32>,
    /// `y` was pressed: the next key says what to copy.
    pub pending_copy: bool,
}

impl Default for Preview {
    fn default() -> Self {
        Preview {
            shown: None,
            doc: FlatJson::new(&Value::Null),
            entities: HashSet::new(),
            cursor: 0,
            top: 0,
            page: 10,
            zoom: false,
            search: String::new(),
            matches: Vec::new(),
            pending_copy: false,
        }
    }
}

/// What `y` followed by a key copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Value,
    PathDot,
    PathJq,
    Record,
}

impl Preview {
    pub fn clear(&mut self) {
        *self = Preview {
            page: self.page,
            zoom: self.zoom,
            ..Preview::default()
        };
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_none()
    }

    pub fn show(&mut self, key: (std::sync::Arc<str>, u64), r: &Record) {
        if self.shown.as_ref() == Some(&key) {
            return;
        }
        // Rows only, made from the record's text in one pass (a 50 MB record is not kept twice).
        self.doc = FlatJson::from_text(&r.raw.text()).unwrap_or_else(|_| FlatJson::new(&r.value()));
        self.entities = r.entities.iter().map(|e| e.value.to_string()).collect();
        self.shown = Some(key);
        self.cursor = 0;
        self.top = 0;
        // A find belongs to the record it was made in: another record starts without one.
        self.search.clear();
        self.matches.clear();
    }

    // ---- moving ---------------------------------------------------------------------------

    pub fn down(&mut self, n: usize) {
        for _ in 0..n {
            match self.doc.next_focus(self.cursor) {
                Some(j) => self.cursor = j,
                None => break,
            }
        }
    }

    pub fn up(&mut self, n: usize) {
        for _ in 0..n {
            match self.doc.prev_focus(self.cursor) {
                Some(j) => self.cursor = j,
                None => break,
            }
        }
    }

    pub fn first(&mut self) {
        self.cursor = 0;
    }

    pub fn last(&mut self) {
        if !self.doc.is_empty() {
            self.cursor = self.doc.last_focus();
        }
    }

    /// `h`: collapse an open container, else go to the parent.
    pub fn left(&mut self) {
        let i = self.cursor as usize;
        if !self.doc.is_collapsed(self.cursor) && self.doc.rows[i].is_open() {
            self.doc.collapsed[i] = true;
        } else {
            self.parent();
        }
    }

    /// `l`: expand a collapsed container, else step into it.
    pub fn right(&mut self) {
        let i = self.cursor as usize;
        if !self.doc.rows[i].is_open() {
            // A string holding JSON opens like any container.
            if self.doc.expand_string(self.cursor) {
                let _ = self.set_search(&self.search.clone());
            }
            return;
        }
        if self.doc.rows[i].len == 0 {
        } else if self.doc.collapsed[i] {
            self.doc.collapsed[i] = false;
        } else {
            self.cursor += 1;
        }
    }

    pub fn parent(&mut self) {
        if let Some(p) = self.doc.rows[self.cursor as usize].parent {
            self.cursor = p;
        }
    }

    pub fn sibling(&mut self, forward: bool) {
        let r = &self.doc.rows[self.cursor as usize];
        if let Some(s) = if forward { r.next } else { r.prev } {
            self.cursor = s;
        }
    }

    pub fn toggle(&mut self) {
        let i = self.cursor as usize;
        if self.doc.expand_string(self.cursor) {
            let _ = self.set_search(&self.search.clone());
        } else if self.doc.rows[i].is_open() {
            self.doc.collapsed[i] = !self.doc.collapsed[i];
        }
    }

    pub fn siblings(&mut self, collapse: bool, deep: bool) {
        self.doc.set_siblings(self.cursor, collapse, deep);
        self.fix_hidden();
    }

    pub fn fold_to(&mut self, depth: u16) {
        self.doc.fold_to(depth);
        self.fix_hidden();
    }

    /// After folding, the cursor and the window's top move out of anything now collapsed.
    fn fix_hidden(&mut self) {
        let outermost = |doc: &FlatJson, i: u32| {
            let mut top = i;
            let mut p = doc.rows[i as usize].parent;
            while let Some(q) = p {
                if doc.is_collapsed(q) {
                    top = q;
                }
                p = doc.rows[q as usize].parent;
            }
            top
        };
        self.cursor = outermost(&self.doc, self.cursor);
        self.top = outermost(&self.doc, self.top);
        let r = &self.doc.rows[self.top as usize];
        if r.is_close() && self.doc.is_collapsed(r.pair) {
            self.top = r.pair;
        }
    }

    /// Moves the window so that the cursor is on screen.
    pub fn scroll_into_view(&mut self) {
        let page = self.page.max(1);
        if self.cursor < self.top {
            self.top = self.cursor;
            return;
        }
        let mut j = self.top;
        for _ in 0..page {
            if j == self.cursor {
                return;
            }
            match self.doc.next_visible(j) {
                Some(n) => j = n,
                None => return,
            }
        }
        // Below the window: put the cursor on its last line.
        let mut t = self.cursor;
        for _ in 1..page {
            match self.doc.prev_visible(t) {
                Some(p) => t = p,
                None => break,
            }
        }
        self.top = t;
    }

    // ---- search ---------------------------------------------------------------------------

    /// Sets the search (a regex; smart case: case-insensitive unless it holds a capital).
    pub fn set_search(&mut self, text: &str) -> Result<(), String> {
        self.search = text.to_string();
        self.matches.clear();
        if text.is_empty() {
            return Ok(());
        }
        let pattern = if text.chars().any(char::is_uppercase) {
            text.to_string()
        } else {
            format!("(?i){text}")
        };
        let re = regex_lite::Regex::new(&pattern).map_err(|e| format!("search: {e}"))?;
        self.matches = self
            .doc
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !r.is_close()
                    && (r.key.as_deref().is_some_and(|k| re.is_match(k)) || re.is_match(&r.text))
            })
            .map(|(i, _)| i as u32)
            .collect();
        Ok(())
    }

    /// Goes to the next (or previous) match, opening what hides it. Returns whether one exists.
    pub fn find(&mut self, forward: bool) -> bool {
        let next = if forward {
            self.matches
                .iter()
                .find(|&&m| m > self.cursor)
                .or(self.matches.first())
        } else {
            self.matches
                .iter()
                .rev()
                .find(|&&m| m < self.cursor)
                .or(self.matches.last())
        };
        let Some(&m) = next else { return false };
        self.doc.reveal(m);
        self.cursor = m;
        true
    }

    // ---- copying --------------------------------------------------------------------------

    /// The text to copy, with no raw control character (lines kept, everything else escaped).
    /// `root` is the shown record's document.
    pub fn copy_text(&self, what: CopyWhat, root: &Value) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let text = match what {
            CopyWhat::PathDot => self.doc.path_dot(self.cursor),
            CopyWhat::PathJq => self.doc.path_jq(self.cursor),
            CopyWhat::Record => serde_json::to_string_pretty(root).ok()?,
            CopyWhat::Value => match self.doc.value_at(root, self.cursor)? {
                Value::String(s) => s.clone(),
                v @ (Value::Object(_) | Value::Array(_)) => serde_json::to_string_pretty(v).ok()?,
                v => v.to_string(),
            },
        };
        Some(
            text.split('\n')
                .map(|l| for_terminal(l).into_owned())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    }

    /// A scalar row's text as shown (escaped), or its kind for brackets.
    pub fn is_entity(&self, i: u32) -> bool {
        let r = &self.doc.rows[i as usize];
        r.kind == RowKind::Str && !self.entities.is_empty() && self.entities.contains(&*r.text)
    }
}

/// The OSC 52 sequence that puts `text` on the terminal's clipboard.
pub fn osc52(text: &str) -> String {
    format!(
        "\u{1b}]52;c;{}\u{7}",
        aws_smithy_types::base64::encode(text.as_bytes())
    )
}
