//! Encrypted objects and denied reads, as an on-call engineer meets them: objects written by AWS's
//! own S3 Encryption Client read exactly like their plaintext copy, tampering is refused, and a
//! 403 names the one permission that is missing with the statement that grants it.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use aws_smithy_runtime_api::http::{Response as HttpResponse, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use common::*;
use serde_json::Value;
use tokio::io::AsyncReadExt;
use trawl::source::{ReadOptions, S3Store, SseCustomerKey, Store};

/// Runs tests/fixtures/s3ec_writer.py: AWS's S3 Encryption Client writes `objects` (key, local
/// file, format) into `bucket` under `kms_key`, and reads each back before any tampering.
fn write_with_s3ec(m: &Moto, bucket: &str, kms_key: &str, objects: &[(String, &Path, &str)]) {
    let py = python().expect("the test venv");
    let dir = tempfile::tempdir().unwrap();
    let job = dir.path().join("job.json");
    let objects: Vec<Value> = objects
        .iter()
        .map(|(key, file, format)| {
            serde_json::json!({"key": key, "file": file.to_str().unwrap(), "format": format})
        })
        .collect();
    let body = serde_json::json!({
        "endpoint": m.endpoint, "bucket": bucket, "kms_key": kms_key, "objects": objects,
    });
    std::fs::write(&job, body.to_string()).unwrap();
    let out = std::process::Command::new(py)
        .arg(fixture("s3ec_writer.py"))
        .arg(&job)
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_DEFAULT_REGION", REGION)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "the S3 Encryption Client could not write the fixtures: {}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Every file under `dir`, by its key relative to `dir`.
fn files(dir: &Path) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let key = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.push((key, p));
            }
        }
    }
    out.sort();
    out
}

async fn cse_bucket(m: &Moto, tag: &str) -> (String, String) {
    let aws = aws(m).await;
    let bucket = unique_bucket(tag);
    let key = aws.kms_bucket(&bucket).await;
    (bucket, key)
}

fn records(m: &Moto, extra: &[&str], source: &str) -> Run {
    let mut cmd = trawl();
    cmd.args([
        "records",
        "--format",
        "jsonl",
        "--endpoint-url",
        &m.endpoint,
    ]);
    cmd.args(extra).arg(source);
    run(&mut cmd)
}

#[tokio::test(flavor = "multi_thread")]
async fn client_side_encrypted_lake_reads_exactly_like_its_plaintext_copy() {
    let Some(m) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    corpus_lake(dir.path());
    let (bucket, kms_key) = cse_bucket(m, "cse").await;
    // Every format the client writes, with the envelope in metadata and in an instruction file.
    let formats = ["v3", "v2", "v3-instruction", "v2-instruction"];
    let lake = files(dir.path());
    let objects: Vec<(String, &Path, &str)> = lake
        .iter()
        .enumerate()
        .map(|(i, (key, path))| (key.clone(), path.as_path(), formats[i % formats.len()]))
        .collect();
    assert_eq!(objects.len(), 7);
    write_with_s3ec(m, &bucket, &kms_key, &objects);

    let local = dir.path().to_str().unwrap().to_string();
    let plain = run(trawl().args(["records", "--format", "jsonl", &local]));
    assert_eq!(plain.status, 0, "{}", plain.stderr);
    let url = format!("s3://{bucket}");
    let enc = records(m, &[], &url);
    assert_eq!(enc.status, 0, "{}", enc.stderr);
    assert_eq!(enc.stderr, plain.stderr.replace(&local, &url));
    let got = records_rel(&enc.stdout, &url);
    assert_eq!(got, records_rel(&plain.stdout, &local));
    // Real content came through: findings, CloudTrail events and the Parquet OCSF rows.
    let kinds: std::collections::BTreeSet<&str> =
        got.iter().filter_map(|r| r["source"].as_str()).collect();
    assert_eq!(
        kinds,
        ["cloudtrail", "guardduty", "ocsf"].into_iter().collect()
    );
    assert!(got.len() > 20, "{} records", got.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn one_client_side_encrypted_object_by_its_key() {
    let Some(m) = moto() else { return };
    let (bucket, kms_key) = cse_bucket(m, "cse-one").await;
    let file = corpus("test-guardduty.log");
    let key = "exports/findings.jsonl".to_string();
    write_with_s3ec(
        m,
        &bucket,
        &kms_key,
        &[(key.clone(), &file, "v3-instruction")],
    );
    let enc = records(m, &[], &format!("s3://{bucket}/{key}"));
    assert_eq!(enc.status, 0, "{}", enc.stderr);
    let plain = run(trawl().args(["records", "--format", "jsonl", file.to_str().unwrap()]));
    let strip = |s: &str| {
        json_lines(s)
            .into_iter()
            .map(|mut v| {
                v.as_object_mut().unwrap().remove("object");
                v
            })
            .collect::<Vec<_>>()
    };
    assert!(!strip(&plain.stdout).is_empty());
    assert_eq!(strip(&enc.stdout), strip(&plain.stdout));
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_v1_objects_are_read_only_with_the_explicit_flag() {
    let Some(m) = moto() else { return };
    let (bucket, kms_key) = cse_bucket(m, "cse-v1").await;
    let file = corpus("test-guardduty.log");
    write_with_s3ec(
        m,
        &bucket,
        &kms_key,
        &[("old.jsonl".into(), &file, "v1-legacy")],
    );
    let url = format!("s3://{bucket}/old.jsonl");

    let refused = records(m, &[], &url);
    assert_eq!(refused.status, 1);
    assert_eq!(refused.stdout, "");
    assert!(
        refused.stderr.contains(&format!(
            "trawl: warning: {url}: failed (v1 (kms wrap, AES-CBC): unauthenticated legacy client-side encryption, read only with --allow-legacy-cse)"
        )),
        "{}",
        refused.stderr
    );

    let read = records(m, &["--allow-legacy-cse"], &url);
    assert_eq!(read.status, 0, "{}", read.stderr);
    let plain = run(trawl().args(["records", "--format", "jsonl", file.to_str().unwrap()]));
    let records = |s: &str| -> Vec<Value> {
        json_lines(s)
            .into_iter()
            .map(|v| v["record"].clone())
            .collect()
    };
    assert!(!records(&plain.stdout).is_empty());
    assert_eq!(records(&read.stdout), records(&plain.stdout));
}

#[tokio::test(flavor = "multi_thread")]
async fn tampered_ciphertext_and_wrong_context_are_refused_with_nothing_printed() {
    let Some(m) = moto() else { return };
    let (bucket, kms_key) = cse_bucket(m, "cse-bad").await;
    let file = corpus("test-guardduty.log");
    write_with_s3ec(
        m,
        &bucket,
        &kms_key,
        &[
            ("v2-flipped.jsonl".into(), &file, "v2-tampered-body"),
            ("v3-flipped.jsonl".into(), &file, "v3-tampered-body"),
            ("v2-context.jsonl".into(), &file, "v2-wrong-context"),
        ],
    );
    let cases = [
        (
            "v2-flipped.jsonl",
            "failed (client-side encrypted object failed authentication (the AES-GCM tag does not verify): tampered or corrupted, nothing of it was read)",
        ),
        (
            "v3-flipped.jsonl",
            "failed (client-side encrypted object failed authentication (the AES-GCM tag does not verify): tampered or corrupted, nothing of it was read)",
        ),
        (
            "v2-context.jsonl",
            "failed (KMS refused to unwrap the data key (InvalidCiphertextException): the encryption context in the envelope is not the one it was wrapped under, or the wrapped key was altered; nothing of the object was read)",
        ),
    ];
    for (key, reason) in cases {
        let url = format!("s3://{bucket}/{key}");
        let r = records(m, &[], &url);
        assert_eq!(r.status, 1, "{key}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{key}: garbage reached the output");
        let first = r.stderr.lines().next().unwrap_or_default();
        assert_eq!(first, format!("trawl: warning: {url}: {reason}"));
    }
}

/// A moto that enforces IAM once the fixtures are in place, and a reader whose policy is `policy`.
fn iam_reader(m: &Moto, policy: &Value) -> (String, String) {
    const SETUP: &str = r#"
import json, sys, urllib.request, boto3
endpoint, policy = sys.argv[1], sys.argv[2]
iam = boto3.client("iam", endpoint_url=endpoint)
iam.create_user(UserName="reader")
iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=policy)
key = iam.create_access_key(UserName="reader")["AccessKey"]
# From here on every request must be signed by an IAM identity allowed to make it.
# (A form content type would hide the body from moto, hence text/plain.)
req = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST")
req.add_header("Content-Type", "text/plain")
urllib.request.urlopen(req)
print(json.dumps([key["AccessKeyId"], key["SecretAccessKey"]]))
"#;
    let out = std::process::Command::new(python().unwrap())
        .args(["-c", SETUP, &m.endpoint, &policy.to_string()])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_DEFAULT_REGION", REGION)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pair: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    (pair[0].clone(), pair[1].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn moto_enforcing_iam_explains_the_denials() {
    let Some(m) = private_moto(&[]) else { return };
    let (bucket, kms_key) = cse_bucket(&m, "iam").await;
    let aws = aws(&m).await;
    let file = corpus("test-guardduty.log");
    aws.put_kms(
        &bucket,
        "plain/findings.jsonl",
        std::fs::read(&file).unwrap(),
        &kms_key,
    )
    .await;
    write_with_s3ec(
        &m,
        &bucket,
        &kms_key,
        &[("cse/findings.jsonl".into(), &file, "v2")],
    );
    // The reader may list the bucket and read cse/, but neither read plain/ nor use the key.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/cse/*")},
        ]
    });
    let (id, secret) = iam_reader(&m, &policy);
    let run_as_reader = |prefix: &str| {
        run(trawl()
            .env("AWS_ACCESS_KEY_ID", &id)
            .env("AWS_SECRET_ACCESS_KEY", &secret)
            .args([
                "records",
                "--format",
                "jsonl",
                "--endpoint-url",
                &m.endpoint,
            ])
            .arg(format!("s3://{bucket}/{prefix}")))
    };

    let plain = run_as_reader("plain/");
    assert_eq!(plain.status, 1, "{}", plain.stderr);
    let object_arn = format!("arn:aws:s3:::{bucket}/plain/findings.jsonl");
    assert_eq!(
        plain.stderr.lines().next().unwrap(),
        format!(
            "trawl: warning: s3://{bucket}/plain/findings.jsonl: access denied (missing s3:GetObject on {object_arn}; grant it with {{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"{object_arn}\"}})"
        )
    );

    let cse = run_as_reader("cse/");
    assert_eq!(cse.status, 1, "{}", cse.stderr);
    assert_eq!(cse.stdout, "");
    // moto's denial names no key (AWS's names the key ARN, which then appears here instead), and
    // a kms+context envelope does not carry the key id: the message says which key it means.
    assert_eq!(
        cse.stderr.lines().next().unwrap(),
        format!(
            "trawl: warning: s3://{bucket}/cse/findings.jsonl: access denied (missing kms:Decrypt on the KMS key that wrapped this client-side encrypted object's data key)"
        )
    );
}

fn kms_for_tests() -> aws_sdk_kms::Client {
    // Never called by these tests: the S3 answers are mocked and nothing is client-side encrypted.
    aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_kms::config::Region::new("us-east-1"))
            .build(),
    )
}

fn forbidden() -> HttpResponse {
    HttpResponse::new(
        StatusCode::try_from(403).unwrap(),
        SdkBody::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
        ),
    )
}

#[tokio::test]
async fn sse_kms_denied_names_kms_decrypt_on_the_key_and_the_grant() {
    let key_arn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let get = mock!(aws_sdk_s3::Client::get_object).then_http_response(forbidden);
    let head = mock!(aws_sdk_s3::Client::head_object).then_output(move || {
        HeadObjectOutput::builder()
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .ssekms_key_id(key_arn)
            .content_length(1234)
            .build()
    });
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&get, &head]);
    let store = S3Store::from_clients(s3, kms_for_tests(), "gd-exports", ReadOptions::default());
    let key = "AWSLogs/111122223333/GuardDuty/us-east-1/2024/05/02/f.jsonl.gz";
    let err = match store.get(key).await {
        Ok(_) => panic!("a denied read must fail"),
        Err(e) => e,
    };
    assert_eq!(
        err.to_string(),
        format!(
            "s3://gd-exports/{key}: access denied (missing kms:Decrypt on {key_arn}: the object is SSE-KMS encrypted under that key; grant it with {{\"Effect\":\"Allow\",\"Action\":\"kms:Decrypt\",\"Resource\":\"{key_arn}\"}})"
        )
    );
    assert_eq!((get.num_calls(), head.num_calls()), (1, 1));

    // The same words reach the per-object error list that the CLI and the screen show.
    let obj = trawl::walk::ObjectRef {
        source: 0,
        store: Arc::new(store),
        meta: trawl::source::ObjectMeta {
            key: key.to_string(),
            size: Some(1234),
            etag: None,
            last_modified: None,
        },
        partition: trawl::layout::Partition::of_key(key),
    };
    let res = trawl::load::read_object(&obj, &trawl::load::LoadOptions::default()).await;
    assert_eq!(res.problems.len(), 1);
    assert!(res.problems[0]
        .message
        .starts_with(&format!("access denied (missing kms:Decrypt on {key_arn}:")));
}

#[tokio::test]
async fn plain_403_names_s3_get_object_on_the_object() {
    let get = mock!(aws_sdk_s3::Client::get_object).then_http_response(forbidden);
    let head = mock!(aws_sdk_s3::Client::head_object).then_http_response(|| {
        HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::empty())
    });
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&get, &head]);
    let store = S3Store::from_clients(s3, kms_for_tests(), "trail", ReadOptions::default());
    let err = match store.get("AWSLogs/x.json.gz").await {
        Ok(_) => panic!("a denied read must fail"),
        Err(e) => e,
    };
    assert_eq!(
        err.to_string(),
        "s3://trail/AWSLogs/x.json.gz: access denied (missing s3:GetObject on arn:aws:s3:::trail/AWSLogs/x.json.gz; grant it with {\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::trail/AWSLogs/x.json.gz\"})"
    );
}

#[tokio::test]
async fn sse_c_key_file_sends_the_customer_key_headers() {
    let raw: Vec<u8> = (0u8..32).collect();
    let b64 = aws_smithy_types::base64::encode(&raw);
    // The same key from raw bytes and from base64 (with a newline, as `base64 > file` leaves it).
    let from_raw = SseCustomerKey::from_bytes(&raw).unwrap();
    let from_b64 = SseCustomerKey::from_bytes(format!("{b64}\n").as_bytes()).unwrap();
    assert_eq!(from_raw.md5_b64(), from_b64.md5_b64());
    assert!(
        !format!("{from_raw:?}").contains(&b64),
        "Debug shows the key"
    );
    let short = SseCustomerKey::from_bytes(&raw[..31]).unwrap_err();
    assert!(
        short.contains("need 32 raw bytes or their base64"),
        "{short}"
    );

    let md5 = from_raw.md5_b64().to_string();
    let (want_key, want_md5) = (b64.clone(), md5.clone());
    let get = mock!(aws_sdk_s3::Client::get_object)
        .match_requests(move |r| {
            r.sse_customer_algorithm() == Some("AES256")
                && r.sse_customer_key() == Some(want_key.as_str())
                && r.sse_customer_key_md5() == Some(want_md5.as_str())
        })
        .then_output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(b"{\"eventVersion\":\"1.08\"}\n"))
                .build()
        });
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&get]);
    let read = ReadOptions {
        sse_c: Some(from_b64),
        ..ReadOptions::default()
    };
    let store = S3Store::from_clients(s3, kms_for_tests(), "ssec", read);
    let mut body = String::new();
    store
        .get("k.json")
        .await
        .expect("the mock answers only a request that carries the key")
        .read_to_string(&mut body)
        .await
        .unwrap();
    assert_eq!(body, "{\"eventVersion\":\"1.08\"}\n");
    assert_eq!(get.num_calls(), 1);
}

#[test]
fn a_bad_sse_c_key_file_is_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("key");
    std::fs::write(&file, "c2hvcnQ=\n").unwrap();
    let r = run(trawl().args([
        "records",
        "--sse-c-key-file",
        file.to_str().unwrap(),
        "s3://b/k",
    ]));
    assert_eq!(r.status, 1);
    assert_eq!(
        r.stderr.trim_end(),
        format!(
            "trawl: --sse-c-key-file {}: holds a 5-byte key: SSE-C keys are 256 bits (32 bytes)",
            file.display()
        )
    );
}
