// The API's refusals (application/problem+json) read into one shape the screens can show.
import type { ClaimStatus, FieldError } from "./client";

export interface Problem {
  /** The HTTP status of the answer. */
  readonly httpStatus: number;
  /** The stable machine code (`validation_failed`, `invalid_transition`, ...), when there is one. */
  readonly code: string | null;
  /** The API's own explanation, in words. */
  readonly detail: string;
  /** Every refused field, for `validation_failed` and `contact_domain_mismatch`. */
  readonly errors: readonly FieldError[];
  /** For `invalid_transition`, the status the claim is in now. */
  readonly claimStatus: ClaimStatus | null;
  /** For `workload_already_claimed`, the caller's own claim that holds the unit. */
  readonly existingClaimId: string | null;
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function fieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is FieldError =>
      typeof entry === "object" &&
      entry !== null &&
      typeof (entry as Record<string, unknown>)["field"] === "string" &&
      typeof (entry as Record<string, unknown>)["message"] === "string",
  );
}

/** Reads the body openapi-fetch gave for a refused request (parsed JSON, or text). */
export function readProblem(body: unknown, httpStatus: number): Problem {
  const fields = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const code = text(fields["code"]);
  // The contract has an invalid_transition problem carry the claim's status in `status`.
  const claimStatus = code === "invalid_transition" ? text(fields["status"]) : null;
  return {
    httpStatus,
    code,
    detail: text(fields["detail"]) ?? text(fields["title"]) ?? (typeof body === "string" ? body : ""),
    errors: fieldErrors(fields["errors"]),
    claimStatus: claimStatus as ClaimStatus | null,
    existingClaimId: text(fields["existing_claim_id"]),
  };
}

/** A failure to reach the API at all (network, CORS), as a problem of its own. */
export function unreachable(cause: unknown): Problem {
  return {
    httpStatus: 0,
    code: "unreachable",
    detail: cause instanceof Error ? cause.message : String(cause),
    errors: [],
    claimStatus: null,
    existingClaimId: null,
  };
}
