//! The demo's Security Lake bucket: OCSF records in Parquet, laid out as Security Lake source
//! version 1 writes them. API Activity is mapped from the demo's own CloudTrail events (as Security
//! Lake does), and VPC flow Network Activity carries the probe and the request that leaked the key.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Arc;

use serde_json::{json, Value};

use super::story::{
    ATTACKER_IP, CI_IP, INSTANCE_ID, INSTANCE_PRIVATE_IP, OFFICE_IP, PROD_ACCOUNT, SCANNER_IPS,
    SECURITY_LAKE_BUCKET,
};

/// (source, account, region, eventDay) → its OCSF records.
type Partitions = BTreeMap<(&'static str, String, String, String), Vec<Value>>;

fn ms(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|t| t.timestamp_millis())
}

fn event_day(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y%m%d").to_string())
        .unwrap_or_default()
}

fn is_ip(s: &str) -> bool {
    s.parse::<std::net::IpAddr>().is_ok()
}

/// OCSF API Activity's activity from the verb of a CloudTrail event name.
fn activity(event: &str) -> (i64, &'static str) {
    const VERBS: [(&[&str], i64, &str); 4] = [
        (
            &["Create", "Run", "Put", "Attach", "Add", "Assume", "Issue"],
            1,
            "Create",
        ),
        (
            &[
                "Get",
                "List",
                "Describe",
                "Lookup",
                "Head",
                "Decrypt",
                "ConsoleLogin",
            ],
            2,
            "Read",
        ),
        (
            &["Update", "Modify", "Set", "Enable", "Disable", "Change"],
            3,
            "Update",
        ),
        (&["Delete", "Detach", "Remove", "Terminate"], 4, "Delete"),
    ];
    VERBS
        .iter()
        .find(|(verbs, ..)| verbs.iter().any(|v| event.starts_with(v)))
        .map_or((99, "Other"), |(_, id, name)| (*id, *name))
}

/// One CloudTrail event as an OCSF 1.1 API Activity record (class 6003).
fn api_activity(ev: &Value) -> Option<Value> {
    let s = |path: &[&str]| -> Value {
        path.iter()
            .try_fold(ev, |v, k| v.get(*k))
            .filter(|v| v.is_string())
            .cloned()
            .unwrap_or(Value::Null)
    };
    let time = ms(ev.get("eventTime")?.as_str()?)?;
    let name = ev.get("eventName")?.as_str()?;
    let (activity_id, activity_name) = activity(name);
    let source_ip = ev
        .get("sourceIPAddress")
        .and_then(Value::as_str)
        .unwrap_or("");
    let failed = ev.get("errorCode").is_some();
    Some(json!({
        "metadata": {"product": {"name": "CloudTrail", "vendor_name": "AWS"}, "version": "1.1.0",
                     "uid": s(&["eventID"]), "profiles": ["cloud", "datetime"]},
        "time": time,
        "class_uid": 6003, "class_name": "API Activity",
        "category_uid": 6, "category_name": "Application Activity",
        "activity_id": activity_id, "activity_name": activity_name,
        "type_uid": 600300 + activity_id,
        "severity_id": 1, "severity": "Informational",
        "status": if failed { "Failure" } else { "Success" },
        "status_id": if failed { 2 } else { 1 },
        "api": {"operation": name, "service": {"name": s(&["eventSource"])},
                "request": {"uid": s(&["requestID"])},
                "response": {"error": s(&["errorCode"]), "message": s(&["errorMessage"])}},
        "actor": {
            "user": {"type": s(&["userIdentity", "type"]), "uid": s(&["userIdentity", "arn"]),
                     "uid_alt": s(&["userIdentity", "principalId"]),
                     "name": s(&["userIdentity", "userName"]),
                     "credential_uid": s(&["userIdentity", "accessKeyId"]),
                     "account": {"uid": s(&["userIdentity", "accountId"])}},
            "session": {"issuer": s(&["userIdentity", "sessionContext", "sessionIssuer", "arn"])},
            "invoked_by": s(&["userIdentity", "invokedBy"])
        },
        "src_endpoint": {
            "ip": if is_ip(source_ip) { Value::from(source_ip) } else { Value::Null },
            "domain": if is_ip(source_ip) || source_ip.is_empty() { Value::Null } else { Value::from(source_ip) }
        },
        "http_request": {"user_agent": s(&["userAgent"])},
        "cloud": {"provider": "AWS", "region": s(&["awsRegion"]),
                  "account": {"uid": s(&["recipientAccountId"])}}
    }))
}

/// One VPC flow record as OCSF 1.1 Network Activity (class 4001).
#[allow(clippy::too_many_arguments)]
fn flow(
    t: i64,
    src: &str,
    sport: i64,
    dst: &str,
    dport: i64,
    allowed: bool,
    bytes: i64,
    inbound: bool,
) -> Value {
    json!({
        "metadata": {"product": {"name": "Amazon VPC", "vendor_name": "AWS"}, "version": "1.1.0",
                     "uid": Value::Null, "profiles": ["cloud", "datetime"]},
        "time": t * 1000,
        "start_time": t * 1000, "end_time": (t + 60) * 1000,
        "class_uid": 4001, "class_name": "Network Activity",
        "category_uid": 4, "category_name": "Network Activity",
        "activity_id": 6, "activity_name": "Traffic", "type_uid": 400106,
        "severity_id": 1, "severity": "Informational",
        "action": if allowed { "Allowed" } else { "Denied" },
        "action_id": if allowed { 1 } else { 2 },
        "disposition": if allowed { "Allowed" } else { "Blocked" },
        "disposition_id": if allowed { 1 } else { 2 },
        "src_endpoint": {"ip": src, "port": sport,
                         "instance_uid": if inbound { Value::Null } else { Value::from(INSTANCE_ID) }},
        "dst_endpoint": {"ip": dst, "port": dport,
                         "instance_uid": if inbound { Value::from(INSTANCE_ID) } else { Value::Null }},
        "connection_info": {"protocol_num": 6, "direction": if inbound { "Inbound" } else { "Outbound" },
                            "direction_id": if inbound { 1 } else { 2 }},
        "traffic": {"bytes": bytes, "packets": (bytes / 1200).max(1)},
        "cloud": {"provider": "AWS", "region": "us-east-1", "account": {"uid": PROD_ACCOUNT}}
    })
}

/// 2024-05-01T00:00:00Z, the first day of the lake.
const BASE: i64 = 1_714_521_600;

/// The web-app instance's VPC flows: ordinary traffic on all three days, and the intrusion.
fn flows() -> Vec<Value> {
    let mut out = Vec::new();
    for day in 0..3 {
        let d = BASE + day * 86_400;
        for hour in 0..24 {
            let t = d + hour * 3600;
            // People at the office use the app during working hours; CI deploys twice a day.
            if (8..18).contains(&hour) {
                out.push(flow(
                    t + 300,
                    OFFICE_IP,
                    50_000 + hour,
                    INSTANCE_PRIVATE_IP,
                    443,
                    true,
                    48_000,
                    true,
                ));
            }
            if hour == 10 || hour == 16 {
                out.push(flow(
                    t + 900,
                    CI_IP,
                    40_022,
                    INSTANCE_PRIVATE_IP,
                    22,
                    true,
                    9_600,
                    true,
                ));
            }
            let scanner = SCANNER_IPS[(hour as usize + day as usize) % SCANNER_IPS.len()];
            out.push(flow(
                t + 1_700,
                scanner,
                61_000,
                INSTANCE_PRIVATE_IP,
                3389,
                false,
                60,
                true,
            ));
        }
    }
    // 2024-05-02 01:10–01:40: the probe. Port 8080 answers, which is what GuardDuty flags.
    let intrusion = BASE + 86_400;
    for (i, port) in [22, 23, 80, 443, 3306, 3389, 5432, 8080, 8443, 9200]
        .iter()
        .enumerate()
    {
        let allowed = matches!(port, 443 | 8080);
        out.push(flow(
            intrusion + 4_200 + i as i64 * 170,
            ATTACKER_IP,
            44_100 + i as i64,
            INSTANCE_PRIVATE_IP,
            *port,
            allowed,
            120,
            true,
        ));
    }
    // 02:29: a request to the app on 8080 that makes it fetch its own role credentials (SSRF),
    // and the answer that carries them out.
    out.push(flow(
        intrusion + 8_940,
        ATTACKER_IP,
        44_190,
        INSTANCE_PRIVATE_IP,
        8080,
        true,
        1_480,
        true,
    ));
    out.push(flow(
        intrusion + 8_941,
        INSTANCE_PRIVATE_IP,
        8080,
        ATTACKER_IP,
        44_190,
        true,
        5_210,
        false,
    ));
    out
}

fn read_gzip(bytes: &[u8]) -> io::Result<Value> {
    let mut text = Vec::new();
    flate2::read::MultiGzDecoder::new(bytes).read_to_end(&mut text)?;
    serde_json::from_slice(&text).map_err(io::Error::other)
}

/// Writes records as one Parquet file; Security Lake compresses its pages (gzip here; zstd for
/// the flows, so the demo exercises both codecs).
fn parquet(records: &[Value], compression: parquet::basic::Compression) -> io::Result<Vec<u8>> {
    let schema = arrow_json::reader::infer_json_schema_from_iterator(records.iter().map(Ok))
        .map_err(io::Error::other)?;
    let schema = Arc::new(schema);
    let mut decoder = arrow_json::ReaderBuilder::new(schema.clone())
        .build_decoder()
        .map_err(io::Error::other)?;
    decoder.serialize(records).map_err(io::Error::other)?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(compression)
        .set_created_by("trawl demo".to_string())
        .build();
    let mut out = Vec::new();
    let mut writer = parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(props))
        .map_err(io::Error::other)?;
    while let Some(batch) = decoder.flush().map_err(io::Error::other)? {
        writer.write(&batch).map_err(io::Error::other)?;
    }
    writer.close().map_err(io::Error::other)?;
    Ok(out)
}

/// The Security Lake objects, built from the CloudTrail objects already generated.
pub(super) fn build(cloudtrail: &[(String, Vec<u8>)]) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut parts: Partitions = BTreeMap::new();
    for (path, bytes) in cloudtrail {
        if !path.contains("/CloudTrail/") {
            continue;
        }
        let doc = read_gzip(bytes)?;
        for ev in doc
            .get("Records")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            // S3 object access is Security Lake's S3_DATA source, which the demo does not write.
            .filter(|ev| ev["eventCategory"] != "Data")
        {
            let Some(rec) = api_activity(ev) else {
                continue;
            };
            let account = rec["cloud"]["account"]["uid"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let region = rec["cloud"]["region"].as_str().unwrap_or("").to_string();
            let day = event_day(rec["time"].as_i64().unwrap_or(0));
            parts
                .entry(("CLOUD_TRAIL_MGMT", account, region, day))
                .or_default()
                .push(rec);
        }
    }
    for rec in flows() {
        let day = event_day(rec["time"].as_i64().unwrap_or(0));
        parts
            .entry((
                "VPC_FLOW",
                PROD_ACCOUNT.to_string(),
                "us-east-1".to_string(),
                day,
            ))
            .or_default()
            .push(rec);
    }
    let mut files = Vec::new();
    for ((source, account, region, day), mut records) in parts {
        records.sort_by_key(|r| r["time"].as_i64());
        let codec = if source == "VPC_FLOW" {
            parquet::basic::Compression::ZSTD(parquet::basic::ZstdLevel::default())
        } else {
            parquet::basic::Compression::GZIP(parquet::basic::GzipLevel::default())
        };
        // Security Lake names objects by a hash; a stable one keeps the demo byte-identical.
        let name = format!(
            "{:016x}",
            fnv1a(format!("{source}{account}{region}{day}").as_bytes())
        );
        files.push((
            format!("{SECURITY_LAKE_BUCKET}/aws/{source}/1.0/region={region}/accountId={account}/eventDay={day}/{name}.gz.parquet"),
            parquet(&records, codec)?,
        ));
    }
    Ok(files)
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_verbs_map_to_ocsf_activities() {
        assert_eq!(activity("CreateAccessKey"), (1, "Create"));
        assert_eq!(activity("ListBuckets"), (2, "Read"));
        assert_eq!(activity("ModifySnapshotAttribute"), (3, "Update"));
        assert_eq!(activity("DeleteBucket"), (4, "Delete"));
        assert_eq!(activity("SendCommand"), (99, "Other"));
    }

    #[test]
    fn service_names_are_domains_not_ips() {
        let ev = json!({"eventTime":"2024-05-02T02:30:41Z","eventName":"AssumeRole",
            "sourceIPAddress":"ec2.amazonaws.com","userIdentity":{"type":"AWSService","invokedBy":"ec2.amazonaws.com"}});
        let r = api_activity(&ev).unwrap();
        assert_eq!(r["src_endpoint"]["ip"], Value::Null);
        assert_eq!(r["src_endpoint"]["domain"], "ec2.amazonaws.com");
        assert_eq!(r["time"], 1_714_617_041_000_i64);
    }
}
