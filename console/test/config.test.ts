import { describe, expect, test } from "vitest";
import { ConfigError, parseConfig } from "../src/config";

describe("config.json", () => {
  /** Locally the file names no identity provider: the local sign-in form stands in. */
  test("no identity provider is the local stack", () => {
    expect(parseConfig({ api_base_url: "" })).toEqual({ apiBaseUrl: "", partner: null, reviewer: null });
  });

  /** Each identity provider needs an issuer URL and a client id; the scope defaults to openid. */
  test("an identity provider has an issuer and a client id", () => {
    const config = parseConfig({
      api_base_url: "https://api.example.com/",
      reviewer: { issuer: "https://login.example.com/reviewers", client_id: "review-console" },
    });
    expect(config).toEqual({
      apiBaseUrl: "https://api.example.com",
      partner: null,
      reviewer: { issuer: "https://login.example.com/reviewers", clientId: "review-console", scope: "openid" },
    });
  });

  /** A file that would leave the console half-configured is refused at start, saying what is wrong. */
  test("a bad file is refused with the reason", () => {
    expect(() => parseConfig(null)).toThrow(ConfigError);
    expect(() => parseConfig({ api_base_url: "api.example.com" })).toThrow(/api_base_url/);
    expect(() => parseConfig({ api_base_url: "", partner: { issuer: "https://x.example" } })).toThrow(/partner.client_id/);
    expect(() => parseConfig({ api_base_url: "", partner: { issuer: "x", client_id: "c" } })).toThrow(/partner.issuer/);
  });
});
