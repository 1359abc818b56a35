//! Real digests for the demo lake: every CloudTrail object is listed, with the SHA-256 of its
//! content, by an hourly digest of its account and region; each digest records the SHA-256 and
//! signature of the one before it and is signed (SHA256withRSA) as CloudTrail signs, so that
//! `trawl verify` on the demo finds every object valid. Two digests close each chain after the
//! last logs (the second lists nothing), as CloudTrail keeps delivering them, so that offline
//! only an empty newest digest is left without its signature.
//!
//! The key below is a demo key, not a secret: anyone can read it here, so nothing it signs
//! proves anything outside the demo. [`public_keys_json`] is its public half in the form `aws
//! cloudtrail list-public-keys` prints, for `trawl verify --public-keys`; `trawl demo` writes it
//! apart from the lake, as real keys come from AWS and never with the logs.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Read};
use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use md5::{Digest as _, Md5};
use serde_json::{json, Value};
use sha2::Sha256;

use super::cast::{ACCOUNTS, HOME_REGION};
use super::clock::{self, folder, stamp_sec, BASE, HOURS};
use super::cloudtrail::Delivered;
use super::ids::Rng;
use super::story::{ORG_ID, ORG_TRAIL_BUCKET, REGIONS, TRAIL_NAME};
use super::{gzip, Gen};
use crate::verify::digest::{hex, sign};

/// The file name `trawl demo` gives the demo key's public half (in the cache directory).
pub const PUBLIC_KEYS: &str = "demo-public-keys.json";

/// The demo's signing key: a demo key, not a secret (see the module's comment).
const DEMO_KEY_PEM: &str = r"-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAsGylUhaD05OCq3L814nZCd7FFdokmRthHlNRbl2o71GMpRY1
aJyX+mbr8JMJ8K0VMI3b4Z8HhkmBrqyd0MI1MSHsn1z6evUmWS79kcvP08VRfIKM
ClkuNUjXOty4fiQVZ4ulFALO1r5iCKD2Z3UYTR78t6BZaTE8pP29IDXEIpVnHNxJ
KIGypeW1xUFItUgkXksC7NnuQKLo2/3Asm61R+dXWvumA95nk4OvMAfztT/ZBMYn
yTOi6ZfpKyXZO3RgJ4Fow74mkkfrtgtRT+HBDiEFwEAP9eroGdssdTQxsevSfk9P
7Yvn+AF/nYnQANQQhyoH5WZB9UaP6hLE8NuuhQIDAQABAoIBABEm5uW1qahSsYQA
oGNGFBM5FLkcpa0687SyjfqoYWmu6HkOUS/z9XSTOAICEZfUA/jd+dAUGXOtRs3Y
G1m1390AetQ9gl6c4dcO0fkwMurYRqVPvdStuefVRpOC7O7ajDguY+SvpzNKfBZx
q7MAN9Ybmp8xmC+5aTdzMcVlZMWlzncBwEpgnIRXc2cYL9MaA/Gq4jwZKqiJpzp0
j590g81iqS52/HzPG6um3cLIc/P3IvCXDwvyIyOI3kuiprhE8wH7ll2FP4ZzQN0n
gl1sAXEnhTcvqLVCtkLecEx1/F7WOQihJEeoy4l8uEPlS6pB2SQM9mt+w/Tcre5w
CuHADUECgYEA1kXIGBAyeBzVQ5+0FlKeDxNNFBlW5+iyECOR6jmLPH/ov05z4zhs
eWUkjLeUWT/FXlCOlP08j58qfyeoK/g1lXPnHHzA31lKxvhcC36e6gTm22kstPmc
7rso7Gd/HtiyCW6ZpzWt5xEe+Xh9CyOnvOjH5h/pZ7kCpVpX8Ih/F6UCgYEA0sgA
yyLCi+EoZx2h+PptNdSclVQReAWFdSw5sPwRNIVwieaihaFp/vIFepjTwxpoyMhY
xpt2N9i9qIMFXemZbKAXj9V1knMd1ieZ9QATIgstae9g/D80qRbUCLDnFUQyx4U5
1M1wtX6rpkiBXaRmWV5LNgX3qUrYQ9/eIlfPhWECgYEAjrXBVA2Nn6QMglKevfNe
pEnFn2pVEHZSCh+2slqLGstSOABHfQF6dcvgcPxgCKVJjcx3elHDgSCQTEocXtSc
06JzPez1BIzTGfwWSe2WZ+TF4UKGbS6G0BXFZtZzuxa2VUPdgJlm7qvfhmYyWjXw
JQihAuskKFn3oiuuwFwY0aUCgYAVOvHhhAHGZwpTwIdU9ZxUZLLU05/iz+OOVsME
0Y7GFH6uVR2fig+MD0KAA66ooxtUxeEzN+tjWqBXvcKnn+TFLSbSZPSvqIqjzF9U
bwp+TlPnrKW/InqiYVs/+Nl9qd3XfNLDXWHx1e1iFUF6dhmc/MNkkJtOYOyBgaX1
HZUYYQKBgDZpI+slqJZ9HkxwQxtX1jYFep6QySQWqz/Ge60ho5i5HzLhXr1AW6Z7
kxT5IiP4RdhYd/gvIri3srarUZCH8jg2CL7iUQvoiig5yuW2KbIreSZe0tSgScv0
3heI8sn4/5EyahV51/yVOf0F5vYP0RIj8RcxvP4AsWRoqKCQre+z
-----END RSA PRIVATE KEY-----
";

struct DemoKey {
    private: rsa::PrivateKey,
    /// PKCS#1 DER of the public key, as ListPublicKeys returns it.
    public_der: Vec<u8>,
    fingerprint: String,
}

fn demo_key() -> &'static DemoKey {
    static KEY: OnceLock<DemoKey> = OnceLock::new();
    KEY.get_or_init(|| {
        use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPublicKey};
        let private = rsa::PrivateKey::from_pkcs1_pem(DEMO_KEY_PEM).expect("the demo key parses");
        let public_der = private
            .to_public_key()
            .to_pkcs1_der()
            .expect("the demo key encodes")
            .as_bytes()
            .to_vec();
        let fingerprint = hex(&Md5::digest(&public_der));
        DemoKey {
            private,
            public_der,
            fingerprint,
        }
    })
}

/// The demo key's public half, as `aws cloudtrail list-public-keys` prints a key list.
pub fn public_keys_json() -> String {
    let key = demo_key();
    let list = json!({"PublicKeyList": [{
        "Value": aws_smithy_types::base64::encode(&key.public_der),
        "ValidityStartTime": "2024-04-01T00:00:00+00:00",
        "ValidityEndTime": "2024-07-01T00:00:00+00:00",
        "Fingerprint": key.fingerprint,
    }]});
    let mut text = serde_json::to_string_pretty(&list).unwrap_or_default();
    text.push('\n');
    text
}

fn gunzip(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out)?;
    Ok(out)
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn time(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A digest key `…/CloudTrail-Digest/<region>/YYYY/MM/DD/<…>_YYYYMMDDTHHMMSSZ.json.gz` for a
/// later end time, from an earlier key of the same chain.
fn key_for(previous: &str, end: DateTime<Utc>) -> String {
    let parts: Vec<&str> = previous.split('/').collect();
    let n = parts.len();
    let name = parts[n - 1];
    let stem = &name[..name.rfind('_').expect("a stamped digest name") + 1];
    let mut out: Vec<String> = parts[..n - 4].iter().map(|s| s.to_string()).collect();
    out.push(end.format("%Y/%m/%d").to_string());
    out.push(format!("{stem}{}.json.gz", end.format("%Y%m%dT%H%M%SZ")));
    out.join("/")
}

/// The fields in the order CloudTrail writes them.
fn ordered(d: &mut Value) {
    const ORDER: [&str; 15] = [
        "awsAccountId",
        "digestStartTime",
        "digestEndTime",
        "digestS3Bucket",
        "digestS3Object",
        "digestPublicKeyFingerprint",
        "digestSignatureAlgorithm",
        "newestEventTime",
        "oldestEventTime",
        "previousDigestS3Bucket",
        "previousDigestS3Object",
        "previousDigestHashValue",
        "previousDigestHashAlgorithm",
        "previousDigestSignature",
        "logFiles",
    ];
    let Some(o) = d.as_object_mut() else { return };
    let mut sorted = serde_json::Map::new();
    for k in ORDER {
        if let Some(v) = o.shift_remove(k) {
            sorted.insert(k.to_string(), v);
        }
    }
    sorted.append(o);
    *o = sorted;
}

/// One log object of the trail: its hash, and its content until its events' times are read.
struct Log {
    hash: String,
    text: Vec<u8>,
}

/// The oldest and newest `eventTime` of a log (only the closing digests need them: the hourly
/// ones already have them).
fn span(text: &[u8]) -> io::Result<(Option<String>, Option<String>)> {
    let v: Value = serde_json::from_slice(text)?;
    let times: Vec<&str> = v["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["eventTime"].as_str())
        .collect();
    Ok((
        times.iter().min().map(|s| s.to_string()),
        times.iter().max().map(|s| s.to_string()),
    ))
}

impl Gen {
    fn digest_key(acct: usize, region: usize, end: i64) -> String {
        let (acct_id, reg) = (ACCOUNTS[acct], REGIONS[region]);
        format!(
            "AWSLogs/{ORG_ID}/{acct_id}/CloudTrail-Digest/{reg}/{}/{acct_id}_CloudTrail-Digest_{reg}_{TRAIL_NAME}_{HOME_REGION}_{}.json.gz",
            folder(end),
            stamp_sec(end)
        )
    }

    /// Hourly digests listing the objects delivered in their window, with placeholder hashes and
    /// signatures that `digest::seal` replaces with real ones.
    pub(super) fn write_digests(
        &mut self,
        acct: usize,
        region: usize,
        delivered: &[Delivered],
        files: &mut Vec<(String, Vec<u8>)>,
    ) -> io::Result<()> {
        let fingerprint = Rng::seeded(&format!("digest-key/{region}")).hex(32);
        let offset = 14 * 60 + 27 + (acct * 2 + region) as i64 * 3;
        for hour in 0..HOURS {
            let end = BASE + hour * 3600 + offset;
            let start = end - 3600;
            let listed: Vec<&Delivered> = delivered
                .iter()
                .filter(|o| o.acct == acct && o.region == region && (start..end).contains(&o.at))
                .collect();
            let log_files: Vec<Value> = listed
                .iter()
                .map(|o| {
                    json!({
                        "s3Bucket": ORG_TRAIL_BUCKET,
                        "s3Object": o.key,
                        "hashValue": self.rng.hex(64),
                        "hashAlgorithm": "SHA-256",
                        "newestEventTime": clock::iso(o.newest),
                        "oldestEventTime": clock::iso(o.oldest),
                    })
                })
                .collect();
            let key = Self::digest_key(acct, region, end);
            let mut digest = json!({
                "awsAccountId": ACCOUNTS[acct],
                "digestStartTime": clock::iso(start),
                "digestEndTime": clock::iso(end),
                "digestS3Bucket": ORG_TRAIL_BUCKET,
                "digestS3Object": key,
                "digestPublicKeyFingerprint": fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
            });
            if let (Some(newest), Some(oldest)) = (
                listed.iter().map(|o| o.newest).max(),
                listed.iter().map(|o| o.oldest).min(),
            ) {
                digest["newestEventTime"] = json!(clock::iso(newest));
                digest["oldestEventTime"] = json!(clock::iso(oldest));
            }
            digest["previousDigestS3Bucket"] = json!(ORG_TRAIL_BUCKET);
            digest["previousDigestS3Object"] = json!(Self::digest_key(acct, region, start));
            digest["previousDigestHashValue"] = json!(self.rng.hex(64));
            digest["previousDigestHashAlgorithm"] = json!("SHA-256");
            digest["previousDigestSignature"] = json!(self.rng.hex(512));
            digest["logFiles"] = json!(log_files);
            let body = serde_json::to_vec(&digest)?;
            files.push((format!("{ORG_TRAIL_BUCKET}/{key}"), gzip(&body)?));
        }
        Ok(())
    }
}

/// Turns the placeholder digests `files` holds into real, chained and signed ones, and adds the
/// closing digests of each chain.
pub(super) fn seal(files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    let bucket_prefix = format!("{ORG_TRAIL_BUCKET}/");
    let mut logs: BTreeMap<String, Log> = BTreeMap::new();
    // (account, region) → indices of its digests in `files`.
    let mut chains: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, (path, data)) in files.iter().enumerate() {
        let Some(key) = path.strip_prefix(&bucket_prefix) else {
            continue;
        };
        let segs: Vec<&str> = key.split('/').collect();
        if segs.len() < 5 {
            continue;
        }
        let (acct, kind, region) = (segs[2], segs[3], segs[4]);
        match kind {
            "CloudTrail" => {
                let text = gunzip(data)?;
                logs.insert(
                    key.to_string(),
                    Log {
                        hash: sha256_hex(&text),
                        text,
                    },
                );
            }
            "CloudTrail-Digest" => chains
                .entry((acct.to_string(), region.to_string()))
                .or_default()
                .push(i),
            _ => {}
        }
    }
    let key = demo_key();
    let mut new_files = Vec::new();
    for ((acct, region), mut members) in chains {
        let mut digests: Vec<Value> = members
            .iter()
            .map(|&i| gunzip(&files[i].1).and_then(|t| Ok(serde_json::from_slice(&t)?)))
            .collect::<io::Result<_>>()?;
        let mut order: Vec<usize> = (0..digests.len()).collect();
        order.sort_by_key(|&k| time(&digests[k]["digestEndTime"]));
        digests = order.iter().map(|&k| digests[k].clone()).collect();
        members = order.iter().map(|&k| members[k]).collect();

        // The objects delivered after the last hourly digest close the chain.
        let listed: HashSet<String> = digests
            .iter()
            .flat_map(|d| d["logFiles"].as_array().cloned().unwrap_or_default())
            .filter_map(|l| l["s3Object"].as_str().map(str::to_string))
            .collect();
        let tail: Vec<&String> = logs
            .keys()
            .filter(|k| {
                let s: Vec<&str> = k.split('/').collect();
                s[2] == acct && s[3] == "CloudTrail" && s[4] == region && !listed.contains(*k)
            })
            .collect();
        let last = digests.last().expect("every chain has digests").clone();
        let last_end = time(&last["digestEndTime"]).expect("digests have an end");
        let last_key = last["digestS3Object"]
            .as_str()
            .expect("digests name themselves");
        for (n, entries) in [(1, tail.clone()), (2, Vec::new())] {
            let end = last_end + Duration::hours(n);
            let mut d = last.clone();
            d["digestStartTime"] = json!(iso(end - Duration::hours(1)));
            d["digestEndTime"] = json!(iso(end));
            d["digestS3Object"] = json!(key_for(last_key, end));
            let files_of: Vec<Value> = entries
                .iter()
                .map(|k| json!({"s3Bucket": ORG_TRAIL_BUCKET, "s3Object": k, "hashValue": "", "hashAlgorithm": "SHA-256"}))
                .collect();
            let o = d.as_object_mut().expect("a digest is an object");
            o.shift_remove("newestEventTime");
            o.shift_remove("oldestEventTime");
            o.insert("logFiles".into(), json!(files_of));
            digests.push(d);
        }

        let mut previous: Option<(String, String, String)> = None;
        for (k, d) in digests.iter_mut().enumerate() {
            d["digestPublicKeyFingerprint"] = json!(key.fingerprint);
            let (mut oldest, mut newest): (Option<String>, Option<String>) = (None, None);
            for l in d["logFiles"].as_array_mut().into_iter().flatten() {
                let object = l["s3Object"].as_str().unwrap_or_default().to_string();
                let log = logs
                    .get(&object)
                    .ok_or_else(|| io::Error::other(format!("digest lists a missing {object}")))?;
                l["hashValue"] = json!(log.hash);
                if l.get("newestEventTime").is_none() {
                    let (o, n) = span(&log.text)?;
                    l["newestEventTime"] = json!(n);
                    l["oldestEventTime"] = json!(o);
                    oldest = oldest.min(o.clone()).or(o);
                    newest = newest.max(n);
                }
            }
            if k >= members.len() {
                // The closing digests say what they hold, as the hourly ones do.
                if let (Some(o), Some(n)) = (oldest, newest) {
                    d["newestEventTime"] = json!(n);
                    d["oldestEventTime"] = json!(o);
                }
            }
            // The first digest starts the chain: it names no digest before it.
            let (pb, po, ph, ps) = match &previous {
                Some((object, hash, sig)) => (
                    json!(ORG_TRAIL_BUCKET),
                    json!(object),
                    json!(hash),
                    json!(sig),
                ),
                None => (Value::Null, Value::Null, Value::Null, Value::Null),
            };
            d["previousDigestS3Bucket"] = pb;
            d["previousDigestS3Object"] = po;
            d["previousDigestHashValue"] = ph;
            d["previousDigestHashAlgorithm"] = if previous.is_some() {
                json!("SHA-256")
            } else {
                Value::Null
            };
            d["previousDigestSignature"] = ps;
            ordered(d);
            let body = serde_json::to_vec(&*d)?;
            let hash = sha256_hex(&body);
            let parsed =
                crate::verify::digest::DigestFile::parse(&body).map_err(io::Error::other)?;
            let signature =
                sign(&key.private, &parsed.string_to_sign(&hash)).map_err(io::Error::other)?;
            let object = d["digestS3Object"].as_str().unwrap_or_default().to_string();
            let gz = gzip(&body)?;
            match members.get(k) {
                Some(&i) => files[i].1 = gz,
                None => new_files.push((format!("{bucket_prefix}{object}"), gz)),
            }
            previous = Some((object, hash, signature));
        }
    }
    files.extend(new_files);
    Ok(())
}
