import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { handleClientCommand } from '../../src/application/clients.js';
import { loadConfig } from '../../src/config/config.js';
import { clientStream } from '../../src/domain/clients/streams.js';
import type { ClientMetadata } from '../../src/domain/clients/events.js';
import { openRuntime } from '../../src/runtime.js';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';

describe('token-ledger clients update keeps what no flag names', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));

  it('keeps backchannel_logout_session_required (set by an earlier registration)', async () => {
    const metadata: ClientMetadata = {
      grant_types: ['authorization_code'],
      redirect_uris: ['https://rp.example/cb'],
      scope: 'openid',
      token_endpoint_auth_method: 'none',
      access_token_format: 'jwt',
      access_token_signing_alg: 'ES256',
      access_token_ttl: 600,
      backchannel_logout_uri: 'https://rp.example/logout',
      backchannel_logout_session_required: true,
    };
    const rt = await openRuntime(loadConfig({ DATA_DIR: dataDir }), { role: 'cli' });
    try {
      await rt.runner.start();
      await handleClientCommand(
        rt.ports,
        { type: 'RegisterClient', clientId: 'rp', metadata, secret: null },
        { actor: 'operator:test', correlationId: 'c' },
      );
    } finally {
      await rt.close();
    }

    const updated = await runCli(['clients', 'update', 'rp', '--scope', 'openid profile', '--json'], {
      DATA_DIR: dataDir,
    });
    assert.equal(updated.code, 0, updated.stderr);
    const shown = JSON.parse(updated.stdout) as ClientMetadata;
    assert.equal(shown.scope, 'openid profile');
    assert.equal(shown.backchannel_logout_session_required, true);

    const reopened = await openRuntime(loadConfig({ DATA_DIR: dataDir }), { role: 'cli' });
    try {
      const events = await reopened.store.readStream(clientStream('rp'));
      assert.deepEqual(
        events.map((e) => e.type),
        ['ClientRegistered', 'ClientUpdated'],
      );
      // The operator's change is recorded field by field (ClientUpdated v2): only the scope changed.
      assert.deepEqual(events[1].data, {
        clientId: 'rp',
        metadata: { ...metadata, scope: 'openid profile' },
        changes: { scope: { before: 'openid', after: 'openid profile' } },
      });
      assert.equal(events[1].metadata.schemaVersion, 2);
    } finally {
      await reopened.close();
    }
  });
});

describe('token-ledger clients create: token exchange policy flags', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));
  const grant = 'urn:ietf:params:oauth:grant-type:token-exchange';

  it('registers the policy, and refuses a public client or one without audiences', async () => {
    const created = await runCli(
      [
        'clients',
        'create',
        '--grant-types',
        grant,
        '--token-exchange-audiences',
        'https://api.example/orders,https://api.example/billing',
        '--token-exchange-impersonation',
        '--token-exchange-max-depth',
        '2',
        '--json',
      ],
      { DATA_DIR: dataDir },
    );
    assert.equal(created.code, 0, created.stderr);
    const shown = JSON.parse(created.stdout) as ClientMetadata;
    assert.deepEqual(shown.token_exchange_audiences, ['https://api.example/orders', 'https://api.example/billing']);
    assert.equal(shown.token_exchange_impersonation, true);
    assert.equal(shown.token_exchange_max_depth, 2);
    const publicClient = await runCli(
      [
        'clients',
        'create',
        '--grant-types',
        grant,
        '--token-endpoint-auth-method',
        'none',
        '--token-exchange-audiences',
        'https://api.example/orders',
      ],
      { DATA_DIR: dataDir },
    );
    assert.equal(publicClient.code, 1);
    assert.match(publicClient.stderr, /public client/);
    const noAudience = await runCli(['clients', 'create', '--grant-types', grant], { DATA_DIR: dataDir });
    assert.equal(noAudience.code, 1);
    assert.match(noAudience.stderr, /token_exchange_audiences/);
  });
});
