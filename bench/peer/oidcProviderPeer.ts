/**
 * The benchmark's peer: oidc-provider (v9) with its default in-memory adapter, configured for the
 * same machine-to-machine flows as ours. Run as its own process:
 *
 *   node dist/bench/peer/oidcProviderPeer.js <port>
 *
 * Listens on 127.0.0.1:<port> with issuer http://127.0.0.1:<port> and prints `ready` on stdout once
 * listening; nothing else is printed (set BENCH_PEER_VERBOSE=1 to see oidc-provider's own notices
 * and server errors on stderr). Exits on SIGTERM/SIGINT.
 *
 * - `client_credentials` with `resource=https://api.example` → a JWT access token (RFC 9068,
 *   `typ: at+jwt`, ES256), audience https://api.example.
 * - `client_credentials` without `resource` → an opaque access token (the only kind oidc-provider
 *   introspects: it refuses to introspect or revoke its own JWTs).
 */
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';

// Not exported: importing this file runs the server.
const PEER_RESOURCE = 'https://api.example';
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

  // Signing keys generated at start: ES256 signs the JWT access tokens; RS256 is there because it is
  // the default ID Token algorithm and oidc-provider expects a key for it.
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

  const provider = new Provider(issuer, {
    // No `adapter`: the default in-memory one.
    // The client metadata `scope` may only list scopes the authorization server itself supports, so
    // the two API scopes are declared here too (the docs would keep resource-server scopes out of
    // `scopes`; then a client could carry no `scope`, and an opaque token would carry no scope).
    scopes: ['openid', 'offline_access', 'orders:read', 'orders:write'],
    clients: PEER_CLIENTS.map((c) => client(c.clientId, c.clientSecret)),
    jwks: { keys: [await jwk('ES256'), await jwk('RS256')] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // The default policy, stated (so it is not reported as an unchanged default): a
        // confidential client may introspect any token.
        allowedPolicy: async (_ctx: unknown, caller: { clientAuthMethod: string; clientId: string }, token: { clientId?: string }) =>
          caller.clientAuthMethod !== 'none' || token.clientId === caller.clientId,
      },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // No `resource` parameter → no resource server → an opaque access token.
        defaultResource: async () => undefined,
        // Only matters for grants that carry a granted resource (codes, refresh tokens).
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
          if (resourceIndicator !== PEER_RESOURCE) throw new errors.InvalidTarget();
          return {
            scope: 'orders:read orders:write',
            audience: PEER_RESOURCE,
            accessTokenTTL: 3600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  });
  provider.silent = true;
  if (verbose) provider.on('server_error', (_ctx, err) => console.warn('peer server_error', err));

  const server = createServer(provider.callback());
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
