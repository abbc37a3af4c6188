/** Writes schema/management.graphql (run by `npm run schema:graphql`); a test fails when it drifts. */
import { writeFileSync } from 'node:fs';
import { managementSdl } from './schema.js';

export const SDL_FILE = new URL('../../../schema/management.graphql', import.meta.url);

if (process.argv[1]?.endsWith('emitSdl.js')) {
  writeFileSync(SDL_FILE, managementSdl());
  console.log('wrote schema/management.graphql');
}
