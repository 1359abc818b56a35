//! `trawl verify`: CloudTrail log file integrity validation of every CloudTrail object in scope,
//! one line per log and digest (JSON Lines, a table or CSV), and a summary on stderr. Exit 1 when
//! anything is tampered, deleted, not listed, badly signed, missing from the chain or unreadable.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;

use super::{expand_workspaces, warn, Filters, Global};
use crate::escape::{for_terminal, json_line};
use crate::output::{cell, csv_field, Format};
use crate::source;
use crate::verify::{self, Checked, CloudTrailKeys, KeyFiles, KeySource, ObjectKind, Status};

pub async fn run(
    global: &Global,
    format: Option<Format>,
    filters: &Filters,
    public_keys: &[PathBuf],
    sources: Vec<String>,
) -> anyhow::Result<()> {
    let scope = filters.scope()?;
    let sources = expand_workspaces(sources)?;
    let aws = global.aws();
    let opened = source::open_all(&sources, &aws).await?;
    let keys: Arc<dyn KeySource> = if public_keys.is_empty() {
        Arc::new(CloudTrailKeys::new(aws.load().await))
    } else {
        Arc::new(KeyFiles::load(public_keys).map_err(anyhow::Error::msg)?)
    };
    let opts = verify::Options {
        keys,
        limits: global.limits(),
        concurrency: global.concurrency,
    };
    let report = verify::verify_scope(&opened, &scope, &opts).await;
    for p in &report.problems {
        warn(p);
    }
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    match write_rows(&report.objects, format) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    for line in summary(&report) {
        eprintln!("{}", for_terminal(&line));
    }
    if report.objects.is_empty() {
        bail!("nothing verified: no CloudTrail log or digest in scope");
    }
    if report.failed() {
        let failing = report
            .objects
            .iter()
            .filter(|c| c.status.is_failure())
            .count();
        bail!(
            "{failing} objects failed verification and {} listings could not be read (see above)",
            report.problems.len()
        );
    }
    Ok(())
}

fn write_rows(rows: &[Checked], format: Format) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let o = |x: &Option<String>| x.clone().unwrap_or_default();
    match format {
        Format::Jsonl => {
            for c in rows {
                let v = serde_json::to_value(c).unwrap_or_default();
                writeln!(out, "{}", json_line(&v))?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:<20} {:<6} {:<12} {:<14} OBJECT  DETAIL",
                "STATUS", "KIND", "ACCOUNT", "REGION"
            )?;
            for c in rows {
                let mark = if c.status.is_failure() { "! " } else { "  " };
                writeln!(
                    out,
                    "{mark}{} {} {} {} {}  {}",
                    cell(c.status.as_str(), 18),
                    cell(c.kind.as_str(), 6),
                    cell(&o(&c.account), 12),
                    cell(&o(&c.region), 14),
                    for_terminal(&c.object),
                    for_terminal(&c.detail)
                )?;
            }
        }
        Format::Csv => {
            writeln!(
                out,
                "object,kind,status,account,region,digest,fingerprint,detail"
            )?;
            for c in rows {
                let fields = [
                    c.object.clone(),
                    c.kind.as_str().to_string(),
                    c.status.as_str().to_string(),
                    o(&c.account),
                    o(&c.region),
                    o(&c.digest),
                    o(&c.fingerprint),
                    c.detail.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    out.flush()
}

/// The counts, in words: `288 CloudTrail log objects: all valid`.
fn summary(report: &verify::Report) -> Vec<String> {
    let mut lines = Vec::new();
    for (kind, name) in [
        (ObjectKind::Log, "CloudTrail log objects"),
        (ObjectKind::Digest, "digests"),
    ] {
        let counts = report.counts(kind);
        let total: usize = counts.values().sum();
        if total == 0 {
            lines.push(format!("0 {name}"));
            continue;
        }
        if counts[&Status::Valid] == total {
            lines.push(format!("{total} {name}: all valid"));
            continue;
        }
        let parts: Vec<String> = counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{n} {}", s.label()))
            .collect();
        lines.push(format!("{total} {name}: {}", parts.join(", ")));
    }
    if report
        .objects
        .iter()
        .any(|c| c.kind == ObjectKind::Digest && c.status == Status::Unverifiable)
    {
        lines.push("the newest digest of a chain cannot be checked offline: its signature is in its S3 metadata (x-amz-meta-signature), which a local copy does not keep; verify the bucket itself to check it".to_string());
    }
    lines
}
