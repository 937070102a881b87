import { describe, expect, test } from "vitest";
import { formatDay, formatInstant, inWords } from "../src/i18n/time";

const NOW = new Date("2026-12-04T10:00:00.000Z");

describe("deadlines in words", () => {
  /** A deadline days away says how many whole days are left, counted toward now. */
  test("five days and fourteen hours left is in five days", () => {
    expect(inWords("2026-12-09T23:59:59.999Z", NOW, "en")).toBe("in 5 days");
  });

  /** The day after is tomorrow, in words, not "in 1 day". */
  test("a deadline a day away is tomorrow", () => {
    expect(inWords("2026-12-05T11:00:00.000Z", NOW, "en")).toBe("tomorrow");
  });

  /** Under a day, the hours are counted. */
  test("a deadline hours away is counted in hours", () => {
    expect(inWords("2026-12-04T15:30:00.000Z", NOW, "en")).toBe("in 5 hours");
  });

  /** Under an hour, the minutes are counted. */
  test("a deadline minutes away is counted in minutes", () => {
    expect(inWords("2026-12-04T10:20:00.000Z", NOW, "en")).toBe("in 20 minutes");
  });

  /** A passed deadline says how long ago. */
  test("a passed deadline is some days ago", () => {
    expect(inWords("2026-12-01T09:00:00.000Z", NOW, "en")).toBe("3 days ago");
  });

  /** The words are in the reader's language. */
  test("the words are in the reader's language", () => {
    expect(inWords("2026-12-09T23:59:59.999Z", NOW, "it")).toBe("tra 5 giorni");
    expect(inWords("2026-12-09T23:59:59.999Z", NOW, "de")).toBe("in 5 Tagen");
    expect(inWords("2026-12-09T23:59:59.999Z", NOW, "ja")).toBe("5 日後");
  });
});

describe("dates for the language", () => {
  /** An opt-out deadline shows in the customer's time zone, as the e-mail told them. */
  test("a deadline shows in the time zone asked for", () => {
    expect(formatInstant("2026-12-09T22:59:59.999Z", "en", "Europe/Rome")).toBe("9 Dec 2026, 23:59");
    expect(formatInstant("2026-12-09T22:59:59.999Z", "en", "UTC")).toBe("9 Dec 2026, 22:59");
  });

  /** Each language writes dates its own way. */
  test("dates are written the language's way", () => {
    expect(formatInstant("2026-12-09T22:59:59.999Z", "de", "Europe/Rome")).toBe("09.12.2026, 23:59");
    expect(formatInstant("2026-12-09T22:59:59.999Z", "ja", "Asia/Tokyo")).toBe("2026/12/10 7:59");
  });

  /** A time zone the browser does not know falls back to UTC rather than failing the screen. */
  test("an unknown time zone shows the time in UTC", () => {
    expect(formatInstant("2026-12-09T22:59:59.999Z", "en", "Mars/Olympus_Mons")).toBe("9 Dec 2026, 22:59");
  });

  /** A calendar day stays that day whatever the reader's time zone. */
  test("a day is that day in every time zone", () => {
    expect(formatDay("2026-10-01", "en")).toBe("1 Oct 2026");
  });
});
