import { randomUUID } from 'node:crypto';
import fp from 'fastify-plugin';
import type { FastifyRequest } from 'fastify';
import { rememberClientAssertion } from '../../commands/tokens.js';
import { authenticateClient, type AuthenticatedClient } from '../../oauth/clientAuth.js';
import { ClientAuthThrottle } from '../../oauth/clientAuthThrottle.js';
import { ClientSecretVerifier } from '../../oauth/clientSecrets.js';
import { ledgerBlocks } from '../../commands/throttle.js';
import { invalidRequest } from '../../oauth/errors.js';
import type { Params } from '../../oauth/params.js';
import type { CommandContext } from '../../ledger/ledger.js';
import type { Runtime } from '../../runtime.js';
import { clientsProjection } from '../../../projections/clients.js';

declare module 'fastify' {
  interface FastifyInstance {
    oauth: {
      authenticate(request: FastifyRequest, params: Params, endpoint: string): Promise<AuthenticatedClient>;
      context(request: FastifyRequest, client?: AuthenticatedClient): CommandContext;
      requireForm(request: FastifyRequest): void;
    };
  }
}

/** What every OAuth endpoint shares: client authentication and the command context of a request. */
export const oauthClientsPlugin = fp<{ runtime: Runtime }>(
  async (app, { runtime }) => {
    const verifier = new ClientSecretVerifier();
    const { issuer } = runtime.config;
    // Blocks started here are recorded in the ledger; blocks any instance recorded are honoured here.
    const throttle = new ClientAuthThrottle(runtime.config.throttle, ledgerBlocks(runtime, app.log));
    app.decorate('oauth', {
      authenticate(request, params, endpoint) {
        const nowSeconds = Math.floor(Date.now() / 1000);
        return authenticateClient(
          request.headers.authorization,
          params,
          {
            clients: () => runtime.runner.view(clientsProjection),
            verifier,
            rememberAssertion: (clientId, jti, exp) =>
              rememberClientAssertion(runtime, clientId, jti, exp, { actor: `client:${clientId}`, correlationId: request.id }),
            audiences: [issuer, `${issuer}/token`, endpoint],
            throttle: {
              check: (named) => throttle.check(named, request.ip),
              failed: (named) => throttle.recordFailure(named, request.ip, Date.now(), request.id),
              succeeded: (clientId) => throttle.recordSuccess(clientId, request.ip),
            },
          },
          nowSeconds,
        );
      },
      context(request, client) {
        return { actor: client ? `client:${client.client.clientId}` : 'anonymous', correlationId: request.id };
      },
      requireForm(request) {
        if (!/^application\/x-www-form-urlencoded\b/i.test(request.headers['content-type'] ?? '')) {
          throw invalidRequest('the request body must be application/x-www-form-urlencoded');
        }
      },
    });
  },
  { name: 'oauth-clients' },
);

export const requestId = () => randomUUID();
