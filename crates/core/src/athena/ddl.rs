//! CREATE EXTERNAL TABLE statements for CloudTrail and GuardDuty exports, with partition
//! projection that follows the real layout under a bucket prefix (accounts and regions found by
//! listing one folder level at a time), and a one-string-column companion table over the same
//! objects, from which the pivot returns each record's original JSON.

use std::collections::BTreeSet;

use futures::stream::{self, StreamExt};

use crate::layout::Partition;
use crate::source::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    CloudTrail,
    GuardDuty,
}

impl TableKind {
    fn folder(self) -> &'static str {
        match self {
            TableKind::CloudTrail => "CloudTrail",
            TableKind::GuardDuty => "GuardDuty",
        }
    }
}

/// What listing the bucket told (or what is assumed when it cannot be listed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Key prefix up to `AWSLogs/` and the organization folder, ending in `/`.
    pub base: String,
    /// Older GuardDuty exports: `AWSLogs/GuardDuty/<acct>/<region>/...`.
    pub old_guardduty: bool,
    /// Empty when unknown: the account is then an injected projection.
    pub accounts: BTreeSet<String>,
    /// Empty when unknown: every public region is projected.
    pub regions: BTreeSet<String>,
    pub first_year: Option<u16>,
    /// Why discovery fell back, if it did.
    pub fallback: Option<String>,
}

/// Every region AWS has published, used when the bucket cannot be listed: projecting a region
/// with no folder costs nothing, missing one hides its logs.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// CloudTrail started in 2013: the projected range begins there when nothing better is known.
const EARLIEST_YEAR: u16 = 2013;

/// How many account/region folders are listed to find the earliest year.
const YEAR_SAMPLE: usize = 64;

fn last_segment(folder: &str) -> &str {
    folder
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
}

/// Finds `AWSLogs/[o-id/]`, the accounts and their regions under `prefix`, one level at a time.
pub async fn discover(store: &dyn Store, prefix: &str, kind: TableKind) -> Layout {
    match discover_listing(store, prefix, kind).await {
        Ok(l) => l,
        Err(why) => Layout {
            base: assumed_base(prefix),
            fallback: Some(why),
            ..Layout::default()
        },
    }
}

/// The layout assumed without listing anything.
pub fn discover_offline(prefix: &str) -> Layout {
    Layout {
        base: assumed_base(prefix),
        ..Layout::default()
    }
}

/// The base when nothing can be listed: the prefix up to and including `AWSLogs/` and an
/// organization folder, or `<prefix>AWSLogs/`.
fn assumed_base(prefix: &str) -> String {
    let segs: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    match segs.iter().position(|s| *s == "AWSLogs") {
        Some(i) => {
            let mut end = i + 1;
            if segs
                .get(end)
                .is_some_and(|s| Partition::of_prefix(&format!("AWSLogs/{s}/")).org.is_some())
            {
                end += 1;
            }
            format!("{}/", segs[..end].join("/"))
        }
        None if segs.is_empty() => "AWSLogs/".into(),
        None => format!("{}/AWSLogs/", segs.join("/")),
    }
}

async fn discover_listing(
    store: &dyn Store,
    prefix: &str,
    kind: TableKind,
) -> Result<Layout, String> {
    let mut layout = Layout {
        base: assumed_base(prefix),
        ..Layout::default()
    };
    let named_account = Partition::of_prefix(prefix).account;
    if !prefix.split('/').any(|s| s == "AWSLogs") {
        let top = store.list_level(prefix).await.map_err(|e| e.to_string())?;
        if !top.folders.iter().any(|f| last_segment(f) == "AWSLogs") {
            return Err(format!("no AWSLogs/ folder under {}", store.uri(prefix)));
        }
    }
    let level = store
        .list_level(&layout.base)
        .await
        .map_err(|e| e.to_string())?;
    let names: Vec<&str> = level.folders.iter().map(|f| last_segment(f)).collect();
    if kind == TableKind::GuardDuty && names.contains(&"GuardDuty") {
        layout.old_guardduty = true;
        layout.base.push_str("GuardDuty/");
    } else if kind == TableKind::CloudTrail && Partition::of_prefix(&layout.base).org.is_none() {
        let orgs: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| Partition::of_prefix(&format!("AWSLogs/{n}/")).org.is_some())
            .collect();
        match orgs.as_slice() {
            [] => {}
            [org] => layout.base.push_str(&format!("{org}/")),
            many => {
                return Err(format!(
                    "several organizations ({}): name one in SOURCE",
                    many.join(", ")
                ))
            }
        }
    }
    let level = store
        .list_level(&layout.base)
        .await
        .map_err(|e| e.to_string())?;
    let accounts: Vec<String> = level
        .folders
        .iter()
        .map(|f| last_segment(f).to_string())
        .filter(|n| {
            Partition::of_prefix(&format!("AWSLogs/{n}/"))
                .account
                .is_some()
        })
        .filter(|n| named_account.as_ref().is_none_or(|a| a == n))
        .collect();
    if accounts.is_empty() {
        return Err(format!(
            "no account folders under {}",
            store.uri(&layout.base)
        ));
    }
    let region_folder = |acct: &str| {
        if layout.old_guardduty {
            format!("{}{acct}/", layout.base)
        } else {
            format!("{}{acct}/{}/", layout.base, kind.folder())
        }
    };
    let listed: Vec<_> = stream::iter(accounts.iter())
        .map(|a| {
            let p = region_folder(a);
            async move { store.list_level(&p).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let mut region_folders = Vec::new();
    for l in listed {
        let l = l.map_err(|e| e.to_string())?;
        for f in &l.folders {
            let r = last_segment(f);
            if Partition::of_prefix(&format!("AWSLogs/111122223333/CloudTrail/{r}/"))
                .region
                .is_some()
            {
                layout.regions.insert(r.to_string());
                region_folders.push(f.clone());
            }
        }
    }
    // The earliest year starts the projected range. A large organization is sampled: a range
    // that starts too late hides only years no sampled folder holds.
    let years: Vec<_> = stream::iter(region_folders.iter().take(YEAR_SAMPLE))
        .map(|f| async move { store.list_level(f).await })
        .buffer_unordered(16)
        .collect()
        .await;
    layout.first_year = years
        .into_iter()
        .flatten()
        .flat_map(|l| l.folders)
        .filter_map(|y| last_segment(&y).parse::<u16>().ok())
        .filter(|y| (1990..=2999).contains(y))
        .min();
    layout.accounts = accounts.into_iter().collect();
    Ok(layout)
}

/// Both statements for `kind`: the typed table `<table>` and its companion `<table>_raw`.
pub struct Ddl {
    pub typed: String,
    pub raw: String,
}

fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn prop(k: &str, v: &str) -> String {
    format!(
        "  '{}'='{}'",
        k.replace('\'', "\\'"),
        v.replace('\'', "\\'")
    )
}

/// The table properties that project account, region and day over the layout.
fn projection(layout: &Layout, bucket: &str, kind: TableKind) -> Vec<String> {
    let mut p = vec![prop("projection.enabled", "true")];
    if layout.accounts.is_empty() {
        // Queries must then name their accounts (trawl athena pivot --account).
        p.push(prop("projection.account.type", "injected"));
    } else {
        p.push(prop("projection.account.type", "enum"));
        let v: Vec<&str> = layout.accounts.iter().map(String::as_str).collect();
        p.push(prop("projection.account.values", &v.join(",")));
    }
    p.push(prop("projection.region.type", "enum"));
    let regions: Vec<&str> = if layout.regions.is_empty() {
        KNOWN_REGIONS.to_vec()
    } else {
        layout.regions.iter().map(String::as_str).collect()
    };
    p.push(prop("projection.region.values", &regions.join(",")));
    let year = layout.first_year.unwrap_or(EARLIEST_YEAR);
    p.push(prop("projection.day.type", "date"));
    p.push(prop("projection.day.format", "yyyy/MM/dd"));
    p.push(prop(
        "projection.day.range",
        &format!("{year:04}/01/01,NOW"),
    ));
    p.push(prop("projection.day.interval", "1"));
    p.push(prop("projection.day.interval.unit", "DAYS"));
    let template = if layout.old_guardduty {
        format!(
            "s3://{bucket}/{}${{account}}/${{region}}/${{day}}",
            layout.base
        )
    } else {
        format!(
            "s3://{bucket}/{}${{account}}/{}/${{region}}/${{day}}",
            layout.base,
            kind.folder()
        )
    };
    p.push(prop("storage.location.template", &template));
    p
}

const CLOUDTRAIL_COLUMNS: &str = "  `eventversion` string,
  `useridentity` struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>,sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,sourceidentity:string,ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>,
  `eventtime` string,
  `eventsource` string,
  `eventname` string,
  `awsregion` string,
  `sourceipaddress` string,
  `useragent` string,
  `errorcode` string,
  `errormessage` string,
  `requestparameters` string,
  `responseelements` string,
  `additionaleventdata` string,
  `requestid` string,
  `eventid` string,
  `readonly` string,
  `resources` array<struct<arn:string,accountid:string,type:string>>,
  `eventtype` string,
  `apiversion` string,
  `recipientaccountid` string,
  `serviceeventdetails` string,
  `sharedeventid` string,
  `vpcendpointid` string,
  `vpcendpointaccountid` string,
  `eventcategory` string,
  `addendum` struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>,
  `sessioncredentialfromconsole` string,
  `edgedevicedetails` string,
  `tlsdetails` struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>";

// `region` is a partition column, so the finding's own (identical) region field is left out.
const GUARDDUTY_COLUMNS: &str = "  `schemaversion` string,
  `accountid` string,
  `partition` string,
  `id` string,
  `arn` string,
  `type` string,
  `resource` string,
  `service` string,
  `severity` double,
  `createdat` string,
  `updatedat` string,
  `title` string,
  `description` string";

const PARTITIONS: &str = "PARTITIONED BY (`account` string, `region` string, `day` string)";

/// The DDL of both tables for the layout found under `s3://bucket/...`.
pub fn ddl(kind: TableKind, bucket: &str, layout: &Layout, database: &str, table: &str) -> Ddl {
    let location = format!("s3://{bucket}/{}", layout.base);
    let props = projection(layout, bucket, kind).join(",\n");
    let name = format!("{}.{}", ident(database), ident(table));
    let raw_name = format!("{}.{}", ident(database), ident(&format!("{table}_raw")));
    let (columns, format, what) = match kind {
        TableKind::CloudTrail => (
            CLOUDTRAIL_COLUMNS,
            "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\nSTORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\nOUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'",
            "CloudTrail events",
        ),
        TableKind::GuardDuty => (
            GUARDDUTY_COLUMNS,
            "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\nWITH SERDEPROPERTIES ('ignore.malformed.json'='true')",
            "GuardDuty findings",
        ),
    };
    let typed = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n{columns}\n)\nCOMMENT '{what}, one row each (written by trawl athena ddl)'\n{PARTITIONS}\n{format}\nLOCATION '{location}'\nTBLPROPERTIES (\n{props}\n)"
    );
    let line_is = match kind {
        TableKind::CloudTrail => "one log file per line: the pivot unnests its Records",
        TableKind::GuardDuty => "one finding per line",
    };
    // One string column per line: text files split on \n, and the \001 field separator never
    // occurs in JSON, so the whole line is the column: the record exactly as AWS wrote it.
    let raw = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {raw_name} (\n  `line` string\n)\nCOMMENT '{what} as written, {line_is} (written by trawl athena ddl)'\n{PARTITIONS}\nROW FORMAT DELIMITED\nSTORED AS TEXTFILE\nLOCATION '{location}'\nTBLPROPERTIES (\n{props}\n)"
    );
    Ddl { typed, raw }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_is_found_in_the_prefix_or_assumed_under_it() {
        assert_eq!(assumed_base(""), "AWSLogs/");
        assert_eq!(assumed_base("trails/"), "trails/AWSLogs/");
        assert_eq!(
            assumed_base("trails/AWSLogs/o-a1b2c3d4e5/111122223333/"),
            "trails/AWSLogs/o-a1b2c3d4e5/"
        );
        assert_eq!(assumed_base("AWSLogs/111122223333/"), "AWSLogs/");
    }

    #[test]
    fn unknown_accounts_are_injected_and_regions_all_known() {
        let l = Layout {
            base: "AWSLogs/".into(),
            ..Layout::default()
        };
        let d = ddl(TableKind::GuardDuty, "b", &l, "trawl", "guardduty");
        assert!(d.typed.contains("'projection.account.type'='injected'"));
        assert!(d.raw.contains("'projection.region.values'='af-south-1,"));
        assert!(d.raw.contains(
            "'storage.location.template'='s3://b/AWSLogs/${account}/GuardDuty/${region}/${day}'"
        ));
    }
}
