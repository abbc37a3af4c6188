import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Where `npm run build:graphiql` writes the page (console/graphiql/vite.config.ts), next to dist/src. */
const ROOT = fileURLToPath(new URL('../../../console-graphiql/', import.meta.url));
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page's policy: the strict one of the console (src/http/routes/console.ts), loosened only where GraphiQL proves
 * it must be (each watched in Chromium by test/browser/graphiql.test.ts, which fails on any violation):
 * - style-src 'unsafe-inline': Monaco styles the editor at run time (below).
 * - font-src data: GraphiQL's stylesheet carries its fonts (Roboto, Fira Code) inline as data: URLs.
 * No 'unsafe-eval': neither GraphiQL nor Monaco needs it.
 */
function graphiqlCsp(issuer: string): string {
  const ws = new URL(issuer);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  return [
    "default-src 'none'",
    "script-src 'self'",
    // Monaco writes <style> elements and style attributes (editor lines are HTML strings with style="…") at run
    // time; neither can carry a nonce or a hash, so styles (never scripts) may be inline.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    // The live feed (graphql-ws) on /graphql: 'self' names ws: only in browsers that follow CSP 3, so it is named too.
    `connect-src 'self' ${ws.origin}`,
    // Monaco's language services run in workers bundled with the page.
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * GraphiQL at /console/graphiql (issue 22): the page revalidates on every visit, so a new build is seen at once; its
 * hashed assets never change and are cached for a year. Nothing is fetched from elsewhere: the page works offline.
 */
export async function graphiqlRoutes(app: FastifyInstance, { issuer }: { issuer: string }) {
  const indexFile = `${ROOT}index.html`;
  const html = existsSync(indexFile) ? readFileSync(indexFile, 'utf8') : undefined;
  if (!html) app.log.warn({ path: indexFile }, 'the GraphQL explorer is not built (npm run build:graphiql)');
  const csp = graphiqlCsp(issuer);
  const page = async (_request: unknown, reply: FastifyReply) => {
    if (!html) return reply.code(404).type('text/plain; charset=utf-8').send('the GraphQL explorer is not built\n');
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', csp)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'no-referrer')
      .send(html);
  };
  app.get('/console/graphiql', page);
  app.get('/console/graphiql/', page);
  // Nothing else below the explorer is a page: without this, the console's catch-all would answer its index.html.
  app.get('/console/graphiql/*', async (_request, reply) => reply.callNotFound());
  if (!html) return;
  await app.register(fastifyStatic, {
    root: `${ROOT}assets`,
    prefix: '/console/graphiql/assets/',
    // The console registers its own assets too: the reply decorator belongs to neither.
    decorateReply: false,
    index: false,
    redirect: false,
    dotfiles: 'deny',
    // The build writes each asset's .gz beside it (console/graphiql/vite.config.ts).
    preCompressed: true,
    cacheControl: false,
    etag: true,
    lastModified: false,
    setHeaders: (reply) => void reply.header('cache-control', IMMUTABLE),
  });
}
