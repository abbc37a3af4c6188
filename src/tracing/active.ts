/**
 * The tracer in use, or none. Only types are imported from OpenTelemetry here, so the hot path (execute, the
 * store's append, the HTTP hooks) asks one variable whether to trace and loads nothing when tracing is off.
 */
import type * as OtelApi from '@opentelemetry/api';
import { Refusal } from '../domain/refusal.js';

export interface ActiveTracing {
  api: typeof OtelApi;
  tracer: OtelApi.Tracer;
}

let active: ActiveTracing | undefined;

/** undefined when tracing is off: callers then take their untraced path and create no span at all. */
export const activeTracing = (): ActiveTracing | undefined => active;

export function setActiveTracing(tracing: ActiveTracing | undefined): void {
  active = tracing;
}

/**
 * Runs `fn` in a new span, child of the active one, ended when `fn` settles. A refusal (an OAuth error answered to the
 * caller) is an outcome, not a failure of the server: it is named on the span, and only other errors mark it failed.
 */
export async function inSpan<T>(
  tracing: ActiveTracing,
  name: string,
  attributes: OtelApi.Attributes,
  fn: (span: OtelApi.Span) => Promise<T>,
): Promise<T> {
  return tracing.tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const refusal = err instanceof Refusal ? err : undefined;
      span.setAttribute('error.type', refusal?.error ?? (err as Error)?.name ?? 'Error');
      // A store that cannot take the write now is a fault of the server even though it is answered as a refusal.
      if (!refusal || refusal.retryable)
        span.setStatus({ code: tracing.api.SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
