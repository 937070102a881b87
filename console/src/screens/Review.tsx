// Review: everything a reviewer reads to decide a claim (for a contest, the claim it contests
// beside it), and the decision panel.
import { useState } from "preact/hooks";
import { useConsole } from "../app/context";
import type { InformationCode, ReviewedClaim, ReviewerRejectionCode } from "../api/client";
import { outcome, useLoad } from "../api/load";
import type { Problem } from "../api/problem";
import { Contacts, Details, Documents, Fact, History, Proof, ReviewNotes } from "../claim/ClaimFacts";
import { decisions, type Decision } from "../claim/moves";
import { statusWords } from "../claim/progress";
import { NO_REFUSAL, ownRefusal, refusalOf, type Refusal } from "../forms/refusal";
import type { MessageKey } from "../i18n/messages";
import { Link } from "../router";
import { ErrorSummary } from "../ui/ErrorSummary";
import { Radios, RefusedIn, SelectField, TextArea } from "../ui/fields";
import { DeadlineCell, Done, NotYet, When } from "../ui/notices";
import { Screen } from "../ui/Screen";

const INFORMATION_CODES: readonly InformationCode[] = [
  "missing_proof_of_execution",
  "missing_customer_signature",
  "proof_of_execution_dates",
  "missing_solution_description",
  "workload_not_evidenced",
  "other",
];

const REJECTION_CODES: readonly ReviewerRejectionCode[] = [
  "insufficient_proof_of_execution",
  "not_working_with_customer",
  "wrong_partner_id",
  "wrong_program",
  "other",
];

const DECISION_NAMES: Readonly<Record<Decision, MessageKey>> = {
  approve: "review.approve",
  request_information: "review.request_information",
  reject: "review.reject",
};

export function Review({ claimId }: { claimId: string }) {
  const { api, words, names } = useConsole();
  const { t } = words;
  const [loaded, reload] = useLoad(
    () => outcome(api.GET("/v1/review/claims/{claim_id}", { params: { path: { claim_id: claimId } } })),
    [claimId],
  );
  if (loaded.state !== "done") return <NotYet title={t("queue.title")} loaded={loaded} retry={reload} />;
  const claim = loaded.data;
  const title = t("review.title", { claim: `${names.workload(claim.workload)} — ${claim.customer_domain}` });
  return (
    <Screen title={title}>
      <section aria-labelledby="status-heading" class="status-panel">
        <h2 id="status-heading">{t("claim.status")}</h2>
        <p>
          <strong class={`status status-${claim.status}`}>{t(statusWords(claim.status))}</strong>
          {claim.overdue && <strong class="tag tag-overdue">{t("common.overdue")}</strong>}
        </p>
        {claim.review_due !== null && (
          <p>
            {t("field.due")}: <DeadlineCell at={claim.review_due} timeZone={null} />
          </p>
        )}
      </section>
      <ProofSection claim={claim} />
      <ReviewNotes claim={claim} />
      <Details claim={claim} />
      <Contacts claim={claim} />
      <Documents claimId={claim.claim_id} documents={claim.documents} reviewer />
      <History history={claim.history} />
      <DecisionPanel key={claim.claim_id} claim={claim} reread={reload} />
    </Screen>
  );
}

/** The claim's proof; for a contest, beside the proof of the claim it contests, the newer marked. */
function ProofSection({ claim }: { claim: ReviewedClaim }) {
  const { words } = useConsole();
  const { t } = words;
  const holder = claim.holder;
  if (holder === undefined) {
    return (
      <section aria-labelledby="proof-heading">
        <h2 id="proof-heading">{t("review.proof")}</h2>
        <Proof proof={claim.proof_of_execution} />
      </section>
    );
  }
  const holderIsNewer =
    !holder.contester_proof_is_newer && holder.proof_of_execution.signed_on > claim.proof_of_execution.signed_on;
  const newer = <strong class="tag tag-newer">{t("review.newer_proof")}</strong>;
  return (
    <section aria-labelledby="proof-heading">
      <h2 id="proof-heading">{t("review.proof")}</h2>
      <div class="columns">
        <div class="panel">
          <h3>
            {t("review.this_claim")} {holder.contester_proof_is_newer && newer}
          </h3>
          <dl class="facts">
            <Fact label={t("field.partner")}>
              {claim.partner_name} ({claim.partner_id})
            </Fact>
          </dl>
          <Proof proof={claim.proof_of_execution} />
        </div>
        <div class="panel">
          <h3>
            {t("review.holder")} {holderIsNewer && newer}
          </h3>
          <dl class="facts">
            <Fact label={t("field.partner")}>
              {holder.partner_name} ({holder.partner_id})
            </Fact>
            <Fact label={t("field.status")}>{t(statusWords(holder.status))}</Fact>
            <Fact label={t("review.since")}>
              <When at={holder.since} />
            </Fact>
            <Fact label={t("field.claim_id")}>
              <code>{holder.claim_id}</code>
            </Fact>
          </dl>
          <Proof proof={holder.proof_of_execution} />
        </div>
      </div>
    </section>
  );
}

const DECISION_FIELDS = {
  paths: {
    comment: "decision-comment",
    codes: "decision-code-0",
    message: "decision-message",
    code: "decision-reason",
  },
};

function DecisionPanel({ claim, reread }: { claim: ReviewedClaim; reread: () => void }) {
  const { api, words } = useConsole();
  const { t } = words;
  const allowed = decisions(claim.status);
  const [choice, setChoice] = useState<Decision | null>(null);
  const [comment, setComment] = useState("");
  const [codes, setCodes] = useState<readonly InformationCode[]>([]);
  const [message, setMessage] = useState("");
  const [reason, setReason] = useState("");
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const [busy, setBusy] = useState(false);
  const [decided, setDecided] = useState<string | null>(null);
  const [blocked, setBlocked] = useState<{ message: string; stale: boolean } | null>(null);

  if (decided !== null) {
    return (
      <section aria-labelledby="decision-heading" class="panel">
        <h2 id="decision-heading">{t("review.decision")}</h2>
        <Done>
          <p>{t("review.decided", { status: t(statusWords(decided as ReviewedClaim["status"])) })}</p>
        </Done>
        <p>
          <Link to="review/next" class="button-link">
            {t("review.next")}
          </Link>
        </p>
      </section>
    );
  }

  const explain = (problem: Problem) => {
    if (problem.code === "invalid_transition" && problem.claimStatus !== null) {
      // Another reviewer decided first: say so, and show the claim as it stands now (its
      // status, its history, no decision left to make); nothing of this reviewer's was recorded.
      setBlocked({ message: t("review.decided_first", { status: t(statusWords(problem.claimStatus)) }), stale: false });
      setRefusal(NO_REFUSAL);
      reread();
    } else if (problem.code === "arbitration_stale") {
      setBlocked({ message: t("review.stale"), stale: true });
    } else if (problem.code === "workload_already_claimed") {
      setBlocked({ message: t("review.held"), stale: false });
    } else {
      setRefusal(refusalOf(problem, DECISION_FIELDS));
    }
  };

  const submit = async () => {
    setBlocked(null);
    if (choice === null) {
      const message = t("review.choose_decision");
      setRefusal(ownRefusal(`decision-${allowed[0] ?? "approve"}`, message));
      return;
    }
    const path = { params: { path: { claim_id: claim.claim_id } } };
    setBusy(true);
    const answer =
      choice === "approve"
        ? await outcome(
            api.POST("/v1/review/claims/{claim_id}/approve", {
              ...path,
              body: { comment: comment.trim() === "" ? null : comment, compared: claim.compared ?? null },
            }),
          )
        : choice === "request_information"
          ? await outcome(
              api.POST("/v1/review/claims/{claim_id}/request-information", { ...path, body: { codes: [...codes], message } }),
            )
          : await outcome(
              api.POST("/v1/review/claims/{claim_id}/reject", {
                ...path,
                body: { code: reason as ReviewerRejectionCode, message },
              }),
            );
    setBusy(false);
    if (answer.ok) {
      setRefusal(NO_REFUSAL);
      setDecided(answer.data.status);
      reread();
    } else {
      explain(answer.problem);
    }
  };

  return (
    <section aria-labelledby="decision-heading" class="panel decision">
      <h2 id="decision-heading">{t("review.decision")}</h2>
      {blocked !== null && (
        <div class="notice notice-problem" role="alert">
          <p>{blocked.message}</p>
          {blocked.stale ? (
            <button type="button" class="secondary" onClick={reread}>
              {t("review.read_again")}
            </button>
          ) : (
            <Link to="review/next">{t("review.next")}</Link>
          )}
        </div>
      )}
      {allowed.length === 0 ? (
        <p>{t("review.no_decision", { status: t(statusWords(claim.status)) })}</p>
      ) : (
        <RefusedIn refusal={refusal}>
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              void submit();
            }}
          >
            <ErrorSummary refusal={refusal} />
            <Radios
              legend={t("review.choose_decision")}
              name="decision"
              value={choice}
              choices={allowed.map((decision) => ({ value: decision, label: t(DECISION_NAMES[decision]) }))}
              onValue={(decision) => {
                setChoice(decision);
                setRefusal(NO_REFUSAL);
              }}
            />
            {choice === "approve" && (
              <TextArea id="decision-comment" label={t("review.comment")} optional value={comment} onValue={setComment} error={refusal.byControl["decision-comment"]} />
            )}
            {choice === "request_information" && (
              <>
                <fieldset class="checkboxes" aria-describedby={refusal.byControl["decision-code-0"] === undefined ? undefined : "decision-codes-error"}>
                  <legend>{t("review.codes")}</legend>
                  {refusal.byControl["decision-code-0"] !== undefined && (
                    <p id="decision-codes-error" class="error-message" lang={refusal.lang ?? undefined}>
                      {refusal.byControl["decision-code-0"]}
                    </p>
                  )}
                  {INFORMATION_CODES.map((code, index) => (
                    <div class="checkbox" key={code}>
                      <input
                        type="checkbox"
                        id={`decision-code-${index}`}
                        checked={codes.includes(code)}
                        onChange={(event) => {
                          const on = event.currentTarget.checked;
                          setCodes((earlier) => (on ? [...earlier, code] : earlier.filter((c) => c !== code)));
                        }}
                      />
                      <label for={`decision-code-${index}`}>{t(`info_code.${code}`)}</label>
                    </div>
                  ))}
                </fieldset>
                <TextArea id="decision-message" label={t("review.message")} value={message} onValue={setMessage} error={refusal.byControl["decision-message"]} />
              </>
            )}
            {choice === "reject" && (
              <>
                <SelectField
                  id="decision-reason"
                  label={t("review.reason")}
                  value={reason}
                  onValue={setReason}
                  choices={[
                    { value: "", label: t("common.choose") },
                    ...REJECTION_CODES.map((code) => ({ value: code, label: t(`rejection.${code}`) })),
                  ]}
                  error={refusal.byControl["decision-reason"]}
                />
                <TextArea id="decision-message" label={t("review.message")} value={message} onValue={setMessage} error={refusal.byControl["decision-message"]} />
              </>
            )}
            {choice !== null && (
              <button type="submit" disabled={busy}>
                {t(DECISION_NAMES[choice])}
              </button>
            )}
          </form>
        </RefusedIn>
      )}
    </section>
  );
}
