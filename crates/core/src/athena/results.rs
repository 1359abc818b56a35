//! Athena result rows back into the record model: the `record` column holds a record's original
//! JSON and `object` the S3 object it was read from, so a row becomes the same `Record` a local
//! read would have made.

use std::sync::Arc;

use crate::layout::Partition;
use crate::record::{Origin, Record};
use crate::source::parse_s3_url;

/// The records of a result, and the rows that held none (with why).
#[derive(Debug, Default)]
pub struct Converted {
    pub records: Vec<Record>,
    pub skipped: Vec<String>,
}

/// Turns rows with a `record` column (and optionally `object`) into records; `None` when the
/// result has no `record` column.
pub fn records_from_rows(
    query_id: &str,
    columns: &[String],
    rows: &[Vec<Option<String>>],
) -> Option<Converted> {
    let rec = columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("record"))?;
    let obj = columns
        .iter()
        .position(|c| c.eq_ignore_ascii_case("object"));
    let mut out = Converted::default();
    let fallback: Arc<str> = Arc::from(format!("athena://{query_id}"));
    for (i, row) in rows.iter().enumerate() {
        let n = i + 1;
        let Some(text) = row.get(rec).and_then(|c| c.as_deref()) else {
            out.skipped.push(format!("row {n}: no record"));
            continue;
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                out.skipped.push(format!("row {n}: not JSON ({e})"));
                continue;
            }
        };
        let object = obj.and_then(|j| row.get(j)).and_then(|c| c.as_deref());
        let partition = object
            .and_then(parse_s3_url)
            .and_then(|(_, key)| Partition::of_key(&key));
        let origin = Origin {
            object: object.map_or_else(|| fallback.clone(), Arc::from),
            position: n as u64,
        };
        match Record::from_value(value, origin, partition.as_ref()) {
            Some(r) => out.records.push(r),
            None => out.skipped.push(format!(
                "row {n}: not a GuardDuty, CloudTrail or OCSF record"
            )),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_records_with_their_object_and_partition() {
        let cols = vec!["record".to_string(), "object".to_string()];
        let ev = r#"{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","sourceIPAddress":"203.0.113.66"}"#;
        let key = "s3://b/AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-2/2024/05/02/111122223333_CloudTrail_us-east-2_20240502T0305Z_0123456789abcdef.json.gz";
        let rows = vec![
            vec![Some(ev.to_string()), Some(key.to_string())],
            vec![Some("{oops".to_string()), None],
            vec![None, None],
        ];
        let c = records_from_rows("q1", &cols, &rows).unwrap();
        assert_eq!(c.records.len(), 1);
        let r = &c.records[0];
        assert_eq!(&*r.origin.object, key);
        assert_eq!(r.account.as_deref(), Some("111122223333"));
        assert_eq!(r.ip.as_deref(), Some("203.0.113.66"));
        assert_eq!(c.skipped.len(), 2);
        assert!(records_from_rows("q1", &["n".into()], &rows).is_none());
    }
}
