import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { removeDir, tempDir } from '../helpers/server.js';

describe('token-ledger clients (no server running)', () => {
  const dataDir = tempDir();
  const env = { DATA_DIR: dataDir };
  after(() => removeDir(dataDir));
  const cli = async (...args: string[]) => {
    const ran = await runCli(args, env);
    return { ...ran, json: ran.code === 0 && args.includes('--json') ? JSON.parse(ran.stdout) : undefined };
  };

  it('creates clients with RFC 7591 metadata flags and prints the secret once', async () => {
    const made = await cli(
      'clients',
      'create',
      '--client-id',
      'svc-a',
      '--grant-types',
      'client_credentials',
      '--scope',
      'orders:read orders:write',
      '--json',
    );
    assert.equal(made.code, 0, made.stderr);
    assert.equal(made.json.client_id, 'svc-a');
    assert.match(made.json.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(made.json.client_secret_expires_at, 0);
    assert.equal(made.json.scope, 'orders:read orders:write');
    const ledger = readFileSync(join(dataDir, 'ledger.sqlite'));
    assert.equal(ledger.includes(made.json.client_secret), false, 'the secret is not in the ledger file');

    const spa = await cli(
      'clients',
      'create',
      '--client-id',
      'spa',
      '--client-name',
      'My SPA',
      '--grant-types',
      'authorization_code,refresh_token',
      '--redirect-uris',
      'https://app.example/cb,http://127.0.0.1/cb',
      '--token-endpoint-auth-method',
      'none',
      '--scope',
      'openid',
      '--access-token-format',
      'opaque',
      '--access-token-ttl',
      '600',
      '--logo-uri',
      'https://cdn.example/spa.png',
      '--client-uri',
      'https://app.example/',
      '--policy-uri',
      'https://app.example/privacy',
      '--tos-uri',
      'https://app.example/terms',
      '--json',
    );
    assert.equal(spa.code, 0, spa.stderr);
    assert.equal(spa.json.logo_uri, 'https://cdn.example/spa.png');
    assert.equal(spa.json.client_uri, 'https://app.example/');
    assert.equal(spa.json.policy_uri, 'https://app.example/privacy');
    assert.equal(spa.json.tos_uri, 'https://app.example/terms');
    assert.equal(spa.json.client_secret, undefined);
    assert.deepEqual(spa.json.redirect_uris, ['https://app.example/cb', 'http://127.0.0.1/cb']);
    assert.equal(spa.json.access_token_ttl, 600);

    const chosen = await cli(
      'clients',
      'create',
      '--client-id',
      'own',
      '--client-secret',
      'my own secret, long enough',
      '--json',
    );
    assert.equal(chosen.json.client_secret, 'my own secret, long enough');
  });

  it('lists, shows, updates, rotates and disables', async () => {
    const list = await cli('clients', 'list', '--json');
    assert.deepEqual(list.json.clients.map((c: { client_id: string }) => c.client_id).sort(), ['own', 'spa', 'svc-a']);
    assert.equal(
      list.json.clients.some((c: object) => 'client_secret' in c),
      false,
    );
    const human = await cli('clients', 'list');
    assert.match(human.stdout, /CLIENT_ID\s+NAME/);

    const updated = await cli(
      'clients',
      'update',
      'svc-a',
      '--scope',
      'orders:read',
      '--access-token-signing-alg',
      'RS256',
      '--json',
    );
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(updated.json.scope, 'orders:read');
    assert.equal(updated.json.access_token_signing_alg, 'RS256');
    assert.deepEqual(updated.json.grant_types, ['client_credentials'], 'unspecified flags keep their values');

    const rotated = await cli('clients', 'rotate-secret', 'svc-a', '--json');
    assert.match(rotated.json.client_secret, /^[A-Za-z0-9_-]{43}$/);
    const overlapEnd = rotated.json.previous_secret_expires_at - Date.now() / 1000;
    assert.ok(overlapEnd > 86_000 && overlapEnd <= 86_400, 'the replaced secret works for a day by default');
    const cut = await cli('clients', 'rotate-secret', 'svc-a', '--grace', '0', '--json');
    assert.equal(cut.json.previous_secret_expires_at, undefined, '--grace 0: the replaced secret stops at once');
    assert.equal((await cli('clients', 'disable', 'svc-a', '--json')).json.disabled, true);
    assert.equal((await cli('clients', 'show', 'svc-a', '--json')).json.disabled, true);
  });

  it('refuses bad input with one line and a non-zero exit', async () => {
    for (const [args, pattern] of [
      [['clients', 'create', '--client-id', 'spa'], /client spa already exists/],
      [['clients', 'create', '--grant-types', 'password'], /unknown grant type password/],
      [
        ['clients', 'create', '--grant-types', 'authorization_code', '--redirect-uris', 'https://a.example/cb#frag'],
        /has a fragment/,
      ],
      [['clients', 'create', '--token-endpoint-auth-method', 'private_key_jwt'], /private_key_jwt needs jwks/],
      [['clients', 'create', '--jwks', 'not json'], /expected a JWK Set/],
      [['clients', 'show', 'nobody'], /client nobody does not exist/],
      [['clients', 'rotate-secret', 'spa'], /does not authenticate with a secret/],
      [['clients', 'rotate-secret', 'svc-a', '--grace', '-1'], /expected a whole number of seconds, 0 or more/],
      [['clients', 'disable', 'svc-a'], /client svc-a is disabled/],
    ] as const) {
      const ran = await cli(...args);
      assert.notEqual(ran.code, 0, args.join(' '));
      assert.match(ran.stderr, pattern);
      assert.equal(ran.stderr.trim().split('\n').length <= 2, true, ran.stderr);
    }
  });

  /** Events in the ledger, as `verify` counts them: a refusal must leave it unchanged. */
  const events = async () => JSON.parse((await runCli(['verify', '--json'], env)).stdout).events as number;
  const refusedWithOneLine = (ran: { code: number | null; stderr: string }, pattern: RegExp) => {
    assert.equal(ran.code, 1, ran.stderr);
    assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr);
    assert.match(ran.stderr, pattern);
  };

  it('refuses a chosen client secret under 16 characters at create and rotate-secret, writing nothing', async () => {
    const before = await events();
    const rule =
      /^token-ledger: a chosen client secret must be at least 16 characters \(this one has 1\); leave it out to get a generated one of 43$/m;
    refusedWithOneLine(await cli('clients', 'create', '--client-id', 'weak', '--client-secret', 'x'), rule);
    refusedWithOneLine(await cli('clients', 'rotate-secret', 'own', '--client-secret', 'x'), rule);
    refusedWithOneLine(
      await cli('clients', 'create', '--client-id', 'weak', '--client-secret', 'fifteen-chars!!'),
      /this one has 15/,
    );
    assert.equal(await events(), before);
    assert.equal((await cli('clients', 'show', 'weak')).code, 1);
    const sixteen = await cli(
      'clients',
      'create',
      '--client-id',
      'weak',
      '--client-secret',
      'sixteen-chars-ok',
      '--json',
    );
    assert.equal(sixteen.code, 0, sixteen.stderr);
    const rotated = await cli('clients', 'rotate-secret', 'weak', '--client-secret', 'another-16-chars', '--json');
    assert.equal(rotated.json.client_secret, 'another-16-chars');
  });

  it('refuses an access token TTL above MAX_TOKEN_LIFETIME at create and update, naming both values', async () => {
    const before = await events();
    const tooLong =
      /^token-ledger: access_token_ttl 999999 is above this server's MAX_TOKEN_LIFETIME \(86400 seconds\), which every token is cut to: choose at most 86400, or raise MAX_TOKEN_LIFETIME$/m;
    refusedWithOneLine(
      await cli('clients', 'create', '--client-id', 'long-ttl', '--access-token-ttl', '999999'),
      tooLong,
    );
    refusedWithOneLine(await cli('clients', 'update', 'own', '--access-token-ttl', '999999'), tooLong);
    assert.equal(await events(), before);
    assert.equal((await cli('clients', 'show', 'own', '--json')).json.access_token_ttl, 3600);

    assert.equal(
      (await cli('clients', 'create', '--client-id', 'day-ttl', '--access-token-ttl', '86400')).code,
      0,
      'the limit itself is allowed',
    );
    const raised = await runCli(['clients', 'update', 'own', '--access-token-ttl', '999999', '--json'], {
      ...env,
      MAX_TOKEN_LIFETIME: '1000000',
    });
    assert.equal(raised.code, 0, raised.stderr);
    assert.equal(JSON.parse(raised.stdout).access_token_ttl, 999_999);
    // The limit lowered again: the client's other fields can still change; issuance clamps its tokens.
    const renamed = await cli('clients', 'update', 'own', '--client-name', 'Own', '--json');
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal(renamed.json.access_token_ttl, 999_999);
  });
});
