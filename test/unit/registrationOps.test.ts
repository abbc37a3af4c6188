import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/config/configParsing.js';
import {
  registrationPolicyDecider,
  RegistrationPolicyRefused,
  type RegistrationPolicyCommand,
  type RegistrationPolicyState,
} from '../../src/domain/registration/decide.js';
import type { RegistrationPolicyEvent } from '../../src/domain/registration/events.js';
import {
  readRegistrationPolicy,
  registrationPolicyProblem,
  type RegistrationPolicy,
} from '../../src/domain/registration/policy.js';
import { idleReason, idleSelfRegisteredClients } from '../../src/domain/registration/pruning.js';
import { startupErrorLine } from '../../src/startupError.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const { given } = deciderSpec<RegistrationPolicyCommand, RegistrationPolicyState, RegistrationPolicyEvent>(
  registrationPolicyDecider,
);
const loopback: RegistrationPolicy = {
  redirectUriPrefixes: ['http://127.0.0.1:', 'http://[::1]:'],
  grantTypes: ['authorization_code'],
};
const set = (policy: RegistrationPolicy): RegistrationPolicyEvent => ({
  type: 'RegistrationPolicySet',
  data: { policy },
});

describe('registration policy decider (the registration-policy stream)', () => {
  it('sets a policy; setting the one in force again records nothing; another one replaces it', () => {
    given([])
      .when({ type: 'SetRegistrationPolicy', policy: loopback })
      .then([set(loopback)]);
    given([set(loopback)])
      .when({ type: 'SetRegistrationPolicy', policy: { ...loopback } })
      .then([]);
    given([set(loopback)])
      .when({ type: 'SetRegistrationPolicy', policy: { scope: 'read' } })
      .then([set({ scope: 'read' })]);
  });

  it('clears a policy set before; clearing none records nothing', () => {
    given([set(loopback)])
      .when({ type: 'ClearRegistrationPolicy' })
      .then([{ type: 'RegistrationPolicyCleared', data: {} }]);
    given([set(loopback), { type: 'RegistrationPolicyCleared', data: {} }])
      .when({ type: 'ClearRegistrationPolicy' })
      .then([]);
    given([]).when({ type: 'ClearRegistrationPolicy' }).then([]);
  });

  it('refuses a redirect URI prefix that ends inside the host, as invalid_policy', () => {
    given([])
      .when({ type: 'SetRegistrationPolicy', policy: { redirectUriPrefixes: ['https://app.example'] } })
      .thenThrows(
        (e: unknown) =>
          e instanceof RegistrationPolicyRefused &&
          e.code === 'invalid_policy' &&
          e.error === 'invalid_request' &&
          /must end past the host/.test(e.message),
      );
  });
});

describe('registration policy rules', () => {
  it('an http(s) prefix must end past the host; other schemes need a scheme', () => {
    for (const ok of [
      'https://app.example/',
      'https://app.example:8443/',
      'http://127.0.0.1:',
      'http://127.0.0.1/',
      'http://[::1]:',
      'com.example.app:/',
    ])
      assert.equal(registrationPolicyProblem({ redirectUriPrefixes: [ok] }), undefined, ok);
    for (const bad of ['https://app.example', 'http://127.0.0.1', 'http://[::1]', 'app.example/cb', '/cb'])
      assert.ok(registrationPolicyProblem({ redirectUriPrefixes: [bad] }), bad);
  });

  it('reads a policy from JSON: the schema first, then the rules', () => {
    assert.deepEqual(readRegistrationPolicy(loopback), { policy: loopback });
    assert.deepEqual(readRegistrationPolicy({}), { policy: {} });
    for (const bad of [
      { grantTypes: ['implicit'] },
      { maxAccessTokenTtl: 0 },
      { scope: 5 },
      { redirectUris: ['https://a/'] },
      { redirectUriPrefixes: [] },
      [],
      null,
    ])
      assert.ok('problem' in readRegistrationPolicy(bad), JSON.stringify(bad));
  });
});

describe('REGISTRATION_POLICY_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'policy-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('is read and checked at startup', () => {
    const path = write('ok.json', JSON.stringify(loopback));
    const config = loadConfig({ REGISTRATION_POLICY_FILE: path });
    assert.deepEqual(config.registration.filePolicy, loopback);
    assert.equal(loadConfig({}).registration.filePolicy, undefined);
  });

  it('a missing, non-JSON or invalid file refuses the start with one line naming the setting', () => {
    const cases: [string, RegExp][] = [
      [join(dir, 'missing.json'), /cannot read it \(ENOENT\)/],
      [write('text.json', 'grantTypes: code'), /expected a JSON object/],
      [write('schema.json', '{"grantTypes":["implicit"]}'), /\/grantTypes\/0/],
      [write('extra.json', '{"redirectUris":["https://a/"]}'), /(root)|redirectUris/],
      [write('host.json', '{"redirectUriPrefixes":["https://app.example"]}'), /must end past the host/],
    ];
    for (const [path, why] of cases) {
      assert.throws(
        () => loadConfig({ REGISTRATION_POLICY_FILE: path }),
        (e: unknown) => {
          assert.ok(e instanceof ConfigError);
          const line = startupErrorLine(e);
          assert.ok(line.startsWith(`token-ledger: REGISTRATION_POLICY_FILE=${JSON.stringify(path)} is invalid: `));
          assert.match(line, why);
          assert.ok(!line.includes('\n'));
          return true;
        },
      );
    }
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('idle self-registered clients', () => {
  const day = 86_400_000;
  const dynamic = { via: 'dynamic' as const, access: 'open' as const };
  const clients = [
    { clientId: 'operator', registeredAt: 0 },
    { clientId: 'never-used', registeredAt: 0, registration: dynamic },
    { clientId: 'used-lately', registeredAt: 0, registration: dynamic },
    { clientId: 'used-long-ago', registeredAt: 0, registration: dynamic },
    { clientId: 'young', registeredAt: 9 * day, registration: dynamic },
    { clientId: 'deleted', registeredAt: 0, registration: dynamic, deleted: true },
    {
      clientId: 'https://app.example/client.json',
      registeredAt: 0,
      registration: { via: 'metadata_document' as const, url: 'https://app.example/client.json', sha256: 'h' },
    },
  ];
  const lastUsed = new Map([
    ['operator', 0],
    ['used-lately', 9 * day],
    ['used-long-ago', 2 * day],
  ]);

  it('are those registered at /register, not deleted, last used (or registered) at least the idle time ago', () => {
    const idle = idleSelfRegisteredClients(clients, (id) => lastUsed.get(id), 10 * day, 7 * 86_400);
    assert.deepEqual(idle, [
      { clientId: 'never-used', lastUsedAt: 0 },
      { clientId: 'used-long-ago', lastUsedAt: 2 * day },
    ]);
  });

  it('an idle time of 0 prunes nothing', () => {
    assert.deepEqual(
      idleSelfRegisteredClients(clients, () => undefined, 1e15, 0),
      [],
    );
  });

  it('the reason says days when whole', () => {
    assert.equal(idleReason(30 * 86_400), 'unused for 30 days');
    assert.equal(idleReason(90), 'unused for 90 seconds');
    assert.equal(idleReason(86_400), 'unused for 1 day');
    assert.equal(idleReason(1), 'unused for 1 second');
  });
});
