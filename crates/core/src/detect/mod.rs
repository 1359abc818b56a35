//! Detections: Sigma rules for CloudTrail (trawl's built-in pack and the user's own directories)
//! run on every CloudTrail event as it loads, and the hits each record keeps.
//!
//! A [`RuleSet`] indexes its rules by the `eventName` (else `eventSource`) their condition
//! requires, so an event is tried only against the few rules that can match it; a rule that pins
//! neither down is tried on every event. An event whose name no rule wants is never parsed again.
//! A rule file that cannot be read, or uses what is not supported, is a [`Warning`] naming the
//! file and the reason; the other rules still load. Only rules with `logsource: product: aws,
//! service: cloudtrail` are kept. GuardDuty findings are detections of their own: [`record_level`]
//! gives a record's level from its hits and its GuardDuty severity alike.

mod builtin;
mod condition;
pub mod hit;
mod pattern;
mod rule;
mod yaml;

use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::record::{Record, RecordKind};
use rule::{Key, Rule, Skip};

pub use hit::{Hit, Level};

/// A rule file that was not loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub file: String,
    pub reason: String,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.file, self.reason)
    }
}

/// What reading rules gave: how many rules were added, how many files hold rules for other log
/// sources (skipped quietly: a whole Sigma checkout is mostly Windows), and the warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub added: usize,
    pub other_log_sources: usize,
    pub warnings: Vec<Warning>,
}

impl Report {
    fn merge(&mut self, other: Report) {
        self.added += other.added;
        self.other_log_sources += other.other_log_sources;
        self.warnings.extend(other.warnings);
    }
}

pub use builtin::BUILTIN;

/// Where rules come from: the built-in pack and the directories (or files) the user names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSources {
    pub builtin: bool,
    pub paths: Vec<PathBuf>,
}

impl Default for RuleSources {
    fn default() -> Self {
        RuleSources {
            builtin: true,
            paths: Vec::new(),
        }
    }
}

/// Sigma rules for CloudTrail, indexed by what events they can match.
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    by_name: HashMap<String, Vec<u32>>,
    name_prefixes: Vec<(String, u32)>,
    by_source: HashMap<String, Vec<u32>>,
    source_prefixes: Vec<(String, u32)>,
    /// Rules that pin neither the name nor the source: tried on every event.
    always: Vec<u32>,
}

/// How many directory levels `add_path` descends.
const MAX_DIR_DEPTH: usize = 16;

impl RuleSet {
    pub fn new() -> RuleSet {
        RuleSet::default()
    }

    /// The rules `sources` names, and what reading them gave.
    pub fn load(sources: &RuleSources) -> (RuleSet, Report) {
        let mut set = RuleSet::new();
        let mut report = Report::default();
        if sources.builtin {
            report.merge(set.add_builtin());
        }
        for p in &sources.paths {
            report.merge(set.add_path(p));
        }
        (set, report)
    }

    /// The built-in pack alone (what the screen and `trawl bench` use by default).
    pub fn builtin() -> RuleSet {
        let mut set = RuleSet::new();
        set.add_builtin();
        set
    }

    pub fn add_builtin(&mut self) -> Report {
        let mut report = Report::default();
        for (name, text) in BUILTIN {
            report.merge(self.add_text(&format!("builtin/{name}"), text));
        }
        report
    }

    /// One rule file's text; `file` is how hits and warnings name it.
    pub fn add_text(&mut self, file: &str, text: &str) -> Report {
        let mut report = Report::default();
        match Rule::parse(text, file) {
            Ok(rule) => {
                self.insert(rule);
                report.added = 1;
            }
            Err(Skip::OtherLogSource) => report.other_log_sources = 1,
            Err(Skip::Invalid(reason)) => report.warnings.push(Warning {
                file: file.to_string(),
                reason,
            }),
        }
        report
    }

    /// A rule file, or every `.yml`/`.yaml` file under a directory (recursively, in name order;
    /// hidden entries and symbolic links to directories are left out).
    pub fn add_path(&mut self, path: &Path) -> Report {
        let mut report = Report::default();
        let mut files = Vec::new();
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => {
                if let Err(w) = rule_files(path, 0, &mut files) {
                    report.warnings.push(w);
                }
            }
            Ok(_) => files.push(path.to_path_buf()),
            Err(e) => report.warnings.push(Warning {
                file: path.display().to_string(),
                reason: format!("cannot read rules: {e}"),
            }),
        }
        for f in files {
            let name = f.display().to_string();
            match read_rule_file(&f) {
                Ok(text) => report.merge(self.add_text(&name, &text)),
                Err(reason) => report.warnings.push(Warning { file: name, reason }),
            }
        }
        report
    }

    fn insert(&mut self, rule: Rule) {
        let n = self.rules.len() as u32;
        let file = |keys: &[Key], exact: &mut HashMap<String, Vec<u32>>, pre: &mut Vec<_>| {
            for k in keys {
                match k {
                    Key::Exact(s) => exact.entry(s.clone()).or_default().push(n),
                    Key::Prefix(s) => pre.push((s.clone(), n)),
                }
            }
        };
        match (&rule.names, &rule.sources) {
            (Some(names), _) => file(names, &mut self.by_name, &mut self.name_prefixes),
            (None, Some(sources)) => file(sources, &mut self.by_source, &mut self.source_prefixes),
            (None, None) => self.always.push(n),
        }
        self.rules.push(rule);
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What each rule would report, in the order they were added.
    pub fn rules(&self) -> impl Iterator<Item = &Arc<Hit>> {
        self.rules.iter().map(|r| &r.hit)
    }

    /// How many rules are tried on every event (no name or source to index them by).
    pub fn unindexed(&self) -> usize {
        self.always.len()
    }

    /// The rules an event named `name` from `source` could match (sorted, without repeats).
    /// `source` is asked only when some rule is indexed by source alone.
    fn candidates(&self, name: &str, source: impl FnOnce() -> Option<String>) -> Vec<u32> {
        let mut out: Vec<u32> = self.always.clone();
        // Every event is looked up: short ASCII names (all of AWS's) are lowercased in place.
        let mut buf = [0u8; 64];
        let owned;
        let lower: &str = match buf.get_mut(..name.len()) {
            Some(b) if name.is_ascii() => {
                b.copy_from_slice(name.as_bytes());
                b.make_ascii_lowercase();
                std::str::from_utf8(b).unwrap_or_default()
            }
            _ => {
                owned = name.to_lowercase();
                &owned
            }
        };
        if let Some(v) = self.by_name.get(lower) {
            out.extend(v);
        }
        out.extend(
            self.name_prefixes
                .iter()
                .filter(|(p, _)| lower.starts_with(p.as_str()))
                .map(|(_, n)| *n),
        );
        if !self.by_source.is_empty() || !self.source_prefixes.is_empty() {
            if let Some(src) = source().map(|s| s.to_lowercase()) {
                if let Some(v) = self.by_source.get(&src) {
                    out.extend(v);
                }
                out.extend(
                    self.source_prefixes
                        .iter()
                        .filter(|(p, _)| src.starts_with(p.as_str()))
                        .map(|(_, n)| *n),
                );
            }
        }
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    fn hits_of(&self, candidates: &[u32], event: &Value) -> Vec<Arc<Hit>> {
        let mut hits: Vec<Arc<Hit>> = candidates
            .iter()
            .map(|&i| &self.rules[i as usize])
            .filter(|r| r.matches(event))
            .map(|r| r.hit.clone())
            .collect();
        hits.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.rule.cmp(&b.rule)));
        hits
    }

    /// The rules a CloudTrail event (as JSON) sets off, highest level first.
    pub fn evaluate_value(&self, event: &Value) -> Vec<Arc<Hit>> {
        let name = event.get("eventName").and_then(Value::as_str).unwrap_or("");
        let candidates = self.candidates(name, || {
            event
                .get("eventSource")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        if candidates.is_empty() {
            return Vec::new();
        }
        self.hits_of(&candidates, event)
    }

    /// The rules a record sets off, highest level first: CloudTrail events only. The record's
    /// text is parsed again only when a rule can match its event name.
    pub fn evaluate(&self, r: &Record) -> Vec<Arc<Hit>> {
        if r.kind != RecordKind::CloudTrail || self.rules.is_empty() {
            return Vec::new();
        }
        let candidates = self.candidates(&r.event, || r.raw.with(event_source));
        if candidates.is_empty() {
            return Vec::new();
        }
        match r.raw.with(|t| serde_json::from_str::<Value>(t)) {
            Ok(event) => self.hits_of(&candidates, &event),
            Err(_) => Vec::new(),
        }
    }
}

/// An event's `eventSource`, read without building the rest of it.
fn event_source(raw: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Source {
        #[serde(rename = "eventSource")]
        source: Option<String>,
    }
    serde_json::from_str::<Source>(raw).ok()?.source
}

fn read_rule_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut text = String::new();
    file.take(yaml::MAX_RULE_BYTES as u64 + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read: {e}"))?;
    if text.len() > yaml::MAX_RULE_BYTES {
        return Err(format!(
            "larger than the {} bytes a rule file may have",
            yaml::MAX_RULE_BYTES
        ));
    }
    Ok(text)
}

fn rule_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), Warning> {
    let warn = |reason: String| Warning {
        file: dir.display().to_string(),
        reason,
    };
    if depth > MAX_DIR_DEPTH {
        return Err(warn(format!(
            "deeper than {MAX_DIR_DEPTH} folders: not read"
        )));
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| warn(format!("cannot read rules: {e}")))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            rule_files(&path, depth + 1, out)?;
        } else if (name.ends_with(".yml") || name.ends_with(".yaml"))
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
        {
            out.push(path);
        }
    }
    Ok(())
}

/// A record's level as a detection: the highest of its rule hits and, for a GuardDuty finding,
/// its severity's band ([`Level::of_severity`]). `None` when it is neither.
pub fn record_level(r: &Record) -> Option<Level> {
    let rules = r.detections.iter().map(|h| h.level).max();
    let finding = match r.kind {
        RecordKind::GuardDuty => r.severity.map(Level::of_severity),
        _ => None,
    };
    rules.max(finding)
}

/// Whether one of the record's hits is the rule `needle` names: a part of its title or its id,
/// any case (the screen's `rule:` filter).
pub fn has_rule(r: &Record, needle: &str) -> bool {
    let needle = needle.to_lowercase();
    r.detections.iter().any(|h| {
        h.rule.to_lowercase().contains(&needle) || h.id.to_lowercase().starts_with(&needle)
    })
}

/// Whether one of the record's hits carries ATT&CK technique `id` or one of its sub-techniques
/// (`T1098` finds `T1098.001`; the screen's `attack:` filter).
pub fn has_attack(r: &Record, id: &str) -> bool {
    let id = id.trim().to_ascii_uppercase();
    r.detections
        .iter()
        .flat_map(|h| &h.attack)
        .any(|a| a == &id || (a.starts_with(&id) && a.as_bytes().get(id.len()) == Some(&b'.')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;

    fn record(v: Value) -> Record {
        let origin = Origin {
            object: Arc::from("mem://t"),
            position: 1,
        };
        Record::from_value(v, origin, None).unwrap()
    }

    #[test]
    fn the_builtin_pack_reads_whole_and_every_rule_is_indexed() {
        let mut set = RuleSet::new();
        let report = set.add_builtin();
        assert_eq!(report.warnings, vec![], "built-in rules must all read");
        assert_eq!(report.added, BUILTIN.len());
        assert_eq!(set.unindexed(), 0, "every built-in rule names its events");
        let mut ids: Vec<&str> = set.rules().map(|h| h.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), BUILTIN.len(), "ids are unique");
        for h in set.rules() {
            assert!(!h.attack.is_empty(), "{}: no ATT&CK technique", h.file);
            assert!(h.level >= Level::Low, "{}", h.file);
        }
        // Every file of the folder is embedded.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/detect/rules");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".yml"))
            .collect();
        files.sort();
        let listed: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        assert_eq!(files, listed);
    }

    #[test]
    fn records_carry_hits_and_levels() {
        let set = RuleSet::builtin();
        let mut r = record(json!({
            "eventVersion": "1.08", "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
            "eventTime": "2024-05-02T03:00:00Z", "userIdentity": {"type": "IAMUser", "userName": "bob"},
            "requestParameters": {"name": "org-trail"}
        }));
        r.detections = set.evaluate(&r);
        assert_eq!(r.detections.len(), 1);
        assert_eq!(r.detections[0].level, Level::High);
        assert_eq!(
            r.detections[0].file,
            "builtin/aws_cloudtrail_logging_stopped.yml"
        );
        assert_eq!(record_level(&r), Some(Level::High));
        assert!(has_attack(&r, "T1562") && has_attack(&r, "t1562.008"));
        assert!(!has_attack(&r, "T156") && !has_attack(&r, "T1562.001"));
        assert!(has_rule(&r, "logging stopped") && !has_rule(&r, "deleted"));

        let quiet = record(json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}));
        assert!(set.evaluate(&quiet).is_empty());
        assert_eq!(record_level(&quiet), None);

        let finding = |sev: f64| {
            record(
                json!({"schemaVersion": "2.0", "type": "Recon:EC2/PortProbeUnprotectedPort",
                "service": {}, "severity": sev}),
            )
        };
        assert_eq!(record_level(&finding(8.0)), Some(Level::High));
        assert_eq!(record_level(&finding(9.5)), Some(Level::Critical));
        assert_eq!(record_level(&finding(5.0)), Some(Level::Medium));
        assert_eq!(record_level(&finding(2.0)), Some(Level::Low));
        assert!(
            set.evaluate(&finding(8.0)).is_empty(),
            "rules are for CloudTrail"
        );
    }

    #[test]
    fn rules_without_a_name_are_tried_on_every_event() {
        let mut set = RuleSet::new();
        let rule = |det: &str| {
            format!("title: t\nlevel: low\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n{det}")
        };
        set.add_text(
            "root.yml",
            &rule("  a:\n    userIdentity.type: Root\n  condition: a\n"),
        );
        set.add_text(
            "src.yml",
            &rule("  a:\n    eventSource: kms.amazonaws.com\n  condition: a\n"),
        );
        assert_eq!(set.unindexed(), 1);
        let hits = |v: Value| -> Vec<String> {
            let r = record(v);
            set.evaluate(&r).iter().map(|h| h.file.clone()).collect()
        };
        assert_eq!(
            hits(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "userIdentity": {"type": "Root"}})
            ),
            ["root.yml"]
        );
        assert_eq!(
            hits(
                json!({"eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "userIdentity": {"type": "AssumedRole"}})
            ),
            ["src.yml"]
        );
    }

    #[test]
    fn levels_read_and_order() {
        assert_eq!("HIGH".parse::<Level>(), Ok(Level::High));
        assert_eq!("info".parse::<Level>(), Ok(Level::Informational));
        assert!("severe".parse::<Level>().is_err());
        assert!(Level::Critical > Level::High && Level::Low > Level::Informational);
        assert_eq!(Level::of_severity(7.0), Level::High);
        assert_eq!(Level::of_severity(6.9), Level::Medium);
        assert_eq!(Level::of_severity(0.0), Level::Informational);
    }
}
