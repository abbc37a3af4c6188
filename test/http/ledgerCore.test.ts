import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { removeDir, startTestServer, tempDir, type TestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';

async function getJson(server: TestServer, path: string) {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('a fresh server on the embedded ledger', () => {
  const dataDir = tempDir();
  after(() => removeDir(dataDir));

  it('answers discovery at both well-known paths, with a jwks_uri that serves RS256 and ES256 keys', async () => {
    const server = await startTestServer({ dataDir });
    try {
      const oidc = await getJson(server, '/.well-known/openid-configuration');
      const oauth = await getJson(server, '/.well-known/oauth-authorization-server');
      assert.equal(oidc.status, 200);
      assert.deepEqual(oauth.body, oidc.body);
      assert.equal(oidc.body.issuer, server.url);
      assert.equal(oidc.body.jwks_uri, `${server.url}/jwks`);
      const jwks = await getJson(server, '/jwks');
      assert.equal(jwks.status, 200);
      assert.match(jwks.headers.get('content-type') ?? '', /application\/jwk-set\+json/);
      assert.deepEqual(jwks.body.keys.map((k: { alg: string }) => k.alg).sort(), ['ES256', 'RS256']);
      for (const k of jwks.body.keys) {
        assert.equal(k.use, 'sig');
        for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
          assert.equal(k[priv], undefined, `no private member ${priv}`);
      }
      assert.deepEqual((await getJson(server, '/healthz')).body, { status: 'ok' });
      assert.equal((await getJson(server, '/readyz')).status, 200);
      // A token signed with the server's current key verifies against the published JWKS.
      const key = await server.runtime.keys.signingKey('ES256');
      const jwt = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'ES256', kid: key!.kid }).sign(key!.privateKey);
      const remote = createRemoteJWKSet(new URL(`${server.url}/jwks`));
      const { payload } = await jwtVerify(jwt, remote);
      assert.equal(payload.a, 1);
    } finally {
      await server.close();
    }
  });

  it('serves the same keys after a restart: they live in the ledger', async () => {
    const first = await startTestServer({ dataDir });
    const before = (await getJson(first, '/jwks')).body;
    await first.close();
    const second = await startTestServer({ dataDir });
    try {
      assert.deepEqual((await getJson(second, '/jwks')).body, before);
      assert.equal((await second.runtime.store.readStream('keyring-signing')).length, 2, 'no key generated twice');
    } finally {
      await second.close();
    }
  });

  it('exposes Prometheus metrics for requests, ledger appends and projections', async () => {
    const server = await startTestServer({ dataDir });
    try {
      await fetch(`${server.url}/jwks`);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /http_requests_total\{route="\/jwks",method="GET",status="200"\} 1/);
      assert.match(text, /http_request_duration_seconds_bucket/);
      assert.match(text, /ledger_append_batch_size_bucket/);
      assert.match(text, /ledger_append_seconds_bucket/);
      assert.match(text, /projection_position \d+/);
      assert.match(text, /projection_lag_events 0/);
      assert.match(text, /history_index_lag_events \d+/);
      // CPU per thread (Linux): what `npm run bench` divides by requests and by appends.
      const cpu = (t: string, thread: string) =>
        Number(new RegExp(`^nodejs_thread_cpu_seconds_total\\{thread="${thread}"\\} (\\S+)$`, 'm').exec(t)?.[1]);
      const again = await (await fetch(`${server.url}/metrics`)).text();
      for (const thread of ['main', 'ledger-writer']) {
        assert.ok(cpu(text, thread) > 0, `${thread} thread CPU reported`);
        assert.ok(cpu(again, thread) >= cpu(text, thread), `${thread} thread CPU only grows`);
      }
    } finally {
      await server.close();
    }
  });

  it('picks up a key rotation made by the CLI in another process within 1 s', async () => {
    const server = await startTestServer({ dataDir });
    try {
      const before = (await getJson(server, '/jwks')).body.keys.map((k: { kid: string }) => k.kid);
      const ran = await runCli(['keys', 'rotate', '--alg', 'ES256', '--json'], { DATA_DIR: dataDir });
      assert.equal(ran.code, 0, ran.stderr);
      const rotated = JSON.parse(ran.stdout).rotated;
      assert.equal(rotated.length, 1);
      const kid = rotated[0].kid;
      const appended = Date.now();
      let seen = false;
      while (Date.now() - appended < 1000) {
        const kids = (await getJson(server, '/jwks')).body.keys.map((k: { kid: string }) => k.kid);
        if (kids.includes(kid)) {
          seen = true;
          assert.ok(
            before.every((k: string) => kids.includes(k)),
            'the retired key stays published',
          );
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(seen, 'the server published the new key within 1 s');
      assert.equal((await server.runtime.keys.signingKey('ES256'))?.kid, kid, 'the server signs with the new key');
      const listed = await runCli(['keys', 'list', '--json'], { DATA_DIR: dataDir });
      const keys = JSON.parse(listed.stdout).keys;
      assert.equal(keys.find((k: { kid: string }) => k.kid === kid).status, 'active');
      assert.equal(keys.filter((k: { status: string }) => k.status === 'retired').length, 1);
    } finally {
      await server.close();
    }
  });

  it('publishes a key rotated with --activate-in before it signs with it', async () => {
    const server = await startTestServer({ dataDir });
    try {
      const current = (await server.runtime.keys.signingKey('RS256'))!.kid;
      const ran = await runCli(['keys', 'rotate', '--alg', 'RS256', '--activate-in', '3600', '--json'], {
        DATA_DIR: dataDir,
      });
      assert.equal(ran.code, 0, ran.stderr);
      const kid = JSON.parse(ran.stdout).rotated[0].kid;
      await server.runtime.runner.waitFor(await server.runtime.store.headPosition());
      const kids = (await getJson(server, '/jwks')).body.keys.map((k: { kid: string }) => k.kid);
      assert.ok(kids.includes(kid), 'published');
      assert.equal((await server.runtime.keys.signingKey('RS256'))?.kid, current, 'the old key still signs');
      assert.equal(
        (await server.runtime.keys.signingKey('RS256', Date.now() + 3601_000))?.kid,
        kid,
        'the new key signs later',
      );
    } finally {
      await server.close();
    }
  });
});
