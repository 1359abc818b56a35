//! The pivot on screen: the entity chooser (`p`), the pivot timelines that replace the record list,
//! and their history (`[`/`]`), all over the records currently loaded.

use std::cmp::Ordering;

use super::records::Records;
use crate::entity::{self, Entity, EntityKind};
use crate::pivot::{identity_chain, PivotIndex};
use crate::record::Record;

/// The window that lists a record's entities, each with how many loaded records share it.
pub struct Chooser {
    pub items: Vec<(Entity, usize)>,
    pub cursor: usize,
}

/// One pivot: the entity and the loaded records that name it, in time order.
pub struct Frame {
    pub target: Entity,
    /// Indices into `Records::rows`.
    pub rows: Vec<u32>,
    pub cursor: usize,
    pub offset: usize,
    /// The identity chain of a key, one line per link (unescaped: the view escapes).
    pub chain: Vec<String>,
    /// The records' epoch and length the rows were computed from.
    seen: (u64, usize),
}

/// The pivot history and the index of the loaded records that counts entities for the chooser.
#[derive(Default)]
pub struct Pivots {
    pub history: Vec<Frame>,
    pub at: usize,
    /// The record pane shows `history[at]` instead of the plain list.
    pub active: bool,
    index: PivotIndex,
    /// The records' epoch and how many rows the index holds.
    indexed: (u64, usize),
}

impl Pivots {
    pub fn current(&self) -> Option<&Frame> {
        self.history.get(self.at).filter(|_| self.active)
    }

    pub fn current_mut(&mut self) -> Option<&mut Frame> {
        self.history.get_mut(self.at).filter(|_| self.active)
    }

    /// The record under the pivot view's cursor, as an index into `Records::rows`.
    pub fn selected_index(&self) -> Option<usize> {
        self.current()
            .and_then(|f| f.rows.get(f.cursor))
            .map(|&i| i as usize)
    }

    /// Forgets everything: the records it pointed into are gone.
    pub fn reset(&mut self) {
        *self = Pivots::default();
    }

    /// Brings the index up to the loaded rows: new rows are added, a changed set is rebuilt.
    fn update_index(&mut self, recs: &Records) {
        if self.indexed.0 != recs.epoch || self.indexed.1 > recs.rows.len() {
            self.index = PivotIndex::default();
            self.indexed = (recs.epoch, 0);
        }
        for (i, row) in recs.rows.iter().enumerate().skip(self.indexed.1) {
            self.index.add(i as u32, &row.rec.entities);
        }
        self.indexed.1 = recs.rows.len();
    }

    /// The chooser for record `i`'s entities, or None when it names none.
    pub fn chooser(&mut self, recs: &Records, i: usize) -> Option<Chooser> {
        self.update_index(recs);
        let rec = &recs.rows.get(i)?.rec;
        if rec.entities.is_empty() {
            return None;
        }
        let items = rec
            .entities
            .iter()
            .map(|e| {
                // A role (or role id) also matches its sessions, which the index keeps apart:
                // those are counted as the pivot will find them, so the two numbers agree.
                let n = if matches!(e.kind, EntityKind::Principal | EntityKind::PrincipalId) {
                    recs.rows
                        .iter()
                        .filter(|r| r.rec.entities.iter().any(|c| entity::matches(e, c)))
                        .count()
                } else {
                    self.index.count(e)
                };
                (e.clone(), n)
            })
            .collect();
        Some(Chooser { items, cursor: 0 })
    }

    /// Opens a pivot on `target`; the forward history (as in a browser) is dropped.
    pub fn open(&mut self, recs: &Records, target: Entity) {
        let chain = if target.kind == EntityKind::Key {
            key_chain(recs, &target.value)
        } else {
            Vec::new()
        };
        let mut frame = Frame {
            target,
            rows: Vec::new(),
            cursor: 0,
            offset: 0,
            chain,
            seen: (u64::MAX, 0),
        };
        frame.refresh(recs);
        if self.active {
            self.history.truncate(self.at + 1);
        } else {
            self.history.clear();
        }
        self.history.push(frame);
        self.at = self.history.len() - 1;
        self.active = true;
    }

    /// Steps through the history; false when there is nothing that way.
    pub fn walk(&mut self, forward: bool) -> bool {
        if self.history.is_empty() {
            return false;
        }
        if !self.active {
            // Back in the pivot view where it was left.
            self.active = true;
            return true;
        }
        let to = if forward {
            self.at + 1
        } else {
            match self.at.checked_sub(1) {
                Some(to) => to,
                None => return false,
            }
        };
        if to >= self.history.len() {
            return false;
        }
        self.at = to;
        true
    }

    /// Keeps the current pivot's rows in step with the records (more arrived, or they changed).
    pub fn refresh(&mut self, recs: &Records) {
        if let Some(f) = self.current_mut() {
            f.refresh(recs);
        }
    }
}

impl Frame {
    fn refresh(&mut self, recs: &Records) {
        if self.seen == (recs.epoch, recs.rows.len()) {
            return;
        }
        let keep = self
            .rows
            .get(self.cursor)
            .copied()
            .filter(|_| self.seen.0 == recs.epoch);
        // A scan with `matches` rather than the index: a role pivot also finds its sessions.
        let mut rows: Vec<u32> = recs
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.rec
                    .entities
                    .iter()
                    .any(|e| entity::matches(&self.target, e))
            })
            .map(|(i, _)| i as u32)
            .collect();
        rows.sort_by(|&a, &b| by_time(&recs.rows[a as usize].rec, &recs.rows[b as usize].rec));
        self.cursor = keep
            .and_then(|k| rows.iter().position(|&r| r == k))
            .unwrap_or(0);
        self.rows = rows;
        self.seen = (recs.epoch, recs.rows.len());
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
    }
}

/// Time order, undated last, then where the record was written.
fn by_time(a: &Record, b: &Record) -> Ordering {
    let t = |r: &Record| r.time.map_or(i64::MAX, |t| t.timestamp_millis());
    t(a).cmp(&t(b))
        .then_with(|| a.origin.object.cmp(&b.origin.object))
        .then(a.origin.position.cmp(&b.origin.position))
}

/// The identity chain of a key over the loaded CloudTrail events that hand out keys (only those
/// are copied for `identity_chain`, which wants a slice).
fn key_chain(recs: &Records, key: &str) -> Vec<String> {
    let issuers: Vec<Record> = recs
        .rows
        .iter()
        .map(|r| &r.rec)
        .filter(|r| crate::pivot::issues_credentials(r))
        .cloned()
        .collect();
    identity_chain(&issuers, key)
        .iter()
        .map(|l| l.describe())
        .collect()
}
