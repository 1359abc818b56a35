//! Where AWS puts security logs in S3: an object key (or a folder prefix) → its partition.
//!
//! A pure function of the key, so the tree can be labelled and pruned while it is listed one level
//! at a time, without reading any object.

use std::fmt;

/// What an object under a known layout holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    GuardDuty,
    CloudTrail,
    /// CloudTrail digest files: integrity proofs, never events.
    CloudTrailDigest,
    /// CloudTrail Insights: Records without a caller identity.
    CloudTrailInsight,
    /// Security Lake source version 1 (OCSF Parquet).
    SecurityLake,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::GuardDuty => "guardduty",
            Kind::CloudTrail => "cloudtrail",
            Kind::CloudTrailDigest => "cloudtrail-digest",
            Kind::CloudTrailInsight => "cloudtrail-insight",
            Kind::SecurityLake => "securitylake",
        }
    }

    /// Whether objects of this kind hold records worth decoding.
    pub fn has_records(self) -> bool {
        self != Kind::CloudTrailDigest
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A calendar day as written in a key; months and days may still be unknown on a folder prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DayPart {
    pub year: Option<u16>,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl DayPart {
    /// `YYYY-MM-DD` once complete.
    pub fn date(&self) -> Option<String> {
        Some(format!(
            "{:04}-{:02}-{:02}",
            self.year?, self.month?, self.day?
        ))
    }

    /// The inclusive range of days (as `YYYY-MM-DD` strings, comparable) this partial day covers.
    pub fn range(&self) -> Option<(String, String)> {
        let y = self.year?;
        let (m0, m1) = self.month.map_or((1, 12), |m| (m, m));
        let (d0, d1) = self.day.map_or((1, 31), |d| (d, d));
        Some((
            format!("{y:04}-{m0:02}-{d0:02}"),
            format!("{y:04}-{m1:02}-{d1:02}"),
        ))
    }
}

/// Everything the key says about an object (or a folder, partly).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Partition {
    pub kind: Option<Kind>,
    /// Organization id of an organization trail (`o-…`).
    pub org: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    pub day: DayPart,
    /// Security Lake source name (`CLOUD_TRAIL_MGMT`, `VPC_FLOW`, or `ext/<name>`) and version.
    pub lake_source: Option<String>,
    pub lake_version: Option<String>,
    /// Security Lake source version 2 keeps Iceberg tables: metadata and data files, read via Athena.
    pub iceberg: bool,
}

impl Partition {
    /// The partition of a full object key; `None` outside every known layout.
    pub fn of_key(key: &str) -> Option<Partition> {
        let p = parse(key, false);
        p.kind.map(|_| p)
    }

    /// What a folder prefix already tells (possibly nothing).
    pub fn of_prefix(prefix: &str) -> Partition {
        parse(prefix, true)
    }

    /// `YYYY-MM-DD` when the day is complete.
    pub fn date(&self) -> Option<String> {
        self.day.date()
    }
}

fn is_account(s: &str) -> bool {
    // Real keys hold 12 digits; be lenient with what people copy around.
    (6..=13).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_org(s: &str) -> bool {
    s.len() > 2
        && s.starts_with("o-")
        && s[2..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    // us-east-1, eu-west-2, ap-southeast-3, us-gov-west-1, cn-north-1, il-central-1 …
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

fn number<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Reads `YYYY/MM/DD` from the segments that follow a region folder.
fn read_day(rest: &[&str], is_prefix: bool) -> Option<DayPart> {
    let mut day = DayPart::default();
    // On a full key the last segment is the file name, never part of the date.
    let folders = if is_prefix {
        rest
    } else {
        &rest[..rest.len().saturating_sub(1)]
    };
    if let Some(y) = folders.first() {
        day.year = Some(number(y, 4).filter(|y: &u16| (1990..=2999).contains(y))?);
    }
    if let Some(m) = folders.get(1) {
        day.month = Some(number(m, 2).filter(|m: &u8| (1..=12).contains(m))?);
    }
    if let Some(d) = folders.get(2) {
        day.day = Some(number(d, 2).filter(|d: &u8| (1..=31).contains(d))?);
    }
    if !is_prefix && (day.day.is_none() || folders.len() != 3) {
        return None;
    }
    Some(day)
}

fn cloudtrail_kind(s: &str) -> Option<Kind> {
    match s {
        "CloudTrail" => Some(Kind::CloudTrail),
        "CloudTrail-Digest" => Some(Kind::CloudTrailDigest),
        "CloudTrail-Insight" => Some(Kind::CloudTrailInsight),
        _ => None,
    }
}

fn parse(key: &str, is_prefix: bool) -> Partition {
    // A leading or doubled `/` is an empty segment; skipping it keeps the meaning of the rest.
    let segs: Vec<&str> = key.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(i) = segs.iter().rposition(|s| *s == "AWSLogs") {
        return parse_awslogs(&segs[i + 1..], is_prefix);
    }
    parse_security_lake(&segs, is_prefix)
}

fn parse_awslogs(segs: &[&str], is_prefix: bool) -> Partition {
    let mut p = Partition::default();
    let mut i = 0;
    // Older GuardDuty exports: AWSLogs/GuardDuty/<acct>/<region>/…
    if segs.first() == Some(&"GuardDuty") {
        p.kind = Some(Kind::GuardDuty);
        i = 1;
        return fill_account_region_day(p, &segs[i..], is_prefix);
    }
    if let Some(org) = segs.first().filter(|s| is_org(s)) {
        p.org = Some(org.to_string());
        i = 1;
    }
    match segs.get(i) {
        Some(a) if is_account(a) => p.account = Some(a.to_string()),
        Some(_) => return Partition::default(),
        None => return p,
    }
    let kind = match segs.get(i + 1) {
        Some(&"GuardDuty") if p.org.is_none() => Kind::GuardDuty,
        Some(s) => match cloudtrail_kind(s) {
            Some(k) => k,
            None => return Partition::default(),
        },
        None => return p,
    };
    p.kind = Some(kind);
    let rest = &segs[i + 2..];
    match rest.first() {
        Some(r) if is_region(r) => p.region = Some(r.to_string()),
        Some(_) => return Partition::default(),
        None if is_prefix => return p,
        None => return Partition::default(),
    }
    match read_day(&rest[1..], is_prefix) {
        Some(d) => p.day = d,
        None => return Partition::default(),
    }
    p
}

fn fill_account_region_day(mut p: Partition, segs: &[&str], is_prefix: bool) -> Partition {
    match segs.first() {
        Some(a) if is_account(a) => p.account = Some(a.to_string()),
        None if is_prefix => return p,
        _ => return Partition::default(),
    }
    match segs.get(1) {
        Some(r) if is_region(r) => p.region = Some(r.to_string()),
        None if is_prefix => return p,
        _ => return Partition::default(),
    }
    match read_day(&segs[2..], is_prefix) {
        Some(d) => p.day = d,
        None => return Partition::default(),
    }
    p
}

/// `aws/<SOURCE>/<ver>/region=<r>/accountId=<a>/eventDay=YYYYMMDD/<file>` and `ext/<name>/…`.
fn parse_security_lake(segs: &[&str], is_prefix: bool) -> Partition {
    let mut p = Partition::default();
    let Some(root) = segs.iter().rposition(|s| *s == "aws" || *s == "ext") else {
        return p;
    };
    let tail = &segs[root + 1..];
    let Some(name) = tail.first() else {
        return p;
    };
    if segs[root] == "aws" && !looks_like_lake_source(name) {
        return p;
    }
    p.lake_source = Some(if segs[root] == "ext" {
        format!("ext/{name}")
    } else {
        name.to_string()
    });
    p.kind = Some(Kind::SecurityLake);
    let mut rest = &tail[1..];
    if let Some(v) = rest.first().filter(|v| is_lake_version(v)) {
        p.lake_version = Some(v.to_string());
        rest = &rest[1..];
    }
    let folders = if is_prefix {
        rest
    } else {
        &rest[..rest.len().saturating_sub(1)]
    };
    for seg in folders {
        if let Some(r) = seg.strip_prefix("region=") {
            p.region = Some(r.to_string());
        } else if let Some(a) = seg.strip_prefix("accountId=") {
            p.account = Some(a.to_string());
        } else if let Some(d) = seg.strip_prefix("eventDay=") {
            p.day = DayPart {
                year: number(d.get(0..4).unwrap_or(""), 4),
                month: number(d.get(4..6).unwrap_or(""), 2),
                day: number(d.get(6..8).unwrap_or(""), 2),
            };
        } else if *seg == "metadata" || *seg == "data" {
            p.iceberg = true;
        } else if !seg.contains('=') {
            // An unknown folder inside a lake source: not the v1 layout.
            if !is_prefix {
                return Partition::default();
            }
        }
    }
    if !is_prefix && !p.iceberg && p.day.date().is_none() {
        return Partition::default();
    }
    p
}

fn looks_like_lake_source(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn is_lake_version(s: &str) -> bool {
    let v = s.trim_start_matches('v');
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: u16, m: u8, d: u8) -> DayPart {
        DayPart {
            year: Some(y),
            month: Some(m),
            day: Some(d),
        }
    }

    #[test]
    fn guardduty_current_export_with_prefix() {
        let p = Partition::of_key(
            "findings/AWSLogs/111122223333/GuardDuty/us-east-1/2024/05/02/0b8d1f9c-7a2e-3c55-9e10-2f4f8c1a9b77.jsonl.gz",
        )
        .unwrap();
        assert_eq!(p.kind, Some(Kind::GuardDuty));
        assert_eq!(p.account.as_deref(), Some("111122223333"));
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(p.day, day(2024, 5, 2));
        assert_eq!(p.org, None);
    }

    #[test]
    fn guardduty_older_export_and_doubled_slashes() {
        let p = Partition::of_key(
            "/AWSLogs/GuardDuty/111122223333/eu-west-1/2019/12/31/a1b2c3d4-e5f6-3a7b-8c9d-0e1f2a3b4c5d.jsonl.gz",
        )
        .unwrap();
        assert_eq!(p.kind, Some(Kind::GuardDuty));
        assert_eq!(p.account.as_deref(), Some("111122223333"));
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        assert_eq!(p.date().as_deref(), Some("2019-12-31"));
        let p = Partition::of_key(
            "exports//AWSLogs/111122223333/GuardDuty/us-gov-west-1/2024/01/09/x.jsonl.gz",
        )
        .unwrap();
        assert_eq!(p.region.as_deref(), Some("us-gov-west-1"));
    }

    #[test]
    fn cloudtrail_single_account_and_organization_trail() {
        let k = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02/111122223333_CloudTrail_us-east-1_20240502T0305Z_AbCdEfGh12345678.json.gz";
        let p = Partition::of_key(k).unwrap();
        assert_eq!(p.kind, Some(Kind::CloudTrail));
        assert_eq!(p.org, None);
        assert_eq!(p.date().as_deref(), Some("2024-05-02"));

        let k = "trails/AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/eu-west-1/2024/05/01/444455556666_CloudTrail_eu-west-1_20240501T2355Z_0123456789abcdef.json.gz";
        let p = Partition::of_key(k).unwrap();
        assert_eq!(p.kind, Some(Kind::CloudTrail));
        assert_eq!(p.org.as_deref(), Some("o-a1b2c3d4e5"));
        assert_eq!(p.account.as_deref(), Some("444455556666"));
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn digests_and_insights_are_their_own_kinds() {
        let k = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-1/2024/05/02/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240502T030512Z.json.gz";
        let p = Partition::of_key(k).unwrap();
        assert_eq!(p.kind, Some(Kind::CloudTrailDigest));
        assert!(!Kind::CloudTrailDigest.has_records());
        let k = "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/02/111122223333_CloudTrail-Insight_us-east-1_20240502T0400Z_AbCdEfGh12345678.json.gz";
        assert_eq!(
            Partition::of_key(k).unwrap().kind,
            Some(Kind::CloudTrailInsight)
        );
    }

    #[test]
    fn security_lake_native_and_custom_sources() {
        let k = "aws/CLOUD_TRAIL_MGMT/1.0/region=us-east-1/accountId=111122223333/eventDay=20240502/4d5e6f7a8b9c0d1e.gz.parquet";
        let p = Partition::of_key(k).unwrap();
        assert_eq!(p.kind, Some(Kind::SecurityLake));
        assert_eq!(p.lake_source.as_deref(), Some("CLOUD_TRAIL_MGMT"));
        assert_eq!(p.lake_version.as_deref(), Some("1.0"));
        assert_eq!(p.account.as_deref(), Some("111122223333"));
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(p.date().as_deref(), Some("2024-05-02"));

        let k =
            "ext/falcon/region=eu-west-1/accountId=444455556666/eventDay=20240501/part-0.parquet";
        let p = Partition::of_key(k).unwrap();
        assert_eq!(p.lake_source.as_deref(), Some("ext/falcon"));
        assert_eq!(p.date().as_deref(), Some("2024-05-01"));

        let k = "aws/VPC_FLOW/2.0/metadata/00001-abc.metadata.json";
        let p = Partition::of_key(k).unwrap();
        assert!(p.iceberg);
    }

    #[test]
    fn prefixes_tell_what_they_can() {
        let p = Partition::of_prefix("AWSLogs/o-a1b2c3d4e5/");
        assert_eq!(p.org.as_deref(), Some("o-a1b2c3d4e5"));
        assert_eq!(p.kind, None);
        let p = Partition::of_prefix("x/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/");
        assert_eq!(p.kind, Some(Kind::CloudTrail));
        assert_eq!(
            p.day.range().unwrap(),
            ("2024-05-01".into(), "2024-05-31".into())
        );
        let p = Partition::of_prefix("aws/ROUTE53/1.0/region=us-east-1/");
        assert_eq!(p.region.as_deref(), Some("us-east-1"));
        assert_eq!(Partition::of_prefix("random/stuff/"), Partition::default());
    }

    #[test]
    fn keys_outside_the_layout_are_none() {
        for k in [
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/file.json.gz",
            "AWSLogs/111122223333/CloudTrail/notaregion/2024/05/02/f.json.gz",
            "AWSLogs/111122223333/Config/us-east-1/2024/05/02/f.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/02/f.json.gz",
            "notes.txt",
            "aws/lowercase/region=us-east-1/f",
        ] {
            assert_eq!(Partition::of_key(k), None, "{k}");
        }
    }
}
