import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/server.js';
import { chromiumSkip } from '../helpers/browserChromium.js';
import { signInInChromium, signInToConsoleInChromium } from './quickstartLogin.js';

/**
 * The README's quickstart, run as a reader would: its marked shell blocks, unedited, in a directory
 * that looks like a checkout, against a server started by its own `npm start` block. Only the ports
 * differ (3000 and 8080 may be taken), and the browser is Chromium, driven by test/docs/quickstartLogin.ts.
 */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(CHECKOUT, 'README.md'), 'utf8');
const CALLBACK = 'http://127.0.0.1:8080/callback';

/** The shell blocks marked `<!-- quickstart:<name> -->`, by name. */
function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- quickstart:([\w-]+) -->\n```sh\n([\s\S]*?)```/g)) found.set(m[1], m[2]);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once something accepts connections on the port: the README's listener is up. */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a script in bash, in its own process group (the README's listener is a grandchild). `onLine`
 * sees each stdout line as it comes, as the reader watching the terminal would; `stop` ends the group.
 */
function runBash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => {},
): { done: Promise<Run>; stop(): void } {
  const child = spawn('/bin/bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const done = new Promise<Run>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      const complete = stdout.split('\n').length - 1;
      stdout += d;
      stdout.split('\n').slice(complete, -1).forEach(onLine);
    });
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(stop, 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, stop };
}

describe('README quickstart', () => {
  const snippets = blocks(README);
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;
  let serverLog = '';
  const onPort = (text: string) => text.replaceAll('localhost:3000', `localhost:${port}`);
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  });

  before(async () => {
    // A checkout as the reader has it after `npm install`: the built package, its bin, its dependencies.
    // dist/ is copied: the server runs itself only when started by its own (unlinked) path.
    dir = mkdtempSync(join(tmpdir(), 'tl-readme-'));
    for (const entry of ['package.json', 'bin', 'node_modules']) symlinkSync(join(CHECKOUT, entry), join(dir, entry));
    cpSync(join(CHECKOUT, 'dist'), join(dir, 'dist'), { recursive: true });
    port = await freePort();
    server = spawn('/bin/sh', ['-c', snippets.get('server')!], {
      cwd: dir,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
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
      // npm exits before the server it started has closed its ledger (a stop seals and checkpoints): wait until no
      // process of the group is left, or files would still appear while the directory is removed.
      for (let i = 0; i < 300; i++) {
        try {
          process.kill(-server.pid, 0);
        } catch {
          break;
        }
        await sleep(100);
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  });

  it('marks the blocks it runs', () => {
    assert.deepEqual([...snippets.keys()], ['server', 'token', 'login', 'login-finish', 'graphql', 'console']);
    assert.match(snippets.get('server')!, /^npm start\b/m);
  });

  it('reaches a first token, its introspection and revocation, and a GraphQL query', async () => {
    const script = ['set -eo pipefail', snippets.get('token'), snippets.get('graphql')]
      .map((s) => onPort(s!))
      .join('\n');
    const result = await runBash(script, dir, env()).done;
    const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}\nserver:\n${serverLog}`;
    assert.equal(result.code, 0, context);
    const lines = result.stdout.split('\n');

    // First token: a JWT, active, then revoked.
    assert.ok(
      lines.some((l) => /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/.test(l)),
      `a JWT access token was printed\n${context}`,
    );
    const introspections = lines.filter((l) => l.startsWith('{"active"'));
    assert.equal(introspections.length, 2, context);
    assert.equal(JSON.parse(introspections[0]).active, true);
    assert.equal(JSON.parse(introspections[0]).client_id, 'svc-a');
    assert.deepEqual(JSON.parse(introspections[1]), { active: false });

    // GraphQL: the svc-a token, revoked, with its history.
    const graphql = JSON.parse(lines.find((l) => l.startsWith('{"data"'))!);
    assert.equal(graphql.data.tokens.totalCount, 1, context);
    const token = graphql.data.tokens.edges[0].node;
    assert.equal(token.status, 'REVOKED');
    assert.deepEqual(
      token.history.map((e: { type: string }) => e.type),
      ['AccessTokenIssued', 'TokenRevoked'],
    );
  });

  it(
    'a first login in Chromium: the printed URL, sign-in and consent, the one-shot listener, then /userinfo',
    { skip: chromiumSkip },
    async () => {
      const login = snippets.get('login')!;
      const [, username, password] = /--username (\S+) --password '([^']+)'/.exec(login) ?? [];
      assert.ok(username && password, 'the README names the user it registers');
      assert.ok(login.includes(`CALLBACK=${CALLBACK}`), 'the login block names its callback once');
      // The reader defined `field` in the token block, in the same terminal.
      const field = /^field\(\) .*$/m.exec(snippets.get('token')!)?.[0];
      assert.ok(field, 'the token block defines field');
      const callbackPort = await freePort();
      const callback = `http://127.0.0.1:${callbackPort}/callback`;
      const script = ['set -eo pipefail', field, login, snippets.get('login-finish')]
        .map((s) => onPort(s!).replaceAll(CALLBACK, callback))
        .join('\n');

      // The reader opens the printed URL once the block waits; the favicon request a browser may make gets a 404.
      let landed: Promise<{ url: string; heading: string }> | undefined;
      let authorizeUrl = '';
      const run = runBash(script, dir, env(), (line) => {
        if (landed || !line.startsWith(`http://localhost:${port}/authorize?`)) return;
        authorizeUrl = line;
        landed = (async () => {
          await listening(callbackPort);
          assert.equal((await fetch(`http://127.0.0.1:${callbackPort}/favicon.ico`)).status, 404);
          return signInInChromium(line, callback, { username, password });
        })();
        landed.catch(() => run.stop()); // the block would wait for a browser that is not coming
      });
      const result = await run.done;
      const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}\nserver:\n${serverLog}`;
      assert.ok(landed, `the login block printed an authorization URL\n${context}`);
      const page = await landed;
      assert.equal(result.code, 0, context);

      // The browser came back to the listener with a code and the state, and was told where to look.
      const back = new URL(page.url);
      assert.equal(back.searchParams.get('state'), new URL(authorizeUrl).searchParams.get('state'));
      assert.equal(back.searchParams.get('iss'), `http://localhost:${port}`);
      assert.equal(page.heading, 'Signed in \u2014 back to your terminal');

      // The code exchange's tokens, then the user's claims.
      const lines = result.stdout.split('\n');
      const tokens = JSON.parse(lines.find((l) => l.includes('"id_token"'))!);
      assert.equal(tokens.token_type, 'Bearer');
      assert.ok(tokens.refresh_token);
      const userinfo = JSON.parse(lines.find((l) => l.includes('"email"') && !l.includes('"id_token"'))!);
      assert.equal(userinfo.email, 'alice@example.com');
      assert.equal(userinfo.name, 'Alice Example');
    },
  );

  it(
    'the operator console: a person with a role, then the printed address in Chromium, signed in to the dashboard',
    {
      skip: chromiumSkip,
    },
    async () => {
      const block = snippets.get('console')!;
      const [, username, password] = /--username (\S+) --password '([^']+)' --role ledger:admin/.exec(block) ?? [];
      assert.ok(username && password, 'the README gives the person a role');
      const result = await runBash(['set -eo pipefail', onPort(block)].join('\n'), dir, env()).done;
      const context = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}\nserver:\n${serverLog}`;
      assert.equal(result.code, 0, context);
      const url = /open (http:\S+) and sign in/.exec(result.stdout)?.[1];
      assert.equal(url, `http://localhost:${port}/console/`, context);
      const heading = await signInToConsoleInChromium(url, { username, password });
      assert.equal(heading, 'Dashboard');
    },
  );
});
