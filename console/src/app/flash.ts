// A message for the next screen, such as "Claim submitted." after the form leads to the claim.
// Kept as its key and values, so that it follows a change of language.
import type { MessageKey } from "../i18n/messages";

export interface Notice {
  readonly key: MessageKey;
  readonly values?: Readonly<Record<string, string>>;
}

let pending: Notice | null = null;

export function flash(notice: Notice): void {
  pending = notice;
}

/** The pending message, once. */
export function takeFlash(): Notice | null {
  const notice = pending;
  pending = null;
  return notice;
}
