import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Every client-side route lives under this prefix; the server answers index.html for any path below it. */
export const BASE = '/console';

const CHANGE = 'console:navigate';

/** The path inside the console ('/', '/search', '/tokens/abc'), without the /console prefix or the query. */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return path === '' ? '/' : path;
}

/** An absolute URL path for a console path: '/search?x=1' → '/console/search?x=1'. */
function href(path: string): string {
  return path.startsWith(BASE + '/') || path === BASE ? path : BASE + (path.startsWith('/') ? path : '/' + path);
}

/** Moves to a console path without a page load; `replace` keeps the history entry (a search refining its query). */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const target = href(path);
  if (target === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', target);
  else history.pushState(null, '', target);
  dispatchEvent(new Event(CHANGE));
}

/** The location, re-rendering on back/forward and on navigate(). */
export function useLocation(): { path: string; query: URLSearchParams } {
  const read = () => ({ path: currentPath(), query: new URLSearchParams(location.search) });
  const [state, setState] = useState(read);
  useEffect(() => {
    const update = () => setState(read());
    addEventListener('popstate', update);
    addEventListener(CHANGE, update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener(CHANGE, update);
    };
  }, []);
  return state;
}

interface LinkProps {
  href: string;
  children?: ComponentChildren;
  class?: string;
  'aria-current'?: 'page';
  'aria-label'?: string;
}

/** A real link (middle click, copy address and a new tab still work); a plain click stays inside the app. */
export function Link({ href: path, children, ...rest }: LinkProps) {
  const target = href(path);
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    if (event.altKey) return;
    event.preventDefault();
    navigate(target);
  };
  return (
    <a {...rest} href={target} onClick={onClick}>
      {children}
    </a>
  );
}

/** Matches '/tokens/:jti' against a path; parameters are decoded. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (have[i] === '') return null;
      try {
        params[want[i].slice(1)] = decodeURIComponent(have[i]);
      } catch {
        return null;
      }
    } else if (want[i] !== have[i]) return null;
  }
  return params;
}
