import Fastify, { type FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.js';
import { metricsPlugin, type Metrics } from './plugins/metrics.js';
import { healthRoutes } from './routes/health.js';
import { discoveryRoutes } from './routes/discovery.js';
import { jwksRoutes } from './routes/jwks.js';

export interface AppOptions {
  runtime: Runtime;
  metrics: Metrics;
  isReady: () => boolean;
  logger?: boolean | object;
}

/** Headers and fields that can carry a bearer secret never reach a log line. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["dpop"]',
  'res.headers["set-cookie"]',
];

/** The HTTP surface, without listening: tests inject into it or listen on port 0. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 64 * 1024,
    trustProxy: true,
    return503OnClosing: true,
  });
  await app.register(metricsPlugin, { metrics: options.metrics, runtime: options.runtime });
  await app.register(healthRoutes, { runtime: options.runtime, isReady: options.isReady });
  await app.register(discoveryRoutes, { runtime: options.runtime });
  await app.register(jwksRoutes, { runtime: options.runtime });
  return app;
}
