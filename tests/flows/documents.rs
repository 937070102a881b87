//! Documents on S3: real bytes through the presigned links, checked on arrival.

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use chrono::{TimeDelta, Utc};
use cpor_domain::clock::FixedClock;
use cpor_tests::*;
use serde_json::{Value, json};
use std::sync::Arc;

const MIB: usize = 1024 * 1024;

async fn claim_of(stack: &TestStack, partner: &str) -> String {
    let answer = stack.submit(partner, &claim_body("teams")).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()["claim_id"].as_str().unwrap().to_owned()
}

/// Declares a PDF of `size` bytes and returns the answer's JSON.
async fn declare_pdf(stack: &TestStack, claim_id: &str, size: usize) -> Value {
    let answer = stack
        .add_document(FABRIKAM, claim_id, "SOW 4711.pdf", "application/pdf", size)
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    answer.json()
}

fn document_id(declared: &Value) -> String {
    declared["document_id"].as_str().unwrap().to_owned()
}

fn events(claim: &Value, event: &str) -> usize {
    claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == event)
        .count()
}

async fn object_exists(stack: &TestStack, claim_id: &str, document_id: &str) -> bool {
    let s3 = cpor_aws::S3Documents::client(&stack.settings().sdk_config().await);
    s3.head_object()
        .bucket(cpor_aws::schema::documents_bucket(
            &stack.settings().queue_prefix,
        ))
        .key(format!("claims/{claim_id}/{document_id}"))
        .send()
        .await
        .is_ok()
}

/// Waits until the object is gone (the check on arrival deletes refused uploads).
async fn wait_until_deleted(stack: &TestStack, claim_id: &str, document_id: &str) {
    let started = std::time::Instant::now();
    while object_exists(stack, claim_id, document_id).await {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the refused upload was not deleted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_uploaded_pdf_counts_and_downloads_back_byte_for_byte() {
    // GIVEN a claim and a PDF declared for it
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(4096);
    let declared = declare_pdf(&stack, &claim_id, bytes.len()).await;
    assert_eq!(declared["upload"]["method"], "PUT");
    assert!(
        declared["upload"]["url"]
            .as_str()
            .unwrap()
            .contains(&format!("/claims/{claim_id}/")),
        "{declared}"
    );
    let id = document_id(&declared);
    let pending = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(pending["documents"][0]["status"], "pending");
    assert_eq!(
        stack
            .get(FABRIKAM, &format!("/v1/claims/{claim_id}/documents/{id}"))
            .await
            .code(),
        "document_not_found",
        "a pending document has no link"
    );

    // WHEN its bytes are sent to the upload link
    assert!(stack.upload(&declared, bytes.clone()).await.is_success());

    // THEN it counts, with its history entry, and its link gives the same bytes back
    let claim = stack
        .wait_for_document(FABRIKAM, &claim_id, &id, "uploaded")
        .await;
    let document = &claim["documents"][0];
    assert_eq!(document["file_name"], "SOW 4711.pdf");
    assert_eq!(document["content_type"], "application/pdf");
    assert_eq!(document["size"], bytes.len());
    assert!(document["uploaded_at"].is_string());
    assert_eq!(events(&claim, "document_added"), 1);
    let entry = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "document_added")
        .unwrap();
    assert_eq!(entry["from"], entry["to"], "the status does not change");
    assert_eq!(entry["reason"], "SOW 4711.pdf");
    let link = stack
        .get(FABRIKAM, &format!("/v1/claims/{claim_id}/documents/{id}"))
        .await;
    assert_eq!(link.status, 303, "{}", link.text);
    let location = link.header("location").unwrap().to_owned();
    let downloaded = stack.http.get(&location).send().await.unwrap();
    assert!(downloaded.status().is_success());
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), bytes);
    stack.stop().await;
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn s3_key(claim_id: &str, document_id: &str) -> String {
    format!("claims/{claim_id}/{document_id}")
}

fn bucket(stack: &TestStack) -> String {
    cpor_aws::schema::documents_bucket(&stack.settings().queue_prefix)
}

/// Hands record-document an S3 notification of `key` created, as the queue would.
async fn notify_created(stack: &TestStack, key: &str) -> aws_lambda_events::sqs::SqsBatchResponse {
    let body = json!({ "Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": { "bucket": { "name": bucket(stack) }, "object": { "key": key, "size": 1000 } }
    }]});
    let mut message = SqsMessage::default();
    message.message_id = Some(format!("by-hand-{key}"));
    message.body = Some(body.to_string());
    let mut event = SqsEvent::default();
    event.records = vec![message];
    stack.functions().record_document.handle(event).await
}

#[tokio::test]
async fn a_counted_document_keeps_its_bytes_checksum_and_version_whatever_is_put_over_it() {
    // GIVEN an uploaded and counted PDF, with its SHA-256 on record
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(4096);
    let declared = declare_pdf(&stack, &claim_id, bytes.len()).await;
    let id = document_id(&declared);
    assert!(stack.upload(&declared, bytes.clone()).await.is_success());
    let claim = stack
        .wait_for_document(FABRIKAM, &claim_id, &id, "uploaded")
        .await;
    assert_eq!(claim["documents"][0]["sha256"], sha256_hex(&bytes));

    // WHEN, within the upload link's 15 minutes, other bytes of the same size are sent to it
    let mut forged = vec![b'x'; bytes.len()];
    forged[..4].copy_from_slice(b"MZ\x90\x00");
    let again = stack.upload(&declared, forged.clone()).await;
    // THEN storage refuses to write over the counted object
    assert_eq!(again.as_u16(), 412, "the link only creates its object");

    // WHEN bytes are put over it anyway (by anyone who may write to the bucket), bad and good
    let s3 = cpor_aws::S3Documents::client(&stack.settings().sdk_config().await);
    let key = s3_key(&claim_id, &id);
    for replacement in [forged, pdf_bytes(4096 + 1)] {
        s3.put_object()
            .bucket(bucket(&stack))
            .key(&key)
            .body(aws_sdk_s3::primitives::ByteStream::from(replacement))
            .send()
            .await
            .expect("a direct put");
        // and its notification is handled (the queue's, or this one, whichever comes first)
        let answer = notify_created(&stack, &key).await;
        assert!(answer.batch_item_failures.is_empty());
    }

    // THEN the record still shows the original checksum, one document_added, and the download
    // still yields the original bytes, from the version that counted, which still exists
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(claim["documents"][0]["status"], "uploaded");
    assert_eq!(claim["documents"][0]["sha256"], sha256_hex(&bytes));
    assert_eq!(events(&claim, "document_added"), 1);
    let link = stack
        .get(FABRIKAM, &format!("/v1/claims/{claim_id}/documents/{id}"))
        .await;
    assert_eq!(link.status, 303, "{}", link.text);
    let location = link.header("location").unwrap().to_owned();
    assert!(location.contains("versionId="), "{location}");
    let downloaded = stack.http.get(&location).send().await.unwrap();
    assert!(downloaded.status().is_success());
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), bytes);
    let versions = s3
        .list_object_versions()
        .bucket(bucket(&stack))
        .prefix(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        versions.versions().len(),
        3,
        "nothing deleted: the counted version and the two put over it"
    );
    assert!(versions.delete_markers().is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn a_download_is_an_attachment_under_the_document_s_own_name() {
    // GIVEN an uploaded document whose name has a space, a quote and letters beyond ASCII
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(1000);
    let answer = stack
        .add_document(
            FABRIKAM,
            &claim_id,
            "Angebot \"Müller\".pdf",
            "application/pdf",
            bytes.len(),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    let declared = answer.json();
    let id = document_id(&declared);
    stack.upload(&declared, bytes).await;
    stack
        .wait_for_document(FABRIKAM, &claim_id, &id, "uploaded")
        .await;
    // WHEN the partner's download link is followed
    let link = stack
        .get(FABRIKAM, &format!("/v1/claims/{claim_id}/documents/{id}"))
        .await;
    let location = link.header("location").unwrap().to_owned();
    // THEN the link asks for an attachment, and storage answers with it, the name encoded
    assert!(
        location.contains("response-content-disposition=attachment"),
        "{location}"
    );
    let downloaded = stack.http.get(&location).send().await.unwrap();
    assert!(downloaded.status().is_success());
    assert_eq!(
        downloaded
            .headers()
            .get("content-disposition")
            .and_then(|v| v.to_str().ok()),
        Some(
            "attachment; filename=\"Angebot _M_ller_.pdf\"; \
             filename*=UTF-8''Angebot%20%22M%C3%BCller%22.pdf"
        )
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_notification_of_an_object_gone_since_is_handled_though_s3_answers_403() {
    // GIVEN a declared document whose object is not (or no longer) there, and storage that
    // answers 403 for a missing object, as AWS does to a role without s3:ListBucket
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let declared = declare_pdf(&stack, &claim_id, 1000).await;
    let id = document_id(&declared);
    // WHEN record-document is handed a notification of its creation
    let answer = notify_created(&stack, &s3_key(&claim_id, &id)).await;
    // THEN the message is handled (never retried into the dead-letter queue), and the
    // document stays pending
    assert!(
        answer.batch_item_failures.is_empty(),
        "a 403 on a missing document's object is not a failure"
    );
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(claim["documents"][0]["status"], "pending");
    assert_eq!(events(&claim, "document_added"), 0);
    stack.stop().await;
}

#[tokio::test]
async fn a_pending_document_is_removed_by_its_partner_and_frees_its_place() {
    // GIVEN a claim with ten documents, one of them uploaded
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(1000);
    let uploaded = declare_pdf(&stack, &claim_id, bytes.len()).await;
    let uploaded_id = document_id(&uploaded);
    stack.upload(&uploaded, bytes).await;
    stack
        .wait_for_document(FABRIKAM, &claim_id, &uploaded_id, "uploaded")
        .await;
    let mut pending = Vec::new();
    for _ in 0..9 {
        pending.push(document_id(&declare_pdf(&stack, &claim_id, 10).await));
    }
    let eleventh = stack
        .add_document(FABRIKAM, &claim_id, "x.pdf", "application/pdf", 10)
        .await;
    assert_eq!(eleventh.code(), "too_many_documents");
    let code = |a: &Answer| (a.status.as_u16(), a.code());

    // WHEN another partner, a read-only user, and then the partner remove a pending one
    let other = stack
        .remove_document(NORTHWIND, &claim_id, &pending[0])
        .await;
    assert_eq!(code(&other), (404, "claim_not_found".into()));
    let user = stack
        .send(
            reqwest::Method::DELETE,
            &format!("/v1/claims/{claim_id}/documents/{}", pending[0]),
            Some(&stack.token(FABRIKAM, "incentives_user")),
            None,
            &[],
        )
        .await;
    assert_eq!(user.status, 403, "{}", user.text);
    let removed = stack
        .remove_document(FABRIKAM, &claim_id, &pending[0])
        .await;
    // THEN it is gone (204), no longer listed, and its place is free
    assert_eq!(removed.status, 204, "{}", removed.text);
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    let listed: Vec<&str> = claim["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["document_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 9);
    assert!(!listed.contains(&pending[0].as_str()));
    let tenth = stack
        .add_document(FABRIKAM, &claim_id, "x.pdf", "application/pdf", 10)
        .await;
    assert_eq!(tenth.status, 201, "{}", tenth.text);
    // AND removing it again, an unknown one, or the uploaded one is refused
    let again = stack
        .remove_document(FABRIKAM, &claim_id, &pending[0])
        .await;
    assert_eq!(code(&again), (404, "document_not_found".into()));
    let unknown = stack
        .remove_document(FABRIKAM, &claim_id, "01JDX3ZZZZZZZZZZZZZZZZZZZZ")
        .await;
    assert_eq!(code(&unknown), (404, "document_not_found".into()));
    let counted = stack
        .remove_document(FABRIKAM, &claim_id, &uploaded_id)
        .await;
    assert_eq!(code(&counted), (409, "document_already_uploaded".into()));
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(claim["documents"][0]["status"], "uploaded");
    stack.stop().await;
}

#[tokio::test]
async fn a_pending_document_expires_with_its_upload_link_and_frees_its_place() {
    // GIVEN a claim whose ten documents were declared at `start` and never uploaded
    let start = Utc::now();
    let clock = Arc::new(FixedClock::at(start));
    let shared = clock.clone();
    let stack = TestStack::start_with(move |s| s.clock = shared).await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    for _ in 0..10 {
        declare_pdf(&stack, &claim_id, 10).await;
    }
    let declared = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(
        instant(&declared["documents"][0]["upload_expires_at"]),
        cpor_domain::clock::to_millis(start) + TimeDelta::minutes(15)
    );
    let add = || stack.add_document(FABRIKAM, &claim_id, "x.pdf", "application/pdf", 10);
    // WHEN a millisecond before their links expire another is declared
    clock.set(start + TimeDelta::minutes(15) - TimeDelta::milliseconds(1));
    // THEN it is refused: they still count
    assert_eq!(add().await.code(), "too_many_documents");
    assert_eq!(
        stack.claim(FABRIKAM, &claim_id).await["documents"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    // WHEN their links have expired
    clock.set(start + TimeDelta::minutes(15));
    // THEN they are listed no more, and ten new ones fit (no more)
    assert!(
        stack.claim(FABRIKAM, &claim_id).await["documents"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    for _ in 0..10 {
        let answer = add().await;
        assert_eq!(answer.status, 201, "{}", answer.text);
    }
    assert_eq!(add().await.code(), "too_many_documents");
    assert_eq!(
        stack.claim(FABRIKAM, &claim_id).await["documents"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_file_whose_bytes_are_not_the_declared_type_never_counts() {
    // GIVEN text declared as a PDF
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let text = b"just some text, not a PDF at all".to_vec();
    let declared = declare_pdf(&stack, &claim_id, text.len()).await;
    let id = document_id(&declared);
    // WHEN it is uploaded
    assert!(stack.upload(&declared, text).await.is_success());
    // THEN it is deleted and the document stays pending, with no history entry
    wait_until_deleted(&stack, &claim_id, &id).await;
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(claim["documents"][0]["status"], "pending");
    assert_eq!(events(&claim, "document_added"), 0);
    stack.stop().await;
}

#[tokio::test]
async fn a_file_over_ten_mebibytes_never_counts_even_when_storage_takes_it() {
    // GIVEN a PDF declared at exactly 10 MiB
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let declared = declare_pdf(&stack, &claim_id, 10 * MIB).await;
    let id = document_id(&declared);
    // WHEN one byte more is sent (the emulator does not enforce the signed length)
    let status = stack.upload(&declared, pdf_bytes(10 * MIB + 1)).await;
    // THEN either storage refuses it, or the check on arrival deletes it: it never counts
    if status.is_success() {
        wait_until_deleted(&stack, &claim_id, &id).await;
    }
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(claim["documents"][0]["status"], "pending");
    assert_eq!(events(&claim, "document_added"), 0);
    // AND a declaration over 10 MiB is refused outright
    let over = stack
        .add_document(
            FABRIKAM,
            &claim_id,
            "big.pdf",
            "application/pdf",
            10 * MIB + 1,
        )
        .await;
    assert_eq!(
        (over.status.as_u16(), over.code().as_str()),
        (400, "validation_failed")
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_eleventh_document_of_a_claim_is_refused_even_when_declared_at_once() {
    // GIVEN a claim
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    // WHEN twelve documents are declared concurrently
    let answers = futures::future::join_all((0..12).map(|i| {
        let claim_id = claim_id.clone();
        let stack = &stack;
        async move {
            stack
                .add_document(
                    FABRIKAM,
                    &claim_id,
                    &format!("scan {i}.png"),
                    "image/png",
                    100,
                )
                .await
        }
    }))
    .await;
    // THEN ten are accepted and the others are 422 too_many_documents
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused: Vec<String> = answers
        .iter()
        .filter(|a| a.status != 201)
        .map(|a| format!("{} {}", a.status.as_u16(), a.code()))
        .collect();
    assert_eq!(created, 10, "{refused:?}");
    assert_eq!(refused, vec!["422 too_many_documents"; 2]);
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(claim["documents"].as_array().unwrap().len(), 10);
    stack.stop().await;
}

#[tokio::test]
async fn another_partner_can_never_obtain_a_link_to_a_document() {
    // GIVEN Fabrikam's uploaded document
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(2048);
    let declared = declare_pdf(&stack, &claim_id, bytes.len()).await;
    let id = document_id(&declared);
    stack.upload(&declared, bytes).await;
    stack
        .wait_for_document(FABRIKAM, &claim_id, &id, "uploaded")
        .await;
    // WHEN Northwind asks for it, for the claim, or to add one
    let link = stack
        .get(NORTHWIND, &format!("/v1/claims/{claim_id}/documents/{id}"))
        .await;
    let claim = stack
        .get(NORTHWIND, &format!("/v1/claims/{claim_id}"))
        .await;
    let added = stack
        .add_document(NORTHWIND, &claim_id, "x.pdf", "application/pdf", 10)
        .await;
    // THEN each is not found, and no answer carries a link
    assert_eq!(
        (link.status.as_u16(), link.code().as_str()),
        (404, "document_not_found")
    );
    assert!(link.header("location").is_none());
    assert_eq!(
        (claim.status.as_u16(), claim.code().as_str()),
        (404, "claim_not_found")
    );
    assert_eq!(
        (added.status.as_u16(), added.code().as_str()),
        (404, "claim_not_found")
    );
    // AND an unknown document of Fabrikam's own claim is not found either
    let unknown = stack
        .get(
            FABRIKAM,
            &format!("/v1/claims/{claim_id}/documents/01JDX3ZZZZZZZZZZZZZZZZZZZZ"),
        )
        .await;
    assert_eq!(unknown.code(), "document_not_found");
    stack.stop().await;
}

#[tokio::test]
async fn a_reviewer_reads_uploaded_documents_with_download_links() {
    // GIVEN a claim in review with one uploaded and one pending document
    let stack = TestStack::start_manual().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(3000);
    let uploaded = declare_pdf(&stack, &claim_id, bytes.len()).await;
    stack.upload(&uploaded, bytes.clone()).await;
    let uploaded_id = document_id(&uploaded);
    stack
        .wait_for_document(FABRIKAM, &claim_id, &uploaded_id, "uploaded")
        .await;
    declare_pdf(&stack, &claim_id, 10).await;
    // WHEN a reviewer reads the claim
    let reviewed = stack
        .review_get("reviewer-1", &format!("/v1/review/claims/{claim_id}"))
        .await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.text);
    let documents = reviewed.json()["documents"].as_array().unwrap().clone();
    // THEN the uploaded one has a working link and the pending one none
    assert_eq!(documents.len(), 2);
    let url = documents[0]["download_url"].as_str().unwrap();
    assert!(url.contains(&uploaded_id));
    let downloaded = stack.http.get(url).send().await.unwrap();
    assert_eq!(downloaded.bytes().await.unwrap().to_vec(), bytes);
    assert!(documents[1].get("download_url").is_none());
    // AND the partner's own view never carries one
    let own = stack.claim(FABRIKAM, &claim_id).await;
    assert!(own["documents"][0].get("download_url").is_none());
    stack.stop().await;
}

#[tokio::test]
async fn a_notification_delivered_again_adds_no_second_history_entry() {
    // GIVEN an uploaded document
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let bytes = pdf_bytes(1000);
    let declared = declare_pdf(&stack, &claim_id, bytes.len()).await;
    let id = document_id(&declared);
    stack.upload(&declared, bytes).await;
    stack
        .wait_for_document(FABRIKAM, &claim_id, &id, "uploaded")
        .await;
    // WHEN record-document is handed the same S3 notification again
    let body = json!({ "Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
        "s3": { "bucket": { "name": cpor_aws::schema::documents_bucket(&stack.settings().queue_prefix) },
                "object": { "key": format!("claims/{claim_id}/{id}"), "size": 1000 } }
    }]});
    let mut message = SqsMessage::default();
    message.message_id = Some("again".into());
    message.body = Some(body.to_string());
    let mut event = SqsEvent::default();
    event.records = vec![message];
    let answer = stack.functions().record_document.handle(event).await;
    // THEN it succeeds and changes nothing
    assert!(answer.batch_item_failures.is_empty());
    let claim = stack.claim(FABRIKAM, &claim_id).await;
    assert_eq!(events(&claim, "document_added"), 1);
    assert_eq!(claim["documents"][0]["status"], "uploaded");
    stack.stop().await;
}

#[tokio::test]
async fn a_final_claim_takes_no_document() {
    // GIVEN a withdrawn claim
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    assert_eq!(
        stack.withdraw(FABRIKAM, &claim_id, "ended").await.status,
        200
    );
    // WHEN a document is declared
    let answer = stack
        .add_document(FABRIKAM, &claim_id, "a.pdf", "application/pdf", 10)
        .await;
    // THEN it is 409 claim_already_final
    assert_eq!(
        (answer.status.as_u16(), answer.code().as_str()),
        (409, "claim_already_final")
    );
    stack.stop().await;
}

/// The preflight a browser sends before a page's upload (`OPTIONS` to the presigned link, from
/// the page's origin, asking for `PUT` with the signed headers), as the emulator's S3 answers it.
async fn preflight(stack: &TestStack, url: &str, origin: &str) -> reqwest::Response {
    stack
        .http
        .request(reqwest::Method::OPTIONS, url)
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "content-type,if-none-match",
        )
        .send()
        .await
        .expect("storage answers")
}

/// The console, served at the gateway's origin, may upload from the browser to the presigned
/// link (its preflight is allowed, for PUT and the signed headers, and the upload answers its
/// origin); a page of any other origin may not.
#[tokio::test]
async fn a_page_of_the_console_s_origin_may_upload_to_the_link_and_no_other_origin_may() {
    let stack = TestStack::start().await;
    let claim_id = claim_of(&stack, FABRIKAM).await;
    let declared = declare_pdf(&stack, &claim_id, 1024).await;
    let url = declared["upload"]["url"].as_str().unwrap();
    // GIVEN the console's origin: the gateway's own
    let console = stack.base.clone();
    assert_eq!(stack.settings().console_origin, console);
    // WHEN its page's browser asks before uploading
    let allowed = preflight(&stack, url, &console).await;
    // THEN storage allows the origin, the method and the headers
    assert_eq!(allowed.status(), 200);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header(&allowed, "access-control-allow-origin"), console);
    assert_eq!(header(&allowed, "access-control-allow-methods"), "PUT");
    assert_eq!(
        header(&allowed, "access-control-allow-headers"),
        "content-type, if-none-match"
    );
    // AND the upload itself answers the origin, so the page reads its result
    let mut request = stack
        .http
        .put(url)
        .header("origin", console.as_str())
        .body(vec![b'%'; 1024]);
    for (name, value) in declared["upload"]["headers"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if !name.eq_ignore_ascii_case("content-length") {
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
    }
    let uploaded = request.send().await.expect("storage answers");
    assert_eq!(uploaded.status(), 200);
    assert_eq!(header(&uploaded, "access-control-allow-origin"), console);
    // AND a page of another origin is refused at the preflight: 403, which no browser gets
    // past (the emulator's server adds permissive CORS headers to every error answer, so the
    // status is what tells; it judges the origin, not the method or headers asked for)
    for origin in ["http://evil.example", "http://localhost:3000"] {
        let refused = preflight(&stack, url, origin).await;
        assert_eq!(refused.status(), 403, "{origin}");
    }
    stack.stop().await;
}
