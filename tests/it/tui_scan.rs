//! The screen's pivot scans every opened source (issue 15) and its list tells the story at 80x24
//! (issue 22), on the demo lake opened as `trawl demo` opens it: streaming, Esc, the budget
//! question, one event once, several partitions in one list, the same records as `trawl pivot`,
//! CloudTrail errors and S3 data events at 80 columns, counts, the query language, and help and
//! palette that repeat and cut nothing.

use crate::common;

use common::{assert_snapshot, read};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use trawl::demo::{self, story};
use trawl::entity::{Entity, EntityKind};
use trawl::record::RecordKind;
use trawl::source::{self, AwsOptions};
use trawl::tui::app::{Focus, Overlay};
use trawl::tui::pivot_view::Stage;
use trawl::tui::Session;

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

fn specs() -> Vec<String> {
    [
        story::ORG_TRAIL_BUCKET,
        story::GUARDDUTY_BUCKET,
        "security-lake",
    ]
    .iter()
    .map(|d| lake().join(d).display().to_string())
    .collect()
}

/// The three sources, nothing read yet.
async fn opened() -> Session {
    let sources = source::open_all(&specs(), &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.settle().await;
    s
}

/// The newest findings, as the screen opens on them.
async fn at_the_alerts() -> Session {
    let mut s = opened().await;
    s.app.open_at_alerts();
    s.settle().await;
    s
}

/// Reads a partition found with the palette (`:` then Enter) in place of the list.
fn ip() -> Entity {
    Entity::new(EntityKind::Ip, story::ATTACKER_IP)
}

/// `p` on the exfiltration finding (the first row at the alerts), Enter on the IP: the scan starts.
fn pivot_on_the_ip(s: &mut Session) {
    assert_eq!(
        &*s.app.records.get(s.app.records.cursor).unwrap().event,
        story::EXFIL_FINDING_TYPE
    );
    s.keys(&["p", "enter"]);
    assert_eq!(s.app.pivots.current().unwrap().target, ip());
}

#[tokio::test]
async fn the_pivot_fills_as_the_scan_reads_and_esc_stops_it_keeping_what_it_found() {
    let mut s = at_the_alerts().await;
    let seeded_at_open = {
        pivot_on_the_ip(&mut s);
        s.app.pivots.current().unwrap().records.len()
    };
    // The findings already read are there at once; the scan adds the other kinds as it goes.
    assert!(seeded_at_open > 0);
    s.until(|app| {
        app.pivots.current().is_some_and(|f| {
            f.scan
                .as_ref()
                .is_some_and(|sc| sc.stage == Stage::Running && sc.progress.objects_done > 0)
        })
    })
    .await;
    let midway = s.app.pivots.current().unwrap();
    let midway_records = midway.records.len();
    let midway_objects = midway.scan.as_ref().unwrap().progress.objects_done;
    let planned = midway.scan.as_ref().unwrap().planned.unwrap().0;
    assert!(midway_objects < planned, "{midway_objects} of {planned}");
    let screen = s.render(80, 24);
    assert!(
        screen.contains(&format!(
            "scanning {midway_objects}/{planned} objects · Esc stops"
        )),
        "{screen}"
    );

    // Esc stops the scan: what was found stays, the pivot stays open.
    s.keys(&["esc"]);
    s.settle().await;
    let f = s.app.pivots.current().expect("the pivot stays");
    assert_eq!(f.scan.as_ref().unwrap().stage, Stage::Stopped);
    assert!(f.records.len() >= midway_records);
    let stopped_at = f.scan.as_ref().unwrap().progress.objects_done;
    assert!(
        stopped_at < planned,
        "{stopped_at} of {planned}: stopped early"
    );
    assert!(s.render(80, 24).contains("stopped"));

    // `w` scans again, twice as wide, and this time to the end.
    s.keys(&["w"]);
    s.settle().await;
    let f = s.app.pivots.current().unwrap();
    assert_eq!(f.around, chrono::Duration::hours(48));
    assert_eq!(f.scan.as_ref().unwrap().stage, Stage::Done);
    let (gd, ct, oc) = f.counts();
    assert!(gd > 0 && ct > 0 && oc > 0, "{gd} {ct} {oc}");
    assert!(f.records.len() >= midway_records);
}

#[tokio::test]
async fn above_the_scan_budget_the_pivot_asks_first() {
    let mut s = at_the_alerts().await;
    s.app.settings.scan_budget = 10_000;
    pivot_on_the_ip(&mut s);
    s.until(|app| {
        app.pivots
            .current()
            .is_some_and(|f| matches!(f.scan.as_ref().unwrap().stage, Stage::Asking { .. }))
    })
    .await;
    let screen = s.render(80, 24);
    assert!(screen.contains("past the scan budget"), "{screen}");
    assert!(screen.contains("read it all? y scans it"), "{screen}");
    assert!(screen.contains("holds 316 objects, 1.6 MiB"), "{screen}");
    // n: nothing more is read; the findings already read stay.
    let seeded = s.app.pivots.current().unwrap().records.len();
    s.keys(&["n"]);
    s.settle().await;
    let f = s.app.pivots.current().unwrap();
    assert_eq!(f.records.len(), seeded);
    assert_eq!(f.scan.as_ref().unwrap().progress.objects_done, 0);
    // Asked again (w widens, and asks again), y reads it all.
    s.keys(&["w"]);
    s.until(|app| {
        app.pivots
            .current()
            .is_some_and(|f| matches!(f.scan.as_ref().unwrap().stage, Stage::Asking { .. }))
    })
    .await;
    s.keys(&["y"]);
    s.settle().await;
    let f = s.app.pivots.current().unwrap();
    assert_eq!(f.scan.as_ref().unwrap().stage, Stage::Done);
    assert!(f.records.len() > seeded);
}

#[tokio::test]
async fn a_finding_delivered_twice_is_one_row_marked_x2_with_both_objects() {
    let s = at_the_alerts().await;
    let twice: Vec<_> = s
        .app
        .records
        .rows
        .iter()
        .filter(|r| !r.rec.also.is_empty())
        .collect();
    assert!(!twice.is_empty(), "the demo exports findings twice");
    let r = &twice[0].rec;
    assert_ne!(r.also[0].object, r.origin.object);
    // Counted once: no other row holds the same finding.
    let id = r.value()["id"].clone();
    let same = s
        .app
        .records
        .rows
        .iter()
        .filter(|x| x.rec.kind == RecordKind::GuardDuty && x.rec.value()["id"] == id)
        .count();
    assert_eq!(same, 1);
    let mut s = s;
    let screen = s.render(80, 24);
    assert!(screen.contains("×2"), "{screen}");
}

#[tokio::test]
async fn plus_adds_a_partition_to_the_list_and_keeps_the_first() {
    let mut s = opened().await;
    // The jumps read each day in turn; the tree keeps both days' rows.
    read(&mut s, "1111 use1 0502 cloudtrail org").await;
    let trail_day = s.app.tree.selected().unwrap();
    read(&mut s, "1111 use1 0502 guardduty").await;
    let findings = s.app.records.rows.len();
    assert!(findings > 0);
    assert!(s
        .app
        .records
        .rows
        .iter()
        .all(|r| r.rec.kind == RecordKind::GuardDuty));
    // Back on the trail's day in the tree, `+` adds it instead of replacing.
    s.app.tree.select_node(trail_day);
    s.app.focus = Focus::Tree;
    s.keys(&["+"]);
    s.settle().await;
    let rows = &s.app.records.rows;
    let gd = rows
        .iter()
        .filter(|r| r.rec.kind == RecordKind::GuardDuty)
        .count();
    let ct = rows
        .iter()
        .filter(|r| r.rec.kind == RecordKind::CloudTrail)
        .count();
    assert_eq!(gd, findings, "the findings stay");
    assert!(ct > 0);
    assert_eq!(s.app.load.as_ref().unwrap().reqs.len(), 2);
    // One timeline: the list is in time order across both kinds.
    let times: Vec<_> = (0..s.app.records.view.len())
        .map(|p| s.app.records.get(p).unwrap().time)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
}

/// The screen's pivot and `trawl pivot` over the same window return the same records: one engine.
#[tokio::test]
async fn the_screen_and_trawl_pivot_find_the_same_records() {
    let mut s = at_the_alerts().await;
    pivot_on_the_ip(&mut s);
    s.settle().await;
    let f = s.app.pivots.current().unwrap();
    let (a, b) = f.window.unwrap();
    // Each record by its object and its text (the command line prints no position).
    let mut on_screen: Vec<(String, String)> = f
        .records
        .iter()
        .map(|r| (r.origin.object.to_string(), r.value().to_string()))
        .collect();
    on_screen.sort();
    let mut cmd = common::trawl();
    cmd.arg("pivot")
        .args(["--format", "jsonl"])
        .args(["--since", &a.to_rfc3339(), "--until", &b.to_rfc3339()])
        .args(specs())
        .arg(story::ATTACKER_IP);
    let out = common::run(&mut cmd);
    assert_eq!(out.status, 0, "{}", out.stderr);
    let mut printed: Vec<(String, String)> = common::json_lines(&out.stdout)
        .iter()
        .map(|l| {
            (
                l["object"].as_str().unwrap().to_string(),
                l["record"].to_string(),
            )
        })
        .collect();
    printed.sort();
    assert!(!printed.is_empty());
    assert_eq!(on_screen, printed);
}

#[tokio::test]
async fn at_80_columns_a_trail_day_shows_who_from_where_what_result_and_on_what() {
    let mut s = opened().await;
    read(&mut s, "1111 use1 0501 cloudtrail org").await;
    s.keys(&["f"]);
    s.type_text("error:AccessDenied OR event:GetObject");
    s.keys(&["enter"]);
    let small = s.render(80, 24);
    let row = small
        .lines()
        .find(|l| l.contains("GetObject ✗AccessDenied"))
        .unwrap_or_else(|| panic!("no GetObject ✗AccessDenied row:\n{small}"));
    for want in ["web-app-role", "54.210.11.20", "prod-custom"] {
        assert!(row.contains(want), "{want} missing from {row}\n{small}");
    }
    assert!(!small.contains('…') || !row.contains('…'), "{row}");
    assert_snapshot("trail_errors_80x24", &small);
    let large = s.render(160, 48);
    assert!(large.contains("prod-customer-data/"), "{large}");
    assert_snapshot("trail_errors_160x48", &large);
}

#[tokio::test]
async fn t_counts_a_column_enter_filters_to_a_value_and_p_pivots_on_it() {
    let mut s = opened().await;
    read(&mut s, "1111 use1 0502 cloudtrail org").await;
    s.keys(&["t"]);
    let Some(Overlay::Counts(c)) = &s.app.overlay else {
        panic!("t opens the counts: {:?}", s.app.message);
    };
    // Counted by reading the list, apart from the view.
    let top = c.selected().unwrap().clone();
    let by_hand = s
        .app
        .records
        .rows
        .iter()
        .filter(|r| r.rec.ip.as_deref() == Some(top.value.as_ref()))
        .count();
    assert_eq!(top.count, by_hand);
    let screen = s.render(80, 24);
    assert!(screen.contains(&top.value), "{screen}");
    assert_snapshot("counts_80x24", &screen);
    // l: the next column, principals.
    s.keys(&["l"]);
    assert!(s.render(80, 24).contains("principal"));
    s.keys(&["h"]);
    // Down to the attacker's address, Enter: the list keeps only its rows.
    let Some(Overlay::Counts(c)) = &s.app.overlay else {
        panic!()
    };
    let at = c
        .counts
        .values
        .iter()
        .position(|v| v.value == story::ATTACKER_IP)
        .expect("the attacker is counted");
    for _ in 0..at {
        s.keys(&["j"]);
    }
    s.keys(&["enter"]);
    let view = &s.app.records;
    assert!(!view.view.is_empty());
    assert!((0..view.view.len())
        .all(|p| view.get(p).unwrap().ip.as_deref() == Some(story::ATTACKER_IP)));
    // And from the counts, p pivots on the value.
    s.keys(&["t"]);
    s.keys(&["p"]);
    assert_eq!(s.app.pivots.current().unwrap().target.kind, EntityKind::Ip);
}

#[tokio::test]
async fn one_query_language_in_the_list_and_the_pivot_with_errors_where_typed() {
    let mut s = at_the_alerts().await;
    // An unknown field is refused where it was typed, and the filter is not applied.
    s.keys(&["f"]);
    s.type_text("colour:red");
    s.keys(&["enter"]);
    let Some(Overlay::Input { error: Some(e), .. }) = &s.app.overlay else {
        panic!("an unknown field is an error");
    };
    assert_eq!(e.at, 0);
    let screen = s.render(80, 24);
    assert!(screen.contains("colour"), "{screen}");
    s.keys(&["esc"]);
    assert!(s.app.records.filter_text.is_empty());

    // OR, a severity comparison and a regex.
    s.keys(&["f"]);
    s.type_text("sev:>=8 OR /SSHBrute/");
    s.keys(&["enter"]);
    let shown: Vec<String> = (0..s.app.records.view.len())
        .map(|p| s.app.records.get(p).unwrap().event.to_string())
        .collect();
    assert!(
        shown.iter().any(|e| e.contains("SSHBruteForce")),
        "{shown:?}"
    );
    assert!(
        shown.iter().any(|e| e == story::EXFIL_FINDING_TYPE),
        "{shown:?}"
    );
    assert!(shown.len() < s.app.records.rows.len());
    s.keys(&["esc"]);

    // Inside a pivot, f filters the pivot and leaves the list alone; -not excludes.
    pivot_on_the_ip(&mut s);
    s.settle().await;
    let all = s.app.pivots.current().unwrap().records.len();
    s.keys(&["f"]);
    s.type_text("-kind:ocsf");
    s.keys(&["enter"]);
    let f = s.app.pivots.current().unwrap();
    let (_, _, oc) = f.counts();
    assert_eq!(f.rows.len(), all - oc);
    assert!(s.app.records.filter_text.is_empty());
    // `/` finds inside the pivot.
    s.keys(&["/"]);
    s.type_text("CreateUser");
    s.keys(&["enter"]);
    let f = s.app.pivots.current().unwrap();
    assert_eq!(&*f.selected().unwrap().event, "CreateUser");
}

#[tokio::test]
async fn moving_keeps_the_list_and_every_pivot_stays_in_the_history() {
    let mut s = at_the_alerts().await;
    let listed = s.app.records.rows.len();
    // The tree cursor moves over days: the list stays as it was.
    s.app.focus = Focus::Tree;
    s.keys(&["j", "j", "j", "j", "j"]);
    s.settle().await;
    assert_eq!(s.app.records.rows.len(), listed);
    s.app.focus = Focus::Records;
    pivot_on_the_ip(&mut s);
    s.settle().await;
    s.keys(&["esc"]);
    // A second pivot from the list: the first is still in the history.
    s.keys(&["j", "p", "enter"]);
    s.settle().await;
    assert_eq!(s.app.pivots.history.len(), 2);
    s.keys(&["["]);
    assert_eq!(s.app.pivots.current().unwrap().target, ip());
}

#[tokio::test]
async fn help_and_palette_cut_nothing_and_say_each_thing_once() {
    let mut s = at_the_alerts().await;
    s.keys(&["?"]);
    for width in [80u16, 230] {
        // The whole help, scrolled through, without a cut line.
        let mut seen = String::new();
        for _ in 0..12 {
            seen.push_str(&s.render(width, 40));
            s.keys(&["ctrl-d"]);
        }
        let cut: Vec<&str> = seen.lines().filter(|l| l.contains('…')).collect();
        assert!(cut.is_empty(), "{cut:#?}");
        s.keys(&["esc", "?"]);
    }
    let first = s.render(230, 80);
    for title in ["Moving", "Records", "Pivot", "General"] {
        let n = first
            .lines()
            .filter(|l| l.trim_start_matches('│').starts_with(title))
            .count();
        assert_eq!(n, 1, "{title} once:\n{first}");
    }
    s.keys(&["esc", ":"]);
    let Some(Overlay::Palette(p)) = &s.app.overlay else {
        panic!("the palette")
    };
    let labels: Vec<String> = p.items().iter().map(|i| i.text.clone()).collect();
    let distinct: BTreeSet<&String> = labels.iter().collect();
    assert_eq!(distinct.len(), labels.len(), "{labels:?}");
    assert!(
        labels.iter().all(|l| !l.contains("open: open")),
        "{labels:?}"
    );
    let screen = s.render(80, 24);
    assert!(screen.contains("?"), "the keys are shown: {screen}");
}

/// Log file integrity on screen (issue 20): the CloudTrail objects read are validated in the
/// background against the demo's signed digests; the valid ones get `✓`, an object altered after
/// delivery gets `✗`, is listed under `!`, and the evidence export carries each record's status.
#[tokio::test]
async fn cloudtrail_objects_read_show_their_integrity_and_a_tampered_one_stands_out() {
    use std::io::{Read, Write};
    // A lake of its own: one of its objects is altered.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("lake");
    demo::write_demo_lake(&root).unwrap();
    let day = root.join(format!(
        "{}/AWSLogs/o-a1b2c3d4e5/{}/CloudTrail/us-east-1/2024/05/02",
        story::ORG_TRAIL_BUCKET,
        story::PROD_ACCOUNT
    ));
    let mut objects: Vec<PathBuf> = std::fs::read_dir(&day)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    objects.sort();
    let victim = objects[3].clone();
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(&victim).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let altered = text.replacen("\"eventName\":\"", "\"eventName\":\"X", 1);
    assert_ne!(altered, text);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(altered.as_bytes()).unwrap();
    std::fs::write(&victim, gz.finish().unwrap()).unwrap();
    let keys = dir.path().join("keys.json");
    std::fs::write(&keys, demo::public_keys_json()).unwrap();

    let spec = root.join(story::ORG_TRAIL_BUCKET).display().to_string();
    let sources = source::open_all(&[spec], &AwsOptions::default())
        .await
        .unwrap();
    let mut s = Session::open(sources);
    s.app.loader.set_verify(trawl::verify::Options {
        keys: std::sync::Arc::new(trawl::verify::KeyFiles::load(&[keys]).unwrap()),
        limits: Default::default(),
        concurrency: 4,
    });
    s.settle().await;
    read(&mut s, "1111 use1 0502 cloudtrail").await;
    s.until(|app| !app.integrity.is_empty()).await;
    use trawl::verify::Status;
    let status_of = |s: &Session, object: &Path| {
        s.app
            .integrity
            .iter()
            .find(|(uri, _)| uri.ends_with(object.file_name().unwrap().to_str().unwrap()))
            .map(|(_, i)| i.status)
    };
    assert_eq!(status_of(&s, &victim), Some(Status::Tampered));
    assert_eq!(status_of(&s, &objects[0]), Some(Status::Valid));
    let screen = s.render(80, 24);
    assert!(
        screen.contains("CT ✓") || screen.contains("CT•✓"),
        "{screen}"
    );
    // The failures list names the altered object.
    s.keys(&["!"]);
    let failures = s.render(120, 40);
    assert!(failures.contains("integrity: tampered"), "{failures}");
    s.keys(&["esc"]);
    // Its records stand out with ✗; the record pane says why.
    let name = victim.file_name().unwrap().to_str().unwrap();
    let at = (0..s.app.records.view.len())
        .find(|&p| s.app.records.get(p).unwrap().origin.object.ends_with(name))
        .expect("the altered object's records are listed");
    s.app.records.cursor = at;
    s.app.records.moved = true;
    let screen = s.render(80, 24);
    assert!(screen.contains('✗'), "{screen}");
    assert!(screen.contains("integrity: tampered"), "{screen}");
    // A pivot from it: the objects its scan found records in are validated too.
    s.app.integrity.clear();
    s.keys(&["p", "enter"]);
    s.settle().await;
    s.until(|app| !app.integrity.is_empty()).await;
    assert_eq!(status_of(&s, &victim), Some(Status::Tampered));
    let in_pivot = s.render(80, 24);
    assert!(
        in_pivot.contains('✓') || in_pivot.contains('✗'),
        "{in_pivot}"
    );
    s.keys(&["esc"]);
    // The export carries the status of each CloudTrail record's object.
    let out = tempfile::tempdir().unwrap();
    s.app.export_dir = out.path().to_path_buf();
    s.keys(&["e", "enter"]);
    let written = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .expect("an export");
    let lines = common::json_lines(&std::fs::read_to_string(written).unwrap());
    let statuses: BTreeSet<String> = lines
        .iter()
        .filter_map(|l| l["integrity"]["status"].as_str().map(str::to_string))
        .collect();
    assert!(
        statuses.contains("valid") && statuses.contains("tampered"),
        "{statuses:?}"
    );
}

/// Detections on screen (issue 17): the intrusion day's events carry their level beside their
/// kind, `level:>=high` keeps findings and events alike, and the record pane names the rule and
/// its ATT&CK ids above the JSON.
#[tokio::test]
async fn detections_mark_the_list_and_level_filters_span_findings_and_events() {
    let mut s = opened().await;
    // The day's findings and its trail on one list: the findings read, then the trail, then `+`
    // on the findings' day.
    read(&mut s, "1111 use1 0502 guardduty").await;
    let findings = s.app.tree.selected().unwrap();
    read(&mut s, "1111 use1 0502 cloudtrail org").await;
    s.app.tree.select_node(findings);
    s.app.focus = Focus::Tree;
    s.keys(&["+"]);
    s.settle().await;
    s.app.focus = Focus::Records;
    s.keys(&["f"]);
    s.type_text("level:>=high");
    s.keys(&["enter"]);
    let shown: Vec<&trawl::record::Record> = (0..s.app.records.view.len())
        .map(|p| s.app.records.get(p).unwrap())
        .collect();
    assert!(shown.iter().any(|r| r.kind == RecordKind::GuardDuty));
    assert!(shown
        .iter()
        .any(|r| r.kind == RecordKind::CloudTrail && r.event.as_ref() == "AttachUserPolicy"));
    for r in &shown {
        let level = trawl::detect::record_level(r).expect("a level");
        assert!(level >= trawl::detect::Level::High, "{}", r.event);
    }
    let at = shown
        .iter()
        .position(|r| r.event.as_ref() == "AttachUserPolicy")
        .unwrap();
    s.app.records.cursor = at;
    s.app.records.moved = true;
    let screen = s.render(80, 24);
    let row = screen
        .lines()
        .find(|l| l.contains("AttachUserPolicy"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("CT!"), "the high mark: {row}");
    let hit = &s.app.records.get(at).unwrap().detections[0];
    assert!(
        screen.contains(&format!("! high {}", &hit.rule[..20])),
        "{screen}"
    );
    assert!(!hit.attack.is_empty());
}
