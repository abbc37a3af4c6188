import type { RecordedEvent } from '../eventsourcing/eventStore.js';

/** Reverse-DNS prefix of every CloudEvents `type` this server sends. */
const TYPE_PREFIX = 'dev.token-ledger.';

/**
 * A ledger event as a CloudEvents 1.0 structured-mode JSON object (application/cloudevents+json). Written by hand:
 * the `cloudevents` package brings browser polyfills (process, util) and second majors of uuid and ajv-formats for
 * an envelope of ten fields. Extension names are lower-case alphanumerics (CloudEvents §3.1.1). The data is the
 * event's data as the ledger holds it (fields erased or sealed stay so); the position is a string, as it may not
 * fit a JSON number.
 */
export function toCloudEvent(e: RecordedEvent, issuer: string) {
  return {
    specversion: '1.0',
    id: e.id,
    source: `${issuer}/streams/${encodeURIComponent(e.stream)}`,
    type: `${TYPE_PREFIX}${e.type}`,
    subject: e.stream,
    time: e.recordedAt.toISOString(),
    datacontenttype: 'application/json',
    data: e.data,
    ledgerposition: e.position.toString(),
    ledgerrevision: e.revision,
    ledgerhash: e.metadata.hash,
    ledgerprevhash: e.metadata.prevHash,
    ledgeractor: e.metadata.actor,
    ledgercorrelationid: e.metadata.correlationId,
  };
}
