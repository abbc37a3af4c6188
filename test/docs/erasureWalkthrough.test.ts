import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../helpers/server.js';

/** docs/audit-erasure.md's walkthrough, its marked shell blocks run unedited from the checkout, in order. */
const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGE = readFileSync(join(CHECKOUT, 'docs/audit-erasure.md'), 'utf8');

function blocks(markdown: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of markdown.matchAll(/<!-- erasure:([\w-]+) -->\n```sh\n([\s\S]*?)```/g)) found.set(m[1], m[2]);
  return found;
}

describe('docs/audit-erasure.md walkthrough', () => {
  const dataDir = tempDir('tl-erasure-doc-');
  after(() => removeDir(dataDir));
  const run = (script: string) => {
    const ran = spawnSync('/bin/bash', ['-e', '-c', script], {
      cwd: CHECKOUT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dataDir, DATA_DIR: dataDir, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(ran.status, 0, `${script}\n${ran.stdout}\n${ran.stderr}`);
    return ran.stdout;
  };

  it('creates, erases, verifies and finds the name nowhere, as the page says', () => {
    const snippets = blocks(PAGE);
    assert.deepEqual([...snippets.keys()], ['create', 'erase', 'verify']);
    assert.match(run(snippets.get('create')!), /username: zelda\n(.|\n)*name: Zelda Example/);
    const erased = run(snippets.get('erase')!);
    assert.match(erased, /^user [0-9a-f-]{36} erased\n/);
    assert.match(
      erased,
      /username: erased\nemail: erased\nemail_verified: false\nname: erased\ndisabled: true\nerased: true/,
    );
    const verified = run(snippets.get('verify')!);
    assert.match(verified, /^ledger sound/);
    assert.match(verified, /users 1 \(1 erased\)/);
  });
});
