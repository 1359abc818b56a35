//! One Sigma rule read from its YAML: what it is (title, id, level, ATT&CK techniques, file), its
//! searches and condition, and what it needs of `eventName` and `eventSource`, which is how the
//! rule set decides which events it is ever tried on.

use std::sync::Arc;

use serde_json::Value;

use super::condition::{self, Cond};
use super::pattern::{FieldMatch, Glob, Keywords, Pattern};
use super::yaml::{self, Node};
use super::{Hit, Level};

/// One search identifier of a rule's `detection`.
#[derive(Debug, Clone)]
enum Search {
    /// A map (every entry must match), or a list of maps (one of them must).
    Maps(Vec<Vec<FieldMatch>>),
    Keywords(Keywords),
}

impl Search {
    fn matches(&self, event: &Value) -> bool {
        match self {
            Search::Maps(maps) => maps.iter().any(|map| map.iter().all(|f| f.matches(event))),
            Search::Keywords(k) => k.matches(event),
        }
    }
}

/// What an event's name (or source) must be for a rule to match it: lowercase names, exact or
/// as a prefix. `None` is "anything".
pub type Names = Option<Vec<Key>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Exact(String),
    Prefix(String),
}

/// A rule ready to run.
#[derive(Debug, Clone)]
pub struct Rule {
    pub hit: Arc<Hit>,
    searches: Vec<Search>,
    condition: Cond,
    /// The event names it can match (the index key), if the rule pins them down.
    pub names: Names,
    /// The same for `eventSource`.
    pub sources: Names,
}

/// Why a rule file was not added.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    /// A valid rule for another log source: not for CloudTrail, and not a problem.
    OtherLogSource,
    /// Broken, or uses what trawl does not support: the reason.
    Invalid(String),
}

impl Rule {
    pub fn matches(&self, event: &Value) -> bool {
        let mut memo: Vec<Option<bool>> = vec![None; self.searches.len()];
        self.condition
            .eval(&mut |i| *memo[i].get_or_insert_with(|| self.searches[i].matches(event)))
    }

    /// Reads a rule file's text; `file` is how hits name it.
    pub fn parse(text: &str, file: &str) -> Result<Rule, Skip> {
        let doc = yaml::parse(text).map_err(Skip::Invalid)?;
        let invalid = |m: &str| Skip::Invalid(m.to_string());
        if !matches!(doc, Node::Map(_)) {
            return Err(invalid("not a Sigma rule (the file is not a map)"));
        }
        if doc.get("correlation").is_some() {
            return Err(invalid("correlation rules are not supported"));
        }
        if doc.get("filter").is_some() && doc.get("detection").is_none() {
            return Err(invalid("Sigma filters are not supported"));
        }
        let logsource = doc
            .get("logsource")
            .ok_or_else(|| invalid("no logsource"))?;
        let ls = |k: &str| {
            logsource
                .get(k)
                .and_then(Node::as_str)
                .map(str::to_ascii_lowercase)
        };
        if ls("product").as_deref() != Some("aws") || ls("service").as_deref() != Some("cloudtrail")
        {
            return Err(Skip::OtherLogSource);
        }
        let title = doc
            .get("title")
            .and_then(Node::as_str)
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| invalid("no title"))?;
        let id = doc.get("id").and_then(Node::as_str).unwrap_or("");
        let level = match doc.get("level") {
            None | Some(Node::Null) => Level::Informational,
            Some(n) => n
                .as_str()
                .and_then(|l| l.parse::<Level>().ok())
                .ok_or_else(|| {
                    Skip::Invalid(format!(
                        "level '{}' is none of informational, low, medium, high, critical",
                        n.as_str().unwrap_or(n.kind())
                    ))
                })?,
        };
        let attack = match doc.get("tags") {
            Some(Node::Seq(tags)) => tags
                .iter()
                .filter_map(Node::as_str)
                .filter_map(attack_id)
                .collect(),
            _ => Vec::new(),
        };
        let detection = doc
            .get("detection")
            .ok_or_else(|| invalid("no detection"))?;
        let Node::Map(entries) = detection else {
            return Err(invalid("detection is not a map"));
        };
        let mut names = Vec::new();
        let mut searches = Vec::new();
        let mut conditions = Vec::new();
        for (key, value) in entries {
            match key.as_str() {
                "condition" => match value {
                    Node::Scalar { text, .. } => conditions.push(text.clone()),
                    Node::Seq(items) => {
                        for i in items {
                            conditions.push(
                                i.as_str()
                                    .ok_or_else(|| invalid("a condition is not text"))?
                                    .to_string(),
                            );
                        }
                    }
                    _ => return Err(invalid("condition is not text")),
                },
                "timeframe" => return Err(invalid("timeframe (aggregation) is not supported")),
                name => {
                    let s = compile_search(value)
                        .map_err(|e| Skip::Invalid(format!("detection {name}: {e}")))?;
                    names.push(name.to_string());
                    searches.push(s);
                }
            }
        }
        if conditions.is_empty() {
            return Err(invalid("detection has no condition"));
        }
        let mut parsed = conditions
            .iter()
            .map(|c| condition::parse(c, &names))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Skip::Invalid(format!("condition: {e}")))?;
        let condition = if parsed.len() == 1 {
            parsed.remove(0)
        } else {
            Cond::Or(parsed)
        };
        let needs = |field: &str| needs(&condition, &searches, field);
        Ok(Rule {
            names: needs("eventName"),
            sources: needs("eventSource"),
            hit: Arc::new(Hit {
                rule: title.trim().to_string(),
                id: id.trim().to_string(),
                level,
                attack,
                file: file.to_string(),
                author: doc
                    .get("author")
                    .and_then(Node::as_str)
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            }),
            searches,
            condition,
        })
    }
}

/// `attack.t1098.001` → `T1098.001`; other tags (tactics, `cve.`, ...) are not technique ids.
fn attack_id(tag: &str) -> Option<String> {
    let t = tag.trim().to_ascii_lowercase();
    let id = t.strip_prefix("attack.t")?;
    let (main, sub) = match id.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (id, None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(main, 4) || sub.is_some_and(|s| !digits(s, 3)) {
        return None;
    }
    Some(match sub {
        Some(s) => format!("T{main}.{s}"),
        None => format!("T{main}"),
    })
}

fn compile_search(value: &Node) -> Result<Search, String> {
    let map = |entries: &[(String, Node)]| -> Result<Vec<FieldMatch>, String> {
        entries
            .iter()
            .map(|(k, v)| FieldMatch::compile(k, v))
            .collect()
    };
    match value {
        Node::Map(entries) => {
            // `'|all': [...]` is a keyword search whose words must all be there.
            if let [(k, v)] = entries.as_slice() {
                if k.starts_with('|') {
                    if k != "|all" {
                        return Err(format!("keyword modifier '{k}' is not supported"));
                    }
                    let words: Vec<&Node> = match v {
                        Node::Seq(items) => items.iter().collect(),
                        one => vec![one],
                    };
                    return Ok(Search::Keywords(Keywords::compile(&words, true)?));
                }
            }
            Ok(Search::Maps(vec![map(entries)?]))
        }
        Node::Seq(items) if items.iter().all(|i| matches!(i, Node::Map(_))) => {
            let maps = items
                .iter()
                .map(|i| match i {
                    Node::Map(entries) => map(entries),
                    _ => unreachable!("checked above"),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if maps.is_empty() {
                return Err("an empty list".into());
            }
            Ok(Search::Maps(maps))
        }
        Node::Seq(items) if items.iter().all(|i| matches!(i, Node::Scalar { .. })) => {
            let words: Vec<&Node> = items.iter().collect();
            Ok(Search::Keywords(Keywords::compile(&words, false)?))
        }
        Node::Scalar { .. } => Ok(Search::Keywords(Keywords::compile(&[value], false)?)),
        other => Err(format!("a search cannot be {}", other.kind())),
    }
}

/// What the values of `field` must be for `cond` to hold, when that is known: the union of the
/// alternatives of an `or`, any side of an `and`, nothing known under a `not`.
fn needs(cond: &Cond, searches: &[Search], field: &str) -> Names {
    match cond {
        Cond::Search(i) => search_needs(&searches[*i], field),
        Cond::Not(_) => None,
        Cond::Or(items) => {
            let mut all = Vec::new();
            for c in items {
                all.extend(needs(c, searches, field)?);
            }
            Some(all)
        }
        Cond::And(items) => items
            .iter()
            .filter_map(|c| needs(c, searches, field))
            .min_by_key(Vec::len),
    }
}

fn search_needs(search: &Search, field: &str) -> Names {
    let Search::Maps(maps) = search else {
        return None;
    };
    let mut all = Vec::new();
    for map in maps {
        // A map is an AND: one entry on the field that pins it down is enough.
        let keys = map
            .iter()
            .filter(|f| f.field.name == field)
            .find_map(field_keys)?;
        all.extend(keys);
    }
    Some(all)
}

fn field_keys(f: &FieldMatch) -> Option<Vec<Key>> {
    if f.all && f.patterns.len() > 1 {
        // Every value at once: an index on any one of them would do, but such rules are rare.
        return None;
    }
    f.patterns
        .iter()
        .map(|p| match p {
            Pattern::Text { glob, .. } => match glob {
                Glob::Exact(s) => Some(Key::Exact(s.to_lowercase())),
                Glob::Prefix(s) => Some(Key::Prefix(s.to_lowercase())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULE: &str = r#"
title: Trail stopped
id: 1b2c
level: high
tags:
    - attack.defense-evasion
    - attack.t1562.008
    - attack.T1070
    - cve.2021-1234
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventSource: cloudtrail.amazonaws.com
        eventName:
            - StopLogging
            - DeleteTrail
    filter:
        errorCode|exists: true
    condition: selection and not filter
"#;

    #[test]
    fn reads_a_rule_and_what_it_needs() {
        let r = Rule::parse(RULE, "x.yml").unwrap();
        assert_eq!(r.hit.rule, "Trail stopped");
        assert_eq!(r.hit.level, Level::High);
        assert_eq!(r.hit.attack, vec!["T1562.008", "T1070"]);
        assert_eq!(
            r.names,
            Some(vec![
                Key::Exact("stoplogging".into()),
                Key::Exact("deletetrail".into())
            ])
        );
        assert_eq!(
            r.sources,
            Some(vec![Key::Exact("cloudtrail.amazonaws.com".into())])
        );
        assert!(
            r.matches(&json!({"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging"}))
        );
        assert!(!r.matches(&json!({"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","errorCode":"AccessDenied"})));
    }

    #[test]
    fn other_log_sources_and_broken_rules() {
        let windows = RULE.replace("product: aws", "product: windows");
        assert_eq!(
            Rule::parse(&windows, "w.yml").unwrap_err(),
            Skip::OtherLogSource
        );
        let bad = |text: &str| match Rule::parse(text, "b.yml") {
            Err(Skip::Invalid(why)) => why,
            other => panic!("{other:?}"),
        };
        assert!(bad(&RULE.replace("level: high", "level: urgent")).contains("level 'urgent'"));
        assert!(bad(&RULE.replace("and not filter", "and not filtr")).contains("'filtr'"));
        assert!(
            bad(&RULE.replace("errorCode|exists", "errorCode|base64")).contains("not supported")
        );
        assert!(bad("title: x\n  - : [").starts_with("not YAML"));
        assert!(bad(&RULE.replace("title: Trail stopped\n", "")).contains("no title"));
    }

    #[test]
    fn index_keys_follow_the_condition() {
        let with = |detection: &str| {
            let text = format!(
                "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{detection}"
            );
            Rule::parse(&text, "t.yml").unwrap().names
        };
        assert_eq!(
            with("  a:\n    eventName|startswith: Update\n  condition: a\n"),
            Some(vec![Key::Prefix("update".into())])
        );
        assert_eq!(
            with("  a:\n    eventName: A\n  b:\n    userAgent: x\n  condition: a or b\n"),
            None,
            "b can match any event"
        );
        assert_eq!(
            with("  a:\n    eventName: A\n  b:\n    eventName: B\n  condition: 1 of them\n"),
            Some(vec![Key::Exact("a".into()), Key::Exact("b".into())])
        );
        assert_eq!(
            with("  a:\n    userIdentity.type: Root\n  b:\n    eventName: B\n  condition: a and not b\n"),
            None
        );
        assert_eq!(
            with("  a:\n    eventName|contains: Delete\n  condition: a\n"),
            None
        );
    }
}
