import { before, describe, it } from 'node:test';
import { fuzzEndpoint, get, post, type BaseRequest, type FuzzEnv } from '../../helpers/fuzzDriver.js';
import { FuzzFixtures } from '../../helpers/fuzzFixtures.js';
import { createUser } from '../../helpers/flow.js';
import type { FuzzRequest } from '../../helpers/fuzzRequests.js';

const MODES = ['query', 'form_post', 'web_message'];
const PROMPTS = ['', 'none', 'login', 'consent'];
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** A valid authorization request of the confidential or the public client, in every response mode. */
async function authorizeParams(fx: FuzzFixtures, v: number): Promise<Array<[string, string]>> {
  const c = fx.clientOf(v % 2 ? 'pub' : 'conf');
  const prompt = PROMPTS[Math.floor(v / 2) % PROMPTS.length];
  return [
    ['client_id', c.id],
    ['redirect_uri', c.redirectUri],
    ['response_type', 'code'],
    ['code_challenge', CHALLENGE],
    ['code_challenge_method', 'S256'],
    ['scope', 'openid profile'],
    ['state', `s${v}`],
    ['nonce', `n${v}`],
    ['response_mode', MODES[Math.floor(v / 8) % MODES.length]],
    ...(prompt ? [['prompt', prompt] as [string, string]] : []),
    ...(v % 5 === 0 ? [['max_age', '0'] as [string, string]] : []),
  ];
}

/** With the signed-in browser's cookies, or none. */
async function cookies(fx: FuzzFixtures, v: number): Promise<Array<[string, string]>> {
  return v % 3 === 0 ? [] : [['cookie', fx.cookieHeader(await fx.sessionBrowser())]];
}

/**
 * The session cookie for half the logouts: with the id_token_hint (v % 4 = 0) the session ends, which
 * costs a new sign-in (a password hash) afterwards; without it (v % 4 = 3) the user is asked first.
 */
async function logoutCookies(fx: FuzzFixtures, v: number): Promise<Array<[string, string]>> {
  return v % 4 === 0 || v % 4 === 3 ? [['cookie', fx.cookieHeader(await fx.sessionBrowser())]] : [];
}

const withCookie = (req: FuzzRequest, cookie: string): FuzzRequest => ({
  ...req,
  headers: [...req.headers, ['cookie', cookie]],
});

function bases(loginUser: { username: string; password: string }): Record<string, BaseRequest> {
  return {
    'GET /authorize': async (fx, v) => get('/authorize', await authorizeParams(fx, v), await cookies(fx, v)),
    'POST /authorize': async (fx, v) =>
      post('/authorize', await authorizeParams(fx, v), undefined, await cookies(fx, v)),
    'POST /login': async (fx, v) => {
      const form = await fx.loginForm();
      // Mostly the right password: a wrong one now and then, not so often that throttling is all we see.
      const password = v % 4 === 0 ? 'wrong password' : loginUser.password;
      return withCookie(
        post('/login', [
          ['interaction', form.interaction],
          ['csrf', form.csrf],
          ['username', loginUser.username],
          ['password', password],
        ]),
        form.cookie,
      );
    },
    'POST /consent': async (fx, v) => {
      const form = await fx.consentForm();
      return withCookie(
        post('/consent', [
          ['interaction', form.interaction],
          ['csrf', form.csrf],
          ['decision', v % 3 === 0 ? 'deny' : 'approve'],
        ]),
        form.cookie,
      );
    },
    'GET /logout': async (fx, v) => get('/logout', await logoutParams(fx, v), await logoutCookies(fx, v)),
    'POST /logout': async (fx, v) => post('/logout', await logoutParams(fx, v), undefined, await logoutCookies(fx, v)),
    'POST /logout/confirm': async (fx) => {
      const form = await fx.logoutForm();
      return withCookie(
        post('/logout/confirm', [
          ['interaction', form.interaction],
          ['csrf', form.csrf],
          ['decision', 'logout'],
        ]),
        form.cookie,
      );
    },
  };
}

async function logoutParams(fx: FuzzFixtures, v: number): Promise<Array<[string, string]>> {
  const params: Array<[string, string]> = [];
  if (v % 2 === 0) params.push(['id_token_hint', (await fx.tokens('conf')).idToken!]);
  if (v % 3 !== 2) params.push(['post_logout_redirect_uri', fx.conf.postLogout], ['client_id', fx.conf.id]);
  if (v % 5 !== 0) params.push(['state', `s${v}`]);
  return params;
}

export function browserEndpointsSuite(env: FuzzEnv): void {
  describe('authorization, login, consent and logout', () => {
    let loginUser: { username: string; password: string };
    before(async () => {
      loginUser = await createUser(env.server);
    });

    it('GET/POST /authorize, /login, /consent, /logout, /logout/confirm: no 5xx, registered errors only, no write on a rejection', async (t) => {
      t.diagnostic(
        `statuses: ${await fuzzEndpoint({ ...env, bases: bases(loginUser), runs: 60, allowSecurityWrites: true })}`,
      );
    });
  });
}
