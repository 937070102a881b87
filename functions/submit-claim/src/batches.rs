//! `POST /v1/claim-batches` and `GET /v1/claim-batches/{batch_id}`: a batch is checked for
//! shape at once, opened under its key, and its rows queued in chunks for process-claim-batch,
//! which submits each as `POST /v1/claims` would; its results are read while it runs.
//!
//! Here rather than in a door of its own: opening a batch reads and writes what a submission
//! does (the partner's share of the API, the partner's items), the function is warm with
//! submissions, and the rows' work is done by the queue's consumer, not here.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::http::HeaderValue;
use cpor_aws::DynamoStore;
use cpor_aws::claim_batch::{BatchQueue, ChunkMessage, ChunkRow, chunks};
use cpor_aws::dynamo::Opened;
use cpor_domain::batch::{
    BatchError, BatchHeader, BatchId, BatchRow, MAX_BATCH_BYTES, MAX_ROWS, RowOutcome, RowResult,
    rows_from_csv, rows_from_json,
};
use cpor_domain::caller::Caller;
use cpor_domain::clock::Clock;
use cpor_domain::idempotency::{BodyFingerprint, IdempotencyKey};
use cpor_domain::usecase::submit::SubmitError;
use cpor_domain::validation::{FieldCode, Invalid, ValidationErrors};
use cpor_http::request::{MAX_BODY_BYTES, media_type, raw_body};
use cpor_http::{Problem, header, json};
use serde_json::{Value, json};

/// The results a page holds unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

/// The batches' door: the table and the batches' queue.
pub struct BatchDesk {
    pub store: DynamoStore,
    pub queue: BatchQueue,
}

impl BatchDesk {
    /// Opens the batch of `event`'s body for `caller` (an incentives admin, admitted), or
    /// answers the one it opened before under the same key and body.
    pub async fn open(
        &self,
        caller: &Caller,
        event: &ApiGatewayV2httpRequest,
        clock: &dyn Clock,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let key = batch_key(event)?;
        let (rows, fingerprint) = read_rows(event)?;
        let now = clock.now();
        let header = BatchHeader {
            batch_id: BatchId::new_at(now),
            partner_id: caller.partner_id.clone(),
            rows: rows.len(),
            accepted: 0,
            refused: 0,
            created_at: now,
        };
        let opened = self
            .store
            .open_batch(&header, key.as_str(), &fingerprint)
            .await
            .map_err(|e| Problem::unavailable(&e))?;
        let header = match opened {
            Opened::New => header,
            Opened::Existing(existing) => existing,
            Opened::KeyReused => return Err(SubmitError::IdempotencyKeyReused.into()),
        };
        // A batch opened before is queued again while it runs: its first request may have ended
        // before its chunks were sent, and rows already done create nothing twice.
        if !header.is_done() {
            let messages = messages(&header, &key, rows);
            self.queue
                .send(&messages)
                .await
                .map_err(|e| Problem::unavailable(&e))?;
        }
        tracing::info!(batch_id = %header.batch_id, rows = header.rows, "claim batch queued");
        let mut response = json(
            202,
            &json!({
                "batch_id": header.batch_id.to_string(),
                "status": status_of(&header),
                "rows": header.rows,
            }),
        );
        if let Ok(location) =
            HeaderValue::from_str(&format!("/v1/claim-batches/{}", header.batch_id))
        {
            response.headers.insert("location", location);
        }
        Ok(response)
    }

    /// The batch `event` names, with a page of its results, if it is the caller's.
    pub async fn read(
        &self,
        caller: &Caller,
        event: &ApiGatewayV2httpRequest,
    ) -> Result<ApiGatewayV2httpResponse, Problem> {
        let not_found = || {
            Problem::new(
                404,
                "batch_not_found",
                "No such batch",
                "no batch of yours has this id",
            )
        };
        let id = event
            .path_parameters
            .get("batch_id")
            .and_then(|id| BatchId::parse(id))
            .ok_or_else(not_found)?;
        let (after, limit) = page_of(event)?;
        let unavailable = |e: cpor_domain::ports::Unavailable| Problem::unavailable(&e);
        let header = self
            .store
            .batch(id)
            .await
            .map_err(unavailable)?
            .filter(|h| h.partner_id == caller.partner_id)
            .ok_or_else(not_found)?;
        let results = self
            .store
            .batch_results(id, after, limit)
            .await
            .map_err(unavailable)?;
        let next_cursor = match results.last() {
            Some(last) if results.len() == limit && last.row < header.rows => {
                Some(last.row.to_string())
            }
            Some(_) | None => None,
        };
        let results: Vec<Value> = results.iter().map(result_resource).collect();
        Ok(json(
            200,
            &json!({
                "batch_id": header.batch_id.to_string(),
                "status": status_of(&header),
                "rows": header.rows,
                "accepted": header.accepted,
                "refused": header.refused,
                "results": results,
                "next_cursor": next_cursor,
            }),
        ))
    }
}

fn status_of(header: &BatchHeader) -> &'static str {
    if header.is_done() { "done" } else { "running" }
}

fn result_resource(result: &RowResult) -> Value {
    match &result.outcome {
        RowOutcome::Accepted { claim_id, status } => json!({
            "row": result.row,
            "claim_id": claim_id.to_string(),
            "status": status.as_str(),
        }),
        RowOutcome::Refused { problem } => json!({ "row": result.row, "problem": problem }),
    }
}

/// The batch's `Idempotency-Key`: required (each row's key is derived from it).
fn batch_key(event: &ApiGatewayV2httpRequest) -> Result<IdempotencyKey, Problem> {
    let text = header(event, "idempotency-key").ok_or_else(|| {
        Problem::new(
            400,
            "idempotency_key_required",
            "An Idempotency-Key is required",
            "send an Idempotency-Key header: each row's own key is derived from it, so that a \
             batch sent again creates nothing twice",
        )
    })?;
    IdempotencyKey::parse(text).ok_or_else(|| {
        Problem::validation(&ValidationErrors::single(
            "Idempotency-Key",
            Invalid::new(
                FieldCode::InvalidValue,
                "must be 1 to 128 visible ASCII characters",
            ),
        ))
    })
}

/// The body's rows, JSON or CSV, checked for shape at once, and the body's fingerprint.
fn read_rows(event: &ApiGatewayV2httpRequest) -> Result<(Vec<BatchRow>, BodyFingerprint), Problem> {
    let raw = raw_body(event, MAX_BATCH_BYTES)?;
    let media = media_type(event);
    let read = if media == "application/json" || media.ends_with("+json") {
        let value: Value = serde_json::from_slice(&raw).map_err(|e| {
            Problem::new(
                400,
                "malformed_json",
                "The body is not JSON",
                format!("the body is not valid JSON: {e}"),
            )
        })?;
        rows_from_json(&value).map(|rows| (rows, BodyFingerprint::of(&value)))
    } else if media == "text/csv" {
        let text = String::from_utf8(raw).map_err(|_| malformed_csv("the body is not UTF-8"))?;
        rows_from_csv(&text).map(|rows| (rows, BodyFingerprint::of(&json!({ "text/csv": text }))))
    } else {
        return Err(Problem::new(
            415,
            "unsupported_media_type",
            "The body must be JSON or CSV",
            format!(
                "send Content-Type: application/json or text/csv (got {})",
                if media.is_empty() { "none" } else { &media }
            ),
        ));
    };
    read.map_err(|e| match e {
        BatchError::Invalid(errors) => Problem::validation(&errors),
        BatchError::NotAnObject => Problem::not_an_object(),
        BatchError::MalformedCsv(detail) => malformed_csv(&detail),
    })
}

fn malformed_csv(detail: &str) -> Problem {
    Problem::new(
        400,
        "malformed_csv",
        "The body is not CSV",
        detail.to_owned(),
    )
}

/// The chunks' messages of `rows`. A row the door refuses already carries its problem: a CSV
/// row with the wrong cells, or a row over a single submission's 64 KiB (413, as
/// `POST /v1/claims` answers such a body).
fn messages(header: &BatchHeader, key: &IdempotencyKey, rows: Vec<BatchRow>) -> Vec<ChunkMessage> {
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| {
            let row_number = i + 1;
            let problem = |p: Problem| ChunkRow {
                row: row_number,
                body: None,
                problem: Some(p.into_body()),
            };
            match row {
                BatchRow::Malformed(errors) => problem(Problem::validation(&errors)),
                BatchRow::Submission(body) => {
                    let size = body.to_string().len();
                    if size > MAX_BODY_BYTES {
                        problem(Problem::new(
                            413,
                            "payload_too_large",
                            "The body is too large",
                            format!(
                                "the body has {size} bytes; at most {MAX_BODY_BYTES} are accepted"
                            ),
                        ))
                    } else {
                        ChunkRow {
                            row: row_number,
                            body: Some(body),
                            problem: None,
                        }
                    }
                }
            }
        })
        .collect();
    chunks(rows)
        .into_iter()
        .map(|rows| ChunkMessage {
            batch_id: header.batch_id,
            partner_id: header.partner_id.clone(),
            key: key.as_str().to_owned(),
            opened_at: header.created_at,
            rows,
        })
        .collect()
}

/// The page a read asks for: after the row `cursor` names (from the first when none), `limit`
/// results (1 to 500, 100 when none).
fn page_of(event: &ApiGatewayV2httpRequest) -> Result<(usize, usize), Problem> {
    let mut errors = ValidationErrors::default();
    let params = &event.query_string_parameters;
    let after = match params.first("cursor") {
        None => 0,
        Some(text) => match text.parse::<usize>() {
            Ok(row) if (1..=MAX_ROWS).contains(&row) => row,
            Ok(_) | Err(_) => {
                errors.push(
                    "cursor",
                    Invalid::new(FieldCode::InvalidCursor, "is not a cursor of this batch"),
                );
                0
            }
        },
    };
    let limit = match params.first("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=MAX_ROWS).contains(&limit) => limit,
            Ok(_) | Err(_) => {
                errors.push(
                    "limit",
                    Invalid::new(FieldCode::OutOfRange, format!("must be 1 to {MAX_ROWS}")),
                );
                DEFAULT_LIMIT
            }
        },
    };
    if errors.is_empty() {
        Ok((after, limit))
    } else {
        Err(Problem::validation(&errors))
    }
}
