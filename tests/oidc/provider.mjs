// An OpenID provider on loopback for the console's sign-in test (oidc-provider, with its own
// sign-in and consent pages), and in front of the local gateway the console's origin as it is in
// AWS: config.json, written at deploy there, names this provider; everything else goes on to the
// gateway, so the console and the API share one origin.
//
// usage: node provider.mjs <provider port> <console port> <gateway base URL>
// Prints "ready" once both listen. A person signs in with any login, which becomes their
// partner id; their access tokens are RS256 JWTs for the API, carrying partner_id and role.
import http from "node:http";
import Provider from "oidc-provider";

const [providerPort, consolePort, gateway] = process.argv.slice(2);
if (gateway === undefined) {
  console.error("usage: node provider.mjs <provider port> <console port> <gateway base URL>");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${providerPort}`;
const origin = `http://127.0.0.1:${consolePort}`;
const CLIENT_ID = "cpor-console";
// The API, as the resource the access tokens are for: their audience.
const API = "https://api.cpor.example";

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      // A single-page application: a public client, with PKCE.
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code"],
      response_types: ["code"],
      redirect_uris: [`${origin}/console/signed-in`],
    },
  ],
  scopes: ["openid", "cpor"],
  features: {
    resourceIndicators: {
      enabled: true,
      defaultResource: () => API,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: "cpor",
        audience: API,
        accessTokenFormat: "jwt",
        accessTokenTTL: 600,
        jwt: { sign: { alg: "RS256" } },
      }),
    },
  },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  extraTokenClaims: (_ctx, token) =>
    token.kind === "AccessToken" ? { partner_id: token.accountId, role: "incentives_admin" } : undefined,
});

const front = http.createServer((request, response) => {
  if (request.url === "/console/config.json") {
    response.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
    response.end(
      JSON.stringify({ api_base_url: "", partner: { issuer, client_id: CLIENT_ID, scope: "openid cpor" } }),
    );
    return;
  }
  const target = new URL(request.url ?? "/", gateway);
  const onward = http.request(
    target,
    { method: request.method, headers: { ...request.headers, host: target.host } },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  onward.on("error", (error) => {
    response.writeHead(502, { "content-type": "text/plain" });
    response.end(String(error));
  });
  request.pipe(onward);
});

let listening = 0;
const ready = () => {
  listening += 1;
  if (listening === 2) console.log("ready");
};
provider.listen(Number(providerPort), "127.0.0.1", ready);
front.listen(Number(consolePort), "127.0.0.1", ready);
