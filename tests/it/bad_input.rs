//! Bad input costs the object (or the line) it is in, never the run: a truncated gzip, an empty
//! object, a line that is not JSON, an object of an unexpected kind, hostile field values.

use crate::common;

use common::*;
use std::path::Path;

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

const CT: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02";

fn event(n: u32, ip: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2024-05-02T03:{n:02}:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"{ip}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}}}"#
    )
}

#[test]
fn every_bad_object_is_named_and_the_rest_still_comes_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Two good objects.
    let good: Vec<String> = (0..3).map(|n| event(n, "198.51.100.10")).collect();
    write(
        d,
        &format!("{CT}/a_good.json.gz"),
        &gzip(format!("{{\"Records\":[{}]}}", good.join(",")).as_bytes()),
    );
    // A truncated gzip: its first events may come out, but it is reported incomplete.
    let many: Vec<String> = (0..50).map(|n| event(n, "192.0.2.1")).collect();
    let gz = gzip(format!("{{\"Records\":[{}]}}", many.join(",")).as_bytes());
    write(
        d,
        &format!("{CT}/b_truncated.json.gz"),
        &gz[..gz.len() - 40],
    );
    // An empty object.
    write(d, &format!("{CT}/c_empty.json.gz"), b"");
    // JSON Lines with one line that is not JSON (line 2).
    write(
        d,
        "loose/d_lines.jsonl",
        format!(
            "{}\n{{oops\n{}\n",
            event(10, "192.0.2.7"),
            event(11, "192.0.2.7")
        )
        .as_bytes(),
    );
    // A digest where events belong.
    write(d, &format!("{CT}/e_digest.json.gz"), &gzip(br#"{"awsAccountId":"111122223333","digestStartTime":"2024-05-02T02:00:00Z","logFiles":[]}"#));
    // Binary noise.
    write(d, "loose/f_noise.bin", &[0u8, 159, 146, 150, 0, 1, 2, 3]);

    let r = run(trawl().args(["records", "--format", "jsonl"]).arg(d));
    assert_eq!(
        r.status, 1,
        "an incomplete object makes the run fail: {}",
        r.stderr
    );
    let recs = json_lines(&r.stdout);
    let from = |name: &str| {
        recs.iter()
            .filter(|v| v["object"].as_str().unwrap().ends_with(name))
            .count()
    };
    assert_eq!(from("a_good.json.gz"), 3);
    assert_eq!(from("d_lines.jsonl"), 2);
    assert!(from("b_truncated.json.gz") < 50);

    let warnings: Vec<&str> = r.stderr.lines().collect();
    let says = |obj: &str, what: &str| {
        assert!(
            warnings.iter().any(|w| w.contains(obj) && w.contains(what)),
            "no warning naming {obj} with '{what}' in:\n{}",
            r.stderr
        )
    };
    says("b_truncated.json.gz", "truncated");
    says("c_empty.json.gz", "empty");
    says("d_lines.jsonl", "line 2: not JSON");
    says("e_digest.json.gz", "a CloudTrail digest, not events");
    says("f_noise.bin", "binary data");
    assert!(r.stderr.lines().last().unwrap().starts_with("trawl: "));
    assert!(!r.stderr.contains("panicked"));
}

#[test]
fn hostile_fields_are_escaped_for_terminals_and_kept_exact_in_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}fdp.exe";
    let ev = serde_json::json!({
        "eventVersion": "1.08", "eventTime": "2024-05-02T03:00:00Z", "eventSource": "iam.amazonaws.com",
        "eventName": format!("CreateUser{evil}"), "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.66",
        "userAgent": evil, "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{evil}")}
    });
    let f = dir.path().join("evil.json");
    std::fs::write(
        &f,
        serde_json::to_vec(&serde_json::json!({"Records": [ev.clone()]})).unwrap(),
    )
    .unwrap();

    for format in ["table", "csv", "jsonl"] {
        let r = run(trawl().args(["records", "--format", format]).arg(&f));
        assert_eq!(r.status, 0, "{}", r.stderr);
        let bad = r
            .stdout
            .chars()
            .filter(|&c| trawl::escape::is_unsafe(c) && c != '\n')
            .count();
        assert_eq!(
            bad, 0,
            "{format} output carries raw control characters: {:?}",
            r.stdout
        );
        if format == "jsonl" {
            let v = &json_lines(&r.stdout)[0];
            assert_eq!(v["record"], ev, "jsonl keeps the original value exactly");
        } else {
            assert!(r.stdout.contains("\\u001b]52;c;"), "{format}: {}", r.stdout);
        }
    }
}

#[test]
fn bad_usage_exits_2_and_a_missing_path_exits_1() {
    let r = run(trawl().args([
        "records",
        "--since",
        "2024-05-02",
        "--kind",
        "nonsense",
        "x",
    ]));
    assert_eq!(r.status, 2);
    let r = run(trawl().args(["records", "/definitely/not/here"]));
    assert_eq!(r.status, 1);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("/definitely/not/here: no such file or directory"),
        "{}",
        r.stderr
    );
    let r = run(trawl().args(["records", "--since", "yesterday", "/tmp"]));
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains("'yesterday' is not a time"),
        "{}",
        r.stderr
    );
}
