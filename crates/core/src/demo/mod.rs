//! The built-in demo lake: writes a small, deterministic copy of what AWS delivers to S3 for an
//! organization CloudTrail and GuardDuty exports, telling one intrusion story end to end, so that
//! `trawl demo`, the README and the tests have real-shaped data without an AWS account.
//!
//! The story (2024-05-02, account 111122223333, us-east-1): an outside host probes the web-app
//! instance, steals its instance-role credentials, creates a backdoor IAM user with an access key,
//! and uses that key to look around and hop into the dev account. Ordinary traffic surrounds it on
//! all three days, in both accounts and both regions. Everything comes from a seeded PRNG, so two
//! runs write byte-identical files.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::{json, Map, Value};

mod digest;
mod security_lake;

pub use digest::{public_keys_json, PUBLIC_KEYS};

use story::{
    ATTACKER_IP, BACKDOOR_KEY, BACKDOOR_USER, BACKDOOR_USER_ID, CI_IP, CROSS_ACCOUNT_KEY,
    CROSS_ACCOUNT_SESSION, DEV_ACCOUNT, EXFIL_FINDING_ID, GUARDDUTY_BUCKET, INSTANCE_ID,
    INSTANCE_PRIVATE_IP, INSTANCE_PUBLIC_IP, INSTANCE_ROLE_ID, OFFICE_IP, ORG_ID, ORG_TRAIL_BUCKET,
    PROD_ACCOUNT, REGIONS, SCANNER_IPS, SECURITY_LAKE_BUCKET, STOLEN_KEY, TRAIL_NAME,
};

/// Where the demo lake was written and how much of it there is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLake {
    /// The directory the bucket folders were written under.
    pub root: PathBuf,
    /// One folder per bucket, each usable as a trawl source.
    pub sources: Vec<PathBuf>,
    /// How many objects (files) were written.
    pub objects: usize,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Write the demo lake under `dir` (created if missing; files already there with the same name are
/// overwritten; nothing else is removed). Returns where it is.
///
/// # Errors
///
/// Any error from creating the folders or writing the files.
pub fn write_demo_lake(dir: &Path) -> io::Result<DemoLake> {
    let files = build()?;
    let mut bytes = 0u64;
    let mut made = PathBuf::new();
    for (rel, data) in &files {
        let path = rel
            .split('/')
            .fold(dir.to_path_buf(), |p, part| p.join(part));
        if let Some(parent) = path.parent() {
            // Objects arrive grouped by folder, so remembering the last one saves most mkdir calls.
            if parent != made {
                fs::create_dir_all(parent)?;
                made = parent.to_path_buf();
            }
        }
        fs::write(&path, data)?;
        bytes += data.len() as u64;
    }
    Ok(DemoLake {
        root: dir.to_path_buf(),
        sources: vec![
            dir.join(ORG_TRAIL_BUCKET),
            dir.join(GUARDDUTY_BUCKET),
            dir.join(SECURITY_LAKE_BUCKET),
        ],
        objects: files.len(),
        bytes,
    })
}

/// Facts of the story, for the README, `trawl demo`'s message and tests.
pub mod story {
    /// The AWS Organization whose trail delivers the CloudTrail objects.
    pub const ORG_ID: &str = "o-a1b2c3d4e5";
    /// The production account, where the intrusion happens.
    pub const PROD_ACCOUNT: &str = "111122223333";
    /// The development account the attacker reaches last.
    pub const DEV_ACCOUNT: &str = "444455556666";
    /// Regions with data, in both accounts.
    pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
    /// Days with data (UTC).
    pub const DAYS: [&str; 3] = ["2024-05-01", "2024-05-02", "2024-05-03"];
    /// The day of the intrusion.
    pub const INTRUSION_DAY: &str = "2024-05-02";
    /// Folder (bucket) holding the organization trail.
    pub const ORG_TRAIL_BUCKET: &str = "org-trail";
    /// Folder (bucket) holding the GuardDuty exports, under the `findings/` prefix.
    pub const GUARDDUTY_BUCKET: &str = "guardduty-exports";
    /// Folder (bucket) holding Security Lake's OCSF Parquet (source version 1).
    pub const SECURITY_LAKE_BUCKET: &str = "security-lake";
    /// Name of the organization trail, as it appears in digest object names.
    pub const TRAIL_NAME: &str = "org-trail";

    /// The attacker's address.
    pub const ATTACKER_IP: &str = "203.0.113.66";
    /// The office the people sign in from.
    pub const OFFICE_IP: &str = "198.51.100.10";
    /// The CI runner that deploys through the `ci-deployer` role.
    pub const CI_IP: &str = "192.0.2.44";
    /// Internet scanners behind the low-severity findings.
    pub const SCANNER_IPS: [&str; 3] = ["192.0.2.150", "198.51.100.77", "192.0.2.201"];

    /// The probed instance whose credentials are stolen.
    pub const INSTANCE_ID: &str = "i-0a1b2c3d4e5f60718";
    /// Its public address: its own API calls come from here.
    pub const INSTANCE_PUBLIC_IP: &str = "54.210.11.20";
    /// Its private address.
    pub const INSTANCE_PRIVATE_IP: &str = "10.0.1.25";
    /// The role of its instance profile.
    pub const INSTANCE_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/web-app-role";
    /// The role's unique id.
    pub const INSTANCE_ROLE_ID: &str = "AROAQNZGKR3XQ5HF7TJ2M";
    /// The instance's role session, as CloudTrail names its caller.
    pub const INSTANCE_SESSION_ARN: &str =
        "arn:aws:sts::111122223333:assumed-role/web-app-role/i-0a1b2c3d4e5f60718";
    /// The session's principal id (role id, colon, session name).
    pub const INSTANCE_PRINCIPAL_ID: &str = "AROAQNZGKR3XQ5HF7TJ2M:i-0a1b2c3d4e5f60718";
    /// The instance role's temporary key that is stolen.
    pub const STOLEN_KEY: &str = "ASIAQNZGKR3XW7TE2M5D";
    /// When EC2 obtained the stolen key for the instance (an `AssumeRole` event).
    pub const STOLEN_KEY_ISSUED_AT: &str = "2024-05-02T02:30:41Z";

    /// The IAM user the attacker creates.
    pub const BACKDOOR_USER: &str = "svc-backup";
    /// Its ARN.
    pub const BACKDOOR_USER_ARN: &str = "arn:aws:iam::111122223333:user/svc-backup";
    /// Its unique id.
    pub const BACKDOOR_USER_ID: &str = "AIDAQNZGKR3XJ4VBK2R6P";
    /// The long-term key the attacker creates for it.
    pub const BACKDOOR_KEY: &str = "AKIAQNZGKR3XSVCB4K7P";

    /// The role in the dev account that the backdoor user assumes.
    pub const CROSS_ACCOUNT_ROLE_ARN: &str =
        "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole";
    /// The session name the attacker picks for it.
    pub const CROSS_ACCOUNT_SESSION: &str = "backup-sync";
    /// That session's ARN.
    pub const CROSS_ACCOUNT_SESSION_ARN: &str =
        "arn:aws:sts::444455556666:assumed-role/OrganizationAccountAccessRole/backup-sync";
    /// That session's temporary key, used from the attacker's address in the dev account.
    pub const CROSS_ACCOUNT_KEY: &str = "ASIAVW3T7KDQ2LMN6XRA";

    /// The credential-exfiltration finding, exported twice (count 3, then count 11).
    pub const EXFIL_FINDING_ID: &str = "c6c7a2f0b5e94d1a8f3e2b7d9a1c4e05";
    /// Its type.
    pub const EXFIL_FINDING_TYPE: &str =
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS";
    /// The exfiltration finding's count in its first and in its newest export.
    pub const EXFIL_FINDING_COUNTS: (u64, u64) = (3, 11);

    /// CloudTrail event objects (`.../CloudTrail/...`): one per account, region and hour.
    pub const CLOUDTRAIL_OBJECTS: usize = 288;
    /// Digest objects (`.../CloudTrail-Digest/...`): one per account, region and hour, and two
    /// after the last hour that close each chain (filed on 2024-05-04).
    pub const DIGEST_OBJECTS: usize = 296;
    /// Insight objects (`.../CloudTrail-Insight/...`).
    pub const INSIGHT_OBJECTS: usize = 1;
    /// GuardDuty export objects.
    pub const GUARDDUTY_OBJECTS: usize = 12;
    /// CloudTrail events in the event objects, the S3 data events among them (Insight records
    /// not included).
    pub const CLOUDTRAIL_EVENTS: usize = 7168;
    /// CloudTrail events that mention `STOLEN_KEY` anywhere: the `AssumeRole` that issued it, the
    /// instance's own calls with it, and the attacker's.
    pub const STOLEN_KEY_EVENTS: usize = 16;
    /// Of those, the calls made from `ATTACKER_IP`.
    pub const STOLEN_KEY_ATTACKER_EVENTS: usize = 11;
    /// Of those, the calls the instance made itself from `INSTANCE_PUBLIC_IP`.
    pub const STOLEN_KEY_INSTANCE_EVENTS: usize = 4;
    /// CloudTrail events that mention `BACKDOOR_KEY` anywhere (its creation and its use).
    pub const BACKDOOR_KEY_EVENTS: usize = 10;
    /// CloudTrail events whose `sourceIPAddress` is `ATTACKER_IP`, in both accounts.
    pub const ATTACKER_IP_EVENTS: usize = 24;
    /// GuardDuty finding lines in all exports, re-exports included.
    pub const FINDING_LINES: usize = 13;
    /// Distinct findings once re-exports are reduced to the newest `updatedAt` per `id`.
    pub const FINDINGS_AFTER_DEDUP: usize = 11;
    /// GuardDuty finding lines that mention `ATTACKER_IP`.
    pub const ATTACKER_FINDING_LINES: usize = 7;
    /// Distinct findings that mention `ATTACKER_IP`.
    pub const ATTACKER_FINDINGS_AFTER_DEDUP: usize = 6;
}

const DAY: i64 = 86_400;
/// 2024-05-01T00:00:00Z, the first second of the lake.
const BASE: i64 = 1_714_521_600;
const HOURS: i64 = 72;
const PROD: usize = 0;
const DEV: usize = 1;
const USE1: usize = 0;
const EUW1: usize = 1;
const ACCOUNTS: [&str; 2] = [PROD_ACCOUNT, DEV_ACCOUNT];
/// Access keys and unique ids of one account share characters after the prefix, as real ones do.
const INFIX: [&str; 2] = ["QNZGKR3X", "VW3T7KDQ"];
const HOME_REGION: &str = "us-east-1";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SSO_ROLE: &str = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0";
const BOTO: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.84-99.169.amzn2023.x86_64 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84";
const SSM_AGENT: &str = "aws-sdk-go/1.44.260 (go1.21.9; linux; amd64) amazon-ssm-agent/3.3.380.0";
const CONFIG: &str = "config.amazonaws.com";
const INTERNAL: &str = "AWS Internal";

/// (account, region, name, has a bucket policy)
type Bucket = (usize, usize, &'static str, bool);
const BUCKETS: [Bucket; 6] = [
    (PROD, USE1, "prod-customer-data", true),
    (PROD, USE1, "prod-backups", false),
    (PROD, USE1, "prod-web-assets", true),
    (PROD, EUW1, "prod-app-logs-eu", false),
    (DEV, USE1, "dev-static-site", false),
    (DEV, EUW1, "dev-build-artifacts", false),
];

fn bucket(name: &str) -> &'static Bucket {
    BUCKETS.iter().find(|b| b.2 == name).expect("known bucket")
}

/// SplitMix64: tiny, seedable, and plenty for identifiers and jitter.
struct Rng(u64);

impl Rng {
    /// Seeds from a name (FNV-1a) so that stable names give stable identifiers.
    fn seeded(seed: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chars(&mut self, set: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| set[self.below(set.len() as u64) as usize] as char)
            .collect()
    }

    fn hex(&mut self, n: usize) -> String {
        self.chars(b"0123456789abcdef", n)
    }

    /// A version-4-shaped UUID.
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let variant = self.chars(b"89ab", 1);
        format!(
            "{}-{}-4{}-{variant}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            &h[17..20],
            &h[20..32]
        )
    }
}

/// A stable identifier such as `AIDA...` or `AROA...` for a named principal.
fn principal_id(prefix: &str, acct: usize, name: &str) -> String {
    match name {
        "web-app-role" if acct == PROD => INSTANCE_ROLE_ID.to_string(),
        BACKDOOR_USER if acct == PROD => BACKDOOR_USER_ID.to_string(),
        _ => {
            let tail = Rng::seeded(&format!("{prefix}/{acct}/{name}")).chars(BASE32, 9);
            format!("{prefix}{}{tail}", INFIX[acct])
        }
    }
}

/// Stable 32-hex identifiers (finding and detector ids).
fn hex_id(seed: &str) -> String {
    Rng::seeded(seed).hex(32)
}

fn kms_key(acct: usize, region: usize) -> String {
    let id = Rng::seeded(&format!("kms/{acct}/{region}")).uuid();
    format!(
        "arn:aws:kms:{}:{}:key/{id}",
        REGIONS[region], ACCOUNTS[acct]
    )
}

/// Seconds since the epoch, for a day of the lake (0 = 2024-05-01) and a time of day.
fn at(day: i64, h: i64, m: i64, s: i64) -> i64 {
    BASE + day * DAY + h * 3600 + m * 60 + s
}

/// (year, month, day, hour, minute, second) of a UTC timestamp, without a date library.
fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, secs) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

fn iso(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

fn iso_ms(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms.div_euclid(1000));
    let frac = ms.rem_euclid(1000);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// `YYYYMMDDTHHmmZ`, the delivery stamp in CloudTrail object names.
fn stamp_min(t: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}Z")
}

/// `YYYYMMDDTHHmmssZ`, the stamp in digest object names.
fn stamp_sec(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

fn folder(t: i64) -> String {
    let (y, mo, d, ..) = civil(t);
    format!("{y:04}/{mo:02}/{d:02}")
}

/// The format IAM and STS use inside responseElements, e.g. `May 2, 2024, 8:30:41 AM`.
fn aws_date(t: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = civil(t);
    let (h12, half) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!(
        "{} {d}, {y}, {h12}:{mi:02}:{s:02} {half}",
        MONTHS[(mo - 1) as usize]
    )
}

/// The attacker's AWS CLI on Kali Linux; the command changes with each call.
fn kali(cmd: &str) -> String {
    format!("aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.6.9-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#kali.2024 md/prompt#off md/command#{cmd}")
}

/// The CI runner's AWS CLI.
fn ci_cli(cmd: &str) -> String {
    format!("aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1018-azure md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#{cmd}")
}

/// An IAM role; sessions of it are the callers CloudTrail shows as `AssumedRole`.
struct Role {
    acct: usize,
    name: &'static str,
    path: &'static str,
}

impl Role {
    fn new(acct: usize, name: &'static str) -> Role {
        Role {
            acct,
            name,
            path: "",
        }
    }

    fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/{}{}",
            ACCOUNTS[self.acct], self.path, self.name
        )
    }

    fn session_arn(&self, session: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{session}",
            ACCOUNTS[self.acct], self.name
        )
    }

    fn id(&self) -> String {
        principal_id("AROA", self.acct, self.name)
    }

    /// The `userIdentity` of a session of this role.
    fn identity(&self, session: &str, key: Option<&str>, created: i64) -> Value {
        let acct = ACCOUNTS[self.acct];
        let mut v = json!({
            "type": "AssumedRole",
            "principalId": format!("{}:{session}", self.id()),
            "arn": self.session_arn(session),
            "accountId": acct,
        });
        if let Some(k) = key {
            v["accessKeyId"] = json!(k);
        }
        v["sessionContext"] = json!({
            "sessionIssuer": {
                "type": "Role",
                "principalId": self.id(),
                "arn": self.arn(),
                "accountId": acct,
                "userName": self.name,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": iso(created), "mfaAuthenticated": "false"},
        });
        v
    }

    fn resources(&self) -> Value {
        json!([{"accountId": ACCOUNTS[self.acct], "type": "AWS::IAM::Role", "ARN": self.arn()}])
    }
}

fn web_role() -> Role {
    Role::new(PROD, "web-app-role")
}

fn cross_role() -> Role {
    Role::new(DEV, "OrganizationAccountAccessRole")
}

/// The `userIdentity` of an IAM user; `console` is when its console session began.
fn user_identity(acct: usize, name: &str, key: Option<&str>, console: Option<i64>) -> Value {
    let mut v = json!({
        "type": "IAMUser",
        "principalId": principal_id("AIDA", acct, name),
        "arn": format!("arn:aws:iam::{}:user/{name}", ACCOUNTS[acct]),
        "accountId": ACCOUNTS[acct],
    });
    if let Some(k) = key {
        v["accessKeyId"] = json!(k);
    }
    v["userName"] = json!(name);
    if let Some(t) = console {
        v["sessionContext"] = console_context(t);
    }
    v
}

fn console_context(since: i64) -> Value {
    json!({
        "sessionIssuer": {},
        "webIdFederationData": {},
        "attributes": {"creationDate": iso(since), "mfaAuthenticated": "true"},
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// Who makes calls, as CloudTrail shows them, and from where.
struct Actor {
    acct: usize,
    identity: Value,
    ip: String,
    ua: String,
    console: bool,
}

impl Actor {
    fn new(acct: usize, identity: Value, ip: &str, ua: &str) -> Actor {
        Actor {
            acct,
            identity,
            ip: ip.to_string(),
            ua: ua.to_string(),
            console: false,
        }
    }

    fn call(&self, t: i64, region: usize, svc: &'static str, name: &'static str) -> Call {
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
struct Call {
    t: i64,
    acct: usize,
    region: usize,
    identity: Value,
    ip: String,
    ua: String,
    svc: &'static str,
    name: &'static str,
    req: Value,
    resp: Value,
    error_code: Option<&'static str>,
    error_message: Option<String>,
    extra: Option<Value>,
    resources: Option<Value>,
    shared: Option<String>,
    request_id: Option<String>,
    sign_in: bool,
    console: bool,
    /// A data event (S3 object access) rather than a management event.
    data: bool,
}

impl Call {
    fn req(mut self, v: Value) -> Self {
        self.req = v;
        self
    }
    fn resp(mut self, v: Value) -> Self {
        self.resp = v;
        self
    }
    fn error(mut self, code: &'static str, message: String) -> Self {
        self.error_code = Some(code);
        self.error_message = Some(message);
        self
    }
    fn extra(mut self, v: Value) -> Self {
        self.extra = Some(v);
        self
    }
    fn resources(mut self, v: Value) -> Self {
        self.resources = Some(v);
        self
    }
    fn ua(mut self, ua: String) -> Self {
        self.ua = ua;
        self
    }
    fn shared(mut self, id: String) -> Self {
        self.shared = Some(id);
        self
    }
    /// A console sign-in event rather than an API call.
    fn sign_in(mut self, success: bool) -> Self {
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

/// A GuardDuty finding; `to_json` gives the exported shape.
struct Finding {
    acct: usize,
    region: usize,
    id: String,
    kind: &'static str,
    severity: u8,
    resource: Value,
    action: Value,
    additional: Value,
    evidence: Option<Value>,
    seen: (i64, i64),
    count: u64,
    created_ms: i64,
    updated_ms: i64,
    title: String,
    description: String,
}

impl Finding {
    fn to_json(&self) -> Value {
        let (acct, region) = (ACCOUNTS[self.acct], REGIONS[self.region]);
        let detector = detector(self.acct, self.region);
        let mut service = json!({
            "serviceName": "guardduty",
            "detectorId": detector,
            "action": self.action,
            "resourceRole": "TARGET",
            "additionalInfo": self.additional,
        });
        if let Some(e) = &self.evidence {
            service["evidence"] = e.clone();
        }
        service["eventFirstSeen"] = json!(iso_ms(self.seen.0 * 1000));
        service["eventLastSeen"] = json!(iso_ms(self.seen.1 * 1000));
        service["archived"] = json!(false);
        service["count"] = json!(self.count);
        json!({
            "schemaVersion": "2.0",
            "accountId": acct,
            "region": region,
            "partition": "aws",
            "id": self.id,
            "arn": format!("arn:aws:guardduty:{region}:{acct}:detector/{detector}/finding/{}", self.id),
            "type": self.kind,
            "resource": self.resource,
            "service": service,
            "severity": self.severity,
            "createdAt": iso_ms(self.created_ms),
            "updatedAt": iso_ms(self.updated_ms),
            "title": self.title,
            "description": self.description,
        })
    }
}

fn detector(acct: usize, region: usize) -> String {
    hex_id(&format!("detector/{acct}/{region}"))
}

/// Who owns an address, as GuardDuty's remoteIpDetails tells it (documentation ASNs).
fn remote_ip(ip: &str) -> Value {
    let (asn, org, country, city, lat, lon) = match ip {
        ATTACKER_IP => (
            "64501",
            "Example Bulletproof Hosting",
            "Netherlands",
            "Amsterdam",
            52.3676,
            4.9041,
        ),
        OFFICE_IP => (
            "64496",
            "Example Corp",
            "United States",
            "Seattle",
            47.6062,
            -122.3321,
        ),
        "198.51.100.77" => (
            "64503",
            "Example Transit",
            "Brazil",
            "Sao Paulo",
            -23.5505,
            -46.6333,
        ),
        _ => (
            "64502",
            "Example Scan Networks",
            "Germany",
            "Frankfurt am Main",
            50.1109,
            8.6821,
        ),
    };
    json!({
        "ipAddressV4": ip,
        "organization": {"asn": asn, "asnOrg": org.to_uppercase().replace(' ', "-"), "isp": org, "org": org},
        "country": {"countryName": country},
        "city": {"cityName": city},
        "geoLocation": {"lat": lat, "lon": lon},
    })
}

fn web_instance() -> Value {
    json!({
        "instanceId": INSTANCE_ID,
        "instanceType": "t3.medium",
        "launchTime": "2024-03-18T14:02:11.000Z",
        "platform": null,
        "productCodes": [],
        "iamInstanceProfile": {
            "arn": "arn:aws:iam::111122223333:instance-profile/web-app-role",
            "id": "AIPAQNZGKR3XH6M2W4DLC",
        },
        "networkInterfaces": [{
            "ipv6Addresses": [],
            "networkInterfaceId": "eni-0c4d5e6f7a8b9c0d1",
            "privateDnsName": "ip-10-0-1-25.ec2.internal",
            "privateIpAddress": INSTANCE_PRIVATE_IP,
            "privateIpAddresses": [{"privateDnsName": "ip-10-0-1-25.ec2.internal", "privateIpAddress": INSTANCE_PRIVATE_IP}],
            "subnetId": "subnet-0a9b8c7d6e5f40312",
            "vpcId": "vpc-0f1e2d3c4b5a69788",
            "securityGroups": [{"groupName": "web-app-sg", "groupId": "sg-0123abcd4567ef890"}],
            "publicDnsName": "ec2-54-210-11-20.compute-1.amazonaws.com",
            "publicIp": INSTANCE_PUBLIC_IP,
        }],
        "tags": [{"key": "Name", "value": "web-app-1"}, {"key": "env", "value": "prod"}],
        "instanceState": "running",
        "availabilityZone": "us-east-1a",
        "imageId": "ami-0bb84b8ffd87024d8",
        "imageDescription": "Amazon Linux 2023 AMI 2023.4.20240416.0 x86_64 HVM kernel-6.1",
    })
}

fn instance_resource() -> Value {
    json!({"resourceType": "Instance", "instanceDetails": web_instance()})
}

fn access_key(key: &str, principal: &str, user: &str, user_type: &str) -> Value {
    json!({"accessKeyId": key, "principalId": principal, "userName": user, "userType": user_type})
}

fn stolen_key_details() -> Value {
    access_key(
        STOLEN_KEY,
        story::INSTANCE_PRINCIPAL_ID,
        "web-app-role",
        "AssumedRole",
    )
}

fn backdoor_key_details() -> Value {
    access_key(BACKDOOR_KEY, BACKDOOR_USER_ID, BACKDOOR_USER, "IAMUser")
}

/// Port-probe action: (remote address, local port, port name) per probe.
fn port_probe(probes: &[(&str, u16, &str)]) -> Value {
    let details: Vec<Value> = probes
        .iter()
        .map(|&(ip, port, name)| {
            json!({
                "localPortDetails": {"port": port, "portName": name},
                "localIpDetails": {"ipAddressV4": INSTANCE_PRIVATE_IP},
                "remoteIpDetails": remote_ip(ip),
            })
        })
        .collect();
    json!({"actionType": "PORT_PROBE", "portProbeAction": {"portProbeDetails": details, "blocked": false}})
}

fn api_call(api: &str, service: &str, ip: &str, affected: Value) -> Value {
    json!({
        "actionType": "AWS_API_CALL",
        "awsApiCallAction": {
            "api": api,
            "serviceName": service,
            "callerType": "Remote IP",
            "remoteIpDetails": remote_ip(ip),
            "affectedResources": affected,
        },
    })
}

fn threat_evidence(name: &str) -> Option<Value> {
    Some(
        json!({"threatIntelligenceDetails": [{"threatListName": "ProofPoint", "threatNames": [name]}]}),
    )
}

fn plain_info() -> Value {
    json!({"value": "{}", "type": "default"})
}

fn bucket_details(name: &str) -> Value {
    let &(acct, region, _, _) = bucket(name);
    json!({
        "arn": format!("arn:aws:s3:::{name}"),
        "name": name,
        "type": "Destination",
        "createdAt": 1_679_574_211.0,
        "owner": {"id": Rng::seeded(&format!("owner/{acct}")).hex(64)},
        "tags": [],
        "defaultServerSideEncryption": {"encryptionType": "aws:kms", "kmsMasterKeyArn": kms_key(acct, region)},
        "publicAccess": {"effectivePermission": "NOT_PUBLIC"},
    })
}

fn gzip(data: &[u8]) -> io::Result<Vec<u8>> {
    // GzEncoder writes mtime 0 and no file name, so the bytes depend on the input alone.
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 5), Compression::default());
    enc.write_all(data)?;
    enc.finish()
}

/// A CloudTrail object as delivered, remembered for the digests that list it.
struct Delivered {
    acct: usize,
    region: usize,
    at: i64,
    key: String,
    oldest: i64,
    newest: i64,
}

/// One GuardDuty export object: the findings exported at one moment for one account and region.
struct Export {
    acct: usize,
    region: usize,
    at: i64,
    findings: Vec<Value>,
}

/// Builds the whole lake in memory.
struct Gen {
    rng: Rng,
    /// Events by (account, region, hour of the lake).
    logs: BTreeMap<(usize, usize, i64), Vec<(i64, Value)>>,
    exports: Vec<Export>,
}

/// Every object of the lake: (path under the lake root, bytes).
fn build() -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut g = Gen {
        rng: Rng::seeded("trawl demo lake"),
        logs: BTreeMap::new(),
        exports: Vec::new(),
    };
    for hour in 0..HOURS {
        for acct in [PROD, DEV] {
            for region in [USE1, EUW1] {
                g.config_hour(acct, region, hour);
                g.lambda_hour(acct, region, hour);
            }
        }
    }
    let instance_keys = g.web_app();
    for day in 0..3 {
        g.ci(day);
    }
    g.people();
    g.intrusion();
    g.background_findings();
    // Drawn from a generator of their own, so every other event keeps its ids.
    let story = std::mem::replace(&mut g.rng, Rng::seeded("trawl demo data events"));
    g.web_objects(&instance_keys);
    g.rng = story;
    let mut files = Vec::new();
    g.write_cloudtrail(&mut files)?;
    digest::seal(&mut files)?;
    g.write_insight(&mut files)?;
    g.write_guardduty(&mut files)?;
    let lake = security_lake::build(&files)?;
    files.extend(lake);
    Ok(files)
}

impl Gen {
    fn key(&mut self, kind: &str, acct: usize) -> String {
        format!("{kind}{}{}", INFIX[acct], self.rng.chars(BASE32, 8))
    }

    /// A random second of a lake hour; the last hour of a day stops at 23:50 so that its object
    /// is delivered, and filed, on the same day.
    fn in_hour(&mut self, hour: i64) -> i64 {
        let span = if hour % 24 == 23 { 3000 } else { 3600 };
        BASE + hour * 3600 + self.rng.below(span) as i64
    }

    fn token(&mut self) -> String {
        format!("IQoJb3JpZ2luX2Vj{}", self.rng.chars(B64, 104))
    }

    /// responseElements of an STS call that hands out a session of `role`.
    fn credentials(&mut self, role: &Role, session: &str, key: &str, t: i64, secs: i64) -> Value {
        let token = self.token();
        json!({
            "credentials": {"accessKeyId": key, "sessionToken": token, "expiration": aws_date(t + secs)},
            "assumedRoleUser": {"assumedRoleId": format!("{}:{session}", role.id()), "arn": role.session_arn(session)},
        })
    }

    fn push(&mut self, c: Call) {
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
    fn service_assume(
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

    fn s3_call(&mut self, who: &Actor, t: i64, b: &Bucket, op: &'static str) -> Call {
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

    /// AWS Config describing resources: the steady hum of every account and region.
    fn config_hour(&mut self, acct: usize, region: usize, hour: i64) {
        let role = Role {
            acct,
            name: "AWSServiceRoleForConfig",
            path: "aws-service-role/config.amazonaws.com/",
        };
        let day = hour / 24;
        let key = format!(
            "ASIA{}{}",
            INFIX[acct],
            Rng::seeded(&format!("config/{acct}/{region}/{day}")).chars(BASE32, 8)
        );
        let identity = with(
            role.identity("AWSConfig-Describe", Some(&key), BASE + day * DAY + 97),
            "invokedBy",
            json!(CONFIG),
        );
        let who = Actor::new(acct, identity, CONFIG, CONFIG);
        let (lo, hi) = match (acct, region) {
            (PROD, USE1) => (12, 22),
            (PROD, _) => (14, 22),
            (_, USE1) => (12, 20),
            _ => (14, 21),
        };
        for _ in 0..self.rng.range(lo, hi) {
            let t = self.in_hour(hour);
            let c = self.config_call(&who, t, acct, region);
            self.push(c);
        }
    }

    fn config_call(&mut self, who: &Actor, t: i64, acct: usize, region: usize) -> Call {
        let roll = self.rng.below(12);
        let local: Vec<&Bucket> = BUCKETS
            .iter()
            .filter(|b| b.0 == acct && b.1 == region)
            .collect();
        match roll {
            0..=2 => {
                let items = if (acct, region) == (PROD, USE1) {
                    json!({"items": [{"instanceId": INSTANCE_ID}]})
                } else {
                    json!({})
                };
                who.call(t, region, "ec2", "DescribeInstances")
                    .req(json!({"instancesSet": items, "filterSet": {}}))
            }
            3 => who
                .call(t, region, "ec2", "DescribeSecurityGroups")
                .req(json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}})),
            4 => who
                .call(t, region, "ec2", "DescribeVolumes")
                .req(json!({"volumeSet": {}, "filterSet": {}})),
            5 => who
                .call(t, region, "ec2", "DescribeNetworkInterfaces")
                .req(json!({"networkInterfaceIdSet": {}, "filterSet": {}})),
            6 => who
                .call(t, region, "ec2", "DescribeVpcs")
                .req(json!({"vpcSet": {}, "filterSet": {}})),
            7 | 8 if !local.is_empty() => {
                let b = *self.rng.pick(&local);
                let op = *self.rng.pick(&[
                    "GetBucketAcl",
                    "GetBucketPolicy",
                    "GetBucketEncryption",
                    "GetBucketVersioning",
                    "GetBucketPolicyStatus",
                ]);
                self.s3_call(who, t, b, op)
            }
            9 => {
                let key = kms_key(acct, region);
                who.call(t, region, "kms", "DescribeKey")
                    .req(json!({"keyId": key}))
                    .resources(
                        json!([{"accountId": ACCOUNTS[acct], "type": "AWS::KMS::Key", "ARN": key}]),
                    )
            }
            10 if region == USE1 => {
                let role = *self.rng.pick(&[
                    "ci-deployer",
                    "order-processor-role",
                    "web-app-role",
                    "OrganizationAccountAccessRole",
                ]);
                who.call(t, region, "iam", "GetRole")
                    .req(json!({"roleName": role}))
            }
            _ => {
                let function = if acct == PROD {
                    "order-processor"
                } else {
                    "build-notifier"
                };
                who.call(t, region, "lambda", "GetFunction20150331v2")
                    .req(json!({"functionName": function}))
            }
        }
    }

    /// A Lambda function's execution role being assumed by Lambda, then decrypting its settings.
    fn lambda_hour(&mut self, acct: usize, region: usize, hour: i64) {
        let (function, role) = if acct == PROD {
            ("order-processor", Role::new(PROD, "order-processor-role"))
        } else {
            ("build-notifier", Role::new(DEV, "build-notifier-role"))
        };
        let start = BASE + hour * 3600 + self.rng.below(600) as i64;
        let key = self.key("ASIA", acct);
        self.service_assume(start, region, "lambda.amazonaws.com", &role, function, &key);
        let identity = with(
            role.identity(function, Some(&key), start),
            "invokedBy",
            json!(INTERNAL),
        );
        let who = Actor::new(acct, identity, INTERNAL, INTERNAL);
        let kms = kms_key(acct, region);
        let arn = format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            REGIONS[region], ACCOUNTS[acct]
        );
        for _ in 0..self.rng.range(1, 4) {
            let t = self.in_hour(hour).max(start + 2);
            let c = who
                .call(t, region, "kms", "Decrypt")
                .req(json!({"encryptionContext": {"aws:lambda:FunctionArn": arn}, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}))
                .resources(json!([{"accountId": ACCOUNTS[acct], "type": "AWS::KMS::Key", "ARN": kms}]));
            self.push(c);
        }
    }

    /// The web-app instance: EC2 refreshes its role credentials hourly at about :30, and the
    /// instance uses whichever key is current from its public address. Returns the keys and when
    /// each was issued.
    fn web_app(&mut self) -> Vec<(i64, String)> {
        let role = web_role();
        let before = format!("ASIA{}{}", INFIX[PROD], "LB5YFZ2H");
        let mut issued: Vec<(i64, String)> = vec![(BASE - 1800 + 12, before)];
        for hour in 0..HOURS {
            let (t, key) = if hour == 26 {
                (at(1, 2, 30, 41), STOLEN_KEY.to_string())
            } else {
                let t = BASE + hour * 3600 + 1800 + self.rng.below(60) as i64;
                (t, self.key("ASIA", PROD))
            };
            self.service_assume(t, USE1, "ec2.amazonaws.com", &role, INSTANCE_ID, &key);
            issued.push((t, key));
        }
        for hour in 0..HOURS {
            let mut calls: Vec<(i64, u64)> = [5, 25, 45]
                .iter()
                .map(|m| (BASE + hour * 3600 + m * 60 + self.rng.below(120) as i64, 0))
                .collect();
            for _ in 0..self.rng.range(1, 3) {
                let t = self.in_hour(hour);
                calls.push((t, 1 + self.rng.below(4)));
            }
            for (t, kind) in calls {
                let (since, key) = issued
                    .iter()
                    .rev()
                    .find(|(when, _)| *when <= t)
                    .expect("a key is always current");
                let mut identity = role.identity(INSTANCE_ID, Some(key.as_str()), *since);
                identity["sessionContext"]["ec2RoleDelivery"] = json!("2.0");
                let ua = if kind == 0 { SSM_AGENT } else { BOTO };
                let who = Actor::new(PROD, identity, INSTANCE_PUBLIC_IP, ua);
                let c = match kind {
                    0 => who.call(t, USE1, "ssm", "UpdateInstanceInformation").req(json!({
                        "instanceId": INSTANCE_ID,
                        "agentVersion": "3.3.380.0",
                        "agentStatus": "Active",
                        "platformType": "Linux",
                        "platformName": "Amazon Linux",
                        "platformVersion": "2023",
                        "iPAddress": INSTANCE_PRIVATE_IP,
                        "computerName": "ip-10-0-1-25.ec2.internal",
                        "agentName": "amazon-ssm-agent",
                        "availabilityZone": "us-east-1a",
                        "availabilityZoneId": "use1-az4",
                    })),
                    1 => who
                        .call(t, USE1, "kms", "Decrypt")
                        .req(json!({"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}))
                        .resources(json!([{"accountId": PROD_ACCOUNT, "type": "AWS::KMS::Key", "ARN": kms_key(PROD, USE1)}])),
                    2 => who
                        .call(t, USE1, "secretsmanager", "GetSecretValue")
                        .req(json!({"secretId": "prod/web-app/db"})),
                    3 => who
                        .call(t, USE1, "ssm", "GetParameters")
                        .req(json!({"names": ["/web-app/feature-flags", "/web-app/api-endpoint"], "withDecryption": false})),
                    _ => who.call(t, USE1, "ec2", "DescribeTags").req(json!({
                        "filterSet": {"items": [{"name": "resource-id", "valueSet": {"items": [{"value": INSTANCE_ID}]}}]}
                    })),
                };
                self.push(c);
            }
        }
        issued
    }

    /// S3 data events of the web-app instance (the trail logs S3 object access): it reads its
    /// assets every hour, and every six hours a report job of it tries to read a customer export
    /// it may not (`AccessDenied`). Hours of the stolen key are left alone: the story's counts
    /// of that key stay as they are.
    fn web_objects(&mut self, issued: &[(i64, String)]) {
        const ASSETS: [&str; 5] = [
            "static/css/site.css",
            "static/js/app.js",
            "img/logo.png",
            "templates/index.html",
            "config/feature-flags.json",
        ];
        const EXPORT: &str = "exports/customers-2024-05.csv";
        let role = web_role();
        for hour in 0..HOURS {
            let mut reads: Vec<(i64, &str, &str)> = (0..self.rng.range(1, 2))
                .map(|_| {
                    (
                        self.in_hour(hour),
                        "prod-web-assets",
                        *self.rng.pick(&ASSETS),
                    )
                })
                .collect();
            if hour % 6 == 2 {
                reads.push((self.in_hour(hour), "prod-customer-data", EXPORT));
            }
            for (t, bucket, key) in reads {
                let Some((since, current)) = issued.iter().rev().find(|(when, _)| *when <= t)
                else {
                    continue;
                };
                if current == STOLEN_KEY {
                    continue;
                }
                let mut identity = role.identity(INSTANCE_ID, Some(current.as_str()), *since);
                identity["sessionContext"]["ec2RoleDelivery"] = json!("2.0");
                let who = Actor::new(PROD, identity, INSTANCE_PUBLIC_IP, &format!("[{BOTO}]"));
                let denied = bucket == "prod-customer-data";
                let size = if denied {
                    0
                } else {
                    self.rng.range(900, 250_000)
                };
                let mut c = who
                    .call(t, USE1, "s3", "GetObject")
                    .req(json!({"bucketName": bucket, "Host": format!("{bucket}.s3.amazonaws.com"), "key": key}))
                    .extra(json!({
                        "SignatureVersion": "SigV4",
                        "CipherSuite": "TLS_AES_128_GCM_SHA256",
                        "bytesTransferredIn": 0,
                        "AuthenticationMethod": "AuthHeader",
                        "bytesTransferredOut": size,
                    }))
                    .resources(json!([
                        {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")},
                        {"accountId": PROD_ACCOUNT, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")},
                    ]));
                c.data = true;
                if denied {
                    c = c.error("AccessDenied", "Access Denied".to_string());
                }
                self.push(c);
            }
        }
    }

    /// CI deployments through the `ci-deployer` role, started by the `ci-bot` user's key.
    fn ci(&mut self, day: i64) {
        for acct in [PROD, DEV] {
            let deploys = if acct == PROD { (2, 4) } else { (1, 3) };
            for _ in 0..self.rng.range(deploys.0, deploys.1) {
                let start = at(
                    day,
                    self.rng.range(9, 18),
                    self.rng.range(0, 59),
                    self.rng.range(0, 59),
                );
                self.deploy(acct, start);
            }
        }
    }

    fn deploy(&mut self, acct: usize, start: i64) {
        let bot_key = format!(
            "AKIA{}{}",
            INFIX[acct],
            Rng::seeded(&format!("ci-bot/{acct}")).chars(BASE32, 8)
        );
        let bot = Actor::new(
            acct,
            user_identity(acct, "ci-bot", Some(&bot_key), None),
            CI_IP,
            &ci_cli("sts.assume-role"),
        );
        let role = Role::new(acct, "ci-deployer");
        let session = format!("gha-{}", 8_900_000_000 + self.rng.below(99_999_999));
        let key = self.key("ASIA", acct);
        let resp = self.credentials(&role, &session, &key, start, 3600);
        let shared = self.rng.uuid();
        let c = bot
            .call(start, USE1, "sts", "AssumeRole")
            .req(
                json!({"roleArn": role.arn(), "roleSessionName": session, "durationSeconds": 3600}),
            )
            .resp(resp)
            .resources(role.resources())
            .shared(shared);
        self.push(c);

        let region = if self.rng.below(3) == 0 { EUW1 } else { USE1 };
        let (acct_id, reg) = (ACCOUNTS[acct], REGIONS[region]);
        let stack = if acct == PROD {
            "web-app"
        } else {
            "web-app-dev"
        };
        let stack_id = format!(
            "arn:aws:cloudformation:{reg}:{acct_id}:stack/{stack}/{}",
            Rng::seeded(&format!("stack/{acct}/{region}")).uuid()
        );
        let change_set = format!("samcli-deploy{}", 1_714_000_000 + self.rng.below(999_999));
        let change_set_arn = format!(
            "arn:aws:cloudformation:{reg}:{acct_id}:changeSet/{change_set}/{}",
            self.rng.uuid()
        );
        let function = if acct == PROD {
            "order-processor"
        } else {
            "build-notifier"
        };
        let steps: [(&'static str, &'static str, &str, Value, Value); 8] = [
            (
                "ecr",
                "GetAuthorizationToken",
                "ecr.get-login-password",
                json!({}),
                Value::Null,
            ),
            (
                "cloudformation",
                "DescribeStacks",
                "cloudformation.deploy",
                json!({"stackName": stack}),
                Value::Null,
            ),
            (
                "cloudformation",
                "CreateChangeSet",
                "cloudformation.deploy",
                json!({"stackName": stack, "changeSetName": change_set, "changeSetType": "UPDATE", "capabilities": ["CAPABILITY_IAM"]}),
                json!({"id": change_set_arn, "stackId": stack_id}),
            ),
            (
                "cloudformation",
                "DescribeChangeSet",
                "cloudformation.deploy",
                json!({"changeSetName": change_set_arn}),
                Value::Null,
            ),
            (
                "cloudformation",
                "ExecuteChangeSet",
                "cloudformation.deploy",
                json!({"changeSetName": change_set_arn, "stackName": stack}),
                Value::Null,
            ),
            (
                "cloudformation",
                "DescribeStackEvents",
                "cloudformation.deploy",
                json!({"stackName": stack_id}),
                Value::Null,
            ),
            (
                "lambda",
                "UpdateFunctionCode20150331v2",
                "lambda.update-function-code",
                json!({"functionName": function, "publish": true, "dryRun": false}),
                json!({"functionName": function, "functionArn": format!("arn:aws:lambda:{reg}:{acct_id}:function:{function}"), "version": "$LATEST", "lastUpdateStatus": "InProgress"}),
            ),
            (
                "lambda",
                "GetFunction20150331v2",
                "lambda.get-function",
                json!({"functionName": function}),
                Value::Null,
            ),
        ];
        let who = Actor::new(acct, role.identity(&session, Some(&key), start), CI_IP, "");
        let mut t = start;
        for (svc, name, cmd, req, resp) in steps {
            t += self.rng.range(4, 80);
            let c = who
                .call(t, region, svc, name)
                .ua(ci_cli(cmd))
                .req(req)
                .resp(resp);
            self.push(c);
        }
    }

    /// A person clicking around the console: a call every few minutes until `end`.
    fn browse(&mut self, who: &Actor, from: i64, end: i64) {
        let mut t = from;
        loop {
            t += self.rng.range(45, 720);
            if t >= end {
                break;
            }
            let region = if self.rng.below(10) < 7 { USE1 } else { EUW1 };
            let c = match self.rng.below(10) {
                0 | 1 => who
                    .call(t, region, "ec2", "DescribeInstances")
                    .req(json!({"instancesSet": {}, "filterSet": {}, "maxResults": 1000})),
                2 => who
                    .call(t, region, "monitoring", "DescribeAlarms")
                    .req(json!({"maxRecords": 100})),
                3 => who
                    .call(t, region, "lambda", "ListFunctions20150331")
                    .req(json!({"functionVersion": "ALL", "maxItems": 50})),
                4 => who
                    .call(t, region, "logs", "DescribeLogGroups")
                    .req(json!({"limit": 50})),
                5 => who
                    .call(t, USE1, "s3", "ListBuckets")
                    .req(json!({"Host": "s3.amazonaws.com"})),
                6 => who
                    .call(t, USE1, "iam", "ListUsers")
                    .req(json!({"maxItems": 1000})),
                7 => who.call(t, USE1, "ce", "GetCostAndUsage").req(json!({
                    "timePeriod": {"start": "2024-05-01", "end": "2024-05-31"},
                    "granularity": "MONTHLY",
                    "metrics": ["UnblendedCost"],
                })),
                8 => who.call(t, region, "cloudformation", "DescribeStacks"),
                _ => who.call(t, region, "ec2", "DescribeSecurityGroups").req(
                    json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}}),
                ),
            };
            self.push(c);
        }
    }

    /// alice signs in as an IAM user (optionally after one mistyped password) and browses.
    fn alice(&mut self, acct: usize, start: i64, end: i64, typo: bool) {
        let login = Actor::new(
            acct,
            user_identity(acct, "alice", None, None),
            OFFICE_IP,
            CHROME,
        );
        if typo {
            let c = login
                .call(start - 41, USE1, "signin", "ConsoleLogin")
                .sign_in(false);
            self.push(c);
        }
        let c = login
            .call(start, USE1, "signin", "ConsoleLogin")
            .sign_in(true);
        self.push(c);
        let key = self.key("ASIA", acct);
        let mut who = Actor::new(
            acct,
            user_identity(acct, "alice", Some(&key), Some(start)),
            OFFICE_IP,
            CHROME,
        );
        who.console = true;
        self.browse(&who, start + 20, end);
    }

    /// bob comes in through IAM Identity Center (SAML federation into an SSO role) and browses.
    fn bob(&mut self, acct: usize, start: i64, end: i64) -> Actor {
        let role = Role {
            acct,
            name: SSO_ROLE,
            path: "aws-reserved/sso.amazonaws.com/",
        };
        let session = "bob@example.com";
        let provider = format!(
            "arn:aws:iam::{}:saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE",
            ACCOUNTS[acct]
        );
        let saml = Actor::new(
            acct,
            json!({
                "type": "SAMLUser",
                "principalId": format!("Q0k3bUZIWXh2dGVzdA==:{session}"),
                "userName": session,
                "identityProvider": "Q0k3bUZIWXh2dGVzdA==",
            }),
            OFFICE_IP,
            FIREFOX,
        );
        let key = self.key("ASIA", acct);
        let mut resp = self.credentials(&role, session, &key, start, 43_200);
        resp["subject"] = json!(session);
        resp["subjectType"] = json!("persistent");
        resp["issuer"] = json!(
            "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/MDEyMzQ1Njc4OWFiY2RlZg"
        );
        resp["audience"] = json!("https://signin.aws.amazon.com/saml");
        resp["nameQualifier"] = json!("Q0k3bUZIWXh2dGVzdA==");
        let (assertion, shared) = (self.rng.uuid(), self.rng.uuid());
        let c = saml
            .call(start, USE1, "sts", "AssumeRoleWithSAML")
            .req(json!({
                "sAMLAssertionID": format!("_{assertion}"),
                "roleSessionName": session,
                "roleArn": role.arn(),
                "principalArn": provider,
                "durationSeconds": 43_200,
            }))
            .resp(resp)
            .resources(json!([
                {"accountId": ACCOUNTS[acct], "type": "AWS::IAM::Role", "ARN": role.arn()},
                {"accountId": ACCOUNTS[acct], "type": "AWS::IAM::SAMLProvider", "ARN": provider},
            ]))
            .shared(shared);
        self.push(c);
        let login = Actor::new(
            acct,
            role.identity(session, None, start),
            OFFICE_IP,
            FIREFOX,
        );
        let c = login
            .call(start + 3, USE1, "signin", "ConsoleLogin")
            .sign_in(true);
        self.push(c);
        let mut who = Actor::new(
            acct,
            role.identity(session, Some(&key), start),
            OFFICE_IP,
            FIREFOX,
        );
        who.console = true;
        self.browse(&who, start + 20, end);
        who
    }

    /// The people's working days, plus two low-severity incidents that GuardDuty reports.
    fn people(&mut self) {
        self.alice(PROD, at(0, 8, 12, 4), at(0, 17, 40, 0), true);
        self.bob(PROD, at(0, 9, 3, 30), at(0, 12, 30, 0));
        self.bob(DEV, at(0, 13, 10, 0), at(0, 18, 5, 0));
        self.dev_root();

        self.alice(PROD, at(1, 8, 20, 51), at(1, 17, 15, 0), false);
        self.bob(PROD, at(1, 8, 55, 2), at(1, 18, 20, 0));
        self.bob(DEV, at(1, 10, 0, 40), at(1, 11, 0, 0));

        self.alice(PROD, at(2, 8, 5, 33), at(2, 16, 50, 0), false);
        self.alice(DEV, at(2, 13, 0, 9), at(2, 15, 0, 0), false);
        let bob = self.bob(DEV, at(2, 9, 30, 12), at(2, 17, 30, 0));
        self.public_site(&bob);
    }

    /// Someone signs in to the dev account as root: `Policy:IAMUser/RootCredentialUsage`.
    fn dev_root(&mut self) {
        let root = json!({
            "type": "Root",
            "principalId": DEV_ACCOUNT,
            "arn": format!("arn:aws:iam::{DEV_ACCOUNT}:root"),
            "accountId": DEV_ACCOUNT,
        });
        let login_at = at(0, 9, 5, 12);
        let login = Actor::new(DEV, root.clone(), OFFICE_IP, CHROME);
        let c = login
            .call(login_at, USE1, "signin", "ConsoleLogin")
            .sign_in(true);
        self.push(c);
        let key = self.key("ASIA", DEV);
        let mut identity = with(root, "accessKeyId", json!(key));
        identity["sessionContext"] = console_context(login_at);
        let mut who = Actor::new(DEV, identity, OFFICE_IP, CHROME);
        who.console = true;
        let calls = [
            (at(0, 9, 6, 40), "iam", "GetAccountSummary", Value::Null),
            (at(0, 9, 7, 55), "iam", "ListAccountAliases", Value::Null),
            (
                at(0, 9, 11, 2),
                "account",
                "GetAlternateContact",
                json!({"alternateContactType": "SECURITY"}),
            ),
        ];
        for (t, svc, name, req) in calls {
            let c = who.call(t, USE1, svc, name).req(req);
            self.push(c);
        }
        let finding = Finding {
            acct: DEV,
            region: USE1,
            id: hex_id("finding/root-usage"),
            kind: "Policy:IAMUser/RootCredentialUsage",
            severity: 2,
            resource: json!({"resourceType": "AccessKey", "accessKeyDetails": access_key(&key, DEV_ACCOUNT, "Root", "Root")}),
            action: api_call("GetAccountSummary", "iam.amazonaws.com", OFFICE_IP, json!({})),
            additional: plain_info(),
            evidence: None,
            seen: (at(0, 9, 6, 40), at(0, 9, 11, 2)),
            count: 3,
            created_ms: at(0, 9, 17, 3) * 1000 + 118,
            updated_ms: at(0, 9, 17, 3) * 1000 + 118,
            title: "API GetAccountSummary was invoked using root credentials.".to_string(),
            description: format!(
                "API GetAccountSummary was invoked using root credentials from IP address {OFFICE_IP}."
            ),
        };
        self.export(DEV, USE1, at(0, 9, 50, 14), vec![finding.to_json()]);
    }

    /// bob turns off Block Public Access on the dev static site:
    /// `Policy:S3/BucketBlockPublicAccessDisabled`.
    fn public_site(&mut self, bob: &Actor) {
        let t = at(2, 14, 32, 10);
        let site = bucket("dev-static-site");
        let mut c = self.s3_call(bob, t, site, "PutBucketPublicAccessBlock");
        c.req["PublicAccessBlockConfiguration"] = json!({
            "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
            "RestrictPublicBuckets": false,
            "BlockPublicPolicy": false,
            "BlockPublicAcls": false,
            "IgnorePublicAcls": false,
        });
        self.push(c);
        let key = bob.identity["accessKeyId"].as_str().unwrap_or_default();
        let principal = bob.identity["principalId"].as_str().unwrap_or_default();
        let finding = Finding {
            acct: DEV,
            region: USE1,
            id: hex_id("finding/bpa-disabled"),
            kind: "Policy:S3/BucketBlockPublicAccessDisabled",
            severity: 2,
            resource: json!({
                "resourceType": "S3Bucket",
                "accessKeyDetails": access_key(key, principal, SSO_ROLE, "AssumedRole"),
                "s3BucketDetails": [bucket_details("dev-static-site")],
            }),
            action: api_call(
                "PutBucketPublicAccessBlock",
                "s3.amazonaws.com",
                OFFICE_IP,
                json!({"AWS::S3::Bucket": "dev-static-site"}),
            ),
            additional: plain_info(),
            evidence: None,
            seen: (t, t),
            count: 1,
            created_ms: at(2, 14, 44, 51) * 1000 + 602,
            updated_ms: at(2, 14, 44, 51) * 1000 + 602,
            title: "Amazon S3 Block Public Access was disabled for S3 bucket dev-static-site.".to_string(),
            description: format!("Amazon S3 Block Public Access was disabled for S3 bucket dev-static-site by {SSO_ROLE} calling PutBucketPublicAccessBlock. If this behavior is not expected, it may indicate a configuration mistake or that your credentials are compromised."),
        };
        self.export(DEV, USE1, at(2, 15, 20, 33), vec![finding.to_json()]);
    }

    /// Internet background noise against the web-app instance.
    fn background_findings(&mut self) {
        let probe = |probes: &[(&str, u16, &str)], id: &str, seen, count, ms| Finding {
            acct: PROD,
            region: USE1,
            id: hex_id(id),
            kind: "Recon:EC2/PortProbeUnprotectedPort",
            severity: 2,
            resource: instance_resource(),
            action: port_probe(probes),
            additional: plain_info(),
            evidence: None,
            seen,
            count,
            created_ms: at(0, 6, 2, 11) * 1000 + 377,
            updated_ms: ms,
            title: format!("Unprotected port on EC2 instance {INSTANCE_ID} is being probed."),
            description: format!(
                "EC2 instance {INSTANCE_ID} has an unprotected port which is being probed."
            ),
        };
        let first = [(SCANNER_IPS[0], 80, "HTTP"), (SCANNER_IPS[0], 443, "HTTPS")];
        let v1 = probe(
            &first,
            "finding/probe-may-1",
            (at(0, 5, 31, 10), at(0, 5, 58, 2)),
            4,
            at(0, 6, 2, 11) * 1000 + 377,
        );
        self.export(PROD, USE1, at(0, 6, 20, 8), vec![v1.to_json()]);
        let more = [
            (SCANNER_IPS[0], 80, "HTTP"),
            (SCANNER_IPS[0], 443, "HTTPS"),
            (SCANNER_IPS[1], 22, "SSH"),
        ];
        let v2 = probe(
            &more,
            "finding/probe-may-1",
            (at(0, 5, 31, 10), at(0, 11, 47, 30)),
            19,
            at(0, 12, 2, 48) * 1000 + 940,
        );
        self.export(PROD, USE1, at(0, 12, 20, 8), vec![v2.to_json()]);

        let brute = Finding {
            acct: PROD,
            region: USE1,
            id: hex_id("finding/ssh-brute-force"),
            kind: "UnauthorizedAccess:EC2/SSHBruteForce",
            severity: 2,
            resource: instance_resource(),
            action: json!({
                "actionType": "NETWORK_CONNECTION",
                "networkConnectionAction": {
                    "connectionDirection": "INBOUND",
                    "localIpDetails": {"ipAddressV4": INSTANCE_PRIVATE_IP},
                    "remoteIpDetails": remote_ip(SCANNER_IPS[1]),
                    "remotePortDetails": {"port": 51_432, "portName": "Unknown"},
                    "localPortDetails": {"port": 22, "portName": "SSH"},
                    "protocol": "TCP",
                    "blocked": false,
                },
            }),
            additional: plain_info(),
            evidence: None,
            seen: (at(0, 14, 2, 19), at(0, 17, 41, 5)),
            count: 57,
            created_ms: at(0, 14, 9, 44) * 1000 + 210,
            updated_ms: at(0, 17, 55, 30) * 1000 + 12,
            title: format!("{} is performing SSH brute force attacks against {INSTANCE_ID}.", SCANNER_IPS[1]),
            description: format!("{} is performing SSH brute force attacks against {INSTANCE_ID}. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.", SCANNER_IPS[1]),
        };
        self.export(PROD, USE1, at(0, 18, 20, 8), vec![brute.to_json()]);

        let mut later = probe(
            &[(SCANNER_IPS[2], 8080, "Unknown")],
            "finding/probe-may-3",
            (at(2, 9, 14, 51), at(2, 9, 52, 7)),
            6,
            at(2, 9, 58, 20) * 1000 + 55,
        );
        later.created_ms = at(2, 9, 20, 2) * 1000 + 731;
        self.export(PROD, USE1, at(2, 10, 20, 8), vec![later.to_json()]);
    }

    fn export(&mut self, acct: usize, region: usize, at: i64, findings: Vec<Value>) {
        self.exports.push(Export {
            acct,
            region,
            at,
            findings,
        });
    }

    /// The intrusion of 2024-05-02, scripted to the second.
    fn intrusion(&mut self) {
        let d = 1;
        // 1. The probe, seen by GuardDuty.
        let probe = Finding {
            acct: PROD,
            region: USE1,
            id: hex_id("finding/attacker-probe"),
            kind: "Recon:EC2/PortProbeUnprotectedPort",
            severity: 5,
            resource: instance_resource(),
            action: port_probe(&[(ATTACKER_IP, 22, "SSH"), (ATTACKER_IP, 8080, "Unknown")]),
            additional: json!({"threatName": "Scanner", "threatListName": "ProofPoint"}),
            evidence: threat_evidence("Scanner"),
            seen: (at(d, 1, 10, 7), at(d, 1, 39, 52)),
            count: 14,
            created_ms: at(d, 1, 16, 40) * 1000 + 263,
            updated_ms: at(d, 1, 41, 9) * 1000 + 804,
            title: format!("Unprotected port on EC2 instance {INSTANCE_ID} is being probed."),
            description: "EC2 instance has an unprotected port which is being probed by a known malicious host.".to_string(),
        };
        self.export(PROD, USE1, at(d, 1, 45, 8), vec![probe.to_json()]);

        // 2. (EC2 issued STOLEN_KEY at 02:30:41, in `web_app`.) 3. The stolen key at work.
        let role = web_role();
        let mut stolen = role.identity(INSTANCE_ID, Some(STOLEN_KEY), at(d, 2, 30, 41));
        stolen["sessionContext"]["ec2RoleDelivery"] = json!("2.0");
        let thief = Actor::new(PROD, stolen, ATTACKER_IP, "");
        let arn = story::INSTANCE_SESSION_ARN;
        let mut steps: Vec<Call> = vec![
            thief
                .call(at(d, 2, 51, 14), USE1, "sts", "GetCallerIdentity")
                .ua(kali("sts.get-caller-identity")),
            thief
                .call(at(d, 2, 53, 2), USE1, "s3", "ListBuckets")
                .ua(kali("s3.ls"))
                .req(json!({"Host": "s3.amazonaws.com"})),
            thief
                .call(at(d, 2, 58, 37), USE1, "iam", "ListUsers")
                .ua(kali("iam.list-users")),
            thief
                .call(at(d, 3, 6, 19), USE1, "iam", "ListRoles")
                .ua(kali("iam.list-roles"))
                .error("AccessDenied", format!("User: {arn} is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::{PROD_ACCOUNT}:role/ because no identity-based policy allows the iam:ListRoles action")),
        ];
        for (m, s, name) in [
            (10, 3, "prod-customer-data"),
            (11, 26, "prod-backups"),
            (12, 48, "prod-web-assets"),
        ] {
            let c = self
                .s3_call(&thief, at(d, 3, m, s), bucket(name), "GetBucketPolicy")
                .ua(kali("s3api.get-bucket-policy"));
            steps.push(c);
        }
        let user = json!({"userName": BACKDOOR_USER});
        steps.push(
            thief
                .call(at(d, 3, 24, 10), USE1, "iam", "CreateUser")
                .ua(kali("iam.create-user"))
                .req(user.clone())
                .resp(json!({"user": {
                    "path": "/",
                    "userName": BACKDOOR_USER,
                    "userId": BACKDOOR_USER_ID,
                    "arn": story::BACKDOOR_USER_ARN,
                    "createDate": aws_date(at(d, 3, 24, 10)),
                }})),
        );
        steps.push(
            thief
                .call(at(d, 3, 27, 33), USE1, "iam", "CreateAccessKey")
                .ua(kali("iam.create-access-key"))
                .req(user.clone())
                .resp(json!({"accessKey": {
                    "userName": BACKDOOR_USER,
                    "accessKeyId": BACKDOOR_KEY,
                    "status": "Active",
                    "createDate": aws_date(at(d, 3, 27, 33)),
                }})),
        );
        steps.push(
            thief
                .call(at(d, 3, 31, 5), USE1, "iam", "AttachUserPolicy")
                .ua(kali("iam.attach-user-policy"))
                .req(json!({"userName": BACKDOOR_USER, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})),
        );
        steps.push(
            thief
                .call(at(d, 3, 38, 50), USE1, "iam", "ListAttachedUserPolicies")
                .ua(kali("iam.list-attached-user-policies"))
                .req(user),
        );
        for c in steps {
            self.push(c);
        }

        // 4. GuardDuty notices the instance's key outside AWS, and re-exports it as it goes on.
        let (first_count, last_count) = story::EXFIL_FINDING_COUNTS;
        let exfil = |count, last, updated_ms| {
            Finding {
            acct: PROD,
            region: USE1,
            id: EXFIL_FINDING_ID.to_string(),
            kind: story::EXFIL_FINDING_TYPE,
            severity: 8,
            resource: json!({
                "resourceType": "AccessKey",
                "accessKeyDetails": stolen_key_details(),
                "instanceDetails": web_instance(),
            }),
            action: api_call("GetCallerIdentity", "sts.amazonaws.com", ATTACKER_IP, json!({})),
            additional: json!({
                "recentCredentials": [{"accessKeyId": STOLEN_KEY, "principalId": story::INSTANCE_PRINCIPAL_ID, "ipAddressV4": ATTACKER_IP}],
            }),
            evidence: None,
            seen: (at(d, 2, 51, 14), last),
            count,
            created_ms: at(d, 3, 9, 12) * 1000 + 345,
            updated_ms,
            title: "Credentials for instance role web-app-role used from external IP address.".to_string(),
            description: format!("Credentials created exclusively for an EC2 instance using instance role web-app-role have been used from external IP address {ATTACKER_IP}."),
        }
        };
        let early = exfil(first_count, at(d, 2, 58, 37), at(d, 3, 9, 12) * 1000 + 345);
        self.export(PROD, USE1, at(d, 3, 15, 8), vec![early.to_json()]);
        let late = exfil(last_count, at(d, 3, 38, 50), at(d, 4, 14, 51) * 1000 + 678);
        let persistence = Finding {
            acct: PROD,
            region: USE1,
            id: hex_id("finding/persistence"),
            kind: "Persistence:IAMUser/AnomalousBehavior",
            severity: 5,
            resource: json!({"resourceType": "AccessKey", "accessKeyDetails": stolen_key_details()}),
            action: api_call(
                "CreateAccessKey",
                "iam.amazonaws.com",
                ATTACKER_IP,
                json!({"AWS::IAM::User": BACKDOOR_USER}),
            ),
            additional: json!({
                "anomalies": {"anomalousAPIs": "iam.amazonaws.com:[CreateUser:success , CreateAccessKey:success , AttachUserPolicy:success]"},
                "unusualBehavior": {
                    "unusualAPIsUserIdentityProfiling": "CreateAccessKey",
                    "unusualASNsUserIdentityProfiling": "asnNumber: 64501 asnOrg: EXAMPLE-BULLETPROOF-HOSTING",
                    "unusualUserAgentsUserIdentityProfiling": "AWS CLI",
                    "isUnusualUserIdentity": "false",
                },
                "userAgent": {"fullUserAgent": kali("iam.create-access-key"), "userAgentCategory": "AWS CLI"},
            }),
            evidence: None,
            seen: (at(d, 3, 24, 10), at(d, 3, 31, 5)),
            count: 3,
            created_ms: at(d, 3, 41, 7) * 1000 + 19,
            updated_ms: at(d, 3, 41, 7) * 1000 + 19,
            title: "User AssumedRole : web-app-role is anomalously invoking APIs commonly used in Persistence tactics.".to_string(),
            description: "APIs commonly used in Persistence tactics were invoked by user AssumedRole : web-app-role, under anomalous circumstances. Such activity is not typically seen from this user.".to_string(),
        };
        self.export(
            PROD,
            USE1,
            at(d, 4, 20, 8),
            vec![late.to_json(), persistence.to_json()],
        );

        // 5. The backdoor key at work, then the hop into the dev account.
        let backdoor = Actor::new(
            PROD,
            user_identity(PROD, BACKDOOR_USER, Some(BACKDOOR_KEY), None),
            ATTACKER_IP,
            "",
        );
        let mut steps: Vec<Call> = vec![
            backdoor
                .call(at(d, 4, 2, 45), USE1, "sts", "GetCallerIdentity")
                .ua(kali("sts.get-caller-identity")),
            backdoor
                .call(at(d, 4, 4, 12), USE1, "s3", "ListBuckets")
                .ua(kali("s3.ls"))
                .req(json!({"Host": "s3.amazonaws.com"})),
        ];
        for (m, s, name, op, cmd) in [
            (
                7,
                30,
                "prod-customer-data",
                "GetBucketLocation",
                "s3api.get-bucket-location",
            ),
            (
                8,
                1,
                "prod-customer-data",
                "GetBucketAcl",
                "s3api.get-bucket-acl",
            ),
            (
                10,
                44,
                "prod-backups",
                "GetBucketLocation",
                "s3api.get-bucket-location",
            ),
            (
                11,
                20,
                "prod-backups",
                "GetBucketVersioning",
                "s3api.get-bucket-versioning",
            ),
        ] {
            let c = self
                .s3_call(&backdoor, at(d, 4, m, s), bucket(name), op)
                .ua(kali(cmd));
            steps.push(c);
        }
        steps.push(
            backdoor
                .call(at(d, 4, 18, 9), EUW1, "ec2", "DescribeInstances")
                .ua(kali("ec2.describe-instances"))
                .req(json!({"instancesSet": {}, "filterSet": {}})),
        );
        steps.push(
            backdoor
                .call(at(d, 4, 19, 40), EUW1, "ec2", "DescribeSecurityGroups")
                .ua(kali("ec2.describe-security-groups"))
                .req(json!({"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}})),
        );
        let cross = cross_role();
        let hop = at(d, 4, 31, 2);
        let resp = self.credentials(&cross, CROSS_ACCOUNT_SESSION, CROSS_ACCOUNT_KEY, hop, 3600);
        let (request, shared) = (self.rng.uuid(), self.rng.uuid());
        let assume = |who: &Actor, acct: usize| {
            let mut c = who
                .call(hop, USE1, "sts", "AssumeRole")
                .ua(kali("sts.assume-role"))
                .req(json!({"roleArn": cross.arn(), "roleSessionName": CROSS_ACCOUNT_SESSION}))
                .resp(resp.clone())
                .resources(cross.resources())
                .shared(shared.clone());
            c.acct = acct;
            c.request_id = Some(request.clone());
            c
        };
        // A cross-account call is logged in both accounts; the role's account sees the caller
        // only as an AWS account.
        steps.push(assume(&backdoor, PROD));
        let caller = Actor::new(
            DEV,
            json!({"type": "AWSAccount", "principalId": BACKDOOR_USER_ID, "accountId": PROD_ACCOUNT}),
            ATTACKER_IP,
            "",
        );
        steps.push(assume(&caller, DEV));
        let hopped = Actor::new(
            DEV,
            cross.identity(CROSS_ACCOUNT_SESSION, Some(CROSS_ACCOUNT_KEY), hop),
            ATTACKER_IP,
            "",
        );
        steps.push(
            hopped
                .call(at(d, 4, 36, 15), USE1, "sts", "GetCallerIdentity")
                .ua(kali("sts.get-caller-identity")),
        );
        steps.push(
            hopped
                .call(at(d, 4, 38, 40), USE1, "iam", "ListUsers")
                .ua(kali("iam.list-users")),
        );
        steps.push(
            hopped
                .call(at(d, 4, 41, 3), USE1, "s3", "ListBuckets")
                .ua(kali("s3.ls"))
                .req(json!({"Host": "s3.amazonaws.com"})),
        );
        for c in steps {
            self.push(c);
        }

        let discovery = Finding {
            acct: PROD,
            region: USE1,
            id: hex_id("finding/s3-discovery"),
            kind: "Discovery:S3/MaliciousIPCaller",
            severity: 8,
            resource: json!({
                "resourceType": "S3Bucket",
                "accessKeyDetails": backdoor_key_details(),
                "s3BucketDetails": [bucket_details("prod-customer-data"), bucket_details("prod-backups")],
            }),
            action: api_call("ListBuckets", "s3.amazonaws.com", ATTACKER_IP, json!({"AWS::S3::Bucket": "prod-customer-data"})),
            additional: json!({"threatName": "Malicious Host", "threatListName": "ProofPoint"}),
            evidence: threat_evidence("Malicious Host"),
            seen: (at(d, 4, 4, 12), at(d, 4, 11, 20)),
            count: 5,
            created_ms: at(d, 4, 16, 30) * 1000 + 501,
            updated_ms: at(d, 4, 16, 30) * 1000 + 501,
            title: format!("S3 API ListBuckets was invoked from known malicious IP address {ATTACKER_IP}."),
            description: format!("S3 API ListBuckets was invoked from known malicious IP address {ATTACKER_IP}. This can indicate an attempt by an adversary to discover resources in your AWS environment."),
        };
        let recon = |acct, region, id: &str, details, api: &str, svc: &str, seen, count, ms| {
            Finding {
            acct,
            region,
            id: hex_id(id),
            kind: "Recon:IAMUser/MaliciousIPCaller",
            severity: 5,
            resource: json!({"resourceType": "AccessKey", "accessKeyDetails": details}),
            action: api_call(api, svc, ATTACKER_IP, json!({})),
            additional: json!({"threatName": "Malicious Host", "threatListName": "ProofPoint"}),
            evidence: threat_evidence("Malicious Host"),
            seen,
            count,
            created_ms: ms,
            updated_ms: ms,
            title: format!("Reconnaissance API {api} was invoked from known malicious IP address {ATTACKER_IP}."),
            description: format!("APIs commonly used in reconnaissance attacks were invoked from known malicious IP address {ATTACKER_IP}. Unauthorized actors perform such activity to gather information and discover resources like databases, S3 buckets etc., in order to further tailor the attack."),
        }
        };
        let recon_eu = recon(
            PROD,
            EUW1,
            "finding/recon-eu",
            backdoor_key_details(),
            "DescribeInstances",
            "ec2.amazonaws.com",
            (at(d, 4, 18, 9), at(d, 4, 19, 40)),
            2,
            at(d, 4, 26, 13) * 1000 + 88,
        );
        self.export(PROD, EUW1, at(d, 4, 40, 8), vec![recon_eu.to_json()]);
        self.export(PROD, USE1, at(d, 4, 50, 8), vec![discovery.to_json()]);
        let dev_details = access_key(
            CROSS_ACCOUNT_KEY,
            &format!("{}:{CROSS_ACCOUNT_SESSION}", cross.id()),
            cross.name,
            "AssumedRole",
        );
        let recon_dev = recon(
            DEV,
            USE1,
            "finding/recon-dev",
            dev_details,
            "ListUsers",
            "iam.amazonaws.com",
            (at(d, 4, 38, 40), at(d, 4, 41, 3)),
            2,
            at(d, 4, 47, 22) * 1000 + 940,
        );
        self.export(DEV, USE1, at(d, 5, 0, 8), vec![recon_dev.to_json()]);
    }

    /// The event objects (one per account, region and hour) and their hourly digests.
    fn write_cloudtrail(&mut self, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
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
    fn write_digests(
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
                        "newestEventTime": iso(o.newest),
                        "oldestEventTime": iso(o.oldest),
                    })
                })
                .collect();
            let key = Self::digest_key(acct, region, end);
            let mut digest = json!({
                "awsAccountId": ACCOUNTS[acct],
                "digestStartTime": iso(start),
                "digestEndTime": iso(end),
                "digestS3Bucket": ORG_TRAIL_BUCKET,
                "digestS3Object": key,
                "digestPublicKeyFingerprint": fingerprint,
                "digestSignatureAlgorithm": "SHA256withRSA",
            });
            if let (Some(newest), Some(oldest)) = (
                listed.iter().map(|o| o.newest).max(),
                listed.iter().map(|o| o.oldest).min(),
            ) {
                digest["newestEventTime"] = json!(iso(newest));
                digest["oldestEventTime"] = json!(iso(oldest));
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

    /// One CloudTrail Insight: the burst of GetBucketPolicy calls by the stolen session.
    fn write_insight(&mut self, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
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

    fn write_guardduty(&mut self, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
        let mut exports = std::mem::take(&mut self.exports);
        exports.sort_by_key(|e| (e.at, e.acct, e.region));
        for e in exports {
            let mut body = Vec::new();
            for f in &e.findings {
                serde_json::to_writer(&mut body, f)?;
                body.push(b'\n');
            }
            let path = format!(
                "{GUARDDUTY_BUCKET}/findings/AWSLogs/{}/GuardDuty/{}/{}/{}.jsonl.gz",
                ACCOUNTS[e.acct],
                REGIONS[e.region],
                folder(e.at),
                self.rng.uuid()
            );
            files.push((path, gzip(&body)?));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::story::*;
    use super::*;
    use flate2::read::GzDecoder;
    use std::collections::{BTreeSet, HashMap, HashSet};
    use std::io::Read;
    use std::sync::OnceLock;

    /// Every file under `dir`, as (path with `/`, bytes), sorted.
    fn walk(dir: &Path) -> Vec<(String, Vec<u8>)> {
        fn visit(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    visit(root, &path, out);
                } else {
                    let rel = path.strip_prefix(root).unwrap();
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.push((rel.join("/"), fs::read(&path).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        visit(dir, dir, &mut out);
        out.sort();
        out
    }

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        GzDecoder::new(data).read_to_end(&mut out).unwrap();
        out
    }

    #[derive(Debug, PartialEq, Clone, Copy)]
    enum Kind {
        Log,
        Digest,
        Insight,
        Findings,
    }

    struct Parsed {
        kind: Kind,
        account: String,
        region: String,
        day: String,
        /// The `YYYYMMDDTHHmm` of a CloudTrail object name.
        stamp: String,
    }

    fn digits(s: &str, n: usize) -> bool {
        s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
    }

    fn region_like(s: &str) -> bool {
        let parts: Vec<&str> = s.split('-').collect();
        parts.len() == 3
            && parts[..2]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && !parts[2].is_empty()
            && parts[2].bytes().all(|b| b.is_ascii_digit())
    }

    fn uuid_like(s: &str) -> bool {
        s.len() == 36
            && s.char_indices().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    }

    /// The layouts of DESIGN.md section 1, checked piece by piece.
    fn parse(rel: &str) -> Option<Parsed> {
        let p: Vec<&str> = rel.split('/').collect();
        match p.as_slice() {
            ["org-trail", "AWSLogs", org, acct, kind, region, y, m, d, name] => {
                let org_ok = org.strip_prefix("o-").is_some_and(|r| {
                    (10..=32).contains(&r.len())
                        && r.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                });
                if !(org_ok
                    && digits(acct, 12)
                    && region_like(region)
                    && digits(y, 4)
                    && digits(m, 2)
                    && digits(d, 2))
                {
                    return None;
                }
                let ymd = format!("{y}{m}{d}");
                let stem = name.strip_suffix(".json.gz")?;
                let parts: Vec<&str> = stem.split('_').collect();
                let stamp_ok = |s: &str, n: usize| {
                    s.len() == 8 + 1 + n + 1
                        && s.starts_with(&ymd)
                        && s.as_bytes()[8] == b'T'
                        && digits(&s[9..9 + n], n)
                        && s.ends_with('Z')
                };
                let alnum16 =
                    |s: &str| s.len() == 16 && s.bytes().all(|b| b.is_ascii_alphanumeric());
                let kind = match (*kind, parts.as_slice()) {
                    ("CloudTrail", [a, "CloudTrail", r, stamp, suffix])
                        if a == acct && r == region && stamp_ok(stamp, 4) && alnum16(suffix) =>
                    {
                        Kind::Log
                    }
                    ("CloudTrail-Digest", [a, "CloudTrail-Digest", r, trail, home, stamp])
                        if a == acct
                            && r == region
                            && !trail.is_empty()
                            && region_like(home)
                            && stamp_ok(stamp, 6) =>
                    {
                        Kind::Digest
                    }
                    ("CloudTrail-Insight", [a, "CloudTrail-Insight", r, stamp, suffix])
                        if a == acct && r == region && stamp_ok(stamp, 4) && alnum16(suffix) =>
                    {
                        Kind::Insight
                    }
                    _ => return None,
                };
                let stamp = if kind == Kind::Log {
                    parts[3][..13].to_string()
                } else {
                    String::new()
                };
                Some(Parsed {
                    kind,
                    account: acct.to_string(),
                    region: region.to_string(),
                    day: format!("{y}-{m}-{d}"),
                    stamp,
                })
            }
            ["guardduty-exports", "findings", "AWSLogs", acct, "GuardDuty", region, y, m, d, name]
                if digits(acct, 12)
                    && region_like(region)
                    && digits(y, 4)
                    && digits(m, 2)
                    && digits(d, 2)
                    && name.strip_suffix(".jsonl.gz").is_some_and(uuid_like) =>
            {
                Some(Parsed {
                    kind: Kind::Findings,
                    account: acct.to_string(),
                    region: region.to_string(),
                    day: format!("{y}-{m}-{d}"),
                    stamp: String::new(),
                })
            }
            _ => None,
        }
    }

    /// The lake as the tests read it back.
    struct Lake {
        files: Vec<(String, Vec<u8>)>,
        /// (object path, event) for every CloudTrail event in an event object.
        events: Vec<(String, Value)>,
        /// (object path, finding) for every GuardDuty line.
        findings: Vec<(String, Value)>,
        digests: Vec<(String, Value)>,
        insights: Vec<(String, Value)>,
    }

    fn load(dir: &Path) -> Lake {
        let files = walk(dir);
        let mut lake = Lake {
            files: Vec::new(),
            events: Vec::new(),
            findings: Vec::new(),
            digests: Vec::new(),
            insights: Vec::new(),
        };
        // The Security Lake Parquet is derived from these logs and checked by its own tests.
        for (rel, data) in files
            .iter()
            .filter(|(rel, _)| !rel.starts_with(SECURITY_LAKE_BUCKET))
        {
            let parsed = parse(rel).unwrap_or_else(|| panic!("unexpected layout: {rel}"));
            let text = gunzip(data);
            match parsed.kind {
                Kind::Findings => {
                    let text = String::from_utf8(text).unwrap();
                    for line in text.lines() {
                        let v: Value = serde_json::from_str(line).unwrap();
                        lake.findings.push((rel.clone(), v));
                    }
                }
                kind => {
                    let v: Value = serde_json::from_slice(&text).unwrap();
                    match kind {
                        Kind::Log => {
                            for e in v["Records"].as_array().unwrap() {
                                lake.events.push((rel.clone(), e.clone()));
                            }
                        }
                        Kind::Digest => lake.digests.push((rel.clone(), v)),
                        _ => lake.insights.push((rel.clone(), v)),
                    }
                }
            }
        }
        lake.files = files;
        lake
    }

    /// One lake shared by the tests that only read it: writing is the slow part of a debug build.
    fn lake() -> &'static Lake {
        static LAKE: OnceLock<Lake> = OnceLock::new();
        LAKE.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            write_demo_lake(dir.path()).unwrap();
            load(dir.path())
        })
    }

    fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
        path.iter()
            .fold(v, |v, k| &v[*k])
            .as_str()
            .unwrap_or_default()
    }

    #[test]
    fn time_helpers() {
        assert_eq!(iso(BASE), "2024-05-01T00:00:00Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(at(1, 2, 30, 41)), STOLEN_KEY_ISSUED_AT);
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            iso_ms(at(2, 23, 59, 59) * 1000 + 7),
            "2024-05-03T23:59:59.007Z"
        );
        assert_eq!(stamp_min(at(1, 3, 5, 9)), "20240502T0305Z");
        assert_eq!(stamp_sec(at(1, 3, 5, 9)), "20240502T030509Z");
        assert_eq!(folder(at(2, 0, 0, 0)), "2024/05/03");
        assert_eq!(aws_date(at(1, 8, 30, 41)), "May 2, 2024, 8:30:41 AM");
        assert_eq!(aws_date(at(1, 0, 5, 0)), "May 2, 2024, 12:05:00 AM");
        assert_eq!(aws_date(at(1, 13, 5, 0)), "May 2, 2024, 1:05:00 PM");
    }

    #[test]
    fn story_constants_are_well_formed() {
        for key in [STOLEN_KEY, BACKDOOR_KEY, CROSS_ACCOUNT_KEY] {
            assert_eq!(key.len(), 20, "{key}");
            assert!(key[4..].bytes().all(|b| BASE32.contains(&b)), "{key}");
        }
        assert!(STOLEN_KEY.starts_with("ASIA") && CROSS_ACCOUNT_KEY.starts_with("ASIA"));
        assert!(BACKDOOR_KEY.starts_with("AKIA"));
        assert_eq!(INSTANCE_ROLE_ARN, web_role().arn());
        assert_eq!(INSTANCE_SESSION_ARN, web_role().session_arn(INSTANCE_ID));
        assert_eq!(
            INSTANCE_PRINCIPAL_ID,
            format!("{INSTANCE_ROLE_ID}:{INSTANCE_ID}")
        );
        assert_eq!(CROSS_ACCOUNT_ROLE_ARN, cross_role().arn());
        assert_eq!(
            CROSS_ACCOUNT_SESSION_ARN,
            cross_role().session_arn(CROSS_ACCOUNT_SESSION)
        );
        assert_eq!(
            BACKDOOR_USER_ARN,
            format!("arn:aws:iam::{PROD_ACCOUNT}:user/{BACKDOOR_USER}")
        );
        assert_eq!(DAYS[1], INTRUSION_DAY);
        assert_eq!(EXFIL_FINDING_ID.len(), 32);
    }

    #[test]
    fn writes_byte_identical_lakes() {
        let dir = tempfile::tempdir().unwrap();
        let written = write_demo_lake(dir.path()).unwrap();
        let files = walk(dir.path());
        let shared = &lake().files;
        assert_eq!(files.len(), shared.len());
        for (x, y) in files.iter().zip(shared) {
            assert_eq!(x.0, y.0);
            assert!(x.1 == y.1, "{} differs between runs", x.0);
        }
        assert_eq!(written.objects, files.len());
        assert_eq!(
            written.bytes,
            files.iter().map(|f| f.1.len() as u64).sum::<u64>()
        );
        assert_eq!(written.root, dir.path());
        assert_eq!(
            written.sources,
            vec![
                dir.path().join("org-trail"),
                dir.path().join("guardduty-exports"),
                dir.path().join("security-lake")
            ]
        );
        assert!(written.sources.iter().all(|p| p.is_dir()));
        assert!(written.bytes < 5_000_000, "{} bytes", written.bytes);

        // Writing again over the same place overwrites in place and leaves other files alone.
        fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        let again = write_demo_lake(dir.path()).unwrap();
        assert_eq!(again, written);
        let after = walk(dir.path());
        assert_eq!(after.len(), files.len() + 1);
        assert!(after.iter().any(|(p, d)| p == "notes.txt" && d == b"mine"));
        assert!(files.iter().all(|f| after.contains(f)));
    }

    #[test]
    fn every_object_path_matches_the_layout() {
        let lake = lake();
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for (rel, _) in lake
            .files
            .iter()
            .filter(|(rel, _)| !rel.starts_with(SECURITY_LAKE_BUCKET))
        {
            let p = parse(rel).unwrap_or_else(|| panic!("unexpected layout: {rel}"));
            assert!(ACCOUNTS.contains(&p.account.as_str()), "{rel}");
            assert!(REGIONS.contains(&p.region.as_str()), "{rel}");
            // The digests that close each chain are delivered after the last day's midnight.
            let closing = p.kind == Kind::Digest && p.day == "2024-05-04";
            assert!(DAYS.contains(&p.day.as_str()) || closing, "{rel}");
            *kinds.entry(format!("{:?}", p.kind)).or_default() += 1;
        }
        assert_eq!(kinds["Log"], CLOUDTRAIL_OBJECTS);
        assert_eq!(kinds["Digest"], DIGEST_OBJECTS);
        assert_eq!(kinds["Insight"], INSIGHT_OBJECTS);
        assert_eq!(kinds["Findings"], GUARDDUTY_OBJECTS);
    }

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

    #[test]
    fn guardduty_lines_have_the_finding_shape() {
        let lake = lake();
        for (rel, f) in &lake.findings {
            let p = parse(rel).unwrap();
            assert_eq!(s(f, &["schemaVersion"]), "2.0");
            assert_eq!(s(f, &["accountId"]), p.account);
            assert_eq!(s(f, &["region"]), p.region);
            assert_eq!(s(f, &["partition"]), "aws");
            assert!(s(f, &["arn"]).ends_with(&format!("/finding/{}", s(f, &["id"]))));
            assert!(f["severity"].is_number());
            assert!(f["resource"]["resourceType"].is_string());
            assert_eq!(s(f, &["service", "serviceName"]), "guardduty");
            assert!(f["service"]["action"]["actionType"].is_string());
            assert!(f["service"]["count"].is_u64());
            for k in ["createdAt", "updatedAt", "title", "description", "type"] {
                assert!(f[k].is_string(), "{k}");
            }
            // An export never holds a finding updated after the export's day.
            assert!(s(f, &["updatedAt"])[..10] <= *p.day);
        }
    }

    #[test]
    fn story_counts_match_the_data() {
        let lake = lake();
        let text: Vec<String> = lake.events.iter().map(|(_, e)| e.to_string()).collect();
        let ip = |e: &Value| s(e, &["sourceIPAddress"]).to_string();
        let stolen: Vec<&Value> = lake
            .events
            .iter()
            .zip(&text)
            .filter(|(_, t)| t.contains(STOLEN_KEY))
            .map(|((_, e), _)| e)
            .collect();
        let count = |k: &str| text.iter().filter(|t| t.contains(k)).count();
        let from = |list: &[&Value], addr: &str| list.iter().filter(|e| ip(e) == addr).count();
        let attacker = lake
            .events
            .iter()
            .filter(|(_, e)| ip(e) == ATTACKER_IP)
            .count();
        let finding_lines = lake.findings.len();
        let ids: BTreeSet<&str> = lake.findings.iter().map(|(_, f)| s(f, &["id"])).collect();
        let bad: Vec<&Value> = lake
            .findings
            .iter()
            .filter(|(_, f)| f.to_string().contains(ATTACKER_IP))
            .map(|(_, f)| f)
            .collect();
        let bad_ids: BTreeSet<&str> = bad.iter().map(|f| s(f, &["id"])).collect();
        let summary = format!(
            "events {} stolen {} (attacker {}, instance {}) backdoor {} attacker-ip {} lines {} ids {} attacker lines {} ids {}",
            lake.events.len(),
            stolen.len(),
            from(&stolen, ATTACKER_IP),
            from(&stolen, INSTANCE_PUBLIC_IP),
            count(BACKDOOR_KEY),
            attacker,
            finding_lines,
            ids.len(),
            bad.len(),
            bad_ids.len()
        );
        println!("{summary}");
        assert_eq!(lake.events.len(), CLOUDTRAIL_EVENTS, "{summary}");
        assert_eq!(stolen.len(), STOLEN_KEY_EVENTS, "{summary}");
        assert_eq!(
            from(&stolen, ATTACKER_IP),
            STOLEN_KEY_ATTACKER_EVENTS,
            "{summary}"
        );
        assert_eq!(
            from(&stolen, INSTANCE_PUBLIC_IP),
            STOLEN_KEY_INSTANCE_EVENTS,
            "{summary}"
        );
        assert_eq!(
            stolen.len(),
            STOLEN_KEY_ATTACKER_EVENTS + STOLEN_KEY_INSTANCE_EVENTS + 1,
            "plus the AssumeRole that issued it"
        );
        assert_eq!(count(BACKDOOR_KEY), BACKDOOR_KEY_EVENTS, "{summary}");
        assert_eq!(attacker, ATTACKER_IP_EVENTS, "{summary}");
        assert_eq!(finding_lines, FINDING_LINES, "{summary}");
        assert_eq!(ids.len(), FINDINGS_AFTER_DEDUP, "{summary}");
        assert_eq!(bad.len(), ATTACKER_FINDING_LINES, "{summary}");
        assert_eq!(bad_ids.len(), ATTACKER_FINDINGS_AFTER_DEDUP, "{summary}");
        // Roughly 20 to 60 events an hour per account and region, on average.
        let per_hour = CLOUDTRAIL_EVENTS / CLOUDTRAIL_OBJECTS;
        assert!((20..=60).contains(&per_hour), "{per_hour} an hour");
    }

    #[test]
    fn the_story_can_be_followed() {
        let lake = lake();
        let events: Vec<&Value> = lake.events.iter().map(|(_, e)| e).collect();
        let named = |name: &str| -> Vec<&Value> {
            events
                .iter()
                .copied()
                .filter(|e| s(e, &["eventName"]) == name)
                .collect()
        };

        // EC2 issued the stolen key to the instance.
        let issued: Vec<&Value> = named("AssumeRole")
            .into_iter()
            .filter(|e| s(e, &["responseElements", "credentials", "accessKeyId"]) == STOLEN_KEY)
            .collect();
        assert_eq!(issued.len(), 1);
        let e = issued[0];
        assert_eq!(s(e, &["eventTime"]), STOLEN_KEY_ISSUED_AT);
        assert_eq!(s(e, &["userIdentity", "type"]), "AWSService");
        assert_eq!(s(e, &["userIdentity", "invokedBy"]), "ec2.amazonaws.com");
        assert_eq!(s(e, &["sourceIPAddress"]), "ec2.amazonaws.com");
        assert_eq!(s(e, &["requestParameters", "roleArn"]), INSTANCE_ROLE_ARN);
        assert_eq!(s(e, &["requestParameters", "roleSessionName"]), INSTANCE_ID);
        assert_eq!(
            s(e, &["responseElements", "assumedRoleUser", "arn"]),
            INSTANCE_SESSION_ARN
        );
        assert_eq!(
            s(e, &["responseElements", "assumedRoleUser", "assumedRoleId"]),
            INSTANCE_PRINCIPAL_ID
        );
        // The instance's credentials are refreshed every hour of the lake.
        let refreshes = named("AssumeRole")
            .into_iter()
            .filter(|e| s(e, &["requestParameters", "roleArn"]) == INSTANCE_ROLE_ARN)
            .count();
        assert_eq!(refreshes, HOURS as usize);

        // The stolen key used from the attacker's address, between 02:50 and 03:40.
        let thief: Vec<&Value> = events
            .iter()
            .copied()
            .filter(|e| {
                s(e, &["userIdentity", "accessKeyId"]) == STOLEN_KEY
                    && s(e, &["sourceIPAddress"]) == ATTACKER_IP
            })
            .collect();
        for e in &thief {
            let time = s(e, &["eventTime"]);
            assert!(
                ("2024-05-02T02:50".."2024-05-02T03:40").contains(&time),
                "{time}"
            );
            assert_eq!(s(e, &["userIdentity", "type"]), "AssumedRole");
            assert_eq!(s(e, &["userIdentity", "arn"]), INSTANCE_SESSION_ARN);
            assert_eq!(
                s(e, &["userIdentity", "principalId"]),
                INSTANCE_PRINCIPAL_ID
            );
            let issuer = &e["userIdentity"]["sessionContext"]["sessionIssuer"];
            assert_eq!(s(issuer, &["arn"]), INSTANCE_ROLE_ARN);
            assert_eq!(s(issuer, &["userName"]), "web-app-role");
            assert_eq!(s(issuer, &["principalId"]), INSTANCE_ROLE_ID);
        }
        let names: Vec<&str> = thief.iter().map(|e| s(e, &["eventName"])).collect();
        for n in [
            "GetCallerIdentity",
            "ListBuckets",
            "ListUsers",
            "ListRoles",
            "GetBucketPolicy",
            "CreateUser",
            "CreateAccessKey",
            "AttachUserPolicy",
        ] {
            assert!(names.contains(&n), "{n}");
        }
        let denied: Vec<&&Value> = thief
            .iter()
            .filter(|e| e["errorCode"] == "AccessDenied")
            .collect();
        assert_eq!(denied.len(), 1);
        assert_eq!(s(denied[0], &["eventName"]), "ListRoles");
        assert!(denied[0]["errorMessage"].is_string());
        let created = named("CreateAccessKey");
        assert_eq!(created.len(), 1);
        let key = &created[0]["responseElements"]["accessKey"];
        assert_eq!(
            (
                s(key, &["userName"]),
                s(key, &["accessKeyId"]),
                s(key, &["status"])
            ),
            (BACKDOOR_USER, BACKDOOR_KEY, "Active")
        );
        let attached = named("AttachUserPolicy");
        assert_eq!(
            s(attached[0], &["requestParameters", "policyArn"]),
            "arn:aws:iam::aws:policy/AdministratorAccess"
        );
        // ...while the instance itself used the same key from its own address.
        assert!(events.iter().any(|e| {
            s(e, &["userIdentity", "accessKeyId"]) == STOLEN_KEY
                && s(e, &["sourceIPAddress"]) == INSTANCE_PUBLIC_IP
                && ("2024-05-02T02:50".."2024-05-02T03:30").contains(&s(e, &["eventTime"]))
        }));

        // The backdoor key, 04:00 to 05:00, from the attacker's address, in two regions.
        let backdoor: Vec<&Value> = events
            .iter()
            .copied()
            .filter(|e| s(e, &["userIdentity", "accessKeyId"]) == BACKDOOR_KEY)
            .collect();
        assert!(backdoor.len() >= 8);
        for e in &backdoor {
            assert_eq!(s(e, &["sourceIPAddress"]), ATTACKER_IP);
            assert_eq!(s(e, &["userIdentity", "type"]), "IAMUser");
            assert_eq!(s(e, &["userIdentity", "arn"]), BACKDOOR_USER_ARN);
            assert!(("2024-05-02T04:00".."2024-05-02T05:00").contains(&s(e, &["eventTime"])));
        }
        assert!(backdoor
            .iter()
            .any(|e| s(e, &["awsRegion"]) == "eu-west-1"
                && s(e, &["eventName"]) == "DescribeInstances"));
        let hop: Vec<&&Value> = backdoor
            .iter()
            .filter(|e| s(e, &["requestParameters", "roleArn"]) == CROSS_ACCOUNT_ROLE_ARN)
            .collect();
        assert_eq!(hop.len(), 1);
        assert_eq!(
            s(hop[0], &["responseElements", "credentials", "accessKeyId"]),
            CROSS_ACCOUNT_KEY
        );
        // The dev account logs the same AssumeRole, and then the new session's calls.
        let dev: Vec<&Value> = events
            .iter()
            .copied()
            .filter(|e| {
                s(e, &["recipientAccountId"]) == DEV_ACCOUNT
                    && s(e, &["sourceIPAddress"]) == ATTACKER_IP
            })
            .collect();
        assert!(dev
            .iter()
            .any(|e| s(e, &["sharedEventID"]) == s(hop[0], &["sharedEventID"])));
        let dev_calls = dev
            .iter()
            .filter(|e| {
                s(e, &["userIdentity", "accessKeyId"]) == CROSS_ACCOUNT_KEY
                    && s(e, &["userIdentity", "arn"]) == CROSS_ACCOUNT_SESSION_ARN
            })
            .count();
        assert!(dev_calls >= 2);
        // Every move of the attacker happens on the intrusion day.
        for (_, e) in &lake.events {
            if s(e, &["sourceIPAddress"]) == ATTACKER_IP {
                assert!(s(e, &["eventTime"]).starts_with(INTRUSION_DAY));
            }
        }

        // GuardDuty: the exfiltration finding exported twice; the newest export wins.
        let exfil: Vec<&(String, Value)> = lake
            .findings
            .iter()
            .filter(|(_, f)| s(f, &["id"]) == EXFIL_FINDING_ID)
            .collect();
        assert_eq!(exfil.len(), 2);
        assert_ne!(exfil[0].0, exfil[1].0, "in two export objects");
        let newest = exfil
            .iter()
            .max_by_key(|(_, f)| s(f, &["updatedAt"]))
            .unwrap();
        let oldest = exfil
            .iter()
            .min_by_key(|(_, f)| s(f, &["updatedAt"]))
            .unwrap();
        assert_eq!(newest.1["service"]["count"], EXFIL_FINDING_COUNTS.1);
        assert_eq!(oldest.1["service"]["count"], EXFIL_FINDING_COUNTS.0);
        let f = &newest.1;
        assert_eq!(s(f, &["type"]), EXFIL_FINDING_TYPE);
        assert_eq!(f["severity"], 8);
        assert_eq!(f["resource"]["accessKeyDetails"], stolen_key_details());
        assert_eq!(
            s(
                f,
                &[
                    "service",
                    "action",
                    "awsApiCallAction",
                    "remoteIpDetails",
                    "ipAddressV4"
                ]
            ),
            ATTACKER_IP
        );
        // The finding counts the attacker's calls with the key.
        assert_eq!(EXFIL_FINDING_COUNTS.1 as usize, STOLEN_KEY_ATTACKER_EVENTS);
        let kinds: Vec<(&str, &str)> = lake
            .findings
            .iter()
            .map(|(_, f)| (s(f, &["type"]), s(f, &["accountId"])))
            .collect();
        for (kind, acct) in [
            ("Recon:EC2/PortProbeUnprotectedPort", PROD_ACCOUNT),
            ("Persistence:IAMUser/AnomalousBehavior", PROD_ACCOUNT),
            ("Discovery:S3/MaliciousIPCaller", PROD_ACCOUNT),
            ("Recon:IAMUser/MaliciousIPCaller", DEV_ACCOUNT),
            ("Policy:IAMUser/RootCredentialUsage", DEV_ACCOUNT),
        ] {
            assert!(kinds.contains(&(kind, acct)), "{kind}");
        }
        let probe = lake
            .findings
            .iter()
            .map(|(_, f)| f)
            .find(|f| {
                f.to_string().contains(ATTACKER_IP)
                    && f["type"] == "Recon:EC2/PortProbeUnprotectedPort"
            })
            .unwrap();
        assert_eq!(probe["severity"], 5);
        let nic = &probe["resource"]["instanceDetails"]["networkInterfaces"][0];
        assert_eq!(s(nic, &["publicIp"]), INSTANCE_PUBLIC_IP);
        assert_eq!(s(nic, &["privateIpAddress"]), INSTANCE_PRIVATE_IP);
    }

    fn allowed(ip: Ipv4Addr) -> bool {
        let o = ip.octets();
        ip.is_private()
            || ip.to_string() == INSTANCE_PUBLIC_IP
            || matches!(o, [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _])
    }

    fn addresses(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(text) => {
                // Split on separators only, so that versions such as `Chrome/124.0.0.0` stay whole.
                for token in text.split(|c: char| c.is_whitespace() || ",;()[]\"'".contains(c)) {
                    let token = token.trim_matches('.');
                    if token.matches('.').count() == 3 && token.parse::<Ipv4Addr>().is_ok() {
                        out.push(token.to_string());
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| addresses(i, out)),
            Value::Object(map) => map.values().for_each(|i| addresses(i, out)),
            _ => {}
        }
    }

    #[test]
    fn only_documentation_private_and_instance_addresses() {
        let lake = lake();
        let mut found = Vec::new();
        for (_, v) in lake
            .events
            .iter()
            .chain(&lake.findings)
            .chain(&lake.insights)
            .chain(&lake.digests)
        {
            addresses(v, &mut found);
        }
        let distinct: BTreeSet<String> = found.into_iter().collect();
        for ip in &distinct {
            assert!(
                allowed(ip.parse().unwrap()),
                "{ip} is not a documentation address"
            );
        }
        for ip in [
            ATTACKER_IP,
            OFFICE_IP,
            CI_IP,
            INSTANCE_PUBLIC_IP,
            INSTANCE_PRIVATE_IP,
        ] {
            assert!(distinct.contains(ip), "{ip} never appears");
        }
        // Service principals stand in for addresses too, as in real trails.
        let sources: BTreeSet<&str> = lake
            .events
            .iter()
            .map(|(_, e)| s(e, &["sourceIPAddress"]))
            .collect();
        for name in [
            "ec2.amazonaws.com",
            "config.amazonaws.com",
            "AWS Internal",
            "lambda.amazonaws.com",
        ] {
            assert!(sources.contains(name), "{name}");
        }
    }
}
