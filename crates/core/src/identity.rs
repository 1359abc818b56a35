//! Who is behind a key, a session or a principal: the chain of credentials from it back to the
//! person or machine at its start, each link citing the event that shows it.
//!
//! A link is an identity (a role session, a user, a federated user) with the key it holds, and
//! how it came by it: an STS call handed it out (`AssumeRole*`, `GetFederationToken`,
//! `GetSessionToken`) or IAM created it (`CreateAccessKey`), and the caller of that call is the
//! next link. The chain ends at what the data names as its start: an IAM user, the root user, an
//! IAM Identity Center, SAML or web identity user, an EC2 instance (with its GuardDuty findings),
//! an AWS service; or where the data says no more, in a link that says what is unknown. Nothing
//! is guessed: a link is made only from what an event shows.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::Value;

use crate::entity::{self, Entity, EntityKind, EntityRole};
use crate::load::Keep;
use crate::pivot::PivotIndex;
use crate::record::{format_time, Record, RecordKind};

/// Where a link is written: the event (or finding) that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proof {
    pub time: Option<String>,
    /// The CloudTrail event name, or the GuardDuty finding type.
    pub event: String,
    pub object: String,
    /// Line, element or row of the object.
    pub position: u64,
}

impl Proof {
    pub fn of(r: &Record) -> Proof {
        Proof {
            time: r.time.as_ref().map(format_time),
            event: r.event.to_string(),
            object: r.origin.object.to_string(),
            position: r.origin.position,
        }
    }

    /// `2024-05-02T02:30:41Z AssumeRole s3://bucket/key:10`
    pub fn describe(&self) -> String {
        format!(
            "{} {} {}:{}",
            self.time.as_deref().unwrap_or("(no time)"),
            self.event,
            self.object,
            self.position
        )
    }
}

/// What a link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Key,
    Session,
    FederatedUser,
    User,
    Root,
    Role,
    PrincipalId,
    IdentityCenterUser,
    SamlUser,
    WebIdentityUser,
    SourceIdentity,
    Instance,
    Service,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Key => "key",
            Kind::Session => "session",
            Kind::FederatedUser => "federated user",
            Kind::User => "IAM user",
            Kind::Root => "root user",
            Kind::Role => "role",
            Kind::PrincipalId => "principal id",
            Kind::IdentityCenterUser => "IAM Identity Center user",
            Kind::SamlUser => "SAML user",
            Kind::WebIdentityUser => "web identity user",
            Kind::SourceIdentity => "source identity",
            Kind::Instance => "EC2 instance",
            Kind::Service => "AWS service",
        }
    }
}

/// How a link's identity came by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// An STS call handed it out; its caller is the next link.
    Issued,
    /// IAM created the key; its caller, who was handed the secret, is the next link.
    Created,
    /// Only its use is in the data, and that use names who issued it (the next link).
    Seen,
    /// The chain starts here: a person or a machine.
    Start,
    /// The data does not show how it came by its credentials.
    Unknown,
}

/// One link of a chain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub kind: Kind,
    /// An ARN, a key, an instance id, a user name: as the data writes it.
    pub id: String,
    /// The key this identity held, when the data ties one to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub how: How,
    /// Who made the call that issued or created it (the next link), as the event names them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The address that call came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// What else the data says: cross-account, the provider, what is missing.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<Proof>,
    /// GuardDuty findings about an instance at the start.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Proof>,
}

impl Link {
    fn new(kind: Kind, id: impl Into<String>, how: How) -> Link {
        Link {
            kind,
            id: id.into(),
            key: None,
            how,
            by: None,
            from: None,
            notes: Vec::new(),
            proof: None,
            findings: Vec::new(),
        }
    }

    fn unknown(kind: Kind, id: impl Into<String>, why: impl Into<String>) -> Link {
        let mut l = Link::new(kind, id, How::Unknown);
        l.notes.push(why.into());
        l
    }

    /// The identity, e.g. `session arn:aws:sts::…/web/i-1 (key ASIA…)`.
    pub fn who(&self) -> String {
        let mut s = format!("{} {}", self.kind.as_str(), self.id);
        if let Some(k) = &self.key {
            if *k != self.id {
                s.push_str(&format!(" (key {k})"));
            }
        }
        s
    }

    /// How it came by its credentials, e.g. `issued by AssumeRole, called by ec2.amazonaws.com`.
    pub fn how(&self) -> String {
        let event = self.proof.as_ref().map_or("", |p| p.event.as_str());
        let mut s = match self.how {
            How::Issued => format!("issued by {event}"),
            How::Created => format!("created by {event}"),
            How::Seen => "seen in use".to_string(),
            How::Start => "the start of the chain".to_string(),
            How::Unknown => "unknown".to_string(),
        };
        if let Some(b) = &self.by {
            let verb = if self.how == How::Seen {
                "issued by"
            } else {
                "called by"
            };
            s.push_str(&format!(", {verb} {b}"));
        }
        if let Some(f) = &self.from {
            s.push_str(&format!(" from {f}"));
        }
        for n in &self.notes {
            s.push_str(&format!("; {n}"));
        }
        s
    }

    /// A short name for the one-line summary: a session as `role/session`, a user by its name.
    fn short(&self) -> String {
        let tail = |s: &str, n: usize| -> String {
            let parts: Vec<&str> = s.rsplitn(n + 1, '/').collect();
            let mut v: Vec<&str> = parts.into_iter().take(n).collect();
            v.reverse();
            v.join("/")
        };
        match self.kind {
            Kind::Session => tail(&self.id, 2),
            Kind::User => format!("user {}", tail(&self.id, 1)),
            Kind::FederatedUser => format!("federated user {}", tail(&self.id, 1)),
            Kind::Key | Kind::PrincipalId | Kind::Role => self.id.clone(),
            _ => format!("{} {}", self.kind.as_str(), self.id),
        }
    }
}

/// The chain of one identity, from it (first link) back to its start (last link).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chain {
    pub target: Entity,
    pub links: Vec<Link>,
}

impl Chain {
    /// Whether the last link is a person or a machine the data names.
    pub fn resolved(&self) -> bool {
        self.links.last().is_some_and(|l| l.how == How::Start)
    }

    /// One line from the start to the identity asked about, for the record pane's "who":
    /// `EC2 instance i-0a1b… → web-app-role/i-0a1b… → user svc-backup → Org…Role/backup-sync`,
    /// or `unknown → …` when the data does not show the start.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.resolved() {
            parts.push("unknown".to_string());
        }
        for l in self.links.iter().rev() {
            let s = l.short();
            if parts.last() != Some(&s) {
                parts.push(s);
            }
        }
        parts.join(" → ")
    }
}

/// A chain is never longer than this (role chaining is limited, hostile data is not).
const MAX_LINKS: usize = 32;

/// At most this many chains for a target that stands for several identities (a role's sessions).
pub const MAX_CHAINS: usize = 20;

/// The records that name an entity (exactly, as the pivot index matches).
pub type Naming<'a, 'r> = &'a dyn Fn(&Entity) -> Vec<&'r Record>;

/// The chains of `target`: one for a key, a session, a user or an instance; one per session for
/// a role, a session name or a user name (at most [`MAX_CHAINS`]); none for what is no identity
/// (an address, an account, a resource).
pub fn whois<'r>(naming: Naming<'_, 'r>, target: &Entity) -> Vec<Chain> {
    let w = Walker { naming };
    let cursors: Vec<Cursor<'r>> = match target.kind {
        EntityKind::Key => vec![Cursor::Key {
            key: target.value.to_string(),
            seen: None,
        }],
        EntityKind::Principal if entity::is_role_arn(&target.value) => {
            w.sessions_of_role(&target.value)
        }
        EntityKind::Principal => vec![Cursor::Arn {
            arn: target.value.to_string(),
            seen: None,
        }],
        EntityKind::PrincipalId => vec![Cursor::PrincipalId {
            id: target.value.to_string(),
            account: None,
        }],
        EntityKind::Session => w.sessions_named(&target.value),
        EntityKind::User => w.users_named(&target.value),
        EntityKind::Instance => vec![Cursor::Instance {
            id: target.value.to_string(),
            shown_by: None,
        }],
        EntityKind::Ip | EntityKind::Account | EntityKind::Resource => return Vec::new(),
    };
    if cursors.is_empty() {
        let kind = match target.kind {
            EntityKind::Principal => Kind::Role,
            EntityKind::Session => Kind::Session,
            _ => Kind::User,
        };
        return vec![Chain {
            target: target.clone(),
            links: vec![Link::unknown(
                kind,
                &*target.value,
                "no loaded record names a session or user of it",
            )],
        }];
    }
    cursors
        .into_iter()
        .take(MAX_CHAINS)
        .map(|c| Chain {
            target: target.clone(),
            links: w.walk(c),
        })
        .collect()
}

/// The chain of a record's actor (the key it was made with, else its principal, else the
/// instance it is about): what the record pane's "who" line shows.
pub fn who<'r>(naming: Naming<'_, 'r>, record: &Record) -> Option<Chain> {
    let actor = |kind: EntityKind, ok: &dyn Fn(&str) -> bool| {
        record
            .entities
            .iter()
            .find(|e| e.kind == kind && e.role.is_actor() && ok(&e.value))
    };
    let target = actor(EntityKind::Key, &|_| true)
        .or_else(|| {
            actor(EntityKind::Principal, &|v| {
                !entity::is_role_arn(v) && principal_kind(v).is_some()
            })
        })
        .or_else(|| actor(EntityKind::Instance, &|_| true))?;
    whois(naming, target).into_iter().next()
}

/// The records of `records` that name an entity, through an index of them: what [`whois`] reads.
pub fn naming_in<'r>(
    records: &'r [Record],
    index: &'r PivotIndex,
) -> impl Fn(&Entity) -> Vec<&'r Record> + 'r {
    move |e: &Entity| {
        index
            .lookup(e)
            .iter()
            .filter_map(|&i| records.get(i as usize))
            .collect()
    }
}

/// Where the walk stands: the next identity to explain.
#[derive(Clone)]
enum Cursor<'r> {
    /// A key; `seen` is an event made with it (the one that led here).
    Key {
        key: String,
        seen: Option<&'r Record>,
    },
    /// A session, federated user, user or root ARN, without a key the data ties to it.
    Arn {
        arn: String,
        seen: Option<&'r Record>,
    },
    /// A principal known only by its id (a cross-account caller is logged that way).
    PrincipalId { id: String, account: Option<String> },
    /// An EC2 instance at the start; `shown_by` is the event that named it.
    Instance {
        id: String,
        shown_by: Option<&'r Record>,
    },
}

impl Cursor<'_> {
    fn visit_key(&self) -> (u8, &str) {
        match self {
            Cursor::Key { key, .. } => (0, key),
            Cursor::Arn { arn, .. } => (1, arn),
            Cursor::PrincipalId { id, .. } => (2, id),
            Cursor::Instance { id, .. } => (3, id),
        }
    }
}

/// A CloudTrail event parsed again, with the accessors the walk needs.
struct Event<'r> {
    rec: &'r Record,
    v: Value,
}

impl<'r> Event<'r> {
    fn of(rec: &'r Record) -> Option<Event<'r>> {
        (rec.kind == RecordKind::CloudTrail).then(|| Event {
            rec,
            v: rec.value(),
        })
    }

    fn s(&self, path: &[&str]) -> Option<&str> {
        path.iter()
            .try_fold(&self.v, |v, k| v.get(*k))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    fn name(&self) -> &str {
        self.s(&["eventName"]).unwrap_or("")
    }

    fn uid(&self, field: &str) -> Option<&str> {
        self.s(&["userIdentity", field])
    }

    /// The caller's key, when it is shaped like one (sanitized samples write "ACCESSKEY").
    fn caller_key(&self) -> Option<&str> {
        self.uid("accessKeyId").filter(|k| entity::is_key(k))
    }

    /// The key the call's response hands out or creates.
    fn issued_key(&self) -> Option<&str> {
        let name = self.name();
        if entity::CREDENTIAL_EVENTS.contains(&name) || name == "AssumeRoot" {
            self.s(&["responseElements", "credentials", "accessKeyId"])
        } else if name == "CreateAccessKey" {
            self.s(&["responseElements", "accessKey", "accessKeyId"])
        } else {
            None
        }
    }

    /// The source address, when it is one (not a service name).
    fn from(&self) -> Option<String> {
        self.s(&["sourceIPAddress"])
            .filter(|s| !entity::ips_in(s).is_empty())
            .map(str::to_string)
    }

    /// How rich the caller's identity is: events that name its key and ARN come first (a
    /// cross-account call is logged twice, once with the caller's ARN and key, once with only
    /// its account and id).
    fn caller_detail(&self) -> u8 {
        u8::from(self.caller_key().is_some()) + u8::from(self.uid("arn").is_some())
    }
}

/// What kind of identity an ARN names, for the ones a chain walks through.
fn principal_kind(arn: &str) -> Option<Kind> {
    let entity::Arn {
        service, resource, ..
    } = entity::parse_arn(arn)?;
    match service {
        "sts" if resource.starts_with("assumed-role/") => Some(Kind::Session),
        "sts" if resource.starts_with("federated-user/") => Some(Kind::FederatedUser),
        "iam" if resource.starts_with("user/") => Some(Kind::User),
        "iam" if resource == "root" => Some(Kind::Root),
        _ => None,
    }
}

/// The role name and the session name of an assumed-role ARN.
fn session_parts(arn: &str) -> Option<(&str, &str)> {
    entity::session_parts(arn).map(|(_, _, role, session)| (role, session))
}

fn account_of(arn: &str) -> Option<&str> {
    entity::parse_arn(arn)
        .map(|a| a.account)
        .filter(|a| !a.is_empty())
}

struct Walker<'a, 'r> {
    naming: Naming<'a, 'r>,
}

impl<'r> Walker<'_, 'r> {
    fn naming(&self, kind: EntityKind, value: &str) -> Vec<&'r Record> {
        let mut v = (self.naming)(&Entity::new(kind, value));
        v.sort_by(|a, b| crate::record::timeline_order(a, b));
        v.dedup_by(|a, b| std::ptr::eq(*a, *b));
        v
    }

    fn walk(&self, first: Cursor<'r>) -> Vec<Link> {
        let mut links: Vec<Link> = Vec::new();
        let mut visited: HashSet<(u8, String)> = HashSet::new();
        let mut next = Some(first);
        while let Some(cursor) = next.take() {
            let (k, id) = cursor.visit_key();
            if !visited.insert((k, id.to_string())) {
                let id = id.to_string();
                links.push(Link::unknown(
                    Kind::Key,
                    id,
                    "it leads back into the chain itself (a loop in the data)",
                ));
                break;
            }
            if links.len() >= MAX_LINKS {
                let id = id.to_string();
                links.push(Link::unknown(
                    Kind::Key,
                    id,
                    format!("the chain goes on past {MAX_LINKS} links"),
                ));
                break;
            }
            let (mut more, then) = self.step(cursor);
            links.append(&mut more);
            next = then;
        }
        links
    }

    fn step(&self, cursor: Cursor<'r>) -> (Vec<Link>, Option<Cursor<'r>>) {
        match cursor {
            Cursor::Key { key, seen } => self.key(&key, seen),
            Cursor::Arn { arn, seen } => self.arn(&arn, seen),
            Cursor::PrincipalId { id, account } => self.principal_id(&id, account.as_deref()),
            Cursor::Instance { id, shown_by } => (vec![self.instance(&id, shown_by)], None),
        }
    }

    /// A key: the call that handed it out, else an event made with it, else what GuardDuty says.
    fn key(&self, key: &str, seen: Option<&'r Record>) -> (Vec<Link>, Option<Cursor<'r>>) {
        let records = self.naming(EntityKind::Key, key);
        let issuer = records
            .iter()
            .filter(|r| {
                r.entities.iter().any(|e| {
                    e.kind == EntityKind::Key && *e.value == *key && e.role == EntityRole::Created
                })
            })
            .filter_map(|r| Event::of(r))
            .filter(|e| e.issued_key() == Some(key))
            // The richest caller, and of those the earliest (the list is in time order).
            .fold(None::<Event<'r>>, |best, e| match best {
                Some(b) if b.caller_detail() >= e.caller_detail() => Some(b),
                _ => Some(e),
            });
        if let Some(ev) = issuer {
            return self.issued_by(&ev, key, None);
        }
        let used = |r: &&'r Record| {
            r.entities
                .iter()
                .any(|e| e.kind == EntityKind::Key && *e.value == *key && e.role.is_actor())
        };
        let use_event = seen
            .into_iter()
            .chain(records.iter().copied().filter(used))
            .filter_map(Event::of)
            .find(|e| e.caller_key() == Some(key));
        if let Some(ev) = use_event {
            return self.seen_in_use(&ev, Some(key));
        }
        let finding = records.iter().find(|r| {
            r.kind == RecordKind::GuardDuty
                && r.value()
                    .pointer("/resource/accessKeyDetails/accessKeyId")
                    .and_then(Value::as_str)
                    == Some(key)
        });
        let mut link = Link::unknown(
            Kind::Key,
            key,
            "no loaded CloudTrail event issues this key or is made with it",
        );
        if let Some(f) = finding {
            let v = f.value();
            let akd = |k: &str| {
                v.pointer(&format!("/resource/accessKeyDetails/{k}"))
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_string()
            };
            link.notes.push(format!(
                "a GuardDuty finding names it as {} {} ({})",
                akd("userType"),
                akd("userName"),
                akd("principalId")
            ));
            link.proof = Some(Proof::of(f));
        }
        (vec![link], None)
    }

    /// The link a call that handed out `key` makes, and where its caller leads. `of` is how many
    /// such calls the data holds for the identity (more than one for a reused session name).
    fn issued_by(
        &self,
        ev: &Event<'r>,
        key: &str,
        of: Option<(usize, bool)>,
    ) -> (Vec<Link>, Option<Cursor<'r>>) {
        let name = ev.name().to_string();
        let account = ev
            .s(&["recipientAccountId"])
            .or_else(|| ev.uid("accountId"))
            .unwrap_or("")
            .to_string();
        let partition = ev
            .uid("arn")
            .and_then(entity::parse_arn)
            .map(|a| a.partition)
            .unwrap_or("aws")
            .to_string();
        let (kind, id, how) = match name.as_str() {
            "AssumeRole" | "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" => {
                let id = ev
                    .s(&["responseElements", "assumedRoleUser", "arn"])
                    .map(str::to_string)
                    .or_else(|| {
                        let role = ev.s(&["requestParameters", "roleArn"])?;
                        let session = ev.s(&["requestParameters", "roleSessionName"])?;
                        Some(format!("{role} session {session}"))
                    })
                    .unwrap_or_else(|| key.to_string());
                (Kind::Session, id, How::Issued)
            }
            "GetFederationToken" => {
                let id = ev
                    .s(&["responseElements", "federatedUser", "arn"])
                    .unwrap_or(key)
                    .to_string();
                (Kind::FederatedUser, id, How::Issued)
            }
            "GetSessionToken" => {
                let id = ev.uid("arn").unwrap_or(key).to_string();
                (principal_kind(&id).unwrap_or(Kind::Key), id, How::Issued)
            }
            "AssumeRoot" => {
                let target = ev
                    .s(&["requestParameters", "targetPrincipal"])
                    .unwrap_or("?");
                (
                    Kind::Root,
                    format!("arn:{partition}:iam::{target}:root"),
                    How::Issued,
                )
            }
            _ => {
                // CreateAccessKey: a key of the user named in the response.
                let user = ev
                    .s(&["responseElements", "accessKey", "userName"])
                    .or_else(|| ev.s(&["requestParameters", "userName"]));
                let id = match user {
                    Some(u) if !account.is_empty() => {
                        format!("arn:{partition}:iam::{account}:user/{u}")
                    }
                    Some(u) => u.to_string(),
                    // No user named: the caller made a key of its own.
                    None => ev.uid("arn").unwrap_or(key).to_string(),
                };
                (Kind::User, id, How::Created)
            }
        };
        let mut link = Link::new(kind, id, how);
        link.key = Some(key.to_string());
        link.from = ev.from();
        link.proof = Some(Proof::of(ev.rec));
        if let Some((n, seen)) = of.filter(|(n, _)| *n > 1) {
            link.notes.push(if seen {
                format!("{n} calls in the data issued this session; this is the latest before it was seen")
            } else {
                format!("{n} calls in the data issued this session; this is the latest")
            });
        }
        if let Some(src) = ev
            .s(&["requestParameters", "sourceIdentity"])
            .or_else(|| ev.s(&["userIdentity", "sessionContext", "sourceIdentity"]))
        {
            link.notes.push(format!("source identity {src}"));
        }
        let role_account = account_of(&link.id).map(str::to_string);
        let caller_account = ev.uid("accountId").map(str::to_string);
        if kind == Kind::Session
            && role_account.is_some()
            && caller_account.is_some()
            && role_account != caller_account
        {
            link.notes.push(format!(
                "cross-account: a role of {} assumed from {}",
                role_account.unwrap_or_default(),
                caller_account.unwrap_or_default()
            ));
        }
        self.caller(ev, link)
    }

    /// Where the caller of a credential call leads: the next identity, or the start.
    fn caller(&self, ev: &Event<'r>, mut link: Link) -> (Vec<Link>, Option<Cursor<'r>>) {
        let kind = ev.uid("type").unwrap_or("");
        let session = session_parts(&link.id)
            .map(|(_, s)| s.to_string())
            .or_else(|| {
                ev.s(&["requestParameters", "roleSessionName"])
                    .map(str::to_string)
            });
        let role_arn = ev
            .s(&["requestParameters", "roleArn"])
            .unwrap_or("")
            .to_string();
        match kind {
            "AWSService" => {
                let service = ev
                    .uid("invokedBy")
                    .or_else(|| ev.s(&["sourceIPAddress"]))
                    .unwrap_or("an AWS service")
                    .to_string();
                link.by = Some(service.clone());
                link.from = None;
                match session
                    .clone()
                    .filter(|s| service == "ec2.amazonaws.com" && entity::is_instance_id(s))
                {
                    Some(instance) => (
                        vec![link],
                        Some(Cursor::Instance {
                            id: instance,
                            shown_by: Some(ev.rec),
                        }),
                    ),
                    None => {
                        let mut start = Link::new(Kind::Service, service, How::Start);
                        if let Some(s) = session {
                            start.notes.push(format!("its session is named {s}"));
                        }
                        start.proof = Some(Proof::of(ev.rec));
                        (vec![link, start], None)
                    }
                }
            }
            "SAMLUser" | "WebIdentityUser" => {
                let user = ev
                    .uid("userName")
                    .or_else(|| ev.s(&["responseElements", "subject"]))
                    .or_else(|| ev.s(&["responseElements", "subjectFromWebIdentityToken"]))
                    .or(session.as_deref())
                    .unwrap_or("?")
                    .to_string();
                link.by = Some(user.clone());
                let role_name = role_arn.rsplit('/').next().unwrap_or("");
                let (start_kind, provider) = if kind == "WebIdentityUser" {
                    (
                        Kind::WebIdentityUser,
                        ev.uid("identityProvider")
                            .or_else(|| ev.s(&["responseElements", "provider"])),
                    )
                } else if role_name.starts_with("AWSReservedSSO_") {
                    (
                        Kind::IdentityCenterUser,
                        ev.s(&["requestParameters", "principalArn"]),
                    )
                } else {
                    (Kind::SamlUser, ev.s(&["requestParameters", "principalArn"]))
                };
                let mut start = Link::new(start_kind, user, How::Start);
                if start_kind == Kind::IdentityCenterUser {
                    start.notes.push(format!(
                        "signed in through IAM Identity Center, permission set {}",
                        permission_set(role_name)
                    ));
                }
                if let Some(p) = provider {
                    start.notes.push(format!("identity provider {p}"));
                }
                start.proof = Some(Proof::of(ev.rec));
                (vec![link, start], None)
            }
            "AWSAccount" => {
                let account = ev.uid("accountId").map(str::to_string);
                link.by = Some(format!(
                    "a principal of account {}",
                    account.as_deref().unwrap_or("?")
                ));
                match ev.uid("principalId") {
                    Some(id) => {
                        let id = id.to_string();
                        (vec![link], Some(Cursor::PrincipalId { id, account }))
                    }
                    None => (vec![link], None),
                }
            }
            "IdentityCenterUser" => {
                let user = ev
                    .s(&["userIdentity", "onBehalfOf", "userId"])
                    .or_else(|| ev.uid("userName"))
                    .unwrap_or("?")
                    .to_string();
                link.by = Some(user.clone());
                let mut start = Link::new(Kind::IdentityCenterUser, user, How::Start);
                if let Some(store) = ev.s(&["userIdentity", "onBehalfOf", "identityStoreArn"]) {
                    start.notes.push(format!("identity store {store}"));
                }
                start.proof = Some(Proof::of(ev.rec));
                (vec![link, start], None)
            }
            _ => {
                let arn = ev.uid("arn").map(str::to_string);
                let caller_key = ev.caller_key().map(str::to_string);
                link.by = arn.clone().or_else(|| caller_key.clone());
                if let Some(k) = &caller_key {
                    if let Some(b) = &mut link.by {
                        if b != k {
                            b.push_str(&format!(" with key {k}"));
                        }
                    }
                }
                let next = match (caller_key, arn) {
                    (Some(key), _) => Some(Cursor::Key {
                        key,
                        seen: Some(ev.rec),
                    }),
                    (None, Some(arn)) => Some(Cursor::Arn {
                        arn,
                        seen: Some(ev.rec),
                    }),
                    (None, None) => {
                        link.notes.push("the event does not name its caller".into());
                        None
                    }
                };
                (vec![link], next)
            }
        }
    }

    /// What an event made with an identity's key says of it, when the call that issued the key
    /// is not in the data.
    fn seen_in_use(&self, ev: &Event<'r>, key: Option<&str>) -> (Vec<Link>, Option<Cursor<'r>>) {
        let kind = ev.uid("type").unwrap_or("");
        let arn = ev.uid("arn").map(str::to_string);
        let key = key
            .map(str::to_string)
            .or_else(|| ev.caller_key().map(str::to_string));
        let proof = Some(Proof::of(ev.rec));
        let start = |k: Kind, id: String, notes: Vec<String>| {
            let mut l = Link::new(k, id, How::Start);
            l.key = key.clone();
            l.notes = notes;
            l.proof = proof.clone();
            l
        };
        match kind {
            "IAMUser" | "Root" => {
                let id = arn
                    .or_else(|| ev.uid("userName").map(str::to_string))
                    .unwrap_or_default();
                let what = if kind == "Root" {
                    Kind::Root
                } else {
                    Kind::User
                };
                let mut notes = vec![if kind == "Root" {
                    "the account's root user: a person with its password".to_string()
                } else {
                    "an IAM user: a person or a machine with credentials of its own".to_string()
                }];
                notes.push(match key.as_deref() {
                    Some(k) if k.starts_with("ASIA") => {
                        "its temporary key comes from a GetSessionToken that is not in the data"
                            .to_string()
                    }
                    Some(_) => "how its key was made is not in the data".to_string(),
                    None => "signed in without a key (a console password)".to_string(),
                });
                notes.extend(self.user_made(&id));
                (vec![start(what, id, notes)], None)
            }
            "AssumedRole" => {
                let id = arn.clone().unwrap_or_default();
                let (role, session) = session_parts(&id)
                    .map(|(r, s)| (r.to_string(), s.to_string()))
                    .unwrap_or_default();
                let mut link = Link::new(Kind::Session, id, How::Unknown);
                link.key = key.clone();
                link.proof = proof.clone();
                let ctx = |k: &str| ev.s(&["userIdentity", "sessionContext", k]);
                if role.starts_with("AWSReservedSSO_") {
                    link.how = How::Seen;
                    link.by = Some("IAM Identity Center".into());
                    link.notes
                        .push("the AssumeRoleWithSAML that issued it is not in the data".into());
                    let mut notes = vec![
                        "IAM Identity Center names the session after the user".to_string(),
                        format!("permission set {}", permission_set(&role)),
                    ];
                    if let Some(u) = ev.s(&["userIdentity", "onBehalfOf", "userId"]) {
                        notes.push(format!("user id {u}"));
                    }
                    let mut s = start(Kind::IdentityCenterUser, session, notes);
                    s.key = None;
                    (vec![link, s], None)
                } else if ctx("ec2RoleDelivery").is_some() && entity::is_instance_id(&session) {
                    link.how = How::Seen;
                    link.by = Some("ec2.amazonaws.com".into());
                    link.notes.push(format!(
                        "instance role credentials (ec2RoleDelivery {}); the AssumeRole that issued them is not in the data",
                        ctx("ec2RoleDelivery").unwrap_or("")
                    ));
                    (
                        vec![link],
                        Some(Cursor::Instance {
                            id: session,
                            shown_by: Some(ev.rec),
                        }),
                    )
                } else if let Some(src) = ctx("sourceIdentity") {
                    link.notes
                        .push("the AssumeRole that issued it is not in the data".into());
                    let s = start(
                        Kind::SourceIdentity,
                        src.to_string(),
                        vec![
                            "the source identity set when the first role of this chain was assumed"
                                .into(),
                        ],
                    );
                    (vec![link, Link { key: None, ..s }], None)
                } else {
                    link.notes.push(format!(
                        "the AssumeRole that issued this session of role {role} is not in the data"
                    ));
                    (vec![link], None)
                }
            }
            "FederatedUser" => {
                let id = arn.unwrap_or_default();
                let mut link = Link::new(Kind::FederatedUser, id, How::Seen);
                link.key = key;
                link.proof = proof;
                let issuer = ev.s(&["userIdentity", "sessionContext", "sessionIssuer", "arn"]);
                link.notes
                    .push("the GetFederationToken that issued it is not in the data".into());
                match issuer {
                    Some(user) => {
                        link.by = Some(user.to_string());
                        let user = user.to_string();
                        (
                            vec![link],
                            Some(Cursor::Arn {
                                arn: user,
                                seen: Some(ev.rec),
                            }),
                        )
                    }
                    None => {
                        link.how = How::Unknown;
                        (vec![link], None)
                    }
                }
            }
            "IdentityCenterUser" => {
                let user = ev
                    .s(&["userIdentity", "onBehalfOf", "userId"])
                    .map(str::to_string)
                    .or(arn)
                    .unwrap_or_default();
                let mut notes = Vec::new();
                if let Some(store) = ev.s(&["userIdentity", "onBehalfOf", "identityStoreArn"]) {
                    notes.push(format!("identity store {store}"));
                }
                (vec![start(Kind::IdentityCenterUser, user, notes)], None)
            }
            "AWSService" => {
                let service = ev.uid("invokedBy").unwrap_or("an AWS service").to_string();
                (vec![start(Kind::Service, service, Vec::new())], None)
            }
            "SAMLUser" | "WebIdentityUser" => {
                let k = if kind == "SAMLUser" {
                    Kind::SamlUser
                } else {
                    Kind::WebIdentityUser
                };
                let user = ev.uid("userName").unwrap_or("?").to_string();
                let notes = ev
                    .uid("identityProvider")
                    .map(|p| vec![format!("identity provider {p}")])
                    .unwrap_or_default();
                (vec![start(k, user, notes)], None)
            }
            "AWSAccount" => {
                let account = ev.uid("accountId").map(str::to_string);
                match ev.uid("principalId") {
                    Some(id) => (
                        Vec::new(),
                        Some(Cursor::PrincipalId {
                            id: id.to_string(),
                            account,
                        }),
                    ),
                    None => (
                        vec![Link::unknown(
                            Kind::Key,
                            key.unwrap_or_default(),
                            format!(
                                "used by a principal of account {}",
                                account.unwrap_or_default()
                            ),
                        )],
                        None,
                    ),
                }
            }
            other => {
                let id = arn.or(key.clone()).unwrap_or_default();
                let mut l = Link::unknown(
                    principal_kind(&id).unwrap_or(Kind::Key),
                    id,
                    format!("its identity type '{other}' says no more"),
                );
                l.key = key;
                l.proof = proof;
                (vec![l], None)
            }
        }
    }

    /// An identity known by its ARN only.
    fn arn(&self, arn: &str, seen: Option<&'r Record>) -> (Vec<Link>, Option<Cursor<'r>>) {
        let records = self.naming(EntityKind::Principal, arn);
        match principal_kind(arn) {
            Some(Kind::Session) | Some(Kind::FederatedUser) => {
                // The calls that issued a session of this ARN (a session name can be reused:
                // the latest before it was seen, else the latest).
                let issuers: Vec<Event> = records
                    .iter()
                    .filter(|r| {
                        r.entities.iter().any(|e| {
                            e.kind == EntityKind::Principal
                                && *e.value == *arn
                                && e.role == EntityRole::Created
                        })
                    })
                    .filter_map(|r| Event::of(r))
                    .filter(|e| {
                        e.s(&["responseElements", "assumedRoleUser", "arn"]) == Some(arn)
                            || e.s(&["responseElements", "federatedUser", "arn"]) == Some(arn)
                    })
                    .collect();
                let before = |e: &&Event| match (seen.and_then(|s| s.time), e.rec.time) {
                    (Some(s), Some(t)) => t <= s,
                    _ => true,
                };
                let count = issuers.len();
                let chosen = issuers
                    .iter()
                    .filter(before)
                    .max_by_key(|e| (e.rec.time, e.caller_detail()))
                    .or_else(|| {
                        issuers
                            .iter()
                            .max_by_key(|e| (e.rec.time, e.caller_detail()))
                    });
                if let Some(ev) = chosen {
                    let key = ev.issued_key().unwrap_or("").to_string();
                    return self.issued_by(ev, &key, Some((count, seen.is_some())));
                }
                let use_event = seen
                    .into_iter()
                    .chain(records.iter().copied())
                    .filter_map(Event::of)
                    .find(|e| e.uid("arn") == Some(arn));
                if let Some(ev) = use_event {
                    return self.seen_in_use(&ev, None);
                }
                let kind = principal_kind(arn).unwrap_or(Kind::Session);
                (
                    vec![Link::unknown(
                        kind,
                        arn,
                        "no loaded record issues it or acts as it",
                    )],
                    None,
                )
            }
            Some(kind @ (Kind::User | Kind::Root)) => {
                let use_event = seen
                    .into_iter()
                    .chain(records.iter().copied())
                    .filter_map(Event::of)
                    .find(|e| e.uid("arn") == Some(arn));
                match use_event {
                    // Made with a key: the key's own story (who created it, when the data says).
                    Some(ev) if ev.caller_key().is_some() => {
                        let key = ev.caller_key().unwrap_or_default().to_string();
                        (
                            Vec::new(),
                            Some(Cursor::Key {
                                key,
                                seen: Some(ev.rec),
                            }),
                        )
                    }
                    Some(ev) => self.seen_in_use(&ev, None),
                    None => {
                        let mut l = Link::new(kind, arn, How::Start);
                        l.notes.push(if kind == Kind::Root {
                            "the account's root user: a person with its password".into()
                        } else {
                            "an IAM user: a person or a machine with credentials of its own".into()
                        });
                        l.notes.extend(self.user_made(arn));
                        (vec![l], None)
                    }
                }
            }
            _ => (
                vec![Link::unknown(
                    Kind::Role,
                    arn,
                    "not an identity that holds credentials (a role acts through its sessions)",
                )],
                None,
            ),
        }
    }

    /// Who made an IAM user and its credentials, when the data shows it (said, not followed: the
    /// user acts with credentials of its own, which whoever made them also had in hand).
    fn user_made(&self, arn: &str) -> Vec<String> {
        let user = Entity::new(EntityKind::Principal, arn);
        self.naming(EntityKind::Principal, arn)
            .into_iter()
            .filter(|r| {
                r.entities
                    .iter()
                    .any(|e| e.same(&user) && !e.role.is_actor())
            })
            .filter_map(Event::of)
            .filter_map(|ev| {
                let what = match ev.name() {
                    "CreateUser" => "the user was created".to_string(),
                    "CreateAccessKey" => {
                        format!("its key {} was created", ev.issued_key().unwrap_or("?"))
                    }
                    "CreateLoginProfile" => "its console password was set".to_string(),
                    "UpdateLoginProfile" => "its console password was changed".to_string(),
                    _ => return None,
                };
                Some(format!(
                    "{what} by {} at {} ({}, {}:{})",
                    ev.uid("arn").or_else(|| ev.uid("invokedBy")).unwrap_or("?"),
                    ev.rec.time_string().unwrap_or_default(),
                    ev.name(),
                    ev.rec.origin.object,
                    ev.rec.origin.position
                ))
            })
            .collect()
    }

    /// A principal known by its id: the ARN an event gives it, when one does.
    fn principal_id(&self, id: &str, account: Option<&str>) -> (Vec<Link>, Option<Cursor<'r>>) {
        let named = self
            .naming(EntityKind::PrincipalId, id)
            .into_iter()
            .filter_map(Event::of)
            .find(|e| e.uid("principalId") == Some(id) && e.uid("arn").is_some());
        match named {
            Some(ev) => {
                let arn = ev.uid("arn").unwrap_or_default().to_string();
                let mut link = Link::new(Kind::PrincipalId, id, How::Seen);
                link.by = Some(arn.clone());
                link.notes.push(match account {
                    Some(a) => {
                        format!("the id of a principal of account {a}; this event names its ARN")
                    }
                    None => "this event names its ARN".to_string(),
                });
                link.proof = Some(Proof::of(ev.rec));
                (
                    vec![link],
                    Some(Cursor::Arn {
                        arn,
                        seen: Some(ev.rec),
                    }),
                )
            }
            None => {
                let mut why = "no loaded event names it by ARN".to_string();
                if let Some(a) = account {
                    why = format!("a principal of account {a}; {why}");
                }
                (vec![Link::unknown(Kind::PrincipalId, id, why)], None)
            }
        }
    }

    /// An EC2 instance at the start of a chain, with the GuardDuty findings that name it.
    fn instance(&self, id: &str, shown_by: Option<&'r Record>) -> Link {
        let mut link = Link::new(Kind::Instance, id, How::Start);
        link.notes
            .push("EC2 names the instance's role sessions after it".into());
        link.proof = shown_by.map(Proof::of);
        link.findings = self
            .naming(EntityKind::Instance, id)
            .into_iter()
            .filter(|r| r.kind == RecordKind::GuardDuty)
            .map(Proof::of)
            .collect();
        link
    }

    /// The sessions of a role the data names (issued or acting), newest last.
    fn sessions_of_role(&self, role: &str) -> Vec<Cursor<'r>> {
        let (account, name) =
            entity::iam_name(role, "role/").map_or(("", role), |(_, a, n)| (a, n));
        self.distinct_sessions(EntityKind::Principal, role, |session| {
            account_of(session) == Some(account)
                && session_parts(session).is_some_and(|(r, _)| r == name)
        })
    }

    fn sessions_named(&self, name: &str) -> Vec<Cursor<'r>> {
        self.distinct_sessions(EntityKind::Session, name, |session| {
            session_parts(session).is_some_and(|(_, s)| s == name)
        })
    }

    /// The distinct session ARNs, among the records naming `(kind, value)`, that `wanted` keeps.
    fn distinct_sessions(
        &self,
        kind: EntityKind,
        value: &str,
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<Cursor<'r>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for r in self.naming(kind, value) {
            for e in &r.entities {
                if e.kind == EntityKind::Principal
                    && principal_kind(&e.value) == Some(Kind::Session)
                    && wanted(&e.value)
                    && seen.insert(e.value.clone())
                {
                    out.push(Cursor::Arn {
                        arn: e.value.to_string(),
                        seen: None,
                    });
                }
            }
        }
        out
    }

    /// The IAM users (and other callers) of this name.
    fn users_named(&self, name: &str) -> Vec<Cursor<'r>> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for r in self.naming(EntityKind::User, name) {
            for e in &r.entities {
                let ok = e.kind == EntityKind::Principal
                    && principal_kind(&e.value) == Some(Kind::User)
                    && e.value.rsplit('/').next() == Some(name);
                if ok && seen.insert(e.value.clone()) {
                    out.push(Cursor::Arn {
                        arn: e.value.to_string(),
                        seen: None,
                    });
                }
            }
        }
        out
    }
}

/// `AWSReservedSSO_AdministratorAccess_0123456789abcdef` -> `AdministratorAccess`.
fn permission_set(role: &str) -> &str {
    let rest = role.strip_prefix("AWSReservedSSO_").unwrap_or(role);
    rest.rsplit_once('_').map_or(rest, |(set, _)| set)
}

/// What `trawl whois` keeps while the sources load: every call that hands out or creates a key,
/// every GuardDuty finding (few, and they name instances and keys), every record that names the
/// target, and for each key, principal and principal id the earliest CloudTrail event made as it
/// (a chain reads an identity from one use when the call that issued it is not in the data).
/// Everything else is dropped as it loads.
pub struct Gather {
    target: Entity,
    /// Kind, then value (looked up without building a key), to the earliest record.
    earliest: Mutex<HashMap<EntityKind, HashMap<String, Record>>>,
}

impl Gather {
    pub fn new(target: Entity) -> Arc<Gather> {
        Arc::new(Gather {
            target,
            earliest: Mutex::new(HashMap::new()),
        })
    }

    /// The loader's filter.
    pub fn keep(self: &Arc<Self>) -> Keep {
        let gather = Arc::clone(self);
        Arc::new(move |r: &Record| gather.consider(r))
    }

    fn consider(&self, r: &Record) -> bool {
        if r.kind == RecordKind::GuardDuty
            || r.entities.iter().any(|e| entity::matches(&self.target, e))
        {
            return true;
        }
        if r.kind != RecordKind::CloudTrail {
            return false;
        }
        if r.entities
            .iter()
            .any(|e| e.kind == EntityKind::Key && e.role == EntityRole::Created)
        {
            return true;
        }
        let actors = r.entities.iter().filter(|e| {
            e.role.is_actor()
                && matches!(
                    e.kind,
                    EntityKind::Key | EntityKind::Principal | EntityKind::PrincipalId
                )
        });
        let order = |x: &Record| {
            (
                x.time.is_none(),
                x.time,
                x.origin.object.clone(),
                x.origin.position,
            )
        };
        let mut earliest = self.earliest.lock().unwrap_or_else(|e| e.into_inner());
        for e in actors {
            let by_value = earliest.entry(e.kind).or_default();
            match by_value.get_mut(e.value.as_ref()) {
                Some(kept) if order(kept) <= order(r) => {}
                Some(kept) => *kept = r.clone(),
                None => {
                    by_value.insert(e.value.to_string(), r.clone());
                }
            }
        }
        false
    }

    /// What the loader kept and the earliest uses, once each, on one timeline.
    pub fn records(&self, kept: Vec<Record>) -> Vec<Record> {
        let earliest =
            std::mem::take(&mut *self.earliest.lock().unwrap_or_else(|e| e.into_inner()));
        let mut seen: HashSet<(String, u64)> = kept
            .iter()
            .map(|r| (r.origin.object.to_string(), r.origin.position))
            .collect();
        let mut records = kept;
        let mut extra: Vec<Record> = earliest
            .into_values()
            .flat_map(|m| m.into_values())
            .collect();
        extra.sort_by(crate::record::timeline_order);
        for r in extra {
            if seen.insert((r.origin.object.to_string(), r.origin.position)) {
                records.push(r);
            }
        }
        crate::record::sort_timeline(&mut records);
        records
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");

    /// The records of fixture files (Stratus JSON arrays, corpus JSON Lines), each event at its
    /// file and 1-based position, the way the loader numbers them.
    fn load(files: &[&str]) -> Vec<Record> {
        let mut out = Vec::new();
        for f in files {
            let path = format!("{FIXTURES}/{f}");
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
            let values: Vec<Value> = if f.ends_with(".json") {
                serde_json::from_str(&text).expect("an array")
            } else {
                text.lines()
                    .map(|l| serde_json::from_str(l).expect("a line"))
                    .collect()
            };
            let object: Arc<str> = Arc::from(*f);
            for (i, v) in values.into_iter().enumerate() {
                let origin = Origin {
                    object: object.clone(),
                    position: i as u64 + 1,
                };
                out.extend(Record::from_value(v, origin, None));
            }
        }
        crate::record::sort_timeline(&mut out);
        out
    }

    fn chains(records: &[Record], target: &str) -> Vec<Chain> {
        let index = PivotIndex::build(records);
        let naming = naming_in(records, &index);
        whois(&naming, &entity::parse_target(target).expect("a target"))
    }

    fn one(records: &[Record], target: &str) -> Chain {
        let mut all = chains(records, target);
        assert_eq!(all.len(), 1, "{all:#?}");
        all.remove(0)
    }

    /// (kind, id, key, how, proof event and position) of a link: what a chain says.
    type Step<'a> = (Kind, &'a str, Option<&'a str>, How, Option<(&'a str, u64)>);

    fn steps(chain: &Chain) -> Vec<Step<'_>> {
        chain
            .links
            .iter()
            .map(|l| {
                (
                    l.kind,
                    l.id.as_str(),
                    l.key.as_deref(),
                    l.how,
                    l.proof.as_ref().map(|p| (p.event.as_str(), p.position)),
                )
            })
            .collect()
    }

    const FEDERATION: &str = "stratus/aws.persistence.sts-federation-token.json";
    const BACKDOOR_USER: &str = "stratus/aws.persistence.iam-backdoor-user.json";
    const BACKDOOR_ROLE: &str = "stratus/aws.persistence.iam-backdoor-role.json";
    const LEAVE_ORG: &str = "stratus/aws.defense-evasion.organizations-leave.json";
    const ELASTIC: &str = "corpus/elastic-cloudtrail-events.jsonl";

    #[test]
    fn a_federation_token_leads_to_the_user_that_asked_for_it() {
        let records = load(&[FEDERATION]);
        let chain = one(&records, "ASIASTJKC5GCM7ZE6LUP");
        // Event 1: GetFederationToken by the IAM user, with its long-term key.
        assert_eq!(
            steps(&chain),
            [
                (
                    Kind::FederatedUser,
                    "arn:aws:sts::742491224508:federated-user/stratus_red_team",
                    Some("ASIASTJKC5GCM7ZE6LUP"),
                    How::Issued,
                    Some(("GetFederationToken", 1))
                ),
                (
                    Kind::User,
                    "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user",
                    Some("AKIA6V1GNZTT65XQH36M"),
                    How::Start,
                    Some(("GetFederationToken", 1))
                ),
            ]
        );
        assert_eq!(
            chain.links[0].by.as_deref(),
            Some("arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user with key AKIA6V1GNZTT65XQH36M")
        );
        // The anonymized source address "255.090.254.5" is no address.
        assert_eq!(chain.links[0].from, None);
        assert!(chain.links[1]
            .notes
            .contains(&"how its key was made is not in the data".to_string()));
        assert_eq!(
            chain.summary(),
            "user stratus-red-team-user-federation-user → federated user stratus_red_team"
        );
        // Event 2, made with the federated key: its "who" is the same chain.
        let index = PivotIndex::build(&records);
        let naming = naming_in(&records, &index);
        let call = records
            .iter()
            .find(|r| r.event.as_ref() == "GetCallerIdentity")
            .unwrap();
        assert_eq!(who(&naming, call).expect("a chain").links, chain.links);
    }

    #[test]
    fn a_backdoor_key_leads_to_whoever_created_it() {
        let records = load(&[BACKDOOR_USER]);
        let chain = one(&records, "AKIAL80DWDVKKM0UXEER");
        assert_eq!(
            steps(&chain),
            [
                (
                    Kind::User,
                    "arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user",
                    Some("AKIAL80DWDVKKM0UXEER"),
                    How::Created,
                    Some(("CreateAccessKey", 1))
                ),
                (
                    Kind::User,
                    "arn:aws:iam::946986569305:user/christophe",
                    Some("AKIA30BEZSJBVKOFKZW0"),
                    How::Start,
                    Some(("CreateAccessKey", 1))
                ),
            ]
        );
        assert!(chain.resolved());
        // The user itself: its key was made by christophe (said, not followed).
        let chain = one(
            &records,
            "arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user",
        );
        assert_eq!(chain.links.len(), 1);
        assert_eq!(chain.links[0].how, How::Start);
        assert!(chain.links[0].notes.iter().any(|n| n.starts_with(
            "its key AKIAL80DWDVKKM0UXEER was created by arn:aws:iam::946986569305:user/christophe at 2024-07-30T21:53:13Z (CreateAccessKey"
        )));
    }

    #[test]
    fn a_backdoor_role_has_no_session_yet_and_its_changer_is_an_iam_user() {
        let records = load(&[BACKDOOR_ROLE]);
        // The role was only changed: no session of it is in the data, which is said.
        let chain = one(
            &records,
            "arn:aws:iam::751203476945:role/stratus-red-team-backdoor-r-role",
        );
        assert_eq!(chain.links.len(), 1);
        assert_eq!(chain.links[0].how, How::Unknown);
        assert!(!chain.resolved());
        assert!(chain.summary().starts_with("unknown"));
        // Who changed it: the record pane's "who" of UpdateAssumeRolePolicy.
        let index = PivotIndex::build(&records);
        let naming = naming_in(&records, &index);
        let chain = who(&naming, &records[0]).expect("a chain");
        assert_eq!(
            steps(&chain),
            [(
                Kind::User,
                "arn:aws:iam::751203476945:user/christophe",
                Some("AKIAMUV7B57OZM0RV05D"),
                How::Start,
                Some(("UpdateAssumeRolePolicy", 1))
            )]
        );
    }

    #[test]
    fn each_key_of_a_reused_session_name_has_its_own_assume_role() {
        // Events 1 and 3 both issue the same session ARN, with different keys.
        let records = load(&[LEAVE_ORG]);
        let session = "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000";
        for (key, position) in [("ASIA36EV31F1RB3OA8IG", 1), ("ASIAMOWPWQJ1QHWCWJXJ", 3)] {
            let chain = one(&records, key);
            assert_eq!(
                steps(&chain)[0],
                (
                    Kind::Session,
                    session,
                    Some(key),
                    How::Issued,
                    Some(("AssumeRole", position))
                )
            );
            assert_eq!(
                chain.links[1].id,
                "arn:aws:iam::307578594326:user/christophe"
            );
            assert_eq!(chain.links[1].key.as_deref(), Some("AKIADVISM0T50G52IF0D"));
        }
        // The session by its ARN: the latest of the two calls, and the count said.
        let chain = one(&records, session);
        assert_eq!(chain.links[0].key.as_deref(), Some("ASIA36EV31F1RB3OA8IG"));
        assert!(chain.links[0]
            .notes
            .iter()
            .any(|n| n.starts_with("2 calls")));
        // The role: its one session.
        let chains = chains(
            &records,
            "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role",
        );
        assert_eq!(chains.len(), 1);
        assert_eq!(chains[0].links[0].id, session);
    }

    #[test]
    fn identity_center_and_instance_role_sessions_seen_only_in_use() {
        let records = load(&[ELASTIC]);
        // #2: an AWSReservedSSO session calls AssumeRole with its key; nothing issued that key.
        let chain = one(&records, "ASIAWHOJDLGPOEXAMPLE");
        let sso = "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecurityAudit_8df5ccd37b/firstname.lastname@example.com";
        assert_eq!(
            steps(&chain),
            [
                (
                    Kind::Session,
                    sso,
                    Some("ASIAWHOJDLGPOEXAMPLE"),
                    How::Issued,
                    Some(("AssumeRole", 2))
                ),
                (
                    Kind::Session,
                    sso,
                    Some("AKIAI44QH8DHBEXAMPLE"),
                    How::Seen,
                    Some(("AssumeRole", 2))
                ),
                (
                    Kind::IdentityCenterUser,
                    "firstname.lastname@example.com",
                    None,
                    How::Start,
                    Some(("AssumeRole", 2))
                ),
            ]
        );
        assert!(chain.links[2]
            .notes
            .contains(&"permission set SecurityAudit".to_string()));
        // #5: instance role credentials (ec2RoleDelivery) of i-06815aa7cf7d21f8f; "ACCESSKEY"
        // is no key.
        let chain = one(
            &records,
            "arn:aws:sts::000000000:assumed-role/ec2-instance-role/i-06815aa7cf7d21f8f",
        );
        assert_eq!(
            steps(&chain),
            [
                (
                    Kind::Session,
                    "arn:aws:sts::000000000:assumed-role/ec2-instance-role/i-06815aa7cf7d21f8f",
                    None,
                    How::Seen,
                    Some(("AttachUserPolicy", 5))
                ),
                (
                    Kind::Instance,
                    "i-06815aa7cf7d21f8f",
                    None,
                    How::Start,
                    Some(("AttachUserPolicy", 5))
                ),
            ]
        );
        // #1: EC2 itself assumed the role for the instance.
        let chain = one(&records, "ASIAEXAMPLEEXAMPLE01");
        assert_eq!(chain.links[0].by.as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(chain.links[1].kind, Kind::Instance);
        assert_eq!(chain.links[1].id, "i-0123456789abcdef0");
        // #45: instance role credentials, but "i-example1234567890" is no instance id: the
        // instance is not guessed, the issuer is unknown.
        let chain = one(
            &records,
            "arn:aws-us-gov:sts::111111111111:assumed-role/ExampleRole/i-example1234567890",
        );
        assert_eq!(chain.links.len(), 1);
        assert_eq!(chain.links[0].how, How::Unknown);
        assert_eq!(
            chain.links[0].notes,
            ["the AssumeRole that issued this session of role ExampleRole is not in the data"]
        );
    }

    #[test]
    fn what_no_record_shows_is_unknown() {
        let records = load(&[ELASTIC]);
        // #9: a console sign-in of a role session: nothing shows who assumed the role.
        let chain = one(&records, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(
            steps(&chain),
            [(
                Kind::Session,
                "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
                Some("AKIAIOSFODNN7EXAMPLE"),
                How::Unknown,
                Some(("ConsoleLogin", 9))
            )]
        );
        // A key no record names.
        let chain = one(&records, "AKIAZZZZZZZZZZZZZZZZ");
        assert_eq!(
            steps(&chain),
            [(Kind::Key, "AKIAZZZZZZZZZZZZZZZZ", None, How::Unknown, None)]
        );
        assert_eq!(
            chain.links[0].notes,
            ["no loaded CloudTrail event issues this key or is made with it"]
        );
        assert!(chains(&records, "203.0.113.66").is_empty());
        assert!(chains(&records, "account:111111111111").is_empty());
    }

    #[test]
    fn a_loop_in_hostile_data_ends_the_chain() {
        // Two keys, each issued by a call made with the other.
        let issue = |n: u64, key: &str, with: &str| {
            Record::from_value(
                json!({"eventVersion":"1.08","eventSource":"sts.amazonaws.com","eventName":"GetSessionToken",
                    "eventTime": format!("2024-05-02T0{n}:00:00Z"),
                    "userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/u","accessKeyId":with},
                    "responseElements":{"credentials":{"accessKeyId":key}}}),
                Origin {
                    object: Arc::from("mem://loop"),
                    position: n,
                },
                None,
            )
            .unwrap()
        };
        let records = vec![
            issue(1, "ASIAAAAAAAAAAAAAAAA1", "ASIAAAAAAAAAAAAAAAA2"),
            issue(2, "ASIAAAAAAAAAAAAAAAA2", "ASIAAAAAAAAAAAAAAAA1"),
        ];
        let chain = one(&records, "ASIAAAAAAAAAAAAAAAA1");
        assert_eq!(chain.links.len(), 3);
        assert_eq!(chain.links[2].how, How::Unknown);
        assert!(chain.links[2].notes[0].contains("loop"));
    }

    #[test]
    fn permission_sets_are_read_from_the_role_name() {
        assert_eq!(
            permission_set("AWSReservedSSO_AdministratorAccess_0123456789abcdef"),
            "AdministratorAccess"
        );
        assert_eq!(
            permission_set("AWSReservedSSO_Read_Only_8df5ccd37b"),
            "Read_Only"
        );
    }
}
