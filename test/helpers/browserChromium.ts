/**
 * Debian's Chromium, driven by playwright-core, for the tests of what a browser does with the
 * server's pages. Without Chromium the browser tests skip, unless TOKEN_LEDGER_REQUIRE_BROWSER is set.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { removeDir, startTestServer, type TestServer } from './server.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumSkip: string | false = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium)`;
if (chromiumSkip && process.env.TOKEN_LEDGER_REQUIRE_BROWSER)
  throw new Error(`browser tests required but ${chromiumSkip}`);
if (chromiumSkip) console.log(`# browser tests skipped: ${chromiumSkip}`);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-quic',
      '--no-first-run',
      '--disable-sync',
    ],
  });
}

/**
 * Every Content-Security-Policy complaint of a context's pages: the `securitypolicyviolation` events
 * (reported through a binding, which no page policy can block) and the console lines Chromium writes
 * for them (a blocked redirect after a form post shows only there).
 */
export async function watchCsp(context: BrowserContext): Promise<string[]> {
  const seen: string[] = [];
  await context.exposeBinding('__reportCsp', (_source, line: string) => void seen.push(line));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCsp: (l: string) => void }).__reportCsp(
        `${e.violatedDirective} blocked ${e.blockedURI} on ${e.documentURI}`,
      );
    });
  });
  const watch = (page: Page) =>
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
    });
  context.pages().forEach(watch);
  context.on('page', watch);
  return seen;
}

/** A stand-in application on its own loopback origin: `handle` answers every request. */
export function serveApp(
  handle: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<{ server: Server; origin: string }> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => handle(req, body, res));
    });
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` }),
    );
  });
}

/** A test server, a stand-in app on another origin, and Chromium: what every browser suite starts with. */
export interface ChromiumFixture {
  server: TestServer;
  app: { server: Server; origin: string };
  browser: Browser;
  close(): Promise<void>;
}

export async function startChromiumFixture(
  handle: Parameters<typeof serveApp>[0],
  env?: Record<string, string>,
): Promise<ChromiumFixture> {
  const server = await startTestServer({ env });
  const app = await serveApp(handle);
  const browser = await launchChromium();
  return {
    server,
    app,
    browser,
    async close() {
      await browser.close();
      app.server.close();
      await server.close();
      removeDir(server.dataDir);
    },
  };
}
