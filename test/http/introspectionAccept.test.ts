import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { prefersSignedIntrospection } from '../../src/oauth/introspectionAccept.js';

const JWT = 'application/token-introspection+jwt';

/** Accept header → the answer RFC 9110 §12.5.1 and RFC 9701 §4 call for. */
const CASES: Array<[string, 'jwt' | 'json']> = [
  ['application/json', 'json'],
  ['*/*', 'json'],
  ['application/*', 'json'],
  [JWT, 'jwt'],
  [`APPLICATION/Token-Introspection+JWT`, 'jwt'],
  [`application/json, ${JWT};q=0`, 'json'],
  [`${JWT};q=0`, 'json'],
  [`${JWT};q=0.000, application/json`, 'json'],
  [`${JWT};q=1, application/json;q=0.5`, 'jwt'],
  [`application/json;q=0.5, ${JWT}`, 'jwt'],
  [`${JWT}, application/json`, 'jwt'],
  [`application/json;q=0.9, ${JWT};q=0.8`, 'json'],
  [`application/*, ${JWT};q=0.5`, 'json'],
  [`*/*;q=0.1, ${JWT};q=0.5`, 'jwt'],
  [`application/json;q=0, */*, ${JWT};q=0.2`, 'jwt'],
  [`${JWT};q=abc`, 'json'],
  [`${JWT};q=1.5`, 'json'],
  [`${JWT} ; q=0.7 ; ext=1, application/json;q=0.6`, 'jwt'],
  [`${JWT};profile="a,b;q=0"`, 'jwt'],
  [`text/html, ${JWT};q=0`, 'json'],
  [`application/token-introspection+jwtx`, 'json'],
];

describe('introspection content negotiation (unit): prefersSignedIntrospection', () => {
  it('no Accept → JSON', () => assert.equal(prefersSignedIntrospection(undefined), false));
  for (const [accept, expected] of CASES) {
    it(`${accept} → ${expected}`, () => assert.equal(prefersSignedIntrospection(accept), expected === 'jwt'));
  }
});

describe('introspection honours Accept q-values (RFC 9110 §12.5.1, RFC 9701 §4)', () => {
  let server: InjectServer;
  let rs: { clientId: string; secret: string | null };
  let token: string;
  before(async () => {
    server = await startInjectServer();
    const svc = await registerClient(server, {});
    rs = await registerClient(server, { scope: '' });
    const issued = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(svc.clientId, svc.secret!),
    );
    assert.equal(issued.status, 200, issued.text);
    token = issued.body.access_token;
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  function expectJson(res: { status: number; headers: Headers; body: any; text: string }) {
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json\b/);
    assert.equal(res.body.active, true);
    assert.equal(res.body.token_type, 'Bearer');
  }

  function expectJwt(res: { status: number; headers: Headers; body: any; text: string }) {
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('content-type'), JWT);
    assert.equal(decodeProtectedHeader(res.text).typ, 'token-introspection+jwt');
    const claims = decodeJwt(res.text) as { aud: string; token_introspection: { active: boolean } };
    assert.equal(claims.aud, rs.clientId);
    assert.equal(claims.token_introspection.active, true);
  }

  const introspect = (accept: string) =>
    postForm(server, '/introspect', { token }, { ...basic(rs.clientId, rs.secret!), accept });

  it('no Accept header at all → JSON', async () => {
    // Injected as written: no fetch default (`accept: */*`) is added.
    const answer = await server.inject({
      method: 'POST',
      url: '/introspect',
      headers: {
        authorization: basic(rs.clientId, rs.secret!).authorization,
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `token=${encodeURIComponent(token)}`,
    });
    assert.equal(answer.statusCode, 200);
    assert.match(String(answer.headers['content-type'] ?? ''), /^application\/json/i);
    assert.equal(answer.json().active, true);
  });

  it(`${JWT};q=0 beside application/json → JSON`, async () =>
    expectJson(await introspect(`application/json, ${JWT};q=0`)));
  it(`${JWT};q=0 alone → JSON (the default; a q of 0 never selects it)`, async () =>
    expectJson(await introspect(`${JWT};q=0`)));
  it(`${JWT};q=1 and application/json;q=0.5 → JWT`, async () =>
    expectJwt(await introspect(`${JWT};q=1, application/json;q=0.5`)));
  it(`application/json;q=0.9 and ${JWT};q=0.8 → JSON`, async () =>
    expectJson(await introspect(`application/json;q=0.9, ${JWT};q=0.8`)));
  it('*/* → JSON', async () => expectJson(await introspect('*/*')));
  it('application/json → JSON', async () => expectJson(await introspect('application/json')));
  it(`plain ${JWT} → JWT`, async () => expectJwt(await introspect(JWT)));
  it(`${JWT} with a malformed q → JSON`, async () => expectJson(await introspect(`${JWT};q=yes`)));
});
