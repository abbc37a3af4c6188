import { createHash } from 'node:crypto';

/**
 * A canonical JSON text for a view: object keys sorted, Map entries and Set members sorted by their
 * own canonical text, Dates as ISO strings, bigints as decimal strings, undefined and functions left
 * out. Arrays keep their order (a view's lists are built in ledger order, which is deterministic).
 */
export function canonical(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'number':
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'function':
    case 'symbol':
      return 'null';
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `[${canonical(k)},${canonical(v)}]`).sort();
    return `{"$map":[${entries.join(',')}]}`;
  }
  if (value instanceof Set) return `{"$set":[${[...value].map(canonical).sort().join(',')}]}`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (ArrayBuffer.isView(value))
    return JSON.stringify(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');
