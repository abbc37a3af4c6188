import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { handleClientCommand } from '../../src/application/clients.js';
import type { ClientMetadata } from '../../src/domain/clients/events.js';
import { hashClientSecret } from '../../src/security/clientSecrets.js';
import type { TestServer } from './server.js';

export const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** Registers a client through the same command path as the CLI; returns its id and secret. */
export async function registerClient(
  server: TestServer,
  metadata: Partial<ClientMetadata> & { client_id?: string },
  secret: string | null = `secret-${randomUUID()}`,
): Promise<{ clientId: string; secret: string | null }> {
  const { client_id, ...rest } = metadata;
  const clientId = client_id ?? `client-${randomUUID().slice(0, 8)}`;
  const full: ClientMetadata = {
    grant_types: ['client_credentials'],
    redirect_uris: [],
    scope: 'orders:read orders:write',
    token_endpoint_auth_method: 'client_secret_basic',
    access_token_format: 'jwt',
    access_token_signing_alg: 'ES256',
    access_token_ttl: 3600,
    ...rest,
  };
  const hash = secret === null ? null : await hashClientSecret(secret, true);
  await handleClientCommand(
    server.runtime.ports,
    { type: 'RegisterClient', clientId, metadata: full, secret: hash },
    { actor: 'operator:test', correlationId: randomUUID() },
  );
  return { clientId, secret };
}

export async function discover(server: TestServer): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
}

/** Raw form POST, for the rejection tests that no client library would send. */
export async function postForm(
  server: TestServer,
  path: string,
  form: Record<string, string | string[]> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  let body: string;
  if (typeof form === 'string') body = form;
  else {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const value of Array.isArray(v) ? v : [v]) params.append(k, value);
    body = params.toString();
  }
  // A server in another process (the e2e tests pass just its `url`) is reached over the network.
  const send = server.fetch ?? fetch;
  const res = await send(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** RFC 6749 §2.3.1: each part form-urlencoded, then joined and base64-encoded. */
export function basic(id: string, secret: string): Record<string, string> {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return { authorization: `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}` };
}

/**
 * A new confidential client of `scope` and its first client-credentials access token (an operator's, with ledger:*
 * scopes).
 */
export async function clientCredentialsToken(
  server: TestServer,
  scope: string,
): Promise<{ clientId: string; token: string }> {
  const { clientId, secret } = await registerClient(server, { scope });
  const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, secret!));
  if (res.status !== 200) throw new Error(`client credentials for ${scope}: ${res.status} ${res.text}`);
  return { clientId, token: res.body.access_token as string };
}

/** Records of single failed attempts (docs/audit-security-events.md): bounded by the throttles, written by design. */
const ATTEMPT_RECORDS = new Set(['LoginFailed', 'ClientAuthenticationFailed']);

/**
 * The position of the ledger's last event that is not a failed-attempt record. "A rejection writes nothing" holds
 * but for those records (docs/security.md): a test compares this before and after; the records themselves are
 * asserted by test/http/securityEvents.test.ts.
 */
export async function ledgerHead(server: TestServer): Promise<bigint> {
  const store = server.runtime.store;
  const head = await store.headPosition();
  let last = 0n;
  for (let after = 0n; after < head;) {
    const page = await store.readAll(after, 1000);
    if (page.length === 0) break;
    for (const e of page) if (!ATTEMPT_RECORDS.has(e.type)) last = e.position;
    after = page.at(-1)!.position;
  }
  return last;
}
