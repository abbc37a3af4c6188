import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';

/**
 * docs/audit-seals.md, run as an auditor would: its marked shell blocks, unedited but for the port, one after the
 * other in bash, from a directory that looks like a checkout whose ./data is the running server's.
 */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = readFileSync(join(CHECKOUT, 'docs/audit-seals.md'), 'utf8');

function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- seals:([\w-]+) -->\n\n```sh\n([\s\S]*?)```/g)) found.set(m[1], m[2]);
  return found;
}

describe('docs/audit-seals.md walk-through', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tl-seals-doc-'));
  let server: TestServer | undefined;
  after(async () => {
    await server?.close();
    removeDir(dir);
  });

  it('keeps a seal, verifies the ledger extends it, proves an issuance and a consistency offline', async () => {
    for (const entry of ['package.json', 'bin', 'node_modules', 'dist'])
      symlinkSync(join(CHECKOUT, entry), join(dir, entry));
    server = await startTestServer({ dataDir: join(dir, 'data'), env: { SEAL_INTERVAL_SECONDS: '1' } });
    const ops = await registerClient(server, {
      client_id: 'ops',
      scope: 'ledger:audit',
    });
    const svc = await registerClient(server, { client_id: 'svc' });
    const token = async (c: { clientId: string; secret: string | null }, scope?: string) => {
      const res = await postForm(
        server!,
        '/token',
        { grant_type: 'client_credentials', ...(scope && { scope }) },
        basic(c.clientId, c.secret!),
      );
      assert.equal(res.status, 200, res.text);
      return res.body.access_token as string;
    };
    const opsToken = await token(ops, 'ledger:audit');
    const jti = decodeJwt(await token(svc)).jti!;
    assert.ok(await server.sealer.sealNow());

    const port = new URL(server.url).port;
    const snippets = blocks(PAGE);
    assert.deepEqual([...snippets.keys()], ['keep', 'verify', 'prove', 'consistency']);
    // Asynchronously: the server answering the blocks' requests runs in this process.
    const run = (name: string) =>
      new Promise<string>((resolve, reject) => {
        const script = snippets.get(name)!.replaceAll('localhost:3000', `localhost:${port}`);
        const child = spawn('/bin/bash', ['-eo', 'pipefail', '-c', script], {
          cwd: dir,
          env: { PATH: process.env.PATH ?? '', HOME: dir, LOG_LEVEL: 'silent', OPS_TOKEN: opsToken, JTI: jti },
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve(out);
          else reject(new Error(`${name} exited ${code}: ${out}\n${err}`));
        });
      });
    await run('keep');
    assert.match(await run('verify'), /^ledger sound: .*extends the kept seal of \d+ events/);
    // A new issuance after the kept seal: the proof waits for the next seal (the server seals every second here).
    assert.match(await run('prove'), /^proof holds: sealed tree of \d+ events/);
    assert.match(await run('consistency'), /^proof holds: sealed tree of \d+ events/);
  });
});
