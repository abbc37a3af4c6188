/**
 * One server span per HTTP request, made by hand rather than by @fastify/otel: that instrumentation needs the
 * require/import hooks of @opentelemetry/instrumentation and adds a span per Fastify hook and handler, where an
 * auditor needs one span per request whose trace id is the request id, hence every event's correlationId.
 * Loaded only when tracing is on (src/http/app.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { ActiveTracing } from './active.js';

interface RequestSpan {
  span: Span;
  context: Context;
}

/** The path only: a query string can carry a secret (src/http/app.ts, redactUrl), and spans leave the building. */
const pathOf = (url: string | undefined) => (url ?? '/').split('?', 1)[0];

interface RequestTracing {
  /** Fastify's genReqId: starts the request's span (continuing an incoming traceparent), named by its trace id. */
  requestId(raw: IncomingMessage): string;
  /** The hooks that run each request inside its span and end the span with the answer. */
  install(app: FastifyInstance): void;
}

export function requestTracing({ api, tracer }: ActiveTracing): RequestTracing {
  const spans = new WeakMap<IncomingMessage, RequestSpan>();
  const of = (request: FastifyRequest) => spans.get(request.raw);

  // Body parsing runs on the socket's callbacks, outside any context: the hooks after it enter the span again.
  const enter = (request: FastifyRequest, _reply: unknown, done: () => void) => {
    const found = of(request);
    if (found) api.context.with(found.context, done);
    else done();
  };

  const end = (request: FastifyRequest, status?: number) => {
    const found = of(request);
    if (!found) return;
    spans.delete(request.raw);
    const route = request.routeOptions.url;
    if (route) {
      found.span.setAttribute(ATTR_HTTP_ROUTE, route);
      found.span.updateName(`${request.method} ${route}`);
    }
    if (status !== undefined) {
      found.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) found.span.setStatus({ code: api.SpanStatusCode.ERROR });
    } else found.span.setStatus({ code: api.SpanStatusCode.ERROR, message: 'request aborted' });
    found.span.end();
  };

  return {
    requestId(raw) {
      const parent = api.propagation.extract(api.ROOT_CONTEXT, raw.headers);
      const method = raw.method ?? 'GET';
      const agent = raw.headers['user-agent'];
      const span = tracer.startSpan(
        method,
        {
          kind: api.SpanKind.SERVER,
          attributes: {
            [ATTR_HTTP_REQUEST_METHOD]: method,
            [ATTR_URL_PATH]: pathOf(raw.url),
            ...(agent ? { [ATTR_USER_AGENT_ORIGINAL]: agent.slice(0, 256) } : {}),
          },
        },
        parent,
      );
      spans.set(raw, { span, context: api.trace.setSpan(parent, span) });
      return span.spanContext().traceId;
    },
    install(app) {
      app.addHook('onRequest', enter);
      app.addHook('preValidation', enter);
      app.addHook('onResponse', (request, reply, done) => {
        end(request, reply.statusCode);
        done();
      });
      app.addHook('onRequestAbort', (request, done) => {
        end(request);
        done();
      });
    },
  };
}
