//! GuardDuty findings in their exported shape, the background noise of internet scanners, and
//! the export objects they are delivered in.

use std::io;

use serde_json::{json, Value};

use super::cast::{bucket, kms_key, ACCOUNTS, PROD, USE1};
use super::clock::{at, folder, iso_ms};
use super::ids::{hex_id, Rng};
use super::story::{
    ATTACKER_IP, BACKDOOR_KEY, BACKDOOR_USER, BACKDOOR_USER_ID, GUARDDUTY_BUCKET, INSTANCE_ID,
    INSTANCE_PRIVATE_IP, INSTANCE_PUBLIC_IP, OFFICE_IP, REGIONS, SCANNER_IPS, STOLEN_KEY,
};
use super::{gzip, story, Gen};

/// A GuardDuty finding; `to_json` gives the exported shape.
pub(super) struct Finding {
    pub(super) acct: usize,
    pub(super) region: usize,
    pub(super) id: String,
    pub(super) kind: &'static str,
    pub(super) severity: u8,
    pub(super) resource: Value,
    pub(super) action: Value,
    pub(super) additional: Value,
    pub(super) evidence: Option<Value>,
    pub(super) seen: (i64, i64),
    pub(super) count: u64,
    pub(super) created_ms: i64,
    pub(super) updated_ms: i64,
    pub(super) title: String,
    pub(super) description: String,
}

impl Finding {
    pub(super) fn to_json(&self) -> Value {
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

pub(super) fn detector(acct: usize, region: usize) -> String {
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

pub(super) fn web_instance() -> Value {
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

pub(super) fn instance_resource() -> Value {
    json!({"resourceType": "Instance", "instanceDetails": web_instance()})
}

pub(super) fn access_key(key: &str, principal: &str, user: &str, user_type: &str) -> Value {
    json!({"accessKeyId": key, "principalId": principal, "userName": user, "userType": user_type})
}

pub(super) fn stolen_key_details() -> Value {
    access_key(
        STOLEN_KEY,
        story::INSTANCE_PRINCIPAL_ID,
        "web-app-role",
        "AssumedRole",
    )
}

pub(super) fn backdoor_key_details() -> Value {
    access_key(BACKDOOR_KEY, BACKDOOR_USER_ID, BACKDOOR_USER, "IAMUser")
}

/// Port-probe action: (remote address, local port, port name) per probe.
pub(super) fn port_probe(probes: &[(&str, u16, &str)]) -> Value {
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

pub(super) fn api_call(api: &str, service: &str, ip: &str, affected: Value) -> Value {
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

pub(super) fn threat_evidence(name: &str) -> Option<Value> {
    Some(
        json!({"threatIntelligenceDetails": [{"threatListName": "ProofPoint", "threatNames": [name]}]}),
    )
}

pub(super) fn plain_info() -> Value {
    json!({"value": "{}", "type": "default"})
}

pub(super) fn bucket_details(name: &str) -> Value {
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

/// One GuardDuty export object: the findings exported at one moment for one account and region.
pub(super) struct Export {
    acct: usize,
    region: usize,
    at: i64,
    findings: Vec<Value>,
}

impl Gen {
    /// Internet background noise against the web-app instance.
    pub(super) fn background_findings(&mut self) {
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

    pub(super) fn export(&mut self, acct: usize, region: usize, at: i64, findings: Vec<Value>) {
        self.exports.push(Export {
            acct,
            region,
            at,
            findings,
        });
    }

    pub(super) fn write_guardduty(&mut self, files: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
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
    use crate::demo::testlake::{lake, parse, s};

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
}
