import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/server.js';

/**
 * docs/audit.md, the walk-through for auditors the README points to, run as a reader would: its marked
 * shell blocks, unedited but for the ports, in a directory that looks like a checkout, in three
 * "terminals" (the SIEM stand-in, the server, the auditor), as test/docs/readmeQuickstart.test.ts and
 * test/docs/mcpWalkthrough.test.ts run theirs.
 */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(CHECKOUT, 'docs/audit.md'), 'utf8');

/** The shell blocks marked `<!-- audit:<name> -->`, by name. */
function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- audit:([\w-]+) -->\n```sh\n([\s\S]*?)```/g)) found.set(m[1], m[2]);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Terminal {
  child: ChildProcess;
  output: () => string;
  done: Promise<number | null>;
  stop(): Promise<void>;
}

/** A bash "terminal" in its own process group (the servers are its grandchildren); killed after `limitMs`. */
function terminal(script: string, cwd: string, env: NodeJS.ProcessEnv, limitMs = 300_000): Terminal {
  const child = spawn('/bin/bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  // A block that waits for ever (an event that never arrives) fails the test instead of hanging it.
  const timer = setTimeout(() => signal('SIGKILL'), limitMs);
  const done = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return {
    child,
    output: () => `stdout:\n${stdout}\nstderr:\n${stderr}`,
    done,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal('SIGTERM');
      // A server that does not stop when asked is killed: the test must not outlive it.
      const late = setTimeout(() => signal('SIGKILL'), 5_000);
      await done;
      clearTimeout(late);
    },
  };
}

/** Waits for `url` to answer; with `ready`, to answer 2xx. */
async function until(url: string, what: () => string, ready = true): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(url)).ok || !ready) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer:\n${what()}`);
}

interface Delivered {
  id: string;
  type: string;
  ledgerposition: string;
}

describe('docs/audit.md, for auditors, as written', () => {
  const snippets = blocks(README);
  let dir: string;
  let ports: { server: number; receiver: number };
  const terminals: Terminal[] = [];
  const onPorts = (text: string) =>
    text
      .replaceAll('localhost:3000', `localhost:${ports.server}`)
      .replaceAll('127.0.0.1:8080/', `127.0.0.1:${ports.receiver}/`)
      .replaceAll('--port 8080', `--port ${ports.receiver}`);
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    PORT: String(ports.server),
    LOG_LEVEL: 'warn',
  });

  before(async () => {
    // A checkout as the reader has it after `npm install` (as test/docs/readmeQuickstart.test.ts builds it).
    dir = mkdtempSync(join(tmpdir(), 'tl-audit-doc-'));
    for (const entry of ['package.json', 'bin', 'node_modules']) symlinkSync(join(CHECKOUT, entry), join(dir, entry));
    cpSync(join(CHECKOUT, 'dist'), join(dir, 'dist'), { recursive: true });
    ports = { server: await freePort(), receiver: await freePort() };

    const receiver = terminal(onPorts(snippets.get('receiver')!), dir, env());
    terminals.push(receiver);
    // The receiver answers 401 to an unsigned request: that it answers is enough.
    await until(`http://127.0.0.1:${ports.receiver}/`, receiver.output, false);
    const server = terminal(onPorts(snippets.get('server')!), dir, env());
    terminals.push(server);
    await until(`http://127.0.0.1:${ports.server}/readyz`, server.output);
  });

  after(async () => {
    for (const t of terminals.reverse()) await t.stop();
    // The shell exits before the node process it started has closed its ledger: retry while files still appear.
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  });

  it('marks the blocks it runs', () => {
    assert.deepEqual([...snippets.keys()], ['receiver', 'server', 'auditor']);
  });

  it('every event delivered once and in order, an issuance proven, a person erased, the ledger sound', async () => {
    const auditor = terminal(['set -eo pipefail', onPorts(snippets.get('auditor')!)].join('\n'), dir, env(), 180_000);
    terminals.push(auditor);
    const code = await auditor.done;
    const out = auditor.output();
    assert.equal(code, 0, out);

    const count = out.split('\n').find((l) => /^\d+$/.test(l));
    assert.ok(count !== undefined && Number(count) > 0, `grep -c printed a positive count\n${out}`);
    assert.match(out, /proof holds: sealed tree of/);
    for (const field of ['username', 'email', 'name']) assert.match(out, new RegExp(`^${field}: erased$`, 'm'));
    assert.match(out, /^ledger sound: /m);

    const ndjson = readFileSync(join(dir, 'events.ndjson'), 'utf8');
    const events = ndjson
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Delivered);
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event stored twice');
    for (let i = 1; i < events.length; i++) {
      assert.ok(BigInt(events[i].ledgerposition) > BigInt(events[i - 1].ledgerposition), 'in ledger order');
    }
    assert.ok(
      events.some((e) => e.type.includes('UserErased')),
      'the erasure reached the receiver',
    );
    // Personal data travels sealed under the person's key: the SIEM never holds it in clear.
    assert.ok(!ndjson.includes('zelda'), 'no username in clear');
    assert.ok(!ndjson.includes('Zelda Example'), 'no name in clear');
  });
});
