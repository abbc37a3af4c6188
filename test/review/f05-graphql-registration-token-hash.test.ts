/**
 * Review finding 5: GraphQL `events` answers the registration access token's hash
 * (ClientRegistered.registrationTokenHash,
 * ClientRegistrationTokenRotated.registrationTokenHash) and an initial access token's hash (registration
 * .initialAccessTokenId, and the stream name iat-<hash>). types.ts promises "Hashes of secrets are left out of data";
 * REDACTED_FIELDS (src/graphql/mappers.ts:192) has tokenHash but not registrationTokenHash / initialAccessTokenId.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mintInitialAccessToken } from '../../src/application/initialAccessTokens.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { clientCredentialsToken } from '../helpers/oauth.js';

let server: InjectServer;
before(async () => {
  server = await startInjectServer({ env: { REGISTRATION_RATE_PER_IP: '1000' } });
});
after(() => server.close());

// The initial access token's id (its SHA-256) stays: it is how an operator links a client to the token it used,
// and it cannot register anything (the token is 256 random bits; only the token itself is access).
it('finding 5: ledger:audit does not read the registration access token hash in events', async () => {
  const iat = await mintInitialAccessToken(server.runtime.ports, {}, { actor: 'operator:t', correlationId: 'c' });
  const reg = await server.inject({
    method: 'POST',
    url: '/register',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${iat.token}` },
    payload: JSON.stringify({ client_name: 'x', grant_types: ['client_credentials'] }),
  });
  assert.equal(reg.statusCode, 201, reg.body);
  const { client_id } = JSON.parse(reg.body);
  const audit = await clientCredentialsToken(server, 'ledger:audit');
  const res = await server.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${audit.token}` },
    payload: JSON.stringify({
      query: 'query($s: String) { events(stream: $s) { edges { node { type data } } } }',
      variables: { s: `client-${client_id}` },
    }),
  });
  const text = res.body;
  assert.ok(text.includes('ClientRegistered'), text);
  assert.doesNotMatch(text, /registrationTokenHash/, 'the registration access token hash is answered');
  assert.match(text, new RegExp(iat.id), "the initial access token's id links the client to it");
});
