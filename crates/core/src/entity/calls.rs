//! What a CloudTrail call names in its request and response, and the part each thing plays there:
//! the user `AttachUserPolicy` changes (target), the key and session `AssumeRole` hands out
//! (created), the other account a snapshot is shared with (shared with).
//!
//! The table covers the calls an investigator pivots through (the identity and access calls of
//! IAM and STS, the EC2, SSM, S3, KMS, Lambda, RDS and logging calls attackers use, and the ones
//! that share a resource with another account), written from AWS's API references and the
//! request and response shapes CloudTrail logs. Only the calls listed here have their bodies
//! read: the fast CloudTrail reader (`Record::from_cloudtrail_text`) parses the bodies of exactly
//! these calls, so both readings agree.

use serde_json::Value;

use super::{is_account, is_iam_name, parse_arn, Collector, EntityKind, EntityRole};

/// How a field's value becomes entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// An access key id.
    Key,
    /// An ARN: a principal's (user, role, session, root, instance profile) or a resource's.
    Arn,
    /// A unique id of a user or role (`AIDA…`, `AROA…:session`).
    PrincipalId,
    /// An IAM user name: the name, and the user's ARN in the call's account.
    UserName,
    /// An IAM role name: the role's ARN in the call's account.
    RoleName,
    /// An IAM group name: the group's ARN, a resource.
    GroupName,
    /// An instance profile name: its ARN, a principal.
    InstanceProfileName,
    /// An account id.
    Account,
    /// An EC2 instance id.
    Instance,
    /// A resource's id, name or ARN.
    Resource,
    /// An S3 bucket name: the bucket's ARN, a resource.
    Bucket,
    /// An IP address.
    Ip,
    /// A principal as resource policies and permissions write it: an ARN, an account id, or a
    /// service (which is no entity).
    Grantee,
    /// A policy document (JSON text or object): the principals its statements allow.
    Policy,
    /// A name a session carries for the person behind it (`sourceIdentity`).
    SourceIdentity,
}

use EntityRole::{Actor, Created, SharedWith, Target};
use Field::*;

/// One field of a call: where it is (`request.` or `response.`, then keys; arrays on the way
/// are walked through), what it holds, and the part it plays.
#[derive(Debug, Clone, Copy)]
struct Rule {
    path: &'static str,
    field: Field,
    role: EntityRole,
}

const fn r(path: &'static str, field: Field, role: EntityRole) -> Rule {
    Rule { path, field, role }
}

/// The calls of one service (`eventSource`), each with its rules.
struct Service {
    source: &'static str,
    calls: &'static [(&'static str, &'static [Rule])],
}

/// The credentials an STS call hands out (written in the order the entities were always
/// listed: the key, the session, then the role asked for).
const ASSUME: &[Rule] = &[
    r("response.credentials.accessKeyId", Key, Created),
    r("response.assumedRoleUser.arn", Arn, Created),
    r(
        "response.assumedRoleUser.assumedRoleId",
        PrincipalId,
        Created,
    ),
    r("request.roleArn", Arn, Target),
    r("request.sourceIdentity", SourceIdentity, Actor),
    r("response.sourceIdentity", SourceIdentity, Actor),
];
const USER: &[Rule] = &[r("request.userName", UserName, Target)];
const USER_POLICY: &[Rule] = &[
    r("request.userName", UserName, Target),
    r("request.policyArn", Resource, Target),
    r("request.permissionsBoundary", Resource, Target),
];
const USER_GROUP: &[Rule] = &[
    r("request.userName", UserName, Target),
    r("request.groupName", GroupName, Target),
];
const USER_MFA: &[Rule] = &[
    r("request.userName", UserName, Target),
    r("request.serialNumber", Resource, Target),
];
const USER_KEY: &[Rule] = &[
    r("request.accessKeyId", Key, Target),
    r("request.userName", UserName, Target),
];
const ROLE: &[Rule] = &[r("request.roleName", RoleName, Target)];
const ROLE_POLICY: &[Rule] = &[
    r("request.roleName", RoleName, Target),
    r("request.policyArn", Resource, Target),
    r("request.permissionsBoundary", Resource, Target),
];
const ROLE_PROFILE: &[Rule] = &[
    r("request.roleName", RoleName, Target),
    r("request.instanceProfileName", InstanceProfileName, Target),
];
const GROUP: &[Rule] = &[
    r("request.groupName", GroupName, Target),
    r("request.policyArn", Resource, Target),
];
const POLICY: &[Rule] = &[r("request.policyArn", Resource, Target)];
const INSTANCES: &[Rule] = &[
    r("request.instancesSet.items.instanceId", Instance, Target),
    r("response.instancesSet.items.instanceId", Instance, Target),
];
const INSTANCE: &[Rule] = &[r("request.instanceId", Instance, Target)];
const GROUP_RULES: &[Rule] = &[
    r("request.groupId", Resource, Target),
    r(
        "response.securityGroupRuleSet.items.securityGroupRuleId",
        Resource,
        Created,
    ),
    r(
        "response.securityGroupRuleSet.items.referencedGroupInfo.groupId",
        Resource,
        Target,
    ),
    r(
        "response.securityGroupRuleSet.items.referencedGroupInfo.userId",
        Account,
        SharedWith,
    ),
];
const SECRET: &[Rule] = &[r("request.secretId", Resource, Target)];
const BUCKET: &[Rule] = &[r("request.bucketName", Bucket, Target)];
const KMS_KEY: &[Rule] = &[
    r("request.keyId", Resource, Target),
    r("response.keyId", Resource, Target),
];
const TRAIL: &[Rule] = &[
    r("request.name", Resource, Target),
    r("request.trailName", Resource, Target),
    r("response.trailARN", Resource, Target),
];
const RECORDER: &[Rule] = &[
    r("request.configurationRecorderName", Resource, Target),
    r("request.deliveryChannelName", Resource, Target),
];
const FUNCTION: &[Rule] = &[
    r("request.functionName", Resource, Target),
    r("response.functionArn", Resource, Target),
    r("request.role", Arn, Target),
    r("request.layers", Resource, Target),
];
const DB_INSTANCE: &[Rule] = &[
    r("request.dBInstanceIdentifier", Resource, Target),
    r("response.dBInstanceArn", Resource, Target),
];
const MODEL: &[Rule] = &[r("request.modelId", Resource, Target)];

const SERVICES: &[Service] = &[
    Service {
        source: "sts.amazonaws.com",
        calls: &[
            ("AssumeRole", ASSUME),
            ("AssumeRoleWithSAML", ASSUME),
            ("AssumeRoleWithWebIdentity", ASSUME),
            (
                "GetFederationToken",
                &[
                    r("response.credentials.accessKeyId", Key, Created),
                    r("response.federatedUser.arn", Arn, Created),
                    r("response.federatedUser.federatedUserId", PrincipalId, Created),
                ],
            ),
            (
                "GetSessionToken",
                &[r("response.credentials.accessKeyId", Key, Created)],
            ),
            (
                "AssumeRoot",
                &[
                    r("response.credentials.accessKeyId", Key, Created),
                    r("request.targetPrincipal", Account, Target),
                    r("request.taskPolicyArn.arn", Resource, Target),
                ],
            ),
            ("GetAccessKeyInfo", &[r("request.accessKeyId", Key, Target)]),
        ],
    },
    Service {
        source: "iam.amazonaws.com",
        calls: &[
            (
                "CreateUser",
                &[
                    r("request.userName", UserName, Created),
                    r("response.user.arn", Arn, Created),
                    r("response.user.userId", PrincipalId, Created),
                ],
            ),
            ("DeleteUser", USER),
            (
                "UpdateUser",
                &[
                    r("request.userName", UserName, Target),
                    r("request.newUserName", UserName, Target),
                ],
            ),
            ("TagUser", USER),
            ("UntagUser", USER),
            ("CreateLoginProfile", USER),
            ("UpdateLoginProfile", USER),
            ("DeleteLoginProfile", USER),
            (
                "CreateAccessKey",
                &[
                    r("response.accessKey.accessKeyId", Key, Created),
                    r("response.accessKey.userName", UserName, Target),
                    r("request.userName", UserName, Target),
                ],
            ),
            ("UpdateAccessKey", USER_KEY),
            ("DeleteAccessKey", USER_KEY),
            ("AttachUserPolicy", USER_POLICY),
            ("DetachUserPolicy", USER_POLICY),
            ("PutUserPolicy", USER_POLICY),
            ("DeleteUserPolicy", USER_POLICY),
            ("PutUserPermissionsBoundary", USER_POLICY),
            ("DeleteUserPermissionsBoundary", USER_POLICY),
            ("AddUserToGroup", USER_GROUP),
            ("RemoveUserFromGroup", USER_GROUP),
            ("EnableMFADevice", USER_MFA),
            ("DeactivateMFADevice", USER_MFA),
            ("ResyncMFADevice", USER_MFA),
            (
                "CreateVirtualMFADevice",
                &[r("response.virtualMFADevice.serialNumber", Resource, Created)],
            ),
            ("UploadSSHPublicKey", USER),
            ("UploadSigningCertificate", USER),
            ("CreateServiceSpecificCredential", USER),
            ("ResetServiceSpecificCredential", USER),
            (
                "CreateRole",
                &[
                    r("request.roleName", RoleName, Created),
                    r("response.role.arn", Arn, Created),
                    r("response.role.roleId", PrincipalId, Created),
                    r("request.assumeRolePolicyDocument", Policy, SharedWith),
                    r("request.permissionsBoundary", Resource, Target),
                ],
            ),
            (
                "UpdateAssumeRolePolicy",
                &[
                    r("request.roleName", RoleName, Target),
                    r("request.policyDocument", Policy, SharedWith),
                ],
            ),
            ("DeleteRole", ROLE),
            ("UpdateRole", ROLE),
            ("UpdateRoleDescription", ROLE),
            ("TagRole", ROLE),
            ("UntagRole", ROLE),
            ("PutRolePolicy", ROLE_POLICY),
            ("DeleteRolePolicy", ROLE_POLICY),
            ("AttachRolePolicy", ROLE_POLICY),
            ("DetachRolePolicy", ROLE_POLICY),
            ("PutRolePermissionsBoundary", ROLE_POLICY),
            ("DeleteRolePermissionsBoundary", ROLE_POLICY),
            (
                "CreateServiceLinkedRole",
                &[r("response.role.arn", Arn, Created)],
            ),
            (
                "CreateInstanceProfile",
                &[
                    r("request.instanceProfileName", InstanceProfileName, Created),
                    r("response.instanceProfile.arn", Arn, Created),
                ],
            ),
            ("AddRoleToInstanceProfile", ROLE_PROFILE),
            ("RemoveRoleFromInstanceProfile", ROLE_PROFILE),
            (
                "CreateGroup",
                &[
                    r("request.groupName", GroupName, Created),
                    r("response.group.arn", Resource, Created),
                ],
            ),
            ("DeleteGroup", GROUP),
            ("AttachGroupPolicy", GROUP),
            ("DetachGroupPolicy", GROUP),
            ("PutGroupPolicy", GROUP),
            ("DeleteGroupPolicy", GROUP),
            ("CreatePolicy", &[r("response.policy.arn", Resource, Created)]),
            ("CreatePolicyVersion", POLICY),
            ("SetDefaultPolicyVersion", POLICY),
            ("DeletePolicy", POLICY),
            (
                "CreateSAMLProvider",
                &[r("response.sAMLProviderArn", Resource, Created)],
            ),
            (
                "CreateOpenIDConnectProvider",
                &[r("response.openIDConnectProviderArn", Resource, Created)],
            ),
        ],
    },
    Service {
        source: "ec2.amazonaws.com",
        calls: &[
            (
                "RunInstances",
                &[
                    r("response.instancesSet.items.instanceId", Instance, Created),
                    r("request.instancesSet.items.imageId", Resource, Target),
                    r("request.iamInstanceProfile.arn", Arn, Target),
                    r("request.iamInstanceProfile.name", InstanceProfileName, Target),
                    r("response.instancesSet.items.iamInstanceProfile.arn", Arn, Target),
                    r("response.instancesSet.items.privateIpAddress", Ip, Created),
                    r(
                        "response.instancesSet.items.networkInterfaceSet.items.privateIpAddress",
                        Ip,
                        Created,
                    ),
                    r(
                        "response.instancesSet.items.networkInterfaceSet.items.association.publicIp",
                        Ip,
                        Created,
                    ),
                    r("request.subnetId", Resource, Target),
                    r("response.instancesSet.items.subnetId", Resource, Target),
                    r("response.instancesSet.items.vpcId", Resource, Target),
                    r("response.instancesSet.items.groupSet.items.groupId", Resource, Target),
                    r(
                        "response.instancesSet.items.networkInterfaceSet.items.networkInterfaceId",
                        Resource,
                        Created,
                    ),
                    r("request.instancesSet.items.keyName", Resource, Target),
                ],
            ),
            ("StartInstances", INSTANCES),
            ("StopInstances", INSTANCES),
            ("TerminateInstances", INSTANCES),
            ("RebootInstances", INSTANCES),
            ("MonitorInstances", INSTANCES),
            ("DescribeInstances", INSTANCES),
            ("ModifyInstanceAttribute", INSTANCE),
            ("DescribeInstanceAttribute", INSTANCE),
            ("ResetInstanceAttribute", INSTANCE),
            ("GetPasswordData", INSTANCE),
            ("GetConsoleOutput", INSTANCE),
            ("GetConsoleScreenshot", INSTANCE),
            (
                "ModifyInstanceMetadataOptions",
                &[r("request.ModifyInstanceMetadataOptionsRequest.InstanceId", Instance, Target)],
            ),
            (
                "AssociateIamInstanceProfile",
                &[
                    r("request.AssociateIamInstanceProfileRequest.InstanceId", Instance, Target),
                    r("request.AssociateIamInstanceProfileRequest.IamInstanceProfile.Arn", Arn, Target),
                    r(
                        "request.AssociateIamInstanceProfileRequest.IamInstanceProfile.Name",
                        InstanceProfileName,
                        Target,
                    ),
                ],
            ),
            (
                "ReplaceIamInstanceProfileAssociation",
                &[
                    r(
                        "request.ReplaceIamInstanceProfileAssociationRequest.IamInstanceProfile.Arn",
                        Arn,
                        Target,
                    ),
                    r(
                        "request.ReplaceIamInstanceProfileAssociationRequest.IamInstanceProfile.Name",
                        InstanceProfileName,
                        Target,
                    ),
                ],
            ),
            (
                "ModifySnapshotAttribute",
                &[
                    r("request.snapshotId", Resource, Target),
                    r("request.createVolumePermission.add.items.userId", Account, SharedWith),
                ],
            ),
            (
                "ModifyImageAttribute",
                &[
                    r("request.imageId", Resource, Target),
                    r("request.launchPermission.add.items.userId", Account, SharedWith),
                ],
            ),
            (
                "CreateSnapshot",
                &[
                    r("request.volumeId", Resource, Target),
                    r("response.snapshotId", Resource, Created),
                ],
            ),
            (
                "CopySnapshot",
                &[
                    r("request.sourceSnapshotId", Resource, Target),
                    r("response.snapshotId", Resource, Created),
                ],
            ),
            ("DeleteSnapshot", &[r("request.snapshotId", Resource, Target)]),
            (
                "CreateImage",
                &[
                    r("request.instanceId", Instance, Target),
                    r("response.imageId", Resource, Created),
                ],
            ),
            (
                "CopyImage",
                &[
                    r("request.sourceImageId", Resource, Target),
                    r("response.imageId", Resource, Created),
                ],
            ),
            ("DeregisterImage", &[r("request.imageId", Resource, Target)]),
            ("AuthorizeSecurityGroupIngress", GROUP_RULES),
            ("AuthorizeSecurityGroupEgress", GROUP_RULES),
            ("RevokeSecurityGroupIngress", GROUP_RULES),
            ("RevokeSecurityGroupEgress", GROUP_RULES),
            (
                "CreateSecurityGroup",
                &[
                    r("response.groupId", Resource, Created),
                    r("request.vpcId", Resource, Target),
                ],
            ),
            ("DeleteSecurityGroup", &[r("request.groupId", Resource, Target)]),
            ("CreateVpc", &[r("response.vpc.vpcId", Resource, Created)]),
            ("DeleteVpc", &[r("request.vpcId", Resource, Target)]),
            (
                "CreateSubnet",
                &[
                    r("response.subnet.subnetId", Resource, Created),
                    r("request.vpcId", Resource, Target),
                ],
            ),
            ("DeleteSubnet", &[r("request.subnetId", Resource, Target)]),
            (
                "CreateNetworkInterface",
                &[
                    r("response.networkInterface.networkInterfaceId", Resource, Created),
                    r("request.subnetId", Resource, Target),
                ],
            ),
            (
                "DeleteNetworkInterface",
                &[r("request.networkInterfaceId", Resource, Target)],
            ),
            ("CreateKeyPair", &[r("request.keyName", Resource, Created)]),
            ("ImportKeyPair", &[r("request.keyName", Resource, Created)]),
            ("DeleteKeyPair", &[r("request.keyName", Resource, Target)]),
            (
                "DeleteFlowLogs",
                &[
                    r("request.DeleteFlowLogsRequest.FlowLogId", Resource, Target),
                    r("request.DeleteFlowLogsRequest.FlowLogId.content", Resource, Target),
                ],
            ),
        ],
    },
    Service {
        source: "ec2-instance-connect.amazonaws.com",
        calls: &[
            ("SendSSHPublicKey", INSTANCE),
            ("SendSerialConsoleSSHPublicKey", INSTANCE),
        ],
    },
    Service {
        source: "ssm.amazonaws.com",
        calls: &[
            (
                "SendCommand",
                &[
                    r("request.instanceIds", Instance, Target),
                    r("request.documentName", Resource, Target),
                ],
            ),
            (
                "StartSession",
                &[
                    r("request.target", Instance, Target),
                    r("response.sessionId", Resource, Created),
                ],
            ),
            ("ResumeSession", &[r("request.sessionId", Resource, Target)]),
            ("TerminateSession", &[r("request.sessionId", Resource, Target)]),
            ("GetCommandInvocation", INSTANCE),
            ("GetParameter", &[r("request.name", Resource, Target)]),
            ("GetParameters", &[r("request.names", Resource, Target)]),
            ("PutParameter", &[r("request.name", Resource, Target)]),
            ("DeleteParameter", &[r("request.name", Resource, Target)]),
        ],
    },
    Service {
        source: "secretsmanager.amazonaws.com",
        calls: &[
            ("GetSecretValue", SECRET),
            (
                "BatchGetSecretValue",
                &[r("request.secretIdList", Resource, Target)],
            ),
            ("PutSecretValue", SECRET),
            ("UpdateSecret", SECRET),
            ("DeleteSecret", SECRET),
            ("RestoreSecret", SECRET),
            ("CreateSecret", &[r("response.aRN", Resource, Created)]),
            (
                "PutResourcePolicy",
                &[
                    r("request.secretId", Resource, Target),
                    r("request.resourcePolicy", Policy, SharedWith),
                ],
            ),
        ],
    },
    Service {
        source: "s3.amazonaws.com",
        calls: &[
            ("CreateBucket", &[r("request.bucketName", Bucket, Created)]),
            ("DeleteBucket", BUCKET),
            (
                "PutBucketPolicy",
                &[
                    r("request.bucketName", Bucket, Target),
                    r("request.bucketPolicy", Policy, SharedWith),
                ],
            ),
            ("DeleteBucketPolicy", BUCKET),
            ("PutBucketAcl", BUCKET),
            ("PutBucketVersioning", BUCKET),
            ("PutBucketLogging", BUCKET),
            ("PutBucketLifecycle", BUCKET),
            ("DeleteBucketLifecycle", BUCKET),
            ("PutBucketPublicAccessBlock", BUCKET),
            ("DeleteBucketPublicAccessBlock", BUCKET),
            ("PutBucketEncryption", BUCKET),
            ("DeleteBucketEncryption", BUCKET),
            ("PutBucketReplication", BUCKET),
            ("DeleteBucketReplication", BUCKET),
            ("PutBucketWebsite", BUCKET),
        ],
    },
    Service {
        source: "kms.amazonaws.com",
        calls: &[
            ("DisableKey", KMS_KEY),
            ("EnableKey", KMS_KEY),
            ("ScheduleKeyDeletion", KMS_KEY),
            ("CancelKeyDeletion", KMS_KEY),
            ("DisableKeyRotation", KMS_KEY),
            (
                "CreateKey",
                &[
                    r("response.keyMetadata.arn", Resource, Created),
                    r("response.keyMetadata.keyId", Resource, Created),
                ],
            ),
            (
                "PutKeyPolicy",
                &[
                    r("request.keyId", Resource, Target),
                    r("request.policy", Policy, SharedWith),
                ],
            ),
            (
                "CreateGrant",
                &[
                    r("request.keyId", Resource, Target),
                    r("request.granteePrincipal", Grantee, SharedWith),
                ],
            ),
        ],
    },
    Service {
        source: "cloudtrail.amazonaws.com",
        calls: &[
            (
                "CreateTrail",
                &[
                    r("request.name", Resource, Created),
                    r("response.trailARN", Resource, Created),
                    r("request.s3BucketName", Bucket, Target),
                ],
            ),
            (
                "DescribeTrails",
                &[r("request.trailNameList", Resource, Target)],
            ),
            ("StopLogging", TRAIL),
            ("DeleteTrail", TRAIL),
            ("UpdateTrail", TRAIL),
            ("PutEventSelectors", TRAIL),
            ("PutInsightSelectors", TRAIL),
        ],
    },
    Service {
        source: "config.amazonaws.com",
        calls: &[
            ("StopConfigurationRecorder", RECORDER),
            ("StartConfigurationRecorder", RECORDER),
            ("DeleteConfigurationRecorder", RECORDER),
            ("DeleteDeliveryChannel", RECORDER),
        ],
    },
    Service {
        source: "lambda.amazonaws.com",
        calls: &[
            (
                "CreateFunction",
                &[
                    r("request.functionName", Resource, Created),
                    r("response.functionArn", Resource, Created),
                    r("request.role", Arn, Target),
                ],
            ),
            ("UpdateFunctionCode", FUNCTION),
            ("UpdateFunctionConfiguration", FUNCTION),
            ("DeleteFunction", FUNCTION),
            (
                "AddPermission",
                &[
                    r("request.functionName", Resource, Target),
                    r("request.principal", Grantee, SharedWith),
                    r("request.sourceAccount", Account, SharedWith),
                ],
            ),
            (
                "AddLayerVersionPermission",
                &[
                    r("request.layerName", Resource, Target),
                    r("request.principal", Grantee, SharedWith),
                ],
            ),
        ],
    },
    Service {
        source: "rds.amazonaws.com",
        calls: &[
            (
                "CreateDBInstance",
                &[
                    r("request.dBInstanceIdentifier", Resource, Created),
                    r("response.dBInstanceArn", Resource, Created),
                ],
            ),
            ("ModifyDBInstance", DB_INSTANCE),
            ("DeleteDBInstance", DB_INSTANCE),
            ("StopDBInstance", DB_INSTANCE),
            ("RebootDBInstance", DB_INSTANCE),
            (
                "CreateDBSnapshot",
                &[
                    r("request.dBInstanceIdentifier", Resource, Target),
                    r("request.dBSnapshotIdentifier", Resource, Created),
                ],
            ),
            (
                "ModifyDBSnapshotAttribute",
                &[
                    r("request.dBSnapshotIdentifier", Resource, Target),
                    r("request.valuesToAdd", Account, SharedWith),
                ],
            ),
            (
                "ModifyDBClusterSnapshotAttribute",
                &[
                    r("request.dBClusterSnapshotIdentifier", Resource, Target),
                    r("request.valuesToAdd", Account, SharedWith),
                ],
            ),
        ],
    },
    Service {
        source: "organizations.amazonaws.com",
        calls: &[
            (
                "InviteAccountToOrganization",
                &[r("request.target.id", Account, Target)],
            ),
            (
                "CreateAccount",
                &[r("response.createAccountStatus.accountId", Account, Created)],
            ),
            (
                "RemoveAccountFromOrganization",
                &[r("request.accountId", Account, Target)],
            ),
        ],
    },
    Service {
        source: "route53resolver.amazonaws.com",
        calls: &[
            (
                "DeleteResolverQueryLogConfig",
                &[r("request.resolverQueryLogConfigId", Resource, Target)],
            ),
            (
                "DisassociateResolverQueryLogConfig",
                &[
                    r("request.resolverQueryLogConfigId", Resource, Target),
                    r("request.resourceId", Resource, Target),
                ],
            ),
        ],
    },
    Service {
        source: "guardduty.amazonaws.com",
        calls: &[
            ("DeleteDetector", &[r("request.detectorId", Resource, Target)]),
            ("UpdateDetector", &[r("request.detectorId", Resource, Target)]),
        ],
    },
    Service {
        source: "ram.amazonaws.com",
        calls: &[
            (
                "CreateResourceShare",
                &[
                    r("request.resourceArns", Resource, Target),
                    r("request.principals", Grantee, SharedWith),
                    r("response.resourceShare.resourceShareArn", Resource, Created),
                ],
            ),
            (
                "AssociateResourceShare",
                &[
                    r("request.resourceShareArn", Resource, Target),
                    r("request.resourceArns", Resource, Target),
                    r("request.principals", Grantee, SharedWith),
                ],
            ),
        ],
    },
    Service {
        source: "sqs.amazonaws.com",
        calls: &[(
            "AddPermission",
            &[
                r("request.queueUrl", Resource, Target),
                r("request.aWSAccountIds", Account, SharedWith),
            ],
        )],
    },
    Service {
        source: "sns.amazonaws.com",
        calls: &[(
            "AddPermission",
            &[
                r("request.topicArn", Resource, Target),
                r("request.aWSAccountId", Account, SharedWith),
            ],
        )],
    },
    Service {
        source: "ecr.amazonaws.com",
        calls: &[(
            "SetRepositoryPolicy",
            &[
                r("request.repositoryName", Resource, Target),
                r("request.policyText", Policy, SharedWith),
            ],
        )],
    },
    Service {
        source: "rolesanywhere.amazonaws.com",
        calls: &[
            (
                "CreateTrustAnchor",
                &[r("response.trustAnchor.trustAnchorArn", Resource, Created)],
            ),
            (
                "CreateProfile",
                &[
                    r("request.roleArns", Arn, Target),
                    r("response.profile.profileArn", Resource, Created),
                ],
            ),
        ],
    },
    Service {
        source: "sso.amazonaws.com",
        calls: &[(
            "CreateAccountAssignment",
            &[
                r("request.targetId", Account, Target),
                r("request.permissionSetArn", Resource, Target),
                r("request.principalId", Resource, SharedWith),
            ],
        )],
    },
    Service {
        source: "bedrock.amazonaws.com",
        calls: &[
            ("InvokeModel", MODEL),
            ("InvokeModelWithResponseStream", MODEL),
            ("Converse", MODEL),
            ("ConverseStream", MODEL),
        ],
    },
];

/// Lambda's event names carry the API version (`CreateFunction20150331`,
/// `UpdateFunctionCode20150331v2`): the call's name without it.
fn base_name(name: &str) -> &str {
    let Some(i) = name.find("20") else {
        return name;
    };
    let (head, tail) = name.split_at(i);
    let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &tail[digits..];
    let version_ok = rest.is_empty()
        || rest
            .strip_prefix('v')
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    if digits == 8 && version_ok && !head.is_empty() {
        head
    } else {
        name
    }
}

/// The rules of a call, by event name (the source tells apart the calls several services share:
/// IAM's `CreateUser` from Identity Store's, Lambda's `AddPermission` from SQS's). An event
/// without its source (a fragment, converted data) is matched by name alone.
fn rules(source: &str, name: &str) -> Option<&'static [Rule]> {
    let name = base_name(name);
    SERVICES
        .iter()
        .filter(|s| source.is_empty() || s.source == source)
        .flat_map(|s| s.calls.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, rules)| *rules)
}

/// Whether the request and response bodies of a call are read (by either CloudTrail reader).
pub fn reads_bodies(source: &str, name: &str) -> bool {
    rules(source, name).is_some()
}

/// The calls whose bodies name entities: (event source, event name) for each.
pub fn covered() -> impl Iterator<Item = (&'static str, &'static str)> {
    SERVICES
        .iter()
        .flat_map(|s| s.calls.iter().map(move |(n, _)| (s.source, *n)))
}

/// Where the call happened, for the ARNs built from names.
pub(super) struct Call<'a> {
    pub source: &'a str,
    pub name: &'a str,
    pub partition: &'a str,
    pub account: Option<&'a str>,
}

/// No call names more things in one field than this; a hostile list stops here.
const MAX_VALUES_PER_FIELD: usize = 1000;

/// Adds the entities a call's request and response name, each with its part.
pub(super) fn collect(
    c: &mut Collector,
    call: &Call,
    request: Option<&Value>,
    response: Option<&Value>,
) {
    let Some(rules) = rules(call.source, call.name) else {
        return;
    };
    for rule in rules {
        let (body, path) = match rule.path.split_once('.') {
            Some(("request", path)) => (request, path),
            Some(("response", path)) => (response, path),
            _ => continue,
        };
        let Some(body) = body else { continue };
        let mut values = Vec::new();
        leaves(body, path, &mut values);
        c.as_role(rule.role, |c| {
            for v in values {
                field(c, call, rule.field, v);
            }
        });
    }
}

/// The values at `path` under `v`, walking through every array on the way and at the end.
fn leaves<'a>(v: &'a Value, path: &str, out: &mut Vec<&'a Value>) {
    if out.len() >= MAX_VALUES_PER_FIELD {
        return;
    }
    match v {
        Value::Array(items) => {
            for item in items {
                leaves(item, path, out);
            }
        }
        _ if path.is_empty() => out.push(v),
        Value::Object(map) => {
            let (key, rest) = path.split_once('.').unwrap_or((path, ""));
            if let Some(x) = map.get(key) {
                leaves(x, rest, out);
            }
        }
        _ => {}
    }
}

fn field(c: &mut Collector, call: &Call, field: Field, v: &Value) {
    let text = match v {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    };
    match field {
        Key => c.key(text),
        Arn => arn(c, text),
        PrincipalId => c.principal_id(text),
        UserName => {
            c.user(text);
            iam_arn(c, call, "user", text, EntityKind::Principal);
        }
        RoleName => iam_arn(c, call, "role", text, EntityKind::Principal),
        InstanceProfileName => iam_arn(c, call, "instance-profile", text, EntityKind::Principal),
        GroupName => iam_arn(c, call, "group", text, EntityKind::Resource),
        Account => match v {
            // Converted data sometimes holds account ids as numbers.
            Value::Number(n) => c.account(n.as_u64().map(|n| n.to_string())),
            _ => c.account(text.map(str::to_string)),
        },
        Instance => c.instance(text),
        Resource => c.resource(text),
        Bucket => {
            if let Some(b) = text.map(str::trim).filter(|b| is_bucket_name(b)) {
                c.resource(Some(&format!("arn:{}:s3:::{b}", call.partition)));
            }
        }
        Ip => c.ip(text),
        Grantee => grantee(c, text),
        Policy => policy(c, v),
        SourceIdentity => c.user(text),
    }
}

/// An ARN: principals as principals (a session also gives its role and name), the rest as
/// resources.
fn arn(c: &mut Collector, s: Option<&str>) {
    let Some(a) = s.map(str::trim).and_then(parse_arn) else {
        return;
    };
    if super::is_principal_resource(a.service, a.resource) {
        c.arn(s);
    } else {
        c.resource(s);
    }
}

/// The ARN IAM gives a user, role, group or instance profile of this name in the call's account
/// (IAM calls name them without their path, which their ARNs in other events may carry; the
/// pivot meets them whatever the path).
fn iam_arn(c: &mut Collector, call: &Call, kind: &str, name: Option<&str>, as_kind: EntityKind) {
    let (Some(name), Some(account)) = (name.map(str::trim), call.account) else {
        return;
    };
    if is_iam_name(name) && is_account(account) {
        let arn = format!("arn:{}:iam::{account}:{kind}/{name}", call.partition);
        match as_kind {
            EntityKind::Principal => c.arn(Some(&arn)),
            _ => c.resource(Some(&arn)),
        }
    }
}

/// S3's bucket naming rules, loosely: what could be a bucket and nothing that could not.
fn is_bucket_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// A principal as permissions write it: an ARN, an account id; `*` and services are no entity.
fn grantee(c: &mut Collector, s: Option<&str>) {
    let Some(s) = s.map(str::trim) else { return };
    if s.starts_with("arn:") {
        arn(c, Some(s));
        if let Some(a) = parse_arn(s) {
            c.account(Some(a.account.to_string()));
        }
    } else if is_account(s) {
        c.account(Some(s.to_string()));
    }
}

/// The principals a policy document's Allow statements let in: AWS principals (their accounts
/// too) and federated identity providers.
fn policy(c: &mut Collector, v: &Value) {
    let parsed;
    let doc = match v {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(d) => {
                parsed = d;
                &parsed
            }
            Err(_) => return,
        },
        Value::Object(_) => v,
        _ => return,
    };
    let statements = match doc.get("Statement") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => return,
    };
    for st in statements.iter().take(MAX_VALUES_PER_FIELD) {
        if st.get("Effect").and_then(Value::as_str) == Some("Deny") {
            continue;
        }
        let Some(Value::Object(principal)) = st.get("Principal") else {
            continue;
        };
        let mut aws = Vec::new();
        if let Some(p) = principal.get("AWS") {
            leaves(p, "", &mut aws);
        }
        for p in aws {
            grantee(c, p.as_str());
        }
        let mut federated = Vec::new();
        if let Some(p) = principal.get("Federated") {
            leaves(p, "", &mut federated);
        }
        for p in federated {
            c.resource(p.as_str().filter(|s| s.starts_with("arn:")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{from_cloudtrail, Entity, EntityKind};
    use super::*;

    use EntityKind::{Account, Instance, Ip, Key, Principal, PrincipalId, Resource, User};

    /// Stratus Red Team's detonation logs, as copied into the tests' fixtures.
    const STRATUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/stratus");

    /// Event `n` (1-based) of a Stratus technique's log.
    fn stratus(technique: &str, n: usize) -> Value {
        let path = format!("{STRATUS}/aws.{technique}.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let events: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
        events.into_iter().nth(n - 1).expect("the event")
    }

    fn e(kind: EntityKind, value: &str) -> Entity {
        Entity::new(kind, value)
    }
    fn target(kind: EntityKind, value: &str) -> Entity {
        e(kind, value).with_role(Target)
    }
    fn created(kind: EntityKind, value: &str) -> Entity {
        e(kind, value).with_role(Created)
    }
    fn shared(kind: EntityKind, value: &str) -> Entity {
        e(kind, value).with_role(SharedWith)
    }

    /// The caller of every Stratus technique: the IAM user christophe, with a key of its own.
    fn christophe(account: &str, id: &str, key: &str) -> Vec<Entity> {
        vec![
            e(
                Principal,
                &format!("arn:aws:iam::{account}:user/christophe"),
            ),
            e(PrincipalId, id),
            e(Key, key),
            e(User, "christophe"),
        ]
    }

    fn entities(
        ip: Option<&str>,
        caller: Vec<Entity>,
        call: &[Entity],
        account: &str,
    ) -> Vec<Entity> {
        let mut v: Vec<Entity> = ip.map(|ip| e(Ip, ip)).into_iter().collect();
        v.extend(caller);
        v.extend_from_slice(call);
        v.push(e(Account, account));
        v
    }

    #[test]
    fn an_image_shared_with_another_account() {
        assert_eq!(
            from_cloudtrail(&stratus("exfiltration.ec2-share-ami", 1)),
            entities(
                Some("253.19.58.252"),
                christophe(
                    "118238665043",
                    "AIDAYO61EC4B4W5G6BXN",
                    "AKIA40XZ2OQU8R4QKTAC"
                ),
                &[
                    target(Resource, "ami-de1fbCab6ccB03e6D"),
                    shared(Account, "846424999548"),
                ],
                "118238665043"
            )
        );
    }

    #[test]
    fn a_snapshot_shared_with_another_account() {
        assert_eq!(
            from_cloudtrail(&stratus("exfiltration.ec2-share-ebs-snapshot", 1)),
            entities(
                Some("253.76.43.253"),
                christophe(
                    "756680937392",
                    "AIDA7ETKRIUXU83QKECM",
                    "AKIAYLJU0B35TFSNKCS2"
                ),
                &[
                    target(Resource, "snap-041993b54a9b3af6f"),
                    shared(Account, "098797384747"),
                ],
                "756680937392"
            )
        );
        assert_eq!(
            from_cloudtrail(&stratus("exfiltration.rds-share-snapshot", 1)),
            entities(
                Some("204.10.215.184"),
                christophe(
                    "171471557522",
                    "AIDA3MGXB5NR71XRJU40",
                    "AKIAIYTVC64GTXUFCS2X"
                ),
                &[
                    target(Resource, "exfiltration"),
                    shared(Account, "503161813013"),
                ],
                "171471557522"
            )
        );
    }

    #[test]
    fn an_admin_user_created_with_a_key() {
        // "075.050.255.67" (anonymized) is no address.
        let caller = || {
            christophe(
                "229654561268",
                "AIDAZ49AHUAJ9OEK73O5",
                "AKIAOZUDECYXYM4ONAN4",
            )
        };
        let user = "arn:aws:iam::229654561268:user/malicious-iam-user";
        assert_eq!(
            from_cloudtrail(&stratus("persistence.iam-create-admin-user", 1)),
            entities(
                None,
                caller(),
                &[
                    target(User, "malicious-iam-user"),
                    target(Principal, user),
                    target(Resource, "arn:aws:iam::aws:policy/AdministratorAccess"),
                ],
                "229654561268"
            )
        );
        assert_eq!(
            from_cloudtrail(&stratus("persistence.iam-create-admin-user", 2)),
            entities(
                None,
                caller(),
                &[
                    created(Key, "AKIAXAFZN8JEPF6L682H"),
                    target(User, "malicious-iam-user"),
                    target(Principal, user),
                ],
                "229654561268"
            )
        );
        assert_eq!(
            from_cloudtrail(&stratus("persistence.iam-create-admin-user", 3)),
            entities(
                None,
                caller(),
                &[
                    created(User, "malicious-iam-user"),
                    created(Principal, user),
                    created(PrincipalId, "AIDAL1XMLVWIUOK8KAF0"),
                ],
                "229654561268"
            )
        );
    }

    #[test]
    fn a_backdoor_role_trusts_another_account() {
        // CreateRole: the role is new, its trust policy lets in account 193672423079.
        assert_eq!(
            from_cloudtrail(&stratus("persistence.iam-create-backdoor-role", 2)),
            entities(
                Some("209.209.254.254"),
                christophe(
                    "609418236337",
                    "AIDAK4TRC24VBN0JX8JX",
                    "AKIA0W5KI69TY8X86BGT"
                ),
                &[
                    created(
                        Principal,
                        "arn:aws:iam::609418236337:role/stratus-red-team-malicious-iam-role"
                    ),
                    created(PrincipalId, "AROA53G8Z8NGXMJ597G3E"),
                    shared(Principal, "arn:aws:iam::193672423079:root"),
                    shared(Account, "193672423079"),
                    target(Resource, "arn:aws:iam::aws:policy/AWSDenyAll"),
                ],
                "609418236337"
            )
        );
        // UpdateAssumeRolePolicy: an existing role; the EC2 service principal is no entity.
        assert_eq!(
            from_cloudtrail(&stratus("persistence.iam-backdoor-role", 1)),
            entities(
                None,
                vec![
                    e(Principal, "arn:aws:iam::751203476945:user/christophe"),
                    e(PrincipalId, "AIDA7SLGLLJ9LWK18E4Y"),
                    e(Key, "AKIAMUV7B57OZM0RV05D"),
                    e(User, "christophe"),
                ],
                &[
                    target(
                        Principal,
                        "arn:aws:iam::751203476945:role/stratus-red-team-backdoor-r-role"
                    ),
                    shared(Principal, "arn:aws:iam::193672423079:root"),
                    shared(Account, "193672423079"),
                ],
                "751203476945"
            )
        );
    }

    #[test]
    fn login_profiles_and_keys_of_other_users() {
        let profile = |technique: &str, n, account: &str, user: &str| {
            let ents = from_cloudtrail(&stratus(technique, n));
            let want = [
                target(User, user),
                target(Principal, &format!("arn:aws:iam::{account}:user/{user}")),
            ];
            assert_eq!(
                ents[ents.len() - 3..ents.len() - 1],
                want,
                "{technique} {n}"
            );
        };
        profile(
            "persistence.iam-create-user-login-profile",
            2,
            "070411556318",
            "stratus-red-team-login-profile-user",
        );
        profile(
            "persistence.iam-create-user-login-profile",
            3,
            "070411556318",
            "stratus-red-team-login-profile-user",
        );
        profile(
            "privilege-escalation.iam-update-user-login-profile",
            1,
            "763751499319",
            "stratus-red-team-update-login-profile-user",
        );
        // The backdoor user's new key: created, and the user it belongs to a target.
        let ents = from_cloudtrail(&stratus("persistence.iam-backdoor-user", 1));
        assert_eq!(
            ents[4..],
            [
                created(Key, "AKIAL80DWDVKKM0UXEER"),
                target(User, "stratus-red-team-backdoor-u-user"),
                target(
                    Principal,
                    "arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user"
                ),
                e(Account, "946986569305"),
            ]
        );
    }

    #[test]
    fn instances_groups_and_functions_acted_on() {
        let tail = |technique: &str, n| {
            let ents = from_cloudtrail(&stratus(technique, n));
            ents.into_iter()
                .filter(|x| x.role != Actor)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tail("lateral-movement.ec2-instance-connect", 1),
            [target(Instance, "i-fDb357cB7e99ad973")]
        );
        assert_eq!(
            tail("exfiltration.ec2-security-group-open-port-22-ingress", 1),
            [
                target(Resource, "sg-003dc7f1f1c686164"),
                created(Resource, "sgr-09b3e3d2ca1edf2a2"),
            ]
        );
        // A function opened to everyone: "*" is no entity.
        assert_eq!(
            tail("persistence.lambda-backdoor-function", 1),
            [target(Resource, "stratus-red-team-backdoor-f-func")]
        );
        // A trail stopped; a flow log deleted (EC2's wrapped request shape).
        assert_eq!(
            tail("defense-evasion.cloudtrail-stop", 1),
            [target(
                Resource,
                "stratus-red-team-ct-stop-trail-buykxbqejv"
            )]
        );
        assert_eq!(
            tail("defense-evasion.vpc-remove-flow-logs", 1),
            [target(Resource, "fl-0e17aa62a21d4bbfe")]
        );
        // RunInstances refused: the image and subnet asked for, no instance.
        assert_eq!(
            tail("execution.ec2-launch-unusual-instances", 1),
            [
                target(Resource, "ami-aCBbfd13bdb1d1E4b"),
                target(Resource, "subnet-0e540f0c7ffb48ae9"),
            ]
        );
    }

    #[test]
    fn a_federation_token_and_a_role_session_hand_out_keys() {
        let tail = |technique: &str, n| {
            let ents = from_cloudtrail(&stratus(technique, n));
            ents.into_iter()
                .filter(|x| x.role != Actor)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            tail("persistence.sts-federation-token", 1),
            [
                created(Key, "ASIASTJKC5GCM7ZE6LUP"),
                created(
                    Principal,
                    "arn:aws:sts::742491224508:federated-user/stratus_red_team"
                ),
                created(PrincipalId, "742491224508:stratus_red_team"),
            ]
        );
        let session = "arn:aws:sts::307578594326:assumed-role/stratus-red-team-leave-org-role/aws-go-sdk-1722587398902687000";
        assert_eq!(
            tail("defense-evasion.organizations-leave", 1),
            [
                created(Key, "ASIA36EV31F1RB3OA8IG"),
                created(Principal, session),
                target(
                    Principal,
                    "arn:aws:iam::307578594326:role/stratus-red-team-leave-org-role"
                ),
                created(
                    super::super::EntityKind::Session,
                    "aws-go-sdk-1722587398902687000"
                ),
                created(
                    PrincipalId,
                    "AROAHKPEEQ9BHUOX4D93T:aws-go-sdk-1722587398902687000"
                ),
                created(PrincipalId, "AROAHKPEEQ9BHUOX4D93T"),
            ]
        );
    }

    #[test]
    fn roles_serialize_only_when_not_the_actor() {
        let ents = from_cloudtrail(&stratus("exfiltration.ec2-share-ebs-snapshot", 1));
        let json = serde_json::to_string(&ents).expect("json");
        assert!(json.starts_with(r#"[{"kind":"ip","value":"253.76.43.253"},"#));
        assert!(json
            .contains(r#"{"kind":"resource","value":"snap-041993b54a9b3af6f","role":"target"}"#));
        assert!(json.contains(r#"{"kind":"account","value":"098797384747","role":"shared_with"}"#));
        assert!(json.ends_with(r#"{"kind":"account","value":"756680937392"}]"#));
    }

    #[test]
    fn lambda_names_lose_their_version() {
        assert_eq!(base_name("CreateFunction20150331"), "CreateFunction");
        assert_eq!(
            base_name("UpdateFunctionCode20150331v2"),
            "UpdateFunctionCode"
        );
        assert_eq!(base_name("AddPermission20150331v2"), "AddPermission");
        assert_eq!(base_name("AssumeRole"), "AssumeRole");
        assert_eq!(base_name("20150331"), "20150331");
        assert_eq!(base_name("Get2024Report"), "Get2024Report");
        assert_eq!(base_name("X20150331v"), "X20150331v");
    }

    #[test]
    fn sources_tell_apart_calls_of_the_same_name() {
        assert!(reads_bodies("iam.amazonaws.com", "CreateUser"));
        assert!(!reads_bodies("identitystore.amazonaws.com", "CreateUser"));
        assert!(reads_bodies(
            "lambda.amazonaws.com",
            "AddPermission20150331v2"
        ));
        assert!(reads_bodies("sqs.amazonaws.com", "AddPermission"));
        assert!(!reads_bodies("s3.amazonaws.com", "GetObject"));
    }

    #[test]
    fn every_call_is_listed_once_per_service() {
        let mut seen = std::collections::HashSet::new();
        for (source, name) in covered() {
            assert!(seen.insert((source, name)), "{source} {name} twice");
            assert_eq!(base_name(name), name, "{name}");
        }
        assert!(seen.len() >= 150, "{} calls", seen.len());
    }
}
