//! The right pane's content: the selected record as pretty JSON lines, escaped for the terminal,
//! built once per record (the collapsible viewer of the JSON issue replaces this).

use crate::escape::for_terminal;
use crate::record::Record;

#[derive(Default)]
pub struct Preview {
    /// Which record (load generation, row index) the lines belong to.
    pub shown: Option<(u64, usize)>,
    pub lines: Vec<String>,
    pub scroll: usize,
    /// Rows visible at the last draw, for paging.
    pub page: usize,
}

impl Preview {
    pub fn clear(&mut self) {
        *self = Preview {
            page: self.page,
            ..Preview::default()
        };
    }

    pub fn show(&mut self, key: (u64, usize), r: &Record) {
        if self.shown == Some(key) {
            return;
        }
        let text = serde_json::to_string_pretty(&r.value).unwrap_or_default();
        // serde_json escapes C0 itself; DEL, C1 and bidi characters are escaped here.
        self.lines = text.lines().map(|l| for_terminal(l).into_owned()).collect();
        self.shown = Some(key);
        self.scroll = 0;
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let last = self.lines.len().saturating_sub(self.page.max(1)) as isize;
        self.scroll = (self.scroll as isize + delta).clamp(0, last.max(0)) as usize;
    }
}
