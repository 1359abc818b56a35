//! CloudTrail events as the trail writes them: callers, one call rendered as an event, and the
//! hourly event objects and the Insight object they are delivered in.

use std::io;
use std::net::Ipv4Addr;

use serde_json::{json, Map, Value};

use super::cast::{kali, Bucket, Role, ACCOUNTS, CONFIG, DEV, EUW1, PROD, USE1};
use super::clock::{at, aws_date, folder, iso, stamp_min, BASE, DAY, HOURS};
use super::ids::ALNUM;
use super::story::{ORG_ID, ORG_TRAIL_BUCKET, PROD_ACCOUNT, REGIONS};
use super::{gzip, story, Gen};

/// Who makes calls, as CloudTrail shows them, and from where.
pub(super) struct Actor {
    acct: usize,
    pub(super) identity: Value,
    ip: String,
    ua: String,
    pub(super) console: bool,
}

impl Actor {
    pub(super) fn new(acct: usize, identity: Value, ip: &str, ua: &str) -> Actor {
        Actor {
            acct,
            identity,
            ip: ip.to_string(),
            ua: ua.to_string(),
            console: false,
        }
    }

    pub(super) fn call(
        &self,
        t: i64,
        region: usize,
        svc: &'static str,
        name: &'static str,
    ) -> Call {
        Call {
            t,
            acct: self.acct,
            region,
            identity: self.identity.clone(),
            ip: self.ip.clone(),
            ua: self.ua.clone(),
            svc,
            name,
            req: Value::Null,
            resp: Value::Null,
            error_code: None,
            error_message: None,
            extra: None,
            resources: None,
            shared: None,
            request_id: None,
            sign_in: false,
            console: self.console,
            data: false,
        }
    }
}

/// One CloudTrail event before it gets its ids; `acct` is the recipient account.
pub(super) struct Call {
    t: i64,
    pub(super) acct: usize,
    region: usize,
    identity: Value,
    ip: String,
    ua: String,
    svc: &'static str,
    name: &'static str,
    pub(super) req: Value,
    resp: Value,
    error_code: Option<&'static str>,
    error_message: Option<String>,
    extra: Option<Value>,
    resources: Option<Value>,
    shared: Option<String>,
    pub(super) request_id: Option<String>,
    sign_in: bool,
    console: bool,
    /// A data event (S3 object access) rather than a management event.
    pub(super) data: bool,
}

impl Call {
    pub(super) fn req(mut self, v: Value) -> Self {
        self.req = v;
        self
    }
    pub(super) fn resp(mut self, v: Value) -> Self {
        self.resp = v;
        self
    }
    pub(super) fn error(mut self, code: &'static str, message: String) -> Self {
        self.error_code = Some(code);
        self.error_message = Some(message);
        self
    }
    pub(super) fn extra(mut self, v: Value) -> Self {
        self.extra = Some(v);
        self
    }
    pub(super) fn resources(mut self, v: Value) -> Self {
        self.resources = Some(v);
        self
    }
    pub(super) fn ua(mut self, ua: String) -> Self {
        self.ua = ua;
        self
    }
    pub(super) fn shared(mut self, id: String) -> Self {
        self.shared = Some(id);
        self
    }
    /// A console sign-in event rather than an API call.
    pub(super) fn sign_in(mut self, success: bool) -> Self {
        self.sign_in = true;
        self.resp = json!({"ConsoleLogin": if success { "Success" } else { "Failure" }});
        self.extra = Some(json!({
            "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_7f3c2a1b9d8e6f50",
            "MobileVersion": "No",
            "MFAUsed": "Yes",
        }));
        if !success {
            self.error_message = Some("Failed authentication".to_string());
        }
        self
    }
}

fn read_only(name: &str) -> bool {
    const READS: [&str; 8] = [
        "Get",
        "List",
        "Describe",
        "Head",
        "Lookup",
        "Decrypt",
        "AssumeRole",
        "GenerateDataKey",
    ];
    READS.iter().any(|p| name.starts_with(p))
}

/// A CloudTrail object as delivered, remembered for the digests that list it.
pub(super) struct Delivered {
    pub(super) acct: usize,
    pub(super) region: usize,
    pub(super) at: i64,
    pub(super) key: String,
    pub(super) oldest: i64,
    pub(super) newest: i64,
}

impl Gen {
    /// responseElements of an STS call that hands out a session of `role`.
    pub(super) fn credentials(
        &mut self,
        role: &Role,
        session: &str,
        key: &str,
        t: i64,
        secs: i64,
    ) -> Value {
        let token = self.token();
        json!({
            "credentials": {"accessKeyId": key, "sessionToken": token, "expiration": aws_date(t + secs)},
            "assumedRoleUser": {"assumedRoleId": format!("{}:{session}", role.id()), "arn": role.session_arn(session)},
        })
    }

    pub(super) fn push(&mut self, c: Call) {
        let offset = c.t - BASE;
        debug_assert!(
            (0..HOURS * 3600).contains(&offset) && offset % DAY < 23 * 3600 + 50 * 60,
            "event at {} is outside the lake or too close to midnight",
            iso(c.t)
        );
        let slot = (c.acct, c.region, offset / 3600);
        let t = c.t;
        let event = self.render(c);
        self.logs.entry(slot).or_default().push((t, event));
    }

    fn render(&mut self, c: Call) -> Value {
        let mut e = Map::new();
        let mut put = |k: &str, v: Value| {
            e.insert(k.to_string(), v);
        };
        let host = match c.req.get("Host").and_then(Value::as_str) {
            Some(h) => h.to_string(),
            None if matches!(c.svc, "iam" | "sts" | "s3") => format!("{}.amazonaws.com", c.svc),
            None => format!("{}.{}.amazonaws.com", c.svc, REGIONS[c.region]),
        };
        let request_id = match c.request_id {
            Some(id) => id,
            // S3 request ids are 16 upper-case characters, not UUIDs.
            None if c.svc == "s3" => self.rng.hex(16).to_uppercase(),
            None => self.rng.uuid(),
        };
        let event_id = self.rng.uuid();
        let from_ip = c.ip.parse::<Ipv4Addr>().is_ok();
        put("eventVersion", json!("1.08"));
        put("userIdentity", c.identity);
        put("eventTime", json!(iso(c.t)));
        put("eventSource", json!(format!("{}.amazonaws.com", c.svc)));
        put("eventName", json!(c.name));
        put("awsRegion", json!(REGIONS[c.region]));
        put("sourceIPAddress", json!(c.ip));
        put("userAgent", json!(c.ua));
        if let Some(code) = c.error_code {
            put("errorCode", json!(code));
        }
        if let Some(message) = c.error_message {
            put("errorMessage", json!(message));
        }
        put("requestParameters", c.req);
        put("responseElements", c.resp);
        if let Some(x) = c.extra {
            put("additionalEventData", x);
        }
        put("requestID", json!(request_id));
        put("eventID", json!(event_id));
        put("readOnly", json!(!c.sign_in && read_only(c.name)));
        if let Some(r) = c.resources {
            put("resources", r);
        }
        put(
            "eventType",
            json!(if c.sign_in {
                "AwsConsoleSignIn"
            } else {
                "AwsApiCall"
            }),
        );
        put("managementEvent", json!(!c.data));
        put("recipientAccountId", json!(ACCOUNTS[c.acct]));
        if let Some(s) = c.shared {
            put("sharedEventID", json!(s));
        }
        put(
            "eventCategory",
            json!(if c.data { "Data" } else { "Management" }),
        );
        if from_ip && !c.sign_in {
            put(
                "tlsDetails",
                json!({"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": host}),
            );
        }
        if c.console {
            put("sessionCredentialFromConsole", json!("true"));
        }
        Value::Object(e)
    }

    /// An `AssumeRole` made by an AWS service (EC2 for instance profiles, Lambda for functions).
    pub(super) fn service_assume(
        &mut self,
        t: i64,
        region: usize,
        by: &str,
        role: &Role,
        session: &str,
        key: &str,
    ) {
        let secs = if by == "ec2.amazonaws.com" {
            21_600
        } else {
            43_200
        };
        let who = Actor::new(
            role.acct,
            json!({"type": "AWSService", "invokedBy": by}),
            by,
            by,
        );
        let resp = self.credentials(role, session, key, t, secs);
        let shared = self.rng.uuid();
        let c = who
            .call(t, region, "sts", "AssumeRole")
            .req(json!({"roleArn": role.arn(), "roleSessionName": session}))
            .resp(resp)
            .resources(role.resources())
            .shared(shared);
        self.push(c);
    }

    pub(super) fn s3_call(&mut self, who: &Actor, t: i64, b: &Bucket, op: &'static str) -> Call {
        let &(acct, region, name, has_policy) = b;
        let host = if region == USE1 {
            format!("{name}.s3.amazonaws.com")
        } else {
            format!("{name}.s3.{}.amazonaws.com", REGIONS[region])
        };
        let mut req = json!({"bucketName": name, "Host": host});
        let sub = match op {
            "GetBucketAcl" => "acl",
            "GetBucketPolicy" => "policy",
            "GetBucketEncryption" => "encryption",
            "GetBucketVersioning" => "versioning",
            "GetBucketLocation" => "location",
            "GetBucketPolicyStatus" => "policyStatus",
            _ => "publicAccessBlock",
        };
        req[sub] = json!("");
        let out = self.rng.range(150, 1800);
        let c = who
            .call(t, region, "s3", op)
            .req(req)
            .extra(json!({
                "SignatureVersion": "SigV4",
                "CipherSuite": "TLS_AES_128_GCM_SHA256",
                "bytesTransferredIn": 0,
                "AuthenticationMethod": "AuthHeader",
                "bytesTransferredOut": out,
            }))
            .resources(json!([{"accountId": ACCOUNTS[acct], "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{name}")}]));
        if op == "GetBucketPolicy" && !has_policy {
            c.error(
                "NoSuchBucketPolicy",
                "The bucket policy does not exist".to_string(),
            )
        } else {
            c
        }
    }

    /// The event objects (one per account, region and hour) and their hourly digests.
    pub(super) fn write_cloudtrail(
        &mut self,
        files: &mut Vec<(String, Vec<u8>)>,
    ) -> io::Result<()> {
        let logs = std::mem::take(&mut self.logs);
        let mut delivered = Vec::new();
        for ((acct, region, _), mut events) in logs {
            events.sort_by_key(|(t, _)| *t);
            let oldest = events.first().map_or(0, |e| e.0);
            let newest = events.last().map_or(0, |e| e.0);
            let at = newest + self.rng.range(180, 540);
            let (acct_id, reg) = (ACCOUNTS[acct], REGIONS[region]);
            let suffix = self.rng.chars(ALNUM, 16);
            let key = format!(
                "AWSLogs/{ORG_ID}/{acct_id}/CloudTrail/{reg}/{}/{acct_id}_CloudTrail_{reg}_{}_{suffix}.json.gz",
                folder(at),
                stamp_min(at)
            );
            let records: Vec<Value> = events.into_iter().map(|(_, e)| e).collect();
            let body = serde_json::to_vec(&json!({ "Records": records }))?;
            files.push((format!("{ORG_TRAIL_BUCKET}/{key}"), gzip(&body)?));
            delivered.push(Delivered {
                acct,
                region,
                at,
                key,
                oldest,
                newest,
            });
        }
        for acct in [PROD, DEV] {
            for region in [USE1, EUW1] {
                self.write_digests(acct, region, &delivered, files)?;
            }
        }
        Ok(())
    }

    /// One CloudTrail Insight: the burst of GetBucketPolicy calls by the stolen session.
    pub(super) fn write_insight(&mut self, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
        let (start, end) = (at(1, 3, 10, 0), at(1, 3, 13, 0));
        let shared = self.rng.uuid();
        let attributions = json!([
            {
                "attribute": "userIdentityArn",
                "insight": [{"value": story::INSTANCE_SESSION_ARN, "average": 1.0}],
                "baseline": [{"value": format!("arn:aws:sts::{PROD_ACCOUNT}:assumed-role/AWSServiceRoleForConfig/AWSConfig-Describe"), "average": 0.0417}],
            },
            {
                "attribute": "userAgent",
                "insight": [{"value": kali("s3api.get-bucket-policy"), "average": 1.0}],
                "baseline": [{"value": CONFIG, "average": 0.0417}],
            },
            {
                "attribute": "errorCode",
                "insight": [{"value": "null", "average": 0.6667}, {"value": "NoSuchBucketPolicy", "average": 0.3333}],
                "baseline": [{"value": "NoSuchBucketPolicy", "average": 0.0312}, {"value": "null", "average": 0.0105}],
            },
        ]);
        let mut records = Vec::new();
        for (state, t) in [("Start", start), ("End", end)] {
            let mut statistics =
                json!({"baseline": {"average": 0.0417}, "insight": {"average": 1.0}});
            if state == "End" {
                statistics["insightDuration"] = json!(3);
                statistics["baselineDuration"] = json!(10_077);
            }
            records.push(json!({
                "eventVersion": "1.08",
                "eventTime": iso(t),
                "awsRegion": "us-east-1",
                "eventID": self.rng.uuid(),
                "eventType": "AwsCloudTrailInsight",
                "recipientAccountId": PROD_ACCOUNT,
                "sharedEventID": shared,
                "insightDetails": {
                    "state": state,
                    "eventSource": "s3.amazonaws.com",
                    "eventName": "GetBucketPolicy",
                    "insightType": "ApiCallRateInsight",
                    "insightContext": {"statistics": statistics, "attributions": attributions},
                },
                "eventCategory": "Insight",
            }));
        }
        let delivered = at(1, 3, 25, 0);
        let suffix = self.rng.chars(ALNUM, 16);
        let key = format!(
            "AWSLogs/{ORG_ID}/{PROD_ACCOUNT}/CloudTrail-Insight/us-east-1/{}/{PROD_ACCOUNT}_CloudTrail-Insight_us-east-1_{}_{suffix}.json.gz",
            folder(delivered),
            stamp_min(delivered)
        );
        let body = serde_json::to_vec(&json!({ "Records": records }))?;
        files.push((format!("{ORG_TRAIL_BUCKET}/{key}"), gzip(&body)?));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::demo::story::{CLOUDTRAIL_EVENTS, CLOUDTRAIL_OBJECTS};
    use crate::demo::testlake::{lake, parse, s};
    use std::collections::{HashMap, HashSet};

    #[test]
    fn cloudtrail_objects_hold_whole_events_of_their_day() {
        let lake = lake();
        let mut ids = HashSet::new();
        let mut per_object: HashMap<&str, usize> = HashMap::new();
        for (rel, e) in &lake.events {
            let p = parse(rel).unwrap();
            *per_object.entry(rel).or_default() += 1;
            for field in [
                "eventVersion",
                "userIdentity",
                "eventTime",
                "eventSource",
                "eventName",
                "awsRegion",
                "sourceIPAddress",
                "userAgent",
                "requestParameters",
                "responseElements",
                "requestID",
                "eventID",
                "readOnly",
                "eventType",
                "managementEvent",
                "recipientAccountId",
                "eventCategory",
            ] {
                assert!(e.get(field).is_some(), "{rel}: event without {field}");
            }
            assert_eq!(e["eventVersion"], "1.08");
            match s(e, &["eventCategory"]) {
                "Management" => assert_eq!(e["managementEvent"], true),
                // S3 object access: a data event naming its object among its resources.
                "Data" => {
                    assert_eq!(e["managementEvent"], false);
                    assert_eq!(s(e, &["eventSource"]), "s3.amazonaws.com");
                    assert_eq!(e["resources"][0]["type"], "AWS::S3::Object");
                }
                other => panic!("{rel}: eventCategory {other}"),
            }
            assert!(e["readOnly"].is_boolean());
            assert!(matches!(
                s(e, &["eventType"]),
                "AwsApiCall" | "AwsConsoleSignIn"
            ));
            assert!(e["userIdentity"]["type"].is_string());
            assert_eq!(s(e, &["recipientAccountId"]), p.account, "{rel}");
            assert_eq!(s(e, &["awsRegion"]), p.region, "{rel}");
            let time = s(e, &["eventTime"]);
            assert_eq!(&time[..10], p.day, "{rel}: {time}");
            // The name's delivery stamp is no earlier than any event it holds.
            let minute: String = time[..16]
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == 'T')
                .collect();
            assert!(minute <= p.stamp, "{rel}: {time} after delivery");
            assert!(
                ids.insert(s(e, &["eventID"]).to_string()),
                "duplicate eventID"
            );
        }
        assert_eq!(lake.events.len(), CLOUDTRAIL_EVENTS);
        assert_eq!(per_object.len(), CLOUDTRAIL_OBJECTS);
        let (lo, hi) = (
            per_object.values().min().unwrap(),
            per_object.values().max().unwrap(),
        );
        assert!(*lo >= 5 && *hi <= 120, "events per object {lo}..{hi}");

        // Digests are not events: they list the event objects.
        let names: HashSet<String> = lake.files.iter().map(|f| f.0.clone()).collect();
        let mut listed = 0;
        for (rel, d) in &lake.digests {
            assert!(d.get("Records").is_none());
            let p = parse(rel).unwrap();
            assert_eq!(s(d, &["awsAccountId"]), p.account);
            assert!(d["digestStartTime"].is_string() && d["digestEndTime"].is_string());
            assert_eq!(format!("org-trail/{}", s(d, &["digestS3Object"])), *rel);
            for f in d["logFiles"].as_array().unwrap() {
                assert!(names.contains(&format!("org-trail/{}", s(f, &["s3Object"]))));
                listed += 1;
            }
        }
        assert_eq!(listed, CLOUDTRAIL_OBJECTS, "every object is listed once");

        // Insight records have no caller.
        for (_, v) in &lake.insights {
            for r in v["Records"].as_array().unwrap() {
                assert_eq!(r["eventType"], "AwsCloudTrailInsight");
                assert!(r.get("userIdentity").is_none());
                assert!(r["insightDetails"]["insightContext"].is_object());
            }
        }
    }
}
