import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, UsageError } from '../../examples/mcp-resource-server/config.js';
import { buildServer } from '../../examples/mcp-resource-server/server.js';
import { InvalidToken, type Caller } from '../../examples/mcp-resource-server/tokens.js';

/**
 * The example MCP server's answers (examples/mcp-resource-server), through app.inject() with a stand-in token
 * check: the challenges, the JSON-RPC edges, the metadata URLs. test/e2e/mcpWalkthrough.test.ts checks it with
 * real tokens.
 */
const RESOURCE = 'http://localhost:3001/mcp';
const METADATA = 'http://localhost:3001/.well-known/oauth-protected-resource/mcp';
const callers: Record<string, Caller> = {
  reader: { sub: 'alice', clientId: 'c1', scopes: new Set(['mcp:read']) },
  caller: { sub: 'alice', clientId: 'c1', scopes: new Set(['mcp:read', 'mcp:call']) },
};
const app = buildServer(loadConfig(['--resource', RESOURCE], {}), async (token) => {
  if (callers[token]) return callers[token];
  if (token === 'down') throw new Error('connect ECONNREFUSED');
  throw new InvalidToken('the access token has expired');
});
after(() => app.close());

const post = (body: unknown, token?: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: '/mcp',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    payload: JSON.stringify(body),
  });
const call = (id: number, method: string, params?: unknown) => ({ jsonrpc: '2.0', id, method, params });

describe('the example MCP server', () => {
  it('serves its metadata at the path-suffixed URL and at the root', async () => {
    for (const url of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json(), {
        resource: RESOURCE,
        authorization_servers: ['http://localhost:3000'],
        scopes_supported: ['mcp:read', 'mcp:call'],
        bearer_methods_supported: ['header'],
        resource_name: 'token-ledger example MCP server',
      });
    }
  });

  it('challenges: no token, a bad one, a malformed header, too little scope; 503 when tokens cannot be checked', async () => {
    const none = await post(call(1, 'tools/call', { name: 'whoami' }));
    assert.equal(none.statusCode, 401);
    assert.equal(none.headers['www-authenticate'], `Bearer scope="mcp:read mcp:call", resource_metadata="${METADATA}"`);

    const bad = await post(call(1, 'tools/list'), 'expired');
    assert.equal(bad.statusCode, 401);
    assert.equal(
      bad.headers['www-authenticate'],
      `Bearer error="invalid_token", error_description="the access token has expired", scope="mcp:read", resource_metadata="${METADATA}"`,
    );

    const basic = await post(call(1, 'tools/list'), undefined, { authorization: 'Basic YTpi' });
    assert.equal(basic.statusCode, 400);
    assert.match(String(basic.headers['www-authenticate']), /^Bearer error="invalid_request"/);

    const reader = await post(call(1, 'tools/call', { name: 'whoami' }), 'reader');
    assert.equal(reader.statusCode, 403);
    assert.equal(
      reader.headers['www-authenticate'],
      `Bearer error="insufficient_scope", scope="mcp:read mcp:call", error_description="this request needs the scope mcp:call", resource_metadata="${METADATA}"`,
    );

    const down = await post(call(1, 'tools/list'), 'down');
    assert.equal(down.statusCode, 503);
    assert.equal(down.headers['www-authenticate'], undefined);
  });

  it('answers JSON-RPC: notifications with 202, unknown methods and tools, batches, a tool error', async () => {
    assert.equal((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, 'reader')).statusCode, 202);
    assert.deepEqual((await post(call(2, 'resources/list'), 'reader')).json().error.code, -32601);
    assert.deepEqual((await post([call(3, 'ping')], 'reader')).json(), {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'not a JSON-RPC 2.0 request (one message per POST, no batches)' },
    });
    assert.equal((await post(call(4, 'tools/call', { name: 'rm' }), 'caller')).json().error.code, -32602);
    const noText = (await post(call(5, 'tools/call', { name: 'echo', arguments: {} }), 'caller')).json();
    assert.equal(noText.result.isError, true);
    const asked = (await post(call(6, 'initialize', { protocolVersion: '2025-06-18' }), 'reader')).json();
    assert.equal(asked.result.protocolVersion, '2025-06-18', 'a version it speaks is kept');
    const unknown = (await post(call(7, 'initialize', { protocolVersion: '2024-01-01' }), 'reader')).json();
    assert.equal(unknown.result.protocolVersion, '2025-11-25', 'else its newest');
    assert.equal((await app.inject({ method: 'GET', url: '/mcp' })).statusCode, 405);
  });

  it('reads its settings from flags first, then the environment; introspection needs both credentials', () => {
    const config = loadConfig(['--port', '4000'], { MCP_PORT: '5000', MCP_ISSUER: 'https://as.example' });
    assert.equal(config.port, 4000);
    assert.equal(config.issuer, 'https://as.example');
    assert.equal(config.resource.href, 'http://localhost:4000/mcp');
    assert.equal(config.introspection, undefined);
    assert.throws(() => loadConfig(['--introspect', '--client-id', 'rs'], {}), UsageError);
    assert.deepEqual(
      loadConfig(['--introspect', '--client-id', 'rs'], { MCP_INTROSPECTION_CLIENT_SECRET: 's' }).introspection,
      { clientId: 'rs', clientSecret: 's' },
    );
    assert.throws(() => loadConfig(['--resource', 'http://localhost:3001/mcp#x'], {}), UsageError);
    assert.throws(() => loadConfig(['--port', 'x'], {}), UsageError);
  });
});
