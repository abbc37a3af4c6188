import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { CLI, runCli } from '../helpers/cli.js';
import { registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, tempDir } from '../helpers/server.js';

describe('token-ledger tail', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('prints CloudEvents NDJSON from a position, and --follow prints new events until SIGTERM', async () => {
    const server = await startTestServer({ dataDir: dir });
    try {
      for (let i = 0; i < 3; i++) await registerClient(server, {});
      const events = await server.runtime.storeAsStored.readAll(0n, 1000);
      const env = { DATA_DIR: dir, ISSUER: server.runtime.config.issuer };

      const ran = await runCli(['tail', '--from', '3', '--json'], env);
      assert.equal(ran.code, 0, ran.stderr);
      const lines = ran.stdout
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((l) => [l.ledgerposition, l.id, l.type, l.specversion]),
        events.slice(2).map((e) => [e.position.toString(), e.id, `dev.token-ledger.${e.type}`, '1.0']),
      );
      const human = await runCli(['tail'], env);
      assert.equal(
        human.stdout.split('\n')[0],
        `1 ${events[0].recordedAt.toISOString()} ${events[0].type} ${events[0].stream} ${events[0].id}`,
      );
      const bad = await runCli(['tail', '--from', 'x'], env);
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /expected a ledger position/);

      const child = spawn(process.execPath, [CLI, 'tail', '--from', String(events.length + 1), '--json', '--follow'], {
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      await new Promise((r) => setTimeout(r, 1000));
      const { clientId } = await registerClient(server, {});
      const head = await server.runtime.storeAsStored.headPosition();
      for (let i = 0; i < 100 && !out.includes(`"ledgerposition":"${head}"`); i++)
        await new Promise((r) => setTimeout(r, 100));
      const followed = out
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as { subject: string; ledgerposition: string });
      assert.equal(followed.at(-1)!.ledgerposition, head.toString());
      assert.ok(followed.some((l) => l.subject === `client-${clientId}`));
      child.kill('SIGTERM');
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0);
    } finally {
      await server.close();
    }
  });
});
