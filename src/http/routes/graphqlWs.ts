import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { authorize, isOperator, operatorFrom, type GraphQLContext } from '../../graphql/context.js';
import { checkOperation, depthLimit, MAX_DEPTH } from '../../graphql/limits.js';
import { managementSchema } from '../../graphql/schema.js';
import type { Runtime } from '../../runtime.js';
import { KNOWN_CODES } from './graphql.js';

const GRAPHQL_PATH = '/graphql';
const MAX_MESSAGE_BYTES = 64 * 1024;

type ConnectionParams = Record<string, unknown>;

const authorizationOf = (params: ConnectionParams | undefined | null): string | undefined => {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : undefined;
};

/** A refusal as graphql-ws sends it: the message and its code, nothing else. */
const refusal = (err: GraphQLError) => new GraphQLError(err.message, { extensions: { code: err.extensions.code } });

/**
 * The live side of the management API (issue 7): graphql-ws (protocol `graphql-transport-ws`) on the
 * same server and path as POST /graphql. The client names its token in
 * `connectionParams: { authorization: 'Bearer …' }`; without an active token for this server (its
 * `aud` names the issuer) with ledger:audit or ledger:admin the connection is refused (4403) at
 * connection_init, before any document is read. Each operation is authorised and limited like a
 * POST one; `ledgerEvents` feeds ledger events and ends when the token stops being active.
 */
export async function graphqlWsRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const schema = managementSchema();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const rules = [...specifiedRules, depthLimit(MAX_DEPTH)];

  const server = useServer<ConnectionParams>(
    {
      schema,
      onConnect: (ctx) => {
        const operator = operatorFrom(runtime, authorizationOf(ctx.connectionParams));
        return operator !== null && isOperator(operator);
      },
      onSubscribe: (ctx, id, payload) => {
        const authorization = authorizationOf(ctx.connectionParams);
        // The connection's token may have stopped being active since connection_init: decided again
        // before the document is parsed or validated.
        const operator = operatorFrom(runtime, authorization);
        try {
          authorize(operator, 'query');
        } catch (err) {
          if (err instanceof GraphQLError) return [refusal(err)];
          throw err;
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (err) {
          return [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const errors = validate(schema, document, rules);
        if (errors.length > 0)
          return errors.map(
            (e) =>
              new GraphQLError(e.message, {
                nodes: e.nodes ?? null,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          );
        const operation = getOperationAST(document, payload.operationName);
        if (!operation)
          return [
            new GraphQLError('unable to identify the operation', {
              extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
            }),
          ];
        const variables = payload.variables ?? {};
        try {
          checkOperation({
            operator,
            operation: operation.operation,
            schema,
            document,
            variables,
            operationName: payload.operationName ?? undefined,
          });
        } catch (err) {
          if (err instanceof GraphQLError) return [refusal(err)];
          throw err;
        }
        const contextValue: GraphQLContext = {
          runtime,
          operator,
          requestId: `ws-${(ctx.extra.request as IncomingMessage & { id?: string }).id ?? ''}${id}`,
          // Not just active: a person whose operator role was revoked loses the feed too.
          stillAuthorized: () => {
            const now = operatorFrom(runtime, authorization);
            return now !== null && isOperator(now);
          },
        };
        const args: ExecutionArgs = {
          schema,
          document,
          variableValues: variables,
          contextValue,
          operationName: payload.operationName ?? null,
        };
        return args;
      },
      // As over HTTP: an unexpected error says nothing about the server's insides; the log has it.
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return;
        return {
          ...result,
          errors: result.errors.map((e) => {
            const code = e.extensions?.code;
            if (typeof code === 'string' && KNOWN_CODES.has(code)) return e;
            const original = e instanceof GraphQLError ? e.originalError : undefined;
            if (!original || original instanceof GraphQLError) return e;
            app.log.error({ err: original }, 'graphql subscription failed');
            return new GraphQLError('internal error', {
              path: e.path ?? null,
              extensions: { code: 'INTERNAL_SERVER_ERROR' },
            });
          }),
        };
      },
    },
    wss,
  );

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== GRAPHQL_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  app.server.on('upgrade', onUpgrade);

  // Before the HTTP server waits for its connections to end: the open sockets are told "going away".
  app.addHook('preClose', async () => {
    app.server.off('upgrade', onUpgrade);
    await server.dispose();
  });
}
