import { useEffect, useMemo, useState } from "preact/hooks";
import type { Api } from "../api/client";
import { outcome, useLoad } from "../api/load";
import type { Auth, Session } from "../auth/session";
import { SIGNED_IN_PATH } from "../auth/session";
import type { Language } from "../i18n/messages";
import { match, navigate, useLocation } from "../router";
import { ClaimScreen } from "../screens/Claim";
import { Claims } from "../screens/Claims";
import { NewClaim } from "../screens/NewClaim";
import { NextInQueue, ReviewQueue } from "../screens/ReviewQueue";
import { Review } from "../screens/Review";
import { SignIn } from "../screens/SignIn";
import { Loading } from "../ui/notices";
import { Screen } from "../ui/Screen";
import { ConsoleContext, namesOf, useWords, wordsFor, WordsContext, type Console } from "./context";
import { Header } from "./Header";

export function App(props: {
  api: Api;
  apiBase: string;
  auth: Auth;
  language: Language;
  onLanguage: (language: Language) => void;
}) {
  const { api, auth } = props;
  const [session, setSession] = useState<Session | null>(auth.current);
  useEffect(() => auth.subscribe(setSession), [auth]);
  const [language, setLanguage] = useState(props.language);
  const words = useMemo(() => wordsFor(language), [language]);
  const chooseLanguage = (chosen: Language) => {
    setLanguage(chosen);
    props.onLanguage(chosen);
  };

  // The catalogue's names are in the reader's language: read once per sign-in and language.
  const who = session === null ? null : JSON.stringify(session.identity);
  const [catalogue] = useLoad(
    () =>
      who === null
        ? Promise.resolve({ ok: true as const, data: null })
        : outcome(api.GET("/v1/catalogue")),
    [who, language],
  );
  const names = useMemo(() => namesOf(catalogue.state === "done" ? catalogue.data : null), [catalogue]);

  const context: Console | null =
    session === null ? null : { api, apiBase: props.apiBase, auth, session, words, names };
  return (
    <WordsContext.Provider value={words}>
      <ConsoleContext.Provider value={context}>
        <Header auth={auth} session={session} onLanguage={chooseLanguage} />
        <main id="main" tabIndex={-1}>
          <Routes auth={auth} session={session} />
        </main>
      </ConsoleContext.Provider>
    </WordsContext.Provider>
  );
}

function home(session: Session): string {
  return session.identity.side === "partner" ? "claims" : "review";
}

function Routes({ auth, session }: { auth: Auth; session: Session | null }) {
  const { path } = useLocation();
  if (path === SIGNED_IN_PATH) return <CompleteSignIn auth={auth} />;
  if (session === null) return <SignIn auth={auth} />;
  if (path === "") return <Redirect to={home(session)} />;
  const partner = session.identity.side === "partner";
  if (match("claims", path)) return partner ? <Claims /> : <Redirect to={home(session)} />;
  if (match("claims/new", path)) return partner ? <NewClaim /> : <Redirect to={home(session)} />;
  const claim = match("claims/:id", path);
  if (claim?.["id"] !== undefined) {
    return partner ? <ClaimScreen key={claim["id"]} claimId={claim["id"]} /> : <Redirect to={home(session)} />;
  }
  if (match("review", path)) return partner ? <Redirect to={home(session)} /> : <ReviewQueue />;
  if (match("review/next", path)) return partner ? <Redirect to={home(session)} /> : <NextInQueue />;
  const reviewed = match("review/:id", path);
  if (reviewed?.["id"] !== undefined) {
    return partner ? <Redirect to={home(session)} /> : <Review key={reviewed["id"]} claimId={reviewed["id"]} />;
  }
  return <NotFound />;
}

function Redirect({ to }: { to: string }) {
  useEffect(() => {
    navigate(to, { replace: true });
  }, [to]);
  return null;
}

function NotFound() {
  const { t } = useWords();
  return (
    <Screen title={t("common.page_not_found")}>
      <p>{t("common.page_not_found_text")}</p>
    </Screen>
  );
}

/** Back from the identity provider: the code is exchanged, then the person's first screen. */
function CompleteSignIn({ auth }: { auth: Auth }) {
  const { t } = useWords();
  const [failure, setFailure] = useState<string | null>(null);
  useEffect(() => {
    auth
      .completeSignIn()
      .then(() => {
        navigate("", { replace: true });
      })
      .catch((cause: unknown) => {
        setFailure(cause instanceof Error ? cause.message : String(cause));
      });
  }, [auth]);
  if (failure === null) return <Loading />;
  return (
    <Screen title={t("signin.title")}>
      <div class="notice notice-problem" role="alert">
        <p>{t("signin.failed", { detail: failure })}</p>
      </div>
      <p>
        <a href={import.meta.env.BASE_URL}>{t("signin.submit")}</a>
      </p>
    </Screen>
  );
}
