//! The query language of `f` (filter) and `/` (find): words match anywhere in a record's summary
//! columns and entities; `field:value` matches one column (`event:CreateUser`, `ip:203.0.113.66`,
//! `account:1111`, `kind:guardduty`); `sev:>=7` compares severities; a leading `-` negates.

use crate::record::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Event,
    Principal,
    Ip,
    Account,
    Region,
    Kind,
    Entity,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cmp {
    Ge,
    Le,
    Gt,
    Lt,
    Eq,
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Text(String),
    Field(Field, String),
    Severity(Cmp, f64),
}

#[derive(Debug, Clone, PartialEq)]
struct Term {
    negated: bool,
    test: Test,
}

/// A parsed query; the empty query matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    terms: Vec<Term>,
}

/// Everything a word may match in one record, lowercased once when the record arrives.
pub fn haystack(r: &Record) -> String {
    let mut h = String::with_capacity(128);
    for part in [
        r.kind.as_str(),
        &r.event,
        &r.summary,
        r.principal.as_deref().unwrap_or(""),
        r.ip.as_deref().unwrap_or(""),
        r.account.as_deref().unwrap_or(""),
        r.region.as_deref().unwrap_or(""),
    ] {
        h.push_str(part);
        h.push('\n');
    }
    for e in &r.entities {
        h.push_str(&e.value);
        h.push('\n');
    }
    h.to_lowercase()
}

fn field(name: &str) -> Option<Field> {
    Some(match name {
        "event" | "ev" | "name" | "type" => Field::Event,
        "principal" | "user" | "who" | "p" => Field::Principal,
        "ip" | "addr" => Field::Ip,
        "account" | "acct" => Field::Account,
        "region" => Field::Region,
        "kind" | "source" => Field::Kind,
        "entity" | "e" => Field::Entity,
        _ => return None,
    })
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let (negated, word) = match word.strip_prefix('-') {
                Some(w) if !w.is_empty() => (true, w),
                _ => (false, word),
            };
            let test = match word.split_once(':') {
                Some(("sev" | "severity", value)) => {
                    let (cmp, num) = if let Some(n) = value.strip_prefix(">=") {
                        (Cmp::Ge, n)
                    } else if let Some(n) = value.strip_prefix("<=") {
                        (Cmp::Le, n)
                    } else if let Some(n) = value.strip_prefix('>') {
                        (Cmp::Gt, n)
                    } else if let Some(n) = value.strip_prefix('<') {
                        (Cmp::Lt, n)
                    } else {
                        (Cmp::Eq, value.strip_prefix('=').unwrap_or(value))
                    };
                    let n: f64 = num
                        .parse()
                        .map_err(|_| format!("sev: wants a number, as in sev:>=7 (not '{num}')"))?;
                    Test::Severity(cmp, n)
                }
                Some((name, value)) if !value.is_empty() => match field(&name.to_lowercase()) {
                    Some(f) => Test::Field(f, value.to_lowercase()),
                    // An IPv6 address or an ARN holds colons: treat the whole word as text.
                    None => Test::Text(word.to_lowercase()),
                },
                _ => Test::Text(word.to_lowercase()),
            };
            terms.push(Term { negated, test });
        }
        Ok(Query { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether the record matches every term; `hay` is [`haystack`] of the record.
    pub fn matches(&self, r: &Record, hay: &str) -> bool {
        self.terms
            .iter()
            .all(|t| t.test.matches(r, hay) != t.negated)
    }
}

fn contains(value: Option<&str>, needle: &str) -> bool {
    value.is_some_and(|v| v.to_lowercase().contains(needle))
}

impl Test {
    fn matches(&self, r: &Record, hay: &str) -> bool {
        match self {
            Test::Text(t) => hay.contains(t.as_str()),
            Test::Field(f, v) => match f {
                Field::Event => contains(Some(&r.event), v),
                Field::Principal => contains(r.principal.as_deref(), v),
                Field::Ip => contains(r.ip.as_deref(), v),
                Field::Account => contains(r.account.as_deref(), v),
                Field::Region => contains(r.region.as_deref(), v),
                Field::Kind => r.kind.as_str().contains(v.as_str()),
                Field::Entity => r
                    .entities
                    .iter()
                    .any(|e| e.value.to_lowercase().contains(v.as_str())),
            },
            Test::Severity(cmp, n) => r.severity.is_some_and(|s| match cmp {
                Cmp::Ge => s >= *n,
                Cmp::Le => s <= *n,
                Cmp::Gt => s > *n,
                Cmp::Lt => s < *n,
                Cmp::Eq => (s - n).abs() < 1e-9,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;
    use std::sync::Arc;

    fn ct(name: &str, ip: &str) -> Record {
        Record::from_value(
            json!({"eventSource":"iam.amazonaws.com","eventName":name,"sourceIPAddress":ip,
                   "eventTime":"2024-05-02T03:00:00Z","recipientAccountId":"111122223333",
                   "awsRegion":"us-east-1","userIdentity":{"arn":"arn:aws:iam::111122223333:user/alice"}}),
            Origin { object: Arc::from("mem://t"), position: 1 },
            None,
        )
        .unwrap()
    }

    fn gd(sev: f64) -> Record {
        Record::from_value(
            json!({"schemaVersion":"2.0","type":"Recon:EC2/PortProbeUnprotectedPort","service":{},"severity":sev}),
            Origin { object: Arc::from("mem://t"), position: 1 },
            None,
        )
        .unwrap()
    }

    fn hit(q: &str, r: &Record) -> bool {
        Query::parse(q).unwrap().matches(r, &haystack(r))
    }

    #[test]
    fn words_fields_severity_and_negation() {
        let r = ct("CreateUser", "203.0.113.66");
        assert!(hit("createuser", &r));
        assert!(hit("event:CreateUser ip:203.0.113", &r));
        assert!(!hit("event:DeleteUser", &r));
        assert!(hit("-event:DeleteUser alice", &r));
        assert!(hit("account:1111 region:us-east", &r));
        assert!(hit("kind:cloudtrail", &r));
        assert!(hit("sev:>=7", &gd(8.0)));
        assert!(!hit("sev:>=7", &gd(5.0)));
        assert!(!hit("sev:>=7", &r));
        assert!(hit("sev:<6", &gd(5.0)));
        assert!(Query::parse("sev:>=high").is_err());
        assert!(Query::parse("").unwrap().is_empty());
    }
}
