//! The record pane as a JSON viewer, on real corpus records: folding, moving by structure,
//! searching inside the record, copying through OSC 52, and hostile strings shown escaped.

use std::path::{Path, PathBuf};

use trawl::source::{self, AwsOptions};
use trawl::tui::app::Focus;
use trawl::tui::Session;

fn corpus(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/corpus")
        .join(name)
}

/// Opens one object, reads it and puts the focus on the first record's JSON.
async fn open_record(path: &Path) -> Session {
    let sources = source::open_all(&[path.display().to_string()], &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.settle().await;
    s.keys(&["r"]);
    s.settle().await;
    assert!(
        !s.app.records.rows.is_empty(),
        "no records in {}",
        path.display()
    );
    s.keys(&["tab"]);
    s.render(120, 40);
    assert_eq!(s.app.focus, Focus::Preview);
    s
}

fn snapshot(name: &str, screen: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    match std::fs::read_to_string(&path) {
        Ok(expected) if std::env::var_os("UPDATE_SNAPSHOTS").is_none() => {
            assert!(
                expected == screen,
                "screen {name} differs\n--- expected\n{expected}\n--- got\n{screen}"
            )
        }
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("missing snapshot {}", path.display())
        }
        _ => std::fs::write(&path, screen).unwrap(),
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | (val(c) as u32) << (18 - 6 * i));
        for k in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    out
}

/// What the last copy put on the clipboard, read back from its OSC 52 sequence.
fn clipboard(s: &mut Session) -> String {
    let seq = s.app.out.pop().expect("an OSC 52 sequence");
    let b64 = seq
        .strip_prefix("\u{1b}]52;c;")
        .and_then(|r| r.strip_suffix('\u{7}'))
        .unwrap_or_else(|| panic!("not OSC 52: {seq:?}"));
    String::from_utf8(base64_decode(b64)).unwrap()
}

#[tokio::test]
async fn folding_to_depth_shows_what_collapsed_nodes_hold() {
    let mut s = open_record(&corpus("test-guardduty.log")).await;
    s.keys(&["1"]);
    let screen = s.render(120, 40);
    assert!(screen.contains("\"resource\": {…"), "{screen}");
    assert!(screen.contains("\"service\": {…"), "{screen}");
    assert!(screen.contains("keys: "), "{screen}");
    snapshot("json_fold1_120x40", &screen);
    // Space opens the node under the cursor; l steps into it, J and K walk its siblings, H goes up.
    s.keys(&["j"]);
    let first = s.app.preview.doc.path_dot(s.app.preview.cursor);
    s.keys(&["J"]);
    assert_ne!(s.app.preview.doc.path_dot(s.app.preview.cursor), first);
    s.keys(&["K"]);
    assert_eq!(s.app.preview.doc.path_dot(s.app.preview.cursor), first);
    // The first container among the top-level members.
    s.keys(&["g", "j"]);
    while !s.app.preview.doc.rows[s.app.preview.cursor as usize].is_open() {
        s.keys(&["J"]);
    }
    let node = s.app.preview.cursor;
    assert!(s.app.preview.doc.is_collapsed(node));
    s.keys(&["space", "l"]);
    assert_eq!(
        s.app.preview.cursor,
        node + 1,
        "stepped into the opened node"
    );
    s.keys(&["H"]);
    assert_eq!(s.app.preview.cursor, node);
    // E opens everything from here; C closes it again.
    s.keys(&["g", "E"]);
    assert!(!s.app.preview.doc.collapsed.iter().any(|&c| c));
    s.keys(&["j", "C"]);
    assert!(
        s.app.preview.doc.is_collapsed(s.app.preview.cursor)
            || !s.app.preview.doc.rows[s.app.preview.cursor as usize].is_open()
    );
}

#[tokio::test]
async fn search_opens_collapsed_nodes_and_the_path_is_copied_in_both_forms() {
    let mut s = open_record(&corpus("test-guardduty.log")).await;
    // A finding with a remote IP: found from the record list, then back in the record.
    s.keys(&["backtab", "/"]);
    s.type_text("175.16.199.1");
    s.keys(&["enter", "tab"]);
    s.keys(&["1", "/"]);
    s.type_text("ipaddressv4");
    s.keys(&["enter"]);
    let path = s.app.preview.doc.path_dot(s.app.preview.cursor);
    assert!(
        path.starts_with("service.action.") && path.ends_with(".ipAddressV4"),
        "{path}"
    );
    let screen = s.render(120, 40);
    assert!(screen.contains(&path), "the path is shown:\n{screen}");
    assert!(screen.contains("\"ipAddressV4\": "), "{screen}");
    s.keys(&["y", "p"]);
    assert_eq!(clipboard(&mut s), path);
    s.keys(&["y", "q"]);
    assert_eq!(clipboard(&mut s), format!(".{path}"));
    s.keys(&["y", "y"]);
    let ip = clipboard(&mut s);
    assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{ip}");
    s.keys(&["y", "r"]);
    let record: serde_json::Value = serde_json::from_str(&clipboard(&mut s)).unwrap();
    assert_eq!(record, s.app.records.selected().unwrap().value());
    // n goes on to the next match (wrapping), N back.
    let at = s.app.preview.cursor;
    s.keys(&["n", "N"]);
    assert_eq!(s.app.preview.cursor, at);
    // z shows the record alone on the screen.
    s.keys(&["z"]);
    let zoomed = s.render(80, 24);
    assert!(!zoomed.contains("partitions"), "{zoomed}");
    snapshot("json_zoom_search_80x24", &zoomed);
}

#[tokio::test]
async fn hostile_keys_and_values_are_shown_and_copied_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.json");
    std::fs::write(
        &file,
        r#"{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2024-05-02T03:00:00Z","requestParameters":{"userName\u001b]52;c;AAAA\u0007":"evil\u009b2J\u202egpj.exe\u007f"}}"#,
    )
    .unwrap();
    let mut s = open_record(&file).await;
    let screen = s.render(120, 30);
    assert!(
        screen.contains("userName\\u001b]52;c;AAAA\\u0007"),
        "{screen}"
    );
    assert!(
        screen.contains("evil\\u009b2J\\u202egpj.exe\\u007f"),
        "{screen}"
    );
    for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}', '\u{7f}'] {
        assert!(!screen.contains(c), "raw {c:?} on screen");
    }
    s.keys(&["/"]);
    s.type_text("evil");
    s.keys(&["enter", "y", "y"]);
    let copied = clipboard(&mut s);
    assert_eq!(copied, "evil\\u009b2J\\u202egpj.exe\\u007f");
}

#[tokio::test]
async fn a_string_holding_json_opens_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("embedded.json");
    std::fs::write(
        &file,
        r#"{"eventVersion":"1.08","eventSource":"lambda.amazonaws.com","eventName":"Invoke","eventTime":"2024-05-02T03:00:00Z","sourceIPAddress":"203.0.113.66","responseElements":{"data":"{\"caller\":{\"ip\":\"203.0.113.66\"},\"ports\":[22,80]}","status":200}}"#,
    )
    .unwrap();
    let mut s = open_record(&file).await;
    s.keys(&["/"]);
    s.type_text("^data$");
    s.keys(&["enter", "l"]);
    let screen = s.render(100, 30);
    assert!(screen.contains("\"data\": {"), "{screen}");
    assert!(screen.contains("\"ip\": \"203.0.113.66\""), "{screen}");
    s.keys(&["/"]);
    s.type_text("^ip$");
    s.keys(&["enter"]);
    assert_eq!(
        s.app.preview.doc.path_dot(s.app.preview.cursor),
        "responseElements.data.caller.ip",
        "{:?} {:?}",
        s.app.message,
        s.app.preview.matches
    );
    // The status after the opened string is still its sibling.
    s.keys(&["H", "H", "J"]);
    assert_eq!(
        s.app.preview.doc.path_dot(s.app.preview.cursor),
        "responseElements.status"
    );
}

#[tokio::test]
async fn a_copy_too_big_for_osc52_goes_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.json");
    let big = "A".repeat(100_000);
    std::fs::write(
        &file,
        format!(r#"{{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventTime":"2024-05-02T03:00:00Z","requestParameters":{{"blob":"{big}"}}}}"#),
    )
    .unwrap();
    let mut s = open_record(&file).await;
    s.keys(&["y", "r"]);
    assert!(s.app.out.is_empty(), "no OSC 52 past the limit");
    let msg = s.app.message.clone().unwrap();
    let path = msg.rsplit("written to ").next().unwrap();
    let copied = std::fs::read_to_string(path).unwrap();
    assert!(copied.contains(&big), "{msg}");
    let _ = std::fs::remove_file(path);
}
