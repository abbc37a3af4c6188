import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import { decideBuiltInClient, type EnsureBuiltInClient } from '../domain/clients/builtIn.js';
import { clientDecider } from '../domain/clients/decider.js';
import type { ClientMetadata } from '../domain/clients/events.js';
import type { ClientState } from '../domain/clients/state.js';
import { clientStream } from '../domain/clients/streams.js';
import { execute } from './execute.js';
import type { Ports } from './ports.js';
import { clientById } from './queries/clients.js';

/** The operator console's OAuth client: public, code + PKCE, registered by the server itself (CONSOLE=on). */
export const CONSOLE_CLIENT_ID = 'token-ledger-console';

/** Where the console lives under the issuer; its redirect URIs are exact. */
const consoleRedirects = (issuer: string) => ({
  callback: `${issuer}/console/callback`,
  home: `${issuer}/console/`,
});

/**
 * The console's metadata for this issuer. Access tokens last a quarter of an hour: the console refreshes them (each
 * refresh token used once, as for every client), and the management API checks the person's roles at every request
 * whatever the token's lifetime.
 */
export function consoleClientMetadata(issuer: string): ClientMetadata {
  const { callback, home } = consoleRedirects(issuer);
  return {
    client_name: 'token-ledger console',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [callback],
    post_logout_redirect_uris: [home],
    scope: 'openid profile ledger:admin ledger:audit',
    token_endpoint_auth_method: 'none',
    access_token_format: 'jwt',
    access_token_signing_alg: 'ES256',
    access_token_ttl: 900,
  };
}

/**
 * The server's own console, which asks for no consent: a first-party client, the one this server registered under
 * CONSOLE_CLIENT_ID with its exact redirect URI for this issuer. Any other client (also one an operator registered
 * under that id with another redirect URI, or any client while CONSOLE=off) asks for consent as every client does.
 */
export function isBuiltInConsole(client: ClientState, config: Pick<Config, 'console' | 'issuer'>): boolean {
  if (!config.console || client.clientId !== CONSOLE_CLIENT_ID || client.registration) return false;
  const { redirect_uris: uris } = client.metadata;
  return uris.length === 1 && uris[0] === consoleRedirects(config.issuer).callback;
}

/**
 * Registers the console's client, or brings it up to date (the issuer changed), through the one write path; nothing
 * when it matches already or an operator disabled it. Answers the client as the clients view holds it.
 */
export async function ensureConsoleClient(ports: Pick<Ports, 'config' | 'events' | 'views'>): Promise<ClientState> {
  const { config } = ports;
  const limits = { maxAccessTokenTtl: config.maxTokenLifetimeSeconds, profile: config.profile };
  const clients = clientDecider(limits);
  const decider = {
    initialState: clients.initialState,
    evolve: clients.evolve,
    decide: (command: EnsureBuiltInClient, state: Parameters<typeof clients.decide>[1]) =>
      decideBuiltInClient(command, state, limits),
  };
  const metadata = consoleClientMetadata(config.issuer);
  await execute(
    ports.events,
    clientStream(CONSOLE_CLIENT_ID),
    decider,
    { type: 'EnsureBuiltInClient', clientId: CONSOLE_CLIENT_ID, metadata },
    { actor: 'system', correlationId: randomUUID() },
  );
  return clientById(ports.views, CONSOLE_CLIENT_ID)!;
}
