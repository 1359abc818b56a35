//! The one query language of trawl: the screen's filter (`f`) and find (`/`), and
//! `trawl records --where` / `trawl pivot --where`.
//!
//! ```text
//! event:CreateUser ip:203.0.113.66              terms separated by spaces: all must match
//! error:AccessDenied OR error:Unauthorized      OR between terms (or groups): either
//! (ip:203.0.113.66 OR key:ASIA…) -kind:ocsf      parentheses group; a leading - negates
//! bucket:=prod-customer-data resource:*          = for the whole value; * for any value
//! sev:>=7   sev:high   time:>=2024-05-02T03      comparisons: >= > <= <
//! requestParameters.userName:bob                a JSON path; arrays match when any element does
//! svc-backup   "Access Denied"   /^Put.*Policy$/  words, phrases, regexes over the whole record
//! ```
//!
//! - Terms are separated by spaces and must all match. `OR` (upper case) between two terms or
//!   groups matches either, and binds tighter than the space: `a b OR c` is `a (b OR c)`.
//!   `( … )` groups; `-` before a term or a group negates it; `AND` may be written and means
//!   nothing more than the space.
//! - `field:value` matches one field of the record (see [`FIELDS`]). Values match case-insensitively
//!   as a part of the field (`ip:203.0.113` matches `203.0.113.66`); `field:=value` matches the whole
//!   value; `field:*` matches any record that has the field; `field:/regex/` a regex. The entity
//!   fields (`ip`, `principal`, `account`, `key`, `user`, `role`, ...) match the summary column and
//!   every entity of that kind the record names, as the pivot chooser lists them.
//! - `sev:` compares the 0–10 severity (`sev:>=7`, `sev:<4`, `sev:=8`) or names a band (`sev:high`;
//!   `sev:>=high` is `sev:>=7`). `time:` takes a day, an hour, a minute or a second
//!   (`time:2024-05-02`, `time:2024-05-02T03`) and compares (`time:>=2024-05-02T03:15`, where `>`
//!   means after the whole period and `<` before it).
//! - A field name with a dot is a path into the record's JSON (`requestParameters.userName:bob`,
//!   `.eventSource:s3` for a top-level key); a number in a path indexes an array, other segments
//!   look through arrays. Path values also compare as numbers (`additionalEventData.bytesTransferredOut:>1000000`).
//! - A bare word, or a `"quoted phrase"`, matches anywhere in the record: its summary columns and
//!   its JSON text, ignoring case. `/regex/` does the same with a regex (ignoring case unless it
//!   says `(?-i)`). A word that holds a colon but is no field (an IP, an ARN, `AROA…:session`) is a
//!   word; quote any other (`"ConsoleLogin:Failure"`).
//! - An unknown field, a bad regex or an unclosed quote is a [`QueryError`] that names it and its
//!   byte offset in the query.
//!
//! Matching reads the record's summary and entities first; only paths, words, regexes, `ua:` and
//! an `error:` that the error code does not answer read its JSON text, and no term builds the
//! record's whole tree.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex_lite::{Regex, RegexBuilder};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::entity::{self, EntityKind};
use crate::record::{severity_label, Record, RecordKind};

/// A field of a record that a query tests and a count groups by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Ip,
    Key,
    Principal,
    PrincipalId,
    Account,
    User,
    Role,
    Session,
    /// Any entity, whatever its kind.
    Entity,
    Event,
    Kind,
    Region,
    Severity,
    Error,
    Bucket,
    Resource,
    Ua,
    Time,
    /// The title or id of a detection rule the record set off.
    Rule,
    /// The record's detection level: its rules' highest, or GuardDuty's severity band.
    Level,
    /// An ATT&CK technique id of the record's detections (`T1098` also finds `T1098.001`).
    Attack,
    /// A dotted path into the record's JSON (`requestParameters.userName`).
    Path(Vec<String>),
}

/// One documented field: its name, the other names it answers to, and what it matches.
#[derive(Debug, Clone, Copy)]
pub struct FieldDoc {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub about: &'static str,
}

/// Every field a query or a count may name (paths apart), in the order help lists them.
pub const FIELDS: [FieldDoc; 21] = [
    FieldDoc {
        name: "ip",
        aliases: &["addr"],
        about: "the source IP, and every IP the record names",
    },
    FieldDoc {
        name: "principal",
        aliases: &["who", "p"],
        about: "the caller (ARN, user or id), and every principal ARN the record names",
    },
    FieldDoc {
        name: "account",
        aliases: &["acct"],
        about: "the account, and every account id the record names",
    },
    FieldDoc {
        name: "key",
        aliases: &[],
        about: "an access key id (AKIA…, ASIA…)",
    },
    FieldDoc {
        name: "principal_id",
        aliases: &["principal-id", "principalid"],
        about: "a unique id (AIDA…, AROA…[:session])",
    },
    FieldDoc {
        name: "user",
        aliases: &[],
        about: "an IAM user (or issuer) name",
    },
    FieldDoc {
        name: "role",
        aliases: &[],
        about: "a role ARN, also of the role's sessions",
    },
    FieldDoc {
        name: "session",
        aliases: &[],
        about: "a role session name",
    },
    FieldDoc {
        name: "entity",
        aliases: &["e"],
        about: "any entity",
    },
    FieldDoc {
        name: "event",
        aliases: &["ev", "name", "type"],
        about: "CloudTrail event name, GuardDuty finding type, OCSF operation or class",
    },
    FieldDoc {
        name: "kind",
        aliases: &["source"],
        about: "guardduty, cloudtrail or ocsf",
    },
    FieldDoc {
        name: "region",
        aliases: &[],
        about: "the AWS region",
    },
    FieldDoc {
        name: "sev",
        aliases: &["severity"],
        about: "severity 0–10: sev:>=7, sev:high",
    },
    FieldDoc {
        name: "error",
        aliases: &["err"],
        about: "CloudTrail errorCode or errorMessage, OCSF api.response.error",
    },
    FieldDoc {
        name: "bucket",
        aliases: &[],
        about: "the S3 bucket an S3 call or finding is about",
    },
    FieldDoc {
        name: "resource",
        aliases: &["res"],
        about: "what the call acted on: bucket/key, instance, user/…, role/…",
    },
    FieldDoc {
        name: "ua",
        aliases: &["useragent", "user_agent"],
        about: "the user agent",
    },
    FieldDoc {
        name: "time",
        aliases: &[],
        about: "a day, hour, minute or second: time:2024-05-02T03, time:>=2024-05-02",
    },
    FieldDoc {
        name: "rule",
        aliases: &["detection"],
        about: "a detection rule's title or id the record set off",
    },
    FieldDoc {
        name: "level",
        aliases: &["lvl"],
        about: "detection level: level:>=high (rules, and GuardDuty's severity)",
    },
    FieldDoc {
        name: "attack",
        aliases: &["technique"],
        about: "an ATT&CK technique of its detections: attack:T1098",
    },
];

impl Field {
    /// The field a name (or alias) stands for, or a path when the name holds a dot.
    pub fn named(name: &str) -> Option<Field> {
        if name.contains('.') {
            let segments: Vec<String> = name
                .split('.')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            return (!segments.is_empty()).then_some(Field::Path(segments));
        }
        let lower = name.to_ascii_lowercase();
        let doc = FIELDS
            .iter()
            .find(|d| d.name == lower || d.aliases.contains(&lower.as_str()))?;
        Some(match doc.name {
            "ip" => Field::Ip,
            "principal" => Field::Principal,
            "account" => Field::Account,
            "key" => Field::Key,
            "principal_id" => Field::PrincipalId,
            "user" => Field::User,
            "role" => Field::Role,
            "session" => Field::Session,
            "entity" => Field::Entity,
            "event" => Field::Event,
            "kind" => Field::Kind,
            "region" => Field::Region,
            "sev" => Field::Severity,
            "error" => Field::Error,
            "bucket" => Field::Bucket,
            "resource" => Field::Resource,
            "ua" => Field::Ua,
            "rule" => Field::Rule,
            "level" => Field::Level,
            "attack" => Field::Attack,
            _ => Field::Time,
        })
    }

    /// [`Field::named`], or an error (over the whole name) naming the field and listing the
    /// known ones.
    pub fn parse(name: &str) -> Result<Field, QueryError> {
        Field::named(name).ok_or_else(|| {
            error(
                0,
                name.len(),
                format!(
                    "unknown field '{name}': known fields are {}; a JSON path has a dot (requestParameters.userName)",
                    field_names()
                ),
            )
        })
    }

    /// The name a query writes it with.
    pub fn name(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Field::Ip => "ip",
            Field::Key => "key",
            Field::Principal => "principal",
            Field::PrincipalId => "principal_id",
            Field::Account => "account",
            Field::User => "user",
            Field::Role => "role",
            Field::Session => "session",
            Field::Entity => "entity",
            Field::Event => "event",
            Field::Kind => "kind",
            Field::Region => "region",
            Field::Severity => "sev",
            Field::Error => "error",
            Field::Bucket => "bucket",
            Field::Resource => "resource",
            Field::Ua => "ua",
            Field::Time => "time",
            Field::Rule => "rule",
            Field::Level => "level",
            Field::Attack => "attack",
            Field::Path(p) => {
                let path = p.join(".");
                return Cow::Owned(if p.len() == 1 {
                    format!(".{path}")
                } else {
                    path
                });
            }
        })
    }

    /// The query term that matches exactly the records a count gave `value` for:
    /// `ip:=203.0.113.66`, `ua:="aws-cli/2 …"`, `time:2024-05-02T03`.
    pub fn term(&self, value: &str) -> String {
        match self {
            // A count of times groups by hour, which `time:` takes as a period.
            Field::Time => format!("time:{}", quote(value)),
            _ => format!("{}:={}", self.name(), quote(value)),
        }
    }

    /// The values of this field in a record, each once: what a count groups by and what a term
    /// tests. Severity is its number, time its hour (`2024-05-02T03`).
    pub fn values<'r>(&self, r: &'r Record) -> Vec<Cow<'r, str>> {
        let mut out: Vec<Cow<'r, str>> = Vec::new();
        let mut add = |v: Cow<'r, str>| {
            if !v.is_empty() && !out.contains(&v) {
                out.push(v);
            }
        };
        let entities = |kind: EntityKind| r.entities.iter().filter(move |e| e.kind == kind);
        let column = |c: &'r Option<Arc<str>>| c.as_deref().map(Cow::Borrowed);
        match self {
            Field::Ip | Field::Principal | Field::Account => {
                let (col, kind) = match self {
                    Field::Ip => (&r.ip, EntityKind::Ip),
                    Field::Principal => (&r.principal, EntityKind::Principal),
                    _ => (&r.account, EntityKind::Account),
                };
                column(col).into_iter().for_each(&mut add);
                entities(kind).for_each(|e| add(Cow::Borrowed(&e.value)));
            }
            Field::Key | Field::PrincipalId | Field::User | Field::Session => {
                let kind = match self {
                    Field::Key => EntityKind::Key,
                    Field::PrincipalId => EntityKind::PrincipalId,
                    Field::User => EntityKind::User,
                    _ => EntityKind::Session,
                };
                entities(kind).for_each(|e| add(Cow::Borrowed(&e.value)));
            }
            // The role entity of a role and of each of its sessions.
            Field::Role => entities(EntityKind::Principal)
                .filter(|e| entity::is_role_arn(&e.value))
                .for_each(|e| add(Cow::Borrowed(&e.value))),
            Field::Entity => r.entities.iter().for_each(|e| add(Cow::Borrowed(&e.value))),
            Field::Event => add(Cow::Borrowed(&r.event)),
            Field::Kind => add(Cow::Borrowed(r.kind.as_str())),
            Field::Region => column(&r.region).into_iter().for_each(add),
            Field::Severity => {
                if let Some(s) = r.severity {
                    add(Cow::Owned(s.to_string()));
                }
            }
            Field::Error => {
                if let Some(e) = &r.error {
                    add(Cow::Borrowed(e));
                }
            }
            Field::Bucket => {
                if let Some(b) = r.bucket() {
                    add(Cow::Borrowed(b));
                }
            }
            Field::Resource => {
                if let Some(x) = &r.resource {
                    add(Cow::Borrowed(x));
                }
            }
            Field::Time => {
                if let Some(t) = r.time {
                    add(Cow::Owned(t.format("%Y-%m-%dT%H").to_string()));
                }
            }
            Field::Rule => r
                .detections
                .iter()
                .for_each(|h| add(Cow::Borrowed(&h.rule))),
            Field::Level => {
                if let Some(l) = crate::detect::record_level(r) {
                    add(Cow::Borrowed(l.as_str()));
                }
            }
            Field::Attack => r
                .detections
                .iter()
                .flat_map(|h| &h.attack)
                .for_each(|a| add(Cow::Borrowed(a))),
            Field::Ua => {
                for v in ua_values(r) {
                    leaf_texts(&v, &mut |s| add(Cow::Owned(s.into_owned())));
                }
            }
            Field::Path(path) => {
                for v in r.raw.with(|t| path_values(t, path)) {
                    leaf_texts(&v, &mut |s| add(Cow::Owned(s.into_owned())));
                }
            }
        }
        out
    }
}

fn field_names() -> String {
    FIELDS.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
}

/// A value as a query writes it: quoted when it holds a space, a quote, a parenthesis or a
/// backslash, or could be read as something else.
pub fn quote(value: &str) -> String {
    let plain = !value.is_empty()
        && !value.contains(|c: char| c.is_whitespace() || matches!(c, '"' | '\\' | '(' | ')'))
        && !value.starts_with(['/', '-', '=', '*', '<', '>'])
        && value != "OR"
        && value != "AND";
    if plain {
        return value.to_string();
    }
    let mut q = String::with_capacity(value.len() + 2);
    q.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            q.push('\\');
        }
        q.push(c);
    }
    q.push('"');
    q
}

/// A query that cannot be read: what is wrong, and where (a byte range of the query text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// Byte offset of the offending part in the query text.
    pub at: usize,
    /// Its length in bytes (at least 1 unless the query ended early).
    pub len: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for QueryError {}

fn error(at: usize, len: usize, message: String) -> QueryError {
    QueryError { at, len, message }
}

/// A parsed query; the empty query matches everything.
#[derive(Debug, Clone, Default)]
pub struct Query {
    text: String,
    root: Option<Node>,
}

impl PartialEq for Query {
    fn eq(&self, other: &Query) -> bool {
        self.text == other.text
    }
}

#[derive(Debug, Clone)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    Test(Test),
}

#[derive(Debug, Clone)]
enum Test {
    /// A word or phrase anywhere in the record.
    Text(Needle),
    /// A regex anywhere in the record.
    Regex(Regex),
    Field(Field, Match),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Ge,
    Gt,
    Le,
    Lt,
}

/// What a field's value must be.
#[derive(Debug, Clone)]
enum Match {
    /// The field has a value (`field:*`).
    Any,
    /// A part of the value, ignoring case.
    Contains(Needle),
    /// The whole value, ignoring case (`field:=value`).
    Equals(Needle),
    Regex(Regex),
    /// A number compared (`sev:>=7`, `path:>100`).
    Number(Cmp, f64),
    /// A number equal (`sev:=7`).
    NumberEq(f64),
    /// A severity band (`sev:high`).
    Band(&'static str),
    /// Within `[start, end)` (`time:2024-05-02`).
    Period(DateTime<Utc>, DateTime<Utc>),
    /// At or after (`time:>=…`, `time:>…`).
    After(DateTime<Utc>),
    /// Before (`time:<…`, `time:<=…`).
    Before(DateTime<Utc>),
}

/// A lower-cased word and how to look for it.
#[derive(Debug, Clone)]
struct Needle {
    lower: String,
    /// Where in the needle the byte searched for first lies: its rarest in log text, so the
    /// search stops seldom (the first byte of a word is often a common letter).
    anchor: usize,
}

/// Bytes from the most to the least frequent in CloudTrail JSON, case folded (counted over the
/// corpus's CloudTrail samples); a byte not listed is rarer still.
const FREQUENT: &[u8] = b"\"eastn:irco0d1,mlu-p2.v4yf3b65g8w9/7h{}xkz_qj#[]@+\\();*%=<>$";

impl Needle {
    fn new(s: &str) -> Needle {
        let lower = s.to_lowercase();
        let rank = |b: &u8| {
            FREQUENT
                .iter()
                .position(|f| f == b)
                .unwrap_or(FREQUENT.len())
        };
        let anchor = lower
            .as_bytes()
            .iter()
            .enumerate()
            .max_by_key(|(i, b)| (rank(b), std::cmp::Reverse(*i)))
            .map_or(0, |(i, _)| i);
        Needle { lower, anchor }
    }

    /// Whether `hay` holds the needle, ignoring case: ASCII needles without allocating.
    fn in_text(&self, hay: &str) -> bool {
        let n = self.lower.as_bytes();
        if n.is_empty() {
            return true;
        }
        if !self.lower.is_ascii() {
            return hay.to_lowercase().contains(&self.lower);
        }
        let h = hay.as_bytes();
        if n.len() > h.len() {
            return false;
        }
        let k = self.anchor;
        let (a, b) = (n[k].to_ascii_lowercase(), n[k].to_ascii_uppercase());
        // The anchor's places that leave room for the needle around it.
        let (lo, hi) = (k, h.len() - (n.len() - k));
        let mut from = lo;
        while from <= hi {
            let Some(i) = memchr::memchr2(a, b, &h[from..=hi]) else {
                return false;
            };
            let start = from + i - k;
            if h[start..start + n.len()].eq_ignore_ascii_case(n) {
                return true;
            }
            from += i + 1;
        }
        false
    }

    fn equals(&self, value: &str) -> bool {
        value.len() == self.lower.len() && value.eq_ignore_ascii_case(&self.lower)
            || !self.lower.is_ascii() && value.to_lowercase() == self.lower
    }
}

impl Query {
    /// Reads a query; the empty text is the query that matches everything.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        let mut p = Parser { text, pos: 0 };
        let root = p.sequence(0)?;
        p.skip_space();
        if p.pos < text.len() {
            // Only a `)` without its `(` stops a sequence before the end.
            return Err(error(p.pos, 1, format!("')' at {} closes nothing", p.pos)));
        }
        Ok(Query {
            text: text.to_string(),
            root,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The text the query was read from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the record matches.
    pub fn matches(&self, r: &Record) -> bool {
        self.root.as_ref().is_none_or(|n| n.matches(r))
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_space(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// The keyword (`OR`, `AND`) at the cursor, standing alone.
    fn keyword(&self, word: &str) -> bool {
        let rest = self.rest();
        rest.starts_with(word)
            && rest[word.len()..]
                .chars()
                .next()
                .is_none_or(|c| c.is_whitespace() || c == '(' || c == ')')
    }

    /// Terms until the end or a `)`; `depth` counts the open groups.
    fn sequence(&mut self, depth: usize) -> Result<Option<Node>, QueryError> {
        let mut all = Vec::new();
        loop {
            self.skip_space();
            if self.rest().is_empty() || self.rest().starts_with(')') {
                break;
            }
            if self.keyword("AND") {
                self.pos += 3;
                continue;
            }
            if self.keyword("OR") {
                return Err(error(
                    self.pos,
                    2,
                    format!("OR at {} has no term before it", self.pos),
                ));
            }
            let mut any = vec![self.unary(depth)?];
            loop {
                let save = self.pos;
                self.skip_space();
                if !self.keyword("OR") {
                    self.pos = save;
                    break;
                }
                let or_at = self.pos;
                self.pos += 2;
                self.skip_space();
                if self.rest().is_empty() || self.rest().starts_with(')') || self.keyword("OR") {
                    return Err(error(
                        or_at,
                        2,
                        format!("OR at {or_at} has no term after it"),
                    ));
                }
                any.push(self.unary(depth)?);
            }
            all.push(if any.len() == 1 {
                any.pop().expect("one")
            } else {
                Node::Any(any)
            });
        }
        // Cheap tests first: a record that fails one is not read further.
        all.sort_by_key(Node::cost);
        Ok(match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(Node::All(all)),
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Node, QueryError> {
        let start = self.pos;
        if let Some(after) = self.rest().strip_prefix('-') {
            if after.is_empty() || after.starts_with(char::is_whitespace) {
                return Err(error(start, 1, format!("'-' at {start} negates nothing")));
            }
            self.pos += 1;
            return Ok(Node::Not(Box::new(self.primary(depth)?)));
        }
        self.primary(depth)
    }

    fn primary(&mut self, depth: usize) -> Result<Node, QueryError> {
        let start = self.pos;
        if self.rest().starts_with('(') {
            if depth >= 32 {
                return Err(error(start, 1, format!("groups nest too deep at {start}")));
            }
            self.pos += 1;
            let inner = self.sequence(depth + 1)?;
            self.skip_space();
            if !self.rest().starts_with(')') {
                return Err(error(start, 1, format!("'(' at {start} is never closed")));
            }
            self.pos += 1;
            return inner
                .ok_or_else(|| error(start, self.pos - start, format!("empty group at {start}")));
        }
        if self.rest().starts_with('"') {
            let phrase = self.quoted()?;
            return Ok(Node::Test(Test::Text(Needle::new(&phrase))));
        }
        if self.rest().starts_with('/') {
            let re = self.regex()?;
            return Ok(Node::Test(Test::Regex(re)));
        }
        self.field_or_word()
    }

    /// A `"…"` value at the cursor, with `\"` and `\\` escapes.
    fn quoted(&mut self) -> Result<String, QueryError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                c => out.push(c),
            }
        }
        Err(error(
            start,
            self.text.len() - start,
            format!("the quote at {start} is never closed"),
        ))
    }

    /// A `/…/` regex at the cursor (`\/` for a slash in it), ignoring case unless it says not to.
    fn regex(&mut self) -> Result<Regex, QueryError> {
        let start = self.pos;
        let body_start = start + 1;
        let bytes = self.text.as_bytes();
        let mut i = body_start;
        let mut pattern = String::new();
        let mut closed = false;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if bytes.get(i + 1) == Some(&b'/') => {
                    pattern.push('/');
                    i += 2;
                    continue;
                }
                b'/' => {
                    closed = true;
                    break;
                }
                _ => {}
            }
            let c = self.text[i..].chars().next().expect("in bounds");
            pattern.push(c);
            i += c.len_utf8();
        }
        if !closed {
            return Err(error(
                start,
                self.text.len() - start,
                format!("the regex at {start} is never closed with '/'"),
            ));
        }
        self.pos = i + 1;
        RegexBuilder::new(&pattern)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                let detail = e.to_string().replace('\n', " ");
                error(
                    start,
                    self.pos - start,
                    format!("bad regex at {start}: {detail}"),
                )
            })
    }

    /// A plain word at the cursor: up to a space or a parenthesis.
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
            .unwrap_or(rest.len());
        self.pos += end;
        &rest[..end]
    }

    fn field_or_word(&mut self) -> Result<Node, QueryError> {
        let start = self.pos;
        let rest = self.rest();
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        if rest[name_len..].starts_with(':') && looks_like_field(name) {
            let whole = {
                let w = rest
                    .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                    .unwrap_or(rest.len());
                &rest[..w]
            };
            let after = &rest[name_len + 1..];
            // IPv6 addresses, ARNs, URLs and ids with a colon are words.
            if !(entity::parse_ip(whole).is_some()
                || name.eq_ignore_ascii_case("arn")
                || after.starts_with("//"))
            {
                let Some(field) = Field::named(name) else {
                    return Err(error(
                        start,
                        name_len,
                        format!(
                            "unknown field '{name}' at {start}: known fields are {}; a JSON path has a dot (requestParameters.userName:bob, .eventSource:s3); quote a word with a colon (\"{whole}\")",
                            field_names()
                        ),
                    ));
                };
                self.pos += name_len + 1;
                let m = self.value(&field, start)?;
                return Ok(Node::Test(Test::Field(field, m)));
            }
        }
        let w = self.word();
        Ok(Node::Test(Test::Text(Needle::new(w))))
    }

    /// The value after `field:`.
    fn value(&mut self, field: &Field, term_at: usize) -> Result<Match, QueryError> {
        let at = self.pos;
        let name = field.name();
        if self.rest().starts_with('"') || self.rest().starts_with("=\"") {
            let exact = self.rest().starts_with('=');
            self.pos += usize::from(exact);
            let v = self.quoted()?;
            let v = if exact { format!("={v}") } else { v };
            return self.plain_value(field, &v, at);
        }
        if self.rest().starts_with('/') {
            return Ok(Match::Regex(self.regex()?));
        }
        let raw = self.word();
        if raw.is_empty() {
            return Err(error(
                term_at,
                at - term_at,
                format!("{name}: at {term_at} wants a value ({name}:VALUE, {name}:* for any)"),
            ));
        }
        if raw == "*" {
            return Ok(Match::Any);
        }
        // `Create*` or `*admin*`, as people type globs: a value already matches any part of the
        // field, so the stars say nothing more.
        let trimmed = raw.trim_matches('*');
        let raw = if !trimmed.is_empty() && !trimmed.contains('*') && !raw.starts_with("=") {
            trimmed
        } else {
            raw
        };
        let (cmp, operand) = if let Some(x) = raw.strip_prefix(">=") {
            (Some(Cmp::Ge), x)
        } else if let Some(x) = raw.strip_prefix("<=") {
            (Some(Cmp::Le), x)
        } else if let Some(x) = raw.strip_prefix('>') {
            (Some(Cmp::Gt), x)
        } else if let Some(x) = raw.strip_prefix('<') {
            (Some(Cmp::Lt), x)
        } else {
            (None, raw)
        };
        let Some(cmp) = cmp else {
            return self.plain_value(field, raw, at);
        };
        let operand_at = at + (raw.len() - operand.len());
        let bad = |what: &str| {
            error(
                at,
                raw.len(),
                format!("{name}:{raw} at {term_at}: '{operand}' is not {what}"),
            )
        };
        match field {
            Field::Time => {
                let (start, end) = period(operand).ok_or_else(|| {
                    bad("a time (2024-05-02, 2024-05-02T03, 2024-05-02T03:15, RFC 3339)")
                })?;
                Ok(match cmp {
                    Cmp::Ge => Match::After(start),
                    Cmp::Gt => Match::After(end),
                    Cmp::Lt => Match::Before(start),
                    Cmp::Le => Match::Before(end),
                })
            }
            Field::Severity => {
                let n = severity_number(operand)
                    .ok_or_else(|| bad("a severity (0–10, low, medium, high, critical)"))?;
                Ok(Match::Number(cmp, n))
            }
            Field::Path(_) => {
                let n: f64 = operand.parse().map_err(|_| bad("a number"))?;
                Ok(Match::Number(cmp, n))
            }
            Field::Level => {
                let n = level_number(operand)
                    .ok_or_else(|| bad("a level (informational, low, medium, high, critical)"))?;
                Ok(Match::Number(cmp, n))
            }
            _ => Err(error(
                operand_at.saturating_sub(1),
                1,
                format!(
                    "{name}: at {term_at} does not compare; only sev:, level:, time: and paths do"
                ),
            )),
        }
    }

    /// A value without a comparison: `=v` exact, else a part of the value.
    fn plain_value(&self, field: &Field, v: &str, at: usize) -> Result<Match, QueryError> {
        let name = field.name();
        let (exact, v) = match v.strip_prefix('=') {
            Some(x) => (true, x),
            None => (false, v),
        };
        match field {
            Field::Severity => {
                if let Some(band) = band(v) {
                    return Ok(Match::Band(band));
                }
                let n: f64 = v.parse().map_err(|_| {
                    error(
                        at,
                        v.len().max(1),
                        format!("{name}: at {at} wants a number or a band, as in sev:>=7 or sev:high (not '{v}')"),
                    )
                })?;
                Ok(Match::NumberEq(n))
            }
            Field::Time => {
                let (start, end) = period(v).ok_or_else(|| {
                    error(
                        at,
                        v.len().max(1),
                        format!("time: at {at} wants a day, hour, minute or second (2024-05-02T03), not '{v}'"),
                    )
                })?;
                Ok(Match::Period(start, end))
            }
            Field::Level => {
                let n = level_number(v).ok_or_else(|| {
                    error(
                        at,
                        v.len().max(1),
                        format!("level: at {at} wants informational, low, medium, high or critical (level:>=high), not '{v}'"),
                    )
                })?;
                Ok(Match::NumberEq(n))
            }
            _ if exact => Ok(Match::Equals(Needle::new(v))),
            _ => Ok(Match::Contains(Needle::new(v))),
        }
    }
}

/// Whether `name` before a colon is meant as a field: a letter or a dot first, and not an id
/// written in capitals and digits (`AROA…:session`).
fn looks_like_field(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '.')
        && !name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn band(v: &str) -> Option<&'static str> {
    Some(match v.to_ascii_lowercase().as_str() {
        "info" | "informational" => "Info",
        "low" => "Low",
        "medium" | "med" => "Medium",
        "high" => "High",
        "critical" | "crit" => "Critical",
        _ => return None,
    })
}

/// A severity number, or the lower bound of a band (`high` is 7).
fn severity_number(v: &str) -> Option<f64> {
    match band(v) {
        Some("Info") => Some(0.0),
        Some("Low") => Some(1.0),
        Some("Medium") => Some(4.0),
        Some("High") => Some(7.0),
        Some(_) => Some(9.0),
        None => v.parse().ok().filter(|n: &f64| n.is_finite()),
    }
}

/// The period a time names: `[start, end)` of a day, hour, minute or second (UTC), or the
/// second of an RFC 3339 time.
fn period(v: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        let t = t.with_timezone(&Utc);
        return Some((t, t + Duration::seconds(1)));
    }
    let v = v.strip_suffix('Z').unwrap_or(v).replacen(' ', "T", 1);
    if let Ok(d) = NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        let start = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?);
        return Some((start, start + Duration::days(1)));
    }
    let (text, span) = match v.len() {
        13 => (format!("{v}:00:00"), Duration::hours(1)),
        16 => (format!("{v}:00"), Duration::minutes(1)),
        19 => (v.clone(), Duration::seconds(1)),
        _ => return None,
    };
    let t = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S").ok()?;
    let start = Utc.from_utc_datetime(&t);
    Some((start, start + span))
}

// ---------------------------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------------------------

impl Node {
    /// How much a test costs, roughly: summary columns, then entities, then the JSON text.
    fn cost(&self) -> u8 {
        match self {
            Node::All(v) | Node::Any(v) => v.iter().map(Node::cost).max().unwrap_or(0),
            Node::Not(n) => n.cost(),
            Node::Test(Test::Text(_)) => 3,
            Node::Test(Test::Regex(_)) => 4,
            Node::Test(Test::Field(f, _)) => match f {
                Field::Event
                | Field::Kind
                | Field::Region
                | Field::Severity
                | Field::Time
                | Field::Resource
                | Field::Bucket
                | Field::Rule
                | Field::Attack => 0,
                Field::Error | Field::Level => 1,
                Field::Ip | Field::Principal | Field::Account => 1,
                Field::Key
                | Field::PrincipalId
                | Field::User
                | Field::Role
                | Field::Session
                | Field::Entity => 2,
                Field::Ua | Field::Path(_) => 5,
            },
        }
    }

    fn matches(&self, r: &Record) -> bool {
        match self {
            Node::All(v) => v.iter().all(|n| n.matches(r)),
            Node::Any(v) => v.iter().any(|n| n.matches(r)),
            Node::Not(n) => !n.matches(r),
            Node::Test(t) => t.matches(r),
        }
    }
}

/// The summary columns a word or regex looks at before the record's JSON text.
fn columns(r: &Record) -> [&str; 9] {
    [
        r.kind.as_str(),
        &r.event,
        &r.summary,
        r.principal.as_deref().unwrap_or(""),
        r.ip.as_deref().unwrap_or(""),
        r.account.as_deref().unwrap_or(""),
        r.region.as_deref().unwrap_or(""),
        r.error.as_deref().unwrap_or(""),
        r.resource.as_deref().unwrap_or(""),
    ]
}

impl Test {
    fn matches(&self, r: &Record) -> bool {
        match self {
            Test::Text(n) => {
                columns(r).iter().any(|c| n.in_text(c))
                    || r.entities.iter().any(|e| n.in_text(&e.value))
                    || r.raw.with(|t| n.in_text(t))
            }
            Test::Regex(re) => {
                columns(r).iter().any(|c| re.is_match(c)) || r.raw.with(|t| re.is_match(t))
            }
            Test::Field(f, m) => field_matches(f, m, r),
        }
    }
}

/// A detection level as a number, so that levels compare (`level:>=high`).
fn level_number(name: &str) -> Option<f64> {
    let level: crate::detect::Level = name.parse().ok()?;
    Some(level as u8 as f64)
}

fn field_matches(f: &Field, m: &Match, r: &Record) -> bool {
    match (f, m) {
        (Field::Level, _) => {
            let Some(l) = crate::detect::record_level(r) else {
                return false;
            };
            let n = l as u8 as f64;
            match m {
                Match::Any => true,
                Match::NumberEq(x) => (n - x).abs() < 1e-9,
                Match::Number(c, x) => compare(n, *c, *x),
                Match::Regex(re) => re.is_match(l.as_str()),
                _ => false,
            }
        }
        (Field::Rule, Match::Contains(n)) => crate::detect::has_rule(r, &n.lower),
        (Field::Attack, Match::Contains(n) | Match::Equals(n)) => {
            crate::detect::has_attack(r, &n.lower)
        }
        (Field::Time, _) => {
            let Some(t) = r.time else { return false };
            match m {
                Match::Any => true,
                Match::Period(s, e) => *s <= t && t < *e,
                Match::After(s) => t >= *s,
                Match::Before(e) => t < *e,
                Match::Regex(re) => re.is_match(&crate::record::format_time(&t)),
                _ => false,
            }
        }
        (Field::Severity, _) => {
            let Some(s) = r.severity else { return false };
            match m {
                Match::Any => true,
                Match::Band(b) => severity_label(s) == *b,
                Match::NumberEq(n) => (s - n).abs() < 1e-9,
                Match::Number(c, n) => compare(s, *c, *n),
                Match::Regex(re) => re.is_match(&s.to_string()),
                _ => false,
            }
        }
        (Field::Error, _) => {
            if r.error.is_none() {
                return false;
            }
            let code = r.error.as_deref().unwrap_or("");
            if text_matches(m, code) {
                return true;
            }
            // The message behind the code, read from the JSON only when the code did not answer.
            !matches!(m, Match::Any) && error_messages(r).iter().any(|v| leaf_matches(m, v))
        }
        (Field::Ua, _) => {
            r.raw.with(|t| json_may_hold(m, t)) && ua_values(r).iter().any(|v| leaf_matches(m, v))
        }
        (Field::Path(path), _) => r.raw.with(|t| {
            json_may_hold(m, t) && path_values(t, path).iter().any(|v| leaf_matches(m, v))
        }),
        _ => f.values(r).iter().any(|v| text_matches(m, v)),
    }
}

/// Whether a JSON text can hold a value the match wants: a plain text to find (no quote,
/// backslash, slash or non-ASCII that JSON may escape, and no number that JSON may write
/// otherwise) must appear in it as written. Saves parsing most records.
fn json_may_hold(m: &Match, raw: &str) -> bool {
    let n = match m {
        Match::Contains(n) | Match::Equals(n) => n,
        _ => return true,
    };
    let plain = n
        .lower
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\\' | b'/'))
        && n.lower.parse::<f64>().is_err();
    !plain || n.in_text(raw)
}

fn compare(x: f64, c: Cmp, n: f64) -> bool {
    match c {
        Cmp::Ge => x >= n,
        Cmp::Gt => x > n,
        Cmp::Le => x <= n,
        Cmp::Lt => x < n,
    }
}

/// A text value against a match.
fn text_matches(m: &Match, v: &str) -> bool {
    match m {
        Match::Any => !v.is_empty(),
        Match::Contains(n) => n.in_text(v),
        Match::Equals(n) => n.equals(v),
        Match::Regex(re) => re.is_match(v),
        Match::Number(c, n) => v.trim().parse::<f64>().is_ok_and(|x| compare(x, *c, *n)),
        Match::NumberEq(n) => v.trim().parse::<f64>().is_ok_and(|x| (x - n).abs() < 1e-9),
        Match::Band(_) | Match::Period(..) | Match::After(_) | Match::Before(_) => false,
    }
}

/// A JSON value against a match: arrays when any element matches, objects by their text.
fn leaf_matches(m: &Match, v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(items) => items.iter().any(|x| leaf_matches(m, x)),
        Value::Number(n) => match m {
            Match::Number(c, x) => n.as_f64().is_some_and(|f| compare(f, *c, *x)),
            Match::NumberEq(x) => n.as_f64().is_some_and(|f| (f - x).abs() < 1e-9),
            _ => text_matches(m, &n.to_string()),
        },
        Value::String(s) => text_matches(m, s),
        Value::Bool(b) => text_matches(m, if *b { "true" } else { "false" }),
        Value::Object(_) => text_matches(m, &v.to_string()),
    }
}

/// Every text a JSON value holds as a leaf (an array's elements, each once), for counting.
fn leaf_texts<'v>(v: &'v Value, out: &mut dyn FnMut(Cow<'v, str>)) {
    match v {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|x| leaf_texts(x, out)),
        Value::String(s) => out(Cow::Borrowed(s)),
        Value::Number(n) => out(Cow::Owned(n.to_string())),
        Value::Bool(b) => out(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Object(_) => out(Cow::Owned(v.to_string())),
    }
}

/// Where each kind keeps the user agent.
fn ua_values(r: &Record) -> Vec<Value> {
    let paths: &[&[&str]] = match r.kind {
        RecordKind::CloudTrail => &[&["userAgent"]],
        RecordKind::Ocsf => &[&["http_request", "user_agent"]],
        RecordKind::GuardDuty => &[
            &["service", "additionalInfo", "userAgent", "fullUserAgent"],
            &["service", "action", "kubernetesApiCallAction", "userAgent"],
        ],
    };
    let mut out = Vec::new();
    for p in paths {
        let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
        out.extend(r.raw.with(|t| path_values(t, &p)));
    }
    out
}

/// The messages behind a record's error (CloudTrail `errorMessage`, OCSF `api.response.message`).
fn error_messages(r: &Record) -> Vec<Value> {
    let p: &[&str] = match r.kind {
        RecordKind::CloudTrail => &["errorMessage"],
        RecordKind::Ocsf => &["api", "response", "message"],
        RecordKind::GuardDuty => return Vec::new(),
    };
    let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
    r.raw.with(|t| path_values(t, &p))
}

// ---------------------------------------------------------------------------------------------
// Paths into a record's JSON text, without building its tree
// ---------------------------------------------------------------------------------------------

/// The values at `path` in a JSON text: objects are entered by key, arrays looked through (or
/// indexed by a number segment); only the values found are built, the rest is skipped.
pub fn path_values(text: &str, path: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut de = serde_json::Deserializer::from_str(text);
    let _ = PathSeed {
        path,
        out: &mut out,
    }
    .deserialize(&mut de);
    out
}

struct PathSeed<'p, 'o> {
    path: &'p [String],
    out: &'o mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for PathSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.path.is_empty() {
            let v = <Value as serde::Deserialize>::deserialize(d)?;
            self.out.push(v);
            return Ok(());
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PathSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let (head, tail) = self.path.split_first().expect("a path left");
        while let Some(hit) = m.next_key_seed(KeyIs(head))? {
            if hit {
                m.next_value_seed(PathSeed {
                    path: tail,
                    out: &mut *self.out,
                })?;
            } else {
                m.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<(), A::Error> {
        let (head, tail) = self.path.split_first().expect("a path left");
        if let Ok(index) = head.parse::<usize>() {
            let mut i = 0;
            while let Some(()) = s.next_element_seed(if i == index {
                Skip::Into(PathSeed {
                    path: tail,
                    out: &mut *self.out,
                })
            } else {
                Skip::Over
            })? {
                i += 1;
            }
            return Ok(());
        }
        while let Some(()) = s.next_element_seed(PathSeed {
            path: self.path,
            out: &mut *self.out,
        })? {}
        Ok(())
    }

    // Scalars hold no path.
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
}

/// An array element: followed down the path, or skipped.
enum Skip<'p, 'o> {
    Into(PathSeed<'p, 'o>),
    Over,
}

impl<'de> DeserializeSeed<'de> for Skip<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self {
            Skip::Into(p) => p.deserialize(d),
            Skip::Over => <IgnoredAny as serde::Deserialize>::deserialize(d).map(|_| ()),
        }
    }
}

/// Reads an object key and tells whether it is the wanted one, without keeping it.
struct KeyIs<'k>(&'k str);

impl<'de> DeserializeSeed<'de> for KeyIs<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyIs<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, k: &str) -> Result<bool, E> {
        Ok(k == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_is_found_ignoring_case_wherever_its_rarest_byte_lies() {
        let hay = "{\"eventName\":\"GetObject\",\"key\":\"exports/C4959F1E9bcc4272.parquet\",\"x\":\"é\"}";
        for (needle, found) in [
            ("c4959f1e9bcc4272", true),
            ("EXPORTS/c4959", true),
            ("parquet\"", true),
            ("{\"eventname", true),
            ("\"}", true),
            ("é", true),
            ("getobjectx", false),
            ("c4959f1e9bcc4273", false),
            ("qqqq", false),
            ("", true),
        ] {
            assert_eq!(super::Needle::new(needle).in_text(hay), found, "{needle}");
        }
        // The needle at the very start and end of the text, and longer than it.
        assert!(super::Needle::new("{\"e").in_text(hay));
        assert!(!super::Needle::new(&format!("{hay}x")).in_text(hay));
        assert!(super::Needle::new(hay).in_text(hay));
    }
    use crate::record::Origin;
    use serde_json::json;
    use std::sync::Arc;

    fn rec(v: Value) -> Record {
        Record::from_value(
            v,
            Origin {
                object: Arc::from("mem://t"),
                position: 1,
            },
            None,
        )
        .unwrap()
    }

    fn ct(name: &str, ip: &str) -> Record {
        rec(
            json!({"eventSource":"iam.amazonaws.com","eventName":name,"sourceIPAddress":ip,
                   "eventTime":"2024-05-02T03:00:00Z","recipientAccountId":"111122223333",
                   "awsRegion":"us-east-1","userAgent":"aws-cli/2.15.0 Python/3.11",
                   "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice",
                                   "userName":"alice","accessKeyId":"AKIAQNZGKR3XEXAMPLE1",
                                   "principalId":"AIDAQNZGKR3XEXAMPLE12"},
                   "requestParameters":{"userName":"bob","tags":[{"key":"team","value":"red"}]}}),
        )
    }

    fn s3(op: &str, bucket: &str, key: &str, error: Option<&str>) -> Record {
        let mut v = json!({"eventSource":"s3.amazonaws.com","eventName":op,"sourceIPAddress":"54.210.11.20",
            "eventTime":"2024-05-02T04:10:00Z","awsRegion":"us-east-1","recipientAccountId":"111122223333",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/web-app-role/i-0a1b2c3d4e5f60718",
                "principalId":"AROAQNZGKR3XQ5HF7TJ2M:i-0a1b2c3d4e5f60718",
                "sessionContext":{"sessionIssuer":{"type":"Role","arn":"arn:aws:iam::111122223333:role/web-app-role","userName":"web-app-role"}}},
            "requestParameters":{"bucketName":bucket,"key":key,"Host":"x"},
            "additionalEventData":{"bytesTransferredOut":5120}});
        if let Some(e) = error {
            v["errorCode"] = json!(e);
            v["errorMessage"] = json!("Access Denied");
        }
        rec(v)
    }

    fn gd(sev: f64) -> Record {
        rec(
            json!({"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","service":{},
                   "severity":sev,"updatedAt":"2024-05-02T05:00:00Z"}),
        )
    }

    fn hit(q: &str, r: &Record) -> bool {
        Query::parse(q)
            .unwrap_or_else(|e| panic!("{q}: {e}"))
            .matches(r)
    }

    fn err(q: &str) -> QueryError {
        Query::parse(q).expect_err(q)
    }

    #[test]
    fn words_match_the_summary_and_the_json_ignoring_case() {
        let r = ct("CreateUser", "203.0.113.66");
        assert!(hit("createuser", &r));
        assert!(hit("ALICE", &r), "a column");
        assert!(hit("python/3.11", &r), "only in the JSON text");
        assert!(
            hit("\"aws-cli/2.15.0 python\"", &r),
            "a phrase with a space"
        );
        assert!(!hit("mallory", &r));
        assert!(hit("", &r) && Query::parse("  ").unwrap().is_empty());
    }

    #[test]
    fn each_field() {
        let r = ct("CreateUser", "203.0.113.66");
        let cases = [
            ("event:CreateUser", true),
            ("event:=createuser", true),
            ("event:=Create", false),
            ("event:Create", true),
            ("ip:203.0.113", true),
            ("ip:=203.0.113.66", true),
            ("account:1111", true),
            ("region:us-east", true),
            ("kind:cloudtrail", true),
            ("kind:guardduty", false),
            ("principal:user/alice", true),
            ("key:AKIAQNZ", true),
            ("principal_id:AIDAQNZ", true),
            ("user:alice", true),
            ("role:web", false),
            ("session:x", false),
            ("entity:alice", true),
            ("ua:aws-cli", true),
            ("ua:boto", false),
            ("time:2024-05-02", true),
            ("time:2024-05-02T03", true),
            ("time:2024-05-02T04", false),
            ("time:>=2024-05-02T03:00", true),
            ("time:>2024-05-02T03", false),
            ("time:<2024-05-03", true),
            ("time:<=2024-05-01", false),
            ("error:*", false),
            ("-error:*", true),
            ("resource:user/bob", true),
            ("bucket:*", false),
            ("sev:*", false),
        ];
        for (q, want) in cases {
            assert_eq!(hit(q, &r), want, "{q}");
        }
        let s = s3(
            "GetObject",
            "prod-customer-data",
            "exports/customers.csv",
            Some("AccessDenied"),
        );
        for (q, want) in [
            ("error:AccessDenied", true),
            ("error:=accessdenied", true),
            ("error:\"Access Denied\"", true),
            ("error:NoSuchKey", false),
            ("bucket:prod-customer", true),
            ("bucket:=prod-customer-data", true),
            ("bucket:exports", false),
            ("resource:exports/customers", true),
            ("role:web-app-role", true),
            ("session:i-0a1b", true),
            ("principal:assumed-role/web-app-role", true),
            (
                "principal:=arn:aws:iam::111122223333:role/web-app-role",
                true,
            ),
        ] {
            assert_eq!(hit(q, &s), want, "{q}");
        }
    }

    #[test]
    fn severity_compares_and_names_bands() {
        assert!(hit("sev:>=7", &gd(8.0)));
        assert!(!hit("sev:>=7", &gd(5.0)));
        assert!(hit("sev:<6", &gd(5.0)));
        assert!(hit("severity:=5", &gd(5.0)));
        assert!(hit("sev:5", &gd(5.0)));
        assert!(hit("sev:high", &gd(8.0)) && !hit("sev:high", &gd(5.0)));
        assert!(hit("sev:>=high", &gd(7.0)));
        assert!(hit("sev:medium", &gd(5.0)));
        assert!(!hit("sev:>=1", &ct("X", "1.2.3.4")), "no severity");
        assert!(Query::parse("sev:>=bad").is_err());
        assert!(Query::parse("sev:loud").is_err());
    }

    #[test]
    fn or_negation_and_groups() {
        let a = ct("CreateUser", "203.0.113.66");
        let b = ct("DeleteUser", "198.51.100.10");
        let q = "event:CreateUser OR event:DeleteUser";
        assert!(hit(q, &a) && hit(q, &b));
        assert!(hit("-event:DeleteUser alice", &a) && !hit("-event:DeleteUser alice", &b));
        // OR binds tighter than the space.
        let q = "alice event:CreateUser OR ip:198.51.100.10";
        assert!(hit(q, &a) && hit(q, &b));
        assert!(!hit("-(event:CreateUser OR event:DeleteUser)", &a));
        assert!(hit("(ip:203.0.113.66 OR ip:10.0.0.1) AND alice", &a));
        assert!(hit("(ip:203.0.113.66 OR ip:10.0.0.1) event:create", &a));
        assert!(!hit("(ip:203.0.113.66 OR ip:10.0.0.1) event:delete", &a));
        assert!(hit("CreateUser OR nothing-here", &a), "words OR words");
    }

    #[test]
    fn regexes_over_the_record_and_a_field() {
        let r = ct("PutUserPolicy", "203.0.113.66");
        assert!(
            hit("/^put.*policy$/", &r),
            "ignores case, anchors per column"
        );
        assert!(!hit("/(?-i)^put/", &r));
        assert!(
            hit("/python\\/3\\.1[0-9]/", &r),
            "the JSON text, \\/ for a slash"
        );
        assert!(hit("event:/^Put(User|Role)Policy$/", &r));
        assert!(!hit("event:/^Delete/", &r));
        let e = err("ip:/[/");
        assert_eq!(e.at, 3);
        assert!(e.message.contains("bad regex at 3"), "{}", e.message);
        let e = err("/abc");
        assert_eq!((e.at, e.len), (0, 4));
    }

    #[test]
    fn json_paths_look_through_arrays() {
        let r = ct("TagUser", "203.0.113.66");
        assert!(hit("requestParameters.userName:bob", &r));
        assert!(!hit("requestParameters.userName:alice", &r));
        assert!(
            hit("requestParameters.tags.key:team", &r),
            "any element of an array"
        );
        assert!(hit("requestParameters.tags.0.value:=red", &r), "an index");
        assert!(!hit("requestParameters.tags.1.value:red", &r));
        assert!(hit(".eventSource:iam", &r), "a top-level key");
        assert!(hit("userIdentity.type:*", &r) && !hit("userIdentity.nothing:*", &r));
        let s = s3("GetObject", "b", "k", None);
        assert!(hit("additionalEventData.bytesTransferredOut:>5000", &s));
        assert!(!hit("additionalEventData.bytesTransferredOut:<5000", &s));
        assert!(hit("additionalEventData.bytesTransferredOut:5120", &s));
        assert!(Query::parse("a.b:>x").is_err());
    }

    #[test]
    fn words_with_colons_that_are_no_fields() {
        let r = rec(
            json!({"eventSource":"sts.amazonaws.com","eventName":"AssumeRole",
            "sourceIPAddress":"2001:db8::1","userIdentity":{"arn":"arn:aws:iam::1:user/a",
            "principalId":"AROAQNZGKR3XQ5HF7TJ2M:i-0a1b"}}),
        );
        assert!(hit("2001:db8::1", &r));
        assert!(hit("arn:aws:iam::1:user/a", &r));
        assert!(hit("AROAQNZGKR3XQ5HF7TJ2M:i-0a1b", &r));
        assert!(hit("\"eventName\":\"AssumeRole\"", &r), "quoted");
    }

    #[test]
    fn unknown_fields_and_bad_syntax_say_where() {
        let e = err("ip:1.2.3.4 buckt:prod");
        assert_eq!((e.at, e.len), (11, 5));
        assert!(
            e.message.starts_with("unknown field 'buckt' at 11"),
            "{}",
            e.message
        );
        assert!(e.message.contains("bucket") && e.message.contains("principal_id"));
        assert!(e.message.contains("requestParameters.userName"));
        let e = err("eventSource:s3");
        assert_eq!(e.at, 0);
        assert_eq!(err("\"open").at, 0);
        assert_eq!(err("a (b").at, 2);
        assert_eq!(err("a )").at, 2);
        assert_eq!(err("OR a").at, 0);
        assert_eq!(err("a OR").at, 2);
        assert_eq!(err("a - b").at, 2);
        assert_eq!(err("event:").at, 0);
        assert_eq!(err("x event: y").at, 2);
        assert!(err("ip:>3").message.contains("does not compare"));
        assert!(err("time:yesterday").message.contains("time:"));
        // Nothing panics on odd input.
        for q in [
            "((((",
            "-",
            "\"\\",
            "/",
            "a:\"",
            "é:x",
            ".:x",
            "x OR OR y",
            "((a) OR (b))",
        ] {
            let _ = Query::parse(q);
        }
    }

    #[test]
    fn terms_from_counted_values_match_them_exactly() {
        let r = ct("CreateUser", "203.0.113.66");
        for f in [
            Field::Ip,
            Field::Event,
            Field::Ua,
            Field::Time,
            Field::User,
            Field::Key,
        ] {
            for v in f.values(&r) {
                let t = f.term(&v);
                assert!(hit(&t, &r), "{t}");
            }
        }
        assert_eq!(Field::Ua.term("aws-cli/2 x"), "ua:=\"aws-cli/2 x\"");
        assert_eq!(Field::Time.values(&r), ["2024-05-02T03"]);
        assert_eq!(quote("a\"b"), "\"a\\\"b\"");
        let other = ct("CreateUser", "203.0.113.6");
        assert!(!hit(&Field::Ip.term("203.0.113.66"), &other));
    }

    #[test]
    fn field_names_and_paths() {
        assert_eq!(Field::named("SEV"), Some(Field::Severity));
        assert_eq!(Field::named("principal-id"), Some(Field::PrincipalId));
        assert_eq!(
            Field::named("a.b"),
            Some(Field::Path(vec!["a".into(), "b".into()]))
        );
        assert_eq!(Field::named(".a").unwrap().name(), ".a");
        let e = Field::parse("nope").unwrap_err();
        assert!(e.message.contains("known fields are ip, principal"));
        assert_eq!((e.at, e.len), (0, 4));
    }

    #[test]
    fn stars_around_a_value_are_what_a_value_does_already() {
        let r = rec_for_stars();
        for q in [
            "event:Create*",
            "event:*User",
            "event:*eateUs*",
            "event:CreateUser",
        ] {
            assert!(Query::parse(q).unwrap().matches(&r), "{q}");
        }
        assert!(!Query::parse("event:Delete*").unwrap().matches(&r));
    }

    fn rec_for_stars() -> Record {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2024-05-02T03:24:10Z"}"#,
        )
        .unwrap();
        Record::from_value(
            v,
            crate::record::Origin {
                object: std::sync::Arc::from("mem://x"),
                position: 1,
            },
            None,
        )
        .unwrap()
    }
}
