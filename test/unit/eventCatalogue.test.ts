import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allEvents } from '../../src/domain/events/all.js';
import { schemaFileName, schemaText } from '../../src/domain/events/emitSchemas.js';
import { Ledger } from '../../src/eventsourcing/ledger.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { EventCatalogue, EventValidationError } from '../../src/eventsourcing/validation.js';
import { removeDir, tempDir } from '../helpers/server.js';

const schemaDir = new URL('../../../schema/events/', import.meta.url);

describe('event catalogue', () => {
  const dir = tempDir();
  after(() => removeDir(dir));

  it('matches the committed JSON Schemas in schema/events (run npm run schema:emit after a change)', () => {
    const committed = readdirSync(schemaDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    assert.deepEqual(committed, allEvents.map((d) => schemaFileName(d.type, d.version)).sort());
    for (const d of allEvents) {
      assert.equal(
        readFileSync(new URL(schemaFileName(d.type, d.version), schemaDir), 'utf8'),
        schemaText(d.schema),
        d.type,
      );
    }
  });

  it('compiles every schema in strict mode (they are compiled lazily, on first use, in a server)', () => {
    assert.doesNotThrow(() => new EventCatalogue(allEvents).compileAll());
  });

  it('refuses an invalid or unknown event with a clear error and writes nothing', async () => {
    const store = await openSqliteEventStore(join(dir, 'ledger.sqlite'));
    try {
      const ledger = new Ledger(store, new EventCatalogue(allEvents));
      const ctx = { actor: 'system', correlationId: 'c' };
      const valid = {
        type: 'SigningKeyRetired',
        data: { kid: 'k', retiredAt: '2026-01-01T00:00:00Z', publishUntil: '2026-01-02T00:00:00Z' },
      };
      await assert.rejects(
        ledger.append(
          'keyring-x',
          [
            valid,
            {
              type: 'SigningKeyRetired',
              data: { kid: 'k', retiredAt: 'yesterday', publishUntil: '2026-01-02T00:00:00Z' },
            },
          ],
          'any',
          ctx,
        ),
        (err: Error) =>
          err instanceof EventValidationError &&
          /invalid SigningKeyRetired v1: \/retiredAt must match format "date-time"/.test(err.message),
      );
      await assert.rejects(
        ledger.append('keyring-x', [{ type: 'SigningKeyRetired', data: { ...valid.data, extra: 1 } }], 'any', ctx),
        /must NOT have additional properties \(extra\)/,
      );
      await assert.rejects(
        ledger.append('keyring-x', [{ type: 'NoSuchThing', data: {} }], 'any', ctx),
        /unknown event type NoSuchThing/,
      );
      assert.equal(await store.headPosition(), 0n, 'nothing was written');
      await ledger.append('keyring-x', [valid], 'no_stream', ctx);
      const [recorded] = await store.readStream('keyring-x');
      assert.deepEqual(recorded.data, valid.data);
      assert.equal(recorded.metadata.schemaVersion, 1);
      assert.equal(recorded.metadata.actor, 'system');
      assert.match(recorded.id, /^[0-9a-f-]{36}$/);
    } finally {
      await store.close();
    }
  });
});
