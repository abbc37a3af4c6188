/**
 * Issue 22: GraphiQL's page and assets as served (test/browser/graphiql.test.ts drives the page itself): the page
 * revalidates, the hashed assets are immutable, an unknown asset is 404, nothing is loaded from elsewhere, and the
 * CSP allows scripts from this origin only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { removeDir, type TestServer } from '../helpers/server.js';
import { startInjectServer } from '../helpers/injectServer.js';

describe('GraphiQL at /console/graphiql', () => {
  let server: TestServer;

  before(async () => {
    server = await startInjectServer();
  });
  after(async () => {
    await server.close();
    removeDir(server.dataDir);
  });

  const page = async (path: string) => {
    const res = await server.fetch(`${server.url}${path}`);
    return { res, html: await res.text() };
  };

  it('the page (with or without a trailing slash) revalidates and names only its own assets', async () => {
    for (const path of ['/console/graphiql', '/console/graphiql/']) {
      const { res, html } = await page(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.match(html, /<title>GraphQL explorer · token-ledger<\/title>/);
      assert.doesNotMatch(html, /(src|href)=["']?(https?:)?\/\//i, 'no asset from elsewhere');
      assert.doesNotMatch(html, /<script>|<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      assert.doesNotMatch(html, /<style/, 'no inline style element');
    }
  });

  it('the CSP: scripts and workers from this origin only, no eval, nothing framed, the live feed on this host', async () => {
    const { res } = await page('/console/graphiql');
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')] as const;
      }),
    );
    assert.equal(directives.get('default-src'), "'none'");
    assert.equal(directives.get('script-src'), "'self'");
    assert.equal(directives.get('worker-src'), "'self'");
    assert.equal(directives.get('connect-src'), `'self' ${server.url.replace(/^http/, 'ws')}`);
    assert.equal(directives.get('frame-ancestors'), "'none'");
    assert.equal(directives.get('base-uri'), "'none'");
    assert.equal(directives.get('form-action'), "'none'");
    assert.doesNotMatch(csp, /unsafe-eval|\*|https?:/);
  });

  it('hashed assets are immutable for a year, gzipped when asked; an unknown one is 404', async () => {
    const { html } = await page('/console/graphiql');
    const assets = [...html.matchAll(/(?:src|href)="(\/console\/graphiql\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), html);
    for (const asset of assets) {
      assert.match(asset, /-[A-Za-z0-9_-]{8}\.(js|css)$/, 'content-hashed name');
      const res = await server.fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(res.status, 200, asset);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.match(res.headers.get('content-type') ?? '', asset.endsWith('.js') ? /javascript/ : /text\/css/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('content-encoding'), null);
      await res.arrayBuffer();
    }
    const gz = await server.fetch(`${server.url}${assets[0]}`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.status, 200);
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.match(gz.headers.get('vary') ?? '', /accept-encoding/i);
    await gz.arrayBuffer();
    for (const missing of [
      '/console/graphiql/assets/index-00000000.js',
      '/console/graphiql/assets/../index.html',
      '/console/graphiql/assets/',
    ]) {
      const res = await server.fetch(`${server.url}${missing}`);
      assert.equal(res.status, 404, missing);
      assert.notEqual(res.headers.get('cache-control'), 'public, max-age=31536000, immutable', missing);
      await res.arrayBuffer();
    }
  });
});
