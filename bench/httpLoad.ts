/**
 * A small wrapper over autocannon for the HTTP benchmarks: `connections` keep-alive connections, each
 * with one request in flight, for `seconds`. Loopback only.
 */
import autocannon from 'autocannon';
import type { ServerCpu } from './cpuUsage.js';

export interface LoadOptions {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** The same body on every request. */
  body?: string;
  /** A fresh body per request (i counts from 0 across all connections). Overrides `body`. */
  bodies?: (i: number) => string;
  /**
   * Headers of one request, added to `headers` (a DPoP proof: each request its own). Like `bodies`, it
   * makes autocannon build every request anew; the rows without either keep its one prebuilt request.
   */
  headersPer?: () => Record<string, string>;
  /** Sees every response's status and body (autocannon then reads the bodies; keep this cheap). */
  onResponse?: (status: number, body: string) => void;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  /** Latency of the 2xx responses, ms (autocannon's histogram: 1 ms resolution). */
  p50: number;
  p99: number;
  /** Connection errors and timeouts. */
  errors: number;
  /** Responses that were not 2xx. */
  non2xx: number;
  /** Total responses of any status. */
  responses: number;
  /** The server's CPU per request, when the run sampled it. */
  cpu?: ServerCpu;
}

function assertLoopback(url: string): void {
  const { hostname } = new URL(url);
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(hostname)) {
    throw new Error(`refusing to load ${url}: the benchmarks run on loopback only`);
  }
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  assertLoopback(opts.url);
  let i = 0;
  const { bodies, headersPer, onResponse } = opts;
  const setupRequest = (req: autocannon.Request): autocannon.Request => ({
    ...req,
    ...(bodies ? { body: bodies(i++) } : {}),
    ...(headersPer ? { headers: { ...req.headers, ...headersPer() } } : {}),
  });
  const hooks: autocannon.Request = {
    ...(bodies || headersPer ? { setupRequest } : {}),
    ...(onResponse ? { onResponse: (status: number, body: string) => onResponse(status, body) } : {}),
  };
  let instance: autocannon.Instance | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: opts.url,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        body: bodies ? undefined : opts.body,
        requests: bodies || headersPer || onResponse ? [hooks] : undefined,
        connections: opts.connections,
        pipelining: 1,
        duration: opts.seconds,
        timeout: 10,
      },
      (err, result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(result)),
    );
    // autocannon stops itself after `seconds`; should it not (a wedged connection), stop it anyway.
    watchdog = setTimeout(() => instance?.stop(), (opts.seconds + 15) * 1000);
  }).finally(() => clearTimeout(watchdog));
  return {
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
    responses: r['2xx'] + r.non2xx,
  };
}
