import type { ClientMetadata } from '../../domain/clients/events.js';
import { esc } from './layout.js';
import type { Strings } from './strings.js';

/** What a page shows of the application a person is signing in to: never its id when it has a name. */
export interface ClientDisplay {
  name: string;
  logoUri?: string;
  clientUri?: string;
}

export function clientDisplay(clientId: string, metadata: ClientMetadata | undefined): ClientDisplay {
  return { name: metadata?.client_name ?? clientId, logoUri: metadata?.logo_uri, clientUri: metadata?.client_uri };
}

function parsed(uri: string | undefined, protocols: string[]): URL | undefined {
  if (uri === undefined || !URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  return protocols.includes(url.protocol) ? url : undefined;
}

/**
 * The application's logo (https only: registration checks it, and so does this, because the page's
 * img-src allows that one origin and nothing else) and a link to its home page. `img` is the CSP
 * source list for the logo.
 */
export function clientHeader(t: Strings, client: ClientDisplay): { html: string; img: string[] } {
  const logo = parsed(client.logoUri, ['https:']);
  const home = parsed(client.clientUri, ['https:', 'http:']);
  if (!logo && !home) return { html: '', img: [] };
  const image = logo ? `<img src="${esc(logo.href)}" alt="${esc(t.logo(client.name))}" width="48" height="48">` : '';
  const link = home ? `<a href="${esc(home.href)}" rel="noopener noreferrer">${esc(t.visit(home.host))}</a>` : '';
  return { html: `<div class="app">${image}<span>${link}</span></div>`, img: logo ? [logo.origin] : [] };
}
