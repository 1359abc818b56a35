//! The config file from the command line: `@NAME` workspaces stand for their sources in `ls`,
//! `records`, `pivot` and the screen; an unknown workspace or a broken file is a clear error.

use crate::common;

use std::path::{Path, PathBuf};

use common::*;

/// Two local folders laid out as AWS writes them: an organization trail with Security Lake and
/// custom sources, and a GuardDuty export.
struct Lakes {
    _dir: tempfile::TempDir,
    trail: PathBuf,
    findings: PathBuf,
    config: PathBuf,
}

fn lakes(config: impl Fn(&Lakes) -> String) -> Lakes {
    // Under the temp folder, which is HOME for the trawl under test (so `~/` can name it).
    let dir = tempfile::tempdir().unwrap();
    let trail = dir.path().join("trail");
    corpus_lake(&trail);
    let findings = dir.path().join("findings");
    std::fs::rename(trail.join("findings"), &findings).unwrap();
    let mut l = Lakes {
        trail,
        findings,
        config: dir.path().join("config.toml"),
        _dir: dir,
    };
    let text = config(&l);
    std::fs::write(&l.config, text).unwrap();
    l.config = l.config.canonicalize().unwrap();
    l
}

fn demo_workspace(l: &Lakes) -> String {
    format!(
        "theme = \"16\"\n[keys]\nquit = \"x\"\n[athena]\nworkgroup = \"ir\"\n[pivot]\nwindow = \"24h\"\n\
         [workspaces]\ndemo = [{:?}, {:?}]\nstage = [\"s3://stage-trail\"]\n",
        l.trail.display().to_string(),
        l.findings.display().to_string()
    )
}

fn trawl_with(config: &Path) -> std::process::Command {
    let mut c = trawl();
    c.env("TRAWL_CONFIG", config);
    c
}

fn records(config: &Path, sources: &[&str]) -> Run {
    run(trawl_with(config)
        .args(["records", "--format", "jsonl"])
        .args(sources))
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn a_workspace_reads_the_same_records_as_its_folders() {
    let l = lakes(demo_workspace);
    let direct = records(&l.config, &[&s(&l.trail), &s(&l.findings)]);
    assert_eq!(direct.status, 0, "{}", direct.stderr);
    let kinds: std::collections::BTreeSet<String> = json_lines(&direct.stdout)
        .iter()
        .map(|r| r["source"].as_str().unwrap().to_string())
        .collect();
    assert!(
        kinds.contains("guardduty") && kinds.contains("cloudtrail"),
        "both folders are read: {kinds:?}"
    );

    let via = records(&l.config, &["@demo"]);
    assert_eq!(via.status, 0, "{}", via.stderr);
    assert_eq!(via.stdout, direct.stdout);
    assert_eq!(via.stderr, direct.stderr);

    // A folder named as well as through the workspace is read once.
    let both = records(&l.config, &[&s(&l.findings), "@demo"]);
    assert_eq!(both.status, 0, "{}", both.stderr);
    assert_eq!(
        json_lines(&both.stdout).len(),
        json_lines(&direct.stdout).len()
    );
}

#[test]
fn ls_and_pivot_take_workspaces_too() {
    let l = lakes(demo_workspace);
    let ls = |sources: &[&str]| {
        run(trawl_with(&l.config)
            .args(["ls", "--format", "jsonl"])
            .args(sources))
    };
    let direct = ls(&[&s(&l.trail), &s(&l.findings)]);
    assert_eq!(direct.status, 0, "{}", direct.stderr);
    assert!(!direct.stdout.is_empty());
    assert_eq!(ls(&["@demo"]).stdout, direct.stdout);

    // The account of the GuardDuty samples, which also owns the Security Lake objects.
    let pivot = |sources: &[&str]| {
        run(trawl_with(&l.config)
            .args(["pivot", "--format", "jsonl"])
            .args(sources)
            .arg("account:123456789012"))
    };
    let direct = pivot(&[&s(&l.trail), &s(&l.findings)]);
    assert_eq!(direct.status, 0, "{}", direct.stderr);
    assert!(!json_lines(&direct.stdout).is_empty());
    let via = pivot(&["@demo"]);
    assert_eq!(via.status, 0, "{}", via.stderr);
    assert_eq!(via.stdout, direct.stdout);
}

#[test]
fn a_workspace_source_may_start_at_home() {
    // trawl() sets HOME to the temp folder, where the lakes are.
    let l = lakes(|l| {
        let rel = l.findings.strip_prefix(std::env::temp_dir()).unwrap();
        format!("[workspaces]\ngd = [\"~/{}\"]\n", rel.display())
    });
    let via = records(&l.config, &["@gd"]);
    let direct = records(&l.config, &[&s(&l.findings)]);
    assert_eq!(via.status, 0, "{}", via.stderr);
    assert!(!via.stdout.is_empty());
    assert_eq!(via.stdout, direct.stdout);
}

#[test]
fn an_unknown_workspace_is_bad_usage_listing_the_known_ones() {
    let l = lakes(demo_workspace);
    let expected = format!(
        "no workspace 'prdo' in {}; known: demo, stage",
        l.config.display()
    );
    for args in [
        vec!["records", "@prdo"],
        vec!["ls", "@prdo"],
        vec!["pivot", "@prdo", "203.0.113.66"],
        // The screen: the error comes before any terminal is opened.
        vec!["@prdo"],
    ] {
        let r = run(trawl_with(&l.config).args(&args));
        assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
        assert_eq!(r.stderr.trim(), format!("trawl: {expected}"), "{args:?}");
    }
}

#[test]
fn a_broken_config_is_an_error_naming_the_file_only_where_it_is_needed() {
    let l = lakes(|_| "[workspaces]\ndemo = [\"./lake\"]\n[athena]\nworkgrup = \"ir\"\n".into());
    let r = records(&l.config, &["@demo"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let line = r.stderr.trim();
    assert!(
        line.starts_with(&format!("trawl: config: {}: line 4", l.config.display()))
            && line.contains("unknown field `workgrup`"),
        "{line}"
    );
    // Without a workspace the config is not read, so the file's typo does not stop `records`.
    let r = records(&l.config, &[&s(&l.findings)]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    // Athena reads the same file, and says the same.
    let r = run(trawl_with(&l.config).args(["athena", "pivot", "--dry-run", "203.0.113.66"]));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("unknown field `workgrup`"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_config_file_says_where_workspaces_would_be() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("config.toml");
    let r = records(&missing, &["@prod"]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "no workspace 'prod': there is no config file at {}",
            missing.display()
        )),
        "{}",
        r.stderr
    );
}
