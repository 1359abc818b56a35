//! What the user asked to see: a time window, accounts, regions and kinds. Prunes folders while
//! the tree is walked, and filters records once decoded.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::layout::{Kind, Partition};
use crate::record::{Record, RecordKind};

#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub kinds: Vec<RecordKind>,
}

/// Parses `--since`/`--until`: RFC 3339, a day (`2024-05-02`: its start, or its end for `until`),
/// or a span back from `now` (`90m`, `24h`, `7d`, `2w`).
pub fn parse_time(s: &str, now: DateTime<Utc>, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let start = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"));
        return Ok(if end_of_day {
            start
                .checked_add_signed(Duration::days(1) - Duration::milliseconds(1))
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        } else {
            start
        });
    }
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "'{s}' is not a time: use RFC 3339, a day (2024-05-02) or a span (90m, 24h, 7d)"
        ));
    }
    let span = parse_span(s)?;
    now.checked_sub_signed(span)
        .ok_or_else(|| format!("'{s}' reaches too far back"))
}

/// A span of time: a whole number and a unit (`90m`, `24h`, `7d`, `2w`; `s` for seconds).
pub fn parse_span(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    // The unit is the last character, whatever its width.
    let cut = s.char_indices().last().map_or(0, |(i, _)| i);
    let (num, unit) = s.split_at(cut);
    let n: i64 = num
        .parse()
        .ok()
        .filter(|_| num.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("'{s}' is not a span: use a number and a unit (90m, 24h, 7d)"))?;
    let span = match unit {
        "s" => Duration::try_seconds(n),
        "m" => Duration::try_minutes(n),
        "h" => Duration::try_hours(n),
        "d" => Duration::try_days(n),
        "w" => Duration::try_weeks(n),
        _ => {
            return Err(format!(
                "'{s}': unknown unit '{unit}' (use s, m, h, d or w)"
            ))
        }
    };
    span.ok_or_else(|| format!("'{s}' is too long a span"))
}

fn record_kind_of(kind: Kind) -> Option<RecordKind> {
    match kind {
        Kind::GuardDuty => Some(RecordKind::GuardDuty),
        Kind::CloudTrail | Kind::CloudTrailInsight => Some(RecordKind::CloudTrail),
        Kind::SecurityLake => Some(RecordKind::Ocsf),
        Kind::CloudTrailDigest => None,
    }
}

impl Scope {
    /// Whether a folder or object with this (possibly partial) partition may hold records in scope.
    pub fn admits_partition(&self, p: &Partition) -> bool {
        if let Some(kind) = p.kind {
            if !self.kinds.is_empty() {
                match record_kind_of(kind) {
                    Some(k) if self.kinds.contains(&k) => {}
                    // Digests hold no records, but `ls` still lists them when no kind is asked for.
                    _ => return false,
                }
            }
        }
        if let Some(a) = &p.account {
            if !self.accounts.is_empty() && !self.accounts.contains(a) {
                return false;
            }
        }
        if let Some(r) = &p.region {
            if !self.regions.is_empty() && !self.regions.contains(r) {
                return false;
            }
        }
        if let Some((first, last)) = p.day.range() {
            // Folders are named by delivery (export) day, which can trail the event by a day.
            if let Some(since) = self.since {
                if last < since.format("%Y-%m-%d").to_string() {
                    return false;
                }
            }
            if let Some(until) = self.until {
                let latest = until
                    .checked_add_signed(Duration::days(1))
                    .unwrap_or(until)
                    .format("%Y-%m-%d")
                    .to_string();
                if first > latest {
                    return false;
                }
            }
        }
        true
    }

    pub fn admits(&self, r: &Record) -> bool {
        if !self.kinds.is_empty() && !self.kinds.contains(&r.kind) {
            return false;
        }
        if !self.accounts.is_empty()
            && !r
                .account
                .as_ref()
                .is_some_and(|a| self.accounts.iter().any(|x| **x == **a))
        {
            return false;
        }
        if !self.regions.is_empty()
            && !r
                .region
                .as_ref()
                .is_some_and(|x| self.regions.iter().any(|y| **y == **x))
        {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = r.time else { return false };
            if self.since.is_some_and(|s| t < s) || self.until.is_some_and(|u| t > u) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::DayPart;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 3, 12, 0, 0).unwrap()
    }

    #[test]
    fn times_in_three_forms() {
        assert_eq!(
            parse_time("2024-05-02", now(), false).unwrap().to_rfc3339(),
            "2024-05-02T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2024-05-02", now(), true).unwrap().to_rfc3339(),
            "2024-05-02T23:59:59.999+00:00"
        );
        assert_eq!(
            parse_time("36h", now(), false).unwrap(),
            now() - Duration::hours(36)
        );
        assert_eq!(
            parse_time("90m", now(), false).unwrap(),
            now() - Duration::minutes(90)
        );
        assert!(parse_time("2024-05-02T03:00:00+02:00", now(), false).is_ok());
        assert!(parse_time("yesterday", now(), false).is_err());
        assert!(parse_time("5y", now(), false).is_err());
        assert!(parse_time("-5d", now(), false).is_err());
        // A wide last character and a span past chrono's range are errors, not panics.
        assert!(parse_time("7日", now(), false).is_err());
        assert!(parse_time("99999999999999999d", now(), false).is_err());
        assert!(parse_time("9999999999w", now(), false).is_err());
    }

    #[test]
    fn days_at_the_ends_of_the_calendar_do_not_overflow() {
        let last = parse_time("+262142-12-31", now(), true).unwrap();
        assert_eq!(last.format("%H:%M:%S%.3f").to_string(), "23:59:59.999");
        let scope = Scope {
            until: Some(DateTime::<Utc>::MAX_UTC),
            ..Scope::default()
        };
        // Pruning adds a day of slack to `until`: at the last day there is none to add.
        let p = Partition::of_prefix("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02/");
        assert!(std::panic::catch_unwind(|| scope.admits_partition(&p)).is_ok());
    }

    #[test]
    fn spans_are_a_whole_number_and_a_unit() {
        assert_eq!(parse_span("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_span(" 90m "), Ok(Duration::minutes(90)));
        assert_eq!(parse_span("2w"), Ok(Duration::weeks(2)));
        for bad in ["", "d", "7", "-7d", "+7d", "7 d", "7days", "1.5h", "7é"] {
            assert!(parse_span(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn folders_outside_the_window_are_pruned_with_a_day_of_slack() {
        let scope = Scope {
            since: Some(parse_time("2024-05-02", now(), false).unwrap()),
            until: Some(parse_time("2024-05-02", now(), true).unwrap()),
            ..Scope::default()
        };
        let day = |d| Partition {
            kind: Some(Kind::CloudTrail),
            day: DayPart {
                year: Some(2024),
                month: Some(5),
                day: Some(d),
            },
            ..Partition::default()
        };
        assert!(!scope.admits_partition(&day(1)));
        assert!(scope.admits_partition(&day(2)));
        assert!(scope.admits_partition(&day(3)));
        assert!(!scope.admits_partition(&day(4)));
        let april = Partition {
            day: DayPart {
                year: Some(2024),
                month: Some(4),
                day: None,
            },
            ..Partition::default()
        };
        assert!(!scope.admits_partition(&april));
    }

    #[test]
    fn accounts_regions_and_kinds_prune() {
        let scope = Scope {
            accounts: vec!["111122223333".into()],
            kinds: vec![RecordKind::GuardDuty],
            ..Scope::default()
        };
        let p = Partition {
            kind: Some(Kind::CloudTrail),
            ..Partition::default()
        };
        assert!(!scope.admits_partition(&p));
        let p = Partition {
            account: Some("444455556666".into()),
            ..Partition::default()
        };
        assert!(!scope.admits_partition(&p));
        assert!(scope.admits_partition(&Partition::default()));
    }
}
