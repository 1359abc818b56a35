//! Detections on real data: every Stratus Red Team technique (real CloudTrail detonation logs) is
//! flagged by its built-in rule, SigmaHQ's 57 CloudTrail rules read and run, the demo lake's
//! routine traffic raises nothing at high or critical, a broken rule file is a warning, and
//! `trawl hunt` end to end.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use common::*;
use trawl::detect::{Level, RuleSet};
use trawl::load::{self, LoadOptions};
use trawl::record::{Record, RecordKind};

/// Each Stratus file, and the built-in rules that must flag it with how many of its events, as
/// read from the file's events (`jq '.[] | .eventName'`).
const STRATUS: &[(&str, &[(&str, usize)])] = &[
    // 30 GetPasswordData calls, all denied (Client.UnauthorizedOperation).
    (
        "aws.credential-access.ec2-get-password-data",
        &[("aws_ec2_get_password_data", 30)],
    ),
    // The instance role's session (i-786a...) calls GetCallerIdentity from outside; SendCommand ran the theft.
    (
        "aws.credential-access.ec2-steal-instance-credentials",
        &[
            ("aws_sts_instance_credentials_get_caller_identity", 1),
            ("aws_ssm_send_command_shell", 1),
        ],
    ),
    (
        "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        &[("aws_secretsmanager_batch_get_secret_value", 5)],
    ),
    // 20 GetSecretValue by the IAM user christophe.
    (
        "aws.credential-access.secretsmanager-retrieve-secrets",
        &[("aws_secretsmanager_secret_read_by_iam_user", 20)],
    ),
    // 5 GetParameters with withDecryption true.
    (
        "aws.credential-access.ssm-retrieve-securestring-parameters",
        &[("aws_ssm_securestring_decrypted_by_iam_user", 5)],
    ),
    (
        "aws.defense-evasion.cloudtrail-delete",
        &[("aws_cloudtrail_trail_deleted", 1)],
    ),
    // includeManagementEvents false, readWriteType ReadOnly.
    (
        "aws.defense-evasion.cloudtrail-event-selectors",
        &[("aws_cloudtrail_event_selectors_reduced", 1)],
    ),
    (
        "aws.defense-evasion.cloudtrail-stop",
        &[("aws_cloudtrail_logging_stopped", 1)],
    ),
    (
        "aws.defense-evasion.dns-delete-logs",
        &[("aws_route53resolver_query_logging_removed", 1)],
    ),
    // LeaveOrganization, denied.
    (
        "aws.defense-evasion.organizations-leave",
        &[("aws_organizations_account_leaves", 1)],
    ),
    (
        "aws.defense-evasion.vpc-remove-flow-logs",
        &[("aws_ec2_flow_logs_deleted", 1)],
    ),
    // 15 DescribeInstanceAttribute for userData, denied.
    (
        "aws.discovery.ec2-download-user-data",
        &[("aws_ec2_user_data_read", 15)],
    ),
    // RunInstances of p2.xlarge, denied.
    (
        "aws.execution.ec2-launch-unusual-instances",
        &[("aws_ec2_gpu_instances_requested", 1)],
    ),
    // ModifyInstanceAttribute with requestParameters.userData.
    (
        "aws.execution.ec2-user-data",
        &[("aws_ec2_user_data_modified", 1)],
    ),
    (
        "aws.execution.ssm-send-command",
        &[("aws_ssm_send_command_shell", 1)],
    ),
    (
        "aws.execution.ssm-start-session",
        &[("aws_ssm_session_started", 3)],
    ),
    // cidrIp .../0 (anonymised 0.0.0.0/0), port 22.
    (
        "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        &[("aws_ec2_security_group_admin_port_open_to_internet", 1)],
    ),
    (
        "aws.exfiltration.ec2-share-ami",
        &[("aws_ec2_ami_shared_with_account", 1)],
    ),
    (
        "aws.exfiltration.ec2-share-ebs-snapshot",
        &[("aws_ec2_snapshot_shared_with_account", 1)],
    ),
    (
        "aws.exfiltration.rds-share-snapshot",
        &[("aws_rds_snapshot_shared_with_account", 1)],
    ),
    // PutFoundationModelEntitlement, PutUseCaseForModelAccess, CreateFoundationModelAgreement.
    (
        "aws.impact.bedrock-invoke-model",
        &[("aws_bedrock_model_access_enabled", 3)],
    ),
    (
        "aws.initial-access.console-login-without-mfa",
        &[("aws_signin_console_login_without_mfa", 1)],
    ),
    (
        "aws.lateral-movement.ec2-instance-connect",
        &[("aws_ec2_instance_connect_ssh_key_sent", 3)],
    ),
    (
        "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        &[
            ("aws_ec2_serial_console_access_enabled", 1),
            ("aws_ec2_serial_console_ssh_key_sent", 3),
        ],
    ),
    // The trust policy adds arn:aws:iam::193672423079:root to a role of account 751203476945.
    (
        "aws.persistence.iam-backdoor-role",
        &[("aws_iam_role_trusts_other_account", 1)],
    ),
    // christophe creates a key for stratus-red-team-backdoor-u-user.
    (
        "aws.persistence.iam-backdoor-user",
        &[("aws_iam_access_key_created_for_other_user", 1)],
    ),
    (
        "aws.persistence.iam-create-admin-user",
        &[
            ("aws_iam_administrator_policy_attached", 1),
            ("aws_iam_user_created", 1),
            ("aws_iam_access_key_created_for_other_user", 1),
        ],
    ),
    (
        "aws.persistence.iam-create-backdoor-role",
        &[
            ("aws_iam_role_trusts_other_account", 1),
            ("aws_iam_administrator_policy_attached", 1),
        ],
    ),
    (
        "aws.persistence.iam-create-user-login-profile",
        &[("aws_iam_login_profile_created_for_other_user", 1)],
    ),
    // AddPermission20150331v2 with principal "*".
    (
        "aws.persistence.lambda-backdoor-function",
        &[("aws_lambda_public_invoke_permission", 1)],
    ),
    (
        "aws.persistence.lambda-layer-extension",
        &[("aws_lambda_layer_attached", 1)],
    ),
    (
        "aws.persistence.lambda-overwrite-code",
        &[("aws_lambda_code_updated_by_iam_user", 1)],
    ),
    (
        "aws.persistence.rolesanywhere-create-trust-anchor",
        &[("aws_rolesanywhere_trust_anchor_created", 1)],
    ),
    (
        "aws.persistence.sts-federation-token",
        &[("aws_sts_federation_token", 1)],
    ),
    (
        "aws.privilege-escalation.iam-update-user-login-profile",
        &[("aws_iam_login_profile_updated_for_other_user", 1)],
    ),
];

/// Reads one file through the loader with `rules`, as the screen and `trawl hunt` do.
fn load_file(path: &Path, rules: &Arc<RuleSet>) -> Vec<Record> {
    let opts = LoadOptions {
        rules: Some(rules.clone()),
        ..LoadOptions::default()
    };
    let file = std::fs::File::open(path).unwrap();
    let uri: Arc<str> = Arc::from(path.display().to_string());
    let res = load::decode_object(Box::new(file), uri, None, &opts);
    assert!(
        res.complete && res.problems.is_empty(),
        "{path:?}: {:?}",
        res.problems
    );
    res.records
}

/// How many records each rule file (its name without `.yml`) flags.
fn counts(records: &[Record]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in records {
        for h in &r.detections {
            let name = Path::new(&h.file)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            *out.entry(name).or_default() += 1;
        }
    }
    out
}

fn stratus_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(fixture("stratus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_stratus_technique_is_flagged_by_its_rule() {
    let rules = Arc::new(RuleSet::builtin());
    let files = stratus_files();
    assert_eq!(files.len(), 35);
    assert_eq!(STRATUS.len(), 35);
    for (technique, expected) in STRATUS {
        let path = fixture("stratus").join(format!("{technique}.json"));
        let records = load_file(&path, &rules);
        assert!(!records.is_empty(), "{technique}");
        let found = counts(&records);
        for (rule, n) in *expected {
            assert_eq!(
                found.get(*rule),
                Some(n),
                "{technique}: {rule} in {found:?}"
            );
        }
        // The technique's own rules are the ATT&CK-tagged ones: each hit names techniques.
        assert!(records
            .iter()
            .flat_map(|r| &r.detections)
            .all(|h| !h.attack.is_empty()));
    }
}

#[test]
fn sigmahq_rules_all_read_and_run_on_real_events() {
    let mut set = RuleSet::new();
    let report = set.add_path(&fixture("sigma"));
    // All 57 read; none is for another log source, none is refused (the LICENSE is no rule).
    assert_eq!(report.added, 57, "{:?}", report.warnings);
    assert_eq!(report.other_log_sources, 0);
    assert_eq!(report.warnings, vec![]);
    assert_eq!(set.len(), 57);
    // Rules that pin no event name are tried on every event: root usage, assume-role misuse,
    // the IMDS role-session pattern, TruffleHog's user agent.
    assert_eq!(set.unindexed(), 4);

    let set = Arc::new(set);
    let mut by_technique: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in stratus_files() {
        let technique = path.file_stem().unwrap().to_string_lossy().into_owned();
        for (rule, _) in counts(&load_file(&path, &set)) {
            by_technique
                .entry(rule)
                .or_default()
                .insert(technique.clone());
        }
    }
    let flagged = |rule: &str| -> Vec<&str> {
        by_technique
            .get(rule)
            .map(|s| s.iter().map(String::as_str).collect())
            .unwrap_or_default()
    };
    // `errorCode: null` is a field that is missing: the successful deletion has none.
    assert_eq!(
        flagged("aws_cloudtrail_vpc_flow_logs_deleted"),
        ["aws.defense-evasion.vpc-remove-flow-logs"]
    );
    assert_eq!(
        flagged("aws_cloudtrail_ssm_malicious_usage"),
        [
            "aws.credential-access.ec2-steal-instance-credentials",
            "aws.execution.ssm-send-command"
        ]
    );
    assert_eq!(
        flagged("aws_cloudtrail_disable_logging"),
        [
            "aws.defense-evasion.cloudtrail-delete",
            "aws.defense-evasion.cloudtrail-stop"
        ]
    );
    // `contains: '*'` on a list: the layers set.
    assert_eq!(
        flagged("aws_new_lambda_layer_attached"),
        ["aws.persistence.lambda-layer-extension"]
    );
    // MFAUsed 'NO' matches 'No': Sigma compares without case.
    assert_eq!(
        flagged("aws_cloudtrail_console_login_success_without_mfa"),
        ["aws.initial-access.console-login-without-mfa"]
    );
    // `fieldref`: the caller's ARN is not the user name, so every UpdateLoginProfile is flagged.
    assert_eq!(
        flagged("aws_update_login_profile"),
        ["aws.privilege-escalation.iam-update-user-login-profile"]
    );
    // The rule names a literal where it means a field: nothing contains that text.
    assert_eq!(
        flagged("aws_iam_backdoor_users_keys"),
        [
            "aws.persistence.iam-backdoor-user",
            "aws.persistence.iam-create-admin-user"
        ]
    );
    // SigmaHQ's user-data rule wants requestParameters.attribute; Stratus sends userData itself.
    assert_eq!(flagged("aws_ec2_startup_script_change"), Vec::<&str>::new());
    // Every role session matches `sts_assumerole_misuse` (a hunting rule, level low): the seven
    // techniques that act through an assumed role.
    assert_eq!(flagged("aws_sts_assumerole_misuse").len(), 7);
    assert_eq!(
        by_technique.len(),
        10,
        "rules that fired: {:?}",
        by_technique.keys()
    );

    let techniques: BTreeSet<&str> = by_technique
        .iter()
        .filter(|(rule, _)| *rule != "aws_sts_assumerole_misuse")
        .flat_map(|(_, t)| t.iter().map(String::as_str))
        .collect();
    // What SigmaHQ's rules catch of the 35 techniques (the assume-role hunting rule aside).
    assert_eq!(
        techniques.into_iter().collect::<Vec<_>>(),
        [
            "aws.credential-access.ec2-steal-instance-credentials",
            "aws.defense-evasion.cloudtrail-delete",
            "aws.defense-evasion.cloudtrail-stop",
            "aws.defense-evasion.vpc-remove-flow-logs",
            "aws.execution.ssm-send-command",
            "aws.exfiltration.ec2-security-group-open-port-22-ingress",
            "aws.exfiltration.ec2-share-ebs-snapshot",
            "aws.initial-access.console-login-without-mfa",
            "aws.persistence.iam-backdoor-user",
            "aws.persistence.iam-create-admin-user",
            "aws.persistence.lambda-layer-extension",
            "aws.privilege-escalation.iam-update-user-login-profile",
        ]
    );
}

#[test]
fn sigmahq_rules_run_on_the_elastic_samples() {
    let mut set = RuleSet::new();
    set.add_path(&fixture("sigma"));
    let records = load_file(&corpus("elastic-cloudtrail-events.jsonl"), &Arc::new(set));
    assert_eq!(records.len(), 46);
    let found = counts(&records);
    // ConsoleLogin Failure with errorMessage "Failed authentication"; UpdateTrail;
    // StopConfigurationRecorder; ModifySnapshotAttribute.
    for rule in [
        "aws_cloudtrail_console_login_failed_authentication",
        "aws_cloudtrail_disable_logging",
        "aws_config_disable_recording",
        "aws_snapshot_backup_exfiltration",
    ] {
        assert!(found.contains_key(rule), "{rule}: {found:?}");
    }
}

#[test]
fn demo_routine_traffic_raises_nothing_high_and_the_intrusion_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    let lake = trawl::demo::write_demo_lake(dir.path()).unwrap();
    let rules = Arc::new(RuleSet::builtin());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let records: Vec<Record> = rt.block_on(async {
        let mut out = Vec::new();
        for src in &lake.sources {
            let source = trawl::source::LocalStore::open_source(src.to_str().unwrap()).unwrap();
            let walked =
                trawl::walk::walk(std::slice::from_ref(&source), &Default::default(), 16).await;
            let opts = LoadOptions {
                rules: Some(rules.clone()),
                ..LoadOptions::default()
            };
            for r in load::load_all(&walked.objects, &opts).await {
                out.extend(r.records);
            }
        }
        out
    });
    let attacker = trawl::demo::story::ATTACKER_IP;
    let cloudtrail: Vec<&Record> = records
        .iter()
        .filter(|r| r.kind == RecordKind::CloudTrail)
        .collect();
    assert!(cloudtrail.len() > 5000, "{}", cloudtrail.len());
    let (intrusion, routine): (Vec<&Record>, Vec<&Record>) = cloudtrail
        .iter()
        .partition(|r| r.ip.as_deref() == Some(attacker));
    let loud: Vec<String> = routine
        .iter()
        .flat_map(|r| r.detections.iter().map(move |h| (r, h)))
        .filter(|(_, h)| h.level >= Level::High)
        .map(|(r, h)| format!("{} {}: {}", r.event, r.summary, h.rule))
        .collect();
    assert_eq!(
        loud,
        Vec::<String>::new(),
        "routine traffic at high or critical"
    );
    // The intrusion: the stolen instance key asks who it is, makes a user, a key for it, and
    // gives it AdministratorAccess.
    let mut seen: Vec<(String, Level)> = intrusion
        .iter()
        .flat_map(|r| {
            r.detections
                .iter()
                .map(move |h| (format!("{}: {}", r.event, h.rule), h.level))
        })
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen,
        [
            (
                "AttachUserPolicy: AdministratorAccess attached to an IAM user, role or group"
                    .to_string(),
                Level::High
            ),
            (
                "CreateAccessKey: IAM access key created for another user".to_string(),
                Level::Medium
            ),
            ("CreateUser: IAM user created".to_string(), Level::Low),
            (
                "GetCallerIdentity: EC2 instance credentials ask whose they are".to_string(),
                Level::Medium
            ),
        ]
    );
    // GuardDuty findings are detections at their own severity: the two of severity 8 are high.
    let findings_high = records
        .iter()
        .filter(|r| r.kind == RecordKind::GuardDuty)
        .filter(|r| trawl::detect::record_level(r) >= Some(Level::High))
        .count();
    assert!(findings_high >= 2, "{findings_high}");
}

#[test]
fn a_broken_rule_file_is_a_warning_and_the_rest_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let good =
        std::fs::read_to_string(fixture("sigma/aws_cloudtrail_disable_logging.yml")).unwrap();
    std::fs::write(dir.path().join("good.yml"), &good).unwrap();
    std::fs::write(
        dir.path().join("broken.yml"),
        "title: [unclosed\ndetection:\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("unsupported.yaml"),
        good.replace(
            "eventSource: cloudtrail.amazonaws.com",
            "eventSource|base64offset|contains: cloudtrail",
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("windows.yml"),
        good.replace("product: aws", "product: windows"),
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    // A title that would drive the terminal.
    std::fs::write(
        dir.path().join("hostile.yml"),
        good.replace(
            "title: AWS CloudTrail Important Change",
            "title: \"Trail \\e[2Jcleared\"",
        ),
    )
    .unwrap();
    let mut set = RuleSet::new();
    let report = set.add_path(dir.path());
    assert_eq!(report.added, 2);
    assert_eq!(report.other_log_sources, 1);
    let warned: Vec<(String, String)> = report
        .warnings
        .iter()
        .map(|w| {
            (
                Path::new(&w.file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                w.reason.clone(),
            )
        })
        .collect();
    assert_eq!(warned.len(), 2, "{warned:?}");
    assert_eq!(warned[0].0, "broken.yml");
    assert!(warned[0].1.starts_with("not YAML"), "{}", warned[0].1);
    assert_eq!(warned[1].0, "unsupported.yaml");
    assert!(
        warned[1]
            .1
            .contains("modifier 'base64offset' is not supported"),
        "{}",
        warned[1].1
    );

    // The command line says so on stderr and hunts with what it has.
    let r = run(trawl()
        .args(["hunt", "--format", "jsonl", "--rules"])
        .arg(dir.path())
        .arg(fixture("stratus/aws.defense-evasion.cloudtrail-stop.json")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("broken.yml: not YAML"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unsupported.yaml: detection selection_source"),
        "{}",
        r.stderr
    );
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1);
    let files: Vec<&str> = lines[0]["detections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files.contains(&"builtin/aws_cloudtrail_logging_stopped.yml"));
    assert!(files.iter().any(|f| f.ends_with("good.yml")));
    assert!(!r.stdout.contains('\u{1b}') && !r.stderr.contains('\u{1b}'));
    assert!(r.stderr.contains("Trail \\u001b[2Jcleared"), "{}", r.stderr);
}

#[test]
fn hunt_flags_all_35_techniques_end_to_end() {
    let r = run(trawl()
        .args(["hunt", "--format", "jsonl"])
        .arg(fixture("stratus")));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines = json_lines(&r.stdout);
    let objects: BTreeSet<String> = lines
        .iter()
        .map(|l| {
            Path::new(l["object"].as_str().unwrap())
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let techniques: BTreeSet<String> = STRATUS.iter().map(|(t, _)| t.to_string()).collect();
    assert_eq!(objects, techniques, "every technique has a flagged event");
    for l in &lines {
        // The records line, then `detections`.
        let keys: Vec<&String> = l.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "source",
                "time",
                "account",
                "region",
                "object",
                "summary",
                "entities",
                "record",
                "detections"
            ]
        );
        let d = &l["detections"][0];
        let dkeys: Vec<&String> = d.as_object().unwrap().keys().collect();
        assert_eq!(dkeys, ["rule", "id", "level", "attack", "file", "author"]);
        assert!(d["attack"][0].as_str().unwrap().starts_with('T'), "{d}");
    }
    // One summary line per rule on stderr, after the count.
    assert!(
        r.stderr.contains("events flagged by 36 of 40 rules"),
        "{}",
        r.stderr
    );
    let stop = r
        .stderr
        .lines()
        .find(|l| l.contains("CloudTrail logging stopped"))
        .unwrap();
    assert!(stop.starts_with("high "), "{stop}");
    assert!(
        stop.contains("2024-07-31T13:06:24Z") && stop.contains("86.245.153.234"),
        "{stop}"
    );
    assert!(
        stop.contains("arn:aws:iam::143434273843:user/christophe"),
        "{stop}"
    );
}

#[test]
fn hunt_summary_levels_and_formats() {
    let only_high = run(trawl()
        .args([
            "hunt",
            "--summary",
            "--format",
            "jsonl",
            "--min-level",
            "high",
        ])
        .arg(fixture("stratus")));
    assert_eq!(only_high.status, 0, "{}", only_high.stderr);
    let rules = json_lines(&only_high.stdout);
    assert_eq!(rules.len(), 13);
    assert!(rules.iter().all(|s| s["level"] == "high"));
    let pw = run(trawl()
        .args(["hunt", "--summary", "--format", "jsonl"])
        .arg(fixture(
            "stratus/aws.credential-access.ec2-get-password-data.json",
        )));
    let s = &json_lines(&pw.stdout)[0];
    assert_eq!(s["rule"], "EC2 Windows administrator password requested");
    assert_eq!(s["count"], 30);
    assert_eq!(s["first"], "2024-07-30T21:31:16Z");
    assert_eq!(s["last"], "2024-07-30T21:31:21Z");
    assert_eq!(s["ips"], serde_json::json!(["200.249.253.51"]));
    assert_eq!(s["attack"], serde_json::json!(["T1552"]));

    let csv = run(trawl()
        .args(["hunt", "--format", "csv"])
        .arg(fixture("stratus/aws.defense-evasion.cloudtrail-stop.json")));
    let rows: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{}", csv.stdout);
    assert!(rows[0].starts_with("time,level,rules,attack,account"));
    assert!(rows[1].starts_with(
        "2024-07-31T13:06:24Z,high,CloudTrail logging stopped,T1562.008,143434273843,"
    ));

    let table = run(trawl()
        .args(["hunt", "--format", "table"])
        .arg(fixture("stratus/aws.defense-evasion.cloudtrail-stop.json")));
    assert!(table
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .contains("CloudTrail logging stopped"));

    // Without rules there is nothing to hunt with.
    let none = run(trawl()
        .args(["hunt", "--no-builtin-rules"])
        .arg(fixture("stratus")));
    assert_eq!(none.status, 1);
    assert!(
        none.stderr.contains("no detection rules"),
        "{}",
        none.stderr
    );
}

#[test]
fn config_detect_rules_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("[detect]\nrules = [\"{}\"]\n", fixture("sigma").display()),
    )
    .unwrap();
    let r = run(trawl()
        .env("TRAWL_CONFIG", &config)
        .args(["hunt", "--no-builtin-rules", "--format", "jsonl"])
        .arg(fixture(
            "stratus/aws.defense-evasion.vpc-remove-flow-logs.json",
        )));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        lines[0]["detections"][0]["rule"],
        "AWS VPC Flow Logs Deleted"
    );
    // The author of a SigmaHQ rule goes with its matches (Detection Rule License 1.1).
    assert!(r.stderr.contains(", by "), "{}", r.stderr);

    std::fs::write(&config, "[detect]\nrule = []\n").unwrap();
    let bad = run(trawl()
        .env("TRAWL_CONFIG", &config)
        .args(["hunt"])
        .arg(fixture("stratus")));
    assert_eq!(bad.status, 1);
    assert!(
        bad.stderr.contains("unknown field `rule`"),
        "{}",
        bad.stderr
    );
}
