/**
 * Back-channel logout and self-registered clients over HTTP: a client that registered itself at /register may name any
 * backchannel_logout_uri, so the server never posts a logout token to this machine or its private network for it
 * (server-side request forgery); the refusal is a failed attempt in the ledger. An operator's client with the very same
 * URI is delivered to, since operators may point at internal services.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { ledgerHead, postForm, registerClient } from '../helpers/oauth.js';
import { Browser } from '../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../helpers/flow.js';

const REDIRECT = 'http://127.0.0.1:9/callback';

describe('back-channel logout to a self-registered client: public addresses only', () => {
  let server: InjectServer;
  let rp: Server;
  let hits = 0;
  let bcl: string;
  let alice: { username: string; password: string };

  before(async () => {
    rp = createServer((_req, res) => {
      hits++;
      res.writeHead(200).end();
    });
    await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
    bcl = `http://127.0.0.1:${(rp.address() as { port: number }).port}/bcl`;
    server = await startInjectServer({ env: { DYNAMIC_REGISTRATION: 'open' } });
    alice = await createUser(server, 'alice');
  });
  after(async () => {
    await server.close();
    await new Promise<void>((r) => rp.close(() => r()));
    removeDir(server.dataDir);
  });

  /** Signs alice in to `clientId`, redeems the code, then signs her out: a logout token is owed to the client. */
  async function signInAndOut(clientId: string) {
    const browser = new Browser(server.fetch);
    const { params, verifier } = await authorizeWithPkce(server, browser, clientId, REDIRECT, alice, {
      scope: 'openid',
    });
    const tokens = await postForm(server, '/token', {
      grant_type: 'authorization_code',
      client_id: clientId,
      code: params.get('code')!,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
    });
    assert.equal(tokens.status, 200, tokens.text);
    const head = await ledgerHead(server);
    await browser.get(`${server.url}/logout?${new URLSearchParams({ id_token_hint: tokens.body.id_token })}`);
    return head;
  }

  /** The first logout delivery outcome recorded after `head`, waiting for the server's dispatcher. */
  async function firstOutcome(head: bigint) {
    for (let waited = 0; waited < 8000; waited += 100) {
      const events = await server.runtime.store.readAll(head, 50);
      const outcome = events.find((e) => e.type.startsWith('BackchannelLogout'));
      if (outcome) return outcome as unknown as { type: string; data: { clientId: string; error?: string } };
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail('no delivery outcome recorded');
  }

  it('a client registered at /register with a loopback URI gets no request; the refusal is recorded', async () => {
    const registered = await server.fetch(`${server.url}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
        scope: 'openid',
        backchannel_logout_uri: bcl,
      }),
    });
    const { client_id: clientId } = (await registered.json()) as { client_id: string };
    assert.equal(registered.status, 201, clientId);
    hits = 0;
    const outcome = await firstOutcome(await signInAndOut(clientId));
    assert.deepEqual(
      [outcome.type, outcome.data.clientId, outcome.data.error],
      [
        'BackchannelLogoutFailed',
        clientId,
        'refused: 127.0.0.1 is not a public address (loopback); ' +
          'only public addresses are posted to for a self-registered client',
      ],
    );
    assert.equal(hits, 0);
  });

  it("an operator's client with the same URI is delivered to", async () => {
    const { clientId } = await registerClient(
      server,
      {
        grant_types: ['authorization_code'],
        redirect_uris: [REDIRECT],
        scope: 'openid',
        token_endpoint_auth_method: 'none',
        backchannel_logout_uri: bcl,
      },
      null,
    );
    hits = 0;
    const outcome = await firstOutcome(await signInAndOut(clientId));
    assert.deepEqual([outcome.type, outcome.data.clientId], ['BackchannelLogoutDelivered', clientId]);
    assert.equal(hits, 1);
  });
});
