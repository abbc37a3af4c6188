import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, NewEvent } from '../../src/eventsourcing/eventStore.js';
import { ProjectionRunner, codeFingerprint } from '../../src/eventsourcing/projectionRunner.js';
import { openSqliteEventStore } from '../../src/stores/sqlite/sqliteEventStore.js';
import { defineProjection, type Projection } from '../../projections/projection.js';
import { activeTokenCount, activeTokensProjection, tokenByHash } from '../../projections/activeTokens.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { readCheckpoint, writeCheckpoint } from '../../src/eventsourcing/checkpointFile.js';

const counter = defineProjection<{ count: number; seen: string[] }>({
  name: 'counter',
  version: 1,
  initialState: () => ({ count: 0, seen: [] }),
  on: { Counted: (s, e) => ({ count: s.count + 1, seen: [...s.seen, e.id] }) },
});

const metadata = { actor: 'system', correlationId: 'c', causationId: null, schemaVersion: 1 };
const hashOf = (i: number) => createHash('sha256').update(`token-${i}`).digest('base64url');
const tokenEvent = (i: number): NewEvent => ({
  id: randomUUID(),
  type: 'AccessTokenIssued',
  data: {
    jti: randomUUID(),
    tokenHash: hashOf(i),
    format: 'jwt',
    clientId: `c${i % 4}`,
    sub: `u${i % 7}`,
    scope: 'a b',
    aud: ['x'],
    iat: 1,
    exp: 4_000_000_000,
    grantType: 'client_credentials',
    kid: 'k',
    grantId: i % 5 ? null : `g${i % 3}`,
  },
  metadata,
});

/** 300 tokens, a few revoked, and `counted` Counted events. */
async function fill(store: EventStore, counted = 5): Promise<void> {
  for (let i = 0; i < 300; i += 50)
    await store.append(
      `t-${i}`,
      Array.from({ length: 50 }, (_, k) => tokenEvent(i + k)),
      'no_stream',
    );
  await store.append(
    'g',
    [{ id: randomUUID(), type: 'GrantRevoked', data: { grantId: 'g1', reason: 'r' }, metadata }],
    'no_stream',
  );
  for (let i = 0; i < counted; i++)
    await store.append(`c-${randomUUID()}`, [{ id: randomUUID(), type: 'Counted', data: {}, metadata }], 'no_stream');
}

type Logs = string[];
const logger = (logs: Logs) => ({
  info: (o: object, msg: string) => logs.push(`${msg} ${JSON.stringify(o)}`),
  warn: (o: object, msg: string) => logs.push(`WARN ${msg} ${JSON.stringify(o)}`),
});

describe('view checkpoints', () => {
  const dir = tempDir();
  after(() => removeDir(dir));
  let n = 0;

  /** A ledger with events, and a checkpoint of it written by a server-like runner. */
  async function ledgerWithCheckpoint(projections: Projection<any>[] = [counter, activeTokensProjection]) {
    const base = join(dir, `l${++n}`);
    const checkpointDir = join(base, 'views');
    const store = await openSqliteEventStore(join(base, 'ledger.sqlite'));
    await fill(store);
    const writer = new ProjectionRunner(store, projections, { checkpointDir, writeCheckpoints: true });
    await writer.start();
    await writer.close();
    return { store, checkpointDir, file: join(checkpointDir, 'views.checkpoint'), position: writer.position };
  }

  async function startWith(
    store: EventStore,
    checkpointDir: string,
    projections: Projection<any>[] = [counter, activeTokensProjection],
  ) {
    const logs: Logs = [];
    const runner = new ProjectionRunner(store, projections, { checkpointDir, log: logger(logs) });
    await runner.start();
    await runner.close();
    return { runner, logs, restored: logs.some((l) => l.startsWith('views restored')) };
  }

  function assertTokensRight(runner: ProjectionRunner) {
    const view = runner.view(activeTokensProjection);
    // 300 issued; grant g1 (i % 5 === 0 and i % 3 === 1: 20 tokens) revoked.
    assert.equal(activeTokenCount(view), 280);
    for (let i = 0; i < 300; i++)
      assert.equal(tokenByHash(view, hashOf(i)) === undefined, i % 5 === 0 && i % 3 === 1, `token ${i}`);
    assert.equal(runner.view(counter).count, 5);
  }

  it('restores views equal to the ones a rebuild gives, with a log line saying how long it took', async () => {
    const { store, checkpointDir, position } = await ledgerWithCheckpoint();
    const restored = await startWith(store, checkpointDir);
    assert.ok(restored.restored, restored.logs.join('\n'));
    assert.match(restored.logs.join(), /"perView":\{"counter":\d+,"activeTokens":\d+\}/);
    assert.equal(restored.runner.position, position);
    const rebuilt = await startWith(store, join(dir, 'nowhere'));
    assert.equal(rebuilt.restored, false);
    assert.deepEqual(
      restored.runner.view(counter),
      rebuilt.runner.view(counter),
      'the reducer did not run again: same event ids',
    );
    assert.deepEqual(restored.runner.view(activeTokensProjection), rebuilt.runner.view(activeTokensProjection));
    assertTokensRight(restored.runner);
    await store.close();
  });

  for (const [damage, spoil] of [
    [
      'a flipped byte in a view',
      (b: Buffer) => {
        b[b.length - 100] ^= 0x01;
        return b;
      },
    ],
    [
      'a flipped byte in the header',
      (b: Buffer) => {
        b[50] ^= 0x20;
        return b;
      },
    ],
    ['a truncated file', (b: Buffer) => b.subarray(0, Math.floor(b.length / 2))],
    ['a file cut inside its prefix', (b: Buffer) => b.subarray(0, 20)],
    ['an empty file', () => Buffer.alloc(0)],
  ] as const) {
    it(`ignores a checkpoint with ${damage}, says so, and rebuilds the views`, async () => {
      const { store, checkpointDir, file } = await ledgerWithCheckpoint();
      writeFileSync(file, spoil(readFileSync(file)));
      const { runner, logs, restored } = await startWith(store, checkpointDir);
      assert.equal(restored, false);
      assert.match(logs.join('\n'), /WARN views rebuilt from the start of the ledger .*(corrupt|unreadable)/);
      assertTokensRight(runner);
      await store.close();
    });
  }

  it('rebuilds a view whose version was bumped, or whose reducer code changed without a bump', async () => {
    const { store, checkpointDir } = await ledgerWithCheckpoint([counter]);
    const bumped = { ...counter, version: 2 };
    let started = await startWith(store, checkpointDir, [bumped]);
    assert.equal(started.restored, false);
    assert.match(started.logs.join(), /view counter changed/);

    const edited = defineProjection<{ count: number; seen: string[] }>({
      ...counter,
      on: { Counted: (s, e) => ({ count: s.count + 2, seen: [...s.seen, e.id] }) },
    });
    assert.notEqual(codeFingerprint(edited), codeFingerprint(counter));
    started = await startWith(store, checkpointDir, [edited]);
    assert.equal(started.restored, false);
    assert.match(started.logs.join(), /view counter changed/);
    assert.equal(started.runner.view(edited).count, 10);

    const same = defineProjection({ ...counter });
    assert.equal(codeFingerprint(same), codeFingerprint(counter), 'the same code, the same fingerprint');
    assert.equal((await startWith(store, checkpointDir, [same])).restored, true);
    await store.close();
  });

  it('keeps the previous checkpoint usable when a crash interrupts a write', async () => {
    const { store, checkpointDir, file, position } = await ledgerWithCheckpoint();
    const before = readFileSync(file);
    // A crash before the rename leaves a partial temporary file next to the checkpoint.
    const abandoned = `${file}.999999999.tmp`;
    writeFileSync(abandoned, before.subarray(0, 1000));
    let started = await startWith(store, checkpointDir);
    assert.ok(started.restored);
    assert.equal(started.runner.position, position);

    // A write that fails (here: the temporary path cannot be opened) is logged; the old file stays.
    await store.append('c-more', [{ id: randomUUID(), type: 'Counted', data: {}, metadata }], 'no_stream');
    const tmp = `${file}.${process.pid}.tmp`;
    mkdirSync(tmp);
    const logs: Logs = [];
    const writer = new ProjectionRunner(store, [counter, activeTokensProjection], {
      checkpointDir,
      writeCheckpoints: true,
      log: logger(logs),
    });
    await writer.start();
    await writer.close();
    assert.match(logs.join('\n'), /WARN checkpoint not written/);
    assert.equal(existsSync(abandoned), false, "a dead process's temporary file is removed");
    assert.deepEqual(readFileSync(file), before);
    started = await startWith(store, checkpointDir);
    assert.ok(started.restored);
    assert.equal(started.runner.view(counter).count, 6, 'restored at the old position, then caught up');

    // Once writing works again, the next checkpoint replaces it whole, readable only by its owner.
    removeDir(tmp);
    const again = new ProjectionRunner(store, [counter, activeTokensProjection], {
      checkpointDir,
      writeCheckpoints: true,
    });
    await again.start();
    await again.close();
    assert.notDeepEqual(readFileSync(file), before);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal((await startWith(store, checkpointDir)).runner.view(counter).count, 6);
    await store.close();
  });

  it('writes typed arrays straight from the state and reads them back as the same types and bytes, wherever they sit', async () => {
    const backing = new Float64Array([1.5, 2.5, 3.5, 4.5]);
    const state = {
      odd: Uint8Array.from([1, 2, 3]),
      floats: new Float64Array([0.1, -2, Number.MAX_VALUE]),
      tail: backing.subarray(1, 3),
      nested: new Map<string, unknown>([
        ['ids', [new Uint32Array([7, 8, 9]), new Int32Array(0)]],
        ['buf', Buffer.from('abc')],
      ]),
      big: new BigInt64Array([-5n]),
      dv: new DataView(new ArrayBuffer(6)),
      plain: { n: 1, s: 'x', list: [1, 'two'] },
    };
    state.dv.setInt16(2, -300);
    const base = join(dir, `arrays-${++n}`);
    const file = join(base, 'views.checkpoint');
    await writeCheckpoint(base, file, { position: '1', lastEvent: null }, [
      { name: 'v', version: 1, code: 'c', state },
    ]);
    const read = readCheckpoint(file);
    if (typeof read === 'string') assert.fail(read);
    const back = read.state('v') as typeof state;
    assert.deepEqual(back, state);
    assert.ok(Buffer.isBuffer(back.nested.get('buf')), 'a Buffer comes back as a Buffer');
    assert.equal(back.dv.getInt16(2), -300);
    assert.equal(back.floats.byteOffset % 8, 0, 'a Float64Array sits at an 8-byte boundary of its section');
  });

  it('is a cut of the views when it is called: changes made while it is hashed and fsynced are not in it', async () => {
    const state = { bytes: new Uint8Array(1 << 20).fill(1), count: 1 };
    const base = join(dir, `cut-${++n}`);
    const file = join(base, 'views.checkpoint');
    const writing = writeCheckpoint(base, file, { position: '1', lastEvent: null }, [
      { name: 'v', version: 1, code: 'c', state },
    ]);
    state.bytes.fill(2);
    state.count = 2;
    await writing;
    const read = readCheckpoint(file);
    if (typeof read === 'string') assert.fail(read);
    const back = read.state('v') as typeof state;
    assert.equal(back.count, 1);
    assert.ok(back.bytes.every((b) => b === 1));
  });
});
