import type { RecordedEvent } from '../eventsourcing/eventStore.js';
import type { Runtime } from '../runtime.js';
import { toLedgerEvent } from './mappers.js';
import type { LedgerEvent } from './types.js';

/** Events a slow subscriber may fall behind by before its feed is ended (it can catch up with `events`). */
const MAX_BACKLOG = 10_000;

interface FeedOptions {
  /** Stream category (the stream name before its first '-'); every event when absent. */
  category?: string | null | undefined;
  /** Asked once per ledger batch: false ends the feed (the operator's token was revoked, say). */
  stillAllowed?: () => boolean;
}

const categoryOf = (stream: string) => {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
};

/**
 * A live feed of ledger events appended from now on, mapped exactly as the `events` query maps them
 * (hashes of secrets left out). One store subscription per feed, closed when the consumer stops
 * (graphql-ws calls `return()` when the client completes or disconnects).
 */
export async function ledgerFeed(
  runtime: Runtime,
  options: FeedOptions = {},
): Promise<AsyncIterableIterator<LedgerEvent>> {
  const { category, stillAllowed } = options;
  const queue: LedgerEvent[] = [];
  let waiting: ((r: IteratorResult<LedgerEvent>) => void) | undefined;
  let failed: ((err: Error) => void) | undefined;
  let done = false;
  let error: Error | undefined;

  const head = await runtime.store.headPosition();
  const finish = (err?: Error) => {
    if (done) return;
    done = true;
    error = err;
    void subscription.close().catch(() => undefined);
    if (waiting) {
      const resolve = waiting;
      const reject = failed!;
      waiting = failed = undefined;
      if (err) reject(err);
      else resolve({ value: undefined, done: true });
    }
  };
  const onBatch = (batch: RecordedEvent[]) => {
    if (done) return;
    if (stillAllowed && !stillAllowed()) return finish();
    for (const e of batch) {
      if (category !== null && category !== undefined && categoryOf(e.stream) !== category) continue;
      const event = toLedgerEvent(e);
      if (waiting) {
        const resolve = waiting;
        waiting = failed = undefined;
        resolve({ value: event, done: false });
      } else {
        queue.push(event);
        if (queue.length > MAX_BACKLOG) return finish(new Error('the subscriber fell too far behind the ledger'));
      }
    }
  };
  const subscription = runtime.store.subscribe(head, onBatch, { onError: (err) => finish(err) });

  const iterator: AsyncIterableIterator<LedgerEvent> = {
    next() {
      if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
      if (done) {
        if (error) {
          const err = error;
          error = undefined;
          return Promise.reject(err);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => {
        waiting = resolve;
        failed = reject;
      });
    },
    async return() {
      queue.length = 0;
      error = undefined;
      finish();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
