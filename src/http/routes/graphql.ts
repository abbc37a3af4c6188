import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import { operatorFrom, type GraphQLContext } from '../../graphql/context.js';
import { sendExplorer } from '../../graphql/explorer.js';
import { depthLimit, guardPlugin, MAX_DEPTH } from '../../graphql/limits.js';
import { managementSchema } from '../../graphql/schema.js';
import type { Runtime } from '../../runtime.js';

export const KNOWN_CODES = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'QUERY_TOO_COMPLEX', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * The management API (issue 7): Apollo Server on this Fastify instance at POST /graphql, and an
 * offline explorer page at GET /graphql. Every request is authorised by its Bearer token against the
 * active-token view (see src/graphql/context.ts).
 */
export async function graphqlRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const apollo = new ApolloServer<GraphQLContext>({
    schema: managementSchema(),
    validationRules: [depthLimit(MAX_DEPTH)],
    plugins: [ApolloServerPluginLandingPageDisabled(), guardPlugin()],
    includeStacktraceInErrorResponses: false,
    // Apollo would stop itself on SIGTERM and re-raise the signal, killing the process before the
    // server's own graceful shutdown (finish requests, checkpoint the views, close the ledger).
    stopOnTerminationSignals: false,
    // An unexpected error says nothing about the server's insides; the log has it.
    formatError: (formatted, error) => {
      const code = formatted.extensions?.code;
      if (typeof code === 'string' && KNOWN_CODES.has(code)) {
        const { http: _http, ...extensions } = formatted.extensions ?? {};
        return { ...formatted, extensions };
      }
      const original = unwrapResolverError(error);
      if (original instanceof GraphQLError && code === undefined) return formatted;
      // Apollo refuses some bad input with a 4xx and no code (a persisted query whose hash does not
      // match): that is the caller's mistake, not an internal error.
      const status = original instanceof GraphQLError ? (original.extensions?.http as { status?: number } | undefined)?.status : undefined;
      if (original instanceof GraphQLError && original.extensions?.code === undefined && status !== undefined && status >= 400 && status < 500) {
        return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
      }
      app.log.error({ err: original }, 'graphql resolver failed');
      return { message: 'internal error', ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    },
  });
  await apollo.start();
  app.addHook('onClose', async () => apollo.stop());

  const handler = fastifyApolloHandler(apollo, {
    context: async (request) => ({
      runtime,
      operator: operatorFrom(runtime, request.headers.authorization),
      requestId: request.id,
    }),
  });
  app.post('/graphql', { onRequest: async (_request, reply) => void reply.header('cache-control', 'no-store') }, handler);
  app.get('/graphql', async (_request, reply) => sendExplorer(reply));
}

