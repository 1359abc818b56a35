//! Resumable sessions: what the investigator had open (the sources, the partition read, the
//! filter and order, the pivot history, the bookmarks) is saved as it changes, so a dropped SSH
//! connection costs nothing: `trawl --resume` opens it all again. Records are not saved; they are
//! read again from their objects.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
    /// The record each pivot's cursor was on: object and position.
    pub pivot_selected: Vec<Option<(String, u64)>>,
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
    pub(crate) last: Option<Saved>,
    /// Pivots wait for their partition's load to start.
    pub(crate) pending: Option<Saved>,
    /// The last partition read to its end. A partition is saved only once read: when reading
    /// one brings trawl down, `--resume` starts without it instead of failing at it again.
    pub(crate) read: Option<SavedLoad>,
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
