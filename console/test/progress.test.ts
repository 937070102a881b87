import { describe, expect, test } from "vitest";
import type { ClaimStatus } from "../src/api/client";
import { CLAIM_STATUSES, nextDeadline, nextStep } from "../src/claim/progress";

function claim(status: ClaimStatus, review: Partial<{ response_due: string; dispute_until: string }> = {}, optOut: string | null = null) {
  return {
    status,
    review: { information_request: null, rejection: null, response_due: review.response_due ?? null, dispute_until: review.dispute_until ?? null },
    opt_out_deadline: optOut,
    customer_contact: { name: "Giulia", email: "g@contoso.com", title: null, locale: "it", time_zone: "Europe/Rome" },
  };
}

describe("the next deadline of a claim", () => {
  /** Waiting for the customer, the deadline is the opt-out window's end, in the customer's time zone. */
  test("the opt-out deadline is in the customer's time zone", () => {
    expect(nextDeadline(claim("awaiting_customer", {}, "2026-12-09T22:59:59.999Z"))).toEqual({
      at: "2026-12-09T22:59:59.999Z",
      timeZone: "Europe/Rome",
    });
  });

  /** An information request's deadline is the response's due time. */
  test("information requested is due by the response deadline", () => {
    expect(nextDeadline(claim("information_requested", { response_due: "2026-12-11T23:59:59.999Z" }))).toEqual({
      at: "2026-12-11T23:59:59.999Z",
      timeZone: null,
    });
  });

  /** A rejection's deadline is the end of its dispute window; a final one has none. */
  test("a rejection is due by its dispute window", () => {
    expect(nextDeadline(claim("rejected", { dispute_until: "2027-01-03T00:00:00.000Z" }))?.at).toBe("2027-01-03T00:00:00.000Z");
    expect(nextDeadline(claim("rejected"))).toBeNull();
    expect(nextStep(claim("rejected"))).toBe("next.rejected_final");
    expect(nextStep(claim("rejected", { dispute_until: "2027-01-03T00:00:00.000Z" }))).toBe("next.rejected");
  });

  /** Only those three statuses wait on a deadline of the partner's or the customer's. */
  test("other statuses have no deadline", () => {
    const dated = CLAIM_STATUSES.filter(
      (status) =>
        nextDeadline(claim(status, { response_due: "2026-12-11T23:59:59.999Z", dispute_until: "2027-01-03T00:00:00.000Z" }, "2026-12-09T22:59:59.999Z")) !== null,
    );
    expect(dated.sort()).toEqual(["awaiting_customer", "information_requested", "rejected"]);
  });
});
