//! How records and partitions are printed: JSON Lines (the contract scripts rely on), an aligned
//! table for people, and CSV. Everything printed is escaped for the terminal.

use std::io::{self, Write};

use serde_json::Value;

use crate::count::{sparkline, Counts};
use crate::escape::{for_terminal, json_line};
use crate::record::{format_time, severity_label, Record};
pub use crate::text::{
    csv_field, detail_cells, human_bytes, record_head, record_line, summary_cells,
};
use crate::walk::LsRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Table,
    Csv,
}

fn severity_text(r: &Record) -> String {
    r.severity
        .map(|s| format!("{} {s}", severity_label(s)))
        .unwrap_or_default()
}

/// Cuts (by characters, not bytes) and escapes one table cell.
pub(crate) fn cell(s: &str, width: usize) -> String {
    let safe = for_terminal(s);
    let n = safe.chars().count();
    if n <= width {
        format!("{safe:<width$}")
    } else {
        let mut t: String = safe.chars().take(width.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub struct RecordWriter<W: Write> {
    out: W,
    format: Format,
    wrote_header: bool,
    /// Cut table cells to fixed widths (for a terminal); otherwise every value is whole and the
    /// columns are as wide as their widest value, so the table is held until `finish`.
    cut: bool,
    rows: Vec<[String; TABLE_COLUMNS.len()]>,
}

/// The table's columns and the widths they are cut to on a terminal (the last is never cut).
const TABLE_COLUMNS: [(&str, usize); 10] = [
    ("TIME", 24),
    ("KIND", 10),
    ("EVENT / SEVERITY", 32),
    ("PRINCIPAL", 44),
    ("IP", 18),
    ("ACCOUNT", 12),
    ("REGION", 14),
    ("ERROR", 16),
    ("RESOURCE", 32),
    ("SUMMARY", 0),
];

impl<W: Write> RecordWriter<W> {
    /// A writer that never cuts a value: see [`RecordWriter::cut_cells`].
    pub fn new(out: W, format: Format) -> Self {
        RecordWriter {
            out,
            format,
            wrote_header: false,
            cut: false,
            rows: Vec::new(),
        }
    }

    /// Whether table cells are cut to fixed widths and written at once: for a terminal, where
    /// lines must fit; a pipe or a file gets every value whole.
    pub fn cut_cells(mut self, cut: bool) -> Self {
        self.cut = cut;
        self
    }

    pub fn write(&mut self, r: &Record) -> io::Result<()> {
        let time = r.time_string().unwrap_or_default();
        let o = |x: &Option<std::sync::Arc<str>>| x.as_deref().unwrap_or_default().to_string();
        match self.format {
            Format::Jsonl => writeln!(self.out, "{}", record_line(&record_head(r), r)),
            Format::Table => {
                let event = match r.severity {
                    Some(_) => format!("{} {}", severity_text(r), r.event),
                    None => r.event.to_string(),
                };
                let [error, resource] = detail_cells(r);
                let row = [
                    time,
                    r.kind.as_str().to_string(),
                    event,
                    o(&r.principal),
                    o(&r.ip),
                    o(&r.account),
                    o(&r.region),
                    error,
                    resource,
                    r.summary.clone(),
                ]
                .map(|c| for_terminal(&c).into_owned());
                if !self.cut {
                    self.rows.push(row);
                    return Ok(());
                }
                if !self.wrote_header {
                    self.wrote_header = true;
                    let widths = TABLE_COLUMNS.map(|(_, w)| w);
                    let header = TABLE_COLUMNS.map(|(h, _)| h.to_string());
                    write_row(&mut self.out, &header, &widths)?;
                }
                let widths = TABLE_COLUMNS.map(|(_, w)| w);
                let cells: Vec<String> = row
                    .iter()
                    .zip(widths)
                    .map(|(c, w)| if w == 0 { c.clone() } else { cell(c, w) })
                    .collect();
                writeln!(self.out, "{}", cells.join(" "))
            }
            Format::Csv => {
                if !self.wrote_header {
                    self.wrote_header = true;
                    // New columns go at the end: scripts read the others by position.
                    writeln!(
                        self.out,
                        "time,kind,account,region,event,severity,principal,ip,summary,object,position,error,resource"
                    )?;
                }
                let mut fields = vec![time, r.kind.as_str().to_string()];
                fields.extend(summary_cells(r));
                fields.extend([
                    r.summary.clone(),
                    r.origin.object.to_string(),
                    r.origin.position.to_string(),
                ]);
                fields.extend(detail_cells(r));
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(self.out, "{}", line.join(","))
            }
        }
    }

    pub fn finish(mut self) -> io::Result<()> {
        if !self.rows.is_empty() {
            let mut widths = TABLE_COLUMNS.map(|(h, _)| h.chars().count());
            for row in &self.rows {
                for (w, c) in widths.iter_mut().zip(row) {
                    *w = (*w).max(c.chars().count());
                }
            }
            widths[widths.len() - 1] = 0;
            let header = TABLE_COLUMNS.map(|(h, _)| h.to_string());
            write_row(&mut self.out, &header, &widths)?;
            for row in std::mem::take(&mut self.rows) {
                write_row(&mut self.out, &row, &widths)?;
            }
        }
        self.out.flush()
    }
}

/// One table line of cells already escaped, each padded to its width (0: not padded), never cut.
fn write_row<W: Write>(out: &mut W, cells: &[String], widths: &[usize]) -> io::Result<()> {
    let mut line = String::new();
    for (i, (c, &w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(c);
        let n = c.chars().count();
        if w > n {
            line.extend(std::iter::repeat_n(' ', w - n));
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// Writes the top values of a field: a table (value, count, first, last, activity over the
/// span), CSV, or one JSON object a line.
pub fn write_counts<W: Write>(
    mut out: W,
    counts: &Counts,
    format: Format,
    cut: bool,
) -> io::Result<()> {
    let time =
        |t: &Option<chrono::DateTime<chrono::Utc>>| t.as_ref().map(format_time).unwrap_or_default();
    match format {
        Format::Jsonl => {
            for v in &counts.values {
                let line = serde_json::json!({
                    "field": counts.field.name(),
                    "value": v.value,
                    "count": v.count,
                    "first": v.first.as_ref().map(format_time),
                    "last": v.last.as_ref().map(format_time),
                    "histogram": v.histogram,
                });
                writeln!(out, "{}", json_line(&line))?;
            }
        }
        Format::Csv => {
            writeln!(out, "value,count,first,last")?;
            for v in &counts.values {
                let fields = [
                    v.value.clone(),
                    v.count.to_string(),
                    time(&v.first),
                    time(&v.last),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        Format::Table => {
            let name = counts.field.name().to_uppercase();
            let widest = counts
                .values
                .iter()
                .map(|v| for_terminal(&v.value).chars().count())
                .max()
                .unwrap_or(0)
                .max(name.chars().count());
            let vw = if cut { widest.min(60) } else { widest };
            let cw = counts
                .values
                .iter()
                .map(|v| v.count.to_string().len())
                .max()
                .unwrap_or(0)
                .max(5);
            writeln!(
                out,
                "{} {:>cw$} {:<24} {:<24} ACTIVITY",
                cell(&name, vw),
                "COUNT",
                "FIRST",
                "LAST"
            )?;
            for v in &counts.values {
                let value = if cut {
                    cell(&v.value, vw)
                } else {
                    let safe = for_terminal(&v.value);
                    format!("{safe:<vw$}")
                };
                writeln!(
                    out,
                    "{value} {:>cw$} {:<24} {:<24} {}",
                    v.count,
                    time(&v.first),
                    time(&v.last),
                    sparkline(&v.histogram).trim_end()
                )?;
            }
            let values = counts.values.len();
            writeln!(
                out,
                "{values} value{} over {} record{}{}",
                if values == 1 { "" } else { "s" },
                counts.records,
                if counts.records == 1 { "" } else { "s" },
                match counts.without {
                    0 => String::new(),
                    n => format!("; {n} without {}", counts.field.name()),
                }
            )?;
        }
    }
    out.flush()
}

pub fn write_ls<W: Write>(mut out: W, rows: &[LsRow], format: Format) -> io::Result<()> {
    let o = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".to_string());
    match format {
        Format::Jsonl => {
            for r in rows {
                let v = serde_json::to_value(r).unwrap_or(Value::Null);
                writeln!(out, "{}", json_line(&v))?;
            }
        }
        Format::Table => {
            writeln!(
                out,
                "{:<20} {:<18} {:<14} {:<15} {:<11} {:>7} {:>10}  PREFIX",
                "KIND", "ORG / SOURCE", "ACCOUNT", "REGION", "DAY", "OBJECTS", "BYTES"
            )?;
            let mut last_source = None;
            for r in rows {
                if last_source != Some(&r.source) {
                    writeln!(out, "{}", for_terminal(&r.source))?;
                    last_source = Some(&r.source);
                }
                let org = r.org.clone().or_else(|| r.lake_source.clone());
                writeln!(
                    out,
                    "{} {} {} {} {} {:>7} {:>10}  {}",
                    cell(&r.kind, 20),
                    cell(&o(&org), 18),
                    cell(&o(&r.account), 14),
                    cell(&o(&r.region), 15),
                    cell(&o(&r.day), 11),
                    r.objects,
                    human_bytes(r.bytes),
                    for_terminal(&r.prefix)
                )?;
            }
        }
        Format::Csv => {
            writeln!(
                out,
                "source,kind,org,account,region,day,lake_source,objects,bytes,prefix"
            )?;
            for r in rows {
                let fields = [
                    r.source.clone(),
                    r.kind.clone(),
                    o(&r.org),
                    o(&r.account),
                    o(&r.region),
                    o(&r.day),
                    o(&r.lake_source),
                    r.objects.to_string(),
                    r.bytes.to_string(),
                    r.prefix.clone(),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_cut_by_characters_and_escaped() {
        assert_eq!(cell("ábcdé", 3), "áb…");
        assert_eq!(cell("a\u{1b}b", 10), "a\\u001bb  ");
    }
}
