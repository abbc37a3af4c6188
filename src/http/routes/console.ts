import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Runtime } from '../../runtime.js';

/** Where `npm run build` (vite build -c console/vite.config.ts) writes the console. */
const DIST = fileURLToPath(new URL('../../../console/', import.meta.url));

const MISSING_BUILD =
  'The operator console has not been built: dist/console/index.html is missing.\n' +
  'Run `npm run build` (npm install runs it too) and reload this page.\n';

/**
 * The console's policy: its own scripts and styles only (Vite emits no inline script or style), GraphQL over
 * fetch and over graphql-ws on this server, nothing framed, no form posted elsewhere.
 */
function consoleCsp(issuer: string): string {
  const url = new URL(issuer);
  const ws = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${ws}`,
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The operator console (issue 22): a single-page app under /console/. Hashed assets are immutable; index.html,
 * answered for every other path below /console/ (the app routes on the client), is revalidated on each load so a
 * new build is picked up at once. Without a build the server still starts, and /console says how to build it.
 */
export async function consoleRoutes(
  app: FastifyInstance,
  { runtime, dist = DIST }: { runtime: Pick<Runtime, 'config'>; dist?: string },
) {
  // CONSOLE=off: no console client is registered, and no console is served.
  if (!runtime.config.console) return;
  const assets = join(dist, 'assets');
  const indexFile = join(dist, 'index.html');
  const csp = consoleCsp(runtime.config.issuer);
  // Read at each load (a small file, loaded once per visit): a build made while the server runs is served at once.
  const page = () =>
    readFile(indexFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });

  // Registered even before a build exists: @fastify/static looks files up at each request.
  await app.register(fastifyStatic, {
    root: assets,
    prefix: '/console/assets/',
    decorateReply: false,
    index: false,
    list: false,
    // Every file name carries its content hash: a changed file is a new URL.
    immutable: true,
    maxAge: 31_536_000_000,
  });

  const serveIndex = async (_request: FastifyRequest, reply: FastifyReply) => {
    const html = await page();
    if (html === undefined) {
      return reply
        .code(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .header('retry-after', '60')
        .send(MISSING_BUILD);
    }
    return (
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', csp)
        // The callback URL carries the authorization code: never sent onwards in a Referer.
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .send(html)
    );
  };

  app.get('/console', async (request, reply) => {
    const q = request.url.indexOf('?');
    return reply.redirect(`/console/${q < 0 ? '' : request.url.slice(q)}`, 308);
  });
  app.get('/console/', serveIndex);
  // Every client-side route (/console/search, /console/tokens/…, /console/callback); /console/assets/* is above.
  app.get('/console/*', async (request, reply) => {
    if (request.url.startsWith('/console/assets/')) return reply.callNotFound();
    return serveIndex(request, reply);
  });
}
