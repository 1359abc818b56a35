//! Every key binding in one table, each with a description: the keys the screen obeys and the `?`
//! help page are both read from it, and a `[keys]` section of the config file overrides it.

use std::collections::HashMap;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for. Views interpret the movement actions for their own content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Left,
    Right,
    Open,
    Back,
    NextPane,
    PrevPane,
    Read,
    Filter,
    Find,
    FindNext,
    FindPrev,
    Sort,
    SortReverse,
    Parent,
    NextSibling,
    PrevSibling,
    Toggle,
    Collapse,
    CollapseDeep,
    Expand,
    ExpandDeep,
    Zoom,
    Copy,
    Export,
    Bookmark,
    NextBookmark,
    Pivot,
    Athena,
    PivotBack,
    PivotForward,
    Palette,
    Failures,
    Help,
    Quit,
    ReadAdd,
    Widen,
    Count,
    CopyValue,
    CopyPath,
    CopyJqPath,
    CopyRecord,
    NextItem,
    PrevItem,
    DeleteChar,
    ClearInput,
    Confirm,
    Deny,
}

/// One row of the table: the action's name (used in the config file), its keys, where it applies
/// (a heading of the help page) and what it does.
pub struct Binding {
    pub action: Action,
    pub name: &'static str,
    pub section: &'static str,
    pub keys: &'static [&'static str],
    pub desc: &'static str,
}

macro_rules! bindings {
    ($($action:ident $name:literal $section:literal [$($key:literal),*] $desc:literal;)*) => {
        pub const DEFAULT: &[Binding] = &[$(Binding {
            action: Action::$action,
            name: $name,
            section: $section,
            keys: &[$($key),*],
            desc: $desc,
        }),*];
    };
}

bindings! {
    Down "down" "Moving" ["j", "down"] "next row (tree, records) or line (record)";
    Up "up" "Moving" ["k", "up"] "previous row or line";
    Top "top" "Moving" ["g", "home"] "first row";
    Bottom "bottom" "Moving" ["G", "end"] "last row";
    PageDown "page_down" "Moving" ["ctrl-d", "pagedown"] "half a page down";
    PageUp "page_up" "Moving" ["ctrl-u", "pageup"] "half a page up";
    Left "left" "Moving" ["h", "left"] "collapse (a folder, a JSON node) or go to its parent; from a list, the pane on the left (the partitions come back)";
    Right "right" "Moving" ["l", "right"] "expand (a folder, a JSON node) or step in; from a list, the pane on the right";
    Open "open" "Moving" ["enter"] "open: expand a folder, read a day or object, show a record, zoom the record; in a prompt, accept";
    Back "back" "Moving" ["esc", "backspace"] "back: stop a load or scan, close, clear, go left; in a prompt, cancel";
    NextPane "next_pane" "Panes" ["tab"] "focus the next pane";
    PrevPane "prev_pane" "Panes" ["backtab"] "focus the previous pane";
    Read "read" "Records" ["r"] "read every record under the folder in place of the list";
    ReadAdd "read_add" "Records" ["+"] "read the folder and add its records to the list (several partitions on one timeline)";
    Filter "filter" "Records" ["f"] "filter the list or the pivot (query: words, field:value, /regex/, OR, -not)";
    Find "find" "Records" ["/"] "find the next record matching a query (a regex inside the record)";
    FindNext "find_next" "Records" ["n"] "next match";
    FindPrev "find_prev" "Records" ["N"] "previous match";
    Sort "sort" "Records" ["s"] "sort by the next column (time, kind, event, principal, ip, account, region)";
    SortReverse "sort_reverse" "Records" ["S"] "reverse the order";
    Count "count" "Records" ["t"] "top values of a column (ip, principal, event, error, ...): Enter filters, p pivots";
    Export "export" "Records" ["e"] "export the list or the pivot as evidence (JSON Lines, or CSV for a .csv name) with a SHA-256";
    Bookmark "bookmark" "Records" ["m"] "bookmark the record (kept by --resume; ★ in the list)";
    NextBookmark "next_bookmark" "Records" ["'"] "the next bookmarked record";
    Pivot "pivot" "Pivot" ["p"] "pivot: choose an entity of the record and scan every opened source around it";
    Widen "widen" "Pivot" ["w"] "scan twice as far either side of the pivot's record";
    Athena "athena" "Pivot" ["a"] "widen the pivot to Athena over a window (estimate first, asks above the byte budget)";
    PivotBack "pivot_back" "Pivot" ["["] "the previous pivot in the history (Esc leaves the pivot view)";
    PivotForward "pivot_forward" "Pivot" ["]"] "the next pivot in the history";
    Parent "parent" "Record" ["H"] "the parent of the node";
    NextSibling "next_sibling" "Record" ["J"] "the next sibling";
    PrevSibling "prev_sibling" "Record" ["K"] "the previous sibling";
    Toggle "toggle" "Record" ["space"] "collapse or expand the node (1-9 fold to that depth)";
    Collapse "collapse" "Record" ["c"] "collapse the node and its siblings";
    CollapseDeep "collapse_deep" "Record" ["C"] "collapse the node, its siblings and all inside";
    Expand "expand" "Record" ["e"] "expand the node and its siblings";
    ExpandDeep "expand_deep" "Record" ["E"] "expand the node, its siblings and all inside";
    Zoom "zoom" "Record" ["z"] "the record full screen (Enter in the record too)";
    Copy "copy" "Record" ["y"] "copy (OSC 52), then: y value, p path, q jq path, r record";
    CopyValue "copy_value" "Copy" ["y"] "after y: the value under the cursor";
    CopyPath "copy_path" "Copy" ["p"] "after y: its path (a.b[0].c)";
    CopyJqPath "copy_jq_path" "Copy" ["q"] "after y: its jq path (.a.b[0].c)";
    CopyRecord "copy_record" "Copy" ["r"] "after y: the whole record";
    NextItem "next_item" "Prompts" ["down", "tab", "ctrl-n"] "the palette's next item";
    PrevItem "prev_item" "Prompts" ["up", "backtab", "ctrl-p"] "the palette's previous item";
    DeleteChar "delete_char" "Prompts" ["backspace"] "delete the character before the cursor";
    ClearInput "clear_input" "Prompts" ["ctrl-u"] "clear what was typed";
    Confirm "confirm" "Questions" ["y"] "yes: read (or query) past the budget";
    Deny "deny" "Questions" ["n"] "no: do not";
    Palette "palette" "General" [":"] "palette: fuzzy search over actions and partitions (:1111 use1 0502)";
    Failures "failures" "General" ["!"] "objects and folders that failed, with the reason";
    Help "help" "General" ["?"] "this help";
    Quit "quit" "General" ["q"] "quit (Ctrl-C always quits)";
}

/// Where a key is pressed: a pane, or a window over them. A key may mean one thing in one place
/// and another elsewhere (`e` expands in the record and exports in a list; `y` copies in the
/// record and answers yes to a question).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The partitions or the list (or pivot).
    Pane,
    /// The record pane.
    Record,
    /// After `y` in the record pane.
    Copy,
    /// Typing: a filter, find or file name, or the palette.
    Prompt,
    /// A list in a window: the chooser, the counts, help, failures.
    Window,
    /// A question: past the budget?
    Question,
}

impl Context {
    /// Whether a binding of `section` applies here, and how much it is preferred (lower first).
    fn rank(self, section: &str) -> Option<u8> {
        match (self, section) {
            (Context::Record, "Record") => Some(0),
            (Context::Pane | Context::Record, "Copy" | "Prompts" | "Questions") => None,
            (Context::Pane, "Record") => None,
            (Context::Pane | Context::Record, _) => Some(1),
            (Context::Copy, "Copy") => Some(0),
            (Context::Copy, _) => None,
            // Typed characters are text: only keys that type nothing are looked up here.
            (Context::Prompt, "Prompts") => Some(0),
            (Context::Prompt, "Moving") => Some(1),
            (Context::Prompt, _) => None,
            (Context::Window, "Moving" | "Pivot" | "Records" | "General") => Some(1),
            (Context::Window, _) => None,
            (Context::Question, "Questions") => Some(0),
            (Context::Question, "Moving" | "General") => Some(1),
            (Context::Question, _) => None,
        }
    }
}

/// A key as written in the table: `j`, `G`, `ctrl-d`, `enter`, `esc`, `pagedown`, `?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn parse(s: &str) -> Option<Key> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 5 && lower.starts_with("ctrl-") {
                ctrl = true;
                rest = &rest[5..];
            } else if rest.len() > 4 && lower.starts_with("alt-") {
                alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "backspace" => KeyCode::Backspace,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "space" => KeyCode::Char(' '),
            _ => {
                let mut chars = rest.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Key { code, ctrl, alt })
    }

    /// The terminal's event as a table key (Shift is part of the character already).
    pub fn of(ev: &KeyEvent) -> Key {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        Key {
            code,
            ctrl,
            alt: ev.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

/// The bindings in force: the table, with the user's overrides applied.
pub struct Keymap {
    /// A key may serve one action in the record pane and another elsewhere (`e`).
    map: HashMap<Key, Vec<Action>>,
    /// Keys per action as shown in help, in the table's order.
    shown: Vec<(Action, Vec<String>)>,
    /// Overrides that could not be understood, reported on the status line.
    pub warnings: Vec<String>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&HashMap::new())
    }
}

impl Keymap {
    /// The table with `overrides` (action name → keys) replacing the keys of those actions.
    pub fn new(overrides: &HashMap<String, Vec<String>>) -> Keymap {
        let mut warnings = Vec::new();
        for name in overrides.keys() {
            if !DEFAULT.iter().any(|b| b.name == name) {
                warnings.push(format!("config [keys]: unknown action '{name}'"));
            }
        }
        let mut map = HashMap::new();
        let mut shown = Vec::new();
        for b in DEFAULT {
            let keys: Vec<String> = match overrides.get(b.name) {
                Some(user) => user.clone(),
                None => b.keys.iter().map(|k| k.to_string()).collect(),
            };
            let mut ok = Vec::new();
            for k in keys {
                match Key::parse(&k) {
                    Some(key) => {
                        map.entry(key).or_insert_with(Vec::new).push(b.action);
                        ok.push(k);
                    }
                    None => warnings.push(format!("config [keys]: cannot read key '{k}'")),
                }
            }
            shown.push((b.action, ok));
        }
        Keymap {
            map,
            shown,
            warnings,
        }
    }

    /// The action of a key where it is pressed (`ctx`): of the actions the key is bound to,
    /// the one whose section applies there, the place's own sections first.
    pub fn action_in(&self, ev: &KeyEvent, ctx: Context) -> Option<Action> {
        let all = self.map.get(&Key::of(ev))?;
        all.iter()
            .filter_map(|a| ctx.rank(binding(*a).section).map(|r| (r, *a)))
            .min_by_key(|(r, _)| *r)
            .map(|(_, a)| a)
    }

    /// The keys bound to `action`, as written in the table (for help and hints).
    pub fn keys_of(&self, action: Action) -> &[String] {
        self.shown
            .iter()
            .find(|(a, _)| *a == action)
            .map_or(&[], |(_, k)| k.as_slice())
    }

    /// The first key of `action`, for hints (`?` help).
    pub fn hint(&self, action: Action) -> String {
        self.keys_of(action).first().cloned().unwrap_or_default()
    }
}

pub fn binding(action: Action) -> &'static Binding {
    DEFAULT
        .iter()
        .find(|b| b.action == action)
        .expect("every action is in the table")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn table_keys_parse_and_shifted_letters_match() {
        let km = Keymap::default();
        assert!(km.warnings.is_empty(), "{:?}", km.warnings);
        assert_eq!(
            km.action_in(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT), Context::Pane),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action_in(
                &ev(KeyCode::Char('d'), KeyModifiers::CONTROL),
                Context::Pane
            ),
            Some(Action::PageDown)
        );
        assert_eq!(
            km.action_in(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT), Context::Pane),
            Some(Action::Help)
        );
    }

    #[test]
    fn overrides_replace_an_actions_keys_and_report_mistakes() {
        let mut o = HashMap::new();
        o.insert("quit".to_string(), vec!["x".to_string()]);
        o.insert("nope".to_string(), vec!["y".to_string()]);
        let km = Keymap::new(&o);
        assert_eq!(
            km.action_in(&ev(KeyCode::Char('x'), KeyModifiers::NONE), Context::Pane),
            Some(Action::Quit)
        );
        assert_eq!(
            km.action_in(&ev(KeyCode::Char('q'), KeyModifiers::NONE), Context::Pane),
            None
        );
        assert_eq!(km.warnings.len(), 1);
    }

    #[test]
    fn a_shared_key_means_what_its_pane_says() {
        let km = Keymap::default();
        let e = ev(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&e, Context::Record), Some(Action::Expand));
        assert_eq!(km.action_in(&e, Context::Pane), Some(Action::Export));
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&j, Context::Record), Some(Action::Down));
        assert_eq!(km.action_in(&j, Context::Pane), Some(Action::Down));
        let y = ev(KeyCode::Char('y'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&y, Context::Record), Some(Action::Copy));
        assert_eq!(km.action_in(&y, Context::Copy), Some(Action::CopyValue));
        assert_eq!(km.action_in(&y, Context::Question), Some(Action::Confirm));
        assert_eq!(
            km.action_in(&y, Context::Prompt),
            None,
            "typed, not an action"
        );
        let bs = ev(KeyCode::Backspace, KeyModifiers::NONE);
        assert_eq!(km.action_in(&bs, Context::Prompt), Some(Action::DeleteChar));
        assert_eq!(km.action_in(&bs, Context::Pane), Some(Action::Back));
    }
}
