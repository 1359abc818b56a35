//! Files trawl writes for the user (evidence, the saved session, a copy too big for the
//! clipboard), created so that nothing placed beforehand is written through or replaced: a new
//! file is created exclusively (a symlink or a file already at the name is an error, never
//! followed), readable by its owner only unless asked otherwise, and put in place by a link that
//! refuses to replace what is there.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Owner only.
pub const PRIVATE: u32 = 0o600;
/// Readable by all, as far as the umask allows: for what holds no secret (a checksum).
pub const SHARED: u32 = 0o644;

/// Creates `path`, which must not exist (not even as a dangling symlink), with `mode` less the
/// umask.
pub fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => io::Error::new(
                e.kind(),
                format!("{} already exists: never overwritten", path.display()),
            ),
            _ => io::Error::new(e.kind(), format!("{}: {e}", path.display())),
        })
}

/// Gives the finished file `tmp` its name `path`, refusing to replace anything already there
/// (a hard link fails on an existing name, a symlink included); `tmp` is gone afterwards.
pub fn publish(tmp: &Path, path: &Path) -> io::Result<()> {
    let linked = std::fs::hard_link(tmp, path);
    let _ = std::fs::remove_file(tmp);
    linked.map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => io::Error::new(
            e.kind(),
            format!("{} already exists: never overwritten", path.display()),
        ),
        _ => io::Error::new(e.kind(), format!("{}: {e}", path.display())),
    })
}

/// Creates `dir` and its missing parents, readable by the owner only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// The user's own folder for files of the running session: `$XDG_RUNTIME_DIR` (private by
/// specification), else trawl's state folder (`$XDG_STATE_HOME/trawl`,
/// `~/.local/state/trawl`), never a shared `/tmp`.
pub fn runtime_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    state_dir()
}

/// `$XDG_STATE_HOME/trawl`, else `~/.local/state/trawl`.
pub fn state_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_STATE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .map(|d| d.join("trawl"))
}

/// Writes `text` to a file of its own named `name` in `dir` (created private when missing),
/// owner-only. What was at that name is removed first (a link is removed, never followed).
pub fn write_private(dir: &Path, name: &str, text: &[u8]) -> io::Result<PathBuf> {
    create_private_dir(dir)?;
    let path = dir.join(name);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = create_new(&path, PRIVATE)?;
    f.write_all(text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_placed_symlink_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let link = dir.path().join("new");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        let e = create_new(&link, PRIVATE).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{e}");
        assert!(e.to_string().contains("never overwritten"), "{e}");
        // publish refuses the name too, and leaves nothing behind.
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, "new").unwrap();
        assert!(publish(&tmp, &link).is_err());
        assert!(!tmp.exists());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn private_files_are_the_owners_only() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("state/trawl");
        let p = write_private(&sub, "copy.txt", b"secret").unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(mode(&sub), 0o700);
        // A link placed at the name is replaced by a file, its target untouched.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink(&victim, &p).unwrap();
        write_private(&sub, "copy.txt", b"again").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "again");
    }
}
