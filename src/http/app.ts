import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import { corsPolicy } from './plugins/corsPolicy.js';
import type { Runtime } from '../runtime.js';
import { clientErrorHandler, frameworkErrors, installErrorHandler } from './plugins/errors.js';
import { metricsPlugin, type Metrics } from './plugins/metrics.js';
import { securityEventsPlugin } from './plugins/securityEvents.js';
import { oauthClientsPlugin } from './plugins/oauthClients.js';
import { startupGatePlugin } from './plugins/startupGate.js';
import { securityHeadersPlugin } from './plugins/securityHeaders.js';
import { healthRoutes } from './routes/health.js';
import { discoveryRoutes } from './routes/discovery.js';
import { jwksRoutes } from './routes/jwks.js';
import { sealKeysRoutes } from './routes/sealKeys.js';
import { tokenRoutes } from './routes/token.js';
import { deviceAuthorizationRoutes } from './routes/deviceAuthorization.js';
import { parRoutes } from './routes/par.js';
import { introspectRoutes } from './routes/introspect.js';
import { revokeRoutes } from './routes/revoke.js';
import { registerRoutes } from './routes/register.js';
import { statusListRoutes } from './routes/statusLists.js';
import { authorizeRoutes } from './routes/authorize.js';
import { userinfoRoutes } from './routes/userinfo.js';
import { logoutRoutes } from './routes/logout.js';
import { sdkRoutes } from './routes/sdk.js';
import { graphqlRoutes } from './routes/graphql.js';
import { graphqlWsRoutes } from './routes/graphqlWs.js';
import { consoleRoutes } from './routes/console.js';
import { graphiqlRoutes } from './routes/graphiql.js';
import { ledgerExportRoutes } from './routes/ledgerExport.js';
import { activeTracing } from '../tracing/active.js';

interface AppOptions {
  runtime: Runtime;
  metrics: Metrics;
  isReady: () => boolean;
  logger?: boolean | object;
}

/** Headers that can carry a bearer secret never reach a log line; bodies are never logged. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["dpop"]',
  'res.headers["set-cookie"]',
];

/** Query parameters that can carry a bearer secret: id_token_hint on GET /logout, or one a client misplaced. */
const SECRET_PARAMS = new Set([
  'id_token_hint',
  'access_token',
  'refresh_token',
  'code',
  'code_verifier',
  'client_secret',
  'client_assertion',
  'token',
  'password',
  'logout_token',
]);

/**
 * The request URL as logged: the values of secret-bearing query parameters replaced (pino redaction cannot reach inside
 * a string).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const name = (pair: string) => {
    const raw = pair.split('=', 1)[0].replace(/\+/g, ' ');
    try {
      return decodeURIComponent(raw).toLowerCase();
    } catch {
      return raw.toLowerCase();
    }
  };
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => (SECRET_PARAMS.has(name(pair)) ? `${pair.split('=', 1)[0]}=[Redacted]` : pair))
    .join('&');
  return `${url.slice(0, q)}?${query}`;
}

/** Fastify's request serializer with the URL redacted. */
const serializeRequest = (req: FastifyRequest) => ({
  method: req.method,
  url: redactUrl(req.url),
  host: req.host,
  remoteAddress: req.ip,
  remotePort: req.socket?.remotePort,
});

/** Any logger configuration gets the redacting request serializer. */
function withRedaction(logger: AppOptions['logger']): AppOptions['logger'] {
  if (!logger || typeof logger !== 'object') return logger ?? false;
  const own = (logger as { serializers?: Record<string, unknown> }).serializers;
  return { ...logger, serializers: { ...own, req: serializeRequest } };
}

/** The HTTP surface, without listening: tests inject into it or listen on port 0. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { runtime } = options;
  const limits = runtime.config.http;
  const tracing = activeTracing();
  const traced = tracing ? (await import('../tracing/httpSpans.js')).requestTracing(tracing) : undefined;
  const app = Fastify({
    // A slow or unfinished request is answered 408 and closed (src/config/config.ts, HttpLimits).
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // Node enforces both timeouts on this sweep (30 s by default): a tenth of the shorter keeps them close to exact.
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 10))),
    },
    logger: withRedaction(options.logger),
    bodyLimit: 64 * 1024,
    // Fastify accepts a hop count at run time; its typings list only boolean and addresses.
    trustProxy: runtime.config.trustProxy as boolean | string,
    return503OnClosing: true,
    // Every event a request causes carries this id as its correlationId: the trace id when tracing is on.
    genReqId: traced ? (raw) => traced.requestId(raw) : () => randomUUID(),
    clientErrorHandler,
    frameworkErrors,
  });
  // Beyond this, Node closes a new connection at once, before reading a byte of it.
  app.server.maxConnections = limits.maxConnections;
  traced?.install(app);
  installErrorHandler(app);
  await app.register(securityHeadersPlugin, { issuer: runtime.config.issuer });
  await app.register(startupGatePlugin, { isReady: options.isReady });
  await app.register(formbody);
  await app.register(metricsPlugin, { metrics: options.metrics, runtime });
  await app.register(securityEventsPlugin, { runtime });
  await app.register(oauthClientsPlugin, { runtime });
  // Introspection is called by resource servers, never by a browser: no cookie is read and no
  // origin is ever allowed, so it sits outside the cookie and CORS plugins rather than paying for
  // their hooks on every request (it is the endpoint called at other services' request rate).
  await app.register(introspectRoutes, { runtime });
  await app.register(async (browserFacing) => {
    await browserFacing.register(cookie);
    await browserFacing.register(cors, { delegator: corsPolicy(runtime) });
    await browserFacing.register(healthRoutes, { runtime, isReady: options.isReady });
    await browserFacing.register(discoveryRoutes, { runtime });
    await browserFacing.register(jwksRoutes, { runtime });
    await browserFacing.register(sealKeysRoutes, { runtime });
    await browserFacing.register(tokenRoutes, { runtime });
    await browserFacing.register(deviceAuthorizationRoutes, { runtime });
    await browserFacing.register(parRoutes, { runtime });
    await browserFacing.register(revokeRoutes, { runtime });
    await browserFacing.register(registerRoutes, { runtime });
    await browserFacing.register(statusListRoutes, { runtime });
    await browserFacing.register(authorizeRoutes, { runtime });
    await browserFacing.register(userinfoRoutes, { runtime });
    await browserFacing.register(logoutRoutes, { runtime });
    await browserFacing.register(sdkRoutes);
    await browserFacing.register(graphqlRoutes, { runtime });
    await browserFacing.register(graphqlWsRoutes, { runtime });
    await browserFacing.register(consoleRoutes, { runtime });
    await browserFacing.register(ledgerExportRoutes, { runtime });
    await browserFacing.register(graphiqlRoutes, { issuer: runtime.config.issuer });
  });
  return app;
}
