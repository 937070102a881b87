// Review queue: the claims in review, oldest entry first, one API request a page.
import { useEffect } from "preact/hooks";
import { useConsole } from "../app/context";
import type { Program, ReviewQueueStatus } from "../api/client";
import { outcome, useLoad } from "../api/load";
import { statusWords } from "../claim/progress";
import { navigate, useLocation } from "../router";
import { Filters, listAddress, Listing, PAGE_SIZE } from "../ui/listing";
import { DeadlineCell, LoadProblem, Loading, When } from "../ui/notices";
import { Screen } from "../ui/Screen";

// The statuses a reviewer may list one at a time; without one, the queue is the claims that
// wait for a decision.
const QUEUE_STATUSES: readonly ReviewQueueStatus[] = ["submitted", "disputed", "contested", "information_requested"];

export function ReviewQueue() {
  const { api, words, names } = useConsole();
  const { t } = words;
  const { query } = useLocation();
  const status = QUEUE_STATUSES.find((code) => code === query.get("status"));
  // The API checks the program and names a bad one.
  const program = (query.get("program") ?? undefined) as Program | undefined;
  const cursor = query.get("cursor") ?? undefined;
  const [page, retry] = useLoad(
    () =>
      outcome(
        api.GET("/v1/review/claims", { params: { query: { status, program, cursor, limit: PAGE_SIZE } } }),
      ),
    [status, program, cursor],
  );
  const filtered = { status, program };

  return (
    <Screen title={t("queue.title")}>
      <Filters
        filters={[
          {
            id: "status",
            label: t("field.status"),
            value: status ?? "",
            choices: [
              { value: "", label: t("queue.waiting") },
              ...QUEUE_STATUSES.map((code) => ({ value: code, label: t(statusWords(code)) })),
            ],
          },
          {
            id: "program",
            label: t("field.program"),
            value: program ?? "",
            choices: [
              { value: "", label: t("common.any") },
              ...(names.catalogue?.programs ?? []).map((entry) => ({ value: entry.program, label: entry.name })),
            ],
          },
        ]}
        apply={(chosen) => {
          navigate(listAddress("review", chosen));
        }}
      />
      <Listing
        page={page}
        retry={retry}
        caption={t("queue.caption")}
        columns={[t("field.status"), t("field.program"), t("field.workload"), t("field.partner"), t("field.entered_review"), t("field.due")]}
        link={(claim) => `review/${claim.claim_id}`}
        rowClass={(claim) => (claim.overdue ? "overdue" : undefined)}
        cells={(claim) => (
          <>
            <td>{t(statusWords(claim.status))}</td>
            <td>{names.program(claim.program)}</td>
            <td>{names.workload(claim.workload)}</td>
            <td>
              {claim.partner_name} <span class="muted">({claim.partner_id})</span>
            </td>
            <td>
              {claim.entered_review_at === null ? (
                <span class="muted">{t("common.none")}</span>
              ) : (
                <When at={claim.entered_review_at} />
              )}
            </td>
            <td>
              {claim.review_due === null ? (
                <span class="muted">{t("common.none")}</span>
              ) : (
                <DeadlineCell at={claim.review_due} timeZone={null} />
              )}
              {claim.overdue && <strong class="tag tag-overdue">{t("common.overdue")}</strong>}
            </td>
          </>
        )}
        first={cursor === undefined ? null : listAddress("review", filtered)}
        next={(more) => listAddress("review", { ...filtered, cursor: more })}
      />
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
