// The first page: through the identity provider in AWS ("Partner" or "Reviewer" when both are
// configured); locally, where none is, the local sign-in form.
import { useState } from "preact/hooks";
import { useWords } from "../app/context";
import type { Side } from "../auth/identity";
import type { Auth, LocalSignIn } from "../auth/session";
import { NO_REFUSAL, ownRefusal, refusalOf, type Refusal } from "../forms/refusal";
import { ErrorSummary } from "../ui/ErrorSummary";
import { Radios, RefusedIn, SelectField, TextField } from "../ui/fields";
import { Screen } from "../ui/Screen";

export function SignIn({ auth }: { auth: Auth }) {
  const { t } = useWords();
  return (
    <Screen title={t("signin.title")}>
      {auth.ended && (
        <div class="notice notice-problem" role="alert">
          <p>{t("signin.session_ended")}</p>
        </div>
      )}
      {auth.local ? <LocalForm auth={auth} /> : <ProviderChoice auth={auth} />}
    </Screen>
  );
}

function ProviderChoice({ auth }: { auth: Auth }) {
  const { t } = useWords();
  const [leaving, setLeaving] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const go = (side: Side) => {
    setLeaving(true);
    auth.signInWith(side).catch((cause: unknown) => {
      setLeaving(false);
      setFailure(cause instanceof Error ? cause.message : String(cause));
    });
  };
  const sides = auth.sides;
  return (
    <>
      {failure !== null && (
        <div class="notice notice-problem" role="alert">
          <p>{t("signin.failed", { detail: failure })}</p>
        </div>
      )}
      {leaving && <p role="status">{t("signin.redirecting")}</p>}
      {sides.length > 1 ? (
        <>
          <p>{t("signin.choose")}</p>
          <ul class="choices">
            {sides.map((side) => (
              <li key={side}>
                <button type="button" disabled={leaving} aria-describedby={`${side}-hint`} onClick={() => { go(side); }}>
                  {t(side === "partner" ? "signin.partner" : "signin.reviewer")}
                </button>
                <p id={`${side}-hint`} class="hint">
                  {t(side === "partner" ? "signin.partner_hint" : "signin.reviewer_hint")}
                </p>
              </li>
            ))}
          </ul>
        </>
      ) : (
        sides.map((side) => (
          <button key={side} type="button" disabled={leaving} onClick={() => { go(side); }}>
            {t("signin.submit")}
          </button>
        ))
      )}
    </>
  );
}

const ROLES = ["incentives_admin", "incentives_user"] as const;
type Role = (typeof ROLES)[number];

function LocalForm({ auth }: { auth: Auth }) {
  const { t } = useWords();
  const [side, setSide] = useState<Side>("partner");
  const [partnerId, setPartnerId] = useState("");
  const [role, setRole] = useState<Role>("incentives_admin");
  const [reviewerId, setReviewerId] = useState("");
  const [refusal, setRefusal] = useState<Refusal>(NO_REFUSAL);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    // The same checks as the local stack's, said before asking it.
    if (side === "partner" && !/^[0-9]{6,10}$/.test(partnerId.trim())) {
      const message = t("signin.partner_id_invalid");
      setRefusal(ownRefusal("partner-id", message));
      return;
    }
    if (side === "reviewer" && reviewerId.trim() === "") {
      const message = t("signin.reviewer_id_invalid");
      setRefusal(ownRefusal("reviewer-id", message));
      return;
    }
    const request: LocalSignIn =
      side === "partner" ? { partner_id: partnerId.trim(), role } : { reviewer_id: reviewerId.trim() };
    setBusy(true);
    const problem = await auth.signInLocally(request);
    setBusy(false);
    if (problem !== null) {
      setRefusal(
        refusalOf(problem, {
          paths: { partner_id: "partner-id", role: "role", reviewer_id: "reviewer-id" },
        }),
      );
    }
  };

  return (
    <RefusedIn refusal={refusal}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <p>{t("signin.local")}</p>
        <ErrorSummary refusal={refusal} />
        <Radios
          legend={t("signin.as")}
          name="as"
          value={side}
          choices={[
            { value: "partner", label: t("signin.partner") },
            { value: "reviewer", label: t("signin.reviewer") },
          ]}
          onValue={(choice) => {
            setSide(choice);
            setRefusal(NO_REFUSAL);
          }}
        />
        {side === "partner" ? (
          <>
            <TextField
              id="partner-id"
              label={t("signin.partner_id")}
              hint={t("signin.partner_id_hint")}
              inputMode="numeric"
              value={partnerId}
              onValue={setPartnerId}
              error={refusal.byControl["partner-id"]}
            />
            <SelectField
              id="role"
              label={t("signin.role")}
              value={role}
              onValue={(value) => {
                setRole(value === "incentives_user" ? "incentives_user" : "incentives_admin");
              }}
              choices={ROLES.map((code) => ({ value: code, label: code }))}
              error={refusal.byControl["role"]}
            />
          </>
        ) : (
          <TextField
            id="reviewer-id"
            label={t("signin.reviewer_id")}
            hint={t("signin.reviewer_id_hint")}
            value={reviewerId}
            onValue={setReviewerId}
            error={refusal.byControl["reviewer-id"]}
          />
        )}
        <button type="submit" disabled={busy}>
          {t("signin.submit")}
        </button>
      </form>
    </RefusedIn>
  );
}
