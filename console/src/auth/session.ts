// Signing in and out. Tokens live in this object's memory only: a reload signs in again
// silently where it can (the identity provider's session, or locally the same local sign-in),
// and signing out forgets them.
import {
  InMemoryWebStorage,
  UserManager,
  WebStorageStateStore,
  type User,
} from "oidc-client-ts";
import type { Api } from "../api/client";
import { readProblem, unreachable, type Problem } from "../api/problem";
import type { ConsoleConfig, IdentityProvider } from "../config";
import { identityOf, type Identity, type Side } from "./identity";

export interface Session {
  readonly identity: Identity;
  readonly token: string;
}

/** The local stack's sign-in: a partner with a role, or a reviewer. */
export type LocalSignIn =
  | { readonly partner_id: string; readonly role: "incentives_admin" | "incentives_user" }
  | { readonly reviewer_id: string };

// Kept in sessionStorage, never a token: which console the person signed in to, so that a reload
// asks the same identity provider; and locally, what the local sign-in asked for.
const SIDE_KEY = "cpor.console.side";
const LOCAL_KEY = "cpor.console.local";

/** The path under the console's base that the identity provider redirects back to. */
export const SIGNED_IN_PATH = "signed-in";

function url(path: string): string {
  return new URL(`${import.meta.env.BASE_URL}${path}`, window.location.origin).href;
}

export class Auth {
  private session: Session | null = null;
  /** The API refused the last session's token (rather than the person signing out). */
  ended = false;
  private readonly listeners = new Set<(session: Session | null) => void>();
  private readonly managers = new Map<Side, UserManager>();
  private localRenewal: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly config: ConsoleConfig,
    private readonly api: Api,
  ) {}

  get current(): Session | null {
    return this.session;
  }

  subscribe(listener: (session: Session | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Locally no identity provider is configured, and the local sign-in form stands in. */
  get local(): boolean {
    return this.config.partner === null && this.config.reviewer === null;
  }

  /** The consoles an identity provider is configured for, partner first. */
  get sides(): readonly Side[] {
    return (["partner", "reviewer"] as const).filter((side) => this.provider(side) !== null);
  }

  private provider(side: Side): IdentityProvider | null {
    return side === "partner" ? this.config.partner : this.config.reviewer;
  }

  private set(session: Session | null): void {
    if (session !== null) this.ended = false;
    this.session = session;
    for (const listener of this.listeners) listener(session);
  }

  private manager(side: Side): UserManager {
    const known = this.managers.get(side);
    if (known !== undefined) return known;
    const provider = this.provider(side);
    if (provider === null) throw new Error(`no identity provider is configured for ${side}s`);
    const manager = new UserManager({
      authority: provider.issuer,
      client_id: provider.clientId,
      scope: provider.scope,
      response_type: "code",
      redirect_uri: url(SIGNED_IN_PATH),
      silent_redirect_uri: url("silent-callback.html"),
      automaticSilentRenew: true,
      // Tokens in memory only; the PKCE verifier and state survive the redirect in the tab's
      // sessionStorage, and are removed when it comes back.
      userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
      stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    });
    manager.events.addUserLoaded((user) => {
      this.adopt(side, user);
    });
    manager.events.addAccessTokenExpired(() => {
      this.set(null);
    });
    this.managers.set(side, manager);
    return manager;
  }

  private adopt(side: Side, user: User): void {
    this.set({ identity: identityOf(user.access_token, side), token: user.access_token });
  }

  /** Locally: a token from the local stack, for a partner or a reviewer. */
  async signInLocally(request: LocalSignIn): Promise<Problem | null> {
    let answer;
    try {
      answer = await this.api.POST("/_local/token", { body: request });
    } catch (cause) {
      return unreachable(cause);
    }
    if (answer.data === undefined) return readProblem(answer.error, answer.response.status);
    const token = answer.data.access_token;
    window.sessionStorage.setItem(LOCAL_KEY, JSON.stringify(request));
    this.set({ identity: identityOf(token, "reviewer_id" in request ? "reviewer" : "partner"), token });
    // A minute before the token expires, the same sign-in again.
    clearTimeout(this.localRenewal);
    this.localRenewal = setTimeout(
      () => void this.signInLocally(request),
      Math.max(answer.data.expires_in - 60, 30) * 1000,
    );
    return null;
  }

  /** Through the identity provider of `side`: the browser leaves for its sign-in page. */
  async signInWith(side: Side): Promise<void> {
    window.sessionStorage.setItem(SIDE_KEY, side);
    await this.manager(side).signinRedirect();
  }

  /** Back from the identity provider with an authorization code. */
  async completeSignIn(): Promise<void> {
    const side = this.rememberedSide();
    if (side === null) throw new Error("this tab did not start a sign-in");
    const user = await this.manager(side).signinRedirectCallback();
    this.adopt(side, user);
  }

  private rememberedSide(): Side | null {
    const side = window.sessionStorage.getItem(SIDE_KEY);
    return side === "partner" || side === "reviewer" ? side : null;
  }

  /** After a reload: signs in again without asking, where the earlier sign-in allows it. */
  async resume(): Promise<void> {
    if (this.local) {
      const remembered = window.sessionStorage.getItem(LOCAL_KEY);
      if (remembered === null) return;
      try {
        await this.signInLocally(JSON.parse(remembered) as LocalSignIn);
      } catch {
        this.forget();
      }
      return;
    }
    const side = this.rememberedSide();
    if (side === null || this.provider(side) === null) return;
    try {
      const user = await this.manager(side).signinSilent();
      if (user !== null) this.adopt(side, user);
    } catch {
      // The identity provider wants the person to sign in again: the sign-in page asks.
    }
  }

  private forget(): void {
    clearTimeout(this.localRenewal);
    window.sessionStorage.removeItem(SIDE_KEY);
    window.sessionStorage.removeItem(LOCAL_KEY);
  }

  /** The API refused the token: the session is over, and the sign-in page says so. */
  expire(): void {
    if (this.session === null) return;
    this.ended = true;
    this.forget();
    this.set(null);
  }

  /** Forgets the tokens and which console this tab signed in to. */
  async signOut(): Promise<void> {
    this.forget();
    await Promise.all([...this.managers.values()].map((manager) => manager.removeUser()));
    this.set(null);
  }
}
