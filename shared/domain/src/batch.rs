//! Claim batches: up to [`MAX_ROWS`] submissions sent at once, as JSON (`{"claims": [...]}`) or
//! as CSV whose header names the submission's fields in dotted form (`customer_contact.email`).
//! Each row is then submitted exactly as `POST /v1/claims` would be, on its own, under an
//! idempotency key of its own derived from the batch's ([`row_key`]).
//!
//! What is here is the shape of a batch: its rows read from either form, each either a
//! submission's body or, for a CSV row that cannot be one (a wrong number of cells), the
//! refusal that row gets as its result.

use crate::claim::ClaimStatus;
use crate::idempotency::IdempotencyKey;
use crate::ids::{ClaimId, PartnerId};
use crate::validation::{FieldCode, Invalid, ValidationErrors};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

/// The most rows a batch may carry.
pub const MAX_ROWS: usize = 500;

/// The largest batch body accepted: 5 MiB, under Lambda's 6 MB synchronous payload (the body
/// travels inside the event, escaped as JSON text).
pub const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;

crate::ids::ulid_id!(
    /// A batch's id.
    BatchId,
    "batch id"
);

/// The idempotency key of a batch's row `row` (from 1): the batch's key and the row's number,
/// joined by spaces. A single submission's key is visible ASCII without spaces, so no single
/// submission's key can ever be a row's, and no two rows' keys are alike.
pub fn row_key(batch_key: &IdempotencyKey, row: usize) -> IdempotencyKey {
    IdempotencyKey::derived(format!("batch {} row {row}", batch_key.as_str()))
}

/// A batch as kept: whose it is, how many rows it has, and how many have their result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHeader {
    pub batch_id: BatchId,
    pub partner_id: PartnerId,
    pub rows: usize,
    pub accepted: usize,
    pub refused: usize,
    pub created_at: DateTime<Utc>,
}

impl BatchHeader {
    /// True once every row has its result.
    pub fn is_done(&self) -> bool {
        self.accepted + self.refused >= self.rows
    }
}

/// One row's result: the claim a single submission would have answered with, or the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    /// The row's number, from 1 (a CSV's header is row 0).
    pub row: usize,
    pub outcome: RowOutcome,
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Its claim, created (or created by an earlier delivery of the row: the same claim).
    Accepted {
        claim_id: ClaimId,
        status: ClaimStatus,
    },
    /// Refused: the problem+json body `POST /v1/claims` would have answered.
    Refused { problem: Value },
}

/// One row of a batch, as read.
#[derive(Debug, Clone, PartialEq)]
pub enum BatchRow {
    /// A submission's body, submitted as `POST /v1/claims` would submit it.
    Submission(Value),
    /// A row that is no submission (a CSV row with the wrong number of cells): its result is
    /// this refusal, as a `validation_failed` problem.
    Malformed(ValidationErrors),
}

/// Why a body is not a batch: nothing is created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The rows are not 1 to [`MAX_ROWS`], or `claims` is missing or not an array: a field's
    /// refusal.
    #[error(transparent)]
    Invalid(ValidationErrors),
    /// The body is JSON, but not an object.
    #[error("the body must be a JSON object")]
    NotAnObject,
    /// The CSV cannot be read: an unterminated quote, a stray quote, a bad header.
    #[error("{0}")]
    MalformedCsv(String),
}

/// The rows of a JSON batch: `{"claims": [submission, ...]}`, 1 to [`MAX_ROWS`] of them.
pub fn rows_from_json(body: &Value) -> Result<Vec<BatchRow>, BatchError> {
    let object = body.as_object().ok_or(BatchError::NotAnObject)?;
    let mut errors = ValidationErrors::default();
    for name in object.keys().filter(|name| *name != "claims") {
        errors.push(
            name.as_str(),
            Invalid::new(FieldCode::UnknownField, "is not a field of a batch"),
        );
    }
    let claims = match object.get("claims") {
        None | Some(Value::Null) => {
            errors.push("claims", Invalid::new(FieldCode::Required, "is required"));
            None
        }
        Some(Value::Array(claims)) => Some(claims),
        Some(_) => {
            errors.push(
                "claims",
                Invalid::new(FieldCode::InvalidType, "must be an array of submissions"),
            );
            None
        }
    };
    if let Some(claims) = claims {
        check_count(claims.len(), &mut errors);
    }
    if !errors.is_empty() {
        return Err(BatchError::Invalid(errors));
    }
    Ok(claims
        .into_iter()
        .flatten()
        .cloned()
        .map(BatchRow::Submission)
        .collect())
}

fn check_count(rows: usize, errors: &mut ValidationErrors) {
    if !(1..=MAX_ROWS).contains(&rows) {
        errors.push(
            "claims",
            Invalid::new(
                FieldCode::OutOfRange,
                format!("must hold 1 to {MAX_ROWS} claims; it holds {rows}"),
            ),
        );
    }
}

/// The rows of a CSV batch: a header row naming the submission's fields in dotted form, then
/// one row per claim (RFC 4180; a UTF-8 byte order mark and bare LF line ends are accepted). An
/// empty cell leaves its field out. A row with another number of cells than the header is that
/// row's refusal, not the batch's.
pub fn rows_from_csv(text: &str) -> Result<Vec<BatchRow>, BatchError> {
    let mut records = parse_csv(text)?.into_iter();
    let header = records
        .next()
        .ok_or_else(|| BatchError::MalformedCsv("the body has no header row".into()))?;
    let header = Header::parse(header)?;
    let rows: Vec<BatchRow> = records.map(|cells| header.row(&cells)).collect();
    let mut errors = ValidationErrors::default();
    check_count(rows.len(), &mut errors);
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(BatchError::Invalid(errors))
    }
}

/// A CSV header: each column's path in the submission (`customer_contact.email` is
/// `["customer_contact", "email"]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header(Vec<Vec<String>>);

impl Header {
    /// The header of `names`: each a dotted path of non-empty names, none twice, none inside
    /// another (`contest` beside `contest.justification`).
    pub fn parse(names: Vec<String>) -> Result<Self, BatchError> {
        let mut paths: Vec<Vec<String>> = Vec::with_capacity(names.len());
        for name in names {
            let path: Vec<String> = name.trim().split('.').map(str::to_owned).collect();
            if path.iter().any(String::is_empty) {
                return Err(BatchError::MalformedCsv(format!(
                    "the header's column {:?} is not a dotted field name",
                    name
                )));
            }
            if let Some(other) = paths
                .iter()
                .find(|p| p.starts_with(&path) || path.starts_with(p))
            {
                return Err(BatchError::MalformedCsv(format!(
                    "the header names {:?} and {:?}, which overlap",
                    name,
                    other.join(".")
                )));
            }
            paths.push(path);
        }
        Ok(Self(paths))
    }

    /// The row of `cells`: its submission's body, or its refusal when its cells do not match
    /// the header's columns.
    pub fn row(&self, cells: &[String]) -> BatchRow {
        if cells.len() != self.0.len() {
            return BatchRow::Malformed(ValidationErrors::single(
                "row",
                Invalid::new(
                    FieldCode::InvalidValue,
                    format!(
                        "has {} cells; the header names {} columns",
                        cells.len(),
                        self.0.len()
                    ),
                ),
            ));
        }
        let mut body = Map::new();
        for (path, cell) in self.0.iter().zip(cells) {
            if !cell.is_empty() {
                insert(&mut body, path, Value::String(cell.clone()));
            }
        }
        BatchRow::Submission(Value::Object(body))
    }
}

/// Puts `value` at `path` in `object`, making the objects on the way. The header's paths never
/// overlap, so nothing on the way is a value already.
fn insert(object: &mut Map<String, Value>, path: &[String], value: Value) {
    match path {
        [] => {}
        [last] => {
            object.insert(last.clone(), value);
        }
        [first, rest @ ..] => {
            let inner = object
                .entry(first.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                insert(inner, rest, value);
            }
        }
    }
}

/// The records of a CSV text (RFC 4180): fields separated by commas, records by CRLF or LF; a
/// quoted field may hold commas, line breaks and doubled quotes. A leading UTF-8 byte order
/// mark is skipped, and a final line break ends the last record (it starts none).
pub fn parse_csv(text: &str) -> Result<Vec<Vec<String>>, BatchError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    // Whether the current record has begun: a final line break starts none.
    let mut started = false;
    while let Some(c) = chars.next() {
        started = true;
        match c {
            '"' if field.is_empty() => {
                read_quoted(&mut chars, &mut field, &mut line)?;
                match chars.peek() {
                    None | Some(',' | '\r' | '\n') => {}
                    Some(_) => {
                        return Err(BatchError::MalformedCsv(format!(
                            "line {line}: text after a quoted field's closing quote"
                        )));
                    }
                }
            }
            '"' => {
                return Err(BatchError::MalformedCsv(format!(
                    "line {line}: a quote inside an unquoted field (quote the field and double \
                     its quotes)"
                )));
            }
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                line += 1;
                started = false;
            }
            other => field.push(other),
        }
    }
    if started {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// Reads a quoted field's content after its opening quote, through its closing quote.
fn read_quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    field: &mut String,
    line: &mut usize,
) -> Result<(), BatchError> {
    let opened = *line;
    loop {
        match chars.next() {
            None => {
                return Err(BatchError::MalformedCsv(format!(
                    "line {opened}: a quoted field is never closed"
                )));
            }
            Some('"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            Some('"') => return Ok(()),
            Some(c) => {
                if c == '\n' {
                    *line += 1;
                }
                field.push(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn records(text: &str) -> Vec<Vec<String>> {
        parse_csv(text).unwrap()
    }

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn quoted_fields_keep_their_commas_line_breaks_and_doubled_quotes() {
        // GIVEN a record whose quoted fields hold a comma, a CRLF, a LF and doubled quotes
        let text = "a,\"b, c\",\"line1\r\nline2\",\"say \"\"hi\"\"\",\"x\ny\"\r\n";
        // WHEN it is read
        // THEN each field is its content, unquoted, and the final CRLF starts no record
        assert_eq!(
            records(text),
            vec![strings(&[
                "a",
                "b, c",
                "line1\r\nline2",
                "say \"hi\"",
                "x\ny"
            ])]
        );
    }

    #[test]
    fn crlf_and_lf_both_end_records_and_a_byte_order_mark_is_skipped() {
        // GIVEN a text from a spreadsheet: a byte order mark, CRLF ends, and one bare LF
        let text = "\u{feff}h1,h2\r\n1,2\n3,4";
        // WHEN it is read THEN the mark is not part of the first name, and there are 3 records
        assert_eq!(
            records(text),
            vec![
                strings(&["h1", "h2"]),
                strings(&["1", "2"]),
                strings(&["3", "4"])
            ]
        );
    }

    #[test]
    fn empty_fields_are_kept_and_an_empty_line_is_a_record_of_one_empty_field() {
        assert_eq!(
            records("a,,c\n\n,\n"),
            vec![strings(&["a", "", "c"]), strings(&[""]), strings(&["", ""])]
        );
        assert_eq!(records(""), Vec::<Vec<String>>::new());
    }

    #[test]
    fn an_unclosed_quote_or_a_stray_quote_makes_the_text_no_csv() {
        for text in ["a,\"b\nc", "a,b\"c\n", "a,\"b\"c\n"] {
            assert!(
                matches!(parse_csv(text), Err(BatchError::MalformedCsv(_))),
                "{text:?}"
            );
        }
    }

    #[test]
    fn dotted_headers_become_the_submission_s_nested_fields_and_empty_cells_are_left_out() {
        // GIVEN a header with top-level and dotted names, and a row with an empty cell
        let text = "tenant_id,customer_contact.email,customer_contact.name,contest.justification,\
                    subscription_id\nT,a@b.c,\"Rossi, Giulia\",,\n";
        // WHEN it is read
        let rows = rows_from_csv(text).unwrap();
        // THEN the row is the submission's JSON, nested by the dots, without the empty fields
        assert_eq!(
            rows,
            vec![BatchRow::Submission(json!({
                "tenant_id": "T",
                "customer_contact": { "email": "a@b.c", "name": "Rossi, Giulia" }
            }))]
        );
    }

    #[test]
    fn a_row_with_the_wrong_number_of_cells_is_that_row_s_refusal_alone() {
        // GIVEN three rows, the second short
        let text = "a,b.c\n1,2\n3\n4,5\n";
        // WHEN they are read
        let rows = rows_from_csv(text).unwrap();
        // THEN the first and the third are submissions; the second names the row's cells
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            BatchRow::Submission(json!({ "a": "1", "b": { "c": "2" } }))
        );
        let BatchRow::Malformed(errors) = &rows[1] else {
            panic!("{:?}", rows[1]);
        };
        assert_eq!(errors.errors()[0].field, "row");
        assert_eq!(errors.errors()[0].code, FieldCode::InvalidValue);
        assert!(matches!(rows[2], BatchRow::Submission(_)));
    }

    #[test]
    fn a_header_with_overlapping_duplicate_or_empty_names_is_no_batch() {
        for header in ["contest,contest.justification", "a,a", "a,,b", "a.,b", ".a"] {
            let text = format!("{header}\n{}\n", ",".repeat(header.matches(',').count()));
            assert!(
                matches!(rows_from_csv(&text), Err(BatchError::MalformedCsv(_))),
                "{header}"
            );
        }
    }

    #[test]
    fn a_batch_holds_one_to_five_hundred_rows() {
        let one = json!({ "claims": [{}] });
        assert_eq!(rows_from_json(&one).unwrap().len(), 1);
        for (claims, code) in [
            (json!([]), FieldCode::OutOfRange),
            (
                Value::Array(vec![json!({}); MAX_ROWS + 1]),
                FieldCode::OutOfRange,
            ),
            (json!({}), FieldCode::InvalidType),
            (Value::Null, FieldCode::Required),
        ] {
            let Err(BatchError::Invalid(errors)) = rows_from_json(&json!({ "claims": claims }))
            else {
                panic!("{claims}");
            };
            assert_eq!(errors.errors()[0].field, "claims");
            assert_eq!(errors.errors()[0].code, code);
        }
        let csv = format!("a\n{}", "x\n".repeat(MAX_ROWS + 1));
        assert!(matches!(rows_from_csv(&csv), Err(BatchError::Invalid(_))));
        assert!(matches!(rows_from_csv("a\n"), Err(BatchError::Invalid(_))));
        assert_eq!(rows_from_json(&json!([])), Err(BatchError::NotAnObject));
    }

    #[test]
    fn a_row_s_key_is_its_batch_s_and_its_number_and_never_a_single_submission_s() {
        let key = IdempotencyKey::parse("batch-2026-12-01").unwrap();
        let first = row_key(&key, 1);
        assert_eq!(first.as_str(), "batch batch-2026-12-01 row 1");
        assert_ne!(first, row_key(&key, 2));
        assert!(IdempotencyKey::parse(first.as_str()).is_none());
    }
}
