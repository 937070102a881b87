// The partner's moves on a claim, each a small form opened from its button: "Respond",
// "Dispute", "Add newer proof", "Upload document", "Correct customer contact", "Withdraw".
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useConsole } from "../app/context";
import type { Notice } from "../app/flash";
import type { Claim, CustomerContactInput } from "../api/client";
import { outcome, type Outcome } from "../api/load";
import { CustomerContactFields, type ContactValues } from "../forms/CustomerContactFields";
import { NO_REFUSAL, ownRefusal, refusalOf, type FormFields, type Refusal } from "../forms/refusal";
import type { MessageKey } from "../i18n/messages";
import { ErrorSummary } from "../ui/ErrorSummary";
import { RefusedIn, TextArea, TextField } from "../ui/fields";
import { partnerActions, type PartnerAction } from "./moves";
import { UploadForm } from "./UploadForm";

const ACTION_NAMES: Readonly<Record<PartnerAction, MessageKey>> = {
  respond: "action.respond",
  dispute: "action.dispute",
  add_proof: "action.add_proof",
  upload: "action.upload",
  correct_contact: "action.correct_contact",
  withdraw: "action.withdraw",
};

export interface MoveProps {
  readonly claim: Claim;
  /** The move was made: `message` says so, and the claim is read again. */
  readonly done: (notice: Notice) => void;
}

export function PartnerMoves(props: MoveProps & { uploading: (documentId: string, fileName: string) => void }) {
  const { session, words } = useConsole();
  const { t } = words;
  const [open, setOpen] = useState<PartnerAction | null>(null);
  const actions = partnerActions(props.claim, session.identity.role);
  const done = (notice: Notice) => {
    setOpen(null);
    props.done(notice);
  };
  return (
    <section aria-labelledby="actions-heading">
      <h2 id="actions-heading">{t("claim.actions")}</h2>
      {session.identity.role !== "incentives_admin" ? (
        <p>{t("claim.read_only")}</p>
      ) : actions.length === 0 ? (
        <p>{t("claim.no_actions")}</p>
      ) : (
        <>
          <ul class="actions">
            {actions.map((action) => (
              <li key={action}>
                <button
                  type="button"
                  class={open === action ? "" : "secondary"}
                  aria-expanded={open === action}
                  aria-controls={open === action ? `move-${action}` : undefined}
                  onClick={() => {
                    setOpen(open === action ? null : action);
                  }}
                >
                  {t(ACTION_NAMES[action])}
                </button>
              </li>
            ))}
          </ul>
          {open !== null && (
            <div id={`move-${open}`} class="panel">
              <h3>{t(ACTION_NAMES[open])}</h3>
              {(open === "respond" || open === "dispute") && <AnswerForm key={open} kind={open} claim={props.claim} done={done} />}
              {open === "add_proof" && <ProofForm claim={props.claim} done={done} />}
              {open === "upload" && <UploadForm claim={props.claim} uploading={props.uploading} done={done} />}
              {open === "correct_contact" && <ContactForm claim={props.claim} done={done} />}
              {open === "withdraw" && <WithdrawForm claim={props.claim} done={done} />}
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** Sends a move and shows its refusal: beside each refused field, or what happened instead. */
export function useMove(fields: FormFields) {
  const { words } = useConsole();
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const [busy, setBusy] = useState(false);
  const send = async <T,>(request: () => Promise<Outcome<T>>): Promise<T | null> => {
    setBusy(true);
    const answer = await request();
    setBusy(false);
    if (answer.ok) {
      setRefusal(NO_REFUSAL);
      return answer.data;
    }
    const { problem } = answer;
    if (problem.code === "invalid_transition" && problem.claimStatus !== null) {
      // Someone else moved the claim first (a reviewer, the nightly run): say where it is now.
      const message = words.t("action.moved", { status: words.t(`status.${problem.claimStatus}`) });
      setRefusal(ownRefusal(null, message));
    } else {
      setRefusal(refusalOf(problem, fields));
    }
    return null;
  };
  return { refusal, setRefusal, busy, send };
}

function MoveForm(props: { refusal: Refusal; busy: boolean; submit: string; onSubmit: () => void; children: ComponentChildren }) {
  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <ErrorSummary refusal={props.refusal} />
      <RefusedIn refusal={props.refusal}>{props.children}</RefusedIn>
      <button type="submit" disabled={props.busy}>
        {props.submit}
      </button>
    </form>
  );
}

/** The optional newer proof that a response or a dispute may carry. */
function proofOf(reference: string, signedOn: string) {
  return reference.trim() === "" && signedOn === "" ? null : { reference: reference.trim(), signed_on: signedOn };
}

function proofPaths(prefix: string): Record<string, string> {
  return {
    proof_of_execution: `${prefix}-reference`,
    "proof_of_execution.reference": `${prefix}-reference`,
    "proof_of_execution.signed_on": `${prefix}-signed_on`,
  };
}

function NewerProofFields(props: {
  prefix: string;
  legend: string | null;
  reference: string;
  signedOn: string;
  setReference: (value: string) => void;
  setSignedOn: (value: string) => void;
  errors: Readonly<Record<string, string>>;
}) {
  const { t } = useConsole().words;
  const fields = (
    <>
      <TextField id={`${props.prefix}-reference`} label={t("field.poe_reference")} hint={t("hint.poe_reference")} optional={props.legend !== null} value={props.reference} onValue={props.setReference} error={props.errors[`${props.prefix}-reference`]} />
      <TextField id={`${props.prefix}-signed_on`} type="date" label={t("field.signed_on")} hint={t("hint.signed_on")} optional={props.legend !== null} value={props.signedOn} onValue={props.setSignedOn} error={props.errors[`${props.prefix}-signed_on`]} />
    </>
  );
  if (props.legend === null) return fields;
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {fields}
    </fieldset>
  );
}

/**
 * "Respond" and "Dispute": the partner's words (a message, or a justification) and, optionally,
 * a newer proof of execution, which the API adds as "Add newer proof" would.
 */
function AnswerForm({ claim, done, kind }: MoveProps & { kind: "respond" | "dispute" }) {
  const { api, words } = useConsole();
  const { t } = words;
  const [text, setText] = useState("");
  const [reference, setReference] = useState("");
  const [signedOn, setSignedOn] = useState("");
  const field = kind === "respond" ? "message" : "justification";
  const control = `${kind}-${field}`;
  const move = useMove({ paths: { [field]: control, ...proofPaths(kind) } });
  const send = () => {
    const path = { path: { claim_id: claim.claim_id } };
    const proof = proofOf(reference, signedOn);
    return kind === "respond"
      ? outcome(api.POST("/v1/claims/{claim_id}/respond", { params: path, body: { message: text, proof_of_execution: proof } }))
      : outcome(api.POST("/v1/claims/{claim_id}/dispute", { params: path, body: { justification: text, proof_of_execution: proof } }));
  };
  return (
    <MoveForm
      refusal={move.refusal}
      busy={move.busy}
      submit={t(kind === "respond" ? "action.send_response" : "action.send_dispute")}
      onSubmit={() => {
        void move.send(send).then((moved) => {
          if (moved !== null) done({ key: kind === "respond" ? "action.done.respond" : "action.done.dispute" });
        });
      }}
    >
      <TextArea id={control} label={t(`action.${field}`)} value={text} onValue={setText} error={move.refusal.byControl[control]} />
      <NewerProofFields prefix={kind} legend={t("action.newer_proof")} reference={reference} signedOn={signedOn} setReference={setReference} setSignedOn={setSignedOn} errors={move.refusal.byControl} />
    </MoveForm>
  );
}

function ProofForm({ claim, done }: MoveProps) {
  const { api, words } = useConsole();
  const { t } = words;
  const [reference, setReference] = useState("");
  const [signedOn, setSignedOn] = useState("");
  const move = useMove({ paths: { reference: "proof-reference", signed_on: "proof-signed_on" } });
  return (
    <MoveForm
      refusal={move.refusal}
      busy={move.busy}
      submit={t("action.save_proof")}
      onSubmit={() => {
        void move
          .send(() =>
            outcome(
              api.POST("/v1/claims/{claim_id}/proof", {
                params: { path: { claim_id: claim.claim_id } },
                body: { reference: reference.trim(), signed_on: signedOn },
              }),
            ),
          )
          .then((moved) => {
            if (moved !== null) done({ key: "action.done.add_proof" });
          });
      }}
    >
      <NewerProofFields prefix="proof" legend={null} reference={reference} signedOn={signedOn} setReference={setReference} setSignedOn={setSignedOn} errors={move.refusal.byControl} />
    </MoveForm>
  );
}

const CONTACT_FIELDS: FormFields = {
  paths: {
    name: "contact-customer_name",
    email: "contact-customer_email",
    title: "contact-customer_title",
    locale: "contact-customer_language",
    time_zone: "contact-customer_time_zone",
  },
};

function ContactForm({ claim, done }: MoveProps) {
  const { api, words } = useConsole();
  const { t } = words;
  const current = claim.customer_contact;
  const [values, setValues] = useState<ContactValues>({
    name: current.name,
    email: current.email,
    title: current.title ?? "",
    language: current.locale,
    timeZone: current.time_zone,
  });
  const move = useMove(CONTACT_FIELDS);
  const optional = (value: string) => (value.trim() === "" ? null : value.trim());
  return (
    <MoveForm
      refusal={move.refusal}
      busy={move.busy}
      submit={t("action.save_contact")}
      onSubmit={() => {
        void move
          .send(() =>
            outcome(
              api.PUT("/v1/claims/{claim_id}/customer-contact", {
                params: { path: { claim_id: claim.claim_id } },
                body: {
                  name: values.name.trim(),
                  email: values.email.trim(),
                  title: optional(values.title),
                  locale: optional(values.language),
                  time_zone: optional(values.timeZone) as CustomerContactInput["time_zone"],
                },
              }),
            ),
          )
          .then((moved) => {
            if (moved !== null) done({ key: "action.done.correct_contact" });
          });
      }}
    >
      <p class="hint">{t("action.contact_warning")}</p>
      <CustomerContactFields
        prefix="contact-"
        values={values}
        set={(changes) => {
          setValues((earlier) => ({ ...earlier, ...changes }));
        }}
        errors={move.refusal.byControl}
      />
    </MoveForm>
  );
}

function WithdrawForm({ claim, done }: MoveProps) {
  const { api, words } = useConsole();
  const { t } = words;
  const [reason, setReason] = useState("");
  const [confirmed, setConfirmed] = useState(false);
  const move = useMove({ paths: { reason: "withdraw-reason" } });
  const confirmError = move.refusal.byControl["withdraw-confirm"];
  return (
    <MoveForm
      refusal={move.refusal}
      busy={move.busy}
      submit={t("action.withdraw_submit")}
      onSubmit={() => {
        if (!confirmed) {
          const message = t("action.confirm_required");
          move.setRefusal(ownRefusal("withdraw-confirm", message));
          return;
        }
        void move
          .send(() =>
            outcome(
              api.POST("/v1/claims/{claim_id}/withdraw", {
                params: { path: { claim_id: claim.claim_id } },
                body: { reason },
              }),
            ),
          )
          .then((moved) => {
            if (moved !== null) done({ key: "action.done.withdraw" });
          });
      }}
    >
      <TextArea id="withdraw-reason" label={t("action.reason")} value={reason} onValue={setReason} error={move.refusal.byControl["withdraw-reason"]} />
      <div class={confirmError === undefined ? "checkbox" : "checkbox field-error"}>
        {confirmError !== undefined && (
          <p id="withdraw-confirm-error" class="error-message">
            {confirmError}
          </p>
        )}
        <input
          type="checkbox"
          id="withdraw-confirm"
          checked={confirmed}
          aria-invalid={confirmError === undefined ? undefined : "true"}
          aria-describedby={confirmError === undefined ? undefined : "withdraw-confirm-error"}
          onChange={(event) => {
            setConfirmed(event.currentTarget.checked);
          }}
        />
        <label for="withdraw-confirm">{t("action.confirm_withdraw")}</label>
      </div>
    </MoveForm>
  );
}
