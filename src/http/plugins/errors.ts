import type { FastifyError, FastifyInstance } from 'fastify';
import { OAuthError } from '../../oauth/errors.js';
import { StoreUnavailableError } from '../../ledger/eventStore.js';
import { WaitTimeoutError } from '../../ledger/projectionRunner.js';
import { NoSigningKeyError } from '../../commands/tokens.js';

const RETRYABLE = [StoreUnavailableError, WaitTimeoutError, NoSigningKeyError];

/**
 * One renderer for every error: OAuth errors as RFC 6749 §5.2 JSON; malformed requests (bad
 * content type, unparsable or oversized body) as invalid_request, never a 500; a ledger that cannot
 * take a write as 503 with Retry-After, never a 200.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | OAuthError | Error, request, reply) => {
    reply.header('cache-control', 'no-store');
    if (err instanceof OAuthError) {
      return reply.code(err.status).headers(err.headers).send({ error: err.error, error_description: err.description });
    }
    if (RETRYABLE.some((cls) => err instanceof cls)) {
      request.log.warn({ err: err.message }, 'ledger unavailable');
      return reply
        .code(503)
        .header('retry-after', '1')
        .send({ error: 'temporarily_unavailable', error_description: 'the ledger cannot take this request now; retry shortly' });
    }
    const status = (err as FastifyError).statusCode;
    if ((err as FastifyError).validation || (status !== undefined && status >= 400 && status < 500)) {
      const code = status === 413 ? 413 : 400;
      return reply.code(code).send({ error: 'invalid_request', error_description: err.message });
    }
    request.log.error({ err }, 'unexpected error');
    return reply.code(500).send({ error: 'server_error', error_description: 'an unexpected error occurred' });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: 'not_found', error_description: 'no such endpoint' });
  });
}
