export interface LedgerStatus {
  position: string;
  liveTokens: number;
  viewLag: number;
  historyIndexLag: number;
  sinks: { id: string; lag: number; parked: boolean }[];
  lastSeal: { size: number; root: string; sealedAt: string } | null;
}

const when = (iso: string) => new Date(iso).toLocaleString();

/** The ledger's state now; outbound sinks and the last seal only when the server has them. */
export function LedgerStatusList({ status }: { status: LedgerStatus }) {
  return (
    <dl class="stats" aria-label="Ledger status">
      <div>
        <dt>Live tokens</dt>
        <dd data-stat="liveTokens">{status.liveTokens}</dd>
      </div>
      <div>
        <dt>Ledger position</dt>
        <dd>{status.position}</dd>
      </div>
      <div>
        <dt>View lag (events)</dt>
        <dd>{status.viewLag}</dd>
      </div>
      <div>
        <dt>History-index lag (events)</dt>
        <dd>{status.historyIndexLag}</dd>
      </div>
      {status.sinks.map((sink) => (
        <div key={sink.id}>
          <dt>Sink {sink.id} lag</dt>
          <dd>
            {sink.lag}
            {sink.parked && <span class="badge error"> parked</span>}
          </dd>
        </div>
      ))}
      {status.lastSeal && (
        <div>
          <dt>Last seal</dt>
          <dd class="small">
            {status.lastSeal.size} events, {when(status.lastSeal.sealedAt)}
            <br />
            <code title={status.lastSeal.root}>{status.lastSeal.root.slice(0, 16)}…</code>
          </dd>
        </div>
      )}
    </dl>
  );
}
