//! Who and what the demo lake is about: its accounts, regions and buckets, the user agents
//! of its callers, and the roles and users CloudTrail names as `userIdentity`.

use serde_json::{json, Value};

use super::clock::iso;
use super::ids::{Rng, BASE32};
use super::story::{
    BACKDOOR_USER, BACKDOOR_USER_ID, DEV_ACCOUNT, INSTANCE_ROLE_ID, PROD_ACCOUNT, REGIONS,
};

// Indices into `ACCOUNTS` and `story::REGIONS`.
pub(super) const PROD: usize = 0;
pub(super) const DEV: usize = 1;
pub(super) const USE1: usize = 0;
pub(super) const EUW1: usize = 1;
pub(super) const ACCOUNTS: [&str; 2] = [PROD_ACCOUNT, DEV_ACCOUNT];
/// Access keys and unique ids of one account share characters after the prefix, as real ones do.
pub(super) const INFIX: [&str; 2] = ["QNZGKR3X", "VW3T7KDQ"];
pub(super) const HOME_REGION: &str = "us-east-1";

pub(super) const SSO_ROLE: &str = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
pub(super) const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
pub(super) const FIREFOX: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0";
pub(super) const BOTO: &str = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.84-99.169.amzn2023.x86_64 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.84";
pub(super) const SSM_AGENT: &str =
    "aws-sdk-go/1.44.260 (go1.21.9; linux; amd64) amazon-ssm-agent/3.3.380.0";
pub(super) const CONFIG: &str = "config.amazonaws.com";
pub(super) const INTERNAL: &str = "AWS Internal";

/// (account, region, name, has a bucket policy)
pub(super) type Bucket = (usize, usize, &'static str, bool);
pub(super) const BUCKETS: [Bucket; 6] = [
    (PROD, USE1, "prod-customer-data", true),
    (PROD, USE1, "prod-backups", false),
    (PROD, USE1, "prod-web-assets", true),
    (PROD, EUW1, "prod-app-logs-eu", false),
    (DEV, USE1, "dev-static-site", false),
    (DEV, EUW1, "dev-build-artifacts", false),
];

pub(super) fn bucket(name: &str) -> &'static Bucket {
    BUCKETS.iter().find(|b| b.2 == name).expect("known bucket")
}

/// The attacker's AWS CLI on Kali Linux; the command changes with each call.
pub(super) fn kali(cmd: &str) -> String {
    format!("aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.6.9-amd64 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#kali.2024 md/prompt#off md/command#{cmd}")
}

/// The CI runner's AWS CLI.
pub(super) fn ci_cli(cmd: &str) -> String {
    format!("aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1018-azure md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#{cmd}")
}

/// An IAM role; sessions of it are the callers CloudTrail shows as `AssumedRole`.
pub(super) struct Role {
    pub(super) acct: usize,
    pub(super) name: &'static str,
    pub(super) path: &'static str,
}

impl Role {
    pub(super) fn new(acct: usize, name: &'static str) -> Role {
        Role {
            acct,
            name,
            path: "",
        }
    }

    pub(super) fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role/{}{}",
            ACCOUNTS[self.acct], self.path, self.name
        )
    }

    pub(super) fn session_arn(&self, session: &str) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{session}",
            ACCOUNTS[self.acct], self.name
        )
    }

    pub(super) fn id(&self) -> String {
        principal_id("AROA", self.acct, self.name)
    }

    /// The `userIdentity` of a session of this role.
    pub(super) fn identity(&self, session: &str, key: Option<&str>, created: i64) -> Value {
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

    pub(super) fn resources(&self) -> Value {
        json!([{"accountId": ACCOUNTS[self.acct], "type": "AWS::IAM::Role", "ARN": self.arn()}])
    }
}

pub(super) fn web_role() -> Role {
    Role::new(PROD, "web-app-role")
}

pub(super) fn cross_role() -> Role {
    Role::new(DEV, "OrganizationAccountAccessRole")
}

/// The `userIdentity` of an IAM user; `console` is when its console session began.
pub(super) fn user_identity(
    acct: usize,
    name: &str,
    key: Option<&str>,
    console: Option<i64>,
) -> Value {
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

pub(super) fn console_context(since: i64) -> Value {
    json!({
        "sessionIssuer": {},
        "webIdFederationData": {},
        "attributes": {"creationDate": iso(since), "mfaAuthenticated": "true"},
    })
}

pub(super) fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

/// A stable identifier such as `AIDA...` or `AROA...` for a named principal.
pub(super) fn principal_id(prefix: &str, acct: usize, name: &str) -> String {
    match name {
        "web-app-role" if acct == PROD => INSTANCE_ROLE_ID.to_string(),
        BACKDOOR_USER if acct == PROD => BACKDOOR_USER_ID.to_string(),
        _ => {
            let tail = Rng::seeded(&format!("{prefix}/{acct}/{name}")).chars(BASE32, 9);
            format!("{prefix}{}{tail}", INFIX[acct])
        }
    }
}

/// The KMS key of an account in a region.
pub(super) fn kms_key(acct: usize, region: usize) -> String {
    let id = Rng::seeded(&format!("kms/{acct}/{region}")).uuid();
    format!(
        "arn:aws:kms:{}:{}:key/{id}",
        REGIONS[region], ACCOUNTS[acct]
    )
}
