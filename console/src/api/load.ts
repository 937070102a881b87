// The one fetching layer for the screens: a request's outcome as data or a problem, and a hook
// that loads once per change of its inputs (never on a timer of its own).
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { readProblem, unreachable, type Problem } from "./problem";

export type Outcome<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly problem: Problem };

/** Awaits an openapi-fetch request: its data, or the API's problem, or the network's. */
export async function outcome<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<Outcome<T>> {
  try {
    const answer = await request;
    if (answer.response.ok) return { ok: true, data: answer.data as T };
    return { ok: false, problem: readProblem(answer.error, answer.response.status) };
  } catch (cause) {
    return { ok: false, problem: unreachable(cause) };
  }
}

export type Loaded<T> =
  | { readonly state: "loading" }
  | { readonly state: "done"; readonly data: T }
  | { readonly state: "failed"; readonly problem: Problem };

/**
 * Loads with `load` whenever `inputs` change, and again on `reload()`; an answer that arrives
 * after newer inputs is dropped. A reload keeps the data shown until the new answer is in.
 */
export function useLoad<T>(
  load: () => Promise<Outcome<T>>,
  inputs: readonly unknown[],
): [Loaded<T>, () => void] {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  const [round, setRound] = useState(0);
  const lastRound = useRef(round);
  useEffect(() => {
    let current = true;
    // New inputs show nothing of the old ones' answer; a reload keeps it until the new one.
    if (lastRound.current === round) setLoaded({ state: "loading" });
    lastRound.current = round;
    void load().then((result) => {
      if (!current) return;
      setLoaded(result.ok ? { state: "done", data: result.data } : { state: "failed", problem: result.problem });
    });
    return () => {
      current = false;
    };
    // `load` is a new closure on every render; what it reads is in `inputs`.
  }, [...inputs, round]);
  const reload = useCallback(() => {
    setRound((n) => n + 1);
  }, []);
  return [loaded, reload];
}
