import { createClient, type Client } from 'graphql-ws';
import { accessToken } from './auth.js';

let client: Client | undefined;

/**
 * The console's one graphql-ws connection (same path as POST /graphql), opened on first use. The token is read at
 * each (re)connection, so a refreshed token is the one presented after the server ends a feed whose token expired.
 */
function liveClient(): Client {
  client ??= createClient({
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/graphql`,
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    connectionParams: async () => ({ authorization: `Bearer ${(await accessToken()) ?? ''}` }),
  });
  return client;
}

export type LiveState = 'connecting' | 'live' | 'offline';

/**
 * Calls `onEvent` for each ledger event appended (optionally of one stream category) and reports the feed's state.
 * A feed the server ends (its token expired) or drops is started again. Returns the function that stops it.
 */
export function watchLedger(
  onEvent: (type: string) => void,
  onState: (state: LiveState) => void,
  category?: string,
): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const start = () => {
    if (stopped) return;
    onState('connecting');
    const iterator = liveClient().iterate<{ ledgerEvents: { type: string } }>({
      query: 'subscription Live($category: String) { ledgerEvents(category: $category) { type } }',
      variables: { category },
    });
    unsubscribe = () => void iterator.return?.();
    void (async () => {
      try {
        for await (const result of iterator) {
          onState('live');
          const type = result.data?.ledgerEvents.type;
          if (type) onEvent(type);
        }
      } catch {
        // Refused or dropped: shown as offline, tried again below.
      }
      if (stopped) return;
      onState('offline');
      retry = setTimeout(start, 3000);
    })();
    // The subscription answers nothing until an event is appended: "live" once the socket is open.
    const off = liveClient().on('connected', () => onState('live'));
    const previous = unsubscribe;
    unsubscribe = () => {
      off();
      previous();
    };
  };
  start();
  return () => {
    stopped = true;
    clearTimeout(retry);
    unsubscribe?.();
  };
}
