import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { basic, ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, tempDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { newSecret } from '../helpers/webhookReceiver.js';

interface Gql {
  data?: any;
  errors?: Array<{ message: string; extensions?: { code?: string; reason?: string } }>;
}

const SET = `mutation ($input: EventSinkInput!) {
  setEventSink(input: $input) { id url source types categories parkAfterSeconds position lag lastError parked }
}`;

describe('GraphQL: event sinks', () => {
  let server: InjectServer;
  let admin: string;
  let audit: string;
  const dir = tempDir();
  const fileSecret = newSecret();

  async function gql(query: string, variables: Record<string, unknown> = {}, token = admin): Promise<Gql> {
    const res = await server.fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Gql;
  }

  async function token(scope: string): Promise<string> {
    const c = await registerClient(server, { scope });
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
    return res.body.access_token as string;
  }

  before(async () => {
    const file = join(dir, 'sinks.json');
    writeFileSync(
      file,
      JSON.stringify({ sinks: [{ id: 'from-file', url: 'https://siem.example/hook', secret: fileSecret }] }),
    );
    // Delivery off: these sinks point nowhere; only the management side is under test.
    server = await startInjectServer({
      dataDir: dir,
      env: { EVENT_SINKS_FILE: file, EVENT_SINKS_DELIVERY: 'off' },
    });
    admin = await token('ledger:admin');
    audit = await token('ledger:audit');
  });
  after(async () => {
    await server.close();
    removeDir(dir);
  });

  it('sets a sink, lists it beside the file one, never answers a secret', async () => {
    const secret = newSecret();
    const input = { id: 'siem', url: 'https://siem.example/in', secret, types: ['ClientRegistered'] };
    const set = await gql(SET, { input });
    assert.equal(set.errors, undefined, JSON.stringify(set.errors));
    assert.deepEqual(set.data.setEventSink, {
      id: 'siem',
      url: 'https://siem.example/in',
      source: 'ledger',
      types: ['ClientRegistered'],
      categories: null,
      parkAfterSeconds: 86400,
      position: '0',
      lag: String(await ledgerHead(server)),
      lastError: null,
      parked: false,
    });
    const list = await gql('{ eventSinks { id source position lag parked } }', {}, audit);
    assert.deepEqual(
      list.data.eventSinks.map((s: { id: string; source: string }) => [s.id, s.source]),
      [
        ['from-file', 'file'],
        ['siem', 'ledger'],
      ],
    );
    const stored = JSON.stringify((await server.runtime.storeAsStored.readAll(0n, 10_000)).map((e) => e.data));
    assert.ok(!stored.includes(secret) && !stored.includes(secret.slice(6)), 'the secret is sealed in the ledger');
    assert.ok(!JSON.stringify(list).includes('whsec_'));
  });

  const refusals: Array<[string, Record<string, unknown>, string, string]> = [
    ['a bad URL', { id: 'a', url: 'not a url' }, 'invalid_url', 'url: not a url is not an absolute URL'],
    [
      'http to another host',
      { id: 'a', url: 'http://siem.example/in' },
      'http_not_allowed',
      'url: http is allowed only for a loopback receiver; use https',
    ],
    [
      'http to loopback without the opt-in',
      { id: 'a', url: 'http://127.0.0.1:9/in' },
      'http_not_allowed',
      'url: http needs EVENT_SINKS_ALLOW_HTTP_LOOPBACK=true',
    ],
    [
      'the id of a file sink',
      { id: 'from-file', url: 'https://siem.example/in' },
      'duplicate_sink_id',
      'sink from-file is configured in EVENT_SINKS_FILE; choose another id',
    ],
    [
      'a secret not in whsec_ form',
      { id: 'a', url: 'https://siem.example/in', secret: 'hunter2' },
      'invalid_sink',
      'secret: expected whsec_ followed by 24 to 64 random bytes in base64',
    ],
    [
      'an unknown event type',
      { id: 'a', url: 'https://siem.example/in', types: ['TokenIssud'] },
      'invalid_sink',
      'types: not event types: TokenIssud',
    ],
    [
      'a new sink without secret',
      { id: 'a', url: 'https://siem.example/in' },
      'invalid_sink',
      'secret: required for the new sink a',
    ],
  ];
  for (const [what, partial, reason, message] of refusals) {
    it(`refuses ${what}: ${reason}, nothing written`, async () => {
      const head = await ledgerHead(server);
      const input: Record<string, unknown> = { secret: newSecret(), ...partial };
      if (what === 'a new sink without secret') delete input.secret;
      const res = await gql(SET, { input });
      assert.equal(res.data, null);
      assert.deepEqual(res.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', reason });
      assert.equal(res.errors?.[0]?.message, message);
      assert.equal(await ledgerHead(server), head);
    });
  }

  it('remove and resume refusals: unknown id, a file sink, a sink not parked; nothing written', async () => {
    const cases: Array<[string, string, string, string]> = [
      ['removeEventSink', 'nope', 'sink_not_found', 'sink nope does not exist'],
      [
        'removeEventSink',
        'from-file',
        'sink_in_file',
        'sink from-file is configured in EVENT_SINKS_FILE; remove it there',
      ],
      ['resumeEventSink', 'nope', 'sink_not_found', 'sink nope does not exist'],
      ['resumeEventSink', 'from-file', 'sink_not_parked', 'sink from-file is not parked'],
    ];
    for (const [mutation, id, reason, message] of cases) {
      const head = await ledgerHead(server);
      const field = mutation === 'removeEventSink' ? '' : ' { id }';
      const res = await gql(`mutation ($id: ID!) { ${mutation}(id: $id)${field} }`, { id });
      assert.deepEqual(res.errors?.[0]?.extensions, { code: 'BAD_USER_INPUT', reason }, mutation);
      assert.equal(res.errors?.[0]?.message, message);
      assert.equal(await ledgerHead(server), head);
    }
  });

  it('an audit token reads but cannot set', async () => {
    const head = await ledgerHead(server);
    const res = await gql(SET, { input: { id: 'x', url: 'https://a.example/', secret: newSecret() } }, audit);
    assert.equal(res.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    assert.equal(await ledgerHead(server), head);
  });

  it('replaces a sink keeping its secret, then removes it', async () => {
    const res = await gql(SET, { input: { id: 'siem', url: 'https://siem.example/v2', categories: ['token'] } });
    assert.equal(res.errors, undefined, JSON.stringify(res.errors));
    assert.equal(res.data.setEventSink.url, 'https://siem.example/v2');
    assert.deepEqual(res.data.setEventSink.categories, ['token']);
    const removed = await gql('mutation { removeEventSink(id: "siem", reason: "moved to the new SIEM") }');
    assert.equal(removed.data.removeEventSink, 'siem');
    const list = await gql('{ eventSinks { id } }');
    assert.deepEqual(list.data.eventSinks, [{ id: 'from-file' }]);
  });
});
