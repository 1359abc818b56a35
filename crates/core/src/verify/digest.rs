//! One CloudTrail digest file: its fields, the string CloudTrail signs, the signature check
//! (SHA256withRSA, PKCS#1 v1.5) and the SHA-256 of an object's uncompressed content, as AWS's
//! "custom implementation of log file integrity validation" describes them.

use std::io::{self, BufRead, BufReader, Read};

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

/// The algorithm CloudTrail names for digest signatures, the only one it uses.
pub const SIGNATURE_ALGORITHM: &str = "SHA256withRSA";

/// Largest digest read, uncompressed: an hour of a busy trail lists a few thousand objects.
pub const MAX_DIGEST_BYTES: u64 = 64 << 20;

/// The fields of a digest file that validation reads (the file may hold more).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestFile {
    #[serde(default)]
    pub aws_account_id: Option<String>,
    pub digest_start_time: String,
    pub digest_end_time: String,
    #[serde(rename = "digestS3Bucket")]
    pub bucket: String,
    #[serde(rename = "digestS3Object")]
    pub object: String,
    #[serde(rename = "digestPublicKeyFingerprint")]
    pub fingerprint: String,
    #[serde(rename = "digestSignatureAlgorithm", default)]
    pub signature_algorithm: Option<String>,
    #[serde(rename = "previousDigestS3Bucket", default)]
    pub previous_bucket: Option<String>,
    #[serde(rename = "previousDigestS3Object", default)]
    pub previous_object: Option<String>,
    #[serde(rename = "previousDigestHashValue", default)]
    pub previous_hash: Option<String>,
    #[serde(rename = "previousDigestHashAlgorithm", default)]
    pub previous_hash_algorithm: Option<String>,
    /// `null` in the first digest of a chain (when validation was turned on).
    #[serde(rename = "previousDigestSignature")]
    pub previous_signature: Option<String>,
    #[serde(default)]
    pub log_files: Vec<LogFile>,
}

/// One delivered log object a digest lists.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFile {
    #[serde(rename = "s3Bucket")]
    pub bucket: String,
    #[serde(rename = "s3Object")]
    pub object: String,
    /// Hex SHA-256 of the object's uncompressed content.
    pub hash_value: String,
    #[serde(default)]
    pub hash_algorithm: Option<String>,
}

impl DigestFile {
    /// Parses the uncompressed JSON of a digest.
    pub fn parse(json: &[u8]) -> Result<DigestFile, String> {
        let v: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| format!("not a CloudTrail digest ({e})"))?;
        // Present in every digest, `null` or not: a digest without one is not as delivered.
        if v.get("previousDigestSignature").is_none() {
            return Err("not a CloudTrail digest (no previousDigestSignature)".to_string());
        }
        serde_json::from_value(v).map_err(|e| format!("not a CloudTrail digest ({e})"))
    }

    /// The previous digest of the chain, when there is one.
    pub fn previous(&self) -> Option<(&str, &str)> {
        Some((
            self.previous_bucket.as_deref()?,
            self.previous_object.as_deref()?,
        ))
    }

    /// What CloudTrail signs: the end time as the digest writes it (UTC, extended format), the
    /// digest's `bucket/key`, the hex SHA-256 of its uncompressed content, and the previous
    /// digest's hex signature (`null` for the first digest of a chain), one per line.
    pub fn string_to_sign(&self, sha256_hex: &str) -> String {
        format!(
            "{}\n{}/{}\n{}\n{}",
            self.digest_end_time,
            self.bucket,
            self.object,
            sha256_hex,
            self.previous_signature.as_deref().unwrap_or("null")
        )
    }
}

/// Checks a hex SHA256withRSA (PKCS#1 v1.5) signature of `message` under `key`.
pub fn verify_signature(
    key: &rsa::PublicKey,
    message: &str,
    signature_hex: &str,
) -> Result<(), String> {
    let signature = unhex(signature_hex.trim()).ok_or("the signature is not hex")?;
    key.pkcs1v15_verify::<Sha256>(message.as_bytes(), &signature)
        .map_err(|_| "the signature does not verify under the key it names".to_string())
}

/// Signs `message` as CloudTrail does: SHA256withRSA, hex (the demo lake and tests make digests).
pub fn sign(key: &rsa::PrivateKey, message: &str) -> Result<String, String> {
    key.pkcs1v15_sign::<Sha256>(message.as_bytes())
        .map(|s| hex(&s))
        .map_err(|e| format!("cannot sign: {e}"))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// Hex hashes compare case-insensitively.
pub fn same_hash(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Why an object's content could not be hashed.
#[derive(Debug)]
pub enum ContentError {
    /// The store's stream failed (a reset, a denied read): nothing is known of the content.
    Read(String),
    /// The bytes are not the gzip CloudTrail delivers (corrupt, truncated).
    Corrupt(String),
    /// It expands past the limit: not hashed.
    TooLarge(u64),
}

/// Remembers whether the error came from below the gzip decoder (the store) or from it.
struct Watched<R> {
    inner: R,
    failed: bool,
}

impl<R: Read> Read for Watched<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|_| self.failed = true)
    }
}

/// The hex SHA-256 of an object's uncompressed content: what a digest records for a log file
/// and for the previous digest. Gzip (one or more members) is expanded; anything else (a copy
/// someone already expanded) is hashed as it is. At most `max` uncompressed bytes are read.
pub fn content_sha256<R: Read>(input: R, max: u64) -> Result<String, ContentError> {
    let mut reader = BufReader::with_capacity(
        64 << 10,
        Watched {
            inner: input,
            failed: false,
        },
    );
    let gzip = match reader.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(e) => return Err(ContentError::Read(e.to_string())),
    };
    let mut hash = Sha256::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; 64 << 10];
    let mut decoder: Box<dyn Read + '_> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(&mut reader))
    } else {
        Box::new(&mut reader)
    };
    loop {
        let n = match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                drop(decoder);
                return Err(if reader.get_ref().failed {
                    ContentError::Read(e.to_string())
                } else {
                    ContentError::Corrupt(e.to_string())
                });
            }
        };
        total += n as u64;
        if total > max {
            return Err(ContentError::TooLarge(max));
        }
        hash.update(&buf[..n]);
    }
    Ok(hex(&hash.finalize()))
}

/// A digest's uncompressed bytes (bounded) and their hex SHA-256.
pub fn expand_digest(compressed: &[u8]) -> Result<(Vec<u8>, String), String> {
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(compressed).take(MAX_DIGEST_BYTES + 1);
    if compressed.starts_with(&[0x1f, 0x8b]) {
        reader
            .read_to_end(&mut out)
            .map_err(|e| format!("not the gzip CloudTrail delivers ({e})"))?;
    } else {
        out = compressed.to_vec();
    }
    if out.len() as u64 > MAX_DIGEST_BYTES {
        return Err(format!(
            "larger than {MAX_DIGEST_BYTES} bytes: not a digest"
        ));
    }
    let sha = hex(&Sha256::digest(&out));
    Ok((out, sha))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample digest of AWS's "CloudTrail digest file structure" page, trimmed.
    const SAMPLE: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2015-08-17T14:01:31Z","digestEndTime":"2015-08-17T15:01:31Z","digestS3Bucket":"amzn-s3-demo-bucket","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz","digestPublicKeyFingerprint":"31e8b5433410dfb61a9dc45cc65b22ff","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2015-08-17T14:52:27Z","oldestEventTime":"2015-08-17T14:42:27Z","previousDigestS3Bucket":"amzn-s3-demo-bucket","previousDigestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz","previousDigestHashValue":"97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d","previousDigestHashAlgorithm":"SHA-256","previousDigestSignature":"50887ccffad4c002","logFiles":[{"s3Bucket":"amzn-s3-demo-bucket","s3Object":"AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz","hashValue":"9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6","hashAlgorithm":"SHA-256","newestEventTime":"2015-08-17T14:52:27Z","oldestEventTime":"2015-08-17T14:42:27Z"}]}"#;

    #[test]
    fn reads_the_documented_fields_and_builds_the_string_to_sign() {
        let d = DigestFile::parse(SAMPLE.as_bytes()).unwrap();
        assert_eq!(d.fingerprint, "31e8b5433410dfb61a9dc45cc65b22ff");
        assert_eq!(d.log_files.len(), 1);
        assert_eq!(d.log_files[0].hash_algorithm.as_deref(), Some("SHA-256"));
        assert!(d
            .previous()
            .unwrap()
            .1
            .ends_with("20150817T140131Z.json.gz"));
        assert_eq!(
            d.string_to_sign("abc"),
            "2015-08-17T15:01:31Z\namzn-s3-demo-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz\nabc\n50887ccffad4c002"
        );
    }

    #[test]
    fn the_first_digest_of_a_chain_signs_null_for_the_previous_signature() {
        let first = SAMPLE.replace("\"50887ccffad4c002\"", "null").replace(
            "\"previousDigestS3Bucket\":\"amzn-s3-demo-bucket\"",
            "\"previousDigestS3Bucket\":null",
        );
        let d = DigestFile::parse(first.as_bytes()).unwrap();
        assert!(d.previous().is_none());
        assert!(d.string_to_sign("h").ends_with("\nh\nnull"));
        // A digest without the signature field at all is not one.
        let broken = SAMPLE.replace("\"previousDigestSignature\":\"50887ccffad4c002\",", "");
        assert!(DigestFile::parse(broken.as_bytes()).is_err());
    }

    #[test]
    fn hashes_the_uncompressed_content_and_tells_corrupt_from_unreadable() {
        let text = b"{\"Records\":[]}";
        let want = hex(&Sha256::digest(text));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, text).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(content_sha256(&gz[..], 1 << 20).unwrap(), want);
        // Already expanded by someone: the same content, the same hash.
        assert_eq!(content_sha256(&text[..], 1 << 20).unwrap(), want);
        assert!(matches!(
            content_sha256(&gz[..gz.len() - 5], 1 << 20),
            Err(ContentError::Corrupt(_))
        ));
        assert!(matches!(
            content_sha256(&gz[..], 4),
            Err(ContentError::TooLarge(4))
        ));
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("connection reset"))
            }
        }
        assert!(matches!(
            content_sha256(Failing, 10),
            Err(ContentError::Read(_))
        ));
    }

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(unhex("00ff10").unwrap(), vec![0, 255, 16]);
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
        assert!(unhex("0g").is_none() && unhex("abc").is_none());
        assert!(same_hash("ABcd", "abCD"));
    }
}
