//! The middle pane: the loaded records as a table (time, kind, severity or event, principal, IP,
//! account, region), columns dropped from the right when the pane is narrow.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{scroll_to, thousands};
use crate::escape::for_terminal;
use crate::record::{Record, RecordKind};
use crate::tui::app::App;
use crate::tui::records::SortKey;

fn kind_short(k: RecordKind) -> &'static str {
    match k {
        RecordKind::GuardDuty => "GD",
        RecordKind::CloudTrail => "CT",
        RecordKind::Ocsf => "OCSF",
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &mut App, focused: bool) {
    let theme = &app.theme;
    let recs = &app.records;
    let mut title = String::from(" records ");
    if !recs.rows.is_empty() || app.load.is_some() {
        title = format!(
            " records {}/{} ",
            thousands(recs.view.len()),
            thousands(recs.rows.len())
        );
    }
    if let Some(k) = recs.sort {
        title.push_str(&format!(
            "· by {}{} ",
            k.name(),
            if recs.reverse { " ↑" } else { "" }
        ));
    } else if recs.reverse {
        title.push_str("· newest first ");
    }
    if !recs.filter_text.is_empty() {
        title.push_str(&format!("· f: {} ", for_terminal(&recs.filter_text)));
    }
    let block = Block::bordered()
        .title(title)
        .border_style(theme.border(focused))
        .title_style(theme.fg(theme.c.title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if recs.rows.is_empty() {
        let msg = match &app.load {
            None => "Move to a day in the partitions to read its records.".to_string(),
            Some(l) if !l.done => "reading…".to_string(),
            Some(l) if l.cancelled => "cancelled before any record was read".to_string(),
            Some(_) => "no records here".to_string(),
        };
        f.render_widget(Paragraph::new(msg).style(theme.fg(theme.c.dim)), inner);
        return;
    }
    if recs.view.is_empty() {
        f.render_widget(
            Paragraph::new("no record matches the filter (Esc clears it)")
                .style(theme.fg(theme.c.dim)),
            inner,
        );
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    app.records_page = height;
    let recs = &mut app.records;
    scroll_to(&mut recs.offset, recs.cursor, height);
    let w = inner.width;
    // Columns in order of importance: what and when first, where last. The event column is as
    // wide as the visible events need (findings are long, API names short), within bounds.
    const EVENT_MIN: u16 = 24;
    let shown = recs.offset..(recs.offset + height).min(recs.view.len());
    let event_need = shown
        .clone()
        .filter_map(|pos| recs.get(pos))
        .map(|r| r.event.chars().count() + if r.severity.is_some() { 5 } else { 0 })
        .max()
        .unwrap_or(0)
        .clamp(EVENT_MIN as usize, 72) as u16;
    let mut cols: Vec<(SortKey, &str, u16)> = vec![
        (SortKey::Time, "time", 14),
        (SortKey::Kind, "", 4),
        (SortKey::Event, "event / finding", EVENT_MIN),
    ];
    let mut used = 14 + 4 + EVENT_MIN + 2;
    for (k, name, width) in [
        (SortKey::Ip, "ip", 15),
        (SortKey::Principal, "principal", 20),
        (SortKey::Account, "account", 12),
        (SortKey::Region, "region", 11),
    ] {
        // Past the IP, a column comes only if the event still gets most of what it needs.
        let event_room = if k == SortKey::Ip {
            0
        } else {
            event_need.min(48) - EVENT_MIN
        };
        if used + 1 + width + event_room > w {
            break;
        }
        cols.push((k, name, width));
        used += width + 1;
    }
    // What is left goes to the event as far as it needs, then to the principal (ARNs are long).
    let mut spare = w.saturating_sub(used);
    let grow = spare.min(event_need - EVENT_MIN);
    cols[2].2 += grow;
    spare -= grow;
    if let Some(c) = cols.iter_mut().find(|c| c.0 == SortKey::Principal) {
        c.2 += spare;
    } else {
        cols[2].2 += spare;
    }
    let theme = &app.theme;
    let header = Row::new(cols.iter().map(|(k, name, _)| {
        let s = Style::default()
            .fg(theme.c.dim)
            .add_modifier(Modifier::BOLD);
        let s = if recs.sort == Some(*k) {
            s.add_modifier(Modifier::UNDERLINED)
        } else {
            s
        };
        Cell::from(name.to_string()).style(s)
    }));
    let visible = (recs.offset..(recs.offset + height).min(recs.view.len()))
        .map(|pos| (recs.get(pos).expect("in the view"), pos == recs.cursor));
    let marked = bookmarked(&app.bookmarks);
    f.render_widget(
        record_table(visible, &cols, header, theme, focused, &marked),
        inner,
    );
}

/// Whether a record is bookmarked, for the table's ★.
pub(super) fn bookmarked(
    bookmarks: &std::collections::BTreeSet<(String, u64)>,
) -> impl Fn(&Record) -> bool + '_ {
    move |r| crate::tui::export::bookmarked(bookmarks, r)
}

/// The table the record list and the pivot timeline both draw: one row per visible record, in the
/// given columns, the cursor's row highlighted.
pub(super) fn record_table<'a>(
    visible: impl Iterator<Item = (&'a Record, bool)>,
    cols: &[(SortKey, &str, u16)],
    header: Row<'a>,
    theme: &crate::tui::theme::Theme,
    focused: bool,
    marked: &dyn Fn(&Record) -> bool,
) -> Table<'a> {
    let rows: Vec<Row> = visible
        .map(|(r, at_cursor)| {
            let mark = marked(r);
            let row = Row::new(cols.iter().map(|(k, _, _)| match k {
                SortKey::Kind if mark => {
                    let short: String = kind_short(r.kind).chars().take(3).collect();
                    Cell::from(format!("★{short}")).style(
                        Style::default()
                            .fg(theme.c.title)
                            .add_modifier(Modifier::BOLD),
                    )
                }
                _ => cell(r, *k, theme),
            }));
            if at_cursor {
                row.style(theme.selected(focused))
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|c| Constraint::Length(c.2)).collect();
    Table::new(rows, widths).header(header).column_spacing(1)
}

pub(super) fn cell<'a>(r: &'a Record, k: SortKey, theme: &crate::tui::theme::Theme) -> Cell<'a> {
    let text = |s: Option<&str>| for_terminal(s.unwrap_or("")).into_owned();
    match k {
        SortKey::Time => Cell::from(
            r.time
                .map(|t| t.format("%m-%d %H:%M:%S").to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        SortKey::Kind => {
            let c = match r.kind {
                RecordKind::GuardDuty => theme.c.guardduty,
                RecordKind::CloudTrail => theme.c.cloudtrail,
                RecordKind::Ocsf => theme.c.ocsf,
            };
            Cell::from(kind_short(r.kind)).style(Style::default().fg(c))
        }
        SortKey::Event => match r.severity {
            Some(sev) => Cell::from(Line::from(vec![
                Span::styled(format!("{sev:>4.1} "), theme.severity(sev)),
                Span::raw(text(Some(&r.event))),
            ])),
            None => Cell::from(text(Some(&r.event))),
        },
        SortKey::Principal => Cell::from(text(r.principal.as_deref().map(short_principal))),
        SortKey::Ip => Cell::from(text(r.ip.as_deref())),
        SortKey::Account => Cell::from(text(r.account.as_deref())),
        SortKey::Region => Cell::from(text(r.region.as_deref())),
    }
}

/// `arn:aws:sts::1111:assumed-role/web-app-role/i-0a1b` → `assumed-role/web-app-role/i-0a1b`: the
/// account is its own column.
fn short_principal(p: &str) -> &str {
    crate::entity::arn_resource(p)
}
