// The one way the console talks to the API: openapi-fetch over the types generated from
// openapi.yaml, so a request or answer the contract does not describe fails the type check.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.gen";

export type Schemas = components["schemas"];
export type Claim = Schemas["Claim"];
export type ClaimWithHistory = Schemas["ClaimWithHistory"];
export type ReviewedClaim = Schemas["ReviewedClaim"];
export type ReviewQueueItem = Schemas["ReviewQueueItem"];
export type ClaimStatus = Schemas["ClaimStatus"];
export type ReviewQueueStatus = Schemas["ReviewQueueStatus"];
export type Program = Schemas["Program"];
export type Workload = Schemas["Workload"];
export type Catalogue = Schemas["Catalogue"];
export type FieldError = Schemas["FieldError"];
export type ProblemCode = Schemas["ProblemCode"];
export type Document = Schemas["Document"];
export type ClaimSubmission = Schemas["ClaimSubmission"];
export type CustomerContactInput = Schemas["CustomerContactInput"];
export type InformationCode = Schemas["InformationCode"];
export type ReviewerRejectionCode = Schemas["ReviewerRejectionCode"];

export type Api = ReturnType<typeof createClient<paths>>;

/** What every request carries, read at the time it is sent. */
export interface RequestContext {
  /** The bearer token, or null before signing in. */
  token(): string | null;
  /** The language the catalogue's names and the API's messages should be in. */
  language(): string;
  /** Called when the API refuses the token: the session is over. */
  unauthenticated(): void;
}

export function apiClient(baseUrl: string, context: RequestContext): Api {
  const api = createClient<paths>({ baseUrl });
  api.use({
    onRequest({ request }) {
      const token = context.token();
      if (token !== null) request.headers.set("Authorization", `Bearer ${token}`);
      request.headers.set("Accept-Language", context.language());
      return request;
    },
    onResponse({ request, response }) {
      if (response.status === 401 && request.headers.has("Authorization")) {
        context.unauthenticated();
      }
      return undefined;
    },
  });
  return api;
}
