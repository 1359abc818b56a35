//! The user's config file (`$TRAWL_CONFIG`, or `~/.config/trawl/config.toml`): key overrides in
//! `[keys]` (action name = [keys]) and a default `theme`.

use std::collections::HashMap;
use std::path::PathBuf;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub theme: Option<String>,
    #[serde(default)]
    pub keys: HashMap<String, KeyList>,
}

/// One key or a list of keys.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl Config {
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

    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    /// Reads the config file; a missing file is no config, a broken one is a warning.
    pub fn load() -> (Config, Option<String>) {
        let path = match std::env::var_os("TRAWL_CONFIG") {
            Some(p) => PathBuf::from(p),
            None => match config_dir() {
                Some(d) => d.join("config.toml"),
                None => return (Config::default(), None),
            },
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match Config::parse(&text) {
                Ok(c) => (c, None),
                Err(e) => (Config::default(), Some(format!("{}: {e}", path.display()))),
            },
            Err(_) => (Config::default(), None),
        }
    }
}

/// `$XDG_CONFIG_HOME/trawl` or `~/.config/trawl`.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("trawl"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_section_takes_one_key_or_a_list() {
        let c =
            Config::parse("theme = \"light\"\n[keys]\nquit = \"x\"\ndown = [\"j\", \"ctrl-n\"]\n")
                .unwrap();
        let o = c.key_overrides();
        assert_eq!(o["quit"], vec!["x"]);
        assert_eq!(o["down"], vec!["j", "ctrl-n"]);
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert!(Config::parse("[nope]\n").is_err());
    }
}
