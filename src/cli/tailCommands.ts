import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/config.js';
import type { EventStore, RecordedEvent, Subscription } from '../eventsourcing/eventStore.js';
import { openAuditStore } from '../audit/store.js';
import { toCloudEvent } from '../feed/cloudEvent.js';
import { failCommand } from './exitCode.js';
import { checkLedgerPresence } from './ledgerPresence.js';

const PAGE = 1000;

function position(raw: string): bigint {
  if (!/^\d{1,20}$/.test(raw)) throw new InvalidArgumentError('expected a ledger position (a whole number, 1 or more)');
  return BigInt(raw);
}

/** Writes a line, waiting when stdout's buffer is full (a slow log agent holds the reading back, not memory). */
function writeLine(line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.stdout.write(`${line}\n`)) resolve();
    else process.stdout.once('drain', resolve).once('error', reject);
  });
}

const lineOf = (e: RecordedEvent, issuer: string, json: boolean) =>
  json
    ? JSON.stringify(toCloudEvent(e, issuer))
    : `${e.position} ${e.recordedAt.toISOString()} ${e.type} ${e.stream} ${e.id}`;

/** Prints what exists after `after`, page by page; returns the last position printed. */
async function printFrom(store: EventStore, after: bigint, issuer: string, json: boolean): Promise<bigint> {
  for (;;) {
    const page = await store.readAll(after, PAGE);
    for (const e of page) await writeLine(lineOf(e, issuer, json));
    if (page.length > 0) after = page[page.length - 1].position;
    if (page.length < PAGE) return after;
  }
}

/** Resolves on SIGINT or SIGTERM: the subscription is closed and the command exits 0. */
const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

/**
 * `token-ledger tail`: the ledger from a position as NDJSON, one CloudEvent per line (the webhooks' payload, with
 * `ledgerposition`), for any log agent; `--follow` keeps printing new events. Reads the ledger as stored, alone.
 */
export function tailCommand(): Command {
  return new Command('tail')
    .description('print ledger events from a position, one per line (--json: CloudEvents NDJSON)')
    .option('--from <position>', 'first position printed (inclusive)', position, 1n)
    .option('--follow', 'keep printing new events until SIGINT or SIGTERM')
    .option('--json', 'one CloudEvents 1.0 JSON object per line (else: position time type stream id)')
    .action(async (opts: { from: bigint; follow?: boolean; json?: boolean }) => {
      let store: EventStore | undefined;
      let subscription: Subscription | undefined;
      try {
        const config = loadConfig();
        checkLedgerPresence(config, 'existing');
        store = await openAuditStore(config);
        const json = opts.json === true;
        const start = opts.from > 0n ? opts.from - 1n : 0n;
        const last = await printFrom(store, start, config.issuer, json);
        if (!opts.follow) return;
        const stop = untilSignal();
        let failed: Error | undefined;
        let wake: () => void = () => undefined;
        const failure = new Promise<void>((resolve) => (wake = resolve));
        subscription = store.subscribe(
          last,
          async (events) => {
            for (const e of events) await writeLine(lineOf(e, config.issuer, json));
          },
          {
            onError: (err) => {
              failed = err;
              wake();
            },
          },
        );
        await Promise.race([stop, failure]);
        if (failed) throw failed;
      } catch (err) {
        failCommand(err);
      } finally {
        await subscription?.close();
        await store?.close();
      }
    });
}
