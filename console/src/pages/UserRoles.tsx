import { useId, useState } from 'preact/hooks';
import { gql } from '../app/api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';

const ROLES = ['ledger:admin', 'ledger:audit'];
const GRANT_ROLE = `mutation GrantRole($sub: ID!, $role: String!, $reason: String!) {
  grantRole(sub: $sub, role: $role, reason: $reason) { sub roles }
}`;
const REVOKE_ROLE = `mutation RevokeRole($sub: ID!, $role: String!, $reason: String!) {
  revokeRole(sub: $sub, role: $role, reason: $reason) { sub roles }
}`;

/** A person's operator roles; an admin may grant one they lack or take one away, with a reason. */
export function UserRoles(props: {
  sub: string;
  username: string;
  roles: string[];
  canWrite: boolean;
  onChanged: (message: string) => Promise<void>;
}) {
  const id = useId();
  const missing = ROLES.filter((r) => !props.roles.includes(r));
  const [granting, setGranting] = useState(false);
  const [role, setRole] = useState(missing[0] ?? ROLES[0]);
  const [revoking, setRevoking] = useState<string | null>(null);
  return (
    <>
      {props.roles.length === 0 ? (
        <p>No operator role.</p>
      ) : (
        <ul class="plain roles">
          {props.roles.map((r) => (
            <li key={r}>
              <code>{r}</code>
              {props.canWrite && (
                <button
                  type="button"
                  class="secondary small"
                  onClick={() => setRevoking(r)}
                  aria-label={`Revoke role ${r}`}
                >
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {props.canWrite && missing.length > 0 && (
        <button
          type="button"
          class="secondary"
          onClick={() => {
            setRole(missing[0]);
            setGranting(true);
          }}
        >
          Grant a role…
        </button>
      )}
      {props.canWrite && (
        <>
          <ConfirmDialog
            open={granting}
            title={`Grant a role to ${props.username}`}
            action="Grant role"
            onClose={() => setGranting(false)}
            fields={
              <div class="field">
                <label for={`${id}-role`}>Role</label>
                <select id={`${id}-role`} value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                  {missing.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </div>
            }
            onConfirm={async (reason) => {
              await gql(GRANT_ROLE, { sub: props.sub, role, reason });
              await props.onChanged(`Role ${role} granted.`);
            }}
          >
            <p>
              ledger:admin reads and changes the ledger; ledger:audit only reads. It takes effect at their next sign-in
              to the console.
            </p>
          </ConfirmDialog>
          <ConfirmDialog
            open={revoking !== null}
            title={`Revoke role ${revoking ?? ''} from ${props.username}`}
            action="Revoke role"
            onClose={() => setRevoking(null)}
            onConfirm={async (reason) => {
              await gql(REVOKE_ROLE, { sub: props.sub, role: revoking, reason });
              await props.onChanged(`Role ${revoking ?? ''} revoked.`);
            }}
          >
            <p>
              <code>{props.username}</code> loses <code>{revoking}</code> at once, even with a token already in hand.
            </p>
          </ConfirmDialog>
        </>
      )}
    </>
  );
}
