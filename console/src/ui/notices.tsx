import type { ComponentChildren } from "preact";
import { useWords } from "../app/context";
import type { Loaded } from "../api/load";
import type { Problem } from "../api/problem";
import { API_LANGUAGE } from "../forms/refusal";
import { Screen } from "./Screen";

/** Why a screen could not be shown, in the reader's words where the cause is known. */
export function LoadProblem({ problem, retry }: { problem: Problem; retry?: () => void }) {
  const { t } = useWords();
  const message =
    problem.httpStatus === 404 ? (
      t("common.not_found")
    ) : problem.httpStatus === 403 ? (
      t("common.forbidden")
    ) : problem.httpStatus === 0 || problem.httpStatus >= 500 ? (
      t("common.unavailable")
    ) : (
      <>
        {t("problem.generic")} <span lang={API_LANGUAGE}>{problem.detail}</span>
      </>
    );
  return (
    <div class="notice notice-problem" role="alert">
      <p>{message}</p>
      {retry !== undefined && problem.httpStatus !== 404 && problem.httpStatus !== 403 && (
        <button type="button" class="secondary" onClick={retry}>
          {t("common.try_again")}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  const { t } = useWords();
  return (
    <p class="loading" role="status">
      {t("app.loading")}
    </p>
  );
}

/** A message that something was done, read out when it appears. */
export function Done({ children }: { children: ComponentChildren }) {
  return (
    <div class="notice notice-done" role="status">
      {children}
    </div>
  );
}

/** An instant as a date and time, with the machine-readable time for assistive technology. */
export function When({ at, timeZone, theirs }: { at: string; timeZone?: string | null; theirs?: boolean }) {
  const words = useWords();
  const text = words.instant(at, timeZone);
  return <time dateTime={at}>{theirs === true ? words.t("common.their_time", { time: text }) : text}</time>;
}

/** A deadline: its date and time, and under it how far it is, in words. */
export function DeadlineCell({ at, timeZone }: { at: string; timeZone: string | null }) {
  const words = useWords();
  return (
    <>
      <When at={at} timeZone={timeZone} theirs={timeZone !== null} />
      <span class="words">{words.fromNow(at)}</span>
    </>
  );
}

/**
 * A wide table that scrolls sideways on a narrow screen; the scrolling region can take focus so
 * that it can be scrolled with the keyboard.
 */
export function TableRegion({ label, children }: { label: string; children: ComponentChildren }) {
  const { t } = useWords();
  return (
    <div class="table-region" role="region" aria-label={t("common.table_scroll", { table: label })} tabIndex={0}>
      {children}
    </div>
  );
}

/** A screen whose data is not in yet: "Loading…", or why it could not be read. */
export function NotYet({ title, loaded, retry }: { title: string; loaded: Loaded<unknown>; retry: () => void }) {
  return (
    <Screen title={title}>
      {loaded.state === "failed" ? <LoadProblem problem={loaded.problem} retry={retry} /> : <Loading />}
    </Screen>
  );
}
