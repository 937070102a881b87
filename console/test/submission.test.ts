import { describe, expect, test } from "vitest";
import { EMPTY_SUBMISSION, idempotencyKey, submissionOf } from "../src/forms/submission";

const filled = {
  ...EMPTY_SUBMISSION,
  tenant_id: " 0f8fad5b-d9cb-469f-a165-70867728950e ",
  customer_domain: "contoso.onmicrosoft.com",
  program: "osu-bizapps",
  workload: "power-bi",
  subscription_id: "7d3f2a1b-0c4e-4f5a-8b6c-9d0e1f2a3b4c",
  customer_name: "Giulia Rossi",
  customer_email: "giulia@contoso.com",
  customer_language: "it",
  partner_contact_name: "Sam Lee",
  partner_contact_email: "sam@fabrikam.com",
  poe_reference: "SOW-2026-4711",
  signed_on: "2026-10-01",
  contest: "We deployed it",
};

describe("the New claim request", () => {
  /** A subscription goes only for a program that needs one; otherwise null, as the API asks. */
  test("a subscription is sent only for a program that needs one", () => {
    expect(submissionOf(filled, true, false).subscription_id).toBe("7d3f2a1b-0c4e-4f5a-8b6c-9d0e1f2a3b4c");
    expect(submissionOf(filled, false, false).subscription_id).toBeNull();
  });

  /** Optional contact fields left empty are null, and text is sent trimmed. */
  test("empty optional fields are null and text is trimmed", () => {
    const request = submissionOf(filled, true, false);
    expect(request.tenant_id).toBe("0f8fad5b-d9cb-469f-a165-70867728950e");
    expect(request.customer_contact).toEqual({ name: "Giulia Rossi", email: "giulia@contoso.com", title: null, locale: "it", time_zone: null });
  });

  /** A contest's justification goes only with "Submit contest". */
  test("the contest goes only when asked for", () => {
    expect(submissionOf(filled, true, false).contest).toBeUndefined();
    expect(submissionOf(filled, true, true).contest).toEqual({ justification: "We deployed it" });
  });

  /** A second click sends the same key (the API answers the first claim again); any change, another. */
  test("the idempotency key follows the request", async () => {
    const request = submissionOf(filled, true, false);
    const key = await idempotencyKey("form-1", request);
    expect(key).toMatch(/^console-[0-9a-f]{64}$/);
    expect(await idempotencyKey("form-1", request)).toBe(key);
    expect(await idempotencyKey("form-1", submissionOf({ ...filled, customer_name: "G. Rossi" }, true, false))).not.toBe(key);
    expect(await idempotencyKey("form-2", request)).not.toBe(key);
  });
});
