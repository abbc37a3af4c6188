/**
 * What the console's page tests need besides the console: a person's grant with a refresh chain made over the wire
 * (login page, consent, code, refresh), and the reads that check a page's action really happened.
 */
import { Browser } from './browser.js';
import { authorizeWithPkce } from './flow.js';
import { basic, postForm, registerClient } from './oauth.js';
import type { TestServer } from './server.js';

export const APP_REDIRECT = 'https://app.example/callback';

export interface App {
  clientId: string;
  secret: string;
}

/** A confidential web application with the authorization code and refresh token grants. */
export async function registerApp(server: TestServer, clientId?: string): Promise<App> {
  const app = await registerClient(server, {
    ...(clientId ? { client_id: clientId } : {}),
    client_name: 'Orders web app',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    redirect_uris: [APP_REDIRECT],
    scope: 'orders:read orders:write',
  });
  return { clientId: app.clientId, secret: app.secret! };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  /** The access token's jti (a JWT's claim). */
  jti: string;
}

const jtiOf = (jwt: string) =>
  (JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as { jti: string }).jti;

function tokensOf(res: { status: number; body: any; text: string }, what: string): Tokens {
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${res.text}`);
  return {
    access_token: res.body.access_token,
    refresh_token: res.body.refresh_token,
    jti: jtiOf(res.body.access_token),
  };
}

/** `user` signs in at the login page and consents; the app redeems the code. */
export async function signInToApp(
  server: TestServer,
  app: App,
  user: { username: string; password: string },
): Promise<Tokens> {
  const run = await authorizeWithPkce(server, new Browser(), app.clientId, APP_REDIRECT, user, {
    scope: 'orders:read',
  });
  const code = run.params.get('code');
  if (!code) throw new Error(`no code: ${run.page.status} ${run.page.html.slice(0, 300)}`);
  const res = await postForm(
    server,
    '/token',
    { grant_type: 'authorization_code', code, redirect_uri: APP_REDIRECT, code_verifier: run.verifier },
    basic(app.clientId, app.secret),
  );
  return tokensOf(res, 'code redemption');
}

/** The raw answer to a refresh: a replayed (rotated-out) refresh token is refused with invalid_grant. */
export function refreshRaw(server: TestServer, app: App, refreshToken: string) {
  return postForm(
    server,
    '/token',
    { grant_type: 'refresh_token', refresh_token: refreshToken },
    basic(app.clientId, app.secret),
  );
}

export async function refreshTokens(server: TestServer, app: App, refreshToken: string): Promise<Tokens> {
  return tokensOf(await refreshRaw(server, app, refreshToken), 'refresh');
}

/** What a resource server is told about a token, over the wire. */
export async function introspect(server: TestServer, app: App, token: string): Promise<{ active: boolean }> {
  const res = await postForm(server, '/introspect', { token }, basic(app.clientId, app.secret));
  if (res.status !== 200) throw new Error(`introspection: ${res.status} ${res.text}`);
  return res.body as { active: boolean };
}

/** A GraphQL request with a Bearer token, over the wire; answers the parsed body. */
export async function graphql(
  server: TestServer,
  token: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<{ data?: any; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** The token as the history index holds it, once the index has caught up with the write that issued it. */
export async function indexedToken(server: TestServer, jti: string) {
  for (let i = 0; i < 100; i++) {
    const t = server.runtime.history.tokenByJti(jti);
    if (t) return t;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`token ${jti} never reached the history index`);
}
