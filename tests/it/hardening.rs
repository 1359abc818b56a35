//! What an independent audit broke (issue 21), each kept as the reproduction that broke it:
//! hostile Parquet schemas, evidence files that must never be written through a link or over a
//! file, JSON that only looks valid, keys that XML cannot carry, objects built to exhaust memory,
//! spreadsheet formulas, invisible characters, symlink loops and files that are not files.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use common::{run, trawl};

fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("trawl-hardening-{tag}-"))
        .tempdir()
        .expect("a temporary folder")
}

/// A Parquet file whose one column sits `depth` structs deep, with one row.
fn nested_parquet(depth: usize) -> Vec<u8> {
    use parquet::basic::{Repetition, Type as Physical};
    use parquet::data_type::Int32Type;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::Type;
    let mut t = Arc::new(
        Type::primitive_type_builder("leaf", Physical::INT32)
            .with_repetition(Repetition::OPTIONAL)
            .build()
            .unwrap(),
    );
    for i in 0..depth {
        t = Arc::new(
            Type::group_type_builder(&format!("s{i}"))
                .with_repetition(Repetition::OPTIONAL)
                .with_fields(vec![t])
                .build()
                .unwrap(),
        );
    }
    let schema = Arc::new(
        Type::group_type_builder("schema")
            .with_fields(vec![t])
            .build()
            .unwrap(),
    );
    let mut buf = Vec::new();
    let mut w = SerializedFileWriter::new(&mut buf, schema, Default::default()).unwrap();
    let mut group = w.next_row_group().unwrap();
    while let Some(mut col) = group.next_column().unwrap() {
        col.typed::<Int32Type>()
            .write_batch(&[], Some(&[0]), None)
            .unwrap();
        col.close().unwrap();
    }
    group.close().unwrap();
    w.close().unwrap();
    buf
}

// ---- 1. a deeply nested Parquet schema ----------------------------------------------------

#[test]
fn a_parquet_schema_nested_1000_deep_is_a_problem_not_a_crash() {
    let dir = temp_dir("nested");
    let file = dir.path().join("deep.parquet");
    // Built on a thread with room: the writer itself walks the schema recursively.
    let bytes = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| nested_parquet(1000))
        .unwrap()
        .join()
        .unwrap();
    std::fs::write(&file, bytes).unwrap();
    let r = run(trawl().arg("records").arg(&file));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("nested 1000") && r.stderr.contains("deep.parquet"),
        "{}",
        r.stderr
    );
    // A shallow one of the same shape is read to its row (which is no record).
    let ok = dir.path().join("shallow.parquet");
    std::fs::write(&ok, nested_parquet(20)).unwrap();
    let r = run(trawl().arg("records").arg(&ok));
    assert!(
        !r.stderr.contains("levels deep") && r.stderr.contains("line 1: not a GuardDuty"),
        "{}",
        r.stderr
    );
}

// ---- 9. a panic the Parquet guard catches is silent ----------------------------------------

#[test]
fn a_parquet_reader_panic_is_a_warning_and_nothing_else() {
    let dir = common::fixture("fuzz-regressions/decode_parquet");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("caught-")
        {
            continue;
        }
        let r = run(trawl().arg("records").arg(&path));
        assert_eq!(r.status, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("the reader failed") && !r.stderr.contains("panicked"),
            "{}: {}",
            path.display(),
            r.stderr
        );
        seen += 1;
    }
    assert!(seen >= 4);
}

// ---- 7. CSV cells that start a formula -------------------------------------------------------

#[test]
fn csv_output_neutralizes_formulas() {
    let dir = temp_dir("csv");
    let file = dir.path().join("events.json");
    std::fs::write(
        &file,
        r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"=HYPERLINK(\"http://evil\",\"x\")","awsRegion":"@SUM(1)","sourceIPAddress":"203.0.113.66","userIdentity":{"arn":"+cmd|' /C calc'!A0"}}]}"#,
    )
    .unwrap();
    let r = run(trawl().args(["records", "--format", "csv"]).arg(&file));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let row = r.stdout.lines().nth(1).expect("a row");
    for cell in ["\"'=HYPERLINK(", "\"'@SUM(1)\"", "\"'+cmd|"] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert!(
        !row.contains(",=") && !row.contains(",@") && !row.contains(",+"),
        "{row}"
    );
}

// ---- 4. CloudTrail events that are not valid JSON -------------------------------------------

#[test]
fn cloudtrail_events_that_are_not_json_are_skipped_and_the_pipe_keeps_flowing() {
    let dir = temp_dir("ctjson");
    let event = |name: &str, extra: &str| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"s3.amazonaws.com","eventName":"{name}","sourceIPAddress":"203.0.113.66"{extra}}}"#
        )
    };
    let deep = format!(
        ",\"additionalEventData\":{}{}",
        "[".repeat(130),
        "]".repeat(130)
    );
    let records = [
        event("First", ""),
        event("Surrogate", r#","userAgent":"\ud800""#),
        event("Huge", r#","requestParameters":{"n":1e400}"#),
        event("Deep", &deep),
        // An element of another kind that is not JSON costs itself, not the object.
        r#"{"class_uid":6003,"n":1e400}"#.to_string(),
        event("Last", ""),
    ];
    let file = dir
        .path()
        .join("111122223333_CloudTrail_us-east-1_20240502T0300Z_x.json");
    std::fs::write(&file, format!("{{\"Records\":[{}]}}", records.join(","))).unwrap();
    let r = run(trawl().arg("records").arg(&file));
    let names: Vec<String> = common::json_lines(&r.stdout)
        .iter()
        .map(|l| l["record"]["eventName"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, ["First", "Last"], "{}", r.stderr);
    for (element, why) in [
        ("line 2", "hex escape"),
        ("line 3", "number out of range"),
        ("line 4", "nested deeper than 128 levels"),
        ("line 5", "number out of range"),
    ] {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(element) && l.contains(why)),
            "{element}: {why} in {}",
            r.stderr
        );
    }
    // jq reads every line (it rejects a lone surrogate, and with it the rest of the pipe).
    let mut jq = std::process::Command::new("jq")
        .args(["-c", ".record.eventName"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("jq runs");
    use std::io::Write;
    jq.stdin
        .take()
        .unwrap()
        .write_all(r.stdout.as_bytes())
        .unwrap();
    let out = jq.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "\"First\"\n\"Last\"\n"
    );
}

// ---- 6. memory per object ----------------------------------------------------------------------

#[test]
fn an_envelope_of_whitespace_is_refused_at_the_object_limit() {
    let dir = temp_dir("spaces");
    let mut text = b"{\"Records\":[".to_vec();
    text.resize(text.len() + (8 << 20), b' ');
    let file = dir.path().join("spaces.json.gz");
    std::fs::write(&file, common::gzip(&text)).unwrap();
    let r = run(trawl()
        .args(["records", "--max-object-bytes", "4000000"])
        .arg(&file));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("refused: expands past 4000000 bytes"),
        "{}",
        r.stderr
    );
}

#[test]
fn millions_of_tiny_records_are_refused_at_the_memory_they_take() {
    let dir = temp_dir("tiny");
    // 60 000 records in under a megabyte of text: within the object limit, but each record
    // held takes far more than its 17 bytes of text.
    let text = "{\"class_uid\":6003}\n".repeat(60_000);
    let file = dir.path().join("tiny.json.gz");
    std::fs::write(&file, common::gzip(text.as_bytes())).unwrap();
    let r = run(trawl()
        .args(["records", "--max-object-bytes", "2000000"])
        .arg(&file));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("refused: its records take more than 2000000 bytes of memory"),
        "{}",
        r.stderr
    );
    let printed = r.stdout.lines().count();
    assert!(printed > 0 && printed < 60_000, "{printed}");
}

#[test]
fn an_envelope_element_longer_than_max_record_bytes_is_skipped() {
    let dir = temp_dir("element");
    let event = |name: &str, pad: usize| {
        format!(
            r#"{{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"s3.amazonaws.com","eventName":"{name}","userAgent":"{}"}}"#,
            "x".repeat(pad)
        )
    };
    let file = dir.path().join("events.json");
    std::fs::write(
        &file,
        format!(
            "{{\"Records\":[{},{}]}}",
            event("Big", 5000),
            event("Small", 1)
        ),
    )
    .unwrap();
    let r = run(trawl()
        .args(["records", "--max-record-bytes", "1000"])
        .arg(&file));
    let lines = common::json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert_eq!(lines[0]["record"]["eventName"], "Small");
    assert!(
        r.stderr.contains("line 1: skipped: element of") && r.stderr.contains("1000 byte limit"),
        "{}",
        r.stderr
    );
}

// ---- 5. a key XML cannot carry -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_key_with_a_control_character_hides_nothing() {
    let Some(m) = common::moto() else { return };
    let aws = common::aws(m).await;
    let bucket = common::unique_bucket("ctrlkey");
    aws.s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let day = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02/";
    let real = format!("{day}111122223333_CloudTrail_us-east-1_20240502T0300Z_a.json.gz");
    let event = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.66"}]}"#;
    for (key, body) in [
        (real.clone(), common::gzip(event.as_bytes())),
        ("AWSLogs/\u{1}".to_string(), b"x".to_vec()),
        (format!("{day}\u{1}odd key+1.json"), b"{}".to_vec()),
    ] {
        aws.s3
            .put_object()
            .bucket(&bucket)
            .key(&key)
            .body(body.into())
            .send()
            .await
            .unwrap();
    }
    let url = format!("s3://{bucket}");
    let r = run(trawl().args(["records", "--endpoint-url", &m.endpoint, &url]));
    let lines = common::json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    assert_eq!(lines[0]["record"]["eventName"], "CreateUser");
    assert_eq!(lines[0]["object"], format!("s3://{bucket}/{real}"));
    assert!(!r.stderr.contains("HTTP 200"), "{}", r.stderr);
    // The odd key was listed and read (it is no record), and is named escaped.
    assert!(r.stderr.contains("\\u0001odd key+1.json"), "{}", r.stderr);
    let ls = run(trawl().args([
        "ls",
        "--format",
        "jsonl",
        "--endpoint-url",
        &m.endpoint,
        &url,
    ]));
    assert_eq!(ls.status, 0, "{}", ls.stderr);
}

// ---- 12. Athena: the workgroup's result location, and statements that write -----------------

mod athena {
    use aws_sdk_athena::operation::get_query_execution::GetQueryExecutionOutput;
    use aws_sdk_athena::operation::get_query_results::GetQueryResultsOutput;
    use aws_sdk_athena::operation::get_work_group::GetWorkGroupOutput;
    use aws_sdk_athena::operation::start_query_execution::StartQueryExecutionOutput;
    use aws_sdk_athena::types::{
        QueryExecution, QueryExecutionState, QueryExecutionStatus, ResultConfiguration, ResultSet,
        WorkGroup, WorkGroupConfiguration,
    };
    use aws_sdk_athena::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use std::time::Duration;
    use trawl::athena::client::{run_query, Backoff, QueryRequest};

    fn workgroup(location: Option<&str>) -> GetWorkGroupOutput {
        GetWorkGroupOutput::builder()
            .work_group(
                WorkGroup::builder()
                    .name("ir")
                    .configuration(
                        WorkGroupConfiguration::builder()
                            .result_configuration(
                                ResultConfiguration::builder()
                                    .set_output_location(location.map(str::to_string))
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
                    .unwrap(),
            )
            .build()
    }

    /// Runs a query with `[athena] output_location` set in a workgroup that has `location`;
    /// returns the location StartQueryExecution carried.
    async fn sent_location(location: Option<&'static str>) -> Option<String> {
        let sent = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen = sent.clone();
        let wg = mock!(Client::get_work_group)
            .match_requests(|r| r.work_group() == Some("ir"))
            .then_output(move || workgroup(location));
        let start = mock!(Client::start_query_execution)
            .match_requests(move |r| {
                *seen.lock().unwrap() = r
                    .result_configuration()
                    .and_then(|c| c.output_location())
                    .map(str::to_string);
                true
            })
            .then_output(|| {
                StartQueryExecutionOutput::builder()
                    .query_execution_id("q-1")
                    .build()
            });
        let poll = mock!(Client::get_query_execution).then_output(|| {
            GetQueryExecutionOutput::builder()
                .query_execution(
                    QueryExecution::builder()
                        .query_execution_id("q-1")
                        .status(
                            QueryExecutionStatus::builder()
                                .state(QueryExecutionState::Succeeded)
                                .build(),
                        )
                        .build(),
                )
                .build()
        });
        let rows = mock!(Client::get_query_results).then_output(|| {
            GetQueryResultsOutput::builder()
                .result_set(ResultSet::builder().build())
                .build()
        });
        let client = mock_client!(
            aws_sdk_athena,
            RuleMode::MatchAny,
            [&wg, &start, &poll, &rows]
        );
        let req = QueryRequest {
            sql: "SELECT 1".into(),
            workgroup: Some("ir".into()),
            output_location: Some("s3://mine/results/".into()),
            ..QueryRequest::default()
        };
        let backoff = Backoff {
            first: Duration::from_millis(1),
            max: Duration::from_millis(2),
            factor: 2.0,
            throttle_retries: 1,
        };
        run_query(&client, &req, &backoff, std::future::pending(), &mut |_| {})
            .await
            .unwrap();
        let got = sent.lock().unwrap().clone();
        got
    }

    #[tokio::test]
    async fn the_output_location_is_sent_only_when_the_workgroup_sets_none() {
        assert_eq!(sent_location(Some("s3://workgroup-results/")).await, None);
        assert_eq!(
            sent_location(None).await.as_deref(),
            Some("s3://mine/results/")
        );
    }
}

#[test]
fn athena_query_refuses_statements_that_write() {
    for sql in [
        "CREATE TABLE loot AS SELECT * FROM cloudtrail",
        "UNLOAD (SELECT * FROM cloudtrail) TO 's3://elsewhere/' WITH (format = 'JSON')",
        "-- harmless\nDROP TABLE cloudtrail",
        "INSERT INTO t SELECT 1",
    ] {
        // No endpoint answers: the refusal comes before any request.
        let r = run(trawl().args([
            "athena",
            "query",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--",
            sql,
        ]));
        assert_eq!(r.status, 1, "{sql}: {}", r.stderr);
        assert!(
            r.stderr.contains("trawl is read-only; pass --allow-writes"),
            "{sql}: {}",
            r.stderr
        );
    }
}

// ---- 17. what a credential_process prints never reaches the output --------------------------

#[test]
fn a_failing_credential_process_is_masked_on_every_path() {
    let dir = temp_dir("credproc");
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "[profile leak]\nregion = us-east-1\ncredential_process = sh -c 'echo canary-token-42 >&2; echo canary-token-42; exit 1'\n",
    )
    .unwrap();
    let mut athena = trawl();
    athena
        .env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args([
            "athena",
            "query",
            "--profile",
            "leak",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "SELECT 1",
        ]);
    let r = run(&mut athena);
    assert_ne!(r.status, 0);
    assert!(!r.stderr.contains("canary-token-42"), "{}", r.stderr);
    assert!(r.stderr.contains("no AWS credentials"), "{}", r.stderr);
    let mut s3 = trawl();
    s3.env("AWS_CONFIG_FILE", &config)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args([
            "ls",
            "--profile",
            "leak",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "s3://bucket",
        ]);
    let r = run(&mut s3);
    assert!(!r.stderr.contains("canary-token-42"), "{}", r.stderr);
}

// ---- 10. symlink loops and the depth limit; 17. what is not a file -----------------------------

fn record_count(source: &Path) -> (usize, String) {
    let r = run(trawl().arg("records").arg(source));
    (r.stdout.lines().count(), r.stderr)
}

#[test]
fn a_symlink_loop_is_walked_once_and_said() {
    use std::os::unix::fs::symlink;
    let dir = temp_dir("loop");
    let lake = dir.path().join("lake");
    common::corpus_lake(&lake);
    let (baseline, _) = record_count(&lake);
    assert!(baseline > 10);
    // `l -> .` at the top and a link to a folder inside the source.
    symlink(".", lake.join("l")).unwrap();
    symlink(lake.join("AWSLogs"), lake.join("again")).unwrap();
    // A folder outside the source, reached by a link, that links back to itself.
    let outside = dir.path().join("outside");
    let day = "AWSLogs/222233334444/CloudTrail/us-east-1/2024/05/02";
    std::fs::create_dir_all(outside.join(day)).unwrap();
    std::fs::write(
        outside.join(day).join("222233334444_CloudTrail_us-east-1_20240502T0300Z_x.json"),
        r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser"}]}"#,
    )
    .unwrap();
    symlink(&outside, outside.join("AWSLogs/back")).unwrap();
    symlink(&outside, lake.join("linked")).unwrap();

    let (n, stderr) = record_count(&lake);
    assert_eq!(n, baseline + 1, "{stderr}");
    for said in [
        "l/: not followed: a link back into the source",
        "again/: not followed: a link back into the source",
        "back/: not followed: a symlink loop",
    ] {
        assert!(stderr.contains(said), "{said} in {stderr}");
    }
    let ls = run(trawl().args(["ls", "--format", "jsonl"]).arg(&lake));
    assert_eq!(ls.status, 0, "{}", ls.stderr);
    assert!(ls.stderr.contains("a symlink loop"), "{}", ls.stderr);
}

#[test]
fn folders_past_the_depth_limit_are_said() {
    let dir = temp_dir("deep");
    let mut deep = dir.path().to_path_buf();
    for i in 0..30 {
        deep.push(format!("d{i}"));
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::write(deep.join("x.json"), "{}").unwrap();
    let r = run(trawl().args(["ls", "--format", "jsonl"]).arg(dir.path()));
    assert!(
        r.stderr
            .contains("folders deeper than 24 levels are not followed"),
        "{}",
        r.stderr
    );
}

#[test]
fn dangling_links_fifos_and_odd_names_are_said_and_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = temp_dir("odd");
    let event = r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser"}]}"#;
    // A name that is not UTF-8: read, and named with the byte escaped.
    let odd = dir
        .path()
        .join(std::ffi::OsStr::from_bytes(b"trail-\xff\xfe.json"));
    std::fs::write(&odd, event).unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("dangling.json")).unwrap();
    let fifo = dir.path().join("pipe.json");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let r = run(trawl().arg("records").arg(dir.path()));
    let lines = common::json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    let object = lines[0]["object"].as_str().unwrap();
    assert!(object.ends_with("trail-\\xff\\xfe.json"), "{object}");
    assert!(
        r.stderr
            .contains("dangling.json: not read: a symlink to nothing"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("pipe.json: not read: a FIFO"),
        "{}",
        r.stderr
    );

    // A FIFO given as the source is refused at once, never read (which would wait for ever).
    let mut child = trawl()
        .arg("records")
        .arg(&fifo)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("trawl waited on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    assert!(stderr.contains("a FIFO, not a regular file"), "{stderr}");
}

// ---- 1. a resumed session does not reopen what brought it down ------------------------------

/// A partition is saved once it has been read: while one is still being read, the session keeps
/// the last one read, so if reading it brings trawl down, `--resume` starts without it.
#[tokio::test]
async fn a_partition_is_saved_only_once_it_has_been_read() {
    use trawl::source::{self, AwsOptions};
    use trawl::tui::resume::{self, Resume, Saved, SavedLoad};
    use trawl::tui::Session;
    let dir = temp_dir("resume");
    let lake = dir.path().join("lake");
    common::corpus_lake(&lake);
    let specs = vec![lake.display().to_string()];
    let path = dir.path().join("state/session.json");
    let sources = source::open_all(&specs, &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.app.resume = Some(Resume::new(path.clone(), specs.clone()));
    let day = "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-2/2024/05/02/";
    s.app.restore(Saved {
        sources: specs.clone(),
        load: Some(SavedLoad {
            source: 0,
            prefix: day.into(),
            object: None,
        }),
        ..Saved::default()
    });
    s.settle().await;
    s.app.persist();
    let saved = |p: &Path| resume::load(p).unwrap().unwrap().load.map(|l| l.prefix);
    assert_eq!(saved(&path).as_deref(), Some(day));

    // Another partition starts loading: until it is read, the session names the last one read.
    let other = "AWSLogs/o-a1b2c3d4e5/123456789/CloudTrail/us-east-2/2023/05/30/";
    let load = s.app.load.as_mut().expect("a load");
    load.reqs[0].prefix = other.into();
    load.done = false;
    s.app.persist();
    assert_eq!(saved(&path).as_deref(), Some(day));
    s.app.load.as_mut().unwrap().done = true;
    s.app.persist();
    assert_eq!(saved(&path).as_deref(), Some(other));
}
