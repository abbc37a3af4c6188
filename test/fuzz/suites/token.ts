import { describe, it } from 'node:test';
import { JWT_BEARER_ASSERTION } from '../../../src/oauth/clientAuth.js';
import type { FuzzEnv } from '../../helpers/fuzzDriver.js';
import { basicAuth, fuzzEndpoint, post, type BaseRequest } from '../../helpers/fuzzDriver.js';
import { FuzzFixtures } from '../../helpers/fuzzFixtures.js';

const UNKNOWN_GRANTS = [
  'password',
  'implicit',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:openid:params:grant-type:ciba',
  'CLIENT_CREDENTIALS',
  'client_credentials ',
  'toString',
  '__proto__',
  'refresh_token\0',
];

const confAuth = (fx: FuzzFixtures) => basicAuth(fx.conf.id, fx.conf.secret);

/** A valid request of every grant and every client authentication method. */
const bases: Record<string, BaseRequest> = {
  'client_credentials/basic': async (fx, v) =>
    post(
      '/token',
      [['grant_type', 'client_credentials'], ...(v % 2 ? [['scope', 'orders:read'] as [string, string]] : [])],
      confAuth(fx),
    ),
  'client_credentials/post': async (fx) =>
    post('/token', [
      ['grant_type', 'client_credentials'],
      ['client_id', fx.post.id],
      ['client_secret', fx.post.secret],
    ]),
  'client_credentials/private_key_jwt': async (fx) =>
    post('/token', [
      ['grant_type', 'client_credentials'],
      ['client_assertion_type', JWT_BEARER_ASSERTION],
      ['client_assertion', await fx.assertion()],
    ]),
  'client_credentials/resource': async (fx) =>
    post(
      '/token',
      [
        ['grant_type', 'client_credentials'],
        ['resource', 'https://api.example'],
        ['resource', 'https://other.example'],
      ],
      confAuth(fx),
    ),
  'authorization_code/confidential': async (fx) => {
    const c = await fx.code('conf');
    return post(
      '/token',
      [
        ['grant_type', 'authorization_code'],
        ['code', c.code],
        ['code_verifier', c.verifier],
        ['redirect_uri', c.redirectUri],
      ],
      confAuth(fx),
    );
  },
  'authorization_code/public': async (fx) => {
    const c = await fx.code('pub');
    return post('/token', [
      ['grant_type', 'authorization_code'],
      ['code', c.code],
      ['code_verifier', c.verifier],
      ['redirect_uri', c.redirectUri],
      ['client_id', fx.pub.id],
    ]);
  },
  'refresh_token/confidential': async (fx, v) =>
    post(
      '/token',
      [
        ['grant_type', 'refresh_token'],
        ['refresh_token', (await fx.tokens('conf')).refresh],
        ...(v % 2 ? [['scope', 'openid'] as [string, string]] : []),
      ],
      confAuth(fx),
    ),
  'refresh_token/public': async (fx) =>
    post('/token', [
      ['grant_type', 'refresh_token'],
      ['refresh_token', (await fx.tokens('pub')).refresh],
      ['client_id', fx.pub.id],
    ]),
  'unknown grant': async (fx, v) =>
    post(
      '/token',
      [
        ['grant_type', UNKNOWN_GRANTS[v % UNKNOWN_GRANTS.length]],
        ['username', fx.user.username],
        ['password', fx.user.password],
      ],
      confAuth(fx),
    ),
};

export function tokenEndpointSuite(env: FuzzEnv): void {
  describe('the token endpoint', () => {
    it('every grant, mutated: no 5xx, registered errors only, no write on a rejection', async (t) => {
      t.diagnostic(`statuses: ${await fuzzEndpoint({ ...env, bases, runs: 150, allowSecurityWrites: true })}`);
    });
  });
}
