/**
 * The server process of the fault suite: the real one (src/server.ts), its embedded ledger's writer
 * given the failpoints TOKEN_LEDGER_FAILPOINT names (test/helpers/writerFailpoints.ts).
 */
import { main } from '../../src/server.js';
import { failpointHooks } from './writerFailpoints.js';

await main({ writerHooks: failpointHooks(process.env.TOKEN_LEDGER_FAILPOINT ?? '') });
