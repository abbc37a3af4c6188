import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGES = [
  'README.md',
  'SECURITY.md',
  'CHANGELOG.md',
  ...readdirSync(join(CHECKOUT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const withoutCode = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, '');

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const [, heading] of withoutCode(markdown).matchAll(/^#+ (.*)$/gm)) {
    out.add(
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}_\- ]/gu, '')
        .replace(/ /g, '-'),
    );
  }
  return out;
}

describe('documentation links', () => {
  it('every relative link in the README and docs/ names a file that exists, and a heading in it', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const file = join(CHECKOUT, page);
      for (const [, link] of withoutCode(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(link)) continue;
        const [path, anchor] = link.split('#');
        const target = path ? join(dirname(file), path) : file;
        if (!existsSync(target)) broken.push(`${page}: ${link} (no ${relative(CHECKOUT, target)})`);
        else if (anchor && target.endsWith('.md') && !anchors(readFileSync(target, 'utf8')).has(anchor))
          broken.push(`${page}: ${link} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });
});
