//! Terminal safety. Log fields are written by attackers: control characters (C0, DEL, C1), bidi
//! overrides and line separators are shown escaped (`\u001b`), never sent raw to a terminal.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that can move the cursor, change colours, hide text or reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{061c}' | '\u{200e}' | '\u{200f}'
        | '\u{2028}' | '\u{2029}'
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The string with every unsafe character replaced by a visible `\uXXXX`.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of JSON that keeps every value exactly and still carries no raw control character:
/// serde_json escapes C0 itself; DEL, C1 and bidi characters become `\uXXXX` escapes, which JSON
/// readers turn back into the same characters.
pub fn json_line(v: &serde_json::Value) -> String {
    let text = serde_json::to_string(v).unwrap_or_else(|_| "null".to_string());
    for_terminal(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ansi_osc_c1_and_bidi() {
        assert_eq!(for_terminal("plain"), "plain");
        assert_eq!(for_terminal("a\u{1b}[31mred"), "a\\u001b[31mred");
        assert_eq!(for_terminal("\u{9b}2J"), "\\u009b2J");
        assert_eq!(for_terminal("x\u{202e}gpj.exe"), "x\\u202egpj.exe");
        assert_eq!(for_terminal("del\u{7f}"), "del\\u007f");
        assert_eq!(for_terminal("tab\tnl\n"), "tab\\u0009nl\\u000a");
    }

    #[test]
    fn json_lines_stay_valid_and_lossless() {
        let v = serde_json::json!({"k\u{1b}": "osc\u{1b}]52;c;AAAA\u{7}\u{9d}\u{202e}"});
        let line = json_line(&v);
        assert!(!line.chars().any(is_unsafe), "{line}");
        let back: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(back, v);
    }
}
