//! The pivot widened to Athena (`a`): the window asked, the estimate, the confirmation above
//! the byte budget, the run and its cancel, the rows joining the timeline.

use super::{App, Failure, Overlay};
use crate::athena::client::QueryRequest;
use crate::athena::pivot::{self};
use crate::athena::run::PivotRun;
use crate::entity::Entity;
use crate::record::Record;
use crate::scope::Scope;
use crate::tui::keymap::Action;
use crate::tui::widen::*;
use chrono::Utc;

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
