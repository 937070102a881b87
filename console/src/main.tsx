import { render } from "preact";
import { apiClient } from "./api/client";
import { App } from "./app/App";
import { Auth } from "./auth/session";
import { loadConfig } from "./config";
import { isLanguage, pickLanguage, translate, type Language } from "./i18n/messages";
import { currentPath } from "./router";
import { SIGNED_IN_PATH } from "./auth/session";
import "./styles.css";

// The person's choice of language is kept in this browser (it is no secret); until they make
// one, the browser's preference decides.
const LANGUAGE_KEY = "cpor.console.language";

function initialLanguage(): Language {
  const chosen = window.localStorage.getItem(LANGUAGE_KEY);
  return chosen !== null && isLanguage(chosen) ? chosen : pickLanguage(navigator.languages);
}

async function start(root: HTMLElement): Promise<void> {
  let language = initialLanguage();
  document.documentElement.lang = language;
  let config;
  try {
    config = await loadConfig();
  } catch (cause) {
    const paragraph = document.createElement("p");
    paragraph.setAttribute("role", "alert");
    paragraph.textContent = translate(language, "app.config_failed", {
      detail: cause instanceof Error ? cause.message : String(cause),
    });
    root.replaceChildren(paragraph);
    return;
  }
  const api = apiClient(config.apiBaseUrl, {
    token: () => auth.current?.token ?? null,
    language: () => language,
    unauthenticated: () => {
      auth.expire();
    },
  });
  const auth = new Auth(config, api);
  if (currentPath() !== SIGNED_IN_PATH) await auth.resume();
  const onLanguage = (chosen: Language) => {
    language = chosen;
    document.documentElement.lang = chosen;
    window.localStorage.setItem(LANGUAGE_KEY, chosen);
  };
  root.replaceChildren();
  render(<App api={api} apiBase={config.apiBaseUrl} auth={auth} language={language} onLanguage={onLanguage} />, root);
}

const root = document.getElementById("app");
if (root !== null) void start(root);
