// Putting the API's refusal next to the fields it names: `errors[].field` is a path of the
// request body (`customer_contact.email`); each form says which of its controls shows which path.
import type { Problem } from "../api/problem";

export interface Refusal {
  /** The message beside each refused control, by the control's id. */
  readonly byControl: Readonly<Record<string, string>>;
  /** The error summary's lines, in the API's order; `control` is null for what no control shows. */
  readonly summary: readonly { readonly control: string | null; readonly message: string }[];
  /**
   * The messages' language when it is not the page's: the API words its refusals in English,
   * whatever the console's language, and a screen reader must read them as English.
   */
  readonly lang: string | null;
}

export const NO_REFUSAL: Refusal = { byControl: {}, summary: [], lang: null };

/** The language the API words its refusals in. */
export const API_LANGUAGE = "en";

/** The console's own refusal (in the page's language) of one control, or of none. */
export function ownRefusal(control: string | null, message: string): Refusal {
  return {
    byControl: control === null ? {} : { [control]: message },
    summary: [{ control, message }],
    lang: null,
  };
}

export interface FormFields {
  /** The control showing each request path. */
  readonly paths: Readonly<Record<string, string>>;
  /**
   * The control a problem without field errors is about, by its code (`unknown_tenant` is the
   * tenant's field): the API names no field then, but the person needs to know where to look.
   */
  readonly codes?: Readonly<Record<string, string>>;
}

/**
 * The control of `path`: its own, or that of its closest parent path (`customer_contact` for
 * `customer_contact.phone`, an unknown field).
 */
function controlOf(path: string, form: FormFields): string | null {
  for (let prefix = path; prefix !== ""; prefix = prefix.slice(0, Math.max(prefix.lastIndexOf("."), 0))) {
    const control = form.paths[prefix];
    if (control !== undefined) return control;
  }
  return null;
}

export function refusalOf(problem: Problem, form: FormFields): Refusal {
  const byControl: Record<string, string> = {};
  const summary: { control: string | null; message: string }[] = [];
  const mark = (control: string | null, message: string) => {
    if (control !== null) {
      const earlier = byControl[control];
      byControl[control] = earlier === undefined ? message : `${earlier} ${message}`;
    }
    summary.push({ control, message });
  };
  for (const error of problem.errors) mark(controlOf(error.field, form), error.message);
  if (problem.errors.length === 0) {
    const control = problem.code === null ? undefined : form.codes?.[problem.code];
    mark(control ?? null, problem.detail);
  }
  return { byControl, summary, lang: API_LANGUAGE };
}
