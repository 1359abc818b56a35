//! The full-screen investigator: three panes over the partitions, their records and the selected
//! record. The UI loop drains every pending key and background message, then draws at most once
//! per frame; slow work runs on tokio tasks that answer with a [`msg::Msg`], so keys keep working
//! while a day loads (yazi's loop, stu's typed messages).

pub mod app;
pub mod counts;
pub mod export;
pub mod json;
pub mod keymap;
pub mod loader;
pub mod msg;
pub mod palette;
pub mod pivot_view;
pub mod preview;
pub mod records;
pub mod resume;
pub mod theme;
pub mod tree;
pub mod view;
pub mod widen;

/// The config file is the core's; the screen reads its theme and `[keys]`.
pub use crate::config;

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::backend::{Backend, TestBackend};
use ratatui::crossterm::event::{self, Event, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Terminal;
use tokio::sync::mpsc::{self, UnboundedReceiver};

use self::app::App;
use self::config::Config;
use self::keymap::{Key, Keymap};
use self::loader::Loader;
use self::msg::Msg;
use self::theme::{Depth, Theme};
use crate::decode::Limits;
use crate::source::{self, AwsOptions, Source};

/// At most one frame this often: enough for a spinner, never a busy loop.
const FRAME: Duration = Duration::from_millis(12);
/// Background messages handled before the next frame, at most this long, so a flood of records
/// never starves the keys.
const MSG_BUDGET: Duration = Duration::from_millis(8);

/// A terminal event and when it was read (for the key-to-frame latency).
pub struct Input {
    pub at: Instant,
    pub event: Event,
}

/// Key-to-frame latencies: from reading a key to the end of the frame that shows its effect.
#[derive(Default)]
pub struct Latency {
    pub samples: Vec<Duration>,
    /// Where the loop's own time went: drawing frames, handling background messages.
    pub drawing: Duration,
    pub frames: usize,
    pub handling: Duration,
}

impl Latency {
    /// `(p50, p95, max)`.
    pub fn summary(&self) -> Option<(Duration, Duration, Duration)> {
        let mut s = self.samples.clone();
        if s.is_empty() {
            return None;
        }
        s.sort();
        let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
        Some((at(0.5), at(0.95), *s.last().expect("not empty")))
    }
}

/// What the screen opens with. The command line builds it from its flags; the screen never sees
/// the flags themselves.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// SOURCE arguments, workspaces already expanded.
    pub sources: Vec<String>,
    /// Open the saved session too (and its sources when none are given).
    pub resume: bool,
    pub aws: AwsOptions,
    /// A theme asked for on the command line; the config file's otherwise.
    pub theme: Option<String>,
    /// Objects read at once.
    pub concurrency: usize,
    pub limits: Limits,
    /// An entity to open the screen on, pivoted (`--pivot`): an IP pasted from an alert.
    pub pivot: Option<String>,
    /// The zone times are shown in (`--tz`); the config file's, else UTC.
    pub tz: Option<String>,
    /// Files of CloudTrail public keys (`aws cloudtrail list-public-keys`) to validate local
    /// copies with; S3 sources ask CloudTrail when none are given.
    pub public_keys: Vec<std::path::PathBuf>,
}

/// Opens the screen over the sources; with `resume`, the saved session too (and its sources
/// when none are given).
pub async fn run(options: Options) -> anyhow::Result<()> {
    let Options {
        mut sources,
        resume,
        aws,
        theme,
        concurrency,
        limits,
        pivot,
        tz,
        public_keys,
    } = options;
    let pivot = match pivot.as_deref() {
        Some(p) => Some(crate::entity::parse_target(p).with_context(|| {
            format!(
                "--pivot '{}' is not an entity (an IP, access key, ARN, principal id, account or user)",
                crate::escape::for_terminal(p)
            )
        })?),
        None => None,
    };
    let state = resume::default_path();
    let saved = match (&state, resume) {
        (Some(path), true) => match resume::load(path).map_err(anyhow::Error::msg)? {
            Some(s) => Some(s),
            None => anyhow::bail!("nothing to resume: no session saved at {}", path.display()),
        },
        (None, true) => anyhow::bail!("nothing to resume: neither XDG_STATE_HOME nor HOME is set"),
        _ => None,
    };
    if let Some(s) = &saved {
        if sources.is_empty() {
            sources = s.sources.clone();
        }
    }
    if sources.is_empty() {
        anyhow::bail!("no SOURCE given: try `trawl demo`, or `trawl --help`");
    }
    let opened = source::open_all(&sources, &aws).await?;
    let (config, config_warning) = Config::load_or_warn();
    let theme_name = theme.or(config.theme.clone());
    let theme = Theme::load(theme_name.as_deref(), Depth::from_env());
    let keymap = Keymap::new(&config.key_overrides());
    let (tx, rx) = mpsc::unbounded_channel();
    let mut loader = Loader::new(opened.clone(), tx, concurrency, limits);
    // The built-in rules and the config's own mark every CloudTrail event as it loads.
    let (rules, report) = crate::detect::RuleSet::load(&crate::detect::RuleSources {
        builtin: true,
        paths: config.detect.rule_paths(),
    });
    loader.set_rules(std::sync::Arc::new(rules));
    // Log file integrity of what is read: with the keys given, else CloudTrail's when a source
    // is in S3 (a local copy without keys cannot be proven, so it is not tried).
    let keys: Option<std::sync::Arc<dyn crate::verify::KeySource>> = if !public_keys.is_empty() {
        Some(std::sync::Arc::new(
            crate::verify::KeyFiles::load(&public_keys)
                .map_err(|e| anyhow::anyhow!("--public-keys: {e}"))?,
        ))
    } else if opened.iter().any(|s| s.store.uri("").starts_with("s3://")) {
        Some(std::sync::Arc::new(crate::verify::CloudTrailKeys::new(
            aws.load().await,
        )))
    } else {
        None
    };
    if let Some(keys) = keys {
        loader.set_verify(crate::verify::Options {
            keys,
            limits,
            concurrency,
        });
    }
    let mut app = App::new(opened, loader, keymap, theme);
    if let Some(w) = config_warning {
        app.message = Some(w);
    }
    for w in report.warnings {
        app.failures.push(app::Failure {
            what: w.file.clone(),
            reason: format!("detection rule not used: {}", w.reason),
            fatal: false,
        });
    }
    app.athena.aws = aws;
    app.athena.config = config.athena.clone();
    // Checked when the file was read: the file's window, or 7 days.
    if let Ok(w) = config.pivot_window() {
        app.athena.window = w;
    }
    if let Ok(a) = config.pivot_around() {
        app.settings.around = a;
    }
    app.settings.scan_budget = config.scan_budget();
    let zone = tz.as_deref().or(config.tz.as_deref()).unwrap_or("utc");
    app.settings.zone =
        app::Zone::parse(zone).with_context(|| format!("--tz '{zone}': use utc or local"))?;
    if let Some(path) = state {
        app.resume = Some(resume::Resume::new(path, sources.clone()));
    }
    match (saved, pivot) {
        (Some(s), _) => app.restore(s),
        // Straight onto the pivot: every source, all they hold (the budget question first).
        (None, Some(target)) => app.pivot_on(target, None),
        // On call starts at the alert: the newest findings, when GuardDuty sources are open.
        (None, None) => app.open_at_alerts(),
    }
    // ratatui's init installs a panic hook that restores the terminal before the message prints.
    let mut terminal = ratatui::try_init().context("cannot open the terminal")?;
    // A panic the Parquet guard catches is a problem with one object: the hook must not restore
    // the terminal under the running screen, nor print over it.
    crate::parquet_guard::quiet_caught_panics();
    let (ktx, krx) = mpsc::unbounded_channel();
    // Reading the terminal blocks, so it has a thread of its own that only forwards events.
    std::thread::spawn(move || {
        while let Ok(event) = event::read() {
            if ktx
                .send(Input {
                    at: Instant::now(),
                    event,
                })
                .is_err()
            {
                break;
            }
        }
    });
    let mut latency = Latency::default();
    let result = event_loop(&mut terminal, &mut app, krx, rx, &mut latency).await;
    ratatui::restore();
    // Decoders stop at their next record, so the runtime shuts down promptly.
    app.loader.cancel();
    if let Some(path) = std::env::var_os("TRAWL_LATENCY_LOG") {
        let mut out = String::new();
        for s in &latency.samples {
            out.push_str(&format!("{}\n", s.as_micros()));
        }
        std::fs::write(&path, out)
            .with_context(|| format!("writing {}", path.to_string_lossy()))?;
    }
    result
}

/// The loop: wait for a key, a message or a tick; drain what else is pending; draw if due.
pub async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut keys: UnboundedReceiver<Input>,
    mut msgs: UnboundedReceiver<Msg>,
    latency: &mut Latency,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut last_draw = Instant::now() - FRAME;
    let mut waiting: Vec<Instant> = Vec::new();
    loop {
        if app.dirty && last_draw.elapsed() >= FRAME {
            let t = Instant::now();
            let size = terminal
                .size()
                .map_err(|e| anyhow::anyhow!("reading the screen's size: {e}"))?;
            view::prepare(
                app,
                ratatui::layout::Rect::new(0, 0, size.width, size.height),
            );
            terminal
                .draw(|f| view::draw(f, app))
                .map_err(|e| anyhow::anyhow!("drawing the screen: {e}"))?;
            app.dirty = false;
            // Clipboard copies (OSC 52) go to the terminal itself, after the frame.
            if !app.out.is_empty() {
                let mut stdout = std::io::stdout().lock();
                for seq in app.out.drain(..) {
                    let _ = stdout.write_all(seq.as_bytes());
                }
                let _ = stdout.flush();
            }
            last_draw = Instant::now();
            latency.drawing += last_draw - t;
            latency.frames += 1;
            latency
                .samples
                .extend(waiting.drain(..).map(|at| last_draw - at));
        }
        if app.quit {
            app.persist();
            return Ok(());
        }
        let wait = if app.dirty {
            FRAME.saturating_sub(last_draw.elapsed())
        } else if app.busy() || app.behind() {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        tokio::select! {
            biased;
            Some(input) = keys.recv() => on_input(app, input, &mut waiting),
            Some(msg) = msgs.recv() => {
                let t = Instant::now();
                app.on_msg(msg);
                latency.handling += t.elapsed();
            }
            _ = tokio::time::sleep(wait) => app.on_tick(),
        }
        while let Ok(input) = keys.try_recv() {
            on_input(app, input, &mut waiting);
        }
        let start = Instant::now();
        while start.elapsed() < MSG_BUDGET {
            match msgs.try_recv() {
                Ok(msg) => app.on_msg(msg),
                Err(_) => break,
            }
        }
        latency.handling += start.elapsed();
        if app.dirty {
            app.persist();
        }
    }
}

fn on_input(app: &mut App, input: Input, waiting: &mut Vec<Instant>) {
    match input.event {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            app.on_key(k);
            waiting.push(input.at);
        }
        Event::Resize(..) => app.dirty = true,
        _ => {}
    }
}

/// The screen without a terminal: tests and examples press keys, wait for the background, and
/// read what a person would see.
pub struct Session {
    pub app: App,
    pub rx: UnboundedReceiver<Msg>,
}

impl Session {
    /// Opens sources with the built-in dark theme and default keys (call inside a runtime).
    pub fn open(sources: Vec<Source>) -> Session {
        Session::with(sources, Keymap::default(), Theme::dark())
    }

    pub fn with(sources: Vec<Source>, keymap: Keymap, theme: Theme) -> Session {
        Session::reading(sources, keymap, theme, 8)
    }

    /// As `with`, reading `concurrency` objects at once (the command line's `--concurrency`).
    pub fn reading(
        sources: Vec<Source>,
        keymap: Keymap,
        theme: Theme,
        concurrency: usize,
    ) -> Session {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut loader = Loader::new(sources.clone(), tx, concurrency, Default::default());
        // The built-in rules, as the screen runs them.
        let (rules, _) = crate::detect::RuleSet::load(&Default::default());
        loader.set_rules(std::sync::Arc::new(rules));
        Session {
            app: App::new(sources, loader, keymap, theme),
            rx,
        }
    }

    /// Presses keys written as in the keymap table (`j`, `G`, `ctrl-d`, `enter`, `esc`).
    pub fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            let key = Key::parse(k).unwrap_or_else(|| panic!("not a key: {k}"));
            let mut mods = KeyModifiers::NONE;
            if key.ctrl {
                mods |= KeyModifiers::CONTROL;
            }
            if key.alt {
                mods |= KeyModifiers::ALT;
            }
            self.app.on_key(KeyEvent::new(key.code, mods));
        }
    }

    /// Types text into whatever reads text (filter, find, palette).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.app
                .on_key(KeyEvent::new(event::KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    /// Handles the background answers that arrive within `wait`, then a tick: one turn of the UI
    /// loop without a terminal.
    pub async fn step(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        while let Ok(Some(m)) = tokio::time::timeout_at(until.into(), self.rx.recv()).await {
            self.app.on_msg(m);
        }
        self.app.on_tick();
    }

    /// Handles background answers until `done` holds of the state.
    pub async fn until(&mut self, done: impl Fn(&App) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done(&self.app) {
            assert!(
                Instant::now() < deadline,
                "the screen did not get there in 30 s"
            );
            if let Ok(Some(m)) =
                tokio::time::timeout(Duration::from_millis(50), self.rx.recv()).await
            {
                self.app.on_msg(m);
            }
            self.app.on_tick();
        }
    }

    /// Handles background answers until no work the screen waits for is left.
    pub async fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            while let Ok(m) = self.rx.try_recv() {
                self.app.on_msg(m);
            }
            if !self.app.busy() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "background work did not finish in 30 s"
            );
            if let Ok(Some(m)) =
                tokio::time::timeout(Duration::from_millis(50), self.rx.recv()).await
            {
                self.app.on_msg(m);
            }
            self.app.on_tick();
        }
    }

    /// The screen as text, one line per row, trailing spaces cut.
    pub fn render(&mut self, width: u16, height: u16) -> String {
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test backend");
        view::prepare(
            &mut self.app,
            ratatui::layout::Rect::new(0, 0, width, height),
        );
        terminal.draw(|f| view::draw(f, &self.app)).expect("draw");
        buffer_text(terminal.backend().buffer())
    }
}

/// A rendered buffer as lines of text.
pub fn buffer_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Writes a message for a person straight to stderr (tests use it: the harness captures eprintln).
pub fn note(msg: &str) {
    let _ = std::io::stderr().write_all(format!("{msg}\n").as_bytes());
}
