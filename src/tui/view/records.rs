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
    // Below 100 columns a time loses its seconds before the principal loses its name (the
    // record pane has the exact time).
    let time_w: u16 = match (years, width < 100) {
        (true, _) => 16,
        (false, true) => 11,
        (false, false) => 14,
    };
    // Kind, detection level and, for CloudTrail, the object's integrity once known.
    let kind_w: u16 = 4;
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
    let event_min = event_need.min(28);
    cols.push((Col::Event, event_min));
    used += event_min + 1;
    // Widths are given by importance: an IP is short and wrong when cut, so it comes whole
    // before the principal; the columns are then shown in reading order.
    for (col, min, present) in [
        (Col::Ip, ip_need, has(&|r| r.ip.is_some())),
        (Col::Principal, 12u16, has(&|r| r.principal.is_some())),
        (Col::Resource, 10, has(&|r| r.resource.is_some())),
    ] {
        if !present {
            continue;
        }
        if used + min < w {
            cols.push((col, min));
            used += min + 1;
        }
    }
    // What is left goes to the columns as far as they need: the event and the resource up to a
    // fair width, the principal, then the rest of the event and the resource.
    let mut spare = w.saturating_sub(used);
    for (col, upto) in [
        (Col::Event, event_need.min(40)),
        (Col::Resource, resource_need.min(24)),
        (Col::Principal, principal_need),
        (Col::Event, event_need),
        (Col::Resource, resource_need),
    ] {
        if let Some(c) = cols.iter_mut().find(|c| c.0 == col) {
            let grow = spare.min(upto.saturating_sub(c.1));
            c.1 += grow;
            spare -= grow;
        }
    }
    // Account and region come last, when the rest is whole.
    for (col, width, present) in [
        (Col::Account, 12u16, has(&|r| r.account.is_some())),
        (Col::Region, 14, has(&|r| r.region.is_some())),
    ] {
        let width = width.min(spare.saturating_sub(1));
        if present && width >= 9 {
            cols.push((col, width));
            spare -= width + 1;
        }
    }
    cols.sort_by_key(|c| c.0 as u8);
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
        // The event's heading names what its cells hold here: errors, findings.
        let title = match c {
            Col::Event => {
                let mut t = String::from("event");
                if visible.iter().any(|r| r.error.is_some()) {
                    t.push_str(" ✗error");
                }
                if visible.iter().any(|r| r.kind == RecordKind::GuardDuty) {
                    t.push_str(" / finding");
                }
                t
            }
            _ => c.title(app.settings.zone),
        };
        Cell::from(title).style(s)
    }));
    let rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let row = Row::new(cols.iter().map(|(c, w)| cell(r, *c, *w, app, years)));
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

/// A GuardDuty finding type too long for its cell loses its least telling parts first:
/// `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS` becomes
/// `IAMUser/InstanceCredentialExfiltration.OutsideAWS`, then `InstanceCredentialExfiltration…`
/// (the full type is in the record pane).
fn shorten_finding(event: &str, room: usize) -> String {
    let fits = |s: &str| s.chars().count() <= room;
    if fits(event) {
        return event.to_string();
    }
    let without_purpose = event.split_once(':').map_or(event, |(_, rest)| rest);
    if fits(without_purpose) {
        return without_purpose.to_string();
    }
    without_purpose
        .rsplit_once('/')
        .map_or(without_purpose, |(_, family)| family)
        .to_string()
}

/// The mark of a CloudTrail object's integrity: `✓` valid, `✗` tampered, deleted, unlisted or
/// signed wrongly (also listed under `!`), `?` not provable (the newest digest offline, a log
/// not yet listed, a check that failed); nothing until validation answers.
pub fn integrity_mark(i: Option<&crate::verify::Integrity>, theme: &Theme) -> Span<'static> {
    use crate::verify::Status;
    match i.map(|i| i.status) {
        None => Span::raw(" "),
        Some(Status::Valid) => Span::styled("✓", theme.fg(theme.c.dim)),
        Some(Status::Unverifiable | Status::Pending | Status::Error) => {
            Span::styled("?", theme.fg(theme.c.dim))
        }
        Some(_) => Span::styled("✗", theme.fg(theme.c.error).add_modifier(Modifier::BOLD)),
    }
}

fn cell<'a>(r: &'a Record, c: Col, width: u16, app: &App, years: bool) -> Cell<'a> {
    let theme = &app.theme;
    let text = |s: Option<&str>| for_terminal(s.unwrap_or("")).into_owned();
    match c {
        Col::Time if !years && width < 14 => Cell::from(
            r.time
                .as_ref()
                .map_or("-".into(), |t| app.settings.zone.format(t, "%m-%d %H:%M")),
        ),
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
            Cell::from(Line::from(vec![
                kind,
                level_mark(record_level(r), theme),
                integrity_mark(app.integrity.get(&r.origin.object), theme),
            ]))
        }
        Col::Event => {
            let mut spans = Vec::new();
            if let Some(sev) = r.severity {
                spans.push(Span::styled(format!("{sev:>4.1} "), theme.severity(sev)));
            }
            // What follows the name (its error, ×N) stays whole; the name gives way.
            let tail = event_text(r).chars().count() - for_terminal(&r.event).chars().count();
            let room = (width as usize)
                .saturating_sub(if r.severity.is_some() { 5 } else { 0 })
                .saturating_sub(tail);
            let event = for_terminal(&r.event);
            spans.push(Span::raw(match r.kind {
                RecordKind::GuardDuty => shorten_finding(&event, room),
                _ => event.into_owned(),
            }));
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
        f.render_widget(
            Paragraph::new(lines)
                .style(theme.fg(theme.c.dim))
                .wrap(ratatui::widgets::Wrap { trim: false }),
            inner,
        );
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
    let years = recs.span.many();
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

#[cfg(test)]
mod tests {
    use super::shorten_finding;

    #[test]
    fn a_long_finding_type_keeps_its_family() {
        let t = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS";
        assert_eq!(shorten_finding(t, 80), t);
        assert_eq!(
            shorten_finding(t, 50),
            "IAMUser/InstanceCredentialExfiltration.OutsideAWS"
        );
        assert_eq!(
            shorten_finding(t, 20),
            "InstanceCredentialExfiltration.OutsideAWS"
        );
    }
}
