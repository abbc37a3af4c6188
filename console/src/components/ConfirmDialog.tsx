import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';

interface ConfirmDialogProps {
  open: boolean;
  title: string;
  /** What will happen, in words: what is affected and how much. */
  children: ComponentChildren;
  /** The confirm button's words once the form is complete, e.g. "Revoke 3 tokens". */
  action: string;
  /** A reason the ledger records with the change; the API refuses an empty one, so the form does too. */
  reason?: boolean;
  /** More fields (a role to grant, a grace period); their values are the caller's state. */
  fields?: ComponentChildren;
  /** Runs the change; a throw is shown in the dialog, which stays open. */
  onConfirm: (reason: string) => Promise<void>;
  onClose: () => void;
}

/**
 * A modal confirmation on the native <dialog>: showModal() traps focus and makes the page behind it inert, Escape
 * closes it (the cancel event), and focus goes back to the button that opened it.
 */
export function ConfirmDialog(props: ConfirmDialogProps) {
  const { open, onClose } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const id = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement as HTMLElement | null;
      setReason('');
      setError(null);
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  const closed = () => {
    // Back to the button that opened it; if the action removed that button, to the page's main region.
    const back = opener.current?.isConnected ? opener.current : document.getElementById('main');
    back?.focus();
    onClose();
  };

  const needsReason = props.reason !== false;
  const ready = !needsReason || reason.trim().length > 0;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!ready || busy) return;
    setBusy(true);
    setError(null);
    try {
      await props.onConfirm(reason.trim());
      ref.current?.close();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} class="confirm" aria-labelledby={`${id}-title`} aria-describedby={`${id}-what`} onClose={closed}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id={`${id}-title`}>{props.title}</h2>
        <div id={`${id}-what`} class="confirm-what">
          {props.children}
        </div>
        {props.fields}
        {needsReason && (
          <div class="field">
            <label for={`${id}-reason`}>Reason (recorded in the ledger)</label>
            <textarea
              id={`${id}-reason`}
              name="reason"
              rows={2}
              maxLength={200}
              required
              autofocus
              value={reason}
              onInput={(e) => setReason(e.currentTarget.value)}
            />
          </div>
        )}
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="actions">
          <button type="button" class="secondary" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" class="danger" disabled={!ready || busy} aria-disabled={!ready || busy}>
            {busy ? 'Working…' : ready ? props.action : 'A reason is required'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
