//! `trawl records` reads every file of the shared corpus (real third-party samples), with the
//! counts and fields a person finds by reading the files.

use crate::common;

use common::*;

fn records(file: &str) -> (Vec<serde_json::Value>, String) {
    let r = run(trawl()
        .args(["records", "--format", "jsonl"])
        .arg(corpus(file)));
    assert_eq!(r.status, 0, "{file}: {}", r.stderr);
    (json_lines(&r.stdout), r.stderr)
}

#[test]
fn every_corpus_file_reads_with_the_expected_count_and_no_warning() {
    // Counted by reading the files: `wc -l`, `jq`, and the notes in CORPUS-SOURCES.txt.
    for (file, kind, count) in [
        ("test-guardduty.log", "guardduty", 5),
        ("test-guard_duty.log", "guardduty", 104),
        ("elastic-cloudtrail-events.jsonl", "cloudtrail", 46),
        ("elastic-cloudtrail-records.json.gz", "cloudtrail", 46),
        ("cloudtrail-log-file.json.gz", "cloudtrail", 2),
        ("generic_api_activity.ocsf", "ocsf", 1),
        ("vpcflowlog.ocsf", "ocsf", 1),
        ("route53.ocsf", "ocsf", 1),
        ("sechub-guardduty.ocsf", "ocsf", 1),
        ("test-api-activity.log", "ocsf", 1),
        ("test-network-activity.log", "ocsf", 17),
        ("test-security-findings.log", "ocsf", 1),
        ("malware_infection_detected_sample.parquet", "ocsf", 4),
    ] {
        let (recs, stderr) = records(file);
        assert_eq!(recs.len(), count, "{file}");
        assert!(recs.iter().all(|r| r["source"] == kind), "{file}");
        assert_eq!(stderr, "", "{file} warned");
    }
}

#[test]
fn the_guardduty_sample_trailing_findings_list_is_not_a_finding() {
    let (recs, _) = records("test-guardduty.log");
    let types: Vec<&str> = recs
        .iter()
        .map(|r| r["record"]["type"].as_str().unwrap())
        .collect();
    // Sorted by eventLastSeen; the first four share a second, then the file order decides.
    assert_eq!(
        types,
        [
            "Trojan:EC2/BlackholeTraffic!DNS",
            "Persistence:Kubernetes/SuccessfulAnonymousAccess",
            "Discovery:Kubernetes/TorIPCaller",
            "CredentialAccess:RDS/AnomalousBehavior.SuccessfulLogin",
            "PrivilegeEscalation:Runtime/DockerSocketAccessed",
        ]
    );
    assert!(recs.iter().all(|r| r["record"].get("findings").is_none()));
    assert_eq!(recs[4]["time"], "2024-10-04T04:06:30.383Z");
    assert_eq!(recs[4]["account"], "123456789");
    assert_eq!(recs[4]["region"], "us-west-1");
}

#[test]
fn cloudtrail_envelope_records_keep_their_fields_and_the_object() {
    let (recs, _) = records("cloudtrail-log-file.json.gz");
    assert_eq!(recs[0]["time"], "2023-05-19T07:44:30Z");
    assert_eq!(recs[0]["record"]["eventName"], "AssumeRole");
    assert_eq!(recs[0]["account"], "123456789");
    assert_eq!(recs[0]["region"], "eu-west-3");
    assert_eq!(recs[1]["record"]["eventName"], "BatchGetImage");
    assert_eq!(recs[1]["record"]["sourceIPAddress"], "AWS Internal");
    let obj = corpus("cloudtrail-log-file.json.gz");
    assert!(recs.iter().all(|r| r["object"] == obj.to_str().unwrap()));
    // The jsonl contract: exactly these keys, in this order.
    let keys: Vec<&String> = recs[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["source", "time", "account", "region", "object", "summary", "entities", "record"]
    );
}

#[test]
fn the_original_record_comes_out_unaltered() {
    // Line 7 of the events file, compared value for value with what trawl prints.
    let text = std::fs::read_to_string(corpus("elastic-cloudtrail-events.jsonl")).unwrap();
    let originals: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (recs, _) = records("elastic-cloudtrail-events.jsonl");
    for original in &originals {
        assert!(
            recs.iter().any(|r| &r["record"] == original),
            "missing or altered: {original}"
        );
    }
}

#[test]
fn ocsf_documents_and_parquet_rows_get_times_and_classes() {
    let (recs, _) = records("vpcflowlog.ocsf");
    assert_eq!(recs[0]["time"], "2022-04-12T00:02:12Z");
    assert!(recs[0]["summary"]
        .as_str()
        .unwrap()
        .starts_with("Network Activity: Refuse"));
    let (recs, _) = records("generic_api_activity.ocsf");
    assert_eq!(recs[0]["time"], "2023-09-21T22:22:52Z");
    let (recs, _) = records("malware_infection_detected_sample.parquet");
    for r in &recs {
        assert_eq!(r["record"]["class_uid"], 2001);
    }
}

#[test]
fn table_and_csv_have_a_header_and_a_row_per_record() {
    let f = corpus("cloudtrail-log-file.json.gz");
    let r = run(trawl().args(["records", "--format", "table"]).arg(&f));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("TIME"));
    assert!(lines[1].contains("AssumeRole") && lines[1].contains("ec2.amazonaws.com"));
    let r = run(trawl().args(["records", "--format", "csv"]).arg(&f));
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "time,kind,account,region,event,severity,principal,ip,summary,object,position,error,resource"
    );
    assert!(
        lines[2].starts_with("2023-05-19T07:44:34Z,cloudtrail,123456789,eu-west-3,BatchGetImage,")
    );
    // Position, then the columns added after it: no error, the ECR repository acted on.
    assert!(
        lines[2].ends_with(",2,,repository/repositoryName"),
        "{}",
        lines[2]
    );
}

#[test]
fn completions_man_page_and_version() {
    for shell in ["bash", "zsh", "fish"] {
        let r = run(trawl().args(["completions", shell]));
        assert_eq!(r.status, 0, "{shell}");
        assert!(
            r.stdout.contains("pivot") && r.stdout.contains("--since"),
            "{shell}"
        );
    }
    let r = run(trawl().arg("man"));
    assert!(r.stdout.contains(".TH trawl 1") && r.stdout.contains("pivot"));
    let r = run(trawl().arg("--version"));
    assert_eq!(
        r.stdout.trim(),
        format!("trawl {}", env!("CARGO_PKG_VERSION"))
    );
    let r = run(trawl().arg("--help"));
    assert!(r.stdout.contains("Examples:"));
}
