import { useEffect, useState } from 'preact/hooks';
import { gql, GraphQLFailure } from '../app/api.js';
import { Link, navigate, useLocation } from '../app/router.js';
import { filterOf, formFrom, queryOf, FIELDS, type SearchForm } from './query.js';
import { Results, type TokenRow } from './Results.js';

const PAGE = 25;
const ROW = 'jti kind status clientId subject grantId issuedAt expiresAt';
const BY_FILTER = `query Search($filter: TokenFilter, $first: Int, $after: String) {
  tokens(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { endCursor hasNextPage }
    edges { node { ${ROW} } }
  }
}`;
const BY_JTI = `query Token($jti: ID!) { token(jti: $jti) { ${ROW} } }`;

interface Found {
  rows: TokenRow[];
  total: number;
  next: string | null;
}

async function search(form: SearchForm, after: string | null): Promise<Found> {
  // A jti names one token: asked for directly, not through the filter.
  if (form.jti) {
    const { token } = await gql<{ token: TokenRow | null }>(BY_JTI, { jti: form.jti });
    return { rows: token ? [token] : [], total: token ? 1 : 0, next: null };
  }
  const { tokens } = await gql<{
    tokens: {
      totalCount: number;
      pageInfo: { endCursor: string | null; hasNextPage: boolean };
      edges: { node: TokenRow }[];
    };
  }>(BY_FILTER, { filter: filterOf(form), first: PAGE, after });
  return {
    rows: tokens.edges.map((e) => e.node),
    total: tokens.totalCount,
    next: tokens.pageInfo.hasNextPage ? tokens.pageInfo.endCursor : null,
  };
}

const STATUSES: [string, string][] = [
  ['', 'Any'],
  ['ACTIVE', 'Active'],
  ['EXPIRED', 'Expired'],
  ['REVOKED', 'Revoked'],
];
const KINDS: [string, string][] = [
  ['', 'Any'],
  ['access_token', 'Access token'],
  ['refresh_token', 'Refresh token'],
];

/** A select's options with the URL's value selected at first (the select stays the person's to change). */
function Options({ value, options }: { value: string; options: [string, string][] }) {
  return (
    <>
      {options.map(([v, label]) => (
        <option key={v} value={v} selected={v === value}>
          {label}
        </option>
      ))}
    </>
  );
}

/** Token search: the form and the page shown are the URL's query, so back, forward and bookmarks work. */
export function SearchPage() {
  const { query } = useLocation();
  const key = query.toString();
  const form = formFrom(query);
  const after = query.get('after');
  const [found, setFound] = useState<Found>();
  const [error, setError] = useState<GraphQLFailure>();
  const [busy, setBusy] = useState(true);

  useEffect(() => {
    let current = true;
    setBusy(true);
    search(form, after)
      .then((f) => {
        if (!current) return;
        setFound(f);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (current) setError(err instanceof GraphQLFailure ? err : new GraphQLFailure('ERROR', String(err)));
      })
      .finally(() => {
        if (current) setBusy(false);
      });
    return () => {
      current = false;
    };
  }, [key]);

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const value = (k: string) => {
      const v = data.get(k);
      return typeof v === 'string' ? v.trim() : '';
    };
    const next = Object.fromEntries(FIELDS.map((k) => [k, value(k)])) as unknown as SearchForm;
    navigate(`/search${queryOf(next)}`);
  };

  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Search tokens</h1>
      <form class="filters" role="search" aria-label="Token filters" onSubmit={submit} key={key}>
        <label>
          Token id (jti)
          <input name="jti" defaultValue={form.jti} autoComplete="off" spellcheck={false} />
        </label>
        <label>
          Client id
          <input name="client" defaultValue={form.client} autoComplete="off" spellcheck={false} />
        </label>
        <label>
          Subject
          <input name="subject" defaultValue={form.subject} autoComplete="off" spellcheck={false} />
        </label>
        <label>
          Grant id
          <input name="grant" defaultValue={form.grant} autoComplete="off" spellcheck={false} />
        </label>
        <label>
          Status
          <select name="status">
            <Options value={form.status} options={STATUSES} />
          </select>
        </label>
        <label>
          Kind
          <select name="kind">
            <Options value={form.kind} options={KINDS} />
          </select>
        </label>
        <label>
          Issued after
          <input name="from" type="datetime-local" defaultValue={form.from} />
        </label>
        <label>
          Issued before
          <input name="to" type="datetime-local" defaultValue={form.to} />
        </label>
        <div class="actions">
          <button type="submit" class="primary">
            Search
          </button>
          <Link href="/search" class="button-link">
            Clear
          </Link>
        </div>
      </form>
      <div aria-live="polite" aria-busy={busy}>
        {error && (
          <p role="alert" class="error">
            Search failed: {error.message} ({error.code})
          </p>
        )}
        {found && !error && (
          <>
            <p class="result-count">
              {found.total === 0
                ? form.jti
                  ? `No token with jti ${form.jti}.`
                  : 'No tokens match.'
                : `${found.total} ${found.total === 1 ? 'token' : 'tokens'}${after ? ' (a later page)' : ''}.`}
            </p>
            {found.rows.length > 0 && <Results rows={found.rows} />}
            <nav class="pager" aria-label="Result pages">
              {after && <Link href={`/search${queryOf(form)}`}>First page</Link>}
              {found.next && <Link href={`/search${queryOf(form, found.next)}`}>Next page</Link>}
            </nav>
          </>
        )}
      </div>
    </section>
  );
}
