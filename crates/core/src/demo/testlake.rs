//! The demo lake as the tests read it back: written once, every object parsed by its layout.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use flate2::read::GzDecoder;
use serde_json::Value;

use super::story::SECURITY_LAKE_BUCKET;
use super::write_demo_lake;

/// Every file under `dir`, as (path with `/`, bytes), sorted.
pub(super) fn walk(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                let rel: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((rel.join("/"), fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    visit(dir, dir, &mut out);
    out.sort();
    out
}

pub(super) fn gunzip(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(data).read_to_end(&mut out).unwrap();
    out
}

#[derive(Debug, PartialEq, Clone, Copy)]
pub(super) enum Kind {
    Log,
    Digest,
    Insight,
    Findings,
}

pub(super) struct Parsed {
    pub(super) kind: Kind,
    pub(super) account: String,
    pub(super) region: String,
    pub(super) day: String,
    /// The `YYYYMMDDTHHmm` of a CloudTrail object name.
    pub(super) stamp: String,
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn region_like(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && parts[..2]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !parts[2].is_empty()
        && parts[2].bytes().all(|b| b.is_ascii_digit())
}

fn uuid_like(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if [8, 13, 18, 23].contains(&i) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// The layouts of DESIGN.md section 1, checked piece by piece.
pub(super) fn parse(rel: &str) -> Option<Parsed> {
    let p: Vec<&str> = rel.split('/').collect();
    match p.as_slice() {
        ["org-trail", "AWSLogs", org, acct, kind, region, y, m, d, name] => {
            let org_ok = org.strip_prefix("o-").is_some_and(|r| {
                (10..=32).contains(&r.len())
                    && r.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            });
            if !(org_ok
                && digits(acct, 12)
                && region_like(region)
                && digits(y, 4)
                && digits(m, 2)
                && digits(d, 2))
            {
                return None;
            }
            let ymd = format!("{y}{m}{d}");
            let stem = name.strip_suffix(".json.gz")?;
            let parts: Vec<&str> = stem.split('_').collect();
            let stamp_ok = |s: &str, n: usize| {
                s.len() == 8 + 1 + n + 1
                    && s.starts_with(&ymd)
                    && s.as_bytes()[8] == b'T'
                    && digits(&s[9..9 + n], n)
                    && s.ends_with('Z')
            };
            let alnum16 = |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_alphanumeric());
            let kind = match (*kind, parts.as_slice()) {
                ("CloudTrail", [a, "CloudTrail", r, stamp, suffix])
                    if a == acct && r == region && stamp_ok(stamp, 4) && alnum16(suffix) =>
                {
                    Kind::Log
                }
                ("CloudTrail-Digest", [a, "CloudTrail-Digest", r, trail, home, stamp])
                    if a == acct
                        && r == region
                        && !trail.is_empty()
                        && region_like(home)
                        && stamp_ok(stamp, 6) =>
                {
                    Kind::Digest
                }
                ("CloudTrail-Insight", [a, "CloudTrail-Insight", r, stamp, suffix])
                    if a == acct && r == region && stamp_ok(stamp, 4) && alnum16(suffix) =>
                {
                    Kind::Insight
                }
                _ => return None,
            };
            let stamp = if kind == Kind::Log {
                parts[3][..13].to_string()
            } else {
                String::new()
            };
            Some(Parsed {
                kind,
                account: acct.to_string(),
                region: region.to_string(),
                day: format!("{y}-{m}-{d}"),
                stamp,
            })
        }
        ["guardduty-exports", "findings", "AWSLogs", acct, "GuardDuty", region, y, m, d, name]
            if digits(acct, 12)
                && region_like(region)
                && digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && name.strip_suffix(".jsonl.gz").is_some_and(uuid_like) =>
        {
            Some(Parsed {
                kind: Kind::Findings,
                account: acct.to_string(),
                region: region.to_string(),
                day: format!("{y}-{m}-{d}"),
                stamp: String::new(),
            })
        }
        _ => None,
    }
}

/// The lake as the tests read it back.
pub(super) struct Lake {
    pub(super) files: Vec<(String, Vec<u8>)>,
    /// (object path, event) for every CloudTrail event in an event object.
    pub(super) events: Vec<(String, Value)>,
    /// (object path, finding) for every GuardDuty line.
    pub(super) findings: Vec<(String, Value)>,
    pub(super) digests: Vec<(String, Value)>,
    pub(super) insights: Vec<(String, Value)>,
}

fn load(dir: &Path) -> Lake {
    let files = walk(dir);
    let mut lake = Lake {
        files: Vec::new(),
        events: Vec::new(),
        findings: Vec::new(),
        digests: Vec::new(),
        insights: Vec::new(),
    };
    // The Security Lake Parquet is derived from these logs and checked by its own tests.
    for (rel, data) in files
        .iter()
        .filter(|(rel, _)| !rel.starts_with(SECURITY_LAKE_BUCKET))
    {
        let parsed = parse(rel).unwrap_or_else(|| panic!("unexpected layout: {rel}"));
        let text = gunzip(data);
        match parsed.kind {
            Kind::Findings => {
                let text = String::from_utf8(text).unwrap();
                for line in text.lines() {
                    let v: Value = serde_json::from_str(line).unwrap();
                    lake.findings.push((rel.clone(), v));
                }
            }
            kind => {
                let v: Value = serde_json::from_slice(&text).unwrap();
                match kind {
                    Kind::Log => {
                        for e in v["Records"].as_array().unwrap() {
                            lake.events.push((rel.clone(), e.clone()));
                        }
                    }
                    Kind::Digest => lake.digests.push((rel.clone(), v)),
                    _ => lake.insights.push((rel.clone(), v)),
                }
            }
        }
    }
    lake.files = files;
    lake
}

/// One lake shared by the tests that only read it: writing is the slow part of a debug build.
pub(super) fn lake() -> &'static Lake {
    static LAKE: OnceLock<Lake> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        write_demo_lake(dir.path()).unwrap();
        load(dir.path())
    })
}

pub(super) fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_str()
        .unwrap_or_default()
}
