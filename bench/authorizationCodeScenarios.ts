/**
 * HTTP benchmarks of the authorization-code flow, ours and oidc-provider's: full round trips
 * (GET /authorize with an established session and remembered consent → a redirect with a code →
 * POST /token with PKCE as a public client), refresh-token rotations, and UserInfo with an access
 * token from the flow. Each server runs as a child process on loopback; the round trips and
 * rotations come from this process over node:http with keep-alive, one in flight per worker;
 * UserInfo is put under load by autocannon. Our session and consent are set up once through the
 * HTML login and consent pages, as a browser would; the peer's through its automatic interaction
 * (see peer/oidcProviderPeer.ts). Every request is checked once by hand before the load; when a
 * step fails, the rows say "n/a (why)" instead of figures.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import {
  cleanUpOnInterrupt,
  freePorts,
  launchOurs,
  oauthTimings,
  ourEnv,
  runCli,
  startPeer,
  stopChild,
  type Side,
} from './oauthScenarios.js';
import { runLoad } from './httpLoad.js';
import { fromLoad, fromUnits, type Cell } from './table.js';
import { measureCpu, type CpuPerOp } from './cpuUsage.js';

const CLIENT_ID = 'bench-spa';
const REDIRECT_URI = 'https://app.example/cb';
const SCOPE = 'orders:read';
/** Consented once at the start, so that later requests for either scope set need no consent page. */
const USERINFO_SCOPE = 'openid profile';
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

interface CodeFlowRow {
  scenario: string;
  connections: number;
  /** Figures, or why there are none ("n/a (login page: HTTP 404)"). */
  ours: Cell;
  peer: Cell;
}

/** Paths of one server's endpoints (from its discovery document). */
export interface Endpoints {
  authorize: string;
  token: string;
  userinfo: string;
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One HTTP request over `agent`, the whole body read; rejects on a connection error or after 10 s. */
function send(
  agent: Agent,
  base: string,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Response> {
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

/** The authorization endpoint's path for a fresh state and PKCE challenge. */
function authorizePath(ep: Endpoints, state: string, challenge: string, scope = SCOPE): string {
  return `${ep.authorize}?${form({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  })}`;
}

/** Thrown by a unit of work that got an answer other than the expected one. */
class Unexpected extends Error {}

/** The code in a redirect (ours: 303, the peer: 302) back to the client, checked against the state sent. */
function codeFrom(res: Response, state: string): string {
  if (res.status !== 303 && res.status !== 302) throw new Unexpected(httpFailure('authorize', res));
  const location = res.headers.location;
  if (!location) throw new Unexpected('authorize: 303 without Location');
  const params = new URL(location).searchParams;
  const code = params.get('code');
  if (!code) throw new Unexpected(`authorize: no code in the redirect (${params.get('error') ?? 'no error either'})`);
  if (params.get('state') !== state) throw new Unexpected('authorize: state not echoed');
  return code;
}

/** A token response: 200 with an access token and a refresh token. */
function tokensFrom(step: string, res: Response): { accessToken: string; refreshToken: string; tokenType: unknown } {
  if (res.status !== 200) throw new Unexpected(httpFailure(step, res));
  const json = parseJson(res.body);
  if (typeof json.access_token !== 'string') throw new Unexpected(`${step}: no access_token`);
  if (typeof json.refresh_token !== 'string') throw new Unexpected(`${step}: no refresh_token`);
  return { accessToken: json.access_token, refreshToken: json.refresh_token, tokenType: json.token_type };
}

/** One full round trip: authorize with the session cookie → code → token (with `tokenHeaders`, e.g. a DPoP proof). */
async function roundTripTokens(
  agent: Agent,
  base: string,
  ep: Endpoints,
  cookie: string,
  scope = SCOPE,
  tokenHeaders: Record<string, string> = {},
) {
  const { verifier, challenge } = pkce();
  const state = randomUUID();
  const code = codeFrom(await send(agent, base, 'GET', authorizePath(ep, state, challenge, scope), { cookie }), state);
  const body = form({
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
    client_id: CLIENT_ID,
  });
  return tokensFrom(
    'token (authorization_code)',
    await send(agent, base, 'POST', ep.token, { ...FORM, ...tokenHeaders }, body),
  );
}

/**
 * An access token for UserInfo (`openid profile`) from one round trip with the established session;
 * `tokenHeaders` go with its token request (a DPoP proof binds it). Throws with the step that failed.
 */
export async function userInfoToken(
  base: string,
  ep: Endpoints,
  cookie: string,
  tokenHeaders: Record<string, string> = {},
): Promise<{ accessToken: string; tokenType: unknown }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { accessToken, tokenType } = await roundTripTokens(agent, base, ep, cookie, USERINFO_SCOPE, tokenHeaders);
    return { accessToken, tokenType };
  } finally {
    agent.destroy();
  }
}

/** A round trip that returns the refresh token. */
const roundTrip = async (agent: Agent, base: string, ep: Endpoints, cookie: string) =>
  (await roundTripTokens(agent, base, ep, cookie)).refreshToken;

/** One rotation: the refresh token in, the next one out. */
async function rotate(agent: Agent, base: string, ep: Endpoints, refreshToken: string): Promise<string> {
  const body = form({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: CLIENT_ID });
  return tokensFrom('token (refresh_token)', await send(agent, base, 'POST', ep.token, FORM, body)).refreshToken;
}

/** A cookie jar of one origin, filled from Set-Cookie. */
class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const line of res.headers['set-cookie'] ?? []) {
      const pair = line.split(';')[0];
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
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The page's form: its action resolved against /authorize, and its hidden fields. */
function formOf(page: Response, step: string): { action: string; fields: Record<string, string> } {
  const action = /<form[^>]*action="([^"]*)"/.exec(page.body)?.[1];
  if (action === undefined) throw new Unexpected(`${step}: no form on the page`);
  const fields: Record<string, string> = {};
  for (const m of page.body.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g))
    fields[m[1]] = unescapeHtml(m[2]);
  if (!fields.interaction || !fields.csrf)
    throw new Unexpected(`${step}: the form lacks its interaction or csrf field`);
  const url = new URL(unescapeHtml(action), 'http://base.invalid/authorize');
  return { action: url.pathname + url.search, fields };
}

/**
 * Signs `bench-user` in and approves the consent through the HTML pages, as a browser would, then
 * checks by hand that /authorize now answers 303 with a code directly, that the code redeems, and
 * that its refresh token rotates. Returns the session's cookie header, or why it could not.
 */
function establishSession(base: string, ep: Endpoints): Promise<string | { failed: string }> {
  return sessionFrom(base, ep, async (agent, jar) => {
    const browse = async (method: 'GET' | 'POST', path: string, fields?: Record<string, string>) => {
      const res = await send(
        agent,
        base,
        method,
        path,
        { ...(fields ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), cookie: jar.header() },
        fields && form(fields),
      );
      jar.take(res);
      return res;
    };
    const first = pkce();
    const firstState = randomUUID();
    const login = await browse('GET', authorizePath(ep, firstState, first.challenge, `${SCOPE} ${USERINFO_SCOPE}`));
    if (login.status !== 200 || !login.body.includes('name="password"'))
      throw new Unexpected(httpFailure('login page', login));
    const loginForm = formOf(login, 'login page');
    const consent = await browse('POST', loginForm.action, {
      ...loginForm.fields,
      username: USERNAME,
      password: PASSWORD,
    });
    if (consent.status !== 200 || !consent.body.includes('name="decision"'))
      throw new Unexpected(httpFailure('login', consent));
    if (!jar.has('tl_session')) throw new Unexpected('login: no tl_session cookie');
    const consentForm = formOf(consent, 'consent page');
    const approved = await browse('POST', consentForm.action, { ...consentForm.fields, decision: 'approve' });
    return { code: codeFrom(approved, firstState), verifier: first.verifier };
  });
}

/**
 * A session as `signIn` establishes it (its first code and PKCE verifier): the code is redeemed,
 * then the remembered session is checked. Returns the session's cookie header, or why it could not.
 */
async function sessionFrom(
  base: string,
  ep: Endpoints,
  signIn: (agent: Agent, jar: Jar) => Promise<{ code: string; verifier: string }>,
): Promise<string | { failed: string }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const jar = new Jar();
  try {
    const { code, verifier } = await signIn(agent, jar);
    const body = form({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      client_id: CLIENT_ID,
    });
    tokensFrom('token (first code)', await send(agent, base, 'POST', ep.token, FORM, body));
    // From here on the session and the consent are remembered: the round trips under load.
    const cookie = jar.header();
    await checkRemembered(agent, base, ep, cookie);
    return cookie;
  } catch (err) {
    return { failed: `n/a (${(err as Error).message.slice(0, 100)})` };
  } finally {
    agent.destroy();
  }
}

/** With the session: a round trip needs no page, and its refresh token rotates. */
async function checkRemembered(agent: Agent, base: string, ep: Endpoints, cookie: string): Promise<void> {
  const refreshToken = await roundTrip(agent, base, ep, cookie);
  const next = await rotate(agent, base, ep, refreshToken);
  if (next === refreshToken) throw new Unexpected('refresh: the refresh token did not rotate');
  await rotate(agent, base, ep, next);
}

/**
 * The peer's session: its authorization endpoint sends the browser to /interaction/<uid>, which
 * signs in and consents at once and sends it back; the redirects are followed with the cookies.
 */
function establishPeerSession(base: string, ep: Endpoints): Promise<string | { failed: string }> {
  return sessionFrom(base, ep, async (agent, jar) => {
    const first = pkce();
    const state = randomUUID();
    let res = await send(
      agent,
      base,
      'GET',
      authorizePath(ep, state, first.challenge, `${SCOPE} ${USERINFO_SCOPE}`),
      {},
    );
    jar.take(res);
    for (let hop = 0; hop < 10 && (res.status === 302 || res.status === 303); hop++) {
      const location = new URL(res.headers.location ?? '', base);
      if (location.origin !== base) break;
      res = await send(agent, base, 'GET', location.pathname + location.search, { cookie: jar.header() });
      jar.take(res);
    }
    return { code: codeFrom(res, state), verifier: first.verifier };
  });
}

/** Endpoint paths from the discovery document. */
async function endpointsOf(base: string): Promise<Endpoints | { failed: string }> {
  try {
    const doc = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<string, string>;
    const path = (key: string) => new URL(doc[key]).pathname;
    return {
      authorize: path('authorization_endpoint'),
      token: path('token_endpoint'),
      userinfo: path('userinfo_endpoint'),
    };
  } catch (err) {
    return { failed: `n/a (discovery: ${(err as Error).message.slice(0, 80)})` };
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];

/**
 * `workers` loops, each with one unit in flight, started together and stopped at `seconds`; a unit
 * under way at the deadline completes and counts. Units per second over the time until the last
 * worker stops. A unit that resolves `false` was housekeeping (a worker fetching a new refresh
 * token): neither counted nor timed.
 */
async function drive(
  workers: number,
  seconds: number,
  unit: (worker: number) => Promise<boolean>,
): Promise<UnitResult> {
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
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    units: latencies.length,
  };
}

const SCENARIOS = {
  roundTrips: 'code round trip: authorize (session) → redirect → token (PKCE)',
  rotations: 'refresh token rotation',
  userinfo: 'UserInfo (GET, bearer token from the code flow)',
} as const;

/**
 * One side: round trips, rotations and UserInfo, each warmed up once and then measured at 10 and
 * 50 workers (connections for UserInfo). Returns a cell per scenario and worker count.
 */
async function measureSide(side: Side, ep: Endpoints, cookie: string, quick: boolean): Promise<Map<string, Cell[]>> {
  const { seconds, warmupSeconds } = oauthTimings(quick);
  const out = new Map<string, Cell[]>();
  const na = (why: string) => WORKERS.map(() => why);

  /** Warm up at 10 workers, then measure at each worker count, each run on its own keep-alive pool. */
  const load = async (
    scenario: string,
    prepare: (agent: Agent, workers: number) => Promise<(worker: number) => Promise<boolean>>,
  ) => {
    const run = async (workers: number, s: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: workers });
      try {
        return await drive(workers, s, await prepare(agent, workers));
      } finally {
        agent.destroy();
      }
    };
    const cells: Cell[] = [];
    try {
      await run(10, warmupSeconds);
      for (const workers of WORKERS) cells.push(side.unavailable ?? fromUnits(await run(workers, seconds)));
    } catch (err) {
      // Only the preparation (fetching each worker's first refresh token) throws.
      while (cells.length < WORKERS.length)
        cells.push(side.unavailable ?? `n/a (${(err as Error).message.slice(0, 100)})`);
    }
    out.set(scenario, cells);
  };

  await load(SCENARIOS.roundTrips, async (agent) => async () => {
    await roundTrip(agent, side.base, ep, cookie);
    return true;
  });

  // Each worker holds its own grant's refresh token and always sends the latest one: reusing an
  // old one would revoke the grant. Every run starts from fresh grants (fetched off the clock):
  // a rotation costs more the longer its grant's history, so the rows do not depend on the order
  // they run in. A worker whose rotation failed has lost its token (it may have rotated
  // server-side without the answer reaching us), so it starts a new grant, also off the clock.
  await load(SCENARIOS.rotations, async (agent, workers) => {
    const held: Array<string | undefined> = [];
    for (let w = 0; w < workers; w++) held[w] = await roundTrip(agent, side.base, ep, cookie);
    return async (w) => {
      const token = held[w];
      if (token === undefined) {
        held[w] = await roundTrip(agent, side.base, ep, cookie);
        return false;
      }
      held[w] = undefined;
      held[w] = await rotate(agent, side.base, ep, token);
      return true;
    };
  });

  // UserInfo with an access token for `openid profile`, checked once by hand.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const { accessToken } = await roundTripTokens(agent, side.base, ep, cookie, USERINFO_SCOPE);
    const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
    const check = await send(agent, side.base, 'GET', ep.userinfo, headers);
    if (check.status !== 200 || typeof parseJson(check.body).sub !== 'string')
      throw new Unexpected(httpFailure('userinfo', check));
    const url = `${side.base}${ep.userinfo}`;
    await runLoad({ url, headers, connections: 10, seconds: warmupSeconds });
    const cells: Cell[] = [];
    for (const connections of WORKERS)
      cells.push(side.unavailable ?? fromLoad(await runLoad({ url, headers, connections, seconds })));
    out.set(SCENARIOS.userinfo, cells);
  } catch (err) {
    out.set(SCENARIOS.userinfo, na(side.unavailable ?? `n/a (${(err as Error).message.slice(0, 100)})`));
  } finally {
    agent.destroy();
  }
  return out;
}

/**
 * Sets up our server (on the ledger `ledgerEnv` names): the user and the public client through the CLI, then the
 * process.
 */
async function startOursForCode(
  dataDir: string,
  ledgerEnv: NodeJS.ProcessEnv = {},
): Promise<{ child?: ChildProcess; side: Side; failed?: string }> {
  const [port] = await freePorts(1);
  const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
  const env = { ...ourEnv(port, dataDir), ...ledgerEnv };
  const setup: Array<[string, string[]]> = [
    ['users create', ['users', 'create', '--username', USERNAME, '--password', PASSWORD, '--json']],
    [
      'clients create',
      [
        'clients',
        'create',
        '--client-id',
        CLIENT_ID,
        '--grant-types',
        'authorization_code,refresh_token',
        '--redirect-uris',
        REDIRECT_URI,
        '--token-endpoint-auth-method',
        'none',
        '--scope',
        'openid profile orders:read orders:write',
        '--json',
      ],
    ],
  ];
  for (const [what, args] of setup) {
    const { code, stderr } = await runCli(args, env);
    if (code !== 0) {
      const why = stderr.find((l) => /unknown (command|option)|error/i.test(l)) ?? stderr.at(-1) ?? `exit code ${code}`;
      return {
        side,
        failed: /unknown command/i.test(why)
          ? `n/a (\`${what}\` missing)`
          : `n/a (${what}: ${why.trim().slice(0, 80)})`,
      };
    }
  }
  const child = await launchOurs(env, side);
  return { child, side, failed: side.unavailable };
}

/**
 * Code round trips alone on our server over the ledger `ledgerEnv` names (the PostgreSQL rows set
 * DATABASE_URL), warmed up, then at each worker count, with the server's CPU per round trip (and its
 * PostgreSQL backends' when `postgresUrl` is given).
 */
export async function measureCodeRoundTrips(
  ledgerEnv: NodeJS.ProcessEnv,
  workerCounts: readonly number[],
  seconds: number,
  postgresUrl?: string,
): Promise<Array<{ connections: number; result: Cell; cpu?: CpuPerOp }>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-code-pg-'));
  const released = cleanUpOnInterrupt(dataDir);
  let child: ChildProcess | undefined;
  try {
    const started = await startOursForCode(dataDir, ledgerEnv);
    child = started.child;
    const failed = (why: string) => workerCounts.map((connections) => ({ connections, result: why }));
    if (started.failed) return failed(started.failed);
    const ep = await endpointsOf(started.side.base);
    if ('failed' in ep) return failed(ep.failed);
    const cookie = await establishSession(started.side.base, ep);
    if (typeof cookie !== 'string') return failed(cookie.failed);
    const run = async (workers: number, s: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: workers });
      try {
        return await drive(workers, s, async () => {
          await roundTrip(agent, started.side.base, ep, cookie);
          return true;
        });
      } finally {
        agent.destroy();
      }
    };
    await run(10, 1);
    const rows: Array<{ connections: number; result: Cell; cpu?: CpuPerOp }> = [];
    for (const connections of workerCounts) {
      const { result, cpu } = await measureCpu(
        () => run(connections, seconds),
        (r) => r.units,
        { nodePid: child?.pid, postgresUrl },
      );
      rows.push({ connections, result: started.side.unavailable ?? fromUnits(result), cpu });
    }
    return rows;
  } finally {
    released();
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A server ready for the code flow, or why not (`failed`); `child`, when set, is the caller's to stop. */
export type CodeFlowSide = { child?: ChildProcess; side: Side } & (
  { failed: string } | { failed?: undefined; ep: Endpoints; cookie: string }
);

/**
 * Starts ours (its ledger in `dataDir`) or the peer, reads its endpoints and establishes the
 * session (checked: a round trip and two rotations). `started` sees the child as soon as it runs.
 */
export async function startCodeFlowSide(
  name: 'ours' | 'peer',
  dataDir: string,
  started: (child: ChildProcess, side: Side) => void = () => undefined,
): Promise<CodeFlowSide> {
  let launched: { child?: ChildProcess; side: Side; failed?: string };
  if (name === 'ours') launched = await startOursForCode(dataDir);
  else {
    const { child, side } = await startPeer((await freePorts(1))[0]);
    launched = { child, side, failed: side.unavailable };
  }
  const { child, side } = launched;
  if (child) started(child, side);
  if (launched.failed !== undefined) return { child, side, failed: launched.failed };
  const ep = await endpointsOf(side.base);
  if ('failed' in ep) return { child, side, failed: ep.failed };
  const cookie = await (name === 'ours' ? establishSession : establishPeerSession)(side.base, ep);
  if (typeof cookie !== 'string') return { child, side, failed: cookie.failed };
  return { child, side, ep, cookie };
}

/**
 * Round trips, rotations and UserInfo on our server, then on oidc-provider's: one after the other,
 * in the same run, with the same drivers.
 */
export async function measureAuthorizationCode(quick: boolean): Promise<CodeFlowRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-code-'));
  const children: ChildProcess[] = [];
  let stopping = false;
  const released = cleanUpOnInterrupt(dataDir);
  const done = new Set<ChildProcess>();
  const watch = (side: Side, child: ChildProcess) =>
    child.once('exit', (code, signal) => {
      if (stopping || done.has(child) || side.unavailable) return;
      side.unavailable = `n/a (${side.name} server died: ${signal ?? `exit ${code}`})`;
      process.stderr.write(
        `bench: ${side.name} server died mid-run (${signal ?? `exit ${code}`})\n${side.logTail.join('\n')}\n`,
      );
    });
  const sideResults = async (name: 'ours' | 'peer'): Promise<Map<string, Cell[]> | string> => {
    const started = await startCodeFlowSide(name, dataDir, (child, side) => {
      children.push(child);
      watch(side, child);
    });
    if (started.failed !== undefined) return started.failed;
    const results = await measureSide(started.side, started.ep, started.cookie, quick);
    // Each server is idle once measured: stop it, so that it does not compete with the next.
    if (started.child) done.add(started.child);
    await stopChild(started.child);
    return results;
  };
  try {
    const ours = await sideResults('ours');
    const peer = await sideResults('peer');
    const rows: CodeFlowRow[] = [];
    for (const scenario of Object.values(SCENARIOS)) {
      WORKERS.forEach((connections, i) =>
        rows.push({
          scenario,
          connections,
          ours: typeof ours === 'string' ? ours : ours.get(scenario)![i],
          peer: typeof peer === 'string' ? peer : peer.get(scenario)![i],
        }),
      );
    }
    return rows;
  } finally {
    stopping = true;
    released();
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
