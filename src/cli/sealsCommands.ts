import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import { ConfigError } from '../config/config.js';
import type { EventStore } from '../eventsourcing/eventStore.js';
import { openAuditStore } from '../audit/store.js';
import { latestSeal, proveConsistency, proveEvent } from '../audit/prove.js';
import { readSealState, rotateSealKey, sealJwks, type SealData } from '../application/seals.js';
import {
  verifyConsistencyProof,
  verifyInclusionProof,
  type ConsistencyProof,
  type InclusionProof,
  type Jwks,
} from '../sdk/ledger-proof.js';
import { failCommand } from './exitCode.js';
import { checkLedgerPresence } from './ledgerPresence.js';
import { print } from './output.js';
import { withRuntime } from './withRuntime.js';

/** Exit code of `verify-proof` on a proof that is refused (1 is any other failure), as `verify`'s tampered ledger. */
const EXIT_REFUSED = 2;

async function withAuditStore(fn: (store: EventStore) => Promise<void>): Promise<void> {
  let store: EventStore | undefined;
  try {
    const config = loadConfig();
    checkLedgerPresence(config, 'existing');
    store = await openAuditStore(config);
    await fn(store);
  } catch (err) {
    failCommand(err);
  } finally {
    await store?.close();
  }
}

/** A JSON document given inline or as a file name. */
export function jsonArgument<T>(value: string, what: string): T {
  const text = value.trimStart().startsWith('{') ? value : readText(value, what);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ConfigError(`${what} is not JSON`);
  }
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${what} ${file} cannot be read: ${(err as Error).message}`);
  }
}

/** `prove`, `verify-proof` and `seals …`: the sealed ledger (docs/audit-seals.md). */
export function sealsCommands(): Command[] {
  const prove = new Command('prove')
    .description(
      'print (JSON) a proof an auditor checks offline with `verify-proof` or the browser module:\n' +
        '--event <id>: the event is in the ledger the latest seal covering it signs (inclusion proof);\n' +
        '--from-seal A --to-seal B: the ledger seal B signs extends the one seal A signs (consistency proof).',
    )
    .option('--event <id>', "an event's id (e.g. a token's issuance: GraphQL or `token-ledger export`)")
    .option('--token <jti>', "the issuance of the token with this jti (an access or refresh token's `jti`)")
    .option('--from-seal <seal>', "a seal's event id or tree size")
    .option('--to-seal <seal>', "a seal's event id or tree size (default: the latest)")
    .action(async (opts: { event?: string; token?: string; fromSeal?: string; toSeal?: string }) => {
      await withAuditStore(async (store) => {
        const one =
          opts.event !== undefined ? { id: opts.event } : opts.token !== undefined ? { jti: opts.token } : null;
        const seals = opts.fromSeal !== undefined || opts.toSeal !== undefined;
        if (one && !seals && (opts.event === undefined || opts.token === undefined)) {
          print(true, await proveEvent(store, one), () => '');
        } else if (!one && opts.fromSeal !== undefined) {
          const to = opts.toSeal ?? String((await latestSeal(store))?.treeSize ?? '');
          print(true, await proveConsistency(store, opts.fromSeal, to), () => '');
        } else {
          throw new ConfigError('give one of --event <id> or --token <jti>, or --from-seal <seal> [--to-seal <seal>]');
        }
      });
    });

  const verifyProof = new Command('verify-proof')
    .description(
      'check a proof printed by `prove` with only the seal keys (a JWKS file: `seals key`, or ' +
        'GET /.well-known/ledger-seal-keys);\nno ledger needed. Exit 0 when it holds, 2 with the reason when refused.',
    )
    .argument('<file>', 'the proof (JSON file)')
    .requiredOption('--jwks <file>', 'the seal keys (JWKS JSON file)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { jwks: string; json?: boolean }) => {
      try {
        const proof = jsonArgument<InclusionProof | ConsistencyProof>(file, 'the proof');
        const jwks = jsonArgument<Jwks>(opts.jwks, 'the JWKS');
        const result =
          proof.format === 'token-ledger-consistency-proof/1'
            ? await verifyConsistencyProof(proof, jwks)
            : await verifyInclusionProof(proof, jwks);
        if (!result.ok) process.exitCode = EXIT_REFUSED;
        print(opts.json === true, result, () =>
          result.ok
            ? `proof holds: sealed tree of ${result.treeSize} events, root ${result.rootHash}`
            : `proof refused: ${result.reason}`,
        );
      } catch (err) {
        failCommand(err);
      }
    });

  const seals = new Command('seals').description("the ledger's seals and the key that signs them");
  seals
    .command('key')
    .description('print the seal keys (JWKS, every key ever used): keep it to check seals and proofs offline')
    .action(async () => {
      await withAuditStore(async (store) => print(true, sealJwks(await readSealState(store)), () => ''));
    });
  seals
    .command('latest')
    .description(
      'print the latest seal (JSON): keep it, and later check with `verify --seal` that the ledger extends it',
    )
    .action(async () => {
      await withAuditStore(async (store) => {
        const seal: SealData | undefined = await latestSeal(store);
        if (!seal) throw new ConfigError('the ledger has no seal yet (the server seals every SEAL_INTERVAL_SECONDS)');
        print(true, seal, () => '');
      });
    });
  seals
    .command('rotate-key')
    .description('generate a new seal key that signs from now on; earlier keys stay published')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withRuntime(async (rt) => {
        const kid = await rotateSealKey(rt.ports, { actor: 'operator:cli', correlationId: crypto.randomUUID() });
        print(opts.json === true, { kid }, () => `seal key ${kid} signs from now on`);
      });
    });
  return [prove, verifyProof, seals];
}
