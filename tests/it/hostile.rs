//! Hostile input: objects built to crash, exhaust or mislead a reader, and log fields built to
//! drive a terminal. Each costs only its own object (or line) with a warning naming it; the rest
//! loads; nothing panics; table and csv show control characters escaped; jsonl keeps them exactly.

use crate::common;

use common::*;
use std::ops::ControlFlow;
use std::path::Path;

fn write(dir: &Path, rel: &str, bytes: &[u8]) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

const ACCT: &str = "111122223333";
const CT: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02";
const GD: &str = "AWSLogs/111122223333/GuardDuty/us-east-1/2024/05/02";

fn ct_name(n: u32) -> String {
    format!("{CT}/{ACCT}_CloudTrail_us-east-1_20240502T03{n:02}Z_0123456789abcd{n:02}.json.gz")
}

fn event(n: u32, ip: &str) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2024-05-02T03:{n:02}:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"{ip}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}}}"#
    )
}

fn envelope(events: &[String]) -> Vec<u8> {
    format!("{{\"Records\":[{}]}}", events.join(",")).into_bytes()
}

/// `depth` nested objects around a number, on one line.
fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// Runs trawl and checks what every hostile run must hold: no panic, no signal, no raw control
/// character on either stream.
fn trawl_records(args: &[&str], src: &Path) -> Run {
    let r = run(trawl().arg("records").args(args).arg(src));
    assert!(
        r.status == 0 || r.status == 1,
        "trawl died (status {}): {}",
        r.status,
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    assert!(!r.stderr.contains("overflow"), "{}", r.stderr);
    for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
        let raw: Vec<char> = text
            .chars()
            .filter(|&c| trawl::escape::is_unsafe(c) && c != '\n')
            .collect();
        assert!(raw.is_empty(), "raw control characters on {name}: {raw:?}");
    }
    r
}

fn assert_warns(r: &Run, object: &str, what: &str) {
    assert!(
        r.stderr
            .lines()
            .any(|w| w.starts_with("trawl: warning: ") && w.contains(object) && w.contains(what)),
        "no warning naming {object} with '{what}' in:\n{}",
        r.stderr
    );
}

fn count_from(r: &Run, object: &str) -> usize {
    json_lines(&r.stdout)
        .iter()
        .filter(|v| v["object"].as_str().unwrap_or_default().ends_with(object))
        .count()
}

#[test]
fn corrupt_compressed_and_misnamed_objects_cost_only_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good: Vec<String> = (0..3).map(|n| event(n, "198.51.100.10")).collect();
    write(d, &ct_name(1), &gzip(&envelope(&good)));

    // Corrupt gzip: the deflate stream is damaged in its middle.
    let many: Vec<String> = (0..400).map(|n| event(n % 60, "192.0.2.1")).collect();
    let mut gz = gzip(&envelope(&many));
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 64] {
        *b ^= 0x5a;
    }
    write(d, &ct_name(2), &gz);
    // A checksum that does not match: every byte decompresses, yet the object is not what was written.
    let mut gz = gzip(&envelope(&good));
    let n = gz.len();
    gz[n - 8] ^= 0xff;
    write(d, &ct_name(3), &gz);
    // Truncated inside the gzip header itself.
    write(d, &ct_name(4), &gzip(&envelope(&good))[..5]);
    // A digest where the name promises events.
    write(
        d,
        &ct_name(5),
        &gzip(br#"{"awsAccountId":"111122223333","digestStartTime":"2024-05-02T02:00:00Z","digestEndTime":"2024-05-02T03:00:00Z","logFiles":[]}"#),
    );
    // Parquet where a GuardDuty export's gzip JSON Lines belong.
    let parquet = std::fs::read(corpus("malware_infection_detected_sample.parquet")).unwrap();
    write(
        d,
        &format!("{GD}/5a1f0c3e-9d2b-3f4a-8e6c-7b0d1e2f3a4b.jsonl.gz"),
        &parquet,
    );
    // Random bytes behind a Parquet magic number, named like Security Lake.
    let mut fake = b"PAR1".to_vec();
    fake.extend((0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    fake.extend_from_slice(b"\x10\x00\x00\x00PAR1");
    write(
        d,
        "aws/CLOUD_TRAIL_MGMT/1.0/region=us-east-1/accountId=111122223333/eventDay=20240502/f00d.gz.parquet",
        &fake,
    );
    // Forged column offsets (found by the Parquet fuzzer): the parquet crate asserts on them.
    let crash = std::fs::read_dir(fixture("fuzz-regressions/decode_parquet"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("crash-")
        })
        .unwrap();
    write(
        d,
        "aws/SH_FINDINGS/1.0/region=us-east-1/accountId=111122223333/eventDay=20240502/forged.gz.parquet",
        &std::fs::read(crash).unwrap(),
    );

    let r = trawl_records(&["--format", "jsonl"], d);
    assert_eq!(r.status, 1, "incomplete objects fail the run: {}", r.stderr);
    assert_warns(&r, "forged.gz.parquet", "claims bytes -");
    assert_eq!(count_from(&r, &ct_name(1)), 3, "{}", r.stderr);
    // Damaged deflate data may still inflate, to garbage: the JSON parser is what notices.
    assert!(
        r.stderr
            .lines()
            .any(|w| w.contains(&ct_name(2)) && (w.contains("corrupt") || w.contains("not JSON"))),
        "{}",
        r.stderr
    );
    assert_warns(&r, &ct_name(2), "incomplete: only the");
    assert_warns(&r, &ct_name(3), "corrupt gzip");
    assert_warns(&r, &ct_name(4), "truncated");
    assert_warns(&r, &ct_name(5), "a CloudTrail digest, not events");
    assert_warns(
        &r,
        "5a1f0c3e-9d2b-3f4a-8e6c-7b0d1e2f3a4b.jsonl.gz",
        "Parquet",
    );
    assert_warns(&r, "f00d.gz.parquet", "not a readable Parquet file");
    // The misnamed Parquet is still read by its content: its OCSF finding is there.
    assert!(count_from(&r, "5a1f0c3e-9d2b-3f4a-8e6c-7b0d1e2f3a4b.jsonl.gz") > 0);
    assert!(r
        .stderr
        .lines()
        .last()
        .unwrap()
        .contains("could not be read completely"));
}

#[test]
fn a_gzip_bomb_is_refused_past_the_configured_size() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 512 gzip members of 1 MiB of spaces each: 512 MiB from half a megabyte. Whitespace keeps
    // the decoder reading, as a real bomb would, until the limit stops it.
    let member = gzip(&vec![b' '; 1 << 20]);
    let bomb: Vec<u8> = member.repeat(512);
    assert!(bomb.len() < 1 << 20);
    write(d, &ct_name(6), &bomb);
    write(d, &ct_name(7), &gzip(&envelope(&[event(7, "192.0.2.7")])));

    let r = trawl_records(&["--format", "jsonl", "--max-object-bytes", "8000000"], d);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_warns(&r, &ct_name(6), "refused: expands past 8000000 bytes");
    assert_warns(&r, &ct_name(6), "--max-object-bytes");
    assert_eq!(count_from(&r, &ct_name(7)), 1);
}

#[test]
fn a_100_mb_line_is_skipped_with_a_message_and_the_next_line_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Generated here, never committed: one 100 MB JSON line between two ordinary events.
    let mut text = Vec::with_capacity(101 << 20);
    text.extend_from_slice(event(1, "192.0.2.1").as_bytes());
    text.extend_from_slice(b"\n{\"eventVersion\":\"1.08\",\"pad\":\"");
    text.resize(text.len() + 100_000_000, b'x');
    text.extend_from_slice(b"\"}\n");
    text.extend_from_slice(event(3, "192.0.2.3").as_bytes());
    text.push(b'\n');
    write(d, "loose/huge-line.jsonl", &text);
    drop(text);

    let r = trawl_records(&["--format", "jsonl"], d);
    assert_warns(
        &r,
        "huge-line.jsonl",
        "line 2: skipped: line of 100000033 bytes is longer than the 67108864 byte limit",
    );
    assert_eq!(count_from(&r, "huge-line.jsonl"), 2);
    // A skipped line costs that line, not the object: nothing was cut short.
    assert_eq!(r.status, 0, "{}", r.stderr);

    // The limit is the user's to set.
    let r = trawl_records(&["--format", "jsonl", "--max-record-bytes", "200000000"], d);
    assert!(!r.stderr.contains("skipped"), "{}", r.stderr);
}

#[test]
fn invalid_utf8_and_deep_nesting_cost_one_line_and_never_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut lines = Vec::new();
    lines.extend_from_slice(event(1, "192.0.2.1").as_bytes());
    lines.extend_from_slice(b"\n{\"eventVersion\":\"1.08\",\"eventName\":\"Get\xff\xfeObject\"}\n");
    lines.extend_from_slice(nested(10_000).as_bytes());
    lines.push(b'\n');
    lines.extend_from_slice(event(4, "192.0.2.4").as_bytes());
    lines.push(b'\n');
    write(d, "loose/lines.jsonl", &lines);
    // 10 000 levels inside a streamed envelope: the decoder's own recursion must stop too.
    write(
        d,
        &ct_name(8),
        &gzip(
            format!(
                "{{\"Records\":[{},{}{}]}}",
                event(8, "192.0.2.8"),
                "[".repeat(10_000),
                "]".repeat(10_000)
            )
            .as_bytes(),
        ),
    );
    // ... and as one pretty-printed document.
    write(
        d,
        "loose/deep.json",
        format!("{{\n\"a\": {}\n}}\n", nested(10_000)).as_bytes(),
    );

    let r = trawl_records(&["--format", "jsonl"], d);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_warns(&r, "lines.jsonl", "line 2: not valid UTF-8");
    assert_warns(&r, "lines.jsonl", "line 3: skipped: nested deeper than");
    assert_eq!(count_from(&r, "lines.jsonl"), 2);
    assert_warns(&r, &ct_name(8), "nested deeper than");
    assert_eq!(count_from(&r, &ct_name(8)), 1, "the event before it loads");
    assert_warns(&r, "deep.json", "nested deeper than");
}

#[test]
fn the_decoder_itself_survives_deep_nesting_on_a_small_stack() {
    // A thread with a 1 MiB stack: a recursive reader without a depth limit would overflow it.
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let text = format!("{}\n{}\n", nested(100_000), "[".repeat(100_000));
            let mut problems = Vec::new();
            let _ = trawl::decode::decode_json(
                text.as_bytes(),
                trawl::decode::Limits::default(),
                &mut |item| {
                    if let trawl::decode::Item::Problem(p) = item {
                        problems.push(p.to_string());
                    }
                    ControlFlow::Continue(())
                },
            );
            problems
        })
        .unwrap();
    let problems = handle.join().expect("no stack overflow, no panic");
    assert!(
        problems.iter().all(|p| p.contains("nested deeper than")),
        "{problems:?}"
    );
}

#[test]
fn control_sequences_in_keys_values_and_names_are_escaped_and_jsonl_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ansi = "\u{1b}[2J\u{1b}[31m";
    let osc = "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}]8;;http://evil.example/\u{1b}\\";
    let c1 = "\u{9b}31m\u{9d}0;title\u{9c}\u{85}";
    let bidi = "\u{202e}fdp.exe\u{2066}\u{2069}\u{200f}\u{2028}";
    let evil = format!("{ansi}{osc}{c1}{bidi}\u{7f}");
    let ev = serde_json::json!({
        "eventVersion": "1.08", "eventTime": "2024-05-02T03:00:00Z", "eventSource": "iam.amazonaws.com",
        "eventName": format!("CreateUser{evil}"), "awsRegion": format!("us-east-1{c1}"),
        "sourceIPAddress": format!("203.0.113.66{bidi}"), "userAgent": &evil,
        format!("key{ansi}{osc}"): format!("value{c1}"),
        "requestParameters": { format!("{bidi}nested{c1}"): [&evil, {format!("{osc}"): &evil}] },
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::111122223333:user/{evil}")}
    });
    // The object's own name is attacker-chosen too (anyone who can write the bucket names keys).
    let name = format!("loose/evil{ansi}{bidi}.json");
    write(
        d,
        &name,
        &serde_json::to_vec(&serde_json::json!({"Records": [ev.clone()]})).unwrap(),
    );
    // Not a record, with hostile keys: the warning lists keys, and must escape them.
    let junk = serde_json::json!({ format!("{osc}x"): 1, format!("{c1}y"): 2 });
    write(d, "loose/junk.json", junk.to_string().as_bytes());

    for format in ["table", "csv", "jsonl"] {
        let r = trawl_records(&["--format", format], d);
        assert_warns(&r, "junk.json", "\\u001b]52;c;");
        assert_warns(&r, "junk.json", "\\u009b");
        if format == "jsonl" {
            let v = json_lines(&r.stdout)
                .into_iter()
                .find(|v| v["record"]["eventVersion"] == "1.08")
                .expect("the hostile event is a record");
            assert_eq!(v["record"], ev, "jsonl keeps every key and value exactly");
            assert_eq!(
                v["object"].as_str().unwrap(),
                d.join(&name).to_str().unwrap()
            );
        } else {
            for shown in ["\\u001b[2J", "\\u009b31m", "\\u202efdp.exe", "\\u007f"] {
                assert!(
                    r.stdout.contains(shown),
                    "{format} lacks {shown}: {}",
                    r.stdout
                );
            }
        }
    }
}
