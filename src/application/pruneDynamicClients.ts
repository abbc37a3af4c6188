import { randomUUID } from 'node:crypto';
import { ClientCommandError } from '../domain/clients/decide.js';
import { idleReason, idleSelfRegisteredClients, type IdleClient } from '../domain/registration/pruning.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { deleteClient } from './clients.js';
import type { Ports } from './ports.js';
import { clientLastUsedAt } from './queries/clientActivity.js';
import { allClients } from './queries/clients.js';

interface PruneResult {
  /** Deleted now, or (dry run) that would be. */
  pruned: IdleClient[];
  /** Already deleted by another process between the look and the delete: nothing left to do. */
  alreadyGone: string[];
}

/** The self-registered clients idle for `idleSeconds` now, from the views (no ledger read). */
function idleDynamicClients(ports: Pick<Ports, 'views' | 'clock'>, idleSeconds: number): IdleClient[] {
  return idleSelfRegisteredClients(
    allClients(ports.views),
    (clientId) => clientLastUsedAt(ports.views, clientId),
    ports.clock(),
    idleSeconds,
  );
}

/**
 * Deletes every self-registered client unused for `idleSeconds` (server timer and `clients prune-dynamic`), one at a
 * time through deleteClient. Several server processes may prune the same ledger: the client decider refuses a second
 * delete (client_not_found), which means the work is done.
 */
export async function pruneDynamicClients(
  ports: Pick<Ports, 'cache' | 'clock' | 'config' | 'events' | 'history' | 'settleHistory' | 'views'>,
  options: { idleSeconds: number; dryRun?: boolean },
  ctx: CommandContext,
): Promise<PruneResult> {
  const idle = idleDynamicClients(ports, options.idleSeconds);
  if (options.dryRun) return { pruned: idle, alreadyGone: [] };
  const pruned: IdleClient[] = [];
  const alreadyGone: string[] = [];
  const reason = idleReason(options.idleSeconds);
  for (const client of idle) {
    // Used since the look (the views move on while earlier deletes wait for them): kept.
    if ((clientLastUsedAt(ports.views, client.clientId) ?? 0) > client.lastUsedAt) continue;
    try {
      await deleteClient(ports, client.clientId, reason, { ...ctx, reason });
      pruned.push(client);
    } catch (err) {
      if (!(err instanceof ClientCommandError && err.code === 'client_not_found')) throw err;
      alreadyGone.push(client.clientId);
    }
  }
  return { pruned, alreadyGone };
}

/** How often the server looks: a tenth of the idle time, between 10 seconds and an hour. */
export const pruneIntervalMs = (idleSeconds: number): number =>
  Math.min(3_600_000, Math.max(10_000, idleSeconds * 100));

/**
 * The server's periodic pruning (DYNAMIC_CLIENT_IDLE_TTL > 0): one run at a time, on an unref'd timer; `stop` clears
 * it and waits for a run under way, so the ledger is not closed under it.
 */
export function startDynamicClientPruning(
  ports: Parameters<typeof pruneDynamicClients>[0],
  idleSeconds: number,
  warn: (err: unknown, message: string) => void,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = () => {
    running ??= pruneDynamicClients(ports, { idleSeconds }, { actor: 'system', correlationId: randomUUID() })
      .then(
        () => undefined,
        (err: unknown) => warn(err, 'pruning unused self-registered clients failed'),
      )
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(run, pruneIntervalMs(idleSeconds));
  timer.unref();
  run();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
