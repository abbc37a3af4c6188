import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleClientCommand } from '../../src/application/clients.js';
import { clientById } from '../../src/application/queries/clients.js';
import { loadConfig } from '../../src/config/config.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { ClientRegistration } from '../../src/domain/clients/events.js';
import { clientMetadata } from '../../src/domain/clients/metadataDefaults.js';
import { openRuntime } from '../../src/runtime.js';
import { runCli, runNode, SERVER } from '../helpers/cli.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { removeDir, tempDir } from '../helpers/server.js';

/** Clients that registered themselves, written as /register would, by a short-lived process on the same ledger. */
async function selfRegistered(dataDir: string, clientIds: string[], registration: ClientRegistration): Promise<void> {
  const rt = await openRuntime(loadConfig({ DATA_DIR: dataDir }), { role: 'cli' });
  try {
    await rt.runner.start();
    const metadata = clientMetadata({
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      redirect_uris: ['http://127.0.0.1:8000/cb'],
    });
    for (const clientId of clientIds)
      await handleClientCommand(
        rt.ports,
        { type: 'RegisterClient', clientId, metadata, secret: null, registration },
        { actor: 'system', correlationId: randomUUID() },
      );
  } finally {
    await rt.close();
  }
}

describe('token-ledger initial-access-tokens list|revoke, clients prune-dynamic (no server running)', () => {
  const dataDir = tempDir();
  const env = { DATA_DIR: dataDir };
  after(() => removeDir(dataDir));
  const cli = async (args: string[], extra: Record<string, string> = {}) => {
    const ran = await runCli(args, { ...env, ...extra });
    return { ...ran, json: ran.code === 0 && args.includes('--json') ? JSON.parse(ran.stdout) : undefined };
  };
  const events = async () => (await cli(['verify', '--json'])).json.events as number;

  it('lists tokens by id and status (never the token); revokes by id; an unknown id is refused, nothing written', async () => {
    assert.equal((await cli(['clients', 'create', '--client-id', 'seed'])).code, 0);
    const minted = await cli(['initial-access-tokens', 'create', '--uses', '2', '--json']);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.json.initial_access_token as string;
    const id = sha256(token);

    const listed = await cli(['initial-access-tokens', 'list', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(token));
    const [entry] = listed.json.initial_access_tokens;
    assert.deepEqual(
      { ...entry, created_at: undefined },
      {
        id,
        status: 'active',
        created_at: undefined,
        expires_at: null,
        uses: 2,
        uses_left: 2,
        used_count: 0,
        revoked_at: null,
      },
    );
    const human = await cli(['initial-access-tokens', 'list']);
    assert.match(human.stdout, new RegExp(`${id}\\s+active\\s+never\\s+2\\s+0`));

    const before = await events();
    for (const bad of ['u'.repeat(43), 'nope']) {
      const refused = await cli(['initial-access-tokens', 'revoke', bad]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /^token-ledger: no initial access token has id/);
    }
    assert.equal(await events(), before);
    const revoked = await cli(['initial-access-tokens', 'revoke', id, '--json']);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.json.status, 'revoked');
    assert.equal(
      (await cli(['initial-access-tokens', 'revoke', id])).stdout.trim(),
      `initial access token ${id} revoked`,
    );
    const before2 = await events();
    const badPolicy = await cli(['initial-access-tokens', 'create', '--policy', '{"grantTypes":["password"]}']);
    assert.equal(badPolicy.code, 1);
    assert.match(badPolicy.stderr, /grantTypes/);
    assert.equal(await events(), before2);
    const narrowed = await cli(['initial-access-tokens', 'create', '--policy', '{"scope":"openid"}', '--json']);
    assert.equal(narrowed.code, 0, narrowed.stderr);
    assert.deepEqual(narrowed.json.policy, { scope: 'openid' });
    const all = (await cli(['initial-access-tokens', 'list', '--json'])).json.initial_access_tokens;
    assert.deepEqual(all.at(-1).policy, { scope: 'openid' });
    assert.equal(all.at(-1).id, narrowed.json.id);
  });

  it('prune-dynamic deletes self-registered clients idle for DYNAMIC_CLIENT_IDLE_TTL (or --idle); never operators', async () => {
    const unset = await cli(['clients', 'prune-dynamic', '--json']);
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /^token-ledger: DYNAMIC_CLIENT_IDLE_TTL is 0 \(never prune\)/);

    await selfRegistered(dataDir, ['dyn-a', 'dyn-b'], { via: 'dynamic', access: 'open' });
    await sleep(1100);
    const before = await events();
    const dry = await cli(['clients', 'prune-dynamic', '--dry-run', '--json'], { DYNAMIC_CLIENT_IDLE_TTL: '1' });
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.json.dry_run, true);
    assert.deepEqual(
      dry.json.pruned.map((c: { client_id: string }) => c.client_id),
      ['dyn-a', 'dyn-b'],
    );
    assert.equal(await events(), before, 'a dry run writes nothing');
    assert.deepEqual((await cli(['clients', 'prune-dynamic', '--idle', '3600', '--json'])).json.pruned, []);

    const pruned = await cli(['clients', 'prune-dynamic', '--json'], { DYNAMIC_CLIENT_IDLE_TTL: '1' });
    assert.equal(pruned.code, 0, pruned.stderr);
    assert.deepEqual(
      pruned.json.pruned.map((c: { client_id: string }) => c.client_id),
      ['dyn-a', 'dyn-b'],
    );
    const shown = (await cli(['clients', 'show', 'dyn-a', '--json'])).json;
    assert.equal(shown.deleted, true);
    assert.deepEqual(shown.registration, { via: 'dynamic', access: 'open' });
    assert.equal((await cli(['clients', 'show', 'seed', '--json'])).json.deleted, undefined, 'operators: never');
    const list = await cli(['clients', 'list']);
    assert.match(list.stdout, /dyn-a .*deleted/);
    const again = await cli(['clients', 'prune-dynamic'], { DYNAMIC_CLIENT_IDLE_TTL: '1' });
    assert.equal(again.stdout.trim(), 'deleted 0 self-registered client(s)');
  });
});

describe('the server with self-registration settings', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));

  it('refuses to start on a bad REGISTRATION_POLICY_FILE, with one line naming it', async () => {
    const file = join(dataDir, 'policy.json');
    writeFileSync(file, '{"redirectUriPrefixes":["https://app.example"]}');
    const ran = await runNode(SERVER, [], {
      PORT: '0',
      DATA_DIR: join(dataDir, 'never'),
      REGISTRATION_POLICY_FILE: file,
    });
    assert.equal(ran.code, 1, ran.stderr);
    const lines = ran.stderr.trim().split('\n');
    assert.equal(lines.length, 1, ran.stderr);
    assert.match(
      lines[0],
      /^token-ledger: REGISTRATION_POLICY_FILE=".*policy\.json" is invalid: .*must end past the host/,
    );
  });

  it('prunes idle self-registered clients on its own, and stops doing so when closed', async () => {
    const server = await startInjectServer({ dataDir, env: { DYNAMIC_CLIENT_IDLE_TTL: '1' } });
    await server.close();
    await selfRegistered(dataDir, ['dyn-idle'], { via: 'dynamic', access: 'open' });
    await sleep(1100);
    const again = await startInjectServer({ dataDir, env: { DYNAMIC_CLIENT_IDLE_TTL: '1' } });
    try {
      for (let i = 0; i < 100 && !clientById(again.runtime.views, 'dyn-idle')?.deleted; i++) await sleep(50);
      const client = clientById(again.runtime.views, 'dyn-idle');
      assert.equal(client?.deleted, true);
      const last = (await again.runtime.store.readStream('client-dyn-idle')).at(-1)!;
      assert.deepEqual(
        { type: last.type, actor: last.metadata.actor, reason: last.metadata.reason },
        { type: 'ClientDeleted', actor: 'system', reason: 'unused for 1 second' },
      );
    } finally {
      await again.close();
    }
  });
});
