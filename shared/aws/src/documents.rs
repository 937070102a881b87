//! The documents' bytes in S3: upload and download links signed for one object key the service
//! chose, and what the check on arrival asks of an object (its size, its first bytes, its
//! deletion).
//!
//! A presigned link acts with the permissions of the role that signed it: the signing
//! function's role needs `s3:PutObject` (upload) or `s3:GetObject` (download) on the key.

use async_trait::async_trait;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use chrono::{DateTime, Utc};
use cpor_domain::document::{Document, SNIFF_BYTES};
use cpor_domain::ports::{ArrivedObject, DocumentObjects, Unavailable};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

/// How long an upload link works (api.md: within 15 minutes).
pub const UPLOAD_LINK_VALIDITY: Duration = Duration::from_secs(15 * 60);

/// How long a download link works (api.md: 5 minutes).
pub const DOWNLOAD_LINK_VALIDITY: Duration = Duration::from_secs(5 * 60);

/// A signed request the client makes itself, directly to storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedLink {
    pub method: String,
    pub url: String,
    /// The headers the client must send exactly as they are (they are signed).
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

/// The documents' bucket.
#[derive(Debug, Clone)]
pub struct S3Documents {
    client: Arc<S3Client>,
    bucket: String,
}

/// The S3 client: given, or built on its first use (a function that serves documents on a
/// few of its routes only does not pay for it in every cold start).
#[derive(Debug)]
enum S3Client {
    Given(aws_sdk_s3::Client),
    OnFirstUse(Box<aws_config::SdkConfig>, OnceLock<aws_sdk_s3::Client>),
}

fn failed(what: &str, error: &impl std::error::Error) -> Unavailable {
    Unavailable(format!("S3 {what}: {}", crate::describe(error)))
}

impl S3Documents {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client: Arc::new(S3Client::Given(client)),
            bucket: bucket.into(),
        }
    }

    /// The bucket on `sdk`'s S3 client ([`S3Documents::client`]), built when first needed.
    pub fn on_first_use(sdk: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        Self {
            client: Arc::new(S3Client::OnFirstUse(Box::new(sdk.clone()), OnceLock::new())),
            bucket: bucket.into(),
        }
    }

    fn s3(&self) -> &aws_sdk_s3::Client {
        match &*self.client {
            S3Client::Given(client) => client,
            S3Client::OnFirstUse(sdk, client) => client.get_or_init(|| Self::client(sdk)),
        }
    }

    /// The client for `sdk`: path-style addressing when the configuration names an endpoint
    /// (the emulator serves the bucket at `<endpoint>/<bucket>`, not at a bucket's host name).
    pub fn client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(sdk.endpoint_url().is_some())
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A link to upload `document`'s bytes to `key`, with its declared type and length signed:
    /// storage refuses another type or length (AWS does; the check on arrival does as well).
    pub async fn upload_link(
        &self,
        key: &str,
        document: &Document,
    ) -> Result<SignedLink, Unavailable> {
        let size = i64::try_from(document.size)
            .map_err(|_| Unavailable("a document's size is out of range".into()))?;
        let (config, expires_at) = presigning(UPLOAD_LINK_VALIDITY)?;
        let request = self
            .s3()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(document.content_type.as_str())
            .content_length(size)
            .presigned(config)
            .await
            .map_err(|e| failed("presign PutObject", &e))?;
        Ok(link(&request, expires_at))
    }

    /// A link to download `key`.
    pub async fn download_link(&self, key: &str) -> Result<SignedLink, Unavailable> {
        let (config, expires_at) = presigning(DOWNLOAD_LINK_VALIDITY)?;
        let request = self
            .s3()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(|e| failed("presign GetObject", &e))?;
        Ok(link(&request, expires_at))
    }
}

/// Signed now, for `validity`: links are about real time, whatever the service's clock says.
fn presigning(validity: Duration) -> Result<(PresigningConfig, DateTime<Utc>), Unavailable> {
    let now = SystemTime::now();
    let config = PresigningConfig::builder()
        .start_time(now)
        .expires_in(validity)
        .build()
        .map_err(|e| Unavailable(format!("presigning: {e}")))?;
    Ok((config, DateTime::<Utc>::from(now + validity)))
}

fn link(request: &PresignedRequest, expires_at: DateTime<Utc>) -> SignedLink {
    SignedLink {
        method: request.method().to_owned(),
        url: request.uri().to_owned(),
        headers: request
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        expires_at,
    }
}

#[async_trait]
impl DocumentObjects for S3Documents {
    async fn inspect(&self, key: &str) -> Result<Option<ArrivedObject>, Unavailable> {
        let head = match self
            .s3()
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => head,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => return Ok(None),
            Err(e) => return Err(failed("HeadObject", &e)),
        };
        let size = head
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        if size == 0 {
            return Ok(Some(ArrivedObject {
                size,
                first_bytes: Vec::new(),
            }));
        }
        let object = match self
            .s3()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .range(format!("bytes=0-{}", SNIFF_BYTES - 1))
            .send()
            .await
        {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(failed("GetObject", &e)),
        };
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| failed("GetObject's body", &e))?
            .into_bytes();
        Ok(Some(ArrivedObject {
            size,
            first_bytes: bytes.iter().take(SNIFF_BYTES).copied().collect(),
        }))
    }

    async fn delete(&self, key: &str) -> Result<(), Unavailable> {
        self.s3()
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failed("DeleteObject", &e))
    }
}
