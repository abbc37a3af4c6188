import { it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';
import { freePort, removeDir, tempDir } from '../helpers/server.js';

it('answers 503 temporarily_unavailable with Retry-After until the views are built, while /healthz answers', async (t) => {
  const dataDir = tempDir();
  const port = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}` };
  // A fresh ledger: start-up generates the signing keys, so it is still starting when listen returns.
  const server = await startServer(loadConfig(env), { logger: false });
  let ready = false;
  void server.ready.then(() => (ready = true));
  try {
    const form = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    };
    const [early, health] = await Promise.all([fetch(`${server.url}/token`, form), fetch(`${server.url}/healthz`)]);
    assert.equal(health.status, 200);
    if (ready) return t.skip('the server was ready before the first request arrived');
    assert.equal(early.status, 503);
    assert.equal(early.headers.get('retry-after'), '1');
    assert.equal((await early.json()).error, 'temporarily_unavailable');
    await server.ready;
    const later = await fetch(`${server.url}/token`, form);
    assert.equal(later.status, 401, 'past start-up the request reaches client authentication');
  } finally {
    await server.close();
    removeDir(dataDir);
  }
});
