import { execute } from './execute.js';
import type { Ports } from './ports.js';
import type { CommandContext } from '../eventsourcing/ledger.js';
import { securityDecider, type SecurityCommand } from '../domain/security/decide.js';

/**
 * Records a failed login or client authentication in `stream` (the throttle stream of the key it was counted under).
 * Waits for durability, not for the views (no view needs it to answer). A ledger that cannot take it costs the
 * record, never the answer: the refusal is given as before, and the loss is logged.
 */
export async function recordFailure(
  ports: Pick<Ports, 'events'>,
  stream: string,
  command: SecurityCommand,
  ctx: CommandContext,
  log?: { warn(obj: object, msg: string): void },
): Promise<boolean> {
  try {
    await execute(ports.events, stream, securityDecider, command, ctx, { unconditional: true, waitForViews: false });
    return true;
  } catch (err) {
    log?.warn({ err: (err as Error).message, type: command.type }, 'security event not recorded');
    return false;
  }
}
