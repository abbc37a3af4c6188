import fp from 'fastify-plugin';

/** Answered while starting: liveness, readiness and metrics say how far start-up has got. */
const ALWAYS_OPEN = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Until the views have caught up with the ledger and the signing keys are unlocked, every other
 * request gets 503 with Retry-After: a half-built view would answer wrongly (a live token reported
 * inactive, a registered client unknown), which is worse than asking the caller to come back.
 */
export const startupGatePlugin = fp<{ isReady: () => boolean }>(
  async (app, { isReady }) => {
    let open = false;
    app.addHook('onRequest', (request, reply, done) => {
      if (open || (open = isReady()) || ALWAYS_OPEN.has(request.url.split('?')[0])) return done();
      reply
        .code(503)
        .header('retry-after', '1')
        .header('cache-control', 'no-store')
        .send({ error: 'temporarily_unavailable', error_description: 'the server is starting; retry shortly' });
    });
  },
  { name: 'startup-gate' },
);
