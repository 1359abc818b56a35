//! An S3 bucket through aws-sdk-s3, configured from aws-config's default chain.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use aws_smithy_types::timeout::TimeoutConfig;

use super::{ByteReader, FailureKind, Listing, ObjectMeta, Store, StoreError};

/// The global AWS flags of the command line.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub no_sign_request: bool,
}

impl AwsOptions {
    /// The shared configuration: env, profiles, SSO, IMDS — whatever the default chain finds.
    pub async fn load(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(10))
                .read_timeout(Duration::from_secs(60))
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
    bucket: String,
}

fn client_for(conf: &SdkConfig, aws: &AwsOptions, region: Option<String>) -> Client {
    let mut b = aws_sdk_s3::config::Builder::from(conf);
    // Local and third-party endpoints (moto, MinIO) rarely resolve virtual-hosted bucket names.
    if aws.endpoint_url.is_some() {
        b = b.force_path_style(true);
    }
    if let Some(r) = region.or_else(|| conf.region().map(|r| r.to_string())) {
        b = b.region(Region::new(r));
    } else {
        b = b.region(Region::from_static("us-east-1"));
    }
    Client::from_conf(b.build())
}

impl S3Store {
    /// A client for `bucket` in the bucket's own region, found by asking S3, so users need not know it.
    pub async fn connect(
        conf: &SdkConfig,
        aws: &AwsOptions,
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
        let client = match found {
            Some(r)
                if aws.endpoint_url.is_none() && conf.region().map(|x| x.as_ref()) != Some(&r) =>
            {
                client_for(conf, aws, Some(r))
            }
            _ => probe,
        };
        Ok(S3Store {
            client,
            bucket: bucket.to_string(),
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
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
            None => DisplayErrorContext(&err).to_string(),
        },
    };
    let kind = match (&err, code.as_deref(), status) {
        (SdkError::TimeoutError(_), _, _) => FailureKind::Timeout,
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
        "none found in the environment, profiles, SSO or instance metadata; try --profile, or --no-sign-request for a public bucket".to_string()
    } else {
        detail
    };
    StoreError::new(uri, kind, detail)
}

fn meta_from_object(o: &aws_sdk_s3::types::Object) -> Option<ObjectMeta> {
    Some(ObjectMeta {
        key: o.key()?.to_string(),
        size: o.size().and_then(|s| u64::try_from(s).ok()),
        etag: o.e_tag().map(str::to_string),
        last_modified: o.last_modified().map(|t| t.to_string()),
    })
}

#[async_trait]
impl Store for S3Store {
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
                .set_continuation_token(token)
                .send()
                .await
                .map_err(|e| classify(&self.uri(prefix), e))?;
            listing.folders.extend(
                out.common_prefixes()
                    .iter()
                    .filter_map(|p| p.prefix().map(str::to_string)),
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
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(&self.uri(key), e))?;
        Ok(ObjectMeta {
            key: key.to_string(),
            size: out.content_length().and_then(|s| u64::try_from(s).ok()),
            etag: out.e_tag().map(str::to_string),
            last_modified: out.last_modified().map(|t| t.to_string()),
        })
    }

    async fn get(&self, key: &str) -> Result<ByteReader, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(&self.uri(key), e))?;
        Ok(Box::pin(out.body.into_async_read()))
    }

    async fn get_range(&self, key: &str, start: u64, len: u64) -> Result<bytes::Bytes, StoreError> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes={start}-{}", start + len.max(1) - 1))
            .send()
            .await
            .map_err(|e| classify(&self.uri(key), e))?;
        let body = out.body.collect().await.map_err(|e| {
            StoreError::new(self.uri(key), FailureKind::Other, format!("body: {e}"))
        })?;
        Ok(body.into_bytes())
    }
}
