import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { GRANT_TYPES, type ClientMetadata } from '../clients/events.js';
import { ClientMetadataError, scopeTokens } from '../clients/metadataRules.js';

/**
 * What a client that registers itself may ask for: set by operators for a whole server, and narrowed per
 * initial access token. Absent fields allow what the server allows.
 */
export const RegistrationPolicy = Type.Object(
  {
    grantTypes: Type.Optional(
      Type.Array(Type.Union(GRANT_TYPES.map((g) => Type.Literal(g))), { minItems: 1, uniqueItems: true }),
    ),
    /** Space-separated scopes a registration may name. */
    scope: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Each redirect URI must start with one of these (e.g. `http://127.0.0.1:` for loopback only). */
    redirectUriPrefixes: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), { minItems: 1, maxItems: 50 }),
    ),
    maxAccessTokenTtl: Type.Optional(Type.Integer({ minimum: 1 })),
    // The server's policy only (an initial access token's is per token, not per address): replaces
    // REGISTRATION_RATE_PER_IP while it holds.
    registrationsPerIpPerHour: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type RegistrationPolicy = Static<typeof RegistrationPolicy>;

/**
 * What makes a policy wrong beyond its schema, or undefined: an http(s) redirect URI prefix must end past the host
 * (`https://app.example` would also let `https://app.example.evil` through), so it needs the `/` or `:` after it.
 * The same rule holds for the policy file and for one set by GraphQL.
 */
export function registrationPolicyProblem(policy: RegistrationPolicy): string | undefined {
  for (const prefix of policy.redirectUriPrefixes ?? []) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(prefix)?.[1]?.toLowerCase();
    if (!scheme) return `redirectUriPrefixes: ${prefix} does not start with a scheme (e.g. https://)`;
    if ((scheme === 'http' || scheme === 'https') && !/^https?:\/\/(\[[^\]]*\]|[^/:[\]]+)[/:]/i.test(prefix))
      return `redirectUriPrefixes: ${prefix} must end past the host (add the / or : after it)`;
  }
  return undefined;
}

/** A policy from JSON (the file, a GraphQL argument): the schema, then the rules above; the first problem otherwise. */
export function readRegistrationPolicy(value: unknown): { policy: RegistrationPolicy } | { problem: string } {
  if (!Value.Check(RegistrationPolicy, value)) {
    const first = Value.Errors(RegistrationPolicy, value).First();
    return { problem: `${first?.path || '(root)'} ${first?.message ?? 'is invalid'}` };
  }
  const problem = registrationPolicyProblem(value);
  return problem ? { problem } : { policy: value };
}

/** Refuses metadata the policy does not allow, with the RFC 7591 §3.2.2 code; linear in the metadata's size. */
export function checkRegistrationPolicy(policy: RegistrationPolicy, m: ClientMetadata): void {
  if (policy.grantTypes) {
    const allowed = new Set<string>(policy.grantTypes);
    const refused = m.grant_types.filter((g) => !allowed.has(g));
    if (refused.length)
      throw new ClientMetadataError('invalid_client_metadata', `grant_types not allowed here: ${refused.join(', ')}`);
  }
  if (policy.scope !== undefined) {
    const allowed = new Set(scopeTokens(policy.scope));
    const refused = scopeTokens(m.scope).filter((s) => !allowed.has(s));
    if (refused.length)
      throw new ClientMetadataError('invalid_client_metadata', `scope not allowed here: ${refused.join(' ')}`);
  }
  const prefixes = policy.redirectUriPrefixes;
  if (prefixes) {
    for (const uri of [...m.redirect_uris, ...(m.post_logout_redirect_uris ?? [])]) {
      if (!prefixes.some((p) => uri.startsWith(p)))
        throw new ClientMetadataError('invalid_redirect_uri', `redirect URI ${uri} is not allowed here`);
    }
  }
  if (policy.maxAccessTokenTtl !== undefined && m.access_token_ttl > policy.maxAccessTokenTtl)
    throw new ClientMetadataError(
      'invalid_client_metadata',
      `access_token_ttl ${m.access_token_ttl} is above ${policy.maxAccessTokenTtl} allowed here`,
    );
}
