import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/server.js';

/**
 * The README's quickstart, run as a reader would: its marked shell blocks, in order, in a directory
 * that looks like a checkout, against a server started by its own `npm start` block. Only the port
 * differs (3000 may be taken), and the browser step is done by test/docs/quickstartLogin.ts.
 */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const LOGIN = fileURLToPath(new URL('./quickstartLogin.js', import.meta.url));
const README = readFileSync(join(CHECKOUT, 'README.md'), 'utf8');

/** The shell blocks marked `<!-- quickstart:<name> -->`, by name. */
function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- quickstart:([\w-]+) -->\n```sh\n([\s\S]*?)```/g)) found.set(m[1]!, m[2]!);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('README quickstart', () => {
  const snippets = blocks(README);
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverLog = '';
  const onPort = (text: string) => text.replaceAll('localhost:3000', `localhost:${port}`);
  const env = () => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(port), LOG_LEVEL: 'warn' });

  before(async () => {
    // A checkout as the reader has it after `npm install`: the built package, its bin, its dependencies.
    // dist/ is copied: the server runs itself only when started by its own (unlinked) path.
    dir = mkdtempSync(join(tmpdir(), 'tl-readme-'));
    for (const entry of ['package.json', 'bin', 'node_modules']) symlinkSync(join(CHECKOUT, entry), join(dir, entry));
    cpSync(join(CHECKOUT, 'dist'), join(dir, 'dist'), { recursive: true });
    port = await freePort();
    server = spawn('/bin/sh', ['-c', snippets.get('server')!], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    server.stdout!.on('data', (d) => (serverLog += d));
    server.stderr!.on('data', (d) => (serverLog += d));
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) break;
      } catch {
        // not listening yet
      }
      if (i > 600) throw new Error(`the server did not get ready: ${serverLog}`);
      await sleep(100);
    }
  });

  after(async () => {
    if (server?.pid !== undefined && server.exitCode === null) {
      const exited = new Promise((r) => server!.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks the blocks it runs', () => {
    assert.deepEqual([...snippets.keys()], ['server', 'token', 'login', 'login-finish', 'graphql']);
    assert.match(snippets.get('server')!, /^npm start\b/m);
  });

  it('reaches a first token, its introspection and revocation, a login ending at /userinfo, and a GraphQL query', async () => {
    const [, username, password] = /--username (\S+) --password '([^']+)'/.exec(snippets.get('login')!) ?? [];
    assert.ok(username && password, 'the README names the user it registers');
    // The reader pastes the address the browser was sent back to; here the login helper provides it.
    const finish = snippets.get('login-finish')!.replace(/^REDIRECT='[^']*'$/m, `REDIRECT=$(node '${LOGIN}' "$AUTHORIZE_URL" '${username}' '${password}')`);
    assert.notEqual(finish, snippets.get('login-finish'), 'the login-finish block starts from the pasted address');
    const script = ['set -eo pipefail', snippets.get('token'), snippets.get('login'), finish, snippets.get('graphql')].map((s) => onPort(s!)).join('\n');

    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('/bin/bash', ['-c', script], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
    const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}\nserver:\n${serverLog}`;
    assert.equal(result.code, 0, context);
    const lines = result.stdout.split('\n');

    // First token: a JWT, active, then revoked.
    assert.ok(lines.some((l) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(l)), `a JWT access token was printed\n${context}`);
    const introspections = lines.filter((l) => l.startsWith('{"active"'));
    assert.equal(introspections.length, 2, context);
    assert.equal(JSON.parse(introspections[0]!).active, true);
    assert.equal(JSON.parse(introspections[0]!).client_id, 'svc-a');
    assert.deepEqual(JSON.parse(introspections[1]!), { active: false });

    // Login: the authorization URL, the tokens of the code exchange, the user's claims.
    assert.ok(lines.some((l) => l.startsWith(`http://localhost:${port}/authorize?`)), context);
    const tokens = JSON.parse(lines.find((l) => l.includes('"id_token"'))!);
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.refresh_token);
    const userinfo = JSON.parse(lines.find((l) => l.includes('"email"') && !l.includes('"id_token"'))!);
    assert.equal(userinfo.email, 'alice@example.com');
    assert.equal(userinfo.name, 'Alice Example');

    // GraphQL: the svc-a token, revoked, with its history.
    const graphql = JSON.parse(lines.find((l) => l.startsWith('{"data"'))!);
    assert.equal(graphql.data.tokens.totalCount, 1, context);
    const token = graphql.data.tokens.edges[0].node;
    assert.equal(token.status, 'REVOKED');
    assert.deepEqual(token.history.map((e: { type: string }) => e.type), ['AccessTokenIssued', 'TokenRevoked']);
  });
});
