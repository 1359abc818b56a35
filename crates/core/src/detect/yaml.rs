//! A Sigma rule file's YAML as a small tree: maps keep their order, every scalar keeps its text.
//!
//! Sigma compares values as case-insensitive strings, so scalars are not typed here, except that
//! a plain `null`, `~` or empty scalar is a null. Rule files may come from anywhere the user
//! points, so anchors and aliases (the way to a "billion laughs" blow-up) are refused, as are
//! several documents in one file (Sigma rule collections) and files over [`MAX_RULE_BYTES`].

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

/// A rule file larger than this is refused: real rules are a few kilobytes.
pub const MAX_RULE_BYTES: usize = 1 << 20;

/// How deep maps and lists may nest; Sigma rules need four or five levels.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    /// The scalar's text; `quoted` when it was written in quotes or as a block.
    Scalar {
        text: String,
        quoted: bool,
    },
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// What the node is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Scalar { .. } => "a value",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a map",
        }
    }
}

/// Parses one YAML document; the error says what and where (line numbers from 1).
pub fn parse(text: &str) -> Result<Node, String> {
    if text.len() > MAX_RULE_BYTES {
        return Err(format!(
            "{} bytes: larger than the {MAX_RULE_BYTES} bytes a rule file may have",
            text.len()
        ));
    }
    let mut parser = Parser::new_from_str(text);
    // Open containers: a list, or a map with the key waiting for its value.
    enum Open {
        Seq(Vec<Node>),
        Map(Vec<(String, Node)>, Option<String>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut done: Option<Node> = None;
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| format!("not YAML: {e}"))?;
        let line = mark.line();
        let node = match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(format!(
                        "line {line}: several YAML documents (a rule collection): one rule per file"
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(format!("line {line}: YAML aliases are not supported"));
            }
            Event::Scalar(text, style, anchor, _) => {
                if anchor > 0 {
                    return Err(format!("line {line}: YAML anchors are not supported"));
                }
                let quoted = style != TScalarStyle::Plain;
                if !quoted && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                    Node::Null
                } else {
                    Node::Scalar { text, quoted }
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if anchor > 0 {
                    return Err(format!("line {line}: YAML anchors are not supported"));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!(
                        "line {line}: nested deeper than {MAX_DEPTH} levels"
                    ));
                }
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Vec::new(), None)
                });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(Open::Seq(items)) => Node::Seq(items),
                Some(Open::Map(entries, _)) => Node::Map(entries),
                None => return Err(format!("line {line}: unbalanced YAML")),
            },
            _ => continue,
        };
        match stack.last_mut() {
            None => done = Some(node),
            Some(Open::Seq(items)) => items.push(node),
            Some(Open::Map(entries, key)) => match key.take() {
                None => {
                    let k = match node {
                        Node::Scalar { text, .. } => text,
                        Node::Null => String::new(),
                        other => {
                            return Err(format!(
                                "line {line}: a map key must be a value, not {}",
                                other.kind()
                            ))
                        }
                    };
                    if entries.iter().any(|(e, _)| *e == k) {
                        return Err(format!("line {line}: key '{k}' appears twice"));
                    }
                    *key = Some(k);
                }
                Some(k) => entries.push((k, node)),
            },
        }
    }
    done.ok_or_else(|| "empty file".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> Node {
        Node::Scalar {
            text: t.to_string(),
            quoted: false,
        }
    }

    #[test]
    fn maps_lists_and_nulls() {
        let n = parse("a: 1\nb:\n  - x\n  - 'y'\nc: null\nd:\n").unwrap();
        assert_eq!(n.get("a"), Some(&s("1")));
        assert_eq!(
            n.get("b"),
            Some(&Node::Seq(vec![
                s("x"),
                Node::Scalar {
                    text: "y".into(),
                    quoted: true
                }
            ]))
        );
        assert_eq!(n.get("c"), Some(&Node::Null));
        assert_eq!(n.get("d"), Some(&Node::Null));
        assert_eq!(
            parse("c: 'null'\n")
                .unwrap()
                .get("c")
                .and_then(Node::as_str),
            Some("null"),
            "a quoted null is the word"
        );
    }

    #[test]
    fn refuses_what_a_rule_never_needs() {
        let laughs = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n";
        assert!(parse(laughs).unwrap_err().contains("anchors"));
        assert!(parse("a: 1\n---\na: 2\n")
            .unwrap_err()
            .contains("several YAML documents"));
        assert!(parse("a: 1\na: 2\n").unwrap_err().contains("appears twice"));
        assert!(parse("a: [1, 2\n").unwrap_err().starts_with("not YAML"));
        assert!(parse(&"[".repeat(100)).is_err());
        assert!(parse("").unwrap_err().contains("empty"));
    }
}
