import { Command } from 'commander';
import { loadConfig } from '../config/config.js';
import type { EventStore } from '../eventsourcing/eventStore.js';
import { failCommand } from './exitCode.js';
import { checkExport, exportLedger, importLedger, type CheckedExport } from '../audit/exportImport.js';
import { parseUntil, replayLedger, type ReplaySummary, type TokenCounts } from '../audit/replay.js';
import { openAuditStore } from '../audit/store.js';
import type { PostgresEventStore } from '../stores/postgres/postgresEventStore.js';
import { PRUNE_STREAM } from '../domain/retention/events.js';
import {
  applyPrune,
  forgetPrunedInHistory,
  planPrune,
  prunedRecord,
  PruneRefused,
  type PrunePlan,
} from '../audit/prune.js';
import { historyFile, LEDGER_FILE } from '../runtime.js';
import { ConfigError } from '../config/config.js';
import { join } from 'node:path';
import { upcastingStore } from '../eventsourcing/upcasting.js';
import { upcasters } from '../domain/events/upcasters.js';
import { keylessPersonalDataStore } from '../eventsourcing/personalDataStore.js';
import { openSubjectKeyRows } from '../crypto/openSubjectKeys.js';
import { exportSubjectKeys, importSubjectKeys, subjectKeysFileOf } from '../audit/subjectKeysTransfer.js';
import { existsSync } from 'node:fs';
import { problemLine, verifyLedger } from '../audit/verify.js';
import { ledgerVerifyOptions } from '../audit/ledgerRuns.js';
import { print, table } from './output.js';
import { jsonArgument } from './sealsCommands.js';
import type { SealData } from '../application/seals.js';
import type { Jwks } from '../sdk/ledger-proof.js';
import { checkLedgerPresence, ledgerExists, type LedgerUse } from './ledgerPresence.js';

/** Exit code of `verify` on a ledger that fails a check (1 is any other failure). */
const EXIT_TAMPERED = 2;

/**
 * Opens the ledger alone (no views, no keys, no key-encryption secret needed), runs `fn`, closes.
 * `beforeCreating` runs first when the ledger is not there yet: a refusal there creates nothing.
 */
async function withStore(
  fn: (store: EventStore, config: ReturnType<typeof loadConfig>) => Promise<void>,
  use: LedgerUse = 'existing',
  beforeCreating?: () => Promise<void>,
): Promise<void> {
  let store: EventStore | undefined;
  try {
    const config = loadConfig();
    if (beforeCreating && !ledgerExists(config)) await beforeCreating();
    checkLedgerPresence(config, use);
    store = await openAuditStore(config);
    await fn(store, config);
  } catch (err) {
    failCommand(err);
  } finally {
    await store?.close();
  }
}

const countsLine = (c: TokenCounts) =>
  `${c.issued} issued, ${c.active} active, ${c.revoked} revoked, ${c.expired} expired`;

function humanSummary(s: ReplaySummary): string {
  const rows = Object.entries(s.perClient).map(([client, c]) => ({
    client,
    issued: String(c.issued),
    active: String(c.active),
    revoked: String(c.revoked),
    expired: String(c.expired),
  }));
  return [
    `events ${s.events} · streams ${s.streams} · clients ${s.clients} · users ${s.users}` +
      `${s.erasedUsers ? ` (${s.erasedUsers} erased)` : ''} · grants ${s.grants}`,
    `access tokens: ${countsLine(s.tokens)} (as of ${s.asOf ?? '—'}${s.until ? `, until ${s.until}` : ''})`,
    `refresh tokens issued ${s.refreshTokensIssued} · id tokens issued ${s.idTokensIssued}`,
    table(rows),
    `digest ${s.digest}`,
  ].join('\n');
}

export function auditCommands(): Command[] {
  const verify = new Command('verify')
    .description(
      "check the whole ledger: schemas, each stream's hash chain (revisions from 0, prevHash, hash), the " +
        'signing key of every token,\n' +
        'and on the embedded and PostgreSQL stores that no position is missing. Exit 0 when sound,' +
        ' 2 naming the first bad event, 1 on other errors.',
    )
    .option('--seal <file-or-json>', 'a seal kept earlier (`seals latest`): the ledger must extend it')
    .option('--seal-keys <file>', "the seal keys (JWKS) to trust instead of the ledger's own (`seals key`, kept)")
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean; seal?: string; sealKeys?: string }) => {
      await withStore(async (store, config) => {
        const report = await verifyLedger(store, {
          keptSeal: opts.seal === undefined ? undefined : jsonArgument<SealData>(opts.seal, 'the kept seal'),
          sealKeys: opts.sealKeys === undefined ? undefined : jsonArgument<Jwks>(opts.sealKeys, 'the seal keys'),
          ...(await ledgerVerifyOptions(store, config)),
        });
        if (!report.ok) process.exitCode = EXIT_TAMPERED;
        print(opts.json === true, report, () =>
          report.ok
            ? `ledger sound: ${report.events} events in ${report.streams} streams, ` +
              `${report.signedTokens} signed tokens checked, ${report.merkle.seals} seals checked${
                report.merkle.kept ? `, extends the kept seal of ${report.merkle.kept.treeSize} events` : ''
              }${
                report.pruned > 0 ? `, ${report.pruned} pruned events accounted for by LedgerPruned records` : ''
              }${report.head ? `; head position ${report.head.position}, hash ${report.head.hash}` : ''}`
            : `${problemLine(report.firstBad!)}${
                report.problemCount > 1
                  ? ` (and ${report.problemCount - 1} more ` +
                    `problem${report.problemCount > 2 ? 's' : ''}; --json lists them)`
                  : ''
              }`,
        );
      });
    });

  const replay = new Command('replay')
    .description(
      'rebuild every view from zero in memory (no checkpoints) and print a summary and a digest of the rebuilt ' +
        'state.\n' +
        '--until stops at a position, or after the last event recorded at or before an ISO time.\n' +
        'Tokens are judged active/expired at the --until time; without a time, at the latest ' +
        'issuance/authentication\n' +
        'time found in the events themselves (never the wall clock), so the same ledger always prints the same ' +
        'output.\n' +
        "The digest ignores the store's recordedAt and positions (not covered by the hashes; they change on import).",
    )
    .option('--until <time|position>', 'an ISO date-time (e.g. 2026-01-31T12:00:00Z) or a ledger position')
    .option('--json', 'print only the counts and the digest as JSON')
    .action(async (opts: { until?: string; json?: boolean }) => {
      await withStore(async (store) => {
        // Views see every event at its current schema version, as on the server; sealed personal data unopened.
        const summary = await replayLedger(
          keylessPersonalDataStore(upcastingStore(store, upcasters)),
          opts.until === undefined ? undefined : parseUntil(opts.until),
        );
        print(opts.json === true, summary, () => humanSummary(summary));
      });
    });

  const exp = new Command('export')
    .description(
      'write the ledger as NDJSON, one event per line in ledger order, with its hashes (id, type, stream, ' +
        'revision, position, recordedAt, data, metadata)',
    )
    .requiredOption('--out <file>', 'file to write (mode 0600)')
    .option(
      '--category <category>',
      'only streams of this category (client, user, grant, keyring, …): for reading; import refuses such a file',
    )
    .option('--json', 'print JSON')
    .action(async (opts: { out: string; category?: string; json?: boolean }) => {
      await withStore(async (store, config) => {
        const exported = await exportLedger(store, opts.out, opts.category);
        // The personal data moves only with its keys: written beside a whole ledger's export, still wrapped.
        const rows = opts.category === undefined ? await openSubjectKeyRows(config, { existingOnly: true }) : undefined;
        const keys = rows ? await exportSubjectKeys(rows, opts.out).finally(() => rows.close()) : 0;
        const r = { ...exported, ...(keys > 0 ? { subjectKeys: keys } : {}) };
        print(
          opts.json === true,
          r,
          () =>
            `exported ${r.events} events of ${r.streams} streams to ${opts.out}` +
            (keys > 0 ? `, ${keys} subject keys to ${subjectKeysFileOf(opts.out)}` : ''),
        );
      });
    });

  const imp = new Command('import')
    .description(
      'append an export into an EMPTY ledger, preserving order, ids and revisions; the whole file is checked ' +
        'first (hashes, chains, schemas)',
    )
    .requiredOption('--in <file>', 'an NDJSON file written by export')
    .option('--json', 'print JSON')
    .action(async (opts: { in: string; json?: boolean }) => {
      let checked: CheckedExport | undefined;
      await withStore(
        async (store, config) => {
          const imported = await importLedger(store, opts.in, checked);
          const rows = existsSync(subjectKeysFileOf(opts.in)) ? await openSubjectKeyRows(config) : undefined;
          const keys = rows ? await importSubjectKeys(rows, opts.in).finally(() => rows.close()) : 0;
          const r = { ...imported, ...(keys > 0 ? { subjectKeys: keys } : {}) };
          print(
            opts.json === true,
            r,
            () =>
              `imported ${r.events} events of ${r.streams} streams; every hash recomputed identically` +
              (keys > 0 ? `; ${keys} subject keys` : ''),
          );
        },
        'create',
        async () => {
          checked = await checkExport(opts.in);
        },
      );
    });

  const prune = new Command('prune')
    .description(
      'delete the token, grant, assertion and session streams whose every token expired before --before, and ' +
        'record it (LedgerPruned)\n' +
        'so verify still passes and says what was pruned. The ledger keeps everything by default; prune only ' +
        'where a policy demands deletion.',
    )
    .requiredOption(
      '--before <time>',
      'an ISO date-time, not in the future; only streams whose last expiry is earlier are removed',
    )
    .option('--dry-run', 'show what would be removed, remove nothing')
    .option('--json', 'print JSON')
    .action(async (opts: { before: string; dryRun?: boolean; json?: boolean }) => {
      await withStore(async (store, config) => {
        const before = new Date(opts.before);
        if (Number.isNaN(before.getTime()))
          throw new ConfigError(`--before ${JSON.stringify(opts.before)} is invalid: expected an ISO date-time`);
        if (store.kind === 'esdb')
          throw new ConfigError(
            'prune works on the embedded and PostgreSQL stores only for now; export, prune an embedded copy, import',
          );
        let plan: PrunePlan;
        try {
          plan = await planPrune(store, before, new Date());
        } catch (err) {
          if (err instanceof PruneRefused) throw new ConfigError(err.message);
          throw err;
        }
        const result = {
          before: plan.before,
          streams: plan.streams.length,
          events: plan.events,
          byCategory: plan.byCategory,
          digest: plan.digest,
          dryRun: opts.dryRun === true,
        };
        if (!opts.dryRun && plan.streams.length > 0) {
          // The audit store is the adapter itself (no upcasting wrapper).
          if (store.kind === 'postgres')
            await (store as PostgresEventStore).deleteStreamsAndAppend(
              plan.streams.map((s) => s.stream),
              PRUNE_STREAM,
              [prunedRecord(plan, 'operator:cli')],
            );
          else applyPrune(join(config.dataDir, LEDGER_FILE), plan, 'operator:cli');
          forgetPrunedInHistory(historyFile(config.dataDir), plan);
        }
        print(
          opts.json === true,
          result,
          () =>
            `${opts.dryRun ? 'would prune' : 'pruned'} ${plan.events} events of ${plan.streams.length} streams ` +
            `expired before ${plan.before}`,
        );
      });
    });

  return [verify, replay, exp, imp, prune];
}
