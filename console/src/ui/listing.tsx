// What the Claims and Review queue screens share: filters kept in the address (so a filtered
// page can be bookmarked and Back works), one page of claims as a table, and "Next page".
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useWords } from "../app/context";
import type { Loaded } from "../api/load";
import { Link, navigate } from "../router";
import { SelectField, type Choice } from "./fields";
import { LoadProblem, Loading, TableRegion } from "./notices";

export const PAGE_SIZE = 25;

/**
 * The address of `screen` with `values` as its query, leaving out the empty ones (and so the
 * cursor, unless it is given: a change of filters starts again from the first page).
 */
export function listAddress(screen: string, values: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return text === "" ? screen : `${screen}?${text}`;
}

export interface Filter {
  readonly id: string;
  readonly label: string;
  /** The value in the address; "" for none. */
  readonly value: string;
  /** The choices, which may depend on the other filters' chosen values. */
  readonly choices: readonly Choice[] | ((chosen: Readonly<Record<string, string>>) => readonly Choice[]);
  /** Filters whose choices depend on this one, reset when it changes. */
  readonly resets?: readonly string[];
}

/** The filters, applied together with "Apply filters" (a choice alone changes nothing). */
export function Filters({ filters, apply }: { filters: readonly Filter[]; apply: (values: Record<string, string>) => void }) {
  const { t } = useWords();
  const fromAddress = () => Object.fromEntries(filters.map((filter) => [filter.id, filter.value]));
  const [chosen, setChosen] = useState<Record<string, string>>(fromAddress);
  const key = filters.map((filter) => filter.value).join("|");
  useEffect(() => {
    setChosen(fromAddress());
    // The chosen values follow the address when it changes (Back, a link).
  }, [key]);
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        apply(chosen);
      }}
    >
      <fieldset>
        <legend>{t("common.filters")}</legend>
        <div class="filter-fields">
          {filters.map((filter) => (
            <SelectField
              key={filter.id}
              id={`filter-${filter.id}`}
              label={filter.label}
              value={chosen[filter.id] ?? ""}
              onValue={(value) => {
                const reset = Object.fromEntries((filter.resets ?? []).map((id) => [id, ""]));
                setChosen((earlier) => ({ ...earlier, ...reset, [filter.id]: value }));
              }}
              choices={typeof filter.choices === "function" ? filter.choices(chosen) : filter.choices}
            />
          ))}
        </div>
        <button type="submit" class="secondary">
          {t("common.apply_filters")}
        </button>
      </fieldset>
    </form>
  );
}

interface Page<T> {
  readonly items: readonly T[];
  readonly next_cursor: string | null;
}

/**
 * One page of claims as a table, each row headed by a link to the claim (its customer's
 * domain); "Next page" while there is more, "First page" once past it.
 */
export function Listing<T extends { claim_id: string; customer_domain: string }>(props: {
  page: Loaded<Page<T>>;
  retry: () => void;
  caption: string;
  columns: readonly string[];
  link: (item: T) => string;
  cells: (item: T) => ComponentChildren;
  rowClass?: (item: T) => string | undefined;
  /** The first page's address when this is a later one, else null. */
  first: string | null;
  next: (cursor: string) => string;
}) {
  const { t } = useWords();
  const { page } = props;
  if (page.state === "loading") return <Loading />;
  if (page.state === "failed") return <LoadProblem problem={page.problem} retry={props.retry} />;
  const { items, next_cursor: more } = page.data;
  const { first } = props;
  return (
    <>
      {items.length === 0 ? (
        <p>{t("claims.empty")}</p>
      ) : (
        <TableRegion label={props.caption}>
          <table>
            <caption>{props.caption}</caption>
            <thead>
              <tr>
                <th scope="col">{t("field.customer_domain")}</th>
                {props.columns.map((column) => (
                  <th scope="col" key={column}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.claim_id} class={props.rowClass?.(item)}>
                  <th scope="row">
                    <Link to={props.link(item)}>{item.customer_domain}</Link>
                  </th>
                  {props.cells(item)}
                </tr>
              ))}
            </tbody>
          </table>
        </TableRegion>
      )}
      <div class="pages">
        {/* One request reads a bounded part of the list: a filtered page may be short. */}
        {more !== null && items.length < PAGE_SIZE && <p class="hint">{t("claims.more")}</p>}
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
    </>
  );
}
