import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** A day: long enough for a receiver's weekend outage to be noticed before anything is parked. */
export const DEFAULT_PARK_AFTER_SECONDS = 86_400;

const SINK_ID = '^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$';

/** What an operator says about a sink (the file's entries and GraphQL's input), before its secret is sealed. */
export const SinkSettings = Type.Object(
  {
    id: Type.String({ pattern: SINK_ID }),
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    /** Only these event types (e.g. AccessTokenIssued); absent: any type. */
    types: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 200 })),
    /** Only these stream categories (the stream name before its first '-': token, client, user…). */
    categories: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z0-9]{1,40}$' }), { minItems: 1, maxItems: 50 })),
    parkAfterSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_592_000 })),
  },
  { additionalProperties: false },
);
export type SinkSettings = Static<typeof SinkSettings>;

/** Standard Webhooks' symmetric secret: `whsec_` and 24 to 64 random bytes in base64. */
const SECRET = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

export function secretProblem(secret: string): string | undefined {
  if (!SECRET.test(secret)) return 'secret: expected whsec_ followed by 24 to 64 random bytes in base64';
  const bytes = Buffer.from(secret.slice('whsec_'.length), 'base64').length;
  return bytes < 24 || bytes > 64 ? 'secret: expected 24 to 64 random bytes after whsec_' : undefined;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * https only: the payload is the audit trail. http is allowed for loopback receivers when the operator opted in
 * (EVENT_SINKS_ALLOW_HTTP_LOOPBACK=true, development and tests), never for another host.
 */
function urlProblem(
  raw: string,
  allowHttpLoopback: boolean,
): { reason: SinkProblemReason; problem: string } | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: 'invalid_url', problem: `url: ${raw} is not an absolute URL` };
  }
  if (url.username || url.password || url.hash)
    return { reason: 'invalid_url', problem: 'url: credentials and fragments are not allowed' };
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) {
    if (allowHttpLoopback) return undefined;
    return { reason: 'http_not_allowed', problem: 'url: http needs EVENT_SINKS_ALLOW_HTTP_LOOPBACK=true' };
  }
  if (url.protocol === 'http:')
    return { reason: 'http_not_allowed', problem: 'url: http is allowed only for a loopback receiver; use https' };
  return { reason: 'invalid_url', problem: `url: expected https, not ${url.protocol.slice(0, -1)}` };
}

type SinkProblemReason = 'invalid_sink' | 'invalid_url' | 'http_not_allowed';

/**
 * What is wrong with a sink's settings, or undefined: the schema, then the URL, then the event types (a typo would
 * silently filter everything out, so an unknown type is refused). Linear in the settings' size.
 */
export function sinkSettingsProblem(
  value: unknown,
  rules: { allowHttpLoopback: boolean; eventTypes: ReadonlySet<string> },
): { reason: SinkProblemReason; problem: string } | undefined {
  if (!Value.Check(SinkSettings, value)) {
    const first = Value.Errors(SinkSettings, value).First();
    return { reason: 'invalid_sink', problem: `${first?.path || '(root)'} ${first?.message ?? 'is invalid'}` };
  }
  const url = urlProblem(value.url, rules.allowHttpLoopback);
  if (url) return url;
  const unknown = (value.types ?? []).filter((t) => !rules.eventTypes.has(t));
  if (unknown.length) return { reason: 'invalid_sink', problem: `types: not event types: ${unknown.join(', ')}` };
  return undefined;
}
