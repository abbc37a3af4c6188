import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClientCommandError, decideClient, type ClientCommand } from '../../src/domain/clients/decide.js';
import type { ClientEvent, ClientMetadata } from '../../src/domain/clients/events.js';
import { evolveClient } from '../../src/domain/clients/evolve.js';
import { checkChosenClientSecret, ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import type { ClientStreamState } from '../../src/domain/clients/state.js';
import { ClientSecretVerifier, generateClientSecret, hashClientSecret } from '../../src/security/clientSecrets.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const meta = (m: Partial<ClientMetadata> = {}): ClientMetadata => ({
  grant_types: ['client_credentials'],
  redirect_uris: [],
  scope: 'a b',
  token_endpoint_auth_method: 'client_secret_basic',
  access_token_format: 'jwt',
  access_token_signing_alg: 'ES256',
  access_token_ttl: 3600,
  ...m,
});
const sha = { alg: 'sha256' as const, hash: 'h'.repeat(43) };

const { given } = deciderSpec<ClientCommand, ClientStreamState, ClientEvent>({
  initialState: () => undefined,
  evolve: evolveClient,
  decide: (c, s) => decideClient(c, s),
});
const registered: ClientEvent = { type: 'ClientRegistered', data: { clientId: 'c', metadata: meta(), secret: sha } };

describe('client decider', () => {
  it('registers a new client', () => {
    given([]).when({ type: 'RegisterClient', clientId: 'c', metadata: meta(), secret: sha }).then([registered]);
  });
  it('refuses a second registration of the same id', () => {
    given([registered])
      .when({ type: 'RegisterClient', clientId: 'c', metadata: meta(), secret: sha })
      .thenThrows((e: ClientCommandError) => e.code === 'client_exists');
  });
  it('refuses changes to an unknown or disabled client', () => {
    given([])
      .when({ type: 'DisableClient', clientId: 'c' })
      .thenThrows((e: ClientCommandError) => e.code === 'client_not_found');
    const disabled: ClientEvent = { type: 'ClientDisabled', data: { clientId: 'c' } };
    given([registered, disabled])
      .when({ type: 'RotateClientSecret', clientId: 'c', secret: sha, graceSeconds: 0, now: 0 })
      .thenThrows((e: ClientCommandError) => e.code === 'client_disabled');
  });
  it('deletes a client, disabled or not, once: afterwards it is unknown and its id stays taken', () => {
    const deleted: ClientEvent = { type: 'ClientDeleted', data: { clientId: 'c', reason: 'unused' } };
    given([registered]).when({ type: 'DeleteClient', clientId: 'c', reason: 'unused' }).then([deleted]);
    given([registered, { type: 'ClientDisabled', data: { clientId: 'c' } }])
      .when({ type: 'DeleteClient', clientId: 'c', reason: 'unused' })
      .then([deleted]);
    given([registered, deleted])
      .when({ type: 'DeleteClient', clientId: 'c', reason: 'again' })
      .thenThrows((e: ClientCommandError) => e.code === 'client_not_found');
    given([registered, deleted])
      .when({ type: 'RegisterClient', clientId: 'c', metadata: meta(), secret: sha })
      .thenThrows((e: ClientCommandError) => e.code === 'client_exists');
    assert.equal(evolveClient(evolveClient(undefined, registered), deleted)?.disabled, true);
  });
  for (const [name, m, secret, code] of [
    ['a confidential client without a secret', meta(), null, 'invalid_client_metadata'],
    [
      'a public client with client_credentials',
      meta({ token_endpoint_auth_method: 'none' }),
      null,
      'invalid_client_metadata',
    ],
    [
      'private_key_jwt without keys',
      meta({ token_endpoint_auth_method: 'private_key_jwt' }),
      null,
      'invalid_client_metadata',
    ],
    [
      'request_object_signing_alg without keys',
      meta({ request_object_signing_alg: 'ES256' }),
      sha,
      'invalid_client_metadata',
    ],
    [
      'a private key in jwks',
      meta({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [{ kty: 'EC', d: 'x' } as { kty: string }] },
      }),
      null,
      'invalid_client_metadata',
    ],
    [
      'authorization_code without redirect URIs',
      meta({ grant_types: ['authorization_code'] }),
      sha,
      'invalid_redirect_uri',
    ],
    [
      'a redirect URI with a fragment',
      meta({ grant_types: ['authorization_code'], redirect_uris: ['https://a.example/cb#x'] }),
      sha,
      'invalid_redirect_uri',
    ],
    [
      'a javascript: redirect URI',
      meta({ grant_types: ['authorization_code'], redirect_uris: ['javascript:alert(1)'] }),
      sha,
      'invalid_redirect_uri',
    ],
    [
      'a relative redirect URI',
      meta({ grant_types: ['authorization_code'], redirect_uris: ['/cb'] }),
      sha,
      'invalid_redirect_uri',
    ],
    ['a scope with a forbidden character', meta({ scope: 'a "b"' }), sha, 'invalid_client_metadata'],
    [
      'an http logo_uri (the pages allow https images only)',
      meta({ logo_uri: 'http://cdn.example/logo.png' }),
      sha,
      'invalid_client_metadata',
    ],
    ['a data: logo_uri', meta({ logo_uri: 'data:image/png;base64,AAAA' }), sha, 'invalid_client_metadata'],
    ['a javascript: client_uri', meta({ client_uri: 'javascript:alert(1)' }), sha, 'invalid_client_metadata'],
    ['a relative client_uri', meta({ client_uri: '/home' }), sha, 'invalid_client_metadata'],
  ] as const) {
    it(`refuses ${name} (${code})`, () => {
      given([])
        .when({ type: 'RegisterClient', clientId: 'c', metadata: m, secret })
        .thenThrows((e: ClientMetadataError) => e instanceof ClientMetadataError && e.code === code);
    });
  }
  it('accepts an https logo_uri and an http(s) client_uri', () => {
    const m = meta({
      client_name: 'Orders',
      logo_uri: 'https://cdn.example/logo.svg',
      client_uri: 'https://orders.example/',
    });
    assert.equal(
      given([]).when({ type: 'RegisterClient', clientId: 'l', metadata: m, secret: sha }).events().length,
      1,
    );
  });
  it('accepts native-app redirect URIs: reverse-DNS custom schemes and loopback', () => {
    const m = meta({
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'none',
      redirect_uris: ['com.example.app:/oauth2redirect', 'http://127.0.0.1/cb'],
    });
    assert.equal(
      given([]).when({ type: 'RegisterClient', clientId: 'n', metadata: m, secret: null }).events().length,
      1,
    );
  });
  it('refuses an access_token_ttl above MAX_TOKEN_LIFETIME when it is set, naming both values', () => {
    const state = (events: ClientEvent[]) => events.reduce<ClientStreamState>((s, e) => evolveClient(s, e), undefined);
    const limits = { maxAccessTokenTtl: 86_400 };
    const tooLong = (e: unknown) =>
      e instanceof ClientMetadataError &&
      e.code === 'invalid_client_metadata' &&
      /access_token_ttl 999999 .*MAX_TOKEN_LIFETIME \(86400 seconds\)/.test(e.message);
    assert.throws(
      () =>
        decideClient(
          { type: 'RegisterClient', clientId: 'c', metadata: meta({ access_token_ttl: 999_999 }), secret: sha },
          undefined,
          limits,
        ),
      tooLong,
    );
    assert.equal(
      decideClient(
        { type: 'RegisterClient', clientId: 'c', metadata: meta({ access_token_ttl: 86_400 }), secret: sha },
        undefined,
        limits,
      ).length,
      1,
    );
    assert.throws(
      () =>
        decideClient(
          { type: 'UpdateClient', clientId: 'c', metadata: meta({ access_token_ttl: 999_999 }) },
          state([registered]),
          limits,
        ),
      tooLong,
    );
    // Registered before the limit was lowered: other fields can still change; the TTL only downwards to the limit.
    const long: ClientEvent = {
      type: 'ClientRegistered',
      data: { clientId: 'c', metadata: meta({ access_token_ttl: 999_999 }), secret: sha },
    };
    assert.equal(
      decideClient(
        { type: 'UpdateClient', clientId: 'c', metadata: meta({ access_token_ttl: 999_999, scope: 'a' }) },
        state([long]),
        limits,
      ).length,
      1,
    );
    assert.throws(
      () =>
        decideClient(
          { type: 'UpdateClient', clientId: 'c', metadata: meta({ access_token_ttl: 100_000 }) },
          state([long]),
          limits,
        ),
      ClientMetadataError,
    );
    assert.equal(
      decideClient(
        { type: 'RegisterClient', clientId: 'c', metadata: meta({ access_token_ttl: 999_999 }), secret: sha },
        undefined,
      ).length,
      1,
      'no limit given, none applied',
    );
  });
  it('refuses a chosen client secret under 16 characters, naming the rule', () => {
    assert.throws(
      () => checkChosenClientSecret('x'),
      (e: Error) => e instanceof ClientMetadataError && /at least 16 characters \(this one has 1\)/.test(e.message),
    );
    assert.throws(() => checkChosenClientSecret('x'.repeat(15)), ClientMetadataError);
    assert.doesNotThrow(() => checkChosenClientSecret('x'.repeat(16)));
  });
});

describe('client secrets', () => {
  it('generates 256-bit secrets and stores a generated one as SHA-256, a chosen one with scrypt', async () => {
    const generated = generateClientSecret();
    assert.equal(Buffer.from(generated, 'base64url').length, 32);
    assert.equal((await hashClientSecret(generated, true)).alg, 'sha256');
    const chosen = await hashClientSecret('correct horse', false);
    assert.equal(chosen.alg, 'scrypt');
    assert.ok(!JSON.stringify(chosen).includes('correct horse'));
  });

  it('verifies, remembers a slow-hash success, and forgets it when the secret is rotated', async () => {
    const verifier = new ClientSecretVerifier();
    const first = await hashClientSecret('correct horse', false);
    assert.equal(await verifier.check('c', 'correct horse', first), true);
    assert.equal(await verifier.check('c', 'wrong horse', first), false);
    // A remembered success is keyed on the stored hash, not recomputed: a copy whose salt no longer
    // derives that hash still verifies, which only the memory can explain.
    assert.equal(await verifier.check('c', 'correct horse', { ...first, salt: 'A'.repeat(22) } as typeof first), true);
    assert.equal(
      await new ClientSecretVerifier().check('c', 'correct horse', { ...first, salt: 'A'.repeat(22) } as typeof first),
      false,
    );
    const rotated = await hashClientSecret('battery staple', false);
    assert.equal(await verifier.check('c', 'correct horse', rotated), false, 'the old secret no longer works');
    assert.equal(await verifier.check('other', 'correct horse', first), true, 'remembered per client');
  });
});

describe('client secret rotation with an overlap', () => {
  const next = { alg: 'sha256' as const, hash: 'n'.repeat(43) };
  const rotatedWithGrace: ClientEvent = {
    type: 'ClientSecretRotated',
    data: { clientId: 'c', secret: next, previousSecretExpiresAt: 1_000 + 60_000 },
  };
  it('keeps the replaced secret until now + grace, and drops it at once with a grace of 0', () => {
    given([registered])
      .when({ type: 'RotateClientSecret', clientId: 'c', secret: next, graceSeconds: 60, now: 1_000 })
      .then([rotatedWithGrace]);
    given([registered])
      .when({ type: 'RotateClientSecret', clientId: 'c', secret: next, graceSeconds: 0, now: 1_000 })
      .then([{ type: 'ClientSecretRotated', data: { clientId: 'c', secret: next } }]);
    const state = [registered, rotatedWithGrace].reduce<ClientStreamState>((s, e) => evolveClient(s, e), undefined);
    assert.deepEqual(state?.previousSecret, { secret: sha, expiresAt: 61_000 });
    assert.deepEqual(state?.secret, next);
  });
  it('records a use of the replaced secret at most once an hour, and none after the overlap', () => {
    const use = (now: number): ClientCommand => ({ type: 'RecordPreviousSecretUse', clientId: 'c', now });
    const used: ClientEvent = { type: 'ClientPreviousSecretUsed', data: { clientId: 'c' } };
    given([registered, rotatedWithGrace]).when(use(2_000)).then([used]);
    given([registered, rotatedWithGrace]).when(use(61_000)).then([]);
    given([registered]).when(use(2_000)).then([]);
    // evolve takes the recorded time: a use recorded at 0 ms hides the next for an hour.
    given([registered, rotatedWithGrace, used]).when(use(30_000)).then([]);
  });
});
