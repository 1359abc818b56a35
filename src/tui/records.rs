//! The records of the selected partition: everything loaded so far, and the view of it the user
//! asked for (filtered by `f`, ordered by `s`, searched by `/`), kept as a vector of indices.

use std::cmp::Ordering;

use crate::query::Query;
use crate::record::Record;

/// A record's identity and version, as `dedup::identity` finds them.
pub type Identified = (
    crate::dedup::Identity,
    Option<chrono::DateTime<chrono::Utc>>,
);

/// The column the list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    /// Highest severity (GuardDuty, OCSF) first.
    Severity,
    Kind,
    Event,
    Principal,
    Ip,
    Account,
    Region,
}

impl SortKey {
    pub const ALL: [SortKey; 8] = [
        SortKey::Time,
        SortKey::Severity,
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
            SortKey::Severity => "severity",
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
}

/// A record's place on the timeline: milliseconds since the epoch; undated records sort last.
fn sort_time(r: &Record) -> i64 {
    r.time.map_or(i64::MAX, |t| t.timestamp_millis())
}

impl crate::dedup::Holds for Row {
    fn record(&self) -> &Record {
        &self.rec
    }
    fn record_mut(&mut self) -> &mut Record {
        &mut self.rec
    }
}

impl Row {
    fn new(rec: Record) -> Row {
        Row { rec }
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
    /// Rows (from the start) already considered by the view.
    viewed: usize,
    /// The user moved in this list: a growing list keeps their record under the cursor; until
    /// then the cursor stays on the first row.
    pub moved: bool,
    /// Changes whenever row indices stop meaning what they meant (cleared, a finding replaced
    /// by its newer export), so what points into `rows` (the pivots' index) starts again.
    pub epoch: u64,
    /// Each record once: copies join the kept record's `also`.
    dedup: crate::dedup::Dedup,
    /// Each row's `sort_time`, apart from the rows: ordering a growing list compares times
    /// that sit together in memory instead of reaching into a record each time.
    times: Vec<i64>,
    /// The years the rows' times fall in, kept as rows arrive so that drawing reads no row.
    pub span: Years,
}

/// Whether times seen so far fall in more than one year (the list then shows the year).
#[derive(Debug, Default, Clone, Copy)]
pub struct Years {
    first: Option<i32>,
    many: bool,
}

impl Years {
    pub fn add(&mut self, time: Option<chrono::DateTime<chrono::Utc>>) {
        if let Some(y) = time.map(|t| chrono::Datelike::year(&t)) {
            match self.first {
                None => self.first = Some(y),
                Some(f) => self.many |= f != y,
            }
        }
    }

    pub fn of<'a>(records: impl Iterator<Item = &'a Record>) -> Years {
        let mut years = Years::default();
        for r in records {
            years.add(r.time);
            if years.many {
                break;
            }
        }
        years
    }

    pub fn many(self) -> bool {
        self.many
    }
}

impl Records {
    pub fn clear(&mut self) {
        self.rows.clear();
        self.view.clear();
        self.cursor = 0;
        self.offset = 0;
        self.stale = false;
        self.moved = false;
        self.viewed = 0;
        self.epoch += 1;
        self.dedup = Default::default();
        self.span = Years::default();
        self.times.clear();
    }

    /// Makes room for `n` more records (capped at ten million: beyond, the list grows as
    /// records come).
    pub fn expect(&mut self, n: usize) {
        let n = n.min(10_000_000);
        // Only a hint: a machine that cannot give the room now lets the list grow as it can.
        let _ = self.rows.try_reserve(n);
        let _ = self.times.try_reserve(n);
        self.dedup.try_reserve(n);
    }

    /// Takes records in, each once: a copy (another object delivered it, a finding exported
    /// again) is merged into the row that holds it.
    pub fn push(&mut self, recs: Vec<Record>) {
        let ids = recs.iter().map(crate::dedup::identity).collect();
        self.push_identified(recs, ids);
    }

    /// [`Records::push`] with each record's identity found already, by the thread that read
    /// them: finding it parses the record's text, too slow for the screen's thread.
    pub fn push_identified(&mut self, recs: Vec<Record>, ids: Vec<Identified>) {
        if recs.is_empty() {
            return;
        }
        debug_assert_eq!(recs.len(), ids.len());
        self.rows.reserve(recs.len());
        for (r, id) in recs.into_iter().zip(ids) {
            self.span.add(r.time);
            let time = sort_time(&r);
            match self.dedup.add_identified(&mut self.rows, r, id, Row::new) {
                crate::dedup::Added::New(_) => self.times.push(time),
                crate::dedup::Added::Newer(i) => {
                    self.times[i] = time;
                    // The row changed in place: the view places it again, the index reads it
                    // again.
                    if i < self.viewed {
                        self.viewed = usize::MAX;
                    }
                    self.epoch += 1;
                }
                crate::dedup::Added::Copy(_) => {}
            }
        }
        self.stale = true;
    }

    /// Records in the list that other objects delivered too (each counted once).
    pub fn copies(&self) -> usize {
        self.rows.iter().filter(|r| !r.rec.also.is_empty()).count()
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
        self.filter = Query::parse(text).map_err(|e| e.to_string())?;
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

    /// The view's order between two rows: the sort column, then the timeline (time, object,
    /// position), the whole of it reversed by `S`.
    fn order(&self, a: u32, b: u32) -> Ordering {
        let (x, y) = (&self.rows[a as usize], &self.rows[b as usize]);
        let sev = |r: &Row| r.rec.severity.unwrap_or(f64::NEG_INFINITY);
        let primary = match self.sort {
            None | Some(SortKey::Time) => Ordering::Equal,
            // Highest first: the order on call reads alerts in.
            Some(SortKey::Severity) => sev(y).total_cmp(&sev(x)),
            Some(k) => column(&x.rec, k).cmp(column(&y.rec, k)),
        };
        let o = primary
            .then(self.times[a as usize].cmp(&self.times[b as usize]))
            .then_with(|| x.rec.origin.object.cmp(&y.rec.origin.object))
            .then(x.rec.origin.position.cmp(&y.rec.origin.position));
        if self.reverse {
            o.reverse()
        } else {
            o
        }
    }

    fn admitted(&self, range: std::ops::Range<usize>) -> Vec<u32> {
        range
            .filter(|&i| {
                let r = &self.rows[i];
                self.filter.is_empty() || self.filter.matches(&r.rec)
            })
            .map(|i| i as u32)
            .collect()
    }

    /// Rebuilds the filtered, ordered view, keeping the cursor on the same record.
    pub fn rebuild(&mut self) {
        let keep = self.selected_index().filter(|_| self.moved);
        // A finding replaced by its newer export may have moved the years: counted again.
        self.span = Years::of(self.rows.iter().map(|r| &r.rec));
        let mut view = self.admitted(0..self.rows.len());
        view.sort_unstable_by(|&a, &b| self.order(a, b));
        self.view = view;
        self.viewed = self.rows.len();
        self.stale = false;
        self.restore_cursor(keep);
    }

    /// Adds the rows that arrived since the last build to the view: only they are filtered and
    /// sorted, then each is put in place by binary search, so a growing 50k list stays cheap.
    pub fn merge_new(&mut self) {
        if self.viewed > self.rows.len() {
            return self.rebuild();
        }
        let keep = self.selected_index().filter(|_| self.moved);
        let mut fresh = self.admitted(self.viewed..self.rows.len());
        fresh.sort_unstable_by(|&a, &b| self.order(a, b));
        let old = std::mem::take(&mut self.view);
        let mut view = Vec::with_capacity(old.len() + fresh.len());
        let mut from = 0;
        // The cursor's row moves down by the rows placed before it: no search of the list.
        let mut before_cursor = 0;
        for f in fresh {
            let at = from + old[from..].partition_point(|&v| self.order(v, f) != Ordering::Greater);
            view.extend_from_slice(&old[from..at]);
            view.push(f);
            before_cursor += usize::from(at <= self.cursor);
            from = at;
        }
        view.extend_from_slice(&old[from..]);
        self.view = view;
        self.viewed = self.rows.len();
        self.stale = false;
        match keep {
            Some(k) if self.view.get(self.cursor + before_cursor) == Some(&(k as u32)) => {
                self.cursor += before_cursor;
            }
            _ => self.restore_cursor(keep),
        }
    }

    fn restore_cursor(&mut self, keep: Option<usize>) {
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
        let q = Query::parse(&self.find_text).map_err(|e| e.to_string())?;
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
            if q.matches(&row.rec) {
                self.cursor = pos;
                self.moved = true;
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A record's text in a sort column.
fn column(r: &Record, k: SortKey) -> &str {
    match k {
        SortKey::Kind => r.kind.as_str(),
        SortKey::Event => &r.event,
        SortKey::Principal => r.principal.as_deref().unwrap_or(""),
        SortKey::Ip => r.ip.as_deref().unwrap_or(""),
        SortKey::Account => r.account.as_deref().unwrap_or(""),
        SortKey::Region => r.region.as_deref().unwrap_or(""),
        SortKey::Time | SortKey::Severity => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;
    use std::sync::Arc;

    fn ct(t: u32, name: &str) -> Record {
        Record::from_value(
            json!({"eventSource":"iam.amazonaws.com","eventName":name,
                   "eventTime":format!("2024-05-02T03:{:02}:{:02}Z", t / 60, t % 60)}),
            Origin {
                object: Arc::from("mem://t"),
                position: t as u64,
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn merging_batches_gives_the_order_of_a_full_rebuild() {
        let mut r = Records::default();
        r.set_filter("-event:Skip").unwrap();
        r.sort = Some(SortKey::Event);
        r.reverse = true;
        // Batches arrive out of time order, as objects finish in any order.
        for batch in [[7, 3, 11], [1, 9, 5], [10, 2, 8]] {
            r.push(
                batch
                    .iter()
                    .map(|&t| ct(t, if t % 2 == 0 { "Even" } else { "Odd" }))
                    .collect(),
            );
            r.push(vec![ct(100 + batch[0], "Skip")]);
            r.merge_new();
        }
        let merged = r.view.clone();
        r.rebuild();
        assert_eq!(merged, r.view);
        assert_eq!(r.view.len(), 9);
        let names: Vec<&str> = (0..9).map(|i| r.get(i).unwrap().event.as_ref()).collect();
        assert_eq!(&names[..5], ["Odd"; 5]);
    }

    /// Rows merged before, at and after the cursor's row leave the cursor on that row (its new
    /// place is counted during the merge, not searched for).
    #[test]
    fn the_cursor_stays_on_its_record_as_rows_join_around_it() {
        let mut r = Records::default();
        r.push((10..20).map(|t| ct(t * 10, "E")).collect());
        r.merge_new();
        r.move_by(4);
        let held = r.selected().unwrap().origin.clone();
        assert_eq!(held.position, 140);
        // Rows before it (5, 135), its own record again (a copy, merged), rows on both sides.
        for batch in [vec![5, 135], vec![140], vec![145, 500, 1]] {
            r.push(batch.into_iter().map(|t| ct(t, "E")).collect());
            r.merge_new();
            assert_eq!(r.selected().unwrap().origin, held);
        }
        assert_eq!((r.cursor, r.rows.len()), (7, 15));
        // The years are counted as rows come: all of these are in 2024.
        assert!(!r.span.many());
    }
}
