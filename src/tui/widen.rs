//! `a` in a pivot: the same pivot handed to Athena over a window wider than one machine should
//! read. The window is typed, the plan and an estimate of what it reads are shown, a window above
//! the byte budget asks first, and Esc stops the query running (StopQueryExecution). The records
//! Athena returns join the loaded ones, so the pivot timeline shows both.

use chrono::{DateTime, Duration, Utc};
use tokio_util::sync::CancellationToken;

use super::keymap::Context;
use crate::athena::pivot::PivotQuery;
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
