import fp from 'fastify-plugin';
import type { onResponseHookHandler } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Runtime } from '../../runtime.js';
import { historyIndexLag, viewLag } from '../../application/queries/ledgerStatus.js';
import { threadCpuSeconds } from '../../stores/threadCpu.js';

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
        this.set(viewLag(runtime.runner, await runtime.store.headPosition()));
      },
    });
    new Gauge({
      name: 'history_index_lag_events',
      help: 'Ledger positions the history index (GraphQL token, grant and session lists) is behind the views',
      registers: [registry],
      collect() {
        this.set(historyIndexLag(runtime.runner));
      },
    });
    const threadCpuSeen = new Map<string, number>();
    new Counter({
      name: 'nodejs_thread_cpu_seconds_total',
      help: 'CPU time of the main thread and of the ledger writer thread (Linux)',
      labelNames: ['thread'],
      registers: [registry],
      collect() {
        // A counter moves by what was spent since the last scrape, as prom-client's process CPU counter does.
        for (const [thread, seconds] of threadCpuSeconds()) {
          const last = threadCpuSeen.get(thread) ?? 0;
          if (seconds > last) this.inc({ thread }, seconds - last);
          threadCpuSeen.set(thread, seconds);
        }
      },
    });
    app.decorate('metrics', metrics);
    // Children bound to their labels once: resolving label sets on every request costs more than
    // the observation itself. The keys are bounded (route patterns × methods × status codes).
    // Each route gets its own hook with its pattern bound (asking a request for its route builds an
    // object per request); requests that matched no route are counted by the one global hook.
    const observer = (route: string) => {
      const bound = new Map<string, Map<number, { count: () => void; time: (seconds: number) => void }>>();
      return (method: string, status: number, ms: number) => {
        let byStatus = bound.get(method);
        if (!byStatus)
          bound.set(method, (byStatus = new Map<number, { count: () => void; time: (seconds: number) => void }>()));
        let child = byStatus.get(status);
        if (!child) {
          const counter = requests.labels({ route, method, status });
          const histogram = latency.labels({ route, method });
          child = { count: () => counter.inc(), time: (seconds) => histogram.observe(seconds) };
          byStatus.set(status, child);
        }
        child.count();
        child.time(ms / 1000);
      };
    };
    app.addHook('onRoute', (route) => {
      // The route pattern, not the URL: bounded label values, and no query strings in metrics.
      const observe = observer(route.url);
      const hook: onResponseHookHandler = (request, reply, done) => {
        observe(request.method, reply.statusCode, reply.elapsedTime);
        done();
      };
      const own =
        route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse];
      route.onResponse = [...own, hook];
    });
    const unmatched = observer('unmatched');
    app.addHook('onResponse', (request, reply, done) => {
      if (request.is404) unmatched(request.method, reply.statusCode, reply.elapsedTime);
      done();
    });
    app.get('/metrics', async (_request, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  },
  { name: 'metrics' },
);
