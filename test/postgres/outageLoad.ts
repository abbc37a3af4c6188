/**
 * Load and checks shared by the PostgreSQL outage tests: a few workers issue client_credentials
 * tokens and revoke tokens issued before, against one server, while the test cuts the database
 * away; afterwards every 200 must be in the ledger and every refusal must be a 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { post } from '../helpers/faultsServer.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { TestDatabase } from './database.js';

type Auth = Record<string, string>;

export interface Outcome {
  kind: 'issue' | 'revoke';
  status: number;
  /** The issued token (issue) or the token revoked (revoke). */
  token?: string;
  retryAfter: string | null;
  error?: string;
  started: number;
  ended: number;
}

export interface Load {
  outcomes: Outcome[];
  stop(): Promise<Outcome[]>;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function issue(
  base: string,
  auth: Auth,
): Promise<{ status: number; token?: string; retryAfter: string | null; error?: string }> {
  const res = await post(`${base}/token`, { grant_type: 'client_credentials' }, auth);
  return {
    status: res.status,
    token: res.body?.access_token,
    retryAfter: res.headers.get('retry-after'),
    error: res.body?.error,
  };
}

export async function introspect(
  base: string,
  auth: Auth,
  token: string,
): Promise<{ status: number; active?: boolean }> {
  const res = await post(`${base}/introspect`, { token }, auth);
  return { status: res.status, active: res.body?.active };
}

/**
 * `workers` loops, each issuing then revoking the next token of `toRevoke` (each token at most
 * once, so every 200 revocation is one TokenRevoked), with a short pause: a steady load that stays
 * bounded on a shared machine. Network errors are not expected (the server stays up) and fail.
 */
export function startLoad(base: string, auth: Auth, toRevoke: string[], workers = 3): Load {
  const outcomes: Outcome[] = [];
  let running = true;
  const queue = [...toRevoke];
  const loop = async () => {
    while (running) {
      let started = Date.now();
      const issued = await issue(base, auth);
      outcomes.push({ kind: 'issue', ...issued, started, ended: Date.now() });
      const token = queue.shift();
      if (token && running) {
        started = Date.now();
        const res = await post(`${base}/revoke`, { token }, auth);
        outcomes.push({
          kind: 'revoke',
          status: res.status,
          token,
          retryAfter: res.headers.get('retry-after'),
          error: res.body?.error,
          started,
          ended: Date.now(),
        });
      }
      await pause(20);
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

/** Every answer is a 200 or a 503 temporarily_unavailable with Retry-After: 1 (never a 500). */
export function assertOnly200Or503(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    if (o.status === 200) continue;
    assert.equal(o.status, 503, `${o.kind}: ${o.status} ${o.error}`);
    assert.equal(o.error, 'temporarily_unavailable', `${o.kind}: error`);
    assert.equal(o.retryAfter, '1', `${o.kind}: Retry-After`);
  }
}

/** Requests begun and answered entirely inside [from, to] (the database unreachable): none was a 200. */
export function assertNo200Within(outcomes: Outcome[], from: number, to: number): number {
  const inside = outcomes.filter((o) => o.started >= from && o.ended <= to);
  assert.deepEqual(
    inside.filter((o) => o.status === 200).map((o) => `${o.kind} ${o.started - from} ms after the cut`),
    [],
    'a write answered 200 while the database was unreachable',
  );
  return inside.length;
}

/**
 * After recovery: every 200 issuance is in the ledger and introspects active on `base`; every 200
 * revocation is recorded and introspects inactive.
 */
export async function assertAcknowledgedWritesKept(
  db: TestDatabase,
  base: string,
  rs: Auth,
  outcomes: Outcome[],
): Promise<{ issued: number; revoked: number }> {
  const issued = outcomes.filter((o) => o.kind === 'issue' && o.status === 200).map((o) => o.token!);
  const revoked = outcomes.filter((o) => o.kind === 'revoke' && o.status === 200).map((o) => o.token!);
  const inLedger = async (type: string, tokens: string[]) => {
    const rows = await db.sql<{ h: string }>(
      `SELECT data->>'tokenHash' AS h FROM events WHERE type = $1 AND data->>'tokenHash' = ANY($2::text[])`,
      [type, tokens.map(sha256)],
    );
    const present = new Set(rows.map((r) => r.h));
    return tokens.filter((t) => !present.has(sha256(t)));
  };
  assert.deepEqual(
    await inLedger('AccessTokenIssued', issued),
    [],
    'an acknowledged issuance is missing from the ledger',
  );
  assert.deepEqual(
    await inLedger('TokenRevoked', revoked),
    [],
    'an acknowledged revocation is missing from the ledger',
  );
  const revokedSet = new Set(revoked);
  for (const token of issued) {
    if (revokedSet.has(token)) continue;
    assert.deepEqual(
      await introspect(base, rs, token),
      { status: 200, active: true },
      'a token acknowledged with 200 is active',
    );
  }
  for (const token of revoked)
    assert.deepEqual(await introspect(base, rs, token), { status: 200, active: false }, 'a 200 revocation holds');
  return { issued: issued.length, revoked: revoked.length };
}

/** Polls `probe` every 50 ms until it returns true; the time it took, in ms (fails after `limitMs`). */
export async function timeUntil(probe: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - t0;
    assert.ok(Date.now() - t0 < limitMs, `${what} not within ${limitMs} ms`);
    await pause(50);
  }
}
