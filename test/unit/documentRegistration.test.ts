import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { documentRegistration } from '../../src/domain/registration/documentRegistration.js';
import { clientMetadata } from '../../src/domain/clients/metadataDefaults.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';

/** What a document typically gives: a public client of the code grant. */
const documentMetadata = (changes: Parameters<typeof clientMetadata>[0] = {}) =>
  clientMetadata({
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1:9/cb'],
    scope: 'notes:read',
    ...changes,
  });

const refused = (message: string) => (err: unknown) => err instanceof ClientMetadataError && err.message === message;

describe('documentRegistration (a metadata document client held to what every self-registration is)', () => {
  it('given no policy, when a document asks for an ordinary client, then its metadata is kept as it is', () => {
    const m = documentMetadata();
    assert.equal(documentRegistration({}, m), m);
  });

  it('given a maxAccessTokenTtl below the default, then the lifetime is capped, not refused', () => {
    const held = documentRegistration({ maxAccessTokenTtl: 900 }, documentMetadata());
    assert.deepEqual(held, { ...documentMetadata(), access_token_ttl: 900 });
    assert.equal(documentRegistration({ maxAccessTokenTtl: 7200 }, documentMetadata()).access_token_ttl, 3600);
  });

  it('given a policy, when the document asks for more, then it is refused with the policy reason', () => {
    assert.throws(
      () =>
        documentRegistration(
          { grantTypes: ['authorization_code'] },
          documentMetadata({ grant_types: ['authorization_code', 'refresh_token'] }),
        ),
      refused('grant_types not allowed here: refresh_token'),
    );
    assert.throws(
      () => documentRegistration({ redirectUriPrefixes: ['https://notes.example/'] }, documentMetadata()),
      refused('redirect URI http://127.0.0.1:9/cb is not allowed here'),
    );
  });

  it('given any policy, when the document asks for an operator scope, then it is refused', () => {
    assert.throws(
      () => documentRegistration({}, documentMetadata({ scope: 'notes:read ledger:admin' })),
      refused("scope ledger:admin is for operators' clients only: it cannot be self-registered"),
    );
  });
});
