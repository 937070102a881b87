//! Exports: a partner's claims, or the vendor's payout ledger of a month (every association
//! effective at any time in it), written as one CSV or JSON Lines file that is kept 7 days and
//! fetched through a short-lived link. What is asked (read from the request's body here), what
//! the export records, the month's bounds, and the two file formats; the reading of the rows is
//! the adapters' (they page through indexes), the writing of the file is run-export's.

use crate::catalogue::{Program, Workload};
use crate::claim::ClaimStatus;
use crate::command::{BodyError, read_object};
use crate::ids::PartnerId;
use crate::listing::ClaimFilter;
use crate::validation::{FieldCode, Invalid};
use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, TimeZone, Utc};
use serde_json::Value;
use std::fmt;

/// How long an export's file (and its record) is kept after it was asked for.
pub const RETENTION: TimeDelta = TimeDelta::days(7);

/// The service's first month: no association is effective before it, so the ledger's reads
/// start there.
pub const LEDGER_EPOCH: Month = Month {
    year: 2026,
    month: 1,
};

/// Where every export's file is written in the documents bucket (a prefix of its own: neither
/// a claim's document nor noticed by record-document, and expired by the bucket's lifecycle).
pub const KEY_PREFIX: &str = "exports/";

crate::ids::ulid_id!(
    /// An export's id.
    ExportId,
    "export id"
);

/// The file's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180, UTF-8, a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        match text {
            "csv" => Ok(Self::Csv),
            "jsonl" => Ok(Self::Jsonl),
            _ => Err(Invalid::new(
                FieldCode::InvalidValue,
                "must be one of: csv, jsonl",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Jsonl => "jsonl",
        }
    }

    /// The file's media type.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8; header=present",
            Self::Jsonl => "application/jsonl; charset=utf-8",
        }
    }
}

/// Where an export stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportStatus {
    /// Asked for; run-export has not written its file yet.
    Running,
    /// Its file is written and may be downloaded (until it expires).
    Ready,
    /// Its writing failed every time it was tried: no file.
    Failed,
}

impl ExportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Running, Self::Ready, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Whose export it is: a partner's (of its claims), or the vendor's (the ledger). Only its
/// owner reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Partner(PartnerId),
    Vendor,
}

impl Owner {
    /// The stored form: `PARTNER#<id>` or `VENDOR`.
    pub fn as_key(&self) -> String {
        match self {
            Self::Partner(id) => format!("PARTNER#{id}"),
            Self::Vendor => "VENDOR".to_owned(),
        }
    }

    /// The owner a stored form names.
    pub fn from_key(text: &str) -> Option<Self> {
        match text.strip_prefix("PARTNER#") {
            Some(id) => PartnerId::parse(id).ok().map(Self::Partner),
            None => (text == "VENDOR").then_some(Self::Vendor),
        }
    }
}

/// A calendar month, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    /// 1 to 12.
    month: u32,
}

impl Month {
    /// Parses `YYYY-MM` exactly.
    pub fn parse(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
        if bytes.len() != 7 || bytes[4] != b'-' || !digits(0..4) || !digits(5..7) {
            return None;
        }
        let year = text[..4].parse().ok()?;
        let month = text[5..].parse().ok()?;
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    /// The month holding `at` (UTC).
    pub fn of(at: DateTime<Utc>) -> Self {
        Self {
            year: at.year(),
            month: at.month(),
        }
    }

    /// Its first instant: midnight UTC of its first day.
    pub fn start(self) -> DateTime<Utc> {
        let day = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN);
        Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
    }

    /// The month after it.
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Its end: the first instant of the next month (excluded).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// Every month from `first` to this one, both included, in order (none when it is before
    /// `first`).
    pub fn since(self, first: Self) -> impl Iterator<Item = Self> {
        std::iter::successors(Some(first), |m| Some(m.next())).take_while(move |m| *m <= self)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// What an export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// The owner's claims that pass the filter (status, program, workload).
    Claims(ClaimFilter),
    /// The payout ledger: every association effective at any time in `month`, of `program`
    /// or of every program.
    Associations {
        month: Month,
        program: Option<Program>,
    },
}

impl Query {
    /// Its kind, as the API names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Claims(_) => "claims",
            Self::Associations { .. } => "associations",
        }
    }
}

/// `POST /v1/exports` or `POST /v1/review/exports`: what to export, and in which format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRequest {
    pub query: Query,
    pub format: Format,
}

fn kind_is(expected: &'static str) -> impl FnOnce(&str) -> Result<(), Invalid> {
    move |text| {
        (text == expected)
            .then_some(())
            .ok_or_else(|| Invalid::new(FieldCode::InvalidValue, format!("must be {expected:?}")))
    }
}

impl ExportRequest {
    /// A partner's: `{ "kind": "claims", "status"?, "program"?, "workload"?, "format" }`.
    pub fn claims(body: &Value) -> Result<Self, BodyError> {
        let fields = ["kind", "status", "program", "workload", "format"];
        read_object(body, &fields, |r, e| {
            let kind = r.required("kind", e, kind_is("claims"));
            let status = r.optional("status", e, |text| {
                ClaimStatus::parse(text).ok_or_else(|| {
                    let all: Vec<&str> = ClaimStatus::ALL.iter().map(|s| s.as_str()).collect();
                    Invalid::new(
                        FieldCode::InvalidValue,
                        format!("must be one of: {}", all.join(", ")),
                    )
                })
            });
            let program = r.optional("program", e, Program::parse);
            let workload = r.optional("workload", e, Workload::parse);
            let format = r.required("format", e, Format::parse);
            kind?;
            let filter = ClaimFilter {
                status: status?,
                program: program?,
                workload: workload?,
                tenant_id: None,
            };
            Some(Self {
                query: Query::Claims(filter),
                format: format?,
            })
        })
    }

    /// A reviewer's: `{ "kind": "associations", "month": "YYYY-MM", "program"?, "format" }`,
    /// a month from [`LEDGER_EPOCH`] to the current one (`now`'s, UTC).
    pub fn ledger(body: &Value, now: DateTime<Utc>) -> Result<Self, BodyError> {
        read_object(body, &["kind", "month", "program", "format"], |r, e| {
            let kind = r.required("kind", e, kind_is("associations"));
            let month = r.required("month", e, |text| ledger_month(text, now));
            let program = r.optional("program", e, Program::parse);
            let format = r.required("format", e, Format::parse);
            kind?;
            Some(Self {
                query: Query::Associations {
                    month: month?,
                    program: program?,
                },
                format: format?,
            })
        })
    }
}

/// A month whose ledger may be asked for: from the service's first to the current one.
fn ledger_month(text: &str, now: DateTime<Utc>) -> Result<Month, Invalid> {
    let month = Month::parse(text)
        .ok_or_else(|| Invalid::new(FieldCode::InvalidValue, "must be a month, YYYY-MM"))?;
    let current = Month::of(now);
    if month < LEDGER_EPOCH || month > current {
        return Err(Invalid::new(
            FieldCode::OutOfRange,
            format!("must be a month from {LEDGER_EPOCH} to {current}"),
        ));
    }
    Ok(month)
}

/// An export: what it holds, whose it is, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    pub id: ExportId,
    pub owner: Owner,
    pub query: Query,
    pub format: Format,
    pub status: ExportStatus,
    /// Rows written (the header not counted), once ready.
    pub rows: Option<u64>,
    pub created_at: DateTime<Utc>,
    /// When its file and record are deleted: [`RETENTION`] after it was asked for.
    pub expires_at: DateTime<Utc>,
}

impl Export {
    /// A new export of `owner`'s, asked for `now`: running.
    pub fn new(owner: Owner, request: ExportRequest, now: DateTime<Utc>) -> Self {
        Self {
            id: ExportId::new_at(now),
            owner,
            query: request.query,
            format: request.format,
            status: ExportStatus::Running,
            rows: None,
            created_at: now,
            expires_at: now + RETENTION,
        }
    }

    /// Its file's key in the documents bucket: `exports/<id>.<format>`.
    pub fn object_key(&self) -> String {
        format!("{KEY_PREFIX}{}.{}", self.id, self.format.as_str())
    }

    /// The file's name for a download: `cpor-<kind>-<id>.<format>`.
    pub fn file_name(&self) -> String {
        format!(
            "cpor-{}-{}.{}",
            self.query.kind(),
            self.id,
            self.format.as_str()
        )
    }
}

/// One payout ledger's row: an association (a claim's period as partner of record of a unit)
/// and its partner's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    pub tenant_id: String,
    pub workload: String,
    pub subscription_id: Option<String>,
    pub partner_id: String,
    pub partner_name: String,
    pub program: String,
    pub claim_id: String,
    pub effective_from: DateTime<Utc>,
    /// `None` while it lasts.
    pub effective_until: Option<DateTime<Utc>>,
}

/// The ledger's columns, in order.
pub const LEDGER_COLUMNS: [&str; 9] = [
    "tenant_id",
    "workload",
    "subscription_id",
    "partner_id",
    "partner_name",
    "program",
    "claim_id",
    "effective_from",
    "effective_until",
];

impl LedgerRow {
    /// Its cells, in [`LEDGER_COLUMNS`]' order.
    pub fn cells(&self) -> Vec<Value> {
        let instant = |at: DateTime<Utc>| Value::String(crate::time::format_instant(at));
        vec![
            Value::String(self.tenant_id.clone()),
            Value::String(self.workload.clone()),
            self.subscription_id
                .clone()
                .map_or(Value::Null, Value::String),
            Value::String(self.partner_id.clone()),
            Value::String(self.partner_name.clone()),
            Value::String(self.program.clone()),
            Value::String(self.claim_id.clone()),
            instant(self.effective_from),
            self.effective_until.map_or(Value::Null, instant),
        ]
    }

    /// The ledger's order: by program, then by start, then by claim.
    pub fn order_key(&self) -> (&str, DateTime<Utc>, &str) {
        (&self.program, self.effective_from, &self.claim_id)
    }
}

/// Writes an export's rows in its format, into memory.
#[derive(Debug)]
pub struct FileWriter {
    format: Format,
    columns: &'static [&'static str],
    bytes: Vec<u8>,
    rows: u64,
}

impl FileWriter {
    /// A file of `columns`: a CSV file starts with its header row.
    pub fn new(format: Format, columns: &'static [&'static str]) -> Self {
        let mut writer = Self {
            format,
            columns,
            bytes: Vec::new(),
            rows: 0,
        };
        if format == Format::Csv {
            let header: Vec<Value> = columns.iter().map(|c| Value::from(*c)).collect();
            writer.bytes.extend(csv_record(&header).as_bytes());
        }
        writer
    }

    /// One row: a value per column, in order (`null` for none).
    pub fn push(&mut self, cells: &[Value]) {
        let line = match self.format {
            Format::Csv => csv_record(cells),
            Format::Jsonl => jsonl_record(self.columns, cells),
        };
        self.bytes.extend(line.as_bytes());
        self.rows += 1;
    }

    /// Rows written so far (not the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The file's bytes, and its rows.
    pub fn finish(self) -> (Vec<u8>, u64) {
        (self.bytes, self.rows)
    }
}

/// One CSV record (RFC 4180), ended by CRLF: each cell as text (none: empty; a string as it
/// is; anything else as its JSON), neutralised ([`neutralised`]) and quoted when it must be.
pub fn csv_record(cells: &[Value]) -> String {
    let fields: Vec<String> = cells
        .iter()
        .map(|cell| {
            let text = match cell {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other
                @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_)) => {
                    other.to_string()
                }
            };
            quoted(&neutralised(text))
        })
        .collect();
    format!("{}\r\n", fields.join(","))
}

/// A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) with a leading `'`, which spreadsheets read as "this is text" (OWASP's
/// advice on CSV injection).
pub fn neutralised(text: String) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        Some(_) | None => text,
    }
}

/// The field quoted when it holds a comma, a quote, a line break or a carriage return (its
/// quotes doubled), as RFC 4180 says; as it is otherwise.
fn quoted(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One JSON Lines record: an object of the columns and their values, ended by LF.
fn jsonl_record(columns: &[&str], cells: &[Value]) -> String {
    let object: serde_json::Map<String, Value> = columns
        .iter()
        .zip(cells)
        .map(|(column, cell)| ((*column).to_owned(), cell.clone()))
        .collect();
    format!("{}\n", Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(text: &str) -> DateTime<Utc> {
        crate::time::parse_instant(text).unwrap()
    }

    #[test]
    fn a_csv_cell_with_a_comma_a_quote_or_a_line_break_is_quoted_with_its_quotes_doubled() {
        // GIVEN cells that RFC 4180 must quote, and cells it must not
        let cells = [
            json!("a,b"),
            json!("say \"hi\""),
            json!("two\nlines"),
            json!("cr\rhere"),
            json!("plain"),
            Value::Null,
            json!(3),
            json!(true),
        ];
        // WHEN they are written as a record
        let record = csv_record(&cells);
        // THEN the first four are quoted, quotes doubled; the rest as they are; CRLF ends it
        assert_eq!(
            record,
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",plain,,3,true\r\n"
        );
    }

    #[test]
    fn a_csv_cell_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote() {
        // GIVEN a cell starting with each character that makes a formula
        for (cell, written) in [
            ("=1+1", "'=1+1"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
        ] {
            // WHEN it is written
            let record = csv_record(&[json!(cell)]);
            // THEN it is text for a spreadsheet, quoted when it must be
            assert_eq!(record, format!("{written}\r\n"), "{cell:?}");
        }
        // AND a formula character inside a cell, or a quote first, changes nothing
        assert_eq!(csv_record(&[json!("a=b-c")]), "a=b-c\r\n");
        assert_eq!(csv_record(&[json!("=a,b")]), "\"'=a,b\"\r\n");
    }

    #[test]
    fn a_csv_file_is_utf_8_with_a_header_row_and_parses_back_to_its_cells() {
        // GIVEN a file of two columns, with cells in several scripts
        let mut file = FileWriter::new(Format::Csv, &["name", "note"]);
        file.push(&[json!("Müller, Zoë"), json!("日本語 \"ok\"")]);
        file.push(&[json!("Ωmega"), Value::Null]);
        // WHEN it is finished
        let (bytes, rows) = file.finish();
        // THEN its bytes are UTF-8, the header first, one record per row
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(rows, 2);
        assert_eq!(
            text,
            "name,note\r\n\"Müller, Zoë\",\"日本語 \"\"ok\"\"\"\r\nΩmega,\r\n"
        );
    }

    #[test]
    fn a_json_lines_file_is_one_object_per_row_naming_each_column() {
        // GIVEN a JSON Lines file of three columns
        let mut file = FileWriter::new(Format::Jsonl, &["a", "b", "c"]);
        file.push(&[json!("=x"), Value::Null, json!(["p", "q"])]);
        file.push(&[json!("line\nbreak"), json!(2), json!(false)]);
        let (bytes, rows) = file.finish();
        // WHEN each line is parsed
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // THEN there is no header, and each line is its row, values as they were (JSON has no
        // formulas to neutralise)
        assert_eq!(rows, 2);
        assert_eq!(
            lines,
            vec![
                json!({ "a": "=x", "b": null, "c": ["p", "q"] }),
                json!({ "a": "line\nbreak", "b": 2, "c": false }),
            ]
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn a_month_is_read_from_yyyy_mm_alone_and_spans_its_days_in_utc() {
        // GIVEN months and texts that are not months
        let march = Month::parse("2026-03").unwrap();
        // THEN a month starts at midnight UTC of its first day and ends where the next starts
        assert_eq!(march.start(), at("2026-03-01T00:00:00Z"));
        assert_eq!(march.end(), at("2026-04-01T00:00:00Z"));
        assert_eq!(march.to_string(), "2026-03");
        let december = Month::parse("2026-12").unwrap();
        assert_eq!(december.end(), at("2027-01-01T00:00:00Z"));
        assert_eq!(december.next().to_string(), "2027-01");
        // AND February of a leap year ends after its 29th
        assert_eq!(
            Month::parse("2028-02").unwrap().end(),
            at("2028-03-01T00:00:00Z")
        );
        for text in [
            "2026-3",
            "2026-13",
            "2026-00",
            "26-03",
            "2026/03",
            "2026-03-01",
            "",
            "+026-03",
            "２026-03",
        ] {
            assert_eq!(Month::parse(text), None, "{text:?}");
        }
        // AND the month of an instant is the month of its UTC date
        assert_eq!(
            Month::of(at("2026-03-31T23:30:00-02:00")).to_string(),
            "2026-04"
        );
    }

    #[test]
    fn the_ledger_reads_every_month_from_the_epoch_to_the_one_asked_for() {
        // GIVEN months before, at and after the epoch
        let months = |m: &str| {
            Month::parse(m)
                .unwrap()
                .since(LEDGER_EPOCH)
                .map(|m| m.to_string())
                .collect::<Vec<_>>()
        };
        // THEN the months read are the epoch's through the month asked, across a year's end
        assert_eq!(months("2026-01"), ["2026-01"]);
        assert_eq!(months("2026-03"), ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(months("2027-02").len(), 14);
        assert_eq!(months("2027-02")[11..], ["2026-12", "2027-01", "2027-02"]);
        assert!(months("2025-12").is_empty());
    }

    #[test]
    fn a_ledger_request_names_a_month_from_the_epoch_to_the_current_one() {
        let now = at("2026-05-10T12:00:00Z");
        let body = |month: &str| json!({ "kind": "associations", "month": month, "format": "csv" });
        // GIVEN months in range
        for month in ["2026-01", "2026-05"] {
            let read = ExportRequest::ledger(&body(month), now).unwrap();
            assert_eq!(
                read.query,
                Query::Associations {
                    month: Month::parse(month).unwrap(),
                    program: None
                }
            );
        }
        // AND months out of range, or no months
        for (month, code) in [
            ("2025-12", FieldCode::OutOfRange),
            ("2026-06", FieldCode::OutOfRange),
            ("May 2026", FieldCode::InvalidValue),
        ] {
            // THEN each is refused, naming the field
            let Err(BodyError::Invalid(errors)) = ExportRequest::ledger(&body(month), now) else {
                panic!("{month} was accepted");
            };
            assert_eq!(errors.errors()[0].field, "month", "{month}");
            assert_eq!(errors.errors()[0].code, code, "{month}");
        }
    }

    #[test]
    fn an_export_request_names_every_refused_field_at_once() {
        // GIVEN a partner's body with a wrong kind, status, program, workload and format, and
        // an unknown field
        let body = json!({ "kind": "associations", "status": "nope", "program": "x",
                           "workload": "y", "format": "xlsx", "partner_id": "7654321" });
        // WHEN it is read
        let Err(BodyError::Invalid(errors)) = ExportRequest::claims(&body) else {
            panic!("accepted");
        };
        // THEN every field is named
        let mut fields: Vec<&str> = errors.errors().iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "format",
                "kind",
                "partner_id",
                "program",
                "status",
                "workload"
            ]
        );
        // AND a good body is read with its filters
        let read = ExportRequest::claims(&json!({ "kind": "claims", "status": "approved",
                                                  "workload": "teams", "format": "jsonl" }))
        .unwrap();
        let Query::Claims(filter) = read.query else {
            panic!("claims");
        };
        assert_eq!(filter.status, Some(ClaimStatus::Approved));
        assert_eq!(filter.workload.map(|w| w.code()), Some("teams"));
        assert_eq!(read.format, Format::Jsonl);
    }

    #[test]
    fn an_export_is_kept_seven_days_under_exports_and_belongs_to_its_owner() {
        // GIVEN a partner's export
        let now = at("2026-05-10T12:00:00Z");
        let owner = Owner::Partner(PartnerId::parse("1234567").unwrap());
        let request = ExportRequest::claims(&json!({ "kind": "claims", "format": "csv" })).unwrap();
        let export = Export::new(owner.clone(), request, now);
        // THEN it runs, expires 7 days on, under exports/, and its owner reads back
        assert_eq!(export.status, ExportStatus::Running);
        assert_eq!(export.expires_at, at("2026-05-17T12:00:00Z"));
        assert_eq!(export.object_key(), format!("exports/{}.csv", export.id));
        assert_eq!(Owner::from_key(&owner.as_key()), Some(owner));
        assert_eq!(Owner::from_key("VENDOR"), Some(Owner::Vendor));
        assert_eq!(Owner::from_key("PARTNER#x"), None);
    }
}
