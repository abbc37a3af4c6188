import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  assertAlive,
  assertGraphQLAnswer,
  eventsSince,
  fuzzParameters,
  rawRequest,
  type RawResponse,
} from '../../helpers/fuzz.js';
import type { FuzzEnv } from '../../helpers/fuzzDriver.js';
import { adversarialValue, type Value } from '../../helpers/fuzzRequests.js';
import { basic, ledgerHead, postForm, registerClient } from '../../helpers/oauth.js';
import type { TestServer } from '../../helpers/server.js';

/** Every operation of the management API, with its variables. */
const OPERATIONS: Array<{
  doc: string;
  vars: Record<string, 'id' | 'int' | 'string' | 'date' | 'alg' | 'filter' | 'user' | 'client' | 'clientUpdate'>;
}> = [
  {
    doc: 'query($id: ID!) { client(clientId: $id) { clientId name scope disabled metadata history { type actor } } }',
    vars: { id: 'id' },
  },
  {
    doc: 'query($f: Int, $a: String) { clients(first: $f, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { clientId } } } }',
    vars: { f: 'int', a: 'string' },
  },
  {
    doc: 'query($a: String, $c: String, $f: Int, $s: String) { events(after: $a, category: $c, first: $f, stream: $s) { totalCount edges { node { type stream position data } } } }',
    vars: { a: 'string', c: 'string', f: 'int', s: 'string' },
  },
  {
    doc: 'query($id: ID!) { grant(id: $id) { id status scopes client { clientId } tokens { jti status } history { type } } }',
    vars: { id: 'id' },
  },
  { doc: '{ signingKeys { kid alg status publicJwk activatesAt } }', vars: {} },
  {
    doc: 'query($j: ID!) { token(jti: $j) { jti kind status scope audience grant { id } history { type data } } }',
    vars: { j: 'id' },
  },
  { doc: 'query($j: ID!, $at: DateTime!) { tokenStatusAt(jti: $j, at: $at) }', vars: { j: 'id', at: 'date' } },
  {
    doc: 'query($flt: TokenFilter, $f: Int, $a: String) { tokens(filter: $flt, first: $f, after: $a) { totalCount edges { node { jti status kind } } } }',
    vars: { flt: 'filter', f: 'int', a: 'string' },
  },
  { doc: 'query($s: ID!) { user(sub: $s) { sub username disabled grants { id status } } }', vars: { s: 'id' } },
  { doc: 'mutation($i: CreateUserInput!) { createUser(input: $i) { sub username } }', vars: { i: 'user' } },
  {
    doc: 'mutation($id: ID!, $r: String!) { disableClient(clientId: $id, reason: $r) { clientId disabled } }',
    vars: { id: 'id', r: 'string' },
  },
  {
    doc: 'mutation($s: ID!, $r: String!) { disableUser(sub: $s, reason: $r) { sub disabled } }',
    vars: { s: 'id', r: 'string' },
  },
  {
    doc: 'mutation($s: ID!, $r: String!) { enableUser(sub: $s, reason: $r) { sub disabled } }',
    vars: { s: 'id', r: 'string' },
  },
  {
    doc: 'mutation($s: ID!, $p: String!, $r: String!) { setUserPassword(sub: $s, password: $p, reason: $r) { sub } }',
    vars: { s: 'id', p: 'string', r: 'string' },
  },
  {
    doc: 'mutation($i: RegisterClientInput!) { registerClient(input: $i) { client { clientId scope } } }',
    vars: { i: 'client' },
  },
  {
    doc: 'mutation($id: ID!, $r: String!) { revokeClientTokens(clientId: $id, reason: $r) }',
    vars: { id: 'id', r: 'string' },
  },
  {
    doc: 'mutation($id: ID!, $r: String!) { revokeGrant(id: $id, reason: $r) { id status } }',
    vars: { id: 'id', r: 'string' },
  },
  {
    doc: 'mutation($s: ID!, $r: String!) { revokeSubjectTokens(subject: $s, reason: $r) }',
    vars: { s: 'id', r: 'string' },
  },
  {
    doc: 'mutation($j: ID!, $r: String!) { revokeToken(jti: $j, reason: $r) { jti status } }',
    vars: { j: 'id', r: 'string' },
  },
  { doc: 'mutation($id: ID!) { rotateClientSecret(clientId: $id) { client { clientId } } }', vars: { id: 'id' } },
  {
    doc: 'mutation($n: Int!, $alg: SigningAlg!) { rotateSigningKey(activateInSeconds: $n, alg: $alg) { kid status } }',
    vars: { n: 'int', alg: 'alg' },
  },
  {
    doc: 'mutation($id: ID!, $i: UpdateClientInput!) { updateClient(clientId: $id, input: $i) { clientId scope } }',
    vars: { id: 'id', i: 'clientUpdate' },
  },
  { doc: 'subscription { ledgerEvents { id type } }', vars: {} },
];

/** Documents no client would send: broken, deep, wide, cyclic, huge. */
const STRUCTURAL: string[] = [
  '',
  ' ',
  '{',
  '{'.repeat(3000),
  '}',
  'query',
  'mutation',
  '{ __typename }',
  '{ nope }',
  'query A { __typename } query B { __typename }',
  '{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }',
  `{ ${'... on Query { '.repeat(300)}__typename${' }'.repeat(300)} }`,
  `{ ${Array.from({ length: 3000 }, (_, i) => `a${i}: __typename`).join(' ')} }`,
  `{ ${Array.from({ length: 150 }, (_, i) => `a${i}: clients(first: 100) { edges { node { history { type } } } }`).join(' ')} }`,
  `{ tokens(first: 100) { edges { node { grant { tokens { grant { tokens { grant { tokens { grant { tokens { jti } } } } } } } } } } } }`,
  `{ client(clientId: "${'x'.repeat(60_000)}") { clientId } }`,
  '{ client(clientId: "\\u0000\\ud800") { clientId } }',
  '{ clients(first: -1) { totalCount } }',
  '{ clients(first: 99999999999) { totalCount } }',
  '{ events(first: 2147483647, after: "!!!") { totalCount } }',
  '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }',
  '{ __type(name: "Query") { fields { args { type { ofType { ofType { ofType { name } } } } } } } }',
  'query($x: Boolean!) { __typename @skip(if: $x) @include(if: $x) }',
  'query @deprecated { __typename }',
  '{ __typename @skip(if: true) @skip(if: false) }',
  'mutation { rotateSigningKey(alg: HS256) { kid } }',
  'subscription { ledgerEvents(category: "token") { id } }',
  '# only a comment',
  '\u0000',
  '{ __typename }\u0000',
];

const DATES = [
  '2026-01-01T00:00:00Z',
  '1970-01-01T00:00:00.000Z',
  '9999-12-31T23:59:59Z',
  '2026-13-45T99:99:99Z',
  'now',
  '',
  '0',
  '-271821-04-20T00:00:00Z',
];
const ALGS = ['ES256', 'RS256', 'HS256', 'none', ''];
const USER_KEYS = ['username', 'password', 'email', 'name', 'emailVerified', 'junk'];
const CLIENT_KEYS = [
  'clientId',
  'grantTypes',
  'redirectUris',
  'scope',
  'tokenEndpointAuthMethod',
  'accessTokenTtl',
  'accessTokenFormat',
  'accessTokenSigningAlg',
  'jwks',
  'name',
  'postLogoutRedirectUris',
  'backchannelLogoutUri',
  'idTokenSignedResponseAlg',
  'junk',
];
const FILTER_KEYS = ['clientId', 'grantId', 'subject', 'kind', 'status', 'issuedAfter', 'issuedBefore', 'junk'];

const text = (v: Value): string =>
  typeof v === 'string' ? v : 'raw' in v ? v.raw : Buffer.from(v.bytes).toString('latin1');
const scalar = fc.oneof(
  adversarialValue.map(text),
  fc.integer(),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1e308, -0, 0.5, 3600, 1),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    'authorization_code',
    'client_credentials',
    'refresh_token',
    'none',
    'client_secret_basic',
    'private_key_jwt',
    'opaque',
    'jwt',
    'ACTIVE',
    'REVOKED',
    'EXPIRED',
    'access_token',
    'https://app.example/cb',
    'openid ledger:admin',
  ),
);
const anyJson = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }),
);
const inputObject = (keys: string[]) => fc.dictionary(fc.constantFrom(...keys), anyJson, { maxKeys: keys.length });

interface Draw {
  kind: 'operation' | 'structural' | 'body';
  op: number;
  vars: Record<string, unknown>;
  pick: number[];
  structural: number;
  body: number;
  auth: number;
  contentType: number;
}

const BODIES = [
  '{',
  '{"query":',
  'null',
  '1',
  '"{ __typename }"',
  '[]',
  '[{"query":"{ __typename }"}]',
  '{"query":null}',
  '{"query":1}',
  '{"query":"{ __typename }","variables":"{}"}',
  '{"query":"{ __typename }","variables":[1]}',
  '{"query":"{ __typename }","operationName":5}',
  '{"query":"{ __typename }","operationName":"Nope"}',
  '{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"x"}}}',
  '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"x"}}}',
  '\ufeff{"query":"{ __typename }"}',
  '{"query":"{ __typename }", "query": "{ nope }"}',
  '{"__proto__":{"query":"{ __typename }"}}',
  'HUGE',
];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/graphql',
  'application/graphql-response+json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  '',
];

const draw: fc.Arbitrary<Draw> = fc.record({
  kind: fc.constantFrom<Draw['kind']>('operation', 'operation', 'operation', 'structural', 'body'),
  op: fc.nat({ max: OPERATIONS.length - 1 }),
  vars: fc.dictionary(
    fc.constantFrom('id', 'j', 's', 'r', 'f', 'a', 'c', 'at', 'flt', 'i', 'n', 'alg', 'junk'),
    anyJson,
    { maxKeys: 4 },
  ),
  pick: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
  structural: fc.nat({ max: STRUCTURAL.length - 1 }),
  body: fc.nat({ max: BODIES.length - 1 }),
  auth: fc.nat({ max: 11 }),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.nat({ max: CONTENT_TYPES.length - 1 }) },
  ),
});

/** A GraphQL answer that refused the whole request: an error status, or errors and no data. */
function refused(res: RawResponse): boolean {
  if (res.status >= 400) return true;
  const data = res.json?.data;
  return (
    res.json?.errors !== undefined &&
    (data === null || data === undefined || Object.values(data).every((v) => v === null))
  );
}

/** Runs last: its mutations may disable the shared fixtures' clients and user. */
export function graphqlSuite(env: FuzzEnv): void {
  describe('the GraphQL management API', () => {
    let server: TestServer;
    let tokens: { admin: string; audit: string; plain: string; revoked: string };
    let ids: string[];
    const protectedIds = new Set<string>();

    before(async () => {
      server = env.server;
      const fx = env.fx;
      const token = async (scope: string) => {
        const c = await registerClient(server, { scope });
        protectedIds.add(c.clientId);
        const res = await postForm(
          server,
          '/token',
          { grant_type: 'client_credentials' },
          basic(c.clientId, c.secret!),
        );
        return res.body.access_token as string;
      };
      tokens = {
        admin: await token('ledger:admin'),
        audit: await token('ledger:audit'),
        plain: await token('orders:read'),
        revoked: await token('ledger:admin'),
      };
      await postForm(server, '/revoke', { token: tokens.revoked }, basic(fx.conf.id, fx.conf.secret));
      // The values an operator would pass: ids of clients, users, grants and tokens that exist, minus
      // the fuzzer's own operator clients (disabling those would only blind the rest of the run).
      const grantTokens = await fx.tokens('conf');
      await fx.tokens('pub');
      await fx.ccToken();
      const jtiOf = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).jti as string;
      const listed = await rawRequest(server, {
        method: 'POST',
        target: '/graphql',
        headers: [
          ['content-type', 'application/json'],
          ['authorization', `Bearer ${tokens.admin}`],
        ],
        body: Buffer.from(
          JSON.stringify({ query: '{ tokens(first: 100) { edges { node { jti clientId grantId } } } }' }),
        ),
      });
      const nodes = (
        listed.json.data.tokens.edges as Array<{ node: { jti: string; clientId: string; grantId: string | null } }>
      )
        .map((e) => e.node)
        .filter((n) => !protectedIds.has(n.clientId));
      ids = [
        ...new Set([
          fx.conf.id,
          fx.pub.id,
          fx.post.id,
          fx.jwt.id,
          fx.user.sub,
          jtiOf(grantTokens.access),
          ...nodes.map((n) => n.jti),
          ...nodes.flatMap((n) => (n.grantId ? [n.grantId] : [])),
        ]),
      ];
    });
    function build(d: Draw): { body: Buffer; headers: Array<[string, string]> } {
      const authHeaders: Array<string | null> = [
        `Bearer ${tokens.admin}`,
        `Bearer ${tokens.admin}`,
        `Bearer ${tokens.admin}`,
        `Bearer ${tokens.audit}`,
        `Bearer ${tokens.audit}`,
        `Bearer ${tokens.plain}`,
        `Bearer ${tokens.revoked}`,
        null,
        'Bearer garbage',
        `Basic ${Buffer.from('a:b').toString('base64')}`,
        `Bearer ${tokens.admin}, Bearer ${tokens.audit}`,
        `bearer  ${tokens.admin}`,
      ];
      const auth = authHeaders[d.auth % authHeaders.length];
      const type = CONTENT_TYPES[d.contentType];
      const headers: Array<[string, string]> = [
        ...(type ? [['content-type', type] as [string, string]] : []),
        ...(auth ? [['authorization', auth] as [string, string]] : []),
      ];
      if (type.startsWith('text/plain') || type.startsWith('multipart'))
        headers.push(['apollo-require-preflight', 'true']);
      if (d.kind === 'body') {
        const raw = BODIES[d.body];
        return {
          body:
            raw === 'HUGE'
              ? Buffer.from(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(70 * 1024)}` }))
              : Buffer.from(raw),
          headers,
        };
      }
      if (d.kind === 'structural')
        return { body: Buffer.from(JSON.stringify({ query: STRUCTURAL[d.structural] })), headers };
      const op = OPERATIONS[d.op];
      const variables: Record<string, unknown> = { ...d.vars };
      // Mostly well-typed variables, so that resolvers run; otherwise whatever was drawn.
      Object.entries(op.vars).forEach(([name, kind], i) => {
        const p = d.pick[i % d.pick.length];
        if (p % 4 === 0) return;
        if (kind === 'id') variables[name] = ids[p % ids.length];
        else if (kind === 'date') variables[name] = DATES[p % DATES.length];
        else if (kind === 'alg') variables[name] = ALGS[p % ALGS.length];
        else if (kind === 'int') variables[name] = [0, 1, 5, 100, 101, -1, 2 ** 31][p % 7];
        else if (kind === 'string')
          variables[name] = typeof variables[name] === 'string' ? variables[name] : `reason ${p}`;
        else if (kind === 'user')
          variables[name] = {
            username: `fuzz-${p}`,
            password: 'a long enough password',
            ...(typeof variables[name] === 'object' ? variables[name] : {}),
          };
        else if (kind === 'filter' && p % 3 === 0) variables[name] = { clientId: ids[p % ids.length] };
      });
      return { body: Buffer.from(JSON.stringify({ query: op.doc, variables })), headers };
    }

    it('queries, mutations, junk documents and bodies under every role: GraphQL errors only, no 5xx, no write when refused', async (t) => {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(
          draw,
          inputObject(USER_KEYS),
          inputObject(CLIENT_KEYS),
          inputObject(FILTER_KEYS),
          async (d, user, client, filter) => {
            if (d.vars.i === undefined) d.vars.i = OPERATIONS[d.op].vars.i === 'user' ? user : client;
            if (d.vars.flt === undefined) d.vars.flt = filter;
            const { body, headers } = build(d);
            const what = `${headers.map(([n, v]) => `${n}: ${v.slice(0, 30)}`).join(' | ')}\n${body.toString().slice(0, 800)}`;
            const before = await ledgerHead(server);
            const res = await rawRequest(server, { method: 'POST', target: '/graphql', headers, body });
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            assertGraphQLAnswer(res, what);
            if (refused(res))
              assert.deepEqual(
                await eventsSince(server, before),
                [],
                `a refused GraphQL request wrote to the ledger: ${what}\n→ ${res.text.slice(0, 400)}`,
              );
          },
        ),
        fuzzParameters(150),
      );
      await assertAlive(server);
      t.diagnostic(
        `statuses: ${[...statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
      );
    });

    it('regression: a missing or mistyped required variable is 400 BAD_USER_INPUT for an operator, not a 500', async () => {
      for (const variables of [{}, { id: null }, { id: {} }]) {
        const res = await rawRequest(server, {
          method: 'POST',
          target: '/graphql',
          headers: [
            ['content-type', 'application/json'],
            ['authorization', `Bearer ${tokens.admin}`],
          ],
          body: Buffer.from(
            JSON.stringify({ query: 'query($id: ID!) { client(clientId: $id) { clientId } }', variables }),
          ),
        });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.json.errors[0].extensions.code, 'BAD_USER_INPUT', res.text);
        assert.equal(res.json.data, undefined);
      }
    });

    it('regression: a subscription sent over HTTP POST is 400 BAD_REQUEST, not an internal error', async () => {
      const res = await rawRequest(server, {
        method: 'POST',
        target: '/graphql',
        headers: [
          ['content-type', 'application/json'],
          ['authorization', `Bearer ${tokens.audit}`],
        ],
        body: Buffer.from(JSON.stringify({ query: 'subscription { ledgerEvents { id } }' })),
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.errors[0].extensions.code, 'BAD_REQUEST', res.text);
    });

    it('regression: an operationName that names no operation is 400 OPERATION_RESOLUTION_FAILURE, not a 500', async () => {
      const res = await rawRequest(server, {
        method: 'POST',
        target: '/graphql',
        headers: [
          ['content-type', 'application/json'],
          ['authorization', `Bearer ${tokens.admin}`],
        ],
        body: Buffer.from(JSON.stringify({ query: '{ __typename }', operationName: 'Nope' })),
      });
      assert.equal(res.status, 400, res.text);
      assert.equal(res.json.errors[0].extensions.code, 'OPERATION_RESOLUTION_FAILURE', res.text);
    });

    it('regression: a persisted query whose hash does not match is 400 BAD_REQUEST, not INTERNAL_SERVER_ERROR', async () => {
      const res = await rawRequest(server, {
        method: 'POST',
        target: '/graphql',
        headers: [
          ['content-type', 'application/json'],
          ['authorization', `Bearer ${tokens.admin}`],
        ],
        body: Buffer.from(
          JSON.stringify({ query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }),
        ),
      });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.json.errors, [
        { message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } },
      ]);
    });

    it('regression: lists nested in lists multiply the complexity, so an audit token cannot ask for 10^8 nodes', async () => {
      const nested =
        '{ tokens(first: 100) { edges { node { grant { tokens { grant { tokens { grant { tokens { jti } } } } } } } } } }';
      const res = await rawRequest(server, {
        method: 'POST',
        target: '/graphql',
        headers: [
          ['content-type', 'application/json'],
          ['authorization', `Bearer ${tokens.audit}`],
        ],
        body: Buffer.from(JSON.stringify({ query: nested })),
      });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.json.errors[0].extensions.code, 'QUERY_TOO_COMPLEX', res.text.slice(0, 300));
    });

    it("regression: a body Apollo never sees (bad JSON, too large, unknown type) is answered in GraphQL's error format", async () => {
      const send = (type: string, body: Buffer) =>
        rawRequest(server, { method: 'POST', target: '/graphql', headers: [['content-type', type]], body });
      for (const [type, body, status] of [
        ['application/json', Buffer.from('{"query":'), 400],
        ['application/json', Buffer.from(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(70 * 1024)}` })), 413],
        ['multipart/form-data; boundary=x', Buffer.from('--x--'), 400],
      ] as const) {
        const res = await send(type, body);
        assert.equal(res.status, status, res.text);
        assert.equal(res.json.error, undefined, res.text);
        assert.equal(res.json.errors[0].extensions.code, 'BAD_REQUEST', res.text);
      }
    });
  });
}
