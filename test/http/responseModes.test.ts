import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { removeDir, tempDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { ledgerHead, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { handleClientCommand } from '../../src/application/clients.js';
import { ClientMetadataError } from '../../src/domain/clients/metadataRules.js';
import { expectAuthorizeError } from '../security/support.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** response_modes: a client uses the response modes it registered; web_message is an opt-in. */
describe('response_modes client metadata', () => {
  let server: TestServer;
  let plain: string;
  let queryOnly: string;
  let webMessage: string;
  const redirectUri = 'https://app.example/cb';
  before(async () => {
    server = await startInjectServer();
    const pub = {
      grant_types: ['authorization_code'] as ['authorization_code'],
      redirect_uris: [redirectUri],
      token_endpoint_auth_method: 'none' as const,
      scope: 'openid',
    };
    plain = (await registerClient(server, pub, null)).clientId;
    queryOnly = (await registerClient(server, { ...pub, response_modes: ['query'] }, null)).clientId;
    webMessage = (await registerClient(server, { ...pub, response_modes: ['query', 'web_message'] }, null)).clientId;
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const query = (clientId: string, extra: Record<string, string>) =>
    new URLSearchParams({
      client_id: clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      state: 'st',
      ...extra,
    }).toString();

  it('a client that did not register web_message asking for it → unauthorized_client, redirected with query, no web_message page', () =>
    expectAuthorizeError(server, query(plain, { response_mode: 'web_message' }), redirectUri, 'unauthorized_client'));

  it('a client registered for query alone asking for form_post → unauthorized_client by query', () =>
    expectAuthorizeError(server, query(queryOnly, { response_mode: 'form_post' }), redirectUri, 'unauthorized_client'));

  it('the defaults (query, form_post) still work for a client that registered nothing', async () => {
    const page = await new Browser(server.fetch).get(
      `${server.url}/authorize?${query(plain, { response_mode: 'form_post', prompt: 'none' })}`,
    );
    assert.equal(page.status, 200);
    assert.match(page.html, /<form method="post" action="https:\/\/app\.example\/cb"/);
    assert.equal(page.fields.error, 'login_required');
  });

  it('a client that registered web_message gets it, and only at its exactly registered redirect URI', async () => {
    const page = await new Browser(server.fetch).get(
      `${server.url}/authorize?${query(webMessage, { response_mode: 'web_message', prompt: 'none' })}`,
    );
    assert.equal(page.status, 200);
    assert.match(page.html, /id="tl-response"/);
    const before = await ledgerHead(server);
    const elsewhere = await new Browser(server.fetch).get(
      `${server.url}/authorize?${query(webMessage, { response_mode: 'web_message', redirect_uri: 'https://app.example/other' })}`,
    );
    assert.equal(elsewhere.status, 400);
    assert.doesNotMatch(elsewhere.html, /id="tl-response"/);
    assert.equal(await ledgerHead(server), before);
  });

  it('registration refuses web_message without an http(s) redirect URI, and an unknown mode, writing nothing', async () => {
    const before = await ledgerHead(server);
    const ctx = { actor: 'operator:test', correlationId: randomUUID() };
    await assert.rejects(
      handleClientCommand(
        server.runtime.ports,
        {
          type: 'RegisterClient',
          clientId: 'native-wm',
          metadata: {
            grant_types: ['authorization_code'],
            redirect_uris: ['com.example.app:/cb'],
            scope: '',
            token_endpoint_auth_method: 'none',
            access_token_format: 'jwt',
            access_token_signing_alg: 'ES256',
            access_token_ttl: 60,
            response_modes: ['web_message'],
          },
          secret: null,
        },
        ctx,
      ),
      (err: unknown) => err instanceof ClientMetadataError && err.code === 'invalid_client_metadata',
    );
    assert.equal(await ledgerHead(server), before);
    const dataDir = tempDir();
    try {
      const bad = await runCli(
        [
          'clients',
          'create',
          '--grant-types',
          'authorization_code',
          '--redirect-uris',
          redirectUri,
          '--token-endpoint-auth-method',
          'none',
          '--response-modes',
          'query,fragment',
        ],
        { DATA_DIR: dataDir },
      );
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /unknown response mode fragment/);
      const good = await runCli(
        [
          'clients',
          'create',
          '--grant-types',
          'authorization_code',
          '--redirect-uris',
          redirectUri,
          '--token-endpoint-auth-method',
          'none',
          '--response-modes',
          'query,web_message',
          '--json',
        ],
        { DATA_DIR: dataDir },
      );
      assert.equal(good.code, 0, good.stderr);
      assert.deepEqual(JSON.parse(good.stdout).response_modes, ['query', 'web_message']);
    } finally {
      removeDir(dataDir);
    }
  });
});
