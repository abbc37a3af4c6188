import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteEventStore } from '../src/stores/sqlite/sqliteEventStore.js';
import { launchServer } from './coldStart.js';
import { fillLedger } from './ledgerAppends.js';

/**
 * Outbound feed throughput: a ledger of `events` issuance events, one webhook sink on a loopback receiver that
 * answers 204 at once, the real server process. Events/s from the first delivery to the last: each is signed,
 * sent and its position stored before the next (in order, at least once).
 */
export async function measureFeed(dir: string, events: number, port: number): Promise<{ perSecond: number }> {
  const dataDir = join(dir, 'feed');
  const store = await openSqliteEventStore(join(dataDir, 'ledger.sqlite'));
  await fillLedger(store, events);
  await store.close();
  let received = 0;
  let first = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (received++ === 0) first = performance.now();
      res.writeHead(204).end();
      if (received === events) done();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
  const sinks = join(dir, 'sinks.json');
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  writeFileSync(sinks, JSON.stringify({ sinks: [{ id: 'bench', url, secret, categories: ['token'] }] }));
  const { child } = await launchServer(dataDir, port, {
    EVENT_SINKS_FILE: sinks,
    EVENT_SINKS_ALLOW_HTTP_LOOPBACK: 'true',
  });
  try {
    await all;
    return { perSecond: (events - 1) / ((performance.now() - first) / 1000) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    receiver.closeAllConnections();
    receiver.close();
  }
}
