// The console's words in six languages, kept as data: one catalogue per language, each with
// every key of the English one (a test fails otherwise, and so does the type check below).
import de from "./de.json";
import en from "./en.json";
import es from "./es.json";
import fr from "./fr.json";
import it from "./it.json";
import ja from "./ja.json";

export const LANGUAGES = ["en", "it", "de", "fr", "es", "ja"] as const;
export type Language = (typeof LANGUAGES)[number];
export type MessageKey = keyof typeof en;
export type Catalogue = Readonly<Record<MessageKey, string>>;

export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, it, de, fr, es, ja };

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

/** Whether `key` names a message (every catalogue has the English one's keys). */
export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** The first of the browser's preferred languages the console speaks (by primary subtag). */
export function pickLanguage(preferences: readonly string[]): Language {
  for (const tag of preferences) {
    const primary = tag.toLowerCase().split("-")[0] ?? "";
    if (isLanguage(primary)) return primary;
  }
  return "en";
}

/** A message with its `{name}` placeholders filled; a placeholder without a value stays as is. */
export function translate(
  language: Language,
  key: MessageKey,
  values: Readonly<Record<string, string | number>> = {},
): string {
  return CATALOGUES[language][key].replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : String(value);
  });
}
