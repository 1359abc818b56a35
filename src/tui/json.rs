//! A JSON document as one flat vector of rows (jless's idea): every row knows its parent, its
//! siblings and, for a bracket, its partner, so collapse, expand and every jump are index
//! operations and drawing walks only the rows on screen.

use serde_json::Value;

use crate::escape::for_terminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Object,
    Array,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Open(Container),
    Close(Container),
    Str,
    Num,
    Bool,
    Null,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub kind: RowKind,
    pub depth: u16,
    /// The member name in an object (as in the document, unescaped: escape when showing).
    pub key: Option<Box<str>>,
    /// The position in an array.
    pub index: Option<u32>,
    /// A scalar: a string's contents as they are (quoted and escaped only when shown), a number
    /// or literal as JSON text; empty for brackets.
    pub text: Box<str>,
    pub parent: Option<u32>,
    /// An opening bracket's closing row and back; a scalar's own index.
    pub pair: u32,
    pub next: Option<u32>,
    pub prev: Option<u32>,
    /// Children of a container.
    pub len: u32,
}

impl Row {
    /// The scalar as JSON text, escaped for the terminal (only rows on screen pay for this).
    pub fn shown_text(&self) -> String {
        if self.kind == RowKind::Str {
            for_terminal(&json_str(&self.text)).into_owned()
        } else {
            for_terminal(&self.text).into_owned()
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.kind, RowKind::Open(_))
    }

    pub fn is_close(&self) -> bool {
        matches!(self.kind, RowKind::Close(_))
    }
}

pub struct FlatJson {
    pub rows: Vec<Row>,
    pub collapsed: Vec<bool>,
}

impl FlatJson {
    pub fn new(v: &Value) -> FlatJson {
        use serde::de::DeserializeSeed;
        let mut rows = Vec::new();
        // A tree always reads back: its rows are made as text's are, by the same seed.
        let _ = RowSeed::root(&mut rows).deserialize(v);
        let collapsed = vec![false; rows.len()];
        FlatJson { rows, collapsed }
    }

    /// The rows straight from JSON text, in the order it is written, without building its tree
    /// first (opening a 20 MB record costs one pass). A key written twice shows twice.
    pub fn from_text(text: &str) -> Result<FlatJson, String> {
        use serde::de::DeserializeSeed;
        let mut rows = Vec::new();
        let mut de = serde_json::Deserializer::from_str(text);
        RowSeed::root(&mut rows)
            .deserialize(&mut de)
            .and_then(|_| de.end())
            .map_err(|e| e.to_string())?;
        let collapsed = vec![false; rows.len()];
        Ok(FlatJson { rows, collapsed })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Whether `i` is an opening bracket shown collapsed.
    pub fn is_collapsed(&self, i: u32) -> bool {
        let r = &self.rows[i as usize];
        // An empty container is one line (`[]`) whatever its flag says.
        r.is_open() && (self.collapsed[i as usize] || r.len == 0)
    }

    /// The next row on screen (past a collapsed container's contents).
    pub fn next_visible(&self, i: u32) -> Option<u32> {
        let j = if self.is_collapsed(i) {
            self.rows[i as usize].pair + 1
        } else {
            i + 1
        };
        ((j as usize) < self.rows.len()).then_some(j)
    }

    /// The previous row on screen.
    pub fn prev_visible(&self, i: u32) -> Option<u32> {
        let j = i.checked_sub(1)?;
        let r = &self.rows[j as usize];
        // The row before is inside something collapsed only if it is that thing's closing bracket.
        if r.is_close() && self.is_collapsed(r.pair) {
            return Some(r.pair);
        }
        // A closing bracket inside a collapsed ancestor: climb to the outermost collapsed opener.
        let mut top = j;
        let mut p = self.rows[j as usize].parent;
        while let Some(q) = p {
            if self.is_collapsed(q) {
                top = q;
            }
            p = self.rows[q as usize].parent;
        }
        Some(top)
    }

    /// Rows the cursor can rest on: everything shown except closing brackets.
    pub fn next_focus(&self, i: u32) -> Option<u32> {
        let mut j = self.next_visible(i)?;
        while self.rows[j as usize].is_close() {
            j = self.next_visible(j)?;
        }
        Some(j)
    }

    pub fn prev_focus(&self, i: u32) -> Option<u32> {
        let mut j = self.prev_visible(i)?;
        while self.rows[j as usize].is_close() {
            j = self.prev_visible(j)?;
        }
        Some(j)
    }

    pub fn last_focus(&self) -> u32 {
        let last = self.rows.len() as u32 - 1;
        if self.rows[last as usize].is_close() {
            let mut j = last;
            // Walk back from the end the way the screen shows it.
            while let Some(p) = self.prev_visible(j) {
                j = p;
                if !self.rows[j as usize].is_close() {
                    break;
                }
            }
            j
        } else {
            last
        }
    }

    /// Opens every collapsed container around `i`, so that it is on screen.
    pub fn reveal(&mut self, i: u32) {
        let mut p = self.rows[i as usize].parent;
        while let Some(q) = p {
            self.collapsed[q as usize] = false;
            p = self.rows[q as usize].parent;
        }
    }

    /// The containers among `i` and its siblings.
    fn siblings(&self, i: u32) -> Vec<u32> {
        let mut first = i;
        while let Some(p) = self.rows[first as usize].prev {
            first = p;
        }
        let mut out = vec![first];
        let mut j = first;
        while let Some(n) = self.rows[j as usize].next {
            out.push(n);
            j = n;
        }
        out
    }

    /// `c`/`e` (shallow) and `C`/`E` (deep: everything inside too) on a node and its siblings.
    pub fn set_siblings(&mut self, i: u32, collapse: bool, deep: bool) {
        for s in self.siblings(i) {
            let r = &self.rows[s as usize];
            if !r.is_open() {
                continue;
            }
            let end = if deep { r.pair } else { s };
            for k in s..=end {
                if self.rows[k as usize].is_open() {
                    self.collapsed[k as usize] = collapse;
                }
            }
        }
    }

    /// `1`–`9`: containers at that depth or deeper are collapsed, shallower ones opened.
    pub fn fold_to(&mut self, depth: u16) {
        for (k, r) in self.rows.iter().enumerate() {
            if r.is_open() {
                self.collapsed[k] = r.depth >= depth;
            }
        }
    }

    /// Whether row `i` is a string that holds a JSON object or array (GuardDuty's
    /// `additionalInfo.value`, OCSF's `api.response.data`).
    pub fn holds_json(&self, i: u32) -> Option<Value> {
        let r = &self.rows[i as usize];
        if r.kind != RowKind::Str {
            return None;
        }
        let t = r.text.trim_start();
        if !(t.starts_with('{') || t.starts_with('[')) {
            return None;
        }
        serde_json::from_str::<Value>(&r.text)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
    }

    /// Replaces the string at `i` by the document it holds, in place: its rows are spliced in
    /// and every index after them shifts. Returns whether it did.
    pub fn expand_string(&mut self, i: u32) -> bool {
        let Some(v) = self.holds_json(i) else {
            return false;
        };
        let old = self.rows[i as usize].clone();
        let mut sub = FlatJson::new(&v).rows;
        let added = sub.len() as u32 - 1;
        let shift = |x: u32| if x > i { x + added } else { x };
        for r in &mut self.rows {
            r.pair = shift(r.pair);
            r.parent = r.parent.map(shift);
            r.next = r.next.map(shift);
            r.prev = r.prev.map(shift);
        }
        let base = i;
        for (k, r) in sub.iter_mut().enumerate() {
            r.depth += old.depth;
            r.pair += base;
            r.next = r.next.map(|x| x + base);
            r.prev = r.prev.map(|x| x + base);
            r.parent = match r.parent {
                Some(p) => Some(p + base),
                None => old.parent,
            };
            if k == 0 || r.is_close() && r.pair == base {
                r.key = if k == 0 { old.key.clone() } else { None };
                r.index = if k == 0 { old.index } else { None };
                if k == 0 {
                    r.next = old.next.map(shift);
                    r.prev = old.prev;
                }
            }
        }
        let n = sub.len();
        self.rows.splice(i as usize..=i as usize, sub);
        self.collapsed
            .splice(i as usize..=i as usize, std::iter::repeat_n(false, n));
        true
    }

    /// The path segments from the root to `i`.
    fn segments(&self, i: u32) -> Vec<Segment<'_>> {
        let mut out = Vec::new();
        let mut j = Some(i);
        while let Some(k) = j {
            let r = &self.rows[k as usize];
            if let Some(key) = &r.key {
                out.push(Segment::Key(key));
            } else if let Some(n) = r.index {
                out.push(Segment::Index(n));
            }
            j = r.parent;
        }
        out.reverse();
        out
    }

    /// `service.action.portProbeAction.portProbeDetails[0].remoteIpDetails`.
    pub fn path_dot(&self, i: u32) -> String {
        let mut s = String::new();
        for seg in self.segments(i) {
            match seg {
                Segment::Key(k) if is_ident(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Segment::Key(k) => s.push_str(&format!("[{}]", json_str(k))),
                Segment::Index(n) => s.push_str(&format!("[{n}]")),
            }
        }
        for_terminal(&s).into_owned()
    }

    /// The same path as a jq filter: `.service.action["odd key"][0]`.
    pub fn path_jq(&self, i: u32) -> String {
        let mut s = String::new();
        for seg in self.segments(i) {
            match seg {
                Segment::Key(k) if is_ident(k) => {
                    s.push('.');
                    s.push_str(k);
                }
                Segment::Key(k) => {
                    // jq wants a leading dot before a bracket only at the start.
                    let dot = if s.is_empty() { "." } else { "" };
                    s.push_str(&format!("{dot}[{}]", json_str(k)));
                }
                Segment::Index(n) => {
                    let dot = if s.is_empty() { "." } else { "" };
                    s.push_str(&format!("{dot}[{n}]"));
                }
            }
        }
        if s.is_empty() {
            s.push('.');
        }
        for_terminal(&s).into_owned()
    }

    /// The value at row `i` inside `root` (the document the rows were built from).
    pub fn value_at<'v>(&self, root: &'v Value, i: u32) -> Option<&'v Value> {
        self.segments(i)
            .into_iter()
            .try_fold(root, |v, seg| match seg {
                Segment::Key(k) => v.get(k),
                Segment::Index(n) => v.get(n as usize),
            })
    }
}

enum Segment<'a> {
    Key(&'a str),
    Index(u32),
}

fn is_ident(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Appends one value's rows as it is read, from JSON text or from a tree.
struct RowSeed<'r> {
    rows: &'r mut Vec<Row>,
    depth: u16,
    parent: Option<u32>,
    key: Option<Box<str>>,
    index: Option<u32>,
}

impl<'r> RowSeed<'r> {
    fn root(rows: &'r mut Vec<Row>) -> RowSeed<'r> {
        RowSeed {
            rows,
            depth: 0,
            parent: None,
            key: None,
            index: None,
        }
    }

    fn scalar(self, kind: RowKind, text: String) -> u32 {
        let at = self.rows.len() as u32;
        self.rows.push(Row {
            kind,
            depth: self.depth,
            key: self.key,
            index: self.index,
            text: text.into(),
            parent: self.parent,
            pair: at,
            next: None,
            prev: None,
            len: 0,
        });
        at
    }

    /// Opens a container; `children` appends each child (returning its row, or None at the end).
    fn container<E>(
        self,
        c: Container,
        mut children: impl FnMut(&mut Vec<Row>, u16, u32, u32) -> Result<Option<u32>, E>,
    ) -> Result<u32, E> {
        let rows = self.rows;
        let at = rows.len() as u32;
        rows.push(Row {
            kind: RowKind::Open(c),
            depth: self.depth,
            key: self.key,
            index: self.index,
            text: "".into(),
            parent: self.parent,
            pair: at,
            next: None,
            prev: None,
            len: 0,
        });
        let mut prev: Option<u32> = None;
        let mut n = 0;
        while let Some(child) = children(rows, self.depth + 1, at, n)? {
            rows[child as usize].prev = prev;
            if let Some(p) = prev {
                rows[p as usize].next = Some(child);
            }
            prev = Some(child);
            n += 1;
        }
        let close = rows.len() as u32;
        rows.push(Row {
            kind: RowKind::Close(c),
            depth: self.depth,
            key: None,
            index: None,
            text: "".into(),
            parent: self.parent,
            pair: at,
            next: None,
            prev: None,
            len: 0,
        });
        rows[at as usize].pair = close;
        rows[at as usize].len = n;
        Ok(at)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_> {
    type Value = u32;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowSeed<'_> {
    type Value = u32;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<u32, E> {
        Ok(self.scalar(RowKind::Null, "null".into()))
    }
    fn visit_bool<E>(self, b: bool) -> Result<u32, E> {
        Ok(self.scalar(RowKind::Bool, b.to_string()))
    }
    fn visit_i64<E>(self, n: i64) -> Result<u32, E> {
        Ok(self.scalar(RowKind::Num, n.to_string()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<u32, E> {
        Ok(self.scalar(RowKind::Num, n.to_string()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<u32, E> {
        // As the tree would show it.
        let text = serde_json::Number::from_f64(n).map_or_else(|| "null".into(), |n| n.to_string());
        Ok(self.scalar(RowKind::Num, text))
    }
    fn visit_str<E>(self, s: &str) -> Result<u32, E> {
        Ok(self.scalar(RowKind::Str, s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<u32, E> {
        Ok(self.scalar(RowKind::Str, s))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        self.container(Container::Array, |rows, depth, parent, n| {
            seq.next_element_seed(RowSeed {
                rows,
                depth,
                parent: Some(parent),
                key: None,
                index: Some(n),
            })
        })
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<u32, A::Error> {
        self.container(Container::Object, |rows, depth, parent, _| {
            let Some(key) = map.next_key::<String>()? else {
                return Ok(None);
            };
            map.next_value_seed(RowSeed {
                rows,
                depth,
                parent: Some(parent),
                key: Some(key.into()),
                index: None,
            })
            .map(Some)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_from_text_are_the_rows_of_its_tree() {
        let v = json!({
            "a": 1, "b": -2, "c": 1.5e300, "d": [true, null, "x\u{7}y", {"e": []}, {}],
            "service": {"action": {"portProbeDetails": [{"ip": "203.0.113.66"}, {"ip": "x"}]}},
            "odd key": "\u{202e}"
        });
        let from_tree = FlatJson::new(&v);
        let from_text = FlatJson::from_text(&serde_json::to_string_pretty(&v).unwrap()).unwrap();
        assert_eq!(
            format!("{:?}", from_tree.rows),
            format!("{:?}", from_text.rows)
        );
        assert!(FlatJson::from_text("{\"a\":").is_err());
        assert!(FlatJson::from_text("{} x").is_err());
    }

    fn doc() -> FlatJson {
        FlatJson::new(&json!({
            "a": 1,
            "service": {"action": {"portProbeDetails": [{"ip": "203.0.113.66"}, {"ip": "x"}]}},
            "odd key": true
        }))
    }

    fn find(d: &FlatJson, key: &str) -> u32 {
        d.rows
            .iter()
            .position(|r| r.key.as_deref() == Some(key))
            .unwrap() as u32
    }

    #[test]
    fn rows_know_parents_siblings_and_brackets() {
        let d = doc();
        // { a service{ action{ details[ {ip} {ip} ] } } odd }
        assert_eq!(d.len(), 16);
        assert!(d.rows[0].is_open());
        assert_eq!(d.rows[0].pair, 15);
        let a = find(&d, "a");
        let service = find(&d, "service");
        assert_eq!(d.rows[a as usize].next, Some(service));
        assert_eq!(d.rows[service as usize].next, Some(find(&d, "odd key")));
        let ip = d
            .rows
            .iter()
            .rposition(|r| r.key.as_deref() == Some("ip"))
            .unwrap() as u32;
        assert_eq!(d.path_dot(ip), "service.action.portProbeDetails[1].ip");
        assert_eq!(d.path_jq(find(&d, "odd key")), ".[\"odd key\"]");
        assert_eq!(d.value_at(&json!({"a": 1}), 1), Some(&json!(1)));
    }

    #[test]
    fn collapsing_skips_contents_both_ways() {
        let mut d = doc();
        let service = find(&d, "service");
        d.collapsed[service as usize] = true;
        let odd = find(&d, "odd key");
        assert_eq!(d.next_focus(service), Some(odd));
        assert_eq!(d.prev_focus(odd), Some(service));
        d.fold_to(1);
        assert_eq!(d.next_focus(0), Some(find(&d, "a")));
        assert!(d.is_collapsed(service));
        let ip = find(&d, "ip");
        d.reveal(ip);
        assert!(!d.is_collapsed(service));
        d.set_siblings(find(&d, "a"), true, true);
        assert!(d.is_collapsed(service) && d.is_collapsed(find(&d, "action")));
        d.set_siblings(find(&d, "a"), true, true);
        assert_eq!(d.last_focus(), odd);
    }

    #[test]
    fn a_string_holding_json_expands_in_place() {
        let v = json!({"additionalInfo": {"value": "{\"ip\":\"203.0.113.66\",\"ports\":[22,80]}", "type": "default"}, "z": 1});
        let mut d = FlatJson::new(&v);
        let value = find(&d, "value");
        assert!(d.holds_json(find(&d, "type")).is_none());
        assert!(d.expand_string(value));
        assert!(d.rows[value as usize].is_open());
        let ip = find(&d, "ip");
        assert_eq!(d.path_dot(ip), "additionalInfo.value.ip");
        assert_eq!(d.rows[value as usize].next, Some(find(&d, "type")));
        let t = find(&d, "type");
        assert_eq!(d.rows[t as usize].prev, Some(value));
        assert_eq!(d.rows[0].pair as usize, d.len() - 1);
        let close = d.rows[value as usize].pair;
        assert!(d.rows[close as usize].is_close());
        assert_eq!(d.next_focus(close - 1), Some(t));
        assert_eq!(
            d.rows[find(&d, "z") as usize].prev,
            Some(find(&d, "additionalInfo"))
        );
    }
}
