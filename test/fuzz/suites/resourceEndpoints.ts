import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JWT_BEARER_ASSERTION } from '../../../src/oauth/clientAuth.js';
import { assertAlive, assertGraphQLAnswer, assertOAuthAnswer, fuzzParameters, rawRequest } from '../../helpers/fuzz.js';
import { basicAuth, fuzzEndpoint, get, post, type BaseRequest, type FuzzEnv } from '../../helpers/fuzzDriver.js';
import { FuzzFixtures } from '../../helpers/fuzzFixtures.js';
import { ledgerHead } from '../../helpers/oauth.js';

/** A token to look at: every kind this server issues, a spent one, and junk. */
async function someToken(fx: FuzzFixtures, v: number): Promise<string> {
  switch (v % 8) {
    case 0:
      return fx.ccToken();
    case 1:
      return (await fx.tokens('conf')).access;
    case 2:
      return (await fx.tokens('conf')).refresh;
    case 3:
      return (await fx.tokens('conf')).idToken ?? 'no-id-token';
    case 4:
      return (await fx.tokens('pub')).access;
    case 5:
      return (await fx.tokens('pub')).refresh;
    case 6:
      return fx.stale.at(-1) ?? 'nothing-spent-yet';
    default:
      return 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
  }
}

const HINTS = ['access_token', 'refresh_token', 'id_token', 'junk', ''];
const hint = (v: number): Array<[string, string]> =>
  v % 3 === 0 ? [['token_type_hint', HINTS[v % HINTS.length]]] : [];

function tokenEndpointBases(path: '/introspect' | '/revoke'): Record<string, BaseRequest> {
  return {
    [`${path}/basic`]: async (fx, v) =>
      post(path, [['token', await someToken(fx, v)], ...hint(v)], basicAuth(fx.conf.id, fx.conf.secret)),
    [`${path}/post`]: async (fx, v) =>
      post(path, [
        ['token', await someToken(fx, v)],
        ['client_id', fx.post.id],
        ['client_secret', fx.post.secret],
      ]),
    [`${path}/private_key_jwt`]: async (fx, v) =>
      post(path, [
        ['token', await someToken(fx, v)],
        ['client_assertion_type', JWT_BEARER_ASSERTION],
        ['client_assertion', await fx.assertion(`${fx.server.url}${path}`)],
      ]),
    [`${path}/public`]: async (fx, v) =>
      post(path, [
        ['token', await someToken(fx, v)],
        ['client_id', fx.pub.id],
      ]),
    [`${path}/signed answer`]: async (fx, v) =>
      post(path, [['token', await someToken(fx, v)]], basicAuth(fx.conf.id, fx.conf.secret), [
        ['accept', 'application/token-introspection+jwt'],
      ]),
  };
}

const userinfoBases: Record<string, BaseRequest> = {
  'GET /userinfo (header)': async (fx, v) =>
    get('/userinfo', [], [['authorization', `Bearer ${await someToken(fx, v)}`]]),
  'POST /userinfo (header)': async (fx, v) => post('/userinfo', [], `Bearer ${await someToken(fx, v)}`),
  'POST /userinfo (body)': async (fx, v) => post('/userinfo', [['access_token', await someToken(fx, v)]]),
  'POST /userinfo (both)': async (fx, v) => {
    const token = await someToken(fx, v);
    return post('/userinfo', [['access_token', token]], `Bearer ${token}`);
  },
  'GET /userinfo (query)': async (fx, v) => get('/userinfo', [['access_token', await someToken(fx, v)]]),
};

export function resourceEndpointsSuite(env: FuzzEnv): void {
  describe('introspection, revocation, userinfo, and malformed HTTP', () => {
    it('/introspect: no 5xx, registered errors only, no write on a rejection', async (t) => {
      t.diagnostic(
        `statuses: ${await fuzzEndpoint({ ...env, bases: tokenEndpointBases('/introspect'), runs: 80, allowSecurityWrites: true })}`,
      );
    });

    it('/revoke: no 5xx, registered errors only, no write on a rejection', async (t) => {
      t.diagnostic(
        `statuses: ${await fuzzEndpoint({ ...env, bases: tokenEndpointBases('/revoke'), runs: 80, allowSecurityWrites: true })}`,
      );
    });

    it('/userinfo (GET and POST, header and body tokens): no 5xx, RFC 6750 errors only, never a write', async (t) => {
      const stats = await fuzzEndpoint({
        ...env,
        bases: userinfoBases,
        runs: 100,
        also: (res, what) => {
          // RFC 6750 §3: a 401 always carries the Bearer challenge.
          if (res.status === 401) assert.match(res.headers['www-authenticate'] ?? '', /^Bearer /, what);
        },
      });
      t.diagnostic(`statuses: ${stats}`);
    });

    it('malformed HTTP and wrong methods on every endpoint (bytes no client library sends): an RFC 6749 body, and the server lives', async () => {
      const { server } = env;
      const paths = [
        '/token',
        '/introspect',
        '/revoke',
        '/userinfo',
        '/authorize',
        '/login',
        '/consent',
        '/logout',
        '/logout/confirm',
        '/graphql',
      ];
      type Garbage = {
        target: string;
        headers: Array<[string, string | Buffer]>;
        body: Buffer | undefined;
        chunked: number | undefined;
        noFraming: boolean;
      };
      const garbage: fc.Arbitrary<Garbage> = fc.oneof(
        fc.constantFrom<Garbage>(
          // A NUL, a bare CR, a raw 0xff in the request line or a header.
          { target: '/PATH?x=\0', headers: [], body: undefined, chunked: undefined, noFraming: false },
          { target: '/PATH?x=\xff', headers: [], body: undefined, chunked: undefined, noFraming: false },
          {
            target: '/PATH',
            headers: [['authorization', 'Bearer a\0b']],
            body: undefined,
            chunked: undefined,
            noFraming: false,
          },
          {
            target: '/PATH',
            headers: [['authorization', 'Basic a\rb']],
            body: undefined,
            chunked: undefined,
            noFraming: false,
          },
          { target: '/PATH', headers: [['x\0y', 'z']], body: undefined, chunked: undefined, noFraming: false },
          { target: '/PATH%ZZ', headers: [], body: undefined, chunked: undefined, noFraming: false },
          {
            target: '/PATH',
            headers: [['x-big', 'a'.repeat(20_000)]],
            body: undefined,
            chunked: undefined,
            noFraming: false,
          },
          // Conflicting or impossible framing.
          {
            target: '/PATH',
            headers: [
              ['content-type', 'application/x-www-form-urlencoded'],
              ['content-length', '5'],
              ['transfer-encoding', 'chunked'],
            ],
            body: Buffer.from('5\r\nabcde\r\n0\r\n\r\n'),
            chunked: undefined,
            noFraming: true,
          },
          {
            target: '/PATH',
            headers: [
              ['content-type', 'application/x-www-form-urlencoded'],
              ['content-length', '-1'],
            ],
            body: Buffer.alloc(0),
            chunked: undefined,
            noFraming: true,
          },
          {
            target: '/PATH',
            headers: [
              ['content-type', 'application/x-www-form-urlencoded'],
              ['content-length', '1'],
              ['content-length', '2'],
            ],
            body: Buffer.from('ab'),
            chunked: undefined,
            noFraming: true,
          },
          {
            target: '/PATH',
            headers: [
              ['content-type', 'application/x-www-form-urlencoded'],
              ['transfer-encoding', 'chunked'],
            ],
            body: Buffer.from('zz\r\nabc\r\n0\r\n\r\n'),
            chunked: undefined,
            noFraming: true,
          },
          {
            target: '/PATH',
            headers: [
              ['content-type', 'application/x-www-form-urlencoded'],
              ['transfer-encoding', 'gzip, chunked'],
            ],
            body: Buffer.from('3\r\nabc\r\n0\r\n\r\n'),
            chunked: undefined,
            noFraming: true,
          },
          {
            target: '/PATH',
            headers: [
              ['content-type', 'application/x-www-form-urlencoded'],
              ['content-length', '3'],
            ],
            body: Buffer.from([0x00, 0xff, 0x3d]),
            chunked: undefined,
            noFraming: true,
          },
          // Chunked bodies with junk inside, and a body over the limit sent in pieces.
          {
            target: '/PATH',
            headers: [['content-type', 'application/x-www-form-urlencoded']],
            body: Buffer.from('token=%ZZ&token=%C3%28&grant_type=\0'),
            chunked: 3,
            noFraming: false,
          },
          {
            target: '/PATH',
            headers: [['content-type', 'application/json']],
            body: Buffer.from('{"query":"{'),
            chunked: 2,
            noFraming: false,
          },
          {
            target: '/PATH',
            headers: [['content-type', 'application/x-www-form-urlencoded']],
            body: Buffer.from('HUGE'),
            chunked: 9,
            noFraming: false,
          },
        ),
        fc.record({
          target: fc
            .uint8Array({ maxLength: 30 })
            .map((b) =>
              Buffer.concat([
                Buffer.from('/PATH?'),
                Buffer.from(b.filter((x) => x !== 0x20 && x !== 0x0a && x !== 0x0d)),
              ]).toString('latin1'),
            ),
          headers: fc.array(
            fc.tuple(
              fc.constantFrom('authorization', 'content-type', 'cookie', 'accept'),
              fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a && x !== 0x0d))),
            ),
            { maxLength: 3 },
          ),
          body: fc.option(
            fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
            { nil: undefined },
          ),
          chunked: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
          noFraming: fc.constant(false),
        }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...paths),
          fc.constantFrom('GET', 'POST'),
          garbage,
          async (path, method, g) => {
            const before = await ledgerHead(server);
            const target = Buffer.from(g.target.replace('/PATH', path), 'latin1');
            // Built here, not in the arbitrary: a 200 KiB counterexample would drown the report.
            const body = g.body?.toString() === 'HUGE' ? Buffer.alloc(200 * 1024, 'a') : g.body;
            const res = await rawRequest(server, {
              method,
              target,
              headers: g.headers,
              body,
              chunked: g.chunked,
              noFraming: g.noFraming,
            });
            const what = `${method} ${target.toString('latin1').slice(0, 200)} ${JSON.stringify(g.headers.map(([n, v]) => [n, v.toString('latin1').slice(0, 60)]))} ${g.body?.toString('latin1').slice(0, 80)}`;
            // Before routing (the HTTP parser) nothing knows the path is /graphql: an OAuth body there too.
            if (path === '/graphql' && res.json?.errors !== undefined) assertGraphQLAnswer(res, what);
            else if (path !== '/graphql' || res.status >= 400) assertOAuthAnswer(res, what);
            if (res.status >= 400)
              assert.equal(await ledgerHead(server), before, `a rejection wrote to the ledger: ${what}`);
          },
        ),
        fuzzParameters(120),
      );
      await assertAlive(server);
    });

    it('regression: a raw 0xff in the request line is answered invalid_request, not Fastify\'s "Bad Request"', async () => {
      const { server } = env;
      const res = await rawRequest(server, {
        method: 'POST',
        target: Buffer.from([...Buffer.from('/token?grant_type='), 0xff]),
        headers: [],
      });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.json), ['error', 'error_description']);
      assert.equal(res.json.error, 'invalid_request');
      const nul = await rawRequest(server, {
        method: 'GET',
        target: '/userinfo',
        headers: [['authorization', 'Bearer a\0b']],
      });
      assert.equal(nul.json.error, 'invalid_request');
      const big = await rawRequest(server, {
        method: 'GET',
        target: '/userinfo',
        headers: [['x-big', 'a'.repeat(20_000)]],
      });
      assert.equal(big.status, 431);
      assert.equal(big.json.error, 'invalid_request');
      const path = await rawRequest(server, { method: 'POST', target: '/token%ZZ', headers: [] });
      assert.equal(path.status, 400);
      assert.equal(path.json.error, 'invalid_request');
      await assertAlive(server);
    });

    it('regression: an endpoint called with the wrong method is 405 invalid_request with Allow, not "not_found"', async () => {
      const { server } = env;
      for (const [target, allow] of [
        ['/token', 'POST'],
        ['/introspect', 'POST'],
        ['/revoke', 'POST'],
        ['/login', 'POST'],
        ['/logout/confirm', 'POST'],
      ] as const) {
        const res = await rawRequest(server, { method: 'GET', target, headers: [] });
        assert.equal(res.status, 405, target);
        assert.equal(res.headers.allow, allow, target);
        assert.deepEqual(res.json, {
          error: 'invalid_request',
          error_description: `this endpoint accepts ${allow} only`,
        });
      }
      const missing = await rawRequest(server, { method: 'GET', target: '/no-such-endpoint', headers: [] });
      assert.equal(missing.status, 404, 'an unknown path is still a plain 404');
    });
  });
}
