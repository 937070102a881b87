// New claim: the submission form. Every field the API refuses is marked at once, beside the
// field, with the API's message; a unit another partner holds can be contested from here.
import { useMemo, useState } from "preact/hooks";
import { useConsole } from "../app/context";
import { flash } from "../app/flash";
import { outcome } from "../api/load";
import type { Problem } from "../api/problem";
import { CustomerContactFields, type ContactValues } from "../forms/CustomerContactFields";
import { NO_REFUSAL, refusalOf, type Refusal } from "../forms/refusal";
import {
  EMPTY_SUBMISSION,
  idempotencyKey,
  SUBMISSION_FIELDS,
  submissionOf,
  type SubmissionControl,
  type SubmissionValues,
} from "../forms/submission";
import { Link, navigate } from "../router";
import { ErrorSummary } from "../ui/ErrorSummary";
import { RefusedIn, SelectField, TextArea, TextField } from "../ui/fields";
import { Screen } from "../ui/Screen";

export function NewClaim() {
  const { api, words, names, session } = useConsole();
  const { t } = words;
  const [values, setValues] = useState<SubmissionValues>(EMPTY_SUBMISSION);
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const [conflict, setConflict] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const formId = useMemo(() => crypto.randomUUID(), []);
  const set = (changes: Partial<Record<SubmissionControl, string>>) => {
    setValues((earlier) => ({ ...earlier, ...changes }));
  };
  const programs = names.catalogue?.programs ?? [];
  const chosen = programs.find((entry) => entry.program === values.program);
  const needsSubscription = chosen?.needs_subscription ?? false;

  if (session.identity.role !== "incentives_admin") {
    return (
      <Screen title={t("new.title")}>
        <p>{t("claim.read_only")}</p>
      </Screen>
    );
  }

  const submit = async (contest: boolean) => {
    const request = submissionOf(values, needsSubscription, contest);
    setBusy(true);
    const answer = await outcome(
      api.POST("/v1/claims", {
        body: request,
        params: { header: { "Idempotency-Key": await idempotencyKey(formId, request) } },
      }),
    );
    setBusy(false);
    if (answer.ok) {
      flash({ key: "new.submitted" });
      navigate(`claims/${answer.data.claim_id}`);
      return;
    }
    if (answer.problem.code === "workload_already_claimed") {
      setRefusal(NO_REFUSAL);
      setConflict(answer.problem);
      return;
    }
    setRefusal(refusalOf(answer.problem, SUBMISSION_FIELDS));
  };
  const errors = refusal.byControl;
  const contact: ContactValues = {
    name: values.customer_name,
    email: values.customer_email,
    title: values.customer_title,
    language: values.customer_language,
    timeZone: values.customer_time_zone,
  };

  return (
    <Screen title={t("new.title")}>
      <RefusedIn refusal={refusal}>
        <ErrorSummary refusal={refusal} />
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            setConflict(null);
            void submit(false);
          }}
        >
          <fieldset>
            <legend>{t("new.customer")}</legend>
            <TextField id="tenant_id" label={t("field.tenant_id")} hint={t("hint.tenant_id")} value={values.tenant_id} onValue={(v) => { set({ tenant_id: v }); }} error={errors["tenant_id"]} />
            <TextField id="customer_domain" label={t("field.customer_domain")} hint={t("hint.customer_domain")} value={values.customer_domain} onValue={(v) => { set({ customer_domain: v }); }} error={errors["customer_domain"]} />
          </fieldset>
          <fieldset>
            <legend>{t("new.workload")}</legend>
            <SelectField
              id="program"
              label={t("field.program")}
              value={values.program}
              onValue={(v) => { set({ program: v, workload: "" }); }}
              choices={[
                { value: "", label: t("common.choose") },
                ...programs.map((entry) => ({ value: entry.program, label: entry.name })),
              ]}
              error={errors["program"]}
            />
            <SelectField
              id="workload"
              label={t("field.workload")}
              hint={chosen === undefined ? t("new.choose_program_first") : undefined}
              value={values.workload}
              onValue={(v) => { set({ workload: v }); }}
              choices={[
                { value: "", label: t("common.choose") },
                ...(chosen?.workloads ?? []).map((entry) => ({ value: entry.workload, label: entry.name })),
              ]}
              error={errors["workload"]}
            />
            {needsSubscription && (
              <TextField id="subscription_id" label={t("field.subscription_id")} hint={t("hint.subscription_id")} value={values.subscription_id} onValue={(v) => { set({ subscription_id: v }); }} error={errors["subscription_id"]} />
            )}
          </fieldset>
          <fieldset>
            <legend>{t("new.customer_contact")}</legend>
            <CustomerContactFields
              prefix=""
              values={contact}
              set={(changes) => {
                set({
                  ...(changes.name === undefined ? {} : { customer_name: changes.name }),
                  ...(changes.email === undefined ? {} : { customer_email: changes.email }),
                  ...(changes.title === undefined ? {} : { customer_title: changes.title }),
                  ...(changes.language === undefined ? {} : { customer_language: changes.language }),
                  ...(changes.timeZone === undefined ? {} : { customer_time_zone: changes.timeZone }),
                });
              }}
              errors={errors}
            />
          </fieldset>
          <fieldset>
            <legend>{t("new.partner_contact")}</legend>
            <TextField id="partner_contact_name" label={t("field.partner_contact_name")} autoComplete="name" value={values.partner_contact_name} onValue={(v) => { set({ partner_contact_name: v }); }} error={errors["partner_contact_name"]} />
            <TextField id="partner_contact_email" label={t("field.partner_contact_email")} type="email" autoComplete="email" value={values.partner_contact_email} onValue={(v) => { set({ partner_contact_email: v }); }} error={errors["partner_contact_email"]} />
          </fieldset>
          <fieldset>
            <legend>{t("new.proof")}</legend>
            <TextField id="poe_reference" label={t("field.poe_reference")} hint={t("hint.poe_reference")} value={values.poe_reference} onValue={(v) => { set({ poe_reference: v }); }} error={errors["poe_reference"]} />
            <TextField id="signed_on" type="date" label={t("field.signed_on")} hint={t("hint.signed_on")} value={values.signed_on} onValue={(v) => { set({ signed_on: v }); }} error={errors["signed_on"]} />
          </fieldset>
          <button type="submit" disabled={busy}>
            {t("new.submit")}
          </button>
        </form>
        {conflict !== null && (
          <section class="panel" aria-labelledby="conflict-title">
            <h2 id="conflict-title">{t("new.conflict_title")}</h2>
            {conflict.existingClaimId !== null ? (
              <p>
                {t("new.yours")} <Link to={`claims/${conflict.existingClaimId}`}>{t("new.open_yours")}</Link>
              </p>
            ) : (
              <form
                noValidate
                onSubmit={(event) => {
                  event.preventDefault();
                  void submit(true);
                }}
              >
                <p>{t("new.conflict_text")}</p>
                <TextArea id="contest" label={t("new.contest")} value={values.contest} onValue={(v) => { set({ contest: v }); }} error={errors["contest"]} />
                <button type="submit" disabled={busy}>
                  {t("new.submit_contest")}
                </button>
              </form>
            )}
          </section>
        )}
      </RefusedIn>
    </Screen>
  );
}
