// The console's settings, read at start from config.json beside the built files: the deployment
// writes that file, so one build serves every stack.

/** An OpenID Connect identity provider the API's authorizer trusts. */
export interface IdentityProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
}

export interface ConsoleConfig {
  /** Where the API is, without a trailing slash; empty for the console's own origin. */
  readonly apiBaseUrl: string;
  /** The partners' identity provider; none locally, where the local sign-in form stands in. */
  readonly partner: IdentityProvider | null;
  /** The reviewers' identity provider. */
  readonly reviewer: IdentityProvider | null;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function provider(value: unknown, name: string): IdentityProvider | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "object") throw new ConfigError(`${name} must be an object`);
  const { issuer, client_id: clientId, scope } = value as Record<string, unknown>;
  if (typeof issuer !== "string" || !/^https?:\/\/\S+$/.test(issuer)) {
    throw new ConfigError(`${name}.issuer must be an http(s) URL`);
  }
  if (typeof clientId !== "string" || clientId === "") {
    throw new ConfigError(`${name}.client_id must be a non-empty string`);
  }
  if (scope !== undefined && typeof scope !== "string") {
    throw new ConfigError(`${name}.scope must be a string`);
  }
  return { issuer, clientId, scope: scope ?? "openid" };
}

/** Reads config.json's document: `{ "api_base_url", "partner"?, "reviewer"? }`. */
export function parseConfig(document: unknown): ConsoleConfig {
  if (typeof document !== "object" || document === null) {
    throw new ConfigError("config.json must hold an object");
  }
  const fields = document as Record<string, unknown>;
  const base = fields["api_base_url"];
  if (typeof base !== "string" || (base !== "" && !/^https?:\/\/\S+$/.test(base))) {
    throw new ConfigError("api_base_url must be an http(s) URL, or empty for this origin");
  }
  return {
    apiBaseUrl: base.replace(/\/+$/, ""),
    partner: provider(fields["partner"], "partner"),
    reviewer: provider(fields["reviewer"], "reviewer"),
  };
}

/** Fetches config.json from beside the page; never cached, so a redeploy's settings apply. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(`${import.meta.env.BASE_URL}config.json`, { cache: "no-store" });
  if (!response.ok) throw new ConfigError(`config.json: HTTP ${response.status}`);
  return parseConfig(await response.json());
}
