/**
 * Issue 22: how the operator console is served: index.html for every client-side route (no-cache, the strict CSP,
 * no inline script or style), hashed assets immutable, an unknown asset 404, and a missing build a clear 503.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { consoleRoutes } from '../../src/http/routes/console.js';
import type { Runtime } from '../../src/runtime.js';
import { removeDir } from '../helpers/server.js';
import { startInjectServer, type InjectServer } from '../helpers/injectServer.js';

const BUILT = new URL('../../console/index.html', import.meta.url);

describe('serving the console', () => {
  let server: InjectServer;
  before(async () => {
    assert.ok(existsSync(BUILT), 'dist/console is built by `npm run build` (build:console)');
    server = await startInjectServer();
  });
  after(async () => {
    await server?.close();
    if (server) removeDir(server.dataDir);
  });

  const csp = () => {
    const ws = `ws://${new URL(server.url).host}`;
    return (
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
      `connect-src 'self' ${ws}; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`
    );
  };

  it('answers index.html for the start page and every client-side route, revalidated, under the strict CSP', async () => {
    for (const url of [
      '/console/',
      '/console/search?client=a',
      '/console/tokens/abc',
      '/console/callback?code=x&state=y',
    ]) {
      const res = await server.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
      assert.match(res.headers['content-type'] as string, /^text\/html; charset=utf-8/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.equal(res.headers['content-security-policy'], csp());
      assert.equal(res.headers['referrer-policy'], 'no-referrer');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.match(res.body, /<div id="app"><\/div>/);
    }
  });

  it('has no inline script or style in index.html (the CSP would block it)', async () => {
    const html = (await server.inject({ method: 'GET', url: '/console/' })).body;
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, /\bsrc="\/console\/assets\/[^"]+\.js"/);
      assert.equal(body.trim(), '');
    }
    assert.doesNotMatch(html, /<style\b/);
    assert.doesNotMatch(html, /\sstyle=/);
    assert.doesNotMatch(html, /\son[a-z]+=/);
  });

  it('/console redirects to /console/ with its query', async () => {
    const res = await server.inject({ method: 'GET', url: '/console?x=1' });
    assert.equal(res.statusCode, 308);
    assert.equal(res.headers.location, '/console/?x=1');
  });

  it('serves hashed assets as immutable, and 404 for an unknown one', async () => {
    const html = (await server.inject({ method: 'GET', url: '/console/' })).body;
    const files = [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(files.some((f) => f.endsWith('.js')) && files.some((f) => f.endsWith('.css')));
    for (const file of files) {
      const res = await server.inject({ method: 'GET', url: file });
      assert.equal(res.statusCode, 200, file);
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.match(res.headers['content-type'] as string, file.endsWith('.js') ? /javascript/ : /text\/css/);
    }
    for (const url of ['/console/assets/nope-0000.js', '/console/assets/index-x.css.map']) {
      const res = await server.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
    }
    // A path that climbs out of assets/ never reaches a file outside dist/console.
    const climb = await server.inject({ method: 'GET', url: '/console/assets/%2e%2e/%2e%2e/%2e%2e/package.json' });
    assert.doesNotMatch(climb.body, /"name": "token-ledger"/);
  });
});

describe('a server without the console built', () => {
  it('still starts, and /console says to run npm run build (503)', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tl-console-'));
    const app = Fastify();
    const runtime = { config: { issuer: 'http://127.0.0.1:1', console: true } } as Pick<Runtime, 'config'>;
    await app.register(consoleRoutes, { runtime, dist: empty });
    try {
      for (const url of ['/console/', '/console/search']) {
        const res = await app.inject({ method: 'GET', url });
        assert.equal(res.statusCode, 503, url);
        assert.match(res.headers['content-type'] as string, /^text\/plain/);
        assert.match(res.body, /npm run build/);
      }
      assert.equal((await app.inject({ method: 'GET', url: '/console/assets/index-x.js' })).statusCode, 404);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('CONSOLE=off', () => {
  it('serves no console', async () => {
    const server = await startInjectServer({ env: { CONSOLE: 'off' } });
    try {
      for (const url of ['/console/', '/console/search']) {
        assert.equal((await server.inject({ method: 'GET', url })).statusCode, 404, url);
      }
    } finally {
      await server.close();
      removeDir(server.dataDir);
    }
  });
});
