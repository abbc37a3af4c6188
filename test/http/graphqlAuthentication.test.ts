import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';

const OTHER = 'https://bank.example/';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: { data?: unknown; errors?: Array<{ message: string; extensions?: { code?: string } }> };
}

/**
 * Issue 15 (6a, 6b): who may talk to the management API is decided from the Bearer token before the
 * document is read. A token restricted to another resource server (RFC 8707, its `aud` not naming
 * this server) is not an operator token here, over HTTP or graphql-ws; and nobody without an
 * operator token learns the schema from "Did you mean …?" suggestions.
 */
describe('GraphQL authentication: audience, and what a refused caller learns', () => {
  let server: TestServer;
  let admin: string;
  let elsewhere: string;
  let both: string;
  let plain: string;
  const clients: Client[] = [];

  async function token(scope: string, resource?: string[]): Promise<string> {
    const c = await registerClient(server, { scope });
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', ...(resource ? { resource } : {}) },
      basic(c.clientId, c.secret!),
    );
    assert.equal(res.status, 200, res.text);
    return res.body.access_token as string;
  }

  before(async () => {
    server = await startTestServer();
    admin = await token('ledger:admin');
    elsewhere = await token('ledger:admin', [OTHER]);
    both = await token('ledger:admin', [OTHER, server.url]);
    plain = await token('orders:read');
    assert.deepEqual(decodeJwt(elsewhere).aud, OTHER);
  });

  after(async () => {
    await Promise.all(clients.map(async (c) => c.dispose()));
    await server.close();
    removeDir(server.dataDir);
  });

  async function gql(query: string, bearer?: string): Promise<Answer> {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
  }

  describe('audience (6a)', () => {
    it('over HTTP, a ledger:admin token for another resource is refused 401 invalid_token, and writes nothing', async () => {
      const head = await ledgerHead(server);
      for (const query of ['{ signingKeys { kid } }', 'mutation { rotateSigningKey(alg: RS256) { kid } }']) {
        const res = await gql(query, elsewhere);
        assert.equal(res.status, 401, res.text);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="token-ledger", error="invalid_token"/);
        assert.equal(res.body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
        assert.equal(res.body.data, undefined);
      }
      const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ signingKeys { kid } }')}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${elsewhere}` },
      });
      assert.equal(get.status, 401);
      assert.match(get.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      await get.text();
      assert.equal(await ledgerHead(server), head, 'nothing was written');
    });

    it('a token whose audiences include this server is accepted', async () => {
      const res = await gql('{ signingKeys { kid } }', both);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.errors, undefined, res.text);
    });

    it('over graphql-ws, a token for another resource is refused at connection_init (4403)', async () => {
      const connect = (bearer: string) => {
        const client = createClient({
          url: `${server.url.replace(/^http/, 'ws')}/graphql`,
          webSocketImpl: WebSocket,
          lazy: true,
          retryAttempts: 0,
          connectionParams: { authorization: `Bearer ${bearer}` },
        });
        clients.push(client);
        return new Promise<string>((resolve) => {
          client.on('connected', () => resolve('connected'));
          client.on('closed', (event) => resolve(`closed ${(event as { code: number }).code}`));
          client.subscribe(
            { query: '{ signingKeys { kid } }' },
            { next: () => undefined, error: () => undefined, complete: () => undefined },
          );
        });
      };
      assert.equal(await connect(elsewhere), 'closed 4403');
      assert.equal(await connect(admin), 'connected');
    });
  });

  describe('field suggestions (6b)', () => {
    // `signingKey` is one letter from `signingKeys`: graphql-js would answer 'Did you mean "signingKeys"?'.
    const typo = '{ signingKey { kid } }';

    it('no token, an unknown token, a token for another resource, or one without a ledger scope: refused with no schema detail', async () => {
      for (const [bearer, status, code] of [
        [undefined, 401, 'UNAUTHENTICATED'],
        ['not-a-token', 401, 'UNAUTHENTICATED'],
        [elsewhere, 401, 'UNAUTHENTICATED'],
        [plain, 403, 'FORBIDDEN'],
      ] as const) {
        const res = await gql(typo, bearer);
        assert.equal(res.status, status, res.text);
        assert.equal(res.body.errors?.length, 1, res.text);
        assert.equal(res.body.errors?.[0]?.extensions?.code, code);
        assert.doesNotMatch(res.text, /did you mean|signingKeys|Query/i);
      }
    });

    it('an operator, who may introspect the whole schema anyway, gets them', async () => {
      const res = await gql(typo, admin);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
      assert.match(res.body.errors?.[0]?.message ?? '', /Did you mean "signingKeys"/);
    });
  });
});
