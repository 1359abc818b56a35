//! The command line (a contract that scripts and tests rely on): `ls`, `records`, `pivot`, `demo`.
//! Exit 0 on success, 1 on a failure with a one-line reason on stderr, 2 on bad usage.
//! A SOURCE argument `@NAME` stands for the sources of workspace NAME in the config file.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::config::Config;
use crate::decode::{Limits, Problem};
use crate::entity;
use crate::escape::for_terminal;
use crate::load::{self, LoadOptions};
use crate::output::{self, Format, RecordWriter};
use crate::pivot;
use crate::record::{self, Record, RecordKind};
use crate::scan;
use crate::scope::{self, Scope};
use crate::source::{self, AwsOptions, Source};
use crate::walk;

pub mod athena;
pub mod bench;
pub mod hunt;
pub mod records;
pub mod verify;
pub mod whois;

#[derive(Debug, Parser)]
#[command(
    name = "trawl",
    version,
    about = "A terminal investigator for AWS security logs: GuardDuty, CloudTrail and Security Lake (OCSF)",
    args_conflicts_with_subcommands = true,
    after_help = "Examples:\n  trawl demo --no-tui\n  trawl @prod   (the sources of workspace prod in the config file)\n  trawl ls s3://org-trail-bucket\n  trawl records --since 2024-05-02 --until 2024-05-02 --kind cloudtrail ./lake\n  trawl pivot ./lake 203.0.113.66"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Sources to open in the investigator: s3://bucket[/prefix], a folder, one object, or
    /// @NAME (a workspace of the config file).
    pub sources: Vec<String>,
    /// Open the last session again: its sources (unless others are given), the partition it
    /// read, filter, order, pivot history and bookmarks.
    #[arg(long)]
    pub resume: bool,
    /// Open the screen straight on a pivot: every record of the sources that names ENTITY (an
    /// IP pasted from an alert, a key, an ARN, ...).
    #[arg(long, value_name = "ENTITY")]
    pub pivot: Option<String>,
    /// CloudTrail public keys (what `aws cloudtrail list-public-keys` prints) to prove local
    /// copies of trails with; S3 sources ask CloudTrail itself. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Global {
    /// AWS profile from the shared config files.
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region to start from (a bucket's own region is found by itself).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Custom S3/Athena endpoint (path-style addressing is used).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// Read public buckets without credentials.
    #[arg(long, global = true)]
    pub no_sign_request: bool,
    /// Where the demo lake and the object cache live (default: $XDG_CACHE_HOME/trawl).
    #[arg(long, global = true)]
    pub cache_dir: Option<PathBuf>,
    /// Colour theme of the screen: dark, light, high-contrast, 16 (the 16 ANSI colours), a theme
    /// file's name, or a path.
    #[arg(long, global = true)]
    pub theme: Option<String>,
    /// Objects read at once from S3 (a local folder is read one object per core); folders are
    /// listed up to four times as many at once (at most 64). Memory bounds both further.
    #[arg(long, global = true, default_value_t = 32)]
    pub concurrency: usize,
    /// Download every S3 object again instead of using the local cache.
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Size the object cache is kept under.
    #[arg(long, global = true, default_value_t = 2 << 30)]
    pub cache_max_bytes: u64,
    /// Show objects done, bytes, records, rate and time left on stderr while loading.
    #[arg(long, global = true)]
    pub progress: bool,
    /// Refuse an object that expands past this many bytes (gzip bombs).
    #[arg(long, global = true, default_value_t = Limits::default().max_object_bytes)]
    pub max_object_bytes: u64,
    /// Read S3 objects encrypted with this customer-provided key (SSE-C): a file of 32 raw bytes or their base64.
    #[arg(long, global = true, value_name = "PATH")]
    pub sse_c_key_file: Option<PathBuf>,
    /// Also read client-side encrypted objects of the legacy formats (v1 AES-CBC, kms wrap),
    /// which nothing authenticates: whoever can write the bucket can forge their content.
    #[arg(long, global = true)]
    pub allow_legacy_cse: bool,
    /// Skip a line or record longer than this many bytes.
    #[arg(long, global = true, default_value_t = Limits::default().max_record_bytes)]
    pub max_record_bytes: usize,
    /// Retries of a failed S3 request (throttling, 5xx, a dropped connection), with exponential backoff.
    #[arg(long, global = true, value_name = "N", default_value_t = source::DEFAULT_RETRIES)]
    pub retries: u32,
    /// Seconds to wait for a connection, for a response, or for a stalled body to move again.
    #[arg(long, global = true, value_name = "SECS", default_value_t = source::DEFAULT_TIMEOUT_SECS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// The zone times are shown in on the screen: utc (the default) or local.
    #[arg(long, global = true, value_parser = ["utc", "local"])]
    pub tz: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct Filters {
    /// Start of the window: RFC 3339, a day (2024-05-02) or a span back from now (90m, 24h, 7d).
    #[arg(long)]
    pub since: Option<String>,
    /// End of the window (a day means its end).
    #[arg(long)]
    pub until: Option<String>,
    /// Only this account (repeatable).
    #[arg(long)]
    pub account: Vec<String>,
    /// Only this AWS region of the logs (repeatable).
    #[arg(long)]
    pub log_region: Vec<String>,
    /// Only this kind (repeatable).
    #[arg(long, value_enum)]
    pub kind: Vec<KindArg>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write the built-in demo lake, then open it.
    Demo {
        /// Where to write it (default: the cache directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Print where it is and how to query it instead of opening the screen.
        #[arg(long)]
        no_tui: bool,
    },
    /// The partition tree: kind, account, region, day, objects and bytes.
    Ls {
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        filters: Filters,
        /// s3://bucket[/prefix], a folder, one object, or @NAME (a workspace of the config file).
        #[arg(required = true)]
        sources: Vec<String>,
    },
    /// Every record in scope, on one timeline.
    Records {
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        filters: Filters,
        /// Only the records that match QUERY (the screen's query language: `error:AccessDenied
        /// ip:203.0.113.66`, `event:GetObject OR event:PutObject`, `-kind:ocsf`, words, /regex/).
        #[arg(long = "where", value_name = "QUERY", allow_hyphen_values = true)]
        where_: Option<String>,
        /// Print the top values of FIELD instead of the records: value, count, first and last
        /// seen (ip, principal, event, error, account, region, resource, bucket, a JSON path, ...).
        #[arg(long, value_name = "FIELD")]
        count: Option<String>,
        /// s3://bucket[/prefix], a folder, one object, or @NAME (a workspace of the config file).
        #[arg(required = true)]
        sources: Vec<String>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to stdout: `trawl man | man -l -`.
    Man,
    /// Measure trawl against zcat and zcat | jq on a generated day of CloudTrail.
    Bench {
        /// A small day (4 objects): checks that the benchmark works, not how fast.
        #[arg(long)]
        quick: bool,
        /// Where the generated day is kept (default: the cache directory).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Runs of each measurement; the best is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Also print the figures as one JSON line.
        #[arg(long)]
        json: bool,
        /// An organization's day of N million events instead (accounts x 3 regions x 288
        /// objects): load time against zcat and zcat | jq, peak memory, bytes per record,
        /// the pivot, and the screen's first frame and key-to-frame latency while it loads.
        #[arg(long, value_name = "N", conflicts_with = "quick")]
        scale: Option<f64>,
        /// One measurement of --scale, in a process of its own (load or screen).
        #[arg(long, hide = true, requires = "scale")]
        child: Option<String>,
    },
    /// Every record that shares ENTITY (an IP, access key, ARN, principal id, account, user).
    Pivot {
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        filters: Filters,
        /// Only the records that match QUERY (as for `trawl records --where`).
        #[arg(long = "where", value_name = "QUERY", allow_hyphen_values = true)]
        where_: Option<String>,
        /// SOURCE... (or @NAME workspaces) then ENTITY (kind by shape, or prefixed: ip:, key:,
        /// principal:, account:, user:).
        #[arg(required = true, num_args = 2.., value_name = "SOURCE... ENTITY")]
        args: Vec<String>,
    },
    /// The chain from a key, session or principal back to the person or machine at its start,
    /// each link citing the event that shows it.
    Whois {
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        filters: Filters,
        /// SOURCE... (or @NAME workspaces) then ENTITY: an access key, a session, user, role or
        /// federated user ARN, a principal id, a user or session name (user:, session:), an EC2
        /// instance id.
        #[arg(required = true, num_args = 2.., value_name = "SOURCE... ENTITY")]
        args: Vec<String>,
    },
    /// Every CloudTrail event a detection rule flags (built-in Sigma rules and your own), then
    /// one line per rule: count, first and last seen, principals and IPs.
    Hunt(hunt::HuntArgs),
    /// CloudTrail log file integrity: every CloudTrail object checked against the signed digests.
    Verify {
        #[arg(long, value_enum)]
        format: Option<Format>,
        #[command(flatten)]
        filters: Filters,
        /// The public keys, as `aws cloudtrail list-public-keys` prints them (repeatable: keys
        /// are regional), for copies checked offline; else CloudTrail ListPublicKeys is asked.
        #[arg(long, value_name = "FILE")]
        public_keys: Vec<PathBuf>,
        /// s3://bucket[/prefix], a folder, one object, or @NAME (a workspace of the config file).
        #[arg(required = true)]
        sources: Vec<String>,
    },
    /// Athena: table DDL, a query, the pivot as SQL.
    Athena {
        #[command(subcommand)]
        command: athena::AthenaCommand,
    },
}

impl Global {
    pub fn aws(&self) -> AwsOptions {
        AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            no_sign_request: self.no_sign_request,
            sse_c_key_file: self.sse_c_key_file.clone(),
            allow_legacy_cse: self.allow_legacy_cse,
            max_object_bytes: Some(self.max_object_bytes),
            cache_dir: (!self.no_cache).then(|| self.cache_dir().join("objects")),
            cache_max_bytes: self.cache_max_bytes,
            retries: self.retries,
            timeout: std::time::Duration::from_secs(self.timeout.max(1)),
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            max_object_bytes: self.max_object_bytes,
            max_record_bytes: self.max_record_bytes,
        }
    }

    /// What the screen opens with: these flags as the screen's own options.
    pub fn screen(&self, sources: Vec<String>, resume: bool) -> crate::tui::Options {
        crate::tui::Options {
            sources,
            resume,
            aws: self.aws(),
            theme: self.theme.clone(),
            concurrency: self.concurrency,
            limits: self.limits(),
            pivot: None,
            tz: self.tz.clone(),
            public_keys: Vec::new(),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        if let Some(d) = &self.cache_dir {
            return d.clone();
        }
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .map(|base| base.join("trawl"));
        // Without a home, a name of the user's own in the shared temporary folder; a cache folder
        // another user made there first (or a link to one) is refused when the cache opens.
        base.unwrap_or_else(|| {
            #[cfg(unix)]
            // SAFETY: geteuid has no preconditions and cannot fail.
            let user = unsafe { libc::geteuid() };
            #[cfg(not(unix))]
            let user = 0;
            std::env::temp_dir().join(format!("trawl-{user}"))
        })
    }
}

/// A record kind as the command line names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Guardduty,
    Cloudtrail,
    Ocsf,
}

impl From<KindArg> for RecordKind {
    fn from(k: KindArg) -> RecordKind {
        match k {
            KindArg::Guardduty => RecordKind::GuardDuty,
            KindArg::Cloudtrail => RecordKind::CloudTrail,
            KindArg::Ocsf => RecordKind::Ocsf,
        }
    }
}

impl Filters {
    pub fn scope(&self) -> anyhow::Result<Scope> {
        let now = chrono::Utc::now();
        let time = |s: &Option<String>, end| {
            s.as_deref()
                .map(|t| scope::parse_time(t, now, end))
                .transpose()
                .map_err(anyhow::Error::msg)
        };
        Ok(Scope {
            since: time(&self.since, false)?,
            until: time(&self.until, true)?,
            accounts: self.account.clone(),
            regions: self.log_region.clone(),
            kinds: self.kind.iter().map(|&k| k.into()).collect(),
        })
    }
}

pub(crate) fn format_or_default(f: Option<Format>) -> Format {
    f.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    })
}

/// Bad usage found after the arguments were parsed (exit status 2, like clap's own).
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// SOURCE arguments with each `@NAME` replaced by the sources of workspace NAME. The config file
/// is read only when a workspace is named: a broken file is then an error naming it, an unknown
/// workspace a usage error listing the known ones.
pub fn expand_workspaces(sources: Vec<String>) -> anyhow::Result<Vec<String>> {
    if !sources.iter().any(|s| s.starts_with('@')) {
        return Ok(sources);
    }
    let config = Config::load().map_err(|e| anyhow::anyhow!("config: {e}"))?;
    config
        .expand_sources(&sources)
        .map_err(|e| UsageError(e).into())
}

/// A warning on stderr, escaped: keys and messages can carry attacker-chosen bytes.
pub fn warn(msg: &str) {
    eprintln!("trawl: warning: {}", for_terminal(msg));
}

/// Everything in scope, read, deduplicated and on one timeline; warnings already printed.
pub struct Loaded {
    pub records: Vec<Record>,
    /// The sources, opened: what an empty window is explained from.
    pub sources: Vec<Source>,
    pub failed_objects: usize,
    pub failed_listings: usize,
    pub objects: usize,
}

pub async fn load_sources(
    global: &Global,
    specs: &[String],
    scope: &Scope,
) -> anyhow::Result<Loaded> {
    load_sources_narrowed(global, specs, scope, None).await
}

/// [`load_sources`] keeping only what `narrow` wants (a pivot's records), the rest never held.
pub async fn load_sources_narrowed(
    global: &Global,
    specs: &[String],
    scope: &Scope,
    narrow: Option<(load::Keep, Option<load::RawFilter>)>,
) -> anyhow::Result<Loaded> {
    let (sources, plan) = plan_sources(global, specs, scope).await?;
    let opts = LoadOptions {
        concurrency: global.concurrency,
        limits: global.limits(),
        scope: scope.clone(),
        keep: narrow.as_ref().map(|n| n.0.clone()),
        prefilter: narrow.and_then(|n| n.1),
        // Every record is held until all are read (they are printed in time order).
        pack_texts: true,
        ..LoadOptions::default()
    };
    let mut gathered = Gathered::new(global, &sources, &plan);
    load::read_each(plan.objects, &opts, 0, |_, r| {
        gathered.object(r.uri, r.records, &r.problems, r.complete);
        ControlFlow::Continue(())
    })
    .await;
    Ok(gathered.finish(sources, plan.failures.len()))
}

/// Every record that names `target` in scope, read by the pivot scan the screen runs too; with
/// the credential-issuing events read on the way (for a key's identity chain), apart.
pub async fn scan_sources(
    global: &Global,
    specs: &[String],
    scope: &Scope,
    target: &entity::Entity,
) -> anyhow::Result<(Loaded, Vec<Record>)> {
    let (sources, plan) = plan_sources(global, specs, scope).await?;
    let run = scan::Scan {
        target: target.clone(),
        scope: scope.clone(),
        concurrency: global.concurrency,
        limits: global.limits(),
        reserved: 0,
        cancel: Default::default(),
        rules: None,
    };
    let mut gathered = Gathered::new(global, &sources, &plan);
    let mut issuers = Vec::new();
    scan::run(&run, plan.objects, |found, _| {
        issuers.extend(found.issuers);
        gathered.object(found.uri, found.matches, &found.problems, found.complete);
        ControlFlow::Continue(())
    })
    .await;
    Ok((gathered.finish(sources, plan.failures.len()), issuers))
}

/// Opens the sources and lists what the scope holds, warning of what could not be listed.
async fn plan_sources(
    global: &Global,
    specs: &[String],
    scope: &Scope,
) -> anyhow::Result<(Vec<Source>, scan::Plan)> {
    let sources: Vec<Source> = source::open_all(specs, &global.aws()).await?;
    let plan = scan::plan_with(
        &sources,
        scope,
        None,
        walk::list_concurrency(global.concurrency),
    )
    .await;
    for f in &plan.failures {
        warn(&f.to_string());
    }
    plan.skipped.iter().for_each(|s| warn(s));
    for (i, prefix) in &plan.iceberg_tables {
        warn(&format!(
            "{}: a Security Lake source version 2 (Iceberg) table: read it through Athena",
            sources[*i].store.uri(prefix)
        ));
    }
    Ok((sources, plan))
}

/// The records of a load as objects finish, every problem warned of, and the progress line
/// (`--progress`) kept up to date.
struct Gathered {
    records: Vec<Record>,
    failed_objects: usize,
    progress: Option<load::Progress>,
    started: std::time::Instant,
    last: std::time::Instant,
    terminal: bool,
    objects: usize,
    /// The stores read, and the requests they had sent before the load (for the progress line).
    stores: Vec<Arc<dyn source::Store>>,
    sent_before: u64,
}

impl Gathered {
    fn new(global: &Global, sources: &[Source], plan: &scan::Plan) -> Gathered {
        let stores = source::distinct_stores(sources.iter().map(|s| &s.store));
        let sent_before = source::requests_of(&stores);
        let progress = global.progress.then(|| load::Progress {
            total: plan.objects.len(),
            total_bytes: plan.bytes,
            ..load::Progress::default()
        });
        Gathered {
            records: Vec::new(),
            failed_objects: 0,
            progress,
            started: std::time::Instant::now(),
            last: std::time::Instant::now(),
            terminal: std::io::stderr().is_terminal(),
            objects: plan.objects.len(),
            stores,
            sent_before,
        }
    }

    fn object(&mut self, uri: Arc<str>, recs: Vec<Record>, problems: &[Problem], complete: bool) {
        for p in problems {
            warn(&format!("{uri}: {p}"));
        }
        if !complete {
            self.failed_objects += 1;
            if !recs.is_empty() {
                warn(&format!(
                    "{uri}: incomplete: only the {} records before the failure were read",
                    recs.len()
                ));
            }
        }
        if let Some(p) = &mut self.progress {
            p.done += 1;
            p.records += recs.len();
            p.failed += usize::from(!complete);
            p.requests = source::requests_of(&self.stores) - self.sent_before;
            p.elapsed = self.started.elapsed();
            p.bytes = (p.total_bytes as f64 * p.done as f64 / p.total.max(1) as f64) as u64;
            let finished = p.done == p.total;
            if finished || self.last.elapsed() >= std::time::Duration::from_millis(250) {
                self.last = std::time::Instant::now();
                // On a terminal one line is redrawn; in a log each report is its own line.
                if self.terminal {
                    eprint!("\r\x1b[2K{}", p.line());
                } else {
                    eprintln!("{}", p.line());
                }
            }
        }
        self.records.extend(recs);
    }

    fn finish(mut self, sources: Vec<Source>, failed_listings: usize) -> Loaded {
        if self.progress.is_some() && self.terminal {
            eprintln!();
        }
        crate::dedup::dedup(&mut self.records);
        record::sort_timeline(&mut self.records);
        Loaded {
            records: self.records,
            sources,
            failed_objects: self.failed_objects,
            failed_listings,
            objects: self.objects,
        }
    }
}

pub(crate) fn print_records(records: &[Record], format: Option<Format>) -> anyhow::Result<()> {
    let stdout = std::io::stdout().lock();
    let mut w = RecordWriter::new(std::io::BufWriter::new(stdout), format_or_default(format))
        .cut_cells(std::io::stdout().is_terminal());
    for r in records {
        if let Err(e) = w.write(r) {
            // A closed pipe (`| head`) is the reader's choice, not a failure.
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(e.into());
        }
    }
    match w.finish() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

pub(crate) fn incomplete(loaded: &Loaded) -> anyhow::Result<()> {
    if loaded.failed_objects > 0 || loaded.failed_listings > 0 {
        bail!(
            "{} of {} objects and {} folder listings could not be read completely (see warnings)",
            loaded.failed_objects,
            loaded.objects,
            loaded.failed_listings
        );
    }
    Ok(())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let global = cli.global;
    match cli.command {
        Some(Command::Ls {
            format,
            filters,
            sources,
        }) => {
            let scope = filters.scope()?;
            let sources = expand_workspaces(sources)?;
            let opened = source::open_all(&sources, &global.aws()).await?;
            let walked =
                walk::walk(&opened, &scope, walk::list_concurrency(global.concurrency)).await;
            for f in &walked.failures {
                warn(&f.to_string());
            }
            walked.skipped.iter().for_each(|s| warn(s));
            let rows = walk::ls_rows(&opened, &walked);
            output::write_ls(std::io::stdout().lock(), &rows, format_or_default(format)).or_else(
                |e| {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        Ok(())
                    } else {
                        Err(e)
                    }
                },
            )?;
            if !walked.failures.is_empty() {
                bail!(
                    "{} folder listings failed (see warnings)",
                    walked.failures.len()
                );
            }
            Ok(())
        }
        Some(Command::Records {
            format,
            filters,
            where_,
            count,
            sources,
        }) => {
            let ask = records::Ask {
                format,
                filters,
                query: where_,
                count,
            };
            records::run(&global, ask, sources).await
        }
        Some(Command::Pivot {
            format,
            filters,
            where_,
            mut args,
        }) => {
            let query = records::parse_where(where_.as_deref())?;
            let raw = args.pop().expect("clap requires two or more");
            let Some(target) = entity::parse_target(&raw) else {
                bail!(
                    "'{}' is not an entity (an IP, access key, ARN, principal id, account or user)",
                    for_terminal(&raw)
                );
            };
            let sources = expand_workspaces(args)?;
            let (mut loaded, issuers) =
                scan_sources(&global, &sources, &filters.scope()?, &target).await?;
            if scan::gathers_chain(&target) {
                // The chain is read from the events that hand out keys, not only from those
                // that share the key.
                let mut events: Vec<Record> = loaded.records.clone();
                events.extend(issuers);
                let chain = pivot::identity_chain(&events, &target.value);
                if !chain.is_empty() {
                    eprintln!("identity chain:");
                    for link in &chain {
                        eprintln!("  {}", for_terminal(&link.describe()));
                    }
                }
            }
            loaded
                .records
                .retain(|r| query.as_ref().is_none_or(|q| q.matches(r)));
            print_records(&loaded.records, format)?;
            incomplete(&loaded)
        }
        Some(Command::Whois {
            format,
            filters,
            args,
        }) => whois::run(&global, format, filters, args).await,
        Some(Command::Athena { command }) => athena::run(&global, command).await,
        Some(Command::Hunt(args)) => hunt::run(&global, args).await,
        Some(Command::Verify {
            format,
            filters,
            public_keys,
            sources,
        }) => verify::run(&global, format, &filters, &public_keys, sources).await,
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Rendered first: the generator panics when its writer fails (`| head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "trawl", &mut script);
            std::io::stdout().write_all(&script)?;
            Ok(())
        }
        Some(Command::Man) => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            std::io::stdout().write_all(&page)?;
            Ok(())
        }
        Some(Command::Bench {
            scale: Some(millions),
            dir,
            json,
            child,
            ..
        }) => {
            let dir =
                dir.unwrap_or_else(|| global.cache_dir().join(format!("bench-scale-{millions}")));
            if let Some(which) = child {
                return bench::scale::child(&which, &dir.join("lake")).await;
            }
            let report = bench::scale::run(&dir, millions).await?;
            print!("{}", report.table());
            if json {
                println!("{}", serde_json::to_string(&report)?);
            }
            Ok(())
        }
        Some(Command::Bench {
            quick,
            dir,
            runs,
            json,
            ..
        }) => {
            let size = if quick { bench::QUICK } else { bench::FULL };
            let dir = dir.unwrap_or_else(|| {
                global
                    .cache_dir()
                    .join(if quick { "bench-quick" } else { "bench" })
            });
            let report = bench::run(&dir, size, runs, global.concurrency).await?;
            print!("{}", report.table());
            if json {
                println!("{}", serde_json::to_string(&report)?);
            }
            Ok(())
        }
        Some(Command::Demo { dir, no_tui }) => {
            let dir = dir.unwrap_or_else(|| global.cache_dir().join("demo"));
            let lake = tokio::task::spawn_blocking(move || crate::demo::write_demo_lake(&dir))
                .await?
                .context("writing the demo lake")?;
            let sources: Vec<String> = lake
                .sources
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            // The demo key's public half, apart from the lake: keys never come with the logs.
            let keys = global.cache_dir().join(crate::demo::PUBLIC_KEYS);
            std::fs::create_dir_all(global.cache_dir())
                .and_then(|()| std::fs::write(&keys, crate::demo::public_keys_json()))
                .with_context(|| format!("writing {}", keys.display()))?;
            if no_tui || !std::io::stdout().is_terminal() {
                print_demo_help(&lake, &sources, &keys)?;
                return Ok(());
            }
            let mut options = global.screen(sources, false);
            options.public_keys = vec![keys];
            crate::tui::run(options).await
        }
        None => {
            let sources = expand_workspaces(cli.sources)?;
            let mut options = global.screen(sources, cli.resume);
            options.pivot = cli.pivot;
            options.public_keys = cli.public_keys;
            crate::tui::run(options).await
        }
    }
}

fn print_demo_help(
    lake: &crate::demo::DemoLake,
    sources: &[String],
    keys: &std::path::Path,
) -> anyhow::Result<()> {
    use crate::demo::story;
    let mut out = std::io::stdout().lock();
    let all = sources.join(" ");
    writeln!(
        out,
        "Demo lake written to {} ({} objects, {} bytes).\n\n\
         The story: on {day} the address {ip} probes an instance in account {acct}, then uses the\n\
         instance role's temporary key {key} from outside AWS and creates a backdoor user.\n\n\
         Try:\n  trawl {all}\n  trawl ls {all}\n  trawl records --since {day} --until {day} --kind guardduty {all}\n  trawl pivot {all} {ip}\n  trawl pivot {all} {key}\n  trawl verify --public-keys {keys} {trail}",
        lake.root.display(),
        lake.objects,
        lake.bytes,
        day = story::INTRUSION_DAY,
        ip = story::ATTACKER_IP,
        acct = story::PROD_ACCOUNT,
        key = story::STOLEN_KEY,
        keys = keys.display(),
        trail = sources[0],
    )?;
    Ok(())
}
