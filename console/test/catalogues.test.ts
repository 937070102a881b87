import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { CATALOGUES, LANGUAGES, type Catalogue } from "../src/i18n/messages";

const english = CATALOGUES.en;

function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "").sort();
}

/** The values of an enum of openapi.yaml's schemas, read from the contract itself. */
function contractEnum(schema: string): string[] {
  const contract = parse(readFileSync(new URL("../../openapi.yaml", import.meta.url), "utf8")) as {
    components: { schemas: Record<string, { enum?: string[]; properties?: Record<string, { enum?: string[] }> }> };
  };
  const values = contract.components.schemas[schema]?.enum;
  if (values === undefined) throw new Error(`openapi.yaml has no enum ${schema}`);
  return values;
}

function customerNotificationStatuses(): string[] {
  const contract = parse(readFileSync(new URL("../../openapi.yaml", import.meta.url), "utf8")) as {
    components: { schemas: { CustomerNotification: { properties: { status: { enum: string[] } } } } };
  };
  return contract.components.schemas.CustomerNotification.properties.status.enum;
}

describe("the message catalogues", () => {
  /** Every language's catalogue has every key of the English one, and no other. */
  test.each(LANGUAGES)("the %s catalogue has exactly the English keys", (language) => {
    const catalogue: Catalogue = CATALOGUES[language];
    expect(Object.keys(catalogue).sort()).toEqual(Object.keys(english).sort());
  });

  /** A translation keeps every placeholder of its English message, so no value goes missing. */
  test.each(LANGUAGES)("the %s catalogue's messages have the English placeholders", (language) => {
    for (const [key, message] of Object.entries(english)) {
      const translated = CATALOGUES[language][key as keyof Catalogue];
      expect(placeholders(translated), `${language} ${key}`).toEqual(placeholders(message));
    }
  });

  /** No message is left empty. */
  test.each(LANGUAGES)("no message of the %s catalogue is empty", (language) => {
    for (const [key, message] of Object.entries(CATALOGUES[language])) {
      expect(message.trim(), `${language} ${key}`).not.toBe("");
    }
  });
});

describe("the contract's codes have words in every language", () => {
  const cases: [string, string[]][] = [
    ["status", contractEnum("ClaimStatus")],
    ["next", contractEnum("ClaimStatus")],
    ["event", contractEnum("HistoryEvent")],
    ["actor", contractEnum("Actor")],
    ["info_code", contractEnum("InformationCode")],
    ["rejection", contractEnum("RejectionCode")],
    ["notification", customerNotificationStatuses()],
  ];

  /** Each claim status, history event, actor and reason code of openapi.yaml has its words. */
  test.each(cases)("each %s of openapi.yaml has words in every language", (prefix, codes) => {
    expect(codes.length).toBeGreaterThan(0);
    for (const language of LANGUAGES) {
      for (const code of codes) {
        expect(CATALOGUES[language], `${language}: ${prefix}.${code}`).toHaveProperty([`${prefix}.${code}`]);
      }
    }
  });
});
