// Review queue: the claims in review, oldest entry first, one API request a page.
import { useEffect, useState } from "preact/hooks";
import { useConsole } from "../app/context";
import type { Program, ReviewQueueStatus } from "../api/client";
import { outcome, useLoad } from "../api/load";
import { statusWords } from "../claim/progress";
import { Link, navigate, useLocation } from "../router";
import { SelectField } from "../ui/fields";
import { DeadlineCell, LoadProblem, Loading, TableRegion, When } from "../ui/notices";
import { Screen } from "../ui/Screen";
import { Pages } from "./Claims";

const PAGE_SIZE = 25;

// The statuses a reviewer may list one at a time; without one, the queue is the claims that
// wait for a decision.
const QUEUE_STATUSES: readonly ReviewQueueStatus[] = ["submitted", "disputed", "contested", "information_requested"];

export function ReviewQueue() {
  const { api, words, names } = useConsole();
  const { t } = words;
  const { query } = useLocation();
  const status = QUEUE_STATUSES.find((code) => code === query.get("status"));
  const program = (query.get("program") ?? undefined) as Program | undefined;
  const cursor = query.get("cursor") ?? undefined;
  const [page, retry] = useLoad(
    () =>
      outcome(
        api.GET("/v1/review/claims", { params: { query: { status, program, cursor, limit: PAGE_SIZE } } }),
      ),
    [status, program, cursor],
  );
  const address = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams();
    const values: Record<string, string | undefined> = { status, program, ...changes };
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && value !== "") next.set(name, value);
    }
    const text = next.toString();
    return text === "" ? "review" : `review?${text}`;
  };
  const [chosenStatus, setChosenStatus] = useState<string>(status ?? "");
  const [chosenProgram, setChosenProgram] = useState<string>(program ?? "");
  useEffect(() => {
    setChosenStatus(status ?? "");
    setChosenProgram(program ?? "");
  }, [status, program]);

  return (
    <Screen title={t("queue.title")}>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(address({ status: chosenStatus, program: chosenProgram }));
        }}
      >
        <fieldset>
          <legend>{t("common.filters")}</legend>
          <div class="filter-fields">
            <SelectField
              id="filter-status"
              label={t("field.status")}
              value={chosenStatus}
              onValue={setChosenStatus}
              choices={[
                { value: "", label: t("queue.waiting") },
                ...QUEUE_STATUSES.map((code) => ({ value: code, label: t(statusWords(code)) })),
              ]}
            />
            <SelectField
              id="filter-program"
              label={t("field.program")}
              value={chosenProgram}
              onValue={setChosenProgram}
              choices={[
                { value: "", label: t("common.any") },
                ...(names.catalogue?.programs ?? []).map((entry) => ({ value: entry.program, label: entry.name })),
              ]}
            />
          </div>
          <button type="submit" class="secondary">
            {t("common.apply_filters")}
          </button>
        </fieldset>
      </form>
      {page.state === "loading" && <Loading />}
      {page.state === "failed" && <LoadProblem problem={page.problem} retry={retry} />}
      {page.state === "done" && (
        <>
          {page.data.items.length === 0 ? (
            <p>{t("queue.empty")}</p>
          ) : (
            <TableRegion label={t("queue.caption")}>
              <table>
                <caption>{t("queue.caption")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("field.customer_domain")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col">{t("field.program")}</th>
                    <th scope="col">{t("field.workload")}</th>
                    <th scope="col">{t("field.partner")}</th>
                    <th scope="col">{t("field.submitted")}</th>
                    <th scope="col">{t("field.due")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.items.map((claim) => (
                    <tr key={claim.claim_id} class={claim.overdue ? "overdue" : undefined}>
                      <th scope="row">
                        <Link to={`review/${claim.claim_id}`}>{claim.customer_domain}</Link>
                      </th>
                      <td>{t(statusWords(claim.status))}</td>
                      <td>{names.program(claim.program)}</td>
                      <td>{names.workload(claim.workload)}</td>
                      <td>
                        {claim.partner_name} <span class="muted">({claim.partner_id})</span>
                      </td>
                      <td>
                        <When at={claim.created_at} />
                      </td>
                      <td>
                        {claim.review_due === null ? (
                          <span class="muted">{t("common.none")}</span>
                        ) : (
                          <DeadlineCell at={claim.review_due} timeZone={null} />
                        )}
                        {claim.overdue && <strong class="tag tag-overdue">{t("common.overdue")}</strong>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableRegion>
          )}
          <Pages
            more={page.data.next_cursor}
            first={cursor === undefined ? null : address({})}
            next={(more) => address({ cursor: more })}
            note={page.data.next_cursor !== null && page.data.items.length < PAGE_SIZE ? t("claims.more") : null}
          />
        </>
      )}
    </Screen>
  );
}

/** "Next in queue": the oldest claim waiting for a decision, or the queue when none is. */
export function NextInQueue() {
  const { api, words } = useConsole();
  const { t } = words;
  const [next] = useLoad(() => outcome(api.GET("/v1/review/claims", { params: { query: { limit: 1 } } })), []);
  useEffect(() => {
    if (next.state !== "done") return;
    const first = next.data.items[0];
    navigate(first === undefined ? "review" : `review/${first.claim_id}`, { replace: true });
  }, [next]);
  return (
    <Screen title={t("queue.title")}>
      {next.state === "failed" ? <LoadProblem problem={next.problem} /> : <Loading />}
    </Screen>
  );
}
