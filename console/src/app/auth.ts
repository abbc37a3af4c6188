import * as oauth from 'oauth4webapi';
import { BASE } from './router.js';

/** The console's own client, registered by the server at start (public, PKCE S256, exact redirect URI). */
const CLIENT_ID = 'token-ledger-console';
/** What the console asks for; the server grants a ledger:* scope only to a person who holds that role. */
const SCOPE = 'openid profile ledger:admin ledger:audit';
/** The shared storage contract (GraphiQL reads the access token from here). */
const STORAGE_KEY = 'token-ledger-console';
const PENDING_KEY = 'token-ledger-console:pending';
const NAME_KEY = 'token-ledger-console:name';
/** Refreshed this long before expiry, so a request in flight never carries an expired token. */
const REFRESH_MARGIN_MS = 60_000;

export interface StoredTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  /** Epoch milliseconds. */
  expires_at: number;
  scope: string;
}

interface Pending {
  verifier: string;
  state: string;
  nonce: string;
  /** The console path the person was on, restored after sign-in. */
  returnTo: string;
}

/** The issuer is the origin (and any path) the console is served under: `${issuer}/console/`. */
function issuer(): URL {
  const at = location.pathname.indexOf(BASE + '/');
  const prefix = at > 0 ? location.pathname.slice(0, at) : '';
  return new URL(location.origin + prefix);
}

const redirectUri = () => `${issuer().href.replace(/\/$/, '')}${BASE}/callback`;
const client: oauth.Client = { client_id: CLIENT_ID, token_endpoint_auth_method: 'none' };
// A console on http:// is a developer's loopback server; oauth4webapi insists on https unless told otherwise.
const requestOptions = () => (issuer().protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {});

let server: Promise<oauth.AuthorizationServer> | undefined;
/** The server's discovery document, fetched once per page load. */
function authorizationServer(): Promise<oauth.AuthorizationServer> {
  server ??= oauth
    .discoveryRequest(issuer(), { algorithm: 'oidc', ...requestOptions() })
    .then((response) => oauth.processDiscoveryResponse(issuer(), response))
    .catch((err: unknown) => {
      server = undefined;
      throw err;
    });
  return server;
}

export function loadTokens(): StoredTokens | null {
  const raw = sessionStorage.getItem(STORAGE_KEY);
  if (raw == null) return null;
  try {
    const tokens = JSON.parse(raw) as StoredTokens;
    return typeof tokens.access_token === 'string' ? tokens : null;
  } catch {
    return null;
  }
}

function saveTokens(response: oauth.TokenEndpointResponse, previous?: StoredTokens): StoredTokens {
  const tokens: StoredTokens = {
    access_token: response.access_token,
    refresh_token: response.refresh_token ?? previous?.refresh_token,
    id_token: response.id_token ?? previous?.id_token,
    expires_at: Date.now() + (response.expires_in ?? 300) * 1000,
    scope: response.scope ?? previous?.scope ?? '',
  };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  return tokens;
}

/** Starts sign-in: a full-page redirect to the server's authorization endpoint. */
export async function signIn(returnTo: string): Promise<void> {
  const as = await authorizationServer();
  const pending: Pending = {
    verifier: oauth.generateRandomCodeVerifier(),
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    returnTo,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: redirectUri(),
    response_type: 'code',
    scope: SCOPE,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
}

/** Finishes sign-in on /console/callback: checks state, redeems the code with the PKCE verifier. Returns the path. */
export async function completeSignIn(callback: URL): Promise<string> {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (raw == null) throw new Error('This sign-in was not started here (or was already finished). Start again.');
  const pending = JSON.parse(raw) as Pending;
  const as = await authorizationServer();
  const params = oauth.validateAuthResponse(as, client, callback, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    requestOptions(),
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: pending.nonce });
  saveTokens(result);
  await rememberName(as, result).catch(() => undefined);
  return pending.returnTo;
}

/** The person's login name from UserInfo (the ID token names only the sub), for the header. */
async function rememberName(as: oauth.AuthorizationServer, result: oauth.TokenEndpointResponse): Promise<void> {
  const sub = oauth.getValidatedIdTokenClaims(result)?.sub;
  if (sub == null || as.userinfo_endpoint == null) return;
  const response = await oauth.userInfoRequest(as, client, result.access_token, requestOptions());
  const info = await oauth.processUserInfoResponse(as, client, sub, response);
  const name = info.preferred_username ?? info.name;
  if (typeof name === 'string') sessionStorage.setItem(NAME_KEY, name);
}

/** The name remembered at sign-in, if UserInfo gave one. */
export const storedName = (): string | undefined => sessionStorage.getItem(NAME_KEY) ?? undefined;

let refreshing: Promise<StoredTokens | null> | undefined;
/** Trades the refresh token for new tokens; null (and the session cleared) when the server says no. */
export function refresh(): Promise<StoredTokens | null> {
  refreshing ??= (async () => {
    const tokens = loadTokens();
    if (tokens?.refresh_token == null) return null;
    try {
      const as = await authorizationServer();
      const response = await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        tokens.refresh_token,
        requestOptions(),
      );
      return saveTokens(await oauth.processRefreshTokenResponse(as, client, response), tokens);
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) {
        sessionStorage.removeItem(STORAGE_KEY);
        return null;
      }
      throw err;
    }
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** A valid access token, refreshed first when it is about to expire; null when signed out. */
export async function accessToken(): Promise<string | null> {
  const tokens = loadTokens();
  if (tokens == null) return null;
  if (tokens.expires_at - Date.now() > REFRESH_MARGIN_MS) return tokens.access_token;
  return (await refresh())?.access_token ?? null;
}

/** Milliseconds until the token should be refreshed (for a timer that keeps a idle session alive). */
export function refreshDelay(tokens: StoredTokens): number {
  return Math.max(0, tokens.expires_at - Date.now() - REFRESH_MARGIN_MS);
}

/** Ends the session here and at the server (RP-initiated logout), back to the console's start page. */
export async function signOut(): Promise<void> {
  const tokens = loadTokens();
  sessionStorage.removeItem(STORAGE_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  sessionStorage.removeItem(NAME_KEY);
  const as = await authorizationServer().catch(() => null);
  const back = `${issuer().href.replace(/\/$/, '')}${BASE}/`;
  if (as?.end_session_endpoint == null) {
    location.assign(back);
    return;
  }
  const url = new URL(as.end_session_endpoint);
  const params = new URLSearchParams({ client_id: CLIENT_ID, post_logout_redirect_uri: back });
  if (tokens?.id_token) params.set('id_token_hint', tokens.id_token);
  url.search = params.toString();
  location.assign(url.href);
}
