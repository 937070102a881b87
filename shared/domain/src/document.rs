//! Documents a partner uploads to a claim (the signed statement of work and the like): what the
//! partner declares before uploading, what the service checks when the bytes arrive, and where
//! they are kept.
//!
//! The bytes never pass through the service: the partner uploads them to storage with a link
//! the service signed for one key of its choosing ([`object_key`]); storage then tells the
//! service, which counts the document only if its real size and type match what was declared.

use crate::ids::ClaimId;
use crate::validation::{FieldCode, Invalid, ObjectReader, ValidationErrors};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;
use std::fmt;
use ulid::Ulid;

/// Most documents a claim may carry, pending ones included (expired ones are not: see
/// [`Document::is_expired`]).
pub const MAX_DOCUMENTS: u32 = 10;

/// How long a declared document waits for its bytes: as long as its upload link works. A
/// pending document older than this is dropped ([`Document::is_expired`]).
pub const UPLOAD_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// Largest document accepted: 10 MiB.
pub const MAX_DOCUMENT_BYTES: u64 = 10 * 1024 * 1024;

/// Longest file name accepted.
pub const MAX_FILE_NAME_CHARS: usize = 255;

/// How many first bytes [`ContentType::sniff`] needs.
pub const SNIFF_BYTES: usize = 16;

/// A document's id: a ULID, like a claim's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId(Ulid);

impl DocumentId {
    pub fn new_at(at: DateTime<Utc>) -> Self {
        Self(Ulid::from_datetime(at.into()))
    }

    /// Parses the 26-character text form.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != 26 {
            return None;
        }
        Ulid::from_string(text).ok().map(Self)
    }

    /// The instant its ULID names: when the document was declared (to the millisecond).
    pub fn declared_at(self) -> DateTime<Utc> {
        DateTime::<Utc>::from(self.0.datetime())
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The types a document may have, known by their first bytes, never by their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    Pdf,
    Png,
    Jpeg,
}

impl ContentType {
    pub const ALL: [ContentType; 3] = [Self::Pdf, Self::Png, Self::Jpeg];

    /// The media type, as declared and as storage is told.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }

    /// The bytes every file of this type starts with.
    fn signature(self) -> &'static [u8] {
        match self {
            Self::Pdf => b"%PDF-",
            Self::Png => b"\x89PNG\r\n\x1a\n",
            Self::Jpeg => b"\xFF\xD8\xFF",
        }
    }

    /// The type the first bytes of a file say it has, if one of ours.
    pub fn sniff(first_bytes: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| first_bytes.starts_with(t.signature()))
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a partner declares before uploading a document; the upload link is signed for exactly
/// this type and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    pub file_name: String,
    pub content_type: ContentType,
    /// In bytes, 1 to [`MAX_DOCUMENT_BYTES`].
    pub size: u64,
}

impl UploadRequest {
    /// Reads the body of `POST /documents`, every refused field named at once.
    pub fn read(body: &Value) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let Some(object) = body.as_object() else {
            return Err(ValidationErrors::single(
                "",
                Invalid::new(FieldCode::InvalidType, "must be a JSON object"),
            ));
        };
        let reader = ObjectReader::new(object);
        reader.reject_unknown(&["file_name", "content_type", "size"], &mut errors);
        let file_name = reader.required("file_name", &mut errors, parse_file_name);
        let content_type = reader.required("content_type", &mut errors, |text| {
            ContentType::parse(text).ok_or_else(|| {
                Invalid::new(
                    FieldCode::InvalidValue,
                    "must be application/pdf, image/png or image/jpeg",
                )
            })
        });
        let size = match reader.value("size") {
            None => {
                errors.push(
                    reader.path("size"),
                    Invalid::new(FieldCode::Required, "is required"),
                );
                None
            }
            Some(value) => reader.record("size", parse_size(value), &mut errors),
        };
        errors.into_result(|| {
            Some(Self {
                file_name: file_name?,
                content_type: content_type?,
                size: size?,
            })
        })
    }
}

fn parse_file_name(text: &str) -> Result<String, Invalid> {
    let count = text.chars().count();
    if count == 0 || text.trim().is_empty() {
        return Err(Invalid::new(FieldCode::Empty, "must not be empty"));
    }
    if count > MAX_FILE_NAME_CHARS {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {MAX_FILE_NAME_CHARS} characters"),
        ));
    }
    // A name is shown to reviewers and logged nowhere; path separators would let it pass for
    // a path in a download's name, control characters for something else on a screen.
    if text
        .chars()
        .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(Invalid::new(
            FieldCode::InvalidCharacters,
            "must not contain control characters or path separators",
        ));
    }
    Ok(text.to_owned())
}

fn parse_size(value: &Value) -> Result<u64, Invalid> {
    // JSON does not tell 2048 from 2048.0: both are the whole number JSON Schema's `integer`
    // accepts.
    let whole =
        |f: f64| (f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(&f)).then_some(f as u64);
    let size = value
        .as_u64()
        .or_else(|| value.as_f64().and_then(whole))
        .ok_or_else(|| Invalid::new(FieldCode::InvalidType, "must be a whole number of bytes"))?;
    if (1..=MAX_DOCUMENT_BYTES).contains(&size) {
        Ok(size)
    } else {
        Err(Invalid::new(
            FieldCode::OutOfRange,
            format!("must be between 1 and {MAX_DOCUMENT_BYTES} bytes (10 MiB)"),
        ))
    }
}

/// Whether a document's bytes have arrived and passed the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentStatus {
    /// Declared; its upload has not arrived, or was refused.
    Pending,
    /// Arrived with the declared size and type: it counts.
    Uploaded,
}

impl DocumentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Uploaded => "uploaded",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Uploaded]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The stored bytes a document counted with: storage keeps every version of an object, and a
/// counted document is always read at this one, whatever is put under its key later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedObject {
    /// Storage's version id of the object that was checked (`None` only for documents counted
    /// before the bucket kept versions).
    pub version_id: Option<String>,
    /// The SHA-256 of those bytes, in lowercase hexadecimal, computed when they were checked.
    pub sha256: Option<String>,
}

/// A document of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    pub id: DocumentId,
    pub file_name: String,
    pub content_type: ContentType,
    /// The declared size, in bytes: the arrived object must have exactly this size.
    pub size: u64,
    pub status: DocumentStatus,
    /// When its upload link stops working; a document still pending then is dropped.
    pub upload_expires_at: DateTime<Utc>,
    /// When its bytes were accepted.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Of an uploaded document: the version and checksum of the bytes that counted.
    pub object: Option<CountedObject>,
}

impl Document {
    /// A new document, declared at `at`, pending until its upload arrives, for at most
    /// [`UPLOAD_WINDOW`].
    pub fn pending(id: DocumentId, request: UploadRequest, at: DateTime<Utc>) -> Self {
        Self {
            id,
            file_name: request.file_name,
            content_type: request.content_type,
            size: request.size,
            status: DocumentStatus::Pending,
            upload_expires_at: at + UPLOAD_WINDOW,
            uploaded_at: None,
            object: None,
        }
    }

    /// True for a pending document whose upload link stopped working: it is listed nowhere,
    /// no longer counts toward [`MAX_DOCUMENTS`], and its record is removed when its slot is
    /// needed. An uploaded document never expires.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.status == DocumentStatus::Pending && now >= self.upload_expires_at
    }

    /// The value of a download's `Content-Disposition`: always an attachment (a browser never
    /// shows a partner's file inline, under the service's origin or storage's), named by its
    /// file name: an ASCII fallback in `filename` and the exact name in `filename*` (RFC 6266,
    /// with RFC 8187's `UTF-8''` percent-encoding).
    pub fn attachment_disposition(&self) -> String {
        let fallback: String = self
            .file_name
            .chars()
            .map(|c| match c {
                ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
                _ => '_',
            })
            .collect();
        let mut encoded = String::with_capacity(self.file_name.len() * 3);
        for byte in self.file_name.bytes() {
            // RFC 8187's attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." /
            // "^" / "_" / "`" / "|" / "~"; everything else is percent-encoded.
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
    }

    /// Checks what arrived against what was declared: its size (from storage's metadata) and
    /// its type (from its first bytes).
    pub fn check_arrival(&self, size: u64, first_bytes: &[u8]) -> Result<(), RefusedUpload> {
        if size > MAX_DOCUMENT_BYTES {
            return Err(RefusedUpload::TooLarge(size));
        }
        if size != self.size {
            return Err(RefusedUpload::SizeMismatch {
                declared: self.size,
                arrived: size,
            });
        }
        match ContentType::sniff(first_bytes) {
            Some(found) if found == self.content_type => Ok(()),
            found => Err(RefusedUpload::TypeMismatch {
                declared: self.content_type,
                found,
            }),
        }
    }
}

/// Why an arrived upload does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefusedUpload {
    #[error("{0} bytes is over the 10 MiB limit")]
    TooLarge(u64),
    #[error("{arrived} bytes arrived, {declared} were declared")]
    SizeMismatch { declared: u64, arrived: u64 },
    #[error("declared {declared}, but its first bytes are {}", .found.map_or("of no accepted type", ContentType::as_str))]
    TypeMismatch {
        declared: ContentType,
        found: Option<ContentType>,
    },
}

/// The documents a partner or a reviewer sees: every one but the expired.
pub fn live(documents: Vec<Document>, now: DateTime<Utc>) -> Vec<Document> {
    documents
        .into_iter()
        .filter(|d| !d.is_expired(now))
        .collect()
}

/// The key of a document's object in the bucket: always the service's choice, under
/// `claims/`, the only prefix the functions may touch.
pub fn object_key(claim_id: ClaimId, document_id: DocumentId) -> String {
    format!("claims/{claim_id}/{document_id}")
}

/// The claim and document an object key names, if it is one the service chose.
pub fn parse_object_key(key: &str) -> Option<(ClaimId, DocumentId)> {
    let rest = key.strip_prefix("claims/")?;
    let (claim, document) = rest.split_once('/')?;
    Some((ClaimId::parse(claim)?, DocumentId::parse(document)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(body: Value) -> Vec<(String, FieldCode)> {
        UploadRequest::read(&body)
            .unwrap_err()
            .errors()
            .iter()
            .map(|e| (e.field.clone(), e.code))
            .collect()
    }

    #[test]
    fn a_pdf_of_ten_mebibytes_is_a_valid_upload_request() {
        // GIVEN a request for a PDF of exactly 10 MiB
        let body = json!({ "file_name": "SOW 4711.pdf", "content_type": "application/pdf", "size": 10_485_760 });
        // WHEN it is read
        let request = UploadRequest::read(&body).unwrap();
        // THEN it is accepted as declared
        assert_eq!(request.content_type, ContentType::Pdf);
        assert_eq!(request.size, MAX_DOCUMENT_BYTES);
        assert_eq!(request.file_name, "SOW 4711.pdf");
    }

    #[test]
    fn every_refused_field_of_an_upload_request_is_named_at_once() {
        // GIVEN a request whose every field is wrong, and one field too many
        let body = json!({ "file_name": "../etc/passwd", "content_type": "text/plain", "size": 10_485_761, "key": "x" });
        // WHEN it is read
        // THEN each is named with its code
        assert_eq!(
            codes(body),
            vec![
                ("key".into(), FieldCode::UnknownField),
                ("file_name".into(), FieldCode::InvalidCharacters),
                ("content_type".into(), FieldCode::InvalidValue),
                ("size".into(), FieldCode::OutOfRange),
            ]
        );
    }

    #[test]
    fn empty_sizes_long_names_and_missing_fields_are_refused() {
        assert_eq!(
            codes(json!({ "file_name": "a.pdf", "content_type": "image/png", "size": 0 })),
            vec![("size".into(), FieldCode::OutOfRange)]
        );
        assert_eq!(
            codes(
                json!({ "file_name": "a".repeat(256), "content_type": "image/png", "size": "1" })
            ),
            vec![
                ("file_name".into(), FieldCode::TooLong),
                ("size".into(), FieldCode::InvalidType)
            ]
        );
        assert_eq!(
            codes(json!({ "file_name": "a\u{7}.png" })),
            vec![
                ("file_name".into(), FieldCode::InvalidCharacters),
                ("content_type".into(), FieldCode::Required),
                ("size".into(), FieldCode::Required)
            ]
        );
    }

    #[test]
    fn a_size_is_a_whole_number_however_json_writes_it() {
        // GIVEN sizes written 2048.0 (JSON Schema's integer), 2048.5, and -1
        let request = |size: Value| json!({ "file_name": "a.pdf", "content_type": "application/pdf", "size": size });
        // THEN the whole one is accepted, the others refused
        assert_eq!(
            UploadRequest::read(&request(json!(2048.0))).map(|r| r.size),
            Ok(2048)
        );
        assert_eq!(
            codes(request(json!(2048.5))),
            vec![("size".into(), FieldCode::InvalidType)]
        );
        assert_eq!(
            codes(request(json!(-1))),
            vec![("size".into(), FieldCode::InvalidType)]
        );
    }

    #[test]
    fn a_type_is_known_by_its_first_bytes_not_by_its_name() {
        assert_eq!(ContentType::sniff(b"%PDF-1.7\n"), Some(ContentType::Pdf));
        assert_eq!(
            ContentType::sniff(b"\x89PNG\r\n\x1a\n\0\0"),
            Some(ContentType::Png)
        );
        assert_eq!(
            ContentType::sniff(b"\xFF\xD8\xFF\xE0"),
            Some(ContentType::Jpeg)
        );
        assert_eq!(ContentType::sniff(b"hello, world"), None);
        assert_eq!(ContentType::sniff(b"%PD"), None);
        assert_eq!(ContentType::sniff(b""), None);
    }

    fn declared_pdf(size: u64) -> Document {
        let request = UploadRequest {
            file_name: "sow.pdf".into(),
            content_type: ContentType::Pdf,
            size,
        };
        let now = Utc::now();
        Document::pending(DocumentId::new_at(now), request, now)
    }

    #[test]
    fn a_pending_document_expires_when_its_upload_link_does() {
        // GIVEN a document declared at noon
        let at = "2026-10-01T12:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let request = UploadRequest {
            file_name: "sow.pdf".into(),
            content_type: ContentType::Pdf,
            size: 10,
        };
        let mut document = Document::pending(DocumentId::new_at(at), request, at);
        let boundary = at + TimeDelta::minutes(15);
        // THEN it is live a millisecond before 12:15, expired at 12:15 and after
        assert!(!document.is_expired(boundary - TimeDelta::milliseconds(1)));
        assert!(document.is_expired(boundary));
        assert!(document.is_expired(boundary + TimeDelta::days(1)));
        assert_eq!(
            live(vec![document.clone()], boundary).len(),
            0,
            "an expired document is listed nowhere"
        );
        // AND an uploaded one never expires
        document.status = DocumentStatus::Uploaded;
        assert!(!document.is_expired(boundary + TimeDelta::days(365)));
        assert_eq!(live(vec![document], boundary).len(), 1);
    }

    #[test]
    fn a_document_downloads_as_an_attachment_under_its_own_name() {
        let named = |name: &str| {
            let request = UploadRequest {
                file_name: name.into(),
                content_type: ContentType::Pdf,
                size: 10,
            };
            let now = Utc::now();
            Document::pending(DocumentId::new_at(now), request, now).attachment_disposition()
        };
        assert_eq!(
            named("SOW 4711.pdf"),
            "attachment; filename=\"SOW 4711.pdf\"; filename*=UTF-8''SOW%204711.pdf"
        );
        // Quotes, letters beyond ASCII and a percent sign never break the header: the
        // fallback replaces them, the exact name is percent-encoded.
        assert_eq!(
            named("Angebot \"Müller\" 100%.pdf"),
            "attachment; filename=\"Angebot _M_ller_ 100_.pdf\"; \
             filename*=UTF-8''Angebot%20%22M%C3%BCller%22%20100%25.pdf"
        );
        assert_eq!(
            named("見積書.pdf"),
            "attachment; filename=\"___.pdf\"; filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf"
        );
    }

    #[test]
    fn an_arrival_counts_only_with_the_declared_size_and_type() {
        // GIVEN a PDF declared at 10 MiB
        let document = declared_pdf(MAX_DOCUMENT_BYTES);
        // WHEN what arrives is checked
        // THEN the declared size and type pass; a byte more, another size, or text do not
        assert_eq!(
            document.check_arrival(MAX_DOCUMENT_BYTES, b"%PDF-1.4"),
            Ok(())
        );
        assert_eq!(
            document.check_arrival(MAX_DOCUMENT_BYTES + 1, b"%PDF-1.4"),
            Err(RefusedUpload::TooLarge(MAX_DOCUMENT_BYTES + 1))
        );
        assert!(matches!(
            document.check_arrival(5, b"%PDF-1.4"),
            Err(RefusedUpload::SizeMismatch { .. })
        ));
        assert_eq!(
            document.check_arrival(MAX_DOCUMENT_BYTES, b"just some text"),
            Err(RefusedUpload::TypeMismatch {
                declared: ContentType::Pdf,
                found: None
            })
        );
    }

    #[test]
    fn only_keys_under_claims_with_a_claim_and_a_document_id_are_the_services() {
        let claim = ClaimId::new_at(Utc::now());
        let document = DocumentId::new_at(Utc::now());
        let key = object_key(claim, document);
        assert_eq!(key, format!("claims/{claim}/{document}"));
        assert_eq!(parse_object_key(&key), Some((claim, document)));
        for other in [
            format!("other/{claim}/{document}"),
            format!("claims/{claim}/{document}/x"),
            format!("claims/{claim}"),
            "claims/../secrets".to_owned(),
        ] {
            assert_eq!(parse_object_key(&other), None, "{other}");
        }
    }
}
