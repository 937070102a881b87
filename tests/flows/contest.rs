//! Contests: a partner with newer proof contests the holder of a unit; the reviewer compares both
//! proofs and decides; an approval supersedes the holder in the same write, or takes the unit if
//! the holder let it go meanwhile, never half-done.

use chrono::{Days, TimeDelta, Utc};
use cpor_tests::*;
use serde_json::{Value, json};

const ALICE: &str = "reviewer-alice";

/// Northwind's claim to the unit of `body`, with a proof signed yesterday, and `contest` if given.
fn contester_body(body: &Value, contest: bool) -> Value {
    let mut body = body.clone();
    body["partner_contact"] = json!({ "name": "Ana Diaz", "email": "ana@northwind.example" });
    body["proof_of_execution"] = json!({
        "reference": "https://northwind.example/sow/88.pdf",
        "signed_on": (Utc::now().date_naive() - Days::new(1)).to_string(),
    });
    if contest {
        body["contest"] = json!({ "justification": "We run Teams for Contoso since last month." });
    }
    body
}

fn id_of(answer: &Answer) -> String {
    answer.json()["claim_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_contest_goes_to_arbitration_and_its_approval_supersedes_the_holder_in_one_write() {
    let stack = TestStack::start().await;
    // GIVEN Fabrikam's claim, its customer notified
    let body = claim_body("teams");
    let (holder, _) = stack.notified_claim(FABRIKAM, &body).await;
    let holder_id = holder["claim_id"].as_str().unwrap().to_owned();
    // WHEN Northwind claims the same unit without a contest
    let plain = stack.submit(NORTHWIND, &contester_body(&body, false)).await;
    // THEN it is refused, naming no other partner
    assert_eq!(plain.status, 409, "{}", plain.text);
    assert_eq!(plain.code(), "workload_already_claimed");
    assert!(plain.json().get("existing_claim_id").is_none());
    assert!(!plain.text.contains(FABRIKAM));
    // WHEN it contests, even under the automatic policy
    let contest = stack.submit(NORTHWIND, &contester_body(&body, true)).await;
    assert_eq!(contest.status, 201, "{}", contest.text);
    assert_eq!(contest.json()["status"], "contested");
    let contest_id = id_of(&contest);
    // THEN it takes no unit, and its history begins with the contest
    let seen = stack.claim(NORTHWIND, &contest_id).await;
    assert_eq!(seen["history"][0]["event"], "contest_filed");
    assert_eq!(seen["history"][0]["to"], "contested");
    assert!(
        !seen.to_string().contains(&holder_id),
        "nothing of the holder"
    );
    assert_eq!(stack.lock_holders().await, [holder_id.clone()].into());
    // AND a second claim or contest of Northwind's for the unit names its own contest
    let again = stack.submit(NORTHWIND, &contester_body(&body, true)).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.json()["existing_claim_id"], contest_id.as_str());
    let plain_again = stack.submit(NORTHWIND, &contester_body(&body, false)).await;
    assert_eq!(plain_again.status, 409, "{}", plain_again.text);
    // AND the reviewer finds it in the queue, with the holder and both proofs
    let queue = stack
        .review_get(ALICE, "/v1/review/claims?status=contested")
        .await;
    assert_eq!(queue.json()["items"][0]["claim_id"], contest_id.as_str());
    let case = stack
        .review_get(ALICE, &format!("/v1/review/claims/{contest_id}"))
        .await
        .json();
    assert_eq!(case["holder"]["claim_id"], holder_id.as_str());
    assert_eq!(case["holder"]["partner_id"], FABRIKAM);
    assert_eq!(case["holder"]["status"], "awaiting_customer");
    assert_eq!(
        case["holder"]["proof_of_execution"],
        body["proof_of_execution"]
    );
    assert_eq!(case["holder"]["contester_proof_is_newer"], true);
    // AND the holder was told of the contest, in its history and by e-mail, naming no one
    let told = stack.claim(FABRIKAM, &holder_id).await;
    let last = told["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "contest_received");
    assert_eq!(last["from"], last["to"]);
    assert!(!told.to_string().contains(NORTHWIND), "{told}");
    let holder_mail = wait_for_partner_mail(&stack, "is contested").await;
    assert!(!holder_mail.contains("Northwind"), "{holder_mail}");
    // WHEN the reviewer approves the contest without saying what was compared, it is refused
    let blind = stack
        .decide(ALICE, &contest_id, "approve", &json!({}))
        .await;
    assert_eq!(blind.status, 400, "{}", blind.text);
    assert_eq!(blind.json()["errors"][0]["field"], "compared");
    // WHEN the reviewer approves the contest they compared
    let approved = stack
        .decide(
            ALICE,
            &contest_id,
            "approve",
            &json!({ "compared": case["compared"] }),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    // THEN the holder is superseded, the unit is Northwind's, and the customer is told of it
    let lost = stack.claim(FABRIKAM, &holder_id).await;
    assert_eq!(lost["status"], "superseded");
    let last = lost["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "superseded");
    assert_eq!(last["code"], "lost_arbitration");
    assert!(last.get("reviewer").is_none());
    assert_eq!(stack.lock_holders().await, [contest_id.clone()].into());
    stack
        .wait_for_status(NORTHWIND, &contest_id, "awaiting_customer")
        .await;
    let mails = stack.customer_outbox().await;
    assert_eq!(mails.len(), 2);
    assert!(mails[1]["body"].as_str().unwrap().contains("Northwind"));
    // AND the holder's old link says another partner won; the new one offers the form
    let old_link = link_in(mails[0]["body"].as_str().unwrap()).unwrap();
    let page = stack.open(&old_link).await;
    assert!(
        page.text.contains("data-state=\"superseded\""),
        "{}",
        page.text
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_rejected_contest_frees_nothing_and_may_be_disputed() {
    let stack = TestStack::start().await;
    let body = claim_body("exchange");
    let (holder, _) = stack.notified_claim(FABRIKAM, &body).await;
    let contest = id_of(&stack.submit(NORTHWIND, &contester_body(&body, true)).await);
    let rejected = stack
        .decide(
            ALICE,
            &contest,
            "reject",
            &json!({ "code": "insufficient_proof_of_execution", "message": "Older than the holder's." }),
        )
        .await;
    assert_eq!(rejected.status, 200, "{}", rejected.text);
    assert!(rejected.json()["review"]["dispute_until"].is_string());
    assert_eq!(
        stack
            .claim(FABRIKAM, holder["claim_id"].as_str().unwrap())
            .await["status"],
        "awaiting_customer"
    );
    // AND with its contest ended, Northwind may contest again
    let again = stack.submit(NORTHWIND, &contester_body(&body, true)).await;
    assert_eq!(again.status, 201, "{}", again.text);
    stack.stop().await;
}

/// What the holder does while the reviewer approves the contest.
#[derive(Debug, Clone, Copy)]
enum HolderMove {
    Withdraw,
    CustomerDeclines,
    Finalized,
}

#[tokio::test]
async fn a_contest_approval_racing_the_holder_s_withdrawal_decline_or_finalization_has_one_outcome()
{
    let stack = TestStack::start().await;
    let moves = [
        ("teams", HolderMove::Withdraw),
        ("sharepoint", HolderMove::CustomerDeclines),
        ("onedrive", HolderMove::Finalized),
    ];
    for (workload, holder_move) in moves {
        // GIVEN a holder awaiting its customer, and a contest of it
        let body = claim_body(workload);
        let (holder, link) = stack.notified_claim(FABRIKAM, &body).await;
        let holder_id = holder["claim_id"].as_str().unwrap().to_owned();
        let contest = id_of(&stack.submit(NORTHWIND, &contester_body(&body, true)).await);
        let after_deadline = instant(&holder["opt_out_deadline"]) + TimeDelta::seconds(1);
        // WHEN the reviewer approves the contest they compared while the holder's claim moves on
        let compared = json!({ "compared": compared_of(&stack, &contest).await });
        let approve = stack.decide(ALICE, &contest, "approve", &compared);
        let moved = async {
            match holder_move {
                HolderMove::Withdraw => {
                    stack
                        .withdraw(FABRIKAM, &holder_id, "engagement ended")
                        .await
                        .status
                }
                HolderMove::CustomerDeclines => {
                    stack
                        .post_form_body(&link, "action=decline&confirm=yes")
                        .await
                        .status
                }
                HolderMove::Finalized => stack.finalize(after_deadline).await.status,
            }
        };
        let (approved, moved) = tokio::join!(approve, moved);
        // THEN the contest is approved if it came first; if the holder moved first, the
        // approval is refused as stale (nothing changes), and approved once compared again
        let approved = if approved.status == 409 {
            assert_eq!(approved.code(), "arbitration_stale", "{holder_move:?}");
            let compared = json!({ "compared": compared_of(&stack, &contest).await });
            stack.decide(ALICE, &contest, "approve", &compared).await
        } else {
            approved
        };
        assert_eq!(approved.status, 200, "{holder_move:?}: {}", approved.text);
        let lost = stack.claim(FABRIKAM, &holder_id).await;
        let status = lost["status"].as_str().unwrap().to_owned();
        let expected_move = match holder_move {
            HolderMove::Withdraw => "withdrawn",
            HolderMove::CustomerDeclines => "declined",
            // Finalization first, then the arbitration: the association is superseded.
            HolderMove::Finalized => "superseded",
        };
        assert!(
            status == "superseded" || status == expected_move,
            "{holder_move:?}: {status}, move answered {moved}"
        );
        // AND one lock, the contester's; the holder's history ends once, with its outcome
        let locks = stack.lock_holders().await;
        assert!(
            locks.contains(&contest) && !locks.contains(&holder_id),
            "{locks:?}"
        );
        let events: Vec<&str> = lost["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        let decisive: Vec<&&str> = events
            .iter()
            .filter(|e| matches!(**e, "superseded" | "withdrawn" | "declined"))
            .collect();
        assert_eq!(decisive.len(), 1, "{holder_move:?}: {events:?}");
        assert_eq!(
            lost["history"].as_array().unwrap().last().unwrap()["to"],
            status.as_str()
        );
        let won = stack.claim(NORTHWIND, &contest).await;
        assert_eq!(
            history_steps(&won)[1],
            (json!("contested"), json!("approved"))
        );
    }
    stack.stop().await;
}

/// What the reviewer's page of `contest` says was compared.
async fn compared_of(stack: &TestStack, contest: &str) -> Value {
    let case = stack
        .review_get(ALICE, &format!("/v1/review/claims/{contest}"))
        .await
        .json();
    assert!(case["compared"].is_string(), "{case}");
    case["compared"].clone()
}

/// The body of the first partner e-mail whose subject contains `subject`, waiting up to 20 s.
async fn wait_for_partner_mail(stack: &TestStack, subject: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let found = stack.outbox().await.into_iter().find_map(|m| {
            let matches = m["subject"].as_str().unwrap_or_default().contains(subject);
            matches.then(|| m["body"].as_str().unwrap_or_default().to_owned())
        });
        if let Some(body) = found {
            return body;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "no partner e-mail about {subject}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// An approval acts only on what the reviewer compared: the holder adds a newer proof after
/// the reviewer read both claims, and the approval is refused (409 `arbitration_stale`),
/// nothing changing; compared again, the reviewer decides on the new evidence.
#[tokio::test]
async fn a_contest_approved_after_the_holder_added_a_newer_proof_is_409_arbitration_stale() {
    let stack = TestStack::start().await;
    // GIVEN Fabrikam's claim, contested by Northwind, and the reviewer's page of the contest
    let body = claim_body("teams");
    let (holder, _) = stack.notified_claim(FABRIKAM, &body).await;
    let holder_id = holder["claim_id"].as_str().unwrap().to_owned();
    let contest = id_of(&stack.submit(NORTHWIND, &contester_body(&body, true)).await);
    let read = compared_of(&stack, &contest).await;
    // WHEN the holder adds a newer proof, and the reviewer then approves what they read
    let today = chrono::Utc::now().date_naive().to_string();
    let proof = stack
        .partner_move(
            FABRIKAM,
            &holder_id,
            "proof",
            &json!({ "reference": "https://fabrikam.example/sow/3.pdf", "signed_on": today }),
        )
        .await;
    assert_eq!(proof.status, 200, "{}", proof.text);
    let stale = stack
        .decide(ALICE, &contest, "approve", &json!({ "compared": read }))
        .await;
    // THEN it is refused as stale, and nothing changed: the holder holds, the contest waits
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.code(), "arbitration_stale");
    // (and so is a `compared` the service never wrote)
    let forged = stack
        .decide(ALICE, &contest, "approve", &json!({ "compared": "0000" }))
        .await;
    assert_eq!(forged.status, 409, "{}", forged.text);
    assert_eq!(forged.code(), "arbitration_stale");
    assert_eq!(
        stack.claim(FABRIKAM, &holder_id).await["status"],
        "awaiting_customer"
    );
    assert_eq!(
        stack.claim(NORTHWIND, &contest).await["status"],
        "contested"
    );
    assert_eq!(stack.lock_holders().await, [holder_id.clone()].into());
    // AND the page shows the holder's newer proof (no longer older than the contester's)
    let case = stack
        .review_get(ALICE, &format!("/v1/review/claims/{contest}"))
        .await
        .json();
    assert_eq!(
        case["holder"]["proof_of_execution"]["signed_on"],
        today.as_str()
    );
    assert_ne!(case["compared"], read);
    // AND compared again, the reviewer's approval acts on the claims as they are now
    let approved = stack
        .decide(
            ALICE,
            &contest,
            "approve",
            &json!({ "compared": case["compared"] }),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    assert_eq!(
        stack.claim(FABRIKAM, &holder_id).await["status"],
        "superseded"
    );
    stack.stop().await;
}
