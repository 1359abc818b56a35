//! The investigator's screen on the demo lake, as a person sees it: rendered into ratatui's
//! TestBackend at 80x24 and 160x48 and compared with the text screens in tests/snapshots/
//! (UPDATE_SNAPSHOTS=1 rewrites them), plus the behaviour behind the keys.

use crate::common;

use common::assert_snapshot;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use trawl::demo::{self, story};
use trawl::source::{self, AwsOptions};
use trawl::tui::app::Focus;
use trawl::tui::Session;

/// One demo lake per test binary: writing it is the slow part.
fn lake() -> &'static Path {
    static LAKE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &LAKE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            demo::write_demo_lake(dir.path()).unwrap();
            let root = dir.path().to_path_buf();
            (dir, root)
        })
        .1
}

async fn open_dirs(dirs: &[PathBuf]) -> Session {
    let specs: Vec<String> = dirs.iter().map(|p| p.display().to_string()).collect();
    let sources = source::open_all(&specs, &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.settle().await;
    s
}

async fn demo_session() -> Session {
    let root = lake();
    open_dirs(&[
        root.join(story::ORG_TRAIL_BUCKET),
        root.join(story::GUARDDUTY_BUCKET),
    ])
    .await
}

/// From the start screen to GuardDuty, account 111122223333, us-east-1, the intrusion day.
async fn walk_to_intrusion_day(s: &mut Session) {
    // Rows: org-trail, 1111, 4444, guardduty-exports, 1111, 4444.
    s.keys(&["j", "j", "j", "j", "l"]);
    s.settle().await;
    // The account holds one kind, guardduty.
    s.keys(&["j", "l"]);
    s.settle().await;
    // Regions: eu-west-1, us-east-1.
    s.keys(&["j", "j", "l"]);
    s.settle().await;
    // Days: 2024-05-01, 2024-05-02 (the tree skips the lone 2024/ and 05/ folders); Enter reads it.
    s.keys(&["j", "j", "enter"]);
    s.settle().await;
}

#[tokio::test]
async fn start_screen_shows_each_source_with_its_accounts() {
    let mut s = demo_session().await;
    let small = s.render(80, 24);
    assert!(small.contains("org-trail"), "{small}");
    assert!(small.contains(story::PROD_ACCOUNT), "{small}");
    assert!(small.contains("Nothing read yet"), "{small}");
    assert_snapshot("start_80x24", &small);
    assert_snapshot("start_160x48", &s.render(160, 48));
}

#[tokio::test]
async fn intrusion_day_lists_the_findings_and_previews_the_first() {
    let mut s = demo_session().await;
    walk_to_intrusion_day(&mut s).await;
    let screen = s.render(160, 48);
    assert!(
        screen.contains("guardduty-exports › 111122223333 › guardduty › us-east-1 › 2024-05-02"),
        "{screen}"
    );
    assert!(screen.contains("InstanceCredentialExfil"), "{screen}");
    assert!(screen.contains(story::ATTACKER_IP), "{screen}");
    assert_snapshot("intrusion_day_160x48", &screen);
    let small = s.render(80, 24);
    assert!(small.contains("2024-05-02"), "{small}");
    assert_snapshot("intrusion_day_80x24", &small);
}

#[tokio::test]
async fn help_is_the_keymap_table() {
    let mut s = demo_session().await;
    s.keys(&["?"]);
    let screen = s.render(80, 24);
    for b in trawl::tui::keymap::DEFAULT.iter().take(8) {
        assert!(
            screen.contains(b.keys[0]),
            "{} missing:\n{screen}",
            b.keys[0]
        );
    }
    assert!(screen.contains("half a page down"), "{screen}");
    assert_snapshot("help_80x24", &screen);
    s.keys(&["esc"]);
    assert!(s.app.overlay.is_none());
}

#[tokio::test]
async fn palette_jumps_to_account_region_and_day() {
    let mut s = demo_session().await;
    s.keys(&[":"]);
    s.type_text("1111 use1 0502");
    s.settle().await;
    let palette = s.render(80, 24);
    assert!(
        palette.contains("111122223333 us-east-1 2024-05-02"),
        "{palette}"
    );
    s.keys(&["enter"]);
    s.settle().await;
    let i = s.app.tree.selected().unwrap();
    let path = s.app.tree.path(i).join("/");
    assert!(
        path.contains("111122223333") && path.contains("us-east-1") && path.ends_with("2024-05-02"),
        "{path}"
    );
    assert!(
        !s.app.records.rows.is_empty(),
        "the day's records are loaded"
    );
    let screen = s.render(160, 48);
    assert!(screen.contains("2024-05-02"), "{screen}");
}

#[tokio::test]
async fn a_long_list_is_filtered_on_enter_not_as_the_filter_is_typed() {
    let mut s = demo_session().await;
    common::read(&mut s, "1111 use1 0502 cloudtrail org").await;
    let day = s.app.records.rows.len();
    // Enough events beside the day's that filtering them on every key would hold keys up.
    let more: Vec<trawl::record::Record> = (0..trawl::tui::app::LIVE_FILTER_ROWS)
        .map(|i| {
            let v = serde_json::json!({"eventVersion": "1.08", "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "eventTime": "2024-05-02T12:00:00Z",
                "eventID": format!("bulk-{i}"), "sourceIPAddress": "192.0.2.1"});
            let origin = trawl::record::Origin {
                object: std::sync::Arc::from("mem://bulk"),
                position: i as u64,
            };
            trawl::record::Record::from_value(v, origin, None).unwrap()
        })
        .collect();
    s.app.records.push(more);
    s.app.records.merge_new();
    let all = s.app.records.rows.len();
    assert_eq!(all, day + trawl::tui::app::LIVE_FILTER_ROWS);
    assert!(!s.app.filters_as_typed());
    s.keys(&["f"]);
    s.type_text("event:CreateUser");
    // Typed, not yet applied: the list stays whole and the prompt says Enter filters.
    assert_eq!(s.app.records.view.len(), all);
    let screen = s.render(80, 24);
    assert!(screen.contains("Enter filters the"), "{screen}");
    s.keys(&["esc"]);
    assert_eq!(s.app.records.view.len(), all);
    assert_eq!(s.app.records.filter_text, "");
    s.keys(&["f"]);
    s.type_text("event:CreateUser");
    s.keys(&["enter"]);
    assert!(!s.app.records.view.is_empty() && s.app.records.view.len() < day);
    for pos in 0..s.app.records.view.len() {
        assert_eq!(&*s.app.records.get(pos).unwrap().event, "CreateUser");
    }
}

#[tokio::test]
async fn filter_by_field_and_severity_then_find() {
    let mut s = demo_session().await;
    common::read(&mut s, "1111 use1 0502 cloudtrail org").await;
    let all = s.app.records.rows.len();
    assert!(all > 100, "{all}");
    s.keys(&["f"]);
    s.type_text("event:CreateUser");
    s.keys(&["enter"]);
    let screen = s.render(160, 48);
    assert!(!s.app.records.view.is_empty());
    for pos in 0..s.app.records.view.len() {
        assert_eq!(&*s.app.records.get(pos).unwrap().event, "CreateUser");
    }
    assert!(screen.contains("f: event:CreateUser"), "{screen}");
    assert!(screen.contains(story::BACKDOOR_USER), "{screen}");
    // Esc in the record pane clears the filter.
    s.keys(&["esc"]);
    assert_eq!(s.app.records.view.len(), all);
    // Find walks the matches with n and N, wrapping around.
    s.keys(&["/"]);
    s.type_text(story::ATTACKER_IP);
    s.keys(&["enter"]);
    let first = s.app.records.cursor;
    assert_eq!(
        s.app.records.selected().unwrap().ip.as_deref(),
        Some(story::ATTACKER_IP)
    );
    s.keys(&["n"]);
    assert!(s.app.records.cursor > first);
    s.keys(&["N"]);
    assert_eq!(s.app.records.cursor, first);
    // Sorting by the next column, then reversing, keeps the cursor on its record.
    let rec = s.app.records.selected_index();
    s.keys(&["s", "S"]);
    assert_eq!(s.app.records.selected_index(), rec);
}

#[tokio::test]
async fn moving_over_days_reads_nothing_until_enter() {
    let mut s = demo_session().await;
    // Open org-trail › 1111 › cloudtrail › us-east-1 so that its three days are rows.
    s.keys(&["j", "l"]);
    s.settle().await;
    s.keys(&["j", "j", "j", "l"]);
    s.settle().await;
    s.keys(&["j", "j", "l"]);
    s.settle().await;
    let before = s.app.loader.started.load(Ordering::Relaxed);
    // Three days passed over: the cursor only measures them, nothing is read.
    s.keys(&["j", "j", "j"]);
    s.settle().await;
    assert_eq!(s.app.loader.started.load(Ordering::Relaxed), before);
    assert!(s.app.load.is_none());
    // Enter reads the day under the cursor, and only it.
    s.keys(&["enter"]);
    s.settle().await;
    assert_eq!(s.app.loader.started.load(Ordering::Relaxed) - before, 1);
    let label = &s.app.load.as_ref().unwrap().label;
    assert!(label.ends_with("2024-05-03"), "{label}");
    assert!(!s.app.records.rows.is_empty());
    assert!(s.app.records.rows.iter().all(|r| r
        .rec
        .time_string()
        .unwrap()
        .starts_with("2024-05-03")));
}

/// The demo with the story's CloudTrail day jumped to from the palette: only until the jump asks
/// for the load, so that it is in flight when the test's next key arrives.
async fn reading_the_story_day() -> Session {
    let mut s = demo_session().await;
    s.keys(&[":"]);
    s.type_text("1111 use1 0502 cloudtrail org");
    s.settle().await;
    s.keys(&["enter"]);
    s.until(|app| app.load.is_some()).await;
    s
}

#[tokio::test]
async fn escape_cancels_a_load_and_keeps_what_was_read() {
    let mut s = reading_the_story_day().await;
    assert!(s.app.load.as_ref().is_some_and(|l| !l.done));
    s.keys(&["esc"]);
    let l = s.app.load.as_ref().unwrap();
    assert!(l.done && l.cancelled);
    s.settle().await;
    let screen = s.render(80, 24);
    assert!(screen.contains("cancelled"), "{screen}");
}

#[tokio::test]
async fn escape_in_the_record_pane_goes_back_to_the_list_and_the_load_goes_on() {
    let mut s = reading_the_story_day().await;
    s.app.focus = Focus::Preview;
    s.keys(&["esc"]);
    assert_eq!(s.app.focus, Focus::Records);
    assert!(!s.app.load.as_ref().unwrap().cancelled);
    // It reads the whole day.
    s.settle().await;
    let l = s.app.load.as_ref().unwrap();
    assert!(l.done && !l.cancelled);
    assert!(!s.app.records.rows.is_empty());
}

#[tokio::test]
async fn failed_objects_are_counted_and_listed_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(
        day.join("111122223333_CloudTrail_us-east-1_20240502T0300Z_AAAAAAAAAAAAAAAA.json.gz"),
        b"\x1f\x8b\x08\x00 this is not gzip",
    )
    .unwrap();
    std::fs::write(
        day.join("111122223333_CloudTrail_us-east-1_20240502T0400Z_BBBBBBBBBBBBBBBB.json"),
        br#"{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"Create\u001b[31mUser","eventTime":"2024-05-02T04:00:00Z","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.66","userIdentity":{"arn":"arn:aws:iam::111122223333:user/x\u202egpj"}}]}"#,
    )
    .unwrap();
    let mut s = open_dirs(&[dir.path().to_path_buf()]).await;
    // `r` on the bucket reads everything under it.
    s.keys(&["r"]);
    s.settle().await;
    let screen = s.render(120, 30);
    assert!(screen.contains("1 failed (!)"), "{screen}");
    // A hostile event name is shown escaped, never as a raw escape sequence.
    assert!(screen.contains("Create\\u001b[31mUser"), "{screen}");
    assert!(screen.contains("x\\u202egpj"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));
    s.keys(&["!"]);
    let failures = s.render(120, 30);
    assert!(failures.contains("AAAAAAAAAAAAAAAA.json.gz"), "{failures}");
    assert!(failures.to_lowercase().contains("gzip"), "{failures}");
}

#[tokio::test]
async fn focus_moves_between_panes_and_the_preview_scrolls() {
    let mut s = demo_session().await;
    walk_to_intrusion_day(&mut s).await;
    // Reading a day puts the eye on its list.
    assert_eq!(s.app.focus, Focus::Records);
    s.keys(&["l"]);
    assert_eq!(s.app.focus, Focus::Preview);
    s.render(80, 24);
    s.keys(&["ctrl-d"]);
    assert!(s.app.preview.cursor > 0);
    // Esc leaves the record, then the list.
    s.keys(&["esc", "esc"]);
    assert_eq!(s.app.focus, Focus::Tree);
    s.keys(&["q"]);
    assert!(s.app.quit);
}

/// A bucket whose folder `AWSLogs/222233334444/` cannot be listed (403), the rest readable.
struct Denied(trawl::source::LocalStore);

#[async_trait::async_trait]
impl trawl::source::Store for Denied {
    fn uri(&self, key: &str) -> String {
        format!("s3://denied/{key}")
    }
    async fn list_level(
        &self,
        prefix: &str,
    ) -> Result<trawl::source::Listing, trawl::source::StoreError> {
        if prefix.contains("222233334444") {
            return Err(trawl::source::StoreError::new(
                self.uri(prefix),
                trawl::source::FailureKind::AccessDenied,
                "s3:ListBucket not granted",
            ));
        }
        self.0.list_level(prefix).await
    }
    async fn list_all(
        &self,
        prefix: &str,
    ) -> Result<Vec<trawl::source::ObjectMeta>, trawl::source::StoreError> {
        self.0.list_all(prefix).await
    }
    async fn head(
        &self,
        key: &str,
    ) -> Result<trawl::source::ObjectMeta, trawl::source::StoreError> {
        self.0.head(key).await
    }
    async fn get(&self, key: &str) -> Result<trawl::source::ByteReader, trawl::source::StoreError> {
        self.0.get(key).await
    }
    async fn get_range(
        &self,
        key: &str,
        start: u64,
        len: u64,
    ) -> Result<bytes::Bytes, trawl::source::StoreError> {
        self.0.get_range(key, start, len).await
    }
}

#[tokio::test]
async fn a_folder_that_cannot_be_listed_shows_its_error_and_the_rest_still_opens() {
    let dir = tempfile::tempdir().unwrap();
    for acct in ["111122223333", "222233334444"] {
        std::fs::create_dir_all(
            dir.path()
                .join(format!("AWSLogs/{acct}/CloudTrail/us-east-1/2024/05/02")),
        )
        .unwrap();
    }
    let source = trawl::source::Source {
        store: std::sync::Arc::new(Denied(trawl::source::LocalStore::new(dir.path()))),
        prefix: String::new(),
        object: None,
        name: "s3://denied".into(),
    };
    let mut s = Session::open(vec![source]);
    s.settle().await;
    // Rows: the bucket, then its two accounts; open the second.
    s.keys(&["j", "j", "l"]);
    s.settle().await;
    let screen = s.render(100, 24);
    assert!(screen.contains("✗ 222233334444"), "{screen}");
    assert!(
        screen.contains("access denied (s3:ListBucket not granted)"),
        "{screen}"
    );
    assert!(screen.contains("1 failed (!)"), "{screen}");
    // The other account still opens, down to its day (the lone year and month are skipped).
    s.keys(&["k", "l"]);
    s.settle().await;
    s.keys(&["j", "l"]);
    s.settle().await;
    s.keys(&["j", "l"]);
    s.settle().await;
    let screen = s.render(100, 24);
    assert!(
        screen.contains("cloudtrail") && screen.contains("2024-05-02"),
        "{screen}"
    );
}

#[tokio::test]
async fn keys_from_the_config_file_replace_the_table_and_show_in_help() {
    let config =
        trawl::config::Config::parse("[keys]\nquit = \"x\"\ndown = [\"j\", \"ctrl-n\"]\n").unwrap();
    let keymap = trawl::tui::keymap::Keymap::new(&config.key_overrides());
    let root = lake();
    let specs = [root.join(story::ORG_TRAIL_BUCKET).display().to_string()];
    let sources = source::open_all(&specs, &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::with(sources, keymap, trawl::tui::theme::Theme::dark());
    s.settle().await;
    s.keys(&["ctrl-n"]);
    assert_eq!(s.app.tree.cursor, 1);
    s.keys(&["?"]);
    let help = s.render(160, 90);
    assert!(help.contains("j ctrl-n"), "{help}");
    assert!(
        help.lines()
            .any(|l| l.contains(" x ") && l.contains("quit")),
        "{help}"
    );
    s.keys(&["esc", "q"]);
    assert!(!s.app.quit);
    s.keys(&["x"]);
    assert!(s.app.quit);
}
