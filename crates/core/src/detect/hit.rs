//! What a detection leaves on a record: the rule's level and the hit itself. Apart from the
//! rules so that a record can hold its hits without the record knowing the evaluator.

/// A rule's level, Sigma's five, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Informational,
        Level::Low,
        Level::Medium,
        Level::High,
        Level::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// GuardDuty's severity bands: 9 and up critical, 7 high, 4 medium, above 0 low.
    pub fn of_severity(score: f64) -> Level {
        match score {
            x if x >= 9.0 => Level::Critical,
            x if x >= 7.0 => Level::High,
            x if x >= 4.0 => Level::Medium,
            x if x > 0.0 => Level::Low,
            _ => Level::Informational,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    /// A level's name, any case; `info` for informational.
    fn from_str(s: &str) -> Result<Level, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Ok(Level::Informational),
            "low" => Ok(Level::Low),
            "medium" => Ok(Level::Medium),
            "high" => Ok(Level::High),
            "critical" => Ok(Level::Critical),
            _ => Err(format!(
                "'{s}' is not a level (informational, low, medium, high, critical)"
            )),
        }
    }
}

/// A rule that fired: what is kept with a record and printed by `trawl hunt`. One per rule,
/// shared by every record it fired on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hit {
    /// The rule's title.
    pub rule: String,
    /// The rule's id (empty when the rule has none).
    pub id: String,
    pub level: Level,
    /// ATT&CK technique ids from its `attack.tNNNN[.NNN]` tags, as `T1098.001`.
    pub attack: Vec<String>,
    /// The rule file: `builtin/<name>.yml` for the built-in pack, else its path.
    pub file: String,
    /// The rule's author: the Detection Rule License of SigmaHQ's rules asks that it be shown
    /// with every match.
    pub author: String,
}
