import { describe, expect, test } from "vitest";
import { pickLanguage, translate } from "../src/i18n/messages";
import { match } from "../src/router";

describe("the language", () => {
  /** The browser's first preferred language the console speaks wins, by its primary subtag. */
  test("the first preferred language spoken wins", () => {
    expect(pickLanguage(["pt-BR", "it-CH", "en"])).toBe("it");
    expect(pickLanguage(["ja-JP"])).toBe("ja");
  });

  /** Without one the console speaks, English. */
  test("english when no preferred language is spoken", () => {
    expect(pickLanguage(["pt-BR", "nl"])).toBe("en");
    expect(pickLanguage([])).toBe("en");
  });

  /** Placeholders are filled; one without a value stays visible rather than vanishing. */
  test("placeholders are filled", () => {
    expect(translate("en", "review.decided", { status: "Approved" })).toBe("Decision recorded: the claim is now Approved.");
    expect(translate("en", "review.decided")).toBe("Decision recorded: the claim is now {status}.");
  });
});

describe("screens by address", () => {
  /** A pattern's parameter is one whole, non-empty segment. */
  test("a claim's address names its id", () => {
    expect(match("claims/:id", "claims/01JDX3K2Z4W5Y6V7T8S9R0Q1P2")).toEqual({ id: "01JDX3K2Z4W5Y6V7T8S9R0Q1P2" });
    expect(match("claims/:id", "claims/")).toBeNull();
    expect(match("claims/:id", "claims/a/b")).toBeNull();
    expect(match("claims", "claims/")).toEqual({});
  });
});
