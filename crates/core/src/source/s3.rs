//! An S3 bucket through aws-sdk-s3, configured from aws-config's default chain; objects encrypted
//! with SSE-C or the S3 Encryption Client are decrypted here, and a 403 is explained.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{EncodingType, ServerSideEncryption};
use aws_sdk_s3::Client;
use aws_smithy_runtime_api::client::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use md5::{Digest, Md5};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt};
use zeroize::Zeroizing;

use super::cse::{self, CseError, Envelope, Presence};
use super::{ByteReader, FailureKind, Listing, ObjectMeta, Store, StoreError};

/// The global AWS flags of the command line.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub no_sign_request: bool,
    /// A file with the SSE-C key (32 raw bytes, or their base64).
    pub sse_c_key_file: Option<PathBuf>,
    /// Read client-side encrypted objects of the unauthenticated legacy formats.
    pub allow_legacy_cse: bool,
    /// Bytes a client-side encrypted object may have (it is held whole to authenticate it);
    /// `None` means the decoder's default limit.
    pub max_object_bytes: Option<u64>,
    /// Where whole S3 objects are cached by bucket, key and ETag; `None` reads every time.
    pub cache_dir: Option<PathBuf>,
    pub cache_max_bytes: u64,
    /// Retries after a request's first attempt.
    pub retries: u32,
    /// Connect, response and stalled-body timeout.
    pub timeout: Duration,
}

/// Retries of one request when the command line does not say: the SDK's standard mode (throttling,
/// 5xx, transient I/O errors) with exponential backoff and jitter.
pub const DEFAULT_RETRIES: u32 = 4;
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            no_sign_request: false,
            sse_c_key_file: None,
            allow_legacy_cse: false,
            max_object_bytes: None,
            cache_dir: None,
            cache_max_bytes: 2 << 30,
            retries: DEFAULT_RETRIES,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        }
    }
}

/// A customer-provided SSE-C key, kept only as S3 wants it sent. Never printed.
#[derive(Clone)]
pub struct SseCustomerKey {
    key_b64: Zeroizing<String>,
    md5_b64: String,
}

impl fmt::Debug for SseCustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SseCustomerKey(<redacted>)")
    }
}

impl SseCustomerKey {
    /// From a file's bytes: 32 raw bytes, or the base64 of 32 bytes (surrounding whitespace allowed).
    pub fn from_bytes(bytes: &[u8]) -> Result<SseCustomerKey, String> {
        let raw: Zeroizing<Vec<u8>> = if bytes.len() == 32 {
            Zeroizing::new(bytes.to_vec())
        } else {
            let text = std::str::from_utf8(bytes).map_err(|_| {
                format!(
                    "holds {} bytes: need 32 raw bytes or their base64",
                    bytes.len()
                )
            })?;
            Zeroizing::new(aws_smithy_types::base64::decode(text.trim()).map_err(|_| {
                format!(
                    "holds {} bytes that are not base64: need 32 raw bytes or their base64",
                    bytes.len()
                )
            })?)
        };
        if raw.len() != 32 {
            return Err(format!(
                "holds a {}-byte key: SSE-C keys are 256 bits (32 bytes)",
                raw.len()
            ));
        }
        Ok(SseCustomerKey {
            key_b64: Zeroizing::new(aws_smithy_types::base64::encode(&raw[..])),
            md5_b64: aws_smithy_types::base64::encode(Md5::digest(&raw[..])),
        })
    }

    pub fn from_file(path: &std::path::Path) -> anyhow::Result<SseCustomerKey> {
        let bytes = Zeroizing::new(
            std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("--sse-c-key-file {}: {e}", path.display()))?,
        );
        SseCustomerKey::from_bytes(&bytes)
            .map_err(|e| anyhow::anyhow!("--sse-c-key-file {}: {e}", path.display()))
    }

    /// The key's MD5, base64: what S3 compares, and safe to show.
    pub fn md5_b64(&self) -> &str {
        &self.md5_b64
    }
}

/// How objects are read: the SSE-C key, the legacy opt-in and the size bound.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub sse_c: Option<SseCustomerKey>,
    pub allow_legacy_cse: bool,
    pub max_object_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            sse_c: None,
            allow_legacy_cse: false,
            max_object_bytes: crate::decode::Limits::default().max_object_bytes,
        }
    }
}

impl AwsOptions {
    /// Reads the SSE-C key file, once for all sources.
    pub fn read_options(&self) -> anyhow::Result<ReadOptions> {
        Ok(ReadOptions {
            sse_c: self
                .sse_c_key_file
                .as_deref()
                .map(SseCustomerKey::from_file)
                .transpose()?,
            allow_legacy_cse: self.allow_legacy_cse,
            max_object_bytes: self
                .max_object_bytes
                .unwrap_or(ReadOptions::default().max_object_bytes),
        })
    }
}

impl AwsOptions {
    /// The shared configuration: env, profiles, SSO, IMDS — whatever the default chain finds.
    pub async fn load(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(self.timeout.min(Duration::from_secs(10)))
                    .read_timeout(self.timeout)
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(self.retries.saturating_add(1)))
            // A body that stops moving for this long fails the read instead of hanging it.
            .stalled_stream_protection(
                StalledStreamProtectionConfig::enabled()
                    .grace_period(self.timeout)
                    .build(),
            );
        if let Some(p) = &self.profile {
            loader = loader.profile_name(p);
        }
        if let Some(r) = &self.region {
            loader = loader.region(Region::new(r.clone()));
        }
        if let Some(u) = &self.endpoint_url {
            loader = loader.endpoint_url(u);
        }
        if self.no_sign_request {
            loader = loader.no_credentials();
        }
        loader.load().await
    }
}

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    /// HTTP requests sent to S3 (every attempt, retries included), for progress and tests.
    sent: Arc<AtomicU64>,
    /// Unwraps the data keys of client-side encrypted objects, in the bucket's region.
    kms: aws_sdk_kms::Client,
    bucket: String,
    read: ReadOptions,
}

fn region_or_default(conf: &SdkConfig, region: Option<String>) -> Region {
    region
        .or_else(|| conf.region().map(|r| r.to_string()))
        .map_or(Region::from_static("us-east-1"), Region::new)
}

fn client_for(conf: &SdkConfig, aws: &AwsOptions, region: Option<String>) -> Client {
    let mut b = aws_sdk_s3::config::Builder::from(conf);
    // Local and third-party endpoints (moto, MinIO) rarely resolve virtual-hosted bucket names.
    if aws.endpoint_url.is_some() {
        b = b.force_path_style(true);
    }
    Client::from_conf(b.region(region_or_default(conf, region)).build())
}

impl S3Store {
    /// A client for `bucket` in the bucket's own region, found by asking S3, so users need not know it.
    pub async fn connect(
        conf: &SdkConfig,
        aws: &AwsOptions,
        read: &ReadOptions,
        bucket: &str,
    ) -> Result<S3Store, StoreError> {
        let probe = client_for(conf, aws, None);
        let found = match probe.head_bucket().bucket(bucket).send().await {
            Ok(out) => out.bucket_region().map(str::to_string),
            Err(e) => {
                let header = e
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_string);
                if header.is_none() {
                    // 403 without a region header still lets listing try; anything else is final.
                    let err = classify(&format!("s3://{bucket}"), e);
                    if err.kind != FailureKind::AccessDenied {
                        return Err(err);
                    }
                }
                header
            }
        };
        let (client, region) = match found {
            Some(r)
                if aws.endpoint_url.is_none() && conf.region().map(|x| x.as_ref()) != Some(&r) =>
            {
                (client_for(conf, aws, Some(r.clone())), Some(r))
            }
            _ => (probe, None),
        };
        let kms = aws_sdk_kms::Client::from_conf(
            aws_sdk_kms::config::Builder::from(conf)
                .region(region_or_default(conf, region))
                .build(),
        );
        Ok(S3Store::from_clients(client, kms, bucket, read.clone()))
    }

    /// A store over clients made elsewhere (tests give mocked ones).
    pub fn from_clients(
        client: Client,
        kms: aws_sdk_kms::Client,
        bucket: &str,
        read: ReadOptions,
    ) -> S3Store {
        let sent = Arc::new(AtomicU64::new(0));
        // Counted on the wire, so that every path (lists, heads, gets, ranges, retries) is.
        let client = Client::from_conf(
            client
                .config()
                .to_builder()
                .interceptor(Counter(sent.clone()))
                .build(),
        );
        S3Store {
            client,
            sent,
            kms,
            bucket: bucket.to_string(),
            read,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

/// Counts the requests a client sends: each attempt, as S3 bills and throttles them.
#[derive(Debug)]
struct Counter(Arc<AtomicU64>);

impl aws_smithy_runtime_api::client::interceptors::Intercept for Counter {
    fn name(&self) -> &'static str {
        "trawl-request-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef<'_>,
        _components: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _cfg: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Turns an SDK error into a specific, credential-free message.
fn classify<E>(uri: &str, err: SdkError<E, aws_smithy_runtime_api::http::Response>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.code().map(str::to_string);
    let message = err.message().map(str::to_string);
    let detail = match (&code, &message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.clone(),
        (None, Some(m)) => m.clone(),
        (None, None) => match status {
            Some(s) => format!("HTTP {s}"),
            None => super::body::error_chain(&err),
        },
    };
    let kind = match (&err, code.as_deref(), status) {
        (SdkError::TimeoutError(_), _, _) => FailureKind::Timeout,
        (SdkError::DispatchFailure(d), _, _) if d.is_timeout() => FailureKind::Timeout,
        (_, Some("NoSuchKey" | "NoSuchBucket" | "NotFound"), _) | (_, _, Some(404)) => {
            FailureKind::NotFound
        }
        (_, Some("AccessDenied" | "AllAccessDisabled" | "InvalidAccessKeyId"), _)
        | (_, _, Some(403)) => FailureKind::AccessDenied,
        (
            _,
            Some("SlowDown" | "Throttling" | "ThrottlingException" | "RequestLimitExceeded"),
            _,
        )
        | (_, _, Some(503)) => FailureKind::Throttled,
        _ if detail.contains("credentials") => FailureKind::NoCredentials,
        _ => FailureKind::Other,
    };
    let detail = if kind == FailureKind::NoCredentials {
        super::NO_CREDENTIALS.to_string()
    } else {
        detail
    };
    StoreError::new(uri, kind, detail)
}

/// A key or prefix of a listing sent with `encoding-type=url`, decoded. XML 1.0 cannot carry
/// every character a key may hold (`AWSLogs/\x01` makes the whole page unreadable), so
/// listings ask S3 to percent-encode them, as the AWS SDKs for Python do by default; S3 writes a
/// space as `+`. A key that does not decode to UTF-8 is kept as it came.
pub(crate) fn url_decoded(s: &str) -> String {
    if !s.contains(['%', '+']) {
        return s.to_string();
    }
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn meta_from_object(o: &aws_sdk_s3::types::Object) -> Option<ObjectMeta> {
    Some(ObjectMeta {
        key: url_decoded(o.key()?),
        size: o.size().and_then(|s| u64::try_from(s).ok()),
        etag: o.e_tag().map(str::to_string),
        last_modified: o.last_modified().map(|t| t.to_string()),
    })
}

#[async_trait]
impl Store for S3Store {
    fn requests(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    fn uri(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, key)
    }

    async fn list_level(&self, prefix: &str) -> Result<Listing, StoreError> {
        let mut listing = Listing::default();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .delimiter("/")
                .encoding_type(EncodingType::Url)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| classify(&self.uri(prefix), e))?;
            listing.folders.extend(
                out.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(url_decoded)),
            );
            listing
                .objects
                .extend(out.contents().iter().filter_map(meta_from_object));
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() || out.is_truncated() != Some(true) {
                break;
            }
        }
        Ok(listing)
    }

    async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut out_objects = Vec::new();
        let mut token = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .encoding_type(EncodingType::Url)
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| classify(&self.uri(prefix), e))?;
            out_objects.extend(out.contents().iter().filter_map(meta_from_object));
            token = out.next_continuation_token().map(str::to_string);
            if token.is_none() || out.is_truncated() != Some(true) {
                break;
            }
        }
        Ok(out_objects)
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta, StoreError> {
        let out = self
            .head_request(key)
            .send()
            .await
            .map_err(|e| classify(&self.uri(key), e))
            .map_err(|e| self.sse_c_hint(e))?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size: out.content_length().and_then(|s| u64::try_from(s).ok()),
            etag: out.e_tag().map(str::to_string),
            last_modified: out.last_modified().map(|t| t.to_string()),
        })
    }

    async fn get(&self, key: &str) -> Result<ByteReader, StoreError> {
        let uri = self.uri(key);
        let out = match self.get_request(key).send().await {
            Ok(out) => out,
            Err(e) => {
                let err = classify(&uri, e);
                return Err(if err.kind == FailureKind::AccessDenied {
                    self.diagnose_denied(key, err).await
                } else {
                    self.sse_c_hint(err)
                });
            }
        };
        let meta = out.metadata().cloned().unwrap_or_default();
        let size = out.content_length().and_then(|s| u64::try_from(s).ok());
        let body = super::body::Described::new(out.body.into_async_read());
        match cse::presence(&meta) {
            Presence::InMetadata => self.decrypt(key, &meta, body, size).await,
            Presence::NeedsInstructionFile => match self.instruction_file(key).await? {
                Some(instr) => {
                    let merged = cse::merge_instruction_file(&meta, instr)
                        .map_err(|e| cse_failure(&uri, e))?;
                    self.decrypt(key, &merged, body, size).await
                }
                None => Err(StoreError::new(
                    uri,
                    FailureKind::Other,
                    format!(
                        "client-side encrypted (v3) but its instruction file {}.instruction is missing",
                        key
                    ),
                )),
            },
            Presence::None => {
                // Only bytes that look like no log format are worth asking for an instruction file.
                let mut reader = tokio::io::BufReader::with_capacity(64 << 10, body);
                let head = reader.fill_buf().await.map_err(|e| {
                    StoreError::new(&uri, FailureKind::Other, format!("read failed: {e}"))
                })?;
                if cse::looks_like_plaintext(head) {
                    return Ok(Box::pin(reader));
                }
                match self.instruction_file(key).await? {
                    Some(instr) => {
                        let merged = cse::merge_instruction_file(&meta, instr)
                            .map_err(|e| cse_failure(&uri, e))?;
                        self.decrypt(key, &merged, reader, size).await
                    }
                    None => Ok(Box::pin(reader)),
                }
            }
        }
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<bytes::Bytes, StoreError> {
        let uri = self.uri(key);
        let out = self
            .get_request(key)
            .range(format!("bytes={start}-{}", start + len.max(1) - 1))
            .send()
            .await
            .map_err(|e| classify(&uri, e))?;
        // A range of a client-side encrypted object is ciphertext: only a whole read can decrypt.
        let meta = out.metadata().cloned().unwrap_or_default();
        if cse::presence(&meta) != Presence::None {
            return Err(StoreError::new(
                uri,
                FailureKind::Other,
                "client-side encrypted: read whole, not by range",
            ));
        }
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| StoreError::new(&uri, FailureKind::Other, format!("body: {e}")))?;
        Ok(body.into_bytes())
    }

    async fn user_metadata(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, String>>, StoreError> {
        let out = self
            .head_request(key)
            .send()
            .await
            .map_err(|e| classify(&self.uri(key), e))
            .map_err(|e| self.sse_c_hint(e))?;
        // S3 names metadata case-insensitively; the SDK hands it over without the prefix.
        let meta = out
            .metadata()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        Ok(Some(meta))
    }
}

/// One IAM policy statement, on one line, that grants `action` on `resource`.
pub fn grant_statement(action: &str, resource: &str) -> String {
    serde_json::json!({"Effect": "Allow", "Action": action, "Resource": resource}).to_string()
}

fn cse_failure(uri: &str, e: CseError) -> StoreError {
    StoreError::new(uri, FailureKind::Other, e.to_string())
}

/// Largest instruction file read: they hold a few hundred bytes of JSON.
const MAX_INSTRUCTION_BYTES: u64 = 64 << 10;

impl S3Store {
    fn get_request(
        &self,
        key: &str,
    ) -> aws_sdk_s3::operation::get_object::builders::GetObjectFluentBuilder {
        let req = self.client.get_object().bucket(&self.bucket).key(key);
        match &self.read.sse_c {
            Some(c) => req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(c.key_b64.as_str())
                .sse_customer_key_md5(&c.md5_b64),
            None => req,
        }
    }

    fn head_request(
        &self,
        key: &str,
    ) -> aws_sdk_s3::operation::head_object::builders::HeadObjectFluentBuilder {
        let req = self.client.head_object().bucket(&self.bucket).key(key);
        match &self.read.sse_c {
            Some(c) => req
                .sse_customer_algorithm("AES256")
                .sse_customer_key(c.key_b64.as_str())
                .sse_customer_key_md5(&c.md5_b64),
            None => req,
        }
    }

    /// S3 answers a read of an SSE-C object without its key with a 400 that names no flag.
    fn sse_c_hint(&self, mut err: StoreError) -> StoreError {
        let d = err.detail.to_ascii_lowercase();
        if self.read.sse_c.is_none()
            && (d.contains("server side encryption") || d.contains("customer") && d.contains("key"))
        {
            err.detail
                .push_str("; the object is encrypted with a customer-provided key (SSE-C): pass --sse-c-key-file");
        }
        err
    }

    /// A 403 on GetObject says nothing of why; HeadObject (which needs only s3:GetObject) tells
    /// whether the missing grant is the object's SSE-KMS key or the object itself.
    async fn diagnose_denied(&self, key: &str, err: StoreError) -> StoreError {
        let object_arn = format!("arn:aws:s3:::{}/{}", self.bucket, key);
        let s3_missing = |note: &str| {
            format!(
                "missing s3:GetObject on {object_arn}{note}; grant it with {}",
                grant_statement("s3:GetObject", &object_arn)
            )
        };
        let detail = match self.head_request(key).send().await {
            Ok(h) if matches!(
                h.server_side_encryption(),
                Some(ServerSideEncryption::AwsKms | ServerSideEncryption::AwsKmsDsse)
            ) =>
            {
                match h.ssekms_key_id() {
                    Some(id) => {
                        let key_arn = self.kms_key_arn(id);
                        format!(
                            "missing kms:Decrypt on {key_arn}: the object is SSE-KMS encrypted under that key; grant it with {}",
                            grant_statement("kms:Decrypt", &key_arn)
                        )
                    }
                    None => "missing kms:Decrypt on the object's SSE-KMS key (HeadObject did not name it)".to_string(),
                }
            }
            Ok(_) => s3_missing(" (HeadObject was allowed, so a policy condition may deny GetObject)"),
            Err(_) => s3_missing(""),
        };
        StoreError::new(err.uri, FailureKind::AccessDenied, detail)
    }

    /// S3 names SSE-KMS keys by ARN; a bare id is completed with the bucket's region.
    fn kms_key_arn(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_string()
        } else {
            let region = self
                .kms
                .config()
                .region()
                .map_or("us-east-1".to_string(), |r| r.to_string());
            format!("arn:aws:kms:{region}:*:key/{id}")
        }
    }

    /// `<key>.instruction`, parsed; `None` when there is none.
    async fn instruction_file(
        &self,
        key: &str,
    ) -> Result<Option<HashMap<String, String>>, StoreError> {
        let ikey = format!("{key}.instruction");
        let uri = self.uri(&ikey);
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&ikey)
            .send()
            .await
        {
            Ok(o) => o,
            Err(e) => {
                let err = classify(&uri, e);
                return match err.kind {
                    FailureKind::NotFound => Ok(None),
                    _ => Err(err),
                };
            }
        };
        let mut body = Vec::new();
        out.body
            .into_async_read()
            .take(MAX_INSTRUCTION_BYTES)
            .read_to_end(&mut body)
            .await
            .map_err(|e| StoreError::new(&uri, FailureKind::Other, format!("read failed: {e}")))?;
        cse::parse_instruction_file(&body)
            .map(Some)
            .map_err(|e| cse_failure(&self.uri(key), e))
    }

    /// Unwraps the data key, reads the whole (bounded) ciphertext, and hands on only plaintext
    /// whose commitment and tag verified.
    async fn decrypt(
        &self,
        key: &str,
        meta: &HashMap<String, String>,
        body: impl AsyncRead + Unpin + Send,
        size: Option<u64>,
    ) -> Result<ByteReader, StoreError> {
        let uri = self.uri(key);
        let env = cse::parse_envelope(meta).map_err(|e| cse_failure(&uri, e))?;
        if env.is_legacy() && !self.read.allow_legacy_cse {
            return Err(cse_failure(
                &uri,
                CseError::Legacy(env.format_name().to_string()),
            ));
        }
        let limit = self.read.max_object_bytes.saturating_add(16);
        if size.is_some_and(|s| s > limit) {
            return Err(cse_failure(
                &uri,
                CseError::TooLarge(self.read.max_object_bytes),
            ));
        }
        let data_key = self.unwrap_data_key(&uri, &env).await?;
        let mut ciphertext = Vec::with_capacity(size.unwrap_or(0).min(limit) as usize);
        body.take(limit + 1)
            .read_to_end(&mut ciphertext)
            .await
            .map_err(|e| StoreError::new(&uri, FailureKind::Other, format!("read failed: {e}")))?;
        if ciphertext.len() as u64 > limit {
            return Err(cse_failure(
                &uri,
                CseError::TooLarge(self.read.max_object_bytes),
            ));
        }
        let plaintext =
            tokio::task::spawn_blocking(move || cse::decrypt_content(&env, &data_key, ciphertext))
                .await
                .map_err(|e| {
                    StoreError::new(&uri, FailureKind::Other, format!("decryption crashed: {e}"))
                })?
                .map_err(|e| cse_failure(&uri, e))?;
        Ok(Box::pin(std::io::Cursor::new(plaintext)))
    }

    async fn unwrap_data_key(
        &self,
        uri: &str,
        env: &Envelope,
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        let context: HashMap<String, String> = env.context.clone().into_iter().collect();
        let res = self
            .kms
            .decrypt()
            .ciphertext_blob(aws_smithy_types::Blob::new(env.wrapped_key.clone()))
            .set_encryption_context((!context.is_empty()).then_some(context))
            .send()
            .await;
        let err = match res {
            Ok(out) => {
                let key = Zeroizing::new(
                    out.plaintext
                        .map(aws_smithy_types::Blob::into_inner)
                        .unwrap_or_default(),
                );
                return Ok(key);
            }
            Err(e) => e,
        };
        let code = err.code().unwrap_or_default().to_string();
        let message = err.message().unwrap_or_default().to_string();
        let status = err.raw_response().map(|r| r.status().as_u16());
        match code.as_str() {
            // Some endpoints answer a denial with a bare 403 that names no error code.
            c if c.starts_with("AccessDenied") || status == Some(403) => {
                let key_arn = cse::key_arn_in(&message)
                    .map(str::to_string)
                    .or_else(|| {
                        env.context
                            .get("kms_cmk_id")
                            .filter(|k| k.starts_with("arn:"))
                            .cloned()
                    });
                let detail = match key_arn {
                    Some(arn) => format!(
                        "missing kms:Decrypt on {arn}: the data key of this client-side encrypted object is wrapped under that key; grant it with {}",
                        grant_statement("kms:Decrypt", &arn)
                    ),
                    None => "missing kms:Decrypt on the KMS key that wrapped this client-side encrypted object's data key".to_string(),
                };
                Err(StoreError::new(uri, FailureKind::AccessDenied, detail))
            }
            "InvalidCiphertextException" => Err(StoreError::new(
                uri,
                FailureKind::Other,
                "KMS refused to unwrap the data key (InvalidCiphertextException): the encryption context in the envelope is not the one it was wrapped under, or the wrapped key was altered; nothing of the object was read",
            )),
            _ => Err(classify(uri, err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::url_decoded;

    #[test]
    fn listed_keys_are_url_decoded() {
        assert_eq!(url_decoded("AWSLogs/%01"), "AWSLogs/\u{1}");
        assert_eq!(url_decoded("a+b%2Bc%20d"), "a b+c d");
        assert_eq!(url_decoded("caf%C3%A9/x.json"), "café/x.json");
        assert_eq!(url_decoded("plain/key.json.gz"), "plain/key.json.gz");
        // Not an escape, or not UTF-8 once decoded: kept as it came.
        assert_eq!(url_decoded("100%"), "100%");
        assert_eq!(url_decoded("%zz"), "%zz");
        assert_eq!(url_decoded("%ff+"), "%ff+");
    }
}
