import { useWords } from "./context";
import type { Auth, Session } from "../auth/session";
import { LANGUAGES, type Language } from "../i18n/messages";
import { Link, navigate } from "../router";

// Each language named in itself, so that a person who cannot read the current one finds theirs.
const NATIVE_NAMES: Readonly<Record<Language, string>> = {
  en: "English",
  it: "Italiano",
  de: "Deutsch",
  fr: "Français",
  es: "Español",
  ja: "日本語",
};

export function Header(props: {
  auth: Auth;
  session: Session | null;
  onLanguage: (language: Language) => void;
}) {
  const { t, language } = useWords();
  const { session } = props;
  const identity = session?.identity;
  const role = identity?.role;
  return (
    <header class="site-header">
      <a class="skip-link" href="#main">
        {t("app.skip")}
      </a>
      <div class="site-header-bar">
        <span class="brand">{t("app.name")}</span>
        {identity !== undefined && (
          <p class="identity">
            <span class="identity-label">{t("header.signed_in_as")} </span>
            <strong>
              {identity.side === "partner"
                ? t("header.partner", { partner_id: identity.partnerId ?? "?" })
                : t("header.reviewer", { reviewer: identity.reviewer ?? "?" })}
            </strong>
            {identity.side === "partner" && (role === "incentives_admin" || role === "incentives_user") && (
              <span> ({t(`role.${role}`)})</span>
            )}
          </p>
        )}
        <div class="language">
          <label for="language">{t("header.language")}</label>
          <select
            id="language"
            value={language}
            onChange={(event) => {
              const chosen = event.currentTarget.value;
              const known = LANGUAGES.find((code) => code === chosen);
              if (known !== undefined) props.onLanguage(known);
            }}
          >
            {LANGUAGES.map((code) => (
              <option key={code} value={code} lang={code}>
                {NATIVE_NAMES[code]}
              </option>
            ))}
          </select>
        </div>
        {session !== null && (
          <button
            type="button"
            class="secondary"
            onClick={() => {
              void props.auth.signOut().then(() => {
                navigate("", { replace: true });
              });
            }}
          >
            {t("header.sign_out")}
          </button>
        )}
      </div>
      {identity !== undefined && (
        <nav aria-label={t("header.nav")}>
          <ul>
            {identity.side === "partner" ? (
              <li>
                <Link to="claims">{t("nav.claims")}</Link>
              </li>
            ) : (
              <li>
                <Link to="review">{t("nav.review_queue")}</Link>
              </li>
            )}
          </ul>
        </nav>
      )}
    </header>
  );
}
