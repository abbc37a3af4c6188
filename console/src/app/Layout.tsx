import { useEffect, useRef } from 'preact/hooks';
import { useSession } from './api.js';
import { signOut } from './auth.js';
import { Link } from './router.js';
import { Routes } from './Routes.js';

const NAV = [
  { href: '/', label: 'Dashboard' },
  { href: '/search', label: 'Search' },
  { href: '/audit', label: 'Audit' },
];

const current = (href: string, path: string) => (href === '/' ? path === '/' : path.startsWith(href));

/** The frame around every page: skip link, header with navigation and the session, the page in <main>. */
export function Layout({ path }: { path: string }) {
  const session = useSession();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a client-side navigation, focus moves to the new page (a screen reader announces it), not on first load.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [path]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/" class="brand">
          token-ledger
        </Link>
        <nav aria-label="Console">
          <ul>
            {NAV.map((item) => (
              <li key={item.href}>
                <Link href={item.href} aria-current={current(item.href, path) ? 'page' : undefined}>
                  {item.label}
                </Link>
              </li>
            ))}
            <li>
              <a href="/console/graphiql">GraphQL explorer</a>
            </li>
          </ul>
        </nav>
        <div class="who">
          <span>
            {session.username ?? 'signed in'}
            <span class="role">{session.canWrite ? 'admin' : 'audit (read only)'}</span>
          </span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Routes path={path} />
      </main>
    </>
  );
}
