//! The pivot on screen: the entity chooser (`p`), and the pivots, each a question asked of every
//! opened source: its timeline starts with the matching records already in the list and fills as
//! the scan of the sources over its window goes on. The history (`[`/`]`) keeps every pivot.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

use super::records::Records;
use crate::dedup::{Added, Dedup};
use crate::entity::{self, Entity, EntityKind};
use crate::pivot::{identity_chain, issues_credentials, PivotIndex};
use crate::query::Query;
use crate::record::{Record, RecordKind};
use crate::scan;

/// The window that lists a record's entities, each with how many loaded records share it.
pub struct Chooser {
    pub items: Vec<(Entity, usize)>,
    pub cursor: usize,
    /// The time of the record the entities come from: the pivot's window is centred on it.
    pub center: Option<DateTime<Utc>>,
    /// That record, to keep the cursor on it in the pivot.
    pub from: Option<Record>,
    /// What the counts are over: the list, or the pivot shown.
    pub over: &'static str,
}

/// Where a pivot's scan of the sources stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Listing what the window holds.
    Planning,
    /// The window holds more than the scan budget: waiting for `y`.
    Asking {
        objects: usize,
        bytes: u64,
    },
    Running,
    Done,
    /// Stopped by Esc; what was found stays.
    Stopped,
}

/// One pivot's scan: its generation (answers of an older scan are dropped), stage and progress.
pub struct Scanning {
    pub gen: u64,
    pub stage: Stage,
    pub progress: scan::Progress,
    pub started: Instant,
    /// Objects of the plan, once listed.
    pub planned: Option<(usize, u64)>,
    /// Folders that could not be listed.
    pub unlisted: usize,
    /// Stops the scan (Esc), keeping what it found.
    pub cancel: tokio_util::sync::CancellationToken,
    /// Lets a scan held above the budget go on (`y`).
    pub go: Option<tokio::sync::oneshot::Sender<()>>,
}

/// One pivot: the entity, the window scanned, and every record found that names it.
pub struct Frame {
    pub target: Entity,
    /// The window scanned; `None` is everything the sources hold.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// What the window is centred on (the record pivoted from) and how far it reaches each way.
    pub center: Option<DateTime<Utc>>,
    pub around: Duration,
    /// The records found, each once (copies merged into `also`).
    pub records: Vec<Record>,
    dedup: Dedup,
    /// Credential-issuing events seen on the way, for a key's identity chain.
    issuers: Vec<Record>,
    /// The view: indices into `records`, in time order, the pivot's own filter applied.
    pub rows: Vec<u32>,
    pub cursor: usize,
    pub offset: usize,
    /// The pivot's own filter (`f` inside a pivot) and find text (`/`).
    pub filter_text: String,
    filter: Query,
    pub find_text: String,
    /// The identity chain of a key, one line per link (unescaped: the view escapes).
    pub chain: Vec<String>,
    pub scan: Option<Scanning>,
    /// Records arrived since the view was built.
    stale: bool,
    /// The Athena window that added records (for the title and exports).
    pub widened: Option<String>,
    /// Where the record pivoted from was read; the cursor stays on it until the user moves.
    origin: Option<crate::record::Origin>,
    pub moved: bool,
}

/// The pivot history and the index of the list that counts entities for the chooser.
#[derive(Default)]
pub struct Pivots {
    pub history: Vec<Frame>,
    pub at: usize,
    /// The record pane shows `history[at]` instead of the plain list.
    pub active: bool,
    pub index: PivotIndex,
    /// The records' epoch and how many rows the index holds.
    indexed: (u64, usize),
    /// The generation of the newest scan.
    pub gen: u64,
}

impl Pivots {
    pub fn current(&self) -> Option<&Frame> {
        self.history.get(self.at).filter(|_| self.active)
    }

    pub fn current_mut(&mut self) -> Option<&mut Frame> {
        self.history.get_mut(self.at).filter(|_| self.active)
    }

    /// The frame whose scan has this generation, wherever it is in the history.
    pub fn scanning(&mut self, gen: u64) -> Option<&mut Frame> {
        self.history
            .iter_mut()
            .find(|f| f.scan.as_ref().is_some_and(|s| s.gen == gen))
    }

    /// The record under the pivot view's cursor.
    pub fn selected(&self) -> Option<&Record> {
        self.current().and_then(Frame::selected)
    }

    /// Brings the index up to the loaded rows: new rows are added, a changed set is rebuilt.
    pub fn update_index(&mut self, recs: &Records) {
        self.update_index_within(recs, None);
    }

    /// Adds rows to the index until it holds them all or `budget` is spent (checked every
    /// 256 rows): a screen reading millions of records indexes them a slice per frame, so a
    /// key never waits behind the whole. Whether the index now holds every row.
    pub fn update_index_within(
        &mut self,
        recs: &Records,
        budget: Option<std::time::Duration>,
    ) -> bool {
        if self.indexed.0 != recs.epoch || self.indexed.1 > recs.rows.len() {
            self.index = PivotIndex::default();
            self.indexed = (recs.epoch, 0);
        }
        let start = Instant::now();
        while self.indexed.1 < recs.rows.len() {
            let end = (self.indexed.1 + 256).min(recs.rows.len());
            for (i, row) in recs.rows[self.indexed.1..end].iter().enumerate() {
                self.index
                    .add((self.indexed.1 + i) as u32, &row.rec.entities);
            }
            self.indexed.1 = end;
            if budget.is_some_and(|b| start.elapsed() >= b) {
                break;
            }
        }
        self.indexed.1 == recs.rows.len()
    }

    /// Whether the index lacks rows of the list (or holds a list that is gone).
    pub fn index_behind(&self, recs: &Records) -> bool {
        self.indexed != (recs.epoch, recs.rows.len())
    }

    /// How many of the list's rows the index holds.
    pub fn rows_indexed(&self) -> usize {
        self.indexed.1
    }

    /// The chooser for `rec`'s entities, counted over the list; None when it names none.
    pub fn chooser(&mut self, recs: &Records, rec: &Record) -> Option<Chooser> {
        if rec.entities.is_empty() {
            return None;
        }
        // Inside a pivot, its own records are what the counts are over.
        if let Some(f) = self.current() {
            let items = rec
                .entities
                .iter()
                .map(|e| {
                    let n = f
                        .records
                        .iter()
                        .filter(|r| r.entities.iter().any(|c| entity::matches(e, c)))
                        .count();
                    (e.clone(), n)
                })
                .collect();
            return Some(Chooser {
                items,
                cursor: 0,
                center: rec.time,
                from: Some(rec.clone()),
                over: "this pivot",
            });
        }
        self.update_index(recs);
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
        Some(Chooser {
            items,
            cursor: 0,
            center: rec.time,
            from: Some(rec.clone()),
            over: "the list",
        })
    }

    /// Opens a pivot on `target` over `window`, seeded with the list's records that name it. It
    /// joins the end of the history: no pivot is ever dropped from it.
    /// The record pivoted from (`from`) is where the cursor starts, and where it goes when the
    /// scan brings it, until the user moves.
    pub fn open(
        &mut self,
        recs: &Records,
        target: Entity,
        center: Option<DateTime<Utc>>,
        around: Duration,
        from: Option<Record>,
    ) -> &mut Frame {
        let mut frame = Frame::new(target, center, around);
        // What was read before and falls in the window: the scan would find the same.
        let window = frame.window;
        let inside = move |r: &Record| match (window, r.time) {
            (Some((a, b)), Some(t)) => a <= t && t <= b,
            _ => true,
        };
        let wanted =
            |r: &&Record| inside(r) && (scan::names(r, &frame.target) || issues_credentials(r));
        // The list's records and, when pivoting again, the pivot's own: both already read.
        let mut seed: Vec<Record> = recs
            .rows
            .iter()
            .map(|r| &r.rec)
            .filter(wanted)
            .cloned()
            .collect();
        if let Some(shown) = self.current() {
            seed.extend(shown.records.iter().filter(wanted).cloned());
        }
        seed.extend(from.iter().filter(wanted).cloned());
        frame.origin = from.map(|r| r.origin);
        frame.add(seed);
        frame.rebuild();
        self.history.push(frame);
        self.at = self.history.len() - 1;
        self.active = true;
        self.history.last_mut().expect("just pushed")
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

    /// A new scan generation.
    pub fn next_gen(&mut self) -> u64 {
        self.gen += 1;
        self.gen
    }

    /// Whether any pivot's scan is still working.
    pub fn busy(&self) -> bool {
        self.history.iter().any(|f| {
            f.scan
                .as_ref()
                .is_some_and(|s| matches!(s.stage, Stage::Planning | Stage::Running))
        })
    }
}

impl Frame {
    fn new(target: Entity, center: Option<DateTime<Utc>>, around: Duration) -> Frame {
        let window = center.map(|c| window_around(c, around));
        Frame {
            target,
            window,
            center,
            around,
            records: Vec::new(),
            dedup: Dedup::default(),
            issuers: Vec::new(),
            rows: Vec::new(),
            cursor: 0,
            offset: 0,
            filter_text: String::new(),
            filter: Query::default(),
            find_text: String::new(),
            chain: Vec::new(),
            scan: None,
            stale: false,
            widened: None,
            origin: None,
            moved: false,
        }
    }

    /// Keeps the cursor on the record read at `origin` once it is found (a resumed session's).
    pub fn keep_on(&mut self, origin: crate::record::Origin) {
        self.origin = Some(origin);
        self.moved = false;
        self.rebuild();
    }

    pub fn selected(&self) -> Option<&Record> {
        self.rows
            .get(self.cursor)
            .map(|&i| &self.records[i as usize])
    }

    /// Takes records in: those naming the entity join the timeline (each once), the events that
    /// issue keys feed the identity chain. Returns how many were new.
    pub fn add(&mut self, records: Vec<Record>) -> usize {
        let mut new = 0;
        let mut chain_changed = false;
        for r in records {
            if scan::names(&r, &self.target) {
                if issues_credentials(&r) {
                    self.issuers.push(r.clone());
                    chain_changed = true;
                }
                if matches!(self.dedup.add(&mut self.records, r), Added::New(_)) {
                    new += 1;
                }
            } else if scan::gathers_chain(&self.target) && issues_credentials(&r) {
                self.issuers.push(r);
                chain_changed = true;
            }
        }
        if chain_changed && self.target.kind == EntityKind::Key {
            self.chain = identity_chain(&self.issuers, &self.target.value)
                .iter()
                .map(|l| l.describe())
                .collect();
        }
        self.stale = true;
        new
    }

    /// Builds the view again when records arrived (a few times a second while a scan runs),
    /// keeping the cursor on its record.
    pub fn refresh(&mut self) {
        if self.stale {
            self.rebuild();
        }
    }

    fn rebuild(&mut self) {
        let keep = self.rows.get(self.cursor).copied();
        let mut rows: Vec<u32> = (0..self.records.len() as u32)
            .filter(|&i| self.filter.is_empty() || self.filter.matches(&self.records[i as usize]))
            .collect();
        rows.sort_by(|&a, &b| by_time(&self.records[a as usize], &self.records[b as usize]));
        let origin = self.origin.as_ref().filter(|_| !self.moved).and_then(|o| {
            rows.iter().position(|&i| {
                let r = &self.records[i as usize];
                &r.origin == o || r.also.contains(o)
            })
        });
        self.cursor = origin
            .or_else(|| keep.and_then(|k| rows.iter().position(|&r| r == k)))
            .unwrap_or(0);
        self.rows = rows;
        self.stale = false;
    }

    /// Sets the pivot's own filter; an unreadable one is refused with the reason.
    pub fn set_filter(&mut self, text: &str) -> Result<(), crate::query::QueryError> {
        self.filter = Query::parse(text)?;
        self.filter_text = text.to_string();
        self.rebuild();
        Ok(())
    }

    /// Moves to the next (or previous) row matching the find text, wrapping around.
    pub fn find(&mut self, forward: bool) -> Result<bool, crate::query::QueryError> {
        let q = Query::parse(&self.find_text)?;
        let n = self.rows.len();
        if q.is_empty() || n == 0 {
            return Ok(false);
        }
        for step in 1..=n {
            let pos = if forward {
                (self.cursor + step) % n
            } else {
                (self.cursor + n - step % n) % n
            };
            if q.matches(&self.records[self.rows[pos] as usize]) {
                self.cursor = pos;
                self.moved = true;
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub fn move_by(&mut self, delta: isize) {
        self.moved = true;
        let last = self.rows.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Records found per kind, each once.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut c = (0, 0, 0);
        for r in &self.records {
            match r.kind {
                RecordKind::GuardDuty => c.0 += 1,
                RecordKind::CloudTrail => c.1 += 1,
                RecordKind::Ocsf => c.2 += 1,
            }
        }
        c
    }

    /// Doubles how far the window reaches each way (`w`): the next scan reads the wider window.
    pub fn widen(&mut self) {
        self.around = self.around.checked_mul(2).unwrap_or(self.around);
        if let Some(c) = self.center {
            self.window = Some(window_around(c, self.around));
        }
    }

    /// Whether the scan is still reading (Esc stops it).
    pub fn scanning(&self) -> bool {
        self.scan.as_ref().is_some_and(|s| {
            matches!(
                s.stage,
                Stage::Planning | Stage::Running | Stage::Asking { .. }
            )
        })
    }
}

/// `around` either side of `center`, clamped at the ends of the calendar (a record's time is the
/// log's word, however odd).
pub fn window_around(center: DateTime<Utc>, around: Duration) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        center
            .checked_sub_signed(around)
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        center
            .checked_add_signed(around)
            .unwrap_or(DateTime::<Utc>::MAX_UTC),
    )
}

/// Time order, undated last, then where the record was written.
fn by_time(a: &Record, b: &Record) -> std::cmp::Ordering {
    let t = |r: &Record| r.time.map_or(i64::MAX, |t| t.timestamp_millis());
    t(a).cmp(&t(b))
        .then_with(|| a.origin.object.cmp(&b.origin.object))
        .then(a.origin.position.cmp(&b.origin.position))
}
