//! `trawl verify`: CloudTrail log file integrity validation, against digests this test makes in
//! AWS's exact format (file names, fields, gzip, the string to sign, SHA256withRSA with a key of
//! its own, the signature in `x-amz-meta-signature`), served by the local S3 endpoint with their
//! metadata and from a local copy without it.

use crate::common;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use aws_sdk_cloudtrail::primitives::Blob;
use aws_sdk_cloudtrail::types::PublicKey;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use trawl::source::{ReadOptions, S3Store, Source};
use trawl::verify::{self, CloudTrailKeys, Status};

/// The test's own signing key (CloudTrail's private keys never leave AWS).
const TEST_KEY_PEM: &str = r"-----BEGIN RSA PRIVATE KEY-----
MIIEpQIBAAKCAQEAvdaBhspVn/MW+XoCEkadrq9QsWplM6qRbJ5vupfI9CFolz3C
6W1GxDEgMNpGNNG8QvqwTH8OOZxlGI146radJbkYERxXshY+oje4uLYruOHZrjo3
3ZcbTnOau3AxkPiG29CwAh19ut6qkKu5chJvRndWDsancsBKSivn5EiGS5q6n543
KR3jD9airYypd4c4Xpu+gQJYs3nKRDZmRBNwrsfO1rtmX/oLt7he4PljFUscfJQo
ZAlirGmCkaY6jhk0/WmcBM/CLm4j0p2wdy0jUDNre0a6kpO9mi3T6Dht9HuLY2wE
DBRoFDdRssoA1tguRWNz38n8TbDSYrGFBRKifQIDAQABAoIBAAImkbhyht+XoK3T
XaK2lU4XpW/rZfmcw1PuutvP1+cUbD3z0v4TgQgOwo/sQ/v+Rrh60l20EFxxOZtD
o1Ooiy6Ui7QBEKkhqE/sqOV40Ew0uofrztrb62yGpBzxSmlSOApVaE40HWZImwEl
ypxMHqr2qn+Z/53blVUEtmQU8B1ox7VgeyMhYpRfGNO7Uw65VWEIGXJcO7P0OZ6z
H5aRGETk0WG6zTod+XWMJ7fSZeyqSNoDLMeAZjfYjlaY5AguvwgMTR8vlQ77yYvu
avOrIrcbFVV/HZcMaIktH5/BTstsx1L9JurX1q/kHrU2UtXIRhfyAUTYe8B3AEIW
sSZuc9kCgYEA90izHjnbm17p7lkHN5P/oSxzZYtwcnc8WvpL9lvAXck5vJr57qFE
+tGPtZWyKwiUkcy24InTi8524YBADJlWla/nffIrvXrvSKbJsK5UtM2tudgYB+Op
mkQLXHsXlVp/473nyhdjwVAy28QR5onFGlpBJTwuu8D+z/pWYPrcLukCgYEAxId1
CUgimNoOBQ9AObtMvhGxRs9I2rTL1de9oye9vAYe48e3oZ3bfzoNk7cWABWbEB6r
tsRjuF3JF2dlfqAzgbVy1qrMbFbliK1GZsaDNU0P1K5FMNjoFuUCuk9D5lmg3NAx
hQM3/65mDba0DCC7AAqsddM8q4p6UlIPU3scYnUCgYEA3um0Pf0eEFNhQbETpnBN
sjbl15X5SdZenAyhyXUwVdr9px11TD4odonOqHxHXi+f7kbCXGsiPhdiZyk7k5/u
w4UMgyZ5c5eMeMuRaSndxhbbEnrQPtxlmWDZdQapXcN1IhGhDzZCgJMRJbb8A/wR
qA3QSAaWgj4Z9dXPZCD/t3ECgYEAvHTcsSrgKk0nloh6YSIPxE/4/Fr3lOo8cPJx
4kvQsMX5xxmUKMHUYxtLO7Qcv7X4PSv8I8YNjhU5KV04QYXj/mT+G4Yrg1SMxVTL
pvCDj5A3Nw5qQR4u6Q1wYTJzfSfDjxuB8PgWMfON32atHtggGjkiCdanXiPripcw
JTBwFqUCgYEAhyX4uOZ4FWQfUfsTePS9fJjqeMxL1VNeZFfONU6ptfZ6i9vExsPW
pDrazGeb5e2iscenj9pn415ON/g+aB4tRauReiggxDa4WdunVHiF02/5Bd17VJly
gH/D/UCu6YDyVfKrkkZaiojFa4ZExxrrAqJkTDg/C4Uhm36wsI7+2a0=
-----END RSA PRIVATE KEY-----
";

struct Key {
    private: rsa::PrivateKey,
    der: Vec<u8>,
    fingerprint: String,
}

fn test_key() -> &'static Key {
    static KEY: std::sync::OnceLock<Key> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
        let private = rsa::PrivateKey::from_pkcs1_pem(TEST_KEY_PEM).unwrap();
        let der = private
            .to_public_key()
            .to_pkcs1_der()
            .unwrap()
            .as_bytes()
            .to_vec();
        let fingerprint = hex(&md5::Md5::digest(&der));
        Key {
            private,
            der,
            fingerprint,
        }
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn gunzip(data: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(data)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// What `aws cloudtrail list-public-keys` prints for the test key.
fn public_keys_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("public-keys.json");
    let list = json!({"PublicKeyList": [{
        "Value": aws_smithy_types::base64::encode(&test_key().der),
        "ValidityStartTime": "2024-06-01T00:00:00+00:00",
        "ValidityEndTime": "2024-07-01T00:00:00+00:00",
        "Fingerprint": test_key().fingerprint,
    }]});
    std::fs::write(&path, serde_json::to_vec_pretty(&list).unwrap()).unwrap();
    path
}

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-central-1";
const TRAIL: &str = "audit-trail";

/// One object as CloudTrail delivers it, with the digest's signature metadata.
#[derive(Clone)]
struct Object {
    key: String,
    body: Vec<u8>,
    signature: Option<String>,
}

/// A trail's delivery: hourly digests, each listing the two log objects of its hour.
struct Trail {
    bucket: String,
    objects: Vec<Object>,
    /// Digest keys, oldest first.
    digests: Vec<String>,
    /// The log keys each digest lists.
    logs: Vec<Vec<String>>,
    base: String,
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 6, 10, 0, 0, 0).unwrap()
}

fn log_body(at: DateTime<Utc>, n: usize) -> Vec<u8> {
    let record = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": format!("arn:aws:iam::{ACCOUNT}:user/ops"), "accountId": ACCOUNT, "userName": "ops"},
        "eventTime": (at - Duration::minutes(3)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity",
        "awsRegion": REGION,
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": null,
        "responseElements": null,
        "eventID": format!("00000000-0000-4000-8000-{n:012}"),
        "readOnly": true,
        "eventType": "AwsApiCall",
        "managementEvent": true,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    });
    serde_json::to_vec(&json!({"Records": [record]})).unwrap()
}

impl Trail {
    /// `hours` hourly digests under `root` (`""` or a prefix ending in `/`), of an organization
    /// trail when `org` is given.
    fn new(bucket: &str, root: &str, org: Option<&str>, hours: usize) -> Trail {
        let base = match org {
            Some(o) => format!("{root}AWSLogs/{o}/{ACCOUNT}/"),
            None => format!("{root}AWSLogs/{ACCOUNT}/"),
        };
        let mut t = Trail {
            bucket: bucket.to_string(),
            objects: Vec::new(),
            digests: Vec::new(),
            logs: Vec::new(),
            base,
        };
        let mut previous: Option<(String, String, String)> = None;
        for h in 0..hours {
            let end = t0() + Duration::hours(h as i64 + 1) + Duration::seconds(12 * 60 + 31);
            let start = end - Duration::hours(1);
            let mut listed = Vec::new();
            let mut log_files = Vec::new();
            for (i, minutes) in [10, 40].iter().enumerate() {
                let at = start + Duration::minutes(*minutes);
                let key = t.log_key(at, h * 2 + i);
                let body = log_body(at, h * 2 + i);
                log_files.push(json!({
                    "s3Bucket": bucket,
                    "s3Object": key,
                    "hashValue": hex(&Sha256::digest(&body)),
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": (at - Duration::minutes(3)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    "oldestEventTime": (at - Duration::minutes(3)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                }));
                t.objects.push(Object {
                    key: key.clone(),
                    body: common::gzip(&body),
                    signature: None,
                });
                listed.push(key);
            }
            let key = format!(
                "{}CloudTrail-Digest/{REGION}/{}/{ACCOUNT}_CloudTrail-Digest_{REGION}_{TRAIL}_{REGION}_{}.json.gz",
                t.base,
                end.format("%Y/%m/%d"),
                end.format("%Y%m%dT%H%M%SZ")
            );
            let iso = |x: DateTime<Utc>| x.format("%Y-%m-%dT%H:%M:%SZ").to_string();
            let (pb, po, ph, pa, ps) = match &previous {
                Some((o, h, s)) => (
                    json!(bucket),
                    json!(o),
                    json!(h),
                    json!("SHA-256"),
                    json!(s),
                ),
                None => (
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ),
            };
            let digest = json!({
                "awsAccountId": ACCOUNT,
                "digestStartTime": iso(start),
                "digestEndTime": iso(end),
                "digestS3Bucket": bucket,
                "digestS3Object": key,
                "digestPublicKeyFingerprint": test_key().fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
                "newestEventTime": iso(start + Duration::minutes(37)),
                "oldestEventTime": iso(start + Duration::minutes(7)),
                "previousDigestS3Bucket": pb,
                "previousDigestS3Object": po,
                "previousDigestHashValue": ph,
                "previousDigestHashAlgorithm": pa,
                "previousDigestSignature": ps,
                "logFiles": log_files,
            });
            let body = serde_json::to_vec(&digest).unwrap();
            let sha = hex(&Sha256::digest(&body));
            // The string to sign, as AWS's custom-implementation document gives it.
            let prev_sig = previous
                .as_ref()
                .map_or("null".to_string(), |p| p.2.clone());
            let to_sign = format!("{}\n{bucket}/{key}\n{sha}\n{prev_sig}", iso(end));
            let signature = hex(&test_key()
                .private
                .pkcs1v15_sign::<Sha256>(to_sign.as_bytes())
                .unwrap());
            t.objects.push(Object {
                key: key.clone(),
                body: common::gzip(&body),
                signature: Some(signature.clone()),
            });
            t.digests.push(key.clone());
            t.logs.push(listed);
            previous = Some((key, sha, signature));
        }
        t
    }

    fn log_key(&self, at: DateTime<Utc>, n: usize) -> String {
        format!(
            "{}CloudTrail/{REGION}/{}/{ACCOUNT}_CloudTrail_{REGION}_{}_{:0>16}.json.gz",
            self.base,
            at.format("%Y/%m/%d"),
            at.format("%Y%m%dT%H%MZ"),
            format!("Ab{n}")
        )
    }

    fn object_mut(&mut self, key: &str) -> &mut Object {
        self.objects.iter_mut().find(|o| o.key == key).unwrap()
    }

    fn remove(&mut self, key: &str) {
        self.objects.retain(|o| o.key != key);
    }

    /// A local copy, as `aws s3 sync` makes it: the bytes, without the metadata.
    fn write_copy(&self, dir: &Path) {
        for o in &self.objects {
            let p = dir.join(&o.key);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &o.body).unwrap();
        }
    }

    async fn serve(&self, aws: &common::Aws) {
        aws.s3
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .unwrap();
        for o in &self.objects {
            let mut put = aws
                .s3
                .put_object()
                .bucket(&self.bucket)
                .key(&o.key)
                .body(o.body.clone().into())
                .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256);
            if let Some(sig) = &o.signature {
                put = put
                    .metadata("signature", sig)
                    .metadata("signature-algorithm", "SHA256withRSA");
            }
            put.send().await.unwrap();
        }
    }
}

/// Status by object, from `trawl verify`'s JSON lines.
fn statuses(stdout: &str) -> HashMap<String, (String, String)> {
    common::json_lines(stdout)
        .into_iter()
        .map(|v| {
            (
                v["object"].as_str().unwrap().to_string(),
                (
                    v["status"].as_str().unwrap().to_string(),
                    v["detail"].as_str().unwrap_or_default().to_string(),
                ),
            )
        })
        .collect()
}

fn status_of<'a>(s: &'a HashMap<String, (String, String)>, object: &str) -> &'a str {
    &s.get(object)
        .unwrap_or_else(|| panic!("{object} not reported; got {:?}", s.keys()))
        .0
}

/// `trawl verify` of the trail served from moto, keys from a file.
fn verify_s3(m: &common::Moto, trail: &Trail, keys: &Path) -> common::Run {
    common::run(common::trawl().args([
        "verify",
        "--format",
        "jsonl",
        "--endpoint-url",
        &m.endpoint,
        "--no-cache",
        "--public-keys",
        keys.to_str().unwrap(),
        &format!("s3://{}", trail.bucket),
    ]))
}

fn s3(trail: &Trail, key: &str) -> String {
    format!("s3://{}/{key}", trail.bucket)
}

#[tokio::test]
async fn a_trail_as_cloudtrail_delivered_it_is_valid_online_with_keys_from_list_public_keys() {
    let Some(m) = common::moto() else { return };
    let aws = common::aws(m).await;
    let trail = Trail::new(&common::unique_bucket("ct-valid"), "", None, 4);
    trail.serve(&aws).await;
    let store = S3Store::from_clients(
        aws.s3.clone(),
        aws.kms.clone(),
        &trail.bucket,
        ReadOptions::default(),
    );
    let source = Source {
        store: Arc::new(store),
        prefix: String::new(),
        object: None,
        name: format!("s3://{}", trail.bucket),
    };
    let list = mock!(aws_sdk_cloudtrail::Client::list_public_keys)
        .match_requests(|r| r.start_time().is_some() && r.end_time().is_some())
        .sequence()
        .output(|| {
            aws_sdk_cloudtrail::operation::list_public_keys::ListPublicKeysOutput::builder()
                .public_key_list(
                    PublicKey::builder()
                        .value(Blob::new(test_key().der.clone()))
                        .fingerprint(&test_key().fingerprint)
                        .build(),
                )
                .build()
        })
        .repeatedly()
        .build();
    let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&list]);
    let opts = verify::Options {
        keys: Arc::new(CloudTrailKeys::with_client(cloudtrail)),
        limits: trawl::decode::Limits::default(),
        concurrency: 4,
    };
    let report = verify::verify_scope(&[source], &trawl::scope::Scope::default(), &opts).await;
    assert!(!report.failed(), "{:#?}", report.objects);
    assert_eq!(list.num_calls(), 1, "one ListPublicKeys for the one region");
    let by = report.by_object();
    for (i, d) in trail.digests.iter().enumerate() {
        let c = by[s3(&trail, d).as_str()];
        // Online even the newest digest is checked: its signature is in its metadata.
        assert_eq!(c.status, Status::Valid, "{c:?}");
        assert!(c.detail.contains("x-amz-meta-signature"), "{c:?}");
        for l in &trail.logs[i] {
            let c = by[s3(&trail, l).as_str()];
            assert_eq!(c.status, Status::Valid, "{c:?}");
            assert_eq!(c.digest.as_deref(), Some(s3(&trail, d).as_str()));
            assert_eq!(
                c.fingerprint.as_deref(),
                Some(test_key().fingerprint.as_str())
            );
        }
    }
    assert_eq!(report.counts(verify::ObjectKind::Log)[&Status::Valid], 8);
    // The export carries it.
    let integrity = report.integrities();
    assert_eq!(integrity.len(), 8);
    assert!(integrity.values().all(|i| i.status == Status::Valid));
}

#[tokio::test]
async fn a_failing_list_public_keys_is_said_and_fails_the_check() {
    let Some(m) = common::moto() else { return };
    let aws = common::aws(m).await;
    let trail = Trail::new(&common::unique_bucket("ct-nokeys"), "", None, 2);
    trail.serve(&aws).await;
    let store = S3Store::from_clients(
        aws.s3.clone(),
        aws.kms.clone(),
        &trail.bucket,
        ReadOptions::default(),
    );
    let source = Source {
        store: Arc::new(store),
        prefix: String::new(),
        object: None,
        name: "s3".into(),
    };
    let denied = mock!(aws_sdk_cloudtrail::Client::list_public_keys).then_http_response(|| {
        aws_smithy_runtime_api::http::Response::new(
            aws_smithy_runtime_api::http::StatusCode::try_from(400).unwrap(),
            aws_smithy_types::body::SdkBody::from(
                r#"{"__type":"AccessDeniedException","message":"User is not authorized to perform: cloudtrail:ListPublicKeys"}"#,
            ),
        )
    });
    let cloudtrail = mock_client!(aws_sdk_cloudtrail, RuleMode::MatchAny, [&denied]);
    let opts = verify::Options {
        keys: Arc::new(CloudTrailKeys::with_client(cloudtrail)),
        limits: trawl::decode::Limits::default(),
        concurrency: 4,
    };
    let report = verify::verify_scope(&[source], &trawl::scope::Scope::default(), &opts).await;
    assert!(report.failed());
    let digest = &report.by_object()[s3(&trail, &trail.digests[1]).as_str()];
    assert_eq!(digest.status, Status::Error);
    assert!(
        digest.detail.contains("AccessDeniedException") && digest.detail.contains("--public-keys"),
        "{}",
        digest.detail
    );
    let log = &report.by_object()[s3(&trail, &trail.logs[1][0]).as_str()];
    assert_eq!(log.status, Status::Error, "{log:?}");
}

#[tokio::test]
async fn the_command_line_checks_a_bucket_and_fails_on_a_changed_byte_a_deleted_log_and_an_extra_one(
) {
    let Some(m) = common::moto() else { return };
    let aws = common::aws(m).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = public_keys_file(dir.path());

    let good = Trail::new(&common::unique_bucket("ct-cli"), "", None, 3);
    good.serve(&aws).await;
    let r = verify_s3(m, &good, &keys);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = statuses(&r.stdout);
    assert_eq!(s.len(), 9, "3 digests and 6 logs: {s:?}");
    assert!(s.values().all(|(st, _)| st == "valid"), "{s:?}");
    assert!(
        r.stderr.contains("6 CloudTrail log objects: all valid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("3 digests: all valid"), "{}", r.stderr);

    let mut bad = Trail::new(&common::unique_bucket("ct-bad"), "", None, 3);
    // One byte of one event changed (an address), the object gzipped again as CloudTrail would.
    let tampered = bad.logs[1][0].clone();
    let text = String::from_utf8(gunzip(&bad.object_mut(&tampered).body)).unwrap();
    bad.object_mut(&tampered).body =
        common::gzip(text.replace("198.51.100.7", "198.51.100.8").as_bytes());
    let deleted = bad.logs[0][1].clone();
    bad.remove(&deleted);
    // An object slipped in during an hour the digests cover.
    let extra = bad.log_key(t0() + Duration::minutes(95), 99);
    bad.objects.push(Object {
        key: extra.clone(),
        body: common::gzip(&log_body(t0() + Duration::minutes(95), 99)),
        signature: None,
    });
    bad.serve(&aws).await;
    let r = verify_s3(m, &bad, &keys);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let s = statuses(&r.stdout);
    assert_eq!(status_of(&s, &s3(&bad, &tampered)), "tampered");
    assert!(
        s[&s3(&bad, &tampered)].1.contains(&bad.digests[1]),
        "{:?}",
        s[&s3(&bad, &tampered)]
    );
    assert_eq!(status_of(&s, &s3(&bad, &deleted)), "deleted");
    assert_eq!(status_of(&s, &s3(&bad, &extra)), "not_listed");
    assert_eq!(status_of(&s, &s3(&bad, &bad.logs[2][0])), "valid");
    for d in &bad.digests {
        assert_eq!(status_of(&s, &s3(&bad, d)), "valid");
    }
    assert!(
        r.stderr.contains("1 tampered")
            && r.stderr.contains("1 deleted")
            && r.stderr.contains("1 not listed by any digest"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("3 objects failed verification"),
        "{}",
        r.stderr
    );

    // Tables and CSV say the same.
    let table = common::run(common::trawl().args([
        "verify",
        "--format",
        "table",
        "--endpoint-url",
        &m.endpoint,
        "--public-keys",
        keys.to_str().unwrap(),
        &format!("s3://{}", bad.bucket),
    ]));
    assert_eq!(table.status, 1);
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("! tampered") && l.contains(&tampered)),
        "{}",
        table.stdout
    );
    let csv = common::run(common::trawl().args([
        "verify",
        "--format",
        "csv",
        "--endpoint-url",
        &m.endpoint,
        "--public-keys",
        keys.to_str().unwrap(),
        &format!("s3://{}", bad.bucket),
    ]));
    assert!(csv
        .stdout
        .starts_with("object,kind,status,account,region,digest,fingerprint,detail\n"));
    assert!(
        csv.stdout.contains(&format!(
            "{},log,deleted,{ACCOUNT},{REGION},",
            s3(&bad, &deleted)
        )),
        "{}",
        csv.stdout
    );
}

#[tokio::test]
async fn a_digest_removed_from_the_middle_breaks_the_chain_and_an_altered_signature_is_invalid() {
    let Some(m) = common::moto() else { return };
    let aws = common::aws(m).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = public_keys_file(dir.path());
    let mut trail = Trail::new(&common::unique_bucket("ct-chain"), "", None, 5);
    let removed = trail.digests[2].clone();
    trail.remove(&removed);
    let altered = trail.digests[3].clone();
    let sig = trail.object_mut(&altered).signature.clone().unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    trail.object_mut(&altered).signature = Some(format!("{flipped}{}", &sig[1..]));
    trail.serve(&aws).await;
    let r = verify_s3(m, &trail, &keys);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let s = statuses(&r.stdout);
    let missing = &s[&s3(&trail, &removed)];
    assert_eq!(missing.0, "chain_broken", "{missing:?}");
    assert!(
        missing.1.contains("missing") && missing.1.contains(&trail.digests[3]),
        "{missing:?}"
    );
    // What only the removed digest listed is now listed by none.
    for l in &trail.logs[2] {
        assert_eq!(status_of(&s, &s3(&trail, l)), "not_listed");
    }
    assert_eq!(status_of(&s, &s3(&trail, &altered)), "signature_invalid");
    for l in &trail.logs[3] {
        assert_eq!(
            status_of(&s, &s3(&trail, l)),
            "signature_invalid",
            "{:?}",
            s[&s3(&trail, l)]
        );
    }
    for i in [0, 1, 4] {
        assert_eq!(status_of(&s, &s3(&trail, &trail.digests[i])), "valid");
        for l in &trail.logs[i] {
            assert_eq!(status_of(&s, &s3(&trail, l)), "valid");
        }
    }
}

#[tokio::test]
async fn an_organization_trail_under_a_prefix_verifies_from_s3_and_from_a_copy() {
    let Some(m) = common::moto() else { return };
    let aws = common::aws(m).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = public_keys_file(dir.path());
    let trail = Trail::new(
        &common::unique_bucket("ct-org"),
        "trails/",
        Some("o-a1b2c3d4e5"),
        3,
    );
    trail.serve(&aws).await;
    let r = verify_s3(m, &trail, &keys);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = statuses(&r.stdout);
    assert_eq!(s.len(), 9);
    assert!(s.values().all(|(st, _)| st == "valid"), "{s:?}");
    assert!(s
        .keys()
        .all(|k| k.contains("/trails/AWSLogs/o-a1b2c3d4e5/123456789012/")));

    // A copy of the prefix only: its place in the bucket is learned from the digests.
    let copy = dir.path().join("copy");
    trail.write_copy(&copy);
    let r = common::run(common::trawl().args([
        "verify",
        "--public-keys",
        keys.to_str().unwrap(),
        copy.join("trails").to_str().unwrap(),
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = statuses(&r.stdout);
    let newest = copy.join(&trail.digests[2]).display().to_string();
    assert_eq!(status_of(&s, &newest), "unverifiable");
    assert_eq!(
        status_of(&s, &copy.join(&trail.digests[1]).display().to_string()),
        "valid"
    );
    assert_eq!(
        status_of(&s, &copy.join(&trail.logs[0][0]).display().to_string()),
        "valid"
    );
}

#[tokio::test]
async fn offline_the_newest_digest_is_unverifiable_but_no_failure() {
    let dir = tempfile::tempdir().unwrap();
    let keys = public_keys_file(dir.path());
    let mut trail = Trail::new("trail-bucket", "", None, 3);
    // Delivered after the newest digest: the next one will list it.
    let late = trail.log_key(t0() + Duration::hours(3) + Duration::minutes(30), 50);
    trail.objects.push(Object {
        key: late.clone(),
        body: common::gzip(&log_body(
            t0() + Duration::hours(3) + Duration::minutes(30),
            50,
        )),
        signature: None,
    });
    let copy = dir.path().join("trail-bucket");
    trail.write_copy(&copy);
    let r = common::run(common::trawl().args([
        "verify",
        "--public-keys",
        keys.to_str().unwrap(),
        copy.to_str().unwrap(),
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let s = statuses(&r.stdout);
    let path = |k: &str| copy.join(k).display().to_string();
    // Offline, each digest's signature is the one the next digest records; the newest has none.
    assert_eq!(status_of(&s, &path(&trail.digests[0])), "valid");
    assert_eq!(status_of(&s, &path(&trail.digests[1])), "valid");
    let newest = &s[&path(&trail.digests[2])];
    assert_eq!(newest.0, "unverifiable");
    assert!(newest.1.contains("x-amz-meta-signature"), "{newest:?}");
    for l in &trail.logs[2] {
        assert_eq!(status_of(&s, &path(l)), "unverifiable");
    }
    assert_eq!(status_of(&s, &path(&trail.logs[0][0])), "valid");
    assert_eq!(status_of(&s, &path(&late)), "pending");
    assert!(
        r.stderr.contains("cannot be checked offline"),
        "{}",
        r.stderr
    );

    // Without the keys file nor AWS, nothing can be checked: said, and a failure.
    let r = common::run(common::trawl().args([
        "verify",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--retries",
        "0",
        copy.to_str().unwrap(),
    ]));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stdout.contains("ListPublicKeys"), "{}", r.stdout);

    // A wrong keys file: every signature names a key it does not hold.
    let other = dir.path().join("other.json");
    std::fs::write(&other, r#"{"PublicKeyList":[]}"#).unwrap();
    let r = common::run(common::trawl().args([
        "verify",
        "--public-keys",
        other.to_str().unwrap(),
        copy.to_str().unwrap(),
    ]));
    assert_eq!(r.status, 1);
    assert_eq!(
        status_of(&statuses(&r.stdout), &path(&trail.digests[0])),
        "signature_invalid"
    );
}

#[tokio::test]
async fn the_screen_gets_the_status_of_the_objects_it_opened() {
    let dir = tempfile::tempdir().unwrap();
    let trail = Trail::new("trail-bucket", "", None, 3);
    let copy = dir.path().join("trail-bucket");
    trail.write_copy(&copy);
    let sources = trawl::source::open_all(&[copy.display().to_string()], &Default::default())
        .await
        .unwrap();
    let walked = trawl::walk::walk(&sources, &Default::default(), 4).await;
    let opened: Vec<_> = walked
        .objects
        .into_iter()
        .filter(|o| trail.logs[0].contains(&o.meta.key) || trail.logs[1].contains(&o.meta.key))
        .collect();
    assert_eq!(opened.len(), 4);
    let keys = trawl::verify::KeyFiles::load(&[public_keys_file(dir.path())]).unwrap();
    let opts = verify::Options {
        keys: Arc::new(keys),
        limits: trawl::decode::Limits::default(),
        concurrency: 2,
    };
    let report = verify::verify_objects(&sources, &opened, &opts).await;
    let by = report.by_object();
    for o in &opened {
        assert_eq!(
            by[o.uri().as_str()].status,
            Status::Valid,
            "{:?}",
            by[o.uri().as_str()]
        );
    }
}

#[test]
fn the_demo_lake_ships_valid_digests() {
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("demo");
    let r =
        common::run(common::trawl().args(["demo", "--no-tui", "--dir", lake.to_str().unwrap()]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    // The help says how: `trawl verify --public-keys KEYS TRAIL`, keys apart from the lake.
    let line = r
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("trawl verify --public-keys"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.len(), 5, "{line}");
    let (keys, trail) = (words[3], words[4]);
    assert!(!Path::new(keys).starts_with(&lake), "{keys}");
    assert_eq!(Path::new(trail), lake.join("org-trail"));
    let r = common::run(common::trawl().args(["verify", "--public-keys", keys, trail]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let n = trawl::demo::story::CLOUDTRAIL_OBJECTS;
    assert!(
        r.stderr
            .contains(&format!("{n} CloudTrail log objects: all valid")),
        "{}",
        r.stderr
    );
    let s = statuses(&r.stdout);
    let unverifiable = s.values().filter(|(st, _)| st == "unverifiable").count();
    // The newest digest of each account and region, which lists nothing.
    assert_eq!(unverifiable, 4);
    assert_eq!(
        s.values().filter(|(st, _)| st == "valid").count(),
        s.len() - 4
    );
}
