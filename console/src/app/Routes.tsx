import { AuditPage } from '../pages/AuditPage.js';
import { ClientPage } from '../pages/ClientPage.js';
import { GrantPage } from '../pages/GrantPage.js';
import { TokenPage } from '../pages/TokenPage.js';
import { UserPage } from '../pages/UserPage.js';
import { Dashboard } from '../dashboard/Dashboard.js';
import { SearchPage } from '../search/SearchPage.js';
import { Link, match } from './router.js';

/** The page for a console path (the path without /console, no query). */
export function Routes({ path }: { path: string }) {
  if (path === '/') return <Dashboard />;
  if (path === '/search') return <SearchPage />;
  let p: Record<string, string> | null;
  if ((p = match('/tokens/:jti', path))) return <TokenPage key={p.jti} jti={p.jti} />;
  if ((p = match('/grants/:id', path))) return <GrantPage key={p.id} id={p.id} />;
  if ((p = match('/users/:sub', path))) return <UserPage key={p.sub} sub={p.sub} />;
  if ((p = match('/clients/:clientId', path))) return <ClientPage key={p.clientId} clientId={p.clientId} />;
  if (path === '/audit') return <AuditPage />;
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Not found</h1>
      <p>
        The console has no page at this address. <Link href="/">Back to the dashboard</Link>.
      </p>
    </section>
  );
}
