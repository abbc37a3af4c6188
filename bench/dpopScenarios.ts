/**
 * DPoP (RFC 9449), ours and oidc-provider's: client-credentials issuance with an ES256 proof per
 * request, and UserInfo with a DPoP-bound user access token and a proof (with `ath`) per request.
 * Each beside its plain twin, measured right before it on the same server, with the server's CPU per
 * request, so that what DPoP costs reads as a ratio. One side at a time, one server up at a time.
 *
 * Every DPoP target is checked by hand first (this is the warm-up request that keeps a row from
 * measuring the unbound path): the token comes back `token_type: DPoP` and bound to the proof's key
 * (`cnf.jkt`, for a JWT), a replayed proof is refused, and UserInfo refuses a proof with the wrong
 * `ath`. A side that fails a check says "n/a (why)". Proofs are signed by this process ahead of each
 * measured run (see dpopProof.ts), one per request, each with its own jti.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import {
  cleanUpOnInterrupt,
  discover,
  freePorts,
  issuance,
  oauthTimings,
  RESOURCE,
  startOurs,
  startPeer,
  stopChild,
  type Side,
} from './oauthScenarios.js';
import { startCodeFlowSide, userInfoToken, type CodeFlowSide } from './authorizationCodeScenarios.js';
import { accessTokenHash, DpopKey, ProofSupply } from './dpopProof.js';
import { runLoad } from './httpLoad.js';
import { measureCpu, type CpuPerOp } from './cpuUsage.js';
import { cells, fmt, fromLoad, printTable, ratio, type Cell } from './table.js';

export const DPOP_SCENARIOS = {
  plainIssuance: 'client credentials → JWT (ES256)',
  dpopIssuance: 'client credentials + DPoP (ES256 proof)',
  plainUserInfo: 'UserInfo (GET, bearer token from the code flow)',
  dpopUserInfo: 'UserInfo with DPoP',
} as const;

const CONNECTIONS = [10, 50] as const;

/** A request checked by hand, ready for load; `proofs` hands each request its own DPoP proof. */
interface Target {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  proofs?: ProofSupply;
}

/** A target, or why there is none ("n/a (token_type Bearer, not DPoP)"). */
type Prepared = Target | string;

interface Measured {
  cell: Cell;
  /** The server's CPU per 2xx answer; absent when nothing ran. */
  cpu?: CpuPerOp;
}

interface DpopRow {
  scenario: string;
  connections: number;
  ours: Measured;
  peer: Measured;
}

interface DpopResult {
  rows: DpopRow[];
  /** Proofs signed during measured runs because the stock signed ahead ran out (0: none). */
  signedOnTheSpot: number;
}

/** The claims of a JWS in compact form, or undefined. */
function jwtClaims(token: string): { alg?: unknown; cnf?: { jkt?: unknown } } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: unknown };
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { cnf?: { jkt?: unknown } };
    return { alg: header.alg, cnf: claims.cnf };
  } catch {
    return undefined;
  }
}

async function call(target: Target, proof: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(target.url, {
    method: target.method,
    headers: { ...target.headers, dpop: proof },
    body: target.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, json: {} };
  }
}

const httpFailure = (step: string, r: { status: number; json: Record<string, unknown> }) =>
  `n/a (${step}: HTTP ${r.status}${typeof r.json.error === 'string' ? ` ${r.json.error}` : ''})`;

const notDpop = (tokenType: unknown) => `n/a (token_type ${String(tokenType)}, not DPoP: the proof was ignored)`;

/** The plain issuance target with a proof per request, once a proof is seen to bind its token. */
async function dpopIssuance(plain: Prepared): Promise<Prepared> {
  if (typeof plain === 'string') return plain;
  const key = DpopKey.generate();
  const target: Target = { ...plain, proofs: new ProofSupply(key, 'POST', plain.url) };
  try {
    const proof = key.proof('POST', plain.url);
    const first = await call(target, proof);
    if (first.status !== 200) return httpFailure('token', first);
    if (first.json.token_type !== 'DPoP') return notDpop(first.json.token_type);
    const claims = typeof first.json.access_token === 'string' ? jwtClaims(first.json.access_token) : undefined;
    if (claims?.alg !== 'ES256') return 'n/a (expected an ES256 JWT access token)';
    if (claims.cnf?.jkt !== key.thumbprint) return "n/a (the token's cnf.jkt is not the proof key's thumbprint)";
    if ((await call(target, proof)).status === 200) return 'n/a (a replayed proof was accepted)';
    return target;
  } catch (err) {
    return `n/a (${(err as Error).message.slice(0, 100)})`;
  }
}

/** UserInfo with a bearer token, and with a DPoP-bound token and a proof per request. */
async function userInfoTargets(started: CodeFlowSide): Promise<[Prepared, Prepared]> {
  if (started.failed !== undefined) return [started.failed, started.failed];
  const { side, ep, cookie } = started;
  const url = `${side.base}${ep.userinfo}`;
  const prepare = async (bound: boolean): Promise<Prepared> => {
    try {
      const key = DpopKey.generate();
      const tokenHeaders: Record<string, string> = bound ? { dpop: key.proof('POST', `${side.base}${ep.token}`) } : {};
      const { accessToken, tokenType } = await userInfoToken(side.base, ep, cookie, tokenHeaders);
      if (bound && tokenType !== 'DPoP') return notDpop(tokenType);
      const headers = { authorization: `${bound ? 'DPoP' : 'Bearer'} ${accessToken}`, accept: 'application/json' };
      if (!bound) {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
        const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
        if (res.status !== 200 || typeof json.sub !== 'string')
          return httpFailure('userinfo', { status: res.status, json });
        return { url, method: 'GET', headers };
      }
      const ath = accessTokenHash(accessToken);
      const target: Target = { url, method: 'GET', headers, proofs: new ProofSupply(key, 'GET', url, ath) };
      const proof = key.proof('GET', url, ath);
      const first = await call(target, proof);
      if (first.status !== 200 || typeof first.json.sub !== 'string') return httpFailure('userinfo', first);
      if ((await call(target, proof)).status === 200) return 'n/a (a replayed proof was accepted)';
      if ((await call(target, key.proof('GET', url, accessTokenHash('another token')))).status === 200)
        return 'n/a (a proof with the wrong ath was accepted)';
      return target;
    } catch (err) {
      return `n/a (${(err as Error).message.slice(0, 100)})`;
    }
  };
  return [await prepare(false), await prepare(true)];
}

/**
 * Warm-up at 10 connections, then each connection count with the server's CPU per 2xx answer. The
 * proofs for a measured run are signed before it starts: three times as many as the fastest rate seen yet
 * would use (a run at 50 connections may go several times as fast as the warm-up at 10).
 */
async function measure(
  target: Prepared,
  child: ChildProcess | undefined,
  side: Side,
  quick: boolean,
): Promise<{ figures: Measured[]; signedOnTheSpot: number }> {
  if (typeof target === 'string') return { figures: CONNECTIONS.map(() => ({ cell: target })), signedOnTheSpot: 0 };
  const { seconds, warmupSeconds } = oauthTimings(quick);
  const { proofs, ...request } = target;
  const headersPer = proofs && (() => ({ dpop: proofs.take() }));
  const run = (connections: number, s: number) => runLoad({ ...request, headersPer, connections, seconds: s });
  let rate = (await run(10, warmupSeconds)).rps;
  const figures: Measured[] = [];
  let signedOnTheSpot = 0;
  for (const connections of CONNECTIONS) {
    proofs?.fill(Math.min(Math.ceil(rate * seconds * 3) + 2_000, 300_000));
    const { result, cpu } = await measureCpu(
      () => run(connections, seconds),
      (r) => r.responses - r.non2xx,
      { nodePid: child?.pid },
    );
    signedOnTheSpot += proofs?.signedOnTheSpot ?? 0;
    rate = Math.max(rate, result.rps);
    figures.push({ cell: side.unavailable ?? fromLoad(result), cpu });
  }
  return { figures, signedOnTheSpot };
}

/** A server that dies mid-run: its remaining rows say so, and its last words go to stderr. */
function watch(side: Side, child: ChildProcess | undefined, stopping: () => boolean): void {
  child?.once('exit', (code, signal) => {
    if (stopping() || side.unavailable) return;
    side.unavailable = `n/a (${side.name} server died: ${signal ?? `exit ${code}`})`;
    process.stderr.write(
      `bench: ${side.name} server died mid-run (${signal ?? `exit ${code}`})\n${side.logTail.join('\n')}\n`,
    );
  });
}

type Pair = [Prepared, Prepared];

/**
 * One server of one side: started, its plain and DPoP targets prepared, each measured, then stopped.
 * Returns the figures of the plain scenario and of the DPoP one.
 */
async function onSide(
  start: () => Promise<{ child?: ChildProcess; side: Side; targets: () => Promise<Pair> }>,
  quick: boolean,
): Promise<{ figures: [Measured[], Measured[]]; signedOnTheSpot: number }> {
  let stopping = false;
  const started = await start();
  try {
    watch(started.side, started.child, () => stopping);
    const [plain, bound] = await started.targets();
    const p = await measure(plain, started.child, started.side, quick);
    const d = await measure(bound, started.child, started.side, quick);
    return { figures: [p.figures, d.figures], signedOnTheSpot: d.signedOnTheSpot };
  } finally {
    stopping = true;
    await stopChild(started.child);
  }
}

/** Issuance on one side: the plain ES256 request of the main table, then the same with a proof. */
async function issuanceSide(name: 'ours' | 'peer', dataDir: string) {
  const [port] = await freePorts(1);
  const { child, side } = name === 'ours' ? await startOurs(port, dataDir) : await startPeer(port);
  return {
    child,
    side,
    targets: async (): Promise<Pair> => {
      await discover(side);
      const plain = await issuance(side, 'bench-client', { resource: RESOURCE }, 'ES256');
      const asTarget = typeof plain === 'string' ? plain : { ...plain, method: 'POST' as const };
      return [asTarget, await dpopIssuance(asTarget)];
    },
  };
}

/** UserInfo on one side: a server with a user, a public client and an established session. */
async function userInfoSide(name: 'ours' | 'peer', dataDir: string) {
  const started = await startCodeFlowSide(name, dataDir);
  return { child: started.child, side: started.side, targets: () => userInfoTargets(started) };
}

/** Issuance, then UserInfo; in each, ours then the peer; each plain then with DPoP. */
export async function measureDpop(quick: boolean): Promise<DpopResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-dpop-'));
  const released = cleanUpOnInterrupt(dataDir);
  const rows: DpopRow[] = [];
  let signedOnTheSpot = 0;
  try {
    const pairs = [
      [DPOP_SCENARIOS.plainIssuance, DPOP_SCENARIOS.dpopIssuance, issuanceSide, 'issuance'],
      [DPOP_SCENARIOS.plainUserInfo, DPOP_SCENARIOS.dpopUserInfo, userInfoSide, 'userinfo'],
    ] as const;
    for (const [plainName, dpopName, sideOf, ledger] of pairs) {
      // Each of our servers on a ledger of its own.
      const ledgerDir = join(dataDir, ledger);
      mkdirSync(ledgerDir);
      const ours = await onSide(() => sideOf('ours', ledgerDir), quick);
      const peer = await onSide(() => sideOf('peer', dataDir), quick);
      signedOnTheSpot += ours.signedOnTheSpot + peer.signedOnTheSpot;
      [plainName, dpopName].forEach((scenario, s) =>
        CONNECTIONS.forEach((connections, i) =>
          rows.push({ scenario, connections, ours: ours.figures[s][i], peer: peer.figures[s][i] }),
        ),
      );
    }
    return { rows, signedOnTheSpot };
  } finally {
    released();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const cpuCell = (m: Measured) => (m.cpu?.node === undefined ? 'n/a' : fmt(m.cpu.node));

/** "85 % of the req/s, 118 % of the CPU per request" of `dpop` against `plain`, or why not. */
function against(dpop: Measured, plain: Measured): string {
  if (typeof dpop.cell === 'string' || typeof plain.cell === 'string' || plain.cell.rps === 0) return 'n/a';
  const cpu =
    dpop.cpu?.node !== undefined && plain.cpu?.node
      ? `, ${fmt((100 * dpop.cpu.node) / plain.cpu.node)} % of the CPU per request`
      : '';
  return `${fmt((100 * dpop.cell.rps) / plain.cell.rps)} % of the req/s${cpu}`;
}

/** The DPoP table (ours and the peer's, with CPU per request), then DPoP against plain on each side. */
export function printDpop(result: DpopResult, quick: boolean): void {
  const { seconds, warmupSeconds } = oauthTimings(quick);
  console.log('\nDPoP (RFC 9449), each beside the same request without it, on the same server in the same run:');
  printTable(
    [
      'scenario',
      'conns',
      'ours req/s',
      'ours p50',
      'ours p99',
      'ours errors',
      'ours CPU µs/req',
      'peer req/s',
      'peer p50',
      'peer p99',
      'peer errors',
      'peer CPU µs/req',
      'ours ÷ peer',
    ],
    result.rows.map((r) => [
      r.scenario,
      String(r.connections),
      ...cells(r.ours.cell),
      cpuCell(r.ours),
      ...cells(r.peer.cell),
      cpuCell(r.peer),
      ratio(r.ours.cell, r.peer.cell),
    ]),
  );
  const find = (scenario: string, connections: number) =>
    result.rows.find((r) => r.scenario === scenario && r.connections === connections)!;
  for (const [what, plain, dpop] of [
    ['issuance', DPOP_SCENARIOS.plainIssuance, DPOP_SCENARIOS.dpopIssuance],
    ['UserInfo', DPOP_SCENARIOS.plainUserInfo, DPOP_SCENARIOS.dpopUserInfo],
  ] as const) {
    for (const c of CONNECTIONS) {
      const [p, d] = [find(plain, c), find(dpop, c)];
      console.log(
        `DPoP ${what} at ${c} connections: ours ${against(d.ours, p.ours)}; peer ${against(d.peer, p.peer)} (of the same request without DPoP).`,
      );
    }
  }
  console.log(
    `${seconds} s per row after ${warmupSeconds} s of warm-up per target; one server up at a time. CPU µs/req: the server process ` +
      `(/proc utime+stime) per 2xx answer. Proofs: ES256, signed by the bench process before each measured run ` +
      `(${result.signedOnTheSpot === 0 ? 'none' : fmt(result.signedOnTheSpot)} signed during one, the stock having run out).`,
  );
}
