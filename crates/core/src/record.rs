//! One normalized record: the original JSON, untouched, and the summary every view shows.
//!
//! GuardDuty findings, CloudTrail events and OCSF records differ in every field name; a `Record`
//! gives them one shape (time, kind, account, region, event, severity, principal, IP, entities)
//! while keeping the original value and the object it came from as evidence.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use crate::entity::{self, Entity};
use crate::layout::Partition;

/// The three record families trawl reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordKind {
    GuardDuty,
    CloudTrail,
    Ocsf,
}

impl RecordKind {
    pub const ALL: [RecordKind; 3] = [
        RecordKind::GuardDuty,
        RecordKind::CloudTrail,
        RecordKind::Ocsf,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::GuardDuty => "guardduty",
            RecordKind::CloudTrail => "cloudtrail",
            RecordKind::Ocsf => "ocsf",
        }
    }

    pub fn parse(s: &str) -> Option<RecordKind> {
        RecordKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Recognizes a record by its content, whatever the object's name says.
    pub fn detect(v: &Value) -> Option<RecordKind> {
        let o = v.as_object()?;
        if o.contains_key("class_uid") {
            Some(RecordKind::Ocsf)
        } else if o.contains_key("eventName") && o.contains_key("eventSource")
            || o.get("eventType").and_then(Value::as_str) == Some("AwsCloudTrailInsight")
        {
            Some(RecordKind::CloudTrail)
        } else if o.contains_key("schemaVersion")
            && o.contains_key("type")
            && (o.contains_key("service") || o.contains_key("resource"))
        {
            Some(RecordKind::GuardDuty)
        } else {
            None
        }
    }
}

/// Where a record came from: the object (as shown to people) and its line or element number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub object: Arc<str>,
    /// 1-based line (JSON Lines), element (an array or envelope) or row (Parquet).
    pub position: u64,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub kind: RecordKind,
    pub time: Option<DateTime<Utc>>,
    // The short texts below are shared by the records of an object that say the same (see
    // `load::ObjectResult::pack_texts`): an object's events mostly come from a few principals.
    pub account: Option<Arc<str>>,
    pub region: Option<Arc<str>>,
    /// GuardDuty finding type, CloudTrail event name, OCSF class and activity.
    pub event: Arc<str>,
    /// On GuardDuty's 0–10 scale (OCSF severity ids are mapped onto it).
    pub severity: Option<f64>,
    pub principal: Option<Arc<str>>,
    pub ip: Option<Arc<str>>,
    pub summary: String,
    /// The error the call ended in: CloudTrail's `errorCode` (its `errorMessage` when there is no
    /// code, as for a failed console sign-in), OCSF's `api.response.error`.
    pub error: Option<Box<str>>,
    /// What the call acted on, short: an S3 `bucket/key`, an instance id, `user/NAME`,
    /// `role/NAME`, a function, a key, ... (see `cloudtrail_resource`).
    pub resource: Option<Box<str>>,
    pub entities: Vec<Entity>,
    pub origin: Origin,
    /// The record's JSON, compact, keys in their order: about a tenth of the memory of the
    /// parsed tree, which is built again (`value()`) only for what is looked at; packed with
    /// its object's once read (see `raw`).
    pub raw: crate::raw::Raw,
    /// The other objects the same record was delivered in (see `dedup`).
    pub also: Vec<Origin>,
    /// The detection rules it set off, highest level first (filled by the loader when it is
    /// given rules; see `detect`).
    pub detections: Vec<Arc<crate::detect::hit::Hit>>,
}

/// The top-level fields a CloudTrail summary and its entities read (the response and request
/// bodies only for the calls `entity::calls` lists, and of other requests only the parameters
/// that name a resource; see `from_cloudtrail_text`), and `class_uid`, which makes any record
/// OCSF in [`RecordKind::detect`]: an event read in part must be told apart as the whole is.
const CLOUDTRAIL_FIELDS: [&str; 14] = [
    "class_uid",
    "eventTime",
    "eventName",
    "eventSource",
    "eventType",
    "awsRegion",
    "sourceIPAddress",
    "recipientAccountId",
    "userIdentity",
    "insightDetails",
    "errorCode",
    "errorMessage",
    "resources",
    "eventVersion",
];

/// Request parameters whose value names what a CloudTrail call acted on, in the order they are
/// preferred when no bucket, instance, user, role or group is named (see `cloudtrail_resource`).
const NAMED_PARAMETERS: [&str; 19] = [
    "roleArn",
    "policyArn",
    "functionName",
    "secretId",
    "keyId",
    "tableName",
    "logGroupName",
    "stackName",
    "topicArn",
    "queueUrl",
    "clusterName",
    "dBInstanceIdentifier",
    "volumeId",
    "snapshotId",
    "imageId",
    "groupId",
    "vpcId",
    "subnetId",
    "name",
];

/// Whether `cloudtrail_resource` reads this request parameter.
fn is_resource_parameter(k: &str) -> bool {
    matches!(
        k,
        "bucketName"
            | "key"
            | "instanceId"
            | "instancesSet"
            | "userName"
            | "roleName"
            | "groupName"
    ) || NAMED_PARAMETERS.contains(&k)
}

/// Longer resources and errors are cut (at a character boundary): the record's text keeps them
/// whole, and a hostile value must not be held twice.
const MAX_SHORT: usize = 512;

/// An object's fields that the summary may read, each value left as its text; every other
/// field is checked to be valid JSON without being kept ([`Valid`]).
/// Keys are borrowed: one with an escape fails, and the caller parses the record whole.
struct Fields<'a>(Vec<(&'a str, &'a serde_json::value::RawValue)>);

/// Whether a top-level field of an event may be read by its summary or entities.
fn may_read(key: &str) -> bool {
    CLOUDTRAIL_FIELDS.contains(&key) || key == "responseElements" || key == "requestParameters"
}

/// Reads an object's fields as [`Fields`], keeping those `keep` names and checking the rest with
/// [`Valid`] at `depth` (the containers around the object's values).
struct Pick {
    keep: fn(&str) -> bool,
    depth: usize,
}

impl Pick {
    fn from<'de>(self, text: &'de str) -> serde_json::Result<Fields<'de>> {
        let mut d = serde_json::Deserializer::from_str(text);
        let fields = serde::de::DeserializeSeed::deserialize(self, &mut d)?;
        d.end()?;
        Ok(fields)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Pick {
    type Value = Fields<'de>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Fields<'de>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Pick {
    type Value = Fields<'de>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Fields<'de>, A::Error> {
        let mut out = Vec::with_capacity(16);
        while let Some(k) = m.next_key::<&'de str>()? {
            if (self.keep)(k) {
                out.push((k, m.next_value::<&'de serde_json::value::RawValue>()?));
            } else {
                m.next_value_seed(Valid(self.depth))?;
            }
        }
        Ok(Fields(out))
    }
}

/// Most containers a JSON value may nest, counting the outermost: serde_json's own limit, so
/// that what passes here also parses whole.
const MAX_NESTING: usize = 127;

/// A validating skip: reads a value as a full parse would (escapes, lone surrogates, numbers out
/// of range, nesting) and keeps nothing. Skipping a value as raw text checks none of that, and
/// an event accepted so would print as a line that `jq` rejects. The number is the containers
/// around the value.
#[derive(Clone, Copy)]
struct Valid(usize);

impl<'de> serde::de::DeserializeSeed<'de> for Valid {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Valid {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while map.next_key_seed(inner)?.is_some() {
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

impl Valid {
    fn deeper<E: serde::de::Error>(self) -> Result<Valid, E> {
        if self.0 >= MAX_NESTING {
            return Err(E::custom("recursion limit exceeded"));
        }
        Ok(Valid(self.0 + 1))
    }
}

/// Containers nested in `v`, counting itself (a scalar is 0).
fn nesting(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(nesting).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether `raw`, a value one level inside an event, is valid JSON as the whole event's parse
/// would see it.
fn valid_inside(raw: &serde_json::value::RawValue) -> bool {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_str(raw.get());
    Valid(1).deserialize(&mut de).is_ok()
}

fn s<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .filter(|v| !v.is_null())
}

/// Parses the timestamps the three formats use: RFC 3339 text, or epoch milliseconds (OCSF).
pub fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(t) => DateTime::parse_from_rfc3339(t)
            .ok()
            .map(|t| t.with_timezone(&Utc))
            .or_else(|| {
                // Some exporters drop the zone; AWS times are UTC.
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|n| Utc.from_utc_datetime(&n))
            }),
        Value::Number(n) => {
            // OCSF says milliseconds, but real data also holds seconds and microseconds; the
            // magnitude tells them apart for every date after 1973.
            let x = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
            match x.unsigned_abs() {
                a if a >= 100_000_000_000_000_000 => Some(Utc.timestamp_nanos(x)),
                a if a >= 100_000_000_000_000 => Utc.timestamp_micros(x).single(),
                a if a >= 100_000_000_000 => Utc.timestamp_millis_opt(x).single(),
                _ => Utc.timestamp_opt(x, 0).single(),
            }
        }
        _ => None,
    }
}

pub fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// GuardDuty's severity bands.
pub fn severity_label(score: f64) -> &'static str {
    match score {
        x if x >= 9.0 => "Critical",
        x if x >= 7.0 => "High",
        x if x >= 4.0 => "Medium",
        x if x > 0.0 => "Low",
        _ => "Info",
    }
}

impl Record {
    /// Normalizes one decoded value; `None` when it is none of the three kinds.
    pub fn from_value(
        value: Value,
        origin: Origin,
        partition: Option<&Partition>,
    ) -> Option<Record> {
        let kind = RecordKind::detect(&value)?;
        let mut r = Record::summarize(kind, &value, origin, partition);
        // Serializing the tree gives the same text the record would be printed with.
        r.raw = serde_json::to_string(&value).unwrap_or_default().into();
        Some(r)
    }

    fn summarize(
        kind: RecordKind,
        value: &Value,
        origin: Origin,
        partition: Option<&Partition>,
    ) -> Record {
        let mut r = Record {
            kind,
            time: None,
            account: None,
            region: None,
            event: Arc::from(""),
            severity: None,
            principal: None,
            ip: None,
            summary: String::new(),
            error: None,
            resource: None,
            entities: Vec::new(),
            origin,
            raw: Default::default(),
            also: Vec::new(),
            detections: Vec::new(),
        };
        match kind {
            RecordKind::GuardDuty => r.summarize_guardduty(value),
            RecordKind::CloudTrail => r.summarize_cloudtrail(value),
            RecordKind::Ocsf => r.summarize_ocsf(value),
        }
        if let Some(p) = partition {
            r.account = r.account.or_else(|| p.account.as_deref().map(Arc::from));
            r.region = r.region.or_else(|| p.region.as_deref().map(Arc::from));
        }
        // A summary grows as it is written (a CloudTrail one holds about 120 bytes in 200):
        // millions of records are held, so each keeps only what it says.
        r.summary.shrink_to_fit();
        r
    }

    /// A CloudTrail event from its text, building the tree of only the fields the summary and the
    /// entities read: most of an event (request and response bodies, user agent, TLS details)
    /// is only scanned. `Err` gives the text back when it is no CloudTrail event (or is not
    /// compact), for the full parse. The text is kept as it was written.
    pub fn from_cloudtrail_text(
        text: Box<str>,
        origin: Origin,
        partition: Option<&Partition>,
    ) -> Result<Record, (Box<str>, Origin)> {
        match Record::cloudtrail_of(&text, origin, partition) {
            Ok(mut r) => {
                r.raw = text.into();
                Ok(r)
            }
            Err(origin) => Err((text, origin)),
        }
    }

    fn cloudtrail_of(
        text: &str,
        origin: Origin,
        partition: Option<&Partition>,
    ) -> Result<Record, Origin> {
        // Text over several lines is printed compact, from its tree.
        if memchr::memchr2(b'\n', b'\r', text.as_bytes()).is_some() {
            return Err(origin);
        }
        // Inside the event: its values are one level down, as in the whole parse.
        let pick = Pick {
            keep: may_read,
            depth: 1,
        };
        let Ok(Fields(fields)) = pick.from(text) else {
            return Err(origin);
        };
        // The last of a repeated key wins, as in the parsed tree.
        let text_of = |key: &str| {
            fields
                .iter()
                .rev()
                .find(|(k, _)| *k == key)
                .and_then(|(_, v)| serde_json::from_str::<&str>(v.get()).ok())
                .unwrap_or("")
        };
        let (name, source) = (text_of("eventName"), text_of("eventSource"));
        // The calls whose request and response name entities (and ConsoleLogin's result).
        let bodies = entity::calls::reads_bodies(source, name);
        let response = bodies || name == "ConsoleLogin";
        let mut tree = serde_json::Map::new();
        for (k, v) in &fields {
            let wanted = CLOUDTRAIL_FIELDS.contains(k)
                || (response && *k == "responseElements")
                || (bodies && *k == "requestParameters");
            let parsed = if wanted {
                serde_json::from_str::<Value>(v.get())
            } else if *k == "requestParameters" {
                // Only the parameters that name a resource (the others are checked as skipped).
                resource_parameters(v.get())
            } else {
                // Kept as text only: checked as the whole parse would, and not built.
                if !valid_inside(v) {
                    return Err(origin);
                }
                continue;
            };
            // A parsed value is valid JSON; the whole event's parse also counts the event's
            // own level in the nesting limit.
            match parsed {
                Ok(v) if nesting(&v) < MAX_NESTING => tree.insert(k.to_string(), v),
                _ => return Err(origin),
            };
        }
        let tree = Value::Object(tree);
        if RecordKind::detect(&tree) != Some(RecordKind::CloudTrail) {
            return Err(origin);
        }
        Ok(Record::summarize(
            RecordKind::CloudTrail,
            &tree,
            origin,
            partition,
        ))
    }

    /// Bytes the record holds: its struct and what it owns (capacities; the object name is
    /// shared by every record of the object and not counted).
    pub fn footprint(&self) -> usize {
        let opt = |s: &Option<Arc<str>>| s.as_ref().map_or(0, |s| s.len());
        std::mem::size_of::<Record>()
            + self.raw.footprint()
            + self.event.len()
            + self.summary.capacity()
            + opt(&self.account)
            + opt(&self.region)
            + opt(&self.principal)
            + opt(&self.ip)
            + self.error.as_ref().map_or(0, |e| e.len())
            + self.resource.as_ref().map_or(0, |e| e.len())
            + self.entities.capacity() * std::mem::size_of::<Entity>()
            + self.detections.capacity() * std::mem::size_of::<usize>()
            + self.entities.iter().map(|e| e.value.len()).sum::<usize>()
            + self.also.capacity() * std::mem::size_of::<Origin>()
    }

    /// The record's JSON as a tree (parsed again from `raw`).
    pub fn value(&self) -> Value {
        self.raw
            .with(|t| serde_json::from_str(t).ok())
            .unwrap_or(Value::Null)
    }

    fn summarize_guardduty(&mut self, v: &Value) {
        self.entities = entity::from_guardduty(v);
        // The time the activity was seen, which is what a timeline is about.
        self.time = ["service.eventLastSeen", "updatedAt", "createdAt"]
            .iter()
            .find_map(|p| at(v, &p.split('.').collect::<Vec<_>>()).and_then(parse_time));
        self.account = s(v, &["accountId"]).map(Arc::from);
        self.region = s(v, &["region"]).map(Arc::from);
        self.event = s(v, &["type"]).unwrap_or("finding").into();
        self.severity = at(v, &["severity"]).and_then(|x| match x {
            Value::Number(n) => n.as_f64(),
            Value::String(t) => t.parse().ok(),
            _ => None,
        });
        let akd = at(v, &["resource", "accessKeyDetails"]);
        self.principal = akd
            .and_then(|a| s(a, &["userName"]).or_else(|| s(a, &["principalId"])))
            .or_else(|| {
                s(
                    v,
                    &["resource", "instanceDetails", "iamInstanceProfile", "arn"],
                )
            })
            .or_else(|| s(v, &["resource", "instanceDetails", "instanceId"]))
            .map(Arc::from);
        self.ip = first_ip(&self.entities);
        self.resource = guardduty_resource(v).map(short);
        let title = s(v, &["title"]).unwrap_or(&self.event);
        self.summary = match self.severity {
            Some(sev) => format!("[{} {sev}] {title}", severity_label(sev)),
            None => title.to_string(),
        };
    }

    fn summarize_cloudtrail(&mut self, v: &Value) {
        self.entities = entity::from_cloudtrail(v);
        self.time = at(v, &["eventTime"]).and_then(parse_time);
        self.account = s(v, &["recipientAccountId"])
            .or_else(|| s(v, &["userIdentity", "accountId"]))
            .map(Arc::from);
        self.region = s(v, &["awsRegion"]).map(Arc::from);
        if s(v, &["eventType"]) == Some("AwsCloudTrailInsight") {
            let name = s(v, &["insightDetails", "eventName"]).unwrap_or("?");
            let itype = s(v, &["insightDetails", "insightType"]).unwrap_or("Insight");
            let state = s(v, &["insightDetails", "state"]).unwrap_or("");
            self.event = format!("Insight:{name}").into();
            self.summary = format!("CloudTrail Insight {itype} {state} on {name}");
            return;
        }
        self.event = s(v, &["eventName"]).unwrap_or("?").into();
        self.error = s(v, &["errorCode"])
            .or_else(|| s(v, &["errorMessage"]))
            .map(short);
        self.resource = cloudtrail_resource(v).as_deref().map(short);
        let uid = at(v, &["userIdentity"]);
        self.principal = uid
            .and_then(|u| {
                s(u, &["arn"])
                    .or_else(|| s(u, &["sessionContext", "sessionIssuer", "arn"]))
                    .or_else(|| s(u, &["invokedBy"]))
                    .or_else(|| s(u, &["principalId"]))
                    .or_else(|| s(u, &["type"]))
            })
            .map(Arc::from);
        self.ip = s(v, &["sourceIPAddress"]).map(Arc::from);
        let service = s(v, &["eventSource"])
            .map(|e| e.trim_end_matches(".amazonaws.com"))
            .unwrap_or("?");
        let mut summary = format!("{service}:{}", self.event);
        if let Some(p) = &self.principal {
            summary.push_str(&format!(" by {p}"));
        }
        if let Some(ip) = &self.ip {
            summary.push_str(&format!(" from {ip}"));
        }
        if let Some(code) = s(v, &["errorCode"]) {
            summary.push_str(&format!(" → {code}"));
        } else if let Some(res) = s(v, &["responseElements", "ConsoleLogin"]) {
            summary.push_str(&format!(" → {res}"));
        }
        self.summary = summary;
    }

    fn summarize_ocsf(&mut self, v: &Value) {
        self.entities = entity::from_ocsf(v);
        self.time = at(v, &["time"])
            .and_then(parse_time)
            .or_else(|| at(v, &["time_dt"]).and_then(parse_time));
        self.account = s(v, &["cloud", "account", "uid"])
            .or_else(|| s(v, &["actor", "user", "account", "uid"]))
            .map(Arc::from);
        self.region = s(v, &["cloud", "region"]).map(Arc::from);
        let class = s(v, &["class_name"])
            .map(str::to_string)
            .or_else(|| at(v, &["class_uid"]).map(|c| format!("class {c}")))
            .unwrap_or_default();
        let activity = s(v, &["activity_name"]).unwrap_or("");
        self.event = s(v, &["api", "operation"])
            .map(Arc::from)
            .unwrap_or_else(|| format!("{class} {activity}").trim().into());
        self.severity = at(v, &["severity_id"])
            .and_then(Value::as_i64)
            .and_then(|id| match id {
                1 => Some(1.0),
                2 => Some(2.0),
                3 => Some(5.0),
                4 => Some(7.0),
                5 => Some(9.0),
                6 => Some(10.0),
                _ => None,
            });
        self.principal = s(v, &["actor", "user", "name"])
            .or_else(|| s(v, &["actor", "user", "uid"]))
            .or_else(|| s(v, &["actor", "session", "issuer"]))
            .map(Arc::from);
        self.ip = s(v, &["src_endpoint", "ip"])
            .map(Arc::from)
            .or_else(|| first_ip(&self.entities));
        self.error = s(v, &["api", "response", "error"]).map(short);
        self.resource = at(v, &["resources"])
            .and_then(|r| r.as_array())
            .and_then(|r| {
                r.iter()
                    .find_map(|r| s(r, &["name"]).or_else(|| s(r, &["uid"])))
            })
            .map(short);
        let title = s(v, &["finding_info", "title"])
            .or_else(|| s(v, &["finding", "title"]))
            .or_else(|| s(v, &["message"]));
        let mut summary = format!("{class}: {activity}").trim().to_string();
        if let Some(op) = s(v, &["api", "operation"]) {
            summary.push_str(&format!(" {op}"));
        }
        if let Some(t) = title {
            summary.push_str(&format!(" — {t}"));
        }
        if let (Some(src), Some(dst)) =
            (s(v, &["src_endpoint", "ip"]), s(v, &["dst_endpoint", "ip"]))
        {
            summary.push_str(&format!(" {src} → {dst}"));
        }
        self.summary = summary;
    }

    /// The S3 bucket an S3 call or finding is about: the first part of its resource.
    pub fn bucket(&self) -> Option<&str> {
        let s3 = match self.kind {
            RecordKind::CloudTrail => self.summary.starts_with("s3:"),
            RecordKind::GuardDuty => self.event.contains(":S3/"),
            RecordKind::Ocsf => false,
        };
        let resource = self.resource.as_deref().filter(|_| s3)?;
        resource.split('/').next().filter(|b| !b.is_empty())
    }

    pub fn time_string(&self) -> Option<String> {
        self.time.as_ref().map(format_time)
    }
}

/// A value cut to `MAX_SHORT` bytes at a character boundary, boxed.
fn short(s: &str) -> Box<str> {
    let mut end = s.len().min(MAX_SHORT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Box::from(&s[..end])
}

/// A request's parameters (JSON text), keeping only those that name a resource: the fast path's
/// share of `requestParameters`. Keys are borrowed; text with an escaped key, or no object, is
/// parsed whole instead (what is kept is all that is read, so both give the same resource).
fn resource_parameters(text: &str) -> serde_json::Result<Value> {
    // The parameters' values sit two levels down in the event.
    let pick = Pick {
        keep: is_resource_parameter,
        depth: 2,
    };
    let Ok(Fields(fields)) = pick.from(text) else {
        return serde_json::from_str(text);
    };
    let mut kept = serde_json::Map::new();
    for (k, v) in fields {
        if is_resource_parameter(k) {
            // A repeated key: the last wins, as in the parsed tree.
            kept.insert(k.to_string(), serde_json::from_str(v.get())?);
        }
    }
    Ok(Value::Object(kept))
}

/// What a CloudTrail call acted on, from its request parameters (only those
/// `is_resource_parameter` names), else the first of its `resources` (the ARN's resource part):
/// `bucket/key`, `i-…` (`+N` more), `user/NAME`, `role/NAME`, `group/NAME`, or a value.
fn cloudtrail_resource(v: &Value) -> Option<String> {
    let req = at(v, &["requestParameters"]).filter(|r| r.is_object());
    let param = |k: &str| req.and_then(|r| s(r, &[k]));
    if let Some(bucket) = param("bucketName") {
        return Some(match param("key") {
            Some(key) => format!("{bucket}/{key}"),
            None => bucket.to_string(),
        });
    }
    if let Some(id) = param("instanceId") {
        return Some(id.to_string());
    }
    let items = req
        .and_then(|r| at(r, &["instancesSet", "items"]))
        .and_then(Value::as_array);
    let ids: Vec<&str> = items
        .into_iter()
        .flatten()
        .filter_map(|i| s(i, &["instanceId"]))
        .collect();
    if let Some(first) = ids.first() {
        return Some(match ids.len() {
            1 => first.to_string(),
            n => format!("{first} +{}", n - 1),
        });
    }
    for (k, prefix) in [
        ("userName", "user/"),
        ("roleName", "role/"),
        ("groupName", "group/"),
    ] {
        if let Some(name) = param(k) {
            return Some(format!("{prefix}{name}"));
        }
    }
    let named = NAMED_PARAMETERS.iter().find_map(|k| param(k));
    if let Some(n) = named {
        return Some(n.to_string());
    }
    at(v, &["resources"])
        .and_then(Value::as_array)
        .and_then(|r| r.iter().find_map(|r| s(r, &["ARN"])))
        .map(|arn| entity::arn_resource(arn).to_string())
}

/// The resource a GuardDuty finding is about, by its `resourceType`.
fn guardduty_resource(v: &Value) -> Option<&str> {
    let r = at(v, &["resource"])?;
    let first = |list: &str, field: &str| {
        at(r, &[list])
            .and_then(Value::as_array)
            .and_then(|l| l.iter().find_map(|x| s(x, &[field])))
    };
    match s(r, &["resourceType"])? {
        "Instance" => s(r, &["instanceDetails", "instanceId"]),
        "S3Bucket" | "S3Object" => first("s3BucketDetails", "name"),
        "AccessKey" => s(r, &["accessKeyDetails", "accessKeyId"]),
        "EKSCluster" => s(r, &["eksClusterDetails", "name"]),
        "ECSCluster" | "Container" => s(r, &["ecsClusterDetails", "name"]),
        "RDSDBInstance" => s(r, &["rdsDbInstanceDetails", "dbInstanceIdentifier"]),
        "Lambda" => s(r, &["lambdaDetails", "functionName"]),
        _ => None,
    }
}

fn first_ip(entities: &[Entity]) -> Option<Arc<str>> {
    entities
        .iter()
        .find(|e| e.kind == entity::EntityKind::Ip)
        .map(|e| e.value.clone())
}

/// Timeline order: by time (undated records last), then by object and position for stability.
pub fn timeline_order(a: &Record, b: &Record) -> std::cmp::Ordering {
    (
        a.time.is_none(),
        a.time,
        &a.origin.object,
        a.origin.position,
    )
        .cmp(&(
            b.time.is_none(),
            b.time,
            &b.origin.object,
            b.origin.position,
        ))
}

/// Sorts records in [`timeline_order`].
pub fn sort_timeline(records: &mut [Record]) {
    // The order is found on small keys and the records then moved once each: sorting the records
    // themselves moved each of them (hundreds of bytes) about twenty times.
    let keys: Vec<(bool, i64, u32, u32)> = records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (secs, nanos) = r
                .time
                .map_or((0, 0), |t| (t.timestamp(), t.timestamp_subsec_nanos()));
            (r.time.is_none(), secs, nanos, i as u32)
        })
        .collect();
    let mut order = keys;
    // Stable, as the whole key is: records equal in all of it keep the order they came in.
    order.sort_by(|a, b| {
        (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)).then_with(|| {
            let (x, y) = (&records[a.3 as usize].origin, &records[b.3 as usize].origin);
            (&x.object, x.position).cmp(&(&y.object, y.position))
        })
    });
    // Where each record goes, then each sent there by swaps: every swap places one for good.
    let mut dest = vec![0u32; records.len()];
    for (new, k) in order.iter().enumerate() {
        dest[k.3 as usize] = new as u32;
    }
    for i in 0..records.len() {
        while dest[i] as usize != i {
            let j = dest[i] as usize;
            records.swap(i, j);
            dest.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin(n: u64) -> Origin {
        Origin {
            object: Arc::from("mem://test"),
            position: n,
        }
    }

    #[test]
    fn the_timeline_orders_by_time_then_object_then_position_and_keeps_ties_in_order() {
        // Times repeat, some are missing, objects and positions tie: every case of the key.
        let mut records: Vec<Record> = (0..300u64)
            .map(|i| {
                let mut v = json!({"eventVersion":"1.08","eventSource":"s3.amazonaws.com",
                    "eventName":"GetObject","n":i});
                if i % 7 != 0 {
                    let t = format!("2024-05-02T0{}:00:{:02}.{}Z", i % 3, (i * 37) % 60, i % 2);
                    v["eventTime"] = json!(t);
                }
                let o = Origin {
                    object: Arc::from(["b", "a", "c"][(i % 3) as usize]),
                    position: (i * 13) % 5,
                };
                Record::from_value(v, o, None).unwrap()
            })
            .collect();
        let mut expected = records.clone();
        expected.sort_by(timeline_order);
        sort_timeline(&mut records);
        let texts = |rs: &[Record]| {
            rs.iter()
                .map(|r| r.raw.text().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&records), texts(&expected));
    }

    #[test]
    fn detects_each_kind_by_content() {
        assert_eq!(
            RecordKind::detect(
                &json!({"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"})
            ),
            Some(RecordKind::CloudTrail)
        );
        assert_eq!(
            RecordKind::detect(
                &json!({"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","service":{}})
            ),
            Some(RecordKind::GuardDuty)
        );
        assert_eq!(
            RecordKind::detect(&json!({"class_uid":6003})),
            Some(RecordKind::Ocsf)
        );
        assert_eq!(RecordKind::detect(&json!({"findings":[]})), None);
        assert_eq!(RecordKind::detect(&json!([1, 2])), None);
    }

    /// The fast CloudTrail reader and the whole tree say the same of every real event: the
    /// calls whose bodies name entities are read in both.
    #[test]
    fn cloudtrail_read_in_part_agrees_with_the_whole_tree() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
        let mut events: Vec<Value> = Vec::new();
        for entry in std::fs::read_dir(format!("{dir}/stratus")).expect("stratus fixtures") {
            let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
            let list: Vec<Value> = serde_json::from_str(&text).expect("an array of events");
            events.extend(list);
        }
        let lines =
            std::fs::read_to_string(format!("{dir}/corpus/elastic-cloudtrail-events.jsonl"))
                .expect("corpus");
        events.extend(
            lines
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).expect("json")),
        );
        assert!(events.len() > 70, "{} events", events.len());
        let mut with_bodies = 0;
        for (i, v) in events.into_iter().enumerate() {
            let text = serde_json::to_string(&v).expect("compact").into_boxed_str();
            let whole = Record::from_value(v, origin(i as u64), None).expect("a CloudTrail event");
            let part = Record::from_cloudtrail_text(text, origin(i as u64), None)
                .unwrap_or_else(|_| panic!("event {i} is read in part"));
            assert_eq!(
                (&part.summary, &part.entities, &part.principal, &part.ip),
                (&whole.summary, &whole.entities, &whole.principal, &whole.ip),
                "event {i}"
            );
            with_bodies += usize::from(part.entities.iter().any(|e| !e.role.is_actor()));
        }
        assert!(
            with_bodies > 40,
            "{with_bodies} events name something in their bodies"
        );
    }

    /// Found by the envelope fuzzer: an element that starts as CloudTrail but carries
    /// `class_uid` is OCSF to the whole parse, so the fast path must not call it CloudTrail.
    #[test]
    fn an_event_with_class_uid_is_left_to_the_whole_parse() {
        let text = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","class_uid":"\ud600"}"#;
        assert!(Record::from_cloudtrail_text(Box::from(text), origin(1), None).is_err());
        let whole =
            Record::from_value(serde_json::from_str(text).unwrap(), origin(1), None).unwrap();
        assert_eq!(whole.kind, RecordKind::Ocsf);
    }

    /// An event read from its text (the load's fast path) and from its whole tree.
    fn both_ways(text: &str) -> (Record, Record) {
        let fast = Record::from_cloudtrail_text(Box::from(text), origin(1), None)
            .unwrap_or_else(|_| panic!("the fast path takes {text}"));
        let whole =
            Record::from_value(serde_json::from_str(text).unwrap(), origin(1), None).unwrap();
        (fast, whole)
    }

    #[test]
    fn errors_and_resources_of_cloudtrail_events() {
        let ev = |name: &str, extra: &str| {
            format!(
                r#"{{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"{name}","eventTime":"2024-05-02T03:00:00Z"{extra}}}"#
            )
        };
        let cases = [
            (
                ev(
                    "GetObject",
                    r#","errorCode":"AccessDenied","errorMessage":"Access Denied","requestParameters":{"Host":"h","bucketName":"prod-data","key":"a/b.csv"}"#,
                ),
                Some("AccessDenied"),
                Some("prod-data/a/b.csv"),
            ),
            (
                ev(
                    "ListObjects",
                    r#","requestParameters":{"bucketName":"prod-data","prefix":"x"}"#,
                ),
                None,
                Some("prod-data"),
            ),
            (
                ev(
                    "ConsoleLogin",
                    r#","errorMessage":"Failed authentication","responseElements":{"ConsoleLogin":"Failure"}"#,
                ),
                Some("Failed authentication"),
                None,
            ),
            (
                ev(
                    "StopInstances",
                    r#","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-1"},{"instanceId":"i-2"}]}}"#,
                ),
                None,
                Some("i-1 +1"),
            ),
            (
                ev(
                    "PutUserPolicy",
                    r#","requestParameters":{"policyName":"p","userName":"svc-backup"}"#,
                ),
                None,
                Some("user/svc-backup"),
            ),
            (
                ev(
                    "AttachRolePolicy",
                    r#","requestParameters":{"policyArn":"arn:aws:iam::aws:policy/Admin","roleName":"r"}"#,
                ),
                None,
                Some("role/r"),
            ),
            (
                ev(
                    "AssumeRole",
                    r#","requestParameters":{"roleArn":"arn:aws:iam::1:role/x","roleSessionName":"s"}"#,
                ),
                None,
                Some("arn:aws:iam::1:role/x"),
            ),
            (
                ev(
                    "Decrypt",
                    r#","requestParameters":{"encryptionAlgorithm":"SYMMETRIC_DEFAULT"},"resources":[{"ARN":"arn:aws:kms:us-east-1:1:key/k"}]"#,
                ),
                None,
                Some("key/k"),
            ),
            // The last of a repeated parameter, an escaped key, parameters that are no object.
            (
                ev(
                    "GetObject",
                    r#","requestParameters":{"bucketName":"a","bucketName":"b"}"#,
                ),
                None,
                Some("b"),
            ),
            (
                ev(
                    "GetObject",
                    r#","requestParameters":{"bucket\u004eame":"esc","k\"ey":1}"#,
                ),
                None,
                Some("esc"),
            ),
            (ev("GetObject", r#","requestParameters":null"#), None, None),
            (
                ev("GetObject", r#","requestParameters":"text""#),
                None,
                None,
            ),
            (
                ev("GetObject", r#","requestParameters":{"bucketName":7}"#),
                None,
                None,
            ),
        ];
        for (text, error, resource) in cases {
            let (fast, whole) = both_ways(&text);
            assert_eq!(fast.error.as_deref(), error, "{text}");
            assert_eq!(fast.resource.as_deref(), resource, "{text}");
            assert_eq!(
                (whole.error, whole.resource),
                (fast.error, fast.resource),
                "{text}"
            );
        }
        let (r, _) = both_ways(&ev(
            "GetObject",
            r#","requestParameters":{"bucketName":"prod-data","key":"k"}"#,
        ));
        assert_eq!(r.bucket(), Some("prod-data"));
        let (r, _) = both_ways(
            &ev("PutUserPolicy", r#","requestParameters":{"userName":"u"}"#).replace("s3.", "iam."),
        );
        assert_eq!(r.bucket(), None, "an IAM call has no bucket");
        let long = "k".repeat(2000);
        let (r, _) = both_ways(&ev(
            "GetObject",
            &format!(r#","requestParameters":{{"bucketName":"b","key":"{long}"}}"#),
        ));
        assert_eq!(r.resource.unwrap().len(), MAX_SHORT);
    }

    #[test]
    fn resources_of_findings_and_ocsf_records() {
        let gd = Record::from_value(
            json!({"schemaVersion":"2.0","type":"Policy:S3/BucketBlockPublicAccessDisabled","service":{},
                   "resource":{"resourceType":"S3Bucket","s3BucketDetails":[{"name":"dev-static-site"}]}}),
            origin(1),
            None,
        )
        .unwrap();
        assert_eq!(gd.resource.as_deref(), Some("dev-static-site"));
        assert_eq!(gd.bucket(), Some("dev-static-site"));
        let ocsf = Record::from_value(
            json!({"class_uid":6003,"class_name":"API Activity","api":{"operation":"GetObject",
                   "response":{"error":"AccessDenied"}},"resources":[{"uid":"arn:aws:s3:::b/k"}]}),
            origin(1),
            None,
        )
        .unwrap();
        assert_eq!(ocsf.error.as_deref(), Some("AccessDenied"));
        assert_eq!(ocsf.resource.as_deref(), Some("arn:aws:s3:::b/k"));
    }

    /// The fast path parses the fields it reads once and checks their nesting on the tree; at
    /// the limit it must take exactly the events the whole parse takes, wherever the deep value
    /// sits: a field it builds, a field it only scans, a resource parameter or another parameter.
    #[test]
    fn the_fast_path_takes_what_the_whole_parse_takes_at_the_nesting_limit() {
        let places = [
            ("userIdentity", "GetObject"),
            ("additionalEventData", "GetObject"),
            ("requestParameters.bucketName", "GetObject"),
            ("requestParameters.other", "GetObject"),
            ("requestParameters.roleName", "CreateRole"),
        ];
        for (place, name) in places {
            for depth in 120..=130 {
                let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
                let value = match place.split_once('.') {
                    Some((_, inner)) => format!(r#"{{"{inner}":{deep}}}"#),
                    None => deep,
                };
                let key = place.split('.').next().unwrap();
                let source = if name == "CreateRole" { "iam" } else { "s3" };
                let text = format!(
                    r#"{{"eventVersion":"1.08","eventSource":"{source}.amazonaws.com","eventName":"{name}","eventTime":"2024-05-02T03:00:00Z","{key}":{value}}}"#
                );
                let whole = serde_json::from_str::<Value>(&text).is_ok();
                let fast = Record::from_cloudtrail_text(Box::from(text.as_str()), origin(1), None);
                assert_eq!(fast.is_ok(), whole, "{place} nested {depth} deep");
            }
        }
    }

    /// A loaded record holds its summary's text and no room to grow it.
    #[test]
    fn a_summary_keeps_no_spare_capacity() {
        let text = r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventTime":"2024-05-02T03:00:00Z","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.66","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accessKeyId":"AKIAEXAMPLE"},"requestParameters":{"bucketName":"prod-data","key":"a/b.csv"}}"#;
        let (fast, whole) = both_ways(text);
        for r in [fast, whole] {
            assert!(r.summary.len() > 40, "{}", r.summary);
            assert_eq!(r.summary.capacity(), r.summary.len(), "{}", r.summary);
        }
    }

    #[test]
    fn ocsf_epoch_millis_become_utc() {
        let t = parse_time(&json!(1714618800000_i64)).unwrap();
        assert_eq!(format_time(&t), "2024-05-02T03:00:00Z");
        let t = parse_time(&json!(1714618800_i64)).unwrap();
        assert_eq!(format_time(&t), "2024-05-02T03:00:00Z", "seconds");
        let t = parse_time(&json!(1722510563760083_i64)).unwrap();
        assert_eq!(
            format_time(&t),
            "2024-08-01T11:09:23.760083Z",
            "microseconds (a real OCSF sample)"
        );
        let t = parse_time(&json!(1714618800000000000_i64)).unwrap();
        assert_eq!(format_time(&t), "2024-05-02T03:00:00Z", "nanoseconds");
        let t = parse_time(&json!("2024-05-02T03:00:00.250Z")).unwrap();
        assert_eq!(format_time(&t), "2024-05-02T03:00:00.250Z");
    }
}
