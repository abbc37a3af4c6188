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

export async function measureMultiInstance(quick: boolean): Promise<LagResult | string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tl-bench-multi-'));
  const children: ChildProcess[] = [];
  const released = cleanUpOnInterrupt(dataDir);
  try {
    const [portA, portB] = await freePorts(2);
    const envA = ourEnv(portA!, dataDir);
    for (const [id, scope] of [['lag-svc', 'orders:read'], ['lag-rs', '']] as const) {
      const { code, stderr } = await runCli(['clients', 'create', '--client-id', id, '--client-secret', SECRET, '--scope', scope, '--json'], envA);
      if (code !== 0) return `n/a (clients create: ${stderr.at(-1)?.slice(0, 80) ?? code})`;
    }
    const sides: Side[] = [];
    // One after the other: the first start creates the signing keys, the second finds them.
    for (const port of [portA!, portB!]) {
      const side: Side = { name: 'ours', base: `http://127.0.0.1:${port}`, logTail: [] };
      children.push(await launchOurs(ourEnv(port, dataDir), side));
      if (side.unavailable) return side.unavailable;
      sides.push(side);
    }
    return await measureRevocationLag({
      a: { base: sides[0]!.base },
      b: { base: sides[1]!.base },
      clientAuth: basic('lag-svc'),
      introspectorAuth: basic('lag-rs'),
      samples: quick ? 100 : 500,
      strictSamples: quick ? 50 : 200,
    });
  } catch (err) {
    return `n/a (${(err as Error).message.slice(0, 100)})`;
  } finally {
    released();
    // One after the other: instances that stop together race on the views' checkpoint file.
    for (const c of children) await stopChild(c);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
