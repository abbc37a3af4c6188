/**
 * Review finding 6: an unauthenticated GET /authorize with a client_id URL makes the server fetch it and record a
 * new client for good. Varying the query string (one document server answering every URL) records one
 * ClientRegistered per request, with no rate limit (REGISTRATION_RATE_PER_IP covers /register only) and no pruning
 * (idleSelfRegisteredClients skips metadata-document clients). Cache-Control no-store makes every request to the
 * same URL an outbound fetch as well. Expected: a per-IP rate on resolutions that fetch/register, and pruning or a
 * bound for metadata-document clients.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { startDocumentServer, type DocumentServer } from '../helpers/metadataDocumentServer.js';

const ON = {
  CLIENT_ID_METADATA_DOCUMENTS: 'on',
  CLIENT_ID_METADATA_DOCUMENTS_ALLOW_HTTP_LOOPBACK: 'true',
  REGISTRATION_RATE_PER_IP: '1',
};
const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');

let server: InjectServer;
let docs: DocumentServer;
before(async () => {
  docs = await startDocumentServer();
  server = await startInjectServer({ env: ON });
  docs.serve('/any.json', (req, res) => {
    const url = `${docs.origin}${req.url}`;
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ client_id: url, redirect_uris: ['http://127.0.0.1:9/cb'], scope: 'openid' }));
  });
});
after(async () => {
  await server.close();
  await docs.close();
});

const authorize = (clientId: string) =>
  server.inject({
    method: 'GET',
    url: `/authorize?${new URLSearchParams({
      client_id: clientId,
      redirect_uri: 'http://127.0.0.1:9/cb',
      response_type: 'code',
      scope: 'openid',
      state: 's',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    })}`,
    remoteAddress: '203.0.113.7',
  });

it('finding 6: 30 anonymous requests from one address record 30 clients that are never pruned', async () => {
  const before = (await server.runtime.store.readAll(0n, 100_000)).filter((e) => e.type === 'ClientRegistered').length;
  for (let i = 0; i < 30; i++) await authorize(docs.url(`/any.json?n=${i}`));
  for (let i = 0; i < 10; i++) await authorize(docs.url('/any.json?n=0'));
  const all = await server.runtime.store.readAll(0n, 100_000);
  const registered = all.filter((e) => e.type === 'ClientRegistered').length - before;
  const fetches = docs.hits('/any.json');
  assert.ok(registered <= 1 && fetches <= 2, `${registered} clients recorded, ${fetches} outbound fetches`);
});
