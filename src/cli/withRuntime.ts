import { loadConfig } from '../config/config.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { failCommand } from './exitCode.js';
import { checkLedgerPresence, type LedgerUse } from './ledgerPresence.js';

/** Opens the same ledger the server uses, catches the views up, runs `fn`, closes. */
export async function withRuntime(fn: (rt: Runtime) => Promise<void>, use: LedgerUse = 'existing'): Promise<void> {
  let rt: Runtime | undefined;
  try {
    const config = loadConfig();
    checkLedgerPresence(config, use);
    rt = await openRuntime(config, { role: 'cli' });
    await rt.runner.start();
    await fn(rt);
  } catch (err) {
    failCommand(err);
  } finally {
    await rt?.close();
  }
}
