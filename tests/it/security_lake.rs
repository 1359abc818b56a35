//! Security Lake: OCSF Parquet written by an independent writer (pyarrow) reads as the JSON a
//! person expects, locally and from S3; the demo's Security Lake day takes part in pivots.

use crate::common;

use common::*;
use serde_json::Value;
use std::process::Command;

fn python_script(script: &str) -> Command {
    let py = python().unwrap_or_else(|e| panic!("the test Python is required: {e}"));
    let mut c = Command::new(py);
    c.arg(manifest_dir().join("tests/py").join(script));
    c
}

#[test]
fn pyarrow_parquet_with_nesting_nulls_lists_maps_and_all_three_codecs() {
    let dir = tempfile::tempdir().unwrap();
    let out = python_script("write_parquet.py")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<Value> = std::fs::read_to_string(dir.path().join("expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for codec in ["gzip", "zstd", "snappy"] {
        let file = dir.path().join(format!("ocsf-{codec}.parquet"));
        let r = run(trawl().args(["records", "--format", "jsonl"]).arg(&file));
        assert_eq!(r.status, 0, "{codec}: {}", r.stderr);
        let recs = json_lines(&r.stdout);
        let got: Vec<&Value> = recs.iter().map(|r| &r["record"]).collect();
        assert_eq!(got, expected.iter().collect::<Vec<_>>(), "{codec}");
        assert_eq!(recs[0]["time"], "2024-05-02T01:10:00.250Z");
        assert_eq!(recs[0]["source"], "ocsf");
        assert_eq!(recs[1]["account"], "444455556666");
        assert_eq!(recs[1]["region"], "eu-west-1");
        let mut ips: Vec<&str> = recs[0]["entities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "ip")
            .map(|e| e["value"].as_str().unwrap())
            .collect();
        ips.sort();
        assert_eq!(
            ips,
            ["10.0.1.25", "192.0.2.1", "192.0.2.2", "203.0.113.66"],
            "{codec}"
        );
    }
}

fn demo(dir: &std::path::Path) {
    let r = run(trawl().args(["demo", "--no-tui", "--dir"]).arg(dir));
    assert_eq!(r.status, 0, "{}", r.stderr);
}

fn pivot(dir: &std::path::Path, entity: &str) -> (Vec<Value>, String) {
    let r = run(trawl()
        .args(["pivot", "--format", "jsonl"])
        .arg(dir.join("org-trail"))
        .arg(dir.join("guardduty-exports"))
        .arg(dir.join("security-lake"))
        .arg(entity));
    assert_eq!(r.status, 0, "{}", r.stderr);
    (json_lines(&r.stdout), r.stderr)
}

fn count(recs: &[Value], kind: &str) -> usize {
    recs.iter().filter(|r| r["source"] == kind).count()
}

#[test]
fn the_demo_pivots_find_the_intrusion_in_all_three_kinds() {
    use trawl::demo::story::*;
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    // The OCSF side is counted by pyarrow, a reader independent of trawl's.
    let out = python_script("ocsf_counts.py")
        .arg(dir.path().join("security-lake"))
        .args([ATTACKER_IP, STOLEN_KEY])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ocsf: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(ocsf["ip"].as_u64().unwrap() > 0 && ocsf["key"].as_u64().unwrap() > 0);

    let (recs, _) = pivot(dir.path(), ATTACKER_IP);
    assert_eq!(count(&recs, "cloudtrail"), ATTACKER_IP_EVENTS);
    assert_eq!(count(&recs, "guardduty"), ATTACKER_FINDINGS_AFTER_DEDUP);
    assert_eq!(count(&recs, "ocsf") as u64, ocsf["ip"].as_u64().unwrap());

    let (recs, stderr) = pivot(dir.path(), STOLEN_KEY);
    assert_eq!(count(&recs, "cloudtrail"), STOLEN_KEY_EVENTS);
    assert_eq!(count(&recs, "ocsf") as u64, ocsf["key"].as_u64().unwrap());
    // The exfiltration finding (its newest export only) and the backdoor-user finding name the key.
    let finding_ids: Vec<&str> = recs
        .iter()
        .filter(|r| r["source"] == "guardduty")
        .map(|r| r["record"]["id"].as_str().unwrap())
        .collect();
    assert!(finding_ids.contains(&EXFIL_FINDING_ID));
    let exfil = recs
        .iter()
        .find(|r| r["record"]["id"] == EXFIL_FINDING_ID)
        .unwrap();
    assert_eq!(exfil["record"]["service"]["count"], EXFIL_FINDING_COUNTS.1);
    // The chain: the key was issued by EC2's AssumeRole for the instance role.
    let chain: Vec<&str> = stderr.lines().collect();
    assert_eq!(chain[0], "identity chain:");
    assert!(
        chain[1].contains(&format!(
            "{STOLEN_KEY} issued by AssumeRole at {STOLEN_KEY_ISSUED_AT}"
        )),
        "{stderr}"
    );
    assert!(
        chain[1].contains(&format!(
            "(role {INSTANCE_ROLE_ARN}), called by ec2.amazonaws.com"
        )),
        "{stderr}"
    );
}

#[test]
fn the_cross_account_key_leads_back_through_the_backdoor_to_the_instance() {
    use trawl::demo::story::*;
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let (recs, stderr) = pivot(dir.path(), CROSS_ACCOUNT_KEY);
    assert!(recs
        .iter()
        .all(|r| r["account"] == DEV_ACCOUNT || r["record"]["eventName"] == "AssumeRole"));
    let links: Vec<&str> = stderr.lines().skip(1).collect();
    assert_eq!(links.len(), 3, "{stderr}");
    assert!(links[0].starts_with(&format!("  {CROSS_ACCOUNT_KEY} issued by AssumeRole")));
    assert!(links[0].contains(&format!("with key {BACKDOOR_KEY}")));
    assert!(links[1].starts_with(&format!("  {BACKDOOR_KEY} issued by CreateAccessKey")));
    assert!(links[1].contains(&format!("to user {BACKDOOR_USER}")));
    assert!(links[1].contains(&format!("with key {STOLEN_KEY} from {ATTACKER_IP}")));
    assert!(links[2].starts_with(&format!("  {STOLEN_KEY} issued by AssumeRole")));
}

#[test]
fn a_security_lake_day_reads_the_same_from_s3() {
    let Some(m) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let lake = dir.path().join("security-lake");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bucket = unique_bucket("sl");
    rt.block_on(async {
        let aws = aws(m).await;
        let key = aws.kms_bucket(&bucket).await;
        aws.upload_dir(&bucket, "", &lake, &key).await;
    });
    let day = [
        "records",
        "--format",
        "jsonl",
        "--since",
        "2024-05-02",
        "--until",
        "2024-05-02",
    ];
    let local = run(trawl().args(day).arg(&lake));
    let s3 =
        run(trawl()
            .args(day)
            .args(["--endpoint-url", &m.endpoint, &format!("s3://{bucket}")]));
    assert_eq!(s3.status, 0, "{}", s3.stderr);
    let strip = |out: &str, base: &str| -> Vec<Value> {
        json_lines(out)
            .into_iter()
            .map(|mut v| {
                let o = v["object"].as_str().unwrap().replacen(base, "", 1);
                v["object"] = Value::String(o.trim_start_matches('/').to_string());
                v
            })
            .collect()
    };
    let a = strip(&s3.stdout, &format!("s3://{bucket}"));
    let b = strip(&local.stdout, lake.to_str().unwrap());
    assert!(a.len() > 100, "{} records", a.len());
    assert!(a.iter().all(|r| r["source"] == "ocsf"));
    assert_eq!(a, b);
}

#[test]
fn iceberg_tables_are_named_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("aws/VPC_FLOW/2.0/metadata");
    std::fs::create_dir_all(&meta).unwrap();
    std::fs::write(
        meta.join("00001-abc.metadata.json"),
        b"{\"format-version\":2}",
    )
    .unwrap();
    let r = run(trawl().args(["ls", "--format", "jsonl"]).arg(dir.path()));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let rows = json_lines(&r.stdout);
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["kind"]
        .as_str()
        .unwrap()
        .contains("Iceberg: read it through Athena"));
    let r = run(trawl().args(["records"]).arg(dir.path()));
    assert_eq!(r.status, 0);
    assert_eq!(r.stdout, "");
    assert!(
        r.stderr.contains("(Iceberg) table: read it through Athena"),
        "{}",
        r.stderr
    );
}
