import { describe, expect, test } from "vitest";
import { readProblem } from "../src/api/problem";
import { ownRefusal, refusalOf } from "../src/forms/refusal";
import { SUBMISSION_FIELDS } from "../src/forms/submission";

function validationFailed(errors: { field: string; code: string; message: string }[]) {
  return readProblem(
    { type: "urn:cpor:problem:validation_failed", title: "t", status: 400, detail: "The request has invalid fields", code: "validation_failed", errors },
    400,
  );
}

describe("the API's refusal beside the fields of New claim", () => {
  /** Every refused field is marked at once, each beside its own control, with the API's words. */
  test("every refused field is marked beside its control", () => {
    // GIVEN a refusal naming three fields
    const problem = validationFailed([
      { field: "tenant_id", code: "invalid_guid", message: "not a GUID" },
      { field: "customer_contact.email", code: "invalid_email", message: "not an e-mail address" },
      { field: "proof_of_execution.signed_on", code: "poe_too_old", message: "older than 12 months" },
    ]);
    // WHEN it is read for the form
    const refusal = refusalOf(problem, SUBMISSION_FIELDS);
    // THEN each message is beside its control, and the summary links each, in the API's order
    expect(refusal.byControl).toEqual({
      tenant_id: "not a GUID",
      customer_email: "not an e-mail address",
      signed_on: "older than 12 months",
    });
    expect(refusal.summary.map((line) => line.control)).toEqual(["tenant_id", "customer_email", "signed_on"]);
  });

  /** Two refusals of one field are both said beside it. */
  test("two messages for one field are both shown", () => {
    const refusal = refusalOf(
      validationFailed([
        { field: "customer_contact.name", code: "too_long", message: "too long." },
        { field: "customer_contact.name", code: "invalid_value", message: "no links." },
      ]),
      SUBMISSION_FIELDS,
    );
    expect(refusal.byControl["customer_name"]).toBe("too long. no links.");
    expect(refusal.summary).toHaveLength(2);
  });

  /** A field the form has no control for goes to the nearest parent's control, else to the summary alone. */
  test("an unknown field goes to its parent's control or to the summary alone", () => {
    const refusal = refusalOf(
      validationFailed([
        { field: "customer_contact.phone", code: "unknown_field", message: "unknown field" },
        { field: "Idempotency-Key", code: "invalid_value", message: "bad key" },
      ]),
      SUBMISSION_FIELDS,
    );
    expect(refusal.byControl).toEqual({ customer_name: "unknown field" });
    expect(refusal.summary).toEqual([
      { control: "customer_name", message: "unknown field" },
      { control: null, message: "bad key" },
    ]);
  });

  /** A reference-data refusal names no field, yet it is about one: it is marked there. */
  test("an unknown tenant is marked at the tenant's field", () => {
    const problem = readProblem(
      { type: "urn:cpor:problem:unknown_tenant", title: "t", status: 422, detail: "The tenant is not in the directory", code: "unknown_tenant" },
      422,
    );
    expect(refusalOf(problem, SUBMISSION_FIELDS)).toEqual({
      byControl: { tenant_id: "The tenant is not in the directory" },
      summary: [{ control: "tenant_id", message: "The tenant is not in the directory" }],
      lang: "en",
    });
  });

  /** A problem about no field is said in the summary alone. */
  test("a problem about no field is only in the summary", () => {
    const problem = readProblem({ code: "service_unavailable", detail: "try later", status: 503 }, 503);
    expect(refusalOf(problem, SUBMISSION_FIELDS)).toEqual({
      byControl: {},
      summary: [{ control: null, message: "try later" }],
      lang: "en",
    });
  });

  /**
   * The API words its refusals in English whatever the console's language, so they are marked
   * English for a screen reader; the console's own refusals are in the page's language.
   */
  test("the API's messages are marked English, the console's own are not", () => {
    const problem = readProblem({ code: "service_unavailable", detail: "try later", status: 503 }, 503);
    expect(refusalOf(problem, SUBMISSION_FIELDS).lang).toBe("en");
    expect(ownRefusal("upload-file", "Choisissez un fichier.")).toEqual({
      byControl: { "upload-file": "Choisissez un fichier." },
      summary: [{ control: "upload-file", message: "Choisissez un fichier." }],
      lang: null,
    });
  });
});

describe("reading a problem", () => {
  /** An invalid_transition problem carries the claim's status now in `status`, not the HTTP status. */
  test("an invalid transition says the claim's status now", () => {
    const problem = readProblem(
      { type: "urn:cpor:problem:invalid_transition", title: "t", status: "approved", detail: "d", code: "invalid_transition" },
      409,
    );
    expect(problem.claimStatus).toBe("approved");
    expect(problem.httpStatus).toBe(409);
  });

  /** A body that is not a problem (a proxy's page) still gives its text. */
  test("a body that is not a problem gives its text", () => {
    const problem = readProblem("Bad Gateway", 502);
    expect(problem).toMatchObject({ code: null, detail: "Bad Gateway", errors: [] });
  });
});
