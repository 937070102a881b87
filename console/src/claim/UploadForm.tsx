// "Upload document": the document is declared to the API, which answers with a presigned link;
// the browser sends the file there itself, with its progress shown.
import { useState } from "preact/hooks";
import { useConsole } from "../app/context";
import { outcome } from "../api/load";
import type { MoveProps } from "./PartnerMoves";
import { useMove } from "./PartnerMoves";
import { ownRefusal } from "../forms/refusal";
import { ErrorSummary } from "../ui/ErrorSummary";
import { upload } from "./upload";

const FILE = "upload-file";

export function UploadForm({ claim, done, uploading }: MoveProps & { uploading: (documentId: string, fileName: string) => void }) {
  const { api, words } = useConsole();
  const { t } = words;
  const [file, setFile] = useState<File | null>(null);
  const [sent, setSent] = useState<{ loaded: number; total: number } | null>(null);
  const move = useMove({ paths: { file_name: FILE, content_type: FILE, size: FILE } });
  const error = move.refusal.byControl[FILE];

  const refuse = (message: string) => {
    move.setRefusal(ownRefusal(FILE, message));
  };

  const submit = async () => {
    if (file === null) {
      refuse(t("action.file_required"));
      return;
    }
    // The API checks the declared type and size; storage then refuses any other bytes.
    const declared = await move.send(() =>
      outcome(
        api.POST("/v1/claims/{claim_id}/documents", {
          params: { path: { claim_id: claim.claim_id } },
          body: {
            file_name: file.name,
            content_type: file.type as "application/pdf",
            size: file.size,
          },
        }),
      ),
    );
    if (declared === null) return;
    setSent({ loaded: 0, total: file.size });
    try {
      await upload(file, declared.upload, (loaded, total) => {
        setSent({ loaded, total });
      });
    } catch {
      setSent(null);
      // A pending document counts toward the claim's ten until its link expires: free it now.
      await api.DELETE("/v1/claims/{claim_id}/documents/{document_id}", {
        params: { path: { claim_id: claim.claim_id, document_id: declared.document_id } },
      }).catch(() => undefined);
      refuse(t("action.upload_failed", { file: file.name }));
      return;
    }
    uploading(declared.document_id, file.name);
    done({ key: "action.uploaded", values: { file: file.name } });
  };

  return (
    <form
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <ErrorSummary refusal={move.refusal} />
      <div class={error === undefined ? "field" : "field field-error"}>
        <label for={FILE}>{t("action.file")}</label>
        <p id={`${FILE}-hint`} class="hint">
          {t("action.file_hint")}
        </p>
        {error !== undefined && (
          <p id={`${FILE}-error`} class="error-message" lang={move.refusal.lang ?? undefined}>
            {error}
          </p>
        )}
        <input
          type="file"
          id={FILE}
          accept="application/pdf,image/png,image/jpeg"
          aria-invalid={error === undefined ? undefined : "true"}
          aria-describedby={error === undefined ? `${FILE}-hint` : `${FILE}-hint ${FILE}-error`}
          onChange={(event) => {
            setFile(event.currentTarget.files?.[0] ?? null);
          }}
        />
      </div>
      {sent !== null && (
        <div class="field">
          <label for="upload-progress">{t("action.upload_progress")}</label>
          <progress id="upload-progress" max={sent.total} value={sent.loaded}>
            {Math.round((100 * sent.loaded) / Math.max(sent.total, 1))}%
          </progress>
        </div>
      )}
      <button type="submit" disabled={move.busy || sent !== null}>
        {t("action.send_file")}
      </button>
    </form>
  );
}
