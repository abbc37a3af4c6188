/**
 * CWE-532 / CWE-312 / CWE-200: every bearer secret a full run creates — client secrets (CLI and
 * GraphQL), passwords (CLI and GraphQL), codes, access tokens (JWT and opaque), refresh tokens, ID
 * tokens, client assertions, session and binding cookies, and the wrong secrets and passwords of
 * failed attempts — is looked for, raw and encoded, in every log line (LOG_LEVEL=debug), every
 * GraphQL answer an operator can ask for, the CLI's diagnostics, and the ledger's raw bytes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { encodedForms } from '../helpers/encodings.js';
import * as oauth from 'oauth4webapi';
import { loadConfig } from '../../src/config/config.js';
import { REDACT, redactUrl } from '../../src/http/app.js';
import { startServer } from '../../src/server.js';
import { clientsProjection } from '../../projections/clients.js';
import { findUserByUsername } from '../../src/application/users.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';
import { runCli } from '../helpers/cli.js';
import { Browser } from '../helpers/browser.js';
import { freePort, removeDir, tempDir, type TestServer } from '../helpers/server.js';
import { webMessageResponse } from './support.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('CWE-532 / CWE-312 / CWE-200 secret hygiene: no bearer secret in logs, GraphQL answers or the ledger file', () => {
  it('CWE-532 / CWE-312 / CWE-200 secret exposure: a full run of every flow leaves no secret in any log line, GraphQL answer, CLI diagnostic or ledger byte', async (t) => {
    const secrets = new Map<string, string>();
    const keep = (label: string, value: string | null | undefined) => {
      assert.ok(value, `${label} was produced`);
      secrets.set(`${label} #${secrets.size}`, value);
      return value;
    };
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    // Anything that bypasses the logger and prints to the console counts too.
    const consoleLines: string[] = [];
    const original = {
      log: console.log,
      info: console.info,
      warn: console.warn,
      error: console.error,
      debug: console.debug,
    };
    for (const name of Object.keys(original) as Array<keyof typeof original>)
      console[name] = (...args: unknown[]) => void consoleLines.push(args.map(String).join(' '));
    const answers: string[] = [];
    const cliDiagnostics: string[] = [];
    const liveFiles: Array<[string, string]> = [];

    const dataDir = tempDir();
    const port = await freePort();
    const env = {
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'debug',
    };
    const config = loadConfig(env);
    const running = await startServer(config, { logger: { level: config.logLevel, redact: REDACT, stream } });
    const server = { ...running, dataDir, env, fetch } as TestServer;
    try {
      await running.ready;
      const seen = async (check: () => boolean) => {
        for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 100));
        assert.ok(check(), 'the server saw the CLI write');
      };
      const cli = async (args: string[], extra: Record<string, string> = {}) => {
        const ran = await runCli(args, { DATA_DIR: dataDir, LOG_LEVEL: 'debug', ...extra });
        assert.equal(ran.code, 0, ran.stderr);
        cliDiagnostics.push(ran.stderr);
        return JSON.parse(ran.stdout);
      };

      // ── CLI: a generated client secret, a chosen one, and a user password (flag and environment).
      const rp = await cli([
        'clients',
        'create',
        '--client-id',
        'rp',
        '--grant-types',
        'authorization_code,refresh_token',
        '--redirect-uris',
        'https://rp.example/cb',
        '--post-logout-redirect-uris',
        'https://rp.example/bye',
        '--scope',
        'openid profile email orders:read',
        '--token-endpoint-auth-method',
        'client_secret_post',
        '--response-modes',
        'query,form_post,web_message',
        '--json',
      ]);
      const rpSecret = keep('CLI-generated client secret', rp.client_secret);
      const chosen = keep('CLI-chosen client secret', `chosen-${randomUUID()}`);
      await cli([
        'clients',
        'create',
        '--client-id',
        'svc-opaque',
        '--grant-types',
        'client_credentials',
        '--access-token-format',
        'opaque',
        '--client-secret',
        chosen,
        '--json',
      ]);
      const password = keep('CLI password (environment)', `pw-${randomUUID()}`);
      const bob = await cli(
        ['users', 'create', '--username', 'bob', '--email', 'bob@example.com', '--email-verified', '--json'],
        { TOKEN_LEDGER_PASSWORD: password },
      );
      const flagPassword = keep('CLI password (flag)', `pw-${randomUUID()}`);
      await cli(['users', 'create', '--username', 'dave', '--password', flagPassword, '--json']);
      await seen(
        () =>
          running.runtime.runner.view(clientsProjection).byId.has('svc-opaque') &&
          !!findUserByUsername(running.runtime.ports, 'dave'),
      );

      const svc = await registerClient(server, {
        client_id: 'svc-jwt',
        scope: 'orders:read ledger:admin ledger:audit',
      });
      keep('client secret', svc.secret);
      const rs = await registerClient(server, { client_id: 'rs', scope: '' });
      keep('client secret', rs.secret);
      const rsAuth = basic('rs', rs.secret!);
      const credentials = (id: string, secret: string) => {
        const header = basic(id, secret);
        keep('Basic credentials', header.authorization.slice(6));
        return header;
      };
      const token = async (form: Record<string, string>, headers: Record<string, string> = {}) => {
        const res = await postForm(server, '/token', form, headers);
        for (const k of ['access_token', 'refresh_token', 'id_token'] as const) if (res.body?.[k]) keep(k, res.body[k]);
        return res;
      };

      // ── Client credentials, JWT and opaque, and failed attempts with wrong secrets.
      const operator = (
        await token(
          { grant_type: 'client_credentials', scope: 'ledger:admin ledger:audit' },
          credentials('svc-jwt', svc.secret!),
        )
      ).body.access_token as string;
      const opaque = (await token({ grant_type: 'client_credentials' }, credentials('svc-opaque', chosen))).body
        .access_token as string;
      assert.equal(opaque.split('.').length, 1, 'opaque');
      const wrong = keep('wrong client secret', `wrong-${randomUUID()}`);
      assert.equal((await token({ grant_type: 'client_credentials' }, credentials('svc-jwt', wrong))).status, 401);
      assert.equal(
        (await token({ grant_type: 'client_credentials', client_id: 'rp', client_secret: wrong })).status,
        401,
      );

      // ── Authorization code + PKCE with login (a wrong password first) and consent.
      const browser = new Browser();
      const verifier = keep('code_verifier', oauth.generateRandomCodeVerifier());
      const nonce = randomUUID();
      const authorize = (extra: Record<string, string> = {}) =>
        `${running.url}/authorize?${new URLSearchParams({ client_id: 'rp', redirect_uri: 'https://rp.example/cb', response_type: 'code', scope: 'openid profile email orders:read', state: 'st', nonce, code_challenge_method: 'S256', ...extra })}`;
      const challenge = await oauth.calculatePKCECodeChallenge(verifier);
      const login = await browser.get(authorize({ code_challenge: challenge }));
      const badPassword = keep('wrong password', `bad-pw-${randomUUID()}`);
      const refusedLogin = await browser.submit(`${running.url}/authorize`, login, {
        username: 'bob',
        password: badPassword,
      });
      assert.equal(refusedLogin.status, 401);
      const consent = await browser.submit(`${running.url}/authorize`, refusedLogin, { username: 'bob', password });
      assert.match(consent.html, /name="decision"/);
      keep('csrf token', consent.fields.csrf);
      const callback = await browser.submit(`${running.url}/authorize`, consent, { decision: 'approve' });
      keep('session cookie', browser.cookies.get('tl_session'));
      keep('binding cookie', browser.cookies.get('tl_bind'));
      const code = keep('authorization code', new URL(callback.location!).searchParams.get('code'));
      const tokens = (
        await token({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'https://rp.example/cb',
          code_verifier: verifier,
          client_id: 'rp',
          client_secret: rpSecret,
        })
      ).body;
      assert.ok(tokens.id_token && tokens.refresh_token);

      // form_post and web_message carry codes in HTML bodies.
      const second = keep('code_verifier', oauth.generateRandomCodeVerifier());
      const posted = await browser.get(
        authorize({ code_challenge: await oauth.calculatePKCECodeChallenge(second), response_mode: 'form_post' }),
      );
      const postedCode = keep('authorization code (form_post)', posted.fields.code);
      const fresh = (
        await token({
          grant_type: 'authorization_code',
          code: postedCode,
          redirect_uri: 'https://rp.example/cb',
          code_verifier: second,
          client_id: 'rp',
          client_secret: rpSecret,
        })
      ).body;
      const message = await browser.get(authorize({ code_challenge: challenge, response_mode: 'web_message' }));
      const messageCode = keep('authorization code (web_message)', webMessageResponse(message).response.code);
      assert.equal(
        (
          await token({
            grant_type: 'authorization_code',
            code: messageCode,
            redirect_uri: 'https://rp.example/cb',
            code_verifier: verifier,
            client_id: 'rp',
            client_secret: rpSecret,
          })
        ).status,
        200,
      );

      // ── Refresh rotation, and the rotated-out token presented again.
      const rotated = (
        await token({
          grant_type: 'refresh_token',
          refresh_token: fresh.refresh_token,
          client_id: 'rp',
          client_secret: rpSecret,
        })
      ).body;
      assert.ok(rotated.refresh_token);
      assert.equal(
        (
          await token({
            grant_type: 'refresh_token',
            refresh_token: fresh.refresh_token,
            client_id: 'rp',
            client_secret: rpSecret,
          })
        ).status,
        400,
      );

      // ── UserInfo, introspection (JSON and JWT answers), revocation.
      assert.equal(
        (await fetch(`${running.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } }))
          .status,
        200,
      );
      assert.equal((await postForm(server, '/userinfo', { access_token: tokens.access_token })).status, 200);
      assert.equal(
        (await fetch(`${running.url}/userinfo`, { headers: { authorization: `Bearer ${wrong}` } })).status,
        401,
      );
      for (const t of [tokens.access_token, tokens.refresh_token, opaque, operator]) {
        assert.equal((await postForm(server, '/introspect', { token: t }, rsAuth)).body.active, true);
      }
      const signed = await fetch(`${running.url}/introspect`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/token-introspection+jwt',
          ...rsAuth,
        },
        body: new URLSearchParams({ token: tokens.access_token }),
      });
      assert.equal(signed.status, 200);
      assert.equal((await postForm(server, '/revoke', { token: opaque }, basic('svc-opaque', chosen))).status, 200);
      assert.equal(
        (await postForm(server, '/revoke', { token: tokens.refresh_token, client_id: 'rp', client_secret: rpSecret }))
          .status,
        200,
      );

      // A replayed code: a failed attempt (and reuse detection, had the grant not just been revoked).
      assert.equal(
        (
          await token({
            grant_type: 'authorization_code',
            code,
            redirect_uri: 'https://rp.example/cb',
            code_verifier: verifier,
            client_id: 'rp',
            client_secret: rpSecret,
          })
        ).status,
        400,
      );

      // ── private_key_jwt, and the same assertion replayed.
      const key = await generateKeyPair('ES256');
      await registerClient(
        server,
        {
          client_id: 'pkj',
          token_endpoint_auth_method: 'private_key_jwt',
          jwks: { keys: [{ ...(await exportJWK(key.publicKey)), kty: 'EC', kid: 'k1' } as { kty: string }] },
        },
        null,
      );
      const now = Math.floor(Date.now() / 1000);
      const assertion = keep(
        'client assertion',
        await new SignJWT({
          jti: randomUUID(),
          iss: 'pkj',
          sub: 'pkj',
          aud: `${running.url}/token`,
          iat: now,
          exp: now + 60,
        })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .sign(key.privateKey),
      );
      const pkjForm = {
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion,
      };
      assert.equal((await token(pkjForm)).status, 200);
      assert.equal((await token(pkjForm)).status, 401);

      // ── RP-initiated logout with the ID token as hint (it travels in the query string).
      const out = await browser.get(
        `${running.url}/logout?${new URLSearchParams({ id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://rp.example/bye', state: 'bye' })}`,
      );
      assert.equal(out.status, 303);

      // ── GraphQL: what an operator can ask about all of it, and mutations whose answers must not echo a secret.
      const gql = async (query: string, variables: Record<string, unknown> = {}) => {
        const res = await fetch(`${running.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${operator}` },
          body: JSON.stringify({ query, variables }),
        });
        const text = await res.text();
        const body = JSON.parse(text);
        assert.equal(body.errors, undefined, text.slice(0, 500));
        return { text, data: body.data };
      };
      const registered = await gql(
        'mutation { registerClient(input: { clientId: "gql", scope: "orders:read" }) { clientSecret client { clientId } } }',
      );
      // The one answer that carries a secret on purpose (shown once): kept out of the corpus, its secret checked
      // everywhere else.
      const gqlSecret = keep('GraphQL-generated client secret', registered.data.registerClient.clientSecret);
      assert.equal((await token({ grant_type: 'client_credentials' }, credentials('gql', gqlSecret))).status, 200);
      const gqlPassword = keep('GraphQL password', `pw-${randomUUID()}`);
      answers.push(
        (
          await gql(
            'mutation($p: String!) { createUser(input: { username: "carol", password: $p }) { sub username } }',
            { p: gqlPassword },
          )
        ).text,
      );
      const carol = findUserByUsername(running.runtime.ports, 'carol')!;

      const EVENT = 'id type stream position revision recordedAt actor correlationId reason data';
      const CLIENT = `clientId name disabled grantTypes redirectUris scope tokenEndpointAuthMethod accessTokenFormat accessTokenSigningAlg accessTokenTtl hasSecret metadata registeredAt updatedAt history { ${EVENT} }`;
      const GRANT_FLAT = `id clientId subject scopes status createdAt revokedAt revocationReason history { ${EVENT} }`;
      const TOKEN = `jti kind clientId subject scope audience status issuedAt expiresAt revokedAt revocationReason grantId history { ${EVENT} } grant { ${GRANT_FLAT} }`;
      const GRANT = `${GRANT_FLAT} client { clientId metadata } tokens { ${TOKEN} }`;
      const USER = `sub username email emailVerified name disabled createdAt updatedAt sessions { active amr authenticatedAt expiresAt endedAt endReason } history { ${EVENT} } grants { ${GRANT} }`;
      const pages = async (field: string, selection: string, args = '') => {
        const nodes: Array<Record<string, unknown>> = [];
        let after: string | null = null;
        for (;;) {
          const { text, data } = await gql(
            `query($after: String) { ${field}(first: 50, after: $after${args}) { edges { cursor node { ${selection} } } pageInfo { hasNextPage endCursor } } }`,
            { after },
          );
          answers.push(text);
          nodes.push(...data[field].edges.map((e: { node: Record<string, unknown> }) => e.node));
          if (!data[field].pageInfo.hasNextPage) return nodes;
          after = data[field].pageInfo.endCursor;
        }
      };
      const tokenNodes = await pages('tokens', TOKEN);
      await pages('clients', CLIENT);
      const events = await pages('events', EVENT);
      const grantIds = new Set(tokenNodes.map((n) => n.grantId).filter(Boolean) as string[]);
      for (const id of grantIds)
        answers.push((await gql(`query($id: ID!) { grant(id: $id) { ${GRANT} } }`, { id })).text);
      for (const sub of [bob.sub, carol.sub])
        answers.push((await gql(`query($sub: ID!) { user(sub: $sub) { ${USER} } }`, { sub })).text);
      for (const id of ['rp', 'svc-opaque', 'svc-jwt', 'pkj', 'gql'])
        answers.push((await gql(`query($id: ID!) { client(clientId: $id) { ${CLIENT} } }`, { id })).text);
      for (const node of tokenNodes.slice(0, 20)) {
        answers.push(
          (
            await gql(
              `query($jti: ID!, $at: DateTime!) { token(jti: $jti) { ${TOKEN} } tokenStatusAt(jti: $jti, at: $at) }`,
              { jti: node.jti, at: new Date().toISOString() },
            )
          ).text,
        );
      }
      answers.push((await gql('{ signingKeys { kid alg status activatesAt retiredAt publishUntil publicJwk } }')).text);
      const live = tokenNodes.find((n) => n.kind === 'access_token' && n.status === 'ACTIVE' && n.clientId === 'pkj');
      const liveGrant = tokenNodes.find((n) => n.status === 'ACTIVE' && n.grantId);
      assert.ok(live && liveGrant, 'a live token and a live grant to revoke');
      answers.push(
        (
          await gql(`mutation($jti: ID!) { revokeToken(jti: $jti, reason: "hygiene run") { ${TOKEN} } }`, {
            jti: live.jti,
          })
        ).text,
      );
      answers.push(
        (
          await gql(`mutation($id: ID!) { revokeGrant(id: $id, reason: "hygiene run") { ${GRANT} } }`, {
            id: liveGrant.grantId,
          })
        ).text,
      );
      assert.ok(tokenNodes.length >= 8 && events.length >= 30, `${tokenNodes.length} tokens, ${events.length} events`);

      // The live feed over graphql-ws, authorised like any operator request.
      const feed: string[] = [];
      const wsFeed = createClient({
        url: `${running.url.replace(/^http/, 'ws')}/graphql`,
        webSocketImpl: WebSocket,
        lazy: true,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${operator}` },
      });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no event on the live feed')), 10_000);
          let count = 0;
          const dispose = wsFeed.subscribe(
            {
              query:
                'subscription { ledgerEvents { id type stream position recordedAt actor correlationId reason data } }',
            },
            {
              next: (r) => {
                feed.push(JSON.stringify(r));
                if (++count === 1) {
                  clearTimeout(timer);
                  dispose();
                  resolve();
                }
              },
              error: reject,
              complete: () => resolve(),
            },
          );
          // An event for the feed to carry, once the subscription is up.
          wsFeed.on('connected', () => {
            setTimeout(
              () =>
                void gql(`mutation { disableClient(clientId: "gql", reason: "hygiene run") { ${CLIENT} } }`).then(
                  (a) => answers.push(a.text),
                  reject,
                ),
              200,
            );
          });
        });
      } finally {
        await wsFeed.dispose();
      }
      answers.push(...feed.filter((f) => f.includes('"data"')));
      assert.ok(feed.length >= 1, 'the live feed answered');
      // The files as they are while the server runs (the WAL holds the newest pages), before close folds them in.
      for (const f of readdirSync(dataDir).filter((n) => n.startsWith('ledger')))
        liveFiles.push([`live file ${f}`, readFileSync(join(dataDir, f)).toString('latin1')]);
    } finally {
      for (const name of Object.keys(original) as Array<keyof typeof original>) console[name] = original[name];
      await running.close();
    }

    try {
      const logs = lines.join('\n');
      assert.ok(
        lines.some((l) => l.includes('"level":20')),
        'debug lines were written',
      );
      assert.ok(logs.includes('"statusCode":401') && logs.includes('"url":"/token"'), 'the requests were logged');
      assert.ok(
        logs.includes('/logout?id_token_hint=[Redacted]&post_logout_redirect_uri='),
        'the logout URL is logged with its hint redacted',
      );
      assert.equal(
        /authorization/i.test(logs.replace(/"authorization":"\[Redacted\]"/g, '')),
        false,
        'Authorization headers never logged',
      );
      const corpus: Array<[string, string]> = [
        ['log lines', logs],
        ['console', consoleLines.join('\n')],
        ['CLI diagnostics', cliDiagnostics.join('\n')],
        ['GraphQL answers', answers.join('\n')],
        ...liveFiles,
      ];
      // Every file the server and CLI left in DATA_DIR (ledger, WAL, checkpoints), except the key-encryption secret
      // itself.
      const ledgerFiles = readdirSync(dataDir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name !== 'key-encryption.secret')
        .map((e) => join(e.parentPath ?? e.path, e.name));
      for (const f of ledgerFiles) corpus.push([`file ${f}`, readFileSync(f).toString('latin1')]);
      let forms = 0;
      const found: string[] = [];
      for (const [label, secret] of secrets) {
        for (const form of encodedForms(secret)) {
          forms++;
          for (const [where, text] of corpus)
            if (text.includes(form)) found.push(`${label} in ${where}${form === secret ? '' : ' (encoded)'}`);
        }
      }
      const bytes = ledgerFiles.reduce((n, f) => n + readFileSync(f).length, 0);
      t.diagnostic(
        `secret hygiene: ${secrets.size} secrets (${forms} raw and encoded forms) checked against ${lines.length} log lines, ${answers.length} GraphQL answers, ` +
          `${cliDiagnostics.length} CLI runs, ${liveFiles.length} live ledger files and ${ledgerFiles.length} files after close (${bytes} bytes): ${found.length} matches`,
      );
      assert.deepEqual(found, [], 'no secret anywhere');
    } finally {
      removeDir(dataDir);
    }
  });

  it('CWE-532: the logged URL hides secret-bearing query parameters, however their names are spelled', () => {
    assert.equal(redactUrl('/logout?id_token_hint=eyJ.x.y&state=s'), '/logout?id_token_hint=[Redacted]&state=s');
    assert.equal(redactUrl('/userinfo?ACCESS_TOKEN=abc'), '/userinfo?ACCESS_TOKEN=[Redacted]');
    assert.equal(redactUrl('/logout?id%5Ftoken%5Fhint=eyJ.x.y'), '/logout?id%5Ftoken%5Fhint=[Redacted]');
    assert.equal(
      redactUrl('/x?code=c&code=d&client_secret'),
      '/x?code=[Redacted]&code=[Redacted]&client_secret=[Redacted]',
    );
    assert.equal(redactUrl('/authorize?client_id=a&state=b%ZZ'), '/authorize?client_id=a&state=b%ZZ');
    assert.equal(redactUrl('/jwks'), '/jwks');
  });
});
