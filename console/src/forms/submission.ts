// The "New claim" form: its controls, the request they make, and where the API's refusals go.
import type { ClaimSubmission, CustomerContactInput, Program } from "../api/client";
import type { FormFields } from "./refusal";

export const SUBMISSION_CONTROLS = [
  "tenant_id",
  "customer_domain",
  "program",
  "workload",
  "subscription_id",
  "customer_name",
  "customer_email",
  "customer_title",
  "customer_language",
  "customer_time_zone",
  "partner_contact_name",
  "partner_contact_email",
  "poe_reference",
  "signed_on",
  "contest",
] as const;

export type SubmissionControl = (typeof SUBMISSION_CONTROLS)[number];
export type SubmissionValues = Readonly<Record<SubmissionControl, string>>;

export const EMPTY_SUBMISSION: SubmissionValues = Object.fromEntries(
  SUBMISSION_CONTROLS.map((control) => [control, ""]),
) as Record<SubmissionControl, string>;

export const SUBMISSION_FIELDS: FormFields = {
  paths: {
    tenant_id: "tenant_id",
    customer_domain: "customer_domain",
    program: "program",
    workload: "workload",
    subscription_id: "subscription_id",
    customer_contact: "customer_name",
    "customer_contact.name": "customer_name",
    "customer_contact.email": "customer_email",
    "customer_contact.title": "customer_title",
    "customer_contact.locale": "customer_language",
    "customer_contact.time_zone": "customer_time_zone",
    partner_contact: "partner_contact_name",
    "partner_contact.name": "partner_contact_name",
    "partner_contact.email": "partner_contact_email",
    proof_of_execution: "poe_reference",
    "proof_of_execution.reference": "poe_reference",
    "proof_of_execution.signed_on": "signed_on",
    contest: "contest",
    "contest.justification": "contest",
  },
  // The reference-data refusals name no field; each is about one all the same.
  codes: {
    unknown_tenant: "tenant_id",
    domain_tenant_mismatch: "customer_domain",
    subscription_not_found: "subscription_id",
    subscription_not_active: "subscription_id",
    partner_not_enrolled: "program",
    contact_domain_mismatch: "customer_email",
  },
};

function optional(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

/**
 * The request for `values`. Every value goes as typed, even empty or out of its rules: the API
 * checks them all at once and names each refused field. A subscription goes only for a program
 * that needs one; a contest only when asked for.
 */
export function submissionOf(
  values: SubmissionValues,
  needsSubscription: boolean,
  contest: boolean,
): ClaimSubmission {
  const request: ClaimSubmission = {
    tenant_id: values.tenant_id.trim(),
    customer_domain: values.customer_domain.trim(),
    // The API names an unknown program or workload; the console does not guess at one.
    program: values.program as Program,
    workload: values.workload,
    subscription_id: needsSubscription ? values.subscription_id.trim() : null,
    customer_contact: {
      name: values.customer_name.trim(),
      email: values.customer_email.trim(),
      title: optional(values.customer_title),
      locale: optional(values.customer_language),
      // The API knows its zone database; a zone it does not know, it names.
      time_zone: optional(values.customer_time_zone) as CustomerContactInput["time_zone"],
    },
    partner_contact: {
      name: values.partner_contact_name.trim(),
      email: values.partner_contact_email.trim(),
    },
    proof_of_execution: {
      reference: values.poe_reference.trim(),
      signed_on: values.signed_on,
    },
  };
  if (contest) request.contest = { justification: values.contest };
  return request;
}

/**
 * The Idempotency-Key of a submission: the same for the same request from this form (a second
 * click, a retry after a lost answer), another for any change, which the API would otherwise
 * refuse as a reused key.
 */
export async function idempotencyKey(formId: string, request: ClaimSubmission): Promise<string> {
  const bytes = new TextEncoder().encode(`${formId}\n${JSON.stringify(request)}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return `console-${Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
