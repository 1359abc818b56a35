//! `trawl records`: every record in scope, narrowed by `--where QUERY` (the screen's query
//! language) or counted by `--count FIELD`; a window that holds nothing says which days the
//! sources do hold.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{
    expand_workspaces, format_or_default, incomplete, load_sources_narrowed, print_records,
    Filters, Global, UsageError,
};
use crate::count;
use crate::load::Keep;
use crate::output::{self, Format};
use crate::query::{Field, Query};
use crate::record::{self, RecordKind};
use crate::scope::Scope;
use crate::walk;

/// Slices of the time span a count's histograms divide.
const HISTOGRAM_SLICES: usize = 24;

/// What `trawl records` was asked besides its sources.
pub struct Ask {
    pub format: Option<Format>,
    pub filters: Filters,
    pub query: Option<String>,
    pub count: Option<String>,
}

/// A `--where` query; a query that cannot be read is bad usage, with where it went wrong.
pub fn parse_where(text: Option<&str>) -> anyhow::Result<Option<Query>> {
    let Some(text) = text else { return Ok(None) };
    let q = Query::parse(text).map_err(|e| UsageError(format!("--where: {e}")))?;
    Ok((!q.is_empty()).then_some(q))
}

pub async fn run(global: &Global, ask: Ask, sources: Vec<String>) -> anyhow::Result<()> {
    let query = parse_where(ask.query.as_deref())?;
    let field = ask
        .count
        .as_deref()
        .map(|name| Field::parse(name).map_err(|e| UsageError(format!("--count: {e}"))))
        .transpose()?;
    let scope = ask.filters.scope()?;
    let sources = expand_workspaces(sources)?;
    // Records in the window, before the query: an empty answer says which was empty.
    let in_window = Arc::new(AtomicUsize::new(0));
    let narrow = query.clone().map(|q| {
        let seen = in_window.clone();
        // GuardDuty findings are all kept until the newest export of each is known; the query
        // then applies to that one, as it would to the records printed without a query.
        let keep: Keep = Arc::new(move |r: &record::Record| {
            seen.fetch_add(1, Ordering::Relaxed);
            r.kind == RecordKind::GuardDuty || q.matches(r)
        });
        (keep, None)
    });
    let mut loaded = load_sources_narrowed(global, &sources, &scope, narrow).await?;
    let in_window = match &query {
        Some(q) => {
            loaded.records.retain(|r| q.matches(r));
            in_window.load(Ordering::Relaxed)
        }
        None => loaded.records.len(),
    };
    if loaded.records.is_empty() {
        if in_window > 0 {
            eprintln!("trawl: no records match --where ({in_window} in the window)");
        } else if scope.since.is_some() || scope.until.is_some() {
            let held = walk::days_held(&loaded.sources, &scope, 16).await;
            eprintln!("trawl: {}", empty_window(&scope, held));
        }
    }
    match field {
        Some(field) => {
            let counts = count::top_values(&loaded.records, &field, HISTOGRAM_SLICES);
            let stdout = std::io::stdout();
            let cut = stdout.is_terminal();
            let out = std::io::BufWriter::new(stdout.lock());
            match output::write_counts(out, &counts, format_or_default(ask.format), cut) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
                _ => {}
            }
        }
        None => print_records(&loaded.records, ask.format)?,
    }
    incomplete(&loaded)
}

/// `no records between A and B; the sources hold D1..D2`.
fn empty_window(scope: &Scope, held: Option<(String, String)>) -> String {
    let t = |t: &chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut msg = match (&scope.since, &scope.until) {
        (Some(a), Some(b)) => format!("no records between {} and {}", t(a), t(b)),
        (Some(a), None) => format!("no records since {}", t(a)),
        (None, Some(b)) => format!("no records until {}", t(b)),
        (None, None) => "no records".to_string(),
    };
    match held {
        Some((first, last)) if first == last => {
            msg.push_str(&format!("; the sources hold {first}"))
        }
        Some((first, last)) => msg.push_str(&format!("; the sources hold {first}..{last}")),
        None => {}
    }
    msg
}
