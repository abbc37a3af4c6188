import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Browser, type Page } from '../helpers/browser.js';
import { ledgerHead, postForm } from '../helpers/oauth.js';
import type { TestServer } from '../helpers/server.js';

/** RFC 7636 Appendix B. */
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
export const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

/** Runs `attack` and fails unless the ledger head is where it was before. */
export async function unchangedLedger<T>(server: TestServer, attack: () => Promise<T>): Promise<T> {
  const before = await ledgerHead(server);
  const result = await attack();
  assert.equal(await ledgerHead(server), before, 'nothing written to the ledger');
  return result;
}

/** An error page shown to the user: 400, HTML, no Location, no framing, nothing written. */
export async function expectErrorPage(
  server: TestServer,
  url: string,
  browser = new Browser(server.fetch),
  message?: RegExp,
): Promise<Page> {
  const page = await unchangedLedger(server, () => browser.get(url));
  assertErrorPage(page, message);
  return page;
}

export function assertErrorPage(page: Page, message?: RegExp): void {
  assert.equal(page.status, 400, page.html.slice(0, 300));
  assert.equal(page.location, null, 'never a redirect');
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.html, /This request cannot continue/);
  if (message) assert.match(page.html, message);
}

/** A redirect back to the registered URI carrying `error`, `state` as sent, `iss`, and no code; nothing written. */
export async function expectAuthorizeError(
  server: TestServer,
  query: string,
  redirectUri: string,
  error: string,
  state: string | null = 'st',
): Promise<void> {
  const page = await unchangedLedger(server, () => new Browser(server.fetch).get(`${server.url}/authorize?${query}`));
  assert.equal(page.status, 303, page.html.slice(0, 300));
  const url = new URL(page.location!);
  assert.equal(`${url.origin}${url.pathname}`, redirectUri);
  assert.equal(url.searchParams.get('error'), error, url.toString());
  assert.equal(url.searchParams.get('state'), state);
  assert.equal(url.searchParams.get('iss'), server.url);
  assert.equal(url.searchParams.get('code'), null);
}

/** The exact RFC error body, no-store, and nothing written. */
export async function expectOAuthError(
  server: TestServer,
  path: string,
  form: Record<string, string>,
  headers: Record<string, string>,
  status: number,
  error: string,
): Promise<Awaited<ReturnType<typeof postForm>>> {
  const res = await unchangedLedger(server, () => postForm(server, path, form, headers));
  assert.equal(res.status, status, res.text);
  assert.deepEqual(Object.keys(res.body ?? {}).sort(), ['error', 'error_description'], res.text);
  assert.equal(res.body.error, error, res.text);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return res;
}

/** A loopback server that counts every request: a `jku`/`x5u` it is never asked for was ignored. */
export async function startKeyHost(
  body: object,
): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const host: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  const { port } = host.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    hits: () => hits,
    close: () => new Promise<void>((resolve) => host.close(() => resolve())),
  };
}

/** The authorization response a web_message page would post, parsed from its inert JSON block. */
export function webMessageResponse(page: Page): { targetOrigin: string; response: Record<string, string> } {
  const json = /<script type="application\/json" id="tl-response">([^<]*)<\/script>/.exec(page.html)?.[1];
  assert.ok(json, `not a web_message page: ${page.html.slice(0, 200)}`);
  const data = JSON.parse(json);
  return { targetOrigin: data.targetOrigin, response: data.message.response };
}
