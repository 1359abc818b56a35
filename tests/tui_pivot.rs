//! The pivot on screen, on the demo lake: `p` on the exfiltration finding lists its entities with
//! how many loaded records share each, choosing the attacker's IP shows every loaded record naming
//! it (counted per kind), a second pivot on the stolen key shows its identity chain, `[`/`]` walk
//! the history and Esc returns to the list.

mod common;

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

/// Loaded records per kind that name `target`, by the entity model alone (not the view's code).
fn expected_counts(s: &Session, target: &Entity) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for row in &s.app.records.rows {
        if row.rec.entities.iter().any(|e| entity::matches(target, e)) {
            match row.rec.kind {
                RecordKind::GuardDuty => c.0 += 1,
                RecordKind::CloudTrail => c.1 += 1,
                RecordKind::Ocsf => c.2 += 1,
            }
        }
    }
    c
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

#[tokio::test]
async fn pivot_from_the_exfiltration_finding_to_the_ip_then_the_stolen_key_and_back() {
    let mut s = everything_loaded().await;
    let recs = &s.app.records;
    let kinds = |k: RecordKind| recs.rows.iter().filter(|r| r.rec.kind == k).count();
    assert!(
        kinds(RecordKind::GuardDuty) > 0
            && kinds(RecordKind::CloudTrail) > 0
            && kinds(RecordKind::Ocsf) > 0,
        "all three sources are loaded"
    );
    // Select the exfiltration finding in the list.
    let pos = (0..recs.view.len())
        .find(|&p| {
            let r = recs.get(p).unwrap();
            r.kind == RecordKind::GuardDuty && r.event == story::EXFIL_FINDING_TYPE
        })
        .expect("the exfiltration finding is loaded");
    s.app.records.cursor = pos;
    s.app.records.moved = true;
    s.app.focus = Focus::Records;

    s.keys(&["p"]);
    let chooser = s.render(160, 48);
    assert!(chooser.contains("pivot on"), "{chooser}");
    let ip = Entity {
        kind: EntityKind::Ip,
        value: story::ATTACKER_IP.into(),
    };
    let (gd, ct, ocsf) = expected_counts(&s, &ip);
    let total = gd + ct + ocsf;
    assert!(gd > 0 && ct > 0, "{gd} {ct} {ocsf}");
    // The chooser shows the IP with the number of loaded records naming it.
    let ip_line = chooser
        .lines()
        .find(|l| l.contains(story::ATTACKER_IP) && l.contains("ip "))
        .unwrap_or_else(|| panic!("{chooser}"));
    assert!(ip_line.contains(&total.to_string()), "{ip_line}");

    // Each entity's count is how many loaded records name it, as the pivot will find them.
    let Some(Overlay::Chooser(c)) = &s.app.overlay else {
        panic!("{chooser}");
    };
    for (e, n) in &c.items {
        let (g, t, o) = expected_counts(&s, e);
        assert_eq!(*n, g + t + o, "{e:?}");
    }
    choose(&mut s, &ip);
    let screen = s.render(160, 48);
    assert!(s.app.pivots.active);
    assert_eq!(s.app.pivots.current().unwrap().rows.len(), total);
    for want in [
        format!("GuardDuty {gd}"),
        format!("CloudTrail {ct}"),
        format!("OCSF {ocsf}"),
        format!("pivot: {}", story::ATTACKER_IP),
    ] {
        assert!(screen.contains(&want), "{want} missing:\n{screen}");
    }
    // Every row of the timeline names the IP, in time order.
    let frame = s.app.pivots.current().unwrap();
    let times: Vec<_> = frame
        .rows
        .iter()
        .map(|&i| s.app.records.rows[i as usize].rec.time)
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert!(screen.contains('█'), "a histogram:\n{screen}");
    assert_snapshot("pivot_ip_160x48", &screen);

    // Pivot again, from a row that used the stolen key.
    let key = Entity {
        kind: EntityKind::Key,
        value: story::STOLEN_KEY.into(),
    };
    let row = frame
        .rows
        .iter()
        .position(|&i| s.app.records.rows[i as usize].rec.entities.contains(&key))
        .expect("the attacker used the stolen key");
    for _ in 0..row {
        s.keys(&["j"]);
    }
    s.keys(&["p"]);
    choose(&mut s, &key);
    let screen = s.render(160, 48);
    let (gd, ct, ocsf) = expected_counts(&s, &key);
    assert_eq!(s.app.pivots.current().unwrap().rows.len(), gd + ct + ocsf);
    assert!(screen.contains(&format!("CloudTrail {ct}")), "{screen}");
    assert!(
        screen.contains(&format!("{} issued by AssumeRole", story::STOLEN_KEY)),
        "the identity chain:\n{screen}"
    );
    assert!(
        screen.contains(&format!("pivot: {} › ASIAQNZ", story::ATTACKER_IP)),
        "{screen}"
    );
    // At 80x24 the chain takes one line and the timeline still shows its first rows.
    let small = s.render(80, 24);
    assert!(small.contains("issued by AssumeRole"), "{small}");
    assert!(
        small.contains("AssumeRole") && small.contains("GetParameters"),
        "{small}"
    );

    // `[` back to the IP, `]` forward to the key, Esc to the plain list.
    s.keys(&["["]);
    assert_eq!(s.app.pivots.current().unwrap().target, ip);
    let screen = s.render(160, 48);
    assert!(
        screen.contains(&format!("OCSF {}", expected_counts(&s, &ip).2)),
        "{screen}"
    );
    s.keys(&["]"]);
    assert_eq!(s.app.pivots.current().unwrap().target, key);
    s.keys(&["esc"]);
    assert!(!s.app.pivots.active);
    let screen = s.render(160, 48);
    assert!(screen.contains(" records "), "{screen}");
    assert!(!screen.contains("pivot:"), "{screen}");
    assert_eq!(s.app.records.cursor, pos, "the list kept its place");
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
