//! `trawl whois`, and the entities it stands on: every address an OCSF record holds, and the
//! chains from keys and sessions back to a person or a machine in real logs (Stratus Red Team's
//! detonations, the demo lake). Expectations were written by reading the data; every proof a
//! chain cites is read back from its object to show it says what the link claims.

use std::io::Read;

use crate::common;

use common::*;
use serde_json::Value;

fn whois(sources: &[&std::path::Path], extra: &[&str], entity: &str) -> Vec<Value> {
    let mut cmd = trawl();
    cmd.args(["whois", "--format", "jsonl"]).args(extra);
    for s in sources {
        cmd.arg(s);
    }
    let r = run(cmd.arg(entity));
    assert_eq!(r.status, 0, "{}", r.stderr);
    json_lines(&r.stdout)
}

/// The record a proof cites: element `position` of a CloudTrail object (gzip or not, an
/// envelope or an array), or line `position` of JSON Lines.
fn cited(proof: &Value) -> Value {
    let object = proof["object"].as_str().expect("object");
    let position = proof["position"].as_u64().expect("position") as usize;
    let bytes = std::fs::read(object).unwrap_or_else(|e| panic!("{object}: {e}"));
    let mut text = String::new();
    if object.ends_with(".gz") {
        flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .expect("gzip");
    } else {
        text = String::from_utf8(bytes).expect("utf-8");
    }
    if object.ends_with(".jsonl") || object.ends_with(".jsonl.gz") {
        let line = text.lines().nth(position - 1).expect("the cited line");
        return serde_json::from_str(line).expect("json");
    }
    match serde_json::from_str::<Value>(&text).expect("one JSON document") {
        Value::Object(mut envelope) => envelope
            .remove("Records")
            .and_then(|r| r.as_array().and_then(|a| a.get(position - 1).cloned()))
            .expect("the cited element"),
        Value::Array(items) => items[position - 1].clone(),
        other => panic!("{object} is no envelope or array: {other}"),
    }
}

/// Every proof of a chain names an event that is where it says, and says what it names.
fn assert_proofs_hold(links: &[Value]) {
    for link in links {
        for proof in std::iter::once(&link["proof"])
            .filter(|p| !p.is_null())
            .chain(link["findings"].as_array().into_iter().flatten())
        {
            let record = cited(proof);
            let event = record["eventName"]
                .as_str()
                .or_else(|| record["type"].as_str());
            assert_eq!(event, proof["event"].as_str(), "{proof}");
        }
    }
}

fn steps(links: &[Value]) -> Vec<(&str, &str, &str)> {
    links
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap(),
                l["id"].as_str().unwrap(),
                l["how"].as_str().unwrap(),
            )
        })
        .collect()
}

// --- every address of an OCSF record ----------------------------------------------------------

#[test]
fn every_ip_of_the_ocsf_network_events_is_an_entity_and_nothing_else_is() {
    let r = run(trawl()
        .args(["records", "--format", "jsonl"])
        .arg(corpus("test-network-activity.log")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let records = json_lines(&r.stdout);
    assert_eq!(records.len(), 17);
    // Line by line, the values of every `ip` key (src_endpoint, dst_endpoint, device,
    // device.network_interfaces[], proxy, proxy_endpoint, load_balancer.dst_endpoint,
    // load_balancer.endpoint_connections[].network_endpoint) and of the endpoints'
    // intermediate_ips, as read from the file. "-" is no address; DNS answers' rdata, MAC
    // addresses and X-Forwarded-For lists are not address fields of these records.
    let expected: [&[&str]; 17] = [
        &["1.128.0.0", "172.31.2.52"],
        &["67.43.156.0", "175.16.199.1"],
        &["10.200.21.100"],
        &["67.43.156.0", "175.16.199.1", "89.160.20.112"],
        &["67.43.156.0", "175.16.199.1", "89.160.20.112"],
        &["67.43.156.0", "175.16.199.1"],
        &["67.43.156.0", "175.16.199.1", "127.252.94.88"],
        &["67.43.156.0", "89.160.20.112"],
        &["175.16.199.1"],
        &["175.16.199.1"],
        &["67.43.156.0"],
        &["67.43.156.0", "175.16.199.1", "224.61.168.94"],
        &[
            "89.160.20.128",
            "67.43.156.0",
            "81.2.69.142",
            "81.2.69.144",
            "175.16.199.0",
            "216.160.83.56",
            "31.13.253.50",
            "155.162.119.5",
            "102.249.60.133",
        ],
        &["67.43.156.0"],
        &["67.43.156.0", "175.16.199.1"],
        &["175.16.199.1"],
        &["67.43.156.0", "175.16.199.1", "127.252.94.88"],
    ];
    // The timeline orders them by time: the original record says which line each was.
    let text = std::fs::read_to_string(corpus("test-network-activity.log")).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut seen = 0;
    for rec in &records {
        let n = 1 + lines
            .iter()
            .position(|l| *l == rec["record"])
            .expect("a line of the file");
        let mut ips: Vec<&str> = rec["entities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "ip")
            .map(|e| e["value"].as_str().unwrap())
            .collect();
        ips.sort();
        let mut want: Vec<&str> = expected[n - 1].to_vec();
        want.sort();
        assert_eq!(ips, want, "line {n}");
        // Addresses are where the event happened, no other part.
        assert!(rec["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("role").is_none()));
        seen += 1;
    }
    assert_eq!(seen, 17);
}

#[test]
fn the_instance_address_finds_every_ocsf_record_that_holds_it() {
    // 175.16.199.1 is an address of 11 lines (a device, a network interface, an endpoint or an
    // intermediate hop); before, only the 4 where it is an endpoint or a hop were found.
    let r = run(trawl()
        .args(["pivot", "--format", "jsonl"])
        .arg(corpus("test-network-activity.log"))
        .arg("175.16.199.1"));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(json_lines(&r.stdout).len(), 11);
}

// --- Stratus Red Team: real chains ------------------------------------------------------------

fn stratus() -> std::path::PathBuf {
    fixture("stratus")
}

#[test]
fn a_federation_token_leads_to_the_iam_user_that_asked_for_it() {
    let links = whois(&[&stratus()], &[], "ASIASTJKC5GCM7ZE6LUP");
    assert_eq!(
        steps(&links),
        [
            (
                "federated_user",
                "arn:aws:sts::742491224508:federated-user/stratus_red_team",
                "issued"
            ),
            (
                "user",
                "arn:aws:iam::742491224508:user/stratus-red-team-user-federation-user",
                "start"
            ),
        ]
    );
    assert_eq!(links[0]["key"], "ASIASTJKC5GCM7ZE6LUP");
    assert_eq!(links[1]["key"], "AKIA6V1GNZTT65XQH36M");
    assert_eq!(links[0]["proof"]["event"], "GetFederationToken");
    assert_eq!(links[0]["proof"]["time"], "2024-11-30T08:43:17Z");
    assert!(links[0]["proof"]["object"]
        .as_str()
        .unwrap()
        .ends_with("aws.persistence.sts-federation-token.json"));
    assert_eq!(links[0]["proof"]["position"], 1);
    for l in &links {
        assert_eq!(l["chain"], 1);
        assert_eq!(l["target"]["kind"], "key");
    }
    assert_proofs_hold(&links);
    // The federated user by its ARN: the same chain.
    let by_arn = whois(
        &[&stratus()],
        &[],
        "arn:aws:sts::742491224508:federated-user/stratus_red_team",
    );
    assert_eq!(steps(&by_arn), steps(&links));
}

#[test]
fn a_backdoor_users_key_leads_to_its_creator() {
    let links = whois(&[&stratus()], &[], "AKIAL80DWDVKKM0UXEER");
    assert_eq!(
        steps(&links),
        [
            (
                "user",
                "arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user",
                "created"
            ),
            ("user", "arn:aws:iam::946986569305:user/christophe", "start"),
        ]
    );
    assert_eq!(links[0]["proof"]["event"], "CreateAccessKey");
    assert_eq!(
        links[0]["by"],
        "arn:aws:iam::946986569305:user/christophe with key AKIA30BEZSJBVKOFKZW0"
    );
    assert_eq!(links[1]["key"], "AKIA30BEZSJBVKOFKZW0");
    assert_proofs_hold(&links);
}

#[test]
fn a_backdoor_role_names_the_account_it_now_trusts_and_has_no_session_to_follow() {
    // The account the trust policy lets in is an entity, shared with.
    let r = run(trawl()
        .args(["records", "--format", "jsonl"])
        .arg(stratus().join("aws.persistence.iam-backdoor-role.json")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let rec = &json_lines(&r.stdout)[0];
    let has = |kind: &str, value: &str, role: Option<&str>| {
        rec["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == kind && e["value"] == value && e["role"].as_str() == role)
    };
    assert!(has("account", "193672423079", Some("shared_with")));
    assert!(has(
        "principal",
        "arn:aws:iam::751203476945:role/stratus-red-team-backdoor-r-role",
        Some("target")
    ));
    assert!(has("account", "751203476945", None));
    // No session of the role is in the data: said, not guessed.
    let links = whois(
        &[&stratus()],
        &[],
        "arn:aws:iam::751203476945:role/stratus-red-team-backdoor-r-role",
    );
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["how"], "unknown");
    // Who changed it: an IAM user with a key of its own.
    let links = whois(&[&stratus()], &[], "AKIAMUV7B57OZM0RV05D");
    assert_eq!(
        steps(&links),
        [("user", "arn:aws:iam::751203476945:user/christophe", "start")]
    );
    assert_eq!(links[0]["proof"]["event"], "UpdateAssumeRolePolicy");
    assert_proofs_hold(&links);
}

#[test]
fn a_role_session_leads_to_the_user_that_assumed_it() {
    let session = "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000";
    let links = whois(&[&stratus()], &[], "ASIA36EV31F1RB3OA8IG");
    assert_eq!(
        steps(&links),
        [
            ("session", session, "issued"),
            ("user", "arn:aws:iam::307578594326:user/christophe", "start"),
        ]
    );
    assert_eq!(links[0]["proof"]["position"], 1);
    assert_eq!(links[0]["from"], "252.5.222.230");
    assert_proofs_hold(&links);
}

// --- the demo lake ----------------------------------------------------------------------------

fn demo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = run(trawl().args(["demo", "--no-tui", "--dir"]).arg(dir.path()));
    assert_eq!(r.status, 0, "{}", r.stderr);
    dir
}

fn demo_sources(dir: &std::path::Path) -> [std::path::PathBuf; 3] {
    [
        dir.join("org-trail"),
        dir.join("guardduty-exports"),
        dir.join("security-lake"),
    ]
}

#[test]
fn the_demo_chain_runs_from_the_cross_account_key_to_the_instance_and_its_findings() {
    use trawl::demo::story::*;
    let dir = demo();
    let [a, b, c] = demo_sources(dir.path());
    let links = whois(&[&a, &b, &c], &[], CROSS_ACCOUNT_KEY);
    assert_eq!(
        steps(&links),
        [
            ("session", CROSS_ACCOUNT_SESSION_ARN, "issued"),
            ("user", BACKDOOR_USER_ARN, "created"),
            ("session", INSTANCE_SESSION_ARN, "issued"),
            ("instance", INSTANCE_ID, "start"),
        ]
    );
    let keys: Vec<&str> = links.iter().filter_map(|l| l["key"].as_str()).collect();
    assert_eq!(keys, [CROSS_ACCOUNT_KEY, BACKDOOR_KEY, STOLEN_KEY]);
    // The cross-account AssumeRole is cited as the caller's account logged it (with the
    // caller's ARN and key), not as the role's account did (by account and id only).
    assert!(links[0]["proof"]["object"]
        .as_str()
        .unwrap()
        .contains(&format!("/{PROD_ACCOUNT}/CloudTrail/")));
    assert_eq!(
        links[0]["by"],
        format!("{BACKDOOR_USER_ARN} with key {BACKDOOR_KEY}")
    );
    assert_eq!(links[0]["from"], ATTACKER_IP);
    assert!(links[0]["notes"][0]
        .as_str()
        .unwrap()
        .starts_with("cross-account"));
    assert_eq!(links[1]["proof"]["event"], "CreateAccessKey");
    assert_eq!(links[1]["from"], ATTACKER_IP);
    assert_eq!(links[2]["by"], "ec2.amazonaws.com");
    assert_eq!(links[2]["proof"]["time"], STOLEN_KEY_ISSUED_AT);
    // The instance's findings: the exfiltration of its role's key among them, once (the newest
    // export of the finding).
    let findings = links[3]["findings"].as_array().unwrap();
    let types: Vec<&str> = findings
        .iter()
        .map(|f| f["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.iter().filter(|t| **t == EXFIL_FINDING_TYPE).count(),
        1,
        "{types:?}"
    );
    assert!(types.contains(&"Recon:EC2/PortProbeUnprotectedPort"));
    let exfil = findings
        .iter()
        .find(|f| f["event"] == EXFIL_FINDING_TYPE)
        .unwrap();
    assert_eq!(cited(exfil)["id"], EXFIL_FINDING_ID);
    assert_eq!(
        cited(exfil)["resource"]["accessKeyDetails"]["accessKeyId"],
        STOLEN_KEY
    );
    assert_proofs_hold(&links);
    // The stolen key alone: the last two links.
    let from_stolen = whois(&[&a, &b, &c], &[], STOLEN_KEY);
    assert_eq!(steps(&from_stolen), steps(&links)[2..]);

    // Table: a block with one line per link, and the summary from the start.
    let r = run(trawl()
        .args(["whois", "--format", "table"])
        .args([&a, &b, &c])
        .arg(CROSS_ACCOUNT_KEY));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with(&format!("key {CROSS_ACCOUNT_KEY}\n")));
    assert!(r.stdout.contains(&format!(
        "  who: EC2 instance {INSTANCE_ID} → web-app-role/{INSTANCE_ID} → user {BACKDOOR_USER} → OrganizationAccountAccessRole/{CROSS_ACCOUNT_SESSION}\n"
    )));
}

#[test]
fn seen_from_the_other_account_alone_the_caller_is_an_id_and_no_more() {
    use trawl::demo::story::*;
    let dir = demo();
    let [a, b, c] = demo_sources(dir.path());
    // Only the development account's events: its AssumeRole names the caller by account and
    // principal id, and no event of that account names the principal by ARN.
    let links = whois(
        &[&a, &b, &c],
        &["--account", DEV_ACCOUNT],
        CROSS_ACCOUNT_KEY,
    );
    assert_eq!(
        steps(&links),
        [
            ("session", CROSS_ACCOUNT_SESSION_ARN, "issued"),
            ("principal_id", BACKDOOR_USER_ID, "unknown"),
        ]
    );
    assert_eq!(
        links[0]["by"],
        format!("a principal of account {PROD_ACCOUNT}")
    );
    assert!(links[1]["notes"][0]
        .as_str()
        .unwrap()
        .contains("no loaded event names it by ARN"));
    assert_proofs_hold(&links);
}

#[test]
fn an_identity_center_session_leads_to_its_user() {
    let dir = demo();
    let [a, b, c] = demo_sources(dir.path());
    let links = whois(
        &[&a, &b, &c],
        &["--since", "2024-05-03", "--until", "2024-05-03"],
        "ASIAVW3T7KDQW33QRJAE",
    );
    assert_eq!(
        steps(&links),
        [
            (
                "session",
                "arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/bob@example.com",
                "issued"
            ),
            ("identity_center_user", "bob@example.com", "start"),
        ]
    );
    assert_eq!(links[0]["proof"]["event"], "AssumeRoleWithSAML");
    assert!(links[1]["notes"][0]
        .as_str()
        .unwrap()
        .ends_with("permission set AdministratorAccess"));
    assert_proofs_hold(&links);
}

#[test]
fn whois_refuses_what_is_no_identity() {
    let r = run(trawl()
        .args(["whois"])
        .arg(corpus("elastic-cloudtrail-events.jsonl"))
        .arg("203.0.113.66"));
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.contains("not ip '203.0.113.66'"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn log_values_reach_the_terminal_escaped() {
    // A federated user named with a terminal escape sequence and a bidi override.
    let dir = tempfile::tempdir().unwrap();
    let event = serde_json::json!({"Records": [{
        "eventVersion": "1.08", "eventSource": "sts.amazonaws.com", "eventName": "GetFederationToken",
        "eventTime": "2024-05-02T03:00:00Z", "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/evil\u{1b}[31m",
            "accountId": "111122223333", "accessKeyId": "AKIAEVILEVILEVIL0001"},
        "responseElements": {
            "credentials": {"accessKeyId": "ASIAEVILEVILEVIL0002"},
            "federatedUser": {"arn": "arn:aws:sts::111122223333:federated-user/x\u{202e}y"}}
    }]});
    let path = dir.path().join("trail.json");
    std::fs::write(&path, serde_json::to_vec(&event).unwrap()).unwrap();
    for format in ["table", "jsonl", "csv"] {
        let r = run(trawl()
            .args(["whois", "--format", format])
            .arg(&path)
            .arg("ASIAEVILEVILEVIL0002"));
        assert_eq!(r.status, 0, "{}", r.stderr);
        assert!(
            !r.stdout.contains('\u{1b}') && !r.stdout.contains('\u{202e}'),
            "{format}"
        );
        assert!(r.stdout.contains("x\\u202ey"), "{format}: {}", r.stdout);
    }
}
