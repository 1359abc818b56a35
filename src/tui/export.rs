//! Evidence on screen: `e` writes what the record pane shows (the filtered list, or the pivot
//! timeline) with each record's provenance, and `m` bookmarks records so they are found again,
//! here with `'` and after a dropped connection with `trawl --resume`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::app::{App, InputKind, Overlay};
use crate::evidence::{self, Context};
use crate::record::Record;

/// Bookmarks name a record by its object and position, so they outlive a reload.
fn bookmark_key(r: &Record) -> (String, u64) {
    (r.origin.object.to_string(), r.origin.position)
}

/// Whether `r` is among `bookmarks` (the list draws with this too, while the app is borrowed).
pub fn bookmarked(bookmarks: &BTreeSet<(String, u64)>, r: &Record) -> bool {
    !bookmarks.is_empty() && bookmarks.contains(&bookmark_key(r))
}

impl App {
    /// What produced the records shown: the pivot or filter, and the partition read.
    pub fn export_context(&self) -> Context {
        let mut query = Vec::new();
        if let Some(f) = self.pivots.current() {
            query.push(format!(
                "pivot {}:{}",
                f.target.kind.as_str(),
                f.target.value
            ));
        } else if !self.records.filter_text.is_empty() {
            query.push(format!("filter {}", self.records.filter_text));
        }
        let mut window = Vec::new();
        match self.pivots.current() {
            Some(f) => {
                window.push(match f.window {
                    Some((a, b)) => format!(
                        "scan of every source {}..{}",
                        a.format("%Y-%m-%dT%H:%M:%SZ"),
                        b.format("%Y-%m-%dT%H:%M:%SZ")
                    ),
                    None => "scan of every source, all they hold".into(),
                });
                if let Some(w) = &f.widened {
                    window.push(format!("athena {w}"));
                }
            }
            None => {
                if let Some(l) = &self.load {
                    for req in &l.reqs {
                        let src = &self.loader.sources()[req.source];
                        let what = req.object.as_ref().map_or(&req.prefix, |o| &o.key);
                        window.push(src.store.uri(what));
                    }
                }
            }
        }
        Context {
            query: if query.is_empty() {
                "all records".into()
            } else {
                query.join("; ")
            },
            window: window.join("; "),
        }
    }

    /// `e`: asks where to write, offering a new file named after what is shown.
    pub(super) fn ask_export(&mut self) {
        if self.shown().is_empty() {
            self.message = Some("nothing to export: the list is empty".into());
            return;
        }
        let what = match self.pivots.current() {
            Some(f) => format!("pivot-{}", f.target.value),
            None => "records".into(),
        };
        let path = evidence::default_path(&self.export_dir, &what, "jsonl");
        self.overlay = Some(Overlay::Input {
            kind: InputKind::Export,
            text: path.display().to_string(),
            before: String::new(),
            error: None,
        });
    }

    pub(super) fn export(&mut self, path: &str) {
        let path = PathBuf::from(path.trim());
        if path.as_os_str().is_empty() {
            self.message = Some("no file named: nothing written".into());
            return;
        }
        if path.exists() {
            self.message = Some(format!(
                "{} exists: evidence is never overwritten, name another file",
                path.display()
            ));
            return;
        }
        let ctx = self.export_context();
        let recs = self.shown();
        self.message = Some(match evidence::export(&path, recs, &self.objects, &ctx) {
            Ok(w) => format!(
                "exported {} records to {} · sha256 {}",
                w.records,
                w.path.display(),
                w.sha256
            ),
            Err(e) => format!("cannot write {}: {e}", path.display()),
        });
    }

    pub fn is_bookmarked(&self, r: &Record) -> bool {
        bookmarked(&self.bookmarks, r)
    }

    pub(super) fn toggle_bookmark(&mut self) {
        let Some(rec) = self.selected() else {
            self.message = Some("nothing to bookmark: no record is selected".into());
            return;
        };
        let key = bookmark_key(rec);
        if self.bookmarks.remove(&key) {
            self.message = Some(format!("bookmark removed ({} left)", self.bookmarks.len()));
        } else {
            self.bookmarks.insert(key);
            self.message = Some(format!(
                "bookmarked ({} in all; ' goes to the next)",
                self.bookmarks.len()
            ));
        }
    }

    /// `'`: the next bookmarked record after the cursor in the pane's order, wrapping around.
    pub(super) fn next_bookmark(&mut self) {
        let shown = self.shown();
        let cursor = match self.pivots.current() {
            Some(f) => f.cursor,
            None => self.records.cursor,
        };
        let n = shown.len();
        let hit = (1..=n)
            .map(|d| (cursor + d) % n)
            .find(|&pos| self.is_bookmarked(shown[pos]));
        let Some(pos) = hit else {
            self.message = Some(if self.bookmarks.is_empty() {
                "no bookmarks: m bookmarks a record".into()
            } else {
                "no bookmarked record in this list".into()
            });
            return;
        };
        match self.pivots.current_mut() {
            Some(f) => f.cursor = pos,
            None => self.records.move_by(pos as isize - cursor as isize),
        }
    }
}
