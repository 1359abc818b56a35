//! The built-in demo lake: writes a small, deterministic copy of what AWS delivers to S3 for an
//! organization CloudTrail and GuardDuty exports, telling one intrusion story end to end, so that
//! `trawl demo`, the README and the tests have real-shaped data without an AWS account.
//!
//! The story (2024-05-02, account 111122223333, us-east-1): an outside host probes the web-app
//! instance, steals its instance-role credentials, creates a backdoor IAM user with an access key,
//! and uses that key to look around and hop into the dev account. Ordinary traffic surrounds it on
//! all three days, in both accounts and both regions. Everything comes from a seeded PRNG, so two
//! runs write byte-identical files.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;

// The parts, by what they write: the facts (`story`) and the cast of accounts, buckets and
// callers (`cast`); time (`clock`) and identifiers (`ids`); the CloudTrail traffic of machines
// (`routine`), of people (`people`) and of the attacker (`intrusion`), rendered as events and
// objects by `cloudtrail`; GuardDuty findings and exports (`guardduty`); the digests that list
// and sign the CloudTrail objects (`digest`); and Security Lake's OCSF Parquet (`security_lake`).
mod cast;
mod clock;
mod cloudtrail;
mod digest;
mod guardduty;
mod ids;
mod intrusion;
mod people;
mod routine;
mod security_lake;
pub mod story;
#[cfg(test)]
mod story_tests;
#[cfg(test)]
mod testlake;

pub use digest::{public_keys_json, PUBLIC_KEYS};

use cast::{DEV, EUW1, INFIX, PROD, USE1};
use clock::{BASE, HOURS};
use guardduty::Export;
use ids::{Rng, B64, BASE32};
use story::{GUARDDUTY_BUCKET, ORG_TRAIL_BUCKET, SECURITY_LAKE_BUCKET};

/// Where the demo lake was written and how much of it there is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLake {
    /// The directory the bucket folders were written under.
    pub root: PathBuf,
    /// One folder per bucket, each usable as a trawl source.
    pub sources: Vec<PathBuf>,
    /// How many objects (files) were written.
    pub objects: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Write the demo lake under `dir` (created if missing; files already there with the same name are
/// overwritten; nothing else is removed). Returns where it is.
///
/// # Errors
///
/// Any error from creating the folders or writing the files.
pub fn write_demo_lake(dir: &Path) -> io::Result<DemoLake> {
    let files = build()?;
    let mut bytes = 0u64;
    let mut made = PathBuf::new();
    for (rel, data) in &files {
        let path = rel
            .split('/')
            .fold(dir.to_path_buf(), |p, part| p.join(part));
        if let Some(parent) = path.parent() {
            // Objects arrive grouped by folder, so remembering the last one saves most mkdir calls.
            if parent != made {
                fs::create_dir_all(parent)?;
                made = parent.to_path_buf();
            }
        }
        fs::write(&path, data)?;
        bytes += data.len() as u64;
    }
    Ok(DemoLake {
        root: dir.to_path_buf(),
        sources: vec![
            dir.join(ORG_TRAIL_BUCKET),
            dir.join(GUARDDUTY_BUCKET),
            dir.join(SECURITY_LAKE_BUCKET),
        ],
        objects: files.len(),
        bytes,
    })
}

fn gzip(data: &[u8]) -> io::Result<Vec<u8>> {
    // GzEncoder writes mtime 0 and no file name, so the bytes depend on the input alone.
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 5), Compression::default());
    enc.write_all(data)?;
    enc.finish()
}

/// Builds the whole lake in memory.
struct Gen {
    rng: Rng,
    /// Events by (account, region, hour of the lake).
    logs: BTreeMap<(usize, usize, i64), Vec<(i64, Value)>>,
    exports: Vec<Export>,
}

/// Every object of the lake: (path under the lake root, bytes).
fn build() -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut g = Gen {
        rng: Rng::seeded("trawl demo lake"),
        logs: BTreeMap::new(),
        exports: Vec::new(),
    };
    for hour in 0..HOURS {
        for acct in [PROD, DEV] {
            for region in [USE1, EUW1] {
                g.config_hour(acct, region, hour);
                g.lambda_hour(acct, region, hour);
            }
        }
    }
    let instance_keys = g.web_app();
    for day in 0..3 {
        g.ci(day);
    }
    g.people();
    g.intrusion();
    g.background_findings();
    // Drawn from a generator of their own, so every other event keeps its ids.
    let story = std::mem::replace(&mut g.rng, Rng::seeded("trawl demo data events"));
    g.web_objects(&instance_keys);
    g.rng = story;
    let mut files = Vec::new();
    g.write_cloudtrail(&mut files)?;
    digest::seal(&mut files)?;
    g.write_insight(&mut files)?;
    g.write_guardduty(&mut files)?;
    let lake = security_lake::build(&files)?;
    files.extend(lake);
    Ok(files)
}

impl Gen {
    fn key(&mut self, kind: &str, acct: usize) -> String {
        format!("{kind}{}{}", INFIX[acct], self.rng.chars(BASE32, 8))
    }

    /// A random second of a lake hour; the last hour of a day stops at 23:50 so that its object
    /// is delivered, and filed, on the same day.
    fn in_hour(&mut self, hour: i64) -> i64 {
        let span = if hour % 24 == 23 { 3000 } else { 3600 };
        BASE + hour * 3600 + self.rng.below(span) as i64
    }

    fn token(&mut self) -> String {
        format!("IQoJb3JpZ2luX2Vj{}", self.rng.chars(B64, 104))
    }
}

#[cfg(test)]
mod tests {
    use super::cast::ACCOUNTS;
    use super::story::*;
    use super::testlake::{lake, parse, s, walk, Kind};
    use super::*;
    use std::collections::{BTreeSet, HashMap};
    use std::net::Ipv4Addr;

    #[test]
    fn writes_byte_identical_lakes() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_demo_lake(dir.path()).unwrap();
        let files = walk(dir.path());
        let shared = &lake().files;
        assert_eq!(files.len(), shared.len());
        for (x, y) in files.iter().zip(shared) {
            assert_eq!(x.0, y.0);
            assert!(x.1 == y.1, "{} differs between runs", x.0);
        }
        assert_eq!(written.objects, files.len());
        assert_eq!(
            written.bytes,
            files.iter().map(|f| f.1.len() as u64).sum::<u64>()
        );
        assert_eq!(written.root, dir.path());
        assert_eq!(
            written.sources,
            vec![
                dir.path().join("org-trail"),
                dir.path().join("guardduty-exports"),
                dir.path().join("security-lake")
            ]
        );
        assert!(written.sources.iter().all(|p| p.is_dir()));
        assert!(written.bytes < 5_000_000, "{} bytes", written.bytes);

        // Writing again over the same place overwrites in place and leaves other files alone.
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let again = write_demo_lake(dir.path()).unwrap();
        assert_eq!(again, written);
        let after = walk(dir.path());
        assert_eq!(after.len(), files.len() + 1);
        assert!(after.iter().any(|(p, d)| p == "notes.txt" && d == b"mine"));
        assert!(files.iter().all(|f| after.contains(f)));
    }

    #[test]
    fn every_object_path_matches_the_layout() {
        let lake = lake();
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for (rel, _) in lake
            .files
            .iter()
            .filter(|(rel, _)| !rel.starts_with(SECURITY_LAKE_BUCKET))
        {
            let p = parse(rel).unwrap_or_else(|| panic!("unexpected layout: {rel}"));
            assert!(ACCOUNTS.contains(&p.account.as_str()), "{rel}");
            assert!(REGIONS.contains(&p.region.as_str()), "{rel}");
            // The digests that close each chain are delivered after the last day's midnight.
            let closing = p.kind == Kind::Digest && p.day == "2024-05-04";
            assert!(DAYS.contains(&p.day.as_str()) || closing, "{rel}");
            *kinds.entry(format!("{:?}", p.kind)).or_default() += 1;
        }
        assert_eq!(kinds["Log"], CLOUDTRAIL_OBJECTS);
        assert_eq!(kinds["Digest"], DIGEST_OBJECTS);
        assert_eq!(kinds["Insight"], INSIGHT_OBJECTS);
        assert_eq!(kinds["Findings"], GUARDDUTY_OBJECTS);
    }

    fn allowed(ip: Ipv4Addr) -> bool {
        let o = ip.octets();
        ip.is_private()
            || ip.to_string() == INSTANCE_PUBLIC_IP
            || matches!(o, [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _])
    }

    fn addresses(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(text) => {
                // Split on separators only, so that versions such as `Chrome/124.0.0.0` stay whole.
                for token in text.split(|c: char| c.is_whitespace() || ",;()[]\"'".contains(c)) {
                    let token = token.trim_matches('.');
                    if token.matches('.').count() == 3 && token.parse::<Ipv4Addr>().is_ok() {
                        out.push(token.to_string());
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| addresses(i, out)),
            Value::Object(map) => map.values().for_each(|i| addresses(i, out)),
            _ => {}
        }
    }

    #[test]
    fn only_documentation_private_and_instance_addresses() {
        let lake = lake();
        let mut found = Vec::new();
        for (_, v) in lake
            .events
            .iter()
            .chain(&lake.findings)
            .chain(&lake.insights)
            .chain(&lake.digests)
        {
            addresses(v, &mut found);
        }
        let distinct: BTreeSet<String> = found.into_iter().collect();
        for ip in &distinct {
            assert!(
                allowed(ip.parse().unwrap()),
                "{ip} is not a documentation address"
            );
        }
        for ip in [
            ATTACKER_IP,
            OFFICE_IP,
            CI_IP,
            INSTANCE_PUBLIC_IP,
            INSTANCE_PRIVATE_IP,
        ] {
            assert!(distinct.contains(ip), "{ip} never appears");
        }
        // Service principals stand in for addresses too, as in real trails.
        let sources: BTreeSet<&str> = lake
            .events
            .iter()
            .map(|(_, e)| s(e, &["sourceIPAddress"]))
            .collect();
        for name in [
            "ec2.amazonaws.com",
            "config.amazonaws.com",
            "AWS Internal",
            "lambda.amazonaws.com",
        ] {
            assert!(sources.contains(name), "{name}");
        }
    }
}
