import { useEffect, useId, useRef } from "preact/hooks";
import { useWords } from "../app/context";
import type { Refusal } from "../forms/refusal";

/**
 * What the person calls control `id` on the screen: its label's own words (without "optional"),
 * or, for a box of a group, the group's legend. Read from the page, where the form that was
 * refused is shown: the summary names each field exactly as the form does.
 */
function nameOf(id: string): string | null {
  const control = document.getElementById(id);
  if (control === null) return null;
  if (control instanceof HTMLInputElement && (control.type === "checkbox" || control.type === "radio")) {
    const legend = control.closest("fieldset")?.querySelector("legend")?.textContent;
    if (legend != null) return legend.trim();
  }
  const labels = "labels" in control ? (control as HTMLInputElement).labels : null;
  const words = labels?.[0]?.firstChild?.textContent?.trim();
  return words === undefined || words === "" ? null : words;
}

/**
 * The refusal at the top of a form: taken focus when it appears, so it is read out, with a link
 * to each refused field, named as the form names it.
 */
export function ErrorSummary({ refusal }: { refusal: Refusal }) {
  const { t } = useWords();
  const box = useRef<HTMLDivElement>(null);
  const title = useId();
  useEffect(() => {
    if (refusal.summary.length > 0) box.current?.focus();
  }, [refusal]);
  if (refusal.summary.length === 0) return null;
  return (
    <div class="error-summary" role="alert" tabIndex={-1} ref={box} aria-labelledby={title}>
      <h2 id={title}>{t("common.error_summary")}</h2>
      <ul>
        {refusal.summary.map((line, index) => {
          const message = <span lang={refusal.lang ?? undefined}>{line.message}</span>;
          if (line.control === null) return <li key={index}>{message}</li>;
          const control = line.control;
          const name = nameOf(control);
          return (
            <li key={index}>
              <a
                href={`#${control}`}
                onClick={(event) => {
                  event.preventDefault();
                  document.getElementById(control)?.focus();
                }}
              >
                {name !== null && name !== line.message && <>{name}: </>}
                {message}
              </a>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
