import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const file = (name: string) => readFileSync(new URL(`../../../sdk/${name}`, import.meta.url), 'utf8');

/**
 * The browser module, built from src/sdk: `/sdk/web-message.js` revalidates (ETag), and the
 * content-addressed `/sdk/web-message.<hash>.js` is immutable, for pages that pin a version.
 */
export async function sdkRoutes(app: FastifyInstance) {
  const js = file('web-message.js');
  const dts = file('web-message.d.ts');
  const hash = createHash('sha256').update(js).digest('base64url').slice(0, 16);
  const etag = `"${hash}"`;
  const send =
    (body: string, type: string, immutable: boolean) => async (_req: unknown, reply: import('fastify').FastifyReply) =>
      reply
        .header('content-type', `${type}; charset=utf-8`)
        .header('etag', etag)
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(body);
  app.get('/sdk/web-message.js', send(js, 'text/javascript', false));
  app.get(`/sdk/web-message.${hash}.js`, send(js, 'text/javascript', true));
  app.get('/sdk/web-message.d.ts', send(dts, 'application/typescript', false));
  app.log.debug({ path: `/sdk/web-message.${hash}.js` }, 'browser module');
}
