import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createUser } from '../helpers/flow.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

interface Answer {
  status: number;
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }> };
  text: string;
}

const ERASE =
  'mutation($sub: ID!, $reason: String!) { eraseUser(sub: $sub, reason: $reason) { sub username email name erased disabled history { type reason } } }';

describe('GraphQL eraseUser', () => {
  let server: TestServer;
  let admin: string;
  let audit: string;

  async function gql(query: string, variables: Record<string, unknown>, token?: string): Promise<Answer> {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text), text };
  }

  async function tokenWith(scope: string): Promise<string> {
    const c = await registerClient(server, { scope });
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
    assert.equal(res.status, 200, res.text);
    return res.body.access_token as string;
  }

  /** The answer is this error, and the ledger did not move. */
  async function refused(
    run: () => Promise<Answer>,
    expected: { code: string; message: string; reason?: string },
  ): Promise<void> {
    const head = await ledgerHead(server);
    const res = await run();
    const error = res.body.errors?.[0];
    assert.equal(error?.extensions?.code, expected.code, res.text);
    assert.equal(error?.message, expected.message);
    if (expected.reason !== undefined) assert.equal(error?.extensions?.reason, expected.reason);
    assert.equal(res.body.data?.eraseUser ?? null, null);
    assert.equal(await ledgerHead(server), head, 'nothing written');
  }

  before(async () => {
    server = await startInjectServer();
    admin = await tokenWith('ledger:admin');
    audit = await tokenWith('ledger:audit');
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  it('erases with the reason recorded; the user then reads erased', async () => {
    const { sub } = await createUser(server, 'gql-erasure-subject');
    const res = await gql(ERASE, { sub, reason: '  GDPR art. 17, ticket 7  ' }, admin);
    assert.equal(res.body.errors, undefined, res.text);
    const u = res.body.data.eraseUser;
    assert.deepEqual(
      [u.sub, u.username, u.email, u.name, u.erased, u.disabled],
      [sub, 'erased', 'erased', 'erased', true, true],
    );
    assert.deepEqual(u.history.slice(-2), [
      { type: 'UserDisabled', reason: 'GDPR art. 17, ticket 7' },
      { type: 'UserErased', reason: 'GDPR art. 17, ticket 7' },
    ]);
    const head = await ledgerHead(server);
    const again = await gql(ERASE, { sub, reason: 'again' }, admin);
    assert.equal(again.body.data.eraseUser.erased, true, 'idempotent');
    assert.equal(await ledgerHead(server), head, 'and writes nothing');
  });

  it('refuses a missing, blank or overlong reason, an unknown sub, and any caller but ledger:admin', async () => {
    const { sub } = await createUser(server, 'gql-erasure-kept');
    await refused(() => gql('mutation($sub: ID!) { eraseUser(sub: $sub) { sub } }', { sub }, admin), {
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: 'Field "eraseUser" argument "reason" of type "String!" is required, but it was not provided.',
    });
    for (const reason of ['', '   ', 'x'.repeat(201)])
      await refused(() => gql(ERASE, { sub, reason }, admin), {
        code: 'BAD_USER_INPUT',
        message: 'reason must be 1 to 200 characters',
      });
    const nobody = randomUUID();
    await refused(() => gql(ERASE, { sub: nobody, reason: 'no such user' }, admin), {
      code: 'BAD_USER_INPUT',
      message: `user ${nobody} does not exist`,
      reason: 'user_not_found',
    });
    await refused(() => gql(ERASE, { sub, reason: 'not mine to erase' }, audit), {
      code: 'FORBIDDEN',
      message: 'only ledger:admin may change the ledger',
    });
    await refused(() => gql(ERASE, { sub, reason: 'anonymous' }), {
      code: 'UNAUTHENTICATED',
      message: 'a Bearer access token with scope ledger:admin or ledger:audit is required',
    });
    const still = await gql('query($sub: ID!) { user(sub: $sub) { username erased } }', { sub }, admin);
    assert.deepEqual(still.body.data.user, { username: 'gql-erasure-kept', erased: false });
  });
});
