//! End to end: the real binary in a real terminal (tmux). `trawl demo` opens the screen, the keys
//! walk to the intrusion day, the GuardDuty finding shows, `?` opens the help, `q` quits with
//! status 0 and the terminal is given back.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const TMUX: &str = "tmux";

fn tmux(args: &[&str]) -> String {
    let out = Command::new(TMUX).args(args).output().expect("tmux runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn have_tmux() -> bool {
    Command::new(TMUX)
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether tmux is here; without it the test says it is skipped, and on CI fails.
fn tmux_or_skip(test: &str) -> bool {
    if have_tmux() {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("tmux is required for the end-to-end screen test on CI");
    }
    let _ = std::io::stderr().write_all(format!("skipping {test}: tmux not found\n").as_bytes());
    false
}

/// Waits until the pane shows `text` (the screen is drawn by another process, so poll).
fn wait_for(session: &str, text: &str, timeout: Duration) -> String {
    wait_until(session, timeout, &format!("'{text}' did not appear"), |s| {
        s.contains(text)
    })
}

/// Waits until the pane satisfies `done`; `what` says what did not happen.
fn wait_until(session: &str, timeout: Duration, what: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux(&["capture-pane", "-p", "-t", session]);
        if done(&screen) {
            return screen;
        }
        if start.elapsed() > timeout {
            let _ = tmux(&["kill-session", "-t", session]);
            panic!("{what} within {timeout:?}; the pane shows:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn send(session: &str, keys: &[&str]) {
    for k in keys {
        tmux(&["send-keys", "-t", session, k]);
        // One key at a time, as a person types: each may start background work.
        std::thread::sleep(Duration::from_millis(150));
    }
}

#[test]
fn demo_walk_to_the_finding_help_and_quit() {
    if !tmux_or_skip("demo_walk_to_the_finding_help_and_quit") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let rc = dir.path().join("rc");
    let session = format!("trawl-e2e-{}", std::process::id());
    let bin = env!("CARGO_BIN_EXE_trawl");
    // The wrapper records the exit status; NO_COLOR and a private config keep the run reproducible.
    let script = format!(
        "NO_COLOR=1 TRAWL_CONFIG=/nonexistent '{bin}' demo --dir '{}'; echo $? > '{}'",
        lake.display(),
        rc.display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "40",
        &script,
    ]);
    // Whatever happens below, the session (and the trawl in it) goes away with the test.
    let _cleanup = KillOnDrop(session.clone());
    // The screen opens on the newest findings.
    wait_for(&session, "InstanceCredentialExfil", Duration::from_secs(60));
    // The palette takes the story's account, region and day, then the GuardDuty partition.
    send(&session, &[":"]);
    for c in "1111 use1 0502 guardduty".chars() {
        tmux(&["send-keys", "-t", &session, "-l", &c.to_string()]);
    }
    wait_for(
        &session,
        "111122223333 us-east-1 2024-05-02 guardduty",
        Duration::from_secs(20),
    );
    send(&session, &["Enter"]);
    let screen = wait_for(
        &session,
        "guardduty-exports › 111122223333 › guardduty › us-east-1 › 2024-05-02",
        Duration::from_secs(20),
    );
    assert!(screen.contains("203.0.113.66"), "{screen}");
    assert!(
        screen.contains("guardduty-exports › 111122223333 › guardduty › us-east-1 › 2024-05-02"),
        "{screen}"
    );
    send(&session, &["?"]);
    wait_for(&session, "half a page down", Duration::from_secs(10));
    send(&session, &["Escape", "q"]);
    let start = Instant::now();
    while !rc_written(&rc) {
        if start.elapsed() > Duration::from_secs(20) {
            let screen = tmux(&["capture-pane", "-p", "-t", &session]);
            let _ = tmux(&["kill-session", "-t", &session]);
            panic!("trawl did not exit after q; the pane shows:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = std::fs::read_to_string(&rc).unwrap();
    let _ = tmux(&["kill-session", "-t", &session]);
    assert_eq!(status.trim(), "0", "exit status");
}

fn rc_written(p: &Path) -> bool {
    std::fs::read_to_string(p).is_ok_and(|s| s.ends_with('\n'))
}

struct KillOnDrop(String);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new(TMUX)
            .args(["kill-session", "-t", &self.0])
            .output();
    }
}

/// A dropped connection costs nothing: the session is killed (as SSH's hangup would) in the middle
/// of a pivot with a bookmark, and `trawl --resume` opens the same partition, pivot and bookmark.
#[test]
fn a_killed_session_comes_back_with_resume() {
    if !tmux_or_skip("a_killed_session_comes_back_with_resume") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let state = dir.path().join("state");
    let session = format!("trawl-resume-{}", std::process::id());
    let bin = env!("CARGO_BIN_EXE_trawl");
    let env = format!(
        "NO_COLOR=1 TRAWL_CONFIG=/nonexistent XDG_STATE_HOME='{}'",
        state.display()
    );
    let start = |args: &str| {
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "160",
            "-y",
            "40",
            &format!("{env} '{bin}' {args}"),
        ]);
    };
    start(&format!("demo --dir '{}'", lake.display()));
    let _cleanup = KillOnDrop(session.clone());
    wait_for(&session, "InstanceCredentialExfil", Duration::from_secs(60));
    send(&session, &[":"]);
    for c in "1111 use1 0502 guardduty".chars() {
        tmux(&["send-keys", "-t", &session, "-l", &c.to_string()]);
    }
    wait_for(
        &session,
        "111122223333 us-east-1 2024-05-02 guardduty",
        Duration::from_secs(20),
    );
    send(&session, &["Enter"]);
    wait_for(
        &session,
        "guardduty-exports › 111122223333 › guardduty › us-east-1 › 2024-05-02",
        Duration::from_secs(20),
    );
    // Into the list, pivot on the first entity of the finding, bookmark the first row.
    send(&session, &["Tab", "p"]);
    wait_for(&session, "pivot on", Duration::from_secs(10));
    send(&session, &["Enter"]);
    // The scan of every source around the finding ends before the hangup.
    wait_for(&session, "pivot 1/1", Duration::from_secs(10));
    let before = wait_for(&session, "scanned ", Duration::from_secs(60));
    send(&session, &["m"]);
    wait_for(&session, "★", Duration::from_secs(10));
    let title = |screen: &str| {
        screen
            .lines()
            .find_map(|l| {
                l.split("pivot 1/1")
                    .nth(1)
                    .map(|t| t.split(" · ").take(3).collect::<Vec<_>>().join(" · "))
            })
            .unwrap_or_default()
    };
    let pivot_title = title(&before);
    // The hangup: no q, no chance to save on the way out.
    let _ = tmux(&["kill-session", "-t", &session]);
    std::thread::sleep(Duration::from_millis(300));

    start("--resume");
    wait_for(&session, "pivot 1/1", Duration::from_secs(60));
    let screen = wait_for(&session, "scanned ", Duration::from_secs(60));
    let screen = if screen.contains('★') {
        screen
    } else {
        wait_for(&session, "★", Duration::from_secs(20))
    };
    assert_eq!(title(&screen), pivot_title, "{screen}");
    // The cursor is back on the record it was on: the bookmarked finding, in the record pane.
    let marked = screen
        .lines()
        .find(|l| l.contains('★'))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(marked.contains("203.0.113.66"), "{screen}");
    assert!(
        screen.contains("\"type\": \"Recon:EC2/PortProbeUnprotectedPort\""),
        "{screen}"
    );
}

/// The demo's story in a real 80x24 terminal, as a newcomer types it: the screen opens on the
/// newest findings, most severe first; `p` `Enter` pivots on the attacker's IP and scans every
/// source (findings, CloudTrail and VPC flows on one timeline); `p` `j` `Enter` pivots on the
/// stolen key and names the role it was issued to; `f`, `event:CreateUser`, `Enter` shows the
/// backdoor user it created. Eight keys, the query counted as one.
#[test]
fn the_demo_story_in_eight_keys_at_80x24() {
    if !tmux_or_skip("the_demo_story_in_eight_keys_at_80x24") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let session = format!("trawl-story-{}", std::process::id());
    let bin = env!("CARGO_BIN_EXE_trawl");
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "80",
        "-y",
        "24",
        &format!(
            "NO_COLOR=1 TRAWL_CONFIG=/nonexistent '{bin}' demo --dir '{}'",
            dir.path().join("lake").display()
        ),
    ]);
    let _cleanup = KillOnDrop(session.clone());
    // The first row, once the findings are read: the most severe, the exfiltration.
    let screen = wait_until(
        &session,
        Duration::from_secs(60),
        "the exfiltration finding was not the first row",
        |s| {
            s.lines()
                .nth(2)
                .is_some_and(|l| l.contains("InstanceCredentialExfil"))
        },
    );
    assert!(
        screen.lines().nth(2).unwrap().contains("203.0.113.66"),
        "{screen}"
    );
    send(&session, &["p"]);
    wait_for(&session, "pivot on", Duration::from_secs(10));
    send(&session, &["Enter"]);
    let screen = wait_for(&session, "scanned ", Duration::from_secs(60));
    let counts = screen
        .lines()
        .find(|l| l.contains("GuardDuty ") && l.contains("CloudTrail "))
        .unwrap_or_else(|| panic!("{screen}"));
    for kind in ["GuardDuty", "CloudTrail", "OCSF"] {
        assert!(!counts.contains(&format!("{kind} 0 ")), "{counts}");
    }
    send(&session, &["p"]);
    wait_for(&session, "pivot on", Duration::from_secs(10));
    send(&session, &["j", "Enter"]);
    wait_for(&session, "pivot 2/2", Duration::from_secs(10));
    let screen = wait_for(&session, "scanned ", Duration::from_secs(60));
    assert!(screen.contains("issued by AssumeRole"), "{screen}");
    send(&session, &["f"]);
    tmux(&["send-keys", "-t", &session, "-l", "event:CreateUser"]);
    send(&session, &["Enter"]);
    let screen = wait_for(&session, "(2 shown)", Duration::from_secs(10));
    assert!(
        screen.contains("CreateUser") && screen.contains("user/svc-backup"),
        "{screen}"
    );
}
