import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The operator console: a Preact single-page app served by the server under /console/ (src/http/routes/console.ts).
 * Hashed file names let the server mark every asset immutable; index.html is the only file that revalidates.
 */
export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [preact()],
  // The server's CSP allows no inline script or style: no module-preload polyfill (an inline script otherwise).
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    modulePreload: { polyfill: false },
    // A small icon or font would otherwise become a data: URL inside the CSS; kept as files, like every asset.
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2022',
    reportCompressedSize: false,
  },
});
