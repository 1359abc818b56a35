//! One field of a Sigma selection, compiled: the field's path into the event, its modifiers, and
//! the values it is compared with, tested against an event's JSON.
//!
//! Sigma's semantics, as the specification gives them: strings compare case-insensitively with
//! `*` and `?` wildcards (`\` escapes them); `contains`, `startswith` and `endswith` add the
//! wildcards; a list of values is an OR unless `all` makes it an AND; `null` is a field that is
//! missing or null; `re` is a case-sensitive regular expression. Where a path reaches a JSON array
//! every element is tried; where it ends on an object, its compact JSON text is compared.

use std::borrow::Cow;
use std::net::IpAddr;

use serde_json::Value;

use super::yaml::Node;

/// A field's path in the event (`requestParameters.userName` is `["requestParameters", "userName"]`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPath {
    /// The name as the rule wrote it: also tried as one key, for events flattened by an exporter.
    pub name: String,
    pub parts: Vec<String>,
}

impl FieldPath {
    pub fn new(name: &str) -> FieldPath {
        FieldPath {
            name: name.to_string(),
            parts: name.split('.').map(str::to_string).collect(),
        }
    }

    /// Every value at the path; arrays on the way (and at the end) give each of their elements.
    pub fn values<'a>(&self, event: &'a Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        collect(event, &self.parts, &mut out);
        if out.is_empty() && self.parts.len() > 1 {
            if let Some(v) = event.get(&self.name) {
                push_leaf(v, &mut out);
            }
        }
        out
    }
}

fn collect<'a>(v: &'a Value, path: &[String], out: &mut Vec<&'a Value>) {
    match (v, path.split_first()) {
        (Value::Array(items), _) => {
            for item in items {
                collect(item, path, out);
            }
        }
        (_, None) => out.push(v),
        (Value::Object(map), Some((first, rest))) => {
            if let Some(next) = map.get(first.as_str()) {
                if rest.is_empty() {
                    push_leaf(next, out);
                } else {
                    collect(next, rest, out);
                }
            }
        }
        _ => {}
    }
}

fn push_leaf<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Array(items) => out.extend(items.iter()),
        _ => out.push(v),
    }
}

/// A value as Sigma compares it: strings as they are, numbers and booleans as written, objects and
/// arrays as their compact JSON; null is no text at all.
fn text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

fn fold(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        if s.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        }
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// A string with Sigma's wildcards, reduced to the cheap shapes most values take.
#[derive(Debug, Clone, PartialEq)]
pub enum Glob {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    /// Anything at all (a lone `*`).
    Any,
    General(Vec<Token>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Literal(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: one character.
    One,
}

impl Glob {
    /// `text` in Sigma's syntax: `\*`, `\?` and `\\` are the characters themselves; a backslash
    /// before anything else is a backslash. Literals are lowercased unless `cased`.
    pub fn parse(text: &str, cased: bool) -> Glob {
        let mut tokens: Vec<Token> = Vec::new();
        let mut lit = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                    lit.push(chars.next().unwrap_or('\\'));
                }
                '*' | '?' => {
                    if !lit.is_empty() {
                        tokens.push(Token::Literal(std::mem::take(&mut lit)));
                    }
                    let t = if c == '*' { Token::Star } else { Token::One };
                    // Consecutive stars are one star.
                    if !(t == Token::Star && tokens.last() == Some(&Token::Star)) {
                        tokens.push(t);
                    }
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Literal(lit));
        }
        if !cased {
            for t in &mut tokens {
                if let Token::Literal(s) = t {
                    *s = fold(s).into_owned();
                }
            }
        }
        use Token::*;
        match tokens.as_slice() {
            [] => Glob::Exact(String::new()),
            [Literal(s)] => Glob::Exact(s.clone()),
            [Star] => Glob::Any,
            [Literal(s), Star] => Glob::Prefix(s.clone()),
            [Star, Literal(s)] => Glob::Suffix(s.clone()),
            [Star, Literal(s), Star] => Glob::Contains(s.clone()),
            _ => Glob::General(tokens),
        }
    }

    /// Whether `subject` (already lowercased when the glob is not cased) matches.
    pub fn matches(&self, subject: &str) -> bool {
        match self {
            Glob::Exact(s) => subject == s,
            Glob::Prefix(s) => subject.starts_with(s.as_str()),
            Glob::Suffix(s) => subject.ends_with(s.as_str()),
            Glob::Contains(s) => memchr::memmem::find(subject.as_bytes(), s.as_bytes()).is_some(),
            Glob::Any => true,
            Glob::General(tokens) => {
                let chars: Vec<char> = subject.chars().collect();
                general(tokens, &chars)
            }
        }
    }
}

/// Wildcard matching with backtracking to the last star only: linear in practice, quadratic at
/// worst, never exponential.
fn general(tokens: &[Token], subject: &[char]) -> bool {
    // Expand literals to characters so `?` and literals advance alike.
    enum T {
        C(char),
        Star,
        One,
    }
    let pat: Vec<T> = tokens
        .iter()
        .flat_map(|t| match t {
            Token::Literal(s) => s.chars().map(T::C).collect::<Vec<_>>(),
            Token::Star => vec![T::Star],
            Token::One => vec![T::One],
        })
        .collect();
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < subject.len() {
        match pat.get(p) {
            Some(T::C(c)) if *c == subject[s] => {
                p += 1;
                s += 1;
            }
            Some(T::One) => {
                p += 1;
                s += 1;
            }
            Some(T::Star) => {
                star = Some((p, s));
                p += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    p = sp + 1;
                    s = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|t| matches!(t, T::Star))
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// How a string value is placed in the field (the modifiers `contains`, `startswith`, `endswith`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    Whole,
    Contains,
    StartsWith,
    EndsWith,
}

/// An IP network (`cidr`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cidr {
    net: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, bits) = match s.split_once('/') {
            Some((a, b)) => (a, b.parse::<u8>().ok()?),
            None => (s, if s.contains(':') { 128 } else { 32 }),
        };
        let net: IpAddr = addr.trim().parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        (bits <= max).then_some(Cidr { net, bits })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(n) & mask == u32::from(*a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(*a) & mask
            }
            _ => false,
        }
    }
}

/// One value a field is compared with.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// The field is missing or null.
    Null,
    /// `exists`: the field is there (with any value, null included) or not.
    Exists(bool),
    Text {
        glob: Glob,
        cased: bool,
    },
    Regex(regex_lite::Regex),
    Cidr(Cidr),
    Number(Cmp, f64),
    /// `fieldref`: compared with the value of another field of the same event.
    FieldRef {
        other: FieldPath,
        place: Place,
        cased: bool,
    },
}

impl Pattern {
    fn test(&self, v: &Value, event: &Value) -> bool {
        match self {
            Pattern::Null | Pattern::Exists(_) => false,
            Pattern::Text { glob, cased } => text(v).is_some_and(|t| {
                if *cased {
                    glob.matches(&t)
                } else {
                    glob.matches(&fold(&t))
                }
            }),
            Pattern::Regex(re) => text(v).is_some_and(|t| re.is_match(&t)),
            Pattern::Cidr(net) => v
                .as_str()
                .and_then(|s| s.trim().parse::<IpAddr>().ok())
                .is_some_and(|ip| net.contains(&ip)),
            Pattern::Number(cmp, n) => {
                let x = match v {
                    Value::Number(x) => x.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                x.is_some_and(|x| match cmp {
                    Cmp::Lt => x < *n,
                    Cmp::Lte => x <= *n,
                    Cmp::Gt => x > *n,
                    Cmp::Gte => x >= *n,
                })
            }
            Pattern::FieldRef {
                other,
                place,
                cased,
            } => {
                let Some(t) = text(v) else { return false };
                let t = if *cased {
                    t
                } else {
                    Cow::Owned(fold(&t).into_owned())
                };
                other.values(event).into_iter().any(|o| {
                    let Some(o) = text(o) else { return false };
                    let o = if *cased { o } else { fold(&o) };
                    match place {
                        Place::Whole => t == o,
                        Place::Contains => t.contains(o.as_ref()),
                        Place::StartsWith => t.starts_with(o.as_ref()),
                        Place::EndsWith => t.ends_with(o.as_ref()),
                    }
                })
            }
        }
    }
}

/// `field|modifiers: values`, one entry of a selection map.
#[derive(Debug, Clone)]
pub struct FieldMatch {
    pub field: FieldPath,
    pub patterns: Vec<Pattern>,
    /// `all`: every value must match, not one of them.
    pub all: bool,
}

impl FieldMatch {
    pub fn matches(&self, event: &Value) -> bool {
        let values = self.field.values(event);
        let one = |p: &Pattern| match p {
            Pattern::Null => values.iter().all(|v| v.is_null()),
            Pattern::Exists(want) => values.is_empty() != *want,
            p => values.iter().any(|v| p.test(v, event)),
        };
        if self.all {
            self.patterns.iter().all(one)
        } else {
            self.patterns.iter().any(one)
        }
    }

    /// Compiles `key: value` of a selection map (`key` is `field|mod|mod...`).
    pub fn compile(key: &str, value: &Node) -> Result<FieldMatch, String> {
        let mut parts = key.split('|');
        let field = parts.next().unwrap_or_default().trim();
        let mods = Modifiers::parse(parts)?;
        let values: Vec<&Node> = match value {
            Node::Seq(items) => items.iter().collect(),
            one => vec![one],
        };
        if values.is_empty() {
            return Err(format!("'{key}' has an empty list of values"));
        }
        let patterns = values
            .into_iter()
            .map(|v| mods.pattern(v))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("'{key}': {e}"))?;
        Ok(FieldMatch {
            field: FieldPath::new(field),
            patterns,
            all: mods.all,
        })
    }
}

/// The modifiers of one field, checked for combinations that make sense.
#[derive(Debug, Default)]
pub struct Modifiers {
    place: Option<Place>,
    all: bool,
    cased: bool,
    re: Option<(bool, bool, bool)>,
    cidr: bool,
    exists: bool,
    cmp: Option<Cmp>,
    fieldref: bool,
}

impl Modifiers {
    pub fn parse<'a>(names: impl Iterator<Item = &'a str>) -> Result<Modifiers, String> {
        let mut m = Modifiers::default();
        for name in names {
            let set_place = |m: &mut Modifiers, p| {
                if m.place.replace(p).is_some() {
                    Err("only one of contains, startswith, endswith".to_string())
                } else {
                    Ok(())
                }
            };
            match name {
                "contains" => set_place(&mut m, Place::Contains)?,
                "startswith" => set_place(&mut m, Place::StartsWith)?,
                "endswith" => set_place(&mut m, Place::EndsWith)?,
                "all" => m.all = true,
                "cased" => m.cased = true,
                "re" => m.re = Some((false, false, false)),
                "i" | "m" | "s" => match &mut m.re {
                    Some(flags) => match name {
                        "i" => flags.0 = true,
                        "m" => flags.1 = true,
                        _ => flags.2 = true,
                    },
                    None => return Err(format!("modifier '{name}' only follows 're'")),
                },
                "cidr" => m.cidr = true,
                "exists" => m.exists = true,
                "lt" => m.cmp = Some(Cmp::Lt),
                "lte" => m.cmp = Some(Cmp::Lte),
                "gt" => m.cmp = Some(Cmp::Gt),
                "gte" => m.cmp = Some(Cmp::Gte),
                "fieldref" => m.fieldref = true,
                "base64" | "base64offset" | "utf16le" | "utf16be" | "utf16" | "wide"
                | "windash" | "expand" => {
                    return Err(format!("modifier '{name}' is not supported"))
                }
                other => return Err(format!("unknown modifier '{other}'")),
            }
        }
        let kinds = [
            m.re.is_some(),
            m.cidr,
            m.exists,
            m.cmp.is_some(),
            m.fieldref,
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if kinds > 1
            || (m.place.is_some() && (m.re.is_some() || m.cidr || m.exists || m.cmp.is_some()))
        {
            return Err("modifiers that cannot be combined".to_string());
        }
        Ok(m)
    }

    fn pattern(&self, v: &Node) -> Result<Pattern, String> {
        let text = match v {
            Node::Null if self.exists => return Err("exists wants true or false".into()),
            Node::Null => return Ok(Pattern::Null),
            Node::Scalar { text, .. } => text.as_str(),
            other => return Err(format!("a value cannot be {}", other.kind())),
        };
        if self.exists {
            return match text {
                "true" | "True" | "TRUE" | "yes" => Ok(Pattern::Exists(true)),
                "false" | "False" | "FALSE" | "no" => Ok(Pattern::Exists(false)),
                _ => Err("exists wants true or false".into()),
            };
        }
        if let Some((i, m, s)) = self.re {
            let re = regex_lite::RegexBuilder::new(text)
                .case_insensitive(i)
                .multi_line(m)
                .dot_matches_new_line(s)
                .size_limit(1 << 20)
                .nest_limit(64)
                .build()
                .map_err(|e| format!("bad regular expression: {e}"))?;
            return Ok(Pattern::Regex(re));
        }
        if self.cidr {
            return Cidr::parse(text)
                .map(Pattern::Cidr)
                .ok_or_else(|| format!("'{text}' is not a CIDR network"));
        }
        if let Some(cmp) = self.cmp {
            return text
                .trim()
                .parse::<f64>()
                .map(|n| Pattern::Number(cmp, n))
                .map_err(|_| format!("'{text}' is not a number"));
        }
        if self.fieldref {
            return Ok(Pattern::FieldRef {
                other: FieldPath::new(text.trim()),
                place: self.place.unwrap_or(Place::Whole),
                cased: self.cased,
            });
        }
        let wrapped = match self.place.unwrap_or(Place::Whole) {
            Place::Whole => Cow::Borrowed(text),
            Place::Contains => Cow::Owned(format!("*{text}*")),
            Place::StartsWith => Cow::Owned(format!("{text}*")),
            Place::EndsWith => Cow::Owned(format!("*{text}")),
        };
        Ok(Pattern::Text {
            glob: Glob::parse(&wrapped, self.cased),
            cased: self.cased,
        })
    }
}

/// A keyword search: the text anywhere in the event's values (not its keys).
#[derive(Debug, Clone)]
pub struct Keywords {
    pub globs: Vec<Glob>,
    pub all: bool,
}

impl Keywords {
    pub fn compile(values: &[&Node], all: bool) -> Result<Keywords, String> {
        let globs = values
            .iter()
            .map(|v| match v.as_str() {
                Some(t) => Ok(Glob::parse(&format!("*{t}*"), false)),
                None => Err(format!("a keyword cannot be {}", v.kind())),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if globs.is_empty() {
            return Err("an empty list of keywords".into());
        }
        Ok(Keywords { globs, all })
    }

    pub fn matches(&self, event: &Value) -> bool {
        let mut leaves = Vec::new();
        strings(event, &mut leaves);
        let found = |g: &Glob| leaves.iter().any(|s| g.matches(&fold(s)));
        if self.all {
            self.globs.iter().all(found)
        } else {
            self.globs.iter().any(found)
        }
    }
}

fn strings<'a>(v: &'a Value, out: &mut Vec<Cow<'a, str>>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        Value::Null => {}
        other => out.extend(text(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(s: &str) -> Node {
        Node::Scalar {
            text: s.to_string(),
            quoted: true,
        }
    }

    fn m(key: &str, values: &[&str], event: &Value) -> bool {
        let v = Node::Seq(values.iter().map(|s| node(s)).collect());
        FieldMatch::compile(key, &v).unwrap().matches(event)
    }

    #[test]
    fn globs_follow_sigma_wildcards_and_escapes() {
        let g = |p: &str, s: &str| Glob::parse(p, false).matches(&fold(s));
        assert!(g("ConsoleLogin", "consolelogin"));
        assert!(g("Update*", "UpdateFunctionConfiguration20150331v2"));
        assert!(g("*Trail", "DeleteTrail"));
        assert!(g("a?c*e", "abcdde"));
        assert!(!g("a?c", "ac"));
        assert!(g(r"100\*", "100*"));
        assert!(!g(r"100\*", "1000"));
        assert!(
            g(r"C:\Windows\*", r"c:\windows*"),
            "a plain backslash, an escaped star"
        );
        assert!(
            g(r"C:\Windows\\*", r"c:\windows\system32"),
            "an escaped backslash, a star"
        );
        assert!(g("*", ""));
        assert!(g("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!g("*a*b*c*", "xxaxxcxxbxx"));
        assert!(!Glob::parse("Admin", true).matches("admin"), "cased");
    }

    #[test]
    fn fields_paths_arrays_and_objects() {
        let e = json!({
            "eventName": "UpdateFunctionConfiguration20150331v2",
            "requestParameters": {"layers": ["arn:aws:lambda:x:1:layer:l:1"], "enable": false,
                "items": [{"cidrIp": "0.0.0.0/0", "fromPort": 22}], "status": "Suspended"},
            "errorCode": null,
            "userIdentity": {"arn": "arn:aws:iam::1:user/bob", "userName": "bob"},
            "additional.flat": "yes",
        });
        assert!(m(
            "eventName|startswith",
            &["updatefunctionconfiguration"],
            &e
        ));
        assert!(m("requestParameters.layers|contains", &["*"], &e));
        assert!(m("requestParameters.enable", &["false"], &e));
        assert!(m("requestParameters.items.cidrIp|endswith", &["/0"], &e));
        assert!(m("requestParameters.items.fromPort|lte", &["22"], &e));
        assert!(!m("requestParameters.items.fromPort|gt", &["22"], &e));
        assert!(m("requestParameters|contains", &["suspended"], &e));
        assert!(m("additional.flat", &["yes"], &e));
        assert!(m("userIdentity.arn|re", &[r"^arn:aws:iam::\d+:user/"], &e));
        assert!(!m("userIdentity.arn|re", &["USER"], &e), "re is cased");
        assert!(m("userIdentity.arn|re|i", &["USER"], &e));
        assert!(m(
            "userIdentity.arn|fieldref|endswith",
            &["userIdentity.userName"],
            &e
        ));
        assert!(m("userIdentity.arn|contains|all", &["iam", "bob"], &e));
        assert!(!m("userIdentity.arn|contains|all", &["iam", "alice"], &e));
        let null = |k: &str| FieldMatch::compile(k, &Node::Null).unwrap().matches(&e);
        assert!(null("errorCode"), "null value");
        assert!(null("errorMessage"), "missing");
        assert!(!null("eventName"));
        let exists = |k: &str, b: &str| {
            FieldMatch::compile(&format!("{k}|exists"), &node(b))
                .unwrap()
                .matches(&e)
        };
        assert!(exists("errorCode", "true"));
        assert!(exists("errorMessage", "false"));
    }

    #[test]
    fn cidr_networks() {
        let e = json!({"sourceIPAddress": "203.0.113.66", "v6": "2001:db8::1", "svc": "ec2.amazonaws.com"});
        assert!(m("sourceIPAddress|cidr", &["203.0.113.0/24"], &e));
        assert!(!m("sourceIPAddress|cidr", &["198.51.100.0/24"], &e));
        assert!(m("sourceIPAddress|cidr", &["0.0.0.0/0"], &e));
        assert!(m("v6|cidr", &["2001:db8::/32"], &e));
        assert!(!m("svc|cidr", &["0.0.0.0/0"], &e));
        assert!(FieldMatch::compile("a|cidr", &node("10.0.0.0/33")).is_err());
    }

    #[test]
    fn modifiers_are_checked() {
        let err = |k: &str| FieldMatch::compile(k, &node("x")).unwrap_err();
        assert!(err("a|base64offset|contains").contains("not supported"));
        assert!(err("a|frobnicate").contains("unknown modifier"));
        assert!(err("a|contains|startswith").contains("only one"));
        assert!(FieldMatch::compile("a|re", &node("(")).is_err());
        assert!(err("a|gt").contains("not a number"));
    }

    #[test]
    fn keywords_search_every_value() {
        let e = json!({"userAgent": "TruffleHog v3", "n": [1, {"deep": "Mimikatz"}]});
        let k = |words: &[&str], all| {
            let nodes: Vec<Node> = words.iter().map(|w| node(w)).collect();
            let refs: Vec<&Node> = nodes.iter().collect();
            Keywords::compile(&refs, all).unwrap().matches(&e)
        };
        assert!(k(&["trufflehog"], false));
        assert!(k(&["nothing", "mimikatz"], false));
        assert!(!k(&["nothing", "mimikatz"], true));
        assert!(!k(&["userAgent"], false), "keys are not searched");
    }
}
