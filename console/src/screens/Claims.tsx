// Claims: the partner's claims, newest first, one API request a page.
import { useState } from "preact/hooks";
import { useConsole } from "../app/context";
import type { ClaimStatus, Program, Workload } from "../api/client";
import { outcome, useLoad } from "../api/load";
import { CLAIM_STATUSES, nextDeadline, statusWords } from "../claim/progress";
import { Link, navigate, useLocation } from "../router";
import { SelectField, type Choice } from "../ui/fields";
import { DeadlineCell, LoadProblem, Loading, TableRegion, When } from "../ui/notices";
import { Screen } from "../ui/Screen";

const PAGE_SIZE = 25;

function parameter(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === "" ? undefined : value;
}

export function Claims() {
  const { api, session, words, names } = useConsole();
  const { t } = words;
  const { query } = useLocation();
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
  const address = (changes: Record<string, string | undefined>) => {
    const next = new URLSearchParams();
    const values: Record<string, string | undefined> = { status, program, workload, ...changes };
    for (const [name, value] of Object.entries(values)) {
      if (value !== undefined && value !== "") next.set(name, value);
    }
    const text = next.toString();
    return text === "" ? "claims" : `claims?${text}`;
  };

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
        key={`${status ?? ""}|${program ?? ""}|${workload ?? ""}`}
        status={status ?? ""}
        program={program ?? ""}
        workload={workload ?? ""}
        apply={(chosen) => {
          navigate(address(chosen));
        }}
      />
      {page.state === "loading" && <Loading />}
      {page.state === "failed" && <LoadProblem problem={page.problem} retry={retry} />}
      {page.state === "done" && (
        <>
          {page.data.items.length === 0 ? (
            <p>{t("claims.empty")}</p>
          ) : (
            <TableRegion label={t("claims.caption")}>
              <table>
                <caption>{t("claims.caption")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("field.customer_domain")}</th>
                    <th scope="col">{t("field.status")}</th>
                    <th scope="col">{t("field.program")}</th>
                    <th scope="col">{t("field.workload")}</th>
                    <th scope="col">{t("field.created")}</th>
                    <th scope="col">{t("field.next_deadline")}</th>
                  </tr>
                </thead>
                <tbody>
                  {page.data.items.map((claim) => {
                    const deadline = nextDeadline(claim);
                    return (
                      <tr key={claim.claim_id}>
                        <th scope="row">
                          <Link to={`claims/${claim.claim_id}`}>{claim.customer_domain}</Link>
                        </th>
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
                      </tr>
                    );
                  })}
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

/** "Next page" while there is more, and back to the first page once past it. */
export function Pages(props: {
  more: string | null;
  first: string | null;
  next: (cursor: string) => string;
  note: string | null;
}) {
  const { t } = useConsole().words;
  const { more, first } = props;
  return (
    <div class="pages">
      {props.note !== null && <p class="hint">{props.note}</p>}
      {first !== null && (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            navigate(first);
          }}
        >
          {t("common.first_page")}
        </button>
      )}
      {more !== null && (
        <button
          type="button"
          onClick={() => {
            navigate(props.next(more));
          }}
        >
          {t("common.next_page")}
        </button>
      )}
    </div>
  );
}

function Filters(props: {
  status: string;
  program: string;
  workload: string;
  apply: (chosen: { status: string; program: string; workload: string }) => void;
}) {
  const { words, names } = useConsole();
  const { t } = words;
  const [status, setStatus] = useState(props.status);
  const [program, setProgram] = useState(props.program);
  const [workload, setWorkload] = useState(props.workload);
  const programs = names.catalogue?.programs ?? [];
  const any: Choice = { value: "", label: t("common.any") };
  const workloads = programs
    .filter((entry) => program === "" || entry.program === program)
    .flatMap((entry) => entry.workloads)
    .filter((entry, index, all) => all.findIndex((other) => other.workload === entry.workload) === index);
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        props.apply({ status, program, workload });
      }}
    >
      <fieldset>
        <legend>{t("common.filters")}</legend>
        <div class="filter-fields">
          <SelectField
            id="filter-status"
            label={t("field.status")}
            value={status}
            onValue={setStatus}
            choices={[any, ...CLAIM_STATUSES.map((code) => ({ value: code, label: t(statusWords(code)) }))]}
          />
          <SelectField
            id="filter-program"
            label={t("field.program")}
            value={program}
            onValue={(value) => {
              setProgram(value);
              setWorkload("");
            }}
            choices={[any, ...programs.map((entry) => ({ value: entry.program, label: entry.name }))]}
          />
          <SelectField
            id="filter-workload"
            label={t("field.workload")}
            value={workload}
            onValue={setWorkload}
            choices={[any, ...workloads.map((entry) => ({ value: entry.workload, label: entry.name }))]}
          />
        </div>
        <button type="submit" class="secondary">
          {t("common.apply_filters")}
        </button>
      </fieldset>
    </form>
  );
}
