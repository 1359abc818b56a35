//! Records and sizes as text, the same wherever they are written: the JSON Lines line (the
//! contract scripts rely on), CSV cells, and sizes for people.

use serde_json::{json, Value};
use std::sync::Arc;

use crate::escape::for_terminal;
use crate::record::Record;

/// The JSON Lines form of a record without the record itself, which `record_line` appends.
pub fn record_head(r: &Record) -> Value {
    let mut head = json!({
        "source": r.kind.as_str(),
        "time": r.time_string(),
        "account": r.account.as_deref(),
        "region": r.region.as_deref(),
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
    r.raw.with(|t| line.push_str(t));
    line.push('}');
    for_terminal(&line).into_owned()
}

/// A record's account, region, event, severity, principal and IP, as CSV columns give them.
pub fn summary_cells(r: &Record) -> [String; 6] {
    let o = |x: &Option<Arc<str>>| x.as_deref().unwrap_or_default().to_string();
    [
        o(&r.account),
        o(&r.region),
        r.event.to_string(),
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

/// One CSV cell, for both CSV writers (`--format csv` and the evidence file): escaped for a
/// terminal, and a cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or
/// a carriage return first: log fields are attacker-controlled) neutralized with a leading `'`,
/// as OWASP advises. A plain number (`-5`, `7.5`) is left as it is.
pub fn csv_field(s: &str) -> String {
    let safe = for_terminal(s);
    let formula = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && !is_plain_number(s);
    if formula {
        format!("\"'{}\"", safe.replace('"', "\"\""))
    } else if safe.contains([',', '"']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe.into_owned()
    }
}

fn is_plain_number(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !frac.is_empty()
        && whole
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
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

/// `12,345`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 record`, `2 records`: a count with its noun, singular or plural.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_when_they_must_be() {
        assert_eq!(csv_field("=cmd|x"), "\"'=cmd|x\"");
        assert_eq!(csv_field("a,\"b\""), "\"a,\"\"b\"\"\"");
    }

    #[test]
    fn csv_cells_that_start_a_formula_are_neutralized() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        for (cell, want) in [
            ("+1+cmd", "\"'+1+cmd\""),
            ("-2+3", "\"'-2+3\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=1", "\"'\\u0009=1\""),
            ("\r=1", "\"'\\u000d=1\""),
            ("-5", "-5"),
            ("7.5", "7.5"),
            ("user-1", "user-1"),
        ] {
            assert_eq!(csv_field(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
