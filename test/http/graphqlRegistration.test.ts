import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { handleClientCommand } from '../../src/application/clients.js';
import { serverRegistrationPolicy } from '../../src/application/registrationPolicy.js';
import { sha256 } from '../../src/crypto/hash.js';
import type { ClientMetadata, ClientRegistration } from '../../src/domain/clients/events.js';
import { hashClientSecret } from '../../src/security/clientSecrets.js';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, tempDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

interface GqlResponse {
  body: { data?: any; errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }> };
  text: string;
}

const FILE_POLICY = { grantTypes: ['authorization_code'], redirectUriPrefixes: ['http://127.0.0.1:'] };
const POLICY_FIELDS = 'grantTypes scope redirectUriPrefixes maxAccessTokenTtl';
const EFFECTIVE = `source policy { ${POLICY_FIELDS} } filePolicy { ${POLICY_FIELDS} } setAt setBy reason`;
const IAT = `id status createdBy expiresAt uses usesLeft usedCount revoked revokedAt policy { ${POLICY_FIELDS} }`;
const CLIENT = `clientId disabled deleted registeredBy lastUsedAt
  registration { via access initialAccessTokenId softwareStatementIssuer metadataDocumentUrl metadataDocumentSha256 }`;

/** A RegistrationPolicy as GraphQL answers it: every field, null when absent. */
const answered = (p: Record<string, unknown>) => ({
  grantTypes: null,
  scope: null,
  redirectUriPrefixes: null,
  maxAccessTokenTtl: null,
  ...p,
});

describe('GraphQL: registration policy, initial access tokens, self-registered clients', () => {
  let server: TestServer;
  const policyDir = tempDir();
  const answers: string[] = [];
  let admin: string;
  let adminClientId: string;
  let audit: string;
  let plain: string;

  async function gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GqlResponse> {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    answers.push(text);
    return { body: JSON.parse(text), text };
  }

  async function ok(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<any> {
    const res = await gql(query, variables, token);
    assert.equal(res.body.errors, undefined, res.text);
    return res.body.data;
  }

  /** Refused with this code (and reason), no data, and the ledger did not move. */
  async function refused(
    query: string,
    variables: Record<string, unknown>,
    token: string | undefined,
    code: string,
    reason?: string,
  ): Promise<void> {
    const head = await ledgerHead(server);
    const res = await gql(query, variables, token);
    assert.equal(res.body.errors?.[0]?.extensions?.code, code, res.text);
    if (reason !== undefined) assert.equal(res.body.errors?.[0]?.extensions?.reason, reason, res.text);
    assert.ok(res.body.data === undefined || res.body.data === null, res.text);
    assert.equal(await ledgerHead(server), head, 'nothing was written');
  }

  async function tokenFor(clientId: string, secret: string): Promise<{ token: string; jti: string }> {
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(clientId, secret));
    assert.equal(res.status, 200, res.text);
    const token = res.body.access_token as string;
    return { token, jti: JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).jti as string };
  }

  async function operatorToken(scope: string): Promise<{ token: string; clientId: string }> {
    const c = await registerClient(server, { scope });
    return { token: (await tokenFor(c.clientId, c.secret!)).token, clientId: c.clientId };
  }

  /** A client that registered itself (as /register or a metadata document would record it), with a secret. */
  async function selfRegistered(registration: ClientRegistration): Promise<{ clientId: string; secret: string }> {
    const clientId = `self-${randomUUID().slice(0, 8)}`;
    const secret = `secret-${randomUUID()}`;
    const metadata: ClientMetadata = {
      grant_types: ['client_credentials'],
      redirect_uris: [],
      scope: 'orders:read',
      token_endpoint_auth_method: 'client_secret_basic',
      access_token_format: 'jwt',
      access_token_signing_alg: 'ES256',
      access_token_ttl: 600,
    };
    const hash = await hashClientSecret(secret, true);
    await handleClientCommand(
      server.runtime.ports,
      { type: 'RegisterClient', clientId, metadata, secret: hash, registration },
      { actor: 'system', correlationId: randomUUID() },
    );
    return { clientId, secret };
  }

  before(async () => {
    const file = join(policyDir, 'policy.json');
    writeFileSync(file, JSON.stringify(FILE_POLICY));
    server = await startInjectServer({ env: { REGISTRATION_POLICY_FILE: file } });
    ({ token: admin, clientId: adminClientId } = await operatorToken('ledger:admin'));
    audit = (await operatorToken('ledger:audit')).token;
    plain = (await operatorToken('orders:read')).token;
  });

  after(async () => {
    await server.close();
    removeDir(server.dataDir);
    removeDir(policyDir);
  });

  describe('registration policy', () => {
    const SET = `mutation($policy: RegistrationPolicyInput!, $reason: String!) {
      setRegistrationPolicy(policy: $policy, reason: $reason) { ${EFFECTIVE} } }`;
    const CLEAR = `mutation($reason: String!) { clearRegistrationPolicy(reason: $reason) { ${EFFECTIVE} } }`;

    it("the file's policy is in force at first; ledger:audit reads it", async () => {
      const { registrationPolicy } = await ok(`{ registrationPolicy { ${EFFECTIVE} } }`, {}, audit);
      assert.deepEqual(registrationPolicy, {
        source: 'FILE',
        policy: answered(FILE_POLICY),
        filePolicy: answered(FILE_POLICY),
        setAt: null,
        setBy: null,
        reason: null,
      });
      assert.deepEqual(await serverRegistrationPolicy(server.runtime.ports), FILE_POLICY);
    });

    it('only ledger:admin sets or clears it', async () => {
      const variables = { policy: { scope: 'openid' }, reason: 'r' };
      await refused(SET, variables, undefined, 'UNAUTHENTICATED');
      await refused(SET, variables, plain, 'FORBIDDEN');
      await refused(SET, variables, audit, 'FORBIDDEN');
      await refused(CLEAR, { reason: 'r' }, audit, 'FORBIDDEN');
    });

    it('a policy the schema or the rules refuse, or no reason: BAD_USER_INPUT, nothing written', async () => {
      for (const policy of [
        { grantTypes: ['implicit'] },
        { redirectUriPrefixes: ['https://app.example'] },
        { redirectUriPrefixes: [] },
        { maxAccessTokenTtl: 0 },
      ])
        await refused(SET, { policy, reason: 'tighten' }, admin, 'BAD_USER_INPUT', 'invalid_policy');
      await refused(SET, { policy: { scope: 'openid' }, reason: '  ' }, admin, 'BAD_USER_INPUT');
    });

    it('one set through GraphQL replaces the file whole; clearing it brings the file back', async () => {
      const policy = { scope: 'openid profile', maxAccessTokenTtl: 900 };
      const set = (await ok(SET, { policy: { ...policy, grantTypes: null }, reason: 'open registration' }))
        .setRegistrationPolicy;
      assert.equal(set.source, 'LEDGER');
      assert.deepEqual(set.policy, answered(policy));
      assert.deepEqual(set.filePolicy, answered(FILE_POLICY));
      assert.equal(set.setBy, `operator:${adminClientId}`);
      assert.equal(set.reason, 'open registration');
      assert.ok(Math.abs(Date.parse(set.setAt) - Date.now()) < 60_000);
      assert.deepEqual(await serverRegistrationPolicy(server.runtime.ports), policy);

      const head = await ledgerHead(server);
      assert.equal((await ok(SET, { policy, reason: 'again' })).setRegistrationPolicy.source, 'LEDGER');
      assert.equal(await ledgerHead(server), head, 'the policy in force, set again: nothing written');

      const cleared = (await ok(CLEAR, { reason: 'back to the file' })).clearRegistrationPolicy;
      assert.equal(cleared.source, 'FILE');
      assert.deepEqual(cleared.policy, answered(FILE_POLICY));
      assert.deepEqual(await serverRegistrationPolicy(server.runtime.ports), FILE_POLICY);
      const history = (await ok('{ events(stream: "registration-policy") { edges { node { type actor reason } } } }'))
        .events.edges;
      assert.deepEqual(
        history.map((e: { node: unknown }) => e.node),
        [
          { type: 'RegistrationPolicySet', actor: `operator:${adminClientId}`, reason: 'open registration' },
          { type: 'RegistrationPolicyCleared', actor: `operator:${adminClientId}`, reason: 'back to the file' },
        ],
      );
    });
  });

  describe('initial access tokens', () => {
    const MINT = `mutation($expiresIn: Int, $uses: Int, $policy: RegistrationPolicyInput) {
      mintInitialAccessToken(expiresIn: $expiresIn, uses: $uses, policy: $policy) { token initialAccessToken { ${IAT} } } }`;
    const REVOKE = `mutation($id: ID!) { revokeInitialAccessToken(id: $id, reason: "handed to the wrong team") { ${IAT} } }`;
    const LIST = `query($status: InitialAccessTokenStatus) {
      initialAccessTokens(status: $status) { totalCount edges { node { ${IAT} } } } }`;
    let minted: { token: string; id: string };

    it('mints a token answered once, listed by its hash; only ledger:admin mints', async () => {
      await refused(MINT, {}, audit, 'FORBIDDEN');
      await refused(MINT, { uses: 0 }, admin, 'BAD_USER_INPUT');
      await refused(MINT, { expiresIn: -1 }, admin, 'BAD_USER_INPUT');
      await refused(MINT, { policy: { grantTypes: ['password'] } }, admin, 'BAD_USER_INPUT', 'invalid_policy');

      const m = (await ok(MINT, { expiresIn: 600, uses: 2, policy: { scope: 'openid' } })).mintInitialAccessToken;
      assert.match(m.token, /^[A-Za-z0-9_-]{43}$/);
      minted = { token: m.token, id: m.initialAccessToken.id };
      assert.equal(minted.id, sha256(m.token));
      const { expiresAt, ...rest } = m.initialAccessToken;
      assert.ok(Math.abs(Date.parse(expiresAt) - (Date.now() + 600_000)) < 60_000);
      assert.deepEqual(rest, {
        id: minted.id,
        status: 'ACTIVE',
        createdBy: `operator:${adminClientId}`,
        uses: 2,
        usesLeft: 2,
        usedCount: 0,
        revoked: false,
        revokedAt: null,
        policy: answered({ scope: 'openid' }),
      });
      const unlimited = (await ok(MINT)).mintInitialAccessToken.initialAccessToken;
      assert.deepEqual([unlimited.expiresAt, unlimited.uses, unlimited.usesLeft], [null, null, null]);

      const list = (await ok(LIST, {}, audit)).initialAccessTokens;
      assert.equal(list.totalCount, 2);
      assert.deepEqual(
        list.edges.map((e: { node: { id: string } }) => e.node.id),
        [minted.id, unlimited.id],
      );
    });

    it('revokes by id (ledger:admin only); unknown ids are NOT_FOUND; the list filters by status', async () => {
      await refused(REVOKE, { id: minted.id }, audit, 'FORBIDDEN');
      await refused(REVOKE, { id: 'u'.repeat(43) }, admin, 'NOT_FOUND');
      await refused(REVOKE, { id: '../x' }, admin, 'NOT_FOUND');
      const revoked = (await ok(REVOKE, { id: minted.id })).revokeInitialAccessToken;
      assert.equal(revoked.status, 'REVOKED');
      assert.equal(revoked.revoked, true);
      assert.ok(revoked.revokedAt);
      const head = await ledgerHead(server);
      assert.equal((await ok(REVOKE, { id: minted.id })).revokeInitialAccessToken.status, 'REVOKED');
      assert.equal(await ledgerHead(server), head, 'revoked twice: nothing more written');
      const only = (await ok(LIST, { status: 'REVOKED' }, audit)).initialAccessTokens;
      assert.deepEqual(
        only.edges.map((e: { node: { id: string } }) => e.node.id),
        [minted.id],
      );
    });

    it('the token itself appears in no answer but the one that minted it', () => {
      const hits = answers.filter((a) => a.includes(minted.token));
      assert.equal(hits.length, 1);
      assert.ok(hits[0].includes('mintInitialAccessToken'));
    });
  });

  describe('self-registered clients', () => {
    it('show how they registered, filter by it, and when they were last used', async () => {
      const iatId = 'i'.repeat(43);
      const dynamic = await selfRegistered({
        via: 'dynamic',
        access: 'initial_access_token',
        initialAccessTokenId: iatId,
      });
      const statement = await selfRegistered({
        via: 'dynamic',
        access: 'software_statement',
        softwareStatementIssuer: 'https://issuer.example',
      });
      const document = await selfRegistered({
        via: 'metadata_document',
        url: 'https://app.example/client.json',
        sha256: 'd'.repeat(43),
      });
      const one = async (clientId: string) =>
        (await ok(`query($id: ID!) { client(clientId: $id) { ${CLIENT} } }`, { id: clientId }, audit)).client;
      assert.deepEqual(await one(dynamic.clientId), {
        clientId: dynamic.clientId,
        disabled: false,
        deleted: false,
        registeredBy: 'DYNAMIC',
        lastUsedAt: null,
        registration: {
          via: 'DYNAMIC',
          access: 'initial_access_token',
          initialAccessTokenId: iatId,
          softwareStatementIssuer: null,
          metadataDocumentUrl: null,
          metadataDocumentSha256: null,
        },
      });
      assert.equal((await one(statement.clientId)).registration.softwareStatementIssuer, 'https://issuer.example');
      assert.deepEqual((await one(document.clientId)).registration, {
        via: 'METADATA_DOCUMENT',
        access: null,
        initialAccessTokenId: null,
        softwareStatementIssuer: null,
        metadataDocumentUrl: 'https://app.example/client.json',
        metadataDocumentSha256: 'd'.repeat(43),
      });
      const operator = await one(adminClientId);
      assert.equal(operator.registeredBy, 'OPERATOR');
      assert.equal(operator.registration, null);
      assert.ok(operator.lastUsedAt, 'the admin client was issued a token');

      const ids = async (args: string) =>
        (
          await ok(`{ clients(first: 100${args}) { totalCount edges { node { clientId } } } }`, {}, audit)
        ).clients.edges.map((e: { node: { clientId: string } }) => e.node.clientId);
      assert.deepEqual(await ids(', registeredBy: DYNAMIC'), [dynamic.clientId, statement.clientId]);
      assert.deepEqual(await ids(', registeredBy: METADATA_DOCUMENT'), [document.clientId]);
      assert.ok((await ids(', registeredBy: OPERATOR')).includes(adminClientId));
      assert.ok(!(await ids(', registeredBy: OPERATOR')).includes(dynamic.clientId));
      assert.deepEqual(await ids(`, initialAccessTokenId: "${iatId}"`), [dynamic.clientId]);

      await tokenFor(dynamic.clientId, dynamic.secret);
      const used = Date.parse((await one(dynamic.clientId)).lastUsedAt);
      assert.ok(Math.abs(used - Date.now()) < 60_000);
    });

    it('deleteClient: ledger:admin only, a reason, NOT_FOUND for unknown or deleted; its tokens are revoked', async () => {
      const c = await selfRegistered({ via: 'dynamic', access: 'open' });
      const { jti } = await tokenFor(c.clientId, c.secret);
      const DELETE = `mutation($id: ID!, $reason: String!) { deleteClient(clientId: $id, reason: $reason) { ${CLIENT} } }`;
      await refused(DELETE, { id: c.clientId, reason: 'spam' }, audit, 'FORBIDDEN');
      await refused(DELETE, { id: c.clientId, reason: '' }, admin, 'BAD_USER_INPUT');
      await refused(DELETE, { id: 'no-such-client', reason: 'spam' }, admin, 'NOT_FOUND');
      const deleted = (await ok(DELETE, { id: c.clientId, reason: 'spam' })).deleteClient;
      assert.equal(deleted.deleted, true);
      assert.equal(deleted.disabled, true);
      await refused(DELETE, { id: c.clientId, reason: 'spam' }, admin, 'NOT_FOUND');
      const token = (await ok(`{ token(jti: "${jti}") { status revocationReason } }`)).token;
      assert.deepEqual(token, { status: 'REVOKED', revocationReason: 'spam' });
      const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret));
      assert.equal(res.status, 401, res.text);
      const last = (await ok(`{ client(clientId: "${c.clientId}") { history { type reason } } }`)).client.history.at(
        -1,
      );
      assert.deepEqual(last, { type: 'ClientDeleted', reason: 'spam' });
    });

    it('disableClient works for a self-registered client as for any other', async () => {
      const c = await selfRegistered({ via: 'dynamic', access: 'open' });
      const disabled = (
        await ok(`mutation($id: ID!) { disableClient(clientId: $id, reason: "abuse") { ${CLIENT} } }`, {
          id: c.clientId,
        })
      ).disableClient;
      assert.deepEqual([disabled.disabled, disabled.deleted, disabled.registeredBy], [true, false, 'DYNAMIC']);
      const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret));
      assert.equal(res.status, 401, res.text);
    });
  });
});
