import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Browser } from './browser.js';
import { authorizeWithPkce, createUser } from './flow.js';
import { basic, postForm, registerClient } from './oauth.js';
import type { TestServer } from './server.js';
import { sessionByHash } from '../../src/application/queries/authorization.js';
import { SESSION_COOKIE } from '../../src/http/routes/authorize.js';
import { sha256 } from '../../src/crypto/hash.js';

export type CodeClient = 'conf' | 'pub';

export interface IssuedCode {
  code: string;
  verifier: string;
  redirectUri: string;
}

export interface GrantTokens {
  access: string;
  refresh: string;
  idToken?: string;
}

export interface InteractionForm {
  cookie: string;
  interaction: string;
  csrf: string;
}

/** A code older than this is replaced (codes live 60 s). */
const CODE_MAX_AGE_MS = 40_000;

/**
 * Real fixtures for the fuzzer: a confidential client (Basic), one that posts its secret, a public
 * client with redirect URIs, a private_key_jwt client, a user with a session and consent, and valid
 * codes and tokens. Values are cached until `invalidate()` (call it whenever the ledger moved: a
 * fuzzed request may have used a code, rotated a refresh token, revoked a token or ended the session).
 */
export class FuzzFixtures {
  readonly stale: string[] = [];
  private cache = new Map<string, { at: number; value: unknown }>();
  private browser: Browser | undefined;

  private constructor(
    readonly server: TestServer,
    readonly user: { sub: string; username: string; password: string },
    readonly conf: { id: string; secret: string; redirectUri: string; postLogout: string },
    readonly post: { id: string; secret: string },
    readonly pub: { id: string; redirectUri: string },
    readonly jwt: { id: string; key: CryptoKey },
  ) {}

  static async create(server: TestServer): Promise<FuzzFixtures> {
    const conf = await registerClient(server, {
      client_name: 'Fuzz confidential',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirect_uris: ['https://app.example/cb'],
      post_logout_redirect_uris: ['https://app.example/bye'],
      response_modes: ['query', 'form_post', 'web_message'],
      scope: 'openid profile email orders:read orders:write',
    });
    const post = await registerClient(server, {
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'orders:read',
    });
    const pub = await registerClient(
      server,
      {
        grant_types: ['authorization_code', 'refresh_token'],
        redirect_uris: ['http://127.0.0.1:9/cb', 'https://app.example/other'],
        response_modes: ['query', 'form_post', 'web_message'],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
        access_token_format: 'opaque',
      },
      null,
    );
    const pair = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(pair.publicKey)), kty: 'EC', kid: 'k1' };
    const jwt = await registerClient(
      server,
      { token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [jwk] } },
      null,
    );
    const user = await createUser(server);
    const fx = new FuzzFixtures(
      server,
      user,
      {
        id: conf.clientId,
        secret: conf.secret!,
        redirectUri: 'https://app.example/cb',
        postLogout: 'https://app.example/bye',
      },
      { id: post.clientId, secret: post.secret! },
      { id: pub.clientId, redirectUri: 'http://127.0.0.1:9/cb' },
      { id: jwt.clientId, key: pair.privateKey },
    );
    await fx.sessionBrowser();
    return fx;
  }

  /** Forget every cached value: the next use mints fresh ones. */
  invalidate(): void {
    for (const { value } of this.cache.values()) {
      if (value && typeof value === 'object') {
        for (const v of Object.values(value)) if (typeof v === 'string' && v.length > 20) this.stale.push(v);
      }
    }
    this.stale.splice(0, Math.max(0, this.stale.length - 8));
    this.cache.clear();
  }

  private async cached<T>(key: string, make: () => Promise<T>, maxAgeMs = Infinity): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < maxAgeMs) return hit.value as T;
    const value = await make();
    this.cache.set(key, { at: Date.now(), value });
    return value;
  }

  clientOf(which: CodeClient) {
    return which === 'conf'
      ? { id: this.conf.id, redirectUri: this.conf.redirectUri }
      : { id: this.pub.id, redirectUri: this.pub.redirectUri };
  }

  /** A browser signed in as the user, who has consented to both code clients. */
  async sessionBrowser(): Promise<Browser> {
    const sid = this.browser?.cookies.get(SESSION_COOKIE);
    const live = sid && sessionByHash(this.server.runtime.views, sha256(sid));
    if (this.browser && live && live.exp > Date.now() / 1000 + 60) return this.browser;
    const browser = new Browser();
    // Consent is remembered: only the first sign-in shows consent pages.
    for (const which of this.browser ? (['conf'] as const) : (['conf', 'pub'] as const)) {
      const c = this.clientOf(which);
      await authorizeWithPkce(this.server, browser, c.id, c.redirectUri, this.user, { scope: 'openid profile' });
    }
    this.browser = browser;
    return browser;
  }

  cookieHeader(browser: Browser): string {
    return [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** A code for the client, not yet redeemed. */
  code(which: CodeClient): Promise<IssuedCode> {
    return this.cached(`code:${which}`, () => this.mintCode(which), CODE_MAX_AGE_MS);
  }

  async mintCode(which: CodeClient): Promise<IssuedCode> {
    const c = this.clientOf(which);
    const got = await authorizeWithPkce(this.server, await this.sessionBrowser(), c.id, c.redirectUri, this.user, {
      scope: 'openid profile',
    });
    const code = got.params.get('code');
    if (!code)
      throw new Error(`no code for ${which}: ${got.page.status} ${got.page.location} ${got.page.html.slice(0, 200)}`);
    return { code, verifier: got.verifier, redirectUri: c.redirectUri };
  }

  /** Access, refresh and ID token of a grant of the client. */
  tokens(which: CodeClient): Promise<GrantTokens> {
    return this.cached(`tokens:${which}`, () => this.mintTokens(which));
  }

  async mintTokens(which: CodeClient): Promise<GrantTokens> {
    const { code, verifier, redirectUri } = await this.mintCode(which);
    const form = { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri };
    const res =
      which === 'conf'
        ? await postForm(this.server, '/token', form, basic(this.conf.id, this.conf.secret))
        : await postForm(this.server, '/token', { ...form, client_id: this.pub.id });
    if (res.status !== 200) throw new Error(`code exchange failed: ${res.text}`);
    return {
      access: res.body.access_token,
      refresh: res.body.refresh_token,
      ...(res.body.id_token ? { idToken: res.body.id_token } : {}),
    };
  }

  /** A client_credentials access token of the confidential client. */
  ccToken(): Promise<string> {
    return this.cached('cc', async () => {
      const res = await postForm(
        this.server,
        '/token',
        { grant_type: 'client_credentials', scope: 'orders:read' },
        basic(this.conf.id, this.conf.secret),
      );
      if (res.status !== 200) throw new Error(`client_credentials failed: ${res.text}`);
      return res.body.access_token as string;
    });
  }

  /** A fresh private_key_jwt assertion (each may be used once). */
  assertion(aud = `${this.server.url}/token`): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ jti: randomUUID(), iss: this.jwt.id, sub: this.jwt.id, aud, iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .sign(this.jwt.key);
  }

  /** The login form of an authorization request, in a browser with no session. */
  loginForm(): Promise<InteractionForm> {
    return this.cached('login', async () => {
      const browser = new Browser();
      const q = new URLSearchParams({
        client_id: this.conf.id,
        redirect_uri: this.conf.redirectUri,
        response_type: 'code',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        scope: 'openid',
      });
      const page = await browser.get(`${this.server.url}/authorize?${q}`);
      if (!page.fields.interaction) throw new Error(`no login form: ${page.status} ${page.html.slice(0, 200)}`);
      return { cookie: this.cookieHeader(browser), interaction: page.fields.interaction, csrf: page.fields.csrf };
    });
  }

  /** The consent form (prompt=consent) in the signed-in browser. */
  consentForm(): Promise<InteractionForm> {
    return this.cached('consent', async () => {
      const browser = await this.sessionBrowser();
      const q = new URLSearchParams({
        client_id: this.pub.id,
        redirect_uri: this.pub.redirectUri,
        response_type: 'code',
        code_challenge: 'x'.repeat(43),
        code_challenge_method: 'S256',
        scope: 'openid profile',
        prompt: 'consent',
      });
      const page = await browser.get(`${this.server.url}/authorize?${q}`);
      if (!page.fields.interaction) throw new Error(`no consent form: ${page.status} ${page.html.slice(0, 200)}`);
      return { cookie: this.cookieHeader(browser), interaction: page.fields.interaction, csrf: page.fields.csrf };
    });
  }

  /** The sign-out confirmation form of the signed-in browser (a logout without id_token_hint). */
  logoutForm(): Promise<InteractionForm> {
    return this.cached('logout', async () => {
      const browser = await this.sessionBrowser();
      const page = await browser.get(`${this.server.url}/logout`);
      if (!page.fields.interaction) throw new Error(`no logout form: ${page.status} ${page.html.slice(0, 200)}`);
      return { cookie: this.cookieHeader(browser), interaction: page.fields.interaction, csrf: page.fields.csrf };
    });
  }

  /**
   * Every value the fuzzer may swap in: tokens, codes, verifiers, ids, secrets, spent values. Not the
   * session user's name: failed logins under it would throttle the sign-in the fixtures depend on.
   */
  pool(): string[] {
    const values = new Set<string>([
      this.conf.id,
      this.conf.secret,
      this.post.id,
      this.post.secret,
      this.pub.id,
      this.jwt.id,
      this.conf.redirectUri,
      this.pub.redirectUri,
      this.user.sub,
      ...this.stale,
    ]);
    for (const { value } of this.cache.values()) {
      if (typeof value === 'string') values.add(value);
      else if (value && typeof value === 'object')
        for (const v of Object.values(value)) if (typeof v === 'string') values.add(v);
    }
    return [...values];
  }
}
