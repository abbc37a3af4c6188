/**
 * A client that is its metadata document's URL, over the wire with oauth4webapi: code + PKCE through the login and
 * consent pages, an ID token whose audience is the URL, refresh and revocation; and a private_key_jwt client whose
 * assertion alone names it. The ledger holds the document each token was issued under.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { discover, insecure } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';
import { startDocumentServer, type DocumentServer } from '../helpers/metadataDocumentServer.js';
import { clientStream } from '../../src/domain/clients/streams.js';

describe('a client ID metadata document client over the wire', () => {
  let server: TestServer;
  let docs: DocumentServer;
  let as: oauth.AuthorizationServer;
  let alice: { sub: string; username: string; password: string };

  before(async () => {
    docs = await startDocumentServer();
    server = await startTestServer({
      env: { CLIENT_ID_METADATA_DOCUMENTS: 'on', CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true' },
    });
    as = await discover(server);
    alice = await createUser(server);
  });
  after(async () => {
    await server.close();
    await docs.close();
    removeDir(server.dataDir);
  });

  it('code + PKCE with the URL as client_id, then refresh and revocation', async () => {
    assert.equal(as.client_id_metadata_document_supported, true);
    const clientId = docs.url('/mcp/client.json');
    const redirectUri = docs.url('/callback');
    docs.serveJson(
      '/mcp/client.json',
      {
        client_id: clientId,
        client_name: 'Notes MCP client',
        client_uri: 'https://notes.example/',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid notes:read',
      },
      'max-age=3600',
    );
    const client = { client_id: clientId };
    const run = await authorizeWithPkce(server, new Browser(), clientId, redirectUri, alice, {
      scope: 'openid notes:read',
    });
    const params = oauth.validateAuthResponse(as, client, new URL(run.page.location!), run.state);
    const res = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri,
      run.verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { requireIdToken: true });
    assert.equal(oauth.getValidatedIdTokenClaims(tokens)!.aud, clientId);
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)));
    assert.equal(payload.client_id, clientId);
    assert.equal(payload.sub, alice.sub);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token!, insecure),
    );
    assert.ok(refreshed.access_token);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, oauth.None(), refreshed.refresh_token!, insecure),
    );
    assert.equal(docs.hits('/mcp/client.json'), 1, 'fetched once, fresh for an hour');

    const stream = await server.runtime.store.readStream(clientStream(clientId));
    assert.deepEqual(
      stream.map((e) => e.type),
      ['ClientRegistered'],
    );
    assert.equal((stream[0].data as any).metadata.client_name, 'Notes MCP client');
  });

  it('private_key_jwt: the client assertion alone names the document client', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const clientId = docs.url('/service/client.json');
    docs.serveJson('/service/client.json', {
      client_id: clientId,
      client_name: 'Notes indexer',
      grant_types: ['client_credentials'],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [jwk] },
      scope: 'notes:read',
    });
    const assertion = await (async () => {
      // Signed as oauth4webapi would, sent without client_id: the server reads the id from the assertion's iss.
      let body: URLSearchParams | undefined;
      await oauth.PrivateKeyJwt({ key: privateKey, kid: 'k1' })(
        as,
        { client_id: clientId },
        (body = new URLSearchParams()),
        new Headers(),
      );
      return body.get('client_assertion')!;
    })();
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: 'notes:read',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.scope, 'notes:read');
  });
});
