import { randomUUID } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { disableClient, viewedClient, type ClientMetadataChanges } from '../application/clients.js';
import { registerClient } from '../application/registerClient.js';
import { DEFAULT_SECRET_GRACE_SECONDS, rotateClientSecret } from '../application/rotateClientSecret.js';
import { updateClient } from '../application/updateClient.js';
import {
  AUTH_METHODS,
  GRANT_TYPES,
  INTROSPECTION_ACCESS,
  REQUEST_OBJECT_ALGS,
  RESPONSE_MODES,
  SECURITY_PROFILES,
  type ClientMetadata,
} from '../domain/clients/events.js';
import type { ClientState } from '../domain/clients/state.js';
import { allClients } from '../application/queries/clients.js';
import { pruneDynamicClients } from '../application/pruneDynamicClients.js';
import { ConfigError } from '../config/configParsing.js';
import { print, table } from './output.js';
import { withRuntime } from './withRuntime.js';

const operator = () => ({ actor: 'operator:cli', correlationId: randomUUID() });

interface MetadataFlags {
  clientName?: string;
  grantTypes?: string[];
  redirectUris?: string[];
  scope?: string;
  tokenEndpointAuthMethod?: ClientMetadata['token_endpoint_auth_method'];
  jwks?: ClientMetadata['jwks'];
  accessTokenFormat?: ClientMetadata['access_token_format'];
  accessTokenSigningAlg?: ClientMetadata['access_token_signing_alg'];
  accessTokenTtl?: number;
  idTokenSignedResponseAlg?: 'RS256' | 'ES256';
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string;
  responseModes?: ClientMetadata['response_modes'];
  introspectionAccess?: ClientMetadata['introspection_access'];
  introspectionAudiences?: string[];
  logoUri?: string;
  clientUri?: string;
  policyUri?: string;
  tosUri?: string;
  dpopBoundAccessTokens?: boolean;
  requirePushedAuthorizationRequests?: boolean;
  requestObjectSigningAlg?: ClientMetadata['request_object_signing_alg'];
  securityProfile?: ClientMetadata['security_profile'];
  tokenExchangeAudiences?: string[];
  tokenExchangeImpersonation?: boolean;
  tokenExchangeMaxDepth?: number;
  tokenExchangeScope?: string;
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function grantTypes(value: string): string[] {
  const values = list(value);
  const unknown = values.filter((v) => !(GRANT_TYPES as readonly string[]).includes(v));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown grant type ${unknown.join(', ')}; expected ${GRANT_TYPES.join(', ')}`);
  return values;
}

function responseModes(value: string): ClientMetadata['response_modes'] {
  const values = list(value);
  const unknown = values.filter((v) => !(RESPONSE_MODES as readonly string[]).includes(v));
  if (unknown.length)
    throw new InvalidArgumentError(
      `unknown response mode ${unknown.join(', ')}; expected ${RESPONSE_MODES.join(', ')}`,
    );
  return values as ClientMetadata['response_modes'];
}

function jwks(value: string): ClientMetadata['jwks'] {
  try {
    const parsed = JSON.parse(value) as ClientMetadata['jwks'] | null;
    if (!Array.isArray(parsed?.keys)) throw new Error();
    return parsed;
  } catch {
    throw new InvalidArgumentError('expected a JWK Set as JSON: {"keys":[…]}');
  }
}

/** A switch that may be named alone (true) or given true/false, so that an update can turn it off. */
function onOff(value: string | undefined): boolean {
  if (value === undefined || value === 'true') return true;
  if (value === 'false') return false;
  throw new InvalidArgumentError('expected true or false');
}

function depth(value: string): number {
  if (!/^([1-9]|10)$/.test(value)) throw new InvalidArgumentError('expected a whole number from 1 to 10');
  return Number(value);
}

function secondsOrZero(value: string): number {
  if (!/^(0|[1-9]\d{0,9})$/.test(value))
    throw new InvalidArgumentError('expected a whole number of seconds, 0 or more');
  return Number(value);
}

function seconds(value: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('expected a whole number of seconds');
  return Number(value);
}

/** RFC 7591 metadata flags in kebab-case; `update` starts from the current values. */
function withMetadataFlags(cmd: Command, defaults: boolean): Command {
  return cmd
    .option('--client-name <name>', 'human-readable name shown on consent pages')
    .option('--grant-types <list>', `comma-separated: ${GRANT_TYPES.join(', ')}`, grantTypes)
    .option('--redirect-uris <list>', 'comma-separated redirect URIs (exact match)', list)
    .option('--scope <scopes>', 'space-separated scopes the client may request')
    .addOption(
      new Option('--token-endpoint-auth-method <method>', 'how the client authenticates').choices([...AUTH_METHODS]),
    )
    .option('--jwks <json>', 'public keys for private_key_jwt, inline JSON', jwks)
    .addOption(new Option('--access-token-format <format>', 'jwt (RFC 9068) or opaque').choices(['jwt', 'opaque']))
    .addOption(new Option('--access-token-signing-alg <alg>', 'JWT access token signature').choices(['ES256', 'RS256']))
    .option('--access-token-ttl <seconds>', `access token lifetime${defaults ? ' (default 3600)' : ''}`, seconds)
    .addOption(
      new Option('--id-token-signed-response-alg <alg>', 'ID token signature (default RS256)').choices([
        'RS256',
        'ES256',
      ]),
    )
    .option(
      '--post-logout-redirect-uris <list>',
      'comma-separated URIs allowed after RP-initiated logout (exact match)',
      list,
    )
    .option('--backchannel-logout-uri <url>', 'where logout tokens are POSTed (OIDC Back-Channel Logout)')
    .option(
      '--response-modes <list>',
      `comma-separated: ${RESPONSE_MODES.join(', ')} (default query,form_post; web_message only when listed)`,
      responseModes,
    )
    .addOption(
      new Option(
        '--introspection-access <access>',
        'tokens the client may introspect: all (default) or own_and_audience',
      ).choices([...INTROSPECTION_ACCESS]),
    )
    .option(
      '--introspection-audiences <list>',
      'comma-separated resource identifiers (aud values) whose tokens an own_and_audience client may introspect',
      list,
    )
    .option('--logo-uri <url>', 'https URL of a logo shown on the login, consent and sign-out pages')
    .option('--client-uri <url>', "http(s) URL of the application's home page, linked from those pages")
    .option('--policy-uri <url>', "https URL of the application's privacy policy (RFC 7591)")
    .option('--tos-uri <url>', "https URL of the application's terms of service (RFC 7591)")
    .option(
      '--dpop-bound-access-tokens [true|false]',
      'every access token is DPoP-bound (RFC 9449); token requests without a DPoP proof are refused',
      onOff,
    )
    .option(
      '--require-pushed-authorization-requests [true|false]',
      'authorization requests must be pushed to /par first (RFC 9126)',
      onOff,
    )
    .addOption(
      new Option(
        '--request-object-signing-alg <alg>',
        'the one algorithm its request objects may use (RFC 9101)',
      ).choices([...REQUEST_OBJECT_ALGS]),
    )
    .addOption(
      new Option('--security-profile <profile>', 'enforce the FAPI 2.0 Security Profile for this client').choices([
        ...SECURITY_PROFILES,
      ]),
    )
    .option(
      '--token-exchange-audiences <list>',
      'comma-separated resource URIs or audiences the client may request by token exchange (RFC 8693)',
      list,
    )
    .option(
      '--token-exchange-impersonation [true|false]',
      'token exchange without an actor_token may impersonate the subject (default: delegation only)',
      onOff,
    )
    .option('--token-exchange-max-depth <n>', 'longest chain of exchanges (1 to 10, default 3)', depth)
    .option('--token-exchange-scope <scopes>', 'scopes an exchanged token may keep (default: the client scope)')
    .option('--json', 'print JSON');
}

/** The flags as RFC 7591 fields; the defaults and what an update keeps are the use cases'. */
function changesFrom(flags: MetadataFlags): ClientMetadataChanges {
  return {
    client_name: flags.clientName,
    grant_types: flags.grantTypes as ClientMetadata['grant_types'] | undefined,
    redirect_uris: flags.redirectUris,
    scope: flags.scope,
    token_endpoint_auth_method: flags.tokenEndpointAuthMethod,
    jwks: flags.jwks,
    access_token_format: flags.accessTokenFormat,
    access_token_signing_alg: flags.accessTokenSigningAlg,
    access_token_ttl: flags.accessTokenTtl,
    id_token_signed_response_alg: flags.idTokenSignedResponseAlg,
    post_logout_redirect_uris: flags.postLogoutRedirectUris,
    backchannel_logout_uri: flags.backchannelLogoutUri,
    response_modes: flags.responseModes,
    introspection_access: flags.introspectionAccess,
    introspection_audiences: flags.introspectionAudiences,
    logo_uri: flags.logoUri,
    client_uri: flags.clientUri,
    policy_uri: flags.policyUri,
    tos_uri: flags.tosUri,
    dpop_bound_access_tokens: flags.dpopBoundAccessTokens,
    require_pushed_authorization_requests: flags.requirePushedAuthorizationRequests,
    request_object_signing_alg: flags.requestObjectSigningAlg,
    security_profile: flags.securityProfile,
    token_exchange_audiences: flags.tokenExchangeAudiences,
    token_exchange_impersonation: flags.tokenExchangeImpersonation,
    token_exchange_max_depth: flags.tokenExchangeMaxDepth,
    token_exchange_scope: flags.tokenExchangeScope,
  };
}

/** RFC 7591 §3.2.1 client information; the secret appears only when it was just created. */
function clientInformation(c: ClientState, secret?: string) {
  return {
    client_id: c.clientId,
    ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
    client_id_issued_at: Math.floor(c.registeredAt / 1000),
    ...c.metadata,
    disabled: c.disabled,
    ...(c.deleted && { deleted: true }),
    // Absent: an operator registered it.
    ...(c.registration && { registration: c.registration }),
    // Seconds since the epoch, like client_secret_expires_at: when the secret the last rotation replaced stops.
    ...(c.previousSecret && { previous_secret_expires_at: Math.floor(c.previousSecret.expiresAt / 1000) }),
  };
}

const describe = (c: ReturnType<typeof clientInformation>) =>
  Object.entries(c)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('\n');

export function clientsCommand(): Command {
  const clients = new Command('clients').description(
    'OAuth clients: create, list, show, update, rotate-secret, disable, prune-dynamic',
  );

  withMetadataFlags(
    clients.command('create').description('register a client (prints RFC 7591 client information)'),
    true,
  )
    .option('--client-id <id>', 'client identifier (generated when omitted)')
    .option('--client-secret <secret>', 'use this secret instead of a generated one (stored as a slow hash)')
    .action((opts: MetadataFlags & { clientId?: string; clientSecret?: string; json?: boolean }) =>
      withRuntime(async (rt) => {
        const { client, secret } = await registerClient(
          rt.ports,
          { clientId: opts.clientId, changes: changesFrom(opts), chosenSecret: opts.clientSecret },
          operator(),
        );
        const info = clientInformation(client, secret ?? undefined);
        print(
          !!opts.json,
          info,
          () => `${describe(info)}${secret ? '\n(the client secret is shown only this once)' : ''}`,
        );
      }, 'create'),
    );

  clients
    .command('list')
    .description('list clients')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const all = [...allClients(rt.views)].map((c) => clientInformation(c));
        print(!!opts.json, { clients: all }, () =>
          table(
            all.map((c) => ({
              client_id: c.client_id,
              name: c.client_name ?? '',
              grant_types: c.grant_types.join(','),
              auth: c.token_endpoint_auth_method,
              status: c.deleted ? 'deleted' : c.disabled ? 'disabled' : 'active',
            })),
          ),
        );
      }),
    );

  clients
    .command('show <clientId>')
    .description('show one client')
    .option('--json', 'print JSON')
    .action((clientId: string, opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const info = clientInformation(viewedClient(rt.ports, clientId));
        print(!!opts.json, info, () => describe(info));
      }),
    );

  withMetadataFlags(
    clients
      .command('update <clientId>')
      .description("change a client's metadata (unspecified flags keep their values)"),
    false,
  ).action((clientId: string, opts: MetadataFlags & { json?: boolean }) =>
    withRuntime(async (rt) => {
      const info = clientInformation(await updateClient(rt.ports, clientId, changesFrom(opts), operator()));
      print(!!opts.json, info, () => describe(info));
    }),
  );

  clients
    .command('rotate-secret <clientId>')
    .description('give the client a new secret; the replaced one keeps working for --grace seconds')
    .option('--client-secret <secret>', 'use this secret instead of a generated one')
    .option(
      '--grace <seconds>',
      `how long the replaced secret keeps working (0: it stops at once)`,
      secondsOrZero,
      DEFAULT_SECRET_GRACE_SECONDS,
    )
    .option('--json', 'print JSON')
    .action((clientId: string, opts: { clientSecret?: string; grace: number; json?: boolean }) =>
      withRuntime(async (rt) => {
        const { client, secret } = await rotateClientSecret(
          rt.ports,
          clientId,
          { chosenSecret: opts.clientSecret, graceSeconds: opts.grace },
          operator(),
        );
        const info = clientInformation(client, secret);
        print(!!opts.json, info, () => `${describe(info)}\n(the client secret is shown only this once)`);
      }),
    );

  clients
    .command('disable <clientId>')
    .description('disable a client: it can no longer authenticate, and its grants and tokens are revoked')
    .option('--json', 'print JSON')
    .action((clientId: string, opts: { json?: boolean }) =>
      withRuntime(async (rt) => {
        await disableClient(rt.ports, clientId, operator());
        const info = clientInformation(viewedClient(rt.ports, clientId));
        print(!!opts.json, info, () => `client ${clientId} disabled`);
      }),
    );
  clients
    .command('prune-dynamic')
    .description(
      'delete self-registered clients unused (no token or authorization code) for DYNAMIC_CLIENT_IDLE_TTL seconds',
    )
    .option('--idle <seconds>', 'idle time instead of DYNAMIC_CLIENT_IDLE_TTL', seconds)
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .option('--json', 'print JSON')
    .action((opts: { idle?: number; dryRun?: boolean; json?: boolean }) =>
      withRuntime(async (rt) => {
        const idleSeconds = opts.idle ?? rt.config.registration.idleClientSeconds;
        if (idleSeconds === 0)
          throw new ConfigError('DYNAMIC_CLIENT_IDLE_TTL is 0 (never prune): set it, or pass --idle <seconds>');
        const result = await pruneDynamicClients(rt.ports, { idleSeconds, dryRun: opts.dryRun }, operator());
        const out = {
          dry_run: !!opts.dryRun,
          idle_seconds: idleSeconds,
          pruned: result.pruned.map((c) => ({ client_id: c.clientId, last_used_at: Math.floor(c.lastUsedAt / 1000) })),
          already_deleted: result.alreadyGone,
        };
        print(!!opts.json, out, () =>
          [
            `${opts.dryRun ? 'would delete' : 'deleted'} ${out.pruned.length} self-registered client(s)`,
            ...out.pruned.map((c) => `  ${c.client_id} (last used ${new Date(c.last_used_at * 1000).toISOString()})`),
          ].join('\n'),
        );
      }),
    );
  return clients;
}
