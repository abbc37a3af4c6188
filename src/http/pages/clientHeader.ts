import type { ClientState } from '../../domain/clients/state.js';
import { esc } from './layout.js';
import type { Strings } from './strings.js';

/** What a page shows of the application a person is signing in to: never its id when it has a name. */
export interface ClientDisplay {
  name: string;
  logoUri?: string;
  clientUri?: string;
  /**
   * The host of a client ID metadata document's URL. Whoever controls that URL wrote the name and the logo, so a
   * person needs the host to tell "Notes" from notes.example apart from an impostor's "Notes" (the draft's advice).
   */
  documentHost?: string;
}

export function clientDisplay(
  clientId: string,
  client: Pick<ClientState, 'metadata' | 'registration'> | undefined,
): ClientDisplay {
  const metadata = client?.metadata;
  const registration = client?.registration;
  return {
    name: metadata?.client_name ?? clientId,
    logoUri: metadata?.logo_uri,
    clientUri: metadata?.client_uri,
    // WHATWG URL hosts are lower case and punycode (xn--…): a look-alike Unicode name shows as what it is.
    ...(registration?.via === 'metadata_document' && { documentHost: new URL(registration.url).host }),
  };
}

function parsed(uri: string | undefined, protocols: string[]): URL | undefined {
  if (uri === undefined || !URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  return protocols.includes(url.protocol) ? url : undefined;
}

/**
 * The application's logo (https only: registration checks it, and so does this, because the page's
 * img-src allows that one origin and nothing else), a link to its home page, and the host whose metadata document
 * named it. `img` is the CSP source list for the logo.
 */
export function clientHeader(t: Strings, client: ClientDisplay): { html: string; img: string[] } {
  const logo = parsed(client.logoUri, ['https:']);
  const home = parsed(client.clientUri, ['https:', 'http:']);
  const host = client.documentHost;
  if (!logo && !home && !host) return { html: '', img: [] };
  const image = logo ? `<img src="${esc(logo.href)}" alt="${esc(t.logo(client.name))}" width="48" height="48">` : '';
  const link = home ? `<a href="${esc(home.href)}" rel="noopener noreferrer">${esc(t.visit(home.host))}</a>` : '';
  const from = host ? `<span class="document-host">${esc(t.documentHost(host))}</span>` : '';
  const text = [from, link].filter(Boolean).join('<br>');
  return { html: `<div class="app">${image}<span>${text}</span></div>`, img: logo ? [logo.origin] : [] };
}
