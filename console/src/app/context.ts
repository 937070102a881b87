// What every screen reads: the API, the session, the language and its words, the catalogue.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api, Catalogue, Program, Workload } from "../api/client";
import type { Auth, Session } from "../auth/session";
import { translate, type Language, type MessageKey } from "../i18n/messages";
import { formatDay, formatInstant, inWords, localeOf } from "../i18n/time";

export interface Words {
  readonly language: Language;
  readonly t: (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;
  readonly instant: (at: string, timeZone?: string | null) => string;
  readonly day: (day: string) => string;
  /** How far an instant is from now, in words ("in 5 days"). */
  readonly fromNow: (at: string) => string;
  /** A language's name (a BCP 47 tag), in the reader's language. */
  readonly languageName: (tag: string) => string;
}

export function wordsFor(language: Language, now: () => Date = () => new Date()): Words {
  return {
    language,
    t: (key, values) => translate(language, key, values),
    instant: (at, timeZone) => formatInstant(at, language, timeZone ?? undefined),
    day: (day) => formatDay(day, language),
    fromNow: (at) => inWords(at, now(), language),
    languageName: (tag) => {
      try {
        return new Intl.DisplayNames([localeOf(language)], { type: "language" }).of(tag) ?? tag;
      } catch {
        return tag;
      }
    },
  };
}

/** The catalogue's names of programs and workloads, the code itself when it has none. */
export interface Names {
  readonly catalogue: Catalogue | null;
  readonly program: (code: Program) => string;
  readonly workload: (code: Workload) => string;
}

export function namesOf(catalogue: Catalogue | null): Names {
  const programs = new Map<string, string>();
  const workloads = new Map<string, string>();
  for (const program of catalogue?.programs ?? []) {
    programs.set(program.program, program.name);
    for (const workload of program.workloads) workloads.set(workload.workload, workload.name);
  }
  return {
    catalogue,
    program: (code) => programs.get(code) ?? code,
    workload: (code) => workloads.get(code) ?? code,
  };
}

export const WordsContext = createContext<Words>(wordsFor("en"));

/** The words of the language the person reads the console in. */
export function useWords(): Words {
  return useContext(WordsContext);
}

export interface Console {
  readonly api: Api;
  /** The API's base URL, for the links that lead to it. */
  readonly apiBase: string;
  readonly auth: Auth;
  readonly session: Session;
  readonly words: Words;
  readonly names: Names;
}

export const ConsoleContext = createContext<Console | null>(null);

/** The console's context, inside a signed-in screen. */
export function useConsole(): Console {
  const value = useContext(ConsoleContext);
  if (value === null) throw new Error("useConsole outside a signed-in screen");
  return value;
}
