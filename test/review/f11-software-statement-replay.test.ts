/**
 * Review finding 11: in DYNAMIC_REGISTRATION=initial_access_token mode a software statement stands in for an initial
 * access token, but unlike one it needs no exp, names no audience and is never counted: a statement with neither exp
 * nor aud (or with an aud of another authorization server) registers clients here any number of times, forever.
 * Expected: exp required (bounded lifetime) and aud checked against this issuer, or a jti/use count recorded.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';
import { tempDir } from '../helpers/server.js';

const trusted = 'https://statements.example';
let server: InjectServer;
let statement: string;
before(async () => {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const file = join(tempDir(), 'issuers.json');
  writeFileSync(file, JSON.stringify({ issuers: [{ iss: trusted, jwks: { keys: [await exportJWK(publicKey)] } }] }));
  server = await startInjectServer({
    env: { REGISTRATION_RATE_PER_IP: '1000', SOFTWARE_STATEMENT_ISSUERS_FILE: file },
  });
  // No exp; an audience that is some other authorization server.
  statement = await new SignJWT({ software_id: 'orders-app', client_name: 'Orders' })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(trusted)
    .setAudience('https://another-as.example')
    .setIssuedAt()
    .sign(privateKey);
});
after(() => server.close());

it('finding 11: a statement without exp, for another audience, registers again and again', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await server.inject({
      method: 'POST',
      url: '/register',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ software_statement: statement }),
    });
    statuses.push(res.statusCode);
  }
  assert.notEqual(statuses[0], 201, `statuses ${statuses.join(',')}`);
});
