/**
 * The browser step of the README's first login, for test/docs/readmeQuickstart.test.ts: in Chromium,
 * opens the authorization URL the README printed, signs in and allows the client as the reader
 * would, and returns the page the browser lands on (the README's one-shot callback listener).
 */
import { launchChromium } from '../helpers/browserChromium.js';

export async function signInInChromium(
  authorizeUrl: string,
  callback: string,
  user: { username: string; password: string },
): Promise<{ url: string; heading: string }> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(authorizeUrl);
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${callback}?**`);
    return { url: page.url(), heading: (await page.getByRole('heading').textContent()) ?? '' };
  } finally {
    await browser.close();
  }
}

/** The README's console step: the printed address, Sign in, the login page, then the dashboard's heading. */
export async function signInToConsoleInChromium(
  consoleUrl: string,
  user: { username: string; password: string },
): Promise<string> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(consoleUrl);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Username').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const heading = page.locator('h1#page-title');
    await heading.waitFor();
    return (await heading.textContent()) ?? '';
  } finally {
    await browser.close();
  }
}
