//! Runs a planned pivot on Athena: each query in turn, its rows turned back into records, the
//! exact entity match made again in Rust, re-exported findings reduced to the newest, the whole
//! in time order. The command line and the screen both run pivots through here.

use tokio_util::sync::CancellationToken;

use super::client::{self, Backoff, Progress, QueryError, QueryRequest, QueryResult};
use super::cost;
use super::pivot::PivotQuery;
use super::results;
use crate::entity::{self, Entity};
use crate::record::{self, Record};
use crate::scope::Scope;

/// What a pivot's queries found, and what they cost.
#[derive(Debug, Default)]
pub struct PivotRun {
    pub records: Vec<Record>,
    pub scanned_bytes: u64,
    /// Each query is billed on its own, its minimum included.
    pub usd: f64,
    /// Rows that held no record, with why (`query <id>: row 3: not JSON`).
    pub skipped: Vec<String>,
    pub query_ids: Vec<String>,
}

/// What happens while a pivot runs, for whoever shows it.
pub enum Event<'a> {
    Started(&'a PivotQuery),
    Progress(&'a Progress),
    Finished(&'a QueryResult),
}

/// Runs `queries` where `base` says (database, workgroup, output); `cancel` stops the query
/// running (StopQueryExecution) and the rest are not started.
pub async fn run_pivot(
    client: &aws_sdk_athena::Client,
    queries: &[PivotQuery],
    base: &QueryRequest,
    target: &Entity,
    scope: &Scope,
    cancel: &CancellationToken,
    on: &mut (dyn FnMut(Event<'_>) + Send),
) -> Result<PivotRun, QueryError> {
    let mut out = PivotRun::default();
    for q in queries {
        on(Event::Started(q));
        let req = QueryRequest {
            sql: q.sql.clone(),
            ..base.clone()
        };
        let mut progress = |p: &Progress| on(Event::Progress(p));
        let result = client::run_query(
            client,
            &req,
            &Backoff::default(),
            cancel.cancelled(),
            &mut progress,
        )
        .await?;
        on(Event::Finished(&result));
        out.scanned_bytes += result.scanned_bytes;
        out.usd += cost::usd(result.scanned_bytes);
        out.query_ids.push(result.id.clone());
        let Some(converted) = results::records_from_rows(&result.id, &result.columns, &result.rows)
        else {
            return Err(QueryError::Api(format!(
                "query {} returned no record column",
                result.id
            )));
        };
        out.skipped.extend(
            converted
                .skipped
                .iter()
                .map(|s| format!("query {}: {s}", result.id)),
        );
        out.records.extend(converted.records);
    }
    // SQL narrows; the exact match is the same as a local pivot's.
    out.records.retain(|r: &Record| {
        scope.admits(r) && r.entities.iter().any(|e| entity::matches(target, e))
    });
    record::keep_newest_findings(&mut out.records);
    record::sort_timeline(&mut out.records);
    Ok(out)
}
