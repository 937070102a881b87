import { describe, expect, test } from "vitest";
import type { ClaimStatus } from "../src/api/client";
import { decisions, partnerActions } from "../src/claim/moves";
import { CLAIM_STATUSES } from "../src/claim/progress";

const review = { information_request: null, response_due: null, rejection: null, dispute_until: null };

function claim(status: ClaimStatus, disputeUntil: string | null = null) {
  return { status, review: { ...review, dispute_until: disputeUntil } };
}

describe("the partner's moves a status allows", () => {
  /** Only a claim waiting for the partner's answer offers "Respond". */
  test("respond is offered only while information is requested", () => {
    const offering = CLAIM_STATUSES.filter((status) => partnerActions(claim(status, "2026-12-01T00:00:00.000Z"), "incentives_admin").includes("respond"));
    expect(offering).toEqual(["information_requested"]);
  });

  /** A rejection may be disputed while its window is open; one that ended a dispute is final. */
  test("dispute is offered for a rejection with a dispute window only", () => {
    expect(partnerActions(claim("rejected", "2027-01-01T00:00:00.000Z"), "incentives_admin")).toEqual(["dispute", "upload"]);
    expect(partnerActions(claim("rejected", null), "incentives_admin")).toEqual(["upload"]);
  });

  /** A final claim offers nothing. */
  test("a final claim offers no move", () => {
    for (const status of ["declined", "withdrawn", "superseded", "revoked"] as const) {
      expect(partnerActions(claim(status), "incentives_admin"), status).toEqual([]);
    }
  });

  /** Withdrawing is possible from every status but rejected and the final ones. */
  test("withdraw is offered from every status but rejected and the final ones", () => {
    const offering = CLAIM_STATUSES.filter((status) => partnerActions(claim(status), "incentives_admin").includes("withdraw"));
    expect(offering.sort()).toEqual(
      ["submitted", "information_requested", "approved", "awaiting_customer", "associated", "disputed", "contested", "customer_unreachable"].sort(),
    );
  });

  /** A newer proof may be added while the claim holds its unit or is disputed or contested, not while unreachable. */
  test("add newer proof follows the statuses the API allows it in", () => {
    const offering = CLAIM_STATUSES.filter((status) => partnerActions(claim(status), "incentives_admin").includes("add_proof"));
    expect(offering.sort()).toEqual(["submitted", "information_requested", "approved", "awaiting_customer", "associated", "disputed", "contested"].sort());
  });

  /** The customer contact may be corrected while the claim holds its unit and is not yet official. */
  test("correct customer contact is offered until the claim is official", () => {
    const offering = CLAIM_STATUSES.filter((status) => partnerActions(claim(status), "incentives_admin").includes("correct_contact"));
    expect(offering.sort()).toEqual(["submitted", "information_requested", "approved", "awaiting_customer", "customer_unreachable"].sort());
  });

  /** Documents may be added until the claim is final. */
  test("upload document is offered until the claim is final", () => {
    const offering = CLAIM_STATUSES.filter((status) => partnerActions(claim(status), "incentives_admin").includes("upload"));
    expect(offering.sort()).toEqual(CLAIM_STATUSES.filter((s) => !["declined", "withdrawn", "superseded", "revoked", "expired"].includes(s)).sort());
  });

  /** A partner user (incentives_user), or a token with no known role, sees no move at all. */
  test("a read-only role is offered no move", () => {
    for (const status of CLAIM_STATUSES) {
      expect(partnerActions(claim(status, "2027-01-01T00:00:00.000Z"), "incentives_user")).toEqual([]);
      expect(partnerActions(claim(status, "2027-01-01T00:00:00.000Z"), null)).toEqual([]);
    }
  });
});

describe("the reviewer's decisions a status allows", () => {
  /** A submitted claim can be approved, sent back for information, or rejected. */
  test("a submitted claim can take each decision", () => {
    expect(decisions("submitted")).toEqual(["approve", "request_information", "reject"]);
  });

  /** Disputes and contests are approved or rejected; information is requested only of a submitted claim. */
  test("a dispute or a contest is approved or rejected", () => {
    expect(decisions("disputed")).toEqual(["approve", "reject"]);
    expect(decisions("contested")).toEqual(["approve", "reject"]);
  });

  /** A claim waiting for the partner's answer may still be rejected, and nothing else. */
  test("a claim waiting for information may only be rejected", () => {
    expect(decisions("information_requested")).toEqual(["reject"]);
  });

  /** Outside review, no decision is offered. */
  test("a claim out of review offers no decision", () => {
    const deciding = CLAIM_STATUSES.filter((status) => decisions(status).length > 0);
    expect(deciding.sort()).toEqual(["contested", "disputed", "information_requested", "submitted"]);
  });
});
