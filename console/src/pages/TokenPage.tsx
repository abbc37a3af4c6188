import { useState } from 'preact/hooks';
import { useSession } from '../app/api.js';
import { Link } from '../app/router.js';
import { RevokeDialog } from '../components/RevokeDialog.js';
import { when } from './format.js';
import { clientHref, Facts, grantHref, Notice, PageState, StatusBadge, tokenHref, userHref } from './shared.js';
import { StatusAt } from './StatusAt.js';
import { TokenTimeline } from './TokenTimeline.js';
import type { LedgerEvent, TokenStatus } from './types.js';
import { useQuery } from './useQuery.js';
import './pages.css';

const TOKEN = `query TokenPage($jti: ID!) {
  token(jti: $jti) {
    jti kind clientId subject scope audience status issuedAt expiresAt revokedAt revocationReason
    grantId boundKeyThumbprint act
    statusListEntry { uri index }
    grant { id status liveTokenCount }
    derivedFrom { jti kind status clientId }
    derivatives { jti kind status clientId issuedAt }
    history { position type recordedAt actor reason data }
  }
}`;

interface Related {
  jti: string;
  kind: string;
  status: TokenStatus;
  clientId: string;
}

interface TokenDetail {
  jti: string;
  kind: string;
  clientId: string;
  subject: string | null;
  scope: string | null;
  audience: string[] | null;
  status: TokenStatus;
  issuedAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
  grantId: string | null;
  boundKeyThumbprint: string | null;
  act: unknown;
  statusListEntry: { uri: string; index: number } | null;
  grant: { id: string; status: string; liveTokenCount: number } | null;
  derivedFrom: Related | null;
  derivatives: Related[];
  history: LedgerEvent[];
}

function RelatedToken({ t }: { t: Related }) {
  return (
    <>
      <Link href={tokenHref(t.jti)}>
        <code>{t.jti}</code>
      </Link>{' '}
      ({t.kind === 'refresh_token' ? 'refresh' : 'access'} token of {t.clientId}) <StatusBadge status={t.status} />
    </>
  );
}

/** Its claims as the ledger recorded them; never the token itself, which the ledger does not hold. */
function Claims({ t }: { t: TokenDetail }) {
  return (
    <Facts
      rows={[
        ['Kind', t.kind],
        ['Status', <StatusBadge status={t.status} />],
        ['Client', <Link href={clientHref(t.clientId)}>{t.clientId}</Link>],
        ['Subject', t.subject ? <Link href={userHref(t.subject)}>{t.subject}</Link> : null],
        ['Grant', t.grantId ? <Link href={grantHref(t.grantId)}>{t.grantId}</Link> : 'none (client credentials)'],
        ['Scope', t.scope ? <code>{t.scope}</code> : null],
        ['Audience', t.audience?.join(' ')],
        ['Issued', <time dateTime={t.issuedAt}>{when(t.issuedAt)}</time>],
        ['Expires', <time dateTime={t.expiresAt}>{when(t.expiresAt)}</time>],
        ['Revoked', t.revokedAt ? `${when(t.revokedAt)}: “${t.revocationReason ?? ''}”` : null],
        ['DPoP key (jkt)', t.boundKeyThumbprint ? <code>{t.boundKeyThumbprint}</code> : 'not bound'],
        ['Act (RFC 8693)', t.act ? <code>{JSON.stringify(t.act)}</code> : null],
        [
          'Status list slot',
          t.statusListEntry ? (
            <>
              index <code>{t.statusListEntry.index}</code> of <code>{t.statusListEntry.uri}</code>
            </>
          ) : (
            'none'
          ),
        ],
      ]}
    />
  );
}

/** How many live tokens revoking this one stops: a refresh token takes its grant with it. */
function liveCount(t: TokenDetail): number {
  if (t.kind === 'refresh_token' && t.grant) return t.grant.liveTokenCount;
  return t.status === 'ACTIVE' ? 1 : 0;
}

export function TokenPage({ jti }: { jti: string }) {
  const { canWrite } = useSession();
  const q = useQuery<{ token: TokenDetail | null }>(TOKEN, { jti });
  const [revoking, setRevoking] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const t = q.data?.token;
  return (
    <section class="detail" aria-labelledby="page-title">
      <h1 id="page-title">
        Token <code class="wrap">{jti}</code>
      </h1>
      <Notice message={notice} />
      <PageState
        loading={q.loading && !q.data}
        error={q.error}
        missing={q.data && !t ? 'No token has this jti.' : undefined}
      />
      {t && (
        <>
          {canWrite && t.status === 'ACTIVE' && (
            <div class="page-actions">
              <button type="button" class="danger" onClick={() => setRevoking(true)}>
                Revoke…
              </button>
            </div>
          )}
          <h2>Timeline</h2>
          <TokenTimeline jti={t.jti} history={t.history} expiresAt={t.expiresAt} revokedAt={t.revokedAt} />
          <h2>Status at a moment</h2>
          <StatusAt jti={t.jti} />
          <h2>Claims</h2>
          <Claims t={t} />
          <h2>Delegation</h2>
          <Facts
            rows={[
              ['Exchanged from', t.derivedFrom ? <RelatedToken t={t.derivedFrom} /> : 'none'],
              [
                'Exchanged for',
                t.derivatives.length ? (
                  <ul class="plain">
                    {t.derivatives.map((d) => (
                      <li key={d.jti}>
                        <RelatedToken t={d} />
                      </li>
                    ))}
                  </ul>
                ) : (
                  'none'
                ),
              ],
            ]}
          />
          {canWrite && (
            <RevokeDialog
              open={revoking}
              onClose={() => setRevoking(false)}
              target={{
                kind: 'token',
                jti: t.jti,
                tokenKind: t.kind,
                clientId: t.clientId,
                grantId: t.grantId,
                live: liveCount(t),
              }}
              onDone={async (message) => {
                setNotice(message);
                await q.reload();
              }}
            />
          )}
        </>
      )}
    </section>
  );
}
