/**
 * Issue 22 (5): the console's detail pages driven in Chromium by an operator (ledger:admin): a token's timeline and
 * its revocation, a grant's refresh chain with a reuse detection, a user's "revoke everything" and disable, a
 * client's secret rotation, the audit page's verify and export. Every action's effect is checked over the wire.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { Browser as FormBrowser } from '../helpers/browser.js';
import { chromiumSkip, launchChromium } from '../helpers/browserChromium.js';
import { axeCheck, screenshot, signInToConsole, startConsoleServer, type ConsoleServer } from '../helpers/console.js';
import {
  APP_REDIRECT,
  introspect,
  refreshRaw,
  refreshTokens,
  registerApp,
  signInToApp,
  type App,
} from '../helpers/consoleFlows.js';
import { createUser } from '../helpers/flow.js';
import type { TestServer } from '../helpers/server.js';
import { basic, postForm } from '../helpers/oauth.js';

describe('the console detail pages, as an operator', { skip: chromiumSkip }, () => {
  let cs: ConsoleServer;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let app: App;

  before(async () => {
    cs = await startConsoleServer();
    server = cs.server;
    app = await registerApp(server, 'orders-web');
    browser = await launchChromium();
    page = await signInToConsole(browser, cs, 'operator');
  });
  after(async () => {
    await browser?.close();
    await cs?.close();
  });

  const open = async (path: string, heading: RegExp) => {
    await page.goto(`${server.url}${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    // The heading comes first; the facts (or the audit page's first section) once the query has answered.
    await page.locator('dl.facts, #verify-h').first().waitFor();
  };

  it('opens a token from search, shows its timeline, and revokes it with a reason: /introspect says inactive at once', async () => {
    const alice = await createUser(server, 'alice-token');
    const tokens = await signInToApp(server, app, alice);
    // Found by its subject on the search page, opened from the results (a client-side navigation).
    await page.goto(`${server.url}/console/search`);
    await page.getByLabel('Subject').fill(alice.sub);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: tokens.jti }).click();
    await page.getByRole('heading', { level: 1, name: /Token/ }).waitFor();
    assert.equal(new URL(page.url()).pathname, `/console/tokens/${tokens.jti}`);
    const timeline = page.getByRole('list', { name: 'Timeline' });
    await timeline.getByText('Issued', { exact: true }).waitFor();
    assert.match(await timeline.innerText(), /access token to orders-web/);
    assert.match(await timeline.innerText(), /Expires/);
    await page.getByText(/Status list slot/).waitFor();
    await axeCheck(page);

    await page.getByRole('button', { name: 'Revoke…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this access token' });
    await dialog.waitFor();
    assert.match(
      await dialog.innerText(),
      /Access token \S+ of client orders-web stops working at once: 1 live token\./,
    );
    // No reason yet: the button is disabled and says why.
    const confirm = dialog.getByRole('button', { name: 'A reason is required' });
    assert.equal(await confirm.isDisabled(), true);
    await axeCheck(page);
    await screenshot(page, 'revoke-dialog');
    await dialog.getByLabel('Reason (recorded in the ledger)').fill('laptop stolen');
    await dialog.getByRole('button', { name: 'Revoke 1 token' }).click();
    await page.getByRole('status').getByText('Token revoked.').waitFor();

    assert.equal((await introspect(server, app, tokens.access_token)).active, false);
    await timeline.getByText('Revoked', { exact: true }).waitFor();
    assert.match(await timeline.innerText(), /reason: “laptop stolen”/);
    // By whom: the operator signed in to the console, a link to their user page.
    assert.match(await timeline.innerText(), new RegExp(`by user:${cs.subs.operator}`));
    assert.equal(await timeline.getByRole('link', { name: `user:${cs.subs.operator}` }).count(), 1);
    assert.equal(await page.getByRole('button', { name: 'Revoke…' }).count(), 0);

    // "Status at": a minute from now it is revoked; an hour ago it had not been issued.
    const at = page.getByLabel('Status at (your local time)');
    const local = (offsetMs: number) =>
      page.evaluate((offset) => {
        const d = new Date(Date.now() + offset);
        return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
      }, offsetMs);
    await at.fill(await local(60_000));
    await page.getByRole('button', { name: 'Check' }).click();
    await page
      .locator('output')
      .getByText(/: revoked$/)
      .waitFor();
    await at.fill(await local(-3_600_000));
    await page.getByRole('button', { name: 'Check' }).click();
    await page
      .locator('output')
      .getByText(/: not yet issued$/)
      .waitFor();
    await axeCheck(page);
    await screenshot(page, 'token');
  });

  it('pressing Escape closes the dialog, revokes nothing, and gives focus back to its button', async () => {
    const bob = await createUser(server, 'bob-escape');
    const tokens = await signInToApp(server, app, bob);
    await open(`/console/tokens/${tokens.jti}`, /Token/);
    const revoke = page.getByRole('button', { name: 'Revoke…' });
    await revoke.click();
    await page.getByRole('dialog').waitFor();
    // The reason field has focus: typing goes there.
    await page.keyboard.type('x');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(await revoke.evaluate((el) => el === document.activeElement), true);
    assert.equal((await introspect(server, app, tokens.access_token)).active, true);
  });

  it('the grant page draws the refresh chain and marks where a replayed refresh token killed the grant', async () => {
    const carol = await createUser(server, 'carol-chain');
    const first = await signInToApp(server, app, carol);
    const second = await refreshTokens(server, app, first.refresh_token);
    const third = await refreshTokens(server, app, second.refresh_token);
    // The first refresh token comes back after rotation: reuse detected, the grant dies.
    const replay = await refreshRaw(server, app, first.refresh_token);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.equal((await introspect(server, app, third.access_token)).active, false);

    await open(`/console/tokens/${third.jti}`, /Token/);
    await page.locator('dl.facts a[href^="/console/grants/"]').waitFor();
    const grantHref = await page.locator('dl.facts a[href^="/console/grants/"]').getAttribute('href');
    assert.ok(grantHref);
    await open(grantHref, /Grant/);
    const chain = page.getByRole('list', { name: 'Refresh chain, oldest first' });
    await chain.waitFor();
    assert.equal(await chain.getByRole('listitem').count(), 3);
    const replayed = chain.locator('li.chain-replayed');
    assert.equal(await replayed.count(), 1);
    assert.match(await replayed.innerText(), /#1[\s\S]*Replayed at .* reuse detected/);
    const alert = page.getByRole('note');
    assert.match(await alert.innerText(), /Reuse detected at .*A refresh token was presented again/);
    // What it killed: the three access tokens, still live, and the last refresh token.
    assert.match(await alert.innerText(), new RegExp(`${third.jti}`));
    assert.match(await alert.innerText(), /It ended 4 tokens then/);
    assert.equal(await page.getByRole('button', { name: 'Revoke grant…' }).count(), 0, 'a revoked grant has no revoke');
    await axeCheck(page);
    await screenshot(page, 'grant');
  });

  it('revoking a live grant from its page ends all its tokens', async () => {
    const dave = await createUser(server, 'dave-grant');
    const tokens = await signInToApp(server, app, dave);
    await open(`/console/tokens/${tokens.jti}`, /Token/);
    await page.locator('dl.facts a[href^="/console/grants/"]').waitFor();
    const grantHref = await page.locator('dl.facts a[href^="/console/grants/"]').getAttribute('href');
    const grantId = decodeURIComponent(grantHref!.split('/').pop()!);
    await open(grantHref!, /Grant/);

    // Its refresh token's own dialog says that the grant goes with it, and how many tokens: then Cancel.
    await page.getByRole('list', { name: 'Refresh chain, oldest first' }).getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: /Token/ }).waitFor();
    await page.getByRole('button', { name: 'Revoke…' }).click();
    const viaToken = page.getByRole('dialog', { name: 'Revoke this refresh token and its grant' });
    assert.match(
      await viaToken.innerText(),
      new RegExp(`takes its grant ${grantId} with it: 2 live tokens stop working`),
    );
    await viaToken.getByRole('button', { name: 'Cancel' }).click();
    await viaToken.waitFor({ state: 'hidden' });
    await page.goBack();
    await page.locator('dl.facts').waitFor();

    await page.getByRole('button', { name: 'Revoke grant…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this grant' });
    assert.match(await dialog.innerText(), /2 live tokens stop working/);
    await dialog.getByLabel('Reason (recorded in the ledger)').fill('suspicious device');
    await dialog.getByRole('button', { name: 'Revoke 2 tokens' }).click();
    await page.getByRole('status').getByText('Grant revoked.').waitFor();
    assert.equal((await introspect(server, app, tokens.access_token)).active, false);
    assert.equal((await introspect(server, app, tokens.refresh_token)).active, false);
  });

  it('the user page revokes everything, then disables the person: they can no longer sign in', async () => {
    const erin = await createUser(server, 'erin-user');
    const a = await signInToApp(server, app, erin);
    const b = await signInToApp(server, app, erin);
    await open(`/console/users/${erin.sub}`, /User erin-user/);
    await axeCheck(page);
    await screenshot(page, 'user');

    await page.getByRole('button', { name: 'Revoke everything…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke everything of erin-user' });
    assert.match(await dialog.innerText(), /4 live tokens stop working at once/);
    await dialog.getByLabel('Reason (recorded in the ledger)').fill('account compromised');
    await dialog.getByRole('button', { name: 'Revoke 4 tokens' }).click();
    await page.getByRole('status').getByText('Revoked: 4 tokens were live.').waitFor();
    for (const t of [a.access_token, a.refresh_token, b.access_token, b.refresh_token])
      assert.equal((await introspect(server, app, t)).active, false);

    await page.getByRole('button', { name: 'Disable…' }).click();
    const disable = page.getByRole('dialog', { name: 'Disable erin-user' });
    await disable.getByLabel('Reason (recorded in the ledger)').fill('account compromised');
    await disable.getByRole('button', { name: 'Disable user' }).click();
    await page.getByRole('status').getByText('User disabled.').waitFor();
    await page.getByRole('button', { name: 'Enable…' }).waitFor();

    // Signing in is refused with the login page's one answer for every failure (it names no account state).
    const form = new FormBrowser();
    const login = await form.get(
      `${server.url}/authorize?${new URLSearchParams({
        client_id: app.clientId,
        redirect_uri: APP_REDIRECT,
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })}`,
    );
    const refused = await form.submit(`${server.url}/authorize`, login, {
      username: erin.username,
      password: erin.password,
    });
    assert.match(refused.html, /Wrong username or password\./);
    assert.equal(refused.location, null);
  });

  it('the user page grants a role and takes it back, each with a reason', async () => {
    const gina = await createUser(server, 'gina-roles');
    await open(`/console/users/${gina.sub}`, /User gina-roles/);
    await page.getByText('No operator role.').waitFor();
    await page.getByRole('button', { name: 'Grant a role…' }).click();
    const grant = page.getByRole('dialog', { name: 'Grant a role to gina-roles' });
    await grant.getByLabel('Role').selectOption('ledger:audit');
    await grant.getByLabel('Reason (recorded in the ledger)').fill('joins the audit team');
    await grant.getByRole('button', { name: 'Grant role' }).click();
    await page.getByRole('status').getByText('Role ledger:audit granted.').waitFor();
    await page.getByRole('button', { name: 'Revoke role ledger:audit' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke role ledger:audit from gina-roles' });
    await revoke.getByLabel('Reason (recorded in the ledger)').fill('left the audit team');
    await revoke.getByRole('button', { name: 'Revoke role' }).click();
    await page.getByRole('status').getByText('Role ledger:audit revoked.').waitFor();
    await page.getByText('No operator role.').waitFor();
  });

  it("the client page revokes the client's tokens, then disables it: it can no longer authenticate", async () => {
    const batch = await registerApp(server, 'billing-batch');
    const cc = () =>
      postForm(server, '/token', { grant_type: 'client_credentials' }, basic(batch.clientId, batch.secret));
    const issued = [(await cc()).body.access_token as string, (await cc()).body.access_token as string];
    await open(`/console/clients/${batch.clientId}`, /Client/);
    await page.getByRole('button', { name: 'Revoke its tokens…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke every token of billing-batch' });
    assert.match(await dialog.innerText(), /2 live tokens stop working at once/);
    await dialog.getByLabel('Reason (recorded in the ledger)').fill('key leaked in a log');
    await dialog.getByRole('button', { name: 'Revoke 2 tokens' }).click();
    await page.getByRole('status').getByText('Revoked: 2 tokens were live.').waitFor();
    for (const t of issued) assert.equal((await introspect(server, batch, t)).active, false);

    await page.getByRole('button', { name: 'Disable…' }).click();
    const disable = page.getByRole('dialog', { name: 'Disable billing-batch' });
    await disable.getByLabel('Reason (recorded in the ledger)').fill('retired');
    await disable.getByRole('button', { name: 'Disable client' }).click();
    await page.getByRole('status').getByText('Client disabled.').waitFor();
    const refused = await cc();
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'invalid_client');
  });

  it('the client page rotates the secret: shown once, and the old one still works during the grace the server states', async () => {
    await open(`/console/clients/${app.clientId}`, /Client/);
    await page.getByRole('figure').waitFor();
    await page.getByRole('button', { name: 'Rotate secret…' }).click();
    const dialog = page.getByRole('dialog', { name: `Rotate the secret of ${app.clientId}` });
    await dialog.getByLabel('The old secret keeps working for').selectOption('3600');
    await dialog.getByRole('button', { name: 'Rotate secret' }).click();
    const reveal = page.getByRole('region', { name: 'New client secret' });
    await reveal.waitFor();
    const secret = await reveal.getByLabel('Client secret').inputValue();
    assert.ok(secret.length >= 32);
    const warning = await reveal.innerText();
    assert.match(warning, /Shown this once/);
    const until = /The old secret keeps working until (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/.exec(warning);
    assert.ok(until, warning);
    const untilMs = Date.parse(`${until[1].replace(' ', 'T')}Z`);
    assert.ok(Math.abs(untilMs - (Date.now() + 3_600_000)) < 60_000, `${until[1]} is an hour from now`);
    await page.getByText(/works until/).waitFor();
    await axeCheck(page);
    await screenshot(page, 'client');

    const cc = (s: string) => postForm(server, '/token', { grant_type: 'client_credentials' }, basic(app.clientId, s));
    assert.equal((await cc(secret)).status, 200);
    assert.equal((await cc(app.secret)).status, 200, 'the old secret works during the grace period');
    await reveal.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByLabel('Client secret').count(), 0, 'the secret is gone from the page');
    app = { ...app, secret };
  });

  it('the audit page verifies the ledger, digests a replay, and downloads the export, whose lines parse', async () => {
    await open('/console/audit', /Audit/);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('Verified: the ledger is intact.').waitFor();
    await page.getByRole('button', { name: 'Replay' }).click();
    await page
      .locator('dl.facts dd code')
      .filter({ hasText: /^[A-Za-z0-9_-]{20,}$/ })
      .first()
      .waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download export' }).click(),
    ]);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    assert.ok(lines.length > 10);
    for (const line of lines) JSON.parse(line);
    await page.getByText(/^Saved .* \(\d+ bytes\)\.$/).waitFor();
    // The token went in a header: no request URL carried it.
    await axeCheck(page);
    await screenshot(page, 'audit');
  });
});
