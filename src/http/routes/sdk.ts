import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

const file = (name: string) => readFileSync(new URL(`../../../sdk/${name}`, import.meta.url), 'utf8');

/** The modules built from src/sdk: the web message sign-in, and the offline ledger proof verifier. */
const MODULES = ['web-message', 'ledger-proof'];

/**
 * Each browser module, built from src/sdk: `/sdk/<module>.js` revalidates (ETag), and the
 * content-addressed `/sdk/<module>.<hash>.js` is immutable, for pages that pin a version.
 */
export async function sdkRoutes(app: FastifyInstance) {
  for (const name of MODULES) {
    const js = file(`${name}.js`);
    const dts = file(`${name}.d.ts`);
    const hash = createHash('sha256').update(js).digest('base64url').slice(0, 16);
    const etag = `"${hash}"`;
    const send = (body: string, type: string, immutable: boolean) => async (_req: unknown, reply: FastifyReply) =>
      reply
        .header('content-type', `${type}; charset=utf-8`)
        .header('etag', etag)
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=300')
        .header('x-content-type-options', 'nosniff')
        .send(body);
    app.get(`/sdk/${name}.js`, send(js, 'text/javascript', false));
    app.get(`/sdk/${name}.${hash}.js`, send(js, 'text/javascript', true));
    app.get(`/sdk/${name}.d.ts`, send(dts, 'application/typescript', false));
    app.log.debug({ path: `/sdk/${name}.${hash}.js` }, 'browser module');
  }
}
