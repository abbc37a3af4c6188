import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportChunks } from '../../audit/exportImport.js';
import { authenticate, isOperator, NO_LEDGER_SCOPE_MESSAGE, UNAUTHENTICATED_MESSAGE } from '../../graphql/context.js';
import type { Runtime } from '../../runtime.js';

const CHALLENGE = 'Bearer realm="token-ledger"';

/**
 * GET /ledger/export: the whole ledger as `token-ledger export` writes it (the same NDJSON, from the same code),
 * streamed as it is read, for the console's audit page. The token rules are /graphql's (src/graphql/context.ts):
 * an active Bearer token for this server with ledger:audit or ledger:admin, decided before anything is read.
 * Personal data stays sealed as stored, and the subject keys the CLI writes beside a file are not included: the
 * download is for reading and checking, not for moving a ledger (docs/graphql.md).
 */
export async function ledgerExportRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  app.get('/ledger/export', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const result = authenticate(runtime, request.headers.authorization);
    if ('refused' in result) {
      // RFC 6750 §3.1: no error code when the request had no token at all.
      const challenge =
        result.refused === 'no_token'
          ? CHALLENGE
          : `${CHALLENGE}, error="invalid_token", error_description="the access token is not active for this server"`;
      return reply.code(401).header('www-authenticate', challenge).send({ message: UNAUTHENTICATED_MESSAGE });
    }
    if (!isOperator(result.operator)) {
      return reply
        .code(403)
        .header('www-authenticate', `${CHALLENGE}, error="insufficient_scope", scope="ledger:audit ledger:admin"`)
        .send({ message: NO_LEDGER_SCOPE_MESSAGE });
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return reply
      .header('content-type', 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="token-ledger-${stamp}.ndjson"`)
      .header('x-content-type-options', 'nosniff')
      .send(Readable.from(exportChunks(runtime.storeAsStored)));
  });
}
