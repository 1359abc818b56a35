//! Reading a lake from S3 (a real moto endpoint, objects stored with SSE-KMS) gives exactly what
//! the same lake gives from a local copy.

use crate::common;

use common::*;
use serde_json::Value;

fn ls_rows(stdout: &str) -> Vec<Value> {
    json_lines(stdout)
        .into_iter()
        .map(|mut v| {
            v.as_object_mut().unwrap().remove("source");
            v
        })
        .collect()
}

/// Records with the object's location made relative, so local and S3 runs compare.
fn records_rel(stdout: &str, base: &str) -> Vec<Value> {
    json_lines(stdout)
        .into_iter()
        .map(|mut v| {
            let o = v["object"].as_str().unwrap().to_string();
            let rel = o
                .strip_prefix(base)
                .unwrap_or_else(|| panic!("{o} not under {base}"));
            v["object"] = Value::String(rel.trim_start_matches('/').to_string());
            v
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_lake_reads_exactly_like_its_local_copy() {
    let Some(m) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    corpus_lake(dir.path());
    let aws = aws(m).await;
    let bucket = unique_bucket("lake");
    let key = aws.kms_bucket(&bucket).await;
    let uploaded = aws.upload_dir(&bucket, "", dir.path(), &key).await;
    assert_eq!(uploaded, 7);

    let local = dir.path().to_str().unwrap().to_string();
    let url = format!("s3://{bucket}");
    let ls_local = run(trawl().args(["ls", "--format", "jsonl", &local]));
    let ls_s3 = run(trawl().args([
        "ls",
        "--format",
        "jsonl",
        "--endpoint-url",
        &m.endpoint,
        &url,
    ]));
    assert_eq!(ls_s3.status, 0, "{}", ls_s3.stderr);
    assert_eq!(ls_local.status, 0, "{}", ls_local.stderr);
    assert_eq!(ls_rows(&ls_s3.stdout), ls_rows(&ls_local.stdout));

    // What a person sees: kinds, accounts, regions and days, with the object counts.
    let seen: Vec<(String, String, String, String, u64)> = ls_rows(&ls_s3.stdout)
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("-").to_string();
            (
                s("kind"),
                s("account"),
                s("region"),
                s("day"),
                r["objects"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = |k: &str, a: &str, r: &str, d: &str| (k.into(), a.into(), r.into(), d.into(), 1);
    let mut seen_sorted = seen.clone();
    seen_sorted.sort();
    let mut expected = vec![
        want("cloudtrail", "111122223333", "us-east-2", "2024-05-02"),
        want("cloudtrail", "123456789", "us-east-2", "2023-05-30"),
        want(
            "cloudtrail-digest",
            "111122223333",
            "us-east-2",
            "2024-05-02",
        ),
        want("guardduty", "123456789012", "us-east-1", "2024-05-02"),
        want("guardduty", "123456789012", "us-east-1", "2024-05-03"),
        want("securitylake", "123456789012", "us-east-1", "2024-05-02"),
        want("securitylake", "123456789012", "us-east-1", "2024-05-02"),
    ];
    expected.sort();
    assert_eq!(seen_sorted, expected);

    let rec_local = run(trawl().args(["records", "--format", "jsonl", &local]));
    let rec_s3 = run(trawl().args([
        "records",
        "--format",
        "jsonl",
        "--endpoint-url",
        &m.endpoint,
        &url,
    ]));
    assert_eq!(rec_s3.status, 0, "{}", rec_s3.stderr);
    assert_eq!(rec_local.status, 0, "{}", rec_local.stderr);
    let a = records_rel(&rec_s3.stdout, &url);
    let b = records_rel(&rec_local.stdout, &local);
    // 5 + 104 findings, 2 + 46 CloudTrail events, 4 Parquet rows, 17 OCSF network events.
    assert_eq!(a.len(), 5 + 104 + 2 + 46 + 4 + 17);
    assert_eq!(a, b);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_s3_object_and_filters() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("one");
    let key = aws.kms_bucket(&bucket).await;
    let k = "incident/cloudtrail-log-file.json.gz";
    aws.put_kms(
        &bucket,
        k,
        std::fs::read(corpus("cloudtrail-log-file.json.gz")).unwrap(),
        &key,
    )
    .await;
    let url = format!("s3://{bucket}/{k}");
    let r = run(trawl().args([
        "records",
        "--format",
        "jsonl",
        "--endpoint-url",
        &m.endpoint,
        &url,
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let recs = json_lines(&r.stdout);
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|v| v["object"] == url.as_str()));
    assert!(recs.iter().all(|v| v["source"] == "cloudtrail"));

    // The folder holding it, filtered to nothing by account.
    let r = run(trawl().args([
        "records",
        "--format",
        "jsonl",
        "--account",
        "999999999999",
        "--endpoint-url",
        &m.endpoint,
        &format!("s3://{bucket}/incident"),
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_bucket_is_one_clear_line_and_exit_1() {
    let Some(m) = moto() else { return };
    let r = run(trawl().args([
        "ls",
        "--endpoint-url",
        &m.endpoint,
        "s3://no-such-bucket-for-trawl",
    ]));
    assert_eq!(r.status, 1);
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert!(
        lines[0].contains("s3://no-such-bucket-for-trawl"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("not found"), "{}", lines[0]);
}
