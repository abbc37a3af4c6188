import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { rotateSigningKey, SIGNING_ALGS } from '../application/keyring.js';
import type { Alg, KeyRecord } from '../domain/keyring/state.js';
import { allSigningKeys, signingKeyByKid } from '../application/queries/keys.js';
import { print, table } from './output.js';
import { withRuntime } from './withRuntime.js';

type Status = 'pending' | 'active' | 'retired' | 'unpublished';

function status(k: KeyRecord, now: number): Status {
  if (k.activatesAt > now) return 'pending';
  if (k.retiredAt === undefined || k.retiredAt > now) return 'active';
  return k.publishUntil !== undefined && k.publishUntil > now ? 'retired' : 'unpublished';
}

const iso = (ms?: number) => (ms === undefined ? null : new Date(ms).toISOString());

function describe(k: KeyRecord, now: number) {
  return {
    kid: k.kid,
    alg: k.alg,
    status: status(k, now),
    activatesAt: iso(k.activatesAt),
    retiredAt: iso(k.retiredAt),
    publishUntil: iso(k.publishUntil),
  };
}

function seconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number of seconds');
  return Number(value);
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('signing keys: list and rotate');
  keys
    .command('list')
    .description('list every signing key in the ledger with its status')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const now = Date.now();
        const list = [...allSigningKeys(rt.views)].map((k) => describe(k, now));
        print(!!opts.json, { keys: list }, () =>
          table(
            list.map((k) => ({
              kid: k.kid,
              alg: k.alg,
              status: k.status,
              activates: k.activatesAt ?? '',
              retired: k.retiredAt ?? '',
            })),
          ),
        );
      }),
    );
  keys
    .command('rotate')
    .description('generate a new signing key; it is published at once and signs after --activate-in')
    .addOption(new Option('--alg <alg>', 'algorithm to rotate').choices([...SIGNING_ALGS, 'all']).default('all'))
    .option('--activate-in <seconds>', 'publish now, start signing after this many seconds', seconds, 0)
    .option('--json', 'print JSON')
    .action((opts: { alg: Alg | 'all'; activateIn: number; json?: boolean }) =>
      withRuntime(async (rt) => {
        // A key encrypted under another secret would be unusable by the servers: check first.
        await rt.keys.unlockCurrentKeys();
        const now = Date.now();
        const ctx = { actor: 'operator:cli', correlationId: randomUUID() };
        const algs = opts.alg === 'all' ? SIGNING_ALGS : [opts.alg];
        const generated: string[] = [];
        for (const alg of algs) {
          const events = await rotateSigningKey(rt.ports, alg, now + opts.activateIn * 1000, ctx, now);
          for (const e of events) if (e.type === 'SigningKeyGenerated') generated.push(e.data.kid);
        }
        const list = generated.map((kid) => describe(signingKeyByKid(rt.views, kid)!, Date.now()));
        print(!!opts.json, { rotated: list }, () =>
          list.map((k) => `new ${k.alg} key ${k.kid}: published now, signs from ${k.activatesAt}`).join('\n'),
        );
      }),
    );
  return keys;
}
