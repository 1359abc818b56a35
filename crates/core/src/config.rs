//! trawl's one config file: `$TRAWL_CONFIG`, else `$XDG_CONFIG_HOME/trawl/config.toml`, else
//! `~/.config/trawl/config.toml`. Every section is read here, strictly: an unknown section or key
//! is an error that names it, so a typo never passes for a setting.
//!
//! ```toml
//! theme = "high-contrast"          # the screen's colours (--theme wins)
//!
//! [keys]                           # action name = a key or a list of keys
//! quit = "x"
//! down = ["j", "ctrl-n"]
//!
//! [workspaces]                     # `trawl @prod` opens all of these
//! prod = ["s3://org-trail", "s3://gd-exports/findings", "./lake"]
//!
//! tz = "utc"                       # times shown in UTC (the default) or "local" (--tz wins)
//!
//! [pivot]
//! around = "24h"                   # the screen's scan: this much either side of the record
//! scan_budget = 2147483648         # bytes a scan may read before it asks (2 GiB)
//! window = "7d"                    # the Athena widening's window (90m, 24h, 7d, 2w)
//!
//! [athena]
//! workgroup = "ir"
//!
//! [detect]
//! rules = ["~/sigma/rules/cloud/aws"]   # Sigma rules beside the built-in pack
//! ```
//!
//! The core knows nothing about terminals: keys stay strings here, read by the screen's keymap.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::athena::client::QueryRequest;
use crate::athena::pivot::Tables;

/// The widest pivot window: ten years, past any log's retention (and far from chrono's range).
const MAX_PIVOT_WINDOW_DAYS: i64 = 3660;

/// The pivot window when the file sets none.
pub const DEFAULT_PIVOT_WINDOW: &str = "7d";

/// How far either side of a record the screen's pivot scans when the file sets nothing.
pub const DEFAULT_PIVOT_AROUND: &str = "24h";

/// Bytes a pivot scan reads without asking when the file sets nothing.
pub const DEFAULT_SCAN_BUDGET: u64 = 2 << 30;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The default colour theme (a built-in name, a theme file's name, or a path).
    #[serde(default)]
    pub theme: Option<String>,
    /// The zone times are shown in: `utc` (the default) or `local`.
    #[serde(default)]
    pub tz: Option<String>,
    /// Key overrides: action name → one key or a list of keys (`ctrl-n`, `G`, `enter`).
    #[serde(default)]
    pub keys: HashMap<String, KeyList>,
    /// Named lists of sources: `@NAME` on the command line stands for the list.
    #[serde(default)]
    pub workspaces: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub pivot: PivotConfig,
    #[serde(default)]
    pub athena: AthenaConfig,
    #[serde(default)]
    pub detect: DetectConfig,
    /// The file this was read from (none when there was no file).
    #[serde(skip)]
    pub file: Option<PathBuf>,
}

/// One key or a list of keys.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged, expecting = "expected a key or a list of keys")]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

/// The `[pivot]` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PivotConfig {
    /// How far the Athena widening looks by default: a span (`90m`, `24h`, `7d`, `2w`).
    pub window: Option<String>,
    /// How far either side of a record the screen's pivot scans the sources.
    pub around: Option<String>,
    /// Bytes a pivot scan may read before it asks first.
    pub scan_budget: Option<u64>,
}

/// The `[athena]` section: where queries run and which tables they read, so that flags need not
/// repeat it.
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

/// The `[detect]` section: where Sigma rules beyond the built-in pack are.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DetectConfig {
    /// Folders (searched recursively) or files of Sigma rules for CloudTrail.
    #[serde(default)]
    pub rules: Vec<String>,
}

impl DetectConfig {
    /// The rule paths, read as if typed on the command line (relative to the current folder),
    /// except that a leading `~/` is the home folder.
    pub fn rule_paths(&self) -> Vec<PathBuf> {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
        self.rules
            .iter()
            .map(|r| match (r.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => Path::new(h).join(rest),
                _ => PathBuf::from(r),
            })
            .collect()
    }
}

impl AthenaConfig {
    /// The `[athena]` section of the config file, or defaults when there is no file; a broken
    /// file is an error naming it.
    pub fn load() -> anyhow::Result<AthenaConfig> {
        Ok(Config::load().map_err(anyhow::Error::msg)?.athena)
    }

    /// The tables a pivot reads: these names, else trawl's defaults.
    pub fn tables(&self) -> Tables {
        let d = Tables::default();
        Tables {
            database: self.database.clone().unwrap_or(d.database),
            cloudtrail: self.cloudtrail_table.clone().unwrap_or(d.cloudtrail),
            guardduty: self.guardduty_table.clone().unwrap_or(d.guardduty),
            lake_region: self.security_lake_region.clone(),
            lake_version: self.security_lake_version.clone().unwrap_or(d.lake_version),
        }
    }

    /// A query of `sql` where these settings place it (database, catalog, workgroup, results).
    pub fn request(&self, sql: String) -> QueryRequest {
        QueryRequest {
            sql,
            database: self.database.clone(),
            catalog: self.catalog.clone(),
            workgroup: self.workgroup.clone(),
            output_location: self.output_location.clone(),
        }
    }
}

/// `$XDG_CONFIG_HOME/trawl` or `~/.config/trawl`: the config file and user themes live there.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("trawl"))
}

/// Where the config file is looked for: `$TRAWL_CONFIG`, else `config.toml` in [`config_dir`].
pub fn path() -> Option<PathBuf> {
    match std::env::var_os("TRAWL_CONFIG").filter(|p| !p.is_empty()) {
        Some(p) => Some(PathBuf::from(p)),
        None => config_dir().map(|d| d.join("config.toml")),
    }
}

impl Config {
    /// Parses a config file's text; the error names the line and the key or section at fault.
    pub fn parse(text: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim_end().replace('\n', ", ");
            match e.span() {
                Some(span) => {
                    // The line at fault, quoted: it names the key even where toml's message does not.
                    let start = span.start.min(text.len());
                    let line = text[..start].matches('\n').count() + 1;
                    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
                    let to = text[start..].find('\n').map_or(text.len(), |i| start + i);
                    let quoted = text[from..to].trim();
                    match quoted.char_indices().nth(60) {
                        _ if quoted.is_empty() => format!("line {line}: {msg}"),
                        Some((cut, _)) => format!("line {line} `{}…`: {msg}", &quoted[..cut]),
                        None => format!("line {line} `{quoted}`: {msg}"),
                    }
                }
                None => msg,
            }
        })?;
        config
            .pivot_window()
            .map_err(|e| format!("[pivot] window: {e}"))?;
        config
            .pivot_around()
            .map_err(|e| format!("[pivot] around: {e}"))?;
        if let Some(tz) = config.tz.as_deref() {
            if !matches!(tz, "utc" | "local") {
                return Err(format!(
                    "tz: '{tz}' is not a zone trawl knows: utc or local"
                ));
            }
        }
        for (name, sources) in &config.workspaces {
            if let Some(s) = sources.iter().find(|s| s.starts_with('@')) {
                return Err(format!(
                    "[workspaces] {name}: '{s}': a workspace lists sources, not other workspaces"
                ));
            }
        }
        Ok(config)
    }

    /// Reads the file at `path`: a missing file is the defaults, anything else wrong is an error
    /// that names the file.
    pub fn read(path: &Path) -> Result<Config, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let mut config = Config::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        config.file = Some(path.to_path_buf());
        Ok(config)
    }

    /// The config file at [`path`], or the defaults when there is none.
    pub fn load() -> Result<Config, String> {
        match path() {
            Some(p) => Config::read(&p),
            None => Ok(Config::default()),
        }
    }

    /// For the screen: a broken file is the defaults and a warning to show.
    pub fn load_or_warn() -> (Config, Option<String>) {
        match Config::load() {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(format!("config ignored: {e}"))),
        }
    }

    /// `[keys]` as action name → keys.
    pub fn key_overrides(&self) -> HashMap<String, Vec<String>> {
        self.keys
            .iter()
            .map(|(k, v)| {
                let keys = match v {
                    KeyList::One(s) => vec![s.clone()],
                    KeyList::Many(v) => v.clone(),
                };
                (k.clone(), keys)
            })
            .collect()
    }

    /// `[pivot] window`, 7 days when unset.
    pub fn pivot_window(&self) -> Result<chrono::Duration, String> {
        checked_window(self.pivot.window.as_deref().unwrap_or(DEFAULT_PIVOT_WINDOW))
    }

    /// `[pivot] around`, 24 hours when unset.
    pub fn pivot_around(&self) -> Result<chrono::Duration, String> {
        checked_window(self.pivot.around.as_deref().unwrap_or(DEFAULT_PIVOT_AROUND))
    }

    /// `[pivot] scan_budget`, 2 GiB when unset.
    pub fn scan_budget(&self) -> u64 {
        self.pivot.scan_budget.unwrap_or(DEFAULT_SCAN_BUDGET)
    }

    /// Source arguments with every `@NAME` replaced by workspace NAME's sources, in order, each
    /// source once. A workspace's sources are read as if typed on the command line (a relative
    /// folder is relative to the current one), except that a leading `~/` is the home folder.
    /// An unknown or empty workspace is an error that says where workspaces are defined.
    pub fn expand_sources(&self, args: &[String]) -> Result<Vec<String>, String> {
        let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
        let mut out: Vec<String> = Vec::new();
        let mut push = |s: String| {
            if !out.contains(&s) {
                out.push(s);
            }
        };
        for arg in args {
            let Some(name) = arg.strip_prefix('@') else {
                push(arg.clone());
                continue;
            };
            match self.workspaces.get(name) {
                Some(sources) if !sources.is_empty() => {
                    for s in sources {
                        match (s.strip_prefix("~/"), &home) {
                            (Some(rest), Some(h)) => {
                                push(Path::new(h).join(rest).display().to_string())
                            }
                            _ => push(s.clone()),
                        }
                    }
                }
                Some(_) => {
                    return Err(format!(
                        "workspace '{name}' in {} lists no sources",
                        self.where_()
                    ))
                }
                None => return Err(self.no_workspace(name)),
            }
        }
        Ok(out)
    }

    fn where_(&self) -> String {
        match self.file.clone().or_else(path) {
            Some(f) => f.display().to_string(),
            None => "the config file ($TRAWL_CONFIG or ~/.config/trawl/config.toml)".into(),
        }
    }

    fn no_workspace(&self, name: &str) -> String {
        let place = self.where_();
        if self.file.is_none() {
            return format!(
                "no workspace '{name}': there is no config file at {place} (workspaces are its [workspaces] section)"
            );
        }
        if self.workspaces.is_empty() {
            return format!("no workspace '{name}' in {place}: it has no [workspaces] section");
        }
        let known: Vec<&str> = self.workspaces.keys().map(String::as_str).collect();
        format!(
            "no workspace '{name}' in {place}; known: {}",
            known.join(", ")
        )
    }
}

/// A window's span: longer than nothing, at most ten years.
fn checked_window(text: &str) -> Result<chrono::Duration, String> {
    let span = crate::scope::parse_span(text)?;
    if span <= chrono::Duration::zero() {
        return Err(format!(
            "'{text}' is not a window: it must be longer than 0"
        ));
    }
    if span > chrono::Duration::days(MAX_PIVOT_WINDOW_DAYS) {
        return Err(format!(
            "'{text}' is too wide a window: at most {MAX_PIVOT_WINDOW_DAYS}d"
        ));
    }
    Ok(span)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
theme = "light"

[keys]
quit = "x"
down = ["j", "ctrl-n"]

[workspaces]
prod = ["s3://org-trail", "s3://gd-exports/findings", "./lake"]
stage = ["s3://stage-trail"]

[pivot]
window = "24h"

[athena]
workgroup = "ir"
output_location = "s3://results/trawl/"
database = "security"
catalog = "AwsDataCatalog"
cloudtrail_table = "ct"
guardduty_table = "gd"
security_lake_region = "us-east-1"
security_lake_version = "2_0"
byte_budget = 1000000

[detect]
rules = ["./sigma", "/opt/rules/aws_cloudtrail_x.yml"]
"#;

    #[test]
    fn a_file_with_every_section_parses() {
        let c = Config::parse(FULL).unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        let keys = c.key_overrides();
        assert_eq!(keys["quit"], vec!["x"]);
        assert_eq!(keys["down"], vec!["j", "ctrl-n"]);
        assert_eq!(
            c.workspaces["prod"],
            vec!["s3://org-trail", "s3://gd-exports/findings", "./lake"]
        );
        assert_eq!(c.pivot_window(), Ok(chrono::Duration::hours(24)));
        assert_eq!(
            c.athena,
            AthenaConfig {
                workgroup: Some("ir".into()),
                output_location: Some("s3://results/trawl/".into()),
                database: Some("security".into()),
                catalog: Some("AwsDataCatalog".into()),
                cloudtrail_table: Some("ct".into()),
                guardduty_table: Some("gd".into()),
                security_lake_region: Some("us-east-1".into()),
                security_lake_version: Some("2_0".into()),
                byte_budget: Some(1_000_000),
            }
        );
        assert_eq!(
            c.detect.rule_paths(),
            vec![
                PathBuf::from("./sigma"),
                PathBuf::from("/opt/rules/aws_cloudtrail_x.yml")
            ]
        );
    }

    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme.find("```toml\n").expect("a toml example") + 8;
        let len = readme[start..].find("```").unwrap();
        let c = Config::parse(&readme[start..start + len]).unwrap();
        assert_eq!(c.theme.as_deref(), Some("high-contrast"));
        assert_eq!(c.workspaces.len(), 2);
        assert_eq!(c.pivot_window(), Ok(chrono::Duration::days(7)));
        assert!(c.athena.byte_budget.is_some() && c.athena.security_lake_version.is_some());
        assert_eq!(c.detect.rules.len(), 1);
    }

    #[test]
    fn athena_and_keys_live_side_by_side() {
        // The screen once rejected a file with [athena] in it, and Athena ignored [keys] typos.
        let c = Config::parse("[keys]\nquit = \"x\"\n[athena]\nworkgroup = \"ir\"\n").unwrap();
        assert_eq!(c.key_overrides()["quit"], vec!["x"]);
        assert_eq!(c.athena.workgroup.as_deref(), Some("ir"));
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let c = Config::parse("").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.pivot_window(), Ok(chrono::Duration::days(7)));
    }

    #[test]
    fn a_typo_is_an_error_naming_it() {
        let cases = [
            ("[athena]\nworkgrup = \"ir\"\n", "workgrup", "line 2"),
            ("[workspace]\nprod = [\"./lake\"]\n", "workspace", "line 1"),
            ("theme = \"dark\"\nthem = \"light\"\n", "them", "line 2"),
            ("[pivot]\nwindw = \"7d\"\n", "windw", "line 2"),
            ("[detect]\nrule = [\"./r\"]\n", "rule", "line 2"),
            ("[pivot]\nwindow = \"7 days\"\n", "[pivot] window", "7 days"),
            ("[pivot]\nwindow = \"0d\"\n", "[pivot] window", "0d"),
            (
                "[pivot]\nwindow = \"200000000d\"\n",
                "[pivot] window",
                "too wide a window",
            ),
            (
                "[keys]\nquit = 3\n",
                "a key or a list of keys",
                "line 2 `quit = 3`",
            ),
            ("[workspaces]\nprod = \"./lake\"\n", "sequence", "line 2"),
            (
                "[workspaces]\nall = [\"@prod\"]\n",
                "[workspaces] all",
                "@prod",
            ),
        ];
        for (text, names, also) in cases {
            let e = Config::parse(text).unwrap_err();
            assert!(e.contains(names) && e.contains(also), "{text:?}: {e}");
        }
    }

    #[test]
    fn workspaces_expand_in_place_each_source_once() {
        let c = Config::parse(FULL).unwrap();
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            c.expand_sources(&args(&["./other", "@prod", "./lake", "@stage"]))
                .unwrap(),
            args(&[
                "./other",
                "s3://org-trail",
                "s3://gd-exports/findings",
                "./lake",
                "s3://stage-trail"
            ])
        );
        assert_eq!(c.expand_sources(&args(&["./a"])).unwrap(), args(&["./a"]));
    }

    #[test]
    fn an_unknown_workspace_names_the_file_and_the_known_ones() {
        let mut c = Config::parse(FULL).unwrap();
        c.file = Some(PathBuf::from("/etc/trawl.toml"));
        assert_eq!(
            c.expand_sources(&["@prdo".to_string()]).unwrap_err(),
            "no workspace 'prdo' in /etc/trawl.toml; known: prod, stage"
        );
        let mut empty = Config {
            file: Some(PathBuf::from("/etc/trawl.toml")),
            ..Config::default()
        };
        assert!(empty
            .expand_sources(&["@prod".to_string()])
            .unwrap_err()
            .contains("no [workspaces]"));
        empty.workspaces.insert("none".into(), Vec::new());
        assert!(empty
            .expand_sources(&["@none".to_string()])
            .unwrap_err()
            .contains("lists no sources"));
    }

    #[test]
    fn reading_a_file_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.toml");
        assert_eq!(Config::read(&p).unwrap(), Config::default());
        std::fs::write(&p, "[athena]\nworkgrup = \"ir\"\n").unwrap();
        let e = Config::read(&p).unwrap_err();
        assert!(
            e.starts_with(&format!("{}: line 2 `workgrup = \"ir\"`: ", p.display()))
                && e.contains("unknown field `workgrup`"),
            "{e}"
        );
        std::fs::write(&p, FULL).unwrap();
        let c = Config::read(&p).unwrap();
        assert_eq!(c.file.as_deref(), Some(p.as_path()));
        assert_eq!(c.workspaces.len(), 2);
    }
}
