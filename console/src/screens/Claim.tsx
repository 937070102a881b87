// Claim: where one of the partner's claims stands, what happens next and by when, its facts,
// history and documents, and the moves its status allows.
import { useEffect, useState } from "preact/hooks";
import { useConsole } from "../app/context";
import { takeFlash, type Notice } from "../app/flash";
import type { Claim } from "../api/client";
import { outcome, useLoad } from "../api/load";
import { Contacts, Details, Documents, History, Proof, ReviewNotes } from "../claim/ClaimFacts";
import { PartnerMoves } from "../claim/PartnerMoves";
import { nextDeadline, nextStep, statusWords } from "../claim/progress";
import { Done, NotYet } from "../ui/notices";
import { Screen } from "../ui/Screen";

/** How often a claim with a document being checked is read again: never faster than this. */
const CHECK_EVERY_MS = 5_000;

export function ClaimScreen({ claimId }: { claimId: string }) {
  const { api, words, names } = useConsole();
  const { t } = words;
  const [notice, setNotice] = useState<Notice | null>(takeFlash);
  const [watched, setWatched] = useState<{ documentId: string; fileName: string } | null>(null);
  const [loaded, reload] = useLoad(
    () => outcome(api.GET("/v1/claims/{claim_id}", { params: { path: { claim_id: claimId } } })),
    [claimId],
  );

  // While a document is being checked, read the claim again until the check is done.
  const checking = loaded.state === "done" && loaded.data.documents.some((d) => d.status === "pending");
  useEffect(() => {
    if (!checking) return;
    const timer = setTimeout(reload, CHECK_EVERY_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [loaded, checking, reload]);
  useEffect(() => {
    if (watched === null || loaded.state !== "done") return;
    const document = loaded.data.documents.find((d) => d.document_id === watched.documentId);
    if (document?.status === "uploaded") {
      setNotice({ key: "action.counted", values: { file: watched.fileName } });
      setWatched(null);
    }
  }, [loaded, watched]);

  if (loaded.state !== "done") return <NotYet title={t("claim.title")} loaded={loaded} retry={reload} />;
  const claim = loaded.data;
  return (
    <Screen title={`${names.workload(claim.workload)} — ${claim.customer_domain}`}>
      {notice !== null && (
        <Done>
          <p>{t(notice.key, notice.values)}</p>
        </Done>
      )}
      <StatusPanel claim={claim} />
      <ReviewNotes claim={claim} />
      <PartnerMoves
        claim={claim}
        done={(done) => {
          setNotice(done);
          reload();
        }}
        uploading={(documentId, fileName) => {
          setWatched({ documentId, fileName });
        }}
      />
      <Details claim={claim} />
      <section aria-labelledby="proof-heading">
        <h2 id="proof-heading">{t("claim.proof")}</h2>
        <Proof proof={claim.proof_of_execution} />
      </section>
      <Contacts claim={claim} />
      <Documents claimId={claim.claim_id} documents={claim.documents} reviewer={false} />
      <History history={claim.history} />
    </Screen>
  );
}

/** The status in words, what happens next, and by when (with the deadline in words too). */
export function StatusPanel({ claim }: { claim: Claim }) {
  const { words } = useConsole();
  const { t } = words;
  const deadline = nextDeadline(claim);
  const when =
    deadline === null
      ? { deadline: "", words: "" }
      : {
          deadline:
            deadline.timeZone === null
              ? words.instant(deadline.at)
              : t("common.their_time", { time: words.instant(deadline.at, deadline.timeZone) }),
          words: words.fromNow(deadline.at),
        };
  return (
    <section aria-labelledby="status-heading" class="status-panel">
      <h2 id="status-heading">{t("claim.status")}</h2>
      <p>
        <strong class={`status status-${claim.status}`}>{t(statusWords(claim.status))}</strong>
      </p>
      <p>{t(nextStep(claim), when)}</p>
    </section>
  );
}
