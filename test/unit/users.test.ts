import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import {
  checkPersonalData,
  checkUsername,
  decideUser,
  decideUsernameClaim,
  normaliseUsername,
  UserCommandError,
  type UserCommand,
} from '../../src/domain/users/decide.js';
import type { PasswordHash, UserEvent, WrittenUserEvent } from '../../src/domain/users/events.js';
import { usernameKeyer } from '../../src/crypto/personalData.js';
import { evolveUser } from '../../src/domain/users/evolve.js';
import type { UserStreamState } from '../../src/domain/users/state.js';
import {
  DUMMY_HASH,
  hashPassword,
  needsRehash,
  PASSWORD_SCRYPT,
  verifyPassword,
} from '../../src/security/passwords.js';
import {
  ipKey,
  LoginThrottle,
  DEFAULT_LOGIN_THROTTLE,
  type EscalationPolicy,
} from '../../src/security/loginThrottle.js';
import { legacyUsernameStream, usernameStream } from '../../src/domain/users/streams.js';
import { usersProjection, type UsersView } from '../../projections/users.js';
import type { RecordedEvent } from '../../src/eventsourcing/eventStore.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const hash: PasswordHash = { alg: 'scrypt', salt: 's'.repeat(22), hash: 'h'.repeat(43), N: 1024, r: 8, p: 1 };
const sub = '01900000-0000-7000-8000-000000000001';

type AnyUserEvent = UserEvent | WrittenUserEvent;
const { given } = deciderSpec<UserCommand, UserStreamState, AnyUserEvent>({
  initialState: () => undefined,
  // Given events are as read: personal data opened (personalDataStore).
  evolve: (state, e) => evolveUser(state, e as UserEvent),
  decide: decideUser,
});
const usernameKey = 'k'.repeat(64);
const pii = 'eyJhbGciOiJkaXIifQ..aXY.Y2lwaGVy.dGFn';
const register = (c: Partial<Extract<UserCommand, { type: 'RegisterUser' }>> = {}): UserCommand => ({
  type: 'RegisterUser',
  sub,
  usernameKey,
  pii,
  emailVerified: false,
  passwordHash: hash,
  ...c,
});
/** As read back: the seal opened. */
const registered: UserEvent = {
  type: 'UserRegistered',
  data: { sub, usernameKey, username: 'alice', emailVerified: false, passwordHash: hash },
};
const disabled: UserEvent = { type: 'UserDisabled', data: { sub } };
const erasedEvent: UserEvent = { type: 'UserErased', data: { sub } };
const code = (c: string) => (e: unknown) => e instanceof UserCommandError && e.code === c;
const personal = (c: Partial<Parameters<typeof checkPersonalData>[0]> = {}) =>
  checkPersonalData({ username: 'alice', emailVerified: false, ...c });

describe('user decider', () => {
  it('registers a new user with the personal data sealed and the username keyed, nothing in clear', () => {
    given([])
      .when(register())
      .then([{ type: 'UserRegistered', data: { sub, usernameKey, pii, emailVerified: false, passwordHash: hash } }]);
  });
  it('refuses a second registration of the same sub', () => {
    given([registered]).when(register()).thenThrows(code('user_exists'));
  });
  it('changes a password and disables', () => {
    given([registered])
      .when({
        type: 'ChangePassword',
        sub,
        passwordHash: { ...hash, hash: 'x'.repeat(43) },
        keepSessions: true,
      })
      .then([{ type: 'UserPasswordChanged', data: { sub, passwordHash: { ...hash, hash: 'x'.repeat(43) } } }]);
    given([registered]).when({ type: 'DisableUser', sub }).then([disabled]);
  });
  it('a password change signs the user out everywhere in the same decision, unless keepSessions', () => {
    const passwordHash = { ...hash, hash: 'x'.repeat(43) };
    const changed: UserEvent = { type: 'UserPasswordChanged', data: { sub, passwordHash } };
    const revoked: UserEvent = { type: 'UserSessionsRevoked', data: { sub } };
    given([registered]).when({ type: 'ChangePassword', sub, passwordHash }).then([changed, revoked]);
    given([registered])
      .when({ type: 'ChangePassword', sub, passwordHash, keepSessions: false })
      .then([changed, revoked]);
    given([registered]).when({ type: 'ChangePassword', sub, passwordHash, keepSessions: true }).then([changed]);
  });
  it('enables a disabled user; enabling an enabled one writes nothing; an unknown one is user_not_found', () => {
    const enabled: UserEvent = { type: 'UserEnabled', data: { sub } };
    given([registered, disabled]).when({ type: 'EnableUser', sub }).then([enabled]);
    given([registered]).when({ type: 'EnableUser', sub }).then([]);
    given([registered, disabled, enabled]).when({ type: 'EnableUser', sub }).then([]);
    given([]).when({ type: 'EnableUser', sub }).thenThrows(code('user_not_found'));
    assert.equal(evolveUser(evolveUser(evolveUser(undefined, registered), disabled), enabled)?.disabled, false);
    given([registered, disabled, enabled]).when({ type: 'DisableUser', sub }).then([disabled]);
  });
  it('refuses changes to an unknown or disabled user', () => {
    given([]).when({ type: 'DisableUser', sub }).thenThrows(code('user_not_found'));
    given([]).when({ type: 'ChangePassword', sub, passwordHash: hash }).thenThrows(code('user_not_found'));
    given([registered, disabled])
      .when({ type: 'ChangePassword', sub, passwordHash: hash })
      .thenThrows(code('user_disabled'));
    given([registered, disabled]).when({ type: 'DisableUser', sub }).thenThrows(code('user_disabled'));
  });
  it('erases: disables first if need be, then UserErased; erasing again writes nothing', () => {
    given([registered]).when({ type: 'EraseUser', sub }).then([disabled, erasedEvent]);
    given([registered, disabled]).when({ type: 'EraseUser', sub }).then([erasedEvent]);
    given([registered, disabled, erasedEvent]).when({ type: 'EraseUser', sub }).then([]);
    given([]).when({ type: 'EraseUser', sub }).thenThrows(code('user_not_found'));
  });
  it('an erased user is never enabled again, nor changed', () => {
    const after = [registered, disabled, erasedEvent];
    given(after).when({ type: 'EnableUser', sub }).thenThrows(code('user_erased'));
    given(after).when({ type: 'ChangePassword', sub, passwordHash: hash }).thenThrows(code('user_erased'));
    given(after).when({ type: 'DisableUser', sub }).thenThrows(code('user_erased'));
  });
  it('an erased user reads `erased` in every personal field, and stays disabled', () => {
    const s = [registered, disabled, erasedEvent].reduce<UserStreamState>(
      (st, e) => evolveUser(st, e, 7000),
      undefined,
    );
    assert.deepEqual(
      [s?.username, s?.email, s?.name, s?.erased, s?.disabled, s?.sub, s?.usernameKey],
      ['erased', 'erased', 'erased', true, true, sub, usernameKey],
    );
  });
  for (const [name, c] of [
    ['an empty username', { username: '' }],
    ['a username of 65 characters', { username: 'a'.repeat(65) }],
    ['a username with a space', { username: 'al ice' }],
    ['a username with a slash', { username: 'al/ice' }],
    ['a non-ASCII username', { username: 'alicé' }],
    ['a username that looks like a sub', { username: uuidv7() }],
    ['the username erased (the marker of erased data)', { username: 'Erased' }],
    ['an invalid email', { email: 'not-an-email' }],
    ['email_verified without an email', { emailVerified: true }],
    ['a blank name', { name: '  ' }],
    ['a name with a control character', { name: 'Alice\nExample' }],
  ] as const) {
    it(`refuses ${name} (invalid_user)`, () => {
      assert.throws(() => personal(c), code('invalid_user'));
    });
  }
  it('accepts 64-character usernames with . _ @ + -, keeps their case, and compares them normalised', () => {
    const long = `${'a'.repeat(49)}.b_c@d+e-f12345`;
    assert.equal(long.length, 64);
    assert.equal(personal({ username: long }), long);
    assert.equal(personal({ username: 'Alice.Example', email: 'a@example.com', name: 'A' }), 'Alice.Example');
    assert.equal(normaliseUsername('Alice.Example'), 'alice.example');
    assert.equal(checkUsername('ａｌｉｃｅ'), 'alice', 'full-width letters are NFKC-normalised');
    assert.equal(normaliseUsername('ＡＬＩＣＥ'), 'alice');
  });
  it('counts every end of everything the user held (disable, sign-out everywhere); the latter is no profile change', () => {
    const s1 = evolveUser(undefined, registered, 1000);
    const s2 = evolveUser(s1, { type: 'UserSessionsRevoked', data: { sub } }, 2000);
    const s3 = evolveUser(s2, disabled, 3000);
    assert.deepEqual([s1?.revocations, s2?.revocations, s3?.revocations], [0, 1, 2]);
    assert.equal(s2?.updatedAt, 1000, 'OIDC updated_at is about the profile');
  });
  it('keeps the recorded time as updatedAt', () => {
    const s1 = evolveUser(undefined, registered, 1000);
    const s2 = evolveUser(s1, disabled, 5000);
    assert.deepEqual([s2?.createdAt, s2?.updatedAt, s2?.disabled], [1000, 5000, true]);
  });
});

describe('username claim decider', () => {
  it('claims a free name by its keyed hash, once per sub, and refuses it to any other sub', () => {
    const claim = { type: 'ClaimUsername', username: 'Alice', usernameKey, sub } as const;
    assert.deepEqual(decideUsernameClaim(claim, undefined), [{ type: 'UsernameClaimed', data: { usernameKey, sub } }]);
    assert.deepEqual(decideUsernameClaim(claim, { sub }), []);
    assert.throws(
      () => decideUsernameClaim({ ...claim, username: 'ALICE', sub: uuidv7() }, { sub }),
      (e: UserCommandError) => e.code === 'user_exists' && e.message === 'username ALICE is taken',
    );
  });
  it('puts names that differ only in case or width in the same stream, named by a keyed hash', () => {
    const keyed = usernameKeyer('a test key encryption secret of at least 32 characters');
    assert.equal(usernameStream(keyed('Alice')), usernameStream(keyed('ａｌｉｃｅ')));
    assert.match(usernameStream(keyed('alice')), /^username-[0-9a-f]{64}$/);
    assert.notEqual(keyed('alice'), usernameKeyer('another secret of at least thirty-two characters')('alice'));
    assert.equal(legacyUsernameStream('Alice'), legacyUsernameStream('ａｌｉｃｅ'));
    assert.match(legacyUsernameStream('alice'), /^username-[A-Za-z0-9_-]{43}$/);
  });
});

describe('users view', () => {
  const recorded = (e: UserEvent, at: number, position: bigint): RecordedEvent =>
    ({
      ...e,
      id: uuidv7(),
      stream: `user-${e.data.sub}`,
      revision: 0,
      position,
      recordedAt: new Date(at),
      metadata: {},
    }) as unknown as RecordedEvent;
  it('indexes users by sub and by normalised username, with updatedAt from the recorded time', () => {
    let view: UsersView = usersProjection.initialState();
    const { usernameKey: _sealed, ...firstRelease } = registered.data;
    const events: UserEvent[] = [
      { type: 'UserRegistered', data: { ...firstRelease, username: 'Alice' } },
      { type: 'UserPasswordChanged', data: { sub, passwordHash: hash } },
    ];
    events.forEach((e, i) => {
      view = usersProjection.on[e.type](view, recorded(e, 1000 * (i + 1), BigInt(i + 1)));
    });
    assert.equal(view.byUsername.get('alice'), sub);
    const u = view.bySub.get(sub)!;
    assert.deepEqual([u.username, u.createdAt, u.updatedAt, u.disabled], ['Alice', 1000, 2000, false]);
    assert.deepEqual(Object.keys(usersProjection.on).sort(), [
      'RoleGranted',
      'RoleRevoked',
      'UserDisabled',
      'UserEnabled',
      'UserErased',
      'UserPasswordChanged',
      'UserRegistered',
      'UserSessionsRevoked',
    ]);
  });
});

describe('passwords', () => {
  it('hashes with scrypt N=2^15, r=8, p=1 and a 16-byte salt, and verifies', async () => {
    const h = await hashPassword('correct horse battery');
    assert.deepEqual([h.alg, h.N, h.r, h.p], ['scrypt', 2 ** 15, 8, 1]);
    assert.equal(Buffer.from(h.salt, 'base64url').length, 16);
    assert.equal(Buffer.from(h.hash, 'base64url').length, 32);
    assert.ok(!JSON.stringify(h).includes('correct horse'));
    assert.notEqual((await hashPassword('correct horse battery')).salt, h.salt, 'a fresh salt every time');
    assert.equal(await verifyPassword('correct horse battery', h), true);
    assert.equal(await verifyPassword('correct horse batterY', h), false);
    assert.equal(await verifyPassword('', h), false);
    assert.equal(needsRehash(h), false);
    assert.equal(needsRehash({ ...h, N: 2 ** 14 }), true);
  });
  it('compares passwords in NFKC', async () => {
    const h = await hashPassword('pässword12');
    assert.equal(await verifyPassword('pa\u0308ssword12', h), true, 'a combining diaeresis is the same password');
  });
  it('refuses passwords shorter than 8 or longer than 1024 characters', async () => {
    await assert.rejects(
      hashPassword('1234567'),
      (e: UserCommandError) => e.code === 'invalid_user' && /at least 8/.test(e.message),
    );
    await assert.rejects(
      hashPassword('x'.repeat(1025)),
      (e: UserCommandError) => e.code === 'invalid_user' && /at most 1024/.test(e.message),
    );
    assert.equal((await hashPassword('12345678')).alg, 'scrypt');
    assert.equal((await hashPassword('😀'.repeat(1024))).alg, 'scrypt', 'characters, not UTF-16 units');
  });
  it('costs the same for an unknown user (DUMMY_HASH) as for a known one, and never matches', async () => {
    assert.deepEqual(
      [DUMMY_HASH.N, DUMMY_HASH.r, DUMMY_HASH.p],
      [PASSWORD_SCRYPT.N, PASSWORD_SCRYPT.r, PASSWORD_SCRYPT.p],
    );
    // Same algorithm and cost parameters as a real hash, so an unknown user costs one full scrypt too
    // (asserted structurally: a timed assertion would flake on a loaded machine).
    const h = await hashPassword('correct horse battery');
    assert.deepEqual([h.alg, h.N, h.r, h.p], [DUMMY_HASH.alg, DUMMY_HASH.N, DUMMY_HASH.r, DUMMY_HASH.p]);
    assert.equal(Buffer.from(DUMMY_HASH.salt, 'base64url').length, Buffer.from(h.salt, 'base64url').length);
    assert.equal(await verifyPassword('anything at all', undefined), false);
    assert.equal(await verifyPassword('anything at all', DUMMY_HASH), false);
  });
});

const quiet: EscalationPolicy = { freeFailures: 1000, windowSeconds: 60, baseDelaySeconds: 1, maxDelaySeconds: 1 };

/** Polls check() until allowed; returns how long that took, in ms. */
async function waitAllowed(t: LoginThrottle, username: string, ip: string, limitMs = 3000): Promise<number> {
  const started = performance.now();
  while ((await t.check(username, ip)).allowed === false) {
    if (performance.now() - started > limitMs) throw new Error(`still blocked after ${limitMs} ms`);
    await sleep(5);
  }
  return performance.now() - started;
}

describe('login throttle', () => {
  it('blocks a (username, IP) pair after N failures, with a growing but capped delay, then forgets', async () => {
    const t = new LoginThrottle({
      pair: { freeFailures: 3, windowSeconds: 0.3, baseDelaySeconds: 0.1, maxDelaySeconds: 0.2 },
      ip: quiet,
      account: quiet,
    });
    for (let i = 0; i < 2; i++) await t.recordFailure('alice', '192.0.2.1');
    assert.deepEqual(await t.check('alice', '192.0.2.1'), { allowed: true });
    await t.recordFailure('alice', '192.0.2.1');
    const blocked = await t.check('Alice', '192.0.2.1');
    assert.deepEqual(
      blocked,
      { allowed: false, retryAfterSeconds: 1 },
      'whole seconds, rounded up; the username compared normalised',
    );
    assert.deepEqual(await t.check('alice', '192.0.2.2'), { allowed: true }, 'another IP is not held back');
    assert.deepEqual(
      await t.check('bob', '192.0.2.1'),
      { allowed: true },
      'another user from this IP is not held back',
    );
    const first = await waitAllowed(t, 'alice', '192.0.2.1');
    assert.ok(first > 60 && first < 200, `first block ${first.toFixed(0)} ms`);
    await t.recordFailure('alice', '192.0.2.1');
    const second = await waitAllowed(t, 'alice', '192.0.2.1');
    assert.ok(second > 160 && second < 350, `the second block is longer: ${second.toFixed(0)} ms`);
    await t.recordFailure('alice', '192.0.2.1');
    const third = await waitAllowed(t, 'alice', '192.0.2.1');
    assert.ok(third > 160 && third < 350, `capped: ${third.toFixed(0)} ms`);
    // One window after the last block ends, the count is gone: the next failures are free again.
    await sleep(350);
    for (let i = 0; i < 2; i++) await t.recordFailure('alice', '192.0.2.1');
    assert.deepEqual(await t.check('alice', '192.0.2.1'), { allowed: true });
  });

  it('a success clears the (username, IP) count', async () => {
    const t = new LoginThrottle({
      pair: { freeFailures: 3, windowSeconds: 5, baseDelaySeconds: 1, maxDelaySeconds: 1 },
      ip: quiet,
      account: quiet,
    });
    for (let i = 0; i < 2; i++) await t.recordFailure('alice', '192.0.2.1');
    await t.recordSuccess('alice', '192.0.2.1');
    for (let i = 0; i < 2; i++) await t.recordFailure('alice', '192.0.2.1');
    assert.deepEqual(await t.check('alice', '192.0.2.1'), { allowed: true });
    await t.recordFailure('alice', '192.0.2.1');
    assert.equal((await t.check('alice', '192.0.2.1')).allowed, false);
  });

  it('limits failures per IP across usernames, counting an IPv6 /64 as one address', async () => {
    const t = new LoginThrottle({
      pair: quiet,
      ip: { freeFailures: 3, windowSeconds: 5, baseDelaySeconds: 0.2, maxDelaySeconds: 0.2 },
      account: quiet,
    });
    await t.recordFailure('u1', '2001:db8::1');
    await t.recordFailure('u2', '2001:db8:0:0:ffff::2');
    await t.recordFailure('u3', '2001:DB8:0:0:1234:5678:9abc:def0');
    assert.equal((await t.check('anyone', '2001:db8::99')).allowed, false);
    assert.deepEqual(await t.check('anyone', '2001:db8:0:1::1'), { allowed: true }, 'another /64');
    assert.deepEqual(await t.check('anyone', '192.0.2.1'), { allowed: true });
    await waitAllowed(t, 'anyone', '2001:db8::99', 1000);
  });

  it('delays an account attacked from many IPs, capped, and never for the owner at a known address', async () => {
    const t = new LoginThrottle({
      pair: quiet,
      ip: quiet,
      account: { freeFailures: 3, windowSeconds: 1, baseDelaySeconds: 0.05, maxDelaySeconds: 0.2 },
    });
    await t.recordSuccess('alice', '198.51.100.7'); // the owner, earlier
    for (let i = 1; i <= 3; i++) await t.recordFailure('alice', `203.0.113.${i}`);
    assert.equal((await t.check('alice', '203.0.113.200')).allowed, false, 'a fresh IP waits too');
    assert.deepEqual(
      await t.check('alice', '198.51.100.7'),
      { allowed: true },
      'the owner at a known address is not locked out',
    );
    assert.deepEqual(await t.check('bob', '203.0.113.1'), { allowed: true });
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      waits.push(await waitAllowed(t, 'alice', '203.0.113.200'));
      await t.recordFailure('alice', `203.0.113.${10 + i}`);
    }
    waits.push(await waitAllowed(t, 'alice', '203.0.113.200'));
    assert.ok(waits[1] > waits[0], `grows: ${waits.map((w) => w.toFixed(0)).join(', ')} ms`);
    assert.ok(Math.max(...waits) < 320, `capped at 0.2 s: ${waits.map((w) => w.toFixed(0)).join(', ')} ms`);
  });

  it('never blocks for long: every default block is capped, and no duration may be 0 (never expires)', () => {
    for (const p of [DEFAULT_LOGIN_THROTTLE.pair, DEFAULT_LOGIN_THROTTLE.ip, DEFAULT_LOGIN_THROTTLE.account]) {
      assert.ok(p.maxDelaySeconds <= 60 * 60 && p.maxDelaySeconds > 0);
    }
    assert.equal(DEFAULT_LOGIN_THROTTLE.account.maxDelaySeconds, 15 * 60);
    assert.deepEqual(
      [
        DEFAULT_LOGIN_THROTTLE.pair.freeFailures,
        DEFAULT_LOGIN_THROTTLE.ip.freeFailures,
        DEFAULT_LOGIN_THROTTLE.account.freeFailures,
      ],
      [5, 100, 10],
    );
    assert.throws(
      () => new LoginThrottle({ account: { ...DEFAULT_LOGIN_THROTTLE.account, maxDelaySeconds: 0 } }),
      RangeError,
    );
    assert.throws(() => new LoginThrottle({ pair: { ...DEFAULT_LOGIN_THROTTLE.pair, windowSeconds: 0 } }), RangeError);
  });

  it('keys addresses: IPv4-mapped as IPv4, IPv6 by /64', () => {
    assert.equal(ipKey('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(ipKey('192.0.2.1'), '192.0.2.1');
    assert.equal(ipKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
    assert.equal(ipKey('2001:DB8::'), '2001:db8:0:0::/64');
    assert.equal(ipKey('::1'), '0:0:0:0::/64');
    assert.equal(ipKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  });
});
