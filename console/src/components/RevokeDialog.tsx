import { gql } from '../app/api.js';
import { plural } from '../pages/format.js';
import { ConfirmDialog } from './ConfirmDialog.js';

/** What a revocation takes: one token (a refresh token takes its grant), a grant, or all of a subject's or client's. */
type RevokeTarget =
  | { kind: 'token'; jti: string; tokenKind: string; clientId: string; grantId: string | null; live: number }
  | { kind: 'grant'; id: string; subject: string; clientId: string; live: number }
  | { kind: 'subject'; sub: string; username: string; live: number }
  | { kind: 'client'; clientId: string; live: number };

const REVOKE_TOKEN = `mutation RevokeToken($jti: ID!, $reason: String!) {
  revokeToken(jti: $jti, reason: $reason) { jti status }
}`;
const REVOKE_GRANT = `mutation RevokeGrant($id: ID!, $reason: String!) {
  revokeGrant(id: $id, reason: $reason) { id status }
}`;
const REVOKE_SUBJECT = `mutation RevokeSubjectTokens($subject: ID!, $reason: String!) {
  revokeSubjectTokens(subject: $subject, reason: $reason)
}`;
const REVOKE_CLIENT = `mutation RevokeClientTokens($clientId: ID!, $reason: String!) {
  revokeClientTokens(clientId: $clientId, reason: $reason)
}`;

function titleOf(t: RevokeTarget): string {
  switch (t.kind) {
    case 'token':
      return t.tokenKind === 'refresh_token' ? 'Revoke this refresh token and its grant' : 'Revoke this access token';
    case 'grant':
      return 'Revoke this grant';
    case 'subject':
      return `Revoke everything of ${t.username}`;
    case 'client':
      return `Revoke every token of ${t.clientId}`;
  }
}

function Consequence({ target: t }: { target: RevokeTarget }) {
  const live = <strong class="count">{plural(t.live, 'live token')}</strong>;
  switch (t.kind) {
    case 'token':
      if (t.tokenKind === 'refresh_token' && t.grantId)
        return (
          <p>
            Refresh token <code>{t.jti}</code> takes its grant <code>{t.grantId}</code> with it: {live} stop working at
            once, and the grant can no longer be refreshed.
          </p>
        );
      return (
        <p>
          Access token <code>{t.jti}</code> of client <code>{t.clientId}</code> stops working at once: {live}.
        </p>
      );
    case 'grant':
      return (
        <p>
          Grant <code>{t.id}</code> of <code>{t.subject}</code> for client <code>{t.clientId}</code>: {live} stop
          working at once, and the grant can no longer be refreshed.
        </p>
      );
    case 'subject':
      return (
        <p>
          Every grant and token of <code>{t.username}</code> ({t.sub}): {live} stop working at once. Their sign-in
          sessions stay; disable the user to end those too.
        </p>
      );
    case 'client':
      return (
        <p>
          Every grant and token issued to client <code>{t.clientId}</code>: {live} stop working at once. The client can
          still ask for new ones; disable it to stop that.
        </p>
      );
  }
}

const wereLive = (n: number) => `Revoked: ${plural(n, 'token')} ${n === 1 ? 'was' : 'were'} live.`;

/** Runs the revocation; answers what to tell the operator. */
async function revoke(t: RevokeTarget, reason: string): Promise<string> {
  switch (t.kind) {
    case 'token':
      await gql(REVOKE_TOKEN, { jti: t.jti, reason });
      return t.tokenKind === 'refresh_token' && t.grantId ? 'Token and its grant revoked.' : 'Token revoked.';
    case 'grant':
      await gql(REVOKE_GRANT, { id: t.id, reason });
      return 'Grant revoked.';
    case 'subject': {
      const r = await gql<{ revokeSubjectTokens: number }>(REVOKE_SUBJECT, { subject: t.sub, reason });
      return wereLive(r.revokeSubjectTokens);
    }
    case 'client': {
      const r = await gql<{ revokeClientTokens: number }>(REVOKE_CLIENT, { clientId: t.clientId, reason });
      return wereLive(r.revokeClientTokens);
    }
  }
}

/** The confirmation before any revocation: names what goes and how many tokens, and asks why. */
export function RevokeDialog(props: {
  target: RevokeTarget;
  open: boolean;
  onClose: () => void;
  /** After the revocation, with a sentence saying what happened: the page queries again. */
  onDone: (message: string) => void | Promise<void>;
}) {
  const { target } = props;
  return (
    <ConfirmDialog
      open={props.open}
      title={titleOf(target)}
      action={target.live > 0 ? `Revoke ${plural(target.live, 'token')}` : 'Revoke'}
      onClose={props.onClose}
      onConfirm={async (reason) => {
        await props.onDone(await revoke(target, reason));
      }}
    >
      <Consequence target={target} />
    </ConfirmDialog>
  );
}
