//! A Sigma rule's `condition`: `and`, `or`, `not`, parentheses, and `1 of` / `all of` a pattern of
//! search identifiers (or `them`), resolved against the rule's searches when it is read.
//!
//! Precedence, least binding first: `or`, `and`, `not`, `x of`, parentheses. Aggregations
//! (`| count() by ...`) and `near` belong to the old correlation syntax and are refused.

/// A condition over the searches of one rule (by their position in the rule).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Search(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    /// Evaluates with `search(i)` telling whether search `i` matches (asked lazily, at most once
    /// per reference).
    pub fn eval(&self, search: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Search(i) => search(*i),
            Cond::Not(c) => !c.eval(search),
            Cond::And(cs) => cs.iter().all(|c| c.eval(search)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(search)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    Word(String),
}

fn tokens(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok::Word(std::mem::take(word)));
        }
    };
    for c in text.chars() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(if c == '(' { Tok::Open } else { Tok::Close });
            }
            '|' => return Err("aggregations (`| count() ...`) are not supported".into()),
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

/// Whether `name` matches a search-identifier pattern (`selection*`, `filter_*_main`), with the
/// same wildcard matcher as values (no backtracking blow-up on hostile patterns).
fn wildcard(pattern: &str, name: &str) -> bool {
    super::pattern::Glob::parse(pattern, true).matches(name)
}

/// How deep parentheses and `not`s may nest: real conditions use two or three levels.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    toks: Vec<Tok>,
    at: usize,
    names: &'a [String],
    depth: usize,
}

impl Parser<'_> {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.at) {
            Some(Tok::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and()?];
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::Or(items)
        })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not()?];
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Cond::And(items)
        })
    }

    fn not(&mut self) -> Result<Cond, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        let c = if self.peek_word().as_deref() == Some("not") {
            self.at += 1;
            self.not().map(|c| Cond::Not(Box::new(c)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        c
    }

    fn primary(&mut self) -> Result<Cond, String> {
        let tok = self.toks.get(self.at).cloned();
        self.at += 1;
        match tok {
            None => Err("the condition ends too early".into()),
            Some(Tok::Open) => {
                let c = self.or()?;
                match self.toks.get(self.at) {
                    Some(Tok::Close) => {
                        self.at += 1;
                        Ok(c)
                    }
                    _ => Err("a '(' is not closed".into()),
                }
            }
            Some(Tok::Close) => Err("an unexpected ')'".into()),
            Some(Tok::Word(w)) => {
                let lower = w.to_ascii_lowercase();
                let quantifier = match lower.as_str() {
                    "1" | "any" => Some(false),
                    "all" => Some(true),
                    _ => None,
                };
                if let (Some(all), Some("of")) = (quantifier, self.peek_word().as_deref()) {
                    self.at += 1;
                    let Some(Tok::Word(pattern)) = self.toks.get(self.at).cloned() else {
                        return Err(format!("'{w} of' wants a pattern or 'them'"));
                    };
                    self.at += 1;
                    let picked: Vec<Cond> = self
                        .names
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| {
                            if pattern == "them" {
                                !n.starts_with('_')
                            } else {
                                wildcard(&pattern, n)
                            }
                        })
                        .map(|(i, _)| Cond::Search(i))
                        .collect();
                    if picked.is_empty() {
                        return Err(format!("'{pattern}' names no search identifier"));
                    }
                    return Ok(if all {
                        Cond::And(picked)
                    } else {
                        Cond::Or(picked)
                    });
                }
                if matches!(lower.as_str(), "and" | "or" | "of" | "near") {
                    return Err(format!("'{w}' is out of place"));
                }
                if lower.parse::<u32>().is_ok() && self.peek_word().as_deref() == Some("of") {
                    return Err(format!("'{w} of' is not supported (only 1 of, all of)"));
                }
                self.names
                    .iter()
                    .position(|n| *n == w)
                    .map(Cond::Search)
                    .ok_or_else(|| format!("'{w}' is not a search identifier of the rule"))
            }
        }
    }
}

/// Parses one condition over the search identifiers `names`.
pub fn parse(text: &str, names: &[String]) -> Result<Cond, String> {
    let mut p = Parser {
        toks: tokens(text)?,
        at: 0,
        names,
        depth: 0,
    };
    let c = p.or()?;
    if p.at < p.toks.len() {
        return Err(format!(
            "unexpected text after the condition: {:?}",
            p.toks[p.at]
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        [
            "selection",
            "selection_status_success",
            "selection_status_null",
            "filter_main",
            "_hidden",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn eval(cond: &str, truth: &[bool]) -> bool {
        parse(cond, &names()).unwrap().eval(&mut |i| truth[i])
    }

    #[test]
    fn precedence_and_quantifiers() {
        let t = [true, false, true, false, true];
        assert!(eval("selection and 1 of selection_status_*", &t));
        assert!(!eval("selection and all of selection_status_*", &t));
        assert!(eval("selection and not filter_main", &t));
        assert!(eval(
            "filter_main or selection and selection_status_null",
            &t
        ));
        assert!(!eval(
            "(filter_main or selection) and selection_status_success",
            &t
        ));
        assert!(eval("not 1 of filter*", &t));
        assert!(
            !eval("all of them", &t),
            "them leaves out _hidden, includes filter_main"
        );
        assert!(eval("1 of them", &t));
        assert!(eval("NOT filter_main AND selection", &t));
    }

    #[test]
    fn bad_conditions_say_why() {
        let err = |c: &str| parse(c, &names()).unwrap_err();
        assert!(err("selection | count() > 5").contains("aggregations"));
        assert!(err("selection and").contains("ends too early"));
        assert!(err("(selection").contains("not closed"));
        assert!(err("selektion").contains("not a search identifier"));
        assert!(err("1 of nothing*").contains("names no search"));
        assert!(err("2 of selection*").contains("not supported"));
        assert!(err("selection selection").contains("unexpected text"));
        assert!(err(&format!("{}selection", "(".repeat(10_000))).contains("deeper"));
        assert!(err(&format!("{}selection", "not ".repeat(10_000))).contains("deeper"));
        // Exponential for a backtracking matcher; answered at once.
        let hostile = format!("1 of {}b", "*a".repeat(40));
        let long = ["a".repeat(80)];
        assert!(parse(&hostile, &long)
            .unwrap_err()
            .contains("names no search"));
    }
}
