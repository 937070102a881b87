// Who is signed in, as the token says. The API checks the token; the console reads its claims
// only to greet the person and to offer the moves their role has.

export type Side = "partner" | "reviewer";

export interface Identity {
  readonly side: Side;
  /** The partner's id (a partner's token). */
  readonly partnerId: string | null;
  /** `incentives_admin` or `incentives_user` (a partner's token). */
  readonly role: string | null;
  /** The reviewer's own id, the token's `sub` (a reviewer's token). */
  readonly reviewer: string | null;
}

/** The claims of a JWT, unverified; an empty object for anything that is not one. */
export function tokenClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1];
  if (payload === undefined) return {};
  try {
    const base64 = payload.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function claim(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  // API Gateway passes every claim as a string; a token may carry the partner id as a number.
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number") return String(value);
  return null;
}

/**
 * The identity in `token`. `side` is the console the person chose to sign in to, when they
 * chose one (an identity provider's token need not name the role the way local tokens do).
 */
export function identityOf(token: string, side: Side | null): Identity {
  const claims = tokenClaims(token);
  const role = claim(claims, "role");
  if ((side ?? (role === "cpor_reviewer" ? "reviewer" : "partner")) === "reviewer") {
    return { side: "reviewer", partnerId: null, role, reviewer: claim(claims, "sub") };
  }
  return { side: "partner", partnerId: claim(claims, "partner_id"), role, reviewer: null };
}
