//! The screen's state and how it changes: a key goes to the overlay that is open, else to the
//! action's owner (the pane with focus for movement); a [`Msg`] from the background goes to the part
//! of the state it answers. Nothing here awaits anything.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keymap::{Action, Keymap};
use super::loader::{LoadRequest, Loader};
use super::msg::{LoadGen, Msg};
use super::palette::{Palette, Target};
use super::pivot_view::{Chooser, Pivots};
use super::preview::{osc52, CopyWhat, Preview, OSC52_LIMIT};
use super::records::Records;
use super::theme::Theme;
use super::tree::{Need, Tree};
use crate::source::Source;
use crate::walk::{LsRow, ObjectRef};

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
    /// The pivot widened to Athena: window, estimate, confirmation, progress.
    Athena(super::widen::Widen),
    Input {
        kind: InputKind,
        text: String,
        before: String,
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

/// The load feeding the record pane.
pub struct LoadState {
    pub gen: LoadGen,
    /// The tree node being read, which learns its object count and size from the plan.
    pub node: usize,
    pub req: LoadRequest,
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
    /// Rows of the tree and record panes at the last draw, for paging.
    pub tree_page: usize,
    pub records_page: usize,
    last_rebuild: Instant,
    /// What the listing said of every object read (ETag, size, time), for evidence export.
    pub objects: crate::evidence::Objects,
    /// Bookmarked records, by object and position (they outlive a reload).
    pub bookmarks: std::collections::BTreeSet<(String, u64)>,
    /// Where exports go unless the user types another path.
    pub export_dir: std::path::PathBuf,
    pub athena: super::widen::AthenaSide,
    /// Where the session is saved for `--resume` (none in tests that do not ask).
    pub resume: Option<super::resume::Resume>,
}

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
            tree_page: 10,
            records_page: 10,
            last_rebuild: Instant::now(),
            objects: Default::default(),
            bookmarks: Default::default(),
            export_dir: std::path::PathBuf::from("."),
            athena: Default::default(),
            resume: None,
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

    /// Whether background work this screen waits for is still running.
    pub fn busy(&self) -> bool {
        matches!(self.overlay, Some(Overlay::Athena(ref w)) if !matches!(w.stage, super::widen::Stage::Window(_) | super::widen::Stage::Confirm(..)))
            || self.indexing
            || self.reveal.is_some()
            || self.load.as_ref().is_some_and(|l| !l.done)
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

    pub fn on_key(&mut self, ev: KeyEvent) {
        self.dirty = true;
        if ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        if self.overlay.is_some() {
            self.overlay_key(ev);
            return;
        }
        self.message = None;
        if self.preview.pending_copy {
            self.preview.pending_copy = false;
            let what = match ev.code {
                KeyCode::Char('y') => CopyWhat::Value,
                KeyCode::Char('p') => CopyWhat::PathDot,
                KeyCode::Char('q') => CopyWhat::PathJq,
                KeyCode::Char('r') => CopyWhat::Record,
                _ => return,
            };
            self.copy(what);
            return;
        }
        // Keys in the record pane act on the record the list shows now, drawn or not.
        self.sync_preview();
        match self.keymap.action_in(&ev, self.focus == Focus::Preview) {
            Some(action) => self.act(action),
            // Digits fold the record to that depth (a family of keys, so not in the table).
            None => {
                if let (Focus::Preview, KeyCode::Char(c @ '1'..='9')) = (self.focus, ev.code) {
                    self.preview.fold_to(c as u16 - '0' as u16);
                }
            }
        }
    }

    /// Puts the text on the terminal's clipboard (OSC 52), or in a file when it is too big for it.
    fn copy(&mut self, what: CopyWhat) {
        let text = self.selected_index().and_then(|i| {
            self.preview
                .copy_text(what, &self.records.rows[i].rec.value())
        });
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
        // A private file in the user's own folder: never a predictable name in a shared /tmp.
        let dir = crate::private_file::runtime_dir().unwrap_or_else(std::env::temp_dir);
        let file = format!("trawl-copy-{}.txt", std::process::id());
        let path = dir.join(&file);
        self.message = Some(
            match crate::private_file::write_private(&dir, &file, text.as_bytes()) {
                Ok(_) => format!(
                    "{name} is too big for the terminal's clipboard ({} bytes): written to {}",
                    text.len(),
                    path.display()
                ),
                Err(e) => format!(
                    "{name} is too big for the terminal's clipboard, and {}: {e}",
                    path.display()
                ),
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
                let text = self.records.filter_text.clone();
                self.overlay = Some(Overlay::Input {
                    kind: InputKind::Filter,
                    before: text.clone(),
                    text,
                });
            }
            Action::Find if self.focus == Focus::Preview => {
                // A new search starts empty (n/N repeat the last one).
                self.overlay = Some(Overlay::Input {
                    kind: InputKind::FindInRecord,
                    before: self.preview.search.clone(),
                    text: String::new(),
                });
            }
            Action::Find => {
                self.overlay = Some(Overlay::Input {
                    kind: InputKind::Find,
                    before: self.records.find_text.clone(),
                    text: String::new(),
                });
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
            Action::Read => {
                if let Some(i) = self.tree.selected() {
                    self.start_load(i);
                    self.focus = Focus::Records;
                }
            }
            Action::Back if self.load.as_ref().is_some_and(|l| !l.done) => self.cancel_load(),
            Action::Pivot => self.open_chooser(),
            Action::Export => self.ask_export(),
            Action::Athena => self.open_widen(),
            Action::Bookmark => self.toggle_bookmark(),
            Action::NextBookmark => self.next_bookmark(),
            Action::PivotBack | Action::PivotForward => {
                if self.pivots.walk(action == Action::PivotForward) {
                    self.pivots.refresh(&self.records);
                    self.focus = Focus::Records;
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

    fn find(&mut self, forward: bool) {
        // Find walks the plain list: it is shown, not moved behind the pivot view.
        self.pivots.active = false;
        match self.records.find(forward) {
            Ok(true) => {}
            Ok(false) if self.records.find_text.is_empty() => {
                self.message = Some("nothing to find: press / first".into())
            }
            Ok(false) => self.message = Some(format!("not found: {}", self.records.find_text)),
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
        let page = (self.tree_page / 2).max(1) as isize;
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
        let page = (self.records_page / 2).max(1) as isize;
        if let Some(f) = self.pivots.current_mut() {
            match action {
                Action::Down => f.move_by(1),
                Action::Up => f.move_by(-1),
                Action::Top => f.move_by(isize::MIN / 2),
                Action::Bottom => f.move_by(isize::MAX / 2),
                Action::PageDown => f.move_by(page),
                Action::PageUp => f.move_by(-page),
                Action::Right | Action::Open => self.focus = Focus::Preview,
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
        let page = (self.preview.page / 2).max(1);
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

    fn overlay_key(&mut self, ev: KeyEvent) {
        let Some(overlay) = self.overlay.take() else {
            return;
        };
        self.overlay = match overlay {
            Overlay::Help { scroll } | Overlay::Failures { scroll } => {
                let help = matches!(overlay, Overlay::Help { .. });
                let scroll = match self.keymap.action(&ev) {
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
            Overlay::Palette(p) => self.palette_key(p, ev),
            Overlay::Chooser(c) => self.chooser_key(c, ev),
            Overlay::Athena(w) => self.widen_key(w, ev),
            Overlay::Input { kind, text, before } => self.input_key(kind, text, before, ev),
        };
    }

    /// `p`: the entities of the record shown, with how many loaded records share each.
    fn open_chooser(&mut self) {
        let Some(i) = self.selected_index() else {
            self.message = Some("nothing to pivot on: no record is selected".into());
            return;
        };
        match self.pivots.chooser(&self.records, i) {
            Some(c) => self.overlay = Some(Overlay::Chooser(c)),
            None => self.message = Some("this record names no IP, key or principal".into()),
        }
    }

    fn chooser_key(&mut self, mut c: Chooser, ev: KeyEvent) -> Option<Overlay> {
        match self.keymap.action(&ev) {
            Some(Action::Down) => c.cursor = (c.cursor + 1).min(c.items.len().saturating_sub(1)),
            Some(Action::Up) => c.cursor = c.cursor.saturating_sub(1),
            Some(Action::Top) => c.cursor = 0,
            Some(Action::Bottom) => c.cursor = c.items.len().saturating_sub(1),
            Some(Action::Open | Action::Right) => {
                let target = c.items.get(c.cursor)?.0.clone();
                self.pivots.open(&self.records, target);
                self.focus = Focus::Records;
                return None;
            }
            Some(Action::Back | Action::Quit) => return None,
            _ => {}
        }
        Some(Overlay::Chooser(c))
    }

    fn open_palette(&mut self) {
        if self.index.is_none() && !self.indexing {
            self.indexing = true;
            self.loader.index();
        }
        self.overlay = Some(Overlay::Palette(Palette::new(self.index.as_deref())));
    }

    fn palette_key(&mut self, mut p: Palette, ev: KeyEvent) -> Option<Overlay> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Esc => return None,
            KeyCode::Enter => {
                let target = p.selected().map(|i| i.target.clone());
                match target {
                    Some(Target::Action(a)) => self.act(a),
                    Some(Target::Partition { source, prefix }) => self.jump(source, prefix),
                    None => return Some(Overlay::Palette(p)),
                }
                // An action may have opened its own overlay (help, filter).
                return self.overlay.take();
            }
            KeyCode::Down | KeyCode::Tab => {
                p.cursor = (p.cursor + 1).min(p.matches.len().saturating_sub(1))
            }
            KeyCode::Char('n') if ctrl => {
                p.cursor = (p.cursor + 1).min(p.matches.len().saturating_sub(1))
            }
            KeyCode::Up | KeyCode::BackTab => p.cursor = p.cursor.saturating_sub(1),
            KeyCode::Char('p') if ctrl => p.cursor = p.cursor.saturating_sub(1),
            KeyCode::Backspace => {
                p.input.pop();
                p.refresh();
            }
            KeyCode::Char(c) if !ctrl => {
                p.input.push(c);
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
        ev: KeyEvent,
    ) -> Option<Overlay> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match ev.code {
            KeyCode::Esc => {
                if kind == InputKind::Filter {
                    let _ = self.records.set_filter(&before);
                }
                return None;
            }
            KeyCode::Enter => {
                match kind {
                    InputKind::Filter => {
                        if let Err(e) = self.records.set_filter(&text) {
                            self.message = Some(e);
                            return Some(Overlay::Input { kind, text, before });
                        }
                        self.focus = Focus::Records;
                    }
                    InputKind::Find => {
                        self.records.find_text = text;
                        self.focus = Focus::Records;
                        self.find(true);
                    }
                    InputKind::Export => self.export(&text),
                    InputKind::FindInRecord => {
                        if let Err(e) = self.preview.set_search(&text) {
                            self.message = Some(e);
                            return Some(Overlay::Input { kind, text, before });
                        }
                        if !self.preview.find(true) && !text.is_empty() {
                            self.message = Some(format!("not in this record: {text}"));
                        }
                    }
                }
                return None;
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Char(c) if !ctrl => text.push(c),
            _ => return Some(Overlay::Input { kind, text, before }),
        }
        // The filter follows the typing; a half-typed `sev:>` is not an error yet.
        if kind == InputKind::Filter {
            self.message = self.records.set_filter(&text).err();
        }
        Some(Overlay::Input { kind, text, before })
    }

    // ---- loads and the tree -----------------------------------------------------------------

    /// Loads the partition under the tree's cursor when it is a day or an object (newest wins).
    fn follow_tree(&mut self) {
        let Some(i) = self.tree.selected() else {
            return;
        };
        let n = self.tree.node(i);
        let loadable = match &n.object {
            Some(meta) => ObjectRef {
                source: n.source,
                store: self.loader.sources()[n.source].store.clone(),
                partition: crate::layout::Partition::of_key(&meta.key),
                meta: meta.clone(),
            }
            .has_records(),
            None => n.is_day(),
        };
        if loadable {
            self.start_load(i);
        }
    }

    fn start_load(&mut self, i: usize) {
        let n = self.tree.node(i);
        let req = LoadRequest {
            source: n.source,
            prefix: n.prefix.clone(),
            object: n.object.clone(),
        };
        if self
            .load
            .as_ref()
            .is_some_and(|l| l.req == req && !l.cancelled)
        {
            return;
        }
        let label = self.tree.path(i).join(" › ");
        self.records.clear();
        self.pivots.reset();
        self.preview.clear();
        let gen = self.loader.load(req.clone());
        self.resume_pivots(&req);
        self.load = Some(LoadState {
            gen,
            node: i,
            req,
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
                self.follow_tree();
                // A resumed session may have read a whole folder (`r`), which moving to it does not.
                if self.resume.as_ref().is_some_and(|r| r.waiting()) {
                    self.start_load(i);
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
                self.index = Some(rows);
            }
            Msg::LoadPlanned {
                gen,
                objects,
                bytes,
            } => {
                if let Some(l) = self.load_of(gen) {
                    l.planned = Some((objects, bytes));
                    let node = l.node;
                    let n = &mut self.tree.nodes[node];
                    if n.is_folder() && n.objects.is_none() {
                        n.objects = Some((objects, bytes));
                    }
                }
            }
            Msg::LoadFailed { gen, error } => {
                if let Some(l) = self.load_of(gen) {
                    l.done = true;
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
                self.records.push(result.records);
                // The first records show at once; later ones join at the throttled rebuild.
                if self.records.view.is_empty() {
                    self.rebuild_records();
                }
            }
            Msg::Estimated { gen, estimate } => self.on_estimate(gen, estimate),
            Msg::AthenaProgress { gen, line } => self.on_athena_progress(gen, line),
            Msg::AthenaDone { gen, result } => self.on_athena_done(gen, result),
            Msg::LoadDone { gen, cancelled } => {
                if let Some(l) = self.load_of(gen) {
                    l.done = true;
                    l.cancelled |= cancelled;
                    self.records.keep_newest_findings();
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

    /// Work done just before a frame: the throttled rebuild of a growing list, the preview.
    pub fn before_draw(&mut self) {
        // New rows join the view a few times a second, not on every object.
        if self.records.stale && self.last_rebuild.elapsed() >= Duration::from_millis(200) {
            self.rebuild_records();
        }
        // The pivot follows the list's throttled merges, not every object that arrives.
        if !self.records.stale {
            self.pivots.refresh(&self.records);
        }
        self.sync_preview();
    }

    /// The record the user has in hand: the pivot view's row when it is shown, else the list's.
    pub fn selected_index(&self) -> Option<usize> {
        if self.pivots.active {
            self.pivots.selected_index()
        } else {
            self.records.selected_index()
        }
    }

    /// Shows the record under the list's cursor in the record pane (nothing when it is already).
    fn sync_preview(&mut self) {
        let gen = self.load.as_ref().map_or(0, |l| l.gen);
        match self.selected_index() {
            Some(i) => {
                let rec = &self.records.rows[i].rec;
                self.preview.show((gen, i), rec);
            }
            None if !self.preview.is_empty() => self.preview.clear(),
            None => {}
        }
    }

    pub fn on_tick(&mut self) {
        if self.busy() || self.records.stale {
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
