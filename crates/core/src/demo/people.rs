//! People at work in the console (alice, bob, and a root sign-in), with the two low-severity
//! incidents GuardDuty reports about them.

use serde_json::{json, Value};

use super::cast::{
    bucket, console_context, user_identity, with, Role, ACCOUNTS, CHROME, DEV, EUW1, FIREFOX, PROD,
    SSO_ROLE, USE1,
};
use super::clock::at;
use super::cloudtrail::Actor;
use super::guardduty::{access_key, api_call, bucket_details, plain_info, Finding};
use super::ids::hex_id;
use super::story::{DEV_ACCOUNT, OFFICE_IP};
use super::Gen;

impl Gen {
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
    pub(super) fn people(&mut self) {
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
}
