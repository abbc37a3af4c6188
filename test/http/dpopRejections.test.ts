import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { exportJWK } from 'jose';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import { foreignAlgProof, makeProof, proofKey, type ProofKey, type ProofOptions } from '../helpers/dpop.js';
import { DPoPNonces, DPOP_NONCE_WINDOW_S } from '../../src/crypto/dpopNonce.js';
import { DPOP_IAT_WINDOW_S } from '../../src/crypto/dpopProof.js';

const REDIRECT = 'https://spa.example/callback';
const now = () => Math.floor(Date.now() / 1000);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: { error?: string; error_description?: string; token_type?: string; access_token?: string };
}

/** Every RFC 9449 §4.3 check refused one at a time, each answer checked for its code and for writing nothing. */
describe('DPoP proof refusals', () => {
  let server: InjectServer;
  let key: ProofKey;
  let cc: { clientId: string; secret: string | null };
  before(async () => {
    server = await startInjectServer();
    key = await proofKey();
    cc = await registerClient(server, {});
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const tokenUrl = () => `${server.url}/token`;

  async function token(dpop: string | string[] | undefined, form = 'grant_type=client_credentials'): Promise<Answer> {
    const res = await server.inject({
      method: 'POST',
      url: '/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...basic(cc.clientId, cc.secret!),
        ...(dpop === undefined ? {} : { dpop }),
      },
      payload: form,
    });
    return { status: res.statusCode, headers: res.headers, body: res.json() };
  }

  /** Sends the request and asserts the refusal's code and that the ledger's head did not move. */
  async function refused(send: () => Promise<Answer>, error: string, what: string): Promise<Answer> {
    const before = await ledgerHead(server);
    const res = await send();
    assert.equal(res.body.error, error, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(await ledgerHead(server), before, `${what}: a refused proof wrote to the ledger`);
    return res;
  }

  const proof = (o: Partial<ProofOptions> = {}) => makeProof(key, { htu: tokenUrl(), ...o });

  it('a good proof at the token endpoint gives a DPoP token', async () => {
    const res = await token(await proof());
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, 'DPoP');
  });

  it('refuses each failed check at the token endpoint with 400 invalid_dpop_proof, writing nothing', async () => {
    const privateJwk = await exportJWK(key.privateKey);
    const other = await proofKey();
    const cases: Array<[string, () => Promise<string | string[]> | string | string[]]> = [
      ['wrong htm', () => proof({ htm: 'GET' })],
      ['wrong htu', () => proof({ htu: `${server.url}/introspect` })],
      ['htu of another host', () => proof({ htu: 'https://elsewhere.example/token' })],
      ['stale iat', () => proof({ iat: now() - DPOP_IAT_WINDOW_S - 5 })],
      ['future iat', () => proof({ iat: now() + DPOP_IAT_WINDOW_S + 5 })],
      ['jwk with the private key', () => proof({ jwk: privateJwk })],
      ['alg HS256', () => foreignAlgProof('HS256', key.jwk, tokenUrl())],
      ['alg none', () => foreignAlgProof('none', key.jwk, tokenUrl())],
      ['typ missing', () => proof({ typ: null })],
      ['typ wrong', () => proof({ typ: 'JWT' })],
      ['bad signature', () => proof({ jwk: other.jwk })],
      ['no jwk', () => proof({ jwk: null })],
      ['not a JWT', () => 'not-a-jwt'],
      ['two DPoP headers', async () => [await proof(), await proof()]],
    ];
    for (const [what, build] of cases) {
      const header = await build();
      const res = await refused(() => token(header), 'invalid_dpop_proof', what);
      assert.equal(res.status, 400, what);
      assert.equal(res.headers['dpop-nonce'], undefined, `${what}: no nonce when nonces are off`);
    }
  });

  it('a proof is used once: its replay is refused, writing nothing', async () => {
    const once = await proof({ jti: randomUUID() });
    assert.equal((await token(once)).status, 200);
    const res = await refused(() => token(once), 'invalid_dpop_proof', 'replayed jti');
    assert.match(res.body.error_description!, /used before/);
  });

  it('a malformed proof is refused before the client is authenticated', async () => {
    const res = await server.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: 'garbage' },
      payload: 'grant_type=client_credentials&client_id=nobody&client_secret=wrong',
    });
    assert.equal(res.json().error, 'invalid_dpop_proof');
  });

  it('refuses each failed check at UserInfo with 401 and a DPoP challenge, writing nothing', async () => {
    const user = await createUser(server);
    const spa = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
      },
      null,
    );
    const run = await authorizeWithPkce(server, new Browser(server.fetch), spa.clientId, REDIRECT, user, {
      scope: 'openid',
    });
    const issued = await postForm(
      server,
      '/token',
      {
        grant_type: 'authorization_code',
        code: run.params.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: run.verifier,
        client_id: spa.clientId,
      },
      { dpop: await proof() },
    );
    assert.equal(issued.status, 200, issued.text);
    const at = issued.body.access_token as string;
    const userinfoUrl = `${server.url}/userinfo`;
    const ui = (o: Partial<ProofOptions> = {}) =>
      makeProof(key, { htm: 'GET', htu: userinfoUrl, accessToken: at, ...o });
    const userinfo = async (dpop: string | undefined, scheme = 'DPoP'): Promise<Answer> => {
      const res = await server.inject({
        method: 'GET',
        url: '/userinfo',
        headers: { authorization: `${scheme} ${at}`, ...(dpop === undefined ? {} : { dpop }) },
      });
      return { status: res.statusCode, headers: res.headers, body: res.json() };
    };
    const good = await userinfo(await ui());
    assert.equal(good.status, 200, JSON.stringify(good.body));

    const cases: Array<[string, () => Promise<string | undefined>]> = [
      ['no proof', async () => undefined],
      ['wrong ath', () => ui({ accessToken: 'tlat_another' })],
      ['no ath', () => ui({ accessToken: undefined, claims: { ath: undefined } })],
      ['wrong htm', () => ui({ htm: 'POST' })],
      ['wrong htu', () => ui({ htu: `${server.url}/token` })],
      ['stale iat', () => ui({ iat: now() - DPOP_IAT_WINDOW_S - 5 })],
      [
        'bad signature',
        async () => makeProof(await proofKey(), { htm: 'GET', htu: userinfoUrl, accessToken: at, jwk: key.jwk }),
      ],
    ];
    for (const [what, build] of cases) {
      const res = await refused(async () => userinfo(await build()), 'invalid_dpop_proof', what);
      assert.equal(res.status, 401, what);
      assert.match(String(res.headers['www-authenticate']), /^DPoP error="invalid_dpop_proof", .*algs="/, what);
    }
    const once = await ui();
    assert.equal((await userinfo(once)).status, 200);
    await refused(() => userinfo(once), 'invalid_dpop_proof', 'replayed jti at UserInfo');
    // A bound token as a bearer token, or a proof of another key: invalid_token, nothing written.
    const asBearer = await refused(() => userinfo(undefined, 'Bearer'), 'invalid_token', 'bound token as Bearer');
    assert.equal(asBearer.status, 401);
    const thief = await proofKey();
    await refused(
      async () => userinfo(await makeProof(thief, { htm: 'GET', htu: userinfoUrl, accessToken: at })),
      'invalid_token',
      'proof of another key',
    );
  });
});

/** DPOP_NONCE=required: every proof must carry a nonce this server issued, in this window or the last. */
describe('DPoP nonce refusals', () => {
  let server: InjectServer;
  let key: ProofKey;
  let cc: { clientId: string; secret: string | null };
  before(async () => {
    server = await startInjectServer({ env: { DPOP_NONCE: 'required' } });
    key = await proofKey();
    cc = await registerClient(server, {});
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const send = async (dpop: string) => {
    const res = await server.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(cc.clientId, cc.secret!), dpop },
      payload: 'grant_type=client_credentials',
    });
    return { status: res.statusCode, headers: res.headers, body: res.json<Answer['body']>() };
  };

  it('a missing, stale or foreign nonce: 400 use_dpop_nonce with a fresh DPoP-Nonce, nothing written', async () => {
    const htu = `${server.url}/token`;
    const stale = new DPoPNonces(server.runtime.keyEncryptionSecret).issue(now() - 2 * DPOP_NONCE_WINDOW_S);
    const foreign = new DPoPNonces('another secret').issue(now());
    let fresh: string | undefined;
    for (const [what, nonce] of [
      ['missing', undefined],
      ['stale', stale],
      ['foreign', foreign],
    ] as const) {
      const before = await ledgerHead(server);
      const res = await send(await makeProof(key, { htu, nonce }));
      assert.equal(res.status, 400, what);
      assert.equal(res.body.error, 'use_dpop_nonce', what);
      fresh = res.headers['dpop-nonce'] as string;
      assert.match(fresh, /^[A-Za-z0-9_-]{24}$/, what);
      assert.notEqual(fresh, stale);
      assert.equal(await ledgerHead(server), before, `${what}: a refused proof wrote to the ledger`);
    }
    const ok = await send(await makeProof(key, { htu, nonce: fresh }));
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.token_type, 'DPoP');
    assert.equal(ok.headers['dpop-nonce'], fresh, 'a successful answer names the nonce to use next');
    // A request without any proof is a bearer request: nonces concern proofs only.
    const bearer = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(cc.clientId, cc.secret!),
    );
    assert.equal(bearer.status, 200);
    assert.equal(bearer.headers.get('dpop-nonce'), null);
  });
});
