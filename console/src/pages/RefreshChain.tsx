import { Link } from '../app/router.js';
import { when } from './format.js';
import { StatusBadge, tokenHref } from './shared.js';
import type { LedgerEvent, TokenRow } from './types.js';

/** Where reuse was detected: the replayed refresh token, when, and the live tokens the grant's revocation ended. */
export interface Reuse {
  at: string;
  replayedJti: string | null;
  kind: 'refresh' | 'code';
  killed: TokenRow[];
}

/** The reuse detection in the grant's history, if any, and what died with it. */
export function reuseOf(history: LedgerEvent[], tokens: TokenRow[]): Reuse | null {
  const e = history.find((h) => h.type === 'RefreshTokenReuseDetected' || h.type === 'AuthorizationCodeReuseDetected');
  if (!e) return null;
  const at = Date.parse(e.recordedAt);
  // The grant's revocation is written with the detection: the tokens it revoked are those revoked from then on
  // (those revoked earlier were rotated out or revoked on their own).
  const killed = tokens.filter((t) => t.revokedAt && Date.parse(t.revokedAt) >= at);
  const replayedJti = typeof e.data.jti === 'string' ? e.data.jti : null;
  return { at: e.recordedAt, replayedJti, kind: e.type === 'RefreshTokenReuseDetected' ? 'refresh' : 'code', killed };
}

/** The grant's refresh tokens as a chain, oldest first: each was rotated into the next. */
export function RefreshChain({ chain, reuse }: { chain: TokenRow[]; reuse: Reuse | null }) {
  if (chain.length === 0) return <p>This grant has no refresh tokens.</p>;
  const killed = new Set(reuse?.killed.map((t) => t.jti));
  return (
    <ol class="chain" aria-label="Refresh chain, oldest first">
      {chain.map((t, i) => {
        const replayed = reuse?.replayedJti === t.jti;
        return (
          <li
            key={t.jti}
            class={`chain-link${replayed ? ' chain-replayed' : ''}${killed.has(t.jti) ? ' chain-killed' : ''}`}
          >
            <span class="chain-step">#{i + 1}</span>
            <Link href={tokenHref(t.jti)}>
              <code>{t.jti}</code>
            </Link>
            {/* A link that was rotated into the next stopped that way: the ledger's reason says so. */}
            <StatusBadge status={t.status === 'REVOKED' && t.revocationReason === 'rotated' ? 'rotated' : t.status} />
            <time dateTime={t.issuedAt}>{when(t.issuedAt)}</time>
            {replayed && reuse && (
              <strong class="chain-mark">
                Replayed at <time dateTime={reuse.at}>{when(reuse.at)}</time>: reuse detected
              </strong>
            )}
            {killed.has(t.jti) && <span class="chain-mark">killed by the reuse detection</span>}
          </li>
        );
      })}
    </ol>
  );
}
