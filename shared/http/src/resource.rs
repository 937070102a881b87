//! The API's resources, in the shapes the contract fixes (`openapi.yaml`), built from
//! the domain's types. The store has shapes of its own: renaming a stored attribute cannot
//! change an answer, and the conformance test checks these types against `openapi.yaml`.

use chrono::{DateTime, Utc};
use cpor_domain::calendar::BusinessCalendar;
use cpor_domain::claim::{Claim, ClaimState, HistoryEntry};
use cpor_domain::contact::{CustomerContact, PartnerContact};
use cpor_domain::proof::ProofOfExecution;
use cpor_domain::time::format_instant;
use cpor_domain::{Language, Program};
use serde::Serialize;

/// The programs and the workloads each covers, as `GET /v1/catalogue` answers them, named in a
/// reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueResource {
    pub programs: Vec<CatalogueProgram>,
}

/// A program of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueProgram {
    pub program: &'static str,
    pub name: &'static str,
    /// Whether a claim in it names a subscription (`subscription_id`) rather than a workload.
    pub needs_subscription: bool,
    pub workloads: Vec<CatalogueWorkload>,
}

/// A workload of a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogueWorkload {
    pub workload: &'static str,
    pub name: &'static str,
}

impl CatalogueResource {
    /// Every program of the catalogue, in its order, named for a reader of `language`.
    pub fn in_language(language: Language) -> Self {
        Self {
            programs: Program::all()
                .map(|program| CatalogueProgram {
                    program: program.code(),
                    name: program.name_in(language),
                    needs_subscription: program.needs_subscription(),
                    workloads: program
                        .workloads()
                        .map(|workload| CatalogueWorkload {
                            workload: workload.code(),
                            name: workload.name(),
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A claim, as `GET /v1/claims` lists it and the moves on it answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimResource {
    pub claim_id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub tenant_id: String,
    pub customer_domain: String,
    pub program: &'static str,
    pub workload: &'static str,
    pub subscription_id: Option<String>,
    pub status: &'static str,
    pub created_at: String,
    pub notified_at: Option<String>,
    pub opt_out_deadline: Option<String>,
    pub decided_at: Option<String>,
    pub customer_contact: CustomerContactResource,
    pub partner_contact: PartnerContactResource,
    pub proof_of_execution: ProofResource,
    pub review: ReviewResource,
    pub customer_notification: NotificationResource,
    /// Its association's effective period: null until it became official.
    pub association: Option<AssociationResource>,
    /// Its documents, oldest first (none until the partner declares some).
    pub documents: Vec<DocumentResource>,
}

/// An association's effective period: from the approval that led to it, until it stopped
/// holding its unit (null while it holds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssociationResource {
    pub effective_from: String,
    pub effective_until: Option<String>,
}

impl From<&cpor_domain::claim::Association> for AssociationResource {
    fn from(a: &cpor_domain::claim::Association) -> Self {
        Self {
            effective_from: instant(a.effective_from),
            effective_until: a.effective_until.map(instant),
        }
    }
}

/// The answer of `GET /v1/review/partner-of-record`: the association effective for a unit at
/// an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerOfRecordResource {
    pub claim_id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub program: &'static str,
    pub effective_from: String,
    pub effective_until: Option<String>,
}

impl From<&cpor_domain::claim::Period> for PartnerOfRecordResource {
    fn from(p: &cpor_domain::claim::Period) -> Self {
        Self {
            claim_id: p.claim_id.to_string(),
            partner_id: p.partner_id.to_string(),
            partner_name: p.partner_name.clone(),
            program: p.program.code(),
            effective_from: instant(p.association.effective_from),
            effective_until: p.association.effective_until.map(instant),
        }
    }
}

/// The columns of a claims export: the claim's fields as [`ClaimResource`] has them, nested
/// objects flattened with dots (`customer_contact.email`), without its history or documents.
pub const CLAIM_EXPORT_COLUMNS: [&str; 35] = [
    "claim_id",
    "partner_id",
    "partner_name",
    "tenant_id",
    "customer_domain",
    "program",
    "workload",
    "subscription_id",
    "status",
    "created_at",
    "notified_at",
    "opt_out_deadline",
    "decided_at",
    "customer_contact.name",
    "customer_contact.email",
    "customer_contact.title",
    "customer_contact.locale",
    "customer_contact.time_zone",
    "partner_contact.name",
    "partner_contact.email",
    "partner_contact.locale",
    "proof_of_execution.reference",
    "proof_of_execution.signed_on",
    "review.information_request.codes",
    "review.information_request.message",
    "review.response_due",
    "review.rejection.code",
    "review.rejection.message",
    "review.dispute_until",
    "customer_notification.status",
    "customer_notification.sent_at",
    "customer_notification.bounced_at",
    "customer_notification.complained",
    "association.effective_from",
    "association.effective_until",
];

impl ClaimResource {
    /// Its cells in a claims export, in [`CLAIM_EXPORT_COLUMNS`]' order (`null` where a field,
    /// or the object holding it, is absent).
    pub fn export_cells(&self) -> Vec<serde_json::Value> {
        let value = serde_json::to_value(self).unwrap_or_default();
        CLAIM_EXPORT_COLUMNS
            .iter()
            .map(|column| {
                let pointer = format!("/{}", column.replace('.', "/"));
                value
                    .pointer(&pointer)
                    .cloned()
                    .unwrap_or(serde_json::Value::Null)
            })
            .collect()
    }
}

/// An export, as `POST` and `GET` of `/v1/exports` and `/v1/review/exports` answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportResource {
    pub export_id: String,
    /// `claims` or `associations`.
    pub kind: &'static str,
    /// `running`, `ready` or `failed`.
    pub status: &'static str,
    /// Rows in its file (the header not counted), once ready.
    pub rows: Option<u64>,
    pub created_at: String,
    /// When ready: a link to its file, valid 5 minutes (ask again for a fresh one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
    /// When its file and record are deleted: 7 days after it was asked for.
    pub expires_at: String,
}

impl ExportResource {
    /// `export`, with the link to its file when there is one.
    pub fn of(export: &cpor_domain::export::Export, download_url: Option<String>) -> Self {
        Self {
            export_id: export.id.to_string(),
            kind: export.query.kind(),
            status: export.status.as_str(),
            rows: export.rows,
            created_at: instant(export.created_at),
            download_url,
            expires_at: instant(export.expires_at),
        }
    }
}

/// A partner's webhook endpoint, as the `/v1/webhooks` routes answer it: never its secret,
/// but in the answers that make one (`secret`, shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookResource {
    pub webhook_id: String,
    /// As it is called: normalized (lower-case host, a path of at least `/`).
    pub url: String,
    /// `claim.<event>` types, or `["*"]`.
    pub events: Vec<String>,
    pub description: Option<String>,
    /// `active` or `disabled`.
    pub status: &'static str,
    /// Why it was disabled: `gone` (a delivery was answered 410) or `failing` (three days of
    /// failed deliveries); null while active.
    pub disabled_reason: Option<&'static str>,
    pub created_at: String,
    /// Until when the secret before the last rotation signs too; null when none does.
    pub previous_secret_until: Option<String>,
    /// The first failed delivery since the last one that succeeded; null when none failed.
    pub failing_since: Option<String>,
    /// The signing secret: in the answers of `POST /v1/webhooks` and `rotate-secret` alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// `GET /v1/webhooks/{webhook_id}` alone: the latest attempts, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_deliveries: Option<Vec<DeliveryAttemptResource>>,
}

impl WebhookResource {
    /// `endpoint`, as of `now` (a previous secret whose time is over is not shown).
    pub fn of(
        endpoint: &cpor_domain::webhook::endpoint::Endpoint,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        use cpor_domain::webhook::endpoint::EndpointStatus;
        Self {
            webhook_id: endpoint.id.to_string(),
            url: endpoint.url.as_str().to_owned(),
            events: endpoint.events.names(),
            description: endpoint.description.clone(),
            status: endpoint.status.as_str(),
            disabled_reason: match endpoint.status {
                EndpointStatus::Active => None,
                EndpointStatus::Disabled(reason) => Some(reason.as_str()),
            },
            created_at: instant(endpoint.created_at),
            previous_secret_until: endpoint
                .previous_secret_until
                .filter(|_| endpoint.previous_secret_signs(now))
                .map(instant),
            failing_since: endpoint.failing_since.map(instant),
            secret: None,
            recent_deliveries: None,
        }
    }

    /// The same, with the secret it was just given.
    #[must_use]
    pub fn with_secret(mut self, secret: &cpor_domain::webhook::secret::WebhookSecret) -> Self {
        self.secret = Some(secret.expose());
        self
    }
}

/// One attempt to deliver an event to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttemptResource {
    /// The event's `event_id` (the `webhook-id` header of the delivery).
    pub event_id: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub at: String,
    /// `delivered`, `retrying`, `failed`, `disabled` or `refused`.
    pub outcome: String,
    /// The endpoint's HTTP status; null when it gave no answer.
    pub status_code: Option<u16>,
}

/// A document of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentResource {
    pub document_id: String,
    pub file_name: String,
    pub content_type: &'static str,
    pub size: u64,
    /// `pending` or `uploaded`.
    pub status: &'static str,
    pub uploaded_at: Option<String>,
    /// Of an uploaded document: the SHA-256 of the bytes that counted (lowercase hex).
    pub sha256: Option<String>,
    /// Of a pending document: when its upload link stops working and, still pending, it is
    /// dropped (no longer listed nor counted).
    pub upload_expires_at: Option<String>,
    /// In the reviewers' view, of an uploaded document: a link valid 5 minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download_url: Option<String>,
}

impl From<&cpor_domain::document::Document> for DocumentResource {
    fn from(d: &cpor_domain::document::Document) -> Self {
        Self {
            document_id: d.id.to_string(),
            file_name: d.file_name.clone(),
            content_type: d.content_type.as_str(),
            size: d.size,
            status: d.status.as_str(),
            uploaded_at: d.uploaded_at.map(instant),
            sha256: d.object.as_ref().and_then(|o| o.sha256.clone()),
            upload_expires_at: (d.status == cpor_domain::document::DocumentStatus::Pending)
                .then(|| instant(d.upload_expires_at)),
            download_url: None,
        }
    }
}

impl ClaimResource {
    /// The claim with its documents.
    pub fn with_documents(mut self, documents: &[cpor_domain::document::Document]) -> Self {
        self.documents = documents.iter().map(DocumentResource::from).collect();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerContactResource {
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub locale: String,
    pub time_zone: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartnerContactResource {
    pub name: String,
    pub email: String,
    /// The language of the partner's e-mails.
    pub locale: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProofResource {
    pub reference: String,
    /// `YYYY-MM-DD`.
    pub signed_on: String,
}

/// Where the vendor's review stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewResource {
    /// While information is requested.
    pub information_request: Option<InformationRequestResource>,
    pub response_due: Option<String>,
    /// Once rejected (and while the rejection is disputed).
    pub rejection: Option<RejectionResource>,
    /// Until when the rejection may be disputed; null once it ended a dispute.
    pub dispute_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InformationRequestResource {
    pub codes: Vec<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectionResource {
    pub code: &'static str,
    pub message: Option<String>,
}

/// Where the customer's e-mail stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationResource {
    /// `not_sent`, `queued`, `sent` or `bounced`.
    pub status: &'static str,
    pub sent_at: Option<String>,
    pub bounced_at: Option<String>,
    /// Present (true) once the customer marked the notification as spam.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complained: Option<bool>,
}

/// A claim with its history, as `GET /v1/claims/{claim_id}` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClaimWithHistory {
    #[serde(flatten)]
    pub claim: ClaimResource,
    /// Oldest first.
    pub history: Vec<HistoryEntryResource>,
}

/// One entry of a claim's history, as its partner sees it: no reviewer's identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntryResource {
    pub sequence: u32,
    pub at: String,
    pub actor: &'static str,
    pub event: &'static str,
    /// Null for the submission.
    pub from: Option<&'static str>,
    pub to: &'static str,
    pub code: Option<String>,
    pub reason: Option<String>,
}

/// A claim in the review queue: the claim, and the reviewer's target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewQueueItem {
    #[serde(flatten)]
    pub claim: ClaimResource,
    /// When it entered the list it is in (the queue's order): submitted, responded, disputed
    /// or contested, or asked for information; null out of review.
    pub entered_review_at: Option<String>,
    /// The end of the fifth business day after it entered review; null while the partner is
    /// asked for information.
    pub review_due: Option<String>,
    pub overdue: bool,
}

/// A claim as a reviewer reads it: its whole history, reviewers' ids included, and for a
/// contest the claim it contests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewedClaim {
    #[serde(flatten)]
    pub claim: ReviewQueueItem,
    pub history: Vec<ReviewedHistoryEntry>,
    /// Only on a contested claim.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<HolderResource>,
    /// Only on a contested claim: both claims as read, which an approval sends back so that
    /// it acts only on what the reviewer compared (opaque to clients).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compared: Option<String>,
}

/// The claim a contest is against, beside the contester's own proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HolderResource {
    pub claim_id: String,
    pub partner_id: String,
    pub partner_name: String,
    /// Its status now: a claim that let the unit go (withdrawn, declined, ...) leaves the
    /// unit free for the contest.
    pub status: &'static str,
    pub proof_of_execution: ProofResource,
    /// When it was submitted.
    pub since: String,
    /// The contester's proof of execution was signed after the holder's.
    pub contester_proof_is_newer: bool,
}

/// A history entry as a reviewer reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewedHistoryEntry {
    #[serde(flatten)]
    pub entry: HistoryEntryResource,
    /// The reviewer who made the change, for the vendor's audit.
    pub reviewer: Option<String>,
}

fn instant(at: DateTime<Utc>) -> String {
    format_instant(at)
}

impl From<&Claim> for ClaimResource {
    fn from(claim: &Claim) -> Self {
        let window = claim.state.window();
        let s = &claim.subject;
        Self {
            claim_id: claim.id.to_string(),
            partner_id: claim.partner_id.as_str().to_owned(),
            partner_name: claim.partner_name.clone(),
            tenant_id: s.tenant_id.to_string(),
            customer_domain: s.customer_domain.as_str().to_owned(),
            program: s.program.code(),
            workload: s.workload.code(),
            subscription_id: s.subscription_id.map(|id| id.to_string()),
            status: claim.status().as_str(),
            created_at: instant(claim.created_at),
            notified_at: window.map(|w| instant(w.notified_at)),
            opt_out_deadline: window.map(|w| instant(w.deadline)),
            decided_at: claim.decided_at.map(instant),
            customer_contact: (&s.customer_contact).into(),
            partner_contact: (&s.partner_contact).into(),
            proof_of_execution: (&s.proof_of_execution).into(),
            review: (&claim.state).into(),
            customer_notification: claim.into(),
            association: claim.association.as_ref().map(AssociationResource::from),
            documents: Vec::new(),
        }
    }
}

impl From<&ClaimState> for ReviewResource {
    fn from(state: &ClaimState) -> Self {
        let rejection = |r: &cpor_domain::review::Rejection| RejectionResource {
            code: r.code.as_str(),
            message: r.message.as_ref().map(|m| m.as_str().to_owned()),
        };
        let none = Self {
            information_request: None,
            response_due: None,
            rejection: None,
            dispute_until: None,
        };
        match state {
            ClaimState::InformationRequested { request } => Self {
                information_request: Some(InformationRequestResource {
                    codes: request.codes.iter().map(|c| c.as_str()).collect(),
                    message: request.message.as_str().to_owned(),
                }),
                response_due: Some(instant(request.response_due)),
                ..none
            },
            ClaimState::Rejected {
                rejection: r,
                dispute_until,
            } => Self {
                rejection: Some(rejection(r)),
                dispute_until: dispute_until.map(instant),
                ..none
            },
            ClaimState::Disputed { rejection: r, .. } => Self {
                rejection: Some(rejection(r)),
                ..none
            },
            ClaimState::Submitted { .. }
            | ClaimState::Approved { .. }
            | ClaimState::AwaitingCustomer { .. }
            | ClaimState::Associated { .. }
            | ClaimState::Declined { .. }
            | ClaimState::Withdrawn { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { .. }
            | ClaimState::CustomerUnreachable { .. }
            | ClaimState::Revoked { .. }
            | ClaimState::Expired { .. } => none,
        }
    }
}

impl From<&Claim> for NotificationResource {
    fn from(claim: &Claim) -> Self {
        let mut bounced_at = None;
        let (status, sent_at) = match &claim.state {
            ClaimState::Approved { .. } => ("queued", None),
            ClaimState::CustomerUnreachable {
                window,
                bounced_at: at,
                ..
            } => {
                bounced_at = Some(instant(*at));
                ("bounced", Some(instant(window.notified_at)))
            }
            ClaimState::AwaitingCustomer { window }
            | ClaimState::Associated { window }
            | ClaimState::Revoked { window }
            | ClaimState::Expired { window }
            | ClaimState::Declined { window }
            | ClaimState::Withdrawn {
                window: Some(window),
                ..
            }
            | ClaimState::Superseded {
                window: Some(window),
            } => ("sent", Some(instant(window.notified_at))),
            ClaimState::Submitted { .. }
            | ClaimState::InformationRequested { .. }
            | ClaimState::Rejected { .. }
            | ClaimState::Disputed { .. }
            | ClaimState::Contested { .. }
            | ClaimState::Superseded { window: None }
            | ClaimState::Withdrawn { window: None, .. } => ("not_sent", None),
        };
        Self {
            status,
            sent_at,
            bounced_at,
            complained: claim.notice.complained.then_some(true),
        }
    }
}

impl From<&CustomerContact> for CustomerContactResource {
    fn from(c: &CustomerContact) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.as_str().to_owned(),
            title: c.title.clone(),
            locale: c.locale.as_str().to_owned(),
            time_zone: c.time_zone.name(),
        }
    }
}

impl From<&PartnerContact> for PartnerContactResource {
    fn from(c: &PartnerContact) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.as_str().to_owned(),
            locale: c.locale.as_str().to_owned(),
        }
    }
}

impl From<&ProofOfExecution> for ProofResource {
    fn from(p: &ProofOfExecution) -> Self {
        Self {
            reference: p.reference.clone(),
            signed_on: p.signed_on.format("%Y-%m-%d").to_string(),
        }
    }
}

impl From<&HistoryEntry> for HistoryEntryResource {
    fn from(e: &HistoryEntry) -> Self {
        Self {
            sequence: e.sequence,
            at: instant(e.at),
            actor: e.actor.as_str(),
            event: e.event.as_str(),
            from: e.from.map(|s| s.as_str()),
            to: e.to.as_str(),
            code: e.code.clone(),
            reason: e.reason.clone(),
        }
    }
}

impl ClaimWithHistory {
    pub fn of(claim: &Claim, history: &[HistoryEntry]) -> Self {
        Self {
            claim: claim.into(),
            history: history.iter().map(HistoryEntryResource::from).collect(),
        }
    }
}

impl ReviewQueueItem {
    pub fn of(claim: &Claim, calendar: &BusinessCalendar, now: DateTime<Utc>) -> Self {
        let due = claim.state.review_due(calendar);
        Self {
            claim: claim.into(),
            entered_review_at: claim.state.in_review_since().map(instant),
            review_due: due.map(instant),
            overdue: due.is_some_and(|due| due < now),
        }
    }
}

impl ReviewedClaim {
    pub fn of(
        claim: &Claim,
        history: &[HistoryEntry],
        holder: Option<&Claim>,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> Self {
        let newest = |c: &Claim| c.subject.proof_of_execution.signed_on;
        Self {
            compared: holder
                .and_then(|h| cpor_domain::claim::Compared::of(claim, h))
                .map(|c| c.to_string()),
            holder: holder.map(|h| HolderResource {
                claim_id: h.id.to_string(),
                partner_id: h.partner_id.to_string(),
                partner_name: h.partner_name.clone(),
                status: h.status().as_str(),
                proof_of_execution: (&h.subject.proof_of_execution).into(),
                since: instant(h.created_at),
                contester_proof_is_newer: newest(claim) > newest(h),
            }),
            claim: ReviewQueueItem::of(claim, calendar, now),
            history: history
                .iter()
                .map(|e| ReviewedHistoryEntry {
                    entry: e.into(),
                    reviewer: e.reviewer.as_ref().map(|r| r.as_str().to_owned()),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use std::collections::BTreeSet;

    /// Every field of a claim, none absent.
    fn full_claim() -> ClaimResource {
        let text = |t: &str| t.to_owned();
        ClaimResource {
            claim_id: text("01JDX3ZQ5K7M9N1P3R5T7V9X1Z"),
            partner_id: text("1234567"),
            partner_name: text("Fabrikam"),
            tenant_id: text("0f8fad5b-d9cb-469f-a165-70867728950e"),
            customer_domain: text("contoso.com"),
            program: "osu-m365",
            workload: "teams",
            subscription_id: Some(text("s")),
            status: "rejected",
            created_at: text("t"),
            notified_at: Some(text("t")),
            opt_out_deadline: Some(text("t")),
            decided_at: Some(text("t")),
            customer_contact: CustomerContactResource {
                name: text("n"),
                email: text("e"),
                title: Some(text("t")),
                locale: text("it"),
                time_zone: "Europe/Rome",
            },
            partner_contact: PartnerContactResource {
                name: text("n"),
                email: text("e"),
                locale: text("en"),
            },
            proof_of_execution: ProofResource {
                reference: text("r"),
                signed_on: text("d"),
            },
            review: ReviewResource {
                information_request: Some(InformationRequestResource {
                    codes: vec!["other"],
                    message: text("m"),
                }),
                response_due: Some(text("t")),
                rejection: Some(RejectionResource {
                    code: "other",
                    message: Some(text("m")),
                }),
                dispute_until: Some(text("t")),
            },
            customer_notification: NotificationResource {
                status: "bounced",
                sent_at: Some(text("t")),
                bounced_at: Some(text("t")),
                complained: Some(true),
            },
            association: Some(AssociationResource {
                effective_from: text("t"),
                effective_until: Some(text("t")),
            }),
            documents: Vec::new(),
        }
    }

    fn leaves(value: &Value, path: &str, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(fields) => {
                for (name, field) in fields {
                    let inner = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    leaves(field, &inner, found);
                }
            }
            _ => {
                found.insert(path.to_owned());
            }
        }
    }

    #[test]
    fn a_claims_export_has_a_column_for_every_field_of_the_claim_but_its_documents() {
        // GIVEN a claim with every field present
        let claim = full_claim();
        // WHEN its resource's fields are flattened
        let mut fields = BTreeSet::new();
        leaves(&serde_json::to_value(&claim).unwrap(), "", &mut fields);
        fields.remove("documents");
        // THEN each is a column, and each column a field
        let columns: BTreeSet<String> = CLAIM_EXPORT_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
        assert_eq!(fields, columns);
        // AND the cells are the fields' values, in the columns' order
        let cells = claim.export_cells();
        assert_eq!(cells[0], "01JDX3ZQ5K7M9N1P3R5T7V9X1Z");
        let at = |column: &str| {
            let i = CLAIM_EXPORT_COLUMNS
                .iter()
                .position(|c| *c == column)
                .unwrap();
            cells[i].clone()
        };
        assert_eq!(at("customer_contact.time_zone"), "Europe/Rome");
        assert_eq!(
            at("review.information_request.codes"),
            serde_json::json!(["other"])
        );
        assert_eq!(at("customer_notification.complained"), true);
    }

    #[test]
    fn an_absent_object_s_fields_are_empty_cells() {
        // GIVEN a claim with no information request, rejection nor complaint
        let mut claim = full_claim();
        claim.review.information_request = None;
        claim.review.rejection = None;
        claim.customer_notification.complained = None;
        // WHEN its cells are read
        let cells = claim.export_cells();
        // THEN they are null there, and the row keeps its width
        assert_eq!(cells.len(), CLAIM_EXPORT_COLUMNS.len());
        for column in [
            "review.information_request.codes",
            "review.rejection.code",
            "customer_notification.complained",
        ] {
            let i = CLAIM_EXPORT_COLUMNS
                .iter()
                .position(|c| *c == column)
                .unwrap();
            assert_eq!(cells[i], Value::Null, "{column}");
        }
    }
}
