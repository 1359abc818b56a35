//! The partition tree (source → account → kind → region → day → objects), listed one level at a
//! time when a folder is opened. Nodes live in an arena; the visible rows are a flat vector of
//! node indices (jless's idea), so moving and drawing are index lookups.

use crate::layout::Partition;
use crate::source::{Listing, ObjectMeta, Source, StoreError};

#[derive(Debug, Clone, PartialEq)]
pub enum Listed {
    No,
    Listing,
    Yes,
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct Node {
    pub source: usize,
    /// Folder prefix (ending in `/`, or empty) or, for an object, its key.
    pub prefix: String,
    pub label: String,
    pub object: Option<ObjectMeta>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    pub depth: usize,
    pub expanded: bool,
    pub listed: Listed,
    /// Objects and bytes directly inside, once listed.
    pub objects: Option<(usize, u64)>,
}

impl Node {
    pub fn is_folder(&self) -> bool {
        self.object.is_none()
    }

    /// A complete calendar day (or an object): what the record pane loads when the cursor rests here.
    pub fn is_day(&self) -> bool {
        self.is_folder() && Partition::of_prefix(&self.prefix).date().is_some()
    }
}

/// What opening a node asks of the background.
#[derive(Debug, PartialEq, Eq)]
pub enum Need {
    Nothing,
    List {
        node: usize,
        source: usize,
        prefix: String,
    },
}

pub struct Tree {
    pub nodes: Vec<Node>,
    pub rows: Vec<usize>,
    pub cursor: usize,
    pub offset: usize,
}

/// A folder's last segment, named for what it means in the layout.
fn label_of(prefix: &str) -> String {
    let seg = prefix
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let p = Partition::of_prefix(prefix);
    if let Some(d) = p.date() {
        if seg.len() <= 2 || seg.starts_with("eventDay=") {
            return d;
        }
    }
    if let (Some(y), Some(m), None) = (p.day.year, p.day.month, p.day.day) {
        if seg.len() == 2 {
            return format!("{y:04}-{m:02}");
        }
    }
    if let Some(k) = p.kind {
        let kind_seg = matches!(
            seg,
            "GuardDuty" | "CloudTrail" | "CloudTrail-Digest" | "CloudTrail-Insight"
        );
        if kind_seg {
            return k.as_str().to_string();
        }
    }
    for key in ["region=", "accountId="] {
        if let Some(v) = seg.strip_prefix(key) {
            return v.to_string();
        }
    }
    seg.to_string()
}

/// Whether a lone sub-folder still says something a person needs (an account, a kind, a region):
/// such a level stays in the tree; `AWSLogs/`, an organization, a lone year or month are skipped.
fn names_something(parent: &str, child: &str) -> bool {
    let (p, c) = (Partition::of_prefix(parent), Partition::of_prefix(child));
    (c.account.is_some() && p.account != c.account)
        || (c.kind.is_some() && p.kind != c.kind)
        || (c.region.is_some() && p.region != c.region)
        || (c.day.day.is_some() && p.day.day.is_none())
}

/// How a source is named at the tree's root: a folder by its last component, a bucket in full.
pub fn source_label(name: &str) -> String {
    if name.starts_with("s3://") {
        return name.to_string();
    }
    let trimmed = name.trim_end_matches('/');
    trimmed
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(trimmed)
        .to_string()
}

impl Tree {
    pub fn new(sources: &[Source]) -> Tree {
        let mut nodes = Vec::new();
        for (i, s) in sources.iter().enumerate() {
            nodes.push(Node {
                source: i,
                prefix: s
                    .object
                    .as_ref()
                    .map_or_else(|| s.prefix.clone(), |o| o.key.clone()),
                label: source_label(&s.name),
                object: s.object.clone(),
                parent: None,
                children: Vec::new(),
                depth: 0,
                expanded: false,
                listed: Listed::No,
                objects: None,
            });
        }
        let mut t = Tree {
            nodes,
            rows: Vec::new(),
            cursor: 0,
            offset: 0,
        };
        t.rebuild();
        t
    }

    /// Recomputes the visible rows after a change of shape, keeping the cursor on its node.
    pub fn rebuild(&mut self) {
        let current = self.rows.get(self.cursor).copied();
        self.rows.clear();
        let roots: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].parent.is_none())
            .collect();
        let mut stack: Vec<usize> = roots.into_iter().rev().collect();
        while let Some(i) = stack.pop() {
            self.rows.push(i);
            if self.nodes[i].expanded {
                stack.extend(self.nodes[i].children.iter().rev());
            }
        }
        if let Some(c) = current {
            if let Some(pos) = self.rows.iter().position(|&r| r == c) {
                self.cursor = pos;
            }
        }
        self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
    }

    pub fn selected(&self) -> Option<usize> {
        self.rows.get(self.cursor).copied()
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    /// Expands a folder, listing it first when it never was.
    pub fn expand(&mut self, i: usize) -> Need {
        let n = &mut self.nodes[i];
        if !n.is_folder() {
            return Need::Nothing;
        }
        n.expanded = true;
        let need = match n.listed {
            Listed::No | Listed::Failed(_) => {
                n.listed = Listed::Listing;
                Need::List {
                    node: i,
                    source: n.source,
                    prefix: n.prefix.clone(),
                }
            }
            _ => Need::Nothing,
        };
        self.rebuild();
        need
    }

    pub fn collapse(&mut self, i: usize) {
        self.nodes[i].expanded = false;
        self.rebuild();
    }

    /// Takes a listing answer. A folder holding exactly one folder and nothing else is skipped
    /// through (`AWSLogs/`, `o-…/`, a lone year): the answer is then another listing to make.
    pub fn listed(&mut self, i: usize, prefix: &str, result: Result<Listing, StoreError>) -> Need {
        let Some(n) = self.nodes.get_mut(i) else {
            return Need::Nothing;
        };
        if n.prefix != prefix {
            return Need::Nothing;
        }
        let listing = match result {
            Ok(l) => l,
            Err(e) => {
                n.listed = Listed::Failed(e.to_string());
                return Need::Nothing;
            }
        };
        if listing.objects.is_empty()
            && listing.folders.len() == 1
            && !names_something(&n.prefix, &listing.folders[0])
        {
            n.prefix = listing.folders[0].clone();
            return Need::List {
                node: i,
                source: n.source,
                prefix: n.prefix.clone(),
            };
        }
        n.listed = Listed::Yes;
        n.objects = Some((
            listing.objects.len(),
            listing.objects.iter().filter_map(|o| o.size).sum(),
        ));
        let (source, depth) = (n.source, n.depth + 1);
        let mut children = Vec::new();
        for f in listing.folders {
            children.push(self.nodes.len());
            self.nodes.push(Node {
                source,
                label: label_of(&f),
                prefix: f,
                object: None,
                parent: Some(i),
                children: Vec::new(),
                depth,
                expanded: false,
                listed: Listed::No,
                objects: None,
            });
        }
        for o in listing.objects {
            children.push(self.nodes.len());
            let name = o.key.rsplit('/').next().unwrap_or(&o.key).to_string();
            self.nodes.push(Node {
                source,
                label: name,
                prefix: o.key.clone(),
                object: Some(o),
                parent: Some(i),
                children: Vec::new(),
                depth,
                expanded: false,
                listed: Listed::Yes,
                objects: None,
            });
        }
        self.nodes[i].children = children;
        self.rebuild();
        Need::Nothing
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, last) as usize;
    }

    pub fn select_node(&mut self, i: usize) {
        if let Some(pos) = self.rows.iter().position(|&r| r == i) {
            self.cursor = pos;
        }
    }

    /// The names from the root to the node, for the breadcrumb.
    pub fn path(&self, mut i: usize) -> Vec<&str> {
        let mut out = vec![self.nodes[i].label.as_str()];
        while let Some(p) = self.nodes[i].parent {
            out.push(self.nodes[p].label.as_str());
            i = p;
        }
        out.reverse();
        out
    }

    /// One step towards showing `prefix` of `source`: the node reached, and what it needs first.
    /// Repeated after every listing until the node's prefix is the target.
    pub fn reveal(&mut self, source: usize, prefix: &str) -> (Option<usize>, Need) {
        let Some(mut i) = (0..self.nodes.len())
            .find(|&i| self.nodes[i].parent.is_none() && self.nodes[i].source == source)
        else {
            return (None, Need::Nothing);
        };
        loop {
            if self.nodes[i].prefix == prefix {
                self.rebuild();
                self.select_node(i);
                return (Some(i), Need::Nothing);
            }
            match self.nodes[i].listed {
                Listed::Yes => {}
                Listed::Listing => return (Some(i), Need::Nothing),
                _ => return (Some(i), self.expand(i)),
            }
            self.nodes[i].expanded = true;
            match self.nodes[i]
                .children
                .iter()
                .copied()
                .find(|&c| prefix.starts_with(&self.nodes[c].prefix))
            {
                Some(c) => i = c,
                None => {
                    self.rebuild();
                    self.select_node(i);
                    return (None, Need::Nothing);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_named_for_what_they_mean() {
        assert_eq!(label_of("AWSLogs/111122223333/CloudTrail/"), "cloudtrail");
        assert_eq!(
            label_of("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02/"),
            "2024-05-02"
        );
        assert_eq!(
            label_of("AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/"),
            "2024-05"
        );
        assert_eq!(label_of("aws/ROUTE53/1.0/region=us-east-1/"), "us-east-1");
        assert_eq!(
            label_of("aws/ROUTE53/1.0/region=us-east-1/accountId=1111/eventDay=20240502/"),
            "2024-05-02"
        );
        assert_eq!(source_label("/tmp/x/org-trail"), "org-trail");
        assert_eq!(source_label("s3://b/p"), "s3://b/p");
    }
}
