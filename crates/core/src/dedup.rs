//! One event once. Real trails deliver the same CloudTrail event in two objects, GuardDuty
//! exports a finding again each time it is updated, and a lake can hold an OCSF record twice:
//! each is one record, counted once, and every object it came from stays with it (`also`) as
//! evidence. A finding keeps its newest version (`updatedAt`; a later arrival wins a tie). An
//! event or OCSF record is a copy only when its text is the same too: two different records that
//! share an id (sample data does this) are both kept, since nothing may be lost.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::record::{parse_time, Record, RecordKind};

/// What makes two records the same one: CloudTrail's `eventID`, a finding's `id`, an OCSF
/// record's `metadata.uid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    kind: RecordKind,
    id: Box<str>,
    /// The id is the object and position read, for a record that carries none.
    by_place: bool,
}

/// The fields identity reads, deserialized alone: the rest of the record is only skipped over.
#[derive(Deserialize)]
struct Ids {
    #[serde(rename = "eventID")]
    event_id: Option<String>,
    id: Option<String>,
    #[serde(rename = "updatedAt")]
    updated_at: Option<serde_json::Value>,
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    uid: Option<String>,
}

/// A record's identity and, for a finding, the version it is (`updatedAt`). A record that
/// carries no id (VPC flows in OCSF have none) is known by where it was read: only the same
/// object read twice merges it.
pub fn identity(r: &Record) -> (Identity, Option<DateTime<Utc>>) {
    let (id, version, by_place) = match carried_id(r) {
        Some((id, version)) => (id, version, false),
        None => (
            format!("{}#{}", r.origin.object, r.origin.position),
            None,
            true,
        ),
    };
    (
        Identity {
            kind: r.kind,
            id: id.into_boxed_str(),
            by_place,
        },
        version,
    )
}

fn carried_id(r: &Record) -> Option<(String, Option<DateTime<Utc>>)> {
    let ids: Ids = r.raw.with(|t| serde_json::from_str(t).ok())?;
    let (id, version) = match r.kind {
        RecordKind::CloudTrail => (ids.event_id?, None),
        RecordKind::GuardDuty => (ids.id?, ids.updated_at.as_ref().and_then(parse_time)),
        RecordKind::Ocsf => (ids.metadata?.uid?, None),
    };
    (!id.is_empty()).then_some((id, version))
}

/// What adding a record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A record not seen before, now at this index.
    New(usize),
    /// A copy of the record at this index: its object joined that record's `also`.
    Copy(usize),
    /// A newer version of the finding at this index, which it replaced.
    Newer(usize),
}

/// The records seen so far, by identity, for a list that only grows.
#[derive(Debug, Default, Clone)]
pub struct Dedup {
    /// Identity → the records holding it (one, but for different records sharing an id) and,
    /// for a finding, the version kept.
    seen: HashMap<Identity, Held>,
}

/// The records holding one identity: the first inline, since a list of millions rarely has a
/// second (which would otherwise cost an allocation per record).
#[derive(Debug, Clone)]
struct Held {
    first: usize,
    more: Vec<usize>,
    /// A finding's version kept.
    kept: Option<DateTime<Utc>>,
}

/// What a list keeps its records in: the record itself, or a row around it.
pub trait Holds {
    fn record(&self) -> &Record;
    fn record_mut(&mut self) -> &mut Record;
}

impl Holds for Record {
    fn record(&self) -> &Record {
        self
    }
    fn record_mut(&mut self) -> &mut Record {
        self
    }
}

impl Dedup {
    /// Makes room for `n` more records if the allocator can (the room is only a hint).
    pub fn try_reserve(&mut self, n: usize) {
        let _ = self.seen.try_reserve(n);
    }

    /// Adds `r` to `records` unless a record there is the same one.
    pub fn add(&mut self, records: &mut Vec<Record>, r: Record) -> Added {
        self.add_with(records, r, |r| r)
    }

    /// Adds `r` to `items` (made into an item by `wrap`) unless an item holds the same record.
    pub fn add_with<T: Holds>(
        &mut self,
        items: &mut Vec<T>,
        r: Record,
        wrap: impl FnOnce(Record) -> T,
    ) -> Added {
        let known = identity(&r);
        self.add_identified(items, r, known, wrap)
    }

    /// [`Dedup::add_with`] for a record whose [`identity`] was found already (reading it parses
    /// the record's text, which a screen leaves to the thread that read the object).
    pub fn add_identified<T: Holds>(
        &mut self,
        items: &mut Vec<T>,
        mut r: Record,
        (id, version): (Identity, Option<DateTime<Utc>>),
        wrap: impl FnOnce(Record) -> T,
    ) -> Added {
        let finding = r.kind == RecordKind::GuardDuty;
        let Some(held) = self.seen.get_mut(&id) else {
            items.push(wrap(r));
            let i = items.len() - 1;
            let held = Held {
                first: i,
                more: Vec::new(),
                kept: version,
            };
            self.seen.insert(id, held);
            return Added::New(i);
        };
        if finding && version >= held.kept {
            // The newer export is the finding now; the older object stays as evidence.
            let i = held.first;
            let mut old = std::mem::replace(&mut items[i], wrap(r));
            let old = old.record_mut();
            let now = items[i].record_mut();
            let mut also = std::mem::take(&mut old.also);
            also.push(old.origin.clone());
            also.append(&mut now.also);
            also.retain(|o| *o != now.origin);
            also.dedup();
            now.also = also;
            held.kept = version;
            return Added::Newer(i);
        }
        let same = if finding {
            Some(held.first)
        } else {
            std::iter::once(held.first)
                .chain(held.more.iter().copied())
                .find(|&i| items[i].record().raw == r.raw)
        };
        match same {
            Some(i) => {
                // The same object read again (a list and a scan both read it) is no second
                // delivery: only other objects join `also`.
                let kept = items[i].record_mut();
                for o in std::iter::once(r.origin).chain(std::mem::take(&mut r.also)) {
                    if o != kept.origin && !kept.also.contains(&o) {
                        kept.also.push(o);
                    }
                }
                Added::Copy(i)
            }
            None => {
                // The same id on other content: another record, kept whole.
                items.push(wrap(r));
                held.more.push(items.len() - 1);
                Added::New(items.len() - 1)
            }
        }
    }
}

/// Merges the copies in `records`; each record stays where the copy it kept stood. Returns how
/// many copies were merged away.
pub fn dedup(records: &mut Vec<Record>) -> usize {
    let before = records.len();
    let mut out = Vec::with_capacity(records.len());
    // Where each kept record stood in `records`.
    let mut at: Vec<usize> = Vec::with_capacity(records.len());
    let mut seen = Dedup::default();
    for (n, r) in records.drain(..).enumerate() {
        match seen.add(&mut out, r) {
            Added::New(_) => at.push(n),
            Added::Newer(i) => at[i] = n,
            Added::Copy(_) => {}
        }
    }
    let mut placed: Vec<(usize, Record)> = at.into_iter().zip(out).collect();
    placed.sort_by_key(|(n, _)| *n);
    *records = placed.into_iter().map(|(_, r)| r).collect();
    before - records.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;

    fn rec(v: serde_json::Value, object: &str) -> Record {
        let origin = Origin {
            object: object.into(),
            position: 1,
        };
        Record::from_value(v, origin, None).expect("a record")
    }

    fn event(id: &str) -> serde_json::Value {
        json!({"eventVersion": "1.08", "eventID": id, "eventTime": "2024-05-02T03:00:00Z",
               "eventSource": "iam.amazonaws.com", "eventName": "ListUsers", "awsRegion": "us-east-1",
               "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"}})
    }

    fn finding(updated: &str, sev: f64) -> serde_json::Value {
        json!({"schemaVersion": "2.0", "id": "f1", "type": "Recon:EC2/PortProbeUnprotectedPort",
               "accountId": "111122223333", "region": "us-east-1", "severity": sev,
               "createdAt": "2024-05-02T03:00:00Z", "updatedAt": updated, "service": {}})
    }

    #[test]
    fn an_event_delivered_twice_is_one_record_with_both_objects() {
        let mut v = vec![
            rec(event("e1"), "a.json.gz"),
            rec(event("e2"), "a.json.gz"),
            rec(event("e1"), "b.json.gz"),
        ];
        assert_eq!(dedup(&mut v), 1);
        assert_eq!(v.len(), 2);
        assert_eq!(&*v[0].origin.object, "a.json.gz");
        let also: Vec<&str> = v[0].also.iter().map(|o| &*o.object).collect();
        assert_eq!(also, ["b.json.gz"]);
        assert!(v[1].also.is_empty());
    }

    #[test]
    fn a_reexported_finding_keeps_its_newest_version_and_every_object() {
        let mut v = vec![
            rec(finding("2024-05-02T04:00:00Z", 5.0), "new.jsonl.gz"),
            rec(finding("2024-05-02T03:00:00Z", 2.0), "old.jsonl.gz"),
            rec(finding("2024-05-02T04:00:00Z", 5.0), "again.jsonl.gz"),
        ];
        assert_eq!(dedup(&mut v), 2);
        assert_eq!(v.len(), 1);
        // A tie goes to the later arrival.
        assert_eq!(&*v[0].origin.object, "again.jsonl.gz");
        assert_eq!(v[0].severity, Some(5.0));
        let mut also: Vec<&str> = v[0].also.iter().map(|o| &*o.object).collect();
        also.sort();
        assert_eq!(also, ["new.jsonl.gz", "old.jsonl.gz"]);
    }

    #[test]
    fn newest_finding_export_wins() {
        let f =
            |id: &str, updated: &str, n| {
                Record::from_value(
                json!({"schemaVersion":"2.0","id":id,"type":"T","service":{},"updatedAt":updated}),
                Origin { object: "o".into(), position: n },
                None,
            )
            .unwrap()
            };
        let mut v = vec![
            f("a", "2024-05-02T03:15:00Z", 1),
            f("b", "2024-05-02T03:00:00Z", 2),
            f("a", "2024-05-02T04:20:00Z", 3),
            f("a", "2024-05-02T03:40:00Z", 4),
        ];
        assert_eq!(dedup(&mut v), 2);
        let kept: Vec<u64> = v.iter().map(|r| r.origin.position).collect();
        assert_eq!(kept, vec![2, 3]);
    }

    #[test]
    fn different_events_sharing_an_id_are_both_kept_and_each_merges_its_copy() {
        let mut other = event("e1");
        other["eventName"] = json!("DeleteUser");
        let mut v = vec![
            rec(event("e1"), "a"),
            rec(other.clone(), "a"),
            rec(event("e1"), "b"),
            rec(other, "b"),
        ];
        assert_eq!(dedup(&mut v), 2);
        assert_eq!(v.len(), 2);
        assert!(v
            .iter()
            .all(|r| r.also.len() == 1 && &*r.also[0].object == "b"));
    }

    #[test]
    fn the_same_object_read_twice_is_not_a_second_delivery() {
        let mut v = vec![
            rec(event("e1"), "a"),
            rec(event("e1"), "a"),
            rec(event("e1"), "b"),
            rec(event("e1"), "b"),
        ];
        assert_eq!(dedup(&mut v), 3);
        let also: Vec<&str> = v[0].also.iter().map(|o| &*o.object).collect();
        assert_eq!(also, ["b"]);
    }

    #[test]
    fn records_without_an_id_merge_only_when_the_same_place_is_read_twice() {
        let mut no_id = event("");
        no_id.as_object_mut().unwrap().remove("eventID");
        // The same text in two objects: two records (a flow seen twice is two flows).
        let mut v = vec![rec(no_id.clone(), "a"), rec(no_id.clone(), "b")];
        assert_eq!(dedup(&mut v), 0);
        assert_eq!(v.len(), 2);
        // The same object and position read again (a list and a scan both read it): once.
        let mut v = vec![rec(no_id.clone(), "a"), rec(no_id, "a")];
        assert_eq!(dedup(&mut v), 1);
        assert!(v[0].also.is_empty());
    }
}
