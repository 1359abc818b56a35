//! Records and sizes as text, the same wherever they are written: the JSON Lines line (the
//! contract scripts rely on), CSV cells, and sizes for people.

use serde_json::{json, Value};

use crate::escape::for_terminal;
use crate::record::Record;

/// The JSON Lines form of a record without the record itself, which `record_line` appends.
pub fn record_head(r: &Record) -> Value {
    let mut head = json!({
        "source": r.kind.as_str(),
        "time": r.time_string(),
        "account": r.account,
        "region": r.region,
        "object": &*r.origin.object,
        "summary": r.summary,
        "entities": r.entities,
    });
    // The other objects the same record was delivered in, only where there are any.
    if !r.also.is_empty() {
        let also: Vec<&str> = r.also.iter().map(|o| &*o.object).collect();
        head["also"] = json!(also);
    }
    head
}

/// One JSON line: `head`'s fields, then `"record"` with the record's text as kept (compact, so
/// the same as serializing its tree), escaped for a terminal.
pub fn record_line(head: &Value, r: &Record) -> String {
    let mut line = serde_json::to_string(head).unwrap_or_else(|_| "{}".to_string());
    line.pop();
    if line.len() > 1 {
        line.push(',');
    }
    line.push_str("\"record\":");
    line.push_str(&r.raw);
    line.push('}');
    for_terminal(&line).into_owned()
}

/// A record's account, region, event, severity, principal and IP, as CSV columns give them.
pub fn summary_cells(r: &Record) -> [String; 6] {
    let o = |x: &Option<String>| x.clone().unwrap_or_default();
    [
        o(&r.account),
        o(&r.region),
        r.event.clone(),
        r.severity.map(|s| s.to_string()).unwrap_or_default(),
        o(&r.principal),
        o(&r.ip),
    ]
}

/// A record's error and resource, as the CSV columns added after the first ones give them.
pub fn detail_cells(r: &Record) -> [String; 2] {
    let o = |x: &Option<Box<str>>| x.as_deref().unwrap_or_default().to_string();
    [o(&r.error), o(&r.resource)]
}

pub fn csv_field(s: &str) -> String {
    let safe = for_terminal(s);
    if safe.contains([',', '"']) || safe.starts_with(['=', '+', '-', '@']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe.into_owned()
    }
}

/// `1.2 MiB`, as `ls` and the screen show sizes.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_when_they_must_be() {
        assert_eq!(csv_field("=cmd|x"), "\"=cmd|x\"");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
