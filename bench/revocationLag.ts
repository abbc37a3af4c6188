/**
 * Cross-instance revocation lag: two servers on one ledger, a token revoked through A, and B asked
 * again and again until it says `active: false`. The lag of one sample runs from the moment A's
 * 200 to /revoke arrives to the moment B's first `active: false` arrives, so it includes one
 * introspection round trip (about a millisecond on loopback). Each revocation waits a random
 * 0–150 ms first: sent right after the previous sample ended, it would land at the same point of
 * B's polling cycle every time and measure that point, not a revocation arriving at any moment. Also: how long B takes
 * to answer a
 * `Consistency: strict` introspection sent right after a revocation, and whether it was ever stale.
 * Used by `npm run bench` and by test/e2e/multiInstance.test.ts.
 */

interface Instance {
  /** Base URL, e.g. http://127.0.0.1:3001 */
  base: string;
}

interface LagOptions {
  a: Instance;
  b: Instance;
  /** Basic authorization of a client_credentials client that may revoke its own tokens. */
  clientAuth: string;
  /** Basic authorization of a confidential client that introspects. */
  introspectorAuth: string;
  samples: number;
  strictSamples: number;
  /** One sample that takes longer than this counts as a failure (and ends the run). */
  sampleTimeoutMs?: number;
}

export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

export interface LagResult {
  /** Eventual: revocation answered on A → B answers active:false, ms, one per sample. */
  lags: number[];
  lag: Percentiles;
  /** Strict: how long B took to answer a strict introspection sent right after the revocation. */
  strictLatencies: number[];
  strict: Percentiles;
  /** Strict answers that still said active:true (must be 0). */
  strictStale: number;
  /** Strict answers that were not 200 (503 after the wait, or anything else). */
  strictFailed: number;
  /** Tokens issued on A that B reported active (issued on one, introspected on the other). */
  crossIntrospected: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((x, y) => x - y);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}

async function post(url: string, auth: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: auth,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function issue(on: Instance, auth: string): Promise<string> {
  const res = await post(`${on.base}/token`, auth, { grant_type: 'client_credentials' });
  if (res.status !== 200 || typeof res.body.access_token !== 'string')
    throw new Error(`issuance on ${on.base}: HTTP ${res.status}`);
  return res.body.access_token;
}

async function revoke(on: Instance, auth: string, token: string): Promise<void> {
  const res = await post(`${on.base}/revoke`, auth, { token });
  if (res.status !== 200) throw new Error(`revocation on ${on.base}: HTTP ${res.status}`);
}

const introspect = (on: Instance, auth: string, token: string, headers: Record<string, string> = {}) =>
  post(`${on.base}/introspect`, auth, { token }, headers);

const pause = () => new Promise((r) => setTimeout(r, Math.random() * 150));

export async function measureRevocationLag(opts: LagOptions): Promise<LagResult> {
  const timeout = opts.sampleTimeoutMs ?? 5_000;
  const total = opts.samples + opts.strictSamples;
  // Issued on A, ten at a time; then one strict introspection on B brings B up to A's last write.
  const tokens: string[] = [];
  for (let i = 0; i < total; i += 10) {
    tokens.push(
      ...(await Promise.all(Array.from({ length: Math.min(10, total - i) }, () => issue(opts.a, opts.clientAuth)))),
    );
  }
  const caughtUp = await introspect(opts.b, opts.introspectorAuth, tokens.at(-1)!, { consistency: 'strict' });
  if (caughtUp.status !== 200) throw new Error(`strict introspection on B: HTTP ${caughtUp.status}`);
  let crossIntrospected = 0;
  for (const token of tokens) {
    if ((await introspect(opts.b, opts.introspectorAuth, token)).body.active === true) crossIntrospected++;
  }

  const lags: number[] = [];
  for (const token of tokens.slice(0, opts.samples)) {
    await pause();
    await revoke(opts.a, opts.clientAuth, token);
    const revokedAt = performance.now();
    for (;;) {
      const res = await introspect(opts.b, opts.introspectorAuth, token);
      const lag = performance.now() - revokedAt;
      if (res.status === 200 && res.body.active === false) {
        lags.push(lag);
        break;
      }
      if (lag > timeout) throw new Error(`B still reports a revoked token active after ${timeout} ms`);
    }
  }

  const strictLatencies: number[] = [];
  let strictStale = 0;
  let strictFailed = 0;
  for (const token of tokens.slice(opts.samples)) {
    await pause();
    await revoke(opts.a, opts.clientAuth, token);
    const sent = performance.now();
    const res = await introspect(opts.b, opts.introspectorAuth, token, { consistency: 'strict' });
    strictLatencies.push(performance.now() - sent);
    if (res.status !== 200) strictFailed++;
    else if (res.body.active !== false) strictStale++;
  }
  return {
    lags,
    lag: percentiles(lags),
    strictLatencies,
    strict: percentiles(strictLatencies),
    strictStale,
    strictFailed,
    crossIntrospected,
  };
}

const f1 = (n: number) => n.toFixed(1);

/** One line per measure, as printed by the bench and the tests; `to` names the instance asked (B, C …). */
export function describeLag(r: LagResult, to = 'B'): string[] {
  return [
    `revocation on A → active:false on ${to} (eventual), ${r.lags.length} samples: p50 ${f1(r.lag.p50)} ms, p99 ${f1(r.lag.p99)} ms, max ${f1(r.lag.max)} ms`,
    `strict introspection on ${to} right after the revocation, ${r.strictLatencies.length} samples: p50 ${f1(r.strict.p50)} ms, p99 ${f1(r.strict.p99)} ms, max ${f1(r.strict.max)} ms; stale answers ${r.strictStale}, failed ${r.strictFailed}`,
  ];
}
