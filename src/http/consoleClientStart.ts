import type { FastifyBaseLogger } from 'fastify';
import { ensureConsoleClient } from '../application/consoleClient.js';
import { Refusal } from '../domain/refusal.js';
import type { Runtime } from '../runtime.js';

/**
 * The console's client at start. A refusal (an issuer whose console URL no client may redirect to, such as plain http
 * on a host that is not loopback) leaves the server running without the console, and says why; a client an operator
 * disabled is left disabled, and said so.
 */
export async function ensureConsole(runtime: Runtime, log: FastifyBaseLogger): Promise<void> {
  try {
    const client = await ensureConsoleClient(runtime.ports);
    if (client.disabled)
      log.warn({ clientId: client.clientId }, 'the console client is disabled: sign-in to /console is refused');
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    log.warn({ err: err.message }, 'the console client could not be registered: sign-in to /console is refused');
  }
}
