//! What a decoder hands over, item by item: a value with its position, the text of a CloudTrail
//! event, or a problem. Apart from the decoders so that the Parquet guard and the JSON decoder
//! share it without needing each other.

use std::fmt;
use std::ops::ControlFlow;

use serde_json::Value;

/// Something wrong with part of an object. The rest of the object still decodes when `fatal` is false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the decompressed text, when known.
    pub line: Option<u64>,
    pub message: String,
    /// The object could not be read to its end: what came before still counts, but it is incomplete.
    pub fatal: bool,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "line {l}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What a decoder hands to its sink.
#[derive(Debug)]
pub enum Item {
    /// A value and its position (line for JSON Lines, element for arrays and envelopes, row for Parquet).
    Value(Value, u64),
    /// The text of what looks like a CloudTrail event (an envelope's element), for the sink to
    /// summarize without building its whole tree.
    CloudTrailText(Box<str>, u64),
    Problem(Problem),
}

pub type Sink<'a> = dyn FnMut(Item) -> ControlFlow<()> + 'a;
