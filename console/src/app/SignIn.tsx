import { useState } from 'preact/hooks';
import { signIn, signOut } from './auth.js';

function Panel({ title, children }: { title: string; children: preact.ComponentChildren }) {
  return (
    <main id="main" class="panel">
      <h1>{title}</h1>
      {children}
    </main>
  );
}

/** Signed out: one button that goes to this server's login page. */
export function SignIn({ returnTo }: { returnTo: string }) {
  const [error, setError] = useState<string>();
  const start = () => void signIn(returnTo).catch((err: unknown) => setError((err as Error).message));
  return (
    <Panel title="token-ledger console">
      <p>Sign in with an account that holds an operator role (ledger:admin or ledger:audit).</p>
      <button type="button" class="primary" onClick={start}>
        Sign in
      </button>
      {error && (
        <p role="alert" class="error">
          Sign-in could not start: {error}
        </p>
      )}
    </Panel>
  );
}

/** Signed in, but the token carries no ledger scope: the console is never shown. */
export function NoRole({ username }: { username?: string }) {
  return (
    <Panel title="Your account holds no operator role">
      <p>
        {username ? <>You are signed in as {username}, but</> : <>Your account is signed in, but</>} it holds neither
        ledger:admin nor ledger:audit. An operator can grant one with <code>token-ledger users grant-role</code> or the
        GraphQL mutation <code>grantRole</code>.
      </p>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </Panel>
  );
}

/** The callback could not be completed (state mismatch, a refused code, the server unreachable). */
export function SignInFailed({ message }: { message: string }) {
  return (
    <Panel title="Sign-in failed">
      <p role="alert">{message}</p>
      <p>
        <a href="/console/">Start again</a>
      </p>
    </Panel>
  );
}
