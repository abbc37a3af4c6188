import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { REDACT } from '../../src/http/app.js';
import { startServer } from '../../src/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { freePort, removeDir, tempDir, type TestServer } from '../helpers/server.js';

describe('no bearer secret in the logs or the ledger', () => {
  it('logs at trace level and the ledger file hold neither client secrets nor tokens', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const dataDir = tempDir();
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), ISSUER: `http://127.0.0.1:${port}` };
    const running = await startServer(loadConfig(env), { logger: { level: 'trace', redact: REDACT, stream } });
    await running.ready;
    const server = { ...running, dataDir, env } as TestServer;
    try {
      const svc = await registerClient(server, {});
      const opaque = await registerClient(server, { access_token_format: 'opaque' });
      const jwt = (await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(svc.clientId, svc.secret!))).body.access_token;
      const post = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(opaque.clientId, opaque.secret!));
      await postForm(server, '/introspect', { token: post.body.access_token }, basic(svc.clientId, svc.secret!));
      await postForm(server, '/revoke', { token: jwt }, basic(svc.clientId, svc.secret!));
      await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(svc.clientId, 'wrong-secret-value'));
      const logs = lines.join('');
      assert.ok(logs.includes('"statusCode":401'), 'the requests were logged');
      await running.close();
      const ledger = readFileSync(join(dataDir, 'ledger.sqlite'));
      for (const secret of [svc.secret!, opaque.secret!, jwt, post.body.access_token, 'wrong-secret-value']) {
        assert.equal(logs.includes(secret), false, 'not in the logs');
        assert.equal(ledger.includes(secret), false, 'not in the ledger');
      }
      assert.equal(/authorization/i.test(logs.replace(/"authorization":"\[Redacted\]"/g, '')), false, 'Authorization headers are redacted');
    } finally {
      await running.close();
      removeDir(dataDir);
    }
  });
});
