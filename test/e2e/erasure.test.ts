/**
 * Erasure end to end: a user signs in and gets tokens, `token-ledger users erase` runs beside the server, and
 * afterwards no file of the data directory (nor, on PostgreSQL, any row) holds the person's data in any encoding
 * the secret-hygiene test knows, while `verify` passes and replay, the CLI and the server all read `erased`.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { registerUser } from '../../src/application/registerUser.js';
import { sha256 } from '../../src/crypto/hash.js';
import { runCli } from '../helpers/cli.js';
import { encodedForms } from '../helpers/encodings.js';
import { authorizeWithPkce } from '../helpers/flow.js';
import { Browser } from '../helpers/browser.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { createTestDatabase, postgresSkip } from '../postgres/database.js';

const PERSON = {
  username: 'Zelda.Erasure-Subject',
  email: 'zelda.subject@erasure.example',
  name: 'Zelda Erasure-Subject',
};
const PASSWORD = 'correct horse battery staple';
const REDIRECT = 'https://rp.example/cb';

/** Every form of the person's data that must be gone, including the unkeyed hash the first release named streams by. */
function personalForms(): Map<string, string> {
  const forms = new Map<string, string>();
  for (const [field, value] of Object.entries(PERSON)) {
    for (const v of new Set([value, value.toLowerCase()])) for (const f of encodedForms(v)) forms.set(f, field);
  }
  forms.set(sha256(PERSON.username.toLowerCase()), 'username (unkeyed sha256)');
  return forms;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The person's data found in `bytes`, as "field in where" lines. */
function leaks(where: string, bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  return [...personalForms()].filter(([form]) => text.includes(form)).map(([, field]) => `${field} in ${where}`);
}

/** Signs the person in through the browser flow and redeems the code: answers the tokens. */
async function signIn(server: TestServer, clientId: string) {
  const run = await authorizeWithPkce(
    server,
    new Browser(server.fetch),
    clientId,
    REDIRECT,
    { username: PERSON.username, password: PASSWORD },
    { scope: 'openid profile email' },
  );
  const code = run.params.get('code');
  assert.ok(code, run.page.html?.slice(0, 300));
  const res = await postForm(server, '/token', {
    grant_type: 'authorization_code',
    code,
    redirect_uri: REDIRECT,
    client_id: clientId,
    code_verifier: run.verifier,
  });
  assert.equal(res.status, 200, res.text);
  return res.body as { access_token: string; refresh_token: string; id_token: string };
}

async function introspect(server: TestServer, rs: { clientId: string; secret: string | null }, token: string) {
  const res = await postForm(server, '/introspect', { token }, basic(rs.clientId, rs.secret!));
  assert.equal(res.status, 200, res.text);
  return res.body.active as boolean;
}

async function person(server: TestServer) {
  const ctx = { actor: 'operator:test', correlationId: randomUUID() };
  return registerUser(server.runtime.ports, { ...PERSON, password: PASSWORD, emailVerified: true }, ctx);
}

async function appAndResourceServer(server: TestServer) {
  const app = await registerClient(
    server,
    {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [REDIRECT],
      token_endpoint_auth_method: 'none',
      scope: 'openid profile email',
    },
    null,
  );
  const rs = await registerClient(server, { scope: '' });
  return { app, rs };
}

describe('token-ledger users erase', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach(removeDir));

  it('looks for every field, raw and encoded', () => {
    const found = leaks('a plain copy', Buffer.from(JSON.stringify(PERSON)));
    assert.deepEqual(new Set(found.map((f) => f.split(' ')[0])), new Set(['username', 'email', 'name']));
    assert.ok(leaks('base64', Buffer.from(Buffer.from(PERSON.email).toString('base64'))).length > 0);
  });

  it('leaves no personal data in the data directory, verify green, replay and the server reading erased', async () => {
    const server = await startTestServer({ env: { LOG_LEVEL: 'silent' } });
    dirs.push(server.dataDir);
    const env = { DATA_DIR: server.dataDir, LOG_LEVEL: 'silent' };
    let tokens: Awaited<ReturnType<typeof signIn>>;
    let sub: string;
    let rs: { clientId: string; secret: string | null };
    try {
      sub = (await person(server)).sub;
      const clients = await appAndResourceServer(server);
      rs = clients.rs;
      tokens = await signIn(server, clients.app.clientId);
      const info = await server.fetch(`${server.url}/userinfo`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      assert.equal(info.status, 200);
      const claims = (await info.json()) as Record<string, unknown>;
      assert.deepEqual(
        [claims.sub, claims.email, claims.name, claims.preferred_username],
        [sub, PERSON.email, PERSON.name, PERSON.username],
        'a live user gets the claims, opened with their key',
      );
      for (const t of [tokens.access_token, tokens.refresh_token]) assert.equal(await introspect(server, rs, t), true);

      // Beside the running server, as an operator would: the server learns of it through its subscription.
      const erased = await runCli(['users', 'erase', PERSON.username, '--reason', 'GDPR art. 17, ticket 42'], env);
      assert.equal(erased.code, 0, erased.stderr);
      assert.equal(erased.stdout.trim(), `user ${sub} erased`);
      await server.runtime.runner.waitFor(await server.runtime.store.headPosition());

      for (const t of [tokens.access_token, tokens.refresh_token])
        assert.equal(await introspect(server, rs, t), false, 'the tokens are inactive');
      const again = await authorizeWithPkce(
        server,
        new Browser(server.fetch),
        clients.app.clientId,
        REDIRECT,
        { username: PERSON.username, password: PASSWORD },
        { scope: 'openid' },
      );
      assert.equal(again.params.get('code'), null, 'the username cannot sign in');
      assert.match(again.page.html ?? '', /name="password"/, 'the login form again');
    } finally {
      await server.close();
    }

    const shown = await runCli(['users', 'show', sub, '--json'], env);
    assert.equal(shown.code, 0, shown.stderr);
    const u = JSON.parse(shown.stdout);
    assert.deepEqual([u.username, u.email, u.name, u.erased, u.disabled], ['erased', 'erased', 'erased', true, true]);
    const twice = await runCli(['users', 'erase', sub, '--reason', 'again', '--json'], env);
    assert.equal(twice.code, 0, twice.stderr);
    assert.equal(JSON.parse(twice.stdout).erased, true, 'idempotent');
    const unknown = await runCli(['users', 'erase', randomUUID(), '--reason', 'nobody'], env);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /user [0-9a-f-]{36} does not exist/);
    const noReason = await runCli(['users', 'erase', sub], env);
    assert.notEqual(noReason.code, 0);
    assert.match(noReason.stderr, /required option '--reason <reason>' not specified/);

    const verified = await runCli(['verify', '--json'], env);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.equal(JSON.parse(verified.stdout).ok, true, 'the hashes cover the ciphertext, still there');
    const replay = JSON.parse((await runCli(['replay', '--json'], env)).stdout);
    assert.deepEqual([replay.users, replay.erasedUsers], [1, 1]);
    assert.match((await runCli(['replay'], env)).stdout, /users 1 \(1 erased\)/);

    const found = filesUnder(server.dataDir).flatMap((f) => leaks(f.slice(server.dataDir.length + 1), readFileSync(f)));
    assert.deepEqual(found, [], 'no personal data anywhere in the data directory');
    const exported = join(server.dataDir, 'after.ndjson');
    assert.equal((await runCli(['export', '--out', exported], env)).code, 0);
    assert.deepEqual(leaks('the export', readFileSync(exported)), []);
  });

  it('on PostgreSQL: no row of any table holds the person once erased', { skip: postgresSkip }, async () => {
    const db = await createTestDatabase();
    const dataDir = tempDir('tl-erase-pg-');
    dirs.push(dataDir);
    const env = {
      DATABASE_URL: db.url,
      KEY_ENCRYPTION_SECRET: `erasure-test-secret-${randomUUID()}`,
      LOG_LEVEL: 'silent',
    };
    try {
      const server = await startTestServer({ dataDir, env });
      let sub: string;
      try {
        sub = (await person(server)).sub;
        const { app } = await appAndResourceServer(server);
        await signIn(server, app.clientId);
      } finally {
        await server.close();
      }
      const everything = async () => {
        const tables = await db.sql<{ t: string }>(
          'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema()',
        );
        assert.ok(tables.some((r) => r.t === 'subject_keys'));
        const rows: string[] = [];
        for (const { t } of tables) rows.push(...(await db.sql(`SELECT * FROM ${t}`)).map((r) => JSON.stringify(r)));
        return Buffer.from(rows.join('\n'));
      };
      assert.notDeepEqual(
        (await db.sql('SELECT wrapped FROM subject_keys WHERE sub = $1', [sub]))[0],
        { wrapped: null },
        'a live user has a key',
      );
      assert.deepEqual(leaks('PostgreSQL', await everything()), [], 'sealed, even before erasure');
      const erased = await runCli(['users', 'erase', sub, '--reason', 'GDPR art. 17'], { ...env, DATA_DIR: dataDir });
      assert.equal(erased.code, 0, erased.stderr);
      assert.deepEqual(await db.sql('SELECT wrapped FROM subject_keys WHERE sub = $1', [sub]), [{ wrapped: null }]);
      assert.deepEqual(leaks('PostgreSQL', await everything()), []);
      const verified = await runCli(['verify', '--json'], { ...env, DATA_DIR: dataDir });
      assert.equal(verified.code, 0, verified.stdout + verified.stderr);
      const shown = JSON.parse((await runCli(['users', 'show', sub, '--json'], { ...env, DATA_DIR: dataDir })).stdout);
      assert.equal(shown.username, 'erased');
    } finally {
      await db.drop();
    }
  });
});
