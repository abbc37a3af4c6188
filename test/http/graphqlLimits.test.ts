import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { doublingFragments } from '../helpers/graphqlDocuments.js';
import { basic, clientCredentialsToken, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Issue 15 (2): a small document must not block the event loop, with or without a token. The
 * custom rules once walked every path through the fragments: 4.8 s at 20 levels, doubling per level,
 * before the caller was even known (the answer was still 401).
 */
describe('GraphQL: the cost of a document is linear in its size, and decided after authentication', () => {
  let server: TestServer;
  let admin: string;
  /**
   * 100 ms over what a trivial operator query takes here and now: on a quiet machine about 100 ms; on
   * one shared with other work, that work's delay is not counted against us. The naive walk took
   * seconds at 20 levels and would take hours at 30, so the margin hides nothing.
   */
  let budget = Infinity;

  before(async () => {
    server = await startTestServer();
    admin = (await clientCredentialsToken(server, 'ledger:admin')).token;
    const trivial = await timed('{ signingKeys { kid } }', admin, 0);
    budget = 100 + Math.max(trivial.ms, trivial.healthz);
  });

  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const post = (body: string, token?: string) =>
    fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  /**
   * The request's own time, and the slowest /healthz answered while it was in flight: the best of up
   * to five tries, so that a machine busy with other work does not fail a check of our own cost.
   * Each try's document differs by a comment: Apollo caches a document that passed validation, and a
   * cached one would not be validated again.
   */
  async function timed(query: string, token?: string, enough = budget): Promise<Awaited<ReturnType<typeof once>>> {
    const attempt = (i: number) => once(JSON.stringify({ query: `${query}\n# try ${i} ${Math.random()}` }), token);
    let best = await attempt(0);
    for (let i = 1; i < 5 && Math.max(best.ms, best.healthz) >= enough; i++) {
      const next = await attempt(i);
      if (Math.max(next.ms, next.healthz) < Math.max(best.ms, best.healthz)) best = next;
    }
    return best;
  }

  async function once(body: string, token?: string) {
    const started = performance.now();
    let done = false;
    const request = post(body, token).then(async (res) => {
      const result = {
        ms: performance.now() - started,
        status: res.status,
        body: (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> },
      };
      done = true;
      return result;
    });
    let healthz = 0;
    do {
      const t = performance.now();
      const res = await fetch(`${server.url}/healthz`);
      assert.equal(res.status, 200);
      await res.text();
      healthz = Math.max(healthz, performance.now() - t);
    } while (!done);
    return { ...(await request), healthz };
  }

  it('the 20- and 30-level doubling fragments are answered in well under 100 ms, /healthz staying responsive', async (t) => {
    t.diagnostic(`budget ${budget.toFixed(0)} ms`);
    const head = await ledgerHead(server);
    for (const levels of [20, 30]) {
      const query = doublingFragments(levels);
      assert.ok(query.length < 2500, `${query.length} bytes`);
      for (const [token, status, code] of [
        [undefined, 401, 'UNAUTHENTICATED'],
        [admin, 400, 'QUERY_TOO_COMPLEX'],
      ] as const) {
        const res = await timed(query, token);
        const who = token ? 'with an operator token' : 'without a token';
        assert.equal(res.status, status, `${levels} levels ${who}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.errors?.[0]?.extensions?.code, code);
        assert.equal(res.body.data, undefined);
        assert.ok(res.ms < budget, `${levels} levels ${who}: answered in ${res.ms.toFixed(0)} ms`);
        assert.ok(res.healthz < budget, `${levels} levels ${who}: /healthz took ${res.healthz.toFixed(0)} ms`);
      }
    }
    assert.equal(await ledgerHead(server), head, 'nothing was written');
  });

  it('a mutation made of doubling fragments is refused before anything is written', async () => {
    const doc = doublingFragments(20, 'Mutation', 'rotateSigningKey { kid }');
    const head = await ledgerHead(server);
    const res = await timed(doc, admin);
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.ok(
      ['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX'].includes(res.body.errors?.[0]?.extensions?.code ?? ''),
      JSON.stringify(res.body),
    );
    assert.ok(res.ms < budget, `answered in ${res.ms.toFixed(0)} ms`);
    assert.equal(await ledgerHead(server), head, 'nothing was written');
  });

  it('over graphql-ws the doubling fragments are refused in well under 100 ms, and a revoked token before its document is read', async () => {
    const c = await registerClient(server, { scope: 'ledger:audit' });
    const issued = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
    const auditor = issued.body.access_token as string;
    const client = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${auditor}` },
    });
    await new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const run = (query: string) =>
      new Promise<{ ms: number; code: unknown }>((resolve) => {
        const started = performance.now();
        client.subscribe(
          { query },
          {
            next: () => undefined,
            complete: () => resolve({ ms: performance.now() - started, code: 'complete' }),
            error: (errors) =>
              resolve({
                ms: performance.now() - started,
                code: (errors as Array<{ extensions?: { code?: string } }>)[0]?.extensions?.code,
              }),
          },
        );
      });
    try {
      for (const levels of [20, 30]) {
        let best = { ms: Infinity, code: undefined as unknown };
        for (let i = 0; i < 5 && best.ms >= budget; i++) {
          const res = await run(`${doublingFragments(levels)}\n# try ${i}`);
          assert.equal(res.code, 'QUERY_TOO_COMPLEX', `${levels} levels`);
          best = res.ms < best.ms ? res : best;
        }
        assert.ok(best.ms < budget, `${levels} levels over graphql-ws: answered in ${best.ms.toFixed(0)} ms`);
      }
      const revoked = await postForm(server, '/revoke', { token: auditor }, basic(c.clientId, c.secret!));
      assert.equal(revoked.status, 200, revoked.text);
      const res = await run(doublingFragments(30));
      assert.equal(res.code, 'UNAUTHENTICATED');
      assert.ok(res.ms < budget, `a revoked token's document: answered in ${res.ms.toFixed(0)} ms`);
    } finally {
      await client.dispose();
    }
  });

  it('a document over the 64 KiB body cap is refused 413 unread; nesting past what the parser can take is a 400, not a 500', async () => {
    const head = await ledgerHead(server);
    const big = await post(JSON.stringify({ query: `{ ${'signingKeys { kid } '.repeat(4000)} }` }), admin);
    assert.equal(big.status, 413);
    await big.text();
    const deep = await post(JSON.stringify({ query: `{ ${'a{'.repeat(6000)}b${'}'.repeat(6000)} }` }), admin);
    const text = await deep.text();
    assert.equal(deep.status, 400, text.slice(0, 300));
    assert.equal(
      (JSON.parse(text) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code,
      'GRAPHQL_PARSE_FAILED',
      text.slice(0, 300),
    );
    assert.equal(await ledgerHead(server), head, 'nothing was written');
  });
});
