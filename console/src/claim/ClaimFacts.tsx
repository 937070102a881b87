// What the partner's Claim screen and the reviewer's Review screen both show of a claim.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useConsole } from "../app/context";
import type { Claim, Document, ReviewedClaim, Schemas } from "../api/client";
import { readProblem, unreachable } from "../api/problem";
import { isMessageKey, type MessageKey } from "../i18n/messages";
import { API_LANGUAGE } from "../forms/refusal";
import { When } from "../ui/notices";

type HistoryEntry = Schemas["HistoryEntry"] | ReviewedClaim["history"][number];

/** A definition list's row. */
export function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A reference as a link when it is one (a URL), as text when it is a document id. */
export function Reference({ reference }: { reference: string }) {
  return /^https?:\/\//i.test(reference) ? (
    <a href={reference} rel="noopener noreferrer" target="_blank">
      {reference}
    </a>
  ) : (
    <span>{reference}</span>
  );
}

export function Details({ claim, extra }: { claim: Claim; extra?: ComponentChildren }) {
  const { words, names } = useConsole();
  const { t } = words;
  const notification = claim.customer_notification;
  const notificationDate =
    notification.status === "bounced" ? notification.bounced_at : notification.sent_at;
  return (
    <section aria-labelledby="details-heading">
      <h2 id="details-heading">{t("claim.details")}</h2>
      <dl class="facts">
        <Fact label={t("field.partner")}>
          {claim.partner_name} ({claim.partner_id})
        </Fact>
        <Fact label={t("field.program")}>{names.program(claim.program)}</Fact>
        <Fact label={t("field.workload")}>{names.workload(claim.workload)}</Fact>
        <Fact label={t("field.customer_domain")}>{claim.customer_domain}</Fact>
        <Fact label={t("field.tenant_id")}>
          <code>{claim.tenant_id}</code>
        </Fact>
        {claim.subscription_id !== null && (
          <Fact label={t("field.subscription_id")}>
            <code>{claim.subscription_id}</code>
          </Fact>
        )}
        <Fact label={t("field.created")}>
          <When at={claim.created_at} />
        </Fact>
        {claim.decided_at !== null && (
          <Fact label={t("field.decided")}>
            <When at={claim.decided_at} />
          </Fact>
        )}
        <Fact label={t("field.customer_email_status")}>
          {t(`notification.${notification.status}`, {
            date: notificationDate === null ? "" : words.instant(notificationDate),
          })}
          {notification.complained === true && <> ({t("claim.notification_complained")})</>}
        </Fact>
        {claim.opt_out_deadline !== null && (
          <Fact label={t("field.opt_out_deadline")}>
            <When at={claim.opt_out_deadline} timeZone={claim.customer_contact.time_zone} theirs />
          </Fact>
        )}
        <Fact label={t("field.claim_id")}>
          <code>{claim.claim_id}</code>
        </Fact>
        {extra}
      </dl>
    </section>
  );
}

export function ReviewNotes({ claim }: { claim: Claim }) {
  const { t } = useConsole().words;
  const request = claim.review.information_request;
  const rejection = claim.review.rejection;
  return (
    <>
      {request !== null && (
        <section aria-labelledby="request-heading">
          <h2 id="request-heading">{t("claim.information_request")}</h2>
          <ul>
            {request.codes.map((code) => (
              <li key={code}>{t(`info_code.${code}`)}</li>
            ))}
          </ul>
          <blockquote class="quote">{request.message}</blockquote>
        </section>
      )}
      {rejection !== null && (
        <section aria-labelledby="rejection-heading">
          <h2 id="rejection-heading">{t("claim.rejection")}</h2>
          <p>{t(`rejection.${rejection.code}`)}</p>
          {rejection.message !== null && <blockquote class="quote">{rejection.message}</blockquote>}
        </section>
      )}
    </>
  );
}

export function Contacts({ claim }: { claim: Claim }) {
  const { words } = useConsole();
  const { t } = words;
  const customer = claim.customer_contact;
  const partner = claim.partner_contact;
  return (
    <section aria-labelledby="contacts-heading">
      <h2 id="contacts-heading">{t("claim.contacts")}</h2>
      <div class="columns">
        <div>
          <h3>{t("claim.customer_contact")}</h3>
          <dl class="facts">
            <Fact label={t("field.customer_name")}>{customer.name}</Fact>
            <Fact label={t("field.customer_email")}>{customer.email}</Fact>
            {customer.title !== null && <Fact label={t("field.customer_title")}>{customer.title}</Fact>}
            <Fact label={t("field.customer_language")}>{words.languageName(customer.locale)}</Fact>
            <Fact label={t("field.customer_time_zone")}>{customer.time_zone}</Fact>
          </dl>
        </div>
        <div>
          <h3>{t("claim.partner_contact")}</h3>
          <dl class="facts">
            <Fact label={t("field.partner_contact_name")}>{partner.name}</Fact>
            <Fact label={t("field.partner_contact_email")}>{partner.email}</Fact>
          </dl>
        </div>
      </div>
    </section>
  );
}

export function Proof({ proof }: { proof: Claim["proof_of_execution"] }) {
  const { words } = useConsole();
  return (
    <dl class="facts">
      <Fact label={words.t("field.poe_reference")}>
        <Reference reference={proof.reference} />
      </Fact>
      <Fact label={words.t("field.signed_on")}>
        <time dateTime={proof.signed_on}>{words.day(proof.signed_on)}</time>
      </Fact>
    </dl>
  );
}

/** The words of a history entry's code: a rejection's or an information request's reason. */
export function codeWords(event: HistoryEntry["event"], code: string): MessageKey | null {
  const known = (key: string): MessageKey | null => (isMessageKey(key) ? key : null);
  if (event === "rejected" || event === "superseded") return known(`rejection.${code}`);
  if (event === "information_requested") return known(`info_code.${code}`);
  return known(`code.${code}`);
}

export function History({ history }: { history: readonly HistoryEntry[] }) {
  const { words } = useConsole();
  const { t } = words;
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">{t("claim.history")}</h2>
      <ol class="timeline">
        {history.map((entry) => {
          const reviewer = "reviewer" in entry ? entry.reviewer : null;
          const code = entry.code === null ? null : codeWords(entry.event, entry.code);
          return (
            <li key={entry.sequence}>
              <When at={entry.at} />
              <p class="timeline-event">
                {t("claim.history_entry", {
                  event: t(`event.${entry.event}`),
                  actor: reviewer === null ? t(`actor.${entry.actor}`) : t("review.reviewer", { id: reviewer }),
                })}
              </p>
              {entry.from !== null && entry.from !== entry.to && (
                <p class="timeline-change">
                  {t("claim.status_change", { from: t(`status.${entry.from}`), to: t(`status.${entry.to}`) })}
                </p>
              )}
              {code !== null && <p>{t(code)}</p>}
              {entry.code !== null && code === null && (
                <p>
                  <code>{entry.code}</code>
                </p>
              )}
              {entry.reason !== null && <blockquote class="quote">{entry.reason}</blockquote>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The claim's documents; each counted one with a link: the partner's "Download", the reviewer's "Open". */
export function Documents({ claimId, documents, reviewer }: { claimId: string; documents: readonly Document[]; reviewer: boolean }) {
  const { t } = useConsole().words;
  return (
    <section aria-labelledby="documents-heading">
      <h2 id="documents-heading">{t("claim.documents")}</h2>
      {documents.length === 0 ? (
        <p>{t("claim.no_documents")}</p>
      ) : (
        <ul class="documents">
          {documents.map((document) => (
            <li key={document.document_id}>
              <span class="document-name">{document.file_name}</span>{" "}
              <span class="muted">
                {t("claim.document_size", { size: Math.max(1, Math.round(document.size / 1024)) })}
              </span>{" "}
              {document.status === "pending" ? (
                <span class="tag">{t("claim.checking")}</span>
              ) : (
                <>
                  <span class="tag tag-done">{t("claim.counted")}</span>{" "}
                  {reviewer ? (
                    document.download_url !== undefined && (
                      <a href={document.download_url} rel="noopener noreferrer">
                        {t("claim.open")}
                        <span class="visually-hidden"> {document.file_name}</span>
                      </a>
                    )
                  ) : (
                    <DownloadLink claimId={claimId} document={document} />
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * The partner's download: the API answers with a redirect to a short-lived link, which only a
 * request with the bearer token gets, so the link fetches the file and hands it to the browser.
 */
function DownloadLink({ claimId, document }: { claimId: string; document: Document }) {
  const { api, apiBase, words } = useConsole();
  const [failure, setFailure] = useState<string | null>(null);
  const path = `${apiBase}/v1/claims/${encodeURIComponent(claimId)}/documents/${encodeURIComponent(document.document_id)}`;
  const download = async (event: MouseEvent) => {
    event.preventDefault();
    setFailure(null);
    try {
      const answer = await api.GET("/v1/claims/{claim_id}/documents/{document_id}", {
        params: { path: { claim_id: claimId, document_id: document.document_id } },
        parseAs: "stream",
      });
      if (!answer.response.ok) {
        setFailure(readProblem(answer.error, answer.response.status).detail);
        return;
      }
      const url = URL.createObjectURL(await answer.response.blob());
      const anchor = window.document.createElement("a");
      anchor.href = url;
      anchor.download = document.file_name;
      anchor.click();
      setTimeout(() => {
        URL.revokeObjectURL(url);
      }, 10_000);
    } catch (cause) {
      setFailure(unreachable(cause).detail);
    }
  };
  return (
    <>
      <a href={path} onClick={(event) => void download(event)}>
        {words.t("claim.download")}
        <span class="visually-hidden"> {document.file_name}</span>
      </a>
      {failure !== null && (
        <span role="alert" class="error-message">
          {" "}
          {words.t("claim.download_failed")} <span lang={API_LANGUAGE}>{failure}</span>
        </span>
      )}
    </>
  );
}
