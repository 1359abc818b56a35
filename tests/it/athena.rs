//! Athena: the DDL trawl writes and the pivot SQL it plans parse with an independent SQL parser
//! (sqlglot, Athena dialect); queries run against moto's Athena (queued results, QUEUED then
//! RUNNING then SUCCEEDED, Ctrl-C cancels) and against aws-smithy-mocks for what moto cannot
//! produce (FAILED, throttling, several pages of results).

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::Stdio;
use std::time::Duration;

use aws_sdk_athena::error::ErrorMetadata;
use aws_sdk_athena::operation::get_query_execution::{
    GetQueryExecutionError, GetQueryExecutionOutput,
};
use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
use aws_sdk_athena::operation::start_query_execution::{
    StartQueryExecutionError, StartQueryExecutionOutput,
};
use aws_sdk_athena::operation::stop_query_execution::StopQueryExecutionOutput;
use aws_sdk_athena::types::error::TooManyRequestsException;
use aws_sdk_athena::types::{
    ColumnInfo, Datum, QueryExecution, QueryExecutionState, QueryExecutionStatistics,
    QueryExecutionStatus, ResultSet, ResultSetMetadata, Row,
};
use aws_sdk_athena::Client;
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use common::*;
use serde_json::{json, Value};
use trawl::athena::client::{run_query, Backoff, QueryError, QueryRequest};

// ---------------------------------------------------------------------------------------------
// SQL checked by sqlglot
// ---------------------------------------------------------------------------------------------

const PARSE: &str = r#"
import json, sys, sqlglot
from sqlglot import exp
text = sys.stdin.read()
out = []
for s in sqlglot.parse(text, read="athena"):
    if s is None:
        continue
    out.append({
        "type": type(s).__name__,
        "strings": sorted({l.this for l in s.find_all(exp.Literal) if l.is_string}),
        "tables": sorted({t.name for t in s.find_all(exp.Table)}),
    })
print(json.dumps(out))
"#;

/// Each statement of `sql` as sqlglot's Athena dialect parses it: its type, string literals and
/// tables. A parse error fails the test.
fn parse_sql(sql: &str) -> Vec<Value> {
    let py = python().expect("the test venv with sqlglot");
    let mut child = std::process::Command::new(py)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqlglot could not parse:\n{sql}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

fn types(parsed: &[Value]) -> Vec<&str> {
    parsed.iter().map(|p| p["type"].as_str().unwrap()).collect()
}

/// Runs trawl with no credentials and no usable AWS endpoint: what runs must need neither.
fn run_offline(args: &[&str]) -> Run {
    let mut c = trawl();
    c.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(args)
        .args(["--endpoint-url", "http://127.0.0.1:9"]);
    run(&mut c)
}

fn partition_days(script: &str) -> Vec<Vec<String>> {
    script
        .lines()
        .filter_map(|l| l.strip_prefix("-- partitions: day "))
        .map(|l| l.split(", ").map(str::to_string).collect())
        .collect()
}

#[test]
fn pivot_dry_run_reads_only_the_window_days_and_parses_without_credentials() {
    let r = run_offline(&[
        "athena",
        "pivot",
        "--dry-run",
        "--since",
        "2024-04-29",
        "--until",
        "2024-05-02",
        "--account",
        "111122223333",
        "203.0.113.66",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    // GuardDuty and CloudTrail: the four days of the window, and the delivery day after it.
    let want: Vec<String> = [
        "2024/04/29",
        "2024/04/30",
        "2024/05/01",
        "2024/05/02",
        "2024/05/03",
    ]
    .map(String::from)
    .to_vec();
    assert_eq!(partition_days(&r.stdout), vec![want.clone(), want]);
    let parsed = parse_sql(&r.stdout);
    assert_eq!(types(&parsed), ["Select", "Select"]);
    assert_eq!(parsed[0]["tables"], json!(["guardduty_raw"]));
    assert_eq!(parsed[1]["tables"], json!(["cloudtrail_raw"]));
    for p in &parsed {
        let strings: Vec<&str> = p["strings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        for s in [
            "2024/04/29",
            "2024/05/03",
            "111122223333",
            "203.0.113.66",
            "2024-04-29T00:00:00.000Z",
            "2024-05-02T23:59:59.999Z",
        ] {
            assert!(strings.contains(&s), "{s} not among {strings:?}");
        }
        assert!(!strings.contains(&"2024/04/28") && !strings.contains(&"2024/05/04"));
    }
    assert!(r
        .stdout
        .contains("day BETWEEN '2024/04/29' AND '2024/05/03'"));
    assert!(r.stdout.contains("account IN ('111122223333')"));
}

#[test]
fn security_lake_queries_prune_on_time_dt_and_parse() {
    let r = run_offline(&[
        "athena",
        "pivot",
        "--dry-run",
        "--kind",
        "ocsf",
        "--lake-region",
        "eu-west-1",
        "--since",
        "2024-05-01T22:00:00Z",
        "--until",
        "2024-05-02T01:00:00Z",
        "ip:203.0.113.66",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let parsed = parse_sql(&r.stdout);
    assert_eq!(types(&parsed), ["Select", "Select", "Select"]);
    let tables: Vec<&str> = parsed
        .iter()
        .map(|p| p["tables"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        tables,
        [
            "amazon_security_lake_table_eu_west_1_cloud_trail_mgmt_2_0",
            "amazon_security_lake_table_eu_west_1_vpc_flow_2_0",
            "amazon_security_lake_table_eu_west_1_route53_2_0"
        ]
    );
    // Security Lake partitions are event days: no delivery slack.
    assert_eq!(partition_days(&r.stdout)[0], ["2024-05-01", "2024-05-02"]);
    assert!(r
        .stdout
        .contains("time_dt BETWEEN from_iso8601_timestamp('2024-05-01T22:00:00.000Z')"));
    assert!(r
        .stdout
        .contains("FROM \"amazon_security_lake_glue_db_eu_west_1\"."));
}

#[test]
fn every_entity_kind_plans_sql_that_parses_and_hostile_values_stay_literals() {
    let hostile = "x' OR 1=1; DROP TABLE t; --";
    for entity in [
        "203.0.113.66",
        "2001:db8::1",
        "ASIAY34FZKBOKMUTVV7A",
        "arn:aws:iam::111122223333:role/Admin",
        "arn:aws:iam::111122223333:user/ops/alice",
        "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "AROAY34FZKBOKMUTVV7A",
        "AROAY34FZKBOKMUTVV7A:alice",
        "111122223333",
        "user:alice_100%",
        "session:alice",
        &format!("user:{hostile}"),
    ] {
        let r = run_offline(&[
            "athena",
            "pivot",
            "--dry-run",
            "--kind",
            "cloudtrail",
            "--kind",
            "guardduty",
            "--kind",
            "ocsf",
            "--lake-region",
            "us-east-1",
            "--since",
            "2024-05-02",
            "--until",
            "2024-05-02",
            entity,
        ]);
        assert_eq!(r.status, 0, "{entity}: {}", r.stderr);
        let parsed = parse_sql(&r.stdout);
        assert!(parsed.len() >= 3, "{entity}: {parsed:?}");
        assert!(
            types(&parsed).iter().all(|t| *t == "Select"),
            "{entity}: {parsed:?}"
        );
        if entity.contains(hostile) {
            // The whole value is one string literal, in every statement.
            for p in &parsed {
                assert!(
                    p["strings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| s == hostile),
                    "{p}"
                );
            }
        }
    }
}

#[test]
fn ddl_without_a_listing_injects_accounts_and_still_parses() {
    let r = run_offline(&[
        "athena",
        "ddl",
        "--kind",
        "guardduty",
        "--database",
        "security",
        "--table",
        "findings",
        "s3://export-bucket/gd",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("injected"), "{}", r.stderr);
    let parsed = parse_sql(&r.stdout);
    assert_eq!(types(&parsed), ["Create", "Create"]);
    assert_eq!(parsed[0]["tables"], json!(["findings"]));
    assert_eq!(parsed[1]["tables"], json!(["findings_raw"]));
    for p in &parsed {
        let strings = p["strings"].as_array().unwrap();
        for want in [
            "s3://export-bucket/gd/AWSLogs/${account}/GuardDuty/${region}/${day}",
            "s3://export-bucket/gd/AWSLogs/",
            "injected",
        ] {
            assert!(
                strings.iter().any(|s| s == want),
                "{want} not in {strings:?}"
            );
        }
    }
    assert!(r.stdout.contains("org.openx.data.jsonserde.JsonSerDe"));
}

// ---------------------------------------------------------------------------------------------
// moto: listing for the DDL, and queries
// ---------------------------------------------------------------------------------------------

fn event(ip: &str, name: &str) -> Value {
    json!({"eventVersion": "1.08", "eventTime": "2024-05-02T03:00:00Z", "eventSource": "iam.amazonaws.com",
           "eventName": name, "awsRegion": "us-east-2", "sourceIPAddress": ip, "recipientAccountId": "111122223333",
           "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Web/i-0abc",
                            "accessKeyId": "ASIAY34FZKBOKMUTVV7A", "accountId": "111122223333"}})
}

fn finding(id: &str, ip: &str, updated: &str) -> Value {
    json!({"schemaVersion": "2.0", "accountId": "111122223333", "region": "us-east-2", "id": id,
           "type": "Recon:EC2/PortProbeUnprotectedPort", "severity": 5, "updatedAt": updated,
           "resource": {"resourceType": "Instance"},
           "service": {"eventLastSeen": "2024-05-02T02:00:00Z",
                       "action": {"networkConnectionAction": {"remoteIpDetails": {"ipAddressV4": ip}}}}})
}

const CT_OBJECT: &str = "s3://trail/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-2/2024/05/02/111122223333_CloudTrail_us-east-2_20240502T0305Z_0123456789abcdef.json.gz";
const GD_OBJECT: &str = "s3://gd/AWSLogs/111122223333/GuardDuty/us-east-2/2024/05/02/5a1f0c3e-9d2b-3f4a-8e6c-7b0d1e2f3a4b.jsonl.gz";

#[tokio::test(flavor = "multi_thread")]
async fn ddl_projects_the_accounts_and_regions_found_in_the_bucket() {
    let Some(m) = moto() else { return };
    let aws = aws(m).await;
    let bucket = unique_bucket("ddl");
    aws.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    for key in [
        "trails/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-2/2021/05/02/a.json.gz",
        "trails/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/eu-west-1/2024/05/02/b.json.gz",
        "trails/AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail/us-east-2/2024/05/02/c.json.gz",
        "trails/AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail-Digest/ap-south-1/2024/05/02/d.json.gz",
        "trails/AWSLogs/o-a1b2c3d4e5/444455556666/CloudTrail-Insight/sa-east-1/2024/05/02/e.json.gz",
        "findings/AWSLogs/777788889999/GuardDuty/ca-central-1/2024/05/02/f.jsonl.gz",
    ] {
        aws.s3.put_object().bucket(&bucket).key(key).body(b"{}".to_vec().into()).send().await.unwrap();
    }
    let ct = run(trawl()
        .args([
            "athena",
            "ddl",
            "--endpoint-url",
            &m.endpoint,
            "--kind",
            "cloudtrail",
        ])
        .arg(format!("s3://{bucket}/trails")));
    assert_eq!(ct.status, 0, "{}", ct.stderr);
    assert!(!ct.stderr.contains("injected"), "{}", ct.stderr);
    let parsed = parse_sql(&ct.stdout);
    assert_eq!(types(&parsed), ["Create", "Create"]);
    assert_eq!(parsed[1]["tables"], json!(["cloudtrail_raw"]));
    for p in &parsed {
        let strings = p["strings"].as_array().unwrap();
        for want in [
            "111122223333,444455556666".to_string(),
            // Regions of CloudTrail only: the digest's and the insight's are not there.
            "eu-west-1,us-east-2".to_string(),
            "2021/01/01,NOW".to_string(),
            format!("s3://{bucket}/trails/AWSLogs/o-a1b2c3d4e5/${{account}}/CloudTrail/${{region}}/${{day}}"),
            "com.amazon.emr.cloudtrail.CloudTrailInputFormat".to_string(),
        ] {
            if want.contains("Input") && p == &parsed[1] {
                continue;
            }
            assert!(strings.iter().any(|s| *s == want), "{want} not in {strings:?}");
        }
    }
    let gd = run(trawl()
        .args([
            "athena",
            "ddl",
            "--endpoint-url",
            &m.endpoint,
            "--kind",
            "guardduty",
        ])
        .arg(format!("s3://{bucket}/findings/")));
    assert_eq!(gd.status, 0, "{}", gd.stderr);
    assert!(gd
        .stdout
        .contains("'projection.account.values'='777788889999'"));
    assert!(gd
        .stdout
        .contains("'projection.region.values'='ca-central-1'"));
    assert_eq!(types(&parse_sql(&gd.stdout)), ["Create", "Create"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_query_goes_queued_running_succeeded_and_its_rows_become_records() {
    let Some(m) = moto() else { return };
    let _turn = MOTO_ATHENA.lock().await;
    let region = "eu-central-1";
    athena_transition(m, 2);
    queue_result(
        m,
        region,
        &[
            (event("203.0.113.66", "CreateUser"), CT_OBJECT),
            (
                finding("f1", "203.0.113.66", "2024-05-02T04:00:00Z"),
                GD_OBJECT,
            ),
        ],
    );
    let r = run(trawl().args([
        "athena",
        "query",
        "--endpoint-url",
        &m.endpoint,
        "--region",
        region,
        "--workgroup",
        "primary",
        "--output-location",
        "s3://athena-results/trawl/",
        "--format",
        "jsonl",
        "SELECT line AS record, \"$path\" AS object FROM trawl.guardduty_raw",
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let states: Vec<&str> = r
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("athena: query "))
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        states,
        ["QUEUED", "RUNNING", "SUCCEEDED", "SUCCEEDED"],
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("scanned 0 B (0 bytes), cost ≈ $0.000048, the 10 MB minimum"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 rows in 1 pages"), "{}", r.stderr);
    let lines = json_lines(&r.stdout);
    // The header row is not a record; both rows are, with their objects and partitions.
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert_eq!(lines[0]["source"], "cloudtrail");
    assert_eq!(lines[0]["object"], CT_OBJECT);
    assert_eq!(lines[0]["account"], "111122223333");
    assert_eq!(lines[0]["record"], event("203.0.113.66", "CreateUser"));
    assert_eq!(lines[1]["source"], "guardduty");
    assert_eq!(
        lines[1]["summary"],
        "[Medium 5] Recon:EC2/PortProbeUnprotectedPort"
    );
    assert!(lines[1]["entities"]
        .as_array()
        .unwrap()
        .contains(&json!({"kind": "ip", "value": "203.0.113.66"})));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_athena_pivot_keeps_exactly_what_a_local_pivot_would() {
    let Some(m) = moto() else { return };
    let _turn = MOTO_ATHENA.lock().await;
    let region = "eu-north-1";
    athena_transition(m, 1);
    // GuardDuty is asked first, then CloudTrail. The SQL is a coarse filter: rows that share
    // only a prefix of the address, and an older export of a finding, must not come through.
    queue_result(
        m,
        region,
        &[
            (
                finding("f1", "203.0.113.66", "2024-05-02T04:00:00Z"),
                GD_OBJECT,
            ),
            (
                finding("f1", "203.0.113.66", "2024-05-02T03:00:00Z"),
                GD_OBJECT,
            ),
            (
                finding("f2", "203.0.113.6", "2024-05-02T04:00:00Z"),
                GD_OBJECT,
            ),
        ],
    );
    queue_result(
        m,
        region,
        &[
            (event("203.0.113.66, 10.0.0.1", "CreateUser"), CT_OBJECT),
            (event("203.0.113.660", "ListUsers"), CT_OBJECT),
        ],
    );
    let r = run(trawl().args([
        "athena",
        "pivot",
        "--endpoint-url",
        &m.endpoint,
        "--region",
        region,
        "--output-location",
        "s3://athena-results/trawl/",
        "--format",
        "jsonl",
        "--since",
        "2024-05-02",
        "--until",
        "2024-05-02",
        "203.0.113.66",
    ]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines = json_lines(&r.stdout);
    let got: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_string(),
                l["time"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("guardduty".to_string(), "2024-05-02T02:00:00Z".to_string()),
            ("cloudtrail".to_string(), "2024-05-02T03:00:00Z".to_string())
        ]
    );
    assert_eq!(lines[0]["record"]["updatedAt"], "2024-05-02T04:00:00Z");
    // Two queries, each billed its own 10 MB minimum.
    assert!(
        r.stderr
            .contains("athena: 2 records; all queries scanned 0 B (0 bytes), cost ≈ $0.000095"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_query_on_athena() {
    let Some(m) = moto() else { return };
    let turn = MOTO_ATHENA.lock().await;
    let region = "ap-southeast-2";
    // The query stays queued for as long as the test needs.
    athena_transition(m, 1_000_000);
    let mut child = trawl()
        .args([
            "athena",
            "query",
            "--endpoint-url",
            &m.endpoint,
            "--region",
            region,
            "--output-location",
            "s3://athena-results/trawl/",
            "SELECT 1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let id = first
        .strip_prefix("athena: query ")
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("no query id in {first:?}"))
        .to_string();
    assert!(first.contains(" QUEUED "), "{first}");
    std::thread::sleep(Duration::from_millis(300));
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    athena_transition(m, 1);
    drop(turn);
    assert_eq!(status.code(), Some(1), "{rest}");
    assert!(
        rest.contains(&format!("athena: query {id} CANCELLED")),
        "{rest}"
    );
    assert!(
        rest.contains(&format!("trawl: query {id} cancelled")),
        "{rest}"
    );
    // Athena itself was told: the query is cancelled there, not merely abandoned.
    let creds =
        aws_sdk_athena::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region))
        .credentials_provider(creds)
        .endpoint_url(&m.endpoint)
        .load()
        .await;
    let got = Client::new(&conf)
        .get_query_execution()
        .query_execution_id(&id)
        .send()
        .await
        .unwrap();
    let state = got
        .query_execution()
        .unwrap()
        .status()
        .unwrap()
        .state()
        .unwrap()
        .clone();
    assert_eq!(state, QueryExecutionState::Cancelled);
}

// ---------------------------------------------------------------------------------------------
// aws-smithy-mocks: what no local server produces
// ---------------------------------------------------------------------------------------------

fn fast() -> Backoff {
    Backoff {
        first: Duration::from_millis(1),
        max: Duration::from_millis(5),
        factor: 2.0,
        throttle_retries: 4,
    }
}

fn started() -> StartQueryExecutionOutput {
    StartQueryExecutionOutput::builder()
        .query_execution_id("q-1")
        .build()
}

fn execution(
    state: QueryExecutionState,
    scanned: i64,
    reason: Option<&str>,
) -> GetQueryExecutionOutput {
    GetQueryExecutionOutput::builder()
        .query_execution(
            QueryExecution::builder()
                .query_execution_id("q-1")
                .status(
                    QueryExecutionStatus::builder()
                        .state(state)
                        .set_state_change_reason(reason.map(str::to_string))
                        .build(),
                )
                .statistics(
                    QueryExecutionStatistics::builder()
                        .data_scanned_in_bytes(scanned)
                        .build(),
                )
                .build(),
        )
        .build()
}

fn page(header: bool, values: std::ops::Range<usize>, next: Option<&str>) -> GetQueryResultsOutput {
    let row = |s: String| {
        Row::builder()
            .data(Datum::builder().var_char_value(s).build())
            .build()
    };
    let mut rows: Vec<Row> = Vec::new();
    if header {
        rows.push(row("n".into()));
    }
    rows.extend(values.map(|i| row(i.to_string())));
    GetQueryResultsOutput::builder()
        .result_set(
            ResultSet::builder()
                .set_rows(Some(rows))
                .result_set_metadata(
                    ResultSetMetadata::builder()
                        .column_info(
                            ColumnInfo::builder()
                                .name("n")
                                .r#type("varchar")
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build(),
        )
        .set_next_token(next.map(str::to_string))
        .build()
}

/// The SDK's own retries off, so that the calls counted are trawl's.
fn no_sdk_retries(c: aws_sdk_athena::config::Builder) -> aws_sdk_athena::config::Builder {
    c.retry_config(aws_sdk_athena::config::retry::RetryConfig::disabled())
}

async fn never() {
    std::future::pending::<()>().await
}

#[tokio::test]
async fn a_failed_query_reports_athenas_reason_and_what_it_scanned() {
    let start = mock!(Client::start_query_execution).then_output(started);
    let poll = mock!(Client::get_query_execution)
        .sequence()
        .output(|| execution(QueryExecutionState::Running, 0, None))
        .output(|| {
            execution(
                QueryExecutionState::Failed,
                2048,
                Some("SYNTAX_ERROR: line 1:8: Column 'x' cannot be resolved"),
            )
        })
        .build();
    let client = mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&start, &poll]);
    let mut states = Vec::new();
    let req = QueryRequest {
        sql: "SELECT x".into(),
        ..QueryRequest::default()
    };
    let err = run_query(&client, &req, &fast(), never(), &mut |p| {
        states.push(p.state.clone())
    })
    .await
    .unwrap_err();
    match err {
        QueryError::Failed {
            id,
            state,
            reason,
            scanned_bytes,
        } => {
            assert_eq!(
                (id.as_str(), state.as_str(), scanned_bytes),
                ("q-1", "FAILED", 2048)
            );
            assert!(reason.contains("Column 'x' cannot be resolved"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(states, ["RUNNING", "FAILED"]);
}

#[tokio::test]
async fn throttled_calls_are_waited_out() {
    let start = mock!(Client::start_query_execution)
        .sequence()
        .error(|| {
            StartQueryExecutionError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .message("Rate exceeded")
                    .meta(
                        ErrorMetadata::builder()
                            .code("TooManyRequestsException")
                            .build(),
                    )
                    .build(),
            )
        })
        .output(started)
        .build();
    let poll = mock!(Client::get_query_execution)
        .sequence()
        .error(|| {
            GetQueryExecutionError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(2)
        .output(|| execution(QueryExecutionState::Running, 0, None))
        .output(|| execution(QueryExecutionState::Succeeded, 10, None))
        .build();
    let results = mock!(Client::get_query_results).then_output(|| page(true, 0..3, None));
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &poll, &results]
    );
    let req = QueryRequest {
        sql: "SELECT n".into(),
        ..QueryRequest::default()
    };
    let r = run_query(&client, &req, &fast(), never(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(start.num_calls(), 2);
    assert_eq!(poll.num_calls(), 4);
    assert_eq!(
        r.rows,
        vec![
            vec![Some("0".into())],
            vec![Some("1".into())],
            vec![Some("2".into())]
        ]
    );
    assert_eq!(r.scanned_bytes, 10);

    // Throttled past the retries: the query is given up with a clear reason.
    let start = mock!(Client::start_query_execution)
        .sequence()
        .error(|| {
            StartQueryExecutionError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .repeatedly()
        .build();
    let client = mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&start], no_sdk_retries);
    let err = run_query(&client, &req, &fast(), never(), &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Athena StartQueryExecution: ThrottlingException: Rate exceeded"
    );
    assert_eq!(start.num_calls(), 5);
}

#[tokio::test]
async fn results_are_paged_and_only_the_first_page_starts_with_the_header() {
    let start = mock!(Client::start_query_execution).then_output(started);
    let poll = mock!(Client::get_query_execution)
        .then_output(|| execution(QueryExecutionState::Succeeded, 0, None));
    let first = mock!(Client::get_query_results)
        .match_requests(|r| r.next_token().is_none() && r.max_results() == Some(1000))
        .then_output(|| page(true, 0..999, Some("t2")));
    // Page 2's first row equals the header's text, and is data all the same.
    let second = mock!(Client::get_query_results)
        .match_requests(|r| r.next_token() == Some("t2"))
        .then_output(|| {
            let mut p = page(false, 1000..1999, Some("t3"));
            let mut rows = p.result_set.take().unwrap().rows.unwrap();
            rows.insert(
                0,
                Row::builder()
                    .data(Datum::builder().var_char_value("n").build())
                    .build(),
            );
            p.result_set = Some(ResultSet::builder().set_rows(Some(rows)).build());
            p
        });
    let third = mock!(Client::get_query_results)
        .match_requests(|r| r.next_token() == Some("t3"))
        .then_output(|| page(false, 1999..2004, None));
    let client = mock_client!(
        aws_sdk_athena,
        RuleMode::MatchAny,
        [&start, &poll, &first, &second, &third]
    );
    let req = QueryRequest {
        sql: "SELECT n".into(),
        ..QueryRequest::default()
    };
    let r = run_query(&client, &req, &fast(), never(), &mut |_| {})
        .await
        .unwrap();
    assert_eq!(r.pages, 3);
    assert_eq!(r.columns, ["n"]);
    assert_eq!(r.rows.len(), 999 + 1000 + 5);
    assert_eq!(r.rows[0], vec![Some("0".to_string())]);
    assert_eq!(r.rows[999], vec![Some("n".to_string())]);
    assert_eq!(r.rows[1000], vec![Some("1000".to_string())]);
    assert_eq!(r.rows.last().unwrap(), &vec![Some("2003".to_string())]);
    assert_eq!(
        (first.num_calls(), second.num_calls(), third.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn cancelling_sends_stop_query_execution() {
    use std::sync::atomic::{AtomicBool, Ordering};
    // The query runs until it is stopped, however slowly the machine answers: no timing race.
    let stopped = std::sync::Arc::new(AtomicBool::new(false));
    let start = mock!(Client::start_query_execution).then_output(started);
    let seen = stopped.clone();
    let poll = mock!(Client::get_query_execution).then_output(move || {
        if seen.load(Ordering::SeqCst) {
            execution(QueryExecutionState::Cancelled, 8192, None)
        } else {
            execution(QueryExecutionState::Running, 4096, None)
        }
    });
    let stop_flag = stopped.clone();
    let stop = mock!(Client::stop_query_execution)
        .match_requests(|r| r.query_execution_id() == Some("q-1"))
        .then_output(move || {
            stop_flag.store(true, Ordering::SeqCst);
            StopQueryExecutionOutput::builder().build()
        });
    let client = mock_client!(aws_sdk_athena, RuleMode::MatchAny, [&start, &poll, &stop]);
    let req = QueryRequest {
        sql: "SELECT 1".into(),
        ..QueryRequest::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let mut states = Vec::new();
    let cancel = async move {
        let _ = rx.await;
    };
    let slow = Backoff {
        first: Duration::from_millis(20),
        ..fast()
    };
    let mut progress = |p: &trawl::athena::client::Progress| states.push(p.state.clone());
    let run = run_query(&client, &req, &slow, cancel, &mut progress);
    let cancel_soon = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        tx.send(()).unwrap();
    };
    let (result, ()) = tokio::join!(run, cancel_soon);
    match result.unwrap_err() {
        QueryError::Cancelled { id, scanned_bytes } => {
            assert_eq!((id.as_str(), scanned_bytes), ("q-1", 8192))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(stop.num_calls(), 1);
    assert_eq!(states.first().map(String::as_str), Some("RUNNING"));
    assert_eq!(states.last().map(String::as_str), Some("CANCELLED"));
}
