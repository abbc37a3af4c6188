/**
 * What the standard OTEL_* variables ask of tracing, read without loading any OpenTelemetry module: when they ask
 * for nothing, nothing is loaded. A value we cannot honour is a warning, never a refusal to start (the
 * OpenTelemetry configuration spec: an unknown exporter is ignored, a bad sampler falls back to the default), so a
 * typo in a tracing variable never turns into a crash loop of the authorization server.
 */

export type TraceExporterName = 'otlp' | 'console';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TracingSettings {
  /** Empty: tracing is off and the SDK is never imported. */
  exporters: TraceExporterName[];
  protocol: OtlpProtocol;
  /** Whether an incoming W3C `traceparent` is continued (OTEL_PROPAGATORS tracecontext, the default) or not (none). */
  continueIncoming: boolean;
  warnings: string[];
}

const EXPORTERS = new Set<string>(['otlp', 'console']);
const PROTOCOLS = new Set<string>(['http/protobuf', 'http/json']);
/** The sampler names of the spec that the trace SDK implements; the SDK itself reads the variable. */
const SAMPLERS = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);
const RATIO_SAMPLERS = new Set(['traceidratio', 'parentbased_traceidratio']);

type Env = Record<string, string | undefined>;

const value = (env: Env, name: string) => env[name]?.trim() || undefined;

function exportersOf(env: Env, warnings: string[]): TraceExporterName[] {
  const raw = value(env, 'OTEL_TRACES_EXPORTER');
  // Off unless asked for: the spec's default (otlp) would send traces to localhost:4318 of every installation.
  if (!raw) return [];
  const names = [...new Set(raw.split(',').map((n) => n.trim().toLowerCase()))].filter((n) => n !== '');
  if (names.includes('none')) {
    if (names.length > 1)
      warnings.push(`OTEL_TRACES_EXPORTER="${raw}": "none" turns tracing off, the others are ignored`);
    return [];
  }
  const known = names.filter((n): n is TraceExporterName => EXPORTERS.has(n));
  for (const n of names.filter((n) => !EXPORTERS.has(n)))
    warnings.push(
      `OTEL_TRACES_EXPORTER: unknown or unsupported exporter "${n}" ignored (supported: otlp, console, none)`,
    );
  return known;
}

function protocolOf(env: Env, warnings: string[]): OtlpProtocol {
  const name = value(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL')
    ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'
    : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const raw = value(env, name);
  if (!raw) return 'http/protobuf';
  if (PROTOCOLS.has(raw)) return raw as OtlpProtocol;
  warnings.push(`${name}="${raw}" is not supported (http/protobuf, http/json): using http/protobuf`);
  return 'http/protobuf';
}

function checkSampler(env: Env, warnings: string[]): void {
  const sampler = value(env, 'OTEL_TRACES_SAMPLER');
  if (sampler && !SAMPLERS.has(sampler))
    warnings.push(`OTEL_TRACES_SAMPLER="${sampler}" is unknown: using parentbased_always_on`);
  const arg = value(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg === undefined || !RATIO_SAMPLERS.has(sampler ?? '')) return;
  const ratio = Number(arg);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)
    warnings.push(`OTEL_TRACES_SAMPLER_ARG="${arg}" is not a ratio between 0 and 1: using 1`);
}

function propagatorsOf(env: Env, warnings: string[]): boolean {
  const raw = value(env, 'OTEL_PROPAGATORS');
  if (!raw) return true;
  const names = raw.split(',').map((n) => n.trim().toLowerCase());
  for (const n of names.filter((n) => n !== 'tracecontext' && n !== 'none' && n !== ''))
    warnings.push(`OTEL_PROPAGATORS: "${n}" is not supported and ignored (tracecontext, none)`);
  return names.includes('tracecontext') && !names.includes('none');
}

function checkEndpoint(env: Env, warnings: string[]): void {
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const raw = value(env, name);
    if (raw && !URL.canParse(raw)) warnings.push(`${name}="${raw}" is not a URL: traces cannot be exported`);
  }
}

export function tracingSettings(env: Env): TracingSettings {
  const warnings: string[] = [];
  const disabled = value(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true';
  const exporters = disabled ? [] : exportersOf(env, warnings);
  if (exporters.length === 0) return { exporters, protocol: 'http/protobuf', continueIncoming: false, warnings };
  const protocol = exporters.includes('otlp') ? protocolOf(env, warnings) : 'http/protobuf';
  checkSampler(env, warnings);
  if (exporters.includes('otlp')) checkEndpoint(env, warnings);
  return { exporters, protocol, continueIncoming: propagatorsOf(env, warnings), warnings };
}
