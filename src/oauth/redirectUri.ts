/**
 * Exact string matching (RFC 9700 §4.1.3), with the one exception RFC 8252 §7.3 makes for native
 * apps: a loopback IP redirect URI registered without a port matches the same URI with any port,
 * because the app picks a free port at run time. `localhost` does not get the exception (§8.3).
 */
const LOOPBACK_NO_PORT = /^http:\/\/(127\.0\.0\.1|\[::1\])(\/|$)/;
const LOOPBACK_WITH_PORT = /^http:\/\/(127\.0\.0\.1|\[::1\]):(\d{1,5})(?=\/|$)/;

export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  if (!LOOPBACK_NO_PORT.test(registered)) return false;
  // A port no URL parser accepts (99999) would match here and then fail when the response is sent.
  const port = Number(LOOPBACK_WITH_PORT.exec(requested)?.[2]);
  if (!(port >= 1 && port <= 65535)) return false;
  const withoutPort = requested.replace(LOOPBACK_WITH_PORT, 'http://$1');
  return withoutPort !== requested && withoutPort === registered;
}
