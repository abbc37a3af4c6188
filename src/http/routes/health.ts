import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';

const status = {
  type: 'object',
  properties: { status: { type: 'string' }, position: { type: 'string' } },
  additionalProperties: false,
} as const;

export async function healthRoutes(
  app: FastifyInstance,
  { runtime, isReady }: { runtime: Runtime; isReady: () => boolean },
) {
  /** Liveness: the process answers. */
  app.get('/healthz', { schema: { response: { 200: status } } }, async () => ({ status: 'ok' }));
  /**
   * Readiness: the views have caught up with the ledger as it was at start, the keys are unlocked, and the views still
   * follow the ledger.
   */
  app.get('/readyz', { schema: { response: { 200: status, 503: status } } }, async (_req, reply) => {
    const position = runtime.runner.position.toString();
    if (!isReady()) return reply.code(503).send({ status: 'starting', position });
    // Frozen views would answer introspection and issuance from the past: take this instance out of rotation.
    if (runtime.runner.stopped) return reply.code(503).send({ status: 'stopped', position });
    return { status: 'ready', position };
  });
}
