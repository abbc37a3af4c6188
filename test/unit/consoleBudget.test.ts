/**
 * Issue 22: the console's JavaScript for its main pages stays under 250 KB gzipped. Measured on the build
 * (dist/console): the scripts index.html loads and everything they import statically; a chunk loaded only by a
 * dynamic import() (a page fetched on demand) is not part of the first load.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const DIST = fileURLToPath(new URL('../../console/', import.meta.url));
const BUDGET = 250 * 1024;

/** `import … from "./x.js"`, `import "./x.js"` and `export … from "./x.js"`, not `import("./x.js")`. */
const STATIC_IMPORT = /\b(?:import|export)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["'](\.{1,2}\/[^"']+\.js)["']/g;

function scriptsOf(html: string): string[] {
  const srcs = [...html.matchAll(/<script\b[^>]*\bsrc="\/console\/([^"]+)"/g)].map((m) => m[1]);
  const preloads = [...html.matchAll(/<link\b[^>]*rel="modulepreload"[^>]*href="\/console\/([^"]+)"/g)].map(
    (m) => m[1],
  );
  return [...srcs, ...preloads];
}

it('the console loads less than 250 KB of gzipped JavaScript', () => {
  assert.ok(existsSync(`${DIST}index.html`), 'dist/console is built by `npm run build`');
  const seen = new Set<string>();
  const queue = scriptsOf(readFileSync(`${DIST}index.html`, 'utf8'));
  assert.ok(queue.length > 0, 'index.html loads a script');
  let raw = 0;
  let gzipped = 0;
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(`${DIST}${file}`);
    raw += code.length;
    gzipped += gzipSync(code, { level: 9 }).length;
    const dir = file.slice(0, file.lastIndexOf('/') + 1);
    for (const m of code.toString('utf8').matchAll(STATIC_IMPORT)) {
      queue.push(new URL(m[1], `http://x/${dir}`).pathname.slice(1));
    }
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `# console JavaScript: ${seen.size} file(s), ${kb(raw)} raw, ${kb(gzipped)} gzipped (budget ${kb(BUDGET)})`,
  );
  assert.ok(gzipped < BUDGET, `the console's JavaScript is ${kb(gzipped)} gzipped, over the ${kb(BUDGET)} budget`);
});
