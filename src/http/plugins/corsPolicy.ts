import type { FastifyCorsOptionsDelegateCallback } from '@fastify/cors';
import type { Runtime } from '../../runtime.js';
import { allClients } from '../../application/queries/clients.js';

/**
 * Endpoints any page may read: public metadata and keys, status lists, the browser module, UserInfo
 * (bearer-authenticated).
 */
const OPEN = [/^\/\.well-known\//, /^\/jwks$/, /^\/sdk\//, /^\/userinfo$/, /^\/status-lists(\/|$)/];
/** Endpoints a browser app calls with its own client id: only from its registered redirect URI origins. */
const CLIENT = [/^\/token$/, /^\/revoke$/];

/** Origins of the redirect URIs of public clients: where a browser app can legitimately run. */
function publicClientOrigins(runtime: Runtime): Set<string> {
  const origins = new Set<string>();
  for (const c of allClients(runtime.views)) {
    if (c.disabled || c.metadata.token_endpoint_auth_method !== 'none') continue;
    for (const uri of c.metadata.redirect_uris) {
      if (/^https?:\/\//.test(uri)) origins.add(new URL(uri).origin);
    }
  }
  return origins;
}

const BASE = {
  methods: ['GET', 'POST'],
  allowedHeaders: ['authorization', 'content-type', 'dpop'],
  // RFC 9449 §8: a browser app reads the nonce it must use next.
  exposedHeaders: ['dpop-nonce'],
  maxAge: 600,
  credentials: false,
};
const ANY_ORIGIN = Object.freeze({ ...BASE, origin: '*' });
const NO_ORIGIN = Object.freeze({ origin: false });

/**
 * Per-request CORS decision. The authorization endpoint and the pages never answer cross-origin
 * reads; the token and revocation endpoints answer only registered browser-app origins. The
 * answers that do not depend on the request are built once: this runs on every request, and most
 * (server-to-server calls) carry no Origin at all.
 */
export function corsPolicy(runtime: Runtime): FastifyCorsOptionsDelegateCallback {
  return (request, callback) => {
    const url = request.url ?? '';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (OPEN.some((r) => r.test(path))) return callback(null, ANY_ORIGIN);
    const origin = request.headers.origin;
    if (origin && CLIENT.some((r) => r.test(path)) && publicClientOrigins(runtime).has(origin)) {
      return callback(null, { ...BASE, origin });
    }
    callback(null, NO_ORIGIN);
  };
}
