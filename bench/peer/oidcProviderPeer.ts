/**
 * The benchmark's peer: oidc-provider (v9) with its own in-memory adapter over an unbounded Map,
 * configured for the same machine-to-machine flows as ours. (Its default storage is an LRU of 1,000
 * entries: past that, tokens issued a moment ago are forgotten, and a revocation or an introspection
 * of them is a lookup miss, not the work being measured. Nothing expires from the Map during a run.) Run as its own
 * process:
 *
 *   node dist/bench/peer/oidcProviderPeer.js <port>
 *
 * Listens on 127.0.0.1:<port> with issuer http://127.0.0.1:<port> and prints `ready` on stdout once
 * listening; nothing else is printed (set BENCH_PEER_VERBOSE=1 to see oidc-provider's own notices
 * and server errors on stderr). Exits on SIGTERM/SIGINT.
 *
 * - `client_credentials` with `resource=https://api.example` → a JWT access token (RFC 9068,
 *   `typ: at+jwt`, ES256), audience https://api.example; `resource=https://api-rs.example` → the
 *   same signed with RS256.
 * - `client_credentials` without `resource` → an opaque access token (the only kind oidc-provider
 *   introspects: it refuses to introspect or revoke its own JWTs).
 * - `bench-spa`, a public client, for the authorization-code flow with PKCE and refresh-token
 *   rotation. There is no login page: /interaction/<uid> signs `bench-user` in, then grants what the
 *   request asks, each at once (the bench measures round trips with an established session, after this).
 *   A refresh token is issued whenever the client may use one (no `offline_access` + prompt=consent
 *   dance, which ours does not ask for either).
 * - DPoP (RFC 9449): a token request or a UserInfo request may carry a proof; its access token is then
 *   DPoP-bound (`token_type: DPoP`, `cnf.jkt`). Proofs with ES256 are accepted; no nonce is required.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';

// Not exported: importing this file runs the server.
/** Resource server → the algorithm its JWT access tokens are signed with. */
const PEER_RESOURCES: Record<string, 'ES256' | 'RS256'> = {
  'https://api.example': 'ES256',
  'https://api-rs.example': 'RS256',
};
const PEER_CLIENTS = [
  { clientId: 'bench-client', clientSecret: 'bench-secret-0123456789' },
  { clientId: 'bench-opaque', clientSecret: 'bench-secret-0123456789' },
] as const;

const verbose = process.env.BENCH_PEER_VERBOSE === '1';

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    process.stderr.write('usage: node dist/bench/peer/oidcProviderPeer.js <port>\n');
    process.exit(2);
  }

  // oidc-provider reports through console.info/console.warn (a "NOTICE" for every default helper it
  // calls, a "WARNING" at import on Node < 22) and Koa logs errors with console.error. Silence all
  // of it before the module is loaded; stdout carries only `ready`.
  if (!verbose) {
    const quiet = () => undefined;
    console.log = console.info = console.warn = console.error = console.debug = quiet;
  } else {
    console.log = console.info = console.warn;
  }
  const { Provider, errors } = await import('oidc-provider');
  const { default: MemoryAdapter } = await import('oidc-provider/lib/adapters/memory_adapter.js');
  const storage = new Map<string, unknown>();

  // Signing keys generated at start: ES256 and RS256 sign the JWT access tokens (per resource); RS256
  // is also the default ID Token algorithm.
  const jwk = async (alg: 'ES256' | 'RS256') => {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `peer-${alg.toLowerCase()}` };
  };

  const issuer = `http://127.0.0.1:${port}`;
  const client = (clientId: string, clientSecret: string) => ({
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'orders:read orders:write',
  });
  const spa = {
    client_id: 'bench-spa',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.example/cb'],
    token_endpoint_auth_method: 'none',
    scope: 'openid profile orders:read orders:write',
  };

  const provider = new Provider(issuer, {
    adapter: (model: string) => new MemoryAdapter(model, storage),
    // The client metadata `scope` may only list scopes the authorization server itself supports, so
    // the two API scopes are declared here too (the docs would keep resource-server scopes out of
    // `scopes`; then a client could carry no `scope`, and an opaque token would carry no scope).
    scopes: ['openid', 'profile', 'offline_access', 'orders:read', 'orders:write'],
    clients: [...PEER_CLIENTS.map((c) => client(c.clientId, c.clientSecret)), spa],
    findAccount: async (_ctx: unknown, accountId: string) => ({
      accountId,
      claims: async () => ({ sub: accountId, preferred_username: accountId, name: 'Bench User' }),
    }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    jwks: { keys: [await jwk('ES256'), await jwk('RS256')] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The default policy, stated (so it is not reported as an unchanged default): a
        // confidential client may introspect any token.
        allowedPolicy: async (
          _ctx: unknown,
          caller: { clientAuthMethod: string; clientId: string },
          token: { clientId?: string },
        ) => caller.clientAuthMethod !== 'none' || token.clientId === caller.clientId,
      },
      revocation: { enabled: true },
      // On by default in v9, stated: a DPoP proof (RFC 9449) binds an access token to its key, each
      // proof's jti is remembered (in the same Map) and refused when replayed; no nonce is asked for.
      dPoP: { enabled: true, requireNonce: () => false, allowReplay: false },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter → no resource server → an opaque access token.
        defaultResource: async () => undefined,
        // Only matters for grants that carry a granted resource (codes, refresh tokens).
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
          const alg = PEER_RESOURCES[resourceIndicator];
          if (!alg) throw new errors.InvalidTarget();
          return {
            scope: 'orders:read orders:write',
            audience: resourceIndicator,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg } },
          };
        },
      },
    },
  });
  provider.silent = true;
  if (verbose) provider.on('server_error', (_ctx, err) => console.warn('peer server_error', err));

  /** Each interaction at once: the login prompt signs bench-user in; consent grants what is missing. */
  const interact = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const accountId = 'bench-user';
    if (details.prompt.name === 'login') {
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
      return;
    }
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId: details.params.client_id as string });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  };
  const callback = provider.callback();
  const server = createServer((req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    interact(req, res).catch((err: Error) => {
      if (verbose) console.warn('peer interaction failed', err);
      res.statusCode = 500;
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  process.stdout.write('ready\n');

  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
