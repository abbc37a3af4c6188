import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as oauth from 'oauth4webapi';
import { runCli } from '../helpers/cli.js';
import { serverEnv, signal, spawnServer, type ServerEnv, type ServerProcess } from '../helpers/faultsServer.js';
import { Browser } from '../helpers/browser.js';
import { insecure } from '../helpers/oauth.js';
import { chromiumSkip } from '../helpers/browserChromium.js';
import { signInInChromium } from '../docs/quickstartLogin.js';
import { freePort, removeDir, tempDir } from '../helpers/server.js';
import {
  authorize,
  callMcp,
  CodeFlow,
  discoverFrom,
  freeResource,
  initialize,
  startResourceServer,
  toolsCall,
  toolsList,
  type ResourceServer,
} from '../helpers/mcpClient.js';

/**
 * docs/mcp.md, as a test: an MCP client meets a protected MCP server (examples/mcp-resource-server) knowing
 * nothing but its URL. The 401 names the resource's metadata (RFC 9728), which names token-ledger (RFC 8414);
 * the client signs a person in with PKCE for that resource (RFC 8707) and calls the tools. Every party is a
 * real process on 127.0.0.1; the person's browser is test/helpers/browser.ts.
 */
describe('an MCP client reaches a protected MCP server through token-ledger', () => {
  const user = { username: 'alice', password: 'a long passphrase' };
  let env: ServerEnv;
  let as: ServerProcess | undefined;
  /** The MCP server of the walk-through; it introspects every token. */
  let mcp: ResourceServer | undefined;
  /** Another MCP server trusting the same authorization server; it checks JWTs offline only. */
  let other: ResourceServer | undefined;
  let sub: string;
  /** The client an operator registered with the CLI, and where it listens for the browser. */
  const cliClient: oauth.Client = { client_id: 'mcp-inspector', token_endpoint_auth_method: 'none' };
  let redirectUri: string;

  const cli = async (args: string[]) => {
    const ran = await runCli([...args, '--json'], env);
    assert.equal(ran.code, 0, ran.stderr);
    return JSON.parse(ran.stdout);
  };

  before(async () => {
    env = await serverEnv(tempDir('tl-mcp-'));
    as = await spawnServer(env, {
      DYNAMIC_REGISTRATION: 'open',
      CLIENT_ID_METADATA_DOCUMENTS: 'on',
      CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true',
    });
    ({ sub } = await cli(['users', 'create', '--username', user.username, '--password', user.password]));

    // The MCP server's own confidential client: it may introspect the tokens meant for it, and no others.
    const resource = await freeResource();
    const { client_secret } = await cli([
      'clients',
      'create',
      '--client-id',
      'mcp-server',
      '--scope',
      '',
      '--introspection-access',
      'own_and_audience',
      '--introspection-audiences',
      resource,
    ]);
    mcp = await startResourceServer(env.ISSUER, resource, {
      MCP_INTROSPECT: 'on',
      MCP_INTROSPECTION_CLIENT_ID: 'mcp-server',
      MCP_INTROSPECTION_CLIENT_SECRET: client_secret,
    });
    other = await startResourceServer(env.ISSUER, await freeResource());

    // A loopback redirect URI without a port matches any port (RFC 8252 §7.3): the client picks one when it runs.
    await cli([
      'clients',
      'create',
      '--client-id',
      cliClient.client_id,
      '--client-name',
      'MCP Inspector',
      '--grant-types',
      'authorization_code,refresh_token',
      '--redirect-uris',
      'http://127.0.0.1/callback',
      '--token-endpoint-auth-method',
      'none',
      '--scope',
      'mcp:read mcp:call',
    ]);
    redirectUri = `http://127.0.0.1:${await freePort()}/callback`;
  });

  after(async () => {
    await mcp?.stop();
    await other?.stop();
    if (as) await signal(as, 'SIGTERM');
    removeDir(env.DATA_DIR);
  });

  /** RFC 7591: a public client, its redirect URI a loopback port it listens on. */
  const registerItself = async (metadata: oauth.AuthorizationServer, clientRedirectUri: string) =>
    oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        metadata,
        {
          client_name: 'An MCP client',
          redirect_uris: [clientRedirectUri],
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          token_endpoint_auth_method: 'none',
          scope: 'mcp:read mcp:call',
        },
        insecure,
      ),
    );

  /** An MCP client with `client` goes from the 401 to a tool's answer, asking for every scope the resource lists. */
  async function reachTools(client: oauth.Client, clientRedirectUri: string): Promise<oauth.AuthorizationServer> {
    const server = mcp!;
    const first = await callMcp(server.resource, initialize());
    assert.equal(first.status, 401);
    const found = await discoverFrom(server.resource, first.challenge.resource_metadata);
    const tokens = await authorize(found.as, client, new Browser(), user, {
      redirectUri: clientRedirectUri,
      scope: found.resource.scopes_supported!.join(' '),
      resource: server.resource,
    });
    const whoami = await callMcp(server.resource, toolsCall('whoami'), tokens.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.deepEqual(whoami.body.result.structuredContent, {
      sub,
      client_id: client.client_id,
      scope: 'mcp:read mcp:call',
    });
    return found.as;
  }

  it('from a 401 to the tools: discovery, a sign-in for the resource, and a step-up for the scope a tool needs', async () => {
    const server = mcp!;
    const origin = new URL(server.resource).origin;

    // 1. Without a token: a challenge naming the resource's metadata and the scope to ask for, no error code.
    const first = await callMcp(server.resource, initialize());
    assert.equal(first.status, 401);
    assert.deepEqual(first.challenge, {
      scope: 'mcp:read',
      resource_metadata: `${origin}/.well-known/oauth-protected-resource/mcp`,
    });

    // 2. The protected resource metadata, then the authorization server's.
    const found = await discoverFrom(server.resource, first.challenge.resource_metadata);
    assert.deepEqual(found.resource, {
      resource: server.resource,
      authorization_servers: [env.ISSUER],
      scopes_supported: ['mcp:read', 'mcp:call'],
      bearer_methods_supported: ['header'],
      resource_name: 'token-ledger example MCP server',
    });
    const root = await fetch(`${origin}/.well-known/oauth-protected-resource`);
    assert.deepEqual(await root.json(), found.resource, 'the root form answers the same document');
    assert.ok(found.as.code_challenge_methods_supported?.includes('S256'), 'PKCE S256 (MCP refuses to go on without)');

    // 3. The scope the challenge named, for this resource.
    const browser = new Browser();
    const read = await authorize(found.as, cliClient, browser, user, {
      redirectUri,
      scope: first.challenge.scope,
      resource: server.resource,
    });
    assert.equal(read.scope, 'mcp:read');

    const init = await callMcp(server.resource, initialize(), read.access_token);
    assert.equal(init.status, 200, JSON.stringify(init.body));
    assert.equal(init.body.result.protocolVersion, '2025-11-25');
    assert.deepEqual(init.body.result.capabilities, { tools: { listChanged: false } });
    assert.equal(
      (await callMcp(server.resource, { jsonrpc: '2.0', method: 'notifications/initialized' }, read.access_token))
        .status,
      202,
    );
    const list = await callMcp(server.resource, toolsList(), read.access_token);
    assert.deepEqual(
      list.body.result.tools.map((t: { name: string }) => t.name),
      ['whoami', 'echo'],
    );

    // 4. Running a tool needs mcp:call too: 403 insufficient_scope names all the request needs.
    const denied = await callMcp(server.resource, toolsCall('whoami'), read.access_token);
    assert.equal(denied.status, 403);
    assert.equal(denied.challenge.error, 'insufficient_scope');
    assert.equal(denied.challenge.scope, 'mcp:read mcp:call');
    assert.equal(denied.challenge.resource_metadata, first.challenge.resource_metadata);

    const full = await authorize(found.as, cliClient, browser, user, {
      redirectUri,
      scope: denied.challenge.scope,
      resource: server.resource,
    });
    const whoami = await callMcp(server.resource, toolsCall('whoami'), full.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.deepEqual(whoami.body.result.structuredContent, {
      sub,
      client_id: cliClient.client_id,
      scope: 'mcp:read mcp:call',
    });
    const echo = await callMcp(server.resource, toolsCall('echo', { text: 'hello' }), full.access_token);
    assert.deepEqual(echo.body.result, { content: [{ type: 'text', text: 'hello' }] });
  });

  it('a token for another resource, or for none, is refused; a revoked one too where the server introspects', async () => {
    const [server, elsewhere] = [mcp!, other!];
    const { as: metadata } = await discoverFrom(
      server.resource,
      `${new URL(server.resource).origin}/.well-known/oauth-protected-resource/mcp`,
    );
    const browser = new Browser();
    const scope = 'mcp:read mcp:call';
    const token = async (resource?: string) =>
      (await authorize(metadata, cliClient, browser, user, { redirectUri, scope, resource })).access_token;
    const [forServer, forElsewhere, forNone] = [
      await token(server.resource),
      await token(elsewhere.resource),
      await token(),
    ];
    const status = async (at: ResourceServer, accessToken: string) =>
      (await callMcp(at.resource, toolsList(), accessToken)).status;

    assert.equal(await status(server, forServer), 200);
    assert.equal(await status(elsewhere, forElsewhere), 200);
    for (const [at, accessToken] of [
      [server, forElsewhere],
      [elsewhere, forServer],
      [server, forNone],
      [elsewhere, forNone],
    ] as const) {
      const refused = await callMcp(at.resource, toolsList(), accessToken);
      assert.equal(refused.status, 401);
      assert.equal(refused.challenge.error, 'invalid_token');
      assert.equal(refused.challenge.error_description, 'the access token was issued for another resource');
    }

    // Revoked: the introspecting server refuses at once; the other one cannot know until the token expires.
    for (const accessToken of [forServer, forElsewhere]) {
      await oauth.processRevocationResponse(
        await oauth.revocationRequest(metadata, cliClient, oauth.None(), accessToken, insecure),
      );
    }
    const revoked = await callMcp(server.resource, toolsList(), forServer);
    assert.equal(revoked.status, 401);
    assert.equal(revoked.challenge.error_description, 'the access token is not active (revoked, expired or unknown)');
    assert.equal(await status(elsewhere, forElsewhere), 200, 'a JWT checked offline stays good until it expires');
  });

  it('a client registers itself (RFC 7591, open registration) and reaches the tools', async () => {
    const server = mcp!;
    const first = await callMcp(server.resource, initialize());
    const { as: metadata } = await discoverFrom(server.resource, first.challenge.resource_metadata);
    assert.ok(metadata.registration_endpoint, 'the metadata names the registration endpoint');
    const clientRedirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const registered = await registerItself(metadata, clientRedirectUri);
    assert.equal(registered.token_endpoint_auth_method, 'none');
    assert.equal(registered.client_secret, undefined, 'a public client gets no secret');
    await reachTools(registered, clientRedirectUri);
  });

  it('a client names its metadata document instead of registering', async () => {
    // The client's document, where its client_id points (http on 127.0.0.1: ..._ALLOW_HTTP_LOOPBACK=true).
    const clientRedirectUri = `http://127.0.0.1:${await freePort()}/callback`;
    const port = await freePort();
    const clientId = `http://127.0.0.1:${port}/mcp-client.json`;
    const document = {
      client_id: clientId,
      client_name: 'An MCP client with a metadata document',
      redirect_uris: [clientRedirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      scope: 'mcp:read mcp:call',
    };
    let fetched = 0;
    const host: Server = createServer((req, res) => {
      if (req.url !== '/mcp-client.json') return res.writeHead(404).end();
      fetched++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    });
    await new Promise<void>((resolve) => host.listen(port, '127.0.0.1', resolve));
    try {
      const metadata = await reachTools({ client_id: clientId, token_endpoint_auth_method: 'none' }, clientRedirectUri);
      assert.equal(metadata.client_id_metadata_document_supported, true, 'the metadata says documents are taken');
      assert.ok(fetched > 0, 'the server fetched the document');
    } finally {
      await new Promise((resolve) => host.close(resolve));
    }
  });

  it(
    'in Chromium: the person signs in, and the browser comes back to the loopback port the client listens on',
    { skip: chromiumSkip },
    async () => {
      const server = mcp!;
      const first = await callMcp(server.resource, initialize());
      const found = await discoverFrom(server.resource, first.challenge.resource_metadata);
      const port = await freePort();
      const callback = `http://127.0.0.1:${port}/callback`;
      const client = await registerItself(found.as, callback);
      const flow = new CodeFlow(found.as, client, {
        redirectUri: callback,
        scope: found.resource.scopes_supported!.join(' '),
        resource: server.resource,
      });

      // What an MCP client does: listen on the redirect URI until the browser brings the code back.
      let back: URL | undefined;
      const listener = createServer((req, res) => {
        back ??= new URL(req.url!, callback);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Signed in</h1>');
      });
      await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
      try {
        const landed = await signInInChromium(await flow.url(), callback, user);
        assert.equal(landed.heading, 'Signed in');
      } finally {
        await new Promise((resolve) => listener.close(resolve));
      }
      const tokens = await flow.redeem(back!);
      const whoami = await callMcp(server.resource, toolsCall('whoami'), tokens.access_token);
      assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
      assert.equal(whoami.body.result.structuredContent.client_id, client.client_id);
    },
  );
});
