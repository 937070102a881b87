//! Rotating the opt-out signing secret: a link names the key that signed it, so after a rotation
//! the links already e-mailed still open and decline; a key retired on purpose (a leak) has its
//! links refused from then on, and so once the key is removed.

use chrono::{TimeDelta, Utc};
use cpor_tests::*;

const OLD: &str = "the-secret-before-the-rotation";
const NEW: &str = "the-secret-after-the-rotation!";

fn rotated(retire_at: chrono::DateTime<Utc>) -> String {
    format!(
        r#"{{"current": "k2", "keys": [
            {{"id": "k2", "secret": "{NEW}"}},
            {{"id": "k1", "secret": "{OLD}", "retire_at": "{}"}}]}}"#,
        retire_at.to_rfc3339()
    )
}

#[tokio::test]
async fn a_link_emailed_before_a_rotation_opens_and_declines_after_it() {
    // GIVEN a link e-mailed while the secret was OLD (key k1)
    let mut stack = TestStack::start_with(|s| {
        s.token_secret = OLD.into();
        s.token_key_id = "k1".into();
    })
    .await;
    let (claim, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    assert!(link.contains(".k1."), "{link}");
    let deadline = instant(&claim["opt_out_deadline"]);
    // WHEN the secret is rotated to NEW (k2), k1 retiring a day after the last window it signed
    stack
        .redeploy(|s| s.token_secret = rotated(deadline + TimeDelta::days(1)))
        .await;
    // THEN new links are signed with k2
    let (_, new_link) = stack
        .notified_claim(FABRIKAM, &claim_body("exchange"))
        .await;
    assert!(new_link.contains(".k2."), "{new_link}");
    assert_eq!(stack.open(&new_link).await.status, 200);
    // AND the old link still opens, and declines
    let page = stack.open(&link).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<form"), "the decline form is offered");
    assert_eq!(stack.post_form(&link).await.status, 303);
    let id = claim["claim_id"].as_str().unwrap();
    assert_eq!(stack.claim(FABRIKAM, id).await["status"], "declined");
    stack.stop().await;
}

#[tokio::test]
async fn a_link_signed_with_a_retired_key_is_refused() {
    // GIVEN a link e-mailed while the secret was OLD (key k1)
    let mut stack = TestStack::start_with(|s| {
        s.token_secret = OLD.into();
        s.token_key_id = "k1".into();
    })
    .await;
    let (claim, link) = stack.notified_claim(FABRIKAM, &claim_body("teams")).await;
    // WHEN the secret was rotated and k1's retirement time has come
    stack
        .redeploy(|s| s.token_secret = rotated(Utc::now() - TimeDelta::seconds(1)))
        .await;
    // THEN the old link is refused: no page, and no decline
    assert_eq!(stack.open(&link).await.status, 404);
    assert_eq!(stack.post_form(&link).await.status, 404);
    let id = claim["claim_id"].as_str().unwrap();
    assert_eq!(
        stack.claim(FABRIKAM, id).await["status"],
        "awaiting_customer"
    );
    // AND so it is once k1 is removed from the keyring
    stack
        .redeploy(|s| {
            s.token_secret =
                format!(r#"{{"current": "k2", "keys": [{{"id": "k2", "secret": "{NEW}"}}]}}"#)
        })
        .await;
    assert_eq!(stack.open(&link).await.status, 404);
    stack.stop().await;
}
