//! The pivot: which loaded records share an entity (an inverted index, built while loading, that
//! holds record numbers rather than copies), and the identity chain that ties a temporary key to
//! the event that issued it and to the role or user behind it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::entity::{parse_arn, Entity, EntityKind};
use crate::record::{format_time, Record, RecordKind};

/// Entity → the numbers of the records that name it.
#[derive(Debug, Default)]
pub struct PivotIndex {
    /// One map per kind, keyed by the value: lookups borrow the value instead of building a key.
    postings: HashMap<EntityKind, Shards>,
    entities: usize,
}

/// One kind's postings, split by the value's hash into maps that each grow on their own: an
/// index of millions of values never rehashes them all at once, which would hold up the frame
/// of a screen that adds to it a slice per frame.
#[derive(Debug)]
struct Shards(Vec<FxHashMap<Arc<str>, Postings>>);

/// The records that name one value. Most values of a large list (a session, a request's key)
/// are named by one record: that one is held in place, not in a list of its own.
#[derive(Debug)]
enum Postings {
    One(u32),
    Many(Vec<u32>),
}

impl Postings {
    fn as_slice(&self) -> &[u32] {
        match self {
            Postings::One(id) => std::slice::from_ref(id),
            Postings::Many(ids) => ids,
        }
    }

    fn push(&mut self, id: u32) {
        match self {
            Postings::One(first) => *self = Postings::Many(vec![*first, id]),
            Postings::Many(ids) => ids.push(id),
        }
    }
}

const SHARDS: usize = 64;

impl Default for Shards {
    fn default() -> Shards {
        Shards((0..SHARDS).map(|_| FxHashMap::default()).collect())
    }
}

impl Shards {
    /// Bits of the hash that the maps themselves do not use to place or tell apart entries
    /// (they take the low bits and the top seven).
    fn of(key: &str) -> usize {
        let mut h = rustc_hash::FxHasher::default();
        std::hash::Hash::hash(key, &mut h);
        (std::hash::Hasher::finish(&h) >> 32) as usize % SHARDS
    }

    fn get(&self, key: &str) -> Option<&Postings> {
        self.0[Shards::of(key)].get(key)
    }
}

/// IAM names are unique in an account whatever their path, and session ARNs carry no path: index
/// role and user ARNs without it, so `role/service-role/x` and `role/x` meet.
fn index_key(e: &Entity) -> Cow<'_, str> {
    if e.kind == EntityKind::Principal {
        if let Some(a) = parse_arn(&e.value).filter(|a| a.service == "iam" && a.region.is_empty()) {
            for kind in ["role/", "user/"] {
                if let Some(path_and_name) = a.resource.strip_prefix(kind) {
                    let name = path_and_name.rsplit('/').next().unwrap_or(path_and_name);
                    if name.len() != path_and_name.len() {
                        let (partition, account) = (a.partition, a.account);
                        return Cow::Owned(format!("arn:{partition}:iam::{account}:{kind}{name}"));
                    }
                }
            }
        }
    }
    Cow::Borrowed(&e.value)
}

impl PivotIndex {
    /// Indexes record number `id` under each of its entities.
    pub fn add(&mut self, id: u32, entities: &[Entity]) {
        for e in entities {
            let key = index_key(e);
            let shards = self.postings.entry(e.kind).or_default();
            let by_value = &mut shards.0[Shards::of(&key)];
            match by_value.get_mut(key.as_ref()) {
                // Entities of one record are deduplicated, but two spellings can share a key.
                Some(ids) if ids.as_slice().last() == Some(&id) => {}
                Some(ids) => ids.push(id),
                None => {
                    self.entities += 1;
                    // The record's own value when it is the key: one copy for both.
                    let key: Arc<str> = match key {
                        Cow::Borrowed(_) => e.value.clone(),
                        Cow::Owned(k) => k.into(),
                    };
                    by_value.insert(key, Postings::One(id));
                }
            }
        }
    }

    pub fn build(records: &[Record]) -> PivotIndex {
        let mut index = PivotIndex::default();
        for (i, r) in records.iter().enumerate() {
            index.add(i as u32, &r.entities);
        }
        index
    }

    /// The records that share `target`, in the order they were added.
    pub fn lookup(&self, target: &Entity) -> &[u32] {
        self.postings
            .get(&target.kind)
            .and_then(|m| m.get(index_key(target).as_ref()))
            .map_or(&[], Postings::as_slice)
    }

    /// How many records share `e` (what the entity chooser shows beside each entity).
    pub fn count(&self, e: &Entity) -> usize {
        self.lookup(e).len()
    }

    pub fn entities(&self) -> usize {
        self.entities
    }
}

/// Text that every record naming `target` contains, whatever field names it: the test that lets
/// a pivot skip parsing the rest. `None` when the entity can be spelled several ways (IPv6,
/// non-ASCII names).
pub fn needle(target: &Entity) -> Option<String> {
    let v = target.value.as_ref();
    if !v.is_ascii() || v.contains(['"', '\\']) || v.is_empty() {
        return None;
    }
    match target.kind {
        EntityKind::Ip => v.parse::<std::net::Ipv4Addr>().ok().map(|_| v.to_string()),
        // A role or user ARN also finds sessions and paths: only the name is sure to be there.
        EntityKind::Principal => match parse_arn(v).filter(|a| a.service == "iam") {
            Some(a) if a.resource.starts_with("role/") || a.resource.starts_with("user/") => {
                a.resource.rsplit('/').next().map(str::to_string)
            }
            _ => Some(v.to_string()),
        },
        _ => Some(v.to_string()),
    }
}

/// Whether a record hands out credentials (the links an identity chain is made of).
pub fn issues_credentials(r: &Record) -> bool {
    r.kind == RecordKind::CloudTrail && issued_key(r).is_some()
}

/// The key a CloudTrail event's response hands out, if any. The raw text is looked at first so
/// that most events are never parsed again.
fn issued_key(r: &Record) -> Option<String> {
    // The rare keys first: a packed text knows them without being unpacked (see `raw`).
    if !((r.raw.contains("\"credentials\"") || r.raw.contains("\"accessKey\""))
        && r.raw.contains("\"responseElements\""))
    {
        return None;
    }
    let v = r.value();
    str_at(&v, &["responseElements", "credentials", "accessKeyId"])
        .or_else(|| str_at(&v, &["responseElements", "accessKey", "accessKeyId"]))
        .map(str::to_string)
}

/// What a pivot on `target` needs loaded: its matches, and for a key the events that issue keys
/// (its chain); with the raw-text test that lets the rest go unparsed.
pub fn load_filters(target: &Entity) -> (crate::load::Keep, Option<crate::load::RawFilter>) {
    let chain = target.kind == EntityKind::Key;
    let t = target.clone();
    let keep: crate::load::Keep = std::sync::Arc::new(move |r: &Record| {
        r.entities.iter().any(|e| crate::entity::matches(&t, e)) || (chain && issues_credentials(r))
    });
    let raw = needle(target).map(|n| {
        let finder = memchr::memmem::Finder::new(n.as_bytes()).into_owned();
        let credentials = memchr::memmem::Finder::new(b"\"credentials\"").into_owned();
        let access_key = memchr::memmem::Finder::new(b"\"accessKey\"").into_owned();
        let filter: crate::load::RawFilter = std::sync::Arc::new(move |text: &[u8]| {
            finder.find(text).is_some()
                || (chain && (credentials.find(text).is_some() || access_key.find(text).is_some()))
        });
        filter
    });
    (keep, raw)
}

/// Records per kind and per time bucket, for the pivot's header and its small histogram.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Overview {
    pub guardduty: usize,
    pub cloudtrail: usize,
    pub ocsf: usize,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    pub buckets: Vec<usize>,
}

/// Counts per kind and a histogram of `width` buckets between the first and last record.
pub fn overview<'a>(
    records: impl IntoIterator<Item = &'a Record> + Clone,
    width: usize,
) -> Overview {
    let mut o = Overview::default();
    for r in records.clone() {
        match r.kind {
            RecordKind::GuardDuty => o.guardduty += 1,
            RecordKind::CloudTrail => o.cloudtrail += 1,
            RecordKind::Ocsf => o.ocsf += 1,
        }
        if let Some(t) = r.time {
            o.first = Some(o.first.map_or(t, |f| f.min(t)));
            o.last = Some(o.last.map_or(t, |l| l.max(t)));
        }
    }
    o.buckets = vec![0; width.max(1)];
    if let (Some(first), Some(last)) = (o.first, o.last) {
        let span = (last - first).num_milliseconds().max(1) as f64;
        let n = o.buckets.len();
        for t in records.into_iter().filter_map(|r| r.time) {
            let i = (((t - first).num_milliseconds() as f64 / span) * n as f64) as usize;
            o.buckets[i.min(n - 1)] += 1;
        }
    }
    o
}

/// One step of an identity chain: the event that handed out a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub key: String,
    pub time: Option<String>,
    pub event: String,
    /// The identity the key acts as (an assumed-role session, a federated user, a user).
    pub acts_as: Option<String>,
    /// The role asked for, when one was.
    pub role: Option<String>,
    /// Who called: an ARN, or the AWS service that did it on the principal's behalf.
    pub caller: Option<String>,
    pub caller_key: Option<String>,
    pub source_ip: Option<String>,
    pub object: String,
    pub position: u64,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// The CloudTrail event in `records` that issued `key` (the credentials in its response).
fn issuer_of<'a>(records: &'a [Record], key: &str) -> Option<&'a Record> {
    records.iter().find(|r| {
        // The marks of a packed text answer most events without unpacking them.
        r.kind == RecordKind::CloudTrail && issued_key(r).as_deref() == Some(key)
    })
}

/// Follows a key back through the events that issued it: a session key to its AssumeRole, that
/// call's own key to whatever issued it, and so on (role chaining, a backdoor user's key).
pub fn identity_chain(records: &[Record], key: &str) -> Vec<Link> {
    let mut chain: Vec<Link> = Vec::new();
    let mut next = Some(key.to_string());
    while let Some(k) = next.take() {
        // A loop in hostile data must not spin forever.
        if chain.iter().any(|l| l.key == k) || chain.len() >= 16 {
            break;
        }
        let Some(r) = issuer_of(records, &k) else {
            break;
        };
        let v = &r.value();
        let uid = v.get("userIdentity");
        let caller = uid.and_then(|u| {
            str_at(u, &["arn"])
                .or_else(|| str_at(u, &["invokedBy"]))
                .or_else(|| str_at(u, &["principalId"]))
        });
        let caller_key = uid
            .and_then(|u| str_at(u, &["accessKeyId"]))
            .map(str::to_string);
        let acts_as = str_at(v, &["responseElements", "assumedRoleUser", "arn"])
            .or_else(|| str_at(v, &["responseElements", "federatedUser", "arn"]))
            .map(str::to_string)
            .or_else(|| {
                str_at(v, &["responseElements", "accessKey", "userName"])
                    .map(|u| format!("user {u}"))
            });
        chain.push(Link {
            key: k,
            time: r.time.as_ref().map(format_time),
            event: r.event.to_string(),
            acts_as,
            role: str_at(v, &["requestParameters", "roleArn"]).map(str::to_string),
            caller: caller.map(str::to_string),
            caller_key: caller_key.clone(),
            source_ip: str_at(v, &["sourceIPAddress"]).map(str::to_string),
            object: r.origin.object.to_string(),
            position: r.origin.position,
        });
        next = caller_key;
    }
    chain
}

impl Link {
    /// One line for people: what issued the key, to whom, called by whom, and where it is written.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} issued by {} at {}",
            self.key,
            self.event,
            self.time.as_deref().unwrap_or("?")
        );
        if let Some(a) = &self.acts_as {
            s.push_str(&format!(" to {a}"));
        }
        if let Some(r) = &self.role {
            s.push_str(&format!(" (role {r})"));
        }
        if let Some(c) = &self.caller {
            s.push_str(&format!(", called by {c}"));
        }
        if let Some(k) = &self.caller_key {
            s.push_str(&format!(" with key {k}"));
        }
        if let Some(ip) = &self.source_ip {
            s.push_str(&format!(" from {ip}"));
        }
        s.push_str(&format!(" [{}:{}]", self.object, self.position));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;
    use std::sync::Arc;

    fn ct(n: u64, v: Value) -> Record {
        Record::from_value(
            v,
            Origin {
                object: Arc::from("mem://ct"),
                position: n,
            },
            None,
        )
        .unwrap()
    }

    fn e(kind: EntityKind, v: &str) -> Entity {
        Entity::new(kind, v)
    }

    #[test]
    fn role_arns_with_and_without_a_path_share_a_posting() {
        let mut idx = PivotIndex::default();
        idx.add(
            0,
            &[e(
                EntityKind::Principal,
                "arn:aws:iam::111122223333:role/service-role/app",
            )],
        );
        idx.add(
            1,
            &[e(
                EntityKind::Principal,
                "arn:aws:iam::111122223333:role/app",
            )],
        );
        idx.add(
            2,
            &[e(
                EntityKind::Principal,
                "arn:aws:iam::111122223333:role/other",
            )],
        );
        assert_eq!(
            idx.lookup(&e(
                EntityKind::Principal,
                "arn:aws:iam::111122223333:role/app"
            )),
            &[0, 1]
        );
        assert_eq!(idx.count(&e(EntityKind::Ip, "203.0.113.66")), 0);
    }

    #[test]
    fn a_chain_follows_keys_back_to_the_instance_role() {
        let records = vec![
            ct(
                1,
                json!({"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
                "eventTime":"2024-05-02T02:30:00Z","sourceIPAddress":"ec2.amazonaws.com",
                "userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"},
                "requestParameters":{"roleArn":"arn:aws:iam::111122223333:role/web","roleSessionName":"i-1"},
                "responseElements":{"credentials":{"accessKeyId":"ASIAAAAAAAAAAAAAAAA1"},
                    "assumedRoleUser":{"arn":"arn:aws:sts::111122223333:assumed-role/web/i-1"}}}),
            ),
            ct(
                2,
                json!({"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey",
                "eventTime":"2024-05-02T03:20:00Z","sourceIPAddress":"203.0.113.66",
                "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/web/i-1","accessKeyId":"ASIAAAAAAAAAAAAAAAA1"},
                "responseElements":{"accessKey":{"userName":"svc","accessKeyId":"AKIAAAAAAAAAAAAAAAA2"}}}),
            ),
            ct(
                3,
                json!({"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
                "eventTime":"2024-05-02T04:30:00Z","sourceIPAddress":"203.0.113.66",
                "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/svc","accessKeyId":"AKIAAAAAAAAAAAAAAAA2"},
                "requestParameters":{"roleArn":"arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"},
                "responseElements":{"credentials":{"accessKeyId":"ASIAAAAAAAAAAAAAAAA3"},
                    "assumedRoleUser":{"arn":"arn:aws:sts::444455556666:assumed-role/OrganizationAccountAccessRole/x"}}}),
            ),
        ];
        let chain = identity_chain(&records, "ASIAAAAAAAAAAAAAAAA3");
        let keys: Vec<&str> = chain.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ASIAAAAAAAAAAAAAAAA3",
                "AKIAAAAAAAAAAAAAAAA2",
                "ASIAAAAAAAAAAAAAAAA1"
            ]
        );
        assert_eq!(chain[1].acts_as.as_deref(), Some("user svc"));
        assert_eq!(chain[2].caller.as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(
            chain[2].role.as_deref(),
            Some("arn:aws:iam::111122223333:role/web")
        );
        assert!(chain[0].describe().starts_with("ASIAAAAAAAAAAAAAAAA3 issued by AssumeRole at 2024-05-02T04:30:00Z to arn:aws:sts::444455556666"));
        assert!(identity_chain(&records, "ASIANOTISSUEDHERE000").is_empty());
    }

    #[test]
    fn needles_are_text_every_match_contains() {
        assert_eq!(
            needle(&e(EntityKind::Ip, "203.0.113.66")).as_deref(),
            Some("203.0.113.66")
        );
        assert_eq!(needle(&e(EntityKind::Ip, "2001:db8::1")), None);
        assert_eq!(
            needle(&e(
                EntityKind::Principal,
                "arn:aws:iam::111122223333:role/service-role/app"
            ))
            .as_deref(),
            Some("app")
        );
        assert_eq!(
            needle(&e(EntityKind::Key, "ASIAQNZGKR3XW7TE2M5D")).as_deref(),
            Some("ASIAQNZGKR3XW7TE2M5D")
        );
        assert_eq!(needle(&e(EntityKind::User, "josé")), None);
    }

    #[test]
    fn overview_counts_kinds_and_spreads_times() {
        let recs: Vec<Record> = (0..4)
            .map(|i| {
                ct(i, json!({"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject",
                    "eventTime": format!("2024-05-02T0{}:00:00Z", i * 3)}))
            })
            .collect();
        let o = overview(&recs, 4);
        assert_eq!(o.cloudtrail, 4);
        assert_eq!(o.buckets, vec![1, 1, 1, 1]);
    }
}
