/**
 * The browser step of the README's first login, for test/docs/readmeQuickstart.test.ts: opens the
 * authorization URL, signs in and consents as the user would, and prints the address the browser
 * is sent back to. Usage: node quickstartLogin.js <authorize URL> <username> <password>
 */
import { Browser } from '../helpers/browser.js';
import { authorizeInBrowser } from '../helpers/flow.js';
import type { TestServer } from '../helpers/server.js';

const [url, username, password] = process.argv.slice(2);
if (!url || !username || !password) throw new Error('usage: quickstartLogin <authorize URL> <username> <password>');
const authorize = new URL(url);
const server = { url: authorize.origin } as TestServer;
const page = await authorizeInBrowser(server, new Browser(), Object.fromEntries(authorize.searchParams), { username, password });
if (!page.location) {
  process.stderr.write(`no redirect back to the client: ${page.status} ${page.html.slice(0, 300)}\n`);
  process.exit(1);
}
process.stdout.write(`${page.location}\n`);
