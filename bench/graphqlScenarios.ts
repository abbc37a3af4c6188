/**
 * GraphQL read latency on a large ledger: `token(jti)` with its history and `tokens(filter)`, with
 * N token issuances (N streams of one AccessTokenIssued each) written through the ledger port before
 * the server starts, so the server's views are rebuilt from them as on any cold start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { openSqliteEventStore } from '../src/stores/sqlite/sqliteEventStore.js';
import { runLoad, type LoadResult } from './httpLoad.js';
import { benchMetadata } from './ledgerAppends.js';
import { freePorts, launchOurs, oauthTimings, ourEnv, runCli, stopChild, type Side } from './oauthScenarios.js';

const CLIENTS = 20;

function tokenEvent() {
  const jti = uuidv7();
  const iat = Math.floor(Date.now() / 1000);
  return {
    id: uuidv7(),
    type: 'AccessTokenIssued',
    data: {
      jti,
      tokenHash: jti.replace(/-/g, '').padEnd(43, 'x').slice(0, 43),
      format: 'jwt',
      clientId: `svc-${Math.floor(Math.random() * CLIENTS)}`,
      sub: 'svc',
      scope: 'orders:read',
      aud: ['https://api.example'],
      iat,
      exp: iat + 3600,
      grantType: 'client_credentials',
      kid: null,
      grantId: null,
    },
    metadata: benchMetadata,
  };
}

interface GraphqlRow {
  scenario: string;
  connections: number;
  result: LoadResult | string;
}

const SCENARIOS = ['token(jti) with history', 'tokens(filter: clientId, first: 20)'] as const;
const allNa = (why: string): GraphqlRow[] =>
  SCENARIOS.flatMap((scenario) => [10, 50].map((connections) => ({ scenario, connections, result: why })));

export async function measureGraphql(
  quick: boolean,
  tokens = quick ? 50_000 : 1_000_000,
): Promise<{ rows: GraphqlRow[]; events: number }> {
  const { seconds, warmupSeconds } = oauthTimings(quick);
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-gql-'));
  const [port] = await freePorts(1);
  const env = ourEnv(port, dataDir);
  const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
  let child;
  try {
    const admin = await runCli(
      [
        'clients',
        'create',
        '--client-id',
        'operator',
        '--client-secret',
        'bench-operator-secret-0123',
        '--scope',
        'ledger:audit',
        '--json',
      ],
      env,
    );
    if (admin.code !== 0) return { rows: allNa(`n/a (${admin.stderr.at(-1)})`), events: 0 };
    const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
    let written = 0;
    let sample = '';
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (written < tokens) {
          written++;
          const e = tokenEvent();
          if (!sample) sample = e.data.jti;
          await store.append(`token-${e.data.jti}`, [e], 'no_stream');
        }
      }),
    );
    const events = Number(await store.headPosition());
    await store.close();
    // The views are rebuilt from every event first: on a busy machine that takes a while.
    child = await launchOurs(env, side, 300_000);
    if (side.unavailable) return { rows: allNa(side.unavailable), events };
    const auth = `Basic ${Buffer.from('operator:bench-operator-secret-0123').toString('base64')}`;
    const tokenRes = await fetch(`${side.base}/token`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const bearer = ((await tokenRes.json()) as { access_token: string }).access_token;
    const headers = { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' };
    const scenarios: Array<[string, string, Record<string, unknown>]> = [
      [
        SCENARIOS[0],
        'query($jti: ID!) { token(jti: $jti) { jti status clientId scope history { type actor recordedAt } } }',
        { jti: sample },
      ],
      [
        SCENARIOS[1],
        'query { tokens(filter: { clientId: "svc-3" }, first: 20) { totalCount edges { node { jti status } } } }',
        {},
      ],
    ];
    const rows: GraphqlRow[] = [];
    for (const [scenario, query, variables] of scenarios) {
      const body = JSON.stringify({ query, variables });
      const check = await fetch(`${side.base}/graphql`, { method: 'POST', headers, body });
      const checked = (await check.json()) as { errors?: Array<{ message: string }> };
      if (check.status !== 200 || checked.errors) {
        for (const connections of [10, 50])
          rows.push({ scenario, connections, result: `n/a (${checked.errors?.[0]?.message ?? check.status})` });
        continue;
      }
      await runLoad({
        url: `${side.base}/graphql`,
        method: 'POST',
        headers,
        body,
        connections: 10,
        seconds: warmupSeconds,
      });
      for (const connections of [10, 50]) {
        rows.push({
          scenario,
          connections,
          result: await runLoad({ url: `${side.base}/graphql`, method: 'POST', headers, body, connections, seconds }),
        });
      }
    }
    return { rows, events };
  } finally {
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
