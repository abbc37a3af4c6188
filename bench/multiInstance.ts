/**
 * Two server processes on one embedded ledger (the same code as two instances on EventStoreDB):
 * how long a revocation made through one takes to reach introspection on the other. Loopback only;
 * bounded by the number of samples (each sample gives up after 5 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cleanUpOnInterrupt, freePorts, launchOurs, ourEnv, runCli, stopChild, type Side } from './oauthScenarios.js';
import { measureRevocationLag, type LagResult } from './revocationLag.js';

const SECRET = 'bench-secret-0123456789';
const basic = (id: string) => `Basic ${Buffer.from(`${id}:${SECRET}`).toString('base64')}`;

interface MultiInstanceOptions {
  /** Extra environment selecting the ledger (DATABASE_URL); the embedded store in one DATA_DIR without it. */
  ledgerEnv?: NodeJS.ProcessEnv;
  /** Instances started; revocations go through the first, the others are asked (default 2). */
  instances?: number;
}

/** One lag measurement per instance asked: A→B, A→C … */
export type MultiInstanceResult = Array<{ to: string; result: LagResult }>;

export async function measureMultiInstance(
  quick: boolean,
  opts: MultiInstanceOptions = {},
): Promise<MultiInstanceResult | string> {
  const instances = opts.instances ?? 2;
  const shared = opts.ledgerEnv?.DATABASE_URL === undefined;
  const dataDirs = Array.from({ length: shared ? 1 : instances }, () => mkdtempSync(join(tmpdir(), 'tl-bench-multi-')));
  const dataDirOf = (i: number) => dataDirs[shared ? 0 : i];
  const children: ChildProcess[] = [];
  const released = dataDirs.map((d) => cleanUpOnInterrupt(d));
  try {
    const ports = await freePorts(instances);
    const envOf = (i: number) => ({ ...ourEnv(ports[i], dataDirOf(i)), ...opts.ledgerEnv });
    for (const [id, scope] of [
      ['lag-svc', 'orders:read'],
      ['lag-rs', ''],
    ] as const) {
      const { code, stderr } = await runCli(
        ['clients', 'create', '--client-id', id, '--client-secret', SECRET, '--scope', scope, '--json'],
        envOf(0),
      );
      if (code !== 0) return `n/a (clients create: ${stderr.at(-1)?.slice(0, 80) ?? code})`;
    }
    const sides: Side[] = [];
    // One after the other: the first start creates the signing keys, the others find them.
    for (let i = 0; i < instances; i++) {
      const side: Side = { name: 'ours', base: `http://127.0.0.1:${ports[i]}`, logTail: [] };
      children.push(await launchOurs(envOf(i), side));
      if (side.unavailable) return side.unavailable;
      sides.push(side);
    }
    const out: MultiInstanceResult = [];
    for (let i = 1; i < instances; i++) {
      const result = await measureRevocationLag({
        a: { base: sides[0].base },
        b: { base: sides[i].base },
        clientAuth: basic('lag-svc'),
        introspectorAuth: basic('lag-rs'),
        samples: quick ? 100 : 500,
        strictSamples: quick ? 50 : 200,
      });
      out.push({ to: String.fromCharCode(65 + i), result });
    }
    return out;
  } catch (err) {
    return `n/a (${(err as Error).message.slice(0, 100)})`;
  } finally {
    for (const r of released) r();
    // One after the other: instances that stop together race on the views' checkpoint file.
    for (const c of children) await stopChild(c);
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  }
}
