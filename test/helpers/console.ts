/**
 * The operator console in Chromium (issue 22): a server with an operator, an auditor and a person with no role,
 * sign-in through the console and the login page, an axe-core check, and screenshots (see SCREENSHOTS_DIR).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { registerUser } from '../../src/application/registerUser.js';
import { removeDir, startTestServer, type TestServer } from './server.js';

/** The people of a console test server. Passwords are fixed so a person can type them into the login page. */
export const PEOPLE = {
  operator: { password: 'operator-password-22', role: 'ledger:admin' },
  auditor: { password: 'auditor-password-22', role: 'ledger:audit' },
  nobody: { password: 'nobody-password-22', role: null },
} as const;

export type Person = keyof typeof PEOPLE;

export interface ConsoleServer {
  server: TestServer;
  url: string;
  /** Each person's sub (the user pages' address). */
  subs: Record<Person, string>;
  close(): Promise<void>;
}

/** A listening test server (it registers the console's client itself) with three people: operator, auditor, nobody. */
export async function startConsoleServer(env?: Record<string, string>): Promise<ConsoleServer> {
  const server = await startTestServer({ env });
  const subs = {} as Record<Person, string>;
  for (const person of Object.keys(PEOPLE) as Person[]) {
    const { password, role } = PEOPLE[person];
    const user = await registerUser(
      server.runtime.ports,
      { username: person, password, email: `${person}@example.com`, name: person, roles: role ? [role] : [] },
      { actor: 'operator:test', correlationId: randomUUID() },
    );
    subs[person] = user.sub;
  }
  return {
    server,
    url: server.url,
    subs,
    async close() {
      await server.close();
      removeDir(server.dataDir);
    },
  };
}

/**
 * Opens /console in a new 1280×800 context, presses "Sign in", signs in on the server's login page (approving a
 * consent screen if one is shown) and waits to be back in the console: the dashboard, or for a person without a
 * role the refusal. Returns the page.
 */
export async function signInToConsole(
  browser: Browser,
  server: ConsoleServer | TestServer,
  person: Person,
  viewport = { width: 1280, height: 800 },
): Promise<Page> {
  const url = 'server' in server ? server.url : server.url;
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${url}/console/`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname.startsWith('/authorize') || u.pathname.startsWith('/login'));
  await page.fill('input[name="username"]', person);
  await page.fill('input[name="password"]', PEOPLE[person].password);
  await Promise.all([page.waitForNavigation(), page.click('button[type="submit"].primary')]);
  if (await page.locator('button[name="decision"][value="approve"]').count()) {
    await Promise.all([page.waitForNavigation(), page.click('button[name="decision"][value="approve"]')]);
  }
  await page.waitForURL((u) => u.pathname.startsWith('/console/') && u.pathname !== '/console/callback');
  await page.locator('h1').first().waitFor();
  return page;
}

const AXE = readFileSync(fileURLToPath(import.meta.resolve('axe-core/axe.min.js')), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core on the page (WCAG 2.x A and AA rules) and fails on any serious or critical violation. axe is
 * evaluated through the DevTools protocol, which the page's CSP (script-src 'self') does not govern, so the page is
 * checked under its real policy; an injected <script> tag would be blocked by it.
 */
export async function axeCheck(page: Page, label = page.url()): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    const lines = bad.map(
      (v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    );
    throw new Error(`axe on ${label}: ${bad.length} serious/critical violation(s)\n${lines.join('\n')}`);
  }
  return violations;
}

/**
 * Where each run saves its screenshots: TOKEN_LEDGER_SCREENSHOTS, else dist/screenshots/ (ignored by git, so a test
 * run leaves the work tree clean). `TOKEN_LEDGER_SCREENSHOTS=docs/screenshots` refreshes the pictures the docs show.
 */
export const SCREENSHOTS_DIR = resolve(
  process.env.TOKEN_LEDGER_SCREENSHOTS ?? fileURLToPath(new URL('../../screenshots/', import.meta.url)),
);

/** Saves the page's viewport to <SCREENSHOTS_DIR>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  // Animations and the caret would make each run's picture differ for nothing.
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

/** True when the page scrolls sideways (wider content than the viewport): the 390 px check. */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
