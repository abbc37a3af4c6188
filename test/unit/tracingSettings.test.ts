import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tracingSettings } from '../../src/tracing/settings.js';

describe('tracing settings from the OTEL_* variables', () => {
  it('is off unless an exporter is named', () => {
    assert.deepEqual(tracingSettings({}).exporters, []);
    assert.deepEqual(tracingSettings({ OTEL_TRACES_EXPORTER: ' ' }).exporters, []);
    assert.deepEqual(tracingSettings({ OTEL_TRACES_EXPORTER: 'none' }).exporters, []);
    assert.deepEqual(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'TRUE' }).exporters, []);
  });

  it('takes otlp and console, case-insensitively and once each', () => {
    const s = tracingSettings({ OTEL_TRACES_EXPORTER: 'OTLP, console,otlp' });
    assert.deepEqual(s.exporters, ['otlp', 'console']);
    assert.equal(s.protocol, 'http/protobuf');
    assert.deepEqual(s.warnings, []);
  });

  it('ignores an unknown exporter with a warning and keeps the known ones (the spec: never fail to start)', () => {
    const s = tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp,jaeger' });
    assert.deepEqual(s.exporters, ['otlp']);
    assert.deepEqual(s.warnings, [
      'OTEL_TRACES_EXPORTER: unknown or unsupported exporter "jaeger" ignored (supported: otlp, console, none)',
    ]);
  });

  it('takes the traces protocol before the general one, and falls back to http/protobuf with a warning', () => {
    const both = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    assert.equal(tracingSettings({ ...both, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }).protocol, 'http/json');
    const grpc = tracingSettings(both);
    assert.equal(grpc.protocol, 'http/protobuf');
    assert.match(grpc.warnings[0], /OTEL_EXPORTER_OTLP_PROTOCOL="grpc" is not supported/);
  });

  it('warns of a sampler, a ratio or an endpoint the SDK would refuse', () => {
    const s = tracingSettings({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'sometimes',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
    });
    assert.deepEqual(s.exporters, ['otlp']);
    assert.deepEqual(s.warnings, [
      'OTEL_TRACES_SAMPLER="sometimes" is unknown: using parentbased_always_on',
      'OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is not a URL: traces cannot be exported',
    ]);
    const ratio = tracingSettings({
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1.5',
    });
    assert.deepEqual(ratio.warnings, ['OTEL_TRACES_SAMPLER_ARG="1.5" is not a ratio between 0 and 1: using 1']);
    const fine = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };
    assert.deepEqual(tracingSettings(fine).warnings, []);
  });

  it('continues an incoming traceparent unless OTEL_PROPAGATORS says none; other propagators are ignored', () => {
    const on = { OTEL_TRACES_EXPORTER: 'otlp' };
    assert.equal(tracingSettings(on).continueIncoming, true);
    assert.equal(tracingSettings({ ...on, OTEL_PROPAGATORS: 'tracecontext,baggage' }).continueIncoming, true);
    assert.deepEqual(tracingSettings({ ...on, OTEL_PROPAGATORS: 'tracecontext,baggage' }).warnings, [
      'OTEL_PROPAGATORS: "baggage" is not supported and ignored (tracecontext, none)',
    ]);
    assert.equal(tracingSettings({ ...on, OTEL_PROPAGATORS: 'none' }).continueIncoming, false);
    assert.equal(tracingSettings({ ...on, OTEL_PROPAGATORS: 'b3' }).continueIncoming, false);
  });
});
