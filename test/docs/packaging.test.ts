import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CHECKOUT = fileURLToPath(new URL('../../../', import.meta.url));
const json = (file: string) => JSON.parse(readFileSync(join(CHECKOUT, file), 'utf8'));

describe('packaging', () => {
  it('allowScripts names every locked package with an install script, and nothing else', () => {
    const lock = json('package-lock.json') as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    assert.deepEqual(Object.keys(json('package.json').allowScripts).sort(), [...new Set(withScripts)].sort());
  });

  it('data directories (a ledger and its key-encryption secret) stay out of git and of docker builds', (t) => {
    const dockerignore = readFileSync(join(CHECKOUT, '.dockerignore'), 'utf8').split('\n');
    assert.ok(dockerignore.includes('data*'), '.dockerignore leaves out data*');
    if (!existsSync(join(CHECKOUT, '.git'))) return t.skip('not a git checkout');
    for (const file of ['data/ledger.sqlite', 'data-web/key-encryption.secret', 'data-new/key-encryption.secret']) {
      const r = spawnSync('git', ['check-ignore', '-q', file], { cwd: CHECKOUT });
      assert.equal(r.status, 0, `git ignores ${file}`);
    }
  });
});
