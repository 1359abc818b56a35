//! The records of the selected partition: everything loaded so far, and the view of it the user
//! asked for (filtered by `f`, ordered by `s`, searched by `/`), kept as a vector of indices.

use super::filter::{haystack, Query};
use crate::record::{self, Record};

/// The column the list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    Kind,
    Event,
    Principal,
    Ip,
    Account,
    Region,
}

impl SortKey {
    pub const ALL: [SortKey; 7] = [
        SortKey::Time,
        SortKey::Kind,
        SortKey::Event,
        SortKey::Principal,
        SortKey::Ip,
        SortKey::Account,
        SortKey::Region,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SortKey::Time => "time",
            SortKey::Kind => "kind",
            SortKey::Event => "event",
            SortKey::Principal => "principal",
            SortKey::Ip => "ip",
            SortKey::Account => "account",
            SortKey::Region => "region",
        }
    }

    fn next(self) -> SortKey {
        let i = SortKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        SortKey::ALL[(i + 1) % SortKey::ALL.len()]
    }
}

pub struct Row {
    pub rec: Record,
    hay: String,
    /// Milliseconds since the epoch; undated records sort last.
    time: i64,
}

impl Row {
    fn new(rec: Record) -> Row {
        Row {
            hay: haystack(&rec),
            time: rec.time.map_or(i64::MAX, |t| t.timestamp_millis()),
            rec,
        }
    }
}

#[derive(Default)]
pub struct Records {
    pub rows: Vec<Row>,
    pub view: Vec<u32>,
    pub cursor: usize,
    pub offset: usize,
    pub filter_text: String,
    filter: Query,
    pub sort: Option<SortKey>,
    pub reverse: bool,
    pub find_text: String,
    /// New rows arrived since the view was built.
    pub stale: bool,
    /// The user moved in this list: a growing list keeps their record under the cursor; until
    /// then the cursor stays on the first row.
    pub moved: bool,
}

impl Records {
    pub fn clear(&mut self) {
        self.rows.clear();
        self.view.clear();
        self.cursor = 0;
        self.offset = 0;
        self.stale = false;
        self.moved = false;
    }

    pub fn push(&mut self, recs: Vec<Record>) {
        if recs.is_empty() {
            return;
        }
        self.rows.extend(recs.into_iter().map(Row::new));
        self.stale = true;
    }

    /// GuardDuty re-exports a finding when it changes: once every object is read, keep the newest.
    pub fn keep_newest_findings(&mut self) {
        if !self
            .rows
            .iter()
            .any(|r| r.rec.kind == record::RecordKind::GuardDuty)
        {
            return;
        }
        let mut recs: Vec<Record> = self.rows.drain(..).map(|r| r.rec).collect();
        if record::keep_newest_findings(&mut recs) > 0 || self.rows.is_empty() {
            self.stale = true;
        }
        self.rows = recs.into_iter().map(Row::new).collect();
    }

    pub fn selected(&self) -> Option<&Record> {
        self.view
            .get(self.cursor)
            .map(|&i| &self.rows[i as usize].rec)
    }

    pub fn selected_index(&self) -> Option<usize> {
        self.view.get(self.cursor).map(|&i| i as usize)
    }

    pub fn get(&self, view_pos: usize) -> Option<&Record> {
        self.view.get(view_pos).map(|&i| &self.rows[i as usize].rec)
    }

    /// Sets the filter; an unreadable one is refused with the reason and the old one stays.
    pub fn set_filter(&mut self, text: &str) -> Result<(), String> {
        self.filter = Query::parse(text)?;
        self.filter_text = text.to_string();
        self.rebuild();
        Ok(())
    }

    pub fn cycle_sort(&mut self) {
        self.sort = Some(self.sort.map_or(SortKey::Kind, SortKey::next));
        self.rebuild();
    }

    pub fn toggle_reverse(&mut self) {
        self.reverse = !self.reverse;
        self.rebuild();
    }

    /// Rebuilds the filtered, ordered view, keeping the cursor on the same record.
    pub fn rebuild(&mut self) {
        let keep = self.selected_index().filter(|_| self.moved);
        let rows = &self.rows;
        let mut view: Vec<u32> = (0..rows.len() as u32)
            .filter(|&i| {
                let r = &rows[i as usize];
                self.filter.is_empty() || self.filter.matches(&r.rec, &r.hay)
            })
            .collect();
        let text = |r: &Row, k: SortKey| -> String {
            let r = &r.rec;
            match k {
                SortKey::Kind => r.kind.as_str().to_string(),
                SortKey::Event => r.event.clone(),
                SortKey::Principal => r.principal.clone().unwrap_or_default(),
                SortKey::Ip => r.ip.clone().unwrap_or_default(),
                SortKey::Account => r.account.clone().unwrap_or_default(),
                SortKey::Region => r.region.clone().unwrap_or_default(),
                SortKey::Time => String::new(),
            }
        };
        // Ties (and the time order itself) fall back on the timeline: time, object, position.
        let timeline = |a: &u32, b: &u32| {
            let (x, y) = (&rows[*a as usize], &rows[*b as usize]);
            (x.time, &x.rec.origin.object, x.rec.origin.position).cmp(&(
                y.time,
                &y.rec.origin.object,
                y.rec.origin.position,
            ))
        };
        match self.sort {
            None | Some(SortKey::Time) => view.sort_unstable_by(timeline),
            Some(k) => {
                let mut keyed: Vec<(String, u32)> = view
                    .iter()
                    .map(|&i| (text(&rows[i as usize], k), i))
                    .collect();
                keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| timeline(&a.1, &b.1)));
                view = keyed.into_iter().map(|(_, i)| i).collect();
            }
        }
        if self.reverse {
            view.reverse();
        }
        self.view = view;
        self.stale = false;
        self.cursor = keep
            .and_then(|k| self.view.iter().position(|&i| i as usize == k))
            .unwrap_or(if self.moved { self.cursor } else { 0 })
            .min(self.view.len().saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: isize) {
        self.moved = true;
        let last = self.view.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Moves to the next (or previous) record matching the find text, wrapping around.
    pub fn find(&mut self, forward: bool) -> Result<bool, String> {
        let q = Query::parse(&self.find_text)?;
        if q.is_empty() || self.view.is_empty() {
            return Ok(false);
        }
        let n = self.view.len();
        for step in 1..=n {
            let pos = if forward {
                (self.cursor + step) % n
            } else {
                (self.cursor + n - step % n) % n
            };
            let row = &self.rows[self.view[pos] as usize];
            if q.matches(&row.rec, &row.hay) {
                self.cursor = pos;
                self.moved = true;
                return Ok(true);
            }
        }
        Ok(false)
    }
}
