// The page the identity provider's silent sign-in comes back to, in a hidden iframe: it hands
// the answer to the console in the parent window, which holds the sign-in's state.
import { UserManager } from "oidc-client-ts";

// The callback only posts the answer's URL to the parent; these settings are never used to
// talk to the identity provider.
void new UserManager({
  authority: window.location.origin,
  client_id: "console",
  redirect_uri: window.location.href,
}).signinSilentCallback();
