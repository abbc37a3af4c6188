/** Where the console keeps its tokens (docs/console.md): JSON `{ access_token, expires_at, … }` in sessionStorage. */
const SESSION_KEY = 'token-ledger-console';

export type ConsoleSession = { state: 'signed-in'; accessToken: string } | { state: 'expired' } | { state: 'none' };

/** The console's access token, if this tab holds a live one. A malformed entry counts as none. */
export function readConsoleSession(storage: Pick<Storage, 'getItem'>, now = Date.now()): ConsoleSession {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return { state: 'none' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { state: 'none' };
  const { access_token: token, expires_at: expiresAt } = parsed as Record<string, unknown>;
  if (typeof token !== 'string' || token === '') return { state: 'none' };
  if (typeof expiresAt === 'number' && expiresAt <= now) return { state: 'expired' };
  return { state: 'signed-in', accessToken: token };
}

/** The headers editor's text: the person sees the header sent and can change it. */
export function headersFor(session: ConsoleSession): string {
  const token = session.state === 'signed-in' ? session.accessToken : '<paste an access token>';
  return JSON.stringify({ Authorization: `Bearer ${token}` }, null, 2);
}
