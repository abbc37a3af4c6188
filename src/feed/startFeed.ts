import type { Registry } from 'prom-client';
import type { Runtime } from '../runtime.js';
import { EventFeed } from './eventFeed.js';
import { registerFeedMetrics } from './feedMetrics.js';

type Log = { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };

/** The server's outbound feed: metrics always, deliveries unless EVENT_SINKS_DELIVERY=off. */
export function eventFeed(runtime: Runtime, registry: Registry) {
  const observe = registerFeedMetrics(registry, runtime);
  let feed: EventFeed | undefined;
  return {
    async start(log: Log): Promise<void> {
      if (!runtime.config.eventSinks.deliver) return;
      const { config, storeAsStored: store, ports } = runtime;
      feed = new EventFeed(
        {
          events: ports.events,
          keyEncryptionSecret: ports.keyEncryptionSecret,
          sinks: config.eventSinks,
          store,
          issuer: config.issuer,
        },
        runtime.sinkCursors(),
        log,
        observe,
      );
      await feed.start();
    },
    stop: () => feed?.stop() ?? Promise.resolve(),
  };
}
