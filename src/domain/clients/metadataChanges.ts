import type { ClientMetadata } from './events.js';

/** One field of a client's metadata as it was and as it is; absent on a side where the field was not set. */
interface FieldChange {
  before?: unknown;
  after?: unknown;
}

/** JSON values compared by their canonical text: metadata is JSON, and key order in an object is not a change. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}

/**
 * What an update changed, field by field: what operators and auditors read instead of diffing two snapshots. Client
 * metadata holds no secret (the secret and its hash are kept apart, in ClientRegistered and ClientSecretRotated), so
 * every field may be shown on both sides. Linear in the metadata's size.
 */
export function metadataChanges(before: ClientMetadata, after: ClientMetadata): Record<string, FieldChange> {
  const changes: Record<string, FieldChange> = {};
  const was = before as Record<string, unknown>;
  const is = after as Record<string, unknown>;
  for (const field of new Set([...Object.keys(was), ...Object.keys(is)])) {
    const b = was[field];
    const a = is[field];
    if (canonical(b) === canonical(a)) continue;
    changes[field] = { ...(b !== undefined && { before: b }), ...(a !== undefined && { after: a }) };
  }
  return changes;
}
