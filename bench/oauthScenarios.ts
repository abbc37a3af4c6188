/**
 * HTTP benchmarks of the OAuth endpoints: our server against oidc-provider (v9, in-memory adapter),
 * both as child processes on loopback, measured one after the other in the same run with the same
 * load generator (autocannon, in this process). Every request is checked once by hand before it is
 * put under load (status, token format, `active: true`); a side whose check fails gets "n/a (why)"
 * instead of figures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { runLoad, type LoadOptions, type LoadResult } from './httpLoad.js';
import { sampleServerCpu } from './cpuUsage.js';
import { BENCH_SECRET } from './coldStart.js';

const SERVER = fileURLToPath(new URL('../src/server.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/token-ledger.js', import.meta.url));
const PEER = fileURLToPath(new URL('./peer/oidcProviderPeer.js', import.meta.url));
const CEILING = fileURLToPath(new URL('./peer/bareFastify.js', import.meta.url));

const SECRET = 'bench-secret-0123456789';
export const RESOURCE = 'https://api.example';
/** The peer signs its JWT access tokens for this resource with RS256. */
const RESOURCE_RS256 = 'https://api-rs.example';
const SCOPE = 'orders:read';
const CONNECTIONS = [10, 50] as const;

/** Figures, or why there are none ("n/a (endpoint missing)"). */
type Measured = LoadResult | string;

interface OAuthRow {
  scenario: string;
  connections: number;
  ours: Measured;
  /** `null`: the scenario is ours only. */
  peer: Measured | null;
  /** The ceiling row: `ours` holds the bare Fastify route's figures. */
  ceiling?: boolean;
}

export interface Side {
  name: 'ours' | 'peer' | 'ceiling';
  base: string;
  /** The server's process, whose main thread's CPU the rows report. */
  pid?: number;
  /** Set when the side cannot be measured at all. */
  unavailable?: string;
  /** Set when its clients could not be registered: nothing that needs a client can be measured. */
  noClients?: string;
  /** The server's last log lines. */
  logTail: string[];
  tokenEndpoint?: string;
  introspectionEndpoint?: string;
  revocationEndpoint?: string;
}

/** A request checked by hand, ready to be put under load. */
interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function headersFor(clientId: string): Record<string, string> {
  return {
    authorization: basic(clientId, SECRET),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
}

/** The `alg` of a JWS in compact form (three base64url segments, the first a JSON header), or undefined. */
function jwtAlg(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const { alg } = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: unknown };
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}

/** `n` distinct free loopback ports (all held open until each is known, so none repeats). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (srv) =>
        new Promise<number>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => {
            const address = srv.address();
            resolve(typeof address === 'object' && address ? address.port : 0);
          });
        }),
    ),
  );
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

/** Keeps the last few lines a child wrote on a stream, and passes them through to ours. */
function tail(stream: NodeJS.ReadableStream | null, into: string[], passTo?: NodeJS.WritableStream): void {
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    passTo?.write(chunk);
    into.push(...chunk.split('\n').filter((l) => l.trim() !== ''));
    if (into.length > 20) into.splice(0, into.length - 20);
  });
}

const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
// Last resort should this process exit without reaching a `finally`.
process.once('exit', killAll);

function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, 5_000);
  await gone;
  clearTimeout(timer);
}

/** Runs the command line tool to completion (at most 60 s); resolves with the exit code and stderr. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string[] }> {
  const child = track(spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] }));
  const stderr: string[] = [];
  tail(child.stderr, stderr);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr };
}

/** A script that prints `ready` once listening, started with `args` (and `env`), tracked until it exits. */
export async function startScript(
  script: string,
  args: string[],
  side: Side,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildProcess> {
  const child = track(spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] }));
  side.pid = child.pid;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no `ready` within 60 s')), 60_000);
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        if (out.split('\n').includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before \`ready\``));
      });
    });
  } catch (err) {
    side.unavailable = `n/a (${side.name} did not start: ${(err as Error).message})`;
  }
  return child;
}

/** The peer or the ceiling: a script that takes its port and prints `ready` once listening. */
export async function startPeer(
  port: number,
  name: 'peer' | 'ceiling' = 'peer',
): Promise<{ child: ChildProcess; side: Side }> {
  const side: Side = { name, base: `http://127.0.0.1:${port}`, logTail: [] };
  const child = await startScript(name === 'peer' ? PEER : CEILING, [String(port)], side);
  return { child, side };
}

/** The environment our server and the CLI run with: one ledger in `dataDir`, loopback only. */
export function ourEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'warn',
    KEY_ENCRYPTION_SECRET: BENCH_SECRET,
  };
}

/**
 * Starts our server with `env` and waits (at most 60 s by default) for /readyz; sets `side.unavailable` when it
 * does not get there. The child is returned either way, so that the caller stops it.
 */
export async function launchOurs(env: NodeJS.ProcessEnv, side: Side, readyWithinMs = 60_000): Promise<ChildProcess> {
  const stderr: string[] = [];
  // BENCH_CPU_PROF_DIR=<dir>: each of our servers writes a V8 CPU profile there as it stops (where does the time go).
  const profile = process.env.BENCH_CPU_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
    : [];
  const child = track(spawn(process.execPath, [...profile, SERVER], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  side.pid = child.pid;
  tail(child.stderr, stderr, process.stderr);
  // LOG_LEVEL=warn: JSON lines on stdout, kept in case the server dies mid-run.
  tail(child.stdout, side.logTail);
  const started = performance.now();
  for (;;) {
    if (exited(child)) {
      side.unavailable = `n/a (server exited: ${stderr.at(-1)?.slice(0, 80) ?? child.exitCode})`;
      break;
    }
    if (performance.now() - started > readyWithinMs) {
      side.unavailable = `n/a (server not ready within ${readyWithinMs / 1000} s)`;
      break;
    }
    try {
      if ((await fetch(`${side.base}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** Registers our three clients with the CLI (before a server starts); says why when it could not. */
export async function registerBenchClients(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const common = [
    '--client-secret',
    SECRET,
    '--grant-types',
    'client_credentials',
    '--scope',
    'orders:read orders:write',
    '--json',
  ];
  for (const extra of [
    ['--client-id', 'bench-client'],
    ['--client-id', 'bench-rs256', '--access-token-signing-alg', 'RS256'],
    ['--client-id', 'bench-opaque', '--access-token-format', 'opaque'],
  ]) {
    const { code, stderr } = await runCli(['clients', 'create', ...extra, ...common], env);
    if (code !== 0) {
      const why = stderr.find((l) => /unknown command|error/i.test(l)) ?? stderr.at(-1) ?? `exit code ${code}`;
      return /unknown command/i.test(why)
        ? 'n/a (`clients create` missing)'
        : `n/a (clients create: ${why.trim().slice(0, 80)})`;
    }
  }
  return undefined;
}

/** Registers our clients, then starts the server. */
export async function startOurs(
  port: number,
  dataDir: string,
  ledgerEnv: NodeJS.ProcessEnv = {},
): Promise<{ child?: ChildProcess; side: Side }> {
  const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
  const env = { ...ourEnv(port, dataDir), ...ledgerEnv };
  side.noClients = await registerBenchClients(env);
  // Started even without clients, so that the missing piece is named precisely.
  return { child: await launchOurs(env, side), side };
}

/** token_endpoint and introspection_endpoint from the side's discovery document. */
export async function discover(side: Side): Promise<void> {
  if (side.unavailable) return;
  try {
    const res = await fetch(`${side.base}/.well-known/openid-configuration`);
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    const doc = (await res.json()) as Record<string, unknown>;
    if (typeof doc.token_endpoint === 'string') side.tokenEndpoint = doc.token_endpoint;
    if (typeof doc.introspection_endpoint === 'string') side.introspectionEndpoint = doc.introspection_endpoint;
    if (typeof doc.revocation_endpoint === 'string') side.revocationEndpoint = doc.revocation_endpoint;
  } catch (err) {
    side.unavailable = `n/a (discovery: ${(err as Error).message})`;
  }
}

export async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: the status says enough
  }
  return { status: res.status, json };
}

const failed = (status: number, json: Record<string, unknown>) =>
  status === 404
    ? 'n/a (endpoint missing)'
    : `n/a (HTTP ${status}${typeof json.error === 'string' ? ` ${json.error}` : ''})`;

/** A client-credentials request, checked once: 200, and an access token of the expected format (JWT: alg). */
export async function issuance(
  side: Side,
  clientId: string,
  fields: Record<string, string>,
  format: 'ES256' | 'RS256' | 'opaque',
): Promise<Target | string> {
  if (side.unavailable) return side.unavailable;
  if (!side.tokenEndpoint) return 'n/a (endpoint missing)';
  if (side.noClients) return side.noClients;
  const target = {
    url: side.tokenEndpoint,
    headers: headersFor(clientId),
    body: form({ grant_type: 'client_credentials', scope: SCOPE, ...fields }),
  };
  try {
    const { status, json } = await post(target.url, target.headers, target.body);
    if (status !== 200) return failed(status, json);
    if (typeof json.access_token !== 'string') return 'n/a (no access_token)';
    const alg = jwtAlg(json.access_token);
    if ((alg ?? 'opaque') !== format)
      return `n/a (expected ${format === 'opaque' ? 'an opaque' : `an ${format} JWT`} access token, got ${alg ?? 'opaque'})`;
    return target;
  } catch (err) {
    return `n/a (${(err as Error).message})`;
  }
}

/** An introspection request for a token freshly issued by `issued`, checked once: 200, active. */
export async function introspection(side: Side, issued: Target | string, clientId: string): Promise<Target | string> {
  if (typeof issued === 'string') return issued;
  if (!side.introspectionEndpoint) return 'n/a (endpoint missing)';
  try {
    const { status, json } = await post(issued.url, issued.headers, issued.body);
    if (status !== 200 || typeof json.access_token !== 'string') return failed(status, json);
    const target = {
      url: side.introspectionEndpoint,
      headers: headersFor(clientId),
      body: form({ token: json.access_token }),
    };
    const check = await post(target.url, target.headers, target.body);
    if (check.status !== 200) return failed(check.status, check.json);
    if (check.json.active !== true) return 'n/a (introspection: not active)';
    return target;
  } catch (err) {
    return `n/a (${(err as Error).message})`;
  }
}

/**
 * Interrupted (Ctrl-C, or a SIGTERM to the bench): take the servers down and remove `dataDir` too.
 * Returns the function that removes the handlers once the scenario has cleaned up by itself.
 */
export function cleanUpOnInterrupt(dataDir: string): () => void {
  const interrupted = (signal: NodeJS.Signals) => {
    killAll();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return () => {
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  };
}

/** An introspection request for `token`, checked once: 200 and the expected `active`. */
export async function introspectionOf(
  side: Side,
  token: string,
  clientId: string,
  active: boolean,
): Promise<Target | string> {
  if (!side.introspectionEndpoint) return 'n/a (endpoint missing)';
  try {
    const target = { url: side.introspectionEndpoint, headers: headersFor(clientId), body: form({ token }) };
    const check = await post(target.url, target.headers, target.body);
    if (check.status !== 200) return failed(check.status, check.json);
    if (check.json.active !== active)
      return `n/a (introspection: active is ${String(check.json.active)}, expected ${active})`;
    return target;
  } catch (err) {
    return `n/a (${(err as Error).message})`;
  }
}

/** Revokes `token` by hand and checks that introspection then says inactive. */
async function revokedBy(side: Side, token: string, clientId: string): Promise<string | undefined> {
  if (!side.revocationEndpoint) return 'n/a (endpoint missing)';
  try {
    const res = await post(side.revocationEndpoint, headersFor(clientId), form({ token }));
    if (res.status !== 200) return failed(res.status, res.json);
    const check = await introspectionOf(side, token, clientId, false);
    return typeof check === 'string' ? check : undefined;
  } catch (err) {
    return `n/a (${(err as Error).message})`;
  }
}

/**
 * Tokens collected from the opaque-issuance runs, each revoked at most once by the revocation row
 * (so every measured revocation is a real one), unless the row outruns them: `reused` counts the
 * requests that had to revoke an already revoked token, and the table says so.
 */
export class TokenPool {
  readonly tokens: string[] = [];
  private next = 0;
  reused = 0;
  take(body: string): void {
    const m = /"access_token":"([^"]+)"/.exec(body);
    if (m) this.tokens.push(m[1]);
  }
  pop(): string | undefined {
    return this.tokens.pop();
  }
  nextToken(): string {
    if (this.next >= this.tokens.length) this.reused++;
    return this.tokens[this.next++ % this.tokens.length];
  }
}

interface OAuthTimings {
  /** Seconds per measured row. */
  seconds: number;
  /** Seconds of warm-up per target before its first measured row. */
  warmupSeconds: number;
}

export const oauthTimings = (quick: boolean): OAuthTimings =>
  quick ? { seconds: 1, warmupSeconds: 1 } : { seconds: 10, warmupSeconds: 5 };

interface OAuthResult {
  rows: OAuthRow[];
  /** Revocation requests that found the pool of fresh tokens empty, per side. */
  reused: { ours: number; peer: number };
}

/**
 * The OAuth endpoints, ours and the peer's, at 10 and 50 connections: client-credentials issuance
 * (JWT ES256, JWT RS256, opaque), introspection (active; active with `Consistency: strict`, ours
 * only; revoked; unknown token), revocation; and, right after the first introspection row, the
 * ceiling: a bare Fastify route shaped like introspection, idle until then. `only: 'issuance'` stops after the
 * ceiling (issuance in three formats, active introspection and the ceiling).
 */
export async function measureOAuth(quick: boolean, only?: 'issuance'): Promise<OAuthResult> {
  const { seconds, warmupSeconds } = oauthTimings(quick);
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-oauth-'));
  let peerChild: ChildProcess | undefined;
  let oursChild: ChildProcess | undefined;
  let ceilingChild: ChildProcess | undefined;
  let stopping = false;
  const released = cleanUpOnInterrupt(dataDir);
  try {
    const [peerPort, oursPort, ceilingPort] = await freePorts(3);
    const [peer, ours, ceiling] = await Promise.all([
      startPeer(peerPort),
      startOurs(oursPort, dataDir),
      startPeer(ceilingPort, 'ceiling'),
    ]);
    peerChild = peer.child;
    oursChild = ours.child;
    ceilingChild = ceiling.child;
    // A server that dies mid-run: its remaining rows say so, and its last words go to stderr.
    for (const [side, child] of [
      [peer.side, peerChild],
      [ours.side, oursChild],
    ] as const) {
      child?.once('exit', (code, signal) => {
        if (stopping || side.unavailable) return;
        side.unavailable = `n/a (${side.name} server died: ${signal ?? `exit ${code}`})`;
        process.stderr.write(
          `bench: ${side.name} server died mid-run (${signal ?? `exit ${code}`})\n${side.logTail.join('\n')}\n`,
        );
      });
    }
    await Promise.all([discover(peer.side), discover(ours.side)]);

    /**
     * Warm up once, then measure at each connection count, with the server's CPU per request (and, ours, its
     * writer's per append); n/a passes through.
     */
    const load = async (
      side: Side,
      target: Target | string,
      extra: Pick<LoadOptions, 'bodies' | 'onResponse'> = {},
    ): Promise<Measured[]> => {
      if (typeof target === 'string') return CONNECTIONS.map(() => target);
      const run = (connections: number, s: number) =>
        runLoad({ ...target, ...extra, method: 'POST', connections, seconds: s });
      await run(10, warmupSeconds);
      const out: Measured[] = [];
      for (const c of CONNECTIONS) {
        const { result, cpu } = await sampleServerCpu(
          side.pid,
          side.name === 'ours' ? side.base : undefined,
          () => run(c, seconds),
          (r) => r.responses,
        );
        out.push({ ...result, cpu });
      }
      return out;
    };
    const rows: OAuthRow[] = [];
    const push = (scenario: string, o: Measured[], p: Measured[] | null) =>
      CONNECTIONS.forEach((connections, i) =>
        rows.push({ scenario, connections, ours: o[i], peer: p === null ? null : p[i] }),
      );
    const both = async (
      scenario: string,
      oursTarget: () => Promise<Target | string>,
      peerTarget: () => Promise<Target | string>,
    ) => {
      // Each side's token is fetched right before its own runs (the peer's opaque tokens live 10 min).
      const o = await load(ours.side, await oursTarget());
      const p = await load(peer.side, await peerTarget());
      push(scenario, o, p);
    };

    // The same request on both sides: the peer needs `resource` to issue a JWT, ours accepts it
    // (and without it would issue the same JWT with its own issuer as audience). Ours picks the
    // algorithm per client, the peer per resource.
    const oursJwt = () => issuance(ours.side, 'bench-client', { resource: RESOURCE }, 'ES256');
    const peerJwt = () => issuance(peer.side, 'bench-client', { resource: RESOURCE }, 'ES256');
    const peerOpaque = () => issuance(peer.side, 'bench-client', {}, 'opaque');
    await both('client credentials → JWT (ES256)', oursJwt, peerJwt);
    await both(
      'client credentials → JWT (RS256)',
      () => issuance(ours.side, 'bench-rs256', { resource: RESOURCE }, 'RS256'),
      () => issuance(peer.side, 'bench-client', { resource: RESOURCE_RS256 }, 'RS256'),
    );
    // The opaque runs also fill each side's pool of tokens for the revocation row.
    const pools = { ours: new TokenPool(), peer: new TokenPool() };
    const oursOpaqueTarget = await issuance(ours.side, 'bench-opaque', {}, 'opaque');
    const oursOpaque = await load(ours.side, oursOpaqueTarget, { onResponse: (_, body) => pools.ours.take(body) });
    const peerOpaqueTarget = await peerOpaque();
    const peerOpaqueRuns = await load(peer.side, peerOpaqueTarget, { onResponse: (_, body) => pools.peer.take(body) });
    push('client credentials → opaque', oursOpaque, peerOpaqueRuns);

    await both(
      'introspection: active token (ours JWT, peer opaque)',
      async () => introspection(ours.side, await oursJwt(), 'bench-client'),
      async () => introspection(peer.side, await peerOpaque(), 'bench-client'),
    );
    // The ceiling right after the row it is compared with, so that both meet the same machine.
    const ceilingTarget: Target | string = ceiling.side.unavailable ?? {
      url: `${ceiling.side.base}/introspect`,
      headers: headersFor('bench-client'),
      body: form({ token: randomBytes(32).toString('base64url') }),
    };
    const ceilingRuns = await load(ceiling.side, ceilingTarget);
    CONNECTIONS.forEach((connections, i) =>
      rows.push({
        scenario: 'ceiling: bare Fastify POST route (form in, JSON out)',
        connections,
        ours: ceilingRuns[i],
        peer: null,
        ceiling: true,
      }),
    );
    if (only === 'issuance') return { rows, reused: { ours: 0, peer: 0 } };
    // Strict consistency (ours only): each answer first reads the ledger's head and waits for the views.
    const strict = await introspection(ours.side, await oursJwt(), 'bench-client');
    push(
      'introspection: active token, Consistency: strict',
      await load(
        ours.side,
        typeof strict === 'string' ? strict : { ...strict, headers: { ...strict.headers, consistency: 'strict' } },
      ),
      null,
    );
    const revokedTarget = async (side: Side, pool: TokenPool, clientId: string): Promise<Target | string> => {
      const token = pool.pop();
      if (!token) return 'n/a (no token to revoke)';
      return (await revokedBy(side, token, clientId)) ?? introspectionOf(side, token, clientId, false);
    };
    await both(
      'introspection: revoked token (opaque)',
      () => revokedTarget(ours.side, pools.ours, 'bench-opaque'),
      () => revokedTarget(peer.side, pools.peer, 'bench-client'),
    );
    const unknown = randomBytes(32).toString('base64url');
    await both(
      'introspection: unknown token',
      () => introspectionOf(ours.side, unknown, 'bench-client', false),
      () => introspectionOf(peer.side, unknown, 'bench-client', false),
    );
    const revocation = async (
      side: Side,
      pool: TokenPool,
      issuing: Target | string,
      clientId: string,
    ): Promise<Measured[]> => {
      // Revocation outruns issuance: top the pool up, off the clock, for as long as the row lasts.
      if (typeof issuing !== 'string') {
        const fill = {
          ...issuing,
          method: 'POST' as const,
          connections: 50,
          onResponse: (_: number, body: string) => pool.take(body),
        };
        await runLoad({ ...fill, seconds: warmupSeconds + CONNECTIONS.length * seconds });
      }
      const token = pool.pop();
      const why = side.unavailable ?? (token ? await revokedBy(side, token, clientId) : 'n/a (no token to revoke)');
      if (why) return CONNECTIONS.map(() => why);
      const target = { url: side.revocationEndpoint!, headers: headersFor(clientId), body: '' };
      return load(side, target, { bodies: () => form({ token: pool.nextToken(), token_type_hint: 'access_token' }) });
    };
    push(
      'revocation (a fresh opaque token per request)',
      await revocation(ours.side, pools.ours, oursOpaqueTarget, 'bench-opaque'),
      await revocation(peer.side, pools.peer, peerOpaqueTarget, 'bench-client'),
    );

    return { rows, reused: { ours: pools.ours.reused, peer: pools.peer.reused } };
  } finally {
    stopping = true;
    released();
    await Promise.all([stopChild(peerChild), stopChild(oursChild), stopChild(ceilingChild)]);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
