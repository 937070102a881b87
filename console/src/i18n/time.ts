// Dates and deadlines for people: formatted for the language, and deadlines also in words
// ("in 5 days"), relative to now.
import type { Language } from "./messages";

// British English writes "9 Dec 2026, 23:59", day first and on a 24-hour clock, which reads
// unambiguously to the partners and reviewers of every country.
const LOCALES: Readonly<Record<Language, string>> = {
  en: "en-GB",
  it: "it",
  de: "de",
  fr: "fr",
  es: "es",
  ja: "ja",
};

export function localeOf(language: Language): string {
  return LOCALES[language];
}

/** An instant (RFC 3339) as a date and time, in `timeZone` or the browser's own. */
export function formatInstant(instant: string, language: Language, timeZone?: string): string {
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
  if (timeZone !== undefined) options.timeZone = timeZone;
  try {
    return new Intl.DateTimeFormat(LOCALES[language], options).format(new Date(instant));
  } catch {
    // A zone this browser does not know: the time in UTC says the same instant.
    return new Intl.DateTimeFormat(LOCALES[language], { ...options, timeZone: "UTC" }).format(
      new Date(instant),
    );
  }
}

/** A calendar day (`YYYY-MM-DD`), which has no time zone of its own. */
export function formatDay(day: string, language: Language): string {
  return new Intl.DateTimeFormat(LOCALES[language], { dateStyle: "medium", timeZone: "UTC" }).format(
    new Date(`${day}T00:00:00Z`),
  );
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How far `instant` is from `now`, in words: "in 5 days", "tomorrow", "in 3 hours", "2 days
 * ago". Whole units only, counted toward now, so a deadline never sounds further away than it
 * is: 5 days and 14 hours left is "in 5 days".
 */
export function inWords(instant: string, now: Date, language: Language): string {
  const words = new Intl.RelativeTimeFormat(LOCALES[language], { numeric: "auto" });
  const left = new Date(instant).getTime() - now.getTime();
  const size = Math.abs(left);
  if (size < HOUR) return words.format(Math.trunc(left / MINUTE), "minute");
  if (size < DAY) return words.format(Math.trunc(left / HOUR), "hour");
  return words.format(Math.trunc(left / DAY), "day");
}
