//! Top values: how often each value of a field occurs over a list of records, when it was first
//! and last seen, and how it spreads over the list's time span (a small histogram for a
//! sparkline). The answer to `jq … | sort | uniq -c | sort -rn`, for any query field.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::query::Field;
use crate::record::Record;

/// How often one value occurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueCount {
    pub value: String,
    /// Records that hold the value (a record counts once however often it names the value).
    pub count: usize,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// Records per equal slice of the list's time span, oldest first (`Counts::span`).
    pub histogram: Vec<u32>,
}

/// The values of one field over a list of records, most frequent first.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts {
    pub field: Field,
    /// Most frequent first; equal counts by value.
    pub values: Vec<ValueCount>,
    /// Records counted.
    pub records: usize,
    /// Records without the field.
    pub without: usize,
    /// The time span the histograms divide: the first and last time of the records.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Counts the values of `field` over `records`, with histograms of `buckets` slices of their time
/// span (records without a time count, but in no slice). Reads the list twice.
pub fn top_values<'a, I>(records: I, field: &Field, buckets: usize) -> Counts
where
    I: IntoIterator<Item = &'a Record>,
    I::IntoIter: Clone,
{
    let records = records.into_iter();
    let span = records.clone().filter_map(|r| r.time).fold(
        None,
        |span: Option<(DateTime<Utc>, DateTime<Utc>)>, t| {
            Some(span.map_or((t, t), |(a, b)| (a.min(t), b.max(t))))
        },
    );
    let buckets = buckets.max(1);
    let slice = |t: DateTime<Utc>| -> usize {
        let Some((a, b)) = span else { return 0 };
        let width = (b - a).num_milliseconds() as i128 + 1;
        let at = (t - a).num_milliseconds() as i128;
        ((at * buckets as i128 / width) as usize).min(buckets - 1)
    };
    let mut by_value: HashMap<String, ValueCount> = HashMap::new();
    let (mut total, mut without) = (0, 0);
    for r in records {
        total += 1;
        let values = field.values(r);
        if values.is_empty() {
            without += 1;
        }
        for v in values {
            let c = match by_value.get_mut(v.as_ref()) {
                Some(c) => c,
                None => by_value
                    .entry(v.into_owned())
                    .or_insert_with_key(|k| ValueCount {
                        value: k.clone(),
                        count: 0,
                        first: None,
                        last: None,
                        histogram: vec![0; buckets],
                    }),
            };
            c.count += 1;
            if let Some(t) = r.time {
                c.first = Some(c.first.map_or(t, |f| f.min(t)));
                c.last = Some(c.last.map_or(t, |l| l.max(t)));
                c.histogram[slice(t)] += 1;
            }
        }
    }
    let mut values: Vec<ValueCount> = by_value.into_values().collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    Counts {
        field: field.clone(),
        values,
        records: total,
        without,
        span,
    }
}

/// A histogram as a line of block characters, the tallest slice full height (`▁▃█▂`); an empty
/// slice is a space.
pub fn sparkline(histogram: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = histogram.iter().copied().max().unwrap_or(0).max(1) as u64;
    histogram
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BARS[((n as u64 * 8 - 1) / max).min(7) as usize]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;
    use serde_json::json;
    use std::sync::Arc;

    fn ct(minute: u32, ip: &str, error: Option<&str>) -> Record {
        let mut v = json!({"eventSource":"iam.amazonaws.com","eventName":"GetUser","sourceIPAddress":ip,
            "eventTime":format!("2024-05-02T03:{minute:02}:00Z"),"userIdentity":{"arn":"arn:aws:iam::1:user/a"}});
        if let Some(e) = error {
            v["errorCode"] = json!(e);
        }
        Record::from_value(
            v,
            Origin {
                object: Arc::from("mem://t"),
                position: minute as u64,
            },
            None,
        )
        .unwrap()
    }

    #[test]
    fn counts_first_last_and_histograms() {
        let recs = [
            ct(0, "203.0.113.66", Some("AccessDenied")),
            ct(10, "198.51.100.10", None),
            ct(20, "203.0.113.66", None),
            ct(59, "203.0.113.66", Some("AccessDenied")),
            ct(30, "ec2.amazonaws.com", None),
        ];
        let c = top_values(&recs, &Field::Ip, 4);
        assert_eq!(c.records, 5);
        assert_eq!(c.without, 0);
        let top = &c.values[0];
        assert_eq!((top.value.as_ref(), top.count), ("203.0.113.66", 3));
        assert_eq!(top.first, recs[0].time);
        assert_eq!(top.last, recs[3].time);
        // 0..59 minutes in four slices: 0 and 20 in the first two, 59 in the last.
        assert_eq!(top.histogram, [1, 1, 0, 1]);
        let values: Vec<(&str, usize)> = c
            .values
            .iter()
            .map(|v| (v.value.as_ref(), v.count))
            .collect();
        assert_eq!(
            values,
            [
                ("203.0.113.66", 3),
                ("198.51.100.10", 1),
                ("ec2.amazonaws.com", 1)
            ]
        );
        let e = top_values(recs.iter(), &Field::Error, 4);
        assert_eq!(e.without, 3);
        assert_eq!(e.values.len(), 1);
        assert_eq!(
            (e.values[0].value.as_ref(), e.values[0].count),
            ("AccessDenied", 2)
        );
    }

    #[test]
    fn sparklines_scale_to_the_tallest() {
        assert_eq!(sparkline(&[0, 1, 4, 8]), " ▁▄█");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(sparkline(&[0, 0]), "  ");
    }
}
