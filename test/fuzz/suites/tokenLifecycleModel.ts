import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Browser } from '../../helpers/browser.js';
import { authorizeWithPkce, createUser } from '../../helpers/flow.js';
import { assertAlive, fuzzParameters } from '../../helpers/fuzz.js';
import type { FuzzEnv } from '../../helpers/fuzzDriver.js';
import { basic, postForm, registerClient } from '../../helpers/oauth.js';
import type { TestServer } from '../../helpers/server.js';

/**
 * Model-based test of the token lifecycle: random sequences of issue (client credentials, and an
 * authorization code with a refresh token), refresh (rotation; a rotated token used again revokes
 * the grant), code replay (revokes the grant), revoke (access or refresh, by the owner or another
 * client), expiry (short TTLs and a wait), checked against a small model of which tokens must be
 * active, by introspecting every token the run has seen.
 */

type ClientKey = 'ccShort' | 'ccLong' | 'codeConf' | 'codePub';

interface ModelToken {
  kind: 'access' | 'refresh';
  client: ClientKey;
  grant: number | null;
  /** Access tokens: the exp claim (seconds). */
  exp: number;
  revoked: boolean;
  rotated: boolean;
}

interface Model {
  tokens: ModelToken[];
  grants: Array<{ revoked: boolean }>;
}

interface Real {
  tokens: string[];
  codes: Array<{ code: string; verifier: string; client: ClientKey }>;
}

interface Fixture {
  server: TestServer;
  clients: Record<ClientKey, { id: string; secret: string | null; redirectUri?: string }>;
  introspector: { id: string; secret: string };
  browser: Browser;
}

let fx: Fixture;
/** How often each outcome came up: a model test that never rotates twice proves little. */
const seen = new Map<string, number>();
const saw = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

const now = () => Date.now() / 1000;

/** Client authentication as the client registered it: HTTP Basic, or client_id for the public one. */
function auth(c: ClientKey): { form: Record<string, string>; headers: Record<string, string> } {
  const client = fx.clients[c];
  return client.secret === null
    ? { form: { client_id: client.id }, headers: {} }
    : { form: {}, headers: basic(client.id, client.secret) };
}

/** The exp of an access token: from its claims (JWT), or from expires_in (opaque, long-lived only). */
function expOf(token: string, expiresIn: number): number {
  if (token.split('.').length === 3)
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp as number;
  return Math.floor(now()) + expiresIn;
}

/** Whether the model says active, or 'either' when the check straddled the token's expiry second. */
function expected(m: Model, t: ModelToken, from: number, to: number): boolean | 'either' {
  if (t.grant !== null && m.grants[t.grant].revoked) return false;
  if (t.kind === 'refresh') return !t.rotated && !t.revoked;
  if (t.revoked) return false;
  // The server counts whole seconds: active while exp > floor(now).
  if (t.exp > Math.floor(to)) return true;
  if (t.exp <= Math.floor(from)) return false;
  return 'either';
}

async function introspect(token: string): Promise<boolean> {
  const res = await postForm(fx.server, '/introspect', { token }, basic(fx.introspector.id, fx.introspector.secret));
  assert.equal(res.status, 200, res.text);
  return res.body.active as boolean;
}

async function checkAll(m: Model, r: Real): Promise<void> {
  for (let i = 0; i < r.tokens.length; i++) {
    const from = now();
    const active = await introspect(r.tokens[i]);
    const want = expected(m, m.tokens[i], from, now());
    saw(
      want === 'either' ? 'introspection at the expiry second' : want ? 'introspected active' : 'introspected inactive',
    );
    if (want !== 'either')
      assert.equal(active, want, `token #${i} ${JSON.stringify(m.tokens[i])}: introspection says ${active}`);
  }
}

function pushGrantTokens(
  m: Model,
  r: Real,
  client: ClientKey,
  grant: number,
  body: { access_token: string; refresh_token: string; expires_in: number },
) {
  m.tokens.push({
    kind: 'access',
    client,
    grant,
    exp: expOf(body.access_token, body.expires_in),
    revoked: false,
    rotated: false,
  });
  r.tokens.push(body.access_token);
  m.tokens.push({ kind: 'refresh', client, grant, exp: Infinity, revoked: false, rotated: false });
  r.tokens.push(body.refresh_token);
}

class IssueClientCredentials implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: 'ccShort' | 'ccLong') {}
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await postForm(
      fx.server,
      '/token',
      { grant_type: 'client_credentials' },
      basic(fx.clients[this.client].id, fx.clients[this.client].secret!),
    );
    assert.equal(res.status, 200, res.text);
    m.tokens.push({
      kind: 'access',
      client: this.client,
      grant: null,
      exp: expOf(res.body.access_token, res.body.expires_in),
      revoked: false,
      rotated: false,
    });
    r.tokens.push(res.body.access_token);
  }
  toString = () => `issueClientCredentials(${this.client})`;
}

class IssueWithCode implements fc.AsyncCommand<Model, Real> {
  constructor(readonly client: 'codeConf' | 'codePub') {}
  check = () => true;
  async run(m: Model, r: Real) {
    const c = fx.clients[this.client];
    const got = await authorizeWithPkce(fx.server, fx.browser, c.id, c.redirectUri!, undefined, { scope: 'openid' });
    const code = got.params.get('code');
    assert.ok(code, `no code: ${got.page.status} ${got.page.location}`);
    const a = auth(this.client);
    const res = await postForm(
      fx.server,
      '/token',
      { grant_type: 'authorization_code', code, code_verifier: got.verifier, redirect_uri: c.redirectUri!, ...a.form },
      a.headers,
    );
    assert.equal(res.status, 200, res.text);
    m.grants.push({ revoked: false });
    r.codes.push({ code, verifier: got.verifier, client: this.client });
    pushGrantTokens(m, r, this.client, m.grants.length - 1, res.body);
  }
  toString = () => `issueWithCode(${this.client})`;
}

const refreshTokens = (m: Model) => m.tokens.map((t, i) => [t, i] as const).filter(([t]) => t.kind === 'refresh');

class Refresh implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly byOwner: boolean,
  ) {}
  check = (m: Readonly<Model>) => refreshTokens(m).length > 0;
  async run(m: Model, r: Real) {
    const list = refreshTokens(m);
    const [token, index] = list[this.pick % list.length];
    const grant = m.grants[token.grant!];
    const caller: ClientKey = this.byOwner ? token.client : token.client === 'codeConf' ? 'codePub' : 'codeConf';
    const a = auth(caller);
    const res = await postForm(
      fx.server,
      '/token',
      { grant_type: 'refresh_token', refresh_token: r.tokens[index], ...a.form },
      a.headers,
    );
    const what = `refresh #${index} by ${caller} (${JSON.stringify(token)}, grant revoked ${grant.revoked}): ${res.status} ${res.text}`;
    saw(
      grant.revoked || token.revoked
        ? 'refresh of a revoked grant'
        : token.rotated
          ? 'refresh token reuse'
          : !this.byOwner
            ? 'refresh by another client'
            : 'refresh rotation',
    );
    if (grant.revoked || token.revoked) {
      assert.equal(res.status, 400, what);
      assert.equal(res.body.error, 'invalid_grant', what);
    } else if (token.rotated) {
      // RFC 9700 §4.14.2: whoever presents it, a rotated-out refresh token ends the grant.
      assert.equal(res.status, 400, what);
      assert.equal(res.body.error, 'invalid_grant', what);
      grant.revoked = true;
    } else if (!this.byOwner) {
      assert.equal(res.status, 400, what);
      assert.equal(res.body.error, 'invalid_grant', what);
    } else {
      assert.equal(res.status, 200, what);
      token.rotated = true;
      pushGrantTokens(m, r, token.client, token.grant!, res.body);
    }
  }
  toString = () => `refresh(${this.pick}, ${this.byOwner ? 'owner' : 'other client'})`;
}

class ReplayCode implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.grants.length > 0;
  async run(m: Model, r: Real) {
    const i = this.pick % r.codes.length;
    const { code, verifier, client } = r.codes[i];
    const a = auth(client);
    const res = await postForm(
      fx.server,
      '/token',
      {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: fx.clients[client].redirectUri!,
        ...a.form,
      },
      a.headers,
    );
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error, 'invalid_grant', res.text);
    saw('code replay');
    // RFC 6749 §4.1.2: what a replayed code produced is revoked.
    m.grants[i].revoked = true;
  }
  toString = () => `replayCode(${this.pick})`;
}

class Revoke implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly byOwner: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.tokens.length > 0;
  async run(m: Model, r: Real) {
    const index = this.pick % m.tokens.length;
    const token = m.tokens[index];
    const caller: ClientKey = this.byOwner ? token.client : token.client === 'ccLong' ? 'ccShort' : 'ccLong';
    const a = auth(caller);
    const res = await postForm(fx.server, '/revoke', { token: r.tokens[index], ...a.form }, a.headers);
    // RFC 7009 §2.2: 200 whether or not there was anything to revoke; §2.1: another client's token,
    // while the server still knows it, is refused (an expired one may already be forgotten: 200).
    if (this.byOwner || res.status !== 400) assert.equal(res.status, 200, res.text);
    else assert.equal(res.body?.error, 'invalid_request', res.text);
    saw(`revoke ${token.kind} by ${this.byOwner ? 'owner' : 'another client'}`);
    if (!this.byOwner) return;
    if (token.kind === 'access') token.revoked = true;
    // §2.1: a refresh token (even one already rotated out) takes its grant with it.
    else m.grants[token.grant!].revoked = true;
  }
  toString = () => `revoke(${this.pick}, ${this.byOwner ? 'owner' : 'other client'})`;
}

class Introspect implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  run = (m: Model, r: Real) => checkAll(m, r);
  toString = () => 'introspectAll';
}

/** Lets the short-lived tokens (1 and 2 s) run out. */
class Wait implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) =>
    m.tokens.some((t) => t.kind === 'access' && !t.revoked && t.exp <= Math.floor(now()) + 2);
  async run() {
    saw('wait');
    await sleep(1100);
  }
  toString = () => 'wait(1.1 s)';
}

const issueCc = fc.constantFrom('ccShort' as const, 'ccLong' as const).map((c) => new IssueClientCredentials(c));
const issueCode = fc.constantFrom('codeConf' as const, 'codePub' as const).map((c) => new IssueWithCode(c));
const refresh = fc
  .tuple(fc.nat(), fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }))
  .map(([p, o]) => new Refresh(p, o));
const revoke = fc.tuple(fc.nat(), fc.boolean()).map(([p, o]) => new Revoke(p, o));
/** Weighted by repetition: grants and refreshes are where the lifecycle is interesting. */
const commands = [
  issueCc,
  issueCode,
  issueCode,
  refresh,
  refresh,
  refresh,
  fc.nat().map((p) => new ReplayCode(p)),
  revoke,
  revoke,
  fc.constant(new Introspect()),
  fc.constant(new Wait()),
];

/** Own clients and user on the shared server: nothing the endpoint fuzzers do touches them. */
export function tokenLifecycleModelSuite(env: FuzzEnv): void {
  describe('model: the token lifecycle', () => {
    before(async () => {
      const server = env.server;
      const reg = async (key: ClientKey, meta: Parameters<typeof registerClient>[1], secret?: null) => {
        const c = await registerClient(server, meta, secret);
        return [key, { id: c.clientId, secret: c.secret, redirectUri: meta.redirect_uris?.[0] }] as const;
      };
      const clients = Object.fromEntries([
        await reg('ccShort', { access_token_ttl: 1 }),
        await reg('ccLong', { access_token_ttl: 3600, access_token_format: 'opaque' }),
        await reg('codeConf', {
          grant_types: ['authorization_code', 'refresh_token'],
          redirect_uris: ['https://app.example/cb'],
          scope: 'openid',
          access_token_ttl: 2,
        }),
        await reg(
          'codePub',
          {
            grant_types: ['authorization_code', 'refresh_token'],
            redirect_uris: ['http://127.0.0.1:9/cb'],
            scope: 'openid',
            token_endpoint_auth_method: 'none',
            access_token_format: 'opaque',
          },
          null,
        ),
      ]) as Fixture['clients'];
      const rs = await registerClient(server, { scope: '' });
      const user = await createUser(server);
      const browser = new Browser();
      // Sign in and consent once; every later authorization request in the run goes straight to a code.
      for (const c of [clients.codeConf, clients.codePub])
        await authorizeWithPkce(server, browser, c.id, c.redirectUri!, user, { scope: 'openid' });
      fx = { server, clients, introspector: { id: rs.clientId, secret: rs.secret! }, browser };
    });

    it('introspection agrees with the model after any sequence of issue, refresh, replay, revoke and expiry', async (t) => {
      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: 20, size: 'medium' }), async (cmds) => {
          const setup = () => ({ model: { tokens: [], grants: [] } as Model, real: { tokens: [], codes: [] } as Real });
          let final: { model: Model; real: Real } | undefined;
          await fc.asyncModelRun(() => (final = setup()), cmds);
          await checkAll(final!.model, final!.real);
        }),
        fuzzParameters(12),
      );
      await assertAlive(fx.server);
      t.diagnostic(
        [...seen]
          .sort()
          .map(([k, n]) => `${k}: ${n}`)
          .join(', '),
      );
    });
  });
}
