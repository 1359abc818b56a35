//! The story the demo lake tells, checked against what it writes.

use super::story::*;
use crate::demo::cast::{cross_role, web_role};
use crate::demo::ids::BASE32;
use crate::demo::testlake::{lake, s};
use serde_json::Value;
use std::collections::BTreeSet;

#[test]
fn story_constants_are_well_formed() {
    for key in [STOLEN_KEY, BACKDOOR_KEY, CROSS_ACCOUNT_KEY] {
        assert_eq!(key.len(), 20, "{key}");
        assert!(key[4..].bytes().all(|b| BASE32.contains(&b)), "{key}");
    }
    assert!(STOLEN_KEY.starts_with("ASIA") && CROSS_ACCOUNT_KEY.starts_with("ASIA"));
    assert!(BACKDOOR_KEY.starts_with("AKIA"));
    assert_eq!(INSTANCE_ROLE_ARN, web_role().arn());
    assert_eq!(INSTANCE_SESSION_ARN, web_role().session_arn(INSTANCE_ID));
    assert_eq!(
        INSTANCE_PRINCIPAL_ID,
        format!("{INSTANCE_ROLE_ID}:{INSTANCE_ID}")
    );
    assert_eq!(CROSS_ACCOUNT_ROLE_ARN, cross_role().arn());
    assert_eq!(
        CROSS_ACCOUNT_SESSION_ARN,
        cross_role().session_arn(CROSS_ACCOUNT_SESSION)
    );
    assert_eq!(
        BACKDOOR_USER_ARN,
        format!("arn:aws:iam::{PROD_ACCOUNT}:user/{BACKDOOR_USER}")
    );
    assert_eq!(DAYS[1], INTRUSION_DAY);
    assert_eq!(EXFIL_FINDING_ID.len(), 32);
}

#[test]
fn story_counts_match_the_data() {
    let lake = lake();
    let text: Vec<String> = lake.events.iter().map(|(_, e)| e.to_string()).collect();
    let ip = |e: &Value| s(e, &["sourceIPAddress"]).to_string();
    let stolen: Vec<&Value> = lake
        .events
        .iter()
        .zip(&text)
        .filter(|(_, t)| t.contains(STOLEN_KEY))
        .map(|((_, e), _)| e)
        .collect();
    let count = |k: &str| text.iter().filter(|t| t.contains(k)).count();
    let from = |list: &[&Value], addr: &str| list.iter().filter(|e| ip(e) == addr).count();
    let attacker = lake
        .events
        .iter()
        .filter(|(_, e)| ip(e) == ATTACKER_IP)
        .count();
    let finding_lines = lake.findings.len();
    let ids: BTreeSet<&str> = lake.findings.iter().map(|(_, f)| s(f, &["id"])).collect();
    let bad: Vec<&Value> = lake
        .findings
        .iter()
        .filter(|(_, f)| f.to_string().contains(ATTACKER_IP))
        .map(|(_, f)| f)
        .collect();
    let bad_ids: BTreeSet<&str> = bad.iter().map(|f| s(f, &["id"])).collect();
    let summary = format!(
        "events {} stolen {} (attacker {}, instance {}) backdoor {} attacker-ip {} lines {} ids {} attacker lines {} ids {}",
        lake.events.len(),
        stolen.len(),
        from(&stolen, ATTACKER_IP),
        from(&stolen, INSTANCE_PUBLIC_IP),
        count(BACKDOOR_KEY),
        attacker,
        finding_lines,
        ids.len(),
        bad.len(),
        bad_ids.len()
    );
    println!("{summary}");
    assert_eq!(lake.events.len(), CLOUDTRAIL_EVENTS, "{summary}");
    assert_eq!(stolen.len(), STOLEN_KEY_EVENTS, "{summary}");
    assert_eq!(
        from(&stolen, ATTACKER_IP),
        STOLEN_KEY_ATTACKER_EVENTS,
        "{summary}"
    );
    assert_eq!(
        from(&stolen, INSTANCE_PUBLIC_IP),
        STOLEN_KEY_INSTANCE_EVENTS,
        "{summary}"
    );
    assert_eq!(
        stolen.len(),
        STOLEN_KEY_ATTACKER_EVENTS + STOLEN_KEY_INSTANCE_EVENTS + 1,
        "plus the AssumeRole that issued it"
    );
    assert_eq!(count(BACKDOOR_KEY), BACKDOOR_KEY_EVENTS, "{summary}");
    assert_eq!(attacker, ATTACKER_IP_EVENTS, "{summary}");
    assert_eq!(finding_lines, FINDING_LINES, "{summary}");
    assert_eq!(ids.len(), FINDINGS_AFTER_DEDUP, "{summary}");
    assert_eq!(bad.len(), ATTACKER_FINDING_LINES, "{summary}");
    assert_eq!(bad_ids.len(), ATTACKER_FINDINGS_AFTER_DEDUP, "{summary}");
    // Roughly 20 to 60 events an hour per account and region, on average.
    let per_hour = CLOUDTRAIL_EVENTS / CLOUDTRAIL_OBJECTS;
    assert!((20..=60).contains(&per_hour), "{per_hour} an hour");
}
