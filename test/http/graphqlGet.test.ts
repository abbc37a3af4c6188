import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { clientCredentialsToken, ledgerHead } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

/** What Chromium sends when it navigates to a page. */
const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';

/**
 * Issue 15 (7): GraphQL-over-HTTP GET. Clients configured to send queries by GET (graphql-request
 * `method: 'GET'`, Apollo Client `useGETForQueries`) get JSON answers; mutations are POST only
 * (405, Allow: POST); a browser asking for a page is sent to GraphiQL (issue 22), its query kept.
 */
describe('GraphQL over HTTP GET', () => {
  let server: TestServer;
  let admin: string;

  before(async () => {
    server = await startInjectServer();
    admin = (await clientCredentialsToken(server, 'ledger:admin')).token;
  });

  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const get = (params: Record<string, string>, headers: Record<string, string>) =>
    server.fetch(`${server.url}/graphql?${new URLSearchParams(params)}`, { headers });

  it('a query by GET with an operator token answers JSON data, as each kind of client asks for it', async () => {
    const asked: Array<Record<string, string>> = [
      // graphql-request `method: 'GET'`
      { accept: 'application/graphql-response+json, application/json' },
      // Apollo Client `useGETForQueries`
      { accept: 'application/graphql-response+json,application/json;q=0.9', 'content-type': 'application/json' },
      // A client that names no type but sends a query
      { accept: '*/*' },
      {},
    ];
    for (const headers of asked) {
      const res = await get(
        {
          query: 'query Keys($n: Int) { signingKeys { kid } tokens(first: $n) { totalCount } }',
          variables: JSON.stringify({ n: 1 }),
          operationName: 'Keys',
        },
        { ...headers, authorization: `Bearer ${admin}` },
      );
      const text = await res.text();
      assert.equal(res.status, 200, `${JSON.stringify(headers)}: ${text}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/(graphql-response\+)?json/);
      assert.equal(res.headers.get('cache-control'), 'no-store');
      const body = JSON.parse(text) as {
        data: { signingKeys: Array<{ kid: string }>; tokens: { totalCount: number } };
        errors?: unknown;
      };
      assert.equal(body.errors, undefined, text);
      assert.ok(body.data.signingKeys.length >= 1);
      assert.ok(body.data.tokens.totalCount >= 1);
    }
  });

  it('a query by GET without a token is refused 401 with the Bearer challenge, and gives no data', async () => {
    const res = await get({ query: '{ signingKeys { kid } }' }, { accept: 'application/graphql-response+json' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="token-ledger"');
    assert.match(res.headers.get('content-type') ?? '', /^application\/graphql-response\+json/);
    const body = (await res.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.equal(body.data, undefined);
  });

  it('a mutation by GET is refused 405 with Allow: POST, and writes nothing', async () => {
    const head = await ledgerHead(server);
    for (const accept of ['application/graphql-response+json', 'application/json', '*/*']) {
      const res = await get(
        { query: 'mutation { rotateSigningKey(alg: RS256) { kid } }' },
        { accept, authorization: `Bearer ${admin}` },
      );
      const text = await res.text();
      assert.equal(res.status, 405, text);
      assert.equal(res.headers.get('allow'), 'POST');
      const body = JSON.parse(text) as {
        data?: unknown;
        errors: Array<{ message: string; extensions: { code: string } }>;
      };
      assert.equal(body.data, undefined);
      assert.equal(body.errors[0].extensions.code, 'BAD_REQUEST', text);
    }
    assert.equal(await ledgerHead(server), head, 'nothing was written');
  });

  it('a browser asking for a page is sent to GraphiQL, with the query in the URL kept', async () => {
    const query = '{ signingKeys { kid } }';
    for (const params of [{}, { query }] as Array<Record<string, string>>) {
      for (const accept of [BROWSER_ACCEPT, 'text/html', 'text/html, application/json;q=0.5']) {
        const res = await server.fetch(`${server.url}/graphql?${new URLSearchParams(params)}`, {
          headers: { accept },
          redirect: 'manual',
        });
        assert.equal(res.status, 302, `${accept} ${JSON.stringify(params)}`);
        const expected = params.query ? `/console/graphiql?query=${encodeURIComponent(query)}` : '/console/graphiql';
        assert.equal(res.headers.get('location'), expected);
        await res.text();
      }
    }
    // No Accept and no query: GraphiQL, as the explorer was before.
    const bare = await server.fetch(`${server.url}/graphql`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/console/graphiql');
    await bare.text();
    // JSON preferred over HTML: GraphQL.
    const json = await get(
      { query: '{ signingKeys { kid } }' },
      { accept: 'application/json, text/html;q=0.5', authorization: `Bearer ${admin}` },
    );
    assert.equal(json.status, 200);
    assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
    await json.text();
  });
});
