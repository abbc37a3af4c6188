/**
 * A resource indicator (RFC 8707) as a person reads it on the consent page: host and path of an https URL
 * (`a.example/mcp`). Any other URI is shown whole, so that a plain-http one or one with user info does not pass for
 * an https server. The host is the URL parser's (an internationalised name in its `xn--` form): look-alike letters
 * show as what they are.
 */
export function resourceLabel(resource: string): string {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    return resource;
  }
  if (url.protocol !== 'https:' || !url.host || url.username || url.password) return resource;
  return `${url.host}${url.pathname === '/' ? '' : url.pathname}${url.search}`;
}
