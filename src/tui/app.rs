//! The screen's state and how it changes. A key goes through the keymap for where it is pressed
//! (a window over the panes, else the pane with focus) and becomes an action; a [`Msg`] from the
//! background goes to the part of the state it answers. Each pane acts on its own actions (the
//! tree, the list, the pivot, the record); what crosses panes (loads, scans, focus) is done here.
//! Nothing here awaits anything, and nothing here draws.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod athena;
mod evidence;
mod session;

use super::counts::CountView;
use super::keymap::{Action, Context, Keymap};
use super::loader::{LoadRequest, Loader};
use super::msg::{LoadGen, Msg};
use super::palette::{Palette, Target};
use super::pivot_view::{Chooser, Pivots, Scanning, Stage};
use super::preview::{osc52, CopyWhat, Preview, OSC52_LIMIT};
use super::records::{Records, SortKey};
use super::theme::Theme;
use super::tree::{Need, Tree};
use crate::entity::Entity;
use crate::query::{Query, QueryError};
use crate::record::Record;
use crate::scope::Scope;
use crate::source::Source;
use crate::walk::LsRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Tree,
    Records,
    Preview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Find,
    /// A regex inside the record shown.
    FindInRecord,
    /// The file the list or pivot is exported to.
    Export,
}

pub enum Overlay {
    Help {
        scroll: usize,
    },
    Failures {
        scroll: usize,
    },
    Palette(Palette),
    /// The entities of the selected record, to pivot on one.
    Chooser(Chooser),
    /// Top values of a column of the list or pivot.
    Counts(CountView),
    /// The pivot widened to Athena: window, estimate, confirmation, progress.
    Athena(super::widen::Widen),
    Input {
        kind: InputKind,
        text: String,
        before: String,
        /// What is wrong with the text, and where (shown under it).
        error: Option<QueryError>,
    },
}

/// Something that could not be read, and why.
#[derive(Debug, Clone)]
pub struct Failure {
    pub what: String,
    pub reason: String,
    /// The object or folder was lost (not just a line of it).
    pub fatal: bool,
}

/// The load feeding the list.
pub struct LoadState {
    pub gen: LoadGen,
    /// The tree node read last, which learns its object count and size from the plan.
    pub node: Option<usize>,
    /// Every partition or object the list holds, in the order they were read.
    pub reqs: Vec<LoadRequest>,
    pub label: String,
    pub planned: Option<(usize, u64)>,
    pub objects_done: usize,
    pub bytes_done: u64,
    pub records: usize,
    pub failed: usize,
    pub started: Instant,
    pub done: bool,
    pub cancelled: bool,
}

/// How times are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    #[default]
    Utc,
    Local,
}

impl Zone {
    pub fn parse(s: &str) -> Option<Zone> {
        match s {
            "utc" | "UTC" => Some(Zone::Utc),
            "local" => Some(Zone::Local),
            _ => None,
        }
    }

    /// `UTC`, or the local offset (`+02:00`).
    pub fn label(self) -> String {
        match self {
            Zone::Utc => "UTC".into(),
            Zone::Local => chrono::Local::now().format("%:z").to_string(),
        }
    }

    /// `t` in this zone, as `format` writes it.
    pub fn format(self, t: &chrono::DateTime<chrono::Utc>, format: &str) -> String {
        match self {
            Zone::Utc => t.format(format).to_string(),
            Zone::Local => t.with_timezone(&chrono::Local).format(format).to_string(),
        }
    }
}

/// Settings the screen reads from the command line and the config file.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How far either side of a record a pivot scans.
    pub around: chrono::Duration,
    /// Bytes a scan reads without asking.
    pub scan_budget: u64,
    pub zone: Zone,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            around: chrono::Duration::hours(24),
            scan_budget: crate::config::DEFAULT_SCAN_BUDGET,
            zone: Zone::Utc,
        }
    }
}

/// Rows up to which the filter follows the typing (a free-text word over this many records
/// takes about a tenth of a second on the development machine).
pub const LIVE_FILTER_ROWS: usize = 20_000;

/// Page sizes of the panes, set from the screen's size before each frame.
#[derive(Debug, Clone, Copy)]
pub struct Pages {
    pub tree: usize,
    pub records: usize,
    pub preview: usize,
}

impl Default for Pages {
    fn default() -> Self {
        Pages {
            tree: 10,
            records: 10,
            preview: 10,
        }
    }
}

pub struct App {
    pub tree: Tree,
    pub records: Records,
    pub pivots: Pivots,
    pub preview: Preview,
    pub focus: Focus,
    pub overlay: Option<Overlay>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub loader: Loader,
    pub load: Option<LoadState>,
    pub failures: Vec<Failure>,
    pub index: Option<Vec<(usize, LsRow)>>,
    indexing: bool,
    reveal: Option<(usize, String)>,
    /// A one-line note on the hint line (a warning, a "not found").
    pub message: Option<String>,
    pub quit: bool,
    /// Bytes for the terminal itself (OSC 52 copies), written after the next frame.
    pub out: Vec<String>,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Advances every tick while work runs, for spinners.
    pub tick: usize,
    /// Rows of the panes at the last layout, for paging.
    pub pages: Pages,
    last_rebuild: Instant,
    /// What the listing said of every object read (ETag, size, time), for evidence export.
    pub objects: crate::evidence::Objects,
    /// Log file integrity of the CloudTrail objects read, once validation has answered.
    pub integrity: crate::verify::Integrities,
    /// Bookmarked records, by object and position (they outlive a reload).
    pub bookmarks: std::collections::BTreeSet<(String, u64)>,
    /// Where exports go unless the user types another path.
    pub export_dir: std::path::PathBuf,
    pub athena: super::widen::AthenaSide,
    /// Where the session is saved for `--resume` (none in tests that do not ask).
    pub resume: Option<super::resume::Resume>,
    pub settings: Settings,
    /// A folder the tree's cursor rests on, listed for its size once it has rested a moment.
    measure: Option<(usize, Instant)>,
    /// Until the user reads something: open on the newest findings once the index is in.
    pub start_at_alerts: bool,
    /// Who is behind the record shown: its actor's identity chain back to its start, in a line.
    pub who: Option<String>,
    /// How many rows the pivot index held when `who` was found, and when.
    who_at: (usize, Instant),
}

/// Stored bytes per record, about, for making room (gzip CloudTrail is 120 to 130; an
/// overestimate only reserves address space, which is not touched).
const BYTES_PER_RECORD: u64 = 100;

/// Time a frame may spend indexing new rows for pivots (a frame is 12 ms; keys come first).
const INDEX_BUDGET: Duration = Duration::from_millis(4);

impl App {
    pub fn new(sources: Vec<Source>, loader: Loader, keymap: Keymap, theme: Theme) -> App {
        let mut warnings: Vec<String> = keymap.warnings.clone();
        warnings.extend(theme.warnings.iter().cloned());
        let mut app = App {
            tree: Tree::new(&sources),
            records: Records::default(),
            pivots: Pivots::default(),
            preview: Preview::default(),
            focus: Focus::Tree,
            overlay: None,
            keymap,
            theme,
            loader,
            load: None,
            failures: Vec::new(),
            index: None,
            indexing: false,
            reveal: None,
            message: warnings.first().cloned(),
            quit: false,
            out: Vec::new(),
            dirty: true,
            tick: 0,
            pages: Pages::default(),
            last_rebuild: Instant::now(),
            objects: Default::default(),
            integrity: Default::default(),
            bookmarks: Default::default(),
            export_dir: std::path::PathBuf::from("."),
            athena: Default::default(),
            resume: None,
            settings: Settings::default(),
            measure: None,
            start_at_alerts: false,
            who: None,
            who_at: (0, Instant::now()),
        };
        // Open every source's first level, as a file manager shows its roots.
        for i in 0..app.tree.nodes.len() {
            if app.tree.node(i).is_folder() {
                let need = app.tree.expand(i);
                app.fulfil(need);
            }
        }
        app
    }

    /// Opens on the alert: once the partition index is in, the newest day of findings of every
    /// GuardDuty source is read, highest severity first (unless the user read something first).
    pub fn open_at_alerts(&mut self) {
        self.start_at_alerts = true;
        self.start_index();
    }

    /// Whether a read of partitions is under way.
    pub fn reading(&self) -> bool {
        self.load.as_ref().is_some_and(|l| !l.done)
    }

    /// Work that frames do a slice at a time: rows to join the list, rows to index for pivots.
    pub fn behind(&self) -> bool {
        self.records.stale || self.pivots.index_behind(&self.records)
    }

    /// Whether background work this screen waits for is still running.
    pub fn busy(&self) -> bool {
        matches!(self.overlay, Some(Overlay::Athena(ref w)) if !matches!(w.stage, super::widen::Stage::Window(_) | super::widen::Stage::Confirm(..)))
            || self.indexing
            || self.reveal.is_some()
            || self.measure.is_some()
            || self.reading()
            || self.pivots.busy()
            || self
                .tree
                .nodes
                .iter()
                .any(|n| n.listed == super::tree::Listed::Listing)
    }

    fn fulfil(&mut self, need: Need) {
        if let Need::List {
            node,
            source,
            prefix,
        } = need
        {
            self.loader.list(node, source, prefix);
        }
    }

    // ---- keys -------------------------------------------------------------------------------

    /// Where a key is pressed now.
    fn context(&self) -> Context {
        match &self.overlay {
            Some(Overlay::Input { .. } | Overlay::Palette(_)) => Context::Prompt,
            Some(Overlay::Athena(w)) => w.context(),
            Some(_) => Context::Window,
            None if self.preview.pending_copy => Context::Copy,
            None if self.pivots.current().is_some_and(|f| {
                matches!(
                    f.scan.as_ref().map(|s| &s.stage),
                    Some(Stage::Asking { .. })
                )
            }) && self.focus == Focus::Records =>
            {
                Context::Question
            }
            None if self.focus == Focus::Preview => Context::Record,
            None => Context::Pane,
        }
    }

    pub fn on_key(&mut self, ev: KeyEvent) {
        self.dirty = true;
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        let ctx = self.context();
        // In a prompt, what types a character is text; the keymap speaks for the other keys.
        let typed = match ev.code {
            KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => Some(c),
            _ => None,
        };
        let action = match (ctx, typed) {
            (Context::Prompt, Some(_)) => None,
            _ => self.keymap.action_in(&ev, ctx),
        };
        if self.overlay.is_some() {
            self.overlay_key(action, typed);
            return;
        }
        self.message = None;
        if ctx == Context::Copy {
            self.preview.pending_copy = false;
            let what = match action {
                Some(Action::CopyValue) => CopyWhat::Value,
                Some(Action::CopyPath) => CopyWhat::PathDot,
                Some(Action::CopyJqPath) => CopyWhat::PathJq,
                Some(Action::CopyRecord) => CopyWhat::Record,
                _ => return,
            };
            self.copy(what);
            return;
        }
        if ctx == Context::Question {
            match action {
                Some(Action::Confirm) => return self.scan_go(),
                Some(Action::Deny | Action::Back) => return self.stop_scan(),
                _ => {}
            }
        }
        // Keys in the record pane act on the record the list shows now, drawn or not.
        self.sync_preview();
        match action {
            Some(action) => self.act(action),
            // Digits fold the record to that depth (a family of keys, so not in the table).
            None => {
                if let (Focus::Preview, Some(c @ '1'..='9')) = (self.focus, typed) {
                    self.preview.fold_to(c as u16 - '0' as u16);
                }
            }
        }
    }

    /// Puts the text on the terminal's clipboard (OSC 52), or in a file when it is too big for it.
    fn copy(&mut self, what: CopyWhat) {
        let text = self
            .selected()
            .and_then(|r| self.preview.copy_text(what, &r.value()));
        let Some(text) = text else {
            self.message = Some("nothing to copy: no record is shown".into());
            return;
        };
        let name = match what {
            CopyWhat::Value => "the value",
            CopyWhat::PathDot => "the path",
            CopyWhat::PathJq => "the jq path",
            CopyWhat::Record => "the record",
        };
        if text.len().div_ceil(3) * 4 <= OSC52_LIMIT {
            self.out.push(osc52(&text));
            self.message = Some(format!("copied {name} ({} bytes)", text.len()));
            return;
        }
        // The copy is evidence: a file of the owner's only, created new, never through a link.
        let name_of = format!("trawl-copy-{}.txt", std::process::id());
        let dir = crate::private_file::runtime_dir();
        self.message = Some(
            match dir
                .ok_or_else(|| std::io::Error::other("no private folder (XDG_RUNTIME_DIR, HOME)"))
                .and_then(|d| crate::private_file::write_private(&d, &name_of, text.as_bytes()))
            {
                Ok(path) => format!(
                    "{name} is too big for the terminal's clipboard ({} bytes): written to {}",
                    text.len(),
                    path.display()
                ),
                Err(e) => format!("{name} is too big for the terminal's clipboard, and {e}"),
            },
        );
    }

    /// Does what an action asks; shared by keys and the palette.
    pub fn act(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Action::Failures => self.overlay = Some(Overlay::Failures { scroll: 0 }),
            Action::Palette => self.open_palette(),
            Action::Filter => {
                let text = match self.pivots.current() {
                    Some(f) => f.filter_text.clone(),
                    None => self.records.filter_text.clone(),
                };
                self.prompt(InputKind::Filter, text.clone(), text);
            }
            Action::Find if self.focus == Focus::Preview => {
                // A new search starts empty (n/N repeat the last one).
                self.prompt(
                    InputKind::FindInRecord,
                    String::new(),
                    self.preview.search.clone(),
                );
            }
            Action::Find => {
                let before = match self.pivots.current() {
                    Some(f) => f.find_text.clone(),
                    None => self.records.find_text.clone(),
                };
                self.prompt(InputKind::Find, String::new(), before);
            }
            Action::FindNext | Action::FindPrev if self.focus == Focus::Preview => {
                if !self.preview.find(action == Action::FindNext) {
                    self.message = Some(format!("not in this record: {}", self.preview.search));
                }
            }
            Action::FindNext | Action::FindPrev => self.find(action == Action::FindNext),
            Action::Zoom => {
                self.preview.zoom = !self.preview.zoom;
                self.focus = Focus::Preview;
            }
            Action::Sort => self.records.cycle_sort(),
            Action::SortReverse => self.records.toggle_reverse(),
            Action::NextPane => self.focus = next_focus(self.focus, true),
            Action::PrevPane => self.focus = next_focus(self.focus, false),
            Action::Read | Action::ReadAdd => {
                if let Some(i) = self.tree.selected() {
                    self.start_load(i, action == Action::ReadAdd);
                    self.focus = Focus::Records;
                }
            }
            // Esc in the record pane goes back to the list (as its hint says); from the list or
            // the partitions it stops a read or a scan under way.
            Action::Back if self.focus != Focus::Preview && self.reading() => self.cancel_load(),
            Action::Back
                if self.focus != Focus::Preview
                    && self.pivots.current().is_some_and(|f| f.scanning()) =>
            {
                self.stop_scan()
            }
            Action::Pivot => self.open_chooser(),
            Action::Widen => self.widen_scan(),
            Action::Count => self.open_counts(),
            Action::Export => self.ask_export(),
            Action::Athena => self.open_widen(),
            Action::Bookmark => self.toggle_bookmark(),
            Action::NextBookmark => self.next_bookmark(),
            Action::PivotBack | Action::PivotForward => {
                if self.pivots.walk(action == Action::PivotForward) {
                    self.focus = Focus::Records;
                    self.scan_if_new();
                } else if self.pivots.history.is_empty() {
                    self.message =
                        Some("no pivot yet: p on a record pivots on its entities".into());
                } else {
                    self.message = Some("no further pivot that way".into());
                }
            }
            _ => match self.focus {
                Focus::Tree => self.tree_action(action),
                Focus::Records => self.records_action(action),
                Focus::Preview => self.preview_action(action),
            },
        }
    }

    fn prompt(&mut self, kind: InputKind, text: String, before: String) {
        self.overlay = Some(Overlay::Input {
            kind,
            text,
            before,
            error: None,
        });
    }

    fn find(&mut self, forward: bool) {
        let (found, text) = match self.pivots.current_mut() {
            // Inside a pivot, find walks the pivot.
            Some(f) => (
                f.find(forward).map_err(|e| e.to_string()),
                f.find_text.clone(),
            ),
            None => (self.records.find(forward), self.records.find_text.clone()),
        };
        match found {
            Ok(true) => {}
            Ok(false) if text.is_empty() => {
                self.message = Some("nothing to find: press / first".into())
            }
            Ok(false) => self.message = Some(format!("not found: {text}")),
            Err(e) => self.message = Some(e),
        }
    }

    fn cancel_load(&mut self) {
        self.loader.cancel();
        if let Some(l) = &mut self.load {
            l.done = true;
            l.cancelled = true;
        }
        self.records.rebuild();
        self.message = Some("load cancelled: the records read so far are shown".into());
    }

    fn tree_action(&mut self, action: Action) {
        let page = (self.pages.tree / 2).max(1) as isize;
        let Some(sel) = self.tree.selected() else {
            return;
        };
        match action {
            Action::Down => self.tree.move_by(1),
            Action::Up => self.tree.move_by(-1),
            Action::Top => self.tree.cursor = 0,
            Action::Bottom => self.tree.move_by(isize::MAX / 2),
            Action::PageDown => self.tree.move_by(page),
            Action::PageUp => self.tree.move_by(-page),
            Action::Open if self.tree.node(sel).is_day() || !self.tree.node(sel).is_folder() => {
                // Enter on a day or an object reads it; moving over it never does.
                self.start_load(sel, false);
                self.focus = Focus::Records;
            }
            Action::Right | Action::Open => {
                let node = self.tree.node(sel);
                if !node.is_folder() {
                    self.focus = Focus::Records;
                } else if node.expanded && action == Action::Right {
                    if !node.children.is_empty() {
                        self.tree.move_by(1);
                    }
                } else if node.expanded {
                    self.tree.collapse(sel);
                } else {
                    let need = self.tree.expand(sel);
                    self.fulfil(need);
                }
            }
            Action::Left | Action::Back => {
                let node = self.tree.node(sel);
                if node.expanded && action == Action::Left {
                    self.tree.collapse(sel);
                } else if let Some(p) = node.parent {
                    self.tree.select_node(p);
                }
            }
            _ => {}
        }
        self.follow_tree();
    }

    fn records_action(&mut self, action: Action) {
        let page = (self.pages.records / 2).max(1) as isize;
        if let Some(f) = self.pivots.current_mut() {
            match action {
                Action::Down => f.move_by(1),
                Action::Up => f.move_by(-1),
                Action::Top => f.move_by(isize::MIN / 2),
                Action::Bottom => f.move_by(isize::MAX / 2),
                Action::PageDown => f.move_by(page),
                Action::PageUp => f.move_by(-page),
                Action::Right | Action::Open => self.focus = Focus::Preview,
                Action::Back if !f.filter_text.is_empty() => {
                    let _ = f.set_filter("");
                }
                // Esc leaves the pivot view for the plain list; the history stays for `[`/`]`.
                Action::Back => self.pivots.active = false,
                Action::Left => self.focus = Focus::Tree,
                _ => {}
            }
            return;
        }
        match action {
            Action::Down => self.records.move_by(1),
            Action::Up => self.records.move_by(-1),
            Action::Top => self.records.move_by(isize::MIN / 2),
            Action::Bottom => self.records.move_by(isize::MAX / 2),
            Action::PageDown => self.records.move_by(page),
            Action::PageUp => self.records.move_by(-page),
            Action::Right | Action::Open => self.focus = Focus::Preview,
            Action::Back if !self.records.filter_text.is_empty() => {
                let _ = self.records.set_filter("");
            }
            Action::Left | Action::Back => self.focus = Focus::Tree,
            _ => {}
        }
    }

    fn preview_action(&mut self, action: Action) {
        let page = (self.pages.preview / 2).max(1);
        let p = &mut self.preview;
        if p.is_empty() {
            if matches!(action, Action::Left | Action::Back) {
                self.focus = Focus::Records;
            }
            return;
        }
        match action {
            Action::Down => p.down(1),
            Action::Up => p.up(1),
            Action::Top => p.first(),
            Action::Bottom => p.last(),
            Action::PageDown => p.down(page),
            Action::PageUp => p.up(page),
            Action::Right => p.right(),
            Action::Left => p.left(),
            Action::Parent => p.parent(),
            Action::NextSibling => p.sibling(true),
            Action::PrevSibling => p.sibling(false),
            Action::Toggle => p.toggle(),
            Action::Collapse => p.siblings(true, false),
            Action::CollapseDeep => p.siblings(true, true),
            Action::Expand => p.siblings(false, false),
            Action::ExpandDeep => p.siblings(false, true),
            Action::Copy => p.pending_copy = true,
            Action::Open => p.zoom = !p.zoom,
            Action::Back if p.zoom => p.zoom = false,
            Action::Back => self.focus = Focus::Records,
            _ => {}
        }
    }

    fn overlay_key(&mut self, action: Option<Action>, typed: Option<char>) {
        let Some(overlay) = self.overlay.take() else {
            return;
        };
        self.overlay = match overlay {
            Overlay::Help { scroll } | Overlay::Failures { scroll } => {
                let help = matches!(overlay, Overlay::Help { .. });
                let scroll = match action {
                    Some(Action::Down) => Some(scroll + 1),
                    Some(Action::Up) => Some(scroll.saturating_sub(1)),
                    Some(Action::PageDown) => Some(scroll + 10),
                    Some(Action::PageUp) => Some(scroll.saturating_sub(10)),
                    Some(Action::Top) => Some(0),
                    _ => None,
                };
                scroll.map(|scroll| {
                    if help {
                        Overlay::Help { scroll }
                    } else {
                        Overlay::Failures { scroll }
                    }
                })
            }
            Overlay::Palette(p) => self.palette_key(p, action, typed),
            Overlay::Chooser(c) => self.chooser_key(c, action),
            Overlay::Counts(c) => self.counts_key(c, action),
            Overlay::Athena(w) => self.widen_key(w, action, typed),
            Overlay::Input {
                kind,
                text,
                before,
                error,
            } => self.input_key(kind, text, before, error, action, typed),
        };
    }

    /// `p`: the entities of the record shown, with how many records of the list share each.
    fn open_chooser(&mut self) {
        let Some(rec) = self.selected().cloned() else {
            self.message = Some("nothing to pivot on: no record is selected".into());
            return;
        };
        match self.pivots.chooser(&self.records, &rec) {
            Some(c) => self.overlay = Some(Overlay::Chooser(c)),
            None => self.message = Some("this record names no IP, key or principal".into()),
        }
    }

    fn chooser_key(&mut self, mut c: Chooser, action: Option<Action>) -> Option<Overlay> {
        match action {
            Some(Action::Down) => c.cursor = (c.cursor + 1).min(c.items.len().saturating_sub(1)),
            Some(Action::Up) => c.cursor = c.cursor.saturating_sub(1),
            Some(Action::Top) => c.cursor = 0,
            Some(Action::Bottom) => c.cursor = c.items.len().saturating_sub(1),
            Some(Action::Open | Action::Right | Action::Pivot) => {
                let target = c.items.get(c.cursor)?.0.clone();
                self.pivot_from(target, c.center, c.from);
                return None;
            }
            Some(Action::Back | Action::Quit) => return None,
            _ => {}
        }
        Some(Overlay::Chooser(c))
    }

    /// Opens a pivot on `target` and starts its scan of every opened source: `around` either
    /// side of `center`, or everything the sources hold when there is no centre.
    pub fn pivot_on(&mut self, target: Entity, center: Option<chrono::DateTime<chrono::Utc>>) {
        self.pivot_from(target, center, None);
    }

    /// As `pivot_on`, the cursor on `from`, the record pivoted from.
    fn pivot_from(
        &mut self,
        target: Entity,
        center: Option<chrono::DateTime<chrono::Utc>>,
        from: Option<Record>,
    ) {
        let around = self.settings.around;
        self.pivots
            .open(&self.records, target, center, around, from);
        self.focus = Focus::Records;
        self.start_scan();
    }

    /// Starts (or starts again, wider) the scan of the current pivot.
    fn start_scan(&mut self) {
        let gen = self.pivots.next_gen();
        let budget = self.settings.scan_budget;
        let Some(f) = self.pivots.current_mut() else {
            return;
        };
        if let Some(old) = &f.scan {
            old.cancel.cancel();
        }
        let scope = Scope {
            since: f.window.map(|w| w.0),
            until: f.window.map(|w| w.1),
            ..Scope::default()
        };
        let (cancel, go) = self
            .loader
            .scan(gen, f.target.clone(), scope, f.center, budget);
        f.scan = Some(Scanning {
            gen,
            stage: Stage::Planning,
            progress: Default::default(),
            started: Instant::now(),
            planned: None,
            unlisted: 0,
            cancel,
            go: Some(go),
        });
    }

    /// A pivot shown that never scanned (one restored from a saved session) scans now.
    pub(super) fn scan_if_new(&mut self) {
        if self.pivots.current().is_some_and(|f| f.scan.is_none()) {
            self.start_scan();
        }
    }

    /// `y` to a scan above the budget: read it.
    fn scan_go(&mut self) {
        if let Some(s) = self.pivots.current_mut().and_then(|f| f.scan.as_mut()) {
            if let Some(go) = s.go.take() {
                let _ = go.send(());
            }
            s.stage = Stage::Running;
            s.started = Instant::now();
        }
    }

    /// Esc during a scan: it stops, and what it found stays.
    fn stop_scan(&mut self) {
        if let Some(s) = self.pivots.current_mut().and_then(|f| f.scan.as_mut()) {
            s.cancel.cancel();
            s.go = None;
            s.stage = Stage::Stopped;
            self.message = Some("scan stopped: what it found is shown (w scans wider)".into());
        }
    }

    /// `w`: the pivot's window twice as wide either way, scanned again (what was found stays).
    fn widen_scan(&mut self) {
        let Some(f) = self.pivots.current_mut() else {
            self.message = Some("w widens a pivot's scan: p on a record pivots first".into());
            return;
        };
        if f.center.is_none() {
            self.message = Some("this pivot already reads everything the sources hold".into());
            return;
        }
        f.widen();
        self.start_scan();
    }

    fn open_palette(&mut self) {
        self.start_index();
        self.overlay = Some(Overlay::Palette(Palette::new(
            self.index.as_deref(),
            &self.keymap,
        )));
    }

    fn start_index(&mut self) {
        if self.index.is_none() && !self.indexing {
            self.indexing = true;
            self.loader.index();
        }
    }

    fn palette_key(
        &mut self,
        mut p: Palette,
        action: Option<Action>,
        typed: Option<char>,
    ) -> Option<Overlay> {
        if let Some(c) = typed {
            p.input.push(c);
            p.refresh();
            return Some(Overlay::Palette(p));
        }
        match action {
            Some(Action::Back) => return None,
            Some(Action::Open) => {
                let target = p.selected().map(|i| i.target.clone());
                match target {
                    Some(Target::Action(a)) => self.act(a),
                    Some(Target::Partition { source, prefix }) => self.jump(source, prefix),
                    None => return Some(Overlay::Palette(p)),
                }
                // An action may have opened its own overlay (help, filter).
                return self.overlay.take();
            }
            Some(Action::NextItem | Action::Down) => {
                p.cursor = (p.cursor + 1).min(p.matches.len().saturating_sub(1))
            }
            Some(Action::PrevItem | Action::Up) => p.cursor = p.cursor.saturating_sub(1),
            Some(Action::DeleteChar) => {
                p.input.pop();
                p.refresh();
            }
            Some(Action::ClearInput) => {
                p.input.clear();
                p.refresh();
            }
            _ => {}
        }
        Some(Overlay::Palette(p))
    }

    fn input_key(
        &mut self,
        kind: InputKind,
        mut text: String,
        before: String,
        error: Option<QueryError>,
        action: Option<Action>,
        typed: Option<char>,
    ) -> Option<Overlay> {
        let query = matches!(kind, InputKind::Filter | InputKind::Find);
        match (typed, action) {
            (Some(c), _) => text.push(c),
            (None, Some(Action::Back)) => {
                if kind == InputKind::Filter {
                    self.apply_filter(&before);
                }
                return None;
            }
            (None, Some(Action::Open)) => {
                if query {
                    if let Err(e) = Query::parse(&text) {
                        // Said where it was typed; the prompt stays open to mend it.
                        return Some(Overlay::Input {
                            kind,
                            text,
                            before,
                            error: Some(e),
                        });
                    }
                }
                match kind {
                    InputKind::Filter => {
                        self.apply_filter(&text);
                        self.focus = Focus::Records;
                        self.say_when_empty();
                    }
                    InputKind::Find => {
                        match self.pivots.current_mut() {
                            Some(f) => f.find_text = text,
                            None => self.records.find_text = text,
                        }
                        self.focus = Focus::Records;
                        self.find(true);
                    }
                    InputKind::Export => self.export(&text),
                    InputKind::FindInRecord => {
                        if let Err(e) = self.preview.set_search(&text) {
                            self.message = Some(e);
                            return Some(Overlay::Input {
                                kind,
                                text,
                                before,
                                error,
                            });
                        }
                        if !self.preview.find(true) && !text.is_empty() {
                            self.message = Some(format!("not in this record: {text}"));
                        }
                    }
                }
                return None;
            }
            (None, Some(Action::DeleteChar)) => {
                text.pop();
            }
            (None, Some(Action::ClearInput)) => text.clear(),
            _ => {
                return Some(Overlay::Input {
                    kind,
                    text,
                    before,
                    error,
                })
            }
        }
        // The filter follows the typing; a half-typed `sev:>` is not an error yet.
        let mut error = None;
        if query {
            match Query::parse(&text) {
                Ok(_) if kind == InputKind::Filter && self.filters_as_typed() => {
                    self.apply_filter(&text)
                }
                Ok(_) => {}
                Err(e) => error = Some(e),
            }
        }
        Some(Overlay::Input {
            kind,
            text,
            before,
            error,
        })
    }

    /// Whether the filter follows the typing: a long list is filtered on Enter only, since each
    /// filtering reads every row (and texts that a word may be in), and keys would wait on it.
    pub fn filters_as_typed(&self) -> bool {
        self.filtered_rows() <= LIVE_FILTER_ROWS
    }

    /// The rows a filter reads: the pivot's inside a pivot, else the list's.
    pub fn filtered_rows(&self) -> usize {
        match self.pivots.current() {
            Some(f) => f.records.len(),
            None => self.records.rows.len(),
        }
    }

    /// Filters what the record pane shows: the pivot inside a pivot, else the list. The same
    /// filter again reads nothing (Esc after typing into a long list's prompt).
    fn apply_filter(&mut self, text: &str) {
        match self.pivots.current_mut() {
            Some(f) if f.filter_text != text => {
                let _ = f.set_filter(text);
            }
            None if self.records.filter_text != text => {
                let _ = self.records.set_filter(text);
            }
            _ => {}
        }
    }

    /// A filter that leaves nothing says so, and how to get the records back.
    fn say_when_empty(&mut self) {
        let (shown, all) = match self.pivots.current() {
            Some(f) => (f.rows.len(), f.records.len()),
            None => (self.records.view.len(), self.records.rows.len()),
        };
        if shown == 0 && all > 0 {
            self.message = Some(format!(
                "the filter leaves none of the {} records: Esc clears it",
                crate::text::thousands(all)
            ));
        }
    }

    // ---- counts -------------------------------------------------------------------------------

    /// `t`: top values of a column over what the record pane shows.
    fn open_counts(&mut self) {
        let view = CountView::new(self.shown(), 0);
        if view.counts.records == 0 {
            self.message = Some("nothing to count: the list is empty".into());
            return;
        }
        self.overlay = Some(Overlay::Counts(view));
    }

    fn counts_key(&mut self, mut c: CountView, action: Option<Action>) -> Option<Overlay> {
        match action {
            Some(Action::Down) => c.move_by(1),
            Some(Action::Up) => c.move_by(-1),
            Some(Action::PageDown) => c.move_by(10),
            Some(Action::PageUp) => c.move_by(-10),
            Some(Action::Top) => c.move_by(isize::MIN / 2),
            Some(Action::Bottom) => c.move_by(isize::MAX / 2),
            Some(Action::Right | Action::NextPane) => {
                c = CountView::new(self.shown(), c.field + 1);
            }
            Some(Action::Left | Action::PrevPane) => {
                c = CountView::new(self.shown(), c.field + super::counts::FIELDS.len() - 1);
            }
            Some(Action::Open | Action::Filter) => {
                if let Some(term) = c.term() {
                    self.apply_filter(&term);
                    self.focus = Focus::Records;
                    self.message = Some(format!("filtered to {term} (Esc clears)"));
                }
                return None;
            }
            Some(Action::Pivot) => {
                match c.entity() {
                    Some(e) => {
                        let center = c.selected().and_then(|v| v.last);
                        self.pivot_on(e, center);
                    }
                    None => self.message = Some("not an IP, key or principal to pivot on".into()),
                }
                return None;
            }
            Some(Action::Back | Action::Quit | Action::Count) => return None,
            _ => {}
        }
        Some(Overlay::Counts(c))
    }

    // ---- loads and the tree -----------------------------------------------------------------

    /// The tree's cursor moved: a folder whose size is unknown is listed for it once the cursor
    /// rests there a moment. Nothing is read: reading takes Enter or `r`.
    fn follow_tree(&mut self) {
        self.measure = self.tree.selected().and_then(|i| {
            let n = self.tree.node(i);
            let unknown = n.is_folder()
                && n.objects.is_none()
                && n.listed == super::tree::Listed::No
                && n.is_day();
            unknown.then(|| (i, Instant::now()))
        });
    }

    /// Reads the node into the list: in its place, or (`add`) beside what the list holds.
    fn start_load(&mut self, i: usize, add: bool) {
        self.start_at_alerts = false;
        let n = self.tree.node(i);
        let req = LoadRequest {
            source: n.source,
            prefix: n.prefix.clone(),
            object: n.object.clone(),
        };
        let label = self.tree.path(i).join(" › ");
        self.read(vec![req], label, Some(i), add);
    }

    /// Reads these partitions into the list (newest wins over a load still running).
    pub fn read(&mut self, reqs: Vec<LoadRequest>, label: String, node: Option<usize>, add: bool) {
        let mut all = Vec::new();
        let mut label = label;
        if add {
            if let Some(l) = &self.load {
                if reqs.iter().all(|r| l.reqs.contains(r)) {
                    self.message = Some("already in the list".into());
                    return;
                }
                // A load still running is read again with the new part; copies merge.
                all = l.reqs.clone();
                label = format!("{} + {label}", l.label);
            }
        } else if self
            .load
            .as_ref()
            .is_some_and(|l| l.reqs == reqs && !l.cancelled)
        {
            return;
        }
        let fresh: Vec<LoadRequest> = reqs.into_iter().filter(|r| !all.contains(r)).collect();
        all.extend(fresh.iter().cloned());
        if !add {
            self.records.clear();
            self.preview.clear();
            // The alerts' order by severity was the screen's choice, not the user's: a new
            // list starts in time order.
            if self.records.sort == Some(SortKey::Severity) {
                self.records.sort = None;
            }
        }
        let running = self.reading();
        // A finished list only needs the new part read; a running one is read again whole.
        let to_read = if add && !running { fresh } else { all.clone() };
        let gen = self.loader.load(to_read);
        self.resume_pivots(&all);
        self.load = Some(LoadState {
            gen,
            node,
            reqs: all,
            label,
            planned: None,
            objects_done: 0,
            bytes_done: 0,
            records: 0,
            failed: 0,
            started: Instant::now(),
            done: false,
            cancelled: false,
        });
    }

    pub(super) fn jump(&mut self, source: usize, prefix: String) {
        self.reveal = Some((source, prefix));
        self.focus = Focus::Tree;
        self.step_reveal();
    }

    fn step_reveal(&mut self) {
        let Some((source, prefix)) = self.reveal.clone() else {
            return;
        };
        let (node, need) = self.tree.reveal(source, &prefix);
        match node {
            Some(i) if self.tree.node(i).prefix == prefix => {
                self.reveal = None;
                // A jump reads where it lands (the palette, a resumed session): that is why
                // the user asked for it.
                if self.tree.node(i).is_day()
                    || !self.tree.node(i).is_folder()
                    || self.resume.as_ref().is_some_and(|r| r.waiting())
                {
                    self.start_load(i, false);
                    self.focus = Focus::Records;
                }
            }
            Some(_) if need != Need::Nothing => self.fulfil(need),
            // Still listing: the answer continues the walk.
            Some(i) if self.tree.node(i).listed == super::tree::Listed::Listing => {}
            _ => {
                self.reveal = None;
                self.message = Some(format!("not in the tree any more: {prefix}"));
            }
        }
    }

    /// The newest day of findings under every GuardDuty source, read as one list, highest
    /// severity first: on call starts at the alert.
    /// The findings of the newest days GuardDuty wrote (three, as on call looks back over a
    /// weekend), every source, the most severe first.
    fn read_newest_findings(&mut self, rows: &[(usize, LsRow)]) {
        const ALERT_DAYS: i64 = 3;
        let day = |r: &LsRow| {
            r.day
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        };
        let findings: Vec<&(usize, LsRow)> = rows
            .iter()
            .filter(|(_, r)| r.kind == "guardduty" && day(r).is_some())
            .collect();
        let Some(newest) = findings.iter().filter_map(|(_, r)| day(r)).max() else {
            return;
        };
        let first = newest - chrono::Duration::days(ALERT_DAYS - 1);
        let reqs: Vec<LoadRequest> = findings
            .iter()
            .filter(|(_, r)| day(r).is_some_and(|d| d >= first))
            .map(|(s, r)| LoadRequest {
                source: *s,
                prefix: r.prefix.clone(),
                object: None,
            })
            .collect();
        let n = reqs.len();
        self.read(
            reqs,
            format!(
                "GuardDuty findings {first} to {newest} ({})",
                crate::text::plural(n, "partition", "partitions")
            ),
            None,
            false,
        );
        self.records.sort = Some(SortKey::Severity);
        self.records.reverse = false;
        self.focus = Focus::Records;
    }

    // ---- background answers -----------------------------------------------------------------

    pub fn on_msg(&mut self, msg: Msg) {
        self.dirty = true;
        match msg {
            Msg::Listed {
                node,
                prefix,
                result,
            } => {
                if let Err(e) = &result {
                    self.failures.push(Failure {
                        what: e.uri.clone(),
                        reason: e.to_string(),
                        fatal: true,
                    });
                }
                if let Ok(l) = &result {
                    for s in &l.skipped {
                        self.failures.push(Failure {
                            what: s.clone(),
                            reason: "skipped".into(),
                            fatal: false,
                        });
                    }
                }
                let need = self.tree.listed(node, &prefix, result);
                self.fulfil(need);
                self.step_reveal();
            }
            Msg::Indexed { rows, failures } => {
                self.indexing = false;
                for e in failures {
                    self.failures.push(Failure {
                        what: e.uri.clone(),
                        reason: e.to_string(),
                        fatal: true,
                    });
                }
                if let Some(Overlay::Palette(p)) = &mut self.overlay {
                    p.with_partitions(&rows);
                }
                if self.start_at_alerts && self.load.is_none() {
                    self.read_newest_findings(&rows);
                }
                self.start_at_alerts = false;
                self.index = Some(rows);
            }
            Msg::LoadPlanned {
                gen,
                objects,
                bytes,
            } => {
                if self.load_of(gen).is_some() {
                    // Room for what is coming, made once: a list of millions that doubled as it
                    // grew would copy itself on the screen's thread while keys wait.
                    self.records
                        .expect(usize::try_from(bytes / BYTES_PER_RECORD).unwrap_or(0));
                }
                if let Some(l) = self.load_of(gen) {
                    l.planned = Some((objects, bytes));
                    if let Some(node) = l.node {
                        let n = &mut self.tree.nodes[node];
                        if n.is_folder() && n.objects.is_none() {
                            n.objects = Some((objects, bytes));
                        }
                    }
                }
            }
            Msg::LoadFailed { gen, error } => {
                if let Some(l) = self.load_of(gen) {
                    l.failed += 1;
                    self.failures.push(Failure {
                        what: error.uri.clone(),
                        reason: error.to_string(),
                        fatal: true,
                    });
                }
            }
            Msg::ObjectRead {
                gen,
                result,
                bytes,
                meta,
                ids,
            } => {
                if self.load_of(gen).is_none() {
                    return;
                }
                self.objects.insert(result.uri.clone(), meta);
                let Some(l) = self.load_of(gen) else { return };
                l.objects_done += 1;
                l.bytes_done += bytes;
                l.records += result.records.len();
                if !result.complete && !result.cancelled {
                    l.failed += 1;
                }
                for p in &result.problems {
                    self.failures.push(Failure {
                        what: result.uri.to_string(),
                        reason: p.to_string(),
                        fatal: p.fatal,
                    });
                }
                self.records.push_identified(result.records, ids);
                // The first records show at once; later ones join at the throttled rebuild.
                if self.records.view.is_empty() {
                    self.rebuild_records();
                }
            }
            Msg::ScanPlanned {
                gen,
                objects,
                bytes,
                unlisted,
            } => {
                for e in &unlisted {
                    self.failures.push(Failure {
                        what: e.uri.clone(),
                        reason: e.to_string(),
                        fatal: true,
                    });
                }
                let budget = self.settings.scan_budget;
                if let Some(s) = self.pivots.scanning(gen).and_then(|f| f.scan.as_mut()) {
                    s.planned = Some((objects, bytes));
                    s.unlisted = unlisted.len();
                    s.stage = if bytes > budget {
                        Stage::Asking { objects, bytes }
                    } else {
                        Stage::Running
                    };
                }
            }
            Msg::ScanFound {
                gen,
                found,
                progress,
            } => {
                self.objects.insert(found.uri.clone(), found.meta.clone());
                for p in &found.problems {
                    self.failures.push(Failure {
                        what: found.uri.to_string(),
                        reason: p.to_string(),
                        fatal: p.fatal,
                    });
                }
                if let Some(f) = self.pivots.scanning(gen) {
                    let mut records = found.matches;
                    records.extend(found.issuers);
                    f.add(records);
                    if let Some(s) = &mut f.scan {
                        s.progress = progress;
                    }
                    // The first matches show at once; later ones at the throttled refresh.
                    if f.rows.is_empty() {
                        f.refresh();
                    }
                }
            }
            Msg::ScanDone { gen, stopped } => {
                if let Some(f) = self.pivots.scanning(gen) {
                    f.refresh();
                    if let Some(s) = &mut f.scan {
                        s.go = None;
                        s.stage = if stopped { Stage::Stopped } else { Stage::Done };
                    }
                }
            }
            Msg::Estimated { gen, estimate } => self.on_estimate(gen, estimate),
            Msg::AthenaProgress { gen, line } => self.on_athena_progress(gen, line),
            Msg::AthenaDone { gen, result } => self.on_athena_done(gen, result),
            Msg::Verified {
                integrities,
                problems,
            } => {
                for (uri, i) in &integrities {
                    if i.status.is_failure() {
                        self.failures.push(Failure {
                            what: uri.to_string(),
                            reason: format!(
                                "integrity: {}{}",
                                i.status,
                                i.digest
                                    .as_deref()
                                    .map_or(String::new(), |d| format!(" (digest {d})"))
                            ),
                            fatal: true,
                        });
                    }
                }
                for p in problems {
                    self.failures.push(Failure {
                        what: "log file integrity".into(),
                        reason: p,
                        fatal: false,
                    });
                }
                self.integrity.extend(integrities);
            }
            Msg::LoadDone { gen, cancelled } => {
                if let Some(l) = self.load_of(gen) {
                    l.done = true;
                    l.cancelled |= cancelled;
                    self.rebuild_records();
                }
            }
        }
    }

    fn load_of(&mut self, gen: LoadGen) -> Option<&mut LoadState> {
        self.load.as_mut().filter(|l| l.gen == gen)
    }

    fn rebuild_records(&mut self) {
        self.records.merge_new();
        self.last_rebuild = Instant::now();
    }

    /// Work done before a frame (not in drawing, which only reads): the throttled rebuild of a
    /// growing list and pivot, and the record pane following the cursor (`view::prepare` then
    /// sets the panes' sizes and scroll positions).
    pub fn refresh(&mut self) {
        // New rows join the view a few times a second, not on every object.
        if self.records.stale && self.last_rebuild.elapsed() >= Duration::from_millis(200) {
            self.rebuild_records();
        }
        for f in &mut self.pivots.history {
            f.refresh();
        }
        // The pivot index follows the list a slice per frame (see `update_index_within`).
        let whole = self
            .pivots
            .update_index_within(&self.records, Some(INDEX_BUDGET));
        self.sync_preview();
        // The chain shown was found over the rows indexed then: once the index holds them all
        // it is found again, at most once a second while a read goes on.
        let (rows, at) = self.who_at;
        if whole
            && rows != self.pivots.rows_indexed()
            && (!self.reading() || at.elapsed() >= Duration::from_secs(1))
        {
            if let Some(rec) = self.selected().cloned() {
                self.who = self.who_of(&rec);
            }
        }
    }

    /// The record the user has in hand: the pivot view's row when it is shown, else the list's.
    pub fn selected(&self) -> Option<&Record> {
        if self.pivots.active {
            self.pivots.selected()
        } else {
            self.records.selected()
        }
    }

    /// What the record pane shows, in its order: the pivot's timeline or the list.
    pub fn shown(&self) -> Vec<&Record> {
        match self.pivots.current() {
            Some(f) => f.rows.iter().map(|&i| &f.records[i as usize]).collect(),
            None => self
                .records
                .view
                .iter()
                .map(|&i| &self.records.rows[i as usize].rec)
                .collect(),
        }
    }

    /// Shows the record under the cursor in the record pane (nothing when it is already).
    fn sync_preview(&mut self) {
        // A record is known by where it was written, whichever list holds it.
        let key = self
            .selected()
            .map(|r| (r.origin.object.clone(), r.origin.position));
        match key {
            Some(key) => {
                let same = self.preview.shown.as_ref() == Some(&key);
                if !same {
                    let rec = self.selected().cloned().expect("selected above");
                    self.preview.show(key, &rec);
                    self.who = self.who_of(&rec);
                }
            }
            None if !self.preview.is_empty() => {
                self.preview.clear();
                self.who = None;
            }
            None => {}
        }
    }

    /// The identity chain of the record's actor, over the list and the pivot shown, in a line
    /// (`unknown → …` where the data does not reach the start).
    fn who_of(&mut self, rec: &Record) -> Option<String> {
        self.who_at = (self.pivots.rows_indexed(), Instant::now());
        let (index, rows) = (&self.pivots.index, &self.records.rows);
        let frame = self.pivots.current();
        let naming = |e: &Entity| -> Vec<&Record> {
            let mut found: Vec<&Record> = index
                .lookup(e)
                .iter()
                .filter_map(|&i| rows.get(i as usize).map(|r| &r.rec))
                .collect();
            if let Some(f) = frame {
                found.extend(f.records.iter().filter(|r| {
                    r.entities
                        .iter()
                        .any(|x| x.kind == e.kind && x.value == e.value)
                }));
            }
            found
        };
        crate::identity::who(&naming, rec).map(|c| c.summary())
    }

    pub fn on_tick(&mut self) {
        if let Some((node, since)) = self.measure {
            if since.elapsed() >= Duration::from_millis(150) {
                self.measure = None;
                if self.tree.selected() == Some(node)
                    && self.tree.node(node).listed == super::tree::Listed::No
                {
                    let n = self.tree.node(node);
                    let (source, prefix) = (n.source, n.prefix.clone());
                    self.tree.nodes[node].listed = super::tree::Listed::Listing;
                    self.loader.list(node, source, prefix);
                }
            }
        }
        if self.busy() || self.behind() {
            self.tick = self.tick.wrapping_add(1);
            self.dirty = true;
        }
    }

    /// Objects and folders lost whole.
    pub fn failed_count(&self) -> usize {
        self.failures.iter().filter(|f| f.fatal).count()
    }
}

fn next_focus(f: Focus, forward: bool) -> Focus {
    match (f, forward) {
        (Focus::Tree, true) | (Focus::Preview, false) => Focus::Records,
        (Focus::Records, true) => Focus::Preview,
        (Focus::Records, false) => Focus::Tree,
        (Focus::Preview, true) => Focus::Tree,
        (Focus::Tree, false) => Focus::Preview,
    }
}
