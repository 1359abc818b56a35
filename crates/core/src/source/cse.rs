//! Objects written by the AWS S3 Encryption Client: the envelope (object metadata or instruction
//! file), the data key unwrapped through KMS Decrypt, and the content decrypted and authenticated
//! whole before any byte of it is handed on.
//!
//! Formats: v2 (`kms+context` wrap, AES-256-GCM), v3 (key-committing: HKDF-SHA512 derived key and
//! commitment, AES-256-GCM), and behind an explicit opt-in the legacy ones (v1 AES-CBC, or the
//! `kms` wrap without a bound algorithm), which an attacker who can write the bucket can forge.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha512;
use subtle::ConstantTimeEq;

/// Metadata keys of the S3 Encryption Client (after S3 strips `x-amz-meta-`).
mod keys {
    pub const KEY_V1: &str = "x-amz-key";
    pub const KEY_V2: &str = "x-amz-key-v2";
    pub const WRAP_ALG: &str = "x-amz-wrap-alg";
    pub const MATDESC: &str = "x-amz-matdesc";
    pub const IV: &str = "x-amz-iv";
    pub const CEK_ALG: &str = "x-amz-cek-alg";
    pub const TAG_LEN: &str = "x-amz-tag-len";
    pub const INSTR_FILE: &str = "x-amz-crypto-instr-file";
    pub const CIPHER_V3: &str = "x-amz-c";
    pub const KEY_V3: &str = "x-amz-3";
    pub const MATDESC_V3: &str = "x-amz-m";
    pub const CONTEXT_V3: &str = "x-amz-t";
    pub const WRAP_ALG_V3: &str = "x-amz-w";
    pub const COMMITMENT_V3: &str = "x-amz-d";
    pub const MESSAGE_ID_V3: &str = "x-amz-i";
    pub const ALL: [&str; 15] = [
        KEY_V1,
        KEY_V2,
        WRAP_ALG,
        MATDESC,
        IV,
        CEK_ALG,
        TAG_LEN,
        INSTR_FILE,
        CIPHER_V3,
        KEY_V3,
        MATDESC_V3,
        CONTEXT_V3,
        WRAP_ALG_V3,
        COMMITMENT_V3,
        MESSAGE_ID_V3,
    ];
}

/// The encryption-context key that binds the content algorithm to the wrapped data key.
const CEK_ALG_CONTEXT: &str = "aws:x-amz-cek-alg";
/// Suite 0x0073, AES-256-GCM with HKDF-SHA512 key derivation and key commitment.
const SUITE_V3: &str = "115";
const SUITE_V3_ID: [u8; 2] = [0x00, 0x73];
const TAG_LEN: usize = 16;

/// Where an object's envelope is, judged from its own metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// No client-side encryption keys: a plain object, or one whose envelope is in an instruction file.
    None,
    /// The whole envelope is in the object's metadata.
    InMetadata,
    /// v3 content keys without the wrapped key: the rest is in `<key>.instruction`.
    NeedsInstructionFile,
}

pub fn presence(meta: &HashMap<String, String>) -> Presence {
    let has = |k| meta.contains_key(k);
    if has(keys::KEY_V1) || has(keys::KEY_V2) || has(keys::KEY_V3) {
        Presence::InMetadata
    } else if has(keys::CIPHER_V3) || has(keys::COMMITMENT_V3) || has(keys::MESSAGE_ID_V3) {
        Presence::NeedsInstructionFile
    } else {
        Presence::None
    }
}

/// Whether the first bytes of an object look like something trawl reads as it is (gzip, Parquet,
/// text). Ciphertext does not: its 16 first bytes are all text with odds of about 1 in 4 million.
pub fn looks_like_plaintext(head: &[u8]) -> bool {
    let head = &head[..head.len().min(16)];
    head.is_empty()
        || head.starts_with(&[0x1f, 0x8b, 0x08])
        || head.starts_with(b"PAR1")
        || head
            .iter()
            .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace() || b >= 0xc2)
}

/// How the content is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// v1: AES-256-CBC with PKCS#7 padding and no authentication.
    LegacyCbc { iv: [u8; 16] },
    /// v2: AES-256-GCM under the data key itself.
    Gcm { iv: [u8; 12] },
    /// v3: AES-256-GCM under a key derived from the data key, which the stored commitment pins.
    Committing {
        message_id: [u8; 28],
        commitment: [u8; 28],
    },
}

/// How the data key is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wrap {
    /// KMS with the content algorithm bound into the encryption context.
    KmsContext,
    /// Legacy KMS wrap: the context holds only the key id, so the algorithm is not bound.
    LegacyKms,
}

/// An object's parsed envelope. The wrapped key is sent only to KMS.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    pub content: Content,
    pub wrap: Wrap,
    pub wrapped_key: Vec<u8>,
    /// The KMS encryption context the data key was wrapped under.
    pub context: BTreeMap<String, String>,
}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("content", &self.content)
            .field("wrap", &self.wrap)
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Envelope {
    /// Whether reading it needs `--allow-legacy-cse`: nothing authenticates what it decrypts to.
    pub fn is_legacy(&self) -> bool {
        matches!(self.content, Content::LegacyCbc { .. }) || self.wrap == Wrap::LegacyKms
    }

    pub fn format_name(&self) -> &'static str {
        match (&self.content, self.wrap) {
            (Content::LegacyCbc { .. }, _) => "v1 (kms wrap, AES-CBC)",
            (Content::Gcm { .. }, Wrap::LegacyKms) => "v2 with the legacy kms wrap",
            (Content::Gcm { .. }, Wrap::KmsContext) => "v2 (kms+context, AES-GCM)",
            (Content::Committing { .. }, _) => "v3 (key-committing AES-GCM)",
        }
    }
}

/// Why a client-side encrypted object cannot be read. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CseError {
    /// The envelope is incomplete, contradictory or not what the S3 Encryption Client writes.
    BadEnvelope(String),
    /// A format trawl can read only when asked to (`--allow-legacy-cse`).
    Legacy(String),
    /// Wrapped with a key that KMS does not hold (a raw AES or RSA key of the writer).
    Unsupported(String),
    /// The key commitment or the GCM tag did not verify: tampered, truncated or the wrong key.
    Authentication(String),
    /// Larger than the object limit allows holding for authentication.
    TooLarge(u64),
}

impl fmt::Display for CseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CseError::BadEnvelope(m) => write!(f, "client-side encryption envelope: {m}"),
            CseError::Legacy(m) => write!(
                f,
                "{m}: unauthenticated legacy client-side encryption, read only with --allow-legacy-cse"
            ),
            CseError::Unsupported(m) => write!(f, "client-side encryption: {m}"),
            CseError::Authentication(m) => write!(
                f,
                "client-side encrypted object failed authentication ({m}): tampered or corrupted, nothing of it was read"
            ),
            CseError::TooLarge(limit) => write!(
                f,
                "refused: client-side encrypted object larger than {limit} bytes must be held whole to authenticate (raise --max-object-bytes)"
            ),
        }
    }
}

impl std::error::Error for CseError {}

fn bad(m: impl Into<String>) -> CseError {
    CseError::BadEnvelope(m.into())
}

/// Reads an instruction file: a JSON object holding only S3 Encryption Client keys.
pub fn parse_instruction_file(body: &[u8]) -> Result<HashMap<String, String>, CseError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("instruction file is not JSON ({e})")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| bad("instruction file is not a JSON object"))?;
    let mut out = HashMap::new();
    for (k, v) in obj {
        if !keys::ALL.contains(&k.as_str()) {
            return Err(bad(format!("instruction file holds an unknown key {k:?}")));
        }
        let s = match v {
            serde_json::Value::String(s) => s.clone(),
            // The client may store a context as a nested object rather than a JSON string.
            serde_json::Value::Object(_) => v.to_string(),
            _ => {
                return Err(bad(format!(
                    "instruction file value of {k} is not a string"
                )))
            }
        };
        out.insert(k.clone(), s);
    }
    Ok(out)
}

/// Merges an instruction file into the object's metadata, refusing the mixes that only a
/// tampered file produces (they could downgrade a committing object to a non-committing one).
pub fn merge_instruction_file(
    object: &HashMap<String, String>,
    instruction: HashMap<String, String>,
) -> Result<HashMap<String, String>, CseError> {
    for k in [keys::CIPHER_V3, keys::COMMITMENT_V3, keys::MESSAGE_ID_V3] {
        if instruction.contains_key(k) {
            return Err(bad(format!(
                "instruction file holds {k}, which belongs in the object's metadata (tampered)"
            )));
        }
    }
    let v3_object = presence(object) == Presence::NeedsInstructionFile;
    if !v3_object {
        for k in [keys::CEK_ALG, keys::IV, keys::WRAP_ALG] {
            if object.contains_key(k) {
                return Err(bad(format!(
                    "object metadata holds {k} while its envelope is in an instruction file"
                )));
            }
        }
    }
    let mut merged = instruction;
    for (k, v) in object {
        if keys::ALL.contains(&k.as_str()) {
            merged.insert(k.clone(), v.clone());
        }
    }
    Ok(merged)
}

fn b64(meta: &HashMap<String, String>, key: &str) -> Result<Vec<u8>, CseError> {
    let s = meta
        .get(key)
        .ok_or_else(|| bad(format!("{key} is missing")))?;
    aws_smithy_types::base64::decode(s.trim()).map_err(|_| bad(format!("{key} is not base64")))
}

fn fixed<const N: usize>(meta: &HashMap<String, String>, key: &str) -> Result<[u8; N], CseError> {
    let v = b64(meta, key)?;
    v.as_slice()
        .try_into()
        .map_err(|_| bad(format!("{key} is {} bytes, not {N}", v.len())))
}

fn context(
    meta: &HashMap<String, String>,
    key: &str,
) -> Result<BTreeMap<String, String>, CseError> {
    let Some(s) = meta.get(key) else {
        return Ok(BTreeMap::new());
    };
    serde_json::from_str(s).map_err(|_| bad(format!("{key} is not a JSON object of strings")))
}

/// The envelope from metadata (the object's, or merged with its instruction file).
pub fn parse_envelope(meta: &HashMap<String, String>) -> Result<Envelope, CseError> {
    let wrapped: Vec<&str> = [keys::KEY_V1, keys::KEY_V2, keys::KEY_V3]
        .into_iter()
        .filter(|k| meta.contains_key(*k))
        .collect();
    if wrapped.len() > 1 {
        return Err(bad(format!(
            "keys of several formats at once ({}): tampered",
            wrapped.join(", ")
        )));
    }
    match wrapped.first().copied() {
        Some(keys::KEY_V3) => parse_v3(meta),
        Some(keys::KEY_V2) => {
            if [keys::CIPHER_V3, keys::COMMITMENT_V3, keys::MESSAGE_ID_V3]
                .iter()
                .any(|k| meta.contains_key(*k))
            {
                return Err(bad("v2 wrapped key beside v3 content keys: tampered"));
            }
            parse_v2(meta)
        }
        Some(_) => parse_v1(meta),
        None => Err(bad(
            "no wrapped data key (x-amz-key-v2, x-amz-3 or x-amz-key)",
        )),
    }
}

fn wrap_of(meta: &HashMap<String, String>) -> Result<Wrap, CseError> {
    match meta.get(keys::WRAP_ALG).map(String::as_str) {
        Some("kms+context") => Ok(Wrap::KmsContext),
        Some("kms") => Ok(Wrap::LegacyKms),
        Some(
            other @ ("AES/GCM"
            | "AESWrap"
            | "RSA-OAEP-SHA1"
            | "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"
            | "RSA"),
        ) => Err(CseError::Unsupported(format!(
            "data key wrapped with a key of the writer ({other}), not KMS: trawl cannot unwrap it"
        ))),
        Some(other) => Err(bad(format!("unknown x-amz-wrap-alg {other:?}"))),
        None => Err(bad("x-amz-wrap-alg is missing")),
    }
}

/// The content algorithm must be bound into the KMS context, or a swapped `x-amz-cek-alg` could
/// make the data key decrypt something other than what was written.
fn check_bound(context: &BTreeMap<String, String>, cek_alg: &str) -> Result<(), CseError> {
    match context.get(CEK_ALG_CONTEXT) {
        Some(v) if v == cek_alg => Ok(()),
        Some(v) => Err(bad(format!(
            "the encryption context says {CEK_ALG_CONTEXT}={v:?} but the content algorithm is {cek_alg:?}: tampered"
        ))),
        None => Err(bad(format!(
            "the encryption context lacks {CEK_ALG_CONTEXT}, which kms+context always binds: tampered"
        ))),
    }
}

fn parse_v2(meta: &HashMap<String, String>) -> Result<Envelope, CseError> {
    let wrap = wrap_of(meta)?;
    let cek_alg = meta
        .get(keys::CEK_ALG)
        .ok_or_else(|| bad("x-amz-cek-alg is missing"))?;
    let context = context(meta, keys::MATDESC)?;
    if wrap == Wrap::KmsContext {
        check_bound(&context, cek_alg)?;
    }
    let content = match cek_alg.as_str() {
        "AES/GCM/NoPadding" => {
            if let Some(t) = meta.get(keys::TAG_LEN) {
                if t.trim() != "128" {
                    return Err(bad(format!("x-amz-tag-len {t:?} is not 128")));
                }
            }
            Content::Gcm {
                iv: fixed(meta, keys::IV)?,
            }
        }
        "AES/CBC/PKCS5Padding" => Content::LegacyCbc {
            iv: fixed(meta, keys::IV)?,
        },
        other => return Err(bad(format!("unknown x-amz-cek-alg {other:?}"))),
    };
    Ok(Envelope {
        content,
        wrap,
        wrapped_key: b64(meta, keys::KEY_V2)?,
        context,
    })
}

fn parse_v1(meta: &HashMap<String, String>) -> Result<Envelope, CseError> {
    let wrap = wrap_of(meta)?;
    let context = context(meta, keys::MATDESC)?;
    let content = match meta.get(keys::CEK_ALG).map(String::as_str) {
        None | Some("AES/CBC/PKCS5Padding") => Content::LegacyCbc {
            iv: fixed(meta, keys::IV)?,
        },
        Some("AES/GCM/NoPadding") => Content::Gcm {
            iv: fixed(meta, keys::IV)?,
        },
        Some(other) => return Err(bad(format!("unknown x-amz-cek-alg {other:?}"))),
    };
    Ok(Envelope {
        content,
        wrap,
        wrapped_key: b64(meta, keys::KEY_V1)?,
        context,
    })
}

fn parse_v3(meta: &HashMap<String, String>) -> Result<Envelope, CseError> {
    match meta.get(keys::CIPHER_V3).map(String::as_str) {
        Some(SUITE_V3) => {}
        Some(other) => return Err(bad(format!("unknown x-amz-c {other:?}"))),
        None => return Err(bad("x-amz-c is missing")),
    }
    let wrap = match meta.get(keys::WRAP_ALG_V3).map(String::as_str) {
        Some("12") => Wrap::KmsContext,
        Some(w @ ("02" | "22")) => {
            return Err(CseError::Unsupported(format!(
                "data key wrapped with a key of the writer (x-amz-w {w}), not KMS: trawl cannot unwrap it"
            )))
        }
        Some(other) => return Err(bad(format!("unknown x-amz-w {other:?}"))),
        None => return Err(bad("x-amz-w is missing")),
    };
    let context = context(meta, keys::CONTEXT_V3)?;
    check_bound(&context, SUITE_V3)?;
    Ok(Envelope {
        content: Content::Committing {
            message_id: fixed(meta, keys::MESSAGE_ID_V3)?,
            commitment: fixed(meta, keys::COMMITMENT_V3)?,
        },
        wrap,
        wrapped_key: b64(meta, keys::KEY_V3)?,
        context,
    })
}

/// The content key and commitment of suite 0x0073: HKDF-SHA512 with the message id as salt.
fn derive_v3(data_key: &[u8], message_id: &[u8; 28]) -> ([u8; 32], [u8; 28]) {
    let hk = Hkdf::<Sha512>::new(Some(message_id), data_key);
    let mut key = [0u8; 32];
    let mut commitment = [0u8; 28];
    let info = |label: &[u8]| [&SUITE_V3_ID[..], label].concat();
    hk.expand(&info(b"DERIVEKEY"), &mut key)
        .expect("32 bytes is a valid HKDF-SHA512 length");
    hk.expand(&info(b"COMMITKEY"), &mut commitment)
        .expect("28 bytes is a valid HKDF-SHA512 length");
    (key, commitment)
}

fn gcm_open(key: &[u8], iv: &[u8; 12], aad: &[u8], buf: &mut Vec<u8>) -> Result<(), CseError> {
    if buf.len() < TAG_LEN {
        return Err(CseError::Authentication(
            "shorter than the GCM tag".to_string(),
        ));
    }
    let cipher = Aes256Gcm::new_from_slice(key)
        .map_err(|_| CseError::Authentication("the data key is not 32 bytes".to_string()))?;
    let nonce = Nonce::try_from(&iv[..]).expect("12-byte nonce");
    cipher.decrypt_in_place(&nonce, aad, buf).map_err(|_| {
        // A failed tag leaves the buffer's bytes unauthenticated: never let them out.
        buf.clear();
        CseError::Authentication("the AES-GCM tag does not verify".to_string())
    })
}

/// Decrypts the whole content with the unwrapped data key, verifying the commitment and tag
/// first. On any failure nothing of the content is returned.
pub fn decrypt_content(
    env: &Envelope,
    data_key: &[u8],
    mut ciphertext: Vec<u8>,
) -> Result<Vec<u8>, CseError> {
    if data_key.len() != 32 {
        return Err(CseError::Authentication(format!(
            "KMS returned a {}-byte data key, not 32",
            data_key.len()
        )));
    }
    match &env.content {
        Content::Gcm { iv } => {
            gcm_open(data_key, iv, &[], &mut ciphertext)?;
            Ok(ciphertext)
        }
        Content::Committing {
            message_id,
            commitment,
        } => {
            let (key, derived) = derive_v3(data_key, message_id);
            if !bool::from(derived.ct_eq(commitment)) {
                return Err(CseError::Authentication(
                    "the key commitment does not match the data key".to_string(),
                ));
            }
            gcm_open(&key, &[1u8; 12], &SUITE_V3_ID, &mut ciphertext)?;
            Ok(ciphertext)
        }
        Content::LegacyCbc { iv } => {
            use aes::cipher::{block_padding::Pkcs7, BlockModeDecrypt, KeyIvInit};
            let dec = cbc::Decryptor::<aes::Aes256>::new_from_slices(data_key, iv)
                .map_err(|_| CseError::Authentication("bad CBC key or IV".to_string()))?;
            let n = dec
                .decrypt_padded::<Pkcs7>(&mut ciphertext)
                .map_err(|_| {
                    CseError::Authentication(
                        "the CBC padding is wrong (wrong key or damaged)".to_string(),
                    )
                })?
                .len();
            ciphertext.truncate(n);
            Ok(ciphertext)
        }
    }
}

/// A KMS key ARN named in a KMS error message, when it names one.
pub fn key_arn_in(message: &str) -> Option<&str> {
    message.match_indices("arn:aws").find_map(|(start, _)| {
        let rest = &message[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';' | ')'))
            .unwrap_or(rest.len());
        let arn = rest[..end].trim_end_matches('.');
        crate::entity::parse_arn(arn)
            .is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/"))
            .then_some(arn)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes_gcm::aead::Aead;

    fn meta(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn b64e(b: &[u8]) -> String {
        aws_smithy_types::base64::encode(b)
    }

    #[test]
    fn v2_round_trips_and_refuses_a_flipped_bit() {
        let key = [7u8; 32];
        let iv = [3u8; 12];
        let ct = Aes256Gcm::new_from_slice(&key)
            .unwrap()
            .encrypt(&Nonce::try_from(&iv[..]).unwrap(), &b"{\"a\":1}\n"[..])
            .unwrap();
        let m = meta(&[
            ("x-amz-key-v2", &b64e(b"wrapped")),
            ("x-amz-wrap-alg", "kms+context"),
            ("x-amz-cek-alg", "AES/GCM/NoPadding"),
            ("x-amz-iv", &b64e(&iv)),
            ("x-amz-tag-len", "128"),
            (
                "x-amz-matdesc",
                r#"{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}"#,
            ),
        ]);
        let env = parse_envelope(&m).unwrap();
        assert!(!env.is_legacy());
        assert_eq!(
            decrypt_content(&env, &key, ct.clone()).unwrap(),
            b"{\"a\":1}\n"
        );
        let mut bad = ct;
        bad[0] ^= 1;
        assert!(matches!(
            decrypt_content(&env, &key, bad),
            Err(CseError::Authentication(_))
        ));
    }

    #[test]
    fn v2_context_must_bind_the_content_algorithm() {
        let m = meta(&[
            ("x-amz-key-v2", &b64e(b"wrapped")),
            ("x-amz-wrap-alg", "kms+context"),
            ("x-amz-cek-alg", "AES/GCM/NoPadding"),
            ("x-amz-iv", &b64e(&[0u8; 12])),
            ("x-amz-matdesc", r#"{"team":"sec"}"#),
        ]);
        let e = parse_envelope(&m).unwrap_err().to_string();
        assert!(e.contains("lacks aws:x-amz-cek-alg"), "{e}");
    }

    #[test]
    fn mixed_formats_are_refused() {
        let m = meta(&[("x-amz-key-v2", "AA=="), ("x-amz-3", "AA==")]);
        assert!(parse_envelope(&m)
            .unwrap_err()
            .to_string()
            .contains("several formats"));
        let instr = meta(&[("x-amz-c", "115")]);
        assert!(merge_instruction_file(&HashMap::new(), instr).is_err());
    }

    #[test]
    fn plaintext_sniffing() {
        assert!(looks_like_plaintext(b"{\"Records\":[]}"));
        assert!(looks_like_plaintext(&[0x1f, 0x8b, 0x08, 0, 0xff, 0xfe]));
        assert!(looks_like_plaintext(b"PAR1\x00\x01"));
        assert!(!looks_like_plaintext(&[0x93, 0x01, 0x7f, 0x00, 0x12, 0xaa]));
    }

    #[test]
    fn key_arn_from_kms_message() {
        let m = "User: arn:aws:iam::111122223333:user/x is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab because no identity-based policy allows it";
        assert_eq!(
            key_arn_in(m),
            Some("arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab")
        );
        assert_eq!(key_arn_in("no arn here"), None);
    }
}
