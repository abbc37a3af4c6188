import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Browser } from '../helpers/browser.js';
import { freePort } from '../helpers/server.js';
import { signIn } from '../helpers/mcpClient.js';

/**
 * docs/mcp.md, run as a reader would: its marked shell blocks, unedited but for the ports, in a directory that
 * looks like a checkout, in three "terminals" (token-ledger, the example MCP server, the client). The person in
 * the browser is test/helpers/browser.ts, answering the sign-in and consent pages of the printed URL.
 */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = readFileSync(join(CHECKOUT, 'docs/mcp.md'), 'utf8');

/** The shell blocks marked `<!-- mcp:<name> -->`, by name. */
function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- mcp:([\w-]+) -->\n```sh\n([\s\S]*?)```/g)) found.set(m[1], m[2]);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Terminal {
  child: ChildProcess;
  output: () => string;
  done: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * A bash "terminal" in its own process group (the servers are its grandchildren); `onLine` sees stdout lines.
 * After `limitMs` the group is killed.
 */
function terminal(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void = () => {},
  limitMs = 600_000,
) {
  const child = spawn('/bin/bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    const complete = stdout.split('\n').length - 1;
    stdout += d;
    stdout.split('\n').slice(complete, -1).forEach(onLine);
  });
  child.stderr.on('data', (d) => (stderr += d));
  // A block that waits for ever (a browser that never comes) fails the test instead of hanging it.
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, limitMs);
  const done = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  const t: Terminal = {
    child,
    output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`,
    done,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      await done;
    },
  };
  return t;
}

async function until(url: string, what: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer:\n${what()}`);
}

describe('docs/mcp.md, as written', () => {
  const snippets = blocks(PAGE);
  let dir: string;
  let ports: { as: number; rs: number; callback: number; document: number };
  const terminals: Terminal[] = [];
  const onPorts = (text: string) =>
    text
      .replaceAll('localhost:3000', `localhost:${ports.as}`)
      .replaceAll('localhost:3001', `localhost:${ports.rs}`)
      .replaceAll('--port 3001', `--port ${ports.rs}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.callback}`)
      .replaceAll('127.0.0.1:8081', `127.0.0.1:${ports.document}`);
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PORT: String(ports.as),
    LOG_LEVEL: 'warn',
  });

  before(async () => {
    // A checkout as the reader has it after `npm install` (as test/docs/readmeQuickstart.test.ts builds it).
    dir = mkdtempSync(join(tmpdir(), 'tl-mcp-doc-'));
    for (const entry of ['package.json', 'bin', 'node_modules']) symlinkSync(join(CHECKOUT, entry), join(dir, entry));
    cpSync(join(CHECKOUT, 'dist'), join(dir, 'dist'), { recursive: true });
    ports = { as: await freePort(), rs: await freePort(), callback: await freePort(), document: await freePort() };

    const server = terminal(onPorts(snippets.get('server')!), dir, env());
    terminals.push(server);
    await until(`http://127.0.0.1:${ports.as}/readyz`, server.output);
    const resourceServer = terminal(onPorts(snippets.get('resource-server')!), dir, env());
    terminals.push(resourceServer);
    await until(`http://127.0.0.1:${ports.rs}/.well-known/oauth-protected-resource/mcp`, resourceServer.output);
  });

  after(async () => {
    for (const t of terminals.reverse()) await t.stop();
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  });

  it('marks the blocks it runs', () => {
    assert.deepEqual(
      [...snippets.keys()],
      [
        'server',
        'resource-server',
        'discover',
        'register',
        'register-cli',
        'login',
        'token',
        'tools',
        'refused',
        'server-documents',
        'document',
      ],
    );
  });

  /**
   * Runs the named blocks in one client "terminal" (in order, stopping at the first failing command), plays the
   * person when the login block prints its URL, and returns what the terminal showed.
   */
  async function runClient(names: string[], last = ''): Promise<string> {
    const script = ['set -eo pipefail', ...names.map((b) => snippets.get(b)!), last].map(onPorts).join('\n');
    let browsed: Promise<void> | undefined;
    const client = terminal(script, dir, env(), onLogin, 120_000);
    function onLogin(line: string) {
      if (browsed || !line.startsWith(`http://localhost:${ports.as}/authorize?`)) return;
      browsed = (async () => {
        const back = await signIn(new Browser(), line, { username: 'alice', password: 'a long passphrase' });
        let landed: Response | undefined;
        for (let i = 0; i < 100 && !landed; i++) {
          landed = await fetch(back).catch(() => sleep(100).then(() => undefined)); // the listener may not be up yet
        }
        assert.equal(landed?.status, 200, "the block's listener took the code");
      })();
      browsed.catch(() => void client.stop());
    }
    terminals.push(client);
    const code = await client.done;
    const out = client.output();
    assert.ok(browsed, `the login block printed an authorization URL\n${out}`);
    await browsed;
    assert.equal(code, 0, out);
    return out;
  }

  it('from the first 401 to the tools, then what is refused', async () => {
    const out = await runClient(['discover', 'register', 'login', 'token', 'tools', 'refused']);
    const rs = `http://localhost:${ports.rs}`;
    // 3. Discovery
    assert.match(out, /HTTP\/1\.1 401 Unauthorized/);
    assert.ok(
      out.includes(
        `www-authenticate: Bearer scope="mcp:read", resource_metadata="${rs}/.well-known/oauth-protected-resource/mcp"`,
      ),
      out,
    );
    assert.ok(out.includes(`{"resource":"${rs}/mcp","authorization_servers":["http://localhost:${ports.as}"]`), out);
    assert.ok(out.includes(`"code_challenge_methods_supported":["S256"]`), out);
    // 6. The token's claims
    const claims = JSON.parse(out.split('\n').find((l) => l.startsWith('{"iss"'))!);
    assert.equal(claims.aud, `${rs}/mcp`);
    assert.equal(claims.scope, 'mcp:read mcp:call');
    // 7. The tools
    assert.ok(out.includes('"result":{"protocolVersion":"2025-11-25"'), out);
    assert.match(out, /^202$/m);
    assert.ok(out.includes('"tools":[{"name":"whoami"'), out);
    assert.ok(out.includes(`You are ${claims.sub}, through client ${claims.client_id}, with scope`), out);
    assert.ok(out.includes('{"jsonrpc":"2.0","id":4,"result":{"content":[{"type":"text","text":"hello"}]}}'), out);
    // 8. Refused: another audience, then the revoked token
    assert.ok(out.includes('error_description="the access token was issued for another resource"'), out);
    assert.ok(out.includes('error_description="the access token is not active (revoked, expired or unknown)"'), out);
  });

  it('with a client the operator registered instead', async () => {
    const out = await runClient(['discover', 'register-cli', 'login', 'token', 'tools']);
    assert.ok(out.includes('through client my-mcp-client, with scope'), out);
  });

  it('with a client ID metadata document instead of a registration', async () => {
    // Terminal 1 again, with documents on; the example MCP server keeps running.
    const first = terminals.shift()!;
    await first.stop();
    const server = terminal(onPorts(snippets.get('server-documents')!), dir, env());
    terminals.unshift(server);
    await until(`http://127.0.0.1:${ports.as}/readyz`, server.output);

    // The reader stops the document's server when done; the terminal would otherwise stay open for it.
    const out = await runClient(['discover', 'document', 'login', 'token', 'tools'], 'kill "$DOCUMENT_SERVER"');
    const clientId = `http://127.0.0.1:${ports.document}/mcp-client.json`;
    const claims = JSON.parse(out.split('\n').find((l) => l.startsWith('{"iss"'))!);
    assert.equal(claims.client_id, clientId);
    assert.ok(out.includes(`through client ${clientId}, with scope`), out);
  });
});
