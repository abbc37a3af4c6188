import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideClient, type ClientCommand, type ClientCommandError } from '../../src/domain/clients/decide.js';
import type { ClientEvent, ClientMetadata } from '../../src/domain/clients/events.js';
import { evolveClient } from '../../src/domain/clients/evolve.js';
import { checkClientMetadata, ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import type { ClientStreamState } from '../../src/domain/clients/state.js';
import { checkSelfRegistration, requestedMetadata } from '../../src/domain/registration/selfRegistration.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const meta = (m: Partial<ClientMetadata> = {}): ClientMetadata => ({
  grant_types: ['client_credentials'],
  redirect_uris: [],
  scope: 'a',
  token_endpoint_auth_method: 'client_secret_basic',
  access_token_format: 'jwt',
  access_token_signing_alg: 'ES256',
  access_token_ttl: 3600,
  ...m,
});
const sha = { alg: 'sha256' as const, hash: 'h'.repeat(43) };
const first = 'f'.repeat(43);
const second = 's'.repeat(43);

const { given } = deciderSpec<ClientCommand, ClientStreamState, ClientEvent>({
  initialState: () => undefined,
  evolve: evolveClient,
  decide: (c, s) => decideClient(c, s),
});
const registered: ClientEvent = {
  type: 'ClientRegistered',
  data: {
    clientId: 'c',
    metadata: meta(),
    secret: sha,
    registration: { via: 'dynamic', access: 'open' },
    registrationTokenHash: first,
  },
};
const update = (presented: string, m = meta({ client_name: 'n' })): ClientCommand => ({
  type: 'UpdateRegisteredClient',
  clientId: 'c',
  metadata: m,
  presented,
  next: second,
});

describe('self-registered clients (RFC 7591 / RFC 7592)', () => {
  it('records the registration access token hash with the registration', () => {
    given([])
      .when({
        type: 'RegisterClient',
        clientId: 'c',
        metadata: meta(),
        secret: sha,
        registration: { via: 'dynamic', access: 'open' },
        registrationTokenHash: first,
      })
      .then([registered]);
    assert.equal(given([registered]).state()?.registrationTokenHash, first);
  });
  it('replaces the metadata and the token with the current token, and refuses the old one after', () => {
    const events = given([registered]).when(update(first)).events();
    assert.deepEqual(
      events.map((e) => e.type),
      ['ClientUpdated', 'ClientRegistrationTokenRotated'],
    );
    const state = given([registered, ...events]).state();
    assert.equal(state?.registrationTokenHash, second);
    assert.equal(state?.metadata.client_name, 'n');
    given([registered, ...events])
      .when(update(first))
      .thenThrows((e: ClientCommandError) => e.code === 'registration_token_invalid' && e.error === 'invalid_token');
  });
  it('refuses an update with a wrong token, for an operator client (no token), and invalid metadata', () => {
    given([registered])
      .when(update(second))
      .thenThrows((e: ClientCommandError) => e.error === 'invalid_token');
    const operators: ClientEvent = { type: 'ClientRegistered', data: { clientId: 'c', metadata: meta(), secret: sha } };
    given([operators])
      .when(update(first))
      .thenThrows((e: ClientCommandError) => e.error === 'invalid_token');
    given([registered])
      .when(update(first, meta({ grant_types: ['authorization_code'] })))
      .thenThrows((e: ClientMetadataError) => e.code === 'invalid_redirect_uri');
  });
  it('rotates the secret in the same append as the update when asked, keeping the replaced one for the grace', () => {
    const newSecret = { alg: 'sha256' as const, hash: 'n'.repeat(43) };
    const rotateSecret = { secret: newSecret, graceSeconds: 60, now: 1_000 };
    given([registered])
      .when({ ...update(first), rotateSecret } as ClientCommand)
      .then([
        {
          type: 'ClientUpdated',
          data: { clientId: 'c', metadata: meta({ client_name: 'n' }), changes: { client_name: { after: 'n' } } },
        },
        { type: 'ClientRegistrationTokenRotated', data: { clientId: 'c', registrationTokenHash: second } },
        { type: 'ClientSecretRotated', data: { clientId: 'c', secret: newSecret, previousSecretExpiresAt: 61_000 } },
      ]);
    // A client the update makes public has no secret to rotate: the whole update is refused.
    const publicApp = meta({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: ['https://app.example/cb'],
    });
    given([registered])
      .when({ ...update(first, publicApp), rotateSecret } as ClientCommand)
      .thenThrows((e: ClientCommandError) => e.error === 'invalid_client_metadata');
  });
  it('holds policy_uri and tos_uri to https, as logo_uri', () => {
    checkClientMetadata(meta({ policy_uri: 'https://a.example/privacy', tos_uri: 'https://a.example/tos' }), true);
    for (const bad of [{ policy_uri: 'http://a.example/p' }, { tos_uri: 'javascript:alert(1)' }, { tos_uri: 'x' }])
      assert.throws(
        () => checkClientMetadata(meta(bad), true),
        (e: ClientMetadataError) => e.code === 'invalid_client_metadata',
      );
  });
});

describe('requested metadata of a self-registration', () => {
  it('fills defaults (RFC 7591 §2: authorization_code), ignores unknown and operator-only fields, and limits introspection to its own tokens', () => {
    const m = requestedMetadata({
      client_name: 'x',
      software_id: 'ignored',
      introspection_access: 'all',
      token_exchange_impersonation: true,
      response_types: ['code'],
    });
    assert.deepEqual(m, {
      ...meta({ scope: '', client_name: 'x', grant_types: ['authorization_code'] }),
      introspection_access: 'own_and_audience',
    });
  });
  it('refuses jwks_uri and response types other than code', () => {
    for (const body of [
      { jwks_uri: 'https://a.example/jwks' },
      { response_types: ['token'] },
      { response_types: 'code' },
    ])
      assert.throws(
        () => requestedMetadata(body),
        (e: ClientMetadataError) => e.code === 'invalid_client_metadata',
      );
  });
  it('never lets a self-registration name an operator scope', () => {
    assert.throws(
      () => checkSelfRegistration(meta({ scope: 'a ledger:admin' })),
      (e: ClientMetadataError) => e.code === 'invalid_client_metadata' && /ledger:admin/.test(e.message),
    );
    checkSelfRegistration(meta({ scope: 'a ledgerx' }));
  });
});
