//! The object cache: reopening what was read costs no download, an entry is only used for the
//! ETag it was stored under, and `--no-cache` reads S3 every time.

mod common;

use common::*;

fn lines(n: usize) -> Vec<u8> {
    let text = std::fs::read_to_string(corpus("test-guardduty.log")).unwrap();
    let kept: Vec<&str> = text.lines().take(n).collect();
    gzip(format!("{}\n", kept.join("\n")).as_bytes())
}

fn entries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("objects"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cached_object_is_served_for_its_etag_only() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("cache");
    let key = aws.kms_bucket(&bucket).await;
    let obj = "AWSLogs/123412341234/GuardDuty/us-east-1/2022/11/22/a.jsonl.gz";
    aws.put_kms(&bucket, obj, lines(5), &key).await;
    let cache = tempfile::tempdir().unwrap();
    let url = format!("s3://{bucket}");
    let records = |extra: &[&str]| {
        let r = run(trawl()
            .args([
                "records",
                "--format",
                "jsonl",
                "--endpoint-url",
                &m.endpoint,
                "--cache-dir",
            ])
            .arg(cache.path())
            .args(extra)
            .arg(&url));
        assert_eq!(r.status, 0, "{}", r.stderr);
        json_lines(&r.stdout).len()
    };

    assert_eq!(records(&[]), 5);
    let stored = entries(cache.path());
    assert_eq!(
        stored.len(),
        1,
        "one complete entry, no partial file: {stored:?}"
    );
    assert!(!stored[0].to_string_lossy().ends_with(".part"));

    // Proof that the second read is not a download: an entry changed behind trawl's back is what
    // it shows, since the object's ETag did not change.
    std::fs::write(&stored[0], lines(1)).unwrap();
    assert_eq!(records(&[]), 1);
    assert_eq!(records(&["--no-cache"]), 5, "--no-cache reads S3");

    // A new version of the object has a new ETag: the old entry is never shown for it.
    aws.put_kms(&bucket, obj, lines(3), &key).await;
    assert_eq!(records(&[]), 3);
    assert_eq!(entries(cache.path()).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cache_stays_under_its_cap() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("cap");
    let key = aws.kms_bucket(&bucket).await;
    for day in ["20", "21", "22"] {
        let obj = format!("AWSLogs/123412341234/GuardDuty/us-east-1/2022/11/{day}/a.jsonl.gz");
        aws.put_kms(&bucket, &obj, lines(5), &key).await;
    }
    let cache = tempfile::tempdir().unwrap();
    let one = lines(5).len() as u64;
    let r = run(trawl()
        .args([
            "records",
            "--format",
            "jsonl",
            "--endpoint-url",
            &m.endpoint,
            "--cache-dir",
        ])
        .arg(cache.path())
        .args(["--cache-max-bytes", &(2 * one + one / 2).to_string()])
        .arg(format!("s3://{bucket}")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    // Three identical findings files: newest-export dedup leaves 5 findings.
    assert_eq!(json_lines(&r.stdout).len(), 5);
    let total: u64 = entries(cache.path())
        .iter()
        .map(|p| p.metadata().unwrap().len())
        .sum();
    assert!(total <= 2 * one + one / 2, "{total} bytes cached");
    assert_eq!(entries(cache.path()).len(), 2);
}
