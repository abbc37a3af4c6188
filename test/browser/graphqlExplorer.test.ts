/**
 * Issue 15 (7): GET /graphql answers GraphQL clients with JSON, so a real browser's navigation must
 * still get the explorer, even with a query in the URL, and the explorer must still run queries.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { removeDir, startTestServer, type TestServer } from '../helpers/server.js';
import { basic, postForm, registerClient } from '../helpers/oauth.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`;
if (skip && process.env.TOKEN_LEDGER_REQUIRE_BROWSER) throw new Error(`browser tests required but ${skip}`);
if (skip) console.log(`# browser tests skipped: ${skip}`);

describe('the GraphQL explorer in Chromium', { skip }, () => {
  let server: TestServer;
  let browser: Browser;
  let auditor: string;

  before(async () => {
    server = await startTestServer();
    const c = await registerClient(server, { scope: 'ledger:audit' });
    const res = await postForm(server, '/token', { grant_type: 'client_credentials' }, basic(c.clientId, c.secret!));
    auditor = res.body.access_token as string;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (server) removeDir(server.dataDir);
  });

  it('a navigation to /graphql?query=… shows the explorer, which runs a query with a token', async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${server.url}/graphql?query=${encodeURIComponent('{ signingKeys { kid } }')}`);
    assert.equal(response?.status(), 200);
    assert.match(response?.headers()['content-type'] ?? '', /^text\/html/);
    assert.equal(await page.title(), 'GraphQL explorer · token-ledger');
    await page.fill('#token', auditor);
    await page.fill('#query', '{ signingKeys { kid } }');
    await page.click('#run');
    await page.waitForFunction(() => document.getElementById('result')!.textContent.includes('signingKeys'));
    const result = JSON.parse((await page.textContent('#result'))!) as { data: { signingKeys: unknown[] } };
    assert.ok(result.data.signingKeys.length >= 1);
    await page.close();
  });
});
