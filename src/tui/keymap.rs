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
    Left "left" "Moving" ["h", "left"] "collapse (a folder, a JSON node) or go to its parent; from a list, the pane on the left";
    Right "right" "Moving" ["l", "right"] "expand (a folder, a JSON node) or step in; from a list, the pane on the right";
    Open "open" "Moving" ["enter"] "open: expand a folder, show a record, zoom the record";
    Back "back" "Moving" ["esc", "backspace"] "back: cancel the load, close, clear, go left";
    NextPane "next_pane" "Panes" ["tab"] "focus the next pane";
    PrevPane "prev_pane" "Panes" ["backtab"] "focus the previous pane";
    Read "read" "Records" ["r"] "read every record under the selected folder";
    Filter "filter" "Records" ["f"] "filter: words, field:value (event:CreateUser sev:>=7 ip:203.0.113.66)";
    Find "find" "Records" ["/"] "find: the next record matching the text (a regex inside the record)";
    FindNext "find_next" "Records" ["n"] "next match";
    FindPrev "find_prev" "Records" ["N"] "previous match";
    Sort "sort" "Records" ["s"] "sort by the next column (time, kind, event, principal, ip, account, region)";
    SortReverse "sort_reverse" "Records" ["S"] "reverse the order";
    Parent "parent" "Record" ["H"] "the parent of the node";
    NextSibling "next_sibling" "Record" ["J"] "the next sibling";
    PrevSibling "prev_sibling" "Record" ["K"] "the previous sibling";
    Toggle "toggle" "Record" ["space"] "collapse or expand the node (1-9 fold to that depth)";
    Collapse "collapse" "Record" ["c"] "collapse the node and its siblings";
    CollapseDeep "collapse_deep" "Record" ["C"] "collapse the node, its siblings and all inside";
    Expand "expand" "Record" ["e"] "expand the node and its siblings";
    ExpandDeep "expand_deep" "Record" ["E"] "expand the node, its siblings and all inside";
    Zoom "zoom" "Record" ["z"] "the record full screen (Enter in the record too)";
    Copy "copy" "Record" ["y"] "copy (OSC 52): yy value, yp path, yq jq path, yr record";
    Export "export" "Records" ["e"] "export the list or the pivot as evidence (JSON Lines, or CSV for a .csv name) with a SHA-256";
    Bookmark "bookmark" "Records" ["m"] "bookmark the record (kept by --resume; ★ in the list)";
    NextBookmark "next_bookmark" "Records" ["'"] "the next bookmarked record";
    Pivot "pivot" "Pivot" ["p"] "pivot: choose an entity of the record (IP, key, principal) and see every loaded record naming it";
    Athena "athena" "Pivot" ["a"] "widen the pivot to Athena over a window (estimate first, asks above the byte budget)";
    PivotBack "pivot_back" "Pivot" ["["] "the previous pivot in the history (Esc leaves the pivot view)";
    PivotForward "pivot_forward" "Pivot" ["]"] "the next pivot in the history";
    Palette "palette" "General" [":"] "palette: fuzzy search over actions and partitions (:1111 use1 0502)";
    Failures "failures" "General" ["!"] "objects and folders that failed, with the reason";
    Help "help" "General" ["?"] "this help";
    Quit "quit" "General" ["q"] "quit (Ctrl-C always quits)";
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

    /// The action of a key, the first in the table when it has several.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        self.map.get(&Key::of(ev))?.first().copied()
    }

    /// The action of a key where it is pressed: in the record pane (`in_record`) a key's
    /// "Record" action wins, elsewhere any other.
    pub fn action_in(&self, ev: &KeyEvent, in_record: bool) -> Option<Action> {
        let all = self.map.get(&Key::of(ev))?;
        all.iter()
            .find(|a| (binding(**a).section == "Record") == in_record)
            .or(all.first())
            .copied()
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
            km.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            km.action(&ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::PageDown)
        );
        assert_eq!(
            km.action(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT)),
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
            km.action(&ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(km.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(km.warnings.len(), 1);
    }

    #[test]
    fn a_shared_key_means_what_its_pane_says() {
        let km = Keymap::default();
        let e = ev(KeyCode::Char('e'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&e, true), Some(Action::Expand));
        assert_eq!(km.action_in(&e, false), Some(Action::Export));
        let j = ev(KeyCode::Char('j'), KeyModifiers::NONE);
        assert_eq!(km.action_in(&j, true), Some(Action::Down));
        assert_eq!(km.action_in(&j, false), Some(Action::Down));
    }
}
