/**
 * The grants oidc-provider has no twin of here, ours only, each beside plain client-credentials issuance on the same
 * server: a token exchange (RFC 8693, impersonation, JWT out), and a device polling while nobody has answered
 * (RFC 8628: one view lookup, no ledger read; every answer is a 400 authorization_pending or slow_down, so the row
 * counts all answers). `-- --grants-only` runs them alone. Targets: an exchange within 20 % of issuance's req/s;
 * a poll at most half of issuance's CPU per answer (it reads a view and writes nothing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import {
  cleanUpOnInterrupt,
  freePorts,
  launchOurs,
  oauthTimings,
  ourEnv,
  post,
  runCli,
  stopChild,
  type Side,
} from './oauthScenarios.js';
import { runLoad, type LoadOptions, type LoadResult } from './httpLoad.js';
import { measureCpu, type CpuPerOp } from './cpuUsage.js';
import { cells, fmt, fromLoad, printTable } from './table.js';

const SECRET = 'bench-grants-secret-0123456789';
const RESOURCE = 'https://api.example';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const CONNECTIONS = [10, 50] as const;

const basic = (id: string) => `Basic ${Buffer.from(`${id}:${SECRET}`).toString('base64')}`;
const formHeaders = (extra: Record<string, string> = {}) => ({
  'content-type': 'application/x-www-form-urlencoded',
  ...extra,
});

type Target = Omit<LoadOptions, 'connections' | 'seconds'> & { count: (r: LoadResult) => number };

interface GrantRow {
  scenario: string;
  connections: number;
  cell: ReturnType<typeof fromLoad>;
  cpu: CpuPerOp;
  /** All answers per second (polling: every one is a 400 by design). */
  answers: number;
}

/** Clients by the CLI before the server starts: an issuer of subject tokens, an exchanger, a device. */
async function registerClients(env: NodeJS.ProcessEnv): Promise<void> {
  const runs = [
    ['--client-id', 'bench-subject', '--client-secret', SECRET, '--grant-types', 'client_credentials'],
    [
      '--client-id',
      'bench-exchanger',
      '--client-secret',
      SECRET,
      '--grant-types',
      EXCHANGE,
      '--token-exchange-audiences',
      RESOURCE,
      '--token-exchange-impersonation',
    ],
    ['--client-id', 'bench-tv', '--token-endpoint-auth-method', 'none', '--grant-types', DEVICE],
  ];
  for (const args of runs) {
    const { code, stderr } = await runCli(['clients', 'create', ...args, '--scope', 'orders:read', '--json'], env);
    if (code !== 0) throw new Error(`clients create ${args[1]}: ${stderr.at(-1) ?? code}`);
  }
}

/** The three targets, each checked once by hand. */
async function targets(base: string): Promise<Array<[string, Target]>> {
  const token = `${base}/token`;
  const issuance = {
    url: token,
    method: 'POST' as const,
    headers: formHeaders({ authorization: basic('bench-subject') }),
  };
  const issueBody = 'grant_type=client_credentials&scope=orders%3Aread';
  const subject = await post(token, issuance.headers, issueBody);
  if (subject.status !== 200) throw new Error(`client credentials: ${JSON.stringify(subject.json)}`);
  const exchangeBody = new URLSearchParams({
    grant_type: EXCHANGE,
    subject_token: subject.json.access_token as string,
    subject_token_type: ACCESS_TOKEN,
    resource: RESOURCE,
    scope: 'orders:read',
  }).toString();
  const exchangeHeaders = formHeaders({ authorization: basic('bench-exchanger') });
  const exchanged = await post(token, exchangeHeaders, exchangeBody);
  if (exchanged.status !== 200 || exchanged.json.issued_token_type !== ACCESS_TOKEN)
    throw new Error(`token exchange: ${JSON.stringify(exchanged.json)}`);
  const device = await post(`${base}/device_authorization`, formHeaders(), 'client_id=bench-tv&scope=orders%3Aread');
  if (device.status !== 200) throw new Error(`device authorization: ${JSON.stringify(device.json)}`);
  const pollBody = new URLSearchParams({
    grant_type: DEVICE,
    client_id: 'bench-tv',
    device_code: device.json.device_code as string,
  }).toString();
  const polled = await post(token, formHeaders(), pollBody);
  if (polled.json.error !== 'authorization_pending') throw new Error(`device poll: ${JSON.stringify(polled.json)}`);
  const ok = (r: LoadResult) => r.responses - r.non2xx;
  return [
    ['client credentials → JWT (ES256)', { ...issuance, body: issueBody, count: ok }],
    [
      'token exchange (impersonation) → JWT (ES256)',
      { url: token, method: 'POST', headers: exchangeHeaders, body: exchangeBody, count: ok },
    ],
    [
      'device code polling, unanswered (400 each)',
      { url: token, method: 'POST', headers: formHeaders(), body: pollBody, count: (r) => r.responses },
    ],
  ];
}

export async function measureGrants(quick: boolean): Promise<GrantRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-grants-'));
  const released = cleanUpOnInterrupt(dataDir);
  let child: ChildProcess | undefined;
  try {
    const [port] = await freePorts(1);
    const env = ourEnv(port, dataDir);
    await registerClients(env);
    const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
    child = await launchOurs(env, side);
    if (side.unavailable) throw new Error(side.unavailable);
    const { seconds, warmupSeconds } = oauthTimings(quick);
    const rows: GrantRow[] = [];
    for (const [scenario, { count, ...target }] of await targets(side.base)) {
      await runLoad({ ...target, connections: 10, seconds: warmupSeconds });
      for (const connections of CONNECTIONS) {
        const { result, cpu } = await measureCpu(() => runLoad({ ...target, connections, seconds }), count, {
          nodePid: child.pid,
        });
        rows.push({
          scenario,
          connections,
          cell: fromLoad({ ...result, non2xx: 0 }),
          cpu,
          answers: count(result) / seconds,
        });
      }
    }
    return rows;
  } finally {
    await stopChild(child);
    released();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printGrants(rows: GrantRow[]): void {
  console.log('\nToken exchange and device polling (ours; oidc-provider has no twin of either here):');
  printTable(
    ['scenario', 'conns', 'answers/s', 'p50', 'p99', 'errors', 'CPU µs/answer'],
    rows.map((r) => {
      const [, p50, p99, errors] = cells(r.cell);
      return [r.scenario, String(r.connections), fmt(r.answers), p50, p99, errors, fmt(r.cpu.node ?? NaN)];
    }),
  );
  for (const connections of CONNECTIONS) {
    const at = (prefix: string) => rows.find((r) => r.connections === connections && r.scenario.startsWith(prefix))!;
    const plain = at('client credentials');
    const poll = at('device code');
    const cpuShare = poll.cpu.node && plain.cpu.node ? fmt((100 * poll.cpu.node) / plain.cpu.node) : 'n/a';
    console.log(
      `${connections} connections: exchange ${fmt((100 * at('token exchange').answers) / plain.answers)} % of ` +
        `issuance's req/s (target ≥ 80 %); a poll ${cpuShare} % of issuance's CPU (target ≤ 50 %), ` +
        `${fmt(poll.answers / plain.answers, 1)}× its req/s`,
    );
  }
}
