//! The claims' ports: submission, the claim repository, the tenant directory, the review
//! queue and the due index.
//!
//! Each rule makes claims of its own: its partners and its tenants (each tenant a unit of the
//! rule's own) are drawn at random, and its claims are dated in a year of its own, so that the
//! rules that read across partners (the review queue, the due index) tell their claims apart by
//! time. The review queue's rule on the queue's end dates its claims last of all.
//!
//! A store checked must hold [`reference_data`] (the rules that read the directory need it).

use crate::calendar::BusinessCalendar;
use crate::catalogue::{Program, Workload};
use crate::claim::{
    Claim, ClaimStatus, ClaimSubject, HistoryEntry, MailFeedback, ReviewerId, Transition,
    WithdrawalReason,
};
use crate::contact::{CustomerContact, CustomerTimeZone, EmailAddress, Locale, PartnerContact};
use crate::domain_name::CustomerDomain;
use crate::idempotency::{BodyFingerprint, IDEMPOTENCY_WINDOW, IdempotencyKey, IdempotencyRecord};
use crate::ids::{ClaimId, PartnerId, TenantId};
use crate::listing::{
    ClaimFilter, ClaimPage, ListQuery, READ_BUDGET, ReviewPosition, ReviewQuery,
    WAITING_FOR_A_DECISION,
};
use crate::ports::{
    ApplyError, ClaimRepository, CreateError, DueIndex, LockHolder, ReviewPage, ReviewQueue,
    SubmissionStore, TenantDirectory,
};
use crate::proof::ProofOfExecution;
use crate::reference::{PartnerRecord, ReferenceData, TenantRecord};
use crate::review::{InformationCode, Message, RejectionCode};
use crate::zone::Zone;
use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use futures::StreamExt;
use std::collections::{BTreeSet, HashSet};

/// The partner of [`reference_data`].
const PARTNER: &str = "9000000001";
/// The tenant of [`reference_data`].
const TENANT: &str = "c0a7c0de-0000-4000-8000-000000000001";

/// The partner and the tenant the directory's rules read: a store checked must hold them.
pub fn reference_data() -> ReferenceData {
    ReferenceData {
        partners: vec![PartnerRecord {
            partner_id: PartnerId::parse(PARTNER).expect("a partner id"),
            name: "Contract Consulting".into(),
            programs: vec![program("osu-m365"), program("osa-sell")],
        }],
        tenants: vec![TenantRecord {
            tenant_id: TenantId::parse(TENANT).expect("a tenant id"),
            domains: vec![CustomerDomain::parse("contract.example").expect("a domain")],
            subscriptions: vec![],
        }],
    }
}

/// Runs every rule of the claims' ports on `store`, which holds [`reference_data`].
pub async fn check_all<S>(store: &S)
where
    S: SubmissionStore + ClaimRepository + TenantDirectory + ReviewQueue + DueIndex,
{
    one_claim_holds_a_unit(store).await;
    a_claim_is_stored_whole_and_once(store).await;
    a_partner_contests_a_held_unit_once(store).await;
    a_contest_is_stored_only_with_its_holder_as_read(store).await;
    an_idempotency_key_is_used_once_per_partner_within_its_window(store).await;
    a_submissions_context_reads_the_partner_and_the_tenant(store).await;
    a_tenant_reads_as_the_directory_holds_it(store).await;
    a_stale_transition_is_a_conflict_and_loses_no_update(store).await;
    a_claims_history_keeps_its_entries_in_order(store).await;
    taking_a_unit_back_needs_it_free(store).await;
    an_arbitration_hands_the_unit_to_the_winner_whole(store).await;
    a_lock_or_contest_not_the_claims_own_is_never_given_up(store).await;
    a_partners_claims_list_newest_first_a_page_at_a_time(store).await;
    a_partners_listing_reads_at_most_its_budget(store).await;
    the_due_index_yields_exactly_the_claims_whose_deadlines_passed(store).await;
    the_review_queue_reads_at_most_its_budget(store).await;
    the_review_queue_lists_oldest_entry_first_a_page_at_a_time(store).await;
}

/// One claim holds a unit (a tenant's workload) at a time: a second ordinary claim on a held
/// unit, of another partner or of the holder's own, is refused with `LockHeld` naming the holder
/// and its partner, and nothing of it is stored; another workload of the same tenant is another
/// unit; once the holder gives the unit up (withdrawn), the next claim takes it.
pub async fn one_claim_holds_a_unit<S: SubmissionStore + ClaimRepository>(store: &S) {
    let t = era(2001);
    let (first, second, third) = (partner(), partner(), partner());
    let tenant = tenant();
    let holder = create(store, &first, subject(tenant), t).await;
    for (who, minutes) in [(&second, 1), (&first, 2)] {
        let why = "a second claim on a held unit must be refused, naming its holder";
        refused_as_held(store, who, subject(tenant), t + min(minutes), &holder, why).await;
    }
    let mut exchange = subject(tenant);
    exchange.workload = workload("exchange");
    create(store, &second, exchange, t + min(3)).await;
    applied(
        store,
        holder.withdraw(t + min(4), reason()).expect("withdrawn"),
    )
    .await;
    let next = create(store, &second, subject(tenant), t + min(5)).await;
    refused_as_held(
        store,
        &third,
        subject(tenant),
        t + min(6),
        &next,
        "the claim made after the holder withdrew must hold the unit",
    )
    .await;
}

/// A new claim is stored with its first history entries (its submission and its automatic
/// approval) and read back as written: whole, with its history oldest first and each entry by
/// its sequence. Storing it again (the retry of a write whose answer was lost) is no error and
/// stores nothing twice. A claim never stored reads as none.
pub async fn a_claim_is_stored_whole_and_once<S: SubmissionStore + ClaimRepository>(store: &S) {
    let t = era(2002);
    let (claim, submitted) = new_claim(&partner(), subject(tenant()), t);
    let approval = claim.approve_automatically(t).expect("approved");
    let entries = vec![submitted, approval.entry().clone()];
    let approved = approval.claim;
    for attempt in ["the write", "the write again"] {
        store
            .create_claim(&approved, &entries, None, None)
            .await
            .unwrap_or_else(|e| panic!("{attempt} of a new claim must succeed: {e}"));
        assert_eq!(
            stored_whole(store, approved.id).await,
            Some((approved.clone(), entries.clone())),
            "after {attempt}, the claim and its history must read back as written"
        );
    }
    assert_eq!(read(store, approved.id).await, approved);
    assert_eq!(
        store.held_claim(approved.id).await.expect("a read"),
        Some(approved.clone()),
        "the claim read to tell it of a contest must be the claim stored"
    );
    for entry in &entries {
        assert_eq!(
            store
                .history_entry(approved.id, entry.sequence)
                .await
                .expect("a read"),
            Some(entry.clone()),
            "entry {} must read back by its sequence",
            entry.sequence
        );
    }
    assert_eq!(
        store.history_entry(approved.id, 3).await.expect("a read"),
        None,
        "an entry never recorded must read as none"
    );
    let never = ClaimId::new_at(t);
    assert_eq!(store.claim(never).await.expect("a read"), None);
    assert_eq!(stored_whole(store, never).await, None);
    assert_eq!(store.history_entry(never, 1).await.expect("a read"), None);
}

/// A contest takes no lock: each other partner may contest a held unit, once at a time
/// (`AlreadyContesting` names its contest, and the holder is not told twice), and the holder
/// keeps the unit (`LockHeld` for an ordinary claim). A partner contesting a unit may not claim
/// it too: once the unit is free, its ordinary claim is `AlreadyContesting`, until the contest
/// ends (withdrawn).
pub async fn a_partner_contests_a_held_unit_once<S: SubmissionStore + ClaimRepository>(store: &S) {
    let t = era(2003);
    let (first, second, third, fourth) = (partner(), partner(), partner(), partner());
    let tenant = tenant();
    let holder = create(store, &first, subject(tenant), t).await;
    let (contest, holder) = contested(store, &second, &holder, t + min(1)).await;
    assert_eq!(
        read(store, holder.id).await,
        holder,
        "the holder must record the contest in the contest's write"
    );
    let (again, entry, told) = contest_of(&second, &holder, t + min(2));
    assert_eq!(
        store
            .create_claim(&again, &[entry], None, Some(&told))
            .await,
        Err(CreateError::AlreadyContesting(contest.id)),
        "a partner contests a unit once at a time"
    );
    assert_eq!(stored_whole(store, again.id).await, None);
    assert_eq!(
        read(store, holder.id).await,
        holder,
        "a refused contest must not tell the holder"
    );
    let (_, holder) = contested(store, &third, &holder, t + min(3)).await;
    refused_as_held(
        store,
        &fourth,
        subject(tenant),
        t + min(4),
        &holder,
        "contests must leave the unit to its holder",
    )
    .await;
    applied(
        store,
        holder.withdraw(t + min(5), reason()).expect("withdrawn"),
    )
    .await;
    let (ordinary, entry) = new_claim(&second, subject(tenant), t + min(6));
    assert_eq!(
        store.create_claim(&ordinary, &[entry], None, None).await,
        Err(CreateError::AlreadyContesting(contest.id)),
        "a partner contesting a unit may not claim it too"
    );
    applied(
        store,
        contest.withdraw(t + min(7), reason()).expect("withdrawn"),
    )
    .await;
    create(store, &second, subject(tenant), t + min(8)).await;
}

/// A contest's write tells the holder (`contest_received`) only if the holder still has the
/// version and status it was read with and the entry is new: otherwise the contest is refused
/// with `HolderChanged` and nothing of it is stored, neither the contest nor the holder's entry,
/// so that its partner may contest again.
pub async fn a_contest_is_stored_only_with_its_holder_as_read<
    S: SubmissionStore + ClaimRepository,
>(
    store: &S,
) {
    let t = era(2004);
    let contester = partner();
    let read_before = create(store, &partner(), subject(tenant()), t).await;
    let holder = applied(
        store,
        read_before
            .approve_automatically(t + min(1))
            .expect("approved"),
    )
    .await;
    let (stale, entry, told) = contest_of(&contester, &read_before, t + min(2));
    let (forged, forged_entry, mut forged_told) = contest_of(&contester, &holder, t + min(3));
    forged_told.entries[0].sequence = 1;
    for (what, contest, entry, told) in [
        ("a holder read before it changed", &stale, entry, told),
        (
            "an entry the holder has",
            &forged,
            forged_entry,
            forged_told,
        ),
    ] {
        assert_eq!(
            store
                .create_claim(contest, &[entry], None, Some(&told))
                .await,
            Err(CreateError::HolderChanged),
            "a contest telling {what} must be refused"
        );
        assert_eq!(stored_whole(store, contest.id).await, None);
        assert_eq!(read(store, holder.id).await, holder, "{what}: holder told");
    }
    let (contest, entry, told) = contest_of(&contester, &holder, t + min(4));
    store
        .create_claim(&contest, &[entry], None, Some(&told))
        .await
        .unwrap_or_else(|e| panic!("a refused contest must leave no contest behind: {e}"));
    assert_eq!(read(store, holder.id).await, told.claim);
}

/// An idempotency key is used once per partner within its window: a claim stored with a key
/// records the key's use (read back by `submission_context`); another claim with the same key
/// by the same partner, less than [`IDEMPOTENCY_WINDOW`] after the first use, is refused with
/// `KeyTaken` and nothing of it is stored (nor its lock taken); another partner's use of the
/// same key is its own; and a use at the window's end or later replaces the record.
pub async fn an_idempotency_key_is_used_once_per_partner_within_its_window<
    S: SubmissionStore + ClaimRepository,
>(
    store: &S,
) {
    let t = era(2005);
    let (first, second) = (partner(), partner());
    let key = IdempotencyKey::parse(&format!("contract-{}", fastrand::u64(..))).expect("a key");
    let prior = |who: &PartnerId| {
        let who = who.clone();
        let key = key.clone();
        async move {
            store
                .submission_context(&who, &tenant(), Some(&key))
                .await
                .expect("a submission's context")
                .prior
        }
    };
    let used = |who: &PartnerId, at: DateTime<Utc>| {
        let (claim, entry) = new_claim(who, subject(tenant()), at);
        let record = IdempotencyRecord {
            partner_id: who.clone(),
            key: key.as_str().to_owned(),
            fingerprint: BodyFingerprint::of(&serde_json::json!({ "claim": claim.id.to_string() })),
            response: claim.clone(),
            created_at: at,
        };
        (claim, entry, record)
    };
    let (claim, entry, first_use) = used(&first, t);
    store
        .create_claim(&claim, &[entry], Some(&first_use), None)
        .await
        .unwrap_or_else(|e| panic!("a first use of a key must be stored: {e}"));
    assert_eq!(prior(&first).await, Some(first_use.clone()));
    let (claim, entry, record) = used(&first, t + IDEMPOTENCY_WINDOW - TimeDelta::seconds(1));
    assert_eq!(
        store
            .create_claim(&claim, &[entry], Some(&record), None)
            .await,
        Err(CreateError::KeyTaken),
        "a key used again within its window must be refused"
    );
    assert_eq!(stored_whole(store, claim.id).await, None);
    create(store, &second, claim.subject.clone(), t + min(1)).await;
    assert_eq!(prior(&first).await, Some(first_use.clone()));
    let (claim, entry, theirs) = used(&second, t + min(2));
    store
        .create_claim(&claim, &[entry], Some(&theirs), None)
        .await
        .unwrap_or_else(|e| panic!("another partner's use of a key must be its own: {e}"));
    assert_eq!(prior(&second).await, Some(theirs));
    assert_eq!(prior(&first).await, Some(first_use));
    let (claim, entry, renewed) = used(&first, t + IDEMPOTENCY_WINDOW);
    store
        .create_claim(&claim, &[entry], Some(&renewed), None)
        .await
        .unwrap_or_else(|e| panic!("a key past its window may be used afresh: {e}"));
    assert_eq!(prior(&first).await, Some(renewed));
    let without = store
        .submission_context(&first, &tenant(), None)
        .await
        .expect("a submission's context");
    assert_eq!(without.prior, None, "no key, no prior use");
}

/// A submission's context reads the partner and the tenant as the reference data holds them,
/// and none for an id the reference data does not hold.
pub async fn a_submissions_context_reads_the_partner_and_the_tenant<S: SubmissionStore>(store: &S) {
    let data = reference_data();
    let (known, directory) = (&data.partners[0], &data.tenants[0]);
    let context = store
        .submission_context(&known.partner_id, &directory.tenant_id, None)
        .await
        .expect("a submission's context");
    assert_eq!(
        (context.partner.as_ref(), context.tenant.as_ref()),
        (Some(known), Some(directory)),
        "the store must hold the contract's reference data, read back as loaded"
    );
    let unknown = store
        .submission_context(&partner(), &tenant(), None)
        .await
        .expect("a submission's context");
    assert_eq!((unknown.partner, unknown.tenant), (None, None));
}

/// A tenant reads as the directory holds it, and a tenant the directory does not hold as none.
pub async fn a_tenant_reads_as_the_directory_holds_it<S: TenantDirectory>(store: &S) {
    let data = reference_data();
    let directory = &data.tenants[0];
    assert_eq!(
        store.tenant(directory.tenant_id).await.expect("a read"),
        Some(directory.clone()),
        "the store must hold the contract's reference data, read back as loaded"
    );
    assert_eq!(store.tenant(tenant()).await.expect("a read"), None);
}

/// A transition applies only to the claim it was computed from (its version and status): one
/// computed from a version that another change replaced, one naming another version or another
/// status, one applied a second time (an equal change by another writer), or one of a claim
/// never stored, is a `Conflict` and writes nothing, so that no update is lost; the unit of a
/// claim whose release was refused stays its own.
pub async fn a_stale_transition_is_a_conflict_and_loses_no_update<
    S: SubmissionStore + ClaimRepository,
>(
    store: &S,
) {
    let t = era(2006);
    let owner = partner();
    let (claim, submitted) = new_claim(&owner, subject(tenant()), t);
    store
        .create_claim(&claim, std::slice::from_ref(&submitted), None, None)
        .await
        .unwrap_or_else(|e| panic!("a claim on a free unit must be stored: {e}"));
    let approval = claim.approve_automatically(t + min(1)).expect("approved");
    let withdrawal = claim.withdraw(t + min(2), reason()).expect("withdrawn");
    let approved = applied(store, approval.clone()).await;
    let mut other_version = approved.withdraw(t + min(3), reason()).expect("withdrawn");
    other_version.expected_version -= 1;
    let mut other_status = approved.withdraw(t + min(3), reason()).expect("withdrawn");
    other_status.expected_status = ClaimStatus::Submitted;
    let (never, _) = new_claim(&owner, subject(tenant()), t + min(4));
    for (what, transition) in [
        ("computed from a replaced version", withdrawal),
        ("applied a second time", approval.clone()),
        ("naming another version, with new entries", other_version),
        ("naming another status", other_status),
        (
            "of a claim never stored",
            never.approve_automatically(t + min(4)).expect("approved"),
        ),
    ] {
        assert_eq!(
            store.apply(&transition).await,
            Err(ApplyError::Conflict),
            "a transition {what} must be a conflict"
        );
    }
    let history = [vec![submitted], approval.entries].concat();
    assert_eq!(
        stored_whole(store, claim.id).await,
        Some((approved.clone(), history)),
        "refused transitions must write nothing"
    );
    assert_eq!(stored_whole(store, never.id).await, None);
    refused_as_held(
        store,
        &partner(),
        claim.subject.clone(),
        t + min(5),
        &approved,
        "a refused withdrawal must leave the unit held",
    )
    .await;
}

/// A claim's history grows by each transition's entries, after those before and in their order
/// (a move that records two entries keeps both), and an entry is never rewritten: a transition
/// recording a sequence already stored is a `Conflict` and writes nothing.
pub async fn a_claims_history_keeps_its_entries_in_order<S: SubmissionStore + ClaimRepository>(
    store: &S,
) {
    let t = era(2007);
    let claim = create(store, &partner(), subject(tenant()), t).await;
    let request = claim
        .request_information(
            t + min(10),
            &reviewer(),
            vec![InformationCode::MissingCustomerSignature],
            message("the statement of work is not signed"),
            &BusinessCalendar::default(),
        )
        .expect("information requested");
    let asked = applied(store, request.clone()).await;
    let answer = asked
        .respond(
            t + min(20),
            &message("signed copy attached"),
            Some(newer_proof(&asked)),
        )
        .expect("responded");
    assert_eq!(
        answer.entries.len(),
        2,
        "a response with a proof records two entries"
    );
    let answered = applied(store, answer.clone()).await;
    let (_, history) = stored_whole(store, claim.id).await.expect("stored");
    let sequences: Vec<u32> = history.iter().map(|e| e.sequence).collect();
    assert_eq!(
        sequences,
        [1, 2, 3, 4],
        "the history must read oldest first"
    );
    assert_eq!(
        history[1..].to_vec(),
        [request.entries, answer.entries.clone()].concat(),
        "each transition's entries must follow the history in their order"
    );
    assert_eq!(
        store.history_entry(claim.id, 4).await.expect("a read"),
        Some(answer.entries[1].clone())
    );
    let mut rewrite = answered.withdraw(t + min(30), reason()).expect("withdrawn");
    rewrite.entries[0].sequence = 2;
    assert_eq!(
        store.apply(&rewrite).await,
        Err(ApplyError::Conflict),
        "a transition rewriting a stored entry must be a conflict"
    );
    assert_eq!(
        stored_whole(store, claim.id).await,
        Some((answered, history)),
        "a rewrite refused must write nothing"
    );
}

/// A transition that takes its unit back (a disputed claim approved) applies only while no
/// other claim holds the unit: otherwise it is `UnitHeld` and writes nothing. A claim that
/// changed meanwhile is a `Conflict` first, whoever holds the unit. Once the unit is free, the
/// approval takes it.
pub async fn taking_a_unit_back_needs_it_free<S: SubmissionStore + ClaimRepository>(store: &S) {
    let t = era(2008);
    let (first, second) = (partner(), partner());
    let tenant = tenant();
    let claim = create(store, &first, subject(tenant), t).await;
    let rejected = applied(
        store,
        claim
            .reject(
                t + min(1),
                &reviewer(),
                RejectionCode::InsufficientProofOfExecution,
                message("no signature"),
            )
            .expect("rejected"),
    )
    .await;
    let disputed = applied(
        store,
        rejected
            .dispute(t + min(2), &message("signed copy attached"), None)
            .expect("disputed"),
    )
    .await;
    let taker = create(store, &second, subject(tenant), t + min(3)).await;
    let stale = disputed
        .approve(t + min(4), &reviewer(), None)
        .expect("approved");
    let disputed = applied(
        store,
        disputed
            .add_proof(t + min(5), newer_proof(&disputed))
            .expect("a proof"),
    )
    .await;
    assert_eq!(
        store.apply(&stale).await,
        Err(ApplyError::Conflict),
        "a claim that changed meanwhile must be a conflict, whoever holds the unit"
    );
    let approval = disputed
        .approve(t + min(6), &reviewer(), None)
        .expect("approved");
    assert_eq!(
        store.apply(&approval).await,
        Err(ApplyError::UnitHeld),
        "taking back a unit another claim holds must be refused"
    );
    assert_eq!(
        read(store, claim.id).await,
        disputed,
        "UnitHeld must write nothing"
    );
    applied(
        store,
        taker.withdraw(t + min(7), reason()).expect("withdrawn"),
    )
    .await;
    let approved = applied(store, approval).await;
    refused_as_held(
        store,
        &second,
        subject(tenant),
        t + min(8),
        &approved,
        "the approval must take the free unit",
    )
    .await;
}

/// An arbitration applies both of its changes or neither: if either claim changed since it was
/// read, it is a `Conflict` and writes nothing; otherwise the contest is approved, the holder
/// superseded, each with its entry, and the unit handed to the winner (a new claim is
/// `LockHeld` naming it), the contest over.
pub async fn an_arbitration_hands_the_unit_to_the_winner_whole<
    S: SubmissionStore + ClaimRepository,
>(
    store: &S,
) {
    let t = era(2009);
    let (first, second) = (partner(), partner());
    let tenant = tenant();
    let holder_read = create(store, &first, subject(tenant), t).await;
    let (contest_read, holder) = contested(store, &second, &holder_read, t + min(1)).await;
    let contest = applied(
        store,
        contest_read
            .add_proof(t + min(2), newer_proof(&contest_read))
            .expect("a proof"),
    )
    .await;
    let decided = t + min(3);
    let award = |c: &Claim| c.approve(decided, &reviewer(), None).expect("approved");
    let loss = |c: &Claim| c.supersede(decided, &reviewer()).expect("superseded");
    let ids = [contest.id, holder.id];
    let before = snapshot(store, &ids).await;
    for (what, award, loss) in [
        ("a holder", award(&contest), loss(&holder_read)),
        ("a contest", award(&contest_read), loss(&holder)),
    ] {
        assert_eq!(
            store.apply_arbitration(&award, &loss).await,
            Err(ApplyError::Conflict),
            "an arbitration of {what} read before it changed must be a conflict"
        );
        assert_eq!(
            snapshot(store, &ids).await,
            before,
            "an arbitration refused must write nothing"
        );
    }
    let (award, loss) = (award(&contest), loss(&holder));
    store
        .apply_arbitration(&award, &loss)
        .await
        .unwrap_or_else(|e| panic!("an arbitration of claims as read must apply: {e}"));
    for (change, before) in [&award, &loss].into_iter().zip(before) {
        let (_, history) = before.expect("stored");
        let history = [history, change.entries.clone()].concat();
        assert_eq!(
            stored_whole(store, change.claim.id).await,
            Some((change.claim.clone(), history)),
            "both claims must be changed, each with its entry"
        );
    }
    refused_as_held(
        store,
        &partner(),
        subject(tenant),
        t + min(4),
        &award.claim,
        "the winner must hold the unit",
    )
    .await;
    applied(
        store,
        award
            .claim
            .withdraw(t + min(5), reason())
            .expect("withdrawn"),
    )
    .await;
    create(store, &second, subject(tenant), t + min(6)).await;
}

/// A change that would give up a lock or a contest that is not its claim's own (stored data
/// that disagrees with itself: a change naming another unit than its claim's, an arbitration
/// against a claim that does not hold the unit) is refused whole as a fault, `Unavailable`:
/// never a `Conflict` (reading again cannot help) nor `UnitHeld`. Nothing is written.
pub async fn a_lock_or_contest_not_the_claims_own_is_never_given_up<
    S: SubmissionStore + ClaimRepository,
>(
    store: &S,
) {
    let t = era(2010);
    let (first, second, third) = (partner(), partner(), partner());
    let (held, free) = (tenant(), tenant());
    let holder = create(store, &first, subject(held), t).await;
    let (contest, holder) = contested(store, &second, &holder, t + min(1)).await;
    let elsewhere = create(store, &third, subject(tenant()), t + min(2)).await;
    let moved = |claim: &Claim| {
        let mut t = claim.withdraw(t + min(3), reason()).expect("withdrawn");
        t.claim.subject.tenant_id = free;
        t
    };
    let arbitration = (
        contest
            .approve(t + min(3), &reviewer(), None)
            .expect("approved"),
        elsewhere
            .supersede(t + min(3), &reviewer())
            .expect("superseded"),
    );
    let ids = [holder.id, contest.id, elsewhere.id];
    let before = snapshot(store, &ids).await;
    for (what, result) in [
        ("a lock of another unit", store.apply(&moved(&holder)).await),
        (
            "a contest of another unit",
            store.apply(&moved(&contest)).await,
        ),
        (
            "a lock the loser does not hold",
            store
                .apply_arbitration(&arbitration.0, &arbitration.1)
                .await,
        ),
    ] {
        assert!(
            matches!(result, Err(ApplyError::Unavailable(_))),
            "giving up {what} must be refused as a fault, not {result:?}"
        );
    }
    assert_eq!(
        snapshot(store, &ids).await,
        before,
        "changes refused as faults must write nothing"
    );
    refused_as_held(
        store,
        &partner(),
        subject(held),
        t + min(4),
        &holder,
        "the refused changes must leave the unit to its holder",
    )
    .await;
}

/// A partner's claims list newest first, a page at a time: each page holds at most its limit,
/// the next starts after its last claim, and the last page says that none follows; a filter
/// lists only the claims it matches; another partner's claims are never listed.
pub async fn a_partners_claims_list_newest_first_a_page_at_a_time<
    S: SubmissionStore + ClaimRepository,
>(
    store: &S,
) {
    let t = era(2011);
    let owner = partner();
    let mut claims = Vec::new();
    for n in 0..5 {
        claims.push(create(store, &owner, subject(tenant()), t + min(2 * n)).await);
        create(store, &partner(), subject(tenant()), t + min(2 * n + 1)).await;
    }
    claims[1] = applied(
        store,
        claims[1]
            .approve_automatically(t + min(20))
            .expect("approved"),
    )
    .await;
    let newest_first: Vec<Claim> = claims.iter().rev().cloned().collect();
    let mut after = None;
    for (n, page) in newest_first.chunks(2).enumerate() {
        let listed = list(store, &owner, ClaimFilter::default(), 2, after).await;
        let last = n == 2;
        assert_eq!(
            listed,
            ClaimPage {
                items: page.to_vec(),
                next_after: (!last).then(|| page[1].id),
            },
            "page {} of a partner's claims, newest first",
            n + 1
        );
        after = listed.next_after;
    }
    let approved = ClaimFilter {
        status: Some(ClaimStatus::Approved),
        ..ClaimFilter::default()
    };
    assert_eq!(
        list(store, &owner, approved, 25, None).await,
        ClaimPage {
            items: vec![claims[1].clone()],
            next_after: None,
        },
        "a filter must list only the claims it matches"
    );
}

/// A listing request reads at most [`READ_BUDGET`] of the partner's claims, however rare its
/// filter: past the budget the page is short (here empty) and the next one starts after the
/// last claim read, where the claim the filter matches is found.
pub async fn a_partners_listing_reads_at_most_its_budget<S: SubmissionStore + ClaimRepository>(
    store: &S,
) {
    let t = era(2012);
    let owner = partner();
    let mut rare = subject(tenant());
    rare.program = program("osa-sell");
    let rare = create(store, &owner, rare, t).await;
    // Newest first, the budget's last claim read is the oldest of those made after the rare one.
    let mut last_read = None;
    for n in 1..=READ_BUDGET {
        let claim = create(store, &owner, subject(tenant()), t + min(n as i64)).await;
        last_read.get_or_insert(claim.id);
    }
    let filter = ClaimFilter {
        program: Some(program("osa-sell")),
        ..ClaimFilter::default()
    };
    let first = list(store, &owner, filter.clone(), 10, None).await;
    assert_eq!(
        first,
        ClaimPage {
            items: vec![],
            next_after: last_read,
        },
        "a page must stop at the read budget, after the last claim read"
    );
    let next = list(store, &owner, filter, 10, first.next_after).await;
    assert_eq!(
        next.items,
        vec![rare],
        "the next page must go on from there"
    );
}

/// The due index yields, whole and once, exactly the claims whose nightly deadline (the end of
/// an opt-out window, of the time to answer an information request, of the time to correct an
/// unreachable customer's contact) is before the instant asked: none whose deadline is that
/// very instant or later, and none without a deadline (in review, official).
pub async fn the_due_index_yields_exactly_the_claims_whose_deadlines_passed<
    S: SubmissionStore + ClaimRepository + DueIndex,
>(
    store: &S,
) {
    let t = era(2013);
    let calendar = &BusinessCalendar::default();
    let notified = |claim: Claim, at: DateTime<Utc>| async move {
        let approved = applied(store, claim.approve_automatically(at).expect("approved")).await;
        let window = calendar.opt_out_window(at + min(1), Zone::UTC);
        applied(store, approved.notify(window).expect("notified")).await
    };
    let owner = partner();
    let waiting = notified(create(store, &owner, subject(tenant()), t).await, t).await;
    let asked = create(store, &owner, subject(tenant()), t).await;
    let asked = applied(
        store,
        asked
            .request_information(
                t + TimeDelta::days(7),
                &reviewer(),
                vec![InformationCode::Other],
                message("which workloads were deployed?"),
                calendar,
            )
            .expect("information requested"),
    )
    .await;
    let bounced = notified(create(store, &owner, subject(tenant()), t).await, t).await;
    let bounced = applied(
        store,
        bounced
            .record_mail_feedback(t + min(5), 1, MailFeedback::PermanentBounce)
            .expect("bounced"),
    )
    .await;
    let in_review = create(store, &owner, subject(tenant()), t).await;
    let official = notified(create(store, &owner, subject(tenant()), t).await, t).await;
    let deadline = |c: &Claim| c.state.nightly_deadline().expect("a deadline").at();
    let official = applied(
        store,
        official
            .finalize(deadline(&official) + TimeDelta::seconds(1))
            .expect("official"),
    )
    .await;
    let ms = TimeDelta::milliseconds(1);
    let ours = [&waiting, &asked, &bounced, &in_review, &official];
    for (now, due) in [
        (deadline(&waiting), vec![]),
        (deadline(&waiting) + ms, vec![&waiting]),
        (deadline(&asked) + ms, vec![&waiting, &asked]),
        (deadline(&bounced) + ms, vec![&waiting, &asked, &bounced]),
    ] {
        let mut pages = store.due_pages(now);
        let (mut seen, mut yielded) = (HashSet::new(), BTreeSet::new());
        while let Some(page) = pages.next().await {
            for claim in page.expect("a page of the due index") {
                assert!(seen.insert(claim.id), "claim {} yielded twice", claim.id);
                if let Some(own) = ours.iter().find(|c| c.id == claim.id) {
                    assert_eq!(&claim, *own, "a due claim must be yielded whole");
                    yielded.insert(claim.id);
                }
            }
        }
        let expected: BTreeSet<ClaimId> = due.iter().map(|c| c.id).collect();
        assert_eq!(
            yielded, expected,
            "the claims due before {now} (of this rule's: waiting {}, asked {}, bounced {})",
            waiting.id, asked.id, bounced.id
        );
    }
}

/// A request of the review queue reads at most [`READ_BUDGET`] claims of the queue, however
/// rare its filter: past the budget the page is short (here empty) and the next one starts
/// after the last claim read, where the claim the filter matches is found.
pub async fn the_review_queue_reads_at_most_its_budget<S: SubmissionStore + ReviewQueue>(
    store: &S,
) {
    let t = era(2014);
    let owner = partner();
    let mut last_read = None;
    for n in 1..=READ_BUDGET {
        let claim = create(store, &owner, subject(tenant()), t + min(n as i64)).await;
        last_read = Some(position(&claim));
    }
    let mut rare = subject(tenant());
    rare.program = program("osa-sell");
    let rare = create(store, &owner, rare, t + min(READ_BUDGET as i64 + 1)).await;
    let query = |after| ReviewQuery {
        statuses: WAITING_FOR_A_DECISION.to_vec(),
        program: Some(program("osa-sell")),
        limit: 10,
        after,
    };
    let first = review(store, query(Some(start_of(t)))).await;
    assert_eq!(
        first,
        ReviewPage {
            items: vec![],
            next: last_read,
        },
        "a page must stop at the read budget, after the last claim read"
    );
    let next = review(store, query(first.next)).await;
    assert_eq!(
        next.items.first(),
        Some(&rare),
        "the next page must go on from there"
    );
}

/// The review queue lists the claims waiting for a decision (submitted, disputed, contested)
/// oldest entry into review first, a page at a time: the next page starts after the page's last
/// claim, and none follows the queue's last. The claims waiting for their partners (information
/// requested) are a queue of their own; a status or a program lists only its claims; a claim
/// leaves the queue with its decision. This rule's claims enter review after every other rule's,
/// so that they end the queue.
pub async fn the_review_queue_lists_oldest_entry_first_a_page_at_a_time<
    S: SubmissionStore + ClaimRepository + ReviewQueue,
>(
    store: &S,
) {
    let t = era(2100);
    let (first, second) = (partner(), partner());
    let hours = TimeDelta::hours;
    let disputed = create(store, &first, subject(tenant()), t).await;
    let disputed = applied(
        store,
        disputed
            .reject(
                t + min(10),
                &reviewer(),
                RejectionCode::NotWorkingWithCustomer,
                message("not the customer's partner"),
            )
            .expect("rejected"),
    )
    .await;
    let asked = create(store, &first, subject(tenant()), t + min(30)).await;
    let submitted = create(store, &first, subject(tenant()), t + hours(1)).await;
    let (contest, submitted) = contested(store, &second, &submitted, t + hours(2)).await;
    let disputed = applied(
        store,
        disputed
            .dispute(t + hours(3), &message("we are"), None)
            .expect("disputed"),
    )
    .await;
    let mut other_program = subject(tenant());
    other_program.program = program("osa-sell");
    let other_program = create(store, &first, other_program, t + hours(4)).await;
    let decided = create(store, &first, subject(tenant()), t + hours(5)).await;
    applied(
        store,
        decided
            .approve(t + hours(6), &reviewer(), None)
            .expect("approved"),
    )
    .await;
    let asked = applied(
        store,
        asked
            .request_information(
                t + hours(7),
                &reviewer(),
                vec![InformationCode::MissingProofOfExecution],
                message("the proof is missing"),
                &BusinessCalendar::default(),
            )
            .expect("information requested"),
    )
    .await;
    let waiting = [&submitted, &contest, &disputed, &other_program];
    let mut after = Some(start_of(t));
    for (n, page) in waiting.chunks(2).enumerate() {
        let listed = review(store, queue(&WAITING_FOR_A_DECISION, None, 2, after)).await;
        let last = n == 1;
        assert_eq!(
            listed,
            ReviewPage {
                items: page.iter().map(|c| (*c).clone()).collect(),
                next: (!last).then(|| position(page[1])),
            },
            "page {} of the queue, oldest entry first",
            n + 1
        );
        after = listed.next;
    }
    for (what, statuses, program, listed) in [
        (
            "waiting for their partners",
            &[ClaimStatus::InformationRequested][..],
            None,
            &asked,
        ),
        ("disputed", &[ClaimStatus::Disputed][..], None, &disputed),
        (
            "of a program",
            &WAITING_FOR_A_DECISION[..],
            Some(program("osa-sell")),
            &other_program,
        ),
    ] {
        assert_eq!(
            review(store, queue(statuses, program, 25, Some(start_of(t)))).await,
            ReviewPage {
                items: vec![listed.clone()],
                next: None,
            },
            "the queue of the claims {what}"
        );
    }
}

/// Midday of 2 March of `year`: each rule's claims are dated in a year of the rule's own.
fn era(year: i32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, 3, 2, 12, 0, 0)
        .single()
        .expect("an instant")
}

fn min(minutes: i64) -> TimeDelta {
    TimeDelta::minutes(minutes)
}

/// A partner of its own, 10 digits starting with 8 (the seeded partners' ids are shorter).
fn partner() -> PartnerId {
    PartnerId::parse(&format!("8{:09}", fastrand::u32(..1_000_000_000))).expect("a partner id")
}

/// A tenant of its own: each of its workloads is a unit no one else claims.
fn tenant() -> TenantId {
    let id = uuid::Uuid::from_u128(fastrand::u128(..));
    TenantId::parse(&id.hyphenated().to_string()).expect("a tenant id")
}

fn program(code: &str) -> Program {
    Program::parse(code).expect("a program of the catalogue")
}

fn workload(code: &str) -> Workload {
    program("osu-m365")
        .workload(code)
        .expect("a workload of the program")
}

/// Teams in OSU Microsoft 365 at `tenant`.
fn subject(tenant: TenantId) -> ClaimSubject {
    ClaimSubject {
        tenant_id: tenant,
        customer_domain: CustomerDomain::parse("contract.example").expect("a domain"),
        program: program("osu-m365"),
        workload: workload("teams"),
        subscription_id: None,
        customer_contact: CustomerContact {
            name: "Giulia Rossi".into(),
            email: EmailAddress::parse("giulia@contract.example").expect("an address"),
            title: None,
            locale: Locale::default(),
            time_zone: CustomerTimeZone::default(),
        },
        partner_contact: PartnerContact {
            name: "Sam Lee".into(),
            email: EmailAddress::parse("sam@partner.example").expect("an address"),
            locale: Locale::default(),
        },
        proof_of_execution: ProofOfExecution {
            reference: "SOW-1".into(),
            signed_on: NaiveDate::from_ymd_opt(2000, 1, 3).expect("a day"),
        },
    }
}

/// A proof signed a day after `claim`'s.
fn newer_proof(claim: &Claim) -> ProofOfExecution {
    let current = &claim.subject.proof_of_execution;
    ProofOfExecution {
        reference: format!("{}+1", current.reference),
        signed_on: current.signed_on.succ_opt().expect("a day"),
    }
}

fn reviewer() -> ReviewerId {
    ReviewerId::parse("contract-reviewer").expect("a reviewer id")
}

fn message(text: &str) -> Message {
    Message::parse(text).expect("a message")
}

fn reason() -> WithdrawalReason {
    WithdrawalReason::parse("engagement ended").expect("a reason")
}

/// A claim of `partner` on `subject`, submitted at `at`, not yet stored.
fn new_claim(
    partner: &PartnerId,
    subject: ClaimSubject,
    at: DateTime<Utc>,
) -> (Claim, HistoryEntry) {
    Claim::submit(
        ClaimId::new_at(at),
        partner.clone(),
        "Contract Consulting".into(),
        subject,
        at,
    )
}

/// A contest by `partner` of the unit `holder` holds, filed at `at`, with the holder's change
/// telling it of the contest; not yet stored.
fn contest_of(
    partner: &PartnerId,
    holder: &Claim,
    at: DateTime<Utc>,
) -> (Claim, HistoryEntry, Transition) {
    let (claim, entry) = Claim::contest(
        ClaimId::new_at(at),
        partner.clone(),
        "Contract Consulting".into(),
        holder.subject.clone(),
        at,
        holder.id,
        &message("we did the work"),
    );
    let told = holder
        .receive_contest(at)
        .expect("the holder holds its unit");
    (claim, entry, told)
}

/// A new claim, stored.
async fn create<S: SubmissionStore>(
    store: &S,
    partner: &PartnerId,
    subject: ClaimSubject,
    at: DateTime<Utc>,
) -> Claim {
    let (claim, entry) = new_claim(partner, subject, at);
    store
        .create_claim(&claim, &[entry], None, None)
        .await
        .unwrap_or_else(|e| panic!("a claim on a free unit must be stored: {e}"));
    claim
}

/// A contest by `partner` of the unit `holder` holds, filed at `at` and stored with the holder's
/// change telling it: the contest, and the holder as told.
async fn contested<S: SubmissionStore>(
    store: &S,
    partner: &PartnerId,
    holder: &Claim,
    at: DateTime<Utc>,
) -> (Claim, Claim) {
    let (contest, entry, told) = contest_of(partner, holder, at);
    store
        .create_claim(&contest, &[entry], None, Some(&told))
        .await
        .unwrap_or_else(|e| panic!("a contest of a held unit must be stored: {e}"));
    (contest, told.claim)
}

/// Checks that a new claim of `partner` on `subject`'s unit, at `at`, is refused as the unit
/// `holder` holds (`why` says what the rule expects), and that nothing of it is stored.
async fn refused_as_held<S: SubmissionStore + ClaimRepository>(
    store: &S,
    partner: &PartnerId,
    subject: ClaimSubject,
    at: DateTime<Utc>,
    holder: &Claim,
    why: &str,
) {
    let (claim, entry) = new_claim(partner, subject, at);
    assert_eq!(
        store.create_claim(&claim, &[entry], None, None).await,
        Err(CreateError::LockHeld(LockHolder {
            claim_id: holder.id,
            partner_id: holder.partner_id.clone(),
        })),
        "{why}"
    );
    assert_eq!(
        stored_whole(store, claim.id).await,
        None,
        "a refused claim must store nothing"
    );
}

/// The claim as `transition` leaves it, applied.
async fn applied<S: ClaimRepository>(store: &S, transition: Transition) -> Claim {
    store.apply(&transition).await.unwrap_or_else(|e| {
        panic!(
            "a transition of claim {} as stored must apply: {e}",
            transition.claim.id
        )
    });
    transition.claim
}

async fn read<S: ClaimRepository>(store: &S, id: ClaimId) -> Claim {
    store
        .claim(id)
        .await
        .expect("a read")
        .unwrap_or_else(|| panic!("claim {id} must be stored"))
}

/// Each claim of `ids` with its history, as stored now.
async fn snapshot<S: ClaimRepository>(
    store: &S,
    ids: &[ClaimId],
) -> Vec<Option<(Claim, Vec<HistoryEntry>)>> {
    let mut stored = Vec::new();
    for id in ids {
        stored.push(stored_whole(store, *id).await);
    }
    stored
}

async fn stored_whole<S: ClaimRepository>(
    store: &S,
    id: ClaimId,
) -> Option<(Claim, Vec<HistoryEntry>)> {
    store.claim_with_history(id).await.expect("a read")
}

async fn list<S: ClaimRepository>(
    store: &S,
    partner: &PartnerId,
    filter: ClaimFilter,
    limit: usize,
    after: Option<ClaimId>,
) -> ClaimPage {
    let query = ListQuery {
        filter,
        limit,
        after,
    };
    store.list_claims(partner, &query).await.expect("a listing")
}

/// A claim's place in the review queue.
fn position(claim: &Claim) -> ReviewPosition {
    let since = claim.state.in_review_since().expect("a claim in review");
    (since, claim.id)
}

/// A place in the review queue before every claim that entered it after `t`.
fn start_of(t: DateTime<Utc>) -> ReviewPosition {
    (t - TimeDelta::seconds(1), ClaimId::new_at(t))
}

fn queue(
    statuses: &[ClaimStatus],
    program: Option<Program>,
    limit: usize,
    after: Option<ReviewPosition>,
) -> ReviewQuery {
    ReviewQuery {
        statuses: statuses.to_vec(),
        program,
        limit,
        after,
    }
}

async fn review<S: ReviewQueue>(store: &S, query: ReviewQuery) -> ReviewPage {
    store
        .review_page(&query)
        .await
        .expect("a page of the queue")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryStore;

    /// The in-memory store keeps every rule of the claims' ports.
    #[tokio::test]
    async fn the_in_memory_store_keeps_the_claims_ports_rules() {
        check_all(&MemoryStore::with_reference_data(&reference_data())).await;
    }
}
