/**
 * Review finding 1-3: a client ID metadata document is not held to the self-registration rules. Anyone who can host a
 * JSON document (here on 127.0.0.1 with the development setting; in production any https URL) names scope
 * ledger:admin, gets a client_credentials token with it, and uses the operators' GraphQL API; the same client
 * introspects other clients' tokens (introspection_access defaults to all), and the server's registration policy
 * is not applied to it. Expected: all three refused, as for a client registered at /register.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { startDocumentServer, type DocumentServer } from '../helpers/metadataDocumentServer.js';
import { basic, registerClient } from '../helpers/oauth.js';
import { tempDir } from '../helpers/server.js';

const ON = { CLIENT_ID_METADATA_DOCUMENTS: 'on', CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true' };

describe('review 1-3: metadata-document clients escape the self-registration rules', () => {
  let server: InjectServer;
  let docs: DocumentServer;
  let key: CryptoKey;
  let jwk: Record<string, unknown>;

  before(async () => {
    const dir = tempDir();
    const policyFile = join(dir, 'policy.json');
    // The operator allows self-registered clients only notes:read and 5-minute tokens.
    writeFileSync(policyFile, JSON.stringify({ scope: 'notes:read', maxAccessTokenTtl: 300 }));
    docs = await startDocumentServer();
    server = await startInjectServer({ env: { ...ON, REGISTRATION_POLICY_FILE: policyFile } });
    const pair = await generateKeyPair('ES256');
    key = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  });
  after(async () => {
    await server.close();
    await docs.close();
  });

  const documentClient = (scope: string) => {
    const path = `/c/${randomUUID()}.json`;
    const clientId = docs.url(path);
    docs.serveJson(path, {
      client_id: clientId,
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      scope,
    });
    return clientId;
  };
  const assertion = (clientId: string, aud: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(aud)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(key);
  const form = async (path: string, clientId: string, fields: Record<string, string>) => {
    const res = await server.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        ...fields,
        client_id: clientId,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(clientId, server.url),
      }).toString(),
    });
    return { status: res.statusCode, body: JSON.parse(res.body) };
  };

  it('finding 1: a document naming scope ledger:admin gets an operator token and a GraphQL mutation', async () => {
    const clientId = documentClient('ledger:admin ledger:audit');
    const token = await form('/token', clientId, { grant_type: 'client_credentials', scope: 'ledger:admin' });
    // Expected: 400 invalid_client (or invalid_scope); observed: 200 with scope ledger:admin.
    assert.notEqual(token.status, 200, `document client got ${JSON.stringify(token.body)}`);
  });

  it('finding 1 (impact): the document-client token runs an admin GraphQL mutation', async () => {
    const clientId = documentClient('ledger:admin');
    const token = await form('/token', clientId, { grant_type: 'client_credentials', scope: 'ledger:admin' });
    if (token.status !== 200) return; // fixed
    const res = await server.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.body.access_token}` },
      payload: JSON.stringify({ query: 'mutation { clearRegistrationPolicy(reason: "review") { source } }' }),
    });
    const operatorOnlyRead = await server.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token.body.access_token}` },
      payload: JSON.stringify({ query: '{ __schema { mutationType { fields { name } } } }' }),
    });
    // Expected: 401/403 (no operator); observed: 200 and the mutation's data.
    assert.ok(res.statusCode >= 400 || /errors/.test(res.body), `mutation ran: ${res.statusCode} ${res.body}`);
    assert.ok(operatorOnlyRead.statusCode >= 400, `operator read ran: ${operatorOnlyRead.statusCode}`);
  });

  it('finding 2: a document client introspects the tokens of another client (introspection_access all)', async () => {
    const victim = await registerClient(server, { scope: 'notes:read' });
    const issued = await server.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(victim.clientId, victim.secret!) },
      payload: 'grant_type=client_credentials&scope=notes%3Aread',
    });
    const victimToken = JSON.parse(issued.body).access_token as string;
    assert.ok(victimToken, issued.body);
    const attacker = documentClient('notes:read');
    const res = await form('/introspect', attacker, { token: victimToken });
    // Expected: {active:false} as for a client registered at /register (own_and_audience); observed: active true.
    assert.equal(res.body.active, false, `document client learned ${JSON.stringify(res.body)}`);
  });

  it('finding 3: the server registration policy (scope, maxAccessTokenTtl) does not apply to a document', async () => {
    const clientId = documentClient('notes:write');
    const token = await form('/token', clientId, { grant_type: 'client_credentials', scope: 'notes:write' });
    // Expected: the document refused (scope not allowed here); observed: 200 with notes:write.
    assert.notEqual(token.status, 200, `policy bypassed: ${JSON.stringify(token.body)}`);
  });
});
