import { useState } from 'preact/hooks';
import { useSession } from '../app/api.js';
import { Link } from '../app/router.js';
import { RevokeDialog } from '../components/RevokeDialog.js';
import { plural, when } from './format.js';
import { GrantSessions } from './GrantSessions.js';
import { RefreshChain, reuseOf, type Reuse } from './RefreshChain.js';
import { clientHref, Facts, Notice, PageState, StatusBadge, TOKEN_ROW, TokenTable, userHref } from './shared.js';
import type { LedgerEvent, TokenRow } from './types.js';
import { useQuery } from './useQuery.js';
import './pages.css';

const GRANT = `query GrantPage($id: ID!) {
  grant(id: $id) {
    id clientId subject scopes status createdAt revokedAt revocationReason requestedVia
    reuseDetectedAt liveTokenCount
    refreshChain { ${TOKEN_ROW} }
    tokens { ${TOKEN_ROW} }
    history { position type recordedAt actor reason data }
  }
}`;

interface GrantDetail {
  id: string;
  clientId: string;
  subject: string;
  scopes: string[];
  status: 'ACTIVE' | 'REVOKED';
  createdAt: string;
  revokedAt: string | null;
  revocationReason: string | null;
  requestedVia: string;
  reuseDetectedAt: string | null;
  liveTokenCount: number;
  refreshChain: TokenRow[];
  tokens: TokenRow[];
  history: LedgerEvent[];
}

function ReuseSummary({ reuse }: { reuse: Reuse }) {
  const what =
    reuse.kind === 'refresh'
      ? 'A refresh token was presented again after it had been rotated'
      : 'The authorization code was redeemed twice';
  return (
    <div class="alert" role="note">
      <strong>Reuse detected at {when(reuse.at)}.</strong> {what}: one of its holders is not who they say, so the grant
      was revoked. It ended {plural(reuse.killed.length, 'token')} then
      {reuse.killed.length > 0 && (
        <>
          :{' '}
          {reuse.killed.map((t, i) => (
            <span key={t.jti}>
              {i > 0 && ', '}
              <Link href={`/console/tokens/${encodeURIComponent(t.jti)}`}>
                <code>{t.jti}</code>
              </Link>{' '}
              ({t.kind === 'refresh_token' ? 'refresh' : 'access'})
            </span>
          ))}
        </>
      )}
      .
    </div>
  );
}

export function GrantPage({ id }: { id: string }) {
  const { canWrite } = useSession();
  const q = useQuery<{ grant: GrantDetail | null }>(GRANT, { id });
  const [revoking, setRevoking] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const g = q.data?.grant;
  const reuse = g ? reuseOf(g.history, g.tokens) : null;
  return (
    <section class="detail" aria-labelledby="page-title">
      <h1 id="page-title">
        Grant <code class="wrap">{id}</code>
      </h1>
      <Notice message={notice} />
      <PageState
        loading={q.loading && !q.data}
        error={q.error}
        missing={q.data && !g ? 'No grant has this id.' : undefined}
      />
      {g && (
        <>
          {canWrite && g.status === 'ACTIVE' && (
            <div class="page-actions">
              <button type="button" class="danger" onClick={() => setRevoking(true)}>
                Revoke grant…
              </button>
            </div>
          )}
          <Facts
            rows={[
              ['Status', <StatusBadge status={g.status} />],
              ['Subject', <Link href={userHref(g.subject)}>{g.subject}</Link>],
              ['Client', <Link href={clientHref(g.clientId)}>{g.clientId}</Link>],
              ['Scopes', <code>{g.scopes.join(' ')}</code>],
              ['Requested via', g.requestedVia.toLowerCase().replace('_', ' ')],
              ['Created', when(g.createdAt)],
              ['Live tokens', g.liveTokenCount],
              ['Revoked', g.revokedAt ? `${when(g.revokedAt)}: “${g.revocationReason ?? ''}”` : null],
            ]}
          />
          {reuse && <ReuseSummary reuse={reuse} />}
          <h2>Refresh chain</h2>
          <RefreshChain chain={g.refreshChain} reuse={reuse} />
          <h2>Sessions</h2>
          <GrantSessions subject={g.subject} history={g.history} />
          <h2>Tokens</h2>
          <TokenTable tokens={g.tokens} caption={`Every token of this grant, in issue order (${g.tokens.length})`} />
          {canWrite && (
            <RevokeDialog
              open={revoking}
              onClose={() => setRevoking(false)}
              target={{ kind: 'grant', id: g.id, subject: g.subject, clientId: g.clientId, live: g.liveTokenCount }}
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
