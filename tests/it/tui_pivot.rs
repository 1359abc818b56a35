//! The pivot on screen, on the demo lake: `p` on the exfiltration finding lists its entities with
//! how many loaded records share each, choosing the attacker's IP shows every loaded record naming
//! it (counted per kind), a second pivot on the stolen key shows its identity chain, `[`/`]` walk
//! the history and Esc returns to the list.

use crate::common;

use common::assert_snapshot;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use trawl::demo::{self, story};
use trawl::entity::{self, Entity, EntityKind};
use trawl::record::RecordKind;
use trawl::source::{self, AwsOptions};
use trawl::tui::app::{Focus, Overlay};
use trawl::tui::Session;

/// One demo lake per test binary, under a fixed folder name so the screen does not show a random
/// temporary path.
fn lake() -> &'static Path {
    static LAKE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &LAKE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("demo-lake");
            demo::write_demo_lake(&root).unwrap();
            (dir, root)
        })
        .1
}

/// The whole lake as one source, every record of its three sources read (`r` on the root).
async fn everything_loaded() -> Session {
    let specs = [lake().display().to_string()];
    let sources = source::open_all(&specs, &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.settle().await;
    s.keys(&["r"]);
    s.settle().await;
    s
}

/// Moves the chooser's cursor to `target` with `j`.
fn choose(s: &mut Session, target: &Entity) {
    let Some(Overlay::Chooser(c)) = &s.app.overlay else {
        panic!("the chooser is not open");
    };
    let at = c
        .items
        .iter()
        .position(|(e, _)| e == target)
        .unwrap_or_else(|| panic!("{target:?} not offered: {:?}", c.items));
    for _ in 0..at {
        s.keys(&["j"]);
    }
    s.keys(&["enter"]);
}

/// The demo's three sources, as `trawl demo` opens them, on the newest findings.
async fn at_the_alerts() -> Session {
    let specs: Vec<String> = ["org-trail", "guardduty-exports", "security-lake"]
        .iter()
        .map(|d| lake().join(d).display().to_string())
        .collect();
    let sources = source::open_all(&specs, &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.app.open_at_alerts();
    s.settle().await;
    s
}

/// Records of the whole lake that name `target` inside `window`, per kind: read with `r` on the
/// lake's root, apart from the pivot's scan.
async fn lake_counts(
    target: &Entity,
    window: (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>),
) -> (usize, usize, usize) {
    let all = everything_loaded().await;
    let mut c = (0, 0, 0);
    for row in &all.app.records.rows {
        let r = &row.rec;
        let inside = r.time.is_some_and(|t| window.0 <= t && t <= window.1);
        if inside && r.entities.iter().any(|e| entity::matches(target, e)) {
            match r.kind {
                RecordKind::GuardDuty => c.0 += 1,
                RecordKind::CloudTrail => c.1 += 1,
                RecordKind::Ocsf => c.2 += 1,
            }
        }
    }
    c
}

/// The story on call follows, key by key, from the first screen: the most severe finding is on
/// top; `p` `enter` pivots on the attacker's IP and scans every source around it, so findings,
/// CloudTrail events and VPC flows share one timeline; `p` `j` `enter` pivots on the stolen key,
/// whose chain names the role it was issued to; `f` finds the user it created. Eight keys (the
/// filter typed counts as one), then `[`, `]` and Esc walk back.
#[tokio::test]
async fn from_the_alert_to_what_the_stolen_key_did_in_eight_keys() {
    let mut s = at_the_alerts().await;
    let top = s
        .app
        .records
        .get(s.app.records.cursor)
        .expect("findings are listed");
    assert_eq!(
        &*top.event,
        story::EXFIL_FINDING_TYPE,
        "the most severe first"
    );
    assert_eq!(s.app.focus, Focus::Records);
    let list_cursor = s.app.records.cursor;
    assert_snapshot("alerts_80x24", &s.render(80, 24));

    // 1-2: p, then Enter on the IP (the chooser's first entity).
    s.keys(&["p"]);
    let chooser = s.render(80, 24);
    assert!(chooser.contains("pivot on"), "{chooser}");
    let Some(Overlay::Chooser(c)) = &s.app.overlay else {
        panic!("{chooser}");
    };
    let ip = Entity::new(EntityKind::Ip, story::ATTACKER_IP);
    assert_eq!(c.items[0].0, ip, "{chooser}");
    s.keys(&["enter"]);
    s.settle().await;
    let frame = s.app.pivots.current().unwrap();
    let window = frame.window.expect("centred on the finding");
    let (gd, ct, ocsf) = frame.counts();
    assert!(gd > 0 && ct > 0 && ocsf > 0, "{gd} {ct} {ocsf}");
    assert_eq!((gd, ct, ocsf), lake_counts(&ip, window).await);
    // Every row of the timeline names the IP, in time order; the cursor is on the finding.
    let rows: Vec<_> = frame
        .rows
        .iter()
        .map(|&i| &frame.records[i as usize])
        .collect();
    assert!(rows
        .iter()
        .all(|r| r.entities.iter().any(|e| entity::matches(&ip, e))));
    assert!(rows.windows(2).all(|w| w[0].time <= w[1].time));
    assert_eq!(
        &*frame.selected().unwrap().event,
        story::EXFIL_FINDING_TYPE,
        "the cursor stays on the record pivoted from"
    );
    let screen = s.render(160, 48);
    for want in [
        format!("GuardDuty {gd}"),
        format!("CloudTrail {ct}"),
        format!("OCSF {ocsf}"),
        format!("pivot: {}", story::ATTACKER_IP),
    ] {
        assert!(screen.contains(&want), "{want} missing:\n{screen}");
    }
    assert!(screen.contains('█'), "a histogram:\n{screen}");
    assert_snapshot("pivot_ip_160x48", &screen);
    let small = s.render(80, 24);
    assert!(small.contains(&format!("CloudTrail {ct}")), "{small}");
    assert_snapshot("pivot_ip_80x24", &small);

    // 3-5: p on the same finding, j to the stolen key, Enter.
    s.keys(&["p"]);
    let key = Entity::new(EntityKind::Key, story::STOLEN_KEY);
    let Some(Overlay::Chooser(c)) = &s.app.overlay else {
        panic!("the chooser is not open");
    };
    assert_eq!(c.items[1].0, key);
    // Inside the pivot, the counts are over the pivot: every record of it names the IP.
    assert_eq!(c.items[0].1, s.app.pivots.current().unwrap().records.len());
    s.keys(&["j", "enter"]);
    s.settle().await;
    let frame = s.app.pivots.current().unwrap();
    assert_eq!(frame.target, key);
    assert_eq!(frame.counts(), lake_counts(&key, window).await);
    let small = s.render(80, 24);
    assert!(
        small.contains(&format!("{} issued by AssumeRole", story::STOLEN_KEY)),
        "the identity chain:\n{small}"
    );
    assert!(
        small.contains(&format!(
            "pivot: {} › {}",
            story::ATTACKER_IP,
            story::STOLEN_KEY
        )),
        "{small}"
    );

    // 6-8: f, the query, Enter: what the key created.
    s.keys(&["f"]);
    s.type_text("event:CreateUser");
    s.keys(&["enter"]);
    let small = s.render(80, 24);
    assert!(small.contains("CreateUser"), "{small}");
    assert!(
        small.contains(&format!("user/{}", story::BACKDOOR_USER)),
        "{small}"
    );
    assert_snapshot("pivot_key_created_80x24", &small);

    // `[` back to the IP, `]` forward to the key, Esc to the list, where it was.
    s.keys(&["["]);
    assert_eq!(s.app.pivots.current().unwrap().target, ip);
    s.keys(&["]"]);
    assert_eq!(s.app.pivots.current().unwrap().target, key);
    s.keys(&["esc", "esc"]);
    assert!(!s.app.pivots.active, "Esc clears the filter, then leaves");
    let screen = s.render(160, 48);
    assert!(!screen.contains("pivot:"), "{screen}");
    assert_eq!(s.app.records.cursor, list_cursor, "the list kept its place");
}

#[tokio::test]
async fn help_lists_the_pivot_keys_and_the_chooser_closes_with_esc() {
    let mut s = everything_loaded().await;
    s.app.focus = Focus::Records;
    s.keys(&["?"]);
    let help = s.render(120, 60);
    assert!(help.contains("Pivot"), "{help}");
    assert!(
        help.lines()
            .any(|l| l.contains(" p ") && l.contains("pivot")),
        "{help}"
    );
    assert!(
        help.lines()
            .any(|l| l.contains(" [ ") && l.contains("previous pivot")),
        "{help}"
    );
    s.keys(&["q"]);
    s.keys(&["p"]);
    assert!(matches!(s.app.overlay, Some(Overlay::Chooser(_))));
    s.keys(&["esc"]);
    assert!(s.app.overlay.is_none());
    assert!(!s.app.pivots.active);
    // No pivot yet: `[` says so instead of doing something.
    s.keys(&["["]);
    assert!(s.app.message.as_deref().unwrap_or("").contains("no pivot"));
}

#[tokio::test]
async fn hostile_entity_values_are_escaped_in_the_chooser_the_view_and_the_breadcrumb() {
    let dir = tempfile::tempdir().unwrap();
    let day = dir
        .path()
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(
        day.join("111122223333_CloudTrail_us-east-1_20240502T0400Z_BBBBBBBBBBBBBBBB.json"),
        br#"{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventTime":"2024-05-02T04:00:00Z","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.66","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x\u001b[31m\u202egpj"}}]}"#,
    )
    .unwrap();
    let sources = source::open_all(&[dir.path().display().to_string()], &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.settle().await;
    s.keys(&["r"]);
    s.settle().await;
    s.keys(&["p"]);
    let chooser = s.render(120, 30);
    assert!(chooser.contains("x\\u001b[31m\\u202egpj"), "{chooser}");
    let hostile = {
        let Some(Overlay::Chooser(c)) = &s.app.overlay else {
            panic!("{chooser}");
        };
        c.items
            .iter()
            .find(|(e, _)| e.kind == EntityKind::Principal)
            .expect("the user ARN is an entity")
            .0
            .clone()
    };
    choose(&mut s, &hostile);
    let screen = s.render(120, 30);
    assert!(s.app.pivots.active);
    assert!(screen.contains("pivot: arn:aws:iam::"), "{screen}");
    assert!(screen.contains("\\u202egpj"), "{screen}");
    for raw in [chooser, screen] {
        assert!(!raw.contains('\u{1b}') && !raw.contains('\u{202e}'));
    }
}

/// Loads everything and opens the pivot on the attacker's IP from the exfiltration finding.
async fn pivot_on_the_attacker() -> (Session, Entity) {
    let mut s = everything_loaded().await;
    let recs = &s.app.records;
    let pos = (0..recs.view.len())
        .find(|&p| recs.get(p).unwrap().event.as_ref() == story::EXFIL_FINDING_TYPE)
        .expect("the exfiltration finding is loaded");
    s.app.records.cursor = pos;
    s.app.records.moved = true;
    s.app.focus = Focus::Records;
    s.keys(&["p"]);
    let ip = Entity::new(EntityKind::Ip, story::ATTACKER_IP);
    choose(&mut s, &ip);
    s.settle().await;
    assert!(s.app.pivots.active);
    (s, ip)
}

/// The records of the pivot shown, in its order.
fn pivot_records(s: &Session) -> Vec<&trawl::record::Record> {
    let frame = s.app.pivots.current().expect("a pivot is shown");
    frame
        .rows
        .iter()
        .map(|&i| &frame.records[i as usize])
        .collect()
}

/// Replaces the text of the input line (the export path) and presses Enter.
fn enter_text(s: &mut Session, text: &str) {
    s.keys(&["ctrl-u"]);
    s.type_text(text);
    s.keys(&["enter"]);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The record at `position` of a local object, read independently of trawl's decoders: a line of
/// a JSON Lines file, or an element of a CloudTrail envelope.
fn record_at(object: &str, position: u64) -> Option<serde_json::Value> {
    use std::io::Read;
    let raw = std::fs::read(object).ok()?;
    let mut text = String::new();
    if object.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_string(&mut text)
            .ok()?;
    } else {
        text = String::from_utf8(raw).ok()?;
    }
    let whole: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    match whole {
        Some(v) if v.get("Records").is_some() => v["Records"].get(position as usize - 1).cloned(),
        _ => serde_json::from_str(text.lines().nth(position as usize - 1)?).ok(),
    }
}

#[tokio::test]
async fn e_exports_the_pivot_as_evidence_that_points_back_at_each_record() {
    let (mut s, ip) = pivot_on_the_attacker().await;
    let dir = tempfile::tempdir().unwrap();
    s.app.export_dir = dir.path().to_path_buf();
    let shown: Vec<serde_json::Value> = pivot_records(&s).iter().map(|r| r.value()).collect();

    // `e` offers a new file named after the pivot, in the export folder.
    s.keys(&["e"]);
    let Some(Overlay::Input { text, .. }) = &s.app.overlay else {
        panic!("e opens no input: {:?}", s.app.message);
    };
    let offered = PathBuf::from(text);
    assert_eq!(offered.parent(), Some(dir.path()));
    assert!(
        text.contains(story::ATTACKER_IP) && text.ends_with(".jsonl"),
        "{text}"
    );
    assert!(s.render(160, 48).contains("export to:"));
    s.keys(&["enter"]);
    let msg = s.app.message.clone().unwrap_or_default();
    assert!(
        msg.starts_with(&format!("exported {} records", shown.len())),
        "{msg}"
    );

    let bytes = std::fs::read(&offered).unwrap();
    let sha = sha256_hex(&bytes);
    assert!(msg.contains(&sha), "{msg}");
    let name = offered.file_name().unwrap().to_str().unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join(format!("{name}.sha256"))).unwrap(),
        format!("{sha}  {name}\n")
    );
    let lines = common::json_lines(std::str::from_utf8(&bytes).unwrap());
    assert_eq!(lines.len(), shown.len());
    let mut checked = 0;
    for (line, value) in lines.iter().zip(&shown) {
        assert_eq!(
            &line["record"], value,
            "the record is written as it was read"
        );
        assert_eq!(line["query"], format!("pivot ip:{}", ip.value));
        assert!(
            line["window"].as_str().unwrap().contains("demo-lake"),
            "{line}"
        );
        let object = line["object"].as_str().unwrap();
        let position = line["position"].as_u64().unwrap();
        assert!(position >= 1);
        assert!(Path::new(object).exists(), "{object}");
        // JSON objects are checked against their bytes: the position leads back to the record.
        if !object.ends_with(".parquet") {
            assert_eq!(
                record_at(object, position).as_ref(),
                Some(value),
                "{object}:{position}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);

    // The same as CSV, and never over a file that exists.
    s.keys(&["e"]);
    let csv = dir.path().join("pivot.csv");
    enter_text(&mut s, csv.to_str().unwrap());
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut rows = text.lines();
    assert!(rows
        .next()
        .unwrap()
        .starts_with("object,etag,version_id,last_modified,position,"));
    assert_eq!(rows.count(), shown.len());
    s.keys(&["e"]);
    enter_text(&mut s, csv.to_str().unwrap());
    let msg = s.app.message.clone().unwrap_or_default();
    assert!(msg.contains("never overwritten"), "{msg}");
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), text);
}

#[tokio::test]
async fn m_bookmarks_a_record_and_the_quote_key_finds_it_again() {
    let (mut s, _) = pivot_on_the_attacker().await;
    s.keys(&["j", "j", "m"]);
    let marked = s.app.pivots.current().unwrap().cursor;
    assert_eq!(s.app.bookmarks.len(), 1);
    let screen = s.render(160, 48);
    assert_eq!(screen.matches('★').count(), 1, "{screen}");
    s.keys(&["g"]);
    assert_eq!(s.app.pivots.current().unwrap().cursor, 0);
    s.keys(&["'"]);
    assert_eq!(s.app.pivots.current().unwrap().cursor, marked);
    s.keys(&["m"]);
    assert!(s.app.bookmarks.is_empty());
}

#[tokio::test]
async fn a_resumed_session_opens_the_same_partition_filter_pivots_and_bookmarks() {
    use trawl::tui::resume::{self, Resume};
    let state = tempfile::tempdir().unwrap();
    let path = state.path().join("trawl/session.json");
    let specs = vec![lake().display().to_string()];

    let (mut s, ip) = pivot_on_the_attacker().await;
    s.app.resume = Some(Resume::new(path.clone(), specs.clone()));
    s.keys(&["j", "m"]);
    // A second pivot, then back to the first: the history and where it stands are kept.
    let key = Entity::new(EntityKind::Key, story::STOLEN_KEY);
    let row = pivot_records(&s)
        .iter()
        .position(|r| r.entities.contains(&key))
        .unwrap();
    s.keys(&["g"]);
    for _ in 0..row {
        s.keys(&["j"]);
    }
    s.keys(&["p"]);
    choose(&mut s, &key);
    s.settle().await;
    s.keys(&["["]);
    s.app.persist();
    let before_rows = s.app.pivots.current().unwrap().rows.len();
    let bookmarks = s.app.bookmarks.clone();
    drop(s);

    // A new screen, as after a dropped connection.
    let saved = resume::load(&path).unwrap().expect("saved");
    assert_eq!(saved.sources, specs);
    assert_eq!(saved.pivots.len(), 2);
    let sources = source::open_all(&saved.sources, &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.app.resume = Some(Resume::new(path.clone(), specs.clone()));
    s.app.restore(saved);
    s.settle().await;
    s.render(160, 48);
    assert!(s.app.pivots.active);
    assert_eq!(s.app.pivots.history.len(), 2);
    assert_eq!(s.app.pivots.at, 0);
    assert_eq!(s.app.pivots.current().unwrap().target, ip);
    assert_eq!(s.app.pivots.current().unwrap().rows.len(), before_rows);
    assert_eq!(s.app.bookmarks, bookmarks);
    let screen = s.render(160, 48);
    assert!(screen.contains('★'), "{screen}");
    s.keys(&["]"]);
    assert_eq!(s.app.pivots.current().unwrap().target, key);
}

#[test]
fn resume_without_a_saved_session_says_so() {
    let state = tempfile::tempdir().unwrap();
    let r = common::run(
        common::trawl()
            .arg("--resume")
            .env("XDG_STATE_HOME", state.path()),
    );
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stderr.contains("nothing to resume"), "{}", r.stderr);
}

/// `a` on the pivot: the window is planned and estimated from the opened sources, runs on
/// moto's Athena (below the byte budget, without asking), and the rows join the pivot timeline;
/// a row the lake already holds is not shown twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_widens_the_pivot_to_athena_and_its_rows_join_the_timeline() {
    let Some(m) = common::moto() else { return };
    // The in-process SDK reads its credentials from the environment, as trawl does.
    std::env::set_var("AWS_ACCESS_KEY_ID", common::ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", common::SECRET_KEY);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let (mut s, _ip) = pivot_on_the_attacker().await;
    let before = s.app.pivots.current().unwrap().rows.len();
    let loaded_ct = pivot_records(&s)
        .into_iter()
        .find(|r| r.kind == RecordKind::CloudTrail)
        .unwrap()
        .value();
    let new_event = serde_json::json!({"eventVersion": "1.08", "eventID": "athena-only-0001",
        "eventTime": "2024-04-20T01:02:03Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
        "awsRegion": "us-east-1", "sourceIPAddress": story::ATTACKER_IP, "recipientAccountId": story::PROD_ACCOUNT,
        "userIdentity": {"type": "AssumedRole", "arn": story::INSTANCE_SESSION_ARN, "accessKeyId": story::STOLEN_KEY}});
    let ct_object = "s3://org-trail/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-1/2024/04/20/x.json.gz";
    let _turn = common::MOTO_ATHENA.lock().await;
    common::athena_transition(m, 1);
    // GuardDuty is asked first (nothing), then CloudTrail: one event the lake lacks, one it has.
    common::queue_result(m, common::REGION, &[]);
    common::queue_result(
        m,
        common::REGION,
        &[(new_event.clone(), ct_object), (loaded_ct, ct_object)],
    );
    s.app.athena.aws = AwsOptions {
        endpoint_url: Some(m.endpoint.clone()),
        region: Some(common::REGION.into()),
        ..AwsOptions::default()
    };
    s.app.athena.config.output_location = Some("s3://athena-results/trawl/".into());

    s.keys(&["a"]);
    let screen = s.render(160, 48);
    assert!(screen.contains("Athena · widen the pivot"), "{screen}");
    // The default window is centred on the pivot's records.
    assert!(screen.contains("2024-04-"), "{screen}");
    enter_text(&mut s, "2024-04-15..2024-05-05");
    s.until(|app| app.athena.widened.is_some() || app.overlay.is_none())
        .await;
    let msg = s.app.message.clone().unwrap_or_default();
    assert!(s.app.athena.widened.is_some(), "{msg}");
    assert!(msg.contains("2 records (1 not loaded before)"), "{msg}");
    let frame = s.app.pivots.current().unwrap();
    assert_eq!(frame.rows.len(), before + 1);
    let first = &frame.records[frame.rows[0] as usize];
    assert_eq!(first.value(), new_event, "the oldest record is Athena's");
    assert_eq!(&*first.origin.object, ct_object);
    let screen = s.render(160, 48);
    assert!(screen.contains("with Athena"), "{screen}");

    // A query that stays queued: Esc stops it, and the timeline keeps what it had.
    common::athena_transition(m, 100_000);
    s.keys(&["a", "enter"]);
    s.until(|app| {
        matches!(&app.overlay, Some(Overlay::Athena(w))
            if matches!(&w.stage, trawl::tui::widen::Stage::Running { lines, .. } if lines.iter().any(|l| l.contains("QUEUED"))))
    })
    .await;
    assert!(s.render(160, 48).contains("Esc stops the query"));
    s.keys(&["esc"]);
    s.until(|app| app.overlay.is_none()).await;
    let msg = s.app.message.clone().unwrap_or_default();
    assert!(msg.contains("stopped (StopQueryExecution)"), "{msg}");
    assert_eq!(s.app.pivots.current().unwrap().rows.len(), before + 1);
}

/// Above `[athena] byte_budget` nothing runs until `y`: the estimate (objects and bytes the window
/// holds under the opened sources) is shown first, and Esc goes back to the window.
#[tokio::test]
async fn a_window_above_the_byte_budget_asks_before_it_runs() {
    use trawl::tui::widen::Stage;
    let (mut s, _) = pivot_on_the_attacker().await;
    s.app.athena.config.byte_budget = Some(1);
    s.keys(&["a"]);
    enter_text(&mut s, "2024-05-01..2024-05-03");
    s.until(|app| matches!(&app.overlay, Some(Overlay::Athena(w)) if matches!(w.stage, Stage::Confirm(..))))
        .await;
    let Some(Overlay::Athena(w)) = &s.app.overlay else {
        unreachable!()
    };
    let Stage::Confirm(plan, estimate) = &w.stage else {
        unreachable!()
    };
    assert!(estimate.objects > 0 && estimate.bytes > 1, "{estimate:?}");
    // GuardDuty and CloudTrail, each pruned to the window's days (and the delivery day after).
    assert_eq!(plan.queries.len(), 2);
    for q in &plan.queries {
        assert_eq!(
            q.days,
            ["2024/05/01", "2024/05/02", "2024/05/03", "2024/05/04"]
        );
    }
    let screen = s.render(160, 48);
    assert!(screen.contains("above the byte budget"), "{screen}");
    assert!(screen.contains("estimate:"), "{screen}");
    s.keys(&["esc"]);
    assert!(
        matches!(&s.app.overlay, Some(Overlay::Athena(w)) if matches!(w.stage, Stage::Window(_)))
    );
    s.keys(&["esc"]);
    assert!(s.app.overlay.is_none());
    // A window that does not parse is said where it is typed.
    s.keys(&["a"]);
    enter_text(&mut s, "last tuesday");
    let screen = s.render(160, 48);
    assert!(screen.contains("is not a time"), "{screen}");
}
