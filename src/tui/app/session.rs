//! The session saved as it changes and opened again by `--resume`: what the screen restores.

use super::{App, Focus};
use crate::entity;
use crate::tui::loader::LoadRequest;
use crate::tui::records::SortKey;
use crate::tui::resume::*;

impl App {
    /// The session as it stands.
    pub fn snapshot(&self) -> Saved {
        let load = match self.load.as_ref().filter(|l| l.done) {
            Some(l) if !l.reqs.is_empty() => Some(SavedLoad {
                source: l.reqs[0].source,
                prefix: l.reqs[0].prefix.clone(),
                object: l.reqs[0].object.as_ref().map(|o| o.key.clone()),
            }),
            _ => self.resume.as_ref().and_then(|r| r.read.clone()),
        };
        // A restore in progress is kept as it was asked for until it has happened.
        if let Some(p) = self.resume.as_ref().and_then(|r| r.pending.as_ref()) {
            return Saved {
                sources: self.resume_sources(),
                bookmarks: self.bookmarks.iter().cloned().collect(),
                ..p.clone()
            };
        }
        Saved {
            sources: self.resume_sources(),
            load,
            filter: self.records.filter_text.clone(),
            sort: self.records.sort.map(|k| k.name().to_string()),
            reverse: self.records.reverse,
            pivots: self
                .pivots
                .history
                .iter()
                .map(|f| format!("{}:{}", f.target.kind.as_str(), f.target.value))
                .collect(),
            pivot_windows: self
                .pivots
                .history
                .iter()
                .map(|f| f.center.map(|c| (c.to_rfc3339(), f.around.num_seconds())))
                .collect(),
            pivot_selected: self
                .pivots
                .history
                .iter()
                .map(|f| {
                    f.selected()
                        .map(|r| (r.origin.object.to_string(), r.origin.position))
                })
                .collect(),
            pivot_at: self.pivots.at,
            pivot_active: self.pivots.active,
            bookmarks: self.bookmarks.iter().cloned().collect(),
        }
    }

    fn resume_sources(&self) -> Vec<String> {
        self.resume
            .as_ref()
            .map_or_else(Vec::new, |r| r.sources.clone())
    }

    /// Saves the session when it changed since it was last saved; a failure is said once.
    pub fn persist(&mut self) {
        if self.resume.is_none() {
            return;
        }
        let now = self.snapshot();
        let Some(r) = self.resume.as_mut() else {
            return;
        };
        if r.pending.is_none() {
            r.read = now.load.clone();
        }
        if r.last.as_ref() == Some(&now) {
            return;
        }
        match save(&r.path, &now) {
            Ok(()) => r.error = None,
            Err(e) => {
                if r.error.is_none() {
                    self.message = Some(format!(
                        "cannot save the session to {}: {e}",
                        r.path.display()
                    ));
                }
                r.error = Some(e.to_string());
            }
        }
        r.last = Some(now);
    }

    /// Opens a saved session again: bookmarks, filter and order now; the partition is found in
    /// the tree (listing what it must); the pivots when that partition starts loading.
    pub fn restore(&mut self, saved: Saved) {
        self.bookmarks = saved.bookmarks.iter().cloned().collect();
        if let Err(e) = self.records.set_filter(&saved.filter) {
            self.message = Some(format!("saved filter: {e}"));
        }
        self.records.sort = saved
            .sort
            .as_deref()
            .and_then(|n| SortKey::ALL.into_iter().find(|k| k.name() == n));
        self.records.reverse = saved.reverse;
        let Some(load) = saved.load.clone() else {
            return;
        };
        if load.source >= self.loader.sources().len() {
            self.message = Some("the saved session names a source that is not open".into());
            return;
        }
        if let Some(r) = self.resume.as_mut() {
            r.pending = Some(saved);
        }
        let prefix = load.object.clone().unwrap_or(load.prefix);
        self.jump(load.source, prefix);
    }

    /// Called as a load starts: the saved pivots of that partition are opened over it.
    pub(super) fn resume_pivots(&mut self, reqs: &[LoadRequest]) {
        let Some(req) = reqs.first() else { return };
        let Some(saved) = self.resume.as_mut().and_then(|r| r.pending.take()) else {
            return;
        };
        let Some(load) = &saved.load else { return };
        let same = load.source == req.source
            && match (&load.object, &req.object) {
                (Some(k), Some(o)) => *k == o.key,
                (None, None) => load.prefix == req.prefix,
                _ => false,
            };
        if !same {
            return;
        }
        for (n, t) in saved.pivots.iter().enumerate() {
            let Some(e) = entity::parse_target(t) else {
                continue;
            };
            let (center, around) = match saved.pivot_windows.get(n).cloned().flatten() {
                Some((c, secs)) => (
                    chrono::DateTime::parse_from_rfc3339(&c)
                        .ok()
                        .map(|c| c.with_timezone(&chrono::Utc)),
                    chrono::Duration::try_seconds(secs).unwrap_or(self.settings.around),
                ),
                None => (None, self.settings.around),
            };
            let frame = self.pivots.open(&self.records, e, center, around, None);
            if let Some(Some((object, position))) = saved.pivot_selected.get(n) {
                frame.keep_on(crate::record::Origin {
                    object: object.as_str().into(),
                    position: *position,
                });
            }
        }
        if !self.pivots.history.is_empty() {
            self.pivots.at = saved.pivot_at.min(self.pivots.history.len() - 1);
            self.pivots.active = saved.pivot_active;
            self.focus = Focus::Records;
            // The pivot shown scans its window again; the others when they are shown.
            self.scan_if_new();
        }
    }
}
