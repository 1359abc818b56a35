//! Routine CloudTrail traffic of machines: AWS Config, Lambda functions, the web-app instance
//! (its credentials, calls and S3 object reads) and CI deployments.

use serde_json::{json, Value};

use super::cast::{
    ci_cli, kms_key, user_identity, web_role, with, Bucket, Role, ACCOUNTS, BOTO, BUCKETS, CONFIG,
    DEV, EUW1, INFIX, INTERNAL, PROD, SSM_AGENT, USE1,
};
use super::clock::{at, BASE, DAY, HOURS};
use super::cloudtrail::{Actor, Call};
use super::ids::{Rng, BASE32};
use super::story::{
    CI_IP, INSTANCE_ID, INSTANCE_PRIVATE_IP, INSTANCE_PUBLIC_IP, PROD_ACCOUNT, REGIONS, STOLEN_KEY,
};
use super::Gen;

impl Gen {
    /// AWS Config describing resources: the steady hum of every account and region.
    pub(super) fn config_hour(&mut self, acct: usize, region: usize, hour: i64) {
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
    pub(super) fn lambda_hour(&mut self, acct: usize, region: usize, hour: i64) {
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
    pub(super) fn web_app(&mut self) -> Vec<(i64, String)> {
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
    pub(super) fn web_objects(&mut self, issued: &[(i64, String)]) {
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
    pub(super) fn ci(&mut self, day: i64) {
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
}
