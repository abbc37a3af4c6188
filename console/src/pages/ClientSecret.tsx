import { useId, useState } from 'preact/hooks';
import { gql } from '../app/api.js';
import { ConfirmDialog } from '../components/ConfirmDialog.js';
import { when } from './format.js';

const ROTATE = `mutation RotateClientSecret($clientId: ID!, $graceSeconds: Int) {
  rotateClientSecret(clientId: $clientId, graceSeconds: $graceSeconds) {
    clientSecret client { clientId previousSecretExpiresAt }
  }
}`;

const GRACE = [
  { seconds: 0, label: 'none: the old secret stops at once' },
  { seconds: 3600, label: 'one hour' },
  { seconds: 86400, label: 'one day (default)' },
  { seconds: 7 * 86400, label: 'seven days' },
];

interface Rotated {
  secret: string;
  oldUntil: string | null;
}

/** The new secret, this once: the ledger keeps only its hash. */
function SecretReveal({ rotated, onDismiss }: { rotated: Rotated; onDismiss: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(rotated.secret);
      setCopied('Copied.');
    } catch {
      setCopied('Copying was refused: select the secret and copy it by hand.');
    }
  };
  return (
    <div class="secret-reveal" role="region" aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>New client secret</h3>
      <p class="warning">
        <strong>Shown this once.</strong> Copy it now and give it to the client&apos;s operator: the server keeps only
        its hash, and nobody can show it again.{' '}
        {rotated.oldUntil
          ? `The old secret keeps working until ${when(rotated.oldUntil)}.`
          : 'The old secret has stopped working.'}
      </p>
      <label for={`${id}-secret`}>Client secret</label>
      <div class="secret-row">
        <input
          id={`${id}-secret`}
          class="secret"
          readOnly
          value={rotated.secret}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p role="status">{copied}</p>
      <button type="button" class="secondary" onClick={onDismiss}>
        I have saved it
      </button>
    </div>
  );
}

/** Secret rotation: a grace period for the old secret, then the new one shown once. */
export function ClientSecret(props: { clientId: string; onRotated: (message: string) => Promise<void> }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [grace, setGrace] = useState(86400);
  const [rotated, setRotated] = useState<Rotated | null>(null);
  return (
    <>
      {rotated ? (
        <SecretReveal rotated={rotated} onDismiss={() => setRotated(null)} />
      ) : (
        <button type="button" class="secondary" onClick={() => setOpen(true)}>
          Rotate secret…
        </button>
      )}
      <ConfirmDialog
        open={open}
        title={`Rotate the secret of ${props.clientId}`}
        action="Rotate secret"
        reason={false}
        onClose={() => setOpen(false)}
        fields={
          <div class="field">
            <label for={`${id}-grace`}>The old secret keeps working for</label>
            <select id={`${id}-grace`} value={grace} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
              {GRACE.map((g) => (
                <option key={g.seconds} value={g.seconds}>
                  {g.label}
                </option>
              ))}
            </select>
          </div>
        }
        onConfirm={async () => {
          const r = await gql<{
            rotateClientSecret: { clientSecret: string; client: { previousSecretExpiresAt: string | null } };
          }>(ROTATE, { clientId: props.clientId, graceSeconds: grace });
          const oldUntil = r.rotateClientSecret.client.previousSecretExpiresAt;
          setRotated({
            secret: r.rotateClientSecret.clientSecret,
            oldUntil: oldUntil && Date.parse(oldUntil) > Date.now() ? oldUntil : null,
          });
          await props.onRotated('Secret rotated.');
        }}
      >
        <p>A new secret is generated and shown once. The client must switch to it before the old one stops.</p>
      </ConfirmDialog>
    </>
  );
}
