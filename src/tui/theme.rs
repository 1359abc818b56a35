//! Colours of the screen, read from small TOML files (the files of `themes/` are built in; a user
//! theme sets only what it changes over dark), with a 256-colour fallback and `NO_COLOR` honoured.

use std::collections::HashMap;
use std::path::PathBuf;

use ratatui::style::{Color, Modifier, Style};

const DARK: &str = include_str!("../../themes/dark.toml");
const LIGHT: &str = include_str!("../../themes/light.toml");
const HIGH_CONTRAST: &str = include_str!("../../themes/high-contrast.toml");
const ANSI16: &str = include_str!("../../themes/ansi16.toml");

/// The themes built into the binary: name, other names, text.
pub const BUILT_IN: &[(&str, &[&str], &str)] = &[
    ("dark", &[], DARK),
    ("light", &[], LIGHT),
    ("high-contrast", &["hc"], HIGH_CONTRAST),
    ("16", &["ansi16", "ansi"], ANSI16),
];

/// The built-in theme called `name` (by its name or another of its names).
fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|(n, aliases, _)| *n == name || aliases.contains(&name))
        .map(|(_, _, text)| *text)
}

macro_rules! theme_colors {
    ($($field:ident),* $(,)?) => {
        /// Every colour a theme can set, named as in the TOML files.
        #[derive(Debug, Clone)]
        pub struct Colors { $(pub $field: Color),* }

        impl Default for Colors {
            fn default() -> Self { Colors { $($field: Color::Reset),* } }
        }

        impl Colors {
            /// Every colour's name.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            pub fn get(&self, name: &str) -> Option<Color> {
                match name { $(stringify!($field) => Some(self.$field),)* _ => None }
            }
            fn set(&mut self, name: &str, c: Color) -> bool {
                match name { $(stringify!($field) => { self.$field = c; true })* _ => false }
            }
            fn map(&mut self, f: impl Fn(Color) -> Color) {
                $(self.$field = f(self.$field);)*
            }
        }
    };
}

theme_colors!(
    text,
    dim,
    border,
    border_focus,
    title,
    selected_fg,
    selected_bg,
    selected_unfocused_bg,
    folder,
    day,
    object,
    error,
    warning,
    spinner,
    status_fg,
    status_bg,
    hint,
    match_bg,
    sev_critical,
    sev_high,
    sev_medium,
    sev_low,
    guardduty,
    cloudtrail,
    ocsf,
    json_key,
    json_string,
    json_number,
    json_literal,
    json_punct,
    entity,
);

#[derive(Debug, Clone)]
pub struct Theme {
    pub c: Colors,
    /// No colour at all (NO_COLOR): selection and focus are shown with reverse video and bold.
    pub mono: bool,
    pub warnings: Vec<String>,
}

/// How many colours the terminal can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    None,
    Ansi256,
    TrueColor,
}

impl Depth {
    /// From the environment: `NO_COLOR` (any value) wins; `COLORTERM=truecolor|24bit` gives RGB.
    pub fn from_env() -> Depth {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Depth::None;
        }
        match std::env::var("COLORTERM").as_deref() {
            Ok("truecolor") | Ok("24bit") => Depth::TrueColor,
            _ => Depth::Ansi256,
        }
    }
}

fn parse_color(s: &str) -> Option<Color> {
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6 {
            let v = u32::from_str_radix(hex, 16).ok()?;
            return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return None;
    }
    if let Ok(i) = s.parse::<u8>() {
        return Some(Color::Indexed(i));
    }
    s.parse::<Color>().ok()
}

/// The nearest xterm 256-colour index of an RGB colour (colour cube or grey ramp).
pub fn to_256(c: Color) -> Color {
    let Color::Rgb(r, g, b) = c else { return c };
    let level = |v: u8| -> u8 {
        if v < 48 {
            0
        } else if v < 115 {
            1
        } else {
            (v - 35) / 40
        }
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = |i: u8| if i == 0 { 0 } else { 55 + 40 * i as i32 };
    let dist = |a: (i32, i32, i32)| {
        (a.0 - r as i32).pow(2) + (a.1 - g as i32).pow(2) + (a.2 - b as i32).pow(2)
    };
    let cube_rgb = (cube(ri), cube(gi), cube(bi));
    let avg = (r as i32 + g as i32 + b as i32) / 3;
    let gi_idx = ((avg - 8).max(0) / 10).min(23);
    let grey = 8 + 10 * gi_idx;
    if dist((grey, grey, grey)) < dist(cube_rgb) {
        Color::Indexed(232 + gi_idx as u8)
    } else {
        Color::Indexed(16 + 36 * ri + 6 * gi + bi)
    }
}

impl Theme {
    /// The built-in dark theme at full colour, for tests and screenshots.
    pub fn dark() -> Theme {
        let mut t = Theme {
            c: Colors::default(),
            mono: false,
            warnings: Vec::new(),
        };
        t.apply(DARK, "dark");
        t
    }

    /// The theme named `name` (built in, a file in the themes folders, or a path), over dark.
    pub fn load(name: Option<&str>, depth: Depth) -> Theme {
        let mut t = Theme::dark();
        if let Some(name) = name.filter(|n| built_in(n) != Some(DARK)) {
            match theme_text(name) {
                Some(text) => t.apply(&text, name),
                None => t.warnings.push(format!("theme '{name}' not found")),
            }
        }
        match depth {
            Depth::TrueColor => {}
            Depth::Ansi256 => t.c.map(to_256),
            Depth::None => {
                t.c.map(|_| Color::Reset);
                t.mono = true;
            }
        }
        t
    }

    fn apply(&mut self, text: &str, origin: &str) {
        #[derive(serde::Deserialize)]
        struct File {
            #[serde(default)]
            colors: HashMap<String, String>,
        }
        match toml::from_str::<File>(text) {
            Ok(f) => {
                for (k, v) in f.colors {
                    match parse_color(&v) {
                        Some(c) if self.c.set(&k, c) => {}
                        Some(_) => self
                            .warnings
                            .push(format!("theme {origin}: unknown colour name '{k}'")),
                        None => self
                            .warnings
                            .push(format!("theme {origin}: cannot read colour '{v}' of '{k}'")),
                    }
                }
            }
            Err(e) => self
                .warnings
                .push(format!("theme {origin}: {}", e.message())),
        }
    }

    pub fn fg(&self, c: Color) -> Style {
        Style::default().fg(c)
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            let s = Style::default().fg(self.c.border_focus);
            if self.mono {
                s.add_modifier(Modifier::BOLD)
            } else {
                s
            }
        } else {
            Style::default().fg(self.c.border)
        }
    }

    pub fn selected(&self, focused: bool) -> Style {
        if self.mono {
            return if focused {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default().add_modifier(Modifier::UNDERLINED)
            };
        }
        if focused {
            Style::default()
                .fg(self.c.selected_fg)
                .bg(self.c.selected_bg)
        } else {
            Style::default().bg(self.c.selected_unfocused_bg)
        }
    }

    pub fn status(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::REVERSED)
        } else {
            Style::default().fg(self.c.status_fg).bg(self.c.status_bg)
        }
    }

    pub fn severity(&self, sev: f64) -> Style {
        let c = match sev {
            x if x >= 9.0 => self.c.sev_critical,
            x if x >= 7.0 => self.c.sev_high,
            x if x >= 4.0 => self.c.sev_medium,
            _ => self.c.sev_low,
        };
        let s = Style::default().fg(c);
        if sev >= 7.0 {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    pub fn matched(&self) -> Style {
        if self.mono {
            Style::default().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::default().bg(self.c.match_bg)
        }
    }
}

/// Finds a theme's text: built in, a path, the config folder's `themes/NAME.toml`, or
/// `./themes/NAME.toml`.
fn theme_text(name: &str) -> Option<String> {
    if let Some(text) = built_in(name) {
        return Some(text.to_string());
    }
    let mut candidates = vec![PathBuf::from(name)];
    if let Some(dir) = crate::config::config_dir() {
        candidates.push(dir.join("themes").join(format!("{name}.toml")));
    }
    candidates.push(PathBuf::from("themes").join(format!("{name}.toml")));
    candidates
        .into_iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_theme_overrides_only_what_it_sets() {
        let mut t = Theme::dark();
        let before = t.c.json_key;
        t.apply("[colors]\nerror = \"red\"\n", "test");
        assert_eq!(t.c.error, Color::Red);
        assert_eq!(t.c.json_key, before);
        assert!(t.warnings.is_empty());
        t.apply("[colors]\nnope = \"red\"\nerror = \"#zz\"\n", "test");
        assert_eq!(t.warnings.len(), 2);
    }

    /// The `[colors]` names a theme file sets.
    fn names_set(text: &str) -> std::collections::BTreeSet<String> {
        let file: toml::Table = toml::from_str(text).unwrap();
        file["colors"].as_table().unwrap().keys().cloned().collect()
    }

    #[test]
    fn every_built_in_theme_loads_cleanly_and_sets_every_colour() {
        let every: std::collections::BTreeSet<String> =
            Colors::NAMES.iter().map(|n| n.to_string()).collect();
        assert_eq!(
            names_set(DARK),
            every,
            "dark.toml sets every colour there is"
        );
        for (name, aliases, text) in BUILT_IN {
            assert_eq!(names_set(text), every, "theme {name}");
            let mut t = Theme {
                c: Colors::default(),
                mono: false,
                warnings: Vec::new(),
            };
            t.apply(text, name);
            assert!(t.warnings.is_empty(), "{name}: {:?}", t.warnings);
            for n in std::iter::once(name).chain(aliases.iter()) {
                let t = Theme::load(Some(n), Depth::TrueColor);
                assert!(t.warnings.is_empty(), "{n}: {:?}", t.warnings);
            }
        }
        // Every file in themes/ is built in.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/themes");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            assert!(BUILT_IN.iter().any(|(_, _, t)| *t == text));
        }
    }

    #[test]
    fn built_in_themes_differ_from_dark_where_they_say() {
        let hc = Theme::load(Some("high-contrast"), Depth::TrueColor);
        assert_eq!(hc.c.text, Color::Rgb(255, 255, 255));
        assert_eq!(hc.c.status_bg, Color::Rgb(255, 255, 255));
        assert_eq!(hc.c.status_fg, Color::Rgb(0, 0, 0));
        let light = Theme::load(Some("light"), Depth::TrueColor);
        assert_ne!(light.c.sev_low, Theme::dark().c.sev_low);
        assert!(!Theme::load(Some("no-such-theme"), Depth::TrueColor)
            .warnings
            .is_empty());
    }

    #[test]
    fn the_16_colour_theme_uses_only_the_ansi_names() {
        for depth in [Depth::TrueColor, Depth::Ansi256] {
            for name in ["16", "ansi16"] {
                let t = Theme::load(Some(name), depth);
                assert!(t.warnings.is_empty(), "{:?}", t.warnings);
                for n in Colors::NAMES {
                    let c = t.c.get(n).unwrap();
                    assert!(
                        !matches!(c, Color::Rgb(..) | Color::Indexed(_)),
                        "{name} at {depth:?}: {n} is {c:?}"
                    );
                }
                // Every colour comes from the file, none is dark's left over.
                assert_eq!(t.c.selected_bg, Color::LightBlue);
                assert_eq!(t.c.dim, Color::DarkGray);
            }
        }
    }

    #[test]
    fn rgb_falls_back_to_256_colours_and_no_color_is_plain() {
        assert_eq!(to_256(Color::Rgb(255, 0, 0)), Color::Indexed(196));
        assert_eq!(to_256(Color::Rgb(0, 0, 0)), Color::Indexed(16));
        assert_eq!(to_256(Color::Rgb(128, 128, 128)), Color::Indexed(244));
        let t = Theme::load(None, Depth::Ansi256);
        assert!(!matches!(t.c.border_focus, Color::Rgb(..)));
        let t = Theme::load(None, Depth::None);
        assert!(t.mono);
        assert_eq!(t.c.error, Color::Reset);
    }
}
