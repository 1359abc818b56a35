//! The pivot as Athena SQL: one query per kind of table, each pruned by partition predicates to
//! the days, accounts and regions of the window, each returning every matching record's
//! original JSON (`record`) and the object it came from (`object`).
//!
//! The SQL is a coarse filter over the paths where AWS writes IPs and principals; the exact
//! match is made again in Rust with the same entity model as a local pivot, so Athena rows and
//! local rows agree.

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};

use crate::entity::{self, Entity, EntityKind};
use crate::record::RecordKind;
use crate::scope::Scope;

/// Where the tables are: the database `trawl athena ddl` wrote to, its table base names, and
/// Security Lake's own Glue database when one is used.
#[derive(Debug, Clone)]
pub struct Tables {
    pub database: String,
    /// Base name; the pivot reads the companion `<name>_raw`.
    pub cloudtrail: String,
    pub guardduty: String,
    /// Region of the Security Lake tables, when OCSF records are asked for.
    pub lake_region: Option<String>,
    /// Source version in Security Lake table names: `2_0` (Iceberg, `time_dt`) or `1_0` (`eventday`).
    pub lake_version: String,
}

impl Default for Tables {
    fn default() -> Self {
        Tables {
            database: "trawl".into(),
            cloudtrail: "cloudtrail".into(),
            guardduty: "guardduty".into(),
            lake_region: None,
            lake_version: "2_0".into(),
        }
    }
}

/// One query of a pivot, with what it will read.
#[derive(Debug, Clone)]
pub struct PivotQuery {
    pub kind: RecordKind,
    /// `cloudtrail`, `guardduty`, `securitylake:vpc_flow`, ...
    pub label: String,
    /// The table, qualified and quoted as in the SQL.
    pub table: String,
    /// The partition days read, as the table writes them (`2024/05/02` or `20240502`).
    pub days: Vec<String>,
    /// Accounts and regions named by the filters (empty: every projected one).
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub notes: Vec<String>,
    pub sql: String,
}

impl PivotQuery {
    /// The dry-run text: what is read, as SQL comments, then the statement.
    pub fn script(&self) -> String {
        let every = |v: &[String], what: &str| {
            if v.is_empty() {
                format!("every projected {what}")
            } else {
                v.join(", ")
            }
        };
        let mut s = format!("-- {}: {}\n", self.label, self.table);
        s.push_str(&format!("-- partitions: day {}\n", self.days.join(", ")));
        s.push_str(&format!(
            "-- accounts: {}; regions: {}\n",
            every(&self.accounts, "account"),
            every(&self.regions, "region")
        ));
        for n in &self.notes {
            s.push_str(&format!("-- note: {n}\n"));
        }
        s.push_str(&self.sql);
        s.push_str(";\n");
        s
    }
}

/// A SQL string literal. Values come from logs and from users: quotes are doubled, and control
/// characters (which no AWS identifier holds) are refused rather than smuggled into the SQL.
pub fn lit(s: &str) -> anyhow::Result<String> {
    if s.chars().any(char::is_control) {
        anyhow::bail!("refusing a value with control characters in SQL");
    }
    Ok(format!("'{}'", s.replace('\'', "''")))
}

/// A LIKE pattern literal: `prefix` and `suffix` are patterns, `value` is matched literally, with
/// `!` as the escape character (a backslash means different things to Hive and Trino tokenizers).
fn like_lit(prefix: &str, value: &str, suffix: &str) -> anyhow::Result<String> {
    lit(&format!("{prefix}{}{suffix}", escape_like(value)))
}

fn like(expr: &str, prefix: &str, value: &str, suffix: &str) -> anyhow::Result<String> {
    Ok(format!(
        "{expr} LIKE {} ESCAPE '!'",
        like_lit(prefix, value, suffix)?
    ))
}

/// `json_extract_scalar(col, '$.a.b')`.
fn js(col: &str, path: &str) -> String {
    format!("json_extract_scalar({col}, '$.{path}')")
}

/// Every element of a JSON array at `path` (NULL, never an error, when it is not an array).
fn json_array(col: &str, path: &str) -> String {
    format!("try(CAST(json_extract({col}, '$.{path}') AS ARRAY(JSON)))")
}

fn eq_any(exprs: &[String], value: &str) -> anyhow::Result<Vec<String>> {
    let v = lit(value)?;
    Ok(exprs.iter().map(|e| format!("{e} = {v}")).collect())
}

/// An IAM role or user ARN split into (partition, account, kind, name), for matching its sessions
/// and its other paths: entity's parser, so Athena meets what the local pivot meets.
fn iam_parts(arn: &str) -> Option<(&str, &str, &str, &str)> {
    [("role", "role/"), ("user", "user/")]
        .into_iter()
        .find_map(|(kind, prefix)| {
            let (partition, account, name) = entity::iam_name(arn, prefix)?;
            Some((partition, account, kind, name))
        })
}

/// The days a window covers, and the extra day after it when folders are named by delivery day.
pub fn window_days(
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    delivery_slack: bool,
) -> Vec<NaiveDate> {
    let first = since.date_naive();
    let mut last = until.date_naive();
    if delivery_slack {
        last += Duration::days(1);
    }
    let mut out = Vec::new();
    let mut d = first;
    while d <= last {
        out.push(d);
        d += Duration::days(1);
    }
    out
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn in_list(col: &str, values: &[String]) -> anyhow::Result<Option<String>> {
    if values.is_empty() {
        return Ok(None);
    }
    let v: Vec<String> = values.iter().map(|s| lit(s)).collect::<Result<_, _>>()?;
    Ok(Some(format!("{col} IN ({})", v.join(", "))))
}

fn or(conds: Vec<String>) -> String {
    format!("({})", conds.join("\n       OR "))
}

/// The window a pivot needs: both ends, since Athena bills for every day it reads.
pub fn window(scope: &Scope) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let since = scope.since.ok_or_else(|| {
        anyhow::anyhow!("an Athena pivot needs --since (it decides what is scanned and paid for)")
    })?;
    let until = scope.until.unwrap_or_else(Utc::now);
    if until < since {
        anyhow::bail!("--until is before --since");
    }
    if (until - since).num_days() > 366 * 2 {
        anyhow::bail!("the window is longer than two years: narrow --since/--until");
    }
    Ok((since, until))
}

/// Every query of a pivot on `target` within `scope`.
pub fn plan(target: &Entity, scope: &Scope, tables: &Tables) -> anyhow::Result<Vec<PivotQuery>> {
    let (since, until) = window(scope)?;
    let kinds: Vec<RecordKind> = if scope.kinds.is_empty() {
        let mut k = vec![RecordKind::GuardDuty, RecordKind::CloudTrail];
        if tables.lake_region.is_some() {
            k.push(RecordKind::Ocsf);
        }
        k
    } else {
        RecordKind::ALL
            .into_iter()
            .filter(|k| scope.kinds.contains(k))
            .collect()
    };
    let mut out = Vec::new();
    for kind in kinds {
        match kind {
            RecordKind::CloudTrail => out.push(cloudtrail(target, scope, tables, since, until)?),
            RecordKind::GuardDuty => out.push(guardduty(target, scope, tables, since, until)?),
            RecordKind::Ocsf => out.extend(security_lake(target, scope, tables, since, until)?),
        }
    }
    Ok(out)
}

fn quoted(database: &str, table: &str) -> String {
    format!(
        "\"{}\".\"{}\"",
        database.replace('"', "\"\""),
        table.replace('"', "\"\"")
    )
}

/// Partition predicates of the tables `trawl athena ddl` writes (account, region, day).
fn projected_partitions(
    scope: &Scope,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let days: Vec<String> = window_days(since, until, true)
        .iter()
        .map(|d| d.format("%Y/%m/%d").to_string())
        .collect();
    let mut preds = vec![format!(
        "day BETWEEN {} AND {}",
        lit(&days[0])?,
        lit(days.last().expect("one day at least"))?
    )];
    preds.extend(in_list("account", &scope.accounts)?);
    preds.extend(in_list("region", &scope.regions)?);
    Ok((days, preds))
}

/// A record's ISO 8601 time (a JSON expression) within the window; records whose time does not
/// parse are left out rather than failing the whole query.
fn time_between(expr: &str, since: DateTime<Utc>, until: DateTime<Utc>) -> anyhow::Result<String> {
    Ok(format!(
        "try(from_iso8601_timestamp({expr})) BETWEEN from_iso8601_timestamp({}) AND from_iso8601_timestamp({})",
        lit(&ts(since))?,
        lit(&ts(until))?
    ))
}

const SLACK_NOTE: &str = "the last day is read too: files are named by the day they were delivered, which can follow the event";

fn cloudtrail(
    target: &Entity,
    scope: &Scope,
    tables: &Tables,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<PivotQuery> {
    let table = quoted(&tables.database, &format!("{}_raw", tables.cloudtrail));
    let (days, mut preds) = projected_partitions(scope, since, until)?;
    let r = "rec";
    preds.push(time_between(&js(r, "eventTime"), since, until)?);
    preds.push(or(cloudtrail_match(target)?));
    let sql = format!(
        "SELECT json_format(rec) AS record, \"$path\" AS object\nFROM {table}\nCROSS JOIN UNNEST({}) AS t(rec)\nWHERE {}",
        json_array("line", "Records"),
        preds.join("\n  AND ")
    );
    Ok(PivotQuery {
        kind: RecordKind::CloudTrail,
        label: "cloudtrail".into(),
        table,
        days,
        accounts: scope.accounts.clone(),
        regions: scope.regions.clone(),
        notes: vec![SLACK_NOTE.into()],
        sql,
    })
}

fn cloudtrail_match(target: &Entity) -> anyhow::Result<Vec<String>> {
    let r = "rec";
    let v = target.value.as_ref();
    Ok(match target.kind {
        EntityKind::Ip => vec![format!(
            // sourceIPAddress may be a comma-separated list.
            "contains(transform(split(coalesce({}, ''), ','), x -> lower(trim(x))), {})",
            js(r, "sourceIPAddress"),
            lit(&v.to_ascii_lowercase())?
        )],
        EntityKind::Key => eq_any(
            &[
                js(r, "userIdentity.accessKeyId"),
                js(r, "responseElements.credentials.accessKeyId"),
                js(r, "responseElements.accessKey.accessKeyId"),
            ],
            v,
        )?,
        EntityKind::Principal => {
            let arns = [
                js(r, "userIdentity.arn"),
                js(r, "userIdentity.sessionContext.sessionIssuer.arn"),
                js(r, "responseElements.assumedRoleUser.arn"),
                js(r, "requestParameters.roleArn"),
            ];
            let mut c = eq_any(&arns, v)?;
            c.push(format!(
                "any_match({}, x -> {} = {})",
                json_array(r, "resources"),
                js("x", "ARN"),
                lit(v)?
            ));
            if let Some((p, a, kind, name)) = iam_parts(v) {
                // The same role or user written with a path, and a role's sessions.
                let iam = escape_like(&format!("arn:{p}:iam::{a}:{kind}/"));
                c.push(like(&arns[0], &format!("{iam}%/"), name, "")?);
                c.push(like(&arns[1], &format!("{iam}%/"), name, "")?);
                if kind == "role" {
                    let sts = escape_like(&format!("arn:{p}:sts::{a}:assumed-role/"));
                    c.push(like(&arns[0], &sts, name, "/%")?);
                    c.push(like(&arns[2], &sts, name, "/%")?);
                }
            }
            c
        }
        EntityKind::PrincipalId => {
            let ids = [
                js(r, "userIdentity.principalId"),
                js(r, "userIdentity.sessionContext.sessionIssuer.principalId"),
                js(r, "responseElements.assumedRoleUser.assumedRoleId"),
            ];
            let mut c = eq_any(&ids, v)?;
            if v.starts_with("AROA") && !v.contains(':') {
                c.push(like(&ids[0], "", v, ":%")?);
                c.push(like(&ids[2], "", v, ":%")?);
            }
            c
        }
        EntityKind::Account => {
            let mut c = eq_any(
                &[
                    js(r, "userIdentity.accountId"),
                    js(r, "userIdentity.sessionContext.sessionIssuer.accountId"),
                    js(r, "recipientAccountId"),
                ],
                v,
            )?;
            c.push(format!("account = {}", lit(v)?));
            c
        }
        EntityKind::User => eq_any(
            &[
                js(r, "userIdentity.userName"),
                js(r, "userIdentity.sessionContext.sessionIssuer.userName"),
                js(r, "responseElements.accessKey.userName"),
            ],
            v,
        )?,
        EntityKind::Session => vec![
            like(&js(r, "userIdentity.arn"), "%/", v, "")?,
            like(&js(r, "userIdentity.principalId"), "%:", v, "")?,
        ],
        // Named in requests and responses of many shapes: the event's text holds them.
        EntityKind::Instance | EntityKind::Resource => {
            vec![format!("strpos(json_format({r}), {}) > 0", lit(v)?)]
        }
    })
}

fn escape_like(v: &str) -> String {
    v.chars()
        .flat_map(|c| match c {
            '!' | '%' | '_' => vec!['!', c],
            c => vec![c],
        })
        .collect()
}

fn guardduty(
    target: &Entity,
    scope: &Scope,
    tables: &Tables,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<PivotQuery> {
    let table = quoted(&tables.database, &format!("{}_raw", tables.guardduty));
    let (days, mut preds) = projected_partitions(scope, since, until)?;
    let l = "line";
    let seen = format!(
        "coalesce({}, {}, {})",
        js(l, "service.eventLastSeen"),
        js(l, "updatedAt"),
        js(l, "createdAt")
    );
    preds.push(time_between(&seen, since, until)?);
    preds.push(or(guardduty_match(target)?));
    let sql = format!(
        "SELECT line AS record, \"$path\" AS object\nFROM {table}\nWHERE {}",
        preds.join("\n  AND ")
    );
    Ok(PivotQuery {
        kind: RecordKind::GuardDuty,
        label: "guardduty".into(),
        table,
        days,
        accounts: scope.accounts.clone(),
        regions: scope.regions.clone(),
        notes: vec![SLACK_NOTE.into()],
        sql,
    })
}

fn guardduty_match(target: &Entity) -> anyhow::Result<Vec<String>> {
    let l = "line";
    let v = target.value.as_ref();
    let akd = "resource.accessKeyDetails";
    Ok(match target.kind {
        EntityKind::Ip => {
            let ip = lit(&v.to_ascii_lowercase())?;
            let mut c = Vec::new();
            for action in [
                "awsApiCallAction",
                "networkConnectionAction",
                "kubernetesApiCallAction",
                "rdsLoginAttemptAction",
            ] {
                for field in ["ipAddressV4", "ipAddressV6"] {
                    c.push(format!(
                        "lower({}) = {ip}",
                        js(
                            l,
                            &format!("service.action.{action}.remoteIpDetails.{field}")
                        )
                    ));
                }
            }
            for field in ["ipAddressV4", "ipAddressV6"] {
                c.push(format!(
                    "lower({}) = {ip}",
                    js(
                        l,
                        &format!("service.action.networkConnectionAction.localIpDetails.{field}")
                    )
                ));
            }
            c.push(format!(
                "any_match({}, p -> lower({}) = {ip} OR lower({}) = {ip} OR lower({}) = {ip})",
                json_array(l, "service.action.portProbeAction.portProbeDetails"),
                js("p", "remoteIpDetails.ipAddressV4"),
                js("p", "remoteIpDetails.ipAddressV6"),
                js("p", "localIpDetails.ipAddressV4"),
            ));
            c.push(format!(
                "any_match({}, s -> lower(json_extract_scalar(s, '$')) = {ip})",
                json_array(l, "service.action.kubernetesApiCallAction.sourceIPs")
            ));
            c.push(format!(
                "any_match({}, n -> {} = {ip} OR {} = {ip})",
                json_array(l, "resource.instanceDetails.networkInterfaces"),
                js("n", "publicIp"),
                js("n", "privateIpAddress"),
            ));
            c.push(format!(
                "any_match({}, k -> {} = {ip})",
                json_array(l, "service.additionalInfo.recentCredentials"),
                js("k", "ipAddressV4"),
            ));
            c
        }
        EntityKind::Key => {
            let mut c = eq_any(&[js(l, &format!("{akd}.accessKeyId"))], v)?;
            c.push(format!(
                "any_match({}, k -> {} = {})",
                json_array(l, "service.additionalInfo.recentCredentials"),
                js("k", "accessKeyId"),
                lit(v)?
            ));
            c
        }
        EntityKind::Principal => {
            let mut c = eq_any(
                &[js(l, "resource.instanceDetails.iamInstanceProfile.arn")],
                v,
            )?;
            if let Some((_, a, kind, name)) = iam_parts(v) {
                let types = if kind == "role" {
                    "('AssumedRole', 'Role')"
                } else {
                    "('IAMUser')"
                };
                c.push(format!(
                    "({} = {} AND {} IN {types} AND {} = {})",
                    js(l, &format!("{akd}.userName")),
                    lit(name)?,
                    js(l, &format!("{akd}.userType")),
                    js(l, "accountId"),
                    lit(a)?
                ));
            }
            c
        }
        EntityKind::PrincipalId => {
            let id = js(l, &format!("{akd}.principalId"));
            let mut c = eq_any(std::slice::from_ref(&id), v)?;
            if v.starts_with("AROA") && !v.contains(':') {
                c.push(like(&id, "", v, ":%")?);
            }
            c
        }
        EntityKind::Account => {
            let mut c = eq_any(
                &[
                    js(l, "accountId"),
                    js(
                        l,
                        "service.action.awsApiCallAction.remoteAccountDetails.accountId",
                    ),
                ],
                v,
            )?;
            c.push(format!("account = {}", lit(v)?));
            c
        }
        EntityKind::User => eq_any(
            &[
                js(l, &format!("{akd}.userName")),
                js(
                    l,
                    "resource.kubernetesDetails.kubernetesUserDetails.username",
                ),
            ],
            v,
        )?,
        EntityKind::Session => vec![like(&js(l, &format!("{akd}.principalId")), "%:", v, "")?],
        EntityKind::Instance => eq_any(&[js(l, "resource.instanceDetails.instanceId")], v)?,
        EntityKind::Resource => vec![format!("strpos({l}, {}) > 0", lit(v)?)],
    })
}

/// Security Lake sources worth asking for each kind of entity, with the OCSF columns that make
/// up a record of that source and the fields that hold the entity.
struct LakeSource {
    name: &'static str,
    columns: &'static [&'static str],
}

const COMMON: &[&str] = &[
    "metadata",
    "time",
    "class_uid",
    "class_name",
    "category_uid",
    "activity_id",
    "activity_name",
    "type_uid",
    "severity_id",
    "severity",
    "status",
    "cloud",
];

const CLOUD_TRAIL_MGMT: LakeSource = LakeSource {
    name: "cloud_trail_mgmt",
    columns: &["actor", "api", "src_endpoint", "resources", "http_request"],
};
const VPC_FLOW: LakeSource = LakeSource {
    name: "vpc_flow",
    columns: &[
        "src_endpoint",
        "dst_endpoint",
        "connection_info",
        "traffic",
        "action",
    ],
};
const ROUTE53: LakeSource = LakeSource {
    name: "route53",
    columns: &["src_endpoint", "query", "answers", "rcode"],
};

fn lake_match(source: &str, target: &Entity) -> anyhow::Result<Option<Vec<String>>> {
    let v = target.value.as_ref();
    let ct = source == "cloud_trail_mgmt";
    Ok(Some(match target.kind {
        EntityKind::Ip => {
            let mut c = eq_any(&["src_endpoint.ip".to_string()], v)?;
            if source == "vpc_flow" {
                c.extend(eq_any(&["dst_endpoint.ip".to_string()], v)?);
            }
            c
        }
        EntityKind::Account => eq_any(
            &["cloud.account.uid".to_string(), "accountid".to_string()],
            v,
        )?,
        EntityKind::Key if ct => eq_any(&["actor.user.credential_uid".to_string()], v)?,
        EntityKind::Principal if ct => {
            let mut c = eq_any(
                &[
                    "actor.user.uid".to_string(),
                    "actor.session.issuer".to_string(),
                ],
                v,
            )?;
            if let Some((p, a, "role", name)) = iam_parts(v) {
                let sts = escape_like(&format!("arn:{p}:sts::{a}:assumed-role/"));
                c.push(like("actor.user.uid", &sts, name, "/%")?);
            }
            c
        }
        EntityKind::PrincipalId if ct => {
            let mut c = eq_any(&["actor.user.uid_alt".to_string()], v)?;
            if v.starts_with("AROA") && !v.contains(':') {
                c.push(like("actor.user.uid_alt", "", v, ":%")?);
            }
            c
        }
        EntityKind::User if ct => eq_any(&["actor.user.name".to_string()], v)?,
        EntityKind::Session if ct => vec![like("actor.user.uid", "%/", v, "")?],
        _ => return Ok(None),
    }))
}

fn security_lake(
    target: &Entity,
    scope: &Scope,
    tables: &Tables,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<Vec<PivotQuery>> {
    let Some(region) = &tables.lake_region else {
        anyhow::bail!("OCSF records through Athena need the Security Lake region (--lake-region)");
    };
    let r = region.replace('-', "_");
    let version = &tables.lake_version;
    let database = format!("amazon_security_lake_glue_db_{r}");
    let iceberg = version.as_str() >= "2";
    let days: Vec<NaiveDate> = window_days(since, until, false);
    let mut out = Vec::new();
    for source in [CLOUD_TRAIL_MGMT, VPC_FLOW, ROUTE53] {
        let Some(matches) = lake_match(source.name, target)? else {
            continue;
        };
        let table = quoted(
            &database,
            &format!("amazon_security_lake_table_{r}_{}_{version}", source.name),
        );
        let fields: Vec<&str> = COMMON.iter().chain(source.columns).copied().collect();
        let keys: Vec<String> = fields.iter().map(|f| format!("'{f}'")).collect();
        let values: Vec<String> = fields
            .iter()
            .map(|f| format!("CAST({f} AS JSON)"))
            .collect();
        let mut preds = Vec::new();
        let day_values: Vec<String> = if iceberg {
            // Iceberg tables are partitioned on time_dt: a timestamp range prunes to the days.
            preds.push(format!(
                "time_dt BETWEEN from_iso8601_timestamp({}) AND from_iso8601_timestamp({})",
                lit(&ts(since))?,
                lit(&ts(until))?
            ));
            days.iter()
                .map(|d| d.format("%Y-%m-%d").to_string())
                .collect()
        } else {
            let v: Vec<String> = days
                .iter()
                .map(|d| d.format("%Y%m%d").to_string())
                .collect();
            preds.push(format!(
                "eventday BETWEEN {} AND {}",
                lit(&v[0])?,
                lit(v.last().expect("one day at least"))?
            ));
            v
        };
        preds.extend(in_list("accountid", &scope.accounts)?);
        preds.extend(in_list("region", &scope.regions)?);
        preds.push(or(matches));
        let sql = format!(
            "SELECT json_format(CAST(MAP(ARRAY[{}], ARRAY[{}]) AS JSON)) AS record, \"$path\" AS object\nFROM {table}\nWHERE {}",
            keys.join(", "),
            values.join(", "),
            preds.join("\n  AND ")
        );
        out.push(PivotQuery {
            kind: RecordKind::Ocsf,
            label: format!("securitylake:{}", source.name),
            table,
            days: day_values,
            accounts: scope.accounts.clone(),
            regions: scope.regions.clone(),
            notes: vec![],
            sql,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::parse_target;
    use crate::scope::parse_time;

    fn scope(since: &str, until: &str) -> Scope {
        let now = Utc::now();
        Scope {
            since: Some(parse_time(since, now, false).unwrap()),
            until: Some(parse_time(until, now, true).unwrap()),
            ..Scope::default()
        }
    }

    #[test]
    fn days_are_the_window_and_one_delivery_day() {
        let s = scope("2024-05-01", "2024-05-02");
        let q = plan(
            &parse_target("203.0.113.66").unwrap(),
            &s,
            &Tables::default(),
        )
        .unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].days, ["2024/05/01", "2024/05/02", "2024/05/03"]);
        assert!(q[0]
            .sql
            .contains("day BETWEEN '2024/05/01' AND '2024/05/03'"));
        assert!(q[0].sql.contains("'2024-05-02T23:59:59.999Z'"));
    }

    #[test]
    fn quotes_in_values_are_doubled_and_like_wildcards_escaped() {
        assert_eq!(lit("o'brien").unwrap(), "'o''brien'");
        assert!(lit("a\nb").is_err());
        let s = scope("2024-05-01", "2024-05-01");
        let q = plan(
            &parse_target("session:x_%'y").unwrap(),
            &s,
            &Tables::default(),
        )
        .unwrap();
        assert_eq!(q[1].label, "cloudtrail");
        assert!(q[1].sql.contains("LIKE '%/x!_!%''y' ESCAPE '!'"));
        assert!(q[0].sql.contains("LIKE '%:x!_!%''y' ESCAPE '!'"));
    }

    #[test]
    fn a_pivot_needs_a_start() {
        let t = parse_target("203.0.113.66").unwrap();
        assert!(plan(&t, &Scope::default(), &Tables::default()).is_err());
    }
}
