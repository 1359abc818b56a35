//! `trawl athena ddl|query|pivot`: the command-line front of the Athena core. Progress, state,
//! elapsed time, bytes scanned and cost go to stderr; records and rows go to stdout.

use std::io::{IsTerminal, Write};

use anyhow::bail;
use clap::{Args, Subcommand};

use crate::athena::client::{self, Backoff, Progress, QueryError, QueryRequest};
use crate::athena::cost;
use crate::athena::ddl::{self, TableKind};
use crate::athena::pivot;
use crate::athena::results;
use crate::athena::run::{self, Event};
use crate::cli::{warn, Filters, Global};
use crate::config::AthenaConfig;
use crate::entity;
use crate::escape::{for_terminal, json_line};
use crate::output::{Format, RecordWriter};
use crate::record::Record;
use crate::source::{parse_s3_url, ReadOptions, S3Store};

/// The kinds Athena tables are made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableArg {
    Cloudtrail,
    Guardduty,
}

#[derive(Debug, Subcommand)]
pub enum AthenaCommand {
    /// CREATE EXTERNAL TABLE statements (a typed table and its `_raw` companion) with partition
    /// projection over the layout found under SOURCE.
    Ddl {
        #[arg(long, value_enum)]
        kind: TableArg,
        /// s3://bucket[/prefix] holding AWSLogs/.
        source: String,
        /// Database the tables go in.
        #[arg(long, default_value = "trawl")]
        database: String,
        /// Table name (default: the kind); the companion is NAME_raw.
        #[arg(long)]
        table: Option<String>,
    },
    /// Run one SQL statement and print its rows (as records when it returns a `record` column).
    Query {
        #[command(flatten)]
        athena: AthenaArgs,
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Run a statement that writes or changes something (CREATE TABLE AS, UNLOAD, INSERT,
        /// DROP, ALTER, MSCK, ...); without it only statements that read are run.
        #[arg(long)]
        allow_writes: bool,
        sql: String,
    },
    /// Every record that shares ENTITY, found by Athena within --since/--until.
    Pivot {
        #[command(flatten)]
        athena: AthenaArgs,
        #[command(flatten)]
        filters: Filters,
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Print the SQL and the partitions it would read; run nothing (no credentials needed).
        #[arg(long)]
        dry_run: bool,
        /// An IP, access key, ARN, principal id, account or user (prefix with ip:, key:, ... to force).
        entity: String,
    },
}

/// Where queries run and what they read; each falls back to the `[athena]` config section.
#[derive(Debug, Args, Clone, Default)]
pub struct AthenaArgs {
    /// Glue database of trawl's tables (default: trawl).
    #[arg(long)]
    pub database: Option<String>,
    #[arg(long)]
    pub catalog: Option<String>,
    /// Athena workgroup (default: the account's primary).
    #[arg(long)]
    pub workgroup: Option<String>,
    /// s3://bucket/prefix/ for results, when the workgroup sets none.
    #[arg(long)]
    pub output_location: Option<String>,
    /// Base name of the CloudTrail tables (the pivot reads NAME_raw).
    #[arg(long)]
    pub cloudtrail_table: Option<String>,
    /// Base name of the GuardDuty tables (the pivot reads NAME_raw).
    #[arg(long)]
    pub guardduty_table: Option<String>,
    /// Region of the Security Lake Glue tables (OCSF records).
    #[arg(long)]
    pub lake_region: Option<String>,
    /// Security Lake source version in table names (2_0 or 1_0).
    #[arg(long)]
    pub lake_version: Option<String>,
}

impl AthenaArgs {
    /// The config file's `[athena]` with these flags over it.
    pub fn over(&self, conf: AthenaConfig) -> AthenaConfig {
        let flag = |f: &Option<String>, c: Option<String>| f.clone().or(c);
        AthenaConfig {
            database: flag(&self.database, conf.database),
            catalog: flag(&self.catalog, conf.catalog),
            workgroup: flag(&self.workgroup, conf.workgroup),
            output_location: flag(&self.output_location, conf.output_location),
            cloudtrail_table: flag(&self.cloudtrail_table, conf.cloudtrail_table),
            guardduty_table: flag(&self.guardduty_table, conf.guardduty_table),
            security_lake_region: flag(&self.lake_region, conf.security_lake_region),
            security_lake_version: flag(&self.lake_version, conf.security_lake_version),
            byte_budget: conf.byte_budget,
        }
    }
}

fn format_or_default(f: Option<Format>) -> Format {
    f.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    })
}

pub async fn run(global: &Global, command: AthenaCommand) -> anyhow::Result<()> {
    match command {
        AthenaCommand::Ddl {
            kind,
            source,
            database,
            table,
        } => {
            let kind = match kind {
                TableArg::Cloudtrail => TableKind::CloudTrail,
                TableArg::Guardduty => TableKind::GuardDuty,
            };
            let table = table.unwrap_or_else(|| match kind {
                TableKind::CloudTrail => "cloudtrail".into(),
                TableKind::GuardDuty => "guardduty".into(),
            });
            ddl_command(global, kind, &source, &database, &table).await
        }
        AthenaCommand::Query {
            athena,
            format,
            allow_writes,
            sql,
        } => {
            if let Some(verb) = crate::athena::read_only::writes(&sql).filter(|_| !allow_writes) {
                bail!(
                    "not run: a {} statement can write or change things, and trawl is read-only; pass --allow-writes to run it",
                    for_terminal(&verb)
                );
            }
            let conf = athena.over(AthenaConfig::load()?);
            let client = connect(global).await?;
            let req = conf.request(sql);
            let result = run_reporting(&client, &req).await?;
            print_rows(&result, format)
        }
        AthenaCommand::Pivot {
            athena,
            filters,
            format,
            dry_run,
            entity,
        } => {
            let conf = athena.over(AthenaConfig::load()?);
            let Some(target) = entity::parse_target(&entity) else {
                bail!(
                    "'{}' is not an entity (an IP, access key, ARN, principal id, account or user)",
                    for_terminal(&entity)
                );
            };
            let scope = filters.scope()?;
            let queries = pivot::plan(&target, &scope, &conf.tables())?;
            if dry_run {
                let mut out = std::io::stdout().lock();
                for q in &queries {
                    writeln!(out, "{}", q.script())?;
                }
                return Ok(());
            }
            let client = connect(global).await?;
            let cancel = tokio_util::sync::CancellationToken::new();
            let on_ctrl_c = cancel.clone();
            let watcher = tokio::spawn(async move {
                ctrl_c().await;
                on_ctrl_c.cancel();
            });
            let base = conf.request(String::new());
            let mut on = |e: Event<'_>| match e {
                Event::Started(q) => eprintln!(
                    "athena: {} ({} days from {})",
                    q.label,
                    q.days.len(),
                    q.days[0]
                ),
                Event::Progress(p) => report(p),
                Event::Finished(r) => report_done(r),
            };
            let ran =
                run::run_pivot(&client, &queries, &base, &target, &scope, &cancel, &mut on).await;
            watcher.abort();
            let ran = ran?;
            for s in &ran.skipped {
                warn(s);
            }
            if queries.len() > 1 {
                eprintln!(
                    "athena: {} records; all queries scanned {} ({} bytes), cost ≈ ${:.6}",
                    ran.records.len(),
                    crate::text::human_bytes(ran.scanned_bytes),
                    ran.scanned_bytes,
                    ran.usd
                );
            }
            let records = ran.records;
            write_records(&records, format)
        }
    }
}

async fn connect(global: &Global) -> anyhow::Result<aws_sdk_athena::Client> {
    let conf = global.aws().load().await;
    if conf.region().is_none() {
        bail!("no AWS region for Athena: pass --region or set AWS_REGION");
    }
    Ok(aws_sdk_athena::Client::new(&conf))
}

/// Ctrl-C, or never when signals cannot be watched.
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn report(p: &Progress) {
    eprintln!(
        "athena: query {} {} after {:.1}s, {}",
        for_terminal(&p.id),
        p.state,
        p.elapsed.as_secs_f64(),
        cost::describe(p.scanned_bytes)
    );
}

fn report_done(r: &client::QueryResult) {
    eprintln!(
        "athena: query {} SUCCEEDED in {:.1}s, {}; {} rows in {} pages",
        for_terminal(&r.id),
        r.elapsed.as_secs_f64(),
        cost::describe(r.scanned_bytes),
        r.rows.len(),
        r.pages
    );
}

async fn run_reporting(
    client: &aws_sdk_athena::Client,
    req: &QueryRequest,
) -> anyhow::Result<client::QueryResult> {
    let mut progress = |p: &Progress| report(p);
    match client::run_query(client, req, &Backoff::default(), ctrl_c(), &mut progress).await {
        Ok(r) => {
            report_done(&r);
            Ok(r)
        }
        Err(e @ QueryError::Cancelled { .. }) => Err(e.into()),
        Err(e) => Err(e.into()),
    }
}

fn write_records(records: &[Record], format: Option<Format>) -> anyhow::Result<()> {
    let mut w = RecordWriter::new(
        std::io::BufWriter::new(std::io::stdout().lock()),
        format_or_default(format),
    )
    .cut_cells(std::io::IsTerminal::is_terminal(&std::io::stdout()));
    for r in records {
        match w.write(r) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other?,
        }
    }
    match w.finish() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn print_rows(result: &client::QueryResult, format: Option<Format>) -> anyhow::Result<()> {
    if let Some(converted) = results::records_from_rows(&result.id, &result.columns, &result.rows) {
        for s in &converted.skipped {
            warn(&format!("query {}: {s}", result.id));
        }
        return write_records(&converted.records, format);
    }
    // Any other result: one JSON object per row, keyed by column name.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for row in &result.rows {
        let obj: serde_json::Map<String, serde_json::Value> = result
            .columns
            .iter()
            .cloned()
            .zip(row.iter().map(|c| {
                c.clone()
                    .map_or(serde_json::Value::Null, serde_json::Value::String)
            }))
            .collect();
        match writeln!(out, "{}", json_line(&serde_json::Value::Object(obj))) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

async fn ddl_command(
    global: &Global,
    kind: TableKind,
    source: &str,
    database: &str,
    table: &str,
) -> anyhow::Result<()> {
    let Some((bucket, key)) = parse_s3_url(source) else {
        bail!("SOURCE must be s3://bucket[/prefix]: Athena reads S3 only");
    };
    let prefix = if key.is_empty() || key.ends_with('/') {
        key
    } else {
        format!("{key}/")
    };
    let aws = global.aws();
    let conf = aws.load().await;
    // Only listings are needed here, which no object-read option changes.
    let layout = match S3Store::connect(&conf, &aws, &ReadOptions::default(), &bucket).await {
        Ok(store) => ddl::discover(&store, &prefix, kind).await,
        Err(e) => ddl::Layout {
            fallback: Some(e.to_string()),
            ..ddl::discover_offline(&prefix)
        },
    };
    if let Some(why) = &layout.fallback {
        warn(&format!(
            "could not list the layout ({why}): accounts are an injected projection (queries must name them) and every public region is projected"
        ));
    }
    let d = ddl::ddl(kind, &bucket, &layout, database, table);
    let mut out = std::io::stdout().lock();
    writeln!(out, "{};\n\n{};", d.typed, d.raw)?;
    Ok(())
}
