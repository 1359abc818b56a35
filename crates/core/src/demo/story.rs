//! Facts of the story, for the README, `trawl demo`'s message and tests.

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
