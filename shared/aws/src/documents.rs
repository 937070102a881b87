//! The documents' bytes in S3: upload and download links signed for one object key the service
//! chose, and what the check on arrival asks of an object (its size, its first bytes, its
//! deletion).
//!
//! A presigned link acts with the permissions of the role that signed it: the signing
//! function's role needs `s3:PutObject` (upload) or `s3:GetObject` and `s3:GetObjectVersion`
//! (download) on the key.
//!
//! The bucket keeps versions. An upload link may only create its object (`If-None-Match: *`),
//! never write over it; a counted document is recorded with the version id of the bytes that
//! were checked and their SHA-256 (computed here, by reading them: S3 computes no SHA-256 of
//! its own, and a presigned PUT could only carry one the partner declared beforehand), and is
//! always downloaded at that version. So nothing put under its key later can change what a
//! reviewer reads, and nothing deletes it: the service deletes only the exact version it
//! refused.

use async_trait::async_trait;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use chrono::{DateTime, Utc};
use cpor_domain::document::{Document, MAX_DOCUMENT_BYTES, SNIFF_BYTES, UPLOAD_WINDOW};
use cpor_domain::ports::{ArrivedObject, DocumentObjects, Unavailable};
use std::time::{Duration, SystemTime};

/// How long an upload link works: the window a pending document waits for its bytes.
pub const UPLOAD_LINK_VALIDITY: Duration = Duration::from_secs(UPLOAD_WINDOW.num_seconds() as u64);

/// How long a download link works: 5 minutes.
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
    client: crate::SdkClient<aws_sdk_s3::Client>,
    bucket: String,
}

fn failed(what: &str, error: &impl std::error::Error) -> Unavailable {
    Unavailable(format!("S3 {what}: {}", crate::describe(error)))
}

impl S3Documents {
    pub fn new(client: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            client: client.into(),
            bucket: bucket.into(),
        }
    }

    /// The bucket on `sdk`'s S3 client ([`S3Documents::client`]), built when first needed (a
    /// function that serves documents on a few of its routes only does not pay for it on the
    /// others).
    pub fn on_first_use(sdk: &aws_config::SdkConfig, bucket: impl Into<String>) -> Self {
        Self {
            client: crate::SdkClient::on_first_use(sdk, Self::client),
            bucket: bucket.into(),
        }
    }

    fn s3(&self) -> &aws_sdk_s3::Client {
        &self.client
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
    /// `If-None-Match: *` is signed too: the link creates the object and never writes over
    /// one (S3's conditional write answers 412), so a counted upload cannot be replaced by
    /// the same link within its 15 minutes.
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
            .if_none_match("*")
            .presigned(config)
            .await
            .map_err(|e| failed("presign PutObject", &e))?;
        Ok(link(&request, expires_at))
    }

    /// A link to download `document`'s bytes, stored under `key`: the version that counted
    /// (whatever was put under the key since), always as an attachment named by the
    /// document's file name (S3 answers with the `Content-Disposition` the link names).
    pub async fn download_link(
        &self,
        key: &str,
        document: &Document,
    ) -> Result<SignedLink, Unavailable> {
        let (config, expires_at) = presigning(DOWNLOAD_LINK_VALIDITY)?;
        let version = document.object.as_ref().and_then(|o| o.version_id.clone());
        let request = self
            .s3()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version)
            .response_content_disposition(document.attachment_disposition())
            .presigned(config)
            .await
            .map_err(|e| failed("presign GetObject", &e))?;
        Ok(link(&request, expires_at))
    }
}

impl S3Documents {
    /// Writes an export's file at `key`, whole, in one `PutObject` (run-export builds it in
    /// memory: see its module's note on sizes), downloaded as an attachment named `file_name`.
    pub async fn put_export(
        &self,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
        file_name: &str,
    ) -> Result<(), Unavailable> {
        self.s3()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_disposition(format!("attachment; filename=\"{file_name}\""))
            .body(bytes.into())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| failed("PutObject", &e))
    }

    /// A link to download the export's file at `key`, valid [`DOWNLOAD_LINK_VALIDITY`].
    pub async fn export_link(&self, key: &str) -> Result<SignedLink, Unavailable> {
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

/// Whether S3's error for an object of ours means that it is not there.
///
/// S3 answers 404 for a missing key (or version) only to a caller allowed `s3:ListBucket` on
/// the bucket; to any other it answers 403, to reveal nothing about which keys exist. The
/// functions are not allowed to list the bucket (it would show every claim's documents), and
/// a grant restricted by an `s3:prefix` condition is no sure way out: `s3:prefix` is a key of
/// list requests, which a HEAD or GET is not, and AWS documents no 404 for such a grant. So
/// the answer is read here, whatever the policy: a 403 on an object under `claims/` means
/// "not there". The role is allowed `s3:GetObject` and `s3:GetObjectVersion` on every such
/// key (the IAM test proves each call the functions make against the template), the keys are
/// the service's own, and what removes them is this service's deletion of a refused upload.
/// A 403 on any other key stays an error.
fn is_absent<E>(key: &str, error: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> bool
where
    E: aws_sdk_s3::error::ProvideErrorMetadata,
{
    let Some(response) = error.raw_response() else {
        return false;
    };
    match response.status().as_u16() {
        404 => true,
        403 => key.starts_with(crate::schema::DOCUMENTS_KEY_PREFIX),
        _ => false,
    }
}

impl S3Documents {
    /// The version id and size of `key` at `version`, or at its current version; `None` when
    /// there is none.
    async fn head(
        &self,
        key: &str,
        version: Option<&str>,
    ) -> Result<Option<(Option<String>, u64)>, Unavailable> {
        let head = match self
            .s3()
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version.map(str::to_owned))
            .send()
            .await
        {
            Ok(head) => head,
            Err(e) if is_absent(key, &e) => return Ok(None),
            Err(e) => return Err(failed("HeadObject", &e)),
        };
        let size = head
            .content_length()
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let version_id = head
            .version_id()
            .or(version)
            .filter(|v| *v != "null")
            .map(str::to_owned);
        Ok(Some((version_id, size)))
    }
}

#[async_trait]
impl DocumentObjects for S3Documents {
    async fn inspect(
        &self,
        key: &str,
        version: Option<&str>,
    ) -> Result<Option<ArrivedObject>, Unavailable> {
        use sha2::{Digest, Sha256};
        let Some((version_id, size)) = self.head(key, version).await? else {
            return Ok(None);
        };
        if size == 0 {
            return Ok(Some(ArrivedObject {
                size,
                first_bytes: Vec::new(),
                version_id,
                sha256: None,
            }));
        }
        // An object over the limit never counts: only its first bytes are read. Any other is
        // read whole, at the version found, for its SHA-256.
        let whole = size <= MAX_DOCUMENT_BYTES;
        let request = self
            .s3()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.clone());
        let request = if whole {
            request
        } else {
            request.range(format!("bytes=0-{}", SNIFF_BYTES - 1))
        };
        let mut object = match request.send().await {
            Ok(object) => object,
            Err(e) if is_absent(key, &e) => return Ok(None),
            Err(e) => return Err(failed("GetObject", &e)),
        };
        let mut hasher = Sha256::new();
        let mut first_bytes = Vec::with_capacity(SNIFF_BYTES);
        while let Some(chunk) = object
            .body
            .try_next()
            .await
            .map_err(|e| failed("GetObject's body", &e))?
        {
            let wanted = SNIFF_BYTES.saturating_sub(first_bytes.len());
            first_bytes.extend(chunk.iter().take(wanted));
            hasher.update(&chunk);
        }
        let sha256 = whole.then(|| {
            hasher
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        });
        Ok(Some(ArrivedObject {
            size,
            first_bytes,
            version_id,
            sha256,
        }))
    }

    async fn delete(&self, key: &str, version: Option<&str>) -> Result<(), Unavailable> {
        // Without a version, the current one's: deleting a key of a versioned bucket would
        // only hide its bytes behind a delete marker.
        let version = match version {
            Some(version) => Some(version.to_owned()),
            None => match self.head(key, None).await? {
                Some((version, _)) => version,
                None => return Ok(()),
            },
        };
        match self
            .s3()
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_absent(key, &e) => Ok(()),
            Err(e) => Err(failed("DeleteObject", &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::operation::head_object::HeadObjectError;
    use aws_smithy_runtime_api::http::{Response, StatusCode};
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    /// HeadObject's error as the SDK makes it of an answer with `status` and no body (a HEAD
    /// has none).
    fn head_error(status: u16) -> SdkError<HeadObjectError, Response> {
        let code = if status == 404 {
            "NotFound"
        } else {
            "Forbidden"
        };
        let error = HeadObjectError::generic(ErrorMetadata::builder().code(code).build());
        let response = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::empty());
        SdkError::service_error(error, response)
    }

    #[test]
    fn a_403_on_a_document_s_key_means_its_object_is_gone_as_aws_answers_without_list_bucket() {
        // GIVEN S3's answers to a HEAD of a missing object: 403 to a role without
        // s3:ListBucket (AWS), 404 with it (and the emulator's)
        let key = "claims/01JDX3AAAAAAAAAAAAAAAAAAAA/01JDX4AAAAAAAAAAAAAAAAAAAA";
        // THEN both mean "not there" for a document's key
        assert!(is_absent(key, &head_error(403)));
        assert!(is_absent(key, &head_error(404)));
        // AND a 403 elsewhere, or another failure, stays an error
        assert!(!is_absent("exports/x.csv", &head_error(403)));
        assert!(!is_absent(key, &head_error(500)));
        assert!(!is_absent(key, &head_error(400)));
    }
}
