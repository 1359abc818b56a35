//! How records and partitions are printed: JSON Lines (the contract scripts rely on), an aligned
//! table for people, and CSV. Everything printed is escaped for the terminal.

use std::io::{self, Write};

use serde_json::Value;

use crate::escape::{for_terminal, json_line};
use crate::record::{severity_label, Record};
pub use crate::text::{csv_field, human_bytes, record_head, record_line, summary_cells};
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
}

impl<W: Write> RecordWriter<W> {
    pub fn new(out: W, format: Format) -> Self {
        RecordWriter {
            out,
            format,
            wrote_header: false,
        }
    }

    pub fn write(&mut self, r: &Record) -> io::Result<()> {
        let time = r.time_string().unwrap_or_default();
        let o = |x: &Option<String>| x.clone().unwrap_or_default();
        match self.format {
            Format::Jsonl => writeln!(self.out, "{}", record_line(&record_head(r), r)),
            Format::Table => {
                if !self.wrote_header {
                    self.wrote_header = true;
                    writeln!(
                        self.out,
                        "{:<24} {:<10} {:<32} {:<44} {:<18} {:<12} {:<14} SUMMARY",
                        "TIME", "KIND", "EVENT / SEVERITY", "PRINCIPAL", "IP", "ACCOUNT", "REGION"
                    )?;
                }
                let event = match r.severity {
                    Some(_) => format!("{} {}", severity_text(r), r.event),
                    None => r.event.clone(),
                };
                writeln!(
                    self.out,
                    "{} {} {} {} {} {} {} {}",
                    cell(&time, 24),
                    cell(r.kind.as_str(), 10),
                    cell(&event, 32),
                    cell(&o(&r.principal), 44),
                    cell(&o(&r.ip), 18),
                    cell(&o(&r.account), 12),
                    cell(&o(&r.region), 14),
                    for_terminal(&r.summary)
                )
            }
            Format::Csv => {
                if !self.wrote_header {
                    self.wrote_header = true;
                    writeln!(
                        self.out,
                        "time,kind,account,region,event,severity,principal,ip,summary,object,position"
                    )?;
                }
                let mut fields = vec![time, r.kind.as_str().to_string()];
                fields.extend(summary_cells(r));
                fields.extend([
                    r.summary.clone(),
                    r.origin.object.to_string(),
                    r.origin.position.to_string(),
                ]);
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                writeln!(self.out, "{}", line.join(","))
            }
        }
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
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
