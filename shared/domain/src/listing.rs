//! Listing a partner's claims: filters, page size and the opaque cursor.

use crate::catalogue::{LockUnit, Program, Workload};
use crate::claim::{Claim, ClaimStatus, PartnerOfRecordLock};
use crate::ids::{ClaimId, SubscriptionId, TenantId};
use crate::time::{format_instant, parse_instant};
use crate::validation::{FieldCode, Invalid, ValidationErrors};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 25;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;
/// The most claims one listing request reads from storage, whatever its filter: a rare filter
/// gets a short page (even an empty one) with a cursor, never a read of the whole partition.
pub const READ_BUDGET: usize = 200;

/// Exact-match filters on a partner's claims; `None` matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimFilter {
    /// Only claims in this status.
    pub status: Option<ClaimStatus>,
    /// Only claims in this program.
    pub program: Option<Program>,
    /// Only claims for this workload.
    pub workload: Option<Workload>,
    /// Only claims for this tenant.
    pub tenant_id: Option<TenantId>,
}

impl ClaimFilter {
    /// True when the claim passes every filter.
    pub fn matches(&self, claim: &Claim) -> bool {
        self.status.is_none_or(|s| claim.status() == s)
            && self.program.is_none_or(|p| claim.subject.program == p)
            && self.workload.is_none_or(|w| claim.subject.workload == w)
            && self.tenant_id.is_none_or(|t| claim.subject.tenant_id == t)
    }
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub filter: ClaimFilter,
    /// How many claims at most.
    pub limit: usize,
    /// Continue after this claim (newest first, so: older than it).
    pub after: Option<ClaimId>,
}

/// One page of claims, newest first, and where the next page starts: after the last claim of
/// the page, or, when the page is short because the request's read budget ran out, after the
/// last claim read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPage {
    pub items: Vec<Claim>,
    /// The last claim of this page when there are more; `None` on the last page.
    pub next_after: Option<ClaimId>,
}

/// The opaque cursor handed to clients for a page that continues after `claim`.
pub fn encode_cursor(claim: ClaimId) -> String {
    URL_SAFE_NO_PAD.encode(format!("c1:{claim}"))
}

/// The claim a cursor continues after, if it is one this service issued the form of. A cursor
/// only ever positions a listing within the caller's own claims.
pub fn decode_cursor(cursor: &str) -> Option<ClaimId> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    ClaimId::parse(text.strip_prefix("c1:")?)
}

/// Parses the query of `GET /v1/claims`, reporting every bad parameter at once.
pub fn parse_list_query<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<ListQuery, ValidationErrors> {
    let mut query = ListQuery {
        filter: ClaimFilter::default(),
        limit: DEFAULT_LIMIT,
        after: None,
    };
    let errors = parse_params(params, |name, value| {
        match name {
            "status" => query.filter.status = Some(status_of(value, &ClaimStatus::ALL)?),
            "program" => query.filter.program = Some(Program::parse(value)?),
            "workload" => query.filter.workload = Some(Workload::parse(value)?),
            "tenant_id" => query.filter.tenant_id = Some(TenantId::parse(value)?),
            "limit" => query.limit = limit_of(value)?,
            "cursor" => query.after = Some(cursor_of(decode_cursor(value))?),
            _ => return Err(unknown_parameter()),
        }
        Ok(())
    });
    errors.into_result(|| Some(query))
}

/// Every parameter given to `parse`, each at most once; the refusals gathered by name.
fn parse_params<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    mut parse: impl FnMut(&str, &str) -> Result<(), Invalid>,
) -> ValidationErrors {
    let mut errors = ValidationErrors::default();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in params {
        let parsed = if seen.contains(&name) {
            Err(Invalid::new(
                FieldCode::InvalidValue,
                "must be given at most once",
            ))
        } else {
            seen.push(name);
            parse(name, value)
        };
        if let Err(invalid) = parsed {
            errors.push(name, invalid);
        }
    }
    errors
}

/// A status among `allowed`.
fn status_of(value: &str, allowed: &[ClaimStatus]) -> Result<ClaimStatus, Invalid> {
    ClaimStatus::parse(value)
        .filter(|s| allowed.contains(s))
        .ok_or_else(|| {
            let all: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
            Invalid::new(
                FieldCode::InvalidValue,
                format!("must be one of: {}", all.join(", ")),
            )
        })
}

/// A page size from 1 to `MAX_LIMIT`.
fn limit_of(value: &str) -> Result<usize, Invalid> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| {
            Invalid::new(
                FieldCode::OutOfRange,
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            )
        })
}

/// A cursor's position, if it decoded as one this service issues.
fn cursor_of<P>(decoded: Option<P>) -> Result<P, Invalid> {
    decoded.ok_or_else(|| {
        Invalid::new(
            FieldCode::InvalidCursor,
            "is not a cursor from a previous page",
        )
    })
}

fn unknown_parameter() -> Invalid {
    Invalid::new(
        FieldCode::UnknownField,
        "is not a parameter of this listing",
    )
}

/// One page request of the review queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewQuery {
    /// The statuses listed (of those in the queue).
    pub statuses: Vec<ClaimStatus>,
    pub program: Option<Program>,
    pub limit: usize,
    /// Continue after this position (oldest first, so: entered review later).
    pub after: Option<ReviewPosition>,
}

/// A claim's place in the review queue: when it entered review, then its id.
pub type ReviewPosition = (DateTime<Utc>, ClaimId);

/// The statuses in the review queue.
pub const REVIEW_STATUSES: [ClaimStatus; 4] = [
    ClaimStatus::Submitted,
    ClaimStatus::InformationRequested,
    ClaimStatus::Disputed,
    ClaimStatus::Contested,
];

/// The statuses listed when the reviewer names none: those waiting for a decision.
pub const WAITING_FOR_A_DECISION: [ClaimStatus; 3] = [
    ClaimStatus::Submitted,
    ClaimStatus::Disputed,
    ClaimStatus::Contested,
];

impl ReviewQuery {
    /// The whole queue of claims waiting for a decision, from its start.
    pub fn waiting_for_a_decision() -> Self {
        Self {
            statuses: WAITING_FOR_A_DECISION.to_vec(),
            program: None,
            limit: MAX_LIMIT,
            after: None,
        }
    }
}

/// The opaque cursor of a review-queue page that continues after `position`.
pub fn encode_review_cursor((since, id): ReviewPosition) -> String {
    URL_SAFE_NO_PAD.encode(format!("r1:{}#{id}", format_instant(since)))
}

fn decode_review_cursor(cursor: &str) -> Option<ReviewPosition> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (since, id) = text.strip_prefix("r1:")?.split_once('#')?;
    Some((parse_instant(since)?, ClaimId::parse(id)?))
}

/// Parses the query of `GET /v1/review/claims`, reporting every bad parameter at once.
pub fn parse_review_query<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<ReviewQuery, ValidationErrors> {
    let mut query = ReviewQuery {
        statuses: WAITING_FOR_A_DECISION.to_vec(),
        program: None,
        limit: DEFAULT_LIMIT,
        after: None,
    };
    let errors = parse_params(params, |name, value| {
        match name {
            "status" => query.statuses = vec![status_of(value, &REVIEW_STATUSES)?],
            "program" => query.program = Some(Program::parse(value)?),
            "limit" => query.limit = limit_of(value)?,
            "cursor" => query.after = Some(cursor_of(decode_review_cursor(value))?),
            _ => return Err(unknown_parameter()),
        }
        Ok(())
    });
    errors.into_result(|| Some(query))
}

/// A question of `GET /v1/review/partner-of-record`: which association was effective for a
/// unit at an instant (now when none is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerOfRecordQuery {
    pub unit: PartnerOfRecordLock,
    pub at: Option<DateTime<Utc>>,
}

/// Parses the query of `GET /v1/review/partner-of-record`: `tenant_id`, then `workload` (a
/// workload some program locks by workload) or `subscription_id` (one of the two), and `at`
/// (RFC 3339).
pub fn parse_partner_of_record_query<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<PartnerOfRecordQuery, ValidationErrors> {
    let (mut tenant, mut workload, mut subscription, mut at) = (None, None, None, None);
    let mut errors = parse_params(params, |name, value| {
        match name {
            "tenant_id" => tenant = Some(TenantId::parse(value)?),
            "workload" => workload = Some(unit_workload(value)?),
            "subscription_id" => subscription = Some(SubscriptionId::parse(value)?),
            "at" => {
                at = Some(crate::time::parse_instant(value).ok_or_else(|| {
                    Invalid::new(FieldCode::InvalidValue, "must be an RFC 3339 instant")
                })?);
            }
            _ => return Err(unknown_parameter()),
        }
        Ok(())
    });
    if tenant.is_none() && !errors.refuses("tenant_id") {
        errors.push(
            "tenant_id",
            Invalid::new(FieldCode::Required, "is required"),
        );
    }
    let unit = match (workload, subscription) {
        (Some(workload), None) => tenant.map(|t| PartnerOfRecordLock::of_workload(t, workload)),
        (None, Some(subscription)) => {
            tenant.map(|t| PartnerOfRecordLock::of_subscription(t, subscription))
        }
        (Some(_), Some(_)) => {
            errors.push(
                "subscription_id",
                Invalid::new(
                    FieldCode::InvalidValue,
                    "give either workload or subscription_id, not both",
                ),
            );
            None
        }
        (None, None) => {
            if !errors.refuses("workload") && !errors.refuses("subscription_id") {
                errors.push(
                    "workload",
                    Invalid::new(
                        FieldCode::Required,
                        "workload or subscription_id is required",
                    ),
                );
            }
            None
        }
    };
    errors.into_result(|| unit.map(|unit| PartnerOfRecordQuery { unit, at }))
}

/// A workload whose units are the tenant's workload: the business applications' units are
/// their subscriptions, asked for by `subscription_id`.
fn unit_workload(code: &str) -> Result<Workload, Invalid> {
    let workload = Workload::parse(code)?;
    let locked_by_workload = Program::all()
        .filter(|p| p.lock_unit() == LockUnit::Workload)
        .any(|p| p.workloads().any(|w| w == workload));
    if locked_by_workload {
        Ok(workload)
    } else {
        Err(Invalid::new(
            FieldCode::SubscriptionRequired,
            "this workload's units are subscriptions: ask with subscription_id",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The partner of record is asked of a tenant's workload (the programs that lock
    /// workloads) or of its subscription, never both, at an RFC 3339 instant or now.
    #[test]
    fn the_partner_of_record_is_asked_of_a_tenant_s_workload_or_subscription() {
        let tenant = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let subscription = "11111111-2222-3333-4444-555555555555";
        let q =
            parse_partner_of_record_query([("tenant_id", tenant), ("workload", "teams")]).unwrap();
        assert_eq!(q.unit.as_str(), format!("{tenant}#workload#teams"));
        assert_eq!(q.at, None);
        let q = parse_partner_of_record_query([
            ("tenant_id", tenant),
            ("subscription_id", subscription),
            ("at", "2026-03-14T12:00:00+01:00"),
        ])
        .unwrap();
        assert_eq!(
            q.unit.as_str(),
            format!("{tenant}#subscription#{subscription}")
        );
        assert_eq!(q.at, parse_instant("2026-03-14T11:00:00Z"));
        let refused = |params: &[(&str, &str)]| -> Vec<(String, FieldCode)> {
            parse_partner_of_record_query(params.iter().copied())
                .unwrap_err()
                .errors()
                .iter()
                .map(|e| (e.field.clone(), e.code))
                .collect()
        };
        assert_eq!(
            refused(&[("workload", "teams")]),
            [("tenant_id".to_owned(), FieldCode::Required)]
        );
        assert_eq!(
            refused(&[("tenant_id", tenant)]),
            [("workload".to_owned(), FieldCode::Required)]
        );
        assert_eq!(
            refused(&[
                ("tenant_id", tenant),
                ("workload", "teams"),
                ("subscription_id", subscription)
            ]),
            [("subscription_id".to_owned(), FieldCode::InvalidValue)]
        );
        assert_eq!(
            refused(&[("tenant_id", tenant), ("workload", "dynamics-sales")]),
            [("workload".to_owned(), FieldCode::SubscriptionRequired)]
        );
        assert_eq!(
            refused(&[
                ("tenant_id", "nope"),
                ("workload", "teams"),
                ("at", "yesterday"),
                ("x", "1")
            ]),
            [
                ("tenant_id".to_owned(), FieldCode::InvalidGuid),
                ("at".to_owned(), FieldCode::InvalidValue),
                ("x".to_owned(), FieldCode::UnknownField),
            ]
        );
    }

    #[test]
    fn no_parameters_lists_twenty_five_of_everything() {
        let q = parse_list_query([]).unwrap();
        assert_eq!(
            (q.limit, q.after, q.filter),
            (25, None, ClaimFilter::default())
        );
    }

    #[test]
    fn cursors_round_trip_and_forged_ones_are_refused() {
        let id = ClaimId::new_at(chrono::Utc::now());
        let cursor = encode_cursor(id);
        assert_eq!(
            parse_list_query([("cursor", cursor.as_str())])
                .unwrap()
                .after,
            Some(id)
        );
        for bad in ["", "abc", "YzE6bm9wZQ", &id.to_string()] {
            let err = parse_list_query([("cursor", bad)]).unwrap_err();
            assert_eq!(err.errors()[0].code, FieldCode::InvalidCursor, "{bad}");
        }
    }

    #[test]
    fn bad_values_are_all_reported() {
        let err = parse_list_query([
            ("status", "pending"),
            ("limit", "0"),
            ("program", "nope"),
            ("tenant_id", "x"),
            ("sort", "asc"),
        ])
        .unwrap_err();
        let codes: Vec<FieldCode> = err.errors().iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            vec![
                FieldCode::InvalidValue,
                FieldCode::OutOfRange,
                FieldCode::UnknownProgram,
                FieldCode::InvalidGuid,
                FieldCode::UnknownField
            ]
        );
        assert!(parse_list_query([("limit", "101")]).is_err());
        assert_eq!(parse_list_query([("limit", "100")]).unwrap().limit, 100);
    }
}
