import type { ComponentChildren } from 'preact';
import { Link } from '../app/router.js';
import { when } from './format.js';
import type { Session, TokenRow } from './types.js';

export const tokenHref = (jti: string) => `/console/tokens/${encodeURIComponent(jti)}`;
export const grantHref = (id: string) => `/console/grants/${encodeURIComponent(id)}`;
export const userHref = (sub: string) => `/console/users/${encodeURIComponent(sub)}`;
export const clientHref = (clientId: string) => `/console/clients/${encodeURIComponent(clientId)}`;

/** A status in words and colour (the colour is never the only sign). */
export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{status.toLowerCase()}</span>;
}

/** A term/description list of facts. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Loading, failure and not-found, said the same way on every page. */
export function PageState(props: { loading: boolean; error?: Error; missing?: string }) {
  if (props.error)
    return (
      <p class="error" role="alert">
        {props.error.message}
      </p>
    );
  if (props.loading) return <p aria-live="polite">Loading…</p>;
  return props.missing ? <p>{props.missing}</p> : null;
}

/** What the last action did, announced to screen readers. */
export function Notice({ message }: { message: string | null }) {
  return (
    <p class="notice" role="status">
      {message ?? ''}
    </p>
  );
}

/** A table of tokens, each linking to its page; one card per row on a narrow screen (the console's table.cards). */
export function TokenTable({ tokens, caption }: { tokens: TokenRow[]; caption: string }) {
  if (tokens.length === 0) return <p>No tokens.</p>;
  return (
    <div class="table-wrap">
      <table class="cards">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Token</th>
            <th scope="col">Kind</th>
            <th scope="col">Client</th>
            <th scope="col">Status</th>
            <th scope="col">Issued</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr key={t.jti}>
              <td data-label="Token">
                <Link href={tokenHref(t.jti)}>
                  <code>{t.jti}</code>
                </Link>
              </td>
              <td data-label="Kind">{t.kind === 'refresh_token' ? 'refresh' : 'access'}</td>
              <td data-label="Client">
                <Link href={clientHref(t.clientId)}>{t.clientId}</Link>
              </td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
              </td>
              <td data-label="Issued">
                <time dateTime={t.issuedAt}>{when(t.issuedAt)}</time>
              </td>
              <td data-label="Expires">
                <time dateTime={t.expiresAt}>{when(t.expiresAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export const TOKEN_ROW = 'jti kind clientId subject status issuedAt expiresAt revokedAt revocationReason';

/** Sessions, newest as the API orders them: when and how the person signed in, and how it ended. */
export function SessionList({ sessions, empty }: { sessions: Session[]; empty: string }) {
  if (sessions.length === 0) return <p>{empty}</p>;
  return (
    <ul class="plain cards">
      {sessions.map((s) => (
        <li key={s.authenticatedAt}>
          <StatusBadge status={s.active ? 'active' : 'ended'} /> signed in {when(s.authenticatedAt)} ({s.amr.join(', ')}
          )
          {s.active
            ? `, until ${when(s.expiresAt)}`
            : `, ended ${when(s.endedAt)}${s.endReason ? `: “${s.endReason}”` : ''}`}
        </li>
      ))}
    </ul>
  );
}
