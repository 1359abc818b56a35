//! The `:` palette: one fuzzy search (fuzzy-matcher's skim algorithm, every word of the query
//! matched on its own) over the actions of the keymap and the partitions of every source, so
//! `:1111 use1 0502` lands on account 1111…, us-east-1, 2024-05-02.

use fuzzy_matcher::skim::SkimMatcherV2;
use fuzzy_matcher::FuzzyMatcher;

use super::keymap::{Action, Keymap, DEFAULT};
use super::tree::source_label;
use crate::walk::LsRow;

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Action(Action),
    Partition { source: usize, prefix: String },
}

#[derive(Debug, Clone)]
pub struct Item {
    pub text: String,
    /// The key that does the same (an action's), shown beside it.
    pub key: String,
    pub target: Target,
}

pub struct Palette {
    pub input: String,
    items: Vec<Item>,
    pub matches: Vec<usize>,
    pub cursor: usize,
    pub indexing: bool,
}

/// Kinds that hold records come before digests, so a jump lands where the events are.
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "guardduty" => 0,
        "cloudtrail" => 1,
        "securitylake" => 2,
        "cloudtrail-insight" => 3,
        _ => 4,
    }
}

impl Palette {
    /// Every action once (with its key), then the partitions of the index when it is in.
    pub fn new(partitions: Option<&[(usize, LsRow)]>, keymap: &Keymap) -> Palette {
        let items: Vec<Item> = DEFAULT
            .iter()
            // Moving and typing keys are not things to run from a list.
            .filter(|b| !matches!(b.section, "Moving" | "Copy" | "Prompts" | "Questions"))
            .filter(|b| b.action != Action::Palette)
            .map(|b| Item {
                text: b.desc.to_string(),
                key: keymap.hint(b.action),
                target: Target::Action(b.action),
            })
            .collect();
        let mut p = Palette {
            input: String::new(),
            items,
            matches: Vec::new(),
            cursor: 0,
            indexing: true,
        };
        if let Some(parts) = partitions {
            p.with_partitions(parts);
        }
        p.refresh();
        p
    }

    /// Puts the partitions in once the index arrives, keeping what was typed.
    pub fn with_partitions(&mut self, partitions: &[(usize, LsRow)]) {
        self.items.retain(|i| matches!(i.target, Target::Action(_)));
        let mut parts: Vec<&(usize, LsRow)> = partitions.iter().collect();
        parts.sort_by_key(|(s, r)| (kind_rank(&r.kind), *s, r.prefix.clone()));
        for (source, r) in parts {
            let text = [
                r.account.as_deref(),
                r.region.as_deref(),
                r.day.as_deref(),
                Some(r.kind.as_str()),
                r.lake_source.as_deref(),
                Some(source_label(&r.source).as_str()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
            self.items.push(Item {
                text,
                key: String::new(),
                target: Target::Partition {
                    source: *source,
                    prefix: r.prefix.clone(),
                },
            });
        }
        self.indexing = false;
        self.refresh();
    }

    pub fn item(&self, i: usize) -> &Item {
        &self.items[i]
    }

    pub fn selected(&self) -> Option<&Item> {
        self.matches.get(self.cursor).map(|&i| &self.items[i])
    }

    pub fn refresh(&mut self) {
        let words: Vec<&str> = self.input.split_whitespace().collect();
        let matcher = SkimMatcherV2::default().ignore_case();
        let mut scored: Vec<(i64, usize)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let mut total = 0;
                for w in &words {
                    total += matcher.fuzzy_match(&item.text, w)?;
                }
                Some((total, i))
            })
            .collect();
        // Best score first; the table's order breaks ties.
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        self.matches = scored.into_iter().map(|(_, i)| i).collect();
        self.cursor = 0;
    }
}
