import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../helpers/server.js';

/**
 * docs/audit-tracing.md run as a reader would: its marked shell blocks, unedited but for the ports, in a directory
 * that looks like a checkout. `docker` is a stand-in on the PATH that takes the block's arguments and, instead of
 * Jaeger, starts a small OTLP/HTTP receiver on the published 4318 port, keeping every body it is sent.
 */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = readFileSync(join(CHECKOUT, 'docs/audit-tracing.md'), 'utf8');
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- tracing:([\w-]+) -->\n```sh\n([\s\S]*?)```/g)) found.set(m[1], m[2]);
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The receiver the stand-in starts: OTLP/HTTP's /v1/traces, every body appended (base64, a line each). */
const COLLECTOR = `
import { createServer } from 'node:http';
import { appendFileSync } from 'node:fs';
const [port, file] = process.argv.slice(2);
createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (req.url === '/v1/traces') appendFileSync(file, Buffer.concat(chunks).toString('base64') + '\\n');
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/x-protobuf' }).end();
  });
}).listen(Number(port), '127.0.0.1');
`;

/** `docker run … -p H:4318 …`: the receiver on H, detached as \`-d\` asks; its pid kept for the test to stop. */
const DOCKER = `#!/usr/bin/env node
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
const published = args.flatMap((a, i) => (args[i - 1] === '-p' ? [a.split(':')] : [])).find(([, c]) => c === '4318');
const dir = process.env.STAND_IN_DIR;
const child = spawn(process.execPath, [dir + '/collector.mjs', published[0], dir + '/received'], {
  detached: true,
  stdio: 'ignore',
});
writeFileSync(dir + '/collector.pid', String(child.pid));
child.unref();
console.log('0123456789ab');
`;

function run(script: string, cwd: string, env: NodeJS.ProcessEnv, limitMs = 120_000) {
  const child = spawn('/bin/bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => kill(child), limitMs);
  const done = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
  return { child, done, output: () => out };
}

function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL') {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

describe('docs/audit-tracing.md, as written', () => {
  const snippets = blocks(PAGE);
  let dir: string;
  let standIn: string;
  let ports: { as: number; otlp: number };
  let server: ReturnType<typeof run> | undefined;
  const onPorts = (text: string) =>
    text
      .replaceAll('localhost:3000', `localhost:${ports.as}`)
      .replaceAll('localhost:4318', `localhost:${ports.otlp}`)
      .replaceAll('-p 4318:4318', `-p ${ports.otlp}:4318`);
  const env = () => ({
    PATH: `${standIn}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME ?? dir,
    PORT: String(ports.as),
    LOG_LEVEL: 'warn',
    STAND_IN_DIR: standIn,
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-tracing-doc-'));
    for (const entry of ['package.json', 'bin', 'node_modules']) symlinkSync(join(CHECKOUT, entry), join(dir, entry));
    cpSync(join(CHECKOUT, 'dist'), join(dir, 'dist'), { recursive: true });
    standIn = join(dir, 'stand-in');
    mkdirSync(standIn);
    writeFileSync(join(standIn, 'collector.mjs'), COLLECTOR);
    writeFileSync(join(standIn, 'docker'), DOCKER);
    chmodSync(join(standIn, 'docker'), 0o755);
    ports = { as: await freePort(), otlp: await freePort() };
  });

  after(async () => {
    if (server) {
      kill(server.child, 'SIGTERM');
      await server.done;
    }
    const pid = join(standIn, 'collector.pid');
    if (existsSync(pid)) {
      try {
        process.kill(Number(readFileSync(pid, 'utf8')), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  });

  it('marks the blocks it runs', () => {
    assert.deepEqual([...snippets.keys()], ['collector', 'server', 'request']);
  });

  it("a request's event names its trace, and the collector receives the trace's spans", async () => {
    const collector = run(onPorts(snippets.get('collector')!), dir, env());
    assert.equal(await collector.done, 0, collector.output());

    // A bad value beside the block's: warned about in the log, the server starts all the same.
    const serverEnv = { ...env(), OTEL_TRACES_SAMPLER: 'sometimes', OTEL_BSP_SCHEDULE_DELAY: '100' };
    server = run(onPorts(snippets.get('server')!), dir, serverEnv, 600_000);
    for (let i = 0; ; i++) {
      const up = await fetch(`http://127.0.0.1:${ports.as}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      assert.ok(i < 600 && server.child.exitCode === null, `the server did not start:\n${server.output()}`);
      await sleep(100);
    }
    assert.match(server.output(), /OTEL_TRACES_SAMPLER=\\"sometimes\\" is unknown: using parentbased_always_on/);

    const request = run(['set -eo pipefail', onPorts(snippets.get('request')!)].join('\n'), dir, env());
    const code = await request.done;
    assert.equal(code, 0, request.output());
    assert.deepEqual(request.output().trim().split('\n'), [
      'Bearer',
      'exported 1 events of 1 streams to token-events.ndjson',
      '1',
    ]);

    // The exported spans, in OTLP protobuf: the trace id as 16 raw bytes, the span names as strings.
    const received = join(standIn, 'received');
    const names = ['POST /token', 'command IssueAccessToken', 'ledger append', 'sqlite group commit', 'wait for views'];
    let bodies: Buffer[] = [];
    for (let i = 0; i < 100; i++) {
      bodies = existsSync(received)
        ? readFileSync(received, 'utf8')
            .trim()
            .split('\n')
            .map((b) => Buffer.from(b, 'base64'))
        : [];
      const all = Buffer.concat(bodies);
      if (names.every((n) => all.includes(n))) break;
      await sleep(100);
    }
    const all = Buffer.concat(bodies);
    assert.ok(all.includes(Buffer.from(TRACE_ID, 'hex')), 'the caller trace id was exported');
    for (const n of names) assert.ok(all.includes(n), `a span "${n}" was exported`);
    assert.ok(all.includes('token-ledger'), 'service.name');
  });
});
