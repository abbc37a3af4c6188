import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Refusal } from '../../domain/refusal.js';
import { errorDescription } from '../../oauth/errors.js';

/**
 * RFC 6749 §5.2: a refusal as the OAuth endpoints answer it, with its status and headers. A domain
 * refusal's description may quote the request: it is put in §5.2 form too (OAuthError's already is).
 */
function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  return reply
    .code(refusal.status)
    .headers(refusal.headers)
    .send({ error: refusal.error, error_description: errorDescription(refusal.description) });
}

/**
 * One renderer for every error: refusals as RFC 6749 §5.2 JSON (descriptions in the characters
 * and length §5.2 allows: see errorDescription), a ledger that cannot take a write among them (503
 * with Retry-After, never a 200); malformed requests (bad content type, unparsable or oversized
 * body) as invalid_request, never a 500.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | Refusal | Error, request, reply) => {
    reply.header('cache-control', 'no-store');
    if (err instanceof Refusal && !err.internal) {
      if (err.retryable) request.log.warn({ err: err.message }, 'ledger unavailable');
      return sendRefusal(reply, err);
    }
    const status = (err as FastifyError).statusCode;
    if ((err as FastifyError).validation || (status !== undefined && status >= 400 && status < 500)) {
      const code = status === 413 ? 413 : 400;
      // Apollo never saw the request (unparsable JSON, a body over the limit, an unknown content
      // type): answer in GraphQL's error format all the same, as every other /graphql answer is.
      if (request.routeOptions.url === '/graphql') {
        return reply.code(code).send({ errors: [{ message: err.message, extensions: { code: 'BAD_REQUEST' } }] });
      }
      // Fastify's messages quote the request (a content type, a URL): put in RFC 6749 form like every description.
      return reply.code(code).send({ error: 'invalid_request', error_description: errorDescription(err.message) });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: 'server_error', error_description: 'an unexpected error occurred' });
  });
  app.setNotFoundHandler((request, reply) => {
    // An endpoint called with the wrong method (GET /token) is a malformed OAuth request, not a missing page.
    const path = request.url.split('?')[0];
    // A route is found by its pattern: a concrete path is tried as written and as one with a parameter last (RFC 7592).
    const patterns = [path, path.replace(/\/[^/]+$/, '/:clientId')];
    const allowed = ['GET', 'POST', 'PUT', 'DELETE'].filter((method) =>
      patterns.some((url) => app.hasRoute({ url, method })),
    );
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .header('cache-control', 'no-store')
        .send({ error: 'invalid_request', error_description: `this endpoint accepts ${allowed.join(', ')} only` });
    }
    reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' });
  });
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a NUL or a raw non-ASCII byte in the
 * request line, a broken chunk, conflicting lengths, oversized headers): Fastify's own answer would
 * carry `"error":"Bad Request"`, which no OAuth client can interpret. Same statuses, an RFC 6749 body.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, description] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'the request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
        : [400, 'Bad Request', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: ` +
        `application/json\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/**
 * A request Fastify's router cannot route (an undecodable path such as `/token%ZZ`): invalid_request, not Fastify's own
 * body.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  reply
    .code(400)
    .header('cache-control', 'no-store')
    .send({ error: 'invalid_request', error_description: errorDescription(err.message) });
}
