/**
 * Review findings 7-9: smaller RFC points at /register and /register/<id>.
 * 7: a request with no credentials at all gets `WWW-Authenticate: Bearer error="invalid_token"`; RFC 6750 §3.1 says
 *    a request lacking any authentication information SHOULD NOT carry an error code (oidc-provider: plain Bearer).
 * 8: GET /register/<id> answers no registration_access_token; RFC 7592 §3 makes it REQUIRED in the client
 *    information response (the presented token is at hand: oidc-provider echoes it).
 * 9: PUT /register/<id> checks the body before the token: without a token, a non-object body is 400, not 401.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';

let server: InjectServer;
let client: { client_id: string; registration_access_token: string };
before(async () => {
  server = await startInjectServer({ env: { DYNAMIC_REGISTRATION: 'open', REGISTRATION_RATE_PER_IP: '1000' } });
  const res = await server.inject({
    method: 'POST',
    url: '/register',
    headers: { 'content-type': 'application/json' },
    payload: '{"client_name":"x","redirect_uris":["https://app.example/cb"]}',
  });
  client = JSON.parse(res.body);
});
after(() => server.close());

it('finding 7: no credentials at all: the challenge carries no error code', async () => {
  const res = await server.inject({ method: 'GET', url: `/register/${client.client_id}` });
  assert.equal(res.statusCode, 401);
  assert.equal(res.headers['www-authenticate'], 'Bearer', `observed ${String(res.headers['www-authenticate'])}`);
});

it('finding 8: the client information response of GET holds registration_access_token', async () => {
  const res = await server.inject({
    method: 'GET',
    url: `/register/${client.client_id}`,
    headers: { authorization: `Bearer ${client.registration_access_token}` },
  });
  assert.equal(res.statusCode, 200);
  assert.ok('registration_access_token' in JSON.parse(res.body), res.body);
});

it('finding 9: PUT without a token is 401 whatever the body', async () => {
  const res = await server.inject({
    method: 'PUT',
    url: `/register/${client.client_id}`,
    headers: { 'content-type': 'application/json' },
    payload: '[]',
  });
  assert.equal(res.statusCode, 401, res.body);
});
