/**
 * The history index's writer thread: applies the batches the main thread posts, in order, one transaction each,
 * and answers each with the position the file reached. A batch that fails leaves a gap behind it, so every batch
 * after it is refused until one read from the ledger (from the position last reported) fills the gap.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HistoryIndex } from './historyIndex.js';
import { fromWire, type FromThread, type ToThread } from './historyWire.js';

const port = parentPort!;
const options = workerData as { file: string; refusing: boolean };
const index = new HistoryIndex(options.file);
/** Set by a failure (or a restart after the previous thread died mid-batch): only the ledger can feed it now. */
let refusing = options.refusing;
/** A reset that failed is owed before anything is applied again: rows from another ledger must not stay. */
let resetOwed = false;

function handle(m: Exclude<ToThread, { kind: 'close' }>): void {
  if (m.kind === 'reset') {
    try {
      index.reset();
      resetOwed = false;
    } catch (err) {
      resetOwed = refusing = true;
      throw err;
    }
    return;
  }
  if (refusing && !m.fromLedger)
    throw new Error('not written: an earlier batch failed and the ledger must fill the gap');
  if (resetOwed) {
    index.reset();
    resetOwed = false;
  }
  try {
    index.apply(fromWire(m.events));
    refusing = false;
  } catch (err) {
    refusing = true;
    throw err;
  }
}

port.on('message', (m: ToThread) => {
  if (m.kind === 'close') {
    index.close();
    port.close();
    return;
  }
  let reply: FromThread;
  try {
    handle(m);
    const { position, last } = index.stored();
    reply = { id: m.id, ok: true, position: position.toString(), last };
  } catch (err) {
    reply = { id: m.id, ok: false, error: (err as Error).message };
  }
  port.postMessage(reply);
});
