import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Runtime } from '../../runtime.js';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

export interface Metrics {
  registry: Registry;
  appendBatchSize: Histogram;
  appendSeconds: Histogram;
}

/** Ledger write metrics exist before the store opens (the store reports every group commit to them). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    appendBatchSize: new Histogram({
      name: 'ledger_append_batch_size',
      help: 'Appends committed together in one durable transaction',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    }),
    appendSeconds: new Histogram({
      name: 'ledger_append_seconds',
      help: 'Time to commit one group of appends durably',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
  };
}

export const metricsPlugin = fp<{ metrics: Metrics; runtime: Runtime }>(
  async (app, { metrics, runtime }) => {
    const { registry } = metrics;
    const requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [registry],
    });
    const latency = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route and method',
      labelNames: ['route', 'method'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    new Gauge({
      name: 'projection_position',
      help: 'Ledger position the views have applied',
      registers: [registry],
      collect() {
        this.set(Number(runtime.runner.position));
      },
    });
    new Gauge({
      name: 'projection_lag_events',
      help: 'Ledger positions between the head and what the views have applied',
      registers: [registry],
      async collect() {
        const head = await runtime.store.headPosition();
        this.set(Number(head - runtime.runner.position));
      },
    });
    app.decorate('metrics', metrics);
    // Children bound to their labels once: resolving label sets on every request costs more than
    // the observation itself. The keys are bounded (route patterns × methods × status codes).
    const bound = new Map<string, { count: () => void; time: (seconds: number) => void }>();
    app.addHook('onResponse', (request, reply, done) => {
      // The route pattern, not the URL: bounded label values, and no query strings in metrics.
      const route = request.routeOptions.url ?? 'unmatched';
      const key = `${route} ${request.method} ${reply.statusCode}`;
      let child = bound.get(key);
      if (!child) {
        const counter = requests.labels({ route, method: request.method, status: reply.statusCode });
        const histogram = latency.labels({ route, method: request.method });
        child = { count: () => counter.inc(), time: (seconds) => histogram.observe(seconds) };
        bound.set(key, child);
      }
      child.count();
      child.time(reply.elapsedTime / 1000);
      done();
    });
    app.get('/metrics', async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics' },
);
