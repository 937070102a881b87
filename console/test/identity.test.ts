import { describe, expect, test } from "vitest";
import { identityOf } from "../src/auth/identity";

function token(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}.signature`;
}

describe("who the token says is signed in", () => {
  /** A partner's token names the partner and the role. */
  test("a partner token names the partner and role", () => {
    expect(identityOf(token({ partner_id: "1234567", role: "incentives_admin" }), null)).toEqual({
      side: "partner",
      partnerId: "1234567",
      role: "incentives_admin",
      reviewer: null,
    });
  });

  /** A reviewer's token names the reviewer by its subject. */
  test("a reviewer token names the reviewer", () => {
    expect(identityOf(token({ role: "cpor_reviewer", sub: "alice" }), null)).toEqual({
      side: "reviewer",
      partnerId: null,
      role: "cpor_reviewer",
      reviewer: "alice",
    });
  });

  /** The console the person signed in to decides the side when the token does not say. */
  test("the chosen side decides when the token names no role", () => {
    expect(identityOf(token({ sub: "bob" }), "reviewer").reviewer).toBe("bob");
  });

  /** A partner id given as a number, and a token that is not a JWT, are read without failing. */
  test("odd tokens are read without failing", () => {
    expect(identityOf(token({ partner_id: 1234567, role: "incentives_user" }), null).partnerId).toBe("1234567");
    expect(identityOf("opaque", "partner")).toEqual({ side: "partner", partnerId: null, role: null, reviewer: null });
  });
});
