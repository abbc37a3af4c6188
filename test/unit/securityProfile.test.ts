import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideClient, type ClientCommand } from '../../src/domain/clients/decide.js';
import type { ClientEvent, ClientMetadata } from '../../src/domain/clients/events.js';
import { evolveClient } from '../../src/domain/clients/evolve.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import type { ClientStreamState } from '../../src/domain/clients/state.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const publicJwk = { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) };
const fapi = (m: Partial<ClientMetadata> = {}): ClientMetadata => ({
  grant_types: ['authorization_code', 'refresh_token'],
  redirect_uris: ['https://bank.example/cb'],
  scope: 'openid accounts',
  token_endpoint_auth_method: 'private_key_jwt',
  jwks: { keys: [publicJwk] },
  access_token_format: 'jwt',
  access_token_signing_alg: 'ES256',
  access_token_ttl: 300,
  security_profile: 'fapi2',
  ...m,
});

const under = (profile: 'default' | 'fapi2') =>
  deciderSpec<ClientCommand, ClientStreamState, ClientEvent>({
    initialState: () => undefined,
    evolve: evolveClient,
    decide: (c, s) => decideClient(c, s, { profile }),
  }).given;
const register = (metadata: ClientMetadata) =>
  ({ type: 'RegisterClient', clientId: 'bank', metadata, secret: null }) as const;
const sha = { alg: 'sha256' as const, hash: 'h'.repeat(43) };
const refusedBy = (rule: RegExp) => (e: unknown) =>
  e instanceof ClientMetadataError && e.code === 'invalid_client_metadata' && rule.test(e.message);

describe('FAPI 2.0 Security Profile at registration', () => {
  it('accepts a private_key_jwt client with the profile algorithms', () => {
    assert.equal(under('default')([]).when(register(fapi())).events().length, 1);
    assert.equal(
      under('fapi2')([])
        .when(register(fapi({ security_profile: undefined })))
        .events().length,
      1,
    );
  });

  for (const [name, m, rule] of [
    [
      'client_secret_basic',
      fapi({ token_endpoint_auth_method: 'client_secret_basic', jwks: undefined }),
      /private_key_jwt, not client_secret_basic/,
    ],
    ['a public client', fapi({ token_endpoint_auth_method: 'none', jwks: undefined }), /private_key_jwt, not none/],
    ['RS256 access tokens', fapi({ access_token_signing_alg: 'RS256' }), /access_token_signing_alg .* not RS256/],
    ['RS256 ID tokens', fapi({ id_token_signed_response_alg: 'RS256' }), /id_token_signed_response_alg .* not RS256/],
    ['RS256 request objects', fapi({ request_object_signing_alg: 'RS256' }), /request_object_signing_alg/],
    ['unbound access tokens', fapi({ dpop_bound_access_tokens: false }), /sender-constrained/],
    ['optional PAR', fapi({ require_pushed_authorization_requests: false }), /must be pushed/],
    ['web_message responses', fapi({ response_modes: ['query', 'web_message'] }), /web_message/],
  ] as const) {
    it(`refuses ${name}, per client and server-wide (invalid_client_metadata)`, () => {
      const secret = m.token_endpoint_auth_method === 'client_secret_basic' ? sha : null;
      const command = { type: 'RegisterClient', clientId: 'bank', metadata: m, secret } as const;
      under('default')([]).when(command).thenThrows(refusedBy(rule));
      under('fapi2')([])
        .when({ ...command, metadata: { ...m, security_profile: undefined } })
        .thenThrows(refusedBy(rule));
    });
  }

  it('holds an update to the profile as well', () => {
    const registered: ClientEvent = {
      type: 'ClientRegistered',
      data: { clientId: 'bank', metadata: fapi(), secret: null },
    };
    under('default')([registered])
      .when({ type: 'UpdateClient', clientId: 'bank', metadata: fapi({ access_token_signing_alg: 'RS256' }) })
      .thenThrows(refusedBy(/access_token_signing_alg/));
  });

  it('leaves clients outside the profile alone', () => {
    const m = fapi({ security_profile: undefined, token_endpoint_auth_method: 'none', jwks: undefined });
    assert.equal(under('default')([]).when(register(m)).events().length, 1);
  });
});
