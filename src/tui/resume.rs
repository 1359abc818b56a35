//! Resumable sessions: what the investigator had open (the sources, the partition read, the
//! filter and order, the pivot history, the bookmarks) is saved as it changes, so a dropped SSH
//! connection costs nothing: `trawl --resume` opens it all again. Records are not saved; they are
//! read again from their objects.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::app::{App, Focus};
use super::loader::LoadRequest;
use super::records::SortKey;
use crate::entity;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Saved {
    /// The sources as they were opened (workspaces already expanded).
    pub sources: Vec<String>,
    /// The partition or object whose records were shown.
    pub load: Option<SavedLoad>,
    pub filter: String,
    pub sort: Option<String>,
    pub reverse: bool,
    /// The pivot history, oldest first, as `kind:value` targets.
    pub pivots: Vec<String>,
    /// Each pivot's centre (RFC 3339) and reach either side (seconds), when it has one.
    pub pivot_windows: Vec<Option<(String, i64)>>,
    pub pivot_at: usize,
    pub pivot_active: bool,
    /// Bookmarked records: object and line, element or row.
    pub bookmarks: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedLoad {
    pub source: usize,
    pub prefix: String,
    /// The object's key when one object was read rather than a folder.
    pub object: Option<String>,
}

/// `$XDG_STATE_HOME/trawl/session.json`, else `~/.local/state/trawl/session.json`.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("trawl").join("session.json"))
}

/// The saved session, or `None` when there is none.
pub fn load(path: &Path) -> Result<Option<Saved>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{}: not a saved session ({e})", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes under a temporary name and renames, so a crash never leaves half a session. The file
/// is the owner's only (it names what was investigated), and its strings are stored escaped
/// (`\u009b`, `\u202e`: the same JSON), so that `cat` of it drives no terminal.
pub fn save(path: &Path, s: &Saved) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let text = serde_json::to_string_pretty(s)?;
    // Pretty JSON's only raw line breaks are its own: each line is escaped alone.
    let text: Vec<_> = text.split('\n').map(crate::escape::for_terminal).collect();
    let tmp = format!(
        "{}.partial",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let tmp = crate::private_file::write_private(dir, &tmp, text.join("\n").as_bytes())?;
    std::fs::rename(&tmp, path)
}

/// Where the session is saved, what was saved last, and what is still to be restored.
#[derive(Debug, Default)]
pub struct Resume {
    pub path: PathBuf,
    pub sources: Vec<String>,
    last: Option<Saved>,
    /// Pivots wait for their partition's load to start.
    pending: Option<Saved>,
    /// The last partition read to its end. A partition is saved only once read: when reading
    /// one brings trawl down, `--resume` starts without it instead of failing at it again.
    read: Option<SavedLoad>,
    pub error: Option<String>,
}

impl Resume {
    /// A restore waits for its partition to load.
    pub fn waiting(&self) -> bool {
        self.pending.is_some()
    }

    pub fn new(path: PathBuf, sources: Vec<String>) -> Resume {
        Resume {
            path,
            sources,
            ..Resume::default()
        }
    }
}

impl App {
    /// The session as it stands.
    pub fn snapshot(&self) -> Saved {
        let load = match self.load.as_ref().filter(|l| l.done) {
            Some(l) if !l.reqs.is_empty() => Some(SavedLoad {
                source: l.reqs[0].source,
                prefix: l.reqs[0].prefix.clone(),
                object: l.reqs[0].object.as_ref().map(|o| o.key.clone()),
            }),
            _ => self.resume.as_ref().and_then(|r| r.read.clone()),
        };
        // A restore in progress is kept as it was asked for until it has happened.
        if let Some(p) = self.resume.as_ref().and_then(|r| r.pending.as_ref()) {
            return Saved {
                sources: self.resume_sources(),
                bookmarks: self.bookmarks.iter().cloned().collect(),
                ..p.clone()
            };
        }
        Saved {
            sources: self.resume_sources(),
            load,
            filter: self.records.filter_text.clone(),
            sort: self.records.sort.map(|k| k.name().to_string()),
            reverse: self.records.reverse,
            pivots: self
                .pivots
                .history
                .iter()
                .map(|f| format!("{}:{}", f.target.kind.as_str(), f.target.value))
                .collect(),
            pivot_windows: self
                .pivots
                .history
                .iter()
                .map(|f| f.center.map(|c| (c.to_rfc3339(), f.around.num_seconds())))
                .collect(),
            pivot_at: self.pivots.at,
            pivot_active: self.pivots.active,
            bookmarks: self.bookmarks.iter().cloned().collect(),
        }
    }

    fn resume_sources(&self) -> Vec<String> {
        self.resume
            .as_ref()
            .map_or_else(Vec::new, |r| r.sources.clone())
    }

    /// Saves the session when it changed since it was last saved; a failure is said once.
    pub fn persist(&mut self) {
        if self.resume.is_none() {
            return;
        }
        let now = self.snapshot();
        let Some(r) = self.resume.as_mut() else {
            return;
        };
        if r.pending.is_none() {
            r.read = now.load.clone();
        }
        if r.last.as_ref() == Some(&now) {
            return;
        }
        match save(&r.path, &now) {
            Ok(()) => r.error = None,
            Err(e) => {
                if r.error.is_none() {
                    self.message = Some(format!(
                        "cannot save the session to {}: {e}",
                        r.path.display()
                    ));
                }
                r.error = Some(e.to_string());
            }
        }
        r.last = Some(now);
    }

    /// Opens a saved session again: bookmarks, filter and order now; the partition is found in
    /// the tree (listing what it must); the pivots when that partition starts loading.
    pub fn restore(&mut self, saved: Saved) {
        self.bookmarks = saved.bookmarks.iter().cloned().collect();
        if let Err(e) = self.records.set_filter(&saved.filter) {
            self.message = Some(format!("saved filter: {e}"));
        }
        self.records.sort = saved
            .sort
            .as_deref()
            .and_then(|n| SortKey::ALL.into_iter().find(|k| k.name() == n));
        self.records.reverse = saved.reverse;
        let Some(load) = saved.load.clone() else {
            return;
        };
        if load.source >= self.loader.sources().len() {
            self.message = Some("the saved session names a source that is not open".into());
            return;
        }
        if let Some(r) = self.resume.as_mut() {
            r.pending = Some(saved);
        }
        let prefix = load.object.clone().unwrap_or(load.prefix);
        self.jump(load.source, prefix);
    }

    /// Called as a load starts: the saved pivots of that partition are opened over it.
    pub(super) fn resume_pivots(&mut self, reqs: &[LoadRequest]) {
        let Some(req) = reqs.first() else { return };
        let Some(saved) = self.resume.as_mut().and_then(|r| r.pending.take()) else {
            return;
        };
        let Some(load) = &saved.load else { return };
        let same = load.source == req.source
            && match (&load.object, &req.object) {
                (Some(k), Some(o)) => *k == o.key,
                (None, None) => load.prefix == req.prefix,
                _ => false,
            };
        if !same {
            return;
        }
        for (n, t) in saved.pivots.iter().enumerate() {
            let Some(e) = entity::parse_target(t) else {
                continue;
            };
            let (center, around) = match saved.pivot_windows.get(n).cloned().flatten() {
                Some((c, secs)) => (
                    chrono::DateTime::parse_from_rfc3339(&c)
                        .ok()
                        .map(|c| c.with_timezone(&chrono::Utc)),
                    chrono::Duration::try_seconds(secs).unwrap_or(self.settings.around),
                ),
                None => (None, self.settings.around),
            };
            self.pivots.open(&self.records, e, center, around);
        }
        if !self.pivots.history.is_empty() {
            self.pivots.at = saved.pivot_at.min(self.pivots.history.len() - 1);
            self.pivots.active = saved.pivot_active;
            self.focus = Focus::Records;
            // The pivot shown scans its window again; the others when they are shown.
            self.scan_if_new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_session_reads_back_and_a_broken_one_says_so() {
        let dir = std::env::temp_dir().join(format!("trawl-resume-{}", std::process::id()));
        let path = dir.join("s/session.json");
        let s = Saved {
            sources: vec!["./lake".into()],
            load: Some(SavedLoad {
                source: 0,
                prefix: "AWSLogs/".into(),
                object: None,
            }),
            filter: "sev:>=7".into(),
            pivots: vec!["ip:203.0.113.66".into()],
            pivot_active: true,
            bookmarks: vec![("s3://b/k".into(), 3)],
            ..Saved::default()
        };
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), Some(s));
        assert_eq!(load(&dir.join("none.json")).unwrap(), None);
        std::fs::write(&path, "{oops").unwrap();
        assert!(load(&path).unwrap_err().contains("not a saved session"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_session_is_private_and_stores_strings_escaped() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trawl/session.json");
        let s = Saved {
            filter: "user:ad\u{9b}2Jmin".into(),
            bookmarks: vec![("s3://b/x\u{202e}gpj.exe\u{200b}".into(), 1)],
            ..Saved::default()
        };
        save(&path, &s).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains(['\u{9b}', '\u{202e}', '\u{200b}']), "{text}");
        assert_eq!(load(&path).unwrap(), Some(s));
    }
}
