import type { ComponentChildren } from 'preact';
import { Link } from '../app/router.js';
import { when } from './format.js';
import { clientHref, userHref } from './shared.js';
import type { LedgerEvent } from './types.js';

type Tone = 'issued' | 'refreshed' | 'revoked' | 'expired' | 'warning' | 'info';

interface Entry {
  at: string;
  title: string;
  tone: Tone;
  actor?: string | null;
  reason?: string | null;
  detail?: ComponentChildren;
  /** Not yet happened (the expiry ahead). */
  future?: boolean;
  position?: string;
}

const tokenLink = (jti: string) => (
  <Link href={`/console/tokens/${encodeURIComponent(jti)}`}>
    <code>{jti}</code>
  </Link>
);

/** Who recorded an event: a person (user:<sub>) or a client (client:<id>, operator:<id>) links to its page. */
function Actor({ actor }: { actor: string }) {
  const [kind, id] = [actor.slice(0, actor.indexOf(':')), actor.slice(actor.indexOf(':') + 1)];
  const href = kind === 'user' ? userHref(id) : kind === 'client' || kind === 'operator' ? clientHref(id) : null;
  return href ? (
    <Link href={href}>
      <code>{actor}</code>
    </Link>
  ) : (
    <code>{actor}</code>
  );
}

/** One ledger event as the timeline tells it, from the point of view of token `jti`. */
function entryOf(e: LedgerEvent, jti: string): Entry {
  const d = e.data as { jti?: string; successorJti?: string; clientId?: string; scope?: string; reason?: string };
  const base = { at: e.recordedAt, actor: e.actor, position: e.position };
  switch (e.type) {
    case 'AccessTokenIssued':
    case 'RefreshTokenIssued': {
      const kind = e.type === 'AccessTokenIssued' ? 'access token' : 'refresh token';
      return {
        ...base,
        title: 'Issued',
        tone: 'issued',
        detail: `${kind} to ${d.clientId ?? '?'} · scope "${d.scope ?? ''}"`,
      };
    }
    case 'RefreshTokenRotated':
      return d.jti === jti
        ? {
            ...base,
            title: 'Refreshed',
            tone: 'refreshed',
            detail: <>used, and replaced by {tokenLink(d.successorJti!)}</>,
          }
        : { ...base, title: 'Issued by refresh', tone: 'issued', detail: <>in place of {tokenLink(d.jti!)}</> };
    case 'TokenRevoked':
      return { ...base, title: 'Revoked', tone: 'revoked', reason: e.reason ?? d.reason };
    case 'GrantRevoked':
      return { ...base, title: 'Revoked with its grant', tone: 'revoked', reason: e.reason ?? d.reason };
    case 'RefreshTokenReuseDetected':
      return {
        ...base,
        title: 'Refresh token reuse detected',
        tone: 'warning',
        detail:
          d.jti === jti ? 'this token was presented again after it was rotated' : <>{tokenLink(d.jti!)} was replayed</>,
      };
    case 'AuthorizationCodeReuseDetected':
      return { ...base, title: 'Authorization code replayed', tone: 'warning' };
    default:
      return { ...base, title: e.type, tone: 'info', reason: e.reason };
  }
}

/** The expiry is no event: it follows from `exp`. Moot once the token was revoked before it. */
function expiryOf(expiresAt: string, revokedAt: string | null, now: number): Entry {
  const exp = Date.parse(expiresAt);
  if (exp > now) return { at: expiresAt, title: 'Expires', tone: 'expired', future: true };
  if (revokedAt && Date.parse(revokedAt) < exp)
    return { at: expiresAt, title: 'Would have expired', tone: 'expired', detail: 'already revoked' };
  return { at: expiresAt, title: 'Expired', tone: 'expired' };
}

/** Every event about the token in ledger order, with its expiry placed where it falls. */
export function TokenTimeline(props: {
  jti: string;
  history: LedgerEvent[];
  expiresAt: string;
  revokedAt: string | null;
}) {
  const entries = props.history.map((e) => entryOf(e, props.jti));
  const expiry = expiryOf(props.expiresAt, props.revokedAt, Date.now());
  const at = entries.findIndex((e) => Date.parse(e.at) > Date.parse(expiry.at));
  entries.splice(at < 0 ? entries.length : at, 0, expiry);
  return (
    <ol class="timeline" aria-label="Timeline">
      {entries.map((e) => (
        <li key={`${e.position ?? 'exp'}-${e.title}`} class={`tl-${e.tone}${e.future ? ' tl-future' : ''}`}>
          <time dateTime={e.at}>{when(e.at)}</time>
          <strong class="tl-title">{e.title}</strong>
          {e.detail && <span class="tl-detail">{e.detail}</span>}
          {e.actor && (
            <span class="tl-actor">
              by <Actor actor={e.actor} />
            </span>
          )}
          {e.reason && <span class="tl-reason">reason: “{e.reason}”</span>}
        </li>
      ))}
    </ol>
  );
}
