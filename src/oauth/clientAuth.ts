import type { SecretHash } from '../domain/clients/events.js';
import type { ClientState } from '../domain/clients/state.js';
import { assertionIssuer, verifyClientAssertion, type AssertionProfile } from '../crypto/clientAssertion.js';
import { FAPI2_ALGS, fapi2Applies, type ServerProfile } from '../domain/clients/securityProfile.js';
import type { SecretCheck } from '../security/clientSecrets.js';
import type { NamedClient } from '../security/clientAuthThrottle.js';
import { invalidClient, invalidRequest, OAuthError } from './errors.js';
import type { Params } from './params.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  client: ClientState;
  method: AuthMethod;
}

export interface ClientAuthDeps {
  /** The registered client with this id, disabled or not. */
  clientById: (clientId: string) => ClientState | undefined;
  verifier: SecretCheck;
  /** Records the assertion's jti durably; false when it was seen before (a replay). */
  rememberAssertion: (clientId: string, jti: string, exp: number) => Promise<boolean>;
  /** Values an assertion's `aud` may name: the endpoint and the issuer. */
  audiences: string[];
  /** PROFILE: under fapi2 every client authenticates with private_key_jwt by the profile's rules. */
  profile?: ServerProfile;
  /** The issuer identifier: the one audience a FAPI 2.0 client's assertion may name. */
  issuer?: string;
  /** Brute-force limiting (ClientAuthThrottle bound to the request's address). */
  throttle?: ClientAuthGuard;
  /**
   * Brings the views up to the ledger's head: an id not in them may have been registered by another
   * process a moment ago (the CLI, another instance) and not yet delivered here.
   */
  catchUp?: () => Promise<void>;
  /** The secret a rotation replaced authenticated, inside its overlap: recorded so operators see who still uses it. */
  previousSecretUsed?: (clientId: string) => void;
}

export interface ClientAuthGuard {
  /** Throws (429) while the named client or the address is blocked: before any credential is checked. */
  check(named: NamedClient): void;
  failed(named: NamedClient): Promise<void>;
  succeeded(clientId: string): void;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function parseBasic(header: string): { id: string; secret: string } {
  const encoded = header.slice(6).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw invalidClient('malformed HTTP Basic credentials', true);
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('malformed HTTP Basic credentials', true);
  // Most ids and secrets have nothing encoded: no decoding, no new string.
  const formDecode = (s: string) =>
    s.includes('%') || s.includes('+') ? decodeURIComponent(s.replace(/\+/g, ' ')) : s;
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw invalidClient('malformed HTTP Basic credentials', true);
  }
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> => value instanceof Promise;

/**
 * Client authentication shared by the token, introspection and revocation endpoints. Exactly one
 * method per request (RFC 6749 §2.3); the method used must be the one the client registered.
 * Every invalid_client is counted by the throttle; a blocked client or address is refused first.
 *
 * Synchronous (a value, or a throw) when nothing has to be waited for: a client secret this process
 * has verified before, or a generated one; a promise otherwise (the first slow hash of a secret, a
 * client assertion, a failure whose block is recorded in the ledger). The usual request, a known
 * client with its known secret, then costs no promise, and no microtask, at all.
 */
export function authenticateClient(
  authorization: string | undefined,
  params: Params,
  deps: ClientAuthDeps,
  nowSeconds: number,
): AuthenticatedClient | Promise<AuthenticatedClient> {
  const guard = deps.throttle;
  if (!guard) return authenticate(authorization, params, deps, nowSeconds);
  let named: NamedClient = UNNAMED;
  const failed = (err: unknown): Promise<never> | never => {
    if (err instanceof OAuthError && err.error === 'invalid_client') {
      return guard.failed(named).then(() => {
        throw err;
      });
    }
    throw err;
  };
  const succeeded = (result: AuthenticatedClient): AuthenticatedClient => {
    if (result.method !== 'none') guard.succeeded(result.client.clientId);
    return result;
  };
  let result: AuthenticatedClient | Promise<AuthenticatedClient>;
  try {
    result = authenticate(authorization, params, deps, nowSeconds, (n) => {
      named = n;
      guard.check(n);
    });
  } catch (err) {
    return failed(err);
  }
  return isPromise(result) ? result.then(succeeded, failed) : succeeded(result);
}

const UNNAMED: NamedClient = { clientId: undefined, guarded: false };
const ungated = (): void => undefined;

function authenticate(
  authorization: string | undefined,
  params: Params,
  deps: ClientAuthDeps,
  nowSeconds: number,
  gate: (named: NamedClient) => void = ungated,
  caughtUp = false,
): AuthenticatedClient | Promise<AuthenticatedClient> {
  const basic = authorization !== undefined && /^basic /i.test(authorization);
  // RFC 6749 §5.2: any Authorization header (Bearer, a scheme we do not know) was an attempt, answered with a
  // challenge.
  const challenge = authorization !== undefined;
  const post = params.client_secret !== undefined;
  const assertion = params.client_assertion !== undefined || params.client_assertion_type !== undefined;
  if (Number(basic) + Number(post) + Number(assertion) > 1) {
    throw invalidRequest('more than one client authentication method was used');
  }
  let method: AuthMethod;
  let clientId: string | undefined;
  let secret: string | undefined;
  if (basic) {
    method = 'client_secret_basic';
    ({ id: clientId, secret } = parseBasic(authorization));
    if (params.client_id !== undefined && params.client_id !== clientId) {
      throw invalidRequest('client_id does not match the HTTP Basic credentials');
    }
  } else if (post) {
    method = 'client_secret_post';
    clientId = params.client_id;
    secret = params.client_secret;
  } else if (assertion) {
    method = 'private_key_jwt';
    if (params.client_assertion_type !== JWT_BEARER_ASSERTION) {
      throw invalidRequest(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    }
    if (!params.client_assertion) throw invalidRequest('client_assertion is missing');
    clientId = params.client_id ?? assertionIssuer(params.client_assertion);
  } else {
    method = 'none';
    clientId = params.client_id;
  }
  const client = clientId ? deps.clientById(clientId) : undefined;
  if (clientId && !client && deps.catchUp && !caughtUp) {
    // Asked once, before the throttle counts anything; a catch-up that fails leaves the answer to the views as they
    // are.
    return deps
      .catchUp()
      .catch(() => undefined)
      .then(() => authenticate(authorization, params, deps, nowSeconds, gate, true));
  }
  // Only a registered, enabled client with a credential is counted per id (src/security/clientAuthThrottle.ts).
  gate({
    clientId,
    guarded: client !== undefined && !client.disabled && client.metadata.token_endpoint_auth_method !== 'none',
  });
  if (!clientId) throw invalidClient('client authentication is required', challenge);

  if (!client || client.disabled) {
    // The same answer, after the same hash, as a wrong secret: a caller cannot tell which ids exist.
    // A SHA-256 stored hash is checked synchronously: no promise to wait for, the answer is ignored.
    if (secret !== undefined) void deps.verifier.check(clientId, secret, UNKNOWN_CLIENT_SECRET);
    throw invalidClient(AUTHENTICATION_FAILED, challenge);
  }
  const registered = client.metadata.token_endpoint_auth_method;
  if (registered !== method) return wrongMethod(client, method, secret, deps, challenge);
  const fapi2 = fapi2Applies(client.metadata, deps.profile ?? 'default');
  if (method === 'client_secret_basic' || method === 'client_secret_post') {
    if (!client.secret) throw invalidClient(AUTHENTICATION_FAILED, challenge);
    const accepted = checkSecrets(client, secret ?? '', deps, nowSeconds);
    const answer = (ok: boolean): AuthenticatedClient => {
      if (!ok) throw invalidClient(AUTHENTICATION_FAILED, challenge);
      // Told only to a caller that holds the secret, as a wrong method is.
      if (fapi2) throw invalidClient(FAPI2_METHOD, challenge);
      return { client, method };
    };
    return isPromise(accepted) ? accepted.then(answer) : answer(accepted);
  }
  if (method === 'private_key_jwt') {
    const profile: AssertionProfile = fapi2
      ? { algorithms: FAPI2_ALGS, exactAudience: deps.issuer ?? deps.audiences[0] }
      : {};
    return assertionClient(client, clientId, params.client_assertion!, deps, nowSeconds, challenge, profile);
  }
  // FAPI 2.0 §5.3.2.1: confidential clients only.
  if (fapi2) throw invalidClient(FAPI2_METHOD, challenge);
  return { client, method };
}

/**
 * The current secret, then, inside a rotation's overlap, the one it replaced. A wrong secret then costs two
 * checks, but only for a client in its overlap, the same for every caller.
 */
function checkSecrets(
  client: ClientState,
  presented: string,
  deps: ClientAuthDeps,
  nowSeconds: number,
): boolean | Promise<boolean> {
  const current = deps.verifier.check(client.clientId, presented, client.secret!);
  const previous = client.previousSecret;
  if (!previous || nowSeconds * 1000 >= previous.expiresAt) return current;
  const orPrevious = (ok: boolean): boolean | Promise<boolean> => {
    if (ok) return true;
    const old = deps.verifier.check(client.clientId, presented, previous.secret);
    const used = (matched: boolean): boolean => {
      if (matched) deps.previousSecretUsed?.(client.clientId);
      return matched;
    };
    return isPromise(old) ? old.then(used) : used(old);
  };
  return isPromise(current) ? current.then(orPrevious) : orPrevious(current);
}

const FAPI2_METHOD = 'the FAPI 2.0 Security Profile allows private_key_jwt client authentication only';

/** One description for every failure a caller without the client's credentials can cause. */
const AUTHENTICATION_FAILED = 'client authentication failed';
/** A stored hash no secret matches: what an unknown client's secret is checked against. */
const UNKNOWN_CLIENT_SECRET: SecretHash = { alg: 'sha256', hash: 'A'.repeat(43) };

/**
 * The client used a method it did not register. Only a caller whose secret is right (client_secret_basic
 * and client_secret_post carry the same secret) learns which method to use; anyone else gets the
 * answer an unknown client gets, so the registered method tells nothing about which ids exist.
 */
function wrongMethod(
  client: ClientState,
  method: AuthMethod,
  secret: string | undefined,
  deps: ClientAuthDeps,
  challenge: boolean,
): never | Promise<never> {
  const registered = client.metadata.token_endpoint_auth_method;
  const refuse = (ok: boolean): never => {
    if (!ok) throw invalidClient(AUTHENTICATION_FAILED, challenge);
    throw invalidClient(
      `the client is registered with token_endpoint_auth_method ${registered} but used ${method}`,
      challenge,
    );
  };
  if (secret === undefined || !client.secret) {
    // Checked synchronously (SHA-256 stored hash), for the same cost as a wrong secret; the answer is ignored.
    void deps.verifier.check(client.clientId, secret ?? '', UNKNOWN_CLIENT_SECRET);
    return refuse(false);
  }
  const accepted = deps.verifier.check(client.clientId, secret, client.secret);
  return isPromise(accepted) ? accepted.then(refuse) : refuse(accepted);
}

async function assertionClient(
  client: ClientState,
  clientId: string,
  assertion: string,
  deps: ClientAuthDeps,
  nowSeconds: number,
  challenge: boolean,
  profile: AssertionProfile,
): Promise<AuthenticatedClient> {
  let verified;
  try {
    verified = await verifyClientAssertion(
      assertion,
      clientId,
      client.metadata.jwks ?? { keys: [] },
      deps.audiences,
      nowSeconds,
      profile,
    );
  } catch (err) {
    throw invalidClient((err as Error).message, challenge);
  }
  if (!(await deps.rememberAssertion(clientId, verified.jti, verified.exp))) {
    throw invalidClient('client assertion rejected: this jti was already used', challenge);
  }
  return { client, method: 'private_key_jwt' };
}
