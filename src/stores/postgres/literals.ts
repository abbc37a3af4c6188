/**
 * SQL literals for the writer's simple-protocol queries: a whole transaction step goes to the server
 * as one query string (several statements, one round trip), which cannot carry bind parameters.
 * Every value is quoted here and nowhere else; text holding NUL is refused before (PostgreSQL text
 * cannot hold it, and the simple protocol would cut the query string at it).
 */
import pg from 'pg';

const NEEDS_ESCAPING = /['\\]/;

/** A quoted text literal, safe whatever standard_conforming_strings says. */
export function literal(text: string): string {
  if (text.includes('\0')) throw new TypeError('text holds a NUL character, which PostgreSQL cannot store');
  // Most values (uuids, stream names, hashes, JSON without quotes or backslashes) need no escaping.
  return NEEDS_ESCAPING.test(text) ? pg.escapeLiteral(text) : `'${text}'`;
}

/** A text[] literal of `texts` (ARRAY[] with a cast, so an empty list is typed too). */
export function textArray(texts: readonly string[]): string {
  return `ARRAY[${texts.map(literal).join(',')}]::text[]`;
}
