import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sinksDecider, SinkRefused, type SinkCommand } from '../../src/domain/sinks/decide.js';
import { backoffMs } from '../../src/feed/delivery.js';

const sealed = { enc: 'A256GCM', kdf: 'scrypt', salt: 's', iv: 'i', tag: 't', ciphertext: 'c' } as const;
const rules = { fileIds: new Set(['file']), allowHttpLoopback: false, eventTypes: new Set(['ClientRegistered']) };

function run(commands: SinkCommand[]) {
  let state = sinksDecider.initialState();
  const out = [];
  for (const c of commands) {
    const events = sinksDecider.decide(c, state);
    for (const e of events) state = sinksDecider.evolve(state, e);
    out.push(...events);
  }
  return { state, out };
}

describe('sinks decider', () => {
  const set: SinkCommand = {
    type: 'SetEventSink',
    settings: { id: 'a', url: 'https://a.example/' },
    secret: sealed,
    ...rules,
  };

  it('parks once, at the position given; resume clears it', () => {
    const park: SinkCommand = {
      type: 'ParkEventSink',
      id: 'a',
      position: 41n,
      failingSince: new Date('2026-01-01T00:00:00Z'),
      lastError: 'HTTP 500',
    };
    const { state, out } = run([set, park, park]);
    assert.deepEqual(
      out.map((e) => e.type),
      ['EventSinkSet', 'EventSinkParked'],
    );
    assert.deepEqual(state.parked.get('a'), {
      position: '41',
      failingSince: '2026-01-01T00:00:00.000Z',
      lastError: 'HTTP 500',
    });
    const resumed = run([set, park, { type: 'ResumeEventSink', id: 'a', fileIds: rules.fileIds }]);
    assert.equal(resumed.state.parked.size, 0);
  });

  it('a file sink can be parked and resumed, never removed', () => {
    const park: SinkCommand = {
      type: 'ParkEventSink',
      id: 'file',
      position: 0n,
      failingSince: new Date(),
      lastError: 'x',
    };
    const { state } = run([park, { type: 'ResumeEventSink', id: 'file', fileIds: rules.fileIds }]);
    assert.equal(state.parked.size, 0);
    assert.throws(
      () => sinksDecider.decide({ type: 'RemoveEventSink', id: 'file', fileIds: rules.fileIds }, state),
      (err: unknown) => err instanceof SinkRefused && err.code === 'sink_in_file',
    );
  });

  it('set without a secret keeps the stored one; a new sink needs one', () => {
    const { state } = run([set, { ...set, settings: { id: 'a', url: 'https://b.example/' }, secret: undefined }]);
    assert.equal(state.sinks.get('a')?.url, 'https://b.example/');
    assert.deepEqual(state.sinks.get('a')?.secret, sealed);
    assert.throws(
      () => sinksDecider.decide({ ...set, settings: { id: 'b', url: 'https://b.example/' }, secret: undefined }, state),
      (err: unknown) => err instanceof SinkRefused && err.code === 'invalid_sink',
    );
  });

  it('backoff doubles from half a second with jitter in the upper half, capped', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      const ceiling = Math.min(300_000, 500 * 2 ** attempt);
      const d = backoffMs(attempt, 300_000);
      assert.ok(d >= ceiling / 2 && d <= ceiling, `attempt ${attempt}: ${d}`);
    }
  });
});
