/**
 * RFC 8628 as a person lives it, in Debian's Chromium: the device shows a code; the person opens /device (from the
 * link with the code filled in, or by typing it), signs in, sees which application asks and the code to compare, and
 * allows or denies. The device, polling with oauth4webapi, gets tokens or access_denied.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as oauth from 'oauth4webapi';
import type { BrowserContext, Page } from 'playwright-core';
import { registerClient, insecure } from '../helpers/oauth.js';
import { createUser } from '../helpers/flow.js';
import { chromiumSkip, startChromiumFixture, watchCsp, type ChromiumFixture } from '../helpers/browserChromium.js';

const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';

describe('device sign-in in Chromium', { skip: chromiumSkip }, () => {
  let fixture: ChromiumFixture;
  let as: oauth.AuthorizationServer;
  let tv: oauth.Client;
  let alice: { username: string; password: string };

  before(async () => {
    fixture = await startChromiumFixture((_req, _body, res) => res.writeHead(404).end());
    const { server } = fixture;
    alice = await createUser(server, 'alice', 'correct horse battery');
    const { clientId } = await registerClient(
      server,
      {
        client_name: 'Living Room TV',
        grant_types: [DEVICE_CODE, 'refresh_token'],
        token_endpoint_auth_method: 'none',
        scope: 'openid profile',
      },
      null,
    );
    tv = { client_id: clientId, token_endpoint_auth_method: 'none' };
    const issuer = new URL(server.url);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
  });
  after(() => fixture?.close());

  const start = async () =>
    oauth.processDeviceAuthorizationResponse(
      as,
      tv,
      await oauth.deviceAuthorizationRequest(as, tv, oauth.None(), { scope: 'openid profile' }, insecure),
    );
  const poll = async (deviceCode: string) =>
    oauth.processDeviceCodeResponse(
      as,
      tv,
      await oauth.deviceCodeGrantRequest(as, tv, oauth.None(), deviceCode, insecure),
    );

  async function fresh(): Promise<{ context: BrowserContext; page: Page; csp: string[] }> {
    const context = await fixture.browser.newContext();
    const csp = await watchCsp(context);
    return { context, page: await context.newPage(), csp };
  }

  it('from the link: the code is filled in, the person signs in, compares the code, allows; the device gets tokens', async () => {
    const device = await start();
    const { context, page, csp } = await fresh();
    await page.goto(device.verification_uri_complete!);
    assert.equal(await page.getByLabel('Code').inputValue(), device.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Living Room TV wants to access your account' }).waitFor();
    assert.match((await page.locator('.device-code').textContent())!, new RegExp(device.user_code));
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    assert.match((await page.getByRole('status').textContent())!, /Living Room TV is signed in on your device/);
    const tokens = await poll(device.device_code);
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);

    // The same code again names nothing: it was answered.
    await page.goto(`${fixture.server.url}/device`);
    await page.getByLabel('Code').fill(device.user_code);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /not valid, was already used or has expired/);
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('typed by hand in any case without the dash, denied: the device is told access_denied', async () => {
    const device = await start();
    const { context, page, csp } = await fresh();
    await page.goto(`${fixture.server.url}/device`);
    await page.getByLabel('Code').fill(device.user_code.replace('-', '').toLowerCase());
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('heading', { name: 'Device not connected' }).waitFor();
    await assert.rejects(poll(device.device_code), (e: unknown) => {
      assert.ok(e instanceof oauth.ResponseBodyError);
      assert.equal(e.error, 'access_denied');
      return true;
    });
    assert.deepEqual(csp, []);
    await context.close();
  });

  it('a wrong code is refused on the page, in the person’s language', async () => {
    const { context, page } = await fresh();
    await page.goto(`${fixture.server.url}/device?ui_locales=de`);
    await page.getByLabel('Code').fill('BCDF-GHJK');
    await page.getByRole('button', { name: 'Weiter' }).click();
    await page.getByRole('alert').waitFor();
    assert.match((await page.getByRole('alert').textContent())!, /Dieser Code ist ungültig/);
    await context.close();
  });
});
