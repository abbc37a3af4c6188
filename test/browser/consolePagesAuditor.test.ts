/**
 * Issue 22 (5): an auditor (ledger:audit) reads every detail page but sees no revoke, disable or rotate button, and the
 * API refuses the mutation if it is forced (FORBIDDEN, nothing written). axe on every page: zero serious or critical.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { chromiumSkip, launchChromium } from '../helpers/browserChromium.js';
import {
  axeCheck,
  screenshot,
  scrollsSideways,
  signInToConsole,
  startConsoleServer,
  type ConsoleServer,
} from '../helpers/console.js';
import { indexedToken, registerApp, signInToApp, type App, type Tokens } from '../helpers/consoleFlows.js';
import { createUser } from '../helpers/flow.js';
import type { TestServer } from '../helpers/server.js';
import { ledgerHead } from '../helpers/oauth.js';

/** Every write action the pages offer an admin, by its button's name. */
const WRITE_BUTTONS = /^(Revoke|Disable|Enable|Rotate secret|Grant a role)/;

describe('the console detail pages, as an auditor', { skip: chromiumSkip }, () => {
  let cs: ConsoleServer;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let app: App;
  let tokens: Tokens;
  let person: { sub: string };
  let grantId: string;

  before(async () => {
    cs = await startConsoleServer();
    server = cs.server;
    app = await registerApp(server);
    person = await createUser(server, 'frank-audited');
    tokens = await signInToApp(server, app, { username: 'frank-audited', password: 'correct horse battery' });
    grantId = (await indexedToken(server, tokens.jti)).grantId!;
    browser = await launchChromium();
    page = await signInToConsole(browser, cs, 'auditor');
  });
  after(async () => {
    await browser?.close();
    await cs?.close();
  });

  const pages = () => [
    { path: `/console/tokens/${tokens.jti}`, heading: /Token/ },
    { path: `/console/grants/${grantId}`, heading: /Grant/ },
    { path: `/console/users/${person.sub}`, heading: /User frank-audited/ },
    { path: `/console/clients/${app.clientId}`, heading: /Client/ },
    { path: '/console/audit', heading: /Audit/ },
  ];

  it('every page reads, shows no write action, and passes axe', async () => {
    for (const { path, heading } of pages()) {
      await page.goto(`${server.url}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      // Wait for the page's data (a definition list or the audit page's first section) before looking.
      await page.locator('dl.facts, #verify-h').first().waitFor();
      assert.equal(await page.getByRole('button', { name: WRITE_BUTTONS }).count(), 0, `no write button on ${path}`);
      await axeCheck(page);
    }
    // Reads still work: the audit page's verification is an audit read.
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Verified: the ledger is intact.').waitFor();
  });

  it('a revocation, a disable or a rotation forced through the API with the auditor’s own token is refused: FORBIDDEN, nothing written', async () => {
    const head = await ledgerHead(server);
    const forced = {
      revokeToken: ['mutation($id: ID!) { revokeToken(jti: $id, reason: "forced") { jti } }', tokens.jti],
      revokeGrant: ['mutation($id: ID!) { revokeGrant(id: $id, reason: "forced") { id } }', grantId],
      disableUser: ['mutation($id: ID!) { disableUser(sub: $id, reason: "forced") { sub } }', person.sub],
      rotateClientSecret: ['mutation($id: ID!) { rotateClientSecret(clientId: $id) { clientSecret } }', app.clientId],
    };
    for (const [name, [query, id]] of Object.entries(forced)) {
      // The auditor's own console session, its token as the console keeps it, the request as the console sends it.
      const answer = await page.evaluate(
        async ({ query, id }) => {
          const stored = JSON.parse(sessionStorage.getItem('token-ledger-console')!) as { access_token: string };
          const res = await fetch('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${stored.access_token}` },
            body: JSON.stringify({ query, variables: { id } }),
          });
          return { status: res.status, body: (await res.json()) as { errors?: { extensions?: { code?: string } }[] } };
        },
        { query, id },
      );
      assert.equal(answer.body.errors?.[0]?.extensions?.code, 'FORBIDDEN', name);
      assert.equal(answer.status, 403, name);
    }
    assert.equal(await ledgerHead(server), head);
    const still = await indexedToken(server, tokens.jti);
    assert.equal(still.revokedAt, undefined);
  });

  it('at 390 px wide no page scrolls sideways (a table becomes one card per row)', async () => {
    const narrow = await signInToConsole(browser, cs, 'auditor', { width: 390, height: 844 });
    for (const { path, heading } of pages()) {
      await narrow.goto(`${server.url}${path}`);
      await narrow.getByRole('heading', { level: 1, name: heading }).waitFor();
      await narrow.locator('dl.facts, #verify-h').first().waitFor();
      assert.equal(await scrollsSideways(narrow), false, `${path} at 390 px`);
      await axeCheck(narrow);
      if (path.startsWith('/console/grants/')) await screenshot(narrow, 'grant-390');
    }
    await narrow.context().close();
  });
});
