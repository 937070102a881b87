//! The AWS requests each operation costs, counted at the SDK's HTTP connector (retries
//! included): what `tests/flows/round_trips.rs` checks and `make bench` reports.

use crate::{FABRIKAM, NORTHWIND, TestStack, claim_body, instant, link_in};
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::TimeDelta;
use cpor_domain::calendar::OptOutWindow;
use cpor_domain::claim::{Claim, HistoryEntry, WithdrawalReason};
use cpor_domain::ids::{ClaimId, PartnerId};
use cpor_domain::submission::parse_submission;
use cpor_local::faults::FaultPlan;
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Requests per `Service.Operation`.
pub type Calls = BTreeMap<String, u64>;

/// One operation and the requests it made.
#[derive(Debug, Clone)]
pub struct OperationCalls {
    /// What was done, e.g. `submit-claim: POST /v1/claims (201)`.
    pub operation: String,
    /// The requests it made.
    pub calls: Calls,
}

/// What a whole flow cost.
#[derive(Debug, Clone)]
pub struct FlowCalls {
    /// Each operation of the flow, in order.
    pub operations: Vec<OperationCalls>,
    /// Every request of the flow, set-up included (table, queues, reference data).
    pub total: Calls,
    /// Claims finalized by the flow's finalization run.
    pub finalized: usize,
}

fn since(before: &Calls, after: &Calls) -> Calls {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

fn delivery(claim_id: &str) -> SqsEvent {
    let mut message = SqsMessage::default();
    message.message_id = Some(format!("m-{claim_id}"));
    message.body = Some(json!({ "claim_id": claim_id }).to_string());
    let mut event = SqsEvent::default();
    event.records = vec![message];
    event
}

/// Runs every function once through the local stack, each step counted on its own: submit,
/// notify, the customer's page and decline, list, read and withdraw, and a finalization of
/// `due` claims.
pub async fn count_flow(due: usize) -> FlowCalls {
    let plan = FaultPlan::counting();
    let shared: Arc<FaultPlan> = plan.clone();
    // The poller is off: the messages are delivered by hand, so that nothing runs between steps.
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.poll_notifications = false;
    })
    .await;
    let mut operations = Vec::new();
    let mut step = |name: &str, before: &Calls| {
        operations.push(OperationCalls {
            operation: name.to_owned(),
            calls: since(before, &plan.calls()),
        });
    };

    let before = plan.calls();
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await;
    assert_eq!(created.status, 201, "{}", created.text);
    step("submit-claim: POST /v1/claims (201)", &before);
    let id = created.json()["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let before = plan.calls();
    let answer = stack.functions().notify.handle(delivery(&id)).await;
    assert!(answer.batch_item_failures.is_empty());
    step("notify-customer: one message (e-mail sent)", &before);

    let link = stack
        .outbox()
        .await
        .iter()
        .find_map(|m| link_in(m["body"].as_str().unwrap_or_default()))
        .expect("the e-mail carries a link");
    let before = plan.calls();
    assert_eq!(stack.open(&link).await.status, 200);
    step("record-opt-out: GET the page", &before);
    let before = plan.calls();
    assert_eq!(stack.post_form(&link).await.status, 303);
    step("record-opt-out: POST decline (303)", &before);

    let before = plan.calls();
    assert_eq!(stack.get(FABRIKAM, "/v1/claims").await.status, 200);
    step("manage-claims: GET /v1/claims", &before);
    let before = plan.calls();
    assert_eq!(
        stack
            .get(FABRIKAM, &format!("/v1/claims/{id}"))
            .await
            .status,
        200
    );
    step("manage-claims: GET /v1/claims/{id}", &before);

    // Claims to finalize, and one more to withdraw.
    let mut deadline = None;
    let mut awaiting = Vec::new();
    for workload in crate::M365_WORKLOADS.iter().take(due + 1) {
        let created = stack.submit(FABRIKAM, &claim_body(workload)).await.json();
        let claim_id = created["claim_id"].as_str().unwrap_or_default().to_owned();
        stack.functions().notify.handle(delivery(&claim_id)).await;
        let claim = stack.claim(FABRIKAM, &claim_id).await;
        deadline = deadline.max(Some(instant(&claim["opt_out_deadline"])));
        awaiting.push(claim_id);
    }
    let withdrawn = awaiting.pop().unwrap_or_default();
    let before = plan.calls();
    let answer = stack
        .withdraw(FABRIKAM, &withdrawn, "entered by mistake")
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    step("manage-claims: POST withdraw (200)", &before);

    let now = deadline.unwrap_or_else(chrono::Utc::now) + TimeDelta::milliseconds(1);
    let before = plan.calls();
    let run = stack.finalize(now).await.json();
    let finalized = run["finalized"].as_u64().unwrap_or_default() as usize;
    step(
        &format!("finalize-association: {finalized} due claims"),
        &before,
    );

    let total = plan.calls();
    stack.stop().await;
    FlowCalls {
        operations,
        total,
        finalized,
    }
}

/// Fifty associations of Litware's Teams one after the other, each official and then
/// withdrawn, as the service stores them; the instant the 25th held the unit.
fn fifty_periods() -> (
    Vec<(Claim, Vec<HistoryEntry>)>,
    chrono::DateTime<chrono::Utc>,
) {
    let mut at = chrono::Utc::now() - TimeDelta::days(3650);
    let mut claims = Vec::new();
    let mut middle = at;
    for i in 0..50 {
        let body = crate::seeded_tenant_claim_body(crate::LITWARE, "teams");
        let subject = body
            .as_object()
            .and_then(|o| parse_submission(o, chrono::Utc::now().date_naive()).ok())
            .expect("a valid claim")
            .subject;
        let (claim, entry) = Claim::submit(
            ClaimId::new_at(at),
            PartnerId::parse(crate::FABRIKAM).expect("a partner id"),
            "Fabrikam Consulting".into(),
            subject,
            at,
        );
        let mut history = vec![entry];
        let step = |t: cpor_domain::claim::Transition, history: &mut Vec<HistoryEntry>| {
            history.extend(t.entries);
            t.claim
        };
        let claim = step(
            claim.approve_automatically(at).expect("approved"),
            &mut history,
        );
        let window = OptOutWindow {
            notified_at: at,
            deadline: at + TimeDelta::days(7),
        };
        let claim = step(claim.notify(window).expect("notified"), &mut history);
        at = window.deadline + TimeDelta::hours(1);
        let claim = step(claim.finalize(at).expect("official"), &mut history);
        if i == 25 {
            middle = at;
        }
        at += TimeDelta::days(30);
        let reason = WithdrawalReason::parse("engagement ended").expect("a reason");
        let claim = step(claim.withdraw(at, reason).expect("withdrawn"), &mut history);
        at += TimeDelta::days(1);
        claims.push((claim, history));
    }
    (claims, middle)
}

/// Runs the review once through a local stack under the `manual` policy, each step counted on
/// its own: a submission waiting for review, the queue, a claim's page, each decision, each of
/// the partner's moves, and a nightly run rejecting `due` unanswered information requests.
pub async fn count_review_flow(due: usize) -> FlowCalls {
    let plan = FaultPlan::counting();
    let shared: Arc<FaultPlan> = plan.clone();
    // The poller is off: an approval's message waits in the queue, uncounted beyond its send.
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.poll_notifications = false;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    let mut operations = Vec::new();
    let mut step = |name: &str, before: &Calls| {
        operations.push(OperationCalls {
            operation: name.to_owned(),
            calls: since(before, &plan.calls()),
        });
    };
    let id_of = |answer: &crate::Answer| {
        answer.json()["claim_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let information = json!({ "codes": ["other"], "message": "More, please." });
    let rejection = json!({ "code": "other", "message": "No." });
    let newer = json!({ "reference": "SOW-2",
                        "signed_on": (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string() });
    let expect = |answer: crate::Answer, status: u16| {
        assert_eq!(answer.status.as_u16(), status, "{}", answer.text);
        answer
    };

    let before = plan.calls();
    let asked = id_of(&expect(
        stack.submit(FABRIKAM, &claim_body("teams")).await,
        201,
    ));
    step(
        "submit-claim: POST /v1/claims, manual review (201)",
        &before,
    );
    let rejected = id_of(&expect(
        stack.submit(FABRIKAM, &claim_body("exchange")).await,
        201,
    ));

    let before = plan.calls();
    expect(stack.review_get("r", "/v1/review/claims").await, 200);
    step("review-claims: GET /v1/review/claims (the queue)", &before);
    let before = plan.calls();
    expect(
        stack
            .review_get("r", &format!("/v1/review/claims/{asked}"))
            .await,
        200,
    );
    step("review-claims: GET /v1/review/claims/{id}", &before);
    let before = plan.calls();
    expect(
        stack
            .decide("r", &asked, "request-information", &information)
            .await,
        200,
    );
    step("review-claims: POST request-information (200)", &before);
    let before = plan.calls();
    let respond = json!({ "message": "Here." });
    expect(
        stack
            .partner_move(FABRIKAM, &asked, "respond", &respond)
            .await,
        200,
    );
    step("manage-claims: POST respond (200)", &before);
    let before = plan.calls();
    expect(
        stack.partner_move(FABRIKAM, &asked, "proof", &newer).await,
        200,
    );
    step("manage-claims: POST proof (200)", &before);
    let before = plan.calls();
    expect(stack.decide("r", &asked, "approve", &json!({})).await, 200);
    step("review-claims: POST approve (200)", &before);
    let before = plan.calls();
    expect(
        stack.decide("r", &rejected, "reject", &rejection).await,
        200,
    );
    step("review-claims: POST reject (200)", &before);
    let before = plan.calls();
    let dispute = json!({ "justification": "Look again." });
    expect(
        stack
            .partner_move(FABRIKAM, &rejected, "dispute", &dispute)
            .await,
        200,
    );
    step("manage-claims: POST dispute (200)", &before);
    let before = plan.calls();
    expect(
        stack.decide("r", &rejected, "approve", &json!({})).await,
        200,
    );
    step("review-claims: POST approve a dispute (200)", &before);
    let before = plan.calls();
    expect(
        stack.decide("r", &rejected, "reject", &rejection).await,
        409,
    );
    step("review-claims: POST reject, refused (409)", &before);

    // Information requests left unanswered, and a nightly run after their due time.
    let mut response_due = None;
    let others = crate::M365_WORKLOADS
        .iter()
        .filter(|w| !["teams", "exchange"].contains(w));
    for workload in others.take(due) {
        let id = id_of(&expect(
            stack.submit(FABRIKAM, &claim_body(workload)).await,
            201,
        ));
        let asked = expect(
            stack
                .decide("r", &id, "request-information", &information)
                .await,
            200,
        );
        response_due = response_due.max(Some(crate::instant(
            &asked.json()["review"]["response_due"],
        )));
    }
    let now = response_due.unwrap_or_else(chrono::Utc::now) + TimeDelta::milliseconds(1);
    let before = plan.calls();
    let run = stack.finalize(now).await.json();
    let rejected_by_run = run["rejected"].as_u64().unwrap_or_default() as usize;
    step(
        &format!("finalize-association: {rejected_by_run} unanswered requests due"),
        &before,
    );

    // Partner of record at an instant, on a unit with fifty periods behind it: one query.
    let (history, middle) = fifty_periods();
    let store = cpor_aws::DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.settings().sdk_config().await),
        stack.settings().table.clone(),
    );
    store
        .seed_claims(&history)
        .await
        .expect("the periods are written");
    let before = plan.calls();
    let path = format!(
        "/v1/review/partner-of-record?tenant_id={}&workload=teams&at={}",
        crate::LITWARE,
        cpor_domain::time::format_instant(middle)
    );
    expect(stack.review_get("r", &path).await, 200);
    step(
        "review-claims: GET /v1/review/partner-of-record (50 periods on the unit)",
        &before,
    );

    let total = plan.calls();
    stack.stop().await;
    FlowCalls {
        operations,
        total,
        finalized: rejected_by_run,
    }
}

impl FlowCalls {
    /// The requests of the operation whose name starts with `prefix`.
    pub fn of(&self, prefix: &str) -> Calls {
        self.operations
            .iter()
            .find(|o| o.operation.starts_with(prefix))
            .map(|o| o.calls.clone())
            .unwrap_or_default()
    }
}

/// `[("DynamoDB.Query", 4), ...]` as a map, for comparing.
pub fn calls(expected: &[(&str, u64)]) -> Calls {
    expected
        .iter()
        .map(|(op, n)| ((*op).to_owned(), *n))
        .collect()
}

/// Runs a document's upload once, each step counted on its own: its declaration
/// (`POST /documents`), and the processing of its arrival (the bucket's notification handed to
/// record-document). The bytes go to storage directly, outside the counted requests.
pub async fn count_document_flow() -> FlowCalls {
    let plan = FaultPlan::counting();
    let shared: Arc<FaultPlan> = plan.clone();
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.poll_notifications = false;
    })
    .await;
    let mut operations = Vec::new();
    let mut step = |name: &str, before: &Calls| {
        operations.push(OperationCalls {
            operation: name.to_owned(),
            calls: since(before, &plan.calls()),
        });
    };
    let created = stack.submit(FABRIKAM, &claim_body("teams")).await.json();
    let claim_id = created["claim_id"].as_str().unwrap_or_default().to_owned();
    let bytes = crate::pdf_bytes(2048);

    let before = plan.calls();
    let declared = stack
        .add_document(
            FABRIKAM,
            &claim_id,
            "sow.pdf",
            "application/pdf",
            bytes.len(),
        )
        .await;
    assert_eq!(declared.status, 201, "{}", declared.text);
    step("manage-claims: POST /documents (201)", &before);
    let declared = declared.json();
    assert!(stack.upload(&declared, bytes).await.is_success());
    let document_id = declared["document_id"].as_str().unwrap_or_default();

    let mut message = SqsMessage::default();
    message.message_id = Some(format!("d-{document_id}"));
    message.body = Some(
        json!({ "Records": [{
            "eventName": "ObjectCreated:Put",
            "s3": { "object": { "key": format!("claims/{claim_id}/{document_id}") } }
        }]})
        .to_string(),
    );
    let mut event = SqsEvent::default();
    event.records = vec![message];
    let before = plan.calls();
    let answer = stack.functions().record_document.handle(event).await;
    assert!(answer.batch_item_failures.is_empty());
    step("record-document: one upload (counted)", &before);

    let total = plan.calls();
    stack.stop().await;
    FlowCalls {
        operations,
        total,
        finalized: 0,
    }
}

/// Counts a contest's submission and its approval: the holder's claim, approved, and
/// Northwind's contest of it, approved by a reviewer. The poller is off, so that no
/// notification's requests mix with the counted ones.
pub async fn count_contest_flow() -> FlowCalls {
    let plan = FaultPlan::counting();
    let shared: Arc<FaultPlan> = plan.clone();
    let stack = TestStack::start_with(move |s| {
        s.faults = Some(shared);
        s.poll_notifications = false;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    let mut operations = Vec::new();
    let mut step = |name: &str, before: &Calls| {
        operations.push(OperationCalls {
            operation: name.to_owned(),
            calls: since(before, &plan.calls()),
        });
    };
    let body = claim_body("teams");
    let holder = stack.submit(FABRIKAM, &body).await.json();
    let holder_id = holder["claim_id"].as_str().unwrap_or_default().to_owned();
    let approved = stack
        .decide("reviewer-1", &holder_id, "approve", &json!({}))
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);

    let mut contest = body.clone();
    contest["contest"] = json!({ "justification": "a newer statement of work" });
    let before = plan.calls();
    let created = stack.submit(NORTHWIND, &contest).await;
    assert_eq!(created.status, 201, "{}", created.text);
    step("submit-claim: a contest (201 contested)", &before);
    let contest_id = created.json()["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let case = stack
        .review_get("reviewer-1", &format!("/v1/review/claims/{contest_id}"))
        .await
        .json();
    let before = plan.calls();
    let approved = stack
        .decide(
            "reviewer-1",
            &contest_id,
            "approve",
            &json!({ "compared": case["compared"] }),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    step(
        "review-claims: approve a contest (holder superseded)",
        &before,
    );

    let total = plan.calls();
    stack.stop().await;
    FlowCalls {
        operations,
        total,
        finalized: 0,
    }
}
