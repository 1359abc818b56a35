//! The `[athena]` section of trawl's config file ($TRAWL_CONFIG, else
//! $XDG_CONFIG_HOME/trawl/config.toml or ~/.config/trawl/config.toml): where queries run and
//! which tables they read, so that flags need not repeat it.

use std::path::PathBuf;

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AthenaConfig {
    pub workgroup: Option<String>,
    /// `s3://bucket/prefix/` for results, when the workgroup does not set one.
    pub output_location: Option<String>,
    pub database: Option<String>,
    pub catalog: Option<String>,
    /// Base names given to `trawl athena ddl --table`; the pivot reads `<name>_raw`.
    pub cloudtrail_table: Option<String>,
    pub guardduty_table: Option<String>,
    /// Region of the Security Lake Glue database (`amazon_security_lake_glue_db_<region>`).
    pub security_lake_region: Option<String>,
    /// Security Lake source version in table names (`2_0`).
    pub security_lake_version: Option<String>,
    /// Bytes a widened pivot may scan on screen before trawl asks first.
    pub byte_budget: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    athena: AthenaConfig,
}

/// Where the config file is looked for.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TRAWL_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("trawl/config.toml"))
}

impl AthenaConfig {
    /// The `[athena]` section, or defaults when there is no file; a broken file is an error.
    pub fn load() -> anyhow::Result<AthenaConfig> {
        let Some(p) = path() else {
            return Ok(AthenaConfig::default());
        };
        match std::fs::read_to_string(&p) {
            Ok(text) => Self::parse(&text).with_context(|| format!("{}", p.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AthenaConfig::default()),
            Err(e) => Err(e).with_context(|| format!("{}", p.display())),
        }
    }

    pub fn parse(text: &str) -> anyhow::Result<AthenaConfig> {
        // Other sections belong to other parts of trawl: only [athena] is read strictly here.
        let value: toml::Table = toml::from_str(text)?;
        let athena = value
            .get("athena")
            .cloned()
            .unwrap_or(toml::Value::Table(Default::default()));
        let file = File {
            athena: athena.try_into()?,
        };
        Ok(file.athena)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_athena_section_and_ignores_the_rest() {
        let c = AthenaConfig::parse(
            "theme = \"dark\"\n[athena]\nworkgroup = \"ir\"\noutput_location = \"s3://results/trawl/\"\ndatabase = \"security\"\nbyte_budget = 1000000\n[keys]\nq = \"quit\"\n",
        )
        .unwrap();
        assert_eq!(c.workgroup.as_deref(), Some("ir"));
        assert_eq!(c.output_location.as_deref(), Some("s3://results/trawl/"));
        assert_eq!(c.database.as_deref(), Some("security"));
        assert_eq!(c.byte_budget, Some(1_000_000));
        assert_eq!(AthenaConfig::parse("").unwrap(), AthenaConfig::default());
        assert!(AthenaConfig::parse("[athena]\nworkgrup = \"typo\"\n").is_err());
    }
}
