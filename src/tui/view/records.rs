//! The middle pane: the list as a table whose columns come by priority, not by sort: when, what
//! kind (with its detection level), what happened and with what result (`PutUserPolicy
//! ✗AccessDenied`), who (the short principal), from where (the IP) and on what (bucket/key,
//! instance, role), fitted to the width, the event column only as wide as its longest visible
//! value. Account and region follow when there is room.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::{plural, thousands};
use crate::detect::{record_level, Level};
use crate::entity::short_principal;
use crate::escape::for_terminal;
use crate::record::{Record, RecordKind};
use crate::tui::app::{App, Zone};
use crate::tui::records::SortKey;
use crate::tui::theme::Theme;

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Time,
    /// Kind, with the detection level mark and the bookmark.
    Kind,
    Event,
    Principal,
    Ip,
    Resource,
    Account,
    Region,
}

impl Col {
    fn title(self, zone: Zone) -> String {
        match self {
            Col::Time => format!("time {}", zone.label()),
            Col::Kind => String::new(),
            Col::Event => "event ✗error / finding".into(),
            Col::Principal => "principal".into(),
            Col::Ip => "ip".into(),
            Col::Resource => "on".into(),
            Col::Account => "account".into(),
            Col::Region => "region".into(),
        }
    }

    fn sort(self) -> Option<SortKey> {
        match self {
            Col::Time => Some(SortKey::Time),
            Col::Kind => Some(SortKey::Kind),
            Col::Event => Some(SortKey::Event),
            Col::Principal => Some(SortKey::Principal),
            Col::Ip => Some(SortKey::Ip),
            Col::Account => Some(SortKey::Account),
            Col::Region => Some(SortKey::Region),
            Col::Resource => None,
        }
    }
}

fn kind_short(k: RecordKind) -> &'static str {
    match k {
        RecordKind::GuardDuty => "GD",
        RecordKind::CloudTrail => "CT",
        RecordKind::Ocsf => "OC",
    }
}

/// How a time is written: with the year when the records span years.
pub fn time_text(t: Option<&chrono::DateTime<chrono::Utc>>, zone: Zone, years: bool) -> String {
    match t {
        Some(t) if years => zone.format(t, "%Y-%m-%d %H:%M"),
        Some(t) => zone.format(t, "%m-%d %H:%M:%S"),
        None => "-".into(),
    }
}

/// Whether the records' times span more than one year.
pub fn spans_years<'a>(records: impl Iterator<Item = &'a Record>) -> bool {
    let mut years = records.filter_map(|r| r.time.map(|t| chrono::Datelike::year(&t)));
    let Some(first) = years.next() else {
        return false;
    };
    years.any(|y| y != first)
}

/// The event cell's text: the event, then its error (CloudTrail) or nothing.
fn event_text(r: &Record) -> String {
    let mut s = for_terminal(&r.event).into_owned();
    if let Some(e) = &r.error {
        s.push_str(" ✗");
        s.push_str(&for_terminal(e));
    }
    if !r.also.is_empty() {
        s.push_str(&format!(" ×{}", r.also.len() + 1));
    }
    s
}

/// The columns for `width`, each with its width, fitted to the records shown.
pub fn columns(visible: &[&Record], width: u16, years: bool) -> Vec<(Col, u16)> {
    let w = width;
    let time_w: u16 = if years { 16 } else { 14 };
    let kind_w: u16 = 3;
    let need = |f: &dyn Fn(&Record) -> usize, min: usize, max: usize| -> u16 {
        visible
            .iter()
            .map(|r| f(r))
            .max()
            .unwrap_or(0)
            .clamp(min, max) as u16
    };
    let sev_w = |r: &Record| if r.severity.is_some() { 5 } else { 0 };
    let event_need = need(&|r| event_text(r).chars().count() + sev_w(r), 8, 60);
    let principal_need = need(
        &|r| {
            r.principal
                .as_deref()
                .map_or(0, |p| short_principal(p).chars().count())
        },
        9,
        48,
    );
    let ip_need = need(&|r| r.ip.as_deref().map_or(0, str::len), 2, 39);
    let resource_need = need(
        &|r| r.resource.as_deref().map_or(0, |s| s.chars().count()),
        2,
        60,
    );
    let has = |f: &dyn Fn(&Record) -> bool| visible.iter().any(|r| f(r));
    let mut cols: Vec<(Col, u16)> = vec![(Col::Time, time_w), (Col::Kind, kind_w)];
    let mut used = time_w + kind_w + 1;
    // The event gets at least what the first columns leave it a fair share of.
    let event_min = event_need.min(22);
    cols.push((Col::Event, event_min));
    used += event_min + 1;
    for (col, min, want, present) in [
        (
            Col::Principal,
            12u16,
            principal_need,
            has(&|r| r.principal.is_some()),
        ),
        (Col::Ip, 7, ip_need, has(&|r| r.ip.is_some())),
        (
            Col::Resource,
            10,
            resource_need,
            has(&|r| r.resource.is_some()),
        ),
        (Col::Account, 12, 12, has(&|r| r.account.is_some())),
        (Col::Region, 9, 14, has(&|r| r.region.is_some())),
    ] {
        if !present {
            continue;
        }
        let width = want.min(want.max(min));
        if used + width + 1 <= w {
            cols.push((col, width));
            used += width + 1;
        } else if used + min + 1 <= w {
            cols.push((col, w - used - 1));
            used = w;
        }
    }
    // What is left goes to the event as far as it needs, then to the principal and resource.
    let mut spare = w.saturating_sub(used);
    for col in [Col::Event, Col::Principal, Col::Resource] {
        let want = match col {
            Col::Event => event_need,
            Col::Principal => principal_need,
            _ => resource_need,
        };
        if let Some(c) = cols.iter_mut().find(|c| c.0 == col) {
            let grow = spare.min(want.saturating_sub(c.1));
            c.1 += grow;
            spare -= grow;
        }
    }
    cols
}

/// The table the list and the pivot timeline both draw.
pub fn table<'a>(
    visible: &[&'a Record],
    cursor: Option<usize>,
    cols: &[(Col, u16)],
    app: &App,
    focused: bool,
    sort: Option<SortKey>,
    years: bool,
) -> Table<'a> {
    let theme = &app.theme;
    let header = Row::new(cols.iter().map(|(c, _)| {
        let mut s = Style::default()
            .fg(theme.c.dim)
            .add_modifier(Modifier::BOLD);
        if sort.is_some() && c.sort() == sort {
            s = s.add_modifier(Modifier::UNDERLINED);
        }
        Cell::from(c.title(app.settings.zone)).style(s)
    }));
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let row = Row::new(cols.iter().map(|(c, _)| cell(r, *c, app, years)));
            if Some(n) == cursor {
                row.style(theme.selected(focused))
            } else {
                row
            }
        })
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|c| Constraint::Length(c.1)).collect();
    Table::new(rows, widths).header(header).column_spacing(1)
}

/// The mark of a detection level: what stands out in a list.
pub fn level_mark(level: Option<Level>, theme: &Theme) -> Span<'static> {
    match level {
        Some(Level::Critical) => {
            Span::styled("‼", theme.fg(theme.c.error).add_modifier(Modifier::BOLD))
        }
        Some(Level::High) => {
            Span::styled("!", theme.fg(theme.c.error).add_modifier(Modifier::BOLD))
        }
        Some(Level::Medium) => Span::styled("•", theme.fg(theme.c.warning)),
        Some(_) => Span::styled("·", theme.fg(theme.c.dim)),
        None => Span::raw(" "),
    }
}

fn cell<'a>(r: &'a Record, c: Col, app: &App, years: bool) -> Cell<'a> {
    let theme = &app.theme;
    let text = |s: Option<&str>| for_terminal(s.unwrap_or("")).into_owned();
    match c {
        Col::Time => Cell::from(time_text(r.time.as_ref(), app.settings.zone, years)),
        Col::Kind => {
            let color = match r.kind {
                RecordKind::GuardDuty => theme.c.guardduty,
                RecordKind::CloudTrail => theme.c.cloudtrail,
                RecordKind::Ocsf => theme.c.ocsf,
            };
            let kind = if app.is_bookmarked(r) {
                Span::styled(
                    "★".to_string() + &kind_short(r.kind)[..1],
                    Style::default()
                        .fg(theme.c.title)
                        .add_modifier(Modifier::BOLD),
                )
            } else {
                Span::styled(kind_short(r.kind), Style::default().fg(color))
            };
            Cell::from(Line::from(vec![kind, level_mark(record_level(r), theme)]))
        }
        Col::Event => {
            let mut spans = Vec::new();
            if let Some(sev) = r.severity {
                spans.push(Span::styled(format!("{sev:>4.1} "), theme.severity(sev)));
            }
            spans.push(Span::raw(for_terminal(&r.event).into_owned()));
            if let Some(e) = &r.error {
                spans.push(Span::styled(
                    format!(" ✗{}", for_terminal(e)),
                    theme.fg(theme.c.error),
                ));
            }
            if !r.also.is_empty() {
                spans.push(Span::styled(
                    format!(" ×{}", r.also.len() + 1),
                    theme.fg(theme.c.dim),
                ));
            }
            Cell::from(Line::from(spans))
        }
        Col::Principal => Cell::from(text(r.principal.as_deref().map(short_principal))),
        Col::Ip => Cell::from(text(r.ip.as_deref())),
        Col::Resource => Cell::from(text(r.resource.as_deref())),
        Col::Account => Cell::from(text(r.account.as_deref())),
        Col::Region => Cell::from(text(r.region.as_deref())),
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, focused: bool) {
    let theme = &app.theme;
    let recs = &app.records;
    let mut title = String::from(" records ");
    if !recs.rows.is_empty() || app.load.is_some() {
        title = if recs.view.len() == recs.rows.len() {
            format!(" {} ", plural(recs.rows.len(), "record", "records"))
        } else {
            format!(
                " {} of {} ",
                thousands(recs.view.len()),
                plural(recs.rows.len(), "record", "records")
            )
        };
    }
    match (recs.sort, recs.reverse) {
        (None | Some(SortKey::Time), false) => {}
        (None | Some(SortKey::Time), true) => title.push_str("· newest first "),
        (Some(SortKey::Severity), false) => title.push_str("· highest severity first "),
        (Some(SortKey::Severity), true) => title.push_str("· lowest severity first "),
        (Some(k), r) => title.push_str(&format!(
            "· by {} {} ",
            k.name(),
            if r { "Z→A" } else { "A→Z" }
        )),
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
        let lines: Vec<Line> = match &app.load {
            None => start_hints(app),
            Some(l) if !l.done => vec![Line::raw("reading…")],
            Some(l) if l.cancelled => vec![Line::raw("cancelled before any record was read")],
            Some(_) => vec![Line::raw("no records here")],
        };
        f.render_widget(Paragraph::new(lines).style(theme.fg(theme.c.dim)), inner);
        return;
    }
    if recs.view.is_empty() {
        f.render_widget(
            Paragraph::new(format!(
                "the filter leaves none of the {}: Esc clears it",
                plural(recs.rows.len(), "record", "records")
            ))
            .style(theme.fg(theme.c.warning)),
            inner,
        );
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    let end = (recs.offset + height).min(recs.view.len());
    let visible: Vec<&Record> = (recs.offset..end).filter_map(|pos| recs.get(pos)).collect();
    let years = spans_years(recs.rows.iter().map(|r| &r.rec));
    let cols = columns(&visible, inner.width, years);
    let cursor = recs.cursor.checked_sub(recs.offset);
    f.render_widget(
        table(&visible, cursor, &cols, app, focused, recs.sort, years),
        inner,
    );
}

/// The first screen says how to start: which keys read, pivot, jump and help.
fn start_hints(app: &App) -> Vec<Line<'static>> {
    let k = |a| app.keymap.hint(a);
    use crate::tui::keymap::Action;
    vec![
        Line::raw("Nothing read yet. In the partitions:"),
        Line::raw(format!(
            "  j/k move · {} opens a folder, reads a day or object",
            k(Action::Open)
        )),
        Line::raw(format!(
            "  {} reads a whole folder · {} adds it to the list",
            k(Action::Read),
            k(Action::ReadAdd)
        )),
        Line::raw(format!(
            "Then {} pivots on a record's IP, key or principal across every source,",
            k(Action::Pivot)
        )),
        Line::raw(format!(
            "{} jumps to an account, region or day (:1111 use1 0502), {} lists every key.",
            k(Action::Palette),
            k(Action::Help)
        )),
    ]
}
