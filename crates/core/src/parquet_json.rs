//! Parquet rows → the JSON a person expects: nested structs as objects, lists as arrays, maps as
//! objects, nulls as null and timestamps as RFC 3339 (the parquet crate's own conversion panics on
//! out-of-range timestamps and prints them in another format).

use chrono::{TimeZone, Utc};
use parquet::record::{Field, Row};
use serde_json::{Map, Number, Value};

/// Rows nest no deeper than their schema, which the decoder has checked
/// ([`crate::parquet_guard::MAX_SCHEMA_DEPTH`]); the conversion stops there all the same.
pub fn row_to_json(row: &Row) -> Value {
    group(row, 0)
}

fn group(row: &Row, depth: usize) -> Value {
    let mut o = Map::new();
    for (name, field) in row.get_column_iter() {
        o.insert(name.clone(), field_to_json(field, depth + 1));
    }
    Value::Object(o)
}

fn float(x: f64) -> Value {
    Number::from_f64(x).map_or(Value::Null, Value::Number)
}

fn timestamp(t: Option<chrono::DateTime<Utc>>, raw: i64) -> Value {
    match t {
        Some(t) => Value::String(crate::record::format_time(&t)),
        // Out of chrono's range: keep the number rather than invent a date.
        None => Value::from(raw),
    }
}

fn field_to_json(f: &Field, depth: usize) -> Value {
    if depth > crate::parquet_guard::MAX_SCHEMA_DEPTH {
        return Value::String("(nested too deep)".into());
    }
    let inner = |f: &Field| field_to_json(f, depth + 1);
    match f {
        Field::Null => Value::Null,
        Field::Bool(b) => Value::Bool(*b),
        Field::Byte(n) => Value::from(*n),
        Field::Short(n) => Value::from(*n),
        Field::Int(n) => Value::from(*n),
        Field::Long(n) => Value::from(*n),
        Field::UByte(n) => Value::from(*n),
        Field::UShort(n) => Value::from(*n),
        Field::UInt(n) => Value::from(*n),
        Field::ULong(n) => Value::from(*n),
        Field::Float16(n) => float(format!("{n}").parse().unwrap_or(f64::NAN)),
        Field::Float(n) => float(f64::from(*n)),
        Field::Double(n) => float(*n),
        Field::Str(s) => Value::String(s.clone()),
        // Old writers store text as plain binary; show it as text when it is.
        Field::Bytes(b) => match std::str::from_utf8(b.data()) {
            Ok(s) => Value::String(s.to_string()),
            Err(_) => Value::String(format!(
                "base64:{}",
                aws_smithy_types::base64::encode(b.data())
            )),
        },
        Field::TimestampMillis(ms) => timestamp(Utc.timestamp_millis_opt(*ms).single(), *ms),
        Field::TimestampMicros(us) => timestamp(Utc.timestamp_micros(*us).single(), *us),
        Field::Decimal(_) | Field::Date(_) | Field::TimeMillis(_) | Field::TimeMicros(_) => {
            Value::String(f.to_string())
        }
        Field::Group(row) => group(row, depth),
        Field::ListInternal(list) => Value::Array(list.elements().iter().map(inner).collect()),
        Field::MapInternal(map) => {
            let mut o = Map::new();
            for (k, v) in map.entries() {
                let key = match inner(k) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                o.insert(key, inner(v));
            }
            Value::Object(o)
        }
    }
}
