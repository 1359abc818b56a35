//! `a` in a pivot: the same pivot handed to Athena over a window wider than one machine should
//! read. The window is typed, the plan and an estimate of what it reads are shown, a window above
//! the byte budget asks first, and Esc stops the query running (StopQueryExecution). The records
//! Athena returns join the loaded ones, so the pivot timeline shows both.

use chrono::{DateTime, Duration, Utc};
use tokio_util::sync::CancellationToken;

use super::app::{App, Failure, Overlay};
use super::keymap::{Action, Context};
use crate::athena::client::QueryRequest;
use crate::athena::pivot::{self, PivotQuery};
use crate::athena::run::PivotRun;
use crate::config::AthenaConfig;
use crate::entity::Entity;
use crate::record::Record;
use crate::scope::{self, Scope};
use crate::source::AwsOptions;

/// Bytes a widened pivot may scan before trawl asks, unless `[athena] byte_budget` says.
pub const DEFAULT_BUDGET: u64 = 10 << 30;

/// What the screen needs to reach Athena, and what the last widening found.
pub struct AthenaSide {
    pub config: AthenaConfig,
    pub aws: AwsOptions,
    /// The default window (`[pivot] window`), centred on the pivot's records.
    pub window: Duration,
    /// The window and queries that added records to the pivot (for the title and exports).
    pub widened: Option<String>,
    pub(super) cancel: Option<CancellationToken>,
    pub(super) gen: u64,
}

impl Default for AthenaSide {
    fn default() -> Self {
        AthenaSide {
            config: AthenaConfig::default(),
            aws: AwsOptions::default(),
            window: Duration::days(7),
            widened: None,
            cancel: None,
            gen: 0,
        }
    }
}

impl AthenaSide {
    pub fn budget(&self) -> u64 {
        self.config.byte_budget.unwrap_or(DEFAULT_BUDGET)
    }
}

/// Why a widening brought nothing: stopped by the user, or failed.
#[derive(Debug)]
pub struct WidenError {
    pub cancelled: bool,
    pub message: String,
}

/// The plan of a widening: the queries and the window they read.
#[derive(Debug, Clone)]
pub struct Plan {
    pub queries: Vec<PivotQuery>,
    pub scope: Scope,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Objects and bytes under the opened sources in the window: what Athena's JSON tables over the
/// same buckets would read at most.
#[derive(Debug, Clone, Copy)]
pub struct Estimate {
    pub objects: usize,
    pub bytes: u64,
    pub unlisted: usize,
}

pub enum Stage {
    /// Typing the window; the error of the last Enter, if any.
    Window(Option<String>),
    Estimating(Plan),
    /// Above the byte budget: `y` runs it.
    Confirm(Plan, Estimate),
    Running {
        plan: Plan,
        estimate: Estimate,
        lines: Vec<String>,
    },
}

pub struct Widen {
    pub target: Entity,
    pub text: String,
    pub stage: Stage,
}

impl Widen {
    /// Where its keys are read: typing the window, else answering.
    pub(super) fn context(&self) -> Context {
        match self.stage {
            Stage::Window(_) => Context::Prompt,
            _ => Context::Question,
        }
    }
}

/// `FROM..TO` (days or RFC 3339), or a span back from now (`7d`).
pub fn parse_window(
    text: &str,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let (since, until) = match text.split_once("..") {
        Some((a, b)) => (
            scope::parse_time(a, now, false)?,
            scope::parse_time(b, now, true)?,
        ),
        None => (scope::parse_time(text, now, false)?, now),
    };
    if until < since {
        return Err("the window ends before it starts".into());
    }
    Ok((since, until))
}

/// The default window: `span` around the pivot's records, in whole days.
pub fn default_window(records: &[&Record], span: Duration) -> String {
    let times: Vec<DateTime<Utc>> = records.iter().filter_map(|r| r.time).collect();
    let half = Duration::days((span.num_days() / 2).max(1));
    let (first, last) = match (times.iter().min(), times.iter().max()) {
        // A record's time is the log's word: at the ends of the calendar, the window stops there.
        (Some(a), Some(b)) => (
            a.checked_sub_signed(half)
                .unwrap_or(DateTime::<Utc>::MIN_UTC),
            b.checked_add_signed(half)
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
        ),
        _ => return format!("{}d", span.num_days().max(1)),
    };
    format!("{}..{}", first.format("%Y-%m-%d"), last.format("%Y-%m-%d"))
}

impl App {
    /// `a`: opens the widening of the pivot shown, with the default window filled in.
    pub(super) fn open_widen(&mut self) {
        let Some(f) = self.pivots.current() else {
            self.message = Some("a widens a pivot: p on a record pivots first".into());
            return;
        };
        let recs: Vec<&Record> = f.records.iter().collect();
        let text = default_window(&recs, self.athena.window);
        self.overlay = Some(Overlay::Athena(Widen {
            target: f.target.clone(),
            text,
            stage: Stage::Window(None),
        }));
    }

    pub(super) fn widen_key(
        &mut self,
        mut w: Widen,
        action: Option<Action>,
        typed: Option<char>,
    ) -> Option<Overlay> {
        match (&mut w.stage, action) {
            (Stage::Running { .. }, Some(Action::Back)) => {
                if let Some(c) = &self.athena.cancel {
                    c.cancel();
                }
                self.message = Some("stopping the Athena query…".into());
            }
            (Stage::Running { .. }, _) => {}
            (Stage::Confirm(..), Some(Action::Confirm)) => {
                let Stage::Confirm(plan, estimate) =
                    std::mem::replace(&mut w.stage, Stage::Window(None))
                else {
                    unreachable!("matched above")
                };
                w.stage = self.start_run(&w.target, plan, estimate);
            }
            (Stage::Confirm(..) | Stage::Estimating(_), Some(Action::Back | Action::Deny)) => {
                self.athena.gen += 1;
                w.stage = Stage::Window(None);
            }
            (Stage::Confirm(..) | Stage::Estimating(_), _) => {}
            (Stage::Window(_), _) if typed.is_some() => w.text.extend(typed),
            (Stage::Window(_), Some(Action::Back)) => return None,
            (Stage::Window(_), Some(Action::Open)) => {
                w.stage = match self.plan(&w.target, &w.text) {
                    Ok(plan) => {
                        self.athena.gen += 1;
                        self.loader.estimate(self.athena.gen, plan.scope.clone());
                        Stage::Estimating(plan)
                    }
                    Err(e) => Stage::Window(Some(e)),
                }
            }
            (Stage::Window(_), Some(Action::DeleteChar)) => {
                w.text.pop();
            }
            (Stage::Window(_), Some(Action::ClearInput)) => w.text.clear(),
            _ => {}
        }
        Some(Overlay::Athena(w))
    }

    fn plan(&self, target: &Entity, text: &str) -> Result<Plan, String> {
        let (since, until) = parse_window(text, Utc::now())?;
        let tables = self.athena.config.tables();
        let mut scope = Scope {
            since: Some(since),
            until: Some(until),
            ..Scope::default()
        };
        let queries = pivot::plan(target, &scope, &tables).map_err(|e| e.to_string())?;
        // The estimate lists the kinds the queries read, and no other.
        scope.kinds = queries.iter().map(|q| q.kind).collect();
        scope.kinds.dedup();
        Ok(Plan {
            queries,
            scope,
            since,
            until,
        })
    }

    fn start_run(&mut self, target: &Entity, plan: Plan, estimate: Estimate) -> Stage {
        self.athena.gen += 1;
        let cancel = self.loader.token();
        self.athena.cancel = Some(cancel.clone());
        let base: QueryRequest = self.athena.config.request(String::new());
        self.loader.athena(
            self.athena.gen,
            self.athena.aws.clone(),
            plan.queries.clone(),
            base,
            target.clone(),
            plan.scope.clone(),
            cancel,
        );
        Stage::Running {
            plan,
            estimate,
            lines: Vec::new(),
        }
    }

    /// The estimate is in: run at once within the budget, else ask.
    pub(super) fn on_estimate(&mut self, gen: u64, estimate: Estimate) {
        if gen != self.athena.gen {
            return;
        }
        let Some(Overlay::Athena(mut w)) = self.overlay.take() else {
            return;
        };
        if let Stage::Estimating(plan) = std::mem::replace(&mut w.stage, Stage::Window(None)) {
            w.stage = if estimate.bytes > self.athena.budget() {
                Stage::Confirm(plan, estimate)
            } else {
                self.start_run(&w.target, plan, estimate)
            };
        }
        self.overlay = Some(Overlay::Athena(w));
    }

    pub(super) fn on_athena_progress(&mut self, gen: u64, line: String) {
        if gen != self.athena.gen {
            return;
        }
        if let Some(Overlay::Athena(Widen {
            stage: Stage::Running { lines, .. },
            ..
        })) = &mut self.overlay
        {
            lines.push(line);
        }
    }

    /// The queries ended: their records join the loaded ones, and the pivot shows them.
    pub(super) fn on_athena_done(&mut self, gen: u64, result: Result<PivotRun, WidenError>) {
        if gen != self.athena.gen {
            return;
        }
        self.athena.cancel = None;
        let window = match self.overlay.take() {
            Some(Overlay::Athena(Widen {
                stage: Stage::Running { plan, .. },
                ..
            })) => format!(
                "{}..{}",
                plan.since.format("%Y-%m-%d %H:%M"),
                plan.until.format("%Y-%m-%d %H:%M")
            ),
            other => {
                self.overlay = other;
                String::new()
            }
        };
        let run = match result {
            Ok(run) => run,
            Err(e) if e.cancelled => {
                self.message = Some(format!("Athena: {}", e.message));
                return;
            }
            Err(e) => {
                self.failures.push(Failure {
                    what: format!("athena {window}"),
                    reason: e.message.clone(),
                    fatal: true,
                });
                self.message = Some(format!("Athena: {} (! lists it)", e.message));
                return;
            }
        };
        // Athena's rows all name the pivot's entity: they join its timeline, each record once.
        let found = run.records.len();
        for s in &run.skipped {
            self.failures.push(Failure {
                what: format!("athena {window}"),
                reason: s.clone(),
                fatal: false,
            });
        }
        let Some(frame) = self.pivots.current_mut() else {
            return;
        };
        let added = frame.add(run.records);
        frame.refresh();
        let summary = format!(
            "{window}: {found} records ({added} not loaded before), scanned {}, ≈ ${:.4}, queries {}",
            crate::output::human_bytes(run.scanned_bytes),
            run.usd,
            run.query_ids.join(" ")
        );
        self.message = Some(format!("Athena {summary}"));
        if let Some(f) = self.pivots.current_mut() {
            f.widened = Some(summary.clone());
        }
        self.athena.widened = Some(summary);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record dated at the calendar's edge (the log's word) gives a window that stops there,
    /// never an overflow.
    #[test]
    fn a_window_around_the_ends_of_time_does_not_overflow() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
        )
        .unwrap();
        let origin = crate::record::Origin {
            object: std::sync::Arc::from("mem://x"),
            position: 1,
        };
        let mut early = Record::from_value(v, origin, None).unwrap();
        early.time = Some(DateTime::<Utc>::MIN_UTC);
        let mut late = early.clone();
        late.time = Some(DateTime::<Utc>::MAX_UTC);
        let w = default_window(&[&early, &late], Duration::days(7));
        assert!(w.contains(".."), "{w}");
        assert!(parse_window(&w, Utc::now()).is_ok(), "{w}");
    }
}
