//! The public keys that check digest signatures: from CloudTrail's `ListPublicKeys` (online, in
//! each digest's region), or from files holding what `aws cloudtrail list-public-keys` prints
//! (offline). A digest names its key by fingerprint; a key nobody lists signs nothing.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use aws_sdk_cloudtrail::error::ProvideErrorMetadata;
use chrono::{DateTime, Utc};

/// One public key and the fingerprint digests name it by.
#[derive(Debug, Clone)]
pub struct PublicKeyEntry {
    pub fingerprint: String,
    pub key: rsa::PublicKey,
}

/// The key's DER as CloudTrail gives it: PKCS#1 `RSAPublicKey` (its documentation), or an X.509
/// `SubjectPublicKeyInfo` (which its own sample output also shows).
pub fn parse_der(der: &[u8]) -> Result<rsa::PublicKey, String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    rsa::PublicKey::from_pkcs1_der(der)
        .or_else(|_| rsa::PublicKey::from_public_key_der(der))
        .map_err(|_| "not an RSA public key (PKCS#1 or X.509 DER)".to_string())
}

/// The keys in the JSON `aws cloudtrail list-public-keys` prints: `PublicKeyList` (or the
/// `publicKeyList` of AWS's documentation) of `{Value (base64 DER), Fingerprint, ...}`.
pub fn parse_list(json: &[u8]) -> Result<Vec<PublicKeyEntry>, String> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("not JSON ({e})"))?;
    let list = v
        .get("PublicKeyList")
        .or_else(|| v.get("publicKeyList"))
        .and_then(|l| l.as_array())
        .ok_or("no PublicKeyList: expected what `aws cloudtrail list-public-keys` prints")?;
    let mut out = Vec::with_capacity(list.len());
    for (i, k) in list.iter().enumerate() {
        let field = |name: &str| k.get(name).and_then(|x| x.as_str());
        let fingerprint = field("Fingerprint").ok_or(format!("key {i}: no Fingerprint"))?;
        let value = field("Value").ok_or(format!("key {i}: no Value"))?;
        let der = aws_smithy_types::base64::decode(value.trim())
            .map_err(|_| format!("key {fingerprint}: Value is not base64"))?;
        let key = parse_der(&der).map_err(|e| format!("key {fingerprint}: {e}"))?;
        out.push(PublicKeyEntry {
            fingerprint: fingerprint.to_string(),
            key,
        });
    }
    Ok(out)
}

/// Where public keys come from.
#[async_trait]
pub trait KeySource: Send + Sync {
    /// The keys that signed digests of `region` between `start` and `end`.
    async fn keys(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<PublicKeyEntry>, String>;

    /// Where the keys come from, for messages (`--public-keys keys.json`, `CloudTrail ListPublicKeys`).
    fn describe(&self) -> String;
}

/// Keys saved from `aws cloudtrail list-public-keys`, one file per region or merged: offline.
pub struct KeyFiles {
    keys: Vec<PublicKeyEntry>,
    paths: Vec<PathBuf>,
}

impl KeyFiles {
    pub fn load(paths: &[PathBuf]) -> Result<KeyFiles, String> {
        let mut keys = Vec::new();
        for p in paths {
            let bytes = read_bounded(p)?;
            keys.extend(parse_list(&bytes).map_err(|e| format!("{}: {e}", p.display()))?);
        }
        Ok(KeyFiles {
            keys,
            paths: paths.to_vec(),
        })
    }

    pub fn from_keys(keys: Vec<PublicKeyEntry>) -> KeyFiles {
        KeyFiles {
            keys,
            paths: Vec::new(),
        }
    }
}

fn read_bounded(p: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let mut bytes = Vec::new();
    // A key list is a few kilobytes; a bigger file is not one.
    f.take(16 << 20)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(bytes)
}

#[async_trait]
impl KeySource for KeyFiles {
    async fn keys(
        &self,
        _region: &str,
        _start: DateTime<Utc>,
        _end: DateTime<Utc>,
    ) -> Result<Vec<PublicKeyEntry>, String> {
        Ok(self.keys.clone())
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self.paths.iter().map(|p| p.display().to_string()).collect();
        format!("--public-keys {}", names.join(" "))
    }
}

/// CloudTrail's `ListPublicKeys`, asked in each digest's region (keys are regional).
pub struct CloudTrailKeys {
    conf: Option<aws_config::SdkConfig>,
    /// One client for every region: tests hand in a mocked one.
    fixed: Option<aws_sdk_cloudtrail::Client>,
    cache: tokio::sync::Mutex<HashMap<String, Vec<PublicKeyEntry>>>,
}

impl CloudTrailKeys {
    pub fn new(conf: aws_config::SdkConfig) -> CloudTrailKeys {
        CloudTrailKeys {
            conf: Some(conf),
            fixed: None,
            cache: Default::default(),
        }
    }

    pub fn with_client(client: aws_sdk_cloudtrail::Client) -> CloudTrailKeys {
        CloudTrailKeys {
            conf: None,
            fixed: Some(client),
            cache: Default::default(),
        }
    }

    fn client(&self, region: &str) -> aws_sdk_cloudtrail::Client {
        if let Some(c) = &self.fixed {
            return c.clone();
        }
        let conf = self.conf.as_ref().expect("one of conf and fixed is set");
        aws_sdk_cloudtrail::Client::from_conf(
            aws_sdk_cloudtrail::config::Builder::from(conf)
                .region(aws_config::Region::new(region.to_string()))
                .build(),
        )
    }
}

fn smithy_time(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs(t.timestamp())
}

#[async_trait]
impl KeySource for CloudTrailKeys {
    async fn keys(
        &self,
        region: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<PublicKeyEntry>, String> {
        let cache_key = format!("{region} {start} {end}");
        if let Some(k) = self.cache.lock().await.get(&cache_key) {
            return Ok(k.clone());
        }
        // CloudTrail refuses a range that ends in the future.
        let end = end.min(Utc::now());
        let start = start.min(end);
        let out = self
            .client(region)
            .list_public_keys()
            .start_time(smithy_time(start))
            .end_time(smithy_time(end))
            .send()
            .await
            .map_err(|e| {
                let what = match (e.code(), e.message()) {
                    (Some(c), Some(m)) => format!("{c}: {m}"),
                    (Some(c), None) => c.to_string(),
                    _ => crate::source::error_chain(&e),
                };
                format!("CloudTrail ListPublicKeys in {region} failed ({what}); offline, pass --public-keys FILE (what `aws cloudtrail list-public-keys` prints)")
            })?;
        let mut keys = Vec::new();
        for k in out.public_key_list() {
            let (Some(fp), Some(value)) = (k.fingerprint(), k.value()) else {
                continue;
            };
            let key = parse_der(value.as_ref()).map_err(|e| format!("key {fp}: {e}"))?;
            keys.push(PublicKeyEntry {
                fingerprint: fp.to_string(),
                key,
            });
        }
        self.cache.lock().await.insert(cache_key, keys.clone());
        Ok(keys)
    }

    fn describe(&self) -> String {
        "CloudTrail ListPublicKeys".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two of the keys in AWS's own sample output of `list-public-keys`: one PKCS#1, one X.509.
    const AWS_SAMPLE: &str = r#"{"publicKeyList":[
      {"ValidityStartTime":"1436317441.0","ValidityEndTime":"1438909441.0","Value":"MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB","Fingerprint":"8eba5db5bea9b640d1c96a77256fe7f2"},
      {"ValidityStartTime":"1434589370.0","ValidityEndTime":"1437181370.0","Value":"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqlzPJbvZJ42UdcmLfPUqXYNfOs6I8lCfao/tOs8CmzPOEdtLWugB9xoIUz78qVHdKIqxbaG4jWHfJBiOSSFBM0lt8cdVo4TnRa7oG9io5pysS6DJhBBAeXsicufsiFJR+wrUNh8RSLxL4k6G1+BhLX20tJkZ/erT97tDGBujAelqseGg3vPZbTx9SMfOLN65PdLFudLP7Gat0Z9p5jw/rjpclKfo9Bfc3heeBxWGKwBBOKnFAaN9V57pOaosCvPKmHd9bg7jsQkI9Xp22IzGLsTFJZYVA3KiTAElDMu80iFXPHEq9hKNbt9e4URFam+1utKVEiLkR2disdCmPTK0VQIDAQAB","Fingerprint":"31e8b5433410dfb61a9dc45cc65b22ff"}
    ]}"#;

    #[test]
    fn reads_the_list_aws_documents_in_both_key_encodings() {
        let keys = parse_list(AWS_SAMPLE.as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].fingerprint, "8eba5db5bea9b640d1c96a77256fe7f2");
        use rsa::traits::PublicKeyParts;
        assert_eq!(keys[0].key.size(), 256);
        assert_eq!(keys[1].key.size(), 256);
    }

    #[test]
    fn says_what_is_wrong_with_a_file_that_is_not_a_key_list() {
        assert!(parse_list(b"[]").unwrap_err().contains("PublicKeyList"));
        assert!(
            parse_list(br#"{"PublicKeyList":[{"Fingerprint":"ab","Value":"!!"}]}"#)
                .unwrap_err()
                .contains("not base64")
        );
        assert!(
            parse_list(br#"{"PublicKeyList":[{"Fingerprint":"ab","Value":"AAAA"}]}"#)
                .unwrap_err()
                .contains("not an RSA public key")
        );
    }
}
