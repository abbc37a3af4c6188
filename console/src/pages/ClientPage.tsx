import { useState } from 'preact/hooks';
import { gql, useSession } from '../app/api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { RevokeDialog } from '../components/RevokeDialog.js';
import { ActivityChart, type ActivityBucket } from '../dashboard/ActivityChart.js';
import { ClientSecret } from './ClientSecret.js';
import { plural, when } from './format.js';
import { Facts, Notice, PageState, StatusBadge } from './shared.js';
import { useQuery } from './useQuery.js';
import './pages.css';

const HOURS = 6;
const CLIENT = `query ClientPage($clientId: ID!, $ofClient: String!, $since: DateTime!) {
  client(clientId: $clientId) {
    clientId name disabled deleted hasSecret tokenEndpointAuthMethod grantTypes redirectUris scope
    accessTokenFormat accessTokenSigningAlg accessTokenTtl registeredAt registeredBy updatedAt lastUsedAt
    previousSecretExpiresAt previousSecretLastUsedAt liveTokenCount metadata
  }
  activity(since: $since, bucketSeconds: 60, clientId: $ofClient) {
    at issued refreshed revoked loginFailed clientAuthFailed
  }
}`;
const DISABLE = `mutation DisableClient($clientId: ID!, $reason: String!) {
  disableClient(clientId: $clientId, reason: $reason) { clientId disabled }
}`;

interface ClientDetail {
  clientId: string;
  name: string | null;
  disabled: boolean;
  deleted: boolean;
  hasSecret: boolean;
  tokenEndpointAuthMethod: string;
  grantTypes: string[];
  redirectUris: string[];
  scope: string;
  accessTokenFormat: string;
  accessTokenSigningAlg: string;
  accessTokenTtl: number;
  registeredAt: string;
  registeredBy: string;
  updatedAt: string;
  lastUsedAt: string | null;
  previousSecretExpiresAt: string | null;
  previousSecretLastUsedAt: string | null;
  liveTokenCount: number;
  metadata: unknown;
}

type Dialog = 'revoke' | 'disable' | null;

function previousSecret(c: ClientDetail): string | null {
  if (!c.previousSecretExpiresAt) return null;
  const until = when(c.previousSecretExpiresAt);
  return Date.parse(c.previousSecretExpiresAt) > Date.now() ? `works until ${until}` : `stopped ${until}`;
}

export function ClientPage({ clientId }: { clientId: string }) {
  const { canWrite } = useSession();
  // Fixed when the page opens, so that re-querying after an action asks for the same window.
  const [since] = useState(() => new Date(Date.now() - HOURS * 3600_000).toISOString());
  const q = useQuery<{ client: ClientDetail | null; activity: ActivityBucket[] }>(CLIENT, {
    clientId,
    ofClient: clientId,
    since,
  });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const c = q.data?.client;
  const done = async (message: string) => {
    setNotice(message);
    await q.reload();
  };
  return (
    <section class="detail" aria-labelledby="page-title">
      <h1 id="page-title">
        Client <code class="wrap">{clientId}</code>
      </h1>
      <Notice message={notice} />
      <PageState
        loading={q.loading && !q.data}
        error={q.error}
        missing={q.data && !c ? 'No client has this id.' : undefined}
      />
      {c && (
        <>
          {canWrite && !c.deleted && (
            <div class="page-actions">
              <button type="button" class="danger" onClick={() => setDialog('revoke')}>
                Revoke its tokens…
              </button>
              {!c.disabled && (
                <button type="button" class="secondary" onClick={() => setDialog('disable')}>
                  Disable…
                </button>
              )}
              {c.hasSecret && !c.disabled && <ClientSecret clientId={c.clientId} onRotated={done} />}
            </div>
          )}
          <Facts
            rows={[
              ['Name', c.name],
              ['Status', <StatusBadge status={c.deleted ? 'deleted' : c.disabled ? 'disabled' : 'active'} />],
              ['Registered', `${when(c.registeredAt)} by ${c.registeredBy.toLowerCase().replace('_', ' ')}`],
              ['Last used', when(c.lastUsedAt)],
              ['Live tokens', c.liveTokenCount],
              ['Authentication', c.tokenEndpointAuthMethod],
              ['Secret', c.hasSecret ? 'set (never shown)' : 'none'],
              ['Previous secret', previousSecret(c)],
              ['Grant types', c.grantTypes.join(', ')],
              ['Scope', <code>{c.scope}</code>],
              ['Redirect URIs', c.redirectUris.length ? c.redirectUris.join(' ') : null],
              ['Access tokens', `${c.accessTokenFormat}, ${c.accessTokenSigningAlg}, ${c.accessTokenTtl} s`],
            ]}
          />
          <details>
            <summary>All metadata (RFC 7591)</summary>
            <pre class="json">{JSON.stringify(c.metadata, null, 2)}</pre>
          </details>
          <h2>Token rates, last {HOURS} hours</h2>
          <ActivityChart
            title={`Tokens of ${c.clientId}`}
            buckets={q.data?.activity ?? []}
            series={['issued', 'refreshed', 'revoked', 'clientAuthFailed']}
          />
          {canWrite && (
            <>
              <RevokeDialog
                open={dialog === 'revoke'}
                onClose={() => setDialog(null)}
                target={{ kind: 'client', clientId: c.clientId, live: c.liveTokenCount }}
                onDone={done}
              />
              <ConfirmDialog
                open={dialog === 'disable'}
                title={`Disable ${c.clientId}`}
                action="Disable client"
                onClose={() => setDialog(null)}
                onConfirm={async (reason) => {
                  await gql(DISABLE, { clientId: c.clientId, reason });
                  await done('Client disabled.');
                }}
              >
                <p>
                  <code>{c.clientId}</code> can no longer authenticate; its grants and{' '}
                  <strong class="count">{plural(c.liveTokenCount, 'live token')}</strong> are revoked at once.
                </p>
              </ConfirmDialog>
            </>
          )}
        </>
      )}
    </section>
  );
}
