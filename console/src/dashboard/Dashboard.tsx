import { useEffect, useState } from 'preact/hooks';
import { gql, GraphQLFailure } from '../app/api.js';
import { watchLedger, type LiveState } from '../app/live.js';
import { ActivityChart, type ActivityBucket } from './ActivityChart.js';
import { everyMinute, total } from './activity.js';
import { LedgerStatusList, type LedgerStatus } from './LedgerStatus.js';
import { useThrottled } from './useThrottled.js';

const QUERY = `query Dashboard($since: DateTime!) {
  activity(since: $since, bucketSeconds: 60) { at issued refreshed revoked loginFailed clientAuthFailed }
  ledgerStatus {
    position liveTokens viewLag historyIndexLag
    sinks { id lag parked }
    lastSeal { size root sealedAt }
  }
}`;

const WINDOWS = [1, 3, 6, 24];

interface Data {
  buckets: ActivityBucket[];
  status: LedgerStatus;
}

const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Connecting to the live feed…',
  live: 'Live: updates as events are appended',
  offline: 'Live feed unavailable; retrying',
};

/** The dashboard: per-minute activity over the last hours and the ledger's state, refreshed as events arrive. */
export function Dashboard() {
  const [hours, setHours] = useState(3);
  const [data, setData] = useState<Data>();
  const [error, setError] = useState<GraphQLFailure>();
  const [live, setLive] = useState<LiveState>('connecting');

  const load = () => {
    const until = Date.now();
    const since = until - hours * 3_600_000;
    gql<{ activity: ActivityBucket[]; ledgerStatus: LedgerStatus }>(QUERY, { since: new Date(since).toISOString() })
      .then((d) => {
        setData({ buckets: everyMinute(d.activity, since, until), status: d.ledgerStatus });
        setError(undefined);
      })
      .catch((err: unknown) =>
        setError(err instanceof GraphQLFailure ? err : new GraphQLFailure('ERROR', String(err))),
      );
  };
  const refetch = useThrottled(load, 1000);

  useEffect(load, [hours]);
  useEffect(() => watchLedger(refetch, setLive), []);

  const buckets = data?.buckets ?? [];
  return (
    <section aria-labelledby="page-title">
      <div class="page-head">
        <h1 id="page-title">Dashboard</h1>
        <label class="inline">
          Window
          <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
            {WINDOWS.map((h) => (
              <option key={h} value={h}>
                Last {h} {h === 1 ? 'hour' : 'hours'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="live" aria-live="polite">
        {LIVE_TEXT[live]}
      </p>
      {error && (
        <p role="alert" class="error">
          Could not load the dashboard: {error.message} ({error.code})
        </p>
      )}
      {data && (
        <>
          <dl class="stats" aria-label={`Totals over the last ${hours} h`}>
            <div>
              <dt>Issued ({hours} h)</dt>
              <dd data-stat="issued">{total(buckets, 'issued')}</dd>
            </div>
            <div>
              <dt>Refreshed ({hours} h)</dt>
              <dd data-stat="refreshed">{total(buckets, 'refreshed')}</dd>
            </div>
            <div>
              <dt>Revoked ({hours} h)</dt>
              <dd data-stat="revoked">{total(buckets, 'revoked')}</dd>
            </div>
            <div>
              <dt>Failed logins ({hours} h)</dt>
              <dd data-stat="loginFailed">{total(buckets, 'loginFailed')}</dd>
            </div>
            <div>
              <dt>Client-auth failures ({hours} h)</dt>
              <dd data-stat="clientAuthFailed">{total(buckets, 'clientAuthFailed')}</dd>
            </div>
          </dl>
          <div class="charts">
            <ActivityChart title="Tokens per minute" buckets={buckets} series={['issued', 'refreshed', 'revoked']} />
            <ActivityChart title="Failures per minute" buckets={buckets} series={['loginFailed', 'clientAuthFailed']} />
          </div>
          <h2>Ledger</h2>
          <LedgerStatusList status={data.status} />
        </>
      )}
      {!data && !error && <p class="status">Loading…</p>}
    </section>
  );
}
