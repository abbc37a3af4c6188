import { invalidRequest } from './errors.js';

/** Form parameters after the one-value rule: every value a string. */
export type Params = Record<string, string | undefined>;

/**
 * RFC 6749 §3.1/§3.2: parameters must not be repeated, except those an extension declares
 * multi-valued (RFC 8707 `resource`); an empty value is treated as absent.
 */
export function singleValued(
  body: unknown,
  multi: readonly string[] = [],
): { params: Params; lists: Record<string, string[]> } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  const params: Params = {};
  const lists: Record<string, string[]> = {};
  // Fastify's form and query parsers give a string per key, or an array when the key is repeated.
  const fields = body as Record<string, string | string[] | undefined>;
  // Keys rather than entries, and no array for a single value: this runs on every OAuth request.
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === undefined) continue;
    if (multi.includes(key)) {
      lists[key] = (Array.isArray(value) ? value.map(String) : [String(value)]).filter((v) => v !== '');
      continue;
    }
    if (Array.isArray(value) && value.length !== 1) {
      if (value.length > 1) throw invalidRequest(`parameter ${key} is repeated`);
      params[key] = undefined;
      continue;
    }
    const single = String(Array.isArray(value) ? value[0] : value);
    if (single !== '') params[key] = single;
  }
  return { params, lists };
}
