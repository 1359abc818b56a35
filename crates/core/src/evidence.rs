//! Evidence export: the records a list or a pivot shows, written to a file that stands on its own
//! in a case folder. Each record carries the object it came from (with the ETag, size and time
//! the listing gave), its line, element or row in that object, and the query or window that
//! found it; a `sha256sum`-style companion file fixes the file's content.
//!
//! The original record is written as JSON, never re-summarized: what the export holds is what
//! the object held. A CloudTrail record whose object was verified (`crate::verify`) also carries
//! the object's integrity status, the digest that lists it and that digest's key fingerprint.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::private_file;
use crate::record::{Record, RecordKind};
use crate::source::ObjectMeta;
use crate::text::{csv_field, detail_cells, record_head, record_line, summary_cells};
use crate::verify::Status;
/// What verification said of each object, written beside its records (made by
/// `verify::Report::integrities`; defined there so that verify needs nothing of the export).
pub use crate::verify::{Integrities, Integrity};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    /// CSV for a `.csv` name, JSON Lines otherwise.
    pub fn for_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::Jsonl,
        }
    }
}

/// What produced the records: written beside each one, so a line cut from the file still says.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The filter or pivot, as the user gave it (`pivot ip:203.0.113.66`, `filter sev:>=7`).
    pub query: String,
    /// The time window or partition read (`s3://bucket/AWSLogs/.../2024/05/02/`).
    pub window: String,
}

/// What the listing said of each object, by the URI records name it with.
pub type Objects = HashMap<Arc<str>, ObjectMeta>;

/// How many exported CloudTrail records had each integrity status, and how many were not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityCounts {
    pub by_status: BTreeMap<Status, usize>,
    pub unchecked: usize,
}

impl IntegrityCounts {
    /// `CloudTrail integrity: 40 valid, 1 tampered, 3 not checked`; `None` without CloudTrail records.
    pub fn summary(&self) -> Option<String> {
        let mut parts: Vec<String> = self
            .by_status
            .iter()
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        if self.unchecked > 0 {
            parts.push(format!("{} not checked", self.unchecked));
        }
        (!parts.is_empty()).then(|| format!("CloudTrail integrity: {}", parts.join(", ")))
    }
}

/// The file written and what fixes it.
#[derive(Debug, Clone)]
pub struct Written {
    pub path: PathBuf,
    pub records: usize,
    pub sha256: String,
    /// `<path>.sha256`, in the form `sha256sum -c` checks.
    pub checksum_path: PathBuf,
    /// The CloudTrail records by their object's integrity status.
    pub integrity: IntegrityCounts,
}

/// Columns are only ever added at the end: scripts read the others by position.
const CSV_COLUMNS: [&str; 21] = [
    "object",
    "etag",
    "version_id",
    "last_modified",
    "position",
    "source",
    "time",
    "account",
    "region",
    "event",
    "severity",
    "principal",
    "ip",
    "query",
    "window",
    "record",
    "error",
    "resource",
    "integrity",
    "digest",
    "fingerprint",
];

/// A writer that hashes what it writes.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// One record's evidence line (JSON Lines): the command line's record form plus provenance,
/// the record itself last so the provenance reads first on a long line.
pub fn evidence_line(r: &Record, meta: Option<&ObjectMeta>, ctx: &Context) -> String {
    line(r, meta, None, ctx)
}

fn line(
    r: &Record,
    meta: Option<&ObjectMeta>,
    integrity: Option<&Integrity>,
    ctx: &Context,
) -> String {
    let mut v = record_head(r);
    let o = v.as_object_mut().expect("record_head is an object");
    o.insert("etag".into(), json!(meta.and_then(|m| m.etag.as_deref())));
    o.insert("version_id".into(), Value::Null);
    o.insert(
        "last_modified".into(),
        json!(meta.and_then(|m| m.last_modified.as_deref())),
    );
    o.insert("size".into(), json!(meta.and_then(|m| m.size)));
    o.insert("position".into(), json!(r.origin.position));
    o.insert("query".into(), json!(ctx.query));
    o.insert("window".into(), json!(ctx.window));
    if let Some(i) = integrity {
        o.insert(
            "integrity".into(),
            json!({"status": i.status, "digest": i.digest, "fingerprint": i.fingerprint}),
        );
    }
    record_line(&v, r)
}

fn csv_row(
    r: &Record,
    meta: Option<&ObjectMeta>,
    integrity: Option<&Integrity>,
    ctx: &Context,
) -> String {
    let mut fields = vec![
        r.origin.object.to_string(),
        meta.and_then(|m| m.etag.clone()).unwrap_or_default(),
        String::new(),
        meta.and_then(|m| m.last_modified.clone())
            .unwrap_or_default(),
        r.origin.position.to_string(),
        r.kind.as_str().to_string(),
        r.time_string().unwrap_or_default(),
    ];
    fields.extend(summary_cells(r));
    fields.extend([ctx.query.clone(), ctx.window.clone(), r.raw.to_string()]);
    fields.extend(detail_cells(r));
    fields.extend([
        integrity.map_or(String::new(), |i| i.status.to_string()),
        integrity.and_then(|i| i.digest.clone()).unwrap_or_default(),
        integrity
            .and_then(|i| i.fingerprint.clone())
            .unwrap_or_default(),
    ]);
    let cells: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    cells.join(",")
}

/// Writes `records` to `path` (JSON Lines, or CSV for a `.csv` name) and its SHA-256 beside it.
/// The file is written under a temporary name and linked into place, so a failure leaves no half
/// file; neither it nor the checksum ever replaces a file, and a link placed at either name is
/// refused, never written through. The file is the owner's only; the checksum as the umask
/// allows, at most 0644.
pub fn export<'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a Record>,
    objects: &Objects,
    ctx: &Context,
) -> io::Result<Written> {
    export_with(path, records, objects, &Integrities::new(), ctx)
}

/// [`export`], each CloudTrail record with its object's integrity when `integrity` knows it.
pub fn export_with<'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a Record>,
    objects: &Objects,
    integrity: &Integrities,
    ctx: &Context,
) -> io::Result<Written> {
    let format = Format::for_path(path);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?
        .to_string_lossy()
        .into_owned();
    // Created new (never through a link placed at the name), the owner's only: evidence can
    // hold credentials and personal data.
    let tmp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
    let file = private_file::create_new(&tmp, private_file::PRIVATE)?;
    let mut out = Hashing {
        inner: BufWriter::new(file),
        hash: Sha256::new(),
    };
    let mut n = 0;
    let mut counts = IntegrityCounts::default();
    let result = (|| {
        if format == Format::Csv {
            writeln!(out, "{}", CSV_COLUMNS.join(","))?;
        }
        for r in records {
            let meta = objects.get(&r.origin.object);
            let checked = integrity.get(&r.origin.object);
            if r.kind == RecordKind::CloudTrail {
                match checked {
                    Some(i) => *counts.by_status.entry(i.status).or_default() += 1,
                    None => counts.unchecked += 1,
                }
            }
            match format {
                Format::Jsonl => {
                    // `\u` escapes for control and bidi characters are the same JSON text, and
                    // keep the file safe to `cat` on a terminal.
                    writeln!(out, "{}", line(r, meta, checked, ctx))?;
                }
                Format::Csv => writeln!(out, "{}", csv_row(r, meta, checked, ctx))?,
            }
            n += 1;
        }
        out.flush()?;
        out.inner.get_ref().sync_all()
    })();
    // The checksum's name is taken before the file is put in place, so that neither replaces
    // anything and a refusal leaves nothing behind.
    let checksum_path = path.with_file_name(format!("{name}.sha256"));
    let checksum =
        result.and_then(|()| private_file::create_new(&checksum_path, private_file::SHARED));
    let mut checksum = match checksum {
        Ok(f) => f,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    if let Err(e) = private_file::publish(&tmp, path) {
        let _ = std::fs::remove_file(&checksum_path);
        return Err(e);
    }
    let sha256: String = out
        .hash
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    checksum.write_all(format!("{sha256}  {name}\n").as_bytes())?;
    checksum.sync_all()?;
    Ok(Written {
        path: path.to_path_buf(),
        records: n,
        sha256,
        checksum_path,
        integrity: counts,
    })
}

/// A file name that does not exist yet in `dir`: `trawl-<what>-<UTC time>.<ext>`.
pub fn default_path(dir: &Path, what: &str, ext: &str) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let safe: String = what
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let base = format!("trawl-{safe}-{stamp}");
    let mut p = dir.join(format!("{base}.{ext}"));
    let mut i = 2;
    while p.symlink_metadata().is_ok() {
        p = dir.join(format!("{base}-{i}.{ext}"));
        i += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;

    fn rec(object: &str, position: u64) -> Record {
        let v: Value = serde_json::from_str(
            r#"{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","sourceIPAddress":"203.0.113.66","userAgent":"=HYPERLINK(\"x\")\u001b[31m"}"#,
        )
        .unwrap();
        Record::from_value(
            v,
            Origin {
                object: Arc::from(object),
                position,
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn jsonl_export_keeps_the_record_and_its_provenance_and_hashes_the_file() {
        let dir = std::env::temp_dir().join(format!("trawl-evidence-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.jsonl");
        let r = rec("s3://b/k.json.gz", 7);
        let mut objects = Objects::new();
        objects.insert(
            Arc::from("s3://b/k.json.gz"),
            ObjectMeta {
                key: "k.json.gz".into(),
                size: Some(10),
                etag: Some("\"abc\"".into()),
                last_modified: Some("2024-05-02T03:05:00Z".into()),
            },
        );
        let ctx = Context {
            query: "pivot ip:203.0.113.66".into(),
            window: "2024-05-02".into(),
        };
        let w = export(&path, [&r], &objects, &ctx).unwrap();
        assert_eq!(w.records, 1);
        let text = std::fs::read_to_string(&path).unwrap();
        let line: Value = serde_json::from_str(text.trim_end()).unwrap();
        assert_eq!(line["object"], "s3://b/k.json.gz");
        assert_eq!(line["etag"], "\"abc\"");
        assert_eq!(line["position"], 7);
        assert_eq!(line["query"], "pivot ip:203.0.113.66");
        // The attacker's bytes are kept exactly in the file.
        assert_eq!(line["record"], r.value());
        let want: String = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(w.sha256, want);
        assert_eq!(
            std::fs::read_to_string(&w.checksum_path).unwrap(),
            format!("{want}  out.jsonl\n")
        );

        let csv = dir.join("out.csv");
        export(&csv, [&r], &objects, &ctx).unwrap();
        let text = std::fs::read_to_string(&csv).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next().unwrap(), CSV_COLUMNS.join(","));
        let row = lines.next().unwrap();
        assert!(
            row.starts_with("s3://b/k.json.gz,\"\"\"abc\"\"\",,2024-05-02T03:05:00Z,7,cloudtrail,")
        );
        assert!(
            !row.contains('\u{1b}'),
            "no raw escape reaches a spreadsheet"
        );
        // A field that starts a formula reaches the spreadsheet as text.
        let mut formula = r.clone();
        formula.principal = Some("=HYPERLINK(\"http://evil\")".into());
        export(&dir.join("formula.csv"), [&formula], &objects, &ctx).unwrap();
        let text = std::fs::read_to_string(dir.join("formula.csv")).unwrap();
        assert!(
            text.contains(",\"'=HYPERLINK(\"\"http://evil\"\")\","),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn cloudtrail_records_carry_their_objects_integrity_and_the_export_counts_it() {
        let dir = std::env::temp_dir().join(format!("trawl-evidence-i-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (rec("s3://b/a.json.gz", 0), rec("s3://b/b.json.gz", 1));
        let mut integrity = Integrities::new();
        integrity.insert(
            Arc::from("s3://b/a.json.gz"),
            Integrity {
                status: Status::Tampered,
                digest: Some("s3://b/d.json.gz".into()),
                fingerprint: Some("31e8b5433410dfb61a9dc45cc65b22ff".into()),
            },
        );
        let ctx = Context::default();
        let path = dir.join("out.jsonl");
        let w = export_with(&path, [&a, &b], &Objects::new(), &integrity, &ctx).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["integrity"]["status"], "tampered");
        assert_eq!(lines[0]["integrity"]["digest"], "s3://b/d.json.gz");
        assert_eq!(
            lines[0]["integrity"]["fingerprint"],
            "31e8b5433410dfb61a9dc45cc65b22ff"
        );
        assert!(
            lines[1].get("integrity").is_none(),
            "nothing said when nothing is known"
        );
        assert_eq!(w.integrity.by_status[&Status::Tampered], 1);
        assert_eq!(w.integrity.unchecked, 1);
        assert_eq!(
            w.integrity.summary().unwrap(),
            "CloudTrail integrity: 1 tampered, 1 not checked"
        );
        let csv = dir.join("out.csv");
        export_with(&csv, [&a], &Objects::new(), &integrity, &ctx).unwrap();
        let row = std::fs::read_to_string(&csv).unwrap();
        // The integrity columns come last: columns are only ever added at the end.
        assert!(
            row.trim_end()
                .ends_with(",tampered,s3://b/d.json.gz,31e8b5433410dfb61a9dc45cc65b22ff"),
            "{row}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn export_never_writes_through_a_link_nor_over_a_file() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        let r = rec("s3://b/k.json.gz", 1);
        let ctx = Context::default();
        let path = dir.path().join("case.jsonl");
        let partial = dir
            .path()
            .join(format!(".case.jsonl.{}.partial", std::process::id()));
        let checksum = dir.path().join("case.jsonl.sha256");
        let leftovers = |want: usize| {
            let n = std::fs::read_dir(dir.path()).unwrap().count();
            assert_eq!(
                n,
                want,
                "{:?}",
                std::fs::read_dir(dir.path()).unwrap().collect::<Vec<_>>()
            );
        };

        // A link at the temporary name, at the checksum's, at the file's: each refused.
        for link in [&partial, &checksum, &path] {
            symlink(&victim, link).unwrap();
            let e = export(&path, [&r], &Objects::new(), &ctx).unwrap_err();
            assert!(e.to_string().contains("never overwritten"), "{e}");
            assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep");
            leftovers(2);
            std::fs::remove_file(link).unwrap();
        }
        // A regular checksum file already there is not overwritten either, and no export is left.
        std::fs::write(&checksum, "mine").unwrap();
        assert!(export(&path, [&r], &Objects::new(), &ctx).is_err());
        assert_eq!(std::fs::read_to_string(&checksum).unwrap(), "mine");
        assert!(!path.exists());
        std::fs::remove_file(&checksum).unwrap();

        // The evidence is the owner's only; the checksum at most 0644.
        export(&path, [&r], &Objects::new(), &ctx).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&checksum) & !0o644, 0);
        leftovers(3);
    }

    #[test]
    fn default_names_do_not_overwrite() {
        let dir = std::env::temp_dir().join(format!("trawl-evidence-n-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = default_path(&dir, "pivot ip:1.2.3.4", "jsonl");
        std::fs::write(&a, "").unwrap();
        let b = default_path(&dir, "pivot ip:1.2.3.4", "jsonl");
        assert_ne!(a, b);
        assert!(a
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("trawl-pivot-ip-1.2.3.4-"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
