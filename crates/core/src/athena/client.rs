//! Runs one SQL statement on Athena: StartQueryExecution, GetQueryExecution polled with backoff,
//! GetQueryResults paged (1000 rows a page; the header is row 0 of the first page only), and
//! StopQueryExecution when the caller cancels. Throttled calls are retried after a pause.

use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_athena::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_athena::types::{QueryExecutionContext, QueryExecutionState, ResultConfiguration};
use aws_sdk_athena::Client;

/// Where and how a statement runs; `None` leaves it to the workgroup.
#[derive(Debug, Clone, Default)]
pub struct QueryRequest {
    pub sql: String,
    pub database: Option<String>,
    pub catalog: Option<String>,
    pub workgroup: Option<String>,
    pub output_location: Option<String>,
}

/// How often to poll, and how to wait out throttling.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub first: Duration,
    pub max: Duration,
    pub factor: f64,
    /// Throttled calls are tried again this many times before the query is given up.
    pub throttle_retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            first: Duration::from_millis(250),
            max: Duration::from_secs(5),
            factor: 1.6,
            throttle_retries: 8,
        }
    }
}

impl Backoff {
    fn next(&self, d: Duration) -> Duration {
        d.mul_f64(self.factor).min(self.max)
    }
}

/// The query's state as it was last seen.
#[derive(Debug, Clone)]
pub struct Progress {
    pub id: String,
    pub state: String,
    pub elapsed: Duration,
    pub scanned_bytes: u64,
}

#[derive(Debug, Clone)]
pub struct QueryResult {
    pub id: String,
    pub elapsed: Duration,
    pub scanned_bytes: u64,
    pub columns: Vec<String>,
    /// Data rows only (the header is not among them); NULL cells are `None`.
    pub rows: Vec<Vec<Option<String>>>,
    pub pages: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("query {id} {state}: {reason}")]
    Failed {
        id: String,
        state: String,
        reason: String,
        scanned_bytes: u64,
    },
    #[error("query {id} cancelled")]
    Cancelled { id: String, scanned_bytes: u64 },
    #[error("{0}")]
    Api(String),
}

fn is_throttle<E: ProvideErrorMetadata>(
    e: &SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> bool {
    let status = e.raw_response().map(|r| r.status().as_u16());
    status == Some(429)
        || matches!(
            e.code(),
            Some(
                "ThrottlingException"
                    | "TooManyRequestsException"
                    | "Throttling"
                    | "RequestLimitExceeded"
            )
        )
}

/// One API call, tried again after a growing pause while Athena says it is throttled.
async fn call<T, E, F, Fut>(what: &str, backoff: &Backoff, mut f: F) -> Result<T, QueryError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, aws_smithy_runtime_api::http::Response>>>,
{
    let mut pause = backoff.first;
    let mut tries = 0;
    loop {
        match f().await {
            Ok(v) => return Ok(v),
            Err(e) if is_throttle(&e) && tries < backoff.throttle_retries => {
                tries += 1;
                tokio::time::sleep(pause).await;
                pause = backoff.next(pause);
            }
            Err(e) => {
                let detail = match (e.code(), e.message()) {
                    (Some(c), Some(m)) => format!("{c}: {m}"),
                    (Some(c), None) => c.to_string(),
                    _ => DisplayErrorContext(&e).to_string(),
                };
                return Err(QueryError::Api(format!(
                    "Athena {what}: {}",
                    crate::source::credential_free(detail)
                )));
            }
        }
    }
}

/// The result location to send with a query: the request's only when the workgroup sets none
/// (GetWorkGroup tells; a workgroup's own location, or its managed results, win, and sending
/// another would override a location that is not enforced). When the workgroup cannot be read
/// (no `athena:GetWorkGroup`), the request's is sent, as before.
async fn output_location_to_send(
    client: &Client,
    req: &QueryRequest,
    backoff: &Backoff,
) -> Option<String> {
    let ours = req.output_location.as_ref()?;
    let name = req.workgroup.as_deref().unwrap_or("primary");
    let got = call("GetWorkGroup", backoff, || {
        client.get_work_group().work_group(name).send()
    })
    .await;
    let Ok(got) = got else {
        return Some(ours.clone());
    };
    let conf = got.work_group().and_then(|w| w.configuration());
    let own = conf
        .and_then(|c| c.result_configuration())
        .and_then(|r| r.output_location())
        .is_some_and(|o| !o.is_empty());
    let managed = conf
        .and_then(|c| c.managed_query_results_configuration())
        .is_some_and(|m| m.enabled());
    (!own && !managed).then(|| ours.clone())
}

/// Runs `req` to completion, calling `progress` on each change of state. When `cancel`
/// completes first, the query is stopped with StopQueryExecution.
pub async fn run_query<C>(
    client: &Client,
    req: &QueryRequest,
    backoff: &Backoff,
    cancel: C,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<QueryResult, QueryError>
where
    C: Future<Output = ()>,
{
    let started = Instant::now();
    tokio::pin!(cancel);
    let output_location = output_location_to_send(client, req, backoff).await;
    let start = tokio::select! {
        biased;
        _ = &mut cancel => return Err(QueryError::Cancelled { id: String::new(), scanned_bytes: 0 }),
        r = call("StartQueryExecution", backoff, || {
            let mut b = client.start_query_execution().query_string(&req.sql);
            if req.database.is_some() || req.catalog.is_some() {
                b = b.query_execution_context(
                    QueryExecutionContext::builder()
                        .set_database(req.database.clone())
                        .set_catalog(req.catalog.clone())
                        .build(),
                );
            }
            if let Some(o) = &output_location {
                b = b.result_configuration(ResultConfiguration::builder().output_location(o).build());
            }
            b.set_work_group(req.workgroup.clone()).send()
        }) => r?,
    };
    let id = start
        .query_execution_id()
        .ok_or_else(|| QueryError::Api("Athena StartQueryExecution returned no id".into()))?
        .to_string();
    let mut last_state = String::new();
    let mut pause = backoff.first;
    let scanned;
    loop {
        let got = tokio::select! {
            biased;
            _ = &mut cancel => return Err(stop(client, backoff, &id, started, progress).await),
            r = call("GetQueryExecution", backoff, || client.get_query_execution().query_execution_id(&id).send()) => r?,
        };
        let exec = got.query_execution();
        let status = exec.and_then(|e| e.status());
        let state = status.and_then(|s| s.state()).cloned();
        let bytes = exec
            .and_then(|e| e.statistics())
            .and_then(|s| s.data_scanned_in_bytes())
            .unwrap_or(0)
            .max(0) as u64;
        let name = state.as_ref().map_or("UNKNOWN", |s| s.as_str()).to_string();
        if name != last_state {
            progress(&Progress {
                id: id.clone(),
                state: name.clone(),
                elapsed: started.elapsed(),
                scanned_bytes: bytes,
            });
            last_state = name.clone();
        }
        match state {
            Some(QueryExecutionState::Succeeded) => {
                scanned = bytes;
                break;
            }
            Some(QueryExecutionState::Failed) | Some(QueryExecutionState::Cancelled) => {
                let reason = status
                    .and_then(|s| s.state_change_reason())
                    .or_else(|| {
                        status
                            .and_then(|s| s.athena_error())
                            .and_then(|e| e.error_message())
                    })
                    .unwrap_or("no reason given")
                    .to_string();
                return Err(QueryError::Failed {
                    id,
                    state: name,
                    reason,
                    scanned_bytes: bytes,
                });
            }
            _ => {}
        }
        tokio::select! {
            biased;
            _ = &mut cancel => return Err(stop(client, backoff, &id, started, progress).await),
            _ = tokio::time::sleep(pause) => {}
        }
        pause = backoff.next(pause);
    }
    let (columns, rows, pages) = fetch_rows(client, backoff, &id).await?;
    Ok(QueryResult {
        id,
        elapsed: started.elapsed(),
        scanned_bytes: scanned,
        columns,
        rows,
        pages,
    })
}

/// Stops the query and reports the state it ended in.
async fn stop(
    client: &Client,
    backoff: &Backoff,
    id: &str,
    started: Instant,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> QueryError {
    if let Err(e) = call("StopQueryExecution", backoff, || {
        client.stop_query_execution().query_execution_id(id).send()
    })
    .await
    {
        return e;
    }
    let mut scanned_bytes = 0;
    if let Ok(got) = call("GetQueryExecution", backoff, || {
        client.get_query_execution().query_execution_id(id).send()
    })
    .await
    {
        let exec = got.query_execution();
        scanned_bytes = exec
            .and_then(|e| e.statistics())
            .and_then(|s| s.data_scanned_in_bytes())
            .unwrap_or(0)
            .max(0) as u64;
        let state = exec
            .and_then(|e| e.status())
            .and_then(|s| s.state())
            .map_or("UNKNOWN", |s| s.as_str());
        progress(&Progress {
            id: id.to_string(),
            state: state.to_string(),
            elapsed: started.elapsed(),
            scanned_bytes,
        });
    }
    QueryError::Cancelled {
        id: id.to_string(),
        scanned_bytes,
    }
}

type Rows = Vec<Vec<Option<String>>>;

/// Every result row, page after page. Row 0 of the first page repeats the column names: it is
/// dropped there, and only there (a later page's first row is data).
async fn fetch_rows(
    client: &Client,
    backoff: &Backoff,
    id: &str,
) -> Result<(Vec<String>, Rows, usize), QueryError> {
    let mut columns = Vec::new();
    let mut rows = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let out = call("GetQueryResults", backoff, || {
            client
                .get_query_results()
                .query_execution_id(id)
                .max_results(1000)
                .set_next_token(token.clone())
                .send()
        })
        .await?;
        pages += 1;
        let Some(set) = out.result_set() else { break };
        if pages == 1 {
            columns = set
                .result_set_metadata()
                .map(|m| {
                    m.column_info()
                        .iter()
                        .map(|c| c.name().to_string())
                        .collect()
                })
                .unwrap_or_default();
        }
        for (i, row) in set.rows().iter().enumerate() {
            let cells: Vec<Option<String>> = row
                .data()
                .iter()
                .map(|d| d.var_char_value().map(str::to_string))
                .collect();
            let is_header = pages == 1
                && i == 0
                && !columns.is_empty()
                && cells.len() == columns.len()
                && cells
                    .iter()
                    .zip(&columns)
                    .all(|(c, n)| c.as_deref() == Some(n.as_str()));
            if !is_header {
                rows.push(cells);
            }
        }
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    Ok((columns, rows, pages))
}
