//! Terminal safety. Log fields are written by attackers: control characters (C0, DEL, C1), bidi
//! overrides, line separators and invisible format characters (zero-width spaces and joiners,
//! the byte order mark, soft hyphens, tag characters) are shown escaped (`\u001b`, `\u200b`),
//! never sent raw to a terminal: `ad\u200bmin` must not pass for `admin`.

use std::borrow::Cow;
use std::fmt::Write;

/// Characters that can move the cursor, change colours, hide text or reorder what is shown, and
/// the ones that show nothing at all (format characters and fillers), which make two different
/// strings look the same.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}'
        | '\u{17b4}' | '\u{17b5}' | '\u{180b}'..='\u{180f}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}'
        | '\u{3164}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}'
        | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e007f}')
}

/// Whether `s` is all printable ASCII, which holds no unsafe character: most log text, checked
/// a byte at a time (vectorised) instead of decoding every character for [`is_unsafe`].
fn is_printable_ascii(s: &str) -> bool {
    s.bytes().all(|b| (0x20..0x7f).contains(&b))
}

/// The string with every unsafe character replaced by a visible `\uXXXX` (a surrogate pair
/// above U+FFFF, so that escaped JSON text stays the same JSON).
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if is_printable_ascii(s) || !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{:04x}", u);
            }
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

    /// The printable-ASCII shortcut never lets through what the character-wise test stops:
    /// every ASCII character, alone and inside printable text, at the start, middle and end.
    #[test]
    fn the_ascii_shortcut_agrees_with_the_characters() {
        for b in 0u8..0x80 {
            let c = char::from(b);
            for s in [
                c.to_string(),
                format!("{c}plain"),
                format!("pl{c}ain"),
                format!("plain{c}"),
            ] {
                assert_eq!(is_printable_ascii(&s), !s.chars().any(is_unsafe), "{s:?}");
                let escaped = for_terminal(&s);
                assert!(!escaped.chars().any(is_unsafe), "{s:?}");
                assert_eq!(matches!(escaped, Cow::Borrowed(_)), !is_unsafe(c), "{s:?}");
            }
        }
        // Text beyond ASCII takes the character-wise test.
        assert!(!is_printable_ascii("caf\u{e9}"));
        assert_eq!(for_terminal("caf\u{e9}"), "caf\u{e9}");
        assert_eq!(for_terminal("ad\u{200b}min"), "ad\\u200bmin");
    }

    #[test]
    fn invisible_characters_are_shown() {
        assert_eq!(for_terminal("ad\u{200b}min"), "ad\\u200bmin");
        assert_eq!(for_terminal("\u{feff}root"), "\\ufeffroot");
        assert_eq!(
            for_terminal("pass\u{ad}word\u{2060}"),
            "pass\\u00adword\\u2060"
        );
        // A tag character is above U+FFFF: a surrogate pair, which JSON reads back as it.
        assert_eq!(for_terminal("a\u{e0041}"), "a\\udb40\\udc41");
        let v = serde_json::json!({"user": "ad\u{200d}min\u{e0041}\u{200c}"});
        let line = json_line(&v);
        assert!(line.is_ascii(), "{line}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), v);
        // Letters of other scripts are shown as they are.
        assert_eq!(for_terminal("Zoë 東京 ✓"), "Zoë 東京 ✓");
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
