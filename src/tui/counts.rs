//! `t`: the top values of a column over what the record pane shows (the list or the pivot):
//! each value with how many records hold it, when it was first and last seen, and a sparkline of
//! when. The odd address stands out by its count, not by luck of the sort order. Enter filters
//! to a value; `p` pivots on it.

use crate::count::{top_values, Counts, ValueCount};
use crate::entity::{self, Entity};
use crate::query::Field;
use crate::record::Record;

/// The columns counted, in the order `h`/`l` step through them.
pub const FIELDS: [Field; 8] = [
    Field::Ip,
    Field::Principal,
    Field::Event,
    Field::Error,
    Field::Account,
    Field::Region,
    Field::Resource,
    Field::Bucket,
];

/// Slices of the list's time span in each value's sparkline.
const BUCKETS: usize = 16;

pub struct CountView {
    /// Index into [`FIELDS`].
    pub field: usize,
    pub counts: Counts,
    pub cursor: usize,
    pub offset: usize,
}

impl CountView {
    /// Counts `FIELDS[field]` (wrapping) over `records`.
    pub fn new(records: Vec<&Record>, field: usize) -> CountView {
        let field = field % FIELDS.len();
        CountView {
            field,
            counts: top_values(records.iter().copied(), &FIELDS[field], BUCKETS),
            cursor: 0,
            offset: 0,
        }
    }

    pub fn selected(&self) -> Option<&ValueCount> {
        self.counts.values.get(self.cursor)
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.counts.values.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize)
            .saturating_add(delta)
            .clamp(0, last.max(0)) as usize;
    }

    /// The filter that keeps exactly the records the selected value was counted in.
    pub fn term(&self) -> Option<String> {
        self.selected().map(|v| FIELDS[self.field].term(&v.value))
    }

    /// The selected value as an entity to pivot on, when it is one.
    pub fn entity(&self) -> Option<Entity> {
        let v = self.selected()?;
        match FIELDS[self.field] {
            Field::Ip | Field::Principal | Field::Account => {
                entity::parse_target(&format!("{}:{}", FIELDS[self.field].name(), v.value))
                    .or_else(|| entity::parse_target(&v.value))
            }
            _ => None,
        }
    }
}
