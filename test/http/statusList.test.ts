import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify } from 'jose';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { activeTokensProjection, tokenByHash } from '../../projections/activeTokens.js';
import { sha256 } from '../../src/crypto/hash.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';

interface StatusClaim {
  status_list: { idx: number; uri: string };
}

describe('Token Status List (draft-ietf-oauth-status-list)', () => {
  let server: TestServer;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    server = await startInjectServer();
    jwks = createRemoteJWKSet(new URL(`${server.url}/jwks`), { [customFetch]: server.fetch });
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  /** What a resource server does: fetch the list, verify it, inflate it, read bit `idx`. */
  async function statusBit(status: StatusClaim): Promise<number> {
    const { idx, uri } = status.status_list;
    const res = await server.fetch(uri);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/statuslist+jwt');
    const maxAge = Number(/^public, max-age=(\d+)$/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    const { payload, protectedHeader } = await jwtVerify(await res.text(), jwks, {
      typ: 'statuslist+jwt',
      subject: uri,
    });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.ttl, 60);
    assert.equal(payload.exp, payload.iat! + 60);
    // A list kept from an earlier request is cached downstream only for what is left of it (at least half).
    assert.ok(maxAge >= 30 && maxAge <= payload.exp - Math.floor(Date.now() / 1000) + 1, `max-age ${maxAge}`);
    const list = payload.status_list as { bits: number; lst: string };
    assert.equal(list.bits, 1);
    const bytes = inflateSync(Buffer.from(list.lst, 'base64url'));
    assert.ok(idx < bytes.length * 8, 'the list covers the index');
    return (bytes[idx >> 3] >> (idx & 7)) & 1;
  }

  async function clientCredentialsToken(format: 'jwt' | 'opaque' = 'jwt') {
    const c = await registerClient(server, { access_token_format: format });
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'client_credentials', scope: 'orders:read' },
      basic(c.clientId, c.secret!),
    );
    assert.equal(res.status, 200, res.text);
    return { client: c, token: res.body.access_token as string };
  }

  it('advertises the aggregation endpoint, which lists the published lists; CORS is open', async () => {
    const { token } = await clientCredentialsToken();
    const status = decodeJwt(token).status as StatusClaim;
    const meta = (await (await server.fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(meta.status_list_aggregation_endpoint, `${server.url}/status-lists`);
    const res = await server.fetch(`${server.url}/status-lists/x`, { headers: { origin: 'https://rs.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const agg = (await (await server.fetch(meta.status_list_aggregation_endpoint)).json()) as {
      status_lists: string[];
    };
    assert.ok(agg.status_lists.includes(status.status_list.uri));
  });

  it('a client-credentials JWT carries a status claim; its bit is 0, then 1 once revoked', async () => {
    const { client, token } = await clientCredentialsToken();
    const status = decodeJwt(token).status as StatusClaim;
    assert.ok(Number.isInteger(status.status_list.idx) && status.status_list.idx >= 0);
    assert.match(status.status_list.uri, new RegExp(`^${server.url}/status-lists/[A-Za-z0-9_-]+$`));
    assert.equal(await statusBit(status), 0);

    const other = await clientCredentialsToken();
    const otherStatus = decodeJwt(other.token).status as StatusClaim;
    assert.notDeepEqual(otherStatus, status, 'each token has its own slot');

    const revoked = await postForm(server, '/revoke', { token }, basic(client.clientId, client.secret!));
    assert.equal(revoked.status, 200);
    assert.equal(await statusBit(status), 1, 'set as soon as /revoke answered');
    assert.equal(await statusBit(otherStatus), 0, 'the neighbour is untouched');
  });

  it('an unchanged list is signed once: two GETs give the identical token; a revocation changes it', async () => {
    const { client, token } = await clientCredentialsToken();
    const { uri } = (decodeJwt(token).status as StatusClaim).status_list;
    const fetchList = async () => (await server.fetch(uri)).text();
    const first = await fetchList();
    assert.equal(await fetchList(), first, 'nothing changed: the same signed list');
    assert.equal((await postForm(server, '/revoke', { token }, basic(client.clientId, client.secret!))).status, 200);
    const after = await fetchList();
    assert.notEqual(after, first, 'the revocation is in a newly signed list');
    assert.equal(await fetchList(), after);
  });

  it('opaque tokens carry no status claim; an unknown list is a 404', async () => {
    const { token } = await clientCredentialsToken('opaque');
    assert.doesNotMatch(token, /^ey/);
    const recorded = tokenByHash(server.runtime.runner.view(activeTokensProjection), sha256(token));
    assert.ok(recorded);
    assert.equal(recorded.statusList, undefined, 'no slot is allocated for an opaque token');
    const res = await server.fetch(`${server.url}/status-lists/nope-0`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: string }).error, 'not_found');
    assert.equal((await server.fetch(`${server.url}/status-lists/${'%2e%2e'}`)).status, 404);
  });

  it('revoking a refresh token revokes its grant: the access token of the grant gets bit 1', async () => {
    const user = await createUser(server);
    const redirectUri = 'https://app.example/cb';
    const app = await registerClient(server, {
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [redirectUri],
      scope: 'orders:read',
    });
    const run = await authorizeWithPkce(server, new Browser(server.fetch), app.clientId, redirectUri, user, {
      scope: 'orders:read',
    });
    const code = run.params.get('code');
    assert.ok(code, run.page.html.slice(0, 300));
    const res = await postForm(
      server,
      '/token',
      { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: run.verifier },
      basic(app.clientId, app.secret!),
    );
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.refresh_token);
    const status = decodeJwt(res.body.access_token).status as StatusClaim;
    assert.equal(await statusBit(status), 0);

    const revoked = await postForm(
      server,
      '/revoke',
      { token: res.body.refresh_token, token_type_hint: 'refresh_token' },
      basic(app.clientId, app.secret!),
    );
    assert.equal(revoked.status, 200);
    assert.equal(await statusBit(status), 1);
  });
});
