import { useEffect, useState } from 'preact/hooks';
import { SessionContext, hasLedgerScope, sessionFrom, type Session } from './api.js';
import { completeSignIn, loadTokens, refresh, refreshDelay, type StoredTokens } from './auth.js';
import { Layout } from './Layout.js';
import { NoRole, SignIn, SignInFailed } from './SignIn.js';
import { currentPath, navigate, useLocation } from './router.js';

type State =
  | { kind: 'loading' }
  | { kind: 'failed'; message: string }
  | { kind: 'signed-out' }
  | { kind: 'signed-in'; tokens: StoredTokens; session: Session };

const fromStorage = (): State => {
  const tokens = loadTokens();
  return tokens == null
    ? { kind: 'signed-out' }
    : { kind: 'signed-in', tokens, session: sessionFrom(tokens.scope, tokens.id_token) };
};

/** The console: finishes a sign-in on /callback, keeps the session refreshed, and shows the page or why it cannot. */
export function App() {
  const { path } = useLocation();
  const [state, setState] = useState<State>(() =>
    currentPath() === '/callback' ? { kind: 'loading' } : fromStorage(),
  );

  useEffect(() => {
    if (currentPath() !== '/callback') return;
    completeSignIn(new URL(location.href))
      .then((returnTo) => {
        setState(fromStorage());
        navigate(returnTo === '/callback' ? '/' : returnTo, { replace: true });
      })
      .catch((err: unknown) => setState({ kind: 'failed', message: (err as Error).message }));
  }, []);

  // A token is refreshed shortly before it expires, so an idle console stays signed in as long as the grant lives.
  const expiresAt = state.kind === 'signed-in' ? state.tokens.expires_at : undefined;
  useEffect(() => {
    if (state.kind !== 'signed-in' || state.tokens.refresh_token == null) return;
    const timer = setTimeout(() => {
      refresh()
        .then(() => setState(fromStorage()))
        .catch(() => undefined);
    }, refreshDelay(state.tokens));
    return () => clearTimeout(timer);
  }, [expiresAt]);

  switch (state.kind) {
    case 'loading':
      return <p class="status">Signing in…</p>;
    case 'failed':
      return <SignInFailed message={state.message} />;
    case 'signed-out':
      return <SignIn returnTo={path === '/callback' ? '/' : path + location.search} />;
    case 'signed-in':
      if (!hasLedgerScope(state.session)) return <NoRole username={state.session.username} />;
      return (
        <SessionContext.Provider value={state.session}>
          <Layout path={path} />
        </SessionContext.Provider>
      );
  }
}
