/**
 * Turns tracing on when the OTEL_* variables ask for it. The SDK, the exporters and the HTTP hooks are imported
 * here, dynamically, and only then: with tracing off the process never loads an OpenTelemetry module.
 */
import { readFileSync } from 'node:fs';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { setActiveTracing } from './active.js';
import { tracingSettings, type TracingSettings } from './settings.js';

interface TracingHandle {
  enabled: boolean;
  /** What the variables asked for that could not be honoured: logged at startup, never fatal. */
  warnings: string[];
  /** Where OpenTelemetry's own diagnostics go once the server's logger exists (export failures, dropped spans). */
  logTo(warn: (message: string) => void): void;
  /** Exports the spans still buffered. */
  shutdown(): Promise<void>;
}

const off = (warnings: string[]): TracingHandle => ({
  enabled: false,
  warnings,
  logTo: () => {},
  shutdown: async () => {},
});

/** The package's version, as the resource's service.version (dist/src/tracing/ → the checkout's package.json). */
function serviceVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function exportersFor(settings: TracingSettings): Promise<SpanProcessor[]> {
  const { BatchSpanProcessor, SimpleSpanProcessor, ConsoleSpanExporter } =
    await import('@opentelemetry/sdk-trace-node');
  const processors: SpanProcessor[] = [];
  for (const name of settings.exporters) {
    if (name === 'console') processors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
    else {
      // Each exporter reads OTEL_EXPORTER_OTLP_[TRACES_]{ENDPOINT,HEADERS,TIMEOUT,COMPRESSION} itself.
      const { OTLPTraceExporter } =
        settings.protocol === 'http/json'
          ? await import('@opentelemetry/exporter-trace-otlp-http')
          : await import('@opentelemetry/exporter-trace-otlp-proto');
      // Batched off the request path; the OTEL_BSP_* variables tune the batches.
      processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
    }
  }
  return processors;
}

/**
 * Installs a tracer provider with these span processors and makes it the active tracing. `OTEL_TRACES_SAMPLER(_ARG)`,
 * `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` and the span limits are read by the SDK. Tests call this directly
 * with an in-memory exporter.
 */
export async function enableTracing(
  processors: SpanProcessor[],
  { continueIncoming = true } = {},
): Promise<{ shutdown(): Promise<void> }> {
  const api = await import('@opentelemetry/api');
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } =
    await import('@opentelemetry/resources');
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = await import('@opentelemetry/semantic-conventions');
  const version = serviceVersion();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'token-ledger', [ATTR_SERVICE_VERSION]: version }))
    .merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  // W3C trace context only: an incoming `traceparent` is continued; baggage is not taken from strangers. With
  // OTEL_PROPAGATORS=none (null: none registered) every request starts its own trace.
  provider.register({ propagator: continueIncoming ? new W3CTraceContextPropagator() : null });
  setActiveTracing({ api, tracer: api.trace.getTracer('token-ledger', version) });
  return {
    async shutdown() {
      setActiveTracing(undefined);
      await provider.shutdown();
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
    },
  };
}

const SHUTDOWN_MS = 5000;

export async function startTracing(env: Record<string, string | undefined>): Promise<TracingHandle> {
  const settings = tracingSettings(env);
  if (settings.exporters.length === 0) return off(settings.warnings);
  // Until the server's logger exists, OpenTelemetry's diagnostics join the startup warnings.
  let sink: (message: string) => void = (message) => settings.warnings.push(message);
  try {
    const { diag, DiagLogLevel } = await import('@opentelemetry/api');
    const forward = (message: string, ...args: unknown[]) =>
      sink(`tracing: ${[message, ...args.map((a) => (a instanceof Error ? a.message : String(a)))].join(' ')}`);
    diag.setLogger(
      { error: forward, warn: forward, info: () => {}, debug: () => {}, verbose: () => {} },
      DiagLogLevel.WARN,
    );
    const enabled = await enableTracing(await exportersFor(settings), settings);
    return {
      enabled: true,
      warnings: settings.warnings,
      logTo: (warn) => {
        sink = warn;
      },
      // Spans still buffered get a few seconds to leave: a collector that is down never holds up a shutdown.
      shutdown: () =>
        Promise.race([
          enabled.shutdown().catch(() => undefined),
          new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_MS).unref()),
        ]),
    };
  } catch (err) {
    // A broken exporter setting costs the traces, not the authorization server.
    return off([...settings.warnings, `tracing is off: it could not start (${(err as Error).message})`]);
  }
}
