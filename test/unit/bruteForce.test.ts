import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import {
  ClientAuthThrottle,
  DEFAULT_CLIENT_THROTTLE,
  type ClientThrottleSettings,
} from '../../src/security/clientAuthThrottle.js';
import {
  admit,
  Escalation,
  type Block,
  type PublishedBlock,
  type SharedBlocks,
} from '../../src/security/escalatingThrottle.js';
import { OAuthError } from '../../src/oauth/errors.js';
import { sharedKey } from '../../src/domain/throttle/blocks.js';
import { throttlesProjection } from '../../projections/throttles.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';

const T0 = 1_800_000_000_000;
const guarded = (clientId: string) => ({ clientId, guarded: true });

/** An in-memory stand-in for the ledger view: what was published, and what another instance recorded. */
class FakeShared implements SharedBlocks {
  readonly published: PublishedBlock[] = [];
  readonly blocks = new Map<string, Block>();
  get(scope: PublishedBlock['scope'], tier: string, subject: string) {
    return this.blocks.get(sharedKey(scope, tier, subject));
  }
  async publish(block: PublishedBlock) {
    this.published.push(block);
  }
}

/** Milliseconds the throttle makes this request wait (0: allowed). */
function waitOf(
  t: ClientAuthThrottle,
  named: { clientId: string | undefined; guarded: boolean },
  ip: string,
  now: number,
): number {
  try {
    t.check(named, ip, now);
    return 0;
  } catch (err) {
    assert.ok(err instanceof OAuthError && err.status === 429 && err.error === 'temporarily_unavailable');
    return Number(err.headers['retry-after']) * 1000;
  }
}

const settings = (over: Partial<ClientThrottleSettings>): ClientThrottleSettings => ({
  ...DEFAULT_CLIENT_THROTTLE,
  ...over,
});

describe('client authentication throttle', () => {
  it('per client id: N free failures, then 1 s doubling to the cap; forgotten a window after the last block', async () => {
    const shared = new FakeShared();
    const t = new ClientAuthThrottle(
      settings({
        clientFailures: 3,
        ipFailures: 1_000_000,
        baseDelaySeconds: 1,
        maxDelaySeconds: 4,
        windowSeconds: 60,
      }),
      shared,
    );
    for (let i = 0; i < 2; i++) await t.recordFailure(guarded('svc'), `192.0.2.${i}`, T0);
    assert.equal(waitOf(t, guarded('svc'), '192.0.2.9', T0), 0);
    assert.equal(shared.published.length, 0, 'nothing recorded below the limit');
    const waits: number[] = [];
    let now = T0;
    for (let i = 0; i < 5; i++) {
      await t.recordFailure(guarded('svc'), '198.51.100.1', now);
      const w = waitOf(t, guarded('svc'), '192.0.2.9', now);
      waits.push(w);
      now += w;
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 4000, 4000], 'doubling, capped');
    assert.deepEqual(
      shared.published.map((b) => [b.scope, b.tier, b.subject, b.failures, b.until - T0]),
      [
        ['client', 'client', 'svc', 3, 1000],
        ['client', 'client', 'svc', 4, 1000 + 2000],
        ['client', 'client', 'svc', 5, 3000 + 4000],
        ['client', 'client', 'svc', 6, 7000 + 4000],
        ['client', 'client', 'svc', 7, 11000 + 4000],
      ],
      'one record per block',
    );
    assert.equal(waitOf(t, guarded('other'), '198.51.100.1', T0 + 1), 0, 'another client is not held back');
    now += 60_001;
    await t.recordFailure(guarded('svc'), '198.51.100.1', now);
    assert.equal(waitOf(t, guarded('svc'), '198.51.100.1', now), 0, 'a quiet window later the count starts again');
  });

  it('never counts per id what has no secret to guess: unknown, disabled or public clients', async () => {
    const shared = new FakeShared();
    const t = new ClientAuthThrottle(settings({ clientFailures: 1, ipFailures: 1_000_000 }), shared);
    for (let i = 0; i < 5; i++) await t.recordFailure({ clientId: 'spa', guarded: false }, `192.0.2.${i}`, T0);
    assert.equal(waitOf(t, { clientId: 'spa', guarded: false }, '192.0.2.100', T0), 0);
    assert.equal(shared.published.length, 0);
  });

  it('per IP across ids, an IPv6 /64 as one; never exempted, even for a trusted pair', async () => {
    const t = new ClientAuthThrottle(settings({ clientFailures: 1_000_000, ipFailures: 2 }));
    t.recordSuccess('svc', '2001:db8::1', T0);
    await t.recordFailure({ clientId: 'a', guarded: false }, '2001:db8::2', T0);
    assert.equal(waitOf(t, guarded('svc'), '2001:db8::1', T0), 0);
    await t.recordFailure({ clientId: undefined, guarded: false }, '2001:db8:0:0:1::3', T0);
    assert.equal(waitOf(t, guarded('svc'), '2001:db8::1', T0), 1000);
    assert.equal(waitOf(t, guarded('svc'), '2001:db8:0:1::1', T0), 0, 'another /64');
  });

  it('spares a (client id, address) pair that authenticated recently from the client-wide block, for the trust period', async () => {
    const t = new ClientAuthThrottle(
      settings({
        clientFailures: 1,
        ipFailures: 1_000_000,
        baseDelaySeconds: 600,
        maxDelaySeconds: 900,
        trustedSeconds: 10,
      }),
    );
    t.recordSuccess('svc', '198.51.100.7', T0);
    for (let i = 0; i < 5; i++) await t.recordFailure(guarded('svc'), `203.0.113.${i}`, T0 + 1000 * i);
    assert.ok(waitOf(t, guarded('svc'), '203.0.113.99', T0 + 5000) > 0, 'a new address waits');
    assert.equal(waitOf(t, guarded('svc'), '198.51.100.7', T0 + 5000), 0, 'the known address does not');
    const after = waitOf(t, guarded('svc'), '198.51.100.7', T0 + 11_000);
    assert.ok(
      after > 0 && after <= 900_000,
      `once the trust period is over it waits like any address, at most the cap: ${after} ms`,
    );
  });

  it('honours a block another instance recorded, and continues its count', async () => {
    const shared = new FakeShared();
    const t = new ClientAuthThrottle(
      settings({
        clientFailures: 3,
        ipFailures: 1_000_000,
        baseDelaySeconds: 1,
        maxDelaySeconds: 60,
        windowSeconds: 60,
      }),
      shared,
    );
    shared.blocks.set(sharedKey('client', 'client', 'svc'), { until: T0 + 5000, failures: 5 });
    assert.equal(waitOf(t, guarded('svc'), '192.0.2.1', T0), 5000);
    await t.recordFailure(guarded('svc'), '192.0.2.1', T0 + 6000);
    assert.deepEqual(
      shared.published.map((b) => [b.failures, b.until - (T0 + 6000)]),
      [[6, 8000]],
      'the sixth failure overall: 1 s × 2^3, not a fresh allowance',
    );
  });
});

describe('escalation core', () => {
  it('a clear ignores shared blocks recorded before it (a success starts afresh everywhere)', () => {
    const e = new Escalation('test', { freeFailures: 2, windowSeconds: 60, baseDelaySeconds: 1, maxDelaySeconds: 10 });
    const earlier: Block = { until: T0 + 1000, failures: 7 };
    e.clear('k', T0 + 2000);
    assert.equal(e.fail('k', T0 + 3000, earlier), undefined, 'the recorded count is not adopted after a clear');
    assert.deepEqual(e.fail('k', T0 + 3000, earlier), { until: T0 + 4000, failures: 2 });
  });

  it('admission: attempts under way count against the free failures, at most maxInFlight at once; the rest wait, then are refused once blocked', async () => {
    const e = new Escalation('test', { freeFailures: 3, windowSeconds: 60, baseDelaySeconds: 60, maxDelaySeconds: 60 });
    const tiers = () => [{ escalation: e, key: 'k', shared: undefined, maxInFlight: 2 }];
    const first = await admit(tiers);
    const second = await admit(tiers);
    assert.ok(first.allowed && second.allowed);
    const outcomes: string[] = [];
    const waiting = [0, 1, 2].map((i) =>
      admit(tiers).then((a) => (outcomes.push(`${i}:${a.allowed ? 'admitted' : `refused ${a.retryAfterSeconds}`}`), a)),
    );
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(outcomes, [], 'two under way: the third waits');
    e.fail('k', Date.now());
    first.reservation.release();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      outcomes,
      ['0:admitted'],
      'one failure counted, one under way: room for exactly one more of the three free',
    );
    e.fail('k', Date.now());
    second.reservation.release();
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(outcomes, ['0:admitted'], 'two counted, one under way: the budget is taken');
    e.fail('k', Date.now());
    const third = await waiting[0];
    assert.ok(third.allowed);
    third.reservation.release();
    await Promise.all(waiting);
    assert.deepEqual(
      outcomes,
      ['0:admitted', '1:refused 60', '2:refused 60'],
      'the third failure blocks: the waiters get its Retry-After',
    );
  });

  it('admission: a waiter gives up with Retry-After 1 when nothing under way ends in time', async () => {
    const e = new Escalation('test', { freeFailures: 5, windowSeconds: 60, baseDelaySeconds: 1, maxDelaySeconds: 1 });
    const tiers = () => [{ escalation: e, key: 'k', shared: undefined, maxInFlight: 1 }];
    const held = await admit(tiers);
    assert.ok(held.allowed);
    assert.deepEqual(await admit(tiers, 30), { allowed: false, retryAfterSeconds: 1 });
    assert.equal(e.waiting('k'), 0, 'a waiter that gave up leaves the queue');
    held.reservation.release();
    assert.ok((await admit(tiers, 30)).allowed);
  });

  it('refuses durations a block could not end after', () => {
    for (const p of [
      { freeFailures: 0, windowSeconds: 60, baseDelaySeconds: 1, maxDelaySeconds: 10 },
      { freeFailures: 1, windowSeconds: 60, baseDelaySeconds: 0, maxDelaySeconds: 10 },
      { freeFailures: 1, windowSeconds: 60, baseDelaySeconds: 10, maxDelaySeconds: 1 },
      { freeFailures: 1, windowSeconds: 2_000_000, baseDelaySeconds: 1, maxDelaySeconds: 1_000_000 },
    ]) {
      assert.throws(() => new Escalation('test', p), RangeError);
    }
  });
});

describe('throttles view', () => {
  const recorded = (type: string, data: object, at: number, position: number) =>
    ({
      id: `e${position}`,
      type,
      stream: 'throttle-x',
      revision: 0,
      position: BigInt(position),
      recordedAt: new Date(at),
      data,
      metadata: {},
    }) as unknown as RecordedEvent;
  const reduce = (events: RecordedEvent[]) =>
    events.reduce((s, e) => throttlesProjection.on[e.type](s, e), throttlesProjection.initialState());

  it('keeps the longest block and highest count per key, and drops blocks a day after they ended (by ledger time)', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const view = reduce([
      recorded(
        'ClientAuthenticationThrottled',
        { tier: 'client', subject: 'svc', failures: 4, until: iso(T0 + 2000) },
        T0,
        1,
      ),
      recorded(
        'ClientAuthenticationThrottled',
        { tier: 'client', subject: 'svc', failures: 3, until: iso(T0 + 1000) },
        T0,
        2,
      ),
      recorded('LoginThrottled', { tier: 'ip', subject: '192.0.2.1', failures: 101, until: iso(T0 + 900_000) }, T0, 3),
    ]);
    assert.deepEqual(view.blocks.get('client/client/svc'), { until: T0 + 2000, failures: 4 });
    assert.deepEqual(view.blocks.get('login/ip/192.0.2.1'), { until: T0 + 900_000, failures: 101 });
    const later = throttlesProjection.on.LoginThrottled(
      view,
      recorded(
        'LoginThrottled',
        { tier: 'account', subject: 'h', failures: 11, until: iso(T0 + 86_400_000 + 3000) },
        T0 + 86_400_000 + 2001,
        4,
      ),
    );
    assert.deepEqual([...later.blocks.keys()], ['login/ip/192.0.2.1', 'login/account/h']);
  });
});

describe('brute-force settings', () => {
  it('defaults, and 1000000 free failures accepted (a limit effectively off)', () => {
    assert.deepEqual(loadConfig({}).throttle, {
      clientFailures: 10,
      ipFailures: 100,
      loginFailures: 5,
      accountFailures: 10,
      baseDelaySeconds: 1,
      maxDelaySeconds: 900,
      windowSeconds: 3600,
      trustedSeconds: 604_800,
    });
    const off = loadConfig({ THROTTLE_CLIENT_FAILURES: '1000000', THROTTLE_IP_FAILURES: '1000000' }).throttle;
    assert.deepEqual([off.clientFailures, off.ipFailures], [1_000_000, 1_000_000]);
  });

  for (const [env, pattern] of [
    [
      { THROTTLE_CLIENT_FAILURES: '0' },
      /^THROTTLE_CLIENT_FAILURES="0" is invalid: expected a whole number from 1 to 1000000000$/,
    ],
    [{ THROTTLE_IP_FAILURES: 'many' }, /^THROTTLE_IP_FAILURES="many" is invalid/],
    [{ THROTTLE_LOGIN_FAILURES: '-1' }, /^THROTTLE_LOGIN_FAILURES="-1" is invalid/],
    [{ THROTTLE_ACCOUNT_FAILURES: '1.5' }, /^THROTTLE_ACCOUNT_FAILURES="1.5" is invalid/],
    [{ THROTTLE_BASE_DELAY_SECONDS: '0' }, /^THROTTLE_BASE_DELAY_SECONDS="0" is invalid/],
    [{ THROTTLE_MAX_DELAY_SECONDS: '99999999' }, /^THROTTLE_MAX_DELAY_SECONDS="99999999" is invalid/],
    [
      { THROTTLE_BASE_DELAY_SECONDS: '60', THROTTLE_MAX_DELAY_SECONDS: '30' },
      /^THROTTLE_MAX_DELAY_SECONDS=30 is invalid: expected at least THROTTLE_BASE_DELAY_SECONDS \(60\)$/,
    ],
    [{ THROTTLE_WINDOW_SECONDS: '0' }, /^THROTTLE_WINDOW_SECONDS="0" is invalid/],
    [{ THROTTLE_TRUSTED_SECONDS: '99999999' }, /^THROTTLE_TRUSTED_SECONDS="99999999" is invalid/],
  ] as const) {
    it(`refuses ${JSON.stringify(env)} with one line naming the variable`, () => {
      assert.throws(
        () => loadConfig(env),
        (e: Error) => e instanceof ConfigError && pattern.test(e.message) && !e.message.includes('\n'),
      );
    });
  }
});
