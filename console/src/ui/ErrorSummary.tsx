import { useEffect, useId, useRef } from "preact/hooks";
import { useWords } from "../app/context";
import type { Refusal } from "../forms/refusal";

/**
 * The refusal at the top of a form: taken focus when it appears, so it is read out, with a link
 * to each refused field.
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
        {refusal.summary.map((line, index) => (
          <li key={index}>
            {line.control === null ? (
              line.message
            ) : (
              <a
                href={`#${line.control}`}
                onClick={(event) => {
                  event.preventDefault();
                  document.getElementById(line.control ?? "")?.focus();
                }}
              >
                {line.message}
              </a>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}
