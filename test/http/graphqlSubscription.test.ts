import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { clientsProjection } from '../../projections/clients.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';

interface FeedEvent {
  id: string;
  type: string;
  stream: string;
  position: string;
  recordedAt: string;
  actor: string | null;
  data: Record<string, unknown>;
}

const FEED =
  'subscription Feed($category: String) { ledgerEvents(category: $category) { id type stream position recordedAt actor data } }';

/** A subscription whose events queue up until a test asks for the next one. */
function subscribe(client: Client, category: string | null) {
  const events: FeedEvent[] = [];
  const waiters: Array<() => void> = [];
  let ended: { error?: unknown } | undefined;
  const wake = () => waiters.splice(0).forEach((w) => w());
  const dispose = client.subscribe<{ ledgerEvents: FeedEvent }>(
    { query: FEED, variables: { category } },
    {
      next: (result) => {
        if (result.errors) ended = { error: result.errors };
        else events.push(result.data!.ledgerEvents);
        wake();
      },
      error: (error) => {
        ended = { error };
        wake();
      },
      complete: () => {
        ended ??= {};
        wake();
      },
    },
  );
  return {
    dispose,
    get ended() {
      return ended;
    },
    /** The first queued event that matches, waiting up to 5 s for it. */
    async waitFor(match: (e: FeedEvent) => boolean): Promise<FeedEvent> {
      const deadline = Date.now() + 5000;
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        if (ended) throw new Error(`the feed ended: ${JSON.stringify(ended.error ?? 'complete')}`);
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`no matching event; saw ${events.map((e) => `${e.type}@${e.stream}`).join(', ')}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
    async waitForEnd(): Promise<{ error?: unknown }> {
      const deadline = Date.now() + 5000;
      while (!ended && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(ended, 'the feed did not end');
      return ended;
    },
    events,
  };
}

describe('GraphQL subscription ledgerEvents over graphql-ws (issue 7)', () => {
  let server: TestServer;
  const clients: Client[] = [];

  const wsUrl = () => `${server.url.replace(/^http/, 'ws')}/graphql`;

  function connect(authorization?: string): Client {
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      connectionParams: authorization ? { authorization } : {},
    });
    clients.push(client);
    return client;
  }

  async function operatorToken(scope: string): Promise<{ clientId: string; secret: string; token: string }> {
    const c = await registerClient(server, { scope });
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
    assert.equal(res.status, 200, res.text);
    return { clientId: c.clientId, secret: c.secret!, token: res.body.access_token as string };
  }

  /** Resolves with the close event of a connection the server refuses (or fails if it is accepted). */
  function refused(client: Client): Promise<{ code: number }> {
    return new Promise((resolve, reject) => {
      client.on('connected', () => reject(new Error('the connection was accepted')));
      client.on('closed', (event) => resolve(event as { code: number }));
      client.subscribe({ query: FEED }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    });
  }

  before(async () => {
    server = await startTestServer();
  });

  after(async () => {
    await Promise.all(clients.map(async (c) => c.dispose()));
    await server.close();
    removeDir(server.dataDir);
  });

  it('feeds ledger:audit the events of one category as they are appended, without secrets', async () => {
    const auditor = await operatorToken('ledger:audit');
    const client = connect(`Bearer ${auditor.token}`);
    const feed = subscribe(client, 'client');
    await new Promise<void>((resolve) => client.on('connected', () => resolve()));
    // The server subscribes to the ledger once the operation is accepted; give it that moment.
    await new Promise((r) => setTimeout(r, 100));

    const other = await registerClient(server, { scope: 'orders:read' });
    const event = await feed.waitFor((e) => e.type === 'ClientRegistered' && e.stream === `client-${other.clientId}`);
    assert.equal(event.actor, 'operator:test');
    assert.equal(event.data.clientId, other.clientId);
    assert.ok(!('secret' in event.data), JSON.stringify(event.data));
    const hash = server.runtime.runner.view(clientsProjection).byId.get(other.clientId)!.secret;
    assert.ok(hash);
    const text = JSON.stringify(feed.events);
    for (const value of Object.values(hash as unknown as Record<string, unknown>).filter(
      (v) => typeof v === 'string' && v.length > 8,
    )) {
      assert.ok(!text.includes(value as string), 'a secret hash came through the feed');
    }
    assert.ok(!text.includes(other.secret!));
    // The filter: token issuance (stream category "token" or the like) never shows up here.
    await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(auditor.clientId, auditor.secret));
    await registerClient(server, { scope: 'orders:read' });
    await feed.waitFor((e) => e.type === 'ClientRegistered' && e.stream !== `client-${other.clientId}`);
    assert.ok(
      feed.events.every((e) => e.stream.split('-')[0] === 'client'),
      feed.events.map((e) => e.stream).join(', '),
    );

    feed.dispose();
    await client.dispose();
  });

  it('ends the feed once the operator token is revoked', async () => {
    const auditor = await operatorToken('ledger:audit');
    const client = connect(`Bearer ${auditor.token}`);
    const feed = subscribe(client, 'client');
    await new Promise<void>((resolve) => client.on('connected', () => resolve()));
    await new Promise((r) => setTimeout(r, 100));
    await registerClient(server, { scope: 'orders:read' });
    await feed.waitFor((e) => e.type === 'ClientRegistered');

    const res = await postForm(server, '/revoke', { token: auditor.token }, basic(auditor.clientId, auditor.secret));
    assert.equal(res.status, 200, res.text);
    await registerClient(server, { scope: 'orders:read' });
    const ended = await feed.waitForEnd();
    assert.equal(ended.error, undefined);
    await client.dispose();
  });

  it('refuses a connection without a token, or with one lacking ledger:audit/ledger:admin', async () => {
    const none = await refused(connect());
    assert.equal(none.code, 4403);
    const bogus = await refused(connect('Bearer not-a-token'));
    assert.equal(bogus.code, 4403);
    const plain = await operatorToken('orders:read');
    const forbidden = await refused(connect(`Bearer ${plain.token}`));
    assert.equal(forbidden.code, 4403);
  });

  it('answers no upgrade on another path', async () => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/nope`, 'graphql-transport-ws');
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('error', () => resolve('error'));
    });
    assert.equal(outcome, 'error');
    ws.terminate();
  });

  it('keeps mutations for ledger:admin over the socket too', async () => {
    const auditor = await operatorToken('ledger:audit');
    const client = connect(`Bearer ${auditor.token}`);
    const result = await new Promise<any>((resolve) => {
      client.subscribe(
        { query: 'mutation { revokeClientTokens(clientId: "nobody", reason: "test") }' },
        { next: (r) => resolve(r), error: (e) => resolve({ errors: e }), complete: () => undefined },
      );
    });
    const errors = result.errors as Array<{ extensions?: { code?: string } }>;
    assert.ok(Array.isArray(errors), JSON.stringify(result));
    assert.equal(errors[0].extensions?.code, 'FORBIDDEN');
    await client.dispose();
  });
});
