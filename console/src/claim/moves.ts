// Which moves the console offers for a claim: those its status allows, and no others. The API
// decides in the end; offering only what it would accept spares people a refusal. Each table
// names every status, so a status added to the contract fails the type check until it is placed.
import type { Claim, ClaimStatus } from "../api/client";

export type PartnerAction =
  | "respond"
  | "dispute"
  | "add_proof"
  | "upload"
  | "correct_contact"
  | "withdraw";

export type Decision = "approve" | "request_information" | "reject";

const PARTNER_ACTIONS: Readonly<Record<ClaimStatus, readonly PartnerAction[]>> = {
  submitted: ["add_proof", "upload", "correct_contact", "withdraw"],
  information_requested: ["respond", "add_proof", "upload", "correct_contact", "withdraw"],
  approved: ["add_proof", "upload", "correct_contact", "withdraw"],
  awaiting_customer: ["add_proof", "upload", "correct_contact", "withdraw"],
  associated: ["add_proof", "upload", "withdraw"],
  rejected: ["dispute", "upload"],
  disputed: ["add_proof", "upload", "withdraw"],
  declined: [],
  withdrawn: [],
  contested: ["add_proof", "upload", "withdraw"],
  superseded: [],
  customer_unreachable: ["upload", "correct_contact", "withdraw"],
  revoked: [],
  expired: [],
};

const DECISIONS: Readonly<Record<ClaimStatus, readonly Decision[]>> = {
  submitted: ["approve", "request_information", "reject"],
  information_requested: ["reject"],
  approved: [],
  awaiting_customer: [],
  associated: [],
  rejected: [],
  disputed: ["approve", "reject"],
  declined: [],
  withdrawn: [],
  contested: ["approve", "reject"],
  superseded: [],
  customer_unreachable: [],
  revoked: [],
  expired: [],
};

/** The partner's moves on `claim`; none for a role that may only read. */
export function partnerActions(
  claim: Pick<Claim, "status" | "review">,
  role: string | null,
): readonly PartnerAction[] {
  if (role !== "incentives_admin") return [];
  // A rejection that ended a dispute has no dispute window: it is final.
  return PARTNER_ACTIONS[claim.status].filter(
    (action) => action !== "dispute" || claim.review.dispute_until !== null,
  );
}

/** The reviewer's decisions on a claim in `status`. */
export function decisions(status: ClaimStatus): readonly Decision[] {
  return DECISIONS[status];
}
