import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { accessToken, refresh, storedName } from './auth.js';

/** A GraphQL error as the server coded it (`extensions.code`), or a transport failure (`NETWORK`, `HTTP_<status>`). */
export class GraphQLFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'GraphQLFailure';
  }
}

interface GraphQLResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post(token: string | null, query: string, variables?: Record<string, unknown>): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token != null) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (err) {
    throw new GraphQLFailure('NETWORK', `The server could not be reached (${(err as Error).message}).`);
  }
}

/**
 * Runs one GraphQL operation with the session's token. An expired token is refreshed once and the operation sent
 * again; any error the server returns is thrown as a GraphQLFailure carrying its code.
 */
export async function gql<T>(query: string, variables?: Record<string, unknown>): Promise<T> {
  let response = await post(await accessToken(), query, variables);
  if (response.status === 401) {
    const renewed = await refresh().catch(() => null);
    if (renewed != null) response = await post(renewed.access_token, query, variables);
  }
  let body: GraphQLResponse<T>;
  try {
    body = (await response.json()) as GraphQLResponse<T>;
  } catch {
    throw new GraphQLFailure(`HTTP_${response.status}`, `The server answered ${response.status} without a result.`);
  }
  const first = body.errors?.[0];
  if (first) throw new GraphQLFailure(first.extensions?.code ?? 'INTERNAL_SERVER_ERROR', first.message);
  if (body.data == null) throw new GraphQLFailure(`HTTP_${response.status}`, 'The server returned no data.');
  return body.data;
}

export interface Session {
  scopes: Set<string>;
  /** ledger:admin: write actions (revoke, disable, rotate) are shown only then. */
  canWrite: boolean;
  username?: string;
}

export const SessionContext = createContext<Session>({ scopes: new Set(), canWrite: false });

/** The signed-in person's access, as the token response granted it. */
export function useSession(): Session {
  return useContext(SessionContext);
}

/** Builds the session from a granted scope string and the ID token's claims. */
export function sessionFrom(scope: string, idToken?: string): Session {
  const scopes = new Set(scope.split(' ').filter(Boolean));
  return { scopes, canWrite: scopes.has('ledger:admin'), username: storedName() ?? nameIn(idToken) };
}

/** The display name from the ID token (read, not verified: the token endpoint handed it over TLS to this page). */
function nameIn(idToken?: string): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<
      string,
      unknown
    >;
    const name = claims.preferred_username ?? claims.name ?? claims.sub;
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}

/** True when the person holds at least one operator role. */
export const hasLedgerScope = (session: Session) =>
  session.scopes.has('ledger:admin') || session.scopes.has('ledger:audit');
