import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, tempDir, freePort } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { basic, registerClient } from '../helpers/oauth.js';
import { makeProof, proofKey } from '../helpers/dpop.js';

/** Two instances of one deployment (one ledger, one issuer, one key-encryption secret) answer DPoP as one. */
describe('DPoP across instances', () => {
  const dataDir = tempDir();
  let a: InjectServer;
  let b: InjectServer;
  let cc: { clientId: string; secret: string | null };
  before(async () => {
    const env = { ISSUER: `http://127.0.0.1:${await freePort()}`, DPOP_NONCE: 'required' };
    a = await startInjectServer({ dataDir, env });
    b = await startInjectServer({ dataDir, env });
    cc = await registerClient(a, {});
  });
  after(async () => {
    await a.close();
    await b.close();
    removeDir(dataDir);
  });

  const token = async (server: InjectServer, dpop: string) => {
    const res = await server.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(cc.clientId, cc.secret!), dpop },
      payload: 'grant_type=client_credentials',
    });
    return { status: res.statusCode, nonce: res.headers['dpop-nonce'] as string | undefined, body: res.json() };
  };

  it('a nonce one instance issued is taken by the other, and a proof used at one is refused at the other', async () => {
    const key = await proofKey();
    const htu = `${a.runtime.config.issuer}/token`;
    const asked = await token(a, await makeProof(key, { htu }));
    assert.equal(asked.body.error, 'use_dpop_nonce');
    const proof = await makeProof(key, { htu, nonce: asked.nonce });
    const first = await token(b, proof);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.token_type, 'DPoP');
    const replay = await token(a, proof);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_dpop_proof');
    assert.match(replay.body.error_description, /used before/);
  });
});
