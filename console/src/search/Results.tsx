import { Link } from '../app/router.js';

export interface TokenRow {
  jti: string;
  kind: string;
  status: string;
  clientId: string;
  subject: string | null;
  grantId: string | null;
  issuedAt: string;
  expiresAt: string;
}

const when = (iso: string) => new Date(iso).toLocaleString();
const seg = encodeURIComponent;

/** A person links to their page; a client acting for itself (client credentials) is said so. */
function Subject({ row }: { row: TokenRow }) {
  if (!row.subject) return <>—</>;
  if (row.subject === row.clientId) return <span class="muted">the client itself</span>;
  return <Link href={`/users/${seg(row.subject)}`}>{row.subject}</Link>;
}

/** Tokens found, each linked to its own page and to its client, subject and grant. At 390 px: one card per row. */
export function Results({ rows }: { rows: TokenRow[] }) {
  return (
    <div class="table-wrap">
      <table class="cards">
        <caption class="visually-hidden">Tokens found</caption>
        <thead>
          <tr>
            <th scope="col">Token (jti)</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Client</th>
            <th scope="col">Subject</th>
            <th scope="col">Grant</th>
            <th scope="col">Issued</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.jti}>
              <td data-label="Token">
                <Link href={`/tokens/${seg(t.jti)}`} class="mono">
                  {t.jti}
                </Link>
              </td>
              <td data-label="Kind">{t.kind === 'refresh_token' ? 'refresh' : 'access'}</td>
              <td data-label="Status">
                <span class={`badge status-${t.status.toLowerCase()}`}>{t.status.toLowerCase()}</span>
              </td>
              <td data-label="Client">
                <Link href={`/clients/${seg(t.clientId)}`}>{t.clientId}</Link>
              </td>
              <td data-label="Subject">
                <Subject row={t} />
              </td>
              <td data-label="Grant">
                {t.grantId ? (
                  <Link href={`/grants/${seg(t.grantId)}`} class="mono">
                    {t.grantId}
                  </Link>
                ) : (
                  '—'
                )}
              </td>
              <td data-label="Issued">{when(t.issuedAt)}</td>
              <td data-label="Expires">{when(t.expiresAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
