import { it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.js';
import { startServer } from '../../src/server.js';
import { freePort, removeDir, tempDir } from '../helpers/server.js';

it('/readyz answers 503 "stopped" while the views no longer follow the ledger, and 200 again once they do', async () => {
  const dataDir = tempDir();
  const port = await freePort();
  const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', ISSUER: `http://127.0.0.1:${port}` };
  const server = await startServer(loadConfig(env), { logger: false });
  try {
    await server.ready;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    let stopped = true;
    // Stands for a failed subscription (the runner's own test covers how it gets there and back).
    Object.defineProperty(server.runtime.runner, 'stopped', { get: () => stopped });
    const frozen = await fetch(`${server.url}/readyz`);
    assert.equal(frozen.status, 503);
    assert.deepEqual(await frozen.json(), { status: 'stopped', position: server.runtime.runner.position.toString() });
    stopped = false;
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  } finally {
    await server.close();
    removeDir(dataDir);
  }
});
