// Where a claim stands in words: its status, what happens next and by when.
import type { Claim, ClaimStatus } from "../api/client";
import type { MessageKey } from "../i18n/messages";

/** A deadline that matters to the partner now. */
export interface Deadline {
  readonly at: string;
  /** The zone it is shown in: the customer's for their opt-out window, else the reader's own. */
  readonly timeZone: string | null;
}

type Facts = Pick<Claim, "status" | "review" | "opt_out_deadline" | "customer_contact">;

const DEADLINES: Readonly<Record<ClaimStatus, (claim: Facts) => Deadline | null>> = {
  submitted: () => null,
  information_requested: (claim) => at(claim.review.response_due),
  approved: () => null,
  awaiting_customer: (claim) =>
    claim.opt_out_deadline === null
      ? null
      : { at: claim.opt_out_deadline, timeZone: claim.customer_contact.time_zone },
  associated: () => null,
  rejected: (claim) => at(claim.review.dispute_until),
  disputed: () => null,
  declined: () => null,
  withdrawn: () => null,
  contested: () => null,
  superseded: () => null,
  customer_unreachable: () => null,
  revoked: () => null,
  expired: () => null,
};

function at(instant: string | null): Deadline | null {
  return instant === null ? null : { at: instant, timeZone: null };
}

/** The next deadline of the claim: to respond, for the customer to opt out, or to dispute. */
export function nextDeadline(claim: Facts): Deadline | null {
  return DEADLINES[claim.status](claim);
}

export function statusWords(status: ClaimStatus): MessageKey {
  return `status.${status}`;
}

/** What happens next, as a message whose `{deadline}` and `{words}` say by when. */
export function nextStep(claim: Facts): MessageKey {
  if (claim.status === "rejected" && claim.review.dispute_until === null) {
    return "next.rejected_final";
  }
  return `next.${claim.status}`;
}

/** Every status of the contract, in its order (the table above names each). */
export const CLAIM_STATUSES = Object.keys(DEADLINES) as readonly ClaimStatus[];
