/**
 * HTTP benchmarks of the authorization-code flow, ours only (oidc-provider's code flow needs its
 * interactive login pages, so there is nothing like-for-like to compare): full round trips
 * (GET /authorize with an established session and remembered consent → 303 with a code → POST
 * /token with PKCE as a public client), and refresh-token rotations. The server runs as a child
 * process on loopback; the load comes from this process over node:http with keep-alive, one round
 * trip in flight per worker. The session and the consent are set up once through the HTML login and
 * consent pages, as a browser would, and every request is checked once by hand before the load;
 * when a step fails, the rows say "n/a (why)" instead of figures.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cleanUpOnInterrupt, freePorts, launchOurs, ourEnv, runCli, stopChild, type Side } from './oauthScenarios.js';

const CLIENT_ID = 'bench-spa';
const REDIRECT_URI = 'https://app.example/cb';
const SCOPE = 'orders:read';
const USERNAME = 'bench-user';
const PASSWORD = 'bench-password-123';
const WORKERS = [10, 50] as const;
/** One request that takes longer than this counts as failed (and its worker goes on). */
const REQUEST_TIMEOUT_MS = 10_000;

export interface UnitResult {
  /** Units (round trips, rotations) completed without error, per second of the run. */
  rps: number;
  /** Latency of the successful units, ms (performance.now(), nearest-rank percentiles). */
  p50: number;
  p99: number;
  /** Units that failed: an unexpected status, a malformed answer, a connection error or a timeout. */
  errors: number;
  /** Successful units. */
  units: number;
}

export interface CodeFlowRow {
  scenario: string;
  connections: number;
  /** Figures, or why there are none ("n/a (login page: HTTP 404)"). */
  result: UnitResult | string;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request over `agent`, the whole body read; rejects on a connection error or after 10 s. */
function send(agent: Agent, base: string, method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path: url.pathname + url.search,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const httpFailure = (step: string, res: Response) => {
  const error = parseJson(res.body).error;
  return `${step}: HTTP ${res.status}${typeof error === 'string' ? ` ${error}` : ''}`;
};

/** A fresh PKCE pair (RFC 7636 §4.1–4.2, S256). */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The /authorize path for a fresh state and PKCE challenge. */
function authorizePath(state: string, challenge: string): string {
  return `/authorize?${form({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: SCOPE,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
}

/** Thrown by a unit of work that got an answer other than the expected one. */
class Unexpected extends Error {}

/** The code in a 303 back to the client, checked against the state sent. */
function codeFrom(res: Response, state: string): string {
  if (res.status !== 303) throw new Unexpected(httpFailure('authorize', res));
  const location = res.headers.location;
  if (!location) throw new Unexpected('authorize: 303 without Location');
  const params = new URL(location).searchParams;
  const code = params.get('code');
  if (!code) throw new Unexpected(`authorize: no code in the redirect (${params.get('error') ?? 'no error either'})`);
  if (params.get('state') !== state) throw new Unexpected('authorize: state not echoed');
  return code;
}

/** A token response: 200 with an access token and a refresh token. */
function tokensFrom(step: string, res: Response): { accessToken: string; refreshToken: string } {
  if (res.status !== 200) throw new Unexpected(httpFailure(step, res));
  const json = parseJson(res.body);
  if (typeof json.access_token !== 'string') throw new Unexpected(`${step}: no access_token`);
  if (typeof json.refresh_token !== 'string') throw new Unexpected(`${step}: no refresh_token`);
  return { accessToken: json.access_token, refreshToken: json.refresh_token };
}

/** One full round trip: /authorize with the session cookie → code → /token. Returns the refresh token. */
async function roundTrip(agent: Agent, base: string, cookie: string): Promise<string> {
  const { verifier, challenge } = pkce();
  const state = randomUUID();
  const code = codeFrom(await send(agent, base, 'GET', authorizePath(state, challenge), { cookie }), state);
  const body = form({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: CLIENT_ID });
  return tokensFrom('token (authorization_code)', await send(agent, base, 'POST', '/token', FORM, body)).refreshToken;
}

/** One rotation: the refresh token in, the next one out. */
async function rotate(agent: Agent, base: string, refreshToken: string): Promise<string> {
  const body = form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID });
  return tokensFrom('token (refresh_token)', await send(agent, base, 'POST', '/token', FORM, body)).refreshToken;
}

/** A cookie jar of one origin, filled from Set-Cookie. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers['set-cookie'] ?? []) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  has(name: string): boolean {
    return this.cookies.has(name);
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

const unescapeHtml = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The page's form: its action resolved against /authorize, and its hidden fields. */
function formOf(page: Response, step: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(page.body)?.[1];
  if (action === undefined) throw new Unexpected(`${step}: no form on the page`);
  const fields: Record<string, string> = {};
  for (const m of page.body.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields[m[1]!] = unescapeHtml(m[2]!);
  if (!fields.interaction || !fields.csrf) throw new Unexpected(`${step}: the form lacks its interaction or csrf field`);
  const url = new URL(unescapeHtml(action), 'http://base.invalid/authorize');
  return { action: url.pathname + url.search, fields };
}

/**
 * Signs `bench-user` in and approves the consent through the HTML pages, as a browser would, then
 * checks by hand that /authorize now answers 303 with a code directly, that the code redeems, and
 * that its refresh token rotates. Returns the session's cookie header, or why it could not.
 */
async function establishSession(base: string): Promise<string | { failed: string }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const jar = new Jar();
  const browse = async (method: 'GET' | 'POST', path: string, fields?: Record<string, string>) => {
    const res = await send(agent, base, method, path, { ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), cookie: jar.header() }, fields && form(fields));
    jar.take(res);
    return res;
  };
  try {
    const first = pkce();
    const firstState = randomUUID();
    const login = await browse('GET', authorizePath(firstState, first.challenge));
    if (login.status !== 200 || !login.body.includes('name="password"')) throw new Unexpected(httpFailure('login page', login));
    const loginForm = formOf(login, 'login page');
    const consent = await browse('POST', loginForm.action, { ...loginForm.fields, username: USERNAME, password: PASSWORD });
    if (consent.status !== 200 || !consent.body.includes('name="decision"')) throw new Unexpected(httpFailure('login', consent));
    if (!jar.has('tl_session')) throw new Unexpected('login: no tl_session cookie');
    const consentForm = formOf(consent, 'consent page');
    const approved = await browse('POST', consentForm.action, { ...consentForm.fields, decision: 'approve' });
    const firstCode = codeFrom(approved, firstState);
    const body = form({ grant_type: 'authorization_code', code: firstCode, redirect_uri: REDIRECT_URI, code_verifier: first.verifier, client_id: CLIENT_ID });
    tokensFrom('token (first code)', await send(agent, base, 'POST', '/token', FORM, body));
    // From here on the session and the consent are remembered: the round trips under load.
    const cookie = jar.header();
    const refreshToken = await roundTrip(agent, base, cookie);
    const next = await rotate(agent, base, refreshToken);
    if (next === refreshToken) throw new Unexpected('refresh: the refresh token did not rotate');
    await rotate(agent, base, next);
    return cookie;
  } catch (err) {
    return { failed: `n/a (${(err as Error).message.slice(0, 100)})` };
  } finally {
    agent.destroy();
  }
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!);

/**
 * `workers` loops, each with one unit in flight, started together and stopped at `seconds`; a unit
 * under way at the deadline completes and counts. Units per second over the time until the last
 * worker stops. A unit that resolves `false` was housekeeping (a worker fetching a new refresh
 * token): neither counted nor timed.
 */
async function drive(workers: number, seconds: number, unit: (worker: number) => Promise<boolean>): Promise<UnitResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          if (await unit(worker)) latencies.push(performance.now() - t0);
        } catch {
          errors++;
          // A failing server must not turn the loop into a busy spin.
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, units: latencies.length };
}

/**
 * Full authorization-code round trips, then refresh-token rotations, each warmed up once and then
 * measured at 10 and 50 workers (quick: 3 s each after 3 s of warm-up; full: 10 s after 5 s).
 */
export async function measureAuthorizationCode(quick: boolean): Promise<CodeFlowRow[]> {
  const seconds = quick ? 3 : 10;
  const warmupSeconds = quick ? 3 : 5;
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-code-'));
  let child: ChildProcess | undefined;
  let stopping = false;
  const released = cleanUpOnInterrupt(dataDir);
  const roundTrips = 'code round trip: GET /authorize → 303 → POST /token (PKCE)';
  const rotations = 'refresh token rotation: POST /token (refresh_token)';
  const rows: CodeFlowRow[] = [];
  const allNa = (why: string) => {
    for (const scenario of [roundTrips, rotations]) for (const connections of WORKERS) rows.push({ scenario, connections, result: why });
    return rows;
  };
  try {
    const [port] = await freePorts(1);
    const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
    const env = ourEnv(port!, dataDir);
    const setup: Array<[string, string[]]> = [
      ['users create', ['users', 'create', '--username', USERNAME, '--password', PASSWORD, '--json']],
      [
        'clients create',
        [
          'clients', 'create', '--client-id', CLIENT_ID, '--grant-types', 'authorization_code,refresh_token', '--redirect-uris', REDIRECT_URI,
          '--token-endpoint-auth-method', 'none', '--scope', 'orders:read orders:write', '--json',
        ],
      ],
    ];
    for (const [what, args] of setup) {
      const { code, stderr } = await runCli(args, env);
      if (code !== 0) {
        const why = stderr.find((l) => /unknown (command|option)|error/i.test(l)) ?? stderr.at(-1) ?? `exit code ${code}`;
        return allNa(/unknown command/i.test(why) ? `n/a (\`${what}\` missing)` : `n/a (${what}: ${why.trim().slice(0, 80)})`);
      }
    }
    child = await launchOurs(env, side);
    if (side.unavailable) return allNa(side.unavailable);
    child.once('exit', (code, signal) => {
      if (stopping || side.unavailable) return;
      side.unavailable = `n/a (ours server died: ${signal ?? `exit ${code}`})`;
      process.stderr.write(`bench: ours server died mid-run (${signal ?? `exit ${code}`})\n${side.logTail.join('\n')}\n`);
    });

    const session = await establishSession(side.base);
    if (typeof session !== 'string') return allNa(session.failed);
    const cookie = session;

    /** Warm up at 10 workers, then measure at each worker count, each run on its own keep-alive pool. */
    const load = async (scenario: string, prepare: (agent: Agent, workers: number) => Promise<(worker: number) => Promise<boolean>>) => {
      const run = async (workers: number, s: number) => {
        const agent = new Agent({ keepAlive: true, maxSockets: workers });
        try {
          return await drive(workers, s, await prepare(agent, workers));
        } finally {
          agent.destroy();
        }
      };
      try {
        await run(10, warmupSeconds);
        for (const connections of WORKERS) {
          const result = await run(connections, seconds);
          rows.push({ scenario, connections, result: side.unavailable ?? result });
        }
      } catch (err) {
        // Only the preparation (fetching each worker's first refresh token) throws.
        for (const connections of WORKERS.slice(rows.filter((r) => r.scenario === scenario).length)) {
          rows.push({ scenario, connections, result: side.unavailable ?? `n/a (${(err as Error).message.slice(0, 100)})` });
        }
      }
    };

    await load(roundTrips, async (agent) => async () => {
      await roundTrip(agent, side.base, cookie);
      return true;
    });

    // Each worker holds its own grant's refresh token and always sends the latest one: reusing an
    // old one would revoke the grant. Every run starts from fresh grants (fetched off the clock):
    // a rotation costs more the longer its grant's history, so the rows do not depend on the order
    // they run in. A worker whose rotation failed has lost its token (it may have rotated
    // server-side without the answer reaching us), so it starts a new grant, also off the clock.
    await load(rotations, async (agent, workers) => {
      const held: Array<string | undefined> = [];
      for (let w = 0; w < workers; w++) held[w] = await roundTrip(agent, side.base, cookie);
      return async (w) => {
        const token = held[w];
        if (token === undefined) {
          held[w] = await roundTrip(agent, side.base, cookie);
          return false;
        }
        held[w] = undefined;
        held[w] = await rotate(agent, side.base, token);
        return true;
      };
    });
    return rows;
  } finally {
    stopping = true;
    released();
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
