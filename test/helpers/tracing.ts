import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { enableTracing } from '../../src/tracing/start.js';

export interface MemoryTracing {
  exporter: InMemorySpanExporter;
  /** The finished spans of one trace. */
  spansOf(traceId: string): ReadableSpan[];
  shutdown(): Promise<void>;
}

/** Tracing on, with every finished span kept in memory (exported at once, not batched) for the test to read. */
export async function installMemoryTracing(): Promise<MemoryTracing> {
  const exporter = new InMemorySpanExporter();
  const tracing = await enableTracing([new SimpleSpanProcessor(exporter)]);
  return {
    exporter,
    spansOf: (traceId) => exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId),
    shutdown: () => tracing.shutdown(),
  };
}
