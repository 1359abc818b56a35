//! The intrusion of 2024-05-02: the probe, the stolen instance key, the backdoor user and its
//! key, the hop into the dev account, and GuardDuty's findings about each step.

use serde_json::json;

use super::cast::{bucket, cross_role, kali, user_identity, web_role, DEV, EUW1, PROD, USE1};
use super::clock::{at, aws_date};
use super::cloudtrail::{Actor, Call};
use super::guardduty::{
    access_key, api_call, backdoor_key_details, bucket_details, instance_resource, port_probe,
    stolen_key_details, threat_evidence, web_instance, Finding,
};
use super::ids::hex_id;
use super::story::{
    ATTACKER_IP, BACKDOOR_KEY, BACKDOOR_USER, BACKDOOR_USER_ID, CROSS_ACCOUNT_KEY,
    CROSS_ACCOUNT_SESSION, EXFIL_FINDING_ID, INSTANCE_ID, PROD_ACCOUNT, STOLEN_KEY,
};
use super::{story, Gen};

impl Gen {
    /// The intrusion of 2024-05-02, scripted to the second.
    pub(super) fn intrusion(&mut self) {
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
}

#[cfg(test)]
mod tests {
    use crate::demo::clock::HOURS;
    use crate::demo::guardduty::stolen_key_details;
    use crate::demo::story::{
        ATTACKER_IP, BACKDOOR_KEY, BACKDOOR_USER, BACKDOOR_USER_ARN, CROSS_ACCOUNT_KEY,
        CROSS_ACCOUNT_ROLE_ARN, CROSS_ACCOUNT_SESSION_ARN, DEV_ACCOUNT, EXFIL_FINDING_COUNTS,
        EXFIL_FINDING_ID, EXFIL_FINDING_TYPE, INSTANCE_ID, INSTANCE_PRINCIPAL_ID,
        INSTANCE_PRIVATE_IP, INSTANCE_PUBLIC_IP, INSTANCE_ROLE_ARN, INSTANCE_ROLE_ID,
        INSTANCE_SESSION_ARN, INTRUSION_DAY, PROD_ACCOUNT, STOLEN_KEY, STOLEN_KEY_ATTACKER_EVENTS,
        STOLEN_KEY_ISSUED_AT,
    };
    use crate::demo::testlake::{lake, s};
    use serde_json::Value;

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
}
