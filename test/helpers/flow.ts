import { randomUUID } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { registerUser } from '../../src/application/registerUser.js';
import { Browser, type Page } from './browser.js';
import type { TestServer } from './server.js';

export async function createUser(
  server: TestServer,
  username = `user-${randomUUID().slice(0, 8)}`,
  password = 'correct horse battery',
) {
  const user = await registerUser(
    server.runtime.ports,
    { username, password, email: `${username}@example.com`, name: 'Alice Example', emailVerified: true },
    { actor: 'operator:test', correlationId: randomUUID() },
  );
  return { sub: user.sub, username, password };
}

export interface Authorized {
  page: Page;
  params: URLSearchParams;
  verifier: string;
  state: string;
}

/**
 * Runs /authorize in `browser` through whatever pages appear (login, consent), answering them as
 * `user` would, until the server sends the browser back to the client. Returns that response.
 */
export async function authorizeInBrowser(
  server: TestServer,
  browser: Browser,
  query: Record<string, string>,
  user?: { username: string; password: string },
  decision: 'approve' | 'deny' = 'approve',
): Promise<Page> {
  let page = await browser.get(`${server.url}/authorize?${new URLSearchParams(query)}`);
  for (let step = 0; step < 4 && page.status !== 303 && !/action="(?!login|consent)/.test(page.html); step++) {
    if (page.html.includes('name="password"')) {
      if (!user) return page;
      page = await browser.submit(`${server.url}/authorize`, page, {
        username: user.username,
        password: user.password,
      });
    } else if (page.html.includes('name="decision"')) {
      page = await browser.submit(`${server.url}/authorize`, page, { decision });
    } else {
      return page;
    }
  }
  return page;
}

/** A full front-channel run with PKCE: returns the callback parameters and the verifier. */
export async function authorizeWithPkce(
  server: TestServer,
  browser: Browser,
  clientId: string,
  redirectUri: string,
  user: { username: string; password: string } | undefined,
  extra: Record<string, string> = {},
): Promise<Authorized> {
  const verifier = oauth.generateRandomCodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = randomUUID();
  const page = await authorizeInBrowser(
    server,
    browser,
    {
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      ...extra,
    },
    user,
  );
  const params = page.location ? new URL(page.location).searchParams : new URLSearchParams();
  return { page, params, verifier, state };
}
