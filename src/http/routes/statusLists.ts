import { deflateSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../../runtime.js';
import { statusListContent, statusListIds } from '../../application/queries/statusLists.js';
import { NoSigningKeyError } from '../../application/tokens.js';
import { signJwt } from '../../crypto/jwtStrategy.js';
import { STATUS_LIST_ID, statusListUri } from '../../crypto/statusList.js';
import { SignedStatusListCache } from '../../crypto/statusListCache.js';

/** How long a resource server may use a fetched list (its `ttl`, `exp - iat` and max-age). */
const STATUS_LIST_TTL_SECONDS = 60;

/**
 * Token Status List (draft-ietf-oauth-status-list), JWT form. `/status-lists/:id` answers a
 * `statuslist+jwt` signed with the server's ES256 key (RS256 when no ES256 key is active): one bit
 * per access token, set = revoked/invalid. `/status-lists` is the Status List Aggregation (§9): the
 * URIs of every list currently published, advertised in the metadata. The view reads the ledger, so
 * any instance serves any list, and a revocation is in the list once /revoke has answered.
 */
export async function statusListRoutes(app: FastifyInstance, { runtime }: { runtime: Runtime }) {
  const { issuer } = runtime.config;
  const signed = new SignedStatusListCache(STATUS_LIST_TTL_SECONDS);

  app.get('/status-lists', async (_req, reply) => {
    reply.header('cache-control', `public, max-age=${STATUS_LIST_TTL_SECONDS}`);
    return { status_lists: statusListIds(runtime.views).map((id) => statusListUri(issuer, id)) };
  });

  app.get<{ Params: { id: string } }>('/status-lists/:id', async (request, reply) => {
    const { id } = request.params;
    const bytes = STATUS_LIST_ID.test(id) ? statusListContent(runtime.views, id) : undefined;
    if (!bytes) {
      signed.forget(id);
      return reply
        .code(404)
        .header('cache-control', 'no-store')
        .send({ error: 'not_found', error_description: 'no such status list' });
    }
    const key = (await runtime.keys.signingKey('ES256')) ?? (await runtime.keys.signingKey('RS256'));
    if (!key) throw new NoSigningKeyError('no signing key is active for status lists');
    const now = Math.floor(Date.now() / 1000);
    let list = signed.get(id, bytes, key.kid, now);
    if (!list) {
      const exp = now + STATUS_LIST_TTL_SECONDS;
      const jwt = signJwt(
        { typ: 'statuslist+jwt' },
        {
          sub: statusListUri(issuer, id),
          iss: issuer,
          iat: now,
          exp,
          ttl: STATUS_LIST_TTL_SECONDS,
          status_list: { bits: 1, lst: deflateSync(bytes, { level: 9 }).toString('base64url') },
        },
        key,
      );
      signed.put(id, bytes, key.kid, jwt, exp);
      list = { jwt, exp };
    }
    // A cached list is cached downstream only as long as it is valid.
    reply.header('cache-control', `public, max-age=${list.exp - now}`);
    reply.header('content-type', 'application/statuslist+jwt');
    return reply.send(list.jwt);
  });
}
