//! The vendor's review (`/v1/review/claims...`) and the partner's answers to it (`respond`,
//! `dispute`, `proof`), under the `manual` review policy: every route, the races between two
//! reviewers and between a response and the nightly run, and what the partner never sees.

use chrono::{DateTime, Days, TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

const ALICE: &str = "reviewer-alice";
const BOB: &str = "reviewer-bob";

/// Submits a claim for `workload` under the manual policy and returns its id.
async fn submitted(stack: &TestStack, partner_id: &str, body: &Value) -> String {
    let created = stack.submit(partner_id, body).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.json()["status"], "submitted");
    created.json()["claim_id"].as_str().unwrap().to_owned()
}

fn request_information() -> Value {
    json!({ "codes": ["missing_customer_signature", "proof_of_execution_dates"],
            "message": "Please send the signed statement of work." })
}

fn rejection() -> Value {
    json!({ "code": "insufficient_proof_of_execution", "message": "The statement of work is not signed." })
}

/// The ids of the claims of the review queue's first page for `query`.
async fn queue(stack: &TestStack, query: &str) -> Vec<String> {
    let page = stack
        .review_get(ALICE, &format!("/v1/review/claims{query}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    page.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["claim_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_claim_waits_in_the_queue_until_a_reviewer_approves_it_and_then_its_customer_is_emailed()
{
    let stack = TestStack::start_manual().await;
    // GIVEN a claim submitted under the manual policy
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    // THEN no e-mail goes out while it waits
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(stack.customer_outbox().await.is_empty());
    // AND the queue shows it, since its submission, with its review due time, not overdue
    let page = stack.review_get(ALICE, "/v1/review/claims").await.json();
    let item = &page["items"][0];
    assert_eq!(item["claim_id"], id.as_str());
    assert_eq!(item["status"], "submitted");
    assert_eq!(item["entered_review_at"], item["created_at"]);
    assert_eq!(item["overdue"], false);
    assert!(instant(&item["review_due"]) > Utc::now() + TimeDelta::days(4));
    assert_eq!(page["next_cursor"], Value::Null);
    // WHEN a reviewer approves it
    let approved = stack
        .decide(
            ALICE,
            &id,
            "approve",
            &json!({ "comment": "Signed SOW on file." }),
        )
        .await;
    // THEN it is approved, and its customer is e-mailed
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(approved.json()["status"], "approved");
    let claim = stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    assert_eq!(stack.customer_outbox().await.len(), 1);
    // AND it has left the queue
    assert!(queue(&stack, "").await.is_empty());
    // AND the partner's history says a reviewer approved it, without saying who
    let approval = &claim["history"][1];
    assert_eq!(
        (approval["event"].clone(), approval["actor"].clone()),
        (json!("approved"), json!("reviewer"))
    );
    assert!(approval.get("reviewer").is_none(), "{approval}");
    // AND the reviewer's view names the reviewer
    let reviewed = stack
        .review_get(BOB, &format!("/v1/review/claims/{id}"))
        .await
        .json();
    assert_eq!(reviewed["history"][1]["reviewer"], ALICE);
    assert_eq!(reviewed["history"][0]["reviewer"], Value::Null);
    stack.stop().await;
}

#[tokio::test]
async fn the_queue_is_oldest_first_filtered_by_status_and_program_and_paged_with_a_cursor() {
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| {
        s.clock = shared;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    // GIVEN claims entering review a minute apart, one in another program
    let start = Utc::now();
    let mut ids = Vec::new();
    for (i, workload) in ["teams", "exchange", "sharepoint", "intune"]
        .iter()
        .enumerate()
    {
        clock.set(start + TimeDelta::minutes(i as i64));
        ids.push(submitted(&stack, FABRIKAM, &claim_body(workload)).await);
    }
    clock.set(start + TimeDelta::minutes(4));
    let mut sales = claim_body("dynamics-sales");
    sales["program"] = json!("osu-bizapps");
    sales["subscription_id"] = json!(CONTOSO_SALES_SUBSCRIPTION);
    let sales = submitted(&stack, FABRIKAM, &sales).await;
    // AND one of them waiting for the partner
    let asked = stack
        .decide(
            ALICE,
            &ids[1],
            "request-information",
            &request_information(),
        )
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    // WHEN the queue is read two at a time
    let first = stack
        .review_get(ALICE, "/v1/review/claims?limit=2")
        .await
        .json();
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = stack
        .review_get(ALICE, &format!("/v1/review/claims?limit=2&cursor={cursor}"))
        .await
        .json();
    // THEN it lists the claims waiting for a decision, oldest entry into review first
    let listed: Vec<&str> = [&first, &second]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap())
        .map(|c| c["claim_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [&ids[0], &ids[2], &ids[3], &sales]);
    // (each says when it entered review: the queue's order)
    let entered: Vec<DateTime<Utc>> = [&first, &second]
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap())
        .map(|c| instant(&c["entered_review_at"]))
        .collect();
    assert!(entered.is_sorted(), "{entered:?}");
    assert_eq!(entered[0], instant(&first["items"][0]["created_at"]));
    // AND the claims waiting for the partner by their own status, one program by its name
    assert_eq!(
        queue(&stack, "?status=information_requested").await,
        [ids[1].clone()]
    );
    assert_eq!(queue(&stack, "?program=osu-bizapps").await, [sales]);
    // AND a bad query names its parameters
    let bad = stack
        .review_get(ALICE, "/v1/review/claims?status=associated&limit=0")
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "validation_failed".into())
    );
    let problem = bad.json();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"status") && fields.contains(&"limit"),
        "{fields:?}"
    );
    // AND a claim overdue for review says so
    clock.set(start + TimeDelta::days(10));
    let page = stack.review_get(ALICE, "/v1/review/claims").await.json();
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["overdue"] == true)
    );
    stack.stop().await;
}

#[tokio::test]
async fn two_reviewers_deciding_the_same_claims_at_once_leave_exactly_one_decision_each() {
    let stack = TestStack::start_manual().await;
    // GIVEN claims in review
    let mut ids = Vec::new();
    for workload in M365_WORKLOADS.iter().take(6) {
        ids.push(submitted(&stack, FABRIKAM, &claim_body(workload)).await);
    }
    // WHEN two reviewers decide each at the same moment, one approving, the other rejecting
    let (approval, reject) = (json!({}), rejection());
    let decisions = ids.iter().map(|id| async {
        tokio::join!(
            stack.decide(ALICE, id, "approve", &approval),
            stack.decide(BOB, id, "reject", &reject),
        )
    });
    let answers = futures::future::join_all(decisions).await;
    // THEN for each claim one wins and the other is told the claim moved on
    for (id, (approve, reject)) in ids.iter().zip(&answers) {
        let mut statuses = [approve.status.as_u16(), reject.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(
            statuses,
            [200, 409],
            "{id}: {} / {}",
            approve.text,
            reject.text
        );
        let loser = if approve.status == 409 {
            approve
        } else {
            reject
        };
        assert_eq!(loser.code(), "invalid_transition");
        // AND the claim's history holds exactly one decision, the winner's
        let claim = stack.claim(FABRIKAM, id).await;
        let decisions: Vec<&Value> = claim["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["actor"] == "reviewer")
            .collect();
        assert_eq!(decisions.len(), 1, "{claim}");
        let won = if approve.status == 200 {
            "approved"
        } else {
            "rejected"
        };
        assert_eq!(decisions[0]["to"], won);
        assert_eq!(loser.json()["status"], won);
    }
    stack.stop().await;
}

#[tokio::test]
async fn an_information_request_is_answered_in_time_and_the_claim_returns_to_review() {
    let stack = TestStack::start_manual().await;
    // GIVEN a claim whose reviewer asks for more
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let asked = stack
        .decide(ALICE, &id, "request-information", &request_information())
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    let asked = asked.json();
    assert_eq!(asked["status"], "information_requested");
    assert_eq!(
        asked["review"]["information_request"],
        json!({ "codes": ["missing_customer_signature", "proof_of_execution_dates"],
                "message": "Please send the signed statement of work." })
    );
    assert!(instant(&asked["review"]["response_due"]) > Utc::now() + TimeDelta::days(4));
    // AND the workload stays held while the partner answers
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.code(),
        "workload_already_claimed"
    );
    // WHEN the partner responds with a newer proof of execution
    let newer = (Utc::now().date_naive() - Days::new(2)).to_string();
    let response = stack
        .partner_move(
            FABRIKAM,
            &id,
            "respond",
            &json!({ "message": "Signed SOW attached.",
                     "proof_of_execution": { "reference": "https://fabrikam.example/sow/4711-signed.pdf", "signed_on": newer } }),
        )
        .await;
    // THEN the claim is back in review with the newer proof, and in the queue again
    assert_eq!(response.status, 200, "{}", response.text);
    let answered = response.json();
    assert_eq!(answered["status"], "submitted");
    assert_eq!(answered["proof_of_execution"]["signed_on"], newer.as_str());
    assert_eq!(answered["review"]["information_request"], Value::Null);
    assert_eq!(queue(&stack, "").await, std::slice::from_ref(&id));
    let events: Vec<Value> = stack.claim(FABRIKAM, &id).await["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].clone())
        .collect();
    assert!(
        events.contains(&json!("information_requested")),
        "{events:?}"
    );
    assert!(events.contains(&json!("proof_added")), "{events:?}");
    // AND answering again is not a move its status allows
    let again = stack
        .partner_move(FABRIKAM, &id, "respond", &json!({ "message": "again" }))
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "invalid_transition".into())
    );
    assert_eq!(again.json()["status"], "submitted");
    stack.stop().await;
}

#[tokio::test]
async fn a_response_after_its_due_time_is_refused_and_the_nightly_run_rejects_the_claim() {
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| {
        s.clock = shared;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    // GIVEN a claim whose information request went unanswered past its due time
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let asked = stack
        .decide(ALICE, &id, "request-information", &request_information())
        .await
        .json();
    let due = instant(&asked["review"]["response_due"]);
    clock.set(due + TimeDelta::milliseconds(1));
    // WHEN the partner answers now
    let late = stack
        .partner_move(
            FABRIKAM,
            &id,
            "respond",
            &json!({ "message": "Here it is." }),
        )
        .await;
    // THEN the answer is refused
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "response_window_closed".into())
    );
    // WHEN the nightly run comes (a run at the due time itself finds nothing to do)
    assert_eq!(stack.finalize(due).await.json()["rejected"], 0);
    let run = stack.finalize(due + TimeDelta::hours(3)).await.json();
    // THEN it rejects the claim for no response, as the system, and frees the workload
    assert_eq!(
        (run["due"].clone(), run["rejected"].clone()),
        (json!(1), json!(1))
    );
    let claim = stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "rejected");
    assert_eq!(claim["review"]["rejection"]["code"], "no_response");
    assert!(claim["review"]["dispute_until"].is_string());
    let last = claim["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["actor"].clone(), last["code"].clone()),
        (json!("system"), json!("no_response"))
    );
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.status,
        201
    );
    // AND a second run changes nothing
    let again = stack.finalize(due + TimeDelta::hours(4)).await.json();
    assert_eq!(
        (again["due"].clone(), again["rejected"].clone()),
        (json!(0), json!(0))
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_response_racing_the_nightly_rejection_has_exactly_one_winner() {
    let stack = TestStack::start_manual().await;
    // GIVEN claims whose information requests are due
    let mut ids = Vec::new();
    let mut due = Utc::now();
    for workload in M365_WORKLOADS.iter().take(6) {
        let id = submitted(&stack, FABRIKAM, &claim_body(workload)).await;
        let asked = stack
            .decide(ALICE, &id, "request-information", &request_information())
            .await
            .json();
        due = due.max(instant(&asked["review"]["response_due"]));
        ids.push(id);
    }
    // WHEN the partner answers each (in time: the stack's clock is before the due time) while
    // the nightly run, after the due time, rejects what it finds unanswered
    let answer = json!({ "message": "Signed SOW attached." });
    let responses = futures::future::join_all(
        ids.iter()
            .map(|id| stack.partner_move(FABRIKAM, id, "respond", &answer)),
    );
    let (responses, run) = tokio::join!(responses, stack.finalize(due + TimeDelta::hours(1)));
    let run = run.json();
    // THEN each claim has exactly one outcome: answered and back in review, or rejected
    let mut rejected = 0;
    for (id, response) in ids.iter().zip(&responses) {
        let claim = stack.claim(FABRIKAM, id).await;
        let last = history_steps(&claim).last().unwrap().clone();
        match response.status.as_u16() {
            200 => {
                assert_eq!(claim["status"], "submitted", "{claim}");
                assert_eq!(last, (json!("information_requested"), json!("submitted")));
            }
            409 => {
                rejected += 1;
                assert_eq!(response.code(), "invalid_transition", "{}", response.text);
                assert_eq!(claim["status"], "rejected", "{claim}");
                assert_eq!(last, (json!("information_requested"), json!("rejected")));
            }
            other => panic!("{id}: {other} {}", response.text),
        }
    }
    // AND the run's summary agrees
    assert_eq!(run["rejected"], rejected, "{run}");
    assert_eq!(run["failed"], 0, "{run}");
    println!(
        "respond vs nightly: {rejected} of {} rejected first",
        ids.len()
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_rejection_frees_the_workload_and_an_approved_dispute_takes_it_back() {
    let stack = TestStack::start_manual().await;
    // GIVEN a rejected claim
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let rejected = stack.decide(ALICE, &id, "reject", &rejection()).await;
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    let rejected = rejected.json();
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["review"]["rejection"], rejection());
    let until = instant(&rejected["review"]["dispute_until"]);
    assert!(until > Utc::now() + TimeDelta::days(29));
    assert!(rejected["decided_at"].is_string());
    // AND withdrawing a rejected claim is not a move its status allows
    let withdraw = stack.withdraw(FABRIKAM, &id, "never mind").await;
    assert_eq!(
        (withdraw.status.as_u16(), withdraw.code()),
        (409, "invalid_transition".into())
    );
    // WHEN the partner disputes it
    let disputed = stack
        .partner_move(
            FABRIKAM,
            &id,
            "dispute",
            &json!({ "justification": "The SOW was signed on paper; scan attached." }),
        )
        .await;
    // THEN it is disputed, back in the reviewers' queue
    assert_eq!(disputed.status, 200, "{}", disputed.text);
    assert_eq!(disputed.json()["status"], "disputed");
    assert_eq!(
        queue(&stack, "?status=disputed").await,
        std::slice::from_ref(&id)
    );
    // WHEN a reviewer approves the dispute
    let approved = stack.decide(BOB, &id, "approve", &json!({})).await;
    // THEN it takes the workload back and its customer is e-mailed
    assert_eq!(approved.status, 200, "{}", approved.text);
    stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    assert_eq!(
        stack.submit(NORTHWIND, &claim_body("teams")).await.code(),
        "workload_already_claimed"
    );
    assert!(stack.lock_holders().await.contains(&id));
    stack.stop().await;
}

#[tokio::test]
async fn a_dispute_approved_while_another_partner_holds_the_workload_is_refused_and_changes_nothing()
 {
    let stack = TestStack::start_manual().await;
    // GIVEN a rejected claim, whose workload another partner then claims
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    stack.decide(ALICE, &id, "reject", &rejection()).await;
    let mut northwind_body = claim_body("teams");
    northwind_body["partner_contact"]["email"] = json!("kim@northwind.example");
    let other = submitted(&stack, NORTHWIND, &northwind_body).await;
    // AND the first partner disputes the rejection
    let disputed = stack
        .partner_move(
            FABRIKAM,
            &id,
            "dispute",
            &json!({ "justification": "We did the work." }),
        )
        .await;
    assert_eq!(disputed.status, 200, "{}", disputed.text);
    let before = stack.claim(FABRIKAM, &id).await;
    // WHEN a reviewer approves the dispute
    let approved = stack.decide(ALICE, &id, "approve", &json!({})).await;
    // THEN it is refused: the workload is held
    assert_eq!(
        (approved.status.as_u16(), approved.code()),
        (409, "workload_already_claimed".into()),
        "{}",
        approved.text
    );
    // AND nothing changed: the dispute waits, the other claim holds the workload
    assert_eq!(stack.claim(FABRIKAM, &id).await, before);
    assert_eq!(stack.claim(NORTHWIND, &other).await["status"], "submitted");
    let holders = stack.lock_holders().await;
    assert!(holders.contains(&other) && !holders.contains(&id));
    // AND the reviewer may still reject the dispute, which is then final
    let final_rejection = stack.decide(ALICE, &id, "reject", &rejection()).await;
    assert_eq!(final_rejection.status, 200, "{}", final_rejection.text);
    assert_eq!(
        final_rejection.json()["review"]["dispute_until"],
        Value::Null
    );
    let again = stack
        .partner_move(
            FABRIKAM,
            &id,
            "dispute",
            &json!({ "justification": "Once more." }),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "claim_already_final".into())
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_dispute_after_thirty_days_is_refused() {
    let clock = Arc::new(FixedClock::at(Utc::now()));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| {
        s.clock = shared;
        s.review_policy = cpor_domain::ReviewPolicy::Manual;
    })
    .await;
    // GIVEN a claim rejected 30 days and a moment ago
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let rejected = stack
        .decide(ALICE, &id, "reject", &rejection())
        .await
        .json();
    clock.set(instant(&rejected["review"]["dispute_until"]) + TimeDelta::milliseconds(1));
    // WHEN the partner disputes it
    let late = stack
        .partner_move(
            FABRIKAM,
            &id,
            "dispute",
            &json!({ "justification": "Late." }),
        )
        .await;
    // THEN the dispute is refused and the claim stays rejected
    assert_eq!(
        (late.status.as_u16(), late.code()),
        (409, "dispute_window_closed".into())
    );
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "rejected");
    stack.stop().await;
}

#[tokio::test]
async fn a_newer_proof_of_execution_is_added_and_an_older_one_is_refused() {
    let stack = TestStack::start_manual().await;
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let current = stack.claim(FABRIKAM, &id).await["proof_of_execution"].clone();
    let proof = |days: u64| {
        json!({ "reference": "https://fabrikam.example/sow/4711-v2.pdf",
                "signed_on": (Utc::now().date_naive() - Days::new(days)).to_string() })
    };
    // WHEN the partner adds a proof signed before the current one
    let older = stack.partner_move(FABRIKAM, &id, "proof", &proof(40)).await;
    // THEN it is refused, and the claim keeps its proof
    assert_eq!(
        (older.status.as_u16(), older.code()),
        (422, "proof_not_newer".into())
    );
    assert_eq!(
        stack.claim(FABRIKAM, &id).await["proof_of_execution"],
        current
    );
    // WHEN the proof is newer
    let newer = stack.partner_move(FABRIKAM, &id, "proof", &proof(1)).await;
    // THEN the claim carries it, unchanged in status, and its history says so
    assert_eq!(newer.status, 200, "{}", newer.text);
    assert_eq!(newer.json()["proof_of_execution"], proof(1));
    let claim = stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "submitted");
    let last = claim["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            last["event"].clone(),
            last["from"].clone(),
            last["to"].clone()
        ),
        (json!("proof_added"), json!("submitted"), json!("submitted"))
    );
    // AND a bad body names its fields, another partner's claim does not exist, and a reader
    // may not add proofs
    let bad = stack
        .partner_move(FABRIKAM, &id, "proof", &json!({ "signed_on": "yesterday" }))
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code()),
        (400, "validation_failed".into())
    );
    let foreign = stack.partner_move(NORTHWIND, &id, "proof", &proof(0)).await;
    assert_eq!(
        (foreign.status.as_u16(), foreign.code()),
        (404, "claim_not_found".into())
    );
    let reader = stack.token(FABRIKAM, "incentives_user");
    let read_only = stack
        .send(
            Method::POST,
            &format!("/v1/claims/{id}/proof"),
            Some(&reader),
            Some(&proof(0)),
            &[],
        )
        .await;
    assert_eq!(read_only.status, 403);
    stack.stop().await;
}

#[tokio::test]
async fn the_review_routes_are_for_reviewers_and_the_partner_routes_for_partners() {
    let stack = TestStack::start_manual().await;
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let admin = stack.admin(FABRIKAM);
    let reviewer = stack.reviewer_token(ALICE);
    // WHEN a partner calls a review route, a reviewer a partner route, or nobody signs in
    let cases = [
        (
            Method::GET,
            "/v1/review/claims".to_owned(),
            Some(&admin),
            403,
        ),
        (
            Method::POST,
            format!("/v1/review/claims/{id}/approve"),
            Some(&admin),
            403,
        ),
        (
            Method::GET,
            format!("/v1/claims/{id}"),
            Some(&reviewer),
            403,
        ),
        (Method::POST, "/v1/claims".to_owned(), Some(&reviewer), 403),
        (Method::GET, "/v1/review/claims".to_owned(), None, 401),
    ];
    for (method, path, token, expected) in cases {
        let answer = stack
            .send(
                method.clone(),
                &path,
                token.map(String::as_str),
                Some(&json!({})),
                &[],
            )
            .await;
        // THEN each is refused, and nothing is decided
        assert_eq!(answer.status, expected, "{method} {path}: {}", answer.text);
    }
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "submitted");
    // AND a decision on an unknown claim, or with a bad body, names the problem
    let unknown = stack
        .decide(ALICE, "01JDX3ZZZZZZZZZZZZZZZZZZZZ", "approve", &json!({}))
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (404, "claim_not_found".into())
    );
    for (decision, body) in [
        (
            "request-information",
            json!({ "codes": [], "message": "?" }),
        ),
        (
            "request-information",
            json!({ "codes": ["nope"], "message": "?" }),
        ),
        (
            "reject",
            json!({ "code": "no_response", "message": "system only" }),
        ),
        ("reject", json!({ "code": "other", "message": "" })),
        ("approve", json!({ "comment": 42 })),
    ] {
        let answer = stack.decide(ALICE, &id, decision, &body).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (400, "validation_failed".into()),
            "{decision} {body}"
        );
    }
    assert_eq!(stack.claim(FABRIKAM, &id).await["status"], "submitted");
    stack.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_reviewer_s_id_never_reaches_a_partner_s_answer_or_an_info_log_line() {
    let capture = LogCapture::install("info");
    let stack = TestStack::start_manual().await;
    let reviewer = "reviewer-7f3a9c-unique";
    // GIVEN a claim asked for information, answered, rejected and disputed by one reviewer
    let id = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    stack
        .decide(reviewer, &id, "request-information", &request_information())
        .await;
    stack
        .partner_move(FABRIKAM, &id, "respond", &json!({ "message": "Done." }))
        .await;
    stack.decide(reviewer, &id, "reject", &rejection()).await;
    let disputed = stack
        .partner_move(
            FABRIKAM,
            &id,
            "dispute",
            &json!({ "justification": "Please look again." }),
        )
        .await;
    // WHEN the partner reads the claim and the list
    let read = stack.get(FABRIKAM, &format!("/v1/claims/{id}")).await;
    let listed = stack.get(FABRIKAM, "/v1/claims").await;
    // THEN none of the partner's answers names the reviewer
    for answer in [&disputed, &read, &listed] {
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(!answer.text.contains(reviewer), "{}", answer.text);
    }
    // AND no log line does, while the reviewer's own view does
    let reviewed = stack
        .review_get(ALICE, &format!("/v1/review/claims/{id}"))
        .await;
    assert!(reviewed.text.contains(reviewer));
    stack.stop().await;
    let logs = capture.text();
    assert!(logs.contains("claim rejected"), "the decisions were logged");
    assert!(!logs.contains(reviewer), "{logs}");
}

#[tokio::test]
async fn a_partner_withdraws_a_claim_in_review_waiting_for_information_or_disputed() {
    let stack = TestStack::start_manual().await;
    let in_review = submitted(&stack, FABRIKAM, &claim_body("teams")).await;
    let waiting = submitted(&stack, FABRIKAM, &claim_body("exchange")).await;
    stack
        .decide(
            ALICE,
            &waiting,
            "request-information",
            &request_information(),
        )
        .await;
    let disputed = submitted(&stack, FABRIKAM, &claim_body("intune")).await;
    stack.decide(ALICE, &disputed, "reject", &rejection()).await;
    stack
        .partner_move(
            FABRIKAM,
            &disputed,
            "dispute",
            &json!({ "justification": "Look again." }),
        )
        .await;
    // WHEN the partner withdraws each
    for id in [&in_review, &waiting, &disputed] {
        let answer = stack.withdraw(FABRIKAM, id, "entered by mistake").await;
        // THEN each is withdrawn and leaves the queue
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert_eq!(answer.json()["status"], "withdrawn");
    }
    for status in ["submitted", "information_requested", "disputed"] {
        assert!(queue(&stack, &format!("?status={status}")).await.is_empty());
    }
    // AND the workloads they held are free
    assert!(stack.lock_holders().await.is_empty());
    stack.stop().await;
}
