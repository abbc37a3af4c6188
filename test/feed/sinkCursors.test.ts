import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ownerName, SqliteCursors } from '../../src/feed/sqliteCursors.js';
import { removeDir, tempDir } from '../helpers/server.js';

describe('sink cursors in DATA_DIR/feed.sqlite', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('one owner per sink; a live owner keeps it until its lease expires; positions move only for the owner', async () => {
    const file = join(dir, 'a.sqlite');
    const one = new SqliteCursors(file);
    const two = new SqliteCursors(file);
    try {
      const a = ownerName('a');
      // Another host's owner: only its lease's expiry frees the sink.
      const remote = `elsewhere.example:1:b`;
      const soon = Date.now() + 300;
      assert.equal(await one.lease('siem', remote, soon), true);
      assert.equal(await two.lease('siem', a, Date.now() + 30_000), false);
      assert.equal(await two.advance('siem', a, 5n, new Date()), false);
      assert.equal((await one.get('siem')).position, 0n);
      await new Promise((r) => setTimeout(r, 350));
      assert.equal(await two.lease('siem', a, Date.now() + 30_000), true);
      assert.equal(await one.lease('siem', remote, Date.now() + 30_000), false);
      assert.equal(await two.advance('siem', a, 5n, new Date()), true);
      assert.equal((await one.get('siem')).position, 5n);
    } finally {
      one.close();
      two.close();
    }
  });

  it('an owner on this host whose process is gone, or an earlier process with this pid, is replaced at once', async () => {
    const cursors = new SqliteCursors(join(dir, 'b.sqlite'));
    try {
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
      assert.equal(await cursors.lease('siem', `${hostname()}:${gone}:x`, Date.now() + 30_000), true);
      assert.equal(await cursors.lease('siem', ownerName('me'), Date.now() + 30_000), true);
      assert.equal(await cursors.lease('other', `${hostname()}:${process.pid}:earlier`, Date.now() + 30_000), true);
      assert.equal(await cursors.lease('other', ownerName('me'), Date.now() + 30_000), true);
      // A live process of this host (the parent of this test) keeps its lease.
      assert.equal(await cursors.lease('third', `${hostname()}:${process.ppid}:x`, Date.now() + 30_000), true);
      assert.equal(await cursors.lease('third', ownerName('me'), Date.now() + 30_000), false);
    } finally {
      cursors.close();
    }
  });

  it('failures keep their first time until a delivery succeeds', async () => {
    const cursors = new SqliteCursors(join(dir, 'c.sqlite'));
    try {
      const me = ownerName('me');
      await cursors.lease('siem', me, Date.now() + 30_000);
      const first = await cursors.fail('siem', me, 'HTTP 500', new Date(1_000));
      const second = await cursors.fail('siem', me, 'ECONNREFUSED', new Date(2_000));
      assert.equal(first.failingSince?.getTime(), 1_000);
      assert.deepEqual([second.failingSince?.getTime(), second.lastError], [1_000, 'ECONNREFUSED']);
      await cursors.advance('siem', me, 1n, new Date(3_000));
      const ok = await cursors.get('siem');
      assert.deepEqual([ok.failingSince, ok.lastError, ok.lastDeliveredAt?.getTime()], [undefined, undefined, 3_000]);
    } finally {
      cursors.close();
    }
  });
});
