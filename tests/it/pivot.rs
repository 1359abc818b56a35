//! `trawl pivot`: every record that shares an entity, across GuardDuty, CloudTrail and OCSF, on
//! one timeline. Expectations were written by reading the corpus (grep, jq, CORPUS-SOURCES.txt).

use crate::common;

use common::*;
use serde_json::Value;

const FILES: [&str; 8] = [
    "test-guardduty.log",
    "test-guard_duty.log",
    "elastic-cloudtrail-events.jsonl",
    "elastic-cloudtrail-records.json.gz",
    "cloudtrail-log-file.json.gz",
    "test-network-activity.log",
    "sechub-guardduty.ocsf",
    "malware_infection_detected_sample.parquet",
];

fn pivot(entity: &str) -> (Vec<Value>, String) {
    let mut cmd = trawl();
    cmd.args(["pivot", "--format", "jsonl"]);
    for f in FILES {
        cmd.arg(corpus(f));
    }
    let r = run(cmd.arg(entity));
    assert_eq!(r.status, 0, "{}", r.stderr);
    (json_lines(&r.stdout), r.stderr)
}

fn count(recs: &[Value], kind: &str) -> usize {
    recs.iter().filter(|r| r["source"] == kind).count()
}

fn event_names(recs: &[Value]) -> Vec<&str> {
    recs.iter()
        .filter_map(|r| r["record"]["eventName"].as_str())
        .collect()
}

#[test]
fn an_ip_finds_findings_events_and_ocsf_records_on_one_timeline() {
    let (recs, _) = pivot("81.2.69.144");
    // All 104 findings of test-guard_duty.log name it (remoteIpDetails or publicIp); CloudTrail
    // events #2, #3, #4 and #45 (twice: JSON Lines and envelope); one OCSF network event lists it
    // among its intermediate IPs.
    assert_eq!(count(&recs, "guardduty"), 104);
    assert_eq!(count(&recs, "cloudtrail"), 8);
    assert_eq!(count(&recs, "ocsf"), 1);
    let times: Vec<&str> = recs.iter().filter_map(|r| r["time"].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "one timeline, oldest first");
}

#[test]
fn a_comma_separated_source_address_is_two_ips() {
    // Event #38 (SAMLUser) came from "81.2.69.142, 192.168.10.10"; #39 from 81.2.69.142 alone.
    let (recs, _) = pivot("ip:192.168.10.10");
    assert_eq!(event_names(&recs), ["action", "action"]);
    let (recs, _) = pivot("81.2.69.142");
    assert_eq!(count(&recs, "cloudtrail"), 4);
    assert_eq!(
        count(&recs, "ocsf"),
        1,
        "the same OCSF event lists 81.2.69.142 too"
    );
}

#[test]
fn a_role_arn_finds_the_sessions_of_that_role() {
    // Events #3 and #4 were made by sessions whose issuer is role/JohnRole1.
    let (recs, _) = pivot("principal:arn:aws:iam::111111111111:role/JohnRole1");
    assert_eq!(event_names(&recs), ["AssumeRole"; 4]);
    assert!(recs.iter().all(
        |r| r["record"]["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
            == "arn:aws:iam::111111111111:role/JohnRole1"
    ));
}

#[test]
fn a_temporary_key_finds_the_finding_that_names_it() {
    // test-guard_duty.log names ASIAJZ3DXJKMP7MG3EKA in one finding's accessKeyDetails.
    let (recs, _) = pivot("ASIAJZ3DXJKMP7MG3EKA");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["source"], "guardduty");
    assert_eq!(
        recs[0]["record"]["resource"]["accessKeyDetails"]["accessKeyId"],
        "ASIAJZ3DXJKMP7MG3EKA"
    );
}

#[test]
fn service_names_are_not_ips_and_unknown_entities_find_nothing() {
    let r = run(trawl()
        .args(["pivot"])
        .arg(corpus("cloudtrail-log-file.json.gz"))
        .arg("ip:ec2.amazonaws.com"));
    assert_eq!(r.status, 1, "not an IP: {}", r.stderr);
    assert!(r.stderr.contains("is not an entity"));
    let (recs, _) = pivot("198.18.0.1");
    assert!(recs.is_empty());
}
