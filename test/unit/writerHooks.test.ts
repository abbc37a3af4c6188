import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { StoreUnavailableError, type NewEvent } from '../../src/eventsourcing/eventStore.js';
import { failpointHooks } from '../helpers/writerFailpoints.js';
import { removeDir, tempDir } from '../helpers/server.js';

const ev = (): NewEvent => ({
  id: randomUUID(),
  type: 'ThingHappened',
  data: { pad: 'x'.repeat(8000) },
  metadata: { actor: 'system', correlationId: randomUUID(), causationId: null, schemaVersion: 1 },
});

describe('the embedded writer runs the hooks its store was given, and none otherwise', () => {
  it('a disk-full failpoint injected through the options refuses writes while its flag exists', async () => {
    const dir = tempDir('tl-hooks-');
    const flag = join(dir, 'disk-is-full');
    const store = await openSqliteEventStore(join(dir, 'ledger.sqlite'), {
      writerHooks: failpointHooks(`disk-full:${flag}`),
    });
    try {
      await store.append(`thing-${randomUUID().replaceAll('-', '')}`, [ev()], 'no_stream');
      writeFileSync(flag, '');
      await assert.rejects(
        store.append(`thing-${randomUUID().replaceAll('-', '')}`, [ev(), ev()], 'no_stream'),
        StoreUnavailableError,
      );
      rmSync(flag);
      await store.append(`thing-${randomUUID().replaceAll('-', '')}`, [ev(), ev()], 'no_stream');
    } finally {
      await store.close();
      removeDir(dir);
    }
  });

  it('a spec the failpoints do not know is refused before any store opens', () => {
    assert.throws(() => failpointHooks('disk-ful:/x'), /failpoint "disk-ful:\/x" is invalid/);
  });
});
