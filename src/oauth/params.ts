import { invalidRequest } from './errors.js';

/** Form parameters after the one-value rule: every value a string. */
export type Params = Record<string, string | undefined>;

/**
 * RFC 6749 §3.1/§3.2: parameters must not be repeated, except those an extension declares
 * multi-valued (RFC 8707 `resource`); an empty value is treated as absent.
 */
export function singleValued(body: unknown, multi: readonly string[] = []): { params: Params; lists: Record<string, string[]> } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('the request body must be application/x-www-form-urlencoded');
  }
  const params: Params = {};
  const lists: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map(String);
    if (multi.includes(key)) {
      lists[key] = values.filter((v) => v !== '');
      continue;
    }
    if (values.length > 1) throw invalidRequest(`parameter ${key} is repeated`);
    if (values[0] !== '') params[key] = values[0];
  }
  return { params, lists };
}
