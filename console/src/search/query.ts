/** The search form's fields, as kept in the URL query (so a search can be bookmarked, shared and gone back to). */
export interface SearchForm {
  jti: string;
  client: string;
  subject: string;
  grant: string;
  status: string;
  kind: string;
  /** datetime-local values (the browser's time zone). */
  from: string;
  to: string;
}

export const FIELDS: (keyof SearchForm)[] = ['jti', 'client', 'subject', 'grant', 'status', 'kind', 'from', 'to'];

export function formFrom(query: URLSearchParams): SearchForm {
  const get = (k: string) => query.get(k)?.trim() ?? '';
  return {
    jti: get('jti'),
    client: get('client'),
    subject: get('subject'),
    grant: get('grant'),
    status: get('status'),
    kind: get('kind'),
    from: get('from'),
    to: get('to'),
  };
}

/** The URL query for a form (empty fields left out) and an optional page cursor. */
export function queryOf(form: SearchForm, after?: string): string {
  const q = new URLSearchParams();
  for (const k of FIELDS) if (form[k]) q.set(k, form[k]);
  if (after) q.set('after', after);
  const s = q.toString();
  return s ? `?${s}` : '';
}

const iso = (local: string) => {
  const t = Date.parse(local);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
};

/** The `tokens(filter:)` argument for a form. */
export function filterOf(form: SearchForm): Record<string, string> {
  const filter: Record<string, string> = {};
  if (form.client) filter.clientId = form.client;
  if (form.subject) filter.subject = form.subject;
  if (form.grant) filter.grantId = form.grant;
  if (form.status) filter.status = form.status;
  if (form.kind) filter.kind = form.kind;
  const from = form.from && iso(form.from);
  const to = form.to && iso(form.to);
  if (from) filter.issuedAfter = from;
  if (to) filter.issuedBefore = to;
  return filter;
}
