import { useId, useState } from 'preact/hooks';
import { gql } from '../app/api.js';
import { Facts } from './shared.js';
import { downloadExport } from './ledgerExport.js';
import './pages.css';

const VERIFY = `query VerifyLedger {
  verifyLedger { ok events streams firstBroken { position stream revision reason } }
}`;
const DIGEST = `query ReplayDigest($position: String) { replayDigest(position: $position) { position digest events } }`;

interface Verification {
  ok: boolean;
  events: number;
  streams: number;
  /** Position, stream and revision are null when the fault is an event that is not there. */
  firstBroken: { position: string | null; stream: string | null; revision: number | null; reason: string } | null;
}

interface Digest {
  /** null: the whole ledger. */
  position: string | null;
  digest: string;
  events: number;
}

/** Runs one request at a time and keeps its answer or its failure. */
function useRun<T>() {
  const [state, setState] = useState<{ busy: boolean; result?: T; error?: string }>({ busy: false });
  const run = async (fn: () => Promise<T>) => {
    setState({ busy: true });
    try {
      setState({ busy: false, result: await fn() });
    } catch (err) {
      setState({ busy: false, error: (err as Error).message });
    }
  };
  return { ...state, run };
}

function Verify() {
  const v = useRun<Verification>();
  return (
    <section aria-labelledby="verify-h">
      <h2 id="verify-h">Verify the ledger</h2>
      <p>
        Checks every event&apos;s schema, each stream&apos;s hash chain, that each signed token names a key active when
        it was issued, that no position is missing, and every seal: as <code>token-ledger verify</code> does.
      </p>
      <button
        type="button"
        disabled={v.busy}
        onClick={() => void v.run(async () => (await gql<{ verifyLedger: Verification }>(VERIFY)).verifyLedger)}
      >
        {v.busy ? 'Verifying…' : 'Verify'}
      </button>
      <div aria-live="polite" class="result">
        {v.error && <p class="error">{v.error}</p>}
        {v.result && (
          <>
            <p class={v.result.ok ? 'ok' : 'error'}>
              <strong>{v.result.ok ? 'Verified: the ledger is intact.' : 'Broken: the ledger does not verify.'}</strong>
            </p>
            <Facts
              rows={[
                ['Events', v.result.events],
                ['Streams', v.result.streams],
                ...(v.result.firstBroken
                  ? ([
                      [
                        'First broken event',
                        v.result.firstBroken.position ? `position ${v.result.firstBroken.position}` : 'a missing event',
                      ],
                      ['Stream', v.result.firstBroken.stream && <code>{v.result.firstBroken.stream}</code>],
                      ['Revision', v.result.firstBroken.revision],
                      ['Why', v.result.firstBroken.reason],
                    ] as [string, preact.ComponentChildren][])
                  : []),
              ]}
            />
          </>
        )}
      </div>
    </section>
  );
}

function Replay() {
  const id = useId();
  const [position, setPosition] = useState('');
  const d = useRun<Digest>();
  const submit = (event: Event) => {
    event.preventDefault();
    const at = position.trim() || null;
    void d.run(async () => (await gql<{ replayDigest: Digest }>(DIGEST, { position: at })).replayDigest);
  };
  return (
    <section aria-labelledby="replay-h">
      <h2 id="replay-h">Replay digest</h2>
      <p>
        Rebuilds every view from zero up to a position and digests the rebuilt state: the same ledger, or an imported
        copy, answers the same digest (<code>token-ledger replay</code>).
      </p>
      <form class="inline-form" onSubmit={submit}>
        <label for={`${id}-pos`}>Position (empty: the head)</label>
        <input
          id={`${id}-pos`}
          inputMode="numeric"
          pattern="[0-9]*"
          value={position}
          onInput={(e) => setPosition(e.currentTarget.value)}
        />
        <button type="submit" disabled={d.busy}>
          {d.busy ? 'Replaying…' : 'Replay'}
        </button>
      </form>
      <div aria-live="polite" class="result">
        {d.error && <p class="error">{d.error}</p>}
        {d.result && (
          <Facts
            rows={[
              ['Replayed to', d.result.position ?? 'the head (the whole ledger)'],
              ['Events', d.result.events],
              ['Digest', <code class="wrap">{d.result.digest}</code>],
            ]}
          />
        )}
      </div>
    </section>
  );
}

function Export() {
  const e = useRun<{ bytes: number; name: string }>();
  return (
    <section aria-labelledby="export-h">
      <h2 id="export-h">Export</h2>
      <p>
        Every event as one JSON line (NDJSON) in ledger order, with its hashes, as the command{' '}
        <code>token-ledger export</code> writes it.
      </p>
      <button type="button" disabled={e.busy} onClick={() => void e.run(downloadExport)}>
        {e.busy ? 'Exporting…' : 'Download export'}
      </button>
      <p aria-live="polite" class="result">
        {e.error && <span class="error">{e.error}</span>}
        {e.result && `Saved ${e.result.name} (${e.result.bytes} bytes).`}
      </p>
    </section>
  );
}

export function AuditPage() {
  return (
    <section class="detail" aria-labelledby="page-title">
      <h1 id="page-title">Audit</h1>
      <Verify />
      <Replay />
      <Export />
    </section>
  );
}
