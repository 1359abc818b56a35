//! One query language on the command line: `trawl records --where` and `--count` over the demo
//! lake, each answer checked against jq reading the same objects; what a mistyped query is told;
//! a table piped whole; an empty window that says which days the sources hold.

use crate::common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use common::*;
use serde_json::Value;
use trawl::demo::{self, story};

/// One demo lake for this module: writing it is the slow part.
fn lake() -> &'static Path {
    static LAKE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &LAKE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            demo::write_demo_lake(dir.path()).unwrap();
            let root = dir.path().to_path_buf();
            (dir, root)
        })
        .1
}

fn trail() -> PathBuf {
    lake().join(story::ORG_TRAIL_BUCKET)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Every CloudTrail event and Insight object of the demo trail, decompressed: what jq reads.
fn trail_text() -> &'static [u8] {
    static TEXT: OnceLock<Vec<u8>> = OnceLock::new();
    TEXT.get_or_init(|| {
        let mut files = Vec::new();
        files_under(&trail(), &mut files);
        let mut text = Vec::new();
        for f in files {
            let s = f.to_string_lossy();
            let events = s.contains("/CloudTrail/") || s.contains("/CloudTrail-Insight/");
            if events && s.ends_with(".json.gz") {
                flate2::read::GzDecoder::new(std::fs::File::open(&f).unwrap())
                    .read_to_end(&mut text)
                    .unwrap();
                text.push(b'\n');
            }
        }
        text
    })
}

/// jq over the demo trail's event objects; one output line per result.
fn jq(filter: &str) -> Vec<String> {
    let mut child = Command::new("jq")
        .args(["-r", filter])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("jq is installed (the benchmark needs it too)");
    let mut stdin = child.stdin.take().unwrap();
    let text = trail_text();
    let writer = std::thread::spawn(move || stdin.write_all(text).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    // jq reports an error in one input and goes on: any message is a failure.
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "jq {filter}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// `uniq -c` of jq's lines.
fn tally(lines: Vec<String>) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for l in lines {
        *m.entry(l).or_default() += 1;
    }
    m
}

fn records(args: &[&str]) -> Run {
    let r = run(trawl().arg("records").args(args).arg(trail()));
    assert_eq!(r.status, 0, "{args:?}: {}", r.stderr);
    r
}

fn counts(field: &str) -> Vec<Value> {
    json_lines(
        &records(&[
            "--kind",
            "cloudtrail",
            "--count",
            field,
            "--format",
            "jsonl",
        ])
        .stdout,
    )
}

fn as_tally(counts: &[Value]) -> BTreeMap<String, usize> {
    counts
        .iter()
        .map(|c| {
            (
                c["value"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap() as usize,
            )
        })
        .collect()
}

#[test]
fn count_ip_gives_what_jq_sort_uniq_gives() {
    let got = counts("ip");
    let want = tally(jq(".Records[] | .sourceIPAddress // empty"));
    assert_eq!(as_tally(&got), want);
    // Most frequent first, and first and last seen as jq finds them.
    assert!(got
        .windows(2)
        .all(|w| w[0]["count"].as_u64() >= w[1]["count"].as_u64()));
    let attacker = got
        .iter()
        .find(|c| c["value"] == story::ATTACKER_IP)
        .unwrap();
    assert_eq!(attacker["count"], story::ATTACKER_IP_EVENTS);
    let mut times = jq(&format!(
        ".Records[] | select(.sourceIPAddress == \"{}\") | .eventTime",
        story::ATTACKER_IP
    ));
    times.sort();
    assert_eq!(attacker["first"], times[0]);
    assert_eq!(attacker["last"], times[times.len() - 1]);
    let hist = attacker["histogram"].as_array().unwrap();
    assert_eq!(hist.len(), 24);
    assert_eq!(
        hist.iter().map(|n| n.as_u64().unwrap()).sum::<u64>(),
        story::ATTACKER_IP_EVENTS as u64
    );
}

#[test]
fn count_error_bucket_and_event_give_what_jq_gives() {
    let want = tally(jq(
        ".Records[] | select(.errorCode != null or .errorMessage != null) | .errorCode // .errorMessage",
    ));
    assert!(
        want["AccessDenied"] > 1,
        "the demo has denied calls: {want:?}"
    );
    assert_eq!(as_tally(&counts("error")), want);
    let want = tally(jq(
        ".Records[] | select(.eventSource == \"s3.amazonaws.com\") | .requestParameters.bucketName // empty",
    ));
    assert!(want.contains_key("prod-web-assets") && want.contains_key("prod-customer-data"));
    assert_eq!(as_tally(&counts("bucket")), want);
    assert_eq!(
        as_tally(&counts("event")),
        // An Insight is shown as `Insight:` and the event it is about.
        tally(jq(
            ".Records[] | .eventName // \"Insight:\" + .insightDetails.eventName"
        ))
    );
    assert_eq!(
        as_tally(&counts("requestParameters.key")),
        tally(jq(".Records[] | .requestParameters.key? // empty"))
    );
}

#[test]
fn count_as_a_table_and_as_csv() {
    let r = records(&["--count", "error", "--format", "table"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ERROR") && lines[0].contains("COUNT FIRST"),
        "{}",
        r.stdout
    );
    assert!(lines.iter().any(|l| l.starts_with("AccessDenied ")));
    assert!(
        lines.last().unwrap().contains("values over"),
        "{}",
        r.stdout
    );
    let r = records(&["--count", "region", "--format", "csv"]);
    assert_eq!(r.stdout.lines().next(), Some("value,count,first,last"));
    assert_eq!(r.stdout.lines().count(), 1 + story::REGIONS.len());
}

/// Records `--where QUERY` prints on the intrusion day, as (eventID) sets, against jq's.
fn check_where(query: &str, jq_select: &str) -> usize {
    let day = story::INTRUSION_DAY;
    let r = records(&[
        "--kind",
        "cloudtrail",
        "--since",
        day,
        "--until",
        day,
        "--where",
        query,
        "--format",
        "jsonl",
    ]);
    let mut got: Vec<String> = json_lines(&r.stdout)
        .iter()
        .map(|v| v["record"]["eventID"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want = jq(&format!(
        ".Records[] | select(.eventTime | startswith(\"{day}\")) | select({jq_select}) | .eventID"
    ));
    want.sort();
    assert_eq!(got, want, "--where {query}");
    got.len()
}

fn lower_has(path: &str, needle: &str) -> String {
    format!("(({path}) // \"\" | tostring | ascii_downcase | contains(\"{needle}\"))")
}

#[test]
fn where_answers_what_jq_answers() {
    let denied = check_where(
        "error:AccessDenied",
        &format!(
            "{} or {}",
            lower_has(".errorCode", "accessdenied"),
            lower_has(".errorMessage", "accessdenied")
        ),
    );
    assert!(denied > 1);
    let n = check_where(
        "bucket:=prod-customer-data error:AccessDenied",
        ".requestParameters.bucketName? == \"prod-customer-data\" and .errorCode == \"AccessDenied\"",
    );
    assert!(n > 0 && n < denied);
    check_where(
        "event:=GetObject OR event:=PutUserPolicy",
        ".eventName == \"GetObject\" or .eventName == \"PutUserPolicy\"",
    );
    check_where(
        "-event:GetObject region:eu-west-1 time:2024-05-02T03",
        ".eventName != \"GetObject\" and .awsRegion == \"eu-west-1\" and (.eventTime | startswith(\"2024-05-02T03\"))",
    );
    check_where(
        "requestParameters.userName:svc-backup",
        &lower_has(".requestParameters.userName?", "svc-backup"),
    );
    check_where(
        "ua:boto3 -ip:=54.210.11.20",
        &format!(
            "{} and .sourceIPAddress != \"54.210.11.20\"",
            lower_has(".userAgent", "boto3")
        ),
    );
    let stolen = check_where(
        &format!("key:{}", story::STOLEN_KEY),
        &format!("tostring | contains(\"{}\")", story::STOLEN_KEY),
    );
    assert_eq!(stolen, story::STOLEN_KEY_EVENTS);
    check_where(
        "/^Put.*Policy$/",
        "(.eventName // \"\") | test(\"^Put.*Policy$\"; \"i\")",
    );
    check_where(
        "additionalEventData.bytesTransferredOut:>100000",
        "(.additionalEventData.bytesTransferredOut? // 0) > 100000",
    );
    // A word looks in the whole record, and a phrase keeps its space.
    let kali = check_where("KALI", "tostring | ascii_downcase | contains(\"kali\")");
    assert!(kali > 0);
    let phrase = check_where(
        "\"Access Denied\"",
        "tostring | ascii_downcase | contains(\"access denied\")",
    );
    assert!(phrase > 0);
}

#[test]
fn where_over_findings_applies_to_the_newest_export() {
    let r = run(trawl()
        .args(["records", "--where", "sev:>=high", "--format", "jsonl"])
        .arg(lake().join(story::GUARDDUTY_BUCKET)));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let got = json_lines(&r.stdout);
    assert!(!got.is_empty());
    assert!(got
        .iter()
        .all(|v| v["record"]["severity"].as_f64().unwrap() >= 7.0));
    // The exfiltration finding was exported twice: only its newest export is printed.
    let exfil: Vec<&Value> = got
        .iter()
        .filter(|v| v["record"]["id"] == story::EXFIL_FINDING_ID)
        .collect();
    assert_eq!(exfil.len(), 1);
    assert_eq!(
        exfil[0]["record"]["service"]["count"],
        story::EXFIL_FINDING_COUNTS.1
    );
}

#[test]
fn pivot_where_narrows_the_pivot() {
    let r = run(trawl()
        .args(["pivot", "--where", "error:*", "--format", "jsonl"])
        .arg(trail())
        .arg(story::ATTACKER_IP));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let got = json_lines(&r.stdout);
    let want = jq(&format!(
        ".Records[] | select(.sourceIPAddress == \"{}\" and (.errorCode != null or .errorMessage != null)) | .eventID",
        story::ATTACKER_IP
    ));
    assert_eq!(got.len(), want.len());
    assert!(!got.is_empty());
}

#[test]
fn a_query_that_cannot_be_read_is_bad_usage_that_says_where() {
    let r = run(trawl()
        .args(["records", "--where", "ip:203.0.113.66 buckt:prod"])
        .arg(trail()));
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("--where: unknown field 'buckt' at 16"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("known fields are ip, principal"));
    let r = run(trawl().args(["records", "--where", "/[/"]).arg(trail()));
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("bad regex at 0"), "{}", r.stderr);
    let r = run(trawl().args(["records", "--count", "colour"]).arg(trail()));
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("--count: unknown field 'colour'"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_piped_table_keeps_every_value_whole_and_aligned() {
    let r = records(&["--where", "resource:exports/customers", "--format", "table"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines.len() > 1, "{}", r.stdout);
    assert!(!r.stdout.contains('…'), "{}", r.stdout);
    let header = lines[0];
    let at = |name: &str| header.find(name).unwrap();
    for line in &lines[1..] {
        // Longer than the columns a terminal gets (44 and 32 characters), whole, in their columns.
        assert_eq!(
            &line[at("PRINCIPAL")..][..story::INSTANCE_SESSION_ARN.len()],
            story::INSTANCE_SESSION_ARN
        );
        assert!(
            line[at("RESOURCE")..].starts_with("prod-customer-data/exports/customers-2024-05.csv ")
        );
        assert!(line[at("ERROR")..].starts_with("AccessDenied "));
    }
    // CSV: the columns added last.
    let r = records(&["--where", "resource:exports/customers", "--format", "csv"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].ends_with(",position,error,resource"));
    assert!(lines[1].ends_with(",AccessDenied,prod-customer-data/exports/customers-2024-05.csv"));
}

#[test]
fn an_empty_window_says_which_days_the_sources_hold() {
    let held = format!(
        "the sources hold {}..{}",
        story::DAYS[0],
        story::DAYS[story::DAYS.len() - 1]
    );
    let sources = [
        trail(),
        lake().join(story::GUARDDUTY_BUCKET),
        lake().join(story::SECURITY_LAKE_BUCKET),
    ];
    let r = run(trawl().args(["records", "--since", "7d"]).args(&sources));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("trawl: no records since "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&held), "{}", r.stderr);
    let r = run(trawl()
        .args(["records", "--since", "2020-01-01", "--until", "2020-01-31"])
        .args(&sources));
    assert_eq!(r.status, 0);
    assert!(
        r.stderr.contains(&format!(
            "no records between 2020-01-01T00:00:00Z and 2020-01-31T23:59:59Z; {held}"
        )),
        "{}",
        r.stderr
    );
    // The accounts and kinds asked for still hold: the dev account's GuardDuty exports.
    let r = run(trawl()
        .args([
            "records",
            "--until",
            "2020-01-01",
            "--kind",
            "guardduty",
            "--account",
        ])
        .arg(story::DEV_ACCOUNT)
        .arg(lake().join(story::GUARDDUTY_BUCKET)));
    assert_eq!(r.status, 0);
    let mut days: Vec<String> = Vec::new();
    let mut files = Vec::new();
    files_under(&lake().join(story::GUARDDUTY_BUCKET), &mut files);
    for f in files {
        let s = f.to_string_lossy().into_owned();
        if s.contains(&format!("/{}/", story::DEV_ACCOUNT)) {
            // …/GuardDuty/<region>/YYYY/MM/DD/<file>
            let parts: Vec<&str> = s.rsplit('/').skip(1).take(3).collect();
            days.push(format!("{}-{}-{}", parts[2], parts[1], parts[0]));
        }
    }
    days.sort();
    let want = if days.first() == days.last() {
        days[0].clone()
    } else {
        format!("{}..{}", days[0], days[days.len() - 1])
    };
    assert!(
        r.stderr.contains(&format!("the sources hold {want}")),
        "{want}: {}",
        r.stderr
    );
    // A query that matches nothing in a window that holds records says that instead.
    let r = records(&["--where", "event:=NoSuchEvent"]);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("no records match --where ("),
        "{}",
        r.stderr
    );
}

/// The issue's own case, from S3: a trail of 2021 asked for the last seven days.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_window_over_s3_names_the_first_and_last_day_of_the_trail() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("old-trail");
    let key = aws.kms_bucket(&bucket).await;
    let event = |day: &str, region: &str| {
        serde_json::json!({"Records": [{"eventVersion": "1.08", "eventSource": "iam.amazonaws.com",
            "eventName": "ListUsers", "eventTime": format!("{day}T10:00:00Z"), "awsRegion": region,
            "recipientAccountId": "111122223333"}]})
    };
    for (day, region) in [
        ("2021-07-28", "us-east-1"),
        ("2021-07-30", "eu-west-1"),
        ("2021-08-02", "us-east-1"),
    ] {
        let (y, rest) = day.split_at(4);
        let path = rest[1..].replace('-', "/");
        let stamp = day.replace('-', "");
        let k = format!(
            "AWSLogs/111122223333/CloudTrail/{region}/{y}/{path}/111122223333_CloudTrail_{region}_{stamp}T1005Z_abcdefghijklmnop.json.gz"
        );
        let body = gzip(event(day, region).to_string().as_bytes());
        aws.put_kms(&bucket, &k, body, &key).await;
    }
    // A digest holds no records: it does not stretch the days held.
    let digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2021/08/09/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20210809T110000Z.json.gz";
    aws.put_kms(&bucket, digest, gzip(b"{}"), &key).await;

    let url = format!("s3://{bucket}");
    let ask = |extra: &[&str]| {
        run(trawl()
            .args(["records", "--since", "7d", "--endpoint-url", &m.endpoint])
            .args(extra)
            .arg(&url))
    };
    let r = ask(&[]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr
            .contains("; the sources hold 2021-07-28..2021-08-02"),
        "{}",
        r.stderr
    );
    let r = ask(&["--log-region", "eu-west-1"]);
    assert!(
        r.stderr.contains("; the sources hold 2021-07-30\n"),
        "{}",
        r.stderr
    );
}
