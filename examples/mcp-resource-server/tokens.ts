import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Config } from './config.js';

/** Who called, as the access token says. */
export interface Caller {
  sub: string;
  clientId: string;
  scopes: Set<string>;
}

/** A token this server does not accept: a 401 `invalid_token`, the message as `error_description`. */
export class InvalidToken extends Error {}

/** Checks an access token; rejects with InvalidToken, or with another error when the check itself failed. */
export type Verifier = (token: string) => Promise<Caller>;

interface AuthorizationServer {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint?: string;
}

// RFC 9068 §2.2: the claims every JWT access token carries.
const REQUIRED_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

/**
 * RFC 8414 §3: the metadata URL puts the well-known segment before the issuer's path, and the document
 * must name the very issuer it was fetched for (§3.3), or someone else's keys could be trusted.
 */
async function discover(issuer: string): Promise<AuthorizationServer> {
  const url = new URL(issuer);
  url.pathname = `/.well-known/oauth-authorization-server${url.pathname === '/' ? '' : url.pathname}`;
  const res = await fetch(url, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${url.href} answered ${res.status}`);
  const metadata = (await res.json()) as Partial<AuthorizationServer>;
  if (metadata.issuer !== issuer) throw new Error(`${url.href} names the issuer ${metadata.issuer}, not ${issuer}`);
  if (typeof metadata.jwks_uri !== 'string') throw new Error(`${url.href} names no jwks_uri`);
  return metadata as AuthorizationServer;
}

/** Why jose refused a JWT, in words a client developer can act on. */
function refusal(err: errors.JOSEError): string {
  if (err instanceof errors.JWTExpired) return 'the access token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the access token was issued for another resource';
    if (err.claim === 'typ') return 'not an RFC 9068 access token (typ at+jwt)';
    return `the access token's ${err.claim} claim is not acceptable: ${err.reason}`;
  }
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return 'not a well-formed JWT access token';
  return 'the access token is not signed by the authorization server';
}

function caller(claims: Record<string, unknown>): Caller {
  // RFC 9449 §7.2: a DPoP-bound token presented as a bearer token is refused; this server takes bearer tokens only.
  if (claims.cnf !== undefined)
    throw new InvalidToken('the access token is bound to a key (DPoP); send a bearer token');
  const scope = typeof claims.scope === 'string' ? claims.scope : '';
  return { sub: String(claims.sub), clientId: String(claims.client_id), scopes: new Set(scope.split(' ')) };
}

/** RFC 7662 with client_secret_basic (RFC 6749 §2.3.1: id and secret form-urlencoded before base64). */
async function introspect(
  endpoint: string,
  token: string,
  client: { clientId: string; clientSecret: string },
  resource: string,
): Promise<Caller> {
  const encode = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  const credentials = Buffer.from(`${encode(client.clientId)}:${encode(client.clientSecret)}`).toString('base64');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${credentials}`, accept: 'application/json' },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  if (!res.ok) throw new Error(`introspection answered ${res.status}`);
  const answer = (await res.json()) as Record<string, unknown>;
  if (answer.active !== true) throw new InvalidToken('the access token is not active (revoked, expired or unknown)');
  const aud = Array.isArray(answer.aud) ? (answer.aud as unknown[]) : [answer.aud];
  if (!aud.includes(resource)) throw new InvalidToken('the access token was issued for another resource');
  return caller(answer);
}

/**
 * Checks access tokens as RFC 9068 and RFC 8707 ask: signed by a key from the authorization server's
 * jwks_uri, `typ` at+jwt, its issuer, this resource in `aud`, not expired. With introspection, the
 * authorization server is asked too: a JWT stays valid by its signature until it expires, and only the
 * server knows it was revoked (opaque tokens can only be introspected).
 */
export function accessTokenVerifier(config: Config): Verifier {
  const resource = config.resource.href;
  let setUp: Promise<{ as: AuthorizationServer; jwks: ReturnType<typeof createRemoteJWKSet> }> | undefined;
  // Discovery waits for the first token, so this server may start before the authorization server; a failed
  // discovery is retried by the next request.
  const authorizationServer = () =>
    (setUp ??= discover(config.issuer).then(
      (as) => ({ as, jwks: createRemoteJWKSet(new URL(as.jwks_uri)) }),
      (err: unknown) => {
        setUp = undefined;
        throw err;
      },
    ));

  return async (token) => {
    const { as, jwks } = await authorizationServer();
    let checked: Caller | undefined;
    if (token.split('.').length === 3) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, jwks, {
          issuer: as.issuer,
          audience: resource,
          typ: 'at+jwt',
          algorithms: ['ES256', 'RS256'],
          requiredClaims: REQUIRED_CLAIMS,
        }));
      } catch (err) {
        // A timeout or a network error fetching the keys is not the token's fault.
        if (err instanceof errors.JOSEError && !(err instanceof errors.JWKSTimeout))
          throw new InvalidToken(refusal(err));
        throw err;
      }
      checked = caller(payload);
    } else if (!config.introspection) {
      throw new InvalidToken('not a JWT access token; this server does not introspect');
    }
    if (config.introspection) {
      if (!as.introspection_endpoint) throw new Error('the authorization server names no introspection_endpoint');
      checked = await introspect(as.introspection_endpoint, token, config.introspection, resource);
    }
    return checked!;
  };
}
