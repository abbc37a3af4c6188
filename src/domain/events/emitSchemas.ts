/** Writes every event's JSON Schema to schema/events/ (run by `npm run schema:emit`). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { allEvents } from './all.js';

export const schemaFileName = (type: string, version: number) => `${type}.v${version}.json`;
export const schemaText = (schema: object) => `${JSON.stringify(schema, null, 2)}\n`;

export function emitSchemas(dir: URL): string[] {
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(allEvents.map((d) => schemaFileName(d.type, d.version)));
  for (const f of readdirSync(dir)) if (f.endsWith('.json') && !wanted.has(f)) rmSync(new URL(f, dir));
  for (const d of allEvents) writeFileSync(new URL(schemaFileName(d.type, d.version), dir), schemaText(d.schema));
  return [...wanted];
}

if (process.argv[1]?.endsWith('emitSchemas.js')) {
  const written = emitSchemas(new URL('../../../../schema/events/', import.meta.url));
  console.log(`wrote ${written.length} schemas to schema/events/`);
}
