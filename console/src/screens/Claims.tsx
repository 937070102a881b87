// Claims: the partner's claims, newest first, one API request a page.
import { useConsole } from "../app/context";
import type { ClaimStatus, Program, Workload } from "../api/client";
import { outcome, useLoad } from "../api/load";
import { CLAIM_STATUSES, nextDeadline, statusWords } from "../claim/progress";
import { Link, navigate, useLocation } from "../router";
import { Filters, listAddress, Listing, PAGE_SIZE } from "../ui/listing";
import { DeadlineCell, When } from "../ui/notices";
import { Screen } from "../ui/Screen";

function parameter(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === "" ? undefined : value;
}

export function Claims() {
  const { api, session, words, names } = useConsole();
  const { t } = words;
  const { query } = useLocation();
  // The API checks each filter's value and names a bad one.
  const status = parameter(query, "status") as ClaimStatus | undefined;
  const program = parameter(query, "program") as Program | undefined;
  const workload = parameter(query, "workload") as Workload | undefined;
  const cursor = parameter(query, "cursor");
  const [page, retry] = useLoad(
    () =>
      outcome(
        api.GET("/v1/claims", {
          params: { query: { status, program, workload, cursor, limit: PAGE_SIZE } },
        }),
      ),
    [status, program, workload, cursor],
  );
  const filtered = { status, program, workload };
  const programs = names.catalogue?.programs ?? [];
  const any = { value: "", label: t("common.any") };
  // The workloads of the chosen program, or of every program (each once).
  const workloads = (chosenProgram: string) =>
    programs
      .filter((entry) => chosenProgram === "" || entry.program === chosenProgram)
      .flatMap((entry) => entry.workloads)
      .filter((entry, index, all) => all.findIndex((other) => other.workload === entry.workload) === index);

  return (
    <Screen title={t("claims.title")}>
      {session.identity.role === "incentives_admin" && (
        <p>
          <Link to="claims/new" class="button-link">
            {t("new.title")}
          </Link>
        </p>
      )}
      <Filters
        filters={[
          {
            id: "status",
            label: t("field.status"),
            value: status ?? "",
            choices: [any, ...CLAIM_STATUSES.map((code) => ({ value: code, label: t(statusWords(code)) }))],
          },
          {
            id: "program",
            label: t("field.program"),
            value: program ?? "",
            choices: [any, ...programs.map((entry) => ({ value: entry.program, label: entry.name }))],
            resets: ["workload"],
          },
          {
            id: "workload",
            label: t("field.workload"),
            value: workload ?? "",
            choices: (chosen) => [
              any,
              ...workloads(chosen["program"] ?? "").map((entry) => ({ value: entry.workload, label: entry.name })),
            ],
          },
        ]}
        apply={(chosen) => {
          navigate(listAddress("claims", chosen));
        }}
      />
      <Listing
        page={page}
        retry={retry}
        caption={t("claims.caption")}
        columns={[t("field.status"), t("field.program"), t("field.workload"), t("field.created"), t("field.next_deadline")]}
        link={(claim) => `claims/${claim.claim_id}`}
        cells={(claim) => {
          const deadline = nextDeadline(claim);
          return (
            <>
              <td>{t(statusWords(claim.status))}</td>
              <td>{names.program(claim.program)}</td>
              <td>{names.workload(claim.workload)}</td>
              <td>
                <When at={claim.created_at} />
              </td>
              <td>
                {deadline === null ? (
                  <span class="muted">{t("common.none")}</span>
                ) : (
                  <DeadlineCell at={deadline.at} timeZone={deadline.timeZone} />
                )}
              </td>
            </>
          );
        }}
        first={cursor === undefined ? null : listAddress("claims", filtered)}
        next={(more) => listAddress("claims", { ...filtered, cursor: more })}
      />
    </Screen>
  );
}
