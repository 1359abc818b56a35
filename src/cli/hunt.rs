//! `trawl hunt`: every CloudTrail event a detection rule flags, with its hits, then one line per
//! rule (count, first and last seen, principals and IPs) on stderr, or on stdout with `--summary`.
//!
//! Rules are the built-in pack, the config file's `[detect] rules`, and each `--rules DIR`. A rule
//! file that cannot be used is a warning naming it; the hunt goes on with the others.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::json;

use super::{expand_workspaces, format_or_default, load_sources_narrowed, warn, Filters, Global};
use crate::config::Config;
use crate::detect::{Hit, Level, RuleSet, RuleSources};
use crate::escape::for_terminal;
use crate::output::{self, csv_field, Format};
use crate::record::{format_time, Record, RecordKind};

#[derive(Debug, Args)]
pub struct HuntArgs {
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    #[command(flatten)]
    pub filters: Filters,
    /// A folder (searched recursively for .yml/.yaml) or a file of Sigma rules for CloudTrail,
    /// used beside the built-in pack and `[detect] rules` (repeatable).
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Leave out the built-in rule pack.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// Only hits at this level or above: informational, low, medium, high, critical.
    #[arg(long, value_name = "LEVEL")]
    pub min_level: Option<Level>,
    /// Print only the per-rule summary, on stdout, in --format.
    #[arg(long)]
    pub summary: bool,
    /// s3://bucket[/prefix], a folder, one object, or @NAME (a workspace of the config file).
    #[arg(required = true)]
    pub sources: Vec<String>,
}

pub async fn run(global: &Global, args: HuntArgs) -> anyhow::Result<()> {
    let config = Config::load().map_err(|e| anyhow::anyhow!("config: {e}"))?;
    let mut paths = config.detect.rule_paths();
    paths.extend(args.rules.iter().cloned());
    let sources = RuleSources {
        builtin: !args.no_builtin_rules,
        paths,
    };
    let (rules, report) = tokio::task::spawn_blocking(move || RuleSet::load(&sources)).await?;
    for w in &report.warnings {
        warn(&format!("rule {w}"));
    }
    if rules.is_empty() {
        bail!(
            "no detection rules for CloudTrail to hunt with ({} rule files skipped, {} for other log sources)",
            report.warnings.len(),
            report.other_log_sources
        );
    }
    let rules = Arc::new(rules);
    let min = args.min_level.unwrap_or(Level::Informational);
    let hits = {
        let rules = rules.clone();
        move |r: &Record| -> Vec<Arc<Hit>> {
            let mut h = rules.evaluate(r);
            h.retain(|h| h.level >= min);
            h
        }
    };
    // Only flagged events are kept while loading; their hits are found again for them alone.
    let keep: crate::load::Keep = {
        let hits = hits.clone();
        Arc::new(move |r: &Record| r.kind == RecordKind::CloudTrail && !hits(r).is_empty())
    };
    let specs = expand_workspaces(args.sources)?;
    let mut loaded =
        load_sources_narrowed(global, &specs, &args.filters.scope()?, Some((keep, None))).await?;
    for r in &mut loaded.records {
        r.detections = hits(r);
    }
    let format = format_or_default(args.format);
    let summary = summarize(&loaded.records);
    let written = if args.summary {
        write_summary(std::io::stdout().lock(), &summary, format)
    } else {
        write_events(std::io::stdout().lock(), &loaded.records, format).and_then(|()| {
            eprintln!(
                "{} events flagged by {} of {} rules",
                loaded.records.len(),
                summary.len(),
                rules.len()
            );
            write_summary(std::io::stderr().lock(), &summary, Format::Table)
        })
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    if loaded.failed_objects > 0 || loaded.failed_listings > 0 {
        bail!(
            "{} of {} objects and {} folder listings could not be read completely (see warnings)",
            loaded.failed_objects,
            loaded.objects,
            loaded.failed_listings
        );
    }
    Ok(())
}

/// The `detections` value of a record's JSON line.
fn detections_json(r: &Record) -> serde_json::Value {
    let hits: Vec<&Hit> = r.detections.iter().map(|h| &**h).collect();
    serde_json::to_value(hits).unwrap_or_default()
}

/// The records' JSON line with `"detections"` after the other keys.
pub fn jsonl_line(r: &Record) -> String {
    let mut line = output::record_line(&output::record_head(r), r);
    line.pop();
    line.push_str(",\"detections\":");
    line.push_str(&for_terminal(&detections_json(r).to_string()));
    line.push('}');
    line
}

/// Cuts (by characters) and escapes one table cell.
fn cell(s: &str, width: usize) -> String {
    let safe = for_terminal(s);
    if safe.chars().count() <= width {
        format!("{safe:<width$}")
    } else {
        let mut t: String = safe.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn level_of(r: &Record) -> String {
    r.detections
        .first()
        .map(|h| h.level.to_string())
        .unwrap_or_default()
}

fn rule_titles(r: &Record) -> String {
    r.detections
        .iter()
        .map(|h| h.rule.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

fn write_events<W: Write>(out: W, records: &[Record], format: Format) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let o = |x: &Option<std::sync::Arc<str>>| x.as_deref().unwrap_or_default().to_string();
    match format {
        Format::Jsonl => {
            for r in records {
                writeln!(out, "{}", jsonl_line(r))?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:<24} {:<13} {:<48} {:<30} {:<44} {:<18} {:<12} REGION",
                "TIME", "LEVEL", "RULE", "EVENT", "PRINCIPAL", "IP", "ACCOUNT"
            )?;
            for r in records {
                writeln!(
                    out,
                    "{} {} {} {} {} {} {} {}",
                    cell(&r.time_string().unwrap_or_default(), 24),
                    cell(&level_of(r), 13),
                    cell(&rule_titles(r), 48),
                    cell(&r.event, 30),
                    cell(&o(&r.principal), 44),
                    cell(&o(&r.ip), 18),
                    cell(&o(&r.account), 12),
                    for_terminal(&o(&r.region)),
                )?;
            }
        }
        Format::Csv => {
            writeln!(
                out,
                "time,level,rules,attack,account,region,event,severity,principal,ip,summary,object,position"
            )?;
            for r in records {
                let attack: Vec<&str> = r
                    .detections
                    .iter()
                    .flat_map(|h| h.attack.iter().map(String::as_str))
                    .collect();
                let mut fields = vec![
                    r.time_string().unwrap_or_default(),
                    level_of(r),
                    rule_titles(r),
                    attack.join(" "),
                ];
                fields.extend(output::summary_cells(r));
                fields.extend([
                    r.summary.clone(),
                    r.origin.object.to_string(),
                    r.origin.position.to_string(),
                ]);
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    out.flush()
}

/// What one rule found across the hunt.
#[derive(Debug)]
pub struct RuleSummary {
    pub hit: Arc<Hit>,
    pub count: usize,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Distinct, in the order first seen.
    pub principals: Vec<String>,
    pub ips: Vec<String>,
}

/// One summary per rule that fired, highest level first, then most events.
pub fn summarize(records: &[Record]) -> Vec<RuleSummary> {
    let mut by_rule: HashMap<*const Hit, RuleSummary> = HashMap::new();
    for r in records {
        for h in &r.detections {
            let s = by_rule
                .entry(Arc::as_ptr(h))
                .or_insert_with(|| RuleSummary {
                    hit: h.clone(),
                    count: 0,
                    first: None,
                    last: None,
                    principals: Vec::new(),
                    ips: Vec::new(),
                });
            s.count += 1;
            if let Some(t) = r.time {
                s.first = Some(s.first.map_or(t, |f| f.min(t)));
                s.last = Some(s.last.map_or(t, |l| l.max(t)));
            }
            let add = |list: &mut Vec<String>, v: &Option<std::sync::Arc<str>>| {
                if let Some(v) = v.as_deref() {
                    if !list.iter().any(|x| x == v) {
                        list.push(v.to_string());
                    }
                }
            };
            add(&mut s.principals, &r.principal);
            add(&mut s.ips, &r.ip);
        }
    }
    let mut out: Vec<RuleSummary> = by_rule.into_values().collect();
    out.sort_by(|a, b| {
        (b.hit.level, b.count, &a.hit.rule, &a.hit.file).cmp(&(
            a.hit.level,
            a.count,
            &b.hit.rule,
            &b.hit.file,
        ))
    });
    out
}

/// A few items of a list, then how many more.
fn some(items: &[String], n: usize) -> String {
    let mut s = items.iter().take(n).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > n {
        s.push_str(&format!(", +{} more", items.len() - n));
    }
    if s.is_empty() {
        s.push('-');
    }
    s
}

fn write_summary<W: Write>(out: W, summary: &[RuleSummary], format: Format) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let t = |t: &Option<DateTime<Utc>>| t.as_ref().map(format_time).unwrap_or_default();
    match format {
        Format::Jsonl => {
            for s in summary {
                let line = json!({
                    "rule": s.hit.rule,
                    "id": s.hit.id,
                    "level": s.hit.level,
                    "attack": s.hit.attack,
                    "file": s.hit.file,
                    "author": s.hit.author,
                    "count": s.count,
                    "first": s.first.as_ref().map(format_time),
                    "last": s.last.as_ref().map(format_time),
                    "principals": s.principals,
                    "ips": s.ips,
                });
                writeln!(out, "{}", for_terminal(&line.to_string()))?;
            }
        }
        Format::Table => {
            for s in summary {
                // Attribution, which the Detection Rule License of SigmaHQ's rules asks for.
                let author = if s.hit.author.is_empty() || s.hit.file.starts_with("builtin/") {
                    String::new()
                } else {
                    format!(", by {}", s.hit.author)
                };
                let line = format!(
                    "{:<13} {:>6}  {} .. {}  {} ({}{author}) [{}]  principals: {}  ips: {}",
                    s.hit.level,
                    s.count,
                    t(&s.first),
                    t(&s.last),
                    s.hit.rule,
                    s.hit.file,
                    s.hit.attack.join(" "),
                    some(&s.principals, 3),
                    some(&s.ips, 5),
                );
                writeln!(out, "{}", for_terminal(&line))?;
            }
        }
        Format::Csv => {
            writeln!(
                out,
                "level,count,first,last,rule,id,attack,file,author,principals,ips"
            )?;
            for s in summary {
                let fields = [
                    s.hit.level.to_string(),
                    s.count.to_string(),
                    t(&s.first),
                    t(&s.last),
                    s.hit.rule.clone(),
                    s.hit.id.clone(),
                    s.hit.attack.join(" "),
                    s.hit.file.clone(),
                    s.hit.author.clone(),
                    s.principals.join(" "),
                    s.ips.join(" "),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    out.flush()
}
