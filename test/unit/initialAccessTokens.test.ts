import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientMetadata } from '../../src/domain/clients/events.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import {
  initialAccessTokenDecider,
  InitialAccessTokenRefused,
  type InitialAccessTokenCommand,
  type InitialAccessTokenState,
} from '../../src/domain/initialAccessTokens/decide.js';
import type { InitialAccessTokenEvent } from '../../src/domain/initialAccessTokens/events.js';
import { checkRegistrationPolicy } from '../../src/domain/registration/policy.js';
import { deciderSpec } from '../helpers/deciderSpec.js';

const { given } = deciderSpec<InitialAccessTokenCommand, InitialAccessTokenState, InitialAccessTokenEvent>(
  initialAccessTokenDecider,
);
const tokenHash = 't'.repeat(43);
const minted = (uses: number | null, expiresAt: number | null = 10_000): InitialAccessTokenEvent => ({
  type: 'InitialAccessTokenIssued',
  data: { tokenHash, expiresAt, uses },
});
const use = (clientId: string, now = 1_000): InitialAccessTokenCommand => ({
  type: 'UseInitialAccessToken',
  tokenHash,
  clientId,
  now,
});
const used = (clientId: string): InitialAccessTokenEvent => ({
  type: 'InitialAccessTokenUsed',
  data: { tokenHash, clientId },
});
const refusedAs = (reason: string) => (e: InitialAccessTokenRefused) =>
  e instanceof InitialAccessTokenRefused && e.error === 'invalid_token' && e.code === reason;

describe('initial access tokens (RFC 7591 §3)', () => {
  it('mints once; a second mint of the same token is a fault', () => {
    given([])
      .when({ type: 'IssueInitialAccessToken', tokenHash, expiresAt: 10_000, uses: 1 })
      .then([minted(1)]);
    given([minted(1)])
      .when({ type: 'IssueInitialAccessToken', tokenHash, expiresAt: 10_000, uses: 1 })
      .thenThrows((e: InitialAccessTokenRefused) => e.reason === 'exists');
  });
  it('registers up to its use count, then refuses with invalid_token', () => {
    given([minted(2)])
      .when(use('a'))
      .then([used('a')]);
    given([minted(2), used('a')])
      .when(use('b'))
      .then([used('b')]);
    given([minted(2), used('a'), used('b')])
      .when(use('c'))
      .thenThrows(refusedAs('used_up'));
    given([minted(null), used('a'), used('b')])
      .when(use('c'))
      .then([used('c')]);
  });
  it('refuses an unknown, expired or revoked token with invalid_token', () => {
    given([]).when(use('a')).thenThrows(refusedAs('unknown'));
    given([minted(5, 1_000)])
      .when(use('a', 1_000))
      .thenThrows(refusedAs('expired'));
    given([minted(5, null)])
      .when(use('a', 9e12))
      .then([used('a')]);
    const revoked: InitialAccessTokenEvent = { type: 'InitialAccessTokenRevoked', data: { tokenHash } };
    given([minted(5)])
      .when({ type: 'RevokeInitialAccessToken', tokenHash })
      .then([revoked]);
    given([minted(5), revoked])
      .when({ type: 'RevokeInitialAccessToken', tokenHash })
      .then([]);
    given([minted(5), revoked])
      .when(use('a'))
      .thenThrows(refusedAs('revoked'));
  });
});

describe('registration policy', () => {
  const meta = (m: Partial<ClientMetadata> = {}): ClientMetadata => ({
    grant_types: ['authorization_code'],
    redirect_uris: ['http://127.0.0.1:8080/cb'],
    scope: 'openid mcp:tools',
    token_endpoint_auth_method: 'none',
    access_token_format: 'jwt',
    access_token_signing_alg: 'ES256',
    access_token_ttl: 600,
    ...m,
  });
  const policy = {
    grantTypes: ['authorization_code' as const, 'refresh_token' as const],
    scope: 'openid mcp:tools mcp:resources',
    redirectUriPrefixes: ['http://127.0.0.1:', 'http://[::1]:'],
    maxAccessTokenTtl: 900,
  };
  const refused = (m: ClientMetadata, code: string, pattern: RegExp) =>
    assert.throws(
      () => checkRegistrationPolicy(policy, m),
      (e: ClientMetadataError) => e.code === code && pattern.test(e.message),
    );
  it('allows what it names and refuses the rest with the RFC 7591 code', () => {
    checkRegistrationPolicy(policy, meta());
    checkRegistrationPolicy({}, meta({ grant_types: ['client_credentials'], scope: 'anything' }));
    refused(meta({ grant_types: ['client_credentials'] }), 'invalid_client_metadata', /client_credentials/);
    refused(meta({ scope: 'openid admin' }), 'invalid_client_metadata', /admin/);
    refused(meta({ redirect_uris: ['https://evil.example/cb'] }), 'invalid_redirect_uri', /evil/);
    refused(
      meta({ post_logout_redirect_uris: ['https://evil.example/out'] }),
      'invalid_redirect_uri',
      /evil.example\/out/,
    );
    refused(meta({ access_token_ttl: 3600 }), 'invalid_client_metadata', /above 900/);
  });
});
