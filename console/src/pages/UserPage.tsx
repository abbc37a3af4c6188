import { useState } from 'preact/hooks';
import { gql, useSession } from '../app/api.js';
import { Link } from '../app/router.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { RevokeDialog } from '../components/RevokeDialog.js';
import { plural, when } from './format.js';
import { Pager, usePager } from './Pager.js';
import {
  clientHref,
  Facts,
  grantHref,
  Notice,
  PageState,
  SessionList,
  StatusBadge,
  TOKEN_ROW,
  TokenTable,
} from './shared.js';
import type { Session, TokenConnection } from './types.js';
import { UserRoles } from './UserRoles.js';
import { useQuery } from './useQuery.js';
import './pages.css';

const PAGE_SIZE = 20;
const USER = `query UserPage($sub: ID!, $first: Int!, $after: String) {
  user(sub: $sub) {
    sub username name email emailVerified disabled erased createdAt updatedAt roles liveTokenCount
    sessions { active amr authenticatedAt expiresAt endedAt endReason }
    grants { id clientId status createdAt scopes }
    tokens(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { ${TOKEN_ROW} } }
    }
  }
}`;
const DISABLE = `mutation DisableUser($sub: ID!, $reason: String!) { disableUser(sub: $sub, reason: $reason) { sub disabled } }`;
const ENABLE = `mutation EnableUser($sub: ID!, $reason: String!) { enableUser(sub: $sub, reason: $reason) { sub disabled } }`;

interface UserDetail {
  sub: string;
  username: string;
  name: string | null;
  email: string | null;
  emailVerified: boolean;
  disabled: boolean;
  erased: boolean;
  createdAt: string;
  updatedAt: string;
  roles: string[];
  liveTokenCount: number;
  sessions: Session[];
  grants: { id: string; clientId: string; status: string; createdAt: string; scopes: string[] }[];
  tokens: TokenConnection;
}

type Dialog = 'revoke' | 'disable' | 'enable' | null;

function Grants({ grants }: { grants: UserDetail['grants'] }) {
  if (grants.length === 0) return <p>No grants.</p>;
  return (
    <ul class="plain cards">
      {grants.map((g) => (
        <li key={g.id}>
          <Link href={grantHref(g.id)}>
            <code>{g.id}</code>
          </Link>{' '}
          for <Link href={clientHref(g.clientId)}>{g.clientId}</Link> <StatusBadge status={g.status} /> since{' '}
          {when(g.createdAt)} · <code>{g.scopes.join(' ')}</code>
        </li>
      ))}
    </ul>
  );
}

export function UserPage({ sub }: { sub: string }) {
  const { canWrite } = useSession();
  const pager = usePager();
  const q = useQuery<{ user: UserDetail | null }>(USER, { sub, first: PAGE_SIZE, after: pager.after });
  const [dialog, setDialog] = useState<Dialog>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const u = q.data?.user;
  const done = async (message: string) => {
    setNotice(message);
    await q.reload();
  };
  return (
    <section class="detail" aria-labelledby="page-title">
      <h1 id="page-title">User {u ? <span>{u.username}</span> : <code class="wrap">{sub}</code>}</h1>
      <Notice message={notice} />
      <PageState
        loading={q.loading && !q.data}
        error={q.error}
        missing={q.data && !u ? 'No user has this sub.' : undefined}
      />
      {u && (
        <>
          {canWrite && (
            <div class="page-actions">
              <button type="button" class="danger" onClick={() => setDialog('revoke')}>
                Revoke everything…
              </button>
              {!u.erased && (
                <button type="button" class="secondary" onClick={() => setDialog(u.disabled ? 'enable' : 'disable')}>
                  {u.disabled ? 'Enable…' : 'Disable…'}
                </button>
              )}
            </div>
          )}
          <h2>Profile</h2>
          <Facts
            rows={[
              ['Sub', <code>{u.sub}</code>],
              ['Username', u.erased ? <StatusBadge status="erased" /> : u.username],
              ['Name', u.erased ? 'erased' : u.name],
              [
                'Email',
                u.erased ? 'erased' : u.email && `${u.email}${u.emailVerified ? ' (verified)' : ' (not verified)'}`,
              ],
              ['Status', <StatusBadge status={u.erased ? 'erased' : u.disabled ? 'disabled' : 'active'} />],
              ['Live tokens', u.liveTokenCount],
              ['Created', when(u.createdAt)],
              ['Updated', when(u.updatedAt)],
            ]}
          />
          <h2>Roles</h2>
          <UserRoles sub={u.sub} username={u.username} roles={u.roles} canWrite={canWrite} onChanged={done} />
          <h2>Sessions</h2>
          <SessionList sessions={u.sessions} empty="No sessions." />
          <h2>Grants</h2>
          <Grants grants={u.grants} />
          <h2>Tokens</h2>
          <TokenTable
            tokens={u.tokens.edges.map((e) => e.node)}
            caption={`${plural(u.tokens.totalCount, 'token')} in issue order, ${PAGE_SIZE} a page`}
          />
          <Pager label="Token pages" info={u.tokens.pageInfo} pager={pager} />
          {canWrite && (
            <>
              <RevokeDialog
                open={dialog === 'revoke'}
                onClose={() => setDialog(null)}
                target={{ kind: 'subject', sub: u.sub, username: u.username, live: u.liveTokenCount }}
                onDone={done}
              />
              <ConfirmDialog
                open={dialog === 'disable'}
                title={`Disable ${u.username}`}
                action="Disable user"
                onClose={() => setDialog(null)}
                onConfirm={async (reason) => {
                  await gql(DISABLE, { sub: u.sub, reason });
                  await done('User disabled.');
                }}
              >
                <p>
                  <code>{u.username}</code> can no longer sign in; their sessions, grants and{' '}
                  <strong class="count">{plural(u.liveTokenCount, 'live token')}</strong> are revoked at once.
                </p>
              </ConfirmDialog>
              <ConfirmDialog
                open={dialog === 'enable'}
                title={`Enable ${u.username}`}
                action="Enable user"
                onClose={() => setDialog(null)}
                onConfirm={async (reason) => {
                  await gql(ENABLE, { sub: u.sub, reason });
                  await done('User enabled.');
                }}
              >
                <p>
                  <code>{u.username}</code> may sign in again; what disabling revoked stays revoked.
                </p>
              </ConfirmDialog>
            </>
          )}
        </>
      )}
    </section>
  );
}
