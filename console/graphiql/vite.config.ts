import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Each asset's .gz beside it, sent by @fastify/static (`preCompressed`) to browsers that accept gzip. */
const precompress = (): Plugin => ({
  name: 'token-ledger-precompress',
  apply: 'build',
  writeBundle(options, bundle) {
    for (const name of Object.keys(bundle)) {
      if (!name.startsWith('assets/')) continue;
      const path = join(options.dir!, name);
      writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
    }
  },
});

/**
 * GraphiQL at /console/graphiql, its own page and build (dist/console-graphiql): the console's main pages never load
 * React or Monaco. Monaco's workers are bundled by Vite (`graphiql/setup-workers/vite`), so nothing is fetched from
 * elsewhere at run time.
 */
export default defineConfig({
  root: here,
  base: '/console/graphiql/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  plugins: [precompress()],
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('../../dist/console-graphiql', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Monaco's editor is large by nature; the size that matters is measured gzipped (docs/console.md).
    chunkSizeWarningLimit: 4096,
    reportCompressedSize: true,
    rolldownOptions: {
      // React libraries mark modules "use client" for server components; a page bundle has no use for the mark.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
