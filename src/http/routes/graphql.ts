import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import {
  authenticate,
  isOperator,
  NO_LEDGER_SCOPE_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  type GraphQLContext,
  type Operator,
} from '../../graphql/context.js';
import { depthLimit, guardPlugin, MAX_DEPTH } from '../../graphql/limits.js';
import { responseType, wantsPage } from '../../graphql/negotiation.js';
import { managementSchema } from '../../graphql/schema.js';
import type { Runtime } from '../../runtime.js';

export const KNOWN_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'QUERY_TOO_COMPLEX',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAVAILABLE',
]);

const CHALLENGE = 'Bearer realm="token-ledger"';

/** A refusal written before Apollo sees the request: GraphQL errors, no data, and the RFC 6750 challenge. */
function refuse(
  request: FastifyRequest,
  reply: FastifyReply,
  status: 401 | 403,
  code: string,
  message: string,
  challenge: string,
) {
  return reply
    .code(status)
    .header('www-authenticate', challenge)
    .header('content-type', responseType(request.headers.accept))
    .send(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}

/** GraphiQL, opening on the query a /graphql?query=… link named (a link written for the old explorer still works). */
const explorerUrl = (query: unknown) =>
  typeof query === 'string' && query !== ''
    ? `/console/graphiql?query=${encodeURIComponent(query)}`
    : '/console/graphiql';

/**
 * The management API (issue 7): Apollo Server on this Fastify instance at POST /graphql and, for
 * GraphQL clients, GET /graphql (queries only); browsers asking GET /graphql for a page are sent to
 * GraphiQL at /console/graphiql (src/http/routes/graphiql.ts), their `query` kept. Every request is
 * authenticated by its Bearer token against the active-token view (see src/graphql/context.ts)
 * before its document is parsed or validated: nothing a caller without
 * an operator token sends costs more than reading the header, and no validation message (with its
 * "Did you mean …?" suggestions) reaches one.
 */
export async function graphqlRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const apollo = new ApolloServer<GraphQLContext>({
    schema: managementSchema(),
    validationRules: [depthLimit(MAX_DEPTH)],
    plugins: [ApolloServerPluginLandingPageDisabled(), guardPlugin()],
    // Apollo's CSRF check refuses a GET carrying no preflight-forcing header, which GraphQL clients
    // sending queries by GET do not add. It guards cookie-authenticated APIs: this one reads only the
    // Authorization header, which a cross-site page cannot make a browser send without a preflight.
    csrfPrevention: false,
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
      const status =
        original instanceof GraphQLError
          ? (original.extensions?.http as { status?: number } | undefined)?.status
          : undefined;
      if (
        original instanceof GraphQLError &&
        original.extensions?.code === undefined &&
        status !== undefined &&
        status >= 400 &&
        status < 500
      ) {
        return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
      }
      app.log.error({ err: original }, 'graphql resolver failed');
      return {
        message: 'internal error',
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      };
    },
  });
  await apollo.start();
  app.addHook('onClose', async () => apollo.stop());

  const operators = new WeakMap<FastifyRequest, Operator>();
  const handler = fastifyApolloHandler(apollo, {
    context: async (request) => ({
      runtime,
      operator: operators.get(request) ?? null,
      requestId: request.id,
    }),
  });

  /** Authentication, then Apollo: refused callers never reach parsing or validation. */
  async function graphql(request: FastifyRequest, reply: FastifyReply) {
    const result = authenticate(runtime, request.headers.authorization);
    if ('refused' in result) {
      if (result.refused === 'no_token')
        return refuse(request, reply, 401, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, CHALLENGE);
      const invalid =
        `${CHALLENGE}, error="invalid_token", ` + `error_description="the access token is not active for this server"`;
      return refuse(request, reply, 401, 'UNAUTHENTICATED', UNAUTHENTICATED_MESSAGE, invalid);
    }
    if (!isOperator(result.operator)) {
      return refuse(
        request,
        reply,
        403,
        'FORBIDDEN',
        NO_LEDGER_SCOPE_MESSAGE,
        `${CHALLENGE}, error="insufficient_scope", scope="ledger:audit ledger:admin"`,
      );
    }
    operators.set(request, result.operator);
    type Handled = Parameters<typeof handler>;
    return handler.call(app, request as Handled[0], reply as Handled[1]);
  }

  // Also on answers written before the handler (a body too large or not JSON).
  const noStore = {
    onRequest: async (_request: FastifyRequest, reply: FastifyReply) => void reply.header('cache-control', 'no-store'),
  };
  app.post('/graphql', noStore, graphql);
  // GraphQL-over-HTTP GET runs queries only: Apollo answers a mutation 405 with Allow: POST.
  app.get('/graphql', noStore, async (request, reply) => {
    const query = (request.query as Record<string, unknown> | undefined)?.query;
    if (wantsPage(request.headers.accept, typeof query === 'string')) return reply.redirect(explorerUrl(query), 302);
    return graphql(request, reply);
  });
}
