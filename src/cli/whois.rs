//! `trawl whois SOURCE... ENTITY`: the chain from a key, session or principal back to the person
//! or machine at its start, link by link, each citing the event that shows it.

use std::io::Write;

use anyhow::bail;

use super::{format_or_default, incomplete, load_sources_narrowed, Filters, Global, UsageError};
use crate::entity::{self, EntityKind};
use crate::escape::{for_terminal, json_line};
use crate::identity::{self, Chain, Link};
use crate::output::{csv_field, Format};
use crate::pivot::PivotIndex;

pub async fn run(
    global: &Global,
    format: Option<Format>,
    filters: Filters,
    mut args: Vec<String>,
) -> anyhow::Result<()> {
    let raw = args.pop().expect("clap requires two or more");
    let Some(target) = entity::parse_target(&raw) else {
        bail!(
            "'{}' is not an entity (an access key, ARN, principal id, user, session or instance)",
            for_terminal(&raw)
        );
    };
    if matches!(
        target.kind,
        EntityKind::Ip | EntityKind::Account | EntityKind::Resource
    ) {
        return Err(UsageError(format!(
            "whois follows keys, sessions, principals, principal ids, users and instances, not {} '{}' (try trawl pivot)",
            target.kind.as_str(),
            for_terminal(&target.value)
        ))
        .into());
    }
    let sources = super::expand_workspaces(args)?;
    let gather = identity::Gather::new(target.clone());
    let loaded = load_sources_narrowed(
        global,
        &sources,
        &filters.scope()?,
        Some((gather.keep(), None)),
    )
    .await?;
    let records = gather.records(loaded.records);
    let index = PivotIndex::build(&records);
    let naming = identity::naming_in(&records, &index);
    let chains = identity::whois(&naming, &target);

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format_or_default(format) {
        Format::Jsonl => write_jsonl(&mut out, &chains),
        Format::Table => write_table(&mut out, &chains),
        Format::Csv => write_csv(&mut out, &chains),
    }
    .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    if chains.len() >= identity::MAX_CHAINS {
        super::warn(&format!(
            "only the first {} sessions are shown: narrow the window or ask for one session",
            identity::MAX_CHAINS
        ));
    }
    incomplete(&super::Loaded {
        records: Vec::new(),
        ..loaded
    })
}

/// One line per link: `{"chain":1,"step":1,"target":{...},"kind":...,"id":...,...}`.
fn write_jsonl(out: &mut impl Write, chains: &[Chain]) -> std::io::Result<()> {
    for (c, chain) in chains.iter().enumerate() {
        for (s, link) in chain.links.iter().enumerate() {
            let mut line = serde_json::Map::new();
            line.insert("chain".into(), (c + 1).into());
            line.insert("step".into(), (s + 1).into());
            line.insert(
                "target".into(),
                serde_json::to_value(&chain.target).unwrap_or_default(),
            );
            if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(link) {
                line.extend(fields);
            }
            writeln!(out, "{}", json_line(&serde_json::Value::Object(line)))?;
        }
    }
    Ok(())
}

/// A block per chain: each link's identity, how it came by its key, and where that is written.
fn write_table(out: &mut impl Write, chains: &[Chain]) -> std::io::Result<()> {
    for (c, chain) in chains.iter().enumerate() {
        if c > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "{} {}",
            chain.target.kind.as_str(),
            for_terminal(&chain.target.value)
        )?;
        for (s, link) in chain.links.iter().enumerate() {
            write_link(out, s + 1, link)?;
        }
        writeln!(out, "  who: {}", for_terminal(&chain.summary()))?;
    }
    Ok(())
}

fn write_link(out: &mut impl Write, step: usize, link: &Link) -> std::io::Result<()> {
    writeln!(out, "{step:>3}  {}", for_terminal(&link.who()))?;
    writeln!(out, "     {}", for_terminal(&link.how()))?;
    if let Some(p) = &link.proof {
        writeln!(out, "     {}", for_terminal(&p.describe()))?;
    }
    for f in &link.findings {
        writeln!(out, "     finding {}", for_terminal(&f.describe()))?;
    }
    Ok(())
}

fn write_csv(out: &mut impl Write, chains: &[Chain]) -> std::io::Result<()> {
    writeln!(
        out,
        "chain,step,kind,id,key,how,by,from,notes,time,event,object,position"
    )?;
    for (c, chain) in chains.iter().enumerate() {
        for (s, link) in chain.links.iter().enumerate() {
            let o = |x: &Option<String>| x.clone().unwrap_or_default();
            let p = link.proof.as_ref();
            let how = serde_json::to_value(link.how)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let fields = [
                (c + 1).to_string(),
                (s + 1).to_string(),
                serde_json::to_value(link.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                link.id.clone(),
                o(&link.key),
                how,
                o(&link.by),
                o(&link.from),
                link.notes.join("; "),
                p.and_then(|p| p.time.clone()).unwrap_or_default(),
                p.map(|p| p.event.clone()).unwrap_or_default(),
                p.map(|p| p.object.clone()).unwrap_or_default(),
                p.map(|p| p.position.to_string()).unwrap_or_default(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            writeln!(out, "{}", line.join(","))?;
        }
    }
    Ok(())
}
