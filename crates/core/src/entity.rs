//! Which IPs, access keys and principals a record names, and the principal model that links them.
//!
//! Extraction reads only the fields where AWS puts these things (DESIGN.md section 1); it never
//! walks a record blindly, so a string that merely looks like an IP in a description is not an
//! entity. Every value comes from attacker-controlled logs: the code tolerates any JSON shape and
//! never panics on input.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

pub mod calls;

/// What kind of thing an entity is. Serialized lower-case as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Ip,
    Key,
    Principal,
    PrincipalId,
    Account,
    User,
    Session,
    /// An EC2 instance id (`i-` and 8 or 17 hex digits).
    Instance,
    /// Any other AWS resource a call names: an ARN that is no principal, or an id or name
    /// (`snap-…`, a bucket, a security group, a function).
    Resource,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Ip => "ip",
            EntityKind::Key => "key",
            EntityKind::Principal => "principal",
            EntityKind::PrincipalId => "principal_id",
            EntityKind::Account => "account",
            EntityKind::User => "user",
            EntityKind::Session => "session",
            EntityKind::Instance => "instance",
            EntityKind::Resource => "resource",
        }
    }

    /// The kind a pivot prefix names (`ip:`, `principal_id:`, ...).
    fn from_prefix(prefix: &str) -> Option<EntityKind> {
        Some(match prefix.to_ascii_lowercase().as_str() {
            "ip" => EntityKind::Ip,
            "key" => EntityKind::Key,
            "principal" => EntityKind::Principal,
            "principal_id" | "principal-id" | "principalid" => EntityKind::PrincipalId,
            "account" => EntityKind::Account,
            "user" => EntityKind::User,
            "session" => EntityKind::Session,
            "instance" => EntityKind::Instance,
            "resource" => EntityKind::Resource,
            _ => return None,
        })
    }
}

/// The part an entity plays in the record that names it. Only a CloudTrail call's request and
/// response give an entity another part than `Actor` (who did it, where from, with what).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityRole {
    #[default]
    Actor,
    /// What the call acted on: the user `AttachUserPolicy` changes, the role asked for.
    Target,
    /// What the call brought into being: the user `CreateUser` makes, the key and session
    /// `AssumeRole` hands out, the instances `RunInstances` starts.
    Created,
    /// Who the call gave access to: the other account a snapshot or image is shared with, the
    /// principals a trust or resource policy lets in.
    SharedWith,
}

impl EntityRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityRole::Actor => "actor",
            EntityRole::Target => "target",
            EntityRole::Created => "created",
            EntityRole::SharedWith => "shared_with",
        }
    }

    pub fn is_actor(&self) -> bool {
        *self == EntityRole::Actor
    }
}

/// One thing a record names: an IP, a key, a principal, ... and the part it plays there. JSON
/// Lines carry `{"kind","value"}`, with `"role"` only when it is not the actor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
    /// Shared by the records of an object that name the same value (see `intern`) and by the
    /// pivot index.
    #[serde(serialize_with = "text")]
    pub value: Arc<str>,
    #[serde(skip_serializing_if = "EntityRole::is_actor")]
    pub role: EntityRole,
}

fn text<S: serde::Serializer>(value: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value)
}

impl Entity {
    /// An entity as an actor (what a pivot target is).
    pub fn new(kind: EntityKind, value: impl Into<Arc<str>>) -> Entity {
        Entity {
            kind,
            value: value.into(),
            role: EntityRole::Actor,
        }
    }

    pub fn with_role(mut self, role: EntityRole) -> Entity {
        self.role = role;
        self
    }

    /// The same thing whatever part it plays: kind and value.
    pub fn same(&self, other: &Entity) -> bool {
        self.kind == other.kind && self.value == other.value
    }
}

/// No AWS identifier is longer (ARNs top out at 2048); longer values are junk or an attack on the
/// index, so they are not entities.
const MAX_VALUE_LEN: usize = 2048;

/// Access key id prefixes: long-term user keys, temporary STS keys, and the two rarer ones
/// (bearer tokens, context-specific credentials).
const KEY_PREFIXES: [&str; 4] = ["AKIA", "ASIA", "ABIA", "ACCA"];

/// Unique-id prefixes of users, roles, instance profiles and managed policies.
const PRINCIPAL_ID_PREFIXES: [&str; 4] = ["AIDA", "AROA", "AIPA", "ANPA"];

/// The CloudTrail events whose response hands out temporary credentials: they tie an ASIA key to
/// the role or federated user it acts as.
pub const CREDENTIAL_EVENTS: [&str; 5] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetSessionToken",
    "GetFederationToken",
];

// ---------------------------------------------------------------------------------------------
// Public parsing helpers
// ---------------------------------------------------------------------------------------------

/// A string that may be an IP address ("203.0.113.66", "2001:db8::1", " 81.2.69.142",
/// "[2001:db8::1]", "1.2.3.4:443") -> normalized IP; service names ("ec2.amazonaws.com",
/// "AWS Internal"), "redacted", "" -> None.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    // The longest textual form with brackets, zone and port is well under this.
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        let port_ok = after.is_empty() || after.strip_prefix(':').is_some_and(is_port);
        return if port_ok { parse_bare_ip(inner) } else { None };
    }
    if let Some(ip) = parse_bare_ip(s) {
        return Some(ip);
    }
    // "1.2.3.4:443": a port after an IPv4 address (a bare IPv6 address cannot carry one).
    let (host, port) = s.split_once(':')?;
    if is_port(port) {
        if let Ok(v4) = host.parse() {
            return Some(IpAddr::V4(v4));
        }
    }
    None
}

/// An address without brackets or port; an IPv6 zone ("fe80::1%eth0") is dropped because it only
/// means something on the host that logged it.
fn parse_bare_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let (addr, zone) = s.split_once('%')?;
    if zone.is_empty() || !zone.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
}

fn is_port(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 5
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u32>().is_ok_and(|p| p <= 65535)
}

/// CloudTrail sourceIPAddress may hold a comma-separated list ("81.2.69.142, 192.168.10.10"):
/// every IP in it.
pub fn ips_in(s: &str) -> Vec<IpAddr> {
    // A set, not `Vec::contains`: a hostile list of many addresses must stay linear.
    let mut seen = HashSet::new();
    s.split(',')
        .filter_map(parse_ip)
        .filter(|ip| seen.insert(*ip))
        .collect()
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`. This is trawl's one
/// ARN parser: whatever needs a part of an ARN asks [`parse_arn`] (or the helpers below) rather
/// than splitting on `:` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    /// Empty for global services (IAM, STS's global endpoint, S3 buckets).
    pub region: &'a str,
    /// Empty for S3 buckets and objects, and for AWS-managed policies' `aws`.
    pub account: &'a str,
    /// Everything after the fifth colon, colons and slashes included.
    pub resource: &'a str,
}

/// The parts of `s` when it is an ARN: `arn:`, a partition of lower-case letters and dashes
/// (`aws`, `aws-cn`, `aws-us-gov`), a service and a resource. No trimming: callers trim.
pub fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let arn = Arn {
        partition: parts.next()?,
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    };
    let partition_ok = !arn.partition.is_empty()
        && arn
            .partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-');
    (partition_ok && !arn.service.is_empty() && !arn.resource.is_empty()).then_some(arn)
}

/// The resource part of an ARN (`arn:aws:kms:r:a:key/K` → `key/K`, `arn:aws:s3:::b` → `b`,
/// `arn:aws:sts::A:assumed-role/R/S` → `assumed-role/R/S`), or `s` itself when it is no ARN:
/// the short name of a principal or resource where the account is shown apart.
pub fn arn_resource(s: &str) -> &str {
    parse_arn(s).map_or(s, |a| a.resource)
}

/// (partition, account, role name, session name) of an assumed-role session ARN.
pub fn session_parts(arn: &str) -> Option<(&str, &str, &str, &str)> {
    let a = parse_arn(arn)?;
    if a.service != "sts" || !a.region.is_empty() || a.account.is_empty() {
        return None;
    }
    let (role, session) = a.resource.strip_prefix("assumed-role/")?.split_once('/')?;
    if role.is_empty() || session.is_empty() {
        return None;
    }
    Some((a.partition, a.account, role, session))
}

/// (partition, account, name) of an IAM role or user ARN (`kind` is "role/" or "user/"). The name
/// is the last path segment: IAM names are unique in an account whatever their path, and
/// session ARNs never carry the path.
pub fn iam_name<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str, &'a str)> {
    let a = parse_arn(arn)?;
    if a.service != "iam" || a.account.is_empty() {
        return None;
    }
    let path_and_name = a.resource.strip_prefix(kind)?;
    let name = path_and_name.rsplit('/').next()?;
    (!name.is_empty()).then_some((a.partition, a.account, name))
}

/// Whether `s` is an IAM role ARN (`arn:…:iam::A:role/[path/]R`).
pub fn is_role_arn(s: &str) -> bool {
    parse_arn(s).is_some_and(|a| a.service == "iam" && a.resource.starts_with("role/"))
}

/// Whether the resource part of an IAM or STS ARN names a principal.
fn is_principal_resource(service: &str, r: &str) -> bool {
    match service {
        "iam" => {
            r == "root"
                || r.starts_with("user/")
                || r.starts_with("role/")
                || r.starts_with("instance-profile/")
        }
        "sts" => r.starts_with("assumed-role/") || r.starts_with("federated-user/"),
        _ => false,
    }
}

/// A principal as a list shows it: an ARN without its `arn:aws:service::account:` head (the
/// account is a column of its own), a session as its role and session name, which is what tells
/// sessions apart (`web-app-role/i-0a1b`), `user/alice`; anything else as it is.
pub fn short_principal(p: &str) -> &str {
    let r = arn_resource(p);
    r.strip_prefix("assumed-role/").unwrap_or(r)
}

/// The role ARN an assumed-role session ARN belongs to: arn:aws:sts::A:assumed-role/R/S ->
/// arn:aws:iam::A:role/R (keeping the partition). The session ARN has no path, so neither has
/// the role ARN.
pub fn role_of_session(arn: &str) -> Option<String> {
    let (partition, account, role, _) = session_parts(arn.trim())?;
    Some(format!("arn:{partition}:iam::{account}:role/{role}"))
}

fn is_upper_alnum(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// An AWS access key id: a known prefix, 16 to 128 upper-case letters and digits.
pub fn is_key(s: &str) -> bool {
    (16..=128).contains(&s.len())
        && KEY_PREFIXES.iter().any(|p| s.starts_with(p))
        && is_upper_alnum(s)
}

/// A unique id of a user, role, instance profile or policy, optionally `:session` for a role.
fn is_principal_id(s: &str) -> bool {
    let (id, session) = match s.split_once(':') {
        Some((id, session)) => (id, Some(session)),
        None => (s, None),
    };
    let id_ok = (16..=128).contains(&id.len())
        && PRINCIPAL_ID_PREFIXES.iter().any(|p| id.starts_with(p))
        && is_upper_alnum(id);
    let session_ok = session.is_none_or(|s| !s.is_empty() && !s.contains(char::is_whitespace));
    id_ok && session_ok && (session.is_none() || id.starts_with("AROA"))
}

/// An account id: digits only. Real data holds 12, sanitized samples 9 to 13.
fn is_account(s: &str) -> bool {
    (9..=13).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// An EC2 instance id: `i-` and 8 (older) or 17 hexadecimal digits. EC2 writes them lower-case;
/// anonymized samples mix the case, which is no reason to lose them.
pub fn is_instance_id(s: &str) -> bool {
    s.strip_prefix("i-").is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Parse what a user typed as a pivot target: an optional kind prefix ("ip:", "key:",
/// "principal:", "principal_id:", "account:", "user:", "session:", "instance:", "resource:"),
/// otherwise the kind is told by shape. None for an empty value or an unparsable `ip:`.
pub fn parse_target(s: &str) -> Option<Entity> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Some((prefix, rest)) = s.split_once(':') {
        if let Some(kind) = EntityKind::from_prefix(prefix) {
            let value = rest.trim();
            if value.is_empty() {
                return None;
            }
            return match kind {
                EntityKind::Ip => parse_ip(value).map(|ip| Entity::new(kind, ip.to_string())),
                // Keys are upper-case everywhere AWS writes them.
                EntityKind::Key => Some(Entity::new(kind, value.to_ascii_uppercase())),
                _ => Some(Entity::new(kind, value)),
            };
        }
    }
    if let Some(ip) = parse_ip(s) {
        return Some(Entity::new(EntityKind::Ip, ip.to_string()));
    }
    let kind = if is_key(s) {
        EntityKind::Key
    } else if is_instance_id(s) {
        EntityKind::Instance
    } else if s.starts_with("arn:") {
        EntityKind::Principal
    } else if is_principal_id(s) {
        EntityKind::PrincipalId
    } else if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        EntityKind::Account
    } else {
        EntityKind::User
    };
    Some(Entity::new(kind, s))
}

/// Whether an entity extracted from a record matches a pivot target: equal kind and value; a
/// target role ARN also matches the record's session ARNs of that role and the same role written
/// with or without a path (likewise a user ARN); a target role id "AROAX" matches "AROAX:session".
pub fn matches(target: &Entity, candidate: &Entity) -> bool {
    if target.kind != candidate.kind {
        return false;
    }
    if target.value == candidate.value {
        return true;
    }
    match target.kind {
        EntityKind::Ip => match (parse_ip(&target.value), parse_ip(&candidate.value)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
        EntityKind::Principal => {
            if let Some(role) = iam_name(&target.value, "role/") {
                if let Some((p, a, r, _)) = session_parts(&candidate.value) {
                    return (p, a, r) == role;
                }
                return iam_name(&candidate.value, "role/") == Some(role);
            }
            match iam_name(&target.value, "user/") {
                Some(user) => iam_name(&candidate.value, "user/") == Some(user),
                None => false,
            }
        }
        EntityKind::PrincipalId => {
            let t = target.value.as_ref();
            t.starts_with("AROA")
                && !t.contains(':')
                && candidate
                    .value
                    .strip_prefix(t)
                    .is_some_and(|rest| rest.starts_with(':'))
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// JSON access that cannot panic
// ---------------------------------------------------------------------------------------------

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.get(*key))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str()
}

/// The elements of an array, or nothing when the value is missing or of another type.
fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Account ids are strings in AWS output, but converted data sometimes holds a number.
fn account_at(v: &Value, path: &[&str]) -> Option<String> {
    match at(v, path)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The collector: deduplicates and applies the principal model
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Collector {
    /// Kind and value of every entity so far, once there are too many to scan.
    seen: HashSet<(EntityKind, String)>,
    out: Vec<Entity>,
    /// The part what is pushed now plays (a request or response sets it for its fields).
    role: EntityRole,
    /// The accounts the event happened in: never "shared with" themselves.
    own_accounts: Vec<String>,
}

impl Collector {
    /// Adds an entity unless the record already names it: the first part it was seen in stays
    /// (the caller comes first, so its own user named again as a target stays the actor).
    fn push(&mut self, kind: EntityKind, value: &str) {
        let value = value.trim();
        if value.is_empty() || value.len() > MAX_VALUE_LEN {
            return;
        }
        if self.role == EntityRole::SharedWith
            && kind == EntityKind::Account
            && self.own_accounts.iter().any(|a| a == value)
        {
            return;
        }
        // A record names a handful of entities: a scan beats hashing them. The set takes over
        // for the rare record that names many (hostile ones name thousands).
        const SCAN: usize = 16;
        if self.out.len() < SCAN {
            if self
                .out
                .iter()
                .any(|e| e.kind == kind && *e.value == *value)
            {
                return;
            }
            self.out.push(Entity::new(kind, value).with_role(self.role));
            return;
        }
        if self.seen.is_empty() {
            self.seen
                .extend(self.out.iter().map(|e| (e.kind, e.value.to_string())));
        }
        if self.seen.insert((kind, value.to_string())) {
            self.out.push(Entity::new(kind, value).with_role(self.role));
        }
    }

    /// Runs `f` with `role` as the part pushed entities play.
    fn as_role(&mut self, role: EntityRole, f: impl FnOnce(&mut Collector)) {
        let before = std::mem::replace(&mut self.role, role);
        f(self);
        self.role = before;
    }

    fn finish(mut self) -> Vec<Entity> {
        // Kept for as long as the record is: no spare room.
        self.out.shrink_to_fit();
        self.out
    }

    /// A field that should hold one IP; anything else there is ignored.
    fn ip(&mut self, s: Option<&str>) {
        if let Some(ip) = s.and_then(parse_ip) {
            self.push(EntityKind::Ip, &ip.to_string());
        }
    }

    /// A field that may hold a comma-separated list of IPs.
    fn ip_list(&mut self, s: Option<&str>) {
        for ip in s.map(ips_in).unwrap_or_default() {
            self.push(EntityKind::Ip, &ip.to_string());
        }
    }

    /// An array of IP strings.
    fn ip_array(&mut self, v: Option<&Value>) {
        for item in items(v) {
            self.ip(item.as_str());
        }
    }

    fn key(&mut self, s: Option<&str>) {
        if let Some(s) = s.map(str::trim).filter(|s| is_key(s)) {
            self.push(EntityKind::Key, s);
        }
    }

    fn account(&mut self, s: Option<String>) {
        if let Some(s) = s.as_deref().map(str::trim).filter(|s| is_account(s)) {
            self.push(EntityKind::Account, s);
        }
    }

    fn user(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.push(EntityKind::User, s);
        }
    }

    /// A role session name; EC2 names its instance role sessions after the instance, which
    /// makes the instance an entity too.
    fn session(&mut self, s: Option<&str>) {
        if let Some(s) = s {
            self.push(EntityKind::Session, s);
            self.instance(Some(s));
        }
    }

    /// A field that holds an EC2 instance id; anything else there is ignored.
    fn instance(&mut self, s: Option<&str>) {
        if let Some(s) = s.map(str::trim).filter(|s| is_instance_id(s)) {
            self.push(EntityKind::Instance, s);
        }
    }

    /// An AWS resource named by id, name or ARN.
    fn resource(&mut self, s: Option<&str>) {
        if let Some(s) = s.map(str::trim).filter(|s| !s.contains(char::is_control)) {
            self.push(EntityKind::Resource, s);
        }
    }

    /// A `principalId`: kept as written; a role session id "AROA...:session" also yields the
    /// role id and the session name, so it meets records that name either.
    fn principal_id(&mut self, s: Option<&str>) {
        let Some(s) = s.map(str::trim) else { return };
        self.push(EntityKind::PrincipalId, s);
        if let Some((id, session)) = s.split_once(':') {
            if id.starts_with("AROA") && is_upper_alnum(id) && !session.is_empty() {
                self.push(EntityKind::PrincipalId, id);
                self.session(Some(session));
            }
        }
    }

    /// An ARN from a field that names a principal: any IAM or STS ARN counts. A session ARN also
    /// yields its role ARN and session name, the thread to everything else the role did.
    fn arn(&mut self, s: Option<&str>) {
        let Some(s) = s.map(str::trim) else { return };
        let Some(a) = parse_arn(s) else { return };
        if a.service != "iam" && a.service != "sts" {
            return;
        }
        self.push(EntityKind::Principal, s);
        if let Some(role) = role_of_session(s) {
            // A session brought into being is a session of the role the call acted on.
            let role_part = match self.role {
                EntityRole::Created => EntityRole::Target,
                other => other,
            };
            self.as_role(role_part, |c| c.push(EntityKind::Principal, &role));
        }
        if let Some((_, _, _, session)) = session_parts(s) {
            self.session(Some(session));
        }
    }

    /// An ARN from a list of resources an event touched: principals (users, roles, the root,
    /// instance profiles, sessions) are principals, and what other services own (buckets,
    /// objects, keys, functions) are resources. IAM's and STS's other ARNs (policies, groups,
    /// identity providers) are not entities here: the calls that change them name them in their
    /// requests, where their part is known.
    fn resource_arn(&mut self, s: Option<&str>) {
        let Some(a) = s.map(str::trim).and_then(parse_arn) else {
            return;
        };
        match a.service {
            "iam" | "sts" => {
                if is_principal_resource(a.service, a.resource) {
                    self.arn(s);
                }
            }
            _ => self.resource(s),
        }
    }

    /// A field that may hold an ARN, a unique id or an access key: told apart by shape. Anything
    /// else that is one token is a principal id of some other system (an Identity Center user,
    /// an OCSF producer's own user id).
    fn identity(&mut self, s: Option<&str>) {
        let Some(s) = s.map(str::trim) else { return };
        if s.starts_with("arn:") {
            self.arn(Some(s));
        } else if is_key(s) {
            self.key(Some(s));
        } else if !s.is_empty() && !s.contains(char::is_whitespace) {
            self.principal_id(Some(s));
        }
    }

    /// A uid that is only an entity when it has a recognizable shape (Kubernetes uids are
    /// usually opaque and would link unrelated findings).
    fn identity_if_shaped(&mut self, s: Option<&str>) {
        let Some(s) = s.map(str::trim) else { return };
        if s.starts_with("arn:") {
            self.arn(Some(s));
        } else if is_principal_id(s) {
            self.principal_id(Some(s));
        }
    }

    /// A name field that sometimes holds an ARN instead of a name.
    fn name(&mut self, s: Option<&str>) {
        match s.map(str::trim) {
            Some(s) if s.starts_with("arn:") => self.arn(Some(s)),
            other => self.user(other),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GuardDuty
// ---------------------------------------------------------------------------------------------

/// Entities of a GuardDuty finding, deduplicated, in first-seen order: the remote side first
/// (what the finding is about), then the credentials and principals, then the accounts and the
/// affected instance's own addresses.
pub fn from_guardduty(finding: &Value) -> Vec<Entity> {
    let mut c = Collector::default();
    let action = at(finding, &["service", "action"]);
    let action_of = |name: &str| action.and_then(|a| a.get(name));

    // Remote addresses.
    for name in [
        "awsApiCallAction",
        "networkConnectionAction",
        "kubernetesApiCallAction",
        "rdsLoginAttemptAction",
    ] {
        if let Some(a) = action_of(name) {
            gd_ip_details(&mut c, a.get("remoteIpDetails"));
        }
    }
    for probe in items(action_of("portProbeAction").and_then(|a| a.get("portProbeDetails"))) {
        gd_ip_details(&mut c, probe.get("remoteIpDetails"));
    }
    if let Some(k8s) = action_of("kubernetesApiCallAction") {
        c.ip_array(k8s.get("sourceIPs"));
    }

    // The credentials used and who they belong to.
    let partition = str_at(finding, &["partition"])
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        .unwrap_or("aws");
    let account = account_at(finding, &["accountId"]).filter(|a| is_account(a));
    if let Some(akd) = at(finding, &["resource", "accessKeyDetails"]) {
        c.key(str_at(akd, &["accessKeyId"]));
        c.principal_id(str_at(akd, &["principalId"]));
        let user_name = str_at(akd, &["userName"]).map(str::trim);
        c.user(user_name);
        if let Some(acct) = account.as_deref() {
            match str_at(akd, &["userType"]) {
                // accessKeyDetails names an assumed role by its role name: the same role the
                // CloudTrail session ARNs belong to. ("Role" is what the EKS samples write.)
                Some("AssumedRole" | "Role") => {
                    if let Some(name) = user_name.filter(|n| is_iam_name(n)) {
                        c.push(
                            EntityKind::Principal,
                            &format!("arn:{partition}:iam::{acct}:role/{name}"),
                        );
                    }
                }
                // The root user has one ARN per account, the one CloudTrail writes.
                Some("Root") => c.push(
                    EntityKind::Principal,
                    &format!("arn:{partition}:iam::{acct}:root"),
                ),
                _ => {}
            }
        }
    }
    // Keys recently used from elsewhere (InstanceCredentialExfiltration findings).
    for cred in items(at(
        finding,
        &["service", "additionalInfo", "recentCredentials"],
    )) {
        c.key(str_at(cred, &["accessKeyId"]));
        c.principal_id(str_at(cred, &["principalId"]));
        c.ip(str_at(cred, &["ipAddressV4"]));
        c.ip(str_at(cred, &["ipAddressV6"]));
    }
    if let Some(k8s_user) = at(
        finding,
        &["resource", "kubernetesDetails", "kubernetesUserDetails"],
    ) {
        c.name(str_at(k8s_user, &["username"]));
        c.identity_if_shaped(str_at(k8s_user, &["uid"]));
        for s in items(k8s_user.get("sessionName")) {
            c.session(s.as_str());
        }
        c.name(str_at(k8s_user, &["impersonatedUser", "username"]));
    }
    // Attack sequences name their actors the OCSF way.
    let sequence = at(finding, &["service", "detection", "sequence"]);
    for actor in items(sequence.and_then(|s| s.get("actors"))) {
        if let Some(user) = actor.get("user") {
            c.name(str_at(user, &["name"]));
            c.identity(str_at(user, &["uid"]));
            c.key(str_at(user, &["credentialUid"]));
            c.account(account_at(user, &["account", "uid"]));
        }
        c.arn(str_at(actor, &["session", "issuer"]));
    }
    for endpoint in items(sequence.and_then(|s| s.get("endpoints"))) {
        c.ip(str_at(endpoint, &["ip"]));
    }
    c.arn(str_at(
        finding,
        &["resource", "instanceDetails", "iamInstanceProfile", "arn"],
    ));
    c.instance(str_at(
        finding,
        &["resource", "instanceDetails", "instanceId"],
    ));

    // Accounts.
    c.account(account);
    if let Some(a) = action_of("awsApiCallAction") {
        c.account(account_at(a, &["remoteAccountDetails", "accountId"]));
    }

    // Our side of the connection and the instance's own addresses.
    if let Some(a) = action_of("networkConnectionAction") {
        gd_ip_details(&mut c, a.get("localIpDetails"));
    }
    for probe in items(action_of("portProbeAction").and_then(|a| a.get("portProbeDetails"))) {
        gd_ip_details(&mut c, probe.get("localIpDetails"));
    }
    for nic in items(at(
        finding,
        &["resource", "instanceDetails", "networkInterfaces"],
    )) {
        c.ip(str_at(nic, &["publicIp"]));
        c.ip(str_at(nic, &["privateIpAddress"]));
        for private in items(nic.get("privateIpAddresses")) {
            c.ip(str_at(private, &["privateIpAddress"]));
        }
        c.ip_array(nic.get("ipv6Addresses"));
    }
    // Every other address field, wherever a finding type puts it (runtime, EKS, ECS, attack
    // sequences, the next finding type).
    gd_addresses(&mut c, finding, 0);
    c.finish()
}

/// The field names GuardDuty writes addresses under, as a string or an array of strings.
const GD_ADDRESS_KEYS: [&str; 10] = [
    "ipAddressV4",
    "ipAddressV6",
    "publicIp",
    "privateIpAddress",
    "ipv6Addresses",
    "sourceIPs",
    "sourceIps",
    "ip",
    "ipAddress",
    "publicIpAddress",
];

/// Nesting deeper than any finding has; the decoder refuses documents past 128 levels anyway.
const MAX_WALK_DEPTH: usize = 64;

fn gd_addresses(c: &mut Collector, v: &Value, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if GD_ADDRESS_KEYS.contains(&k.as_str()) {
                    match x {
                        Value::String(s) => c.ip(Some(s)),
                        Value::Array(_) => c.ip_array(Some(x)),
                        _ => gd_addresses(c, x, depth + 1),
                    }
                } else {
                    gd_addresses(c, x, depth + 1);
                }
            }
        }
        Value::Array(items) => {
            for x in items {
                gd_addresses(c, x, depth + 1);
            }
        }
        _ => {}
    }
}

/// `remoteIpDetails` / `localIpDetails`: an IPv4 and/or an IPv6 address.
fn gd_ip_details(c: &mut Collector, details: Option<&Value>) {
    if let Some(d) = details {
        c.ip(str_at(d, &["ipAddressV4"]));
        c.ip(str_at(d, &["ipAddressV6"]));
    }
}

/// A role or user name that can stand in an ARN we build (no separators, no blanks).
fn is_iam_name(s: &str) -> bool {
    !s.is_empty() && !s.contains([':', '/']) && !s.contains(char::is_whitespace)
}

// ---------------------------------------------------------------------------------------------
// CloudTrail
// ---------------------------------------------------------------------------------------------

/// Entities of a CloudTrail event, deduplicated, in first-seen order: the source address, the
/// caller, what the call handed out, the principals it touched, the accounts.
pub fn from_cloudtrail(event: &Value) -> Vec<Entity> {
    let mut c = Collector::default();
    // The account the call acted in first (the one names in requests belong to).
    for path in [&["recipientAccountId"][..], &["userIdentity", "accountId"]] {
        if let Some(a) = account_at(event, path).filter(|a| is_account(a)) {
            if !c.own_accounts.contains(&a) {
                c.own_accounts.push(a);
            }
        }
    }
    c.ip_list(str_at(event, &["sourceIPAddress"]));

    if let Some(uid) = event.get("userIdentity") {
        c.arn(str_at(uid, &["arn"]));
        c.principal_id(str_at(uid, &["principalId"]));
        c.key(str_at(uid, &["accessKeyId"]));
        c.user(str_at(uid, &["userName"]));
        // Usually a service name; an IP when a service called on behalf of an address.
        c.ip(str_at(uid, &["invokedBy"]));
        if let Some(issuer) = at(uid, &["sessionContext", "sessionIssuer"]) {
            c.arn(str_at(issuer, &["arn"]));
            c.principal_id(str_at(issuer, &["principalId"]));
            c.user(str_at(issuer, &["userName"]));
        }
    }

    // What the call's request and response name, each with its part.
    let account = c.own_accounts.first().cloned();
    let call = calls::Call {
        source: str_at(event, &["eventSource"]).unwrap_or(""),
        name: str_at(event, &["eventName"]).unwrap_or(""),
        partition: str_at(event, &["userIdentity", "arn"])
            .and_then(parse_arn)
            .map_or("aws", |a| a.partition),
        account: account.as_deref(),
    };
    calls::collect(
        &mut c,
        &call,
        event.get("requestParameters"),
        event.get("responseElements"),
    );

    c.as_role(EntityRole::Target, |c| {
        for resource in items(event.get("resources")) {
            c.resource_arn(str_at(resource, &["ARN"]));
        }
    });

    c.account(account_at(event, &["userIdentity", "accountId"]));
    c.account(account_at(
        event,
        &[
            "userIdentity",
            "sessionContext",
            "sessionIssuer",
            "accountId",
        ],
    ));
    c.account(account_at(event, &["recipientAccountId"]));
    c.finish()
}

// ---------------------------------------------------------------------------------------------
// OCSF
// ---------------------------------------------------------------------------------------------

/// Entities of an OCSF record (Security Lake), deduplicated, in first-seen order: the source
/// endpoint, the destination, the actor, evidence, observables, the account.
pub fn from_ocsf(record: &Value) -> Vec<Entity> {
    let mut c = Collector::default();
    for side in ["src_endpoint", "dst_endpoint"] {
        if let Some(endpoint) = record.get(side) {
            c.ip(str_at(endpoint, &["ip"]));
            c.ip_array(endpoint.get("intermediate_ips"));
        }
    }
    if let Some(actor) = record.get("actor") {
        ocsf_actor(&mut c, actor);
    }
    for evidence in items(record.get("evidences")) {
        c.ip(str_at(evidence, &["src_endpoint", "ip"]));
        c.ip(str_at(evidence, &["dst_endpoint", "ip"]));
        if let Some(actor) = evidence.get("actor") {
            ocsf_actor(&mut c, actor);
        }
    }
    for side in ["src_endpoint", "dst_endpoint", "device"] {
        c.instance(str_at(record, &[side, "instance_uid"]));
    }
    for observable in items(record.get("observables")) {
        let value = str_at(observable, &["value"]);
        let type_id = observable.get("type_id").and_then(|t| match t {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        });
        let type_name = str_at(observable, &["type"]).unwrap_or("");
        if type_id == Some(2) || type_name.eq_ignore_ascii_case("IP Address") {
            c.ip(value);
        } else if type_id == Some(4) || type_name.eq_ignore_ascii_case("User Name") {
            c.name(value);
        }
    }
    // OCSF puts addresses in many objects (devices, their network interfaces, proxies, load
    // balancers and their endpoints): every `ip` and `intermediate_ips` at any depth.
    ocsf_addresses(&mut c, record, 0);
    c.account(account_at(record, &["cloud", "account", "uid"]));
    c.finish()
}

fn ocsf_addresses(c: &mut Collector, v: &Value, depth: usize) {
    if depth > MAX_WALK_DEPTH {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x) {
                    ("ip", Value::String(s)) => c.ip(Some(s)),
                    ("intermediate_ips", Value::Array(_)) => c.ip_array(Some(x)),
                    _ => ocsf_addresses(c, x, depth + 1),
                }
            }
        }
        Value::Array(items) => {
            for x in items {
                ocsf_addresses(c, x, depth + 1);
            }
        }
        _ => {}
    }
}

/// OCSF `actor`: the user (uid may be an ARN or a principal id), its key and account, and the
/// role that issued its session.
fn ocsf_actor(c: &mut Collector, actor: &Value) {
    if let Some(user) = actor.get("user") {
        c.identity(str_at(user, &["uid"]));
        c.identity(str_at(user, &["uid_alt"]));
        c.name(str_at(user, &["name"]));
        c.key(str_at(user, &["credential_uid"]));
        c.account(account_at(user, &["account", "uid"]));
    }
    if let Some(session) = actor.get("session") {
        c.arn(str_at(session, &["issuer"]));
        c.key(str_at(session, &["credential_uid"]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Read;

    use EntityKind::{Account, Instance, Ip, Key, Principal, PrincipalId, Resource, Session, User};

    /// The shared sample corpus, as copied into the tests' fixtures (see CORPUS-SOURCES.txt there).
    const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/corpus");

    fn read(name: &str) -> Vec<u8> {
        let path = format!("{CORPUS}/{name}");
        std::fs::read(&path).unwrap_or_else(|e| panic!("corpus file {path}: {e}"))
    }

    fn read_gz(name: &str) -> String {
        let mut s = String::new();
        flate2::read::GzDecoder::new(read(name).as_slice())
            .read_to_string(&mut s)
            .expect("gunzip");
        s
    }

    fn doc(name: &str) -> Value {
        serde_json::from_slice(&read(name)).expect("json document")
    }

    /// The records of a JSON Lines file, in line order (line n is index n - 1).
    fn lines(name: &str) -> Vec<Value> {
        String::from_utf8(read(name))
            .expect("utf-8")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect()
    }

    /// Line `n` (1-based, as SOURCES.txt numbers them) of a JSON Lines file.
    fn line(name: &str, n: usize) -> Value {
        lines(name).swap_remove(n - 1)
    }

    fn e(kind: EntityKind, value: &str) -> Entity {
        Entity::new(kind, value)
    }

    /// What a call acted on.
    fn target(kind: EntityKind, value: &str) -> Entity {
        e(kind, value).with_role(EntityRole::Target)
    }

    /// What a call brought into being.
    fn created(kind: EntityKind, value: &str) -> Entity {
        e(kind, value).with_role(EntityRole::Created)
    }

    fn has(entities: &[Entity], kind: EntityKind, value: &str) -> bool {
        entities
            .iter()
            .any(|x| x.kind == kind && *x.value == *value)
    }

    fn of_kind(entities: &[Entity], kind: EntityKind) -> Vec<&str> {
        entities
            .iter()
            .filter(|x| x.kind == kind)
            .map(|x| x.value.as_ref())
            .collect()
    }

    fn assert_no_duplicates(entities: &[Entity]) {
        let set: HashSet<&Entity> = entities.iter().collect();
        assert_eq!(set.len(), entities.len(), "duplicates in {entities:?}");
    }

    // --- parse_ip / ips_in -------------------------------------------------------------------

    #[test]
    fn parse_ip_accepts_and_normalizes() {
        let ok = |s: &str| parse_ip(s).map(|ip| ip.to_string());
        assert_eq!(ok("203.0.113.66").as_deref(), Some("203.0.113.66"));
        assert_eq!(ok(" 81.2.69.142").as_deref(), Some("81.2.69.142"));
        assert_eq!(ok("\t81.2.69.142 \n").as_deref(), Some("81.2.69.142"));
        assert_eq!(ok("1.2.3.4:443").as_deref(), Some("1.2.3.4"));
        assert_eq!(ok("2001:db8::1").as_deref(), Some("2001:db8::1"));
        assert_eq!(ok("2001:DB8:0:0:0:0:0:1").as_deref(), Some("2001:db8::1"));
        assert_eq!(ok("[2001:db8::1]").as_deref(), Some("2001:db8::1"));
        assert_eq!(ok("[2001:db8::1]:8443").as_deref(), Some("2001:db8::1"));
        assert_eq!(ok("[1.2.3.4]").as_deref(), Some("1.2.3.4"));
        assert_eq!(ok("::1").as_deref(), Some("::1"));
        assert_eq!(ok("fe80::1%eth0").as_deref(), Some("fe80::1"));
        // IPv4-mapped IPv6 stays IPv6, written canonically.
        assert_eq!(ok("::FFFF:1.2.3.4").as_deref(), Some("::ffff:1.2.3.4"));
        assert_eq!(ok("::ffff:0102:0304").as_deref(), Some("::ffff:1.2.3.4"));
    }

    #[test]
    fn parse_ip_rejects_what_is_not_one_address() {
        for s in [
            "",
            "   ",
            "AWS Internal",
            "ec2.amazonaws.com",
            "config.amazonaws.com",
            "redacted",
            "-",
            "localhost",
            "1.2.3",
            "256.1.1.1",
            "1.2.3.4.5",
            "1.2.3.4:",
            "1.2.3.4:99999",
            "1.2.3.4:http",
            "1.2.3.4:443:1",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "[2001:db8::1]:",
            "[not-an-ip]",
            "2001:db8::g",
            "fe80::1%",
            "81.2.69.142, 192.168.10.10",
            "HIDDEN_DUE_TO_SECURITY_REASONS",
        ] {
            assert_eq!(parse_ip(s), None, "{s:?}");
        }
        assert_eq!(parse_ip(&"1".repeat(100_000)), None);
        assert_eq!(
            parse_ip(&format!("1.2.3.4{}", " ".repeat(10_000))),
            Some("1.2.3.4".parse().unwrap())
        );
    }

    #[test]
    fn ips_in_reads_every_address_of_a_list() {
        let strs = |s: &str| {
            ips_in(s)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            strs("81.2.69.142, 192.168.10.10"),
            ["81.2.69.142", "192.168.10.10"]
        );
        assert_eq!(strs("81.2.69.142"), ["81.2.69.142"]);
        assert_eq!(
            strs("1.2.3.4,,AWS Internal, 2001:DB8::2 ,1.2.3.4"),
            ["1.2.3.4", "2001:db8::2"]
        );
        assert!(strs("ec2.amazonaws.com").is_empty());
        assert!(strs("AWS Internal").is_empty());
        assert!(strs("redacted").is_empty());
        assert!(strs("").is_empty());
        assert!(strs(",,,").is_empty());
    }

    // --- role_of_session ---------------------------------------------------------------------

    #[test]
    fn role_of_session_keeps_partition_and_account() {
        assert_eq!(
            role_of_session(
                "arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0"
            )
            .as_deref(),
            Some("arn:aws:iam::111111111111:role/ec2-instance-role")
        );
        assert_eq!(
            role_of_session(
                "arn:aws-us-gov:sts::111111111111:assumed-role/ExampleRole/i-example1234567890"
            )
            .as_deref(),
            Some("arn:aws-us-gov:iam::111111111111:role/ExampleRole")
        );
        assert_eq!(
            role_of_session("arn:aws-cn:sts::123456789012:assumed-role/R/S").as_deref(),
            Some("arn:aws-cn:iam::123456789012:role/R")
        );
        // Session names may hold '@', '=', ',', '.', '-'.
        assert_eq!(
            role_of_session(" arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecurityAudit_8df5ccd37b/firstname.lastname@example.com ").as_deref(),
            Some("arn:aws:iam::111111111111:role/AWSReservedSSO_SecurityAudit_8df5ccd37b")
        );
    }

    #[test]
    fn role_of_session_refuses_anything_else() {
        for s in [
            "",
            "arn",
            "arn:aws:sts::123456789:assumed-role/role", // no session (cloudtrail-log-file.json.gz)
            "arn:aws:sts::123456789012:assumed-role//S",
            "arn:aws:sts::123456789012:assumed-role/R/",
            "arn:aws:sts::123456789012:assumed-role/",
            "arn:aws:iam::123456789012:role/R",
            "arn:aws:iam::123456789012:role/path/R",
            "arn:aws:sts::123456789012:federated-user/Bob",
            "arn:aws:sts:us-east-1:123456789012:assumed-role/R/S", // STS ARNs carry no region
            "arn:aws:sts:::assumed-role/R/S",                      // nor lack an account
            "arn::sts::123456789012:assumed-role/R/S",
            "arn:AWS:sts::123456789012:assumed-role/R/S",
            "ARN:aws:sts::123456789012:assumed-role/R/S",
            "arn:aws:s3:::bucket/assumed-role/R/S",
            "assumed-role/R/S",
        ] {
            assert_eq!(role_of_session(s), None, "{s:?}");
        }
    }

    // --- parse_arn and its helpers ----------------------------------------------------------

    #[test]
    fn parse_arn_splits_the_six_parts_and_keeps_colons_in_the_resource() {
        let a = parse_arn("arn:aws-us-gov:logs:us-gov-west-1:111111111111:log-group:/x:*").unwrap();
        assert_eq!(
            (a.partition, a.service, a.region, a.account, a.resource),
            (
                "aws-us-gov",
                "logs",
                "us-gov-west-1",
                "111111111111",
                "log-group:/x:*"
            )
        );
        for s in [
            "",
            "arn",
            "arn:aws:s3:::",
            "arn::s3:::b",
            "arn:AWS:s3:::b",
            "ARN:aws:s3:::b",
        ] {
            assert_eq!(parse_arn(s), None, "{s:?}");
        }
    }

    #[test]
    fn arn_resource_shortens_arns_and_keeps_the_rest() {
        for (s, short) in [
            (
                "arn:aws:sts::1111:assumed-role/web-app-role/i-0a1b",
                "assumed-role/web-app-role/i-0a1b",
            ),
            ("arn:aws:kms:us-east-1:1111:key/K", "key/K"),
            ("arn:aws:s3:::bucket", "bucket"),
            ("AROAEXAMPLE:session", "AROAEXAMPLE:session"),
            ("arn:aws:s3:::", "arn:aws:s3:::"),
        ] {
            assert_eq!(arn_resource(s), short, "{s:?}");
        }
    }

    #[test]
    fn is_role_arn_knows_roles_from_sessions_and_users() {
        assert!(is_role_arn("arn:aws:iam::111122223333:role/service-role/x"));
        assert!(!is_role_arn("arn:aws:sts::111122223333:assumed-role/x/s"));
        assert!(!is_role_arn("arn:aws:iam::111122223333:user/role/x"));
        assert!(!is_role_arn("role/x"));
    }

    // --- parse_target ------------------------------------------------------------------------

    #[test]
    fn parse_target_with_prefix() {
        let t = |s: &str| parse_target(s);
        assert_eq!(t("ip:203.0.113.66"), Some(e(Ip, "203.0.113.66")));
        assert_eq!(t("IP: 2001:DB8::1 "), Some(e(Ip, "2001:db8::1")));
        assert_eq!(t("ip:[2001:db8::1]:443"), Some(e(Ip, "2001:db8::1")));
        assert_eq!(t("ip:not-an-ip"), None);
        assert_eq!(t("ip:AWS Internal"), None);
        assert_eq!(t("ip:"), None);
        assert_eq!(
            t("key:asiawhojdlgpoexample"),
            Some(e(Key, "ASIAWHOJDLGPOEXAMPLE"))
        );
        assert_eq!(t("key:"), None);
        assert_eq!(
            t("principal:arn:aws:iam::111111111111:role/JohnRole2"),
            Some(e(Principal, "arn:aws:iam::111111111111:role/JohnRole2"))
        );
        assert_eq!(
            t("principal_id:AROAEXAMPLE:i-1"),
            Some(e(PrincipalId, "AROAEXAMPLE:i-1"))
        );
        assert_eq!(
            t("principal_id:PRINCIPALID"),
            Some(e(PrincipalId, "PRINCIPALID"))
        );
        assert_eq!(t("account:000000000"), Some(e(Account, "000000000")));
        assert_eq!(
            t("user:system:anonymous"),
            Some(e(User, "system:anonymous"))
        );
        assert_eq!(t("user:123456789012"), Some(e(User, "123456789012")));
        assert_eq!(
            t("session:i-0123456789abcdef0"),
            Some(e(Session, "i-0123456789abcdef0"))
        );
        assert_eq!(t("session:   "), None);
    }

    #[test]
    fn parse_target_by_shape() {
        let t = |s: &str| parse_target(s);
        assert_eq!(t(""), None);
        assert_eq!(t("   "), None);
        assert_eq!(t(" 81.2.69.142 "), Some(e(Ip, "81.2.69.142")));
        assert_eq!(t("2001:db8::1"), Some(e(Ip, "2001:db8::1")));
        assert_eq!(t("::ffff:1.2.3.4"), Some(e(Ip, "::ffff:1.2.3.4")));
        assert_eq!(t("1.2.3.4:443"), Some(e(Ip, "1.2.3.4")));
        assert_eq!(
            t("AKIAI44QH8DHBEXAMPLE"),
            Some(e(Key, "AKIAI44QH8DHBEXAMPLE"))
        );
        assert_eq!(
            t("ASIAJZ3DXJKMP7MG3EKA"),
            Some(e(Key, "ASIAJZ3DXJKMP7MG3EKA"))
        );
        assert_eq!(
            t("arn:aws:sts::111111111111:assumed-role/R/S"),
            Some(e(Principal, "arn:aws:sts::111111111111:assumed-role/R/S"))
        );
        assert_eq!(
            t("AIDACKCEVSQ6C2EXAMPLE"),
            Some(e(PrincipalId, "AIDACKCEVSQ6C2EXAMPLE"))
        );
        assert_eq!(
            t("AROAIN5ATK5U7KEXAMPLE"),
            Some(e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE"))
        );
        assert_eq!(
            t("AROAIN5ATK5U7KEXAMPLE:firstname.lastname@example.com"),
            Some(e(
                PrincipalId,
                "AROAIN5ATK5U7KEXAMPLE:firstname.lastname@example.com"
            ))
        );
        assert_eq!(t("123456789012"), Some(e(Account, "123456789012")));
        // Not twelve digits, not a known shape: a user name.
        assert_eq!(t("12345"), Some(e(User, "12345")));
        assert_eq!(t("Alice"), Some(e(User, "Alice")));
        assert_eq!(t("system:anonymous"), Some(e(User, "system:anonymous")));
        assert_eq!(t("AKIA"), Some(e(User, "AKIA")));
        assert_eq!(
            t("akiai44qh8dhbexample"),
            Some(e(User, "akiai44qh8dhbexample"))
        );
        assert_eq!(t("ec2.amazonaws.com"), Some(e(User, "ec2.amazonaws.com")));
    }

    // --- matches -----------------------------------------------------------------------------

    #[test]
    fn matches_equal_entities_only_within_a_kind() {
        assert!(matches(&e(Ip, "1.2.3.4"), &e(Ip, "1.2.3.4")));
        assert!(!matches(&e(Ip, "1.2.3.4"), &e(Ip, "1.2.3.5")));
        assert!(!matches(&e(User, "1.2.3.4"), &e(Ip, "1.2.3.4")));
        assert!(!matches(
            &e(Account, "123456789012"),
            &e(PrincipalId, "123456789012")
        ));
        // Different spellings of one address are one address.
        assert!(matches(&e(Ip, "2001:db8::1"), &e(Ip, "2001:DB8:0::1")));
        assert!(matches(
            &e(Key, "ASIAWHOJDLGPOEXAMPLE"),
            &e(Key, "ASIAWHOJDLGPOEXAMPLE")
        ));
        assert!(!matches(&e(Session, "S"), &e(Session, "s")));
    }

    #[test]
    fn matches_role_target_against_its_sessions() {
        let role = e(
            Principal,
            "arn:aws:iam::111111111111:role/ec2-instance-role",
        );
        let session = |arn: &str| e(Principal, arn);
        assert!(matches(
            &role,
            &session(
                "arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0"
            )
        ));
        assert!(matches(&role, &role.clone()));
        assert!(!matches(
            &role,
            &session("arn:aws:sts::222222222222:assumed-role/ec2-instance-role/i-1")
        ));
        assert!(!matches(
            &role,
            &session("arn:aws:sts::111111111111:assumed-role/ec2-instance-role2/i-1")
        ));
        assert!(!matches(
            &role,
            &session("arn:aws-us-gov:sts::111111111111:assumed-role/ec2-instance-role/i-1")
        ));
        assert!(!matches(
            &role,
            &session("arn:aws:iam::111111111111:role/ec2")
        ));
        assert!(!matches(
            &role,
            &session("arn:aws:iam::111111111111:user/ec2-instance-role")
        ));
        assert!(!matches(&role, &e(User, "ec2-instance-role")));
        // A session target is narrower than its role: it does not match the role.
        let s =
            session("arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0");
        assert!(!matches(&s, &role));
        assert!(!matches(
            &s,
            &session("arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-other")
        ));
        // Gov partition.
        let gov = e(
            Principal,
            "arn:aws-us-gov:iam::111111111111:role/ExampleRole",
        );
        assert!(matches(
            &gov,
            &session(
                "arn:aws-us-gov:sts::111111111111:assumed-role/ExampleRole/i-example1234567890"
            )
        ));
        assert!(!matches(
            &gov,
            &session("arn:aws:sts::111111111111:assumed-role/ExampleRole/i-example1234567890")
        ));
    }

    #[test]
    fn matches_roles_and_users_whatever_their_path() {
        // CloudTrail writes the issuer with its path, the session ARN (and the role derived from
        // it) without: IAM names are unique in an account, so both name one role.
        let with_path = e(
            Principal,
            "arn:aws:iam::0000000000:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
        );
        let without = e(
            Principal,
            "arn:aws:iam::0000000000:role/AWSServiceRoleForConfig",
        );
        let session = e(
            Principal,
            "arn:aws:sts::0000000000:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe",
        );
        assert!(matches(&with_path, &without));
        assert!(matches(&without, &with_path));
        assert!(matches(&with_path, &session));
        assert!(!matches(
            &with_path,
            &e(
                Principal,
                "arn:aws:iam::0000000000:role/aws-service-role/OtherRole"
            )
        ));
        let user = e(Principal, "arn:aws:iam::123456789012:user/Alice");
        assert!(matches(
            &user,
            &e(
                Principal,
                "arn:aws:iam::123456789012:user/division_abc/Alice"
            )
        ));
        assert!(!matches(
            &user,
            &e(Principal, "arn:aws:iam::123456789012:role/Alice")
        ));
        assert!(!matches(
            &user,
            &e(Principal, "arn:aws:iam::123456789013:user/Alice")
        ));
        // Garbage never matches anything but itself.
        assert!(matches(&e(Principal, "arn:"), &e(Principal, "arn:")));
        assert!(!matches(
            &e(Principal, "arn:aws:iam::1:role/"),
            &e(Principal, "arn:aws:iam::1:role/x")
        ));
    }

    #[test]
    fn matches_role_id_against_its_session_ids() {
        let id = e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE");
        assert!(matches(
            &id,
            &e(
                PrincipalId,
                "AROAIN5ATK5U7KEXAMPLE:firstname.lastname@example.com"
            )
        ));
        assert!(matches(&id, &e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE")));
        assert!(!matches(&id, &e(PrincipalId, "AROAIN5ATK5U7KEXAMPLEX:s")));
        assert!(!matches(&id, &e(PrincipalId, "AROAIN5ATK5U7KEXAMPL:s")));
        assert!(!matches(&id, &e(Session, "AROAIN5ATK5U7KEXAMPLE:s")));
        // A session id target is exact; a root id does not stretch to federated ids.
        assert!(!matches(
            &e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE:a"),
            &e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE:b")
        ));
        assert!(!matches(
            &e(PrincipalId, "123456789012"),
            &e(PrincipalId, "123456789012:Bob")
        ));
    }

    // --- serialization -----------------------------------------------------------------------

    #[test]
    fn kinds_serialize_as_their_names() {
        for kind in [Ip, Key, Principal, PrincipalId, Account, User, Session] {
            let json = serde_json::to_value(kind).expect("serialize");
            assert_eq!(json, Value::String(kind.as_str().to_string()));
        }
        let entity = e(PrincipalId, "AROAEXAMPLE");
        assert_eq!(
            serde_json::to_string(&entity).expect("serialize"),
            r#"{"kind":"principal_id","value":"AROAEXAMPLE"}"#
        );
    }

    // --- CloudTrail corpus -------------------------------------------------------------------

    const EVENTS: &str = "elastic-cloudtrail-events.jsonl";

    #[test]
    fn cloudtrail_corpus_has_46_events_and_no_duplicates() {
        let events = lines(EVENTS);
        assert_eq!(events.len(), 46);
        for (i, event) in events.iter().enumerate() {
            let entities = from_cloudtrail(event);
            assert_no_duplicates(&entities);
            // Whenever sourceIPAddress is an address, it is the record's first IP.
            if let Some(first) = event["sourceIPAddress"]
                .as_str()
                .and_then(|s| ips_in(s).first().copied())
            {
                let ips = of_kind(&entities, Ip);
                assert_eq!(
                    ips.first().copied(),
                    Some(first.to_string().as_str()),
                    "event #{}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn cloudtrail_assume_role_by_a_service_links_key_and_role() {
        // #1: AssumeRole by ec2.amazonaws.com (not an IP) for an instance.
        assert_eq!(
            from_cloudtrail(&line(EVENTS, 1)),
            vec![
                created(Key, "ASIAEXAMPLEEXAMPLE01"),
                created(
                    Principal,
                    "arn:aws:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0"
                ),
                target(
                    Principal,
                    "arn:aws:iam::111111111111:role/ec2-instance-role"
                ),
                created(Session, "i-0123456789abcdef0"),
                // EC2 names the session after the instance.
                created(Instance, "i-0123456789abcdef0"),
                created(PrincipalId, "AROAEXAMPLEEXAMPLE01:i-0123456789abcdef0"),
                created(PrincipalId, "AROAEXAMPLEEXAMPLE01"),
                e(Account, "111111111111"),
            ]
        );
    }

    #[test]
    fn cloudtrail_assume_role_by_an_sso_session() {
        // #2: the caller is an SSO session; the response hands out an ASIA key.
        assert_eq!(
            from_cloudtrail(&line(EVENTS, 2)),
            vec![
                e(Ip, "81.2.69.144"),
                e(Principal, "arn:aws:sts::111111111111:assumed-role/AWSReservedSSO_SecurityAudit_8df5ccd37b/firstname.lastname@example.com"),
                e(Principal, "arn:aws:iam::111111111111:role/AWSReservedSSO_SecurityAudit_8df5ccd37b"),
                e(Session, "firstname.lastname@example.com"),
                e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE:firstname.lastname@example.com"),
                e(PrincipalId, "AROAIN5ATK5U7KEXAMPLE"),
                e(Key, "AKIAI44QH8DHBEXAMPLE"),
                e(User, "AWSReservedSSO_SecurityAudit_8df5ccd37b"),
                created(Key, "ASIAWHOJDLGPOEXAMPLE"),
                created(PrincipalId, "AROAIFR7WHDTSOYQYHFUE:firstname.lastname@example.com"),
                created(PrincipalId, "AROAIFR7WHDTSOYQYHFUE"),
                target(Principal, "arn:aws:iam::111111111111:role/JohnRole2"),
                e(Account, "111111111111"),
            ]
        );
    }

    #[test]
    fn cloudtrail_assume_role_with_tags_and_resources() {
        // #3: the caller's session, its issuer, the new session and the requested role.
        let ents = from_cloudtrail(&line(EVENTS, 3));
        for arn in [
            "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1",
            "arn:aws:iam::111111111111:role/JohnDoe", // derived from the caller's session
            "arn:aws:iam::111111111111:role/JohnRole1", // the issuer as written
            "arn:aws:sts::111111111111:assumed-role/test-role/Role2WithTags",
            "arn:aws:iam::111111111111:role/test-role",
            "arn:aws:iam::111111111111:role/JohnRole2",
            "arn:aws:iam::111122223333:role/JohnRole2", // resources[].ARN
        ] {
            assert!(has(&ents, Principal, arn), "{arn}");
        }
        assert_eq!(of_kind(&ents, Session), ["JohnRole1", "Role2WithTags"]);
        assert_eq!(
            of_kind(&ents, Key),
            ["AKIAI44QH8DHBEXAMPLE", "ASIAWHOJDLGPOEXAMPLE"]
        );
        assert_eq!(of_kind(&ents, User), ["JohnDoe"]);
        assert_eq!(of_kind(&ents, Ip), ["81.2.69.144"]);
        // #4: a SAML provider among the resources is not a principal.
        let ents = from_cloudtrail(&line(EVENTS, 4));
        assert!(has(
            &ents,
            Principal,
            "arn:aws:iam::444455556666:role/SAMLTestRoleShibboleth"
        ));
        assert!(!ents.iter().any(|x| x.value.contains("saml-provider")));
    }

    #[test]
    fn cloudtrail_console_login_by_an_iam_user() {
        // #7: no recipientAccountId, no key.
        assert_eq!(
            from_cloudtrail(&line(EVENTS, 7)),
            vec![
                e(Ip, "89.160.20.156"),
                e(Principal, "arn:aws:iam::111122223333:user/JohnDoe"),
                e(PrincipalId, "AIDACKCEVSQ6C2EXAMPLE"),
                e(User, "JohnDoe"),
                e(Account, "111122223333"),
            ]
        );
    }

    #[test]
    fn cloudtrail_sanitized_values_are_kept_only_when_shaped() {
        // #11 CopyObject: "ACCESSKEYID" is no access key, but is a principalId value; S3 ARNs
        // are not principals.
        let ents = from_cloudtrail(&line(EVENTS, 11));
        assert!(of_kind(&ents, Key).is_empty());
        assert_eq!(of_kind(&ents, PrincipalId), ["ACCESSKEYID"]);
        assert_eq!(
            of_kind(&ents, Principal),
            ["arn:aws:iam::000000000:user/test@elastic.co"]
        );
        assert_eq!(of_kind(&ents, Account), ["000000000"]);
        assert_eq!(of_kind(&ents, Ip), ["216.160.83.56"]);
        // #23 DisableKey: a real-shaped key; the KMS key ARN is not a principal.
        let ents = from_cloudtrail(&line(EVENTS, 23));
        assert_eq!(of_kind(&ents, Key), ["AKIA2IBR2EZTHFZAVHXQ"]);
        assert_eq!(
            of_kind(&ents, Principal),
            ["arn:aws:iam::1010101010101:user/testcloudtrail@elastic.co"]
        );
        assert_eq!(of_kind(&ents, Account), ["1010101010101"]);
    }

    #[test]
    fn cloudtrail_service_role_with_a_path() {
        // #24: config.amazonaws.com calls as a service-linked role (issuer ARN has a path).
        let ents = from_cloudtrail(&line(EVENTS, 24));
        assert_eq!(
            ents,
            vec![
                e(Principal, "arn:aws:sts::0000000000:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe"),
                e(Principal, "arn:aws:iam::0000000000:role/AWSServiceRoleForConfig"),
                e(Session, "AWSConfig-Describe"),
                e(PrincipalId, "PRINCIPALID:AWSConfig-Describe"),
                e(Principal, "arn:aws:iam::0000000000:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"),
                e(PrincipalId, "PRINCIPALID"),
                e(User, "AWSServiceRoleForConfig"),
                // resources[]: the bucket whose policy it read.
                target(Resource, "arn:aws:s3:::threat-scenario-flow-log-bucket-23456"),
                e(Account, "0000000000"),
            ]
        );
        // Pivoting on the role as IAM writes it finds the session and the derived role.
        let target = parse_target("arn:aws:iam::0000000000:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig")
            .expect("target");
        assert_eq!(ents.iter().filter(|c| matches(&target, c)).count(), 3);
        // #39: an SSO role under aws-reserved/sso.amazonaws.com/<region>/.
        let ents = from_cloudtrail(&line(EVENTS, 39));
        let target = e(Principal, "arn:aws:iam::001122334455:role/SomeRole");
        assert!(has(
            &ents,
            Principal,
            "arn:aws:iam::001122334455:role/aws-reserved/sso.amazonaws.com/eu-west-1/SomeRole"
        ));
        assert!(has(&ents, Session, "some.user@my.company.com"));
        assert_eq!(ents.iter().filter(|c| matches(&target, c)).count(), 3);
    }

    #[test]
    fn cloudtrail_address_list_and_saml_user() {
        // #38: sourceIPAddress "81.2.69.142, 192.168.10.10".
        assert_eq!(
            from_cloudtrail(&line(EVENTS, 38)),
            vec![
                e(Ip, "81.2.69.142"),
                e(Ip, "192.168.10.10"),
                e(User, "some.user@my.company.com"),
                e(Account, "001122334455"),
            ]
        );
    }

    #[test]
    fn cloudtrail_gov_partition() {
        // #45: aws-us-gov; "ASIAEXAMPLE" is 11 characters, too short to be an access key id.
        assert_eq!(
            from_cloudtrail(&line(EVENTS, 45)),
            vec![
                e(Ip, "81.2.69.144"),
                e(
                    Principal,
                    "arn:aws-us-gov:sts::111111111111:assumed-role/ExampleRole/i-example1234567890"
                ),
                e(
                    Principal,
                    "arn:aws-us-gov:iam::111111111111:role/ExampleRole"
                ),
                e(Session, "i-example1234567890"),
                e(PrincipalId, "AROAEXAMPLE:i-example1234567890"),
                e(PrincipalId, "AROAEXAMPLE"),
                e(User, "ExampleRole"),
                e(Account, "111111111111"),
            ]
        );
    }

    #[test]
    fn cloudtrail_events_that_name_nothing() {
        // #41: a three-field fragment; #46: Identity Center, everything "redacted" or empty.
        assert_eq!(from_cloudtrail(&line(EVENTS, 41)), vec![]);
        assert_eq!(from_cloudtrail(&line(EVENTS, 46)), vec![]);
    }

    #[test]
    fn cloudtrail_log_file_envelope() {
        let file: Value =
            serde_json::from_str(&read_gz("cloudtrail-log-file.json.gz")).expect("json");
        let records = file["Records"].as_array().expect("Records");
        assert_eq!(records.len(), 2);
        // An AWS service assumes a role: "ACCESSKEYID" is no key; ec2.amazonaws.com no IP.
        assert_eq!(
            from_cloudtrail(&records[0]),
            vec![
                target(Principal, "arn:aws:iam::123456789:role/rolename"),
                e(Account, "123456789")
            ]
        );
        // "AWS Internal" is no IP; the session ARN lacks its session part, so no role is derived.
        assert_eq!(
            from_cloudtrail(&records[1]),
            vec![
                e(Principal, "arn:aws:sts::123456789:assumed-role/role"),
                e(PrincipalId, "ID:i-instanceid"),
                e(Principal, "arn:aws:iam::123456789:role/rolename"),
                e(PrincipalId, "ID"),
                e(User, "username"),
                target(
                    Resource,
                    "arn:aws:ecr:eu-west-3:123456789:repository/repositoryName"
                ),
                e(Account, "123456789"),
            ]
        );
    }

    #[test]
    fn cloudtrail_envelope_and_lines_agree() {
        let file: Value =
            serde_json::from_str(&read_gz("elastic-cloudtrail-records.json.gz")).expect("json");
        let records = file["Records"].as_array().expect("Records");
        let events = lines(EVENTS);
        assert_eq!(records.len(), events.len());
        for (record, event) in records.iter().zip(&events) {
            assert_eq!(from_cloudtrail(record), from_cloudtrail(event));
        }
    }

    #[test]
    fn cloudtrail_credential_events_not_in_the_corpus() {
        let create_key = json!({
            "eventName": "CreateAccessKey",
            "sourceIPAddress": "2001:DB8::7",
            "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root", "principalId": "123456789012", "accountId": "123456789012"},
            "requestParameters": {"userName": "backdoor"},
            "responseElements": {"accessKey": {"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "userName": "backdoor", "status": "Active"}}
        });
        assert_eq!(
            from_cloudtrail(&create_key),
            vec![
                e(Ip, "2001:db8::7"),
                e(Principal, "arn:aws:iam::123456789012:root"),
                e(PrincipalId, "123456789012"),
                created(Key, "AKIAIOSFODNN7EXAMPLE"),
                target(User, "backdoor"),
                target(Principal, "arn:aws:iam::123456789012:user/backdoor"),
                e(Account, "123456789012"),
            ]
        );
        let federation = json!({
            "eventName": "GetFederationToken",
            "sourceIPAddress": "198.51.100.9",
            "responseElements": {
                "credentials": {"accessKeyId": "ASIAIOSFODNN7EXAMPLE"},
                "federatedUser": {"federatedUserId": "123456789012:Bob", "arn": "arn:aws:sts::123456789012:federated-user/Bob"}
            }
        });
        assert_eq!(
            from_cloudtrail(&federation),
            vec![
                e(Ip, "198.51.100.9"),
                created(Key, "ASIAIOSFODNN7EXAMPLE"),
                created(Principal, "arn:aws:sts::123456789012:federated-user/Bob"),
                created(PrincipalId, "123456789012:Bob"),
            ]
        );
        // The same response fields in an ordinary event are not read.
        let other = json!({"eventName": "ListUsers", "responseElements": {"credentials": {"accessKeyId": "ASIAIOSFODNN7EXAMPLE"}}});
        assert_eq!(from_cloudtrail(&other), vec![]);
    }

    // --- GuardDuty corpus --------------------------------------------------------------------

    const FINDINGS: &str = "test-guardduty.log";
    const MORE_FINDINGS: &str = "test-guard_duty.log";

    #[test]
    fn guardduty_dns_finding_names_the_instance() {
        // Line 1: DNS_REQUEST has no remote address; the instance's addresses and profile.
        assert_eq!(
            from_guardduty(&line(FINDINGS, 1)),
            vec![
                e(
                    Principal,
                    "arn:aws:iam::123412341234:example/instance/profile"
                ),
                e(Instance, "i-99999999"),
                e(Account, "123412341234"),
                e(Ip, "175.16.199.1"),
            ]
        );
    }

    #[test]
    fn guardduty_kubernetes_findings() {
        // Line 2: anonymous Kubernetes access from 175.16.199.1 (remoteIpDetails and sourceIPs).
        assert_eq!(
            from_guardduty(&line(FINDINGS, 2)),
            vec![
                e(Ip, "175.16.199.1"),
                e(User, "system:anonymous"),
                e(Account, "123412341234")
            ]
        );
        // Line 3: accessKeyDetails with placeholder values; userType "Role" names a role.
        // "GeneratedFindingAccessKeyId" is not shaped like a key; "GeneratedFindingUID" is opaque.
        assert_eq!(
            from_guardduty(&line(FINDINGS, 3)),
            vec![
                e(Ip, "175.16.199.1"),
                e(PrincipalId, "GeneratedFindingPrincipalId"),
                e(User, "GeneratedFindingUserName"),
                e(
                    Principal,
                    "arn:aws:iam::123412341234:role/GeneratedFindingUserName"
                ),
                e(Account, "123412341234"),
            ]
        );
    }

    #[test]
    fn guardduty_rds_and_runtime_findings() {
        // Line 4: RDS login from 175.16.199.1; the DB user is not an AWS principal.
        assert_eq!(
            from_guardduty(&line(FINDINGS, 4)),
            vec![e(Ip, "175.16.199.1"), e(Account, "123412341234")]
        );
        // Line 5: runtime finding, empty action; nine-digit account as written.
        assert_eq!(
            from_guardduty(&line(FINDINGS, 5)),
            vec![
                e(
                    Principal,
                    "arn:aws:iam::abcd1234:instance-profile/buildserver_profile"
                ),
                e(Instance, "i-abcd1234"),
                e(Account, "123456789"),
                e(Ip, "216.160.83.56"),
                e(Ip, "10.30.30.15"),
            ]
        );
        // Line 6: the trailing {"findings":[]} is not a finding and names nothing.
        assert_eq!(from_guardduty(&line(FINDINGS, 6)), vec![]);
    }

    #[test]
    fn guardduty_root_credential_usage() {
        // Lines 103 and 104: the root user's temporary keys used from 81.2.69.144.
        for (n, key) in [(103, "ASIAJZ3DXJKMP7MG3EKA"), (104, "ASIAIVZZF5WVGTXTJ2TQ")] {
            assert_eq!(
                from_guardduty(&line(MORE_FINDINGS, n)),
                vec![
                    e(Ip, "81.2.69.144"),
                    e(Key, key),
                    e(PrincipalId, "973743533182"),
                    e(User, "Root"),
                    e(Principal, "arn:aws:iam::973743533182:root"),
                    e(Account, "973743533182"),
                ],
                "line {n}"
            );
        }
    }

    #[test]
    fn guardduty_port_probe_and_exfiltration() {
        // Line 24: two probes (81.2.69.144, 198.51.100.1) of 10.0.0.23; the instance is 10.0.0.1.
        let ents = from_guardduty(&line(MORE_FINDINGS, 24));
        assert_eq!(
            of_kind(&ents, Ip),
            ["81.2.69.144", "198.51.100.1", "10.0.0.23", "10.0.0.1"]
        );
        // Line 101: credentials used from another account, and where else they were used.
        let ents = from_guardduty(&line(MORE_FINDINGS, 101));
        assert_eq!(of_kind(&ents, Account), ["973743533182", "123456789012"]);
        assert_eq!(
            of_kind(&ents, Ip),
            ["81.2.69.144", "198.51.100.1", "10.0.0.1"]
        );
        assert_eq!(
            of_kind(&ents, PrincipalId),
            [
                "GeneratedFindingPrincipalId",
                "GeneratedFindingPrincipalId1",
                "GeneratedFindingPrincipalId2",
                "GeneratedFindingPrincipalId3",
                "GeneratedFindingPrincipalId4",
            ]
        );
    }

    #[test]
    fn guardduty_corpus_every_finding() {
        let findings = lines(MORE_FINDINGS);
        assert_eq!(findings.len(), 104);
        for (i, finding) in findings.iter().enumerate() {
            let ents = from_guardduty(finding);
            assert_no_duplicates(&ents);
            assert!(has(&ents, Account, "973743533182"), "line {}", i + 1);
            // The remote address, when there is one, comes first (the record's IP column).
            let action = &finding["service"]["action"];
            let remote = [
                "awsApiCallAction",
                "networkConnectionAction",
                "kubernetesApiCallAction",
            ]
            .iter()
            .find_map(|a| action[a]["remoteIpDetails"]["ipAddressV4"].as_str());
            if let Some(remote) = remote {
                assert_eq!(
                    of_kind(&ents, Ip).first().copied(),
                    Some(remote),
                    "line {}",
                    i + 1
                );
            }
        }
    }

    #[test]
    fn guardduty_assumed_role_meets_cloudtrail() {
        // The principal model end to end: a finding about a role's key and the CloudTrail event
        // the same session wrote share the role, the key and the session.
        let finding = json!({
            "accountId": "111111111111",
            "partition": "aws-cn",
            "resource": {"accessKeyDetails": {
                "accessKeyId": "ASIAEXAMPLEEXAMPLE01",
                "principalId": "AROAEXAMPLEEXAMPLE01:i-0123456789abcdef0",
                "userName": "ec2-instance-role",
                "userType": "AssumedRole"
            }},
            "service": {"action": {"awsApiCallAction": {"remoteIpDetails": {"ipAddressV6": "2001:DB8::66"}}}}
        });
        let ents = from_guardduty(&finding);
        assert_eq!(
            ents,
            vec![
                e(Ip, "2001:db8::66"),
                e(Key, "ASIAEXAMPLEEXAMPLE01"),
                e(PrincipalId, "AROAEXAMPLEEXAMPLE01:i-0123456789abcdef0"),
                e(PrincipalId, "AROAEXAMPLEEXAMPLE01"),
                e(Session, "i-0123456789abcdef0"),
                e(Instance, "i-0123456789abcdef0"),
                e(User, "ec2-instance-role"),
                e(
                    Principal,
                    "arn:aws-cn:iam::111111111111:role/ec2-instance-role"
                ),
                e(Account, "111111111111"),
            ]
        );
        let event = json!({
            "eventName": "DescribeInstances",
            "sourceIPAddress": "203.0.113.66",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws-cn:sts::111111111111:assumed-role/ec2-instance-role/i-0123456789abcdef0",
                "principalId": "AROAEXAMPLEEXAMPLE01:i-0123456789abcdef0",
                "accessKeyId": "ASIAEXAMPLEEXAMPLE01"
            }
        });
        let trail = from_cloudtrail(&event);
        let role =
            parse_target("arn:aws-cn:iam::111111111111:role/ec2-instance-role").expect("target");
        assert!(ents.iter().any(|c| matches(&role, c)));
        assert!(trail.iter().any(|c| matches(&role, c)));
        for shared in [
            e(Key, "ASIAEXAMPLEEXAMPLE01"),
            e(Session, "i-0123456789abcdef0"),
            e(Instance, "i-0123456789abcdef0"),
            e(PrincipalId, "AROAEXAMPLEEXAMPLE01"),
            e(
                Principal,
                "arn:aws-cn:iam::111111111111:role/ec2-instance-role",
            ),
        ] {
            assert!(
                ents.contains(&shared) && trail.contains(&shared),
                "{shared:?}"
            );
        }
    }

    #[test]
    fn guardduty_addresses_wherever_a_finding_type_puts_them() {
        // An attack sequence's resources (ResourceV2 in the API reference): an EC2 network
        // interface with its public, private and IPv6 addresses, none of them at a path the
        // older finding types use.
        let finding = json!({
            "accountId": "111111111111",
            "service": {"detection": {"sequence": {"resources": [{
                "uid": "eni-0123456789abcdef0",
                "resourceType": "EC2_NETWORK_INTERFACE",
                "data": {"ec2NetworkInterface": {
                    "publicIp": "198.51.100.23",
                    "privateIpAddresses": [{"privateIpAddress": "10.0.4.7", "privateDnsName": "ip-10-0-4-7"}],
                    "ipv6Addresses": ["2001:DB8::4:7"],
                    "subNetId": "subnet-1"
                }}
            }]}}},
            "description": "mentions 192.0.2.1, which is prose, not a field"
        });
        assert_eq!(
            from_guardduty(&finding),
            vec![
                e(Account, "111111111111"),
                e(Ip, "198.51.100.23"),
                e(Ip, "10.0.4.7"),
                e(Ip, "2001:db8::4:7"),
            ]
        );
    }

    #[test]
    fn guardduty_attack_sequence_and_kubernetes_details() {
        let finding = json!({
            "accountId": "111111111111",
            "resource": {"kubernetesDetails": {"kubernetesUserDetails": {
                "username": "arn:aws:sts::111111111111:assumed-role/eks-admin/alice",
                "uid": "aws-iam-authenticator:111111111111:AROAEXAMPLEEXAMPLE02",
                "sessionName": ["alice", 7, null],
                "impersonatedUser": {"username": "system:admin"}
            }}},
            "service": {"detection": {"sequence": {
                "actors": [{
                    "id": "actor-1",
                    "user": {"name": "bob", "uid": "AIDAEXAMPLEEXAMPLE03", "credentialUid": "AKIAEXAMPLEEXAMPLE03",
                             "account": {"uid": "222222222222"}},
                    "session": {"issuer": "arn:aws:iam::222222222222:role/Deploy"}
                }, "not an object", null],
                "endpoints": [{"ip": "198.51.100.20"}, {"ip": "ec2.amazonaws.com"}]
            }}}
        });
        assert_eq!(
            from_guardduty(&finding),
            vec![
                e(
                    Principal,
                    "arn:aws:sts::111111111111:assumed-role/eks-admin/alice"
                ),
                e(Principal, "arn:aws:iam::111111111111:role/eks-admin"),
                e(Session, "alice"),
                e(User, "system:admin"),
                e(User, "bob"),
                e(PrincipalId, "AIDAEXAMPLEEXAMPLE03"),
                e(Key, "AKIAEXAMPLEEXAMPLE03"),
                e(Account, "222222222222"),
                e(Principal, "arn:aws:iam::222222222222:role/Deploy"),
                e(Ip, "198.51.100.20"),
                e(Account, "111111111111"),
            ]
        );
    }

    // --- OCSF corpus -------------------------------------------------------------------------

    #[test]
    fn ocsf_cloudtrail_api_activity() {
        // Security Lake v2 mapping: actor.user.uid is the ARN, uid_alt the principal id.
        assert_eq!(
            from_ocsf(&doc("generic_api_activity.ocsf")),
            vec![
                e(Ip, "205.8.181.128"),
                e(Principal, "arn:aws:iam::1111111111111:user/Level6"),
                e(PrincipalId, "AIDADO2GQEXAMPLE"),
                e(User, "Level6"),
                e(Key, "AKIA3Z2XBVEXAMPLE"),
                e(Account, "1111111111111"),
            ]
        );
        // OCSF 1.0.0-rc.2 style: actor.user.uid is the principal id.
        assert_eq!(
            from_ocsf(&line("test-api-activity.log", 1)),
            vec![
                e(Ip, "1.128.0.0"),
                e(PrincipalId, "AIDADO2GQD0K8TEF7KW1V"),
                e(User, "Level6"),
                e(Key, "AKIA3Z2XBVUDFQ9TU4MD"),
                e(Account, "811596193553"),
            ]
        );
    }

    #[test]
    fn ocsf_network_and_dns_activity() {
        assert_eq!(
            from_ocsf(&doc("vpcflowlog.ocsf")),
            vec![
                e(Ip, "1.2.3.4"),
                e(Ip, "172.31.2.52"),
                e(Account, "123456789012")
            ]
        );
        // The DNS answer reaches the entities through observables (type_id 2).
        assert_eq!(
            from_ocsf(&doc("route53.ocsf")),
            vec![
                e(Ip, "10.200.21.100"),
                e(Ip, "127.0.0.62"),
                e(Account, "123456789012")
            ]
        );
    }

    #[test]
    fn ocsf_security_hub_findings() {
        // The caller's address is in evidences[].src_endpoint.
        assert_eq!(
            from_ocsf(&doc("sechub-guardduty.ocsf")),
            vec![e(Ip, "52.94.133.131"), e(Account, "111111111111")]
        );
        assert_eq!(
            from_ocsf(&line("test-security-findings.log", 1)),
            vec![e(Account, "522536594833")]
        );
    }

    #[test]
    fn ocsf_network_activity_lines() {
        const NET: &str = "test-network-activity.log";
        let all = lines(NET);
        assert_eq!(all.len(), 17);
        for record in &all {
            assert_no_duplicates(&from_ocsf(record));
        }
        assert_eq!(
            from_ocsf(&all[0]),
            vec![
                e(Ip, "1.128.0.0"),
                e(Ip, "172.31.2.52"),
                e(Account, "123456789012")
            ]
        );
        // Line 4: src intermediate_ips; the destination repeats the source address.
        assert_eq!(
            from_ocsf(&all[3]),
            vec![
                e(Ip, "67.43.156.0"),
                e(Ip, "175.16.199.1"),
                e(Ip, "89.160.20.112")
            ]
        );
        // Line 10: an actor with an opaque uid (kept as a principal id) and a name.
        assert_eq!(
            from_ocsf(&all[9]),
            vec![
                e(Ip, "175.16.199.1"),
                e(PrincipalId, "849f330c-5be7-11ee-aa02-0242ac110005"),
                e(User, "Turkish"),
            ]
        );
        // Line 11: a UUID where the account id belongs is not an account; the device's address
        // is an address.
        assert_eq!(from_ocsf(&all[10]), vec![e(Ip, "67.43.156.0")]);
        // Line 13: dst intermediate_ips; uid_alt with blanks is not an id. The proxy, the device
        // and the load balancer's endpoints follow the source and destination.
        let ents = from_ocsf(&all[12]);
        assert_eq!(
            of_kind(&ents, Ip),
            [
                "89.160.20.128",
                "67.43.156.0",
                "81.2.69.142",
                "81.2.69.144",
                "175.16.199.0",
                "216.160.83.56",
                "31.13.253.50",
                "155.162.119.5",
                "102.249.60.133"
            ]
        );
        assert_eq!(of_kind(&ents, User), ["Villa"]);
        assert_eq!(
            of_kind(&ents, PrincipalId),
            ["824425be-4ff6-11ef-8b9f-0242ac110005"]
        );
        assert!(of_kind(&ents, Account).is_empty());
        // Line 16: "-" for both endpoint addresses; the device has one.
        assert_eq!(from_ocsf(&all[15]), vec![e(Ip, "175.16.199.1")]);
    }

    #[test]
    fn ocsf_assumed_role_actor_and_observables_by_name() {
        let record = json!({
            "actor": {
                "user": {"uid": "arn:aws:sts::111111111111:assumed-role/Admin/alice", "uid_alt": "AROAEXAMPLEEXAMPLE04:alice",
                         "credential_uid": "ASIAEXAMPLEEXAMPLE04", "name": "alice"},
                "session": {"issuer": "arn:aws:iam::111111111111:role/Admin", "uid": "s-1"}
            },
            "observables": [
                {"type": "IP Address", "value": "[2001:db8::9]"},
                {"type_id": "4", "value": "carol"},
                {"type_id": 2, "value": "not-an-ip"},
                {"type_id": 2.5, "value": "192.0.2.1"},
                {"type_id": 4}
            ],
            "cloud": {"account": {"uid": 111111111111u64}}
        });
        assert_eq!(
            from_ocsf(&record),
            vec![
                e(
                    Principal,
                    "arn:aws:sts::111111111111:assumed-role/Admin/alice"
                ),
                e(Principal, "arn:aws:iam::111111111111:role/Admin"),
                e(Session, "alice"),
                e(PrincipalId, "AROAEXAMPLEEXAMPLE04:alice"),
                e(PrincipalId, "AROAEXAMPLEEXAMPLE04"),
                e(User, "alice"),
                e(Key, "ASIAEXAMPLEEXAMPLE04"),
                e(Ip, "2001:db8::9"),
                e(User, "carol"),
                e(Account, "111111111111"),
            ]
        );
    }

    // --- hostile input -----------------------------------------------------------------------

    #[test]
    fn any_json_shape_is_survived() {
        let shapes = [
            json!(null),
            json!(true),
            json!(42),
            json!("arn:aws:iam::1:user/x"),
            json!([]),
            json!([{"sourceIPAddress": "1.2.3.4"}]),
            json!({}),
            json!({"accountId": ["123412341234"], "partition": 7, "service": "x", "resource": []}),
            json!({"accountId": -5, "resource": {"accessKeyDetails": "AKIAIOSFODNN7EXAMPLE"}}),
            json!({"accountId": 1.5e300, "resource": {"accessKeyDetails": {"accessKeyId": 5, "principalId": {}, "userName": [], "userType": "Root"}}}),
            json!({"service": {"action": {"portProbeAction": {"portProbeDetails": {"remoteIpDetails": {"ipAddressV4": "1.2.3.4"}}}}}}),
            json!({"service": {"action": {"kubernetesApiCallAction": {"sourceIPs": "1.2.3.4", "remoteIpDetails": []}}}}),
            json!({"resource": {"instanceDetails": {"networkInterfaces": [null, 1, {"privateIpAddresses": [null, "x"], "ipv6Addresses": [1, null, {}]}]}}}),
            json!({"sourceIPAddress": ["1.2.3.4"], "userIdentity": "root", "resources": {"ARN": "arn:aws:iam::1:root"}}),
            json!({"userIdentity": {"arn": 1, "sessionContext": {"sessionIssuer": []}}, "eventName": ["AssumeRole"]}),
            json!({"eventName": "AssumeRole", "responseElements": "x", "requestParameters": null}),
            json!({"eventName": "CreateAccessKey", "responseElements": {"accessKey": []}}),
            json!({"src_endpoint": [], "dst_endpoint": {"ip": {}, "intermediate_ips": "1.2.3.4"}, "actor": []}),
            json!({"actor": {"user": "x", "session": []}, "evidences": {"src_endpoint": {}}, "observables": [[], 1, {"type_id": null}]}),
            json!({"cloud": {"account": {"uid": {"uid": "123456789012"}}}}),
        ];
        for v in &shapes {
            from_guardduty(v);
            from_cloudtrail(v);
            from_ocsf(v);
        }
        // A wrongly typed value never becomes an entity.
        assert_eq!(from_cloudtrail(&shapes[13]), vec![]);
        assert_eq!(from_ocsf(&shapes[17]), vec![]);
    }

    #[test]
    fn huge_and_long_values_are_bounded() {
        // 100 000 addresses, mostly repeats: deduplicated, order kept.
        let ips: Vec<Value> = (0..100_000u32)
            .map(|i| Value::String(format!("10.0.{}.{}", (i % 300) / 256, (i % 300) % 256)))
            .collect();
        let record = json!({"src_endpoint": {"intermediate_ips": ips}});
        let ents = from_ocsf(&record);
        assert_eq!(ents.len(), 300);
        assert_eq!(ents[0], e(Ip, "10.0.0.0"));
        assert_eq!(ents[299], e(Ip, "10.0.1.43"));
        // A value longer than any AWS identifier is not an entity.
        let long = "a".repeat(MAX_VALUE_LEN + 1);
        let event = json!({"userIdentity": {"userName": long, "principalId": long,
            "arn": format!("arn:aws:iam::123456789012:user/{long}")}});
        assert_eq!(from_cloudtrail(&event), vec![]);
        let list = vec!["1.2.3.4"; 50_000].join(",");
        assert_eq!(ips_in(&list).len(), 1);
        let list: Vec<String> = (0..200_000u32)
            .map(|i| std::net::Ipv4Addr::from(i).to_string())
            .collect();
        assert_eq!(ips_in(&list.join(",")).len(), 200_000);
    }

    /// An address followed by an invisible character is not that address: it is no IP entity
    /// (and the screen shows the character escaped, so it does not pass for one).
    #[test]
    fn an_address_with_an_invisible_character_is_not_an_ip() {
        assert_eq!(parse_ip("203.0.113.66\u{200b}"), None);
        let event = serde_json::json!({"eventName": "GetObject", "sourceIPAddress": "203.0.113.66\u{200b}"});
        assert!(
            !from_cloudtrail(&event)
                .iter()
                .any(|e| e.kind == EntityKind::Ip),
            "{:?}",
            from_cloudtrail(&event)
        );
        assert_eq!(
            crate::escape::for_terminal("203.0.113.66\u{200b}"),
            "203.0.113.66\\u200b"
        );
    }
}
